import csv

import pytest
import torch

from systematics.parameters import NOMINAL, RANGES
from training.studies import robustness
from training.studies.robustness import MODELS, PARAMETERS, grid_values, score_shift
from training.studies.tasks import Budget

TINY = Budget(events_per_class=6, epochs=1, batch_size=8, seeds=(0,), width=4)


def test_grid_values_edges_and_nominal():
    for name in PARAMETERS:
        low, high = RANGES[name]
        values = grid_values(name, 2)
        assert values == sorted([low, NOMINAL[name], high])
    assert grid_values("efield", 3) == pytest.approx([0.45, 0.5, 0.55])
    assert len(grid_values("lifetime", 5)) == 6


def test_score_shift_hand_computed():
    labels = torch.tensor([0, 1])
    ref = torch.zeros(2, 2)  # p_true = 0.5 for both events
    logits = torch.tensor([[0.0, 0.0], [0.0, torch.log(torch.tensor(3.0))]])  # p_true = 0.5, 0.75
    out = score_shift(logits, ref, labels)
    assert out["accuracy"] == 1.0 and out["accuracy_error"] == 0.0  # argmax of a tie is class 0
    assert out["mean_p_true"] == pytest.approx(0.625)
    assert out["mean_abs_dp"] == pytest.approx(0.125) and out["mean_dp"] == pytest.approx(0.125)
    out = score_shift(-logits, ref, labels)
    assert out["accuracy"] == 0.5 and out["accuracy_error"] == pytest.approx(0.5 / 2 ** 0.5)
    assert out["mean_abs_dp"] == pytest.approx(0.125) and out["mean_dp"] == pytest.approx(-0.125)


def test_bad_input():
    with pytest.raises(ValueError, match="^name: expected one of"):
        grid_values("temperature", 3)
    with pytest.raises(ValueError, match="^points: expected an int >= 2"):
        grid_values("efield", 1)
    with pytest.raises(ValueError, match="^points: expected an int >= 2"):
        robustness.main(["--grid", "1"])


def test_study_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setitem(robustness.BUDGETS, "quick", TINY)
    out = tmp_path / "runs"
    threads = torch.get_num_threads()
    try:  # one thread: on a busy 2-core machine two threads make this 10x slower
        result = robustness.main(["--out", str(out), "--data-dir", str(tmp_path / "data"), "--grid", "2",
                                  "--workers", "1", "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    with open(out / "points.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(MODELS) * len(PARAMETERS) * 3  # low edge, nominal, high edge
    assert {r["model"] for r in rows} == set(MODELS) and {r["parameter"] for r in rows} == set(PARAMETERS)
    nominal_rows = [r for r in rows if r["nominal"] == "True"]
    assert len(nominal_rows) == len(MODELS) * len(PARAMETERS)
    for r in nominal_rows:  # the sweep's nominal points reproduce each model's plain nominal accuracy
        assert float(r["accuracy"]) == pytest.approx(result["nominal"][r["model"]], abs=1e-12)
        assert float(r["mean_abs_dp"]) == 0.0
    assert any(float(r["mean_abs_dp"]) > 0 for r in rows if r["parameter"] == "lifetime")
    table = (out / "table.md").read_text()
    assert table.startswith("### LArTPC robustness (quick): 30 events")
    assert sum(line.startswith(f"| {m} |") for line in table.splitlines() for m in MODELS) == 3 * len(PARAMETERS)
    assert (out / "accuracy.png").stat().st_size > 10_000
