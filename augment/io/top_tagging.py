"""The top-tagging reference dataset (Kasieczka et al., "The Machine Learning Landscape of
Top Taggers", arXiv:1902.09914; files train.h5 / val.h5 / test.h5).

Each file is a pandas HDFStore with one frame (key ``"table"``): one row per jet, columns
``E_i, PX_i, PY_i, PZ_i`` (GeV) for constituents i < 200 ordered by pT, zero-padded, and the
label ``is_signal_new`` (1 = top, 0 = QCD). Both pandas layouts read (``to_hdf(format=
"fixed")``, the one of the published files, and ``format="table"``); a slice of rows is
read without reading the others. Needs pandas and PyTables (the ``data`` extra)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import h5py
import numpy as np
import torch

from augment._events import Events
from augment.io._source import HDF5_SIGNATURE, Source, SourceInfo, file_head, require
from augment.io.arrays import jets_from_four_vectors

__all__ = ["TopTaggingSource", "LABEL_NAMES", "LABEL_COLUMN"]

LABEL_NAMES = ["QCD", "top"]
LABEL_COLUMN = "is_signal_new"
_PANDAS_TYPES = (b"frame", b"frame_table", "frame", "frame_table")


def _pandas():
    return require("pandas", "top-tagging")


class TopTaggingSource(Source):
    """A top-tagging HDFStore. ``key`` is the frame's key (default ``"table"``, else the
    store's only frame)."""

    format = "top-tagging"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if not head.startswith(HDF5_SIGNATURE):
            return False
        with h5py.File(path, "r") as f:
            return any(isinstance(g, h5py.Group) and g.attrs.get("pandas_type") in _PANDAS_TYPES for g in f.values())

    def __init__(self, path: str | os.PathLike, key: str | None = None) -> None:
        self.path = Path(path)
        if not file_head(self.path).startswith(HDF5_SIGNATURE) or not self.sniff(self.path, HDF5_SIGNATURE):
            raise ValueError(f"path: {self.path} is not a top-tagging file (expected a pandas HDFStore written by "
                             "DataFrame.to_hdf, with columns E_i, PX_i, PY_i, PZ_i)")
        pd = _pandas()
        with pd.HDFStore(self.path, "r") as store:
            keys = [k.lstrip("/") for k in store.keys()]
            if key is None:
                key = "table" if "table" in keys or len(keys) != 1 else keys[0]
            if key not in keys:
                raise ValueError(f"key: {self.path} has no frame {key!r} (frames: {keys})")
            storer = store.get_storer(key)
            self.num_events = int(storer.nrows if storer.is_table else storer.shape[0])
            columns = list(pd.read_hdf(store, key, start=0, stop=0).columns)
        self.key = key
        numbers = sorted(int(m.group(1)) for c in columns if (m := re.fullmatch(r"E_(\d+)", str(c))))
        if not numbers:
            raise ValueError(f"path: {self.path} is not a top-tagging file (frame {key!r} has no E_i columns)")
        if numbers != list(range(len(numbers))):
            raise ValueError(f"{self.path}: expected constituent columns E_0 ... E_{len(numbers) - 1}, got {numbers}")
        self.four_vector_columns = [[f"{q}_{i}" for i in numbers] for q in ("PX", "PY", "PZ", "E")]
        missing = [c for cols in self.four_vector_columns for c in cols if c not in columns]
        if missing:
            raise ValueError(f"{self.path}: frame {key!r} lacks the four-vector columns {missing[:4]}...")
        self.labelled = LABEL_COLUMN in columns
        self.info = SourceInfo(format=self.format, coord_names=["eta", "phi"], coord_units=["", "rad"],
                               feature_names=["pT", "E"], feature_units=["GeV", "GeV"],
                               label_names=LABEL_NAMES if self.labelled else None)

    def _read(self, start: int, stop: int) -> Events:
        frame = _pandas().read_hdf(self.path, self.key, start=start, stop=stop)
        px, py, pz, e = (frame[cols].to_numpy(np.float64) for cols in self.four_vector_columns)
        real = (px != 0) | (py != 0) | (pz != 0) | (e != 0)  # padding: all four components zero
        counts = real.sum(1)
        coords, feats = jets_from_four_vectors(px[real], py[real], pz[real], e[real], str(self.path))
        labels = None
        if self.labelled:
            labels = torch.from_numpy(frame[LABEL_COLUMN].to_numpy().astype(np.int64))
            if len(labels) and not bool(((labels == 0) | (labels == 1)).all()):
                raise ValueError(f"{self.path}: expected {LABEL_COLUMN} in {{0, 1}}, got {labels.unique().tolist()}")
        batch = torch.repeat_interleave(torch.arange(stop - start), torch.from_numpy(counts))
        return Events(coords, feats, batch, stop - start, labels, tuple(self.info.feature_names))
