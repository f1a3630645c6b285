import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from augment import EnergyScale, Events, LocalSmear, Params
from augment import functional as F
from augment._random import positive_normal
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy

TRANSFORMS = [EnergyScale(p=0.7), EnergyScale((1.0, 0.2), "normal", columns=[0, 1]),
              LocalSmear(p=0.7), LocalSmear((0.5, 1.5), "uniform", columns=1)]


@pytest.mark.parametrize("t", TRANSFORMS, ids=repr)
@given(ev=events_strategy())
def test_contract(t, ev):
    check_transform(t, ev)


@given(events_strategy(), st.sampled_from(["uniform", "normal"]))
def test_total_energy_scales_by_factor(ev, distribution):
    factor = (0.5, 2.0) if distribution == "uniform" else (1.0, 0.5)
    out, params = EnergyScale(factor, distribution).sample_apply(ev, 0)
    total_in = F.event_sum(ev.feats[:, 0], ev.batch, ev.num_events)
    total_out = F.event_sum(out.feats[:, 0], out.batch, out.num_events)
    torch.testing.assert_close(total_out, total_in * params["scale"])
    assert torch.equal(out.feats[:, 1], ev.feats[:, 1])  # other columns untouched
    assert torch.equal(out.coords, ev.coords)


def test_kernel_hand_values():
    feats = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = F.scale_features(feats, torch.tensor([2.0, 0.5]), [0, 2])
    assert out.tolist() == [[2.0, 2.0, 6.0], [2.0, 5.0, 3.0]]
    assert feats.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]  # input untouched


def test_positive_normal_is_the_truncated_normal():
    x = positive_normal((20000,), 1.0, 1.0, torch.Generator().manual_seed(0), torch.device("cpu"), torch.float64)
    assert (x >= 0).all()
    truncated = stats.truncnorm(-1.0, float("inf"), loc=1.0, scale=1.0)
    assert stats.kstest(x.numpy(), truncated.cdf).pvalue > 1e-3
    assert stats.kstest(x.numpy(), stats.norm(1.0, 1.0).cdf).pvalue < 1e-6  # the truncation is visible
    fixed = positive_normal((5,), 1.3, 0.0, None, torch.device("cpu"), torch.float32)
    assert torch.equal(fixed, torch.full((5,), 1.3))


def test_local_smear_statistics_and_never_negative():
    ev = Events.from_list([torch.zeros(20000, 3)], [torch.ones(20000, 2)])
    out, params = LocalSmear((1.0, 0.1)).sample_apply(ev, 1)
    scale = params["point_scale"].double()
    assert abs(scale.mean() - 1.0) < 0.005 and abs(scale.std() - 0.1) < 0.005
    wide = LocalSmear((1.0, 3.0))(ev, 2)
    assert (wide.feats[:, 0] >= 0).all() and (wide.feats[:, 0] != 1).any()
    assert torch.equal(out.feats[:, 1], ev.feats[:, 1])


@pytest.mark.parametrize("cls", [EnergyScale, LocalSmear])
@given(ev=events_strategy())
def test_p0_is_identity(cls, ev):
    assert_events_equal(cls(p=0.0)(ev, 3), ev)


def test_bad_arguments():
    with pytest.raises(ValueError, match="distribution: expected one of"):
        EnergyScale(distribution="gamma")
    with pytest.raises(ValueError, match="factor: expected finite 0.0 <= low <= high"):
        EnergyScale((-0.1, 1.0))
    with pytest.raises(ValueError, match=r"factor\[0\] \(mean\): expected a finite number > 0"):
        LocalSmear((0.0, 0.1), "normal")
    with pytest.raises(ValueError, match=r"factor\[1\] \(sigma\): expected a finite number >= 0"):
        EnergyScale((1.0, -0.1), "normal")
    with pytest.raises(ValueError, match=r"factor: expected a \(mean, sigma\) pair"):
        LocalSmear(0.1)
    with pytest.raises(ValueError, match="columns: expected a feats column index"):
        EnergyScale(columns=[0, 0])
    ev = Events(torch.zeros(2, 3), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match=r"columns: expected a feats column in \[0, 1\)"):
        EnergyScale(columns=1)(ev)
    with pytest.raises(ValueError, match=r"params\['scale'\]: expected shape \(1,\)"):
        EnergyScale().apply(ev, Params({"scale": torch.ones(2), "apply": torch.ones(1, dtype=torch.bool)}, ev))
