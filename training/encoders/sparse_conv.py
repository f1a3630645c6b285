"""Sparse convolutional voxel encoder for LArTPC events, in pure PyTorch.

Layers take and return voxelised ``augment.Events`` (int64 coords, ``batch`` in the
key): the feats change, and a strided convolution also changes the sites. The kernel
maps come from ``training.encoders.functional.sparse_conv`` (offset order documented
there). BatchNorm normalises the feats of all voxels of the batch together, so in
training mode an event's output depends on the rest of the batch; in eval mode it
does not.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn

from augment._checks import check_events, check_positive
from augment._events import Events
from training.encoders.functional.sparse_conv import (
    KernelMap,
    apply_kernel_map,
    downsample_map,
    global_pool,
    submanifold_map,
)

__all__ = ["SubmanifoldConv3d", "StridedConv3d", "SparseBatchNormReLU", "SparseResidualBlock", "SparseResNet"]


class _SparseConvBase(nn.Module):
    """Weight (K, C_in, C_out) in the kernel-offset order, initialised as ``nn.Conv3d``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_volume: int, bias: bool) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = nn.Parameter(torch.empty(kernel_volume, in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        bound = 1.0 / math.sqrt(kernel_volume * in_channels)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)


class SubmanifoldConv3d(_SparseConvBase):
    """Submanifold convolution (output sites = input sites), kernel 3 by default.

    Equals ``conv3d(dense, padding=kernel_size // 2)`` evaluated at the active sites,
    with the inactive sites set to zero."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, bias: bool = False) -> None:
        super().__init__(in_channels, out_channels, kernel_size**3, bias)
        self.kernel_size = kernel_size

    def forward(self, x: Events, kernel_map: KernelMap | None = None) -> Events:
        """``kernel_map``: reuse ``submanifold_map(x.coords, x.batch)`` across layers on the same sites."""
        if kernel_map is None:
            kernel_map = submanifold_map(x.coords, x.batch, self.kernel_size)
        return x.replace(feats=apply_kernel_map(x.feats, self.weight, kernel_map, self.bias), feature_names=None)


class StridedConv3d(_SparseConvBase):
    """Down-sampling convolution, kernel size = stride (2): out sites = unique floor(coords / 2).

    Equals ``conv3d(dense, kernel_size=2, stride=2)`` at the output sites."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2, bias: bool = False) -> None:
        super().__init__(in_channels, out_channels, stride**3, bias)
        self.stride = stride

    def forward(self, x: Events) -> Events:
        coords, batch, kernel_map = downsample_map(x.coords, x.batch, self.stride)
        feats = apply_kernel_map(x.feats, self.weight, kernel_map, self.bias)
        return x.replace(coords=coords, batch=batch, feats=feats, feature_names=None)


class SparseBatchNormReLU(nn.Module):
    """BatchNorm over the voxels' feats, then ReLU (``relu=False``: BatchNorm only)."""

    def __init__(self, channels: int, relu: bool = True) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)
        self.relu = relu

    def forward(self, x: Events) -> Events:
        feats = self.bn(x.feats)
        return x.replace(feats=torch.relu(feats) if self.relu else feats)


class SparseResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input, then ReLU; sites unchanged."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = SubmanifoldConv3d(channels, channels)
        self.norm1 = SparseBatchNormReLU(channels)
        self.conv2 = SubmanifoldConv3d(channels, channels)
        self.norm2 = SparseBatchNormReLU(channels, relu=False)

    def forward(self, x: Events, kernel_map: KernelMap) -> Events:
        h = self.norm2(self.conv2(self.norm1(self.conv1(x, kernel_map)), kernel_map))
        return x.replace(feats=torch.relu(h.feats + x.feats))


class SparseResNet(nn.Module):
    """Voxel encoder: stem, then per stage residual blocks and a stride-2 down-sampling.

    ``forward(events) -> (B, out_features)`` with ``out_features = channels[-1]``.

    * ``events``: float coords in cm (voxelised inside with ``pitch``, cm; duplicate
      voxels summed) or int64 voxel coords (``pitch`` then unused); feats (N,
      ``in_channels``) non-negative (charge in electrons or energy in MeV).
    * Input feature: ``log1p(feats / feature_scale)`` (``feature_scale`` in the feats'
      unit, e.g. 1000 electrons), which compresses the long tail of voxel charges.
    * Stages: ``channels[s]`` channels, ``blocks[s]`` residual blocks; between stages a
      stride-2 convolution + BN + ReLU. Output: per-event ``pool`` ('mean' or 'max') of
      the last stage's voxels; an event without voxels gives zeros.

    Default (1 input channel, channels 16-32-64, blocks 1-1-0): 90,448 parameters.
    Model and events must share device and dtype (``model.to(events.feats.dtype)``).
    """

    def __init__(self, in_channels: int = 1, channels: Sequence[int] = (16, 32, 64),
                 blocks: Sequence[int] = (1, 1, 0), pitch: float | None = None,
                 feature_scale: float = 1.0, pool: str = "mean") -> None:
        super().__init__()
        if len(channels) == 0 or len(channels) != len(blocks):
            raise ValueError(f"channels, blocks: expected two non-empty sequences of equal length, "
                             f"got {tuple(channels)} and {tuple(blocks)}")
        if pool not in ("mean", "max"):
            raise ValueError(f"pool: expected 'mean' or 'max', got {pool!r}")
        self.pitch = None if pitch is None else check_positive("pitch", pitch)
        self.feature_scale = check_positive("feature_scale", feature_scale)
        self.pool = pool
        self.in_channels = in_channels
        self.out_features = channels[-1]
        self.stem = SubmanifoldConv3d(in_channels, channels[0])
        self.stem_norm = SparseBatchNormReLU(channels[0])
        self.stages = nn.ModuleList(
            nn.ModuleList(SparseResidualBlock(c) for _ in range(n)) for c, n in zip(channels, blocks))
        self.downs = nn.ModuleList(
            nn.Sequential(StridedConv3d(c_in, c_out), SparseBatchNormReLU(c_out))
            for c_in, c_out in zip(channels[:-1], channels[1:]))

    def voxelize(self, events: Events) -> Events:
        """Int64 voxel sites with the input feature ``log1p(feats / feature_scale)``."""
        check_events(events)
        if events.coords.shape[1] != 3 or events.feats.shape[1] != self.in_channels:
            raise ValueError(f"events: expected D = 3 and C = {self.in_channels}, got D = "
                             f"{events.coords.shape[1]}, C = {events.feats.shape[1]}")
        if events.coords.is_floating_point():
            if self.pitch is None:
                raise ValueError("pitch: expected a voxel pitch (cm) for events with float coords, got None")
            events = events.voxelize(self.pitch)
        if (events.feats < 0).any():
            raise ValueError("events.feats: expected non-negative values (charge or energy)")
        return events.replace(feats=torch.log1p(events.feats / self.feature_scale), feature_names=None)

    def forward(self, events: Events) -> Tensor:
        x = self.voxelize(events)
        kernel_map = submanifold_map(x.coords, x.batch)
        x = self.stem_norm(self.stem(x, kernel_map))
        for s, blocks in enumerate(self.stages):
            if s > 0:
                x = self.downs[s - 1](x)
                if len(blocks):  # a stage without blocks needs no map on its sites
                    kernel_map = submanifold_map(x.coords, x.batch)
            for block in blocks:
                x = block(x, kernel_map)
        return global_pool(x.feats, x.batch, x.num_events, self.pool)
