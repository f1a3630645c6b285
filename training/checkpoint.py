"""Checkpoint files that carry a checksum.

A checkpoint is the ``torch.save`` payload followed by a 48-byte trailer: the magic
``b"HEPCKPT1"``, the payload's SHA-256 digest (32 bytes) and its length (8 bytes, little
endian). ``torch.load`` still reads the file (it ignores the trailer); :func:`load_checkpoint`
first checks the trailer and the digest, so an empty, truncated or damaged file raises a
ValueError naming it instead of loading garbage. Files are written atomically
(:func:`augment._files.atomic_path`)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from pathlib import Path
from typing import Any

import torch

from augment._files import atomic_path

__all__ = ["save_checkpoint", "load_checkpoint", "MAGIC"]

MAGIC = b"HEPCKPT1"
_TRAILER = struct.Struct(f"<{len(MAGIC)}s32sQ")


def save_checkpoint(obj: object, path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` plus the checksum trailer, written atomically to ``path``."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    payload = buffer.getbuffer()
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        f.write(payload)
        f.write(_TRAILER.pack(MAGIC, hashlib.sha256(payload).digest(), len(payload)))
    return Path(path)


def load_checkpoint(path: str | os.PathLike, map_location: Any = None) -> Any:
    """The object saved by :func:`save_checkpoint` at ``path``, after checking its checksum."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no checkpoint file at {path}")
    data = path.read_bytes()
    if not data:
        raise ValueError(f"checkpoint {path}: the file is empty (0 bytes), expected a hep-augment checkpoint")
    if len(data) < _TRAILER.size or data[-_TRAILER.size:][:len(MAGIC)] != MAGIC:
        raise ValueError(f"checkpoint {path}: no checksum trailer at its end: the file is truncated or is not a "
                         "hep-augment checkpoint (written by training.checkpoint.save_checkpoint)")
    _, digest, length = _TRAILER.unpack(data[-_TRAILER.size:])
    payload = memoryview(data)[:-_TRAILER.size]
    if length != len(payload):
        raise ValueError(f"checkpoint {path}: expected a {length}-byte payload, found {len(payload)} bytes "
                         "(truncated or damaged)")
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError(f"checkpoint {path}: checksum mismatch, the file is damaged")
    return torch.load(io.BytesIO(payload), map_location=map_location, weights_only=False)
