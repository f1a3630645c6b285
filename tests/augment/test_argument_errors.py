"""Argument errors name the argument and what was expected (issue 8 regressions)."""

import pytest
import torch

from augment import CollinearSplit, Compose, EnergyScale, Events, LocalSmear, Rotate, SomeOf, Translate


def test_compose_of_a_single_transform():
    with pytest.raises(TypeError, match=r"transforms: expected a sequence of augment Transforms, got a single Rotate"):
        Compose(Rotate())
    with pytest.raises(TypeError, match="transforms: expected a sequence of augment Transforms, got int"):
        Compose(3)
    with pytest.raises(TypeError, match=r"transforms\[1\]: expected an augment Transform"):
        Compose([Rotate(), "Translate"])


@pytest.mark.parametrize("columns", [0.5, "0", [0, 1.0], (), [True]])
def test_energy_scale_columns(columns):
    with pytest.raises(ValueError, match="columns: expected a feats column index or distinct indices"):
        EnergyScale(columns=columns)


def test_collinear_split_pt_columns():
    assert CollinearSplit(pt_columns=0).pt_columns == (0,)  # one index, as EnergyScale(columns=0)
    for bad in (0.5, (), (1,), (0, 0)):  # () and (1,) would copy pT to both halves: each jet's pT doubled
        with pytest.raises(ValueError, match="pt_columns: expected"):
            CollinearSplit(pt_columns=bad)
    with pytest.raises(ValueError, match="fill_to: expected an int >= 1"):
        CollinearSplit(fill_to=0)


@pytest.mark.parametrize("n", [(0.5, 1.5), 1.5, (1, 2, 3), "1", (True, 1)])
def test_some_of_n(n):
    with pytest.raises(ValueError, match=r"n: expected an int or a \(low, high\) pair of ints"):
        SomeOf([Rotate(), Rotate()], n=n)


def test_translate_beyond_the_coords_dtype():
    ev = Events(torch.zeros(3, 3), torch.ones(3, 1), torch.tensor([0, 0, 1]), 2)
    with pytest.raises(ValueError, match=r"max_shift: expected values representable in the coords' torch.float32"):
        Translate(1e39)(ev, 0)
    with pytest.raises(ValueError, match="max_shift"):
        Translate((1.0, 1e39, 1.0))(ev, 0)
    out = Translate(1e39)(ev.to(torch.float64), 0)  # fits in float64
    assert torch.isfinite(out.coords).all()
    with pytest.raises(ValueError, match="max_shift: expected a number or one per axis"):
        Translate()


def test_voxelize_indices_beyond_int64():
    ev = Events(torch.tensor([[1e19, 0.0, 0.0], [1.0, 2.0, 3.0]], dtype=torch.float64), torch.ones(2, 1),
                torch.tensor([0, 0]), 1)
    with pytest.raises(ValueError, match=r"coords: expected finite voxel indices .* \|index\| < 2\^62"):
        ev.voxelize(1.0)
    with pytest.raises(ValueError, match="coords: expected finite voxel indices"):
        ev.voxelize(1e-300)
    assert ev.voxelize(1e6).num_points == 2  # fine at a coarse pitch


def test_energy_scale_single_number_is_a_spread_about_one():
    assert EnergyScale(0.1).factor == pytest.approx((0.9, 1.1))
    assert EnergyScale(0).factor == (1.0, 1.0)
    assert LocalSmear(0.05).factor == (1.0, 0.05)  # normal: mean 1, sigma 0.05
    assert EnergyScale(0.2, distribution="normal").factor == (1.0, 0.2)
    ev = Events(torch.zeros(2000, 3), torch.ones(2000, 1), torch.arange(2000), 2000)
    scale = EnergyScale(0.1).sample(ev, 0)["scale"]
    assert scale.min() >= 0.9 and scale.max() < 1.1 and scale.min() < 0.91 and scale.max() > 1.09
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="factor: a single number x means U"):
            EnergyScale(bad)
    with pytest.raises(ValueError, match="factor: expected a finite number >= 0"):
        LocalSmear(-0.1)
