"""Encoders for contrastive pre-training: a JetCLR-style transformer for jets and a
sparse 3D CNN for voxelised LArTPC events (pure PyTorch; MinkowskiEngine optional)."""

from training.encoders.jet_transformer import JetTransformer
from training.encoders.sparse_conv import (
    SparseBatchNormReLU,
    SparseResidualBlock,
    SparseResNet,
    StridedConv3d,
    SubmanifoldConv3d,
)

__all__ = ["JetTransformer", "SparseResNet", "SubmanifoldConv3d", "StridedConv3d", "SparseBatchNormReLU",
           "SparseResidualBlock"]
