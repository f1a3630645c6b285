import pytest
import torch
from hypothesis import given

from augment import Events
from tests.strategies import events_strategy


def make(counts=(3, 0, 2), dims=3, channels=2):
    g = torch.Generator().manual_seed(0)
    return Events.from_list([torch.randn(n, dims, generator=g) for n in counts],
                            [torch.rand(n, channels, generator=g) for n in counts], labels=[0, 1, 2])


def test_from_list_round_trip():
    ev = make()
    assert ev.num_events == 3 and ev.num_points == 5
    assert ev.counts().tolist() == [3, 0, 2]
    assert ev.offsets().tolist() == [0, 3, 3, 5]
    parts = ev.to_list()
    assert [len(c) for c, _ in parts] == [3, 0, 2]
    assert torch.equal(torch.cat([c for c, _ in parts]), ev.coords)


@pytest.mark.parametrize("kwargs, match", [
    (dict(coords=torch.zeros(3)), "coords: expected shape"),
    (dict(feats=torch.zeros(2, 2)), "same number of points"),
    (dict(batch=torch.tensor([0, 0, 1], dtype=torch.int32)), "batch: expected int64"),
    (dict(batch=torch.tensor([1, 0, 0], dtype=torch.int64)), "non-decreasing"),
    (dict(batch=torch.tensor([0, 0, 5], dtype=torch.int64)), r"batch: expected indices in \[0, 2\)"),
    (dict(coords=torch.tensor([[0.0, 0, float("nan")]] * 3)), "coords: expected finite"),
    (dict(feats=torch.tensor([[float("inf")]] * 3)), "feats: expected finite"),
    (dict(feats=torch.zeros(3, 1, dtype=torch.int64)), "feats: expected a floating dtype"),
    (dict(num_events=-1), "num_events"),
    (dict(labels=torch.zeros(3)), "labels: expected shape"),
    (dict(feature_names=("a", "b")), "feature_names"),
])
def test_bad_input_names_argument(kwargs, match):
    base = dict(coords=torch.zeros(3, 3), feats=torch.zeros(3, 1), batch=torch.tensor([0, 0, 1]).long(),
                num_events=2)
    base.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        Events(**base)


def test_mixed_devices_rejected():
    meta = torch.zeros(3, 3, device="meta")
    with pytest.raises(ValueError, match="mixed devices"):
        Events(meta, torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), 1)


def test_padded_and_mask():
    ev = make()
    coords, feats, mask = ev.padded()
    assert coords.shape == (3, 3, 3) and feats.shape == (3, 3, 2)
    assert mask.sum(1).tolist() == [3, 0, 2]
    assert torch.equal(coords[mask], ev.coords)
    c2, _, m2 = ev.padded(max_points=2)
    assert m2.sum(1).tolist() == [2, 0, 2]
    assert torch.equal(c2[0], ev.coords[:2])


def test_voxelize_merges_duplicates_by_sum():
    coords = torch.tensor([[0.1, 0.1, 0.1], [0.2, 0.2, 0.2], [0.1, 0.1, 0.1], [1.5, 0.0, 0.0]])
    feats = torch.tensor([[1.0], [2.0], [4.0], [8.0]])
    ev = Events(coords, feats, torch.tensor([0, 0, 1, 1]), 2)
    vox = ev.voxelize(0.3)
    assert vox.coords.dtype == torch.int64
    assert vox.batch.tolist() == [0, 1, 1]
    assert vox.feats[:, 0].tolist() == [3.0, 4.0, 8.0]
    assert vox.coords.tolist() == [[0, 0, 0], [0, 0, 0], [5, 0, 0]]
    with pytest.raises(ValueError, match="pitch"):
        ev.voxelize(0.0)


@given(events_strategy())
def test_voxelize_conserves_feature_sum_per_event(ev):
    vox = ev.voxelize(7.0)
    per_event = torch.zeros(ev.num_events, 2, dtype=ev.feats.dtype).index_add_(0, ev.batch, ev.feats)
    per_event_vox = torch.zeros(ev.num_events, 2, dtype=ev.feats.dtype).index_add_(0, vox.batch, vox.feats)
    torch.testing.assert_close(per_event, per_event_vox)


@given(events_strategy())
def test_index_select_events(ev):
    idx = torch.arange(ev.num_events - 1, -1, -1)
    rev = ev.index_select_events(idx)
    assert rev.counts().tolist() == ev.counts().flip(0).tolist()
    for (c1, f1), (c2, f2) in zip(rev.to_list(), reversed(ev.to_list())):
        assert torch.equal(c1, c2) and torch.equal(f1, f2)


def test_to_keeps_batch_integer():
    ev = make().to(torch.float64)
    assert ev.coords.dtype == torch.float64 and ev.batch.dtype == torch.int64


def test_to_minkowski_without_me_names_package():
    pytest.importorskip("torch")
    try:
        import MinkowskiEngine  # noqa: F401
        pytest.skip("MinkowskiEngine installed")
    except ImportError:
        pass
    with pytest.raises(ImportError, match="MinkowskiEngine"):
        make().voxelize(1.0).to_minkowski()


def test_events_pickle_round_trip_with_attrs():
    """Events cross process boundaries (process pools, DataLoader workers): attrs included."""
    import pickle

    ev = Events(torch.rand(3, 2), torch.rand(3, 1), torch.tensor([0, 0, 1]), 2, labels=torch.tensor([1, 0]),
                feature_names=("E",), attrs={"lifetime": torch.tensor([500.0, 2200.0])})
    back = pickle.loads(pickle.dumps(ev))
    assert torch.equal(back.coords, ev.coords) and torch.equal(back.labels, ev.labels)
    assert back.feature_names == ("E",) and torch.equal(back.attrs["lifetime"], ev.attrs["lifetime"])
    with pytest.raises(TypeError):
        back.attrs["lifetime"] = torch.zeros(2)  # still read-only
