"""The library part of ``training`` imports nothing from ``training.studies`` (no import cycles)."""

import ast
from pathlib import Path

import training

ROOT = Path(training.__file__).parent


def imported_modules(source: str, package: str) -> set[str]:
    """Absolute names of the modules that ``source`` (a module of ``package``) imports, relative
    imports resolved, ``from a import b`` counted as both ``a`` and ``a.b``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])


def test_library_imports_nothing_from_studies():
    library = [p for p in ROOT.rglob("*.py") if "studies" not in p.relative_to(ROOT).parts]
    assert len(library) > 5  # simclr, losses, distributed, linear_eval, encoders, datasets
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p.read_text(), package_of(p))
                                                    if m == "training.studies" or m.startswith("training.studies."))
                 for p in library}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_detector_sees_a_studies_import():
    """The check above can fail: it recognises absolute and relative imports of the studies."""
    for source in ("from training.studies import tasks\n", "from ..studies.tasks import Budget\n",
                   "import training.studies.ablation\n", "from .. import studies\n"):
        assert any(m.startswith("training.studies") for m in imported_modules(source, "training.encoders")), source
    assert not any(m.startswith("training.studies")
                   for m in imported_modules("from training.simclr import SimCLR\n", "training.encoders"))
