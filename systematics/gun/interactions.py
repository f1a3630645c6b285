"""Jitted samplers of the discrete processes: bremsstrahlung, pair production, Compton scattering, Michel decay,
and the pion-production threshold of the toy hadronic interactions."""

from __future__ import annotations

import math

import numba
import numpy as np

from systematics.gun.argon import ELECTRON_MASS, MASSES, MICHEL_ENDPOINT_MEV, PION, PROTON, RADIATION_LENGTH_CM

_PION_MASS, _NUCLEON_MASS = MASSES[PION], MASSES[PROTON]


@numba.njit(cache=True)
def brems_rate_bound(kinetic: float, cut: float) -> float:
    """Upper bound (1/cm) of the rate of bremsstrahlung photons with k > ``cut``:
    (4/3) ln(T / cut) / X0, the 1/k part of the complete-screening spectrum (PDG eq. 34.29)."""
    return 4.0 / 3.0 * math.log(kinetic / cut) / RADIATION_LENGTH_CM


@numba.njit(cache=True)
def sample_brems(kinetic: float, cut: float, rng: np.random.Generator) -> float:
    """Photon energy (MeV) of one candidate emission, 0 if the candidate is thinned away.

    Complete-screening spectrum (PDG eq. 34.29): dsigma/dk ~ (1/k)(4/3 - 4/3 y + y^2),
    y = k/T: y drawn from 1/y on [cut/T, 1], kept with probability (4/3 - 4/3 y + y^2)/(4/3)
    (thinning of the rate bound of :func:`brems_rate_bound`).
    """
    if kinetic <= cut:
        return 0.0
    y = (cut / kinetic) ** (1.0 - rng.random())
    if rng.random() * 4.0 / 3.0 < 4.0 / 3.0 * (1.0 - y) + y * y:
        return y * kinetic
    return 0.0


@numba.njit(cache=True)
def sample_pair_fraction(rng: np.random.Generator) -> float:
    """Energy fraction x of the electron in a pair conversion: dsigma/dx ~ 1 - 4/3 x(1 - x)
    (PDG eq. 34.31, complete screening), by rejection from U[0, 1]."""
    while True:
        x = rng.random()
        if rng.random() < 1.0 - 4.0 / 3.0 * x * (1.0 - x):
            return x


@numba.njit(cache=True)
def sample_compton(energy: float, rng: np.random.Generator) -> tuple[float, float]:
    """(scattered photon energy MeV, cos of its polar angle) of a Compton scattering of a photon of
    ``energy`` MeV on a free electron at rest: Klein-Nishina, sampled with the Butcher & Messel
    method (Nucl. Phys. 20 (1960) 15; as described in the Geant4 Physics Reference Manual,
    "Compton scattering"): epsilon = E'/E in [1/(1 + 2k), 1], k = E/mc^2, drawn from a mixture of
    1/epsilon and epsilon and kept with probability 1 - epsilon sin^2 / (1 + epsilon^2)."""
    k = energy / ELECTRON_MASS
    eps0 = 1.0 / (1.0 + 2.0 * k)
    alpha1 = -math.log(eps0)
    alpha2 = 0.5 * (1.0 - eps0 * eps0)
    while True:
        if rng.random() * (alpha1 + alpha2) < alpha1:
            eps = math.exp(-alpha1 * rng.random())
        else:
            eps = math.sqrt(eps0 * eps0 + (1.0 - eps0 * eps0) * rng.random())
        t = (1.0 - eps) / (k * eps)
        sin2 = max(t * (2.0 - t), 0.0)
        if rng.random() < 1.0 - eps * sin2 / (1.0 + eps * eps):
            return eps * energy, 1.0 - t


@numba.njit(cache=True)
def sample_michel_kinetic(rng: np.random.Generator) -> float:
    """Kinetic energy (MeV) of a Michel e+: dN/dx ~ x^2 (3 - 2x), x = E / 52.8 MeV
    (docs/physics.md section 3), by rejection (the density is <= 1 on [0, 1])."""
    while True:
        x = rng.random()
        if rng.random() < x * x * (3.0 - 2.0 * x):
            return max(x * MICHEL_ENDPOINT_MEV - ELECTRON_MASS, 0.0)


@numba.njit(cache=True)
def pion_threshold(mass: float, n_pions: int) -> float:
    """Kinetic energy (MeV) a particle of ``mass`` (MeV) needs to create ``n_pions`` charged
    pions on a free nucleon at rest: sqrt(s) >= m + m_N + n m_pi with s = (m + m_N)^2 + 2 m_N T
    (PDG "Kinematics", lab-frame threshold), T_th = n m_pi (2 (m + m_N) + n m_pi) / (2 m_N).
    One pion: 289.5 MeV for a proton, 170.7 MeV for a pion (Fermi motion neglected)."""
    produced = n_pions * _PION_MASS
    return produced * (2.0 * (mass + _NUCLEON_MASS) + produced) / (2.0 * _NUCLEON_MASS)


__all__ = ["pion_threshold", "brems_rate_bound", "sample_brems", "sample_pair_fraction", "sample_compton",
           "sample_michel_kinetic"]
