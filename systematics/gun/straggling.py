"""Energy-loss fluctuations of one step: Landau-Vavilov with the tail truncated so that the mean is
the mean stopping power, Gaussian (Bohr-Vavilov) for thick steps.

Units: MeV, cm. The step's energy loss is Delta = Delta_p + xi * l, with

* xi = (K/2) (Z/A) rho x / beta^2 (MeV) and the most probable loss
  Delta_p = xi [ln(2 m c^2 beta^2 gamma^2 / I) + ln(xi / I) + j - beta^2 - delta(beta gamma)], j = 0.200
  (PDG, "Passage of particles through matter", straggling section, eq. 34.12; Bichsel,
  Rev. Mod. Phys. 60 (1988) 663), the full width at half maximum being 4.018 xi (Landau);
* l the Landau variable shifted to its mode (l = 0 at the most probable loss), drawn from the
  Landau density truncated at l_max. l_max is chosen per step so that the truncated mean equals
  (mean loss - Delta_p) / xi: the mean loss stays the Bethe-Bloch (or Berger-Seltzer) one
  (the truncation of GEANT3's Landau sampling, CERN W5013 PHYS332). No delta rays are produced
  as secondaries: the tail is deposited at the step.
* For kappa = xi / W_max >= ``GAUSSIAN_KAPPA`` (thick steps of slow protons) or where the
  truncation cannot reach the mean, a Gaussian of the Vavilov variance
  sigma^2 = xi W_max (1 - beta^2 / 2) (PDG, same section) around the mean loss.
* Steps so thin (kappa < ~4e-7, ~1e-3 cm: cut short by a bremsstrahlung emission or an
  interaction) that the truncation would lie beyond the table (1e6 xi) deposit their mean loss.

The Landau density is scipy.stats.landau (its standard form is l = (pi/2)(x - x_mode)), tabulated
once at import; the jitted sampler inverts the tables.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import optimize, stats

from systematics.gun.argon import BETHE_K, DENSITY, ELECTRON_MASS, MEAN_EXCITATION_MEV, Z_OVER_A

_XI_PER_CM = 0.5 * BETHE_K * Z_OVER_A * DENSITY  # MeV/cm at beta = 1
BICHSEL_J = 0.200
LANDAU_FWHM = 4.018  # in units of xi (PDG)
GAUSSIAN_KAPPA = 1.0


def _landau_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(l grid, CDF F(l)) of the mode-shifted Landau, and (m(l_max) = E[l | l < l_max], F(l_max)) from
    l_max = -3.9 on, where m is increasing (checked)."""
    x_mode = optimize.minimize_scalar(lambda x: -stats.landau.pdf(x), bracket=(-1.0, 0.0, 1.0)).x
    grid = np.concatenate([np.arange(-4.0, 20.0, 0.01), np.geomspace(20.0, 1e6, 1500)[1:]])
    x = grid / (0.5 * math.pi) + x_mode
    cdf = stats.landau.cdf(x)
    weighted = grid * stats.landau.pdf(x) / (0.5 * math.pi)  # l f(l)
    # the mass below the first grid point (F ~ 1e-12) is put at that point
    below = grid[0] * cdf[0]
    first_moment = below + np.concatenate([[0.0], np.cumsum(0.5 * (weighted[1:] + weighted[:-1]) * np.diff(grid))])
    mean = first_moment / cdf
    keep = grid >= -3.9
    if not (np.diff(mean[keep]) > 0).all():
        raise RuntimeError("Landau truncated-mean table is not increasing: check the scipy.stats.landau version")
    return grid, cdf, mean[keep], cdf[keep]


