import torch
from hypothesis import given
from hypothesis import strategies as st

from augment.functional import unique_rows


@given(st.integers(0, 60), st.integers(1, 4), st.integers(1, 2**40), st.integers(0, 2**31 - 1))
def test_unique_rows_equals_torch_unique_dim0(n, k, scale, seed):
    g = torch.Generator().manual_seed(seed)
    keys = ((torch.rand(n, k, generator=g, dtype=torch.float64) * 2 - 1) * min(scale, 2**40)).long()
    keys = torch.cat([keys, keys[: n // 3]])  # duplicates
    unique, inverse = unique_rows(keys)
    ref_unique, ref_inverse = torch.unique(keys, dim=0, return_inverse=True)
    assert torch.equal(unique, ref_unique) and torch.equal(inverse, ref_inverse)


def test_unique_rows_falls_back_when_the_packed_key_would_overflow():
    keys = torch.tensor([[0, 2**62, 0], [1, -2**62, 5], [0, 2**62, 0]])
    unique, inverse = unique_rows(keys)
    ref_unique, ref_inverse = torch.unique(keys, dim=0, return_inverse=True)
    assert torch.equal(unique, ref_unique) and torch.equal(inverse, ref_inverse)
