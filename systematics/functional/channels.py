"""Readout-channel kernels: dead and noisy channels and the per-channel gain spread.

A channel is a pixel of the anode: the transverse voxel column (the two voxel indices across the
drift axis); the drift index is time. Which channels are dead or noisy and each channel's gain are
pure functions of the event's seed and the channel's indices (counter-based hashing, as the readout
noise), so they are the same for an event alone or in a batch and replay exactly. Ranges and
sources: docs/physics.md section 1.8. Charge in electrons.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
import torch
from torch import Tensor

from systematics.functional.noise import hash_normal, hash_uniform, pack_keys
from systematics.functional.readout import Voxels, select_voxels

__all__ = ["channel_keys", "channel_entries", "channel_runs", "check_channel_tables", "dead_channels", "noisy_channels",
           "channel_gains", "lognormal_gains",
           "ChannelDraws", "channel_draws", "noisy_channel_rms", "channel_response",
           "channels_thrown", "read_channels"]

CHANNEL_PARAMETERS = ("dead_fraction", "noisy_fraction", "gain_spread")

# Hash streams of the three draws of a channel (independent of each other and of the readout noise's stream 0).
DEAD_STREAM, NOISY_STREAM, GAIN_STREAM = 1, 2, 3


def channel_keys(voxel: Tensor, drift_axis: int, tpc: Tensor | None = None, num_tpcs: int = 1) -> Tensor:
    """(M, 2) int64 channel indices of voxel indices (M, 3): the two transverse voxel indices (a
    view). With several TPCs each has its own pixel plane (docs/physics.md section 1.10): ``tpc``
    (M,) int64 in [0, num_tpcs) is the voxel's TPC, folded into the first index as
    i * num_tpcs + tpc (one distinct key per (TPC, pixel))."""
    keys = voxel[:, 1:] if drift_axis == 0 else voxel[:, :2] if drift_axis == 2 else voxel[:, ::2]
    if tpc is None or num_tpcs == 1:
        return keys
    return torch.stack([keys[:, 0] * num_tpcs + tpc, keys[:, 1]], 1)


def channel_entries(row: Tensor, channel: Tensor) -> tuple[Tensor, Tensor]:
    """(first, entry): ``first`` (C,) int64 the first voxel of each distinct channel of an event,
    ``entry`` (M,) int64 each voxel's index into ``first``, for voxels of events ``row`` (M,) int64 >= 0
    on channels ``channel`` (M, 2) int64. So draws that are pure functions of (event, channel) are
    computed C times and gathered with ``entry``. On CPU a numba kernel finds the distinct channels
    of each run of equal ``row`` (an event, when ``row`` is sorted) with a hash table, in any
    voxel order; elsewhere :func:`channel_runs`."""
    if row.device.type != "cpu":
        return channel_runs(row, channel)
    M = len(row)
    first, entry, taken = (torch.empty(M, dtype=torch.int64) for _ in range(3))
    longest = int(torch.bincount(row).max()) if M else 0  # no run of equal row is longer
    slots = torch.full((1 << max(4, (2 * longest - 1).bit_length()),), -1, dtype=torch.int64)  # > 2 longest
    C = _distinct_channels(row.numpy(), channel[:, 0].numpy(), channel[:, 1].numpy(), first.numpy(), entry.numpy(),
                           slots.numpy(), taken.numpy())
    return first[:C], entry


def channel_runs(row: Tensor, channel: Tensor) -> tuple[Tensor, Tensor]:
    """:func:`channel_entries` in torch operations: one entry per run of consecutive voxels of one
    event and channel (the distinct channels when each channel's voxels are consecutive, as for
    collected voxels with the drift axis last; more entries otherwise, the same draws)."""
    start = torch.ones_like(row, dtype=torch.bool)
    start[1:] = (row[1:] != row[:-1]) | (channel[1:] != channel[:-1]).any(1)
    return torch.nonzero(start)[:, 0], torch.cumsum(start, 0) - 1


@numba.njit(cache=True)
def _distinct_channels(row, c0, c1, first, entry, slots, taken):
    """The loop of :func:`channel_entries`: open addressing on (c0, c1) per run of equal ``row``
    in ``slots`` (all -1, more than twice the longest run), ``taken`` the slot of each entry (to
    clear the table after each run); returns C."""
    M = row.shape[0]
    C = 0
    b = 0
    while b < M:
        a = b
        start = C
        while b < M and row[b] == row[a]:
            b += 1
        mask = 1
        while mask < 2 * (b - a):
            mask *= 2
        mask -= 1
        for v in range(a, b):
            if v > a and c0[v] == c0[v - 1] and c1[v] == c1[v - 1]:  # the previous voxel's channel
                entry[v] = entry[v - 1]
                continue
            h = np.uint64(c0[v]) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(c1[v])
            h = (h ^ (h >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
            slot = np.int64(h >> np.uint64(32)) & mask
            while True:
                e = slots[slot]
                if e < 0:
                    slots[slot] = C
                    taken[C] = slot
                    first[C] = v
                    entry[v] = C
                    C += 1
                    break
                f = first[e]
                if c0[f] == c0[v] and c1[f] == c1[v]:
                    entry[v] = e
                    break
                slot = (slot + 1) & mask
        for e in range(start, C):
            slots[taken[e]] = -1
    return C


def _check_fraction(name: str, value: Tensor) -> None:
    if value.numel() and not ((value >= 0) & (value <= 1)).all():
        raise ValueError(f"{name}: expected fractions in [0, 1], got min {value.min().item()}, "
                         f"max {value.max().item()}")


def check_channel_tables(dead_fraction: Tensor, noisy_fraction: Tensor, gain_spread: Tensor) -> None:
    """ValueError naming the argument unless the fractions lie in [0, 1] and the spread is >= 0
    (tables per event or per voxel). One host sync each."""
    _check_fraction("dead_fraction", dead_fraction)
    _check_fraction("noisy_fraction", noisy_fraction)
    _check_spread(gain_spread)


def _check_spread(spread: Tensor) -> None:
    if spread.numel() and not (spread >= 0).all():
        raise ValueError(f"gain_spread: expected relative spreads >= 0, got min {spread.min().item()}")


def dead_channels(seed: Tensor, channel: Tensor, fraction: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) bool: the channel is dead. ``seed`` (M,) int64 (or a table with ``row``, as in
    :func:`hash_uniform`), ``channel`` (M, 2) int64 (or (M, 1) packed by :func:`pack_keys`: the
    same draws), ``fraction`` (M,) in [0, 1]: a channel is dead when its hashed uniform u in
    (0, 1] is <= fraction, so 0 kills none, 1 kills all, and a larger fraction kills a superset
    for the same seed."""
    _check_fraction("dead_fraction", fraction)
    return hash_uniform(seed, channel, row, DEAD_STREAM) <= fraction


