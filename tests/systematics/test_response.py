import math

import pytest
import torch
from hypothesis import given

from augment import Compose, DetectorResponse, EFieldThrow, Events, Params, Translate
from systematics import DetectorParams, DriftGeometry, ReadoutConfig
from systematics import functional as F
from augment.testing import assert_events_equal, check_transform
from tests.systematics.deposits import deposits_strategy, track

QUIET = ReadoutConfig(threshold=0.0, noise=0.0)  # keeps every voxel, adds nothing
NO_DIFFUSION = DetectorParams(diffusion_t=0.0, diffusion_l=0.0)


@given(deposits_strategy())
def test_contract_response(ev):
    check_transform(DetectorResponse(diffusion_samples=3, readout=ReadoutConfig(threshold=500.0)), ev)


@given(deposits_strategy(dtype=torch.float32))
def test_contract_response_float32_box_field_velocity(ev):
    t = EFieldThrow(params=DetectorParams.nominal("box"), geometry=DriftGeometry(field_changes_velocity=True),
                    diffusion_samples=2, p=0.5)
    check_transform(t, ev)


@given(deposits_strategy())
def test_response_conserves_charge_without_attachment_threshold_noise(ev):
    r = DetectorResponse(params=DetectorParams(lifetime=math.inf), readout=QUIET, diffusion_samples=3)
    out = r(ev, 0)
    dE = ev.feats[:, 0]
    expected = F.ionisation_electrons(dE, F.recombination_birks(dE / ev.feats[:, 1], torch.tensor(0.5, dtype=torch.float64)))
    torch.testing.assert_close(torch.bincount(out.batch, out.feats[:, 0], minlength=ev.num_events),
                               torch.bincount(ev.batch, expected, minlength=ev.num_events), rtol=1e-10, atol=1e-6)


def test_output_format_and_total_charge():
    ev = track()
    out, params = DetectorResponse(params=DetectorParams(lifetime=math.inf), readout=QUIET).sample_apply(ev, 0)
    assert out.feature_names == ("charge",) and out.coords.dtype == torch.float64 and out.num_events == 3
    assert torch.equal(out.labels, ev.labels) and out.counts()[2] == 0
    # Voxel centres on the 0.38 cm grid.
    index = out.coords / 0.38 - 0.5
    torch.testing.assert_close(index, index.round(), atol=1e-9, rtol=0)
    # Without attachment, threshold or noise, charge = R dE / W_ion summed (Birks at 2.1 MeV/cm).
    rate = torch.tensor(0.63 / 0.3, dtype=torch.float64)
    expected = F.recombination_birks(rate, torch.tensor(0.5, dtype=torch.float64)).item() * 0.63 / 23.6e-6 * 200
    torch.testing.assert_close(torch.bincount(out.batch, out.feats[:, 0], minlength=3),
                               torch.tensor([expected, expected, 0.0], dtype=torch.float64), rtol=1e-10, atol=0)


def test_lifetime_reduces_charge_by_exp_minus_t_over_tau():
    one = Events(torch.tensor([[0.1, 0.1, 31.92]]), torch.tensor([[1.0, 0.5]]), torch.tensor([0]), 1,
                 feature_names=("dE", "dx"))
    t = 31.92 / F.drift_velocity(torch.tensor(0.5), torch.tensor(87.17)).item()  # ~200 us
    charges = [DetectorResponse(params=DetectorParams(lifetime=tau), readout=QUIET, diffusion_samples=1)(one, 0)
               .feats.sum().item() for tau in (math.inf, 2200.0, 500.0)]
    assert charges[1] / charges[0] == pytest.approx(math.exp(-t / 2200.0), rel=1e-6)
    assert charges[2] / charges[0] == pytest.approx(math.exp(-t / 500.0), rel=1e-6)


def test_zero_diffusion_and_no_noise_equals_voxelized_deposits():
    ev = track()
    out = DetectorResponse(params=NO_DIFFUSION.replace(lifetime=math.inf), readout=QUIET, diffusion_samples=1)(ev, 0)
    charge = F.ionisation_electrons(ev.feats[:, :1], F.recombination_birks(ev.feats[:, :1] / ev.feats[:, 1:],
                                                                           torch.tensor(0.5)))
    ref = ev.replace(feats=charge).voxelize(0.38)
    assert torch.equal(out.batch, ref.batch)
    torch.testing.assert_close(out.coords, (ref.coords.double() + 0.5) * 0.38)
    torch.testing.assert_close(out.feats, ref.feats)


