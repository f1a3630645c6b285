"""Drift kernels: electron mobility and velocity, drift time, lifetime attenuation.

Per-point parameters are tensors broadcast against each other (one value per point, gathered
from per-event values by the caller). Units: field kV/cm, temperature K, velocity cm/us, time us,
lengths cm, lifetime us, charge electrons.
"""

from __future__ import annotations

from torch import Tensor

from systematics import constants as C
from systematics.parameters import DriftGeometry

__all__ = ["electron_mobility", "drift_velocity", "drift_time", "lifetime_attenuation", "reconstruct_drift_coords"]


def electron_mobility(efield: Tensor, temperature: Tensor) -> Tensor:
    """Electron mobility in LAr (cm^2/V/s) at field ``efield`` (kV/cm) and ``temperature`` (K).

    Li et al., NIM A 816 (2016) 160, as in larnd-sim consts/detector.py:
    mu = (a0 + a1 E + a2 E^1.5 + a3 E^2.5) / (1 + (a1/a0) E + a4 E^2 + a5 E^3) * (T / 89 K)^-1.5."""
    a0, a1, a2, a3, a4, a5 = C.MOBILITY_COEFFS
    e = efield
    num = a0 + a1 * e + a2 * e ** 1.5 + a3 * e ** 2.5
    den = 1 + (a1 / a0) * e + a4 * e ** 2 + a5 * e ** 3
    return num / den * (temperature / C.MOBILITY_T0) ** -1.5


def drift_velocity(efield: Tensor, temperature: Tensor) -> Tensor:
    """Electron drift velocity v = mu E in cm/us (field kV/cm, temperature K).

    mu (cm^2/V/s) * E (kV/cm * 1e3 V/kV) gives cm/s; * 1e-6 s/us gives cm/us
    (docs/physics.md section 1.3: 0.1596 cm/us at 0.50 kV/cm, 87.17 K)."""
    return electron_mobility(efield, temperature) * (efield * 1e3) * 1e-6


def drift_time(coords: Tensor, geometry: DriftGeometry, velocity: Tensor) -> Tensor:
    """Drift time t = |x_drift - anode| / v (us) for coords (N, 3) in cm, velocity (N,) in cm/us.

    Raises ValueError naming coords when a point lies behind the anode or beyond the cathode
    (drift distance outside [0, max_drift] cm): such deposits are outside the drift volume."""
    distance = geometry.direction * (coords[:, geometry.drift_axis] - geometry.anode)
    if distance.numel() and ((distance < 0).any() or (distance > geometry.max_drift).any()):
        raise ValueError(
            f"coords: expected positions along axis {geometry.drift_axis} at a drift distance in "
            f"[0, {geometry.max_drift}] cm from the anode at {geometry.anode} cm (direction {geometry.direction:+d}), "
            f"got distances in [{distance.min().item():.4g}, {distance.max().item():.4g}] cm")
    return distance / velocity


def lifetime_attenuation(charge: Tensor, t: Tensor, lifetime: Tensor) -> Tensor:
    """Charge surviving attachment: charge * exp(-t / lifetime) (t, lifetime in us; larnd-sim
    drifting.py). ``lifetime = inf`` returns ``charge`` exactly (exp(-0) = 1)."""
    return charge * (-t / lifetime).exp()


def reconstruct_drift_coords(coords: Tensor, geometry: DriftGeometry, scale: Tensor) -> Tensor:
    """Positions along the drift axis as the readout reconstructs them from the arrival time with
    an assumed velocity: distance from the anode times ``scale`` = v_assumed / v_true (N,)."""
    axis = geometry.drift_axis
    out = coords.clone()
    out[:, axis] = geometry.anode + (coords[:, axis] - geometry.anode) * scale
    return out
