"""Chinchilla scaling laws and the inference-aware optimum.

One notation throughout: N parameters, D training tokens, T lifetime inference tokens,
C FLOPs, l target loss (nats per token).

The fitted loss law (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models")

    L(N, D) = E + A / N**alpha + B / D**beta

and the FLOP counts 6 N per training token and 2 N per inference token give three questions:

1. ``compute_optimal``: the (N, D) that minimise loss for a training budget C = 6 N D.
2. ``chinchilla_style_optimum``: the cheapest-to-train (N, D) that reach loss l.
3. ``inference_aware_optimum``: the (N, D) that reach loss l at the least *lifetime* compute
   6 N D + 2 N T (Sardana et al., "Beyond Chinchilla-Optimal", ICML 2024).

Takeaway: once a model serves more tokens than it was trained on, the cheapest way to a given
quality is a smaller model trained on more data than Chinchilla prescribes.

Everything here is pure ``jax.numpy``, jit-able and differentiable. Laws are ``LossLaw``
records (pytrees), so ``jax.grad`` with respect to a law returns a ``LossLaw`` of sensitivities.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from workbook.errors import require
from workbook.numerics import implicit_root

__all__ = [
    "LossLaw",
    "HOFFMANN_2022",
    "HOFFMANN_2022_UNROUNDED",
    "BESIROGLU_2024",
    "SARDANA_2024",
    "loss",
    "training_flops",
    "inference_flops",
    "lifetime_flops",
    "compute_optimal",
    "chinchilla_style_optimum",
    "inference_aware_optimum",
    "inference_aware_optimum_checked",
    "validate_target_loss",
    "compute_overhead_smaller_model",
    "smallest_model_size_fraction",
]


class LossLaw(NamedTuple):
    """Parametric loss law L(N, D) = E + A / N**alpha + B / D**beta (nats per token).

    Defaults are the rounded values printed by Hoffmann et al. (2022), Approach 3.
    """

    E: float = 1.69  # irreducible loss, nats/token
    A: float = 406.4  # parameter-term coefficient, nats/token * params**alpha
    B: float = 410.7  # data-term coefficient, nats/token * tokens**beta
    alpha: float = 0.34  # parameter exponent, dimensionless
    beta: float = 0.28  # data exponent, dimensionless


# Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", eq. (10), as printed
# (rounded).
HOFFMANN_2022 = LossLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)

# Hoffmann et al. (2022), unrounded Approach-3 fit as released with the paper (via the values
# quoted by Besiroglu et al. 2024): alpha=0.33917084, beta=0.2849083, ln A=6.0073404,
# ln B=6.0179186, ln E=0.5267228.
HOFFMANN_2022_UNROUNDED = LossLaw(
    E=math.exp(0.5267228),
    A=math.exp(6.0073404),
    B=math.exp(6.0179186),
    alpha=0.33917084,
    beta=0.2849083,
)

# Besiroglu, Erdil, Barnett & You (2024), "Chinchilla Scaling: A replication attempt"
# (Epoch AI), their refit of Approach 3.
BESIROGLU_2024 = LossLaw(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)

# Sardana, Portes, Doubov & Frankle (2024), "Beyond Chinchilla-Optimal: Accounting for Inference
# in Language Model Scaling Laws", ICML 2024 (code Apache-2.0): Chinchilla constants with
# alpha=0.336, beta=0.283.
SARDANA_2024 = LossLaw(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283)


def _as_float(x):
    """Convert to a floating array (so integer token counts get float tangents)."""
    return jnp.asarray(x, dtype=jnp.result_type(float))


def _law_as_float(law: LossLaw) -> LossLaw:
    return LossLaw(*(_as_float(v) for v in law))


# --------------------------------------------------------------------------------------------
# Loss and FLOP counts
# --------------------------------------------------------------------------------------------


def loss(law: LossLaw, n_params, n_tokens):
    """Pre-training loss predicted by a Chinchilla-style law.

    ``L = E + A / N**alpha + B / D**beta``

    Parameters
    ----------
    law : LossLaw
    n_params : array_like
        N, parameters (count).
    n_tokens : array_like
        D, training tokens (count).

    Returns
    -------
    Array
        Loss in nats per token; broadcast shape of the inputs.

    Source: Hoffmann et al. (2022), eq. (2).
    """
    E, A, B, alpha, beta = law
    return E + A * jnp.power(n_params, -alpha) + B * jnp.power(n_tokens, -beta)


def training_flops(n_params, n_tokens):
    """Training FLOPs of a dense transformer, ``C = 6 N D`` (FLOP).

    Source: Kaplan et al. (2020), Hoffmann et al. (2022): 2 N forward + 4 N backward per token.
    """
    return 6.0 * n_params * n_tokens


def inference_flops(n_params, inference_tokens):
    """Inference FLOPs of a dense transformer, ``2 N T`` (FLOP), ignoring attention over context.

    Source: Kaplan et al. (2020); Sardana et al. (2024).
    """
    return 2.0 * n_params * inference_tokens


def lifetime_flops(n_params, n_tokens, inference_tokens):
    """Lifetime compute ``6 N D + 2 N T`` (FLOP): training plus serving T tokens.

    Source: Sardana et al. (2024), eq. (2).
    """
    return training_flops(n_params, n_tokens) + inference_flops(n_params, inference_tokens)


# --------------------------------------------------------------------------------------------
# Compute-optimal (Chinchilla) allocation
# --------------------------------------------------------------------------------------------


def compute_optimal(law: LossLaw, flops):
    """Loss-minimising (N*, D*) for a training budget ``C = 6 N D``.

    ``N* = G (C/6)**(beta/(alpha+beta))``, ``D* = G**-1 (C/6)**(alpha/(alpha+beta))``,
    ``G = (alpha A / (beta B))**(1/(alpha+beta))``.

    Parameters
    ----------
    law : LossLaw
    flops : array_like
        C, training compute (FLOP).

    Returns
    -------
    (Array, Array)
        N* (parameters) and D* (tokens).

    Source: Hoffmann et al. (2022), eq. (4). With ``HOFFMANN_2022_UNROUNDED`` and
    C = 5.76e23 FLOP, N* ~ 4.04e10.
    """
    E, A, B, alpha, beta = law
    log_g = (jnp.log(alpha * A) - jnp.log(beta * B)) / (alpha + beta)
    log_c6 = jnp.log(flops / 6.0)
    a_exp = beta / (alpha + beta)
    b_exp = alpha / (alpha + beta)
    n_opt = jnp.exp(log_g + a_exp * log_c6)
    d_opt = jnp.exp(-log_g + b_exp * log_c6)
    return n_opt, d_opt


def chinchilla_style_optimum(law: LossLaw, target_loss):
    """Cheapest-to-train (N, D) reaching ``target_loss`` (the T = 0 inference-aware optimum).

    With ``Delta = l - E``:

    ``D = (B (1 + beta/alpha) / Delta)**(1/beta)``,
    ``N = (A (alpha + beta) / (beta Delta))**(1/alpha)``.

    These are the compute-optimal allocations of ``compute_optimal`` traced out by loss instead
    of by budget.

    Parameters
    ----------
    law : LossLaw
    target_loss : array_like
        l, nats per token; must exceed ``law.E`` (NaN otherwise, see ``validate_target_loss``).

    Returns
    -------
    (Array, Array)
        N (parameters) and D (training tokens).

    Source: Sardana et al. (2024), first-order condition with T = 0.
    """
    E, A, B, alpha, beta = law
    log_excess = jnp.log(target_loss - E)
    log_d = (jnp.log(B) + jnp.log1p(beta / alpha) - log_excess) / beta
    log_n = (jnp.log(A) + jnp.log((alpha + beta) / beta) - log_excess) / alpha
    return jnp.exp(log_n), jnp.exp(log_d)


# --------------------------------------------------------------------------------------------
# Inference-aware optimum (Sardana et al. 2024)
# --------------------------------------------------------------------------------------------

_BISECTION_STEPS = 64  # halvings of a bracket at most ln(2)/beta wide in log D


def _optimality_residual(log_d, law: LossLaw, target_loss, inference_tokens):
    """First-order condition in x = log D, normalised and in log form (decreasing in x).

    ``F(x) = log(B (1 + beta/alpha) D**-beta + beta B T/(3 alpha) D**-(beta+1)) - log(l - E)``.
    """
    E, A, B, alpha, beta = law
    term_data = B * (1.0 + beta / alpha) * jnp.exp(-beta * log_d)
    term_inference = beta * B * inference_tokens / (3.0 * alpha) * jnp.exp(-(beta + 1.0) * log_d)
    return jnp.log(term_data + term_inference) - jnp.log(target_loss - E)


def _log_tokens_bracket(law: LossLaw, target_loss, inference_tokens):
    """Bracket [lo, hi] in log D that contains the unique root of ``_optimality_residual``.

    The two (positive, decreasing) terms sum to Delta at the root. Each term alone equals Delta
    at x0 (data) and x1 (inference): the root is >= max(x0, x1). At the root one term is
    >= Delta/2, which happens at x0 + ln2/beta and x1 + ln2/(beta+1): the root is <= the
    larger of these.
    """
    E, A, B, alpha, beta = law
    log_excess = jnp.log(target_loss - E)
    x0 = (jnp.log(B) + jnp.log1p(beta / alpha) - log_excess) / beta
    # T = 0 gives log(0) = -inf here, which max() discards.
    x1 = (jnp.log(beta * B / (3.0 * alpha)) + jnp.log(inference_tokens) - log_excess) / (beta + 1.0)
    lo = jnp.maximum(x0, x1)
    hi = jnp.maximum(x0 + jnp.log(2.0) / beta, x1 + jnp.log(2.0) / (beta + 1.0))
    return lo, hi


# log D of the inference-aware optimum: bisection on the bracket, derivative by the IFT
_optimal_log_tokens = implicit_root(_optimality_residual, _log_tokens_bracket, _BISECTION_STEPS, increasing=False)


def inference_aware_optimum(law: LossLaw, target_loss, inference_tokens):
    """(N, D) reaching ``target_loss`` at least lifetime compute ``6 N D + 2 N T``.

    Minimise ``6 N D + 2 N T`` subject to ``L(N, D) = l``. The first-order condition in D is

    ``B (1 + beta/alpha) D**-beta + (beta B T / (3 alpha)) D**-(beta+1) + E - l = 0``,

    whose left side decreases strictly in D, so it has one root; then

    ``N = (A / (l - E - B D**-beta))**(1/alpha)``.

    The root is found by bisection in log D on a bracket computed from the problem (see
    ``_log_tokens_bracket``; at most ln(2)/beta wide) with a fixed number of halvings, so the
    function jit-compiles and vmaps. Derivatives with respect to ``law``, ``target_loss`` and
    ``inference_tokens`` come from the implicit function theorem (``jax.custom_jvp``), not
    from differentiating the bisection.

    Parameters
    ----------
    law : LossLaw
    target_loss : array_like
        l, nats per token. Must exceed ``law.E``: infeasible values give NaN here; UIs should
        call ``inference_aware_optimum_checked`` which raises ``InputError``.
    inference_tokens : array_like
        T, lifetime inference tokens (>= 0).

    Returns
    -------
    (Array, Array)
        N (parameters) and D (training tokens), broadcast shape of ``target_loss`` and
        ``inference_tokens``.

    Source: Sardana et al. (2024), "Beyond Chinchilla-Optimal", ICML 2024, Sec. 2 and App. A.
    With ``SARDANA_2024``, l = 1.947, T = 2e12: N = 2.418e10, D = 2.657e12.
    """
    law = _law_as_float(law)
    target_loss = _as_float(target_loss)
    inference_tokens = _as_float(inference_tokens)
    target_loss, inference_tokens = jnp.broadcast_arrays(target_loss, inference_tokens)
    log_d = _optimal_log_tokens(law, target_loss, inference_tokens)
    E, A, B, alpha, beta = law
    # l - E - B D**-beta = Delta - (alpha/(alpha+beta)) * term_data > 0 at the root.
    parameter_term = target_loss - E - B * jnp.exp(-beta * log_d)
    log_n = (jnp.log(A) - jnp.log(parameter_term)) / alpha
    return jnp.exp(log_n), jnp.exp(log_d)


def validate_target_loss(law: LossLaw, target_loss) -> None:
    """Raise :class:`~workbook.errors.InputError` unless every ``target_loss`` is finite and
    greater than ``law.E``: a loss at or below the irreducible loss E cannot be reached by any
    finite model."""
    require("target_loss", target_loss, low=float(law.E), low_open=True,
            unit="nats/token (above E, the irreducible loss of this law)")


def _validate_inference_tokens(inference_tokens) -> None:
    require("inference_tokens", inference_tokens, low=0, unit="tokens")


_inference_aware_optimum_jit = jax.jit(inference_aware_optimum)


def inference_aware_optimum_checked(law: LossLaw, target_loss, inference_tokens):
    """Validated, jitted ``inference_aware_optimum`` for UIs (not itself jit-able).

    Raises
    ------
    InputError
        If ``target_loss <= law.E`` or ``inference_tokens < 0``; the message names the field,
        the value and the allowed range.
    """
    validate_target_loss(law, target_loss)
    _validate_inference_tokens(inference_tokens)
    return _inference_aware_optimum_jit(law, target_loss, inference_tokens)


# --------------------------------------------------------------------------------------------
# Compute overhead of a smaller model (de Vries 2023)
# --------------------------------------------------------------------------------------------


def compute_overhead_smaller_model(k_n, alpha=0.336, beta=0.283):
    """Extra training compute to reach Chinchilla-optimal loss with a model ``k_n`` times the size.

    ``k_D = (1 - (beta/alpha) (k_N**-alpha - 1))**(-1/beta)``, ``overhead = k_N k_D - 1``
    (fraction of the compute-optimal budget; 0.208 means +20.8%).

    Parameters
    ----------
    k_n : array_like
        k_N, model size as a fraction of the compute-optimal size; must exceed
        ``smallest_model_size_fraction(alpha, beta)`` (NaN below it: no amount of data reaches
        the loss).
    alpha, beta : float
        Loss-law exponents (defaults: Sardana et al. 2024 / de Vries 2023 values).

    Returns
    -------
    Array
        Compute overhead, dimensionless.

    Source: H. de Vries (2023), "Go smol or go home"; k_N = 0.5 -> +20.8%, overhead 100% at
    k_N ~ 0.305.
    """
    base = 1.0 - (beta / alpha) * (jnp.power(k_n, -alpha) - 1.0)
    k_d = jnp.exp(-jnp.log(base) / beta)
    return k_n * k_d - 1.0


def smallest_model_size_fraction(alpha=0.336, beta=0.283):
    """Critical model size ``k_N = (1 + alpha/beta)**(-1/alpha)`` where the overhead diverges.

    Source: de Vries (2023); follows from ``compute_overhead_smaller_model``.
    """
    return jnp.power(1.0 + alpha / beta, -1.0 / alpha)
