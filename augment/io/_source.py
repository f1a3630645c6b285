"""What every file format provides: a :class:`Source` reads any slice of a file's events
without reading the rest, and describes its columns in a :class:`SourceInfo`."""

from __future__ import annotations

import abc
import importlib
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from augment._events import Events

__all__ = ["Source", "SourceInfo", "HDF5_SIGNATURE", "ROOT_SIGNATURE", "file_head", "require"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # HDF5 File Format Specification, "Superblock" (at offset 0 here)
ROOT_SIGNATURE = b"root"                 # ROOT file header: the first four bytes (ROOT TFile reference)


@dataclass(frozen=True)
class SourceInfo:
    """Column names and units of a file's events; ``label_names`` is None for unlabelled files."""

    format: str
    coord_names: list[str]
    coord_units: list[str]
    feature_names: list[str]
    feature_units: list[str]
    label_names: list[str] | None
    settings: dict[str, Any] = field(default_factory=dict)


class Source(abc.ABC):
    """One file of events: ``num_events`` and ``read(start, stop)``. Holds no open handle
    (each read opens the file), so a Source can be pickled into DataLoader workers."""

    format: ClassVar[str]
    path: Path
    num_events: int
    info: SourceInfo

    @classmethod
    @abc.abstractmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        """True when the file (its first bytes ``head``) looks like this format."""

    @abc.abstractmethod
    def _read(self, start: int, stop: int) -> Events:
        """Events ``start:stop`` (already checked: 0 <= start <= stop <= num_events)."""

    def read(self, start: int = 0, stop: int | None = None) -> Events:
        """Events ``start:stop`` of the file, reading only those."""
        stop = self.num_events if stop is None else stop
        for name, value in (("start", start), ("stop", stop)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise TypeError(f"{name}: expected an int, got {value!r}")
        if not 0 <= start <= stop <= self.num_events:
            raise ValueError(f"start, stop: expected 0 <= start <= stop <= {self.num_events} (events in "
                             f"{self.path}), got start={start}, stop={stop}")
        return self._read(int(start), int(stop))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, num_events={self.num_events})"


def file_head(path: str | os.PathLike, size: int = 8) -> bytes:
    """The first ``size`` bytes of ``path`` (FileNotFoundError naming it when missing)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no file at {path}")
    with path.open("rb") as f:
        return f.read(size)


def require(module: str, reading: str) -> ModuleType:
    """Import an optional dependency of a reader, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:  # pragma: no cover - the data extra installs them
        raise ImportError(f"reading {reading} files needs {module}: pip install 'hep-augment[data]'") from e
