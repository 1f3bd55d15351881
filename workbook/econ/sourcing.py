"""Sourcing inference compute: what NVIDIA's alternatives are worth at the bargaining table.

Every supplier's cost comes from the core serving model: the same model and workload run on
each chip (:func:`workbook.analysis.compare_chips`, calibrated efficiencies, fewest chips per
replica that hold the model) give a cost per million output tokens that is linear in the
chip's rental price, ``cost_i = price_i * u_i``. The lab adjusts it for porting (Klemperer 1987):

    e_i = price_i u_i / eta_i + porting_i / (Q * PV_years * min(a_i cap_i, 1)),

with ``eta_i`` the performance ratio after porting, ``porting_i`` the one-off porting cost (USD),
``Q`` the demand (M output tokens per year), ``PV_years = (1 - exp(-r Y)) / r`` the discounted
length of a ``Y``-year contract and ``a_i`` (:func:`availability`) the share of the contract's
discounted demand a supplier first delivering in year ``t_i`` can serve (Fractile from 2027).

**The negotiation** (:func:`negotiated_nvidia_price`). NVIDIA lists at ``p_L`` (its best part's
cost per token at catalog rental prices), has unit cost ``c = kappa p_L`` and, with a shortage
``sigma``, sells the same capacity elsewhere at list on a share ``sigma``: its reservation price
is ``r_N = c + sigma (p_L - c)``. The lab's reservation price ``o`` (:func:`disagreement_cost`) is
the risk-adjusted cost per unit of its **best mix without NVIDIA**: renting NVIDIA at list
(capacity ``(1 - sigma) R``), every alternative on the table (capacities combine, deliveries fail
independently) and the spot market at ``pi = 2 p_L`` (unlimited), solved by the mean-CVaR LP of
:mod:`workbook.econ.portfolio`. The price splits the surplus (Nash, or Rubinstein's alternating
offers) and never exceeds list: ``P = min(p_L, max(r_N, r_N + s (o - r_N)))``.

**Leverage** is the lab's discount off list, ``p_L - P``: it is never lower with more
alternatives, never lower for a mix than for its best member, never higher with a larger
shortage (tested). Presets follow dated public reporting (``SCENARIOS``); every assumption is
labelled (``DEFAULT_TERMS``, ``TERM_NOTES``, :class:`Lab`).

Takeaway: at today's catalog prices no alternative beats renting NVIDIA at list, so with a deep
rental market (``sigma = 0``) the alternatives add no leverage; under a shortage the rental
market empties and the alternatives' combined capacity is what keeps NVIDIA's price below list.
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
    "ALTERNATIVE_CHIPS", "DEFAULT_TERMS", "TERM_NOTES", "SCENARIOS", "SENSITIVITY_FIELDS", "PROTOCOLS",
    "DISAGREEMENT_NAMES", "PORTFOLIO_NAMES", "LAB_NOTES",
    "cost_per_token_per_price", "build_market", "validate_sourcing", "availability", "alternative_suppliers",
    "effective_costs", "rental_capacity", "disagreement_suppliers", "disagreement", "disagreement_cost",
    "nvidia_reservation_price", "nvidia_share", "negotiated_nvidia_price", "leverage", "price_sensitivities",
    "price_elasticities", "with_only", "table_values", "standalone_leverage", "price_vs_effective_cost",
    "incumbent_supplier", "portfolio_suppliers", "allocation", "portfolio_values", "porting_value_ranking",
    "negotiation_summary", "contract_volume",
]

#: Smoothing temperature of the price's max/min, USD per million output tokens.
TEMPERATURE = 0.002
#: Barrier temperature of the mix when a gradient should be informative (smooth, not an LP vertex).
SMOOTH_SOLVER_TEMPERATURE = 1e-4
#: CVaR confidence level of the lab's risk measure.
CVAR_LEVEL = 0.95
#: Bargaining protocols: generalised Nash, or Rubinstein alternating offers (NVIDIA proposes first).
PROTOCOLS = ("nash", "rubinstein")

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
    risk_aversion: float = 0.5  # lambda >= 0 in E[C] + lambda CVaR_0.95[C] (assumption)
    spot_multiple: float = 2.0  # pi = spot_multiple p_L: spot capacity bought ahead, unlimited (assumption)
    shortfall_multiple: float = 2.5  # pi_f = shortfall_multiple p_L: undelivered demand bought at short notice
    incumbent_cost_share: float = 0.3  # kappa: c = kappa p_N, NVIDIA's unit cost (assumption: ~70% margin)
    annual_demand: float = 2.0e9  # Q, million output tokens per year (2e15 tokens; assumption)
    contract_years: float = 2.0  # Y
    start_year: float = 2026.0  # first year of the contract
    incumbent_capacity: float = 1.0  # NVIDIA's allocation to the lab, fraction of demand
    incumbent_delivery_probability: float = 1.0  # the deal's capacity is contracted (assumption)
    shortage: float = 0.2  # sigma in [0, 1]: share of that capacity NVIDIA sells elsewhere at list (assumption)
    rental_capacity: float = 1.0  # R: NVIDIA capacity rentable at list without a shortage, share of demand
    discount_rate: float = 0.10  # r per year, for options that deliver later (assumption: 0 .. 0.2)
    nvidia_discount: float = 0.95  # Rubinstein: NVIDIA's discount factor per round of offers (assumption)
    lab_discount: float = 0.95  # Rubinstein: the lab's discount factor per round (assumption)


#: Where each :class:`Lab` default comes from (all are assumptions, with the range explored).
LAB_NOTES = {
    "bargaining_weight": "assumption, 0.5 (symmetric Nash); 0 .. 1",
    "risk_aversion": "assumption, lambda = 0.5 on CVaR_0.95 (moderately risk averse); 0 .. 5",
    "spot_multiple": "assumption, pi = 2 p_L for spot capacity in a shortage (H100 > 8 USD/h at the 2023 peak vs "
                     "~2.85 early 2024, reported: ~2.8x); 1 .. 4",
    "shortfall_multiple": "assumption, pi_f = 2.5 p_L for demand a supplier fails to deliver, bought at short notice "
                          "(a 25 % premium over planned spot); at least spot_multiple",
    "incumbent_delivery_probability": "assumption, 1: the deal's capacity is contracted",
    "incumbent_cost_share": "assumption, c = 0.3 p_L (NVIDIA's ~70% gross margin, reported FY2025); 0.2 .. 0.5",
    "shortage": "assumption, sigma = 0.2; H100 rentals > 8 USD/h at the 2023 peak vs ~2.35 (Mar 2026, reported) "
                "bracket sigma from ~1 (2023) to ~0 (2025); 0 .. 1",
    "rental_capacity": "assumption, R = 1: the rental market could carry all the lab's demand without a shortage",
    "discount_rate": "assumption, 10 % per year (a growth-company cost of capital); 0 .. 0.2",
}
#: Suppliers of :func:`disagreement_suppliers` (the lab's mix without NVIDIA), in order.
DISAGREEMENT_NAMES = ("NVIDIA at list (rental)",) + tuple(ALTERNATIVE_NAMES[a] for a in ALTERNATIVES) + ("spot market",)
#: Suppliers of :func:`portfolio_suppliers` (the mix with the deal), in order.
PORTFOLIO_NAMES = ("NVIDIA (negotiated)",) + DISAGREEMENT_NAMES


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

    Checks each alternative's terms and the lab's parameters. Demand is always covered (going
    without is an option at ``v``), so no capacity check is needed. Returns ``market`` unchanged.
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
                  "spot_multiple": (1.0, None, False, "x the list price"),
                  "shortfall_multiple": (1.0, None, False, "x the list price"),
                  "annual_demand": (0.0, None, True, "M tokens per year"),
                  "contract_years": (0.0, None, True, "years"),
                  "shortage": (0.0, 1.0, False, ""),
                  "rental_capacity": (0.0, None, False, "of demand"),
                  "discount_rate": (0.0, 1.0, False, "per year"),
                  "nvidia_discount": (0.0, 1.0, False, "per round"),
                  "lab_discount": (0.0, 1.0, False, "per round")}
    for field, (lo, hi, low_open, unit) in lab_ranges.items():
        high_open = field in ("nvidia_discount", "lab_discount")
        require(f"lab.{field}", getattr(lab, field), low=lo, high=hi, low_open=low_open, high_open=high_open,
                unit=unit)
    return market


# --------------------------------------------------------------------------------------------
# Pure, differentiable pieces
# --------------------------------------------------------------------------------------------


def contract_volume(lab: Lab = Lab()):
    """``Q (1 - exp(-r Y)) / r``: the contract's discounted volume, million output tokens (``Q Y`` at r = 0).

    Multiplies a per-token saving (USD per M tokens) into USD over the contract.
    """
    return lab.annual_demand * _pv_years(lab)


def _pv_years(lab: Lab):
    """Present value of one unit of demand per year over the contract: ``(1 - exp(-r Y)) / r`` (years)."""
    r, y = jnp.asarray(lab.discount_rate, jnp.float32), jnp.asarray(lab.contract_years, jnp.float32)
    safe = jnp.where(r > 1e-9, r, 1.0)
    return jnp.where(r > 1e-9, -jnp.expm1(-safe * y) / safe, y)


def availability(market: Market, lab: Lab = Lab()):
    """``a_i``: the share of the contract's discounted demand alternative ``i`` can serve, ``(n,)``.

    A supplier first able to deliver in year ``t_i`` serves the contract from ``tau = t_i - t0``
    to ``Y``; weighting each year by ``exp(-r (year - t0))``,

        a_i = (exp(-r tau) - exp(-r Y)) / (1 - exp(-r Y)),   tau clipped to [0, Y],

    which is ``(Y - tau) / Y`` at ``r = 0``. Later delivery counts for less than its calendar
    share: at r = 10 % a supplier arriving half way through a 2-year contract serves 47.5 % of
    its discounted demand. (Its delivery risk enters separately, as ``p_i`` in the scenarios.)
    """
    t = market.terms
    r, y = jnp.asarray(lab.discount_rate, jnp.float32), jnp.asarray(lab.contract_years, jnp.float32)
    tau = jnp.clip(t.available_from_year - lab.start_year, 0.0, y)
    safe = jnp.where(r > 1e-9, r, 1.0)
    discounted = (jnp.exp(-safe * tau) - jnp.exp(-safe * y)) / -jnp.expm1(-safe * y)
    return jnp.where(r > 1e-9, discounted, (y - tau) / y)


def _available_capacity(market: Market, lab: Lab):
    """``present_i * a_i * cap_i``: capacity as a share of the contract's discounted demand."""
    return market.present * availability(market, lab) * market.terms.capacity


