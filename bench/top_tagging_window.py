"""Which pTHat window keeps the top-tagging jets? Missed fraction of in-window jets.

Generates events with a wide reference pTHat window, applies the full jet selection, and
prints for candidate windows [lo, hi] the fraction of selected jets whose event pTHat lies
outside it: the jets a generation with that window would never see. Pythia generates
unweighted events in pTHat, so these fractions are cross-section weighted.

    nice python bench/top_tagging_window.py --events 4000 --reference 300 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from training.datasets._pythia import PROCESSES, chunk_seed, generate_chunk
from training.datasets.top_tagging import TopTaggingConfig

CANDIDATES = ((450.0, 750.0), (480.0, 720.0), (500.0, 700.0), (520.0, 680.0), (550.0, 650.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=4000, help="events per process")
    parser.add_argument("--reference", type=float, nargs=2, default=(300.0, 1000.0), metavar=("LO", "HI"))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    config = TopTaggingConfig(pthat_range=tuple(args.reference), events_per_chunk=args.events)
    print(f"reference pTHat window {args.reference} GeV, {args.events} events per process, "
          f"jet pT {config.pt_range} GeV, |eta| < {config.eta_max}")
    for process in PROCESSES:
        start = time.perf_counter()
        chunk = generate_chunk(process, chunk_seed(args.seed, process, 0), config)
        seconds = time.perf_counter() - start
        n = len(chunk.pthat)
        print(f"{process}: {n} jets from {chunk.n_events} events ({seconds:.0f} s); "
              f"pTHat of selected jets: 1% {np.percentile(chunk.pthat, 1):.0f}, "
              f"99% {np.percentile(chunk.pthat, 99):.0f} GeV")
        for lo, hi in CANDIDATES:
            missed = np.count_nonzero((chunk.pthat < lo) | (chunk.pthat > hi))
            err = np.sqrt(max(missed, 1)) / max(n, 1)
            print(f"  window [{lo:.0f}, {hi:.0f}]: misses {missed / max(n, 1):.3f} +- {err:.3f} "
                  f"(below {np.count_nonzero(chunk.pthat < lo)}, above {np.count_nonzero(chunk.pthat > hi)})")


if __name__ == "__main__":
    main()
