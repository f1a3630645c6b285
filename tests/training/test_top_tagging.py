"""Top-tagging generator: jet finding units (hand-made events) and a small generated sample."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

ak = pytest.importorskip("awkward")
pytest.importorskip("fastjet")
pytest.importorskip("pythia8mc")

from augment.h5 import EventsDataset, read_events  # noqa: E402
from training.datasets._jet_finding import leading_jets, sorted_constituents, top_matched  # noqa: E402
from training.datasets._pythia import chunk_seed, pythia_settings  # noqa: E402
from training.datasets.top_tagging import (TopTaggingConfig, _chunks, generate_top_tagging,  # noqa: E402
                                           load_jets)

N_JETS = 150
CONFIG = TopTaggingConfig(events_per_chunk=250)  # several chunks per class


# ------------------------------------------------------------------ hand-made events
def massless(pt, eta, phi):
    """(px, py, pz, E) in GeV of a massless particle."""
    return dict(px=pt * np.cos(phi), py=pt * np.sin(phi), pz=pt * np.sinh(eta), e=pt * np.cosh(eta))


def top_event(sign=1, quark_etas=(0.1, -0.1, 0.2), top_eta=0.0):
    """Event record of t -> W b, W -> q q' as Pythia writes it (status codes, mother1)."""
    rows = [  # id, status, mother1, (pt, eta, phi)
        (90, -11, 0, (0.0, 0.0, 0.0)),
        (6 * sign, -62, 0, (600.0, top_eta, 1.0)),
        (5 * sign, -23, 1, (200.0, quark_etas[0], 1.05)),
        (24 * sign, -22, 1, (400.0, 0.0, 0.95)),
        (24 * sign, -52, 3, (400.0, 0.0, 0.95)),
        (2 * sign, -23, 4, (200.0, quark_etas[1], 0.9)),
        (-1 * sign, -23, 4, (200.0, quark_etas[2], 1.0)),
        (21, -23, 0, (600.0, 0.0, 1.0 - np.pi)),  # recoiling parton, never a decay quark
    ]
    p = [massless(*k) for _, _, _, k in rows]
    return {"id": [r[0] for r in rows], "status": [r[1] for r in rows], "mother1": [r[2] for r in rows],
            "p": [{k: float(v) for k, v in q.items()} for q in p]}


def test_top_matched_hand_made_events():
    prt = ak.Array([top_event(1), top_event(-1), top_event(1, quark_etas=(0.1, -0.1, 0.9)),
                    top_event(1), top_event(1, top_eta=0.85)])
    eta = np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    phi = np.array([1.0, 1.0, 1.0, 1.0 - np.pi, 1.0])  # event 3: jet on the recoiling parton
    assert top_matched(prt, eta, phi, 0.8).tolist() == [True, True, False, False, False]
    # a NaN axis (no jet) is never matched
    assert not top_matched(prt[:1], np.array([np.nan]), np.array([np.nan]), 0.8)[0]


def test_leading_jet_and_sorted_constituents():
    # event 0: a hard pair at (0, 0) (pT 300 + 100) and a 250 GeV particle far away;
    # event 1: only soft particles, no jet above pt_min
    ev = [[massless(100.0, 0.0, 0.0), massless(250.0, 1.5, 2.5), massless(300.0, 0.1, 0.05)],
          [massless(5.0, 0.0, 0.0), massless(3.0, 1.0, 1.0)]]
    particles = ak.zip({name: ak.Array([[q[key] for q in e] for e in ev])  # Pythia's "e" is FastJet's "E"
                        for name, key in (("px", "px"), ("py", "py"), ("pz", "pz"), ("E", "e"))},
                       with_name="Momentum4D")
    pt, eta, phi, index = leading_jets(particles, 0.8, 50.0)
    assert pt[0] == pytest.approx(np.hypot(300 * np.cos(0.05) + 100, 300 * np.sin(0.05)), rel=1e-9)
    assert 0.0 < eta[0] < 0.1 and 0.0 < phi[0] < 0.05
    assert pt[1] == 0.0 and np.isnan(eta[1]) and index[1] is None
    counts, flat = sorted_constituents(particles[:1], index[:1], 200)
    assert counts.tolist() == [2] and flat[:, 0] == pytest.approx([300.0, 100.0])
    counts, flat = sorted_constituents(particles[:1], index[:1], 1)
    assert counts.tolist() == [1] and flat[:, 0] == pytest.approx([300.0])
    assert flat[0, 1:] == pytest.approx([0.1, 0.05])


