import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from systematics import DriftGeometry
from systematics import functional as F
from systematics.functional.diffusion import grid_charge_torch
from systematics.functional.grid_cpu import sum_shares_cpu
from systematics.functional.noise import HASH_NORMAL_MAX

D64 = dict(dtype=torch.float64)


def test_drift_velocity_check_values():
    # docs/physics.md section 1.3: 0.1513 / 0.1596 / 0.1673 cm/us at 0.45 / 0.50 / 0.55 kV/cm, 87.17 K.
    v = F.drift_velocity(torch.tensor([0.45, 0.50, 0.55], **D64), torch.tensor(87.17, **D64))
    torch.testing.assert_close(v, torch.tensor([0.1513, 0.1596, 0.1673], **D64), rtol=0.01, atol=0)
    # Mobility falls with temperature as T^-1.5.
    mu = F.electron_mobility(torch.tensor(0.5, **D64), torch.tensor([89.0, 89.0 * 4 ** (1 / 3)], **D64))
    torch.testing.assert_close(mu[1] / mu[0], torch.tensor(0.5, **D64))


def test_recombination_check_values():
    # docs/physics.md section 1.2: at 0.50 kV/cm, dE/dx = 2.1 -> Box 0.706, Birks 0.697; 10 MeV/cm -> 0.456, 0.469.
    rate, field = torch.tensor([2.1, 10.0], **D64), torch.tensor(0.5, **D64)
    torch.testing.assert_close(F.recombination_box(rate, field), torch.tensor([0.706, 0.456], **D64), rtol=0.01, atol=0)
    torch.testing.assert_close(F.recombination_birks(rate, field), torch.tensor([0.697, 0.469], **D64), rtol=0.01,
                               atol=0)


@pytest.mark.parametrize("alpha, limit", [(0.93, 0.0), (1.0, 1.0)])
def test_box_small_xi_has_limits_not_nan(alpha, limit):
    rate = torch.tensor([0.0, 1e-300, 1e-12, 1e-6], **D64)
    r = F.recombination_box(rate, torch.tensor(0.5, **D64), alpha=alpha)
    assert torch.isfinite(r).all() and ((r >= 0) & (r <= 1)).all()
    assert r[0].item() == limit
    if alpha == 1.0:  # ln(1 + xi) / xi -> 1 - xi / 2: smooth, no cancellation
        torch.testing.assert_close(r, 1 - 0.207 * rate / (0.5 * 1.38) / 2)
    # Away from the clip, the direct formula.
    xi = torch.tensor(0.207 * 3.0 / (0.5 * 1.38), **D64)
    torch.testing.assert_close(F.recombination_box(torch.tensor([3.0], **D64), torch.tensor(0.5, **D64), alpha=alpha),
                               (torch.log(alpha + xi) / xi).reshape(1))


@given(st.floats(1e-3, 1.0), st.floats(0.0, 1e3), st.floats(0.05, 5.0))
def test_box_never_exceeds_one_inside_the_alpha_limits(alpha, rate, field):
    """alpha <= 1 (the table's limit) gives R <= 1 without any clip at 1 (larnd-sim clips at 0 only)."""
    r = F.recombination_box(torch.tensor([rate], **D64), torch.tensor(field, **D64), alpha=alpha)
    assert 0.0 <= r.item() <= 1.0


def test_box_above_alpha_one_is_not_clipped():
    """Regression: R was clipped at 1; for alpha = 1.1 (outside the limits now) R > 1 shows."""
    r = F.recombination_box(torch.tensor([0.1], **D64), torch.tensor(0.5, **D64), alpha=1.1)
    xi = 0.207 * 0.1 / (0.5 * 1.38)
    assert r.item() == pytest.approx(math.log(1.1 + xi) / xi) and r.item() > 1


def test_ionisation_electrons_and_dedx():
    # 1 MeV at R = 1 is 1 / 23.6 eV = 42372.9 electrons.
    n = F.ionisation_electrons(torch.tensor([1.0, 2.0], **D64), torch.tensor([1.0, 0.5], **D64))
    torch.testing.assert_close(n, torch.tensor([1e6 / 23.6, 1e6 / 23.6], **D64))
    torch.testing.assert_close(F.dedx(torch.tensor([1.0]), torch.tensor([0.5])), torch.tensor([2.0]))
    with pytest.raises(ValueError, match="dx: expected finite step lengths > 0 cm"):
        F.dedx(torch.tensor([1.0, 1.0]), torch.tensor([0.5, 0.0]))
    with pytest.raises(ValueError, match="dx: expected finite"):
        F.dedx(torch.tensor([1.0]), torch.tensor([math.nan]))
    with pytest.raises(ValueError, match="dE: expected finite deposited energies >= 0"):
        F.dedx(torch.tensor([-1.0]), torch.tensor([0.5]))
    with pytest.raises(ValueError, match="dE: expected finite"):
        F.dedx(torch.tensor([math.nan]), torch.tensor([0.5]))


