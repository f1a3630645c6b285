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