def alternative_suppliers(market: Market, lab: Lab = Lab()) -> Supplier:
    """:class:`workbook.econ.bargaining.Supplier` records ``(n,)`` of the alternatives.

    ``price_per_unit = price * u`` (USD per M tokens, before the eta adjustment);
    ``switching_cost_per_unit = porting / (Q * PV_years * max(min(cap_avail, 1), 1e-3))`` with
    ``PV_years = (1 - exp(-r Y)) / r`` (porting is paid up front, amortised over the discounted
    tokens it serves); ``capacity = present * a * cap``. Absent alternatives have capacity 0.
    """
    t = market.terms
    cap = _available_capacity(market, lab)
    served = jnp.maximum(jnp.minimum(cap, 1.0), 1e-3)
    switching = t.porting_cost / (lab.annual_demand * _pv_years(lab) * served)
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
    """NVIDIA's unit cost ``c = kappa p_L`` and the spot price ``pi = spot_multiple p_L``."""
    p_n = market.incumbent_list_cost
    return lab.incumbent_cost_share * p_n, lab.spot_multiple * p_n


def _shortfall_price(market: Market, lab: Lab):
    """``pi_f = shortfall_multiple p_L``: what undelivered demand costs, bought at short notice."""
    return lab.shortfall_multiple * market.incumbent_list_cost


