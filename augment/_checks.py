"""Argument checks shared by transforms: each raises naming the argument."""

from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence

import torch
from torch import Tensor

from augment._events import Events


def check_events(events: Events) -> None:
    """``events`` is an :class:`augment.Events` (TypeError otherwise)."""
    if not isinstance(events, Events):
        raise TypeError(f"events: expected augment.Events, got {type(events).__name__}")


def check_input(events: Events) -> None:
    """The check of a top-level transform call: an :class:`augment.Events` whose tensors still hold
    valid values (:meth:`Events.validate`: NaN written in place after construction is caught here)."""
    check_events(events)
    events.validate()


def check_nonnegative(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def check_positive(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def check_pair(name: str, value: Sequence[float], what: str = "(low, high)") -> tuple[float, float]:
    """Two numbers, e.g. a (low, high) range or a (mean, sigma) pair named by ``what``."""
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a {what} pair of numbers, got {value!r}") from None
    return a, b


def check_int(name: str, value: int, low: int = 0) -> int:
    """An integer (Python or numpy, not a bool) >= ``low``, returned as a Python int."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")
    return int(value)


def check_range(name: str, value: Sequence[float], lower: float = -math.inf) -> tuple[float, float]:
    """A (low, high) pair with lower <= low <= high, both finite."""
    low, high = check_pair(name, value)
    if not (math.isfinite(low) and math.isfinite(high) and lower <= low <= high):
        raise ValueError(f"{name}: expected finite {lower} <= low <= high, got {value!r}")
    return low, high


def check_per_axis(name: str, value: float | Sequence[float],
                   check: Callable[[str, float], float] = check_nonnegative) -> float | tuple[float, ...]:
    """One number for all axes or one per axis, each passing ``check`` (named ``name[i]``)."""
    if isinstance(value, (int, float)):
        return check(name, value)
    values = tuple(value)
    if not values:
        raise ValueError(f"{name}: expected a number or one number per axis, got an empty sequence")
    return tuple(check(f"{name}[{i}]", v) for i, v in enumerate(values))


def per_axis_tensor(name: str, value: float | Sequence[float], events: Events) -> Tensor:
    """``value`` (from :func:`check_per_axis`) as a () or (D,) tensor in the coords' dtype and device."""
    t = torch.as_tensor(value, dtype=events.coords.dtype, device=events.device)
    D = events.coords.shape[1]
    if t.dim() == 1 and t.shape[0] != D:
        raise ValueError(f"{name}: expected one value or D = {D} values, got {t.shape[0]}")
    return t


def check_value_or_range(name: str, value: float | Sequence[float], lower: float = 0.0,
                         upper: float = math.inf) -> tuple[float, float]:
    """A number v (returned as (v, v)) or a (low, high) range, with lower <= low <= high < upper."""
    low, high = (value, value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else check_range(name, value, lower)
    if not (math.isfinite(low) and lower <= low <= high < upper):
        raise ValueError(f"{name}: expected a number or (low, high) with {lower} <= low <= high < {upper}, "
                         f"got {value!r}")
    return float(low), float(high)


def check_columns(name: str, columns: int | Sequence[int]) -> tuple[int, ...]:
    """One feats column index or several, as a non-empty tuple of distinct ints."""
    if isinstance(columns, numbers.Integral):
        columns = (columns,)
    try:
        cols = tuple(columns)
    except TypeError:
        raise ValueError(f"{name}: expected a feats column index or distinct indices, got {columns!r}") from None
    if not cols or any(not isinstance(c, numbers.Integral) or isinstance(c, bool) for c in cols) \
            or len(set(cols)) != len(cols):
        raise ValueError(f"{name}: expected a feats column index or distinct indices, got {columns!r}")
    return tuple(int(c) for c in cols)


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
           "check_column", "check_pair", "check_per_axis", "per_axis_tensor", "check_value_or_range", "check_columns"]
