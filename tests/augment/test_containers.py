import pytest
import torch
from hypothesis import given

from augment import Compose, OneOf, RandomApply, SomeOf, Translate
from augment.testing import assert_events_equal
from tests.strategies import events_strategy


def pipeline():
    return Compose([Translate(1.0), RandomApply(Translate(5.0), p=0.5), OneOf([Translate(2.0), Translate(3.0)])])


@given(events_strategy())
def test_compose_replays_exactly(ev):
    t = pipeline()
    out, params = t.sample_apply(ev, 3)
    assert_events_equal(t.apply(ev, params), out)
    assert_events_equal(t(ev, 3), out)


def test_one_of_applies_exactly_one_branch_per_event():
    ev = torch.zeros(50, 3, dtype=torch.float64)
    from augment import Events
    events = Events(ev, torch.ones(50, 1, dtype=torch.float64), torch.arange(50), 50)
    _, params = OneOf([Translate(1.0), Translate(1.0), Translate(1.0)]).sample_apply(events, 0)
    gates = torch.stack([p["apply"] for p in params], 1)
    assert torch.equal(gates.sum(1), torch.ones(50, dtype=torch.int64))
    assert (gates.sum(0) > 5).all()  # every branch is used


def test_some_of_counts_and_weights():
    from augment import Events
    events = Events(torch.zeros(400, 2), torch.ones(400, 1), torch.arange(400), 400)
    _, params = SomeOf([Translate(1.0)] * 4, n=(1, 3)).sample_apply(events, 1)
    counts = torch.stack([p["apply"] for p in params], 1).sum(1)
    assert counts.min() == 1 and counts.max() == 3
    _, params = OneOf([Translate(1.0), Translate(1.0)], weights=[9, 1]).sample_apply(events, 1)
    share = params[0]["apply"].float().mean()
    assert 0.85 < share < 0.95
    with pytest.raises(ValueError, match="n: expected"):
        SomeOf([Translate(1.0)], n=2)
    with pytest.raises(ValueError, match="weights"):
        OneOf([Translate(1.0)], weights=[-1])


def test_random_apply_gates_inner_transforms():
    from augment import Events
    events = Events(torch.zeros(300, 2), torch.ones(300, 1), torch.arange(300), 300)
    out, params = RandomApply([Translate(1.0), Translate(1.0)], p=0.3).sample_apply(events, 2)
    assert torch.equal(params[0]["apply"], params[1]["apply"])
    moved = (out.coords != 0).any(1)
    assert torch.equal(moved, params[0]["apply"])
    assert 0.2 < moved.float().mean() < 0.4


def test_containers_reject_non_transforms():
    with pytest.raises(TypeError, match=r"transforms\[1\]"):
        Compose([Translate(1.0), lambda e: e])
    with pytest.raises(ValueError, match="p: expected a probability"):
        RandomApply(Translate(1.0), p=1.5)


def test_nested_repr_is_indented():
    from augment import Compose, OneOf, Translate

    text = repr(Compose([Translate(1.0), OneOf([Translate(2.0)])]))
    assert text.splitlines() == ["Compose([", "    Translate(p=1.0, max_shift=1.0),", "    OneOf([",
                                 "        Translate(p=1.0, max_shift=2.0),", "    ]),", "])"]
