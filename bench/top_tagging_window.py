"""Which pTHat window keeps the top-tagging jets, and at what cost?

1. Generates events with a wide reference pTHat window, applies the full jet selection, and
   prints for candidate windows [lo, hi] the fraction of selected jets whose event pTHat lies
   outside it: the jets a generation with that window never sees. Pythia generates
   unweighted events in pTHat, so these fractions are cross-section weighted.
2. Times one chunk of ``--timing-events`` events per candidate window: selected jets per CPU
   second of this process (Pythia initialisation included, imports excluded). CPU time, so
   that other load on a shared machine does not count.

    nice python bench/top_tagging_window.py --events 10000 --reference 250 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from training.datasets._pythia import PROCESSES, chunk_seed, generate_chunk
from training.datasets.top_tagging import TopTaggingConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10000, help="reference events per process")
    parser.add_argument("--reference", type=float, nargs=2, default=(250.0, 1000.0), metavar=("LO", "HI"))
    parser.add_argument("--windows", type=float, nargs="+", default=[400, 750, 450, 750, 500, 700],
                        help="candidate windows as LO HI pairs (GeV)")
    parser.add_argument("--timing-events", type=int, default=1000, help="events per timed chunk (0: skip)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    windows = list(zip(args.windows[::2], args.windows[1::2]))
    config = TopTaggingConfig(pthat_range=tuple(args.reference), events_per_chunk=args.events)
    generate_chunk("qcd", chunk_seed(args.seed, "qcd", 99), TopTaggingConfig(events_per_chunk=1))  # warm imports
    print(f"reference pTHat window {args.reference} GeV, {args.events} events per process, "
          f"jet pT {config.pt_range} GeV, |eta| < {config.eta_max}")
    for process in PROCESSES:
        chunk = generate_chunk(process, chunk_seed(args.seed, process, 0), config)
        n = len(chunk.pthat)
        print(f"{process}: {n} jets from {chunk.n_events} events; pTHat of selected jets: "
              f"1% {np.percentile(chunk.pthat, 1):.0f}, 99% {np.percentile(chunk.pthat, 99):.0f} GeV")
        for lo, hi in windows:
            missed = np.count_nonzero((chunk.pthat < lo) | (chunk.pthat > hi))
            line = f"  window [{lo:.0f}, {hi:.0f}]: misses {missed / n:.3f} +- {np.sqrt(max(missed, 1)) / n:.3f}"
            if args.timing_events:
                timed = TopTaggingConfig(pthat_range=(lo, hi), events_per_chunk=args.timing_events)
                start = time.process_time()
                jets = len(generate_chunk(process, chunk_seed(args.seed, process, 1), timed).counts)
                seconds = time.process_time() - start
                line += f"; {jets / args.timing_events:.3f} jets/event, {jets / seconds:.1f} jets per CPU s"
            print(line, flush=True)


if __name__ == "__main__":
    main()
