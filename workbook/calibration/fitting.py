"""Fit the efficiency factors to measured results by penalised likelihood, and report the error honestly.

**Factors** (few, physically meaningful), each with a prior range from a published
microbenchmark (``PRIORS``):

* *hardware* factors, per chip family: the achieved fraction of peak FLOP/s in prefill and in
  decode and of peak memory bandwidth. A family's logit is the population's plus an offset
  ``~ N(0, FAMILY_LOGIT_SD^2)``; a family with no measured rows uses the population's value.
* *runtime* factors, per family and **never shared**: time per kernel launch, per-step
  scheduling time and the collective-latency multiplier. They belong to a software stack, so
  each family gets the prior range of its runtime (``RUNTIME_PRIORS``: TensorRT-LLM, which
  every NVIDIA row of the table ran, launches through CUDA graphs and overlaps its scheduler;
  the other runtimes get the wide generic range). A family whose rows do not identify them
  (large-batch rows only) keeps its prior: the posterior says so.
* *global* factors: the achieved fraction of interconnect bandwidth, the routed-expert
  efficiency and the roofline's overlap temperature (how far a step's math and memory
  traffic overlap: 0 = their max, 1 = their sum), which chips that differ in one resource
  identify (H100 vs H200).

**Fit** (maximum a posteriori). A factor ``x = lo + (hi - lo) sigmoid(theta)`` with a prior
uniform over ``[lo, hi]`` (a logistic density on ``theta``); residuals ``log(pred / measured)
~ N(0, sigma^2)`` with ``sigma`` fitted; Adam (written out below) on the negative log
posterior. **Uncertainty**: the Laplace approximation, ``theta ~ N(theta_MAP, H^-1)`` with
``H`` the Hessian of the negative log posterior (:mod:`workbook.calibration.posterior`).

Predictions come from :func:`workbook.calibration.tuning.best_throughput` for the rows of
``benchmarks_calibration.csv`` that are fitted, and from the queueing model's goodput
(:func:`workbook.calibration.tuning.best_goodput`) for the ``server`` / ``interactive`` rows,
which are not. The factors ship in ``workbook/data/calibration.json`` with
their priors, posterior spreads and bound flags, the errors they were fitted to, and the
out-of-sample errors of a grouped 5-fold cross-validation (folds by chip, model and round).

**Statically scheduled runtimes** (Groq, Cerebras; ``STATIC_RUNTIME_FAMILIES``) launch no
kernels and run no host loop, but a token still crosses every layer in sequence. Their time
per layer is set from one public per-user speed of a *small* model by the same vendor
(``STATIC_RUNTIME_ANCHORS``, sources there) and then predicts every other model -- the 70B
figures in ``tests/test_calibration.py`` are out-of-sample checks of that mechanism.
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

HARDWARE = ("compute_prefill", "compute_decode", "memory")  # per family, shrunk to the population
RUNTIME = ("kernel_time", "step_overhead", "collective_latency")  # per family, prior of its runtime
FITTED = HARDWARE + RUNTIME[:2]  # the per-family entries of calibration.json (with collective_latency)
GLOBAL = ("interconnect", "moe", "temperature", "dp_imbalance")
FAMILY_LOGIT_SD = 1.0  # assumption: a family's odds of a hardware factor within e^(+-1) of the population's (1 sd)
SHRINKAGE = 0.5 / FAMILY_LOGIT_SD**2  # weight of the squared family offsets in the negative log posterior
STEPS = 400
LEARNING_RATE = 0.08
BOUND_MARGIN = 0.02  # a factor within 2 % of either end of its prior range is flagged "at a bound"
# Why a factor sits at a bound of its prior, where one does ("family.factor" or "factor"):
# ``workbook calibrate`` prints it, and a test fails on a bound without a reason.
BOUND_REASONS: dict[str, str] = {
    "interconnect": "all-reduces in serving move 0.1-30 MB messages, where NCCL's bus bandwidth is well below its "
                    "large-message plateau (nccl-tests busbw curves); the prior's low end (0.5) is that plateau's "
                    "share on 8x H100, so the fit leaning on it says the rows want slower collectives than the "
                    "plateau -- a message-size-dependent bandwidth is the missing physics (estimate)",
}

# Every fitted factor has a prior range from a published measurement; the fit moves it
# within the range (x = low + (high - low) * sigmoid(theta)), with a prior uniform over it.
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
    "moe": (0.3, 1.0, "estimate: efficiency of routed-expert math relative to dense matmuls, counting routing, token "
            "permutation and expert load imbalance; the grouped GEMMs alone run at dense rates at equal shapes "
            "(DeepGEMM README, Apr 2025: contiguous grouped 1,297 vs dense 1,304 TFLOPS on H800), while fusing "
            "DeepSeek-R1's routing alone gave +7.4 % end to end (TensorRT-LLM tech blog 3)"),
    "temperature": (0.02, 1.0, "overlap of math and memory traffic in the smooth roofline: 0 = perfect overlap, the "
                    "max of the two (Williams, Waterman & Patterson, 'Roofline', CACM 2009), 1 = none, their sum; "
                    "the physical range itself, identified by chips that differ in one resource (H100 vs H200)"),
    "dp_imbalance": (1.0, 1.85, "max / mean tokens per data-parallel attention group, which every step waits for: "
                     "1/0.541 = 1.85 measured for DeepSeek-V3 on 8x GB200 with attention DP8 + EP8, ISL 803 / OSL "
                     "3,653, in-flight batching (25,664 of a 39,552 TPS speed of light); a balancing scheduler "
                     "recovered 1.33x of it (NVIDIA/TensorRT-LLM tech blog 10, 'ADP Balance Strategy', 2025); "
                     "1 = perfectly balanced groups"),
    "kernel_time": (0.5e-6, 6e-6, "s per kernel: ~1.3 us with CUDA graphs on H100 (Hazy Research, May 2025), "
                    "4-6 us per launch without graphs"),
    "step_overhead": (0.0, 2e-3, "s per decode step of scheduling and sampling outside the layers: several ms "
                      "in vLLM 0.5 (vLLM blog, Sep 2024: API server + scheduling 62 % of a step), ~0 with "
                      "overlapped schedulers (TensorRT-LLM, SGLang)"),
}
# Runtime factors by software stack: the generic ranges above unless a runtime's own
# documentation narrows them. Every NVIDIA row of the calibration table ran TensorRT-LLM.
RUNTIME_PRIORS: dict[str, dict[str, tuple[float, float, str]]] = {
    "tensorrt_llm": {
        "kernel_time": (0.5e-6, 2e-6, "s per kernel with CUDA graphs, which TensorRT-LLM captures for decode: "
                        "~1.3 us per kernel boundary on H100 (Hazy Research, 'Look Ma, No Bubbles!', May 2025)"),
        "step_overhead": (0.0, 3e-4, "s per step: TensorRT-LLM's overlap scheduler launches step n+1 before the "
                          "host work of step n (nvidia.github.io/TensorRT-LLM, 'Overlap Scheduler', 2025); what "
                          "is left is a sync of a few hundred us at most (estimate)"),
        "collective_latency": (0.3, 1.6, "multiplier on Erdil's 9.7 us at G = 8: TensorRT-LLM's one-shot and "
                               "MultiShot all-reduces on NVSwitch take two synchronisation steps whatever G, up to "
                               "3x faster than a ring (NVIDIA developer blog, '3x Faster AllReduce with NVSwitch and "
                               "TensorRT-LLM MultiShot', Nov 2024): ~3 us (0.3) up to NCCL's ~15 us (1.6)"),
    },
}
FAMILY_RUNTIME = {"nvidia_ampere": "tensorrt_llm", "nvidia_hopper": "tensorrt_llm",
                  "nvidia_blackwell": "tensorrt_llm", "nvidia_rubin": "tensorrt_llm"}
# Kernels one decoder layer launches after fusion: ~100 kernels for the 16 layers of
# Llama-3.2-1B, about 6 per layer (Hazy Research, May 2025).
KERNELS_PER_LAYER = 6.0
# Runtimes scheduled statically at compile time launch no kernels and run no host-side step
# loop: Groq's compiler schedules every cycle (Abts et al., ISCA 2020); Cerebras maps the
# model onto the wafer as dataflow. The Fractile scenario is assumed to work the same way.
STATIC_RUNTIME_FAMILIES = ("groq", "cerebras", "fractile")
# The time a statically scheduled runtime spends per layer (one token crossing it: the
# synchronisation of its matrix-vector products and reductions across the chip or wafer),
# set so the model reproduces one public per-user speed of a small model at batch 1:
# (chip, model, precision, input tokens, output tokens, tokens/s per user, source).
STATIC_RUNTIME_ANCHORS: dict[str, tuple] = {
    "groq": ("groq_lpu_v1", "llama-2-7b", "int8", 1024, 256, 750.0,
             "Groq, Llama 2 7B at 750 tokens/s per user (2,048-token context), as reported by TechPowerUp "
             "(news, 20 Feb 2024); int8: GroqChip has INT8 and FP16 units, and the 576-chip system Groq used for "
             "Llama 2 70B holds 132 GB of SRAM, less than 16-bit weights need"),
    "cerebras": ("cerebras_wse3", "llama-3.1-8b", "bf16", 1024, 256, 1800.0,
                 "Cerebras, 'Introducing Cerebras Inference' (blog, 27 Aug 2024): 1,800 tokens/s for Llama3.1 8B "
                 "with native 16-bit weights"),
}


def family(chip_id: str) -> str:
    """The calibration family of a chip (``chip_info.csv``)."""
    return catalog.chip_info(chip_id).get("family") or chip_id


def runtime_of(family_name: str | None) -> str:
    """The software stack whose runtime priors a family gets (``"generic"`` if none is known)."""
    return FAMILY_RUNTIME.get(family_name or "", "generic")


def prior(factor: str, family_name: str | None = None) -> tuple[float, float, str]:
    """``(low, high, source)`` of a factor's prior range, for a family's runtime where it has one."""
    return RUNTIME_PRIORS.get(runtime_of(family_name), {}).get(factor, PRIORS[factor])


def _within(lo, hi, theta):
    return lo + (hi - lo) * jax.nn.sigmoid(theta)


def _bounded(name, theta, family_name=None):
    lo, hi, _ = prior(name, family_name)
    return _within(lo, hi, theta)


def prior_median(factor: str, family_name: str | None = None) -> float:
    """The middle of a factor's prior range: its value where no data identify it."""
    lo, hi, _ = prior(factor, family_name)
    return 0.5 * (lo + hi)


