"""Data-parallel helpers: process-group set-up from torchrun, rank queries and an
all_gather that passes gradients back (for the contrastive negatives of all ranks).

Launch with ``torchrun --nproc_per_node=K script.py``; torchrun sets ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``. Without them
everything runs as a single process (rank 0 of 1).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = ["init_from_env", "is_initialized", "rank", "world_size", "is_main", "gather_with_grad"]


def is_initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank, 0 without a process group."""
    return dist.get_rank() if is_initialized() else 0


def world_size() -> int:
    """Number of processes, 1 without a process group."""
    return dist.get_world_size() if is_initialized() else 1


def is_main() -> bool:
    """True on rank 0 (the process that logs, shows progress and writes checkpoints)."""
    return rank() == 0


def init_from_env(device: str | torch.device | None = None) -> torch.device:
    """Join the process group described by the torchrun environment variables.

    Backend nccl when CUDA is available (each process takes ``cuda:LOCAL_RANK``),
    gloo on CPU. With ``WORLD_SIZE`` unset or 1 no group is created. Returns the device
    this process should use (``device`` if given)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available() if device is None else torch.device(device).type == "cuda"
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device is None:
        device = torch.device("cuda", local) if cuda else torch.device("cpu")
    device = torch.device(device)
    if cuda:
        torch.cuda.set_device(device)
    if world > 1 and not is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", init_method="env://")
    return device


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward returns each rank the gradient of the summed loss of
    all ranks with respect to its own slice.

    Every rank's loss depends on every rank's embeddings, so the gradient for rank r's
    input is sum_s dL_s/dG[slice r], where G is the gathered tensor and L_s the loss on
    rank s. all_reduce(SUM) of the (W N, d) output gradient followed by taking the own
    slice computes exactly that (a reduce_scatter would send less, but gloo has none).
    DDP then divides gradients by W, so the optimised loss is the mean over ranks."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        x = x.contiguous()
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x)
        ctx.rows = x.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        start = dist.get_rank() * ctx.rows
        return grad[start:start + ctx.rows]


def gather_with_grad(x: Tensor) -> Tensor:
    """Concatenate ``x`` (N, ...) of all ranks in rank order into (W N, ...), keeping
    gradients (see :class:`_GatherWithGrad`). ``N`` must be equal on all ranks
    (ValueError otherwise). Without a process group returns ``x``."""
    if world_size() == 1:
        return x
    sizes = [torch.zeros(1, dtype=torch.int64, device=x.device) for _ in range(world_size())]
    dist.all_gather(sizes, torch.tensor([x.shape[0]], dtype=torch.int64, device=x.device))
    sizes = [int(s) for s in sizes]
    if len(set(sizes)) > 1:
        raise ValueError(f"x: expected the same number of rows on every rank, got {sizes}")
    return _GatherWithGrad.apply(x)
