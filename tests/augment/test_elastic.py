import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import functional as F
from tests.strategies import events_strategy


def test_smoothed_noise_is_unit_normal_and_correlated():
    noise = torch.randn(4, 60, 60, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    field = F.smooth_noise(noise, passes=2)
    assert field.shape == (4, 56, 56, 2)  # valid convolution: each pass trims one node at each end
    assert abs(float(field.std()) - 1.0) < 0.05
    # Neighbouring nodes share most of their noise (correlated); nodes 5 apart share none.
    near = torch.corrcoef(torch.stack([field[:, :-1].flatten(), field[:, 1:].flatten()]))[0, 1]
    far = torch.corrcoef(torch.stack([field[:, :-5].flatten(), field[:, 5:].flatten()]))[0, 1]
    assert near > 0.7 and abs(far) < 0.05


def test_interpolation_is_exact_for_affine_fields_and_at_nodes():
    g = torch.Generator().manual_seed(1)
    spacing, origins = 2.5, torch.tensor([[-1.0, 0.0, 2.0], [3.0, -4.0, 1.0]], dtype=torch.float64)
    nodes = torch.stack(torch.meshgrid(*(torch.arange(5, dtype=torch.float64),) * 3, indexing="ij"), -1)
    A = torch.randn(2, 3, 3, generator=g, dtype=torch.float64)
    positions = origins[:, None, None, None] + spacing * nodes  # (B, 5, 5, 5, 3) in coords' units
    field = torch.einsum("bij,bxyzj->bxyzi", A, positions)
    coords = origins.repeat_interleave(20, 0) + torch.rand(40, 3, generator=g, dtype=torch.float64) * 4 * spacing
    batch = torch.arange(2).repeat_interleave(20)
    torch.testing.assert_close(F.interpolate_grid(coords, batch, origins, spacing, field),
                               torch.einsum("nij,nj->ni", A[batch], coords))
    at_node = origins[:1] + spacing * torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    torch.testing.assert_close(F.interpolate_grid(at_node, torch.zeros(1, dtype=torch.int64), origins[:1], spacing,
                                                  field[:1]), field[0, 1, 2, 3][None])


@given(events_strategy(dims=3, min_points=1), st.floats(5.0, 80.0), st.integers(0, 2 ** 31 - 1))
def test_grid_covers_every_point(ev, spacing, seed):
    origins, nodes = F.elastic_grid(ev.coords, ev.batch, ev.num_events, spacing)
    pos = (ev.coords - origins[ev.batch]) / spacing
    assert (pos >= 1 - 1e-9).all() and (pos < torch.tensor(nodes, dtype=pos.dtype) - 1).all()  # inside the last cell


@given(events_strategy(dims=2, min_points=1), st.integers(0, 2 ** 31 - 1))
def test_distortion_is_smooth_bounded_and_batched_equals_per_event(ev, seed):
    spacing, passes = 20.0, 2
    origins, nodes = F.elastic_grid(ev.coords, ev.batch, ev.num_events, spacing)
    noise = torch.randn(ev.num_events, *(n + 2 * passes for n in nodes), 2,
                        generator=torch.Generator().manual_seed(seed), dtype=ev.coords.dtype)
    out = F.elastic_distort(ev.coords, ev.batch, origins, spacing, noise, 3.0, passes)
    shift = out - ev.coords
    field = F.smooth_noise(noise, passes)
    assert (shift.abs() <= 3.0 * field.abs().amax() + 1e-9).all()  # a convex combination of node values
    # Lipschitz: a point moved by a hair moves the displacement by at most ~ amplitude * hair / spacing * const.
    hair = 1e-3
    nudged = F.elastic_distort(ev.coords + hair, ev.batch, origins, spacing, noise, 3.0, passes) - (ev.coords + hair)
    bound = 3.0 * 2 * field.abs().amax() * 2 * hair / spacing + 1e-9
    assert ((nudged - shift).abs() <= bound).all()
    offsets = ev.offsets()
    for b in range(ev.num_events):
        rows = slice(int(offsets[b]), int(offsets[b + 1]))
        single = F.elastic_distort(ev.coords[rows], torch.zeros(rows.stop - rows.start, dtype=torch.int64),
                                   origins[b:b + 1], spacing, noise[b:b + 1], 3.0, passes)
        assert torch.equal(out[rows], single)


def test_zero_amplitude_per_event_leaves_event_unchanged():
    coords = torch.randn(10, 3, dtype=torch.float64) * 30
    batch = torch.tensor([0] * 4 + [1] * 6)
    origins, nodes = F.elastic_grid(coords, batch, 2, 10.0)
    noise = torch.randn(2, *(n + 4 for n in nodes), 3, dtype=torch.float64)
    out = F.elastic_distort(coords, batch, origins, 10.0, noise, torch.tensor([0.0, 2.0]))
    assert torch.equal(out[:4], coords[:4]) and not torch.equal(out[4:], coords[4:])
