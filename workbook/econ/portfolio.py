"""Mean-CVaR sourcing: how much of its inference demand a lab should give each supplier.

Each supplier ``i`` has an effective unit cost ``e_i = price_i / eta_i + switching_i`` (USD per
million output tokens, see ``workbook.bargaining.effective_cost_per_unit``), a capacity cap
``cap_i = min(capacity_i, 1)`` (fraction of demand) and delivers independently with probability
``p_i``. The lab chooses shares ``x`` on the capped simplex ``{x >= 0, sum x = 1, x <= cap}``.
In a scenario ``s`` (a 0/1 delivery pattern ``delta_s``, one of ``2^n``) its cost per unit of
demand is

    C_s(x) = sum_i x_i [delta_si e_i + (1 - delta_si) pi],

where ``pi`` is the spot (penalty) price paid for undelivered demand; a supplier that fails is not
paid. The lab minimises ``E[C] + lambda * CVaR_beta(C)``.

CVaR follows Rockafellar & Uryasev (2000), "Optimization of conditional value-at-risk",
Journal of Risk 2(3): ``CVaR_b(X) = min_t t + E[(X - t)+] / (1 - b)``; with discrete scenarios the
problem is a linear program. :func:`solve_allocation` solves it on its central path (log barrier,
Newton steps, float64; Boyd & Vandenberghe 2004, ch. 11) to a **certified duality gap** and a
stated KKT residual, and differentiates the solution by the implicit function theorem on the
optimality conditions (never by unrolling). The barrier weight is the temperature: tiny gives the
LP vertex (tested against an exact LP solver to 1e-6), larger gives a smooth allocation.
:func:`minimum_on_capped_simplex` (accelerated projected gradient; projection after Duchi,
Shalev-Shwartz, Singer & Chandra 2008) remains for smooth problems on the capped simplex.

Input checks: the public functions check concrete arguments with
:func:`workbook.errors.require` (probabilities in [0, 1] summing to 1, ``0 < beta < 1``,
``lambda >= 0``, shares on the capped simplex, supplier fields in range) and raise
:class:`~workbook.errors.InputError`; traced arguments (under ``jit``/``grad``/``vmap``) are not
checked. Exact enumeration of ``2^n`` delivery scenarios is refused beyond ``MAX_SUPPLIERS``.

Takeaway: an unreliable or capacity-limited alternative (e.g. a start-up chip) earns a share
only when its cost advantage outweighs the tail risk it adds; ``value_of_alternative`` prices
that option.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.stats import norm

from workbook.econ.bargaining import Supplier, effective_cost_per_unit, validate_supplier
from workbook.errors import InputError, require
from workbook.numerics import bisect, implicit_root, softplus_max

__all__ = [
    "value_at_risk",
    "cvar",
    "rockafellar_uryasev_objective",
    "smooth_cvar",
    "normal_value_at_risk",
    "normal_cvar",
    "project_onto_simplex",
    "project_onto_capped_simplex",
    "minimum_on_capped_simplex",
    "validate_capacity",
    "delivery_scenarios",
    "scenario_probabilities",
    "scenario_costs",
    "mean_cvar_cost",
    "Allocation",
    "KKT_TOLERANCE",
    "GAP_TOLERANCE",
    "solve_allocation",
    "optimal_allocation",
    "optimal_cost",
    "value_of_alternative",
]

#: Default barrier weight (temperature) at which the allocation is returned, relative to the
#: cost scale ``max(max_i e_i, pi)``: sharp (the objective within ~1e-8 of the LP optimum).
DEFAULT_TEMPERATURE = 1e-10
#: Default number of accelerated projected-gradient steps of :func:`minimum_on_capped_simplex`.
DEFAULT_STEPS = 1000
#: Most suppliers whose ``2^n`` delivery scenarios are enumerated exactly: 16 suppliers
#: (65,536 scenarios) take about 1 s and 0.2 GB in :func:`optimal_allocation`; each one more
#: doubles both (20 took 8 s and 1.4 GB; 25 would exhaust a laptop's memory).
MAX_SUPPLIERS = 16
_SUM_TOLERANCE = 1e-4  # float32 shares and probabilities sum to 1 within this


def _is_concrete(*xs):
    """True unless an argument is traced (under jit, grad or vmap): only concrete input is checked."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(xs))


def _check_supplier_count(n: int) -> int:
    """``n`` if at most ``MAX_SUPPLIERS``, else :class:`InputError` saying why and what to do."""
    if n > MAX_SUPPLIERS:
        raise InputError(
            f"suppliers: {n} is too many for the exact mean-CVaR, which enumerates 2^n = {2 ** n:,} delivery "
            f"scenarios (time and memory double with each supplier); allowed at most {MAX_SUPPLIERS}: merge "
            "similar suppliers or drop those with negligible capacity")
    return n


def _check_beta(beta, high_open: bool = True) -> None:
    require("beta", beta, low=0, high=1, low_open=True, high_open=high_open, unit="(confidence level)")


def _check_distribution(losses, probabilities) -> None:
    x = require("losses", losses)
    p = require("probabilities", probabilities, low=0, high=1)
    if np.shape(x) != np.shape(p) or np.ndim(x) != 1 or np.size(x) == 0:
        raise InputError(f"probabilities: shape {np.shape(p)} does not match losses {np.shape(x)}; allowed: two "
                         "non-empty 1-d arrays of the same length")
    total = float(np.sum(p))
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise InputError(f"probabilities: they sum to {total:.6g}; allowed: a sum of 1 (within {_SUM_TOLERANCE:g})")


def _check_shares(shares, caps=None) -> None:
    x = require("shares", shares, low=0, high=1, unit="fractions of demand")
    if np.ndim(x) != 1 or np.size(x) == 0:
        raise InputError(f"shares: shape {np.shape(x)}; allowed: a non-empty 1-d array")
    total = float(np.sum(x))
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise InputError(f"shares: they sum to {total:.6g}; allowed: a sum of 1 (within {_SUM_TOLERANCE:g})")
    if caps is not None:
        over = np.asarray(x) > np.minimum(np.asarray(caps, dtype=float), 1.0) + _SUM_TOLERANCE
        if over.any():
            i = int(np.argmax(over))
            raise InputError(f"shares: {float(x[i]):.6g} (element {i}) exceeds that supplier's capacity "
                             f"{float(np.asarray(caps, dtype=float)[i]):.6g}; allowed: shares <= min(capacity, 1)")


