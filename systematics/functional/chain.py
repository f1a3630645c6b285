"""The full response chain for a ragged batch: recombination -> ionisation -> drift -> lifetime
-> space charge -> diffusion -> readout with the channel effects (following larnd-sim's order;
space charge and channels: docs/physics.md, "Space charge" and "Readout channels")."""

from __future__ import annotations

import torch
from torch import Tensor

from systematics.functional.diffusion import diffuse
from systematics.functional.drift import drift_time, drift_velocity, lifetime_attenuation, reconstruct_drift_coords
from systematics.functional.readout import ReadoutResult, readout
from systematics.functional.recombination import dedx, ionisation_electrons, recombination_birks, recombination_box
from systematics.functional.space_charge import space_charge_shift
from systematics.parameters import NOMINAL, DriftGeometry, ReadoutConfig

__all__ = ["detector_response"]


def detector_response(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, values: dict[str, Tensor],
                      recombination: str, geometry: DriftGeometry, readout_config: ReadoutConfig,
                      offsets: Tensor, noise_seed: Tensor) -> ReadoutResult:
    """Deposits -> read-out voxels of charge.

    coords (N, 3) cm; feats (N, 2) columns dE (MeV), dx (cm); batch (N,) int64; ``values``: (B,)
    per-event tensors "efield" (kV/cm), "lifetime" (us), "diffusion_t", "diffusion_l" (cm^2/us),
    "temperature" (K) and the recombination model's constants ("birks_a", "birks_k" or "box_alpha",
    "box_beta"), "space_charge" (relative density) and the channel parameters "dead_fraction",
    "noisy_fraction", "gain_spread"; ``offsets`` (N, k, 3) standard normals for diffusion;
    ``noise_seed`` (B,) int64 (readout noise and the channels' hashes).

    Space charge displaces the charge after drift and attachment, before diffusion and readout
    (docs/physics.md, "Space charge"); the channel effects act in the readout, before the threshold
    (docs/physics.md, "Readout channels").

    The drift velocity uses the event's field if ``geometry.field_changes_velocity`` (and drift
    positions are then reconstructed assuming the nominal 0.50 kV/cm velocity), else the nominal
    field; the event's temperature always enters the mobility."""
    v = {key: value[batch] for key, value in values.items()}
    dE = feats[:, 0]
    rate = dedx(dE, feats[:, 1])
    if recombination == "birks":
        surviving = recombination_birks(rate, v["efield"], v["birks_a"], v["birks_k"])
    else:
        surviving = recombination_box(rate, v["efield"], v["box_alpha"], v["box_beta"])
    charge = ionisation_electrons(dE, surviving)
    nominal_field = torch.full_like(v["efield"], NOMINAL["efield"])
    field = v["efield"] if geometry.field_changes_velocity else nominal_field
    velocity = drift_velocity(field, v["temperature"])
    t = drift_time(coords, geometry, velocity)
    charge = lifetime_attenuation(charge, t, v["lifetime"])
    coords = coords + space_charge_shift(coords, v["space_charge"], geometry)
    coords, charge, batch = diffuse(coords, charge, batch, t, v["diffusion_l"], v["diffusion_t"], offsets,
                                    geometry.drift_axis)
    if geometry.field_changes_velocity:
        scale = drift_velocity(nominal_field, v["temperature"]) / velocity
        coords = reconstruct_drift_coords(coords, geometry, scale.repeat_interleave(offsets.shape[1]))
    r = readout_config
    channels = {key: values[key] for key in ("dead_fraction", "noisy_fraction", "gain_spread")}
    return readout(coords, charge, batch, num_events, r.pitch, r.threshold, r.noise, noise_seed, r.origin, channels,
                   geometry.drift_axis, r.noisy_channel_noise)
