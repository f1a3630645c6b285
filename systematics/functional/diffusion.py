"""Diffusion kernels: the Gaussian charge cloud of each deposit, integrated over the voxel grid.

A deposit is a POINT at its step's midpoint: the deposits carry (x, y, z, dE, dx) and no step
direction, so the segment cannot be placed; the 0.3 cm steps of the gun are shorter than the
0.38 cm pitch (docs/physics.md section 1.5 gives the size of this approximation). Its charge drifts
as a Gaussian cloud of widths sigma_L = sqrt(2 D_L t) along the drift axis and sigma_T =
sqrt(2 D_T t) across (larnd-sim drifting.py; docs/physics.md section 1.5).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from systematics.functional.grid_cpu import sum_shares_cpu
from systematics.functional.readout import Voxels, collect_voxels

__all__ = ["diffusion_sigma", "AxisShares", "axis_shares", "GridShares", "expand_shares", "grid_charge",
           "grid_charge_torch", "diffuse_onto_grid", "sample_diffusion", "DEFAULT_NSIGMA"]

DEFAULT_NSIGMA = 3.0  # clouds are cut at 3 sigma per axis (0.27% of the charge per axis, given back by renormalising)
_FAR = 1e30  # an edge this many units away clamps to the cut (finite in float32)


def diffusion_sigma(t: Tensor, diffusion_l: Tensor, diffusion_t: Tensor, drift_axis: int = 2) -> Tensor:
    """(N, 3) Gaussian widths in cm: sqrt(2 D_L t) on ``drift_axis``, sqrt(2 D_T t) on the two others.

    t (N,) drift time in us; diffusion_l, diffusion_t (N,) cm^2/us."""
    sigma = (2 * diffusion_t * t).sqrt()[:, None].repeat(1, 3)
    sigma[:, drift_axis] = (2 * diffusion_l * t).sqrt()
    return sigma


class GridShares(NamedTuple):
    deposit: Tensor  # (M,) int64: row of the deposit each share comes from (non-decreasing)
    voxel: Tensor  # (M, 3) int64: voxel index floor((x - origin) / pitch) of the share
    weight: Tensor  # (M,) fraction of the deposit's charge; sums to 1 per deposit (to rounding)


class AxisShares(NamedTuple):
    first: Tensor  # (N, 3) int64: first voxel index the cloud covers, per axis
    count: Tensor  # (N, 3) int64: number of voxels it covers, per axis (>= 1)
    mass: Tensor  # (N, 3, K): charge fraction in each of them (zero-padded to K), summing to 1 per axis


def axis_shares(centres: Tensor, sigma: Tensor, pitch: float | Sequence[float],
                origin: Sequence[float] = (0.0, 0.0, 0.0), nsigma: float = DEFAULT_NSIGMA) -> AxisShares:
    """Per deposit and axis, the voxels its cloud (cut at ``nsigma``) covers and their fractions:
    Phi((x_hi - c) / sigma) - Phi((x_lo - c) / sigma) over each voxel's edges x_lo, x_hi (clipped to
    the cut), renormalised to 1 per axis (docs/physics.md section 1.5), computed as differences of
    erf((x - c) / (sqrt(2) sigma)). centres (N, 3) cm, sigma (N, 3) cm >= 0, grid of ``pitch`` cm
    from ``origin`` cm. A width of 0 puts everything into the voxel floor((c - origin) / pitch).
    One host sync (K, the widest cloud)."""
    if not nsigma > 0:
        raise ValueError(f"nsigma: expected a number of sigma > 0, got {nsigma!r}")
    pitch_t = torch.as_tensor(pitch, dtype=centres.dtype, device=centres.device)
    origin_t = torch.as_tensor(origin, dtype=centres.dtype, device=centres.device)
    u, s = (centres - origin_t) / pitch_t, sigma / pitch_t  # voxel units
    low, high = u - nsigma * s, u + nsigma * s
    floor_low = torch.floor(low)
    first = floor_low.to(torch.int64)
    count = torch.floor(high).to(torch.int64) - first + 1
    K = int(count.max()) if count.numel() else 1
    j = torch.arange(K + 1, device=u.device, dtype=u.dtype)
    # The K + 1 edges floor(low) + j of the voxels first .. first + K - 1, in units of sqrt(2) sigma
    # from the centre and clamped to the cut +-nsigma / sqrt(2): voxel j's mass is the difference of
    # erf at its two edges (Phi(x) = (1 + erf(x / sqrt 2)) / 2, the 1 and the 1/2 cancel in the
    # renormalisation; one erf per edge), 0 exactly past the cloud (both edges clamp to the cut).
    # A point (sigma = 0) puts its first edge at -inf and the others at +inf: all in voxel 0.
    point = s == 0
    scale = torch.where(point, torch.full_like(s, 2 * _FAR), math.sqrt(0.5) / s)
    start = torch.where(point, torch.full_like(s, -_FAR), (floor_low - u) * scale)
    cut = nsigma * math.sqrt(0.5)
    # Edge index outermost, (K + 1, N, 3): every operation runs over contiguous (N, 3) planes.
    cdf = torch.erf(torch.addcmul(start, j[:, None, None], scale).clamp_(-cut, cut))
    mass = cdf[1:] - cdf[:-1]
    return AxisShares(first, count, (mass / mass.sum(0)).permute(1, 2, 0))


def _box_offsets(count: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(row, ix, iy, iz), each (sum of prod(count),): every voxel offset of the box of ``count``
    (R, 3) int64 voxels per axis, row after row, z fastest. One host sync."""
    n = count.prod(1)
    T = int(n.sum())
    row = torch.repeat_interleave(torch.arange(len(n), device=n.device), n, output_size=T)
    rank = torch.arange(T, device=n.device) - (torch.cumsum(n, 0) - n).index_select(0, row)
    cz = count[:, 2].index_select(0, row)
    iz = rank % cz
    rank = rank // cz
    cy = count[:, 1].index_select(0, row)
    return row, rank // cy, rank % cy, iz


