"""The full response chain for a ragged batch: recombination -> ionisation -> drift -> lifetime
-> space charge -> diffusion onto the voxel grid -> channels -> readout (docs/physics.md sections
1.2-1.8, larnd-sim's order for 1.2-1.6).

Where further effects plug in (each a pure function of tensors and of ``values``, the (B,)
per-event parameters, gathered to points with ``batch``):

* after the drift, before the grid: a displacement of the cloud ``centres`` (N, 3) cm, e.g.
  space charge (it moves charge, it does not change the widths);
* between :func:`collect_voxels` and :func:`digitise`: per-channel effects on the voxel charges
  (V,) with their voxel indices (V, 3) (a channel is the voxel's position across the drift
  axis), e.g. gain spread, dead channels (charge 0) or noisy channels (a (V,) noise RMS).
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

import torch
from torch import Tensor

from systematics.functional.channels import read_channels
from systematics.functional.diffusion import DEFAULT_NSIGMA, axis_shares, diffusion_sigma, grid_charge, sample_diffusion
from systematics.functional.drift import (drift_frame, drift_time, drift_velocity, lifetime_attenuation,
                                          reconstruct_drift_coords, tpc_at)
from systematics.functional.collect_cpu import collect_cpu
from systematics.functional.readout import Voxels, collect_voxels, digitise, voxel_centres
from systematics.functional.readout_cpu import read_out_cpu
from systematics.functional.recombination import dedx, ionisation_electrons, recombination_birks, recombination_box
from systematics.functional.space_charge import space_charge_shift
from systematics.parameters import NOMINAL, DriftGeometry, ReadoutConfig

__all__ = ["detector_response", "collect_charge", "read_out", "cat_voxels", "ResponseResult"]


class ResponseResult(NamedTuple):
    coords: Tensor  # (M, 3) voxel centres, cm, dtype of the input coords
    charge: Tensor  # (M,) electrons
    batch: Tensor  # (M,) int64, sorted
    dropped: Tensor  # (B,) int64: voxels per event removed by the threshold or dead channels


def detector_response(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, values: dict[str, Tensor],
                      recombination: str, geometry: DriftGeometry, readout_config: ReadoutConfig,
                      noise_seed: Tensor | None = None, nsigma: float = DEFAULT_NSIGMA,
                      offsets: Tensor | None = None, group_size: int | None = None,
                      kernel: bool = True) -> ResponseResult:
    """Deposits -> read-out voxels of charge; deterministic for a given ``noise_seed``:
    :func:`collect_charge` then :func:`read_out`, group by group.

    coords (N, 3) cm; feats (N, 2) columns dE (MeV), dx (cm); batch (N,) int64; ``values``: (B,)
    per-event tensors "efield" (kV/cm), "lifetime" (us), "diffusion_t", "diffusion_l" (cm^2/us),
    "temperature" (K) and the recombination model's constants ("birks_a", "birks_k" or "box_alpha",
    "box_beta"), "space_charge" and the channel parameters "dead_fraction", "noisy_fraction",
    "gain_spread"; ``noise_seed`` (B,) int64 (needed when the readout has noise or channel effects).
    ``offsets``, ``nsigma``, ``group_size`` and ``kernel`` as in :func:`collect_charge` (``kernel``
    also as in :func:`read_out`).

    Memory: the diffusion onto the grid, the voxel sums and the readout run on groups of whole
    events of about ``group_size`` deposits each, so their temporaries stay a small multiple of the
    input (default: half the batch for the CPU kernel, whose temporaries are the collected voxels
    and the readout's, about 3 voxels per deposit at nominal; an eighth for the torch kernels, which
    also hold every voxel share, about 5 per deposit; at least 2^14); events are independent, so
    the result does not depend on the grouping."""
    parts = [read_out(collected, values, noise_seed, geometry, readout_config, kernel)
             for collected in _collected_groups(coords, feats, batch, num_events, values, recombination, geometry,
                                                readout_config, nsigma, offsets, group_size, kernel)]
    voxels = cat_voxels(parts)
    return ResponseResult(voxel_centres(voxels.voxel, readout_config.pitch, readout_config.origin, coords.dtype),
                          voxels.charge, voxels.batch, voxels.dropped)


def collect_charge(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, values: dict[str, Tensor],
                   recombination: str, geometry: DriftGeometry, readout_config: ReadoutConfig,
                   nsigma: float = DEFAULT_NSIGMA, offsets: Tensor | None = None,
                   group_size: int | None = None, kernel: bool = True) -> Voxels:
    """Deposits -> the charge (electrons) collected per (event, voxel) before the channels, the
    noise and the threshold (docs/physics.md sections 1.2-1.7): deterministic, no random draw.
    Arguments as :func:`detector_response` (``values`` needs no channel parameter).

    With ``geometry.field_changes_velocity`` (the default) the drift velocity is v(E, T) of the
    event's field and temperature, and positions along the drift axis, and the cloud's width along
    it, are reconstructed from the arrival time with the velocity at the nominal field (so a field
    throw stretches the event along the drift axis, docs/physics.md section 1.3); else v is the
    nominal field's. Space charge displaces the cloud centres, computed from the true positions
    (section 1.7). The diffusion cloud is integrated over the voxels (:func:`axis_shares`, cut at
    ``nsigma``). ``offsets`` (N, k, 3) standard normals replace the integral by k random copies per
    deposit (:func:`sample_diffusion`): the former method, the reference of the tests (k ->
    infinity) and the baseline of bench/detector.py. Groups of whole events as in
    :func:`detector_response`.

    On CPU (``kernel``, no ``offsets``) one numba pass per group
    (:func:`~systematics.functional.collect_cpu.collect_cpu`): the torch kernels' result to
    rounding, each event's bit for bit the same alone or in any batch; ``kernel=False`` takes the
    torch kernels of other devices there too (the tests' reference)."""
    return cat_voxels(list(_collected_groups(coords, feats, batch, num_events, values, recombination, geometry,
                                             readout_config, nsigma, offsets, group_size, kernel)))


def read_out(voxels: Voxels, values: dict[str, Tensor], noise_seed: Tensor | None, geometry: DriftGeometry,
             readout_config: ReadoutConfig, kernel: bool = True) -> Voxels:
    """Collected voxels -> read-out voxels: the channels (gain spread, dead and noisy channels from
    the (B,) ``values`` "dead_fraction", "noisy_fraction", "gain_spread"; section 1.8; with several
    TPCs each voxel is read by its own TPC's pixel plane, section 1.10), then the noise and the
    threshold (section 1.6), all drawn from the event's ``noise_seed`` (B,) int64 and the voxel
    indices, so the same for an event alone or in a batch. On CPU in numba passes
    (:func:`~systematics.functional.readout_cpu.read_out_cpu`, the same bits); ``kernel=False``
    takes the torch path of other devices there too (the baseline of bench/detector.py)."""
    r = readout_config
    tpc = None
    if geometry.num_tpcs > 1:  # from the voxel centres' drift coordinate alone
        a = geometry.drift_axis
        pitch = torch.as_tensor(r.pitch, dtype=torch.float64).expand(3)[a:a + 1]
        tpc = tpc_at(voxel_centres(voxels.voxel[:, a:a + 1], pitch, r.origin[a:a + 1], torch.float64)[:, 0], geometry)
    if kernel and voxels.charge.device.type == "cpu":  # the same result in numba passes
        out = read_out_cpu(voxels, values, noise_seed, geometry.drift_axis, r.noise, r.noisy_channel_noise,
                           r.threshold, tpc, geometry.num_tpcs)
        if out is not None:
            return out
    voxels, noise = read_channels(voxels, values, noise_seed, geometry.drift_axis, r.noise, r.noisy_channel_noise,
                                  tpc, geometry.num_tpcs)
    return digitise(voxels, r.threshold, noise, noise_seed)


def _collected_groups(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, values: dict[str, Tensor],
                      recombination: str, geometry: DriftGeometry, r: ReadoutConfig, nsigma: float,
                      offsets: Tensor | None, group_size: int | None, kernel: bool) -> Iterator[Voxels]:
    """The collected voxels of each group of whole events, one group at a time: on CPU (``kernel``,
    no ``offsets``) from the numba pass of :mod:`~systematics.functional.collect_cpu`, else
    (or where they decline) from the torch kernels."""
    on_cpu = kernel and offsets is None and coords.device.type == "cpu"
    groups = _groups(batch, num_events, group_size, offsets, 2 if on_cpu else 8)
    fused = iter([None] * len(groups))
    if on_cpu:
        pitch = torch.as_tensor(r.pitch, dtype=torch.float64).expand(3).contiguous()
        fused = collect_cpu(coords, feats, batch, num_events, values, recombination, geometry, pitch,
                            torch.as_tensor(r.origin, dtype=torch.float64), nsigma, groups)
    drifted = None
    for (a, b), out in zip(groups, fused):
        if out is not None:
            yield Voxels(*out, torch.zeros(num_events, dtype=torch.int64))
            continue
        if drifted is None:
            drifted = _drift(coords, feats, batch, values, recombination, geometry)
        yield _collect(drifted, a, b, batch, num_events, r, nsigma, offsets)


class _Drifted(NamedTuple):
    charge: Tensor  # (N,) electrons reaching the anode
    centres: Tensor  # (N, 3) cm: where the readout places each cloud's centre
    sigma: Tensor  # (N, 3) cm: the cloud's widths as the readout sees them


def _drift(coords: Tensor, feats: Tensor, batch: Tensor, values: dict[str, Tensor], recombination: str,
           geometry: DriftGeometry) -> _Drifted:
    """Recombination, ionisation, drift, lifetime and space charge of every deposit (sections 1.2-1.7)."""
    model = ("birks_a", "birks_k") if recombination == "birks" else ("box_alpha", "box_beta")
    v = {key: values[key].index_select(0, batch)
         for key in ("efield", "temperature", "lifetime", "diffusion_l", "diffusion_t", "space_charge", *model)}
    dE = feats[:, 0]
    rate = dedx(dE, feats[:, 1])
    if recombination == "birks":
        surviving = recombination_birks(rate, v["efield"], v["birks_a"], v["birks_k"])
    else:
        surviving = recombination_box(rate, v["efield"], v["box_alpha"], v["box_beta"])
    charge = ionisation_electrons(dE, surviving)
    nominal_field = torch.full_like(v["efield"], NOMINAL["efield"])
    velocity = drift_velocity(v["efield"] if geometry.field_changes_velocity else nominal_field, v["temperature"])
    frame = drift_frame(coords, geometry)  # once: the drift time, the readout's positions, space charge
    t = drift_time(coords, geometry, velocity, frame)
    charge = lifetime_attenuation(charge, t, v["lifetime"])
    sigma = diffusion_sigma(t, v["diffusion_l"], v["diffusion_t"], geometry.drift_axis)
    centres = coords
    if geometry.field_changes_velocity:  # arrival time -> position with the assumed (nominal-field) velocity
        scale = drift_velocity(nominal_field, v["temperature"]) / velocity
        centres = reconstruct_drift_coords(coords, geometry, scale, frame)
        sigma[:, geometry.drift_axis] = sigma[:, geometry.drift_axis] * scale
    centres = centres + space_charge_shift(coords, v["space_charge"], geometry, frame)  # section 1.7
    return _Drifted(charge, centres, sigma)


def _collect(drifted: _Drifted, a: int, b: int, batch: Tensor, num_events: int, r: ReadoutConfig, nsigma: float,
             offsets: Tensor | None) -> Voxels:
    """The collected voxels of deposits a:b (whole events): the analytic integral, or the k
    sampled copies of ``offsets``."""
    charge, centres, sigma = (x[a:b] for x in drifted)
    if offsets is None:
        return grid_charge(axis_shares(centres, sigma, r.pitch, r.origin, nsigma), charge, batch[a:b], num_events)
    k = offsets.shape[1]
    points = sample_diffusion(centres, sigma, offsets[a:b])
    pitch = torch.as_tensor(r.pitch, dtype=centres.dtype, device=centres.device)
    origin = torch.as_tensor(r.origin, dtype=centres.dtype, device=centres.device)
    return collect_voxels(torch.floor((points - origin) / pitch).long(), (charge / k).repeat_interleave(k),
                          batch[a:b].repeat_interleave(k), num_events)


def cat_voxels(parts: list[Voxels]) -> Voxels:
    """The voxels of consecutive groups of whole events, as one :class:`Voxels` (``dropped`` summed)."""
    if len(parts) == 1:
        return parts[0]
    return Voxels(torch.cat([p.voxel for p in parts]), torch.cat([p.charge for p in parts]),
                  torch.cat([p.batch for p in parts]), sum(p.dropped for p in parts))


def _groups(batch: Tensor, num_events: int, group_size: int | None, offsets: Tensor | None,
            parts: int) -> list[tuple[int, int]]:
    """The event groups of the analytic integral (default size: 1 / ``parts`` of the batch); one
    group for the sampled copies."""
    return [(0, len(batch))] if offsets is not None else _event_groups(batch, num_events, group_size, parts)


def _event_groups(batch: Tensor, num_events: int, group_size: int | None, parts: int) -> list[tuple[int, int]]:
    """Row ranges [start, stop) of consecutive whole events of a sorted ``batch``: a new group starts
    at the first event that begins past the next multiple of ``group_size`` rows (default: 1 /
    ``parts`` of the rows, at least 2^14), so a group holds at most ``group_size`` rows plus one
    event's."""
    n = len(batch)
    size = max(n // parts, 2 ** 14) if group_size is None else group_size
    if n <= size:
        return [(0, n)]
    ends = torch.cumsum(torch.bincount(batch, minlength=num_events), 0)
    group = (ends - torch.bincount(batch, minlength=num_events)) // size
    cuts = [0] + ends[torch.nonzero(group[1:] != group[:-1])[:, 0]].tolist() + [n]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
