"""Sensitivity fidelity: measured against predicted throughput ratios of chip pairs.

The direct test of "bandwidth versus compute": two chips measured in the same benchmark round,
on the same model, scenario and precision, that differ mainly in one resource. H100 -> H200
has the same compute and 1.43x the memory bandwidth (1.76x the capacity); MI300X -> MI325X the
same; H200 -> B200 more of everything; GB200 -> GB300 (Blackwell Ultra) 1.5x the FP4 compute
at the same bandwidth, the one pair that moves compute alone. If the model's sensitivities are
right, the ratio of predicted tokens/s per accelerator matches the measured ratio, whatever the
absolute error.

:func:`round_ratios` is the converse test: the same hardware in two MLPerf rounds, where only
the software changed, so the model predicts a ratio of 1 and the measured ratio is the drift
no spec-driven factor can follow.

``ratio = median(tokens/s per accelerator of chip b) / median(... of chip a)`` over the rows of
one group, measured and predicted alike (the same rows on both sides).
"""

from __future__ import annotations

import re
import statistics

import numpy as np

from workbook.calibration import fitting
from workbook.calibration.measurements import Measured
from workbook.calibration.tuning import TAIL_SCENARIOS

# (a, b, what differs): pairs whose ratio isolates a resource (catalog specs, datasheets; the
# GB300's doubled special-function-unit throughput for softmax exponentials: NVIDIA technical
# blog "Making Softmax More Efficient with NVIDIA Blackwell Ultra", developer.nvidia.com).
PAIRS: tuple[tuple[str, str, str], ...] = (
    ("nvidia_h100_sxm", "nvidia_h200_sxm", "same compute; 1.43x bandwidth, 1.76x capacity"),
    ("amd_mi300x", "amd_mi325x", "same compute; 1.13x bandwidth, 1.33x capacity"),
    ("nvidia_h200_sxm", "nvidia_b200_hgx", "2.3x BF16 compute, FP4 units; 1.67x bandwidth"),
    ("nvidia_b200_hgx", "nvidia_b300_hgx", "1.5x FP4 compute; same bandwidth; 1.5x capacity"),
    ("nvidia_b200_hgx", "nvidia_gb200", "same GPU in an NVL72 rack (scale-up domain 72)"),
    ("nvidia_gb200", "nvidia_gb300", "1.5x FP4 compute, 2x softmax exponentials; same bandwidth; 1.55x capacity"),
)
GOAL = 0.10  # the goal: predicted ratio within 10 % of the measured one


def pair_ratios(rows: list[Measured], predicted, pairs=PAIRS, min_rows: int = 1) -> list[dict]:
    """One record per (pair, benchmark round, model, scenario, precision) with rows of both chips:
    ``{a, b, differs, benchmark, model, scenario, precision, rows_a, rows_b, measured_ratio,
    predicted_ratio, error}`` with ``error = predicted / measured - 1``; sorted by pair then round."""
    groups: dict[tuple, dict[str, list[tuple[float, float]]]] = {}
    for r, p in zip(rows, predicted):
        if not np.isfinite(p):
            continue
        key = (r.benchmark, r.model_id, r.scenario, r.precision)
        groups.setdefault(key, {}).setdefault(r.chip_id, []).append((r.measured, float(p)))
    out = []
    for a, b, differs in pairs:
        for key, by_chip in sorted(groups.items()):
            if len(by_chip.get(a, ())) < min_rows or len(by_chip.get(b, ())) < min_rows:
                continue
            ma, pa = zip(*by_chip[a])
            mb, pb = zip(*by_chip[b])
            measured = statistics.median(mb) / statistics.median(ma)
            pred = statistics.median(pb) / statistics.median(pa)
            out.append({"a": a, "b": b, "differs": differs, "benchmark": key[0], "model": key[1], "scenario": key[2],
                        "precision": key[3], "rows_a": len(ma), "rows_b": len(mb),
                        "measured_ratio": round(measured, 3), "predicted_ratio": round(pred, 3),
                        "error": round(pred / measured - 1.0, 3)})
    return out


