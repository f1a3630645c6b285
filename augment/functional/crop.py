"""Crop kernel: keep only the points inside a region of each event."""

from __future__ import annotations

from torch import Tensor

from augment.functional.geometric import inside_box, inside_sphere
from augment.functional.sampling import restore_emptied, select_points

__all__ = ["crop", "CROP_SHAPES"]

CROP_SHAPES = ("sphere", "box")


def crop(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, centres: Tensor, sizes: Tensor,
         shape: str = "sphere") -> tuple[Tensor, Tensor, Tensor]:
    """The points strictly inside event b's region: (coords, feats, batch), order kept.

    ``shape="sphere"``: the ball of radius ``sizes[b]`` (B,) about ``centres[b]`` (B, D);
    ``shape="box"``: the axis-aligned box of half-sizes ``sizes[b]`` (B, D). Lengths in the
    coords' units (cm, or eta/phi for jets). Never empties an event: one whose region holds none
    of its points is kept whole (a region of size > 0 centred on a point of the event always
    holds that point)."""
    if shape not in CROP_SHAPES:
        raise ValueError(f"shape: expected one of {CROP_SHAPES}, got {shape!r}")
    region = inside_sphere if shape == "sphere" else inside_box
    keep = restore_emptied(region(coords, batch, centres, sizes), batch, num_events)
    return select_points(coords, feats, batch, keep)
