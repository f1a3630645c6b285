import torch
from hypothesis import given
from hypothesis import strategies as st

from augment import functional as F
from tests.strategies import events_strategy


def test_kernel_hand_values():
    coords = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    batch = torch.tensor([0, 0, 1])
    flip = torch.tensor([[True, False], [True, True]])
    centres = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    out = F.reflect(coords, batch, flip, centres)
    assert torch.equal(out, torch.tensor([[3.0, 2.0], [1.0, -1.0], [-0.5, 1.5]]))


@given(events_strategy(dims=3), st.integers(0, 2 ** 31 - 1))
def test_kernel_involution_distances_and_unflipped_bits(ev, seed):
    g = torch.Generator().manual_seed(seed)
    flip = torch.rand(ev.num_events, 3, generator=g) < 0.5
    centres = torch.randn(ev.num_events, 3, generator=g, dtype=ev.coords.dtype) * 10
    once = F.reflect(ev.coords, ev.batch, flip, centres)
    torch.testing.assert_close(F.reflect(once, ev.batch, flip, centres), ev.coords)
    same = ev.batch[:, None] == ev.batch[None, :]
    dist = lambda x: (x[:, None] - x[None, :]).norm(dim=-1)[same]  # noqa: E731
    torch.testing.assert_close(dist(once), dist(ev.coords))
    kept = ~flip[ev.batch]
    assert torch.equal(once[kept], ev.coords[kept])  # axes not flipped: bit-identical


def test_kernel_batched_equals_per_event():
    g = torch.Generator().manual_seed(1)
    coords = torch.randn(9, 2, generator=g, dtype=torch.float64)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    flip = torch.tensor([[True, False], [False, True], [True, True]])
    centres = torch.randn(3, 2, generator=g, dtype=torch.float64)
    out = F.reflect(coords, batch, flip, centres)
    for b in range(3):
        rows = batch == b
        single = F.reflect(coords[rows], torch.zeros(int(rows.sum()), dtype=torch.int64), flip[b:b + 1],
                           centres[b:b + 1])
        assert torch.equal(out[rows], single)
