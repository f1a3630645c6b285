import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from augment import Events
from training.encoders import SparseResNet, StridedConv3d, SubmanifoldConv3d
from training.encoders.functional import (
    apply_kernel_map,
    downsample_map,
    global_pool,
    kernel_offsets,
    submanifold_map,
    voxel_keys,
)
from training.encoders.functional.sparse_conv import _downsample_torch, _fill_chunks_torch, _neighbours_torch
from training.encoders.functional.sparse_conv_cpu import downsample_cpu, fill_chunks_cpu, neighbours_cpu


def random_sites(seed: int, num_events: int = 2, grid: int = 6, occupancy: float = 0.3, channels: int = 2):
    """Active voxels of a dense (B, C, grid, grid, grid) tensor and that tensor."""
    g = torch.Generator().manual_seed(seed)
    active = torch.rand(num_events, grid, grid, grid, generator=g) < occupancy
    b, x, y, z = active.nonzero(as_tuple=True)
    feats = torch.randn(len(b), channels, generator=g, dtype=torch.float64)
    dense = torch.zeros(num_events, channels, grid, grid, grid, dtype=torch.float64)
    dense[b, :, x, y, z] = feats
    return torch.stack([x, y, z], 1), b, feats, dense


def to_sparse_weight(w_dense: torch.Tensor) -> torch.Tensor:
    """(C_out, C_in, k, k, k) conv3d weight -> (k**3, C_in, C_out), the documented ordering."""
    c_out, c_in = w_dense.shape[:2]
    return w_dense.permute(2, 3, 4, 1, 0).reshape(-1, c_in, c_out)


def test_kernel_offsets_order():
    off3 = kernel_offsets(3)
    assert off3.shape == (27, 3)
    assert off3[0].tolist() == [-1, -1, -1] and off3[1].tolist() == [-1, -1, 0]
    assert off3[3].tolist() == [-1, 0, -1] and off3[9].tolist() == [0, -1, -1] and off3[13].tolist() == [0, 0, 0]
    off2 = kernel_offsets(2)
    assert off2.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1]]


@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(2, 7), st.floats(0.05, 0.9))
def test_submanifold_equals_dense_conv3d_at_active_sites(seed, num_events, grid, occupancy):
    coords, batch, feats, dense = random_sites(seed, num_events, grid, occupancy)
    w = torch.randn(3, 2, 3, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 1))
    bias = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    expected = F.conv3d(dense, w, bias, padding=1)[batch, :, coords[:, 0], coords[:, 1], coords[:, 2]]
    # Negative indices and an arbitrary origin must not matter: shift the sparse sites.
    shifted = coords - torch.tensor([5, -2, 3])
    out = apply_kernel_map(feats, to_sparse_weight(w), submanifold_map(shifted, batch), bias)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)


@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(2, 7), st.floats(0.05, 0.9),
       st.sampled_from([1, 3, 5]), st.booleans())
def test_submanifold_map_pairs_equal_brute_force(seed, num_events, grid, occupancy, kernel_size, shuffle):
    """Every offset's pairs, against a check of every pair of sites; sites sorted or not (the
    map skips the sort only for sorted sites)."""
    coords, batch, _, _ = random_sites(seed, num_events, grid, occupancy)
    if shuffle:
        perm = torch.randperm(len(coords), generator=torch.Generator().manual_seed(seed))
        coords, batch = coords[perm], batch[perm]
    kmap = submanifold_map(coords, batch, kernel_size)
    diff = coords[:, None, :] - coords[None, :, :]  # (i, o): coords[i] - coords[o]
    same_event = batch[:, None] == batch[None, :]
    for k, offset in enumerate(kernel_offsets(kernel_size)):
        o, i = ((diff == offset).all(2) & same_event).T.nonzero(as_tuple=True)  # by output row
        got_i, got_o = kmap.pairs(k)
        order = torch.argsort(got_o)
        assert torch.equal(got_o[order], o) and torch.equal(got_i[order], i), k


@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(1, 7), st.floats(0.05, 0.9),
       st.sampled_from([1, 3, 5]), st.sampled_from([1, 2, 3]), st.booleans())
def test_cpu_kernels_equal_torch_path(seed, num_events, grid, occupancy, kernel_size, stride, shuffle):
    """The numba kernels of the map building give the torch path's tensors exactly (the torch path
    runs on other devices), at negative indices and for sites in any order."""
    coords, batch, _, _ = random_sites(seed, num_events, grid, occupancy)
    assume(len(coords) > 0)
    coords = coords - torch.tensor([5, -2, 3])
    if shuffle:
        perm = torch.randperm(len(coords), generator=torch.Generator().manual_seed(seed))
        coords, batch = coords[perm], batch[perm]
    got, expected = downsample_cpu(coords, batch, stride), _downsample_torch(coords, batch, stride)
    assert all(torch.equal(a, b) for a, b in zip(got, expected))
    keys = torch.unique(voxel_keys(batch, coords, [-20, -20, -20], [40, 40, 40]))
    shifts = torch.tensor([-1600, -41, 0, 3, 40])
    found, source = neighbours_cpu(keys, shifts, kernel_size)
    found_t, source_t = _neighbours_torch(keys, shifts, kernel_size)
    assert torch.equal(found, found_t) and torch.equal(source[found], source_t[found])
    counts = found.sum(1)
    for length in (1, 3, 64):
        chunks = (counts + length - 1) // length
        filled = [source.new_full((int(chunks.sum()), length), -1) for _ in range(4)]
        fill_chunks_cpu(found, source, chunks, *filled[:2])
        _fill_chunks_torch(found, source, counts, chunks, *filled[2:])
        assert torch.equal(filled[0], filled[2]) and torch.equal(filled[1], filled[3])


