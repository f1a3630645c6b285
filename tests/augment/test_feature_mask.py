import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Events, FeatureDrop
from augment import functional as F
from augment.testing import check_transform
from tests.strategies import events_strategy


def test_kernel_hand_values_and_input_untouched():
    feats = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    before = feats.clone()
    mask = torch.tensor([[True, False], [False, True]])
    out = F.mask_features(feats, mask, columns=(0, 2))
    assert torch.equal(out, torch.tensor([[0.0, 2.0, 3.0], [4.0, 5.0, 0.0]]))
    assert torch.equal(feats, before)
    assert torch.equal(F.mask_features(feats, mask, (1, 2), value=-1.0), torch.tensor([[1.0, -1.0, 3.0],
                                                                                      [4.0, 5.0, -1.0]]))


def test_kernel_gradient_reaches_kept_entries():
    feats = torch.rand(4, 2, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True], [False], [True], [False]])
    F.mask_features(feats, mask, (1,)).sum().backward()
    expected = torch.ones(4, 2, dtype=torch.float64)
    expected[:, 1] = (~mask[:, 0]).double()
    assert torch.equal(feats.grad, expected)


# ------------------------------------------------------------------ the transform
@pytest.mark.parametrize("t", [FeatureDrop(1, p=0.7), FeatureDrop((0, 2), drop=0.3, per="point"),
                               FeatureDrop([2, 0], drop=1.0, value=-1.0)], ids=repr)
@given(ev=events_strategy(channels=3))
def test_contract(t, ev):
    check_transform(t, ev)


@given(events_strategy(channels=3), st.sampled_from(["event", "point"]), st.integers(0, 2 ** 31 - 1))
def test_masks_exactly_the_drawn_entries(ev, per, seed):
    t = FeatureDrop((2, 0), drop=0.5, per=per)
    out, params = t.sample_apply(ev, seed)
    mask = params["mask"][ev.batch] if per == "event" else params["point_mask"]
    for k, c in enumerate(t.columns):
        assert (out.feats[mask[:, k], c] == 0).all()
        assert torch.equal(out.feats[~mask[:, k], c], ev.feats[~mask[:, k], c])
    assert torch.equal(out.feats[:, 1], ev.feats[:, 1]) and torch.equal(out.coords, ev.coords)


def test_drop_rate():
    ev = Events(torch.zeros(3000, 2), torch.ones(3000, 2), torch.arange(3000) // 3, 1000)
    for per, rows in (("event", 1000), ("point", 3000)):
        mask = FeatureDrop((0, 1), drop=0.2, per=per).sample(ev, 0)["mask" if per == "event" else "point_mask"]
        assert mask.shape == (rows, 2) and abs(float(mask.double().mean()) - 0.2) < 0.03


def test_bad_arguments():
    with pytest.raises(ValueError, match="columns: expected a feats column index"):
        FeatureDrop(0.5)
    with pytest.raises(ValueError, match="drop: expected a probability"):
        FeatureDrop(0, drop=2.0)
    with pytest.raises(ValueError, match="per: expected one of"):
        FeatureDrop(0, per="jet")
    with pytest.raises(ValueError, match="value: expected a finite number"):
        FeatureDrop(0, value=float("inf"))
    ev = Events(torch.zeros(2, 2), torch.ones(2, 1), torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match=r"columns\[0\]: expected a feats column in \[0, 1\)"):
        FeatureDrop(3)(ev)