def _check_problem(suppliers: Supplier, spot_price, risk_aversion, beta) -> None:
    validate_supplier(suppliers, "suppliers")
    require("spot_price", spot_price, low=0, unit="USD per M tokens")
    require("risk_aversion", risk_aversion, low=0, unit="(lambda)")
    _check_beta(beta)


# --------------------------------------------------------------------------------------------
# Risk measures
# --------------------------------------------------------------------------------------------


def value_at_risk(losses, probabilities, beta):
    """Discrete ``beta``-VaR: the smallest loss ``x_j`` with ``P(X <= x_j) >= beta``.

    Parameters
    ----------
    losses : array (m,)
        Scenario losses (any unit).
    probabilities : array (m,)
        Scenario probabilities, summing to 1.
    beta : float
        Confidence level in ``(0, 1)``.

    Source: Rockafellar & Uryasev (2000), eq. (1).
    """
    if _is_concrete(losses, probabilities, beta):
        _check_distribution(losses, probabilities)
        _check_beta(beta)
    x = jnp.asarray(losses)
    order = jnp.argsort(x)
    xs = x[order]
    cum = jnp.cumsum(jnp.asarray(probabilities, dtype=x.dtype)[order])
    # tolerance guards against cumsum round-off when beta equals a cumulative probability
    idx = jnp.argmax(cum >= beta - 10 * jnp.finfo(x.dtype).eps)
    return xs[idx]


def rockafellar_uryasev_objective(t, losses, probabilities, beta, temperature=0.0):
    """Rockafellar-Uryasev function ``F_b(t) = t + E[(X - t)+] / (1 - b)``.

    With ``temperature = tau > 0`` the hinge is replaced by ``tau * softplus((X - t) / tau)``,
    which overestimates ``F_b`` by at most ``tau log 2 / (1 - b)``. Minimising over ``t`` gives
    CVaR; the minimiser is VaR. Units: those of the losses.

    Source: Rockafellar & Uryasev (2000), Theorem 1.
    """
    if _is_concrete(t, losses, probabilities, beta, temperature):
        require("t", t)
        _check_distribution(losses, probabilities)
        require("beta", beta, low=0, high=1, high_open=True, unit="(confidence level)")
        require("temperature", temperature, low=0, unit="(units of the losses)")
    x = jnp.asarray(losses)
    excess = softplus_max(x - t, 0.0, temperature)
    return t + jnp.sum(jnp.asarray(probabilities) * excess) / (1.0 - beta)


def cvar(losses, probabilities, beta):
    """Exact conditional value-at-risk of a discrete loss distribution.

    ``CVaR_b(X) = min_t t + E[(X - t)+] / (1 - b)``. The function is piecewise linear and convex
    in ``t``, minimised at ``t = VaR_b`` (a scenario value), so it is evaluated there exactly.
    Its gradient with respect to the losses is the CVaR weight vector ``p_i / (1 - b)`` above
    VaR and ``(F(VaR) - b) / (1 - b)`` on the VaR atom (jax obtains it through ``t``).

    Parameters
    ----------
    losses : array (m,)
    probabilities : array (m,)
        Summing to 1.
    beta : float
        Confidence level in ``(0, 1)``.

    Source: Rockafellar & Uryasev (2000), Theorem 1; Rockafellar & Uryasev (2002) for atoms.

    Examples
    --------
    >>> round(float(cvar(jnp.array([0.0, 1.0, 2.0, 3.0]), jnp.full(4, 0.25), 0.5)), 6)
    2.5
    """
    if _is_concrete(losses, probabilities, beta):
        _check_distribution(losses, probabilities)
        _check_beta(beta)
    t = value_at_risk(losses, probabilities, beta)
    return rockafellar_uryasev_objective(t, losses, probabilities, beta)


def smooth_cvar(losses, probabilities, beta, temperature, n_bisection=60):
    """Smooth CVaR: ``min_t t + E[tau softplus((X - t) / tau)] / (1 - b)``.

    The minimiser solves ``E[sigmoid((X - t) / tau)] = 1 - b``, found by ``n_bisection`` fixed
    bisection steps; by the envelope theorem the gradient needs no derivative of ``t``.
    ``CVaR_b <= smooth_cvar <= CVaR_b + tau log 2 / (1 - b)``, so it converges to ``cvar`` as
    ``tau -> 0``. ``temperature`` is in the unit of the losses.
    """
    if _is_concrete(losses, probabilities, beta, temperature):
        _check_distribution(losses, probabilities)
        _check_beta(beta)
        require("temperature", temperature, low=0, low_open=True, unit="(units of the losses)")
    require("n_bisection", n_bisection, low=1, high=200, integer=True)
    x = jnp.asarray(losses)
    p = jnp.asarray(probabilities, dtype=x.dtype)
    tau = jnp.asarray(temperature, dtype=x.dtype)
    xs = jax.lax.stop_gradient(x)
    # tail mass minus (1 - b) decreases in t; its root is the smooth VaR
    excess_tail = lambda t: jnp.sum(p * jax.nn.sigmoid((xs - t) / tau)) - (1.0 - beta)  # noqa: E731
    t = bisect(excess_tail, jnp.min(xs) - 50.0 * tau, jnp.max(xs) + 50.0 * tau, n_bisection, increasing=False)
    t = jax.lax.stop_gradient(t)
    return rockafellar_uryasev_objective(t, x, p, beta, tau)


def _check_normal(mean_loss, sd_loss, beta) -> None:
    require("mean_loss", mean_loss)
    require("sd_loss", sd_loss, low=0)
    _check_beta(beta)


