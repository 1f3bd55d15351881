"""The serving model: published latency tables, invariants, gradients, no NaN."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

from workbook import calibration, catalog

from workbook.model import cost, deployment, serving, sizing
from workbook.specs import PRECISIONS, Chip, Efficiency, stack, tensor_parallel, workload

SHARP = Efficiency(temperature=1e-4)


def erdil_chip():
    """Erdil (2025)'s H100: 3.3e12 B/s, 1e15 FLOP/s, $2/GPU-h. His model has 4 all-reduces of
    6 us + 2 us*(sqrt(G)-1) per layer and no bandwidth term; ours has 2 collectives per layer,
    so a 12 us latency and a very fast link reproduce it."""
    c = catalog.chip("nvidia_h100_sxm")
    return c._replace(peak_flops_bf16=1e15, memory_bandwidth=3.3e12, interconnect_bandwidth=1e15,
                      interconnect_latency=12e-6, price=2.0, scale_up_chips=1e6)  # one flat network, as in his model


# Erdil 2025, "Inference economics of language models" (Epoch AI), Llama-3-70B, bf16, no KV
# cache, recomputed from the published formula (reference/targets.md). Tolerance 2 %: Erdil
# streams all 70.55e9 parameters, we skip the 1.05e9-parameter input-embedding table (-1.5 %).
@pytest.mark.parametrize("gpus,batch,ms,usd", [(4, 1, 13.250, 29.44), (4, 64, 13.250, 0.460), (8, 64, 8.435, 0.586), (8, 256, 8.435, 0.146), (16, 64, 6.512, 0.905)])
def test_erdil_token_latency_table(llama3_70b, gpus, batch, ms, usd):
    c = erdil_chip()
    w = workload("bf16", batch=batch, chips=gpus)
    t = float(serving.decode_step_time(c, llama3_70b, w, SHARP, 0.0))
    assert t * 1e3 == pytest.approx(ms, rel=0.02)
    assert float(cost.usd_per_million_tokens(c.price, gpus, batch / t)) == pytest.approx(usd, rel=0.02)


def test_h100_compute_bound_throughput_at_40pct_mfu(llama3_70b):
    # targets.md: 989e12 FLOP/s, MFU 0.40, 70B dense -> 2,826 tok/s per GPU, $0.197/M at $2/h.
    # One decode step of a huge batch with an empty cache is compute bound; 1.5 % covers the
    # 69.5e9 (not 70e9) multiplying weights.
    c = catalog.chip("nvidia_h100_sxm")._replace(price=2.0)
    eff = SHARP._replace(compute_decode=0.4)
    w = workload("bf16", batch=8192, chips=1)
    t_math, t_mem, _, _ = serving.decode_stage_times(c, llama3_70b, w, tensor_parallel(1.0), eff, w.batch, 0.0)
    assert float(t_math.sum()) > 10 * float(t_mem.sum())
    tps = 8192 / float(serving.decode_step_time(c, llama3_70b, w, eff, 0.0))
    assert tps == pytest.approx(2826, rel=0.015)
    assert float(cost.usd_per_million_tokens(c.price, 1, tps)) == pytest.approx(0.197, rel=0.015)


def test_throughput_rises_with_batch_and_latency_with_context(h100, llama3_70b):
    eff = calibration.efficiency("nvidia_h100_sxm")
    f = jax.jit(jax.vmap(lambda b, t: serving.performance(h100, llama3_70b, workload("fp8", chips=8)._replace(batch=b, input_tokens=t), eff)))
    b = jnp.asarray([1.0, 2, 4, 8, 16, 32, 64, 128, 256, 512])
    p = f(b, jnp.full_like(b, 1024.0))
    assert np.all(np.diff(np.asarray(p.tokens_per_s_per_chip)) > 0)
    assert np.all(np.diff(np.asarray(p.tpot)) >= 0)
    t = jnp.asarray([128.0, 512, 2048, 8192, 32768])
    q = f(jnp.full_like(t, 16.0), t)
    assert np.all(np.diff(np.asarray(q.ttft)) > 0) and np.all(np.diff(np.asarray(q.tpot)) > 0)


def test_smooth_step_between_lower_and_upper_bound(h100, llama3_70b):
    w = workload("fp8", batch=300, chips=1, input_tokens=2048)
    m = llama3_70b._replace(n_layers=40.0)  # fits on one chip
    t_math, t_mem, _, _ = serving.decode_stage_times(h100, m, w, tensor_parallel(1.0), Efficiency(), w.batch, 2048.0)
    # each kernel class (matmuls, attention) between its own max and sum; the classes add up
    lower, upper = float(jnp.maximum(t_math, t_mem).sum()), float((t_math + t_mem).sum())
    smooth = float(serving.decode_step_time(h100, m, w, Efficiency(), 2048.0))
    assert lower <= smooth <= upper <= 2 * lower
    sharp = float(serving.decode_step_time(h100, m, w, SHARP, 2048.0))
    assert sharp == pytest.approx(lower, rel=1e-3)


def test_max_batch_is_the_feasibility_limit(h100, llama3_70b):
    w = workload("fp8", chips=2, input_tokens=2048, output_tokens=512)
    b = float(sizing.max_batch(h100, llama3_70b, w))
    assert b > 1
    assert float(serving.performance(h100, llama3_70b, w._replace(batch=b)).fits) == 1.0
    assert float(serving.performance(h100, llama3_70b, w._replace(batch=b + 1)).fits) == 0.0
    assert float(sizing.min_chips(h100, llama3_70b, w._replace(batch=b + 1, chips=2.0))) == 3.0


def test_a_workloads_runtime_settings_size_its_memory(h100, llama3_70b):
    # the share of memory the runtime may fill (vLLM's gpu_memory_utilization) and the tokens one
    # iteration carries (max_num_batched_tokens, which sizes the activation workspace) are the
    # workload's: the batch that fits is floor((fraction cap - weights - workspace) / KV per sequence)
    w = workload("fp8", chips=2, input_tokens=2048, output_tokens=512)
    d = tensor_parallel(2.0)
    assert (w.memory_fraction, w.batched_tokens) == (0.9, 8192.0)  # the defaults
    per_seq = float(sizing.kv_bytes_per_sequence_per_chip(llama3_70b, w, d))
    weights = float(sizing.weight_bytes_per_chip(llama3_70b, w, d))
    for fraction, tokens in ((0.9, 8192.0), (0.99, 8192.0), (0.9, 256.0), (0.99, 320.0)):
        v = w._replace(memory_fraction=fraction, batched_tokens=tokens)
        workspace = float(sizing.activation_workspace_bytes(llama3_70b, tokens))
        assert workspace == pytest.approx(tokens * (4 * 8192 + 2 * 28672) * 2)
        room = fraction * float(h100.memory_capacity) - weights - workspace / 2
        assert float(sizing.max_batch(h100, llama3_70b, v, d)) == pytest.approx(np.floor(room / per_seq), abs=1)
    more = sizing.max_batch(h100, llama3_70b, w._replace(memory_fraction=0.99, batched_tokens=320.0), d)
    assert float(more) > float(sizing.max_batch(h100, llama3_70b, w, d))
    # performance's fit check uses the same share
    b = float(more)
    tight = w._replace(batch=b, memory_fraction=0.99, batched_tokens=320.0)
    assert float(serving.performance(h100, llama3_70b, tight, Efficiency(), d).fits) == 1.0
    assert float(serving.performance(h100, llama3_70b, tight._replace(memory_fraction=0.9), Efficiency(), d).fits) == 0.0


def test_gradient_of_a_chip_is_a_chip(h100, llama3_70b):
    g = jax.grad(lambda c: serving.performance(c, llama3_70b, workload("fp8", batch=8, chips=8)).tokens_per_s_per_chip)(h100)
    assert isinstance(g, Chip)
    assert float(g.memory_bandwidth) > 0 and float(g.price) == 0.0


def test_gradients_match_finite_differences(h100, llama3_70b):
    # away from kinks: log tokens/s as a function of log bandwidth, log peak and log batch
    def f(x):
        c = h100._replace(memory_bandwidth=jnp.exp(x[0]), peak_flops_fp8=jnp.exp(x[1]))
        w = workload("fp8", chips=8)._replace(batch=jnp.exp(x[2]))
        return jnp.log(serving.performance(c, llama3_70b, w, Efficiency()).tokens_per_s_per_chip)

    x0 = jnp.asarray([jnp.log(3.35e12), jnp.log(1.98e15), jnp.log(96.0)])
    check_grads(f, (x0,), order=1, modes=("rev", "fwd"), eps=1e-2, atol=2e-2, rtol=2e-2)


def test_every_chip_model_and_precision_evaluates_with_a_layout_that_fits():
    # every chip x model x precision: some valid layout on a power-of-two number of chips fits
    # in memory, and every figure is finite and positive
    bad = []
    for c in catalog.chip_ids():
        chip = catalog.chip(c)
        for m in catalog.model_ids():
            model = catalog.model(m)
            for precision in PRECISIONS:
                eff = calibration.efficiency(c)
                # batch 16, or 1 where 16 sequences' KV cache cannot be spread far enough (MHA
                # models with 40 heads on 230 MB Groq chips)
                best = deployment.fewest_chips(chip, model, workload(precision, batch=16), eff) or \
                    deployment.fewest_chips(chip, model, workload(precision, batch=1), eff)
                if best is None:
                    bad.append((c, m, precision, "no layout fits"))
                    continue
                p = best[3]
                for name in ("ttft", "tpot", "tokens_per_s_per_chip", "joules_per_token", "usd_per_million_tokens"):
                    v = float(getattr(p, name))
                    if not (np.isfinite(v) and v > 0):
                        bad.append((c, m, precision, name, v))
    assert not bad, bad[:10]


_chip_ids = catalog.chip_ids()
_model_ids = catalog.model_ids()


@jax.jit
def _values_and_grads(chip, model, w):
    def f(c, w):
        p = serving.performance(c, model, w)
        return jnp.log(p.tokens_per_s_per_chip) + jnp.log(p.usd_per_million_tokens + 1e-9) + jnp.log(p.ttft)

    v, g = jax.value_and_grad(f, argnums=(0, 1))(chip, w)
    return v, g


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(_chip_ids), st.sampled_from(_model_ids), st.sampled_from(["bf16", "fp8", "fp4", "int8", "int4"]),
    st.floats(1, 4096), st.floats(1, 131072), st.floats(1, 32768), st.sampled_from([1, 2, 4, 8, 64, 576]),
    st.floats(0.25, 4.0),
)
def test_valid_inputs_never_give_nan_or_inf(chip_id, model_id, prec, batch, t_in, t_out, chips, scale):
    chip = catalog.chip(chip_id)._replace(memory_bandwidth=catalog.chip(chip_id).memory_bandwidth * scale)
    w = workload(prec, batch=batch, input_tokens=t_in, output_tokens=t_out, chips=chips)
    v, g = _values_and_grads(chip, catalog.model(model_id), w)
    assert np.isfinite(float(v))
    for leaf in jax.tree.leaves(g):
        assert np.isfinite(float(leaf))


def test_cycle_bound_follows_the_workload(h100):
    # one chip, no collectives: short prompts at batch 1 stream weights (memory); long prompts
    # at a large batch make the cycle compute bound even though each decode step is memory bound
    m = catalog.model("llama-3-8b")
    decode = serving.performance(h100, m, workload("fp8", batch=1, input_tokens=16, output_tokens=1024))
    prefill = serving.performance(h100, m, workload("fp8", batch=64, input_tokens=8192, output_tokens=16))
    assert serving.RESOURCES[int(decode.cycle_bound)] == "memory"
    assert serving.RESOURCES[int(prefill.cycle_bound)] == "compute"
    assert serving.RESOURCES[int(prefill.bound)] == "memory"


def test_data_parallel_groups_wait_for_the_busiest_one():
    # DeepSeek-R1 on 8 B200 with data-parallel attention (dp 8, ep 8): dp_imbalance scales what a
    # group does with its own sequences -- attention math, dense matmuls, KV traffic -- and leaves
    # the weights it streams and the routed experts alone; a layout without dp > 1 is untouched
    b200, r1 = catalog.chip("nvidia_b200_hgx"), catalog.model("deepseek-r1")
    w = workload("fp4", batch=2048.0, chips=8.0, input_tokens=800.0, output_tokens=3886.0)
    dp, tp = deployment.Deployment(1.0, 1.0, 8.0, 8.0), deployment.Deployment(8.0, 1.0, 8.0, 1.0)
    eff = Efficiency(temperature=0.5)
    ctx = serving.decode_context(w)
    for d in (dp, tp):
        base = serving.decode_stage_times(b200, r1, w, d, eff, w.batch, ctx)
        skew = serving.decode_stage_times(b200, r1, w, d, eff._replace(dp_imbalance=1.5), w.batch, ctx)
        if d is tp:
            for x, y in zip(skew, base):
                np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6)
            continue
        weights = float(serving.stage_weight_bytes_read(r1, w, d, w.batch)) / float(b200.memory_bandwidth)
        assert float(base[1][0]) == pytest.approx(weights, rel=1e-5)  # the matmul class streams the weights
        kv = float(base[1][1])
        assert kv > 0.2 * float(base[1].sum())  # the KV cache is a real share of the traffic here
        assert float(skew[1][0]) == pytest.approx(weights, rel=1e-5) and float(skew[1][1]) == pytest.approx(1.5 * kv, rel=1e-5)
        assert float(base[0].sum()) < float(skew[0].sum()) < 1.5 * float(base[0].sum())  # experts are not scaled
        assert float(skew[2]) == float(base[2]) and float(skew[3]) == float(base[3])
    perf = [float(serving.performance(b200, r1, w, eff._replace(dp_imbalance=k), dp).tokens_per_s_per_chip)
            for k in (1.0, 1.4, 1.85)]
    assert perf[0] > perf[1] > perf[2] > perf[0] / 1.85


def test_the_kv_cache_is_sized_by_the_held_context():
    # Paged runtimes (TensorRT-LLM's max_util scheduler, vLLM) admit sequences against the KV pages
    # in use, so a sequence holds its current context, on average T_in + (T_out / 2)(1 + cv^2): the
    # same mean context a decode step reads. NVIDIA's MLPerf v4.1 Llama-2-70B config (closed/NVIDIA/
    # configs/llama2-70b/Offline/__init__.py) runs one H200 at gpu_batch_size 806 with
    # kvcache_free_gpu_mem_frac 0.90: FP8 KV at 160 KiB per token holds 806 OpenOrca sequences at
    # their held context (222 + (294 / 2)(1 + 0.787^2) tokens: the dataset profile's mean input and
    # output spread) but not at their final length.
    from workbook.calibration.measurements import DATASET_PROFILES
    from workbook.model import transformer as tf
    orca = DATASET_PROFILES["mlperf-llama2-70b-openorca"]
    t_in, t_out, cv = orca.input_tokens, orca.output_tokens, orca.output_cv
    chip, m = catalog.chip("nvidia_h200_sxm"), catalog.model("llama-2-70b")
    w = workload(batch=806, input_tokens=t_in, output_tokens=t_out, chips=1, precision="fp8", output_cv=cv)
    held = float(sizing.held_context(w))
    assert held == pytest.approx(t_in + t_out / 2 * (1 + cv ** 2)) and float(serving.decode_context(w)) == held
    assert float(sizing.held_context(w._replace(output_cv=1.0))) == pytest.approx(t_in + t_out)
    free = 0.90 * (chip.memory_capacity - float(tf.weight_bytes(m, w.weight_bits)))
    per_token = float(tf.kv_cache_bytes_per_sequence(m, 1.0, w.kv_bits))
    assert per_token == 160 * 1024
    assert 806 * held * per_token <= free < 806 * (t_in + t_out) * per_token
    # the model's own capacity (90 % of all memory, activation workspace reserved) counts the held context
    cap = float(sizing.max_batch(chip, m, w))
    room = sizing.memory_available_per_chip(chip) - float(sizing.weight_bytes_per_chip(m, w, tensor_parallel(1.0))) \
        - float(sizing.activation_workspace_bytes(m))
    assert cap == np.floor(float(room) / (held * per_token))


def test_each_kernel_class_has_its_own_roofline(h100, llama3_70b):
    # Matmuls (math vs the weights they stream) and attention (math vs the KV cache) run one after
    # the other: with a sharp overlap a step takes max(matmul math, weights) + max(attention math,
    # KV), so matmul math cannot hide under attention's KV traffic (one aggregated roofline would
    # give max(all math, all traffic), less than that).
    m = llama3_70b._replace(n_layers=40.0)  # fits on one chip
    w = workload("fp8", batch=2048, chips=1, input_tokens=1024)
    t_math, t_mem, _, t_over = serving.decode_stage_times(h100, m, w, tensor_parallel(1.0), SHARP, w.batch, 1024.0)
    assert t_math.shape == t_mem.shape == (len(serving.KERNEL_CLASSES),)
    per_class = float(jnp.maximum(t_math, t_mem).sum())
    aggregated = max(float(t_math.sum()), float(t_mem.sum()))
    assert per_class > 1.2 * aggregated  # here the matmuls are compute-bound and attention memory-bound
    assert float(t_math[0]) > float(t_mem[0]) and float(t_mem[1]) > float(t_math[1])
    step = float(serving.decode_step_time(h100, m, w, SHARP, 1024.0))
    assert step == pytest.approx(per_class + float(t_over), rel=1e-3)
