"""Geometric kernels on ragged point clouds (coords in cm, or (eta, phi) for jets)."""

from __future__ import annotations

import torch
from torch import Tensor

from augment.functional.cpu import affine_cpu, use_cpu_kernel
from augment.functional.reduce import accumulation_dtype, to_points

__all__ = ["translate", "rotate", "affine", "compose_affine", "rotation_offsets", "jitter", "inside_box",
           "inside_sphere"]


def translate(coords: Tensor, batch: Tensor, shift: Tensor) -> Tensor:
    """Shift every point of event b by ``shift[b]``.

    coords (N, D), batch (N,) int64, shift (B, D) in the coords' units."""
    return to_points(shift, batch).add_(coords)  # the gathered shifts are the output buffer


def rotate(coords: Tensor, batch: Tensor, matrices: Tensor, centres: Tensor) -> Tensor:
    """Rotate every point of event b about ``centres[b]``: x' = R_b (x - c_b) + c_b.

    coords (N, D), batch (N,) int64, matrices (B, D, D) orthogonal, centres (B, D) in the
    coords' units. Distances between the points of one event are kept.

    Row by row, x'_i = sum_j R_ij (x_j - c_j) + c_i summed in order j = 0, 1, ..., with one (N,)
    gather per matrix entry, rather than a batched matmul of gathered (N, D, D) matrices: no such
    copy, and bit-identical to torch's CPU ``bmm`` on the bench workloads (float32 and float64).
    Differentiable in ``coords``, ``matrices`` and ``centres``: when autograd records, each row is
    written by an indexed copy (``out=`` writes are not differentiable), else in place."""
    c = to_points(centres, batch)
    d = coords - c
    out = torch.empty_like(d)
    record = torch.is_grad_enabled() and (coords.requires_grad or matrices.requires_grad or centres.requires_grad)
    for i in range(d.shape[1]):
        row = to_points(matrices[:, i, 0], batch).mul_(d[:, 0])  # in place on fresh gathers: autograd-safe
        for j in range(1, d.shape[1]):
            row += to_points(matrices[:, i, j], batch).mul_(d[:, j])
        if record:
            out[:, i] = row + c[:, i]
        else:
            torch.add(row, c[:, i], out=out[:, i])
    return out


def jitter(coords: Tensor, offsets: Tensor) -> Tensor:
    """Displace each point by its own offset: coords (N, D) + offsets (N, D), coords' units."""
    return coords + offsets


def inside_box(coords: Tensor, batch: Tensor, centres: Tensor, half_sizes: Tensor) -> Tensor:
    """(N,) bool: the point lies strictly inside the axis-aligned box of event b,
    |x - centres[b]| < half_sizes[b] on every axis. centres and half_sizes (B, D), coords' units."""
    return ((coords - to_points(centres, batch)).abs() < to_points(half_sizes, batch)).all(dim=1)


def inside_sphere(coords: Tensor, batch: Tensor, centres: Tensor, radii: Tensor) -> Tensor:
    """(N,) bool: the point lies strictly inside the ball of event b, |x - centres[b]| < radii[b].
    centres (B, D), radii (B,), coords' units."""
    return torch.linalg.vector_norm(coords - to_points(centres, batch), dim=1) < to_points(radii, batch)


def affine(coords: Tensor, batch: Tensor, matrices: Tensor | None, offsets: Tensor) -> Tensor:
    """Map every point of event b by x' = A_b x + t_b: coords (N, D), batch (N,) int64, matrices
    (B, D, D) or None (the identity: a translation, :func:`translate`), offsets (B, D) in the
    coords' units.

    One gather of each event's D (D + 1) coefficients to its points, then x' = t + sum_j A[:, j] x_j
    accumulated in place, column j of A times coordinate j at a time (no (N, D, D) product, no other
    (N, D) temporaries); autograd flows through it. On the CPU (float32, float64, autograd not
    recording) :func:`~augment.functional.cpu.affine_cpu` computes the same sums in one pass over
    the points, without the gather: torch's broadcasts over the strided (N, D) columns cost ~7x
    more on 255k points."""
    B, D = offsets.shape
    columns = None if matrices is None else matrices.transpose(1, 2).reshape(B, D * D)
    if use_cpu_kernel(coords, batch, offsets, *(() if columns is None else (columns,))):
        out = affine_cpu(coords, batch, columns, offsets)
        if out is not None:
            return out
    if columns is None:
        return translate(coords, batch, offsets)
    coefficients = torch.cat([columns, offsets], dim=1).index_select(0, batch)
    out = torch.addcmul(coefficients[:, D * D:], coefficients[:, :D], coords[:, :1])
    for j in range(1, D):
        out.addcmul_(coefficients[:, j * D:(j + 1) * D], coords[:, j:j + 1])
    return out


def compose_affine(first: tuple[Tensor | None, Tensor], then: tuple[Tensor | None, Tensor]) -> tuple[Tensor | None,
                                                                                                    Tensor]:
    """The per-event affine map x -> A2 (A1 x + t1) + t2 as (A2 A1, A2 t1 + t2), from ``first`` =
    (A1, t1) and ``then`` = (A2, t2): matrices (B, D, D) or None (the identity), offsets (B, D) in the
    coords' units. :func:`affine` with the result maps the points in one pass (rounding may differ
    from two passes by a few units in the last place)."""
    (a1, t1), (a2, t2) = first, then
    if a2 is None:
        return a1, t1 + t2
    dtype = t1.dtype
    acc = accumulation_dtype(dtype)  # half precision: the products summed in float32
    offsets = torch.einsum("bij,bj->bi", a2.to(acc), t1.to(acc)) + t2.to(acc)
    matrices = a2 if a1 is None else torch.matmul(a2.to(acc), a1.to(acc)).to(dtype)
    return matrices, offsets.to(dtype)


def rotation_offsets(matrices: Tensor, centres: Tensor) -> Tensor:
    """(B, D) offsets t_b = c_b - R_b c_b, so that :func:`affine` with ``matrices`` R turns each event
    about its centre c: R x + t = R (x - c) + c."""
    return centres - torch.einsum("bij,bj->bi", matrices, centres)
