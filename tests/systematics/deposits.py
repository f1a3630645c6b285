"""True-deposit batches inside the default drift volume: a hypothesis strategy and fixed tracks."""

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


def track(n: int = 200, dtype=torch.float64) -> Events:
    """Two straight tracks (MIP-like, 2.1 MeV/cm in 0.3 cm steps) and an empty event."""
    s = torch.linspace(0, 1, n, dtype=dtype)[:, None]
    a = torch.tensor([1.0, 2.0, 3.0], dtype=dtype) + s * torch.tensor([10.0, 5.0, 40.0], dtype=dtype)
    b = torch.tensor([-4.0, 0.0, 45.0], dtype=dtype) + s * torch.tensor([8.0, 8.0, -30.0], dtype=dtype)
    f = torch.stack([torch.full((n,), 0.63, dtype=dtype), torch.full((n,), 0.3, dtype=dtype)], 1)
    return Events.from_list([a, b, a[:0]], [f, f, f[:0]], labels=[2, 2, 0], feature_names=("dE", "dx"))
