"""Numerical building blocks shared by the model, the analysis and the economics.

Two kinds of smooth maximum, named apart because their temperatures mean different things:

* :func:`smooth_max_norm` -- the ``1/tau``-norm of positive *times*; ``tau`` is
  dimensionless (0: the sharp max, the roofline lower bound; 1: the sum, the upper bound).
* :func:`softplus_max` / :func:`softplus_min` / :func:`softplus_min_reduce` -- log-sum-exp
  smoothing of *values in a common unit* (USD per million tokens, USD per unit); ``tau`` is
  in that unit and bounds the error: ``max <= softplus_max <= max + tau log 2``.

One root finder, :func:`implicit_root`: bisection on a bracket with a fixed number of
halvings (so it jits and vmaps), differentiable by the implicit function theorem
``dx = -(dF/dtheta . dtheta) / (dF/dx)`` at ``F(x, theta) = 0`` rather than by unrolling
the loop. :func:`bisect` is the plain bisection underneath.

>>> import jax, jax.numpy as jnp
>>> sqrt = implicit_root(lambda x, a: x * x - a, lambda a: (0.0, jnp.maximum(a, 1.0)))
>>> round(float(sqrt(2.0)), 5), round(float(jax.grad(sqrt)(4.0)), 5)  # d sqrt(a)/da = 1/(2 sqrt a)
(1.41421, 0.25)
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax.nn import logsumexp

MIN_NORM_TEMPERATURE = 1e-4
BISECTION_STEPS = 60  # halvings: a bracket 1e6 wide shrinks below float32 resolution


def smooth_max_norm(times, temperature):
    """Smooth maximum of positive times: the ``1/temperature``-norm.

    ``(sum_i t_i^(1/tau))^tau = exp(tau * logsumexp(log t_i / tau))``. ``tau -> 0`` gives
    ``max`` (the roofline lower bound), ``tau = 1`` the sum (the upper bound); in between it
    is differentiable in every argument, so gradients tell how much each resource matters
    near the regime switch. ``max <= result <= n^tau * max``: with ``tau = 0.1`` and two
    resources, at most 7.2 % above the sharp roofline. ``tau`` is dimensionless; values
    below ``1e-4`` are treated as ``1e-4`` (sharp to 0.007 %). A time of 0 (no prompt, say)
    adds nothing, with a derivative of 0.

    >>> round(float(smooth_max_norm((1.0, 1.0), 1.0)), 4), round(float(smooth_max_norm((3.0, 1.0), 1e-4)), 4)
    (2.0, 3.0)
    """
    tau = jnp.maximum(jnp.asarray(temperature, jnp.float32), MIN_NORM_TEMPERATURE)
    ts = jnp.stack([jnp.asarray(t, jnp.float32) for t in times])
    # a zero time contributes nothing, and its derivative is 0 (not 0 * inf = NaN): log is taken
    # of non-zero times only (a double ``where``); all zero gives 0
    zero = ts == 0  # (NaN stays NaN)
    some = jnp.any(~zero, axis=0)
    logs = jnp.where(zero, jnp.where(some, -jnp.inf, 0.0), jnp.log(jnp.where(zero, 1.0, ts)))
    return jnp.where(some, jnp.exp(tau * logsumexp(logs / tau, axis=0)), 0.0)


def softplus_max(a, b, temperature):
    """Smooth maximum of ``a`` and ``b``: ``b + tau * softplus((a - b) / tau)``.

    Equal to ``tau * log(exp(a/tau) + exp(b/tau))``; lies in ``[max(a, b), max(a, b) +
    tau log 2]`` and converges to the sharp max as ``tau -> 0``; ``tau = 0`` returns the
    exact max (selected with ``where``: no division by zero, finite gradients). ``tau`` is
    in the unit of ``a`` and ``b``.

    >>> float(softplus_max(3.0, 1.0, 0.0)), round(float(softplus_max(1.0, 1.0, 1.0)), 4)
    (3.0, 1.6931)
    """
    a, b = jnp.asarray(a), jnp.asarray(b)
    tau = jnp.asarray(temperature, dtype=jnp.result_type(a, b, float))
    positive = tau > 0
    safe_tau = jnp.where(positive, tau, 1.0)
    smooth = b + safe_tau * jax.nn.softplus((a - b) / safe_tau)
    return jnp.where(positive, smooth, jnp.maximum(a, b))


def softplus_min(a, b, temperature):
    """Smooth minimum: ``-softplus_max(-a, -b, tau)``; within ``tau log 2`` below ``min(a, b)``."""
    return -softplus_max(-jnp.asarray(a), -jnp.asarray(b), temperature)


def softplus_min_reduce(x, temperature, axis=-1, weights=None):
    """Smooth minimum over an axis: ``-tau * log(sum_i w_i exp(-x_i / tau))``; exact min at ``tau = 0``.

    ``weights`` (0 or 1, default all 1) masks entries out; ``tau`` is in the unit of ``x``.
    """
    x = jnp.asarray(x)
    tau = jnp.asarray(temperature, dtype=x.dtype)
    positive = tau > 0
    safe_tau = jnp.where(positive, tau, 1.0)
    if weights is None:
        smooth = -safe_tau * logsumexp(-x / safe_tau, axis=axis)
        sharp = jnp.min(x, axis=axis)
    else:
        w = jnp.asarray(weights, dtype=x.dtype)
        smooth = -safe_tau * logsumexp(-x / safe_tau, axis=axis, b=w)
        sharp = jnp.min(jnp.where(w > 0, x, jnp.inf), axis=axis)
    return jnp.where(positive, smooth, sharp)


def bisect(residual: Callable, lo, hi, steps: int = BISECTION_STEPS, increasing: bool | None = None):
    """Midpoint of the bracket after ``steps`` halvings of ``[lo, hi]`` on the sign of ``residual``.

    With ``increasing`` unknown (None), ``residual`` must change sign on the bracket and the
    half whose end keeps the sign of ``residual(lo)`` is dropped. With a known direction
    (``True``: increasing in x, ``False``: decreasing), a bracket that holds no root shrinks
    to the end nearer the root (a minimum at the edge of its domain). Fixed step count, so
    it jits and vmaps.
    """
    dtype = jnp.result_type(lo, hi, float)
    lo, hi = jnp.asarray(lo, dtype), jnp.asarray(hi, dtype)
    if increasing is None:
        sign_lo = jnp.sign(residual(lo))
        root_above = lambda r: jnp.sign(r) == sign_lo  # noqa: E731
    else:
        root_above = (lambda r: r < 0.0) if increasing else (lambda r: r > 0.0)  # noqa: E731

    def halve(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        up = root_above(residual(mid))
        return jnp.where(up, mid, a), jnp.where(up, b, mid)

    a, b = jax.lax.fori_loop(0, steps, halve, (lo, hi))
    return 0.5 * (a + b)


def implicit_root(residual: Callable, bracket: Callable, steps: int = BISECTION_STEPS, increasing: bool | None = None):
    """A solver ``x = solve(*theta)`` of ``residual(x, *theta) = 0``, differentiable in ``theta``.

    The value comes from :func:`bisect` on ``bracket(*theta) -> (lo, hi)``; the derivative
    from the implicit function theorem, ``dx = -(dF/dtheta . dtheta) / (dF/dx)``, never by
    differentiating the loop. With a known direction (``increasing``), a slope of the other
    sign at the answer (a root pinned at the edge of its domain) gives derivative 0 instead
    of a huge number; a zero slope always does. ``theta`` may hold pytrees (records) of floats.
    """

    @jax.custom_jvp
    def solve(*theta):
        lo, hi = bracket(*theta)
        return bisect(lambda x: residual(x, *theta), lo, hi, steps, increasing)

    @solve.defjvp
    def _solve_jvp(primals, tangents):
        x = solve(*primals)
        _, f_x = jax.jvp(lambda x_: residual(x_, *primals), (x,), (jnp.ones_like(x),))
        _, f_theta = jax.jvp(lambda *th: residual(x, *th), primals, tangents)
        ok = f_x != 0.0 if increasing is None else (f_x > 0.0 if increasing else f_x < 0.0)
        return x, -f_theta / jnp.where(ok, f_x, jnp.inf)

    return solve
