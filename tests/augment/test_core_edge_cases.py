"""Every core transform on an empty batch, on events without points, and in float32 2D (jets)."""

import pytest
import torch
from hypothesis import given

from augment import Cutout, EnergyScale, Events, Jitter, LocalSmear, Rotate, VoxelDrop
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy

TRANSFORMS = [Rotate(), Rotate(centre="weighted"), Jitter(1.0), Cutout(2.0), Cutout((1.0, 3.0), shape="sphere"),
              EnergyScale(), LocalSmear(), VoxelDrop(0.5)]


@pytest.mark.parametrize("t", TRANSFORMS, ids=repr)
@pytest.mark.parametrize("counts", [[], [0], [0, 0, 0]])
def test_empty_batch_and_empty_events(t, counts):
    ev = Events(torch.zeros(0, 3), torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64), len(counts))
    out, params = t.sample_apply(ev, 0)
    assert_events_equal(out, ev)
    for v in params.values():
        assert v.shape[0] in (0, len(counts)) and (not v.is_floating_point() or torch.isfinite(v).all())


@pytest.mark.parametrize("t", TRANSFORMS, ids=repr)
@given(ev=events_strategy(dims=2, channels=1, dtype=torch.float32, scale=3.0))
def test_contract_2d_float32(t, ev):
    check_transform(t, ev, atol=1e-5)
