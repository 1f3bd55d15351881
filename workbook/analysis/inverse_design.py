"""Inverse design: the value of one chip field that makes chip X match chip Y's output.

Bisection in log space (:func:`workbook.numerics.bracketed_root`), differentiable by the
implicit function theorem, so the answer has gradients with respect to every other input.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.analysis.elasticity import METRIC_LABELS, METRICS
from workbook.calibration import calibrated_efficiency
from workbook.errors import InputError, require, require_choice
from workbook.model import serving
from workbook.numerics import BISECTION_STEPS, implicit_root
from workbook.specs import Chip, Deployment, Efficiency, Model, Workload, as_arrays, tensor_parallel

def _onehot(names, name):
    return jnp.asarray([1.0 if n == name else 0.0 for n in names], jnp.float32)


def _metric_with_field(log_v, field_mask, chip, m, w, eff, metric_mask, d):
    """``metric`` (selected by a one-hot mask over ``METRICS``) with the chip field selected by
    ``field_mask`` (one-hot over ``Chip._fields``) set to ``exp(log_v)``. Masks, not names,
    so one compiled function serves every field and metric."""
    c = Chip(*[jnp.where(field_mask[i] > 0.5, jnp.exp(log_v), x) for i, x in enumerate(chip)])
    p = serving.performance(c, m, w, eff, d)
    return jnp.sum(jnp.stack([getattr(p, k) for k in METRICS]) * metric_mask), p


def _log_gap(s, field_mask, chip, m, w, eff, target, log_lo, log_hi, metric_mask, d):
    """``log metric(field = e^s) - log target``: the residual whose root is the answer."""
    return jnp.log(_metric_with_field(s, field_mask, chip, m, w, eff, metric_mask, d)[0]) - jnp.log(target)


_log_root = implicit_root(_log_gap, lambda *theta: (theta[6], theta[7]), BISECTION_STEPS)


def _solve(field_mask, chip, m, w, eff, target, log_lo, log_hi, metric_mask, d):
    theta = (field_mask, chip, m, w, eff, jnp.asarray(target, jnp.float32), jnp.asarray(log_lo, jnp.float32),
             jnp.asarray(log_hi, jnp.float32), metric_mask, d)
    s = _log_root(*theta)
    bracketed = jnp.sign(_log_gap(theta[6], *theta)) != jnp.sign(_log_gap(theta[7], *theta))
    return jnp.where(bracketed, jnp.exp(s), jnp.nan)


def solve_field_value(field: str, chip: Chip, m: Model, w: Workload, eff: Efficiency, target, log_lo, log_hi,
                      metric: str = "usd_per_million_tokens", deployment: Deployment | None = None):
    """Value of ``chip.<field>`` at which ``metric`` equals ``target`` (pure JAX, jittable).

    Bisection on ``g(s) = log metric(field = e^s) - log target`` over ``[log_lo, log_hi]``
    with ``BISECTION_STEPS`` halvings (:func:`workbook.numerics.implicit_root`), differentiable
    by the implicit function theorem (``ds/dp = -(dg/dp) / (dg/ds)``), so it is differentiable in
    every other input and in ``target``. ``nan`` if the bracket holds no root. ``deployment``
    defaults to tensor parallelism over ``w.chips``.
    """
    d = tensor_parallel(w.chips) if deployment is None else deployment
    return _solve(_onehot(Chip._fields, field), chip, m, w, eff, target, log_lo, log_hi, _onehot(METRICS, metric), as_arrays(d))


def _match(field_mask, metric_mask, cx, cy, m, w, ex, ey, log_lo, log_hi, dx, dy, target_scale):
    """Target, the metric and the binding resource at both bracket ends, and the root."""
    p_y = serving.performance(cy, m, w, ey, dy)
    target = jnp.sum(jnp.stack([getattr(p_y, k) for k in METRICS]) * metric_mask) * target_scale
    ends = jnp.stack([log_lo, log_hi])
    at_ends, perf_ends = jax.vmap(lambda s: _metric_with_field(s, field_mask, cx, m, w, ex, metric_mask, dx))(ends)
    value = _solve(field_mask, cx, m, w, ex, target, log_lo, log_hi, metric_mask, dx)
    return target, at_ends, perf_ends.bound, value


_match_jit = jax.jit(_match)


def field_bracket(field: str, value: float, factor: float = 1e3) -> tuple[float, float]:
    """``[value/factor, value*factor]`` clipped to the catalog's allowed range of ``field``."""
    lo_allowed, hi_allowed, _ = catalog.CHIP_RANGES[field]
    lo = max(value / factor, lo_allowed, 1e-12)
    hi = min(value * factor, hi_allowed)
    return lo, hi


