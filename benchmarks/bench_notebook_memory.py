#!/usr/bin/env python3
"""Peak memory and time to first chart of each notebook, each in a fresh kernel.

    .venv/bin/python benchmarks/bench_notebook_memory.py            # every notebooks/*.ipynb, a first run
    .venv/bin/python benchmarks/bench_notebook_memory.py 00 02      # those whose names start so
    .venv/bin/python benchmarks/bench_notebook_memory.py --json     # one JSON object per notebook
    .venv/bin/python benchmarks/bench_notebook_memory.py --cells    # and every cell that raised the peak
    .venv/bin/python benchmarks/bench_notebook_memory.py --binder   # as on Binder: binder/start's environment,
                                                                    # caches warmed as binder/postBuild does
    .venv/bin/python benchmarks/bench_notebook_memory.py --env MALLOC_ARENA_MAX=2   # try a knob

For every notebook this starts a new kernel with nbclient (the way nbconvert, nbval and Voilà
run one), executes the cells in order and reports

* **peak RSS** of the kernel process: ``VmHWM`` of ``/proc/<kernel pid>/status`` (the
  high-water mark of resident memory, what counts against a Binder pod's limit), and the RSS
  left when the last cell has run (``VmRSS``) with its ``RssFile`` part: pages of shared
  libraries (jaxlib, NumPy, vl-convert; about 0.16 GB), which every kernel maps and a pod's
  memory limit counts once;
* **time to first chart**: seconds from the kernel's start until a cell first outputs a chart
  (an SVG/PNG image or a widget view), i.e. what a reader waits after *Run All*;
* the total execution time and the slowest cell.

Two environments. By default, a reader's first run with nothing cached: ``JAX_PLATFORMS=cpu``,
no persistent JAX compilation cache (the ``JAX_*CACHE*`` variables are dropped) and a new,
empty ``WORKBOOK_CACHE_DIR`` per notebook (no cached Vega bundle,
:func:`workbook.ui.charts.enable_offline`).
With ``--binder``, what a reader gets on Binder: the variables of :data:`BINDER_ENV` (which
``binder/start`` exports; keep the two in step) and caches that ``binder/postBuild`` filled at
image build time, here by executing every selected notebook once, unmeasured, into a
temporary directory first (or into ``--cache-dir DIR``, warmed only if it holds no JAX cache
yet; the warm-up needs the same environment as the measurement, as the cache keys include
XLA flags). ``--env NAME=VALUE`` (repeatable) adds or overrides one variable of the kernel's
environment, in either mode, to measure a knob on its own.

The goal is under 0.6 GB per notebook, so that a reader on public Binder (about 2 GB per
user, shared by the Jupyter server and every kernel) can keep several notebooks' kernels
open. Linux only (``/proc``). Nothing is written outside the temporary or ``--cache-dir``
directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GOAL_GB = 0.6
MIN_GROWTH = 0.005e9  # --cells lists every cell that raised the peak by at least this (bytes)
# What binder/start exports for a reader's kernel (keep in step with binder/start and
# binder/postBuild); "{cache}" is the cache directory: $HOME/.cache/workbook on Binder.
BINDER_ENV = {
    "JAX_PLATFORMS": "cpu",
    "MALLOC_ARENA_MAX": "2",  # glibc: 2 heaps, not 8 per core; freed compiler memory is reused
    "JAX_COMPILATION_CACHE_DIR": "{cache}/jax",  # XLA programs compiled by postBuild: no compile
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    "WORKBOOK_CACHE_DIR": "{cache}",  # the Vega bundle of charts.enable_offline()
}
CHART_MIMES = ("image/svg+xml", "image/png", "application/vnd.jupyter.widget-view+json")


def proc_status(pid: int) -> dict[str, float]:
    """``VmHWM``, ``VmRSS`` and its ``RssAnon`` and ``RssFile`` parts of a process, in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            out[key] = float(rest.split()[0]) * 1024  # kB
    return out


def first_line(source: str) -> str:
    """A cell's first line of code, past comments and ``memory.free_compiled()``, to name it."""
    lines = [x for x in source.splitlines() if x.strip()]
    code = [x for x in lines if not x.lstrip().startswith("#") and "free_compiled(" not in x]
    return (code or lines or [""])[0][:60]


def has_chart(cell) -> bool:
    return any(m in out.get("data", {}) for out in cell.get("outputs", []) for m in CHART_MIMES)


def first_run_env(cache: Path) -> dict[str, str]:
    """A reader's first run: CPU, no persistent JAX cache, an empty workbook cache."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("JAX_") and "CACHE" in k)}
    return dict(env, JAX_PLATFORMS="cpu", WORKBOOK_CACHE_DIR=str(cache))


def binder_env(cache: Path) -> dict[str, str]:
    """The environment of a reader's kernel on Binder (:data:`BINDER_ENV`), caches in ``cache``."""
    return dict(os.environ, **{k: v.format(cache=cache) for k, v in BINDER_ENV.items()})