def _runtime_ranges(families):
    """``(low, high)`` arrays ``(n_families, len(RUNTIME))`` of each family's runtime priors."""
    lo = np.array([[prior(k, f)[0] for k in RUNTIME] for f in families], np.float32)
    hi = np.array([[prior(k, f)[1] for k in RUNTIME] for f in families], np.float32)
    return jnp.asarray(lo), jnp.asarray(hi)


def _efficiencies(params, fam_idx, ranges):
    """Per-row :class:`Efficiency` from the parameter pytree."""
    hw = params["shared"][None, :] + params["family"][fam_idx]
    lo, hi = ranges
    run = _within(lo[fam_idx], hi[fam_idx], params["runtime"][fam_idx])
    n = fam_idx.shape[0]
    full = lambda x: jnp.full((n,), x, jnp.float32)  # noqa: E731
    return Efficiency(
        compute_prefill=_bounded("compute_prefill", hw[:, 0]), compute_decode=_bounded("compute_decode", hw[:, 1]),
        memory=_bounded("memory", hw[:, 2]),
        interconnect=full(_bounded("interconnect", params["interconnect"])),
        moe=full(_bounded("moe", params["moe"])),
        collective_latency=run[:, 2], step_overhead=run[:, 1],
        temperature=full(_bounded("temperature", params["temperature"])),
        kernel_time=run[:, 0],
        kernels_per_layer=full(KERNELS_PER_LAYER),
        comm_overlap=full(Efficiency().comm_overlap),
        dp_imbalance=full(_bounded("dp_imbalance", params["dp_imbalance"])),
    )


