"""The console scripts of pyproject.toml point at functions that parse their arguments."""

import importlib
import tomllib
from pathlib import Path

import pytest

SCRIPTS = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["scripts"]


def test_the_studies_and_generators_have_commands():
    targets = set(SCRIPTS.values())
    assert {"training.studies.ablation:main", "training.studies.robustness:main", "systematics.gun.__main__:main",
            "training.datasets.top_tagging:main"} <= targets


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_help(name, capsys):
    module, function = SCRIPTS[name].split(":")
    main = getattr(importlib.import_module(module), function)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0 and "usage:" in capsys.readouterr().out
