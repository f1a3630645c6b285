"""Elastic-distortion kernels: a smooth random displacement field per event, sampled on a coarse
regular grid and interpolated (bilinear in 2D, trilinear in 3D) to the points.

This is the elastic distortion of point-cloud pipelines (Pointcept / MinkowskiEngine
``ElasticDistortion(granularity, magnitude)``: Gaussian noise on a grid of spacing ``granularity``,
blurred by width-3 box filters along each axis, interpolated to the points and scaled by
``magnitude``). In a LArTPC it is the closest analogue of a space-charge distortion: a displacement
of the reconstructed position that varies smoothly across the detector.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from augment.functional.reduce import event_min_max, to_points

__all__ = ["elastic_grid", "smooth_noise", "interpolate_grid", "elastic_distort", "BOX_WIDTH"]

BOX_WIDTH = 3  # width of the box filter, in grid nodes (Pointcept / MinkowskiEngine)


def elastic_grid(coords: Tensor, batch: Tensor, num_events: int, spacing: float,
                 offset: Tensor | None = None) -> tuple[Tensor, tuple[int, ...]]:
    """The noise grid of each event: (origins (B, D), nodes per axis (D ints)).

    Event b's grid has nodes at ``origins[b] + spacing * k`` (``spacing`` in the coords' units),
    starting (1 + ``offset[b]``) spacings below the event's lowest point on each axis (``offset``
    (B, D) in [0, 1), default 0: a random offset places the field at random with respect to the
    event's points); the node count is shared by all events so that the grids batch: enough to
    cover the widest event with at least one spacing to spare above."""
    low, high = event_min_max(coords, batch, num_events)
    extent = (high - low).amax(0) if num_events else coords.new_zeros(coords.shape[1])
    nodes = tuple(int(math.floor(e / spacing)) + 4 for e in extent.tolist())
    shift = 1.0 if offset is None else 1.0 + offset.to(coords.dtype)
    return low - spacing * shift, nodes


def smooth_noise(noise: Tensor, passes: int) -> Tensor:
    """Blur white noise (B, *G, D) with ``passes`` width-3 box filters along each grid axis,
    "valid" convolution (each pass trims one node at both ends of every axis: G -> G - 2 passes),
    then divide by the filter's L2 norm so that each output node is again N(0, 1)."""
    out = noise
    grid_axes = range(1, noise.dim() - 1)
    for axis in grid_axes:
        for _ in range(passes):
            out = out.unfold(axis, BOX_WIDTH, 1).mean(-1)
    one_axis = torch.ones(1, dtype=torch.float64)
    for _ in range(passes):  # the 1-D kernel after `passes` box filters, and its L2 norm
        one_axis = torch.nn.functional.conv1d(one_axis[None, None], torch.ones(1, 1, BOX_WIDTH, dtype=torch.float64)
                                              / BOX_WIDTH, padding=BOX_WIDTH - 1)[0, 0]
    norm = float(one_axis.norm()) ** len(grid_axes)
    return out / norm


def interpolate_grid(coords: Tensor, batch: Tensor, origins: Tensor, spacing: float, field: Tensor) -> Tensor:
    """(N, D) multilinear interpolation of event b's ``field[b]`` (B, *G, D) at its points.

    Node k of event b sits at ``origins[b] + spacing * k`` (coords' units). Points outside the grid
    take the value of the nearest cell's multilinear extension clamped to the grid (constant beyond)."""
    B, grid, D = field.shape[0], field.shape[1:-1], field.shape[-1]
    pos = (coords - to_points(origins, batch)) / spacing
    last_cell = torch.tensor([g - 2 for g in grid], dtype=pos.dtype, device=coords.device)
    cell = torch.minimum(pos.floor().clamp_min(0), last_cell)
    high = (pos - cell).clamp(0, 1)  # the weight of the upper node on each axis
    low = 1 - high
    strides = [math.prod(grid[j + 1:]) for j in range(len(grid))]
    # The flat index of each point's lower corner, once; the other corners are constant offsets from it.
    corner0 = batch * math.prod(grid) + (cell.to(torch.int64) * torch.tensor(strides, device=coords.device)).sum(1)
    flat = field.reshape(B * math.prod(grid), D)
    out = None
    for corner in range(2 ** len(grid)):  # 4 corners in 2D, 8 in 3D
        up = [(corner >> j) & 1 for j in range(len(grid))]
        weight = (high if up[0] else low)[:, 0]
        for j in range(1, len(grid)):
            weight = weight * (high if up[j] else low)[:, j]
        values = flat.index_select(0, corner0 + sum(u * s for u, s in zip(up, strides)))
        out = values.mul_(weight[:, None]) if out is None else out.addcmul_(values, weight[:, None])
    return out


def elastic_distort(coords: Tensor, batch: Tensor, origins: Tensor, spacing: float, noise: Tensor,
                    amplitude: float | Tensor, passes: int = 2) -> Tensor:
    """(N, D) coords displaced by ``amplitude`` x the smoothed noise field interpolated to the points.

    ``noise`` (B, *(G + 2 passes), D): standard normals, smoothed by :func:`smooth_noise` onto the
    grid of :func:`elastic_grid` (``origins`` (B, D), ``spacing`` in the coords' units).
    ``amplitude`` in the coords' units: the rms displacement per axis at the grid nodes; a (B,)
    tensor gives one amplitude per event (0 leaves an event unchanged)."""
    field = smooth_noise(noise, passes).to(coords.dtype)
    shift = interpolate_grid(coords, batch, origins, spacing, field)
    if isinstance(amplitude, Tensor):
        amplitude = to_points(amplitude.to(coords.dtype), batch)[:, None]
    return coords + shift * amplitude
