"""Latency, throughput, energy and cost of serving a model on a chip.

One replica holds the model on ``G = tp * pp * dp`` chips (a :class:`~workbook.specs.Deployment`)
and serves ``B = workload.batch`` sequences at a time with continuous batching and chunked
prefill: each sequence's prompt of ``T_in`` tokens is prefilled in chunks that ride along with
the decode steps, ``T_out`` tokens are decoded, and a finished sequence's slot is refilled at
once.

**One pipeline stage, one micro-batch.** A stage holds ``L / pp`` layers on ``tp * dp`` chips.
The batch moves through the pipeline in ``m = min(B, pp)`` micro-batches of ``b = B / m``
sequences; per chip, a micro-batch's pass through a stage costs

* ``T_math = FLOPs / (G * rate * eff_compute)`` (+ weight dequantisation on the vector units
  where the chip lacks the format's units), where ``rate`` is the peak of the math format,
  capped by the power the chip may draw (:func:`sustained_flops`);
* ``T_mem = bytes per chip / (BW * eff_memory)``: its shard of the dense weights
  (``/ (tp * pp)``), of the routed experts the micro-batch touches (``/ ep`` with expert
  parallelism, else ``/ tp``), and of the KV cache of its sequences (``/ dp`` by sequence;
  ``/ min(tp, K)`` by KV head -- heads are replicated when ``tp > K``, and an MLA latent cache
  on every tensor-parallel chip);
* ``T_comms``: ring all-reduces of the activations over ``tp`` chips (after attention, and after
  each MLP that is not expert-parallel), two all-to-alls per MoE layer over ``ep`` chips,
  one point-to-point send to the next stage; each ``bytes / (link bandwidth * eff_ici) +
  latency`` (Erdil 2025's ``6 us + 2 us (sqrt(g) - 1)``), at the scale-up bandwidth when the
  group fits in one scale-up domain, else at the scale-out (NIC) bandwidth;
* ``T_overhead = (L / pp) * kernels_per_layer * kernel_time + step_overhead / pp``: launch and
  synchronisation the roofline does not hide (software, per runtime family).

``T_math`` and ``T_mem`` are kept apart by kernel class (:data:`KERNEL_CLASSES`): the matmuls
(their math; the weights they stream) and attention (its math; the KV cache it reads), which
run one after the other. A stage takes ``smooth_max_norm(T_roof, phi T_comms) + (1 - phi)
T_comms + T_overhead`` with ``T_roof = sum_k smooth_max_norm(T_math,k, T_mem,k)``
(:func:`roof_time`) and ``phi = eff.comm_overlap`` (the share of communication runtimes hide
under compute): never less than the slowest term, never more than the sum. A decode step -- every sequence advances one token -- takes ``pp`` stage times
(a token crosses every stage; with ``B < pp`` stages idle: the pipeline bubble).

**The cycle.** ``T_out`` decode steps (context ``T_in + (T_out / 2)(1 + cv^2)`` on average:
decode steps weighted by their context, ``cv`` the spread of output lengths) plus the prefill
of ``B`` new prompts take ``T_cycle = pp * [smooth(P + T_out D over math and memory) + comms +
overheads]`` per stage, each kernel class smoothed apart. Outputs (per replica unless "per chip"): TTFT is one prompt's prefill
through every stage; TPOT = ``T_cycle / T_out``; output tokens/s per chip = ``B / (TPOT * G)``;
energy and cost per token from the chips' power and price over the cycle
(:mod:`workbook.model.cost`). Every function is pure JAX: jit, vmap and grad over its inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from workbook.model import cost
from workbook.model import transformer as tf
from workbook.model.sizing import held_context, memory_available_per_chip, memory_required_per_chip
from workbook.numerics import smooth_max_norm
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, tensor_parallel

# Static (idle and leakage) share of TDP drawn whatever the utilisation. Estimate: H100
# idles near 10-15 % of TDP, but memory-bound serving keeps HBM and clocks busy; range 0.2-0.4.
STATIC_POWER_FRACTION = 0.3
# Dequantising weights runs on the vector (non-tensor) units: H100 SXM does 67 TFLOP/s FP32
# against 989 TFLOP/s dense BF16 on its tensor cores (NVIDIA H100 datasheet), a ratio of
# 1/15, used for every chip; about two operations per weight element (scale and convert;
# an estimate for Marlin/AWQ-style kernels, range 1-4).
VECTOR_TO_TENSOR_RATE = 67.0 / 989.0
DEQUANT_OPS_PER_WEIGHT = 2.0
# Energy per operation of the next narrower format relative to this one. Halving the bits
# halves the datapath's operand movement but less of the control and register-file energy:
# the sustained rate of a format is capped where its dynamic power reaches that of dense BF16
# at peak (which draws the chip's dynamic budget). Estimate 0.55, range 0.5 (no cap: the
# datasheet doubling is sustained) to 0.7 (Blackwell's FP4 peak is power-limited
# at TDP: GB200 is rated 20 PF sparse FP4 at up to 1,200 W against B200's 18 PF at 1,000 W,
# NVIDIA's Blackwell spec table). At 0.55 Hopper sustains 91 % of its FP8 peak (measured FP8
# GEMMs reach 78 %: DeepGEMM, Apr 2025) and B200 83 % of its FP4 peak.
ENERGY_RATIO_PER_HALVING = 0.55

RESOURCES = ("compute", "memory", "interconnect", "overhead")
# The two classes of kernels a step runs one after the other, each with its own roofline: the
# matmuls (math on the batch's tokens, traffic the weights they stream) and attention (math on
# the tokens' contexts, traffic the KV cache). Stage times carry them on a leading axis of 2.
KERNEL_CLASSES = ("matmul", "attention")


def by_kernel_class(matmul, attention):
    """``[matmul, attention]`` stacked on a leading axis (:data:`KERNEL_CLASSES`), broadcast to one shape."""
    matmul, attention = jnp.broadcast_arrays(matmul, attention)
    return jnp.stack([matmul, attention])


class Performance(NamedTuple):
    """What :func:`performance` returns; times in s, energy in J, cost in USD."""

    ttft: jax.Array  # time to first token, s
    tpot: jax.Array  # time per output token seen by one user, s
    tokens_per_s_per_chip: jax.Array  # output tokens/s per chip
    tokens_per_s_per_user: jax.Array  # 1 / tpot
    joules_per_token: jax.Array  # chip energy per output token (no PUE), J
    usd_per_million_tokens: jax.Array  # USD per million output tokens
    decode_compute_time: jax.Array  # T_math of one decode step (all stages), s
    decode_memory_time: jax.Array  # T_mem of one decode step, s
    decode_interconnect_time: jax.Array  # T_comms of one decode step, s
    bound: jax.Array  # index into RESOURCES of the largest term of one decode step
    memory_required: jax.Array  # bytes per chip
    memory_available: jax.Array  # usable bytes per chip
    fits: jax.Array  # 1.0 if memory_required <= memory_available
    cycle_bound: jax.Array  # index into RESOURCES of the largest term of the whole cycle (prefill + decode)
    decode_overhead_time: jax.Array  # launch and synchronisation time of one decode step, s
    chips: jax.Array  # chips per replica, tp * pp * dp
    emulated: jax.Array  # 1.0 if the chip lacks units for the workload's math format (slower path used)


# ---------------------------------------------------------------- number formats and rates


def _eight_bit_rate(chip: Chip, w: Workload):
    return jnp.where(w.integer_math > 0.5, chip.peak_ops_int8, chip.peak_flops_fp8)


def math_bits(chip: Chip, w: Workload):
    """Bits of the math the chip runs for ``w``: 4 where it has FP4 units and the activations
    are 4-bit, 8 where it has 8-bit units and they are <= 8-bit, else 16.

    A format whose datasheet rate is no higher than the next wider format's has no units of
    its own (the catalog records such rates as ``derived``, e.g. FP8 on an A100): runtimes
    then keep the weights narrow and compute in the wider format (W8A16, W4A8).
    """
    has_fp4 = chip.peak_flops_fp4 > 1.01 * chip.peak_flops_fp8
    has_8 = _eight_bit_rate(chip, w) > 1.01 * chip.peak_flops_bf16
    a = w.activation_bits
    return jnp.where((a <= 4.5) & has_fp4, 4.0, jnp.where((a <= 8.5) & has_8, 8.0, 16.0))


def peak_flops(chip: Chip, w: Workload):
    """Peak dense FLOP/s of the math format :func:`math_bits` selects (INT8 units with
    ``integer_math``)."""
    bits = math_bits(chip, w)
    return jnp.where(bits < 6.0, chip.peak_flops_fp4, jnp.where(bits < 12.0, _eight_bit_rate(chip, w), chip.peak_flops_bf16))


def peak_field(w: Workload) -> str:
    """The :class:`~workbook.specs.Chip` field whose rate the workload asks for (Python-side;
    a chip without that format's units runs at a wider one, see :func:`math_bits`)."""
    a = float(w.activation_bits)
    if a <= 4.5:
        return "peak_flops_fp4"
    if a <= 8.5:
        return "peak_ops_int8" if float(w.integer_math) > 0.5 else "peak_flops_fp8"
    return "peak_flops_bf16"


def sustained_flops(chip: Chip, w: Workload):
    """Math rate the power budget sustains: ``peak_bf16 / r^halvings`` with ``halvings =
    log2(16 / bits)`` and ``r = ENERGY_RATIO_PER_HALVING``: dense BF16 at peak draws the
    chip's dynamic budget, and each halving of the format costs ``r`` of the energy per op."""
    halvings = jnp.log2(16.0 / math_bits(chip, w))
    return chip.peak_flops_bf16 / ENERGY_RATIO_PER_HALVING ** halvings


def emulated(chip: Chip, w: Workload):
    """1.0 where the workload's weights or activations are narrower than the chip's math."""
    bits = math_bits(chip, w)
    return ((w.activation_bits < bits - 0.5) | (jnp.floor(w.weight_bits) < bits - 0.5)).astype(jnp.float32)


def attention_peak_flops(chip: Chip, w: Workload):
    """Peak FLOP/s of attention math, set by the KV-cache precision: <= 8 bits FP8 (where the
    chip has FP8 units), else BF16. FP4 deployments keep an FP8 KV cache."""
    has_fp8 = chip.peak_flops_fp8 > 1.01 * chip.peak_flops_bf16
    return jnp.where((w.kv_bits <= 8.5) & has_fp8, chip.peak_flops_fp8, chip.peak_flops_bf16)


def math_time(chip: Chip, w: Workload, flops, attention_flops, expert_flops, weight_bytes_chip, eff_compute, eff: Efficiency):
    """Per-chip math time of ``flops`` (matmuls), ``attention_flops`` and ``expert_flops``
    (the routed-expert share of ``flops``, slowed by ``1/eff_moe``), all already per chip, s,
    by kernel class: ``[matmuls + dequantisation, attention]`` (leading axis, see
    :data:`KERNEL_CLASSES`).

    ``flops / min(peak, sustained)`` -- the datasheet peak or the power cap, whichever is
    lower (a cap, not a smooth regime switch: only one of them can bind) -- plus dequantisation of ``weight_bytes_chip`` on the vector units
    when the weights are narrower than the math (``DEQUANT_OPS_PER_WEIGHT`` per element).
    """
    matmul = flops + expert_flops * (1.0 / eff.moe - 1.0)
    capped = matmul / (jnp.minimum(peak_flops(chip, w), sustained_flops(chip, w)) * eff_compute)
    attention = attention_flops / (attention_peak_flops(chip, w) * eff_compute)
    narrow = jnp.floor(w.weight_bits) < math_bits(chip, w) - 0.5
    elements = weight_bytes_chip * 8.0 / w.weight_bits
    dequant = jnp.where(narrow, elements * DEQUANT_OPS_PER_WEIGHT / (chip.peak_flops_bf16 * VECTOR_TO_TENSOR_RATE), 0.0)
    return by_kernel_class(capped + dequant, attention)


# ---------------------------------------------------------------- communication


def link_bandwidth(chip: Chip, group):
    """Bytes/s per chip and direction for a collective over ``group`` chips: half the scale-up
    (bidirectional) bandwidth inside one scale-up domain, the scale-out bandwidth beyond it."""
    return jnp.where(group <= chip.scale_up_chips + 1e-3, 0.5 * chip.interconnect_bandwidth, chip.scale_out_bandwidth)


def collective_latency(chip: Chip, group, eff: Efficiency):
    """Fixed cost of one collective over ``group`` chips: ``lat (1 + (sqrt(g) - 1) / 3)`` --
    Erdil (2025)'s ``6 us + 2 us (sqrt(g) - 1)`` with ``lat = 6 us`` -- times the runtime's
    latency multiplier, s."""
    return eff.collective_latency * chip.interconnect_latency * (1.0 + jnp.maximum(jnp.sqrt(group) - 1.0, 0.0) / 3.0)


def all_reduce_time(chip: Chip, message_bytes, group, eff: Efficiency):
    """Ring all-reduce of ``message_bytes`` over ``group`` chips: ``2 (g-1)/g msg / bw + latency``, s."""
    g = jnp.maximum(group, 1.0)
    ring = 2.0 * (g - 1.0) / g * message_bytes / (link_bandwidth(chip, g) * eff.interconnect)
    return jnp.where(g > 1.0 + 1e-6, ring + collective_latency(chip, g, eff), 0.0)


def all_to_all_time(chip: Chip, bytes_per_chip, group, eff: Efficiency):
    """All-to-all in which each chip sends ``bytes_per_chip``, ``(g-1)/g`` of it off-chip, s."""
    g = jnp.maximum(group, 1.0)
    moved = (g - 1.0) / g * bytes_per_chip / (link_bandwidth(chip, g) * eff.interconnect)
    return jnp.where(g > 1.0 + 1e-6, moved + collective_latency(chip, g, eff), 0.0)


def send_time(chip: Chip, message_bytes, chips, eff: Efficiency):
    """Point-to-point send between pipeline stages of a replica of ``chips`` chips, s."""
    return message_bytes / (link_bandwidth(chip, chips) * eff.interconnect) + eff.collective_latency * chip.interconnect_latency


def stage_communication_time(chip: Chip, m: Model, d: Deployment, eff: Efficiency, tokens):
    """Collectives of one stage for ``tokens`` tokens of the replica (micro-batch), per chip, s.

    ``(L/pp) * [n_ar * all_reduce(tokens/dp * D * 2 B, tp)] + (L_moe/pp) * 2 all_to_all(...)`` +
    one send to the next stage when ``pp > 1``; ``n_ar`` is 1 (attention) plus 1 for a dense MLP
    or for an MoE layer that is not expert-parallel.
    """
    ep_on = d.ep > 1.0 + 1e-6
    moe_layers = jnp.where(m.n_experts > 0, m.n_layers - m.n_dense_layers, 0.0)
    dense_layers = m.n_layers - moe_layers
    all_reduces = (m.n_layers + dense_layers + jnp.where(ep_on, 0.0, moe_layers)) / d.pp
    per_group = tf.collective_message_bytes(m, tokens / d.dp)
    ar = all_reduces * all_reduce_time(chip, per_group, d.tp, eff)
    dispatch = tokens / (d.tp * d.dp) * m.n_experts_active * m.d_model * tf.COMM_BYTES_PER_ELEMENT
    a2a = jnp.where(ep_on, 2.0 * moe_layers / d.pp * all_to_all_time(chip, dispatch, d.ep, eff), 0.0)
    p2p = jnp.where(d.pp > 1.0 + 1e-6, send_time(chip, per_group, d.tp * d.pp * d.dp, eff), 0.0)
    return ar + a2a + p2p


# ---------------------------------------------------------------- one stage


def _kv_shards(m: Model, d: Deployment):
    """Ways the KV cache of one sequence is split across a tensor-parallel group: by KV head,
    at most ``K`` ways (heads are replicated beyond); an MLA latent is not split at all."""
    return jnp.where(m.mla > 0, 1.0, jnp.minimum(d.tp, m.n_kv_heads))


def _expert_shards(d: Deployment):
    return jnp.where(d.ep > 1.0 + 1e-6, d.ep, d.tp)


def group_imbalance(d: Deployment, eff: Efficiency):
    """Work of the busiest data-parallel attention group over the mean, ``eff.dp_imbalance`` when
    ``dp > 1``, else 1: the groups' tokens and contexts differ from step to step, and every step
    waits for the slowest group at the expert all-to-all (TensorRT-LLM tech blog 10, 'ADP Balance
    Strategy': mean/max tokens per group 0.541 for DeepSeek-V3 on 8x GB200 under in-flight
    batching). It scales what a group does with its own sequences -- attention, dense matmuls and
    KV-cache traffic -- not the weights it streams or the routed experts."""
    return jnp.where(d.dp > 1.0 + 1e-6, eff.dp_imbalance, 1.0)


def _flops_per_chip(matmul, attention, experts, d: Deployment, imbalance=1.0):
    """``(matmul, attention, expert)`` FLOPs of one chip: attention and dense matmuls split over
    the ``tp * pp * dp`` chips (times the busiest group's share, ``imbalance``), routed experts
    over ``pp * ep`` with expert parallelism (all of a stage's chips, or every chip a lone
    request's tokens are routed to), else like dense."""
    g = d.tp * d.pp * d.dp
    expert_chips = d.pp * jnp.where(d.ep > 1.0 + 1e-6, d.ep, d.tp * d.dp)
    expert = experts / expert_chips
    return imbalance * (matmul - experts) / g + expert, imbalance * attention / g, expert


def stage_weight_bytes_read(m: Model, w: Workload, d: Deployment, tokens):
    """Weight bytes one chip reads for ``tokens`` tokens through one stage (dense share and the
    touched experts it holds)."""
    dense = tf.dense_weight_bytes_read(m, w.weight_bits) / (d.tp * d.pp)
    seen = jnp.where(d.ep > 1.0 + 1e-6, tokens, tokens / d.dp)
    experts = tf.expert_weight_bytes_read(m, seen, w.weight_bits, _expert_shards(d)) / d.pp
    return dense + experts


def _memory_time(chip: Chip, weight_bytes, kv_bytes, eff: Efficiency):
    """``[weight bytes, KV bytes] / (BW * eff_memory)`` by kernel class, per chip, s."""
    bw = chip.memory_bandwidth * eff.memory
    return by_kernel_class(weight_bytes / bw, kv_bytes / bw)


def decode_stage_times(chip: Chip, m: Model, w: Workload, d: Deployment, eff: Efficiency, batch, context):
    """``(T_math, T_mem, T_comms, T_overhead)`` of ``batch`` sequences through one stage, per chip, s;
    ``T_math`` and ``T_mem`` by kernel class (leading axis: matmuls, attention)."""
    attn = tf.decode_attention_flops(m, batch, context)
    matmul = tf.decode_flops(m, batch, context) - attn
    experts = 2.0 * batch * tf.expert_matmul_params_per_token(m)
    weights = stage_weight_bytes_read(m, w, d, batch)
    imb = group_imbalance(d, eff)
    t_math = math_time(chip, w, *_flops_per_chip(matmul, attn, experts, d, imb), weights, eff.compute_decode, eff)
    kv = imb * tf.decode_kv_bytes(m, batch / d.dp, context, w.kv_bits)
    t_mem = _memory_time(chip, weights, kv / (d.pp * _kv_shards(m, d)), eff)
    t_comm = stage_communication_time(chip, m, d, eff, batch)
    t_over = (m.n_layers / d.pp) * eff.kernels_per_layer * eff.kernel_time + eff.step_overhead / d.pp
    return t_math, t_mem, t_comm, t_over


def prefill_stage_times(chip: Chip, m: Model, w: Workload, d: Deployment, eff: Efficiency, batch):
    """``(T_math, T_mem, T_comms, T_overhead)`` of prefilling ``batch`` prompts through one stage, per chip, s;
    ``T_math`` and ``T_mem`` by kernel class (leading axis: matmuls, attention)."""
    tokens = batch * w.input_tokens
    attn = tf.prefill_attention_flops(m, batch, w.input_tokens)
    matmul = tf.prefill_flops(m, batch, w.input_tokens) - attn
    experts = 2.0 * tokens * tf.expert_matmul_params_per_token(m)
    weights = stage_weight_bytes_read(m, w, d, tokens)
    imb = group_imbalance(d, eff)
    t_math = math_time(chip, w, *_flops_per_chip(matmul, attn, experts, d, imb), weights, eff.compute_prefill, eff)
    kv = imb * tf.prefill_kv_bytes(m, batch / d.dp, w.input_tokens, w.kv_bits)
    t_mem = _memory_time(chip, weights, kv / (d.pp * _kv_shards(m, d)), eff)
    t_comm = stage_communication_time(chip, m, d, eff, tokens)
    t_over = (m.n_layers / d.pp) * eff.kernels_per_layer * eff.kernel_time
    return t_math, t_mem, t_comm, t_over


def roof_time(t_math, t_mem, eff: Efficiency):
    """``sum_k smooth_max_norm(T_math,k, T_mem,k)`` over the kernel classes ``k`` (leading axis,
    :data:`KERNEL_CLASSES`), s: the matmuls overlap their math with streaming the weights, and
    attention its math with reading the KV cache, but the two run one after the other (a
    decode step's attention waits for the QKV projection, the next matmul for attention),
    so one class's idle units cannot hide the other's work. Per-kernel rooflines summed over a
    layer: e.g. LLMCompass (Zhang et al., ISCA 2024), which simulates each operator on its own;
    the scaling book's "All About Transformer Inference" treats decode's attention as a
    separate, always memory-bound term."""
    return jnp.sum(smooth_max_norm((t_math, t_mem), eff.temperature), axis=0)


def stage_time(t_math, t_mem, t_comm, t_over, eff: Efficiency):
    """``smooth_max_norm(T_roof, phi T_comm) + (1 - phi) T_comm + T_over`` with ``T_roof`` the
    :func:`roof_time` of the kernel classes: between the slowest term and the sum, s."""
    roof = roof_time(t_math, t_mem, eff)
    # the hidden share enters the smooth max only where it is not negligible: a zero argument
    # of the norm has a NaN second derivative, and below 1e-3 of the roof it adds < 1e-29
    hidden = eff.comm_overlap * t_comm
    hidden = jnp.where(hidden > 1e-3 * roof, hidden, 1e-3 * roof)
    return smooth_max_norm((roof, hidden), eff.temperature) + (1.0 - eff.comm_overlap) * t_comm + t_over


def micro_batches(batch, d: Deployment):
    """Micro-batches in flight: ``min(B, pp)`` (each of ``B / m`` sequences)."""
    return jnp.minimum(batch, d.pp)


def decode_step_time(chip: Chip, m: Model, w: Workload, eff: Efficiency, context, d: Deployment | None = None):
    """One decode step of the whole batch (every sequence advances one token), s: ``pp`` stage
    times of a micro-batch of ``B / min(B, pp)`` sequences."""
    d = tensor_parallel(w.chips) if d is None else d
    b = w.batch / micro_batches(w.batch, d)
    return d.pp * stage_time(*decode_stage_times(chip, m, w, d, eff, b, context), eff)


def prefill_time(chip: Chip, m: Model, w: Workload, eff: Efficiency, batch, d: Deployment | None = None):
    """Prefill of ``batch`` prompts on their own, through every stage, s."""
    d = tensor_parallel(w.chips) if d is None else d
    return d.pp * stage_time(*prefill_stage_times(chip, m, w, d, eff, batch), eff)


def decode_context(w: Workload):
    """Mean context of a decode step, weighted by decode steps: ``T_in + E[T_out^2] / (2 E[T_out])
    = T_in + (T_out / 2)(1 + cv^2)`` (longer outputs take more steps at longer contexts); the
    same held context the KV cache is sized by (:func:`workbook.model.sizing.held_context`)."""
    return held_context(w)


def performance(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency(), deployment: Deployment | None = None) -> Performance:
    """Every serving figure of ``m`` on ``chip`` for workload ``w``; see the module docstring.

    ``deployment`` defaults to :func:`~workbook.specs.tensor_parallel` over ``w.chips``;
    when given, the replica's chip count is ``tp * pp * dp`` (``w.chips`` is not used).
    """
    d = tensor_parallel(w.chips) if deployment is None else deployment
    chip, m, w, eff, d = (jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), r) for r in (chip, m, w, eff, d))
    g = d.tp * d.pp * d.dp
    b_total, t_out = w.batch, w.output_tokens
    mb = micro_batches(b_total, d)
    b = b_total / mb  # sequences per micro-batch
    context = decode_context(w)
    d_math, d_mem, d_comm, d_over = decode_stage_times(chip, m, w, d, eff, b, context)
    p_math, p_mem, p_comm, p_over = prefill_stage_times(chip, m, w, d, eff, b)
    # chunked prefill: prompts ride along with decode steps, so the cycle's compute and memory
    # traffic overlap as a whole; collectives overlap by eff.comm_overlap; overheads add up
    c_math, c_mem = p_math + t_out * d_math, p_mem + t_out * d_mem
    c_comm, c_over = p_comm + t_out * d_comm, p_over + t_out * d_over
    t_cycle = d.pp * stage_time(c_math, c_mem, c_comm, c_over, eff)
    tpot = t_cycle / t_out
    tokens_per_s_replica = b_total / tpot

    # utilisation of the busiest resource over the cycle sets the power draw
    busy = roof_time(c_math, c_mem, eff) * d.pp / t_cycle
    util = jnp.minimum(busy, 1.0)
    power = chip.power * (STATIC_POWER_FRACTION + (1.0 - STATIC_POWER_FRACTION) * util)

    one = Deployment(d.tp, d.pp, d.ep, jnp.ones_like(d.dp))  # a new request lives in one attention group
    ttft = d.pp * stage_time(*prefill_stage_times(chip, m, w, one, eff, jnp.ones_like(b)), eff)
    need = memory_required_per_chip(m, w, d)
    have = memory_available_per_chip(chip, w)
    step_terms = jnp.stack([d_math.sum(0), d_mem.sum(0), d_comm, d_over]) * d.pp
    cycle_terms = jnp.stack([c_math.sum(0), c_mem.sum(0), c_comm, c_over])
    return Performance(
        ttft=ttft,
        tpot=tpot,
        tokens_per_s_per_chip=tokens_per_s_replica / g,
        tokens_per_s_per_user=1.0 / tpot,
        joules_per_token=cost.joules_per_token(power, g, tokens_per_s_replica),
        usd_per_million_tokens=cost.usd_per_million_tokens(chip.price, g, tokens_per_s_replica),
        decode_compute_time=step_terms[0],
        decode_memory_time=step_terms[1],
        decode_interconnect_time=step_terms[2],
        bound=jnp.argmax(step_terms).astype(jnp.float32),
        memory_required=need,
        memory_available=have,
        fits=(need <= have).astype(jnp.float32),
        cycle_bound=jnp.argmax(cycle_terms).astype(jnp.float32),
        decode_overhead_time=step_terms[3],
        chips=g,
        emulated=emulated(chip, w),
    )


def tokens_per_s_per_chip(chip, m, w, eff=Efficiency(), deployment=None):
    """Output tokens/s per chip (see :func:`performance`)."""
    return performance(chip, m, w, eff, deployment).tokens_per_s_per_chip


def usd_per_million_tokens(chip, m, w, eff=Efficiency(), deployment=None):
    """USD per million output tokens (:func:`workbook.model.cost.usd_per_million_tokens` of the replica)."""
    return performance(chip, m, w, eff, deployment).usd_per_million_tokens
