"""The shift from training to inference: compute shares, spend paths and the crossover time.

Notation: N parameters, D_tr training tokens, T lifetime inference tokens, K training cost
(USD), Q0 tokens served per year at t = 0, p0 price per token at t = 0 (USD), t time (years).

Two views of the same question, "when does serving a model cost more than training it?":

1. Compute: training costs 6 N FLOP per token and inference 2 N, so inference's share of a
   model's lifetime compute is ``s = T / (3 D_tr + T)`` and passes one half at ``T = 3 D_tr``.
2. Money: with demand growing and the price per token falling at constant exponential rates,
   cumulative inference spend has a closed form, and so does the time it overtakes a training
   bill (``crossover_time``).

Takeaway: if the price per token falls faster than demand grows, inference spend converges to
a finite total and may never overtake training; otherwise it always does, and the crossover
comes sooner the faster spend grows.

Input checks: the public functions check concrete arguments with
:func:`workbook.errors.require` (a zero or negative price or demand, a price decline of 100 %
or more, a growth of -100 % or less raise :class:`~workbook.errors.InputError` naming the
field); traced arguments (under ``jit``/``grad``/``vmap``) are not checked, and
:func:`crossover_time_checked` is the validated scalar version for user interfaces.

The price per token is an *input* here (the core cost model derives it from chip specs).
Pure ``jax.numpy``: jit-able, vmap-able and differentiable; ``DemandScenario`` is a pytree.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook.errors import InputError, require
from workbook.model.cost import SECONDS_PER_HOUR, TOKENS_PER_MILLION

__all__ = [
    "DemandScenario",
    "LLMFLATION_A16Z",
    "EPOCH_SLOW",
    "EPOCH_GPT4_GPQA",
    "EPOCH_FAST",
    "GOOGLE_TOKENS_2024_2025",
    "lifetime_inference_share",
    "demand_growth_rate",
    "price_decline_rate",
    "spend_growth_rate",
    "inference_spend_rate",
    "cumulative_inference_cost",
    "total_inference_cost",
    "training_chip_hours",
    "training_cost_usd",
    "crossover_time",
    "crossover_time_checked",
    "validate_demand_scenario",
]

_SERIES_CUTOFF = 1e-3  # |x| below which expm1(x)/x and log1p(x)/x use their Taylor series


def _is_concrete(*xs) -> bool:
    """True unless an argument is traced (under jit, grad or vmap): only concrete input is checked."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(xs))


def _check_scenario(scenario) -> None:
    if _is_concrete(scenario):
        validate_demand_scenario(scenario)


def lifetime_inference_share(training_tokens, inference_tokens):
    """Inference's share of a model's lifetime compute, ``s = T / (3 D_tr + T)``.

    Training costs 6 N FLOP per token and inference 2 N FLOP per token for the same model, so
    ``s = 2 N T / (6 N D_tr + 2 N T)``; ``s > 1/2`` exactly when ``T > 3 D_tr``.

    Parameters
    ----------
    training_tokens : array_like
        D_tr, tokens (count).
    inference_tokens : array_like
        T, tokens served over the model's life (count).

    Returns
    -------
    Array
        s in [0, 1), dimensionless.

    Source: Sardana et al. (2024), "Beyond Chinchilla-Optimal", ICML 2024.
    """
    if _is_concrete(training_tokens, inference_tokens):
        d = require("training_tokens", training_tokens, low=0, unit="tokens")
        t = require("inference_tokens", inference_tokens, low=0, unit="tokens")
        if np.any(3.0 * np.asarray(d) + np.asarray(t) == 0):
            raise InputError("training_tokens, inference_tokens: both 0, the share is undefined; allowed: "
                             "at least one > 0")
    return inference_tokens / (3.0 * training_tokens + inference_tokens)


class DemandScenario(NamedTuple):
    """Inference demand and price path, both exponential in time.

    Tokens served per year ``Q(t) = Q0 (1 + demand_growth)**t`` and price per token
    ``p(t) = p0 (1 - price_decline)**t``, i.e. continuous rates ``g = log(1 + demand_growth)``
    and ``d = -log(1 - price_decline)`` (per year). ``p0`` is passed separately.
    """

    tokens_per_year0: float = 5.76e15  # Q0, tokens served in year 0 (4.8e14/month x 12, Google May 2025, reported)
    demand_growth: float = 2.0  # fractional growth of tokens served per year (2.0 = 3x/yr)
    price_decline: float = 0.9  # fraction per year by which USD/token falls (0.9 = 10x/yr)
    horizon_years: float = 5.0  # planning horizon, years