def rental_capacity(lab: Lab = Lab()):
    """NVIDIA capacity the lab can rent at list (neoclouds, cloud on-demand): ``(1 - sigma) R``, share of demand.

    ``R`` (``lab.rental_capacity``) is what the rental market could supply without a shortage;
    the shortage ``sigma`` that lets NVIDIA sell elsewhere at list also empties the rental market.
    """
    return (1.0 - jnp.asarray(lab.shortage, jnp.float32)) * lab.rental_capacity


def _stack(*suppliers: Supplier) -> Supplier:
    return Supplier(*(jnp.concatenate([jnp.reshape(jnp.asarray(getattr(s, f), jnp.float32), (-1,))
                                       for s in suppliers]) for f in Supplier._fields))


def _one(price, capacity, delivery, year) -> Supplier:
    return Supplier(price_per_unit=price, eta=1.0, switching_cost_per_unit=0.0, capacity=capacity,
                    delivery_probability=delivery, available_from_year=year)


def disagreement_suppliers(market: Market, lab: Lab = Lab()) -> Supplier:
    """The lab's options without a deal with NVIDIA, arrays ``(n + 2,)`` (``DISAGREEMENT_NAMES``).

    0. NVIDIA at list from the rental market: ``p_L``, capacity ``(1 - sigma) R``, certain;
    1 .. n. the alternatives (:func:`alternative_suppliers`; absent ones have capacity 0);
    n + 1. the spot market bought ahead: ``pi = spot_multiple p_L`` per unit, unlimited, certain.

    Demand an option fails to deliver is bought at short notice at ``pi_f = shortfall_multiple p_L``.
    """
    p_l = market.incumbent_list_cost
    _, v = _bounds(market, lab)
    rent = _one(p_l, rental_capacity(lab), 1.0, lab.start_year)
    without = _one(v, jnp.inf, 1.0, lab.start_year)
    return _stack(rent, alternative_suppliers(market, lab), without)


