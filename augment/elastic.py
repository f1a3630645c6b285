"""Smooth random displacements: ElasticDistortion."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform
from augment._checks import check_float_coords, check_int, check_param, check_positive, check_value_or_range
from augment._events import Events
from augment._random import normal, uniform

__all__ = ["ElasticDistortion"]

MAX_GRID_VALUES = 2 ** 26  # noise values per batch (B x nodes x D), 256 MiB in float32


class ElasticDistortion(Transform):
    """Displace the points of each event by a smooth random field of its own (Pointcept-style elastic
    distortion; in a LArTPC, the analogue of a space-charge distortion of reconstructed positions).

    Per event: standard normal noise on a regular grid of spacing ``correlation_length`` covering
    the event, blurred by ``passes`` width-3 box filters per axis (as Pointcept's and
    MinkowskiEngine's ``ElasticDistortion(granularity, magnitude)``), renormalised to unit variance,
    multilinearly interpolated to the points (bilinear in 2D, trilinear in 3D) and scaled by
    ``amplitude``. Points closer than ``correlation_length`` move nearly together; far apart, independently.

    ``correlation_length`` and ``amplitude`` are in the coords' units (cm for LArTPC events);
    ``amplitude`` is the rms displacement per axis at the grid nodes: a number, or a (low, high)
    range drawn uniformly per event. Chain two (e.g. Compose of 20 cm / 1 cm and 80 cm / 3 cm) for
    Pointcept's several scales. The number of points is kept; gradients flow to the coords.

    Params: ``origin`` (B, D) the grids' first node (a random fraction of a spacing below the grid
    that just covers the event, so the field is not aligned with the event's bounding box),
    ``noise`` (B, *nodes, D) the raw normals (nodes per axis: enough for the widest event of the
    batch), ``amplitude`` (B,)."""

    def __init__(self, correlation_length: float, amplitude: float | Sequence[float], passes: int = 2,
                 p: float = 1.0) -> None:
        super().__init__(p)
        self.correlation_length = check_positive("correlation_length", correlation_length)
        self.amplitude = check_value_or_range("amplitude", amplitude)
        self.passes = check_int("passes", passes, 0)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        dtype, device = events.coords.dtype, events.device
        offset = uniform((B, D), 0.0, 1.0, generator, device, dtype)  # the field's phase: uniform per event
        origin, nodes = F.elastic_grid(events.coords, events.batch, B, self.correlation_length, offset)
        shape = (B, *(n + 2 * self.passes for n in nodes), D)
        if math.prod(shape) > MAX_GRID_VALUES:
            raise ValueError(f"correlation_length: {self.correlation_length} (coords' units) needs noise grids of "
                             f"{shape[1:-1]} nodes for events this wide, over {MAX_GRID_VALUES} values for the batch; "
                             "expected a longer correlation length (or smaller batches)")
        return {"origin": origin, "noise": normal(shape, generator, device, dtype),
                "amplitude": uniform((B,), *self.amplitude, generator, device, dtype)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        origin = check_param(params, "origin", (B, D), events)
        amplitude = check_param(params, "amplitude", (B,), events)
        noise = params.get("noise")
        if not isinstance(noise, Tensor) or noise.dim() != D + 2 or noise.shape[0] != B or noise.shape[-1] != D \
                or any(n < 2 + 2 * self.passes for n in noise.shape[1:-1]):
            got = tuple(noise.shape) if isinstance(noise, Tensor) else type(noise).__name__
            raise ValueError(f"params['noise']: expected shape (B = {B}, nodes..., D = {D}) with at least "
                             f"{2 + 2 * self.passes} nodes per axis, got {got}")
        coords = F.elastic_distort(events.coords, events.batch, origin, self.correlation_length, noise, amplitude,
                                   self.passes)
        return events.replace(coords=coords)
