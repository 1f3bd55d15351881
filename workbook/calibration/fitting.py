"""Fit the efficiency factors to measured results, and report the error honestly.

Parameters (few, physically meaningful), each inside a prior range from a published
microbenchmark (``PRIORS``): per chip family -- which is also its software stack -- the
achieved fraction of peak FLOP/s in prefill and in decode and of peak memory bandwidth, the
time per kernel launch and the per-step scheduling time; shared by all chips, the achieved
fraction of interconnect bandwidth, the collective-latency multiplier and the routed-expert
efficiency. Families are shrunk toward a shared value (an L2 penalty on their offsets), and
a chip whose family has no measurement uses the shared value; statically scheduled
runtimes (``STATIC_RUNTIME_FAMILIES``) launch no kernels.

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
import warnings
import zlib
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np

from workbook import catalog
from workbook.calibration import tuning
from workbook.calibration.measurements import Measured
from workbook.errors import InputError, require
from workbook.specs import Efficiency

FITTED = ("compute_prefill", "compute_decode", "memory", "kernel_time", "step_overhead")  # per family (runtime)
SHRINKAGE = 0.05  # L2 weight on family offsets (log-odds)
STEPS = 300
LEARNING_RATE = 0.08

# Every fitted factor lives inside a prior range from a published measurement; the fit moves
# it within the range (x = low + (high - low) * sigmoid(theta)) and never outside.
PRIORS: dict[str, tuple[float, float, str]] = {
    "compute_prefill": (0.3, 0.9, "dense GEMM / attention fraction of peak: FP8 GEMM 1,550 of 1,979 TFLOP/s on "
                        "H800 (DeepGEMM README, Apr 2025); FlashAttention-3 75 % of BF16 peak (Shah et al. 2024); "
                        "end-to-end serving lower"),
    "compute_decode": (0.3, 0.9, "as compute_prefill"),
    "memory": (0.5, 0.92, "achieved HBM bandwidth: ~90 % of peak in a STREAM-like copy on H100; serving kernels "
               "below it (Hazy Research, 'Look Ma, No Bubbles!', May 2025: vLLM/SGLang <= 50 % at batch 1 "
               "including launch gaps, which are modelled apart)"),
    "interconnect": (0.5, 1.07, "NCCL ring all-reduce bus bandwidth ~370 of 450 GB/s per direction on 8x H100 "
                     "NVLink4 (0.82); NVLS up to ~480 GB/s (1.07) (NVIDIA/nccl-tests issue #212, May 2024)"),
    "collective_latency": (0.5, 2.6, "multiplier on Erdil (2025)'s 6 us + 2 us (sqrt(G) - 1) per collective: "
                           "NCCL small-message all-reduce 8-25 us on H100 clusters (NVIDIA/nccl issues #1453, "
                           "#1244) against Erdil's 9.7 us at G = 8"),
    "moe": (0.3, 1.0, "estimate: grouped-GEMM efficiency of routed experts relative to dense matmuls"),
    "kernel_time": (0.5e-6, 6e-6, "s per kernel: ~1.3 us with CUDA graphs on H100 (Hazy Research, May 2025), "
                    "4-6 us per launch without graphs"),
    "step_overhead": (0.0, 2e-3, "s per decode step of scheduling and sampling outside the layers: several ms "
                      "in vLLM 0.5 (vLLM blog, Sep 2024: API server + scheduling 62 % of a step), ~0 with "
                      "overlapped schedulers (TensorRT-LLM, SGLang)"),
}
# Kernels one decoder layer launches after fusion: ~100 kernels for the 16 layers of
# Llama-3.2-1B, about 6 per layer (Hazy Research, May 2025).
KERNELS_PER_LAYER = 6.0
# Runtimes scheduled statically at compile time launch no kernels and run no host-side step
# loop: Groq's compiler schedules every cycle (Abts et al., ISCA 2020); Cerebras maps the
# model onto the wafer as dataflow. The Fractile scenario is assumed to work the same way.
STATIC_RUNTIME_FAMILIES = ("groq", "cerebras", "fractile")


def family(chip_id: str) -> str:
    """The calibration family of a chip (``chip_info.csv``)."""
    return catalog.chip_info(chip_id).get("family") or chip_id


def _bounded(name, theta):
    lo, hi, _ = PRIORS[name]
    return lo + (hi - lo) * jax.nn.sigmoid(theta)


def _efficiencies(params, fam_idx):
    """Per-row :class:`Efficiency` from the parameter pytree."""
    logits = params["shared"][None, :] + params["family"][fam_idx]
    n = fam_idx.shape[0]
    full = lambda x: jnp.full((n,), x, jnp.float32)  # noqa: E731
    return Efficiency(
        compute_prefill=_bounded("compute_prefill", logits[:, 0]), compute_decode=_bounded("compute_decode", logits[:, 1]),
        memory=_bounded("memory", logits[:, 2]),
        interconnect=full(_bounded("interconnect", params["interconnect"])),
        moe=full(_bounded("moe", params["moe"])),
        collective_latency=full(_bounded("collective_latency", params["latency"])),
        step_overhead=_bounded("step_overhead", logits[:, 4]),
        temperature=full(Efficiency().temperature),
        kernel_time=_bounded("kernel_time", logits[:, 3]),
        kernels_per_layer=full(KERNELS_PER_LAYER),
        comm_overlap=full(Efficiency().comm_overlap),
    )


def _init(n_families: int):
    return {
        "shared": jnp.zeros(len(FITTED), jnp.float32),  # sigmoid(0): the middle of each prior range
        "family": jnp.zeros((n_families, len(FITTED)), jnp.float32),
        "interconnect": jnp.asarray(0.0, jnp.float32),
        "moe": jnp.asarray(0.0, jnp.float32),
        "latency": jnp.asarray(0.0, jnp.float32),
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
    def r4(x):
        return float(f"{float(x):.4g}")

    out = {
        "shared": {k: r4(_bounded(k, x)) for k, x in zip(FITTED, params["shared"])},
        "interconnect": r4(_bounded("interconnect", params["interconnect"])),
        "moe": r4(_bounded("moe", params["moe"])),
        "collective_latency": r4(_bounded("collective_latency", params["latency"])),
        "kernels_per_layer": KERNELS_PER_LAYER,
        "families": {},
    }
    for i, f in enumerate(families):
        out["families"][f] = {k: r4(_bounded(k, params["shared"][j] + params["family"][i, j])) for j, k in enumerate(FITTED)}
    return out


def efficiency_from_json(cal: dict, family_name: str | None) -> Efficiency:
    """The :class:`Efficiency` of a family (the shared factors for an unfitted family; no
    kernel launches or host step loop for a statically scheduled runtime)."""
    fr = cal["families"].get(family_name, cal["shared"])
    static = family_name in STATIC_RUNTIME_FAMILIES
    return Efficiency(
        compute_prefill=fr["compute_prefill"], compute_decode=fr["compute_decode"], memory=fr["memory"],
        interconnect=cal["interconnect"], moe=cal["moe"], collective_latency=cal.get("collective_latency", 1.0),
        step_overhead=0.0 if static else fr.get("step_overhead", 0.0),
        kernel_time=fr.get("kernel_time", 0.0),
        kernels_per_layer=0.0 if static else cal.get("kernels_per_layer", 0.0),
    )


#: The shipped calibration; ``workbook calibrate --out`` replaces it only with ``--force``.
CALIBRATION_FILE = resources.files("workbook.data").joinpath("calibration.json")
_CAL: dict | None = None
_CAL_PROBLEM: str | None = None
_CAL_LOADED = False


class CalibrationWarning(UserWarning):
    """The shipped ``calibration.json`` cannot be used: the bare roofline is used instead."""


_POSITIVE = ("compute_prefill", "compute_decode", "memory", "interconnect", "moe")  # fractions of peak: > 0


def _checked_calibration(text: str) -> dict:
    """The parsed calibration, or :class:`InputError` naming what is missing or out of range.

    Checks what :func:`efficiency_from_json` reads: the efficiencies of the shared factors
    and of every family must be built, every factor a finite number >= 0 (fractions of peak
    > 0), and every ``tail_factor`` in [1, 100]."""
    cal = json.loads(text)
    if not isinstance(cal, dict):
        raise InputError("not a JSON object")
    for key in ("shared", "families"):
        if not isinstance(cal.get(key), dict):
            raise InputError(f"no {key!r} object")
    for name in (None, *cal["families"]):
        where = "shared" if name is None else f"families.{name}"
        try:
            eff = efficiency_from_json(cal, name)
        except KeyError as err:
            raise InputError(f"no {err.args[0]!r} entry (for {where})") from None
        except (TypeError, AttributeError, ValueError) as err:
            raise InputError(f"{where}: {type(err).__name__}") from None
        for field, value in eff._asdict().items():
            require(f"{where}.{field}", value, low=0, low_open=field in _POSITIVE)
    tails = cal.get("tail_factor", {})
    if not isinstance(tails, dict):
        raise InputError("'tail_factor' is not an object")
    for k, v in tails.items():
        require(f"tail_factor.{k}", v, low=1, high=100)
    return cal


def _read_calibration(path) -> tuple[dict | None, str | None]:
    """``(calibration, None)``, or ``(None, why it cannot be used)``."""
    try:
        return _checked_calibration(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        why = "missing"
    except (OSError, UnicodeDecodeError) as err:
        why = f"unreadable ({getattr(err, 'strerror', None) or type(err).__name__})"
    except json.JSONDecodeError as err:
        why = "empty" if not err.doc.strip() else f"not valid JSON (truncated? {err.msg} at line {err.lineno})"
    except (InputError, RecursionError) as err:
        why = f"malformed ({' '.join(str(err).split())[:200]})"
    return None, (f"{path} is {why}; using the bare roofline (no calibrated efficiencies). Restore it "
                  "(git checkout workbook/data/calibration.json) or refit it: "
                  "workbook calibrate --out workbook/data/calibration.json --force")


def calibration() -> dict | None:
    """The shipped calibration (``workbook/data/calibration.json``), read once per process.

    ``None`` if the file is missing, empty, truncated or malformed (what an interrupted
    ``workbook calibrate`` could leave): a :class:`CalibrationWarning` says so once, and
    :func:`efficiency` and :func:`calibrated_efficiency` fall back to the bare roofline.
    :func:`calibration_problem` gives the reason.
    """
    global _CAL, _CAL_PROBLEM, _CAL_LOADED
    if not _CAL_LOADED:
        _CAL, _CAL_PROBLEM = _read_calibration(CALIBRATION_FILE)
        _CAL_LOADED = True
        if _CAL_PROBLEM:
            warnings.warn(_CAL_PROBLEM, CalibrationWarning, stacklevel=2)
    return _CAL


def calibration_problem() -> str | None:
    """Why the shipped calibration cannot be used (one line), or ``None`` if it can."""
    calibration()
    return _CAL_PROBLEM


def efficiency(chip_id: str) -> Efficiency:
    """Calibrated :class:`Efficiency` for a catalog chip (shared factors if its family has no
    data; the bare roofline ``Efficiency()`` if the shipped calibration cannot be used)."""
    cal = calibration()
    return Efficiency() if cal is None else efficiency_from_json(cal, family(chip_id))


def calibrated_efficiency(chip_id: str) -> tuple[Efficiency, bool]:
    """``(efficiency(chip_id), True)``, or ``(Efficiency(), False)`` when the shipped
    calibration file is missing or unusable (the bare roofline)."""
    if calibration() is None:
        return Efficiency(), False
    return efficiency(chip_id), True


CALIBRATION_STATUSES = ("calibrated", "prior only", "bare roofline")


def calibration_status(chip_id: str) -> str:
    """How a chip's efficiencies were obtained: ``"calibrated"`` (measured rows of its own
    family were fitted), ``"prior only"`` (no measured rows of its family: the shared factors,
    which sit inside the published prior ranges), or ``"bare roofline"`` (no usable
    calibration file)."""
    cal = calibration()
    if cal is None:
        return "bare roofline"
    return "calibrated" if family(chip_id) in cal["families"] else "prior only"


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
