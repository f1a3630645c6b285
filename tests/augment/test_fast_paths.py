"""The fast paths give what the plain expressions they replace give (bench/transforms.py times them)."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events, Rotate
from augment import functional as F
from augment._gate import merge_gated
from augment._random import positive_normal, uniform
from tests.strategies import events_strategy


def test_to_points_is_advanced_indexing():
    batch = torch.tensor([0, 0, 2, 3, 3])
    for shape in [(4,), (4, 3), (4, 3, 3)]:
        values = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        assert torch.equal(F.to_points(values, batch), values[batch])
    assert F.to_points(torch.tensor([5.0, 6.0]), torch.tensor([1, 1, 0])).tolist() == [6.0, 6.0, 5.0]


@given(st.data(), st.sampled_from([2, 3]), st.sampled_from([torch.float32, torch.float64]))
def test_rotate_equals_per_point_matmul(data, dims, dtype):
    ev = data.draw(events_strategy(dims=dims, dtype=dtype))
    params = Rotate().sample(ev, 0)
    c = params["centre"][ev.batch]
    reference = torch.bmm(params["matrix"][ev.batch], (ev.coords - c)[:, :, None])[:, :, 0] + c
    got = F.rotate(ev.coords, ev.batch, params["matrix"], params["centre"])
    # coords in [-100, 100] cm: a few units in the last place of 100 (bit-identical on the CPU kernels seen)
    torch.testing.assert_close(got, reference, rtol=0, atol=1000 * torch.finfo(dtype).eps)


def test_rotate_2d_hand_values():
    coords = torch.tensor([[1.0, 0.0], [2.0, 1.0], [5.0, 5.0]])
    matrices = torch.tensor([[[0.0, -1.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])  # +90 degrees, identity
    centres = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    out = F.rotate(coords, torch.tensor([0, 0, 1]), matrices, centres)
    assert out.tolist() == [[2.0, 1.0], [1.0, 2.0], [5.0, 5.0]]


def test_merge_gated_selects_per_point_and_keeps_negative_zero():
    ev = Events(torch.tensor([[-0.0], [5.0], [6.0]]), torch.ones(3, 1), torch.tensor([0, 1, 1]), 2)
    moved = ev.replace(coords=torch.tensor([[1.0], [2.0], [3.0]]))
    out = merge_gated(ev, moved, torch.tensor([False, True]))
    assert out.coords.tolist() == [[-0.0], [2.0], [3.0]] and torch.signbit(out.coords[0, 0])
    assert out.feats is ev.feats  # untouched tensors are not copied


def test_merge_gated_takes_whole_events_when_points_change():
    ev = Events(torch.tensor([[0.0], [1.0], [2.0], [3.0]]), torch.arange(4.0)[:, None], torch.tensor([0, 0, 1, 2]), 3)
    grown = Events(torch.tensor([[10.0], [11.0], [12.0], [13.0], [14.0]]), torch.zeros(5, 1),
                   torch.tensor([0, 1, 1, 1, 2]), 3)
    out = merge_gated(ev, grown, torch.tensor([False, True, False]))
    assert out.coords.flatten().tolist() == [0.0, 1.0, 11.0, 12.0, 13.0, 3.0]
    assert out.batch.tolist() == [0, 0, 1, 1, 1, 2]
    assert out.feats.flatten().tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 3.0]


def test_keep_one_per_event_without_emptied_events_keeps_keep():
    batch = torch.tensor([0, 0, 1])
    keep = torch.tensor([True, False, True])
    assert F.keep_one_per_event(keep, batch, torch.tensor([0.1, 0.9, 0.5]), 3).tolist() == [True, False, True]


def test_uniform_in_place_equals_formula():
    u = torch.rand(1000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    got = uniform((1000,), -2.5, 4.0, torch.Generator().manual_seed(3), torch.device("cpu"), torch.float64)
    assert torch.equal(got, -2.5 + (4.0 - -2.5) * u)
    for dtype in (torch.float32, torch.float64):  # U[0, 1): the draws themselves, no pass over them
        u = torch.rand(1000, generator=torch.Generator().manual_seed(4), dtype=dtype)
        got = uniform((1000,), 0.0, 1.0, torch.Generator().manual_seed(4), torch.device("cpu"), dtype)
        assert torch.equal(got.view(torch.uint8), (0.0 + (1.0 - 0.0) * u).view(torch.uint8))


def test_positive_normal_in_place_equals_formula():
    mean, sigma = 1.0, 0.7
    lo = float(torch.special.ndtr(torch.tensor(-mean / sigma, dtype=torch.float64)))
    u = (lo + (1.0 - lo) * torch.rand(1000, generator=torch.Generator().manual_seed(4), dtype=torch.float64))
    expected = (mean + sigma * torch.special.ndtri(u.clamp_max(1 - 2 ** -53))).clamp_min(0.0).float()
    got = positive_normal((1000,), mean, sigma, torch.Generator().manual_seed(4), torch.device("cpu"), torch.float32)
    assert torch.equal(got, expected)


def test_scale_features_columns_equal_list_index():
    feats = torch.randn(50, 4, generator=torch.Generator().manual_seed(5))
    factors = torch.rand(50, generator=torch.Generator().manual_seed(6))
    expected = feats.clone()
    expected[:, [0, -1]] = feats[:, [0, -1]] * factors[:, None]
    assert torch.equal(F.scale_features(feats, factors, (0, -1)), expected)


@given(st.data(), st.sampled_from([2, 3]), st.sampled_from([torch.float32, torch.float64]))
def test_affine_equals_per_point_matmul_and_rotation_offsets_turn_about_the_centre(data, dims, dtype):
    ev = data.draw(events_strategy(dims=dims, dtype=dtype))
    params = Rotate().sample(ev, 0)
    R, c = params["matrix"], params["centre"]
    t = F.rotation_offsets(R, c)
    reference = torch.bmm(R[ev.batch], ev.coords[:, :, None])[:, :, 0] + t[ev.batch]
    got = F.affine(ev.coords, ev.batch, R, t)
    torch.testing.assert_close(got, reference, rtol=0, atol=1000 * torch.finfo(dtype).eps)
    torch.testing.assert_close(got, F.rotate(ev.coords, ev.batch, R, c), rtol=0, atol=1000 * torch.finfo(dtype).eps)


def test_affine_passes_gradients():
    coords = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    matrices = torch.tensor([[[0.0, -1.0], [1.0, 0.0]]])
    out = F.affine(coords, torch.tensor([0, 0]), matrices, torch.tensor([[0.5, 0.0]]))
    out.sum().backward()
    assert coords.grad.tolist() == [[1.0, -1.0], [1.0, -1.0]]  # column sums of the matrix


@given(events_strategy(), st.integers(0, 2 ** 31 - 1))
def test_restore_emptied_equals_the_scatter_count(ev, seed):
    keep = torch.rand(ev.num_points, generator=torch.Generator().manual_seed(seed)) < 0.3
    kept = F.event_sum(keep.to(torch.int64), ev.batch, ev.num_events)
    assert torch.equal(F.restore_emptied(keep, ev.batch, ev.num_events), keep | (kept == 0)[ev.batch])


@given(events_strategy(), st.integers(0, 2 ** 31 - 1))
def test_gather_rows_is_index_select_bit_for_bit(ev, seed):
    index = torch.randint(0, max(ev.num_points, 1), (ev.num_points,), generator=torch.Generator().manual_seed(seed))
    for values in (ev.coords.float()[:, :2], ev.coords[:, :1], ev.coords, ev.feats.half(), ev.coords.float()[:, :1],
                   ev.coords.float()[:, :2].t().contiguous().t()):  # 8, 8, 24, 4, 4 bytes a row; a strided view
        got, expected = F.gather_rows(values, index), values.index_select(0, index)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert torch.equal(got.view(torch.uint8), expected.view(torch.uint8))


def test_gather_rows_keeps_nan_payloads_negative_zero_and_gradients():
    values = torch.tensor([[-0.0, float("nan")], [1.0, -2.0]])
    got = F.gather_rows(values, torch.tensor([1, 0, 0]))
    assert torch.equal(got.view(torch.int32), values.view(torch.int32)[[1, 0, 0]])
    leaf = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    F.gather_rows(leaf, torch.tensor([1, 1])).sum().backward()
    assert leaf.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]


@given(events_strategy())
def test_event_sum_by_segments_equals_index_add_event_by_event(ev):
    sums = F.event_sum(ev.coords, ev.batch, ev.num_events)
    expected = ev.coords.new_zeros(ev.num_events, 3).index_add_(0, ev.batch, ev.coords)
    torch.testing.assert_close(sums, expected, rtol=1e-12, atol=1e-12)
    for i, (coords, _) in enumerate(ev.to_list()):  # each event's sum alone is its sum in the batch
        assert torch.equal(sums[i], F.event_sum(coords, torch.zeros(len(coords), dtype=torch.int64), 1)[0])
