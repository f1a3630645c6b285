"""CPU (numba) kernels of the kernel-map building in :mod:`training.encoders.functional.sparse_conv`.

At a few events (hundreds of voxels) a forward + backward pass of ``SparseResNet`` is dominated by
fixed costs per call, and the torch path of the map building is two dozen small operations per
map (searchsorted, gathers, comparisons, ``nonzero``, scattered writes): ~0.5 ms per map on one
core, as long as the convolutions that use it. Here each step is one loop over the sites, with
the same results as the torch path (tested equal): ``neighbours_cpu`` replaces the batched
``searchsorted`` and z walk, ``fill_chunks_cpu`` the grouping of pairs into padded chunks.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import Tensor

__all__ = ["neighbours_cpu", "fill_chunks_cpu", "downsample_cpu"]


def neighbours_cpu(keys: Tensor, shifts: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """``(found, source)``, (C * k, N) bool and int64: for column c (key shift ``shifts[c]`` of
    its (dx, dy)) and dz = -(k // 2)..k // 2 (row ``c * k + dz + k // 2``), whether ``keys[o] +
    shifts[c] + dz`` is a key and, where it is, its position in ``keys``.

    ``keys`` (N,) int64 strictly increasing, CPU. Where not found, ``source`` holds the position
    the walk had reached (as the torch path; unused by the callers)."""
    n, c = keys.shape[0], shifts.shape[0]
    found = torch.empty(c * k, n, dtype=torch.bool)
    source = torch.empty(c * k, n, dtype=torch.int64)
    _neighbours(keys.contiguous().numpy(), shifts.contiguous().numpy(), k, found.numpy(), source.numpy())
    return found, source


@numba.njit(cache=True)
def _neighbours(keys, shifts, k, found, source):
    """The loop of :func:`neighbours_cpu`. The queries of one column increase with the site, so
    one pointer moves forward through ``keys`` (a merge) instead of a binary search per query."""
    n = keys.shape[0]
    h = k // 2
    for c in range(shifts.shape[0]):
        pos = 0
        for o in range(n):
            first = keys[o] + shifts[c] - h
            while pos < n and keys[pos] < first:
                pos += 1
            p = pos
            for j in range(k):
                hit = p < n and keys[p] == first + j
                found[c * k + j, o] = hit
                source[c * k + j, o] = p
                if hit:
                    p += 1


def fill_chunks_cpu(found: Tensor, source: Tensor, chunks: Tensor, inputs: Tensor, outputs: Tensor) -> None:
    """Write the pairs of ``found``, ``source`` (G, num_out) into ``inputs``, ``outputs`` (sum
    ``chunks``, L) in place: group g's pairs, by output row, fill its ``chunks[g]`` chunks of L in
    turn (``KernelMap.from_masks``'s layout; the padding is already in ``inputs``, ``outputs``)."""
    _fill_chunks(found.contiguous().numpy(), source.contiguous().numpy(), chunks.numpy(), inputs.numpy(),
                 outputs.numpy())


@numba.njit(cache=True)
def _fill_chunks(found, source, chunks, inputs, outputs):
    """The loop of :func:`fill_chunks_cpu`."""
    length = inputs.shape[1]
    chunk = 0
    for g in range(found.shape[0]):
        slot = 0
        for o in range(found.shape[1]):
            if found[g, o]:
                inputs[chunk + slot // length, slot % length] = source[g, o]
                outputs[chunk + slot // length, slot % length] = o
                slot += 1
        chunk += chunks[g]


def downsample_cpu(coords: Tensor, batch: Tensor, stride: int) -> tuple[Tensor, Tensor, Tensor] | None:
    """``(out_coords, out_batch, table)`` of ``downsample_map``: the unique ``floor(coords /
    stride)`` per event, sorted by event then voxel, and ``table`` (stride**3, M) int64, the input
    row at offset k of output o (N where none). CPU tensors, N >= 1. None where the output sites'
    box over the events does not fit 2^62 keys (the caller then takes the torch path). The same
    result as the torch path (``unique_rows`` and a scattered table), tested equal."""
    n = coords.shape[0]
    out_coords = torch.empty(n, 3, dtype=torch.int64)
    out_batch = torch.empty(n, dtype=torch.int64)
    table = torch.full((stride**3, n), n, dtype=torch.int64)
    m = _downsample(coords.contiguous().numpy(), batch.contiguous().numpy(), stride, out_coords.numpy(),
                    out_batch.numpy(), table.numpy())
    if m < 0:
        return None
    return out_coords[:m], out_batch[:m], table[:, :m].contiguous()


@numba.njit(cache=True)
def _downsample(coords, batch, stride, out_coords, out_batch, table):
    """The loop of :func:`downsample_cpu`: keys of the down-sampled sites in their box, one stable
    sort, then one pass over the sorted keys. Returns M, or -1 where the keys would overflow."""
    n = coords.shape[0]
    down = np.empty((n, 3), np.int64)
    for i in range(n):
        for a in range(3):
            down[i, a] = coords[i, a] // stride  # Python semantics: floor
    lo = np.empty(3, np.int64)
    hi = np.empty(3, np.int64)
    for a in range(3):
        lo[a] = down[:, a].min()
        hi[a] = down[:, a].max()
    s0, s1, s2 = hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1
    events = batch.max() + 1
    if s2 >= (1 << 62) // s1 or s1 * s2 >= (1 << 62) // s0 or s0 * s1 * s2 >= (1 << 62) // events:
        return -1
    keys = np.empty(n, np.int64)
    for i in range(n):
        keys[i] = ((batch[i] * s0 + down[i, 0] - lo[0]) * s1 + down[i, 1] - lo[1]) * s2 + down[i, 2] - lo[2]
    order = np.argsort(keys, kind="mergesort")
    m = -1
    previous = -1
    for r in range(n):
        i = order[r]
        if keys[i] != previous:
            m += 1
            previous = keys[i]
            out_batch[m] = batch[i]
            for a in range(3):
                out_coords[m, a] = down[i, a]
        k = ((coords[i, 0] - stride * down[i, 0]) * stride + coords[i, 1] - stride * down[i, 1]) * stride \
            + coords[i, 2] - stride * down[i, 2]
        table[k, m] = i
    return m + 1
