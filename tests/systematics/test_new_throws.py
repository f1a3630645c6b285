import math

import pytest
import torch
from hypothesis import given

from augment import Compose, DeadChannelThrow, DetectorResponse, GainThrow, SpaceChargeThrow
from systematics import DetectorParams, DriftGeometry, ReadoutConfig
from augment.testing import assert_events_equal, check_transform
from tests.systematics.deposits import deposits_strategy, track

# The default ND-LAr drift (50.4 cm along z) with a field cage around the test deposits (x, y in [-4, 12] cm).
BOX = DriftGeometry(transverse=((-6.0, 14.0), (-6.0, 14.0)))
QUIET = ReadoutConfig(threshold=0.0, noise=0.0)


def big_cube_track() -> tuple:
    """A long track in a 230.4 cm cube read out along x, where space charge is centimetres."""
    geometry = DriftGeometry(drift_axis=0, anode=0.0, max_drift=230.4, transverse=((0.0, 230.4), (0.0, 230.4)))
    s = torch.linspace(0, 1, 600, dtype=torch.float64)[:, None]
    coords = torch.tensor([20.0, 20.0, 30.0], dtype=torch.float64) + s * torch.tensor([190.0, 180.0, 150.0],
                                                                                      dtype=torch.float64)
    feats = torch.stack([torch.full((600,), 0.63, dtype=torch.float64), torch.full((600,), 0.3, dtype=torch.float64)], 1)
    from augment import Events

    return Events(coords, feats, torch.zeros(600, dtype=torch.int64), 1, feature_names=("dE", "dx")), geometry


def with_nominal(throw, ev, seed=0):
    """The throw's output and the nominal response with the same diffusion offsets and noise seeds."""
    out, params = throw.sample_apply(ev, seed)
    nominal = params.replace(**{k: torch.zeros_like(params[k]) for k in throw.ranges})
    return out, DetectorResponse(params=throw.params, geometry=throw.geometry, readout=throw.readout).apply(ev, nominal)


@pytest.mark.parametrize("throw", [SpaceChargeThrow(range=(0.0, 0.0), geometry=BOX),
                                   DeadChannelThrow(dead=(0.0, 0.0), noisy=(0.0, 0.0), geometry=BOX),
                                   GainThrow(range=(0.0, 0.0), geometry=BOX)])
def test_zero_magnitude_is_the_nominal_response(throw):
    # With the same diffusion offsets and noise seeds, a throw of zero is the nominal response.
    ev = track()
    out, params = throw.sample_apply(ev, 3)
    assert_events_equal(out, DetectorResponse(geometry=BOX).apply(ev, params))
    assert all((params[k] == 0).all() for k in throw.ranges)


@given(deposits_strategy())
def test_contract_new_throws(ev):
    # Same seed -> same output, replay, input untouched, batched == each event alone with its params.
    for throw in (SpaceChargeThrow(range=(0.0, 100.0), geometry=BOX, diffusion_samples=2, p=0.7),
                  DeadChannelThrow(dead=(0.0, 0.5), noisy=(0.0, 0.5), geometry=BOX, diffusion_samples=2),
                  GainThrow(range=(0.0, 0.3), geometry=BOX, diffusion_samples=2)):
        check_transform(throw, ev)


def test_space_charge_moves_charge_and_keeps_it():
    # Without attachment, threshold and noise the total charge is the same; the voxels move inwards.
    ev, geometry = big_cube_track()
    params = DetectorParams(lifetime=math.inf)
    moved, nominal = with_nominal(SpaceChargeThrow(range=(1.0, 1.0), params=params, geometry=geometry, readout=QUIET),
                                  ev, 1)
    torch.testing.assert_close(moved.feats.sum(), nominal.feats.sum(), rtol=1e-12, atol=0)
    centre = torch.tensor([115.2, 115.2], dtype=torch.float64)
    weight = lambda e: ((e.coords[:, 1:] - centre).norm(dim=1) * e.feats[:, 0]).sum() / e.feats.sum()  # noqa: E731
    assert weight(moved) < weight(nominal) - 0.3  # pulled towards the centre of the anode plane, by cm
    assert not torch.equal(moved.coords, nominal.coords)


