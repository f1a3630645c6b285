"""The README's first example runs as written (on a small generated file)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path, monkeypatch):
    from systematics.gun import generate_file

    monkeypatch.chdir(tmp_path)
    generate_file("data/lartpc.h5", 2, seed=0, progress=False)
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["view"].feature_names == ("charge",)
    assert namespace["params"][0]["lifetime"].shape == (10,)


def test_readme_custom_transform_example_runs_and_passes_check_transform():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next(b for b in blocks if "check_transform(ScaleCoords" in b)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["out"].num_events == 3 and namespace["params"]["factor"].shape == (3,)
