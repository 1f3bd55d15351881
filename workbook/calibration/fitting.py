"""Fit the efficiency factors to measured results, and report the error honestly.

Parameters (few, physically meaningful): per chip family, the achieved fraction of peak
FLOP/s in prefill and in decode and of peak memory bandwidth; shared by all chips, the
achieved fraction of interconnect bandwidth and a fixed per-step overhead. Families are
shrunk toward a shared value (an L2 penalty on their log-odds offsets), and a chip whose
family has no measurement uses the shared value.

Fit: gradient descent (Adam, written out below) on the mean squared log error of output
tokens/s per accelerator, predicted by :func:`workbook.calibration.tuning.best_throughput` for every
row of ``benchmarks_calibration.csv``. The fitted factors ship in
``workbook/data/calibration.json`` together with the errors it was fitted to and the
out-of-sample errors of a grouped 5-fold cross-validation (folds by system, so a system
is never predicted by factors fitted on its own rows).
"""

from __future__ import annotations

import json
import statistics
import zlib
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.calibration import tuning
from workbook.calibration.measurements import Measured
from workbook.specs import Efficiency

FITTED = ("compute_prefill", "compute_decode", "memory")
SHRINKAGE = 0.05  # L2 weight on family offsets (log-odds)
STEPS = 300
LEARNING_RATE = 0.08


def family(chip_id: str) -> str:
    """The calibration family of a chip (``chip_info.csv``)."""
    return catalog.chip_info(chip_id).get("family") or chip_id


def _efficiencies(params, fam_idx):
    """Per-row :class:`Efficiency` from the parameter pytree."""
    logits = params["shared"][None, :] + params["family"][fam_idx]
    frac = jax.nn.sigmoid(logits)
    n = fam_idx.shape[0]
    full = lambda x: jnp.full((n,), x, jnp.float32)  # noqa: E731
    return Efficiency(
        compute_prefill=frac[:, 0], compute_decode=frac[:, 1], memory=frac[:, 2],
        interconnect=full(jax.nn.sigmoid(params["interconnect"])),
        moe=full(jax.nn.sigmoid(params["moe"])),
        collective_latency=full(jnp.exp(params["latency"])),
        step_overhead=full(1e-3 * jax.nn.softplus(params["overhead"])),
        temperature=full(Efficiency().temperature),
    )


def _init(n_families: int):
    return {
        "shared": jnp.zeros(3, jnp.float32),  # sigmoid(0) = 0.5
        "family": jnp.zeros((n_families, 3), jnp.float32),
        "interconnect": jnp.asarray(0.0, jnp.float32),
        "moe": jnp.asarray(2.0, jnp.float32),
        "latency": jnp.asarray(0.0, jnp.float32),
        "overhead": jnp.asarray(-2.0, jnp.float32),
    }


def fit(rows: list[Measured], steps: int = STEPS, families: list[str] | None = None):
    """Fitted parameter pytree and the family list, from measured ``rows``."""
    families = families or sorted({family(r.chip_id) for r in rows})
    fam_idx = jnp.asarray([families.index(family(r.chip_id)) for r in rows])
    inputs = tuning.stacked_inputs(rows)
    target = jnp.log(jnp.asarray([r.measured for r in rows], jnp.float32))

    def loss(params):
        pred, _ = tuning.best_throughput(*inputs, _efficiencies(params, fam_idx))
        err = jnp.where(jnp.isfinite(pred), jnp.log(jnp.where(jnp.isfinite(pred), pred, 1.0)) - target, 0.0)
        return jnp.mean(err**2) + SHRINKAGE * jnp.mean(params["family"] ** 2)

    @jax.jit
    def step(params, m, v, t):
        g = jax.grad(loss)(params)
        m = jax.tree.map(lambda a, b: 0.9 * a + 0.1 * b, m, g)
        v = jax.tree.map(lambda a, b: 0.999 * a + 0.001 * b * b, v, g)
        upd = jax.tree.map(lambda a, b: LEARNING_RATE * (a / (1 - 0.9**t)) / (jnp.sqrt(b / (1 - 0.999**t)) + 1e-8), m, v)
        return jax.tree.map(lambda p, u: p - u, params, upd), m, v

    params = _init(len(families))
    m = jax.tree.map(jnp.zeros_like, params)
    v = jax.tree.map(jnp.zeros_like, params)
    for t in range(1, steps + 1):
        params, m, v = step(params, m, v, float(t))
    return params, families


def to_json(params, families) -> dict:
    """Readable fitted factors: ``{"shared": {...}, "families": {family: {...}}, ...}``."""
    shared = jax.nn.sigmoid(params["shared"])
    out = {
        "shared": {k: round(float(x), 4) for k, x in zip(FITTED, shared)},
        "interconnect": round(float(jax.nn.sigmoid(params["interconnect"])), 4),
        "moe": round(float(jax.nn.sigmoid(params["moe"])), 4),
        "collective_latency": round(float(jnp.exp(params["latency"])), 4),
        "step_overhead_s": float(f"{float(1e-3 * jax.nn.softplus(params['overhead'])):.4g}"),
        "families": {},
    }
    for i, f in enumerate(families):
        frac = jax.nn.sigmoid(params["shared"] + params["family"][i])
        out["families"][f] = {k: round(float(x), 4) for k, x in zip(FITTED, frac)}
    return out