def normal_value_at_risk(mean_loss, sd_loss, beta):
    """VaR of a normal loss: ``mu + sigma * z_b`` with ``z_b = Phi^{-1}(b)``.

    For a portfolio return ``R ~ N(mu_p, sigma_p^2)`` the loss is ``-R``: pass
    ``mean_loss = -mu_p``. Source: Rockafellar & Uryasev (2000), section 3.
    """
    if _is_concrete(mean_loss, sd_loss, beta):
        _check_normal(mean_loss, sd_loss, beta)
    return mean_loss + sd_loss * norm.ppf(beta)


def normal_cvar(mean_loss, sd_loss, beta):
    """CVaR of a normal loss: ``mu + sigma * phi(z_b) / (1 - b)``.

    For returns: ``CVaR_b = -mu_p + sigma_p phi(z_b) / (1 - b)``.
    Source: Rockafellar & Uryasev (2000), section 3.
    """
    if _is_concrete(mean_loss, sd_loss, beta):
        _check_normal(mean_loss, sd_loss, beta)
    return mean_loss + sd_loss * norm.pdf(norm.ppf(beta)) / (1.0 - beta)


# --------------------------------------------------------------------------------------------
# Projections and the solver
# --------------------------------------------------------------------------------------------


def _check_vector(field: str, y) -> None:
    v = require(field, y)
    if np.ndim(v) != 1 or np.size(v) == 0:
        raise InputError(f"{field}: shape {np.shape(v)}; allowed: a non-empty 1-d array")


def project_onto_simplex(y):
    """Euclidean projection of ``y`` (n,) onto ``{x >= 0, sum x = 1}``.

    Sort ``u`` descending, ``rho = max{j : u_j - (sum_{i<=j} u_i - 1) / j > 0}``,
    ``theta = (sum_{i<=rho} u_i - 1) / rho``, ``x = max(y - theta, 0)``.
    Source: Duchi, Shalev-Shwartz, Singer & Chandra (2008), Figure 1.
    """
    if _is_concrete(y):
        _check_vector("y", y)
    y = jnp.asarray(y)
    u = jnp.sort(y)[::-1]
    css = jnp.cumsum(u) - 1.0
    j = jnp.arange(1, y.shape[-1] + 1, dtype=y.dtype)
    rho = jnp.max(jnp.where(u - css / j > 0, j, 0.0))
    theta = css[rho.astype(int) - 1] / rho
    return jnp.maximum(y - theta, 0.0)


def project_onto_capped_simplex(y, caps):
    """Euclidean projection onto ``{0 <= x <= cap, sum x = 1}`` (requires ``sum cap >= 1``).

    ``x = clip(y - nu, 0, cap)`` with ``nu`` solving ``g(nu) = sum clip(y - nu, 0, cap) = 1``.
    ``g`` is piecewise linear and non-increasing with breakpoints ``y_i`` and ``y_i - cap_i``;
    the segment containing the root is found exactly and ``nu`` is then re-expressed on the
    active set, ``nu = (sum_free y_i + sum_capped cap_i - 1) / |free|``, so gradients flow.
    Caps above 1 are equivalent to 1. With ``cap = 1`` this is Duchi et al. (2008).
    """
    if _is_concrete(y, caps):
        _check_vector("y", y)
        if np.shape(caps) != np.shape(y):
            raise InputError(f"caps: shape {np.shape(caps)} does not match y {np.shape(y)}")
        validate_capacity(caps)
    y = jnp.asarray(y)
    c = jnp.minimum(jnp.asarray(caps, dtype=y.dtype), 1.0)

    def g(nu):
        return jnp.sum(jnp.clip(y[None, :] - nu[:, None], 0.0, c[None, :]), axis=1)

    ys, cs = jax.lax.stop_gradient(y), jax.lax.stop_gradient(c)
    b = jnp.sort(jnp.concatenate([ys, ys - cs]))
    gb = jax.lax.stop_gradient(g(b))  # non-increasing along b
    k = jnp.clip(jnp.sum(gb >= 1.0) - 1, 0, b.shape[0] - 2)
    b0, b1, g0, g1 = b[k], b[k + 1], gb[k], gb[k + 1]
    slope = g0 - g1
    nu0 = jnp.where(slope > 0, b0 + (g0 - 1.0) * (b1 - b0) / jnp.where(slope > 0, slope, 1.0), b0)
    z = ys - nu0
    free = (z > 0) & (z < cs)
    capped = z >= cs
    n_free = jnp.sum(free)
    nu_active = (jnp.sum(jnp.where(free, y, 0.0)) + jnp.sum(jnp.where(capped, c, 0.0)) - 1.0) / (
        jnp.maximum(n_free, 1)
    )
    nu = jnp.where(n_free > 0, nu_active, nu0)
    return jnp.clip(y - nu, 0.0, c)


def minimum_on_capped_simplex(objective: Callable, x0, caps, t0=0.0, step_size=1e-2,
                              n_steps=DEFAULT_STEPS):
    """Minimise ``objective(x, t)`` over ``x`` on the capped simplex and an unconstrained ``t``.

    Accelerated projected gradient (FISTA, Beck & Teboulle 2009) with a fixed step and a fixed
    number of steps, so it jits and is differentiable through the unrolled iterations
    (``lax.scan``). ``t`` is an auxiliary variable (e.g. the VaR level of the
    Rockafellar-Uryasev formulation); pass a dummy if unused.

    Returns
    -------
    (x, t) : tuple of arrays
        The last iterate.
    """
    require("n_steps", n_steps, low=0, high=1e6, integer=True)
    if _is_concrete(step_size, t0):
        require("step_size", step_size, low=0, low_open=True)
        require("t0", t0)
    x0 = project_onto_capped_simplex(x0, caps)
    t0 = jnp.asarray(t0, dtype=x0.dtype)
    grad = jax.grad(objective, argnums=(0, 1))

    def body(carry, k):
        x, t, x_prev, t_prev = carry
        w = (k - 1.0) / (k + 2.0)
        yx, yt = x + w * (x - x_prev), t + w * (t - t_prev)
        gx, gt = grad(yx, yt)
        x_new = project_onto_capped_simplex(yx - step_size * gx, caps)
        t_new = yt - step_size * gt
        return (x_new, t_new, x, t), None

    ks = jnp.arange(1, n_steps + 1, dtype=x0.dtype)
    (x, t, _, _), _ = jax.lax.scan(body, (x0, t0, x0, t0), ks)
    return x, t


