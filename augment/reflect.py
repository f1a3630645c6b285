"""Mirror symmetries: Reflect."""

from __future__ import annotations

import numbers
from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Transform, check_probability
from augment._centres import check_centre, event_centres
from augment._checks import check_float_coords, check_param
from augment._events import Events
from augment._random import bernoulli
from augment.jets import check_jets

__all__ = ["Reflect"]


class Reflect(Transform):
    """Mirror each event in the planes x_d = c_d of its chosen ``axes`` d: every chosen axis of
    every event is flipped (x_d -> 2 c_d - x_d) independently with probability ``flip``
    (default 1/2: a random sign flip), about the event's centre c.

    ``centre``: ``"centroid"`` (mean of the event's points, default), ``"weighted"`` (mean
    weighted by feats column ``weight_column``), ``"origin"``, ``"jet"`` (jets: the pT-weighted
    jet axis, circular mean in phi; phi is wrapped into [-pi, pi) after the flip) or a point (D
    numbers, the coords' units: the mirror planes pass through it, e.g. a LArTPC's central
    cathode plane). On jets (eta, phi), ``Reflect(axes=(0,), centre="jet")`` flips eta about the jet
    axis and ``axes=(1,)`` phi, both exact symmetries of jets; on LArTPC events (x, y, z in cm) a
    mirror about the event centroid or a detector plane.

    Params: ``flip`` (B, D) bool (False on axes not chosen), ``centre`` (B, D)."""

    def __init__(self, axes: int | Sequence[int] = (0,), centre: str | Sequence[float] = "centroid",
                 weight_column: int = 0, flip: float = 0.5, p: float = 1.0) -> None:
        super().__init__(p)
        axes = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes) if isinstance(axes, Sequence) else None
        if not axes or any(not isinstance(a, numbers.Integral) or isinstance(a, bool) or a < 0 for a in axes) \
                or len(set(axes)) != len(axes):
            raise ValueError(f"axes: expected a coordinate axis (int >= 0) or distinct axes, got {axes!r}")
        self.axes = tuple(int(a) for a in axes)
        self.centre = check_centre(centre, weight_column, fixed_point=True)
        self.weight_column = int(weight_column)
        self.flip = check_probability("flip", flip)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        self._check(events)
        B, D = events.num_events, events.coords.shape[1]
        chosen = torch.zeros(D, dtype=torch.bool, device=events.device)
        chosen[list(self.axes)] = True
        flip = bernoulli((B, D), self.flip, generator, events.device) & chosen
        return {"flip": flip, "centre": event_centres(events, self.centre, self.weight_column)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        self._check(events)
        B, D = events.num_events, events.coords.shape[1]
        flip = check_param(params, "flip", (B, D), events)
        if flip.dtype != torch.bool:
            raise TypeError(f"params['flip']: expected a bool tensor, got {flip.dtype}")
        centre = check_param(params, "centre", (B, D), events)
        coords = F.reflect(events.coords, events.batch, flip, centre.to(events.coords.dtype))
        if self.centre == "jet":
            coords = torch.stack([coords[:, 0], F.wrap_phi(coords[:, 1])], dim=1)
        return events.replace(coords=coords)

    def inverse(self, events: Events, params) -> Events:
        """Undo :meth:`apply` with the same params (a reflection is its own inverse)."""
        return self.apply(events, params)

    def _check(self, events: Events) -> None:
        check_float_coords(events)
        if self.centre == "jet":
            check_jets(events)
        D = events.coords.shape[1]
        if max(self.axes) >= D:
            raise ValueError(f"axes: expected axes in [0, {D}) for D = {D} coords, got {self.axes}")
