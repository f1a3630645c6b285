"""Diffusion kernels: the Gaussian charge cloud of each deposit, integrated over the voxel grid.

A deposit is a POINT at its step's midpoint: the deposits carry (x, y, z, dE, dx) and no step
direction, so the segment cannot be placed; the 0.3 cm steps of the gun are shorter than the
0.38 cm pitch (docs/physics.md section 1.5 gives the size of this approximation). Its charge drifts
as a Gaussian cloud of widths sigma_L = sqrt(2 D_L t) along the drift axis and sigma_T =
sqrt(2 D_T t) across (larnd-sim drifting.py; docs/physics.md section 1.5).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor

__all__ = ["diffusion_sigma", "AxisShares", "axis_shares", "GridShares", "expand_shares", "diffuse_onto_grid",
           "sample_diffusion", "DEFAULT_NSIGMA"]

DEFAULT_NSIGMA = 3.0  # clouds are cut at 3 sigma per axis (0.27% of the charge per axis, given back by renormalising)


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
    the cut), renormalised to 1 per axis (docs/physics.md section 1.5). centres (N, 3) cm, sigma
    (N, 3) cm >= 0, grid of ``pitch`` cm from ``origin`` cm. A width of 0 puts everything into the
    voxel floor((c - origin) / pitch). One host sync (K, the widest cloud)."""
    if not nsigma > 0:
        raise ValueError(f"nsigma: expected a number of sigma > 0, got {nsigma!r}")
    pitch_t = torch.as_tensor(pitch, dtype=centres.dtype, device=centres.device)
    origin_t = torch.as_tensor(origin, dtype=centres.dtype, device=centres.device)
    u, s = (centres - origin_t) / pitch_t, sigma / pitch_t  # voxel units
    low, high = u - nsigma * s, u + nsigma * s
    first = torch.floor(low).to(torch.int64)
    count = torch.floor(high).to(torch.int64) - first + 1
    K = int(count.max()) if count.numel() else 1
    j = torch.arange(K, device=u.device)
    edge = (first[..., None] + j).to(u.dtype)  # (N, 3, K) lower voxel edges
    a = torch.maximum(edge, low[..., None])
    b = torch.minimum(edge + 1, high[..., None])
    point = s == 0
    safe = torch.where(point, torch.ones_like(s), s)[..., None]
    mass = torch.special.ndtr((b - u[..., None]) / safe) - torch.special.ndtr((a - u[..., None]) / safe)
    mass = torch.where(point[..., None], (j == 0).to(u.dtype), mass)
    mass = torch.where(j < count[..., None], mass.clamp_min(0), torch.zeros_like(mass))
    return AxisShares(first, count, mass / mass.sum(-1, keepdim=True))


def expand_shares(shares: AxisShares) -> GridShares:
    """The 3-D shares: for each deposit, every voxel of the product of its axis ranges, with the
    product of the axis fractions as weight. One host sync (the number of shares)."""
    first, count, mass = shares
    n = count.prod(1)
    M = int(n.sum())
    K = mass.shape[-1]
    deposit = torch.repeat_interleave(torch.arange(len(n), device=n.device), n, output_size=M)
    rank = torch.arange(M, device=n.device) - (torch.cumsum(n, 0) - n).index_select(0, deposit)
    c = count.index_select(0, deposit)
    iz = rank % c[:, 2]
    rank = rank // c[:, 2]
    iy = rank % c[:, 1]
    ix = rank // c[:, 1]
    del rank, c
    base = deposit * (3 * K)  # mass (N, 3, K) flattened: row (deposit, axis), column the voxel
    flat = mass.reshape(-1)
    weight = flat.index_select(0, base + ix) * flat.index_select(0, base + K + iy) \
        * flat.index_select(0, base + 2 * K + iz)
    del base
    return GridShares(deposit, first.index_select(0, deposit) + torch.stack([ix, iy, iz], 1), weight)


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
