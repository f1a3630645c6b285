import csv

import pytest
import torch
import torch.nn.functional as F

from systematics.parameters import NOMINAL, RANGES
from training.studies import robustness
from training.studies.robustness import MODELS, PARAMETERS, grid_values, score_shift
from training.studies.tasks import Budget

TINY = Budget(events_per_class=6, epochs=1, batch_size=8, seeds=(0,), width=4)


def test_grid_values_edges_and_nominal():
    for name in PARAMETERS:
        low, high = RANGES[name]
        values = grid_values(name, 2)
        assert values == sorted({low, NOMINAL[name], high})  # the nominal may be an edge (e.g. 0 dead channels)
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
    points = sum(len(grid_values(name, 2)) for name in PARAMETERS)  # low edge, nominal, high edge (nominal may be one)
    assert len(rows) == len(MODELS) * points
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
    assert (out / "score_change.png").stat().st_size > 10_000
    comparisons = result["comparisons"]  # per range edge, the contrastive model against each classifier
    assert len(comparisons) == 2 * len(PARAMETERS) * (len(MODELS) - 1)
    assert all(c["d_mean_abs_dp"].low <= c["d_mean_abs_dp"].mean <= c["d_mean_abs_dp"].high for c in comparisons)
    assert sum(line.startswith("| lifetime |") for line in table.splitlines()) == 2 * (len(MODELS) - 1)


def test_compare_models_known_answer():
    """A model whose logits do not move is more robust than one whose true-class score drops."""
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (200,), generator=g)
    reference = torch.randn(200, 3, generator=g, dtype=torch.float64) + 3 * F.one_hot(labels, 3)
    drop = reference - 2 * F.one_hot(labels, 3)  # the true class loses score: accuracy falls too
    edges = {(p, v): {MODELS[0]: reference[None], MODELS[1]: drop[None], MODELS[2]: reference[None]}
             for p in ("lifetime",) for v in (500.0, 5000.0)}  # (seeds, events, classes): one seed
    result = robustness.Sweep([], {m: reference[None] for m in MODELS}, edges, labels)
    rows = robustness.compare_models(result, n_boot=200)
    against_drop = [r for r in rows if r["against"] == MODELS[1]]
    assert all(r["more_robust"] == "yes" and r["d_accuracy_change"].low > 0 for r in against_drop)
    against_same = [r for r in rows if r["against"] == MODELS[2]]
    assert all(r["more_robust"] == "not resolved" and r["d_mean_abs_dp"].mean == 0 for r in against_same)


def test_swept_parameters_and_units_come_from_the_table():
    from systematics.parameters import PARAMETERS as TABLE

    assert PARAMETERS == ("efield", "lifetime", "diffusion_t", "diffusion_l", "space_charge", "dead_fraction",
                          "noisy_fraction", "gain_spread", "birks_a", "birks_k")
    assert robustness.UNITS == {name: TABLE[name].unit for name in PARAMETERS}
    assert robustness.UNITS["lifetime"] == "us"


def test_sweep_pools_seeds_and_pairs_each_with_its_own_reference():
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 5, (40,), generator=g)
    keys = [(p, v) for p in PARAMETERS for v in grid_values(p, 2)]
    per_seed = []
    for shift in (0.0, 1.0):  # seed 1's logits are seed 0's plus a constant: the same softmax, same deltas
        reference = {m: torch.randn(40, 5, generator=torch.Generator().manual_seed(i)) + shift
                     for i, m in enumerate(MODELS)}
        shifted = {k: {m: reference[m] + 0.1 * j for m in MODELS} for j, k in enumerate(keys)}
        per_seed.append((reference, shifted))
    result = robustness.sweep(per_seed, (0, 1), labels)
    assert len(result.rows) == 2 * len(MODELS) * len(keys)
    assert all(t.shape == (2, 40, 5) for logits in result.edges.values() for t in logits.values())
    assert set(result.edges) == {k for k in keys if k[1] in RANGES[k[0]]}
    averaged = robustness.mean_over_seeds(result.rows)
    assert len(averaged) == len(MODELS) * len(keys) and all(r["seeds"] == 2 for r in averaged)
    for r in averaged:  # both seeds agree, so the mean is either seed's value
        one = next(x for x in result.rows if x["seed"] == 0 and all(x[k] == r[k] for k in ("model", "parameter", "value")))
        assert r["mean_abs_dp"] == pytest.approx(one["mean_abs_dp"], abs=1e-6) and r["accuracy"] == one["accuracy"]