def pair_summary(records: list[dict]) -> dict:
    """``{"n", "median_abs_error", "within_10pct"}`` over pair records (error as a fraction)."""
    errs = [abs(r["error"]) for r in records]
    if not errs:
        return {"n": 0, "median_abs_error": None, "within_10pct": None}
    return {"n": len(errs), "median_abs_error": round(statistics.median(errs), 3),
            "within_10pct": round(sum(e <= GOAL for e in errs) / len(errs), 3)}


# ---------------------------------------------------------------- scenario ratios


def _system(r: Measured) -> tuple:
    """One measured system: round, chip, accelerator count, model, precision and source."""
    return (r.benchmark, r.chip_id, r.accelerators, r.model_id, r.precision, r.source)


def scenario_ratios(rows: list[Measured], predicted) -> list[dict]:
    """The tail-latency model tested on its own: for every system (round, chip, accelerator
    count, model, precision, source) measured both ``offline`` and under latency limits
    (``server`` / ``interactive``), the measured and predicted ratio of tokens/s per
    accelerator under the limits to offline. The offline model's error cancels in the ratio;
    what is left is the error of the queueing model's goodput.

    One record per (scenario, model): ``{scenario, model, systems, measured_ratio,
    predicted_ratio, median_abs_error}`` (medians over the systems; error as a fraction)."""
    by_system: dict[tuple, dict[str, tuple[float, float]]] = {}
    for r, p in zip(rows, predicted):
        if np.isfinite(p) and r.batch is None:
            by_system.setdefault(_system(r), {})[r.scenario] = (r.measured, float(p))
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for key, sc in by_system.items():
        if "offline" not in sc:
            continue
        (mo, po) = sc["offline"]
        for s in TAIL_SCENARIOS:
            if s in sc:
                groups.setdefault((s, key[3]), []).append((sc[s][0] / mo, sc[s][1] / po))
    out = []
    for (s, model), v in sorted(groups.items()):
        meas, pred = zip(*v)
        out.append({"scenario": s, "model": model, "systems": len(v),
                    "measured_ratio": round(statistics.median(meas), 3),
                    "predicted_ratio": round(statistics.median(pred), 3),
                    "median_abs_error": round(statistics.median(abs(p / m - 1.0) for m, p in v), 3)})
    return out


def matched_scenario_errors(rows: list[Measured], predicted) -> dict:
    """The tail-latency rows against the offline rows **of the same systems**: for ``server``
    and ``interactive``, the MdAPE (percent) of that scenario's rows and of the offline rows of
    the systems measured both ways (:func:`_system`), and the number of each. The comparison
    the whole-table figures blur: the offline rows also hold vendor tables with exact lengths and
    documented layouts that have no server counterpart.

    ``{scenario: {"systems", "rows", "mdape", "offline_rows", "offline_mdape"}}`` (``None``
    MdAPEs where nothing was predicted)."""
    by_system: dict[tuple, set] = {}
    for r in rows:
        by_system.setdefault(_system(r), set()).add(r.scenario)

    def mdape(sel):
        return fitting.error_summary([r.measured for r, _ in sel], [p for _, p in sel])["mdape"]

    out = {}
    for s in TAIL_SCENARIOS:
        both = [(r, float(p)) for r, p in zip(rows, predicted) if {"offline", s} <= by_system[_system(r)]]
        tail = [x for x in both if x[0].scenario == s]
        off = [x for x in both if x[0].scenario == "offline"]
        out[s] = {"systems": len({_system(r) for r, _ in tail}), "rows": len(tail), "mdape": mdape(tail),
                  "offline_rows": len(off), "offline_mdape": mdape(off)}
    return out


# ---------------------------------------------------------------- round-over-round drift


def mlperf_round(benchmark: str) -> tuple[int, ...] | None:
    """``(4, 1)`` for ``"MLPerf Inference v4.1"``; ``None`` for any other source."""
    m = re.fullmatch(r"MLPerf Inference v(\d+(?:\.\d+)*)", benchmark.strip())
    return tuple(int(x) for x in m.group(1).split(".")) if m else None


