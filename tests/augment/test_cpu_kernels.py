"""The numba CPU kernels (augment/functional/cpu.py) give their callers' torch paths' results bit for bit,
and are used only where they apply (CPU, float32/float64/int64, autograd not recording)."""

from contextlib import ExitStack, contextmanager
from unittest import mock

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events, Rotate
from augment import functional as F
from augment.functional import cpu
from tests.strategies import events_strategy

_CALLERS = ("augment.functional.geometric", "augment.functional.sampling", "augment.functional.energy",
            "augment.functional.reduce",
            "augment.functional.jets", "augment._events")


@contextmanager
def torch_path():
    """Every caller takes its torch path, as on other devices."""
    with ExitStack() as stack:
        for caller in _CALLERS:
            stack.enter_context(mock.patch(f"{caller}.use_cpu_kernel", lambda *t: False))
        yield


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.contiguous().view(torch.uint8),
                                                                     b.contiguous().view(torch.uint8))


@given(st.data(), st.sampled_from([2, 3]), st.sampled_from([torch.float32, torch.float64]), st.booleans())
def test_affine_kernel_equals_torch_path(data, dims, dtype, translation):
    ev = data.draw(events_strategy(dims=dims, dtype=dtype))
    params = Rotate().sample(ev, 0)
    R = None if translation else params["matrix"]
    t = F.rotation_offsets(params["matrix"], params["centre"])
    got = F.affine(ev.coords, ev.batch, R, t)
    with torch_path():
        expected = F.affine(ev.coords, ev.batch, R, t)
    assert same_bits(got, expected)


@given(events_strategy(), st.integers(0, 2 ** 31 - 1), st.booleans())
def test_select_points_kernel_equals_torch_path(ev, seed, voxel_indices):
    keep = torch.rand(ev.num_points, generator=torch.Generator().manual_seed(seed)) < 0.6
    coords = ev.coords.floor().long() if voxel_indices else ev.coords
    got = F.select_points(coords, ev.feats, ev.batch, keep)
    with torch_path():
        expected = F.select_points(coords, ev.feats, ev.batch, keep)
    assert all(same_bits(a, b) for a, b in zip(got, expected))


@given(st.data(), st.sampled_from([(0,), (1,), (0, 1), (-1, 0), (0, 0)]), st.sampled_from([torch.float32, torch.float64]))
def test_scale_features_kernel_equals_torch_path(data, columns, dtype):
    ev = data.draw(events_strategy(dtype=dtype))
    factors = torch.rand(ev.num_points, generator=torch.Generator().manual_seed(1), dtype=dtype)
    got = F.scale_features(ev.feats, factors, columns)
    with torch_path():
        expected = F.scale_features(ev.feats, factors, columns)
    assert same_bits(got, expected)


@given(st.data(), st.sampled_from([(0,), (0, 1), (-1, 0), (0, 0)]), st.sampled_from([torch.float32, torch.float64]))
def test_scale_features_per_event_kernel_equals_gathered_factors(data, columns, dtype):
    """Per-event factors read through batch: the bits of the gathered (N,) factors, kernel and torch path."""
    ev = data.draw(events_strategy(dtype=dtype))
    factors = torch.rand(ev.num_events, generator=torch.Generator().manual_seed(2), dtype=dtype) + 0.5
    expected = F.scale_features(ev.feats, factors[ev.batch], columns)
    assert same_bits(F.scale_features(ev.feats, factors, columns, ev.batch), expected)
    with torch_path():
        assert same_bits(F.scale_features(ev.feats, factors, columns, ev.batch), expected)


