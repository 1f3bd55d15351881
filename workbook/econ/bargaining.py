"""Bargaining over the price of inference compute.

A lab (the buyer) negotiates a per-unit price with an incumbent supplier (NVIDIA) while holding
alternative suppliers (TPUs, Trainium, Maia, start-ups) as outside options. All per-unit
quantities are in **USD per million output tokens** ("effective cost per token"), so a chip that
needs more hours for the same tokens shows up as a higher per-token cost.

Notation
--------
S   transferable surplus, d1 and d2 the disagreement payoffs, beta the weight of player 2.
c   incumbent's unit cost (the price floor); v the lab's willingness to pay (the ceiling).
e_j alternative j's effective cost: e_j = price_j / eta_j + porting_j.
o   the lab's expected unit cost if it walks away from the incumbent (its outside option).

Sources
-------
Nash (1950); Rubinstein (1982); Binmore, Shaked & Sutton (1989) on outside options
("deal-me-out" versus "split-the-difference", see Binmore, *Fun and Games*, ch. 16);
Klemperer (1987) on switching costs; Ho & Lee (2019, AER) on the threat of replacement.

Input checks: every public function checks concrete arguments with
:func:`workbook.errors.require` (a weight outside [0, 1], a discount factor of 1, ``eta = 0``, a
negative price raise :class:`~workbook.errors.InputError` naming the field); under ``jax.jit``,
``grad`` or ``vmap`` the arguments are traced and not checked, so a jitted caller validates first
(:func:`validate_supplier`, :func:`workbook.econ.sourcing.validate_sourcing`).

Takeaway: under deal-me-out an alternative lowers the incumbent's price only once its expected
cost beats the bargained price (a kink, smoothed here with a temperature for gradients); under
split-the-difference every credible improvement in the alternative moves the price.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook.errors import InputError, require
from workbook.numerics import softplus_max, softplus_min, softplus_min_reduce

__all__ = [
    "Supplier",
    "validate_supplier",
    "nash_bargaining_share",
    "nash_bargaining_price",
    "rubinstein_share",
    "deal_me_out_payoff",
    "split_the_difference_payoff",
    "switching_cost_per_unit",
    "effective_cost_per_unit",
    "threat_of_replacement_cap",
    "outside_option_cost",
    "price_given_outside_option",
    "negotiated_price",
    "seller_reservation_price",
    "bargained_price",
]

#: Default temperature of the smooth max/min, in the units of its arguments (USD per M tokens).
DEFAULT_TEMPERATURE = 0.01


class Supplier(NamedTuple):
    """An inference-compute supplier as seen by the buying lab.

    Fields may be scalars (one supplier) or arrays of equal shape ``(n,)`` (a catalogue of ``n``
    suppliers). Being a NamedTuple it is a pytree, so ``jax.grad`` returns a ``Supplier`` of
    sensitivities.
    """

    price_per_unit: float = 1.0  # USD per million output tokens, as quoted (>= 0)
    eta: float = 1.0  # performance ratio after porting, tokens relative to incumbent (0 < eta <= 1.5)
    switching_cost_per_unit: float = 0.0  # porting cost amortised, USD per M tokens (>= 0)
    capacity: float = float("inf")  # fraction of the lab's total demand it can serve (0 .. inf)
    delivery_probability: float = 1.0  # probability it delivers on time (0 .. 1)
    available_from_year: float = 2024.0  # first year it can deliver (calendar year)


_RANGES = {  # field: (low, high, low_open, finite)
    "price_per_unit": (0.0, None, False, True),
    "eta": (0.0, 1.5, True, True),
    "switching_cost_per_unit": (0.0, None, False, True),
    "capacity": (0.0, None, False, False),
    "delivery_probability": (0.0, 1.0, False, True),
}


def validate_supplier(s: Supplier, name: str = "supplier") -> Supplier:
    """Check a supplier's fields against their allowed ranges.

    Parameters
    ----------
    s : Supplier
        Scalars or arrays of concrete (not traced) values.
    name : str
        Label used in the error message.

    Returns
    -------
    Supplier
        ``s`` unchanged, so the call can be chained.

    Raises
    ------
    InputError
        Naming the supplier, the field, the offending value and the allowed range, e.g.
        ``"fractile.delivery_probability: 1.2 is out of range; allowed [0, 1]"``.
    """
    for field, (lo, hi, low_open, finite) in _RANGES.items():
        require(f"{name}.{field}", getattr(s, field), low=lo, high=hi, low_open=low_open, finite=finite)
    require(f"{name}.available_from_year", s.available_from_year, unit="(calendar year)")
    return s


def _is_concrete(*xs) -> bool:
    """True unless an argument is traced (under jit, grad or vmap): only concrete input is checked."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(xs))


