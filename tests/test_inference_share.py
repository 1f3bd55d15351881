"""Tests for workbook.inference_share: shares, spend paths, crossover time, validation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

from workbook.econ import inference_share as ish
from workbook.econ.inference_share import (
    EPOCH_FAST,
    EPOCH_GPT4_GPQA,
    EPOCH_SLOW,
    GOOGLE_TOKENS_2024_2025,
    LLMFLATION_A16Z,
    DemandScenario,
    crossover_time,
    crossover_time_checked,
    cumulative_inference_cost,
    inference_spend_rate,
    lifetime_inference_share,
    spend_growth_rate,
    total_inference_cost,
    training_chip_hours,
    training_cost_usd,
    validate_demand_scenario,
)

PRESETS = {
    "llmflation_a16z": LLMFLATION_A16Z,
    "epoch_slow": EPOCH_SLOW,
    "epoch_gpt4_gpqa": EPOCH_GPT4_GPQA,
    "epoch_fast": EPOCH_FAST,
    "google_tokens_2024_2025": GOOGLE_TOKENS_2024_2025,
}

crossover = jax.jit(crossover_time)
cumulative = jax.jit(cumulative_inference_cost)


def enable_x64():
    """Float64 locally, for clean finite differences (the package default stays float32)."""
    return jax.enable_x64(True)


def _scenario(q0, growth, decline, horizon):
    return DemandScenario(float(q0), float(growth), float(decline), float(horizon))


def _brute_force_crossover(training_cost, usd_per_m, scenario, dt=1e-4):
    """NumPy float64: first grid time at which the trapezoid cumulative spend exceeds K."""
    q0, growth, decline, horizon = (float(v) for v in scenario)
    t = np.arange(0.0, horizon + dt, dt)
    rate = q0 * usd_per_m / 1e6 * (1 + growth) ** t * (1 - decline) ** t  # discrete compounding
    cumulative_spend = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * dt)])
    above = np.nonzero(cumulative_spend > training_cost)[0]
    return t[above[0]] if above.size else np.inf


# ------------------------------------------------------------------------------------------
# Published numbers and the compute share
# ------------------------------------------------------------------------------------------


def test_lifetime_share_half_at_three_times_training_tokens():
    # Sardana et al. (2024): inference (2N/token) exceeds training (6N/token) once T > 3 D_tr.
    # Exact identity, tolerance float32 round-off.
    d_tr = 1.4e12
    np.testing.assert_allclose(float(lifetime_inference_share(d_tr, 3 * d_tr)), 0.5, rtol=1e-6)
    assert float(lifetime_inference_share(d_tr, 0.0)) == 0.0
    shares = lifetime_inference_share(d_tr, jnp.logspace(9, 16, 20))
    assert np.all(np.diff(np.asarray(shares)) > 0) and float(shares[-1]) < 1.0
    # Equals the FLOP ratio 2NT / (6ND + 2NT) for any N.
    n, t = 7e10, 2e12
    np.testing.assert_allclose(float(lifetime_inference_share(d_tr, t)),
                               2 * n * t / (6 * n * d_tr + 2 * n * t), rtol=1e-6)


def test_llmflation_price_path():
    # a16z, "LLMflation" (Nov 2024): $60 -> $0.06 per M tokens in 3 years (10x/yr).
    # With demand held flat (demand_growth = 0), the spend rate traces the price path:
    # tolerance 1e-5 relative (float32).
    flat = LLMFLATION_A16Z._replace(tokens_per_year0=1e6, demand_growth=0.0)
    np.testing.assert_allclose(float(inference_spend_rate(3.0, 60.0, flat)), 0.06, rtol=1e-5)


@pytest.mark.parametrize("scenario, factor", [(LLMFLATION_A16Z, 10.0), (EPOCH_SLOW, 9.0),
                                              (EPOCH_GPT4_GPQA, 40.0), (EPOCH_FAST, 900.0)])
def test_preset_price_decline_factors(scenario, factor):
    # a16z (2024): 10x/yr; Epoch AI (Mar 2025): 9x-900x/yr, 40x/yr at GPT-4 level on GPQA.
    # The stored preset is exact (float64, tolerance 1e-12); the float32 rate loses digits to
    # 1 - price_decline when the decline is near 1 (900x/yr: 1 - d = 1.1e-3), hence 1e-5.
    np.testing.assert_allclose(1.0 / (1.0 - scenario.price_decline), factor, rtol=1e-12)
    np.testing.assert_allclose(float(ish.price_decline_rate(scenario)), np.log(factor), rtol=1e-5)


def test_google_token_growth_preset():
    # Google tokens per month, as reported: 9.7e12 (May 2024) -> 4.8e14 (May 2025); year-0
    # volume 4.8e14 * 12 per year. Tolerance 1e-6 relative.
    s = GOOGLE_TOKENS_2024_2025
    np.testing.assert_allclose(1 + s.demand_growth, 4.8e14 / 9.7e12, rtol=1e-6)
    np.testing.assert_allclose(s.tokens_per_year0, 4.8e14 * 12, rtol=1e-6)


def test_training_cost_hand_calculation():
    # Recomputed from the formula (not a published figure): 70B params on 1.4T tokens,
    # H100 dense bf16 989e12 FLOP/s, MFU 0.40, $2/chip-hour:
    # 6 * 70e9 * 1.4e12 = 5.88e23 FLOP; / (989e12 * 0.4) / 3600 = 412,874 chip-hours; $825,748.
    hours = training_chip_hours(70e9, 1.4e12, 989e12, 0.40)
    np.testing.assert_allclose(float(hours), 5.88e23 / (989e12 * 0.4) / 3600, rtol=1e-5)
    np.testing.assert_allclose(float(hours), 412_874, rtol=1e-5)
    np.testing.assert_allclose(float(training_cost_usd(70e9, 1.4e12, 989e12, 0.40, 2.0)),
                               825_748, rtol=1e-5)


# ------------------------------------------------------------------------------------------
# Cumulative spend
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("growth, decline", [(2.0, 0.9), (2.0, 0.5), (1.0, 0.5), (0.3, 0.0),
                                             (48.0, 0.9), (0.0, 0.0)])
def test_cumulative_cost_matches_numpy_integral(growth, decline):
    s = _scenario(1e15, growth, decline, 5.0)
    t_grid = np.linspace(0.0, 3.0, 300_001)
    rate = 1e15 * 2.5e-6 * (1 + growth) ** t_grid * (1 - decline) ** t_grid
    reference = np.sum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t_grid))
    np.testing.assert_allclose(float(cumulative(3.0, 2.5, s)), reference, rtol=1e-5)
    np.testing.assert_allclose(float(cumulative(0.0, 2.5, s)), 0.0, atol=1e-6)


def test_cumulative_cost_is_continuous_where_growth_cancels_decline():
    # (1 + 1.0)(1 - 0.5) = 1: spend is flat and S(t) = Q0 p0 t exactly.
    q0, p0 = 1e15, 1.0
    s0 = _scenario(q0, 1.0, 0.5, 5.0)
    assert float(spend_growth_rate(s0)) == 0.0
    np.testing.assert_allclose(float(cumulative(2.0, p0, s0)), q0 * p0 / 1e6 * 2.0, rtol=1e-6)
    for eps in (1e-7, 1e-5, 1e-3, 2e-3):
        near = s0._replace(demand_growth=1.0 + eps)
        r = np.log1p(1.0 + eps) + np.log1p(-0.5)
        exact = q0 * p0 / 1e6 * np.expm1(2.0 * r) / r
        np.testing.assert_allclose(float(cumulative(2.0, p0, near)), exact, rtol=1e-5)


def test_cumulative_cost_gradients_finite_and_correct_at_cancellation():
    grad = jax.jit(jax.grad(cumulative_inference_cost, argnums=(0, 1, 2)))
    g_t, g_p, g_s = grad(2.0, 1.0, _scenario(1e15, 1.0, 0.5, 5.0))
    # dS/dr at r = 0 is Q0 p0 t^2 / 2; dr/d(growth) = 1/(1+growth), dr/d(decline) = -1/(1-decline).
    np.testing.assert_allclose(float(g_s.demand_growth), 1e9 * 4 / 2 / 2, rtol=1e-5)
    np.testing.assert_allclose(float(g_s.price_decline), -1e9 * 4 / 2 / 0.5, rtol=1e-5)
    np.testing.assert_allclose(float(g_t), 1e9, rtol=1e-5)
    np.testing.assert_allclose(float(g_p), 2e9, rtol=1e-5)


def test_cumulative_cost_gradients_match_finite_differences():
    # Vectorised over cases (the function is elementwise), including exact cancellation
    # (growth 1.0, decline 0.5) and a point just inside the series cut-off (1.0005).
    with enable_x64():
        def f(t, p0, g, d):
            return cumulative_inference_cost(t, p0, DemandScenario(1e3, g, d, 5.0))

        growth = jnp.array([2.0, 1.0, 1.0005, 3.0])
        decline = jnp.array([0.9, 0.5, 0.5, 0.2])
        t = jnp.array([1.7, 2.0, 0.5, 3.0])
        p0 = jnp.array([2.0, 1.0, 0.3, 5.0])
        check_grads(jax.jit(f), (t, p0, growth, decline), order=1, modes=("fwd", "rev"),
                    eps=1e-6)


def test_total_inference_cost_is_the_limit():
    s = LLMFLATION_A16Z  # 3x demand vs 10x price: spend shrinks
    total = float(total_inference_cost(1.0, s))
    np.testing.assert_allclose(float(cumulative(60.0, 1.0, s)), total, rtol=1e-5)
    assert np.isinf(float(total_inference_cost(1.0, EPOCH_SLOW._replace(demand_growth=10.0))))


# ------------------------------------------------------------------------------------------
# Crossover time
# ------------------------------------------------------------------------------------------

CROSSOVER_CASES = [
    # (training_cost USD, USD per M tokens at t=0, scenario)
    (1e9, 1.0, _scenario(1e15, 2.0, 0.5, 10.0)),  # spend grows 1.5x/yr
    (1e9, 1.0, _scenario(1e15, 1.0, 0.5, 10.0)),  # flat spend: t* = K / (Q0 p0) = 1 year
    (3e9, 1.0, _scenario(1e15, 1.0, 0.5, 10.0)),
    (1e8, 0.5, _scenario(1e15, 2.0, 0.9, 10.0)),  # shrinking spend that still crosses
    (5e9, 2.0, _scenario(5.76e15, 48.5, 0.9, 5.0)),  # Google-like demand growth
    (1e11, 10.0, _scenario(5.76e15, 2.0, 0.75, 5.0)),
]


@pytest.mark.parametrize("training_cost, usd_per_m, scenario", CROSSOVER_CASES)
def test_crossover_matches_brute_force_cumulative_sum(training_cost, usd_per_m, scenario):
    # Brute force on a 1e-4-year grid: agreement within two grid steps.
    t_star = float(crossover(training_cost, usd_per_m, scenario))
    t_bf = _brute_force_crossover(training_cost, usd_per_m, scenario)
    assert np.isfinite(t_star) and np.isfinite(t_bf)
    assert abs(t_star - t_bf) <= 2e-4 + 1e-4 * t_bf
    np.testing.assert_allclose(float(cumulative(t_star, usd_per_m, scenario)), training_cost,
                               rtol=1e-4)


def test_flat_spend_crossover_is_ratio():
    np.testing.assert_allclose(float(crossover(1e9, 1.0, _scenario(1e15, 1.0, 0.5, 10.0))), 1.0,
                               rtol=1e-6)


def test_no_crossover_returns_inf_with_zero_gradients():
    # 3x/yr demand vs 10x/yr price (LLMflation): total spend Q0 p0 / ln(10/3) ~ $4.78e9 at
    # $1/M and 5.76e15 tokens/yr; a $1e12 training bill is never repaid.
    grad = jax.jit(jax.grad(crossover_time, argnums=(0, 1, 2)))
    for k, s in [(1e12, LLMFLATION_A16Z),
                 (1e12, _scenario(1e15, 2.0, 0.5, 10.0))]:  # crosses at 14.8 yr > horizon
        assert np.isinf(float(crossover(k, 1.0, s)))
        leaves = jax.tree_util.tree_leaves(grad(k, 1.0, s))
        assert all(float(x) == 0.0 for x in leaves)
    # Same inputs, brute force agrees that nothing crosses within the horizon.
    assert np.isinf(_brute_force_crossover(1e12, 1.0, _scenario(1e15, 2.0, 0.5, 10.0), dt=1e-3))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_give_consistent_crossover(name):
    s = PRESETS[name]
    k = 1e9
    t_star = float(crossover(k, 1.0, s))
    t_bf = _brute_force_crossover(k, 1.0, s, dt=1e-4)
    if np.isinf(t_star):
        assert np.isinf(t_bf)
    else:
        assert abs(t_star - t_bf) <= 2e-4 + 1e-4 * t_bf


def test_crossover_gradients_match_finite_differences():
    # All CROSSOVER_CASES at once (crossover_time is elementwise), in log K and log p0.
    cases = np.array([[k, p, *scenario] for k, p, scenario in CROSSOVER_CASES], dtype=float)
    with enable_x64():
        q0, horizon = jnp.asarray(cases[:, 2]), jnp.asarray(cases[:, 5])

        def f(log_k, log_p, growth, decline):
            s = DemandScenario(q0, growth, decline, horizon)
            return crossover_time(jnp.exp(log_k), jnp.exp(log_p), s)

        args = (jnp.log(cases[:, 0]), jnp.log(cases[:, 1]), jnp.asarray(cases[:, 3]),
                jnp.asarray(cases[:, 4]))
        assert np.all(np.isfinite(np.asarray(f(*args))))
        check_grads(jax.jit(f), args, order=1, modes=("fwd", "rev"), eps=1e-6)


def test_crossover_monotonicity_signs():
    # Costlier training -> later crossover; pricier tokens, faster demand -> sooner;
    # faster price decline -> later.
    k, p, s = 1e9, 1.0, _scenario(1e15, 2.0, 0.5, 10.0)
    g_k, g_p, g_s = jax.jit(jax.grad(crossover_time, argnums=(0, 1, 2)))(k, p, s)
    assert float(g_k) > 0 and float(g_p) < 0
    assert float(g_s.demand_growth) < 0 and float(g_s.price_decline) > 0


# ------------------------------------------------------------------------------------------
# Properties: valid inputs never give NaN values or gradients
# ------------------------------------------------------------------------------------------


@jax.jit
def _crossover_and_grads(k, p, s):
    return crossover_time(k, p, s), jax.grad(crossover_time, argnums=(0, 1, 2))(k, p, s)


@jax.jit
def _cumulative_and_grads(t, p, s):
    return (cumulative_inference_cost(t, p, s),
            jax.grad(cumulative_inference_cost, argnums=(0, 1, 2))(t, p, s))


@settings(max_examples=50, deadline=None)
@given(
    log10_k=st.floats(6.0, 11.0),
    log10_p=st.floats(-2.0, 2.0),
    log10_q0=st.floats(12.0, 17.0),
    growth=st.floats(0.0, 50.0),
    decline=st.floats(0.0, 0.999),
    horizon=st.floats(0.5, 20.0),
    t=st.floats(0.0, 10.0),
)
def test_valid_inputs_never_give_nan(log10_k, log10_p, log10_q0, growth, decline, horizon, t):
    s = DemandScenario(10.0**log10_q0, growth, decline, horizon)
    # Keep the spend path inside float32 range over the horizon (|r t| < 80).
    assume(abs(np.log1p(growth) + np.log1p(-decline)) * max(t, horizon) < 80.0)
    value, grads = _crossover_and_grads(10.0**log10_k, 10.0**log10_p, s)
    assert not np.isnan(float(value)) and float(value) >= 0.0
    leaves = jax.tree_util.tree_leaves(grads)
    assert all(np.isfinite(float(x)) for x in leaves)
    if np.isinf(float(value)):
        assert all(float(x) == 0.0 for x in leaves)
    value, grads = _cumulative_and_grads(t, 10.0**log10_p, s)
    assert np.isfinite(float(value)) and float(value) >= 0.0
    assert all(np.isfinite(float(x)) for x in jax.tree_util.tree_leaves(grads))


@settings(max_examples=50, deadline=None)
@given(growth=st.floats(0.0, 5.0), k=st.floats(1e7, 1e10))
def test_exact_cancellation_never_gives_nan(growth, k):
    # price_decline chosen so that (1 + growth)(1 - decline) = 1 (r ~ 0 up to rounding).
    s = DemandScenario(1e15, growth, growth / (1.0 + growth), 1e3)
    value, grads = _crossover_and_grads(k, 1.0, s)
    np.testing.assert_allclose(float(value), k / 1e9, rtol=1e-3)
    assert all(np.isfinite(float(x)) for x in jax.tree_util.tree_leaves(grads))


# ------------------------------------------------------------------------------------------
# Checked wrapper and validation
# ------------------------------------------------------------------------------------------


def test_checked_wrapper_returns_time():
    t = crossover_time_checked(1e9, 1.0, _scenario(1e15, 1.0, 0.5, 10.0))
    assert isinstance(t, float)
    np.testing.assert_allclose(t, 1.0, rtol=1e-6)


def test_checked_wrapper_explains_no_crossover():
    with pytest.raises(ValueError, match="never exceeds the training cost"):
        crossover_time_checked(1e12, 1.0, LLMFLATION_A16Z)
    with pytest.raises(ValueError, match="beyond horizon_years = 10"):
        crossover_time_checked(1e12, 1.0, _scenario(1e15, 2.0, 0.5, 10.0))


@pytest.mark.parametrize("field, value", [("tokens_per_year0", 0.0), ("demand_growth", -1.0),
                                          ("price_decline", 1.0), ("price_decline", float("nan")),
                                          ("horizon_years", -2.0)])
def test_invalid_scenario_names_the_field(field, value):
    bad = LLMFLATION_A16Z._replace(**{field: value})
    with pytest.raises(ValueError, match=field):
        validate_demand_scenario(bad)
    with pytest.raises(ValueError, match=field):
        crossover_time_checked(1e9, 1.0, bad)


@pytest.mark.parametrize("kwargs, field", [({"training_cost": 0.0}, "training_cost"),
                                           ({"usd_per_million_tokens0": -1.0},
                                            "usd_per_million_tokens0")])
def test_invalid_prices_name_the_field(kwargs, field):
    args = {"training_cost": 1e9, "usd_per_million_tokens0": 1.0, "scenario": LLMFLATION_A16Z}
    args.update(kwargs)
    with pytest.raises(ValueError, match=field):
        crossover_time_checked(**args)


def test_public_surface():
    for name in ish.__all__:
        assert hasattr(ish, name)


# --- input checks at the public entry points ------------------------------------------------

from workbook.errors import InputError  # noqa: E402


@pytest.mark.parametrize("call,message", [
    (lambda: crossover_time(1e9, 0.0, LLMFLATION_A16Z), r"usd_per_million_tokens0: 0 is out of range; allowed \(0, inf\)"),
    (lambda: crossover_time(0.0, 1.0, LLMFLATION_A16Z), r"training_cost: 0 is out of range"),
    (lambda: crossover_time(1e9, 1.0, LLMFLATION_A16Z._replace(tokens_per_year0=0.0)), r"tokens_per_year0: 0 is out of range"),
    (lambda: crossover_time(1e9, 1.0, LLMFLATION_A16Z._replace(price_decline=1.0)), r"price_decline: 1 is out of range"),
    (lambda: cumulative_inference_cost(-1.0, 1.0, LLMFLATION_A16Z), r"t_years: -1 is out of range"),
    (lambda: lifetime_inference_share(0.0, 0.0), "both 0, the share is undefined"),
    (lambda: training_chip_hours(7e10, 1e12, 1e15, 1.5), r"mfu: 1\.5 is out of range; allowed \(0, 1\]"),
    (lambda: total_inference_cost(-1.0, LLMFLATION_A16Z), r"usd_per_million_tokens0: -1 is out of range"),
])
def test_public_functions_reject_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_jitted_crossover_is_unchecked_and_unchanged():
    assert float(crossover(1e9, 1.0, LLMFLATION_A16Z)) == pytest.approx(float(crossover_time(1e9, 1.0, LLMFLATION_A16Z)))
