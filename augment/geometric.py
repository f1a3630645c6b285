"""Geometric transforms: Translate, Rotate, Jitter, Cutout."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform
from augment._checks import (check_column, check_float_coords, check_param, check_per_axis, check_value_or_range,
                             per_axis_tensor)
from augment._events import Events
from augment._params import Params
from augment._random import axis_angle_to_matrix, normal, randint, rotation_matrices, uniform
from augment.sampling import keep_points

__all__ = ["Translate", "Rotate", "Jitter", "Cutout"]


class Translate(Transform):
    """Shift each event by a vector uniform in the box [-max_shift, max_shift]^D.

    ``max_shift`` is in the coords' units (cm for LArTPC events, eta/phi for jets):
    one number for all axes or one per axis. Params: ``shift`` (B, D)."""

    def __init__(self, max_shift: float | Sequence[float], p: float = 1.0) -> None:
        super().__init__(p)
        self.max_shift = check_per_axis("max_shift", max_shift)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        half = per_axis_tensor("max_shift", self.max_shift, events)
        return {"shift": uniform((B, D), -half, half, generator, events.device, events.coords.dtype)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_float_coords(events)
        shift = check_param(params, "shift", (events.num_events, events.coords.shape[1]), events)
        return events.replace(coords=F.translate(events.coords, events.batch, shift))

    def inverse(self, events: Events, params: Params) -> Events:
        """Undo :meth:`apply` with the same params."""
        return self.apply(events, params.replace(shift=-params["shift"]))


class Rotate(Transform):
    """Rotate each event about its centre by a random rotation.

    3D coords ((x, y, z) in cm): uniform (Haar measure) on SO(3); with a fixed ``axis`` (3
    numbers, any length), by an angle U[0, 2 pi) about that direction. 2D coords ((eta, phi)
    of jets): angle U[0, 2 pi) in that plane.

    ``centre``: ``"centroid"`` (mean of the event's points, default), ``"weighted"`` (mean
    weighted by feats column ``weight_column``, e.g. dE in MeV or pT in GeV) or ``"origin"``.
    Empty events and events whose weights sum to 0 turn about 0.
    Params: ``matrix`` (B, D, D), ``centre`` (B, D) in the coords' units."""

    CENTRES = ("centroid", "weighted", "origin")

    def __init__(self, axis: Sequence[float] | None = None, centre: str = "centroid", weight_column: int = 0,
                 p: float = 1.0) -> None:
        super().__init__(p)
        if centre not in self.CENTRES:
            raise ValueError(f"centre: expected one of {self.CENTRES}, got {centre!r}")
        if not isinstance(weight_column, int) or isinstance(weight_column, bool):
            raise TypeError(f"weight_column: expected an int feats column, got {weight_column!r}")
        self.axis = None if axis is None else _unit_axis(axis)
        self.centre = centre
        self.weight_column = weight_column

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events, dims=(2, 3))
        B, D = events.num_events, events.coords.shape[1]
        dtype, device = events.coords.dtype, events.device
        if self.axis is None:
            matrix = rotation_matrices(B, D, generator, device, dtype)
        elif D != 3:
            raise ValueError(f"axis: a fixed rotation axis needs 3D coords, got D = {D}")
        else:
            angle = uniform((B,), 0.0, 2 * math.pi, generator, device, dtype)
            matrix = axis_angle_to_matrix(torch.tensor(self.axis, dtype=dtype, device=device), angle)
        return {"matrix": matrix, "centre": self._centres(events)}

    def _centres(self, events: Events) -> Tensor:
        if self.centre == "origin":
            return events.coords.new_zeros(events.num_events, events.coords.shape[1])
        weights = None
        if self.centre == "weighted":
            check_column("weight_column", self.weight_column, events)
            weights = events.feats[:, self.weight_column]
        return F.event_mean(events.coords, events.batch, events.num_events, weights)

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_float_coords(events, dims=(2, 3))
        B, D = events.num_events, events.coords.shape[1]
        matrix = check_param(params, "matrix", (B, D, D), events)
        centre = check_param(params, "centre", (B, D), events)
        return events.replace(coords=F.rotate(events.coords, events.batch, matrix, centre))

    def inverse(self, events: Events, params: Params) -> Events:
        """Undo :meth:`apply` with the same params (the transposed rotation, same centre)."""
        return self.apply(events, params.replace(matrix=params["matrix"].transpose(1, 2)))


