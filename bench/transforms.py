"""Speed of a batched 5-transform Compose against per-event baselines, in one run.

Run from the repository root (the machine is shared: use nice):

    nice python -m bench.transforms [--threads 1] [--repeats 7] [--device cpu] [--per-transform] [--cpu-time]

Two workloads (the batches of :mod:`bench.training_step`):

* voxels: 256 LArTPC-like events of Poisson(1000) deposits, (x, y, z) in cm, feats (dE, dx)
  in MeV and cm; Compose of Rotate, Translate, EnergyScale, VoxelDrop, LocalSmear;
* jets: 1024 jets of Poisson(50) constituents, (eta, phi), pT ~ Exp(10 GeV) (falling);
  Compose of Rotate (2D), Translate, CollinearSplit, SoftSmear, EnergyScale.

Every transform has p = 1 and draws from a seeded generator. The batched Compose (sampling
included) is compared with

(a) the same Compose called on each single-event ``Events`` in a Python loop, sampling
    included (what a per-sample Dataset transform does; the events are split beforehand);
(b) ``torch_geometric.transforms`` per sample, when torch_geometric is installed;
(c) the floor: ``clone()`` of coords, feats and batch plus one ``torch.rand(N)``.

Targets: >= 20x faster than (a) and >= 10x faster than (b) on voxels, >= 100x faster than (a)
on jets, within 3x of (c); peak memory of the batched Compose <= 3x its input (coords, feats,
batch); the input validation every top-level call runs < 5% of the batched Compose. Times are
medians over ``--repeats`` after ``--warmup`` calls. ``--per-transform`` adds one row per
transform of each Compose: batched sample + apply, batched apply alone (params drawn
beforehand) and the per-event loop (sample + apply).
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from augment import (CollinearSplit, Compose, EnergyScale, Events, LocalSmear, Rotate, SoftSmear, Transform,
                     Translate, VoxelDrop)
from bench.timing import median_times, peak_bytes
from bench.workloads import jet_batch, voxel_batch

TARGET_LOOP = {"voxels": 20.0, "jets": 100.0}
TARGET_PYG = 10.0
TARGET_FLOOR = 3.0
TARGET_MEMORY = 3.0
TARGET_VALIDATION = 0.05


def voxel_pipeline() -> Compose:
    return Compose([Rotate(), Translate(5.0), EnergyScale(), VoxelDrop(0.1), LocalSmear()])


def jet_pipeline() -> Compose:
    return Compose([Rotate(), Translate(0.1), CollinearSplit(0.1), SoftSmear(), EnergyScale()])


def split_events(events: Events) -> list[Events]:
    """One single-event batch per event, as a per-sample Dataset would hold them."""
    return [events.index_select_events(torch.tensor([i], device=events.device)) for i in range(events.num_events)]


def floor(events: Events) -> tuple[torch.Tensor, ...]:
    """The memory-and-RNG floor: copy the batch's tensors and draw one number per point."""
    return (events.coords.clone(), events.feats.clone(), events.batch.clone(),
            torch.rand(events.num_points, device=events.device))


def pyg_baseline(events: Events) -> Callable[[], object] | None:
    """Per-sample torch_geometric transforms doing similar work (random rotations and a jitter),
    or None if it is not installed (`pip install .[bench]`)."""
    try:
        import torch_geometric.transforms as T
        from torch_geometric.data import Data
    except ImportError:
        return None
    D = events.coords.shape[1]
    pipeline = T.Compose([T.RandomRotate(180, axis=a) for a in range(D if D == 3 else 1)]
                         + [T.RandomJitter(0.1)])
    samples = [Data(pos=c, x=f) for c, f in events.to_list()]
    return lambda: [pipeline(s.clone()) for s in samples]


