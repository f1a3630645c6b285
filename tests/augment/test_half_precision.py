"""Half-precision inputs accumulate in float32 (issue 8 regressions)."""

import pytest
import torch

from augment import (CollinearSplit, Crop, ElasticDistortion, Events, FeatureDrop, NormalisePT, Reflect, Rotate,
                     Translate)
from augment import functional as F


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_rotate_event_with_more_points_than_float16_max(dtype):
    n = 70000  # > 65504, the largest float16: a float16 point count is inf
    g = torch.Generator().manual_seed(0)
    coords = (torch.rand(n, 3, generator=g) * 10 + 5).to(dtype)
    ev = Events(coords, torch.ones(n, 1, dtype=dtype), torch.zeros(n, dtype=torch.int64), 1)
    out, params = Rotate().sample_apply(ev, 1)
    assert out.coords.dtype == dtype and torch.isfinite(out.coords).all()
    torch.testing.assert_close(params["centre"].float(), coords.float().mean(0, keepdim=True), rtol=0, atol=0.05)
    assert F.event_mean(coords, ev.batch, 1).dtype == dtype


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_normalise_pt_sums_in_float32(dtype):
    n = 5000
    pt = torch.rand(n, generator=torch.Generator().manual_seed(2)) * 50 + 1
    ev = Events(torch.zeros(n, 2, dtype=dtype), pt.to(dtype)[:, None], torch.zeros(n, dtype=torch.int64), 1)
    out = NormalisePT()(ev, 0)
    assert out.feats.dtype == dtype
    assert abs(out.feats[:, 0].double().sum().item() - 1.0) < 0.01  # a float16 running sum gives 2.44
    total = F.event_sum(pt.to(dtype), ev.batch, 1, torch.float32)
    torch.testing.assert_close(total, pt.to(dtype).double().sum()[None].float(), rtol=1e-6, atol=0)


def test_jet_axis_in_float16():
    n = 3000
    g = torch.Generator().manual_seed(3)
    coords = torch.randn(n, 2, generator=g) * 0.2 + torch.tensor([1.5, 0.5])
    pt = torch.rand(n, generator=g) * 100
    axis = F.jet_axis(coords.half(), pt.half()[:, None], torch.zeros(n, dtype=torch.int64), 1)
    reference = F.jet_axis(coords.half().double(), pt.half().double()[:, None], torch.zeros(n, dtype=torch.int64), 1)
    assert axis.dtype == torch.float16
    torch.testing.assert_close(axis.double(), reference, rtol=0, atol=2e-3)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_new_transforms_keep_half_precision(dtype):
    g = torch.Generator().manual_seed(4)
    batch = torch.arange(8).repeat_interleave(60)
    voxels = Events(torch.rand(480, 3, generator=g) * 100, torch.rand(480, 2, generator=g), batch, 8).to(dtype)
    jets = Events(torch.randn(480, 2, generator=g) * 0.3, torch.rand(480, 1, generator=g) * 20, batch, 8).to(dtype)
    cases = [(voxels, t) for t in (Reflect(axes=(0, 1, 2)), ElasticDistortion(20.0, 2.0), Crop(30.0), FeatureDrop(1))]
    cases += [(jets, t) for t in (Reflect(axes=(0, 1), centre="jet"), Translate(relative=True),
                                  CollinearSplit(fill_to=50))]
    for ev, t in cases:
        out = t(ev, 0)
        assert out.coords.dtype == dtype and out.feats.dtype == dtype, t
        assert torch.isfinite(out.coords).all() and torch.isfinite(out.feats).all(), t
