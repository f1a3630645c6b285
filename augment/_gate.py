"""The per-event gate merge: events whose gate is off come out bit-identical to the input.

:meth:`augment.Transform.apply` computes a transform's effect on every event, then calls
:func:`merge_gated`, so no transform handles the gate itself. Transforms that add or remove
points are merged event by event (each output event comes whole from the input or from the
transform's output); per-event ``labels`` and ``attrs`` row by row.
"""

from __future__ import annotations

import torch
from torch import Tensor

from augment._events import Events

__all__ = ["merge_gated", "check_gate"]


def check_gate(gate: object, num_events: int, name: str = "params['apply']") -> Tensor:
    """A gate must be a (B,) bool tensor (a float gate would scale shifts by its value)."""
    if not isinstance(gate, Tensor) or gate.dtype != torch.bool or tuple(gate.shape) != (num_events,):
        got = f"{gate.dtype} tensor of shape {tuple(gate.shape)}" if isinstance(gate, Tensor) else type(gate).__name__
        raise ValueError(f"{name}: expected a ({num_events},) bool tensor (one gate per event), got {got}")
    return gate


def merge_gated(before: Events, after: Events, gate: Tensor, who: str = "transform") -> Events:
    """``after`` on the events where ``gate`` (B,) bool is True, ``before`` (bit-identical) elsewhere.

    A transform that changes what a batch holds (feature columns, dtypes, labels) cannot be merged:
    ``after`` itself when every event is gated, ValueError otherwise."""
    problems = _unmergeable(before, after)
    if problems:
        if bool(gate.all()):
            return after
        raise ValueError(f"{who}: changed {', '.join(problems)}, so events whose gate is off (p < 1 or a "
                         "container's gate) cannot be merged with the others; use it with p = 1, outside "
                         "RandomApply/OneOf/SomeOf")
    if after.batch is before.batch:  # same points: a per-point select
        point_gate = gate.index_select(0, before.batch)
        coords = _select(point_gate, after.coords, before.coords)
        feats = _select(point_gate, after.feats, before.feats)
        batch = before.batch
    else:
        coords, feats, batch = _merge_ragged(before, after, gate)
    labels = None if before.labels is None else _select(gate, after.labels, before.labels)
    return after.replace(coords=coords, feats=feats, batch=batch, labels=labels,
                         attrs=_merge_attrs(before, after, gate, who))


def _select(rows: Tensor, new: Tensor, old: Tensor) -> Tensor:
    """Row-wise ``where(rows, new, old)``; ``old`` itself when nothing changed."""
    if new is old:
        return old
    return torch.where(rows.reshape(-1, *(1,) * (new.dim() - 1)), new, old)


def _merge_ragged(before: Events, after: Events, gate: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Events taken whole from ``before`` (gate off) or ``after`` (gate on), in event order.

    Each point's destination row is its event's new offset plus its rank in the event; points
    of the other source go to a spare last row, dropped. One host sync, for the output size."""
    B = before.num_events
    in_counts = torch.bincount(before.batch, minlength=B)
    out_counts = torch.bincount(after.batch, minlength=B)
    counts = torch.where(gate, out_counts, in_counts)
    starts = torch.cumsum(counts, 0) - counts
    total = int(counts.sum())

    def rows(ev: Events, ev_counts: Tensor, take: Tensor) -> Tensor:
        first = (torch.cumsum(ev_counts, 0) - ev_counts).index_select(0, ev.batch)
        dest = starts.index_select(0, ev.batch) + torch.arange(ev.num_points, device=ev.device) - first
        return torch.where(take.index_select(0, ev.batch), dest, total)

    rows_in, rows_out = rows(before, in_counts, ~gate), rows(after, out_counts, gate)

    def place(old: Tensor, new: Tensor) -> Tensor:
        out = old.new_empty((total + 1, *old.shape[1:]))
        return out.index_copy_(0, rows_in, old).index_copy_(0, rows_out, new)[:total]

    batch = torch.repeat_interleave(torch.arange(B, device=before.device), counts, output_size=total)
    return place(before.coords, after.coords), place(before.feats, after.feats), batch


def _merge_attrs(before: Events, after: Events, gate: Tensor, who: str) -> dict[str, Tensor]:
    """Row-wise merge of ``attrs``; a key only one side has is NaN ("not set") on the other side's rows."""
    merged = {}
    for key in {**before.attrs, **after.attrs}:
        old, new = before.attrs.get(key), after.attrs.get(key)
        if old is None or new is None:
            present = new if old is None else old
            if not present.is_floating_point():
                raise ValueError(f"{who}: attrs['{key}'] is set on some events only, which needs a floating "
                                 f"tensor (NaN = not set), got {present.dtype}")
            missing = torch.full_like(present, torch.nan)
            old, new = (missing, new) if old is None else (old, missing)
        merged[key] = _select(gate, new, old)
    return merged


def _unmergeable(before: Events, after: Events) -> list[str]:
    """What ``after`` changed that no per-event merge can keep (empty if mergeable)."""
    problems = []
    if after.num_events != before.num_events:
        problems.append(f"num_events {before.num_events} -> {after.num_events}")
    for name in ("coords", "feats"):
        a, b = getattr(before, name), getattr(after, name)
        if a.dtype != b.dtype or a.shape[1:] != b.shape[1:]:
            problems.append(f"{name} {a.dtype} {tuple(a.shape[1:])} -> {b.dtype} {tuple(b.shape[1:])}")
    if after.feature_names != before.feature_names:
        problems.append(f"feature_names {before.feature_names} -> {after.feature_names}")
    if (before.labels is None) != (after.labels is None) or (
            before.labels is not None and (before.labels.shape != after.labels.shape
                                           or before.labels.dtype != after.labels.dtype)):
        problems.append("labels")
    for key in set(before.attrs) & set(after.attrs):
        if before.attrs[key].shape != after.attrs[key].shape or before.attrs[key].dtype != after.attrs[key].dtype:
            problems.append(f"attrs['{key}']")
    return problems
