import math

import pytest
import torch

from augment import Events
from systematics import DetectorParams, DetectorResponse, ReadoutConfig
from systematics.voxels import PILARNET_PITCH, deposits_from_voxels

D64 = dict(dtype=torch.float64)


def mip_track(direction, length: float = 40.0, step: float = 0.03) -> Events:
    """True deposits of a 2.1 MeV/cm track in fine steps, from (5, 5, 2) cm along ``direction``."""
    u = torch.tensor(direction, **D64)
    u = u / u.norm()
    n = int(length / step)
    s = (torch.arange(n, **D64) + 0.5)[:, None] * step
    coords = torch.tensor([5.0, 5.0, 2.0], **D64) + s * u
    feats = torch.stack([torch.full((n,), 2.1 * step, **D64), torch.full((n,), step, **D64)], 1)
    return Events(coords, feats, torch.zeros(n, dtype=torch.int64), 1, feature_names=("dE", "dx"))


def pilarnet_voxels(deposits: Events) -> Events:
    """PILArNet's layout: int64 3 mm voxel indices and the energy summed per voxel (MeV)."""
    energy = deposits.replace(feats=deposits.feats[:, :1], feature_names=None)
    return energy.voxelize(PILARNET_PITCH)


def charge(events: Events) -> float:
    # No diffusion, attachment, noise or threshold: the charge is recombination's alone.
    response = DetectorResponse(params=DetectorParams(lifetime=math.inf, diffusion_t=0.0, diffusion_l=0.0),
                                readout=ReadoutConfig(noise=0.0, threshold=0.0))
    return response(events, torch.Generator().manual_seed(0)).feats.sum().item()


def test_layout_centres_energy_and_step():
    voxels = Events(torch.tensor([[0, 0, 0], [2, 1, 5]]), torch.tensor([[0.5], [1.25]], **D64),
                    torch.tensor([0, 1]), 2, labels=torch.tensor([3, 4]))
    dep = deposits_from_voxels(voxels)
    torch.testing.assert_close(dep.coords, torch.tensor([[0.15, 0.15, 0.15], [0.75, 0.45, 1.65]], **D64))
    torch.testing.assert_close(dep.feats, torch.tensor([[0.5, 0.3], [1.25, 0.3]], **D64))
    assert dep.feature_names == ("dE", "dx") and torch.equal(dep.labels, voxels.labels)
    custom = deposits_from_voxels(voxels, pitch=0.5, dx=0.2, origin=(1.0, 0.0, 0.0))
    torch.testing.assert_close(custom.coords[1], torch.tensor([2.25, 0.75, 2.75], **D64))
    assert (custom.feats[:, 1] == 0.2).all()
    # Floating positions (cm) are kept as they are.
    floating = voxels.replace(coords=torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], **D64))
    assert torch.equal(deposits_from_voxels(floating).coords, floating.coords)


def test_track_along_a_grid_axis_gives_the_deposits_charge():
    # Chord = pitch in every voxel: E / pitch is the true dE/dx, so the charge matches within 1%.
    true = mip_track((0.0, 0.0, 1.0))
    via_voxels = deposits_from_voxels(pilarnet_voxels(true))
    assert abs(charge(via_voxels) / charge(true) - 1) < 0.01


@pytest.mark.parametrize("direction, low, high", [
    ((1.0, 0.7, 0.4), 1.0, 1.05),  # generic: mean chord 0.71 pitch, dE/dx low on average -> +1.6% charge
    ((0.3, 0.2, 1.0), 1.0, 1.05),  # +2.0%
    ((1.0, 1.0, 0.0), 0.85, 1.0),  # through voxel edges: chords up to sqrt(2) pitch, dE/dx high -> -5%
    ((1.0, 1.0, 1.0), 0.85, 1.0),  # through voxel corners: chords sqrt(3) pitch -> -8.5%
])
def test_oblique_tracks_have_the_documented_recombination_bias(direction, low, high):
    # The documented approximation: E / pitch is dE/dx times chord / pitch, so the charge of an
    # oblique MIP through voxels is off by a few percent, in a direction set by the chords.
    true = mip_track(direction)
    ratio = charge(deposits_from_voxels(pilarnet_voxels(true))) / charge(true)
    assert low < ratio < high


@pytest.mark.parametrize("kwargs, match", [(dict(pitch=0.0), "pitch"), (dict(dx=-1.0), "dx"),
                                           (dict(energy_column=1), "energy_column")])
def test_bad_arguments_raise(kwargs, match):
    voxels = Events(torch.tensor([[0, 0, 0]]), torch.tensor([[0.5]], **D64), torch.tensor([0]), 1)
    with pytest.raises(ValueError, match=match):
        deposits_from_voxels(voxels, **kwargs)


def test_negative_or_nan_energy_raises():
    good = Events(torch.tensor([[0, 0, 0]]), torch.tensor([[0.5]], **D64), torch.tensor([0]), 1)
    for bad in (-0.1, math.nan):  # NaN only reaches it through an unvalidated replace
        voxels = good.replace(feats=torch.tensor([[bad]], **D64))
        with pytest.raises(ValueError, match="feats: expected finite voxel energies >= 0 MeV"):
            deposits_from_voxels(voxels)


def test_throws_apply_to_voxelised_energy():
    # PILArNet-like voxels -> deposits -> a throw and the response: space charge keeps the charge, dead
    # channels remove some, per event and replayably.
    from augment import Compose, DeadChannelThrow, SpaceChargeThrow
    from systematics import DriftGeometry

    geometry = DriftGeometry(transverse=((0.0, 50.0), (0.0, 50.0)))
    deposits = deposits_from_voxels(pilarnet_voxels(mip_track((1.0, 0.7, 0.4))))
    quiet = dict(geometry=geometry, readout=ReadoutConfig(noise=0.0, threshold=0.0),
                 params=DetectorParams(lifetime=math.inf))
    nominal = DetectorResponse(**quiet)(deposits, 0)
    pipeline = Compose([SpaceChargeThrow(range=(50.0, 50.0)), DetectorResponse(**quiet)])
    moved, params = pipeline.sample_apply(deposits, 0)
    torch.testing.assert_close(moved.feats.sum(), nominal.feats.sum(), rtol=1e-12, atol=0)
    assert not torch.equal(moved.coords, nominal.coords)
    assert torch.equal(pipeline.apply(deposits, params).feats, moved.feats)
    dead = Compose([DeadChannelThrow(dead=(0.5, 0.5), noisy=(0.0, 0.0)), DetectorResponse(**quiet)])(deposits, 0)
    assert 0 < dead.feats.sum() < nominal.feats.sum()