# Published estimates, not forecasts. Price declines are for a *fixed capability level*; the
# demand side (3x/yr) is Epoch AI's (2025) estimate of inference *revenue* growth at major labs,
# used here as a proxy for token growth. tokens_per_year0: Google, 4.8e14 tokens/month in
# May 2025 (as reported), x 12.
#
# a16z, G. Appenzeller, "Welcome to LLMflation" (Nov 2024): $60 -> $0.06 per M tokens in 3 years
# at MMLU >= 42, i.e. 10x per year.
LLMFLATION_A16Z = DemandScenario(5.76e15, 2.0, 1.0 - 1.0 / 10.0, 5.0)
# Epoch AI, "LLM inference prices have fallen rapidly but unequally across tasks" (12 Mar 2025):
# 9x to 900x per year depending on the benchmark threshold. Slow end, 9x per year.
EPOCH_SLOW = DemandScenario(5.76e15, 2.0, 1.0 - 1.0 / 9.0, 5.0)
# Same source (Mar 2025): 40x per year for GPT-4-level performance on GPQA Diamond (the example
# Epoch highlights; not a median across tasks).
EPOCH_GPT4_GPQA = DemandScenario(5.76e15, 2.0, 1.0 - 1.0 / 40.0, 5.0)
# Same source (Mar 2025): fast end, 900x per year (recent, may not persist).
EPOCH_FAST = DemandScenario(5.76e15, 2.0, 1.0 - 1.0 / 900.0, 5.0)
# Google tokens processed per month, as reported: 9.7e12 (May 2024) -> 4.8e14 (May 2025), about
# 49x in a year; with the LLMflation price decline.
GOOGLE_TOKENS_2024_2025 = DemandScenario(5.76e15, 4.8e14 / 9.7e12 - 1.0, 1.0 - 1.0 / 10.0, 5.0)


def demand_growth_rate(scenario: DemandScenario):
    """Continuous demand growth rate ``g = log(1 + demand_growth)`` (1/year)."""
    _check_scenario(scenario)
    return jnp.log1p(scenario.demand_growth)


def price_decline_rate(scenario: DemandScenario):
    """Continuous price decline rate ``d = -log(1 - price_decline)`` (1/year)."""
    _check_scenario(scenario)
    return -jnp.log1p(-scenario.price_decline)


def spend_growth_rate(scenario: DemandScenario):
    """Continuous growth rate of inference spend ``r = g - d`` (1/year); negative means shrinking."""
    return demand_growth_rate(scenario) - price_decline_rate(scenario)


def _exprel(x):
    """``expm1(x)/x`` with the removable singularity at 0 filled in (finite value and gradient)."""
    small = jnp.abs(x) < _SERIES_CUTOFF
    x_safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 + x / 2.0 + x * x / 6.0, jnp.expm1(x_safe) / x_safe)


def _log1p_rel(y):
    """``log1p(y)/y`` for y > -1 with the removable singularity at 0 filled in."""
    small = jnp.abs(y) < _SERIES_CUTOFF
    y_safe = jnp.where(small, 1.0, y)
    return jnp.where(small, 1.0 - y / 2.0 + y * y / 3.0, jnp.log1p(y_safe) / y_safe)


def inference_spend_rate(t_years, usd_per_million_tokens0, scenario: DemandScenario):
    """Inference spend rate ``Q0 p0 exp(r t)`` (USD/year) at time ``t_years``.

    ``p0 = usd_per_million_tokens0 / 1e6``, ``r = log(1 + demand_growth) + log(1 - price_decline)``.
    """
    if _is_concrete(t_years, usd_per_million_tokens0):
        require("t_years", t_years, unit="years")
        require("usd_per_million_tokens0", usd_per_million_tokens0, low=0, unit="USD per million tokens")
    p0 = usd_per_million_tokens0 / TOKENS_PER_MILLION
    return scenario.tokens_per_year0 * p0 * jnp.exp(spend_growth_rate(scenario) * t_years)


