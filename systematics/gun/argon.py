"""Liquid-argon and particle constants of the toy gun (docs/physics.md section 3, PDG).

Units: cm, g/cm^3, MeV. Plain floats, so numba compiles them in as constants.
"""

from __future__ import annotations

import math

from systematics.particles import MASSES_MEV, PARTICLE_CLASSES

# Liquid argon (PDG atomic and nuclear properties, docs/physics.md section 3).
DENSITY = 1.396  # g/cm^3
Z_OVER_A = 18.0 / 39.948  # mol/g
MEAN_EXCITATION_MEV = 188.0e-6  # I = 188 eV (newer evaluations 197 eV)
RADIATION_LENGTH_CM = 14.0  # X0

# Bethe-Bloch constant K = 4 pi N_A r_e^2 m_e c^2 (PDG), MeV cm^2/mol.
BETHE_K = 0.307075
ELECTRON_MASS = MASSES_MEV["e"]

# Sternheimer density-effect parameters for liquid argon (PDG / Sternheimer, Berger, Seltzer 1984).
STERNHEIMER_A = 0.19559
STERNHEIMER_K = 3.0
STERNHEIMER_X0 = 0.2
STERNHEIMER_X1 = 3.0
STERNHEIMER_C = 5.2146
LN10 = math.log(10.0)

# Michel spectrum end point E_max = m_mu / 2 (docs/physics.md section 3), MeV (total energy of the e+).
MICHEL_ENDPOINT_MEV = 52.8
# pi+ -> mu+ nu at rest: two-body decay, p_mu = 29.79 MeV/c (PDG masses) -> T_mu = 4.12 MeV.
PION_DECAY_MUON_KINETIC_MEV = 4.12

# Particle type codes = label indices (systematics.particles.PARTICLE_CLASSES).
ELECTRON, GAMMA, MUON, PION, PROTON = range(5)
MASSES = tuple(MASSES_MEV[name] for name in PARTICLE_CLASSES)
