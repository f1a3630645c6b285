import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events, Params, VoxelDrop
from augment import functional as F
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy


@pytest.mark.parametrize("t", [VoxelDrop(0.3, p=0.7), VoxelDrop((0.5, 0.99))], ids=repr)
@given(ev=events_strategy())
def test_contract(t, ev):
    check_transform(t, ev)


@given(events_strategy(max_events=20, max_points=5), st.integers(0, 100))
def test_never_empties(ev, seed):
    out, params = VoxelDrop(0.999).sample_apply(ev, seed)
    assert torch.equal(out.counts() > 0, ev.counts() > 0)
    assert torch.equal(out.coords, ev.coords[params["point_keep"]])


def test_fraction_on_big_event():
    ev = Events.from_list([torch.randn(20000, 3)], [torch.ones(20000, 1)])
    out = VoxelDrop(0.3)(ev, 0)
    assert abs(out.num_points / 20000 - 0.7) < 0.015  # sd of the kept fraction: 0.0032


def test_range_drawn_per_event():
    ev = Events.from_list([torch.randn(2000, 3)] * 50, [torch.ones(2000, 1)] * 50)
    fraction = VoxelDrop((0.1, 0.9))(ev, 1).counts() / 2000
    assert fraction.min() < 0.3 and fraction.max() > 0.7 and (fraction > 0.05).all() and (fraction < 0.95).all()


@given(events_strategy())
def test_p0_and_drop0_are_identity(ev):
    assert_events_equal(VoxelDrop(0.5, p=0.0)(ev, 2), ev)
    assert_events_equal(VoxelDrop(0.0)(ev, 2), ev)


def test_keep_one_per_event_hand_values():
    batch = torch.tensor([0, 0, 0, 2, 2, 3])
    keep = torch.tensor([False, False, False, True, False, False])
    key = torch.tensor([0.1, 0.7, 0.7, 0.9, 0.2, 0.4])
    out = F.keep_one_per_event(keep, batch, key, 4)
    assert out.tolist() == [False, True, False, True, False, True]  # tie 0.7: the first; event 1 empty
    assert F.restore_emptied(keep, batch, 4).tolist() == [True, True, True, True, False, True]
    coords, feats, b = F.select_points(torch.arange(6.0)[:, None], torch.ones(6, 1), batch, out)
    assert coords[:, 0].tolist() == [1.0, 3.0, 5.0] and b.tolist() == [0, 2, 3]


def test_bad_arguments():
    for bad in (1.0, -0.1, (0.5, 0.2), (0.5, 1.0)):
        with pytest.raises(ValueError, match="drop: expected"):
            VoxelDrop(bad)
    ev = Events(torch.zeros(2, 3), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(TypeError, match=r"params\['point_keep'\]: expected a bool tensor"):
        VoxelDrop().apply(ev, Params({"point_keep": torch.ones(2), "apply": torch.ones(1, dtype=torch.bool)}, ev))
