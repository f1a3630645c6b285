"""The CPU readout kernel (systematics.functional.readout_cpu) against the torch path
(read_channels then digitise): the same voxels, charges, events and drop counts, bit for bit."""

from unittest import mock

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from systematics.functional.channels import CHANNEL_PARAMETERS, channel_draws, read_channels
from systematics.functional.readout import Voxels, digitise
from systematics.functional.readout_cpu import channel_draws_cpu, read_out_cpu


def _voxels(seed: int, num_events: int, per_event: int, span: int, dtype: torch.dtype) -> Voxels:
    """Collected-like voxels: each event's distinct voxel indices in a box of ``span`` voxels, sorted."""
    g = torch.Generator().manual_seed(seed)
    rows, events = [], []
    for b in range(num_events):
        n = int(torch.randint(0, per_event + 1, (), generator=g))
        v = torch.unique(torch.randint(-span, span, (n, 3), generator=g), dim=0)
        rows.append(v)
        events.append(torch.full((len(v),), b))
    voxel = torch.cat(rows) if rows else torch.zeros(0, 3, dtype=torch.int64)
    batch = torch.cat(events) if events else torch.zeros(0, dtype=torch.int64)
    charge = (torch.empty(len(batch), dtype=torch.float64).exponential_(1 / 4000.0, generator=g)).to(dtype)
    return Voxels(voxel, charge, batch, torch.randint(0, 3, (num_events,), generator=g))


def _values(seed: int, num_events: int, channels: bool) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed + 1)
    values = {}
    for key, top in zip(CHANNEL_PARAMETERS, (0.3, 0.3, 0.2)):
        x = torch.rand(num_events, generator=g) * top
        values[key] = torch.where(torch.rand(num_events, generator=g) < 0.3, 0.0, x) if channels else x * 0
    return values


def _torch_path(voxels, values, seed, drift_axis, noise, noisy_noise, threshold, tpc=None, num_tpcs=1):
    voxels, rms = read_channels(voxels, values, seed, drift_axis, noise, noisy_noise, tpc, num_tpcs)
    return digitise(voxels, threshold, rms, seed)


@given(st.integers(0, 2**31 - 1), st.integers(1, 6), st.sampled_from([0, 1, 40]), st.sampled_from([2, 30]),
       st.booleans(), st.sampled_from([0.0, 800.0]), st.sampled_from([0.0, 1500.0]), st.sampled_from([0.0, 5000.0]),
       st.sampled_from([0, 1, 2]), st.sampled_from([1, 3]), st.sampled_from([torch.float32, torch.float64]))
def test_readout_kernel_equals_the_torch_path_bit_for_bit(seed, num_events, per_event, span, channels, noise,
                                                          noisy_noise, threshold, drift_axis, num_tpcs, dtype):
    voxels = _voxels(seed, num_events, per_event, span, dtype)
    values = _values(seed, num_events, channels)
    noise_seed = torch.randint(-2**62, 2**62, (num_events,), generator=torch.Generator().manual_seed(seed + 2))
    tpc = None if num_tpcs == 1 else voxels.voxel[:, drift_axis].remainder(num_tpcs)
    args = (values, noise_seed, drift_axis, noise, noisy_noise, threshold, tpc, num_tpcs)
    kernel = read_out_cpu(voxels, *args)
    reference = _torch_path(voxels, *args)
    for a, b in zip(kernel, reference):
        assert a.dtype == b.dtype and torch.equal(a, b)


def test_readout_kernel_drops_only_what_it_counts():
    """Every collected voxel is either read out or counted in ``dropped`` (threshold, dead channels)."""
    voxels = _voxels(3, 8, 200, 30, torch.float32)
    values = _values(3, 8, True)
    out = read_out_cpu(voxels, values, torch.arange(8), 2, 800.0, 1500.0, 5000.0)
    assert 0 < len(out.charge) < len(voxels.charge)
    kept = torch.bincount(out.batch, minlength=8)
    collected = torch.bincount(voxels.batch, minlength=8)
    assert torch.equal(kept + out.dropped - voxels.dropped, collected)
    assert (out.charge >= 5000.0).all()


def test_readout_kernel_declines_what_it_does_not_handle():
    """Half precision and voxel indices past pack_keys's range take the torch path (None), which
    raises its error naming the keys."""
    voxels = _voxels(5, 2, 20, 4, torch.float32)
    values = _values(5, 2, False)
    seed = torch.arange(2)
    assert read_out_cpu(voxels._replace(charge=voxels.charge.half()), values, seed, 2, 800.0, 0.0, 0.0) is None
    far = voxels._replace(voxel=voxels.voxel + 2**21, charge=voxels.charge + 1e4)
    assert read_out_cpu(far, values, seed, 2, 800.0, 0.0, 0.0) is None
    with pytest.raises(ValueError, match="keys"):
        _torch_path(far, values, seed, 2, 800.0, 0.0, 0.0)


