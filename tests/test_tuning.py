"""The tuner of measured rows: a grid batch that does not fit is cut to the replica's capacity."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from workbook import calibration, catalog
from workbook.calibration import fitting, measurements, tuning
from workbook.model import serving, sizing
from workbook.specs import PRECISIONS, Deployment, Efficiency, Workload


def _workload(batch, precision="fp8", input_tokens=512.0, output_tokens=294.45, chips=8.0):
    w, a, kv, integer = PRECISIONS[precision]
    return Workload(batch=batch, input_tokens=input_tokens, output_tokens=output_tokens, chips=chips,
                    weight_bits=w, activation_bits=a, kv_bits=kv, integer_math=integer)


H100, LLAMA70 = catalog.chip("nvidia_h100_sxm"), catalog.model("llama-2-70b")
TP8 = Deployment(8.0, 1.0, 1.0, 1.0)


def test_a_batch_above_capacity_is_cut_to_the_most_that_fit():
    # Llama-2-70B FP8 on 8x H100 (80 GB): ~3,900 sequences of 806 tokens fit, so 8,192 does not
    w = _workload(8192.0)
    cap = float(sizing.max_batch(H100, LLAMA70, w, TP8))
    assert 1000 < cap < 8192
    cut = tuning.capacity_batch(H100, LLAMA70, w, TP8, False)
    assert float(cut.batch) == cap
    assert float(serving.performance(H100, LLAMA70, cut, Efficiency(), TP8).fits) == 1.0
    assert float(serving.performance(H100, LLAMA70, w, Efficiency(), TP8).fits) == 0.0
    # a batch that fits, a batch the row gives, and a layout whose weights do not fit are left alone
    assert float(tuning.capacity_batch(H100, LLAMA70, _workload(64.0), TP8, False).batch) == 64.0
    assert float(tuning.capacity_batch(H100, LLAMA70, w, TP8, True).batch) == 8192.0
    one = Deployment(1.0, 1.0, 1.0, 1.0)
    w1 = _workload(8.0, precision="bf16", chips=1.0)  # 138 GB of weights on one 80 GB chip
    assert float(sizing.max_batch(H100, LLAMA70, w1, one)) < 1
    assert float(tuning.capacity_batch(H100, LLAMA70, w1, one, False).batch) == 8.0


@pytest.fixture(scope="module")
def capacity_bound_row():
    rows = measurements.scenarios(measurements.read_rows())[0]
    return next(r for r in rows if r.model_id == "llama-2-70b" and r.chip_id == "nvidia_h100_sxm"
                and r.scenario == "offline" and r.batch is None and r.accelerators == 8)


def test_the_tuner_fills_memory_where_throughput_grows_with_batch(capacity_bound_row):
    # the best point of a capacity-bound row uses the largest batch that fits its layout, which
    # is no power of two, and beats every power-of-two batch that fits (the grid alone)
    r = capacity_bound_row
    inputs = tuning.stacked_inputs([r])
    chips, models, work, dep, allowed, limits, given = inputs
    effs = fitting.row_efficiencies([r], calibration.calibration())
    best, idx = tuning.best_throughput_jit(*inputs, effs)
    j = int(idx[0])
    eff = Efficiency(*(x[0] for x in effs))
    d = Deployment(*(x[0, j] for x in dep))
    w = Workload(*(x[0, j] for x in work))
    chip, model = catalog.chip(r.chip_id), catalog.model(r.model_id)
    chosen = float(tuning.capacity_batch(chip, model, w, d, False).batch)
    assert chosen == float(sizing.max_batch(chip, model, w, d))
    assert np.log2(chosen) % 1 != 0
    perf = tuning._perf_grid(chips, models, work, effs, dep)
    ok = np.asarray(allowed & (perf.fits > 0.5))
    grid_best = float(np.max(np.where(ok, np.asarray(perf.tokens_per_s_per_chip), -1.0)))
    assert float(best[0]) > grid_best > 0
    again = serving.performance(chip, model, w._replace(batch=jnp.float32(chosen)), eff, d)
    np.testing.assert_allclose(float(best[0]), float(again.tokens_per_s_per_chip), rtol=1e-5)


def test_a_documented_layout_is_the_only_one_searched():
    # TensorRT-LLM's Llama-3.1-405B row on 8x H100 documents TP8: the tuner may pick any batch,
    # but only tensor parallelism over all 8 chips (before, it chose pipeline parallelism, which
    # the table did not measure); a row without a documented degree keeps every layout
    rows = measurements.scenarios(measurements.read_rows())[0]
    r = next(r for r in rows if r.model_id == "llama-3.1-405b" and r.chip_id == "nvidia_h100_sxm" and r.tp == 8.0)
    _, dep, allowed = tuning.grid(r)
    used = {tuple(x) for x in dep[allowed]}
    assert used and all(d[0] == 8.0 and d[1] == 1.0 for d in used)
    _, dep_free, allowed_free = tuning.grid(dataclasses.replace(r, tp=None))
    assert any(d[1] > 1.0 for d in dep_free[allowed_free])
    # a degree the layout rules cannot build (40 heads over 12 chips) leaves the row tuned
    pts = [(1.0, Deployment(4.0, 1.0, 1.0, 1.0)), (1.0, Deployment(2.0, 2.0, 1.0, 1.0))]
    assert tuning.documented_layouts(dataclasses.replace(r, tp=12.0), pts) == pts
    assert tuning.documented_layouts(dataclasses.replace(r, tp=4.0), pts) == pts[:1]
    # a documented pipeline degree is searched too, even a split the layout rules do not build
    # (Nebius's v5.1 Llama-3.1-405B offline on 8 H200s: tensor_parallelism 4, pipeline_parallelism 2)
    assert tuning.documented_layouts(dataclasses.replace(r, tp=2.0, pp=2.0), pts) == pts[1:]
    _, dep, allowed = tuning.grid(dataclasses.replace(r, tp=4.0, pp=2.0))
    assert {tuple(x) for x in dep[allowed]} == {(4.0, 2.0, 1.0, 1.0)}


@pytest.mark.parametrize("n_head,n_kv,tp,kv", [
    (64, 8, 24, 24), (64, 8, 32, 32), (32, 8, 24, 24), (32, 8, 8, 8),  # partial replication: one per core
    (72, 24, 32, 32),  # transformers-neuronx's own example: 96 padded Q heads, 3 per core = one group -> 1 KV per core
    (40, 40, 24, 40),  # multi-head: left to the query padding
    (56, 8, 20, 60),  # 20 cores are no multiple of 8: fully replicated to the query heads, padded with them to 60
])
def test_neuron_kv_replication_follows_transformers_neuronx(n_head, n_kv, tp, kv):
    assert tuning.neuron_kv_heads(n_head, n_kv, tp) == kv


def test_a_documented_degree_that_does_not_divide_the_heads_pads_them():
    # AWS Neuron's Llama-2-13B (40 heads, multi-head) at TP24 NeuronCores on 12 Inferentia2 chips:
    # heads padded to 48 (transformers-neuronx get_qkv_padding), KV heads with them; the padded
    # model is what the layout rules and the physics see, so TP12 is searched
    rows = measurements.scenarios(measurements.read_rows())[0]
    r = next(r for r in rows if r.model_id == "llama-2-13b" and r.chip_id == "aws_inferentia2")
    assert (r.tp, r.tp_units) == (12.0, 24.0)
    m0, m = catalog.model("llama-2-13b"), tuning.row_model(r)
    assert (m0.n_heads, m.n_heads, m.n_kv_heads) == (40.0, 48.0, 48.0)
    _, dep, allowed = tuning.grid(r)
    assert {tuple(x) for x in dep[allowed]} and all(x[0] == 12.0 for x in dep[allowed])
    # grouped-query KV heads that the NeuronCores do not divide are replicated, one per core
    # (transformers-neuronx GQA.REPLICATED_HEADS, utils.get_qkv_padding): Mistral-7B's 8 over 24
    # cores -> 24, Llama-2-70B's 8 over 32 Trainium cores -> 32 (its 64 query heads need no padding)
    g = next(r for r in rows if r.model_id == "mistral-7b" and r.chip_id == "aws_inferentia2")
    assert (tuning.row_model(g).n_heads, tuning.row_model(g).n_kv_heads) == (48.0, 24.0)
    big = next(r for r in rows if r.model_id == "llama-2-70b" and r.chip_id == "aws_trainium1")
    assert big.tp_units == 32.0 and (tuning.row_model(big).n_heads, tuning.row_model(big).n_kv_heads) == (64.0, 32.0)
    # GPU rows (degree in chips) keep their KV heads: a GPU holds one copy of a KV head, which the
    # sizing already counts; a degree that divides the heads changes nothing
    q = next(r for r in rows if r.model_id == "qwen3-235b-a22b" and r.tp == 8.0)
    assert catalog.model("qwen3-235b-a22b").n_kv_heads < 8 and tuning.row_model(q) == catalog.model("qwen3-235b-a22b")
    t = next(r for r in rows if r.model_id == "llama-3.1-405b" and r.tp == 8.0)
    assert tuning.row_model(t) == catalog.model("llama-3.1-405b")
    assert tuning.row_model(dataclasses.replace(r, tp=None, tp_units=None)) == m0


def test_a_documented_token_budget_is_the_queues_chunk_and_sizes_the_workspace():
    # Intel's Llama-3.1-8B server row documents max_num_batched_tokens 576: its goodput is that of
    # 576-token chunks (not the default 2,048) and its memory is sized for a 576-token iteration
    rows = measurements.scenarios(measurements.read_rows())[0]
    r = next(r for r in rows if r.chip_id == "intel_arc_pro_b60" and r.model_id == "llama-3.1-8b"
             and r.scenario == "server")
    assert r.batched_tokens == 576.0
    inputs = tuning.stacked_inputs([r])
    chips, models, work, dep, allowed, limits, given = inputs
    assert float(limits[2][0]) == 576.0 and float(work.batched_tokens[0, 0]) == 576.0
    default = tuning.stacked_inputs([dataclasses.replace(r, batched_tokens=None)])
    assert float(default[5][2][0]) == 2048.0 and float(default[2].batched_tokens[0, 0]) == 8192.0
    effs = fitting.row_efficiencies([r], calibration.calibration())
    best, idx = tuning.best_goodput_jit(*inputs, effs)
    j = int(idx[0])
    eff = Efficiency(*(x[0] for x in effs))
    d = Deployment(*(x[0, j] for x in dep))
    w = tuning.capacity_batch(catalog.chip(r.chip_id), catalog.model(r.model_id), Workload(*(x[0, j] for x in work)),
                              d, False)
    from workbook.model import latency
    again = latency.server_throughput_under_constraint(catalog.chip(r.chip_id), catalog.model(r.model_id), w, eff, d,
                                                       r.ttft_limit, r.tpot_limit, chunk_tokens=576.0)
    np.testing.assert_allclose(float(best[0]), float(again), rtol=1e-4)
    other = latency.server_throughput_under_constraint(catalog.chip(r.chip_id), catalog.model(r.model_id), w, eff, d,
                                                       r.ttft_limit, r.tpot_limit)
    assert abs(float(other) / float(again) - 1.0) > 0.01  # the chunk matters here
