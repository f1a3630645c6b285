"""One entry point for every format: :func:`read`, :func:`open_source`, :func:`detect_format`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from augment._events import Events
from augment.io._source import Source, file_head
from augment.io.jetclass import JetClassSource
from augment.io.pilarnet import PilarnetSource
from augment.io.ragged import FORMAT, RaggedSource
from augment.io.top_tagging import TopTaggingSource

__all__ = ["FORMATS", "detect_format", "open_source", "read"]

FORMATS: dict[str, type[Source]] = {s.format: s for s in (RaggedSource, TopTaggingSource, JetClassSource,
                                                          PilarnetSource)}


def detect_format(path: str | os.PathLike) -> str:
    """The format of ``path`` from its content (not its name); ValueError naming the file
    when it is none of :data:`FORMATS`."""
    path = Path(path)
    head = file_head(path)
    for name, source in FORMATS.items():
        try:
            if source.sniff(path, head):
                return name
        except OSError as e:
            raise ValueError(f"path: cannot read {path} as a {name} file: {e}") from e
    raise ValueError(f"path: cannot tell the format of {path} from its content (expected one of {list(FORMATS)}: "
                     f"a {FORMAT} file, a top-tagging pandas HDFStore, a JetClass ROOT file or a PILArNet-M HDF5 "
                     "file); pass format= to say which")


def open_source(path: str | os.PathLike, format: str | None = None, **options: Any) -> Source:
    """A :class:`~augment.io.Source` for ``path`` in ``format`` (detected when None).
    ``options`` go to the format's reader (``key=`` for top tagging)."""
    if format is None:
        format = detect_format(path)
    if format not in FORMATS:
        raise ValueError(f"format: expected one of {list(FORMATS)} or None, got {format!r}")
    return FORMATS[format](path, **options)


def read(path: str | os.PathLike, format: str | None = None, start: int = 0, stop: int | None = None,
         **options: Any) -> Events:
    """Events ``start:stop`` of the file ``path`` (all by default), reading only those.

    ``format``: ``"hep-augment"`` (this project's ragged files), ``"top-tagging"``
    (arXiv:1902.09914), ``"jetclass"`` (arXiv:2202.03772), ``"pilarnet"`` (PILArNet-M,
    arXiv:2502.02558), or None to detect it from the file's content. Jets read as coords
    (eta, phi) and feats (pT, E) in GeV with labels; PILArNet-M as coords (x, y, z) in
    voxels and feats (E in MeV, semantic class)."""
    return open_source(path, format, **options).read(start, stop)