def _check_numbers(**values) -> None:
    for field, x in values.items():
        require(field, x)


def _check_weight(field: str, beta) -> None:
    require(field, beta, low=0, high=1)


def _check_temperature(temperature) -> None:
    require("temperature", temperature, low=0, unit="(units of the values smoothed)")


def _check_bounds(incumbent_cost, willingness_to_pay) -> None:
    """``0 <= c <= v``: below its cost the incumbent cannot sell, above its value the lab cannot buy."""
    c = require("incumbent_cost", incumbent_cost, low=0, unit="USD per M tokens")
    v = require("willingness_to_pay", willingness_to_pay, low=0, unit="USD per M tokens")
    if np.ndim(c) == 0:
        require("willingness_to_pay", v, low=float(c), unit="USD per M tokens (at least incumbent_cost)")
    elif np.any(np.asarray(v) < np.asarray(c)):
        raise InputError("willingness_to_pay: below incumbent_cost for some element; allowed willingness_to_pay "
                         ">= incumbent_cost")


# --------------------------------------------------------------------------------------------
# Smooth kinks
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Textbook bargaining solutions
# --------------------------------------------------------------------------------------------


def nash_bargaining_share(surplus, d1, d2, beta):
    """Player 2's payoff in the (generalised) Nash bargaining solution.

    ``x2 = d2 + beta * (S - d1 - d2)``: each player gets its disagreement payoff plus its
    bargaining-weight share of the net surplus. Units: those of ``S``.

    Parameters
    ----------
    surplus : array_like
        Transferable surplus ``S`` to be divided.
    d1, d2 : array_like
        Disagreement payoffs of players 1 and 2.
    beta : array_like
        Player 2's bargaining weight in ``[0, 1]``.

    Source: Nash (1950); generalised weights as in Binmore, Rubinstein & Wolinsky (1986).

    Examples
    --------
    >>> float(nash_bargaining_share(7.0, 0.0, 0.0, 0.5))
    3.5
    """
    if _is_concrete(surplus, d1, d2, beta):
        _check_numbers(surplus=surplus, d1=d1, d2=d2)
        _check_weight("beta", beta)
    return d2 + beta * (surplus - d1 - d2)


def nash_bargaining_price(seller_cost, buyer_value, beta, buyer_disagreement=0.0,
                          seller_disagreement=0.0):
    """Price that gives the seller its Nash-bargaining payoff (the inverse of the share).

    With surplus ``S = v - c`` per unit and the seller as player 2,
    ``price = c + d_s + beta * (v - c - d_b - d_s)``, where ``d_b`` (``d_s``) is the buyer's
    (seller's) disagreement payoff per unit. Units: USD per million output tokens.

    Source: Nash (1950), applied to a per-unit price.
    """
    if _is_concrete(seller_cost, buyer_value, beta, buyer_disagreement, seller_disagreement):
        _check_numbers(seller_cost=seller_cost, buyer_value=buyer_value, buyer_disagreement=buyer_disagreement,
                       seller_disagreement=seller_disagreement)
        _check_weight("beta", beta)
    surplus = buyer_value - seller_cost
    return seller_cost + nash_bargaining_share(
        surplus, buyer_disagreement, seller_disagreement, beta
    )


