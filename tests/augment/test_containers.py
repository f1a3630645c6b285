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
    assert text.splitlines() == ["Compose([", "    Translate(p=1.0, max_shift=1.0, relative=False),", "    OneOf([",
                                 "        Translate(p=1.0, max_shift=2.0, relative=False),", "    ]),", "])"]


# Affine fusion: consecutive Rotate/Translate with gates all on are one composed map, one pass.

def _count_affine_passes(monkeypatch):
    from augment import functional as F
    calls = []
    affine = F.affine

    def counted(*args):
        calls.append(args[2] is None)
        return affine(*args)
    monkeypatch.setattr(F, "affine", counted)
    return calls


@given(events_strategy())
def test_fused_affine_transforms_equal_the_transforms_one_by_one(ev):
    from augment import Rotate
    t = Compose([Rotate(), Translate(1.0), Rotate(centre="origin"), Translate((1.0, 2.0, 3.0))])
    out, params = t.sample_apply(ev, 5)
    step = ev
    for member, p in zip(t.transforms, params):
        step = member.apply(step, p)
    # the composed map rounds differently from four passes: coords in [-100, 100] cm
    assert_events_equal(out, step, atol=1e-10)
    assert_events_equal(t.apply(ev, params), out)  # replay: the same composed map, bit for bit


def test_consecutive_affine_transforms_make_one_pass(monkeypatch):
    from augment import EnergyScale, Events, Rotate
    ev = Events(torch.randn(20, 3), torch.rand(20, 2), torch.repeat_interleave(torch.arange(4), 5), 4)
    calls = _count_affine_passes(monkeypatch)
    t = Compose([Rotate(), Translate(1.0), EnergyScale(), Translate(1.0), Rotate(centre="origin")])
    _, params = t.sample_apply(ev, 0)
    assert calls == [False, False]  # Rotate + Translate, then Translate + Rotate
    t.apply(ev, params)
    assert calls == [False] * 4
    calls.clear()
    Compose([Translate(1.0), Rotate()])(ev, 0)  # Rotate samples the centroid of the moved points
    assert calls == [True, False]


def test_an_affine_transform_that_samples_from_the_coords_sees_the_moved_points():
    from augment import Events, Rotate
    from augment import functional as F
    ev = Events(torch.randn(20, 3, dtype=torch.float64), torch.rand(20, 2, dtype=torch.float64),
                torch.repeat_interleave(torch.arange(4), 5), 4)
    out, (shift, rotate) = Compose([Translate(10.0), Rotate()]).sample_apply(ev, 0)
    moved = Translate(10.0).apply(ev, shift)
    torch.testing.assert_close(rotate["centre"], F.event_mean(moved.coords, moved.batch, 4))
    torch.testing.assert_close(F.event_mean(out.coords, out.batch, 4), rotate["centre"])  # turned about it


@given(events_strategy())
def test_affine_transforms_with_a_gate_per_event_are_not_fused_and_keep_gated_events(ev):
    from augment import Rotate
    t = RandomApply([Rotate(), Translate(1.0)], p=0.5)
    out, params = t.sample_apply(ev, 2)
    off = ~params[0]["apply"][ev.batch]
    assert torch.equal(out.coords[off], ev.coords[off])
    step = ev
    for member, p in zip(t.transforms, params):
        step = member.apply(step, p)
    assert_events_equal(out, step)  # one pass per transform, merged by its gate
    mixed = Compose([Rotate(p=0.5), Translate(1.0)])
    out, params = mixed.sample_apply(ev, 3)
    assert_events_equal(mixed.apply(ev, params), out)


def test_a_user_affine_transform_is_fused():
    from augment import AffineTransform, Events
    from augment.testing import check_transform

    class Stretch(AffineTransform):
        """Scale x by a factor U[1, 2) per event (about the origin)."""

        def sample_reads_coords(self):
            return False

        def sample_params(self, events, generator):
            return {"factor": 1 + torch.rand(events.num_events, generator=generator, dtype=events.coords.dtype)}

        def affine(self, events, params):
            D = events.coords.shape[1]
            scale = torch.ones(events.num_events, D, dtype=events.coords.dtype)
            scale[:, 0] = params["factor"]
            return torch.diag_embed(scale), torch.zeros_like(scale)

    ev = Events(torch.randn(20, 3, dtype=torch.float64), torch.rand(20, 2, dtype=torch.float64),
                torch.repeat_interleave(torch.arange(4), 5), 4)
    check_transform(Stretch(), ev)
    t = Compose([Translate(1.0), Stretch()])
    out, (shift, stretch) = t.sample_apply(ev, 0)
    expected = Stretch().apply(Translate(1.0).apply(ev, shift), stretch)
    assert_events_equal(out, expected, atol=1e-12)
