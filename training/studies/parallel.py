"""Independent study runs (seeds, rows) spread over worker processes, both cores at work.

Every worker receives the study's shared inputs once (at start-up, not with every job) and runs
jobs with one torch thread pool of ``threads``; results come back in the order of the jobs, so a
study's output does not depend on the number of processes."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, Callable, Sequence

import torch

__all__ = ["map_jobs"]

_FUNCTION: Callable[[Any, Any], Any] | None = None
_SHARED: Any = None


def _init_worker(function: Callable[[Any, Any], Any], shared: Any, threads: int) -> None:
    global _FUNCTION, _SHARED
    _FUNCTION, _SHARED = function, shared
    torch.set_num_threads(threads)


def _call(job: Any) -> Any:
    return _FUNCTION(_SHARED, job)


def map_jobs(function: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], processes: int,
             threads: int = 1) -> list:
    """``[function(shared, job) for job in jobs]`` in ``processes`` spawned worker processes (1: in
    this process). ``function`` must be a module-level function (it is pickled by name)."""
    if processes == 1:
        torch.set_num_threads(threads)
        return [function(shared, job) for job in jobs]
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(function, shared, threads)) as pool:
        return list(pool.map(_call, jobs))
