"""Space-charge kernel: the smooth displacement of drifted charge by the field of positive ions.

Slow positive ions (cosmic-ray ionisation in a surface detector) distort the drift field: the
drifting electrons are pulled towards the middle of the transverse plane and the field along the
drift is weakened near the anode and strengthened near the cathode, so the charge arrives displaced
(MicroBooNE, JINST 15 P12037 (2020), arXiv:2008.09765). docs/physics.md section 1.7 derives
the shape used here and states the magnitudes; all lengths in cm.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from systematics import constants as C
from systematics.functional.drift import DriftFrame, drift_frame
from systematics.parameters import NOMINAL, DriftGeometry

__all__ = ["space_charge_displacement", "space_charge_amplitude", "space_charge_shift", "velocity_field_slope"]

# The reference: MicroBooNE's largest transverse offset, at its drift length and field
# (JINST 15 (2020) P12037; JINST 12 (2017) P02017), and the scaling of the offsets with drift
# length and field (M. Mooney, SpaCE simulations): docs/physics.md section 1.7.
MICROBOONE_MAX_OFFSET = 15.0  # cm, read from the paper's maps: a default to revisit (section 1.7)
MICROBOONE_DRIFT = 256.0  # cm
MICROBOONE_FIELD = 0.273  # kV/cm
LENGTH_POWER, FIELD_POWER = 3.0, -1.7


def space_charge_amplitude(density: Tensor | float, max_drift: float, efield: float) -> Tensor | float:
    """Largest transverse displacement A (cm) for a space-charge ``density`` relative to
    MicroBooNE's at the surface (1 = MicroBooNE) in a volume of drift length ``max_drift`` (cm)
    at field ``efield`` (kV/cm): A = density x 15 cm x (L / 256 cm)^3 x (E / 0.273 kV/cm)^-1.7."""
    scale = (max_drift / MICROBOONE_DRIFT) ** LENGTH_POWER * (efield / MICROBOONE_FIELD) ** FIELD_POWER
    return density * MICROBOONE_MAX_OFFSET * scale


def velocity_field_slope(efield: Tensor | float) -> Tensor | float:
    """d ln v / d ln E of the drift velocity v = mu(E, T) E at field ``efield`` (kV/cm;
    dimensionless result), differentiating the Li et al. mobility (NIM A 816 (2016) 160) exactly:
    1 + E num'/num - E den'/den, num and den its numerator and denominator in E. The factor
    (T / 89 K)^-1.5 does not depend on E, so the slope does not depend on the temperature."""
    a0, a1, a2, a3, a4, a5 = C.MOBILITY_COEFFS
    e = efield
    num = a0 + a1 * e + a2 * e ** 1.5 + a3 * e ** 2.5
    den = 1 + (a1 / a0) * e + a4 * e ** 2 + a5 * e ** 3
    d_num = a1 + 1.5 * a2 * e ** 0.5 + 2.5 * a3 * e ** 1.5
    d_den = a1 / a0 + 2 * a4 * e + 3 * a5 * e ** 2
    return 1 + e * d_num / num - e * d_den / den


def space_charge_displacement(coords: Tensor, amplitude: Tensor, geometry: DriftGeometry,
                              transverse: tuple[tuple[float, float], tuple[float, float]],
                              velocity_slope: Tensor | float, frame: DriftFrame | None = None) -> Tensor:
    """(N, 3) displacement (cm) of charge drifted from ``coords`` (N, 3) cm by space charge of
    per-point ``amplitude`` (N,) cm: the largest transverse displacement in the volume.

    Shape: the lowest Fourier mode of the ion potential in each TPC's drift volume, phi ~ cos(pi s1 / 2)
    cos(pi s2 / 2) sin(pi u), zero on the field cage, anode and cathode (docs/physics.md
    section 1.7), with u = d / max_drift in [0, 1], d the distance to the point's own TPC's anode
    plane (:func:`systematics.functional.drift.drift_frame`, section 1.10), and s1, s2 in [-1, 1]
    the transverse positions in the box ``transverse`` ((low, high) cm for the two non-drift axes,
    in axis order). Integrated along the unperturbed drift path (small distortions):

    * transverse axis i (half-width h_i): d_i = -A h_min / h_i sin(pi s_i / 2) cos(pi s_j / 2)
      (1 - cos(pi u)) / 2, towards the centre, largest at the cathode;
    * drift axis: d = +A k h_min / L cos(pi s1 / 2) cos(pi s2 / 2) sin(pi u), away from the
      point's anode (the weaker field near the anode delays the charge), largest mid-drift, with
      k = ``velocity_slope`` = d ln v / d ln E and L = ``geometry.max_drift``.

    The whole displacement vanishes on every anode plane and its drift component on every cathode.
    ``amplitude`` = 0 gives exactly zero. The displacement moves charge; it never creates or
    removes any. Raises ValueError naming coords for points outside the transverse box or the
    drift volume. ``frame``: :func:`~systematics.functional.drift.drift_frame` of these coords when
    the caller has it."""
    axis = geometry.drift_axis
    others = [a for a in range(3) if a != axis]
    low = torch.tensor([transverse[0][0], transverse[1][0]], dtype=coords.dtype, device=coords.device)
    high = torch.tensor([transverse[0][1], transverse[1][1]], dtype=coords.dtype, device=coords.device)
    position = coords[:, others]
    if position.numel() and ((position < low).any() or (position > high).any()):
        raise ValueError(f"coords: expected positions on axes {others} inside the transverse box {transverse} cm, "
                         f"got [{position.min(0).values.tolist()}, {position.max(0).values.tolist()}] cm")
    half = (high - low) / 2
    s = (position - (low + high) / 2) / half  # (N, 2) in [-1, 1]
    frame = drift_frame(coords, geometry) if frame is None else frame
    u = frame.distance / geometry.max_drift
    sin_s, cos_s = torch.sin(math.pi / 2 * s), torch.cos(math.pi / 2 * s)
    h_min = half.min()
    out = torch.zeros_like(coords)
    along_drift = (1 - torch.cos(math.pi * u)) / 2
    out[:, others[0]] = -amplitude * (h_min / half[0]) * sin_s[:, 0] * cos_s[:, 1] * along_drift
    out[:, others[1]] = -amplitude * (h_min / half[1]) * sin_s[:, 1] * cos_s[:, 0] * along_drift
    drift_scale = amplitude * velocity_slope * h_min / geometry.max_drift
    out[:, axis] = frame.sign * drift_scale * cos_s[:, 0] * cos_s[:, 1] * torch.sin(math.pi * u)
    return out


def space_charge_shift(coords: Tensor, density: Tensor, geometry: DriftGeometry,
                       frame: DriftFrame | None = None) -> Tensor:
    """(N, 3) displacement (cm) of the response's drifted charge at ``coords`` (N, 3) cm for the
    per-point relative space-charge ``density`` (N,) (the ``space_charge`` parameter): the shape of
    :func:`space_charge_displacement` over ``geometry.transverse``, the amplitude of
    :func:`space_charge_amplitude` for one TPC's drift length at the nominal field. Raises
    ValueError naming space_charge if a density is not 0 while ``geometry.transverse`` is None,
    or if the amplitude reaches 2 h_min / pi, beyond which the map would fold charge onto itself.
    ``frame`` as in :func:`space_charge_displacement`."""
    if geometry.transverse is None:
        if density.numel() and (density != 0).any():
            raise ValueError("space_charge: expected 0 when geometry.transverse is None (space charge needs the "
                             f"field cage's transverse extent), got max {density.max().item()}")
        return torch.zeros_like(coords)
    efield = NOMINAL["efield"]
    amplitude = space_charge_amplitude(density, geometry.max_drift, efield)
    h_min = min(hi - lo for lo, hi in geometry.transverse) / 2
    if amplitude.numel() and (amplitude >= 2 * h_min / math.pi).any():
        raise ValueError(f"space_charge: expected an amplitude below 2 h_min / pi = {2 * h_min / math.pi:.4g} cm for "
                         f"this geometry, got {amplitude.max().item():.4g} cm (density {density.max().item():.4g})")
    return space_charge_displacement(coords, amplitude, geometry, geometry.transverse, velocity_field_slope(efield),
                                     frame)
