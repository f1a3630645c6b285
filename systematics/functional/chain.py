"""The full response chain for a ragged batch: recombination -> ionisation -> drift -> lifetime
-> diffusion onto the voxel grid -> readout (docs/physics.md sections 1.2-1.6, larnd-sim's order).

Where further effects plug in (each a pure function of tensors and of ``values``, the (B,)
per-event parameters, gathered to points with ``batch``):

* after the drift, before the grid: a displacement of the cloud ``centres`` (N, 3) cm, e.g.
  space charge (it moves charge, it does not change the widths);
* between :func:`collect_voxels` and :func:`digitise`: per-channel effects on the voxel charges
  (V,) with their voxel indices (V, 3) (a channel is the voxel's position across the drift
  axis), e.g. gain spread, dead channels (charge 0) or noisy channels (a (V,) noise RMS).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from systematics.functional.diffusion import DEFAULT_NSIGMA, axis_shares, diffusion_sigma, grid_charge, sample_diffusion
from systematics.functional.drift import drift_time, drift_velocity, lifetime_attenuation, reconstruct_drift_coords
from systematics.functional.readout import Voxels, collect_voxels, digitise, voxel_centres
from systematics.functional.recombination import dedx, ionisation_electrons, recombination_birks, recombination_box
from systematics.parameters import NOMINAL, DriftGeometry, ReadoutConfig

__all__ = ["detector_response", "ResponseResult"]


class ResponseResult(NamedTuple):
    coords: Tensor  # (M, 3) voxel centres, cm, dtype of the input coords
    charge: Tensor  # (M,) electrons
    batch: Tensor  # (M,) int64, sorted
    dropped: Tensor  # (B,) int64: voxels per event removed by the threshold


def detector_response(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, values: dict[str, Tensor],
                      recombination: str, geometry: DriftGeometry, readout_config: ReadoutConfig,
                      noise_seed: Tensor | None = None, nsigma: float = DEFAULT_NSIGMA,
                      offsets: Tensor | None = None, group_size: int | None = None) -> ResponseResult:
    """Deposits -> read-out voxels of charge; deterministic for a given ``noise_seed``.

    coords (N, 3) cm; feats (N, 2) columns dE (MeV), dx (cm); batch (N,) int64; ``values``: (B,)
    per-event tensors "efield" (kV/cm), "lifetime" (us), "diffusion_t", "diffusion_l" (cm^2/us),
    "temperature" (K) and the recombination model's constants ("birks_a", "birks_k" or "box_alpha",
    "box_beta"); ``noise_seed`` (B,) int64 (needed when the readout has noise).

    With ``geometry.field_changes_velocity`` (the default) the drift velocity is v(E, T) of the
    event's field and temperature, and positions along the drift axis, and the cloud's width along
    it, are reconstructed from the arrival time with the velocity at the nominal field (so a field
    throw stretches the event along the drift axis, docs/physics.md section 1.3); else v is the
    nominal field's. The diffusion cloud is integrated over the voxels (:func:`diffuse_onto_grid`,
    cut at ``nsigma``). ``offsets`` (N, k, 3) standard normals replace the integral by k random
    copies per deposit (:func:`sample_diffusion`): the former method, the reference of the tests
    (k -> infinity) and the baseline of bench/detector.py.

    Memory: the diffusion onto the grid, the voxel sums and the readout run on groups of whole
    events of about ``group_size`` deposits each (default: an eighth of the batch, at least 2^14),
    so their temporaries (about 5 voxel shares per deposit at nominal) stay a small multiple of
    the input; events are independent, so the result does not depend on the grouping."""
    v = {key: value.index_select(0, batch) for key, value in values.items()}
    dE = feats[:, 0]
    rate = dedx(dE, feats[:, 1])
    if recombination == "birks":
        surviving = recombination_birks(rate, v["efield"], v["birks_a"], v["birks_k"])
    else:
        surviving = recombination_box(rate, v["efield"], v["box_alpha"], v["box_beta"])
    charge = ionisation_electrons(dE, surviving)
    nominal_field = torch.full_like(v["efield"], NOMINAL["efield"])
    velocity = drift_velocity(v["efield"] if geometry.field_changes_velocity else nominal_field, v["temperature"])
    t = drift_time(coords, geometry, velocity)
    charge = lifetime_attenuation(charge, t, v["lifetime"])
    sigma = diffusion_sigma(t, v["diffusion_l"], v["diffusion_t"], geometry.drift_axis)
    centres = coords
    if geometry.field_changes_velocity:  # arrival time -> position with the assumed (nominal-field) velocity
        scale = drift_velocity(nominal_field, v["temperature"]) / velocity
        centres = reconstruct_drift_coords(coords, geometry, scale)
        sigma[:, geometry.drift_axis] = sigma[:, geometry.drift_axis] * scale
    r = readout_config
    if offsets is not None:
        k = offsets.shape[1]
        points = sample_diffusion(centres, sigma, offsets)
        pitch = torch.as_tensor(r.pitch, dtype=coords.dtype, device=coords.device)
        origin = torch.as_tensor(r.origin, dtype=coords.dtype, device=coords.device)
        voxels = digitise(collect_voxels(torch.floor((points - origin) / pitch).long(),
                                         (charge / k).repeat_interleave(k), batch.repeat_interleave(k), num_events),
                          r.threshold, r.noise, noise_seed)
    else:
        del v, rate, surviving, velocity, t  # free the per-deposit temporaries before the groups
        parts = []
        for a, b in _event_groups(batch, num_events, group_size):
            shares = axis_shares(centres[a:b], sigma[a:b], r.pitch, r.origin, nsigma)
            voxels = grid_charge(shares, charge[a:b], batch[a:b], num_events)
            del shares
            parts.append(digitise(voxels, r.threshold, r.noise, noise_seed))
        voxels = parts[0] if len(parts) == 1 else Voxels(
            torch.cat([p.voxel for p in parts]), torch.cat([p.charge for p in parts]),
            torch.cat([p.batch for p in parts]), sum(p.dropped for p in parts))
    return ResponseResult(voxel_centres(voxels.voxel, r.pitch, r.origin, coords.dtype), voxels.charge, voxels.batch,
                          voxels.dropped)


def _event_groups(batch: Tensor, num_events: int, group_size: int | None) -> list[tuple[int, int]]:
    """Row ranges [start, stop) of consecutive whole events of a sorted ``batch``: a new group starts
    at the first event that begins past the next multiple of ``group_size`` rows (so a group holds
    at most ``group_size`` rows plus one event's)."""
    n = len(batch)
    size = max(n // 8, 2 ** 14) if group_size is None else group_size
    if n <= size:
        return [(0, n)]
    ends = torch.cumsum(torch.bincount(batch, minlength=num_events), 0)
    group = (ends - torch.bincount(batch, minlength=num_events)) // size
    cuts = [0] + ends[torch.nonzero(group[1:] != group[:-1])[:, 0]].tolist() + [n]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
