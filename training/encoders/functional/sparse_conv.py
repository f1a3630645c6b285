"""Sparse 3D convolution on integer voxel coordinates, in pure PyTorch.

A sparse tensor here is three aligned tensors: ``coords`` (N, 3) int64 voxel indices,
``batch`` (N,) int64 event index, ``feats`` (N, C) float; each (batch, voxel) appears
once (``augment.Events.voxelize`` gives exactly this).

A convolution is split in two steps:

1. a *kernel map* (``submanifold_map``, ``downsample_map``): for each kernel offset k,
   the pairs (input row, output row) it connects, held as a ``KernelMap``;
2. ``apply_kernel_map``: ``out[o] = sum_k sum_{(i, o) in map_k} feats[i] @ weight[k]``,
   as a few large operations rather than three per offset: one matrix product for the
   submanifold centre offset (every site pairs with itself), and for the other offsets
   one gather, one batched matrix product over the offsets (each offset's pairs padded
   to the longest) and one ``index_add``.

The map depends only on the sites, so one map serves every layer on the same sites (the
network builds one per stride level per forward pass, for both SimCLR views at once).
Building it needs no sort when the sites are sorted by event then voxel (as ``voxelize``
and ``downsample_map`` return them) and one ``searchsorted`` per (x, y) column of the
kernel that is not the mirror image of another (5 of the 9 for k = 3): the z neighbours of
a key are its neighbours in the sorted key array, and offset -d is the transpose of
offset d. On CPU, numba kernels (``sparse_conv_cpu``) do the neighbour walk, the grouping of
pairs into chunks and the down-sampled sites in one loop each, with the same results: at a
few hundred sites the two dozen small torch operations per map cost as much as the
convolutions. The torch path serves the other devices.

Kernel offset ordering (the index k of ``weight[k]`` and of the table's columns): x
slowest, z fastest, as the flattened (kD, kH, kW) kernel of ``torch.nn.functional.conv3d``
with the grid axes (x, y, z), so ``weight = w_dense.permute(2, 3, 4, 1, 0).reshape(K, C_in,
C_out)`` turns a dense (C_out, C_in, k, k, k) conv3d weight into ours. ``kernel_offsets``
lists the offsets in this order.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from augment.functional.reduce import event_mean, unique_rows
from training.encoders.functional.sparse_conv_cpu import downsample_cpu, fill_chunks_cpu, neighbours_cpu

__all__ = ["KernelMap", "voxel_keys", "kernel_offsets", "submanifold_map", "downsample_map", "apply_kernel_map",
           "global_pool"]

_MAX_KEY = 2**62


@dataclass(frozen=True)
class KernelMap:
    """The (input, output) row pairs of one convolution, grouped by kernel offset.

    * ``num_in``, ``num_out``: rows of the input feats and of the output;
    * ``centre``: an offset whose pairs are (i, i) for every row (the submanifold centre,
      then ``num_in == num_out``), or None;
    * ``offsets`` (G,): the offset of each chunk of the other pairs;
    * ``inputs``, ``outputs`` (G, L) int64: chunk g holds up to L pairs of offset
      ``offsets[g]``, padded with ``num_in`` / ``num_out``. An offset's pairs fill
      ceil(count / L) chunks; L is chosen per map (``_chunk_length``) so that little padding
      goes through the batched matrix product while chunks stay long."""

    num_in: int
    num_out: int
    centre: int | None
    offsets: Tensor
    inputs: Tensor
    outputs: Tensor

    @classmethod
    def from_masks(cls, found: Tensor, source: Tensor, offsets: Tensor, num_in: int, num_out: int,
                   centre: int | None = None) -> "KernelMap":
        """Group pairs given per offset: ``found`` (G, num_out) bool, ``source`` (G, num_out) int64;
        offset ``offsets[g]`` connects input ``source[g, o]`` to output o where ``found[g, o]``.

        With ``centre`` (submanifold maps, ``num_in == num_out``), ``offsets`` must be the
        offsets before the centre; the ones after it are their transposes: offset
        ``2 * centre - k`` holds the pairs (o, i) of offset k's (i, o)."""
        counts = found.sum(1)
        length = _chunk_length(counts.tolist())
        chunks = (counts + length - 1) // length  # (G,) chunks per offset
        num_chunks = int(chunks.sum())
        inputs = source.new_full((num_chunks, length), num_in)
        outputs = source.new_full((num_chunks, length), num_out)
        if found.device.type == "cpu":
            fill_chunks_cpu(found, source, chunks, inputs, outputs)
        else:
            _fill_chunks_torch(found, source, counts, chunks, inputs, outputs)
        offsets = offsets.repeat_interleave(chunks)
        if centre is not None:
            offsets = torch.cat([offsets, 2 * centre - offsets.flip(0)])
            inputs, outputs = torch.cat([inputs, outputs.flip(0)]), torch.cat([outputs, inputs.flip(0)])
        return cls(num_in, num_out, centre, offsets, inputs, outputs)

    def pairs(self, k: int) -> tuple[Tensor, Tensor]:
        """(input rows, output rows) of offset ``k``."""
        if k == self.centre:
            rows = torch.arange(self.num_out, device=self.offsets.device)
            return rows, rows
        chunks = self.offsets == k
        inputs, outputs = self.inputs[chunks].reshape(-1), self.outputs[chunks].reshape(-1)
        keep = outputs < self.num_out
        return inputs[keep], outputs[keep]


