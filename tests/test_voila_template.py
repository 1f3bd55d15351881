"""The repository's Voila template ``workbook`` folds exercise answers and checks (no browser, no kernel).

Voila 0.5 ignores the ``jupyter.source_hidden``/``outputs_hidden`` metadata that folds the cells
tagged ``solution`` and ``checks`` in JupyterLab, so the template
(share/jupyter/nbconvert/templates/workbook/index.html.j2) puts their outputs in a closed
``<details>``. Here it renders notebooks through Voila's own exporter with the stored outputs
standing in for the kernel, and the launchers (binder/start, tasks.py, the browser tests'
server) are checked to find and select it. The browser check is test_browser.py::test_voila_dashboard.
"""

from __future__ import annotations

import asyncio
import importlib.util
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "share" / "jupyter"
CONFIG = ROOT / "etc" / "jupyter"
TEMPLATE = DATA / "nbconvert" / "templates" / "workbook"

pytest.importorskip("voila")
nbformat = pytest.importorskip("nbformat")


def load_tasks():
    spec = importlib.util.spec_from_file_location("tasks_for_voila_template", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_path(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(DATA))


def render(nb, progressive: bool = False) -> str:
    """The dashboard's HTML for ``nb`` as Voila renders it with the workbook template (inputs
    stripped, as Voila's default), the notebook's stored outputs in place of a kernel's."""
    from voila.exporter import VoilaExporter
    from voila.paths import collect_template_paths

    exporter = VoilaExporter(template_paths=collect_template_paths(["voila", "nbconvert"], "workbook", prune=True),
                             template_name="workbook", base_url="/")
    exporter.exclude_input = exporter.exclude_input_prompt = exporter.exclude_output_prompt = True

    async def kernel_start(nb):
        return "no-kernel"

    async def cell_generator(nb, kernel_id):
        for cell in nb.cells:
            yield cell

    async def main():
        resources = {"base_url": "/", "theme": "light", "template": "workbook", "metadata": {"name": "nb"},
                     "page_config": {}}
        context = {"frontend": "voila", "main_js": "voila.js", "kernel_start": kernel_start,
                   "cell_generator": cell_generator, "notebook_execute": None, "progressive_rendering": progressive}
        return "".join([html async for html, _ in exporter.generate_from_notebook_node(
            nb, resources=resources, extra_context=context, page_config={})])

    return asyncio.run(main())


def folds(html: str) -> list[tuple[str, str]]:
    """(opening tag, content) of every <details> of the template."""
    return re.findall(r'(<details class="workbook-fold[^>]*>)(.*?)</details>', html, re.S)


def code_cell(source, tags=(), outputs=()):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    cell.execution_count = 1 if outputs else None
    return cell


def stdout(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def test_the_template_folds_answers_and_checks(data_path):
    nb = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Exercises"),
        code_cell("print('chart')", outputs=[stdout("PLAIN-OUTPUT\n")]),
        code_cell("print(42)", ["solution"], [stdout("ANSWER-42\n")]),
        code_cell("x = 1", ["solution"]),  # an answer with no output: nothing to fold
        code_cell("print('ok')", ["checks", "nbval-ignore-output"], [stdout("all claims hold\n")]),
        code_cell("assert False", ["checks"], [{"output_type": "error", "ename": "ExecutionError",
                                               "evalue": "Execution error",
                                               "traceback": ["There was an error when executing cell [5]."]}]),
    ]
    html = render(nb)
    found = folds(html)
    assert [tag for tag, _ in found] == [
        '<details class="workbook-fold workbook-solution">',
        '<details class="workbook-fold workbook-checks">',
        '<details class="workbook-fold workbook-checks" open>',  # a failed check stays in sight
    ], found
    assert "ANSWER-42" in found[0][1] and "<summary>Show answer</summary>" in found[0][1]
    assert "all claims hold" in found[1][1] and "<summary>Show checks</summary>" in found[1][1]
    assert "There was an error when executing cell" in found[2][1]
    outside = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    assert "PLAIN-OUTPUT" in outside and "ANSWER-42" not in outside and "all claims hold" not in outside
    # every cell still goes through Voila's progress counter (the folded ones too)
    assert len(re.findall(r"voila_process\(\d+, 6\)", html)) == 6
    # with progressive rendering the browser fills the outputs in later: fold every tagged cell
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    assert [tag for tag, _ in folds(render(nb, progressive=True))] == [
        '<details class="workbook-fold workbook-solution">', '<details class="workbook-fold workbook-solution">',
        '<details class="workbook-fold workbook-checks">', '<details class="workbook-fold workbook-checks">']


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
def test_every_notebook_folds_every_answer(data_path, name):
    """Each notebook with its committed outputs: each solution/checks cell with an output is folded
    (closed), and the first line of what it prints is inside its fold."""
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    tagged = [c for c in nb.cells if c.cell_type == "code" and c.get("outputs")
              and {"solution", "checks"} & set(c.metadata.get("tags", []))]
    found = folds(render(nb))
    assert len(found) == len(tagged) and not any(" open" in tag for tag, _ in found), [t for t, _ in found]
    for cell, (_, content) in zip(tagged, found):
        text = "".join(o.get("text", "") for o in cell.outputs).strip()
        if text:
            first = text.splitlines()[0]
            assert first in html.unescape(content), (first, content[:500])


def test_template_files():
    conf = json.loads((TEMPLATE / "conf.json").read_text())
    assert conf["base_template"] == "lab"
    text = (TEMPLATE / "index.html.j2").read_text()
    assert "extends 'voila/templates/lab/index.html.j2'" in text
    assert "'solution'" in text and "'checks'" in text
    assert json.loads((CONFIG / "voila.json").read_text())["VoilaConfiguration"]["template"] == "workbook"
    # a share/jupyter/voila/ here would become Voila's data directory and hide its themes
    assert not (DATA / "voila").exists(), "put templates under share/jupyter/nbconvert/templates/, not voila/"


def first_entries(env: dict) -> tuple[str, str]:
    return env["JUPYTER_PATH"].split(os.pathsep)[0], env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]


