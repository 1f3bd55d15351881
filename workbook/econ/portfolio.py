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
Journal of Risk 2(3): ``CVaR_b(X) = min_t t + E[(X - t)+] / (1 - b)``. Simplex projection follows
Duchi, Shalev-Shwartz, Singer & Chandra (2008), ICML.

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

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.stats import norm

from workbook.econ.bargaining import Supplier, effective_cost_per_unit, validate_supplier
from workbook.errors import InputError, require
from workbook.numerics import bisect, softplus_max

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
    "optimal_allocation",
    "optimal_cost",
    "value_of_alternative",
]

#: Default smoothing temperature of the allocation problem, relative to the cost scale
#: ``max(max_i e_i, pi)`` (dimensionless).
DEFAULT_TEMPERATURE = 0.002
#: Default number of accelerated projected-gradient steps (fixed, so the solver jits).
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


def _check_solver(suppliers, spot_price, risk_aversion, beta, temperature, n_steps) -> None:
    _check_supplier_count(int(np.size(suppliers.price_per_unit)))
    require("n_steps", n_steps, low=1, high=1e5, integer=True)
    if _is_concrete(suppliers, spot_price, risk_aversion, beta, temperature):
        _check_problem(suppliers, spot_price, risk_aversion, beta)
        require("temperature", temperature, low=0, low_open=True, unit="(relative to the cost scale)")
    if _is_concrete(suppliers.capacity):
        validate_capacity(suppliers.capacity)


def optimal_allocation(suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                       temperature=DEFAULT_TEMPERATURE, n_steps=DEFAULT_STEPS):
    """Shares minimising ``E[C] + lambda CVaR_b(C)`` on the capped simplex.

    Solved in the Rockafellar-Uryasev form, jointly over shares ``x`` and the VaR level ``t``:

        min_{x, t} E[C(x)] + lambda [t + E[tau softplus((C(x) - t) / tau)] / (1 - b)],

    which is smooth and jointly convex. Costs are divided by the scale
    ``K = max(max_i e_i, pi)`` (so ``temperature`` is relative to ``K``), and solved by
    ``minimum_on_capped_simplex`` with step ``1 / L``,
    ``L = max(lambda (n + 1) / (4 tau (1 - b)), 1)`` (a bound on the gradient's Lipschitz
    constant). Differentiable through the unrolled iterations with respect to every supplier
    field. The solver core is jitted (``n_steps`` static); this wrapper also works under
    ``jit``/``grad``.

    Raises ``InputError`` ("demand exceeds total capacity ...") when called on concrete
    capacities summing (after ``min(cap, 1)``) to less than 1; under ``jit`` the caller must
    validate with ``validate_capacity``.

    Raises ``InputError`` for more than ``MAX_SUPPLIERS`` suppliers (checked under ``jit``
    too: the count is a static shape), and for concrete input out of range (supplier fields,
    ``spot_price >= 0``, ``risk_aversion >= 0``, ``0 < beta < 1``, ``temperature > 0``).

    Returns
    -------
    jax.Array (n,)
        Shares of demand, ``sum = 1``, ``0 <= x_i <= min(capacity_i, 1)``.
    """
    _check_solver(suppliers, spot_price, risk_aversion, beta, temperature, n_steps)
    return _optimal_allocation(suppliers, spot_price, risk_aversion, beta, temperature, n_steps)


@jax.jit(static_argnames="n_steps")
def _optimal_allocation(suppliers, spot_price, risk_aversion, beta, temperature, n_steps):
    e = _unit_costs(suppliers)
    n = e.shape[0]
    caps = jnp.minimum(jnp.asarray(suppliers.capacity, dtype=e.dtype), 1.0)
    scale = jax.lax.stop_gradient(jnp.maximum(jnp.max(e), spot_price))
    e_n, pi_n = e / scale, spot_price / scale
    probs = scenario_probabilities(suppliers.delivery_probability)
    tau = temperature
    lam = risk_aversion

    def objective(x, t):
        c = scenario_costs(x, e_n, pi_n)
        excess = tau * jax.nn.softplus((c - t) / tau)
        return jnp.sum(probs * c) + lam * (t + jnp.sum(probs * excess) / (1.0 - beta))

    lipschitz = jnp.maximum(lam * (n + 1) / (4.0 * tau * (1.0 - beta)), 1.0)
    x0 = caps / jnp.sum(caps)
    t0 = jnp.sum(probs * scenario_costs(x0, e_n, pi_n))
    x, _ = minimum_on_capped_simplex(
        objective, x0, caps, t0, step_size=1.0 / lipschitz, n_steps=n_steps
    )
    return x


@jax.jit(static_argnames="n_steps")
def _optimal_cost(suppliers, spot_price, risk_aversion, beta, temperature, n_steps):
    x = _optimal_allocation(suppliers, spot_price, risk_aversion, beta, temperature, n_steps)
    return mean_cvar_cost(x, suppliers, spot_price, risk_aversion, beta)


def optimal_cost(suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                 temperature=DEFAULT_TEMPERATURE, n_steps=DEFAULT_STEPS):
    """Sharp ``mean_cvar_cost`` at ``optimal_allocation`` (USD per million output tokens).

    An achievable cost: it exceeds the exact optimum by at most the smoothing and solver error
    (tested against brute force). Validates its input like ``optimal_allocation``.
    """
    _check_solver(suppliers, spot_price, risk_aversion, beta, temperature, n_steps)
    return _optimal_cost(suppliers, spot_price, risk_aversion, beta, temperature, n_steps)


def value_of_alternative(index, suppliers: Supplier, spot_price, risk_aversion=1.0, beta=0.95,
                         temperature=DEFAULT_TEMPERATURE, n_steps=DEFAULT_STEPS):
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
    args = (spot_price, risk_aversion, beta, temperature, n_steps)
    return optimal_cost(without, *args) - optimal_cost(suppliers, *args)
