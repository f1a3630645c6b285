import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from augment.h5 import read_events
from systematics.gun import GunConfig, bethe_dedx, csda_range_fit, generate, highland_theta0, simulate_events
from systematics.gun.__main__ import main
from systematics.gun.argon import ELECTRON_MASS, MICHEL_ENDPOINT_MEV, PION, PION_DECAY_MUON_KINETIC_MEV, PROTON
from systematics.gun.dedx import bohr_sigma, density_correction
from systematics.gun.generate import CHUNK_EVENTS
from systematics.gun.interactions import pion_threshold, sample_michel_kinetic, sample_pair_fraction
from systematics.gun.kinematics import deflect
from systematics.gun.tracking import _hadronic
from systematics.particles import MASSES_MEV, PARTICLE_CLASSES

# A volume large enough to contain every particle shot from the origin.
BIG = dict(volume_cm=(-1000.0, 1000.0))
NO_HADRONIC = dict(proton_interaction_length_cm=math.inf, pion_interaction_length_cm=math.inf)
# mu- and pi- only: no decays at rest, so nothing adds energy beyond the primary's T.
NO_DECAYS = dict(mu_plus_fraction=0.0, pi_plus_fraction=0.0)
# Most a pion primary can add to its T: its own pi+ -> mu+ (4.12 MeV) -> Michel e+ (< 52.8 MeV) chain.
PION_CHAIN_MEV = PION_DECAY_MUON_KINETIC_MEV + MICHEL_ENDPOINT_MEV
# Many interactions per track, every pion a pi+ that decays: the hardest case for energy conservation.
HARSH = dict(proton_interaction_length_cm=15.0, pion_interaction_length_cm=15.0, pi_plus_fraction=1.0)


def shoot(name, kinetic, n, seed=0, **config):
    """n primaries from the origin along +z; per-event (M, 5) deposits (x, y, z, dE, dx)."""
    labels = np.full(n, PARTICLE_CLASSES.index(name))
    deposits, counts = simulate_events(labels, np.full(n, float(kinetic)), np.zeros((n, 3)),
                                       np.tile([0.0, 0.0, 1.0], (n, 1)), np.random.default_rng(seed),
                                       GunConfig(**{**BIG, **config}))
    return np.split(deposits, np.cumsum(counts)[:-1])


# --- kernels against docs/physics.md section 3 check values and hand-computed numbers ---

def test_bethe_minimum_ionising():
    kinetic = np.logspace(1, 4, 3000)
    dedx = np.array([bethe_dedx(t, MASSES_MEV["mu"]) for t in kinetic])
    assert dedx.min() == pytest.approx(2.105, rel=0.01)  # docs/physics.md section 3: minimum ionising ~2.105 MeV/cm
    beta_gamma = np.sqrt((1 + kinetic[dedx.argmin()] / MASSES_MEV["mu"]) ** 2 - 1)
    assert 3.0 < beta_gamma < 4.0  # the minimum sits at beta gamma ~ 3.5 (PDG)


def test_density_correction_hand_values():
    assert density_correction(1.2) == 0.0  # x = 0.079 < x0 = 0.2
    # x = 1: 2 ln10 - C + a (x1 - 1)^k = 4.60517 - 5.2146 + 0.19559 * 8
    assert density_correction(10.0) == pytest.approx(0.95529, abs=1e-4)
    # x = 3 = x1: 2 ln10 * 3 - C
    assert density_correction(1000.0) == pytest.approx(8.60091, abs=1e-4)


def test_highland_hand_value():
    mass = MASSES_MEV["mu"]
    kinetic = math.hypot(1000.0, mass) - mass  # p = 1 GeV/c, beta = 0.99447
    # 13.6 / (0.99447 * 1000) * 1 * (1 + 0.038 ln(1 / 0.99447^2)) after one X0
    assert highland_theta0(kinetic, mass, 14.0) == pytest.approx(0.013682, rel=1e-3)
    assert highland_theta0(kinetic, mass, 4 * 14.0) > 2 * highland_theta0(kinetic, mass, 14.0)


