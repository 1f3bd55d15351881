"""Measured inference results as scenarios the model can predict.

Reads any CSV with the columns of ``workbook/data/benchmarks_calibration.csv`` (at least
``chip_id, accelerator_count, model_id, precision_id, scenario_kind, workload,
input_tokens_mean, output_tokens_mean, batch, value_per_accelerator``) and turns each row
into a :class:`Measured` scenario, or into a skip reason. Nothing here raises on a bad row:
a value that cannot be used as written (a batch of -4 or 2.5, a latency limit with no unit,
an unreadable constraint) skips the row with the reason, never silently. A file that cannot
be read at all (missing, a directory, not UTF-8 text, over ``MAX_FILE_BYTES`` or
``MAX_ROWS``, a field over Python's csv limit) raises :class:`~workbook.errors.InputError`.

MLPerf rows give datasets, not lengths. Where a row has no mean length, the dataset
profile below fills it; these are **estimates** (MLPerf publishes maxima and the reference
mean output, not mean inputs), documented with their basis and range.
"""

from __future__ import annotations

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


#: Largest file :func:`read_rows` reads (bytes), and most rows: 10,000 rows take about 0.5 GB
#: and a few seconds to predict (every row is a grid of ~300 batch and parallelism choices).
MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 10_000
MAX_TOKENS = 1e7  # mean input/output tokens per sequence
MAX_ACCELERATORS = 1e5
MEASURED_RANGE = (1e-6, 1e9)  # output tokens/s per accelerator


