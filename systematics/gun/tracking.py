"""Jitted transport of one event: a stack of particles stepped through liquid argon.

Stack rows: (type, charge, T MeV, x, y, z cm, ux, uy, uz). Deposit rows: (x, y, z cm,
dE MeV, dx cm), the position being the midpoint of the step.

* Charged tracks (e+-, mu, pi, p) step with the mean loss of :mod:`.dedx` (Bethe-Bloch; Berger-Seltzer
  for e+-; midpoint rule), by default fluctuating per step as Landau-Vavilov (:mod:`.straggling`; the
  tail is deposited in the step, no delta-ray secondaries), and scatter after every step with
  Gaussian angles in both transverse planes whose variances add up to Highland's angle for the
  path travelled so far (:func:`.dedx.highland_increment`), down to the tracking cut.
* e+- also radiate bremsstrahlung photons (:mod:`.interactions`); photons pair-convert,
  Compton-scatter or are absorbed with the XCOM cross-sections of their energy (:mod:`.photons`).
  This explicit stochastic shower is used at all energies (no Longo profile parametrisation).
* p and pi interact hadronically (created pions pay their rest mass), mu+ and pi+ decay at rest
  (GunConfig documents the toy models).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from systematics.gun import config as c
from systematics.gun.argon import (ELECTRON, ELECTRON_MASS, GAMMA, MASSES, MUON, PION,
                                   PION_DECAY_MUON_KINETIC_MEV, PROTON)
from systematics.gun.dedx import density_correction, highland_increment, max_energy_transfer, mean_dedx, residual_range
from systematics.gun.interactions import (brems_rate_bound, pion_threshold, sample_brems, sample_compton,
                                          sample_michel_kinetic, sample_pair_fraction)
from systematics.gun.kinematics import append_row, deflect, isotropic, scatter
from systematics.gun.photons import COMPTON, PAIR, PHOTOELECTRIC, photon_absorption_length, sample_photon_interaction
from systematics.gun.straggling import landau_xi, most_probable_loss, sample_loss

_NO_EVENT, _BREMS, _HADRONIC = 0, 1, 2


@numba.njit(cache=True)
def _inside(x: float, y: float, z: float, cfg: np.ndarray) -> bool:
    lo, hi = cfg[c.VOLUME_LOW], cfg[c.VOLUME_HIGH]
    return lo <= x <= hi and lo <= y <= hi and lo <= z <= hi


@numba.njit(cache=True)
def _deposit(dep, nd, x, y, z, energy, length, cfg):
    """Append a deposit if it lies inside the volume (dropped otherwise)."""
    if energy > 0.0 and _inside(x, y, z, cfg):
        return append_row(dep, nd, (x, y, z, energy, length))
    return dep, nd


@numba.njit(cache=True)
def _push(stack, ns, ptype, charge, kinetic, x, y, z, u):
    return append_row(stack, ns, (float(ptype), charge, kinetic, x, y, z, u[0], u[1], u[2]))


@numba.njit(cache=True)
def _hadronic(kinetic, x, y, z, parent, charge, cfg, rng, stack, ns):
    """Toy hadronic interaction of a p or pi of ``kinetic`` MeV (GunConfig documents it): the
    parent and 0-2 created pions or knock-on protons, isotropic, share the visible energy
    left after paying the rest mass of each created pion (energy conservation)."""
    n = rng.integers(1, 4)
    visible = kinetic * (1.0 - cfg[c.INVISIBLE_MAX] * rng.random())
    types = np.full(n, PROTON)
    types[0] = parent
    n_pions = 0
    for i in range(1, n):
        if (rng.random() < 0.5 and kinetic >= pion_threshold(MASSES[parent], n_pions + 1)
                and visible >= (n_pions + 1) * MASSES[PION]):
            types[i] = PION
            n_pions += 1
    available = visible - n_pions * MASSES[PION]
    weights = np.empty(n)
    for i in range(n):
        weights[i] = rng.exponential(1.0)  # normalised exponentials: uniform on the simplex
    weights /= weights.sum()
    for i in range(n):
        q = charge if i == 0 else (1.0 if types[i] == PROTON or rng.random() < cfg[c.PI_PLUS] else -1.0)
        stack, ns = _push(stack, ns, types[i], q, available * weights[i], x, y, z, isotropic(rng))
    return stack, ns


@numba.njit(cache=True)
def _step_loss(kinetic, mass, charge, step, dedx, cfg, rng):
    """Energy lost (MeV) over ``step`` cm: the mean (midpoint rule) or, with straggling, a
    Landau-Vavilov draw of that mean (:func:`.straggling.sample_loss`), capped at T."""
    mean = mean_dedx(kinetic - 0.5 * step * dedx, mass, charge) * step
    if cfg[c.STRAGGLING] == 0.0:
        return min(mean, kinetic)
    gamma = 1.0 + kinetic / mass
    bg2 = gamma * gamma - 1.0
    beta2 = bg2 / (gamma * gamma)
    xi = landau_xi(step, beta2)
    mpv = most_probable_loss(xi, beta2, bg2, density_correction(math.sqrt(bg2)))
    loss = sample_loss(mean, xi, mpv, max_energy_transfer(kinetic, mass, charge), beta2, rng)
    return min(max(loss, 0.0), kinetic)


@numba.njit(cache=True)
def _charged(ptype, charge, kinetic, x, y, z, ux, uy, uz, cfg, rng, dep, nd, stack, ns):
    mass = MASSES[ptype]
    is_electron = ptype == ELECTRON
    cut = cfg[c.ELECTRON_CUT] if is_electron else cfg[c.TRACKING_CUT]
    brems_cut = cfg[c.BREMS_CUT]
    lam = cfg[c.PROTON_LAMBDA] if ptype == PROTON else (cfg[c.PION_LAMBDA] if ptype == PION else math.inf)
    path = 0.0
    while kinetic > cut:
        dedx = mean_dedx(kinetic, mass, charge)
        step = min(cfg[c.STEP_CM], cfg[c.STEP_FRACTION] * kinetic / dedx)
        process = _NO_EVENT
        if is_electron and kinetic > brems_cut:
            s = rng.exponential(1.0 / brems_rate_bound(kinetic, brems_cut))
            if s < step:
                step, process = s, _BREMS
        if lam < math.inf:
            s = rng.exponential(lam)
            if s < step:
                step, process = s, _HADRONIC
        loss = _step_loss(kinetic, mass, charge, step, dedx, cfg, rng)
        dep, nd = _deposit(dep, nd, x + 0.5 * step * ux, y + 0.5 * step * uy, z + 0.5 * step * uz, loss, step, cfg)
        x, y, z = x + step * ux, y + step * uy, z + step * uz
        kinetic -= loss
        if not _inside(x, y, z, cfg):
            return dep, nd, stack, ns
        if process == _HADRONIC:
            stack, ns = _hadronic(kinetic, x, y, z, ptype, charge, cfg, rng, stack, ns)
            return dep, nd, stack, ns
        if process == _BREMS:
            k = sample_brems(kinetic, brems_cut, rng)
            if k > 0.0:
                kinetic -= k
                stack, ns = _push(stack, ns, GAMMA, 0.0, k, x, y, z, (ux, uy, uz))
        if kinetic > 0.0:
            ux, uy, uz = scatter(ux, uy, uz, highland_increment(kinetic, mass, path, step), rng)
        path += step
    dep, nd = _deposit(dep, nd, x, y, z, kinetic, residual_range(kinetic, mass, charge, cut), cfg)
    if ptype == MUON and charge > 0:
        stack, ns = _push(stack, ns, ELECTRON, 1.0, sample_michel_kinetic(rng), x, y, z, isotropic(rng))
    elif ptype == PION and charge > 0:
        stack, ns = _push(stack, ns, MUON, 1.0, PION_DECAY_MUON_KINETIC_MEV, x, y, z, isotropic(rng))
    return dep, nd, stack, ns


@numba.njit(cache=True)
def _photon(energy, x, y, z, ux, uy, uz, cfg, rng, dep, nd, stack, ns):
    """Transport a photon through its XCOM interactions until it converts, is absorbed, drops
    below the photon cut (absorbed in one point) or leaves the volume."""
    while True:
        if energy < cfg[c.PHOTON_CUT]:
            s = rng.exponential(photon_absorption_length(cfg[c.PHOTON_CUT]))
            x, y, z = x + s * ux, y + s * uy, z + s * uz
            dep, nd = _deposit(dep, nd, x, y, z, energy,
                               residual_range(energy, ELECTRON_MASS, -1.0, cfg[c.ELECTRON_CUT]), cfg)
            return dep, nd, stack, ns
        s, process = sample_photon_interaction(energy, rng)
        x, y, z = x + s * ux, y + s * uy, z + s * uz
        if not _inside(x, y, z, cfg):
            return dep, nd, stack, ns
        if process == PAIR:
            # e+ e- along the photon (opening angle ~ m_e / k neglected); 2 m_e of rest energy is not deposited.
            available = energy - 2.0 * ELECTRON_MASS
            share = sample_pair_fraction(rng)
            stack, ns = _push(stack, ns, ELECTRON, -1.0, share * available, x, y, z, (ux, uy, uz))
            stack, ns = _push(stack, ns, ELECTRON, 1.0, (1.0 - share) * available, x, y, z, (ux, uy, uz))
            return dep, nd, stack, ns
        if process == PHOTOELECTRIC:
            dep, nd = _deposit(dep, nd, x, y, z, energy,
                               residual_range(energy, ELECTRON_MASS, -1.0, cfg[c.ELECTRON_CUT]), cfg)
            return dep, nd, stack, ns
        # Compton: the electron takes p = k - k' (momentum conservation), the photon goes on.
        scattered, cos_t = sample_compton(energy, rng)
        vx, vy, vz = deflect(ux, uy, uz, math.acos(min(max(cos_t, -1.0), 1.0)), 2.0 * math.pi * rng.random())
        px, py, pz = energy * ux - scattered * vx, energy * uy - scattered * vy, energy * uz - scattered * vz
        norm = math.sqrt(px * px + py * py + pz * pz)
        if norm > 0.0:  # zero only if nothing was transferred
            stack, ns = _push(stack, ns, ELECTRON, -1.0, energy - scattered, x, y, z, (px / norm, py / norm, pz / norm))
        energy, ux, uy, uz = scattered, vx, vy, vz


@numba.njit(cache=True)
def _primary_charge(ptype, cfg, rng):
    if ptype == MUON:
        return 1.0 if rng.random() < cfg[c.MU_PLUS] else -1.0
    if ptype == PION:
        return 1.0 if rng.random() < cfg[c.PI_PLUS] else -1.0
    return 0.0 if ptype == GAMMA else (1.0 if ptype == PROTON else -1.0)


@numba.njit(cache=True)
def simulate_batch(labels, energies, vertices, directions, cfg, rng):
    """Transport one primary per event; returns (deposits (M, 5) float64, counts (B,) int64)."""
    n = labels.shape[0]
    dep = np.empty((4096, 5))
    nd = 0
    counts = np.zeros(n, dtype=np.int64)
    stack = np.empty((64, 9))
    for i in range(n):
        start = nd
        ptype = labels[i]
        stack, ns = _push(stack, 0, ptype, _primary_charge(ptype, cfg, rng), energies[i],
                          vertices[i, 0], vertices[i, 1], vertices[i, 2],
                          (directions[i, 0], directions[i, 1], directions[i, 2]))
        while ns > 0:
            ns -= 1
            pt, charge, kinetic = int(stack[ns, 0]), stack[ns, 1], stack[ns, 2]
            x, y, z, ux, uy, uz = stack[ns, 3], stack[ns, 4], stack[ns, 5], stack[ns, 6], stack[ns, 7], stack[ns, 8]
            if pt == GAMMA:
                dep, nd, stack, ns = _photon(kinetic, x, y, z, ux, uy, uz, cfg, rng, dep, nd, stack, ns)
            else:
                dep, nd, stack, ns = _charged(pt, charge, kinetic, x, y, z, ux, uy, uz, cfg, rng, dep, nd, stack, ns)
        counts[i] = nd - start
    return dep[:nd].copy(), counts


__all__ = ["simulate_batch"]
