"""Sizing a replica: memory per chip, the largest batch and the fewest chips that fit.

``memory per chip = weights per chip + (B / dp) KV per sequence per chip + workspace / tp``
(a :class:`~workbook.specs.Deployment` says how the replica is split) against
``memory_fraction x capacity`` (0.9 by default: vLLM's memory utilisation). A sequence's KV is that of its
time-averaged context (:func:`held_context`): continuous batching with a paged KV cache holds
each in-flight sequence's current tokens, not its final length.
"""

from __future__ import annotations

import jax.numpy as jnp

from workbook.model import transformer as tf
from workbook.specs import (DEFAULT_BATCHED_TOKENS, DEFAULT_MEMORY_FRACTION, Chip, Deployment, Model, Workload,
                            tensor_parallel)

# The two runtime settings a workload carries (``Workload.memory_fraction`` and
# ``Workload.batched_tokens``) default to ``DEFAULT_MEMORY_FRACTION`` and ``DEFAULT_BATCHED_TOKENS``
# (sources at their definitions in :mod:`workbook.specs`); a submission that documents its own
# (``measurements.DOCUMENTED_RUNTIME``) is sized with those.


def weight_bytes_per_chip(m: Model, w: Workload, d: Deployment):
    """Weight bytes one chip holds: the dense weights split ``tp * pp`` ways (replicated across
    data-parallel attention groups) and the routed experts split ``pp * ep`` ways with expert
    parallelism, else ``pp * tp`` ways."""
    routed = tf.routed_expert_bytes(m, w.weight_bits)
    dense = tf.weight_bytes(m, w.weight_bits) - routed
    shards = jnp.where(d.ep > 1.0 + 1e-6, d.ep, d.tp)
    return dense / (d.tp * d.pp) + routed / (d.pp * shards)


def held_context(w: Workload):
    """Time-averaged context of an in-flight sequence, tokens: ``T_in + E[T_out^2] / (2 E[T_out])
    = T_in + (T_out / 2)(1 + cv^2)``, the mean over the decode steps a sequence is in flight.

    Serving runtimes allocate a sequence's KV cache in pages as its tokens are generated and
    admit new sequences against the pages in use, not against each sequence's final length:
    vLLM's PagedAttention (Kwon et al., SOSP 2023: blocks allocated on demand, sequences
    preempted when they run out) and TensorRT-LLM's paged KV cache under the ``max_util``
    scheduler, which every MLPerf LLM configuration of NVIDIA's code sets (e.g.
    github.com/mlcommons/inference_results_v5.1 closed/Nebius/configs/B200-SXM-180GBx8/Offline/
    llama2-70b.py: ``'kv_cache_type': 'paged'``, ``'tokens_per_block': 32``,
    ``'batch_scheduler_policy': 'max_util'``). In steady state the batch therefore holds each
    sequence's current context, whose average is this; it is also the mean context a decode
    step reads (:func:`workbook.model.serving.decode_context`). Consistent with it: NVIDIA's v4.1
    Llama-2-70B config runs one H200 at ``gpu_batch_size`` 806 with ``kvcache_free_gpu_mem_frac``
    0.90, which 0.9 x (141 - 69) GB of FP8 KV at 160 KiB per token holds at OpenOrca's held
    context (316 + 294 / 2 = 463 tokens: 857 sequences) and not at its final length (610: 650)."""
    return w.input_tokens + 0.5 * w.output_tokens * (1.0 + w.output_cv ** 2)


def kv_bytes_per_sequence_per_chip(m: Model, w: Workload, d: Deployment):
    """KV-cache bytes one in-flight sequence puts on each chip of its group, at its
    time-averaged context (:func:`held_context`): layers split ``pp`` ways, KV heads at most
    ``min(tp, K)`` ways (an MLA latent not at all), sliding-window layers capped at the window."""
    shards = jnp.where(m.mla > 0, 1.0, jnp.minimum(d.tp, m.n_kv_heads))
    return tf.kv_cache_bytes_per_sequence(m, held_context(w), w.kv_bits) / (d.pp * shards)


def memory_required_per_chip(m: Model, w: Workload, d: Deployment | None = None):
    """Bytes per chip: weights (:func:`weight_bytes_per_chip`), the KV cache of the
    ``B / dp`` sequences of its attention group, and the activation workspace split ``tp`` ways.

    ``d`` defaults to tensor parallelism over ``w.chips``.
    """
    d = tensor_parallel(w.chips) if d is None else d
    kv = w.batch / d.dp * kv_bytes_per_sequence_per_chip(m, w, d)
    return weight_bytes_per_chip(m, w, d) + kv + activation_workspace_bytes(m, w.batched_tokens) / d.tp


def activation_workspace_bytes(m: Model, tokens=DEFAULT_BATCHED_TOKENS):
    """Activation workspace a runtime reserves: one iteration of ``tokens`` tokens (the
    workload's ``batched_tokens``, 8192 by default) with ``4D + 2*F_eff`` 16-bit values live per
    token (an estimate; small next to weights)."""
    f_eff = jnp.maximum(m.d_ff, m.n_experts_active * m.d_ff_expert)
    return tokens * (4.0 * m.d_model + 2.0 * f_eff) * 2.0


def memory_available_per_chip(chip: Chip, w: Workload | None = None):
    """Usable bytes per chip: ``memory_fraction * capacity`` (the workload's share, 0.9 by
    default: vLLM's default memory utilisation)."""
    fraction = DEFAULT_MEMORY_FRACTION if w is None else w.memory_fraction
    return fraction * chip.memory_capacity


def max_batch(chip: Chip, m: Model, w: Workload, d: Deployment | None = None):
    """Largest batch whose weights, KV cache and activations fit on the replica's chips:
    ``floor(dp * (fraction cap - weights per chip - workspace) / KV per sequence per chip)``;
    negative when even the weights do not fit."""
    d = tensor_parallel(w.chips) if d is None else d
    room = (memory_available_per_chip(chip, w) - weight_bytes_per_chip(m, w, d)
            - activation_workspace_bytes(m, w.batched_tokens) / d.tp)
    return jnp.floor(d.dp * room / kv_bytes_per_sequence_per_chip(m, w, d))


def min_chips(chip: Chip, m: Model, w: Workload):
    """Fewest chips whose usable memory holds weights, KV cache and workspace (a lower bound:
    it ignores KV heads replicated beyond ``K``-way tensor parallelism)."""
    kv = w.batch * tf.kv_cache_bytes_per_sequence(m, held_context(w), w.kv_bits)
    total = tf.weight_bytes(m, w.weight_bits) + kv + activation_workspace_bytes(m, w.batched_tokens)
    return jnp.ceil(total / memory_available_per_chip(chip, w))


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
