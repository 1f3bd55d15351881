"""Tests of workbook.econ.commitments: the critical fractile for perishable capacity, risk, leverage."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.stats import norm

from workbook.econ import commitments as cm, sourcing as so
from workbook.errors import InputError

K, P, MEAN, CV = 0.6, 1.0, 100.0, 0.5  # a 40 % reserved discount; lognormal demand, cv 0.5


@pytest.fixture(scope="module")
def demand_sample():
    # 2,000,000 lognormal draws (NumPy seed 0): Monte Carlo standard errors ~0.1 % of the means
    mu, sigma = (float(x) for x in cm.lognormal_parameters(MEAN, CV))
    return np.exp(mu + sigma * np.random.default_rng(0).standard_normal(2_000_000))


def test_newsvendor_fractile_published():
    # Plain newsvendor (Snyder & Shen, Fundamentals of Supply Chain Theory, 2nd ed.; targets.md):
    # h = 2, p = 18, D ~ N(120, 10^2) -> S* = 132.8155. As a commitment: overage k - s = 2,
    # underage p_spot - k = 18, so k = 2, p_spot = 20 and F* = 0.9.
    f = float(cm.critical_fractile(2.0, 20.0))
    assert f == pytest.approx(0.9, abs=1e-7)
    assert 120.0 + 10.0 * float(norm.ppf(f)) == pytest.approx(132.8155, abs=1e-3)
    # and its cost (h + p) sigma phi(z) = 35.0997 is K(q*) - k E[D] for normal demand
    assert 20.0 * 10.0 * float(norm.pdf(norm.ppf(f))) == pytest.approx(35.0997, abs=1e-3)


def test_critical_fractile_with_salvage():
    # F* = (p - k) / (p - s): resale at s = 0.3 makes overage cheaper, so commit more
    assert float(cm.critical_fractile(0.6, 1.0, 0.3)) == pytest.approx(0.4 / 0.7, rel=1e-6)
    assert float(cm.critical_fractile(1.2, 1.0)) == 0.0
    assert float(cm.optimal_commitment(1.2, 1.0, MEAN, CV)) == 0.0


@pytest.mark.parametrize("salvage", [0.0, 0.3])
def test_optimal_commitment_minimises_expected_cost(salvage):
    q_star = float(cm.optimal_commitment(K, P, MEAN, CV, salvage))
    grid = jnp.linspace(10.0, 250.0, 4801)  # step 0.05
    cost = np.asarray(cm.expected_commitment_cost(grid, K, P, MEAN, CV, salvage))
    assert float(grid[np.argmin(cost)]) == pytest.approx(q_star, abs=0.1)
    # first-order condition: dK/dq = k - s P(D < q) - p P(D > q) = 0 at q*
    dk = float(jax.grad(cm.expected_commitment_cost)(q_star, K, P, MEAN, CV, salvage))
    assert abs(dk) < 1e-4


def test_closed_forms_match_monte_carlo(demand_sample):
    d, q = demand_sample, float(cm.optimal_commitment(K, P, MEAN, CV))
    assert float(cm.expected_shortfall(q, MEAN, CV)) == pytest.approx(np.mean(np.maximum(d - q, 0)), rel=5e-3)
    assert float(cm.expected_unused(q, MEAN, CV)) == pytest.approx(np.mean(np.maximum(q - d, 0)), rel=5e-3)
    loss = K * np.maximum(q - d, 0)
    var = np.quantile(loss, 0.95)
    assert float(cm.unused_value_at_risk(q, K, MEAN, CV)) == pytest.approx(var, rel=5e-3)
    assert float(cm.unused_cvar(q, K, MEAN, CV)) == pytest.approx(var + np.mean(np.maximum(loss - var, 0)) / 0.05,
                                                                    rel=5e-3)
    # a commitment below the 5 % demand quantile never goes unused at the 95 % level
    small = 0.5 * float(cm.demand_quantile(0.05, MEAN, CV))
    assert float(cm.unused_value_at_risk(small, K, MEAN, CV)) == 0.0
    assert float(cm.unused_cvar(small, K, MEAN, CV)) == pytest.approx(
        K * np.mean(np.maximum(small - d, 0)) / 0.05, rel=2e-2)


def test_commitment_saves_and_shrinks_negotiable_volume():
    q = float(cm.optimal_commitment(K, P, MEAN, CV))
    assert float(cm.savings_versus_spot(q, K, P, MEAN, CV)) > 0
    shares = [float(cm.uncommitted_volume_share(x, MEAN, CV)) for x in (10.0, q, 200.0)]
    assert shares == sorted(shares, reverse=True) and 0 < shares[-1] < shares[0] < 1


def test_commitment_and_leverage_with_nvidia():
    m, lab = so.build_market("+ Maia 200 on Azure"), so.Lab()
    p_l = float(m.incumbent_list_cost)
    prices = [cm.nvidia_price_after_commitment(m, lab, "maia200", q) for q in (0.0, 0.1, 0.2)]
    assert all(p <= p_l + 1e-7 for p in prices)
    # with sigma = 0.2 the rental market covers 0.8 of demand: a commitment of 0.2 leaves a residual
    # the rental market covers alone, so o = p_L and P = r_N + beta (p_L - r_N)
    r_n = float(so.nvidia_reservation_price(m, lab))
    assert prices[-1] == pytest.approx(r_n + 0.5 * (p_l - r_n), rel=1e-4)
    residual, lab2 = cm.residual_market(m, lab, "maia200", 0.1)
    assert lab2.annual_demand == pytest.approx(0.9 * lab.annual_demand)
    assert float(residual.terms.porting_cost[so.ALTERNATIVES.index("maia200")]) == 0.0


def test_azure_example_is_sourced():
    assert cm.AZURE_COMMITMENT_USD == 30e9 and "18 Nov 2025" in cm.AZURE_COMMITMENT_SOURCE


@pytest.mark.parametrize("call,message", [
    (lambda: cm.critical_fractile(0.6, 1.0, 0.8), r"salvage: 0\.8 is out of range"),
    (lambda: cm.critical_fractile(-0.1, 1.0), r"commit_price: -0\.1 is out of range"),
    (lambda: cm.expected_shortfall(0.0, MEAN, CV), r"q: 0 is out of range"),
    (lambda: cm.optimal_commitment(K, P, MEAN, 0.0), r"cv: 0 is out of range"),
    (lambda: cm.demand_quantile(1.0, MEAN, CV), r"level: 1 is out of range"),
    (lambda: cm.residual_market(so.build_market("NVIDIA only"), so.Lab(), "maia200", 1.0),
     r"committed_share: 1 is out of range"),
    (lambda: cm.residual_market(so.build_market("NVIDIA only"), so.Lab(), "nope", 0.1), r"alternative: unknown value"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(InputError, match=message):
        call()
