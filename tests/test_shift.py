"""Tests of workbook.shift: chip specs -> training vs inference dollars.

Oracles: Sardana et al. (2024) example (l = 1.947, T = 2e12 -> N = 2.418e10, D = 2.657e12),
reached by the dollar-optimal solver when a training and an inference FLOP cost the same.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook import catalog

from workbook.econ import shift

from workbook.model import transformer
from workbook.econ.inference_share import DemandScenario, crossover_time, training_cost_usd
from workbook.econ.scaling_laws import SARDANA_2024, chinchilla_style_optimum, inference_aware_optimum
from workbook.specs import Efficiency, workload

H100 = catalog.chip("nvidia_h100_sxm")
V6E = catalog.chip("google_tpu_v6e")
FLOP_OPTIMUM = jax.jit(shift.flop_priced_optimal_model)
LIFETIME_DOLLARS = jax.jit(shift.lifetime_dollars)
SCENARIO = DemandScenario(tokens_per_year0=2e13, demand_growth=2.0, price_decline=0.5, horizon_years=50.0)


@pytest.mark.parametrize("n", [5e8, 7e9, 7.06e10, 1e12])
def test_dense_model_has_requested_params(n):
    m = shift.dense_model(n)
    assert float(transformer.total_params(m)) == pytest.approx(n, rel=1e-4)
    ref = catalog.model(shift.REFERENCE_MODEL_ID)
    # aspect ratios of the reference are kept
    assert float(m.d_ff / m.d_model) == pytest.approx(ref.d_ff / ref.d_model, rel=1e-5)
    assert float(m.n_heads / m.n_kv_heads) == pytest.approx(ref.n_heads / ref.n_kv_heads, rel=1e-5)


def test_inference_cost_catalog_model_and_params_agree():
    m = catalog.model(shift.REFERENCE_MODEL_ID)
    n = float(transformer.total_params(m))
    a = float(shift.inference_usd_per_million_tokens(H100, m))
    b = float(shift.inference_usd_per_million_tokens(H100, n))
    assert a == pytest.approx(b, rel=1e-3)


def test_inference_cost_increases_with_model_size():
    costs = [float(shift.inference_usd_per_million_tokens(H100, n)) for n in (1e9, 1e10, 1e11, 1e12)]
    assert all(b > a for a, b in zip(costs, costs[1:]))


def test_training_cost_matches_inference_share_formula():
    got = float(shift.training_cost_on_chip(7e10, 1.5e12, H100, 0.4))
    want = float(training_cost_usd(7e10, 1.5e12, H100.peak_flops_bf16, 0.4, H100.price))
    assert got == pytest.approx(want, rel=1e-5)
    # 6 N D / (peak MFU) / 3600 * price, by hand
    assert got == pytest.approx(6 * 7e10 * 1.5e12 / (H100.peak_flops_bf16 * 0.4) / 3600 * H100.price, rel=1e-5)


def test_training_cost_gradient_does_not_underflow():
    g = jax.grad(lambda m: shift.training_cost_on_chip(7e10, 1.5e12, H100, m))(0.4)
    k = float(shift.training_cost_on_chip(7e10, 1.5e12, H100, 0.4))
    assert float(g) == pytest.approx(-k / 0.4, rel=1e-4)


# --- the dollar optimum reduces to Sardana's FLOP optimum ------------------------------------


@pytest.mark.parametrize("target_loss, tokens", [(1.947, 2e12), (2.04528, 2e12), (1.95825, 1e13)])
def test_equal_flop_prices_give_sardana(target_loss, tokens):
    n, d = FLOP_OPTIMUM(SARDANA_2024, target_loss, tokens, 1e-18, 1e-18)
    n_s, d_s = inference_aware_optimum(SARDANA_2024, target_loss, tokens)
    assert float(n) == pytest.approx(float(n_s), rel=2e-3)
    assert float(d) == pytest.approx(float(d_s), rel=2e-3)


def test_sardana_published_example():
    n, d = FLOP_OPTIMUM(SARDANA_2024, 1.947, 2e12, 3e-18, 3e-18)
    assert float(n) == pytest.approx(2.418e10, rel=2e-3)  # Sardana et al. (2024)
    assert float(d) == pytest.approx(2.657e12, rel=2e-3)


def test_dearer_inference_flops_give_smaller_model():
    n_eq, _ = FLOP_OPTIMUM(SARDANA_2024, 1.947, 2e12, 1e-18, 1e-18)
    n_dear, _ = FLOP_OPTIMUM(SARDANA_2024, 1.947, 2e12, 1e-18, 4e-18)
    assert float(n_dear) < float(n_eq)


def _flop_priced_chip():
    """A chip that serves at exactly its FLOP rate: huge bandwidth, free collectives."""
    return H100._replace(peak_flops_fp8=H100.peak_flops_bf16, peak_flops_fp4=H100.peak_flops_bf16,
                         memory_bandwidth=1e17, memory_capacity=1e14, interconnect_bandwidth=1e15,
                         interconnect_latency=1e-8)


def test_dollar_optimum_on_compute_bound_chip_is_near_sardana():
    """Limit structure: a compute-bound serving chip at MFU 1 prices a token at ~2N FLOPs
    (plus attention, minus the embedding lookup: a few percent), as training does."""
    chip = _flop_priced_chip()
    w = workload("bf16", batch=64, input_tokens=1, output_tokens=2000)
    eff = Efficiency(temperature=1e-4)
    n, d = shift.dollar_optimal_model_checked(SARDANA_2024, 1.947, 2e12, chip, chip, w, eff, mfu=1.0)
    assert float(n) == pytest.approx(2.418e10, rel=0.05)
    assert float(d) == pytest.approx(2.657e12, rel=0.08)


def test_dollar_optimum_limits_and_order():
    e = SARDANA_2024.E
    n_c, _ = chinchilla_style_optimum(SARDANA_2024, 1.947)
    n_tiny, _ = shift.dollar_optimal_model_checked(SARDANA_2024, 1.947, 1e3, H100, H100)
    assert float(n_tiny) == pytest.approx(float(n_c), rel=1e-2)  # T -> 0: Chinchilla-style
    n_h, _ = shift.dollar_optimal_model_checked(SARDANA_2024, 1.947, 2e12, H100, H100)
    n_s, _ = inference_aware_optimum(SARDANA_2024, 1.947, 2e12)
    n_min = (SARDANA_2024.A / (1.947 - e)) ** (1 / SARDANA_2024.alpha)
    # memory-bound decode makes an inference FLOP dearer than a training FLOP
    assert n_min < float(n_h) < float(n_s) < float(n_c)


def test_dollar_optimum_is_a_minimum():
    args = (SARDANA_2024, 1.947, 2e12, H100, V6E)
    n, _ = shift.dollar_optimal_model_checked(*args)
    usd = [float(LIFETIME_DOLLARS(float(n) * k, *args)) for k in (0.9, 1.0, 1.1)]
    assert usd[1] <= usd[0] and usd[1] <= usd[2]


# --- gradients vs finite differences -------------------------------------------------------


def test_flop_optimum_gradient_matches_finite_difference():
    @jax.jit
    def log_n(log_t):
        return jnp.log(shift.flop_priced_optimal_model(SARDANA_2024, 1.947, jnp.exp(log_t), 1e-18, 2e-18)[0])

    x = math.log(2e12)
    g = float(jax.jit(jax.grad(log_n))(x))
    h = 0.05
    fd = (float(log_n(x + h)) - float(log_n(x - h))) / (2 * h)
    assert g < 0
    assert g == pytest.approx(fd, rel=2e-2)


def test_dollar_optimum_gradient_wrt_price_matches_finite_difference():
    @jax.jit
    def log_n(log_price):
        chip = V6E._replace(price=jnp.exp(log_price))
        return jnp.log(shift.dollar_optimal_model(SARDANA_2024, 1.947, 2e12, H100, chip)[0])

    x = math.log(V6E.price)
    g = float(jax.jit(jax.grad(log_n))(x))
    h = 0.1
    fd = (float(log_n(x + h)) - float(log_n(x - h))) / (2 * h)
    assert g < 0  # dearer serving -> smaller model
    assert g == pytest.approx(fd, rel=5e-2)


def test_crossover_sensitivities_match_finite_differences():
    n, d = 7e10, 1.5e12
    out = shift.crossover_sensitivities(n, d, SCENARIO, H100, V6E)
    assert 0 < out["crossover_years"] < SCENARIO.horizon_years
    grads = dict(zip(out["parameter"], out["gradient"]))

    def t(**kw):
        sc = SCENARIO._replace(**{k: v for k, v in kw.items() if k in SCENARIO._fields})
        return shift.crossover_sensitivities(kw.get("n_params", n), d, sc, H100, V6E)["crossover_years"]

    for key, x0, kw in [("n_params", n, "n_params"), ("demand_growth", 3.0, "demand_growth"),
                        ("tokens_per_year0", SCENARIO.tokens_per_year0, "tokens_per_year0")]:
        h = 0.02 * x0
        if key == "demand_growth":  # the bar is w.r.t. 1 + demand_growth
            fd = (t(demand_growth=2.0 + h) - t(demand_growth=2.0 - h)) / (2 * h)
        else:
            fd = (t(**{kw: x0 + h}) - t(**{kw: x0 - h})) / (2 * h)
        assert grads[key] == pytest.approx(fd, rel=3e-2), key
    # signs: faster demand growth and more tokens bring the crossover forward
    assert grads["demand_growth"] < 0 and grads["tokens_per_year0"] < 0
    assert grads["training_price"] > 0 and grads["inference_price"] < 0


def test_crossover_years_is_inference_share_crossover():
    k = shift.training_cost_on_chip(7e10, 1.5e12, H100)
    p0 = shift.inference_usd_per_million_tokens(V6E, 7e10)
    assert shift.crossover_sensitivities(7e10, 1.5e12, SCENARIO, H100, V6E)["crossover_years"] == pytest.approx(
        float(crossover_time(k, p0, SCENARIO)), rel=1e-5)


def test_lifetime_tokens_closed_form():
    sc = DemandScenario(1e12, 2.0, 0.5, 3.0)
    want = 1e12 * (3.0**3 - 1) / math.log(3.0)
    assert float(shift.lifetime_tokens(sc)) == pytest.approx(want, rel=1e-5)
    assert float(shift.lifetime_tokens(sc._replace(demand_growth=0.0))) == pytest.approx(3e12, rel=1e-5)


# --- checked wrapper ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, field", [
    ({"target_loss": 1.5}, "target_loss"),
    ({"target_loss": SARDANA_2024.E}, "target_loss"),
    ({"lifetime_tokens": 0.0}, "lifetime_tokens"),
    ({"mfu": 0.0}, "mfu"),
    ({"inference_chip": V6E._replace(price=0.0)}, "inference_chip.price"),
    ({"training_chip": H100._replace(price=-1.0)}, "training_chip.price"),
])
def test_checked_wrapper_names_the_field(kwargs, field):
    args = {"law": SARDANA_2024, "target_loss": 1.947, "lifetime_tokens": 2e12, "training_chip": H100,
            "inference_chip": V6E}
    args.update(kwargs)
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        shift.dollar_optimal_model_checked(**args)


def test_validate_shift_inputs():
    with pytest.raises(ValueError, match="n_params"):
        shift.validate_shift_inputs(0.0, 1e12, SCENARIO)
    with pytest.raises(ValueError, match="tokens_per_year0"):
        shift.validate_shift_inputs(1e10, 1e12, SCENARIO._replace(tokens_per_year0=0.0))


# --- no NaN for valid inputs ---------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    excess=st.floats(0.05, 1.5),
    log10_t=st.floats(6.0, 16.0),
    price_train=st.floats(0.2, 20.0),
    price_inf=st.floats(0.05, 20.0),
)
def test_dollar_optimum_finite(excess, log10_t, price_train, price_inf):
    loss = SARDANA_2024.E + excess
    n, d = shift.dollar_optimal_model_checked(SARDANA_2024, loss, 10.0**log10_t, H100._replace(price=price_train),
                                              V6E._replace(price=price_inf))
    n, d = float(n), float(d)
    assert np.isfinite(n) and np.isfinite(d) and n > 0 and d > 0
    n_c, _ = chinchilla_style_optimum(SARDANA_2024, loss)
    assert n <= float(n_c) * (1 + 1e-3)


# --- prompts and outputs counted apart, whole chips, utilisation, price paths, the industry ---


LLAMA_70B = catalog.model("llama-3-70b")


@pytest.fixture(scope="module")
def h100_cost():
    from workbook import calibration
    return shift.serving_cost(H100, LLAMA_70B, shift.DEFAULT_INFERENCE_WORKLOAD, calibration.efficiency("nvidia_h100_sxm"))


def test_whole_chip_cost_agrees_with_compare_chips(h100_cost):
    """The $/M of notebooks 01/02 (analysis.compare_chips) for the same workload and chip."""
    from workbook import analysis
    r = analysis.compare_chips(["nvidia_h100_sxm"], LLAMA_70B, shift.DEFAULT_INFERENCE_WORKLOAD)
    assert h100_cost.usd_per_million_output_tokens == pytest.approx(float(r["usd_per_million_tokens"][0]), rel=1e-4)
    assert h100_cost.chips == int(r["chips"][0]) and float(h100_cost.chips).is_integer()


def test_prefill_and_decode_costs_add_up_to_the_request(h100_cost):
    c, w = h100_cost, shift.DEFAULT_INFERENCE_WORKLOAD
    per_request = c.usd_per_million_input_tokens * float(w.input_tokens) + c.usd_per_million_decode_tokens * float(w.output_tokens)
    assert per_request == pytest.approx(c.usd_per_million_output_tokens * float(w.output_tokens), rel=1e-6)
    assert 0 < c.prefill_share < 1
    # a prompt token (prefill, compute-bound, batched) is cheaper than an output token (decode)
    assert c.usd_per_million_input_tokens < c.usd_per_million_decode_tokens


def test_compute_crossover_counts_prompt_tokens_by_hand():
    """2N(T_in + T_out) per request against 6ND: T* = 3D/(1 + r). D = 1.5e13, 2048 in / 512 out
    (r = 4): T* = 9e12 output tokens = 0.6 D, with 3.6e13 prompt tokens (hand calculation)."""
    x = shift.compute_crossover_tokens(1.5e13, 2048, 512)
    assert x.output_tokens == pytest.approx(9e12, rel=1e-12)
    assert x.input_tokens == pytest.approx(3.6e13, rel=1e-12) and x.total_tokens == pytest.approx(4.5e13, rel=1e-12)
    assert float(shift.inference_compute_share(1.5e13, 9e12, 2048, 512)) == pytest.approx(0.5, abs=1e-6)
    # no prompt: the classic T = 3D
    assert shift.compute_crossover_tokens(1.5e13, 0, 512).output_tokens == pytest.approx(4.5e13, rel=1e-12)


def test_dollar_crossover_is_training_bill_over_cost_per_token(h100_cost):
    k = float(shift.training_cost_on_chip(7e10, 1.5e13, H100))
    x = shift.dollar_crossover_tokens(k, h100_cost, 2048, 512)
    assert x.output_tokens * h100_cost.usd_per_million_output_tokens / 1e6 == pytest.approx(k, rel=1e-9)
    assert x.input_tokens == pytest.approx(4 * x.output_tokens, rel=1e-12)


def test_flop_optimum_with_prompts_is_sardana_at_total_tokens():
    n, d = shift.flop_optimal_model_with_prompts(SARDANA_2024, 1.947, 4e11, 2048, 512)
    n_s, d_s = inference_aware_optimum(SARDANA_2024, 1.947, 2e12)  # (1 + 4) x 4e11
    assert float(n) == pytest.approx(float(n_s), rel=1e-6) and float(d) == pytest.approx(float(d_s), rel=1e-6)
    assert float(n_s) == pytest.approx(2.418e10, rel=2e-3)  # Sardana et al. (2024)


def test_owned_chip_hour_pins_targets_example():
    # reference/targets.md: $1.290/h at full use, $1.613/h at 80 %
    assert float(shift.owned_usd_per_chip_hour()) == pytest.approx(1.290, abs=5e-4)
    assert float(shift.owned_usd_per_chip_hour(utilisation=0.8)) == pytest.approx(1.613, abs=5e-4)
    assert shift.ownership_breakeven_utilisation(2.58) == pytest.approx(1.290 / 2.58, rel=1e-3)


def test_cost_at_utilisation_scales_inversely():
    assert float(shift.usd_per_million_tokens_at_utilisation(0.5, 0.25)) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="utilisation"):
        shift.usd_per_million_tokens_at_utilisation(0.5, 0.0)


def test_price_paths_separate_model_shrink_from_hardware_and_software():
    trend = shift.CostTrend(hardware_gain=1.3, software_gain=1.5)
    assert float(shift.fixed_model_cost_decline(trend)) == pytest.approx(1 - 1 / 1.95, rel=1e-6)
    assert float(shift.implied_model_shrink(900, trend)) == pytest.approx(900 / 1.95, rel=1e-6)
    paths = shift.price_paths([0, 1, 2], 1.0, 40, trend)
    assert paths["fixed model"] == pytest.approx([1, 1 / 1.95, 1 / 1.95**2])
    assert paths["fixed capability"] == pytest.approx([1, 1 / 40, 1 / 1600])
    # Epoch 2022: FLOP/s per $ doubles every 2.46 years -> about 1.33x per year
    assert shift.CostTrend().hardware_gain == pytest.approx(1.326, abs=1e-3)
    lo, hi = shift.HARDWARE_GAIN_RANGE
    assert lo < shift.CostTrend().hardware_gain < hi


def test_industry_crossover_by_hand():
    # ln(5/2) / ln(3/2.4) = 4.106 years (Epoch's $2B vs $5B, 3x vs 2.4x per year)
    assert float(shift.industry_crossover_years()) == pytest.approx(math.log(2.5) / math.log(1.25), rel=1e-5)
    ahead = shift.IndustrySpend(4e9, 3e9, 3.0, 2.4)  # The Information's split: already past
    assert float(shift.industry_crossover_years(ahead)) == 0.0
    slower = shift.IndustrySpend(2e9, 5e9, 2.0, 2.4)
    assert float(shift.industry_crossover_years(slower)) == math.inf
    g = jax.grad(lambda gi: shift.industry_crossover_years(shift.IndustrySpend(2e9, 5e9, gi, 2.4)))(3.0)
    assert float(g) < 0  # faster inference growth brings the crossover forward
    with pytest.raises(ValueError, match="training_growth"):
        shift.validate_industry_spend(shift.IndustrySpend(2e9, 5e9, 3.0, 0.0))


def test_dollar_optimum_sits_between_flop_optima_with_and_without_prompts():
    """Served on H100s at batch 64 with 4 prompt tokens per output token, a served FLOP costs less
    than a training FLOP, so the dollar optimum is larger than the FLOP optimum that counts the
    prompts, and smaller than the one that ignores them."""
    from workbook import calibration
    eff = calibration.efficiency("nvidia_h100_sxm")
    n_usd, _ = shift.dollar_optimal_model_checked(SARDANA_2024, 1.947, 5e12, H100, H100, inference_eff=eff)
    n_prompts, _ = shift.flop_optimal_model_with_prompts(SARDANA_2024, 1.947, 5e12, 2048, 512)
    n_outputs, _ = inference_aware_optimum(SARDANA_2024, 1.947, 5e12)
    assert float(n_prompts) < float(n_usd) < float(n_outputs)


def test_crossover_inputs_are_checked():
    with pytest.raises(ValueError, match="training_tokens"):
        shift.compute_crossover_tokens(0.0, 2048, 512)
    with pytest.raises(ValueError, match="output_tokens_per_request"):
        shift.compute_crossover_tokens(1e13, 2048, 0)


@pytest.mark.parametrize("call, field", [
    (lambda: shift.price_paths([-1.0], 1.0, 40), "years"),
    (lambda: shift.price_paths([1.0], 0.0, 40), "usd_per_million0"),
    (lambda: shift.price_paths([1.0], 1.0, 0.5), "capability_price_factor"),
    (lambda: shift.implied_model_shrink(0.5), "capability_price_factor"),
    (lambda: shift.flop_optimal_model_with_prompts(SARDANA_2024, 1.947, 1e12, 2048, 0), "output_tokens_per_request"),
    (lambda: shift.ownership_breakeven_utilisation(0.0), "on_demand_usd_per_chip_hour"),
])
def test_new_functions_name_the_bad_field(call, field):
    with pytest.raises(ValueError, match=field):
        call()
