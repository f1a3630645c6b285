"""The SimCLR contrastive loss NT-Xent (normalised temperature-scaled cross entropy).

Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations",
arXiv:2002.05709, eq. (1): for a batch of N events seen in two views, each of the 2N
embeddings is an anchor whose positive is the other view of the same event and whose
2N - 2 negatives are all remaining embeddings; with cosine similarity ``sim`` and
temperature ``tau``

    l(i, j) = -log( exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau) ),

and the loss is the mean of l over the 2N anchors. The denominator runs over 2N - 1
terms (positive + negatives). Vectorised as a cross entropy over the rows of the
similarity matrix with the self-similarity masked out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from augment._checks import check_positive
from training import distributed

__all__ = ["nt_xent", "nt_xent_distributed"]


def nt_xent(z1: Tensor, z2: Tensor, temperature: float = 0.1) -> Tensor:
    """NT-Xent loss of two views ``z1``, ``z2`` (N, d) of the same N events (row i of
    ``z1`` and row i of ``z2`` are a positive pair). Embeddings need not be normalised:
    they are L2-normalised here. Returns a scalar (mean over the 2N anchors)."""
    _check_views(z1, z2, temperature)
    n = z1.shape[0]
    keys = torch.cat([z1, z2])
    own = torch.arange(2 * n, device=z1.device)
    return _nt_xent_rows(keys, own, temperature)


def nt_xent_distributed(z1: Tensor, z2: Tensor, temperature: float = 0.1) -> Tensor:
    """NT-Xent with the negatives of every rank (effective batch = world size x N).

    Each rank passes its local views (N, d), N equal on all ranks; the embeddings of all
    ranks are gathered with :func:`training.distributed.gather_with_grad` and this rank's
    2N anchors are scored against all 2 W N keys. Returns the mean over the local anchors;
    the mean over ranks (what DDP's gradient averaging optimises) equals :func:`nt_xent`
    on the concatenated batch. Without an initialised process group it is :func:`nt_xent`."""
    _check_views(z1, z2, temperature)
    world = distributed.world_size()
    if world == 1:
        return nt_xent(z1, z2, temperature)
    n = z1.shape[0]
    keys = torch.cat([distributed.gather_with_grad(z1), distributed.gather_with_grad(z2)])
    local = torch.arange(n, device=z1.device) + distributed.rank() * n
    own = torch.cat([local, local + world * n])
    return _nt_xent_rows(keys, own, temperature)


def _nt_xent_rows(keys: Tensor, own: Tensor, temperature: float) -> Tensor:
    """Mean NT-Xent over the anchors ``keys[own]``.

    ``keys`` (2M, d) holds the first views of M events then their second views, so the
    positive of key k is key (k + M) mod 2M."""
    m2 = keys.shape[0]
    keys = F.normalize(keys, dim=1)
    logits = keys[own] @ keys.T / temperature
    rows = torch.arange(len(own), device=keys.device)
    logits = logits.index_put((rows, own), logits.new_tensor(float("-inf")))  # no self-pair
    return F.cross_entropy(logits, (own + m2 // 2) % m2)


def _check_views(z1: Tensor, z2: Tensor, temperature: float) -> None:
    for name, z in (("z1", z1), ("z2", z2)):
        if not isinstance(z, Tensor) or z.dim() != 2 or not z.is_floating_point():
            got = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"{name}: expected a floating (N, d) tensor, got {got}")
    if z1.shape != z2.shape:
        raise ValueError(f"z1, z2: expected the same shape (N, d), got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if z1.shape[0] < 1:
        raise ValueError("z1: expected at least one event (N >= 1), got N = 0")
    check_positive("temperature", temperature)
