"""Sensitivities, regimes, uncertainty and inverse design of the serving model.

Everything here is pure JAX on top of :func:`workbook.serving.performance`:

* **Elasticities** ``e_x = d log y / d log x = (x / y) dy/dx`` of an output ``y`` (tokens/s
  per chip, TTFT, TPOT, USD per million tokens) to every field ``x`` of the chip and the
  workload, by ``jax.grad``; a 1 % rise in ``x`` moves ``y`` by about ``e_x`` %. They come
  back as records of the input's type (a chip's elasticities are a :class:`Chip`).
* **Regime map**: over a (batch B, context T) grid, which resource binds the decode step
  (``serving.RESOURCES``) and the ratio ``e_bandwidth / e_compute`` of tokens/s per chip.
* **Critical batch** per chip and precision: ``B* = peak * (bits/8) / (2 BW)``
  (:func:`workbook.roofline.critical_batch_size`).
* **Uncertainty**: Monte Carlo over the catalog's low/high ranges (log-uniform) and over an
  efficiency range, with an explicit ``jax.random`` key; and a tornado (one input at a time
  at its low and its high).
* **Inverse design**: the value of one chip field that makes chip X match chip Y's output,
  by bisection in log space with a fixed iteration count (it jits), differentiable through
  ``jax.lax.custom_root`` (implicit function theorem).

Compiled functions are module-level ``jax.jit`` objects, so widgets re-evaluate in well
under a millisecond once warm.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog, roofline, serving
from workbook.errors import InputError
from workbook.specs import PRECISIONS, Chip, Efficiency, Model, Workload, as_arrays, stack, workload

# Outputs whose elasticities are reported, in this order.
METRICS = ("tokens_per_s_per_chip", "ttft", "tpot", "usd_per_million_tokens")
METRIC_LABELS = {
    "tokens_per_s_per_chip": "output tokens/s per chip",
    "ttft": "time to first token",
    "tpot": "time per output token",
    "usd_per_million_tokens": "USD per million output tokens",
}
PEAK_FIELDS = ("peak_flops_bf16", "peak_flops_fp8", "peak_flops_fp4", "peak_ops_int8")
# Efficiency fields sampled in the Monte Carlo and swept in the tornado.
EFFICIENCY_FIELDS = ("compute_prefill", "compute_decode", "memory", "interconnect")
# Relative half-width of the efficiency range: factor in [c*(1-s), min(c*(1+s), 1)].
# Estimate: calibration errors of 15-30 % per family (see workbook.calibration).
EFFICIENCY_SPREAD = 0.25
BISECTION_STEPS = 60  # halvings of a 1e6-wide log bracket: relative precision ~1e-17, float32-limited


def calibrated_efficiency(chip_id: str) -> tuple[Efficiency, bool]:
    """``(calibration.efficiency(chip_id), True)``, or ``(Efficiency(), False)`` when the
    shipped calibration file is missing (the bare roofline)."""
    from workbook import calibration

    try:
        return calibration.efficiency(chip_id), True
    except FileNotFoundError:
        return Efficiency(), False


# ---------------------------------------------------------------- elasticities


def elasticities(fn, *records):
    """``d log fn / d log x`` for every field ``x`` of every record, by ``jax.grad``.

    Parameters
    ----------
    fn : callable(*records) -> positive scalar
    records : NamedTuple pytrees of floats (Chip, Model, Workload, Efficiency, ...)

    Returns
    -------
    tuple of records, one per input and of the same type: ``x * d log fn / dx``.
    A field that is 0 has elasticity 0.
    """
    records = tuple(as_arrays(r) for r in records)
    grads = jax.grad(lambda *rs: jnp.log(fn(*rs)), argnums=tuple(range(len(records))))(*records)
    return tuple(jax.tree.map(lambda g, x: g * x, g_r, r) for g_r, r in zip(grads, records))


def _log_metrics(chip, m, w, eff):
    p = serving.performance(chip, m, w, eff)
    return jnp.log(jnp.stack([getattr(p, k) for k in METRICS])), p


def _serving_elasticities(chip, m, w, eff):
    """``(Chip, Workload, Performance)``: elasticities of each metric (arrays of shape
    ``(len(METRICS),)``) and the performance they were taken at."""
    jac, perf = jax.jacrev(_log_metrics, argnums=(0, 2), has_aux=True)(chip, m, w, eff)
    chip_e, w_e = (jax.tree.map(lambda g, x: g * x, j, r) for j, r in zip(jac, (chip, w)))
    return chip_e, w_e, perf


serving_elasticities_jit = jax.jit(_serving_elasticities)


def serving_elasticities(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()):
    """Elasticities of every metric in ``METRICS`` to every chip and workload field.

    Returns ``(chip_e, workload_e, performance)``: a :class:`Chip` and a :class:`Workload`
    whose fields are arrays of shape ``(4,)`` in the order of ``METRICS``, and the
    :class:`~workbook.serving.Performance` at that point.
    """
    return serving_elasticities_jit(*(as_arrays(r) for r in (chip, m, w, eff)))


def elasticity_table(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()) -> list[dict]:
    """Plain rows ``{record, field, metric, elasticity}`` for display (floats)."""
    chip_e, w_e, _ = serving_elasticities(chip, m, w, eff)
    rows = []
    for name, rec in (("chip", chip_e), ("workload", w_e)):
        for f in rec._fields:
            vals = np.asarray(getattr(rec, f), dtype=float)
            for k, metric in enumerate(METRICS):
                rows.append({"record": name, "field": f, "metric": metric, "elasticity": float(vals[k])})
    return rows


def _with_grid_point(w: Workload, batch, context):
    return w._replace(batch=batch, input_tokens=context)


def _grid_elasticities(chip, m, w, eff, batches, contexts):
    def one(b, t):
        return _serving_elasticities(chip, m, _with_grid_point(w, b, t), eff)

    return jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None))(batches, contexts)


grid_elasticities_jit = jax.jit(_grid_elasticities)


def grid_elasticities(chip, m, w, eff, batches, contexts):
    """Elasticities over a (batch, context) grid: ``(chip_e, workload_e, performance)`` with
    fields of shape ``(nB, nT, len(METRICS))`` (performance: ``(nB, nT)``).

    ``context`` is the prompt length ``input_tokens``; the rest of ``w`` is kept.
    """
    b = jnp.asarray(batches, jnp.float32)
    t = jnp.asarray(contexts, jnp.float32)
    return grid_elasticities_jit(*(as_arrays(r) for r in (chip, m, w, eff)), b, t)


performance_jit = jax.jit(serving.performance)


def performance(chip: Chip, m: Model, w: Workload, eff: Efficiency = Efficiency()):
    """:func:`workbook.serving.performance` through one module-level compiled function."""
    return performance_jit(*(as_arrays(r) for r in (chip, m, w, eff)))


# ---------------------------------------------------------------- across chips


def _compare(chips, m, w, effs, chips_per_replica):
    def one(chip, eff):
        auto = jnp.maximum(serving.min_chips(chip, m, w), 1.0)
        n = jnp.where(chips_per_replica > 0, chips_per_replica, auto)
        return serving.performance(chip, m, w._replace(chips=n), eff), n

    return jax.vmap(one)(chips, effs)


compare_jit = jax.jit(_compare)


def compare_chips(chip_ids, m: Model, w: Workload, effs=None, chips_per_replica: float = 0.0, prices=None) -> dict:
    """Serving figures of ``m`` on every chip in ``chip_ids`` (one vmapped, compiled call).

    ``chips_per_replica = 0`` picks, per chip, the fewest chips whose memory holds the
    workload (:func:`workbook.serving.min_chips`); ``effs`` is a list of
    :class:`Efficiency` (default: calibrated per chip); ``prices`` overrides USD per
    chip-hour ({chip_id: price}). Returns ``{"chip_id": [...], "chips": array, **Performance
    fields as numpy arrays}``.
    """
    chip_ids = list(chip_ids)
    specs = [catalog.chip(c) for c in chip_ids]
    if prices:
        specs = [s._replace(price=float(prices.get(c, s.price))) for c, s in zip(chip_ids, specs)]
    if effs is None:
        effs = [calibrated_efficiency(c)[0] for c in chip_ids]
    perf, n = compare_jit(stack(specs), as_arrays(m), as_arrays(w), stack(effs), jnp.float32(chips_per_replica))
    out = {"chip_id": chip_ids, "chips": np.asarray(n, float)}
    out.update({k: np.asarray(v, float) for k, v in perf._asdict().items()})
    return out


# ---------------------------------------------------------------- regimes


def _compute_elasticity(chip_e):
    return sum(getattr(chip_e, f) for f in PEAK_FIELDS)


def regime_map(chip: Chip, m: Model, w: Workload, eff: Efficiency, batches, contexts) -> dict:
    """Which resource binds over a (batch, context) grid, and how much each one matters.

    Returns a dict of ``(nB, nT)`` numpy arrays: ``bound`` (index into
    ``serving.RESOURCES``, of the decode step), ``e_bandwidth`` and ``e_compute``
    (elasticities of tokens/s per chip to memory bandwidth and to peak compute),
    ``ratio = e_bandwidth / e_compute``, ``fits`` and ``tokens_per_s_per_chip``; plus the
    ``batch`` and ``context`` axes.
    """
    b = jnp.asarray(batches, jnp.float32)
    t = jnp.asarray(contexts, jnp.float32)
    chip_e, _, perf = grid_elasticities_jit(*(as_arrays(r) for r in (chip, m, w, eff)), b, t)
    k = METRICS.index("tokens_per_s_per_chip")
    e_bw, e_c = np.asarray(chip_e.memory_bandwidth[..., k], float), np.asarray(_compute_elasticity(chip_e)[..., k], float)
    bound, fits, tps = perf.bound, perf.fits, perf.tokens_per_s_per_chip
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = e_bw / e_c
    return {
        "batch": np.asarray(b, float), "context": np.asarray(t, float),
        "bound": np.asarray(bound).astype(int), "e_bandwidth": e_bw, "e_compute": e_c, "ratio": ratio,
        "fits": np.asarray(fits) > 0.5, "tokens_per_s_per_chip": np.asarray(tps, float),
    }


def critical_batch(chip: Chip, precision: str = "bf16") -> float:
    """Batch (tokens) at which a weight-streaming decode matmul turns compute-bound.

    ``B* = peak(precision) * (weight_bits/8) / (2 * BW)`` (scaling book): TPU v5e in bf16
    1.97e14 / 8.2e11 = 240, H100 989e12 / 3.35e12 = 295.
    """
    w = workload(precision)
    peak = serving.peak_flops(as_arrays(chip), as_arrays(w))
    return float(roofline.critical_batch_size(peak, chip.memory_bandwidth, w.weight_bits))


def critical_batch_table(chip_ids=None, precisions=("bf16", "fp8", "fp4", "int4")) -> list[dict]:
    """Rows ``{chip_id, precision, critical_batch}`` for every chip (default: the catalog)."""
    rows = []
    for cid in chip_ids or catalog.chip_ids():
        c = catalog.chip(cid)
        for p in precisions:
            rows.append({"chip_id": cid, "precision": p, "critical_batch": critical_batch(c, p)})
    return rows


# ---------------------------------------------------------------- uncertainty


def chip_ranges(chip_id: str) -> tuple[Chip, Chip, Chip]:
    """``(low, value, high)`` chips of the catalog; fields with no range have low = high."""
    return catalog.chip(chip_id, "low"), catalog.chip(chip_id), catalog.chip(chip_id, "high")


def efficiency_ranges(eff: Efficiency, spread: float = EFFICIENCY_SPREAD) -> tuple[Efficiency, Efficiency]:
    """``(low, high)`` efficiencies: each of ``EFFICIENCY_FIELDS`` times ``1 -/+ spread``, capped at 1."""
    lo = eff._replace(**{f: getattr(eff, f) * (1.0 - spread) for f in EFFICIENCY_FIELDS})
    hi = eff._replace(**{f: min(getattr(eff, f) * (1.0 + spread), 1.0) for f in EFFICIENCY_FIELDS})
    return lo, hi


def _log_uniform(key, lo, hi, n):
    """``n`` samples of each field, log-uniform in ``[lo, hi]``; fixed where ``lo == hi``."""
    leaves_lo, treedef = jax.tree.flatten(lo)
    leaves_hi = jax.tree.leaves(hi)
    keys = jax.random.split(key, len(leaves_lo))
    out = []
    for k, a, b in zip(keys, leaves_lo, leaves_hi):
        a, b = jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)
        u = jax.random.uniform(k, (n,))
        ranged = (b > a) & (a > 0)
        la, lb = jnp.log(jnp.where(ranged, a, 1.0)), jnp.log(jnp.where(ranged, b, 1.0))
        out.append(jnp.where(ranged, jnp.exp(la + u * (lb - la)), jnp.broadcast_to(b, (n,))))
    return jax.tree.unflatten(treedef, out)


_perf_over_chips_effs_jit = jax.jit(jax.vmap(serving.performance, in_axes=(0, None, None, 0)))
EVAL_CHUNK = 256  # samples are padded to a multiple of this, so every call reuses one compiled shape


def _perf_over_chips_effs(chips, m, w, effs):
    """Performance of stacked chips and efficiencies (padded to ``EVAL_CHUNK``), trimmed back."""
    n = jax.tree.leaves(chips)[0].shape[0]
    pad = -n % EVAL_CHUNK
    padded = [jax.tree.map(lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], pad)]), r) for r in (chips, effs)]
    p = _perf_over_chips_effs_jit(padded[0], m, w, padded[1])
    return jax.tree.map(lambda x: x[:n], p)


def monte_carlo(chip_id: str, m: Model, w: Workload, key, n: int = 2000, eff: Efficiency | None = None,
                spread: float = EFFICIENCY_SPREAD) -> dict:
    """Percentiles (5, 50, 95) of USD per million tokens and tokens/s per chip.

    Each uncertain chip field is drawn log-uniformly between the catalog's low and high
    (fields without a range stay at their value), each of ``EFFICIENCY_FIELDS`` log-uniformly
    in :func:`efficiency_ranges`; ``key`` is a ``jax.random.key`` (same key, same answer).
    ``eff`` defaults to the calibrated efficiency of the chip.
    """
    if n < 10:
        raise InputError(f"n: {n!r} is out of range; allowed >= 10 samples")
    eff = calibrated_efficiency(chip_id)[0] if eff is None else eff
    lo, _, hi = chip_ranges(chip_id)
    k_chip, k_eff = jax.random.split(key)
    chips = _log_uniform(k_chip, lo, hi, n)
    e_lo, e_hi = efficiency_ranges(eff, spread)
    effs = _log_uniform(k_eff, e_lo, e_hi, n)
    p = _perf_over_chips_effs(chips, as_arrays(m), as_arrays(w), effs)
    usd, tps = np.asarray(p.usd_per_million_tokens, float), np.asarray(p.tokens_per_s_per_chip, float)
    q = (5, 50, 95)
    return {
        "usd_per_million_tokens": dict(zip(q, np.percentile(usd, q))),
        "tokens_per_s_per_chip": dict(zip(q, np.percentile(tps, q))),
        "samples": {"usd_per_million_tokens": usd, "tokens_per_s_per_chip": tps},
        "n": n,
    }


def tornado(chip_id: str, m: Model, w: Workload, metric: str = "usd_per_million_tokens", eff: Efficiency | None = None,
            spread: float = EFFICIENCY_SPREAD) -> list[dict]:
    """One-at-a-time swings: each uncertain input at its low and its high, others central.

    Returns rows ``{input, kind, low, high, output_low, output_high, central, swing}``
    sorted by ``swing = |output_high - output_low|``, largest first.
    """
    if metric not in METRICS:
        raise InputError(f"metric: unknown value {metric!r}; allowed: {', '.join(METRICS)}")
    eff = calibrated_efficiency(chip_id)[0] if eff is None else eff
    lo, mid, hi = chip_ranges(chip_id)
    e_lo, e_hi = efficiency_ranges(eff, spread)
    cases = []  # (input, kind, low, high, chip_lo, chip_hi, eff_lo, eff_hi)
    for f in Chip._fields:
        a, b = getattr(lo, f), getattr(hi, f)
        if b > a:
            cases.append((f, "chip", a, b, mid._replace(**{f: a}), mid._replace(**{f: b}), eff, eff))
    for f in EFFICIENCY_FIELDS:
        a, b = getattr(e_lo, f), getattr(e_hi, f)
        if b > a:
            cases.append((f"efficiency.{f}", "efficiency", a, b, mid, mid, eff._replace(**{f: a}), eff._replace(**{f: b})))
    if not cases:
        return []
    chips = [c[4] for c in cases] + [c[5] for c in cases] + [mid]
    effs = [c[6] for c in cases] + [c[7] for c in cases] + [eff]
    p = _perf_over_chips_effs(stack(chips), as_arrays(m), as_arrays(w), stack(effs))
    out = np.asarray(getattr(p, metric), float)
    k = len(cases)
    rows = [
        {"input": c[0], "kind": c[1], "low": float(c[2]), "high": float(c[3]), "output_low": float(out[i]),
         "output_high": float(out[k + i]), "central": float(out[-1]), "swing": float(abs(out[k + i] - out[i]))}
        for i, c in enumerate(cases)
    ]
    return sorted(rows, key=lambda r: -r["swing"])


# ---------------------------------------------------------------- inverse design


def _onehot(names, name):
    return jnp.asarray([1.0 if n == name else 0.0 for n in names], jnp.float32)


def _metric_with_field(log_v, field_mask, chip, m, w, eff, metric_mask):
    """``metric`` (selected by a one-hot mask over ``METRICS``) with the chip field selected by
    ``field_mask`` (one-hot over ``Chip._fields``) set to ``exp(log_v)``. Masks, not names,
    so one compiled function serves every field and metric."""
    c = Chip(*[jnp.where(field_mask[i] > 0.5, jnp.exp(log_v), x) for i, x in enumerate(chip)])
    p = serving.performance(c, m, w, eff)
    return jnp.sum(jnp.stack([getattr(p, k) for k in METRICS]) * metric_mask), p


def _solve(field_mask, chip, m, w, eff, target, log_lo, log_hi, metric_mask):
    target = jnp.asarray(target, jnp.float32)
    log_lo, log_hi = jnp.asarray(log_lo, jnp.float32), jnp.asarray(log_hi, jnp.float32)

    def g(s):
        return jnp.log(_metric_with_field(s, field_mask, chip, m, w, eff, metric_mask)[0]) - jnp.log(target)

    def bisect(fun, _s0):
        sign_lo = jnp.sign(fun(log_lo))

        def body(_, ab):
            a, b = ab
            mid = 0.5 * (a + b)
            same = jnp.sign(fun(mid)) == sign_lo
            return jnp.where(same, mid, a), jnp.where(same, b, mid)

        a, b = jax.lax.fori_loop(0, BISECTION_STEPS, body, (log_lo, log_hi))
        return 0.5 * (a + b)

    def tangent_solve(lin, y):
        return y / lin(jnp.ones_like(y))

    s = jax.lax.custom_root(g, 0.5 * (log_lo + log_hi), bisect, tangent_solve)
    bracketed = jnp.sign(g(log_lo)) != jnp.sign(g(log_hi))
    return jnp.where(bracketed, jnp.exp(s), jnp.nan)


def solve_field_value(field: str, chip: Chip, m: Model, w: Workload, eff: Efficiency, target, log_lo, log_hi,
                      metric: str = "usd_per_million_tokens"):
    """Value of ``chip.<field>`` at which ``metric`` equals ``target`` (pure JAX, jittable).

    Bisection on ``g(s) = log metric(field = e^s) - log target`` over ``[log_lo, log_hi]``
    with ``BISECTION_STEPS`` halvings; ``jax.lax.custom_root`` gives its derivative by the
    implicit function theorem (``ds/dp = -(dg/dp) / (dg/ds)``), so it is differentiable in
    every other input and in ``target``. ``nan`` if the bracket holds no root.
    """
    return _solve(_onehot(Chip._fields, field), chip, m, w, eff, target, log_lo, log_hi, _onehot(METRICS, metric))


def _match(field_mask, metric_mask, cx, cy, m, w, ex, ey, log_lo, log_hi):
    """Target, the metric and the binding resource at both bracket ends, and the root."""
    p_y = serving.performance(cy, m, w, ey)
    target = jnp.sum(jnp.stack([getattr(p_y, k) for k in METRICS]) * metric_mask)
    ends = jnp.stack([log_lo, log_hi])
    at_ends, perf_ends = jax.vmap(lambda s: _metric_with_field(s, field_mask, cx, m, w, ex, metric_mask))(ends)
    value = _solve(field_mask, cx, m, w, ex, target, log_lo, log_hi, metric_mask)
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
                names=("chip X", "chip Y")) -> dict:
    """What value of ``field`` would ``chip_x`` need to match ``chip_y``'s ``metric`` on ``w``?

    Returns ``{field, value, current, ratio (value/current), target, bracket}``. Raises
    :class:`InputError` when no value in ``bracket`` (default :func:`field_bracket`)
    reaches the target, naming the resource that binds at the favourable end.
    """
    if field not in Chip._fields:
        raise InputError(f"field: unknown value {field!r}; allowed: {', '.join(Chip._fields)}")
    if metric not in METRICS:
        raise InputError(f"metric: unknown value {metric!r}; allowed: {', '.join(METRICS)}")
    eff_y = eff_x if eff_y is None else eff_y
    cx, cy, mm, ww, ex, ey = (as_arrays(r) for r in (chip_x, chip_y, m, w, eff_x, eff_y))
    current = float(getattr(chip_x, field))
    lo, hi = bracket or field_bracket(field, current if current > 0 else 1.0)
    log_lo, log_hi = jnp.log(jnp.float32(lo)), jnp.log(jnp.float32(hi))
    target, at_ends, bound_ends, value = _match_jit(_onehot(Chip._fields, field), _onehot(METRICS, metric), cx, cy, mm, ww, ex, ey, log_lo, log_hi)
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


__all__ = [
    "METRICS", "PEAK_FIELDS", "EFFICIENCY_FIELDS", "EFFICIENCY_SPREAD", "PRECISIONS",
    "calibrated_efficiency", "compare_chips", "elasticities", "serving_elasticities", "elasticity_table", "grid_elasticities",
    "regime_map", "critical_batch", "critical_batch_table", "chip_ranges", "efficiency_ranges",
    "monte_carlo", "tornado", "solve_field_value", "field_bracket", "match_value", "match_chip",
]