# ------------------------------------------------------------------ settings and seeds
def test_pythia_settings_record_the_physics():
    top, qcd = pythia_settings("top", 7, CONFIG), pythia_settings("qcd", 7, CONFIG)
    for line in ("Beams:eCM = 14000", "24:onMode = off", "24:onIfAny = 1 2 3 4 5", "Top:gg2ttbar = on",
                 "PartonLevel:MPI = on", "HadronLevel:all = on", "Print:quiet = on", "Random:seed = 7"):
        assert line in top
    assert "HardQCD:all = on" in qcd and not any(s.startswith("Top:") or s.startswith("24:") for s in qcd)
    assert "PartonLevel:MPI = off" in pythia_settings("qcd", 7, TopTaggingConfig(mpi=False))


def test_chunk_seeds_independent_and_in_pythia_range():
    seeds = {chunk_seed(s, p, c) for s in (0, 1) for p in ("qcd", "top") for c in range(50)}
    assert len(seeds) == 200 and all(1 <= s <= 900_000_000 for s in seeds)
    assert chunk_seed(3, "top", 5) == chunk_seed(3, "top", 5)


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("kwargs, match", [
    (dict(pt_range=(650.0, 550.0)), "pt_range"), (dict(pt_range=(600.0, 600.0)), "pt_range"),
    (dict(pthat_range=(-1.0, 700.0)), "pthat_range"), (dict(radius=0.0), "radius"), (dict(radius=-0.4), "radius"),
    (dict(eta_max=float("nan")), "eta_max"), (dict(max_constituents=0), "max_constituents"),
    (dict(events_per_chunk=2.5), "events_per_chunk"),
])
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=f"^{match}: expected"):
        TopTaggingConfig(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(processes=("top", "wz")), "process"), (dict(processes=()), "processes"),
    (dict(processes=("top", "top")), "processes"), (dict(n_jets=0), "n_jets"), (dict(workers=0), "workers"),
    (dict(seed=-1), "seed"),
])
def test_bad_generate_arguments(tmp_path, kwargs, match):
    kwargs = {"n_jets": 10, **kwargs}
    with pytest.raises(ValueError, match=f"^{match}: expected"):
        generate_top_tagging(tmp_path / "x.h5", progress=False, **kwargs)
    assert not (tmp_path / "x.h5").exists()
    with pytest.raises(ValueError, match="^process: expected one of"):
        pythia_settings("ttbar", 1, CONFIG)


