"""Timing for the benchmarks: medians over interleaved repeats, so load changes on a shared
machine hit every timed function alike."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch


def median_times(fns: dict[str, Callable[[], object]], repeats: int, warmup: int,
                 device: torch.device, clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median time (s, by ``clock``: wall time by default) of each of ``fns`` over ``repeats``
    calls after ``warmup`` calls. ``clock=time.process_time`` counts this process's CPU time
    only, which a loaded machine inflates far less than the wall time.

    The functions take turns (round robin), so load changes on a shared machine hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(warmup + repeats):
        for name, fn in fns.items():
            start = clock()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i >= warmup:
                times[name].append(clock() - start)
    return {name: statistics.median(t) for name, t in times.items()}
