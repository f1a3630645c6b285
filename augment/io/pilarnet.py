"""PILArNet-M (Young et al., arXiv:2502.02558; the continuation of PILArNet, arXiv:2006.01993),
simulated LArTPC events as 3D points.

Each HDF5 file holds, per event (one row each, variable-length arrays):

* ``point``: the points flattened, 8 values per point, starting x, y, z (voxel indices of the
  detector grid) and E (deposited energy, MeV);
* ``cluster``: the clusters flattened, one row per cluster whose first value is its number of
  points and whose value 4 is its semantic class (0 shower, 1 track, 2 Michel electron,
  3 delta ray, 4 low-energy deposit). The points are stored cluster after cluster, so the
  sizes sum to the event's number of points. Newer files have 6 values per cluster (size,
  id, group, interaction, semantic, particle id), older ones 5 (semantic last); the reader
  finds which from the first event and checks every event it reads.

Events read as coords (x, y, z) in voxel units and feats (E in MeV, semantic class), the
class repeated onto each point so that it follows the points through point-dropping and
point-moving transforms; there are no per-event labels."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch

from augment._events import Events
from augment.io._source import HDF5_SIGNATURE, Source, SourceInfo, file_head

__all__ = ["PilarnetSource", "SEMANTIC_NAMES", "POINT_COLUMNS"]

SEMANTIC_NAMES = ["shower", "track", "michel", "delta", "low_energy"]
POINT_COLUMNS = 8
_SEMANTIC = 4
_CLUSTER_LAYOUTS = (6, 5)


class PilarnetSource(Source):
    """A PILArNet-M HDF5 file (datasets ``point`` and ``cluster``)."""

    format = "pilarnet"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if not head.startswith(HDF5_SIGNATURE):
            return False
        with h5py.File(path, "r") as f:
            return "point" in f and "cluster" in f

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not file_head(self.path).startswith(HDF5_SIGNATURE) or not self.sniff(self.path, HDF5_SIGNATURE):
            raise ValueError(f"path: {self.path} is not a PILArNet-M file (expected HDF5 with variable-length "
                             "datasets 'point' and 'cluster')")
        with h5py.File(self.path, "r") as f:
            if len(f["point"]) != len(f["cluster"]):
                raise ValueError(f"{self.path}: expected one 'cluster' row per 'point' row, got "
                                 f"{len(f['cluster'])} and {len(f['point'])}")
            self.num_events = len(f["point"])
            self.cluster_columns = self._find_layout(f["point"][0], f["cluster"][0]) if self.num_events else 6
        self.info = SourceInfo(format=self.format, coord_names=["x", "y", "z"], coord_units=["voxel"] * 3,
                               feature_names=["E", "semantic"], feature_units=["MeV", "class"], label_names=None,
                               settings={"semantic_names": SEMANTIC_NAMES})

    def _find_layout(self, point: np.ndarray, cluster: np.ndarray) -> int:
        n = len(point) // POINT_COLUMNS
        for k in _CLUSTER_LAYOUTS:
            if len(cluster) % k == 0 and int(cluster.reshape(-1, k)[:, 0].sum()) == n:
                return k
        raise ValueError(f"{self.path}: event 0's 'cluster' row ({len(cluster)} values) matches neither "
                         f"{_CLUSTER_LAYOUTS} values per cluster with sizes summing to its {n} points")

    def _read(self, start: int, stop: int) -> Events:
        with h5py.File(self.path, "r") as f:
            points, clusters = f["point"][start:stop], f["cluster"][start:stop]
        rows, semantic, counts = [], [], np.zeros(stop - start, dtype=np.int64)
        k = self.cluster_columns
        for i, (p, c) in enumerate(zip(points, clusters)):
            if len(p) % POINT_COLUMNS or len(c) % k:
                raise ValueError(f"{self.path}: event {start + i} has {len(p)} point values and {len(c)} cluster "
                                 f"values, expected multiples of {POINT_COLUMNS} and {k}")
            p, c = p.reshape(-1, POINT_COLUMNS), c.reshape(-1, k)
            if int(c[:, 0].sum()) != len(p) or (c[:, 0] < 0).any():
                raise ValueError(f"{self.path}: event {start + i} has {len(p)} points but cluster sizes summing to "
                                 f"{int(c[:, 0].sum())}")
            rows.append(p[:, :4])
            semantic.append(np.repeat(c[:, _SEMANTIC], c[:, 0]))
            counts[i] = len(p)
        table = np.concatenate(rows) if rows else np.zeros((0, 4), np.float32)
        sem = np.concatenate(semantic) if semantic else np.zeros(0)
        coords = torch.from_numpy(table[:, :3].astype(np.float32))
        feats = torch.from_numpy(np.stack([table[:, 3], sem], axis=1).astype(np.float32))
        batch = torch.repeat_interleave(torch.arange(stop - start), torch.from_numpy(counts))
        return Events(coords, feats, batch, stop - start, None, tuple(self.info.feature_names))
