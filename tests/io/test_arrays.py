import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events, Jitter
from augment.io import from_awkward


@given(st.lists(st.integers(0, 5), min_size=1, max_size=6), st.integers(0, 2 ** 31))
def test_from_padded_inverts_padded(counts, seed):
    g = torch.Generator().manual_seed(seed)
    n = sum(counts)
    ev = Events.from_counts(torch.randn(n, 3, generator=g), torch.rand(n, 2, generator=g), torch.tensor(counts),
                            labels=torch.arange(len(counts)), feature_names=("a", "b"))
    coords, feats, mask = ev.padded()
    back = Events.from_padded(coords.numpy(), feats.numpy(), mask.numpy(), ev.labels.numpy(), ("a", "b"))
    assert torch.equal(back.coords, ev.coords) and torch.equal(back.feats, ev.feats)
    assert torch.equal(back.batch, ev.batch) and back.num_events == ev.num_events
    assert torch.equal(back.labels, ev.labels) and back.feature_names == ("a", "b")


def test_from_padded_drops_padding_anywhere_in_order():
    coords = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[False, True, True], [True, False, False]])
    ev = Events.from_padded(coords, np.ones((2, 3, 1), np.float32), mask)
    assert ev.coords.tolist() == [[2, 3], [4, 5], [6, 7]] and ev.counts().tolist() == [2, 1]


def test_numpy_events_go_through_transforms():
    ev = Events.from_counts(np.zeros((4, 3), np.float32), np.ones((4, 1), np.float32), np.array([1, 3]))
    out = Jitter(0.1)(ev, 0)
    assert out.coords.shape == (4, 3) and not torch.equal(out.coords, ev.coords)


def test_from_awkward_record_array():
    import awkward as ak

    arr = ak.Array([{"eta": [0.1, 0.2], "phi": [1.0, -1.0], "pt": [5.0, 3.0]},
                    {"eta": [], "phi": [], "pt": []},
                    {"eta": [0.5], "phi": [0.0], "pt": [7.0]}])
    ev = Events.from_awkward(arr, coords=("eta", "phi"), feats=("pt",), labels=[1, 0, 1])
    assert ev.counts().tolist() == [2, 0, 1] and ev.feature_names == ("pt",)
    torch.testing.assert_close(ev.coords, torch.tensor([[0.1, 1.0], [0.2, -1.0], [0.5, 0.0]]))
    assert ev.feats[:, 0].tolist() == [5.0, 3.0, 7.0] and ev.labels.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match=r"fields \['E'\] are not in the array"):
        from_awkward(arr, ("eta", "phi"), ("E",))


@pytest.mark.parametrize("call, match", [
    (lambda: Events.from_padded(np.zeros((2, 3, 2)), np.zeros((2, 3, 1)), np.ones((2, 3))), "mask: expected a boolean"),
    (lambda: Events.from_padded(np.zeros((2, 3, 2)), np.zeros((2, 4, 1)), np.ones((2, 3), bool)),
     "coords, feats, mask: expected"),
    (lambda: Events.from_padded(np.zeros((2, 3)), np.zeros((2, 3, 1)), np.ones((2, 3), bool)),
     "coords: expected 3 dimensions"),
    (lambda: Events.from_counts(np.zeros((3, 2)), np.zeros((3, 1)), np.array([1, 1])), "counts: expected counts summing"),
    (lambda: Events.from_counts(np.zeros((3, 2)), np.zeros((3, 1)), np.array([4, -1])), "counts: expected counts >= 0"),
    (lambda: Events.from_counts(np.zeros((3, 2)), np.zeros((3, 1)), np.array([1.5, 1.5])), "counts: expected integer"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
