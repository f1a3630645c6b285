"""Modular drift geometry (docs/physics.md section 1.10): TPCs stacked along the drift axis with
alternating drift direction; drift time, reconstructed position and space charge per TPC."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events
from systematics import DetectorParams, DetectorResponse, DriftGeometry, ReadoutConfig
from systematics.functional.drift import drift_frame, drift_time, drift_velocity, reconstruct_drift_coords
from systematics.functional.space_charge import space_charge_displacement, space_charge_shift, velocity_field_slope

D64 = dict(dtype=torch.float64)
SLOPE = velocity_field_slope(0.5)
BOX = ((0.0, 230.4), (0.0, 230.4))
# The studies' readout of the toy gun's cube (training.studies.tasks.LARTPC_GEOMETRY): two modules.
MODULES = DriftGeometry(drift_axis=0, anode=0.0, max_drift=57.6, num_tpcs=4, transverse=BOX)


def on_axis(x, axis: int = 0, dtype=torch.float64) -> torch.Tensor:
    """Points at positions ``x`` along ``axis``, 100 cm on the two other axes."""
    coords = torch.full((len(x), 3), 100.0, dtype=dtype)
    coords[:, axis] = torch.tensor(x, dtype=dtype)
    return coords


def test_hand_values_four_tpcs():
    # anode 0 | cathode 10 | anode 20 | cathode 30 | anode 40, L = 10 cm.
    g = DriftGeometry(drift_axis=0, anode=0.0, max_drift=10.0, num_tpcs=4)
    x = [0.0, 3.0, 10.0, 13.0, 20.0, 25.0, 30.0, 38.0, 40.0]
    frame = drift_frame(on_axis(x), g)
    torch.testing.assert_close(frame.distance, torch.tensor([0.0, 3.0, 10.0, 7.0, 0.0, 5.0, 10.0, 2.0, 0.0], **D64))
    assert frame.anode[[1, 3, 5, 7]].tolist() == [0.0, 20.0, 20.0, 40.0]
    assert frame.sign[[1, 3, 5, 7]].tolist() == [1.0, -1.0, 1.0, -1.0]
    # Anode and cathode planes, whichever TPC they are assigned to: x = anode + sign * distance.
    torch.testing.assert_close(frame.anode + frame.sign * frame.distance, torch.tensor(x, **D64))
    v = torch.full((9,), 0.1596, **D64)
    torch.testing.assert_close(drift_time(on_axis(x), g, v), frame.distance / 0.1596)


def test_hand_values_reversed_direction_along_z():
    # First anode at z = 40 cm drifting towards -z: the mirror image of the test above.
    g = DriftGeometry(drift_axis=2, anode=40.0, max_drift=10.0, direction=-1, num_tpcs=4)
    z = [40.0, 37.0, 30.0, 27.0, 20.0, 15.0, 10.0, 2.0, 0.0]
    frame = drift_frame(on_axis(z, axis=2), g)
    torch.testing.assert_close(frame.distance, torch.tensor([0.0, 3.0, 10.0, 7.0, 0.0, 5.0, 10.0, 2.0, 0.0], **D64))
    assert frame.anode[[1, 3, 5, 7]].tolist() == [40.0, 20.0, 20.0, 0.0]
    assert frame.sign[[1, 3, 5, 7]].tolist() == [-1.0, 1.0, -1.0, 1.0]


def test_odd_number_of_tpcs_ends_on_a_cathode():
    g = DriftGeometry(drift_axis=0, anode=0.0, max_drift=46.08, num_tpcs=5)
    frame = drift_frame(on_axis([184.32, 200.0, 230.4]), g)
    torch.testing.assert_close(frame.distance, torch.tensor([0.0, 200.0 - 184.32, 46.08], **D64))
    assert frame.sign.tolist() == [1.0, 1.0, 1.0]


@st.composite
def geometry_and_points(draw, dtype=torch.float64, max_tpcs: int = 6):
    """A geometry (any axis, anode, direction, drift length, TPC count) and points inside it,
    shared planes included."""
    n = draw(st.integers(1, max_tpcs))
    length = draw(st.floats(0.5, 300.0))
    g = DriftGeometry(drift_axis=draw(st.integers(0, 2)), anode=draw(st.floats(-500.0, 500.0)), max_drift=length,
                      direction=draw(st.sampled_from([1, -1])), num_tpcs=n, transverse=BOX)
    fractions = draw(st.lists(st.one_of(st.floats(0.0, 1.0), st.integers(0, 2 * n).map(lambda k: k / (2 * n))),
                              min_size=1, max_size=40))
    s = torch.tensor(fractions, dtype=torch.float64) * n * length
    coords = torch.full((len(s), 3), 100.0, dtype=torch.float64)
    coords[:, g.drift_axis] = g.anode + g.direction * s
    coords = coords.to(dtype)
    inside = g.direction * (coords[:, g.drift_axis] - g.anode)
    keep = (inside >= 0) & (inside <= n * length)  # rounding to float32 may step out by an ulp
    return g, coords[keep]


@given(geometry_and_points())
def test_distance_in_range_and_consistent(case):
    g, coords = case
    frame = drift_frame(coords, g)
    assert ((frame.distance >= 0) & (frame.distance <= g.max_drift)).all()
    x = coords[:, g.drift_axis]
    tol = 1e-9 * (abs(g.anode) + g.num_tpcs * g.max_drift)
    torch.testing.assert_close(frame.anode + frame.sign * frame.distance, x, atol=tol, rtol=0)
    # The anode is one of the anode planes: s = 0, 2L, 4L, ... (and nL for odd n is a cathode).
    k = g.direction * (frame.anode - g.anode) / g.max_drift
    assert ((k - k.round()).abs() < 1e-9).all() and (k.round() % 2 == 0).all()
    assert ((k.round() >= 0) & (k.round() <= g.num_tpcs)).all()


def old_drift_time(coords, geometry, velocity):
    """The single-TPC drift time before modular geometries (reference for bit-for-bit equality)."""
    return geometry.direction * (coords[:, geometry.drift_axis] - geometry.anode) / velocity


def old_reconstruct(coords, geometry, scale):
    axis = geometry.drift_axis
    out = coords.clone()
    out[:, axis] = geometry.anode + (coords[:, axis] - geometry.anode) * scale
    return out


# space_charge_displacement (amplitude 3 cm, BOX, SLOPE) of single-TPC geometries as computed before
# modular geometries (main at b77ca44), float64 and float32, as float.hex.
SINGLE_TPC_SPACE_CHARGE = [
    (DriftGeometry(drift_axis=0, anode=0.0, max_drift=230.4),
     [[12.5, 30.0, 200.0], [115.2, 115.2, 115.2], [230.4, 7.0, 100.0], [0.0, 50.0, 60.0]],
     [["0x1.4e3cdfa8525c6p-6", "0x1.072d9b8c458c4p-7", "-0x1.034b2a5164a0bp-7"],
      ["0x1.80687472c9509p-1", "-0x0.0p+0", "-0x0.0p+0"],
      ["0x1.3c5e666f5326ep-57", "0x1.76124f9e440fbp+1", "0x1.e1f6b21899aeap-5"],
      ["0x0.0p+0", "0x0.0p+0", "0x0.0p+0"]],
     [["0x1.4e3cd60000000p-6", "0x1.072db80000000p-7", "-0x1.034b480000000p-7"],
      ["0x1.8068720000000p-1", "-0x0.0p+0", "-0x0.0p+0"],
      ["-0x1.a4aa6a0000000p-28", "0x1.7612500000000p+1", "0x1.e1f6900000000p-5"],
      ["0x0.0p+0", "0x0.0p+0", "0x0.0p+0"]]),
    (DriftGeometry(drift_axis=2, anode=150.0, max_drift=120.0, direction=-1),
     [[40.0, 200.0, 100.0], [115.2, 3.0, 31.7], [220.0, 115.2, 149.0]],
     [["0x1.87fc0243adab0p-2", "-0x1.0e4a8e51b25e5p-1", "-0x1.29e78aefbf48fp-2"],
      ["-0x0.0p+0", "0x1.7f7d224d73760p+1", "-0x1.57c69c8a69f2bp-9"],
      ["-0x1.0ac915433a7bfp-11", "-0x0.0p+0", "-0x1.5d840d4156d33p-8"]],
     [["0x1.87fbf80000000p-2", "-0x1.0e4a8e0000000p-1", "-0x1.29e7840000000p-2"],
      ["-0x0.0p+0", "0x1.7f7d240000000p+1", "-0x1.57c64c0000000p-9"],
      ["-0x1.0ac7820000000p-11", "-0x0.0p+0", "-0x1.5d83fa0000000p-8"]]),
]


@pytest.mark.parametrize("geometry, points, hex64, hex32", SINGLE_TPC_SPACE_CHARGE)
def test_one_tpc_space_charge_is_bit_identical_to_before(geometry, points, hex64, hex32):
    for dtype, expected in ((torch.float64, hex64), (torch.float32, hex32)):
        x = torch.tensor(points, dtype=dtype)
        d = space_charge_displacement(x, torch.full((len(points),), 3.0, dtype=dtype), geometry, BOX, SLOPE)
        want = torch.tensor([[float.fromhex(v) for v in row] for row in expected], dtype=dtype)
        assert torch.equal(d, want) and torch.equal(d.signbit(), want.signbit())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@given(data=st.data())
def test_one_tpc_is_bit_identical_to_the_single_drift(dtype, data):
    g, coords = data.draw(geometry_and_points(dtype=dtype, max_tpcs=1))
    n = len(coords)
    v = torch.rand(n, generator=torch.Generator().manual_seed(n), dtype=dtype) * 0.1 + 0.1
    scale = torch.rand(n, generator=torch.Generator().manual_seed(n + 1), dtype=dtype) * 0.2 + 0.9
    assert torch.equal(drift_time(coords, g, v), old_drift_time(coords, g, v))
    assert torch.equal(reconstruct_drift_coords(coords, g, scale), old_reconstruct(coords, g, scale))
    # What space charge takes from the geometry: u = distance / L and the sign along the drift.
    frame = drift_frame(coords, g)
    assert torch.equal(frame.distance, g.direction * (coords[:, g.drift_axis] - g.anode))
    assert (frame.sign == g.direction).all()


@given(geometry_and_points(), st.floats(-0.2, 0.2), st.floats(0.1, 20.0))
def test_space_charge_vanishes_on_anodes_and_its_drift_part_on_cathodes(case, transverse_fraction, amplitude):
    g, _ = case
    n, length = g.num_tpcs, g.max_drift
    planes = torch.arange(n + 1, dtype=torch.float64)
    coords = torch.full((n + 1, 3), 115.2 + 230.4 * transverse_fraction, dtype=torch.float64)
    coords[:, g.drift_axis] = g.anode + g.direction * planes * length
    d = space_charge_displacement(coords, torch.full((n + 1,), amplitude, **D64), g, BOX, SLOPE)
    anode = planes % 2 == 0
    tol = 1e-9 * amplitude
    assert (d[anode].abs() <= tol).all()
    assert (d[~anode, g.drift_axis].abs() <= tol).all()


def test_space_charge_mirrors_across_a_shared_cathode():
    # Charge made at the same distance on either side of the cathode at x = 57.6 cm: the same
    # transverse pull, the drift-axis shifts opposite (each away from its own anode).
    x = torch.tensor([[57.6 - 20.0, 60.0, 150.0], [57.6 + 20.0, 60.0, 150.0]], **D64)
    d = space_charge_shift(x, torch.ones(2, **D64), MODULES)
    torch.testing.assert_close(d[0, 1:], d[1, 1:], rtol=1e-12, atol=0)
    torch.testing.assert_close(d[0, 0], -d[1, 0], rtol=1e-12, atol=0)
    assert d[0, 0] > 0 and (d[0, 1:] != 0).all()
    # And it is that of a single 57.6 cm TPC: the amplitude scales with one TPC's drift.
    one = DriftGeometry(drift_axis=0, anode=0.0, max_drift=57.6, transverse=BOX)
    torch.testing.assert_close(d[:1], space_charge_shift(x[:1], torch.ones(1, **D64), one), rtol=1e-12, atol=0)


@given(geometry_and_points(), st.floats(0.8, 1.2))
def test_field_throw_keeps_anode_planes_and_stretches_each_tpc_about_its_anode(case, factor):
    g, coords = case
    scale = torch.full((len(coords),), factor, **D64)
    out = reconstruct_drift_coords(coords, g, scale)
    frame = drift_frame(coords, g)
    tol = 1e-9 * (abs(g.anode) + g.num_tpcs * g.max_drift)
    torch.testing.assert_close(out[:, g.drift_axis], frame.anode + frame.sign * frame.distance * factor, atol=tol,
                               rtol=0)
    others = [a for a in range(3) if a != g.drift_axis]
    assert torch.equal(out[:, others], coords[:, others])
    planes = torch.arange(0, g.num_tpcs + 1, 2, dtype=torch.float64)
    anodes = torch.full((len(planes), 3), 100.0, **D64)
    anodes[:, g.drift_axis] = g.anode + g.direction * planes * g.max_drift
    moved = reconstruct_drift_coords(anodes, g, torch.full((len(planes),), factor, **D64))
    torch.testing.assert_close(moved, anodes, atol=tol, rtol=0)


@pytest.mark.parametrize("value", [0, -1, 2.0, True, None])
def test_num_tpcs_must_be_a_positive_int(value):
    with pytest.raises(ValueError, match="num_tpcs: expected an int >= 1"):
        DriftGeometry(num_tpcs=value)


@pytest.mark.parametrize("x", [-0.01, 230.41, math.nan])
def test_points_outside_the_stack_raise_naming_coords(x):
    coords = on_axis([10.0, x])
    match = r"coords: expected positions along axis 0 at a drift distance in \[0, 230.4\] cm .*4 TPC\(s\) of 57.6 cm"
    with pytest.raises(ValueError, match=match):
        drift_time(coords, MODULES, torch.ones(2, **D64))
    with pytest.raises(ValueError, match="coords: expected positions"):
        reconstruct_drift_coords(coords, MODULES, torch.ones(2, **D64))
    with pytest.raises(ValueError, match="coords: expected positions"):
        space_charge_displacement(coords, torch.ones(2, **D64), MODULES, BOX, SLOPE)


def test_beyond_the_first_tpc_is_inside_only_with_more_tpcs():
    coords = on_axis([100.0])
    with pytest.raises(ValueError, match=r"coords: expected .* in \[0, 57.6\] cm"):
        drift_time(coords, DriftGeometry(drift_axis=0, max_drift=57.6), torch.ones(1, **D64))
    torch.testing.assert_close(drift_time(coords, MODULES, torch.ones(1, **D64)), torch.tensor([15.2], **D64))


def _deposits(x: list[float]) -> Events:
    """One MIP-like deposit (0.63 MeV over 0.3 cm) per event at (x, 100, 120) cm."""
    coords = on_axis(x)
    coords[:, 2] = 120.0
    feats = torch.tensor([[0.63, 0.3]], **D64).expand(len(x), 2).clone()
    return Events(coords, feats, torch.arange(len(x)), len(x), feature_names=("dE", "dx"))


def test_response_near_a_shared_cathode():
    # Deposits 0.5 cm either side of the cathode at x = 57.6 cm drift 57.1 cm to opposite anodes
    # (x = 0 and x = 115.2 cm): the same attenuation at a short lifetime, unlike one long drift.
    events = _deposits([57.1, 58.1])
    quiet = ReadoutConfig(threshold=0.0, noise=0.0)
    short = DetectorParams.nominal().replace(lifetime=500.0)
    out = DetectorResponse(params=short, geometry=MODULES, readout=quiet)(events, 0)
    charge = torch.zeros(2, **D64).index_add_(0, out.batch, out.feats[:, 0])
    torch.testing.assert_close(charge[0], charge[1], rtol=1e-12, atol=0)
    one = DriftGeometry(drift_axis=0, anode=0.0, max_drift=230.4, transverse=BOX)
    single = DetectorResponse(params=short, geometry=one, readout=quiet)(events, 0)
    single_charge = torch.zeros(2, **D64).index_add_(0, single.batch, single.feats[:, 0])
    torch.testing.assert_close(single_charge[0], charge[0], rtol=1e-12, atol=0)  # TPC 0 is the same drift
    # In one long drift the far deposit drifts 58.1 cm instead of 57.1 cm: exp(-1 cm / v / 500 us) less.
    v = drift_velocity(torch.tensor(0.5, **D64), torch.tensor(87.17, **D64))
    torch.testing.assert_close(single_charge[1] / charge[1], torch.exp(-1.0 / v / 500.0), rtol=1e-9, atol=0)
    # A slower drift (field at the throw's low edge) stretches each TPC about its own anode: the
    # two deposits are reconstructed past the cathode, each on the other's side.
    slow = DetectorParams.nominal().replace(efield=0.45)
    stretched = DetectorResponse(params=slow, geometry=MODULES, readout=quiet)(events, 0)
    mean_x = torch.zeros(2, **D64).index_add_(0, stretched.batch, stretched.feats[:, 0] * stretched.coords[:, 0])
    mean_x = mean_x / torch.zeros(2, **D64).index_add_(0, stretched.batch, stretched.feats[:, 0])
    assert mean_x[0] > 57.6 + 2.0 and mean_x[1] < 57.6 - 2.0
    torch.testing.assert_close(mean_x[0] + mean_x[1], torch.tensor(115.2, **D64), atol=0.4, rtol=0)
