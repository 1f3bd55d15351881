"""Sizing a replica: memory per chip, the largest batch and the fewest chips that fit.

``memory per chip = weights per chip + (B / dp) KV per sequence per chip + workspace / tp``
(a :class:`~workbook.specs.Deployment` says how the replica is split) against
``0.9 x capacity`` (vLLM's default memory utilisation).
"""

from __future__ import annotations

import jax.numpy as jnp

from workbook.model import transformer as tf
from workbook.specs import Chip, Deployment, Model, Workload, tensor_parallel

# Share of memory a serving runtime can give to weights, KV cache and activations: vLLM's
# default ``gpu_memory_utilization = 0.9`` (vLLM docs, 2024-2026).
USABLE_MEMORY_FRACTION = 0.9
# Prefill runs in chunks of at most this many tokens (vLLM / TensorRT-LLM default
# ``max_num_batched_tokens``), which bounds the activation workspace.
PREFILL_CHUNK_TOKENS = 8192.0


def weight_bytes_per_chip(m: Model, w: Workload, d: Deployment):
    """Weight bytes one chip holds: the dense weights split ``tp * pp`` ways (replicated across
    data-parallel attention groups) and the routed experts split ``pp * ep`` ways with expert
    parallelism, else ``pp * tp`` ways."""
    routed = tf.routed_expert_bytes(m, w.weight_bits)
    dense = tf.weight_bytes(m, w.weight_bits) - routed
    shards = jnp.where(d.ep > 1.0 + 1e-6, d.ep, d.tp)
    return dense / (d.tp * d.pp) + routed / (d.pp * shards)


def kv_bytes_per_sequence_per_chip(m: Model, w: Workload, d: Deployment):
    """KV-cache bytes one sequence of ``T_in + T_out`` tokens puts on each chip of its group:
    layers split ``pp`` ways, KV heads at most ``min(tp, K)`` ways (an MLA latent not at all),
    sliding-window layers capped at the window."""
    shards = jnp.where(m.mla > 0, 1.0, jnp.minimum(d.tp, m.n_kv_heads))
    return tf.kv_cache_bytes_per_sequence(m, w.input_tokens + w.output_tokens, w.kv_bits) / (d.pp * shards)


def memory_required_per_chip(m: Model, w: Workload, d: Deployment | None = None):
    """Bytes per chip: weights (:func:`weight_bytes_per_chip`), the KV cache of the
    ``B / dp`` sequences of its attention group, and the activation workspace split ``tp`` ways.

    ``d`` defaults to tensor parallelism over ``w.chips``.
    """
    d = tensor_parallel(w.chips) if d is None else d
    kv = w.batch / d.dp * kv_bytes_per_sequence_per_chip(m, w, d)
    return weight_bytes_per_chip(m, w, d) + kv + activation_workspace_bytes(m) / d.tp


def activation_workspace_bytes(m: Model):
    """Activation workspace a runtime reserves: one prefill chunk of 8192 tokens with
    ``4D + 2*F_eff`` 16-bit values live per token (an estimate; small next to weights)."""
    f_eff = jnp.maximum(m.d_ff, m.n_experts_active * m.d_ff_expert)
    return PREFILL_CHUNK_TOKENS * (4.0 * m.d_model + 2.0 * f_eff) * 2.0


def memory_available_per_chip(chip: Chip):
    """Usable bytes per chip: ``0.9 * capacity`` (vLLM's default memory utilisation)."""
    return USABLE_MEMORY_FRACTION * chip.memory_capacity


def max_batch(chip: Chip, m: Model, w: Workload, d: Deployment | None = None):
    """Largest batch whose weights, KV cache and activations fit on the replica's chips:
    ``floor(dp * (0.9 cap - weights per chip - workspace) / KV per sequence per chip)``;
    negative when even the weights do not fit."""
    d = tensor_parallel(w.chips) if d is None else d
    room = memory_available_per_chip(chip) - weight_bytes_per_chip(m, w, d) - activation_workspace_bytes(m) / d.tp
    return jnp.floor(d.dp * room / kv_bytes_per_sequence_per_chip(m, w, d))


def min_chips(chip: Chip, m: Model, w: Workload):
    """Fewest chips whose usable memory holds weights, KV cache and workspace (a lower bound:
    it ignores KV heads replicated beyond ``K``-way tensor parallelism)."""
    kv = w.batch * tf.kv_cache_bytes_per_sequence(m, w.input_tokens + w.output_tokens, w.kv_bits)
    total = tf.weight_bytes(m, w.weight_bits) + kv + activation_workspace_bytes(m)
    return jnp.ceil(total / memory_available_per_chip(chip))


def tensor_parallel_chips(chip: Chip, m: Model, w: Workload) -> int:
    """Fewest chips per replica that hold the workload, rounded up to a power of two (the
    tensor-parallel degrees runtimes support). Concrete values; Python int."""
    need = max(int(min_chips(chip, m, w)), 1)
    return 1 << (need - 1).bit_length()


def check_context(m: Model, input_tokens, output_tokens, model_id: str = "the model") -> None:
    """Raise :class:`~workbook.errors.InputError` when prompt plus output exceed the model's
    ``max_context`` (its ``max_position_embeddings``; no check when it is 0, not stated)."""
    from workbook.errors import InputError

    limit = float(m.max_context)
    total = float(input_tokens) + float(output_tokens)
    if limit > 0 and total > limit:
        raise InputError(f"input_tokens + output_tokens: {total:g} is out of range; allowed [1, {limit:g}] "
                         f"tokens, the context of {model_id}")