def rubinstein_share(delta1, delta2):
    """First proposer's share of the pie in Rubinstein's alternating-offers game.

    ``x1 = (1 - delta2) / (1 - delta1 * delta2)``, with per-round discount factors
    ``delta1`` (proposer) and ``delta2`` (responder) in ``[0, 1)``. The denominator is computed
    as ``(1 - delta1) + delta1 (1 - delta2)`` to avoid cancellation when both are near 1.

    Source: Rubinstein (1982), Econometrica 50(1), Theorem.

    Examples
    --------
    >>> round(float(rubinstein_share(0.9, 0.9)), 4)
    0.5263
    """
    if _is_concrete(delta1, delta2):
        require("delta1", delta1, low=0, high=1, high_open=True, unit="(discount factor per round)")
        require("delta2", delta2, low=0, high=1, high_open=True, unit="(discount factor per round)")
    one_minus_d2 = 1.0 - delta2
    return one_minus_d2 / ((1.0 - delta1) + delta1 * one_minus_d2)


def deal_me_out_payoff(pie, outside_option, beta=0.5, temperature=DEFAULT_TEMPERATURE):
    """Payoff of a player with outside option ``w`` under the "deal-me-out" rule.

    ``x = max(w, beta * pie)``: the outside option matters only when it beats the bargained
    share (Binmore, Shaked & Sutton 1989). Smoothed with ``softplus_max`` at ``temperature``
    (units of the pie); ``temperature = 0`` is the sharp rule.

    Examples
    --------
    >>> [float(deal_me_out_payoff(7.0, w, temperature=0.0)) for w in (0.0, 2.0, 4.0)]
    [3.5, 3.5, 4.0]
    """
    if _is_concrete(pie, outside_option, beta, temperature):
        _check_numbers(pie=pie, outside_option=outside_option)
        _check_weight("beta", beta)
        _check_temperature(temperature)
    return softplus_max(outside_option, beta * pie, temperature)


def split_the_difference_payoff(pie, outside_option, beta=0.5):
    """Payoff under the "split-the-difference" rule: ``x = w + beta * (pie - w)``.

    The outside option is the disagreement point, so every unit of ``w`` raises the payoff by
    ``1 - beta`` (``beta = 1/2`` gives ``w + (pie - w) / 2``). Source: Binmore, *Fun and Games*
    (1992), section 16.

    Examples
    --------
    >>> [float(split_the_difference_payoff(7.0, w)) for w in (0.0, 2.0, 4.0)]
    [3.5, 4.5, 5.5]
    """
    if _is_concrete(pie, outside_option, beta):
        _check_numbers(pie=pie, outside_option=outside_option)
        _check_weight("beta", beta)
    return outside_option + beta * (pie - outside_option)


# --------------------------------------------------------------------------------------------
# Switching costs and the threat of replacement
# --------------------------------------------------------------------------------------------


def _check_costs(price, eta, porting_cost_per_unit) -> None:
    for field, x in (("price", price), ("eta", eta), ("porting_cost_per_unit", porting_cost_per_unit)):
        lo, hi, low_open, _ = _RANGES[{"price": "price_per_unit", "porting_cost_per_unit": "switching_cost_per_unit"}.get(field, field)]
        require(field, x, low=lo, high=hi, low_open=low_open)


def switching_cost_per_unit(price, eta, porting_cost_per_unit):
    """Klemperer switching cost per unit: ``s = porting + price * (1 / eta - 1)``.

    The lab pays the porting cost amortised over its tokens plus the performance loss: with
    performance ratio ``eta`` it needs ``1 / eta`` units of the rival's compute per unit.
    Units: USD per million output tokens. Source: Klemperer (1987); see targets.md.
    """
    if _is_concrete(price, eta, porting_cost_per_unit):
        _check_costs(price, eta, porting_cost_per_unit)
    return porting_cost_per_unit + price * (1.0 / eta - 1.0)


