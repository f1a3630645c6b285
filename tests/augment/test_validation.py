"""Every top-level call validates its input once; constructors take what users reach for first."""

import numpy as np
import pytest
import torch

from augment import (CentreJets, CollinearSplit, Compose, Crop, Cutout, ElasticDistortion, EnergyScale, Events,
                     FeatureDrop, Jitter, KeepHardest, LocalSmear, NormalisePT, Reflect, Rotate, SoftSmear, Translate,
                     VoxelDrop)
from augment.testing import assert_events_equal

LARTPC = [Translate(1.0), Rotate(), Rotate(centre="weighted"), Jitter(0.5), Cutout(3.0), EnergyScale(), LocalSmear(),
          VoxelDrop(0.5), Compose([Rotate(), Translate(1.0)]), Reflect(), ElasticDistortion(2.0, 0.5), Crop(1.0),
          FeatureDrop(0)]
JETS = [CollinearSplit(0.5), SoftSmear(), CentreJets(), NormalisePT(), KeepHardest(2)]


def batch(dims: int, channels: int) -> Events:
    g = torch.Generator().manual_seed(0)
    return Events(torch.randn(9, dims, generator=g), torch.rand(9, channels, generator=g),
                  torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2]), 3)


def cases():
    return [(t, 3, 2) for t in LARTPC] + [(t, 2, 1) for t in JETS]


@pytest.mark.parametrize("t, dims, channels", cases(), ids=lambda v: repr(v) if not isinstance(v, int) else str(v))
@pytest.mark.parametrize("field, value", [("coords", float("nan")), ("feats", float("nan")), ("coords", float("inf")),
                                          ("feats", -float("inf"))])
def test_non_finite_values_written_after_construction_are_refused(t, dims, channels, field, value):
    # The defect: NaN written into a tensor after the Events was built passed through 24 transforms.
    ev = batch(dims, channels)
    params = t.sample(ev, 0)
    getattr(ev, field)[4, 0] = value
    match = f"{field}: expected finite values"
    with pytest.raises(ValueError, match=match):
        t(ev, 0)
    with pytest.raises(ValueError, match=match):
        t.sample(ev, 0)
    with pytest.raises(ValueError, match=match):
        t.apply(ev, params)


def test_unsorted_batch_written_after_construction_is_refused():
    ev = batch(3, 2)
    ev.batch[0] = 2
    with pytest.raises(ValueError, match="batch: expected non-decreasing"):
        Translate(1.0)(ev, 0)


def test_a_compose_validates_its_input_once(monkeypatch):
    calls = []
    original = Events.validate
    monkeypatch.setattr(Events, "validate", lambda self: calls.append(1) or original(self))
    pipeline = Compose([Rotate(), Translate(1.0), VoxelDrop(0.2), LocalSmear()])
    ev = batch(3, 2)
    out, params = pipeline.sample_apply(ev, 0)
    assert len(calls) == 1
    pipeline.apply(ev, params)
    assert len(calls) == 2


def test_large_finite_values_whose_sum_overflows_are_accepted():
    big = torch.full((4, 3), 3e38)
    Events(big, torch.ones(4, 1), torch.zeros(4, dtype=torch.int64), 1).validate()
    half = torch.full((4, 1), 60000.0, dtype=torch.float16)
    Events(torch.zeros(4, 3), half, torch.zeros(4, dtype=torch.int64), 1).validate()


def test_from_list_takes_the_pairs_to_list_returns():
    # The defect: Events.from_list(ev.to_list()) failed (two lists in, pairs out).
    ev = batch(3, 2)
    again = Events.from_list(ev.to_list())
    assert_events_equal(again, ev)
    with pytest.raises(ValueError, match=r"coords: expected a list of \(coords, feats\) pairs"):
        Events.from_list([ev.coords])


def test_numpy_arrays_are_converted():
    # The defect: numpy arrays gave a raw torch TypeError.
    rng = np.random.default_rng(0)
    coords, feats = rng.normal(size=(5, 3)), rng.random((5, 2)).astype(np.float32)
    ev = Events(coords, feats, np.array([0, 0, 1, 1, 1], dtype=np.int32), 2, labels=np.array([3, 4]))
    assert ev.coords.dtype == torch.float64 and ev.feats.dtype == torch.float32 and ev.batch.dtype == torch.int64
    assert ev.labels.tolist() == [3, 4]
    lists = Events.from_list([coords[:2], coords[2:]], [feats[:2], feats[2:]], labels=np.array([1, 0]))
    assert torch.equal(lists.coords, torch.from_numpy(coords)) and lists.counts().tolist() == [2, 3]
    with pytest.raises(TypeError, match="coords: expected a numeric numpy array"):
        Events(np.array([["a"] * 3]), feats[:1], np.array([0]), 1)


def test_an_int_seed_draws_on_the_events_device():
    from augment._random import as_generator

    assert as_generator(3, torch.device("cpu")).device == torch.device("cpu")
    assert torch.equal(Jitter(1.0)(batch(3, 2), 5).coords, Jitter(1.0)(batch(3, 2), 5).coords)


def test_negative_pt_is_refused_when_sampling():
    # check_jets synced the host in apply: the pT >= 0 check now runs when sampling only.
    ev = batch(2, 1)
    with pytest.raises(ValueError, match=r"expected pT >= 0 GeV"):
        SoftSmear().sample(ev.replace(feats=-ev.feats), 0)
