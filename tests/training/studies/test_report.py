import math

from training.studies.report import ablation_plot, markdown_table, panel_plot, summarise, write_csv
from training.studies.statistics import Difference


def test_summarise_mean_and_sample_std():
    rows = [{"row": "a", "auc": 0.8}, {"row": "b", "auc": 0.5}, {"row": "a", "auc": 0.9}]
    s = summarise(rows, "row", ["auc"])
    assert [e["row"] for e in s] == ["a", "b"]
    assert math.isclose(s[0]["auc"], 0.85) and math.isclose(s[0]["auc_std"], math.sqrt(0.005))
    assert s[0]["runs"] == 2 and s[1]["runs"] == 1 and math.isnan(s[1]["auc_std"])


def test_markdown_csv_and_plot(tmp_path):
    rows = [{"row": "a", "auc": 0.8}, {"row": "a", "auc": 0.9}, {"row": "b", "auc": 0.5}]
    s = summarise(rows, "row", ["auc"])
    table = markdown_table(s, "row", ["auc"])
    assert table.splitlines()[2] == "| a | 0.850 ± 0.071 | 2 |"
    assert table.splitlines()[3] == "| b | 0.500 | 1 |"
    path = write_csv(tmp_path / "x" / "runs.csv", rows)
    assert path.read_text().splitlines() == ["row,auc", "a,0.8", "a,0.9", "b,0.5"]
    d = Difference(0.01, -0.01, 0.03, 0.95)
    png = ablation_plot(tmp_path / "auc.png", s, "row", "auc", {"a": d}, {"b": d}, chance=0.5, label="AUC",
                        title="test")
    assert png.stat().st_size > 1000


def test_markdown_extra_columns_and_nan():
    s = [{"row": "a", "auc": float("nan"), "auc_std": float("nan"), "runs": 1, "d": "+0.1 [+0.0, +0.2] better"}]
    assert markdown_table(s, "row", ["auc"], ["d"]).splitlines()[2] == "| a | — | +0.1 [+0.0, +0.2] better | 1 |"


def test_panel_plot_log_axis_and_labels(tmp_path):
    rows = [{"p": "lifetime", "x": v, "y": 0.5, "m": "a"} for v in (500.0, 2200.0, 5000.0)]
    png = panel_plot(tmp_path / "p.png", rows, "p", "x", "y", "m", xlabels={"lifetime": "lifetime (us)"},
                     log_x=("lifetime",), ylabel="accuracy", hline=("chance", 0.2))
    assert png.stat().st_size > 1000