def test_unreachable_selection_stops_with_error(tmp_path, monkeypatch):
    import training.datasets.top_tagging as tt

    monkeypatch.setattr(tt, "_MAX_EMPTY_CHUNKS", 2)
    config = TopTaggingConfig(pt_range=(5000.0, 6000.0), events_per_chunk=3)
    with pytest.raises(RuntimeError, match="no qcd jet passed the selection in 2 chunks"):
        generate_top_tagging(tmp_path / "x.h5", 5, config=config, processes=("qcd",), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_command_line_reports_bad_window(tmp_path, capsys):
    from training.datasets.top_tagging import main

    with pytest.raises(SystemExit):
        main([str(tmp_path / "x.h5"), "--pt-range", "650", "550"])
    assert "pt_range: expected a non-empty window" in capsys.readouterr().err


def test_load_jets_bad_n_constituents(tmp_path):
    with pytest.raises(ValueError, match="^n_constituents: expected"):
        load_jets(tmp_path / "missing.h5", n_constituents=0)


# ------------------------------------------------------------------ generated sample
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("jets") / "top_tagging.h5"
    return generate_top_tagging(path, N_JETS, seed=11, config=CONFIG, progress=False)


def jet_arrays(path):
    ev = read_events(path)
    pt, eta, phi = ev.feats[:, 0].double(), ev.coords[:, 0].double(), ev.coords[:, 1].double()
    p4 = torch.stack([pt * torch.cosh(eta), pt * torch.cos(phi), pt * torch.sin(phi), pt * torch.sinh(eta)], 1)
    jet = torch.zeros(ev.num_events, 4, dtype=torch.float64).index_add_(0, ev.batch, p4)
    jet_pt = torch.hypot(jet[:, 1], jet[:, 2])
    jet_eta = torch.asinh(jet[:, 3] / jet_pt)
    mass = (jet[:, 0] ** 2 - (jet[:, 1:] ** 2).sum(1)).clamp_min(0).sqrt()
    return ev, jet_pt, jet_eta, mass


@pytest.mark.slow
def test_file_layout_and_settings(sample):
    ds = EventsDataset(sample)
    assert len(ds) == 2 * N_JETS and ds.all_events().labels.tolist() == [0] * N_JETS + [1] * N_JETS
    assert ds.label_names == ["QCD", "top"] and ds.coord_names == ["eta", "phi"] and ds.feature_names == ["pT"]
    assert ds.feature_units == ["GeV"] and ds.coord_units == ["", "rad"]
    s = ds.settings
    assert s["seed"] == 11 and s["n_jets_per_process"] == N_JETS and s["config"]["pt_range"] == [550.0, 650.0]
    assert "24:onIfAny = 1 2 3 4 5" in s["pythia_settings"]["top"] and s["stats"]["top"]["events"] > 0
    assert any(line.startswith("Random:seed = per chunk") for line in s["pythia_settings"]["qcd"])
    assert json.loads(json.dumps(s)) == s


@pytest.mark.slow
def test_jet_cuts_counts_and_sorting(sample):
    ev, jet_pt, jet_eta, _ = jet_arrays(sample)
    # massless constituents: the jet pT from (pT, eta, phi) equals FastJet's E-scheme pT up to float32
    assert (jet_pt >= 550.0 - 0.1).all() and (jet_pt < 650.0 + 0.1).all()
    assert (jet_eta.abs() < 2.0 + 1e-3).all()
    counts = ev.counts()
    assert (counts >= 1).all() and (counts <= 200).all()
    pt = ev.feats[:, 0]
    same_jet = ev.batch[1:] == ev.batch[:-1]
    assert (pt[1:][same_jet] <= pt[:-1][same_jet]).all() and (pt > 0).all()
    assert (ev.coords[:, 1].abs() <= np.pi + 1e-6).all()


@pytest.mark.slow
def test_jet_mass_separates_top_from_qcd(sample):
    ev, _, _, mass = jet_arrays(sample)
    top, qcd = mass[ev.labels == 1].median().item(), mass[ev.labels == 0].median().item()
    assert 150.0 < top < 200.0, top
    assert qcd < 120.0, qcd


@pytest.mark.slow
def test_same_seed_same_jets(sample, tmp_path):
    """A smaller run with the same seed and config is a prefix of the sample: chunk order, not
    run length or timing, fixes the output."""
    small = generate_top_tagging(tmp_path / "small.h5", 40, seed=11, config=CONFIG, progress=False)
    a, b = read_events(sample), read_events(small)
    for label in (0, 1):
        ja = a.index_select_events(torch.nonzero(a.labels == label)[:40, 0])
        jb = b.index_select_events(torch.nonzero(b.labels == label)[:, 0])
        assert torch.equal(ja.counts(), jb.counts())
        assert torch.equal(ja.coords, jb.coords) and torch.equal(ja.feats, jb.feats)


@pytest.mark.slow
def test_parallel_chunks_come_back_in_order():
    config = TopTaggingConfig(events_per_chunk=30)
    serial = [c for _, c in zip(range(3), _chunks("qcd", 5, config, None, 1))]
    with ThreadPoolExecutor(2) as pool:
        parallel = [c for _, c in zip(range(3), _chunks("qcd", 5, config, pool, 2))]
    for s, p in zip(serial, parallel):
        assert s.n_events == p.n_events == 30
        np.testing.assert_array_equal(s.constituents, p.constituents)
    assert not np.array_equal(serial[0].pthat, serial[1].pthat)


@pytest.mark.slow
def test_load_jets_raw_keeps_hardest(sample):
    raw = read_events(sample)
    cut = load_jets(sample, n_constituents=10, preprocess=False)
    assert torch.equal(cut.counts(), raw.counts().clamp_max(10))
    assert cut.feature_names == ("pT",) and torch.equal(cut.labels, raw.labels)
    first = raw.offsets()[:-1]
    assert torch.equal(cut.feats[cut.offsets()[:-1]], raw.feats[first])  # hardest constituent kept
    assert load_jets(sample, n_constituents=None, preprocess=False).num_points == raw.num_points


@pytest.mark.slow
def test_load_jets_preprocessed(sample):
    pytest.importorskip("augment.jets", reason="preprocess_jets comes with the jets branch")
    assert (load_jets(sample, n_constituents=30).counts() <= 30).all()
    ev = load_jets(sample, n_constituents=200)  # all constituents: the centroid is the axis
    assert ev.feature_names[0] == "pT"
    pt = ev.feats[:, 0].double()
    centroid = torch.zeros(ev.num_events, 2, dtype=torch.float64).index_add_(
        0, ev.batch, pt[:, None] * ev.coords.double())
    centroid /= torch.zeros(ev.num_events, dtype=torch.float64).index_add_(0, ev.batch, pt)[:, None]
    assert centroid.abs().max() < 0.05
