"""Which resource binds where: regime maps over (batch, context) and the critical batch.

* **Regime map**: over a (batch B, context T) grid, which resource binds the decode step
  (``serving.RESOURCES``) and the ratio ``e_bandwidth / e_compute`` of tokens/s per chip.
* **Critical batch** per chip and precision: ``B* = peak * (bits/8) / (2 BW)``
  (:func:`workbook.model.roofline.critical_batch_size`).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.analysis.elasticity import METRICS, compute_elasticity, grid_elasticities_jit
from workbook.model import roofline, serving
from workbook.specs import Chip, Efficiency, Model, Workload, as_arrays, workload


def regime_map(chip: Chip, m: Model, w: Workload, eff: Efficiency, batches, contexts) -> dict:
    """Which resource binds over a (batch, context) grid, and how much each one matters.

    Returns a dict of ``(nB, nT)`` numpy arrays: ``bound`` (index into
    ``serving.RESOURCES``, of the decode step), ``e_bandwidth`` and ``e_compute``
    (elasticities of tokens/s per chip to memory bandwidth and to peak compute),
    ``ratio = e_bandwidth / e_compute``, ``fits`` and ``tokens_per_s_per_chip``; plus the
    ``batch`` and ``context`` axes.
    """
    b = jnp.asarray(batches, jnp.float32)
    t = jnp.asarray(contexts, jnp.float32)
    chip_e, _, perf = grid_elasticities_jit(*(as_arrays(r) for r in (chip, m, w, eff)), b, t)
    k = METRICS.index("tokens_per_s_per_chip")
    e_bw, e_c = np.asarray(chip_e.memory_bandwidth[..., k], float), np.asarray(compute_elasticity(chip_e)[..., k], float)
    bound, fits, tps = perf.bound, perf.fits, perf.tokens_per_s_per_chip
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = e_bw / e_c
    return {
        "batch": np.asarray(b, float), "context": np.asarray(t, float),
        "bound": np.asarray(bound).astype(int), "e_bandwidth": e_bw, "e_compute": e_c, "ratio": ratio,
        "fits": np.asarray(fits) > 0.5, "tokens_per_s_per_chip": np.asarray(tps, float),
    }


def critical_batch(chip: Chip, precision: str = "bf16") -> float:
    """Batch (tokens) at which a weight-streaming decode matmul turns compute-bound.

    ``B* = peak(precision) * (weight_bits/8) / (2 * BW)`` (scaling book): TPU v5e in bf16
    1.97e14 / 8.2e11 = 240, H100 989e12 / 3.35e12 = 295.
    """
    w = workload(precision)
    peak = serving.peak_flops(as_arrays(chip), as_arrays(w))
    return float(roofline.critical_batch_size(peak, chip.memory_bandwidth, w.weight_bits))


def critical_batch_table(chip_ids=None, precisions=("bf16", "fp8", "fp4", "int4")) -> list[dict]:
    """Rows ``{chip_id, precision, critical_batch}`` for every chip (default: the catalog)."""
    rows = []
    for cid in chip_ids or catalog.chip_ids():
        c = catalog.chip(cid)
        for p in precisions:
            rows.append({"chip_id": cid, "precision": p, "critical_batch": critical_batch(c, p)})
    return rows