def cumulative_inference_cost(t_years, usd_per_million_tokens0, scenario: DemandScenario):
    """Cumulative inference spend from 0 to ``t_years`` (USD).

    ``S(t) = integral_0^t Q0 p0 e^(r s) ds = Q0 p0 t * expm1(r t)/(r t)``, which is
    ``Q0 p0 (e^(r t) - 1)/r`` for r != 0 and ``Q0 p0 t`` at r = 0 (demand growth exactly
    offsets the price decline). The ratio ``expm1(x)/x`` is evaluated by its Taylor series near
    x = 0 (double ``where``), so value and gradients stay finite there.

    Parameters
    ----------
    t_years : array_like
        t >= 0, years.
    usd_per_million_tokens0 : array_like
        Price at t = 0, USD per million tokens.
    scenario : DemandScenario

    Returns
    -------
    Array
        USD.

    Source: exponential demand and price paths; price trends a16z (2024), Epoch AI (2025).
    """
    if _is_concrete(t_years, usd_per_million_tokens0):
        require("t_years", t_years, low=0, unit="years")
        require("usd_per_million_tokens0", usd_per_million_tokens0, low=0, unit="USD per million tokens")
    p0 = usd_per_million_tokens0 / TOKENS_PER_MILLION
    r = spend_growth_rate(scenario)
    return scenario.tokens_per_year0 * p0 * t_years * _exprel(r * t_years)


def total_inference_cost(usd_per_million_tokens0, scenario: DemandScenario):
    """Cumulative spend as t -> inf: ``Q0 p0 / (d - g)`` if spend shrinks (r < 0), else +inf (USD)."""
    if _is_concrete(usd_per_million_tokens0):
        require("usd_per_million_tokens0", usd_per_million_tokens0, low=0, unit="USD per million tokens")
    p0 = usd_per_million_tokens0 / TOKENS_PER_MILLION
    r = spend_growth_rate(scenario)
    shrinking = r < 0.0
    r_safe = jnp.where(shrinking, r, -1.0)
    return jnp.where(shrinking, scenario.tokens_per_year0 * p0 / -r_safe, jnp.inf)


def training_chip_hours(n_params, n_tokens, peak_flops, mfu):
    """Accelerator-hours to train: ``6 N D / (peak * MFU) / 3600`` (chip-hours).

    Parameters
    ----------
    n_params, n_tokens : array_like
        N parameters and D training tokens.
    peak_flops : array_like
        Peak FLOP/s per chip at the training precision.
    mfu : array_like
        Model FLOPs utilisation, fraction in (0, 1].

    Source: 6 N D training FLOPs (Kaplan et al. 2020); MFU as in Chowdhery et al. (2022).
    """
    if _is_concrete(n_params, n_tokens, peak_flops, mfu):
        require("n_params", n_params, low=0, low_open=True, unit="parameters")
        require("n_tokens", n_tokens, low=0, low_open=True, unit="tokens")
        require("peak_flops", peak_flops, low=0, low_open=True, unit="FLOP/s")
        require("mfu", mfu, low=0, high=1, low_open=True)
    # in log space: 6ND reaches 1e25 and peak*MFU 1e15, and the float32 reverse-mode
    # product of such factors underflows to a zero gradient
    log_hours = jnp.log(6.0) + jnp.log(n_params) + jnp.log(n_tokens) - jnp.log(peak_flops) - jnp.log(mfu) - jnp.log(SECONDS_PER_HOUR)
    return jnp.exp(log_hours)


def training_cost_usd(n_params, n_tokens, peak_flops, mfu, usd_per_chip_hour):
    """Training compute cost ``chip_hours * usd_per_chip_hour`` (USD).

    See ``training_chip_hours``; compute rental only (no staff, data or failed runs).
    """
    if _is_concrete(usd_per_chip_hour):
        require("usd_per_chip_hour", usd_per_chip_hour, low=0, unit="USD per chip-hour")
    return training_chip_hours(n_params, n_tokens, peak_flops, mfu) * usd_per_chip_hour


def _crossover_time_unbounded(training_cost, usd_per_million_tokens0, scenario: DemandScenario):
    """Time at which S(t) = K ignoring the horizon (+inf if never), years.

    Inverting ``S(t) = Q0 p0 (e^(r t) - 1)/r = K``: with ``a = K/(Q0 p0)`` (years of initial
    spend) and ``y = r a``, ``t = log1p(y)/r = a * log1p(y)/y``; no solution when y <= -1.
    """
    p0 = usd_per_million_tokens0 / TOKENS_PER_MILLION
    a = training_cost / (scenario.tokens_per_year0 * p0)
    y = spend_growth_rate(scenario) * a
    exists = y > -1.0
    y_safe = jnp.where(exists, y, 0.0)
    t = a * _log1p_rel(y_safe)
    return exists, t