def effective_cost_per_unit(price, eta, porting_cost_per_unit):
    """Rival's effective cost per unit of incumbent-equivalent work.

    ``e = price + s = price / eta + porting``, with ``s`` from ``switching_cost_per_unit``.
    Units: USD per million output tokens.

    Examples
    --------
    >>> float(effective_cost_per_unit(1.0, 0.5, 0.25))
    2.25
    """
    if _is_concrete(price, eta, porting_cost_per_unit):
        _check_costs(price, eta, porting_cost_per_unit)
    return price / eta + porting_cost_per_unit


def threat_of_replacement_cap(alternative: Supplier, willingness_to_pay,
                              temperature=DEFAULT_TEMPERATURE):
    """Highest price the incumbent can charge before the lab replaces it with ``alternative``.

    Klemperer (1987): with full capacity and certain delivery the incumbent can charge up to
    the rival's price plus the switching cost, i.e. the effective cost ``e``. Following Ho &
    Lee (2019), the cap is what the lab would pay per unit of demand after replacing the
    incumbent given what it has left, so a limited or unreliable rival disciplines the price
    only on the share it can serve:

    ``cap = v - p * f * (v - e)``, with ``f = softplus_min(capacity, 1)`` and ``p`` the delivery
    probability.

    Modelling choices: demand the rival cannot cover (``1 - f``) or fails to deliver (probability
    ``1 - p``) goes unserved and costs the lab its willingness to pay ``v`` per unit (a penalty
    equal to the value lost). The cap is ``p f e + (1 - p f) v``: ``e`` when ``p = f = 1``,
    ``v`` when the rival is useless. Units: USD per million output tokens.

    Parameters
    ----------
    alternative : Supplier
        Scalar fields or arrays of shape ``(n,)`` (then one cap per alternative).
    willingness_to_pay : float
        ``v``, the lab's value per unit served (USD per M output tokens).
    temperature : float
        Temperature of the smooth ``min(capacity, 1)`` (fraction of demand).
    """
    if _is_concrete(alternative, willingness_to_pay, temperature):
        validate_supplier(alternative, "alternative")
        require("willingness_to_pay", willingness_to_pay, low=0, unit="USD per M tokens")
        _check_temperature(temperature)
    a = alternative
    e = effective_cost_per_unit(a.price_per_unit, a.eta, a.switching_cost_per_unit)
    covered = softplus_min(a.capacity, 1.0, temperature)
    return willingness_to_pay - a.delivery_probability * covered * (willingness_to_pay - e)


def outside_option_cost(alternatives: Supplier, willingness_to_pay,
                        temperature=DEFAULT_TEMPERATURE, present=None):
    """Lab's expected unit cost if it walks away from the incumbent: its best alternative.

    ``o = softplus_min(v, cap_1, ..., cap_n)`` over ``threat_of_replacement_cap`` of each
    alternative and ``v`` (going without). Smooth minimum ``-tau logsumexp(-x / tau)``; it is
    at most ``tau log(n + 1)`` below the sharp minimum; ``temperature = 0`` is exact.
    Only the single best alternative counts (alternatives are not combined).
    ``present`` (0/1 per alternative, default all 1) takes alternatives off the table: they
    drop out of the sum rather than entering as ``cap = v``, so putting any alternative on the
    table can only lower ``o``. Units: USD per million output tokens.
    """
    if _is_concrete(alternatives, willingness_to_pay, temperature, present):
        validate_supplier(alternatives, "alternatives")
        require("willingness_to_pay", willingness_to_pay, low=0, unit="USD per M tokens")
        _check_temperature(temperature)
        if present is not None:
            require("present", present, low=0, high=1)
    v = jnp.asarray(willingness_to_pay)
    caps = jnp.atleast_1d(threat_of_replacement_cap(alternatives, v, temperature))
    options = jnp.concatenate([jnp.reshape(v, (1,)).astype(caps.dtype), caps])
    weights = None if present is None else jnp.concatenate(
        [jnp.ones((1,), caps.dtype), jnp.asarray(present, caps.dtype).reshape(caps.shape)])
    return softplus_min_reduce(options, temperature, weights=weights)


