"""Jet kernels on ragged batches of constituents.

Conventions (docs/physics.md section 4): coords (N, 2) = (eta, phi) with phi in rad, feats (N, C)
with feats[:, 0] = pT in GeV (>= 0), batch (N,) int64 non-decreasing. Constituents are
massless. Kernels do not validate; the transforms in :mod:`augment.jets` do.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from augment.functional.cpu import soft_smear_cpu, split_rows_cpu, use_cpu_kernel
from augment.functional.energy import scale_features
from augment.functional.reduce import (accumulation_dtype, event_min_max, event_offsets, event_sum, gather_rows,
                                       to_points)

__all__ = ["wrap_phi", "jet_four_momentum", "jet_axis", "centre_jets", "normalise_pt", "sort_within_events",
           "rank_within_events", "keep_hardest", "collinear_split", "soft_smear", "jet_translation_bounds",
           "fill_splits"]


def wrap_phi(phi: Tensor) -> Tensor:
    """Azimuth ``phi`` (rad) mapped into [-pi, pi), with pi rounded to ``phi``'s dtype."""
    two_pi = 2 * math.pi
    pi = torch.tensor(math.pi, dtype=phi.dtype, device=phi.device)
    wrapped = torch.remainder(phi + math.pi, two_pi) - math.pi
    # remainder can round up to exactly 2 pi for tiny negative arguments: fold that back.
    return torch.where(wrapped >= pi, wrapped - two_pi, wrapped)


