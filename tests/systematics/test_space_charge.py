import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from systematics import DriftGeometry
from systematics.functional.drift import drift_velocity
from systematics.functional.space_charge import space_charge_displacement, velocity_field_slope

D64 = dict(dtype=torch.float64)
# The toy gun's cube read out along x (training.studies.tasks.LARTPC_GEOMETRY), and an unequal box.
CUBE = DriftGeometry(drift_axis=0, anode=0.0, max_drift=230.4)
CUBE_BOX = ((0.0, 230.4), (0.0, 230.4))
SLOPE = velocity_field_slope(0.5)


def cube_points(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 3, generator=torch.Generator().manual_seed(seed), **D64) * 230.4


def test_velocity_field_slope_matches_the_mobility():
    # d ln v / d ln E of larnd-sim's mobility, against a central difference of drift_velocity.
    field = torch.tensor([0.273, 0.45, 0.5, 0.55, 1.0], **D64)
    h, t = 1e-6, torch.tensor(87.17, **D64)
    ratio = drift_velocity(field * (1 + h), t) / drift_velocity(field * (1 - h), t)
    numeric = ratio.log() / math.log((1 + h) / (1 - h))
    torch.testing.assert_close(velocity_field_slope(field), numeric, rtol=1e-7, atol=0)
    assert 0.45 < velocity_field_slope(0.5) < 0.55  # the velocity grows like E^0.5 at the nominal field


def test_zero_amplitude_is_the_identity():
    x = cube_points(500, 0)
    d = space_charge_displacement(x, torch.zeros(500, **D64), CUBE, CUBE_BOX, SLOPE)
    assert torch.equal(x + d, x)


@given(st.integers(0, 2**31 - 1), st.floats(0.1, 20.0))
def test_transverse_pull_is_inwards_and_bounded(seed, amplitude):
    x = cube_points(200, seed)
    d = space_charge_displacement(x, torch.full((200,), amplitude, **D64), CUBE, CUBE_BOX, SLOPE)
    centred = x[:, 1:] - 115.2
    # Towards the centre of the transverse plane, never past it, never more than the amplitude.
    assert ((d[:, 1:] * centred) <= 0).all()
    assert (d[:, 1:].abs() <= centred.abs() + 1e-12).all()
    assert (d.abs()[:, 1:] <= amplitude + 1e-12).all()
    # Along the drift: away from the anode, at most A k h_min / L.
    assert (d[:, 0] >= 0).all() and (d[:, 0] <= amplitude * SLOPE * 115.2 / 230.4 + 1e-12).all()


def test_extremes_and_zeros_of_the_shape():
    a = torch.full((5,), 4.0, **D64)
    pts = torch.tensor([
        [230.4, 230.4, 115.2],  # cathode, top edge, mid z: the largest transverse pull (-A along y)
        [0.0, 230.4, 115.2],  # at the anode nothing has drifted: no displacement
        [115.2, 115.2, 115.2],  # centre of the transverse plane, mid-drift: the largest drift shift
        [230.4, 115.2, 115.2],  # cathode, centre: no transverse pull and no drift shift
        [230.4, 230.4, 230.4],  # corner: the field cage holds the potential, no pull
    ], **D64)
    d = space_charge_displacement(pts, a, CUBE, CUBE_BOX, SLOPE)
    torch.testing.assert_close(d[0], torch.tensor([0.0, -4.0, 0.0], **D64), atol=1e-12, rtol=0)
    torch.testing.assert_close(d[1], torch.zeros(3, **D64), atol=1e-12, rtol=0)
    torch.testing.assert_close(d[2], torch.tensor([4.0 * SLOPE / 2, 0.0, 0.0], **D64), atol=1e-12, rtol=0)
    torch.testing.assert_close(d[3], torch.zeros(3, **D64), atol=1e-12, rtol=0)
    torch.testing.assert_close(d[4], torch.zeros(3, **D64), atol=1e-12, rtol=0)


