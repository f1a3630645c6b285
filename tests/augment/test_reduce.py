import torch

from augment import functional as F


def test_event_sum_and_mean_hand_values():
    values = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    batch = torch.tensor([0, 0, 2])
    assert F.event_sum(values, batch, 3).tolist() == [[4.0, 6.0], [0.0, 0.0], [5.0, 6.0]]
    assert F.event_mean(values, batch, 3).tolist() == [[2.0, 3.0], [0.0, 0.0], [5.0, 6.0]]
    weighted = F.event_mean(values, batch, 3, torch.tensor([1.0, 3.0, 0.0]))
    assert weighted.tolist() == [[2.5, 3.5], [0.0, 0.0], [0.0, 0.0]]  # zero total weight: 0, not NaN
