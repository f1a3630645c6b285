"""Contract checks for transforms, for the library's tests and for users' own transforms.

>>> from augment.testing import check_transform
>>> check_transform(MyTransform(), events)        # raises AssertionError naming the broken rule

:func:`check_transform` runs a transform on ``events`` and checks the protocol's promises:
events whose gate is off come out bit-identical (gate all off, and a mixed gate), ``apply``
replays ``sample``'s params exactly and refuses params of another batch, the same seed gives
the same output, the batched result equals the per-event results with the same params, dtype
and device are kept, the input is not modified, and batches with no points work.
"""

from __future__ import annotations

import copy

import torch

from augment._base import Transform, _draws
from augment._events import Events
from augment._params import Params

__all__ = ["check_transform", "assert_events_equal", "event_params"]


def _fail(message: str) -> None:
    raise AssertionError(message)


def assert_events_equal(a: Events, b: Events, atol: float = 0.0, what: str = "events") -> None:
    """``a`` and ``b`` hold the same events: same batch, dtypes, labels and attrs (NaN = not set, as
    a missing key); coords and feats equal (bit-identical when ``atol`` is 0, else within ``atol``
    and a relative 1e-7)."""
    if a.num_events != b.num_events:
        _fail(f"{what}: num_events {a.num_events} != {b.num_events}")
    if a.batch.shape != b.batch.shape or not torch.equal(a.batch, b.batch):
        _fail(f"{what}: different points per event (batch {a.counts().tolist()} != {b.counts().tolist()})")
    for name in ("coords", "feats"):
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype != y.dtype or x.shape != y.shape:
            _fail(f"{what}: {name} {x.dtype} {tuple(x.shape)} != {y.dtype} {tuple(y.shape)}")
        same = torch.equal(x, y) if atol == 0 else torch.allclose(x, y, rtol=1e-7, atol=atol)
        if not same:
            _fail(f"{what}: {name} differ (max |difference| {float((x - y).abs().max()):.3g}, atol {atol})")
    if (a.labels is None) != (b.labels is None) or (a.labels is not None and not torch.equal(a.labels, b.labels)):
        _fail(f"{what}: labels differ")
    for key in {**a.attrs, **b.attrs}:
        x, y = a.attrs.get(key), b.attrs.get(key)
        if x is None or y is None:  # a floating attr that is NaN everywhere is "not set", as a missing one
            present = x if y is None else y
            if not (present.is_floating_point() and present.isnan().all()):
                _fail(f"{what}: attrs['{key}'] set on one side only")
            continue
        if x.dtype != y.dtype or x.shape != y.shape or not torch.equal(x.nan_to_num(), y.nan_to_num()) \
                or (x.is_floating_point() and not torch.equal(x.isnan(), y.isnan())):
            _fail(f"{what}: attrs['{key}'] differ")


def event_params(params: Params, events: Events, i: int) -> Params:
    """The params of event ``i`` of ``events`` alone, bound to ``events.index_select_events([i])``:
    the rows [i] of the per-event (B, ...) entries and the rows of its points of the ``point_*`` ones."""
    offsets = events.offsets().tolist()
    values = {k: v[offsets[i]:offsets[i + 1]] if k.startswith("point_") else v[i:i + 1] for k, v in params.items()}
    single = Params(values, _single(events, i))
    if params.uniform_gate() is not None:
        single.mark_uniform_gate(params.uniform_gate())
    return single


def check_transform(transform: Transform, events: Events, seed: int = 0, atol: float = 1e-9) -> None:
    """Raise AssertionError naming the first broken rule of the protocol (see the module docstring).

    ``events``: a small batch the transform accepts, ideally of a few events with different point
    counts (some empty); ``seed`` is the generator seed used; ``atol`` the tolerance of the
    batched == per-event comparison (kernels may round differently on sub-batches)."""
    if not isinstance(transform, Transform):
        _fail(f"transform: expected an augment Transform, got {type(transform).__name__}")
    before = _clone(events)
    out, params = transform.sample_apply(events, seed)
    assert_events_equal(events, before, what="input after sample_apply (modified in place)")
    if out.device != events.device or out.coords.dtype != events.coords.dtype or out.feats.dtype != events.feats.dtype:
        _fail(f"output: dtype/device changed: coords {events.coords.dtype} -> {out.coords.dtype}, feats "
              f"{events.feats.dtype} -> {out.feats.dtype}, device {events.device} -> {out.device}")
    assert_events_equal(transform(events, seed), out, what="same seed, second call")
    assert_events_equal(transform.apply(events, params), out, what="replay of the params")
    assert_events_equal(events, before, what="input after apply (modified in place)")
    _check_gates(transform, events, seed)
    _check_binding(transform, events, params)
    if isinstance(params, Params):
        for i in range(events.num_events):
            expected = transform.apply(_single(events, i), event_params(params, events, i))
            assert_events_equal(_single(out, i), expected, atol, what=f"event {i} alone vs in the batch")
    _check_empty(transform, events, seed)