def test_unequal_box_scales_by_half_widths_and_follows_the_anode_side():
    # Drift along -z from an anode at z = 50 cm; y half-width 20 cm, x half-width 40 cm.
    geometry = DriftGeometry(drift_axis=2, anode=50.0, max_drift=50.0, direction=-1)
    box = ((-40.0, 40.0), (0.0, 40.0))
    pts = torch.tensor([[40.0, 20.0, 0.0], [0.0, 40.0, 0.0], [0.0, 20.0, 25.0]], **D64)
    d = space_charge_displacement(pts, torch.full((3,), 2.0, **D64), geometry, box, 0.5)
    torch.testing.assert_close(d[0], torch.tensor([-1.0, 0.0, 0.0], **D64), atol=1e-12, rtol=0)  # 2 * 20 / 40
    torch.testing.assert_close(d[1], torch.tensor([0.0, -2.0, 0.0], **D64), atol=1e-12, rtol=0)  # narrow axis: A
    # Drift shift away from the anode (towards -z here): A k h_min / L = 2 * 0.5 * 20 / 50.
    torch.testing.assert_close(d[2], torch.tensor([0.0, 0.0, -0.4], **D64), atol=1e-12, rtol=0)


@given(st.integers(0, 2**31 - 1))
def test_linear_in_amplitude_and_pointwise(seed):
    # Per-point amplitudes (gathered from per-event values): batched == each event alone.
    x = cube_points(60, seed)
    batch = torch.arange(3).repeat_interleave(20)
    per_event = torch.tensor([0.0, 1.5, 6.0], **D64)
    d = space_charge_displacement(x, per_event[batch], CUBE, CUBE_BOX, SLOPE)
    for b in range(3):
        alone = space_charge_displacement(x[batch == b], per_event[b].expand(20), CUBE, CUBE_BOX, SLOPE)
        assert torch.equal(d[batch == b], alone)
    unit = space_charge_displacement(x, torch.ones(60, **D64), CUBE, CUBE_BOX, SLOPE)
    torch.testing.assert_close(d, unit * per_event[batch][:, None])


def test_moves_charge_without_losing_any():
    # Displaced deposits stay inside the volume (the map is monotone for A < 2 h / pi), so the
    # voxelised charge of an event is the same with and without space charge.
    from augment import Events

    x = cube_points(2000, 3)
    q = torch.rand(2000, 1, generator=torch.Generator().manual_seed(4), **D64)
    moved = x + space_charge_displacement(x, torch.full((2000,), 10.0, **D64), CUBE, CUBE_BOX, SLOPE)
    assert ((moved >= 0) & (moved <= 230.4)).all()
    before = Events(x, q, torch.zeros(2000, dtype=torch.int64), 1).voxelize(0.38)
    after = Events(moved, q, torch.zeros(2000, dtype=torch.int64), 1).voxelize(0.38)
    torch.testing.assert_close(after.feats.sum(), before.feats.sum())
    assert not torch.equal(moved, x)


def test_points_outside_the_transverse_box_raise():
    x = torch.tensor([[10.0, 240.0, 10.0]], **D64)
    with pytest.raises(ValueError, match="coords: expected positions on axes \\[1, 2\\] inside the transverse box"):
        space_charge_displacement(x, torch.ones(1, **D64), CUBE, CUBE_BOX, SLOPE)


def test_amplitude_scales_microboone_to_the_geometry():
    from systematics.functional.space_charge import space_charge_amplitude

    # MicroBooNE itself: 15 cm at density 1; the 230.4 cm cube at 0.50 kV/cm: 15 x 0.729 x 0.357 = 3.91 cm.
    assert space_charge_amplitude(1.0, 256.0, 0.273) == pytest.approx(15.0)
    assert space_charge_amplitude(1.0, 230.4, 0.50) == pytest.approx(3.909, abs=1e-3)
    assert space_charge_amplitude(0.5, 230.4, 0.50) == pytest.approx(3.909 / 2, abs=1e-3)
    # Eight times the drift length, 8^3 = 512 times the offsets; twice the field, 2^-1.7 = 0.31 times.
    assert space_charge_amplitude(1.0, 8 * 30.0, 0.5) / space_charge_amplitude(1.0, 30.0, 0.5) == pytest.approx(512.0)
    assert space_charge_amplitude(1.0, 100.0, 1.0) / space_charge_amplitude(1.0, 100.0, 0.5) == pytest.approx(2 ** -1.7)
    assert space_charge_amplitude(0.0, 230.4, 0.5) == 0.0
