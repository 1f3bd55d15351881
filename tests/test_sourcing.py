"""Tests of workbook.econ.sourcing: the negotiation on the lab's best mix, its invariants, gradients."""

import jax.numpy as jnp
import numpy as np
import pytest

from workbook.econ import bargaining, portfolio, sourcing as so
from workbook.errors import InputError

LAB = so.Lab()
SCENARIO = "+ Fractile in 2027 (claims hold)"


@pytest.fixture(scope="module")
def markets():
    return {name: so.build_market(name) for name in so.SCENARIOS}


@pytest.fixture(scope="module")
def market(markets):
    return markets[SCENARIO]


def _price(m, lab=LAB, protocol="nash", tau=so.TEMPERATURE, solver_tau=portfolio.DEFAULT_TEMPERATURE):
    return float(so.negotiated_nvidia_price(m, lab, protocol, tau, solver_tau))


# --- the construction -----------------------------------------------------------------------


def test_presets_build_and_price_never_exceeds_list(markets):
    for name, m in markets.items():
        so.validate_sourcing(m, LAB)
        p_l = float(m.incumbent_list_cost)
        for protocol in so.PROTOCOLS:
            p = _price(m, protocol=protocol)
            assert float(so.nvidia_reservation_price(m, LAB)) - 1e-6 <= p <= p_l + 1e-7, (name, protocol)
        assert int(np.sum(np.asarray(m.present))) == len(so.SCENARIOS[name]["alternatives"])
    assert np.all(np.isfinite(np.asarray(m.unit_cost))) and np.all(np.asarray(m.unit_cost) > 0)


def test_no_shortage_nvidia_only_is_nash_between_cost_and_list(markets):
    # sigma = 0: the lab can rent all demand at list, so o = p_L and P = c + beta (p_L - c)
    m = markets["NVIDIA only"]
    lab = LAB._replace(shortage=0.0)
    p_l = float(m.incumbent_list_cost)
    assert float(so.disagreement_cost(m, lab)) == pytest.approx(p_l, rel=1e-6)
    c = lab.incumbent_cost_share * p_l
    assert _price(m, lab, tau=0.0) == pytest.approx(c + (1 - lab.bargaining_weight) * (p_l - c), rel=1e-6)


def test_full_shortage_prices_at_list(markets):
    # sigma = 1: NVIDIA sells everything elsewhere at list, so its reservation price is the list
    for name in ("NVIDIA only", SCENARIO):
        m = markets[name]
        assert _price(m, LAB._replace(shortage=1.0), tau=0.0) == pytest.approx(float(m.incumbent_list_cost), rel=1e-6)


def test_disagreement_mix_combines_capacities(market):
    # the lab's mix without NVIDIA uses several options at once (not only the single best one)
    dis = so.disagreement(market, LAB)
    assert bool(dis.converged)
    used = np.asarray(dis.shares) > 1e-3
    assert used.sum() >= 3
    assert np.asarray(dis.shares).sum() == pytest.approx(1.0, abs=1e-5)


def test_rubinstein_protocol_uses_the_published_share(market):
    lab = LAB._replace(nvidia_discount=0.9, lab_discount=0.8)
    assert float(so.nvidia_share(lab, "rubinstein")) == pytest.approx(0.714286, rel=1e-5)  # Rubinstein (1982)
    r_n, o = float(so.nvidia_reservation_price(market, lab)), float(so.disagreement_cost(market, lab))
    expected = min(float(market.incumbent_list_cost), r_n + 0.714286 * (o - r_n))
    assert _price(market, lab, "rubinstein", tau=0.0) == pytest.approx(expected, rel=1e-5)


def test_discounted_availability():
    m = so.build_market(SCENARIO)
    i = so.ALTERNATIVES.index("fractile")  # from 2027 in a 2026-2028 contract: half the years
    assert float(so.availability(m, LAB._replace(discount_rate=0.0))[i]) == pytest.approx(0.5, abs=1e-6)
    r = 0.1  # (exp(-0.1) - exp(-0.2)) / (1 - exp(-0.2)) = 0.47502
    assert float(so.availability(m, LAB._replace(discount_rate=r))[i]) == pytest.approx(
        (np.exp(-r) - np.exp(-2 * r)) / (1 - np.exp(-2 * r)), rel=1e-5)
    assert float(so.availability(m, LAB)[so.ALTERNATIVES.index("tpu_ironwood")]) == pytest.approx(1.0, abs=1e-6)


# --- invariants -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(so.SCENARIOS))
@pytest.mark.parametrize("protocol", so.PROTOCOLS)
def test_adding_an_alternative_never_raises_the_price(markets, name, protocol):
    m = markets[name]
    base = _price(m, protocol=protocol)
    for i in range(len(so.ALTERNATIVES)):
        more = m._replace(present=m.present.at[i].set(1.0))
        assert _price(more, protocol=protocol) <= base + 1e-6, so.ALTERNATIVES[i]


@pytest.mark.parametrize("shortage", [0.0, 0.2, 0.4])
def test_leverage_of_a_mix_is_at_least_that_of_its_best_member(market, shortage):
    lab = LAB._replace(shortage=shortage)
    alone = so.standalone_leverage(market, lab)
    everything = float(so.leverage(market._replace(present=jnp.ones(len(so.ALTERNATIVES))), lab))
    assert everything >= alone.max() - 1e-6
    assert np.all(alone >= -1e-6)