def jet_four_momentum(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(B, 4) jet four-momenta (E, px, py, pz) in GeV, sums of massless constituents.

    px = pT cos phi, py = pT sin phi, pz = pT sinh eta, E = pT cosh eta (massless
    kinematics, PDG Review "Kinematics", rapidity = pseudorapidity for m = 0)."""
    pt, eta, phi = feats[:, 0], coords[:, 0], coords[:, 1]
    p4 = torch.stack([pt * torch.cosh(eta), pt * torch.cos(phi), pt * torch.sin(phi), pt * torch.sinh(eta)], dim=1)
    return event_sum(p4, batch, num_events)


def jet_axis(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(B, 2) pT-weighted centroid (eta, phi) of each jet.

    eta: sum(pT eta) / sum(pT). phi: circular mean, the angle of the pT-weighted sum of
    unit vectors (cos phi, sin phi), so jets across phi = +-pi get an axis near +-pi (not 0).
    Events without points or with zero total pT get the axis (0, 0)."""
    pt, eta, phi = feats[:, 0], coords[:, 0], coords[:, 1]
    acc = accumulation_dtype(torch.promote_types(coords.dtype, feats.dtype))  # half: sums, ratios in float32
    pt, eta, phi = pt.to(acc), eta.to(acc), phi.to(acc)
    sums = event_sum(torch.stack([pt, pt * eta, pt * torch.cos(phi), pt * torch.sin(phi)], dim=1),
                     batch, num_events)
    # pT >= 0, so a zero pT sum means a zero numerator: clamping the divisor gives 0.
    eta_axis = sums[:, 1] / sums[:, 0].clamp_min(torch.finfo(sums.dtype).tiny)
    phi_axis = torch.atan2(sums[:, 3], sums[:, 2])
    return torch.stack([eta_axis, phi_axis], dim=1).to(coords.dtype)


def centre_jets(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(N, 2) coords relative to each jet's :func:`jet_axis`: eta - eta_axis and
    phi - phi_axis wrapped into [-pi, pi)."""
    rel = coords - to_points(jet_axis(coords, feats, batch, num_events), batch)
    return torch.stack([rel[:, 0], wrap_phi(rel[:, 1])], dim=1)


def normalise_pt(feats: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(N, C) feats with column 0 (pT) divided by the jet's summed pT (other columns copied).

    Events with zero total pT keep pT = 0. Half-precision pT is summed and divided in float32."""
    total = event_sum(feats[:, 0], batch, num_events, accumulation_dtype(feats.dtype))  # float32 for half
    out = feats.clone()
    out[:, 0] = (feats[:, 0] / to_points(total.clamp_min(torch.finfo(total.dtype).tiny), batch)).to(feats.dtype)
    return out


def sort_within_events(key: Tensor, batch: Tensor) -> Tensor:
    """(N,) permutation sorting points by event, then by ``key`` ascending, ties kept in order.

    Composite key by two stable sorts (key first, then event), so no key packing can overflow."""
    by_key = torch.argsort(key, stable=True)
    return by_key[torch.argsort(batch[by_key], stable=True)]


def rank_within_events(key: Tensor, batch: Tensor, num_events: int) -> Tensor:
    """(N,) int64 rank of each point's ``key`` (ascending, 0 = smallest) inside its event."""
    order = sort_within_events(key, batch)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(len(order), device=batch.device) - event_offsets(batch, num_events)[batch[order]]
    return rank


def keep_hardest(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int,
                 n: int | Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per event, the ``n`` highest-pT constituents (all of them if fewer).

    ``n``: an int or a (B,) int64 tensor (one count per event). Returns (coords, feats,
    batch) with the kept points sorted by event, then by pT descending (equal pT keep
    their input order)."""
    order = sort_within_events(-feats[:, 0], batch)
    sorted_batch = batch[order]
    rank = torch.arange(len(order), device=batch.device) - event_offsets(batch, num_events)[sorted_batch]
    limit = n[sorted_batch] if isinstance(n, Tensor) else n
    rows = order[rank < limit]
    return coords[rows], feats[rows], batch[rows]


def collinear_split(coords: Tensor, feats: Tensor, batch: Tensor, split: Tensor, r: Tensor,
                    pt_columns: Sequence[int] = (0,)) -> tuple[Tensor, Tensor, Tensor]:
    """Split the constituents where ``split`` (N,) bool is True into two collinear ones.

    The parent keeps its (eta, phi) and gets ``r * pT``; its daughter, inserted right after
    it in the same event, gets ``(1 - r) * pT`` at the same (eta, phi) (JetCLR, arXiv
    2108.04253, Sec. 2). ``r`` (N,) in [0, 1]. The ``pt_columns`` of feats (pT-like,
    additive quantities) are split that way; other columns are copied to the daughter.
    Returns (coords, feats, batch) with N + split.sum() points, batch still sorted. On the CPU
    the rows and shares come from one pass (:func:`~augment.functional.cpu.split_rows_cpu`)."""
    if use_cpu_kernel(split, r):
        parent, share = split_rows_cpu(split, r)
    else:
        copies = 1 + split.long()
        parent = torch.repeat_interleave(copies)  # point i repeated copies[i] times
        is_daughter = torch.zeros(len(parent), dtype=torch.bool, device=batch.device)
        is_daughter[1:] = parent[1:] == parent[:-1]
        share = to_points(torch.where(split, r, torch.ones_like(r)), parent)
        share = torch.where(is_daughter, 1 - share, share)
    new_feats = scale_features(gather_rows(feats, parent), share, pt_columns)
    return gather_rows(coords, parent), new_feats, batch.index_select(0, parent)


def soft_smear(coords: Tensor, feats: Tensor, noise: Tensor, scale: float, pt_min: float) -> Tensor:
    """(N, 2) coords shifted by ``scale / max(pT, pt_min) * noise``, phi wrapped into [-pi, pi).

    eta' ~ N(eta, Lambda_soft / pT), phi' likewise (JetCLR, arXiv 2108.04253, Sec. 2).
    ``noise`` (N, 2) standard normals, ``scale`` = Lambda_soft in GeV, ``pt_min`` (GeV) a
    floor on pT so that very soft or zero-pT constituents get a finite width. On the CPU one
    pass (:func:`~augment.functional.cpu.soft_smear_cpu`, the same bits)."""
    kernel = use_cpu_kernel(coords, feats, noise)
    smeared = soft_smear_cpu(coords, feats[:, 0], noise, scale, pt_min) if kernel else None
    if smeared is not None:
        return smeared
    width = scale / feats[:, 0].clamp_min(pt_min)
    moved = coords + noise * width[:, None]
    return torch.stack([moved[:, 0], wrap_phi(moved[:, 1])], dim=1)


def jet_translation_bounds(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int,
                           width: float | Tensor) -> tuple[Tensor, Tensor]:
    """(B, 2) low and high ends of JetCLR's per-jet translation range in (eta, phi).

    eta: U[-w ptp_eta, +w ptp_eta] with ptp the jet's peak-to-peak extent (max - min) over its
    constituents with pT > 0 and w = ``width`` (one number, or a (2,) tensor: one per axis); phi
    likewise, narrowed so that the shifted phi of every such constituent stays inside [-pi, pi]
    (JetCLR, github.com/bmdillon/JetCLR, scripts/modules/jet_augs.py, ``translate_jets``). Jets
    without a pT > 0 constituent get (0, 0)."""
    low, high = event_min_max(coords, batch, num_events, feats[:, 0] > 0)
    ptp = high - low
    lower, upper = -width * ptp, width * ptp
    lower[:, 1] = torch.maximum(lower[:, 1], -math.pi - low[:, 1]).clamp_max(0)
    upper[:, 1] = torch.minimum(upper[:, 1], math.pi - high[:, 1]).clamp_min(0)
    return lower, upper


def fill_splits(key: Tensor, batch: Tensor, num_events: int, target: int) -> Tensor:
    """(N,) bool: which constituents to split so that each jet of n constituents grows towards
    ``target``: the min(target - n, n) (at least 0) with the smallest ``key`` (N,) of their jet,
    each split once (JetCLR's ``collinear_fill_jets`` fills the free zero-padded slots up to
    nconstit = 50 this way; github.com/bmdillon/JetCLR, scripts/modules/jet_augs.py).
    Uniform random keys choose uniformly without replacement."""
    counts = torch.bincount(batch, minlength=num_events)
    splits = torch.minimum(target - counts, counts).clamp_min(0)
    return rank_within_events(key, batch, num_events) < to_points(splits, batch)
