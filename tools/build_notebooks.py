#!/usr/bin/env python3
"""Build every notebook from its text source, execute it and make it commit-ready.

    .venv/bin/python tools/build_notebooks.py          # all notebooks
    .venv/bin/python tools/build_notebooks.py 02 03    # only those whose names start so

The source of ``notebooks/NN_name.ipynb`` is ``notebooks/NN_name.py`` (jupytext percent format,
paired through ``jupytext.toml``). For each source this

1. converts it with jupytext and folds every code cell tagged ``solution`` or ``checks`` (source
   and output hidden, ``metadata.jupyter``), so exercises open with their answers collapsed and
   the asserts that check a notebook's claims stay out of the reader's way;
2. executes it with nbconvert (timeout 600 s per cell, ``JAX_PLATFORMS=cpu`` and the shared JAX
   compilation cache of ``tasks.py``), in ``notebooks/`` like JupyterLab does;
3. cleans it: drops the saved widget state, clears the outputs of cells that display widgets
   (without a kernel they show only a text repr; nbval skips a cell with no execution count),
   numbers the cell ids ``cell-000``, ``cell-001``, ... and keeps every other output, which
   ``pytest --nbval`` then compares with a fresh run.

A notebook whose execution fails keeps its previous ``.ipynb``; the error is printed and the
command exits with status 1. Run it whenever a source or the code a notebook calls changes.
``tests/test_notebook_sources.py`` checks that every committed ``.ipynb`` still matches its source.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCE_FORMAT = "py:percent"
SOLUTION_TAG = "solution"
CHECKS_TAG = "checks"  # a cell that only asserts the notebook's claims
FOLDED_TAGS = (SOLUTION_TAG, CHECKS_TAG)
HIDDEN = {"source_hidden": True, "outputs_hidden": True}  # a folded cell: code and output collapsed
WIDGET = "application/vnd.jupyter.widget-view+json"


def sources(prefixes=()) -> list[Path]:
    """The notebook sources ``notebooks/*.py``, those whose names start with a prefix if any are given."""
    found = sorted(p for p in NOTEBOOKS.glob("*.py") if not p.name.startswith("."))
    return [p for p in found if not prefixes or any(p.name.startswith(x) for x in prefixes)]


def notebook_from_source(source: Path) -> nbformat.NotebookNode:
    """The unexecuted notebook built from a source: its cells, tags and text, solutions and checks folded."""
    nb = jupytext.read(source, fmt=SOURCE_FORMAT)
    nb.metadata.pop("jupytext", None)  # the format is jupytext.toml's business, not the notebook's
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"  # stable ids: rebuilding gives no id churn in git
        if cell.cell_type == "code" and any(t in cell.metadata.get("tags", ()) for t in FOLDED_TAGS):
            cell.metadata["jupyter"] = dict(HIDDEN)
    return nb


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop widget state and widget-cell outputs (ECOSYSTEM recipe C), number the cell ids."""
    nb.metadata.pop("widgets", None)  # ~0.9 MB per notebook with Altair's offline JupyterChart
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if any(WIDGET in out.get("data", {}) for out in cell.outputs):
            cell.outputs, cell.execution_count = [], None
    return nb


def execution_env() -> dict:
    """The environment of ``tasks.py`` (shared JAX compilation cache, .venv on PATH), on the CPU."""
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    return {**tasks.env(), "JAX_PLATFORMS": "cpu"}


def build(source: Path, env: dict) -> bool:
    """Convert, execute and clean one notebook; False (and the old .ipynb kept) if execution fails."""
    target = source.with_suffix(".ipynb")
    scratch = source.with_name(f".build-{target.name}")  # hidden from JupyterLab's file browser
    nbformat.write(notebook_from_source(source), scratch)
    try:
        run = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                              "--ExecutePreprocessor.timeout=600", str(scratch)],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        if run.returncode != 0:  # show the failing cell and its traceback, not nbconvert's own stack
            err = run.stderr
            print(err[err.find("CellExecutionError"):] if "CellExecutionError" in err else err[-6000:], file=sys.stderr)
            return False
        nbformat.write(clean(nbformat.read(scratch, as_version=4)), target)
        return True
    finally:
        scratch.unlink(missing_ok=True)


def main(prefixes: list[str]) -> int:
    todo = sources(prefixes)
    if not todo:
        print(f"no notebook source matches {prefixes}", file=sys.stderr)
        return 2
    env, failed = execution_env(), []
    for source in todo:  # one at a time: each kernel uses every core it can get
        t0 = time.perf_counter()
        ok = build(source, env)
        print(f"{source.with_suffix('.ipynb').name}: {'executed' if ok else 'FAILED'} in {time.perf_counter() - t0:.1f} s",
              flush=True)
        if not ok:
            failed.append(source.stem)
    if failed:
        print(f"failed (their .ipynb left as they were): {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