def round_ratios(rows: list[Measured], predicted) -> list[dict]:
    """Software drift: the same hardware measured in two MLPerf rounds. For every system shape
    (chip, accelerator count, model, scenario, precision) with rows in at least two rounds, the
    ratio of the newest round's median tokens/s per accelerator to the oldest round's, measured
    and predicted. The chips, the model and the dataset are the same, so the model -- which sees
    specs and workload lengths, not the runtime's release -- predicts a ratio of 1; the measured
    ratio is what software alone moved. It bounds how close any spec-driven fit can come to rows
    pooled over rounds.

    One record per system shape: ``{chip, accelerators, model, scenario, precision, old, new,
    rows_old, rows_new, measured_ratio, predicted_ratio}`` (``old`` / ``new``: round names)."""
    groups: dict[tuple, dict[tuple[int, ...], list[tuple[float, float]]]] = {}
    for r, p in zip(rows, predicted):
        version = mlperf_round(r.benchmark)
        if version is None or not np.isfinite(p):
            continue
        key = (r.chip_id, r.accelerators, r.model_id, r.scenario, r.precision)
        groups.setdefault(key, {}).setdefault(version, []).append((r.measured, float(p)))
    out = []
    for (chip, n, model, scenario, precision), by_round in sorted(groups.items()):
        if len(by_round) < 2:
            continue
        old, new = min(by_round), max(by_round)
        (mo, po), (mn, pn) = (tuple(map(statistics.median, zip(*by_round[v]))) for v in (old, new))
        out.append({"chip": chip, "accelerators": n, "model": model, "scenario": scenario, "precision": precision,
                    "old": "v" + ".".join(map(str, old)), "new": "v" + ".".join(map(str, new)),
                    "rows_old": len(by_round[old]), "rows_new": len(by_round[new]),
                    "measured_ratio": round(mn / mo, 3), "predicted_ratio": round(pn / po, 3)})
    return out


def round_summary(records: list[dict]) -> dict:
    """``{"n", "median_abs_drift", "max_ratio"}`` of :func:`round_ratios` records: the median of
    ``|measured_ratio - 1|`` (a fraction) and the largest measured ratio."""
    if not records:
        return {"n": 0, "median_abs_drift": None, "max_ratio": None}
    return {"n": len(records),
            "median_abs_drift": round(statistics.median(abs(r["measured_ratio"] - 1.0) for r in records), 3),
            "max_ratio": max(r["measured_ratio"] for r in records)}


def round_floor(rows: list[Measured]) -> dict:
    """The least error any model of specs and workload could reach on the rows of systems
    measured in more than one MLPerf round: each such row predicted by the median of its own
    system shape (chip, accelerator count, model, scenario, precision, lengths, batch and
    limits -- everything such a model sees), pooled over rounds and sources.

    ``{"rows", "mdape" (percent), "mean_ape" (percent)}``; zeros of ``rows`` give ``None``."""
    def shape(r: Measured):
        return (r.chip_id, r.accelerators, r.model_id, r.scenario, r.precision, r.input_tokens, r.output_tokens,
                r.batch, r.ttft_limit, r.tpot_limit)

    values: dict[tuple, list[float]] = {}
    rounds: dict[tuple, set] = {}
    for r in rows:
        values.setdefault(shape(r), []).append(r.measured)
        if mlperf_round(r.benchmark) is not None:
            rounds.setdefault(shape(r), set()).add(r.benchmark)
    ape = [abs(statistics.median(values[shape(r)]) / r.measured - 1.0) for r in rows if len(rounds.get(shape(r), ())) > 1]
    if not ape:
        return {"rows": 0, "mdape": None, "mean_ape": None}
    return {"rows": len(ape), "mdape": round(100 * statistics.median(ape), 1),
            "mean_ape": round(100 * sum(ape) / len(ape), 1)}
