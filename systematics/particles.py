"""Particle classes of the LArTPC single-particle sets and their masses.

Labels index :data:`PARTICLE_CLASSES`: 0 e-, 1 gamma, 2 mu, 3 pi, 4 p (PILArNet classes,
arXiv 2006.01993). Masses in MeV from the PDG Review of Particle Physics (2024).
"""

from __future__ import annotations

PARTICLE_CLASSES: tuple[str, ...] = ("e", "gamma", "mu", "pi", "p")

# PDG 2024 masses, MeV (charged pion, muon, proton, electron).
MASSES_MEV: dict[str, float] = {
    "e": 0.51099895,
    "gamma": 0.0,
    "mu": 105.6583755,
    "pi": 139.57039,
    "p": 938.27208816,
}

__all__ = ["PARTICLE_CLASSES", "MASSES_MEV"]
