import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import CentreJets, Events, Reflect
from augment import functional as F
from augment.testing import assert_events_equal, check_transform
from tests.augment.test_jets import jets_strategy, p4_of
from tests.strategies import events_strategy


def test_kernel_hand_values():
    coords = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    batch = torch.tensor([0, 0, 1])
    flip = torch.tensor([[True, False], [True, True]])
    centres = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    out = F.reflect(coords, batch, flip, centres)
    assert torch.equal(out, torch.tensor([[3.0, 2.0], [1.0, -1.0], [-0.5, 1.5]]))


@given(events_strategy(dims=3), st.integers(0, 2 ** 31 - 1))
def test_kernel_involution_distances_and_unflipped_bits(ev, seed):
    g = torch.Generator().manual_seed(seed)
    flip = torch.rand(ev.num_events, 3, generator=g) < 0.5
    centres = torch.randn(ev.num_events, 3, generator=g, dtype=ev.coords.dtype) * 10
    once = F.reflect(ev.coords, ev.batch, flip, centres)
    torch.testing.assert_close(F.reflect(once, ev.batch, flip, centres), ev.coords)
    same = ev.batch[:, None] == ev.batch[None, :]
    dist = lambda x: (x[:, None] - x[None, :]).norm(dim=-1)[same]  # noqa: E731
    torch.testing.assert_close(dist(once), dist(ev.coords))
    kept = ~flip[ev.batch]
    assert torch.equal(once[kept], ev.coords[kept])  # axes not flipped: bit-identical


def test_kernel_batched_equals_per_event():
    g = torch.Generator().manual_seed(1)
    coords = torch.randn(9, 2, generator=g, dtype=torch.float64)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    flip = torch.tensor([[True, False], [False, True], [True, True]])
    centres = torch.randn(3, 2, generator=g, dtype=torch.float64)
    out = F.reflect(coords, batch, flip, centres)
    for b in range(3):
        rows = batch == b
        single = F.reflect(coords[rows], torch.zeros(int(rows.sum()), dtype=torch.int64), flip[b:b + 1],
                           centres[b:b + 1])
        assert torch.equal(out[rows], single)


# ------------------------------------------------------------------ the transform
@pytest.mark.parametrize("t", [Reflect(axes=(0, 2), p=0.7), Reflect(axes=1, centre="weighted", weight_column=1),
                               Reflect(axes=(0, 1, 2), centre=(10.0, 0.0, -5.0), flip=0.8)], ids=repr)
@given(ev=events_strategy())
def test_contract(t, ev):
    check_transform(t, ev)


@given(jets_strategy(channels=2))
def test_jet_contract(ev):
    check_transform(Reflect(axes=(0, 1), centre="jet", p=0.7), ev)


@given(events_strategy(dims=3), st.integers(0, 2 ** 31 - 1))
def test_keeps_distances_features_and_inverse_restores(ev, seed):
    t = Reflect(axes=(0, 2))
    out, params = t.sample_apply(ev, seed)
    same = ev.batch[:, None] == ev.batch[None, :]
    dist = lambda x: (x[:, None] - x[None, :]).norm(dim=-1)[same]  # noqa: E731
    torch.testing.assert_close(dist(out.coords), dist(ev.coords))
    assert torch.equal(out.feats, ev.feats)
    assert not params["flip"][:, 1].any()  # axis 1 was not chosen
    assert torch.equal(out.coords[:, 1], ev.coords[:, 1])
    assert_events_equal(t.inverse(out, params), ev, atol=1e-9)


@given(jets_strategy())
def test_eta_flip_of_centred_jets_reverses_pz(ev):
    centred = CentreJets()(ev, 0)
    out, params = Reflect(axes=(0,), centre="jet", flip=1.0).sample_apply(centred, 1)
    torch.testing.assert_close(out.coords[:, 0], -centred.coords[:, 0], rtol=0, atol=1e-12)  # eta -> -eta
    assert torch.equal(out.coords[:, 1], centred.coords[:, 1])
    p4, flipped = p4_of(centred), p4_of(out)
    torch.testing.assert_close(flipped, p4 * torch.tensor([1.0, 1.0, 1.0, -1.0], dtype=p4.dtype))  # (E, px, py, -pz)


def test_jet_axis_kept_and_phi_wrapped():
    # A jet across phi = +-pi: its axis is near pi; the phi flip about it keeps every phi in [-pi, pi).
    coords = torch.tensor([[0.2, 3.0], [-0.1, -3.1], [0.0, 3.1]], dtype=torch.float64)
    ev = Events(coords, torch.tensor([[5.0], [1.0], [2.0]], dtype=torch.float64), torch.zeros(3, dtype=torch.int64), 1)
    out, params = Reflect(axes=(0, 1), centre="jet", flip=1.0).sample_apply(ev, 0)
    assert (out.coords[:, 1] >= -math.pi).all() and (out.coords[:, 1] < math.pi).all()
    axis = F.jet_axis(ev.coords, ev.feats, ev.batch, 1)
    torch.testing.assert_close(F.jet_axis(out.coords, out.feats, out.batch, 1), axis)
    torch.testing.assert_close(params["centre"], axis)


def test_fixed_plane_hand_values_and_flip_rate():
    ev = Events(torch.tensor([[1.0, 2.0, 3.0]]), torch.ones(1, 1), torch.zeros(1, dtype=torch.int64), 1)
    out = Reflect(axes=0, centre=(5.0, 0.0, 0.0), flip=1.0)(ev, 0)  # the plane x = 5 cm
    assert out.coords.tolist() == [[9.0, 2.0, 3.0]]
    many = Events(torch.zeros(4000, 2), torch.ones(4000, 1), torch.arange(4000), 4000)
    flip = Reflect(axes=(0, 1)).sample(many, 0)["flip"].double().mean(0)
    assert (flip - 0.5).abs().max() < 0.03  # a fair sign per axis: sd 0.008


def test_bad_arguments():
    for axes in ((), (0, 0), (-1,), (0.5,), "x"):
        with pytest.raises(ValueError, match="axes: expected a coordinate axis"):
            Reflect(axes=axes)
    with pytest.raises(ValueError, match="centre: expected one of"):
        Reflect(centre="middle")
    with pytest.raises(ValueError, match="centre: expected one of .* or a point"):
        Reflect(centre=(0.0, float("nan")))
    with pytest.raises(ValueError, match="flip: expected a probability"):
        Reflect(flip=1.5)
    with pytest.raises(TypeError, match="weight_column"):
        Reflect(weight_column=0.5)
    ev = Events(torch.zeros(2, 2), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match=r"axes: expected axes in \[0, 2\)"):
        Reflect(axes=2)(ev)
    with pytest.raises(ValueError, match="centre: expected a point of D = 2 numbers, got 3"):
        Reflect(centre=(0.0, 0.0, 0.0))(ev)
    with pytest.raises(ValueError, match="events.coords: expected D in"):
        Reflect(centre="jet")(Events(torch.zeros(2, 3), torch.ones(2, 1), torch.tensor([0, 0]), 1))
    with pytest.raises(TypeError, match="events.coords: expected floating"):
        Reflect()(Events(torch.zeros(2, 2, dtype=torch.int64), torch.ones(2, 1), torch.tensor([0, 0]), 1))
    params = Reflect().sample(ev, 0)
    with pytest.raises(TypeError, match=r"params\['flip'\]: expected a bool tensor"):
        Reflect().apply(ev, params.replace(flip=params["flip"].float()))
