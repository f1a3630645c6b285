"""JetCLR-faithful options: relative Translate, CollinearSplit(fill_to=n), Rotate(centre="weighted")."""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import CollinearSplit, Events, Rotate, Translate
from augment import functional as F
from augment.testing import check_transform
from tests.augment.test_jets import jets_strategy, p4_of


@given(jets_strategy(channels=2), st.sampled_from([1.0, 0.5, (0.2, 1.5)]), st.integers(0, 2 ** 31 - 1))
def test_relative_translate_width_and_phi_range(ev, width, seed):
    t = Translate(width, relative=True)
    check_transform(t, ev)
    out, params = t.sample_apply(ev, seed)
    live = ev.feats[:, 0] > 0
    low, high = F.event_min_max(ev.coords, ev.batch, ev.num_events, live)
    w = torch.tensor(width if isinstance(width, tuple) else (width, width), dtype=ev.coords.dtype)
    assert (params["shift"].abs() <= w * (high - low) + 1e-12).all()  # U[-w ptp, +w ptp] per axis
    assert (out.coords[live, 1].abs() <= math.pi + 1e-12).all()  # phi kept inside [-pi, pi]
    torch.testing.assert_close(out.coords - ev.coords, params["shift"][ev.batch])  # a rigid shift


def test_relative_translate_is_uniform_over_the_extent():
    # One jet with eta extent 0.4 (from pT > 0 constituents only) far from phi = +-pi, many draws.
    coords = torch.tensor([[0.0, 0.0], [0.4, 0.1], [3.0, 0.2]], dtype=torch.float64)
    ev = Events(coords, torch.tensor([[1.0], [1.0], [0.0]], dtype=torch.float64), torch.zeros(3, dtype=torch.int64), 1)
    batch = ev.index_select_events(torch.zeros(4000, dtype=torch.int64))
    shift = Translate(relative=True).sample(batch, 0)["shift"]
    assert shift[:, 0].min() > -0.4 and shift[:, 0].max() < 0.4
    assert shift[:, 0].min() < -0.39 and shift[:, 0].max() > 0.39  # the whole range is reached
    assert abs(float(shift[:, 0].mean())) < 0.02


@given(jets_strategy(channels=2, max_points=40), st.sampled_from([1, 10, 50]))
def test_collinear_fill_to(ev, n):
    t = CollinearSplit(fill_to=n, pt_columns=(0, 1), p=0.7)
    check_transform(t, ev)
    out, params = t.sample_apply(ev, 0)
    counts = ev.counts()
    expected = torch.where(params["apply"], counts + torch.minimum(n - counts, counts).clamp_min(0), counts)
    assert torch.equal(out.counts(), expected)
    assert (out.counts()[params["apply"]] <= torch.maximum(counts, torch.tensor(n))[params["apply"]]).all()
    torch.testing.assert_close(p4_of(out), p4_of(ev))  # collinear splits keep each jet's four-momentum


@given(jets_strategy())
def test_weighted_rotation_keeps_the_jet_axis(ev):
    out = Rotate(centre="weighted")(ev, 0)
    pt = ev.feats[:, 0]
    torch.testing.assert_close(F.event_mean(out.coords, out.batch, out.num_events, pt),
                               F.event_mean(ev.coords, ev.batch, ev.num_events, pt))


def test_unweighted_centre_moves_the_jet_axis():
    # pT 1 and 9 GeV at eta 0 and 1: a half turn about the centroid (eta 0.5) moves the pT-weighted
    # axis from 0.9 to 0.1; about the weighted centroid it stays at 0.9.
    ev = Events(torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64), torch.tensor([[1.0], [9.0]],
                dtype=torch.float64), torch.zeros(2, dtype=torch.int64), 1)
    half_turn = -torch.eye(2, dtype=torch.float64)[None]
    for centre, axis in (("centroid", 0.1), ("weighted", 0.9)):
        params = Rotate(centre=centre).sample(ev, 0).replace(matrix=half_turn)
        out = Rotate(centre=centre).apply(ev, params)
        torch.testing.assert_close(F.jet_axis(out.coords, out.feats, out.batch, 1)[0, 0].item(), axis)
