import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import (CentreJets, CollinearSplit, Compose, Events, KeepHardest, NormalisePT, Params, SoftSmear,
                     preprocess_jets)
from augment import functional as F
from augment.testing import assert_events_equal, check_transform


@st.composite
def jets_strategy(draw, channels: int = 1, max_events: int = 5, max_points: int = 15,
                  dtype: torch.dtype = torch.float64) -> Events:
    """1-5 jets of 0-15 constituents: axis |eta| < 2, any phi (jets may cross phi = +-pi),
    constituents within 0.8 of the axis, pT log-uniform in [0.1, 500] GeV."""
    counts = draw(st.lists(st.integers(0, max_points), min_size=1, max_size=max_events))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    B, n = len(counts), sum(counts)
    batch = torch.repeat_interleave(torch.arange(B), torch.tensor(counts, dtype=torch.int64))
    axis = torch.stack([torch.rand(B, generator=g, dtype=dtype) * 4 - 2,
                        (torch.rand(B, generator=g, dtype=dtype) * 2 - 1) * math.pi], dim=1)
    coords = axis[batch] + (torch.rand(n, 2, generator=g, dtype=dtype) * 2 - 1) * 0.8
    coords[:, 1] = F.wrap_phi(coords[:, 1])
    pt = torch.exp(math.log(0.1) + torch.rand(n, generator=g, dtype=dtype) * math.log(5000.0))
    feats = torch.cat([pt[:, None], torch.rand(n, channels - 1, generator=g, dtype=dtype) + 0.5], dim=1)
    names = ("pT",) + tuple(f"x{i}" for i in range(1, channels))
    return Events(coords, feats, batch, B, labels=torch.arange(B) % 2, feature_names=names)


def jet(eta_phi, pt, dtype=torch.float64) -> Events:
    """One jet from a list of (eta, phi) and a list of pT (GeV)."""
    coords = torch.tensor(eta_phi, dtype=dtype).reshape(-1, 2)
    return Events(coords, torch.tensor(pt, dtype=dtype)[:, None], torch.zeros(len(pt), dtype=torch.int64), 1)


def axis_of(ev: Events) -> torch.Tensor:
    return F.jet_axis(ev.coords, ev.feats, ev.batch, ev.num_events)


def p4_of(ev: Events) -> torch.Tensor:
    return F.jet_four_momentum(ev.coords, ev.feats, ev.batch, ev.num_events)


# ------------------------------------------------------------------ contracts
@given(jets_strategy(channels=2))
def test_contracts(ev):
    for t in (CollinearSplit(0.5, p=0.7), CollinearSplit(0.8, max_splits=2, pt_columns=(0, 1)), SoftSmear(p=0.7),
              CentreJets(), NormalisePT(), KeepHardest(3)):
        check_transform(t, ev)


@given(jets_strategy(dtype=torch.float32))
def test_float32_kept(ev):
    for t in (CollinearSplit(), SoftSmear(), CentreJets(), NormalisePT(), KeepHardest(4)):
        out = t(ev, 0)
        assert out.coords.dtype == torch.float32 and out.feats.dtype == torch.float32
        assert torch.equal(out.labels, ev.labels) and out.feature_names == ("pT",)


# ------------------------------------------------------------------ wrap_phi
def test_wrap_phi_values():
    phi = torch.tensor([0.0, math.pi, -math.pi, 1.5 * math.pi, -1.5 * math.pi, 7.0, -100.0], dtype=torch.float64)
    expected = torch.tensor([0.0, -math.pi, -math.pi, -0.5 * math.pi, 0.5 * math.pi, 7.0 - 2 * math.pi,
                             -100.0 + 32 * math.pi], dtype=torch.float64)
    torch.testing.assert_close(F.wrap_phi(phi), expected)
    just_below = torch.nextafter(torch.tensor(-math.pi, dtype=torch.float64), torch.tensor(-10.0, dtype=torch.float64))
    assert F.wrap_phi(just_below) < math.pi


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=50), st.sampled_from([torch.float32, torch.float64]))
def test_wrap_phi_range_and_same_angle(values, dtype):
    phi = torch.tensor(values, dtype=dtype)
    w = F.wrap_phi(phi)
    pi = torch.tensor(math.pi, dtype=dtype)
    assert (w >= -pi).all() and (w < pi).all()
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(torch.cos(w), torch.cos(phi), atol=tol, rtol=0)
    torch.testing.assert_close(torch.sin(w), torch.sin(phi), atol=tol, rtol=0)


