"""The centre a transform turns or mirrors each event about (Rotate, Reflect): one place for the
choice of centre and its checks."""

from __future__ import annotations

import numbers
from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._checks import check_column
from augment._events import Events

__all__ = ["CENTRES", "check_centre", "event_centres"]

CENTRES = ("centroid", "weighted", "origin", "jet")


def check_centre(centre: str | Sequence[float], weight_column: int, allowed: Sequence[str] = CENTRES,
                 fixed_point: bool = False) -> str | tuple[float, ...]:
    """``centre`` one of ``allowed``, or (with ``fixed_point``) D finite numbers: a fixed point in
    the coords' units. ``weight_column`` an int feats column."""
    if not isinstance(weight_column, numbers.Integral) or isinstance(weight_column, bool):
        raise TypeError(f"weight_column: expected an int feats column, got {weight_column!r}")
    if isinstance(centre, str):
        if centre not in allowed:
            raise ValueError(f"centre: expected one of {tuple(allowed)}, got {centre!r}")
        return centre
    point = torch.as_tensor(centre, dtype=torch.float64) if fixed_point and isinstance(centre, Sequence) else None
    if point is None or point.dim() != 1 or len(point) == 0 or not torch.isfinite(point).all():
        also = " or a point (one finite number per axis)" if fixed_point else ""
        raise ValueError(f"centre: expected one of {tuple(allowed)}{also}, got {centre!r}")
    return tuple(point.tolist())


def event_centres(events: Events, centre: str | tuple[float, ...], weight_column: int = 0) -> Tensor:
    """(B, D) centre of each event, coords' units: ``"centroid"`` (mean of its points),
    ``"weighted"`` (mean weighted by feats column ``weight_column``), ``"origin"`` (0), ``"jet"``
    (the pT-weighted jet axis, circular mean in phi: :func:`augment.functional.jet_axis`) or a
    fixed point (D numbers). Empty events, and events whose weights sum to 0, get 0."""
    B, D = events.num_events, events.coords.shape[1]
    if centre == "origin":
        return events.coords.new_zeros(B, D)
    if centre == "jet":
        return F.jet_axis(events.coords, events.feats, events.batch, B)
    if not isinstance(centre, str):
        if len(centre) != D:
            raise ValueError(f"centre: expected a point of D = {D} numbers, got {len(centre)}")
        return torch.tensor(centre, dtype=events.coords.dtype, device=events.device).expand(B, D).contiguous()
    weights = None
    if centre == "weighted":
        check_column("weight_column", weight_column, events)
        weights = events.feats[:, weight_column]
    return F.event_mean(events.coords, events.batch, B, weights)