def noisy_channels(seed: Tensor, channel: Tensor, fraction: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) bool: the channel is noisy (as :func:`dead_channels`, an independent stream)."""
    _check_fraction("noisy_fraction", fraction)
    return hash_uniform(seed, channel, row, NOISY_STREAM) <= fraction


def channel_gains(seed: Tensor, channel: Tensor, spread: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) float64 relative gains g = exp(spread z - spread^2 / 2), z the channel's hashed
    standard normal: log-normal, positive, mean 1 and RMS ~ ``spread`` (M,) >= 0 for small
    spreads; ``spread`` = 0 gives exactly 1. ``seed``, ``channel`` and ``row`` as in
    :func:`dead_channels`."""
    _check_spread(spread)
    return lognormal_gains(spread, hash_normal(seed, channel, row, GAIN_STREAM))


def lognormal_gains(spread: Tensor, z: Tensor) -> Tensor:
    """(M,) float64 gains exp(s z - s^2 / 2) of relative spreads ``spread`` (M,) (s, in float64) and
    standard normals ``z`` (M,) float64: log-normal with mean 1 (docs/physics.md section 1.8)."""
    s = spread.to(torch.float64)
    return torch.exp(s * z - s * s / 2)


class ChannelDraws(NamedTuple):
    entry: Tensor | None  # (M,) int64: each voxel's row in the (C,) draws; None: one row per voxel (C = M)
    gain: Tensor  # (C,) relative gain of the channel, in the charge's dtype
    noisy: Tensor  # (C,) bool: the channel is noisy
    alive: Tensor  # (C,) bool: False when the channel is dead


def channel_draws(voxel: Tensor, seed: Tensor, drift_axis: int, dead_fraction: Tensor, noisy_fraction: Tensor,
                  gain_spread: Tensor, dtype: torch.dtype, row: Tensor | None = None, tpc: Tensor | None = None,
                  num_tpcs: int = 1) -> ChannelDraws:
    """The draws of the channels that read voxels ``voxel`` (M, 3) int64: gain (as ``dtype``, the
    charge's), noisy, alive. Arguments as :func:`channel_response`. With ``row`` the draws are
    hashed once per distinct channel of an event (:func:`channel_entries`) and ``entry`` maps the
    voxels to them."""
    entry = None
    check_channel_tables(dead_fraction, noisy_fraction, gain_spread)  # every event's values, as the CPU kernel
    keys = channel_keys(voxel, drift_axis, tpc, num_tpcs)
    if row is not None and len(row):
        first, entry = channel_entries(row, keys)
        keys, row = keys.index_select(0, first), row.index_select(0, first)
    if row is not None:
        dead_fraction, noisy_fraction, gain_spread = (x.index_select(0, row)
                                                      for x in (dead_fraction, noisy_fraction, gain_spread))
    channel = pack_keys(keys)  # packed once for the three streams
    gain = channel_gains(seed, channel, gain_spread, row).to(dtype)  # a random factor: float32 holds it
    return ChannelDraws(entry, gain, noisy_channels(seed, channel, noisy_fraction, row),
                        ~dead_channels(seed, channel, dead_fraction, row))


