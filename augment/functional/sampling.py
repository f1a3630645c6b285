"""Point-selection kernels on ragged batches: keep a subset of points, never empty an event."""

from __future__ import annotations

import torch
from torch import Tensor

from augment.functional.cpu import keep_at_least_cpu, select_points_cpu, use_cpu_kernel
from augment.functional.reduce import event_offsets, gather_rows, to_points

__all__ = ["select_points", "keep_at_least", "keep_one_per_event", "restore_emptied"]


def select_points(coords: Tensor, feats: Tensor, batch: Tensor, keep: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The points where ``keep`` (N,) bool is True: (coords, feats, batch), order kept.

    On the CPU (no autograd recording) the rows are copied in one pass by
    :func:`~augment.functional.cpu.select_points_cpu`, ~5x faster than the index and three gathers."""
    if use_cpu_kernel(coords, feats, batch, keep):
        return select_points_cpu(coords, feats, batch, keep)
    rows = keep.nonzero().squeeze(1)  # once, rather than once per boolean-mask index
    return gather_rows(coords, rows), gather_rows(feats, rows), batch.index_select(0, rows)


def _kept_per_event(keep: Tensor, offsets: Tensor) -> Tensor:
    """(B,) int64: how many points of each event ``keep`` (N,) bool keeps, for events at rows
    ``offsets`` (B + 1,): a running count read at each event's boundaries (one pass, no scatter)."""
    if keep.shape[0] == 0:
        return offsets.new_zeros(offsets.shape[0] - 1)
    running = keep.cumsum(0, dtype=torch.int32)  # int32: half the memory; exact below 2^31 points
    at = running.index_select(0, (offsets - 1).clamp_min(0)) * (offsets > 0)
    return at.diff().long()


def _emptied(keep: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(N,) bool: the point's event has points but ``keep`` keeps none of them."""
    return to_points(_kept_per_event(keep, event_offsets(batch, num_events)) == 0, batch)


def keep_one_per_event(keep: Tensor, batch: Tensor, key: Tensor, num_events: int) -> Tensor:
    """``keep`` plus, in each non-empty event where it keeps no point, the point with the
    highest ``key`` (N,) (the first such point on ties)."""
    offsets = event_offsets(batch, num_events)
    kept = _kept_per_event(keep, offsets)
    if not bool(((kept == 0) & (offsets.diff() > 0)).any()):
        return keep  # the common case, decided on (B,) values: no event to refill
    emptied = to_points(kept == 0, batch)
    n = key.shape[0]
    best = key.new_full((num_events,), -torch.inf).scatter_reduce(0, batch, key, "amax")
    index = torch.arange(n, device=key.device)
    candidate = torch.where(key == to_points(best, batch), index, n)  # n: not a candidate
    first = torch.full((num_events,), n, dtype=torch.int64, device=key.device).scatter_reduce(
        0, batch, candidate, "amin")
    return keep | (emptied & (index == to_points(first, batch)))


def keep_at_least(key: Tensor, thresholds: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(N,) bool: the points whose ``key`` (N,) is at least their event's threshold (``thresholds``
    (B,), the key's dtype), plus, in each non-empty event where none is, the point with the highest
    key (:func:`keep_one_per_event`). On the CPU the comparison and the per-event counts are one
    numba pass (:func:`~augment.functional.cpu.keep_at_least_cpu`), the rare refill as here."""
    found = keep_at_least_cpu(key, thresholds, batch) if use_cpu_kernel(key, thresholds, batch) else None
    if found is not None:
        keep, refill = found
        return keep_one_per_event(keep, batch, key, num_events) if refill else keep
    return keep_one_per_event(key >= to_points(thresholds, batch), batch, key, num_events)


def restore_emptied(keep: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """``keep`` with every point of the events it would empty set back to True."""
    return keep | _emptied(keep, batch, num_events)
