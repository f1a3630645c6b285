"""Drift kernels: electron mobility and velocity, drift time, lifetime attenuation.

Per-point parameters are tensors broadcast against each other (one value per point, gathered
from per-event values by the caller). Units: field kV/cm, temperature K, velocity cm/us, time us,
lengths cm, lifetime us, charge electrons.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from systematics import constants as C
from systematics.parameters import DriftGeometry

__all__ = ["electron_mobility", "drift_velocity", "DriftFrame", "drift_frame", "drift_time", "lifetime_attenuation",
           "reconstruct_drift_coords", "tpc_index", "tpc_at"]


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


class DriftFrame(NamedTuple):
    """Where each point drifts to: its own TPC's anode plane (docs/physics.md section 1.10)."""

    distance: Tensor  # (N,) cm from the anode plane, in [0, max_drift]
    anode: Tensor  # (N,) cm: position of that anode plane along the drift axis
    sign: Tensor  # (N,) +1 or -1: the direction from that anode towards its cathode along the drift axis


def drift_frame(coords: Tensor, geometry: DriftGeometry) -> DriftFrame:
    """Each point's TPC in ``geometry`` (coords (N, 3) cm): the drift distance (cm) to its anode
    plane, that plane's position (cm) and the direction (+1 / -1) from it to the cathode.

    With s = direction (x_drift - anode) the position along the stack of TPCs, TPC i = floor(s / L)
    (L = ``max_drift``; the last face belongs to the last TPC); even TPCs have their anode at
    s = i L, odd ones at (i + 1) L, so the distance is a triangle wave of s, 0 on every anode plane
    and L on every cathode. For one TPC the distance is direction (x_drift - anode) exactly.

    Raises ValueError naming coords when a point lies outside the drift volume
    (s outside [0, num_tpcs L] cm beyond a relative 1e-9 of rounding, or NaN)."""
    length, n = geometry.max_drift, geometry.num_tpcs
    s = geometry.direction * (coords[:, geometry.drift_axis] - geometry.anode)
    # The far face n L is a sum of rounded terms (5 x 46.08 = 230.39999999999998 in float64): a relative
    # 1e-9 of slack keeps a point on it inside. NaN fails the test.
    if s.numel() and not ((s >= 0) & (s <= n * length * (1 + 1e-9))).all():
        raise ValueError(
            f"coords: expected positions along axis {geometry.drift_axis} at a drift distance in "
            f"[0, {n * length:.6g}] cm from the anode at {geometry.anode} cm (direction {geometry.direction:+d}, "
            f"{n} TPC(s) of {length} cm), got distances in [{s.min().item():.4g}, {s.max().item():.4g}] cm")
    tpc = _tpc(s, geometry)
    odd = tpc % 2 == 1
    offset = (tpc + odd).to(s.dtype) * length  # the anode plane's s: i L (even i), (i + 1) L (odd i)
    distance = torch.where(odd, offset - s, s - offset)
    # A point within rounding of a shared plane may land in the neighbouring TPC: keep [0, L].
    distance = torch.where(distance < 0, 0.0, torch.where(distance > length, length, distance))
    sign = (1 - 2 * odd.to(s.dtype)) * geometry.direction
    return DriftFrame(distance, geometry.anode + geometry.direction * offset, sign)


def _tpc(s: Tensor, geometry: DriftGeometry) -> Tensor:
    """TPC index floor(s / L), clamped to [0, num_tpcs) (the last face belongs to the last TPC)."""
    return torch.floor(s / geometry.max_drift).clamp(0, geometry.num_tpcs - 1).long()


def tpc_index(coords: Tensor, geometry: DriftGeometry) -> Tensor:
    """(N,) int64: the TPC of ``geometry`` each point (coords (N, 3) cm) lies in, as
    :func:`drift_frame` assigns it; points outside the volume go to the nearest end TPC (no
    validation: voxel centres may stick out by half a pitch)."""
    return tpc_at(coords[:, geometry.drift_axis], geometry)


def tpc_at(position: Tensor, geometry: DriftGeometry) -> Tensor:
    """:func:`tpc_index` of points at ``position`` (N,) cm along the drift axis (the other two
    coordinates do not matter)."""
    return _tpc(geometry.direction * (position - geometry.anode), geometry)


def drift_time(coords: Tensor, geometry: DriftGeometry, velocity: Tensor, frame: DriftFrame | None = None) -> Tensor:
    """Drift time t = d / v (us) for coords (N, 3) in cm, velocity (N,) in cm/us, d the distance
    (cm) to the point's own TPC's anode plane (:func:`drift_frame`; ``frame``: its result for
    these coords, computed once by a caller that needs it several times).

    Raises ValueError naming coords when a point lies outside the drift volume (behind the first
    anode or beyond the last TPC's far face): such deposits are outside the detector."""
    return (drift_frame(coords, geometry) if frame is None else frame).distance / velocity


def lifetime_attenuation(charge: Tensor, t: Tensor, lifetime: Tensor) -> Tensor:
    """Charge surviving attachment: charge * exp(-t / lifetime) (t, lifetime in us; larnd-sim
    drifting.py). ``lifetime = inf`` returns ``charge`` exactly (exp(-0) = 1)."""
    return charge * (-t / lifetime).exp()


def reconstruct_drift_coords(coords: Tensor, geometry: DriftGeometry, scale: Tensor,
                             frame: DriftFrame | None = None) -> Tensor:
    """Positions (cm) along the drift axis as the readout reconstructs them from the arrival time
    with an assumed velocity: each point's distance from its own TPC's anode plane
    (:func:`drift_frame`) times ``scale`` = v_assumed / v_true (N,), so a field throw stretches each
    TPC's content about its anode (docs/physics.md sections 1.3 and 1.10). coords (N, 3) cm;
    ``frame`` as in :func:`drift_time`."""
    axis = geometry.drift_axis
    frame = drift_frame(coords, geometry) if frame is None else frame
    out = coords.clone()
    out[:, axis] = frame.anode + frame.sign * frame.distance * scale
    return out
