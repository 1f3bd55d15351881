"""What a well-tuned deployment reaches: the best batch, chips and layout, vmapped.

MLPerf submitters tune batch and parallelism for throughput. For a measured row without a
batch we predict the best output tokens/s per chip over a grid of batch sizes
``B in {1, 2, 4, ..., 8192}``, chips per replica ``G in {1, 2, 4, ..., 1024} U
{accelerator_count}`` that divide the system, and the valid layouts of each ``G``
(:func:`workbook.model.deployment.candidate_deployments`: tensor, tensor x pipeline, pipeline,
expert parallelism), subject to

* memory: weights + KV cache + activations fit in 90 % of each chip's memory. A grid batch
  that does not fit is cut to the most sequences that do (:func:`capacity_batch`): submitters
  size the batch to fill memory (TensorRT-LLM's ``max_batch_size`` / KV-cache fraction, vLLM's
  ``gpu_memory_utilization``), not to a power of two; and
* ``server`` / ``interactive`` rows: the throughput is the **goodput** of each grid point under
  Poisson arrivals (:func:`workbook.model.latency.server_throughput_under_constraint`: the
  largest load whose p99 TTFT and p99 TPOT from the queueing model meet the row's limits, with
  the batch as the number of decode slots and the default prefill chunk, or the token budget the
  submission documents), not the unloaded
  throughput. Nothing about the tail is fitted.

Where the row gives a batch, that batch on all of the row's accelerators is used, with the
best layout. Where the source documents its tensor-parallel degree (``platform`` "TP8", as the
TensorRT-LLM performance tables do, or an MLPerf submission's config,
:data:`workbook.calibration.measurements.DOCUMENTED_LAYOUTS`, with its pipeline degree), only
layouts with those degrees are searched: the prediction is of the deployment that was measured, not of a better one. The whole table of rows x grid points is one ``jax.vmap`` of
:func:`workbook.model.serving.performance`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.calibration.measurements import Measured
from workbook.model import latency, serving, sizing
from workbook.model.deployment import LAYOUTS, candidate_deployments
from workbook.specs import (DEFAULT_BATCHED_TOKENS, DEFAULT_MEMORY_FRACTION, PRECISIONS, Deployment, Efficiency, Model,
                            Workload, stack)

TAIL_SCENARIOS = ("server", "interactive")  # rows with p99 latency limits under Poisson arrivals
BATCH_GRID = 2.0 ** np.arange(0, 14)
CHIP_GRID = 2.0 ** np.arange(0, 11)


def padded_heads(n_head: float, tp: float) -> float:
    """Query heads padded up to a multiple of the degree ``tp`` (transformers-neuronx
    ``round_up_to_divisor(n_head, tp_degree)``)."""
    return float(math.ceil(n_head / tp) * tp)


def neuron_kv_heads(n_head: float, n_kv_head: float, tp: float) -> float:
    """KV heads transformers-neuronx stores for a grouped-query model over ``tp`` NeuronCores
    (a port of ``utils.get_qkv_padding``; its default "shard-over-heads" falls back to
    ``GQA.REPLICATED_HEADS`` whenever ``tp`` does not divide the KV heads).

    Unchanged when ``tp`` divides them. Otherwise replicated: up to one per core (``tp``) when
    ``tp`` is a multiple of them and the query heads, padded to a multiple of ``tp``, still
    line up with them; one per core when each core's padded query heads are exactly one
    group; else fully, to the query heads (padded with them). At least ``tp``.

    >>> neuron_kv_heads(64, 8, 24), neuron_kv_heads(64, 8, 32), neuron_kv_heads(32, 8, 8)
    (24.0, 32.0, 8.0)
    """
    if n_kv_head == n_head or n_kv_head % tp == 0:
        return float(n_kv_head)
    padded = padded_heads(n_head, tp)
    ratio = n_head / n_kv_head
    if n_kv_head < tp and tp % n_kv_head == 0 and (n_head % tp == 0 or (padded > n_head and (padded - n_head) % n_kv_head == 0)):
        ratio = tp / n_kv_head
    elif padded / tp == n_head / n_kv_head:
        ratio = 1.0
    kv = max(n_kv_head * ratio, tp)
    return float(padded if kv == n_head else kv)


def row_model(m: Measured) -> Model:
    """The model a row ran: the catalog's, with its heads laid out as the documented runtime
    lays them out over its tensor-parallel degree ``m.tp_units``.

    * Query heads are padded up to a multiple of the degree where it does not divide them
      (transformers-neuronx pads ``n_head`` to ``round_up_to_divisor(n_head, tp_degree)``
      NeuronCores, ``utils.get_qkv_padding``); multi-head models pad their KV heads with them.
    * Grouped KV heads, on a degree given in NeuronCores (the transformers-neuronx tables), are
      replicated as that runtime replicates them (:func:`neuron_kv_heads`): 8 KV heads over 24
      NeuronCores become 24, one per core. GPU runtimes (TensorRT-LLM) also keep one copy of a
      KV head per GPU, which :func:`workbook.model.sizing.kv_bytes_per_sequence_per_chip`
      already counts; a Neuron chip holds two cores, so its copies have to be counted here.

    Padded and replicated heads carry weights, KV cache and attention FLOPs like real ones."""
    model = catalog.model(m.model_id)
    k = m.tp_units
    if k is None or model.mla > 0:
        return model
    heads = padded_heads(model.n_heads, k)
    kv = model.n_kv_heads
    if model.n_kv_heads == model.n_heads:
        kv = heads
    elif m.tp is not None and k > m.tp:  # degree in NeuronCores
        kv = neuron_kv_heads(model.n_heads, model.n_kv_heads, k)
    if heads == model.n_heads and kv == model.n_kv_heads:
        return model
    return model._replace(n_heads=heads, n_kv_heads=kv)


def documented_layouts(m: Measured, points: list[tuple[float, Deployment]]) -> list[tuple[float, Deployment]]:
    """The ``(batch, layout)`` grid points a row's source documents: tensor parallelism of degree
    ``m.tp`` and pipeline parallelism of degree ``m.pp`` (1 when the source gives only the tensor
    degree), no expert split. All of ``points`` when the row documents none, or when no point has
    those degrees (e.g. TP6 on 12 chips: the grid's replicas are powers of two or the whole
    system; a degree that does not divide the heads is padded by :func:`row_model`): the row
    then stays tuned."""
    if m.tp is None:
        return points
    pp = 1.0 if m.pp is None else m.pp
    return [(b, d) for b, d in points if d.tp == m.tp and d.pp == pp and d.ep == 1.0] or points


def grid(m: Measured) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(batch, deployment (n, 4: tp, pp, ep, dp), allowed)`` arrays over the search grid for row ``m``."""
    chip, model = catalog.chip(m.chip_id), row_model(m)
    gs = np.append(CHIP_GRID, m.accelerators)
    batches = [float(m.batch)] if m.batch is not None else list(BATCH_GRID)
    n = len(BATCH_GRID) * len(gs) * len(LAYOUTS)
    b = np.ones(n)
    dep = np.ones((n, 4))
    allowed = np.zeros(n, dtype=bool)
    points = []
    for batch in batches:
        for g in ([float(m.accelerators)] if m.batch is not None else gs):
            if m.batch is None and (g > m.accelerators or m.accelerators % g):
                continue
            points += [(batch, d) for _, d in candidate_deployments(chip, model, int(g), batch)]
            # a documented tensor x pipeline split the layout rules do not build (TP4 x PP2 on 8)
            if m.pp is not None and g == m.tp * m.pp and model.n_heads % m.tp == 0 and m.pp <= model.n_layers:
                points.append((batch, Deployment(float(m.tp), float(m.pp), 1.0, 1.0)))
    points = list(dict.fromkeys(points))
    for k, (batch, d) in enumerate(documented_layouts(m, points)):
        b[k], dep[k], allowed[k] = batch, tuple(d), True
    return b, dep, allowed


