import math

import pytest
import torch
from hypothesis import given

from augment import Compose, DeadChannelThrow, DetectorResponse, Events, GainThrow, OneOf, SpaceChargeThrow
from augment.testing import assert_events_equal, check_transform, event_params
from systematics import DetectorParams, DriftGeometry, ReadoutConfig
from tests.systematics.deposits import deposits_strategy, track

# The default ND-LAr drift (50.4 cm along z) with a field cage around the test deposits (x, y in [-4, 12] cm).
BOX = DriftGeometry(transverse=((-6.0, 14.0), (-6.0, 14.0)))
QUIET = ReadoutConfig(threshold=0.0, noise=0.0)


def with_nominal(throw, ev, seed=0, **response_kwargs):
    """The thrown response and the nominal response with the same noise seeds."""
    response = DetectorResponse(**{"geometry": BOX, **response_kwargs})
    out, params = Compose([throw, response]).sample_apply(ev, seed)
    return out, response.apply(ev, params[1]), params[0]


def cube_track() -> tuple[Events, DriftGeometry]:
    """A long track in a 230.4 cm cube read out along x, where space charge is centimetres."""
    geometry = DriftGeometry(drift_axis=0, anode=0.0, max_drift=230.4, transverse=((0.0, 230.4), (0.0, 230.4)))
    s = torch.linspace(0, 1, 600, dtype=torch.float64)[:, None]
    coords = torch.tensor([20.0, 20.0, 30.0], dtype=torch.float64) + s * torch.tensor([190.0, 180.0, 150.0],
                                                                                      dtype=torch.float64)
    feats = torch.tensor([[0.63, 0.3]], dtype=torch.float64).expand(600, 2).clone()
    return Events(coords, feats, torch.zeros(600, dtype=torch.int64), 1, feature_names=("dE", "dx")), geometry


@pytest.mark.parametrize("throw", [SpaceChargeThrow(range=(0.0, 0.0)),
                                   DeadChannelThrow(dead=(0.0, 0.0), noisy=(0.0, 0.0)), GainThrow(range=(0.0, 0.0))])
def test_zero_magnitude_is_the_nominal_response(throw):
    out, nominal, drawn = with_nominal(throw, track(), 3)
    assert all((drawn[k] == 0).all() for k in throw.ranges)
    assert_events_equal(out.replace(attrs={}), nominal.replace(attrs={}))


THROWS = (SpaceChargeThrow(range=(0.0, 100.0), p=0.7), DeadChannelThrow(dead=(0.0, 0.5), noisy=(0.0, 0.5)),
          GainThrow(range=(0.0, 0.3)))


@given(deposits_strategy())
def test_contract_new_throws(ev):
    # The throws: same seed -> same output, replay, input untouched, gates, batched == each event alone.
    for throw in THROWS:
        check_transform(throw, ev)


@given(deposits_strategy())
def test_thrown_response_replays_and_batched_equals_per_event(ev):
    response = DetectorResponse(geometry=BOX)
    for throw in THROWS:
        pipeline = Compose([throw, response])
        out, params = pipeline.sample_apply(ev, 5)
        assert_events_equal(pipeline.apply(ev, params), out)
        assert_events_equal(pipeline(ev, 5), out)
        thrown = throw.apply(ev, params[0])
        for i in range(ev.num_events):
            one = torch.tensor([i])
            alone = response.apply(thrown.index_select_events(one), event_params(params[1], thrown, i))
            assert_events_equal(alone, out.index_select_events(one))


def test_space_charge_moves_charge_and_keeps_it():
    # Without attachment, threshold and noise the total charge is the same; the voxels move inwards.
    ev, geometry = cube_track()
    moved, nominal, _ = with_nominal(SpaceChargeThrow(range=(1.0, 1.0)), ev, 1,
                                     params=DetectorParams(lifetime=math.inf), geometry=geometry, readout=QUIET)
    torch.testing.assert_close(moved.feats.sum(), nominal.feats.sum(), rtol=1e-12, atol=0)
    centre = torch.tensor([115.2, 115.2], dtype=torch.float64)
    radius = lambda e: ((e.coords[:, 1:] - centre).norm(dim=1) * e.feats[:, 0]).sum() / e.feats.sum()  # noqa: E731
    assert radius(moved) < radius(nominal) - 0.3  # pulled towards the centre of the anode plane, by cm
    assert not torch.equal(moved.coords, nominal.coords)


