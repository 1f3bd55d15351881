"""Elasticities of the serving figures to every chip and workload field, by ``jax.grad``.

``e_x = d log y / d log x = (x / y) dy/dx`` of an output ``y`` (tokens/s per chip, TTFT, TPOT,
USD per million tokens): a 1 % rise in ``x`` moves ``y`` by about ``e_x`` %. They come back
as records of the input's type (a chip's elasticities are a :class:`~workbook.specs.Chip`).
Compiled functions are module-level ``jax.jit`` objects, so widgets re-evaluate in well under
a millisecond once warm.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workbook.model import serving
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays, tensor_parallel

# Outputs whose elasticities are reported, in this order.
METRICS = ("tokens_per_s_per_chip", "ttft", "tpot", "usd_per_million_tokens")
METRIC_LABELS = {
    "tokens_per_s_per_chip": "output tokens/s per chip",
    "ttft": "time to first token",
    "tpot": "time per output token",
    "usd_per_million_tokens": "USD per million output tokens",
}
PEAK_FIELDS = ("peak_flops_bf16", "peak_flops_fp8", "peak_flops_fp4", "peak_ops_int8")


def elasticities(fn, *records):
    """``d log fn / d log x`` for every field ``x`` of every record, by ``jax.grad``.

    Parameters
    ----------
    fn : callable(*records) -> positive scalar
    records : NamedTuple pytrees of floats (Chip, Model, Workload, Efficiency, ...)

    Returns
    -------
    tuple of records, one per input and of the same type: ``x * d log fn / dx``.
    A field that is 0 has elasticity 0 (also where ``d log fn / dx`` is infinite there).
    """
    records = tuple(as_arrays(r) for r in records)
    grads = jax.grad(lambda *rs: jnp.log(fn(*rs)), argnums=tuple(range(len(records))))(*records)
    return tuple(jax.tree.map(_times_value, g_r, r) for g_r, r in zip(grads, records))


def _times_value(g, x):
    """``x * g``, and 0 where the field ``x`` is 0 (not ``0 * inf`` or ``0 * NaN``)."""
    return jnp.where(x == 0, 0.0, g * x)


def _log_metrics(chip, m, w, eff, d=None):
    p = serving.performance(chip, m, w, eff, d)
    return jnp.log(jnp.stack([getattr(p, k) for k in METRICS])), p


def _serving_elasticities(chip, m, w, eff, d=None):
    """``(Chip, Workload, Performance)``: elasticities of each metric (arrays of shape
    ``(len(METRICS),)``) and the performance they were taken at.

    At a price of 0 the cost is 0 and its log undefined; the cost is then proportional to the
    price, so its elasticities do not depend on the price's level and are taken at a price of
    1: their limit as the price falls to 0 (1 for the price itself). The other metrics do not
    depend on the price."""
    perf = serving.performance(chip, m, w, eff, d)
    free = (chip.price == 0) & (perf.usd_per_million_tokens == 0)
    at = chip._replace(price=jnp.where(free, 1.0, chip.price))
    jac, _ = jax.jacrev(_log_metrics, argnums=(0, 2), has_aux=True)(at, m, w, eff, d)
    chip_e, w_e = (jax.tree.map(_times_value, j, r) for j, r in zip(jac, (at, w)))
    return chip_e, w_e, perf


serving_elasticities_jit = jax.jit(_serving_elasticities)


def serving_elasticities(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency(),
                         deployment: Deployment | None = None):
    """Elasticities of every metric in ``METRICS`` to every chip and workload field.

    Returns ``(chip_e, workload_e, performance)``: a :class:`Chip` and a :class:`Workload`
    whose fields are arrays of shape ``(4,)`` in the order of ``METRICS``, and the
    :class:`~workbook.model.serving.Performance` at that point. ``deployment`` defaults to
    tensor parallelism over ``w.chips``.
    """
    d = tensor_parallel(w.chips) if deployment is None else deployment
    return serving_elasticities_jit(*(as_arrays(r) for r in (chip, m, w, eff, d)))


def elasticity_table(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()) -> list[dict]:
    """Plain rows ``{record, field, metric, elasticity}`` for display (floats)."""
    chip_e, w_e, _ = serving_elasticities(chip, m, w, eff)
    rows = []
    for name, rec in (("chip", chip_e), ("workload", w_e)):
        for f in rec._fields:
            vals = np.asarray(getattr(rec, f), dtype=float)
            for k, metric in enumerate(METRICS):
                rows.append({"record": name, "field": f, "metric": metric, "elasticity": float(vals[k])})
    return rows


def _with_grid_point(w: Workload, batch, context):
    return w._replace(batch=batch, input_tokens=context)


def _grid_elasticities(chip, m, w, eff, batches, contexts):
    def one(b, t):
        return _serving_elasticities(chip, m, _with_grid_point(w, b, t), eff)

    return jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None))(batches, contexts)


grid_elasticities_jit = jax.jit(_grid_elasticities)


def grid_elasticities(chip, m, w, eff, batches, contexts):
    """Elasticities over a (batch, context) grid: ``(chip_e, workload_e, performance)`` with
    fields of shape ``(nB, nT, len(METRICS))`` (performance: ``(nB, nT)``).

    ``context`` is the prompt length ``input_tokens``; the rest of ``w`` is kept.
    """
    b = jnp.asarray(batches, jnp.float32)
    t = jnp.asarray(contexts, jnp.float32)
    return grid_elasticities_jit(*(as_arrays(r) for r in (chip, m, w, eff)), b, t)


def compute_elasticity(chip_e: Chip):
    """Elasticity to peak compute: the sum over the peak-rate fields (``PEAK_FIELDS``), i.e.
    the response to raising every precision's peak by the same 1 %."""
    return sum(getattr(chip_e, f) for f in PEAK_FIELDS)
