"""The market for inference compute: hyperscalers, NVIDIA clouds and decentralised GPU networks.

A partial equilibrium of one year's market for serving tokens. Notation: supplier classes
``s`` (hyperscalers with custom silicon, NVIDIA clouds and neoclouds, decentralised networks of
consumer GPUs such as io.net, Akash, Render), workload classes ``j`` (a small model that fits on
one consumer GPU, interruption-tolerant batch jobs on a 70B model, latency-critical serving of
a 70B model); ``p_s`` the price of a chip-hour of class s (USD), ``h_sj`` chip-hours per
million output tokens of workload j on s's chip (:func:`workbook.econ.shift.serving_cost` at
$1 per chip-hour: whole chips, prompts included, **from the core model**), ``a_s`` uptime.

**Demand.** Buyers of workload j see the effective price ``e_sj = p_s h_sj / a_s**k_j`` (k_j:
aversion to downtime) and split between suppliers by a CES (power-logit) rule with substitution
elasticity ``theta``; a supplier whose replica misses the class's latency limit (its time per
output token, from the core model) is not offered:

    sigma_sj = m_sj e_sj**-theta / sum_k m_kj e_kj**-theta,    P_j = (sum_s m_sj e_sj**-theta)**(-1/theta)

and the class buys ``Q_j = Q0_j (P_j / P0_j)**-eps_j`` tokens, ``P0_j`` being ``P_j`` at prices
equal to the suppliers' full costs. Chip-hours demanded from s, with failed work redone:
``H_s = sum_j Q_j sigma_sj h_sj / a_s``.

**Supply.** Class s owns ``K_s`` chips (``8760 K_s`` chip-hours a year) whose full cost per
hour at full use is ``c_s`` (:func:`workbook.econ.costs.tco_per_chip_hour`). Owners' reservation
prices are spread log-logistically around ``c_s``, so the share of capacity offered -- the
utilisation -- is ``u_s(p) = 1 / (1 + (p / c_s)**-eta_s)``.

**Equilibrium.** Prices solve ``H_s(p) = 8760 K_s u_s(p_s)`` for every s (Newton's method in
``log p``; derivatives by the implicit function theorem, ``jax.lax.custom_root``). Reported:
prices, utilisation, the margin over the full cost of a *used* hour ``1 - c_s / (u_s p_s)``,
shares, and how all of them move as custom silicon cuts the hyperscalers' cost (a factor ``lambda``
on ``c_hyperscaler``), in particular ``d p_decentralised / d c_hyperscaler`` by ``jax.grad``.

Takeaway: decentralised networks win the small-model tokens on cost per token, but the large
models they cannot hold on one host (no NVLink; the core model puts a 70B replica of RTX 4090s
past the latency limit) stay with the datacentre classes; cheaper custom silicon lowers every
price, the decentralised one by less than in proportion (elasticity between 0 and 1).

Every number of the market is a row of ``workbook/data/market.csv`` (value, low, high, unit,
status, source, date); most are assumptions with ranges, stated as such.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook import calibration, catalog
from workbook.econ.costs import tco_per_chip_hour
from workbook.errors import InputError, require
from workbook.specs import workload

__all__ = [
    "SUPPLIERS",
    "WORKLOADS",
    "HOURS_PER_YEAR",
    "MarketRow",
    "market_table",
    "MarketParams",
    "market_params",
    "MarketHardware",
    "market_hardware",
    "unit_costs",
    "Equilibrium",
    "equilibrium",
    "equilibrium_checked",
    "decentralized_price_response",
    "hyperscaler_cost_sweep",
    "validate_market_params",
    "sampled_params",
    "hyperscaler_cost_sweep_bands",
]

SUPPLIERS = ("hyperscaler", "neocloud", "decentralized")
SUPPLIER_LABELS = {"hyperscaler": "hyperscalers (custom silicon)", "neocloud": "NVIDIA clouds / neoclouds",
                   "decentralized": "decentralised networks (consumer GPUs)"}
WORKLOADS = ("small", "batch", "large")
WORKLOAD_LABELS = {"small": "small model, one consumer GPU", "batch": "batch jobs, 70B, interruption-tolerant",
                   "large": "latency-critical, 70B"}
HOURS_PER_YEAR = 8760.0
_WORKLOAD_SHAPE = {"small": (1024, 256), "batch": (2048, 512), "large": (2048, 256)}  # prompt, output tokens
_NEWTON_STEPS = 40
_MAX_STEP = 1.0  # largest Newton step in log price (a factor e)
# Scaled units keep float32 products in range: tokens in 1e15, chip-hours in 1e9.
_TOKENS_UNIT, _HOURS_UNIT = 1e15, 1e9


# --------------------------------------------------------------------------------------------
# The data table
# --------------------------------------------------------------------------------------------


class MarketRow(NamedTuple):
    """One row of ``market.csv``: a number (or an id) with its range, unit, status, source and date."""

    parameter: str
    value: object  # float, or str for ids
    low: float | None
    high: float | None
    unit: str
    status: str
    source: str
    date: str
    note: str


def _float_or_none(x: str):
    return float(x) if x.strip() else None


def market_table() -> dict[str, MarketRow]:
    """Every row of ``workbook/data/market.csv`` by parameter name."""
    path = resources.files("workbook.data").joinpath("market.csv")
    rows = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            value = r["value"] if r["unit"] == "id" else float(r["value"])
            rows[r["parameter"]] = MarketRow(r["parameter"], value, _float_or_none(r["low"]), _float_or_none(r["high"]),
                                             r["unit"], r["status"], r["source"], r["date"], r["note"])
    return rows


class MarketParams(NamedTuple):
    """The market's numbers as arrays (a pytree: ``jax.grad`` returns one of these).

    Per supplier (shape (3,), order ``SUPPLIERS``): ``capacity_chips``, ``unit_cost`` (USD per
    chip-hour at full use), ``supply_elasticity`` (eta), ``uptime`` (a). Per workload (shape
    (3,), order ``WORKLOADS``): ``demand`` (Q0, tokens/year), ``demand_elasticity`` (eps),
    ``downtime_aversion`` (k). ``substitution`` (theta) and ``hyperscaler_cost_factor``
    (lambda, multiplies the hyperscalers' unit cost) are scalars.
    """

    capacity_chips: jax.Array
    unit_cost: jax.Array
    supply_elasticity: jax.Array
    uptime: jax.Array
    demand: jax.Array
    demand_elasticity: jax.Array
    downtime_aversion: jax.Array
    substitution: jax.Array
    hyperscaler_cost_factor: jax.Array


def _pick(row: MarketRow, which: str) -> float:
    if which == "value" or row.low is None:
        return float(row.value)
    return float(row.low if which == "low" else row.high)


def unit_costs(table: dict[str, MarketRow] | None = None, which: str = "value") -> np.ndarray:
    """Full cost per chip-hour at full use per supplier (USD), :func:`workbook.econ.costs.tco_per_chip_hour`.

    ``capex * CRF(r, n) / 8760 + P * draw * PUE * $/kWh`` from the supplier's ``capex_usd``,
    ``years``, ``rate``, ``power_kw``, ``draw_fraction``, ``pue``, ``usd_per_kwh`` rows.
    ``which="low"`` takes every input at its low end (the cheapest), ``"high"`` at its high end
    except the life, taken at its low end (the dearest).
    """
    t = market_table() if table is None else table
    out = []
    for s in SUPPLIERS:
        g = {k: _pick(t[f"{s}.{k}"], which) for k in ("capex_usd", "rate", "power_kw", "draw_fraction", "pue",
                                                     "usd_per_kwh")}
        life = t[f"{s}.years"]
        years = _pick(life, {"value": "value", "low": "high", "high": "low"}[which])
        out.append(tco_per_chip_hour(g["capex_usd"], years, g["rate"], g["power_kw"], g["draw_fraction"], g["pue"],
                                     g["usd_per_kwh"]))
    return np.asarray(out, float)


def market_params(table: dict[str, MarketRow] | None = None, hyperscaler_cost_factor: float = 1.0,
                  which: str = "value", **overrides) -> MarketParams:
    """:class:`MarketParams` from ``market.csv`` (central values, or every range end with ``which``),
    then ``overrides`` by field name (arrays of 3 or scalars)."""
    t = market_table() if table is None else table
    per_s = lambda k: [_pick(t[f"{s}.{k}"], which) for s in SUPPLIERS]  # noqa: E731
    per_j = lambda k: [_pick(t[f"{j}.{k}"], which) for j in WORKLOADS]  # noqa: E731
    fields = dict(
        capacity_chips=per_s("capacity_chips"), unit_cost=unit_costs(t, which),
        supply_elasticity=per_s("supply_elasticity"),
        uptime=per_s("uptime"), demand=per_j("demand_tokens_per_year"), demand_elasticity=per_j("demand_elasticity"),
        downtime_aversion=per_j("downtime_aversion"), substitution=_pick(t["market.substitution"], which),
        hyperscaler_cost_factor=hyperscaler_cost_factor,
    )
    fields.update(overrides)
    return MarketParams(**{k: jnp.asarray(v, jnp.float32) for k, v in fields.items()})


def validate_market_params(p: MarketParams) -> None:
    """Raise :class:`~workbook.errors.InputError` naming the first field out of its allowed range."""
    require("capacity_chips", p.capacity_chips, low=0, low_open=True, unit="chips")
    require("unit_cost", p.unit_cost, low=0, low_open=True, unit="USD per chip-hour")
    require("supply_elasticity", p.supply_elasticity, low=0.1, high=50)
    require("uptime", p.uptime, low=0.5, high=1)
    require("demand", p.demand, low=0, low_open=True, unit="tokens per year")
    require("demand_elasticity", p.demand_elasticity, low=0, high=5)
    require("downtime_aversion", p.downtime_aversion, low=0, high=100)
    require("substitution", p.substitution, low=0.5, high=30)
    require("hyperscaler_cost_factor", p.hyperscaler_cost_factor, low=0.05, high=5)


# --------------------------------------------------------------------------------------------
# What the core model says about each supplier's chip
# --------------------------------------------------------------------------------------------


class MarketHardware(NamedTuple):
    """Per (supplier, workload), shape (3, 3): chip-hours per million output tokens (``hours``),
    whether the supplier can serve the class (``offered``, 1 or 0), time per output token (s) and
    chips per replica, all from :func:`workbook.econ.shift.serving_cost`."""

    hours: jax.Array
    offered: jax.Array
    tpot_s: jax.Array
    chips: jax.Array


def market_hardware(table: dict[str, MarketRow] | None = None, chip_ids: dict | None = None,
                    tpot_limit_s: float | None = None) -> MarketHardware:
    """Chip-hours per million tokens of each workload class on each supplier's chip (the core model).

    ``h_sj = G T_cycle / (B T_out) / 3600 * 1e6`` = :func:`workbook.econ.shift.serving_cost` at a
    price of $1 per chip-hour, on whole chips in the best layout, with the chip's calibrated (or
    prior-only) efficiencies. The latency-critical class (``large``) is offered only where the
    time per output token is within ``large.tpot_limit_s``; a workload that fits on no layout is
    not offered. Concrete (Python); evaluated once per set of chips and workloads (cached).
    """
    t = market_table() if table is None else table
    ids = {s: str(t[f"{s}.chip_id"].value) for s in SUPPLIERS} | dict(chip_ids or {})
    limit = float(t["large.tpot_limit_s"].value) if tpot_limit_s is None else float(tpot_limit_s)
    require("tpot_limit_s", limit, low=0, low_open=True, unit="s")
    known = set(catalog.chip_ids())
    for s, cid in ids.items():
        if cid not in known:
            raise InputError(f"{s}.chip_id: unknown chip {cid!r}; allowed: a catalog chip id (workbook chips)")
    key = (tuple(ids[s] for s in SUPPLIERS), limit,
           tuple((str(t[f"{j}.model_id"].value), float(t[f"{j}.batch"].value)) for j in WORKLOADS),
           tuple(catalog.chip(ids[s]) for s in SUPPLIERS))
    if key not in _HARDWARE_CACHE:
        _HARDWARE_CACHE[key] = _market_hardware(t, ids, limit)
    return _HARDWARE_CACHE[key]


_HARDWARE_CACHE: dict = {}  # the core model is deterministic: one evaluation per (chips, workloads, limit)


def _market_hardware(t, ids, limit) -> MarketHardware:
    from workbook.econ.shift import serving_cost

    hours, offered, tpot, chips = (np.zeros((3, 3)) for _ in range(4))
    for a, s in enumerate(SUPPLIERS):
        chip = catalog.chip(ids[s])._replace(price=1.0)
        eff = calibration.efficiency(ids[s])
        for b, j in enumerate(WORKLOADS):
            t_in, t_out = _WORKLOAD_SHAPE[j]
            w = workload("fp8", batch=float(t[f"{j}.batch"].value), input_tokens=t_in, output_tokens=t_out)
            try:
                c = serving_cost(chip, catalog.model(str(t[f"{j}.model_id"].value)), w, eff)
            except InputError:
                hours[a, b], offered[a, b], tpot[a, b], chips[a, b] = 1.0, 0.0, np.inf, 0
                continue
            hours[a, b], tpot[a, b], chips[a, b] = c.usd_per_million_output_tokens, c.tpot_s, c.chips
            offered[a, b] = 0.0 if (j == "large" and c.tpot_s > limit) else 1.0
    tpot = np.where(np.isfinite(tpot), tpot, 1e9)
    return MarketHardware(*(jnp.asarray(x, jnp.float32) for x in (hours, offered, tpot, chips)))


# --------------------------------------------------------------------------------------------
# The equilibrium
# --------------------------------------------------------------------------------------------


class Equilibrium(NamedTuple):
    """What :func:`equilibrium` returns (arrays; per supplier in ``SUPPLIERS`` order, per workload
    in ``WORKLOADS`` order)."""

    price: jax.Array  # (3,) USD per chip-hour
    utilisation: jax.Array  # (3,) share of capacity sold
    margin: jax.Array  # (3,) 1 - c / (u p): margin over the full cost of a used chip-hour
    usd_per_million_tokens: jax.Array  # (3, 3) p_s h_sj, what buyers pay per million output tokens
    share: jax.Array  # (3, 3) sigma_sj, each column sums to 1
    tokens: jax.Array  # (3,) Q_j, tokens per year bought
    price_index: jax.Array  # (3,) P_j, USD per million tokens (quality-adjusted)
    chip_hours: jax.Array  # (3,) chip-hours per year sold by each supplier class
    excess_demand: jax.Array  # (3,) log(H_s / supply_s) at the solution (0 when the market clears)


def _costs(p: MarketParams):
    """Unit costs with the hyperscalers' scaled by ``lambda`` (USD per chip-hour)."""
    return p.unit_cost * (1.0 + jnp.asarray([1.0, 0.0, 0.0]) * (p.hyperscaler_cost_factor - 1.0))