LANDAU_L, LANDAU_CDF, TRUNCATED_MEAN, TRUNCATION_CDF = _landau_tables()
# The same two inversions on uniform grids, for O(1) lookups in the sampler: l(u) for u <= QUANTILE_U_MAX
# (beyond, l ~ 1 / (1 - u) is inverted by bisection) and F(l_max) as a function of the truncated mean.
QUANTILE_U_MAX = 0.99
QUANTILE_L = np.interp(np.linspace(0.0, QUANTILE_U_MAX, 8192), LANDAU_CDF, LANDAU_L)
TRUNCATION_GRID = np.linspace(TRUNCATED_MEAN[0], TRUNCATED_MEAN[-1], 8192)
TRUNCATION_GRID_CDF = np.interp(TRUNCATION_GRID, TRUNCATED_MEAN, TRUNCATION_CDF)


@numba.njit(cache=True)
def _interp(x: float, xs: np.ndarray, ys: np.ndarray) -> float:
    """Linear interpolation of increasing ``xs`` at ``x`` (clamped to the table ends), by bisection
    (a hand loop: several times faster here than numba's np.searchsorted)."""
    lo, hi = 0, xs.shape[0] - 1
    if x <= xs[lo]:
        return ys[lo]
    if x >= xs[hi]:
        return ys[hi]
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    w = (x - xs[lo]) / (xs[hi] - xs[lo])
    return ys[lo] + w * (ys[hi] - ys[lo])


@numba.njit(cache=True)
def _interp_uniform(x: float, x0: float, x1: float, ys: np.ndarray) -> float:
    """Linear interpolation of ``ys`` tabulated on the uniform grid from ``x0`` to ``x1``, at ``x`` in [x0, x1]."""
    position = (x - x0) / (x1 - x0) * (ys.shape[0] - 1)
    i = min(int(position), ys.shape[0] - 2)
    w = position - i
    return ys[i] + w * (ys[i + 1] - ys[i])


@numba.njit(cache=True)
def landau_xi(step: float, beta2: float) -> float:
    """xi = (K/2)(Z/A) rho x / beta^2 (MeV) for ``step`` cm of LAr (PDG eq. 34.12)."""
    return _XI_PER_CM * step / beta2


@numba.njit(cache=True)
def most_probable_loss(xi: float, beta2: float, bg2: float, delta: float) -> float:
    """Landau-Vavilov-Bichsel most probable loss Delta_p (MeV), PDG eq. 34.12 (j = 0.200)."""
    return xi * (math.log(2.0 * ELECTRON_MASS * bg2 * xi / (MEAN_EXCITATION_MEV * MEAN_EXCITATION_MEV))
                 + BICHSEL_J - beta2 - delta)


@numba.njit(cache=True)
def sample_loss(mean: float, xi: float, mpv: float, w_max: float, beta2: float, rng: np.random.Generator) -> float:
    """One step's energy loss (MeV) with the given ``mean`` (the mean stopping power times the step),
    Landau parameters ``xi``, ``mpv`` (MeV) and the maximum energy transfer ``w_max`` (MeV)."""
    target = (mean - mpv) / xi
    if xi >= GAUSSIAN_KAPPA * w_max or target <= TRUNCATED_MEAN[0]:
        return mean + math.sqrt(xi * w_max * (1.0 - 0.5 * beta2)) * rng.normal()
    if target >= TRUNCATION_GRID[-1]:  # kappa < ~4e-7: steps of ~1e-3 cm or less (cut short by a brems
        return mean                    # emission or an interaction), far too few collisions for Landau
    u = rng.random() * _interp_uniform(target, TRUNCATION_GRID[0], TRUNCATION_GRID[-1], TRUNCATION_GRID_CDF)
    if u <= QUANTILE_U_MAX:
        return mpv + xi * _interp_uniform(u, 0.0, QUANTILE_U_MAX, QUANTILE_L)
    return mpv + xi * _interp(u, LANDAU_CDF, LANDAU_L)


__all__ = ["BICHSEL_J", "LANDAU_FWHM", "GAUSSIAN_KAPPA", "landau_xi", "most_probable_loss", "sample_loss"]