def stacked_inputs(rows: list[Measured]):
    """Stacked chips, models, grid workloads (rows x grid), masks and the rows' p99 TTFT and
    TPOT limits (s; ``inf`` for rows that have none or are not ``server`` / ``interactive``) with
    their prefill chunks (tokens: the documented ``batched_tokens``, else the queue's default)."""
    chips = stack([catalog.chip(r.chip_id) for r in rows])
    models = stack([row_model(r) for r in rows])
    bs, deps, allowed = zip(*(grid(r) for r in rows))
    deps = np.stack(deps).astype(np.float32)
    bits = np.array([PRECISIONS[r.precision] for r in rows], dtype=np.float32)
    n, j = len(rows), len(bs[0])
    col = lambda x: np.broadcast_to(np.asarray(x, np.float32)[:, None], (n, j))  # noqa: E731
    work = Workload(
        batch=jnp.asarray(np.stack(bs), jnp.float32),
        input_tokens=jnp.asarray(col([r.input_tokens for r in rows])),
        output_tokens=jnp.asarray(col([r.output_tokens for r in rows])),
        chips=jnp.asarray(deps[..., 0] * deps[..., 1] * deps[..., 3]),
        weight_bits=jnp.asarray(col(bits[:, 0])), activation_bits=jnp.asarray(col(bits[:, 1])),
        kv_bits=jnp.asarray(col(bits[:, 2])), integer_math=jnp.asarray(col(bits[:, 3])),
        output_cv=jnp.asarray(col([r.output_cv for r in rows])),
        memory_fraction=jnp.asarray(col([r.memory_fraction or DEFAULT_MEMORY_FRACTION for r in rows])),
        batched_tokens=jnp.asarray(col([r.batched_tokens or DEFAULT_BATCHED_TOKENS for r in rows])),
    )
    deployment = Deployment(*(jnp.asarray(deps[..., i]) for i in range(4)))
    inf = np.float32(np.inf)
    limits = tuple(
        jnp.asarray([lim(r) if (lim(r) and r.scenario in TAIL_SCENARIOS) else inf for r in rows], jnp.float32)
        for lim in (lambda r: r.ttft_limit, lambda r: r.tpot_limit)
    ) + (jnp.asarray([r.batched_tokens or latency.DEFAULT_CHUNK_TOKENS for r in rows], jnp.float32),)
    given = jnp.asarray([r.batch is not None for r in rows])
    return chips, models, work, deployment, jnp.asarray(np.stack(allowed)), limits, given


