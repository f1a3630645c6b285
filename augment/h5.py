"""The ragged HDF5 format shared by LArTPC deposits and jets.

Layout of one file:

* ``/coords`` (N, D) float32 and ``/feats`` (N, C) float32: all points of all events,
  chunked and gzip-compressed. Attributes ``names`` and ``units`` document the columns.
* ``/offsets`` (B + 1,) int64: event i is rows ``offsets[i]:offsets[i + 1]``.
* ``/labels`` (B,) int64 and the file attribute ``label_names`` (JSON list).
* File attributes: ``format = "hep-augment-ragged/1"`` and ``settings`` (JSON): every
  generator setting needed to reproduce the file.

:func:`write_events` writes to a temporary file in the same directory and renames it
into place, so an interrupted write never leaves a half-written file behind.
:class:`EventsDataset` is a ``torch.utils.data.Dataset`` of single events and
:func:`collate_events` batches them into :class:`augment.Events`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import h5py
import numpy as np
import torch
from torch import Tensor

from augment._events import Events
from augment._files import atomic_path

FORMAT = "hep-augment-ragged/1"

__all__ = ["write_events", "read_events", "EventsDataset", "collate_events", "FORMAT"]


def write_events(
    path: str | os.PathLike,
    coords: np.ndarray | Tensor,
    feats: np.ndarray | Tensor,
    offsets: np.ndarray | Tensor,
    labels: np.ndarray | Tensor,
    *,
    coord_names: Sequence[str],
    coord_units: Sequence[str],
    feature_names: Sequence[str],
    feature_units: Sequence[str],
    label_names: Sequence[str],
    settings: dict[str, Any],
    chunk_rows: int = 65536,
) -> Path:
    """Write a ragged dataset atomically (temporary file + rename). Returns the path."""
    coords = _as_numpy("coords", coords, np.float32, 2)
    feats = _as_numpy("feats", feats, np.float32, 2)
    offsets = _as_numpy("offsets", offsets, np.int64, 1)
    labels = _as_numpy("labels", labels, np.int64, 1)
    if len(coords) != len(feats):
        raise ValueError(f"coords, feats: expected the same number of rows, got {len(coords)} and {len(feats)}")
    if len(offsets) != len(labels) + 1 or offsets[0] != 0 or offsets[-1] != len(coords) or (np.diff(offsets) < 0).any():
        raise ValueError("offsets: expected (B + 1,) non-decreasing from 0 to N, with B = len(labels)")
    if len(coord_names) != coords.shape[1] or len(coord_units) != coords.shape[1]:
        raise ValueError(f"coord_names, coord_units: expected {coords.shape[1]} entries each")
    if len(feature_names) != feats.shape[1] or len(feature_units) != feats.shape[1]:
        raise ValueError(f"feature_names, feature_units: expected {feats.shape[1]} entries each")
    if len(labels) and not 0 <= labels.min() <= labels.max() < len(label_names):
        raise ValueError(f"labels: expected values in [0, {len(label_names)}) to index label_names")

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["settings"] = json.dumps(settings, sort_keys=True, default=str)
        f.attrs["label_names"] = json.dumps(list(label_names))
        for name, data, names, units in (("coords", coords, coord_names, coord_units),
                                         ("feats", feats, feature_names, feature_units)):
            chunks = (max(1, min(chunk_rows, len(data))), data.shape[1]) if len(data) else None
            ds = f.create_dataset(name, data=data, chunks=chunks, compression="gzip" if chunks else None,
                                  shuffle=bool(chunks))
            ds.attrs["names"] = json.dumps(list(names))
            ds.attrs["units"] = json.dumps(list(units))
        f.create_dataset("offsets", data=offsets)
        f.create_dataset("labels", data=labels)
    return Path(path)


def _as_numpy(name: str, x: np.ndarray | Tensor, dtype, ndim: int) -> np.ndarray:
    arr = x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return arr.astype(dtype, copy=False)


class EventsDataset(torch.utils.data.Dataset):
    """Single events of a ragged h5 file: ``ds[i] -> (coords (n, D), feats (n, C), label)``.

    The whole file is read into memory on first access (datasets here are tens of MB);
    ``transform`` (optional) maps ``(coords, feats)`` of one event, e.g. jet preprocessing."""

    def __init__(self, path: str | os.PathLike,
                 transform: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"path: no dataset file at {self.path}")
        with h5py.File(self.path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise ValueError(f"path: {self.path} is not a {FORMAT} file (format={f.attrs.get('format')!r})")
            self.settings = json.loads(f.attrs["settings"])
            self.label_names = json.loads(f.attrs["label_names"])
            self.coord_names = json.loads(f["coords"].attrs["names"])
            self.coord_units = json.loads(f["coords"].attrs["units"])
            self.feature_names = json.loads(f["feats"].attrs["names"])
            self.feature_units = json.loads(f["feats"].attrs["units"])
            self.offsets = torch.from_numpy(f["offsets"][:])
            self.labels = torch.from_numpy(f["labels"][:])
        self.transform = transform
        self._coords: Tensor | None = None
        self._feats: Tensor | None = None

    def _load(self) -> None:
        with h5py.File(self.path, "r") as f:
            self._coords = torch.from_numpy(f["coords"][:])
            self._feats = torch.from_numpy(f["feats"][:])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor, int]:
        if self._coords is None:
            self._load()
        if not -len(self) <= i < len(self):
            raise IndexError(f"i: expected an event index in [0, {len(self)}), got {i}")
        i = i % len(self)
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        coords, feats = self._coords[lo:hi], self._feats[lo:hi]
        if self.transform is not None:
            coords, feats = self.transform(coords, feats)
        return coords, feats, int(self.labels[i])

    def collate(self, items: Sequence[tuple[Tensor, Tensor, int]]) -> Events:
        """Batch items into Events carrying this file's feature names."""
        return collate_events(items, feature_names=self.feature_names)

    def all_events(self) -> Events:
        """The whole file as one Events batch."""
        return self.collate([self[i] for i in range(len(self))]) if self.transform is not None else \
            _events_from_arrays(self, self.feature_names)


def _events_from_arrays(ds: EventsDataset, feature_names: Sequence[str]) -> Events:
    if ds._coords is None:
        ds._load()
    counts = ds.offsets[1:] - ds.offsets[:-1]
    batch = torch.repeat_interleave(torch.arange(len(ds)), counts)
    return Events(ds._coords, ds._feats, batch, len(ds), ds.labels.clone(), tuple(feature_names))


def collate_events(items: Sequence[tuple[Tensor, Tensor, int]],
                   feature_names: Sequence[str] | None = None) -> Events:
    """``DataLoader`` collate function: a list of (coords, feats, label) -> Events."""
    if len(items) == 0:
        raise ValueError("items: expected at least one event to collate")
    coords, feats, labels = zip(*items)
    return Events.from_list(coords, feats, torch.tensor(labels, dtype=torch.int64), feature_names)


def read_events(path: str | os.PathLike) -> Events:
    """Load a whole ragged h5 file as one Events batch (with labels)."""
    return EventsDataset(path).all_events()