def test_drift_time_and_out_of_volume():
    coords = torch.tensor([[5.0, -3.0, 0.0], [0.0, 0.0, 15.96], [1.0, 1.0, 50.4]], **D64)
    v = torch.full((3,), 0.1596, **D64)
    torch.testing.assert_close(F.drift_time(coords, DriftGeometry(), v), torch.tensor([0.0, 100.0, 50.4 / 0.1596], **D64))
    flipped = DriftGeometry(drift_axis=0, anode=10.0, max_drift=20.0, direction=-1)
    torch.testing.assert_close(F.drift_time(coords[:2], flipped, v[:2]), torch.tensor([5.0, 10.0], **D64) / 0.1596)
    with pytest.raises(ValueError, match=r"coords: expected positions along axis 2 at a drift distance in \[0, 50.4\]"):
        F.drift_time(torch.tensor([[0.0, 0.0, -0.1]]), DriftGeometry(), torch.ones(1))
    with pytest.raises(ValueError, match="coords: expected positions"):
        F.drift_time(torch.tensor([[0.0, 0.0, 50.5]]), DriftGeometry(), torch.ones(1))


def test_lifetime_attenuation():
    q = torch.tensor([1000.0, 1000.0, 1000.0], **D64)
    t = torch.tensor([0.0, 2200.0, 100.0], **D64)
    out = F.lifetime_attenuation(q, t, torch.tensor([2200.0, 2200.0, 500.0], **D64))
    torch.testing.assert_close(out, 1000 * torch.tensor([1.0, math.exp(-1), math.exp(-0.2)], **D64))
    # lifetime = inf is exactly the identity.
    q = torch.rand(50, **D64) * 1e5
    assert torch.equal(F.lifetime_attenuation(q, torch.rand(50, **D64) * 300, torch.tensor(math.inf, **D64)), q)


def _cloud(n, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(n, 3, generator=g, **D64) * 5 - 1
    sigma = torch.rand(n, 3, generator=g, **D64) * 0.3 * scale
    return centres, sigma


@given(st.integers(0, 30), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.1, 1.0, 3.0]))
def test_grid_shares_conserve_charge(n, seed, scale):
    centres, sigma = _cloud(n, seed, scale)
    shares = F.diffuse_onto_grid(centres, sigma, 0.38)
    total = torch.zeros(n, **D64).index_add_(0, shares.deposit, shares.weight)
    torch.testing.assert_close(total, torch.ones(n, **D64), rtol=0, atol=1e-12)
    assert (shares.weight > 0).all() and (shares.deposit[1:] >= shares.deposit[:-1]).all()


@given(st.integers(0, 40), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.3, 2.0]), st.sampled_from([1.0, 3e3]))
def test_grid_charge_equals_the_expanded_shares_summed(n, seed, scale, spread):
    """Also over a key space past int32 (``spread`` 3e3: voxel spans of ~4e4 per axis, int64 keys)."""
    centres, sigma = _cloud(n, seed, scale)
    centres = centres * spread
    g = torch.Generator().manual_seed(seed)
    charge = torch.rand(n, generator=g, **D64) * 1e4
    batch = torch.sort(torch.randint(0, 4, (n,), generator=g)).values
    shares = F.axis_shares(centres, sigma, 0.38)
    grid = F.expand_shares(shares)
    ref = F.collect_voxels(grid.voxel, charge.index_select(0, grid.deposit) * grid.weight,
                           batch.index_select(0, grid.deposit), 4)
    fused = F.grid_charge(shares, charge, batch, 4)
    assert torch.equal(fused.voxel, ref.voxel) and torch.equal(fused.batch, ref.batch)
    torch.testing.assert_close(fused.charge, ref.charge, rtol=1e-12, atol=1e-9)


@given(st.integers(0, 40), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.3, 2.0, 6.0]),
       st.sampled_from([1.0, 3e3]), st.sampled_from([torch.float32, torch.float64]), st.booleans())
