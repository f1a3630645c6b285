"""Batched core transforms against a per-event Python loop (the baseline), same run, same params.

    nice python -m bench.core_transforms --events 256 --points 1000

Prints, per transform, the time of one batched ``apply`` and of the loop over events, and
their ratio. CPU unless ``--device`` says otherwise."""

from __future__ import annotations

import argparse
import time

import torch

from augment import Cutout, EnergyScale, Events, Jitter, LocalSmear, Rotate, Translate, VoxelDrop
from tests.contracts import slice_params


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=256)
    parser.add_argument("--points", type=int, default=1000, help="mean points per event (Poisson)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    g = torch.Generator().manual_seed(0)
    counts = torch.poisson(torch.full((args.events,), float(args.points)), generator=g).long()
    n = int(counts.sum())
    ev = Events(torch.randn(n, 3, generator=g) * 50, torch.rand(n, 2, generator=g),
                torch.repeat_interleave(torch.arange(args.events), counts), args.events).to(args.device)
    singles = [ev.index_select_events(torch.tensor([i])) for i in range(ev.num_events)]
    transforms = [Translate(5.0), Rotate(), Jitter(0.3), Cutout((5.0, 30.0)), EnergyScale(), LocalSmear(),
                  VoxelDrop(0.2)]
    print(f"{args.events} events, {n} points, device {args.device}")
    for t in transforms:
        params = t.sample(ev, 0)
        per_event = [slice_params(params, ev, i) for i in range(ev.num_events)]
        batched = best_time(lambda: t.apply(ev, params), args.repeats)
        looped = best_time(lambda: [t.apply(s, p) for s, p in zip(singles, per_event)], args.repeats)
        print(f"{type(t).__name__:12s} batched {batched * 1e3:8.2f} ms  loop {looped * 1e3:8.2f} ms  "
              f"speed-up x{looped / batched:6.1f}")


if __name__ == "__main__":
    main()