# --------------------------------------------------------------------------------------------
# Sourcing under supply disruptions
# --------------------------------------------------------------------------------------------


def _is_concrete(*xs):
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(xs))


def validate_capacity(capacity):
    """Raise :class:`~workbook.errors.InputError` if the suppliers cannot cover total demand (``sum min(cap, 1) < 1``).

    ``capacity`` is each supplier's capacity as a fraction of demand (concrete values).
    """
    caps = np.minimum(require("capacity", capacity, low=0, finite=False, unit="of demand"), 1.0)
    total = float(np.sum(caps))
    if total < 1.0 - 1e-6:
        raise InputError(
            f"demand exceeds total capacity: sum of capacities = {total:.6g} < 1 "
            "(capacities are fractions of total demand; allowed: sum >= 1)"
        )
    return capacity


def delivery_scenarios(n):
    """All ``2^n`` delivery patterns as a 0/1 array (2^n, n); row ``s`` is binary ``s``.

    Enumeration is exact; ``n`` (static) is at most ``MAX_SUPPLIERS``.
    """
    n = int(require("n", n, low=1, integer=True, unit="suppliers"))
    _check_supplier_count(n)
    s = np.arange(2**n)[:, None]
    return ((s >> np.arange(n)[None, :]) & 1).astype(np.float32)


def scenario_probabilities(delivery_probability):
    """Probability of each delivery pattern, suppliers independent: ``prod p^d (1-p)^(1-d)``."""
    if _is_concrete(delivery_probability):
        require("delivery_probability", delivery_probability, low=0, high=1)
    p = jnp.atleast_1d(jnp.asarray(delivery_probability))
    d = jnp.asarray(delivery_scenarios(p.shape[0]), dtype=p.dtype)
    return jnp.prod(d * p[None, :] + (1.0 - d) * (1.0 - p[None, :]), axis=1)


def scenario_costs(shares, unit_costs, spot_price):
    """Cost per unit of demand in each delivery scenario, shape (2^n,).

    ``C_s = sum_i x_i [delta_si e_i + (1 - delta_si) pi]`` (USD per million output tokens).
    """
    if _is_concrete(shares, unit_costs, spot_price):
        _check_shares(shares)
        require("unit_costs", unit_costs, low=0, unit="USD per M tokens")
        require("spot_price", spot_price, low=0, unit="USD per M tokens")
        if np.shape(unit_costs) != np.shape(shares):
            raise InputError(f"unit_costs: shape {np.shape(unit_costs)} does not match shares {np.shape(shares)}")
    x = jnp.asarray(shares)
    e = jnp.asarray(unit_costs, dtype=x.dtype)
    d = jnp.asarray(delivery_scenarios(x.shape[0]), dtype=x.dtype)
    per_unit = d * e[None, :] + (1.0 - d) * spot_price
    return per_unit @ x


def _unit_costs(suppliers: Supplier):
    return effective_cost_per_unit(
        jnp.asarray(suppliers.price_per_unit), jnp.asarray(suppliers.eta),
        jnp.asarray(suppliers.switching_cost_per_unit),
    )


def mean_cvar_cost(shares, suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95):
    """Mean-CVaR cost ``E[C(x)] + lambda CVaR_b(C(x))`` of an allocation (sharp CVaR).

    Parameters
    ----------
    shares : array (n,)
        Fractions of demand, on the capped simplex.
    suppliers : Supplier
        Fields of shape (n,). Unit cost ``e_i = price_i / eta_i + switching_i``.
    spot_price : float
        ``pi``, USD per million output tokens paid for undelivered demand.
    risk_aversion : float
        ``lambda >= 0``.
    beta : float
        CVaR confidence level.

    Returns
    -------
    jax.Array
        USD per million output tokens.
    """
    if _is_concrete(shares, suppliers, spot_price, risk_aversion, beta):
        _check_problem(suppliers, spot_price, risk_aversion, beta)
        _check_shares(shares, suppliers.capacity)
    costs = scenario_costs(shares, _unit_costs(suppliers), spot_price)
    probs = scenario_probabilities(suppliers.delivery_probability)
    return jnp.sum(probs * costs) + risk_aversion * cvar(costs, probs, beta)


class Allocation(NamedTuple):
    """A solved mean-CVaR allocation, with the certificate of how far it is from the optimum.

    ``duality_gap`` is the sharp objective ``E[C(x)] + lambda CVaR_b(C(x))`` at ``shares`` minus
    a lower bound on the exact optimum (the LP dual, see :func:`solve_allocation`), so the
    allocation is within ``duality_gap`` of the exact optimum whatever the solver did.
    """

    shares: jax.Array  # (n,) fractions of demand, on the capped simplex
    value_at_risk: jax.Array  # the Rockafellar-Uryasev level t (smoothed VaR_b of the cost), USD per M tokens
    objective: jax.Array  # E[C] + lambda CVaR_b on the central path (>= the exact optimum), USD per M tokens
    duality_gap: jax.Array  # certified: sharp objective at shares - LP dual bound (>= 0), USD per M tokens
    kkt_residual: jax.Array  # max-norm of the barrier problem's optimality conditions (relative, see KKT_TOLERANCE)
    converged: jax.Array  # bool: kkt_residual <= KKT_TOLERANCE and duality_gap <= (2 nu mu + GAP_TOLERANCE) K


