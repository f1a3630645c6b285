"""Diffusion kernel: each deposit's charge is spread over k sub-deposits."""

from __future__ import annotations

from torch import Tensor

__all__ = ["diffuse"]


def diffuse(coords: Tensor, charge: Tensor, batch: Tensor, t: Tensor, diffusion_l: Tensor, diffusion_t: Tensor,
            offsets: Tensor, drift_axis: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """Split each deposit into k sub-deposits carrying charge / k each, placed at
    ``coords + offsets * sigma`` with sigma_L = sqrt(2 D_L t) along ``drift_axis`` and
    sigma_T = sqrt(2 D_T t) on the other axes (physics.md section 1; larnd-sim drifting.py).

    coords (N, 3) cm, charge (N,) electrons, batch (N,) int64, t (N,) us, diffusion_l and
    diffusion_t (N,) cm^2/us, offsets (N, k, 3) standard normals (drawn by the caller, so replay is
    exact). Returns coords (N k, 3), charge (N k,), batch (N k,): sub-deposits of one deposit are
    consecutive, so batch stays sorted. The summed charge is conserved up to rounding; zero
    diffusion leaves every sub-deposit at its deposit's position."""
    if offsets.dim() != 3 or offsets.shape[0] != coords.shape[0] or offsets.shape[1] < 1 \
            or offsets.shape[2] != coords.shape[1]:
        raise ValueError(f"offsets: expected shape ({coords.shape[0]}, k, {coords.shape[1]}), got {tuple(offsets.shape)} (k >= 1)")
    n, k = offsets.shape[0], offsets.shape[1]
    sigma_t = (2 * diffusion_t * t).sqrt()
    sigma = sigma_t[:, None].expand(n, coords.shape[1]).clone()
    sigma[:, drift_axis] = (2 * diffusion_l * t).sqrt()
    new_coords = (coords[:, None, :] + offsets * sigma[:, None, :]).reshape(n * k, coords.shape[1])
    new_charge = (charge / k)[:, None].expand(n, k).reshape(n * k)
    new_batch = batch[:, None].expand(n, k).reshape(n * k)
    return new_coords, new_charge, new_batch
