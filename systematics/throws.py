"""Detector throws: samplers of detector parameters for one :class:`DetectorResponse`.

A throw draws per-event values of its parameters and writes them into ``events.attrs[name]`` (B,)
(its ``transform``); it does not simulate. The response that follows simulates each event once,
with the values set there and nominal elsewhere, so throws compose with the containers:
``Compose([OneOf([LifetimeThrow(), EFieldThrow()]), DetectorResponse()])`` gives each event one of
the two throws; an event whose throw's gate is off keeps NaN ("not thrown") and is simulated at
nominal. Which parameters exist, their default ranges and their limits come from the parameter
table (:data:`systematics.parameters.TABLE`, docs/physics.md section 1.1).
"""

from __future__ import annotations

import math
from typing import Collection, Mapping, Sequence

import torch
from torch import Tensor

from augment._base import Transform
from augment._checks import check_range
from augment._events import Events
from augment._random import uniform
from systematics.parameters import PARAMETERS, RANGES, RECOMBINATION_MODELS
from systematics.response import check_deposits

__all__ = ["ParameterThrow", "DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow", "RecombinationThrow"]


class ParameterThrow(Transform):
    """Throw the parameters ``names`` independently per event, uniformly in ``ranges[name]``
    (default: the table's throw range), uniformly in log for the names in ``log_uniform``; with
    probability ``p`` per event. Params: one (B,) tensor per name (dtype of the coords).

    Every name must have a throw range in the table; a range must lie inside the parameter's
    physical limits. Acts on true deposits (before the response)."""

    def __init__(self, names: Sequence[str], ranges: Mapping[str, tuple[float, float]] | None = None,
                 log_uniform: Collection[str] = (), p: float = 1.0) -> None:
        super().__init__(p)
        names = tuple(names)
        if not names or any(n not in RANGES for n in names) or len(set(names)) != len(names):
            raise ValueError(f"names: expected distinct parameters with a throw range ({list(RANGES)}), "
                             f"got {list(names)}")
        ranges = dict(ranges or {})
        unknown = sorted(set(ranges) - set(names))
        if unknown:
            raise ValueError(f"ranges: got keys {unknown} that are not thrown (thrown: {list(names)})")
        if isinstance(log_uniform, str) or not set(log_uniform) <= set(names):
            raise ValueError(f"log_uniform: expected a collection of thrown names ({list(names)}), got {log_uniform!r}")
        self.ranges: dict[str, tuple[float, float]] = {}
        for name in names:
            low, high = check_range(f"ranges['{name}']", ranges.get(name, RANGES[name]))
            PARAMETERS[name].check(torch.tensor([low, high], dtype=torch.float64), f"ranges['{name}']")
            if name in log_uniform and low <= 0:
                raise ValueError(f"ranges['{name}']: expected low > 0 for a log-uniform throw, got {low}")
            self.ranges[name] = (low, high)
        self.log_uniform = tuple(n for n in names if n in log_uniform)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_deposits(events)
        shape, device, dtype = (events.num_events,), events.device, events.coords.dtype
        out = {}
        for name, (low, high) in self.ranges.items():
            if name in self.log_uniform:
                log = uniform(shape, math.log(low), math.log(high), generator, device, torch.float64)
                out[name] = log.exp().to(dtype)
            else:
                out[name] = uniform(shape, low, high, generator, device, dtype)
        return out

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        return events.replace(attrs={**events.attrs, **{name: params[name] for name in self.ranges}})


class DetectorThrow(ParameterThrow):
    """Throw every parameter of the table that has a throw range (both recombination models'
    constants: the response uses its model's), except those in ``exclude``; a parameter added to
    the table is thrown here too."""

    def __init__(self, exclude: Collection[str] = (), ranges: Mapping[str, tuple[float, float]] | None = None,
                 log_uniform: Collection[str] = (), p: float = 1.0) -> None:
        if isinstance(exclude, str) or not set(exclude) <= set(RANGES):
            raise ValueError(f"exclude: expected a collection of throwable parameters ({list(RANGES)}), "
                             f"got {exclude!r}")
        super().__init__([n for n in RANGES if n not in exclude], ranges, log_uniform, p)


class LifetimeThrow(ParameterThrow):
    """Electron lifetime (us) per event in ``range`` (default: the table's), uniform or log-uniform."""

    def __init__(self, range: tuple[float, float] = RANGES["lifetime"], log_uniform: bool = False,
                 p: float = 1.0) -> None:
        if not isinstance(log_uniform, bool):
            raise ValueError(f"log_uniform: expected a bool, got {log_uniform!r}")
        super().__init__(("lifetime",), {"lifetime": range}, ("lifetime",) if log_uniform else (), p)


class EFieldThrow(ParameterThrow):
    """Drift field (kV/cm) per event in ``range`` (default: the table's); enters recombination and
    the drift velocity (docs/physics.md sections 1.2 and 1.3)."""

    def __init__(self, range: tuple[float, float] = RANGES["efield"], p: float = 1.0) -> None:
        super().__init__(("efield",), {"efield": range}, p=p)


class DiffusionThrow(ParameterThrow):
    """Transverse and longitudinal diffusion constants (cm^2/us) per event, independently."""

    def __init__(self, range_t: tuple[float, float] = RANGES["diffusion_t"],
                 range_l: tuple[float, float] = RANGES["diffusion_l"], p: float = 1.0) -> None:
        super().__init__(("diffusion_t", "diffusion_l"), {"diffusion_t": range_t, "diffusion_l": range_l}, p=p)


class RecombinationThrow(ParameterThrow):
    """The constants of the recombination ``model`` ("birks": birks_a, birks_k; "box": box_alpha,
    box_beta) per event; ``ranges`` overrides their ranges. The response must use the same model."""

    def __init__(self, model: str = "birks", ranges: Mapping[str, tuple[float, float]] | None = None,
                 p: float = 1.0) -> None:
        if model not in RECOMBINATION_MODELS:
            raise ValueError(f"model: expected one of {RECOMBINATION_MODELS}, got {model!r}")
        self.model = model
        super().__init__([n for n in RANGES if PARAMETERS[n].model == model], ranges, p=p)
