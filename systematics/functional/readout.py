"""Readout kernels: sum charge per voxel, then digitise (noise, threshold). Tensors in, tensors out.

The response calls :func:`collect_voxels` then :func:`digitise`; per-channel effects (gain,
dead or noisy channels) act between the two, on the collected (V,) voxel charges and their
voxel indices (docs/physics.md section 1.6).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from augment.functional.reduce import unique_rows
from systematics.functional.noise import HASH_NORMAL_MAX, hash_normal

__all__ = ["Voxels", "collect_voxels", "digitise", "check_noise_seed", "select_voxels", "voxel_centres"]


class Voxels(NamedTuple):
    voxel: Tensor  # (V, 3) int64 voxel indices, sorted by event then index
    charge: Tensor  # (V,) electrons
    batch: Tensor  # (V,) int64, non-decreasing
    dropped: Tensor  # (B,) int64: voxels per event removed by the threshold or dead channels (0 when collected)


def collect_voxels(voxel: Tensor, charge: Tensor, batch: Tensor, num_events: int) -> Voxels:
    """Sum the ``charge`` (M,) electrons of the shares at ``voxel`` (M, 3) int64 indices of event
    ``batch`` (M,) int64 per (event, voxel)."""
    unique, inverse = unique_rows(torch.cat([batch[:, None], voxel], 1))
    q = charge.new_zeros(len(unique)).index_add_(0, inverse, charge)
    return Voxels(unique[:, 1:].contiguous(), q, unique[:, 0].contiguous(),
                  torch.zeros(num_events, dtype=torch.int64, device=charge.device))


def digitise(voxels: Voxels, threshold: float, noise: float | Tensor = 0.0, noise_seed: Tensor | None = None) -> Voxels:
    """Add Gaussian noise of RMS ``noise`` electrons (a float, or (V,) per voxel, e.g. for noisy
    channels) and drop voxels below ``threshold`` electrons; ``dropped`` counts them per event.

    The noise of a voxel is ``noise * hash_normal(noise_seed[event], voxel index)``: replayable and
    the same in a batch as for the event alone; ``noise_seed`` (B,) int64 is required when any
    noise is > 0. Only voxels that received charge exist (no noise-only voxels). Events may lose
    all their voxels: that is what a threshold does."""
    q, B = voxels.charge, len(voxels.dropped)
    noise_t = torch.as_tensor(noise, dtype=q.dtype, device=q.device)
    noisy = bool((noise_t > 0).any())
    voxel, batch, dropped = voxels.voxel, voxels.batch, voxels.dropped
    if noisy:
        check_noise_seed(noise_seed, B)
        # Voxels that no noise draw can lift to the threshold are dropped before hashing (exact:
        # |hash_normal| <= HASH_NORMAL_MAX); the others get their noise.
        live = torch.nonzero(~(q + noise_t * HASH_NORMAL_MAX < threshold))[:, 0]
        voxel, batch, dropped = select_voxels(voxel, batch, dropped, live)
        rms = noise_t.index_select(0, live) if noise_t.dim() else noise_t
        q = q.index_select(0, live) + rms * hash_normal(noise_seed, voxel, batch).to(q.dtype)
    keep = torch.nonzero(q >= threshold)[:, 0]
    voxel, batch, dropped = select_voxels(voxel, batch, dropped, keep)
    return Voxels(voxel, q.index_select(0, keep), batch, dropped)


def check_noise_seed(noise_seed: Tensor | None, num_events: int) -> None:
    """ValueError naming ``noise_seed`` unless it is a (num_events,) int64 tensor (needed when noise > 0)."""
    if noise_seed is None or noise_seed.shape != (num_events,) or noise_seed.dtype != torch.int64:
        got = None if noise_seed is None else f"{noise_seed.dtype} {tuple(noise_seed.shape)}"
        raise ValueError(f"noise_seed: expected a ({num_events},) int64 tensor when noise > 0, got {got}")


def select_voxels(voxel: Tensor, batch: Tensor, dropped: Tensor, rows: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(voxel, batch, dropped): the voxel indices (V, 3) and events (V,) at ``rows`` (R,) int64, the
    other voxels counted per event into ``dropped`` (B,)."""
    kept = batch.index_select(0, rows)
    B = len(dropped)
    lost = torch.bincount(batch, minlength=B) - torch.bincount(kept, minlength=B)
    return voxel.index_select(0, rows), kept, dropped + lost


def voxel_centres(voxel: Tensor, pitch: float | Sequence[float], origin: Sequence[float], dtype: torch.dtype) -> Tensor:
    """(V, 3) centres in cm of voxel indices ``voxel`` (V, 3) on the grid of ``pitch`` cm from ``origin`` cm."""
    pitch_t = torch.as_tensor(pitch, dtype=dtype, device=voxel.device)
    origin_t = torch.as_tensor(origin, dtype=dtype, device=voxel.device)
    return origin_t + (voxel.to(dtype) + 0.5) * pitch_t
