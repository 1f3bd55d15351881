"""The throughput--interactivity frontier of one chip, model and precision, and its gradient.

Every serving configuration -- batch ``B`` (decode slots), deployment (the valid layouts of
:func:`workbook.model.deployment.candidate_deployments` on the fewest power-of-two chips that
hold the model and on 2x and 4x as many) and token budget ``K`` per iteration (decode and prefill
tokens together: :func:`workbook.model.latency.prefill_chunk`) -- is run at ``load`` times its
capacity (:func:`workbook.model.latency.capacity`; default 0.8, an **assumption**: operators keep
headroom for bursts, range 0.5--0.95). There it serves

* ``tokens_per_s_per_chip = lambda T_out / G`` (output tokens/s per chip), and
* ``tokens_per_s_per_user = 1 / TPOT_p``: the time per output token that a share ``p``
  (default 0.9) of requests beat (:func:`workbook.model.latency.latency_distribution`).

The **frontier** keeps the configurations no other beats on both (Pareto), sorted by
interactivity, so throughput per chip falls as interactivity rises. Each point carries its
$/M tokens and J/token (:mod:`workbook.model.cost`, at the load's utilisation) and its TTFT_p.
The whole grid (batches x layouts x chunks, padded to one shape) is one vmapped, compiled call,
so every chip in the catalog reuses the same compiled function.

:func:`frontier_gradient` answers *how much more throughput per chip at this interactivity would
1 % more memory bandwidth, or 1 % more compute, buy?*: the elasticities of the
:func:`~workbook.model.latency.goodput` of the frontier configuration at that interactivity (TPOT
target ``1 / interactivity`` at the percentile), by ``jax.grad`` through the implicit solves.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workbook.analysis.elasticity import PEAK_FIELDS
from workbook.errors import InputError, require
from workbook.model import cost, latency, serving, sizing
from workbook.model.deployment import as_dict, candidate_deployments
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays, stack

BATCHES = tuple(float(2 ** k) for k in range(0, 11))  # B = 1 ... 1024 decode slots
CHUNKS = (256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0)  # K, tokens per iteration (Sarathi-Serve, vLLM, TensorRT-LLM)
CHIP_MULTIPLES = (1, 2, 4)  # replicas of the fewest chips that hold the model, 2x and 4x as many
LAYOUTS_PER_REPLICA = 16  # deployments per grid, padded (one compiled shape for every chip)
DEFAULT_LOAD = 0.8  # share of capacity each configuration runs at (assumption, range 0.5-0.95)
DEFAULT_PERCENTILE = 0.9  # the share of requests whose TPOT the claimed interactivity covers


def chip_power(chip: Chip, busy):
    """Watts a chip draws with its busiest resource working a share ``busy`` of the time:
    ``TDP (STATIC_POWER_FRACTION + (1 - STATIC_POWER_FRACTION) busy)`` (as in
    :func:`workbook.model.serving.performance`)."""
    return chip.power * (serving.STATIC_POWER_FRACTION + (1.0 - serving.STATIC_POWER_FRACTION) * busy)


def scaled_chip(chip: Chip, bandwidth_scale, compute_scale) -> Chip:
    """``chip`` with its memory bandwidth times ``bandwidth_scale`` and every peak rate
    (``PEAK_FIELDS``) times ``compute_scale``."""
    peaks = {f: getattr(chip, f) * compute_scale for f in PEAK_FIELDS}
    return chip._replace(memory_bandwidth=chip.memory_bandwidth * bandwidth_scale, **peaks)


def _point(chip, m, w, eff, d, batch, chunk, load, percentile):
    """Serving figures of one configuration at ``load`` x capacity (pure JAX, vmapped below)."""
    w = w._replace(batch=batch)
    g = d.tp * d.pp * d.dp
    table = latency.step_table(chip, m, w, eff, d, chunk)
    cap = latency.capacity_from_table(table, w)
    lam = load * cap
    lat = latency.latency_from_table(table, w, d, lam, latency.POISSON_SCV, 0.0, (percentile,))
    perf = serving.performance(chip, m, w, eff, d)
    tokens_per_s = lam * w.output_tokens  # per replica
    # power: the full-batch utilisation of serving.performance, scaled by the load
    full_power = perf.joules_per_token * perf.tokens_per_s_per_chip
    busy = (full_power / chip.power - serving.STATIC_POWER_FRACTION) / (1.0 - serving.STATIC_POWER_FRACTION)
    power = chip_power(chip, load * busy)
    return {
        "tokens_per_s_per_user": 1.0 / lat.tpot[0],
        "tokens_per_s_per_chip": tokens_per_s / g,
        "usd_per_million_tokens": cost.usd_per_million_tokens(chip.price, g, tokens_per_s),
        "joules_per_token": cost.joules_per_token(power, g, tokens_per_s),
        "ttft": lat.ttft[0], "tpot": lat.tpot[0], "arrival_rate": lam, "capacity": cap,
        "fits": perf.fits, "chips": g,
    }


# grid axes: deployments (k) x batches (b) x chunks (c)
_over_chunks = jax.vmap(_point, in_axes=(None, None, None, None, None, None, 0, None, None))
_over_batches = jax.vmap(_over_chunks, in_axes=(None, None, None, None, None, 0, None, None, None))
_over_layouts = jax.vmap(_over_batches, in_axes=(None, None, None, None, 0, None, None, None, None))
grid_jit = jax.jit(_over_layouts)


def _layouts(chip: Chip, m: Model, w: Workload, largest_batch: float) -> list[tuple[str, Deployment]]:
    """Valid layouts on the fewest power-of-two chips holding one sequence, and on 2x and 4x as many
    (data-parallel layouts need ``B >= dp``: masked per batch in :func:`frontier_grid`)."""
    g0 = sizing.tensor_parallel_chips(chip, m, w._replace(batch=1.0))
    found = []
    for k in CHIP_MULTIPLES:
        found += candidate_deployments(chip, m, g0 * k, largest_batch)
    return found[:LAYOUTS_PER_REPLICA]


def frontier_grid(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency(), load=DEFAULT_LOAD,
                  percentile=DEFAULT_PERCENTILE, batches=BATCHES, chunks=CHUNKS) -> dict:
    """Every configuration's figures: a dict of numpy arrays of shape ``(layouts, batches,
    chunks)`` (the keys of :func:`frontier`'s points) plus ``valid`` (fits in memory, a real
    layout, the layout holds the batch) and the axes ``layouts`` ([(name, Deployment)]),
    ``batches`` and ``chunks``. One compiled call."""
    cands = _layouts(chip, m, w, float(max(batches)))
    if not cands:
        return {"layouts": [], "valid": np.zeros((0, len(batches), len(chunks)), bool)}
    padded = cands + [cands[0]] * (LAYOUTS_PER_REPLICA - len(cands))
    b = jnp.asarray(batches, jnp.float32)
    c = jnp.asarray(chunks, jnp.float32)
    out = grid_jit(as_arrays(chip), as_arrays(m), as_arrays(w), as_arrays(eff), stack([d for _, d in padded]),
                   b, c, jnp.float32(load), jnp.float32(percentile))
    res = {k: np.asarray(v, float)[: len(cands)] for k, v in out.items()}
    dp = np.array([float(d.dp) for _, d in cands])[:, None, None]
    finite = np.all([np.isfinite(v) for v in res.values()], axis=0)
    valid = (res["fits"] > 0.5) & finite & (np.asarray(batches)[None, :, None] >= dp) & (res["tokens_per_s_per_chip"] > 0)
    res.update(valid=valid, layouts=cands, batches=np.asarray(batches, float), chunks=np.asarray(chunks, float))
    return res


def pareto_indices(per_user, per_chip) -> np.ndarray:
    """Indices of the points no other point beats on both axes, sorted by ``per_user`` ascending
    (so ``per_chip`` is non-increasing along them)."""
    per_user, per_chip = np.asarray(per_user, float), np.asarray(per_chip, float)
    order = np.lexsort((-per_chip, -per_user))  # highest interactivity first, ties by throughput
    keep, best = [], -np.inf
    for i in order:
        if per_chip[i] > best:
            keep.append(i)
            best = per_chip[i]
    return np.asarray(keep[::-1], int)


def frontier(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency(), load=DEFAULT_LOAD,
             percentile=DEFAULT_PERCENTILE, model_id: str = "the model", chip_id: str = "the chip") -> list[dict]:
    """The Pareto frontier of output tokens/s per chip against tokens/s per user (see the module
    docstring), as a list of points sorted by ``tokens_per_s_per_user``, each with
    ``tokens_per_s_per_user``, ``tokens_per_s_per_chip``, ``usd_per_million_tokens``,
    ``joules_per_token``, ``ttft_s`` and ``tpot_s`` (at the percentile), ``batch``,
    ``chunk_tokens``, ``chips``, ``layout``, ``parallelism`` (tp, pp, ep, dp) and
    ``arrival_rate`` (requests/s per replica).

    Raises :class:`~workbook.errors.InputError` for a load outside [0.05, 0.95], a percentile
    outside [0.5, 0.999], a prompt of 0 tokens, or a model that fits in no configuration.
    """
    load = require("load", load, low=0.05, high=0.95)
    percentile = require("percentile", percentile, low=0.5, high=0.999)
    require("input_tokens", w.input_tokens, low=1, unit="tokens")
    g = frontier_grid(chip, m, w, eff, load, percentile)
    valid = g["valid"]
    if not valid.any():
        raise InputError(f"{model_id} does not fit on {chip_id} at these settings: no batch, layout and chunk size "
                         f"holds it in memory (tried up to {4 * sizing.tensor_parallel_chips(chip, m, w._replace(batch=1.0))} "
                         "chips per replica); use a narrower precision or a shorter context")
    idx = np.argwhere(valid)
    per_user = np.array([g["tokens_per_s_per_user"][tuple(i)] for i in idx])
    per_chip = np.array([g["tokens_per_s_per_chip"][tuple(i)] for i in idx])
    points = []
    for j in pareto_indices(per_user, per_chip):
        k, b, c = idx[j]
        name, d = g["layouts"][k]
        at = lambda key: float(g[key][k, b, c])  # noqa: E731
        points.append({
            "tokens_per_s_per_user": at("tokens_per_s_per_user"), "tokens_per_s_per_chip": at("tokens_per_s_per_chip"),
            "usd_per_million_tokens": at("usd_per_million_tokens"), "joules_per_token": at("joules_per_token"),
            "ttft_s": at("ttft"), "tpot_s": at("tpot"), "arrival_rate": at("arrival_rate"),
            "batch": int(g["batches"][b]), "chunk_tokens": int(g["chunks"][c]), "chips": int(round(at("chips"))),
            "layout": name, "parallelism": as_dict(d), "load": float(load), "percentile": float(percentile),
        })
    return points


def _goodput_scaled(scales, chip, m, w, eff, d, chunk, tpot_target, percentile, ttft_target):
    c = scaled_chip(chip, scales[0], scales[1])
    return latency.goodput(c, m, w, eff, d, ttft_target, tpot_target, percentile, chunk).tokens_per_s_per_chip


_goodput_value_and_grad = jax.jit(jax.value_and_grad(_goodput_scaled))  # reverse mode compiles faster here


def frontier_gradient(chip: Chip, m: Model, w: Workload, eff: Efficiency, points: list[dict], interactivity,
                      ttft_target=float("inf")) -> dict:
    """Elasticities of throughput per chip at a fixed interactivity to memory bandwidth and to
    peak compute (every precision's peak together), at the frontier configuration serving
    ``interactivity`` tokens/s per user (the point of ``points`` -- a :func:`frontier` -- with the
    most throughput among those at least that interactive).

    The throughput is that configuration's :func:`~workbook.model.latency.goodput` with TPOT
    target ``1 / interactivity`` at the frontier's percentile (and ``ttft_target``, s): its load
    adjusts to keep the interactivity as the chip changes. ``d log goodput / d log scale`` by
    ``jax.grad`` through the implicit solves. Raises :class:`InputError` if no point is that
    interactive.
    """
    interactivity = require("interactivity", interactivity, low=0, low_open=True, unit="tokens/s per user")
    fast = [p for p in points if p["tokens_per_s_per_user"] >= interactivity * (1 - 1e-6)]
    if not fast:
        top = max((p["tokens_per_s_per_user"] for p in points), default=0.0)
        raise InputError(f"interactivity: {interactivity:g} is out of range; allowed (0, {top:.4g}] tokens/s per user, "
                         "the most interactive point of the frontier")
    best = max(fast, key=lambda p: p["tokens_per_s_per_chip"])
    d = Deployment(*(float(best["parallelism"][k]) for k in ("tp", "pp", "ep", "dp")))
    wb = w._replace(batch=float(best["batch"]))
    ttft = jnp.float32(ttft_target if np.isfinite(ttft_target) else 1e9)
    value, grad = _goodput_value_and_grad(jnp.ones(2, jnp.float32), as_arrays(chip), as_arrays(m), as_arrays(wb),
                                          as_arrays(eff), as_arrays(d), jnp.float32(best["chunk_tokens"]),
                                          jnp.float32(1.0 / interactivity), jnp.float32(best["percentile"]), ttft)
    y = float(value)
    el = np.asarray(grad, float) / y if y > 0 else np.zeros(2)
    return {"interactivity": float(interactivity), "tokens_per_s_per_chip": y, "point": best,
            "elasticity_bandwidth": float(el[0]), "elasticity_compute": float(el[1])}
