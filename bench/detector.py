"""Benchmark: the detector response (analytic diffusion) on a ragged batch, against a per-event
Python loop and against the former sampled response (k random copies per deposit, k = 8), same
run, interleaved; and its peak memory against the input deposits.

Builds synthetic track-like events (no gun dependency): each event is ``tracks`` straight tracks
of 100 steps of 0.3 cm (10 tracks: 1000 deposits), MIP-like dE with an exponential tail, inside
the default drift volume (z in [0, 50.4] cm). Every parameter is thrown per event
(``Compose([DetectorThrow(), DetectorResponse()])``). For each size in ``--tracks`` prints the
median wall time of ``--repeats`` runs and the ratios loop / batched and sampled / batched, and
the peak memory of the batched response over the bytes of its input (coords, feats, batch). On
CPU a second table times the readout stage alone (channels, noise, threshold of the collected
voxels): ``F.read_out`` (its numba kernel) against its torch path (``kernel=False``: read_channels
then digitise, the path of other devices), interleaved in the same run.
Targets (issue 9): loop / batched >= 10 and sampled / batched >= 5 at 1000 deposits per event,
peak / input <= 10.

    nice python -m bench.detector [--events 256] [--tracks 10 1] [--repeats 5] [--threads 1] [--cpu-time]

``--cpu-time`` times the process's CPU time (``time.process_time``, CPU and 1 thread only) instead
of the wall time: on a shared machine it counts the work, not the time other jobs took.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from augment import Compose, DetectorResponse, DetectorThrow, Events
from bench.timing import median_times, peak_bytes
from systematics import functional as F

SAMPLED_K = 8  # the former response's diffusion copies per deposit


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


def sampled_response(response: DetectorResponse, events: Events, generator: torch.Generator) -> F.ResponseResult:
    """The former response: k = 8 Gaussian copies per deposit, then voxelised (the baseline)."""
    offsets = torch.randn(events.num_points, SAMPLED_K, 3, generator=generator, dtype=events.coords.dtype,
                          device=events.device)
    seed = response.sample(events, generator)["noise_seed"]
    return F.detector_response(events.coords, events.feats, events.batch, events.num_events, response.values(events),
                               response.params.recombination, response.geometry, response.readout, seed,
                               offsets=offsets)


def readout_times(response: DetectorResponse, events: Events, repeats: int,
                  clock: Callable[[], float]) -> dict[str, float]:
    """Median times of the readout stage of ``events`` (thrown): the CPU kernel and the torch path."""
    values = response.values(events)
    seed = response.sample(events, torch.Generator().manual_seed(0))["noise_seed"]
    collected = F.collect_charge(events.coords, events.feats, events.batch, events.num_events, values,
                                 response.params.recombination, response.geometry, response.readout)
    return median_times({
        "kernel": lambda: F.read_out(collected, values, seed, response.geometry, response.readout),
        "torch": lambda: F.read_out(collected, values, seed, response.geometry, response.readout, kernel=False),
    }, repeats, warmup=1, device=events.device, clock=clock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=256)
    parser.add_argument("--tracks", type=int, nargs="+", default=[10, 1], help="tracks of 100 deposits per event")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the process's CPU time, not wall time (CPU, 1 thread: robust to other jobs' load)")
    args = parser.parse_args()
    if args.cpu_time and (args.device != "cpu" or args.threads != 1):
        parser.error("--cpu-time: needs --device cpu and --threads 1 (CPU time of several threads adds up)")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    throw, response = DetectorThrow(), DetectorResponse()
    print(f"Compose([DetectorThrow(), DetectorResponse()]), {args.events} events, device {device}, "
          f"{torch.get_num_threads()} thread(s), median of {args.repeats}, interleaved, "
          f"{'CPU' if args.cpu_time else 'wall'} time\n")
    print("| deposits/event | batched (s) | per-event loop (s) | sampled k=8 (s) | loop / batched "
          "| sampled / batched | peak memory / input |\n|---|---|---|---|---|---|---|")
    clock = time.process_time if args.cpu_time else time.perf_counter
    thrown = {}
    for tracks in args.tracks:
        events = throw(synthetic_events(args.events, tracks).to(device), 0)  # thrown attrs, then timed response
        thrown[tracks] = events
        singles = [events.index_select_events(torch.tensor([i], device=device)) for i in range(events.num_events)]

        def loop():
            g = torch.Generator(device).manual_seed(0)
            for single in singles:
                response(single, g)

        times = median_times({
            "batched": lambda: response(events, torch.Generator(device).manual_seed(0)),
            "loop": loop,
            "sampled": lambda: sampled_response(response, events, torch.Generator(device).manual_seed(0)),
        }, args.repeats, warmup=1, device=device, clock=clock)
        size = sum(t.numel() * t.element_size() for t in (events.coords, events.feats, events.batch))
        memory = peak_bytes(lambda: response(events, torch.Generator(device).manual_seed(0)), device) / size
        b = times["batched"]
        print(f"| {events.num_points // events.num_events} | {b:.4f} | {times['loop']:.4f} | {times['sampled']:.4f} | "
              f"{times['loop'] / b:.1f} | {times['sampled'] / b:.1f} | {memory:.1f} |")
    if device.type != "cpu":
        return
    print("\n| deposits/event | readout kernel (s) | readout torch path (s) | torch path / kernel |\n|---|---|---|---|")
    for tracks, events in thrown.items():
        t = readout_times(response, events, args.repeats, clock)
        print(f"| {events.num_points // events.num_events} | {t['kernel']:.4f} | {t['torch']:.4f} | "
              f"{t['torch'] / t['kernel']:.2f} |")


if __name__ == "__main__":
    main()
