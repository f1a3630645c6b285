"""Feature masking: FeatureDrop."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform, check_probability
from augment._checks import check_column, check_columns, check_param
from augment._events import Events
from augment._random import bernoulli

__all__ = ["FeatureDrop"]

PER = ("event", "point")


class FeatureDrop(Transform):
    """Mask chosen feats columns: set each of ``columns`` to ``value`` (default 0: no energy, no
    charge) with probability ``drop``, independently per column, for a whole event
    (``per="event"``, default: the event loses that feature) or for each point on its own
    (``per="point"``: feature dropout). ``value`` is in the column's units; other columns and the
    coords are untouched and the number of points is kept (gradients flow to the kept entries).

    Params: ``mask`` (B, K) bool with ``per="event"``, ``point_mask`` (N, K) bool with
    ``per="point"``, K = len(columns), True = masked."""

    def __init__(self, columns: int | Sequence[int], drop: float = 0.5, per: str = "event", value: float = 0.0,
                 p: float = 1.0) -> None:
        super().__init__(p)
        self.columns = check_columns("columns", columns)
        self.drop = check_probability("drop", drop)
        if per not in PER:
            raise ValueError(f"per: expected one of {PER}, got {per!r}")
        self.per = per
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"value: expected a finite number (the column's units), got {value!r}")
        self.value = float(value)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        self._check(events)
        rows = events.num_events if self.per == "event" else events.num_points
        mask = bernoulli((rows, len(self.columns)), self.drop, generator, events.device)
        return {"mask" if self.per == "event" else "point_mask": mask}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        self._check(events)
        K = len(self.columns)
        if self.per == "event":
            mask = F.to_points(self._bool(check_param(params, "mask", (events.num_events, K), events), "mask"),
                               events.batch)
        else:
            mask = self._bool(check_param(params, "point_mask", (events.num_points, K), events), "point_mask")
        return events.replace(feats=F.mask_features(events.feats, mask, self.columns, self.value))

    def _check(self, events: Events) -> None:
        for i, c in enumerate(self.columns):
            check_column(f"columns[{i}]", c, events)

    @staticmethod
    def _bool(mask: Tensor, key: str) -> Tensor:
        if mask.dtype != torch.bool:
            raise TypeError(f"params['{key}']: expected a bool tensor, got {mask.dtype}")
        return mask
