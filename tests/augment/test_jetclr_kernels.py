import math

import torch

from augment import functional as F


def test_translation_bounds_hand_values():
    coords = torch.tensor([[0.1, 0.2], [-0.3, 0.6], [5.0, -3.0], [0.0, 3.0], [0.2, 2.8]])
    feats = torch.tensor([[1.0], [2.0], [0.0], [1.0], [1.0]])  # the pT = 0 constituent has no say
    batch = torch.tensor([0, 0, 0, 1, 1])
    low, high = F.jet_translation_bounds(coords, feats, batch, 3, width=1.0)
    torch.testing.assert_close(low, torch.tensor([[-0.4, -0.4], [-0.2, -0.2], [0.0, 0.0]]))
    # jet 1: phi extent 0.2, but phi may only grow by pi - 3.0 before leaving [-pi, pi].
    torch.testing.assert_close(high, torch.tensor([[0.4, 0.4], [0.2, math.pi - 3.0], [0.0, 0.0]]))


def test_fill_splits_counts():
    counts = torch.tensor([3, 48, 50, 70, 0, 30])
    batch = torch.repeat_interleave(torch.arange(6), counts)
    key = torch.rand(len(batch), generator=torch.Generator().manual_seed(0))
    split = F.fill_splits(key, batch, 6, target=50)
    per_jet = torch.zeros(6, dtype=torch.int64).index_add_(0, batch, split.long())
    assert per_jet.tolist() == [3, 2, 0, 0, 0, 20]  # min(50 - n, n): each constituent split at most once
    # The chosen are those with the smallest keys of their jet.
    jet5 = batch == 5
    assert (key[jet5 & split].max() < key[jet5 & ~split].min())
