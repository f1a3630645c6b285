"""Geometric transforms: Translate, Rotate, Jitter, Cutout, Crop."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import AffineTransform, Transform
from augment._centres import check_centre, event_centres
from augment._checks import (check_float_coords, check_param, check_per_axis, check_value_or_range,
                             per_axis_tensor)
from augment._events import Events
from augment._params import Params
from augment._random import axis_angle_to_matrix, normal, randint, rotation_matrices, uniform
from augment.jets import check_jets
from augment.sampling import keep_points

__all__ = ["Translate", "Rotate", "Jitter", "Cutout", "Crop"]


class Translate(AffineTransform):
    """Shift each event by a vector uniform in the box [-max_shift, max_shift]^D.

    ``max_shift`` is in the coords' units (cm for LArTPC events, eta/phi for jets):
    one number for all axes or one per axis.

    ``relative=True`` (jets, JetCLR's translation): ``max_shift`` is a width w relative to each
    jet's extent (default w = 1): the shift is U[-w ptp, +w ptp] per axis, ptp = max - min of the
    (eta, phi) of the jet's constituents with pT > 0, the phi range narrowed so that their phi
    stays inside [-pi, pi] (:func:`augment.functional.jet_translation_bounds`).
    Params: ``shift`` (B, D)."""

    def __init__(self, max_shift: float | Sequence[float] | None = None, relative: bool = False,
                 p: float = 1.0) -> None:
        super().__init__(p)
        if not isinstance(relative, bool):
            raise TypeError(f"relative: expected a bool, got {relative!r}")
        if max_shift is None and not relative:
            raise ValueError("max_shift: expected a number or one per axis (coords' units), got None")
        self.max_shift = check_per_axis("max_shift", 1.0 if max_shift is None else max_shift)
        self.relative = relative

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        dtype, device = events.coords.dtype, events.device
        largest = max(self.max_shift) if isinstance(self.max_shift, tuple) else self.max_shift
        if largest > torch.finfo(dtype).max:
            raise ValueError(f"max_shift: expected values representable in the coords' {dtype} "
                             f"(<= {torch.finfo(dtype).max:.4g}), got {self.max_shift!r}")
        half = per_axis_tensor("max_shift", self.max_shift, events)
        if not self.relative:
            return {"shift": uniform((B, D), -half, half, generator, device, dtype)}
        check_jets(events)
        low, high = F.jet_translation_bounds(events.coords, events.feats, events.batch, B, half)
        return {"shift": uniform((B, D), low, high, generator, device, dtype)}

    def sample_reads_coords(self) -> bool:
        return self.relative

    def affine(self, events: Events, params: dict[str, Tensor]) -> tuple[None, Tensor]:
        """The identity plus ``shift`` (B, D)."""
        check_float_coords(events)
        return None, check_param(params, "shift", (events.num_events, events.coords.shape[1]), events)

    def inverse(self, events: Events, params: Params) -> Events:
        """Undo :meth:`apply` with the same params."""
        return self.apply(events, params.replace(shift=-params["shift"]))


class Rotate(AffineTransform):
    """Rotate each event about its centre by a random rotation.

    3D coords ((x, y, z) in cm): uniform (Haar measure) on SO(3); with a fixed ``axis`` (3
    numbers, any length), by an angle U[0, 2 pi) about that direction. 2D coords ((eta, phi)
    of jets): angle U[0, 2 pi) in that plane.

    ``centre``: ``"centroid"`` (mean of the event's points, default), ``"weighted"`` (mean
    weighted by feats column ``weight_column``, e.g. dE in MeV or pT in GeV) or ``"origin"``.
    Empty events and events whose weights sum to 0 turn about 0.

    For jets use ``Rotate(centre="weighted")`` (weight_column 0 = pT): the jet default, JetCLR's
    rotation about the pT-weighted centroid, which keeps the jet's pT-weighted axis in place (the
    unweighted centroid moves it by up to ~0.6 in eta-phi).
    Params: ``matrix`` (B, D, D), ``centre`` (B, D) in the coords' units."""

    CENTRES = ("centroid", "weighted", "origin")

    def __init__(self, axis: Sequence[float] | None = None, centre: str = "centroid", weight_column: int = 0,
                 p: float = 1.0) -> None:
        super().__init__(p)
        self.axis = None if axis is None else _unit_axis(axis)
        self.centre = check_centre(centre, weight_column, self.CENTRES)
        self.weight_column = int(weight_column)

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
        return {"matrix": matrix, "centre": event_centres(events, self.centre, self.weight_column)}

    def sample_reads_coords(self) -> bool:
        return self.centre != "origin"

    def affine(self, events: Events, params: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """``matrix`` R (B, D, D) and the offsets c - R c that turn each event about its centre c."""
        check_float_coords(events, dims=(2, 3))
        B, D = events.num_events, events.coords.shape[1]
        matrix = check_param(params, "matrix", (B, D, D), events)
        centre = check_param(params, "centre", (B, D), events)
        return matrix, F.rotation_offsets(matrix, centre)

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


class _Region(Transform):
    """A random region per event, centred on one of its points (Cutout, Crop): the arguments
    and the draws they share. Params: ``centre`` (B, D), ``size`` (B, D) for the box (half-sizes)
    or (B,) for the sphere (radius)."""

    SHAPES = ("box", "sphere")

    def __init__(self, size: float | Sequence[float] | Sequence[Sequence[float] | float], shape: str,
                 p: float) -> None:
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

    def _region_params(self, events: Events, params: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        centre = check_param(params, "centre", (B, D), events)
        return centre, check_param(params, "size", (B, D) if self.shape == "box" else (B,), events)


class Cutout(_Region):
    """Remove the points inside a random region of each event.

    ``shape="box"``: an axis-aligned box, ``size`` its half-size per axis; ``shape="sphere"``:
    a ball, ``size`` its radius; the region is open (a point on its surface stays). Sizes are
    in the coords' units (cm, or eta/phi for jets): a number, or a (low, high) range drawn
    uniformly per event (one draw for all axes: a cube), or, for the box, one number or
    (low, high) range per axis (drawn independently). Two numbers are always a (low, high) range.
    The region's centre is a point of the event chosen uniformly (empty events: 0).

    Never empties an event: if the region holds every point of an event, that event is
    kept unchanged. Params: ``centre`` (B, D), ``size`` (B, D) for the box or (B,) for the
    sphere, and the ``apply`` gate."""

    def __init__(self, size: float | Sequence[float] | Sequence[Sequence[float] | float], shape: str = "box",
                 p: float = 1.0) -> None:
        super().__init__(size, shape, p)

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        centre, size = self._region_params(events, params)
        region = F.inside_box if self.shape == "box" else F.inside_sphere
        cut = region(events.coords, events.batch, centre, size)
        return keep_points(events, F.restore_emptied(~cut, events.batch, events.num_events))


class Crop(_Region):
    """Keep only the points inside a random region of each event (the complement of :class:`Cutout`).

    ``shape="sphere"`` (default): a ball of radius ``size``; ``shape="box"``: an axis-aligned box
    of half-size ``size`` per axis. Sizes as for :class:`Cutout` (coords' units: cm, or eta/phi
    for jets; a number or a (low, high) range per event, for the box optionally one per axis),
    but > 0. The region is centred on a point of the event chosen uniformly, so it always holds
    that point: never empties an event (replayed params whose region holds no point keep the
    event whole).

    Local and global crops as two views (multi-crop, as DINO / Pointcept's contrastive
    pipelines): two Crops of different sizes on the same batch, e.g. ``Crop((60.0, 100.0))`` for
    a global view and ``Crop((10.0, 30.0))`` for a local one (cm), each drawn with its own seed.
    Params: ``centre`` (B, D), ``size`` (B, D) for the box or (B,) for the sphere."""

    def __init__(self, size: float | Sequence[float] | Sequence[Sequence[float] | float], shape: str = "sphere",
                 p: float = 1.0) -> None:
        super().__init__(size, shape, p)
        for i, (low, _) in enumerate(self.size):
            if not low > 0:
                name = "size" if len(self.size) == 1 else f"size[{i}]"
                raise ValueError(f"{name}: expected sizes > 0 (coords' units) so that the region keeps its centre "
                                 f"point, got {size!r}")

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        centre, size = self._region_params(events, params)
        coords, feats, batch = F.crop(events.coords, events.feats, events.batch, events.num_events, centre, size,
                                      self.shape)
        return events.replace(coords=coords, feats=feats, batch=batch)


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