def match_value(field: str, chip_x: Chip, chip_y: Chip, m: Model, w: Workload, eff_x: Efficiency = Efficiency(),
                eff_y: Efficiency | None = None, metric: str = "usd_per_million_tokens", bracket=None,
                names=("chip X", "chip Y"), deployment_x: Deployment | None = None,
                deployment_y: Deployment | None = None, target_scale: float = 1.0) -> dict:
    """What value of ``field`` would ``chip_x`` need to match ``chip_y``'s ``metric`` on ``w``?

    The target is chip Y's ``metric`` times ``target_scale`` (e.g. ``0.01`` for a time per
    token 100x shorter); each chip serves in its own deployment (default: tensor parallelism
    over ``w.chips``). Returns ``{field, value, current, ratio (value/current), target,
    bracket}``. Raises
    :class:`InputError` when no value in ``bracket`` (default :func:`field_bracket`)
    reaches the target, naming the resource that binds at the favourable end.
    """
    require_choice("field", field, Chip._fields)
    require_choice("metric", metric, METRICS)
    eff_y = eff_x if eff_y is None else eff_y
    cx, cy, mm, ww, ex, ey = (as_arrays(r) for r in (chip_x, chip_y, m, w, eff_x, eff_y))
    current = float(getattr(chip_x, field))
    lo, hi = bracket or field_bracket(field, current if current > 0 else 1.0)
    log_lo, log_hi = jnp.log(jnp.float32(lo)), jnp.log(jnp.float32(hi))
    dx = as_arrays(tensor_parallel(w.chips) if deployment_x is None else deployment_x)
    dy = as_arrays(tensor_parallel(w.chips) if deployment_y is None else deployment_y)
    target_scale = require("target_scale", target_scale, low=0, low_open=True)
    target, at_ends, bound_ends, value = _match_jit(_onehot(Chip._fields, field), _onehot(METRICS, metric), cx, cy, mm, ww, ex, ey,
                                                    log_lo, log_hi, dx, dy, jnp.float32(target_scale))
    target, value, at_ends = float(target), float(value), np.asarray(at_ends, float)
    if not math.isfinite(value):
        best = int(np.argmin(np.abs(np.log(at_ends) - math.log(target))))
        binds = serving.RESOURCES[int(np.asarray(bound_ends)[best])]
        unit = catalog.CHIP_RANGES[field][2]
        raise InputError(
            f"no {field.replace('_', ' ')} between {lo:.3g} and {hi:.3g} {unit} makes {names[0]} match "
            f"{names[1]}'s {METRIC_LABELS[metric]} ({target:.4g}): {binds} binds; over that range {names[0]} "
            f"gives {at_ends.min():.4g} to {at_ends.max():.4g}"
        )
    return {"field": field, "value": value, "current": current, "ratio": value / current if current else math.inf,
            "target": target, "bracket": (lo, hi)}


def match_chip(field: str, chip_x_id: str, chip_y_id: str, m: Model, w: Workload,
               metric: str = "usd_per_million_tokens", calibrated: bool = True) -> dict:
    """:func:`match_value` for two catalog chips, each with its calibrated efficiency."""
    ex = calibrated_efficiency(chip_x_id)[0] if calibrated else Efficiency()
    ey = calibrated_efficiency(chip_y_id)[0] if calibrated else Efficiency()
    return match_value(field, catalog.chip(chip_x_id), catalog.chip(chip_y_id), m, w, ex, ey, metric,
                       names=(chip_x_id, chip_y_id))
