"""Every committed notebook matches its text source; nothing is executed.

``notebooks/NN_name.py`` (jupytext percent) is the source, ``notebooks/NN_name.ipynb`` is built
from it by ``tools/build_notebooks.py``. If someone edits one side only (a text editor on the
.py, or JupyterLab without the jupytext pairing on the .ipynb), the cells no longer agree and
this test names the notebook, the cell and the field that differ.
"""

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
_spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "tools" / "build_notebooks.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

FIX = "rebuild it: .venv/bin/python tools/build_notebooks.py {prefix}"


def _stems(pattern):
    return {p.stem for p in NOTEBOOKS.glob(pattern) if not p.name.startswith(".")}


def cell_fields(cell) -> dict:
    """What must agree between a source and its notebook: type, text, tags and folding."""
    return {"type": cell.cell_type, "source": cell.source, "tags": list(cell.metadata.get("tags", [])),
            "hidden": dict(cell.metadata.get("jupyter", {}))}


def differences(expected, actual) -> list[str]:
    """How the cells of ``actual`` (a committed .ipynb) differ from ``expected`` (built from the .py)."""
    want, got = [cell_fields(c) for c in expected.cells], [cell_fields(c) for c in actual.cells]
    found = []
    if len(want) != len(got):
        found.append(f"{len(got)} cells in the .ipynb, {len(want)} in the .py")
    for i, (w, g) in enumerate(zip(want, got)):
        for field in w:
            if w[field] != g[field]:
                found.append(f"cell {i} {field}: " + _first_difference(g[field], w[field]))
    return found


def _first_difference(notebook_value, source_value) -> str:
    if isinstance(notebook_value, str) and isinstance(source_value, str):  # text: the first line that differs
        a, b = notebook_value.splitlines(), source_value.splitlines()
        n = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        a_line, b_line = (a[n] if n < len(a) else "<end>"), (b[n] if n < len(b) else "<end>")
        return f"line {n + 1}: .ipynb has {a_line[:100]!r}, the .py gives {b_line[:100]!r}"
    return f".ipynb has {notebook_value!r}, the .py gives {source_value!r}"


def test_every_source_has_a_notebook_and_back():
    sources, notebooks = _stems("*.py"), _stems("*.ipynb")
    assert sources, "no notebook sources in notebooks/"
    assert sources - notebooks == set(), "sources without a notebook: run tools/build_notebooks.py"
    assert notebooks - sources == set(), "notebooks without a source: jupytext --to py:percent NB.ipynb"


@pytest.mark.parametrize("stem", sorted(_stems("*.py")))
def test_notebook_matches_its_source(stem):
    committed = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    found = differences(build.notebook_from_source(NOTEBOOKS / f"{stem}.py"), committed)
    assert not found, f"{stem}.ipynb differs from {stem}.py; {FIX.format(prefix=stem[:2])}\n" + "\n".join(found)


def test_solution_and_checks_cells_are_folded_and_only_they():
    for stem in sorted(_stems("*.py")):
        for cell in build.notebook_from_source(NOTEBOOKS / f"{stem}.py").cells:
            folded = cell.cell_type == "code" and any(t in cell.metadata.get("tags", []) for t in build.FOLDED_TAGS)
            assert (cell.metadata.get("jupyter") == build.HIDDEN) == folded, (stem, cell.source[:60])


def _edits():
    """One-sided edits of a notebook that has a markdown, a solution and a widget cell."""
    def first(nb, pred):
        return next(c for c in nb.cells if pred(c))

    def code_text(nb):
        first(nb, lambda c: c.cell_type == "code").source += "\nx = 1"

    def markdown_text(nb):
        first(nb, lambda c: c.cell_type == "markdown").source = "# a new title"

    def drop_tag(nb):
        first(nb, lambda c: "nbval-ignore-output" in c.metadata.get("tags", [])).metadata["tags"] = []

    def unfold_solution(nb):
        first(nb, lambda c: "solution" in c.metadata.get("tags", [])).metadata.pop("jupyter")

    def cell_type(nb):
        c = first(nb, lambda c: c.cell_type == "markdown")
        nb.cells[nb.cells.index(c)] = nbformat.v4.new_code_cell(c.source)

    def add_cell(nb):
        nb.cells.append(nbformat.v4.new_code_cell("print('new')"))

    def delete_cell(nb):
        del nb.cells[-1]

    return [code_text, markdown_text, drop_tag, unfold_solution, cell_type, add_cell, delete_cell]


@pytest.mark.parametrize("edit", _edits(), ids=lambda f: f.__name__)
def test_comparison_catches_a_one_sided_edit(edit):
    source = NOTEBOOKS / "00_start_here.py"
    built = build.notebook_from_source(source)
    assert differences(built, build.notebook_from_source(source)) == []
    edited = build.notebook_from_source(source)
    edit(edited)
    assert differences(built, edited), f"{edit.__name__} went unnoticed"


def test_an_edit_of_the_py_alone_is_caught(tmp_path):
    """The whole path: change the text of the .py only, the committed .ipynb no longer matches."""
    text = (NOTEBOOKS / "00_start_here.py").read_text()
    edited = tmp_path / "00_start_here.py"
    edited.write_text(text.replace('# %% tags=["solution"]', "# %%", 1))  # a solution made an ordinary cell
    committed = nbformat.read(NOTEBOOKS / "00_start_here.ipynb", as_version=4)
    found = differences(build.notebook_from_source(edited), committed)
    assert any("tags" in f for f in found) and any("hidden" in f for f in found), found
