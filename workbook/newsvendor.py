"""How much buffer to hold against a supplier that can go down: newsvendor models.

Two models, both with holding cost ``h`` per unit left over and stockout (backorder) cost ``p``
per unit short, per period:

1. The plain newsvendor with normal demand ``D ~ N(mu, sigma^2)``:
   ``g(S) = h E[(S - D)+] + p E[(D - S)+] = h (S - mu) + (h + p) sigma L(z)``, with
   ``z = (S - mu) / sigma`` and the standard normal loss function ``L(z) = phi(z) - z (1 - Phi(z))``.
   Optimum at the critical fractile ``Phi(z*) = p / (p + h)``, cost ``(h + p) sigma phi(z*)``.

2. Deterministic demand ``d`` per period and a supplier that is up or down following a Markov
   chain (up -> down with probability ``alpha``, down -> up with probability ``beta``), as in
   Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed. (Wiley, 2019), section 9.2
   and Example 9.3 (derived here from the model; their code is not used). Lead time is zero:
   whenever the supplier is up the firm orders up to ``S``; while it is down it cannot order and
   unmet demand is backordered. If the current period is the ``K``-th consecutive down period
   (``K = 0`` when up), ending inventory is ``S - (K + 1) d``. In steady state

       P(K = 0) = pi_up = beta / (alpha + beta),
       P(K = k) = pi_up alpha (1 - beta)^(k - 1),   k >= 1  (geometric disruption lengths),

   so the cost per period is a newsvendor in ``D = (K + 1) d``:
   ``g(S) = h (S - E[D]) + (h + p) E[(D - S)+]``, ``E[D] = d (1 + pi_up alpha / beta^2)``.
   The optimum is the smallest ``S = n d`` with ``P(D <= S) >= p / (p + h)``.

For inference capacity, read "units" as GPU-hours or tokens of reserved capacity and ``S`` as
the buffer of committed capacity that must ride out a supplier outage.

Takeaway: with ``h = 0.25``, ``p = 3``, ``alpha = 0.04``, ``beta = 0.25`` it pays to hold four
periods of demand (8000 units), because outages are rare but long.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

__all__ = [
    "Newsvendor",
    "DisruptedSupply",
    "normal_loss_function",
    "newsvendor_expected_cost",
    "newsvendor_optimal_level",
    "newsvendor_optimal_cost",
    "fraction_of_time_up",
    "disruption_length_probabilities",
    "disruption_expected_cost",
    "smooth_disruption_expected_cost",
    "disruption_optimal_level",
    "disruption_optimal_cost",
]


class Newsvendor(NamedTuple):
    """Plain newsvendor with normal demand (defaults: Snyder & Shen's running example)."""

    holding_cost: float = 2.0  # h, USD per unit left over per period
    stockout_cost: float = 18.0  # p, USD per unit short per period
    mean_demand: float = 120.0  # mu, units per period
    sd_demand: float = 10.0  # sigma, units per period


class DisruptedSupply(NamedTuple):
    """Deterministic demand with a Markov up/down supplier (defaults: Snyder & Shen Ex. 9.3)."""

    holding_cost: float = 0.25  # h, USD per unit held per period
    stockout_cost: float = 3.0  # p, USD per unit backordered per period
    demand: float = 2000.0  # d, units per period
    disruption_probability: float = 0.04  # alpha, P(up -> down) per period
    recovery_probability: float = 0.25  # beta, P(down -> up) per period, in (0, 1]


# --------------------------------------------------------------------------------------------
# Plain newsvendor
# --------------------------------------------------------------------------------------------


def normal_loss_function(z):
    """Standard normal first-order loss ``L(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z))``."""
    return norm.pdf(z) - z * norm.sf(z)


def newsvendor_expected_cost(order_up_to, nv: Newsvendor = Newsvendor()):
    """Expected cost per period ``g(S) = h (S - mu) + (h + p) sigma L((S - mu) / sigma)``.

    Smooth in ``S`` and in every parameter. Units: USD per period.
    Source: Snyder & Shen (2019), eq. (4.12)-(4.14) (normal newsvendor).

    Examples
    --------
    >>> round(float(newsvendor_expected_cost(132.8155)), 3)
    35.1
    """
    h, p, mu, sigma = nv
    z = (order_up_to - mu) / sigma
    return h * (order_up_to - mu) + (h + p) * sigma * normal_loss_function(z)


def newsvendor_optimal_level(nv: Newsvendor = Newsvendor()):
    """Optimal order-up-to level ``S* = mu + sigma Phi^{-1}(p / (p + h))`` (units)."""
    h, p, mu, sigma = nv
    return mu + sigma * norm.ppf(p / (p + h))


def newsvendor_optimal_cost(nv: Newsvendor = Newsvendor()):
    """Optimal expected cost ``g(S*) = (h + p) sigma phi(z*)`` (USD per period)."""
    h, p, mu, sigma = nv
    return (h + p) * sigma * norm.pdf(norm.ppf(p / (p + h)))


# --------------------------------------------------------------------------------------------
# Supply disruptions
# --------------------------------------------------------------------------------------------


def fraction_of_time_up(disruption_probability, recovery_probability):
    """Stationary probability the supplier is up: ``pi_up = beta / (alpha + beta)``."""
    return recovery_probability / (disruption_probability + recovery_probability)


def disruption_length_probabilities(model: DisruptedSupply, n_max: int):
    """``P(K = k)`` for ``k = 0 .. n_max - 1``, ``K`` the current run of down periods.

    ``P(K = 0) = pi_up``, ``P(K = k) = pi_up alpha (1 - beta)^(k - 1)`` for ``k >= 1``.
    ``n_max`` is static; the omitted tail has mass ``pi_up (alpha / beta) (1 - beta)^(n_max - 1)``.
    """
    alpha, beta = model.disruption_probability, model.recovery_probability
    pi_up = fraction_of_time_up(alpha, beta)
    k = jnp.arange(n_max)
    q = 1.0 - beta
    down = pi_up * alpha * q ** jnp.maximum(k - 1, 0)
    return jnp.where(k == 0, pi_up, down)


def _expected_shortfall_disrupted(order_up_to, model: DisruptedSupply):
    """Closed form of ``E[(D - S)+]`` with ``D = (K + 1) d`` (units per period).

    With ``j = max(1, floor(S / d))`` (the first down-run length ``k >= 1`` that runs short) and
    ``q = 1 - beta``: ``E[(D - S)+] = pi_up (d - S)+ + pi_up alpha q^(j-1) [(d - S) / beta +
    d (j / beta + q / beta^2)]``, from ``sum_{k>=j} q^(k-1) = q^(j-1) / beta`` and
    ``sum_{k>=j} k q^(k-1) = q^(j-1) (j / beta + q / beta^2)``.
    """
    _, _, d, alpha, beta = model
    S = jnp.asarray(order_up_to)
    pi_up = fraction_of_time_up(alpha, beta)
    q = 1.0 - beta
    j = jnp.maximum(1.0, jnp.floor(jax.lax.stop_gradient(S / d)))
    many = j > 1
    q_pow = jnp.where(many, jnp.power(jnp.where(many, q, 1.0), j - 1.0), 1.0)
    tail = pi_up * alpha * q_pow * ((d - S) / beta + d * (j / beta + q / beta**2))
    return pi_up * jnp.maximum(d - S, 0.0) + tail


def disruption_expected_cost(order_up_to, model: DisruptedSupply = DisruptedSupply()):
    """Exact long-run expected cost per period of order-up-to ``S`` under disruptions.

    ``g(S) = h (S - E[D]) + (h + p) E[(D - S)+]``, ``D = (K + 1) d``,
    ``E[D] = d (1 + pi_up alpha / beta^2)``; ``E[(D - S)+]`` in closed form (geometric sums),
    so no truncation. Piecewise linear in ``S`` with kinks at multiples of ``d``: ``jax.grad``
    returns the slope of the current piece (``h - (h + p) P(D > S)``) away from the kinks, and
    exact derivatives with respect to ``h, p, alpha, beta``. Units: USD per period.

    Source: Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed. (2019), section 9.2,
    Example 9.3: ``g(8000) = 2737.0689``, ``g(1200) = 5710.3448`` for the default model.
    """
    h, p, d, alpha, beta = model
    pi_up = fraction_of_time_up(alpha, beta)
    mean_demand = d * (1.0 + pi_up * alpha / beta**2)
    return h * (order_up_to - mean_demand) + (h + p) * _expected_shortfall_disrupted(
        order_up_to, model
    )


def smooth_disruption_expected_cost(order_up_to, model: DisruptedSupply = DisruptedSupply(),
                                    temperature=1.0, n_terms: int = 256):
    """Smooth version of ``disruption_expected_cost`` for gradients through the kinks.

    Replaces ``(D - S)+`` by ``tau softplus((D - S) / tau)`` for the first ``n_terms`` run
    lengths and adds the exact linear tail for ``k >= n_terms`` (valid while
    ``(n_terms + 1) d > S``). It overestimates the sharp cost by at most ``(h + p) tau log 2``
    and converges to it as ``tau -> 0``. ``temperature`` is in units of stock; ``n_terms`` static.
    """
    h, p, d, alpha, beta = model
    S = jnp.asarray(order_up_to)
    probs = disruption_length_probabilities(model, n_terms)
    demand = (jnp.arange(n_terms) + 1.0) * d
    shortfall = jnp.sum(probs * temperature * jax.nn.softplus((demand - S) / temperature))
    pi_up = fraction_of_time_up(alpha, beta)
    q = 1.0 - beta
    j = float(n_terms)
    tail = pi_up * alpha * q ** (j - 1.0) * ((d - S) / beta + d * (j / beta + q / beta**2))
    mean_demand = d * (1.0 + pi_up * alpha / beta**2)
    return h * (S - mean_demand) + (h + p) * (shortfall + tail)


def disruption_optimal_level(model: DisruptedSupply = DisruptedSupply()):
    """Optimal order-up-to level ``S* = n* d`` under disruptions (units).

    ``n*`` is the smallest ``n >= 1`` with ``P(K >= n) = pi_up (alpha / beta) (1 - beta)^(n-1)
    <= h / (h + p)``, i.e. ``n* = 1 + ceil(log(r / P1) / log(1 - beta))`` (at least 1 extra
    period if ``P1 > r``), where ``P1 = P(K >= 1)``, ``r = h / (h + p)``. Piecewise constant, so
    its gradient is zero. Source: Snyder & Shen (2019), section 9.2 (critical fractile on
    ``D = (K + 1) d``).
    """
    h, p, d, alpha, beta = model
    r = h / (h + p)
    p1 = alpha / (alpha + beta)
    q = 1.0 - beta
    safe_q = jnp.where(q > 0, q, 0.5)
    count = jnp.ceil(jnp.log(r / p1) / jnp.log(safe_q))
    count = jnp.where(q > 0, jnp.maximum(count, 1.0), 1.0)
    n_star = 1.0 + jnp.where(p1 > r, count, 0.0)
    return n_star * d


def disruption_optimal_cost(model: DisruptedSupply = DisruptedSupply()):
    """``disruption_expected_cost`` at ``disruption_optimal_level`` (USD per period).

    Examples
    --------
    >>> round(float(disruption_optimal_cost()), 1)
    2737.1
    """
    return disruption_expected_cost(jax.lax.stop_gradient(disruption_optimal_level(model)), model)