def _init(n_families: int):
    return {
        "shared": jnp.zeros(len(HARDWARE), jnp.float32),  # sigmoid(0): the middle of each prior range
        "family": jnp.zeros((n_families, len(HARDWARE)), jnp.float32),
        "runtime": jnp.zeros((n_families, len(RUNTIME)), jnp.float32),
        "interconnect": jnp.asarray(0.0, jnp.float32),
        "moe": jnp.asarray(0.0, jnp.float32),
        "temperature": jnp.asarray(0.0, jnp.float32),
        "dp_imbalance": jnp.asarray(0.0, jnp.float32),
        "log_sigma": jnp.asarray(np.log(0.3), jnp.float32),
    }


def _log_logistic_density(theta):
    """``log p(theta)`` for ``theta = logit((x - lo) / (hi - lo))`` with ``x`` uniform on ``[lo, hi]``."""
    return -jax.nn.softplus(theta) - jax.nn.softplus(-theta)


LENGTH_STEP = 0.1  # log step of the central difference in :func:`length_log_sd`


def length_log_sd(rows: list[Measured], families: list[str]) -> np.ndarray:
    """Per row, the sd of ``log(prediction)`` that its uncertain workload lengths alone imply:
    ``sqrt((g_in s_in)^2 + (g_out s_out)^2)``, with ``s`` the sd of the log length
    (``Measured.input_log_sd`` / ``output_log_sd``, from a dataset profile's range) and ``g =
    d log(pred) / d log(length)`` by a central difference of ``+-LENGTH_STEP``, at the middle
    of every prior range (so the weights never depend on a fit). 0 for rows whose lengths are
    given (the vendor tables) and for rows with no feasible prediction.

    The fit widens each row's error by it (errors in variables): a row whose length is an
    estimate over 100-1,000 tokens says less about the factors than a row with exact lengths,
    and no length is ever moved to improve the fit."""
    out = np.zeros(len(rows))
    idx = [i for i, r in enumerate(rows) if r.input_log_sd > 0 or r.output_log_sd > 0]
    if not idx:
        return out
    sub = [rows[i] for i in idx]
    fam_idx = jnp.asarray([families.index(family(r.chip_id)) for r in sub])
    effs = _efficiencies(_init(len(families)), fam_idx, _runtime_ranges(families))
    chips, models, work, dep, allowed, limits, given = tuning.stacked_inputs(sub)

    def log_pred(field, sign):
        w = work._replace(**{field: getattr(work, field) * np.float32(np.exp(sign * LENGTH_STEP))})
        p, _ = tuning.best_throughput_jit(chips, models, w, dep, allowed, limits, given, effs)
        return np.log(np.asarray(p, dtype=float))

    var = np.zeros(len(sub))
    for field, sd in (("input_tokens", [r.input_log_sd for r in sub]), ("output_tokens", [r.output_log_sd for r in sub])):
        if any(sd):
            g = (log_pred(field, 1.0) - log_pred(field, -1.0)) / (2.0 * LENGTH_STEP)
            var += (g * np.asarray(sd)) ** 2
    out[idx] = np.sqrt(np.where(np.isfinite(var), var, 0.0))
    return out