def _check_solver(suppliers, spot_price, risk_aversion, beta, temperature) -> None:
    _check_supplier_count(int(np.size(suppliers.price_per_unit)))
    if _is_concrete(suppliers, spot_price, risk_aversion, beta, temperature):
        _check_problem(suppliers, spot_price, risk_aversion, beta)
        require("temperature", temperature, low=0, low_open=True, high=0.1,
                unit="(barrier parameter, relative to the cost scale)")
    if _is_concrete(suppliers.capacity):
        validate_capacity(suppliers.capacity)


# --- the barrier-smoothed Rockafellar-Uryasev problem (float64 inside) ----------------------
#
# The exact problem is the LP (Rockafellar & Uryasev 2000, Theorem 2)
#     min_{x, t, z}  g.x + lam (t + sum_s p_s z_s / (1 - b))
#     s.t. z_s >= C_s(x) - t,  z_s >= 0,  sum x = 1,  0 <= x <= cap,
# with C = A x, A_si = delta_si e_i + (1 - delta_si) pi and g = A^T p (the mean cost).
# A log barrier of weight mu on every inequality (p_s-weighted on z) gives, after minimising
# over z in closed form, the smooth hinge phi_mu(d) = min_z z - mu log(z - d) - mu log z with
# z(d) = (d + 2 mu + sqrt(d^2 + 4 mu^2)) / 2 and phi'(d) = mu / (z - d) in (0, 1). The solver
# follows the central path (mu from 1 down to ``temperature``, Newton steps on x with t
# eliminated exactly by bisection) and returns the point on it.

_MU_LEVELS = 24  # barrier levels from mu = 1 down to the temperature (geometric)
_NEWTON_PER_LEVEL = 4
_NEWTON_FINAL = 12
# halvings of the bracket of the VaR level (float64): the bracket is at most 1 + 2 pad wide (costs
# are scaled to <= 1), pad = 4 mu / min(b, 1 - b) + mu <= 81 at mu = 1 and b = 0.95 (401 at b =
# 0.99), so 64 halvings leave it under 163 / 2^64 = 9e-18 (4e-17 at b = 0.99): float64's spacing
# near 0.1, and far below the float32 the results are returned in. 120 gave bit-identical results
# (2,592 shares, objectives, prices and gradients over every sourcing scenario, 2026-12-02) in
# 31 ms a solve against 18 ms
_T_BISECTION = 64
#: Largest max-norm of the barrier problem's optimality conditions (costs divided by the cost
#: scale K, the conditions by ``1 + lambda / (1 - b)``) that counts as converged.
KKT_TOLERANCE = 1e-6
#: Largest certified duality gap, relative to the cost scale K, beyond the central path's own
#: ``nu mu`` that counts as converged: the sharp allocation is within 1e-6 K of the optimum.
GAP_TOLERANCE = 1e-6


def _hinge_z(d, mu):
    """``z(d)``: the minimiser of ``z - mu log(z - d) - mu log z`` (the barrier-smoothed ``max(d, 0)``)."""
    return 0.5 * (d + 2.0 * mu + jnp.sqrt(d * d + 4.0 * mu * mu))


def _hinge_slope(d, mu):
    """``phi'(d) = mu / (z - d) = 2 mu / (2 mu - d + sqrt(d^2 + 4 mu^2))``, in (0, 1), increasing in d."""
    return 2.0 * mu / (2.0 * mu - d + jnp.sqrt(d * d + 4.0 * mu * mu))


def _hinge_value(d, mu):
    z = _hinge_z(d, mu)
    return z - mu * jnp.log(z - d) - mu * jnp.log(z)


def _var_level_residual(t, c, p, beta, mu):
    """``sum_s p_s phi'(C_s - t) - (1 - b)``: zero at the smoothed VaR level, decreasing in t."""
    return jnp.sum(p * _hinge_slope(c - t, mu)) - (1.0 - beta)


def _var_level_bracket(c, p, beta, mu):
    pad = 4.0 * mu / jnp.minimum(beta, 1.0 - beta) + mu
    return jnp.min(c) - pad, jnp.max(c) + pad


_var_level = implicit_root(_var_level_residual, _var_level_bracket, steps=_T_BISECTION, increasing=False)


def _problem(theta):
    """Scenario cost matrix ``A`` (m, n), probabilities ``p`` (m,), mean costs ``g`` (n,), all / scale.

    The ``2^n`` delivery patterns are built in the graph (bit ``i`` of the scenario index), not
    as a constant, which keeps compilation fast.
    """
    e, spot, prob, caps, lam, beta, mu = theta
    n = e.shape[0]
    _check_supplier_count(n)
    s = jax.lax.broadcasted_iota(jnp.int32, (2 ** n, n), 0)
    i = jax.lax.broadcasted_iota(jnp.int32, (2 ** n, n), 1)
    d = ((s >> i) & 1).astype(e.dtype)
    a = d * e[None, :] + (1.0 - d) * spot
    p = jnp.prod(d * prob[None, :] + (1.0 - d) * (1.0 - prob[None, :]), axis=1)
    return a, p, p @ a


def _active(caps):
    return caps > 1e-12


def _var_level_value(c, p, beta, mu):
    """The smoothed VaR level by plain bisection (no derivative: used inside the solver loop)."""
    lo, hi = _var_level_bracket(c, p, beta, mu)
    return bisect(lambda t: _var_level_residual(t, c, p, beta, mu), lo, hi, _T_BISECTION, increasing=False)


def _barrier_objective(x, const, mu):
    """``g.x + lam S_mu(x) - mu sum_i [log x_i + log(cap_i - x_i)]`` over active suppliers."""
    a, p, g, caps, lam, beta = const
    c = a @ x
    t = _var_level_value(c, p, beta, mu)
    s = t + jnp.sum(p * _hinge_value(c - t, mu)) / (1.0 - beta)
    act = _active(caps)
    xs = jnp.where(act, x, 1.0)
    room = jnp.where(act, caps - x, 1.0)
    barrier = jnp.sum(jnp.where(act, jnp.log(xs) + jnp.log(room), 0.0))
    return g @ x + lam * s - mu * barrier


