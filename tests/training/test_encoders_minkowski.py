import pytest
import torch

import augment._minkowski  # noqa: F401  (restores collections.Sequence before MinkowskiEngine is imported)
from augment import Events
from training.encoders import SparseResNet
from training.encoders.functional import kernel_offsets
from training.encoders.minkowski_backend import to_minkowski_kernel


@pytest.mark.parametrize("k", [2, 3])
def test_kernel_order_conversion(k):
    ours = torch.arange(k**3, dtype=torch.float64)[:, None, None].expand(-1, 2, 3)
    me = to_minkowski_kernel(ours, k)
    o = kernel_offsets(k) - kernel_offsets(k).min()  # offsets from the kernel's first voxel
    me_index = (o[:, 2] * k + o[:, 1]) * k + o[:, 0]  # documented MinkowskiEngine order: x fastest
    assert torch.equal(me[me_index], ours)


def test_same_weights_same_output_as_minkowski():
    pytest.importorskip("MinkowskiEngine")
    from training.encoders.minkowski_backend import MinkowskiResNet

    g = torch.Generator().manual_seed(0)
    active = torch.rand(3, 10, 10, 10, generator=g) < 0.2
    b, x, y, z = active.nonzero(as_tuple=True)
    ev = Events(torch.stack([x, y, z], 1), torch.rand(len(b), 1, generator=g) * 5, b, 3)
    model = SparseResNet(1, blocks=(1, 1, 1))
    me_model = MinkowskiResNet(model)
    torch.testing.assert_close(me_model(ev), model(ev), rtol=1e-4, atol=1e-4)  # training mode: batch statistics
    model.eval()
    me_model = MinkowskiResNet(model).eval()
    torch.testing.assert_close(me_model(ev), model(ev), rtol=1e-4, atol=1e-4)
