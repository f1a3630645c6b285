"""Argument checks shared by transforms: each raises naming the argument."""

from __future__ import annotations

import math
from typing import Sequence

from torch import Tensor

from augment._events import Events


def check_nonnegative(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def check_positive(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def check_int(name: str, value: int, low: int = 0) -> int:
    """An int (not a bool) >= ``low``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")
    return value


def check_range(name: str, value: Sequence[float], lower: float = -math.inf) -> tuple[float, float]:
    """A (low, high) pair with lower <= low <= high, both finite."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a (low, high) pair of numbers, got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and lower <= low <= high):
        raise ValueError(f"{name}: expected finite {lower} <= low <= high, got {value!r}")
    return low, high


def check_float_coords(events: Events, dims: Sequence[int] | None = None) -> None:
    """Geometric transforms need floating coords, and some a given dimension D."""
    if not events.coords.is_floating_point():
        raise TypeError(f"events.coords: expected floating coordinates, got {events.coords.dtype} "
                        "(voxelised events cannot be moved continuously; transform before voxelize)")
    if dims is not None and events.coords.shape[1] not in dims:
        raise ValueError(f"events.coords: expected D in {tuple(dims)}, got D = {events.coords.shape[1]}")


def check_param(params: dict[str, Tensor], key: str, shape: tuple[int, ...], events: Events) -> Tensor:
    """A replayed parameter must be a tensor of the expected shape on the events' device."""
    if key not in params:
        raise ValueError(f"params: missing '{key}'")
    value = params[key]
    if not isinstance(value, Tensor) or tuple(value.shape) != shape:
        got = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
        raise ValueError(f"params['{key}']: expected shape {shape}, got {got}")
    if value.device != events.device:
        raise ValueError(f"params['{key}']: expected device {events.device}, got {value.device}")
    return value


def check_column(name: str, column: int, events: Events) -> None:
    if not -events.feats.shape[1] <= column < events.feats.shape[1]:
        raise ValueError(f"{name}: expected a feats column in [0, {events.feats.shape[1]}), got {column}")


__all__ = ["check_nonnegative", "check_positive", "check_range", "check_float_coords", "check_param",
           "check_column"]