@pytest.mark.parametrize("name", ["NVIDIA only", "+ Maia 200 on Azure", SCENARIO])
def test_shortage_never_increases_leverage(markets, name):
    m = markets[name]
    levs = [float(so.leverage(m, LAB._replace(shortage=s))) for s in np.linspace(0.0, 1.0, 11)]
    assert all(b <= a + 1e-6 for a, b in zip(levs, levs[1:])), levs
    assert levs[0] > levs[-1] + 1e-3 and levs[-1] == pytest.approx(0.0, abs=1e-6)


def test_table_values_nonnegative_and_zero_off_the_table(markets):
    m = markets["+ Maia 200 on Azure"]
    vals = so.table_values(m, LAB)
    assert np.all(vals >= -1e-6)
    assert np.all(vals[np.asarray(m.present) == 0] == 0.0)


# --- smooth versus sharp, gradients ---------------------------------------------------------


def test_smooth_price_converges_to_sharp(market):
    sharp = _price(market, tau=0.0, solver_tau=1e-10)
    errors = []
    for tau, solver_tau in ((0.02, 1e-2), (0.005, 1e-3), (1e-3, 1e-4), (1e-4, 1e-6)):
        errors.append(abs(_price(market, tau=tau, solver_tau=solver_tau) - sharp))
    assert errors == sorted(errors, reverse=True), errors
    assert errors[-1] < 1e-4 * float(market.incumbent_list_cost)


def test_kink_curve_smooth_converges_to_sharp(market):
    i = so.ALTERNATIVES.index("tpu_ironwood")
    p_l = float(market.incumbent_list_cost)
    costs = np.linspace(0.3, 2.5, 12) * p_l
    sharp = so.price_vs_effective_cost(market, LAB, i, costs, temperature=0.0, solver_temperature=1e-10)
    assert np.all(np.diff(sharp) >= -1e-6)  # a cheaper alternative never raises the price
    assert sharp[0] < sharp[-1] - 0.01 * p_l  # a cheap Ironwood moves it
    gaps = []
    for tau, solver_tau in ((0.01, 1e-2), (1e-3, 1e-4), (1e-4, 1e-6)):
        smooth = so.price_vs_effective_cost(market, LAB, i, costs, temperature=tau, solver_temperature=solver_tau)
        gaps.append(float(np.max(np.abs(smooth - sharp))))
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-3 * p_l, gaps


@pytest.mark.parametrize("field", ["price", "eta", "capacity", "delivery_probability", "porting_cost"])
def test_price_gradient_matches_finite_differences(market, field):
    # jax.grad through the bargaining and the mix (implicit differentiation) against central
    # differences of the same smooth model; Fractile is in the lab's mix without NVIDIA.
    i = so.ALTERNATIVES.index("fractile")
    g = float(getattr(so.price_sensitivities(market, LAB), field)[i])
    x = np.asarray(getattr(market.terms, field), dtype=np.float32)
    h = 2e-2 * abs(float(x[i]))

    def at(delta):
        xs = x.copy()
        xs[i] += delta
        m = market._replace(terms=market.terms._replace(**{field: jnp.asarray(xs)}))
        return _price(m, solver_tau=so.SMOOTH_SOLVER_TEMPERATURE)

    fd = (at(h) - at(-h)) / (2 * h)
    assert abs(g) > 0
    assert g == pytest.approx(fd, rel=3e-2)


# --- the mix with the deal and the summary --------------------------------------------------


def test_allocation_with_the_deal_converges(market):
    r = so.allocation(market, LAB)
    assert bool(r.converged) and float(r.duality_gap) < 1e-6
    x = np.asarray(r.shares)
    assert x.sum() == pytest.approx(1.0, abs=1e-5) and np.all(x >= -1e-7)
    assert x[0] > 0.9  # NVIDIA below list beats renting it at list


def test_negotiation_summary_fields():
    r = so.negotiation_summary(SCENARIO, LAB)
    for key in ("list_price", "negotiated_price", "disagreement_cost", "mix", "leverage_usd", "converged",
                "kkt_residual"):
        assert key in r
    assert r["negotiated_price"] <= r["list_price"] + 1e-7
    assert r["converged"] and r["kkt_residual"] < portfolio.KKT_TOLERANCE
    assert sum(r["mix"].values()) == pytest.approx(1.0, abs=1e-4)
    assert r["leverage_usd"] >= 0 and r["alternatives_value_usd"] >= 0


def test_portfolio_uses_bargaining_supplier(market):
    s = so.alternative_suppliers(market, LAB)
    assert isinstance(s, bargaining.Supplier)
    bargaining.validate_supplier(s)
    assert so.disagreement_suppliers(market, LAB).price_per_unit.shape == (len(so.DISAGREEMENT_NAMES),)
    assert so.portfolio_suppliers(market, LAB).price_per_unit.shape == (len(so.PORTFOLIO_NAMES),)


# --- validation -----------------------------------------------------------------------------


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
    with pytest.raises(InputError, match=field) as exc:
        so.validate_sourcing(bad, LAB)
    assert text in str(exc.value) and "is out of range; allowed" in str(exc.value)


@pytest.mark.parametrize("field,value", [("bargaining_weight", 1.5), ("shortage", -0.1), ("shortage", 1.2),
                                         ("discount_rate", -0.01), ("lab_discount", 1.0), ("spot_multiple", 0.5)])
def test_lab_validation_names_field(market, field, value):
    with pytest.raises(InputError, match=rf"lab\.{field}: .* is out of range"):
        so.validate_sourcing(market, LAB._replace(**{field: value}))


def test_unknown_scenario_and_protocol(market):
    with pytest.raises(InputError, match="scenario"):
        so.build_market("nope")
    with pytest.raises(InputError, match="protocol: unknown value 'auction'; allowed: nash, rubinstein"):
        so.negotiated_nvidia_price(market, LAB, "auction")
