"""Timing for the benchmarks: medians over interleaved repeats, so load changes on a shared
machine hit every timed function alike."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch


def median_times(fns: dict[str, Callable[[], object]], repeats: int, warmup: int,
                 device: torch.device, clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median wall time (s) of each of ``fns`` over ``repeats`` calls after ``warmup`` calls.

    The functions take turns (round robin), so load changes on a shared machine hit all alike.
    ``clock=time.process_time`` measures the process's CPU time instead (CPU only: with one torch
    thread, the time the work itself took, without the time the machine gave to other jobs)."""
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


def peak_bytes(fn: Callable[[], object], device: torch.device) -> int:
    """Peak memory (bytes) that ``fn`` holds at once on ``device``, its kept result included.

    CUDA: the caching allocator's peak above what was allocated before. CPU: the running sum of the
    profiler's allocation/free records (``profile_memory=True``), in time order."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        result = fn()
        torch.cuda.synchronize(device)
        del result
        return torch.cuda.max_memory_allocated(device) - before
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
    del result
    records = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                     if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU)
    held = peak = 0
    for _, nbytes in records:
        held += nbytes
        peak = max(peak, held)
    return peak
