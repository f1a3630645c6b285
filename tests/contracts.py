"""Contract checks every transform must pass (design.md, "Tests that carry weight")."""

from __future__ import annotations

import torch

from augment import Events, Transform


def clone_events(ev: Events) -> Events:
    return ev.replace(coords=ev.coords.clone(), feats=ev.feats.clone(), batch=ev.batch.clone())


def assert_events_equal(a: Events, b: Events, atol: float = 0.0) -> None:
    assert a.num_events == b.num_events
    assert torch.equal(a.batch, b.batch)
    assert a.coords.dtype == b.coords.dtype and a.feats.dtype == b.feats.dtype
    torch.testing.assert_close(a.coords, b.coords, atol=atol, rtol=0 if atol == 0 else 1e-7)
    torch.testing.assert_close(a.feats, b.feats, atol=atol, rtol=0 if atol == 0 else 1e-7)


def slice_params(params: dict, events: Events, i: int) -> dict:
    """The params of event ``i`` alone: (B, ...) rows [i] and ``point_*`` rows of its points."""
    offsets = events.offsets()
    out = {}
    for k, v in params.items():
        if k.startswith("point_"):
            out[k] = v[offsets[i]:offsets[i + 1]]
        else:
            out[k] = v[i:i + 1]
    return out


def check_transform_contract(t: Transform, events: Events, seed: int = 0, atol: float = 1e-9) -> None:
    """Same seed -> same output; replay -> same output; input untouched; dtype/device kept;
    batched result == per-event application with the same params."""
    before = clone_events(events)
    out1, params = t.sample_apply(events, torch.Generator().manual_seed(seed))
    out2 = t(events, torch.Generator().manual_seed(seed))
    assert_events_equal(out1, out2)
    assert_events_equal(t.apply(events, params), out1)
    assert_events_equal(events, before)  # not modified in place
    assert out1.coords.dtype == events.coords.dtype and out1.feats.dtype == events.feats.dtype
    assert out1.device == events.device
    assert out1.num_events == events.num_events
    if isinstance(params, dict):
        for i in range(events.num_events):
            single = events.index_select_events(torch.tensor([i]))
            expected = t.apply(single, slice_params(params, events, i))
            got = out1.index_select_events(torch.tensor([i]))
            assert_events_equal(got, expected, atol=atol)
