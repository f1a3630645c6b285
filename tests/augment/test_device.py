"""On a CUDA device: draws on the device, no host sync in the transforms' bodies, pinned memory,
replay across devices. Skipped without CUDA (run them on a GPU machine)."""

import pytest
import torch

from augment import (CentreJets, CollinearSplit, Compose, EnergyScale, Events, Jitter, LocalSmear, NormalisePT, Rotate,
                     SoftSmear, Translate, VoxelDrop)
from augment.testing import assert_events_equal, check_transform

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def batch(dims: int, channels: int, device: str = "cuda") -> Events:
    g = torch.Generator().manual_seed(0)
    counts = torch.tensor([30, 0, 12, 50])
    ev = Events(torch.randn(92, dims, generator=g), torch.rand(92, channels, generator=g) + 0.1,
                torch.repeat_interleave(torch.arange(4), counts), 4)
    return ev.to(device)


def test_int_seed_makes_a_generator_on_the_device_and_cpu_generators_are_refused():
    ev = batch(3, 2)
    out, params = Jitter(1.0).sample_apply(ev, 0)
    assert params["point_offset"].device == ev.device
    with pytest.raises(ValueError, match="generator: expected a torch.Generator on the events' device"):
        Jitter(1.0)(ev, torch.Generator().manual_seed(0))
    assert_events_equal(Jitter(1.0)(ev, torch.Generator("cuda").manual_seed(0)), out)


@pytest.mark.parametrize("t, dims, channels", [
    (Rotate(), 3, 2), (Translate(1.0), 3, 2), (Jitter(1.0), 3, 2), (EnergyScale(), 3, 2), (LocalSmear(), 3, 2),
    (SoftSmear(), 2, 1), (CentreJets(), 2, 1), (NormalisePT(), 2, 1)], ids=repr)
def test_transform_bodies_and_the_gate_merge_do_not_sync(t, dims, channels):
    ev = batch(dims, channels)
    for gate in (None, torch.tensor([True, False, True, False], device="cuda")):
        params = t.sample(ev, 0, gate)
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            t._apply(ev, params)  # apply minus the input validation (its one sync)
        finally:
            torch.cuda.set_sync_debug_mode("default")


def test_pin_memory_and_replay_on_another_device():
    ev = batch(3, 2, "cpu")
    pinned = ev.pin_memory()
    assert pinned.coords.is_pinned() and pinned.batch.is_pinned()
    pipeline = Compose([Rotate(), Translate(1.0), VoxelDrop(0.3)])
    out, params = pipeline.sample_apply(ev, 1)
    assert_events_equal(pipeline.apply(pinned.to("cuda", non_blocking=True), params).to("cpu"), out)


@pytest.mark.parametrize("t, dims, channels", [(Rotate(), 3, 2), (VoxelDrop(0.5, p=0.5), 3, 2),
                                               (CollinearSplit(0.5, p=0.5), 2, 1)], ids=repr)
def test_contract_on_cuda(t, dims, channels):
    check_transform(t, batch(dims, channels), atol=1e-5)
