import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from augment import Events, Params, Rotate
from augment import functional as F
from augment._random import rotation_matrices
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy


def pairwise_within_events(ev: Events) -> torch.Tensor:
    same = ev.batch[:, None] == ev.batch[None, :]
    return (ev.coords[:, None] - ev.coords[None, :]).norm(dim=-1)[same]


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("centre", ["centroid", "weighted", "origin"])
@given(data=st.data())
def test_contract(dims, centre, data):
    ev = data.draw(events_strategy(dims=dims))
    check_transform(Rotate(centre=centre, p=0.7), ev)


@given(events_strategy(dims=3), st.sampled_from([None, (0.0, 0.0, 1.0), (1.0, -2.0, 0.5)]))
def test_rotation_3d_keeps_distances_and_energy(ev, axis):
    out, params = Rotate(axis=axis, centre="weighted").sample_apply(ev, 1)
    torch.testing.assert_close(pairwise_within_events(out), pairwise_within_events(ev))
    torch.testing.assert_close(out.feats, ev.feats, rtol=0, atol=0)
    # The weighted centroid is the fixed point of the rotation.
    weights = ev.feats[:, 0]
    torch.testing.assert_close(F.event_mean(out.coords, out.batch, out.num_events, weights), params["centre"])


@given(events_strategy(dims=2))
def test_rotation_2d_keeps_distances_and_inverse_restores(ev):
    t = Rotate()
    out, params = t.sample_apply(ev, 2)
    torch.testing.assert_close(pairwise_within_events(out), pairwise_within_events(ev))
    assert_events_equal(t.inverse(out, params), ev, atol=1e-9)


@given(events_strategy(dims=3))
def test_inverse_restores_3d(ev):
    t = Rotate(centre="origin", p=0.5)
    out, params = t.sample_apply(ev, 3)
    assert_events_equal(t.inverse(out, params), ev, atol=1e-9)
    ungated = ~params["apply"][ev.batch]
    assert torch.equal(out.coords[ungated], ev.coords[ungated])


def test_kernel_hand_values():
    coords = torch.tensor([[2.0, 0.0], [1.0, 0.0], [3.0, 4.0]])
    quarter = torch.tensor([[[0.0, -1.0], [1.0, 0.0]], [[-1.0, 0.0], [0.0, -1.0]]])  # +90 deg, 180 deg
    out = F.rotate(coords, torch.tensor([0, 0, 1]), quarter, torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    torch.testing.assert_close(out, torch.tensor([[1.0, 1.0], [1.0, 0.0], [-3.0, -4.0]]))


def test_axis_rotation_keeps_axis_coordinate():
    ev = Events.from_list([torch.randn(50, 3, dtype=torch.float64)], [torch.rand(50, 1, dtype=torch.float64)])
    out = Rotate(axis=(0, 0, 5), centre="origin")(ev, 4)
    torch.testing.assert_close(out.coords[:, 2], ev.coords[:, 2])
    torch.testing.assert_close(out.coords[:, :2].norm(dim=1), ev.coords[:, :2].norm(dim=1))


def test_haar_measure():
    R = rotation_matrices(20000, 3, torch.Generator().manual_seed(5), torch.device("cpu"), torch.float64)
    torch.testing.assert_close(R @ R.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(20000, 3, 3))
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(20000, dtype=torch.float64))
    assert R.mean(0).abs().max() < 0.03  # E[R] = 0 under Haar; one entry's sd is 1/sqrt(3 n) = 0.004
    z = R[:, :, 2]  # image of the z axis: uniform on the sphere <=> z_z ~ U[-1, 1], azimuth ~ U[-pi, pi)
    assert stats.kstest(z[:, 2].numpy(), stats.uniform(-1, 2).cdf).pvalue > 1e-3
    assert stats.kstest(torch.atan2(z[:, 1], z[:, 0]).numpy(), stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > 1e-3
    # The test has power: uniform Euler angles (not Haar) give a z axis with uniform polar angle.
    polar = torch.rand(20000, generator=torch.Generator().manual_seed(6), dtype=torch.float64) * math.pi
    assert stats.kstest(torch.cos(polar).numpy(), stats.uniform(-1, 2).cdf).pvalue < 1e-6


def test_2d_angle_uniform():
    R = rotation_matrices(5000, 2, torch.Generator().manual_seed(7), torch.device("cpu"), torch.float64)
    angle = torch.atan2(R[:, 1, 0], R[:, 0, 0])
    assert stats.kstest(angle.numpy(), stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > 1e-3


def test_empty_event_centre_is_zero():
    ev = Events.from_list([torch.zeros(0, 3), torch.ones(2, 3)], [torch.zeros(0, 1), torch.zeros(2, 1)])
    params = Rotate(centre="weighted").sample(ev, 0)
    assert torch.equal(params["centre"], torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))  # zero total weight
    assert torch.isfinite(Rotate().sample(ev, 0)["centre"]).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="centre: expected one of"):
        Rotate(centre="middle")
    with pytest.raises(ValueError, match="axis: expected 3 finite numbers"):
        Rotate(axis=(0, 0, 0))
    with pytest.raises(ValueError, match="axis: expected 3 finite numbers"):
        Rotate(axis=(1, 0))
    with pytest.raises(TypeError, match="weight_column"):
        Rotate(weight_column=0.5)
    ev2 = Events(torch.zeros(2, 2), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match="axis: a fixed rotation axis needs 3D"):
        Rotate(axis=(0, 0, 1))(ev2)
    with pytest.raises(ValueError, match="weight_column: expected a feats column"):
        Rotate(centre="weighted", weight_column=3)(ev2)
    with pytest.raises(ValueError, match=r"events.coords: expected D in \(2, 3\)"):
        Rotate()(Events(torch.zeros(2, 4), torch.ones(2, 1), torch.tensor([0, 0]), 1))
    with pytest.raises(ValueError, match=r"params\['matrix'\]: expected shape"):
        Rotate().apply(ev2, Params({"matrix": torch.eye(3)[None], "centre": torch.zeros(1, 2), "apply": torch.ones(1, dtype=bool)}, ev2))
