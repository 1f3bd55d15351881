"""Tests of workbook.sourcing: presets, gradients vs finite differences, leverage, validation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from workbook.econ import bargaining, sourcing as so


@pytest.fixture(scope="module")
def markets():
    return {name: so.build_market(name) for name in so.SCENARIOS}


@pytest.fixture(scope="module")
def market(markets):
    return markets["+ Fractile in 2027 (claims hold)"]


LAB = so.Lab()


def test_presets_build(markets):
    for name, m in markets.items():
        so.validate_sourcing(m, LAB)
        p = float(so.negotiated_nvidia_price(m, LAB))
        c, v = LAB.incumbent_cost_share * float(m.incumbent_list_cost), LAB.value_multiple * float(m.incumbent_list_cost)
        assert c <= p <= v, name
        assert int(np.sum(np.asarray(m.present))) == len(so.SCENARIOS[name]["alternatives"])
    # every supplier's cost comes from the core model and is positive and finite
    assert np.all(np.isfinite(np.asarray(m.unit_cost))) and np.all(np.asarray(m.unit_cost) > 0)


def test_nvidia_only_is_nash_price(markets):
    m = markets["NVIDIA only"]
    p_n = float(m.incumbent_list_cost)
    c, v = LAB.incumbent_cost_share * p_n, LAB.value_multiple * p_n
    nash = c + (1 - LAB.bargaining_weight) * (v - c)
    assert float(so.negotiated_nvidia_price(m, LAB, temperature=0.0)) == pytest.approx(nash, rel=1e-5)


def test_claims_halve_raises_fractile_cost(markets):
    hold = so.effective_costs(markets["+ Fractile in 2027 (claims hold)"], LAB)
    halve = so.effective_costs(markets["+ Fractile in 2027 (claims halve)"], LAB)
    i = so.ALTERNATIVES.index("fractile")
    assert float(halve[i]) > float(hold[i])


@pytest.mark.parametrize("field", so.SENSITIVITY_FIELDS)
def test_gradients_match_finite_differences(market, field):
    grads = so.price_sensitivities(market, LAB)
    i = so.ALTERNATIVES.index("tpu_ironwood")  # the binding alternative, away from kinks
    x = np.asarray(getattr(market.terms, field), dtype=np.float32)
    h = 1e-2 * abs(float(x[i]))

    def price_at(delta):
        xs = x.copy()
        xs[i] += delta
        terms = market.terms._replace(**{field: jnp.asarray(xs)})
        return float(so.negotiated_nvidia_price(market._replace(terms=terms), LAB))

    fd = (price_at(h) - price_at(-h)) / (2 * h)
    g = float(getattr(grads, field)[i])
    assert g == pytest.approx(fd, rel=2e-2, abs=1e-9 / max(h, 1e-12))
    assert abs(g) > 0


@pytest.mark.parametrize("name", list(so.SCENARIOS))
@pytest.mark.parametrize("rule", ["deal-me-out", "split-the-difference"])
def test_adding_an_alternative_never_raises_the_price(markets, name, rule):
    m = markets[name]
    base = float(so.negotiated_nvidia_price(m, LAB, rule))
    for i in range(len(so.ALTERNATIVES)):
        more = m._replace(present=m.present.at[i].set(1.0))
        assert float(so.negotiated_nvidia_price(more, LAB, rule)) <= base + 1e-6


@pytest.mark.parametrize("name", list(so.SCENARIOS))
def test_leverage_nonnegative(markets, name):
    m = markets[name]
    lev = np.asarray(so.leverage(m, LAB))
    assert np.all(lev >= -1e-6)
    assert np.all(lev[np.asarray(m.present) == 0] == pytest.approx(0.0, abs=1e-6))
    assert np.all(np.asarray(so.standalone_leverage(m, LAB)) >= -1e-6)


def test_kink_smooth_converges_to_sharp(market):
    costs = jnp.linspace(0.05, 2.0, 101)
    i = so.ALTERNATIVES.index("tpu_ironwood")
    sharp = np.asarray(so.price_vs_effective_cost(market, LAB, i, costs, temperature=0.0))
    for tau in (0.02, 0.005, 0.001):
        smooth = np.asarray(so.price_vs_effective_cost(market, LAB, i, costs, temperature=tau))
        assert np.max(np.abs(smooth - sharp)) <= 3 * tau * np.log(len(so.ALTERNATIVES) + 2) + 1e-5
    assert np.all(np.diff(sharp) >= -1e-6)  # a cheaper alternative never raises the price


def test_allocation_on_capped_simplex(market):
    x = np.asarray(so.allocation(market, LAB))
    caps = np.asarray(so.portfolio_suppliers(market, LAB).capacity)
    assert x.sum() == pytest.approx(1.0, abs=1e-4)
    assert np.all(x >= -1e-6) and np.all(x <= np.minimum(caps, 1.0) + 1e-5)


def test_portfolio_uses_bargaining_supplier(market):
    s = so.alternative_suppliers(market, LAB)
    assert isinstance(s, bargaining.Supplier)
    bargaining.validate_supplier(s)


@pytest.mark.parametrize("field,value,text", [
    ("delivery_probability", 1.2, "delivery_probability"),
    ("delivery_probability", -0.1, "[0, 1]"),
    ("eta", 0.0, "eta"),
    ("capacity", -1.0, "capacity"),
    ("price", 0.0, "price"),
])
def test_validation_names_field(market, field, value, text):
    arr = np.asarray(getattr(market.terms, field)).copy()
    arr[2] = value
    bad = market._replace(terms=market.terms._replace(**{field: jnp.asarray(arr)}))
    with pytest.raises(ValueError, match=field) as exc:
        so.validate_sourcing(bad, LAB)
    assert text in str(exc.value) and "is out of range; allowed" in str(exc.value)


def test_demand_above_capacity(markets):
    m = markets["NVIDIA only"]
    with pytest.raises(ValueError, match="demand exceeds total capacity"):
        so.validate_sourcing(m, LAB._replace(incumbent_capacity=0.5))
    # with the TPU deal on the table the same NVIDIA allocation is enough
    so.validate_sourcing(markets["NVIDIA + TPU + Trainium"], LAB._replace(incumbent_capacity=0.5))


def test_lab_validation_names_field(market):
    with pytest.raises(ValueError, match="bargaining_weight"):
        so.validate_sourcing(market, LAB._replace(bargaining_weight=1.5))


def test_unknown_scenario():
    with pytest.raises(ValueError, match="scenario"):
        so.build_market("nope")