def _unit_axis(axis: Sequence[float]) -> tuple[float, float, float]:
    a = torch.as_tensor(axis, dtype=torch.float64)
    if a.shape != (3,) or not torch.isfinite(a).all() or not a.norm() > 0:
        raise ValueError(f"axis: expected 3 finite numbers, not all 0, got {axis!r}")
    return tuple((a / a.norm()).tolist())


class Jitter(Transform):
    """Displace every point by its own Gaussian offset N(0, sigma^2) on each axis.

    ``sigma`` in the coords' units (cm, or eta/phi for jets): one number for all axes
    or one per axis. Params: ``point_offset`` (N, D)."""

    def __init__(self, sigma: float | Sequence[float], p: float = 1.0) -> None:
        super().__init__(p)
        self.sigma = check_per_axis("sigma", sigma)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events)
        sigma = per_axis_tensor("sigma", self.sigma, events)
        z = normal(tuple(events.coords.shape), generator, events.device, events.coords.dtype)
        return {"point_offset": z * sigma}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_float_coords(events)
        offset = check_param(params, "point_offset", tuple(events.coords.shape), events)
        return events.replace(coords=F.jitter(events.coords, offset))


class Cutout(Transform):
    """Remove the points inside a random region of each event.

    ``shape="box"``: an axis-aligned box, ``size`` its half-size per axis; ``shape="sphere"``:
    a ball, ``size`` its radius; the region is open (a point on its surface stays). Sizes are
    in the coords' units (cm, or eta/phi for jets): a number, or a (low, high) range drawn
    uniformly per event (one draw for all axes: a cube), or, for the box, one number or
    (low, high) range per axis (drawn independently). Two numbers are always a (low, high) range. The region's centre is a point of the
    event chosen uniformly (empty events: 0).

    Never empties an event: if the region holds every point of an event, that event is
    kept unchanged. Params: ``centre`` (B, D), ``size`` (B, D) for the box or (B,) for the
    sphere, and the ``apply`` gate."""

    SHAPES = ("box", "sphere")

    def __init__(self, size: float | Sequence[float] | Sequence[Sequence[float] | float], shape: str = "box",
                 p: float = 1.0) -> None:
        super().__init__(p)
        if shape not in self.SHAPES:
            raise ValueError(f"shape: expected one of {self.SHAPES}, got {shape!r}")
        self.shape = shape
        self.size = _size_ranges(size)
        if shape == "sphere" and len(self.size) > 1:
            raise ValueError(f"size: a sphere takes one radius or (low, high) range, got {size!r}")

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        dtype, device = events.coords.dtype, events.device
        if len(self.size) not in (1, D):
            raise ValueError(f"size: expected one value or range, or D = {D}, got {len(self.size)}")
        centre = _random_point(events, generator)
        low, high = (torch.tensor(v, dtype=dtype, device=device) for v in zip(*self.size))
        if len(self.size) == D and D > 1:
            size = uniform((B, D), low, high, generator, device, dtype)
        else:
            size = uniform((B,), low[0], high[0], generator, device, dtype)
            if self.shape == "box":
                size = size[:, None].expand(B, D).contiguous()
        return {"centre": centre, "size": size}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        centre = check_param(params, "centre", (B, D), events)
        size = check_param(params, "size", (B, D) if self.shape == "box" else (B,), events)
        region = F.inside_box if self.shape == "box" else F.inside_sphere
        cut = region(events.coords, events.batch, centre, size)
        return keep_points(events, F.restore_emptied(~cut, events.batch, B))


def _size_ranges(size) -> tuple[tuple[float, float], ...]:
    """Cutout sizes as (low, high) ranges: one for all axes, or one per axis. Two numbers are a range."""
    if not isinstance(size, (int, float, Sequence)) or isinstance(size, (bool, str)):
        raise ValueError(f"size: expected a number, a (low, high) range or one per axis, got {size!r}")
    if isinstance(size, (int, float)) or (len(size) == 2 and all(isinstance(v, (int, float)) for v in size)):
        return (check_value_or_range("size", size),)
    return tuple(check_value_or_range(f"size[{i}]", v) for i, v in enumerate(size))


def _random_point(events: Events, generator: torch.Generator | None) -> Tensor:
    """(B, D): the coords of one point per event chosen uniformly; 0 for empty events."""
    counts = events.counts()
    index = events.offsets()[:-1] + randint(counts.clamp_min(1), generator)
    if events.num_points == 0:
        return events.coords.new_zeros(events.num_events, events.coords.shape[1])
    picked = events.coords[index.clamp_max(events.num_points - 1)]
    return torch.where((counts > 0)[:, None], picked, torch.zeros_like(picked))