def _gradient_rows(x, nu, t, const, mu):
    """``grad F + nu 1`` (active rows) or ``x_i`` (inactive rows), then ``sum x - 1``; ``t`` given."""
    a, p, g, caps, lam, beta = const
    c = a @ x
    w = p * _hinge_slope(c - t, mu) / (1.0 - beta)  # CVaR weights, sum 1
    act = _active(caps)
    xs = jnp.where(act, x, 1.0)
    room = jnp.where(act, caps - x, 1.0)
    grad = g + lam * (a.T @ w) - mu * (1.0 / xs - 1.0 / room) + nu
    return jnp.concatenate([jnp.where(act, grad, x), jnp.reshape(jnp.sum(x) - 1.0, (1,))])


def _stationarity(y, theta):
    """Optimality conditions of the barrier problem in ``y = (x, nu)``: ``grad F + nu 1 = 0``, ``sum x = 1``.

    Inactive suppliers (capacity 0) get ``x_i = 0`` instead of their gradient row. The VaR level
    ``t`` is the implicit root of :func:`_var_level_residual`
    (:func:`workbook.numerics.implicit_root`), so derivatives of these conditions with respect
    to the inputs include ``dt/dtheta``.
    """
    e, spot, prob, caps, lam, beta, mu = theta
    n = e.shape[0]
    a, p, g = _problem(theta)
    x = y[:n]
    t = _var_level(a @ x, p, beta, mu)
    return _gradient_rows(x, y[n], t, (a, p, g, caps, lam, beta), mu)


def _feasible_start(caps):
    act = _active(caps)
    c = jnp.where(act, caps, 0.0)
    return c / jnp.sum(c)


def _max_step(x, dx, caps):
    """Largest step in (0, 1] keeping ``0 < x < cap`` with a fraction-to-boundary of 0.99."""
    act = _active(caps)
    down = jnp.where(act & (dx < 0), -x / jnp.where(dx < 0, dx, -1.0), jnp.inf)
    up = jnp.where(act & (dx > 0), (caps - x) / jnp.where(dx > 0, dx, 1.0), jnp.inf)
    return jnp.minimum(1.0, 0.99 * jnp.minimum(jnp.min(down), jnp.min(up)))


def _kkt_matrix(x, t, const, mu):
    """Jacobian of the optimality conditions in ``(x, nu)``: ``[[H, 1], [1^T, 0]]`` with the reduced Hessian

    ``H = lam [A^T D A - (A^T D 1)(1^T D A) / (1^T D 1)] + mu diag(1/x^2 + 1/(cap - x)^2)``,
    ``D = diag(p_s phi''(C_s - t) / (1 - b))`` (``t`` eliminated), identity rows for inactive suppliers.
    """
    a, p, g, caps, lam, beta = const
    n = x.shape[0]
    d = a @ x - t
    r = jnp.sqrt(d * d + 4.0 * mu * mu)
    curvature = 2.0 * mu * (1.0 - d / r) / (2.0 * mu - d + r) ** 2  # phi''(d)
    dw = p * curvature / (1.0 - beta)
    ad = a.T @ dw
    hess = lam * ((a.T * dw[None, :]) @ a - jnp.outer(ad, ad) / jnp.maximum(jnp.sum(dw), 1e-300))
    act = _active(caps)
    xs = jnp.where(act, x, 1.0)
    room = jnp.where(act, caps - x, 1.0)
    hess = hess + jnp.diag(mu * (1.0 / xs ** 2 + 1.0 / room ** 2))
    hess = jnp.where(act[:, None] & act[None, :], hess, jnp.eye(n, dtype=x.dtype))
    ones = jnp.where(act, 1.0, 0.0)[:, None]
    top = jnp.concatenate([hess, ones], axis=1)
    bottom = jnp.concatenate([jnp.ones((1, n), x.dtype), jnp.zeros((1, 1), x.dtype)], axis=1)
    return jnp.concatenate([top, bottom], axis=0)


def _newton_step(y, const, mu):
    """One damped Newton step on the optimality conditions, Armijo backtracking on the barrier objective."""
    a, p, g, caps, lam, beta = const
    n = g.shape[0]
    x = y[:n]
    t = _var_level_value(a @ x, p, beta, mu)
    r = _gradient_rows(x, y[n], t, const, mu)
    dy = -jnp.linalg.solve(_kkt_matrix(x, t, const, mu), r)
    dy = jnp.where(jnp.all(jnp.isfinite(dy)), dy, 0.0)
    dx = dy[:n]
    f0 = _barrier_objective(x, const, mu)
    slope = jnp.minimum(jnp.dot(r[:n] - y[n], jnp.where(_active(caps), dx, 0.0)), 0.0)

    def too_long(alpha):
        f = _barrier_objective(x + alpha * dx, const, mu)
        # near the optimum the decrease is below float64 resolution: then any feasible step is kept
        tiny = -alpha * slope < 1e-13 * (1.0 + jnp.abs(f0))
        return (~jnp.isfinite(f) | ((f > f0 + 1e-4 * alpha * slope) & ~tiny)) & (alpha > 1e-12)

    alpha = jax.lax.while_loop(too_long, lambda al: 0.5 * al, _max_step(x, dx, caps))
    return y + jnp.where(alpha > 1e-12, alpha, 0.0) * dy


