import math
import subprocess
import sys

import pytest
import torch
from hypothesis import given

from augment import (Compose, DetectorResponse, DetectorThrow, DiffusionThrow, EFieldThrow, LifetimeThrow, OneOf,
                     RandomApply, RecombinationThrow, SomeOf)
from augment.testing import assert_events_equal, check_transform
from systematics import NOMINAL, RANGES, ParameterThrow, ReadoutConfig
from tests.systematics.deposits import deposits_strategy, track

B = 400


def many_events():
    return track(2).index_select_events(torch.zeros(B, dtype=torch.int64))


@pytest.mark.parametrize("throw, keys", [
    (LifetimeThrow(), ("lifetime",)), (EFieldThrow(), ("efield",)), (DiffusionThrow(), ("diffusion_t", "diffusion_l")),
    (RecombinationThrow(), ("birks_a", "birks_k")), (RecombinationThrow("box"), ("box_alpha", "box_beta")),
    (DetectorThrow(), tuple(RANGES)),
    (DetectorThrow(exclude=("lifetime",)), tuple(k for k in RANGES if k != "lifetime")),
    (ParameterThrow(("birks_k", "efield")), ("birks_k", "efield")),
])
def test_throws_write_attrs_inside_their_ranges(throw, keys):
    out = throw(many_events(), 0)
    assert set(out.attrs) == set(keys)
    for key in keys:
        value, (low, high) = out.attrs[key], RANGES[key]
        assert value.shape == (B,) and ((value >= low) & (value <= high)).all()
        assert value.max() - value.min() > 0.8 * (high - low)  # spread over the range
    assert_events_equal(out.replace(attrs={}), many_events())  # a throw does not simulate


def test_log_uniform_lifetime_and_custom_range():
    log = LifetimeThrow(range=(100.0, 10000.0), log_uniform=True)(many_events(), 0).attrs["lifetime"].log10()
    assert ((log >= 2) & (log <= 4)).all()
    assert abs(log.median().item() - 3.0) < 0.2  # uniform in log: median near 1000 us
    assert LifetimeThrow(range=(100.0, 10000.0))(many_events(), 0).attrs["lifetime"].median() > 3000


@given(deposits_strategy())
def test_contract_detector_throw(ev):
    check_transform(DetectorThrow(log_uniform=("lifetime",), p=0.7), ev)


def test_gated_off_events_are_simulated_at_nominal():
    ev = many_events()
    quiet = ReadoutConfig(noise=0.0)
    nominal = DetectorResponse(readout=quiet)(ev, 0)
    pipeline = Compose([LifetimeThrow(range=(500.0, 500.0), p=0.5), DetectorResponse(readout=quiet)])
    out, params = pipeline.sample_apply(ev, 0)
    gate = params[0]["apply"]
    assert 0 < gate.sum() < B
    assert torch.isnan(out.attrs["lifetime"]).sum() == 0  # the response writes the values it used
    assert (out.attrs["lifetime"][~gate] == NOMINAL["lifetime"]).all() and (out.attrs["lifetime"][gate] == 500).all()
    off = torch.nonzero(~gate)[:, 0]
    assert_events_equal(out.index_select_events(off), nominal.index_select_events(off))
    charge = torch.zeros(B, dtype=torch.float64).index_add_(0, out.batch, out.feats[:, 0])
    assert (charge[gate] < 0.9 * charge[~gate].min()).all()  # tau = 500 us: less charge


@pytest.mark.parametrize("container", [
    OneOf([LifetimeThrow(), EFieldThrow()]),
    SomeOf([LifetimeThrow(), EFieldThrow(), DiffusionThrow()], n=(0, 2)),
    RandomApply([LifetimeThrow(), EFieldThrow()], p=0.5),
])
def test_containers_over_throws_work_per_event(container):
    ev = many_events().index_select_events(torch.arange(60))
    pipeline = Compose([container, DetectorResponse(readout=ReadoutConfig(noise=0.0))])
    out, params = pipeline.sample_apply(ev, 1)
    assert_events_equal(pipeline.apply(ev, params), out)  # replay
    assert_events_equal(pipeline(ev, 1), out)  # same seed
    thrown = container(ev, 1).attrs
    lifetime = thrown["lifetime"]
    efield = thrown["efield"]
    if isinstance(container, OneOf):  # exactly one of the two per event
        assert torch.equal(lifetime.isnan(), ~efield.isnan())
    else:
        assert lifetime.isnan().any() and (~lifetime.isnan()).any()
    # Each event is the response at its own values, the others nominal: the same as simulated alone.
    for i in (0, 1, 2, 3, 4, 5):
        one = ev.index_select_events(torch.tensor([i]))
        alone = DetectorResponse(readout=ReadoutConfig(noise=0.0))(
            one.replace(attrs={k: v[i:i + 1] for k, v in thrown.items()}), 0)
        assert_events_equal(out.index_select_events(torch.tensor([i])), alone, atol=1e-6)


def test_import_augment_imports_nothing_from_systematics():
    code = ("import sys, augment, augment.functional.reduce; "
            "assert not [m for m in sys.modules if m.startswith('systematics')], sorted(sys.modules); "
            "from augment import LifetimeThrow; assert LifetimeThrow.__module__ == 'systematics.throws'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"ranges: got keys \['efield'\] that are not thrown"):
        DetectorThrow(exclude=("efield",), ranges={"efield": (0.4, 0.6)})
    with pytest.raises(ValueError, match=r"ranges\['lifetime'\]: expected finite"):
        LifetimeThrow(range=(5000.0, 500.0))
    with pytest.raises(ValueError, match=r"ranges\['lifetime'\]: expected values in \(0.0, inf\] us"):
        LifetimeThrow(range=(-10.0, 500.0))
    with pytest.raises(ValueError, match=r"ranges\['efield'\]: expected values in \[0.05, 5.0\] kV/cm"):
        EFieldThrow(range=(0.01, 0.5))
    with pytest.raises(ValueError, match=r"ranges\['box_alpha'\]: expected values in \(0.0, 1.0\]"):
        RecombinationThrow("box", ranges={"box_alpha": (0.85, 1.1)})  # R <= 1 needs alpha <= 1
    with pytest.raises(ValueError, match="log_uniform: expected a collection of thrown names"):
        DetectorThrow(exclude=("lifetime",), log_uniform=("lifetime",))
    with pytest.raises(ValueError, match="log_uniform: expected a bool"):
        LifetimeThrow(log_uniform="yes")
    with pytest.raises(ValueError, match=r"ranges\['diffusion_t'\]: expected low > 0 for a log-uniform throw"):
        ParameterThrow(("diffusion_t",), {"diffusion_t": (0.0, 1e-5)}, log_uniform=("diffusion_t",))
    with pytest.raises(ValueError, match="names: expected distinct parameters with a throw range"):
        ParameterThrow(("temperature",))  # no throw range
    with pytest.raises(ValueError, match="exclude: expected a collection of throwable parameters"):
        DetectorThrow(exclude=("temperature",))
    with pytest.raises(ValueError, match="model: expected one of"):
        RecombinationThrow("linear")
    with pytest.raises(ValueError, match="feature_names: expected"):
        LifetimeThrow()(DetectorResponse()(track(), 0), 0)  # a throw after the response
    assert math.isfinite(RANGES["box_alpha"][1]) and RANGES["box_alpha"][1] <= 1.0
