"""The protocol the base class owns: the gate, params bound to their batch, attrs, check_transform."""

import math

import pytest
import torch

from augment import (CentreJets, CollinearSplit, Compose, Cutout, EnergyScale, Events, Jitter, KeepHardest, LocalSmear,
                     NormalisePT, OneOf, Params, RandomApply, Rotate, SoftSmear, Transform, Translate, VoxelDrop)
from augment.testing import assert_events_equal, check_transform


def deposits(counts=(5, 0, 3, 7), seed=0) -> Events:
    g = torch.Generator().manual_seed(seed)
    n = sum(counts)
    batch = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    return Events(torch.randn(n, 3, generator=g, dtype=torch.float64) * 10,
                  torch.rand(n, 2, generator=g, dtype=torch.float64) + 0.1, batch, len(counts),
                  labels=torch.arange(len(counts)), attrs={"lifetime": torch.linspace(500.0, 800.0, len(counts))})


def jets(counts=(5, 0, 3, 7), seed=0) -> Events:
    ev = deposits(counts, seed)
    return ev.replace(coords=ev.coords[:, :2] / 10, feats=ev.feats[:, :1])


class ShiftX(Transform):
    """A user transform written against the protocol: it never looks at the gate."""

    def __init__(self, p: float = 1.0) -> None:
        super().__init__(p)

    def sample_params(self, events, generator):
        return {"dx": torch.rand(events.num_events, generator=generator, dtype=events.coords.dtype)}

    def transform(self, events, params):
        shift = torch.zeros_like(events.coords)
        shift[:, 0] = params["dx"][events.batch]
        return events.replace(coords=events.coords + shift)


ALL = [Translate(1.0), Rotate(), Rotate(centre="weighted"), Jitter(0.5), Cutout(3.0), Cutout(5.0, shape="sphere"),
       EnergyScale(), LocalSmear(), VoxelDrop(0.5), ShiftX()]
JETS = [CollinearSplit(0.5), SoftSmear(), CentreJets(), NormalisePT(), KeepHardest(2)]


@pytest.mark.parametrize("t", ALL + JETS, ids=repr)
def test_every_transform_passes_check_transform_with_p_below_one(t):
    ev = jets() if t in JETS else deposits()
    t.p = 0.6 if not isinstance(t, (CentreJets, NormalisePT, KeepHardest)) else t.p
    check_transform(t, ev)


@pytest.mark.parametrize("t", ALL + JETS, ids=repr)
def test_replay_on_another_batch_with_same_b_and_n_is_refused(t):
    ev = jets() if t in JETS else deposits()
    params = t.sample(ev, 0)
    other = ev.replace(batch=torch.repeat_interleave(torch.arange(4), torch.tensor([4, 1, 3, 7])))
    with pytest.raises(ValueError, match="params: drawn for a batch"):
        t.apply(other, params)


def test_voxel_drop_replayed_on_another_batch_cannot_empty_an_event():
    # The defect: point_keep of one batch replayed on another (same B, N) emptied an event.
    t = VoxelDrop(0.9)
    ev = deposits((1, 30))
    params = t.sample(ev, 0)
    other = ev.replace(batch=torch.repeat_interleave(torch.arange(2), torch.tensor([30, 1])))
    with pytest.raises(ValueError, match="params"):
        t.apply(other, params)


def test_replay_on_the_same_events_rebuilt_is_accepted():
    t = Compose([Rotate(), VoxelDrop(0.3), Jitter(0.1)])
    ev = deposits()
    out, params = t.sample_apply(ev, 1)
    rebuilt = Events(ev.coords.clone(), ev.feats.clone(), ev.batch.clone(), ev.num_events, ev.labels, attrs=ev.attrs)
    assert_events_equal(t.apply(rebuilt, params), out)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_replay_on_the_same_events_moved_to_another_device():
    t = Compose([Rotate(), Translate(1.0), VoxelDrop(0.3)])
    ev = deposits()
    out, params = t.sample_apply(ev, 1)
    assert_events_equal(t.apply(ev.to("cuda"), params).to("cpu"), out)


@pytest.mark.parametrize("t", [Translate(1.0), Jitter(1.0), EnergyScale()], ids=repr)
def test_a_float_gate_is_refused(t):
    # The defect: a float "apply" was accepted and scaled Translate/Jitter by its value.
    ev = deposits()
    params = t.sample(ev, 0)
    with pytest.raises(ValueError, match=r"params\['apply'\]: expected a \(4,\) bool tensor"):
        t.apply(ev, params.replace(apply=torch.full((4,), 0.5, dtype=torch.float64)))
    with pytest.raises(ValueError, match=r"params\['apply'\]: expected a \(4,\) bool tensor"):
        t.apply(ev, params.replace(apply=torch.ones(2, dtype=torch.bool)))
    with pytest.raises(ValueError, match=r"gate: expected a \(4,\) bool tensor"):
        t.sample(ev, 0, gate=torch.ones(4))


def test_plain_dicts_are_refused_and_copies_keep_the_binding():
    ev = deposits()
    params = Translate(1.0).sample(ev, 0)
    with pytest.raises(ValueError, match="params: expected the Params"):
        Translate(1.0).apply(ev, dict(params))
    for copy in (params.copy(), params.replace(shift=params["shift"] * 0)):
        assert isinstance(copy, Params) and copy.bound_to(ev)
    assert_events_equal(Translate(1.0).apply(ev, params.replace(shift=params["shift"] * 0)), ev)