def test_csda_fit_check_points():
    assert csda_range_fit("p", 100.0) == pytest.approx(7.8, rel=0.01)
    assert csda_range_fit("p", 400.0) == pytest.approx(81.5, rel=0.01)
    assert csda_range_fit("mu", 1000.0) == pytest.approx(441.0, rel=0.02)  # the muon fit is good to 1.4%
    with pytest.raises(ValueError, match="particle: expected one of"):
        csda_range_fit("e", 10.0)


def test_pion_threshold_hand_values():
    m_pi, m_p = MASSES_MEV["pi"], MASSES_MEV["p"]
    # p p -> p p pi: ((2 m_p + m_pi)^2 - 4 m_p^2) / (2 m_p) = 2 m_pi + m_pi^2 / (2 m_p) = 279.14 + 10.38
    assert pion_threshold(m_p, 1) == pytest.approx(289.52, abs=0.01)
    # pi p -> pi pi p: m_pi + 3 m_pi^2 / (2 m_p) = 139.57 + 31.14
    assert pion_threshold(m_pi, 1) == pytest.approx(170.71, abs=0.01)
    # two more pions: 2 m_pi (2 (m_pi + m_p) + 2 m_pi) / (2 m_p) = 279.14 * 2434.82 / 1876.54
    assert pion_threshold(m_pi, 2) == pytest.approx(362.18, abs=0.01)
    assert pion_threshold(m_p, 0) == 0.0


def test_bohr_sigma_hand_value():
    # sigma^2 = 0.156915 MeV^2 cm^2/g * rho Z/A x = 0.156915 * 1.396 * 18 / 39.948 * x
    assert bohr_sigma(1.0) ** 2 == pytest.approx(0.098702, rel=1e-4)
    assert bohr_sigma(0.25) == pytest.approx(0.5 * bohr_sigma(1.0), rel=1e-12)


def _secondaries(parent, kinetic, n, seed=0):
    """(types, kinetic energies) of the secondaries of ``n`` toy interactions at ``kinetic`` MeV."""
    cfg, rng = GunConfig().to_array(), np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        stack, ns = _hadronic(kinetic, 0.0, 0.0, 0.0, parent, 1.0, cfg, rng, np.empty((4, 9)), 0)
        rows.append(stack[:ns, :3])
    return rows


@pytest.mark.parametrize("parent", [PROTON, PION])
def test_hadronic_pays_pion_rest_mass(parent):
    mass = MASSES_MEV[PARTICLE_CLASSES[parent]]
    below = pion_threshold(mass, 1) - 1.0
    for rows in _secondaries(parent, below, 500):
        assert rows[0, 0] == parent and rows[0, 1] == 1.0  # the parent goes on, charge kept
        assert (rows[1:, 0] == PROTON).all()  # below threshold: knock-on protons only
        assert 0.7 * below <= rows[:, 2].sum() <= below * (1 + 1e-12)
    n_pions = []
    for rows in _secondaries(parent, 1000.0, 500):
        created = (rows[1:, 0] == PION).sum()
        n_pions.append(created)
        # visible energy in [0.7, 1] T pays the rest mass of each created pion
        spent = rows[:, 2].sum() + created * MASSES_MEV["pi"]
        assert 0.7 * 1000.0 - 1e-9 <= spent <= 1000.0 * (1 + 1e-12)
    # 1-3 secondaries, each extra one a pion with odds 1/2: on average (0 + 1/2 + 1) / 3 pions
    assert np.mean(n_pions) == pytest.approx(0.5, abs=0.08)


@given(st.floats(-1, 1), st.floats(0, math.pi), st.floats(0, 2 * math.pi), st.floats(0, math.pi))
def test_deflect_turns_by_theta(uz, phi_u, phi, theta):
    s = math.sqrt(1 - uz * uz)
    u = np.array([s * math.cos(phi_u), s * math.sin(phi_u), uz])
    v = np.array(deflect(*u, theta, phi))
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-9)
    assert math.acos(np.clip(u @ v, -1, 1)) == pytest.approx(theta, abs=1e-6)