# ------------------------------------------------------------------ four-momentum and axis
def test_four_momentum_hand_computed():
    # sinh(eta) = 0.75, cosh(eta) = 1.25 at eta = asinh(0.75) = ln 2.
    ev = jet([[0.0, 0.0], [math.log(2.0), math.pi / 2]], [1.0, 2.0])
    torch.testing.assert_close(p4_of(ev), torch.tensor([[1.0 + 2.5, 1.0, 2.0, 1.5]], dtype=torch.float64))


def test_axis_hand_computed_and_across_pi():
    ev = jet([[0.0, 3.0], [1.0, -3.0]], [1.0, 3.0])
    axis = axis_of(ev)[0]
    assert axis[0].item() == pytest.approx(0.75)
    # Circular mean of 3.0 (weight 1) and -3.0 (weight 3): the side beyond -pi, not ~ -1.5.
    expected = math.atan2(1 * math.sin(3.0) + 3 * math.sin(-3.0), 1 * math.cos(3.0) + 3 * math.cos(-3.0))
    assert axis[1].item() == pytest.approx(expected) and abs(expected) > 3.0
    empty = Events(torch.zeros(0, 2), torch.zeros(0, 1), torch.zeros(0, dtype=torch.int64), 2)
    assert torch.equal(axis_of(empty), torch.zeros(2, 2))


def test_centre_jet_across_pi():
    ev = jet([[0.5, math.pi - 0.1], [0.5, -math.pi + 0.1]], [1.0, 1.0])
    out = CentreJets()(ev)
    torch.testing.assert_close(out.coords, torch.tensor([[0.0, -0.1], [0.0, 0.1]], dtype=torch.float64))


@given(jets_strategy(channels=2))
def test_centre_jets_puts_axis_at_zero(ev):
    out = CentreJets()(ev)
    torch.testing.assert_close(axis_of(out), torch.zeros(ev.num_events, 2, dtype=ev.coords.dtype),
                               atol=1e-9, rtol=0)
    assert (out.coords[:, 1].abs() <= math.pi).all()
    assert torch.equal(out.feats, ev.feats)


# ------------------------------------------------------------------ collinear splitting
def test_collinear_split_hand_computed():
    coords = torch.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], dtype=torch.float64)
    feats = torch.tensor([[10.0, 7.0], [20.0, 8.0], [30.0, 9.0]], dtype=torch.float64)
    batch = torch.tensor([0, 0, 1])
    split = torch.tensor([True, False, True])
    r = torch.tensor([0.25, 0.5, 0.1], dtype=torch.float64)
    c, f, b = F.collinear_split(coords, feats, batch, split, r)
    torch.testing.assert_close(c, coords[[0, 0, 1, 2, 2]])
    torch.testing.assert_close(f, torch.tensor([[2.5, 7.0], [7.5, 7.0], [20.0, 8.0], [3.0, 9.0], [27.0, 9.0]],
                                               dtype=torch.float64))
    assert b.tolist() == [0, 0, 0, 1, 1]
    _, f2, _ = F.collinear_split(coords, feats, batch, split, r, pt_columns=(0, 1))
    torch.testing.assert_close(f2[:, 1], torch.tensor([1.75, 5.25, 8.0, 0.9, 8.1], dtype=torch.float64))