def test_a_user_transform_cannot_break_p_zero_or_an_ungated_event():
    ev = deposits()
    assert_events_equal(ShiftX(p=0.0)(ev, 0), ev)
    out, params = ShiftX().sample_apply(ev, 3, gate=torch.tensor([True, False, True, False]))
    off = ~params["apply"]
    points_off = off[ev.batch]
    assert torch.equal(out.coords[points_off], ev.coords[points_off])
    assert not torch.equal(out.coords[~points_off], ev.coords[~points_off])


def test_the_protocol_methods_cannot_be_overridden():
    with pytest.raises(TypeError, match="apply belong to the Transform protocol"):
        class Sneaky(Transform):  # noqa: F841
            def apply(self, events, params):
                return events


def test_fast_paths_are_known_on_the_host():
    ev = deposits()
    assert Translate(1.0).sample(ev, 0).uniform_gate() is True
    assert Translate(1.0, p=0.0).sample(ev, 0).uniform_gate() is False
    assert Translate(1.0, p=0.5).sample(ev, 0).uniform_gate() is None
    assert RandomApply(Translate(1.0), p=0.5).sample(ev, 0)[0].uniform_gate() is None
    assert Compose([Translate(1.0)]).sample(ev, 0)[0].uniform_gate() is True
    params = Translate(1.0).sample(ev, 0)
    assert params.replace(apply=params["apply"].clone()).uniform_gate() is None  # a new gate is not trusted

    class Refuses(ShiftX):
        def transform(self, events, params):
            raise AssertionError("transform must not run when every gate is off")

    assert Refuses(p=0.0)(ev, 0) is ev


class Broken(ShiftX):
    pass


class InPlace(Broken):
    def transform(self, events, params):
        events.coords[:, 0] += params["dx"][events.batch]
        return events


class Unseeded(Broken):
    def transform(self, events, params):
        return events.replace(coords=events.coords + torch.rand(()))


class BatchDependent(Broken):
    def transform(self, events, params):
        return events.replace(coords=events.coords - events.coords.mean(0))


class ChangesDtype(Broken):
    def transform(self, events, params):
        return events.replace(coords=events.coords.float())


@pytest.mark.parametrize("broken, message", [
    (InPlace(), "modified in place"), (Unseeded(), "same seed"), (BatchDependent(), "alone vs in the batch"),
    (ChangesDtype(), "dtype/device changed"),
])
def test_check_transform_catches_broken_transforms(broken, message):
    with pytest.raises(AssertionError, match=message):
        check_transform(broken, deposits())


def test_check_transform_passes_a_correct_user_transform():
    check_transform(ShiftX(p=0.5), deposits())


def test_attrs_are_carried_selected_moved_and_read_only():
    ev = deposits()
    with pytest.raises(TypeError):
        ev.attrs["x"] = torch.zeros(4)
    out = Compose([Rotate(), VoxelDrop(0.5), Translate(1.0)])(ev, 0)
    assert torch.equal(out.attrs["lifetime"], ev.attrs["lifetime"])
    picked = ev.index_select_events(torch.tensor([3, 0]))
    assert picked.attrs["lifetime"].tolist() == [800.0, 500.0]
    assert ev.to(torch.float32).attrs["lifetime"].dtype == torch.float32
    with pytest.raises(ValueError, match=r"attrs\['x'\]: expected shape \(4, ...\)"):
        Events(ev.coords, ev.feats, ev.batch, 4, attrs={"x": torch.zeros(3)})


class SetsGain(Transform):
    """Writes a per-event value into attrs (as the detector throws do)."""

    def sample_params(self, events, generator):
        return {"gain": torch.rand(events.num_events, generator=generator, dtype=torch.float64) + 1}

    def transform(self, events, params):
        return events.replace(attrs={**events.attrs, "gain": params["gain"],
                                     "lifetime": events.attrs["lifetime"] * 2})


def test_gate_merges_attrs_row_wise_and_new_keys_are_nan_where_not_set():
    ev = deposits()
    gate = torch.tensor([True, False, True, False])
    out, params = SetsGain().sample_apply(ev, 0, gate)
    assert torch.equal(out.attrs["lifetime"], torch.where(gate, 2 * ev.attrs["lifetime"], ev.attrs["lifetime"]))
    gain = out.attrs["gain"]
    assert torch.equal(gain[gate], params["gain"][gate]) and all(math.isnan(g) for g in gain[~gate].tolist())
    check_transform(SetsGain(p=0.5), ev)


def test_one_of_with_a_point_adding_branch_leaves_other_events_bit_identical():
    ev = jets((6, 2, 9, 4, 1))
    out, params = OneOf([CollinearSplit(0.9), Translate(0.1)]).sample_apply(ev, 2)
    untouched = ~(params[0]["apply"] | params[1]["apply"])
    assert not untouched.any()
    split_only = params[0]["apply"]
    for i in range(ev.num_events):
        got = out.index_select_events(torch.tensor([i]))
        if not split_only[i]:
            assert got.num_points == ev.counts()[i]
