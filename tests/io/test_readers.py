import math

import h5py
import numpy as np
import pytest
import torch

from augment.io import detect_format, open_source, read, write_events
from augment.io.jetclass import LABEL_NAMES as JETCLASS_LABELS
from tests.io.writers import jets, pilarnet_events, write_jetclass, write_pilarnet, write_top_tagging


def expected_jets(constituents):
    coords = np.concatenate([np.stack([eta, phi], 1) for _, eta, phi in constituents])
    pt = np.concatenate([pt for pt, _, _ in constituents])
    return torch.tensor(coords, dtype=torch.float32), torch.tensor(pt, dtype=torch.float32)


def write_ragged(path, offsets=(0, 3, 3, 5), labels=(0, 1, 0)):
    return write_events(path, np.arange(15.0).reshape(5, 3), np.ones((5, 2)), np.array(offsets), np.array(labels),
                        coord_names=["x", "y", "z"], coord_units=["cm"] * 3, feature_names=["dE", "dx"],
                        feature_units=["MeV", "cm"], label_names=["e", "mu"], settings={"seed": 1})


@pytest.mark.parametrize("layout", ["fixed", "table"])
def test_top_tagging_both_pandas_layouts(tmp_path, layout):
    constituents = jets(7, 5, seed=1)
    labels = [0, 1, 1, 0, 1, 0, 0]
    path = write_top_tagging(tmp_path / "train.h5", constituents, labels, layout)
    assert detect_format(path) == "top-tagging"
    ev = read(path)
    coords, pt = expected_jets(constituents)
    assert ev.num_events == 7 and ev.counts().tolist() == [len(c[0]) for c in constituents]
    torch.testing.assert_close(ev.coords, coords, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ev.feats[:, 0], pt, atol=1e-4, rtol=1e-6)
    assert ev.labels.tolist() == labels and ev.feature_names == ("pT", "E")
    part = read(path, start=2, stop=5)
    whole = ev.index_select_events(torch.arange(2, 5))
    assert torch.equal(part.coords, whole.coords) and torch.equal(part.batch, whole.batch)
    assert part.labels.tolist() == labels[2:5]


def test_top_tagging_phi_wraps_into_minus_pi_pi(tmp_path):
    # phi = pi exactly (py = 0, px < 0): atan2 gives +pi, the convention is [-pi, pi).
    constituents = [(np.array([10.0, 5.0]), np.array([0.5, -1.0]), np.array([math.pi, -0.5]))]
    ev = read(write_top_tagging(tmp_path / "t.h5", constituents, [1], "fixed"))
    phi = ev.coords[:, 1]
    assert bool((phi >= -math.pi).all() and (phi < math.pi).all())
    assert float(phi[0]) == pytest.approx(-math.pi)


def test_jetclass_from_uproot(tmp_path):
    constituents = jets(12, 6, seed=2)
    labels = np.arange(12) % 10
    path = write_jetclass(tmp_path / "HToBB_000.root", constituents, labels)
    assert detect_format(path) == "jetclass"
    ev = read(path)
    coords, pt = expected_jets(constituents)
    torch.testing.assert_close(ev.coords, coords, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ev.feats[:, 0], pt, atol=1e-4, rtol=1e-6)
    assert ev.labels.tolist() == labels.tolist()
    assert open_source(path).info.label_names == JETCLASS_LABELS[:10] == \
        ["QCD", "Hbb", "Hcc", "Hgg", "H4q", "Hqql", "Zqq", "Wqq", "Tbqq", "Tbl"]
    part = read(path, start=3, stop=9)
    assert part.counts().tolist() == ev.counts()[3:9].tolist() and part.labels.tolist() == labels[3:9].tolist()


def test_jetclass_rejects_labels_that_are_not_one_hot(tmp_path):
    import uproot

    constituents = jets(2, 3, seed=3)
    path = write_jetclass(tmp_path / "j.root", constituents, [0, 1])
    with uproot.open(path) as f:
        branches = f["tree"].arrays(library="ak")
    with uproot.recreate(path) as f:
        f["tree"] = {k: branches[k] if k != "label_Hbb" else np.ones(2, np.float32) for k in branches.fields
                     if not k.startswith("n")}
    with pytest.raises(ValueError, match=r"j\.root: expected one-hot label_\* branches, entry 0"):
        read(path)


