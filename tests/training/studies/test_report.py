import math

from training.studies.report import bar_plot, markdown_table, summarise, write_csv


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
    png = bar_plot(tmp_path / "bars.png", s, "row", "auc", "test")
    assert png.stat().st_size > 1000
