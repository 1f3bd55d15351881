"""Tests for workbook.newsvendor: published numbers, smooth -> sharp, gradients, properties."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.newsvendor import (
    DisruptedSupply,
    Newsvendor,
    disruption_expected_cost,
    disruption_length_probabilities,
    disruption_optimal_cost,
    disruption_optimal_level,
    fraction_of_time_up,
    newsvendor_expected_cost,
    newsvendor_optimal_cost,
    newsvendor_optimal_level,
    smooth_disruption_expected_cost,
)

# jitted once: eager JAX compiles every primitive separately, which dominates test time
_cost_and_grads = jax.jit(jax.value_and_grad(disruption_expected_cost, argnums=(0, 1)))
_cost = jax.jit(disruption_expected_cost)
_smooth_cost = jax.jit(smooth_disruption_expected_cost)
_smooth_slope = jax.jit(jax.grad(smooth_disruption_expected_cost))
_level = jax.jit(disruption_optimal_level)
_nv_cost_and_grads = jax.jit(jax.value_and_grad(newsvendor_expected_cost, argnums=(0, 1)))
_nv_cost = jax.jit(newsvendor_expected_cost)
_nv_optimal_cost = jax.jit(newsvendor_optimal_cost)
_nv_level = jax.jit(newsvendor_optimal_level)

EX93 = DisruptedSupply()  # Snyder & Shen (2019) Example 9.3: h .25, p 3, d 2000, a .04, b .25


def _as_f64(model):
    return type(model)(*[jnp.float64(x) for x in model])


def _brute_force_cost(S, model, n=4000):
    """Truncated-sum reference in NumPy (float64): sum_k P(K=k) [h (S-D)+ + p (D-S)+]."""
    h, p, d, a, b = (float(x) for x in model)
    k = np.arange(n)
    pi_up = b / (a + b)
    prob = np.where(k == 0, pi_up, pi_up * a * (1 - b) ** np.maximum(k - 1, 0))
    D = (k + 1) * d
    return float(np.sum(prob * (h * np.maximum(S - D, 0) + p * np.maximum(D - S, 0))))


# --- published numbers ----------------------------------------------------------------------


def test_plain_newsvendor_published():
    # Snyder & Shen (2019), normal newsvendor h=2, p=18, N(120, 10^2): S* = 132.8155,
    # g(S*) = 35.0997, 4 decimals published: abs 5e-5 (half the last digit); float32 suffices
    # (ulp of 132.8 is 1.5e-5).
    nv = Newsvendor()
    assert float(_nv_level(nv)) == pytest.approx(132.8155, abs=5e-5)
    assert float(_nv_optimal_cost(nv)) == pytest.approx(35.0997, abs=5e-5)
    assert float(_nv_cost(132.8155, nv)) == pytest.approx(35.0997, abs=5e-5)


def test_disruption_example_9_3_float32():
    # Snyder & Shen (2019) Ex. 9.3: S* = 8000, g(S*) = 2737.0689, g(1200) = 5710.3448.
    # float32 carries ~7 digits, so relative tolerance 1e-6 (2.7e-3 abs).
    assert float(_level(EX93)) == 8000.0
    assert float(jax.jit(disruption_optimal_cost)(EX93)) == pytest.approx(2737.0689, rel=1e-6)
    assert float(_cost(1200.0, EX93)) == pytest.approx(5710.3448, rel=1e-6)


def test_disruption_example_9_3_x64():
    # Same oracle in float64. We get 2737.068965517..., so the published 2737.0689 is
    # truncated, not rounded (rounding gives 2737.0690): tolerance abs 1e-4 = one unit in the
    # last published digit. 5710.344827586... agrees to the published digits (abs 5e-5).
    with jax.enable_x64(True):
        m = _as_f64(EX93)
        assert float(disruption_optimal_cost(m)) == pytest.approx(2737.0689, abs=1e-4)
        assert float(disruption_expected_cost(jnp.float64(1200.0), m)) == pytest.approx(
            5710.3448, abs=5e-5
        )


# --- closed form vs brute force, optimality ------------------------------------------------


@pytest.mark.parametrize("S", [0.0, 1200.0, 2000.0, 3999.0, 5000.0, 8000.0, 12345.0, 30000.0])
def test_disruption_closed_form_matches_truncated_sum(S):
    assert float(_cost(S, EX93)) == pytest.approx(
        _brute_force_cost(S, EX93), rel=2e-6
    )


def test_disruption_optimum_beats_grid():
    grid = jnp.linspace(0.0, 30000.0, 3001)
    costs = jax.jit(jax.vmap(disruption_expected_cost, in_axes=(0, None)))(grid, EX93)
    assert float(disruption_optimal_cost(EX93)) <= float(jnp.min(costs)) * (1 + 1e-6)
    assert float(grid[jnp.argmin(costs)]) == 8000.0


def test_length_probabilities_sum_to_one():
    probs = np.asarray(disruption_length_probabilities(EX93, 400))
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert probs[0] == pytest.approx(0.25 / 0.29)
    assert float(fraction_of_time_up(0.04, 0.25)) == pytest.approx(0.25 / 0.29)


def test_plain_newsvendor_optimum_is_stationary():
    nv = Newsvendor()
    s_star = newsvendor_optimal_level(nv)
    assert abs(float(_nv_cost_and_grads(s_star, nv)[1][0])) < 1e-4


# --- smooth -> sharp, gradients -------------------------------------------------------------


@pytest.mark.parametrize("S", [1200.0, 5000.0, 8000.0, 9000.0])
def test_smooth_disruption_cost_converges(S):
    sharp = float(_cost(S, EX93))
    errors = []
    for tau in (100.0, 10.0, 1.0, 0.1):
        smooth = float(_smooth_cost(S, EX93, tau))
        # bound: 0 <= smooth - sharp <= (h + p) tau log 2 (+ float32 slack)
        assert -1e-2 <= smooth - sharp <= 3.25 * tau * np.log(2) + 1e-2
        errors.append(abs(smooth - sharp))
    assert errors[-1] <= 0.25


def test_smooth_gradient_informative_at_kink():
    # At S = 8000 (a kink) the smooth slope lies between the two one-sided slopes.
    left = float(_cost_and_grads(7999.0, EX93)[1][0])
    right = float(_cost_and_grads(8001.0, EX93)[1][0])
    mid = float(_smooth_slope(8000.0, EX93, 50.0))
    assert left < mid < right


@pytest.mark.parametrize("S", [1500.0, 5000.0, 9000.0])
def test_disruption_gradients_match_finite_differences(S):
    # float32 central differences (relative step 1e-2 for alpha, beta, 1 unit for S; the cost
    # is linear in S between kinks, in h and p, and smooth in alpha and beta): rel 1e-3, abs 1e-2 where the
    # true derivative is 0 (dg/dh = E[(S - D)+] = 0 for S < d).
    g = _cost_and_grads(S, EX93)[1]
    fd_s = (float(_cost(S + 1.0, EX93)) - float(_cost(S - 1.0, EX93))) / 2.0
    assert float(g[0]) == pytest.approx(fd_s, rel=1e-3, abs=1e-2)
    for field in ("holding_cost", "stockout_cost", "disruption_probability",
                  "recovery_probability"):
        x = float(getattr(EX93, field))
        # g is linear in h and p, so a large step is exact there and beats round-off
        step = (0.5 if field in ("holding_cost", "stockout_cost") else 1e-2) * x
        up = float(_cost(S, EX93._replace(**{field: x + step})))
        down = float(_cost(S, EX93._replace(**{field: x - step})))
        fd = (up - down) / (2 * step)
        assert float(getattr(g[1], field)) == pytest.approx(fd, rel=1e-3, abs=1e-2), field


def test_plain_newsvendor_gradient_matches_fd():
    nv = Newsvendor()
    g = _nv_cost_and_grads(125.0, nv)[1]
    f = lambda s, **kw: float(_nv_cost(s, nv._replace(**kw)))
    # float32 central differences, step 1e-2: rel 1e-3
    assert float(g[0]) == pytest.approx((f(125.01) - f(124.99)) / 0.02, rel=1e-3)
    fd_sd = (f(125.0, sd_demand=10.01) - f(125.0, sd_demand=9.99)) / 0.02
    assert float(g[1].sd_demand) == pytest.approx(fd_sd, rel=1e-3)


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    h=st.floats(0.01, 10.0),
    p=st.floats(0.1, 100.0),
    d=st.floats(1.0, 1e4),
    alpha=st.floats(0.001, 0.5),
    beta=st.floats(0.02, 1.0),
    cover=st.floats(0.0, 20.0),
)
def test_disruption_cost_finite_and_optimal(h, p, d, alpha, beta, cover):
    m = DisruptedSupply(h, p, d, alpha, beta)
    S = cover * d
    value, grads = _cost_and_grads(S, m)
    assert np.isfinite(float(value)) and float(value) >= -1e-3 * (1 + S)
    assert all(np.isfinite(float(x)) for x in jax.tree_util.tree_leaves(grads))
    s_star = float(_level(m))
    best = float(_cost(s_star, m))
    # optimum is no worse than S and the neighbouring multiples of d (float32 slack)
    for other in (S, s_star - d, s_star + d):
        assert best <= float(_cost(max(other, 0.0), m)) * (1 + 1e-5) + 1e-3


@settings(max_examples=50, deadline=None)
@given(h=st.floats(0.01, 10.0), p=st.floats(0.01, 100.0), mu=st.floats(0.0, 1e3),
       sd=st.floats(0.1, 100.0), z=st.floats(-4.0, 4.0))
def test_plain_newsvendor_finite(h, p, mu, sd, z):
    nv = Newsvendor(h, p, mu, sd)
    value, grads = _nv_cost_and_grads(mu + z * sd, nv)
    assert np.isfinite(float(value))
    assert all(np.isfinite(float(x)) for x in jax.tree_util.tree_leaves(grads))
    assert float(_nv_optimal_cost(nv)) <= float(value) * (1 + 1e-5) + 1e-4
