"""Detector throws: the detector response with some parameters drawn per event.

Ranges default to physics.md section 1 (arXiv 2309.04639); unthrown parameters stay at the
configured values (nominal by default). The drawn (B,) values are in the params dict under
their names ("efield", "lifetime", ...), for replay and for binning robustness studies.
"""

from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import Tensor

from augment._checks import check_range
from augment._events import Events
from augment._random import uniform
from systematics.parameters import RANGES, RECOMBINATION_KEYS, check_physical
from systematics.response import DetectorResponse

__all__ = ["DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow", "RecombinationThrow"]


class DetectorThrow(DetectorResponse):
    """Throw all (or the flagged) detector parameters at once, uniformly per event in ``ranges``
    (default :data:`systematics.parameters.RANGES`); lifetime log-uniformly if ``log_uniform``.

    Flags: ``efield``, ``lifetime``, ``diffusion`` (transverse and longitudinal), ``recombination``
    (the two constants of ``params.recombination``'s model). Other keyword arguments as
    :class:`DetectorResponse`."""

    def __init__(self, efield: bool = True, lifetime: bool = True, diffusion: bool = True, recombination: bool = True,
                 ranges: Mapping[str, tuple[float, float]] | None = None, log_uniform: bool = False,
                 **response_kwargs) -> None:
        super().__init__(**response_kwargs)
        thrown: list[str] = []
        for flag, keys in ((efield, ("efield",)), (lifetime, ("lifetime",)),
                           (diffusion, ("diffusion_t", "diffusion_l")),
                           (recombination, RECOMBINATION_KEYS[self.params.recombination])):
            if flag:
                thrown.extend(keys)
        ranges = dict(ranges or {})
        unknown = sorted(set(ranges) - set(thrown))
        if unknown:
            raise ValueError(f"ranges: got keys {unknown} that are not thrown (thrown: {thrown})")
        self.ranges = {}
        for key in thrown:
            low, high = check_range(f"ranges['{key}']", ranges.get(key, RANGES[key]))
            check_physical(key, torch.tensor([low, high], dtype=torch.float64))
            self.ranges[key] = (low, high)
        if not isinstance(log_uniform, bool) or (log_uniform and "lifetime" not in thrown):
            raise ValueError(f"log_uniform: expected a bool, True only when the lifetime is thrown, got {log_uniform!r}")
        self.log_uniform = log_uniform

    def draw_detector(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        out = super().draw_detector(events, generator)
        shape, device, dtype = (events.num_events,), events.device, events.coords.dtype
        for key, (low, high) in self.ranges.items():
            if key == "lifetime" and self.log_uniform:
                out[key] = uniform(shape, math.log(low), math.log(high), generator, device, torch.float64).exp().to(dtype)
            else:
                out[key] = uniform(shape, low, high, generator, device, dtype)
        return out


class LifetimeThrow(DetectorThrow):
    """Electron lifetime (us) per event in ``range`` (default [500, 5000] us), uniform or log-uniform."""

    def __init__(self, range: tuple[float, float] = RANGES["lifetime"], log_uniform: bool = False,
                 **response_kwargs) -> None:
        super().__init__(efield=False, lifetime=True, diffusion=False, recombination=False,
                         ranges={"lifetime": range}, log_uniform=log_uniform, **response_kwargs)


class EFieldThrow(DetectorThrow):
    """Drift field (kV/cm) per event in ``range`` (default [0.45, 0.55]); enters recombination, and
    the drift velocity if ``geometry.field_changes_velocity``."""

    def __init__(self, range: tuple[float, float] = RANGES["efield"], **response_kwargs) -> None:
        super().__init__(efield=True, lifetime=False, diffusion=False, recombination=False,
                         ranges={"efield": range}, **response_kwargs)


class DiffusionThrow(DetectorThrow):
    """Transverse and longitudinal diffusion constants (cm^2/us) per event, independently."""

    def __init__(self, range_t: tuple[float, float] = RANGES["diffusion_t"],
                 range_l: tuple[float, float] = RANGES["diffusion_l"], **response_kwargs) -> None:
        super().__init__(efield=False, lifetime=False, diffusion=True, recombination=False,
                         ranges={"diffusion_t": range_t, "diffusion_l": range_l}, **response_kwargs)


class RecombinationThrow(DetectorThrow):
    """The two constants of the recombination model of ``params`` (Birks by default: birks_a,
    birks_k; Box: box_alpha, box_beta) per event; ``ranges`` overrides their ranges."""

    def __init__(self, ranges: Mapping[str, tuple[float, float]] | None = None, **response_kwargs) -> None:
        super().__init__(efield=False, lifetime=False, diffusion=False, recombination=True, ranges=ranges,
                         **response_kwargs)