def disagreement(market: Market, lab: Lab = Lab(), temperature=portfolio.DEFAULT_TEMPERATURE) -> portfolio.Allocation:
    """The lab's best mix without NVIDIA: :func:`workbook.econ.portfolio.solve_allocation` over
    :func:`disagreement_suppliers`, undelivered demand bought at short notice at ``pi_f``."""
    return portfolio.solve_allocation(disagreement_suppliers(market, lab), _shortfall_price(market, lab),
                                      lab.risk_aversion, CVAR_LEVEL,
                                      temperature)


def disagreement_cost(market: Market, lab: Lab = Lab(), temperature=portfolio.DEFAULT_TEMPERATURE):
    """``o``: the lab's risk-adjusted cost per unit of demand with its best mix without NVIDIA.

    ``o = min_x (E[C(x)] + lambda CVaR_0.95[C(x)]) / (1 + lambda)`` over the options of
    :func:`disagreement_suppliers` (capacities combine; each fails independently with its
    delivery probability). Dividing by ``1 + lambda`` makes it a certainty equivalent: a sure
    cost ``k`` gives ``o = k``. Renting all demand at list is among the options when
    ``sigma = 0`` and ``R >= 1``, so then ``o <= p_L``. USD per million output tokens.
    Differentiable in every field of ``market`` and ``lab`` (implicit differentiation).
    """
    return disagreement(market, lab, temperature).objective / (1.0 + lab.risk_aversion)


def nvidia_reservation_price(market: Market, lab: Lab = Lab()):
    """``r_N = c + sigma (p_L - c)``: :func:`workbook.econ.bargaining.seller_reservation_price`."""
    c, _ = _bounds(market, lab)
    return bargaining.seller_reservation_price(market.incumbent_list_cost, c, lab.shortage)


