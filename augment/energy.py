"""Energy transforms: EnergyScale (one factor per event) and LocalSmear (one factor per point).

Both multiply chosen feats columns (default column 0: dE in MeV, charge in electrons or pT
in GeV) by dimensionless factors drawn from ``distribution``:

* ``"uniform"``: ``factor = (low, high)``, 0 <= low <= high, factor U[low, high).
* ``"normal"``: ``factor = (mean, sigma)``, mean > 0, sigma >= 0, factor from the normal
  truncated to [0, inf) (exact inverse-CDF draw, :func:`augment._random.positive_normal`),
  so energies never turn negative.

A single number x is a spread about 1: ``"uniform"`` U[1 - x, 1 + x) (0 <= x <= 1, so
``EnergyScale(0.1)`` is U[0.9, 1.1)) and ``"normal"`` mean 1, sigma x.
"""

from __future__ import annotations

import numbers
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

    def __init__(self, factor: float | Sequence[float], distribution: str, columns: int | Sequence[int],
                 p: float) -> None:
        super().__init__(p)
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution: expected one of {DISTRIBUTIONS}, got {distribution!r}")
        if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
            factor = self._spread(float(factor), distribution)
        if distribution == "uniform":
            self.factor = check_range("factor", factor, lower=0.0)
        else:
            mean, sigma = check_pair("factor", factor, "(mean, sigma)")
            self.factor = (check_positive("factor[0] (mean)", mean), check_nonnegative("factor[1] (sigma)", sigma))
        self.distribution = distribution
        self.columns = check_columns("columns", columns)

    @staticmethod
    def _spread(x: float, distribution: str) -> tuple[float, float]:
        """A single number x: U[1 - x, 1 + x) or normal(1, x)."""
        if distribution == "uniform" and not 0.0 <= x <= 1.0:
            raise ValueError(f"factor: a single number x means U[1 - x, 1 + x), expected 0 <= x <= 1, got {x!r}")
        check_nonnegative("factor", x)
        return (1.0 - x, 1.0 + x) if distribution == "uniform" else (1.0, x)

    def _draw(self, shape: tuple[int, ...], events: Events, generator: torch.Generator | None) -> Tensor:
        dtype, device = events.feats.dtype, events.device
        if self.distribution == "uniform":
            return uniform(shape, *self.factor, generator, device, dtype)
        return positive_normal(shape, *self.factor, generator, device, dtype)

    def _scale(self, events: Events, factors: Tensor, per_event: bool = False) -> Events:
        """Multiply by per-point ``factors`` (N,), or per-event ones (B,) with ``per_event``."""
        for c in self.columns:
            check_column("columns", c, events)
        batch = events.batch if per_event else None
        return events.replace(feats=F.scale_features(events.feats, factors, self.columns, batch))


class EnergyScale(_FeatureScale):
    """Multiply the ``columns`` of every point of an event by one factor per event (an
    overall energy-scale shift). Params: ``scale`` (B,). See the module docstring for
    ``factor`` and ``distribution``."""

    def __init__(self, factor: float | Sequence[float] = (0.9, 1.1), distribution: str = "uniform",
                 columns: int | Sequence[int] = 0, p: float = 1.0) -> None:
        super().__init__(factor, distribution, columns, p)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        return {"scale": self._draw((events.num_events,), events, generator)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        scale = check_param(params, "scale", (events.num_events,), events)
        return self._scale(events, scale, per_event=True)


class LocalSmear(_FeatureScale):
    """Multiply the ``columns`` of each point by its own factor (local energy resolution).
    Factors are never negative (see the module docstring). Params: ``point_scale`` (N,)."""

    def __init__(self, factor: float | Sequence[float] = (1.0, 0.05), distribution: str = "normal",
                 columns: int | Sequence[int] = 0, p: float = 1.0) -> None:
        super().__init__(factor, distribution, columns, p)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        return {"point_scale": self._draw((events.num_points,), events, generator)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        return self._scale(events, check_param(params, "point_scale", (events.num_points,), events))
