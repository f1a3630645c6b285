import pytest
import torch
from hypothesis import given

from augment import Translate
from augment.testing import assert_events_equal, check_transform
from tests.strategies import events_strategy


@given(events_strategy())
def test_contract(ev):
    check_transform(Translate(3.0, p=0.7), ev)


@given(events_strategy())
def test_translation_keeps_shape_and_inverse_restores(ev):
    t = Translate([1.0, 2.0, 3.0])
    out, params = t.sample_apply(ev, 0)
    # Relative positions inside each event are unchanged.
    rel_in = ev.coords - ev.coords[ev.offsets()[ev.batch]]
    rel_out = out.coords - out.coords[out.offsets()[out.batch]]
    torch.testing.assert_close(rel_in, rel_out)
    assert (params["shift"].abs() <= torch.tensor([1.0, 2.0, 3.0], dtype=ev.coords.dtype)).all()
    assert_events_equal(t.inverse(out, params), ev, atol=1e-9)


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_shift"):
        Translate(-1.0)
    with pytest.raises(ValueError, match="p: expected"):
        Translate(1.0, p=-0.1)
    ev = __import__("augment").Events(torch.zeros(2, 3), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match="max_shift: expected one value or D = 3"):
        Translate([1.0, 2.0])(ev)
    with pytest.raises(TypeError, match="events: expected augment.Events"):
        Translate(1.0)(ev.coords)
    with pytest.raises(TypeError, match="floating coordinates"):
        Translate(1.0)(ev.voxelize(1.0))