def test_grid_charge_cpu_kernel_equals_the_torch_path_bit_for_bit(n, seed, scale, spread, dtype, sort):
    """The numba kernel (CPU) and the torch path: the same voxels, events and sums, bit for bit;
    an unsorted ``batch`` (the kernel declines) takes the torch path."""
    centres, sigma = _cloud(n, seed, scale)
    g = torch.Generator().manual_seed(seed)
    charge = (torch.rand(n, generator=g, **D64) * 1e4).to(dtype)
    batch = torch.randint(0, 5, (n,), generator=g)
    batch = torch.sort(batch).values if sort else batch
    shares = F.axis_shares((centres * spread).to(dtype), sigma.to(dtype), 0.38)
    kernel = sum_shares_cpu(shares.first, shares.count, shares.mass, charge, batch) if n else None
    assert (kernel is not None) == (n > 0 and bool((batch[1:] >= batch[:-1]).all()))
    fused, torch_path = F.grid_charge(shares, charge, batch, 5), grid_charge_torch(shares, charge, batch, 5)
    for a, b in zip(fused, torch_path):
        assert a.dtype == b.dtype and torch.equal(a, b)


@given(st.integers(0, 30), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.3, 1.0, 4.0]))
def test_expanded_shares_are_each_deposits_box_in_order(n, seed, scale):
    """The table-driven expansion equals enumerating each deposit's box (z fastest) one by one."""
    centres, sigma = _cloud(n, seed, scale)
    shares = F.axis_shares(centres, sigma, 0.38)
    grid = F.expand_shares(shares)
    deposit, voxel, weight = [], [], []
    for d, (f, c, m) in enumerate(zip(shares.first.tolist(), shares.count.tolist(), shares.mass.tolist())):
        for ix, iy, iz in itertools.product(range(c[0]), range(c[1]), range(c[2])):
            deposit.append(d)
            voxel.append([f[0] + ix, f[1] + iy, f[2] + iz])
            weight.append(m[0][ix] * m[1][iy] * m[2][iz])
    assert grid.deposit.tolist() == deposit and grid.voxel.tolist() == voxel
    torch.testing.assert_close(grid.weight, torch.tensor(weight, **D64), rtol=1e-15, atol=0)


def test_grid_shares_at_zero_width_are_plain_voxelisation():
    centres, _ = _cloud(500, 3)
    shares = F.diffuse_onto_grid(centres, torch.zeros_like(centres), (0.38, 0.5, 0.2), (0.1, -0.3, 0.0))
    assert torch.equal(shares.deposit, torch.arange(500)) and torch.equal(shares.weight, torch.ones(500, **D64))
    expected = torch.floor((centres - torch.tensor([0.1, -0.3, 0.0], **D64)) / torch.tensor([0.38, 0.5, 0.2], **D64))
    assert torch.equal(shares.voxel, expected.long())


def test_grid_shares_are_the_gaussian_mass_per_voxel():
    # One deposit at the centre of voxel 0 along x, sigma = pitch: the neighbours get Phi(1.5) - Phi(0.5).
    c = torch.tensor([[0.19, 0.19, 0.19]], **D64)
    shares = F.diffuse_onto_grid(c, torch.tensor([[0.38, 0.0, 0.0]], **D64), 0.38, nsigma=3.0)
    phi = torch.special.ndtr
    x = torch.tensor([0.5, 1.5, 2.5, 3.0], **D64)
    mass = torch.stack([phi(x[0]) - phi(-x[0]), phi(x[1]) - phi(x[0]), phi(x[2]) - phi(x[1]), phi(x[3]) - phi(x[2])])
    expected = torch.cat([mass[1:].flip(0), mass[:1], mass[1:]])
    assert shares.voxel[:, 0].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    torch.testing.assert_close(shares.weight, expected / expected.sum(), rtol=1e-12, atol=0)


def _reference_axis_mass(centres, sigma, pitch, nsigma):
    """Per voxel j < count, Phi((min(edge + 1, high) - c) / sigma) - Phi((max(edge, low) - c) / sigma)
    (two CDFs per voxel, docs/physics.md section 1.5), renormalised; sigma = 0 all in voxel 0."""
    u, s = centres / pitch, sigma / pitch
    low, high = u - nsigma * s, u + nsigma * s
    first = torch.floor(low)
    count = (torch.floor(high) - first + 1).long()
    j = torch.arange(int(count.max()), dtype=u.dtype)
    edge = first[..., None] + j
    a, b = torch.maximum(edge, low[..., None]), torch.minimum(edge + 1, high[..., None])
    safe = torch.where(s == 0, torch.ones_like(s), s)[..., None]
    mass = torch.special.ndtr((b - u[..., None]) / safe) - torch.special.ndtr((a - u[..., None]) / safe)
    mass = torch.where((s == 0)[..., None], (j == 0).to(u.dtype), mass)
    mass = torch.where(j < count[..., None], mass.clamp_min(0), torch.zeros_like(mass))
    return first.long(), count, mass / mass.sum(-1, keepdim=True)


