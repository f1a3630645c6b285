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

__all__ = ["diffusion_sigma", "GridShares", "diffuse_onto_grid", "sample_diffusion", "DEFAULT_NSIGMA"]

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


def _axis_shares(u: Tensor, s: Tensor, nsigma: float) -> tuple[Tensor, Tensor, Tensor]:
    """Per deposit and axis, the voxels its truncated cloud covers and their charge fractions.

    u (N, 3) centres and s (N, 3) widths in voxel units. Returns the first voxel index (N, 3),
    the number of voxels (N, 3) and the fractions (N, 3, K), K the largest count (zero-padded),
    renormalised to sum 1 per axis. A width of 0 puts everything into the voxel containing u."""
    low, high = u - nsigma * s, u + nsigma * s
    first = torch.floor(low).to(torch.int64)
    count = torch.floor(high).to(torch.int64) - first + 1
    K = int(count.max()) if count.numel() else 1  # host sync: the widest cloud
    edge = (first[..., None] + torch.arange(K, device=u.device)).to(u.dtype)  # (N, 3, K) lower voxel edges
    a = torch.maximum(edge, low[..., None])
    b = torch.minimum(edge + 1, high[..., None])
    point = s == 0
    safe = torch.where(point, torch.ones_like(s), s)[..., None]
    mass = torch.special.ndtr((b - u[..., None]) / safe) - torch.special.ndtr((a - u[..., None]) / safe)
    inside = torch.arange(K, device=u.device) < count[..., None]
    mass = torch.where(point[..., None], (torch.arange(K, device=u.device) == 0).to(u.dtype), mass)
    mass = torch.where(inside, mass.clamp_min(0), torch.zeros_like(mass))
    return first, count, mass / mass.sum(-1, keepdim=True)


def diffuse_onto_grid(centres: Tensor, sigma: Tensor, pitch: float | Sequence[float],
                      origin: Sequence[float] = (0.0, 0.0, 0.0), nsigma: float = DEFAULT_NSIGMA) -> GridShares:
    """Share each deposit's charge over the voxels its Gaussian cloud covers, analytically.

    centres (N, 3) cm, sigma (N, 3) cm (>= 0), voxel grid of ``pitch`` cm from ``origin`` cm. The
    fraction in voxel (i, j, k) is the product over the axes of the Gaussian's mass inside the
    voxel's edges, Phi((x_hi - c) / sigma) - Phi((x_lo - c) / sigma), the cloud being cut at
    ``nsigma`` sigma per axis and each axis renormalised to 1 (docs/physics.md section 1.5), so the
    charge is conserved exactly up to rounding and the result is deterministic. sigma = 0 gives
    the voxel of the centre with weight 1 (plain voxelisation). Voxel indices are floor((x -
    origin) / pitch), as :meth:`augment.Events.voxelize`."""
    if not nsigma > 0:
        raise ValueError(f"nsigma: expected a number of sigma > 0, got {nsigma!r}")
    pitch_t = torch.as_tensor(pitch, dtype=centres.dtype, device=centres.device)
    origin_t = torch.as_tensor(origin, dtype=centres.dtype, device=centres.device)
    first, count, mass = _axis_shares((centres - origin_t) / pitch_t, sigma / pitch_t, nsigma)
    n = count.prod(1)
    M = int(n.sum())  # host sync: the number of shares
    K = mass.shape[-1]
    deposit = torch.repeat_interleave(torch.arange(len(n), device=centres.device), n, output_size=M)
    rank = torch.arange(M, device=centres.device) - (torch.cumsum(n, 0) - n).index_select(0, deposit)
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


def sample_diffusion(centres: Tensor, sigma: Tensor, offsets: Tensor) -> Tensor:
    """Random copies of each deposit: (N k, 3) positions ``centres + offsets * sigma`` (cm), the k
    copies of a deposit consecutive; ``offsets`` (N, k, 3) standard normals. Each copy carries
    1 / k of the charge. The former response's method, kept as the reference that
    :func:`diffuse_onto_grid` must equal as k -> infinity (tests) and as the bench's baseline."""
    if offsets.dim() != 3 or offsets.shape[0] != centres.shape[0] or offsets.shape[2] != 3 or offsets.shape[1] < 1:
        raise ValueError(f"offsets: expected shape ({centres.shape[0]}, k, 3) with k >= 1, got {tuple(offsets.shape)}")
    return (centres[:, None, :] + offsets * sigma[:, None, :]).reshape(-1, 3)
