"""The hep-augment ragged HDF5 format, shared by LArTPC deposits and jets.

Layout of one file:

* ``/coords`` (N, D) float32 and ``/feats`` (N, C) float32: all points of all events,
  chunked and gzip-compressed. Attributes ``names`` and ``units`` document the columns.
* ``/offsets`` (B + 1,) int64: event i is rows ``offsets[i]:offsets[i + 1]``.
* ``/labels`` (B,) int64 and the file attribute ``label_names`` (JSON list).
* File attributes: ``format = "hep-augment-ragged/1"`` and ``settings`` (JSON): every
  generator setting needed to reproduce the file.

:func:`write_events` writes through :func:`augment._files.atomic_path`, so an interrupted
write never leaves a half-written file behind. :class:`RaggedSource` checks the offsets
against the points table when it opens a file and reads any slice of events lazily.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import h5py
import numpy as np
import torch
from torch import Tensor

from augment._events import Events
from augment._files import atomic_path
from augment.io._source import HDF5_SIGNATURE, Source, SourceInfo, file_head

FORMAT = "hep-augment-ragged/1"

__all__ = ["FORMAT", "write_events", "read_events", "RaggedSource", "check_offsets"]


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
    check_offsets(offsets, len(labels), len(coords), "offsets")
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


def check_offsets(offsets: np.ndarray, num_events: int, num_points: int, where: str) -> None:
    """``offsets`` must be (B + 1,) non-decreasing from 0 to the number of points N;
    ``where`` names the array (and file) in the error."""
    if offsets.shape != (num_events + 1,):
        raise ValueError(f"{where}: expected {num_events + 1} offsets (B + 1 for B = {num_events} labels), "
                         f"got {len(offsets)}")
    if offsets[0] != 0 or offsets[-1] != num_points:
        raise ValueError(f"{where}: expected offsets from 0 to the {num_points} rows of the points table, "
                         f"got {int(offsets[0])} to {int(offsets[-1])}")
    step = np.diff(offsets)
    if (step < 0).any():
        i = int(np.argmax(step < 0))
        raise ValueError(f"{where}: expected non-decreasing offsets, event {i} has offsets "
                         f"{int(offsets[i])} > {int(offsets[i + 1])}")


def _as_numpy(name: str, x: np.ndarray | Tensor, dtype, ndim: int) -> np.ndarray:
    arr = x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return arr.astype(dtype, copy=False)


class RaggedSource(Source):
    """A hep-augment ragged file. Opening it reads only the offsets and labels and checks
    them against the points table; :meth:`read` reads the rows of the requested events."""

    format = "hep-augment"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if not head.startswith(HDF5_SIGNATURE):
            return False
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == FORMAT

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not file_head(self.path).startswith(HDF5_SIGNATURE):
            raise ValueError(f"path: {self.path} is not a {FORMAT} file (expected HDF5, it is not an HDF5 file)")
        with h5py.File(self.path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise ValueError(f"path: {self.path} is not a {FORMAT} file (format={f.attrs.get('format')!r})")
            self.info = SourceInfo(
                format=self.format,
                coord_names=json.loads(f["coords"].attrs["names"]), coord_units=json.loads(f["coords"].attrs["units"]),
                feature_names=json.loads(f["feats"].attrs["names"]), feature_units=json.loads(f["feats"].attrs["units"]),
                label_names=json.loads(f.attrs["label_names"]), settings=json.loads(f.attrs["settings"]))
            self.offsets = f["offsets"][:].astype(np.int64, copy=False)
            self.labels = f["labels"][:].astype(np.int64, copy=False)
            if f["coords"].shape[0] != f["feats"].shape[0]:
                raise ValueError(f"{self.path}: expected coords and feats with the same number of rows, got "
                                 f"{f['coords'].shape[0]} and {f['feats'].shape[0]}")
            check_offsets(self.offsets, len(self.labels), f["coords"].shape[0], f"{self.path}: /offsets")
        self.num_events = len(self.labels)

    def _read(self, start: int, stop: int) -> Events:
        lo, hi = int(self.offsets[start]), int(self.offsets[stop])
        with h5py.File(self.path, "r") as f:
            coords = torch.from_numpy(f["coords"][lo:hi])
            feats = torch.from_numpy(f["feats"][lo:hi])
        counts = torch.from_numpy(np.diff(self.offsets[start:stop + 1]))
        batch = torch.repeat_interleave(torch.arange(stop - start), counts)
        return Events(coords, feats, batch, stop - start, torch.from_numpy(self.labels[start:stop].copy()),
                      tuple(self.info.feature_names))


def read_events(path: str | os.PathLike) -> Events:
    """A whole ragged file as one Events batch (with labels)."""
    return RaggedSource(path).read()
