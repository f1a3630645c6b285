"""The transform protocol and the containers Compose, RandomApply, OneOf, SomeOf.

A transform subclass implements two methods:

* ``sample_params(events, generator) -> dict[str, Tensor]``: its random draws on the events'
  device, per-event (B, ...) and per-point (N, ...) under keys starting with ``point_``;
* ``transform(events, params) -> Events``: its effect on EVERY event of the batch, pure and
  deterministic (``params`` holds the draws, without the gate).

The base class owns everything else, in methods a subclass cannot override:

* ``params = t.sample(events, generator)``: a :class:`~augment.Params` (a dict bound to this
  batch) holding the draws and ``"apply"``, a (B,) bool gate drawn with probability ``p``
  (and-ed with an enclosing container's gate);
* ``out = t.apply(events, params)``: checks ``params`` belong to this batch and the gate is a
  (B,) bool tensor, calls ``transform`` and merges by the gate, so events whose gate is off come
  out bit-identical (also when the transform adds or removes points). When the gate is known on
  the host to be all on (p = 1, no container gate) or all off (p = 0), the merge, or the
  transform, is skipped without a device sync;
* ``out = t(events, generator)`` = ``apply(sample(...))``;
  ``out, params = t.sample_apply(events, generator)`` also returns what was drawn.

:class:`AffineTransform` subclasses (Rotate, Translate) map each event's coords by x' = A_b x + t_b
and say so through ``affine(events, params)``: a :class:`Compose` applies consecutive ones whose
gates are all on as one composed map, in one pass over the points (their params and the replay are
unchanged; rounding may differ from separate passes by a few units in the last place).

Each top-level ``sample``, ``apply`` or ``sample_apply`` validates its input once
(:meth:`Events.validate`: finite values, sorted batch; one fused reduction, one host sync);
containers call their members' internal methods, which do not validate again.
Containers return nested params (a list for Compose) that ``apply`` replays exactly.
Inputs are never modified in place.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._checks import check_input, check_int
from augment._events import Events
from augment._gate import check_gate, merge_gated
from augment._params import Params
from augment._random import GeneratorLike, as_generator, bernoulli, uniform

__all__ = ["Transform", "AffineTransform", "Compose", "RandomApply", "OneOf", "SomeOf", "check_probability"]

AnyParams = Any  # Params for a single transform, nested lists of Params for containers

# The protocol's entry points: final, so that no subclass can bypass the gate or the checks.
_FINAL = ("sample", "apply", "sample_apply", "__call__")


def check_probability(name: str, p: float) -> float:
    """Validate a probability argument at construction."""
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1], got {p!r}")
    return float(p)


class Transform:
    """Base class: subclasses implement ``sample_params`` and ``transform`` (see the module docstring).

    ``p`` is the probability that the transform acts on a given event."""

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_probability("p", p)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        overridden = [name for name in _FINAL if name in vars(cls)]
        if overridden:
            raise TypeError(f"{cls.__name__}: {', '.join(overridden)} belong to the Transform protocol and cannot be "
                            "overridden; implement sample_params(events, generator) and transform(events, params)")

    # Subclasses -------------------------------------------------------------
    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        """Draw the transform's own parameters (without the ``apply`` gate)."""
        return {}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        """The effect on every event of ``events`` with ``params`` (no gate, no randomness)."""
        raise NotImplementedError(f"{type(self).__name__}: implement transform(events, params)")

    # Protocol (final) ---------------------------------------------------------
    def sample(self, events: Events, generator: GeneratorLike = None, gate: Tensor | None = None) -> AnyParams:
        """Draw parameters for ``events``. ``gate`` (B,) bool, from an enclosing
        container, restricts which events may be transformed."""
        generator, gate = _entry(events, generator, gate)
        return self._sample(events, generator, gate)

    def apply(self, events: Events, params: AnyParams) -> Events:
        """Apply ``params`` (from :meth:`sample` on these events) deterministically."""
        check_input(events)
        return self._apply(events, params)

    def sample_apply(self, events: Events, generator: GeneratorLike = None,
                     gate: Tensor | None = None) -> tuple[Events, AnyParams]:
        generator, gate = _entry(events, generator, gate)
        return self._sample_apply(events, generator, gate)

    def __call__(self, events: Events, generator: GeneratorLike = None) -> Events:
        return self.sample_apply(events, generator)[0]

    # Internals: inputs already checked (containers call these on their members) ----------
    def _sample(self, events: Events, generator: torch.Generator | None, gate: Tensor | None) -> Params:
        B, device = events.num_events, events.device
        if self.p == 1.0:
            apply = torch.ones(B, dtype=torch.bool, device=device)
        elif self.p == 0.0:
            apply = torch.zeros(B, dtype=torch.bool, device=device)
        else:
            apply = bernoulli((B,), self.p, generator, device)
        if gate is not None:
            apply = apply & gate
        drawn = self.sample_params(events, generator)
        if "apply" in drawn:
            raise ValueError(f"{type(self).__name__}.sample_params: the key 'apply' is the base class's gate; "
                             "name the parameter otherwise")
        params = Params(drawn, events)
        params["apply"] = apply
        if self.p == 0.0 or (self.p == 1.0 and gate is None):
            params.mark_uniform_gate(self.p == 1.0)
        return params

    def _bind(self, events: Events, params: AnyParams) -> Params:
        """``params`` checked for ``events``: the Params that ``sample`` returned for this batch, with a
        (B,) bool gate, on the events' device."""
        if not isinstance(params, Params):
            raise ValueError(f"params: expected the Params that {type(self).__name__}.sample returned for these "
                             f"events, got {type(params).__name__} (bind hand-made values with Params(values, events))")
        params = params.check_bound(events)
        check_gate(params.get("apply"), events.num_events)
        return params

    def _apply(self, events: Events, params: AnyParams) -> Events:
        params = self._bind(events, params)
        known = params.uniform_gate()
        if known is False:
            return events
        out = self.transform(events, _draws(params))
        if not isinstance(out, Events):
            raise TypeError(f"{type(self).__name__}.transform: expected to return augment.Events, got "
                            f"{type(out).__name__}")
        return out if known else merge_gated(events, out, params["apply"], f"{type(self).__name__}.transform")

    def _sample_apply(self, events: Events, generator: torch.Generator | None,
                      gate: Tensor | None) -> tuple[Events, AnyParams]:
        params = self._sample(events, generator, gate)
        return self._apply(events, params), params

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class AffineTransform(Transform):
    """A transform that maps every point of event b by x' = A_b x + t_b (Rotate, Translate).

    Subclasses implement ``sample_params`` and ``affine(events, params) -> (A, t)``: A (B, D, D), or
    None for the identity (a translation), and t (B, D) in the coords' units; ``transform`` applies
    it (:func:`augment.functional.affine`). In a :class:`Compose`, consecutive affine transforms
    whose gates are all on (p = 1, no container gate) are composed per event and applied in one
    pass over the points. A transform whose ``sample_params`` reads the coords' values
    (``sample_reads_coords()``, True unless overridden) starts a new pass, so that it samples from
    the points as the preceding transforms left them."""

    def affine(self, events: Events, params: dict[str, Tensor]) -> tuple[Tensor | None, Tensor]:
        """Each event's map (A (B, D, D) or None for the identity, t (B, D)) for ``params`` (no gate)."""
        raise NotImplementedError(f"{type(self).__name__}: implement affine(events, params)")

    def sample_reads_coords(self) -> bool:
        """Whether ``sample_params`` reads the coords' values (not only B, N, D, dtype and device)."""
        return True

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        return _apply_affine(events, self.affine(events, params))


