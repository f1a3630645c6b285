"""End to end: the ablation script on a tiny budget writes its table, CSV and plot."""

import csv

import pytest

from training.studies import ablation, tasks

TINY = tasks.Budget(events_per_class=6, epochs=1, batch_size=8, seeds=(0, 1), width=8)


@pytest.mark.slow
@pytest.mark.parametrize("task", ["lartpc", "jets"])
def test_ablation_tiny(task, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(tasks.PRESETS, (task, "quick"), TINY)
    ablation.main(["--task", task, "--quick", "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path / "data"),
                   "--workers", "1", "--no-progress"])
    out = tmp_path / "out" / task
    rows = list(csv.DictReader((out / "runs.csv").open()))
    expected_rows = 1 + 2 * (1 + len(tasks.TASKS[task](tasks.default_strengths(), TINY).augmentation_sets()))
    assert len(rows) == expected_rows
    metric = tasks.TASKS[task].metrics[0]
    assert all(0.0 <= float(r[metric]) <= 1.0 for r in rows)
    table = (out / "table.md").read_text()
    assert table in capsys.readouterr().out
    assert "| random-init encoder |" in table and "| all |" in table and "± " in table
    assert (out / f"{metric}.png").stat().st_size > 1000

