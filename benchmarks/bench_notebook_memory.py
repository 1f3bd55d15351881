#!/usr/bin/env python3
"""Peak memory and time to first chart of each notebook, each in a fresh kernel.

    .venv/bin/python benchmarks/bench_notebook_memory.py            # every notebooks/*.ipynb
    .venv/bin/python benchmarks/bench_notebook_memory.py 00 02      # those whose names start so
    .venv/bin/python benchmarks/bench_notebook_memory.py --json     # one JSON object per notebook
    .venv/bin/python benchmarks/bench_notebook_memory.py --cells    # and the cells that raised the peak most

For every notebook this starts a new kernel with nbclient (the way nbconvert, nbval and Voilà
run one; ``JAX_PLATFORMS=cpu``, no persistent JAX cache: a reader's first run), executes the
cells in order and reports

* **peak RSS** of the kernel process: ``VmHWM`` of ``/proc/<kernel pid>/status`` (the
  high-water mark of resident memory, what counts against a Binder pod's limit), and the RSS
  left when the last cell has run (``VmRSS``);
* **time to first chart**: seconds from the kernel's start until a cell first outputs a chart
  (an SVG/PNG image or a widget view), i.e. what a reader waits after *Run All*;
* the total execution time and the slowest cell.

The goal is under 0.6 GB per notebook, so that a reader on public Binder (about 2 GB per
user) can keep three notebooks' kernels open. Linux only (``/proc``). Nothing is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GOAL_GB = 0.6
MIN_GROWTH = 0.005e9  # --cells lists every cell that raised the peak by at least this (bytes)
CHART_MIMES = ("image/svg+xml", "image/png", "application/vnd.jupyter.widget-view+json")


def proc_status(pid: int) -> dict[str, float]:
    """``VmHWM`` and ``VmRSS`` of a process, in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = float(rest.split()[0]) * 1024  # kB
    return out


def has_chart(cell) -> bool:
    return any(m in out.get("data", {}) for out in cell.get("outputs", []) for m in CHART_MIMES)


def measure(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    first_chart, slowest, growth = None, (0.0, -1), []
    # the kernel's own log lines (a TCP transport warning) would interleave with the report
    with client.setup_kernel(env=dict(os.environ, JAX_PLATFORMS="cpu"), stderr=subprocess.DEVNULL):
        pid = client.km.provisioner.process.pid
        started = time.perf_counter() - t0
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            c0, before = time.perf_counter(), proc_status(pid)["VmHWM"]
            client.execute_cell(cell, i)
            slowest = max(slowest, (time.perf_counter() - c0, i))
            growth.append((proc_status(pid)["VmHWM"] - before, i, cell.source.splitlines()[0][:60] if cell.source else ""))
            if first_chart is None and has_chart(cell):
                first_chart = time.perf_counter() - t0
        total = time.perf_counter() - t0
        mem = proc_status(pid)
    return {"notebook": path.name, "peak_rss_gb": round(mem["VmHWM"] / 1e9, 3),
            "final_rss_gb": round(mem["VmRSS"] / 1e9, 3), "kernel_start_s": round(started, 1),
            "first_chart_s": None if first_chart is None else round(first_chart, 1), "total_s": round(total, 1),
            "slowest_cell": slowest[1], "slowest_cell_s": round(slowest[0], 1),
            "peak_growth_by_cell": [{"cell": i, "gb": round(g / 1e9, 3), "first_line": line}
                                    for g, i, line in sorted(growth, reverse=True) if g >= MIN_GROWTH]}


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    prefixes = [a for a in argv if not a.startswith("--")]
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))
    paths = [p for p in paths if not prefixes or any(p.name.startswith(x) for x in prefixes)]
    if not sys.platform.startswith("linux"):
        print("needs Linux (/proc/<pid>/status)", file=sys.stderr)
        return 2
    over = []
    for p in paths:
        try:
            r = measure(p)
        except Exception as exc:  # one failing notebook does not hide the others' figures
            print(f"{p.name}: FAILED ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})",
                  flush=True)
            over.append(p.name)
            continue
        if r["peak_rss_gb"] > GOAL_GB:
            over.append(p.name)
        if as_json:
            print(json.dumps(r), flush=True)
        else:
            print(f"{r['notebook']:40s} peak RSS {r['peak_rss_gb']:.2f} GB (after run {r['final_rss_gb']:.2f} GB); "
                  f"first chart {r['first_chart_s']} s; run {r['total_s']} s "
                  f"(slowest: cell {r['slowest_cell']}, {r['slowest_cell_s']} s)", flush=True)
            if "--cells" in argv:
                for g in r["peak_growth_by_cell"]:
                    print(f"    cell {g['cell']:3d} raised the peak by {g['gb']:.3f} GB: {g['first_line']}", flush=True)
    if over:
        print(f"over the {GOAL_GB} GB goal or failed: {', '.join(over)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