@given(st.integers(1, 40), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 0.1, 1.0, 5.0]),
       st.sampled_from([torch.float32, torch.float64]), st.sampled_from([1.0, 3.0, 4.5]))
def test_axis_shares_equal_the_per_voxel_cdf_differences(n, seed, scale, dtype, nsigma):
    """axis_shares takes one erf per voxel edge; the reference two normal CDFs per voxel: the same
    fractions to rounding (the CDFs' 1/2 and 1 cancel in the renormalisation)."""
    centres, sigma = _cloud(n, seed, scale)
    centres, sigma = centres.to(dtype), sigma.to(dtype)
    sigma[::3, 1] = 0.0  # some points on one axis
    shares = F.axis_shares(centres, sigma, 0.38, nsigma=nsigma)
    first, count, mass = _reference_axis_mass(centres, sigma, 0.38, nsigma)
    assert torch.equal(shares.first, first) and torch.equal(shares.count, count)
    # To rounding: an edge at x voxels from the origin is known to eps |x| voxels, eps |x| / s in units
    # of the width s (voxels); both computations round there, the reference also in the cut u -+ n s.
    u, s = centres.abs() / 0.38 + 1, sigma / 0.38
    condition = torch.where(s > 0, (u + nsigma * s) / torch.where(s > 0, s, 1), 1)
    tolerance = 8 * torch.finfo(dtype).eps * condition[..., None]
    assert ((shares.mass - mass).abs() <= tolerance).all()


def test_grid_shares_equal_the_limit_of_random_copies():
    """The analytic shares are the k -> infinity limit of the sampled copies (to 3 sigma)."""
    centres, sigma = _cloud(20, 7)
    shares = F.diffuse_onto_grid(centres, sigma, 0.38, nsigma=6.0)
    k = 50000
    g = torch.Generator().manual_seed(0)
    points = F.sample_diffusion(centres, sigma, torch.randn(20, k, 3, generator=g, **D64))
    voxel = torch.floor(points / 0.38).long()
    rows = torch.cat([torch.arange(20).repeat_interleave(k)[:, None], voxel], 1)
    sampled_keys, sampled = torch.unique(rows, dim=0, return_counts=True)
    analytic_keys = torch.cat([shares.deposit[:, None], shares.voxel], 1)
    lookup = {tuple(r): w for r, w in zip(analytic_keys.tolist(), shares.weight.tolist())}
    diff = [abs(lookup.get(tuple(r), 0.0) - c / k) for r, c in zip(sampled_keys.tolist(), sampled.tolist())]
    assert max(diff) < 0.01  # binomial error of a share <= sqrt(0.25 / k) = 0.0022


def test_diffusion_sigma_is_sqrt_2dt():
    t = torch.tensor([313.0, 0.0], **D64)
    s = F.diffusion_sigma(t, torch.tensor([4.0e-6, 4.0e-6], **D64), torch.tensor([8.8e-6, 8.8e-6], **D64), 1)
    expected = torch.tensor([[math.sqrt(2 * 8.8e-6 * 313), math.sqrt(2 * 4.0e-6 * 313), math.sqrt(2 * 8.8e-6 * 313)],
                             [0.0, 0.0, 0.0]], **D64)
    torch.testing.assert_close(s, expected)
    with pytest.raises(ValueError, match=r"offsets: expected shape \(1, k, 3\)"):
        F.sample_diffusion(torch.zeros(1, 3), torch.ones(1, 3), torch.zeros(1, 0, 3))
    with pytest.raises(ValueError, match="nsigma: expected a number of sigma > 0"):
        F.diffuse_onto_grid(torch.zeros(1, 3), torch.ones(1, 3), 0.38, nsigma=0.0)


def test_hash_normal_is_standard_normal_and_pure():
    keys = torch.stack([torch.arange(100000) - 50000, torch.zeros(100000, dtype=torch.int64),
                        torch.full((100000,), -3)], 1)
    seed = torch.full((100000,), 12345)
    n = F.hash_normal(seed, keys)
    assert abs(n.mean().item()) < 0.02 and abs(n.std().item() - 1) < 0.02
    assert abs(((n ** 4).mean() - 3).item()) < 0.1
    assert torch.equal(F.hash_normal(seed[:10], keys[:10]), n[:10])
    assert not torch.equal(F.hash_normal(seed[:10] + 1, keys[:10]), n[:10])


def _readout(coords, charge, batch, num_events, pitch=0.38, threshold=5000.0, noise=0.0, seed=None):
    voxel = torch.floor(coords / pitch).long()
    v = F.digitise(F.collect_voxels(voxel, charge, batch, num_events), threshold, noise, seed)
    return F.voxel_centres(v.voxel, pitch, (0.0, 0.0, 0.0), coords.dtype), v