def noisy_channel_rms(noise: float | Tensor, noisy_noise: float | Tensor, dtype: torch.dtype,
                      device: torch.device) -> tuple[Tensor, Tensor]:
    """(base, noisy): the noise RMS (electrons, 0-dim tensors of ``dtype``) of a voxel on a normal
    channel and on a noisy one, sqrt(noise^2 + noisy_noise^2) (independent Gaussian noises add
    in quadrature)."""
    base = torch.as_tensor(noise, dtype=dtype, device=device)
    extra = torch.as_tensor(noisy_noise, dtype=dtype, device=device)
    return base, torch.sqrt(base * base + extra * extra)


def channel_response(voxel: Tensor, charge: Tensor, seed: Tensor, drift_axis: int, dead_fraction: Tensor,
                     noisy_fraction: Tensor, gain_spread: Tensor, noise: float | Tensor,
                     noisy_noise: float | Tensor, row: Tensor | None = None, tpc: Tensor | None = None,
                     num_tpcs: int = 1) -> tuple[Tensor, Tensor, Tensor]:
    """The channels' effect on collected voxels, before the noise and the threshold.

    voxel (M, 3) int64 voxel indices, charge (M,) electrons, and per voxel (M,) the event's
    ``seed`` int64, ``dead_fraction``, ``noisy_fraction`` in [0, 1] and ``gain_spread``
    (relative); or, with ``row`` (M,) int64 (the voxels' events), these four as (B,) tables per
    event that ``row`` indexes (as in :func:`hash_uniform`). ``noise`` is the readout noise RMS and
    ``noisy_noise`` the extra RMS of a noisy channel (electrons). Returns (charge, alive, rms): the
    charge times the channel's gain, ``alive`` (M,) bool, False on a dead channel (it reads
    nothing: the caller drops those voxels), and the (M,) noise RMS of each voxel,
    sqrt(noise^2 + noisy_noise^2) on a noisy channel (:func:`noisy_channel_rms`). All zero
    fractions and spread return ``charge`` unchanged, every voxel alive and ``noise`` everywhere.

    With ``row``, the draws are hashed once per distinct channel of an event
    (:func:`channel_draws`) and gathered to the voxels. The values do not depend on the order.
    ``tpc`` (M,) and ``num_tpcs``: each voxel's TPC, whose own pixel plane reads it (:func:`channel_keys`)."""
    entry, gain, noisy, alive = channel_draws(voxel, seed, drift_axis, dead_fraction, noisy_fraction, gain_spread,
                                              charge.dtype, row, tpc, num_tpcs)
    if entry is not None:
        gain, noisy, alive = (x.index_select(0, entry) for x in (gain, noisy, alive))
    base, loud = noisy_channel_rms(noise, noisy_noise, charge.dtype, charge.device)
    return charge * gain, alive, torch.where(noisy, loud, base.expand_as(charge))


def channels_thrown(values: dict[str, Tensor], noise_seed: Tensor | None) -> bool:
    """Whether any event of ``values`` throws a channel effect (a nonzero "dead_fraction",
    "noisy_fraction" or "gain_spread"); then the hashes need ``noise_seed`` (ValueError naming it
    when None). One host sync."""
    per_event = torch.stack([values[k] for k in CHANNEL_PARAMETERS])
    if not bool((per_event != 0).any()):
        return False
    if noise_seed is None:
        raise ValueError("noise_seed: expected a (B,) int64 tensor when dead or noisy channels or a gain spread "
                         "are thrown, got None")
    return True


def read_channels(voxels: Voxels, values: dict[str, Tensor], noise_seed: Tensor | None, drift_axis: int,
                  noise: float, noisy_noise: float, tpc: Tensor | None = None,
                  num_tpcs: int = 1) -> tuple[Voxels, float | Tensor]:
    """The response's channel stage, between collecting and digitising the voxels: ``values`` holds
    the (B,) per-event "dead_fraction", "noisy_fraction" and "gain_spread"; the hashes use the
    event's ``noise_seed`` (B,) int64. Returns the voxels with the gains applied and the dead
    channels' voxels dropped (counted in ``dropped``), and the noise RMS for :func:`digitise`: a
    (V,) tensor, or ``noise`` unchanged when every channel value is 0 (then nothing is hashed).
    ``tpc`` (V,) int64 and ``num_tpcs``: each voxel's TPC (:func:`channel_keys`), None for one TPC."""
    if not channels_thrown(values, noise_seed):
        return voxels, noise
    q, alive, rms = channel_response(voxels.voxel, voxels.charge, noise_seed, drift_axis,
                                     *(values[k] for k in CHANNEL_PARAMETERS), noise, noisy_noise, voxels.batch, tpc,
                                     num_tpcs)
    keep = torch.nonzero(alive)[:, 0]
    voxel, batch, dropped = select_voxels(voxels.voxel, voxels.batch, voxels.dropped, keep)
    return Voxels(voxel, q.index_select(0, keep), batch, dropped), rms.index_select(0, keep)