def _central_path_point(theta):
    """``y = (x, nu)`` on the central path at ``mu = theta[-1]``: barrier method, fixed step counts.

    ``mu_k = max(r^(k // 4 + 1), temperature)`` with ``r^24 = temperature``: 24 levels of 4 Newton
    steps, then ``_NEWTON_FINAL`` more at the temperature (one loop, so the step compiles once).
    """
    e, spot, prob, caps, lam, beta, mu_final = theta
    a, p, g = _problem(theta)
    const = (a, p, g, caps, lam, beta)
    x0 = _feasible_start(caps)
    y = jnp.concatenate([x0, jnp.zeros((1,), x0.dtype)])
    ratio = mu_final ** (1.0 / _MU_LEVELS)

    def step(k, y):
        level = jnp.minimum(k // _NEWTON_PER_LEVEL + 1, _MU_LEVELS).astype(y.dtype)
        return _newton_step(y, const, jnp.maximum(ratio ** level, mu_final))

    return jax.lax.fori_loop(0, _MU_LEVELS * _NEWTON_PER_LEVEL + _NEWTON_FINAL, step, y)


@jax.custom_jvp
def _at_solution(theta, y):
    """``y``, the central-path point of ``theta`` found by :func:`_central_path_point`, as a function of
    ``theta`` for differentiation: its derivative comes from the implicit function theorem."""
    return y


@_at_solution.defjvp
def _at_solution_jvp(primals, tangents):
    """Implicit function theorem on the optimality conditions: ``dy = -(dG/dy)^-1 (dG/dtheta . dtheta)``."""
    (theta, y), (dtheta, _) = primals, tangents
    e, spot, prob, caps, lam, beta, mu = theta
    a, p, g = _problem(theta)
    n = e.shape[0]
    t = _var_level_value(a @ y[:n], p, beta, mu)
    jac = _kkt_matrix(y[:n], t, (a, p, g, caps, lam, beta), mu)
    _, g_theta = jax.jvp(lambda th: _stationarity(y, th), (theta,), (dtheta,))
    return y, -jnp.linalg.solve(jac, g_theta)


def _greedy_minimum(coef, caps):
    """``min_x coef.x`` on ``{0 <= x <= cap, sum x = 1}``: fill the cheapest first (exact)."""
    order = jnp.argsort(coef)
    c = caps[order]
    before = jnp.cumsum(c) - c
    fill = jnp.clip(1.0 - before, 0.0, c)
    return jnp.sum(coef[order] * fill)


def _sharp_objective(x, a, p, g, lam, beta):
    c = a @ x
    # the exact CVaR of a discrete distribution, evaluated at its minimiser t = VaR_b: the
    # smallest cost whose cumulative probability reaches b (no argmax: it misbehaves in float64)
    cum = jnp.cumsum(p[jnp.argsort(c)])
    below = jnp.sum(cum < beta - 1e-12)
    t = jnp.sum(jnp.where(jnp.arange(c.shape[0]) == below, jnp.sort(c), 0.0))
    return g @ x + lam * (t + jnp.sum(p * jnp.maximum(c - t, 0.0)) / (1.0 - beta))


def _outputs(theta, y):
    """(shares, VaR level, objective) in cost-scale units at the solution ``y``, differentiable in ``theta``."""
    e, spot, prob, caps, lam, b, mu = theta
    n = e.shape[0]
    y = _at_solution(theta, y)
    x = y[:n]
    a, p, g = _problem(theta)
    c = a @ x
    t = _var_level(c, p, b, mu)
    objective = g @ x + lam * (t + jnp.sum(p * _hinge_z(c - t, mu)) / (1.0 - b))
    return x, t, objective, y


def _theta64(e, spot, prob, caps, lam, beta, mu):
    f64 = jnp.float64
    e, spot = jnp.asarray(e, f64), jnp.asarray(spot, f64)
    scale = jnp.maximum(jnp.max(e), spot)
    theta = (e / scale, spot / scale, jnp.asarray(prob, f64), jnp.minimum(jnp.asarray(caps, f64), 1.0),
             jnp.asarray(lam, f64), jnp.asarray(beta, f64), jnp.asarray(mu, f64))
    return theta, scale


def _scaled(e, spot, prob, caps, lam, beta, mu, y):
    theta, scale = _theta64(e, spot, prob, caps, lam, beta, mu)
    x, t, objective, y = _outputs(theta, y)
    return (x, t * scale, objective * scale), y


@jax.custom_vjp
def _allocation_core(e, spot, prob, caps, lam, beta, mu):
    return _allocation_fwd(e, spot, prob, caps, lam, beta, mu)[0]


def _allocation_fwd(e, spot, prob, caps, lam, beta, mu):
    """Solve in float64; return (shares, VaR, objective, gap, KKT residual, converged as 0/1) in the input dtype."""
    out_dtype = jnp.result_type(e)
    with jax.enable_x64(True):
        n = e.shape[0]
        theta, scale = _theta64(e, spot, prob, caps, lam, beta, mu)
        (x, t, objective), y = _scaled(e, spot, prob, caps, lam, beta, mu, _central_path_point(theta))
        _, b, mu64 = theta[4], theta[5], theta[6]
        a, p, g = _problem(theta)
        c = a @ x
        tn = t / scale
        # certificate: u = lam w is dual feasible (0 <= u <= lam p / (1 - b), sum u = lam), so
        # D(u) = min over the capped simplex of (g + A^T u).x is a lower bound on the LP optimum
        w = p * _hinge_slope(c - tn, mu64) / (1.0 - b)
        w = w / jnp.sum(w)
        lam64 = theta[4]
        dual = _greedy_minimum(g + lam64 * (a.T @ w), theta[3])
        gap = jnp.maximum(_sharp_objective(x, a, p, g, lam64, b) - dual, 0.0)
        # optimality conditions relative to the size of their terms (the CVaR part scales with lam / (1 - b))
        residual = jnp.max(jnp.abs(_stationarity(y, theta))) / (1.0 + lam64 / (1.0 - b))
        # on the central path the gap is at most nu mu, nu = 2 n + 2 lam / (1 - b) (the barrier's parameter)
        bound = 2.0 * (2.0 * n + 2.0 * lam64 / (1.0 - b)) * mu64 + GAP_TOLERANCE
        converged = ((residual <= KKT_TOLERANCE) & (gap <= bound)).astype(jnp.float64)
        out = (x, t, objective, gap * scale, residual, converged)
        return tuple(o.astype(out_dtype) for o in out), (e, spot, prob, caps, lam, beta, mu, y)


def _allocation_bwd(res, cts):
    """Reverse mode in float64 (the transposition must see float64 throughout)."""
    *inputs, y = res
    with jax.enable_x64(True):
        inputs64 = [jnp.asarray(v, jnp.float64) for v in inputs]
        _, vjp = jax.vjp(lambda *args: _scaled(*args, y)[0], *inputs64)
        grads = vjp(tuple(jnp.asarray(c, jnp.float64) for c in cts[:3]))
        return tuple(gr.astype(jnp.result_type(v)) for gr, v in zip(grads, inputs))


_allocation_core.defvjp(_allocation_fwd, _allocation_bwd)


@jax.jit
def _solve_allocation(suppliers, spot_price, risk_aversion, beta, temperature):
    e = jnp.asarray(_unit_costs(suppliers))
    dtype = e.dtype
    args = (e, jnp.asarray(spot_price, dtype), jnp.atleast_1d(jnp.asarray(suppliers.delivery_probability, dtype)),
            jnp.asarray(suppliers.capacity, dtype), jnp.asarray(risk_aversion, dtype), jnp.asarray(beta, dtype),
            jnp.asarray(temperature, dtype))
    x, t, objective, gap, residual, converged = _allocation_core(*args)
    return Allocation(shares=x, value_at_risk=t, objective=objective, duality_gap=jax.lax.stop_gradient(gap),
                      kkt_residual=jax.lax.stop_gradient(residual), converged=jax.lax.stop_gradient(converged) > 0.5)


def solve_allocation(suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                     temperature=DEFAULT_TEMPERATURE) -> Allocation:
    """Mean-CVaR sourcing solved on the central path of its LP, with a certified duality gap.

    The exact problem is the Rockafellar-Uryasev linear program (2000, Theorem 2):

        min_{x, t, z}  E[C(x)] + lambda (t + sum_s p_s z_s / (1 - b))
        s.t. z_s >= C_s(x) - t,  z_s >= 0,  sum_i x_i = 1,  0 <= x_i <= min(capacity_i, 1),

    over the ``2^n`` delivery scenarios ``s`` (:func:`scenario_costs`). A logarithmic barrier of
    weight ``mu`` on every inequality smooths it; ``temperature`` is the final ``mu``, relative to
    the cost scale ``K = max(max_i e_i, pi)``. The solver (barrier method: ``mu`` from 1 down to
    ``temperature`` in 24 levels, damped Newton steps on ``x`` with the VaR level ``t`` eliminated
    exactly, float64 inside) returns the point of the central path, where the objective exceeds
    the exact optimum by at most about ``(2 + 2n) mu K`` (Boyd & Vandenberghe 2004, 11.2).

    **Certificate.** ``u_s = lambda p_s phi'(C_s - t) / (1 - b)`` is feasible for the LP dual
    ``max_u min_x (g + A^T u).x`` (``0 <= u_s <= lambda p_s / (1 - b)``, ``sum u = lambda``), whose
    inner minimum over the capped simplex is exact (fill the cheapest first). ``duality_gap`` =
    sharp objective at ``shares`` - that bound: the allocation is provably within it of the
    optimum. ``kkt_residual`` is the max-norm of the barrier problem's optimality conditions.

    **Derivatives** of the allocation (and of everything computed from it) with respect to every
    supplier field, the spot price and ``lambda`` come from the implicit function theorem on
    those optimality conditions (``jax.custom_jvp``), never from unrolling the iterations. At a
    tiny temperature the allocation is piecewise constant (an LP vertex); a larger temperature
    (``1e-4``) makes it smooth, and the smooth allocation converges to the sharp one as the
    temperature goes to 0 (tested).

    Parameters
    ----------
    suppliers : Supplier
        Fields of shape (n,), ``n <= MAX_SUPPLIERS``; ``e_i = price_i / eta_i + switching_i``.
    spot_price : float
        ``pi``, USD per million output tokens paid for undelivered demand.
    risk_aversion : float
        ``lambda >= 0``.
    beta : float
        CVaR confidence level in (0, 1).
    temperature : float
        Final barrier weight in (0, 0.1], relative to the cost scale.

    Returns
    -------
    Allocation
        Shares, VaR level, objective, duality gap, KKT residual, converged flag.

    Raises
    ------
    InputError
        For concrete input out of range, more than ``MAX_SUPPLIERS`` suppliers, or capacities that
        cannot cover demand (``sum min(cap, 1) < 1``; the caller must check under ``jit``).
    """
    _check_solver(suppliers, spot_price, risk_aversion, beta, temperature)
    return _solve_allocation(suppliers, spot_price, risk_aversion, beta, temperature)


def optimal_allocation(suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                       temperature=DEFAULT_TEMPERATURE):
    """Shares ``(n,)`` minimising ``E[C] + lambda CVaR_b(C)``: ``solve_allocation(...).shares``."""
    return solve_allocation(suppliers, spot_price, risk_aversion, beta, temperature).shares


def optimal_cost(suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                 temperature=DEFAULT_TEMPERATURE):
    """The optimal ``E[C] + lambda CVaR_b(C)`` (USD per million output tokens) on the central path.

    ``solve_allocation(...).objective``: at most ``(2 + 2n) temperature K`` above the exact
    optimum, smooth in every input, its gradient by implicit differentiation.
    """
    return solve_allocation(suppliers, spot_price, risk_aversion, beta, temperature).objective


def value_of_alternative(index, suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                         temperature=DEFAULT_TEMPERATURE):
    """Cost saved by having supplier ``index``: ``optimal_cost(without i) - optimal_cost(with)``.

    "Without ``i``" sets its capacity to 0 (shapes stay static, so this jits). Raises
    ``InputError`` if the others alone cannot cover demand. Units: USD per million output
    tokens of total demand. ``index`` is a static int.
    """
    n = int(np.size(suppliers.price_per_unit))
    require("index", index, low=0, high=n - 1, integer=True, unit=f"(one of the {n} suppliers)")
    index = int(index)
    without = suppliers._replace(
        capacity=jnp.asarray(suppliers.capacity).at[index].set(0.0)
    )
    if _is_concrete(suppliers.capacity):
        validate_capacity(without.capacity)
    args = (spot_price, risk_aversion, beta, temperature)
    return optimal_cost(without, *args) - optimal_cost(suppliers, *args)
