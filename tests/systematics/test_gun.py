import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from augment.h5 import EventsDataset, read_events
from systematics.gun import GunConfig, bethe_dedx, csda_range_fit, generate, highland_theta0, simulate_events
from systematics.gun.__main__ import main
from systematics.gun.analysis import landau_density, longo_profile, step_directions
from systematics.gun.argon import (DENSITY, ELECTRON_MASS, MICHEL_ENDPOINT_MEV, PION, PION_DECAY_MUON_KINETIC_MEV,
                                   PROTON, RADIATION_LENGTH_CM, Z_OVER_A)
from systematics.gun.dedx import (ARGON_GAS_STERNHEIMER, density_correction, electron_dedx, electron_mass_stopping,
                                  highland_increment)
from systematics.gun.generate import CHUNK_EVENTS, generate_file
from systematics.gun.interactions import pion_threshold, sample_compton, sample_michel_kinetic, sample_pair_fraction
from systematics.gun.photons import attenuation_per_cm
from systematics.gun.straggling import sample_loss
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


# NIST ESTAR, "ARGON" (gas, I = 188 eV): kinetic energy (MeV), collision stopping power (MeV cm^2/g).
ESTAR_ARGON_GAS = [(1.0, 1.376), (1.5, 1.383), (2.0, 1.407), (3.0, 1.460), (5.0, 1.545), (10.0, 1.678), (20.0, 1.818),
                   (50.0, 1.995), (100.0, 2.105), (200.0, 2.204), (500.0, 2.315), (1000.0, 2.382)]


def test_electron_stopping_power_matches_estar():
    """The Berger-Seltzer formula with the argon-gas density effect against the ESTAR table (within 2%;
    it is within 0.1%), and with the liquid-argon density effect against the PDG critical energies of
    liquid argon (Rossi definition: S_col(E_c) X0 = E_c; E_c = 32.84 MeV e-, 31.91 MeV e+, X0 = 19.55 g/cm^2)."""
    for kinetic, estar in ESTAR_ARGON_GAS:
        ours = electron_mass_stopping(kinetic, False, 188e-6, Z_OVER_A, *ARGON_GAS_STERNHEIMER)
        assert ours == pytest.approx(estar, rel=0.02), kinetic
        assert ours == pytest.approx(estar, rel=0.002), kinetic
    assert electron_dedx(32.84, False) / DENSITY == pytest.approx(32.84 / 19.55, rel=0.002)
    assert electron_dedx(31.91, True) / DENSITY == pytest.approx(31.91 / 19.55, rel=0.002)
    # the liquid's density effect lowers the loss at high energy only
    assert electron_dedx(1.0, False) / DENSITY == pytest.approx(1.376, rel=0.02)
    assert electron_dedx(1000.0, False) / DENSITY < 0.85 * 2.382


def _pdg_landau(kinetic, mass, step):
    """(xi, most probable loss) in MeV: PDG eq. 34.12, written out independently of the gun."""
    gamma = 1 + kinetic / mass
    bg2 = gamma ** 2 - 1
    beta2 = bg2 / gamma ** 2
    xi = 0.5 * 0.307075 * Z_OVER_A * DENSITY * step / beta2
    x = math.log10(math.sqrt(bg2))  # Sternheimer delta, liquid argon (x0 = 0.2 < x < x1 = 3)
    delta = 2 * math.log(10) * x - 5.2146 + 0.19559 * (3.0 - x) ** 3.0
    mpv = xi * (math.log(2 * ELECTRON_MASS * bg2 / 188e-6) + math.log(xi / 188e-6) + 0.200 - beta2 - delta)
    return xi, mpv


def _mode_and_fwhm(values, bin_width):
    counts, edges = np.histogram(values, bins=np.arange(0.0, values.max() + bin_width, bin_width))
    smooth = np.convolve(counts, np.ones(7) / 7, mode="same")
    centres = 0.5 * (edges[1:] + edges[:-1])
    above = centres[smooth >= smooth.max() / 2]
    return centres[smooth.argmax()], above[-1] - above[0]


