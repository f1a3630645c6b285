"""Energy kernels: multiplicative factors on feature columns (dE in MeV, charge in electrons, pT in GeV)."""

from __future__ import annotations

from typing import Sequence

from torch import Tensor

from augment.functional.cpu import scale_features_cpu, use_cpu_kernel
from augment.functional.reduce import to_points

__all__ = ["scale_features"]


def scale_features(feats: Tensor, factors: Tensor, columns: Sequence[int], batch: Tensor | None = None) -> Tensor:
    """Multiply the feats (N, C) columns ``columns`` of point i by ``factors[i]`` (N,), dimensionless,
    or, with ``batch`` (N,) int64, by its event's factor ``factors[batch[i]]`` ((B,) factors).

    Other columns are copied unchanged; the input is not modified. On the CPU (float32, float64,
    autograd not recording) :func:`~augment.functional.cpu.scale_features_cpu` does it in one pass
    over the points (per-event factors read through ``batch``, not gathered): torch's products on
    strided columns are several times slower."""
    factors = factors.to(feats.dtype)
    C = feats.shape[1]
    every = C and len({c % C for c in columns}) == C
    if C and all(-C <= c < C for c in columns) and use_cpu_kernel(feats, factors, *(() if batch is None else (batch,))):
        out = scale_features_cpu(feats, factors, tuple(range(C)) if every else tuple(c % C for c in columns), batch)
        if out is not None:
            return out
    if batch is not None:
        factors = to_points(factors, batch)
    if every:  # all: one product
        return feats * factors[:, None]
    out = feats.clone()
    for c in columns:  # column by column, in place on the copy: much faster than a list index on CPU
        out[:, c].mul_(factors)
    return out
