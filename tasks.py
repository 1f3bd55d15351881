#!/usr/bin/env python3
"""The workbook's set-up commands. Needs only Python (>= 3.11) and pip.

    python3 tasks.py lab    # install into .venv, open JupyterLab on the notebooks
    python3 tasks.py test   # install into .venv (plus the browser for the e2e tests), run every test
    python3 tasks.py site   # install into .venv, build the static website into site/ (offline, no execution)

Extra arguments after ``test`` go to pytest (``python3 tasks.py test -k serving``); after
``site`` to tools/build_site.py (``python3 tasks.py site --out /tmp/site``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
JUPYTER_DATA = ROOT / "share" / "jupyter"  # the Voila template share/jupyter/nbconvert/templates/workbook
JUPYTER_CONFIG = ROOT / "etc" / "jupyter"  # voila.json: use that template


def run(*cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def install() -> None:
    """Create .venv and install the package with its test and notebook extras (once per pyproject change)."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python >= 3.11 is needed (jax, altair, pandas); this is {sys.version.split()[0]}")
    stamp = VENV / ".installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and PY.exists():
        return
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "-q", "-e", ".[test,notebooks]")
    stamp.write_text(want)


def env() -> dict:
    e = dict(os.environ)
    e.setdefault("JAX_PLATFORMS", "cpu")  # no GPU probing or fallback warnings in outputs
    # one compilation cache for the test run: every notebook executes under nbval, in the
    # browser tests and in the Binder check, and reuses the others' compiled XLA programs
    e.setdefault("JAX_COMPILATION_CACHE_DIR", str(VENV / "jax-cache"))
    e.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
    e.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    e.setdefault("MALLOC_ARENA_MAX", "2")  # fewer glibc arenas: less memory while XLA compiles (binder/start too)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    # Voila dashboards fold exercise answers and checks with the repository's "workbook"
    # template: found on the Jupyter data path, selected by etc/jupyter/voila.json (binder/start
    # sets the same two paths)
    e["JUPYTER_PATH"] = prepend_path(JUPYTER_DATA, e.get("JUPYTER_PATH"))
    e["JUPYTER_CONFIG_PATH"] = prepend_path(JUPYTER_CONFIG, e.get("JUPYTER_CONFIG_PATH"))
    return e


def prepend_path(first: Path, rest: str | None) -> str:
    """``first`` then the entries of the search path ``rest`` (os.pathsep-separated), once each."""
    parts = [str(first)] + [p for p in (rest or "").split(os.pathsep) if p and p != str(first)]
    return os.pathsep.join(parts)


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(args, as_root: bool) -> list[str]:
    """The ``jupyter lab`` command line; as root it adds ``--allow-root`` (Jupyter refuses
    to start as root without it, e.g. in a container)."""
    cmd = [str(BIN / "jupyter"), "lab", "notebooks/00_start_here.ipynb", *args]
    if as_root and "--allow-root" not in args:
        cmd.append("--allow-root")
    return cmd


def lab(args) -> None:
    install()
    as_root = running_as_root()
    if as_root:
        print("tasks.py: running as root (a container?), so JupyterLab starts with --allow-root", flush=True)
    cmd = lab_command(args, as_root)
    os.execve(cmd[0], cmd, env())


def test(args) -> None:
    install()
    browser = ROOT / "tools" / "install_browser.py"
    if browser.exists():  # Debian's chromium + Playwright for the real-browser tests
        run(PY, browser, env=env())
    result = subprocess.run([str(PY), "-m", "pytest", *worker_args(args), *args], cwd=ROOT, env=env())
    sys.exit(result.returncode)


def worker_args(args) -> list[str]:
    """pytest-xdist options: one worker per core, up to two (the CI machine has two), each test file
    on one worker (``--dist loadfile``: a notebook's cells share one kernel under nbval, and a
    module's JupyterLab server fixture starts once). No options when ``args`` choose the workers
    or the split themselves (``-n``, ``--numprocesses``, ``--dist``, ``-p no:xdist``)."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in args):
        return []
    return ["-n", str(max(1, min(2, os.cpu_count() or 1))), "--dist", "loadfile"]


def site(args) -> None:
    """Build the website from the executed notebooks (tools/build_site.py): site/index.html."""
    install()
    result = subprocess.run([str(PY), str(ROOT / "tools" / "build_site.py"), *args], cwd=ROOT, env=env())
    if result.returncode == 0:
        print(f"open {ROOT / 'site' / 'index.html'} in a browser (it works from disk, offline)")
    sys.exit(result.returncode)


COMMANDS = {"lab": lab, "test": test, "site": site}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
