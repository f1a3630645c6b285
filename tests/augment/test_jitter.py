import pytest
import torch
from hypothesis import given

from augment import Events, Jitter, Params
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy


@given(events_strategy())
def test_contract(ev):
    check_transform(Jitter([0.5, 1.0, 2.0], p=0.7), ev)


@given(events_strategy(dims=2, dtype=torch.float32))
def test_contract_2d_float32(ev):
    check_transform(Jitter(0.1), ev, atol=1e-5)


def test_offset_statistics():
    ev = Events.from_list([torch.zeros(20000, 3, dtype=torch.float64)], [torch.ones(20000, 1, dtype=torch.float64)])
    sigma = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    out = Jitter(sigma.tolist())(ev, 0)
    offset = out.coords - ev.coords
    assert offset.mean(0).abs().max() < 4 * 2.0 / 20000 ** 0.5
    torch.testing.assert_close(offset.std(0), sigma, rtol=0.03, atol=0)
    torch.testing.assert_close(out.feats, ev.feats, rtol=0, atol=0)


@given(events_strategy())
def test_p0_is_identity(ev):
    assert_events_equal(Jitter(3.0, p=0.0)(ev, 1), ev)


def test_bad_arguments():
    with pytest.raises(ValueError, match="sigma: expected a finite number >= 0"):
        Jitter(-1.0)
    with pytest.raises(ValueError, match=r"sigma\[1\]: expected a finite number >= 0"):
        Jitter([1.0, float("nan"), 1.0])
    ev = Events(torch.zeros(2, 3), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match="sigma: expected one value or D = 3"):
        Jitter([1.0, 2.0])(ev)
    with pytest.raises(ValueError, match=r"params\['point_offset'\]: expected shape \(2, 3\)"):
        Jitter(1.0).apply(ev, Params({"point_offset": torch.zeros(1, 3), "apply": torch.ones(1, dtype=torch.bool)}, ev))
