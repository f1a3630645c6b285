"""CPU kernels (numba) of the per-point loops that torch's CPU operators run slowly: strided
column slices of (N, D) tensors and per-event gathers are done in one pass over the points here,
instead of a gather to an (N, K) temporary followed by a broadcast on each column.

Each kernel computes what the torch path of its caller computes, in the same order with the
same dtype, so the two agree bit for bit (tests/augment/test_cpu_kernels.py). The callers keep the
torch path for other devices, for half precision, and wherever autograd records
(:func:`use_cpu_kernel` decides, for every kernel alike).
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
import torch
from numba.np.unsafe.ndarray import to_fixed_tuple
from torch import Tensor

__all__ = ["use_cpu_kernel", "affine_cpu", "select_points_cpu", "keep_at_least_cpu", "segment_sum_cpu",
           "scale_features_cpu", "split_rows_cpu", "soft_smear_cpu", "check_values_cpu"]

_DTYPES = (torch.float32, torch.float64, torch.int64, torch.bool)


def use_cpu_kernel(*tensors: Tensor) -> bool:
    """Whether a numba kernel may replace the torch path for ``tensors``: all on the CPU, of
    float32, float64, int64 or bool (numba has no half precision; float16 and bfloat16 keep the
    torch path, which sums them in float32), floating ones all of one dtype (no promotion to
    mimic), and none that autograd records (numba writes plain arrays: gradients flow through
    the torch path only)."""
    grad = torch.is_grad_enabled()
    floats = set()
    for t in tensors:
        if t.device.type != "cpu" or t.dtype not in _DTYPES or (grad and t.requires_grad):
            return False
        if t.is_floating_point():
            floats.add(t.dtype)
    return len(floats) <= 1


def _array(t: Tensor) -> np.ndarray:
    return t.contiguous().numpy()


def affine_cpu(coords: Tensor, batch: Tensor, coefficients: Tensor | None, offsets: Tensor) -> Tensor | None:
    """(N, D) x' = A_b x + t_b for each point of event b = ``batch[i]``, in the coords' dtype:
    ``coefficients`` (B, D * D) the columns of each A_b one after the other (entry j D + r is
    A_b[r, j]) or None for the identity, ``offsets`` (B, D) t_b (coords' units). Summed as
    :func:`augment.functional.affine` does, t + A[:, 0] x_0 + A[:, 1] x_1 + ..., with no gathered
    (N, ...) copy of the coefficients. None (the caller takes the torch path) where ``batch``
    holds an index outside [0, B)."""
    out = torch.empty_like(coords, memory_format=torch.contiguous_format)
    x, b, t = _array(coords), _array(batch), _array(offsets)
    D = coords.shape[1]
    if coefficients is None:
        ok = _affine_kernel(D, False)(x, b, t, t, out.numpy())
    else:
        ok = _affine_kernel(D, True)(x, b, _array(coefficients), t, out.numpy())
    return out if ok else None


@functools.lru_cache(maxsize=None)
def _affine_kernel(D: int, linear: bool):
    """The loop of :func:`affine_cpu` for D coordinates, compiled once per (D, linear) (numba caches
    each on disk): with D a constant the loops over it unroll, and each event's coefficients are
    read into registers once per run of its points (4-5x faster than loops over a run-time D on
    255k 3-D points). ``linear`` False: a translation (``a`` unused)."""
    DD = D * D

    @numba.njit(cache=True, fastmath={"contract"})  # fused multiply-adds, as torch's CPU addcmul
    def kernel(x, batch, a, t, out):
        N, B = x.shape[0], t.shape[0]
        if N == 0:
            return True
        if B == 0:
            return False
        previous = -1
        coefficients = to_fixed_tuple(a[0], DD) if linear else to_fixed_tuple(t[0], D)
        offsets = to_fixed_tuple(t[0], D)
        for i in range(N):
            e = batch[i]
            if e != previous:
                if e < 0 or e >= B:
                    return False
                previous = e
                offsets = to_fixed_tuple(t[e], D)
                if linear:
                    coefficients = to_fixed_tuple(a[e], DD)
            for r in range(D):
                if linear:
                    acc = offsets[r] + coefficients[r] * x[i, 0]
                    for j in range(1, D):
                        acc = acc + coefficients[j * D + r] * x[i, j]
                else:
                    acc = offsets[r] + x[i, r]
                out[i, r] = acc
        return True

    return kernel


def select_points_cpu(coords: Tensor, feats: Tensor, batch: Tensor, keep: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The rows of ``coords`` (N, D), ``feats`` (N, C) and ``batch`` (N,) where ``keep`` (N,) bool
    is True, order kept, copied in one pass (no index of the kept rows). One host sync: the count."""
    k = _array(keep)
    m = _count(k)
    out_c = coords.new_empty((m, coords.shape[1]))
    out_f = feats.new_empty((m, feats.shape[1]))
    out_b = batch.new_empty(m)
    _select_kernel(coords.shape[1], feats.shape[1])(_array(coords), _array(feats), _array(batch), k, out_c.numpy(),
                                                    out_f.numpy(), out_b.numpy())
    return out_c, out_f, out_b


@numba.njit(cache=True)
def _count(keep):
    m = 0
    for i in range(keep.shape[0]):
        m += keep[i]
    return m


@functools.lru_cache(maxsize=None)
def _select_kernel(D: int, C: int):
    """The copy loop of :func:`select_points_cpu` for D coords and C feats columns, compiled once
    per (D, C): constant row lengths unroll (~1.5x faster than loops over run-time lengths)."""

    @numba.njit(cache=True)
    def kernel(coords, feats, batch, keep, out_c, out_f, out_b):
        m = 0
        for i in range(keep.shape[0]):
            if keep[i]:
                for j in range(D):
                    out_c[m, j] = coords[i, j]
                for j in range(C):
                    out_f[m, j] = feats[i, j]
                out_b[m] = batch[i]
                m += 1

    return kernel


def keep_at_least_cpu(key: Tensor, thresholds: Tensor, batch: Tensor) -> tuple[Tensor, bool] | None:
    """(keep (N,) bool, refill): ``key[i] >= thresholds[batch[i]]`` for ``key`` (N,) and ``thresholds``
    (B,) of one dtype, and whether an event with points keeps none of them (``refill``), in one
    pass (no gathered (N,) thresholds, no running count). None (the caller takes the torch path)
    where ``batch`` (N,) int64 holds an index outside [0, B)."""
    keep = torch.empty(key.shape[0], dtype=torch.bool)
    refill = _keep_at_least(_array(key), _array(thresholds), _array(batch), keep.numpy())
    return None if refill < 0 else (keep, bool(refill))


@numba.njit(cache=True)
def _keep_at_least(key, thresholds, batch, keep):
    """1 when an event is left empty, 0 when none is, -1 for an index outside [0, B)."""
    kept = np.zeros(thresholds.shape[0], np.int64)
    points = np.zeros(thresholds.shape[0], np.int64)
    for i in range(key.shape[0]):
        e = batch[i]
        if e < 0 or e >= thresholds.shape[0]:
            return -1
        k = key[i] >= thresholds[e]
        keep[i] = k
        kept[e] += k
        points[e] += 1
    for e in range(kept.shape[0]):
        if points[e] > 0 and kept[e] == 0:
            return 1
    return 0


def segment_sum_cpu(values: Tensor, offsets: Tensor) -> Tensor:
    """(B, ...) the sums of ``values`` (N, ...) float32 or float64 over rows ``offsets[b]:offsets[b + 1]``
    ((B + 1,) int64, non-decreasing), in the values' dtype: each entry summed row after row from 0,
    as ``torch.segment_reduce(values, "sum", lengths=offsets.diff())`` does on the CPU (the same
    bits), in one pass over the rows instead of one per column."""
    inner = math.prod(values.shape[1:])
    out = torch.empty((offsets.shape[0] - 1, *values.shape[1:]), dtype=values.dtype)
    kernel = _segment_sum_kernel(inner) if 1 <= inner <= 4 else _segment_sum
    kernel(_array(values).reshape(values.shape[0], inner), _array(offsets), out.numpy().reshape(out.shape[0], inner))
    return out


@numba.njit(cache=True)
def _segment_sum(values, offsets, out):
    for b in range(out.shape[0]):
        for k in range(out.shape[1]):
            out[b, k] = 0
        for i in range(offsets[b], offsets[b + 1]):
            for k in range(out.shape[1]):
                out[b, k] = out[b, k] + values[i, k]


@functools.lru_cache(maxsize=None)
def _segment_sum_kernel(K: int):
    """:func:`_segment_sum` for K <= 4 columns: the K running sums in registers (K independent
    chains of additions instead of a store and reload per row), the same additions in the same order."""

    @numba.njit(cache=True)
    def kernel(values, offsets, out):
        for b in range(out.shape[0]):
            s0 = s1 = s2 = s3 = out.dtype.type(0)
            for i in range(offsets[b], offsets[b + 1]):
                s0 += values[i, 0]
                if K > 1:
                    s1 += values[i, 1]
                if K > 2:
                    s2 += values[i, 2]
                if K > 3:
                    s3 += values[i, 3]
            out[b, 0] = s0
            if K > 1:
                out[b, 1] = s1
            if K > 2:
                out[b, 2] = s2
            if K > 3:
                out[b, 3] = s3

    return kernel


def scale_features_cpu(feats: Tensor, factors: Tensor, columns: tuple[int, ...],
                       batch: Tensor | None = None) -> Tensor | None:
    """(N, C) ``feats`` with, for each of ``columns`` (in [0, C), in order, a repeated column
    multiplied again), the column multiplied by ``factors`` (N,) of the feats' dtype, or with
    ``batch`` (N,) int64 by its event's entry of ``factors`` (B,) (no gathered (N,) copy); the
    other columns copied: a copy, then one pass down each scaled column. None (the caller takes
    the torch path) where ``batch`` holds an index outside [0, B)."""
    out = feats.clone(memory_format=torch.contiguous_format)
    index = factors.new_empty(0, dtype=torch.int64) if batch is None else batch
    ok = _scale_columns(out.numpy(), _array(factors), np.asarray(columns, dtype=np.int64), _array(index),
                        batch is not None)
    return out if ok else None


@numba.njit(cache=True)
def _scale_columns(out, factors, columns, batch, per_event):
    if per_event:
        for i in range(batch.shape[0]):
            if batch[i] < 0 or batch[i] >= factors.shape[0]:
                return False
    for k in range(columns.shape[0]):
        c = columns[k]
        for i in range(out.shape[0]):
            out[i, c] = out[i, c] * (factors[batch[i]] if per_event else factors[i])
    return True


def split_rows_cpu(split: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
    """(parent (M,) int64, share (M,)) of :func:`augment.functional.collinear_split`: each point i
    once, or twice where ``split`` (N,) bool is True, M = N + split.sum(); its pT share, ``r[i]``
    (dimensionless, ``r``'s dtype) for a split parent and 1 - r[i] for its daughter right after
    it, 1 for a point not split. One pass, no repeat_interleave. One host sync: M."""
    s, rr = _array(split), _array(r)
    m = s.shape[0] + _count(s)
    parent = torch.empty(m, dtype=torch.int64)
    share = r.new_empty(m)
    _split_rows(s, rr, parent.numpy(), share.numpy())
    return parent, share


@numba.njit(cache=True)
def _split_rows(split, r, parent, share):
    m = 0
    for i in range(split.shape[0]):
        parent[m] = i
        if split[i]:
            share[m] = r[i]
            parent[m + 1] = i
            share[m + 1] = 1 - r[i]
            m += 2
        else:
            share[m] = 1
            m += 1


def soft_smear_cpu(coords: Tensor, pt: Tensor, noise: Tensor, scale: float, pt_min: float) -> Tensor | None:
    """(N, 2) :func:`augment.functional.soft_smear` in one pass: (eta, phi) ``coords`` (N, 2) plus
    ``noise`` (N, 2) times the width ``scale`` (GeV) / max(``pt`` (N,) GeV, ``pt_min``), phi wrapped
    into [-pi, pi), with the torch path's operations in its order and dtype (the width as the
    reciprocal of the floored pT times ``scale``, as torch's ``number / tensor``; the wrap as
    :func:`augment.functional.wrap_phi`: fmod, exact, then the same roundings). None (the caller takes
    the torch path, which raises its error) unless coords and noise are (N, 2) and pt (N,)."""
    N = coords.shape[0]
    if coords.shape != (N, 2) or noise.shape != (N, 2) or pt.shape != (N,):
        return None
    out = torch.empty_like(coords, memory_format=torch.contiguous_format)
    constants = torch.tensor([scale, pt_min, math.pi, 2 * math.pi, 1.0], dtype=coords.dtype).numpy()
    _soft_smear(_array(coords), _array(pt), _array(noise), constants, out.numpy())
    return out


@numba.njit(cache=True, error_model="numpy")  # x / 0 is inf (a zero pT under a zero floor), as in torch
def _soft_smear(coords, pt, noise, constants, out):
    scale, pt_min, pi, two_pi, one = constants[0], constants[1], constants[2], constants[3], constants[4]
    for i in range(coords.shape[0]):
        width = (one / max(pt[i], pt_min)) * scale
        out[i, 0] = coords[i, 0] + noise[i, 0] * width
        mod = coords[i, 1] + noise[i, 1] * width + pi
        if not 0 <= mod < two_pi:  # fmod(x, y) is x itself for 0 <= x < y (the common case): no call
            mod = np.fmod(mod, two_pi)
            if mod < 0:
                mod += two_pi
        phi = mod - pi
        out[i, 1] = phi - two_pi if phi >= pi else phi


def check_values_cpu(coords: Tensor, feats: Tensor, batch: Tensor) -> tuple[bool, bool, bool, int, int]:
    """(feats all finite, coords all finite (True for int64 coords), ``batch`` (N,) not sorted,
    its first and last index (0, 0 when empty)) in one pass over each tensor: the checks of
    :meth:`augment.Events.validate`. A float is finite unless its exponent bits are all ones;
    they are read as integers, an integer max that the compiler vectorises."""
    f_ok = _finite(feats)
    c_ok = _finite(coords) if coords.is_floating_point() else True
    b = _array(batch)
    unsorted = _unsorted(b)
    first, last = (int(b[0]), int(b[-1])) if b.shape[0] else (0, 0)
    return f_ok, c_ok, unsorted, first, last


def _finite(t: Tensor) -> bool:
    if t.dtype == torch.float32:
        return _exponent_max(_array(t).reshape(-1).view(np.int32), np.int32(0x7F800000)) < 0x7F800000
    return _exponent_max(_array(t).reshape(-1).view(np.int64), np.int64(0x7FF0000000000000)) < 0x7FF0000000000000


@numba.njit(cache=True)
def _exponent_max(bits, mask):
    m = 0
    for i in range(bits.shape[0]):
        m = max(m, bits[i] & mask)
    return m


@numba.njit(cache=True)
def _unsorted(batch):
    n = 0
    for i in range(1, batch.shape[0]):
        n += batch[i] < batch[i - 1]
    return n > 0
