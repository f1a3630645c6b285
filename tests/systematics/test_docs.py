"""docs/physics.md: its parameter table is the code's, and every reference to it names a section it has."""

import re
from pathlib import Path

from systematics.parameters import TABLE

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "physics.md").read_text()


def _range(r):
    return "not thrown" if r is None else f"[{r[0]}, {r[1]}]"


def test_parameter_table_matches_the_code():
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in {p.name for p in TABLE}:
            rows[cells[0]] = cells
    assert set(rows) == {p.name for p in TABLE}, "every parameter of TABLE has a row in docs/physics.md 1.1"
    for p in TABLE:
        name, nominal, throw, limits, unit, _ = rows[p.name]
        assert float(nominal) == p.nominal and throw == _range(p.throw_range), p.name
        assert limits == str(p.limits) and unit == p.unit, p.name


def test_every_reference_names_an_existing_section():
    sections = set(re.findall(r"^#+ (\d+(?:\.\d+)?)\.? ", DOC, re.M))
    pattern = re.compile(r"docs/physics\.md sections? (\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?")
    found = 0
    for path in list(ROOT.glob("systematics/**/*.py")) + list(ROOT.glob("training/**/*.py")) + \
            list(ROOT.glob("augment/**/*.py")) + list(ROOT.glob("bench/*.py")):
        for match in pattern.finditer(path.read_text()):
            found += 1
            for section in filter(None, match.groups()):
                assert section in sections, f"{path}: docs/physics.md has no section {section}"
    assert found > 20
