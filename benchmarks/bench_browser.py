"""Benchmark: how long a reader waits.

1. JupyterLab start -> first chart visible in the browser: spawn ``jupyter lab`` (same
   settings as tests/test_browser.py), launch Chromium, open the first notebook, Run All
   Cells, stop the clock when the first Altair chart in an output has drawn.
2. Each notebooks/*.ipynb executed top to bottom with ``jupyter nbconvert --execute``
   (per-cell timeout; what a kernel costs without a browser).

Usage: .venv/bin/python benchmarks/bench_browser.py [--no-browser] [--no-nbconvert] [notebook ...]
Needs /usr/bin/chromium and playwright for part 1 (python3 tools/install_browser.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import e2e_helpers as e2e  # noqa: E402

CELL_TIMEOUT_S = 300
NOTEBOOK_TIMEOUT_S = 600


def first_chart(nb: str) -> dict:
    from playwright.sync_api import sync_playwright

    marks = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        lab = e2e.LabServer(Path(tmp))
        lab.start()
        marks["server up"] = time.monotonic() - t0
        try:
            with sync_playwright() as p:
                browser = e2e.launch_browser(p)
                marks["browser up"] = time.monotonic() - t0
                page = e2e.new_page(browser)
                e2e.open_notebook(page, lab, nb)
                marks["notebook open, kernel idle"] = time.monotonic() - t0
                e2e.menu(page, "Edit", "Clear Outputs of All Cells")
                e2e.menu(page, "Run", "Run All Cells")
                page.wait_for_function(
                    f"""() => [...document.querySelectorAll('{e2e.LAB_SCOPE} :is({e2e.CHART_SEL})')].some(ch => {{
                        const c = ch.querySelector('canvas'); if (c) return c.width > 0;
                        const i = ch.querySelector('img'); if (i) return i.complete && i.naturalWidth > 0;
                        return !!ch.querySelector('svg'); }})""", timeout=NOTEBOOK_TIMEOUT_S * 1000, polling=100)
                marks["first chart visible"] = time.monotonic() - t0
                e2e.run_all_wait(page, NOTEBOOK_TIMEOUT_S)
                marks["all cells done"] = time.monotonic() - t0
                e2e.screenshot(page, "bench-first-chart")
                browser.close()
        finally:
            lab.shutdown_kernels()
            lab.stop()
    return marks


def nbconvert_time(nb: Path) -> float:
    jupyter = Path(sys.executable).parent / "jupyter"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.monotonic()
        r = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute",
                            f"--ExecutePreprocessor.timeout={CELL_TIMEOUT_S}", "--output-dir", out, str(nb)],
                           cwd=nb.parent, env=env, capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT_S)
        dt = time.monotonic() - t0
    if r.returncode != 0:
        print(f"  {nb.name}: FAILED after {dt:.1f} s\n{r.stderr[-1500:]}")
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="paths relative to the repo (default: notebooks/*.ipynb)")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-nbconvert", action="store_true")
    a = ap.parse_args()
    nbs = a.notebooks or e2e.notebooks()
    if not nbs:
        print("no notebooks/*.ipynb yet")
        return 1
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if not a.no_browser:
        reason = e2e.missing_browser_reason()
        if reason:
            print(f"browser benchmark skipped: {reason}")
        else:
            print(f"JupyterLab start -> first chart visible ({nbs[0]}):")
            for k, v in first_chart(nbs[0]).items():
                print(f"  {k:<28} {v:6.1f} s")
    if not a.no_nbconvert:
        print(f"nbconvert --execute, top to bottom (cell timeout {CELL_TIMEOUT_S} s):")
        total = 0.0
        for nb in nbs:
            dt = nbconvert_time(e2e.ROOT / nb)
            total += dt
            print(f"  {nb:<45} {dt:6.1f} s")
        print(f"  {'total':<45} {total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
