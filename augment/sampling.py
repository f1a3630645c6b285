"""Point-sampling transforms: VoxelDrop."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform
from augment._checks import check_param, check_value_or_range
from augment._events import Events
from augment._random import uniform

__all__ = ["VoxelDrop", "keep_points"]


class VoxelDrop(Transform):
    """Drop each point (voxel or deposit) independently with probability ``drop``.

    ``drop`` is a number in [0, 1) or a (low, high) range in [0, 1) drawn uniformly per
    event. Never empties a non-empty event: where every point of an event would be
    dropped, the point with the highest random key (the one closest to being kept) stays.
    Params: ``point_keep`` (N,) bool."""

    def __init__(self, drop: float | Sequence[float] = 0.1, p: float = 1.0) -> None:
        super().__init__(p)
        self.drop = check_value_or_range("drop", drop, lower=0.0, upper=1.0)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        device = events.device
        # float32 keys (steps of 2^-24, ample for a probability): half the memory traffic of float64
        low, high = self.drop
        # drawn for a fixed drop too, so that the stream does not depend on whether drop is a range
        drop = uniform((events.num_events,), low, high, generator, device, torch.float32)
        key = uniform((events.num_points,), 0.0, 1.0, generator, device, torch.float32)
        # a fixed drop is compared in float32, as the drawn values (and as torch compares with a number)
        thresholds = drop if low != high else torch.full_like(drop, low)
        return {"point_keep": F.keep_at_least(key, thresholds, events.batch, events.num_events)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        keep = check_param(params, "point_keep", (events.num_points,), events)
        if keep.dtype != torch.bool:
            raise TypeError(f"params['point_keep']: expected a bool tensor, got {keep.dtype}")
        return keep_points(events, keep)


def keep_points(events: Events, keep: Tensor) -> Events:
    """The batch with only the points where ``keep`` (N,) bool is True (events and labels kept)."""
    coords, feats, batch = F.select_points(events.coords, events.feats, events.batch, keep)
    return events.replace(coords=coords, feats=feats, batch=batch)
