"""Energy kernels: multiplicative factors on feature columns (dE in MeV, charge in electrons, pT in GeV)."""

from __future__ import annotations

from typing import Sequence

from torch import Tensor

__all__ = ["scale_features"]


def scale_features(feats: Tensor, factors: Tensor, columns: Sequence[int]) -> Tensor:
    """Multiply the feats (N, C) columns ``columns`` of point i by ``factors[i]`` (N,), dimensionless.

    Other columns are copied unchanged; the input is not modified."""
    factors = factors.to(feats.dtype)
    if feats.shape[1] and len({c % feats.shape[1] for c in columns}) == feats.shape[1]:  # all: one product
        return feats * factors[:, None]
    out = feats.clone()
    for c in columns:  # column by column, in place on the copy: much faster than a list index on CPU
        out[:, c].mul_(factors)
    return out
