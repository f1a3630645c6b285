"""Feature-masking kernel: set chosen feats columns to a fill value where a mask says so."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

__all__ = ["mask_features"]


def mask_features(feats: Tensor, mask: Tensor, columns: Sequence[int], value: float = 0.0) -> Tensor:
    """feats (N, C) with column ``columns[k]`` of point i set to ``value`` where ``mask[i, k]`` (N, K) is True.

    ``value`` is in the column's own units (0 = the feature is absent: no energy, no charge). Other
    entries are copied unchanged (bit-identical); the input is not modified. Gradients flow to the
    entries that are kept."""
    out = feats.clone()
    fill = torch.tensor(value, dtype=feats.dtype, device=feats.device)
    for k, c in enumerate(columns):
        out[:, c] = torch.where(mask[:, k], fill, feats[:, c])
    return out
