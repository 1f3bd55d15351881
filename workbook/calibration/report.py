"""Validation and calibration reports: predict measured rows and summarise the error.

:func:`validate` is what ``workbook validate FILE.csv`` prints; :func:`build_calibration`
fits the shipped ``calibration.json`` (``workbook calibrate``) and records, next to the
fitted factors, the errors of the bare roofline, of the fitted model on its own data, and
of a grouped 5-fold cross-validation (out of sample).
"""

from __future__ import annotations

import collections
import csv
import datetime
import json
from pathlib import Path

import numpy as np


from workbook.calibration import fitting, measurements


def _summaries(rows, pred) -> dict:
    meas = [r.measured for r in rows]
    offline = [i for i, r in enumerate(rows) if r.scenario == "offline"]
    overall = fitting.error_summary(meas, pred)
    off = fitting.error_summary([meas[i] for i in offline], [pred[i] for i in offline])
    return {
        "mdape": overall["mdape"], "within_25pct": overall["within_25pct"],
        "offline_mdape": off["mdape"], "offline_within_25pct": off["within_25pct"],
        "by_source": fitting.grouped_errors(rows, pred, lambda r: r.benchmark or r.source),
        "by_chip": fitting.grouped_errors(rows, pred, lambda r: r.chip_id),
        "by_scenario": fitting.grouped_errors(rows, pred, lambda r: r.scenario),
    }


def validate(path, out: str | Path | None = None, calibrated: bool = True) -> dict:
    """Predict every modelable row of ``path`` and summarise the error.

    Returns ``rows``, ``predicted``, ``skipped``, ``skipped_reasons``, ``mdape`` (percent),
    ``within_25pct`` (fraction), ``offline_mdape``, ``offline_within_25pct``, breakdowns
    by source, chip and scenario, and the same figures for the bare roofline under
    ``roofline``. Rows that cannot be modelled are counted with their reason.
    """
    raw = measurements.read_rows(path)
    rows, skipped = measurements.scenarios(raw)
    cal = fitting.calibration() if calibrated else None
    pred = fitting.predict(rows, cal)
    pred_roof = fitting.predict(rows, None)
    reasons = collections.Counter(reason for _, reason in skipped)
    infeasible = [i for i, p in enumerate(pred) if not np.isfinite(p)]
    for _ in infeasible:
        reasons["no batch and parallelism fits in memory within the latency limits"] += 1
    predicted = len(rows) - len(infeasible)
    result = {
        "file": str(path),
        "calibration": "shipped calibration.json" if calibrated else "none (bare roofline)",
        "rows": len(raw),
        "predicted": predicted,
        "skipped": len(raw) - predicted,
        "skipped_reasons": dict(reasons.most_common()),
        **_summaries(rows, pred),
        "roofline": {k: v for k, v in _summaries(rows, pred_roof).items() if not k.startswith("by_")},
    }
    if out is not None:
        by_row = {r.row: (r, p) for r, p in zip(rows, pred)}
        why = dict(skipped)
        with open(out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["row", "row_id", "chip_id", "model_id", "precision_id", "scenario_kind", "measured", "predicted", "ape", "skip_reason"])
            for i, r0 in enumerate(raw):
                if i in by_row:
                    r, p = by_row[i]
                    ok = np.isfinite(p)
                    w.writerow([i, r.row_id, r.chip_id, r.model_id, r.precision, r.scenario, r.measured,
                                f"{p:.6g}" if ok else "", f"{abs(p / r.measured - 1):.4f}" if ok else "",
                                "" if ok else "no feasible configuration"])
                else:
                    w.writerow([i, r0.get("row_id", ""), r0.get("chip_id", ""), r0.get("model_id", ""), r0.get("precision_id", ""),
                                r0.get("scenario_kind", ""), r0.get("value_per_accelerator", ""), "", "", why.get(i, "")])
    return result


def build_calibration(out: str | Path | None = None, folds: int = 5, steps: int = fitting.STEPS) -> dict:
    """Fit the factors on the packaged calibration table and write ``calibration.json``."""
    raw = measurements.read_rows()
    rows, _ = measurements.scenarios(raw)
    cal = fitting.fit_calibration(rows, steps=steps)
    fitted = fitting.predict(rows, cal)
    cv = fitting.cross_validated_predictions(rows, k=folds, steps=steps)
    roof = fitting.predict(rows, None)
    cal["provenance"] = {
        "fitted_on": "workbook/data/benchmarks_calibration.csv (MLPerf Inference v4.1-v5.1, TensorRT-LLM and AWS Neuron tables)",
        "rows_used": len(rows),
        "date": datetime.date.today().isoformat(),
        "method": (f"efficiencies: Adam, {steps} steps, mean squared log error of output tokens/s per accelerator on offline, "
                   f"latency and fixed-batch rows, L2 shrinkage {fitting.SHRINKAGE} on family offsets; tail_factor: "
                   f"grid search over {list(fitting.TAIL_FACTORS)} on server and interactive rows"),
        "software_note": "MLPerf rows span software generations (e.g. H100 Llama-2-70B offline rose ~30% between rounds); the fit averages over them.",
        "dataset_profiles": {k: v[2] for k, v in measurements.DATASET_PROFILES.items()},
    }
    cal["errors"] = {
        "roofline": _summaries(rows, roof),
        "calibrated_in_sample": _summaries(rows, fitted),
        f"calibrated_{folds}fold_cv": _summaries(rows, cv),
    }
    if out is not None:
        Path(out).write_text(json.dumps(cal, indent=1) + "\n")
    return cal
