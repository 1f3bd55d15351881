"""Validation and calibration reports: predict measured rows and summarise the error.

:func:`validate` is what ``workbook validate FILE.csv`` prints; :func:`build_calibration`
fits the shipped ``calibration.json`` (``workbook calibrate``) and records, next to the
fitted factors, the errors of the bare roofline, of the fitted model on its own data, and
of a grouped 5-fold cross-validation (out of sample).

Files: every path is checked before the work starts (the input exists and is a file; the
output's folder exists and is writable, the output is not a directory, not an input, and
not an existing file unless ``force``), and outputs are written atomically (a temporary
file in the same folder, then ``os.replace``), so an interrupted run leaves the old file
whole. The packaged ``calibration.json`` is replaced only with ``force``.
"""

from __future__ import annotations

import collections
import csv
import datetime
import io
import json
import os
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from workbook import catalog
from workbook.calibration import fitting, measurements, pairs
from workbook.errors import InputError


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
        "by_family": group_errors(rows, pred, lambda r: fitting.family(r.chip_id)),
        "matched_systems": pairs.matched_scenario_errors(rows, pred),
    }


def group_errors(rows, pred, key) -> dict:
    """Per group ``key(row)``: ``rows`` (modelled rows), ``n`` (rows with a finite prediction),
    ``mdape`` (percent), ``within_25pct`` (fraction) and ``median_ratio`` (median of predicted /
    measured: above 1 the model is optimistic, below 1 pessimistic). None where nothing was
    predicted."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(str(key(r)), []).append(i)
    out = {}
    for g, idx in sorted(groups.items()):
        summary = fitting.error_summary([rows[i].measured for i in idx], [pred[i] for i in idx])
        ratios = [pred[i] / rows[i].measured for i in idx if np.isfinite(pred[i])]
        out[g] = {"rows": len(idx), "n": summary["n"], "mdape": summary["mdape"],
                  "within_25pct": summary["within_25pct"],
                  "median_ratio": round(float(np.median(ratios)), 4) if ratios else None}
    return out


def unmapped_accelerators(raw: list[dict]) -> dict[str, int]:
    """Accelerator names of rows without a ``chip_id`` that the alias table cannot map (to a
    single catalog chip), with their row counts, most frequent first. Names are shown as
    :func:`~workbook.calibration.measurements.label` prints them."""
    names: collections.Counter = collections.Counter()
    for r in raw:
        if measurements.cell_text(r.get("chip_id")):
            continue
        name = measurements.cell_text(r.get("accelerator"))
        if name and measurements.accelerator_chip(name)[0] is None:
            names[measurements.label(name, 80)] += 1
    return dict(names.most_common())


def _same_file(a: Path, b) -> bool:
    try:
        return a.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == Path(b).resolve()


def check_output(out, *, force: bool = False, inputs=(), what: str = "--out") -> Path:
    """``out`` as a Path if it can be written; else :class:`InputError` saying why.

    Cheap, so callers run it before any expensive work. Refused: an empty path, a directory,
    a path whose folder is missing or not writable, any of ``inputs`` (an input is never
    overwritten, not even with ``force``), and an existing file unless ``force``.
    """
    if out is None or not str(out).strip():
        raise InputError(f"{what}: an empty path; allowed: a file path")
    if "\x00" in str(out):
        raise InputError(f"{what}: {str(out)!r} holds a NUL character; allowed: a file path")
    try:
        return _check_output(Path(out), force, inputs, what)
    except OSError as err:  # a name too long for the file system, say
        raise InputError(f"{what}: {out} cannot be written ({err.strerror or err})") from None


def _check_output(p: Path, force: bool, inputs, what: str) -> Path:
    if p.is_dir():
        raise InputError(f"{what}: {p} is a directory; allowed: a file path")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{what}: the folder {folder} of {p} does not exist; create it first")
    for source in inputs:
        if source is not None and _same_file(p, source):
            raise InputError(f"{what}: {p} is the input file; an input is never overwritten, write elsewhere")
    if (p.exists() or p.is_symlink()) and not force:
        raise InputError(f"{what}: {p} already exists; pass --force to replace it")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(f"{what}: {p} is not writable")
    if len(p.name.encode()) > 255:
        raise InputError(f"{what}: the file name of {p} is {len(p.name.encode())} bytes long; allowed at most 255")
    try:  # the one reliable test of a folder's writability: make (and remove) a file in it
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".workbook-", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise InputError(f"{what}: cannot write in the folder {folder} ({err.strerror or err})") from None
    return p


def write_atomically(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``:
    readers see the old file or the new one, never a partial one. Keeps an existing file's mode."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=f".{p.name[:100]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if p.exists():
            mode = p.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError):
            raise InputError(f"{path}: could not be written ({err.strerror or err})") from None
        raise


def validate(path, out: str | Path | None = None, calibrated: bool = True, force: bool = False) -> dict:
    """Predict every modelable row of ``path`` and summarise the error.

    Returns ``rows``, ``predicted``, ``skipped``, ``skipped_reasons`` (reason: count),
    ``mdape`` (percent), ``within_25pct`` (fraction), ``offline_mdape``,
    ``offline_within_25pct``, ``by_source``, and ``by_family`` (calibration family), ``by_chip``,
    ``by_model``, ``by_scenario`` (each group: ``rows``, ``n``, ``mdape``, ``within_25pct``, ``median_ratio``; see
    :func:`group_errors`), the same overall figures for the bare roofline under ``roofline``,
    ``alias_mapped`` (rows without a ``chip_id`` whose accelerator name the alias table mapped:
    ``rows`` and ``by_chip``) and ``unmapped_accelerators`` (names it could not map, with row
    counts). Rows that cannot be modelled -- unparseable fields included -- are counted with
    their reason, never raised. ``calibration`` says which factors were used (the bare
    roofline, with the reason, if the shipped calibration cannot be used).

    ``out``: also write one line per row (prediction, error or skip reason) there; checked
    before any work (see :func:`check_output`: never the input, an existing file only with
    ``force``) and written atomically.
    """
    catalog.check_input_file(path, measurements.MAX_FILE_BYTES)
    if out is not None:
        out = check_output(out, force=force, inputs=(path,))
    raw = measurements.read_rows(path)
    rows, skipped = measurements.scenarios(raw)
    cal = fitting.calibration() if calibrated else None
    label = "none (bare roofline)"
    if calibrated:
        label = "shipped calibration.json" if cal is not None else f"none (bare roofline): {fitting.calibration_problem()}"
    pred = fitting.predict(rows, cal)
    pred_roof = fitting.predict(rows, None)
    reasons = collections.Counter(reason for _, reason in skipped)
    infeasible = [i for i, p in enumerate(pred) if not np.isfinite(p)]
    for _ in infeasible:
        reasons["no batch and parallelism fits in memory within the latency limits"] += 1
    predicted = len(rows) - len(infeasible)
    result = {
        "file": str(path),
        "calibration": label,
        "rows": len(raw),
        "predicted": predicted,
        "skipped": len(raw) - predicted,
        "skipped_reasons": dict(reasons.most_common()),
        **_summaries(rows, pred),
        "by_chip": group_errors(rows, pred, lambda r: r.chip_id),
        "by_model": group_errors(rows, pred, lambda r: r.model_id),
        "by_scenario": group_errors(rows, pred, lambda r: r.scenario),
        "roofline": {k: v for k, v in _summaries(rows, pred_roof).items() if not k.startswith("by_")},
        "alias_mapped": {"rows": sum(1 for r in rows if r.accelerator),
                         "by_chip": dict(collections.Counter(r.chip_id for r in rows if r.accelerator).most_common())},
        "unmapped_accelerators": unmapped_accelerators(raw),
    }
    if out is not None:
        by_row = {r.row: (r, p) for r, p in zip(rows, pred)}
        why = dict(skipped)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["row", "row_id", "chip_id", "model_id", "precision_id", "scenario_kind", "measured", "predicted", "ape", "skip_reason"])
        for i, r0 in enumerate(raw):
            if i in by_row:
                r, p = by_row[i]
                ok = np.isfinite(p)
                w.writerow([i, r.row_id, r.chip_id, r.model_id, r.precision, r.scenario, r.measured,
                            f"{p:.6g}" if ok else "", f"{abs(p / r.measured - 1):.4f}" if ok else "",
                            "" if ok else "no feasible configuration"])
            else:
                w.writerow([i, *(measurements.label(r0.get(k) or "") for k in (
                    "row_id", "chip_id", "model_id", "precision_id", "scenario_kind", "value_per_accelerator")),
                    "", "", why.get(i, "")])
        write_atomically(out, buf.getvalue())
    return result


def build_calibration(out: str | Path | None = None, folds: int = 5, steps: int = fitting.STEPS,
                      force: bool = False) -> dict:
    """Fit the factors on the packaged calibration table and write ``calibration.json``.

    ``out`` is checked before the fit (about 40 s; see :func:`check_output`): an existing
    file, and in particular the packaged ``workbook/data/calibration.json`` that every
    estimate reads, is replaced only with ``force``, atomically.
    """
    if out is not None:
        packaged = _same_file(Path(out), fitting.CALIBRATION_FILE)
        if packaged and not force:
            raise InputError(f"--out: {out} is the packaged calibration every estimate reads; "
                             "pass --force to replace it")
        table = resources.files("workbook.data").joinpath("benchmarks_calibration.csv")
        out = check_output(out, force=force, inputs=(table,))  # the measurements it fits are never overwritten
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
        "method": (f"factors: MAP (Adam, {steps} steps) of a Gaussian likelihood of log(predicted / measured) output "
                   f"tokens/s per accelerator on offline, latency and fixed-batch rows, with priors uniform over each "
                   f"factor's published range and family offsets ~ N(0, {fitting.FAMILY_LOGIT_SD}^2) in logit; "
                   f"uncertainty: Laplace approximation (Hessian of the negative log posterior); server and interactive rows: "
                   f"not fitted, predicted as the goodput of the queueing model (workbook.model.latency) under "
                   f"their p99 limits"),
        "software_note": ("MLPerf rows span software generations: the same hardware rose by up to ~50% between rounds "
                          "(round_ratios); the fit averages over them."),
        "dataset_profiles": {k: v.describe() for k, v in measurements.DATASET_PROFILES.items()},
    }
    # sensitivity fidelity: both chips of a pair predicted with the same fitted factors, so the
    # ratio tests the model's physics (cross-validated predictions would mix folds' factors)
    cal["pairs"] = pairs.pair_ratios(rows, fitted)
    cal["pairs_summary"] = pairs.pair_summary(cal["pairs"])
    cal["scenario_ratios"] = pairs.scenario_ratios(rows, fitted)
    cal["round_ratios"] = pairs.round_ratios(rows, fitted)  # the same hardware in two rounds: software drift
    cal["round_summary"] = {**pairs.round_summary(cal["round_ratios"]), "floor": pairs.round_floor(rows)}
    cal["errors"] = {
        "roofline": _summaries(rows, roof),
        "calibrated_in_sample": _summaries(rows, fitted),
        f"calibrated_{folds}fold_cv": _summaries(rows, cv),
    }
    if out is not None:
        write_atomically(out, json.dumps(cal, indent=1, allow_nan=False) + "\n")
    return cal