def crossover_time(training_cost, usd_per_million_tokens0, scenario: DemandScenario):
    """Years until cumulative inference spend first exceeds the training cost.

    Closed form: with ``a = K / (Q0 p0)`` and ``r`` the spend growth rate,

    ``t* = log1p(r a) / r = a * log1p(r a)/(r a)``  (``t* = a`` at r = 0).

    Spend is positive, so S(t) increases and the first crossing is the only one. If spend
    shrinks fast enough that its total ``Q0 p0 / (d - g)`` never reaches K (``r a <= -1``), or
    the crossing lies beyond ``scenario.horizon_years``, returns +inf with zero gradients.
    Gradients with respect to K, p0 and every scenario field are finite wherever t* is.

    Parameters
    ----------
    training_cost : array_like
        K, USD.
    usd_per_million_tokens0 : array_like
        Price at t = 0, USD per million tokens.
    scenario : DemandScenario

    Returns
    -------
    Array
        t* in years, or +inf.

    Source: closed-form inversion of ``cumulative_inference_cost``.

    Raises
    ------
    InputError
        For concrete input out of range: ``training_cost`` and ``usd_per_million_tokens0``
        must be > 0 (a zero price or demand means no inference spend, and no crossover to
        compute), and the scenario's fields in their ranges (:func:`validate_demand_scenario`).
    """
    if _is_concrete(training_cost, usd_per_million_tokens0, scenario):
        require("training_cost", training_cost, low=0, low_open=True, unit="USD")
        require("usd_per_million_tokens0", usd_per_million_tokens0, low=0, low_open=True, unit="USD per million tokens")
        validate_demand_scenario(scenario)
    exists, t = _crossover_time_unbounded(training_cost, usd_per_million_tokens0, scenario)
    within = exists & (t <= scenario.horizon_years)
    return jnp.where(within, t, jnp.inf)


def validate_demand_scenario(scenario: DemandScenario) -> None:
    """Raise :class:`~workbook.errors.InputError` naming the first field outside its allowed range."""
    require("tokens_per_year0", scenario.tokens_per_year0, low=0, low_open=True, unit="tokens/year")
    require("demand_growth", scenario.demand_growth, low=-1, low_open=True, unit="per year")
    require("price_decline", scenario.price_decline, high=1, high_open=True, unit="per year")
    require("horizon_years", scenario.horizon_years, low=0, low_open=True, unit="years", finite=False)


_unbounded_jit = jax.jit(_crossover_time_unbounded)


def crossover_time_checked(training_cost, usd_per_million_tokens0, scenario: DemandScenario) -> float:
    """Validated scalar crossover time for UIs (years); not jit-able.

    Raises
    ------
    InputError
        If an input is outside its range (the message names the field), if inference spend
        never reaches the training cost, or if it does so only after the horizon. The message
        says which, with the numbers.
    """
    require("training_cost", training_cost, low=0, low_open=True, unit="USD")
    require("usd_per_million_tokens0", usd_per_million_tokens0, low=0, low_open=True, unit="USD per million tokens")
    validate_demand_scenario(scenario)
    if np.ndim(training_cost) or np.ndim(usd_per_million_tokens0) or any(np.ndim(v) for v in scenario):
        raise InputError("crossover_time_checked takes scalars; use crossover_time for arrays.")
    exists, t = _unbounded_jit(training_cost, usd_per_million_tokens0, scenario)
    if not bool(exists):
        total = float(total_inference_cost(usd_per_million_tokens0, scenario))
        raise InputError(
            "Inference spend never exceeds the training cost: the price per token falls faster "
            f"than demand grows, so cumulative spend converges to ${total:,.4g} "
            f"< training_cost = ${float(training_cost):,.4g}."
        )
    t = float(t)
    if not t <= float(scenario.horizon_years):
        raise InputError(
            f"Inference spend exceeds the training cost only after {t:.3g} years, beyond "
            f"horizon_years = {float(scenario.horizon_years):.3g}."
        )
    return t
