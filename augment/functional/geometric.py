"""Geometric kernels on ragged point clouds (coords in cm, or (eta, phi) for jets)."""

from __future__ import annotations

from torch import Tensor

__all__ = ["translate"]


def translate(coords: Tensor, batch: Tensor, shift: Tensor) -> Tensor:
    """Shift every point of event b by ``shift[b]``.

    coords (N, D), batch (N,) int64, shift (B, D) in the coords' units."""
    return coords + shift[batch]
