"""The Laplace approximation of the calibration's posterior, the factor table, and samples.

At the MAP ``theta*`` of :func:`workbook.calibration.fitting.fit` the negative log posterior is
approximated by a quadratic: ``theta ~ N(theta*, H^-1)`` with ``H = hessian(nlp)(theta*)``
(Laplace; MacKay 2003, *Information Theory, Inference and Learning Algorithms*, ch. 27). The
logits live on the whole real line, so the Gaussian is a fair approximation there, and a
factor ``x = lo + (hi - lo) sigmoid(theta)`` sampled from it stays inside its prior range.

``H`` is built one column at a time from Hessian-vector products (``jax.jvp`` of
``jax.grad``), which keeps memory at that of one gradient.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from workbook.calibration import fitting
from workbook.errors import InputError, require
from workbook.specs import Efficiency


def parameter_names(params, families: list[str]) -> list[str]:
    """Names of the entries of ``ravel_pytree(params)``, in its order (e.g.
    ``"family.nvidia_hopper.memory"``, ``"runtime.amd_cdna3.kernel_time"``, ``"shared.memory"``)."""
    named = {
        "shared": np.array([f"shared.{k}" for k in fitting.HARDWARE], object),
        "family": np.array([[f"family.{f}.{k}" for k in fitting.HARDWARE] for f in families], object),
        "runtime": np.array([[f"runtime.{f}.{k}" for k in fitting.RUNTIME] for f in families], object),
        "interconnect": np.array("interconnect", object),
        "moe": np.array("moe", object),
        "temperature": np.array("temperature", object),
        "dp_imbalance": np.array("dp_imbalance", object),
        "log_sigma": np.array("log_sigma", object),
    }
    leaves = jax.tree.leaves({k: named[k] for k in params}, is_leaf=lambda x: isinstance(x, np.ndarray))
    names = [str(n) for leaf in leaves for n in np.ravel(leaf)]
    if len(names) != ravel_pytree(params)[0].shape[0]:
        raise AssertionError("parameter names out of step with the parameter pytree")
    return names


def hessian(nlp, params) -> np.ndarray:
    """``d^2 nlp / d theta^2`` at ``params`` over ``ravel_pytree(params)``, symmetrised, float64."""
    flat, unravel = ravel_pytree(params)
    grad = jax.grad(lambda x: nlp(unravel(x)))
    hvp = jax.jit(lambda x, v: jax.jvp(grad, (x,), (v,))[1])
    eye = np.eye(flat.shape[0], dtype=np.float32)
    h = np.stack([np.asarray(hvp(flat, jnp.asarray(e)), np.float64) for e in eye], axis=1)
    return 0.5 * (h + h.T)


def laplace_covariance(h: np.ndarray) -> tuple[np.ndarray, float]:
    """``(H^-1, smallest eigenvalue of H)``; eigenvalues below ``1e-6`` of the largest are
    raised to it (a flat direction gets a wide, finite spread instead of an error)."""
    vals, vecs = np.linalg.eigh(h)
    floor = 1e-6 * max(float(vals.max()), 1e-12)
    clipped = np.maximum(vals, floor)
    return (vecs / clipped) @ vecs.T, float(vals.min())


def _direction(names: list[str], terms: dict[str, float]) -> np.ndarray:
    a = np.zeros(len(names))
    for n, c in terms.items():
        a[names.index(n)] = c
    return a


def _logit_terms(factor: str, fam: str | None) -> dict[str, float]:
    """The logits whose sum is ``factor``'s logit for family ``fam`` (``None``: population/global)."""
    if factor in fitting.GLOBAL:
        return {factor: 1.0}
    if factor in fitting.HARDWARE:
        return {f"shared.{factor}": 1.0, **({f"family.{fam}.{factor}": 1.0} if fam else {})}
    return {f"runtime.{fam}.{factor}": 1.0}