def negative_log_posterior_fn(rows: list[Measured], families: list[str]):
    """``nlp(params)``: the negative log posterior of the factors given ``rows`` (up to a constant).

    ``sum_i [r_i^2 / (2 v_i) + log(v_i) / 2]`` over the log residuals ``r_i = log(pred_i /
    measured_i)`` of rows with a feasible prediction, with ``v_i = sigma^2 + l_i^2``: the
    fitted scatter plus the spread the row's uncertain lengths imply (:func:`length_log_sd`;
    0 for exact lengths), ``+ sum offsets^2 / (2 FAMILY_LOGIT_SD^2)``, ``- sum log p(theta)``
    over the population, runtime and global logits (uniform priors on their ranges). A family
    in ``families`` without rows keeps its prior. Every row's family must be in ``families``."""
    fam_idx = jnp.asarray([families.index(family(r.chip_id)) for r in rows])
    ranges = _runtime_ranges(families)
    inputs = tuning.stacked_inputs(rows)
    target = jnp.log(jnp.asarray([r.measured for r in rows], jnp.float32))
    length_var = jnp.asarray(length_log_sd(rows, families) ** 2, jnp.float32)

    def nlp(params):
        pred, _ = tuning.best_throughput(*inputs, _efficiencies(params, fam_idx, ranges))
        ok = jnp.isfinite(pred)
        err = jnp.where(ok, jnp.log(jnp.where(ok, pred, 1.0)) - target, 0.0)
        v = jnp.exp(2.0 * params["log_sigma"]) + length_var
        like = jnp.sum(jnp.where(ok, err**2 / (2.0 * v) + 0.5 * jnp.log(v), 0.0))
        shrink = jnp.sum(params["family"] ** 2) / (2.0 * FAMILY_LOGIT_SD**2)
        logistic = sum(jnp.sum(_log_logistic_density(params[k])) for k in ("shared", "runtime", *GLOBAL))
        return like + shrink - logistic

    return nlp


