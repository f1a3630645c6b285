import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from systematics import DriftGeometry
from systematics import functional as F

D64 = dict(dtype=torch.float64)


def test_drift_velocity_check_values():
    # physics.md section 1: 0.1513 / 0.1596 / 0.1673 cm/us at 0.45 / 0.50 / 0.55 kV/cm, 87.17 K.
    v = F.drift_velocity(torch.tensor([0.45, 0.50, 0.55], **D64), torch.tensor(87.17, **D64))
    torch.testing.assert_close(v, torch.tensor([0.1513, 0.1596, 0.1673], **D64), rtol=0.01, atol=0)
    # Mobility falls with temperature as T^-1.5.
    mu = F.electron_mobility(torch.tensor(0.5, **D64), torch.tensor([89.0, 89.0 * 4 ** (1 / 3)], **D64))
    torch.testing.assert_close(mu[1] / mu[0], torch.tensor(0.5, **D64))


def test_recombination_check_values():
    # physics.md section 1: at 0.50 kV/cm, dE/dx = 2.1 -> Box 0.706, Birks 0.697; 10 MeV/cm -> 0.456, 0.469.
    rate, field = torch.tensor([2.1, 10.0], **D64), torch.tensor(0.5, **D64)
    torch.testing.assert_close(F.recombination_box(rate, field), torch.tensor([0.706, 0.456], **D64), rtol=0.01, atol=0)
    torch.testing.assert_close(F.recombination_birks(rate, field), torch.tensor([0.697, 0.469], **D64), rtol=0.01,
                               atol=0)


@pytest.mark.parametrize("alpha, limit", [(0.93, 0.0), (1.0, 1.0), (1.1, 1.0)])
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


@given(st.integers(0, 30), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_diffusion_conserves_charge(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    coords = torch.rand(n, 3, generator=g, **D64) * 50
    charge = torch.rand(n, generator=g, **D64) * 1e5
    batch = torch.sort(torch.randint(0, 3, (n,), generator=g)).values
    t = torch.rand(n, generator=g, **D64) * 300
    d = torch.full((n,), 1e-5, **D64)
    c, q, b = F.diffuse(coords, charge, batch, t, d, 2 * d, torch.randn(n, k, 3, generator=g, **D64))
    assert c.shape == (n * k, 3) and q.shape == b.shape == (n * k,)
    torch.testing.assert_close(torch.bincount(b, q, minlength=3), torch.bincount(batch, charge, minlength=3),
                               rtol=1e-12, atol=1e-6)
    assert (b[1:] >= b[:-1]).all()
    # Zero diffusion: every sub-deposit sits on its deposit.
    z = torch.zeros(n, **D64)
    c0, _, _ = F.diffuse(coords, charge, batch, t, z, z, torch.randn(n, k, 3, generator=g, **D64))
    assert torch.equal(c0, coords.repeat_interleave(k, 0))


def test_diffusion_spread_is_sqrt_2dt():
    g = torch.Generator().manual_seed(0)
    k = 20000
    t = torch.tensor([313.0], **D64)
    c, _, _ = F.diffuse(torch.zeros(1, 3, **D64), torch.ones(1, **D64), torch.zeros(1, dtype=torch.int64), t,
                        torch.tensor([4.0e-6], **D64), torch.tensor([8.8e-6], **D64),
                        torch.randn(1, k, 3, generator=g, **D64))
    expected = torch.tensor([math.sqrt(2 * 8.8e-6 * 313)] * 2 + [math.sqrt(2 * 4.0e-6 * 313)], **D64)
    torch.testing.assert_close(c.std(0), expected, rtol=0.03, atol=0)
    with pytest.raises(ValueError, match=r"offsets: expected shape \(1, k, 3\)"):
        F.diffuse(torch.zeros(1, 3), torch.ones(1), torch.zeros(1, dtype=torch.int64), t, t, t, torch.zeros(1, 0, 3))


def test_hash_normal_is_standard_normal_and_pure():
    keys = torch.stack([torch.arange(100000) - 50000, torch.zeros(100000, dtype=torch.int64),
                        torch.full((100000,), -3)], 1)
    seed = torch.full((100000,), 12345)
    n = F.hash_normal(seed, keys)
    assert abs(n.mean().item()) < 0.02 and abs(n.std().item() - 1) < 0.02
    assert abs(((n ** 4).mean() - 3).item()) < 0.1
    assert torch.equal(F.hash_normal(seed[:10], keys[:10]), n[:10])
    assert not torch.equal(F.hash_normal(seed[:10] + 1, keys[:10]), n[:10])


def test_readout_sums_voxels_thresholds_and_counts_drops():
    coords = torch.tensor([[0.1, 0.1, 0.1], [0.2, 0.3, 0.05], [1.0, 0.1, 0.1], [0.1, 0.1, 0.1]], **D64)
    charge = torch.tensor([3000.0, 4000.0, 2000.0, 9000.0], **D64)
    batch = torch.tensor([0, 0, 0, 2])
    r = F.readout(coords, charge, batch, 3)  # defaults: 0.38 cm, 5000 electrons, no noise
    torch.testing.assert_close(r.coords, torch.tensor([[0.19, 0.19, 0.19]] * 2, **D64))
    torch.testing.assert_close(r.charge, torch.tensor([7000.0, 9000.0], **D64))
    assert r.batch.tolist() == [0, 2] and r.dropped.tolist() == [1, 0, 0]


def test_readout_noise_is_replayable_and_per_event():
    g = torch.Generator().manual_seed(1)
    coords = torch.rand(200, 3, generator=g, **D64) * 10
    charge = torch.full((200,), 1e4, **D64)
    batch = torch.repeat_interleave(torch.arange(2), 100)
    seed = torch.tensor([11, 22])
    args = (0.38, 0.0, 500.0)
    r = F.readout(coords, charge, batch, 2, *args, seed)
    quiet = F.readout(coords, charge, batch, 2, 0.38, 0.0, 0.0, seed)
    noise = r.charge - quiet.charge
    assert 300 < noise.std().item() < 700 and not torch.equal(r.charge, quiet.charge)
    alone = F.readout(coords[100:], charge[100:], torch.zeros(100, dtype=torch.int64), 1, *args, seed[1:])
    torch.testing.assert_close(alone.charge, r.charge[r.batch == 1], rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"noise_seed: expected a \(2,\) int64 tensor when noise > 0, got None"):
        F.readout(coords, charge, batch, 2, noise=500.0)