@given(jets_strategy(channels=2), st.floats(0.0, 1.0), st.sampled_from([None, 0, 1, 3]))
def test_collinear_split_keeps_four_momentum_and_axis(ev, fraction, max_splits):
    t = CollinearSplit(fraction, max_splits=max_splits, p=0.8)
    out, params = t.sample_apply(ev, 1)
    done = params["point_split"] & params["apply"][ev.batch]
    assert out.num_points == ev.num_points + int(done.sum())
    assert (out.batch[1:] >= out.batch[:-1]).all()
    assert torch.equal(out.counts(), ev.counts() + torch.bincount(ev.batch[done], minlength=ev.num_events))
    if max_splits is not None:
        assert (torch.bincount(ev.batch[params["point_split"]], minlength=ev.num_events) <= max_splits).all()
    torch.testing.assert_close(p4_of(out), p4_of(ev), rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(axis_of(out), axis_of(ev), rtol=1e-5, atol=1e-9)
    assert torch.equal(out.feats[:, 1].unique(), ev.feats[:, 1].unique())  # not a pt column: copied


def test_collinear_split_fraction_extremes_and_cap():
    ev = Events.from_list([torch.zeros(5, 2), torch.zeros(1, 2), torch.zeros(0, 2)],
                          [torch.ones(5, 1), torch.ones(1, 1), torch.ones(0, 1)])
    assert_events_equal(CollinearSplit(0.0)(ev, 0), ev)
    assert torch.equal(CollinearSplit(1.0)(ev, 0).counts(), torch.tensor([10, 2, 0]))
    assert torch.equal(CollinearSplit(1.0, max_splits=2)(ev, 0).counts(), torch.tensor([7, 2, 0]))
    assert_events_equal(CollinearSplit(1.0, p=0.0)(ev, 0), ev)


def test_collinear_split_cap_picks_random_subset():
    ev = jet([[0.0, 0.0]] * 4, [1.0] * 4)
    picked = torch.stack([CollinearSplit(1.0, max_splits=1).sample(ev, s)["point_split"] for s in range(200)])
    assert (picked.sum(1) == 1).all()
    assert (picked.sum(0) > 20).all()  # every constituent gets picked sometimes, ~50 each


# ------------------------------------------------------------------ soft smearing
def test_soft_smear_hard_and_soft_constituents():
    n = 200
    ev = jet([[0.0, 3.0]] * (2 * n), [500.0] * n + [0.1] * n)  # near phi = pi: soft ones cross it
    out = SoftSmear(0.1)(ev, 0)
    moved = (out.coords - ev.coords).abs()
    assert (moved[:n] < 1e-3).all()  # width 0.1 / 500 = 2e-4
    assert (out.coords[n:, 1] < 0).sum() > n // 4  # wrapped, not beyond pi
    soft_std = out.coords[n:, 0].std()  # width 0.1 / 0.1 = 1
    assert 0.8 < soft_std < 1.2
    assert (out.coords[:, 1] >= -math.pi).all() and (out.coords[:, 1] < math.pi).all()


@pytest.mark.parametrize("pt", [0.5, 2.0, 20.0])
def test_soft_smear_empirical_width(pt):
    n = 20000
    ev = jet([[0.3, -0.2]] * n, [pt] * n)
    out = SoftSmear(scale=0.1)(ev, 3)
    shift = out.coords - ev.coords
    std = shift.std(dim=0)
    torch.testing.assert_close(std, torch.full((2,), 0.1 / pt, dtype=torch.float64), rtol=0.03, atol=0)
    assert shift.mean(dim=0).abs().max() < 4 * 0.1 / pt / math.sqrt(n)


def test_soft_smear_pt_floor_and_replay():
    ev = jet([[0.0, 0.0], [0.0, 0.0]], [0.0, 0.02])
    t = SoftSmear(scale=0.1, pt_min=0.1)
    out, params = t.sample_apply(ev, 5)
    torch.testing.assert_close(out.coords, F.wrap_phi(params["point_noise"]))  # width 0.1 / 0.1 = 1
    assert_events_equal(SoftSmear(p=0.0)(ev, 0), ev)


# ------------------------------------------------------------------ keep hardest, normalise, preprocess
def test_rank_and_sort_within_events():
    key = torch.tensor([3.0, 1.0, 2.0, 1.0, 5.0, 0.0])
    batch = torch.tensor([0, 0, 0, 0, 1, 1])
    assert F.rank_within_events(key, batch, 2).tolist() == [3, 0, 2, 1, 1, 0]
    assert F.sort_within_events(key, batch).tolist() == [1, 3, 2, 0, 5, 4]


@given(jets_strategy(channels=2), st.integers(0, 10))
def test_keep_hardest(ev, n):
    out = KeepHardest(n)(ev)
    assert torch.equal(out.counts(), ev.counts().clamp_max(n))
    for (c_in, f_in), (c_out, f_out) in zip(ev.to_list(), out.to_list()):  # reference, per event
        order = torch.argsort(-f_in[:, 0], stable=True)[:n]
        assert torch.equal(f_out, f_in[order]) and torch.equal(c_out, c_in[order])
        assert (f_out[1:, 0] <= f_out[:-1, 0]).all()


def test_keep_hardest_gate_keeps_ungated_jets():
    ev = Events.from_list([torch.zeros(3, 2), torch.zeros(3, 2)], [torch.tensor([[1.0], [3.0], [2.0]])] * 2)
    out = KeepHardest(1).apply(ev, Params({"apply": torch.tensor([True, False])}, ev))
    assert out.feats[:, 0].tolist() == [3.0, 1.0, 3.0, 2.0]  # the ungated jet is untouched, order included


@given(jets_strategy())
def test_normalise_pt_sums_to_one(ev):
    out = NormalisePT()(ev)
    sums = torch.zeros(ev.num_events, dtype=ev.feats.dtype).index_add_(0, out.batch, out.feats[:, 0])
    torch.testing.assert_close(sums, (ev.counts() > 0).to(sums.dtype))
    torch.testing.assert_close(out.feats / ev.feats, (out.feats / ev.feats)[:, :1].expand_as(ev.feats))


@given(jets_strategy())
def test_preprocess_jets(ev):
    out = preprocess_jets(ev, n=4, normalise_pt=True)
    assert torch.equal(out.counts(), ev.counts().clamp_max(4))
    centred = CentreJets()(ev)
    expected = KeepHardest(4)(centred)
    torch.testing.assert_close(out.coords, expected.coords)
    same_jet = out.batch[1:] == out.batch[:-1]
    assert (out.feats[1:, 0][same_jet] <= out.feats[:-1, 0][same_jet]).all()  # pT descending
    torch.testing.assert_close(out.feats, NormalisePT()(expected).feats)
    assert_events_equal(preprocess_jets(ev, n=None), centred)


# ------------------------------------------------------------------ bad input
def test_bad_arguments():
    for make, match in [(lambda: SoftSmear(0.0), "scale: expected"), (lambda: SoftSmear(-1.0), "scale: expected"),
                        (lambda: SoftSmear(pt_min=0.0), "pt_min: expected"),
                        (lambda: CollinearSplit(1.5), "fraction: expected"),
                        (lambda: CollinearSplit(-0.1), "fraction: expected"),
                        (lambda: CollinearSplit(max_splits=-1), "max_splits: expected"),
                        (lambda: CollinearSplit(pt_columns=(0.5,)), "pt_columns: expected"),
                        (lambda: KeepHardest(-1), "n: expected")]:
        with pytest.raises(ValueError, match=match):
            make()


def test_bad_events():
    negative = jet([[0.0, 0.0], [0.1, 0.1]], [1.0, -2.0])
    three_d = Events(torch.zeros(2, 3), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    no_feats = Events(torch.zeros(2, 2), torch.ones(2, 0), torch.tensor([0, 0]), 1)
    for t in (CollinearSplit(), SoftSmear(), CentreJets(), NormalisePT(), KeepHardest(2)):
        with pytest.raises(ValueError, match=r"events.feats\[:, 0\]: expected pT >= 0 GeV, got a minimum of -2"):
            t(negative)
        with pytest.raises(ValueError, match=r"events.coords: expected D in \(2,\), got D = 3"):
            t(three_d)
        with pytest.raises(ValueError, match="events.feats: expected pT"):
            t(no_feats)
    with pytest.raises(ValueError, match=r"events.feats\[:, 0\]"):
        preprocess_jets(negative)
    ev = jet([[0.0, 0.0]], [1.0])
    with pytest.raises(ValueError, match=r"pt_columns\[1\]: expected a feats column"):
        CollinearSplit(pt_columns=(0, 3))(ev)
    with pytest.raises(ValueError, match="params: missing 'point_noise'"):
        SoftSmear().apply(ev, Params({"apply": torch.tensor([True])}, ev))
    with pytest.raises(ValueError, match=r"params\['point_split'\]: expected shape \(1,\)"):
        CollinearSplit().apply(ev, Params({"point_split": torch.tensor([True, True]), "point_r": torch.ones(1),
                                    "apply": torch.tensor([True])}, ev))


def test_empty_batch_and_gates():
    empty = Events(torch.zeros(0, 2), torch.zeros(0, 1), torch.zeros(0, dtype=torch.int64), 0)
    for t in (CollinearSplit(max_splits=2), SoftSmear(), CentreJets(), NormalisePT(), KeepHardest(3)):
        assert t(empty, 0).num_points == 0
    assert preprocess_jets(empty, normalise_pt=True).num_events == 0
    ev = Events.from_list([torch.tensor([[1.0, 2.0], [1.5, 2.5]])] * 2, [torch.tensor([[1.0], [3.0]])] * 2)
    gate = Params({"apply": torch.tensor([False, True])}, ev)
    for t in (CentreJets(), NormalisePT()):
        out = t.apply(ev, gate)
        assert torch.equal(out.coords[:2], ev.coords[:2]) and torch.equal(out.feats[:2], ev.feats[:2])
        assert not (torch.equal(out.coords[2:], ev.coords[2:]) and torch.equal(out.feats[2:], ev.feats[2:]))


@given(jets_strategy())
def test_compose_replay(ev):
    t = Compose([CollinearSplit(0.5, max_splits=3), SoftSmear(), CentreJets(), KeepHardest(5)])
    out, params = t.sample_apply(ev, 7)
    assert_events_equal(t.apply(ev, params), out)
    assert (out.counts() <= 5).all()