def fit(rows: list[Measured], steps: int = STEPS, families: list[str] | None = None):
    """MAP parameter pytree and the family list, from measured ``rows`` (Adam on
    :func:`negative_log_posterior_fn`; a family in ``families`` without rows stays at its prior)."""
    families = families or sorted({family(r.chip_id) for r in rows})
    nlp = negative_log_posterior_fn(rows, families)
    scale = 1.0 / max(len(rows), 1)  # Adam is scale-free; this keeps the numbers readable

    @jax.jit
    def step(params, m, v, t):
        g = jax.grad(lambda p: scale * nlp(p))(params)
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


def _r4(x):
    return float(f"{float(x):.4g}")


def to_json(params, families) -> dict:
    """Readable fitted factors: ``{"shared": {...}, "families": {family: {...}}, ...}``.

    ``shared`` holds the population's hardware factors and the generic runtime priors'
    middles (what a family with no rows and no known runtime uses)."""
    out = {
        "shared": {k: _r4(_bounded(k, x)) for k, x in zip(HARDWARE, params["shared"])},
        "interconnect": _r4(_bounded("interconnect", params["interconnect"])),
        "moe": _r4(_bounded("moe", params["moe"])),
        "temperature": _r4(_bounded("temperature", params["temperature"])),
        "dp_imbalance": _r4(_bounded("dp_imbalance", params["dp_imbalance"])),
        "collective_latency": _r4(prior_median("collective_latency")),
        "kernels_per_layer": KERNELS_PER_LAYER,
        "sigma_log_error": _r4(jnp.exp(params["log_sigma"])),
        "families": {},
    }
    out["shared"].update({k: _r4(prior_median(k)) for k in RUNTIME[:2]})
    for i, f in enumerate(families):
        fr = {k: _r4(_bounded(k, params["shared"][j] + params["family"][i, j])) for j, k in enumerate(HARDWARE)}
        fr.update({k: _r4(_bounded(k, params["runtime"][i, j], f)) for j, k in enumerate(RUNTIME)})
        out["families"][f] = fr
    return out


def static_layer_time(cal: dict, family_name: str) -> float:
    """Seconds per layer of a statically scheduled runtime that reproduce its anchor
    (``STATIC_RUNTIME_ANCHORS``): the per-user speed at batch 1, on the fewest chips that hold
    the model, equals the published figure. Bisection on ``[0, 1 ms]``; ``0`` without an anchor."""
    from workbook.model import deployment, serving
    from workbook.numerics import bisect
    from workbook.specs import workload

    if family_name not in STATIC_RUNTIME_ANCHORS:
        return 0.0
    chip_id, model_id, precision, t_in, t_out, speed, _ = STATIC_RUNTIME_ANCHORS[family_name]
    chip, m = catalog.chip(chip_id), catalog.model(model_id)
    w = workload(precision, batch=1, input_tokens=t_in, output_tokens=t_out)
    base = _static_efficiency(cal, family_name, 0.0)
    g, _, d, _ = deployment.fewest_chips(chip, m, w, base)
    w = w._replace(chips=float(g))
    per_layer = base._replace(kernels_per_layer=1.0)

    @jax.jit
    def excess_speed(t_layer):  # decreasing in the time per layer
        return serving.performance(chip, m, w, per_layer._replace(kernel_time=t_layer), d).tokens_per_s_per_user - speed

    if float(excess_speed(0.0)) <= 0.0:  # the hardware alone is already slower than the anchor
        return 0.0
    return float(bisect(excess_speed, 0.0, 1e-3, increasing=False))


def _static_efficiency(cal: dict, family_name: str, layer_time: float) -> Efficiency:
    fr = cal["shared"]
    return Efficiency(
        compute_prefill=fr["compute_prefill"], compute_decode=fr["compute_decode"], memory=fr["memory"],
        interconnect=cal["interconnect"], moe=cal["moe"], collective_latency=cal.get("collective_latency", 1.0),
        temperature=cal.get("temperature", Efficiency().temperature), step_overhead=0.0, kernel_time=layer_time, kernels_per_layer=1.0 if layer_time > 0 else 0.0,
        dp_imbalance=cal.get("dp_imbalance", Efficiency().dp_imbalance),
    )


