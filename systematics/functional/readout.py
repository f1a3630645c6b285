"""Readout kernel: sum charge in voxels, add per-voxel noise, apply the threshold."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from augment._events import Events
from systematics import constants as C
from systematics.functional.channels import channel_response
from systematics.functional.noise import hash_normal

__all__ = ["readout", "ReadoutResult"]


class ReadoutResult(NamedTuple):
    coords: Tensor  # (M, 3) voxel centres, cm, dtype of the input coords
    charge: Tensor  # (M,) electrons
    batch: Tensor  # (M,) int64, sorted
    dropped: Tensor  # (B,) int64: voxels per event removed by the threshold or dead channels


def readout(coords: Tensor, charge: Tensor, batch: Tensor, num_events: int,
            pitch: float | Sequence[float] = C.PIXEL_PITCH, threshold: float = C.READOUT_THRESHOLD,
            noise: float = 0.0, noise_seed: Tensor | None = None,
            origin: Sequence[float] = (0.0, 0.0, 0.0), channels: dict[str, Tensor] | None = None,
            drift_axis: int = 2, noisy_channel_noise: float = C.NOISY_CHANNEL_NOISE) -> ReadoutResult:
    """Voxelise charge on a grid of ``pitch`` (cm) from ``origin`` (cm) by summing the charge
    (electrons) of each event's deposits per voxel (:meth:`augment.Events.voxelize`), add Gaussian
    noise of RMS ``noise`` electrons per voxel, then drop voxels below ``threshold`` electrons.

    The noise of a voxel is ``noise * hash_normal(noise_seed[event], voxel index)``, so it is
    replayable and the same in a batch as for the event alone; ``noise_seed`` is (B,) int64,
    required when ``noise`` > 0. Defaults: ND-LAr pitch 0.38 cm, threshold 5000 electrons
    (physics.md section 1), no noise.
    ``channels``: optional (B,) per-event "dead_fraction", "noisy_fraction" and "gain_spread"
    (:func:`systematics.functional.channels.channel_response`, hashed from ``noise_seed``, a pixel
    being a voxel column along ``drift_axis``; noisy channels get ``noisy_channel_noise`` electrons
    RMS more): gains multiply the summed charge before the noise and the threshold, and the voxels
    of dead channels are dropped. ``noise_seed`` is required with ``channels``.
    Dropping is what a threshold does: events may lose all their voxels. Only voxels that received
    charge exist (no noise-only voxels). Returns voxel centres, charge, batch and the (B,) count of
    dropped voxels."""
    ev = Events(coords, charge[:, None], batch, num_events).voxelize(pitch, origin)
    q = ev.feats[:, 0]
    if (noise > 0 or channels is not None) and (
            noise_seed is None or noise_seed.shape != (num_events,) or noise_seed.dtype != torch.int64):
        got = None if noise_seed is None else f"{noise_seed.dtype} {tuple(noise_seed.shape)}"
        when = "noise > 0" if noise > 0 else "channels are given"
        raise ValueError(f"noise_seed: expected a ({num_events},) int64 tensor when {when}, got {got}")
    alive = torch.ones_like(q, dtype=torch.bool)
    if channels is not None:
        c = {key: channels[key][ev.batch] for key in ("dead_fraction", "noisy_fraction", "gain_spread")}
        q, alive = channel_response(ev.coords, q, noise_seed[ev.batch], drift_axis, c["dead_fraction"],
                                    c["noisy_fraction"], torch.full_like(q, noisy_channel_noise), c["gain_spread"])
    if noise > 0:
        q = q + noise * hash_normal(noise_seed[ev.batch], ev.coords).to(q.dtype)
    keep = alive & (q >= threshold)
    pitch_t = torch.as_tensor(pitch, dtype=coords.dtype, device=coords.device)
    origin_t = torch.as_tensor(origin, dtype=coords.dtype, device=coords.device)
    centres = origin_t + (ev.coords[keep].to(coords.dtype) + 0.5) * pitch_t
    dropped = torch.bincount(ev.batch[~keep], minlength=num_events)
    return ReadoutResult(centres, q[keep], ev.batch[keep], dropped)
