"""Reflection kernel: per-event mirror flips of chosen coordinate axes about a centre."""

from __future__ import annotations

import torch
from torch import Tensor

from augment.functional.reduce import to_points

__all__ = ["reflect"]


def reflect(coords: Tensor, batch: Tensor, flip: Tensor, centres: Tensor) -> Tensor:
    """Mirror axis d of every point of event b about ``centres[b, d]`` where ``flip[b, d]`` is True:
    x'_d = 2 c_d - x_d; axes and events not flipped are returned bit-identical.

    coords (N, D), batch (N,) int64, flip (B, D) bool, centres (B, D) in the coords' units (cm,
    or (eta, phi) for jets). A flip is its own inverse: ``reflect(reflect(x)) == x`` up to rounding.
    Distances between the points of one event are kept."""
    mirrored = 2 * to_points(centres, batch) - coords
    return torch.where(to_points(flip, batch), mirrored, coords)
