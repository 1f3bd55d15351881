"""Disaggregated serving: prefill on chip X, decode on chip Y, the KV cache sent between them.

A **prefill pool** of replicas of chip X (deployment ``d_p``, ``G_p`` chips each) prefills
``b_p`` prompts at a time in ``min(b_p, pp)`` micro-batches: ``T_p = pp`` stage times of a
micro-batch (:func:`workbook.model.serving.prefill_stage_times`), ``r_p = b_p / T_p`` requests/s
per replica.
A **decode pool** of chip Y (``d_d``, ``G_d`` chips, batch ``B``) decodes without prefill
interference: ``TPOT = t_d = decode_step_time(B)``, ``r_d = B / (T_out t_d)`` requests/s per
replica, at most the rate at which its network cards receive caches. Each request's KV cache,
``kv_cache_bytes_per_sequence(T_in)`` bytes (:mod:`workbook.model.transformer`), crosses the
scale-out network at ``min(G_p BW_out,X, G_d BW_out,Y) * KV_TRANSFER_EFFICIENCY`` plus a fixed
``KV_TRANSFER_LATENCY`` (assumptions below).

The pools are **balanced**: for one request/s the system needs ``G_p / r_p`` prefill chips and
``G_d / r_d`` decode chips (their ratio is ``prefill_chips_per_decode_chip``; a continuous
number -- a real system rounds it), so

* ``tokens/s per chip = T_out / (G_p / r_p + G_d / r_d)``,
* ``$/M tokens = (price_X G_p / r_p + price_Y G_d / r_d) / (T_out 3600) 1e6``
  (:func:`workbook.model.cost.usd_per_million_tokens`), J/token alike with each chip's power
  at its pool's utilisation (``STATIC_POWER_FRACTION`` + the roofline's busy share),
* ``TTFT = T_p + T_transfer`` (conservative: the first token could stream from the prefill pool,
  the transfer then delays the second), ``TPOT = t_d``.

This is DistServe's design (Zhong et al., OSDI 2024) and Splitwise's (Patel et al., ISCA 2024),
which place prefill and decode on different hardware. **Co-located** serving on one chip is
:func:`workbook.model.serving.performance` (chunked prefill riding along with decode). With
``X = Y``, ``b_p = B``, the same layout and a free transfer, the disaggregated cost per token lies
between 1x and 2x the co-located one: co-location overlaps prefill compute with decode memory
traffic in one roofline (``||a + b|| <= ||a|| + ||b||`` for the smooth maximum, and ``>= max``),
splitting cannot. Splitting wins when the two phases want different chips: decode on a
bandwidth-rich chip, prefill on a compute-rich one (:func:`regime_map`). Everything is pure JAX:
``jax.grad`` gives the sensitivities to both chips' specs (:func:`gradients`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook.analysis.frontier import chip_power, scaled_chip
from workbook.errors import InputError, require
from workbook.model import cost, serving
from workbook.model import transformer as tf
from workbook.model.deployment import as_dict, fewest_chips
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays

# Fixed cost of moving one request's cache between pools, s. Assumption: 1 ms, range 0.1-10 ms.
# RDMA one-way latency is a few microseconds; the rest is the transfer engine's per-request
# handshake, block lookup and layer-wise scheduling (Mooncake's transfer engine, Qin et al.,
# FAST 2025; DistServe, Zhong et al., OSDI 2024, reports transfer overheads below 0.1 % of
# latency inside a node and notable ones across 25 Gb/s links).
KV_TRANSFER_LATENCY = 1e-3
# Share of the network cards' line rate a KV transfer reaches. Assumption: 0.8, range 0.5-0.95
# (RDMA reaches ~90 % of line rate on large messages; paged caches send many smaller blocks).
KV_TRANSFER_EFFICIENCY = 0.8


class Disaggregated(NamedTuple):
    """What :func:`disaggregated` returns; times in s."""

    usd_per_million_tokens: jax.Array
    joules_per_token: jax.Array
    tokens_per_s_per_chip: jax.Array  # output tokens/s per chip over both pools
    ttft: jax.Array  # prefill of the batch + KV transfer, s
    tpot: jax.Array  # one decode step of the decode pool, s
    prefill_chips_per_decode_chip: jax.Array  # the balanced ratio of the pools' chips
    transfer_time: jax.Array  # one request's KV cache between the pools, s
    prefill_rate: jax.Array  # requests/s per prefill replica
    decode_rate: jax.Array  # requests/s per decode replica (network-capped)


def _busy(t_math, t_mem, t_comm, t_over, eff: Efficiency):
    """Share of a stage the busiest of compute and memory is working (sets the power draw)."""
    return jnp.minimum(serving.roof_time(t_math, t_mem, eff) / serving.stage_time(t_math, t_mem, t_comm, t_over, eff), 1.0)


def transfer_time(chip_p: Chip, chip_d: Chip, m: Model, w: Workload, d_p: Deployment, d_d: Deployment,
                  latency=KV_TRANSFER_LATENCY):
    """One request's KV cache from the prefill to the decode replica, s: ``bytes / (min(G_p
    BW_out,p, G_d BW_out,d) * KV_TRANSFER_EFFICIENCY) + latency`` (every chip of a replica sends
    or receives its shard on its own network card)."""
    nbytes = tf.kv_cache_bytes_per_sequence(m, w.input_tokens, w.kv_bits)
    g_p, g_d = d_p.tp * d_p.pp * d_p.dp, d_d.tp * d_d.pp * d_d.dp
    bw = jnp.minimum(g_p * chip_p.scale_out_bandwidth, g_d * chip_d.scale_out_bandwidth) * KV_TRANSFER_EFFICIENCY
    return nbytes / bw + latency


def disaggregated(chip_p: Chip, chip_d: Chip, m: Model, w: Workload, eff_p: Efficiency, eff_d: Efficiency,
                  d_p: Deployment, d_d: Deployment, prefill_batch=1.0, latency=KV_TRANSFER_LATENCY) -> Disaggregated:
    """Cost, energy, throughput and latency of prefill on ``chip_p`` and decode on ``chip_d`` with
    balanced pools (see the module docstring). ``w.batch`` is the decode batch ``B``;
    ``prefill_batch`` the prompts prefilled together. Pure JAX: jit, vmap, grad."""
    chip_p, chip_d, m, w, eff_p, eff_d, d_p, d_d = (as_arrays(r) for r in (chip_p, chip_d, m, w, eff_p, eff_d, d_p, d_d))
    g_p, g_d = d_p.tp * d_p.pp * d_p.dp, d_d.tp * d_d.pp * d_d.dp
    # prefill pool: the batch in min(b_p, pp) micro-batches keeps the pipeline full
    mb_p = serving.micro_batches(prefill_batch, d_p)
    p_terms = serving.prefill_stage_times(chip_p, m, w, d_p, eff_p, prefill_batch / mb_p)
    t_p = d_p.pp * serving.stage_time(*p_terms, eff_p)
    rate_p = prefill_batch / t_p
    # decode pool
    mb = serving.micro_batches(w.batch, d_d)
    d_terms = serving.decode_stage_times(chip_d, m, w, d_d, eff_d, w.batch / mb, serving.decode_context(w))
    t_d = d_d.pp * serving.stage_time(*d_terms, eff_d)
    t_x = transfer_time(chip_p, chip_d, m, w, d_p, d_d, latency)
    nic = g_d * chip_d.scale_out_bandwidth * KV_TRANSFER_EFFICIENCY / tf.kv_cache_bytes_per_sequence(m, w.input_tokens, w.kv_bits)
    rate_d = jnp.minimum(w.batch / (w.output_tokens * t_d), nic)
    chips_p, chips_d = g_p / rate_p, g_d / rate_d  # per request/s
    tokens = w.output_tokens  # per second, at one request/s
    usd_per_hour = chip_p.price * chips_p + chip_d.price * chips_d
    watts = chip_power(chip_p, _busy(*p_terms, eff_p)) * chips_p + chip_power(chip_d, _busy(*d_terms, eff_d)) * chips_d
    return Disaggregated(
        usd_per_million_tokens=cost.usd_per_million_tokens(usd_per_hour, 1.0, tokens),
        joules_per_token=cost.joules_per_token(watts, 1.0, tokens),
        tokens_per_s_per_chip=tokens / (chips_p + chips_d),
        ttft=t_p + t_x, tpot=t_d, prefill_chips_per_decode_chip=chips_p / chips_d, transfer_time=t_x,
        prefill_rate=rate_p, decode_rate=rate_d,
    )


# ---------------------------------------------------------------- concrete choices and comparisons


def pool_deployment(chip: Chip, m: Model, w: Workload, eff: Efficiency) -> tuple[str, Deployment]:
    """The layout of a pool's replica: the fastest valid layout on the fewest power-of-two chips
    that hold ``w`` (:func:`workbook.model.deployment.fewest_chips`); :class:`InputError` if none."""
    found = fewest_chips(chip, m, w, eff)
    if found is None:
        raise InputError(f"batch: {float(w.batch):g} sequences of {float(w.input_tokens + w.output_tokens):g} tokens do "
                         "not fit on any replica of this chip; lower the batch or the context")
    return found[1], found[2]


_disaggregated_jit = jax.jit(disaggregated)
_performance_jit = jax.jit(serving.performance)


def _row(kind, chip_ids, layout, d_or_pair, r):
    return {"serving": kind, "chips": chip_ids, "layout": layout, "parallelism": d_or_pair,
            "usd_per_million_tokens": float(r.usd_per_million_tokens), "joules_per_token": float(r.joules_per_token),
            "tokens_per_s_per_chip": float(r.tokens_per_s_per_chip), "ttft_s": float(r.ttft), "tpot_s": float(r.tpot)}


def compare(chip_p: Chip, chip_d: Chip, m: Model, w: Workload, eff_p: Efficiency, eff_d: Efficiency,
            names=("X", "Y"), prefill_batch=None, latency=KV_TRANSFER_LATENCY) -> list[dict]:
    """Disaggregated (prefill on ``chip_p``, decode on ``chip_d``) against co-located serving on
    each chip at the same decode batch ``w.batch``: one dict per row with ``serving``
    (``disaggregated`` / ``co-located``), ``chips``, ``layout``, ``parallelism``,
    ``usd_per_million_tokens``, ``joules_per_token``, ``tokens_per_s_per_chip``, ``ttft_s``,
    ``tpot_s``; the disaggregated row also has ``prefill_chips_per_decode_chip`` and
    ``transfer_s``. ``prefill_batch`` defaults to ``max(1, 8192 / T_in)`` prompts (a prefill of
    about one 8,192-token chunk, vLLM's ``max_num_batched_tokens``).
    """
    require("batch", w.batch, low=1, unit="sequences")
    require("input_tokens", w.input_tokens, low=1, unit="tokens")
    latency = require("latency", latency, low=0, high=10, unit="s")
    b_p = max(1.0, 8192.0 / float(w.input_tokens)) if prefill_batch is None else require(
        "prefill_batch", prefill_batch, low=1, high=1e5, unit="prompts")
    name_p, d_p = pool_deployment(chip_p, m, w._replace(batch=b_p, output_tokens=1.0), eff_p)
    name_d, d_d = pool_deployment(chip_d, m, w, eff_d)
    dis = _disaggregated_jit(chip_p, chip_d, m, w, eff_p, eff_d, d_p, d_d, jnp.float32(b_p), jnp.float32(latency))
    rows = [{**_row("disaggregated", f"prefill {names[0]}, decode {names[1]}", f"{name_p} | {name_d}",
                    {"prefill": as_dict(d_p), "decode": as_dict(d_d)}, dis),
             "prefill_chips_per_decode_chip": float(dis.prefill_chips_per_decode_chip),
             "transfer_s": float(dis.transfer_time)}]
    for name, chip, eff in ((names[0], chip_p, eff_p), (names[1], chip_d, eff_d)):
        layout, d = pool_deployment(chip, m, w, eff)
        perf = _performance_jit(*(as_arrays(r) for r in (chip, m, w, eff, d)))
        rows.append(_row("co-located", name, layout, as_dict(d), perf))
        same = _colocated_at_tpot_jit(*(as_arrays(r) for r in (chip, m, w, eff, d)), dis.tpot)
        if bool(same[0] > 0.5):
            row = _row("co-located, same TPOT", name, layout, as_dict(d), same[1])
            rows.append({**row, "batch": int(same[2])})
    return rows


BATCHES = tuple(float(2 ** k) for k in range(0, 11))  # co-located batches searched for a TPOT target


def colocated_at_tpot(chip: Chip, m: Model, w: Workload, eff: Efficiency, d: Deployment, tpot_target):
    """``(found, Performance, batch)``: co-located serving at the batch in ``BATCHES`` (any that
    fits in memory) with the most tokens/s per chip whose TPOT is within
    ``tpot_target`` s: the fair comparison with a disaggregated pool at the same interactivity."""
    b = jnp.asarray(BATCHES, jnp.float32)
    perf = jax.vmap(lambda x: serving.performance(chip, m, w._replace(batch=x), eff, d))(b)
    ok = (perf.fits > 0.5) & (perf.tpot <= tpot_target) & (b >= d.dp)
    i = jnp.argmax(jnp.where(ok, perf.tokens_per_s_per_chip, -1.0))
    return ok.any().astype(jnp.float32), jax.tree.map(lambda x: x[i], perf), b[i]


_colocated_at_tpot_jit = jax.jit(colocated_at_tpot)


def _cell(bw, cmp, chip, m, w, eff, d_p, d_d, b_p, latency):
    """``cost(disaggregated X -> Y') / min(co-located on X, on Y')`` at the disaggregated TPOT,
    for Y' = X scaled (co-located at its best batch within that TPOT; inf where none is)."""
    y = scaled_chip(chip, bw, cmp)
    dis = disaggregated(chip, y, m, w, eff, eff, d_p, d_d, b_p, latency)
    on_x = colocated_at_tpot(chip, m, w, eff, d_d, dis.tpot)
    on_y = colocated_at_tpot(y, m, w, eff, d_d, dis.tpot)
    best = jnp.minimum(jnp.where(on_x[0] > 0.5, on_x[1].usd_per_million_tokens, jnp.inf),
                       jnp.where(on_y[0] > 0.5, on_y[1].usd_per_million_tokens, jnp.inf))
    return dis.usd_per_million_tokens / best


_regime_grid = jax.jit(jax.vmap(jax.vmap(_cell, in_axes=(None, 0) + (None,) * 8), in_axes=(0, None) + (None,) * 8))


def regime_map(chip: Chip, m: Model, w: Workload, eff: Efficiency, bandwidth_scales, compute_scales,
               prefill_batch=None, latency=KV_TRANSFER_LATENCY) -> dict:
    """Where splitting wins: prefill on ``chip`` (X), decode on Y' = X with its memory bandwidth
    times ``a`` and every peak FLOP/s times ``c`` (same price, memory and network), against the
    cheaper of co-located serving on X and on Y' **at the same time per output token** (each at
    its best batch within the disaggregated TPOT, :func:`colocated_at_tpot`).

    Returns ``ratio`` (shape ``(len(a), len(c))``: disaggregated $/M tokens over the best
    co-located; below 1 splitting wins; 0 where no co-located batch is that interactive) and the axes. One vmapped call; layouts are those of
    the unscaled chip (the scaling leaves memory capacity unchanged).
    """
    a = require("bandwidth_scales", bandwidth_scales, low=0.01, high=100)
    c = require("compute_scales", compute_scales, low=0.01, high=100)
    b_p = max(1.0, 8192.0 / float(w.input_tokens)) if prefill_batch is None else float(prefill_batch)
    _, d_p = pool_deployment(chip, m, w._replace(batch=b_p, output_tokens=1.0), eff)
    _, d_d = pool_deployment(chip, m, w, eff)
    ratio = _regime_grid(jnp.atleast_1d(jnp.asarray(a, jnp.float32)), jnp.atleast_1d(jnp.asarray(c, jnp.float32)),
                         *(as_arrays(r) for r in (chip, m, w, eff, d_p, d_d)), jnp.float32(b_p), jnp.float32(latency))
    return {"bandwidth_scale": np.atleast_1d(np.asarray(a, float)), "compute_scale": np.atleast_1d(np.asarray(c, float)),
            "ratio": np.asarray(ratio, float)}  # a / inf = 0: only splitting reaches that TPOT


def _log_cost(chip_p, chip_d, m, w, eff_p, eff_d, d_p, d_d, b_p, latency):
    return jnp.log(disaggregated(chip_p, chip_d, m, w, eff_p, eff_d, d_p, d_d, b_p, latency).usd_per_million_tokens)


_cost_grad = jax.jit(jax.grad(_log_cost, argnums=(0, 1)))


def gradients(chip_p: Chip, chip_d: Chip, m: Model, w: Workload, eff_p: Efficiency, eff_d: Efficiency,
              prefill_batch=None, latency=KV_TRANSFER_LATENCY) -> dict:
    """Elasticities of disaggregated $/M tokens to both chips' specs, by ``jax.grad``: ``{"prefill":
    Chip, "decode": Chip}`` of ``d log cost / d log field`` (``x * d log cost / dx``)."""
    b_p = max(1.0, 8192.0 / float(w.input_tokens)) if prefill_batch is None else float(prefill_batch)
    _, d_p = pool_deployment(chip_p, m, w._replace(batch=b_p, output_tokens=1.0), eff_p)
    _, d_d = pool_deployment(chip_d, m, w, eff_d)
    args = [as_arrays(r) for r in (chip_p, chip_d, m, w, eff_p, eff_d, d_p, d_d)]
    g_p, g_d = _cost_grad(*args, jnp.float32(b_p), jnp.float32(latency))
    scale = lambda g, x: jax.tree.map(lambda gi, xi: float(gi * xi), g, x)  # noqa: E731
    return {"prefill": scale(g_p, args[0]), "decode": scale(g_d, args[1])}
