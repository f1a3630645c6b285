"""Liquid-argon and detector constants for the LArTPC response (units in each name's comment).

These are the constants that are never thrown; the thrown ones (field, temperature, lifetime,
diffusion, recombination constants) are declared in systematics.parameters.TABLE. Sources:
larnd-sim (DUNE/larnd-sim consts/detector.py and consts/physics.py) and Li et al., NIM A 816
(2016) 160; docs/physics.md sections 1.2, 1.3 and 1.6.
"""

from __future__ import annotations

# Electron mobility, Li et al. NIM A 816 (2016) 160, as in larnd-sim consts/detector.py:
# mu(E, T) = (a0 + a1 E + a2 E^1.5 + a3 E^2.5) / (1 + (a1/a0) E + a4 E^2 + a5 E^3) * (T / T0)^-1.5,
# E in kV/cm, mu in cm^2/V/s, T0 = 89 K.
MOBILITY_COEFFS: tuple[float, float, float, float, float, float] = (551.6, 7158.3, 4440.43, 4.29, 43.63, 0.2053)
MOBILITY_T0: float = 89.0  # K, Li et al. reference temperature

# Recombination: larnd-sim uses rho = 1.38 g/cm^3 in xi = (dE/dx) / (E rho) (PDG gives 1.396).
# The recombination constants and the operating point (field, temperature, lifetime, diffusion)
# are thrown parameters: systematics.parameters.TABLE declares them.
LAR_DENSITY_RECOMBINATION: float = 1.38  # g/cm^3

# Mean energy per ionisation electron (larnd-sim consts/physics.py W_ION).
W_ION: float = 23.6e-6  # MeV

# Readout (larnd-sim defaults; docs/physics.md section 1.6): ND-LAr pixel pitch 3.8 mm, threshold ~5000 e-,
# noise ~500-900 e- per channel (we take the low end).
PIXEL_PITCH: float = 0.38  # cm
READOUT_THRESHOLD: float = 5000.0  # electrons
READOUT_NOISE: float = 500.0  # electrons (RMS)

# Drift geometry of one ND-LAr module (docs/physics.md section 1.3: 50.4 cm; the 2x2 prototype drifts 30.27 cm).
MAX_DRIFT_NDLAR: float = 50.4  # cm

__all__ = [
    "MOBILITY_COEFFS", "MOBILITY_T0", "LAR_DENSITY_RECOMBINATION", "W_ION", "PIXEL_PITCH", "READOUT_THRESHOLD",
    "READOUT_NOISE", "MAX_DRIFT_NDLAR",
]