def price_given_outside_option(incumbent_cost, willingness_to_pay, outside_option, bargaining_weight=0.5,
                               rule="deal-me-out", temperature=DEFAULT_TEMPERATURE):
    """The bargained price given the lab's outside option ``o`` (see :func:`negotiated_price`).

    * deal-me-out: ``P = softplus_max(c, softplus_min(o, c + beta (v - c)))``;
    * split-the-difference: ``P = softplus_max(c, c + beta (o - c))``.
    """
    if rule not in ("deal-me-out", "split-the-difference"):
        raise InputError(f"rule: {rule!r} is not allowed; allowed: 'deal-me-out', 'split-the-difference'")
    if _is_concrete(incumbent_cost, willingness_to_pay, outside_option, bargaining_weight, temperature):
        _check_bounds(incumbent_cost, willingness_to_pay)
        require("outside_option", outside_option, unit="USD per M tokens")
        _check_weight("bargaining_weight", bargaining_weight)
        _check_temperature(temperature)
    c = jnp.asarray(incumbent_cost)
    v = jnp.asarray(willingness_to_pay)
    o = outside_option
    if rule == "deal-me-out":
        unconstrained = softplus_min(o, c + bargaining_weight * (v - c), temperature)
    elif rule == "split-the-difference":
        unconstrained = c + bargaining_weight * (o - c)
    else:
        raise InputError(f"rule: {rule!r} is not allowed; allowed: 'deal-me-out', 'split-the-difference'")
    return softplus_max(c, unconstrained, temperature)


def negotiated_price(incumbent_cost, willingness_to_pay, alternatives: Supplier,
                     bargaining_weight=0.5, rule="deal-me-out",
                     temperature=DEFAULT_TEMPERATURE):
    """Per-unit price the lab pays the incumbent after bargaining with outside options.

    Let ``c`` be the incumbent's unit cost, ``v`` the lab's willingness to pay, ``beta`` the
    incumbent's bargaining weight and ``o = outside_option_cost(alternatives, v)`` the lab's
    expected cost of its best alternative (each alternative's ``cap = v - p f (v - e)``, see
    ``threat_of_replacement_cap``). The price is

    * deal-me-out: ``P = softplus_max(c, softplus_min(o, c + beta (v - c)))`` -- the Nash price
      without outside options, ``c + beta (v - c)``, capped by the alternative only when the
      alternative beats it (Binmore-Shaked-Sutton; Klemperer's cap ``o``);
    * split-the-difference: ``P = softplus_max(c, c + beta (o - c))`` -- Nash bargaining with the
      lab's disagreement payoff ``v - o``: ``P = c + beta (S - (v - o))`` with ``S = v - c``.

    Both are floored at ``c`` (if the best alternative is cheaper than the incumbent's cost,
    the incumbent can only match at cost) and never exceed ``v`` (since ``o <= v``). The
    smooth max/min use ``temperature`` (USD per M tokens); ``temperature = 0`` gives the sharp
    kinks. Differentiable with respect to every field of ``alternatives`` (prices, eta,
    switching cost, capacity, delivery probability); ``available_from_year`` is not used --
    filter alternatives by year before calling.

    Parameters
    ----------
    incumbent_cost : float
        ``c``, USD per million output tokens.
    willingness_to_pay : float
        ``v``, USD per million output tokens.
    alternatives : Supplier
        Scalar fields or arrays of shape ``(n,)``.
    bargaining_weight : float
        ``beta`` in ``[0, 1]``, the incumbent's weight.
    rule : {"deal-me-out", "split-the-difference"}
        Static argument.
    temperature : float
        Smoothing temperature, USD per million output tokens.

    Returns
    -------
    jax.Array
        Price, USD per million output tokens.

    Raises
    ------
    InputError
        For concrete input out of range (``0 <= c <= v``, every supplier field in its range,
        e.g. ``eta > 0``; ``beta`` in [0, 1]; ``temperature >= 0``) or an unknown ``rule``.
    """
    if rule not in ("deal-me-out", "split-the-difference"):
        raise InputError(f"rule: {rule!r} is not allowed; allowed: 'deal-me-out', 'split-the-difference'")
    if _is_concrete(incumbent_cost, willingness_to_pay, alternatives, bargaining_weight, temperature):
        _check_bounds(incumbent_cost, willingness_to_pay)
        validate_supplier(alternatives, "alternatives")
        _check_weight("bargaining_weight", bargaining_weight)
        _check_temperature(temperature)
    o = outside_option_cost(alternatives, willingness_to_pay, temperature)
    return price_given_outside_option(incumbent_cost, willingness_to_pay, o, bargaining_weight, rule, temperature)


