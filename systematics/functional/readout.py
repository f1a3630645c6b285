"""Readout kernel: sum charge in voxels, add per-voxel noise, apply the threshold."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from augment._events import Events
from systematics import constants as C
from systematics.functional.noise import hash_normal

__all__ = ["readout", "ReadoutResult"]


class ReadoutResult(NamedTuple):
    coords: Tensor  # (M, 3) voxel centres, cm, dtype of the input coords
    charge: Tensor  # (M,) electrons
    batch: Tensor  # (M,) int64, sorted
    dropped: Tensor  # (B,) int64: voxels per event removed by the threshold


def readout(coords: Tensor, charge: Tensor, batch: Tensor, num_events: int,
            pitch: float | Sequence[float] = C.PIXEL_PITCH, threshold: float = C.READOUT_THRESHOLD,
            noise: float = 0.0, noise_seed: Tensor | None = None,
            origin: Sequence[float] = (0.0, 0.0, 0.0)) -> ReadoutResult:
    """Voxelise charge on a grid of ``pitch`` (cm) from ``origin`` (cm) by summing the charge
    (electrons) of each event's deposits per voxel (:meth:`augment.Events.voxelize`), add Gaussian
    noise of RMS ``noise`` electrons per voxel, then drop voxels below ``threshold`` electrons.

    The noise of a voxel is ``noise * hash_normal(noise_seed[event], voxel index)``, so it is
    replayable and the same in a batch as for the event alone; ``noise_seed`` is (B,) int64,
    required when ``noise`` > 0. Defaults: ND-LAr pitch 0.38 cm, threshold 5000 electrons
    (physics.md section 1), no noise.
    Dropping is what a threshold does: events may lose all their voxels. Only voxels that received
    charge exist (no noise-only voxels). Returns voxel centres, charge, batch and the (B,) count of
    dropped voxels."""
    ev = Events(coords, charge[:, None], batch, num_events).voxelize(pitch, origin)
    q = ev.feats[:, 0]
    if noise > 0:
        if noise_seed is None or noise_seed.shape != (num_events,) or noise_seed.dtype != torch.int64:
            got = None if noise_seed is None else f"{noise_seed.dtype} {tuple(noise_seed.shape)}"
            raise ValueError(f"noise_seed: expected a ({num_events},) int64 tensor when noise > 0, got {got}")
        q = q + noise * hash_normal(noise_seed[ev.batch], ev.coords).to(q.dtype)
    keep = q >= threshold
    pitch_t = torch.as_tensor(pitch, dtype=coords.dtype, device=coords.device)
    origin_t = torch.as_tensor(origin, dtype=coords.dtype, device=coords.device)
    centres = origin_t + (ev.coords[keep].to(coords.dtype) + 0.5) * pitch_t
    dropped = torch.bincount(ev.batch[~keep], minlength=num_events)
    return ReadoutResult(centres, q[keep], ev.batch[keep], dropped)
