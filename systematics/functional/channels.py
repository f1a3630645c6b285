"""Readout-channel kernels: dead and noisy channels and the per-channel gain spread.

A channel is a pixel of the anode: the transverse voxel column (the two voxel indices across the
drift axis); the drift index is time. Which channels are dead or noisy and each channel's gain are
pure functions of the event's seed and the channel's indices (counter-based hashing, as the readout
noise), so they are the same for an event alone or in a batch and replay exactly. Ranges and
sources: docs/physics.md, "Readout channels". Charge in electrons.
"""

from __future__ import annotations

import torch
from torch import Tensor

from systematics.functional.noise import hash_normal, hash_uniform

__all__ = ["channel_keys", "dead_channels", "noisy_channels", "channel_gains", "channel_response"]

# Tags appended to the hash keys so the four draws of a channel are independent streams.
_DEAD, _NOISY, _GAIN, _NOISE = 1, 2, 3, 4


def channel_keys(voxel: Tensor, drift_axis: int) -> Tensor:
    """(M, 2) int64 channel indices (the two transverse voxel indices) of voxel indices (M, 3)."""
    return voxel[:, [a for a in range(3) if a != drift_axis]]


def _tagged(keys: Tensor, tag: int) -> Tensor:
    return torch.cat([keys, torch.full_like(keys[:, :1], tag)], 1)


def _check_fraction(name: str, value: Tensor) -> None:
    if value.numel() and not ((value >= 0) & (value <= 1)).all():
        raise ValueError(f"{name}: expected fractions in [0, 1], got min {value.min().item()}, max {value.max().item()}")


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
                     noisy_fraction: Tensor, noisy_rms: Tensor, gain_spread: Tensor) -> tuple[Tensor, Tensor]:
    """The channels' effect on read-out voxels, before the threshold.

    voxel (M, 3) int64 voxel indices, charge (M,) electrons, seed (M,) int64 (the event's), and
    per-voxel (M,) ``dead_fraction``, ``noisy_fraction`` in [0, 1], ``noisy_rms`` (electrons, the
    extra noise of a noisy channel) and ``gain_spread`` (relative). Returns (charge, alive): the
    charge times the channel's gain plus, on a noisy channel, ``noisy_rms`` times a standard normal
    hashed from the voxel (every time sample of a noisy channel gets its own), and ``alive`` (M,)
    bool, False on a dead channel (it reads nothing: the caller drops those voxels). All zero
    fractions and spread return ``charge`` unchanged and every voxel alive."""
    channel = channel_keys(voxel, drift_axis)
    gain = channel_gains(seed, channel, gain_spread)
    noisy = noisy_channels(seed, channel, noisy_fraction)
    extra = noisy_rms.to(torch.float64) * hash_normal(seed, _tagged(voxel, _NOISE))
    q = charge.to(torch.float64) * gain
    q = torch.where(noisy, q + extra, q).to(charge.dtype)
    return q, ~dead_channels(seed, channel, dead_fraction)
