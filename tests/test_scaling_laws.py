"""Tests for workbook.scaling_laws: published numbers, invariants, gradients, validation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

from workbook.econ import scaling_laws as sl
from workbook.econ.scaling_laws import (
    BESIROGLU_2024,
    HOFFMANN_2022,
    HOFFMANN_2022_UNROUNDED,
    SARDANA_2024,
    LossLaw,
    chinchilla_style_optimum,
    compute_optimal,
    compute_overhead_smaller_model,
    inference_aware_optimum,
    inference_aware_optimum_checked,
    lifetime_flops,
    loss,
    smallest_model_size_fraction,
    training_flops,
    validate_target_loss,
)


def enable_x64():
    """Float64 locally, for clean finite differences (the package default stays float32)."""
    return jax.enable_x64(True)


# Jitted once per module: eager calls would recompile the bisection loop every time.
optimum = jax.jit(inference_aware_optimum)

CATALOG = {
    "hoffmann_2022": HOFFMANN_2022,
    "hoffmann_2022_unrounded": HOFFMANN_2022_UNROUNDED,
    "besiroglu_2024": BESIROGLU_2024,
    "sardana_2024": SARDANA_2024,
}


def _optimum_np(law, target_loss, inference_tokens):
    """Float64 NumPy reference: bisection on the first-order condition over a huge bracket."""
    E, A, B, alpha, beta = (float(v) for v in law)

    def f(x):
        d = np.exp(x)
        return (B * (1 + beta / alpha) * d**-beta
                + beta * B * inference_tokens / (3 * alpha) * d ** (-beta - 1) + E - target_loss)

    lo, hi = 0.0, 200.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    d = np.exp(0.5 * (lo + hi))
    n = (A / (target_loss - E - B * d**-beta)) ** (1 / alpha)
    return n, d


# ------------------------------------------------------------------------------------------
# Published numbers
# ------------------------------------------------------------------------------------------


def test_hoffmann_unrounded_constants():
    # Hoffmann et al. (2022) unrounded fit, ln values as quoted by Besiroglu et al. (2024).
    np.testing.assert_allclose(np.log(HOFFMANN_2022_UNROUNDED.A), 6.0073404, rtol=1e-9)
    np.testing.assert_allclose(np.log(HOFFMANN_2022_UNROUNDED.B), 6.0179186, rtol=1e-9)
    np.testing.assert_allclose(np.log(HOFFMANN_2022_UNROUNDED.E), 0.5267228, rtol=1e-9)
    # Rounded paper values agree with the unrounded fit to their printed precision.
    np.testing.assert_allclose(HOFFMANN_2022_UNROUNDED.E, 1.69, atol=0.005)
    np.testing.assert_allclose(HOFFMANN_2022_UNROUNDED.A, 406.4, atol=0.05)
    np.testing.assert_allclose(HOFFMANN_2022_UNROUNDED.B, 410.7, atol=0.05)


def test_compute_optimal_hoffmann_unrounded_pin():
    # Hoffmann et al. (2022) unrounded fit, C = 5.76e23 FLOP (Gopher/Chinchilla budget)
    # -> N* ~ 4.04e10 (targets.md). Tolerance 0.5% (quoted to 3 significant figures).
    n_opt, d_opt = compute_optimal(HOFFMANN_2022_UNROUNDED, 5.76e23)
    np.testing.assert_allclose(float(n_opt), 4.04e10, rtol=5e-3)
    np.testing.assert_allclose(float(training_flops(n_opt, d_opt)), 5.76e23, rtol=1e-5)


def test_training_flops_llama3_405b():
    # Llama Team, Meta (2024), "The Llama 3 Herd of Models": 405B parameters on 15.6T tokens,
    # "3.8 x 10^25 FLOPs". Tolerance 1% (quoted to 2 significant figures).
    np.testing.assert_allclose(float(training_flops(405e9, 15.6e12)), 3.8e25, rtol=1e-2)


def test_sardana_readme_example():
    # Sardana et al. (2024), ICML, and their README: l = 1.947 (70B on 1e12 tokens),
    # T = 2e12 -> N = 2.418e10, D = 2.657e12; 70.96% params, 146.77% tokens, 95.22% FLOPs of
    # the Chinchilla-style model at the same loss. Tolerances: 0.5% on N and D (4 sig. figs),
    # 1e-3 relative on the percentages (quoted to 4 sig. figs).
    law, l, t = SARDANA_2024, 1.947, 2e12
    np.testing.assert_allclose(float(loss(law, 70e9, 1e12)), l, atol=5e-4)
    n, d = optimum(law, l, t)
    n0, d0 = chinchilla_style_optimum(law, l)
    np.testing.assert_allclose(float(n), 2.418e10, rtol=5e-3)
    np.testing.assert_allclose(float(d), 2.657e12, rtol=5e-3)
    np.testing.assert_allclose(float(n / n0), 0.7096, rtol=1e-3)
    np.testing.assert_allclose(float(d / d0), 1.4677, rtol=1e-3)
    ratio = lifetime_flops(n, d, t) / lifetime_flops(n0, d0, t)
    np.testing.assert_allclose(float(ratio), 0.9522, rtol=1e-3)


def test_sardana_13b_case():
    # Sardana et al. (2024), Sec. 3: 13B Chinchilla-quality model (l = 2.04528), T = 2e12 ->
    # N* ~ 6.97e9, D* ~ 1.248e12, saves ~1.69e22 FLOP (17.4%). Tolerance 1% ("~" numbers);
    # the percentage is quoted to one decimal, so +-0.05 percentage points.
    law, l, t = SARDANA_2024, 2.04528, 2e12
    n, d = optimum(law, l, t)
    n0, d0 = chinchilla_style_optimum(law, l)
    np.testing.assert_allclose(float(n0), 13e9, rtol=1e-2)
    np.testing.assert_allclose(float(n), 6.97e9, rtol=1e-2)
    np.testing.assert_allclose(float(d), 1.248e12, rtol=1e-2)
    c, c0 = lifetime_flops(n, d, t), lifetime_flops(n0, d0, t)
    np.testing.assert_allclose(float(c0 - c), 1.69e22, rtol=1e-2)
    np.testing.assert_allclose(100 * float(1 - c / c0), 17.4, atol=0.05)


@pytest.mark.parametrize(
    "target_loss, size, n_expected, data_ratio, n_tokens_expected, saving_pct",
    [
        # Sardana et al. (2024): 30B-quality (l = 1.95825), T = 1e13 -> 13.6B on 2.84x data,
        # -28% FLOPs.
        (1.95825, 30e9, 13.6e9, 2.84, None, 28.0),
        # Sardana et al. (2024): 70B-quality (l = 1.89180), T = 1e13 -> 41.6B on 7.92e12
        # tokens, -12% FLOPs.
        (1.89180, 70e9, 41.6e9, None, 7.92e12, 12.0),
    ],
)
def test_sardana_30b_70b_cases(target_loss, size, n_expected, data_ratio, n_tokens_expected,
                               saving_pct):
    # Tolerances: 1% on sizes and data (quoted to 3 sig. figs; we get 41.55B for "41.6B",
    # 0.13% off), +-0.5 percentage points on FLOP savings (quoted as whole percent).
    law, t = SARDANA_2024, 1e13
    n, d = optimum(law, target_loss, t)
    n0, d0 = chinchilla_style_optimum(law, target_loss)
    np.testing.assert_allclose(float(n0), size, rtol=1e-2)
    np.testing.assert_allclose(float(n), n_expected, rtol=1e-2)
    if data_ratio is not None:
        np.testing.assert_allclose(float(d / d0), data_ratio, rtol=1e-2)
    if n_tokens_expected is not None:
        np.testing.assert_allclose(float(d), n_tokens_expected, rtol=1e-2)
    saving = 100 * float(1 - lifetime_flops(n, d, t) / lifetime_flops(n0, d0, t))
    np.testing.assert_allclose(saving, saving_pct, atol=0.5)


def test_de_vries_overhead_pins():
    # de Vries (2023), "Go smol or go home", alpha = 0.336, beta = 0.283: half-size model costs
    # +20.8% compute (tolerance +-0.05 pp, quoted to 0.1%); overhead reaches 100% at
    # k_N ~ 0.305 (tolerance +-0.0005, quoted to 3 decimals).
    np.testing.assert_allclose(float(compute_overhead_smaller_model(0.5, 0.336, 0.283)), 0.208,
                               atol=5e-4)
    lo, hi = 0.2, 0.9  # overhead decreases in k_N on this range
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        over = float(compute_overhead_smaller_model(mid, 0.336, 0.283))
        lo, hi = (mid, hi) if over > 1.0 else (lo, mid)
    np.testing.assert_allclose(0.5 * (lo + hi), 0.305, atol=5e-4)


# ------------------------------------------------------------------------------------------
# Invariants, parametrized over the law catalog
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CATALOG))
@pytest.mark.parametrize("inference_tokens", [0.0, 1e9, 2e12, 1e14, 1e18])
def test_optimum_matches_float64_reference_and_constraint(name, inference_tokens):
    law = CATALOG[name]
    target_loss = float(law.E) + 0.3
    n, d = optimum(law, target_loss, inference_tokens)
    n_ref, d_ref = _optimum_np(law, target_loss, inference_tokens)
    np.testing.assert_allclose(float(n), n_ref, rtol=1e-4)
    np.testing.assert_allclose(float(d), d_ref, rtol=1e-4)
    np.testing.assert_allclose(float(loss(law, n, d)), target_loss, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_zero_inference_is_chinchilla_style_and_compute_optimal(name):
    law = CATALOG[name]
    target_loss = float(law.E) + 0.4
    n, d = optimum(law, target_loss, 0.0)
    n0, d0 = chinchilla_style_optimum(law, target_loss)
    np.testing.assert_allclose([float(n), float(d)], [float(n0), float(d0)], rtol=1e-4)
    # The Chinchilla-style model is compute-optimal for its own budget.
    n_c, d_c = compute_optimal(law, training_flops(n0, d0))
    np.testing.assert_allclose([float(n_c), float(d_c)], [float(n0), float(d0)], rtol=1e-4)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_optimum_beats_brute_force_grid(name):
    # Along the constraint L(N, D) = l, no D on a fine grid has lower lifetime compute.
    law = CATALOG[name]
    E, A, B, alpha, beta = (float(v) for v in law)
    target_loss, t = E + 0.25, 5e12
    n, d = (float(v) for v in optimum(law, target_loss, t))
    d_min = (B / (target_loss - E)) ** (1 / beta) * 1.0001
    grid = np.exp(np.linspace(np.log(d_min), np.log(d_min) + 15, 200_001))
    n_grid = (A / (target_loss - E - B * grid**-beta)) ** (1 / alpha)
    cost = 6 * n_grid * grid + 2 * n_grid * t
    best = grid[np.argmin(cost)]
    np.testing.assert_allclose(d, best, rtol=1e-3)
    assert 6 * n * d + 2 * n * t <= cost.min() * (1 + 1e-5)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_more_inference_means_smaller_model_more_data(name):
    law = CATALOG[name]
    ts = jnp.array([0.0, 1e10, 1e11, 1e12, 1e13, 1e14])
    n, d = optimum(law, float(law.E) + 0.3, ts)
    assert np.all(np.diff(np.asarray(n)) < 0)
    assert np.all(np.diff(np.asarray(d)) > 0)


def test_jit_and_vmap_agree_with_scalar_calls():
    law = SARDANA_2024
    losses = jnp.array([1.75, 1.9, 2.1, 2.6])
    n_v, d_v = jax.jit(jax.vmap(lambda l: optimum(law, l, 2e12)))(losses)
    for i, l in enumerate(np.asarray(losses)):
        n, d = optimum(law, float(l), 2e12)
        np.testing.assert_allclose([float(n_v[i]), float(d_v[i])], [float(n), float(d)], rtol=1e-5)


def test_overhead_is_zero_at_optimal_size_and_diverges_at_critical_size():
    np.testing.assert_allclose(float(compute_overhead_smaller_model(1.0)), 0.0, atol=1e-6)
    k_min = float(smallest_model_size_fraction())
    assert float(compute_overhead_smaller_model(k_min * 1.001)) > 10.0
    k = jnp.linspace(k_min * 1.05, 1.0, 50)
    assert np.all(np.diff(np.asarray(compute_overhead_smaller_model(k))) < 0)


# ------------------------------------------------------------------------------------------
# Gradients against finite differences (float64 locally for clean differences)
# ------------------------------------------------------------------------------------------


def _log_optimum(law, target_loss, log_t):
    n, d = optimum(law, target_loss, jnp.exp(log_t))
    return jnp.log(n), jnp.log(d)


def test_inference_aware_gradients_match_finite_differences():
    # Vectorised over (l, T) cases, including T = 0; derivatives w.r.t. law, l and log T.
    with enable_x64():
        law = LossLaw(*(jnp.float64(v) for v in SARDANA_2024))
        target_loss = jnp.array([1.947, 2.3, 1.8, 2.04528])
        log_t = jnp.log(jnp.array([2e12, 1e10, 1e15, 1e18]))
        check_grads(jax.jit(_log_optimum), (law, target_loss, log_t), order=1,
                    modes=("fwd", "rev"), atol=1e-6, rtol=1e-5)
        # T = 0 is the edge of the domain (central differences would step to T < 0): compare
        # the IFT derivative w.r.t. T with a one-sided difference, h = 1e6 tokens.
        f = jax.jit(lambda t: jnp.log(optimum(law, jnp.float64(1.9), t)[0]))
        h = 1e6
        one_sided = (f(jnp.float64(h)) - f(jnp.float64(0.0))) / h
        np.testing.assert_allclose(float(jax.grad(f)(jnp.float64(0.0))), float(one_sided),
                                   rtol=1e-4)


def test_gradient_at_zero_inference_matches_closed_form():
    # At T = 0 the IFT derivative must equal the derivative of the closed form, for every
    # law field and the target loss. Tolerance 1e-3 relative (float32 bisection root).
    def log_sizes(solver):
        return lambda w, l: jnp.log(jnp.stack(solver(w, l)))

    @jax.jit
    def both(w, l):
        iff = jax.jacrev(log_sizes(lambda w_, l_: optimum(w_, l_, 0.0)), argnums=(0, 1))(w, l)
        closed = jax.jacrev(log_sizes(chinchilla_style_optimum), argnums=(0, 1))(w, l)
        return iff, closed

    iff, closed = both(SARDANA_2024, 1.95)
    for a, b in zip(jax.tree_util.tree_leaves(iff), jax.tree_util.tree_leaves(closed)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-5)


def test_closed_form_gradients_match_finite_differences():
    with enable_x64():
        law = LossLaw(*(jnp.float64(v) for v in HOFFMANN_2022_UNROUNDED))
        check_grads(jax.jit(lambda w, lc: jnp.log(jnp.stack(compute_optimal(w, jnp.exp(lc)))),
                    ), (law, jnp.float64(np.log(5.76e23))), order=1, modes=("fwd", "rev"))
        check_grads(jax.jit(compute_overhead_smaller_model),
                    (jnp.float64(0.5), jnp.float64(0.336), jnp.float64(0.283)), order=1,
                    modes=("fwd", "rev"))


# ------------------------------------------------------------------------------------------
# Properties: valid inputs never give NaN/inf values or gradients (float32)
# ------------------------------------------------------------------------------------------


@jax.jit
def _values_and_grads(law, target_loss, log_t):
    def objective(w, l, lt):
        log_n, log_d = _log_optimum(w, l, lt)
        return log_n + log_d

    values = _log_optimum(law, target_loss, log_t)
    grads = jax.grad(objective, argnums=(0, 1, 2))(law, target_loss, log_t)
    return values, grads


@settings(max_examples=50, deadline=None)
@given(
    E=st.floats(1.0, 2.0),
    A=st.floats(100.0, 3000.0),
    B=st.floats(100.0, 3000.0),
    alpha=st.floats(0.2, 0.5),
    beta=st.floats(0.2, 0.5),
    excess=st.floats(0.05, 3.0),
    log10_t=st.floats(0.0, 16.0),
)
def test_valid_inputs_give_finite_values_and_gradients(E, A, B, alpha, beta, excess, log10_t):
    law = LossLaw(E, A, B, alpha, beta)
    values, grads = _values_and_grads(law, E + excess, log10_t * np.log(10.0))
    leaves = jax.tree_util.tree_leaves((values, grads))
    assert all(np.all(np.isfinite(np.asarray(x))) for x in leaves)
    n, d = np.exp(np.asarray(values, dtype=float))
    np.testing.assert_allclose(float(loss(law, n, d)), E + excess, rtol=1e-4)


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [1.69, 1.0, float("nan"), -3.0])
def test_infeasible_target_loss_raises_naming_the_field(bad):
    with pytest.raises(ValueError, match=r"target_loss: .* allowed \(1\.69, inf\) nats/token"):
        validate_target_loss(SARDANA_2024, bad)
    with pytest.raises(ValueError, match="target_loss"):
        inference_aware_optimum_checked(SARDANA_2024, bad, 2e12)


def test_negative_inference_tokens_raise_naming_the_field():
    with pytest.raises(ValueError, match="inference_tokens"):
        inference_aware_optimum_checked(SARDANA_2024, 1.947, -1.0)


def test_checked_wrapper_agrees_and_pure_function_flags_infeasible_as_nan():
    n, d = inference_aware_optimum_checked(SARDANA_2024, 1.947, 2e12)
    np.testing.assert_allclose(float(n), 2.418e10, rtol=5e-3)
    n_bad, d_bad = jax.jit(inference_aware_optimum)(SARDANA_2024, 1.6, 2e12)
    assert np.isnan(float(n_bad)) and np.isnan(float(d_bad))
    validate_target_loss(SARDANA_2024, np.array([1.8, 2.0]))  # valid arrays pass
    with pytest.raises(ValueError, match=r"target_loss: 1\.5 \(element 1\) is out of range"):
        validate_target_loss(SARDANA_2024, np.array([1.8, 1.5]))


def test_public_surface():
    for name in sl.__all__:
        assert hasattr(sl, name)