def bench_workload(name: str, events: Events, pipeline: Compose, args: argparse.Namespace) -> list[str]:
    device = events.device
    singles = split_events(events)
    g = torch.Generator(device).manual_seed(0)
    fns = {"batched": lambda: pipeline(events, g), "loop": lambda: [pipeline(s, g) for s in singles],
           "floor": lambda: floor(events), "validation": events.validate}
    pyg = pyg_baseline(events)
    if pyg is not None:
        fns["pyg"] = pyg
    med = median_times(fns, args.repeats, args.warmup, device, clock(args))
    batched, loop, base = med["batched"], med["loop"], med["floor"]
    pyg_cell = "not installed" if pyg is None else \
        f"{1e3 * med['pyg']:.1f} ms (**x{med['pyg'] / batched:.1f}**, >= {TARGET_PYG:.0f})"
    names = ", ".join(type(t).__name__ for t in pipeline.transforms)
    size = sum(t.numel() * t.element_size() for t in (events.coords, events.feats, events.batch))
    memory = peak_bytes(lambda: pipeline(events, g), device) / size
    rows = [f"| {name} | {events.num_events} | {events.num_points} | {names} | {1e3 * batched:.2f} | "
            f"{1e3 * loop:.1f} | **x{loop / batched:.1f}** (>= {TARGET_LOOP[name]:.0f}) | {pyg_cell} | "
            f"{1e3 * base:.3f} | **{batched / base:.1f}** (<= {TARGET_FLOOR:.0f}) | "
            f"**{memory:.2f}** (<= {TARGET_MEMORY:.0f}) | {100 * med['validation'] / batched:.1f}% "
            f"(< {100 * TARGET_VALIDATION:.0f}%) |"]
    if args.per_transform:
        for t in pipeline.transforms:
            rows.append(per_transform_row(name, t, events, singles, args))
            events = t(events, g)
            singles = split_events(events)
    return rows


def per_transform_row(name: str, t: Transform, events: Events, singles: list[Events],
                      args: argparse.Namespace) -> str:
    g = torch.Generator(events.device).manual_seed(1)
    params = t.sample(events, g)
    times = median_times({"both": lambda: t(events, g), "apply": lambda: t.apply(events, params),
                          "loop": lambda: [t(s, g) for s in singles]}, args.repeats, args.warmup, events.device,
                         clock(args))
    both, apply, loop = times["both"], times["apply"], times["loop"]
    return (f"| {name} | {type(t).__name__} | {1e3 * both:.3f} | {1e3 * apply:.3f} | {1e3 * loop:.1f} "
            f"| x{loop / both:.1f} |")


def clock(args: argparse.Namespace) -> Callable[[], float]:
    return time.process_time if args.cpu_time else time.perf_counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--repeats", type=int, default=9, help="timed calls; the median is reported")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--voxel-events", type=int, default=256)
    parser.add_argument("--voxel-points", type=int, default=1000, help="mean deposits per event (Poisson)")
    parser.add_argument("--jets", type=int, default=1024)
    parser.add_argument("--constituents", type=int, default=50, help="mean constituents per jet (Poisson)")
    parser.add_argument("--per-transform", action="store_true", help="add one row per transform")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the process's CPU time, not wall time (CPU, 1 thread: robust to other jobs' load)")
    args = parser.parse_args()
    if args.cpu_time and (args.device != "cpu" or args.threads != 1):
        parser.error("--cpu-time: needs --device cpu and --threads 1 (CPU time of several threads adds up)")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    workloads = [("voxels", voxel_batch(args.voxel_events, args.voxel_points).to(device), voxel_pipeline()),
                 ("jets", jet_batch(args.jets, args.constituents).to(device), jet_pipeline())]
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"median of {args.repeats} after {args.warmup} warm-up calls, {'CPU' if args.cpu_time else 'wall'} time")
    try:
        import torch_geometric  # noqa: F401
    except ImportError:
        print("(b) torch_geometric is not installed: its per-sample baseline is skipped")
    print("\n| workload | B | N | Compose | batched (ms) | (a) loop (ms) | loop / batched | (b) pyg per sample "
          "| (c) floor (ms) | batched / floor | peak memory / input | validation / batched |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")
    per_transform = []
    for name, events, pipeline in workloads:
        rows = bench_workload(name, events, pipeline, args)
        print(rows[0], flush=True)
        per_transform += rows[1:]
    if per_transform:
        print("\n| workload | transform | batched sample+apply (ms) | batched apply (ms) | loop sample+apply (ms) "
              "| loop / batched |\n|---|---|---|---|---|---|")
        print("\n".join(per_transform))


if __name__ == "__main__":
    main()