def _demand_side(log_price, p: MarketParams, hw: MarketHardware):
    """(chip-hours demanded per supplier in 1e9, shares, tokens in 1e15, price index)."""
    theta = p.substitution
    log_e = log_price[:, None] + jnp.log(hw.hours) - p.downtime_aversion[None, :] * jnp.log(p.uptime)[:, None]
    log_w = jnp.where(hw.offered > 0.5, -theta * log_e, -jnp.inf)
    log_sum = jax.nn.logsumexp(log_w, axis=0)
    share = jnp.exp(log_w - log_sum[None, :])
    log_index = -log_sum / theta
    log_e0 = jnp.log(_costs(p))[:, None] + jnp.log(hw.hours) - p.downtime_aversion[None, :] * jnp.log(p.uptime)[:, None]
    log_index0 = -jax.nn.logsumexp(jnp.where(hw.offered > 0.5, -theta * log_e0, -jnp.inf), axis=0) / theta
    tokens = (p.demand / _TOKENS_UNIT) * jnp.exp(-p.demand_elasticity * (log_index - log_index0))
    # tokens (1e15) x chip-hours per 1e6 tokens = 1e9 chip-hours
    hours = jnp.sum(tokens[None, :] * share * hw.hours, axis=1) / p.uptime
    return hours, share, tokens, jnp.exp(log_index)