def test_samplers_means():
    rng = np.random.default_rng(0)
    michel = np.array([sample_michel_kinetic(rng) for _ in range(20000)])
    # <x> = int x^3 (3 - 2x) / int x^2 (3 - 2x) = 0.35 / 0.5 = 0.7
    assert michel.mean() == pytest.approx(0.7 * MICHEL_ENDPOINT_MEV - ELECTRON_MASS, rel=0.02)
    assert michel.max() <= MICHEL_ENDPOINT_MEV
    pair = np.array([sample_pair_fraction(rng) for _ in range(20000)])
    # f = 1 - 4/3 x (1 - x) = 2/3 + 4/3 u^2 with u = x - 1/2: symmetric, norm 7/9,
    # E[u^2] = (1/18 + 1/60) / (7/9) = 13/140 (a uniform share would give 1/12)
    assert pair.mean() == pytest.approx(0.5, abs=0.01)
    assert ((pair - 0.5) ** 2).mean() == pytest.approx(13 / 140, rel=0.03)


# --- transport ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, kinetic", [("p", 100.0), ("p", 400.0), ("mu", 1000.0), ("mu", 200.0), ("pi", 500.0)])
def test_path_length_matches_csda_range(name, kinetic):
    events = shoot(name, kinetic, 20, **NO_HADRONIC, **NO_DECAYS)
    path = np.array([d[:, 4].sum() for d in events])
    assert path.mean() == pytest.approx(csda_range_fit(name, kinetic), rel=0.10)
    # Multiple scattering bends the track: the straight start-to-end distance is shorter.
    straight = np.array([np.linalg.norm(d[-1, :3]) for d in events])
    assert (straight < path).all() and straight.mean() > 0.8 * path.mean()


def test_range_straggling():
    ranges = [d[:, 4].sum() for d in shoot("mu", 200.0, 3, **NO_DECAYS)]
    assert len(set(ranges)) == 3  # three 200 MeV muons, three different ranges
    assert len({d[:, 4].sum() for d in shoot("mu", 200.0, 3, **NO_DECAYS, straggling=False)}) == 1
    path = np.array([d[:, 4].sum() for d in shoot("p", 200.0, 200, **NO_HADRONIC)])
    # Bohr straggling alone: ~1% (PDG quotes ~1.2% range straggling for protons)
    assert 0.005 < path.std() / path.mean() < 0.02
    assert path.mean() == pytest.approx(csda_range_fit("p", 200.0), rel=0.02)


def _dedx_first_20cm(d):
    first = np.cumsum(d[:, 4]) <= 20.0
    return d[first, 3].sum() / d[first, 4].sum()


def test_mip_muon_dedx_first_20cm():
    mean_loss = _dedx_first_20cm(shoot("mu", 1000.0, 1, **NO_DECAYS, straggling=False)[0])
    assert mean_loss == pytest.approx(2.1, rel=0.10)
    # Bohr straggling (~3% over 20 cm) fluctuates around the mean loss without shifting it
    fluctuating = np.array([_dedx_first_20cm(d) for d in shoot("mu", 1000.0, 20, **NO_DECAYS)])
    assert fluctuating.std() > 0 and fluctuating.mean() == pytest.approx(mean_loss, rel=0.02)


def test_energy_conservation_tracks():
    for name, kinetic in (("p", 250.0), ("mu", 300.0), ("pi", 300.0)):
        visible = np.array([d[:, 3].sum() for d in shoot(name, kinetic, 30, **NO_DECAYS)])
        assert (visible <= kinetic * (1 + 1e-9)).all()
        if name != "pi":  # most pions interact (lambda 60 cm) and lose up to 30% per interaction
            assert np.median(visible) >= 0.9 * kinetic
        exact = np.array([d[:, 3].sum() for d in shoot(name, kinetic, 5, **NO_DECAYS, **NO_HADRONIC)])
        np.testing.assert_allclose(exact, kinetic, rtol=1e-9)


