"""CPU kernel of :func:`systematics.functional.diffusion.grid_charge`: the voxel shares of each
event expanded, sorted and summed in one numba pass (docs/physics.md section 1.5).

The torch path materialises every share (M of them, ~5 per deposit) in a dozen (M,) tensors and
sorts them all at once; here each event's shares are generated into a buffer that fits the cache,
sorted there by a stable LSD radix sort on the event's voxel keys (its bounding box, at most 12
bits per pass) and summed in that order. The result is the torch path's, bit for bit: the same
weights ((m_x m_y) m_z of the axis fractions, times the charge), the same stable order (each voxel
sums its shares in expansion order, deposit after deposit, z fastest), the same float dtype.
Charge in electrons.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import Tensor

__all__ = ["sum_shares_cpu", "box_strides", "sort_and_sum"]

_DIGIT_BITS = 12  # radix of the sort: 4096 counters, within the L1 cache


def sum_shares_cpu(first: Tensor, count: Tensor, mass: Tensor, charge: Tensor,
                   batch: Tensor) -> tuple[Tensor, Tensor, Tensor] | None:
    """(voxel (V, 3) int64, charge (V,), event (V,) int64): the ``charge`` (N,) electrons of each
    deposit shared over the voxels of its axis ranges (``first``, ``count`` (N, 3) int64 and
    ``mass`` (N, 3, K), as :class:`AxisShares`) and summed per (event, voxel), sorted by event then
    voxel index. CPU tensors; ``batch`` (N,) int64. None where this kernel does not apply and the
    caller takes the torch path: ``batch`` not sorted, an event's voxel box past 2^62 keys, or
    ``mass`` and ``charge`` of different dtypes. One host sync (the buffer sizes)."""
    if mass.dtype != charge.dtype or charge.dtype not in (torch.float32, torch.float64):
        return None
    n = count.prod(1)
    per_event = torch.zeros(int(batch.max()) + 1, dtype=torch.int64).index_add_(0, batch, n)
    total, largest = torch.stack([n.sum(), per_event.max()]).tolist()
    # Buffers from torch (not numpy) so that torch's memory profiler (bench.timing.peak_bytes) sees them.
    work_keys = torch.empty(2, largest, dtype=torch.int64)
    work_charge = torch.empty(2, largest, dtype=charge.dtype)
    voxel = torch.empty(total, 3, dtype=torch.int64)
    q = torch.empty(total, dtype=charge.dtype)
    event = torch.empty(total, dtype=torch.int64)
    V = _sum_shares(first.contiguous().numpy(), count.contiguous().numpy(), mass.numpy(),
                    charge.contiguous().numpy(), batch.contiguous().numpy(), work_keys.numpy(), work_charge.numpy(),
                    voxel.numpy(), q.numpy(), event.numpy())
    if V < 0:
        return None
    return voxel[:V], q[:V], event[:V]


@numba.njit(cache=True)
def _sum_shares(first, count, mass, charge, batch, work_keys, work_charge, voxel, q, event):
    """The loop of :func:`sum_shares_cpu`; returns V, or -1 where the kernel does not apply."""
    N = first.shape[0]
    for d in range(1, N):
        if batch[d] < batch[d - 1]:
            return -1
    hist = np.empty(1 << _DIGIT_BITS, np.int64)
    V = 0
    a = 0
    while a < N:
        b = a
        while b < N and batch[b] == batch[a]:
            b += 1
        lo0, lo1, lo2 = first[a, 0], first[a, 1], first[a, 2]
        hi0, hi1, hi2 = lo0, lo1, lo2
        for d in range(a, b):
            lo0 = min(lo0, first[d, 0])
            lo1 = min(lo1, first[d, 1])
            lo2 = min(lo2, first[d, 2])
            hi0 = max(hi0, first[d, 0] + count[d, 0])
            hi1 = max(hi1, first[d, 1] + count[d, 1])
            hi2 = max(hi2, first[d, 2] + count[d, 2])
        s1, s2 = box_strides(lo0, lo1, lo2, hi0, hi1, hi2)
        if s1 == 0:
            return -1
        # Expansion, deposit after deposit, z fastest: key of the voxel in the event's box, and charge.
        keys, values = work_keys[0], work_charge[0]
        m = 0
        for d in range(a, b):
            for i in range(count[d, 0]):
                ki = (first[d, 0] + i - lo0) * s1
                mi = mass[d, 0, i]
                for j in range(count[d, 1]):
                    kj = ki + (first[d, 1] + j - lo1) * s2
                    mij = mi * mass[d, 1, j]
                    for k in range(count[d, 2]):
                        keys[m] = kj + first[d, 2] + k - lo2
                        values[m] = charge[d] * (mij * mass[d, 2, k])
                        m += 1
        V = sort_and_sum(work_keys, work_charge, m, (hi0 - lo0) * s1, batch[a], lo0, lo1, lo2, s1, s2, hist, voxel, q,
                         event, V)
        a = b
    return V


@numba.njit(cache=True)
def box_strides(lo0, lo1, lo2, hi0, hi1, hi2):
    """(s1, s2): the strides of axes 0 and 1 of the keys of an event's voxel box [lo, hi) (axis 2's
    is 1), or (0, 0) when the box holds 2^62 keys or more (int64 keys would overflow)."""
    s2 = hi2 - lo2
    if hi1 - lo1 >= (1 << 62) // s2:
        return 0, 0
    s1 = (hi1 - lo1) * s2
    if hi0 - lo0 >= (1 << 62) // s1:
        return 0, 0
    return s1, s2


@numba.njit(cache=True)
def sort_and_sum(work_keys, work_charge, m, key_range, event_index, lo0, lo1, lo2, s1, s2, hist, voxel, q, event, V):
    """One event's m shares, keys ``work_keys[0, :m]`` in [0, ``key_range``) (the voxel's place in
    the event's box of strides ``s1``, ``s2``, 1 from corner (``lo0``, ``lo1``, ``lo2``)) and
    charges ``work_charge[0, :m]``: sorted by a stable LSD radix sort (ping-ponging between the two
    rows, ``hist`` of 2^12 counters) and summed per run of equal keys in that order (from its first
    share's value) into ``voxel``, ``q``, ``event`` from row V on. Returns the new V."""
    bits = 0
    while (key_range - 1) >> bits > 0:
        bits += 1
    passes = (bits + _DIGIT_BITS - 1) // _DIGIT_BITS
    width = (bits + passes - 1) // passes if passes else 1
    mask = (1 << width) - 1
    src = 0
    for p in range(passes):
        shift = p * width
        hist[:mask + 1] = 0
        for t in range(m):
            hist[(work_keys[src, t] >> shift) & mask] += 1
        total = 0
        for h in range(mask + 1):
            c = hist[h]
            hist[h] = total
            total += c
        for t in range(m):
            key = work_keys[src, t]
            h = (key >> shift) & mask
            at = hist[h]
            hist[h] = at + 1
            work_keys[1 - src, at] = key
            work_charge[1 - src, at] = work_charge[src, t]
        src = 1 - src
    # Sum each run of equal keys in order; unpack the key once per voxel.
    previous = -1
    for t in range(m):
        key = work_keys[src, t]
        if key != previous:
            event[V] = event_index
            voxel[V, 0] = key // s1 + lo0
            voxel[V, 1] = key % s1 // s2 + lo1
            voxel[V, 2] = key % s2 + lo2
            previous = key
            q[V] = work_charge[src, t]
            V += 1
        else:
            q[V - 1] += work_charge[src, t]
    return V