def test_landau_straggling_per_step():
    """1 GeV muons, 0.3 cm steps: most probable loss and FWHM (4.018 xi) within 5% of PDG/Bichsel
    (eq. 34.12: 1.61 MeV/cm, not the 2.2 MeV/cm of a Gaussian), the mean is Bethe-Bloch, and the
    tail is long (PDG: a few % of thin-layer losses far above the mean)."""
    events = shoot("mu", 1000.0, 5000, **NO_DECAYS, volume_cm=(-1.0, 30.0))  # tracked over the first 30 cm
    steps = np.concatenate([d[np.isclose(d[:, 4], 0.3)] for d in events])
    assert len(steps) > 450000  # the standard error of the mean loss is ~0.2%
    xi, mpv = _pdg_landau(1000.0 - 15.0, MASSES_MEV["mu"], 0.3)  # T at the middle of the first 30 cm
    mode, fwhm = _mode_and_fwhm(steps[:, 3], xi / 10)
    assert mode == pytest.approx(mpv, rel=0.05)
    assert fwhm == pytest.approx(4.018 * xi, rel=0.05)
    assert steps[:, 3].mean() == pytest.approx(0.3 * bethe_dedx(1000.0 - 15.0, MASSES_MEV["mu"]), rel=0.01)
    assert (steps[:, 3] / 0.3 > 5.0).mean() > 0.01
    assert np.median(steps[:, 3]) / 0.3 < 1.9


def test_reference_curves():
    loss = np.linspace(0.0, 3.0, 300001)
    density = landau_density(loss, 0.03, 0.5)
    assert loss[density.argmax()] == pytest.approx(0.5, abs=1e-4)
    above = loss[density >= density.max() / 2]
    assert above[-1] - above[0] == pytest.approx(4.018 * 0.03, rel=2e-3)  # PDG: FWHM = 4.018 xi
    depth = np.linspace(0.0, 40.0, 400001)
    profile = longo_profile(depth, 500.0, -0.5)
    assert depth[profile.argmax()] == pytest.approx(math.log(500.0 / 32.84) - 0.5, abs=1e-3)
    assert np.trapezoid(profile, depth) == pytest.approx(1.0, rel=1e-4)


def test_sample_loss_keeps_the_mean():
    rng = np.random.default_rng(4)
    for mean, xi, mpv, w_max in ((0.66, 0.029, 0.48, 50.0), (0.9, 0.05, 0.75, 2.0), (1.5, 0.2, 1.4, 0.15)):
        draws = np.array([sample_loss(mean, xi, mpv, w_max, 0.5, rng) for _ in range(40000)])
        assert draws.mean() == pytest.approx(mean, rel=0.01), (mean, xi, w_max)
    # kappa = xi / w_max >= 1: Gaussian of the Vavilov variance xi w_max (1 - beta^2 / 2)
    assert draws.std() == pytest.approx(math.sqrt(0.2 * 0.15 * 0.75), rel=0.03)
    # a step of 1e-4 cm of a 1 GeV muon: below the Landau regime, the mean loss
    assert sample_loss(2.3e-4, 1e-5, -1e-4, 100.0, 0.99, rng) == 2.3e-4


def _angles_after(events, path):
    """Plane-projected angles (x and y planes pooled) of the direction after ``path`` cm."""
    angles = []
    for d in events:
        k = int(np.argmin(np.abs(np.cumsum(d[:, 4]) - path)))
        u = step_directions(d[:k + 2], np.zeros(3))[k + 1]
        angles += [math.atan2(u[0], u[2]), math.atan2(u[1], u[2])]
    return np.array(angles)


def test_step_directions_of_a_bent_track():
    vertex = np.array([1.0, 2.0, 3.0])
    u = np.array([[0.0, 0.0, 1.0], [0.6, 0.0, 0.8], [0.6, 0.8, 0.0]])
    lengths = np.array([0.3, 0.2, 0.5])
    starts = vertex + np.concatenate([[[0.0, 0.0, 0.0]], np.cumsum(u * lengths[:, None], axis=0)[:-1]])
    deposits = np.column_stack([starts + 0.5 * u * lengths[:, None], np.ones(3), lengths])
    np.testing.assert_allclose(step_directions(deposits, vertex), u, atol=1e-12)


