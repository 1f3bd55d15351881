"""Measured inference results as scenarios the model can predict.

Reads any CSV with the columns of ``workbook/data/benchmarks_calibration.csv`` (at least
``chip_id, accelerator_count, model_id, precision_id, scenario_kind, workload,
input_tokens_mean, output_tokens_mean, batch, value_per_accelerator``) and turns each row
into a :class:`Measured` scenario, or into a skip reason. Nothing here raises on a bad row.

MLPerf rows give datasets, not lengths. Where a row has no mean length, the dataset
profile below fills it; these are **estimates** (MLPerf publishes maxima and the reference
mean output, not mean inputs), documented with their basis and range.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from importlib import resources

from workbook import catalog
from workbook.errors import InputError
from workbook.specs import PRECISIONS

REQUIRED_COLUMNS = (
    "chip_id", "accelerator_count", "model_id", "precision_id", "scenario_kind", "workload",
    "input_tokens_mean", "output_tokens_mean", "batch", "value_per_accelerator",
)
SCENARIOS = ("offline", "server", "interactive", "latency")

# workload -> (mean input tokens, mean output tokens, basis). Outputs are MLPerf's reference
# means (shared/data/README.md); inputs are estimates with the stated range.
DATASET_PROFILES: dict[str, tuple[float, float, str]] = {
    "mlperf-llama2-70b-openorca": (
        400.0, 294.45,
        "input: estimate (range 250-700), OpenOrca subset with inputs <= 1024 tokens; bounded by physics: the best "
        "measured result (H200, FP8, MLPerf v5.1, 4,384 output tokens/s per GPU) would need more than 80 % of peak FP8 "
        "FLOP/s above ~475 input tokens per sample; output: MLPerf reference mean 294.45",
    ),
    "mlperf-llama3.1-405b-longctx": (
        9500.0, 685.0,
        "input: estimate, long-context mix with inputs up to ~20k tokens (range 5k-15k); output: MLPerf mean ~685",
    ),
    "mlperf-mixtral-mix": (
        600.0, 145.0,
        "input: estimate, OpenOrca + GSM8K + MBXP mix (range 300-900); output: MLPerf mean ~145",
    ),
    "mlperf-llama3.1-8b-cnndm": (
        780.0, 100.0,
        "input: estimate, CNN/DailyMail articles (range 600-1000); output: estimate, summaries capped at 128 tokens (range 60-128)",
    ),
    "mlperf-deepseek-r1-reasoning": (
        800.0, 3886.0,
        "input: estimate, reasoning prompts (range 300-1500); output: MLPerf mean 3,886",
    ),
}


@dataclass(frozen=True)
class Measured:
    """One modelable row: what was measured and the scenario to predict it."""

    row: int  # 0-based index in the file
    row_id: str
    chip_id: str
    model_id: str
    precision: str
    scenario: str
    accelerators: float
    input_tokens: float
    output_tokens: float
    batch: float | None  # None: tuned by the submitter
    ttft_limit: float | None  # s, p99
    tpot_limit: float | None  # s, p99
    measured: float  # output tokens/s per accelerator
    source: str
    benchmark: str


def _num(raw) -> float | None:
    try:
        x = float(raw)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


_LIMIT = re.compile(r"(TTFT|TPOT)\s*<=\s*([0-9.]+)\s*(ms|s)", re.I)


def latency_limits(text: str) -> tuple[float | None, float | None]:
    """``(ttft_s, tpot_s)`` from a constraint such as ``"TTFT<=2000 ms (p99), TPOT<=200 ms (p99)"``."""
    out = {"TTFT": None, "TPOT": None}
    for kind, val, unit in _LIMIT.findall(text or ""):
        out[kind.upper()] = float(val) * (1e-3 if unit.lower() == "ms" else 1.0)
    return out["TTFT"], out["TPOT"]


def read_rows(path=None) -> list[dict]:
    """Rows of a benchmark CSV (the packaged calibration table by default).

    Raises :class:`InputError` if the file is missing or lacks a required column.
    """
    if path is None:
        path = resources.files("workbook.data").joinpath("benchmarks_calibration.csv")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            cols = reader.fieldnames or []
            missing = [c for c in REQUIRED_COLUMNS if c not in cols]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED_COLUMNS)}")
            return list(reader)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 CSV file") from None


def scenario_from_row(i: int, r: dict) -> Measured | str:
    """A :class:`Measured` for row ``r``, or the reason it cannot be modelled."""
    chip_id, model_id = (r.get("chip_id") or "").strip(), (r.get("model_id") or "").strip()
    if not chip_id:
        return "no chip_id (mixed or uncatalogued system)"
    if chip_id not in catalog.chip_ids():
        return f"chip {chip_id} not in the catalog"
    if model_id not in catalog.model_ids():
        return f"model {model_id or '(blank)'} not in the catalog"
    prec = (r.get("precision_id") or "").strip()
    if prec not in PRECISIONS:
        return f"precision {prec or '(blank)'} not modelled"
    kind = (r.get("scenario_kind") or "").strip()
    if kind not in SCENARIOS:
        return f"scenario {kind or '(blank)'} not modelled"
    count, value = _num(r.get("accelerator_count")), _num(r.get("value_per_accelerator"))
    if not count or count < 1:
        return "no accelerator_count"
    if not value or value <= 0:
        return "no measured value"
    profile = DATASET_PROFILES.get((r.get("workload") or "").strip())
    t_in, t_out = _num(r.get("input_tokens_mean")), _num(r.get("output_tokens_mean"))
    if t_in is None and profile:
        t_in = profile[0]
    if t_out is None and profile:
        t_out = profile[1]
    if not t_in or not t_out:
        return "no input/output length (and no dataset profile)"
    ttft, tpot = latency_limits(r.get("latency_constraint", ""))
    batch = _num(r.get("batch"))
    return Measured(
        row=i, row_id=str(r.get("row_id", i + 1)), chip_id=chip_id, model_id=model_id, precision=prec,
        scenario=kind, accelerators=count, input_tokens=t_in, output_tokens=t_out,
        batch=batch if batch and batch >= 1 else None, ttft_limit=ttft, tpot_limit=tpot,
        measured=value, source=(r.get("source_family") or r.get("benchmark") or "").strip(),
        benchmark=(r.get("benchmark") or "").strip(),
    )


def scenarios(rows: list[dict]) -> tuple[list[Measured], list[tuple[int, str]]]:
    """Modelable rows and ``(row index, reason)`` for the rest."""
    ok, skipped = [], []
    for i, r in enumerate(rows):
        s = scenario_from_row(i, r)
        (ok.append(s) if isinstance(s, Measured) else skipped.append((i, s)))
    return ok, skipped