def nvidia_share(lab: Lab = Lab(), protocol: str = "nash"):
    """NVIDIA's share of the net surplus: ``1 - w_lab`` (Nash) or Rubinstein's first-proposer share.

    ``rubinstein``: NVIDIA proposes first, ``(1 - delta_lab) / (1 - delta_N delta_lab)`` with the
    per-round discount factors ``lab.nvidia_discount`` and ``lab.lab_discount``.
    """
    require_choice("protocol", protocol, PROTOCOLS)
    if protocol == "nash":
        return 1.0 - jnp.asarray(lab.bargaining_weight, jnp.float32)
    return bargaining.rubinstein_share(lab.nvidia_discount, lab.lab_discount)


def negotiated_nvidia_price(market: Market, lab: Lab = Lab(), protocol: str = "nash",
                            temperature=TEMPERATURE, solver_temperature=portfolio.DEFAULT_TEMPERATURE):
    """NVIDIA's negotiated price, USD per million output tokens:

        P = min(p_L, max(r_N, r_N + s (o - r_N))),

    :func:`workbook.econ.bargaining.bargained_price` with NVIDIA's reservation
    ``r_N = c + sigma (p_L - c)`` (:func:`nvidia_reservation_price`), the lab's reservation
    ``o`` (:func:`disagreement_cost`, its best mix without NVIDIA) and NVIDIA's share ``s``
    (:func:`nvidia_share`: Nash or Rubinstein). Never above the list price ``p_L``; never lower
    when an alternative is removed or the shortage grows. ``temperature`` smooths the max/min
    (USD per M tokens), ``solver_temperature`` the mix (relative); both 0-ish is sharp.
    Differentiable in every field of ``market`` and ``lab`` (``jax.grad``).
    """
    o = disagreement_cost(market, lab, solver_temperature)
    return bargaining.bargained_price(nvidia_reservation_price(market, lab), o, nvidia_share(lab, protocol),
                                      market.incumbent_list_cost, temperature)


def leverage(market: Market, lab: Lab = Lab(), protocol: str = "nash", temperature=TEMPERATURE,
             solver_temperature=portfolio.DEFAULT_TEMPERATURE):
    """The lab's leverage: its discount off NVIDIA's list price, ``p_L - P >= 0`` (USD per M tokens).

    Never negative; never lower with more alternatives on the table; never higher with a
    larger shortage ``sigma`` (tested).
    """
    return market.incumbent_list_cost - negotiated_nvidia_price(market, lab, protocol, temperature,
                                                                solver_temperature)


def price_sensitivities(market: Market, lab: Lab = Lab(), protocol: str = "nash", temperature=TEMPERATURE,
                        solver_temperature=SMOOTH_SOLVER_TEMPERATURE) -> Terms:
    """``dP / d terms`` by ``jax.grad`` (implicit differentiation through the mix): a :class:`Terms` ``(n,)``."""
    def f(terms):
        return negotiated_nvidia_price(market._replace(terms=terms), lab, protocol, temperature, solver_temperature)

    return jax.grad(f)(market.terms)


def price_elasticities(market: Market, lab: Lab = Lab(), protocol: str = "nash", temperature=TEMPERATURE,
                       solver_temperature=SMOOTH_SOLVER_TEMPERATURE) -> Terms:
    """``d log P / d log x`` for every term of every alternative (dimensionless)."""
    g = price_sensitivities(market, lab, protocol, temperature, solver_temperature)
    p = negotiated_nvidia_price(market, lab, protocol, temperature, solver_temperature)
    return Terms(*(gi * xi / p for gi, xi in zip(g, market.terms)))


def with_only(market: Market, alternatives) -> Market:
    """``market`` with exactly ``alternatives`` (names) on the table."""
    for a in alternatives:
        require_choice("alternative", a, ALTERNATIVES)
    return market._replace(present=jnp.asarray([1.0 if a in alternatives else 0.0 for a in ALTERNATIVES],
                                               jnp.float32))


