"""Batches the benchmarks run on: synthetic jets and voxel events, and toy-gun LArTPC events."""

from __future__ import annotations

import torch

from augment import Events


def _counts(num: int, mean_points: int, generator: torch.Generator) -> torch.Tensor:
    return torch.poisson(torch.full((num,), float(mean_points)), generator=generator).long().clamp_min(1)


def jet_batch(num: int = 256, mean_points: int = 50, seed: int = 0) -> Events:
    """Jets of Poisson(mean_points) constituents, (eta, phi) ~ N(0, 0.3), pT ~ Exp(10 GeV)."""
    g = torch.Generator().manual_seed(seed)
    counts = _counts(num, mean_points, g)
    n = int(counts.sum())
    return Events(0.3 * torch.randn(n, 2, generator=g), torch.empty(n, 1).exponential_(0.1, generator=g),
                  torch.repeat_interleave(torch.arange(num), counts), num, feature_names=("pT",))


def voxel_batch(num: int = 256, mean_points: int = 1000, seed: int = 0) -> Events:
    """Events of Poisson(mean_points) deposits in a 100 cm box, dE ~ U(0, 2) MeV, dx ~ U(0, 0.5) cm."""
    g = torch.Generator().manual_seed(seed)
    counts = _counts(num, mean_points, g)
    n = int(counts.sum())
    feats = torch.rand(n, 2, generator=g) * torch.tensor([2.0, 0.5])
    return Events(100 * torch.rand(n, 3, generator=g), feats, torch.repeat_interleave(torch.arange(num), counts),
                  num, feature_names=("dE", "dx"))


def gun_batch(num: int = 64, seed: int = 0) -> Events:
    """``num`` toy-gun events (e, gamma, mu, pi, p in turn) as true deposits."""
    from systematics.gun import generate

    coords, feats, offsets, labels = generate(-(-num // 5), seed, progress=False)
    counts = torch.from_numpy(offsets).diff()[:num]
    n = int(counts.sum())
    return Events(torch.from_numpy(coords[:n]), torch.from_numpy(feats[:n]),
                  torch.repeat_interleave(torch.arange(num), counts), num, feature_names=("dE", "dx"))