@pytest.mark.parametrize("straggling", [True, False])
def test_hadron_energy_never_exceeds_budget(straggling):
    """Seeded sample: a proton never deposits more than its T (pion production, 290 MeV
    threshold, pays the pions' rest mass), a pion no more than T + its own decay chain."""
    for name, kinetic, bound in [("p", t, 0.0) for t in (100.0, 250.0, 290.0, 400.0, 1000.0)] + \
                                [("pi", t, PION_CHAIN_MEV) for t in (100.0, 171.0, 250.0, 500.0, 1000.0)]:
        visible = np.array([d[:, 3].sum() for d in shoot(name, kinetic, 300, seed=int(kinetic), straggling=straggling,
                                                         **HARSH)])
        assert (visible <= (kinetic + bound) * (1 + 1e-12)).all(), (name, kinetic, visible.max())
        if name == "p":
            assert (visible < 0.999 * kinetic).mean() > 0.2  # interactions happened: energy went invisible


@given(st.sampled_from(["p", "pi"]), st.floats(20.0, 1200.0), st.integers(0, 2 ** 32 - 1))
def test_hadron_energy_budget_property(name, kinetic, seed):
    visible = np.array([d[:, 3].sum() for d in shoot(name, kinetic, 4, seed=seed, **HARSH)])
    assert (visible <= (kinetic + (PION_CHAIN_MEV if name == "pi" else 0.0)) * (1 + 1e-12)).all()


def test_michel_electrons_add_energy_of_stopping_mu_plus():
    visible = np.array([d[:, 3].sum() for d in shoot("mu", 100.0, 200, mu_plus_fraction=1.0)])
    # mean Michel kinetic energy 0.7 * 52.8 - m_e = 36.4 MeV, nearly all deposited
    assert (visible - 100.0).mean() == pytest.approx(0.7 * MICHEL_ENDPOINT_MEV - ELECTRON_MASS, rel=0.10)


def test_showers_deposit_most_energy():
    for name in ("e", "gamma"):
        visible = np.array([d[:, 3].sum() for d in shoot(name, 500.0, 20)])
        # lost only to 2 m_e per conversion and sub-cut bremsstrahlung
        assert (visible <= 500.0).all() and visible.mean() > 0.9 * 500.0


def test_gamma_gap_and_electron_start():
    gap = np.array([np.linalg.norm(d[:, :3], axis=1).min() for d in shoot("gamma", 300.0, 300)])
    assert gap.mean() == pytest.approx(18.0, rel=0.15)  # conversion mean free path 9/7 X0
    start = np.array([np.linalg.norm(d[:, :3], axis=1).min() for d in shoot("e", 300.0, 50)])
    assert (start <= 0.15 + 1e-9).all()  # first step's midpoint


@pytest.mark.parametrize("name, c", [("e", -0.5), ("gamma", 0.5)])
def test_shower_maximum_near_longo(name, c):
    events = shoot(name, 500.0, 60)
    depth = np.concatenate([d[:, 2] for d in events]) / 14.0  # in X0
    energy = np.concatenate([d[:, 3] for d in events])
    profile, edges = np.histogram(depth, bins=np.arange(0.0, 15.0, 0.5), weights=energy)
    t_max = edges[profile.argmax()] + 0.25
    # PDG / Longo: t_max = ln(E / E_c) + C, E_c = 32.84 MeV: 2.22 X0 (e), 3.22 X0 (gamma)
    assert t_max == pytest.approx(math.log(500.0 / 32.84) + c, abs=1.0)


def _transverse_rms(d, depth=50.0):
    """dE-weighted RMS distance (cm) from the z axis of the deposits in the first ``depth`` cm."""
    d = d[d[:, 2] <= d[:, 2].min() + depth]
    return math.sqrt(np.average(d[:, 0] ** 2 + d[:, 1] ** 2, weights=d[:, 3]))


def test_showers_wider_than_muon_tracks():
    widths = {name: np.mean([_transverse_rms(d) for d in shoot(name, 300.0, 100)]) for name in ("e", "gamma", "mu")}
    # ratios ~2.7-3.4 over seeds (100 events); 2 leaves room for the sampling spread
    assert widths["e"] > 2 * widths["mu"] and widths["gamma"] > 2 * widths["mu"]
    assert 1.0 < widths["e"] < 9.04  # of the order of the Moliere radius