def table_values(market: Market, lab: Lab = Lab(), protocol: str = "nash", temperature=TEMPERATURE) -> np.ndarray:
    """Marginal value at the table of each alternative ``(n,)``: ``P(without i) - P(with all)``, USD per M tokens.

    Zero for alternatives not on the table; never negative (removing an option cannot lower
    the lab's disagreement cost).
    """
    base = float(negotiated_nvidia_price(market, lab, protocol, temperature))
    out = np.zeros(len(ALTERNATIVES))
    for i in range(len(ALTERNATIVES)):
        if float(market.present[i]) > 0.5:
            without = market._replace(present=market.present.at[i].set(0.0))
            out[i] = float(negotiated_nvidia_price(without, lab, protocol, temperature)) - base
    return out


def standalone_leverage(market: Market, lab: Lab = Lab(), protocol: str = "nash", temperature=TEMPERATURE) -> np.ndarray:
    """Leverage ``p_L - P`` with only alternative ``i`` on the table, for every alternative ``(n,)``."""
    return np.array([float(leverage(with_only(market, (a,)), lab, protocol, temperature)) for a in ALTERNATIVES])


def price_vs_effective_cost(market: Market, lab: Lab, index: int, costs, protocol: str = "nash",
                            temperature=TEMPERATURE, solver_temperature=portfolio.DEFAULT_TEMPERATURE) -> np.ndarray:
    """NVIDIA's price when alternative ``index`` (put on the table) has effective cost ``costs``.

    Other alternatives stay as they are. Flat while the alternative does not enter the lab's
    best mix without NVIDIA, then falling with slope ``s a_i cap_i p_i``-ish as it takes its
    capacity; capped at the list price. ``costs``: array, USD per M output tokens.
    """
    t, u = market.terms, market.unit_cost
    m = market._replace(present=market.present.at[index].set(1.0))
    switching = alternative_suppliers(m, lab).switching_cost_per_unit[index]
    out = []
    for e in np.asarray(costs, dtype=np.float32):
        price = jnp.maximum((e - switching) * t.eta[index] / u[index], 0.0)
        terms = t._replace(price=t.price.at[index].set(price))
        out.append(float(negotiated_nvidia_price(m._replace(terms=terms), lab, protocol, temperature,
                                                 solver_temperature)))
    return np.asarray(out)


# --------------------------------------------------------------------------------------------
# The mix with the deal
# --------------------------------------------------------------------------------------------


def incumbent_supplier(market: Market, lab: Lab = Lab(), price=None) -> Supplier:
    """NVIDIA's direct supply as a :class:`Supplier` at ``price`` (default: the negotiated price)."""
    p = negotiated_nvidia_price(market, lab) if price is None else price
    return _one(p, lab.incumbent_capacity, lab.incumbent_delivery_probability, lab.start_year)


def portfolio_suppliers(market: Market, lab: Lab = Lab(), price=None) -> Supplier:
    """NVIDIA direct (index 0, at the negotiated price) followed by :func:`disagreement_suppliers`, ``(n + 3,)``."""
    return _stack(incumbent_supplier(market, lab, price), disagreement_suppliers(market, lab))


def allocation(market: Market, lab: Lab = Lab(), price=None,
               temperature=portfolio.DEFAULT_TEMPERATURE) -> portfolio.Allocation:
    """Mean-CVaR mix with the deal (``PORTFOLIO_NAMES`` order), undelivered demand at ``pi_f``.

    :func:`workbook.econ.portfolio.solve_allocation`: converged to a certified duality gap;
    call :func:`validate_sourcing` first.
    """
    pi_f = _shortfall_price(market, lab)
    return portfolio.solve_allocation(portfolio_suppliers(market, lab, price), pi_f, lab.risk_aversion, CVAR_LEVEL,
                                      temperature)