def efficiency_from_json(cal: dict, family_name: str | None) -> Efficiency:
    """The :class:`Efficiency` of a family (the shared factors for an unfitted family)."""
    fr = cal["families"].get(family_name, cal["shared"])
    return Efficiency(
        compute_prefill=fr["compute_prefill"], compute_decode=fr["compute_decode"], memory=fr["memory"],
        interconnect=cal["interconnect"], moe=cal["moe"], collective_latency=cal.get("collective_latency", 1.0), step_overhead=cal["step_overhead_s"],
    )


_CAL: dict | None = None


def calibration() -> dict:
    """The shipped calibration (``workbook/data/calibration.json``)."""
    global _CAL
    if _CAL is None:
        _CAL = json.loads(resources.files("workbook.data").joinpath("calibration.json").read_text())
    return _CAL


def efficiency(chip_id: str) -> Efficiency:
    """Calibrated :class:`Efficiency` for a catalog chip (shared factors if its family has no data)."""
    return efficiency_from_json(calibration(), family(chip_id))


def calibrated_efficiency(chip_id: str) -> tuple[Efficiency, bool]:
    """``(efficiency(chip_id), True)``, or ``(Efficiency(), False)`` when the shipped
    calibration file is missing (the bare roofline)."""
    try:
        return efficiency(chip_id), True
    except FileNotFoundError:
        return Efficiency(), False


def row_efficiencies(rows: list[Measured], cal: dict | None) -> Efficiency:
    """Stacked per-row efficiencies: calibrated from ``cal``, or the bare roofline if ``None``."""
    effs = [efficiency_from_json(cal, family(r.chip_id)) if cal else Efficiency() for r in rows]
    return jax.tree.map(lambda *xs: jnp.asarray(xs, jnp.float32), *effs)


def predict(rows: list[Measured], cal: dict | None) -> np.ndarray:
    """Predicted output tokens/s per accelerator for each row (nan: no feasible configuration)."""
    if not rows:
        return np.zeros(0)
    tail = cal.get("tail_factor") if cal else None
    pred, _ = tuning.best_throughput_jit(*tuning.stacked_inputs(rows, tail), row_efficiencies(rows, cal))
    return np.asarray(pred, dtype=float)


TAIL_FACTORS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)
THROUGHPUT_SCENARIOS = ("offline", "latency")


def fit_calibration(rows: list[Measured], steps: int = STEPS, families: list[str] | None = None) -> dict:
    """Fitted factors as a ``calibration.json`` dict, in two stages.

    1. Efficiencies by gradient descent on rows with no tail-latency limit (``offline``,
       ``latency`` and rows with a given batch): what the hardware and software sustain.
    2. ``tail_factor``, the p99/mean ratio of TTFT and TPOT under MLPerf's Poisson arrivals,
       for ``server`` and for ``interactive`` separately, by a search over ``TAIL_FACTORS``
       minimising the median error of those rows (the feasibility mask has no useful gradient).
    """
    through = [r for r in rows if r.scenario in THROUGHPUT_SCENARIOS or r.batch is not None]
    params, fams = fit(through or rows, steps=steps, families=families)
    cal = to_json(params, fams)
    trained = {family(r.chip_id) for r in (through or rows)}
    cal["families"] = {k: v for k, v in cal["families"].items() if k in trained}
    cal["tail_factor"] = {}
    for scenario in ("server", "interactive"):
        tailed = [r for r in rows if r.scenario == scenario and r.batch is None]
        scores = []
        for k in TAIL_FACTORS:
            cal["tail_factor"][scenario] = k
            err = error_summary([r.measured for r in tailed], predict(tailed, cal))["mdape"] if tailed else None
            scores.append((err if err is not None else np.inf, k))
        cal["tail_factor"][scenario] = min(scores)[1]
    return cal


def error_summary(measured, predicted) -> dict:
    """``{"n", "mdape" (percent), "within_25pct" (fraction)}`` over finite predictions."""
    ape = [abs(p / m - 1.0) for m, p in zip(measured, predicted) if np.isfinite(p)]
    if not ape:
        return {"n": 0, "mdape": None, "within_25pct": None}
    return {
        "n": len(ape),
        "mdape": round(100.0 * statistics.median(ape), 2),
        "within_25pct": round(sum(a <= 0.25 for a in ape) / len(ape), 3),
    }


def grouped_errors(rows: list[Measured], predicted, key) -> dict:
    """:func:`error_summary` per group ``key(row)``."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(key(r), []).append(i)
    return {
        g: error_summary([rows[i].measured for i in idx], [predicted[i] for i in idx])
        for g, idx in sorted(groups.items())
    }


def system_fold(r: Measured, k: int) -> int:
    """Cross-validation fold of a row: by chip, model and benchmark round (a stable hash)."""
    return zlib.crc32(f"{r.chip_id}|{r.model_id}|{r.benchmark}".encode()) % k


def cross_validated_predictions(rows: list[Measured], k: int = 5, steps: int = STEPS) -> np.ndarray:
    """Out-of-sample predictions: each fold predicted by factors fitted on the other folds."""
    pred = np.full(len(rows), np.nan)
    folds = np.array([system_fold(r, k) for r in rows])
    all_families = sorted({family(r.chip_id) for r in rows})
    for f in range(k):
        train = [r for r, fo in zip(rows, folds) if fo != f]
        test_idx = np.flatnonzero(folds == f)
        if not len(test_idx) or not train:
            continue
        cal = fit_calibration(train, steps=steps, families=all_families)
        pred[test_idx] = predict([rows[i] for i in test_idx], cal)
    return pred
