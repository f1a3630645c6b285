"""Sparse 3D convolution on integer voxel coordinates, in pure PyTorch.

A sparse tensor here is three aligned tensors: ``coords`` (N, 3) int64 voxel indices,
``batch`` (N,) int64 event index, ``feats`` (N, C) float; each (batch, voxel) appears
once (``augment.Events.voxelize`` gives exactly this).

A convolution is split in two steps:

1. a *kernel map*: for each kernel offset k, the pairs (input row, output row) it
   connects (``submanifold_map``, ``downsample_map``);
2. gather-GEMM-scatter per offset (``apply_kernel_map``):
   ``out[o] += feats[i] @ weight[k]``.

Kernel offset ordering (the index k of ``weight[k]``): x slowest, z fastest, as the
flattened (kD, kH, kW) kernel of ``torch.nn.functional.conv3d`` with the grid axes
(x, y, z), so ``weight = w_dense.permute(2, 3, 4, 1, 0).reshape(K, C_in, C_out)``
turns a dense (C_out, C_in, k, k, k) conv3d weight into ours. ``kernel_offsets``
lists the offsets in this order.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import torch
from torch import Tensor

from augment.functional.reduce import event_mean, unique_rows

__all__ = ["voxel_keys", "kernel_offsets", "submanifold_map", "downsample_map", "apply_kernel_map", "global_pool"]

KernelMap = list[tuple[Tensor, Tensor]]

_MAX_KEY = 2**62


def kernel_offsets(kernel_size: int, device: torch.device | str | None = None) -> Tensor:
    """(k**3, 3) int64 offsets, x slowest. Odd k: centred, -(k // 2)..k // 2;
    even k (strided kernels): 0..k - 1 from the output voxel's corner."""
    if not isinstance(kernel_size, int) or isinstance(kernel_size, bool) or kernel_size < 1:
        raise ValueError(f"kernel_size: expected an int >= 1, got {kernel_size!r}")
    start = -(kernel_size // 2) if kernel_size % 2 else 0
    axis = range(start, start + kernel_size)
    return torch.tensor(list(itertools.product(axis, axis, axis)), dtype=torch.int64, device=device)


def voxel_keys(batch: Tensor, coords: Tensor, lower: Tensor, size: Tensor) -> Tensor:
    """One int64 key per (batch, x, y, z), increasing in that lexicographic order.

    ``coords - lower`` must lie in [0, size) per axis; ``lower`` and ``size`` are (3,)
    int64 tensors describing the box every query of one kernel map falls into."""
    c = coords - lower
    return ((batch * size[0] + c[:, 0]) * size[1] + c[:, 1]) * size[2] + c[:, 2]


def _check_sites(coords: Tensor, batch: Tensor) -> None:
    if not isinstance(coords, Tensor) or coords.dtype != torch.int64 or coords.dim() != 2 or coords.shape[1] != 3:
        got = f"{coords.dtype} {tuple(coords.shape)}" if isinstance(coords, Tensor) else type(coords).__name__
        raise TypeError(f"coords: expected an int64 tensor of shape (N, 3) (voxel indices), got {got}")
    if not isinstance(batch, Tensor) or batch.dtype != torch.int64 or batch.shape != coords.shape[:1]:
        got = f"{batch.dtype} {tuple(batch.shape)}" if isinstance(batch, Tensor) else type(batch).__name__
        raise TypeError(f"batch: expected an int64 tensor of shape ({coords.shape[0]},), got {got}")


def _box(coords: Tensor, batch: Tensor, pad: int) -> tuple[Tensor, Tensor]:
    """Lower corner and size of the voxel box holding every site and its +-pad neighbours."""
    lower = coords.min(0).values - pad
    size = coords.max(0).values - lower + 1 + pad
    num_batches = int(batch.max()) + 1
    if num_batches * float(size.double().prod()) >= _MAX_KEY:
        raise ValueError(f"coords: voxel index range {size.tolist()} over {num_batches} events is too large to "
                         "hash into int64 keys; use a coarser pitch")
    return lower, size


def submanifold_map(coords: Tensor, batch: Tensor, kernel_size: int = 3) -> KernelMap:
    """Kernel map of a submanifold convolution: the output sites are the input sites.

    For each offset d_k (``kernel_offsets(kernel_size)`` order) the pairs (i, o) with
    ``coords[i] == coords[o] + d_k`` in the same event, as two int64 tensors. Built for
    all offsets at once by hashing (batch, x, y, z) to int64 keys and looking the
    shifted output keys up in the sorted input keys with ``torch.searchsorted``.

    Raises ValueError if a (batch, voxel) pair occurs twice (voxelize first)."""
    _check_sites(coords, batch)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size: expected an odd size for a submanifold convolution, got {kernel_size}")
    offsets = kernel_offsets(kernel_size, coords.device)
    n = coords.shape[0]
    if n == 0:
        empty = coords.new_zeros(0)
        return [(empty, empty) for _ in range(len(offsets))]
    lower, size = _box(coords, batch, kernel_size // 2)
    keys = voxel_keys(batch, coords, lower, size)
    sorted_keys, order = torch.sort(keys)
    if (sorted_keys[1:] == sorted_keys[:-1]).any():
        raise ValueError("coords: expected each voxel once per event, found duplicates (use Events.voxelize)")
    # Shifting a key by an offset = adding the offset's key delta; the box padding keeps
    # every shifted site inside the box, so no key wraps into another voxel or event.
    strides = torch.stack([size[1] * size[2], size[2], torch.ones_like(size[2])])
    queries = keys[None, :] + (offsets * strides).sum(1)[:, None]  # (K, N)
    pos = torch.searchsorted(sorted_keys, queries).clamp_(max=n - 1)
    found = sorted_keys[pos] == queries
    k_idx, out_idx = found.nonzero(as_tuple=True)  # sorted by k
    in_idx = order[pos[k_idx, out_idx]]
    sizes = found.sum(1).tolist()
    return list(zip(torch.split(in_idx, sizes), torch.split(out_idx, sizes)))


def downsample_map(coords: Tensor, batch: Tensor, stride: int = 2) -> tuple[Tensor, Tensor, KernelMap]:
    """Kernel map of a strided convolution with kernel size = stride (non-overlapping).

    Output sites are the unique ``floor(coords / stride)`` per event, sorted by event
    then voxel. Input i feeds output o with the offset ``coords[i] - stride * out[o]``
    in {0..stride-1}^3 (``kernel_offsets(stride)`` order). Returns
    ``(out_coords, out_batch, kernel_map)``."""
    _check_sites(coords, batch)
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"stride: expected an int >= 1, got {stride!r}")
    down = torch.div(coords, stride, rounding_mode="floor")
    unique, out_idx = unique_rows(torch.cat([batch[:, None], down], 1))
    rel = coords - stride * down
    k = (rel[:, 0] * stride + rel[:, 1]) * stride + rel[:, 2]
    k_sorted, order = torch.sort(k, stable=True)
    sizes = torch.bincount(k_sorted, minlength=stride**3).tolist()
    kmap = list(zip(torch.split(order, sizes), torch.split(out_idx[order], sizes)))
    return unique[:, 1:].contiguous(), unique[:, 0].contiguous(), kmap


def apply_kernel_map(feats: Tensor, weight: Tensor, kernel_map: Sequence[tuple[Tensor, Tensor]],
                     num_out: int, bias: Tensor | None = None) -> Tensor:
    """``out[o] = bias + sum_k sum_{(i, o) in map_k} feats[i] @ weight[k]``: (num_out, C_out).

    ``weight`` is (K, C_in, C_out) in the kernel map's offset order. One gather, one
    matrix product and one ``index_add_`` per offset; differentiable in feats, weight
    and bias."""
    if feats.dim() != 2:
        raise ValueError(f"feats: expected shape (N, C_in), got {tuple(feats.shape)}")
    if weight.dim() != 3 or weight.shape[0] != len(kernel_map) or weight.shape[1] != feats.shape[1]:
        raise ValueError(f"weight: expected shape ({len(kernel_map)}, {feats.shape[1]}, C_out), "
                         f"got {tuple(weight.shape)}")
    out = feats.new_zeros(num_out, weight.shape[2])
    for k, (i, o) in enumerate(kernel_map):
        if i.numel():
            out.index_add_(0, o, feats[i] @ weight[k])
    return out if bias is None else out + bias


def global_pool(feats: Tensor, batch: Tensor, num_events: int, mode: str = "mean") -> Tensor:
    """Per-event mean or max of ``feats`` rows: (num_events, C). Empty events give 0."""
    if mode not in ("mean", "max"):
        raise ValueError(f"mode: expected 'mean' or 'max', got {mode!r}")
    if mode == "mean":
        return event_mean(feats, batch, num_events)
    index = batch[:, None].expand_as(feats)
    return feats.new_zeros(num_events, feats.shape[1]).scatter_reduce(0, index, feats, "amax", include_self=False)
