import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from training.losses import nt_xent, nt_xent_distributed


def naive_nt_xent(z1, z2, tau):
    """Double loop over anchors and keys, straight from arXiv:2002.05709 eq. (1)."""
    z = torch.cat([z1, z2])
    z = z / z.norm(dim=1, keepdim=True)
    n2 = len(z)
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2
        denom = sum(math.exp(float(z[i] @ z[k]) / tau) for k in range(n2) if k != i)
        total += -math.log(math.exp(float(z[i] @ z[j]) / tau) / denom)
    return total / n2


@pytest.mark.parametrize("tau", [0.05, 0.1, 0.5, 2.0])
@pytest.mark.parametrize("n", [1, 2, 7])
def test_matches_double_loop(tau, n):
    g = torch.Generator().manual_seed(n)
    z1 = torch.randn(n, 5, generator=g, dtype=torch.float64)
    z2 = torch.randn(n, 5, generator=g, dtype=torch.float64)
    assert float(nt_xent(z1, z2, tau)) == pytest.approx(naive_nt_xent(z1, z2, tau), rel=1e-10)


@given(st.integers(1, 8), st.integers(1, 6), st.integers(0, 2**31 - 1), st.floats(0.05, 5.0))
def test_invariances(n, d, seed, tau):
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64)
    z2 = torch.randn(n, d, generator=g, dtype=torch.float64)
    loss = nt_xent(z1, z2, tau)
    perm = torch.randperm(n, generator=g)
    scale = torch.rand(n, 1, generator=g, dtype=torch.float64) + 0.1
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    torch.testing.assert_close(nt_xent(z2, z1, tau), loss)                  # swapping the views
    torch.testing.assert_close(nt_xent(z1[perm], z2[perm], tau), loss)      # reordering the events
    torch.testing.assert_close(nt_xent(scale * z1, z2, tau), loss)          # only directions count
    torch.testing.assert_close(nt_xent(z1 @ q, z2 @ q, tau), loss)          # rotating the embedding space
    # Cosine similarities lie in [-1, 1], so each anchor's loss is within 2 / tau of log(2N - 1).
    assert abs(float(loss) - math.log(2 * n - 1)) <= 2 / tau + 1e-12


def test_all_identical_embeddings_give_log_2n_minus_1():
    n = 6
    z = torch.ones(n, 4, dtype=torch.float64)
    for tau in (0.1, 1.0):
        assert float(nt_xent(z, 3 * z, tau)) == pytest.approx(math.log(2 * n - 1), rel=1e-12)


def test_identical_orthogonal_views_tend_to_zero():
    # z1 = z2 = orthonormal rows: positive similarity 1, negatives 0 (2N - 2 of them), so
    # l = log(1 + (2N - 2) exp(-1 / tau)) exactly, which -> 0 as tau -> 0.
    n = 4
    z = torch.eye(n, dtype=torch.float64)
    for tau in (1.0, 0.1, 0.01):
        expected = math.log1p((2 * n - 2) * math.exp(-1 / tau))
        assert float(nt_xent(z, z, tau)) == pytest.approx(expected, rel=1e-12)
    assert float(nt_xent(z, z, 0.01)) < 1e-40


def test_gradient_flows_and_dtype_kept():
    z1 = torch.randn(5, 3, requires_grad=True)
    z2 = torch.randn(5, 3, requires_grad=True)
    loss = nt_xent(z1, z2, 0.2)
    loss.backward()
    assert loss.dtype == torch.float32 and torch.isfinite(z1.grad).all() and z1.grad.abs().sum() > 0


def test_distributed_without_group_is_local_loss():
    z1, z2 = torch.randn(3, 4), torch.randn(3, 4)
    assert torch.equal(nt_xent_distributed(z1, z2, 0.3), nt_xent(z1, z2, 0.3))


def test_bad_input():
    z = torch.randn(3, 4)
    with pytest.raises(ValueError, match="z1, z2: expected the same shape"):
        nt_xent(z, z[:2])
    with pytest.raises(ValueError, match="z2: expected a floating"):
        nt_xent(z, torch.ones(3, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match="z1: expected a floating"):
        nt_xent(z[0], z[0])
    with pytest.raises(ValueError, match="z1: expected at least one event"):
        nt_xent(z[:0], z[:0])
    with pytest.raises(ValueError, match="temperature: expected a finite number > 0"):
        nt_xent(z, z, 0.0)
