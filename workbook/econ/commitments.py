"""Capacity commitments for perishable compute: take-or-pay (reserved) capacity versus spot.

A lab commits to ``q`` units of capacity per period (GPU-hours, or serving capacity in million
tokens) at price ``k`` per unit, paid whether used or not (take-or-pay, reserved instances,
multi-year cloud commitments). Compute is **perishable**: an hour not used is gone; it can be
resold only at a salvage price ``s < k`` (0 if it cannot). Demand ``D`` above ``q`` is bought
on demand (spot) at ``p > k``. No backorders: unmet demand is served on demand at once, so
this is a one-period newsvendor repeated every period, not an inventory problem.

Expected cost per period

    K(q) = k q - s E[(q - D)+] + p E[(D - q)+]                                   (USD)

and ``dK/dq = k - s P(D < q) - p P(D > q)``. Setting it to zero gives the **critical fractile**

    P(D > q*) = (k - s) / (p - s),      i.e.  F(q*) = (p - k) / (p - s),

the marginal committed unit costs ``k`` for sure, recovers ``s`` if it goes unused and saves
``p`` if it is used (underage cost ``p - k``, overage cost ``k - s``; Arrow, Harris & Marschak
1951, the newsvendor; for reserved versus on-demand cloud capacity see e.g. Hong, Dobrin &
Yin 2011). With ``s = 0``: ``P(D > q*) = k / p``: a 40 % reserved discount (``k = 0.6 p``)
commits to the demand exceeded with probability 0.6 (the 40th percentile). ``k >= p``: commit
nothing.

Demand is lognormal with mean ``m_D`` and coefficient of variation ``cv`` (an assumption: demand
is positive and right-skewed), ``sigma^2 = ln(1 + cv^2)``, ``mu = ln m_D - sigma^2 / 2``, and

    E[(D - q)+] = m_D Phi(d1) - q Phi(d2),  d2 = (mu - ln q) / sigma,  d1 = d2 + sigma.

**Value at risk.** The loss a commitment can cause is the money paid for capacity left unused,
``L = (k - s) (q - D)+``. ``VaR_b(L) = (k - s)(q - D_{1-b})+`` with ``D_{1-b}`` the demand quantile
``1 - b``; ``CVaR_b(L) = (k - s) [E[(a - D)+] / (1 - b) + (q - a)]``, ``a = min(q, D_{1-b})``
(Rockafellar & Uryasev 2002 for the definition).

**Leverage.** Committed capacity is sunk: it is used first whatever happens, so (i) with the
committed supplier only the expected volume above ``q`` is still negotiable
(:func:`uncommitted_volume_share`), and (ii) against NVIDIA the committed capacity is no longer
an outside option: the lab negotiates over the residual demand ``1 - q`` with what remains of its
other options (:func:`nvidia_price_after_commitment`).

Worked example (notebook 04): Anthropic's commitment to buy about 30 B USD of Azure compute
capacity (Microsoft, NVIDIA and Anthropic announcement, 18 Nov 2025, reported by Reuters and
others; multi-year, term not disclosed: 5 years is an assumption).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.stats import norm

from workbook.econ import sourcing
from workbook.errors import InputError, require, require_choice

__all__ = [
    "AZURE_COMMITMENT_USD", "AZURE_COMMITMENT_SOURCE",
    "lognormal_parameters", "demand_quantile", "expected_shortfall", "expected_unused",
    "expected_commitment_cost", "critical_fractile", "optimal_commitment", "savings_versus_spot",
    "unused_value_at_risk", "unused_cvar", "uncommitted_volume_share", "residual_market",
    "nvidia_price_after_commitment",
]

#: Anthropic's reported Azure compute commitment, USD (total over a multi-year term).
AZURE_COMMITMENT_USD = 30e9
AZURE_COMMITMENT_SOURCE = ("Microsoft, NVIDIA and Anthropic joint announcement, 18 Nov 2025 (reported by Reuters "
                           "and others): Anthropic commits to purchase ~30 B USD of Azure compute capacity; "
                           "term not disclosed")


def _is_concrete(*xs) -> bool:
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(xs))


def _check_demand(mean_demand, cv) -> None:
    require("mean_demand", mean_demand, low=0, low_open=True, unit="units per period")
    require("cv", cv, low=0, low_open=True, high=10, unit="(coefficient of variation of demand)")


def _check_prices(commit_price, spot_price, salvage) -> None:
    k = require("commit_price", commit_price, low=0, unit="USD per unit")
    s = require("salvage", salvage, low=0, unit="USD per unit")
    if np.ndim(k) == 0 and np.ndim(s) == 0:
        require("salvage", s, low=0, high=float(k), high_open=float(k) > 0, unit="USD per unit (below commit_price)")
    p = require("spot_price", spot_price, low=0, low_open=True, unit="USD per unit")
    if np.ndim(p) == 0 and np.ndim(s) == 0 and float(p) <= float(s):
        raise InputError(f"spot_price: {float(p):g} is out of range; allowed above salvage ({float(s):g}) USD per unit")


def lognormal_parameters(mean_demand, cv):
    """``(mu, sigma)`` of ``ln D`` for a lognormal demand with mean ``m_D`` and coefficient of variation ``cv``."""
    sigma2 = jnp.log1p(jnp.asarray(cv) ** 2)
    return jnp.log(mean_demand) - 0.5 * sigma2, jnp.sqrt(sigma2)


def demand_quantile(level, mean_demand, cv):
    """``D_level = exp(mu + sigma Phi^-1(level))``: demand not exceeded with probability ``level``."""
    if _is_concrete(level, mean_demand, cv):
        require("level", level, low=0, high=1, low_open=True, high_open=True)
        _check_demand(mean_demand, cv)
    mu, sigma = lognormal_parameters(mean_demand, cv)
    return jnp.exp(mu + sigma * norm.ppf(level))


def expected_shortfall(q, mean_demand, cv):
    """``E[(D - q)+] = m_D Phi(d1) - q Phi(d2)``: demand above the commitment, bought on demand (units)."""
    if _is_concrete(q, mean_demand, cv):
        require("q", q, low=0, low_open=True, unit="units per period")
        _check_demand(mean_demand, cv)
    mu, sigma = lognormal_parameters(mean_demand, cv)
    d2 = (mu - jnp.log(q)) / sigma
    return mean_demand * norm.cdf(d2 + sigma) - q * norm.cdf(d2)


def expected_unused(q, mean_demand, cv):
    """``E[(q - D)+] = q - m_D + E[(D - q)+]``: committed capacity that perishes unused (units)."""
    return q - mean_demand + expected_shortfall(q, mean_demand, cv)


def expected_commitment_cost(q, commit_price, spot_price, mean_demand, cv, salvage=0.0):
    """``K(q) = k q - s E[(q - D)+] + p E[(D - q)+]``, USD per period (see the module docstring)."""
    if _is_concrete(commit_price, spot_price, salvage):
        _check_prices(commit_price, spot_price, salvage)
    return (commit_price * q - salvage * expected_unused(q, mean_demand, cv)
            + spot_price * expected_shortfall(q, mean_demand, cv))


def critical_fractile(commit_price, spot_price, salvage=0.0):
    """``F(q*) = (p - k) / (p - s)``, clipped to [0, 1]: the demand quantile to commit to.

    Examples
    --------
    >>> round(float(critical_fractile(0.6, 1.0)), 6)  # a 40 % reserved discount, no resale
    0.4
    """
    if _is_concrete(commit_price, spot_price, salvage):
        _check_prices(commit_price, spot_price, salvage)
    return jnp.clip((spot_price - commit_price) / (spot_price - salvage), 0.0, 1.0)


def optimal_commitment(commit_price, spot_price, mean_demand, cv, salvage=0.0):
    """``q* = D_{F*}`` with ``F* = critical_fractile(k, p, s)``; 0 when ``k >= p``. Units of demand."""
    if _is_concrete(commit_price, spot_price, salvage, mean_demand, cv):
        _check_prices(commit_price, spot_price, salvage)
        _check_demand(mean_demand, cv)
    f = critical_fractile(commit_price, spot_price, salvage)
    mu, sigma = lognormal_parameters(mean_demand, cv)
    inside = jnp.clip(f, 1e-12, 1.0 - 1e-12)
    return jnp.where(f > 0.0, jnp.exp(mu + sigma * norm.ppf(inside)), 0.0)


def savings_versus_spot(q, commit_price, spot_price, mean_demand, cv, salvage=0.0):
    """Expected saving of committing ``q`` over buying everything on demand: ``p m_D - K(q)`` (USD)."""
    return spot_price * mean_demand - expected_commitment_cost(q, commit_price, spot_price, mean_demand, cv, salvage)


def _put(a, mean_demand, cv):
    """``E[(a - D)+] = a Phi(-d2) - m_D Phi(-d1)`` at ``a``."""
    mu, sigma = lognormal_parameters(mean_demand, cv)
    d2 = (mu - jnp.log(a)) / sigma
    return a * norm.cdf(-d2) - mean_demand * norm.cdf(-d2 - sigma)


def unused_value_at_risk(q, commit_price, mean_demand, cv, beta=0.95, salvage=0.0):
    """``VaR_b`` of the money paid for unused capacity: ``(k - s)(q - D_{1-b})+`` (USD per period)."""
    if _is_concrete(q, beta):
        require("q", q, low=0, low_open=True, unit="units per period")
        require("beta", beta, low=0, high=1, low_open=True, high_open=True)
    low = demand_quantile(1.0 - beta, mean_demand, cv)
    return (commit_price - salvage) * jnp.maximum(q - low, 0.0)


def unused_cvar(q, commit_price, mean_demand, cv, beta=0.95, salvage=0.0):
    """``CVaR_b`` of the unused-capacity loss: ``(k - s)[E[(a - D)+] / (1 - b) + (q - a)]``, ``a = min(q, D_{1-b})``."""
    if _is_concrete(q, beta):
        require("q", q, low=0, low_open=True, unit="units per period")
        require("beta", beta, low=0, high=1, low_open=True, high_open=True)
    a = jnp.minimum(q, demand_quantile(1.0 - beta, mean_demand, cv))
    return (commit_price - salvage) * (_put(a, mean_demand, cv) / (1.0 - beta) + (q - a))


def uncommitted_volume_share(q, mean_demand, cv):
    """``E[(D - q)+] / m_D``: the share of expected volume still negotiable with the committed supplier.

    Take-or-pay fixes price and quantity on ``q``; only volume above it can still move to a rival,
    so the lab's leverage with the committed supplier scales with this share.
    """
    return expected_shortfall(q, mean_demand, cv) / mean_demand


def residual_market(market: sourcing.Market, lab: sourcing.Lab, alternative: str, committed_share):
    """The negotiation with NVIDIA over the demand left after committing ``q`` (share of demand) to ``alternative``.

    The committed capacity is sunk and used first, so NVIDIA and the remaining options compete for
    the residual ``1 - q``. Capacities are re-expressed as shares of it: the committed supplier keeps
    ``(a_i cap_i - q)+`` (its porting is sunk: 0), the others ``cap_j / (1 - q)``, the rental market
    ``R / (1 - q)``, and porting is amortised over the residual volume ``Q (1 - q)``. Delivery risk on
    the committed volume is not modelled. Returns ``(market, lab)`` of the residual negotiation.
    """
    require_choice("alternative", alternative, sourcing.ALTERNATIVES)
    q = require("committed_share", committed_share, low=0, high=1, high_open=True, unit="of demand")
    i = sourcing.ALTERNATIVES.index(alternative)
    a = float(sourcing.availability(market, lab)[i])
    t = market.terms
    left = 1.0 - q
    cap = np.asarray(t.capacity, dtype=np.float64) / left
    own = max(a * float(t.capacity[i]) - q, 0.0)
    cap[i] = own / max(a * left, 1e-9)
    porting = np.asarray(t.porting_cost, dtype=np.float64).copy()
    porting[i] = 0.0
    terms = t._replace(capacity=jnp.asarray(cap, jnp.float32), porting_cost=jnp.asarray(porting, jnp.float32))
    present = market.present.at[i].set(1.0)
    return (market._replace(terms=terms, present=present),
            lab._replace(rental_capacity=lab.rental_capacity / left, annual_demand=lab.annual_demand * left))


def nvidia_price_after_commitment(market: sourcing.Market, lab: sourcing.Lab, alternative: str, committed_share,
                                  protocol: str = "nash"):
    """NVIDIA's negotiated price (USD per M tokens) on the residual demand after the commitment.

    :func:`workbook.econ.sourcing.negotiated_nvidia_price` on :func:`residual_market`. Committing to
    an option the lab would have used as its outside option raises the price (the threat is spent);
    committing to one it would not have used lowers the residual demand the other options must
    cover and can lower it.
    """
    m, lab2 = residual_market(market, lab, alternative, committed_share)
    sourcing.validate_sourcing(m, lab2)
    return float(sourcing.negotiated_nvidia_price(m, lab2, protocol))