@pytest.mark.parametrize("path", [3.0, 14.0, 42.0, 100.0])
def test_scattering_matches_highland_for_the_whole_path(path):
    mass, kinetic = MASSES_MEV["mu"], 10000.0  # the momentum hardly changes over 1 m
    events = shoot("mu", kinetic, 1500, seed=int(path), straggling=False, **NO_DECAYS)
    rms = np.sqrt(np.mean(_angles_after(events, path) ** 2))
    assert rms == pytest.approx(highland_theta0(kinetic - 1.1 * path, mass, path), rel=0.05)


@given(st.lists(st.floats(0.01, 5.0), min_size=1, max_size=30), st.floats(5.0, 5000.0))
def test_highland_increments_do_not_depend_on_the_steps(steps, kinetic):
    """At constant momentum the kicks add up to Highland for the whole path, however it is cut."""
    mass = MASSES_MEV["mu"]
    paths = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    total = math.sqrt(sum(highland_increment(kinetic, mass, p, s) ** 2 for p, s in zip(paths, steps)))
    assert total == pytest.approx(highland_theta0(kinetic, mass, float(np.sum(steps))), rel=1e-9)


def test_highland_increments_add_up():
    mass, kinetic = MASSES_MEV["p"], 300.0
    steps = np.full(200, 0.3)
    paths = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    total = sum(highland_increment(kinetic, mass, p, s) ** 2 for p, s in zip(paths, steps))
    assert math.sqrt(total) == pytest.approx(highland_theta0(kinetic, mass, 60.0), rel=1e-9)
    per_step = math.sqrt(200) * highland_theta0(kinetic, mass, 0.3)  # the old model: 0.8 of Highland
    assert per_step < 0.85 * highland_theta0(kinetic, mass, 60.0)


def test_xcom_attenuation_hand_values():
    # XCOM argon, barn/atom at 1000 MeV: Compton 0.02103, pair (nuclear + electron) 2.323 + 0.1440;
    # 1 barn/atom = 1e-24 * 6.02214e23 / 39.948 * 1.396 = 0.021045 /cm in liquid argon
    mu = attenuation_per_cm(np.array([50.0, 100.0, 1000.0, 1e5]))
    assert mu["pair"][2] == pytest.approx((2.323 + 0.1440) * 0.021045, rel=1e-3)
    assert mu["compton"][2] == pytest.approx(0.02103 * 0.021045, rel=1e-3)
    assert (np.diff(mu["pair"]) > 0).all()  # rising ...
    assert 1 / mu["pair"][3] == pytest.approx(9 / 7 * RADIATION_LENGTH_CM, rel=0.02)  # ... to 9/7 X0
    assert mu["compton"][0] / mu["total"][0] > 0.08  # Compton matters at 50 MeV (14%), not at 1 GeV (0.8%)
    assert mu["compton"][2] / mu["total"][2] < 0.01
    with pytest.raises(ValueError, match="energy_mev: expected photon energies"):
        attenuation_per_cm(0.5)


@pytest.mark.parametrize("energy", [1.0, 10.0])
def test_compton_sampler_matches_klein_nishina(energy):
    from scipy import integrate

    k = energy / ELECTRON_MASS
    eps0 = 1 / (1 + 2 * k)

    def density(eps):  # Klein-Nishina in eps = E'/E (up to a constant)
        cos_t = 1 - (1 - eps) / (k * eps)
        return (1 / eps + eps) * (1 - eps * (1 - cos_t ** 2) / (1 + eps ** 2))

    norm = integrate.quad(density, eps0, 1)[0]
    expected = integrate.quad(lambda e: e * density(e), eps0, 1)[0] / norm
    rng = np.random.default_rng(0)
    draws = np.array([sample_compton(energy, rng) for _ in range(20000)])
    assert (draws[:, 0] / energy).mean() == pytest.approx(expected, rel=0.01)
    np.testing.assert_allclose(draws[:, 1], 1 - (energy / draws[:, 0] - 1) / k, atol=1e-9)


