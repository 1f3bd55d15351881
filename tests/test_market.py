"""Tests of workbook.econ.market: the partial equilibrium of inference compute.

Oracles: a symmetric market reduces to one equation solved by hand (NumPy bisection); the
H100 full cost per hour is reference/targets.md's TCO example ($1.290/h); the chip-hours per
million tokens are the core model's (shift.serving_cost at $1/h).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from workbook import calibration, catalog
from workbook.econ import market as mk
from workbook.econ.shift import serving_cost
from workbook.errors import InputError
from workbook.specs import workload

EQ = jax.jit(mk.equilibrium)


@pytest.fixture(scope="module")
def table():
    return mk.market_table()


@pytest.fixture(scope="module")
def hw(table):
    return mk.market_hardware(table)


@pytest.fixture(scope="module")
def params(table):
    return mk.market_params(table)


# --- the data table ------------------------------------------------------------------------


def test_every_row_has_status_source_date_and_a_range_around_its_value(table):
    assert len(table) >= 50
    for k, row in table.items():
        assert row.status in {"assumption", "reported", "vendor-claim", "vendor-spec"}, k
        assert row.source.strip() and row.date.strip(), k
        if row.unit != "id":
            assert math.isfinite(row.value), k
        if row.status == "assumption" and row.unit != "id" and not k.endswith(("chip_id", "model_id", ".batch")):
            assert row.low is not None and row.high is not None, f"{k}: an assumption needs a range"
        if row.low is not None:
            assert row.low <= row.value <= row.high, k


def test_neocloud_unit_cost_is_the_targets_tco_example(table):
    # reference/targets.md: $40,000, 5 years, 10 %, 1.275 kW x 0.7, PUE 1.2, $0.08/kWh -> $1.290/h
    assert mk.unit_costs(table)[1] == pytest.approx(1.290, abs=5e-4)
    lo, mid, hi = (mk.unit_costs(table, w) for w in ("low", "value", "high"))
    assert np.all(lo < mid) and np.all(mid < hi)


# --- the core model behind the market ------------------------------------------------------


def test_hours_per_million_tokens_come_from_the_core_model(table, hw):
    cid = str(table["decentralized.chip_id"].value)
    c = serving_cost(catalog.chip(cid)._replace(price=1.0), catalog.model(str(table["small.model_id"].value)),
                     workload("fp8", batch=16, input_tokens=1024, output_tokens=256), calibration.efficiency(cid))
    assert float(hw.hours[2, 0]) == pytest.approx(c.usd_per_million_output_tokens, rel=1e-5)
    assert int(hw.chips[2, 0]) == c.chips == 1  # an 8B model fits on one consumer GPU


def test_large_models_are_not_offered_by_consumer_gpus(table, hw):
    limit = float(table["large.tpot_limit_s"].value)
    assert float(hw.offered[2, 2]) == 0.0 and float(hw.tpot_s[2, 2]) > limit  # too slow without NVLink
    assert float(hw.chips[2, 2]) > 1  # and it needs several cards
    assert np.all(np.asarray(hw.offered)[:2] == 1.0)
    # a datacentre chip serves a 70B model with fewer chip-hours per token than consumer cards
    assert float(hw.hours[1, 1]) < float(hw.hours[2, 1])


# --- the equilibrium -----------------------------------------------------------------------


def _symmetric(eta=3.0, eps=1.2, theta=4.0, q0=2e15, k=3e5, c=1.5, a=0.99, h=0.4):
    p = mk.MarketParams(*(jnp.asarray(v, jnp.float32) for v in (
        [k] * 3, [c] * 3, [eta] * 3, [a] * 3, [q0] * 3, [eps] * 3, [2.0] * 3, theta, 1.0)))
    hw = mk.MarketHardware(jnp.full((3, 3), h), jnp.ones((3, 3)), jnp.full((3, 3), 0.01), jnp.ones((3, 3)))
    return p, hw


def test_symmetric_market_matches_hand_solution():
    """Three identical suppliers and workloads: each sells a third of every class, P/P0 = p/c, so
    ``Q0 h / a (p/c)**-eps = 8760 K / (1 + (p/c)**-eta)`` (per supplier, three classes x 1/3)."""
    eta, eps, q0, k, c, a, h = 3.0, 1.2, 2e15, 3e5, 1.5, 0.99, 0.4
    p, hw = _symmetric(eta, eps, 4.0, q0, k, c, a, h)
    eq = EQ(p, hw)

    def gap(x):  # log demand - log supply in chip-hours, x = ln(p/c)
        return math.log(q0 * h / 1e6 / a) - eps * x - math.log(8760 * k / (1 + math.exp(-eta * x)))

    lo, hi = -5.0, 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gap(mid) > 0 else (lo, mid)
    want = c * math.exp(0.5 * (lo + hi))
    np.testing.assert_allclose(np.asarray(eq.price), want, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(eq.share), 1 / 3, rtol=1e-5)


@pytest.mark.parametrize("which", ["value", "low", "high"])
def test_market_clears(table, hw, which):
    p = mk.market_params(table, which=which)
    eq = mk.equilibrium_checked(p, hw)
    supplied = np.asarray(p.capacity_chips) * mk.HOURS_PER_YEAR * np.asarray(eq.utilisation)
    np.testing.assert_allclose(np.asarray(eq.chip_hours), supplied, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(eq.share).sum(axis=0), 1.0, rtol=1e-5)
    assert np.all((np.asarray(eq.utilisation) > 0) & (np.asarray(eq.utilisation) < 1 + 1e-6))
    assert np.all(np.asarray(eq.margin) < 1)
    assert float(eq.share[2, 2]) == 0.0  # consumer GPUs sell no latency-critical 70B tokens


def test_central_prices_land_in_observed_ranges(table, hw, params):
    """The demand levels are calibrated so (market.csv says so); this keeps them honest."""
    eq = mk.equilibrium_checked(params, hw)
    for s, key in ((1, "observed.h100_marketplace_usd_per_hour"), (2, "observed.rtx_4090_rental_usd_per_hour")):
        row = table[key]
        assert row.low <= float(eq.price[s]) <= row.high, key
    # decentralised networks rent the cheapest chip-hours ...
    assert float(eq.price[2]) < float(eq.price[0]) < float(eq.price[1])
    # ... buyers rank suppliers by the uptime-adjusted price per token, and the lowest one sells the most
    usd = np.asarray(eq.usd_per_million_tokens)
    effective = usd / np.asarray(params.uptime)[:, None] ** np.asarray(params.downtime_aversion)[None, :]
    effective = np.where(np.asarray(hw.offered) > 0.5, effective, np.inf)
    assert np.array_equal(np.argmin(effective, axis=0), np.argmax(np.asarray(eq.share), axis=0))


def test_prices_fall_as_hyperscaler_cost_falls(hw, params):
    sweep = mk.hyperscaler_cost_sweep(params, hw, np.linspace(1.0, 0.3, 8))
    assert np.abs(sweep["excess_demand"]).max() < 1e-4
    assert np.all(np.diff(sweep["price"], axis=0) < 0)  # every supplier class, every step
    assert np.all(np.diff(sweep["share"][:, 0, 0]) > 0)  # hyperscalers take more of the small class


def test_elasticity_is_positive_below_one_and_matches_finite_differences(hw, params):
    r = mk.decentralized_price_response(params, hw)
    assert math.isfinite(r["elasticity"]) and 0 < r["elasticity"] < 1
    assert r["d_price_decentralized_d_hyperscaler_cost"] > 0
    h = 0.02
    up, down = (float(EQ(params._replace(hyperscaler_cost_factor=jnp.float32(math.exp(x))), hw).price[2])
                for x in (h, -h))
    assert r["elasticity"] == pytest.approx((math.log(up) - math.log(down)) / (2 * h), rel=2e-2)
    # the level derivative is the elasticity times the price-to-cost ratio
    assert r["d_price_decentralized_d_hyperscaler_cost"] == pytest.approx(
        r["elasticity"] * r["price_decentralized_usd_per_million"] / r["hyperscaler_cost_usd_per_million"], rel=1e-6)


def test_gradient_with_respect_to_capacity_has_the_economic_sign(hw, params):
    g = jax.grad(lambda p: jnp.log(mk.equilibrium(p, hw).price[2]))(params)
    assert float(g.capacity_chips[2]) < 0  # more consumer GPUs -> lower consumer GPU price
    assert float(g.demand[0]) > 0  # more small-model demand -> higher consumer GPU price


def test_bands_are_ordered_and_contain_most_draws(hw):
    ps = mk.sampled_params(16, seed=1)
    b = mk.hyperscaler_cost_sweep_bands(ps, hw, [1.0, 0.5])
    assert b["cleared"] >= 12
    assert np.all(b["price"][0] <= b["price"][1]) and np.all(b["price"][1] <= b["price"][2])


# --- input checks --------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("capacity_chips", [1e6, -1.0, 2e4]),
    ("uptime", [0.999, 0.99, 1.5]),
    ("substitution", 0.0),
    ("hyperscaler_cost_factor", 0.0),
    ("demand_elasticity", [1.0, float("nan"), 1.0]),
])
def test_bad_parameters_name_the_field(hw, params, field, value):
    bad = params._replace(**{field: jnp.asarray(value, jnp.float32)})
    with pytest.raises(InputError, match=field):
        mk.equilibrium_checked(bad, hw)


def test_unknown_chip_is_refused(table):
    with pytest.raises(InputError, match="decentralized.chip_id"):
        mk.market_hardware(table, chip_ids={"decentralized": "no_such_gpu"})