def _apply_affine(events: Events, affine: tuple[Tensor | None, Tensor]) -> Events:
    return events.replace(coords=F.affine(events.coords, events.batch, *affine))


def _draws(params: Params) -> dict[str, Tensor]:
    """A transform's own params, without the gate (what ``transform`` and ``affine`` take)."""
    return {k: v for k, v in params.items() if k != "apply"}


def _entry(events: Events, generator: GeneratorLike, gate: Tensor | None) -> tuple[torch.Generator | None,
                                                                                  Tensor | None]:
    """The checks of a top-level call: the events, the generator (an int seed becomes a generator on
    the events' device) and an outside gate."""
    check_input(events)
    if gate is not None:
        check_gate(gate, events.num_events, "gate")
        if gate.device != events.device:
            raise ValueError(f"gate: expected a tensor on the events' device {events.device}, got {gate.device}")
    return as_generator(generator, events.device), gate


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

    def _sample(self, events: Events, generator: torch.Generator | None, gate: Tensor | None) -> list:
        """Params of a pipeline depend on intermediate results, so sampling runs it."""
        return self._sample_apply(events, generator, gate)[1]

    def _sample_apply(self, events: Events, generator: torch.Generator | None,
                      gate: Tensor | None) -> tuple[Events, list]:
        return self._run(events, None, generator, [gate] * len(self.transforms))

    def _apply(self, events: Events, params: AnyParams) -> Events:
        if not isinstance(params, (list, tuple)) or len(params) != len(self.transforms):
            got = f"{len(params)} entries" if isinstance(params, (list, tuple)) else type(params).__name__
            raise ValueError(f"params: expected a list of {len(self.transforms)} entries (one per transform), "
                             f"got {got}")
        return self._run(events, params, None, None)[0]

    def _run(self, events: Events, params: AnyParams | None, generator: torch.Generator | None,
             gates: list[Tensor | None] | None) -> tuple[Events, list]:
        """The transforms in order: drawing their params with ``gates`` (``params`` None) or replaying
        ``params``, the same way both times. Consecutive AffineTransforms whose gates are all on are
        composed and applied in one pass; one that samples from the coords applies the pass first."""
        pending = None  # the composed map of the affine transforms not yet applied to `events`
        drawn = []
        for i, t in enumerate(self.transforms):
            fuse = isinstance(t, AffineTransform) and (pending is None or not t.sample_reads_coords())
            if pending is not None and not fuse:
                events, pending = _apply_affine(events, pending), None
            if not fuse:
                if params is None:
                    events, p = t._sample_apply(events, generator, gates[i])
                else:
                    p, events = params[i], t._apply(events, params[i])
                drawn.append(p)
                continue
            p = t._sample(events, generator, gates[i]) if params is None else t._bind(events, params[i])
            drawn.append(p)
            known = p.uniform_gate()
            if known:
                step = t.affine(events, _draws(p))
                pending = step if pending is None else F.compose_affine(pending, step)
            elif known is None:  # a gate per event: this transform alone, merged by its gate
                if pending is not None:
                    events, pending = _apply_affine(events, pending), None
                events = t._apply(events, p)
        if pending is not None:
            events = _apply_affine(events, pending)
        return events, drawn

    def __repr__(self) -> str:
        inner = "".join("\n    " + repr(t).replace("\n", "\n    ") + "," for t in self.transforms)
        return f"{type(self).__name__}([{inner}\n])"


class RandomApply(Compose):
    """Apply the whole sequence ``transforms`` to each event with probability ``p``."""

    def __init__(self, transforms: Transform | Sequence[Transform], p: float = 0.5) -> None:
        super().__init__([transforms] if isinstance(transforms, Transform) else transforms)
        self.p = check_probability("p", p)

    def _sample_apply(self, events: Events, generator: torch.Generator | None,
                      gate: Tensor | None) -> tuple[Events, list]:
        if self.p < 1.0:
            mine = bernoulli((events.num_events,), self.p, generator, events.device)
            gate = mine if gate is None else mine & gate
        return super()._sample_apply(events, generator, gate)


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

    def _sample_apply(self, events: Events, generator: torch.Generator | None,
                      gate: Tensor | None) -> tuple[Events, list]:
        chosen = self._choose(events.num_events, generator, events.device)
        gates = [chosen[:, j] if gate is None else chosen[:, j] & gate for j in range(len(self.transforms))]
        return self._run(events, None, generator, gates)


class OneOf(SomeOf):
    """Per event, apply exactly one of ``transforms`` (chosen with ``weights``)."""

    def __init__(self, transforms: Sequence[Transform], weights: Sequence[float] | None = None) -> None:
        super().__init__(transforms, 1, weights)