@pytest.mark.parametrize("energy", [100.0, 1000.0])
def test_conversion_distance_follows_xcom(energy):
    """Without bremsstrahlung (no back-scattered photons) the most upstream deposit lies half a step
    behind the first interaction, on average the XCOM mean free path: 23.3 cm at 100 MeV, 19.1 cm at
    1 GeV (it was 18 cm at every energy)."""
    events = shoot("gamma", energy, 2000, seed=int(energy), brems_cut_mev=1e5)
    first = np.array([d[:, 2].min() for d in events])
    assert first.mean() == pytest.approx(1 / attenuation_per_cm(energy)["total"] + 0.15, rel=0.05)


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
    # energy-loss straggling alone: ~1% (PDG quotes ~1.2% range straggling for protons)
    assert 0.005 < path.std() / path.mean() < 0.02
    assert path.mean() == pytest.approx(csda_range_fit("p", 200.0), rel=0.02)


def _dedx_first_20cm(d):
    first = np.cumsum(d[:, 4]) <= 20.0
    return d[first, 3].sum() / d[first, 4].sum()


def test_mip_muon_dedx_first_20cm():
    mean_loss = _dedx_first_20cm(shoot("mu", 1000.0, 1, **NO_DECAYS, straggling=False)[0])
    assert mean_loss == pytest.approx(2.1, rel=0.10)
    # Landau-Vavilov straggling fluctuates around the mean loss without shifting it
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
    assert gap.mean() > 15.0  # photons start displaced (XCOM: 20.5 cm at 300 MeV; backsplash makes it shorter)
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
    n = CHUNK_EVENTS + 4  # two classes: three chunks; photons escaping the 40 cm cube are drawn again
    ranges = {"gamma": (50.0, 60.0), "mu": (50.0, 60.0)}
    config = GunConfig(volume_cm=(0.0, 40.0))
    one = generate(n, seed=3, classes=("gamma", "mu"), workers=1, progress=False, energy_ranges_mev=ranges, config=config)
    two = generate(n, seed=3, classes=("gamma", "mu"), workers=2, progress=False, energy_ranges_mev=ranges, config=config)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_empty_events_resampled_or_reported(tmp_path):
    """Photons in a 20 cm cube often leave before interacting (mean free path ~20 cm): by default such
    draws are replaced (the fraction is stored in the file); kept on request, and then counted."""
    config = GunConfig(volume_cm=(0.0, 20.0))
    kept = generate(40, seed=2, classes=("gamma",), progress=False, config=config, resample_empty=False)
    n_empty = int((np.diff(kept[2]) == 0).sum())
    assert n_empty > 0
    _, n, _, fraction = generate_file(tmp_path / "kept.h5", 40, 2, classes=("gamma",), progress=False, config=config,
                                      resample_empty=False)
    assert fraction == pytest.approx(n_empty / n)
    resampled = generate(40, seed=2, classes=("gamma",), progress=False, config=config)
    assert (np.diff(resampled[2]) > 0).all()
    path, n, _, fraction = generate_file(tmp_path / "resampled.h5", 40, 2, classes=("gamma",), progress=False,
                                         config=config)
    written = EventsDataset(path)
    assert written.settings["resample_empty"] and written.settings["empty_fraction"] == fraction
    draws = written.settings["empty_draws"]
    assert draws >= n_empty and fraction == pytest.approx(draws / (n + draws))
    np.testing.assert_array_equal(read_events(path).offsets().numpy(), resampled[2])  # no empty event written
    with pytest.raises(TypeError, match="resample_empty: expected a bool"):
        generate(1, seed=0, resample_empty=1)


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
    with pytest.raises(ValueError, match="photon_cut_mev: expected >= 1 MeV"):
        GunConfig(photon_cut_mev=0.5)