@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(2, 6), st.floats(0.1, 0.9))
def test_gradients_equal_dense_conv3d_at_active_sites(seed, num_events, grid, occupancy):
    """Feats and weight gradients of both kernels equal those of dense conv3d on the masked grid."""
    coords, batch, feats, _ = random_sites(seed, num_events, grid, occupancy)
    assume(len(coords) > 0)
    g = torch.Generator().manual_seed(seed + 2)
    for stride in (1, 2):
        size = 3 if stride == 1 else 2
        w = torch.randn(3, 2, size, size, size, dtype=torch.float64, generator=g)
        cells = grid + (grid % 2 if stride == 2 else 0)
        f_dense = feats.clone().requires_grad_(True)
        w_dense = w.clone().requires_grad_(True)
        dense = torch.zeros(num_events, cells, cells, cells, 2, dtype=torch.float64)
        dense = dense.index_put((batch, coords[:, 0], coords[:, 1], coords[:, 2]), f_dense).permute(0, 4, 1, 2, 3)
        if stride == 1:
            ref = F.conv3d(dense, w_dense, padding=1)[batch, :, coords[:, 0], coords[:, 1], coords[:, 2]]
            kmap = submanifold_map(coords, batch)
        else:
            out_coords, out_batch, kmap = downsample_map(coords, batch)
            ref = F.conv3d(dense, w_dense, stride=2)[out_batch, :, out_coords[:, 0], out_coords[:, 1], out_coords[:, 2]]
        f_sparse = feats.clone().requires_grad_(True)
        w_sparse = to_sparse_weight(w).requires_grad_(True)
        out = apply_kernel_map(f_sparse, w_sparse, kmap)
        upstream = torch.randn(out.shape, dtype=torch.float64, generator=g)
        (ref * upstream).sum().backward()
        (out * upstream).sum().backward()
        torch.testing.assert_close(f_sparse.grad, f_dense.grad, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(w_sparse.grad, to_sparse_weight(w_dense.grad), rtol=1e-12, atol=1e-12)


@given(st.integers(0, 2**31 - 1), st.integers(1, 3), st.integers(1, 4))
def test_strided_equals_dense_conv3d_stride2(seed, num_events, half_grid):
    coords, batch, feats, dense = random_sites(seed, num_events, 2 * half_grid, 0.3)
    w = torch.randn(4, 2, 2, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 1))
    dense_out = F.conv3d(dense, w, stride=2)
    # An even shift of the sites keeps the 2x2x2 cells aligned, also across negative indices.
    shift = torch.tensor([-4, 2, -6])
    out_coords, out_batch, kmap = downsample_map(coords + shift, batch, 2)
    out = apply_kernel_map(feats, to_sparse_weight(w), kmap)
    c = out_coords - shift // 2
    torch.testing.assert_close(out, dense_out[out_batch, :, c[:, 0], c[:, 1], c[:, 2]], rtol=1e-12, atol=1e-12)
    # Output sites: exactly the cells holding an active voxel, sorted by event then voxel.
    cells = torch.unique(torch.cat([batch[:, None], coords // 2], 1), dim=0)
    assert torch.equal(torch.cat([out_batch[:, None], c], 1), cells)


@given(st.integers(0, 2**31 - 1), st.lists(st.integers(-50, 50), min_size=3, max_size=3))
def test_submanifold_translation_equivariance(seed, shift):
    coords, batch, feats, _ = random_sites(seed, 3, 5, 0.4)
    conv = SubmanifoldConv3d(2, 4).double()
    ev = Events(coords, feats, batch, 3)
    # One global shift and, separately, a different shift per event.
    per_event = torch.tensor([shift, [0, 0, 0], [7, -7, 1]])
    for moved in (coords + torch.tensor(shift), coords + per_event[batch]):
        torch.testing.assert_close(conv(ev.replace(coords=moved)).feats, conv(ev).feats, rtol=0, atol=0)


def test_event_alone_equals_event_in_batch():
    coords, batch, feats, _ = random_sites(3, 4, 6, 0.3, channels=1)
    ev = Events(coords, feats.abs(), batch, 4)
    model = SparseResNet(1).double()
    model.train()
    model(ev)  # move BatchNorm running statistics away from their initial values
    model.eval()
    full = model(ev)
    for i in range(4):
        torch.testing.assert_close(model(ev.index_select_events(torch.tensor([i]))), full[i:i + 1])
    # A conv alone is per event by construction, also in a different event order.
    conv = StridedConv3d(1, 3).double()
    order = torch.tensor([2, 0, 3, 1])
    permuted = conv(ev.index_select_events(order))
    direct = conv(ev)
    for new, old in enumerate(order.tolist()):
        torch.testing.assert_close(permuted.feats[permuted.batch == new], direct.feats[direct.batch == old])


def test_gradcheck_kernels():
    coords, batch, feats, _ = random_sites(0, 2, 3, 0.5)
    feats.requires_grad_(True)
    w3 = torch.randn(27, 2, 2, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(8, 2, 2, dtype=torch.float64, requires_grad=True)
    kmap = submanifold_map(coords, batch)
    assert torch.autograd.gradcheck(lambda f, w: apply_kernel_map(f, w, kmap), (feats, w3))
    out_coords, out_batch, dmap = downsample_map(coords, batch)
    assert torch.autograd.gradcheck(lambda f, w: apply_kernel_map(f, w, dmap), (feats, w2))
    assert torch.autograd.gradcheck(lambda f: global_pool(f, batch, 3, "mean"), (feats,))


def test_global_pool_values():
    feats = torch.tensor([[1.0, -2.0], [3.0, -4.0], [5.0, 6.0]])
    batch = torch.tensor([0, 0, 2])
    torch.testing.assert_close(global_pool(feats, batch, 3, "mean"), torch.tensor([[2.0, -3.0], [0, 0], [5, 6]]))
    torch.testing.assert_close(global_pool(feats, batch, 3, "max"), torch.tensor([[3.0, -2.0], [0, 0], [5, 6]]))


def test_resnet_voxelizes_float_coords_and_follows_dtype():
    g = torch.Generator().manual_seed(0)
    coords = [torch.rand(40, 3, generator=g, dtype=torch.float64) * 3 - 1 for _ in range(3)]
    feats = [torch.rand(40, 1, generator=g, dtype=torch.float64) * 1e4 for _ in range(3)]
    ev = Events.from_list(coords, feats)
    model = SparseResNet(1, pitch=0.3, feature_scale=1000.0).double().eval()
    out = model(ev)
    assert out.shape == (3, model.out_features) and out.dtype == torch.float64
    model.pitch = None
    torch.testing.assert_close(model(ev.voxelize(0.3)), out)
    model.pitch = 0.3
    model.train()
    model(ev).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert 80_000 < sum(p.numel() for p in model.parameters()) < 120_000


def test_empty_event_gives_zeros():
    ev = Events(torch.tensor([[0, 0, 0], [1, 0, 0]]), torch.ones(2, 1), torch.tensor([1, 1]), 3)
    out = SparseResNet(1).eval()(ev)
    assert out.shape == (3, 64) and (out[0] == 0).all() and (out[2] == 0).all()
    nothing = Events(torch.zeros(0, 3, dtype=torch.int64), torch.zeros(0, 1), torch.zeros(0, dtype=torch.int64), 2)
    assert torch.equal(SparseResNet(1).eval()(nothing), torch.zeros(2, 64))


def test_bad_input():
    batch = torch.tensor([0, 0])
    with pytest.raises(ValueError, match="coords: expected each voxel once per event"):
        submanifold_map(torch.tensor([[1, 2, 3], [1, 2, 3]]), batch)
    with pytest.raises(TypeError, match="coords: expected an int64 tensor of shape"):
        submanifold_map(torch.zeros(2, 3), batch)
    with pytest.raises(TypeError, match="batch: expected an int64 tensor of shape"):
        downsample_map(torch.zeros(2, 3, dtype=torch.int64), torch.tensor([0]))
    with pytest.raises(ValueError, match="coords: voxel index range"):
        submanifold_map(torch.tensor([[0, 0, 0], [2**40, 2**40, 0]]), batch)
    with pytest.raises(ValueError, match="weight: expected shape"):
        apply_kernel_map(torch.ones(2, 2), torch.ones(8, 2, 1), submanifold_map(torch.eye(2, 3).long(), batch))
    ev = Events(torch.rand(2, 3), torch.ones(2, 1), batch, 1)
    with pytest.raises(ValueError, match="pitch: expected a voxel pitch"):
        SparseResNet(1)(ev)
    with pytest.raises(ValueError, match="events.feats: expected non-negative"):
        SparseResNet(1, pitch=1.0)(ev.replace(feats=-ev.feats))
    with pytest.raises(ValueError, match="events: expected D = 3 and C = 2"):
        SparseResNet(2, pitch=1.0)(ev)
    with pytest.raises(ValueError, match="pitch: expected a finite number > 0"):
        SparseResNet(1, pitch=0.0)
    with pytest.raises(ValueError, match="channels, blocks"):
        SparseResNet(1, channels=(16, 32), blocks=(1,))
