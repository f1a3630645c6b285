"""Energy loss and multiple scattering of charged particles in liquid argon.

Numba-jitted scalar kernels used by the stepping code, plus the CSDA range fits of
physics.md section 3 as the reference the stepping is checked against.
Units: kinetic energy and mass in MeV, lengths in cm, dE/dx in MeV/cm, angles in rad.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from systematics.gun.argon import (BETHE_K, DENSITY, ELECTRON_MASS, LN10, MEAN_EXCITATION_MEV,
                                   RADIATION_LENGTH_CM, STERNHEIMER_A, STERNHEIMER_C, STERNHEIMER_K,
                                   STERNHEIMER_X0, STERNHEIMER_X1, Z_OVER_A)

_K_ZA_RHO = BETHE_K * Z_OVER_A * DENSITY  # MeV/cm
_BOHR_VARIANCE_PER_CM = _K_ZA_RHO * ELECTRON_MASS  # MeV^2/cm, 0.1569 (Z/A) rho = 0.0987 in LAr


@numba.njit(cache=True)
def density_correction(beta_gamma: float) -> float:
    """Sternheimer density correction delta(beta gamma) for liquid argon (PDG eq. 34.7,
    non-conductor: delta = 0 below x0), with x = log10(beta gamma)."""
    x = math.log10(beta_gamma)
    if x < STERNHEIMER_X0:
        return 0.0
    delta = 2.0 * LN10 * x - STERNHEIMER_C
    if x < STERNHEIMER_X1:
        delta += STERNHEIMER_A * (STERNHEIMER_X1 - x) ** STERNHEIMER_K
    return delta


@numba.njit(cache=True)
def bethe_dedx(kinetic: float, mass: float) -> float:
    """Mean collision stopping power -dE/dx (MeV/cm) of a unit-charge particle in LAr.

    Bethe-Bloch (PDG eq. 34.5) with the maximum energy transfer W_max of PDG eq. 34.4 and
    the Sternheimer density correction; for electrons (mass == m_e) W_max is capped at T/2
    (identical particles), a toy stand-in for the Berger-Seltzer formula (within ~1% of
    NIST ESTAR at 1 MeV). Valid above beta gamma ~ 0.05 (protons above ~1 MeV).
    """
    gamma = 1.0 + kinetic / mass
    bg2 = gamma * gamma - 1.0
    beta2 = bg2 / (gamma * gamma)
    ratio = ELECTRON_MASS / mass
    w_max = 2.0 * ELECTRON_MASS * bg2 / (1.0 + 2.0 * gamma * ratio + ratio * ratio)
    if mass == ELECTRON_MASS:
        w_max = min(w_max, 0.5 * kinetic)
    bracket = (0.5 * math.log(2.0 * ELECTRON_MASS * bg2 * w_max / (MEAN_EXCITATION_MEV * MEAN_EXCITATION_MEV))
               - beta2 - 0.5 * density_correction(math.sqrt(bg2)))
    return _K_ZA_RHO / beta2 * bracket


@numba.njit(cache=True)
def bohr_sigma(step: float) -> float:
    """RMS (MeV) of the energy loss over ``step`` cm: Bohr straggling (PDG "Energy loss
    fluctuations"; Bohr 1915), sigma^2 = K m_e c^2 (Z/A) rho x = 0.1569 (Z/A) rho x MeV^2
    (rho g/cm^3, x cm), the non-relativistic limit of the Gaussian thick-absorber width
    (the gamma^2 (1 - beta^2 / 2) factor and the Landau tail are neglected)."""
    return math.sqrt(_BOHR_VARIANCE_PER_CM * step)


@numba.njit(cache=True)
def residual_range(kinetic: float, mass: float, cut: float) -> float:
    """Length (cm) given to the last local deposit of a stopping particle: T / (dE/dx)
    evaluated at max(T, cut), a linear estimate of the residual range below the cut."""
    return kinetic / bethe_dedx(max(kinetic, cut), mass)


@numba.njit(cache=True)
def highland_theta0(kinetic: float, mass: float, step: float) -> float:
    """Plane-projected RMS scattering angle (rad) after ``step`` cm, unit charge.

    Highland formula (PDG eq. 34.16): theta0 = 13.6 MeV / (beta p c) sqrt(x/X0)
    [1 + 0.038 ln(x / (X0 beta^2))], X0 = 14.0 cm.
    """
    p = math.sqrt(kinetic * (kinetic + 2.0 * mass))
    beta = p / (kinetic + mass)
    t = step / RADIATION_LENGTH_CM
    return max(13.6 / (beta * p) * math.sqrt(t) * (1.0 + 0.038 * math.log(t / (beta * beta))), 0.0)


# CSDA range fits in LAr, ln R(cm) = c0 + c1 ln T + c2 (ln T)^2 with T in MeV (physics.md
# section 3, fits to the NIST/PDG tables; proton 50-400 MeV, muon and pion 50-1000 MeV).
CSDA_FITS: dict[str, tuple[float, float, float]] = {
    "p": (-6.8863, 2.1341, -0.04158),
    "mu": (-5.2440, 2.3596, -0.10435),
    "pi": (-5.8181, 2.4875, -0.11073),
}


def csda_range_fit(particle: str, kinetic_mev: float | np.ndarray) -> float | np.ndarray:
    """CSDA range (cm) of ``particle`` ("p", "mu" or "pi") in LAr from the physics.md fits."""
    if particle not in CSDA_FITS:
        raise ValueError(f"particle: expected one of {sorted(CSDA_FITS)}, got {particle!r}")
    c0, c1, c2 = CSDA_FITS[particle]
    log_t = np.log(kinetic_mev)
    return np.exp(c0 + c1 * log_t + c2 * log_t * log_t)


__all__ = ["density_correction", "bethe_dedx", "bohr_sigma", "residual_range", "highland_theta0", "CSDA_FITS",
           "csda_range_fit"]