def capacity_batch(chip, m, w: Workload, d: Deployment, given) -> Workload:
    """``w`` with its batch cut to the replica's capacity, ``min(B, max_batch)``
    (:func:`workbook.model.sizing.max_batch`), where the row does not give its batch and at
    least one sequence fits; otherwise ``w`` unchanged (a point that does not fit stays
    infeasible). Piecewise constant in the specs: the gradient of the cut batch is zero."""
    cap = sizing.max_batch(chip, m, w, d)
    cut = jnp.where(given | (cap < 1.0), w.batch, jnp.minimum(w.batch, cap))
    return w._replace(batch=cut)


_capacity_grid = jax.vmap(  # rows
    jax.vmap(capacity_batch, in_axes=(None, None, 0, 0, None)),  # grid points of one row
    in_axes=(0, 0, 0, 0, 0),
)

_perf_grid = jax.vmap(  # rows
    jax.vmap(serving.performance, in_axes=(None, None, 0, None, 0)),  # grid points of one row
    in_axes=(0, 0, 0, 0, 0),
)


def best_throughput(chips, models, work, deployment, allowed, limits, given, effs: Efficiency):
    """Best feasible output tokens/s per chip for each row, and the grid index it uses.

    Rows with no feasible grid point get ``nan``. Differentiable in the specs and
    efficiencies (the gradient flows through the chosen grid point).
    """
    work = _capacity_grid(chips, models, work, deployment, given)
    perf = _perf_grid(chips, models, work, effs, deployment)
    ttft_lim, tpot_lim, _ = limits
    ok = allowed & ((perf.fits > 0.5) | given[:, None])
    ok = ok & (perf.ttft <= ttft_lim[:, None]) & (perf.tpot <= tpot_lim[:, None])
    best, idx = _best_point(jnp.where(ok, perf.tokens_per_s_per_chip, -1.0))
    return jnp.where(ok.any(axis=1), best, jnp.nan), idx


def _best_point(tps):
    """``(value, index)`` of each row's largest entry; the gradient flows through the chosen entry."""
    idx = jnp.argmax(jax.lax.stop_gradient(tps), axis=1)
    return jnp.take_along_axis(tps, idx[:, None], axis=1)[:, 0], idx


best_throughput_jit = jax.jit(best_throughput)


def is_tail_row(m: Measured) -> bool:
    """A row predicted by :func:`best_goodput`: ``server`` / ``interactive``, tuned by the
    submitter (no batch given), with at least one p99 limit."""
    return m.scenario in TAIL_SCENARIOS and m.batch is None and bool(m.ttft_limit or m.tpot_limit)


def _row_goodput(chip, m, w, eff, d, ttft_limit, tpot_limit, chunk_tokens):
    return latency.server_throughput_under_constraint(chip, m, w, eff, d, ttft_limit, tpot_limit,
                                                      chunk_tokens=chunk_tokens)


_goodput_grid = jax.vmap(  # rows
    jax.vmap(_row_goodput, in_axes=(None, None, 0, None, 0, None, None, None)),
    in_axes=(0, 0, 0, 0, 0, 0, 0, 0),
)


def best_goodput(chips, models, work, deployment, allowed, limits, given, effs: Efficiency):
    """Best output tokens/s per chip of ``server`` / ``interactive`` rows and the grid index it uses.

    Each grid point (batch = decode slots, layout) that fits in memory serves Poisson arrivals
    at the largest load whose p99 TTFT and TPOT meet the row's limits
    (:func:`workbook.model.latency.server_throughput_under_constraint`); the row's prediction is
    the best point. ``nan`` where no point meets the limits at any load. Differentiable in the
    specs and efficiencies through the chosen point (implicit-function gradients of the load).
    """
    work = _capacity_grid(chips, models, work, deployment, given)
    perf = _perf_grid(chips, models, work, effs, deployment)
    ok = allowed & ((perf.fits > 0.5) | given[:, None])
    good = _goodput_grid(chips, models, work, effs, deployment, *limits)
    best, idx = _best_point(jnp.where(ok & (good > 0), good, -1.0))
    return jnp.where(best > 0, best, jnp.nan), idx


best_goodput_jit = jax.jit(best_goodput)
