"""Hypothesis strategy for true-deposit batches inside the default drift volume."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from augment import Events
from tests.strategies import events_strategy


@st.composite
def deposits_strategy(draw, dtype: torch.dtype = torch.float64, **kwargs) -> Events:
    """Deposits with x, y in [-2, 2] cm, z in [0, 48] cm (default DriftGeometry: anode z = 0,
    max drift 50.4 cm), feats ("dE", "dx") with dE in [0.01, 1.01] MeV and dx in [0.01, 1.01] cm."""
    ev = draw(events_strategy(dims=3, channels=2, scale=2.0, dtype=dtype, **kwargs))
    coords = ev.coords.clone()
    coords[:, 2] = (coords[:, 2] + 2.0) * 12.0
    return Events(coords, ev.feats, ev.batch, ev.num_events, feature_names=("dE", "dx"))