def test_dead_fraction_one_kills_everything_and_dead_channels_are_columns():
    ev = track()
    assert DeadChannelThrow(dead=(1.0, 1.0), noisy=(0.0, 0.0), geometry=BOX)(ev, 0).num_points == 0
    some, nominal = with_nominal(DeadChannelThrow(dead=(0.3, 0.3), noisy=(0.0, 0.0), geometry=BOX, readout=QUIET), ev)
    assert 0 < some.num_points < nominal.num_points
    # A surviving voxel keeps its charge; a lost pixel loses every one of its time samples.
    pixels = lambda e: {tuple(p) for p in torch.round(e.coords[:, :2] / 0.38 - 0.5).long().tolist()}  # noqa: E731
    kept = pixels(some)
    for voxel, q in zip(nominal.coords, nominal.feats[:, 0]):
        pixel = tuple(torch.round(voxel[:2] / 0.38 - 0.5).long().tolist())
        match = (some.coords == voxel).all(1)
        assert match.any() == (pixel in kept)
        if match.any():
            assert some.feats[match, 0].item() == q.item()


def test_gain_spread_scales_voxels_by_their_channel_gain():
    ev = track()
    spread, nominal = with_nominal(GainThrow(range=(0.1, 0.1), geometry=BOX, readout=QUIET), ev)
    assert torch.equal(spread.coords, nominal.coords)
    ratio = spread.feats[:, 0] / nominal.feats[:, 0]
    assert 0.05 < ratio.std().item() < 0.15 and abs(ratio.mean().item() - 1) < 0.05


def test_noisy_channels_add_the_configured_noise():
    ev = track()
    readout = ReadoutConfig(threshold=0.0, noise=0.0, noisy_channel_noise=2500.0)
    noisy, nominal = with_nominal(DeadChannelThrow(dead=(0.0, 0.0), noisy=(1.0, 1.0), geometry=BOX, readout=readout), ev)
    # Noise may push a voxel below the zero threshold; compare the voxels both kept.
    before = {(b, *c): q for b, c, q in zip(nominal.batch.tolist(), nominal.coords.tolist(), nominal.feats[:, 0].tolist())}
    diff = torch.tensor([q - before[(b, *c)] for b, c, q in zip(noisy.batch.tolist(), noisy.coords.tolist(),
                                                                noisy.feats[:, 0].tolist())])
    assert len(diff) > 0.9 * len(before) and 2000 < diff.std().item() < 3000


def test_new_throws_compose_with_the_others():
    ev = track()
    out, params = Compose([SpaceChargeThrow(geometry=BOX)]).sample_apply(ev, 0)
    assert out.feature_names == ("charge",) and ((params[0]["space_charge"] >= 0) & (params[0]["space_charge"] <= 1)).all()


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
    with pytest.raises(ValueError, match="geometry: expected a DriftGeometry with transverse"):
        SpaceChargeThrow()
    with pytest.raises(ValueError, match="space_charge: expected 0 when geometry.transverse is None"):
        DetectorResponse(params=DetectorParams(space_charge=0.5))(track(), 0)
    with pytest.raises(ValueError, match="space_charge: expected an amplitude below 2 h_min / pi"):
        DetectorResponse(params=DetectorParams(space_charge=1e6), geometry=BOX)(track(), 0)
    with pytest.raises(ValueError, match="transverse: expected two"):
        DriftGeometry(transverse=((0.0, 1.0),))
    with pytest.raises(ValueError, match="coords: expected positions on axes"):
        DetectorResponse(geometry=DriftGeometry(transverse=((0.0, 1.0), (0.0, 1.0))))(track(), 0)