def test_field_changes_velocity_stretches_drift_axis_only_when_asked():
    ev = track()
    kwargs = dict(readout=QUIET, diffusion_samples=1)
    slow = NO_DIFFUSION.replace(efield=0.45)
    nominal = DetectorResponse(params=NO_DIFFUSION, **kwargs)(ev, 0)
    off = DetectorResponse(params=slow, **kwargs)(ev, 0)
    on = DetectorResponse(params=slow, geometry=DriftGeometry(field_changes_velocity=True), **kwargs)(ev, 0)
    assert torch.equal(off.coords, nominal.coords)
    assert not torch.equal(off.feats, nominal.feats)  # recombination sees the field
    ratio = (F.drift_velocity(torch.tensor(0.5), torch.tensor(87.17)) / F.drift_velocity(torch.tensor(0.45),
                                                                                         torch.tensor(87.17))).item()
    assert on.coords[:, 2].max().item() == pytest.approx(nominal.coords[:, 2].max().item() * ratio, abs=0.4)
    torch.testing.assert_close(on.coords[:, :2].unique(), nominal.coords[:, :2].unique())


def test_same_seed_same_output_and_different_seed_differs():
    ev = track()
    r = DetectorResponse()
    assert_events_equal(r(ev, 5), r(ev, 5))
    a, b = r(ev, 5), r(ev, 6)
    assert a.num_points != b.num_points or not torch.equal(a.feats, b.feats)


def test_empty_batch_and_compose_with_translate():
    ev = track()
    empty = ev.index_select_events(torch.tensor([2, 2]))
    out = DetectorResponse()(empty, 0)
    assert out.num_events == 2 and out.num_points == 0 and out.feature_names == ("charge",)
    pipeline = Compose([Translate([1.0, 1.0, 0.0]), DetectorResponse()])
    out, params = pipeline.sample_apply(ev, 3)
    assert_events_equal(pipeline.apply(ev, params), out)


def test_bad_input():
    ev = track()
    r = DetectorResponse()
    charge = r(ev, 0)
    with pytest.raises(ValueError, match=r"feature_names: expected \('dE', 'dx'\)"):
        r(charge, 0)
    with pytest.raises(ValueError, match="feature_names: expected"):
        r(ev.replace(feature_names=None), 0)
    with pytest.raises(ValueError, match="dx: expected finite step lengths > 0"):
        r(ev.replace(feats=ev.feats * torch.tensor([1.0, 0.0], dtype=torch.float64)), 0)
    with pytest.raises(ValueError, match="feats: expected finite values"):
        Events(ev.coords, ev.feats * math.nan, ev.batch, 3, feature_names=("dE", "dx"))
    with pytest.raises(ValueError, match="coords: expected positions along axis 2"):
        r(ev.replace(coords=ev.coords + torch.tensor([0.0, 0.0, 10.0], dtype=torch.float64)), 0)
    with pytest.raises(TypeError, match="floating coordinates"):
        r(ev.voxelize(1.0).replace(feature_names=("dE", "dx")), 0)
    params = r.sample(ev, 0)
    with pytest.raises(ValueError, match="lifetime: expected values in"):
        r.apply(ev, params.replace(lifetime=-params["lifetime"]))
    with pytest.raises(ValueError, match=r"params\['point_offsets'\]: expected shape \(400, 8, 3\)"):
        r.apply(ev, params.replace(point_offsets=params["point_offsets"][:, :2]))
    with pytest.raises(ValueError, match="params: missing 'efield'"):
        r.apply(ev, Params({k: v for k, v in params.items() if k != "efield"}, ev))
    with pytest.raises(ValueError, match="diffusion_samples: expected an int >= 1"):
        DetectorResponse(diffusion_samples=0)
    with pytest.raises(TypeError, match="params: expected a DetectorParams"):
        DetectorResponse(params={"efield": 0.5})