def _supply_share(log_price, p: MarketParams):
    return jax.nn.sigmoid(p.supply_elasticity * (log_price - jnp.log(_costs(p))))


def _capacity_hours(p: MarketParams):
    return p.capacity_chips * HOURS_PER_YEAR / _HOURS_UNIT


def _excess(log_price, p: MarketParams, hw: MarketHardware):
    hours, *_ = _demand_side(log_price, p, hw)
    return jnp.log(hours) - jnp.log(_capacity_hours(p) * _supply_share(log_price, p))


def _newton(f, x0):
    def step(_, x):
        dx = jnp.linalg.solve(jax.jacfwd(f)(x), -f(x))
        return x + jnp.clip(dx, -_MAX_STEP, _MAX_STEP)
    return jax.lax.fori_loop(0, _NEWTON_STEPS, step, x0)


def _tangent_solve(g, y):
    return jnp.linalg.solve(jax.jacfwd(g)(y), y)


def _log_prices(p: MarketParams, hw: MarketHardware):
    f = lambda x: _excess(x, p, hw)  # noqa: E731
    x0 = jnp.log(_costs(p)) + 0.3
    return jax.lax.custom_root(f, x0, lambda g, x: _newton(g, x), _tangent_solve)


def equilibrium(p: MarketParams, hw: MarketHardware) -> Equilibrium:
    """The market-clearing prices and what follows from them (see the module docstring).

    Solves ``log H_s(p) - log(8760 K_s u_s(p_s)) = 0`` for the three log prices by 40 damped
    Newton steps from ``log(1.35 c_s)`` (steps clipped to a factor e). Demand for each supplier
    falls in its own price and rises in the others' (CES substitutes) while its supply rises in
    its price, so the excess demand is a gross-substitutes system with one root. Jit-able;
    derivatives with respect to every field of ``p`` by the implicit function theorem.
    Unchecked: validate with :func:`validate_market_params` (or use :func:`equilibrium_checked`).
    """
    x = _log_prices(p, hw)
    hours, share, tokens, index = _demand_side(x, p, hw)
    price = jnp.exp(x)
    u = _supply_share(x, p)
    return Equilibrium(
        price=price, utilisation=u, margin=1.0 - _costs(p) / (u * price),
        usd_per_million_tokens=price[:, None] * hw.hours, share=share, tokens=tokens * _TOKENS_UNIT,
        price_index=index, chip_hours=hours * _HOURS_UNIT, excess_demand=_excess(x, p, hw),
    )


