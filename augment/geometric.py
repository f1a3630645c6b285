"""Geometric transforms: Translate (more to come: Rotate, Jitter, Cutout)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform
from augment._checks import check_float_coords, check_nonnegative, check_param
from augment._events import Events
from augment._random import uniform

__all__ = ["Translate"]


class Translate(Transform):
    """Shift each event by a vector uniform in the box [-max_shift, max_shift]^D.

    ``max_shift`` is in the coords' units (cm for LArTPC events, eta/phi for jets):
    one number for all axes or one per axis. Params: ``shift`` (B, D)."""

    def __init__(self, max_shift: float | Sequence[float], p: float = 1.0) -> None:
        super().__init__(p)
        values = [max_shift] if isinstance(max_shift, (int, float)) else list(max_shift)
        for i, v in enumerate(values):
            check_nonnegative(f"max_shift[{i}]" if len(values) > 1 else "max_shift", v)
        self.max_shift = max_shift

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_float_coords(events)
        B, D = events.num_events, events.coords.shape[1]
        half = torch.as_tensor(self.max_shift, dtype=events.coords.dtype, device=events.device)
        if half.dim() == 1 and half.shape[0] != D:
            raise ValueError(f"max_shift: expected one value or D = {D} values, got {half.shape[0]}")
        return {"shift": uniform((B, D), -half, half, generator, events.device, events.coords.dtype)}

    def apply(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_float_coords(events)
        shift = check_param(params, "shift", (events.num_events, events.coords.shape[1]), events)
        gate = check_param(params, "apply", (events.num_events,), events)
        # Adding an exact zero leaves ungated events bit-identical.
        return events.replace(coords=F.translate(events.coords, events.batch, shift * gate[:, None]))

    def inverse(self, events: Events, params: dict[str, Tensor]) -> Events:
        """Undo :meth:`apply` with the same params."""
        return self.apply(events, {**params, "shift": -params["shift"]})