# --------------------------------------------------------------------------------------------
# Bargaining over the surplus between two reservation prices (the disagreement point)
# --------------------------------------------------------------------------------------------


def seller_reservation_price(list_price, unit_cost, shortage):
    """Lowest per-unit price at which the seller prefers the deal to selling elsewhere.

    ``r_s = c + sigma (p_L - c)``: the seller's unit cost ``c`` plus its disagreement payoff per
    unit, the margin ``p_L - c`` it earns selling the same capacity to other buyers at its list
    price ``p_L`` on the share ``sigma`` it can place elsewhere (``sigma = 0``: no shortage, idle
    capacity earns nothing; ``sigma = 1``: every unit sells at list elsewhere, so ``r_s = p_L``).
    Units: those of the prices (USD per million output tokens here).

    Examples
    --------
    >>> [round(float(seller_reservation_price(1.0, 0.3, s)), 6) for s in (0.0, 0.5, 1.0)]
    [0.3, 0.65, 1.0]
    """
    if _is_concrete(list_price, unit_cost, shortage):
        p = require("list_price", list_price, low=0, unit="USD per M tokens")
        require("unit_cost", unit_cost, low=0, high=float(np.max(p)) if np.ndim(p) == 0 else None,
                unit="USD per M tokens (at most list_price)")
        require("shortage", shortage, low=0, high=1)
    return unit_cost + shortage * (list_price - unit_cost)


def bargained_price(seller_reservation, buyer_reservation, seller_share, list_price=None,
                    temperature=DEFAULT_TEMPERATURE):
    """Per-unit price splitting the surplus between the two reservation prices.

    With the seller's reservation ``r_s`` (its cost plus what it earns without the deal), the
    buyer's reservation ``r_b`` (its per-unit cost without the deal, its disagreement point) and
    the seller's share ``s`` of the net surplus ``r_b - r_s``:

        P = min(p_L, max(r_s, r_s + s (r_b - r_s))).

    ``s = beta`` is the generalised Nash solution with disagreement payoffs ``r_s`` and ``r_b``
    (Nash 1950; Binmore, Rubinstein & Wolinsky 1986); ``s = rubinstein_share(delta_s, delta_b)`` is
    Rubinstein's (1982) alternating offers with the seller proposing first. The floor ``r_s``
    applies when there is no surplus (``r_b < r_s``: no trade; the price is the seller's lowest
    offer). The cap ``p_L`` (``list_price``, optional) is the seller's standing offer: the buyer
    can always buy at list, so the bargained price never exceeds it. The max and min are
    smoothed with ``softplus_max``/``softplus_min`` at ``temperature`` (units of the prices;
    ``0`` is sharp). Non-decreasing in ``r_s``, ``r_b`` and ``s`` (for ``r_b >= r_s``).

    Examples
    --------
    >>> round(float(bargained_price(0.3, 1.1, 0.5, temperature=0.0)), 6)
    0.7
    >>> float(bargained_price(0.3, 2.5, 0.5, list_price=1.0, temperature=0.0))
    1.0
    """
    if _is_concrete(seller_reservation, buyer_reservation, seller_share, list_price, temperature):
        _check_numbers(seller_reservation=seller_reservation, buyer_reservation=buyer_reservation)
        _check_weight("seller_share", seller_share)
        _check_temperature(temperature)
        if list_price is not None:
            require("list_price", list_price, low=0, unit="USD per M tokens")
    r_s = jnp.asarray(seller_reservation)
    inside = softplus_max(r_s, r_s + seller_share * (buyer_reservation - r_s), temperature)
    return inside if list_price is None else softplus_min(list_price, inside, temperature)
