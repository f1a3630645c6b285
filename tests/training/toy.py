"""A tiny sum-pool encoder (Deep Sets) and toy data for trainer tests and benchmarks."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from augment import Events


class SumPoolEncoder(nn.Module):
    """phi(coords, feats) per point, summed per event, then rho: Events -> (B, out_features)."""

    def __init__(self, in_dim: int, out_features: int = 16, hidden: int = 32) -> None:
        super().__init__()
        self.out_features = out_features
        self.phi = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.rho = nn.Sequential(nn.ReLU(), nn.Linear(hidden, out_features))

    def forward(self, events: Events) -> Tensor:
        h = self.phi(torch.cat([events.coords, events.feats], dim=1))
        pooled = h.new_zeros(events.num_events, h.shape[1]).index_add_(0, events.batch, h)
        return self.rho(pooled)


def toy_events(num_events: int, seed: int = 0, max_points: int = 8, dims: int = 2) -> Events:
    """Events of 1..max_points random points (coords and one feature in [0, 1))."""
    g = torch.Generator().manual_seed(seed)
    counts = torch.randint(1, max_points + 1, (num_events,), generator=g)
    n = int(counts.sum())
    batch = torch.repeat_interleave(torch.arange(num_events), counts)
    labels = torch.randint(0, 2, (num_events,), generator=g)
    return Events(torch.rand(n, dims, generator=g), torch.rand(n, 1, generator=g), batch, num_events, labels)
