import pytest
import torch
from hypothesis import given

from augment import DetectorThrow, DiffusionThrow, EFieldThrow, LifetimeThrow, RecombinationThrow
from systematics import RANGES, DetectorParams
from augment.testing import check_transform
from tests.systematics.deposits import deposits_strategy, track

NOMINAL = DetectorParams.nominal()
B = 400


def many_events():
    return track(2).index_select_events(torch.zeros(B, dtype=torch.int64))


@pytest.mark.parametrize("throw, keys", [
    (LifetimeThrow(), ("lifetime",)), (EFieldThrow(), ("efield",)), (DiffusionThrow(), ("diffusion_t", "diffusion_l")),
    (RecombinationThrow(), ("birks_a", "birks_k")),
    (RecombinationThrow(params=DetectorParams.nominal("box")), ("box_alpha", "box_beta")),
    (DetectorThrow(), ("efield", "lifetime", "diffusion_t", "diffusion_l", "birks_a", "birks_k")),
])
def test_drawn_values_inside_ranges_others_nominal(throw, keys):
    params = throw.sample(many_events(), 0)
    for key in throw.params.keys:
        value = params[key]
        assert value.shape == (B,)
        if key in keys:
            low, high = RANGES[key]
            assert ((value >= low) & (value <= high)).all()
            assert value.max() - value.min() > 0.8 * (high - low)  # spread over the range
        else:
            assert (value == getattr(throw.params, key)).all()


def test_log_uniform_lifetime_and_custom_range():
    params = LifetimeThrow(range=(100.0, 10000.0), log_uniform=True).sample(many_events(), 0)
    log = params["lifetime"].log10()
    assert ((log >= 2) & (log <= 4)).all()
    assert abs(log.median().item() - 3.0) < 0.2  # uniform in log: median near 1000 us
    flat = LifetimeThrow(range=(100.0, 10000.0)).sample(many_events(), 0)
    assert flat["lifetime"].median() > 3000


def test_unthrown_events_get_the_configured_values():
    params = LifetimeThrow(p=0.5).sample(many_events(), 0)
    assert params["apply"].all()  # the response acts on every event; p is the probability of a throw
    off = ~params["thrown"]
    assert 0 < off.sum() < B
    assert (params["lifetime"][off] == NOMINAL.lifetime).all()
    assert (params["lifetime"][~off] != NOMINAL.lifetime).all()


def test_throws_change_the_charge_as_expected():
    ev = track()
    nominal_charge = DetectorThrow(lifetime=False, efield=False, diffusion=False, recombination=False)(ev, 0).feats.sum()
    short = LifetimeThrow(range=(500.0, 500.0))(ev, 0).feats.sum()
    assert short < 0.9 * nominal_charge


@given(deposits_strategy())
def test_contract_detector_throw(ev):
    check_transform(DetectorThrow(log_uniform=True, diffusion_samples=2, p=0.7), ev)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"ranges: got keys \['efield'\] that are not thrown"):
        DetectorThrow(efield=False, ranges={"efield": (0.4, 0.6)})
    with pytest.raises(ValueError, match=r"ranges\['lifetime'\]: expected finite"):
        LifetimeThrow(range=(5000.0, 500.0))
    with pytest.raises(ValueError, match="lifetime: expected values in"):
        LifetimeThrow(range=(-10.0, 500.0))
    with pytest.raises(ValueError, match="efield: expected values in"):
        EFieldThrow(range=(0.01, 0.5))
    with pytest.raises(ValueError, match="log_uniform: expected a bool, True only when the lifetime is thrown"):
        DetectorThrow(lifetime=False, log_uniform=True)
    with pytest.raises(ValueError, match=r"ranges: got keys \['box_alpha'\]"):
        RecombinationThrow(ranges={"box_alpha": (0.9, 1.0)})
