"""Energy loss and multiple scattering of charged particles in liquid argon.

Numba-jitted scalar kernels used by the stepping code, plus the CSDA range fits of
docs/physics.md section 3 as the reference the stepping is checked against.
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

# Sternheimer density-effect parameters (a, k, x0, x1, C): liquid argon (PDG atomic and nuclear
# properties; Sternheimer, Berger, Seltzer, At. Data Nucl. Data Tables 30 (1984) 261) and, for the
# comparison with the NIST ESTAR table of gaseous argon, argon gas (same source).
LIQUID_ARGON_STERNHEIMER = (STERNHEIMER_A, STERNHEIMER_K, STERNHEIMER_X0, STERNHEIMER_X1, STERNHEIMER_C)
ARGON_GAS_STERNHEIMER = (0.19714, 2.9618, 1.7635, 4.4855, 11.9480)


@numba.njit(cache=True)
def sternheimer_delta(beta_gamma: float, a: float, k: float, x0: float, x1: float, c: float) -> float:
    """Sternheimer density correction delta(beta gamma) with parameters (a, k, x0, x1, C) (PDG eq. 34.7,
    non-conductor: delta = 0 below x0), x = log10(beta gamma)."""
    x = math.log(beta_gamma) / LN10
    if x < x0:
        return 0.0
    delta = 2.0 * LN10 * x - c
    if x < x1:
        y = x1 - x
        delta += a * (y * y * y if k == 3.0 else y ** k)  # liquid argon: k = 3 (a float pow costs ~60 ns)
    return delta


@numba.njit(cache=True)
def density_correction(beta_gamma: float) -> float:
    """Sternheimer density correction of liquid argon."""
    return sternheimer_delta(beta_gamma, STERNHEIMER_A, STERNHEIMER_K, STERNHEIMER_X0, STERNHEIMER_X1,
                             STERNHEIMER_C)


@numba.njit(cache=True)
def max_energy_transfer(kinetic: float, mass: float, charge: float) -> float:
    """Maximum energy (MeV) given to one electron: PDG eq. 34.4 for heavy particles; T/2 for
    electrons (identical particles, Moller) and T for positrons (Bhabha)."""
    if mass == ELECTRON_MASS:
        return kinetic if charge > 0 else 0.5 * kinetic
    gamma = 1.0 + kinetic / mass
    ratio = ELECTRON_MASS / mass
    return 2.0 * ELECTRON_MASS * (gamma * gamma - 1.0) / (1.0 + 2.0 * gamma * ratio + ratio * ratio)


@numba.njit(cache=True)
def bethe_dedx(kinetic: float, mass: float) -> float:
    """Mean collision stopping power -dE/dx (MeV/cm) of a heavy unit-charge particle (mu, pi, p) in LAr.

    Bethe-Bloch (PDG eq. 34.5) with W_max of PDG eq. 34.4 and the Sternheimer density correction.
    Valid above beta gamma ~ 0.05 (protons above ~1 MeV)."""
    gamma = 1.0 + kinetic / mass
    bg2 = gamma * gamma - 1.0
    beta2 = bg2 / (gamma * gamma)
    w_max = max_energy_transfer(kinetic, mass, 1.0)
    bracket = (0.5 * math.log(2.0 * ELECTRON_MASS * bg2 * w_max / (MEAN_EXCITATION_MEV * MEAN_EXCITATION_MEV))
               - beta2 - 0.5 * density_correction(math.sqrt(bg2)))
    return _K_ZA_RHO / beta2 * bracket


@numba.njit(cache=True)
def electron_mass_stopping(kinetic: float, positron: bool, i_mev: float, z_over_a: float, a: float, k: float,
                           x0: float, x1: float, c: float) -> float:
    """Collision mass stopping power (MeV cm^2/g) of an electron or positron of ``kinetic`` MeV.

    ICRU Report 37 (1984) eq. 2.11 / Seltzer & Berger, Int. J. Appl. Radiat. Isot. 33 (1982) 1189
    (Rohrlich-Carlson, the formula of NIST ESTAR and PDG section "Energy loss by electrons"):
    S/rho = (K/2)(Z/A)/beta^2 [ln(tau^2 (tau + 2) / (2 (I/mc^2)^2)) + F(tau) - delta], tau = T/mc^2,
    F-(tau) = 1 - beta^2 + [tau^2/8 - (2 tau + 1) ln 2] / (tau + 1)^2,
    F+(tau) = 2 ln 2 - (beta^2/12) [23 + 14/(tau + 2) + 10/(tau + 2)^2 + 4/(tau + 2)^3],
    with the mean excitation energy ``i_mev`` and Sternheimer parameters (a, k, x0, x1, C)."""
    tau = kinetic / ELECTRON_MASS
    gamma = tau + 1.0
    bg2 = tau * (tau + 2.0)
    beta2 = bg2 / (gamma * gamma)
    if positron:
        y = 1.0 / (tau + 2.0)
        f = 2.0 * math.log(2.0) - beta2 / 12.0 * (23.0 + 14.0 * y + 10.0 * y * y + 4.0 * y * y * y)
    else:
        f = 1.0 - beta2 + (tau * tau / 8.0 - (2.0 * tau + 1.0) * math.log(2.0)) / (gamma * gamma)
    ratio = i_mev / ELECTRON_MASS
    bracket = (math.log(tau * tau * (tau + 2.0) / (2.0 * ratio * ratio)) + f
               - sternheimer_delta(math.sqrt(bg2), a, k, x0, x1, c))
    return 0.5 * BETHE_K * z_over_a / beta2 * bracket


@numba.njit(cache=True)
def electron_dedx(kinetic: float, positron: bool) -> float:
    """Collision stopping power (MeV/cm) of an electron or positron in liquid argon
    (:func:`electron_mass_stopping` with I = 188 eV and the liquid-argon Sternheimer parameters)."""
    return DENSITY * electron_mass_stopping(kinetic, positron, MEAN_EXCITATION_MEV, Z_OVER_A, STERNHEIMER_A,
                                            STERNHEIMER_K, STERNHEIMER_X0, STERNHEIMER_X1, STERNHEIMER_C)


@numba.njit(cache=True)
def mean_dedx(kinetic: float, mass: float, charge: float) -> float:
    """Mean collision stopping power (MeV/cm): :func:`electron_dedx` for e+- (mass == m_e), else
    :func:`bethe_dedx`."""
    if mass == ELECTRON_MASS:
        return electron_dedx(kinetic, charge > 0)
    return bethe_dedx(kinetic, mass)


@numba.njit(cache=True)
def residual_range(kinetic: float, mass: float, charge: float, cut: float) -> float:
    """Length (cm) given to the last local deposit of a stopping particle: T / (dE/dx)
    evaluated at max(T, cut), a linear estimate of the residual range below the cut."""
    return kinetic / mean_dedx(max(kinetic, cut), mass, charge)


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


@numba.njit(cache=True)
def highland_increment(kinetic: float, mass: float, path: float, step: float) -> float:
    """RMS plane angle (rad) to add after a step from path length ``path`` to ``path + step`` cm:
    sqrt(theta0(path + step)^2 - theta0(path)^2) with Highland's theta0 (:func:`highland_theta0`) at
    the current momentum.

    Independent Gaussian kicks of these widths add up to Highland's angle for the whole path
    (exactly at constant momentum, whatever the steps), whereas Highland per step would
    under-estimate it by the log term (e.g. 0.82 of it over 42 cm in 0.3 cm steps)."""
    p2 = kinetic * (kinetic + 2.0 * mass)
    beta2 = p2 / ((kinetic + mass) * (kinetic + mass))
    scale = 13.6 * 13.6 / (beta2 * p2 * RADIATION_LENGTH_CM)  # (13.6 / beta p)^2 / X0
    after = path + step
    log_after = max(1.0 + 0.038 * math.log(after / (RADIATION_LENGTH_CM * beta2)), 0.0)
    variance = after * log_after * log_after
    if path > 0.0:
        log_before = max(1.0 + 0.038 * math.log(path / (RADIATION_LENGTH_CM * beta2)), 0.0)
        variance -= path * log_before * log_before
    return math.sqrt(max(scale * variance, 0.0))


# CSDA range fits in LAr, ln R(cm) = c0 + c1 ln T + c2 (ln T)^2 with T in MeV
# (docs/physics.md section 3, fits to the NIST/PDG tables; proton 50-400 MeV, muon and pion 50-1000 MeV).
CSDA_FITS: dict[str, tuple[float, float, float]] = {
    "p": (-6.8863, 2.1341, -0.04158),
    "mu": (-5.2440, 2.3596, -0.10435),
    "pi": (-5.8181, 2.4875, -0.11073),
}


def csda_range_fit(particle: str, kinetic_mev: float | np.ndarray) -> float | np.ndarray:
    """CSDA range (cm) of ``particle`` ("p", "mu" or "pi") in LAr from the docs/physics.md section 3 fits."""
    if particle not in CSDA_FITS:
        raise ValueError(f"particle: expected one of {sorted(CSDA_FITS)}, got {particle!r}")
    c0, c1, c2 = CSDA_FITS[particle]
    log_t = np.log(kinetic_mev)
    return np.exp(c0 + c1 * log_t + c2 * log_t * log_t)


__all__ = ["LIQUID_ARGON_STERNHEIMER", "ARGON_GAS_STERNHEIMER", "sternheimer_delta", "density_correction",
           "max_energy_transfer", "bethe_dedx", "electron_mass_stopping", "electron_dedx", "mean_dedx", "residual_range",
           "highland_theta0", "highland_increment", "CSDA_FITS", "csda_range_fit"]
