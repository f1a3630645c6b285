"""Liquid-argon and detector constants for the LArTPC response (units in each name's comment).

Sources as given in /work/shared/physics.md section 1 (larnd-sim, DUNE/larnd-sim consts/detector.py
and consts/physics.py; Li et al., NIM A 816 (2016) 160; Baller, JINST 8 (2013) P08005;
Amoruso et al., NIM A 523 (2004) 275; arXiv 2309.04639 for the nominal values and throw ranges).
"""

from __future__ import annotations

# Electron mobility, Li et al. NIM A 816 (2016) 160, as in larnd-sim consts/detector.py:
# mu(E, T) = (a0 + a1 E + a2 E^1.5 + a3 E^2.5) / (1 + (a1/a0) E + a4 E^2 + a5 E^3) * (T / T0)^-1.5,
# E in kV/cm, mu in cm^2/V/s, T0 = 89 K.
MOBILITY_COEFFS: tuple[float, float, float, float, float, float] = (551.6, 7158.3, 4440.43, 4.29, 43.63, 0.2053)
MOBILITY_T0: float = 89.0  # K, Li et al. reference temperature

# Nominal operating point (larnd-sim defaults, arXiv 2309.04639).
NOMINAL_EFIELD: float = 0.50  # kV/cm
NOMINAL_TEMPERATURE: float = 87.17  # K
NOMINAL_LIFETIME: float = 2200.0  # us
NOMINAL_DIFFUSION_T: float = 8.8e-6  # cm^2/us, transverse
NOMINAL_DIFFUSION_L: float = 4.0e-6  # cm^2/us, longitudinal

# Recombination. larnd-sim uses rho = 1.38 g/cm^3 in xi = (dE/dx) / (E rho) (PDG gives 1.396).
LAR_DENSITY_RECOMBINATION: float = 1.38  # g/cm^3
BIRKS_A: float = 0.800  # Amoruso et al. (2004), dimensionless
BIRKS_K: float = 0.0486  # Amoruso et al. (2004), (kV/cm)(g/cm^2)/MeV
BOX_ALPHA: float = 0.93  # Baller (2013), dimensionless
BOX_BETA: float = 0.207  # Baller (2013), (kV/cm)(g/cm^2)/MeV

# Mean energy per ionisation electron (larnd-sim consts/physics.py W_ION).
W_ION: float = 23.6e-6  # MeV

# Readout (larnd-sim defaults; physics.md): ND-LAr pixel pitch 3.8 mm, threshold ~5000 e-,
# noise ~500-900 e- per channel (we take the low end).
PIXEL_PITCH: float = 0.38  # cm
READOUT_THRESHOLD: float = 5000.0  # electrons
READOUT_NOISE: float = 500.0  # electrons (RMS)

# Drift geometry of one ND-LAr module (physics.md: 50.4 cm; the 2x2 prototype drifts 30.27 cm).
MAX_DRIFT_NDLAR: float = 50.4  # cm

__all__ = [
    "MOBILITY_COEFFS", "MOBILITY_T0", "NOMINAL_EFIELD", "NOMINAL_TEMPERATURE", "NOMINAL_LIFETIME",
    "NOMINAL_DIFFUSION_T", "NOMINAL_DIFFUSION_L", "LAR_DENSITY_RECOMBINATION", "BIRKS_A", "BIRKS_K",
    "BOX_ALPHA", "BOX_BETA", "W_ION", "PIXEL_PITCH", "READOUT_THRESHOLD", "READOUT_NOISE", "MAX_DRIFT_NDLAR",
]