_equilibrium_jit = jax.jit(equilibrium)


def equilibrium_checked(p: MarketParams, hw: MarketHardware) -> Equilibrium:
    """Validated, jitted :func:`equilibrium`; raises :class:`~workbook.errors.InputError` naming a bad
    field, or saying the market did not clear (never returns an uncleared solution)."""
    validate_market_params(p)
    eq = _equilibrium_jit(p, hw)
    gap = float(jnp.max(jnp.abs(eq.excess_demand)))
    if not np.isfinite(gap) or gap > 1e-3:
        raise InputError(f"the market did not clear at these parameters (largest log excess demand {gap:.3g}); "
                         "try values nearer the ranges of market.csv")
    return eq


def _decentralized_price(log_factor, p: MarketParams, hw: MarketHardware):
    return jnp.log(equilibrium(p._replace(hyperscaler_cost_factor=jnp.exp(log_factor)), hw).price[2])


_elasticity_jit = jax.jit(jax.value_and_grad(_decentralized_price))


def decentralized_price_response(p: MarketParams, hw: MarketHardware, workload_class: str = "small") -> dict:
    """How the decentralised price moves with the hyperscalers' cost, by ``jax.grad``.

    ``elasticity = d ln p_dec / d ln c_hyp`` (dimensionless), and the derivative of the
    decentralised price per million tokens of ``workload_class`` with respect to the
    hyperscalers' cost per million tokens of the same class,
    ``d(p_dec h_dec,j) / d(c_hyp h_hyp,j) = elasticity * (p_dec h_dec,j) / (c_hyp h_hyp,j)``.
    Cheaper hyperscaler capacity draws buyers away, so economics predicts a positive sign;
    below 1 in elasticity when the decentralised class keeps tokens the hyperscalers cannot
    reach (or reach only at a quality discount).
    """
    j = WORKLOADS.index(workload_class)
    validate_market_params(p)
    log_p_dec, el = _elasticity_jit(jnp.log(p.hyperscaler_cost_factor), p, hw)
    el = float(el)
    price_dec = float(jnp.exp(log_p_dec)) * float(hw.hours[2, j])
    cost_hyp = float(_costs(p)[0]) * float(hw.hours[0, j])
    return {"elasticity": el, "d_price_decentralized_d_hyperscaler_cost": el * price_dec / cost_hyp,
            "workload": workload_class, "price_decentralized_usd_per_million": price_dec,
            "hyperscaler_cost_usd_per_million": cost_hyp}


