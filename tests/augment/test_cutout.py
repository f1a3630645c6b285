import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Cutout, Events
from augment import functional as F
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy

CUTOUTS = [Cutout(30.0, p=0.7), Cutout((10.0, 80.0), shape="sphere"), Cutout([20.0, (5.0, 50.0), 90.0])]


@pytest.mark.parametrize("t", CUTOUTS, ids=repr)
@given(ev=events_strategy())
def test_contract(t, ev):
    check_transform(t, ev)


def region(t: Cutout, ev: Events, params) -> torch.Tensor:
    """Reference membership test, written out per point."""
    d = ev.coords - params["centre"][ev.batch]
    if t.shape == "sphere":
        return (d ** 2).sum(1).sqrt() < params["size"][ev.batch]
    return (d.abs() < params["size"][ev.batch]).all(1)


@given(events_strategy(max_points=30), st.sampled_from(CUTOUTS[1:]), st.integers(0, 100))
def test_removes_inside_keeps_outside_never_empties(ev, t, seed):
    out, params = t.sample_apply(ev, seed)
    low, high = (torch.tensor(v, dtype=ev.coords.dtype) for v in zip(*t.size))
    assert (params["size"] >= low).all() and (params["size"] <= high).all()
    counts_in, counts_out = ev.counts(), out.counts()
    assert ((counts_out > 0) == (counts_in > 0)).all()
    inside = region(t, ev, params)
    emptied = torch.zeros(ev.num_events, dtype=torch.long).index_add_(0, ev.batch, (~inside).long()) == 0
    expected_keep = ~inside | emptied[ev.batch]  # events the region would empty stay whole
    assert torch.equal(out.coords, ev.coords[expected_keep])
    assert torch.equal(out.feats, ev.feats[expected_keep])
    # The centre is a point of its event, so a non-empty region removes at least that point.
    cut = (counts_out < counts_in) | emptied
    assert cut[(counts_in > 0)].all()


def test_kernels_hand_values():
    coords = torch.tensor([[0.0, 0.0], [1.5, 0.0], [0.5, 0.9], [3.0, 3.0]])
    batch = torch.tensor([0, 0, 0, 1])
    centres = torch.tensor([[0.0, 0.0], [3.0, 2.0]])
    box = F.inside_box(coords, batch, centres, torch.tensor([[1.0, 1.0], [0.5, 1.0]]))
    assert box.tolist() == [True, False, True, False]  # last: |dy| = 1 is on the surface
    ball = F.inside_sphere(coords, batch, centres, torch.tensor([1.0, 1.5]))
    assert ball.tolist() == [True, False, False, True]  # |(0.5, 0.9)| = 1.03


def test_whole_event_in_region_kept():
    ev = Events.from_list([torch.zeros(3, 3), torch.tensor([[0.0, 0, 0], [10.0, 0, 0]])],
                          [torch.ones(3, 1), torch.ones(2, 1)])
    out = Cutout(1.0)(ev, 0)
    assert out.counts().tolist() == [3, 1]


def test_p0_and_empty_events():
    ev = Events.from_list([torch.zeros(0, 3), torch.randn(4, 3)], [torch.zeros(0, 1), torch.ones(4, 1)])
    assert_events_equal(Cutout(5.0, p=0.0)(ev, 0), ev)
    params = Cutout(5.0).sample(ev, 0)
    assert torch.equal(params["centre"][0], torch.zeros(3))


def test_bad_arguments():
    with pytest.raises(ValueError, match="size: expected a number or"):
        Cutout(-1.0)
    with pytest.raises(ValueError, match="size: expected finite 0.0 <= low <= high"):
        Cutout((3.0, 1.0))
    with pytest.raises(ValueError, match="shape: expected one of"):
        Cutout(1.0, shape="cube")
    with pytest.raises(ValueError, match="size: a sphere takes one radius"):
        Cutout([1.0, 2.0, 3.0], shape="sphere")
    with pytest.raises(ValueError, match=r"size\[1\]: expected"):
        Cutout([1.0, -2.0, 3.0])
    ev = Events(torch.zeros(2, 2), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match="size: expected one value or range, or D = 2"):
        Cutout([1.0, 2.0, 3.0])(ev)
