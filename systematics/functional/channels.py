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

from systematics.functional.noise import hash_normal, hash_uniform, pack_keys
from systematics.functional.readout import Voxels, select_voxels

__all__ = ["channel_keys", "dead_channels", "noisy_channels", "channel_gains", "channel_response", "read_channels"]

CHANNEL_PARAMETERS = ("dead_fraction", "noisy_fraction", "gain_spread")

# Hash streams of the three draws of a channel (independent of each other and of the readout noise's stream 0).
_DEAD, _NOISY, _GAIN = 1, 2, 3


def channel_keys(voxel: Tensor, drift_axis: int) -> Tensor:
    """(M, 2) int64 channel indices (the two transverse voxel indices) of voxel indices (M, 3): a view."""
    return voxel[:, 1:] if drift_axis == 0 else voxel[:, :2] if drift_axis == 2 else voxel[:, ::2]


def _check_fraction(name: str, value: Tensor) -> None:
    if value.numel() and not ((value >= 0) & (value <= 1)).all():
        raise ValueError(f"{name}: expected fractions in [0, 1], got min {value.min().item()}, "
                         f"max {value.max().item()}")


def dead_channels(seed: Tensor, channel: Tensor, fraction: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) bool: the channel is dead. ``seed`` (M,) int64 (or a table with ``row``, as in
    :func:`hash_uniform`), ``channel`` (M, 2) int64 (or (M, 1) packed by :func:`pack_keys`: the
    same draws), ``fraction`` (M,) in [0, 1]: a channel is dead when its hashed uniform u in
    (0, 1] is <= fraction, so 0 kills none, 1 kills all, and a larger fraction kills a superset
    for the same seed."""
    _check_fraction("dead_fraction", fraction)
    return hash_uniform(seed, channel, row, _DEAD) <= fraction


def noisy_channels(seed: Tensor, channel: Tensor, fraction: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) bool: the channel is noisy (as :func:`dead_channels`, an independent stream)."""
    _check_fraction("noisy_fraction", fraction)
    return hash_uniform(seed, channel, row, _NOISY) <= fraction


def channel_gains(seed: Tensor, channel: Tensor, spread: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) float64 relative gains g = exp(spread z - spread^2 / 2), z the channel's hashed
    standard normal: log-normal, positive, mean 1 and RMS ~ ``spread`` (M,) >= 0 for small
    spreads; ``spread`` = 0 gives exactly 1. ``seed``, ``channel`` and ``row`` as in
    :func:`dead_channels`."""
    if spread.numel() and not (spread >= 0).all():
        raise ValueError(f"gain_spread: expected relative spreads >= 0, got min {spread.min().item()}")
    s = spread.to(torch.float64)
    return torch.exp(s * hash_normal(seed, channel, row, _GAIN) - s * s / 2)


def channel_response(voxel: Tensor, charge: Tensor, seed: Tensor, drift_axis: int, dead_fraction: Tensor,
                     noisy_fraction: Tensor, gain_spread: Tensor, noise: float | Tensor,
                     noisy_noise: float | Tensor, row: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """The channels' effect on collected voxels, before the noise and the threshold.

    voxel (M, 3) int64 voxel indices, charge (M,) electrons, and per voxel (M,) the event's
    ``seed`` int64, ``dead_fraction``, ``noisy_fraction`` in [0, 1] and ``gain_spread``
    (relative); or, with ``row`` (M,) int64 (the voxels' events), these four as (B,) tables per
    event that ``row`` indexes (as in :func:`hash_uniform`). ``noise`` is the readout noise RMS and
    ``noisy_noise`` the extra RMS of a noisy channel (electrons). Returns (charge, alive, rms): the
    charge times the channel's gain, ``alive`` (M,) bool, False on a dead channel (it reads
    nothing: the caller drops those voxels), and the (M,) noise RMS of each voxel,
    sqrt(noise^2 + noisy_noise^2) on a noisy channel (independent Gaussian noises add in
    quadrature). All zero fractions and spread return ``charge`` unchanged, every voxel alive and
    ``noise`` everywhere.

    With ``row`` and the drift axis last (2), the draws are hashed once per run of consecutive
    voxels of one event and channel, and gathered to the voxels: voxels sorted by event then
    index (as collected) hold each channel in one run. The values do not depend on the order."""
    channel = channel_keys(voxel, drift_axis)
    run = None
    if row is not None and drift_axis == 2 and len(row):
        start = torch.ones_like(row, dtype=torch.bool)
        start[1:] = (row[1:] != row[:-1]) | (channel[1:] != channel[:-1]).any(1)
        first = torch.nonzero(start)[:, 0]
        run = torch.cumsum(start, 0) - 1
        channel, row = channel.index_select(0, first), row.index_select(0, first)
    if row is not None:
        dead_fraction, noisy_fraction, gain_spread = (x.index_select(0, row)
                                                      for x in (dead_fraction, noisy_fraction, gain_spread))
    channel = pack_keys(channel)  # packed once for the three streams
    gain = channel_gains(seed, channel, gain_spread, row).to(charge.dtype)  # a random factor: float32 holds it
    noisy = noisy_channels(seed, channel, noisy_fraction, row)
    alive = ~dead_channels(seed, channel, dead_fraction, row)
    if run is not None:
        gain, noisy, alive = (x.index_select(0, run) for x in (gain, noisy, alive))
    q = charge * gain
    base = torch.as_tensor(noise, dtype=charge.dtype, device=charge.device).expand_as(charge)
    extra = torch.as_tensor(noisy_noise, dtype=charge.dtype, device=charge.device)
    rms = torch.where(noisy, torch.sqrt(base * base + extra * extra), base)
    return q, alive, rms


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
    q, alive, rms = channel_response(voxels.voxel, voxels.charge, noise_seed, drift_axis,
                                     *(values[k] for k in CHANNEL_PARAMETERS), noise, noisy_noise, voxels.batch)
    keep = torch.nonzero(alive)[:, 0]
    voxel, batch, dropped = select_voxels(voxels.voxel, voxels.batch, voxels.dropped, keep)
    return Voxels(voxel, q.index_select(0, keep), batch, dropped), rms.index_select(0, keep)
