"""Tests for workbook.bargaining: published numbers, smooth kinks, gradients, validation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook.econ.bargaining import (
    Supplier,
    deal_me_out_payoff,
    effective_cost_per_unit,
    nash_bargaining_price,
    nash_bargaining_share,
    negotiated_price,
    outside_option_cost,
    rubinstein_share,
    split_the_difference_payoff,
    switching_cost_per_unit,
    threat_of_replacement_cap,
    validate_supplier,
)
from workbook.errors import InputError
from workbook.numerics import softplus_max, softplus_min

RUBINSTEIN = [  # Rubinstein (1982), share (1 - d2) / (1 - d1 d2); 6 digits from targets.md
    ((0.9, 0.9), 0.526316),
    ((0.9, 0.8), 0.714286),
    ((0.8, 0.9), 0.357143),
    ((0.99, 0.99), 0.502513),
]

# Binmore (1992) outside-option example, pie 7: (w, deal-me-out, split-the-difference)
PIE7 = [(0.0, 3.5, 3.5), (2.0, 3.5, 4.5), (4.0, 4.0, 5.5)]

ALTS = Supplier(  # TPU-like, Trainium-like, start-up (capacity-limited, risky)
    price_per_unit=jnp.array([1.6, 1.4, 0.3]),
    eta=jnp.array([0.9, 0.8, 1.2]),
    switching_cost_per_unit=jnp.array([0.15, 0.2, 0.3]),
    capacity=jnp.array([0.8, 0.5, 0.2]),
    delivery_probability=jnp.array([0.95, 0.9, 0.5]),
    available_from_year=jnp.array([2025.0, 2025.0, 2027.0]),
)
COST, VALUE = 0.8, 4.0  # incumbent unit cost and lab willingness to pay, USD per M tokens

_price = jax.jit(negotiated_price, static_argnames="rule")
_price_grad = jax.jit(jax.grad(negotiated_price, argnums=2), static_argnames="rule")


# --- published numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("deltas,share", RUBINSTEIN)
def test_rubinstein_published_float32(deltas, share):
    # float32: the inputs 0.99 etc. are not exact, so relative 1e-5.
    assert float(rubinstein_share(*deltas)) == pytest.approx(share, rel=1e-5)


def test_rubinstein_published_x64():
    # 6 published digits: abs 5e-7 (half the last digit), float64.
    with jax.enable_x64(True):
        for (d1, d2), share in RUBINSTEIN:
            value = rubinstein_share(jnp.float64(d1), jnp.float64(d2))
            assert value.dtype == jnp.float64
            assert float(value) == pytest.approx(share, abs=5e-7)


@pytest.mark.parametrize("w,deal,split", PIE7)
def test_outside_option_table(w, deal, split):
    # Binmore, Fun and Games (1992) ch. 16 / targets.md: exact values, abs 1e-6.
    assert float(deal_me_out_payoff(7.0, w, temperature=0.0)) == pytest.approx(deal, abs=1e-6)
    assert float(split_the_difference_payoff(7.0, w)) == pytest.approx(split, abs=1e-6)


def test_nash_share_and_price_are_inverse():
    # x2 = d2 + beta (S - d1 - d2)
    assert float(nash_bargaining_share(7.0, 1.0, 2.0, 0.25)) == pytest.approx(2.0 + 0.25 * 4.0)
    price = nash_bargaining_price(1.0, 5.0, 0.3, buyer_disagreement=0.5)
    seller_payoff = price - 1.0
    assert float(seller_payoff) == pytest.approx(float(nash_bargaining_share(4.0, 0.5, 0.0, 0.3)))


def test_switching_cost_identity():
    # Klemperer (1987) / targets.md: e = price + s = price / eta + porting
    p, eta, port = 2.0, 0.8, 0.1
    s = switching_cost_per_unit(p, eta, port)
    assert float(s) == pytest.approx(0.1 + 2.0 * 0.25)
    assert float(effective_cost_per_unit(p, eta, port)) == pytest.approx(p + float(s))


# --- smooth -> sharp ------------------------------------------------------------------------


@pytest.mark.parametrize("w", [0.0, 2.0, 3.4, 3.5, 3.6, 4.0])
def test_deal_me_out_converges_to_sharp(w):
    sharp = max(w, 3.5)
    errors = []
    for tau in (1.0, 0.1, 0.01, 1e-3):
        value = float(deal_me_out_payoff(7.0, w, temperature=tau))
        assert sharp - 1e-6 <= value <= sharp + tau * np.log(2) + 1e-6  # documented bound
        errors.append(value - sharp)
    assert errors[-1] <= 1e-3 * np.log(2) + 1e-6
    assert all(a >= b - 1e-6 for a, b in zip(errors, errors[1:]))  # monotone in tau


def test_smooth_gradient_informative_near_kink():
    # Near the kink w = 3.5 the smooth payoff responds to w on both sides, the sharp one not.
    grad_w = jax.grad(deal_me_out_payoff, argnums=1)
    for w in (3.45, 3.55):
        assert 0.0 < float(grad_w(7.0, w, 0.5, 0.05)) < 1.0
    assert float(grad_w(7.0, 3.45, 0.5, 0.0)) == 0.0
    assert float(grad_w(7.0, 3.55, 0.5, 0.0)) == 1.0


def test_sharp_temperature_has_finite_gradients():
    g = jax.grad(lambda a, b: softplus_max(a, b, 0.0), argnums=(0, 1))(1.0, 2.0)
    assert [float(x) for x in g] == [0.0, 1.0]
    assert float(softplus_min(1.0, 2.0, 0.0)) == 1.0


@pytest.mark.parametrize("rule", ["deal-me-out", "split-the-difference"])
def test_negotiated_price_converges_to_sharp(rule):
    sharp = float(_price(COST, VALUE, ALTS, 0.5, rule, 0.0))
    prev = np.inf
    for tau in (0.3, 0.03, 3e-3, 3e-4):
        err = abs(float(_price(COST, VALUE, ALTS, 0.5, rule, tau)) - sharp)
        assert err <= 4 * tau * np.log(4) + 1e-5  # a few smooth max/min, each within tau log n
        assert err <= prev + 1e-6
        prev = err
    assert prev < 5e-3


# --- the negotiated price -------------------------------------------------------------------


def test_negotiated_price_sharp_formulas():
    o = float(outside_option_cost(ALTS, VALUE, 0.0))
    e = effective_cost_per_unit(ALTS.price_per_unit, ALTS.eta, ALTS.switching_cost_per_unit)
    caps = VALUE - ALTS.delivery_probability * jnp.minimum(ALTS.capacity, 1.0) * (VALUE - e)
    assert o == pytest.approx(float(jnp.min(caps)), rel=1e-6)
    deal = float(_price(COST, VALUE, ALTS, 0.5, "deal-me-out", 0.0))
    split = float(_price(COST, VALUE, ALTS, 0.5, "split-the-difference", 0.0))
    assert deal == pytest.approx(min(o, COST + 0.5 * (VALUE - COST)), rel=1e-6)
    assert split == pytest.approx(COST + 0.5 * (o - COST), rel=1e-6)
    assert COST <= split <= deal <= VALUE


def test_deal_me_out_ignores_weak_alternative_split_does_not():
    weak = ALTS._replace(price_per_unit=ALTS.price_per_unit + 1.0)  # caps above the Nash price
    nash = COST + 0.5 * (VALUE - COST)
    assert float(_price(COST, VALUE, weak, 0.5, "deal-me-out", 0.0)) == pytest.approx(nash)
    base = float(_price(COST, VALUE, weak, 0.5, "split-the-difference", 0.0))
    assert base < nash


def test_full_capacity_certain_alternative_caps_at_effective_cost():
    alt = Supplier(1.0, 0.5, 0.25, jnp.inf, 1.0, 2025.0)  # e = 2.25 (Klemperer cap)
    assert float(threat_of_replacement_cap(alt, VALUE, 0.0)) == pytest.approx(2.25)
    assert float(negotiated_price(COST, VALUE, alt, 0.5, "deal-me-out", 0.0)) == pytest.approx(2.25)


def test_alternative_cheaper_than_cost_floors_price():
    alt = Supplier(0.1, 1.0, 0.0, 1.0, 1.0, 2025.0)
    for rule in ("deal-me-out", "split-the-difference"):
        assert float(negotiated_price(COST, VALUE, alt, 0.5, rule, 0.0)) == pytest.approx(COST)


@pytest.mark.parametrize("rule", ["deal-me-out", "split-the-difference"])
def test_negotiated_price_gradients_match_finite_differences(rule):
    tau = 0.05
    g = _price_grad(COST, VALUE, ALTS, 0.5, rule, tau)
    # float32 central differences with step 1e-2 on the already-compiled price: round-off
    # ~1e-5 in the quotient, curvature error O(step^2 / tau): rel 1e-2, abs 2e-3.
    eps = 1e-2
    for field in ("price_per_unit", "eta", "switching_cost_per_unit", "capacity",
                  "delivery_probability"):
        for i in range(3):
            def f(delta):
                vals = getattr(ALTS, field).at[i].add(delta)
                return float(_price(COST, VALUE, ALTS._replace(**{field: vals}), 0.5, rule, tau))
            fd = (f(eps) - f(-eps)) / (2 * eps)
            assert float(getattr(g, field)[i]) == pytest.approx(fd, rel=1e-2, abs=2e-3), (field, i)
    assert float(jnp.sum(jnp.abs(g.delivery_probability))) > 0  # informative
    assert float(jnp.sum(jnp.abs(g.capacity))) > 0


def test_invalid_rule():
    with pytest.raises(InputError, match="rule"):
        negotiated_price(COST, VALUE, ALTS, 0.5, "auction")


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value,allowed",
    [
        ("delivery_probability", 1.2, r"\[0, 1\]"),
        ("delivery_probability", -0.1, r"\[0, 1\]"),
        ("eta", 0.0, r"\(0, 1.5\]"),
        ("eta", 1.6, r"\(0, 1.5\]"),
        ("price_per_unit", -1.0, r"\[0, inf\)"),
        ("capacity", -0.5, r"\[0, inf\]"),
        ("switching_cost_per_unit", -0.1, r"\[0, inf\)"),
    ],
)
def test_validate_supplier_names_field_value_and_range(field, value, allowed):
    bad = Supplier()._replace(**{field: value})
    with pytest.raises(InputError, match=rf"fractile\.{field}: {value:g} is out of range; allowed {allowed}"):
        validate_supplier(bad, "fractile")


def test_validate_supplier_accepts_valid_arrays():
    assert validate_supplier(ALTS, "catalogue") is ALTS
    bad = ALTS._replace(delivery_probability=jnp.array([0.9, 1.5, 0.5]))
    with pytest.raises(InputError, match=r"catalogue\.delivery_probability: 1\.5 \(element 1\) is out of range"):
        validate_supplier(bad, "catalogue")


# --- properties -----------------------------------------------------------------------------

_supplier = st.builds(
    Supplier,
    price_per_unit=st.floats(0.0, 20.0),
    eta=st.floats(0.05, 1.5),
    switching_cost_per_unit=st.floats(0.0, 5.0),
    capacity=st.one_of(st.floats(0.0, 5.0), st.just(float("inf"))),
    delivery_probability=st.floats(0.0, 1.0),
    available_from_year=st.just(2026.0),
)

_value_and_grad = jax.jit(
    jax.value_and_grad(negotiated_price, argnums=(0, 1, 2, 3)), static_argnames="rule"
)


@settings(max_examples=50, deadline=None)
@given(alts=st.lists(_supplier, min_size=2, max_size=2), cost=st.floats(0.0, 10.0),
       markup=st.floats(0.0, 20.0), beta=st.floats(0.0, 1.0),
       tau=st.sampled_from([0.0, 0.01, 0.3]),
       rule=st.sampled_from(["deal-me-out", "split-the-difference"]))
def test_negotiated_price_finite_and_bounded(alts, cost, markup, beta, tau, rule):
    catalogue = Supplier(*[jnp.asarray([getattr(a, f) for a in alts], jnp.float32)
                           for f in Supplier._fields])
    validate_supplier(catalogue)
    value = cost + markup
    price, grads = _value_and_grad(cost, value, catalogue, beta, rule, tau)
    assert np.isfinite(float(price))
    assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree_util.tree_leaves(grads))
    slack = 3 * tau * np.log(3) + 1e-4 * (1 + value)  # smoothing bias + float32
    assert cost - slack <= float(price) <= value + slack


# --- input checks at the public entry points ------------------------------------------------


@pytest.mark.parametrize("call,message", [
    (lambda: rubinstein_share(1.0, 1.0), r"delta1: 1 is out of range; allowed \[0, 1\)"),
    (lambda: rubinstein_share(0.5, 1.2), r"delta2: 1\.2 is out of range; allowed \[0, 1\)"),
    (lambda: rubinstein_share(float("nan"), 0.5), "delta1: nan is not a finite number"),
    (lambda: nash_bargaining_share(7.0, 0.0, 0.0, 1.5), r"beta: 1\.5 is out of range; allowed \[0, 1\]"),
    (lambda: nash_bargaining_price(1.0, 2.0, -0.1), r"beta: -0\.1 is out of range"),
    (lambda: deal_me_out_payoff(7.0, 2.0, 0.5, -1.0), r"temperature: -1 is out of range"),
    (lambda: split_the_difference_payoff(7.0, float("inf")), "outside_option: inf is not a finite number"),
    (lambda: effective_cost_per_unit(1.0, 0.0, 0.0), r"eta: 0 is out of range; allowed \(0, 1\.5\]"),
    (lambda: switching_cost_per_unit(-1.0, 0.5, 0.0), r"price: -1 is out of range; allowed \[0, inf\)"),
    (lambda: negotiated_price(COST, VALUE, ALTS._replace(eta=jnp.array([0.9, 0.0, 1.2]))),
     r"alternatives\.eta: 0 \(element 1\) is out of range; allowed \(0, 1\.5\]"),
    (lambda: negotiated_price(COST, VALUE, ALTS._replace(delivery_probability=jnp.array([0.9, 1.5, 0.5]))),
     r"alternatives\.delivery_probability: 1\.5 \(element 1\) is out of range; allowed \[0, 1\]"),
    (lambda: negotiated_price(COST, VALUE, ALTS, 1.5), r"bargaining_weight: 1\.5 is out of range; allowed \[0, 1\]"),
    (lambda: negotiated_price(COST, 0.5, ALTS), r"willingness_to_pay: 0\.5 is out of range; allowed \[0\.8, inf\)"),
    (lambda: negotiated_price(-1.0, VALUE, ALTS), r"incumbent_cost: -1 is out of range"),
    (lambda: threat_of_replacement_cap(ALTS._replace(capacity=jnp.array([-1.0, 0.5, 0.2])), VALUE),
     r"alternative\.capacity: -1 \(element 0\) is out of range"),
    (lambda: outside_option_cost(ALTS, VALUE, present=jnp.array([1.0, 2.0, 0.0])), r"present: 2 \(element 1\)"),
])
def test_public_functions_reject_bad_input_with_one_line(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_jitted_and_differentiated_calls_are_not_checked_but_still_work():
    # under jit the arguments are traced: no check (a jitted caller validates first), same numbers
    assert float(_price(COST, VALUE, ALTS, 0.5, "deal-me-out", 0.01)) == pytest.approx(
        float(negotiated_price(COST, VALUE, ALTS)), rel=1e-6)
    assert np.isfinite(float(jax.grad(rubinstein_share)(0.9, 0.9)))


# --- reservation prices and the bargained price ---------------------------------------------

from workbook.econ.bargaining import bargained_price, seller_reservation_price  # noqa: E402


@pytest.mark.parametrize("shortage,expected", [(0.0, 0.3), (0.5, 0.65), (1.0, 1.0)])
def test_seller_reservation_price(shortage, expected):
    # r_s = c + sigma (p_L - c): cost plus the margin earned selling elsewhere at list
    assert float(seller_reservation_price(1.0, 0.3, shortage)) == pytest.approx(expected, abs=1e-7)


def test_bargained_price_is_nash_and_rubinstein():
    # Nash with disagreement payoffs r_s, r_b: P = r_s + beta (r_b - r_s); Rubinstein (1982)
    # (0.9, 0.8) proposer share 0.714286 (targets.md) splits the same surplus
    assert float(bargained_price(0.3, 1.1, 0.5, temperature=0.0)) == pytest.approx(0.7, abs=1e-7)
    share = rubinstein_share(0.9, 0.8)
    assert float(bargained_price(0.3, 1.1, share, temperature=0.0)) == pytest.approx(0.3 + 0.714286 * 0.8, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(r_s=st.floats(0.0, 5.0), r_b=st.floats(0.0, 10.0), share=st.floats(0.0, 1.0), p_l=st.floats(0.0, 10.0),
       tau=st.sampled_from([0.0, 1e-3, 0.1]))
def test_bargained_price_never_exceeds_list_and_smooth_is_close(r_s, r_b, share, p_l, tau):
    price = float(bargained_price(r_s, r_b, share, p_l, temperature=tau))
    sharp = min(p_l, max(r_s, r_s + share * (r_b - r_s)))
    assert price <= p_l + 1e-6  # the smooth min lies below its arguments
    assert abs(price - sharp) <= 2 * tau * np.log(2) + 1e-5 * (1 + abs(sharp))


def test_bargained_price_monotone_in_buyer_reservation():
    rb = jnp.linspace(0.0, 3.0, 61)
    p = np.asarray(jax.vmap(lambda b: bargained_price(0.5, b, 0.5, 1.2, temperature=0.01))(rb))
    assert np.all(np.diff(p) >= -1e-7)


@pytest.mark.parametrize("call,message", [
    (lambda: seller_reservation_price(1.0, 0.3, 1.5), r"shortage: 1\.5 is out of range; allowed \[0, 1\]"),
    (lambda: seller_reservation_price(1.0, 2.0, 0.5), r"unit_cost: 2 is out of range"),
    (lambda: bargained_price(0.3, 1.0, -0.1), r"seller_share: -0\.1 is out of range"),
    (lambda: bargained_price(0.3, 1.0, 0.5, -1.0), r"list_price: -1 is out of range"),
])
def test_reservation_and_bargained_price_reject_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()