def _expand_rows(shares: AxisShares) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(deposit, row, table, weight): for each of the M shares (every voxel of the product of each
    deposit's axis ranges, deposit after deposit, z fastest) its deposit (M,), its ``row`` (M,) of
    ``table`` (T, 3), the voxel offsets from the deposit's first voxel, and its weight (M,), the
    product of the axis fractions. The indices are int32 when every index fits (half the bytes
    of int64; several times faster gathers on CPU), else int64.

    The table holds the boxes of the count patterns (cx, cy, cz) that occur (a few dozen), so the
    M shares need only gathers, no per-share division. Three host syncs."""
    first, count, mass = shares
    N, K = mass.shape[0], mass.shape[-1]
    pattern = ((count[:, 0] - 1) * K + count[:, 1] - 1) * K + count[:, 2] - 1
    kinds, kind = torch.unique(pattern, return_inverse=True)
    box = torch.stack([kinds // (K * K), kinds // K % K, kinds % K], 1) + 1
    size = box.prod(1)
    n = count.prod(1)
    M = int(n.sum())
    index = torch.int32 if max(M, 3 * K * N) < 2 ** 31 else torch.int64
    table = torch.stack(_box_offsets(box)[1:], 1).to(index)
    shift = ((torch.cumsum(size, 0) - size).index_select(0, kind) - (torch.cumsum(n, 0) - n)).to(index)
    deposit = torch.repeat_interleave(torch.arange(N, device=n.device, dtype=index), n, output_size=M)
    row = torch.arange(M, device=n.device, dtype=index) + shift.index_select(0, deposit)
    # mass (N, 3, K) flattened: the fraction of (deposit, axis, voxel) is at 3 K deposit + K axis + voxel
    column = (table + torch.arange(0, 3 * K, K, device=n.device, dtype=index)).T.contiguous()
    base = deposit * (3 * K)
    flat = mass.reshape(-1)
    weight = flat.index_select(0, base + column[0].index_select(0, row)) \
        * flat.index_select(0, base + column[1].index_select(0, row)) \
        * flat.index_select(0, base + column[2].index_select(0, row))
    return deposit, row, table, weight


def _expand(shares: AxisShares) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """(deposit, ix, iy, iz, weight), each (M,), int64 indices: the shares of :func:`_expand_rows`
    with their voxel offsets from the deposit's first voxel."""
    deposit, row, table, weight = _expand_rows(shares)
    ix, iy, iz = table.index_select(0, row).long().unbind(1)
    return deposit.long(), ix, iy, iz, weight


def expand_shares(shares: AxisShares) -> GridShares:
    """The 3-D shares: for each deposit, every voxel of the product of its axis ranges, with the
    product of the axis fractions as weight."""
    deposit, ix, iy, iz, weight = _expand(shares)
    return GridShares(deposit, shares.first.index_select(0, deposit) + torch.stack([ix, iy, iz], 1), weight)


def grid_charge(shares: AxisShares, charge: Tensor, batch: Tensor, num_events: int) -> Voxels:
    """The charge (N,) electrons of deposits of events ``batch`` (N,) summed per (event, voxel)
    over their shares: :func:`expand_shares` then :func:`collect_voxels`, the same result (the
    same sums, in the same order), without materialising the (M, 3) voxel indices.

    On CPU with ``batch`` sorted (as in the response), the numba kernel
    :func:`~systematics.functional.grid_cpu.sum_shares_cpu` does it event by event; elsewhere
    :func:`grid_charge_torch`. Both give the same result, bit for bit (tested)."""
    if len(shares.first) and charge.device.type == "cpu":
        out = sum_shares_cpu(shares.first, shares.count, shares.mass, charge, batch)
        if out is not None:
            voxel, q, event = out
            return Voxels(voxel, q, event, torch.zeros(num_events, dtype=torch.int64))
    return grid_charge_torch(shares, charge, batch, num_events)


def grid_charge_torch(shares: AxisShares, charge: Tensor, batch: Tensor, num_events: int) -> Voxels:
    """:func:`grid_charge` in torch operations (any device).

    Each share's (event, voxel) is packed into one integer key on the fly (mixed radix over the
    events and voxel spans of this batch; int32 when the key space fits, else int64), the keys
    are stably sorted once, the charges summed per run of equal keys and the keys unpacked."""
    first, count = shares.first, shares.count
    if len(first) == 0:
        return collect_voxels(first, charge, batch, num_events)
    low = first.min(0).values
    *span, e0, e1 = torch.cat([(first + count).max(0).values - low, batch.min()[None], batch.max()[None]]).tolist()
    events = e1 - e0 + 1
    if math.prod(span) * events >= 2 ** 62:  # keys would overflow: the unfused path
        grid = expand_shares(shares)
        return collect_voxels(grid.voxel, charge.index_select(0, grid.deposit) * grid.weight,
                              batch.index_select(0, grid.deposit), num_events)
    sy, sx = span[2], span[1] * span[2]
    se = span[0] * sx
    key_dtype = torch.int32 if se * events < 2 ** 31 else torch.int64
    rel = first - low
    base = ((batch - e0) * se + rel[:, 0] * sx + rel[:, 1] * sy + rel[:, 2]).to(key_dtype)  # key of the first voxel
    deposit, row, table, weight = _expand_rows(shares)
    offset = (table.long() * torch.tensor([sx, sy, 1], device=table.device)).sum(1).to(key_dtype)
    key = base.index_select(0, deposit) + offset.index_select(0, row)
    del row
    key, order = torch.sort(key, stable=True)  # stable: each voxel sums its shares in expansion order
    start = torch.ones_like(key, dtype=torch.bool)
    start[1:] = key[1:] != key[:-1]
    unique = key[start].long()
    q = charge.new_zeros(len(unique)).index_add_(0, torch.cumsum(start, 0, dtype=key.dtype) - 1,
                                                 (charge.index_select(0, deposit) * weight).index_select(0, order))
    event, rest = unique // se + e0, unique % se
    voxel = torch.stack([rest // sx, (rest % sx) // sy, rest % sy], 1) + low
    return Voxels(voxel, q, event, torch.zeros(num_events, dtype=torch.int64, device=charge.device))


def diffuse_onto_grid(centres: Tensor, sigma: Tensor, pitch: float | Sequence[float],
                      origin: Sequence[float] = (0.0, 0.0, 0.0), nsigma: float = DEFAULT_NSIGMA) -> GridShares:
    """Share each deposit's charge over the voxels its Gaussian cloud covers, analytically:
    :func:`axis_shares` then :func:`expand_shares`. The fraction in voxel (i, j, k) is the product
    over the axes of the Gaussian's mass inside the voxel's edges, the cloud cut at ``nsigma``
    sigma per axis and renormalised, so the charge is conserved exactly up to rounding and the
    result is deterministic; sigma = 0 is plain voxelisation (indices floor((x - origin) / pitch),
    as :meth:`augment.Events.voxelize`)."""
    return expand_shares(axis_shares(centres, sigma, pitch, origin, nsigma))


def sample_diffusion(centres: Tensor, sigma: Tensor, offsets: Tensor) -> Tensor:
    """Random copies of each deposit: (N k, 3) positions ``centres + offsets * sigma`` (cm), the k
    copies of a deposit consecutive; ``offsets`` (N, k, 3) standard normals. Each copy carries
    1 / k of the charge. The former response's method, kept as the reference that
    :func:`diffuse_onto_grid` must equal as k -> infinity (tests) and as the bench's baseline."""
    if offsets.dim() != 3 or offsets.shape[0] != centres.shape[0] or offsets.shape[2] != 3 or offsets.shape[1] < 1:
        raise ValueError(f"offsets: expected shape ({centres.shape[0]}, k, 3) with k >= 1, got {tuple(offsets.shape)}")
    return (centres[:, None, :] + offsets * sigma[:, None, :]).reshape(-1, 3)
