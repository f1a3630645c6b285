"""Readout-channel kernels: dead and noisy channels and the per-channel gain spread.

A channel is a pixel of the anode: the transverse voxel column (the two voxel indices across the
drift axis); the drift index is time. Which channels are dead or noisy and each channel's gain are
pure functions of the event's seed and the channel's indices (counter-based hashing, as the readout
noise), so they are the same for an event alone or in a batch and replay exactly. Ranges and
sources: docs/physics.md section 1.8. Charge in electrons.
"""

from __future__ import annotations

import torch
from torch import Tensor

from systematics.functional.noise import hash_normal, hash_uniform
from systematics.functional.readout import Voxels

__all__ = ["channel_keys", "dead_channels", "noisy_channels", "channel_gains", "channel_response", "read_channels"]

CHANNEL_PARAMETERS = ("dead_fraction", "noisy_fraction", "gain_spread")

# Tags appended to the hash keys so the three draws of a channel are independent streams.
_DEAD, _NOISY, _GAIN = 1, 2, 3


def channel_keys(voxel: Tensor, drift_axis: int) -> Tensor:
    """(M, 2) int64 channel indices (the two transverse voxel indices) of voxel indices (M, 3)."""
    return voxel[:, [a for a in range(3) if a != drift_axis]]


def _tagged(keys: Tensor, tag: int) -> Tensor:
    return torch.cat([keys, torch.full_like(keys[:, :1], tag)], 1)


def _check_fraction(name: str, value: Tensor) -> None:
    if value.numel() and not ((value >= 0) & (value <= 1)).all():
        raise ValueError(f"{name}: expected fractions in [0, 1], got min {value.min().item()}, "
                         f"max {value.max().item()}")


def dead_channels(seed: Tensor, channel: Tensor, fraction: Tensor) -> Tensor:
    """(M,) bool: the channel is dead. ``seed`` (M,) int64, ``channel`` (M, 2) int64, ``fraction``
    (M,) in [0, 1]: a channel is dead when its hashed uniform u in (0, 1] is <= fraction, so 0 kills
    none, 1 kills all, and a larger fraction kills a superset for the same seed."""
    _check_fraction("dead_fraction", fraction)
    return hash_uniform(seed, _tagged(channel, _DEAD)) <= fraction


def noisy_channels(seed: Tensor, channel: Tensor, fraction: Tensor) -> Tensor:
    """(M,) bool: the channel is noisy (as :func:`dead_channels`, an independent stream)."""
    _check_fraction("noisy_fraction", fraction)
    return hash_uniform(seed, _tagged(channel, _NOISY)) <= fraction


def channel_gains(seed: Tensor, channel: Tensor, spread: Tensor) -> Tensor:
    """(M,) float64 relative gains g = exp(spread z - spread^2 / 2), z the channel's hashed
    standard normal: log-normal, positive, mean 1 and RMS ~ ``spread`` (M,) >= 0 for small
    spreads; ``spread`` = 0 gives exactly 1."""
    if spread.numel() and not (spread >= 0).all():
        raise ValueError(f"gain_spread: expected relative spreads >= 0, got min {spread.min().item()}")
    s = spread.to(torch.float64)
    return torch.exp(s * hash_normal(seed, _tagged(channel, _GAIN)) - s * s / 2)


def channel_response(voxel: Tensor, charge: Tensor, seed: Tensor, drift_axis: int, dead_fraction: Tensor,
                     noisy_fraction: Tensor, gain_spread: Tensor, noise: float | Tensor,
                     noisy_noise: float | Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The channels' effect on collected voxels, before the noise and the threshold.

    voxel (M, 3) int64 voxel indices, charge (M,) electrons, seed (M,) int64 (the event's), and
    per-voxel (M,) ``dead_fraction``, ``noisy_fraction`` in [0, 1] and ``gain_spread`` (relative);
    ``noise`` the readout noise RMS and ``noisy_noise`` the extra RMS of a noisy channel
    (electrons). Returns (charge, alive, rms): the charge times the channel's gain, ``alive`` (M,)
    bool, False on a dead channel (it reads nothing: the caller drops those voxels), and the (M,)
    noise RMS of each voxel, sqrt(noise^2 + noisy_noise^2) on a noisy channel (independent
    Gaussian noises add in quadrature). All zero fractions and spread return ``charge`` unchanged,
    every voxel alive and ``noise`` everywhere."""
    channel = channel_keys(voxel, drift_axis)
    q = (charge.to(torch.float64) * channel_gains(seed, channel, gain_spread)).to(charge.dtype)
    noisy = noisy_channels(seed, channel, noisy_fraction)
    base = torch.as_tensor(noise, dtype=charge.dtype, device=charge.device).expand_as(charge)
    extra = torch.as_tensor(noisy_noise, dtype=charge.dtype, device=charge.device)
    rms = torch.where(noisy, torch.sqrt(base * base + extra * extra), base)
    return q, ~dead_channels(seed, channel, dead_fraction), rms


def read_channels(voxels: Voxels, values: dict[str, Tensor], noise_seed: Tensor | None, drift_axis: int,
                  noise: float, noisy_noise: float) -> tuple[Voxels, float | Tensor]:
    """The response's channel stage, between collecting and digitising the voxels: ``values`` holds
    the (B,) per-event "dead_fraction", "noisy_fraction" and "gain_spread"; the hashes use the
    event's ``noise_seed`` (B,) int64. Returns the voxels with the gains applied and the dead
    channels' voxels dropped (counted in ``dropped``), and the noise RMS for :func:`digitise`: a
    (V,) tensor, or ``noise`` unchanged when every channel value is 0 (then nothing is hashed)."""
    per_event = torch.stack([values[k] for k in CHANNEL_PARAMETERS])
    if not bool((per_event != 0).any()):
        return voxels, noise
    if noise_seed is None:
        raise ValueError("noise_seed: expected a (B,) int64 tensor when dead or noisy channels or a gain spread "
                         "are thrown, got None")
    batch = voxels.batch
    dead, noisy, spread = (values[k].index_select(0, batch) for k in CHANNEL_PARAMETERS)
    q, alive, rms = channel_response(voxels.voxel, voxels.charge, noise_seed.index_select(0, batch), drift_axis, dead,
                                     noisy, spread, noise, noisy_noise)
    dropped = voxels.dropped + torch.bincount(batch[~alive], minlength=len(voxels.dropped))
    return Voxels(voxels.voxel[alive], q[alive], batch[alive], dropped), rms[alive]
