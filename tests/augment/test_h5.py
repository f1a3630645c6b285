import numpy as np
import pytest
import torch

from augment.h5 import EventsDataset, collate_events, read_events, write_events


def write(path, **over):
    kw = dict(coords=np.random.default_rng(0).normal(size=(5, 3)), feats=np.ones((5, 2)),
              offsets=np.array([0, 3, 3, 5]), labels=np.array([0, 1, 0]),
              coord_names=["x", "y", "z"], coord_units=["cm"] * 3, feature_names=["dE", "dx"],
              feature_units=["MeV", "cm"], label_names=["e", "mu"], settings={"seed": 1})
    kw.update(over)
    return write_events(path, **kw)


def test_round_trip(tmp_path):
    p = write(tmp_path / "a.h5")
    ds = EventsDataset(p)
    assert len(ds) == 3 and ds.label_names == ["e", "mu"] and ds.settings == {"seed": 1}
    assert ds.feature_units == ["MeV", "cm"]
    c, f, y = ds[1]
    assert c.shape == (0, 3) and y == 1
    ev = read_events(p)
    assert ev.counts().tolist() == [3, 0, 2] and ev.labels.tolist() == [0, 1, 0]
    assert ev.feature_names == ("dE", "dx")
    batch = collate_events([ds[0], ds[2]])
    assert batch.num_events == 2 and batch.num_points == 5
    loader = torch.utils.data.DataLoader(ds, batch_size=2, collate_fn=ds.collate)
    assert [b.num_events for b in loader] == [2, 1]


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    import h5py

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(h5py.File, "create_dataset", boom)
    with pytest.raises(KeyboardInterrupt):
        write(tmp_path / "b.h5")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_previous_file(tmp_path, monkeypatch):
    p = write(tmp_path / "c.h5")
    import h5py
    monkeypatch.setattr(h5py.File, "create_dataset", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk")))
    with pytest.raises(RuntimeError):
        write(p, labels=np.array([1, 1, 1]))
    monkeypatch.undo()
    assert read_events(p).labels.tolist() == [0, 1, 0]
    assert [x.name for x in tmp_path.iterdir()] == ["c.h5"]


@pytest.mark.parametrize("over, match", [
    (dict(offsets=np.array([0, 3, 5])), "offsets"),
    (dict(labels=np.array([0, 1, 5])), "labels"),
    (dict(feats=np.full((5, 2), np.nan)), "feats: expected finite"),
    (dict(coord_names=["x"]), "coord_names"),
])
def test_bad_input(tmp_path, over, match):
    with pytest.raises(ValueError, match=match):
        write(tmp_path / "d.h5", **over)
    assert list(tmp_path.iterdir()) == []
