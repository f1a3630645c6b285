"""Detector throws: the detector response with some parameters drawn per event.

Which parameters, their default ranges and their validation come from the parameter table
(:data:`systematics.parameters.TABLE`, docs/physics.md section 1); unthrown parameters stay at the
configured values (nominal by default). The drawn (B,) values are in the params dict under their
names ("efield", "lifetime", ...), for replay and for binning robustness studies.
"""

from __future__ import annotations

import math
from typing import Collection, Mapping, Sequence

import torch
from torch import Tensor

from augment._checks import check_range
from augment._events import Events
from augment._random import uniform
from systematics.parameters import PARAMETERS, RANGES, used_parameters
from systematics.response import DetectorResponse

__all__ = ["ParameterThrow", "DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow", "RecombinationThrow",
           "SpaceChargeThrow", "DeadChannelThrow", "GainThrow"]


def _model(response_kwargs: Mapping[str, object]) -> str:
    """The recombination model of the response's ``params`` (DetectorResponse type-checks them)."""
    return getattr(response_kwargs.get("params"), "recombination", "birks")


class ParameterThrow(DetectorResponse):
    """Throw the parameters ``names`` independently per event, uniformly in ``ranges[name]``
    (default: the table's throw range), uniformly in log for the names in ``log_uniform``.

    Every name must be a parameter the response uses (the recombination constants of
    ``params.recombination``'s model) and have a throw range; a range must lie inside the
    parameter's physical limits. Other keyword arguments as :class:`DetectorResponse`."""

    def __init__(self, names: Sequence[str], ranges: Mapping[str, tuple[float, float]] | None = None,
                 log_uniform: Collection[str] = (), **response_kwargs) -> None:
        super().__init__(**response_kwargs)
        names = tuple(names)
        used = self.params.keys
        bad = [n for n in names if n not in used or n not in RANGES]
        if not names or bad or len(set(names)) != len(names):
            raise ValueError(f"names: expected distinct parameters with a throw range that the response uses "
                             f"({[n for n in used if n in RANGES]}), got {list(names)}")
        ranges = dict(ranges or {})
        unknown = sorted(set(ranges) - set(names))
        if unknown:
            raise ValueError(f"ranges: got keys {unknown} that are not thrown (thrown: {list(names)})")
        if isinstance(log_uniform, str) or not set(log_uniform) <= set(names):
            raise ValueError(f"log_uniform: expected a collection of thrown names ({list(names)}), got {log_uniform!r}")
        self.ranges = {}
        for name in names:
            low, high = check_range(f"ranges['{name}']", ranges.get(name, RANGES[name]))
            PARAMETERS[name].check(torch.tensor([low, high], dtype=torch.float64), f"ranges['{name}']")
            if name in log_uniform and low <= 0:
                raise ValueError(f"ranges['{name}']: expected low > 0 for a log-uniform throw, got {low}")
            self.ranges[name] = (low, high)
        self.log_uniform = tuple(n for n in names if n in log_uniform)

    def draw_detector(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        out = super().draw_detector(events, generator)
        shape, device, dtype = (events.num_events,), events.device, events.coords.dtype
        for name, (low, high) in self.ranges.items():
            if name in self.log_uniform:
                out[name] = uniform(shape, math.log(low), math.log(high), generator, device, torch.float64).exp().to(dtype)
            else:
                out[name] = uniform(shape, low, high, generator, device, dtype)
        return out


class DetectorThrow(ParameterThrow):
    """Throw every parameter of the table that has a throw range and that the response uses,
    except those in ``exclude`` (so a parameter added to the table is thrown here too). Space
    charge is thrown only when the geometry knows its transverse extent (``geometry.transverse``)."""

    def __init__(self, exclude: Collection[str] = (), ranges: Mapping[str, tuple[float, float]] | None = None,
                 log_uniform: Collection[str] = (), **response_kwargs) -> None:
        geometry = response_kwargs.get("geometry")
        no_box = ("space_charge",) if getattr(geometry, "transverse", None) is None else ()
        throwable = [n for n in used_parameters(_model(response_kwargs)) if n in RANGES and n not in no_box]
        if isinstance(exclude, str) or not set(exclude) <= set(throwable):
            raise ValueError(f"exclude: expected a collection of throwable parameters ({throwable}), got {exclude!r}")
        super().__init__([n for n in throwable if n not in exclude], ranges, log_uniform, **response_kwargs)


class LifetimeThrow(ParameterThrow):
    """Electron lifetime (us) per event in ``range`` (default: the table's), uniform or log-uniform."""

    def __init__(self, range: tuple[float, float] = RANGES["lifetime"], log_uniform: bool = False,
                 **response_kwargs) -> None:
        if not isinstance(log_uniform, bool):
            raise ValueError(f"log_uniform: expected a bool, got {log_uniform!r}")
        super().__init__(("lifetime",), {"lifetime": range}, ("lifetime",) if log_uniform else (), **response_kwargs)


class EFieldThrow(ParameterThrow):
    """Drift field (kV/cm) per event in ``range`` (default: the table's); enters recombination, and
    the drift velocity if ``geometry.field_changes_velocity``."""

    def __init__(self, range: tuple[float, float] = RANGES["efield"], **response_kwargs) -> None:
        super().__init__(("efield",), {"efield": range}, **response_kwargs)


class DiffusionThrow(ParameterThrow):
    """Transverse and longitudinal diffusion constants (cm^2/us) per event, independently."""

    def __init__(self, range_t: tuple[float, float] = RANGES["diffusion_t"],
                 range_l: tuple[float, float] = RANGES["diffusion_l"], **response_kwargs) -> None:
        super().__init__(("diffusion_t", "diffusion_l"), {"diffusion_t": range_t, "diffusion_l": range_l},
                         **response_kwargs)


class RecombinationThrow(ParameterThrow):
    """The constants of the recombination model of ``params`` (Birks by default: birks_a, birks_k;
    Box: box_alpha, box_beta) per event; ``ranges`` overrides their ranges."""

    def __init__(self, ranges: Mapping[str, tuple[float, float]] | None = None, **response_kwargs) -> None:
        model = _model(response_kwargs)
        names = [p.name for p in PARAMETERS.values() if p.model == model and p.throw_range is not None]
        super().__init__(names, ranges, **response_kwargs)


class SpaceChargeThrow(ParameterThrow):
    """Space-charge density relative to MicroBooNE's at the surface (0: none, 1: MicroBooNE) per
    event in ``range`` (default [0, 1]); the charge is displaced by the lowest-mode space-charge map
    scaled to the geometry's drift length by L^3 E^-1.7 (docs/physics.md, "Space charge": at most
    3.9 cm across and 1.0 cm along the drift in the 230.4 cm cube). Needs ``geometry.transverse``."""

    def __init__(self, range: tuple[float, float] = RANGES["space_charge"], **response_kwargs) -> None:
        geometry = response_kwargs.get("geometry")
        if getattr(geometry, "transverse", None) is None:
            raise ValueError("geometry: expected a DriftGeometry with transverse=((low, high), (low, high)) cm "
                             "(the field cage's extent) for space charge, got "
                             f"{'the default DriftGeometry()' if geometry is None else geometry}")
        super().__init__(("space_charge",), {"space_charge": range}, **response_kwargs)


class DeadChannelThrow(ParameterThrow):
    """Fractions of dead (read nothing) and noisy (``readout.noisy_channel_noise`` electrons RMS
    more noise) readout channels per event, in ``dead`` (default [0, 0.10]: larnd-sim's Module-0
    disables 7.9%) and ``noisy`` (default [0, 0.05]); a channel is a pixel, the voxel column along
    the drift (docs/physics.md, "Readout channels")."""

    def __init__(self, dead: tuple[float, float] = RANGES["dead_fraction"],
                 noisy: tuple[float, float] = RANGES["noisy_fraction"], **response_kwargs) -> None:
        super().__init__(("dead_fraction", "noisy_fraction"), {"dead_fraction": dead, "noisy_fraction": noisy},
                         **response_kwargs)


class GainThrow(ParameterThrow):
    """Relative RMS spread of the per-channel gains per event in ``range`` (default [0, 0.10]); each
    pixel's gain is log-normal with mean 1, hashed from the event's seed (docs/physics.md,
    "Readout channels")."""

    def __init__(self, range: tuple[float, float] = RANGES["gain_spread"], **response_kwargs) -> None:
        super().__init__(("gain_spread",), {"gain_spread": range}, **response_kwargs)
