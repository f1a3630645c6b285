"""The counter-based hash (systematics/functional/noise.py): pure, replayable, packed keys, and
statistically a standard normal / uniform with independent streams, keys and seeds."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from systematics.functional.noise import (ANGLE_UNIT, HASH_NORMAL_MAX, hash_normal, hash_uniform, normal_from_bits,
                                         normal_from_uniforms, pack_keys)

N = 200_000
# Tolerances: 5 standard errors of the statistic for N independent draws.
MEAN_TOL = 5 / math.sqrt(N)  # mean of a unit normal; correlation of two independent variables
RMS_TOL = 5 / math.sqrt(2 * N)  # standard deviation of a unit normal
KS_TOL = 1.95 / math.sqrt(N)  # Kolmogorov-Smirnov distance at p = 0.001


def voxel_keys(n: int = N) -> torch.Tensor:
    """n distinct voxel indices (x, y, z) of a 100 x 40 x 50 block around the origin, z fastest."""
    i = torch.arange(n)
    return torch.stack([i // 2000 - 50, i // 50 % 40 - 20, i % 50 - 25], 1)


def ks_distance(sample: torch.Tensor, cdf) -> float:
    x = torch.sort(sample.double()).values
    f = cdf(x)
    n = len(x)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return max((i / n - f).max().item(), (f - (i - 1) / n).max().item())


def corr(a: torch.Tensor, b: torch.Tensor) -> float:
    return torch.corrcoef(torch.stack([a.double(), b.double()]))[0, 1].item()


def test_hash_normal_is_a_standard_normal():
    z = hash_normal(torch.full((N,), 2024), voxel_keys())
    assert z.dtype == torch.float64
    assert abs(z.mean().item()) < MEAN_TOL and abs(z.std().item() - 1) < RMS_TOL
    assert abs(((z ** 4).mean() - 3).item()) < 5 * math.sqrt(96 / N)  # var(z^4) = 105 - 9
    assert ks_distance(z, torch.special.ndtr) < KS_TOL
    assert z.abs().max().item() <= HASH_NORMAL_MAX


def test_hash_uniform_is_uniform_in_the_half_open_unit_interval():
    u = hash_uniform(torch.full((N,), 7), voxel_keys())
    assert u.dtype == torch.float64 and (u > 0).all() and (u <= 1).all()
    assert abs(u.mean().item() - 0.5) < 5 * math.sqrt(1 / 12 / N)
    assert ks_distance(u, lambda x: x) < KS_TOL


def test_streams_keys_and_seeds_are_independent():
    keys = voxel_keys()
    seed = torch.full((N,), 99)
    z = hash_normal(seed, keys)
    others = {
        "normal stream 1": hash_normal(seed, keys, stream=1),
        "uniform stream 0": hash_uniform(seed, keys),
        "next seed": hash_normal(seed + 1, keys),
        "neighbouring voxel (z + 1)": hash_normal(seed, keys + torch.tensor([0, 0, 1])),
        "neighbouring voxel (x + 1)": hash_normal(seed, keys + torch.tensor([1, 0, 0])),
    }
    for name, other in others.items():
        assert abs(corr(z, other)) < MEAN_TOL, name
        assert abs(corr(z * z, other * other)) < MEAN_TOL, name  # not only uncorrelated: no common scale
    # The two uniforms of one stream (dead and noisy channels) are independent too.
    assert abs(corr(hash_uniform(seed, keys, stream=1), hash_uniform(seed, keys, stream=2))) < MEAN_TOL


@given(st.integers(0, 60), st.integers(0, 2**31 - 1), st.integers(0, 5))
def test_hash_is_pure_per_row_and_the_seed_table_equals_the_gathered_seeds(n, seed, stream):
    g = torch.Generator().manual_seed(seed)
    table = torch.randint(-2**62, 2**62, (4,), generator=g)
    row = torch.randint(0, 4, (n,), generator=g)
    keys = torch.randint(-2**20, 2**20, (n, 3), generator=g)
    order = torch.randperm(n, generator=g)
    for fn in (hash_normal, hash_uniform):
        out = fn(table, keys, row, stream)
        assert torch.equal(out, fn(table[row], keys, stream=stream))
        assert torch.equal(out[order], fn(table, keys[order], row[order], stream))  # a row's draw ignores the others
        assert torch.equal(out, fn(table, pack_keys(keys), row, stream))  # packed once, the same draws
    assert (hash_normal(table, keys, row, stream).abs() <= HASH_NORMAL_MAX).all()


@given(st.lists(st.tuples(*[st.integers(-2**20, 2**20 - 1)] * 3), min_size=1, max_size=40, unique=True))
def test_pack_keys_is_one_to_one_in_its_range(rows):
    keys = torch.tensor(rows)
    packed = pack_keys(keys)
    assert packed.shape == (len(rows), 1) and len(torch.unique(packed)) == len(rows)
    two = pack_keys(keys[:, :2])  # two columns: 32 bits each
    assert len(torch.unique(two)) == len(torch.unique(keys[:, :2], dim=0))


@pytest.mark.parametrize("keys", [torch.tensor([[0, 0, 2**20]]), torch.tensor([[-2**20 - 1, 0, 0]]),
                                  torch.tensor([[2**31, 0]])])
def test_keys_outside_the_packed_range_raise(keys):
    with pytest.raises(ValueError, match="keys: expected each of the"):
        hash_normal(torch.zeros(1, dtype=torch.int64), keys)


def test_a_negative_stream_raises():
    with pytest.raises(ValueError, match="stream: expected an integer >= 0"):
        hash_uniform(torch.zeros(1, dtype=torch.int64), torch.zeros(1, 3, dtype=torch.int64), stream=-1)


@pytest.mark.parametrize("columns", [1, 2, 3])
@pytest.mark.parametrize("gather", [False, True])
def test_cpu_hash_kernel_equals_the_torch_path(columns, gather):
    from systematics.functional.noise import _hash_keys_cpu, _hash_keys_torch, _mix

    g = torch.Generator().manual_seed(columns)
    bound = 1 << min(64 // columns - 1, 62)
    keys = torch.randint(-bound, bound, (500, columns), generator=g)
    if columns == 1:
        keys[:2, 0] = torch.tensor([-(1 << 63), (1 << 63) - 1])  # the extremes of int64
    row = torch.randint(0, 7, (500,), generator=g) if gather else None
    state = _mix(torch.randint(-(1 << 62), 1 << 62, (7 if gather else 500,), generator=g))
    assert torch.equal(_hash_keys_cpu(state, keys, row), _hash_keys_torch(state, keys, row))


def test_box_muller_in_place_gives_the_same_bits():
    g = torch.Generator().manual_seed(4)
    h = torch.randint(-2**63, 2**63 - 1, (10001,), generator=g)
    u1 = ((h >> 32) & 0xFFFFFFFF).add(1).double() * 2.0 ** -32
    angle = (h & 0xFFFFFFFF).double() * ANGLE_UNIT
    expected = normal_from_bits(h)
    assert torch.equal(normal_from_uniforms(u1.clone(), angle.clone()), expected)
    assert torch.equal(normal_from_uniforms(u1, angle, inplace=True), expected)
