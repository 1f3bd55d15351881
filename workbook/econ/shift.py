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

Takeaway: with decode memory-bound, a served token costs several times the FLOP-priced
``2 N`` estimate, so the dollar-optimal model is smaller than Sardana's FLOP-optimal one.

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
    training_cost_usd,
    validate_demand_scenario,
)
from workbook.numerics import implicit_root, smooth_max_norm
from workbook.econ.scaling_laws import LossLaw, validate_target_loss
from workbook.specs import Chip, Efficiency, Model, Workload, workload

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