def hyperscaler_cost_sweep(p: MarketParams, hw: MarketHardware, factors) -> dict:
    """Equilibria over hyperscaler cost factors ``lambda`` (one vmapped, jitted call).

    Returns ``{"factor": (n,), "price": (n, 3), "utilisation": (n, 3), "margin": (n, 3),
    "share": (n, 3, 3), "excess_demand": (n, 3)}`` as numpy arrays.
    """
    f = jnp.asarray(factors, jnp.float32)
    require("factors", np.asarray(f), low=0.05, high=5)
    eq = _sweep_jit(p, hw, f)
    out = {"factor": np.asarray(f, float)}
    keys = ("price", "utilisation", "margin", "share", "excess_demand", "usd_per_million_tokens")
    out.update({k: np.asarray(getattr(eq, k), float) for k in keys})
    return out


@jax.jit
def _sweep_jit(p, hw, factors):
    return jax.vmap(lambda x: equilibrium(p._replace(hyperscaler_cost_factor=x), hw))(factors)


def sampled_params(n: int = 64, seed: int = 0, table: dict[str, MarketRow] | None = None) -> MarketParams:
    """``n`` parameter sets drawn log-uniformly inside the ranges of ``market.csv`` (stacked arrays).

    Every ranged input of the market -- capacities, the ownership inputs behind the unit costs
    (through :func:`unit_costs` at each draw), supply and demand elasticities, uptimes, demand
    levels, downtime aversions and the substitution elasticity -- is drawn independently.
    Used for the uncertainty bands; a draw whose market does not clear is dropped by the caller.
    """
    require("n", n, low=1, high=4096, integer=True)
    t = market_table() if table is None else table
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(int(n)):
        drawn = {}
        for k, row in t.items():
            if row.unit != "id" and row.low is not None and not k.startswith("observed."):
                lo, hi = float(row.low), float(row.high)
                value = float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) if lo > 0 else float(rng.uniform(lo, hi))
                drawn[k] = row._replace(value=value)
        draws.append(market_params({**t, **drawn}))
    return jax.tree.map(lambda *xs: jnp.stack(xs), *draws)


