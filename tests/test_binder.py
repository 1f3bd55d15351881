"""Check the binder/ folder without Docker (ECOSYSTEM.md §4).

* test_binder_layout (always, instant): lint binder/ the way repo2docker reads it.
* test_binder_env_runs_notebooks (slow, RUN_BINDER_TEST=1; CI sets it): build a fresh venv
  with the runtime.txt Python the way repo2docker would: its base env (jupyterlab, notebook,
  ipywidgets), then exactly ``pip install -r binder/requirements.txt`` from the repository
  root. Then execute every notebooks/*.ipynb in that venv with nbconvert (per-cell and
  per-notebook timeouts, one retry on a timeout: nbclient can stall, ECOSYSTEM.md §6).
  pip's cache is used, so a rerun takes well under the first run's ~2 minutes.

The interpreter: $BINDER_PYTHON, else pythonX.Y on PATH or in pyenv's versions dir, else this
interpreter if its version matches runtime.txt. No matching interpreter is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CELL_TIMEOUT_S = 300
NOTEBOOK_TIMEOUT_S = 600
# Notebooks executed at once in the Binder env, each in its own kernel process: the CI machine's two
# cores (run one after another they took about 250 of this test's 320 s, 2026-12-02).
BINDER_WORKERS = 2
# repo2docker's base environment already has these (conda; jupyterlab 4, notebook 7, ipywidgets 8)
R2D_BASE = ["jupyterlab>=4", "notebook>=7", "ipywidgets>=8"]


def runtime_version() -> str:
    m = re.fullmatch(r"python-(\d+\.\d+)\s*", (BINDER / "runtime.txt").read_text())
    assert m, "binder/runtime.txt must be one line like python-3.11"
    return m.group(1)


def requirement_lines() -> list[str]:
    lines = [ln.split(" #")[0].strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def test_binder_layout():
    assert BINDER.is_dir(), "binder/ is missing"
    assert not (ROOT / ".binder").exists(), "use binder/ or .binder/, not both (repo2docker refuses)"
    for f in ("environment.yml", "Dockerfile", "Pipfile", "setup.py", "Project.toml", "install.R"):
        assert not (BINDER / f).exists(), f"binder/{f} would change how repo2docker builds; this setup uses requirements.txt"
    # with binder/ present, repo2docker ignores the root pyproject.toml: the requirements install the repo
    reqs = requirement_lines()
    local = [r for r in reqs if r.startswith((".", "-e .", "-e ."))]
    assert local, "binder/requirements.txt must install the repository (-e .[notebooks])"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(project.get("optional-dependencies", {}))
    for r in local:
        m = re.search(r"\[([^\]]+)\]", r)
        for extra in (m.group(1).split(",") if m else []):
            assert extra.strip() in extras, f"binder/requirements.txt asks for extra [{extra}], not in pyproject.toml"
    assert any("[notebooks]" in r or "voila" in r for r in reqs), "Voila must be in the Binder env (the notebooks extra)"
    # repo2docker defaults to Python 3.10 and ignores requires-python when binder/ exists
    ver = runtime_version()
    assert ver in SpecifierSet(project["requires-python"]), f"runtime.txt python-{ver} vs requires-python {project['requires-python']}"
    for script in ("postBuild", "start"):
        p = BINDER / script
        if p.exists():
            text = p.read_text()
            assert os.access(p, os.X_OK) and text.startswith("#!"), f"binder/{script}: make it executable with a shebang"
            if script == "postBuild":
                assert re.search(r"^set -e", text, re.M), "binder/postBuild: errors are ignored without set -e"
            if script == "start":
                assert text.rstrip().endswith('exec "$@"'), 'binder/start must end with exec "$@"'
                code = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
                assert [ln for ln in code if ln.lstrip().startswith("exec")] == [code[-1]], \
                    "binder/start: exec replaces the shell, so it must be the one and last command"
                assert "JAX_PLATFORMS=cpu" in text, "binder/start: export JAX_PLATFORMS=cpu (no GPU-fallback warning in outputs)"


def find_python(ver: str) -> str | None:
    """An interpreter of version ``ver`` (pyenv shims exit 127 unless selected, so try each)."""
    candidates = [os.environ.get("BINDER_PYTHON"), shutil.which(f"python{ver}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted((pyenv_root / "versions").glob(f"{ver}.*/bin/python{ver}"), reverse=True)]
    candidates += [sys.executable, f"/usr/bin/python{ver}", f"/usr/local/bin/python{ver}"]
    for c in filter(None, candidates):
        try:
            r = subprocess.run([c, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0 and r.stdout.strip() == ver:
            return c
    return None


def run(cmd, **kw):
    t0 = time.monotonic()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    print(f"[{time.monotonic() - t0:5.1f} s] {' '.join(str(c) for c in cmd[:6])}{' ...' if len(cmd) > 6 else ''}")
    assert r.returncode == 0, f"failed ({r.returncode}): {cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def execute(jupyter: Path, nb: Path, out_dir: Path, env: dict) -> float:
    """nbconvert --execute with timeouts; one retry if the run stalls (nbclient hang)."""
    cmd = [str(jupyter), "nbconvert", "--to", "notebook", "--execute", f"--ExecutePreprocessor.timeout={CELL_TIMEOUT_S}",
           "--ExecutePreprocessor.kernel_name=python3", "--output-dir", str(out_dir), str(nb)]
    for attempt in (1, 2):
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, cwd=nb.parent, env=env, capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            if attempt == 1:
                print(f"{nb.name}: no result in {NOTEBOOK_TIMEOUT_S} s, retrying once")
                continue
            raise AssertionError(f"{nb.name}: stalled twice ({NOTEBOOK_TIMEOUT_S} s each)")
        if r.returncode != 0 and attempt == 1 and re.search(r"TimeoutError|Timeout waiting", r.stderr):
            print(f"{nb.name}: a cell timed out, retrying once")
            continue
        assert r.returncode == 0, f"{nb.name} failed in the Binder env:\n{r.stderr[-4000:]}"
        return time.monotonic() - t0
    raise AssertionError("unreachable")


@pytest.mark.skipif(os.environ.get("RUN_BINDER_TEST") != "1",
                    reason="slow (~2-3 min): set RUN_BINDER_TEST=1 (CI does)")
def test_binder_env_runs_notebooks(tmp_path):
    ver = runtime_version()
    py = find_python(ver)
    assert py, (f"binder/runtime.txt says python-{ver} but no such interpreter with venv was found "
                f"(set BINDER_PYTHON=/path/to/python{ver})")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    t_start = time.monotonic()
    venv = tmp_path / "binder-venv"
    run([py, "-m", "venv", venv])
    bindir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_PATH", "PYTHONHOME")}
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", PIP_DISABLE_PIP_VERSION_CHECK="1",
               JAX_PLATFORMS="cpu",  # what binder/start exports
               # only the venv's own kernelspec and config: no user-level python3 kernel pointing elsewhere
               JUPYTER_DATA_DIR=str(tmp_path / "jdata"), JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jrt"), IPYTHONDIR=str(tmp_path / "ipy"))
    pip = [bindir / "python", "-m", "pip", "install", "-q"]  # pip's cache stays on: fast reruns
    run([*pip, *R2D_BASE], env=env)
    run([*pip, "-r", "binder/requirements.txt"], cwd=ROOT, env=env)  # exactly repo2docker's step
    installed = time.monotonic() - t_start

    r = run([bindir / "python", "-c", "import sys, jax, altair, ipywidgets, anywidget, voila, workbook; "
             "print(sys.version.split()[0], jax.__version__, altair.__version__, workbook.__file__)"], env=env, cwd=tmp_path)
    print("binder env:", r.stdout.strip())
    assert str(ROOT / "workbook") in r.stdout, "the Binder env must import the repo's workbook (editable install)"
    ext = run([bindir / "jupyter", "labextension", "list"], env=env, cwd=ROOT)
    for name in ("@jupyter-widgets/jupyterlab-manager", "anywidget", "@voila-dashboards/jupyterlab-preview"):
        assert name in ext.stdout + ext.stderr, f"lab extension {name} missing in the Binder env"
    srv = run([bindir / "jupyter", "server", "extension", "list"], env=env, cwd=ROOT)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", srv.stdout + srv.stderr)  # drop colour codes
    assert re.search(r"voila\S*\s+enabled", listing), "voila server extension not enabled in the Binder env"

    out = tmp_path / "executed"
    with ThreadPoolExecutor(BINDER_WORKERS) as pool:
        times = dict(zip((nb.name for nb in notebooks), pool.map(lambda nb: execute(bindir / "jupyter", nb, out, env), notebooks)))
    print(f"binder venv: install {installed:.0f} s; notebooks "
          + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()) + f"; total {time.monotonic() - t_start:.0f} s")
    if not notebooks:
        pytest.skip("binder env builds, but there are no notebooks/*.ipynb to execute yet")