def efficiency_from_json(cal: dict, family_name: str | None) -> Efficiency:
    """The :class:`Efficiency` of a family: its fitted factors; for a family with no rows the
    population's hardware factors and the middles of its runtime's priors; for a statically
    scheduled runtime no kernel launches or host loop, one synchronisation per layer
    (``cal["static_layer_time"]``)."""
    if family_name in STATIC_RUNTIME_FAMILIES:
        layer = cal.get("static_layer_time", {}).get(family_name, {})
        return _static_efficiency(cal, family_name, layer.get("seconds", 0.0) if isinstance(layer, dict) else layer)
    fr = cal["families"].get(family_name)
    if fr is None:
        fr = {**cal["shared"], **{k: prior_median(k, family_name) for k in RUNTIME[:2]}}
        fr["collective_latency"] = prior_median("collective_latency", family_name)
    return Efficiency(
        compute_prefill=fr["compute_prefill"], compute_decode=fr["compute_decode"], memory=fr["memory"],
        interconnect=cal["interconnect"], moe=cal["moe"], temperature=cal.get("temperature", Efficiency().temperature),
        collective_latency=fr.get("collective_latency", cal.get("collective_latency", 1.0)),
        step_overhead=fr.get("step_overhead", 0.0), kernel_time=fr.get("kernel_time", 0.0),
        kernels_per_layer=cal.get("kernels_per_layer", 0.0),
        dp_imbalance=cal.get("dp_imbalance", Efficiency().dp_imbalance),  # absent from files before 2026-11-30
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
    > 0). Keys the model no longer reads (an older file's ``tail_factor``) are ignored."""
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
            require(f"{where}.{field}", value, low=1 if field == "dp_imbalance" else 0, low_open=field in _POSITIVE)
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
    """Predicted output tokens/s per accelerator for each row (nan: no feasible configuration).

    ``server`` / ``interactive`` rows tuned by their submitter (:func:`tuning.is_tail_row`) are
    predicted by the queueing model's goodput under their p99 limits
    (:func:`tuning.best_goodput`); the others by the best unloaded throughput
    (:func:`tuning.best_throughput`)."""
    pred = np.full(len(rows), np.nan)
    tail = np.array([tuning.is_tail_row(r) for r in rows], dtype=bool)
    for mask, best in ((~tail, tuning.best_throughput_jit), (tail, tuning.best_goodput_jit)):
        idx = np.flatnonzero(mask)
        if len(idx):
            sub = [rows[i] for i in idx]
            p, _ = best(*tuning.stacked_inputs(sub), row_efficiencies(sub, cal))
            pred[idx] = np.asarray(p, dtype=float)
    return pred


def fit_calibration(rows: list[Measured], steps: int = STEPS, families: list[str] | None = None,
                    posterior: bool = True) -> dict:
    """Fitted factors as a ``calibration.json`` dict, in three stages.

    1. Factors by MAP (:func:`fit`) on rows with no tail-latency limit (``offline``,
       ``latency`` and rows with a given batch): what the hardware and software sustain;
       with ``posterior``, the Laplace approximation (``"posterior"``) and the factor table
       with priors, 95 % intervals and bound flags (``"factors"``).
    2. ``static_layer_time`` of each statically scheduled runtime from its anchor.

    ``server`` / ``interactive`` rows are not fitted: :func:`predict` serves them through the
    queueing model (:mod:`workbook.model.latency`) with the factors of stage 1, so their error
    is an out-of-sample test of the tail-latency model.
    """
    from workbook.calibration import posterior as post

    through = [r for r in rows if not tuning.is_tail_row(r)]
    params, fams = fit(through or rows, steps=steps, families=families)
    cal = to_json(params, fams)
    trained = sorted({family(r.chip_id) for r in (through or rows)})
    cal["families"] = {k: v for k, v in cal["families"].items() if k in trained}
    if posterior:
        nlp = negative_log_posterior_fn(through or rows, fams)
        cal["posterior"] = post.posterior_block(params, fams, nlp)
        mean, cov = np.asarray(cal["posterior"]["map"]), np.asarray(cal["posterior"]["covariance"])
        cal["factors"] = post.factor_table(mean, cov, cal["posterior"]["names"], trained)
    cal["static_layer_time"] = {
        f: {"seconds": float(f"{static_layer_time(cal, f):.4g}"), "anchor": {
            "chip": a[0], "model": a[1], "precision": a[2], "tokens_per_s_per_user": a[5], "source": a[6]}}
        for f, a in STATIC_RUNTIME_ANCHORS.items()
    }
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
        cal = fit_calibration(train, steps=steps, families=all_families, posterior=False)
        pred[test_idx] = predict([rows[i] for i in test_idx], cal)
    return pred
