"""Reference curves and track reconstruction for validating the gun (tests, notebooks/gun_validation).

Units: MeV, cm, rad; depths t in radiation lengths.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from systematics.gun.straggling import LANDAU_FWHM

_LANDAU_MODE_X = -0.4293145252934456  # mode of scipy.stats.landau (standard form), found numerically
CRITICAL_ENERGY_MEV = 32.84  # liquid argon, e- (PDG atomic and nuclear properties)


def landau_density(loss_mev: np.ndarray, xi: float, mpv: float) -> np.ndarray:
    """Landau density (1/MeV) of the energy loss with width parameter ``xi`` and most probable value
    ``mpv`` (MeV): scipy.stats.landau, whose standard variable is x = (2/pi) l + x_mode, l = (loss - mpv) / xi
    (so that the full width at half maximum is 4.018 xi, PDG)."""
    x = (np.asarray(loss_mev) - mpv) / xi / (0.5 * math.pi) + _LANDAU_MODE_X
    return stats.landau.pdf(x) / (0.5 * math.pi * xi)


def landau_fwhm(xi: float) -> float:
    """Full width at half maximum (MeV) of the Landau density of width parameter ``xi`` (MeV)."""
    return LANDAU_FWHM * xi


def longo_profile(depth_x0: np.ndarray, energy_mev: float, c: float, b: float = 0.5) -> np.ndarray:
    """Longitudinal shower profile (1/E dE/dt, per X0): Gamma distribution b (bt)^(a-1) e^(-bt) / Gamma(a)
    with t_max = (a - 1) / b = ln(E / E_c) + C (PDG "Passage of particles through matter", EM cascades;
    Longo & Sestili 1975), C = -0.5 for electrons, +0.5 for photons."""
    a = b * (math.log(energy_mev / CRITICAL_ENERGY_MEV) + c) + 1.0
    return stats.gamma.pdf(np.asarray(depth_x0), a, scale=1.0 / b)


def step_directions(deposits: np.ndarray, vertex: np.ndarray) -> np.ndarray:
    """Unit directions (M, 3) of the steps of ONE track whose deposits (M, 5) (x, y, z, dE, dx) are its
    step midpoints in order, starting at ``vertex``: step k runs from P_k to P_{k+1} = 2 m_k - P_k."""
    starts = np.empty((len(deposits) + 1, 3))
    starts[0] = vertex
    for k, mid in enumerate(deposits[:, :3]):
        starts[k + 1] = 2.0 * mid - starts[k]
    return (starts[1:] - starts[:-1]) / deposits[:, 4:5]


__all__ = ["CRITICAL_ENERGY_MEV", "landau_density", "landau_fwhm", "longo_profile", "step_directions"]
