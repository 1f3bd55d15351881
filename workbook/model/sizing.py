"""Sizing a replica: memory per chip, the largest batch and the fewest chips that fit.

``memory per chip = (weights + B (T_in + T_out) kv_per_token + workspace) / G`` against
``0.9 x capacity`` (vLLM's default memory utilisation).
"""

from __future__ import annotations

import jax.numpy as jnp

from workbook.model import transformer as tf
from workbook.specs import Chip, Model, Workload

# Share of memory a serving runtime can give to weights, KV cache and activations: vLLM's
# default ``gpu_memory_utilization = 0.9`` (vLLM docs, 2024-2026).
USABLE_MEMORY_FRACTION = 0.9
# Prefill runs in chunks of at most this many tokens (vLLM / TensorRT-LLM default
# ``max_num_batched_tokens``), which bounds the activation workspace.
PREFILL_CHUNK_TOKENS = 8192.0


def memory_required_per_chip(m: Model, w: Workload):
    """Bytes per chip: ``(weights + B*(T_in+T_out)*kv_per_token + workspace) / G``."""
    kv = w.batch * (w.input_tokens + w.output_tokens) * tf.kv_cache_bytes_per_token(m, w.kv_bits)
    return (tf.weight_bytes(m, w.weight_bits) + kv + activation_workspace_bytes(m)) / w.chips


def activation_workspace_bytes(m: Model):
    """Activation workspace a runtime reserves: one prefill chunk of 8192 tokens with
    ``4D + 2*F_eff`` 16-bit values live per token (an estimate; small next to weights)."""
    f_eff = jnp.maximum(m.d_ff, m.n_experts_active * m.d_ff_expert)
    return PREFILL_CHUNK_TOKENS * (4.0 * m.d_model + 2.0 * f_eff) * 2.0


def memory_available_per_chip(chip: Chip):
    """Usable bytes per chip: ``0.9 * capacity`` (vLLM's default memory utilisation)."""
    return USABLE_MEMORY_FRACTION * chip.memory_capacity


def max_batch(chip: Chip, m: Model, w: Workload):
    """Largest batch whose weights, KV cache and activations fit on ``w.chips`` chips.

    ``floor((0.9*cap*G - weights - act_max) / ((T_in + T_out) * kv_per_token))``; negative
    when even the weights do not fit.
    """
    cap = memory_available_per_chip(chip) * w.chips
    act = activation_workspace_bytes(m)
    per_seq = (w.input_tokens + w.output_tokens) * tf.kv_cache_bytes_per_token(m, w.kv_bits)
    return jnp.floor((cap - tf.weight_bytes(m, w.weight_bits) - act) / per_seq)


def min_chips(chip: Chip, m: Model, w: Workload):
    """Smallest whole number of chips whose usable memory holds the workload."""
    total = memory_required_per_chip(m, w) * w.chips
    return jnp.ceil(total / memory_available_per_chip(chip))


def tensor_parallel_chips(chip: Chip, m: Model, w: Workload) -> int:
    """Fewest chips per replica that hold the workload, rounded up to a power of two (the
    tensor-parallel degrees runtimes support). Concrete values; Python int."""
    need = max(int(min_chips(chip, m, w)), 1)
    return 1 << (need - 1).bit_length()
