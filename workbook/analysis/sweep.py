"""Large sweeps in cache-sized chunks on every core.

One ``jax.vmap`` over a million points keeps every intermediate of the serving model alive
at once: the working set leaves the CPU caches and each evaluation costs twice as much as at
a hundred thousand points. :func:`chunked_map` evaluates a large sweep chunk by chunk (chunks
of a few sizes, so it compiles rarely) on a thread pool (XLA releases the interpreter lock
while it computes); small sweeps go through one vmap, which is faster there.

>>> import jax.numpy as jnp
>>> out = chunked_map(lambda x: x * 2.0, jnp.arange(10.0), chunk=1)
>>> [float(v) for v in out]
[0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import jax
import numpy as np

from workbook.errors import InputError, require

DEFAULT_CHUNK = 65536  # points per chunk: measured best of 8k-128k on this 2-core machine (benchmarks/bench_core.py)
# Up to this many chunks' worth of points one vmap is as fast (its working set still fits):
# on this machine one vmap costs ~90 ns per point up to 1e5 points and ~210 ns at 1e6.
SINGLE_CALL_CHUNKS = 4


def chunked_map(fn: Callable, *args, chunk: int = DEFAULT_CHUNK, workers: int | None = None):
    """``jax.vmap(fn)(*args)`` computed in chunks of ``chunk`` points on ``workers`` threads.

    ``args`` are pytrees whose leaves share a leading axis of length ``n``; the last chunk is
    padded by repeating the final point and trimmed afterwards. Returns the same pytree as
    ``jax.vmap(fn)(*args)`` with numpy leaves. ``workers`` defaults to the number of CPUs.
    """
    chunk = int(require("chunk", chunk, low=1, integer=True))
    leaves = jax.tree.leaves(args)
    if not leaves:
        raise InputError("args: chunked_map needs at least one array argument")
    n = int(np.shape(leaves[0])[0])
    run = _compiled(fn)
    workers = workers or os.cpu_count() or 1
    if n <= SINGLE_CALL_CHUNKS * chunk:  # small enough for one vmap: no padding, no threads
        return jax.tree.map(np.asarray, jax.block_until_ready(run(*args)))
    # at least one chunk per worker, at most ``chunk`` points each, sized in steps of 1024 so
    # that few shapes are compiled and padding stays under 1024 points per chunk
    parts = max(workers, -(-n // chunk))
    chunk = -(-n // parts)
    chunk = -(-chunk // 1024) * 1024
    pad = -n % chunk
    padded = jax.tree.map(lambda x: np.concatenate([np.asarray(x), np.repeat(np.asarray(x)[-1:], pad, axis=0)]) if pad else np.asarray(x), args)
    starts = range(0, n + pad, chunk)

    def one(s):
        part = jax.tree.map(lambda x: x[s:s + chunk], padded)
        return jax.tree.map(np.asarray, jax.block_until_ready(run(*part)))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(one, starts))
    return jax.tree.map(lambda *xs: np.concatenate(xs)[:n], *parts)


_CACHE: dict = {}


def _compiled(fn):
    """One jitted ``vmap`` per function object (so repeated sweeps reuse the compilation)."""
    if fn not in _CACHE:
        _CACHE[fn] = jax.jit(jax.vmap(fn))
    return _CACHE[fn]


def evaluations_per_second(fn: Callable, *args, chunk: int | None = None, repeats: int = 3) -> float:
    """Points per second of ``fn`` over ``args`` (best of ``repeats``; compile excluded):
    one plain ``vmap`` when ``chunk`` is None, else :func:`chunked_map`."""
    import time

    n = int(np.shape(jax.tree.leaves(args)[0])[0])
    if chunk is None:
        run = _compiled(fn)
        jax.block_until_ready(run(*args))
        call = lambda: jax.block_until_ready(run(*args))  # noqa: E731
    else:
        chunked_map(fn, *args, chunk=chunk)
        call = lambda: chunked_map(fn, *args, chunk=chunk)  # noqa: E731
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return n / best


__all__ = ["chunked_map", "evaluations_per_second", "DEFAULT_CHUNK"]