def test_scale_features_per_event_index_out_of_range_raises_as_torch():
    feats, factors = torch.ones(3, 2), torch.ones(2)
    assert cpu.scale_features_cpu(feats, factors, (0,), torch.tensor([0, 1, 2])) is None
    with pytest.raises(IndexError):
        F.scale_features(feats, factors, (0,), torch.tensor([0, 1, 2]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_validation_kernel_finds_what_the_torch_path_finds(dtype, bad):
    coords, feats, batch = torch.zeros(5, 3, dtype=dtype), torch.ones(5, 2, dtype=dtype), torch.tensor([0, 0, 1, 1, 1])
    assert cpu.check_values_cpu(coords, feats, batch) == (True, True, False, 0, 1)
    for name in ("coords", "feats"):
        ev = Events(coords.clone(), feats.clone(), batch, 2)
        getattr(ev, name)[3, 1] = bad  # written in place after construction, as validate() must catch
        with pytest.raises(ValueError, match=f"{name}: expected finite"):
            ev.validate()
        with torch_path(), pytest.raises(ValueError, match=f"{name}: expected finite"):
            ev.validate()
    assert cpu.check_values_cpu(coords, feats, torch.tensor([0, 1, 1, 0, 2])) == (True, True, True, 0, 2)
    assert cpu.check_values_cpu(coords.long(), feats[:0], batch[:0]) == (True, True, False, 0, 0)


def test_kernels_only_where_they_apply():
    x = torch.ones(3, 2)
    assert cpu.use_cpu_kernel(x, torch.zeros(3, dtype=torch.int64), torch.ones(3, dtype=torch.bool))
    assert not cpu.use_cpu_kernel(x.half())
    assert not cpu.use_cpu_kernel(x, x.double())  # mixed float dtypes: torch promotes
    assert not cpu.use_cpu_kernel(x.requires_grad_())
    with torch.no_grad():
        assert cpu.use_cpu_kernel(x)
    assert cpu.affine_cpu(torch.ones(2, 2), torch.tensor([0, 3]), None, torch.zeros(1, 2)) is None  # bad index
    assert cpu.keep_at_least_cpu(torch.ones(2), torch.zeros(1), torch.tensor([0, 1])) is None
    assert cpu.soft_smear_cpu(torch.zeros(3, 2), torch.ones(3), torch.zeros(2, 2), 0.1, 0.1) is None  # short noise
    with pytest.raises(RuntimeError):  # the torch path's broadcasting error
        F.soft_smear(torch.zeros(3, 2), torch.ones(3, 1), torch.zeros(2, 2), 0.1, 0.1)
    with pytest.raises(IndexError):  # the torch path's error
        F.keep_at_least(torch.ones(2), torch.zeros(1), torch.tensor([0, 1]), 1)


@given(st.data(), st.integers(0, 2 ** 31 - 1), st.sampled_from([(0,), (0, 1), (0, 0), (0, -1)]),
       st.sampled_from([torch.float32, torch.float64]))
def test_collinear_split_kernel_equals_torch_path(data, seed, pt_columns, dtype):
    ev = data.draw(events_strategy(dims=2, dtype=dtype))
    g = torch.Generator().manual_seed(seed)
    split, r = torch.rand(ev.num_points, generator=g) < 0.5, torch.rand(ev.num_points, generator=g, dtype=dtype)
    got = F.collinear_split(ev.coords, ev.feats, ev.batch, split, r, pt_columns)
    with torch_path():
        expected = F.collinear_split(ev.coords, ev.feats, ev.batch, split, r, pt_columns)
    assert all(same_bits(a, b) for a, b in zip(got, expected))


@given(st.integers(0, 40), st.integers(1, 5), st.integers(1, 4), st.booleans(),
       st.sampled_from([torch.float32, torch.float64]), st.integers(0, 2 ** 31 - 1))
def test_affine_kernel_any_dimension_equals_torch_path(points, dims, num_events, translation, dtype, seed):
    """The kernel is compiled per D (loops unrolled): every D, not only the 2 and 3 of the transforms."""
    g = torch.Generator().manual_seed(seed)
    coords = torch.randn(points, dims, generator=g, dtype=dtype) * 10
    batch = torch.randint(0, num_events, (points,), generator=g).sort().values
    matrices = None if translation else torch.randn(num_events, dims, dims, generator=g, dtype=dtype)
    offsets = torch.randn(num_events, dims, generator=g, dtype=dtype)
    got = F.affine(coords, batch, matrices, offsets)
    with torch_path():
        expected = F.affine(coords, batch, matrices, offsets)
    assert same_bits(got, expected)


@given(st.integers(0, 40), st.integers(1, 4), st.integers(0, 3), st.integers(0, 2 ** 31 - 1))
def test_select_points_kernel_any_row_length_equals_torch_path(points, dims, columns, seed):
    g = torch.Generator().manual_seed(seed)
    coords, feats = torch.randn(points, dims, generator=g), torch.randn(points, columns, generator=g).double()
    batch = torch.randint(0, 3, (points,), generator=g).sort().values
    keep = torch.rand(points, generator=g) < 0.5
    got = F.select_points(coords, feats.float(), batch, keep)
    with torch_path():
        expected = F.select_points(coords, feats.float(), batch, keep)
    assert all(same_bits(a, b) for a, b in zip(got, expected))


@given(st.lists(st.integers(0, 30), min_size=1, max_size=6), st.sampled_from([(), (1,), (3,), (2, 2), (5,), (0,)]),
       st.sampled_from([torch.float32, torch.float64]), st.integers(0, 2 ** 31 - 1))
def test_segment_sum_kernel_equals_segment_reduce(counts, inner, dtype, seed):
    """Every entry summed row after row from 0, as segment_reduce: the same bits (empty events give 0)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(counts)
    values = torch.randn(int(lengths.sum()), *inner, generator=g, dtype=dtype) * 1e3
    values[::3] = values[::3] * 1e-6  # magnitudes apart: the order of the sum shows in the bits
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)])
    got = cpu.segment_sum_cpu(values, offsets)
    if values.numel():
        assert same_bits(got, torch.segment_reduce(values, "sum", lengths=lengths, axis=0))
    batch = torch.repeat_interleave(torch.arange(len(counts)), lengths)
    with torch_path():
        expected = F.event_sum(values, batch, len(counts))
    assert same_bits(F.event_sum(values, batch, len(counts)), expected)


@given(events_strategy(), st.floats(0.0, 1.0), st.integers(0, 2 ** 31 - 1))
def test_keep_at_least_kernel_equals_torch_path(ev, level, seed):
    """The comparison, and the refill of the events it would empty (high thresholds), as the torch path."""
    g = torch.Generator().manual_seed(seed)
    key = torch.rand(ev.num_points, generator=g)
    thresholds = torch.rand(ev.num_events, generator=g) * level + (1 - level)  # up to 1: every event emptied
    got = F.keep_at_least(key, thresholds, ev.batch, ev.num_events)
    with torch_path():
        expected = F.keep_at_least(key, thresholds, ev.batch, ev.num_events)
    assert same_bits(got, expected)
    counts = torch.bincount(ev.batch[got], minlength=ev.num_events)
    assert bool(((counts > 0) | (torch.bincount(ev.batch, minlength=ev.num_events) == 0)).all())


@given(st.data(), st.sampled_from([torch.float32, torch.float64]), st.floats(1e-3, 10.0), st.floats(1e-3, 1.0),
       st.integers(0, 2 ** 31 - 1))
def test_soft_smear_kernel_equals_torch_path(data, dtype, scale, pt_min, seed):
    """Widths, shifts and the phi wrap (constituents pushed across +-pi) as the torch path, bit for bit."""
    ev = data.draw(events_strategy(dims=2, dtype=dtype))
    noise = torch.randn(ev.num_points, 2, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 50
    feats = ev.feats.abs()
    got = F.soft_smear(ev.coords, feats, noise, scale, pt_min)
    with torch_path():
        expected = F.soft_smear(ev.coords, feats, noise, scale, pt_min)
    assert same_bits(got, expected)


@pytest.mark.parametrize("scale, pt_min", [(0.0, 0.1), (0.1, 0.0)])
def test_soft_smear_kernel_equals_torch_path_at_zero_scale_and_floor(scale, pt_min):
    """Regression: the kernel once took its 1 as scale / scale, NaN for scale = 0 (torch gives 0 widths);
    a zero pT under a zero floor gives an infinite width on both paths."""
    coords, noise = torch.tensor([[0.5, 3.0], [-1.0, -3.1]]), torch.tensor([[0.3, -0.2], [1.0, 0.5]])
    pt = torch.tensor([[2.0], [0.0]])
    got = F.soft_smear(coords, pt, noise, scale, pt_min)
    with torch_path():
        assert same_bits(got, F.soft_smear(coords, pt, noise, scale, pt_min))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_soft_smear_kernel_equals_vectorised_torch_path(dtype):
    """Thousands of constituents: torch's vectorised loops (not only its scalar tail) are matched."""
    g = torch.Generator().manual_seed(7)
    coords = torch.stack([torch.randn(4099, generator=g), torch.rand(4099, generator=g) * 6.2 - 3.1], 1).to(dtype)
    pt, noise = torch.rand(4099, 1, generator=g, dtype=dtype) * 5, torch.randn(4099, 2, generator=g, dtype=dtype) * 9
    got = F.soft_smear(coords, pt, noise, 0.1, 0.1)
    with torch_path():
        assert same_bits(got, F.soft_smear(coords, pt, noise, 0.1, 0.1))