def _num(raw) -> float | None:
    try:
        x = float(raw)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def label(raw, limit: int = 60) -> str:
    """A user string as it may appear in a reason or a report: one line, printable, at most
    ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(raw).strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+"
_UNITS = {"ms": 1e-3, "msec": 1e-3, "millisecond": 1e-3, "milliseconds": 1e-3, "s": 1.0, "sec": 1.0,
          "second": 1.0, "seconds": 1.0, "us": 1e-6, "µs": 1e-6, "μs": 1e-6}
_KIND = re.compile(r"\b(TTFT|TPOT)\b", re.I)
_LIMIT = re.compile(
    r"(TTFT|TPOT)\s*(?:\(\s*p\d+\s*\))?\s*(<=|=<|≤|⩽|<)\s*(" + _NUMBER + r")\s*([a-zµμ]+)?(?![\w.])", re.I)
LIMIT_RANGE = (1e-6, 3600.0)  # s: a p99 latency limit


def latency_limits(text: str) -> tuple[float | None, float | None]:
    """``(ttft_s, tpot_s)`` from a constraint such as ``"TTFT<=2000 ms (p99), TPOT<=200 ms (p99)"``.

    Reads ``<=``, ``=<``, ``≤`` and ``<``, thousands separators (``2,000 ms``) and the units
    ms, s and us. Text naming neither TTFT nor TPOT and holding no comparison (``"none
    (Offline)"``, blank) has no limits. Anything else that cannot be read -- a limit with no
    unit, a number that is not one, a comparison without TTFT/TPOT -- raises
    :class:`~workbook.errors.InputError` saying what is wrong and how to write it.

    >>> latency_limits("TTFT<=2,000 ms, TPOT < 0.2 s")
    (2.0, 0.2)
    """
    text = text or ""
    how = "write e.g. 'TTFT<=2000 ms, TPOT<=200 ms'"
    out: dict[str, float] = {}
    for mention in _KIND.finditer(text):
        m = _LIMIT.match(text, mention.start())
        kind = mention.group(1).upper()
        if m is None:
            raise InputError(f"latency_constraint {label(text)!r}: cannot read the {kind} limit; {how}")
        unit = (m.group(4) or "").lower()
        if not unit:
            raise InputError(f"latency_constraint {label(text)!r}: the {kind} limit {m.group(3)} has no unit; "
                             f"allowed units ms, s, us ({how})")
        if unit not in _UNITS:
            raise InputError(f"latency_constraint {label(text)!r}: unknown unit {label(unit)!r} for {kind}; "
                             f"allowed units ms, s, us")
        value = float(m.group(3).replace(",", "")) * _UNITS[unit]
        lo, hi = LIMIT_RANGE
        if not lo <= value <= hi:
            raise InputError(f"latency_constraint {label(text)!r}: {kind} limit {value:g} s is out of range; "
                             f"allowed [{lo:g}, {hi:g}] s")
        if kind in out and out[kind] != value:
            raise InputError(f"latency_constraint {label(text)!r}: two different {kind} limits")
        out[kind] = value
    if not out and re.search(r"<|≤|⩽", text):
        raise InputError(f"latency_constraint {label(text)!r}: a limit that names neither TTFT nor TPOT; {how}")
    return out.get("TTFT"), out.get("TPOT")


def read_rows(path=None) -> list[dict]:
    """Rows of a benchmark CSV (the packaged calibration table by default).

    Raises :class:`InputError` if the file is missing, a directory, unreadable, not UTF-8
    text, larger than ``MAX_FILE_BYTES`` or ``MAX_ROWS``, has a field over Python's csv
    field limit, or lacks a required column (:func:`workbook.catalog.read_csv_file`). A UTF-8
    byte-order mark is accepted; a row with more fields than the header is kept (the extra
    fields are ignored).
    """
    if path is None:
        path = resources.files("workbook.data").joinpath("benchmarks_calibration.csv")
    return catalog.read_csv_file(path, max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS, required=REQUIRED_COLUMNS,
                                 extra_fields=True)


def _whole(field: str, raw, low: float, high: float) -> float | str:
    """A whole number in [low, high] from a cell, or the reason it is not one."""
    x = _num(raw)
    if x is None or not (low <= x <= high) or x != round(x):
        return f"{field} {label(raw, 20)!r} is not a whole number in [{low:g}, {high:g}]"
    return x


def scenario_from_row(i: int, r: dict) -> Measured | str:
    """A :class:`Measured` for row ``r``, or the reason it cannot be modelled."""
    chip_id, model_id = (r.get("chip_id") or "").strip(), (r.get("model_id") or "").strip()
    if not chip_id:
        return "no chip_id (mixed or uncatalogued system)"
    if chip_id not in catalog.chip_ids():
        return f"chip {label(chip_id)} not in the catalog"
    if model_id not in catalog.model_ids():
        return f"model {label(model_id) or '(blank)'} not in the catalog"
    prec = (r.get("precision_id") or "").strip()
    if prec not in PRECISIONS:
        return f"precision {label(prec) or '(blank)'} not modelled"
    kind = (r.get("scenario_kind") or "").strip()
    if kind not in SCENARIOS:
        return f"scenario {label(kind) or '(blank)'} not modelled"
    if not (r.get("accelerator_count") or "").strip():
        return "no accelerator_count"
    count = _whole("accelerator_count", r.get("accelerator_count"), 1, MAX_ACCELERATORS)
    if isinstance(count, str):
        return count
    value = _num(r.get("value_per_accelerator"))
    if value is None:
        return "no measured value"
    lo, hi = MEASURED_RANGE
    if not lo <= value <= hi:
        return f"value_per_accelerator {value:g} is out of range; allowed [{lo:g}, {hi:g}] output tokens/s"
    raw_batch = (r.get("batch") or "").strip()
    batch = None  # blank: tuned by the submitter
    if raw_batch:
        batch = _whole("batch", raw_batch, 1, 1e6)
        if isinstance(batch, str):
            return batch + " (leave it blank if the submitter tuned it)"
    profile = DATASET_PROFILES.get((r.get("workload") or "").strip())
    t_in, t_out = _num(r.get("input_tokens_mean")), _num(r.get("output_tokens_mean"))
    if t_in is None and profile:
        t_in = profile[0]
    if t_out is None and profile:
        t_out = profile[1]
    if t_in is None or t_out is None:
        return "no input/output length (and no dataset profile)"
    if not 0 < t_in <= MAX_TOKENS:
        return f"input_tokens_mean {t_in:g} is out of range; allowed (0, {MAX_TOKENS:g}] tokens"
    if not 1 <= t_out <= MAX_TOKENS:
        return f"output_tokens_mean {t_out:g} is out of range; allowed [1, {MAX_TOKENS:g}] tokens"
    try:
        ttft, tpot = latency_limits(r.get("latency_constraint") or "")
    except InputError as err:
        return str(err)
    return Measured(
        row=i, row_id=label(r.get("row_id") or i + 1), chip_id=chip_id, model_id=model_id, precision=prec,
        scenario=kind, accelerators=count, input_tokens=t_in, output_tokens=t_out,
        batch=batch, ttft_limit=ttft, tpot_limit=tpot,
        measured=value, source=label(r.get("source_family") or r.get("benchmark") or ""),
        benchmark=label(r.get("benchmark") or ""),
    )


def scenarios(rows: list[dict]) -> tuple[list[Measured], list[tuple[int, str]]]:
    """Modelable rows and ``(row index, reason)`` for the rest."""
    ok, skipped = [], []
    for i, r in enumerate(rows):
        s = scenario_from_row(i, r)
        (ok.append(s) if isinstance(s, Measured) else skipped.append((i, s)))
    return ok, skipped