def test_readout_sums_voxels_thresholds_and_counts_drops():
    coords = torch.tensor([[0.1, 0.1, 0.1], [0.2, 0.3, 0.05], [1.0, 0.1, 0.1], [0.1, 0.1, 0.1]], **D64)
    charge = torch.tensor([3000.0, 4000.0, 2000.0, 9000.0], **D64)
    batch = torch.tensor([0, 0, 0, 2])
    centres, r = _readout(coords, charge, batch, 3)
    torch.testing.assert_close(centres, torch.tensor([[0.19, 0.19, 0.19]] * 2, **D64))
    torch.testing.assert_close(r.charge, torch.tensor([7000.0, 9000.0], **D64))
    assert r.batch.tolist() == [0, 2] and r.dropped.tolist() == [1, 0, 0]


@given(st.integers(0, 60), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 500.0, "per voxel"]))
def test_digitise_equals_masking_the_voxels(n, seed, noise):
    """digitise (rows by index) equals masking: hopeless voxels out, noise, threshold, drops per event."""
    g = torch.Generator().manual_seed(seed)
    coords = torch.rand(n, 3, generator=g, **D64) * 3
    charge = torch.rand(n, generator=g, **D64) * 1.2e4
    batch = torch.sort(torch.randint(0, 3, (n,), generator=g)).values
    voxels = F.collect_voxels(torch.floor(coords / 0.38).long(), charge, batch, 3)
    rms = torch.rand(len(voxels.charge), generator=g, **D64) * 800 if noise == "per voxel" else torch.tensor(noise)
    noise_seed = torch.tensor([5, 6, 7])
    out = F.digitise(voxels, 5000.0, rms if noise == "per voxel" else noise, noise_seed)
    q = voxels.charge.clone()
    if (rms > 0).any():
        q = q + rms * F.hash_normal(noise_seed[voxels.batch], voxels.voxel)
    keep = (voxels.charge + rms * HASH_NORMAL_MAX >= 5000.0) & (q >= 5000.0)
    assert torch.equal(out.voxel, voxels.voxel[keep]) and torch.equal(out.batch, voxels.batch[keep])
    assert torch.equal(out.charge, q[keep])
    assert torch.equal(out.dropped, torch.bincount(voxels.batch[~keep], minlength=3))


@given(st.integers(0, 50), st.integers(0, 2**31 - 1))
def test_hash_normal_with_a_seed_table_equals_the_gathered_seeds(n, seed):
    g = torch.Generator().manual_seed(seed)
    table = torch.randint(-2**62, 2**62, (4,), generator=g)
    row = torch.randint(0, 4, (n,), generator=g)
    keys = torch.randint(-1000, 1000, (n, 3), generator=g)
    assert torch.equal(F.hash_normal(table, keys, row), F.hash_normal(table[row], keys))


def test_readout_noise_is_replayable_and_per_event():
    g = torch.Generator().manual_seed(1)
    coords = torch.rand(200, 3, generator=g, **D64) * 10
    charge = torch.full((200,), 1e4, **D64)
    batch = torch.repeat_interleave(torch.arange(2), 100)
    seed = torch.tensor([11, 22])
    _, r = _readout(coords, charge, batch, 2, 0.38, 0.0, 500.0, seed)
    _, quiet = _readout(coords, charge, batch, 2, 0.38, 0.0, 0.0, seed)
    noise = r.charge - quiet.charge
    assert 300 < noise.std().item() < 700 and not torch.equal(r.charge, quiet.charge)
    _, alone = _readout(coords[100:], charge[100:], torch.zeros(100, dtype=torch.int64), 1, 0.38, 0.0, 500.0, seed[1:])
    torch.testing.assert_close(alone.charge, r.charge[r.batch == 1], rtol=0, atol=0)
    # A per-voxel noise RMS (noisy channels): zero RMS leaves a voxel exact.
    rms = torch.where(torch.arange(len(quiet.charge)) % 2 == 0, 0.0, 500.0).to(torch.float64)
    some = F.digitise(F.collect_voxels(torch.floor(coords / 0.38).long(), charge, batch, 2), 0.0, rms, seed)
    assert torch.equal(some.charge[::2], quiet.charge[::2]) and not torch.equal(some.charge[1::2], quiet.charge[1::2])
    with pytest.raises(ValueError, match=r"noise_seed: expected a \(2,\) int64 tensor when noise > 0, got None"):
        _readout(coords, charge, batch, 2, noise=500.0)