def test_dead_fraction_one_kills_everything_and_dead_channels_are_columns():
    ev = track()
    assert with_nominal(DeadChannelThrow(dead=(1.0, 1.0), noisy=(0.0, 0.0)), ev)[0].num_points == 0
    some, nominal, _ = with_nominal(DeadChannelThrow(dead=(0.3, 0.3), noisy=(0.0, 0.0)), ev, readout=QUIET)
    assert 0 < some.num_points < nominal.num_points
    # A surviving voxel keeps its charge exactly; a lost pixel loses every one of its time samples.
    pixel = lambda b, c: (b, *torch.round(c[:2] / 0.38 - 0.5).long().tolist())  # noqa: E731
    kept = {pixel(b, c) for b, c in zip(some.batch.tolist(), some.coords)}
    after = {(b, *c): q for b, c, q in zip(some.batch.tolist(), some.coords.tolist(), some.feats[:, 0].tolist())}
    for b, c, q in zip(nominal.batch.tolist(), nominal.coords, nominal.feats[:, 0].tolist()):
        key = (b, *c.tolist())
        assert (key in after) == (pixel(b, c) in kept)
        if key in after:
            assert after[key] == q


def test_gain_spread_scales_voxels_by_their_channel_gain():
    spread, nominal, _ = with_nominal(GainThrow(range=(0.1, 0.1)), track(), readout=QUIET)
    assert torch.equal(spread.coords, nominal.coords)
    ratio = spread.feats[:, 0] / nominal.feats[:, 0]
    assert 0.05 < ratio.std().item() < 0.15 and abs(ratio.mean().item() - 1) < 0.05


def test_noisy_channels_add_the_configured_noise():
    readout = ReadoutConfig(threshold=0.0, noise=0.0, noisy_channel_noise=2500.0)
    noisy, nominal, _ = with_nominal(DeadChannelThrow(dead=(0.0, 0.0), noisy=(1.0, 1.0)), track(), readout=readout)
    # Noise pushes the diffusion tails below the zero threshold; voxels above 4 sigma all stay: compare those.
    after = {(b, *c): q for b, c, q in zip(noisy.batch.tolist(), noisy.coords.tolist(), noisy.feats[:, 0].tolist())}
    rows = zip(nominal.batch.tolist(), nominal.coords.tolist(), nominal.feats[:, 0].tolist())
    big = [((b, *c), q) for b, c, q in rows if q > 1e4]
    assert len(big) > 100 and all(key in after for key, _ in big)
    diff = torch.tensor([after[key] - q for key, q in big])
    assert 2000 < diff.std().item() < 3000


def test_new_throws_compose_per_event_with_the_containers():
    # OneOf: each event gets one of the two throws, the other parameter stays nominal (NaN in attrs).
    ev = track().index_select_events(torch.tensor([0, 1, 0, 1, 0, 1, 0, 1]))
    out, params = Compose([OneOf([SpaceChargeThrow(range=(0.5, 0.5)), GainThrow(range=(0.1, 0.1))]),
                           DetectorResponse(geometry=BOX)]).sample_apply(ev, 0)
    sc, gain = out.attrs["space_charge"], out.attrs["gain_spread"]
    assert ((sc == 0.5) ^ (gain == 0.1)).all() and (sc == 0.5).any() and (gain == 0.1).any()
    assert ((sc == 0.5) | (sc == 0.0)).all() and ((gain == 0.1) | (gain == 0.0)).all()


def test_bad_values_raise_naming_the_parameter():
    with pytest.raises(ValueError, match=r"dead_fraction: expected values in \[0.0, 1.0\]"):
        DetectorParams(dead_fraction=1.5)
    with pytest.raises(ValueError, match="noisy_fraction: expected values in"):
        DetectorParams(noisy_fraction=-0.1)
    with pytest.raises(ValueError, match="gain_spread: expected values in"):
        DetectorParams(gain_spread=-0.01)
    with pytest.raises(ValueError, match="dead_fraction: expected a number, got NaN"):
        DetectorParams(dead_fraction=math.nan)
    with pytest.raises(ValueError, match=r"ranges\['dead_fraction'\]: expected values in"):
        DeadChannelThrow(dead=(0.0, 1.2))
    with pytest.raises(ValueError, match="space_charge: expected 0 when geometry.transverse is None"):
        DetectorResponse(params=DetectorParams(space_charge=0.5))(track(), 0)
    with pytest.raises(ValueError, match="space_charge: expected an amplitude below 2 h_min / pi"):
        DetectorResponse(params=DetectorParams(space_charge=1e6), geometry=BOX)(track(), 0)
    with pytest.raises(ValueError, match="transverse: expected two"):
        DriftGeometry(transverse=((0.0, 1.0),))
    with pytest.raises(ValueError, match="coords: expected positions on axes"):
        DetectorResponse(geometry=DriftGeometry(transverse=((0.0, 1.0), (0.0, 1.0))))(track(), 0)
