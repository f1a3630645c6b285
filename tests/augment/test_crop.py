import pytest
import torch

from augment import functional as F


def test_kernel_hand_values():
    coords = torch.tensor([[0.0, 0.0], [1.5, 0.0], [0.5, 0.9], [3.0, 3.0], [9.0, 9.0]])
    feats = torch.arange(5.0)[:, None]
    batch = torch.tensor([0, 0, 0, 1, 1])
    centres = torch.tensor([[0.0, 0.0], [3.0, 2.0]])
    c, f, b = F.crop(coords, feats, batch, centres, torch.tensor([1.0, 1.5]), "sphere")
    assert f[:, 0].tolist() == [0.0, 3.0] and b.tolist() == [0, 1]  # |(0.5, 0.9)| = 1.03 is outside
    c, f, b = F.crop(coords, feats, batch, centres, torch.tensor([[1.0, 1.0], [0.5, 1.5]]), "box")
    assert f[:, 0].tolist() == [0.0, 2.0, 3.0] and torch.equal(c, coords[[0, 2, 3]])


def test_kernel_bad_shape():
    with pytest.raises(ValueError, match="shape: expected one of"):
        F.crop(torch.zeros(1, 2), torch.zeros(1, 1), torch.zeros(1, dtype=torch.int64), torch.zeros(1, 2),
               torch.ones(1), "cube")
