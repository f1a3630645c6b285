"""Atomic file writes: write beside the target, then rename it into place.

The temporary file is hidden (``.NAME.HOST.PID.TOKEN.tmp``, so globs like ``*.h5`` never
see it) and created with mode 0o666 filtered by the umask, as ``open`` creates files, so
the renamed file gets the umask's mode. A writer killed outright (SIGKILL, power loss)
cannot remove its temporary file; the next write to the same target removes every one
left by a process of this host that no longer runs."""

from __future__ import annotations

import os
import secrets
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path", "stale_temporaries"]

_SUFFIX = ".tmp"


def _prefix(path: Path) -> str:
    return f".{path.name}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files of writes to ``path`` whose writer (a process of this host) is gone."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    host, prefix, stale = socket.gethostname(), _prefix(path), []
    for entry in path.parent.iterdir():
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        parts = name[len(prefix):-len(_SUFFIX)].rsplit(".", 2)  # HOST (may hold dots), PID, TOKEN
        if len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not _alive(int(parts[1])):
            stale.append(entry)
    return stale


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s directory (created if missing). When the block ends
    without error the file is synced to disk and renamed onto ``path`` (``os.replace``, atomic
    on one filesystem); on any error it is deleted. So ``path`` holds either its previous
    content or the complete new file, never a partial one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in stale_temporaries(path):
        old.unlink(missing_ok=True)
    tmp = path.parent / f"{_prefix(path)}{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
