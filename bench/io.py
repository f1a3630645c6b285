"""Cost of streaming through ``augment.io`` against reading a whole file at once.

    nice python -m bench.io [--events 20000] [--repeats 5]

For a ragged file and a top-tagging file (pandas, fixed layout) of the same jets, prints the
time of one pass of ``event_loader`` (batches of 256, chunks of ``--chunk`` events, shuffled
or in order, ``num_workers=0``) as a ratio to one ``augment.io.read`` of the whole file, both
timed interleaved in this run (:func:`bench.timing.median_times`)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from augment.io import EventsDataset, event_loader, read, write_events
from bench.timing import median_times


def jets_arrays(n: int, seed: int, max_constituents: int = 60):
    rng = np.random.default_rng(seed)
    counts = rng.integers(10, max_constituents + 1, n)
    total = int(counts.sum())
    pt, eta, phi = rng.uniform(1, 100, total), rng.uniform(-2, 2, total), rng.uniform(-np.pi, np.pi, total)
    return counts, pt, eta, phi


def write_files(folder: Path, n: int, seed: int) -> dict[str, Path]:
    import pandas as pd

    counts, pt, eta, phi = jets_arrays(n, seed)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    ragged = write_events(folder / "jets.h5", np.stack([eta, phi], 1), pt[:, None], offsets, np.arange(n) % 2,
                          coord_names=["eta", "phi"], coord_units=["", "rad"], feature_names=["pT"],
                          feature_units=["GeV"], label_names=["QCD", "top"], settings={})
    width = int(counts.max())
    slot = np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)
    row = np.repeat(np.arange(n), counts)
    columns = {}
    for q, values in (("E", pt * np.cosh(eta)), ("PX", pt * np.cos(phi)), ("PY", pt * np.sin(phi)),
                      ("PZ", pt * np.sinh(eta))):
        table = np.zeros((n, width))
        table[row, slot] = values
        columns.update({f"{q}_{i}": table[:, i] for i in range(width)})
    columns["is_signal_new"] = np.arange(n) % 2
    top = folder / "top.h5"
    pd.DataFrame(columns).to_hdf(top, key="table", format="fixed")
    return {"hep-augment": ragged, "top-tagging": top}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.io", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--chunk", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, path in write_files(Path(tmp), args.events, seed=0).items():
            ds = EventsDataset(path, chunk_events=args.chunk)

            def stream(shuffle: bool) -> int:
                return sum(b.num_events for b in event_loader(ds, 256, seed=0, shuffle=shuffle))

            times = median_times({"read": lambda: read(path), "stream": lambda: stream(False),
                                  "stream shuffled": lambda: stream(True)},
                                 repeats=args.repeats, warmup=1, device=torch.device("cpu"))
            print(f"{fmt:12s} {args.events} jets: read {times['read']:.3f} s; event_loader in order "
                  f"{times['stream'] / times['read']:.2f}x, shuffled {times['stream shuffled'] / times['read']:.2f}x "
                  f"the time of one whole read")


if __name__ == "__main__":
    main()