def test_every_launcher_puts_the_template_on_the_jupyter_paths(tmp_path, monkeypatch):
    want = (str(DATA), str(CONFIG))
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere/share/jupyter")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/elsewhere/etc/jupyter")
    # Binder's entrypoint, started from another directory
    r = subprocess.run(["bash", str(ROOT / "binder" / "start"), sys.executable, "-c",
                        "import json, os; print(json.dumps(dict(os.environ)))"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    binder_env = json.loads(r.stdout)
    assert first_entries(binder_env) == want
    assert binder_env["JUPYTER_PATH"].endswith(os.pathsep + "/elsewhere/share/jupyter")  # kept, after ours
    # tasks.py lab / test / site
    tasks_env = load_tasks().env()
    assert first_entries(tasks_env) == want
    assert tasks_env["JUPYTER_CONFIG_PATH"].endswith(os.pathsep + "/elsewhere/etc/jupyter")
    # the JupyterLab server of the browser tests
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import e2e_helpers
    finally:
        sys.path.remove(str(ROOT / "tests"))
    assert first_entries(e2e_helpers.LabServer(tmp_path).env()) == want


SELECTED = """
import json, os, sys
from voila.app import Voila
from voila.paths import collect_template_paths
from voila.server_extension import load_config_file
from voila.utils import get_data_dir
app = Voila()
app.initialize([sys.argv[1]])  # what `voila notebooks/NN.ipynb` does before it serves
ext = load_config_file()  # what the JupyterLab server extension (/voila/render/...) reads
ext_template = ext.VoilaConfiguration.template if ext is not None else None
print(json.dumps({"app_template": app.voila_configuration.template, "app_paths": app.template_paths[:1],
                  "ext_template": ext_template,
                  "ext_paths": [p for p in collect_template_paths(["voila", "nbconvert"], ext_template)
                                if os.path.isdir(p)][:1] if ext_template else [],
                  "data_dir": get_data_dir()}))
"""


def test_standalone_voila_and_the_server_extension_select_the_template(tmp_path):
    """Under tasks.py's environment, from a directory that is not the repository."""
    env = load_tasks().env()
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    nb = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), nb)
    r = subprocess.run([sys.executable, "-c", SELECTED, str(nb)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["app_template"] == got["ext_template"] == "workbook", got
    assert got["app_paths"] == got["ext_paths"] == [str(TEMPLATE)], got
    # Voila's data directory (JupyterLab themes for the dashboard) is still the installed one
    assert Path(got["data_dir"], "themes").is_dir(), got