def _single(events: Events, i: int) -> Events:
    return events.index_select_events(torch.tensor([i], device=events.device))


def _clone(ev: Events) -> Events:
    return ev.replace(coords=ev.coords.clone(), feats=ev.feats.clone(), batch=ev.batch.clone(),
                      labels=None if ev.labels is None else ev.labels.clone(),
                      attrs={k: v.clone() for k, v in ev.attrs.items()})


def _check_gates(transform: Transform, events: Events, seed: int) -> None:
    """Gate all off (p = 0, and a container gate of zeros): output == input. A mixed container gate:
    the events gated off equal the input, bit for bit, and the others the ungated transform's output.
    A transform that changes the feature layout cannot be gated per event: it must raise ValueError."""
    B = events.num_events
    zeros = torch.zeros(B, dtype=torch.bool, device=events.device)
    mixed = torch.arange(B, device=events.device) % 2 == 0
    params = transform.sample(events, seed, mixed)
    if not isinstance(params, Params):  # containers: all off only, their members are checked on their own
        assert_events_equal(transform.sample_apply(events, seed, zeros)[0], events, what="gate all off output vs input")
        return
    off = copy.copy(transform)
    off.p = 0.0
    assert_events_equal(off(events, seed), events, what="p = 0 output vs input")
    raw = transform.transform(events, _draws(params))
    if raw.feature_names != events.feature_names or raw.feats.shape[1:] != events.feats.shape[1:]:
        for gate in (zeros, mixed):
            if bool(gate.all()):
                continue
            try:
                transform.sample_apply(events, seed, gate)
            except ValueError:
                continue
            _fail("a transform that changes the feature layout was merged with events whose gate is off")
        return
    assert_events_equal(transform.sample_apply(events, seed, zeros)[0], events, what="gate all off output vs input")
    out = transform.apply(events, params)
    gate = params["apply"].tolist()
    for i in range(B):
        expected = _single(raw if gate[i] else events, i)
        assert_events_equal(_single(out, i), expected, what=f"mixed gate, event {i} (gate {gate[i]})")


def _check_binding(transform: Transform, events: Events, params) -> None:
    """Params replayed on a batch with the same B and N but other per-event counts must be refused."""
    counts = events.counts()
    donors = (counts > 0).nonzero().flatten().tolist()
    if events.num_events < 2 or not donors:
        return
    moved = counts.clone()
    i = donors[0]
    moved[i] -= 1
    moved[i + 1 if i + 1 < events.num_events else i - 1] += 1
    batch = torch.repeat_interleave(torch.arange(events.num_events, device=events.device), moved)
    other = events.replace(batch=batch)
    try:
        transform.apply(other, params)
    except ValueError as error:
        if "params" not in str(error):
            _fail(f"replay on another batch: the ValueError does not name params: {error}")
        return
    _fail("replay on another batch (same B and N, other per-event counts) was accepted")


def _check_empty(transform: Transform, events: Events, seed: int) -> None:
    """No events at all, and events without points."""
    pick = torch.zeros(2, dtype=torch.int64, device=events.device)
    for B in (0, 2):
        if B and not events.num_events:
            continue
        rows = events.index_select_events(pick[:B])
        empty = rows.replace(coords=rows.coords[:0], feats=rows.feats[:0], batch=rows.batch[:0])
        out = transform(empty, seed)
        if out.num_events != B or out.coords.dtype != empty.coords.dtype or out.feats.dtype != empty.feats.dtype:
            _fail(f"{B} events without points: got {out.num_events} events, {out.coords.dtype} coords")
        for name, t in (("coords", out.coords), ("feats", out.feats)):
            if t.is_floating_point() and not torch.isfinite(t).all():
                _fail(f"{B} events without points: non-finite {name}")
