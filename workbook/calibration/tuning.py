"""What a well-tuned deployment reaches: the best batch, chips and layout, vmapped.

MLPerf submitters tune batch and parallelism for throughput. For a measured row without a
batch we predict the best output tokens/s per chip over a grid of batch sizes
``B in {1, 2, 4, ..., 8192}``, chips per replica ``G in {1, 2, 4, ..., 1024} U
{accelerator_count}`` that divide the system, and the valid layouts of each ``G``
(:func:`workbook.model.deployment.candidate_deployments`: tensor, tensor x pipeline, pipeline,
expert parallelism), subject to

* memory: weights + KV cache + activations fit in 90 % of each chip's memory, and
* ``server`` / ``interactive``: TTFT and TPOT within the row's p99 limits, where the p99 is
  taken as a calibrated multiple of the model's mean (``tail_factor``).

Where the row gives a batch, that batch on all of the row's accelerators is used, with the
best layout. The whole table of rows x grid points is one ``jax.vmap`` of
:func:`workbook.model.serving.performance`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.calibration.measurements import Measured
from workbook.model import serving
from workbook.model.deployment import LAYOUTS, candidate_deployments
from workbook.specs import PRECISIONS, Deployment, Efficiency, Workload, stack

BATCH_GRID = 2.0 ** np.arange(0, 14)
CHIP_GRID = 2.0 ** np.arange(0, 11)


def grid(m: Measured) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(batch, deployment (n, 4: tp, pp, ep, dp), allowed)`` arrays over the search grid for row ``m``."""
    chip, model = catalog.chip(m.chip_id), catalog.model(m.model_id)
    gs = np.append(CHIP_GRID, m.accelerators)
    batches = [float(m.batch)] if m.batch is not None else list(BATCH_GRID)
    n = len(BATCH_GRID) * len(gs) * len(LAYOUTS)
    b = np.ones(n)
    dep = np.ones((n, 4))
    allowed = np.zeros(n, dtype=bool)
    k = 0
    for batch in batches:
        for g in ([float(m.accelerators)] if m.batch is not None else gs):
            if m.batch is None and (g > m.accelerators or m.accelerators % g):
                continue
            for _, d in candidate_deployments(chip, model, int(g), batch):
                b[k], dep[k], allowed[k] = batch, tuple(d), True
                k += 1
    return b, dep, allowed


def stacked_inputs(rows: list[Measured], tail_factor: dict | None = None):
    """Stacked chips, models, grid workloads (rows x grid) and masks for ``rows``.

    ``tail_factor``: ``{scenario: p99 / mean ratio of TTFT and TPOT}`` (default 1). The
    model gives means; a row's p99 limits are met when ``tail_factor * mean <= limit``.
    """
    tails = jnp.asarray([(tail_factor or {}).get(r.scenario, 1.0) for r in rows], jnp.float32)
    chips = stack([catalog.chip(r.chip_id) for r in rows])
    models = stack([catalog.model(r.model_id) for r in rows])
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
        output_cv=jnp.asarray(col([getattr(r, "output_cv", 0.0) for r in rows])),
    )
    deployment = Deployment(*(jnp.asarray(deps[..., i]) for i in range(4)))
    inf = np.float32(np.inf)
    limits = tuple(
        lim / tails
        for lim in (
        jnp.asarray([r.ttft_limit if (r.ttft_limit and r.scenario in ("server", "interactive")) else inf for r in rows], jnp.float32),
        jnp.asarray([r.tpot_limit if (r.tpot_limit and r.scenario in ("server", "interactive")) else inf for r in rows], jnp.float32),
        )
    )
    given = jnp.asarray([r.batch is not None for r in rows])
    return chips, models, work, deployment, jnp.asarray(np.stack(allowed)), limits, given


_perf_grid = jax.vmap(  # rows
    jax.vmap(serving.performance, in_axes=(None, None, 0, None, 0)),  # grid points of one row
    in_axes=(0, 0, 0, 0, 0),
)


def best_throughput(chips, models, work, deployment, allowed, limits, given, effs: Efficiency):
    """Best feasible output tokens/s per chip for each row, and the grid index it uses.

    Rows with no feasible grid point get ``nan``. Differentiable in the specs and
    efficiencies (the gradient flows through the chosen grid point).
    """
    perf = _perf_grid(chips, models, work, effs, deployment)
    ttft_lim, tpot_lim = limits
    ok = allowed & ((perf.fits > 0.5) | given[:, None])
    ok = ok & (perf.ttft <= ttft_lim[:, None]) & (perf.tpot <= tpot_lim[:, None])
    tps = jnp.where(ok, perf.tokens_per_s_per_chip, -1.0)
    idx = jnp.argmax(jax.lax.stop_gradient(tps), axis=1)
    best = jnp.take_along_axis(tps, idx[:, None], axis=1)[:, 0]
    return jnp.where(ok.any(axis=1), best, jnp.nan), idx


best_throughput_jit = jax.jit(best_throughput)