@jax.jit
def _sampled_sweep_jit(ps, hw, factors):
    return jax.vmap(lambda p: jax.vmap(lambda x: equilibrium(p._replace(hyperscaler_cost_factor=x), hw))(factors))(ps)


def hyperscaler_cost_sweep_bands(ps: MarketParams, hw: MarketHardware, factors, quantiles=(0.1, 0.5, 0.9)) -> dict:
    """Quantiles over parameter draws (:func:`sampled_params`) of the equilibrium along ``factors``.

    Returns ``{"factor": (n,), "quantile": tuple, "price": (q, n, 3), "utilisation": ..., "margin": ...,
    "cleared": int}``; draws that do not clear at every factor (largest log excess demand above
    1e-3) are left out, and ``cleared`` counts the draws kept.
    """
    f = jnp.asarray(factors, jnp.float32)
    require("factors", np.asarray(f), low=0.05, high=5)
    eq = _sampled_sweep_jit(ps, hw, f)
    ok = (np.all(np.abs(np.asarray(eq.excess_demand)) < 1e-3, axis=(1, 2))
          & np.all(np.isfinite(np.asarray(eq.price)), axis=(1, 2)))
    if not ok.any():
        raise InputError("no parameter draw clears the market at every factor")
    out = {"factor": np.asarray(f, float), "quantile": tuple(quantiles), "cleared": int(ok.sum())}
    for k in ("price", "utilisation", "margin"):
        out[k] = np.quantile(np.asarray(getattr(eq, k), float)[ok], quantiles, axis=0)
    return out