@pytest.mark.parametrize("cluster_columns", [6, 5])
def test_pilarnet_variable_length_layout(tmp_path, cluster_columns):
    events = pilarnet_events(6, seed=4, cluster_columns=cluster_columns)
    path = write_pilarnet(tmp_path / "generic_v2_train.h5", events)
    assert detect_format(path) == "pilarnet"
    ev = read(path)
    assert ev.labels is None and ev.feature_names == ("E", "semantic")
    assert ev.counts().tolist() == [len(p) for p, _ in events]
    points = np.concatenate([p for p, _ in events])
    semantic = np.concatenate([np.repeat(c[:, 4], c[:, 0]) for _, c in events])
    torch.testing.assert_close(ev.coords, torch.from_numpy(points[:, :3]))
    torch.testing.assert_close(ev.feats[:, 0], torch.from_numpy(points[:, 3]))
    assert ev.feats[:, 1].long().tolist() == semantic.tolist()
    assert read(path, start=4).counts().tolist() == [len(p) for p, _ in events[4:]]


def test_pilarnet_cluster_sizes_must_match_points(tmp_path):
    events = pilarnet_events(3, seed=5)
    events[2][1][0, 0] += 1  # event 2: one point more in its clusters than in its points
    path = write_pilarnet(tmp_path / "bad.h5", events)
    with pytest.raises(ValueError, match=r"bad\.h5: event 2 has \d+ points but cluster sizes summing to"):
        read(path)
    assert read(path, stop=2).num_events == 2


def test_ragged_round_trip_and_slices(tmp_path):
    path = write_ragged(tmp_path / "r.h5")
    assert detect_format(path) == "hep-augment"
    ev = read(path, start=1)
    assert ev.counts().tolist() == [0, 2] and ev.labels.tolist() == [1, 0]
    assert ev.coords.tolist() == [[9.0, 10.0, 11.0], [12.0, 13.0, 14.0]]


def test_truncated_last_offset_raises_naming_the_file(tmp_path):
    # Regression: a last offset short of the points table silently dropped its points.
    path = write_ragged(tmp_path / "trunc.h5")
    with h5py.File(path, "r+") as f:
        f["offsets"][-1] = 3
    with pytest.raises(ValueError, match=r"trunc\.h5: /offsets: expected offsets from 0 to the 5 rows"):
        read(path)


def test_decreasing_offsets_raise_naming_the_event(tmp_path):
    # Regression: decreasing offsets failed with torch's "repeats can not be negative".
    path = write_ragged(tmp_path / "dec.h5")
    with h5py.File(path, "r+") as f:
        f["offsets"][1:3] = [4, 2]
    with pytest.raises(ValueError, match=r"dec\.h5: /offsets: expected non-decreasing offsets, event 1"):
        read(path)


def test_unknown_content_raises_naming_the_file(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not data")
    with pytest.raises(ValueError, match=r"cannot tell the format of .*notes\.h5.*pass format="):
        read(text)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"cannot tell the format of .*other\.h5"):
        read(tmp_path / "other.h5")
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        read(tmp_path / "missing.h5")


def test_wrong_kind_of_file_names_file_and_expected_format(tmp_path):
    root = write_jetclass(tmp_path / "j.root", jets(2, 2, seed=6), [0, 1])
    ragged = write_ragged(tmp_path / "r.h5")
    for path, fmt, expected in ((root, "pilarnet", "PILArNet-M"), (root, "top-tagging", "top-tagging"),
                                (ragged, "jetclass", "JetClass"), (root, "hep-augment", "hep-augment-ragged/1"),
                                (ragged, "pilarnet", "PILArNet-M")):
        with pytest.raises(ValueError, match=rf"{path.name} is not a {expected} file \(expected"):
            read(path, format=fmt)
    with pytest.raises(ValueError, match="format: expected one of"):
        read(ragged, format="csv")


def test_start_stop_are_checked(tmp_path):
    path = write_ragged(tmp_path / "r.h5")
    with pytest.raises(ValueError, match=r"start, stop: expected 0 <= start <= stop <= 3 \(events in .*r\.h5\)"):
        read(path, start=2, stop=5)
    with pytest.raises(TypeError, match="start: expected an int"):
        read(path, start=1.0)
