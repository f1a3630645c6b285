"""``Params``: the draws of one transform, bound to the batch they were drawn for.

A params dict replayed on another batch would be applied silently (same B and N are
enough for every shape check to pass), so each ``Params`` records the batch it belongs
to: B, N and the ``batch`` tensor itself. :meth:`Params.bound_to` accepts the very same
``batch`` tensor at no cost (sample then apply, replay on the same events); any other
``batch`` (the same events rebuilt, or moved to another device) must have the same per-event
counts, compared through a fingerprint (:func:`count_fingerprint`, one host sync).
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor

from augment._events import Events

__all__ = ["Params", "count_fingerprint"]

# Multiplicative hashing (Knuth, TAOCP vol. 3, sec. 6.4): h(b) = (b * 2654435761 + 1) mod (2^31 - 1).
_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 2 ** 31 - 1


def count_fingerprint(batch: Tensor) -> tuple[int, int]:
    """Two sums over the points of a sorted ``batch`` (N,) that depend only on the per-event counts
    c_b: sum_b c_b h(b) with the hash h above, and sum_b c_b b. Equal counts give equal
    fingerprints; different counts with the same N collide with probability ~2^-31.
    int64 throughout: exact for event indices < 2^32 and N < 2^32."""
    hashed = (batch * _HASH_MULTIPLIER + 1).remainder_(_HASH_MODULUS)
    a, b = torch.stack([hashed.sum(), batch.sum()]).tolist()
    return int(a), int(b)


class Params(dict):
    """A transform's params: ``dict[str, Tensor]`` (per-event (B, ...) entries, per-point
    ``point_*`` (N, ...) entries and the (B,) bool gate ``"apply"``) bound to one batch.

    ``Params(values, events)`` binds hand-written values to ``events``; :meth:`replace` and
    :meth:`copy` keep the binding (a plain ``dict(params)`` or ``{**params}`` drops it, and
    ``apply`` then refuses it)."""

    def __init__(self, values: Mapping[str, Tensor] = (), events: Events | None = None) -> None:
        super().__init__(values)
        if not isinstance(events, Events):
            raise TypeError(f"events: expected the augment.Events these params are for, got {type(events).__name__}")
        self._num_events = events.num_events
        self._num_points = events.num_points
        self._batch = events.batch
        self._fingerprint: tuple[int, int] | None = None
        self._uniform_gate: tuple[Tensor, bool] | None = None

    # Binding --------------------------------------------------------------
    def bound_to(self, events: Events) -> bool:
        """True when these params were drawn for ``events``' batch (same B, N and per-event counts)."""
        if events.num_events != self._num_events or events.num_points != self._num_points:
            return False
        if events.batch is self._batch:
            return True
        if self._fingerprint is None:
            self._fingerprint = count_fingerprint(self._batch)
        return count_fingerprint(events.batch) == self._fingerprint

    def check_bound(self, events: Events) -> "Params":
        """These params on ``events``' device; ValueError naming ``params`` if drawn for another batch."""
        if not self.bound_to(events):
            raise ValueError(f"params: drawn for a batch of {self._num_events} events and {self._num_points} points "
                             f"with other per-event counts, got {events.num_events} events and {events.num_points} "
                             "points; replay params only on the events they were sampled for")
        return self if all(v.device == events.device for v in self.values() if isinstance(v, Tensor)) \
            else self.to(events.device)

    def to(self, device: torch.device | str) -> "Params":
        """The same params with every tensor on ``device`` (still bound to the same events)."""
        known = self.uniform_gate()
        moved = self._rebound({k: v.to(device) if isinstance(v, Tensor) else v for k, v in self.items()})
        if known is not None:
            moved.mark_uniform_gate(known)
        return moved

    def replace(self, **changes: Tensor) -> "Params":
        """A copy with some entries replaced, bound to the same batch."""
        return self._rebound({**self, **changes})

    def copy(self) -> "Params":
        return self._rebound(dict(self))

    def _rebound(self, values: Mapping[str, Tensor]) -> "Params":
        new = dict.__new__(Params)
        dict.__init__(new, values)
        new.__dict__.update(self.__dict__)
        gate = self._uniform_gate
        new._uniform_gate = None if gate is None or values.get("apply") is not gate[0] else gate
        return new

    # Gate known on the host -------------------------------------------------
    def mark_uniform_gate(self, value: bool) -> None:
        """Record that the current ``"apply"`` gate is ``value`` on every event (known without a
        device sync: p = 1 and no container gate, or p = 0). Replacing the gate drops the mark."""
        self._uniform_gate = (self["apply"], value)

    def uniform_gate(self) -> bool | None:
        """True/False when the gate is known (on the host) to be on/off for every event, else None."""
        gate = self._uniform_gate
        return gate[1] if gate is not None and self.get("apply") is gate[0] else None

    def __repr__(self) -> str:
        return f"Params({dict.__repr__(self)}, bound to {self._num_events} events, {self._num_points} points)"
