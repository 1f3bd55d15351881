"""Make executed notebooks commit-ready and nbval-stable (ECOSYSTEM recipe C).

- drops saved widget state (metadata.widgets; ~0.9 MB per notebook with Altair's offline JupyterChart)
- clears the outputs and execution count of cells whose output is a widget: without a
  kernel those show only a text repr, and nbval skips cells with no execution count
- numbers the cell ids (the generators make random ones)
- keeps every other output, so `pytest --nbval` compares them
Usage: python tools/nb_clean.py notebooks/*.ipynb
"""
import sys

import nbformat

WIDGET = "application/vnd.jupyter.widget-view+json"

for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"  # stable ids: regenerating a notebook gives no id churn in git
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if any(WIDGET in o.get("data", {}) for o in cell.outputs):
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