def measure(path: Path, env: dict[str, str] | None = None) -> dict:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    first_chart, slowest, growth = None, (0.0, -1), []
    # the kernel's own log lines (a TCP transport warning) would interleave with the report
    env = dict(os.environ, JAX_PLATFORMS="cpu") if env is None else env
    with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
        pid = client.km.provisioner.process.pid
        started = time.perf_counter() - t0
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            c0, before = time.perf_counter(), proc_status(pid)["VmHWM"]
            client.execute_cell(cell, i)
            slowest = max(slowest, (time.perf_counter() - c0, i))
            growth.append((proc_status(pid)["VmHWM"] - before, i, first_line(cell.source)))
            if first_chart is None and has_chart(cell):
                first_chart = time.perf_counter() - t0
        total = time.perf_counter() - t0
        mem = proc_status(pid)
    return {"notebook": path.name, "peak_rss_gb": round(mem["VmHWM"] / 1e9, 3),
            "final_rss_gb": round(mem["VmRSS"] / 1e9, 3), "final_file_gb": round(mem["RssFile"] / 1e9, 3),
            "kernel_start_s": round(started, 1),
            "first_chart_s": None if first_chart is None else round(first_chart, 1), "total_s": round(total, 1),
            "slowest_cell": slowest[1], "slowest_cell_s": round(slowest[0], 1),
            "peak_growth_by_cell": [{"cell": i, "gb": round(g / 1e9, 3), "first_line": line}
                                    for g, i, line in sorted(growth, reverse=True) if g >= MIN_GROWTH]}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prefixes", nargs="*", help="notebooks whose names start so (default: all)")
    ap.add_argument("--json", action="store_true", help="one JSON object per notebook")
    ap.add_argument("--cells", action="store_true", help="list every cell that raised the peak")
    ap.add_argument("--binder", action="store_true", help="binder/start's environment, caches warmed first")
    ap.add_argument("--cache-dir", type=Path, help="with --binder: keep the caches here (warm-up only if empty)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="one more kernel variable")
    args = ap.parse_args(argv)
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))
    paths = [p for p in paths if not args.prefixes or any(p.name.startswith(x) for x in args.prefixes)]
    if not sys.platform.startswith("linux"):
        print("needs Linux (/proc/<pid>/status)", file=sys.stderr)
        return 2
    extra = dict(kv.split("=", 1) for kv in args.env)
    with tempfile.TemporaryDirectory(prefix="bench-notebook-memory-") as tmp:
        cache = (args.cache_dir or Path(tmp)).resolve()
        if args.binder:
            env = dict(binder_env(cache), **extra)
            env_for = lambda p: env  # noqa: E731
        else:  # each notebook a first run: its own empty cache directory
            env = dict(first_run_env(cache / "<notebook>"), **extra)
            env_for = lambda p: dict(env, WORKBOOK_CACHE_DIR=str(cache / p.stem))  # noqa: E731
        shown = {k: env[k] for k in sorted(env) if k in BINDER_ENV or k in extra or k.startswith(("JAX_", "XLA_"))}
        print(f"kernel environment: {' '.join(f'{k}={v}' for k, v in shown.items())}", file=sys.stderr, flush=True)
        if args.binder and not any((cache / "jax").glob("*")):
            for p in paths:  # binder/postBuild: every notebook once, to fill the caches
                t0 = time.perf_counter()
                try:
                    measure(p, env)
                    print(f"warm-up {p.name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
                except Exception as exc:
                    print(f"warm-up {p.name}: FAILED ({type(exc).__name__})", file=sys.stderr, flush=True)
        return report(paths, env_for, args.json, args.cells)


def report(paths: list[Path], env_for, as_json: bool, cells: bool) -> int:
    """Measure each notebook in the environment ``env_for(path)`` and print the figures."""
    over = []
    for p in paths:
        try:
            r = measure(p, env_for(p))
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
            print(f"{r['notebook']:40s} peak RSS {r['peak_rss_gb']:.2f} GB (after run {r['final_rss_gb']:.2f} GB, "
                  f"{r['final_file_gb']:.2f} of it shared library pages); "
                  f"first chart {r['first_chart_s']} s; run {r['total_s']} s "
                  f"(slowest: cell {r['slowest_cell']}, {r['slowest_cell_s']} s)", flush=True)
            if cells:
                for g in r["peak_growth_by_cell"]:
                    print(f"    cell {g['cell']:3d} raised the peak by {g['gb']:.3f} GB: {g['first_line']}", flush=True)
    if over:
        print(f"over the {GOAL_GB} GB goal or failed: {', '.join(over)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
