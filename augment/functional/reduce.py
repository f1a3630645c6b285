"""Per-event reductions over a ragged batch sorted by event (sums and means by segments) and the
gather of per-event values to points."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from augment.functional.cpu import segment_sum_cpu, use_cpu_kernel

__all__ = ["event_offsets", "event_sum", "event_mean", "to_points", "gather_rows", "unique_rows", "accumulation_dtype",
           "event_min_max"]


def event_offsets(batch: Tensor, num_events: int) -> Tensor:
    """(B + 1,) int64: event i is rows ``offsets[i]:offsets[i + 1]`` of a non-decreasing ``batch``.

    A binary search for each event's first row (B log N work, ~30x faster than a bincount of N)."""
    return torch.searchsorted(batch, torch.arange(num_events + 1, device=batch.device))


def to_points(values: Tensor, batch: Tensor) -> Tensor:
    """(N, ...) the per-event ``values`` (B, ...) of each point's event: ``values[batch]``.

    ``index_select`` gives the same result as advanced indexing and is about 4x faster on CPU."""
    return values.index_select(0, batch)


# Integer words of each size: rows of that many bytes are gathered as one word by gather_rows.
_WORDS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def gather_rows(values: Tensor, index: Tensor) -> Tensor:
    """(M, ...) the rows ``index`` (M,) int64 of ``values`` (N, ...): ``values.index_select(0, index)``,
    bit for bit.

    A contiguous row of 1, 2, 4 or 8 bytes (e.g. (eta, phi) or (dE, dx) in float32) is gathered as
    one integer word: a 1-D gather, 2-4x faster on CPU than one of rows of several values. Values
    that autograd records are gathered as they are (a reinterpreted view has no gradient)."""
    rows, row = values.shape[0], math.prod(values.shape[1:])
    word = _WORDS.get(row * values.element_size())
    if values.dim() < 2 or word is None or rows < 2 or not values.is_contiguous() or (
            values.requires_grad and torch.is_grad_enabled()):
        return values.index_select(0, index)
    words = values.view(rows, row).view(word).view(rows)  # contiguous, 2+ rows: (rows, row) strides
    return words.index_select(0, index).view(values.dtype).view(index.shape[0], *values.shape[1:])


def accumulation_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype sums are accumulated in: float32 for half precision (float16, bfloat16), else ``dtype``."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def event_sum(values: Tensor, batch: Tensor, num_events: int, dtype: torch.dtype | None = None, *,
              offsets: Tensor | None = None) -> Tensor:
    """(B, ...) sum of ``values`` (N, ...) over each event's points; 0 for empty events. ``batch``
    (N,) int64 non-decreasing (points sorted by event, as in :class:`~augment.Events`).

    Floating values are summed by segments (``torch.segment_reduce`` over each event's run of rows:
    ~2x faster than an ``index_add_`` on CPU, the same sums event by event; on the CPU
    :func:`~augment.functional.cpu.segment_sum_cpu`, the same bits in one pass); integer values, and no
    values at all, by ``index_add_``. Half-precision values are accumulated in float32 (a float16
    sum of 5000 pT fractions would stall near 2); the result is cast to ``dtype`` (default:
    ``values.dtype``). ``offsets``: :func:`event_offsets` of ``batch``, when the caller has them."""
    acc = accumulation_dtype(values.dtype)
    if values.is_floating_point() and values.numel():  # segment_reduce refuses empty input
        offsets = event_offsets(batch, num_events) if offsets is None else offsets
        if use_cpu_kernel(values, offsets) and values.dtype == acc:
            sums = segment_sum_cpu(values, offsets)
        else:
            sums = torch.segment_reduce(values.to(acc), "sum", lengths=offsets.diff(), axis=0)
    else:
        sums = values.new_zeros((num_events, *values.shape[1:]), dtype=acc).index_add_(0, batch, values.to(acc))
    return sums.to(values.dtype if dtype is None else dtype)


def event_mean(values: Tensor, batch: Tensor, num_events: int, weights: Tensor | None = None) -> Tensor:
    """(B, D) mean of ``values`` (N, D) over each event's points, weighted by ``weights`` (N,) if given.
    ``batch`` sorted as for :func:`event_sum`.

    Events with no points, or whose weights sum to 0, get 0 (never NaN). Counts, sums and the
    division are computed in float32 for half-precision values (a float16 count overflows above
    65504 points), the mean returned in ``values.dtype``."""
    acc = accumulation_dtype(values.dtype)
    if weights is None:  # unit weights: the same sums without the multiplications
        offsets = event_offsets(batch, num_events)
        total = offsets.diff().to(acc)
        sums = event_sum(values, batch, num_events, acc, offsets=offsets)
    else:
        w = weights.to(acc)
        total = event_sum(w, batch, num_events)
        sums = event_sum(values.to(acc) * w[:, None], batch, num_events)
    safe = torch.where(total == 0, torch.ones_like(total), total)
    mean = torch.where((total == 0)[:, None], torch.zeros_like(sums), sums / safe[:, None])
    return mean.to(values.dtype)


def unique_rows(keys: Tensor) -> tuple[Tensor, Tensor]:
    """``torch.unique(keys, dim=0, return_inverse=True)`` for (N, K) int64 rows, same result.

    When the rows' value ranges fit, each row is packed into one int64 (mixed radix, first column
    most significant, so the order is the same lexicographic order) and a 1-D unique does the
    work: much faster than ``unique(dim=0)`` (~10x on 2M rows, see bench/detector.py)."""
    if keys.shape[0] == 0:
        return torch.unique(keys, dim=0, return_inverse=True)
    low = keys.min(0).values
    spans = [hi - lo + 1 for hi, lo in zip(keys.max(0).values.tolist(), low.tolist())]  # Python ints: no overflow
    if math.prod(spans) >= 2 ** 63:
        return torch.unique(keys, dim=0, return_inverse=True)
    packed = keys[:, 0] - low[0]
    for j in range(1, keys.shape[1]):  # Horner: packed = packed * span_j + column j
        packed.mul_(spans[j]).add_(keys[:, j] - low[j])
    unique, inverse = torch.unique(packed, sorted=True, return_inverse=True)
    rows = keys.new_empty(len(unique), keys.shape[1])
    rows[inverse] = keys  # duplicates write identical rows
    return rows, inverse


def event_min_max(values: Tensor, batch: Tensor, num_events: int, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(B, D) per-event minimum and maximum of ``values`` (N, D) over the points where ``mask``
    (N,) bool is True (all points if None). Events with no such point get 0 for both."""
    if mask is not None:
        values, batch = values[mask], batch[mask]
    index = batch[:, None].expand_as(values)
    low = values.new_zeros((num_events, values.shape[1])).scatter_reduce(0, index, values, "amin", include_self=False)
    high = values.new_zeros((num_events, values.shape[1])).scatter_reduce(0, index, values, "amax", include_self=False)
    return low, high
