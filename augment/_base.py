"""The transform protocol and the containers Compose, RandomApply, OneOf, SomeOf.

A transform draws its random parameters with :meth:`Transform.sample` and applies
them deterministically with :meth:`Transform.apply`:

* ``params = t.sample(events, generator)``: a dict of tensors on the events' device.
  Per-event entries are batch first, (B, ...); per-point draws, where a transform
  needs them, are (N, ...) over the input points and their keys start with ``point_``. Every dict holds ``"apply"``, a (B,) bool gate drawn
  with probability ``p``: events whose gate is False pass through unchanged.
* ``out = t.apply(events, params)``: no randomness; replaying the same params on the
  same events gives the same output.
* ``out = t(events, generator)`` = ``apply(sample(...))``;
  ``out, params = t.sample_apply(events, generator)`` also returns what was drawn.

Containers return nested params (a list for Compose) that ``apply`` replays exactly.
Inputs are never modified in place.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Sequence

import torch
from torch import Tensor

from augment._checks import check_events, check_int
from augment._events import Events
from augment._random import GeneratorLike, as_generator, bernoulli, uniform
from augment.functional.reduce import to_points

__all__ = ["Transform", "Compose", "RandomApply", "OneOf", "SomeOf", "check_probability"]

Params = Any  # dict[str, Tensor] for a single transform, nested lists/dicts for containers


def check_probability(name: str, p: float) -> float:
    """Validate a probability argument at construction."""
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1], got {p!r}")
    return float(p)


class Transform:
    """Base class: subclasses implement ``sample_params`` and ``apply``.

    ``p`` is the probability that the transform acts on a given event."""

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_probability("p", p)

    # Subclasses -------------------------------------------------------------
    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        """Draw the transform's own parameters (without the ``apply`` gate)."""
        return {}

    def apply(self, events: Events, params: Params) -> Events:
        raise NotImplementedError

    # Protocol ---------------------------------------------------------------
    def sample(self, events: Events, generator: GeneratorLike = None, gate: Tensor | None = None) -> Params:
        """Draw parameters for ``events``. ``gate`` (B,) bool, from an enclosing
        container, restricts which events may be transformed."""
        check_events(events)
        generator = as_generator(generator)
        apply = bernoulli((events.num_events,), self.p, generator, events.device)
        if gate is not None:
            apply = apply & gate
        params = self.sample_params(events, generator)
        params["apply"] = apply
        return params

    def sample_apply(self, events: Events, generator: GeneratorLike = None,
                     gate: Tensor | None = None) -> tuple[Events, Params]:
        params = self.sample(events, generator, gate)
        return self.apply(events, params), params

    def __call__(self, events: Events, generator: GeneratorLike = None) -> Events:
        return self.sample_apply(events, generator)[0]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def point_gate(events: Events, params: dict[str, Tensor]) -> Tensor:
    """(N, 1) bool: True on the points of events whose ``apply`` gate is set."""
    return to_points(params["apply"], events.batch)[:, None]


def gated(events: Events, gate: Tensor, new: Tensor, old: Tensor) -> Tensor:
    """(N, ...) ``new`` on the points of events whose ``gate`` (B,) bool is set, ``old`` (bit-identical)
    on the others. When every event is gated (p = 1) ``new`` is returned without a per-point select."""
    if bool(gate.all()):
        return new
    return torch.where(to_points(gate, events.batch).reshape(-1, *(1,) * (new.dim() - 1)), new, old)


def _check_transforms(transforms: Sequence[Transform]) -> list[Transform]:
    if isinstance(transforms, Transform):
        raise TypeError(f"transforms: expected a sequence of augment Transforms, got a single "
                        f"{type(transforms).__name__}; wrap it in a list: [{type(transforms).__name__}(...)]")
    if not isinstance(transforms, Iterable) or isinstance(transforms, (str, bytes)):
        raise TypeError(f"transforms: expected a sequence of augment Transforms, got {type(transforms).__name__}")
    transforms = list(transforms)
    for i, t in enumerate(transforms):
        if not isinstance(t, Transform):
            raise TypeError(f"transforms[{i}]: expected an augment Transform, got {type(t).__name__}")
    return transforms