def _fill_chunks_torch(found: Tensor, source: Tensor, counts: Tensor, chunks: Tensor, inputs: Tensor,
                       outputs: Tensor) -> None:
    """``fill_chunks_cpu`` in torch operations (any device); ``counts`` = ``found.sum(1)``."""
    group, row = found.nonzero(as_tuple=True)  # by group, then output row
    slot = torch.arange(len(group), device=found.device) - (torch.cumsum(counts, 0) - counts)[group]
    length = inputs.shape[1]
    chunk, col = (torch.cumsum(chunks, 0) - chunks)[group] + slot // length, slot % length
    inputs[chunk, col] = source[group, row]
    outputs[chunk, col] = row


def _chunk_length(counts: list[int], overhead: int = 64) -> int:
    """Chunk length L minimising ``sum_g ceil(c_g / L) * (L + overhead)`` over L in the counts:
    padded rows plus a per-chunk cost worth ``overhead`` rows. 1 if there are no pairs."""
    candidates = sorted({c for c in counts if c > 0})
    if not candidates:
        return 1
    return min(candidates, key=lambda length: sum(-(-c // length) for c in counts) * (length + overhead))


def kernel_offsets(kernel_size: int, device: torch.device | str | None = None) -> Tensor:
    """(k**3, 3) int64 offsets, x slowest. Odd k: centred, -(k // 2)..k // 2;
    even k (strided kernels): 0..k - 1 from the output voxel's corner."""
    if not isinstance(kernel_size, int) or isinstance(kernel_size, bool) or kernel_size < 1:
        raise ValueError(f"kernel_size: expected an int >= 1, got {kernel_size!r}")
    start = -(kernel_size // 2) if kernel_size % 2 else 0
    axis = range(start, start + kernel_size)
    return torch.tensor(list(itertools.product(axis, axis, axis)), dtype=torch.int64, device=device)


def voxel_keys(batch: Tensor, coords: Tensor, lower: Sequence[int], size: Sequence[int]) -> Tensor:
    """One int64 key per (batch, x, y, z), increasing in that lexicographic order.

    ``coords - lower`` must lie in [0, size) per axis; ``lower`` and ``size`` are 3 ints
    describing the box every query of one kernel map falls into. Python ints rather than
    tensors: the arithmetic is then on (N,) tensors only (no 0-d tensor indexing, which costs
    as much as the rest at a few hundred sites)."""
    strides = coords.new_tensor([size[1] * size[2], size[2], 1])
    origin = (lower[0] * size[1] + lower[1]) * size[2] + lower[2]
    return batch * (size[0] * size[1] * size[2]) + (coords * strides).sum(1) - origin


def _check_sites(coords: Tensor, batch: Tensor) -> None:
    if not isinstance(coords, Tensor) or coords.dtype != torch.int64 or coords.dim() != 2 or coords.shape[1] != 3:
        got = f"{coords.dtype} {tuple(coords.shape)}" if isinstance(coords, Tensor) else type(coords).__name__
        raise TypeError(f"coords: expected an int64 tensor of shape (N, 3) (voxel indices), got {got}")
    if not isinstance(batch, Tensor) or batch.dtype != torch.int64 or batch.shape != coords.shape[:1]:
        got = f"{batch.dtype} {tuple(batch.shape)}" if isinstance(batch, Tensor) else type(batch).__name__
        raise TypeError(f"batch: expected an int64 tensor of shape ({coords.shape[0]},), got {got}")


def _box(coords: Tensor, batch: Tensor, pad: int) -> tuple[list[int], list[int]]:
    """Lower corner and size (Python ints, one host sync) of the voxel box holding every site
    and its +-pad neighbours."""
    *low, x1, y1, z1, last = torch.cat([coords.min(0).values, coords.max(0).values, batch.max()[None]]).tolist()
    lower = [v - pad for v in low]
    size = [hi - lo + 1 + pad for hi, lo in zip((x1, y1, z1), lower)]
    if (last + 1) * math.prod(size) >= _MAX_KEY:
        raise ValueError(f"coords: voxel index range {size} over {last + 1} events is too large to "
                         "hash into int64 keys; use a coarser pitch")
    return lower, size


def submanifold_map(coords: Tensor, batch: Tensor, kernel_size: int = 3) -> KernelMap:
    """Kernel map of a submanifold convolution: the output sites are the input sites.

    Offset d_k (``kernel_offsets(kernel_size)`` order) pairs (i, o) with ``coords[i] ==
    coords[o] + d_k`` in the same event. Sites are hashed to int64 keys (``voxel_keys``),
    sorted only if the sites are not already sorted by event then voxel. For each (dx, dy)
    kernel column up to (0, 0), one batched ``searchsorted`` finds where ``key(site + (dx,
    dy, -h))`` would go (h = k // 2; on CPU a numba merge walk, ``neighbours_cpu``); since
    the keys are distinct integers, the keys of dz = -h..h can then only sit at the next
    positions, one step further per key found. The offsets after the centre are the
    transposes of those before it.

    Raises ValueError if a (batch, voxel) pair occurs twice (voxelize first)."""
    _check_sites(coords, batch)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size: expected an odd size for a submanifold convolution, got {kernel_size}")
    n, k, h = coords.shape[0], kernel_size, kernel_size // 2
    half = k**3 // 2  # offsets before the centre (0, 0, 0)
    before = torch.arange(half, device=coords.device)
    if n == 0:
        none = coords.new_zeros(half, 0)
        return KernelMap.from_masks(none.bool(), none, before, 0, 0, centre=half)
    lower, size = _box(coords, batch, h)
    keys = voxel_keys(batch, coords, lower, size)
    order = None
    if not bool((keys[1:] > keys[:-1]).all()):
        keys, order = torch.sort(keys)
        if (keys[1:] == keys[:-1]).any():
            raise ValueError("coords: expected each voxel once per event, found duplicates (use Events.voxelize)")
    # The box padding keeps every shifted site inside the box, so no key wraps into another
    # voxel or event.
    # (C,): key of site + (dx, dy, 0) - key of site, for the columns up to (0, 0)
    shifts = keys.new_tensor([((a - h) * size[1] + b - h) * size[2] for a in range(k) for b in range(k)
                              if (a, b) <= (h, h)])
    neighbours = neighbours_cpu if keys.device.type == "cpu" else _neighbours_torch
    found, source = neighbours(keys, shifts, k)
    # Rows in offset order (x, y columns, then dz): the first ``half`` are the offsets before the centre
    kmap = KernelMap.from_masks(found[:half], source[:half], before, n, n, centre=half)
    if order is None:
        return kmap
    rank_to_row = torch.cat([order, order.new_full((1,), n)])  # sorted ranks -> the caller's rows
    return dataclasses.replace(kmap, inputs=rank_to_row[kmap.inputs], outputs=rank_to_row[kmap.outputs])


def _neighbours_torch(keys: Tensor, shifts: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """``neighbours_cpu`` in torch operations (any device): one batched ``searchsorted`` for
    dz = -(k // 2), then the walk over dz as whole-tensor steps."""
    h, n = k // 2, keys.shape[0]
    query = keys + shifts[:, None]  # (C, N): site + (dx, dy, 0)
    # Keys are >= 0, so the pad value -1 matches no query.
    padded = torch.cat([keys, keys.new_full((k,), -1)])
    pos = torch.searchsorted(keys, query - h)
    found, source = [], []
    for dz in range(-h, h + 1):
        hit = padded[pos] == query + dz
        found.append(hit)
        source.append(pos)
        pos = pos + hit
    return torch.stack(found, 1).view(-1, n), torch.stack(source, 1).view(-1, n)


def downsample_map(coords: Tensor, batch: Tensor, stride: int = 2) -> tuple[Tensor, Tensor, KernelMap]:
    """Kernel map of a strided convolution with kernel size = stride (non-overlapping).

    Output sites are the unique ``floor(coords / stride)`` per event, sorted by event
    then voxel. Input i feeds output o with the offset ``coords[i] - stride * out[o]``
    in {0..stride-1}^3 (``kernel_offsets(stride)`` order). Returns
    ``(out_coords, out_batch, kernel_map)``."""
    _check_sites(coords, batch)
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"stride: expected an int >= 1, got {stride!r}")
    n = coords.shape[0]
    sites = downsample_cpu(coords, batch, stride) if n and coords.device.type == "cpu" else None
    out_coords, out_batch, table = _downsample_torch(coords, batch, stride) if sites is None else sites
    kmap = KernelMap.from_masks(table < n, table, torch.arange(stride**3, device=coords.device), n, len(out_batch))
    return out_coords, out_batch, kmap


def _downsample_torch(coords: Tensor, batch: Tensor, stride: int) -> tuple[Tensor, Tensor, Tensor]:
    """``downsample_cpu`` in torch operations (any device, any key range)."""
    down = torch.div(coords, stride, rounding_mode="floor")
    unique, out_idx = unique_rows(torch.cat([batch[:, None], down], 1))
    rel = coords - stride * down
    k = (rel[:, 0] * stride + rel[:, 1]) * stride + rel[:, 2]
    n = coords.shape[0]
    table = coords.new_full((stride**3, len(unique)), n)
    table[k, out_idx] = torch.arange(n, device=coords.device)
    return unique[:, 1:].contiguous(), unique[:, 0].contiguous(), table


def apply_kernel_map(feats: Tensor, weight: Tensor, kernel_map: KernelMap, bias: Tensor | None = None) -> Tensor:
    """``out[o] = bias + sum_k sum_{(i, o) in map_k} feats[i] @ weight[k]``: (num_out, C_out).

    ``weight`` is (K, C_in, C_out) in the kernel map's offset order. At most one matrix
    product (centre offset), one gather, one batched matrix product and one ``index_add``;
    differentiable in feats, weight and bias."""
    if feats.dim() != 2 or feats.shape[0] != kernel_map.num_in:
        raise ValueError(f"feats: expected shape ({kernel_map.num_in}, C_in), got {tuple(feats.shape)}")
    if weight.dim() != 3 or weight.shape[1] != feats.shape[1] or not (
            len(kernel_map.offsets) == 0 or int(kernel_map.offsets[-1]) < weight.shape[0]) or (
            kernel_map.centre is not None and kernel_map.centre >= weight.shape[0]):
        raise ValueError(f"weight: expected shape (K, {feats.shape[1]}, C_out) with K covering the kernel map's "
                         f"offsets, got {tuple(weight.shape)}")
    c_in, c_out = weight.shape[1:]
    n_out = kernel_map.num_out
    out = feats @ weight[kernel_map.centre] if kernel_map.centre is not None else feats.new_zeros(n_out, c_out)
    groups, length = kernel_map.inputs.shape
    if groups and length:
        padded = torch.cat([feats, feats.new_zeros(1, c_in)])
        gathered = padded.index_select(0, kernel_map.inputs.reshape(-1)).view(groups, length, c_in)
        products = torch.bmm(gathered, weight.index_select(0, kernel_map.offsets))  # (G, L, C_out)
        out = torch.cat([out, out.new_zeros(1, c_out)]).index_add(
            0, kernel_map.outputs.reshape(-1), products.view(-1, c_out))[:n_out]
    return out if bias is None else out + bias


def global_pool(feats: Tensor, batch: Tensor, num_events: int, mode: str = "mean") -> Tensor:
    """Per-event mean or max of ``feats`` rows: (num_events, C). Empty events give 0."""
    if mode not in ("mean", "max"):
        raise ValueError(f"mode: expected 'mean' or 'max', got {mode!r}")
    if mode == "mean":
        return event_mean(feats, batch, num_events)
    index = batch[:, None].expand_as(feats)
    return feats.new_zeros(num_events, feats.shape[1]).scatter_reduce(0, index, feats, "amax", include_self=False)
