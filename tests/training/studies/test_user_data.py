"""The ablation on a user's files: top-tagging, JetClass and PILArNet-M layouts written by
their real writers (pandas, uproot, h5py)."""

import csv

import numpy as np
import pytest

from training.studies import ablation, tasks
from training.studies.user_data import read_user_events
from tests.io.writers import jets, pilarnet_events, write_jetclass, write_pilarnet, write_top_tagging

TINY = tasks.Budget(events_per_class=6, epochs=1, batch_size=8, seeds=(0,), width=8)


def run(tmp_path, monkeypatch, task, paths):
    monkeypatch.setitem(tasks.PRESETS, (task, "quick"), TINY)
    ablation.main(["--data", *map(str, paths), "--max-events", "24", "--quick", "--out", str(tmp_path / "out"),
                   "--jobs", "1", "--bootstrap", "50", "--device", "cpu"])
    rows = list(csv.DictReader((tmp_path / "out" / task / "runs.csv").open()))
    return rows, (tmp_path / "out" / task / "table.md").read_text()


@pytest.mark.slow
def test_ablation_on_top_tagging_file(tmp_path, monkeypatch):
    path = write_top_tagging(tmp_path / "train.h5", jets(30, 8, seed=0), np.arange(30) % 2, "fixed")
    rows, table = run(tmp_path, monkeypatch, "jets", [path])
    assert len(rows) == 2 + 5 and all(0.0 <= float(r["auc"]) <= 1.0 for r in rows)
    assert "24 events (from train.h5" in table


@pytest.mark.slow
def test_ablation_on_pilarnet_file_probes_the_dominant_semantic_class(tmp_path, monkeypatch):
    path = write_pilarnet(tmp_path / "p.h5", pilarnet_events(30, seed=1))
    rows, _ = run(tmp_path, monkeypatch, "lartpc", [path])
    assert {r["row"] for r in rows} >= {"none", "all cards", "rotation"}
    assert all(0.0 <= float(r["accuracy"]) <= 1.0 for r in rows)


def test_user_events_take_an_equal_share_of_each_file(tmp_path):
    # JetClass keeps one class per file: reading the first events of the first file would give one class.
    a = write_jetclass(tmp_path / "HToBB.root", jets(10, 3, seed=2), np.full(10, 1))
    b = write_jetclass(tmp_path / "ZJetsToNuNu.root", jets(10, 3, seed=3), np.zeros(10, int))
    events, _ = read_user_events([a, b], None, 8)
    assert events.labels.tolist() == [1] * 4 + [0] * 4
