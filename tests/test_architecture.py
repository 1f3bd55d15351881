"""The package's arrows only go down: each part imports only the parts below it.

Layers, bottom to top (ARCHITECTURE.md): base (errors, numerics, specs) < catalog < model <
calibration < analysis < econ < ui; ``cli`` and ``__main__`` sit on top and nothing imports
them. The check reads every module's ``import`` statements (including those inside
functions) with ``ast``, so it needs no import side effects.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "workbook"
LAYERS = ["base", "catalog", "model", "calibration", "analysis", "econ", "ui", "cli"]
UI_LIBRARIES = {"altair", "ipywidgets", "IPython", "anywidget", "vl_convert"}


def part_of(module: str) -> str:
    """The layer of a dotted module name inside the package."""
    parts = module.split(".")
    if parts[0] != "workbook":
        raise ValueError(module)
    if len(parts) == 1:
        return "root"
    head = parts[1]
    if head in ("errors", "numerics", "specs"):
        return "base"
    if head in ("cli", "__main__"):
        return "cli"
    if head in LAYERS:
        return head
    raise AssertionError(f"{module}: not in any layer; add it to ARCHITECTURE.md and to LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every absolute module name a file imports (``from a.b import c`` counts ``a.b`` and ``a.b.c``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "workbook":  # ``from workbook import catalog`` imports workbook.catalog
                out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


MODULES = sorted(ROOT.rglob("*.py"))


def allowed(importer: str, imported: str) -> bool:
    """May a module of layer ``importer`` import one of layer ``imported``?"""
    if imported == "cli":
        return importer == "cli"
    if importer == "root":  # the flat public surface re-exports the core, never the UI
        return imported not in ("ui",)
    if imported == "root":
        return importer in ("ui", "cli")
    return LAYERS.index(imported) <= LAYERS.index(importer)


def workbook_part(name: str) -> str | None:
    """The layer of an imported name, or None for a name outside the package; ``workbook.X``
    where X is a function re-exported at the root counts as the root."""
    if name != "workbook" and not name.startswith("workbook."):
        return None
    try:
        return part_of(name)
    except AssertionError:
        return "root"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_imports_point_down(path):
    me = part_of(module_name(path)) if module_name(path) != "workbook" else "root"
    wrong = []
    for name in imports_of(path):
        other = workbook_part(name)
        if other is not None and not allowed(me, other):
            wrong.append(f"{name} ({other})")
        if me != "ui" and name.split(".")[0] in UI_LIBRARIES:
            wrong.append(f"{name} (a UI library outside workbook/ui)")
    assert not wrong, f"{module_name(path)} ({me}) imports upward: {', '.join(sorted(wrong))}"


def test_the_checker_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from workbook.ui import charts\n    from workbook.econ import shift\n")
    names = imports_of(bad)
    assert not allowed("model", workbook_part("workbook.ui.charts"))
    assert not allowed("analysis", workbook_part("workbook.econ.shift"))
    assert allowed("econ", workbook_part("workbook.analysis"))
    assert {"workbook.ui", "workbook.ui.charts", "workbook.econ.shift"} <= names


def test_every_module_is_in_a_layer():
    for path in MODULES:
        name = module_name(path)
        if name != "workbook":
            part_of(name)


def test_public_surface_is_flat_and_complete():
    import workbook as wb

    assert len(wb.__all__) == len(set(wb.__all__))
    missing = [n for n in wb.__all__ if not hasattr(wb, n)]
    assert not missing, missing
    for name in ("performance", "workload", "catalog", "compare_chips", "serving_elasticities", "InputError"):
        assert name in wb.__all__