def test_deposits_outside_volume_dropped():
    events = shoot("mu", 1000.0, 5, volume_cm=(-10.0, 10.0))
    for d in events:
        assert (np.abs(d[:, :3]) <= 10.0).all()
        assert d[:, 3].sum() < 100.0


# --- generate, CLI -------------------------------------------------------------------------

def test_generate_format_and_reproducible():
    coords, feats, offsets, labels = generate(3, seed=5, progress=False)
    assert coords.dtype == feats.dtype == np.float32 and coords.shape[1] == 3 and feats.shape[1] == 2
    assert offsets[0] == 0 and offsets[-1] == len(coords) and (np.diff(offsets) >= 0).all()
    np.testing.assert_array_equal(labels, np.tile(np.arange(5), 3))
    assert ((coords >= 0) & (coords <= 230.4)).all() and (feats > 0).all()
    again = generate(3, seed=5, progress=False)
    for a, b in zip((coords, feats, offsets, labels), again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(generate(3, seed=6, progress=False)[0], coords)


@pytest.mark.slow  # ~15 s: two spawned worker processes import torch and load the numba cache
def test_generate_workers_do_not_change_output():
    n = CHUNK_EVENTS + 4  # two classes: three chunks
    ranges = {"e": (50.0, 60.0), "mu": (50.0, 60.0)}
    one = generate(n, seed=3, classes=("e", "mu"), workers=1, progress=False, energy_ranges_mev=ranges)
    two = generate(n, seed=3, classes=("e", "mu"), workers=2, progress=False, energy_ranges_mev=ranges)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_cli_writes_h5(tmp_path):
    out = tmp_path / "gun.h5"
    main(["--events-per-class", "2", "--out", str(out), "--seed", "1", "--classes", "mu", "p", "--no-progress"])
    events = read_events(out)
    assert events.num_events == 4 and events.feature_names == ("dE", "dx")
    assert events.labels.tolist() == [2, 4, 2, 4]


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_per_class: expected an int >= 0"):
        generate(-1, seed=0)
    with pytest.raises(ValueError, match="classes: expected distinct names"):
        generate(1, seed=0, classes=("kaon",))
    with pytest.raises(ValueError, match="energy_ranges_mev\\['p'\\]: expected kinetic energies > 0"):
        generate(1, seed=0, energy_ranges_mev={"p": (0.0, 10.0)})
    with pytest.raises(ValueError, match="energy_ranges_mev\\['e'\\]"):
        generate(1, seed=0, energy_ranges_mev={"e": (-5.0, 10.0)})
    with pytest.raises(ValueError, match="workers: expected an int >= 1"):
        generate(1, seed=0, workers=0)
    with pytest.raises(ValueError, match="energies_mev: expected"):
        simulate_events(np.array([2]), np.array([0.0]), np.zeros((1, 3)), np.array([[0, 0, 1.0]]),
                        np.random.default_rng(0))
    with pytest.raises(ValueError, match="directions: expected"):
        simulate_events(np.array([2]), np.array([10.0]), np.zeros((1, 3)), np.array([[0, 0, 2.0]]),
                        np.random.default_rng(0))
    with pytest.raises(ValueError, match="labels: expected"):
        simulate_events(np.array([5]), np.array([10.0]), np.zeros((1, 3)), np.array([[0, 0, 1.0]]),
                        np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator"):
        simulate_events(np.array([2]), np.array([10.0]), np.zeros((1, 3)), np.array([[0, 0, 1.0]]), 0)
    with pytest.raises(ValueError, match="tracking_cut_mev: expected >= 0.5 MeV"):
        GunConfig(tracking_cut_mev=0.01)
    with pytest.raises(ValueError, match="volume_cm: expected low < high"):
        GunConfig(volume_cm=(1.0, 1.0))
    with pytest.raises(ValueError, match="mu_plus_fraction: expected a fraction"):
        GunConfig(mu_plus_fraction=1.5)
    with pytest.raises(ValueError, match="proton_interaction_length_cm"):
        GunConfig(proton_interaction_length_cm=-1.0)
    with pytest.raises(TypeError, match="straggling: expected a bool"):
        GunConfig(straggling=1)
