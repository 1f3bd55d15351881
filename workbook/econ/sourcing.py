"""Sourcing inference compute: what NVIDIA's alternatives are worth at the bargaining table.

Every supplier's cost comes from the core serving model: the same model and workload run on
each chip (:func:`workbook.sensitivity.compare_chips`, calibrated efficiencies, fewest chips
per replica that hold the model) give a cost per million output tokens that is linear in the
chip's rental price, ``cost_i = price_i * u_i`` with ``u_i`` in (USD per M tokens) per
(USD per chip-hour). The lab then adjusts it for porting (Klemperer 1987):

    e_i = price_i u_i / eta_i + porting_i / (Q * Y * min(a_i cap_i, 1)),

where ``eta_i`` is the performance ratio after porting, ``porting_i`` the one-off porting cost
(USD), ``Q`` the lab's demand (M output tokens per year), ``Y`` the contract length (years) and
``a_i = clip((start + Y - year_i) / Y, 0, 1)`` the fraction of the contract during which the
supplier can deliver (its delivery date). ``cap_i`` (fraction of demand) and the delivery
probability ``p_i`` enter the threat-of-replacement cap of :mod:`workbook.bargaining`.

The incumbent (NVIDIA) lists at ``p_N = min`` over its parts (H100, H200, B200, Rubin) of the
cost per token. Its unit cost is ``c = kappa p_N`` and the lab's value ``v = m p_N``
(``kappa``, ``m``: labelled assumptions). The negotiated price is
:func:`workbook.bargaining.negotiated_price` with NVIDIA's weight ``1 - w_lab``.

Leverage of alternative ``i`` = NVIDIA's negotiated price without ``i`` minus the price with
every alternative (always >= 0). Presets are built from dated public reporting
(``SCENARIOS``); every assumption is labelled in ``DEFAULT_TERMS``.

Takeaway: only alternatives that could replace a large share of demand cheaply and reliably move
NVIDIA's price; a small, risky option (a start-up chip, a GPU marketplace) is worth more in the
portfolio than at the table.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook.errors import InputError, require, require_choice

from workbook.econ import bargaining, portfolio
from workbook.econ.bargaining import Supplier

__all__ = [
    "Terms", "Lab", "Market", "INCUMBENT_CHIPS", "ALTERNATIVES", "ALTERNATIVE_NAMES",
    "ALTERNATIVE_CHIPS", "DEFAULT_TERMS", "TERM_NOTES", "SCENARIOS", "SENSITIVITY_FIELDS",
    "cost_per_token_per_price", "build_market", "validate_sourcing", "alternative_suppliers", "outside_option",
    "effective_costs", "incumbent_supplier", "negotiated_nvidia_price", "price_sensitivities",
    "price_elasticities", "leverage", "standalone_leverage", "price_vs_effective_cost",
    "portfolio_suppliers", "allocation", "portfolio_values", "porting_value_ranking",
]

#: Smoothing temperature of the negotiation's kinks, USD per million output tokens.
TEMPERATURE = 0.005

INCUMBENT_CHIPS = ("nvidia_h100_sxm", "nvidia_h200_sxm", "nvidia_b200_hgx", "nvidia_rubin")
ALTERNATIVES = ("tpu_v6e", "tpu_ironwood", "trainium2", "maia200", "fractile", "gpu_marketplace")
ALTERNATIVE_CHIPS = {
    "tpu_v6e": "google_tpu_v6e",
    "tpu_ironwood": "google_tpu7x_ironwood",
    "trainium2": "aws_trainium2",
    "maia200": "microsoft_maia200",
    "fractile": "fractile_imc",
    "gpu_marketplace": "nvidia_a100_80gb_sxm",  # decentralized marketplace: older GPUs
}
ALTERNATIVE_NAMES = {
    "tpu_v6e": "TPU v6e (Google Cloud)",
    "tpu_ironwood": "TPU7x Ironwood (Google)",
    "trainium2": "Trainium2 (AWS)",
    "maia200": "Maia 200 (Azure)",
    "fractile": "Fractile (scenario)",
    "gpu_marketplace": "GPU marketplace (A100s)",
}


class Terms(NamedTuple):
    """What the lab can get from each alternative. Fields are scalars or arrays ``(n,)``."""

    price: float = 1.0  # USD per chip-hour (> 0)
    eta: float = 1.0  # performance ratio after porting (0 < eta <= 1.5)
    porting_cost: float = 0.0  # one-off porting cost, USD (>= 0)
    capacity: float = 1.0  # fraction of the lab's demand it can serve (>= 0)
    delivery_probability: float = 1.0  # probability it delivers (0 .. 1)
    available_from_year: float = 2024.0  # first year it can deliver


class Lab(NamedTuple):
    """The buying lab and the incumbent. Defaults are labelled assumptions, not data."""

    bargaining_weight: float = 0.5  # w_lab in [0, 1]; NVIDIA's weight is 1 - w_lab
    risk_aversion: float = 1.0  # lambda >= 0 in E[C] + lambda CVaR_0.95[C]
    value_multiple: float = 4.0  # m: v = m p_N, the lab's value per token (assumption)
    incumbent_cost_share: float = 0.3  # kappa: c = kappa p_N, NVIDIA's unit cost (assumption: ~70% margin)
    annual_demand: float = 2.0e9  # Q, million output tokens per year (2e15 tokens; assumption)
    contract_years: float = 2.0  # Y
    start_year: float = 2026.0  # first year of the contract
    incumbent_capacity: float = 1.0  # NVIDIA's allocation to the lab, fraction of demand
    incumbent_delivery_probability: float = 0.98


class Market(NamedTuple):
    """Numbers of one scenario. ``unit_cost`` and ``terms`` fields have shape ``(n,)``."""

    incumbent_list_cost: float  # p_N, USD per M output tokens at NVIDIA's catalog rental price
    unit_cost: jax.Array  # u_i: USD per M tokens per USD/chip-hour, from the core model
    terms: Terms  # per-alternative terms
    present: jax.Array  # 1 if the alternative is on the table in this scenario, else 0


# Default terms: prices are the catalog's (see catalog.chip_entry(id).numbers["price"]); the
# rest are workbook assumptions, each noted in TERM_NOTES.
DEFAULT_TERMS = {
    "tpu_v6e": dict(eta=0.9, porting_cost=40e6, capacity=0.5, delivery_probability=0.95, available_from_year=2025.0),
    "tpu_ironwood": dict(eta=0.9, porting_cost=40e6, capacity=1.0, delivery_probability=0.9, available_from_year=2026.0),
    "trainium2": dict(eta=0.75, porting_cost=60e6, capacity=0.5, delivery_probability=0.95, available_from_year=2025.0),
    "maia200": dict(eta=0.7, porting_cost=60e6, capacity=0.6, delivery_probability=0.8, available_from_year=2026.0),
    "fractile": dict(eta=0.7, porting_cost=50e6, capacity=0.2, delivery_probability=0.5, available_from_year=2027.0),
    "gpu_marketplace": dict(price=0.8, eta=0.8, porting_cost=5e6, capacity=0.15, delivery_probability=0.8,
                            available_from_year=2024.0),
}
TERM_NOTES = {
    "tpu_v6e": "price: Google Cloud list (reported, 2025). eta 0.9 (mature JAX/XLA stack), porting 40 M USD, "
               "capacity 0.5, p 0.95: assumptions.",
    "tpu_ironwood": "Anthropic-Google agreement for up to one million TPUs, over 1 GW in 2026 (reported, Oct 2025) "
                    "-> capacity 1.0; price: workbook estimate (contract only). eta, porting, p: assumptions.",
    "trainium2": "Project Rainier uses hundreds of thousands of Trainium2 (reported, 2025) -> capacity 0.5 "
                 "(assumption); price: workbook estimate; eta 0.75 (younger Neuron stack): assumption.",
    "maia200": "Maia 200 announced Jan 2026 (3 nm, 216 GB HBM3e, claims ~30% better perf/$ than Microsoft's fleet); "
               "Anthropic's 30 B USD Azure commitment (late 2025) and 2026 talks on Microsoft chips (reported). "
               "Internal-only: price is a workbook estimate; eta 0.7, capacity 0.6, p 0.8: assumptions.",
    "fractile": "Scenario from public claims: up to 100x faster Llama-2-70B decode than H100 at ~1/10 system cost, "
                "not before 2027, no public silicon (claims, reported). Price: catalog scenario; capacity 0.2, "
                "p 0.5 (delivery risk), eta 0.7: assumptions.",
    "gpu_marketplace": "Decentralized GPU marketplace (Render/Akash/io.net style): A100 80GB at 0.8 USD/h (low end "
                       "of 2026 rentals), eta 0.8 (heterogeneous nodes, network latency), capacity 0.15, p 0.8: "
                       "all assumptions.",
}

#: Scenario presets: alternatives on the table, term overrides, and the dated facts behind them.
SCENARIOS = {
    "NVIDIA only": dict(alternatives=(), overrides={},
                        facts="H100 rental ~2.35 USD/h (Mar 2026, reported); no alternative on the table."),
    "NVIDIA + TPU + Trainium": dict(
        alternatives=("tpu_v6e", "tpu_ironwood", "trainium2"), overrides={},
        facts="Anthropic-Google TPU deal, up to 1 M TPUs (Oct 2025); Project Rainier on Trainium2 (2025). Reported."),
    "+ Maia 200 on Azure": dict(
        alternatives=("tpu_v6e", "tpu_ironwood", "trainium2", "maia200"), overrides={},
        facts="Maia 200 announced Jan 2026; 30 B USD Azure commitment (late 2025); talks on Microsoft chips (2026). "
              "Reported."),
    "+ Fractile in 2027 (claims hold)": dict(
        alternatives=("tpu_v6e", "tpu_ironwood", "trainium2", "maia200", "fractile"), overrides={},
        facts="Fractile claims 100x H100 decode speed at 1/10 cost, not before 2027 (claims, reported)."),
    "+ Fractile in 2027 (claims halve)": dict(
        alternatives=("tpu_v6e", "tpu_ironwood", "trainium2", "maia200", "fractile"),
        overrides={"fractile": {"eta": 0.35}},
        facts="As above, with half the claimed performance (eta 0.7 -> 0.35)."),
    "+ decentralized GPU marketplace": dict(
        alternatives=("tpu_v6e", "tpu_ironwood", "trainium2", "maia200", "gpu_marketplace"), overrides={},
        facts="Render/Akash/io.net-style marketplaces of older GPUs; every number an assumption."),
}

SENSITIVITY_FIELDS = ("eta", "price", "porting_cost", "capacity", "delivery_probability")


# --------------------------------------------------------------------------------------------
# From the core model to suppliers (concrete, not jitted)
# --------------------------------------------------------------------------------------------


def cost_per_token_per_price(chip_ids, model_id="llama-3-70b", precision="fp8", batch=64,
                             input_tokens=2048, output_tokens=512) -> np.ndarray:
    """``u_i``: USD per million output tokens per USD/chip-hour, for each chip (core model).

    Serving cost is ``price * G * T_cycle / 3600 / (B T_out) * 1e6`` (linear in price), so
    ``u = usd_per_million_tokens / price``. Fewest chips per replica that hold the workload;
    calibrated efficiencies. Raises ``InputError`` if the workload fits on none of the chips.
    """
    return _cost_per_token_per_price(tuple(chip_ids), model_id, precision, batch, input_tokens, output_tokens).copy()


@functools.lru_cache(maxsize=32)
def _cost_per_token_per_price(chip_ids, model_id, precision, batch, input_tokens, output_tokens):
    from workbook import catalog
    from workbook import analysis as sensitivity
    from workbook.specs import workload

    w = workload(precision, batch=batch, input_tokens=input_tokens, output_tokens=output_tokens)
    r = sensitivity.compare_chips(list(chip_ids), catalog.model(model_id), w)
    prices = np.array([catalog.chip(c).price for c in chip_ids], dtype=float)
    u = r["usd_per_million_tokens"] / prices
    u = np.where(r["fits"] > 0.5, u, np.inf)
    if not np.isfinite(u).any():
        raise InputError(f"workload: batch {batch} of {model_id} fits on none of the chips")
    return u


def build_market(scenario="+ Maia 200 on Azure", terms: dict | None = None, **workload_kw) -> Market:
    """The :class:`Market` of a preset in ``SCENARIOS`` (or an explicit ``terms`` dict).

    ``terms`` maps alternative name -> dict of :class:`Terms` fields overriding the defaults and
    the preset; ``workload_kw`` goes to :func:`cost_per_token_per_price`.
    """
    from workbook import catalog

    preset = SCENARIOS[require_choice("scenario", scenario, SCENARIOS)]
    chips = list(INCUMBENT_CHIPS) + [ALTERNATIVE_CHIPS[a] for a in ALTERNATIVES]
    u = cost_per_token_per_price(chips, **workload_kw)
    n_inc = len(INCUMBENT_CHIPS)
    inc_prices = np.array([catalog.chip(c).price for c in INCUMBENT_CHIPS])
    p_n = float(np.min(u[:n_inc] * inc_prices))
    rows = []
    for a in ALTERNATIVES:
        row = {"price": catalog.chip(ALTERNATIVE_CHIPS[a]).price, **DEFAULT_TERMS[a]}
        row.update(preset["overrides"].get(a, {}))
        row.update((terms or {}).get(a, {}))
        rows.append(Terms(**row))
    stacked = Terms(*(jnp.asarray([getattr(r, f) for r in rows], dtype=jnp.float32) for f in Terms._fields))
    present = jnp.asarray([1.0 if a in preset["alternatives"] else 0.0 for a in ALTERNATIVES], dtype=jnp.float32)
    return Market(jnp.float32(p_n), jnp.asarray(u[n_inc:], dtype=jnp.float32), stacked, present)


_TERM_RANGES = {
    "price": (0.0, np.inf, "(0, inf) USD per chip-hour", True),
    "eta": (0.0, 1.5, "(0, 1.5]", True),
    "porting_cost": (0.0, np.inf, "[0, inf) USD", False),
    "capacity": (0.0, np.inf, "[0, inf) fraction of demand", False),
    "delivery_probability": (0.0, 1.0, "[0, 1]", False),
}


def validate_sourcing(market: Market, lab: Lab = Lab()) -> Market:
    """Raise :class:`~workbook.errors.InputError` naming the field and its allowed range if the inputs are infeasible.

    Checks each alternative's terms, the lab's parameters, and that the incumbent plus the
    alternatives on the table can cover demand (``min(cap_N, 1) + sum a_i min(cap_i, 1) >= 1``).
    Returns ``market`` unchanged.
    """
    t = market.terms
    for field, (lo, hi, _text, open_low) in _TERM_RANGES.items():
        vals = np.atleast_1d(np.asarray(getattr(t, field), dtype=float))
        names = ALTERNATIVES if vals.shape[0] == len(ALTERNATIVES) else [str(i) for i in range(vals.shape[0])]
        for name, x in zip(names, vals):
            require(f"{name}.{field}", x, low=lo, high=None if np.isinf(hi) else hi, low_open=open_low,
                    finite=field != "capacity")
    lab_ranges = {"bargaining_weight": (0.0, 1.0, False, ""), "risk_aversion": (0.0, None, False, ""),
                  "incumbent_delivery_probability": (0.0, 1.0, False, ""),
                  "incumbent_capacity": (0.0, None, False, "of demand"),
                  "incumbent_cost_share": (0.0, 1.0, False, "of the list price"),
                  "value_multiple": (1.0, None, False, "x the list price"),
                  "annual_demand": (0.0, None, True, "M tokens per year"),
                  "contract_years": (0.0, None, True, "years")}
    for field, (lo, hi, low_open, unit) in lab_ranges.items():
        require(f"lab.{field}", getattr(lab, field), low=lo, high=hi, low_open=low_open, unit=unit)
    caps = np.asarray(_available_capacity(market, lab))
    total = min(float(lab.incumbent_capacity), 1.0) + float(np.sum(np.minimum(caps, 1.0)))
    if total < 1.0 - 1e-6:
        raise InputError(
            f"capacity: demand exceeds total capacity (NVIDIA {float(lab.incumbent_capacity):.3g} + "
            f"alternatives on the table {total - min(float(lab.incumbent_capacity), 1.0):.3g} = {total:.3g} of demand); "
            "allowed: total capacity >= 1")
    return market


# --------------------------------------------------------------------------------------------
# Pure, differentiable pieces
# --------------------------------------------------------------------------------------------


def _available_capacity(market: Market, lab: Lab):
    """``present_i * a_i * cap_i``, with ``a_i`` the fraction of the contract it can deliver."""
    t = market.terms
    years = jnp.asarray(lab.contract_years, dtype=jnp.float32)
    avail = jnp.clip((lab.start_year + years - t.available_from_year) / years, 0.0, 1.0)
    return market.present * avail * t.capacity


def alternative_suppliers(market: Market, lab: Lab = Lab()) -> Supplier:
    """:class:`workbook.bargaining.Supplier` records ``(n,)`` of the alternatives.

    ``price_per_unit = price * u`` (USD per M tokens, before the eta adjustment);
    ``switching_cost_per_unit = porting / (Q Y max(min(cap_avail, 1), 1e-3))``;
    ``capacity = present * a * cap``. Absent alternatives have capacity 0 (no threat).
    """
    t = market.terms
    cap = _available_capacity(market, lab)
    served = jnp.maximum(jnp.minimum(cap, 1.0), 1e-3)
    switching = t.porting_cost / (lab.annual_demand * lab.contract_years * served)
    return Supplier(price_per_unit=t.price * market.unit_cost, eta=t.eta, switching_cost_per_unit=switching,
                    capacity=cap, delivery_probability=t.delivery_probability,
                    available_from_year=t.available_from_year)


def effective_costs(market: Market, lab: Lab = Lab()):
    """``e_i = price_i u_i / eta_i + porting per unit`` (USD per M output tokens), shape ``(n,)``.

    Computed as if every alternative were on the table (porting amortised over its capacity).
    """
    s = alternative_suppliers(market._replace(present=jnp.ones_like(market.present)), lab)
    return bargaining.effective_cost_per_unit(s.price_per_unit, s.eta, s.switching_cost_per_unit)


def _bounds(market: Market, lab: Lab):
    p_n = market.incumbent_list_cost
    return lab.incumbent_cost_share * p_n, lab.value_multiple * p_n


@jax.jit
def outside_option(market: Market, lab: Lab = Lab(), temperature=TEMPERATURE):
    """Lab's expected unit cost of walking away from NVIDIA: ``o = smin(v, cap_i : i on the table)``.

    ``cap_i`` is :func:`workbook.bargaining.threat_of_replacement_cap`. The smooth minimum is
    ``-tau log(exp(-v/tau) + sum_i present_i exp(-cap_i/tau))``
    (:func:`workbook.econ.bargaining.outside_option_cost` with ``present``): alternatives off
    the table drop out of the sum, so putting any alternative on the table can only lower ``o``.
    ``temperature = 0`` is the sharp minimum. USD per million output tokens.
    """
    _, v = _bounds(market, lab)
    return bargaining.outside_option_cost(alternative_suppliers(market, lab), v, temperature, present=market.present)


@jax.jit(static_argnames=("rule",))
def negotiated_nvidia_price(market: Market, lab: Lab = Lab(), rule="deal-me-out", temperature=TEMPERATURE):
    """NVIDIA's negotiated price, USD per million output tokens.

    :func:`workbook.econ.bargaining.price_given_outside_option` with ``c = kappa p_N``,
    ``v = m p_N``, NVIDIA's weight ``beta = 1 - w_lab`` and the masked outside option
    :func:`outside_option`:

    * deal-me-out: ``P = smax(c, smin(o, c + beta (v - c)))``;
    * split-the-difference: ``P = smax(c, c + beta (o - c))``.

    Differentiable with respect to every field of ``market`` and ``lab``.
    """
    c, v = _bounds(market, lab)
    o = outside_option(market, lab, temperature)
    return bargaining.price_given_outside_option(c, v, o, 1.0 - lab.bargaining_weight, rule, temperature)


@jax.jit(static_argnames=("rule",))
def price_sensitivities(market: Market, lab: Lab = Lab(), rule="deal-me-out", temperature=TEMPERATURE) -> Terms:
    """``dP / d terms`` by ``jax.grad``: a :class:`Terms` of arrays ``(n,)`` (USD/M tokens per unit)."""
    def f(terms):
        return negotiated_nvidia_price(market._replace(terms=terms), lab, rule, temperature)

    return jax.grad(f)(market.terms)


@jax.jit(static_argnames=("rule",))
def price_elasticities(market: Market, lab: Lab = Lab(), rule="deal-me-out", temperature=TEMPERATURE) -> Terms:
    """``d log P / d log x`` for every term of every alternative (dimensionless)."""
    g = price_sensitivities(market, lab, rule, temperature)
    p = negotiated_nvidia_price(market, lab, rule, temperature)
    return Terms(*(gi * xi / p for gi, xi in zip(g, market.terms)))


@jax.jit(static_argnames=("rule",))
def leverage(market: Market, lab: Lab = Lab(), rule="deal-me-out", temperature=TEMPERATURE):
    """Marginal leverage ``(n,)``: ``P(without i) - P(with all on the table)``, USD per M tokens.

    Zero for alternatives not on the table; never negative (adding an option only lowers the
    lab's outside-option cost, and the price is non-decreasing in it).
    """
    n = market.present.shape[0]
    base = negotiated_nvidia_price(market, lab, rule, temperature)

    def without(i):
        mask = market.present * (1.0 - jax.nn.one_hot(i, n, dtype=market.present.dtype))
        return negotiated_nvidia_price(market._replace(present=mask), lab, rule, temperature)

    return jax.vmap(without)(jnp.arange(n)) - base


@jax.jit(static_argnames=("rule",))
def standalone_leverage(market: Market, lab: Lab = Lab(), rule="deal-me-out", temperature=TEMPERATURE):
    """``P(NVIDIA only) - P(NVIDIA + only alternative i)`` for every alternative ``(n,)``."""
    n = market.present.shape[0]
    alone = negotiated_nvidia_price(market._replace(present=jnp.zeros(n)), lab, rule, temperature)

    def only(i):
        return negotiated_nvidia_price(market._replace(present=jax.nn.one_hot(i, n)), lab, rule, temperature)

    return alone - jax.vmap(only)(jnp.arange(n))


@jax.jit(static_argnames=("rule",))
def price_vs_effective_cost(market: Market, lab: Lab, index, costs, rule="deal-me-out", temperature=TEMPERATURE):
    """NVIDIA's price when alternative ``index`` (put on the table) has effective cost ``costs``.

    The curve of the kink: flat at the Nash price while the alternative's cap
    ``v - p f (v - e)`` is above it, then falling with slope ``p f`` (deal-me-out); slope
    ``beta p f`` everywhere under split-the-difference. Other alternatives stay as they are;
    ``temperature = 0`` gives the sharp kink. ``costs``: array, USD per M output tokens.
    """
    t, u = market.terms, market.unit_cost
    m = market._replace(present=market.present.at[index].set(1.0))
    # porting per unit at this alternative's capacity, so that price u / eta + porting = e
    switching = alternative_suppliers(m, lab).switching_cost_per_unit[index]

    def at(e):
        price = (e - switching) * t.eta[index] / u[index]
        terms = t._replace(price=t.price.at[index].set(price))
        return negotiated_nvidia_price(m._replace(terms=terms), lab, rule, temperature)

    return jax.vmap(at)(jnp.asarray(costs, dtype=jnp.float32))


# --------------------------------------------------------------------------------------------
# Portfolio: NVIDIA at the negotiated price next to the alternatives
# --------------------------------------------------------------------------------------------


def incumbent_supplier(market: Market, lab: Lab = Lab(), price=None) -> Supplier:
    """NVIDIA as a :class:`Supplier` at ``price`` (default: the negotiated price)."""
    p = negotiated_nvidia_price(market, lab) if price is None else price
    return Supplier(price_per_unit=p, eta=1.0, switching_cost_per_unit=0.0, capacity=lab.incumbent_capacity,
                    delivery_probability=lab.incumbent_delivery_probability, available_from_year=lab.start_year)


def portfolio_suppliers(market: Market, lab: Lab = Lab()) -> Supplier:
    """NVIDIA (index 0, at the negotiated price) followed by the alternatives, arrays ``(n + 1,)``."""
    inc = incumbent_supplier(market, lab)
    alt = alternative_suppliers(market, lab)
    return Supplier(*(jnp.concatenate([jnp.reshape(jnp.asarray(a, jnp.float32), (1,)), jnp.asarray(b, jnp.float32)])
                      for a, b in zip(inc, alt)))


@jax.jit(static_argnames=("n_steps",))
def allocation(market: Market, lab: Lab = Lab(), n_steps=400):
    """Mean-CVaR optimal shares ``(n + 1,)`` (NVIDIA first); spot price for undelivered demand = ``v``.

    See :func:`workbook.portfolio.optimal_allocation`; call :func:`validate_sourcing` first
    under ``jit`` (capacity is not checked on traced values).
    """
    _, v = _bounds(market, lab)
    return portfolio.optimal_allocation(portfolio_suppliers(market, lab), v, lab.risk_aversion, n_steps=n_steps)


def portfolio_values(market: Market, lab: Lab = Lab(), n_steps=400):
    """Mean-CVaR cost saved by each alternative ``(n,)``, USD per M tokens of demand, at fixed NVIDIA price.

    ``optimal_cost(without i) - optimal_cost(with all)``; zero for alternatives not on the table.
    """
    s = portfolio_suppliers(market, lab)
    _, v = _bounds(market, lab)
    n = market.present.shape[0]
    base = portfolio.optimal_cost(s, v, lab.risk_aversion, n_steps=n_steps)

    def without(i):
        cap = s.capacity.at[i + 1].set(0.0)
        return portfolio.optimal_cost(s._replace(capacity=cap), v, lab.risk_aversion, n_steps=n_steps)

    return jnp.stack([without(i) for i in range(n)]) - base


def porting_value_ranking(market: Market, lab: Lab = Lab(), n_steps=400) -> list[dict]:
    """Rows per alternative on the table, sorted by value per dollar of porting effort.

    ``value_usd = (leverage + portfolio value) * Q * Y``; ``per_porting_dollar = value_usd / porting``.
    Portfolio values are taken at the negotiated price with everything on the table.
    """
    lev = np.asarray(leverage(market, lab))
    val = np.asarray(portfolio_values(market, lab, n_steps))
    volume = float(lab.annual_demand * lab.contract_years)
    porting = np.asarray(market.terms.porting_cost)
    rows = []
    for i, a in enumerate(ALTERNATIVES):
        if float(market.present[i]) < 0.5:
            continue
        usd = (max(lev[i], 0.0) + max(val[i], 0.0)) * volume
        rows.append(dict(alternative=a, name=ALTERNATIVE_NAMES[a], leverage=float(lev[i]),
                         portfolio_value=float(val[i]), value_musd=float(usd) / 1e6, porting_musd=float(porting[i]) / 1e6,
                         per_porting_dollar=float(usd) / max(float(porting[i]), 1.0)))
    return sorted(rows, key=lambda r: -r["per_porting_dollar"])
