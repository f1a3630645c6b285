"""Pure kernels of the encoders: sparse convolution on integer voxel coordinates."""

from training.encoders.functional.sparse_conv import (
    KernelMap,
    apply_kernel_map,
    downsample_map,
    global_pool,
    kernel_offsets,
    submanifold_map,
    voxel_keys,
)

__all__ = ["KernelMap", "voxel_keys", "kernel_offsets", "submanifold_map", "downsample_map", "apply_kernel_map",
           "global_pool"]