def test_readout_kernel_names_a_missing_seed():
    voxels = _voxels(7, 2, 20, 4, torch.float32)
    with pytest.raises(ValueError, match="noise_seed"):
        read_out_cpu(voxels, _values(7, 2, False), None, 2, 800.0, 0.0, 5000.0)
    with pytest.raises(ValueError, match="noise_seed"):
        read_out_cpu(voxels, _values(7, 2, True), None, 2, 0.0, 0.0, 5000.0)


def test_response_with_the_kernel_equals_the_response_with_the_torch_readout():
    """The whole response (every channel parameter thrown, noise, threshold) is the same with the
    CPU readout kernel as with the torch readout, bit for bit."""
    from augment import DetectorThrow, DetectorResponse
    from augment.testing import assert_events_equal
    from systematics.functional import chain
    from tests.systematics.deposits import track

    thrown = DetectorThrow()(track(), 5)
    response = DetectorResponse()
    kernel = response(thrown, 11)
    with mock.patch.object(chain, "read_out_cpu", lambda *args, **kwargs: None):
        reference = response(thrown, 11)
    assert kernel.num_points > 0
    assert_events_equal(kernel, reference)


@given(st.integers(0, 2**31 - 1), st.integers(1, 5), st.sampled_from([0, 1, 2]), st.sampled_from([1, 3]),
       st.sampled_from([torch.float32, torch.float64]))
def test_channel_draws_kernel_equals_the_torch_draws(seed, num_events, drift_axis, num_tpcs, dtype):
    """Per voxel, its channel's gain, noisy flag and alive flag: the numba pass gives the torch draws' bits."""
    voxels = _voxels(seed, num_events, 60, 6, dtype)
    values = _values(seed, num_events, True)
    noise_seed = torch.randint(-2**62, 2**62, (num_events,), generator=torch.Generator().manual_seed(seed + 2))
    tpc = None if num_tpcs == 1 else voxels.voxel[:, drift_axis].remainder(num_tpcs)
    args = (voxels.voxel, noise_seed, drift_axis, *(values[k] for k in CHANNEL_PARAMETERS), dtype, voxels.batch,
            tpc, num_tpcs)
    got, expected = channel_draws_cpu(*args), channel_draws(*args)
    for a, b in zip(got[1:], expected[1:]):
        a, b = a.index_select(0, got.entry), b.index_select(0, expected.entry)
        assert a.dtype == b.dtype and torch.equal(a.view(torch.uint8), b.view(torch.uint8))


@pytest.mark.parametrize("name, bad", [("dead_fraction", 1.5), ("noisy_fraction", -0.1), ("gain_spread", -0.2)])
def test_channel_tables_out_of_range_raise_naming_them(name, bad):
    """A bad value of any event raises, on the kernel and on the torch path alike."""
    voxels = _voxels(1, 3, 20, 6, torch.float32)
    values = _values(1, 3, True)
    values[name] = values[name].clone()
    values[name][2] = bad
    args = (values, torch.arange(3), 2, 800.0, 1500.0, 5000.0)
    with pytest.raises(ValueError, match=name):
        read_out_cpu(voxels, *args)
    with pytest.raises(ValueError, match=name):
        _torch_path(voxels, *args)


def test_channel_index_past_the_packing_range_raises_as_the_torch_path():
    voxels = _voxels(2, 2, 20, 4, torch.float32)
    far = voxels._replace(voxel=voxels.voxel + torch.tensor([2**31, 0, 0]))
    args = (_values(2, 2, True), torch.arange(2), 2, 800.0, 1500.0, 5000.0)
    with pytest.raises(ValueError, match="keys: expected each of the 2 columns"):
        read_out_cpu(far, *args)
    with pytest.raises(ValueError, match="keys: expected each of the 2 columns"):
        _torch_path(far, *args)


def test_read_out_without_the_kernel_takes_the_torch_path():
    """``kernel=False`` (bench/detector.py's baseline) never calls the CPU kernel and gives its bits."""
    from augment import DetectorResponse
    from systematics.functional import chain

    response = DetectorResponse()
    voxels = _voxels(4, 3, 40, 20, torch.float32)
    values = {k: torch.full((3,), 0.05) for k in CHANNEL_PARAMETERS}
    seed = torch.arange(3)
    expected = chain.read_out(voxels, values, seed, response.geometry, response.readout)
    with mock.patch.object(chain, "read_out_cpu", side_effect=AssertionError("kernel called")):
        got = chain.read_out(voxels, values, seed, response.geometry, response.readout, kernel=False)
    for a, b in zip(got, expected):
        assert a.dtype == b.dtype and torch.equal(a, b)
