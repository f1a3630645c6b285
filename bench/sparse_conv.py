"""Voxel encoder forward + backward: pure-PyTorch sparse vs MinkowskiEngine vs dense conv3d.

One batch of track-like events (``--tracks`` tracks of ``--points`` deposits per event
in a ``--grid``^3 box of 1-voxel pitch) goes through

* ``SparseResNet`` (pure PyTorch, this package),
* ``MinkowskiResNet`` with the same weights, when MinkowskiEngine imports,
* the same architecture as dense ``conv3d`` layers on the full (B, C, grid^3) tensor,

and the median CPU time (``time.process_time``: on a shared machine the wall time mostly
measures the other processes) of ``--repeat`` forward + backward passes is printed with the
ratios to the pure-PyTorch encoder. ``--width`` sets the channels (w, 2w, 4w).
Run: ``nice python -m bench.sparse_conv``.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch import Tensor, nn

from augment import Events
from bench.timing import median_times
from training.encoders import SparseResNet


def track_events(num_events: int, tracks: int, points: int, grid: int, seed: int) -> Events:
    """``tracks`` wiggly straight-ish tracks per event, ``points`` deposits 0.5 voxel apart,
    starting in the central half of the box, clipped to it; charge ~ U(0, 1e4) electrons."""
    g = torch.Generator().manual_seed(seed)
    n = num_events * tracks
    direction = torch.nn.functional.normalize(torch.randn(n, 1, 3, generator=g), dim=-1)
    wiggle = 0.2 * torch.randn(n, points, 3, generator=g)
    steps = 0.5 * torch.nn.functional.normalize(direction + wiggle, dim=-1)
    start = (torch.rand(n, 1, 3, generator=g) * 0.5 + 0.25) * grid
    coords = (start + torch.cumsum(steps, 1)).clamp(0, grid - 1e-3).reshape(-1, 3)
    charge = torch.rand(n * points, 1, generator=g) * 1e4
    batch = torch.arange(num_events).repeat_interleave(tracks * points)
    return Events(coords, charge, batch, num_events).voxelize(1.0)


class DenseResNet(nn.Module):
    """The ``SparseResNet`` layer sequence as dense conv3d (baseline only)."""

    def __init__(self, channels=(16, 32, 64), blocks=(1, 1, 0)) -> None:
        super().__init__()

        def conv_bn(c_in: int, c_out: int, k: int, stride: int) -> list[nn.Module]:
            return [nn.Conv3d(c_in, c_out, k, stride, padding=k // 2 if stride == 1 else 0, bias=False),
                    nn.BatchNorm3d(c_out)]

        self.stem = nn.Sequential(*conv_bn(1, channels[0], 3, 1), nn.ReLU())
        self.stages = nn.ModuleList(
            nn.ModuleList(nn.Sequential(*conv_bn(c, c, 3, 1), nn.ReLU(), *conv_bn(c, c, 3, 1)) for _ in range(n))
            for c, n in zip(channels, blocks))
        self.downs = nn.ModuleList(nn.Sequential(*conv_bn(a, b, 2, 2), nn.ReLU())
                                   for a, b in zip(channels[:-1], channels[1:]))

    def forward(self, dense: Tensor) -> Tensor:
        h = self.stem(dense)
        for s, blocks in enumerate(self.stages):
            if s > 0:
                h = self.downs[s - 1](h)
            for block in blocks:
                h = torch.relu(block(h) + h)
        return h.mean((2, 3, 4))


def to_dense(ev: Events, grid: int) -> Tensor:
    dense = ev.feats.new_zeros(ev.num_events, 1, grid, grid, grid)
    c = ev.coords
    dense[ev.batch, :, c[:, 0], c[:, 1], c[:, 2]] = torch.log1p(ev.feats)
    return dense


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4)
    parser.add_argument("--tracks", type=int, default=4)
    parser.add_argument("--points", type=int, default=80)
    parser.add_argument("--grid", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--no-dense", action="store_true", help="skip the dense conv3d baseline (slow for many events)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # MinkowskiEngine's CPU kernels use OpenBLAS / OpenMP threads, read when it is imported
    # (below); unbounded, they spin against each other on a shared machine.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    torch.manual_seed(0)

    ev = track_events(args.events, args.tracks, args.points, args.grid, seed=0)
    channels = (args.width, 2 * args.width, 4 * args.width)
    model = SparseResNet(1, channels=channels)
    steps = {"pure PyTorch sparse": lambda: model(ev).sum().backward()}
    try:
        from training.encoders.minkowski_backend import MinkowskiResNet

        me_model = MinkowskiResNet(model)
        steps["MinkowskiEngine"] = lambda: me_model(ev).sum().backward()
    except ImportError as err:
        print(f"MinkowskiEngine: skipped ({str(err).split(':')[0]})")
    if not args.no_dense:
        dense_model, dense = DenseResNet(channels), to_dense(ev, args.grid)
        steps["dense conv3d"] = lambda: dense_model(dense).sum().backward()
    results = median_times(steps, args.repeat, warmup=1, device=torch.device("cpu"), clock=time.process_time)

    occupancy = ev.num_points / (args.events * args.grid**3)
    print(f"batch: {args.events} events, {ev.num_points} voxels in {args.grid}^3 grids "
          f"(occupancy {occupancy:.2%}), width {args.width}, threads {args.threads}, median CPU time of "
          f"{args.repeat} forward+backward")
    base = results["pure PyTorch sparse"]
    for name, t in results.items():
        print(f"{name:>22}: {1e3 * t:9.1f} ms   x{t / base:6.2f} vs pure PyTorch sparse")


if __name__ == "__main__":
    main()
