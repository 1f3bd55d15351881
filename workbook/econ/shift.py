"""From chip specs to the training-versus-inference economics.

Glue between the serving cost model (:mod:`workbook.serving`), the loss law
(:mod:`workbook.scaling_laws`) and the spend paths (:mod:`workbook.inference_share`), so a
chip's peak FLOP/s, memory bandwidth and price flow into three questions:

1. What does a model of N parameters cost to train on one chip and to serve on another?
   ``K = 6 N D / (peak * MFU) / 3600 * price_train`` (USD) and ``c(N)`` (USD per million
   output tokens, from the roofline model of :func:`workbook.serving.performance`).
2. Which model reaches a loss ``l`` at the least lifetime *dollars*? (Sardana et al. 2024
   minimise FLOPs; here serving costs what the inference chip charges, and decode is
   memory-bound, so an inference FLOP costs more than a training FLOP.)

   ``min_N  $(N) = K(N, D(N)) + T c(N) / 1e6``  with ``D(N) = (B / (l - E - A N**-alpha))**(1/beta)``

3. When does cumulative inference spend overtake the training bill, and what moves that date?
   (``crossover_years`` and its gradients, :func:`crossover_sensitivities`.)

Notation: N parameters, D training tokens, T lifetime inference tokens, l loss (nats/token),
K training cost (USD), c inference cost (USD per million tokens), t time (years).

4. Counted consistently -- ``2 N`` FLOP per prompt token *and* per output token, prefill and
   decode priced by the core model on whole chips (:func:`serving_cost`) -- when do compute and
   dollars cross (:func:`compute_crossover_tokens`, :func:`dollar_crossover_tokens`), what do
   utilisation and owning versus renting add (:func:`owned_usd_per_chip_hour`), how fast does a
   *fixed* model get cheaper (:class:`CostTrend`) and when does an industry's inference spend
   pass its growing training budgets (:func:`industry_crossover_years`)?

Takeaway: whether a served FLOP costs more or less than a training FLOP depends on the
workload. Decode alone is memory-bound and dear; long prompts are prefilled at compute speed
and cheap. Llama-3-70B on H100s at batch 64 with 2,048-token prompts and 512 output tokens
costs about 0.6 of a training FLOP per served FLOP, so the dollar-optimal model is *larger*
than Sardana's FLOP-optimal one with the prompts counted; with short prompts or small batches
it is smaller.

Pure ``jax.numpy``: every function jits and differentiates (the optimum by the implicit
function theorem, not through the search).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog

from workbook.errors import require
from workbook.model import serving, sizing
from workbook.model.cost import SECONDS_PER_HOUR, TOKENS_PER_MILLION
from workbook.model import transformer as tf
from workbook.econ.inference_share import (
    DemandScenario,
    crossover_time,
    demand_growth_rate,
    lifetime_inference_share,
    training_cost_usd,
    validate_demand_scenario,
)
from workbook.numerics import implicit_root, smooth_max_norm
from workbook.econ.scaling_laws import LossLaw, validate_target_loss
from workbook.specs import Chip, Efficiency, Model, Workload, tensor_parallel, workload

__all__ = [
    "REFERENCE_MODEL_ID",
    "DEFAULT_MFU",
    "DEFAULT_INFERENCE_WORKLOAD",
    "dense_model",
    "replica_chips",
    "inference_usd_per_million_tokens",
    "training_cost_on_chip",
    "lifetime_dollars",
    "dollar_optimal_model",
    "dollar_optimal_model_checked",
    "flop_priced_optimal_model",
    "lifetime_tokens",
    "crossover_years",
    "crossover_sensitivities",
    "SENSITIVITY_LABELS",
    "validate_shift_inputs",
    "ServingCost",
    "whole_chip_deployment",
    "serving_cost",
    "Crossover",
    "inference_compute_share",
    "compute_crossover_tokens",
    "dollar_crossover_tokens",
    "flop_optimal_model_with_prompts",
    "Ownership",
    "H100_OWNERSHIP",
    "owned_usd_per_chip_hour",
    "usd_per_million_tokens_at_utilisation",
    "ownership_breakeven_utilisation",
    "CostTrend",
    "HARDWARE_GAIN_RANGE",
    "SOFTWARE_GAIN_RANGE",
    "fixed_model_cost_decline",
    "implied_model_shrink",
    "price_paths",
    "IndustrySpend",
    "INFERENCE_GROWTH_RANGE",
    "TRAINING_GROWTH_RANGE",
    "industry_crossover_years",
    "validate_industry_spend",
]

REFERENCE_MODEL_ID = "llama-3-70b"  # architecture scaled by ``dense_model``
DEFAULT_MFU = 0.4  # training model-FLOPs utilisation; 0.35-0.45 typical of large dense runs (estimate)
# Serving workload used when none is given: FP8, 64 concurrent sequences, 2k prompt, 512 out.
DEFAULT_INFERENCE_WORKLOAD = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
CHIPS_TEMPERATURE = 0.05  # smooth max(1, chips needed): at most 3.5 % above the sharp value
_NEWTON_STEPS = 8
_BISECTION_STEPS = 48  # halvings of a bracket ~2.3 wide in log N: far below float32 resolution
_EDGE = 1e-3  # the search starts at log N_min + 1e-3 (there D is ~1e12 times its Chinchilla value)


# --------------------------------------------------------------------------------------------
# A dense model of N parameters
# --------------------------------------------------------------------------------------------


def dense_model(n_params, reference: Model | None = None) -> Model:
    """A dense Llama-like :class:`Model` with ``n_params`` total parameters.

    Scaling rule: every width and the depth scale by one factor ``s`` (``D, F, L, N_heads,
    K_heads`` times ``s``; head dim ``H`` and vocabulary ``V`` fixed), so the reference's
    aspect ratios (``F/D``, ``L/D``, GQA group size) are kept. Non-embedding weights scale as
    ``s**3`` and embeddings as ``s``; ``s`` solves ``P_body s**3 + P_emb s = N`` (one positive
    root; Newton's method from the ``s**3`` guess, fixed steps, differentiable). Counts are
    left fractional, which the closed-form FLOP and byte counts accept.

    Parameters
    ----------
    n_params : array_like
        N, total parameters (count).
    reference : Model, optional
        Architecture to scale; default ``catalog.model("llama-3-70b")`` (80 layers,
        d_model 8192, 64/8 heads, d_ff 28672, vocab 128256; 70.6e9 parameters).

    Returns
    -------
    Model
        With ``transformer.total_params(model) == n_params`` to float32 precision.
    """
    ref = catalog.model(REFERENCE_MODEL_ID) if reference is None else reference
    ref = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), ref)
    n = jnp.asarray(n_params, jnp.float32)
    p_emb = tf.embedding_params(ref)
    p_body = tf.total_params(ref) - p_emb
    s = jnp.cbrt(n / p_body)
    for _ in range(_NEWTON_STEPS):  # f(s) = p_body s^3 + p_emb s - n, increasing and convex for s > 0
        s = s - (p_body * s**3 + p_emb * s - n) / (3.0 * p_body * s**2 + p_emb)
    return ref._replace(
        n_layers=ref.n_layers * s,
        d_model=ref.d_model * s,
        n_heads=ref.n_heads * s,
        n_kv_heads=ref.n_kv_heads * s,
        d_ff=ref.d_ff * s,
    )


def _as_model(model_spec_or_params, reference: Model | None = None) -> Model:
    if isinstance(model_spec_or_params, Model):
        return model_spec_or_params
    return dense_model(model_spec_or_params, reference)


def replica_chips(chip: Chip, model: Model, w: Workload):
    """Chips per replica, continuous: ``smooth_max_norm(1, memory needed / usable memory per chip)``.

    The integer count (:func:`workbook.sizing.min_chips`) is a step function of N; the
    continuous one keeps the cost smooth in N (it differs from the rounded-up count by less
    than one chip, and a memory-bound replica's cost per token hardly depends on it, since
    ``G * T_step`` is nearly constant). Temperature ``CHIPS_TEMPERATURE``.
    """
    need = sizing.memory_required_per_chip(model, w._replace(chips=1.0)) / sizing.memory_available_per_chip(chip)
    return smooth_max_norm((jnp.ones_like(need), need), CHIPS_TEMPERATURE)


def inference_usd_per_million_tokens(chip: Chip, model_spec_or_params, w: Workload = DEFAULT_INFERENCE_WORKLOAD,
                                     eff: Efficiency = Efficiency(), *, reference: Model | None = None,
                                     auto_chips: bool = True):
    """Serving cost, USD per million output tokens, from :func:`workbook.serving.performance`.

    ``c = price * G * T_cycle / 3600 / (B * T_out) * 1e6``.

    Parameters
    ----------
    chip : Chip
        The inference chip (its ``price`` is USD per chip-hour).
    model_spec_or_params : Model or array_like
        A catalog :class:`Model`, or N parameters (then :func:`dense_model` builds one).
    w : Workload
        Batch, prompt and output lengths, precision. With ``auto_chips`` (default), ``w.chips``
        is replaced by :func:`replica_chips` (enough chips to hold weights and KV cache).
    eff : Efficiency
        Achieved fractions of peak (e.g. ``calibration.efficiency(chip_id)``).

    Returns
    -------
    Array
        USD per million output tokens.
    """
    model = _as_model(model_spec_or_params, reference)
    w = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), w)
    if auto_chips:
        w = w._replace(chips=replica_chips(chip, model, w))
    return serving.performance(chip, model, w, eff).usd_per_million_tokens


def _training_peak(chip: Chip, precision):
    w = workload(precision) if isinstance(precision, str) else precision
    return serving.peak_flops(chip, w)


def training_cost_on_chip(n_params, n_tokens, chip: Chip, mfu=DEFAULT_MFU, precision="bf16"):
    """Training compute cost on ``chip``: ``6 N D / (peak * MFU) / 3600 * price`` (USD).

    Parameters
    ----------
    n_params, n_tokens : array_like
        N parameters and D training tokens.
    chip : Chip
        Training chip; ``price`` in USD per chip-hour.
    mfu : array_like
        Model FLOPs utilisation, fraction of peak (default 0.4, an estimate).
    precision : str or Workload
        Selects the peak (``"bf16"`` default: mixed-precision training). A string is resolved
        in Python, so under ``jax.jit`` pass it as a static argument or pass a ``Workload``.

    Source: :func:`workbook.inference_share.training_cost_usd`, evaluated in scaled units
    (billions of parameters and tokens, PFLOP/s; same value) because in SI units the float32
    reverse-mode derivative with respect to the peak or MFU passes through ``(peak*MFU)**-2``
    ~ 1e-29 and underflows to zero on CPU.
    """
    peak_pflops = _training_peak(chip, precision) / 1e15
    return 1e3 * training_cost_usd(n_params / 1e9, n_tokens / 1e9, peak_pflops, mfu, chip.price)


def lifetime_tokens(scenario: DemandScenario):
    """Tokens served over the horizon H: ``Q0 ((1+g)**H - 1) / log(1+g)`` (tokens).

    Integral of ``Q0 (1 + demand_growth)**t`` from 0 to ``horizon_years``.
    """
    g = demand_growth_rate(scenario)
    x = g * scenario.horizon_years
    small = jnp.abs(x) < 1e-3
    x_safe = jnp.where(small, 1.0, x)
    rel = jnp.where(small, 1.0 + x / 2.0 + x * x / 6.0, jnp.expm1(x_safe) / x_safe)
    return scenario.tokens_per_year0 * scenario.horizon_years * rel


# --------------------------------------------------------------------------------------------
# The dollar-optimal model
# --------------------------------------------------------------------------------------------


class _Costs(NamedTuple):
    """Everything that prices a model, as one pytree (differentiable inputs)."""

    training_chip: Chip
    inference_chip: Chip
    inference_workload: Workload
    inference_eff: Efficiency
    mfu: jax.Array
    training_workload: Workload  # selects the training peak precision
    reference: Model


def _log_tokens_at(law: LossLaw, target_loss, log_n):
    """log D on the iso-loss curve: ``(log B - log(l - E - A N**-alpha)) / beta``."""
    E, A, B, alpha, beta = law
    excess = target_loss - E - A * jnp.exp(-alpha * log_n)
    return (jnp.log(B) - jnp.log(jnp.maximum(excess, 1e-30))) / beta


def _log_training_usd_per_flop_chip(costs: _Costs):
    peak = serving.peak_flops(costs.training_chip, costs.training_workload)
    return jnp.log(costs.training_chip.price) - jnp.log(peak * costs.mfu * SECONDS_PER_HOUR)


def _log_inference_usd_per_token_chip(log_n, costs: _Costs):
    c = inference_usd_per_million_tokens(costs.inference_chip, jnp.exp(log_n), costs.inference_workload,
                                         costs.inference_eff, reference=costs.reference)
    return jnp.log(c) - jnp.log(TOKENS_PER_MILLION)


def _log_lifetime_usd(log_n, law, target_loss, inference_tokens, log_train_usd_per_flop, log_inf_usd_per_token):
    """``log($)`` with ``$ = 6 N D(N) * usd_per_flop + T * usd_per_token(N)``, in logs for range."""
    log_train = jnp.log(6.0) + log_n + _log_tokens_at(law, target_loss, log_n) + log_train_usd_per_flop
    log_inf = jnp.log(inference_tokens) + log_inf_usd_per_token
    return log_train + jax.nn.softplus(log_inf - log_train)


def _log_n_bracket(law: LossLaw, target_loss):
    """``[log N_min + 1e-3, log N_chinchilla]``.

    ``N_min = (A/(l-E))**(1/alpha)`` (D -> inf). The training term alone is least at the
    Chinchilla-style N; serving cost increases with N, so the sum is least at or below it.
    """
    E, A, B, alpha, beta = law
    log_excess = jnp.log(target_loss - E)
    lo = (jnp.log(A) - log_excess) / alpha + _EDGE
    hi = (jnp.log(A) + jnp.log((alpha + beta) / beta) - log_excess) / alpha
    return lo, hi


def _make_optimum(log_usd_fn: Callable):
    """A solver of ``argmin_x log_usd_fn(x, law, l, T, prices)``: the root of ``d log$/dx`` on the
    bracket of ``_log_n_bracket`` (:func:`workbook.numerics.implicit_root`; the slope rises
    through an interior optimum, and at the Chinchilla edge, T -> 0, the derivative stays finite)."""
    slope = jax.grad(log_usd_fn, argnums=0)
    return implicit_root(slope, lambda law, target_loss, *_: _log_n_bracket(law, target_loss), _BISECTION_STEPS, increasing=True)


def _chip_log_usd(log_n, law, target_loss, inference_tokens, costs: _Costs):
    return _log_lifetime_usd(log_n, law, target_loss, inference_tokens, _log_training_usd_per_flop_chip(costs),
                             _log_inference_usd_per_token_chip(log_n, costs))


def _flop_log_usd(log_n, law, target_loss, inference_tokens, prices):
    usd_per_training_flop, usd_per_inference_flop = prices
    # 2 N FLOP per inference token (Kaplan et al. 2020)
    return _log_lifetime_usd(log_n, law, target_loss, inference_tokens, jnp.log(usd_per_training_flop),
                             jnp.log(2.0 * usd_per_inference_flop) + log_n)


_chip_optimal_log_n = _make_optimum(_chip_log_usd)
_flop_optimal_log_n = _make_optimum(_flop_log_usd)


def _floats(*xs):
    return tuple(jax.tree.map(lambda v: jnp.asarray(v, jnp.float32), x) for x in xs)


def _finish(law, target_loss, log_n):
    return jnp.exp(log_n), jnp.exp(_log_tokens_at(law, target_loss, log_n))


def lifetime_dollars(n_params, law: LossLaw, target_loss, inference_tokens, training_chip: Chip, inference_chip: Chip,
                     inference_workload: Workload = DEFAULT_INFERENCE_WORKLOAD, inference_eff: Efficiency = Efficiency(),
                     mfu=DEFAULT_MFU, training_precision="bf16", reference: Model | None = None):
    """Training plus lifetime serving dollars of the model of N parameters that reaches ``l`` (USD).

    ``$(N) = 6 N D(N) price_tr / (peak_tr MFU 3600) + T c(N) / 1e6``, ``D(N)`` on the iso-loss
    curve. Infinite for ``N <= N_min`` (no amount of data reaches the loss).
    """
    law, target_loss, inference_tokens = _floats(law, target_loss, inference_tokens)
    costs = _costs(training_chip, inference_chip, inference_workload, inference_eff, mfu, training_precision, reference)
    return jnp.exp(_chip_log_usd(jnp.log(jnp.asarray(n_params, jnp.float32)), law, target_loss, inference_tokens, costs))


def _costs(training_chip, inference_chip, inference_workload, inference_eff, mfu, training_precision, reference):
    train_w = workload(training_precision) if isinstance(training_precision, str) else training_precision
    ref = catalog.model(REFERENCE_MODEL_ID) if reference is None else reference
    return _Costs(*_floats(training_chip, inference_chip, inference_workload, inference_eff, mfu, train_w, ref))


def dollar_optimal_model(law: LossLaw, target_loss, lifetime_tokens, training_chip: Chip, inference_chip: Chip,
                         inference_workload: Workload = DEFAULT_INFERENCE_WORKLOAD,
                         inference_eff: Efficiency = Efficiency(), mfu=DEFAULT_MFU, training_precision="bf16",
                         reference: Model | None = None):
    """(N, D) reaching ``target_loss`` at the least training plus lifetime serving dollars.

    Minimise ``$(N) = 6 N D(N) price_tr / (peak_tr MFU 3600) + T c(N) / 1e6`` over
    ``N > N_min = (A/(l-E))**(1/alpha)``, with ``D(N) = (B/(l - E - A N**-alpha))**(1/beta)``
    and ``c(N)`` the serving cost of :func:`inference_usd_per_million_tokens` for the dense
    model :func:`dense_model` (N) on ``inference_chip``. Beyond Sardana et al. (2024), which
    prices a training and an inference FLOP alike, the inference price per token here depends
    on N through the roofline (memory-bound decode, KV cache, chips per replica).

    Solved by bisection on the sign of ``d log$/d log N`` over ``[log N_min + 1e-3,
    log N_chinchilla]`` (48 fixed halvings: jit-able and vmap-able); the training term is least
    at the Chinchilla-style N and serving cost rises with N, so the optimum lies in that
    bracket. Derivatives with respect to the law, loss, tokens, both chips, the workload, the
    efficiencies and MFU come from the implicit function theorem (``jax.custom_jvp``).

    Parameters
    ----------
    law : LossLaw
    target_loss : array_like
        l, nats/token; must exceed ``law.E`` (NaN otherwise; UIs use
        :func:`dollar_optimal_model_checked`).
    lifetime_tokens : array_like
        T > 0, output tokens served over the model's life.
    training_chip, inference_chip : Chip
        ``price`` in USD per chip-hour (dated scenario inputs).
    inference_workload : Workload
        Serving workload (chips per replica chosen automatically).
    inference_eff : Efficiency
        Serving efficiencies (e.g. ``calibration.efficiency(chip_id)``).
    mfu : array_like
        Training model-FLOPs utilisation.
    training_precision : str or Workload
        Training peak precision (``"bf16"``).

    Returns
    -------
    (Array, Array)
        N (parameters) and D (training tokens); scalars.
    """
    law, target_loss, lifetime_tokens = _floats(law, target_loss, lifetime_tokens)
    costs = _costs(training_chip, inference_chip, inference_workload, inference_eff, mfu, training_precision, reference)
    return _finish(law, target_loss, _chip_optimal_log_n(law, target_loss, lifetime_tokens, costs))


def flop_priced_optimal_model(law: LossLaw, target_loss, lifetime_tokens, usd_per_training_flop, usd_per_inference_flop):
    """(N, D) minimising ``6 N D p_tr + 2 N T p_inf`` (USD) at loss ``l``; same solver as
    :func:`dollar_optimal_model`.

    With ``p_tr = p_inf`` this is Sardana et al.'s FLOP-optimal model
    (:func:`workbook.scaling_laws.inference_aware_optimum`); the test suite checks it.
    """
    law, target_loss, lifetime_tokens = _floats(law, target_loss, lifetime_tokens)
    prices = _floats(usd_per_training_flop, usd_per_inference_flop)
    return _finish(law, target_loss, _flop_optimal_log_n(law, target_loss, lifetime_tokens, prices))


_dollar_optimal_jit = jax.jit(dollar_optimal_model, static_argnames=("training_precision",))


def dollar_optimal_model_checked(law: LossLaw, target_loss, lifetime_tokens, training_chip: Chip, inference_chip: Chip,
                                 inference_workload: Workload = DEFAULT_INFERENCE_WORKLOAD,
                                 inference_eff: Efficiency = Efficiency(), mfu=DEFAULT_MFU, training_precision="bf16",
                                 reference: Model | None = None):
    """Validated, jitted :func:`dollar_optimal_model` for UIs (not itself jit-able).

    Raises
    ------
    InputError
        Naming the field: ``target_loss`` <= E, ``lifetime_tokens`` <= 0 (zero demand: the
        optimum is then the Chinchilla-style model, use ``chinchilla_style_optimum``),
        ``mfu`` outside (0, 1], or a chip price <= 0.
    """
    validate_target_loss(law, target_loss)
    require("lifetime_tokens", lifetime_tokens, low=0, low_open=True, unit="tokens (zero demand has no serving cost "
            "to trade against: use chinchilla_style_optimum)")
    require("mfu", mfu, low=0, high=1, low_open=True)
    require("training_chip.price", training_chip.price, low=0, low_open=True, unit="USD per chip-hour")
    require("inference_chip.price", inference_chip.price, low=0, low_open=True, unit="USD per chip-hour")
    return _dollar_optimal_jit(law, target_loss, lifetime_tokens, training_chip, inference_chip, inference_workload,
                               inference_eff, mfu, training_precision, reference)


# --------------------------------------------------------------------------------------------
# Crossover time and its sensitivities
# --------------------------------------------------------------------------------------------


def crossover_years(n_params, n_tokens, scenario: DemandScenario, training_chip: Chip, inference_chip: Chip,
                    inference_workload: Workload = DEFAULT_INFERENCE_WORKLOAD, inference_eff: Efficiency = Efficiency(),
                    mfu=DEFAULT_MFU, reference: Model | None = None):
    """Years until cumulative serving spend of a dense N-parameter model passes its training cost.

    ``K = training_cost_on_chip(N, D, training_chip, mfu)`` (BF16 peak),
    ``p0 = inference_usd_per_million_tokens(inference_chip, N, ...)`` (the serving *cost*, held
    constant per unit of hardware and falling at ``scenario.price_decline`` per year), then
    :func:`workbook.inference_share.crossover_time` (+inf beyond the horizon).

    The serving cost here uses the smooth, fractional chip count of :func:`replica_chips` so that
    :func:`crossover_sensitivities` can differentiate it; :func:`serving_cost` gives the whole-chip
    figure (the one notebooks 01-03 and ``workbook shift`` report), a few percent apart.
    """
    k = training_cost_on_chip(n_params, n_tokens, training_chip, mfu)
    p0 = inference_usd_per_million_tokens(inference_chip, n_params, inference_workload, inference_eff, reference=reference)
    return crossover_time(k, p0, scenario)


# Labels of the bars of :func:`crossover_sensitivities`.
SENSITIVITY_LABELS = {
    "demand_growth": "demand growth (1 + g)",
    "price_decline": "price retained per year (1 - d)",
    "tokens_per_year0": "tokens served in year 0",
    "n_params": "model size N",
    "n_tokens": "training tokens D",
    "mfu": "training MFU",
    "training_price": "training chip price",
    "training_peak": "training chip BF16 peak",
    "inference_price": "inference chip price",
    "inference_bandwidth": "inference chip memory bandwidth",
    "inference_peak": "inference chip peak (serving precision)",
}


def _crossover_of(x, scenario, inference_workload, inference_eff, ref):
    sc = scenario._replace(tokens_per_year0=x["tokens_per_year0"], demand_growth=x["growth_factor"] - 1.0,
                           price_decline=1.0 - x["retained"])
    return crossover_years(x["n_params"], x["n_tokens"], sc, x["training_chip"], x["inference_chip"],
                           inference_workload, inference_eff, x["mfu"], ref)


_crossover_value_and_grad = jax.jit(jax.value_and_grad(_crossover_of))


def crossover_sensitivities(n_params, n_tokens, scenario: DemandScenario, training_chip: Chip, inference_chip: Chip,
                            inference_workload: Workload = DEFAULT_INFERENCE_WORKLOAD,
                            inference_eff: Efficiency = Efficiency(), mfu=DEFAULT_MFU,
                            reference: Model | None = None) -> dict:
    """Gradients of the crossover time, as a tidy dict for a bar chart.

    One ``jax.grad`` of :func:`crossover_years` with respect to every input. Each parameter x
    is reported as ``years_per_10pct = ln(1.1) * d t*/d ln x``: years by which a 10 % larger x
    moves the crossover (first order). Growth and decline enter as ``1 + demand_growth`` and
    ``1 - price_decline`` (multiplicative factors per year), so their bars are comparable.

    Returns
    -------
    dict
        ``{"crossover_years": float, "parameter": [key...], "label": [...], "value": [x...],
        "gradient": [d t*/d x...], "years_per_10pct": [...]}``. All zero (and
        ``crossover_years`` inf) when the crossover lies beyond the horizon.
    """
    (n_params, n_tokens, scenario, training_chip, inference_chip, inference_workload, inference_eff, mfu) = _floats(
        n_params, n_tokens, scenario, training_chip, inference_chip, inference_workload, inference_eff, mfu)
    ref = _floats(catalog.model(REFERENCE_MODEL_ID) if reference is None else reference)[0]
    x = {
        "n_params": n_params, "n_tokens": n_tokens, "tokens_per_year0": scenario.tokens_per_year0,
        "growth_factor": 1.0 + scenario.demand_growth, "retained": 1.0 - scenario.price_decline,
        "mfu": mfu, "training_chip": training_chip, "inference_chip": inference_chip,
    }
    t, g = _crossover_value_and_grad(x, scenario, inference_workload, inference_eff, ref)
    peak_field = serving.peak_field(inference_workload)
    rows = [
        ("demand_growth", x["growth_factor"], g["growth_factor"]),
        ("price_decline", x["retained"], g["retained"]),
        ("tokens_per_year0", x["tokens_per_year0"], g["tokens_per_year0"]),
        ("n_params", n_params, g["n_params"]),
        ("n_tokens", n_tokens, g["n_tokens"]),
        ("mfu", mfu, g["mfu"]),
        ("training_price", training_chip.price, g["training_chip"].price),
        ("training_peak", training_chip.peak_flops_bf16, g["training_chip"].peak_flops_bf16),
        ("inference_price", inference_chip.price, g["inference_chip"].price),
        ("inference_bandwidth", inference_chip.memory_bandwidth, g["inference_chip"].memory_bandwidth),
        ("inference_peak", getattr(inference_chip, peak_field), getattr(g["inference_chip"], peak_field)),
    ]
    finite = bool(np.isfinite(float(t)))
    out = {"crossover_years": float(t), "parameter": [], "label": [], "value": [], "gradient": [], "years_per_10pct": []}
    for key, value, grad in rows:
        grad = float(grad) if finite else 0.0
        out["parameter"].append(key)
        out["label"].append(SENSITIVITY_LABELS[key])
        out["value"].append(float(value))
        out["gradient"].append(grad)
        out["years_per_10pct"].append(float(np.log(1.1)) * float(value) * grad)
    return out


def validate_shift_inputs(n_params, n_tokens, scenario: DemandScenario) -> None:
    """Raise :class:`~workbook.errors.InputError` naming the first invalid field (N, D > 0; a valid scenario)."""
    require("n_params", n_params, low=0, low_open=True, unit="parameters")
    require("n_tokens", n_tokens, low=0, low_open=True, unit="tokens")
    validate_demand_scenario(scenario)


# --------------------------------------------------------------------------------------------
# Prompts and outputs counted apart; whole chips; utilisation and ownership
# --------------------------------------------------------------------------------------------
#
# Notation: T_in and T_out tokens per request (prompt and output), r = T_in / T_out, T lifetime
# *output* tokens (so the model also reads r T prompt tokens), G whole chips per replica,
# u utilisation (share of paid chip-hours that serve), K training cost (USD).


class ServingCost(NamedTuple):
    """What :func:`serving_cost` returns: the core model's cost of one workload on whole chips.

    ``usd_per_million_output_tokens`` is :func:`workbook.serving.performance`'s figure (prompts
    included: ``price G T_cycle / (B T_out)``); it splits into a prefill part charged to input
    tokens and a decode part charged to output tokens,
    ``c_out T_out = c_in T_in + c_dec T_out`` per request.
    """

    usd_per_million_output_tokens: float  # the whole request, per output token (the figure of notebooks 01/02)
    usd_per_million_input_tokens: float  # prefill share of the cycle, per prompt token
    usd_per_million_decode_tokens: float  # decode share of the cycle, per output token
    prefill_share: float  # T_prefill / (T_prefill + T_out T_step), dimensionless
    chips: int  # whole chips per replica
    layout: str  # name of the layout (workbook.model.deployment.LAYOUTS)
    tokens_per_s_per_chip: float  # output tokens/s per chip
    tpot_s: float  # time per output token, s


def _is_catalog_shaped(model: Model) -> bool:
    return all(float(np.asarray(x)).is_integer() for x in (model.n_heads, model.n_layers, model.n_experts))


_CANDIDATES = 16  # layouts evaluated per call, padded: one compiled shape for every chip and model


@jax.jit
def _performance_over_layouts(chip, model, w, eff, deployments):
    return jax.vmap(serving.performance, in_axes=(None, None, None, None, 0))(chip, model, w, eff, deployments)


def whole_chip_deployment(chip: Chip, model: Model, w: Workload, eff: Efficiency = Efficiency()):
    """``(layout name, Deployment)`` on whole chips, chosen as :func:`workbook.analysis.compare_chips` does.

    The fewest power-of-two chips whose memory holds weights and KV cache
    (:func:`workbook.model.sizing.tensor_parallel_chips`, i.e. ``2**ceil(log2(min_chips))``)
    and twice that; on each, the valid layouts of
    :func:`workbook.model.deployment.candidate_deployments`; the one with the most output
    tokens/s per chip that fits (then :func:`workbook.model.deployment.fewest_chips` if none
    does). A model with fractional heads or layers (:func:`dense_model`) is split by tensor
    parallelism over the first power of two that fits. Concrete (Python) choice; the layouts
    are evaluated in one compiled, vmapped call padded to 16.

    Raises
    ------
    InputError
        If no layout on up to ``deployment.MAX_CHIPS`` chips holds the workload.
    """
    from workbook.errors import InputError
    from workbook.model import deployment
    from workbook.specs import stack

    g = sizing.tensor_parallel_chips(chip, model, w)
    if _is_catalog_shaped(model):
        cands = [c for count in (g, 2 * g) for c in deployment.candidate_deployments(chip, model, count, float(w.batch))]
        if cands:
            cands = cands[:_CANDIDATES]
            padded = cands + [cands[0]] * (_CANDIDATES - len(cands))
            perf = _performance_over_layouts(*_floats(chip, model, w, eff), stack([d for _, d in padded]))
            tps = np.where(np.asarray(perf.fits) > 0.5, np.asarray(perf.tokens_per_s_per_chip), -np.inf)
            if np.isfinite(tps).any():
                name, d = padded[int(np.argmax(tps))]
                return name, d
        found = deployment.fewest_chips(chip, model, w, eff)
        if found is None:
            raise InputError(f"the model does not fit on up to {deployment.MAX_CHIPS} chips at batch {float(w.batch):g}: "
                             "lower the batch or the context")
        return found[1], found[2]
    while g <= deployment.MAX_CHIPS:
        d = tensor_parallel(float(g))
        if float(sizing.memory_required_per_chip(model, w, d)) <= float(sizing.memory_available_per_chip(chip)):
            return "tp", d
        g *= 2
    raise InputError(f"the model does not fit on up to {deployment.MAX_CHIPS} chips at batch {float(w.batch):g}")


def serving_cost(chip: Chip, model_spec_or_params, w: Workload = DEFAULT_INFERENCE_WORKLOAD,
                 eff: Efficiency = Efficiency(), *, reference: Model | None = None) -> ServingCost:
    """Serving cost of a workload on **whole chips**, split into prefill and decode (USD per million tokens).

    ``c_out = price G T_cycle / 3600 / (B T_out) * 1e6`` from :func:`workbook.serving.performance`
    on the layout of :func:`whole_chip_deployment` (so it equals the $/M of
    :func:`workbook.analysis.compare_chips`, notebooks 01 and 02, for the same workload). The
    split: ``s_p = T_prefill / (T_prefill + T_out T_step)`` with ``T_prefill`` the prefill of the
    batch's prompts alone and ``T_step`` one decode step at the mean context
    (:func:`workbook.serving.prefill_time`, :func:`~workbook.serving.decode_step_time`);
    ``c_in = s_p c_out T_out / T_in`` per prompt token and ``c_dec = (1 - s_p) c_out`` per
    output token, so ``c_in T_in + c_dec T_out = c_out T_out`` (chunked prefill overlaps the two
    phases; the split shares the overlapped cycle in proportion to each phase's stand-alone time).

    Not jit-able (the chip count is chosen in Python); :func:`inference_usd_per_million_tokens`
    is the smooth, fractional-chip version the dollar-optimal solver differentiates.
    """
    model = _as_model(model_spec_or_params, reference)
    name, d = whole_chip_deployment(chip, model, w, eff)
    perf, t_prefill, t_step = _phases_jit(*_floats(chip, model, w, eff, d))
    t_prefill, t_step = float(t_prefill), float(t_step)
    t_out, t_in = float(w.output_tokens), float(w.input_tokens)
    share = t_prefill / (t_prefill + t_out * t_step)
    c_out = float(perf.usd_per_million_tokens)
    return ServingCost(
        usd_per_million_output_tokens=c_out,
        usd_per_million_input_tokens=share * c_out * t_out / t_in if t_in > 0 else 0.0,
        usd_per_million_decode_tokens=(1.0 - share) * c_out,
        prefill_share=share,
        chips=int(round(float(perf.chips))),
        layout=name,
        tokens_per_s_per_chip=float(perf.tokens_per_s_per_chip),
        tpot_s=float(perf.tpot),
    )


@jax.jit
def _phases_jit(chip, model, w, eff, d):
    """(Performance, prefill time of the batch's prompts alone, one decode step), compiled once per shape."""
    return (serving.performance(chip, model, w, eff, d), serving.prefill_time(chip, model, w, eff, w.batch, d),
            serving.decode_step_time(chip, model, w, eff, serving.decode_context(w), d))


class Crossover(NamedTuple):
    """Lifetime tokens at which inference passes training, counted three ways (tokens)."""

    output_tokens: float  # T*, lifetime output tokens
    input_tokens: float  # r T*, the prompt tokens read along with them
    total_tokens: float  # (1 + r) T*


def _crossover(output_tokens, input_per_output) -> Crossover:
    t = float(output_tokens)
    return Crossover(t, input_per_output * t, (1.0 + input_per_output) * t)


def inference_compute_share(training_tokens, output_tokens, input_tokens_per_request, output_tokens_per_request):
    """Inference's share of lifetime compute with prompts counted: ``s = (1+r) T / (3 D + (1+r) T)``.

    Training costs ``6 N`` FLOP per token and inference ``2 N`` per token *read or written*
    (prefill and decode alike; attention over the context neglected, Kaplan et al. 2020), and a
    request of ``T_in`` prompt and ``T_out`` output tokens processes ``T_in + T_out``, so with
    ``r = T_in / T_out`` and T lifetime output tokens inference does ``2 N (1 + r) T`` FLOP.
    :func:`workbook.econ.inference_share.lifetime_inference_share` of ``(1 + r) T``.
    """
    r = input_tokens_per_request / output_tokens_per_request
    return lifetime_inference_share(training_tokens, (1.0 + r) * output_tokens)


def compute_crossover_tokens(training_tokens, input_tokens_per_request, output_tokens_per_request) -> Crossover:
    """Lifetime tokens at which inference compute equals training compute: ``T* = 3 D / (1 + r)``.

    From ``2 N (1 + r) T = 6 N D``. Example: D = 1.5e13, 2048-token prompts and 512-token
    outputs (r = 4): ``T* = 9e12 = 0.6 D`` output tokens (3.6e13 prompt tokens with them).

    >>> round(compute_crossover_tokens(1.5e13, 2048, 512).output_tokens / 1.5e13, 3)
    0.6
    """
    d = require("training_tokens", training_tokens, low=0, low_open=True, unit="tokens")
    t_in = require("input_tokens_per_request", input_tokens_per_request, low=0, unit="tokens")
    t_out = require("output_tokens_per_request", output_tokens_per_request, low=0, low_open=True, unit="tokens")
    r = t_in / t_out
    return _crossover(3.0 * d / (1.0 + r), r)


def dollar_crossover_tokens(training_cost_usd, cost: ServingCost, input_tokens_per_request,
                            output_tokens_per_request) -> Crossover:
    """Lifetime tokens at which serving dollars equal the training bill: ``T* = K 1e6 / c_out``.

    ``c_out`` is the whole request's cost per output token (:class:`ServingCost`: prefill of the
    prompts and decode), so T* counts output tokens and ``r T*`` prompt tokens ride along.
    """
    k = require("training_cost_usd", training_cost_usd, low=0, low_open=True, unit="USD")
    c = require("usd_per_million_output_tokens", cost.usd_per_million_output_tokens, low=0, low_open=True,
                unit="USD per million tokens")
    t_in = require("input_tokens_per_request", input_tokens_per_request, low=0, unit="tokens")
    r = t_in / require("output_tokens_per_request", output_tokens_per_request, low=0, low_open=True, unit="tokens")
    return _crossover(k * TOKENS_PER_MILLION / c, r)


def flop_optimal_model_with_prompts(law: LossLaw, target_loss, lifetime_output_tokens, input_tokens_per_request,
                                    output_tokens_per_request):
    """Sardana et al.'s FLOP-optimal (N, D) with every inference token counted: ``T_total = (1 + r) T``.

    Their objective ``6 N D + 2 N T_total`` prices a prompt token like an output token (both
    ``2 N`` FLOP), so with prompts the lifetime inference tokens are ``(1 + r)`` times the output
    tokens. :func:`workbook.econ.scaling_laws.inference_aware_optimum` at ``T_total``.
    """
    from workbook.econ.scaling_laws import inference_aware_optimum

    t_in = require("input_tokens_per_request", input_tokens_per_request, low=0, unit="tokens")
    t_out = require("output_tokens_per_request", output_tokens_per_request, low=0, low_open=True, unit="tokens")
    return inference_aware_optimum(law, target_loss, (1.0 + t_in / t_out) * lifetime_output_tokens)


# Ownership of an H100 (reference/targets.md, recomputed from the TCO formula): $40,000 per GPU
# with its share of the server (assumption, range $25,000-45,000: list prices of $25-30k per
# GPU plus server, network and installation), 5 years at 10 %, 1.275 kW per GPU with its server
# share at 70 % average draw, PUE 1.2, $0.08/kWh -> $1.290 per hour at full use.
class Ownership(NamedTuple):
    """Inputs of :func:`workbook.econ.costs.tco_per_chip_hour` (USD, years, kW, $/kWh)."""

    capex_usd: float = 40_000.0  # per chip with its server share (assumption, 25,000-45,000)
    years: float = 5.0  # depreciation life (assumption, 3-6)
    rate: float = 0.10  # cost of capital per year (assumption, 0.06-0.14)
    power_kw: float = 1.275  # per chip with its server share (H100 SXM 0.7 kW + host, DGX H100 10.2 kW / 8)
    draw_fraction: float = 0.7  # average draw / rated (assumption, 0.5-0.9)
    pue: float = 1.2  # facility overhead (assumption, 1.1-1.5)
    usd_per_kwh: float = 0.08  # industrial electricity (assumption, 0.05-0.15)


H100_OWNERSHIP = Ownership()


def owned_usd_per_chip_hour(ownership: Ownership = H100_OWNERSHIP, utilisation=1.0):
    """Cost of an owned chip per *used* hour: ``TCO / u`` (USD), :func:`workbook.econ.costs.tco_per_chip_hour`.

    >>> round(float(owned_usd_per_chip_hour()), 3)  # reference/targets.md: $1.290/h at full use
    1.29
    """
    from workbook.econ.costs import tco_per_chip_hour

    o = ownership
    return tco_per_chip_hour(o.capex_usd, o.years, o.rate, o.power_kw, o.draw_fraction, o.pue, o.usd_per_kwh,
                             utilisation)


def usd_per_million_tokens_at_utilisation(usd_per_million_tokens_busy, utilisation):
    """$/M tokens when chips are paid for every hour but serve only a share ``u`` of them: ``c / u``.

    The core model's figure assumes every paid chip-hour serves (u = 1). Reserved rentals and
    owned chips are paid whether busy or idle, so their cost per served token is ``c / u``; an
    on-demand rental is paid only while used (``u = 1`` for it, at its higher hourly price).
    """
    u = require("utilisation", utilisation, low=0, high=1, low_open=True)
    return usd_per_million_tokens_busy / u


def ownership_breakeven_utilisation(on_demand_usd_per_chip_hour, ownership: Ownership = H100_OWNERSHIP):
    """Utilisation above which owning beats renting on demand: ``u* = TCO(u=1) / p_on_demand``.

    Owning costs ``TCO / u`` per used hour, renting on demand ``p`` per used hour; owning is
    cheaper when ``u > TCO / p`` (1 or more: never, at that rental price).
    """
    p = require("on_demand_usd_per_chip_hour", on_demand_usd_per_chip_hour, low=0, low_open=True,
                unit="USD per chip-hour")
    return float(owned_usd_per_chip_hour(ownership)) / p


# --------------------------------------------------------------------------------------------
# Price paths: fixed capability versus a fixed model
# --------------------------------------------------------------------------------------------


class CostTrend(NamedTuple):
    """Yearly factors by which the cost per token of a *fixed model* falls (dimensionless, > 1).

    A fixed model gets cheaper only through hardware and software; a fixed *capability* also
    through smaller models reaching it, which is what the published price declines measure.
    """

    # Epoch AI (Hobbhahn & Besiroglu, "Trends in GPU price-performance", 2022): FLOP/s per $
    # doubles every 2.46 years [2.24, 2.72] -> 2**(1/2.46) = 1.33x per year [1.29, 1.36]. Decode is
    # memory-bound and bandwidth per $ improves more slowly, so this is an upper end for serving.
    hardware_gain: float = 2.0 ** (1.0 / 2.46)
    # Assumption, range 1.1-2.5x per year: NVIDIA reported TensorRT-LLM doubling LLM inference
    # on the same H100/A100/L4 (Oct 2023, vendor claim) and nearly 3x on GPT-J between MLPerf
    # v3.1 and v4.0 (Mar 2024); gains of that size do not recur every year.
    software_gain: float = 1.5


HARDWARE_GAIN_RANGE = (2.0 ** (1.0 / 2.72), 2.0 ** (1.0 / 2.24))  # Epoch 2022, 95 % CI of the doubling time
SOFTWARE_GAIN_RANGE = (1.1, 2.5)  # assumption (see CostTrend)


def fixed_model_cost_decline(trend: CostTrend = CostTrend()):
    """Fraction per year by which a fixed model's serving cost falls: ``1 - 1 / (h s)``.

    >>> round(float(fixed_model_cost_decline()), 3)
    0.497
    """
    return 1.0 - 1.0 / (trend.hardware_gain * trend.software_gain)


def implied_model_shrink(capability_price_factor, trend: CostTrend = CostTrend()):
    """Yearly factor by which the model reaching a fixed capability must shrink: ``F / (h s)``.

    A published decline of the price at fixed capability, F per year (Epoch AI, Mar 2025: 9x to
    900x depending on the task; 40x at GPT-4 level on GPQA Diamond), is the product of hardware
    ``h``, software ``s`` and the smaller model that reaches the capability (cost per token is
    about proportional to N for memory-bound decode), so the model term is ``F / (h s)``. Applying
    F to a fixed model's serving cost counts the shrinking model as if the same model got cheaper.
    """
    f = require("capability_price_factor", capability_price_factor, low=1, unit="per year")
    return f / (trend.hardware_gain * trend.software_gain)


def price_paths(years, usd_per_million0, capability_price_factor, trend: CostTrend = CostTrend()) -> dict:
    """Cost per million tokens over time: a fixed model (``p0 / (h s)**t``) and a fixed capability
    (``p0 / F**t``), as arrays (USD per million tokens)."""
    t = require("years", years, low=0, unit="years")
    require("usd_per_million0", usd_per_million0, low=0, low_open=True, unit="USD per million tokens")
    require("capability_price_factor", capability_price_factor, low=1, unit="per year")
    hs = trend.hardware_gain * trend.software_gain
    return {"fixed model": usd_per_million0 / hs**t, "fixed capability": usd_per_million0 / float(capability_price_factor)**t}


# --------------------------------------------------------------------------------------------
# The industry: inference spend against growing training budgets
# --------------------------------------------------------------------------------------------


class IndustrySpend(NamedTuple):
    """An industry's yearly compute spend on inference and on training, both growing exponentially."""

    # Epoch AI estimate of OpenAI's 2024 compute spend: ~$2B inference vs ~$5B R&D compute
    # (estimate). The Information (2024) reported ~$4B inference vs ~$3B training instead.
    inference_usd0: float = 2e9
    training_usd0: float = 5e9
    # Epoch AI (2025): inference revenue at major labs growing ~3x per year (used as a proxy for
    # inference spend; estimate, range 2-4x).
    inference_growth: float = 3.0
    # Cottier et al. (2024), "The rising costs of training frontier AI models": amortised cost of
    # the largest training runs grows 2.4x per year since 2016 (90 % CI 2.0-2.9x).
    training_growth: float = 2.4


INFERENCE_GROWTH_RANGE = (2.0, 4.0)  # estimate (Epoch AI 2025, revenue proxy)
TRAINING_GROWTH_RANGE = (2.0, 2.9)  # Cottier et al. 2024, 90 % CI


def industry_crossover_years(spend: IndustrySpend = IndustrySpend()):
    """Years until yearly inference spend passes yearly training spend: ``ln(K0/I0) / ln(g_I/g_T)``.

    ``I(t) = I0 g_I**t`` and ``K(t) = K0 g_T**t`` cross at ``t* = ln(K0/I0) / ln(g_I/g_T)``; 0 if
    inference already leads (I0 >= K0), +inf if it trails and grows no faster. Differentiable
    (``jnp``) where finite.
    """
    i0, k0, gi, gt = (jnp.asarray(x, jnp.float32) for x in spend)
    gap, speed = jnp.log(k0 / i0), jnp.log(gi / gt)
    ahead = gap <= 0
    closing = speed > 0
    return jnp.where(ahead, 0.0, jnp.where(closing, gap / jnp.where(closing, speed, 1.0), jnp.inf))


def validate_industry_spend(spend: IndustrySpend) -> None:
    """Raise :class:`~workbook.errors.InputError` naming the first field out of range."""
    require("inference_usd0", spend.inference_usd0, low=0, low_open=True, unit="USD/year")
    require("training_usd0", spend.training_usd0, low=0, low_open=True, unit="USD/year")
    require("inference_growth", spend.inference_growth, low=0, low_open=True, unit="x per year")
    require("training_growth", spend.training_growth, low=0, low_open=True, unit="x per year")
