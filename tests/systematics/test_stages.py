"""The response's two stages: ChargeCollection (deterministic) then Readout equal DetectorResponse."""

import pytest
import torch
from hypothesis import given

from augment import ChargeCollection, Compose, DetectorResponse, DetectorThrow, Readout, Rotate
from augment.testing import assert_events_equal, check_transform
from systematics import DetectorParams, ReadoutConfig
from systematics.response import voxel_indices
from tests.systematics.deposits import deposits_strategy, track

CHANNELS = DetectorParams(dead_fraction=0.1, noisy_fraction=0.1, gain_spread=0.1)


@given(deposits_strategy())
def test_stages_equal_the_response_bit_for_bit_with_every_parameter_thrown(ev):
    thrown = DetectorThrow(p=0.7)(ev, 3)  # channel parameters included; NaN (nominal) where the gate is off
    expected = DetectorResponse(readout=ReadoutConfig(threshold=500.0))(thrown, 11)
    got = Compose([ChargeCollection(readout=ReadoutConfig(threshold=500.0)),
                   Readout(readout=ReadoutConfig(threshold=500.0))])(thrown, 11)
    assert_events_equal(got, expected)


def test_stages_equal_the_response_with_configured_channel_effects_and_noise():
    ev = track()
    expected = DetectorResponse(params=CHANNELS)(ev, 4)
    collected = ChargeCollection(params=CHANNELS)(ev)
    assert collected.feature_names == ("collected",)
    assert_events_equal(Readout(params=CHANNELS)(collected, 4), expected)


@given(deposits_strategy())
def test_charge_collection_is_deterministic_and_draws_nothing(ev):
    stage = ChargeCollection()
    assert stage.deterministic and set(stage.sample(ev, 0)) == {"apply"}
    assert_events_equal(stage(ev, 0), stage(ev, 123))
    check_transform(stage, ev)


@given(deposits_strategy())
def test_readout_contract(ev):
    check_transform(Readout(readout=ReadoutConfig(threshold=500.0)), ChargeCollection()(ev))


def test_readout_refuses_deposits_and_points_off_the_grid():
    ev = track()
    with pytest.raises(ValueError, match="feature_names"):
        Readout()(ev, 0)
    collected = ChargeCollection()(ev)
    with pytest.raises(ValueError, match="coords"):
        Readout()(Rotate()(collected, 0), 0)


def test_voxel_indices_invert_the_voxel_centres():
    voxel = torch.tensor([[0, 5, -3], [600, 1, 2]])
    pitch, origin = 0.38, (-100.0, 0.0, 7.5)
    centres = torch.tensor(origin) + (voxel + 0.5) * pitch
    assert torch.equal(voxel_indices(centres, pitch, origin), voxel)
