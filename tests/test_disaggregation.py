"""Disaggregated serving (workbook/analysis/disaggregation.py): bounds against co-located serving,
the KV transfer, gradients with respect to both chips, the regime map and bad input."""

import jax
import numpy as np
import pytest

from workbook import catalog
from workbook.analysis import disaggregation as D
from workbook.analysis.elasticity import PEAK_FIELDS
from workbook.errors import InputError
from workbook.model import serving
from workbook.model import transformer as tf
from workbook.specs import Deployment, Efficiency, workload

H100 = catalog.chip("nvidia_h100_sxm")
H200 = catalog.chip("nvidia_h200_sxm")
L8 = catalog.model("llama-3.1-8b")
L70 = catalog.model("llama-3-70b")
# A frozen set of efficiencies (the H100 calibration of 2026-11-30, with the default overlap temperature
# 0.1): refits of calibration.json must not move these tests of the queueing and serving logic.
EFF = Efficiency(compute_prefill=0.84, compute_decode=0.82, memory=0.77, interconnect=0.52, collective_latency=1.2,
                 moe=0.52, step_overhead=1.5e-4, temperature=0.1, kernel_time=1e-6, kernels_per_layer=6.0)
ONE = Deployment(1.0, 1.0, 1.0, 1.0)
dis_jit = jax.jit(D.disaggregated)
perf_jit = jax.jit(serving.performance)


@pytest.mark.parametrize("t_in,t_out,batch", [(1024, 256, 64), (2048, 128, 32), (16, 1024, 64), (8192, 64, 16)])
def test_same_chip_free_transfer_is_within_1x_and_2x_of_colocated(t_in, t_out, batch):
    # X = Y, prefill batch = decode batch, same layout, a free and instant transfer: co-location
    # overlaps prefill compute with decode memory traffic in one smooth roofline, splitting cannot, so
    # ||a|| + ||b|| >= ||a + b|| >= (||a|| + ||b||) / 2 bounds the cost ratio to [1, 2].
    fast = H100._replace(scale_out_bandwidth=1e18)
    w = workload("fp8", batch=batch, input_tokens=t_in, output_tokens=t_out)
    dis = dis_jit(fast, fast, L8, w, EFF, EFF, ONE, ONE, float(batch), 0.0)
    colo = perf_jit(fast, L8, w, EFF, ONE)
    ratio = float(dis.usd_per_million_tokens / colo.usd_per_million_tokens)
    assert 1.0 - 1e-4 <= ratio <= 2.0
    assert float(dis.tpot) <= float(colo.tpot)  # no prefill interference in the decode pool
    assert float(dis.transfer_time) < 1e-6
    if t_in <= 16:  # decode dominates: splitting costs almost nothing
        assert ratio < 1.05


def test_transfer_time_and_network_cap():
    w = workload("fp8", batch=64, input_tokens=4096, output_tokens=256)
    nbytes = float(tf.kv_cache_bytes_per_sequence(L70, 4096.0, 8.0))
    two = Deployment(2.0, 1.0, 1.0, 1.0)
    t = float(D.transfer_time(H100, H200, L70, w, two, ONE, 1e-3))
    bw = min(2 * H100.scale_out_bandwidth, H200.scale_out_bandwidth) * D.KV_TRANSFER_EFFICIENCY
    assert t == pytest.approx(nbytes / bw + 1e-3, rel=1e-5)
    slow = H200._replace(scale_out_bandwidth=1e8)  # 0.8 Gb/s: the decode pool waits on its network card
    capped = dis_jit(H100, slow, L70, w, EFF, EFF, two, ONE, 2.0, 1e-3)
    free = dis_jit(H100, H200, L70, w, EFF, EFF, two, ONE, 2.0, 1e-3)
    assert float(capped.decode_rate) == pytest.approx(1e8 * D.KV_TRANSFER_EFFICIENCY / nbytes, rel=1e-5)
    assert float(capped.usd_per_million_tokens) > 2 * float(free.usd_per_million_tokens)
    assert float(capped.ttft) > float(free.ttft)


def test_gradients_for_both_chips():
    w = workload("fp8", batch=64, input_tokens=2048, output_tokens=256)
    g = D.gradients(H100, H200, L70, w, EFF, EFF)
    for side in ("prefill", "decode"):
        assert all(np.isfinite(v) for v in g[side])
    # cost is linear in the two prices: their elasticities add up to 1 (Euler)
    assert g["prefill"].price + g["decode"].price == pytest.approx(1.0, abs=1e-4)
    assert g["decode"].memory_bandwidth < -0.05  # decode streams memory
    assert sum(getattr(g["prefill"], f) for f in PEAK_FIELDS) < -0.05  # prefill does math
    assert g["decode"].memory_bandwidth < g["prefill"].memory_bandwidth


def test_compare_rows():
    w = workload("fp8", batch=64, input_tokens=2048, output_tokens=256)
    rows = D.compare(H100, H200, L70, w, EFF, EFF, names=("H100", "H200"))
    kinds = [r["serving"] for r in rows]
    assert kinds[0] == "disaggregated" and kinds.count("co-located") == 2
    dis = rows[0]
    assert dis["prefill_chips_per_decode_chip"] > 0 and dis["transfer_s"] > D.KV_TRANSFER_LATENCY
    for r in rows:
        assert all(np.isfinite(r[k]) and r[k] > 0 for k in ("usd_per_million_tokens", "joules_per_token", "tokens_per_s_per_chip", "ttft_s", "tpot_s"))
    for r in rows:
        if r["serving"] == "co-located, same TPOT":
            assert r["tpot_s"] <= dis["tpot_s"] * (1 + 1e-5)


def test_regime_map_splitting_wins_with_a_specialised_decode_chip():
    # at the same price and TPOT, with the frozen efficiencies: a decode chip with less bandwidth than the
    # prefill chip never pays; one with more bandwidth and less compute does, the more so the less compute
    # it has (the co-located alternative on that chip then suffers from its slow prefill)
    w = workload("fp8", batch=64, input_tokens=2048, output_tokens=256)
    rm = D.regime_map(H100, L70, w, EFF, [0.5, 2.0], [0.25, 0.5, 1.0])
    r = rm["ratio"]
    assert r.shape == (2, 3) and np.isfinite(r).all() and (r > 0).all()
    assert (r[0] > 1.0).all()
    assert r[1, 0] < r[1, 1] < r[1, 2]
    assert r[1, 0] < 1.0 and r[1, 1] < 1.0


@pytest.mark.parametrize("kw,message", [
    (dict(w=workload("fp8", batch=1)._replace(batch=0.0)), "batch: 0 is out of range"),
    (dict(latency=-1.0), "latency: -1 is out of range; allowed [0, 10] s"),
    (dict(prefill_batch=0.5), "prefill_batch: 0.5 is out of range"),
])
def test_bad_input(kw, message):
    args = dict(w=workload("fp8", batch=8))
    args.update(kw)
    w = args.pop("w")
    with pytest.raises(InputError) as exc:
        D.compare(H100, H200, L8, w, EFF, EFF, **args)
    assert message in str(exc.value)
    with pytest.raises(InputError, match=r"bandwidth_scales: 0 \(element 0\) is out of range"):
        D.regime_map(H100, L8, workload("fp8", batch=8), EFF, [0.0, 1.0], [1.0])
