import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import Crop, Cutout, Events
from augment import functional as F
from augment.testing import check_transform
from tests.strategies import events_strategy

CROPS = [Crop(30.0, p=0.7), Crop((10.0, 80.0), shape="box"), Crop([20.0, (5.0, 50.0), 90.0], shape="box")]


def test_kernel_hand_values():
    coords = torch.tensor([[0.0, 0.0], [1.5, 0.0], [0.5, 0.9], [3.0, 3.0], [9.0, 9.0]])
    feats = torch.arange(5.0)[:, None]
    batch = torch.tensor([0, 0, 0, 1, 1])
    centres = torch.tensor([[0.0, 0.0], [3.0, 2.0]])
    c, f, b = F.crop(coords, feats, batch, 2, centres, torch.tensor([1.0, 1.5]), "sphere")
    assert f[:, 0].tolist() == [0.0, 3.0] and b.tolist() == [0, 1]  # |(0.5, 0.9)| = 1.03 is outside
    c, f, b = F.crop(coords, feats, batch, 2, centres, torch.tensor([[1.0, 1.0], [0.5, 1.5]]), "box")
    assert f[:, 0].tolist() == [0.0, 2.0, 3.0] and torch.equal(c, coords[[0, 2, 3]])
    # A region holding none of an event's points keeps the event whole (never empties it).
    c, f, b = F.crop(coords, feats, batch, 2, torch.tensor([[50.0, 0.0], [3.0, 3.0]]), torch.tensor([1.0, 0.1]))
    assert f[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_kernel_bad_shape():
    with pytest.raises(ValueError, match="shape: expected one of"):
        F.crop(torch.zeros(1, 2), torch.zeros(1, 1), torch.zeros(1, dtype=torch.int64), 1, torch.zeros(1, 2),
               torch.ones(1), "cube")


# ------------------------------------------------------------------ the transform
@pytest.mark.parametrize("t", CROPS, ids=repr)
@given(ev=events_strategy())
def test_contract(t, ev):
    check_transform(t, ev)


@given(events_strategy(max_points=30), st.sampled_from(CROPS), st.integers(0, 100))
def test_keeps_inside_and_never_empties(ev, t, seed):
    out, params = t.sample_apply(ev, seed)
    d = ev.coords - params["centre"][ev.batch]
    inside = (d.norm(dim=1) < params["size"][ev.batch]) if t.shape == "sphere" \
        else (d.abs() < params["size"][ev.batch]).all(1)
    inside |= ~params["apply"][ev.batch]  # events gated off keep every point
    assert torch.equal(out.coords, ev.coords[inside]) and torch.equal(out.feats, ev.feats[inside])
    assert ((out.counts() > 0) == (ev.counts() > 0)).all()  # the centre point is always kept


def test_complement_of_cutout():
    ev = Events.from_list([torch.randn(40, 3, dtype=torch.float64) * 20 for _ in range(3)],
                          [torch.rand(40, 1, dtype=torch.float64) for _ in range(3)])
    crop, params = Crop(15.0).sample_apply(ev, 3)
    cut = Cutout(15.0, shape="sphere")
    removed = cut.apply(ev, cut.sample(ev, 3).replace(centre=params["centre"], size=params["size"]))
    assert torch.equal(torch.sort(torch.cat([crop.feats, removed.feats]).flatten()).values,
                       torch.sort(ev.feats.flatten()).values)


def test_local_and_global_views():
    ev = Events.from_list([torch.rand(500, 3, dtype=torch.float64) * 100], [torch.ones(500, 1, dtype=torch.float64)])
    local, global_ = Crop((10.0, 20.0))(ev, 1), Crop((60.0, 80.0))(ev, 2)
    assert 0 < local.num_points < global_.num_points < ev.num_points


def test_bad_arguments():
    for size in (0.0, (0.0, 5.0), [1.0, 0.0, 2.0]):
        with pytest.raises(ValueError, match=r"size(\[1\])?: expected sizes > 0"):
            Crop(size, shape="box")
    with pytest.raises(ValueError, match="size: expected a number or"):
        Crop(-1.0)
    with pytest.raises(ValueError, match="shape: expected one of"):
        Crop(1.0, shape="cube")
    with pytest.raises(ValueError, match="size: a sphere takes one radius"):
        Crop([1.0, 2.0, 3.0])