def portfolio_values(market: Market, lab: Lab = Lab(), price=None) -> np.ndarray:
    """Risk-adjusted cost per unit of demand saved by each alternative in the mix with the deal ``(n,)``.

    ``(optimum without i - optimum with all) / (1 + lambda)``, NVIDIA at the price with everything
    on the table; zero for alternatives not on the table. USD per M tokens of demand.
    """
    p = negotiated_nvidia_price(market, lab) if price is None else price
    base = float(allocation(market, lab, p).objective)
    out = np.zeros(len(ALTERNATIVES))
    for i in range(len(ALTERNATIVES)):
        if float(market.present[i]) > 0.5:
            without = market._replace(present=market.present.at[i].set(0.0))
            out[i] = (float(allocation(without, lab, p).objective) - base) / (1.0 + lab.risk_aversion)
    return np.maximum(out, 0.0)


def porting_value_ranking(market: Market, lab: Lab = Lab()) -> list[dict]:
    """Rows per alternative on the table, sorted by value per dollar of porting effort.

    ``value_usd = (table value + portfolio value) * Q * PV_years``;
    ``per_porting_dollar = value_usd / porting``.
    """
    table = table_values(market, lab)
    port = portfolio_values(market, lab)
    volume = float(contract_volume(lab))
    porting = np.asarray(market.terms.porting_cost)
    rows = []
    for i, a in enumerate(ALTERNATIVES):
        if float(market.present[i]) < 0.5:
            continue
        usd = (max(table[i], 0.0) + port[i]) * volume
        rows.append(dict(alternative=a, name=ALTERNATIVE_NAMES[a], table_value=float(table[i]),
                         portfolio_value=float(port[i]), value_musd=usd / 1e6, porting_musd=float(porting[i]) / 1e6,
                         per_porting_dollar=usd / max(float(porting[i]), 1.0)))
    return sorted(rows, key=lambda r: -r["per_porting_dollar"])


def negotiation_summary(scenario: str, lab: Lab = Lab(), protocol: str = "nash") -> dict:
    """The ``workbook negotiate`` figures of one preset (plain floats, USD per M tokens unless noted).

    ``list_price`` ``p_L``; ``negotiated_price`` ``P``; ``disagreement_cost`` ``o``;
    ``nvidia_reservation`` ``r_N``; ``mix`` the shares with the deal by supplier;
    ``disagreement_mix`` the shares without NVIDIA; ``leverage_usd`` ``(p_L - P) Q PV_years``
    (USD over the contract); ``alternatives_value_usd`` ``(P(no alternative) - P) Q PV_years``;
    ``converged`` and ``kkt_residual`` / ``duality_gap`` of both mixes (the worse of the two).
    """
    market = build_market(scenario)
    validate_sourcing(market, lab)
    p_l = float(market.incumbent_list_cost)
    dis = disagreement(market, lab)
    o = float(dis.objective) / (1.0 + lab.risk_aversion)
    price = float(negotiated_nvidia_price(market, lab, protocol))
    none = float(negotiated_nvidia_price(market._replace(present=jnp.zeros_like(market.present)), lab, protocol))
    deal = allocation(market, lab, price)
    volume = float(contract_volume(lab))
    names_deal = dict(zip(PORTFOLIO_NAMES, (float(x) for x in np.asarray(deal.shares))))
    names_dis = dict(zip(DISAGREEMENT_NAMES, (float(x) for x in np.asarray(dis.shares))))
    return {
        "scenario": scenario, "protocol": protocol, "unit": "USD per million output tokens",
        "list_price": p_l, "negotiated_price": price, "price_over_list": price / p_l,
        "disagreement_cost": o, "nvidia_reservation": float(nvidia_reservation_price(market, lab)),
        "shortage": float(lab.shortage),
        "mix": {k: round(v, 6) for k, v in names_deal.items() if v > 1e-6},
        "disagreement_mix": {k: round(v, 6) for k, v in names_dis.items() if v > 1e-6},
        "leverage_usd": (p_l - price) * volume, "alternatives_value_usd": (none - price) * volume,
        "converged": bool(dis.converged) and bool(deal.converged),
        "kkt_residual": max(float(dis.kkt_residual), float(deal.kkt_residual)),
        "duality_gap": max(float(dis.duality_gap), float(deal.duality_gap)),
        "facts": SCENARIOS[scenario]["facts"],
    }
