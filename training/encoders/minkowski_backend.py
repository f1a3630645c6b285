"""MinkowskiEngine backend of ``SparseResNet`` (optional extra ``hep-augment[minkowski]``).

``MinkowskiResNet(model)`` builds the same network with MinkowskiEngine layers and the
weights and BatchNorm state of a pure-PyTorch ``SparseResNet``, so both give the same
output (up to float rounding). MinkowskiEngine is imported only through
``augment._minkowski.import_minkowski``.

Kernel offset ordering, the one thing the weight mapping must get right:

* pure PyTorch (``training.encoders.functional.sparse_conv``): x slowest, z fastest,
  as a flattened (kx, ky, kz) ``conv3d`` kernel: k = (ox * s + oy) * s + oz;
* MinkowskiEngine 0.5 (``MinkowskiConvolution.kernel``, (K, C_in, C_out)): the first
  spatial axis fastest: k = (oz * s + oy) * s + ox.

Here o are the offsets counted from the kernel's first voxel: o = d + 1 for the
centred 3x3x3 kernel, o = d in {0, 1} for the 2x2x2 stride-2 kernel (both libraries
put an even kernel's region at [0, s - 1] from the output voxel), s = kernel size.
``to_minkowski_kernel`` converts; it is its own inverse up to the reshape.

Stride 2 in MinkowskiEngine keeps coordinates in input units (output sites at
``2 * floor(c / 2)``): the same sites as ours, scaled, and only for non-negative voxel
indices, since MinkowskiEngine's integer division truncates toward zero. Shift events
to non-negative indices (``Events.voxelize(pitch, origin)``) before comparing.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from augment._events import Events
from augment._minkowski import import_minkowski
from training.encoders.sparse_conv import SparseBatchNormReLU, SparseResNet, _SparseConvBase

__all__ = ["MinkowskiResNet", "to_minkowski_kernel"]


def to_minkowski_kernel(weight: Tensor, kernel_size: int) -> Tensor:
    """(k**3, C_in, C_out) weight in our offset order -> MinkowskiEngine's order."""
    c_in, c_out = weight.shape[1:]
    k = kernel_size
    return weight.reshape(k, k, k, c_in, c_out).permute(2, 1, 0, 3, 4).reshape(k**3, c_in, c_out)


class MinkowskiResNet(nn.Module):
    """``SparseResNet`` with MinkowskiEngine layers; ``forward(events) -> (B, out_features)``.

    The weights are copied from ``model`` at construction (later changes to either
    network are not shared). Pre-processing (voxelising, ``log1p(feats / scale)``) is
    ``model.voxelize``."""

    def __init__(self, model: SparseResNet) -> None:
        super().__init__()
        self.ME = import_minkowski()
        self.voxelize = model.voxelize
        self.pool_mode = model.pool
        self.out_features = model.out_features
        self.stem = nn.Sequential(self._conv(model.stem, 3, 1), self._norm(model.stem_norm))
        self.stages = nn.ModuleList(
            nn.ModuleList(
                nn.ModuleList([self._conv(b.conv1, 3, 1), self._norm(b.norm1), self._conv(b.conv2, 3, 1),
                               self._norm(b.norm2)]) for b in blocks)
            for blocks in model.stages)
        self.downs = nn.ModuleList(
            nn.Sequential(self._conv(conv, conv.stride, conv.stride), self._norm(norm)) for conv, norm in model.downs)
        ME = self.ME
        self.relu = ME.MinkowskiReLU()
        self.pool = ME.MinkowskiGlobalAvgPooling() if self.pool_mode == "mean" else ME.MinkowskiGlobalMaxPooling()

    def _conv(self, conv: _SparseConvBase, kernel_size: int, stride: int) -> nn.Module:
        me_conv = self.ME.MinkowskiConvolution(conv.in_channels, conv.out_channels, kernel_size=kernel_size,
                                               stride=stride, bias=conv.bias is not None, dimension=3)
        with torch.no_grad():
            me_conv.kernel.copy_(to_minkowski_kernel(conv.weight, kernel_size))
            if conv.bias is not None:
                me_conv.bias.copy_(conv.bias.reshape_as(me_conv.bias))
        return me_conv.to(conv.weight.dtype)

    def _norm(self, norm: SparseBatchNormReLU) -> nn.Module:
        me_norm = self.ME.MinkowskiBatchNorm(norm.bn.num_features)
        me_norm.bn.load_state_dict(norm.bn.state_dict())
        layers = [me_norm.to(norm.bn.weight.dtype)] + ([self.ME.MinkowskiReLU()] if norm.relu else [])
        return nn.Sequential(*layers)

    def forward(self, events: Events) -> Tensor:
        x = self.voxelize(events)
        num_events = x.num_events
        h = self.stem(x.to_minkowski())
        for s, blocks in enumerate(self.stages):
            if s > 0:
                h = self.downs[s - 1](h)
            for conv1, norm1, conv2, norm2 in blocks:
                h = self.relu(norm2(conv2(norm1(conv1(h)))) + h)
        pooled = self.pool(h)
        out = pooled.F.new_zeros(num_events, pooled.F.shape[1])
        out[pooled.C[:, 0].long()] = pooled.F
        return out
