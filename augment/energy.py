"""Energy transforms: EnergyScale (one factor per event) and LocalSmear (one factor per point).

Both multiply chosen feats columns (default column 0: dE in MeV, charge in electrons or pT
in GeV) by dimensionless factors drawn from ``distribution``:

* ``"uniform"``: ``factor = (low, high)``, 0 <= low <= high, factor U[low, high).
* ``"normal"``: ``factor = (mean, sigma)``, mean > 0, sigma >= 0, factor from the normal
  truncated to [0, inf) (exact inverse-CDF draw, :func:`augment._random.positive_normal`),
  so energies never turn negative.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform
from augment._checks import (check_column, check_columns, check_nonnegative, check_pair, check_param,
                             check_positive, check_range)
from augment._events import Events
from augment._random import positive_normal, uniform

__all__ = ["EnergyScale", "LocalSmear"]

DISTRIBUTIONS = ("uniform", "normal")


class _FeatureScale(Transform):
    """Shared arguments and kernel call; subclasses choose one factor per event or per point."""

    def __init__(self, factor: Sequence[float], distribution: str, columns: int | Sequence[int], p: float) -> None:
        super().__init__(p)
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution: expected one of {DISTRIBUTIONS}, got {distribution!r}")
        if distribution == "uniform":
            self.factor = check_range("factor", factor, lower=0.0)
        else:
            mean, sigma = check_pair("factor", factor, "(mean, sigma)")
            self.factor = (check_positive("factor[0] (mean)", mean), check_nonnegative("factor[1] (sigma)", sigma))
        self.distribution = distribution
        self.columns = check_columns("columns", columns)

    def _draw(self, shape: tuple[int, ...], events: Events, generator: torch.Generator | None) -> Tensor:
        dtype, device = events.feats.dtype, events.device
        if self.distribution == "uniform":
            return uniform(shape, *self.factor, generator, device, dtype)
        return positive_normal(shape, *self.factor, generator, device, dtype)

    def _scale(self, events: Events, factors: Tensor) -> Events:
        """Multiply by per-point ``factors`` (N,)."""
        for c in self.columns:
            check_column("columns", c, events)
        return events.replace(feats=F.scale_features(events.feats, factors, self.columns))


class EnergyScale(_FeatureScale):
    """Multiply the ``columns`` of every point of an event by one factor per event (an
    overall energy-scale shift). Params: ``scale`` (B,). See the module docstring for
    ``factor`` and ``distribution``."""

    def __init__(self, factor: Sequence[float] = (0.9, 1.1), distribution: str = "uniform",
                 columns: int | Sequence[int] = 0, p: float = 1.0) -> None:
        super().__init__(factor, distribution, columns, p)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        return {"scale": self._draw((events.num_events,), events, generator)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        scale = check_param(params, "scale", (events.num_events,), events)
        return self._scale(events, F.to_points(scale, events.batch))


class LocalSmear(_FeatureScale):
    """Multiply the ``columns`` of each point by its own factor (local energy resolution).
    Factors are never negative (see the module docstring). Params: ``point_scale`` (N,)."""

    def __init__(self, factor: Sequence[float] = (1.0, 0.05), distribution: str = "normal",
                 columns: int | Sequence[int] = 0, p: float = 1.0) -> None:
        super().__init__(factor, distribution, columns, p)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        return {"point_scale": self._draw((events.num_points,), events, generator)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        return self._scale(events, check_param(params, "point_scale", (events.num_points,), events))
