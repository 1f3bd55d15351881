"""Uncertainty: Monte Carlo over the catalog's spec ranges and the calibration's posterior, and a tornado.

Monte Carlo draws each uncertain chip spec log-uniformly between its low and high, and the
efficiencies from the calibration's Laplace posterior
(:func:`workbook.calibration.posterior.efficiency_samples`: a fitted family's factors with
their spreads and correlations, a family with no measured rows from its priors), with an
explicit ``jax.random`` key (same key, same answer). The tornado moves one input at a time to
its low and its high: a spec to its catalog range, an efficiency to its 95 % posterior
interval. With an explicit ``eff`` (or no usable calibration) the efficiencies instead span
``eff * (1 -/+ spread)``, a labelled assumption.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.analysis.elasticity import METRICS
from workbook.calibration import calibrated_efficiency, calibration, family
from workbook.calibration.posterior import efficiency_samples
from workbook.errors import require, require_choice
from workbook.model import serving
from workbook.specs import Chip, Efficiency, Model, Workload, as_arrays, stack

# Efficiency fields swept in the tornado (the Monte Carlo draws every fitted factor).
EFFICIENCY_FIELDS = ("compute_prefill", "compute_decode", "memory", "interconnect", "kernel_time",
                     "step_overhead", "collective_latency")
# Relative half-width of an explicit efficiency's range (no posterior): factor in
# [c*(1-s), min(c*(1+s), 1)]. Assumption: calibration errors of 15-30 % per family.
EFFICIENCY_SPREAD = 0.25
POSTERIOR_DRAWS = 4000  # samples behind a 95 % posterior interval in the tornado
# Largest Monte Carlo a laptop evaluates in seconds: 1e6 samples x 14 Performance fields x
# 4 bytes is ~60 MB of outputs plus the sampled inputs.
MAX_SAMPLES = 1_000_000


def chip_ranges(chip_id: str) -> tuple[Chip, Chip, Chip]:
    """``(low, value, high)`` chips of the catalog; fields with no range have low = high."""
    return catalog.chip(chip_id, "low"), catalog.chip(chip_id), catalog.chip(chip_id, "high")


_FRACTIONS = ("compute_prefill", "compute_decode", "memory", "interconnect")  # capped at 1 in a spread


def efficiency_ranges(eff: Efficiency, spread: float = EFFICIENCY_SPREAD) -> tuple[Efficiency, Efficiency]:
    """``(low, high)`` efficiencies: each fraction of peak times ``1 -/+ spread``, capped at 1
    (an explicit efficiency with no posterior; the time terms stay fixed)."""
    lo = eff._replace(**{f: getattr(eff, f) * (1.0 - spread) for f in _FRACTIONS})
    hi = eff._replace(**{f: min(getattr(eff, f) * (1.0 + spread), 1.0) for f in _FRACTIONS})
    return lo, hi


def posterior_interval(chip_id: str, draws: int = POSTERIOR_DRAWS) -> tuple[Efficiency, Efficiency] | None:
    """``(low, high)``: the 2.5th and 97.5th percentiles of each efficiency of the chip's
    family under the calibration's posterior; ``None`` without a usable calibration."""
    cal = calibration()
    if cal is None or "posterior" not in cal:
        return None
    s = efficiency_samples(cal, family(chip_id), draws, seed=0)
    pick = lambda q: Efficiency(*(float(np.percentile(np.asarray(x), q)) for x in s))  # noqa: E731
    return pick(2.5), pick(97.5)


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
    (fields without a range stay at their value); the efficiencies from the calibration's
    posterior for the chip's family (``"efficiency_source": "posterior"``), or, with an
    explicit ``eff`` or no usable calibration, log-uniformly in :func:`efficiency_ranges`
    (``"spread"``). ``key`` is a ``jax.random.key`` (same key, same answer).
    """
    n = int(require("n", n, low=10, high=MAX_SAMPLES, integer=True, unit="samples"))
    spread = require("spread", spread, low=0, high=1, high_open=True)
    cal = calibration() if eff is None else None
    lo, _, hi = chip_ranges(chip_id)
    k_chip, k_eff = jax.random.split(key)
    chips = _log_uniform(k_chip, lo, hi, n)
    if cal is not None and "posterior" in cal:
        seed = int(jax.random.randint(k_eff, (), 0, 2**31 - 1))
        effs, source = efficiency_samples(cal, family(chip_id), n, seed=seed), "posterior"
    else:
        eff = calibrated_efficiency(chip_id)[0] if eff is None else eff
        e_lo, e_hi = efficiency_ranges(eff, spread)
        effs, source = _log_uniform(k_eff, e_lo, e_hi, n), "spread"
    p = _perf_over_chips_effs(chips, as_arrays(m), as_arrays(w), effs)
    usd, tps = np.asarray(p.usd_per_million_tokens, float), np.asarray(p.tokens_per_s_per_chip, float)
    q = (5, 50, 95)
    return {
        "usd_per_million_tokens": dict(zip(q, np.percentile(usd, q))),
        "tokens_per_s_per_chip": dict(zip(q, np.percentile(tps, q))),
        "samples": {"usd_per_million_tokens": usd, "tokens_per_s_per_chip": tps},
        "n": n,
        "efficiency_source": source,
    }


def tornado(chip_id: str, m: Model, w: Workload, metric: str = "usd_per_million_tokens", eff: Efficiency | None = None,
            spread: float = EFFICIENCY_SPREAD) -> list[dict]:
    """One-at-a-time swings: each uncertain input at its low and its high, others central.

    Returns rows ``{input, kind, low, high, output_low, output_high, central, swing}``
    sorted by ``swing = |output_high - output_low|``, largest first. Efficiencies move to
    their 95 % posterior interval (:func:`posterior_interval`), or with an explicit ``eff``
    to :func:`efficiency_ranges`.
    """
    require_choice("metric", metric, METRICS)
    spread = require("spread", spread, low=0, high=1, high_open=True)
    interval = posterior_interval(chip_id) if eff is None else None
    eff = calibrated_efficiency(chip_id)[0] if eff is None else eff
    lo, mid, hi = chip_ranges(chip_id)
    e_lo, e_hi = interval if interval is not None else efficiency_ranges(eff, spread)
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
