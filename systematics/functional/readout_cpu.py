"""CPU kernel of the readout (:func:`systematics.functional.chain.read_out`): the channels, the
noise and the threshold of the collected voxels in two numba passes (docs/physics.md sections 1.6
and 1.8).

The torch path (:func:`~systematics.functional.channels.read_channels` then
:func:`~systematics.functional.readout.digitise`) gathers the channel draws to every voxel, selects
the voxels of live channels, then those that noise could lift over the threshold, hashes their
noise and selects the survivors: about twenty passes over (V,) tensors. Here one pass gathers the
draws, applies the gain, drops dead channels and voxels that no noise draw can lift, and hashes the
noise uniforms of the others; a second keeps those over the threshold. The per-channel draws are
hashed in one pass over the distinct channels (:func:`channel_draws_cpu`). The result is the torch
path's, bit for bit (tested): the transcendental steps (Box-Muller's log, sqrt and cos,
:func:`~systematics.functional.noise.normal_from_uniforms`; the gain's exp) stay in torch, the
kernels do the same integer and float operations in the same dtype (charge in electrons).
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import Tensor

from systematics.functional.channels import (CHANNEL_PARAMETERS, DEAD_STREAM, GAIN_STREAM, NOISY_STREAM, ChannelDraws,
                                             channel_entries, channel_keys, channels_thrown, check_channel_tables,
                                             lognormal_gains, noisy_channel_rms)
from systematics.functional.noise import (HASH_NORMAL_MAX, box_muller_uniforms, check_digits, normal_from_uniforms,
                                         splitmix_output, stream_state, uniform_from_output)
from systematics.functional.readout import Voxels, check_noise_seed

__all__ = ["read_out_cpu", "channel_draws_cpu"]

_VOXEL_BITS = 64 // 3  # pack_keys's digit width for the three voxel indices
_CHANNEL_BITS = 64 // 2  # and for the two channel indices


def read_out_cpu(voxels: Voxels, values: dict[str, Tensor], noise_seed: Tensor | None, drift_axis: int,
                 noise: float, noisy_noise: float, threshold: float, tpc: Tensor | None = None,
                 num_tpcs: int = 1) -> Voxels | None:
    """Collected voxels (CPU tensors) -> read-out voxels: the channels (``values`` (B,)
    "dead_fraction", "noisy_fraction", "gain_spread"), the noise RMS ``noise`` (electrons; a noisy
    channel adds ``noisy_noise`` in quadrature) and the ``threshold`` (electrons), all hashed from
    the event's ``noise_seed`` (B,) int64, as ``digitise(*read_channels(...), ...)``. ``tpc`` and
    ``num_tpcs`` as in :func:`~systematics.functional.channels.channel_keys`. None where this kernel
    does not apply (a charge dtype other than float32/64, a voxel index past pack_keys's range): the
    caller takes the torch path, which also raises its errors."""
    q = voxels.charge
    if q.dtype not in (torch.float32, torch.float64):
        return None
    B, V = len(voxels.dropped), len(q)
    base, loud = noisy_channel_rms(noise, noisy_noise, q.dtype, q.device)
    thrown = channels_thrown(values, noise_seed)
    if thrown:
        entry, gain, noisy, alive = channel_draws_cpu(voxels.voxel, noise_seed, drift_axis,
                                                      *(values[k] for k in CHANNEL_PARAMETERS), q.dtype,
                                                      voxels.batch, tpc, num_tpcs)
    else:
        entry, gain, noisy, alive = (torch.empty(0, dtype=t) for t in (torch.int64, q.dtype, torch.bool, torch.bool))
    noise_on = bool(base > 0) or (thrown and bool(loud > 0) and bool(noisy.any()))
    if noise_on:
        check_noise_seed(noise_seed, B)
        state = stream_state(noise_seed, 0, False)
    else:
        state = torch.zeros(B, dtype=torch.int64)
    # Rows of the voxels kept, not their copies: the outputs are gathered once at the end.
    rows, charge = torch.empty(V, dtype=torch.int64), torch.empty(V, dtype=q.dtype)
    rms, u1, angle = (torch.empty(V if noise_on else 0, dtype=t) for t in (q.dtype, torch.float64, torch.float64))
    dropped = voxels.dropped.clone()
    scalar = q.numpy().dtype.type
    batch = voxels.batch.contiguous().numpy()
    L = _channels_and_noise_bits(
        q.numpy(), voxels.voxel.contiguous().numpy(), batch, entry.numpy(), gain.numpy(), noisy.numpy(),
        alive.numpy(), thrown, scalar(base.item()), scalar(loud.item()), scalar(HASH_NORMAL_MAX), scalar(threshold),
        noise_on, state.numpy().view(np.uint64), rows.numpy(), charge.numpy(), rms.numpy(), u1.numpy(),
        angle.numpy(), dropped.numpy())
    if L < 0:
        return None
    K = L
    if noise_on:  # the torch path's float operations, in place on this function's buffers
        z = normal_from_uniforms(u1[:L], angle[:L], inplace=True).to(q.dtype)
        charge[:L].add_(rms[:L].mul_(z))
        K = _threshold(charge.numpy()[:L], scalar(threshold), rows.numpy(), batch, dropped.numpy())
    rows = rows[:K]
    return Voxels(voxels.voxel.index_select(0, rows), charge[:K], voxels.batch.index_select(0, rows), dropped)


def channel_draws_cpu(voxel: Tensor, seed: Tensor, drift_axis: int, dead_fraction: Tensor, noisy_fraction: Tensor,
                      gain_spread: Tensor, dtype: torch.dtype, row: Tensor, tpc: Tensor | None = None,
                      num_tpcs: int = 1) -> ChannelDraws:
    """:func:`~systematics.functional.channels.channel_draws` of CPU voxels (M, 3) of events ``row``
    (M,) int64 (the fractions and the spread (B,) tables, ``seed`` (B,) int64): the distinct channels
    as there, then their dead and noisy uniforms, compared with the fractions, and the uniforms of
    the gain's normal in one numba pass over the channels (three SplitMix64 outputs each); the
    Box-Muller step and the log-normal gain in torch
    (:func:`~systematics.functional.channels.lognormal_gains`). The same bits (tested)."""
    check_channel_tables(dead_fraction, noisy_fraction, gain_spread)
    keys = channel_keys(voxel, drift_axis, tpc, num_tpcs)
    first, entry = channel_entries(row, keys)
    states = torch.stack([stream_state(seed, DEAD_STREAM, True), stream_state(seed, NOISY_STREAM, True),
                          stream_state(seed, GAIN_STREAM, False)])
    C = len(first)
    alive, noisy = torch.empty(C, dtype=torch.bool), torch.empty(C, dtype=torch.bool)
    u1, angle = torch.empty(C, dtype=torch.float64), torch.empty(C, dtype=torch.float64)
    event = torch.empty(C, dtype=torch.int64)
    if not _channel_bits(first.numpy(), row.contiguous().numpy(), keys[:, 0].numpy(), keys[:, 1].numpy(),
                         states.numpy().view(np.uint64), dead_fraction.contiguous().numpy(),
                         noisy_fraction.contiguous().numpy(), alive.numpy(), noisy.numpy(), u1.numpy(),
                         angle.numpy(), event.numpy()):
        check_digits(keys)  # a channel index past pack_keys's range: its ValueError
    gain = lognormal_gains(gain_spread.index_select(0, event), normal_from_uniforms(u1, angle, inplace=True))
    return ChannelDraws(entry, gain.to(dtype), noisy, alive)


@numba.njit(cache=True)
def _channel_bits(first, row, c0, c1, states, dead, noisy_fraction, alive, noisy, u1, angle, event):
    """The pass of :func:`channel_draws_cpu`: per channel (its first voxel ``first[c]``) the packed
    key (pack_keys: two digits of 32 bits), the event, the three outputs from the event's ``states``
    (dead, noisy, gain streams) and what the torch path makes of them (uniform <= fraction; the
    Box-Muller uniforms). False when a channel index lies outside [-2^31, 2^31) (every voxel's
    channel is some channel's first voxel's: the range pack_keys checks)."""
    half = 1 << (_CHANNEL_BITS - 1)
    radix = np.uint64(1 << _CHANNEL_BITS)
    for c in range(first.shape[0]):
        v = first[c]
        b = row[v]
        if min(c0[v], c1[v]) < -half or max(c0[v], c1[v]) >= half:
            return False
        packed = np.uint64(c0[v]) * radix + np.uint64(c1[v])
        event[c] = b
        alive[c] = not uniform_from_output(splitmix_output(states[0, b], packed)) <= dead[b]
        noisy[c] = uniform_from_output(splitmix_output(states[1, b], packed)) <= noisy_fraction[b]
        u1[c], angle[c] = box_muller_uniforms(splitmix_output(states[2, b], packed))
    return True


@numba.njit(cache=True)
def _channels_and_noise_bits(charge, voxel, batch, entry, gain, noisy, alive, thrown, base, loud, bound, threshold,
                             noise_on, state, out_rows, out_charge, out_rms, out_u1, out_angle, dropped):
    """The first pass of :func:`read_out_cpu`: per voxel, its channel's draws (``entry`` into
    ``gain``, ``noisy``, ``alive`` when ``thrown``), the voxel dropped on a dead channel or when
    charge + rms ``bound`` < threshold (with ``noise_on``; else when charge < threshold), the
    others' rows and charges compacted into the outputs with their RMS and the uniforms of their
    noise (the 64 bits of ``splitmix_output`` of the event's ``state`` and the packed voxel index,
    as noise._hash_keys, split into u1 and the angle as in noise.normal_from_bits: exact
    conversions, one rounded product). Returns
    their number, -1 when a voxel index lies outside pack_keys's range."""
    radix = np.uint64(1 << _VOXEL_BITS)
    half = 1 << (_VOXEL_BITS - 1)
    L = 0
    for v in range(charge.shape[0]):
        b = batch[v]
        q = charge[v]
        rms = base
        if thrown:
            e = entry[v]
            if not alive[e]:
                dropped[b] += 1
                continue
            q = q * gain[e]
            if noisy[e]:
                rms = loud
        if noise_on:
            if q + rms * bound < threshold:
                dropped[b] += 1
                continue
            x0, x1, x2 = voxel[v, 0], voxel[v, 1], voxel[v, 2]
            if min(x0, x1, x2) < -half or max(x0, x1, x2) >= half:
                return -1
            z = splitmix_output(state[b], (np.uint64(x0) * radix + np.uint64(x1)) * radix + np.uint64(x2))
            out_u1[L], out_angle[L] = box_muller_uniforms(z)
        elif not q >= threshold:
            dropped[b] += 1
            continue
        out_rows[L] = v
        out_charge[L] = q
        if noise_on:
            out_rms[L] = rms
        L += 1
    return L


@numba.njit(cache=True)
def _threshold(charge, threshold, rows, batch, dropped):
    """The second pass of :func:`read_out_cpu`: keep the entries whose (noisy) ``charge`` >=
    threshold, compacted in place in ``charge`` and ``rows``, the others counted per event
    (``batch`` of their row) into ``dropped``; returns their number."""
    K = 0
    for t in range(charge.shape[0]):
        if charge[t] >= threshold:
            charge[K] = charge[t]
            rows[K] = rows[t]
            K += 1
        else:
            dropped[batch[rows[t]]] += 1
    return K
