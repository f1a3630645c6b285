"""Vectorised jet finding on batches of Pythia events (awkward arrays, no per-particle loops).

Input is the ``prt`` field of ``pythia8mc.Pythia.nextBatch``: one record per particle with
``id``, ``status``, ``mother1`` and a four-momentum ``p`` (px, py, pz, e in GeV).
Angles: pseudorapidity eta and azimuth phi in rad, phi in (-pi, pi] (numpy ``arctan2``).
"""

from __future__ import annotations

import awkward as ak
import fastjet
import fastjet._swig
import numpy as np

__all__ = ["visible_final_state", "leading_jets", "top_matched", "sorted_constituents"]

# PDG Monte Carlo numbering: nu_e, nu_mu, nu_tau (invisible, left out of the jets).
_NEUTRINOS = (12, 14, 16)
# Pythia 8 status codes (Pythia 8 manual, "Particle Properties"): 23 = outgoing parton of the
# hardest subprocess, also given to resonance-decay products (t -> W b, W -> q q'); negative
# once the parton has been showered further.
_HARD_OUTGOING = -23
_TOP, _W = 6, 24

# Quiet output: FastJet prints a banner on its first clustering, once per worker process.
# Its request to cite M. Cacciari, G.P. Salam, G. Soyez, EPJC 72 (2012) 1896 is in the README.
fastjet._swig.ClusterSequence.set_fastjet_banner_stream(None)


def _pt_eta_phi(px, py, pz):
    """Transverse momentum (GeV), pseudorapidity and azimuth (rad) of momenta in GeV."""
    pt = np.hypot(px, py)
    return pt, np.arcsinh(pz / pt), np.arctan2(py, px)


def _delta_r(eta1, phi1, eta2, phi2):
    """Angular distance sqrt(d_eta^2 + d_phi^2) with d_phi wrapped into [-pi, pi)."""
    dphi = (phi1 - phi2 + np.pi) % (2 * np.pi) - np.pi
    return np.hypot(eta1 - eta2, dphi)


def visible_final_state(prt: ak.Array) -> ak.Array:
    """Final-state particles (status > 0) without neutrinos, as (px, py, pz, E) records in GeV."""
    aid = abs(prt.id)
    keep = (prt.status > 0) & (aid != _NEUTRINOS[0]) & (aid != _NEUTRINOS[1]) & (aid != _NEUTRINOS[2])
    p = prt.p[keep]
    return ak.zip({"px": p.px, "py": p.py, "pz": p.pz, "E": p.e}, with_name="Momentum4D")


def leading_jets(particles: ak.Array, radius: float, pt_min: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, ak.Array]:
    """Anti-kT jets of radius ``radius``; per event the hardest one if its pT >= ``pt_min`` (GeV).

    Jets below ``pt_min`` are never needed: the leading jet of an event passes a lower pT cut
    of ``pt_min`` exactly when some jet does. Returns numpy (B,) arrays ``pt`` (GeV; 0 where
    the event has no such jet), ``eta``, ``phi`` (NaN there) and the jagged (B, var) indices of
    the leading jet's constituents in ``particles`` (None where no jet)."""
    sequence = fastjet.ClusterSequence(particles, fastjet.JetDefinition(fastjet.antikt_algorithm, radius))
    jets = sequence.inclusive_jets(min_pt=pt_min)
    index = sequence.constituent_index(min_pt=pt_min)
    pt, eta, phi = _pt_eta_phi(jets.px, jets.py, jets.pz)
    lead = ak.argmax(pt, axis=1, keepdims=True)

    def pick(x, fill):
        return ak.to_numpy(ak.fill_none(ak.firsts(x[lead]), fill)).astype(np.float64)

    return pick(pt, 0.0), pick(eta, np.nan), pick(phi, np.nan), ak.firsts(index[lead])


def top_matched(prt: ak.Array, jet_eta: np.ndarray, jet_phi: np.ndarray, radius: float) -> np.ndarray:
    """(B,) bool: the jet axis lies within ``radius`` of a top quark and of all three of its
    decay quarks (b from t -> W b and q, q' from W -> q q').

    Uses the hard process in the event record: the decay quarks are the status -23 entries
    whose mother is a top or a W; the top is the last top copy, the mother of its decay quark
    (its momentum includes the recoil against initial-state radiation). The sign of the
    mother's PDG id tells t (W+) from tbar (W-). Jets with a NaN axis are never matched."""
    mother = prt.mother1
    mother_id = prt.id[mother]
    hard = prt.status == _HARD_OUTGOING
    matched = np.zeros(len(prt), dtype=bool)
    for sign in (1, -1):
        from_top = hard & (mother_id == sign * _TOP)
        quarks = prt.p[from_top | (hard & (mother_id == sign * _W))]
        top = prt.p[mother[from_top]]
        ok = (ak.num(quarks) == 3) & (ak.num(top) == 1)
        for p in (quarks, top):
            _, eta, phi = _pt_eta_phi(p.px, p.py, p.pz)
            ok = ok & ak.all(_delta_r(eta, phi, jet_eta, jet_phi) < radius, axis=1)
        matched |= ak.to_numpy(ok)
    return matched


def sorted_constituents(particles: ak.Array, index: ak.Array, max_constituents: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Constituents ``particles[index]`` per jet, sorted by pT descending, the hardest
    ``max_constituents`` kept. Returns ``counts`` (J,) int64 and flat ``(pT, eta, phi)`` (M, 3)
    float64 (GeV, -, rad)."""
    c = particles[index]
    pt, eta, phi = _pt_eta_phi(c.px, c.py, c.pz)
    order = ak.argsort(pt, axis=1, ascending=False, stable=True)[:, :max_constituents]
    pt, eta, phi = pt[order], eta[order], phi[order]
    counts = ak.to_numpy(ak.fill_none(ak.num(pt, axis=1), 0)).astype(np.int64)
    flat = np.stack([ak.to_numpy(ak.flatten(x)) for x in (pt, eta, phi)], axis=1).astype(np.float64)
    return counts, flat
