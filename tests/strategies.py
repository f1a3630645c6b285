"""Hypothesis strategies for ragged batches of events."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from augment import Events


@st.composite
def events_strategy(draw, dims: int = 3, channels: int = 2, min_events: int = 1, max_events: int = 6,
                    min_points: int = 0, max_points: int = 20, scale: float = 100.0,
                    positive_feats: bool = True, dtype: torch.dtype = torch.float64) -> Events:
    """A batch of 1-6 events of 0-20 points, coords in [-scale, scale], positive features."""
    counts = draw(st.lists(st.integers(min_points, max_points), min_size=min_events, max_size=max_events))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    n = sum(counts)
    coords = (torch.rand(n, dims, generator=g, dtype=dtype) * 2 - 1) * scale
    feats = torch.rand(n, channels, generator=g, dtype=dtype) + (0.01 if positive_feats else -0.5)
    batch = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts, dtype=torch.int64))
    return Events(coords, feats, batch, len(counts))
