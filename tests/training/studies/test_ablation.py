"""End to end: the ablation script on a tiny budget writes its table, CSV and plot."""

import csv

import pytest

from training.studies import ablation, tasks

TINY = tasks.Budget(events_per_class=6, epochs=1, batch_size=8, seeds=(0, 1, 2), width=8)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One generated-data cache for the module: the tiny data sets are generated once."""
    return tmp_path_factory.mktemp("data")


def run(task, tmp_path, jobs, data_dir, out="out"):
    ablation.main(["--task", task, "--quick", "--out", str(tmp_path / out), "--data-dir", str(data_dir),
                   "--workers", "1", "--jobs", str(jobs), "--bootstrap", "50", "--device", "cpu"])
    return tmp_path / out / task


@pytest.mark.slow
@pytest.mark.parametrize("task", ["lartpc", "jets"])
def test_ablation_tiny(task, tmp_path, data_dir, monkeypatch, capsys):
    monkeypatch.setitem(tasks.PRESETS, (task, "quick"), TINY)
    out = run(task, tmp_path, 1, data_dir)
    rows = list(csv.DictReader((out / "runs.csv").open()))
    the_task = tasks.TASKS[task](tasks.default_strengths(), TINY)
    ceiling = int(task == "lartpc")  # the LArTPC table carries the supervised ceiling
    expected_rows = 1 + 3 * (1 + ceiling + len(the_task.augmentation_sets()))
    assert len(rows) == expected_rows
    metric = tasks.TASKS[task].metrics[0]
    assert all(0.0 <= float(r[metric]) <= 1.0 for r in rows)
    for name in the_task.invariance_views():
        assert all(-1.0 <= float(r[f"inv. {name}"]) <= 1.0 for r in rows if r["row"] != ablation.RAW)
    table = (out / "table.md").read_text()
    assert table in capsys.readouterr().out
    assert "| random-init encoder |" in table and "| all |" in table and "± " in table
    assert f"Δ {metric} vs none" in table and "95% bootstrap interval" in table
    none_line = next(line for line in table.splitlines() if line.startswith("| none |"))
    assert "| — |" in none_line  # no difference of "none" to itself
    assert any(v in table for v in ("better", "worse", "not resolved"))
    assert (out / f"{metric}.png").stat().st_size > 1000
    if ceiling:
        assert "| supervised (ceiling) |" in table
        # Confusion matrices of "all" and of the ceiling: one row per class, fractions summing to 1.
        for title in ("**all**", "**supervised (ceiling)**"):
            block = table.split(title)[1].split("\n\n")[1].splitlines()[2:]
            assert [line.split(" | ")[0].strip("| ") for line in block] == list(tasks.LArTask.class_names)
            for line in block:
                assert abs(sum(float(v) for v in line.strip("| ").split(" | ")[1:]) - 1.0) < 0.02


@pytest.mark.slow
def test_processes_do_not_change_the_result(tmp_path, data_dir, monkeypatch):
    """--jobs 2 (spawned workers, which see the patched preset through the task they are sent) gives
    the runs and table of --jobs 1, up to the timings."""
    monkeypatch.setitem(tasks.PRESETS, ("jets", "quick"), tasks.Budget(events_per_class=6, epochs=1, batch_size=8,
                                                                     seeds=(0, 1, 2), width=8))
    one, two = run("jets", tmp_path, 1, data_dir, "one"), run("jets", tmp_path, 2, data_dir, "two")
    drop = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert drop(csv.DictReader((one / "runs.csv").open())) == drop(csv.DictReader((two / "runs.csv").open()))
    body = lambda p: (p / "table.md").read_text().split("\n\n", 1)[1]  # noqa: E731
    assert body(one) == body(two)
