"""Elasticities, regimes, uncertainty and inverse design (workbook.sensitivity)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from workbook import catalog

from workbook.model import serving
from workbook import analysis as S
from workbook.errors import InputError
from workbook.specs import Efficiency, as_arrays, workload

H100 = catalog.chip("nvidia_h100_sxm")
L70 = catalog.model("llama-3-70b")
L8 = catalog.model("llama-3-8b")
SHARP = Efficiency(temperature=1e-3)


def tps(chip, m, w, eff):
    return serving.performance(chip, m, w, eff).tokens_per_s_per_chip


def test_elasticities_returns_records_of_the_input_types():
    w = workload("fp8", batch=8)
    chip_e, w_e = S.elasticities(lambda c, ww: c.price * ww.batch**2, H100, w)
    assert type(chip_e).__name__ == "Chip" and type(w_e).__name__ == "Workload"
    assert float(chip_e.price) == pytest.approx(1.0) and float(w_e.batch) == pytest.approx(2.0)
    assert float(chip_e.memory_bandwidth) == 0.0


def test_elasticities_match_central_finite_differences():
    # away from kinks: default temperature, mid batch, 4 chips
    w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=4)
    eff = Efficiency()
    chip_e, w_e, _ = S.serving_elasticities(H100, L70, w, eff)
    h = 1e-2  # relative step; float32 needs a wide one
    k = S.METRICS.index("tokens_per_s_per_chip")
    cases = [("chip", f) for f in ("memory_bandwidth", "peak_flops_fp8", "interconnect_bandwidth", "price")]
    cases += [("workload", f) for f in ("batch", "input_tokens", "output_tokens")]
    for rec_name, field in cases:
        rec = H100 if rec_name == "chip" else w
        x = getattr(rec, field)
        ends = []
        for sign in (1, -1):
            r = rec._replace(**{field: x * (1 + sign * h)})
            args = (r, L70, w) if rec_name == "chip" else (H100, L70, r)
            ends.append(np.log(float(S.performance(*args, eff).tokens_per_s_per_chip)))
        fd = (ends[0] - ends[1]) / (np.log1p(h) - np.log1p(-h))
        el = chip_e if rec_name == "chip" else w_e
        assert float(getattr(el, field)[k]) == pytest.approx(fd, abs=2e-2), (rec_name, field)


def test_sharp_limit_decode_is_bandwidth_bound():
    w = workload("fp8", batch=1, input_tokens=128, output_tokens=4096, chips=1)
    chip_e, _, _ = S.serving_elasticities(H100, L70, w, SHARP)
    k = S.METRICS.index("tokens_per_s_per_chip")
    assert abs(float(chip_e.memory_bandwidth[k]) - 1.0) < 0.1
    assert abs(float(sum(getattr(chip_e, f)[k] for f in S.PEAK_FIELDS))) < 0.05


def test_sharp_limit_prefill_is_compute_bound():
    w = workload("fp8", batch=256, input_tokens=8192, output_tokens=16, chips=1)
    chip_e, _, _ = S.serving_elasticities(H100, L8, w, SHARP)
    k = S.METRICS.index("tokens_per_s_per_chip")
    assert abs(float(sum(getattr(chip_e, f)[k] for f in S.PEAK_FIELDS)) - 1.0) < 0.1
    assert abs(float(chip_e.memory_bandwidth[k])) < 0.05


def test_price_elasticity_of_cost_is_one():
    w = workload("fp8", batch=32, chips=4)
    rows = S.elasticity_table(H100, L70, w)
    price = [r for r in rows if r["field"] == "price" and r["metric"] == "usd_per_million_tokens"]
    assert price[0]["elasticity"] == pytest.approx(1.0, abs=1e-4)
    assert len(rows) == 4 * (len(H100) + len(w))


def test_regime_map_shapes_and_values():
    b, t = [1.0, 16.0, 1024.0], [128.0, 4096.0]
    r = S.regime_map(H100, L8, workload("fp8"), SHARP, b, t)
    for k in ("bound", "e_bandwidth", "e_compute", "ratio", "fits", "tokens_per_s_per_chip"):
        assert r[k].shape == (3, 2)
    assert r["bound"][0, 0] == serving.RESOURCES.index("memory")
    assert r["bound"][2, 0] == serving.RESOURCES.index("compute")
    assert r["ratio"][0, 0] > 10 and r["ratio"][2, 0] < 1
    # more batch, more throughput (where it fits)
    assert np.all(np.diff(r["tokens_per_s_per_chip"][:, 0]) > 0)
    g = S.grid_elasticities(H100, L8, workload("fp8"), SHARP, b, t)
    assert g[0].memory_bandwidth.shape == (3, 2, len(S.METRICS))


def test_critical_batch_scaling_book():
    # jax-ml scaling book: TPU v5e bf16 1.97e14 / 8.2e11 ~ 240; H100 ~ 295
    v5e = catalog.chip("google_tpu_v5e")._replace(peak_flops_bf16=1.97e14, memory_bandwidth=8.2e11)
    assert S.critical_batch(v5e, "bf16") == pytest.approx(240, rel=0.01)
    assert S.critical_batch(H100, "bf16") == pytest.approx(295, rel=0.01)
    # int4 weights with bf16 math: the book's 60, times 4.125/4 for AWQ's 16-bit scale per 128 weights
    assert S.critical_batch(v5e, "int4") == pytest.approx(240 / 4 * 4.125 / 4, rel=0.01)
    rows = S.critical_batch_table(["nvidia_h100_sxm"], ("bf16", "fp8"))
    assert [r["precision"] for r in rows] == ["bf16", "fp8"]


def test_monte_carlo_reproducible_and_ordered():
    w = workload("fp8", batch=64, chips=4)
    a = S.monte_carlo("nvidia_h100_sxm", L70, w, jax.random.key(0), n=256)
    b = S.monte_carlo("nvidia_h100_sxm", L70, w, jax.random.key(0), n=256)
    c = S.monte_carlo("nvidia_h100_sxm", L70, w, jax.random.key(1), n=256)
    for m in ("usd_per_million_tokens", "tokens_per_s_per_chip"):
        assert a[m] == b[m]
        assert a[m][5] < a[m][50] < a[m][95]
    assert a["usd_per_million_tokens"] != c["usd_per_million_tokens"]
    lo, _, hi = S.chip_ranges("nvidia_h100_sxm")
    # the price range alone bounds the cost spread
    assert a["usd_per_million_tokens"][95] / a["usd_per_million_tokens"][5] < 3 * hi.price / lo.price
    with pytest.raises(InputError, match="n:"):
        S.monte_carlo("nvidia_h100_sxm", L70, w, jax.random.key(0), n=1)


def test_tornado_sorted_and_central():
    w = workload("fp8", batch=64, chips=4)
    rows = S.tornado("nvidia_h100_sxm", L70, w)
    swings = [r["swing"] for r in rows]
    assert swings == sorted(swings, reverse=True)
    price = next(r for r in rows if r["input"] == "price")
    assert price["output_low"] < price["central"] < price["output_high"]
    assert price["output_high"] / price["output_low"] == pytest.approx(price["high"] / price["low"], rel=1e-4)


def test_inverse_design_round_trip():
    w = workload("fp8", batch=64, chips=4)
    target_chip = H100._replace(memory_bandwidth=1.5 * H100.memory_bandwidth)
    r = S.match_value("memory_bandwidth", H100, target_chip, L70, w)
    assert r["value"] == pytest.approx(target_chip.memory_bandwidth, rel=1e-3)
    assert r["ratio"] == pytest.approx(1.5, rel=1e-3)


def test_inverse_design_is_differentiable():
    w = as_arrays(workload("fp8", batch=64, chips=4))
    args = [as_arrays(x) for x in (H100, L70)] + [w, as_arrays(Efficiency())]

    def solve(target):
        return S.solve_field_value("price", args[0], args[1], args[2], args[3], target, jnp.log(1e-2), jnp.log(1e2))

    # cost is proportional to price, so price* = target * price / cost and d price*/d target = price / cost
    cost = float(S.performance(*args).usd_per_million_tokens)
    value, slope = jax.jit(jax.value_and_grad(solve))(cost)
    assert float(value) == pytest.approx(H100.price, rel=1e-3)
    assert float(slope) == pytest.approx(H100.price / cost, rel=1e-2)


def test_inverse_design_unreachable_raises():
    # long prompts at large batch: compute binds, so no bandwidth closes a 4x compute gap
    w = workload("fp8", batch=256, input_tokens=8192, output_tokens=16, chips=1)
    faster = H100._replace(peak_flops_fp8=4 * H100.peak_flops_fp8)
    with pytest.raises(InputError, match="no memory bandwidth between .* compute binds"):
        S.match_value("memory_bandwidth", H100, faster, L8, w, SHARP)
    with pytest.raises(InputError, match="field"):
        S.match_value("nonsense", H100, faster, L8, w)
