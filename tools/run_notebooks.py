#!/usr/bin/env python3
"""Regenerate, execute and clean every notebook, so the committed outputs match the code.

    .venv/bin/python tools/run_notebooks.py            # all notebooks
    .venv/bin/python tools/run_notebooks.py 02 03      # only those whose names start so

Run it whenever code a notebook calls changes; `pytest --nbval` then compares the stored
outputs with a fresh run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
def main(prefixes: list[str]) -> None:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    generators = {"make_notebooks.py": ("00", "01", "02"), "make_notebook_03.py": ("03",), "make_notebook_04.py": ("04",)}
    for gen, made in generators.items():  # a generator rewrites its notebooks without outputs
        if (ROOT / "tools" / gen).exists() and (not prefixes or any(m.startswith(p) or p.startswith(m) for m in made for p in prefixes)):
            subprocess.run([sys.executable, str(ROOT / "tools" / gen)], check=True, cwd=ROOT, env=env)
            prefixes = prefixes and sorted(set(prefixes) | set(made))
    books = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if prefixes:
        books = [b for b in books if any(b.name.startswith(p) for p in prefixes)]
    for nb in books:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                        "--ExecutePreprocessor.timeout=600", str(nb)], check=True, cwd=ROOT, env=env,
                       stderr=subprocess.DEVNULL)
        subprocess.run([sys.executable, str(ROOT / "tools" / "nb_clean.py"), str(nb)], check=True, cwd=ROOT)
        print(f"{nb.name}: executed in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
