"""Specs as data: immutable pytrees of numbers in SI units.

A :class:`Chip`, a :class:`Model`, a :class:`Workload` and an :class:`Efficiency` are
``NamedTuple`` records of floats. They are JAX pytrees, so ``jax.grad`` of any output
with respect to a chip returns a ``Chip`` of sensitivities, and ``jax.vmap`` maps over
stacked records (see :func:`stack`). Names, sources and statuses are *not* stored here:
they live in the catalog (:mod:`workbook.catalog`), keyed by id.

Notation (jax-ml scaling book): B batch, T sequence length, D d_model, F d_ff,
L layers, N query heads, K KV heads, H head dim, V vocabulary. A :class:`Deployment`
says how one replica is split over its chips (tensor, pipeline, expert, data parallel).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class Chip(NamedTuple):
    """One accelerator. Every field is a float in SI units."""

    peak_flops_bf16: float  # dense BF16 FLOP/s
    peak_flops_fp8: float  # dense FP8 FLOP/s (BF16 rate where there is no FP8 hardware)
    peak_flops_fp4: float  # dense FP4 FLOP/s (FP8 rate where there is no FP4 hardware)
    peak_ops_int8: float  # dense INT8 OP/s
    memory_capacity: float  # bytes of HBM/DRAM (SRAM for Groq and Cerebras)
    memory_bandwidth: float  # bytes/s, peak
    sram_capacity: float  # bytes of the largest on-chip memory
    interconnect_bandwidth: float  # bytes/s, total bidirectional scale-up per chip
    interconnect_latency: float  # s, fixed latency of one collective (Erdil 2025: 6 us)
    power: float  # W, TDP
    price: float  # USD per chip-hour (a dated scenario input)
    scale_up_chips: float  # chips in one scale-up domain (8-GPU NVLink, NVL72, a TPU pod slice)
    scale_out_bandwidth: float  # bytes/s per chip between scale-up domains (NICs), one direction


class Model(NamedTuple):
    """A decoder-only transformer (dense or MoE, GQA or MLA). Counts are floats."""

    n_layers: float  # L
    d_model: float  # D
    n_heads: float  # N, query heads
    n_kv_heads: float  # K, KV heads (= N for multi-head attention)
    head_dim: float  # H
    d_ff: float  # F, intermediate size of the dense (gated) MLP layers
    vocab_size: float  # V
    tied_embeddings: float  # 1 if the LM head shares the embedding matrix
    n_experts: float  # routed experts per MoE layer (0 for dense models)
    n_experts_active: float  # routed experts per token
    n_shared_experts: float  # always-on experts per MoE layer
    d_ff_expert: float  # intermediate size of one expert
    n_dense_layers: float  # layers with a dense MLP (the rest are MoE)
    mla: float  # 1 for multi-head latent attention (DeepSeek), else 0
    kv_lora_rank: float  # MLA compressed KV width
    q_lora_rank: float  # MLA compressed query width (0: full-rank queries)
    qk_nope_head_dim: float  # MLA per-head query/key width without RoPE
    qk_rope_head_dim: float  # MLA per-head decoupled RoPE width (shared key)
    v_head_dim: float  # MLA per-head value width
    sliding_window: float  # tokens a sliding-window layer attends to (0: none)
    n_sliding_layers: float  # layers that use the sliding window
    max_context: float = 0.0  # longest sequence (prompt + output) the model supports, tokens (0: not stated)


# Share of a chip's memory a serving runtime gives to weights, KV cache and activations: vLLM's
# default ``gpu_memory_utilization = 0.9`` (vLLM docs, 2024-2026; TensorRT-LLM's
# ``kv_cache_free_gpu_mem_fraction`` defaults to 0.9 of what the weights leave).
DEFAULT_MEMORY_FRACTION = 0.9
# Tokens one iteration may carry, which sizes the activation workspace: vLLM's V1-engine default
# ``max_num_batched_tokens`` of 8192 (TensorRT-LLM's ``max_num_tokens`` default is 8192 too).
DEFAULT_BATCHED_TOKENS = 8192.0


class Workload(NamedTuple):
    """What is asked of one replica. Bits are per stored element."""

    batch: float = 1.0  # B, concurrent sequences per replica
    input_tokens: float = 1024.0  # prompt length
    output_tokens: float = 256.0  # generated tokens per sequence
    chips: float = 1.0  # chips per replica (tensor / expert parallel)
    weight_bits: float = 16.0
    activation_bits: float = 16.0  # selects the peak: <=4 FP4, <=8 FP8/INT8, else BF16
    kv_bits: float = 16.0
    integer_math: float = 0.0  # 1: 8-bit math on the INT8 units instead of FP8
    output_cv: float = 0.0  # coefficient of variation of output lengths (0: all equal)
    memory_fraction: float = DEFAULT_MEMORY_FRACTION  # share of each chip's memory the runtime may fill
    batched_tokens: float = DEFAULT_BATCHED_TOKENS  # tokens per iteration the runtime sizes its activations for


class Deployment(NamedTuple):
    """How one replica is spread over its chips: ``chips = tp * pp * dp``.

    * ``tp`` -- tensor parallelism of attention and dense layers (Megatron: heads and MLP
      columns split, two all-reduces per layer);
    * ``pp`` -- pipeline stages, each holding ``L / pp`` layers (point-to-point sends);
    * ``dp`` -- data-parallel attention groups inside the replica, each holding the
      attention and dense weights (split ``tp`` ways) and the KV cache of ``B / dp`` sequences;
    * ``ep`` -- expert parallelism: 1 (experts split ``tp`` ways like dense layers) or
      ``tp * dp`` (whole experts spread over all chips of a stage, all-to-all dispatch).
    """

    tp: float = 1.0
    pp: float = 1.0
    ep: float = 1.0
    dp: float = 1.0


def tensor_parallel(chips) -> Deployment:
    """The deployment of ``chips`` chips as one tensor-parallel group (no PP, EP or DP)."""
    return Deployment(tp=chips, pp=1.0, ep=1.0, dp=1.0)


class Efficiency(NamedTuple):
    """Achieved fractions of peak, and the overlap temperature of the roofline.

    The uncalibrated roofline is ``Efficiency()``: every resource at its peak.
    :mod:`workbook.calibration` fits these per chip family.
    """

    compute_prefill: float = 1.0  # fraction of peak FLOP/s reached in prefill
    compute_decode: float = 1.0  # fraction of peak FLOP/s reached in decode
    memory: float = 1.0  # fraction of peak memory bandwidth reached
    interconnect: float = 1.0  # fraction of peak scale-up bandwidth reached
    collective_latency: float = 1.0  # multiplier on the chip's per-collective latency (software stack)
    moe: float = 1.0  # efficiency of routed-expert math relative to dense matmuls (routing, permutation, imbalance)
    step_overhead: float = 0.0  # s per decode step outside the layers (scheduling, sampling)
    temperature: float = 0.1  # roofline overlap: 0 = perfect overlap (max), 1 = none (sum)
    kernel_time: float = 0.0  # s of launch and synchronisation per kernel not hidden by the roofline
    kernels_per_layer: float = 0.0  # kernels one transformer layer launches (after fusion)
    comm_overlap: float = 0.0  # share of collective time hidden under compute and memory traffic (0..1)
    dp_imbalance: float = 1.0  # max / mean work of data-parallel attention groups (1: balanced); dp > 1 only


# Precision presets: (weight, activation, KV cache) bits per element and integer math.
# Weight bits include block scales: NVFP4 stores a shared FP8 (E4M3) scale per 16 FP4 values,
# 4 + 8/16 = 4.5 bits (NVIDIA, "Introducing NVFP4", 2025); OCP MXFP4 a shared E8M0 scale per
# 32 values, 4 + 8/32 = 4.25 bits (OCP Microscaling Formats v1.0, 2023); AWQ/GPTQ int4 a
# 16-bit scale per group of 128 weights, 4 + 16/128 = 4.125 bits (AWQ, Lin et al. 2024).
# Activation bits select the math rate: <= 4 FP4, <= 8 FP8/INT8, else BF16; weight-only
# formats (w8a16, int4 = W4A16) dequantise to 16-bit math. Sources: MLPerf/TensorRT-LLM
# recipes (fp8 = W8A8 with an FP8 KV cache; NVFP4 keeps an FP8 KV cache). w4a8: int4 weights
# with int8 activations on the INT8 units and an int8 KV cache (Intel's MLPerf v5.1 Arc Pro
# B60 runs: activation quantisation fused into the norm and SiLU kernels, an int8 KV-cache
# scheme; see ``calibration.measurements.DOCUMENTED_PRECISIONS``); its weights are quantised
# per output channel (AutoRound ``group_size -1``: one 16-bit scale and a 4-bit zero point per
# row of >= 4,096 weights, 4 + 20/4096 < 4.005 bits, taken as 4.0).
PRECISIONS: dict[str, tuple[float, float, float, float]] = {
    "bf16": (16.0, 16.0, 16.0, 0.0),
    "fp16": (16.0, 16.0, 16.0, 0.0),
    "fp8": (8.0, 8.0, 8.0, 0.0),
    "int8": (8.0, 8.0, 8.0, 1.0),
    "w8a16": (8.0, 16.0, 16.0, 0.0),
    "fp4": (4.5, 4.0, 8.0, 0.0),
    "mxfp4": (4.25, 4.0, 8.0, 0.0),
    "int4": (4.125, 16.0, 16.0, 0.0),
    "w4a8": (4.0, 8.0, 8.0, 1.0),
}


def workload(
    precision: str = "bf16",
    *,
    batch: float = 1.0,
    input_tokens: float = 1024.0,
    output_tokens: float = 256.0,
    chips: float = 1.0,
    output_cv: float = 0.0,
) -> Workload:
    """A :class:`Workload` with the bits of a named precision preset (see ``PRECISIONS``).

    Checks its inputs (:func:`workbook.errors.require`): batch, prompt and output tokens and
    chips are finite numbers >= 1 (the prompt may be 0 tokens), ``output_cv`` (the spread
    of output lengths, standard deviation / mean) is in [0, 10]; a bad value raises
    :class:`~workbook.errors.InputError` naming it.
    """
    from workbook.errors import require, require_choice

    w, a, kv, integer = PRECISIONS[require_choice("precision", precision, PRECISIONS)]
    return Workload(require("batch", batch, low=1, unit="sequences"),
                    require("input_tokens", input_tokens, low=0, unit="tokens"),
                    require("output_tokens", output_tokens, low=1, unit="tokens"),
                    require("chips", chips, low=1), w, a, kv, integer,
                    require("output_cv", output_cv, low=0, high=10))


def stack(records):
    """Stack a list of same-type records into one record of arrays (for ``jax.vmap``)."""
    return jax.tree.map(lambda *xs: jnp.asarray(xs, dtype=jnp.float32), *records)


def as_arrays(record):
    """The same record with every field a float32 JAX scalar (for jit and grad)."""
    return jax.tree.map(lambda x: jnp.asarray(x, dtype=jnp.float32), record)
