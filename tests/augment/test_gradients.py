"""Gradients flow through every transform that keeps the point count (issue 8 regression:
``Rotate`` raised on coords with requires_grad)."""

import pytest
import torch

from augment import (CentreJets, Compose, ElasticDistortion, EnergyScale, Events, FeatureDrop, Jitter, LocalSmear,
                     NormalisePT, Reflect, Rotate, SoftSmear, Translate)

JETS = [Rotate(), Rotate(centre="weighted"), Translate(0.5), Translate(relative=True), SoftSmear(), CentreJets(),
        NormalisePT(), EnergyScale(), LocalSmear(), Jitter(0.1), Reflect(axes=(0, 1), centre="jet", flip=1.0),
        FeatureDrop(1, per="point"), Translate(0.5, p=0.5), Reflect(axes=1, p=0.5)]  # gated: merged by the base
POINTS_3D = [Rotate(), Rotate(axis=(0, 0, 1), centre="origin"), Translate(2.0), Jitter(0.5), Reflect(axes=(0, 2)),
             ElasticDistortion(0.3, 0.1), Compose([Rotate(), Translate(1.0), EnergyScale()])]


def events(dims: int) -> Events:
    g = torch.Generator().manual_seed(dims)
    coords = torch.rand(7, dims, generator=g, dtype=torch.float64) - 0.5
    feats = torch.rand(7, 2, generator=g, dtype=torch.float64) + 0.1
    return Events(coords, feats, torch.tensor([0, 0, 0, 1, 1, 1, 1]), 2)


@pytest.mark.parametrize("t", JETS + POINTS_3D, ids=repr)
def test_gradcheck(t):
    ev = events(3 if t in POINTS_3D else 2)
    params = t.sample(ev, 0)

    def run(coords, feats):
        out = t.apply(ev.replace(coords=coords, feats=feats), params)
        return out.coords, out.feats

    coords, feats = ev.coords.clone().requires_grad_(), ev.feats.clone().requires_grad_()
    assert torch.autograd.gradcheck(run, (coords, feats))
