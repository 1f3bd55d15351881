"""Free the memory a notebook's kernel holds for programs it no longer runs.

Every jitted program JAX has run stays in the kernel with what it took to build it: the XLA:CPU
executable (about 0.15 MB per fused kernel: 30-80 MB for the serving model's elasticities or
the frontier's gradient) and JAX's trace and lowered module of it (about 1 MB even for one
``jnp`` operation on concrete arrays). A notebook that runs a dozen such programs ends near
1 GB, and public Binder gives about 2 GB to the Jupyter server and every kernel together
(README, "Time and memory per notebook").

:func:`free_compiled` drops them all (``jax.clear_caches()``) and hands the freed memory back to
the operating system. A notebook calls it where a section starts whose programs differ from
the last section's. Nothing computed changes: a program needed again is the same program,
loaded back from JAX's persistent compilation cache when one is configured (Binder's image
has one, filled by ``binder/postBuild``: up to 2 s for the largest) or compiled again (up to
10 s). Arrays, results and widgets are untouched; a panel whose programs were freed reloads
them at its next update.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

import jax

_libc = None


def _trim() -> None:
    """glibc ``malloc_trim(0)``: return free heap pages to the OS (elsewhere: nothing to do)."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
            _libc = False
    if _libc:
        _libc.malloc_trim(0)


def free_compiled() -> None:
    """Drop every compiled JAX program and its traces, and return the memory to the OS.

    Calls ``jax.clear_caches()``, then ``gc.collect()`` (JAX's traces hold reference cycles)
    and, with glibc, ``malloc_trim(0)``, so the kernel's resident memory falls now rather than
    staying at its high-water mark for the allocator to reuse.
    """
    jax.clear_caches()
    gc.collect()
    _trim()
