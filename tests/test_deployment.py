"""Parallelism as data: layouts, memory per chip, pipeline bubbles, expert parallelism,
communication overlap, number formats, the power cap and context weighting."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbook import catalog
from workbook.analysis.sweep import chunked_map
from workbook.model import deployment, serving, sizing
from workbook.model import transformer as tf
from workbook.specs import Deployment, Efficiency, stack, tensor_parallel, workload

H100, B200 = catalog.chip("nvidia_h100_sxm"), catalog.chip("nvidia_b200_hgx")
LLAMA70, DSV3 = catalog.model("llama-3-70b"), catalog.model("deepseek-v3")


def test_candidate_layouts_are_valid():
    for m in (LLAMA70, DSV3, catalog.model("llama-2-13b")):
        for g in (1, 2, 8, 64, 512):
            for name, d in deployment.candidate_deployments(H100, m, g, 64):
                assert name in deployment.LAYOUTS
                assert d.tp * d.pp * d.dp == g
                assert m.n_heads % d.tp == 0 and d.pp <= m.n_layers and d.dp <= 64
                assert d.ep == 1 or (m.n_experts % d.ep == 0 and d.ep == d.tp * d.dp)


def test_expert_parallelism_lowers_expert_weights_per_chip():
    w = workload("fp8", batch=64)
    dense_tp = Deployment(tp=1.0, pp=1.0, ep=1.0, dp=8.0)  # experts replicated in every group
    ep = Deployment(tp=1.0, pp=1.0, ep=8.0, dp=8.0)
    assert float(sizing.weight_bytes_per_chip(DSV3, w, ep)) < float(sizing.weight_bytes_per_chip(DSV3, w, dense_tp)) / 4


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([1, 2, 4, 8]), st.sampled_from([1, 2, 4]), st.sampled_from([1, 2, 4]), st.booleans(),
       st.sampled_from(["llama-3-70b", "deepseek-v3", "mixtral-8x7b", "gpt-oss-120b"]))
def test_memory_per_chip_never_below_weights_over_all_degrees(tp, pp, dp, use_ep, model_id):
    m = catalog.model(model_id)
    ep = float(tp * dp) if use_ep and m.n_experts and m.n_experts % (tp * dp) == 0 else 1.0
    d = Deployment(float(tp), float(pp), ep, float(dp))
    w = workload("fp8", batch=max(dp, 4))
    need = float(sizing.memory_required_per_chip(m, w, d))
    assert need >= float(tf.weight_bytes(m, w.weight_bits)) / (tp * pp * ep) * (1 - 1e-6)
    assert need >= float(tf.weight_bytes(m, w.weight_bits)) / (tp * pp * dp) * (1 - 1e-6)


def test_kv_heads_replicate_beyond_k_way_tensor_parallelism_and_mla_latent_everywhere():
    w = workload("bf16", batch=8, input_tokens=4096)
    per_seq = lambda m, tp: float(sizing.kv_bytes_per_sequence_per_chip(m, w, tensor_parallel(float(tp))))  # noqa: E731
    assert per_seq(LLAMA70, 8) == pytest.approx(per_seq(LLAMA70, 1) / 8, rel=1e-6)  # 8 KV heads
    assert per_seq(LLAMA70, 16) == pytest.approx(per_seq(LLAMA70, 8), rel=1e-6)  # replicated beyond K
    assert per_seq(DSV3, 8) == pytest.approx(per_seq(DSV3, 1), rel=1e-6)  # MLA latent on every chip


def test_sliding_window_layers_hold_at_most_the_window():
    gpt = catalog.model("gpt-oss-120b")  # 18 of 36 layers attend to a 128-token window
    full = gpt._replace(n_sliding_layers=0.0)
    at = lambda m: float(tf.kv_cache_bytes_per_sequence(m, 100_000.0, 8.0))  # noqa: E731
    assert at(gpt) == pytest.approx(at(full) * (18 * 100_000 + 18 * 128) / (36 * 100_000), rel=1e-5)


def test_pipeline_bubble_fills_with_batch():
    # with fewer sequences than stages, stages idle: tokens/s per chip grows ~ with B up to pp
    d = Deployment(tp=1.0, pp=8.0, ep=1.0, dp=1.0)
    tps = [float(serving.performance(H100, LLAMA70, workload("fp8", batch=b, output_tokens=128), Efficiency(), d)
                 .tokens_per_s_per_chip) for b in (1, 2, 8)]
    assert tps[1] > 1.8 * tps[0] and tps[2] > 6.0 * tps[0]
    # one user's time per token crosses every stage: pp stage times
    w = workload("fp8", batch=1)
    stage = serving.stage_time(*serving.decode_stage_times(H100, LLAMA70, w, d, Efficiency(), 1.0, 1024.0), Efficiency())
    assert float(serving.decode_step_time(H100, LLAMA70, w, Efficiency(), 1024.0, d)) == pytest.approx(8 * float(stage), rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.floats(1e-6, 1e-2), st.floats(0.0, 1e-2)), st.tuples(st.floats(1e-6, 1e-2), st.floats(0.0, 1e-2)),
       st.floats(1e-7, 1e-2), st.floats(0.0, 1e-3), st.floats(0.0, 1.0))
def test_overlap_lies_between_the_slowest_term_and_the_sum(t_math, t_mem, t_comm, t_over, phi):
    # math and memory times by kernel class (matmuls, attention): each class between its own
    # max and sum, the classes one after the other
    eff = Efficiency(comm_overlap=phi)
    t = float(serving.stage_time(jnp.asarray(t_math), jnp.asarray(t_mem), t_comm, t_over, eff))
    roof = sum(max(a, b) for a, b in zip(t_math, t_mem))
    lower = max(roof, t_comm)
    assert lower * (1 - 1e-5) <= t <= (sum(t_math) + sum(t_mem) + t_comm + t_over) * (1 + 1e-5)


def test_more_overlap_never_slows_a_stage():
    terms = (jnp.asarray([2e-3, 1e-4]), jnp.asarray([3e-3, 5e-4]), 1e-3, 1e-4)
    times = [float(serving.stage_time(*terms, Efficiency(comm_overlap=phi))) for phi in (0.0, 0.5, 1.0)]
    assert times[0] >= times[1] >= times[2]


def test_number_formats_carry_their_scales_and_16_bit_parts():
    m = LLAMA70
    p16 = float(tf.sixteen_bit_params(m))
    assert p16 == pytest.approx(2 * 128256 * 8192)  # embedding table and LM head
    assert float(tf.weight_bytes(m, 4.5)) == pytest.approx((float(tf.total_params(m)) - p16) * 4.5 / 8 + 2 * p16)


def test_a_format_without_units_runs_at_the_wider_rate_with_dequantisation():
    a100 = catalog.chip("nvidia_a100_80gb_sxm")  # no FP8 units
    fp8, bf16 = workload("fp8", batch=256), workload("bf16", batch=256)
    assert float(serving.emulated(a100, fp8)) == 1.0 and float(serving.emulated(H100, fp8)) == 0.0
    assert float(serving.math_bits(a100, fp8)) == 16.0
    assert float(serving.peak_flops(a100, fp8)) == pytest.approx(a100.peak_flops_bf16, rel=1e-6)
    t = lambda w: serving.prefill_stage_times(a100, LLAMA70._replace(n_layers=20.0), w, tensor_parallel(1.0), Efficiency(), 8.0)[0].sum()  # noqa: E731
    assert float(t(fp8)) > float(t(bf16)) * 0.5  # W8A16: BF16 math plus dequantising the weights
    w4 = workload("fp4", batch=8)
    assert float(serving.emulated(H100, w4)) == 1.0 and float(serving.math_bits(H100, w4)) == 8.0  # W4A8 on Hopper
    assert float(serving.emulated(B200, w4)) == 0.0


def test_power_caps_the_narrowest_formats():
    w4 = workload("fp4")
    sustained, peak = float(serving.sustained_flops(B200, w4)), float(serving.peak_flops(B200, w4))
    assert sustained < peak  # FP4's datasheet peak is not sustained within the power budget
    assert float(serving.sustained_flops(B200, workload("bf16"))) == pytest.approx(B200.peak_flops_bf16)


def test_decode_context_is_weighted_by_decode_steps():
    w = workload("bf16", input_tokens=1000, output_tokens=400, output_cv=1.0)
    # E[T_out^2] / (2 E[T_out]) = (mean^2 + var) / (2 mean) = 400 (1 + 1) / 2
    assert float(serving.decode_context(w)) == pytest.approx(1000 + 400)
    assert float(serving.decode_context(w._replace(output_cv=0.0))) == pytest.approx(1200)


def test_deepseek_on_eight_b200s_uses_expert_parallelism_when_it_is_faster():
    # at a large batch with long prompts, tensor-parallel attention would put every sequence's
    # MLA latent cache on all 8 chips; data-parallel attention with expert parallelism does not
    w = workload("fp8", batch=256, input_tokens=4096, output_tokens=1024, chips=8)
    name, d, p = deployment.best_deployment(B200, DSV3, w)
    alternatives = {n: float(serving.performance(B200, DSV3, w, Efficiency(), dd).tokens_per_s_per_chip)
                    for n, dd in deployment.candidate_deployments(B200, DSV3, 8, 256)}
    assert float(p.tokens_per_s_per_chip) == pytest.approx(max(alternatives.values()), rel=1e-5)
    assert d.ep > 1 and "ep" in name


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(catalog.chip_ids()), st.sampled_from(catalog.model_ids()), st.sampled_from(["bf16", "fp8", "fp4", "int4"]),
       st.sampled_from([1.0, 16.0, 256.0]), st.sampled_from([0.0, 0.5]))
def test_no_nan_or_inf_in_values_or_gradients_over_layouts(chip_id, model_id, precision, batch, phi):
    chip, m = catalog.chip(chip_id), catalog.model(model_id)
    w = workload(precision, batch=batch)
    best = deployment.fewest_chips(chip, m, w) or deployment.fewest_chips(chip, m, w._replace(batch=1.0))
    # some pairs have no layout that fits (DeepSeek-V3 in BF16 on Groq's 230 MB chips needs 6,489
    # chips of memory, and no valid layout of 8,192 to 65,536 chips holds it); the property is about
    # the layouts that exist
    assume(best is not None)
    g, _, d, _ = best
    eff = Efficiency(comm_overlap=phi, kernel_time=1.3e-6, kernels_per_layer=6.0)
    f = lambda c, w: serving.performance(c, m, w, eff, d).tokens_per_s_per_chip  # noqa: E731
    value, grads = jax.value_and_grad(f, argnums=(0, 1))(chip, w._replace(chips=float(g)))
    assert np.isfinite(float(value)) and float(value) > 0
    assert all(np.isfinite(np.asarray(x)).all() for x in jax.tree.leaves(grads))


def test_chunked_sweep_equals_one_vmap():
    chips = stack([catalog.chip(c) for c in catalog.chip_ids()[:5]] * 7)
    f = lambda c: serving.performance(c, LLAMA70, workload("fp8", batch=16, chips=8.0)).tokens_per_s_per_chip  # noqa: E731
    whole = np.asarray(jax.vmap(f)(chips))
    np.testing.assert_allclose(chunked_map(f, chips, chunk=4, workers=2), whole, rtol=1e-6)
