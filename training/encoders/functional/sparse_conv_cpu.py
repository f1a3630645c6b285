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
import torch
from torch import Tensor

__all__ = ["neighbours_cpu", "fill_chunks_cpu"]


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
