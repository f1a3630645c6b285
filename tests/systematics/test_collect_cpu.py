"""The CPU kernel of collect_charge (systematics/functional/collect_cpu.py) against the torch
kernels: equal to rounding on every geometry and model, each event bit for bit the same alone or in
any batch, its output buffers grown when needed, and every input it declines left to the torch
path's errors."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment import DetectorThrow, Events
from systematics import DetectorParams, DriftGeometry, ReadoutConfig
from systematics import functional as F
from systematics.functional import chain
from systematics.response import DetectorResponse
from tests.systematics.deposits import deposits_strategy, track

GEOMETRIES = {
    "default": DriftGeometry(),
    "cathode first, two TPCs, nominal velocity": DriftGeometry(anode=50.0, direction=-1, num_tpcs=2, max_drift=25.0,
                                                               field_changes_velocity=False),
    "space charge": DriftGeometry(num_tpcs=3, max_drift=16.8, transverse=((-3.0, 3.0), (-2.5, 2.5))),
}


def _values(ev: Events, geometry: DriftGeometry, recombination: str, seed: int) -> dict[str, torch.Tensor]:
    """Every parameter thrown per event (space charge where the geometry has a transverse box)."""
    thrown = DetectorThrow(space_charge=geometry.transverse is not None)(ev, seed)
    return DetectorResponse(params=DetectorParams.nominal(recombination), geometry=geometry).values(thrown)


def _collect(ev: Events, values, recombination, geometry, readout=ReadoutConfig(), kernel=True, **kwargs):
    return F.collect_charge(ev.coords, ev.feats, ev.batch, ev.num_events, values, recombination, geometry, readout,
                            kernel=kernel, **kwargs)


def _by_voxel(v) -> dict[tuple[int, int, int, int], float]:
    return {(int(e), *map(int, x)): float(q) for e, x, q in zip(v.batch, v.voxel, v.charge)}


def _assert_close(kernel, reference, rtol: float) -> None:
    """The same charge per (event, voxel) within ``rtol`` of the largest voxel charge (a voxel on one
    side only, from a cloud edge on a voxel boundary, must hold no more than that)."""
    a, b = _by_voxel(kernel), _by_voxel(reference)
    scale = max([abs(q) for q in b.values()], default=0.0)
    worst = max([abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in a.keys() | b.keys()], default=0.0)
    assert worst <= rtol * scale, (worst, scale)
    assert torch.equal(kernel.dropped, reference.dropped)


@settings(max_examples=60, deadline=None)
@given(deposits_strategy(), st.sampled_from(sorted(GEOMETRIES)), st.sampled_from(["birks", "box"]),
       st.integers(0, 2 ** 31))
def test_kernel_equals_the_torch_kernels_in_float64(ev, name, recombination, seed):
    geometry = GEOMETRIES[name]
    values = _values(ev, geometry, recombination, seed)
    out = _collect(ev, values, recombination, geometry)
    _assert_close(out, _collect(ev, values, recombination, geometry, kernel=False), 1e-9)
    # sorted by event, then voxel, as the torch path
    key = (out.batch * 2 ** 20 + out.voxel[:, 0] + 2 ** 9) * 2 ** 40 + (out.voxel[:, 1] + 2 ** 9) * 2 ** 20 \
        + out.voxel[:, 2] + 2 ** 9
    assert bool((key[1:] > key[:-1]).all())


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_kernel_in_float32_is_within_float32_rounding_of_the_float64_result(name):
    geometry = GEOMETRIES[name]
    ev = track()
    ev = ev.replace(coords=ev.coords * torch.tensor([0.2, 0.2, 1.0], dtype=torch.float64))  # inside every box
    values = _values(ev, geometry, "birks", 7)
    reference = _collect(ev, values, "birks", geometry)
    single = ev.to(torch.float32)
    out = _collect(single, {k: v.float() for k, v in values.items()}, "birks", geometry)
    assert out.charge.dtype == torch.float32
    _assert_close(out, reference, 1e-4)  # float32 coords: positions to ~1e-6 cm
    torch_path = _collect(single, {k: v.float() for k, v in values.items()}, "birks", geometry, kernel=False)
    _assert_close(torch_path, reference, 1e-3)


def test_an_event_gives_the_same_bits_alone_or_in_any_batch():
    ev = track(dtype=torch.float32)
    geometry, readout = GEOMETRIES["default"], ReadoutConfig()
    values = _values(ev, geometry, "birks", 3)
    batch = ev.index_select_events(torch.tensor([1, 0, 2, 1, 0]))
    out = _collect(batch, {k: v[[1, 0, 2, 1, 0]] for k, v in values.items()}, "birks", geometry, group_size=150)
    for position, event in enumerate([1, 0, 2, 1, 0]):
        alone = _collect(ev.index_select_events(torch.tensor([event])), {k: v[[event]] for k, v in values.items()},
                         "birks", geometry, readout)
        rows = out.batch == position
        assert torch.equal(out.voxel[rows], alone.voxel) and torch.equal(out.charge[rows], alone.charge)


def test_outputs_grow_when_the_voxels_outnumber_the_first_guess():
    ev = track(100)  # 200 deposits: room for 4 x 200 + 1024 voxels at first
    geometry = GEOMETRIES["default"]
    values = _values(ev, geometry, "birks", 0)
    wide = {**values, "diffusion_t": values["diffusion_t"] * 400, "diffusion_l": values["diffusion_l"] * 400}
    out = _collect(ev, wide, "birks", geometry, readout=ReadoutConfig(pitch=0.2))
    assert len(out.charge) > 4 * 200 + 1024
    _assert_close(out, _collect(ev, wide, "birks", geometry, readout=ReadoutConfig(pitch=0.2), kernel=False), 1e-9)
    total = torch.zeros(3, dtype=torch.float64).index_add_(0, out.batch, out.charge)
    charge = _collect(ev, {**wide, "diffusion_t": wide["diffusion_t"] * 0, "diffusion_l": wide["diffusion_l"] * 0},
                      "birks", geometry).charge
    assert math.isclose(total.sum().item(), charge.sum().item(), rel_tol=1e-12)  # charge conserved


def test_declined_inputs_take_the_torch_path_and_its_errors():
    ev = track()
    geometry = GEOMETRIES["default"]
    values = _values(ev, geometry, "birks", 0)
    with pytest.raises(ValueError, match="dx: expected finite step lengths > 0"):
        _collect(ev.replace(feats=ev.feats * torch.tensor([1.0, -1.0], dtype=torch.float64)), values, "birks",
                 geometry)
    with pytest.raises(ValueError, match="coords: expected positions along axis 2"):
        _collect(ev.replace(coords=ev.coords + torch.tensor([0.0, 0.0, 10.0], dtype=torch.float64)), values, "birks",
                 geometry)
    with pytest.raises(ValueError, match="space_charge: expected 0 when geometry.transverse is None"):
        _collect(ev, {**values, "space_charge": torch.ones(3, dtype=torch.float64)}, "birks", geometry)
    with pytest.raises(ValueError, match="coords: expected positions on axes \\[0, 1\\] inside the transverse box"):
        _collect(ev, values, "birks", DriftGeometry(transverse=((-1.0, 1.0), (-1.0, 1.0))))
    # an unsorted batch: the torch path's result, bit for bit
    order = torch.randperm(ev.num_points, generator=torch.Generator().manual_seed(0))
    args = (ev.coords[order], ev.feats[order], ev.batch[order], ev.num_events, values, "birks", geometry,
            ReadoutConfig())
    for a, b in zip(F.collect_charge(*args), F.collect_charge(*args, kernel=False)):
        assert torch.equal(a, b)


def test_kernel_false_never_calls_the_kernel(monkeypatch):
    ev = track()
    geometry = GEOMETRIES["default"]
    values = _values(ev, geometry, "birks", 0)
    expected = _collect(ev, values, "birks", geometry, kernel=False)

    def refuse(*args, **kwargs):
        raise AssertionError("the CPU kernel was called")

    monkeypatch.setattr(chain, "collect_cpu", refuse)
    out = _collect(ev, values, "birks", geometry, kernel=False)
    assert all(torch.equal(a, b) for a, b in zip(out, expected))
    response = F.detector_response(ev.coords, ev.feats, ev.batch, ev.num_events, values, "birks", geometry,
                                   ReadoutConfig(), torch.arange(3), kernel=False)
    assert response.charge.numel() > 0