class Compose(Transform):
    """Apply transforms in order. Params are the list of each transform's params."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        super().__init__(1.0)
        self.transforms = _check_transforms(transforms)

    def sample(self, events: Events, generator: GeneratorLike = None, gate: Tensor | None = None) -> Params:
        """Params of a pipeline depend on intermediate results, so sampling runs it."""
        return self.sample_apply(events, generator, gate)[1]

    def sample_apply(self, events, generator=None, gate=None):
        check_events(events)
        generator = as_generator(generator)
        all_params = []
        for t in self.transforms:
            events, params = t.sample_apply(events, generator, gate)
            all_params.append(params)
        return events, all_params

    def apply(self, events: Events, params: Params) -> Events:
        if len(params) != len(self.transforms):
            raise ValueError(f"params: expected {len(self.transforms)} entries (one per transform), got {len(params)}")
        for t, p in zip(self.transforms, params):
            events = t.apply(events, p)
        return events

    def __repr__(self) -> str:
        inner = "".join("\n    " + repr(t).replace("\n", "\n    ") + "," for t in self.transforms)
        return f"{type(self).__name__}([{inner}\n])"


class RandomApply(Compose):
    """Apply the whole sequence ``transforms`` to each event with probability ``p``."""

    def __init__(self, transforms: Transform | Sequence[Transform], p: float = 0.5) -> None:
        super().__init__([transforms] if isinstance(transforms, Transform) else transforms)
        self.p = check_probability("p", p)

    def sample_apply(self, events, generator=None, gate=None):
        check_events(events)
        generator = as_generator(generator)
        mine = bernoulli((events.num_events,), self.p, generator, events.device)
        return super().sample_apply(events, generator, mine if gate is None else mine & gate)


class SomeOf(Compose):
    """Per event, apply ``n`` of ``transforms`` chosen at random (without replacement,
    with probabilities proportional to ``weights``), in the order they are listed.

    ``n`` may be an int or a (low, high) range, drawn uniformly per event."""

    def __init__(self, transforms: Sequence[Transform], n: int | tuple[int, int] = 1,
                 weights: Sequence[float] | None = None) -> None:
        super().__init__(transforms)
        k = len(self.transforms)
        if k == 0:
            raise ValueError("transforms: expected at least one transform")
        try:
            low, high = (n, n) if isinstance(n, numbers.Integral) else tuple(n)
            low, high = check_int("n", low), check_int("n", high)
        except (TypeError, ValueError):
            raise ValueError(f"n: expected an int or a (low, high) pair of ints, got {n!r}") from None
        if not (0 <= low <= high <= k):
            raise ValueError(f"n: expected 0 <= n <= {k} (number of transforms), got {n!r}")
        self.n = (low, high)
        w = torch.ones(k, dtype=torch.float64) if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        if w.shape != (k,) or not torch.isfinite(w).all() or (w <= 0).any():
            raise ValueError(f"weights: expected {k} finite positive numbers, got {weights!r}")
        self.weights = w / w.sum()

    def _choose(self, num_events: int, generator, device) -> Tensor:
        """(B, k) bool: which transforms each event gets."""
        k = len(self.transforms)
        # Weighted sampling without replacement via Gumbel-top-k (exponential keys).
        u = uniform((num_events, k), 0.0, 1.0, generator, device, torch.float64)
        keys = torch.log(u.clamp_min(1e-300)) / self.weights.to(device)
        ranks = torch.argsort(torch.argsort(keys, dim=1, descending=True), dim=1)
        low, high = self.n
        count = low + torch.floor(uniform((num_events,), 0.0, 1.0, generator, device, torch.float64)
                                  * (high - low + 1)).long().clamp_max(high - low)
        return ranks < count[:, None]

    def sample_apply(self, events, generator=None, gate=None):
        check_events(events)
        generator = as_generator(generator)
        chosen = self._choose(events.num_events, generator, events.device)
        all_params = []
        for j, t in enumerate(self.transforms):
            g = chosen[:, j] if gate is None else chosen[:, j] & gate
            events, params = t.sample_apply(events, generator, g)
            all_params.append(params)
        return events, all_params


class OneOf(SomeOf):
    """Per event, apply exactly one of ``transforms`` (chosen with ``weights``)."""

    def __init__(self, transforms: Sequence[Transform], weights: Sequence[float] | None = None) -> None:
        super().__init__(transforms, 1, weights)
