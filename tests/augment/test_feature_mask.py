import torch

from augment import functional as F


def test_kernel_hand_values_and_input_untouched():
    feats = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    before = feats.clone()
    mask = torch.tensor([[True, False], [False, True]])
    out = F.mask_features(feats, mask, columns=(0, 2))
    assert torch.equal(out, torch.tensor([[0.0, 2.0, 3.0], [4.0, 5.0, 0.0]]))
    assert torch.equal(feats, before)
    assert torch.equal(F.mask_features(feats, mask, (1, 2), value=-1.0), torch.tensor([[1.0, -1.0, 3.0],
                                                                                      [4.0, 5.0, -1.0]]))


def test_kernel_gradient_reaches_kept_entries():
    feats = torch.rand(4, 2, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True], [False], [True], [False]])
    F.mask_features(feats, mask, (1,)).sum().backward()
    expected = torch.ones(4, 2, dtype=torch.float64)
    expected[:, 1] = (~mask[:, 0]).double()
    assert torch.equal(feats.grad, expected)
