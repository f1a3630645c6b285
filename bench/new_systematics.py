"""Cost of the space-charge and readout-channel systematics in the response, as ratios.

``python -m bench.new_systematics [--events 64] [--repeats 5]``: toy-gun events read out as in the
studies (``LARTPC_GEOMETRY``), timed interleaved (bench/timing.py) on one thread: the nominal
response, then the response after each new throw at the top of its range, and after every throw
of the table at once (``DetectorThrow``). Prints each median and its ratio to the nominal one.
"""

from __future__ import annotations

import argparse

import torch

from augment import Compose
from bench.timing import median_times
from bench.workloads import gun_batch
from systematics import DeadChannelThrow, DetectorResponse, DetectorThrow, GainThrow, SpaceChargeThrow
from training.studies.tasks import LARTPC_GEOMETRY


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    events = gun_batch(args.events)
    response = DetectorResponse(geometry=LARTPC_GEOMETRY)
    pipelines = {
        "nominal response": response,
        "space charge 1.0": Compose([SpaceChargeThrow(range=(1.0, 1.0)), response]),
        "10% dead, 5% noisy": Compose([DeadChannelThrow(dead=(0.1, 0.1), noisy=(0.05, 0.05)), response]),
        "gain spread 10%": Compose([GainThrow(range=(0.1, 0.1)), response]),
        "DetectorThrow (all)": Compose([DetectorThrow(space_charge=True), response]),
    }
    fns = {name: (lambda p=p: p(events, 0)) for name, p in pipelines.items()}
    times = median_times(fns, args.repeats, warmup=1, device=events.device)
    base = times["nominal response"]
    print(f"{args.events} toy-gun events, {events.num_points} deposits, 1 thread, median of {args.repeats}")
    for name, t in times.items():
        print(f"{name:>22}: {t * 1e3:8.1f} ms  x{t / base:.2f}")
    return times


if __name__ == "__main__":
    main()
