"""Photon cross-sections of argon (NIST XCOM) and the attenuation coefficients the photon transport
samples from.

XCOM (M. J. Berger, J. H. Hubbell et al., "XCOM: Photon Cross Sections Database", NIST Standard
Reference Database 8), element Z = 18 (A = 39.948), per-process cross-sections in barn/atom on the
XCOM energy grid from 1 MeV to 100 GeV: incoherent (Compton) scattering, photoelectric absorption,
pair production in the nuclear field and in the electron field (triplet). Coherent (Rayleigh)
scattering (< 0.4% of the total above 1 MeV) deposits nothing and is left out.
Attenuation coefficient mu = sigma N_A / A rho (1/cm); log-log interpolation in energy.
At 100 GeV the pair cross-sections give a conversion length of 18.2 cm, the 9/7 X0 = 18.0 cm
high-energy limit (PDG "Passage of particles through matter", photon section).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from systematics.gun.argon import DENSITY

# (E MeV, incoherent, photoelectric, pair nuclear, pair electron) in barn/atom, XCOM argon.
XCOM_ARGON_BARN = np.array([
    (1, 3.801, 0.005696, 0, 0),
    (1.022, 3.761, 0.005389, 0, 0),
    (1.25, 3.4, 0.003651, 0.002826, 0),
    (1.5, 3.09, 0.002639, 0.01507, 0),
    (2, 2.638, 0.001639, 0.0588, 0),
    (2.044, 2.605, 0.001584, 0.06336, 0),
    (3, 2.076, 0.0008991, 0.1658, 0.0007263),
    (4, 1.731, 0.0006101, 0.267, 0.002965),
    (5, 1.495, 0.000459, 0.3568, 0.005908),
    (6, 1.322, 0.0003669, 0.4371, 0.009073),
    (7, 1.188, 0.0003052, 0.5086, 0.01223),
    (8, 1.081, 0.000261, 0.5729, 0.0153),
    (9, 0.9938, 0.0002279, 0.6311, 0.01823),
    (10, 0.9208, 0.0002022, 0.6839, 0.02103),
    (11, 0.8588, 0.0001817, 0.7318, 0.02368),
    (12, 0.8054, 0.0001649, 0.7757, 0.02618),
    (13, 0.7588, 0.0001509, 0.8164, 0.02855),
    (14, 0.7178, 0.0001391, 0.8543, 0.0308),
    (15, 0.6815, 0.000129, 0.8897, 0.03294),
    (16, 0.649, 0.0001203, 0.9229, 0.03497),
    (18, 0.5932, 0.0001059, 0.9836, 0.03876),
    (20, 0.547, 9.463e-05, 1.038, 0.04221),
    (22, 0.5081, 8.55e-05, 1.087, 0.04539),
    (24, 0.4748, 7.797e-05, 1.132, 0.04832),
    (26, 0.4458, 7.166e-05, 1.172, 0.05103),
    (28, 0.4205, 6.629e-05, 1.21, 0.05356),
    (30, 0.3982, 6.167e-05, 1.245, 0.05591),
    (40, 0.3164, 4.573e-05, 1.388, 0.06577),
    (50, 0.2642, 3.633e-05, 1.495, 0.07337),
    (60, 0.2276, 3.014e-05, 1.578, 0.07947),
    (80, 0.1795, 2.247e-05, 1.702, 0.0888),
    (100, 0.149, 1.791e-05, 1.791, 0.09573),
    (150, 0.1061, 1.189e-05, 1.936, 0.1075),
    (200, 0.08318, 8.894e-06, 2.024, 0.115),
    (300, 0.05896, 5.915e-06, 2.129, 0.1245),
    (400, 0.04617, 4.431e-06, 2.19, 0.1302),
    (500, 0.03822, 3.542e-06, 2.23, 0.1342),
    (600, 0.03273, 2.951e-06, 2.259, 0.1372),
    (800, 0.02556, 2.212e-06, 2.298, 0.1412),
    (1000, 0.02103, 1.769e-06, 2.323, 0.144),
    (1500, 0.01469, 1.179e-06, 2.36, 0.148),
    (2000, 0.01137, 8.837e-07, 2.38, 0.1503),
    (3000, 0.007903, 5.89e-07, 2.402, 0.1529),
    (4000, 0.0061, 4.417e-07, 2.414, 0.1544),
    (5000, 0.004988, 3.533e-07, 2.421, 0.1553),
    (6000, 0.004229, 2.944e-07, 2.426, 0.1559),
    (8000, 0.003259, 2.208e-07, 2.433, 0.1568),
    (10000, 0.00266, 1.766e-07, 2.437, 0.1573),
    (15000, 0.001839, 1.178e-07, 2.443, 0.158),
    (20000, 0.001414, 8.832e-08, 2.447, 0.1585),
    (30000, 0.0009748, 5.888e-08, 2.45, 0.1589),
    (40000, 0.0007484, 4.416e-08, 2.452, 0.1591),
    (50000, 0.0006095, 3.533e-08, 2.453, 0.1593),
    (60000, 0.0005152, 2.944e-08, 2.453, 0.1594),
    (80000, 0.000395, 2.208e-08, 2.454, 0.1595),
    (100000, 0.0003214, 1.766e-08, 2.455, 0.1596),])

ARGON_MOLAR_MASS = 39.948  # g/mol
AVOGADRO = 6.02214076e23  # 1/mol
BARN_CM2 = 1e-24
# barn/atom -> 1/cm in liquid argon
_BARN_TO_INVERSE_CM = BARN_CM2 * AVOGADRO / ARGON_MOLAR_MASS * DENSITY

PHOTON_ENERGY_MEV = XCOM_ARGON_BARN[:, 0].copy()
_LOG_ENERGY = np.log(PHOTON_ENERGY_MEV)
# Cumulative attenuation coefficients (1/cm) per energy: Compton, + photoelectric, + pair (= total).
_CUMULATIVE_MU = np.cumsum(XCOM_ARGON_BARN[:, 1:4] * _BARN_TO_INVERSE_CM, axis=1)
_CUMULATIVE_MU[:, 2] += XCOM_ARGON_BARN[:, 4] * _BARN_TO_INVERSE_CM
_LOG_CUMULATIVE_MU = np.log(_CUMULATIVE_MU)
COMPTON, PHOTOELECTRIC, PAIR = range(3)


def attenuation_per_cm(energy_mev: float | np.ndarray) -> dict[str, np.ndarray]:
    """XCOM attenuation coefficients (1/cm) of liquid argon by process ("compton",
    "photoelectric", "pair" (nuclear + electron field), "total") at ``energy_mev`` (1 MeV-100 GeV)."""
    energy = np.asarray(energy_mev, dtype=np.float64)
    if not ((energy >= PHOTON_ENERGY_MEV[0]) & (energy <= PHOTON_ENERGY_MEV[-1])).all():
        raise ValueError(f"energy_mev: expected photon energies in [{PHOTON_ENERGY_MEV[0]}, {PHOTON_ENERGY_MEV[-1]}] MeV")
    cumulative = np.array([_cumulative_mu_at(float(e)) for e in energy.ravel()]).reshape(*energy.shape, 3)
    per_process = np.diff(cumulative, axis=-1, prepend=0.0)
    return {"compton": per_process[..., 0], "photoelectric": per_process[..., 1], "pair": per_process[..., 2],
            "total": cumulative[..., 2]}


@numba.njit(cache=True)
def _cumulative_mu_at(energy: float) -> tuple[float, float, float]:
    """Cumulative (Compton, + photoelectric, + pair) attenuation coefficients (1/cm) at ``energy``
    MeV, log-log interpolated (all three are > 0: Compton is)."""
    log_e = math.log(energy)
    i = min(max(np.searchsorted(_LOG_ENERGY, log_e), 1), _LOG_ENERGY.shape[0] - 1)
    w = (log_e - _LOG_ENERGY[i - 1]) / (_LOG_ENERGY[i] - _LOG_ENERGY[i - 1])
    lo, hi = _LOG_CUMULATIVE_MU[i - 1], _LOG_CUMULATIVE_MU[i]
    return (math.exp(lo[0] + w * (hi[0] - lo[0])), math.exp(lo[1] + w * (hi[1] - lo[1])),
            math.exp(lo[2] + w * (hi[2] - lo[2])))


@numba.njit(cache=True)
def photon_absorption_length(energy: float) -> float:
    """1 / mu_total (cm) at ``energy`` MeV (>= 1 MeV)."""
    return 1.0 / _cumulative_mu_at(energy)[2]


@numba.njit(cache=True)
def sample_photon_interaction(energy: float, rng: np.random.Generator) -> tuple[float, int]:
    """(distance cm to the next interaction, process COMPTON / PHOTOELECTRIC / PAIR) of a photon
    of ``energy`` MeV (>= 1 MeV): exponential path of the XCOM total attenuation, process drawn
    in proportion to its coefficient."""
    mu = _cumulative_mu_at(energy)
    distance = rng.exponential(1.0 / mu[2])
    u = rng.random() * mu[2]
    process = COMPTON if u < mu[0] else (PHOTOELECTRIC if u < mu[1] else PAIR)
    return distance, process


__all__ = ["XCOM_ARGON_BARN", "PHOTON_ENERGY_MEV", "COMPTON", "PHOTOELECTRIC", "PAIR", "attenuation_per_cm",
           "photon_absorption_length", "sample_photon_interaction"]
