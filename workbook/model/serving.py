"""Latency, throughput, energy and cost of serving a model on a chip.

One replica holds the model on ``G = workload.chips`` chips (tensor / expert parallel) and
serves ``B = workload.batch`` sequences at a time with continuous batching and chunked
prefill: each sequence's prompt of ``T_in`` tokens is prefilled in chunks that ride along
with the decode steps, ``T_out`` tokens are decoded, and a finished sequence's slot is
refilled at once. Per replica, a cycle of ``T_out`` decode steps (context ``T_in + T_out/2``
on average) plus the prefill of ``B`` new prompts takes

``T_cycle = smooth_max_norm(P_math + T_out*D_math, P_mem + T_out*D_mem; tau) + P_comms + T_out*(D_comms + overhead)``

(``P`` prefill, ``D`` one decode step; ``smooth_max_norm`` from :mod:`workbook.numerics`), with

* ``T_math = FLOPs / (G * peak * eff_compute)``, ``T_mem = bytes / (G * BW * eff_memory)``,
* ``T_comms = L * 2 * (2 (G-1)/G * msg / (BW_ici/2 * eff_ici) + lat * (1 + (sqrt(G)-1)/3))``
  for ``G > 1``: ring all-reduces of the activations; the latency term is Erdil (2025)'s
  ``6 us + 2 us * (sqrt(G) - 1)`` per collective with ``lat = 6 us``.

Outputs (all per replica unless "per chip"): TTFT = ``T_prefill(1)`` (a request is prefilled
as it arrives); TPOT = ``T_cycle / T_out`` (the mean gap between a user's tokens while other
slots are prefilled and decoded); output tokens/s per chip = ``B / (TPOT * G)``;
energy per token and cost per million tokens from the chips' power and price over
``T_cycle``. Every function is pure JAX: jit, vmap and grad over all of its inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from workbook.model import cost
from workbook.model import transformer as tf
from workbook.model.sizing import memory_available_per_chip, memory_required_per_chip
from workbook.numerics import smooth_max_norm
from workbook.specs import Chip, Efficiency, Model, Workload

# Static (idle and leakage) share of TDP drawn whatever the utilisation. Estimate: H100
# idles near 10-15 % of TDP, but memory-bound serving keeps HBM and clocks busy; range 0.2-0.4.
STATIC_POWER_FRACTION = 0.3

RESOURCES = ("compute", "memory", "interconnect")


class Performance(NamedTuple):
    """What :func:`performance` returns; times in s, energy in J, cost in USD."""

    ttft: jax.Array  # time to first token, s
    tpot: jax.Array  # time per output token seen by one user, s
    tokens_per_s_per_chip: jax.Array  # output tokens/s per chip
    tokens_per_s_per_user: jax.Array  # 1 / tpot
    joules_per_token: jax.Array  # chip energy per output token (no PUE), J
    usd_per_million_tokens: jax.Array  # USD per million output tokens
    decode_compute_time: jax.Array  # T_math of one decode step, s
    decode_memory_time: jax.Array  # T_mem of one decode step, s
    decode_interconnect_time: jax.Array  # T_comms of one decode step, s
    bound: jax.Array  # index into RESOURCES of the largest term of one decode step
    memory_required: jax.Array  # bytes per chip
    memory_available: jax.Array  # usable bytes per chip
    fits: jax.Array  # 1.0 if memory_required <= memory_available
    cycle_bound: jax.Array  # index into RESOURCES of the largest term of the whole cycle (prefill + decode)


def peak_flops(chip: Chip, w: Workload):
    """Peak dense FLOP/s at the workload's math precision.

    Activations of <= 4 bits use the FP4 rate, <= 8 bits the FP8 rate (INT8 units with
    ``integer_math``), wider ones BF16.
    """
    eight = jnp.where(w.integer_math > 0.5, chip.peak_ops_int8, chip.peak_flops_fp8)
    return jnp.where(w.activation_bits <= 4.5, chip.peak_flops_fp4, jnp.where(w.activation_bits <= 8.5, eight, chip.peak_flops_bf16))


def peak_field(w: Workload) -> str:
    """The :class:`~workbook.specs.Chip` field that :func:`peak_flops` reads for ``w`` (Python-side)."""
    a = float(w.activation_bits)
    if a <= 4.5:
        return "peak_flops_fp4"
    if a <= 8.5:
        return "peak_ops_int8" if float(w.integer_math) > 0.5 else "peak_flops_fp8"
    return "peak_flops_bf16"


def attention_peak_flops(chip: Chip, w: Workload):
    """Peak FLOP/s of attention math, set by the KV-cache precision: <= 8 bits FP8, else BF16.

    FP4 deployments (NVFP4) keep an FP8 KV cache, so their attention runs at the FP8 rate.
    """
    return jnp.where(w.kv_bits <= 8.5, chip.peak_flops_fp8, chip.peak_flops_bf16)


def math_time(chip: Chip, m: Model, w: Workload, matmul_flops, attention_flops, expert_flops, efficiency):
    """``(matmul + expert*(1/eff_moe - 1)) / (G*peak*eff) + attention / (G*peak_attn*eff)``, s.

    ``expert_flops`` is the part of ``matmul_flops`` in routed experts; ``efficiency`` is
    an :class:`~workbook.specs.Efficiency` phase factor times the chip count ``G``.
    """
    return (matmul_flops + expert_flops * (1.0 / efficiency[1] - 1.0)) / (efficiency[0] * peak_flops(chip, w)) + attention_flops / (
        efficiency[0] * attention_peak_flops(chip, w)
    )


def collective_time(chip: Chip, m: Model, tokens, chips, eff: Efficiency):
    """Time of the per-layer collectives for ``tokens`` tokens on ``chips`` chips, s."""
    g = jnp.maximum(chips, 1.0)
    msg = tf.collective_message_bytes(m, tokens)
    ring = 2.0 * (g - 1.0) / g * msg / (0.5 * chip.interconnect_bandwidth * eff.interconnect)
    latency = eff.collective_latency * chip.interconnect_latency * (1.0 + jnp.maximum(jnp.sqrt(g) - 1.0, 0.0) / 3.0)
    per = jnp.where(g > 1.0 + 1e-6, ring + latency, 0.0)
    return m.n_layers * tf.COLLECTIVES_PER_LAYER * per


def decode_step_times(chip: Chip, m: Model, w: Workload, eff: Efficiency, context):
    """``(T_math, T_mem, T_comms)`` of one decode step at ``context`` cached tokens, s."""
    g = w.chips
    attn = tf.decode_attention_flops(m, w.batch, context)
    experts = 2.0 * w.batch * tf.expert_matmul_params_per_token(m)
    t_math = math_time(chip, m, w, tf.decode_flops(m, w.batch, context) - attn, attn, experts, (g * eff.compute_decode, eff.moe))
    t_mem = tf.decode_bytes(m, w.batch, context, w.weight_bits, w.kv_bits) / (g * chip.memory_bandwidth * eff.memory)
    t_comm = collective_time(chip, m, w.batch, g, eff)
    return t_math, t_mem, t_comm


def decode_step_time(chip: Chip, m: Model, w: Workload, eff: Efficiency, context):
    """One decode step of the whole batch: ``smooth_max_norm(T_math, T_mem) + T_comms + overhead``, s."""
    t_math, t_mem, t_comm = decode_step_times(chip, m, w, eff, context)
    return smooth_max_norm((t_math, t_mem), eff.temperature) + t_comm + eff.step_overhead


def prefill_times(chip: Chip, m: Model, w: Workload, eff: Efficiency, batch):
    """``(T_math, T_mem, T_comms)`` of prefilling ``batch`` prompts of ``w.input_tokens`` tokens, s."""
    g = w.chips
    attn = tf.prefill_attention_flops(m, batch, w.input_tokens)
    experts = 2.0 * batch * w.input_tokens * tf.expert_matmul_params_per_token(m)
    t_math = math_time(chip, m, w, tf.prefill_flops(m, batch, w.input_tokens) - attn, attn, experts, (g * eff.compute_prefill, eff.moe))
    t_mem = tf.prefill_bytes(m, batch, w.input_tokens, w.weight_bits, w.kv_bits) / (g * chip.memory_bandwidth * eff.memory)
    t_comm = collective_time(chip, m, batch * w.input_tokens, g, eff)
    return t_math, t_mem, t_comm


def prefill_time(chip: Chip, m: Model, w: Workload, eff: Efficiency, batch):
    """Prefill of ``batch`` prompts on their own: ``smooth_max_norm(T_math, T_mem) + T_comms``, s."""
    t_math, t_mem, t_comm = prefill_times(chip, m, w, eff, batch)
    return smooth_max_norm((t_math, t_mem), eff.temperature) + t_comm


def performance(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()) -> Performance:
    """Every serving figure of ``m`` on ``chip`` for workload ``w``; see the module docstring."""
    chip, m, w, eff = (jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), r) for r in (chip, m, w, eff))
    g, b, t_out = w.chips, w.batch, w.output_tokens
    mid_context = w.input_tokens + 0.5 * t_out
    t_math, t_mem, t_comm = decode_step_times(chip, m, w, eff, mid_context)
    p_math, p_mem, p_comm = prefill_times(chip, m, w, eff, b)
    # chunked prefill: prompts ride along with decode steps, so the cycle's compute and
    # memory traffic overlap as a whole; collectives and per-step overheads add up
    cycle_terms = jnp.stack([p_math + t_out * t_math, p_mem + t_out * t_mem, p_comm + t_out * t_comm])
    t_cycle = smooth_max_norm((cycle_terms[0], cycle_terms[1]), eff.temperature) + p_comm + t_out * (t_comm + eff.step_overhead)
    tpot = t_cycle / t_out
    tokens_per_s_replica = b / tpot
    tokens_per_s_chip = tokens_per_s_replica / g

    # utilisation of the busiest resource over the cycle sets the power draw
    peak = peak_flops(chip, w)
    flops = tf.prefill_flops(m, b, w.input_tokens) + t_out * tf.decode_flops(m, b, mid_context)
    moved = tf.prefill_bytes(m, b, w.input_tokens, w.weight_bits, w.kv_bits) + t_out * tf.decode_bytes(
        m, b, mid_context, w.weight_bits, w.kv_bits
    )
    util = jnp.minimum(
        smooth_max_norm((flops / (g * peak * t_cycle), moved / (g * chip.memory_bandwidth * t_cycle)), eff.temperature), 1.0
    )
    power = chip.power * (STATIC_POWER_FRACTION + (1.0 - STATIC_POWER_FRACTION) * util)
    joules = cost.joules_per_token(power, g, tokens_per_s_replica)
    usd = cost.usd_per_million_tokens(chip.price, g, tokens_per_s_replica)

    need = memory_required_per_chip(m, w)
    have = memory_available_per_chip(chip)
    return Performance(
        ttft=prefill_time(chip, m, w, eff, 1.0),
        tpot=tpot,
        tokens_per_s_per_chip=tokens_per_s_chip,
        tokens_per_s_per_user=1.0 / tpot,
        joules_per_token=joules,
        usd_per_million_tokens=usd,
        decode_compute_time=t_math,
        decode_memory_time=t_mem,
        decode_interconnect_time=t_comm,
        bound=jnp.argmax(jnp.stack([t_math, t_mem, t_comm])).astype(jnp.float32),
        memory_required=need,
        memory_available=have,
        fits=(need <= have).astype(jnp.float32),
        cycle_bound=jnp.argmax(cycle_terms).astype(jnp.float32),
    )


def tokens_per_s_per_chip(chip, m, w, eff=Efficiency()):
    """Output tokens/s per chip (see :func:`performance`)."""
    return performance(chip, m, w, eff).tokens_per_s_per_chip


def usd_per_million_tokens(chip, m, w, eff=Efficiency()):
    """USD per million output tokens (:func:`workbook.model.cost.usd_per_million_tokens` of the replica)."""
    return performance(chip, m, w, eff).usd_per_million_tokens
