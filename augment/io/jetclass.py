"""JetClass (Qu, Li, Qian, "Particle Transformer for Jet Tagging", arXiv:2202.03772).

Each file is a ROOT file with a TTree ``"tree"``: one entry per jet, jagged branches
``part_px, part_py, part_pz, part_energy`` (GeV) per constituent and one-hot flags
``label_QCD, label_Hbb, ...`` (the ten classes below, in the order of the paper's
Table 1 and of the particle_transformer data configs). Read with uproot (the ``data``
extra); a slice of entries is read without reading the others."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from augment._events import Events
from augment.io._source import ROOT_SIGNATURE, Source, SourceInfo, file_head, require
from augment.io.arrays import jets_from_four_vectors

__all__ = ["JetClassSource", "LABEL_NAMES", "TREE"]

LABEL_NAMES = ["QCD", "Hbb", "Hcc", "Hgg", "H4q", "Hqql", "Zqq", "Wqq", "Tbqq", "Tbl"]
TREE = "tree"
_FOUR_VECTOR = ("part_px", "part_py", "part_pz", "part_energy")


def _uproot():
    return require("uproot", "JetClass")


class JetClassSource(Source):
    """A JetClass ROOT file (tree ``tree``)."""

    format = "jetclass"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if not head.startswith(ROOT_SIGNATURE):
            return False
        with _uproot().open(path) as f:
            return TREE in f and all(b in f[TREE] for b in _FOUR_VECTOR)

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        expected = f"a ROOT file with a TTree {TREE!r} holding the branches {list(_FOUR_VECTOR)}"
        if not file_head(self.path).startswith(ROOT_SIGNATURE):
            raise ValueError(f"path: {self.path} is not a JetClass file (expected {expected}; it is not a ROOT file)")
        with _uproot().open(self.path) as f:
            if TREE not in f or not all(b in f[TREE] for b in _FOUR_VECTOR):
                raise ValueError(f"path: {self.path} is not a JetClass file (expected {expected})")
            tree = f[TREE]
            self.num_events = int(tree.num_entries)
            present = [f"label_{name}" in tree for name in LABEL_NAMES]
        if any(present) and not all(present):
            missing = [f"label_{n}" for n, p in zip(LABEL_NAMES, present) if not p]
            raise ValueError(f"{self.path}: expected all ten label_* branches or none, missing {missing}")
        self.labelled = all(present)
        self.info = SourceInfo(format=self.format, coord_names=["eta", "phi"], coord_units=["", "rad"],
                               feature_names=["pT", "E"], feature_units=["GeV", "GeV"],
                               label_names=LABEL_NAMES if self.labelled else None)

    def _read(self, start: int, stop: int) -> Events:
        import awkward as ak

        branches = list(_FOUR_VECTOR) + ([f"label_{n}" for n in LABEL_NAMES] if self.labelled else [])
        with _uproot().open(self.path) as f:
            arrays = f[TREE].arrays(branches, entry_start=start, entry_stop=stop, library="ak")
        counts = ak.to_numpy(ak.num(arrays["part_px"], axis=1)).astype(np.int64)
        px, py, pz, e = (ak.to_numpy(ak.flatten(arrays[b], axis=1)) for b in _FOUR_VECTOR)
        coords, feats = jets_from_four_vectors(px, py, pz, e, str(self.path))
        labels = None
        if self.labelled:
            onehot = np.stack([ak.to_numpy(arrays[f"label_{n}"]).astype(np.float64) for n in LABEL_NAMES], axis=1)
            one_hot = (onehot.sum(1) == 1) & ((onehot == 0) | (onehot == 1)).all(1)
            if not one_hot.all():
                bad = int(np.argmin(one_hot))
                raise ValueError(f"{self.path}: expected one-hot label_* branches, entry {start + bad} has "
                                 f"{onehot[bad].tolist()}")
            labels = torch.from_numpy(onehot.argmax(1).astype(np.int64))
        batch = torch.repeat_interleave(torch.arange(stop - start), torch.from_numpy(counts))
        return Events(coords, feats, batch, stop - start, labels, tuple(self.info.feature_names))
