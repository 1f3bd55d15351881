"""Core performance figures: import time, compile time, vmapped sweep with gradients vs a Python loop.

    JAX_PLATFORMS=cpu .venv/bin/python benchmarks/bench_core.py [--points 100000]

Prints: `import workbook` time (fresh interpreter, median of 3), compile time of the jitted
vmapped value-and-gradient sweep, scenario evaluations per second with gradients over
(chip, model, batch, context) points, the same formulas in a plain Python loop, the cost
per evaluation at 1e4, 1e5 and 1e6 points (one vmap vs cache-sized chunks on every core), and the
time of the second and later ``workbook estimate`` calls in one process (compiled once).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog

from workbook.analysis.sweep import DEFAULT_CHUNK, evaluations_per_second
from workbook.model import serving
from workbook.specs import Efficiency, stack, workload


def import_time() -> float:
    code = "import time; t=time.perf_counter(); import workbook; print(time.perf_counter()-t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def estimate_call_time(calls: int = 20) -> tuple[float, float]:
    """Seconds of the first ``cli.estimate`` call in this process, and the median of the
    next ``calls`` (same shapes, other values: nothing is recompiled)."""
    from workbook import cli

    args = dict(chip_id="nvidia_h100_sxm", model_id="llama-3-70b", precision="fp8", chips=8)
    t0 = time.perf_counter()
    cli.estimate(batch=64, **args)
    first = time.perf_counter() - t0
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        cli.estimate(batch=16 + i, input_tokens=512 + 64 * i, **args)
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100_000)
    n = ap.parse_args().points
    print(f"import workbook: {import_time():.2f} s (median of 3 fresh interpreters; goal < 2 s)")

    rng = np.random.default_rng(0)
    chip_ids, model_ids = catalog.chip_ids(), catalog.model_ids()
    ci, mi = rng.integers(len(chip_ids), size=n), rng.integers(len(model_ids), size=n)
    chips = stack([catalog.chip(c) for c in chip_ids])
    models = stack([catalog.model(m) for m in model_ids])
    take = lambda rec, idx: jax.tree.map(lambda a: a[idx], rec)  # noqa: E731
    c, m = take(chips, jnp.asarray(ci)), take(models, jnp.asarray(mi))
    w0 = workload("fp8")
    batch = jnp.asarray(2.0 ** rng.integers(0, 10, size=n), jnp.float32)
    ctx = jnp.asarray(2.0 ** rng.integers(7, 16, size=n), jnp.float32)
    w = jax.tree.map(lambda x: jnp.full((n,), x, jnp.float32), w0)._replace(batch=batch, input_tokens=ctx, chips=jnp.full((n,), 8.0))
    eff = Efficiency()

    def tps(c, m, w):
        return serving.performance(c, m, w, eff).tokens_per_s_per_chip

    sweep = jax.jit(jax.vmap(jax.value_and_grad(tps, argnums=(0, 2))))
    t0 = time.perf_counter()
    sweep.lower(c, m, w).compile()
    print(f"compile (vmapped value + grad over chip and workload): {time.perf_counter() - t0:.2f} s")
    jax.block_until_ready(sweep(c, m, w))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        jax.block_until_ready(sweep(c, m, w))
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"vmapped sweep: {n:,} points with gradients in {best * 1e3:.1f} ms -> {n / best:,.0f} evaluations/s (goal >= 1e6/s)")

    # the same formulas, one scenario at a time from Python (jitted per call, no vmap)
    single = jax.jit(jax.value_and_grad(tps, argnums=(0, 2)))
    k = 300
    host = [jax.tree.map(np.asarray, r) for r in (c, m, w)]
    items = [tuple(jax.tree.map(lambda a: float(a[i]), r) for r in host) for i in range(k)]  # prepared, not timed
    jax.block_until_ready(single(*items[0]))
    t0 = time.perf_counter()
    for args in items:
        jax.block_until_ready(single(*args))
    loop = (time.perf_counter() - t0) / k
    print(f"python loop over the same jitted function: {1 / loop:,.0f} evaluations/s ({loop * 1e6:.0f} us each) -> vmap is {loop * n / best:,.0f}x faster")

    # per-evaluation cost as the sweep grows: one vmap keeps every intermediate of every point
    # alive (the working set leaves the caches); chunked_map evaluates cache-sized chunks on
    # every core (workbook.analysis.sweep)
    def value_and_grads(c, m, w):
        return jax.value_and_grad(tps, argnums=(0, 2))(c, m, w)

    for size in (10_000, 100_000, 1_000_000):
        idx = rng.integers(n, size=size)
        cs, ms, ws = (jax.tree.map(lambda a: np.asarray(a)[idx], r) for r in (c, m, w))
        plain = evaluations_per_second(value_and_grads, cs, ms, ws)
        chunked = evaluations_per_second(value_and_grads, cs, ms, ws, chunk=DEFAULT_CHUNK)
        print(f"{size:>9,} points with gradients: one vmap {1e9 / plain:6.1f} ns each ({plain:,.0f}/s); "
              f"chunks of {DEFAULT_CHUNK} on {os.cpu_count()} threads {1e9 / chunked:6.1f} ns each ({chunked:,.0f}/s)")

    first, later = estimate_call_time()
    print(f"workbook estimate in-process: first call {first:.2f} s (compiles), second and later {later * 1e3:.1f} ms "
          "each (median of 20; goal: no recompilation, < 100 ms)")


if __name__ == "__main__":
    main()
