"""Jet augmentations and preprocessing: CollinearSplit, SoftSmear, CentreJets, NormalisePT,
KeepHardest, preprocess_jets.

Jets are :class:`~augment.Events` with coords (eta, phi) (phi in rad) and feats[:, 0] = pT
in GeV (docs/physics.md section 4). Rotations and translations in (eta, phi) are the geometric
transforms (``Rotate``, ``Translate``).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from augment import functional as F
from augment._base import Compose, Transform, check_probability
from augment._checks import (check_column, check_columns, check_float_coords, check_int, check_param,
                             check_positive)
from augment._events import Events
from augment._random import normal, uniform

__all__ = ["CollinearSplit", "SoftSmear", "CentreJets", "NormalisePT", "KeepHardest", "preprocess_jets"]

# JetCLR defaults from its code (github.com/bmdillon/JetCLR, run_dir/extargs.py): nconstit = 50
# constituents kept, soft-smearing strength ptst = 0.1 GeV and pT floor ptcm = 0.1 GeV. The paper
# (arXiv 2108.04253) gives Lambda_soft = 100 MeV (docs/physics.md section 4); the number of constituents
# in the paper text itself is unverified.
JETCLR_NUM_CONSTITUENTS = 50
JETCLR_SOFT_SCALE = 0.1
JETCLR_PT_MIN = 0.1


def check_jets(events: Events, pt: bool = False) -> None:
    """Jets need floating (eta, phi) coords (D = 2) and a pT column feats[:, 0] (host checks only);
    with ``pt``, also pT >= 0 (one host sync: done when sampling, not in ``transform``)."""
    check_float_coords(events, dims=(2,))
    if events.feats.shape[1] < 1:
        raise ValueError("events.feats: expected pT (GeV) in column 0, got no feature columns")
    if pt and events.num_points and bool((events.feats[:, 0] < 0).any()):
        raise ValueError(f"events.feats[:, 0]: expected pT >= 0 GeV, got a minimum of "
                         f"{float(events.feats[:, 0].min())}")


class CollinearSplit(Transform):
    """Split random constituents into two collinear ones (JetCLR, arXiv 2108.04253).

    Default mode: each constituent is chosen with probability ``fraction``; ``max_splits``
    (optional) caps the number of splits per jet, keeping a uniformly random subset of the chosen.
    JetCLR mode, ``fill_to=n`` (JetCLR's code: n = nconstit = 50): a jet of m constituents gets
    min(n - m, m) splits (none once it has n), of constituents chosen uniformly without
    replacement, each split at most once: the free zero-padded slots of JetCLR's fixed-size
    arrays are filled (``fraction`` and ``max_splits`` are then unused).

    A chosen constituent keeps r pT and a new one, right after it in the event, gets
    (1 - r) pT at the same (eta, phi), r ~ U(0, 1). The ``pt_columns`` of feats (additive
    quantities; column 0, pT in GeV, must be one of them) are split that way, the others copied.
    The number of points grows.

    Params: ``point_split`` (N,) bool and ``point_r`` (N,) over the input points."""

    def __init__(self, fraction: float = 0.5, max_splits: int | None = None, pt_columns: Sequence[int] = (0,),
                 fill_to: int | None = None, p: float = 1.0) -> None:
        super().__init__(p)
        self.fraction = check_probability("fraction", fraction)
        self.max_splits = None if max_splits is None else check_int("max_splits", max_splits, 0)
        self.fill_to = None if fill_to is None else check_int("fill_to", fill_to, 1)
        self.pt_columns = check_columns("pt_columns", pt_columns)
        if 0 not in self.pt_columns:  # splitting without sharing pT would double each jet's pT
            raise ValueError(f"pt_columns: expected the feats columns split between the two constituents, "
                             f"including column 0 (pT, GeV), got {pt_columns!r}")

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_jets(events, pt=True)
        u = uniform((events.num_points,), 0.0, 1.0, generator, events.device, events.feats.dtype)
        if self.fill_to is not None:
            split = F.fill_splits(u, events.batch, events.num_events, self.fill_to)
        else:
            split = u < self.fraction
            if self.max_splits is not None:
                # The chosen points are those with the smallest u of their event, in random order.
                split &= F.rank_within_events(u, events.batch, events.num_events) < self.max_splits
        r = uniform((events.num_points,), 0.0, 1.0, generator, events.device, events.feats.dtype)
        return {"point_split": split, "point_r": r}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_jets(events)
        for i, c in enumerate(self.pt_columns):
            check_column(f"pt_columns[{i}]", c, events)
        split = check_param(params, "point_split", (events.num_points,), events)
        r = check_param(params, "point_r", (events.num_points,), events)
        coords, feats, batch = F.collinear_split(events.coords, events.feats, events.batch, split,
                                                 r.to(events.feats.dtype), self.pt_columns)
        return events.replace(coords=coords, feats=feats, batch=batch)


class SoftSmear(Transform):
    """Smear each constituent's (eta, phi) by a normal of width ``scale / pT``.

    eta' ~ N(eta, Lambda_soft / pT), phi' likewise (JetCLR, arXiv 2108.04253; docs/physics.md
    section 4): soft constituents move a lot, hard ones hardly at all. ``scale`` =
    Lambda_soft in GeV (default 0.1 GeV = 100 MeV). pT is floored at ``pt_min`` GeV
    (JetCLR code default 0.1 GeV) so zero-pT points get a finite width. The smeared phi
    is wrapped into [-pi, pi) (events whose gate is off are left untouched).

    Params: ``point_noise`` (N, 2) standard normals, scaled in :meth:`apply`."""

    def __init__(self, scale: float = JETCLR_SOFT_SCALE, pt_min: float = JETCLR_PT_MIN, p: float = 1.0) -> None:
        super().__init__(p)
        self.scale = check_positive("scale", scale)
        self.pt_min = check_positive("pt_min", pt_min)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_jets(events, pt=True)
        return {"point_noise": normal((events.num_points, 2), generator, events.device, events.coords.dtype)}

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_jets(events)
        noise = check_param(params, "point_noise", (events.num_points, 2), events)
        return events.replace(coords=F.soft_smear(events.coords, events.feats, noise.to(events.coords.dtype),
                                                  self.scale, self.pt_min))


class _JetPreprocessing(Transform):
    """A deterministic jet transform: no random parameters, always applied (p = 1)
    except to events an enclosing container gates off."""

    def __init__(self) -> None:
        super().__init__(1.0)

    def sample_params(self, events: Events, generator: torch.Generator | None) -> dict[str, Tensor]:
        check_jets(events, pt=True)
        return {}


class CentreJets(_JetPreprocessing):
    """Move each jet's pT-weighted axis (:func:`augment.functional.jet_axis`, circular mean
    in phi) to (0, 0); phi is wrapped into [-pi, pi) after the subtraction."""

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_jets(events)
        return events.replace(coords=F.centre_jets(events.coords, events.feats, events.batch, events.num_events))


class NormalisePT(_JetPreprocessing):
    """Divide each constituent's pT (feats[:, 0]) by its jet's summed pT, so pT sums to 1
    (dimensionless afterwards). Jets with zero total pT keep pT = 0."""

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_jets(events)
        return events.replace(feats=F.normalise_pt(events.feats, events.batch, events.num_events))


class KeepHardest(_JetPreprocessing):
    """Keep the ``n`` highest-pT constituents of each jet (all if it has fewer).

    The output lists each jet's constituents by pT descending (equal pT in input order);
    jets that an enclosing container gates off come out unchanged."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = check_int("n", n, 0)

    def transform(self, events: Events, params: dict[str, Tensor]) -> Events:
        check_jets(events)
        coords, feats, batch = F.keep_hardest(events.coords, events.feats, events.batch, events.num_events, self.n)
        return events.replace(coords=coords, feats=feats, batch=batch)


def preprocess_jets(events: Events, n: int | None = JETCLR_NUM_CONSTITUENTS, normalise_pt: bool = False) -> Events:
    """Centre each jet on its pT-weighted axis (all constituents), keep its ``n`` hardest
    constituents (sorted by pT descending; ``n=None`` keeps all, unsorted) and optionally
    divide pT by the jet's summed pT of the kept constituents.

    Defaults follow JetCLR (arXiv 2108.04253; its code keeps nconstit = 50 constituents and
    rescales pT separately, hence ``normalise_pt=False``)."""
    transforms: list[Transform] = [CentreJets()]
    if n is not None:
        transforms.append(KeepHardest(n))
    if normalise_pt:
        transforms.append(NormalisePT())
    return Compose(transforms)(events)
