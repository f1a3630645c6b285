"""Benchmark: DetectorThrow on a ragged batch vs a per-event Python loop, same run, same kernels.

Builds synthetic track-like events (no gun dependency): each event is ``tracks`` straight tracks
of 100 steps of 0.3 cm (10 tracks: 1000 deposits), MIP-like dE with an exponential tail, inside
the default drift volume (z in [0, 50.4] cm). For each size in ``--tracks`` prints the median
wall time of ``--repeats`` runs (draws + response) and the ratio loop / batched.

    python bench/detector.py [--events 256] [--tracks 10 1] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse

import torch

from augment import DetectorThrow, Events
from bench.timing import median_times


def synthetic_events(num_events: int, tracks: int = 10, steps: int = 100, seed: int = 0) -> Events:
    g = torch.Generator().manual_seed(seed)
    start = torch.rand(num_events, tracks, 1, 3, generator=g) * torch.tensor([100.0, 100.0, 40.0]) + \
        torch.tensor([0.0, 0.0, 5.0])
    direction = torch.randn(num_events, tracks, 1, 3, generator=g)
    direction = direction / direction.norm(dim=-1, keepdim=True)
    s = 0.3 * torch.arange(steps, dtype=torch.float32)[None, None, :, None]
    coords = (start + s * direction).reshape(num_events, -1, 3)
    coords[..., 2] = coords[..., 2].clamp(0.5, 50.0)  # stay inside the drift volume
    dE = 0.63 * (1 + torch.empty(num_events, tracks * steps).exponential_(3.0, generator=g))  # MeV per 0.3 cm
    feats = torch.stack([dE, torch.full_like(dE, 0.3)], -1)
    return Events.from_list(list(coords), list(feats), feature_names=("dE", "dx"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=256)
    parser.add_argument("--tracks", type=int, nargs="+", default=[10, 1], help="tracks of 100 deposits per event")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    throw = DetectorThrow()
    print(f"DetectorThrow ({throw.diffusion_samples} diffusion samples), {args.events} events, device {args.device}, "
          f"{args.threads} thread(s), median of {args.repeats}")
    print(f"{'deposits/event':>15}  {'method':<16}{'time (s)':>10}{'deposits/s':>12}{'loop/batched':>14}")
    for tracks in args.tracks:
        events = synthetic_events(args.events, tracks).to(args.device)
        t_batch, t_loop = time_both(throw, events, args.repeats)
        n = events.num_points // events.num_events
        print(f"{n:>15}  {'batched':<16}{t_batch:>10.4f}{events.num_points / t_batch:>12.3g}")
        print(f"{n:>15}  {'per-event loop':<16}{t_loop:>10.4f}{events.num_points / t_loop:>12.3g}"
              f"{t_loop / t_batch:>14.2f}")


def time_both(throw: DetectorThrow, events: Events, repeats: int) -> tuple[float, float]:
    """Median seconds of the batched throw and of the same throw applied event by event."""
    singles = [events.index_select_events(torch.tensor([i])) for i in range(events.num_events)]

    def loop():
        g = torch.Generator().manual_seed(0)
        for single in singles:
            throw(single, g)

    times = median_times({"batched": lambda: throw(events, torch.Generator().manual_seed(0)), "loop": loop},
                         repeats, warmup=1, device=events.device)
    return times["batched"], times["loop"]


if __name__ == "__main__":
    main()