def factor_table(mean: np.ndarray, cov: np.ndarray, names: list[str], families: list[str]) -> list[dict]:
    """One row per fitted factor: ``{factor, family, prior_low, prior_high, prior_source, value,
    low95, high95, logit_sd, position (0..1 in the prior range), at_bound, reason}``; the
    95 % interval maps ``theta* +- 1.96 sd`` through the sigmoid."""
    rows = []
    cases = [(k, None) for k in fitting.HARDWARE] + [(k, None) for k in fitting.GLOBAL]
    cases += [(k, f) for f in families for k in (*fitting.HARDWARE, *fitting.RUNTIME)]
    for factor, fam in cases:
        a = _direction(names, _logit_terms(factor, fam))
        theta, sd = float(a @ mean), float(np.sqrt(max(a @ cov @ a, 0.0)))
        lo, hi, source = fitting.prior(factor, fam)
        x = lambda t: lo + (hi - lo) / (1.0 + np.exp(-t))  # noqa: E731
        position = 1.0 / (1.0 + np.exp(-theta))
        at_bound = bool(position < fitting.BOUND_MARGIN or position > 1.0 - fitting.BOUND_MARGIN)
        rows.append({
            "factor": factor, "family": fam or ("global" if factor in fitting.GLOBAL else "population"),
            "prior_low": lo, "prior_high": hi, "prior_source": source,
            "value": fitting._r4(x(theta)), "low95": fitting._r4(x(theta - 1.96 * sd)), "high95": fitting._r4(x(theta + 1.96 * sd)),
            "logit_sd": round(sd, 4), "position": round(position, 4), "at_bound": at_bound,
            "reason": fitting.BOUND_REASONS.get(f"{fam}.{factor}" if fam else factor, "") if at_bound else "",
        })
    return rows


def posterior_block(params, families: list[str], nlp) -> dict:
    """``{"names", "map", "covariance", "min_hessian_eigenvalue"}`` of the Laplace approximation
    at ``params`` (the MAP of ``nlp``), for ``calibration.json``."""
    names = parameter_names(params, families)
    mean = np.asarray(ravel_pytree(params)[0], np.float64)
    cov, min_eig = laplace_covariance(hessian(nlp, params))
    return {"names": names, "map": [round(float(v), 6) for v in mean],
            "covariance": [[float(f"{v:.6g}") for v in row] for row in cov], "min_hessian_eigenvalue": min_eig}


MAX_SAMPLES = 1_000_000


def efficiency_samples(cal: dict, family_name: str | None, n: int, seed: int = 0) -> Efficiency:
    """``n`` efficiencies of a family drawn from the calibration's posterior (arrays of shape ``(n,)``).

    A fitted family: its logits from ``N(map, covariance)``. A family with no rows: the
    population's hardware logits plus an offset ``N(0, FAMILY_LOGIT_SD^2)``, and its runtime
    factors from their priors (uniform over each range). A statically scheduled runtime keeps
    its anchored time per layer. ``seed`` fixes the draw (same seed, same samples)."""
    n = int(require("n", n, low=1, high=MAX_SAMPLES, integer=True, unit="samples"))
    post = cal.get("posterior")
    if not post:
        raise InputError("calibration: no 'posterior' block (refit with workbook calibrate)")
    names, mean, cov = post["names"], np.asarray(post["map"]), np.asarray(post["covariance"])
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(cov + 1e-9 * np.eye(len(mean)))
    theta = mean[None, :] + rng.standard_normal((n, len(mean))) @ chol.T
    fitted = family_name in cal["families"] and f"runtime.{family_name}.kernel_time" in names

    def logit(terms):
        return theta @ _direction(names, terms)

    def value(factor, t):
        lo, hi, _ = fitting.prior(factor, family_name)
        return (lo + (hi - lo) / (1.0 + np.exp(-t))).astype(np.float32)

    base = fitting.efficiency_from_json(cal, family_name)
    out = {}
    for k in fitting.HARDWARE:
        t = logit(_logit_terms(k, family_name if fitted else None))
        out[k] = value(k, t if fitted else t + fitting.FAMILY_LOGIT_SD * rng.standard_normal(n))
    for k in fitting.GLOBAL:
        # a file written before a global factor was fitted keeps that factor's value (no spread)
        out[k] = value(k, logit({k: 1.0})) if k in names else np.full(n, getattr(base, k), np.float32)
    if family_name in fitting.STATIC_RUNTIME_FAMILIES:
        out.update({k: np.full(n, getattr(base, k), np.float32) for k in ("kernel_time", "step_overhead", "collective_latency")})
    else:
        for k in fitting.RUNTIME:
            u = rng.uniform(1e-6, 1.0 - 1e-6, n)
            out[k] = value(k, logit({f"runtime.{family_name}.{k}": 1.0}) if fitted else np.log(u / (1.0 - u)))
    full = lambda x: np.full(n, x, np.float32)  # noqa: E731
    return Efficiency(**{f: jnp.asarray(out[f]) if f in out else jnp.asarray(full(getattr(base, f))) for f in Efficiency._fields})
