"""Tests for workbook.portfolio: Rockafellar-Uryasev (2000) example, CVaR, projections, sourcing."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.econ.bargaining import Supplier
from workbook.econ.portfolio import (
    cvar,
    mean_cvar_cost,
    minimum_on_capped_simplex,
    normal_cvar,
    normal_value_at_risk,
    GAP_TOLERANCE,
    KKT_TOLERANCE,
    optimal_allocation,
    optimal_cost,
    solve_allocation,
    project_onto_capped_simplex,
    project_onto_simplex,
    rockafellar_uryasev_objective,
    scenario_costs,
    scenario_probabilities,
    smooth_cvar,
    validate_capacity,
    value_at_risk,
    value_of_alternative,
)

# Rockafellar & Uryasev (2000), "Optimization of conditional value-at-risk", J. Risk 2(3),
# section 3 example (three assets, normal returns), as given in targets.md.
RU_MEAN = jnp.array([0.0101110, 0.0043532, 0.0137058])
RU_COV = jnp.array([
    [0.00324625, 0.00022983, 0.00420395],
    [0.00022983, 0.00049937, 0.00019247],
    [0.00420395, 0.00019247, 0.00764097],
])
RU_WEIGHTS = np.array([0.452013, 0.115573, 0.432414])
RU_VARIANCE = 0.00378529
RU_RISK = {0.90: (0.067847, 0.096975), 0.95: (0.090200, 0.115908), 0.99: (0.132128, 0.152977)}
RU_RETURN = 0.011

SUPPLIERS = Supplier(  # incumbent, hyperscaler TPU-like, start-up (cheap, unreliable, small)
    price_per_unit=jnp.array([2.0, 1.3, 0.3]),
    eta=jnp.array([1.0, 0.9, 1.2]),
    switching_cost_per_unit=jnp.array([0.0, 0.1, 0.2]),
    capacity=jnp.array([jnp.inf, 0.6, 0.3]),
    delivery_probability=jnp.array([0.97, 0.9, 0.5]),
    available_from_year=jnp.array([2024.0, 2025.0, 2027.0]),
)
SPOT = 6.0  # USD per M tokens for undelivered demand

# Jitted once and shared: compilation, not arithmetic, dominates the run time of these tests.
_grid_costs = jax.jit(jax.vmap(mean_cvar_cost, in_axes=(0, None, None, None, None)))
_ru_grid = jax.jit(jax.vmap(rockafellar_uryasev_objective, in_axes=(0, None, None, None)))
_cost_and_grads = jax.jit(jax.value_and_grad(mean_cvar_cost, argnums=(0, 1, 2)))
_mean_cvar = jax.jit(mean_cvar_cost)
_cvar = jax.jit(cvar)


def _lp_optimum(suppliers, spot, lam, beta):
    """The exact Rockafellar-Uryasev LP of the same problem, solved by HiGHS (scipy, float64).

    Variables (x, t, z): min g.x + lam t + lam p.z / (1 - b) s.t. A x - t - z <= 0, z >= 0,
    sum x = 1, 0 <= x <= min(cap, 1). Returns (optimal value, x).
    """
    from scipy.optimize import linprog

    e = np.asarray(suppliers.price_per_unit, float) / np.asarray(suppliers.eta, float) + np.asarray(
        suppliers.switching_cost_per_unit, float)
    prob = np.asarray(suppliers.delivery_probability, float)
    caps = np.minimum(np.asarray(suppliers.capacity, float), 1.0)
    n = e.size
    d = delivery_scenarios(n).astype(float)
    a = d * e[None, :] + (1 - d) * spot
    p = np.prod(d * prob + (1 - d) * (1 - prob), axis=1)
    m = p.size
    cost = np.concatenate([p @ a, [lam], lam * p / (1 - beta)])
    a_ub = np.hstack([a, -np.ones((m, 1)), -np.eye(m)])
    a_eq = np.concatenate([np.ones(n), [0.0], np.zeros(m)])[None, :]
    bounds = [(0.0, c) for c in caps] + [(None, None)] + [(0.0, None)] * m
    r = linprog(cost, A_ub=a_ub, b_ub=np.zeros(m), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs",
                options=dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10))
    assert r.status == 0, r.message
    return float(r.fun), r.x[:n]


# --- CVaR -----------------------------------------------------------------------------------


def test_cvar_small_example():
    # four equally likely losses, beta 0.5: VaR = 1, CVaR = mean of the top half = 2.5
    x, p = jnp.array([3.0, 0.0, 2.0, 1.0]), jnp.full(4, 0.25)
    assert float(jax.jit(value_at_risk)(x, p, 0.5)) == 1.0
    assert float(_cvar(x, p, 0.5)) == pytest.approx(2.5)
    # atom splitting: beta 0.6 -> (0.15 * 2 + 0.25 * 3) / 0.4
    assert float(_cvar(x, p, 0.6)) == pytest.approx((0.15 * 2 + 0.25 * 3) / 0.4, rel=1e-6)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), beta=st.floats(0.05, 0.98))
def test_cvar_is_minimum_of_ru_function(seed, beta):
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.normal(size=12), jnp.float32)
    p = jnp.asarray(rng.dirichlet(np.ones(12)), jnp.float32)
    exact = float(_cvar(x, p, beta))
    ts = jnp.concatenate([x, jnp.linspace(-4.0, 4.0, 401)])
    grid = _ru_grid(ts, x, p, beta)
    assert exact == pytest.approx(float(jnp.min(grid)), rel=1e-5, abs=1e-5)
    # CVaR lies between the mean and the maximum loss
    assert float(jnp.sum(p * x)) - 1e-5 <= exact <= float(jnp.max(x)) + 1e-5


def test_cvar_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    p = rng.dirichlet(np.ones(20))
    beta = 0.8
    x32, p32 = jnp.asarray(x, jnp.float32), jnp.asarray(p, jnp.float32)
    g = np.asarray(jax.jit(jax.grad(cvar))(x32, p32, beta))
    # CVaR is piecewise linear in the losses: central differences with eps below the gap
    # between losses are exact up to float32 round-off (abs 2e-3).
    eps = 1e-3
    shifts = jnp.asarray(np.eye(20) * eps, jnp.float32)
    up = jax.vmap(_cvar, in_axes=(0, None, None))(x32 + shifts, p32, beta)
    down = jax.vmap(_cvar, in_axes=(0, None, None))(x32 - shifts, p32, beta)
    fd = np.asarray(up - down) / (2 * eps)
    np.testing.assert_allclose(g, fd, atol=2e-3)
    assert g.sum() == pytest.approx(1.0, abs=1e-5)  # CVaR weights sum to one


def test_smooth_cvar_converges_to_sharp():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=50), jnp.float32)
    p = jnp.full(50, 1 / 50, jnp.float32)
    sharp = float(_cvar(x, p, 0.9))
    f = jax.jit(smooth_cvar)
    errs = []
    for tau in (0.3, 0.1, 0.01, 1e-3):
        err = float(f(x, p, 0.9, tau)) - sharp
        assert -1e-5 <= err <= tau * np.log(2) / 0.1 + 1e-5  # documented bound
        errs.append(err)
    assert errs == sorted(errs, reverse=True) and errs[-1] < 2e-3
    # smooth gradient: finite, sums to 1, spreads weight near VaR
    g = jax.jit(jax.grad(smooth_cvar))(x, p, 0.9, 0.1)
    assert float(jnp.sum(g)) == pytest.approx(1.0, abs=1e-4)


# --- Rockafellar & Uryasev (2000) example ---------------------------------------------------


def test_ru_portfolio_variance_and_return():
    w = jnp.asarray(RU_WEIGHTS, jnp.float32)
    # published variance 0.00378529 at published (rounded) weights: rel 1e-5
    assert float(w @ RU_COV @ w) == pytest.approx(RU_VARIANCE, rel=1e-5)
    assert float(w @ RU_MEAN) == pytest.approx(RU_RETURN, abs=1e-7)  # constraint binds


@pytest.mark.parametrize("beta", sorted(RU_RISK))
def test_ru_analytic_normal_var_cvar(beta):
    # (a) CVaR = -mu_p + sigma_p phi(z_b)/(1-b) at the published weights; VaR = -mu_p + sigma_p
    # z_b. Published to 6 decimals; weights are rounded to 6 digits, so abs 2e-6 (float32).
    w = jnp.asarray(RU_WEIGHTS, jnp.float32)
    mu_p, sd_p = w @ RU_MEAN, jnp.sqrt(w @ RU_COV @ w)
    var, cv = RU_RISK[beta]
    assert float(normal_value_at_risk(-mu_p, sd_p, beta)) == pytest.approx(var, abs=2e-6)
    assert float(normal_cvar(-mu_p, sd_p, beta)) == pytest.approx(cv, abs=2e-6)


@functools.partial(jax.jit, static_argnames=("outer", "steps"))
def _ru_min_cvar_weights(beta, rho=100.0, outer=15, steps=2000):
    """min CVaR_b s.t. w on simplex, mu.w >= 0.011: augmented-Lagrangian penalty on the
    (scaled) return constraint, inner solve by minimum_on_capped_simplex."""

    def outer_step(carry, _):
        w, lam = carry

        def objective(x, t):
            gap = (RU_RETURN - x @ RU_MEAN) / 0.01
            risk = normal_cvar(-x @ RU_MEAN, jnp.sqrt(x @ RU_COV @ x), beta)
            return risk + 0.5 * rho * jnp.maximum(0.0, gap + lam / rho) ** 2

        w, _ = minimum_on_capped_simplex(objective, w, jnp.ones(3), 0.0,
                                         step_size=0.5 / (rho + 10.0), n_steps=steps)
        lam = jnp.maximum(0.0, lam + rho * (RU_RETURN - w @ RU_MEAN) / 0.01)
        return (w, lam), None

    (w, _), _ = jax.lax.scan(outer_step, (jnp.ones(3) / 3, jnp.asarray(0.0)), None, length=outer)
    return w


@pytest.mark.parametrize("beta", sorted(RU_RISK))
def test_ru_optimiser_recovers_published_weights(beta):
    # (b) min-CVaR = min-variance for normal returns; tolerance 5e-4 abs per weight
    # (observed ~5e-5; the brief allows 2e-3).
    w = np.asarray(_ru_min_cvar_weights(beta))
    np.testing.assert_allclose(w, RU_WEIGHTS, atol=5e-4)
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert float(w @ np.asarray(RU_MEAN)) >= RU_RETURN - 1e-6


def test_ru_sample_cvar_matches_analytic():
    # (c) Rockafellar-Uryasev sample formula on 200,000 fixed-seed normal returns (NumPy seed
    # 2000). Tolerance 3% relative: the standard error at beta = 0.99 (2,000 tail points) is
    # about 0.5%; observed errors are printed on failure.
    rng = np.random.default_rng(2000)
    n = 200_000
    returns = rng.multivariate_normal(np.asarray(RU_MEAN), np.asarray(RU_COV), size=n)
    losses = jnp.asarray(-(returns @ RU_WEIGHTS), jnp.float32)
    p = jnp.full(n, 1.0 / n, jnp.float32)
    for beta, (var, cv) in RU_RISK.items():
        assert float(_cvar(losses, p, beta)) == pytest.approx(cv, rel=0.03), beta
        assert float(jax.jit(value_at_risk)(losses, p, beta)) == pytest.approx(var, rel=0.03), beta


# --- projections ----------------------------------------------------------------------------


def _reference_projection(y, caps):
    """NumPy bisection on nu for clip(y - nu, 0, cap) summing to 1 (float64)."""
    lo, hi = y.min() - 1.0, y.max()
    for _ in range(200):
        nu = 0.5 * (lo + hi)
        if np.clip(y - nu, 0, caps).sum() > 1:
            lo = nu
        else:
            hi = nu
    return np.clip(y - 0.5 * (lo + hi), 0, caps)


_project = jax.jit(project_onto_capped_simplex)
_duchi = jax.jit(project_onto_simplex)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(0.01, 10.0))
def test_capped_projection_matches_reference(seed, scale):
    rng = np.random.default_rng(seed)
    n = 6  # fixed so the projection compiles once
    y = rng.normal(size=n) * scale
    caps = rng.uniform(0.0, 1.0, size=n)
    caps = caps / caps.sum() * rng.uniform(1.0, 2.0)  # feasible: sum caps >= 1
    x = np.asarray(_project(jnp.asarray(y, jnp.float32), jnp.asarray(caps, jnp.float32)))
    assert x.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.all(x >= 0) and np.all(x <= caps + 1e-6)
    np.testing.assert_allclose(x, _reference_projection(y, caps), atol=2e-5)


def test_uncapped_projection_is_duchi():
    rng = np.random.default_rng(3)
    for _ in range(5):
        y = jnp.asarray(rng.normal(size=6), jnp.float32)
        a, b = _duchi(y), _project(y, jnp.full(6, jnp.inf))
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)
        assert float(jnp.sum(a)) == pytest.approx(1.0, abs=1e-6)


def test_projection_gradient_matches_finite_differences():
    y = np.array([0.5, 0.2, -0.1, 0.5, 0.0, 0.3])  # x = (.4, .1, 0, .3 capped, 0, .2): no ties
    caps = np.array([0.45, 1.0, 1.0, 0.3, 1.0, 1.0])
    J = np.asarray(jax.jit(jax.jacobian(project_onto_capped_simplex))(
        jnp.asarray(y, jnp.float32), jnp.asarray(caps, jnp.float32)))
    eps = 1e-4
    fd = np.stack([(_reference_projection(y + eps * e, caps) - _reference_projection(y - eps * e, caps))
                   / (2 * eps) for e in np.eye(6)], axis=1)
    np.testing.assert_allclose(J, fd, atol=1e-3)


# --- sourcing under disruptions: the converged solver --------------------------------------


def test_scenarios_cover_probability_and_cost():
    probs = scenario_probabilities(SUPPLIERS.delivery_probability)
    assert probs.shape == (8,) and float(jnp.sum(probs)) == pytest.approx(1.0, abs=1e-6)
    costs = scenario_costs(jnp.array([0.5, 0.5, 0.0]), jnp.array([2.0, 1.0, 0.5]), SPOT)
    assert float(costs[0]) == pytest.approx(SPOT)  # nobody delivers
    assert float(costs[-1]) == pytest.approx(1.5)  # everybody delivers


def _f64(s):
    """``s`` with float64 fields (call under ``jax.enable_x64``)."""
    return Supplier(*(jnp.asarray(np.asarray(f, dtype=np.float64)) for f in s))


def _random_suppliers(seed, n):
    rng = np.random.default_rng(seed)
    caps = rng.uniform(0.1, 0.8, n)
    caps[0] = np.inf  # one supplier can always cover demand
    return Supplier(jnp.asarray(rng.uniform(0.5, 3.0, n)), jnp.asarray(rng.uniform(0.6, 1.2, n)),
                    jnp.asarray(rng.uniform(0.0, 0.3, n)), jnp.asarray(caps), jnp.asarray(rng.uniform(0.3, 1.0, n)),
                    jnp.full(n, 2025.0))


@pytest.mark.parametrize("seed,n,lam", [(0, 3, 0.0), (1, 3, 0.5), (2, 5, 1.0), (3, 5, 2.0), (4, 7, 5.0), (5, 9, 1.0)])
def test_solver_matches_exact_lp(seed, n, lam):
    # The converged solver against HiGHS on the same LP, float64: objective and shares within 1e-6
    # (observed ~1e-8); the solver's own certificate (duality gap) within its stated tolerance.
    with jax.enable_x64(True):
        s = _random_suppliers(seed, n)
        r = solve_allocation(s, 5.0, lam, 0.95)
        value, x_lp = _lp_optimum(s, 5.0, lam, 0.95)
        assert bool(r.converged)
        assert float(r.objective) == pytest.approx(value, abs=1e-6)
        assert float(_mean_cvar(r.shares, s, 5.0, lam, 0.95)) == pytest.approx(value, abs=1e-6)  # sharp at x
        np.testing.assert_allclose(np.asarray(r.shares), x_lp, atol=1e-6)
        assert 0.0 <= float(r.duality_gap) <= 1e-6 * max(float(jnp.max(s.price_per_unit / s.eta
                                                                         + s.switching_cost_per_unit)), 5.0)
        assert float(r.kkt_residual) <= KKT_TOLERANCE


@pytest.mark.parametrize("lam", [0.0, 0.5, 2.0])
def test_solver_matches_lp_in_float32(lam):
    # default precision (float32 in and out, float64 inside): objective within 1e-6 relative
    r = solve_allocation(SUPPLIERS, SPOT, lam, 0.95)
    value, x_lp = _lp_optimum(SUPPLIERS, SPOT, lam, 0.95)
    assert bool(r.converged)
    assert float(r.objective) == pytest.approx(value, rel=1e-6)
    np.testing.assert_allclose(np.asarray(r.shares), x_lp, atol=1e-5)


def test_certificate_is_a_true_bound():
    # the certified gap bounds the distance to the LP optimum from above, at every temperature
    with jax.enable_x64(True):
        s = _random_suppliers(7, 4)
        value, _ = _lp_optimum(s, 5.0, 1.0, 0.9)
        for tau in (1e-2, 1e-4, 1e-10):
            r = solve_allocation(s, 5.0, 1.0, 0.9, tau)
            sharp = float(_mean_cvar(r.shares, s, 5.0, 1.0, 0.9))
            assert sharp - value <= float(r.duality_gap) + 1e-9
            assert float(r.objective) >= value - 1e-9  # a feasible point of the LP


def test_allocation_smooth_converges_to_sharp():
    # the barrier temperature is the smoothing: the objective on the central path exceeds the LP
    # optimum by at most nu mu K (nu = 2n + 2 lam / (1 - b)); shares converge to the LP's
    with jax.enable_x64(True):
        value, x_lp = _lp_optimum(SUPPLIERS, SPOT, 2.0, 0.95)
        errors, dists = [], []
        for tau in (1e-2, 1e-3, 1e-4, 1e-6, 1e-10):
            r = solve_allocation(SUPPLIERS, SPOT, 2.0, 0.95, tau)
            err = float(r.objective) - value
            # nu mu K, plus the solver's float64 floor (GAP_TOLERANCE K)
            assert -1e-9 <= err <= (2 * 3 + 2 * 2.0 / 0.05) * tau * SPOT + GAP_TOLERANCE * SPOT
            errors.append(err)
            dists.append(float(np.max(np.abs(np.asarray(r.shares) - x_lp))))
        assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-6
        assert dists[-1] < 1e-6 and dists[0] > dists[-1]


def test_optimal_cost_gradient_is_implicit_and_matches_finite_differences():
    # Gradient of the smooth optimum (temperature 1e-3) by implicit differentiation against central
    # differences of the same converged solver (float64: step 1e-5, tolerance rel 1e-4).
    with jax.enable_x64(True):
        tau, lam = 1e-3, 0.5
        sup = _f64(SUPPLIERS)
        g = jax.grad(lambda s: optimal_cost(s, SPOT, lam, 0.95, tau))(sup)
        for leaf in jax.tree_util.tree_leaves(g):
            assert np.all(np.isfinite(np.asarray(leaf)))
        eps = 1e-5
        for field, i in (("price_per_unit", 0), ("price_per_unit", 1), ("delivery_probability", 1),
                         ("eta", 1), ("switching_cost_per_unit", 2), ("capacity", 1)):
            def at(dv):
                vals = getattr(sup, field).at[i].add(dv)
                return float(optimal_cost(sup._replace(**{field: vals}), SPOT, lam, 0.95, tau))

            fd = (at(eps) - at(-eps)) / (2 * eps)
            assert float(getattr(g, field)[i]) == pytest.approx(fd, rel=1e-4, abs=1e-6), (field, i)


def test_sharp_gradient_is_the_lp_sensitivity():
    # At the sharp temperature d(optimum)/d(price_0) is the LP's: the expected quantity bought from
    # supplier 0 weighted by the risk measure, checked against finite differences of HiGHS.
    with jax.enable_x64(True):
        g = jax.grad(lambda s: optimal_cost(s, SPOT, 0.5, 0.95))(_f64(SUPPLIERS))
        eps = 1e-4

        def lp_at(dv):
            return _lp_optimum(SUPPLIERS._replace(price_per_unit=SUPPLIERS.price_per_unit.at[1].add(dv)),
                               SPOT, 0.5, 0.95)[0]

        fd = (lp_at(eps) - lp_at(-eps)) / (2 * eps)
        # the LP value is piecewise linear in the price: rel 1e-3 (observed 2e-4) allows for a
        # breakpoint of the tail's composition within the step
        assert float(g.price_per_unit[1]) == pytest.approx(fd, rel=1e-3)


def test_capacity_validation():
    with pytest.raises(ValueError, match="demand exceeds total capacity"):
        validate_capacity(jnp.array([0.3, 0.4]))
    short = SUPPLIERS._replace(capacity=jnp.array([0.2, 0.5, 0.2]))
    with pytest.raises(ValueError, match=r"demand exceeds total capacity: sum of capacities = 0.9"):
        optimal_allocation(short, SPOT)
    with pytest.raises(ValueError, match="demand exceeds total capacity"):
        value_of_alternative(0, SUPPLIERS, SPOT)  # 0.6 + 0.3 < 1 without the incumbent


def test_value_of_alternative_matches_lp():
    lam = 0.5
    v = float(value_of_alternative(1, SUPPLIERS, SPOT, lam))
    without = SUPPLIERS._replace(capacity=SUPPLIERS.capacity.at[1].set(0.0))
    with_cost, _ = _lp_optimum(SUPPLIERS, SPOT, lam, 0.95)
    without_cost, _ = _lp_optimum(without, SPOT, lam, 0.95)
    assert v > 0
    assert v == pytest.approx(without_cost - with_cost, abs=1e-5)


_supplier3 = st.tuples(
    st.lists(st.floats(0.1, 10.0), min_size=3, max_size=3),  # price
    st.lists(st.floats(0.2, 1.5), min_size=3, max_size=3),  # eta
    st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),  # switching cost
    st.lists(st.floats(0.34, 3.0), min_size=3, max_size=3),  # capacity: sum > 1
    st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),  # delivery probability
)


@settings(max_examples=30, deadline=None)
@given(fields=_supplier3, lam=st.floats(0.0, 3.0), beta=st.floats(0.5, 0.99),
       spot=st.floats(0.5, 20.0))
def test_allocation_converges_on_capped_simplex(fields, lam, beta, spot):
    s = Supplier(*[jnp.asarray(f, jnp.float32) for f in fields], jnp.zeros(3))
    r = solve_allocation(s, spot, lam, beta)
    x = np.asarray(r.shares)
    caps = np.minimum(np.asarray(fields[3]), 1.0)
    assert np.all(np.isfinite(x))
    assert x.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.all(x >= -1e-7) and np.all(x <= caps + 1e-6)
    assert bool(r.converged), r
    value, _ = _lp_optimum(s, spot, lam, beta)
    assert float(r.objective) == pytest.approx(value, rel=2e-6, abs=1e-6)
    cost, grads = _cost_and_grads(jnp.asarray(x), s, spot, lam, beta)
    assert np.isfinite(float(cost))
    assert all(np.all(np.isfinite(np.asarray(a))) for a in jax.tree_util.tree_leaves(grads))


# --- input checks and the size bound --------------------------------------------------------

from workbook.econ.portfolio import MAX_SUPPLIERS, delivery_scenarios  # noqa: E402
from workbook.errors import InputError  # noqa: E402

P4 = jnp.full(4, 0.25)
X4 = jnp.array([0.0, 1.0, 2.0, 3.0])


@pytest.mark.parametrize("call,message", [
    (lambda: cvar(X4, jnp.full(4, 0.5), 0.5), r"probabilities: they sum to 2; allowed: a sum of 1"),
    (lambda: cvar(X4, P4, 1.0), r"beta: 1 is out of range; allowed \(0, 1\)"),
    (lambda: value_at_risk(X4, jnp.array([1.5, -0.5, 0.0, 0.0]), 0.5), r"probabilities: 1\.5 \(element 0\)"),
    (lambda: smooth_cvar(X4, P4, 0.9, 0.0), r"temperature: 0 is out of range; allowed \(0, inf\)"),
    (lambda: rockafellar_uryasev_objective(1.0, X4, P4, 1.0), r"beta: 1 is out of range; allowed \[0, 1\)"),
    (lambda: normal_cvar(0.0, -1.0, 0.95), r"sd_loss: -1 is out of range"),
    (lambda: normal_value_at_risk(0.0, 1.0, 1.0), r"beta: 1 is out of range"),
    (lambda: project_onto_simplex(jnp.array([jnp.nan, 1.0])), r"y: nan \(element 0\) is not a finite number"),
    (lambda: project_onto_capped_simplex(jnp.ones(2), jnp.array([0.3, 0.3])), "demand exceeds total capacity"),
    (lambda: scenario_costs(jnp.array([1.0, 1.0]), jnp.ones(2), 5.0), r"shares: they sum to 2; allowed: a sum of 1"),
    (lambda: mean_cvar_cost(jnp.array([0.2, 0.5, 0.3]), SUPPLIERS, SPOT, -1.0), r"risk_aversion: -1 is out of range"),
    (lambda: mean_cvar_cost(jnp.array([0.2, 0.5, 0.3]), SUPPLIERS, SPOT, 1.0, 1.0), r"beta: 1 is out of range"),
    (lambda: mean_cvar_cost(jnp.array([0.0, 0.2, 0.8]), SUPPLIERS, SPOT), r"shares: 0\.8 \(element 2\) exceeds"),
    (lambda: scenario_probabilities(jnp.array([0.5, 1.5])), r"delivery_probability: 1\.5 \(element 1\)"),
    (lambda: optimal_allocation(SUPPLIERS._replace(delivery_probability=jnp.array([0.97, 1.5, 0.5])), SPOT),
     r"suppliers\.delivery_probability: 1\.5 \(element 1\) is out of range; allowed \[0, 1\]"),
    (lambda: optimal_allocation(SUPPLIERS, SPOT, -0.5), r"risk_aversion: -0\.5 is out of range"),
    (lambda: optimal_allocation(SUPPLIERS, SPOT, 1.0, 1.0), r"beta: 1 is out of range"),
    (lambda: optimal_allocation(SUPPLIERS, -SPOT), r"spot_price: -6 is out of range"),
    (lambda: optimal_cost(SUPPLIERS, SPOT, temperature=0.0), r"temperature: 0 is out of range"),
    (lambda: solve_allocation(SUPPLIERS, SPOT, temperature=0.5), r"temperature: 0\.5 is out of range; allowed \(0, 0\.1\]"),
    (lambda: value_of_alternative(3, SUPPLIERS, SPOT), r"index: 3 is out of range; allowed whole numbers in \[0, 2\]"),
])
def test_public_functions_reject_bad_input(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_too_many_suppliers_are_refused_before_any_work():
    n = MAX_SUPPLIERS + 1
    many = Supplier(jnp.linspace(1.0, 2.0, n), jnp.ones(n), jnp.zeros(n), jnp.full(n, 0.5), jnp.full(n, 0.9),
                    jnp.full(n, 2025.0))
    for call in (lambda: optimal_allocation(many, SPOT), lambda: optimal_cost(many, SPOT),
                 lambda: delivery_scenarios(n), lambda: jax.jit(optimal_allocation)(many, SPOT)):
        with pytest.raises(InputError, match=rf"suppliers: {n} is too many .* allowed at most {MAX_SUPPLIERS}: merge"):
            call()
    assert delivery_scenarios(2).shape == (4, 2)
