import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import ElasticDistortion, Events
from augment import functional as F
from augment.testing import check_transform
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
    offset = torch.rand(ev.num_events, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    origins, nodes = F.elastic_grid(ev.coords, ev.batch, ev.num_events, spacing, offset)
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


# ------------------------------------------------------------------ the transform
@pytest.mark.parametrize("t", [ElasticDistortion(30.0, 2.0, p=0.7), ElasticDistortion(80.0, (0.5, 4.0), passes=1),
                               ElasticDistortion(50.0, 1.0, passes=0)], ids=repr)
@pytest.mark.parametrize("dims", [2, 3])
@given(data=st.data())
def test_contract(t, dims, data):
    check_transform(t, data.draw(events_strategy(dims=dims)))


def cloud(n: int = 4000, size: float = 200.0) -> Events:
    """One event of n points uniform in a cube of side ``size`` cm."""
    coords = torch.rand(n, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * size
    return Events(coords, torch.ones(n, 1, dtype=torch.float64), torch.zeros(n, dtype=torch.int64), 1)


def test_rms_amplitude_and_correlation_length():
    ev = cloud()
    shifts = torch.cat([ElasticDistortion(20.0, 3.0)(ev, s).coords - ev.coords for s in range(8)])
    rms = float(shifts.pow(2).mean().sqrt())
    assert 2.0 < rms < 3.3  # 3 cm at the nodes; interpolation between nodes averages a little away
    # Pairs of points 1 cm apart move together; 150 cm apart (7 correlation lengths), independently.
    out = ElasticDistortion(20.0, 3.0)(ev, 1)
    shift = out.coords - ev.coords
    d = torch.cdist(ev.coords, ev.coords)
    near_i, near_j = ((d < 1.0) & (d > 0)).nonzero().unbind(1)
    far_i, far_j = (d > 150.0).nonzero().unbind(1)
    corr = lambda a, b: torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1]  # noqa: E731
    assert corr(shift[near_i], shift[near_j]) > 0.95
    assert abs(corr(shift[far_i], shift[far_j])) < 0.1


@given(events_strategy(dims=3), st.integers(0, 2 ** 31 - 1))
def test_keeps_points_and_features(ev, seed):
    out, params = ElasticDistortion(25.0, (0.0, 5.0)).sample_apply(ev, seed)
    assert torch.equal(out.batch, ev.batch) and torch.equal(out.feats, ev.feats)
    assert (params["amplitude"] >= 0).all() and (params["amplitude"] <= 5.0).all()
    field = F.smooth_noise(params["noise"], 2)
    bound = (params["amplitude"][:, None] * field.abs().flatten(1, -1).amax(1, keepdim=True))[ev.batch]
    assert ((out.coords - ev.coords).abs() <= bound + 1e-9).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="correlation_length: expected a finite number > 0"):
        ElasticDistortion(0.0, 1.0)
    with pytest.raises(ValueError, match="amplitude: expected a number or"):
        ElasticDistortion(10.0, -1.0)
    with pytest.raises(ValueError, match="passes: expected an int >= 0"):
        ElasticDistortion(10.0, 1.0, passes=1.5)
    with pytest.raises(ValueError, match="correlation_length: 0.001 .* expected a longer correlation length"):
        ElasticDistortion(0.001, 1.0)(cloud(10))
    ev = cloud(10)
    params = ElasticDistortion(50.0, 1.0).sample(ev, 0)
    with pytest.raises(ValueError, match=r"params\['noise'\]: expected shape"):
        ElasticDistortion(50.0, 1.0).apply(ev, params.replace(noise=params["noise"][:, :3]))
    with pytest.raises(TypeError, match="events.coords: expected floating"):
        ElasticDistortion(10.0, 1.0)(ev.voxelize(1.0))
