"""Data safety: interrupted writes leave no temporary file behind, written files get the
umask's mode, damaged checkpoints are refused by name."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from augment._files import atomic_path, stale_temporaries
from augment.io import read, write_events
from training.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]

WRITE_EVENTS = """
    import numpy as np
    from augment.io import write_events
    write_events(TARGET, np.zeros((4, 3)), np.ones((4, 1)), np.array([0, 4]), np.array([0]),
                 coord_names="xyz", coord_units=["cm"] * 3, feature_names=["E"], feature_units=["MeV"],
                 label_names=["a"], settings={})
"""
SAVE_CHECKPOINT = """
    import torch
    from training.checkpoint import save_checkpoint
    save_checkpoint({"w": torch.zeros(1000)}, TARGET)
"""


def kill_mid_write(target: Path, writer: str, stall: str) -> None:
    """Run ``writer`` in a subprocess whose ``stall`` callable blocks once the temporary
    file exists, then SIGKILL it there."""
    script = f"import time\nTARGET = {str(target)!r}\n" + stall + textwrap.dedent(writer)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline() == b"writing\n"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


STALL_H5 = """
import h5py
_create = h5py.File.create_dataset
def stall(self, *a, **k):
    _create(self, *a, **k)
    print("writing", flush=True)
    time.sleep(600)
h5py.File.create_dataset = stall
"""
STALL_TORCH = """
import hashlib
_sha256 = hashlib.sha256
def stall(data=b"", *args, **kwargs):  # the checkpoint's hash of its payload (a memoryview), once it is in the
    if not isinstance(data, memoryview):  # temporary file; other hashes (numba's cache at import) pass through
        return _sha256(data, *args, **kwargs)
    print("writing", flush=True)
    time.sleep(600)
hashlib.sha256 = stall
"""


@pytest.mark.parametrize("writer, stall, name", [(WRITE_EVENTS, STALL_H5, "events.h5"),
                                                 (SAVE_CHECKPOINT, STALL_TORCH, "last.pt")])
def test_sigkill_mid_write_leaves_no_temporary_after_the_next_write(tmp_path, writer, stall, name):
    # Regression: SIGKILL during write_events / a checkpoint save left a *.tmp file (8 of 8 trials).
    target = tmp_path / name
    for _ in range(2):  # each write first removes what the previous killed one left
        kill_mid_write(target, writer, stall)
        assert not target.exists()
        left = [p.name for p in tmp_path.iterdir()]
        assert len(left) == 1 and left[0].startswith(f".{name}.") and left[0].endswith(".tmp")
        assert stale_temporaries(target) == [tmp_path / left[0]]  # hidden, and stale: its writer is gone
    subprocess.run([sys.executable, "-c", f"TARGET = {str(target)!r}\n" + textwrap.dedent(writer)], cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_live_writers_temporaries_are_kept(tmp_path):
    target = tmp_path / "f.h5"
    with atomic_path(target) as tmp:
        with atomic_path(target) as inner:  # a second write while the first is under way
            inner.write_bytes(b"x")
        assert tmp.exists()  # this process is alive: its temporary is not stale
        tmp.write_bytes(b"y")
    assert target.read_bytes() == b"y" and [p.name for p in tmp_path.iterdir()] == ["f.h5"]


def test_written_files_get_the_umask_mode(tmp_path):
    # Regression: files were written with mode 0600 whatever the umask.
    old = os.umask(0o027)
    try:
        write_events(tmp_path / "e.h5", np.zeros((1, 3)), np.ones((1, 1)), np.array([0, 1]), np.array([0]),
                     coord_names="xyz", coord_units=["cm"] * 3, feature_names=["E"], feature_units=["MeV"],
                     label_names=["a"], settings={})
        save_checkpoint({"x": 1}, tmp_path / "c.pt")
    finally:
        os.umask(old)
    for name in ("e.h5", "c.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640
    assert read(tmp_path / "e.h5").num_events == 1


def test_checkpoint_round_trip_and_torch_load(tmp_path):
    state = {"w": torch.arange(10.0), "step": 3}
    path = save_checkpoint(state, tmp_path / "c.pt")
    assert load_checkpoint(path)["step"] == 3 and torch.equal(load_checkpoint(path)["w"], state["w"])
    assert torch.equal(torch.load(path)["w"], state["w"])  # plain torch.load still reads it


def test_damaged_truncated_or_empty_checkpoints_raise_naming_the_file(tmp_path):
    # Regression: 4 KiB of flipped bytes loaded without complaint (training went on with NaN);
    # a truncated or empty file gave raw torch / EOF errors.
    path = save_checkpoint({"w": torch.randn(50_000)}, tmp_path / "c.pt")
    data = bytearray(path.read_bytes())
    flipped = tmp_path / "flipped.pt"
    data[100_000:104_096] = bytes(b ^ 0xFF for b in data[100_000:104_096])
    flipped.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"checkpoint .*flipped\.pt: checksum mismatch, the file is damaged"):
        load_checkpoint(flipped)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:150_000])
    with pytest.raises(ValueError, match=r"checkpoint .*truncated\.pt: no checksum trailer"):
        load_checkpoint(truncated)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"checkpoint .*empty\.pt: the file is empty"):
        load_checkpoint(empty)
    plain = tmp_path / "plain.pt"
    torch.save({"w": 1}, plain)
    with pytest.raises(ValueError, match=r"plain\.pt: no checksum trailer .* not a hep-augment checkpoint"):
        load_checkpoint(plain)
