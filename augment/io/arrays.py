"""Events from the array layouts people already have: padded (B, n, ...) arrays with a
mask, flat arrays with per-event counts, awkward (jagged) record arrays. Every function
takes numpy arrays or torch tensors; :class:`augment.Events` exposes them as classmethods.

:func:`jets_from_four_vectors` turns constituent four-momenta into the jet convention of
:mod:`augment.jets`: coords (eta, phi), feats (pT, E)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from augment._events import Events
from augment.functional.jets import wrap_phi

__all__ = ["from_padded", "from_counts", "from_awkward", "jets_from_four_vectors"]

ArrayLike = np.ndarray | Tensor


def _tensor(name: str, x: ArrayLike, ndim: int) -> Tensor:
    t = x if isinstance(x, Tensor) else torch.from_numpy(np.ascontiguousarray(x))
    if t.dim() != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {tuple(t.shape)}")
    return t


def _labels(labels: ArrayLike | Sequence[int] | None, device: torch.device) -> Tensor | None:
    if labels is None:
        return None
    return torch.as_tensor(np.asarray(labels) if not isinstance(labels, Tensor) else labels, device=device)


def from_padded(coords: ArrayLike, feats: ArrayLike, mask: ArrayLike, labels: ArrayLike | None = None,
                feature_names: Sequence[str] | None = None) -> Events:
    """Events from padded ``coords`` (B, n, D), ``feats`` (B, n, C) and a boolean ``mask``
    (B, n), True on real points (padding anywhere in a row is dropped; the points of an
    event keep their order). The inverse of :meth:`Events.padded`."""
    c, f, m = _tensor("coords", coords, 3), _tensor("feats", feats, 3), _tensor("mask", mask, 2)
    if m.dtype != torch.bool:
        raise TypeError(f"mask: expected a boolean (B, n) array, got {m.dtype}")
    if c.shape[:2] != m.shape or f.shape[:2] != m.shape:
        raise ValueError(f"coords, feats, mask: expected (B, n, D), (B, n, C), (B, n) with the same B and n, got "
                         f"{tuple(c.shape)}, {tuple(f.shape)}, {tuple(m.shape)}")
    m = m.to(c.device)
    batch = torch.arange(m.shape[0], device=c.device)[:, None].expand_as(m)[m]
    return Events(c[m], f[m], batch, m.shape[0], _labels(labels, c.device),
                  None if feature_names is None else tuple(feature_names))


def from_counts(coords: ArrayLike, feats: ArrayLike, counts: ArrayLike, labels: ArrayLike | None = None,
                feature_names: Sequence[str] | None = None) -> Events:
    """Events from flat ``coords`` (N, D), ``feats`` (N, C) sorted by event and the number
    of points of each event ``counts`` (B,) (>= 0, summing to N)."""
    c, f = _tensor("coords", coords, 2), _tensor("feats", feats, 2)
    n = _tensor("counts", counts, 1).to(device=c.device)
    if n.dtype.is_floating_point or n.dtype == torch.bool:
        raise TypeError(f"counts: expected integer counts, got {n.dtype}")
    n = n.to(torch.int64)
    if len(n) and int(n.min()) < 0:
        raise ValueError(f"counts: expected counts >= 0, got a minimum of {int(n.min())}")
    if int(n.sum()) != c.shape[0]:
        raise ValueError(f"counts: expected counts summing to the {c.shape[0]} rows of coords, got {int(n.sum())}")
    batch = torch.repeat_interleave(torch.arange(len(n), device=c.device), n)
    return Events(c, f, batch, len(n), _labels(labels, c.device),
                  None if feature_names is None else tuple(feature_names))


def from_awkward(array: Any, coords: Sequence[str], feats: Sequence[str], labels: ArrayLike | None = None,
                 dtype: torch.dtype = torch.float32) -> Events:
    """Events from an awkward record array of type ``B * var * {fields}``: the fields
    ``coords`` (e.g. ``("eta", "phi")``) become the coords columns and ``feats`` (e.g.
    ``("pt",)``) the feats columns, named by their fields."""
    import awkward as ak

    missing = [name for name in (*coords, *feats) if name not in ak.fields(array)]
    if missing:
        raise ValueError(f"coords, feats: fields {missing} are not in the array (fields: {ak.fields(array)})")
    if not coords or not feats:
        raise ValueError(f"coords, feats: expected at least one field each, got {tuple(coords)} and {tuple(feats)}")
    counts = ak.to_numpy(ak.num(array[coords[0]], axis=1))

    def columns(names: Sequence[str]) -> Tensor:
        cols = [ak.to_numpy(ak.flatten(array[name], axis=1)).astype(np.float64) for name in names]
        return torch.from_numpy(np.stack(cols, axis=1)).to(dtype)

    return from_counts(columns(coords), columns(feats), counts, labels, tuple(feats))


def jets_from_four_vectors(px: np.ndarray, py: np.ndarray, pz: np.ndarray, energy: np.ndarray,
                           where: str) -> tuple[Tensor, Tensor]:
    """Constituent (N,) four-momenta in GeV -> coords (N, 2) = (eta, phi) and feats (N, 2)
    = (pT in GeV, E in GeV), float32, computed in float64:
    pT = sqrt(px^2 + py^2), eta = asinh(pz / pT), phi = atan2(py, px) wrapped into [-pi, pi)
    (PDG Review "Kinematics", sec. 49.5). A constituent with pT = 0 has no pseudorapidity:
    ValueError naming ``where`` (the file)."""
    px, py, pz, energy = (np.asarray(a, dtype=np.float64) for a in (px, py, pz, energy))
    pt = np.hypot(px, py)
    if (pt == 0).any():
        i = int(np.argmax(pt == 0))
        raise ValueError(f"{where}: constituent {i} has pT = 0 (px = py = 0, pz = {pz[i]}, E = {energy[i]} GeV), "
                         "so no pseudorapidity; expected padding to be all-zero four-vectors")
    eta = np.arcsinh(pz / pt)
    phi = wrap_phi(torch.from_numpy(np.arctan2(py, px)).float())
    coords = torch.stack([torch.from_numpy(eta).float(), phi], dim=1)
    feats = torch.from_numpy(np.stack([pt, energy], axis=1)).float()
    if not torch.isfinite(coords).all() or not torch.isfinite(feats).all():
        raise ValueError(f"{where}: expected finite four-momenta, found NaN or inf")
    return coords, feats
