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
profile below fills it. Each mean is ``documented`` (MLPerf publishes the reference mean
output), ``derived`` (arithmetic on published numbers) or ``estimate`` (a published
description, such as a length limit, turned into a number; MLPerf publishes no mean input
lengths), always with its source and range (:class:`DatasetProfile`).

Rows without a ``chip_id`` are mapped to a catalog chip through the alias table
(``workbook/data/accelerator_aliases.csv``, :func:`accelerator_chip`): ``"NVIDIA
H100-SXM-80GB"``, ``"H100 SXM5 80GB"`` and ``"NVIDIA H100"`` all become ``nvidia_h100_sxm``.
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

LENGTH_STATUSES = ("documented", "derived", "estimate")


@dataclass(frozen=True)
class DatasetProfile:
    """Mean input and output tokens per sample of a benchmark dataset, each with its status
    (``documented``: the number is published; ``derived``: arithmetic on published numbers;
    ``estimate``: a workbook estimate from a published description) and a range. Ranges are
    set from the sources alone, never to improve a fit; an ``estimate`` is the log-space centre
    of its range (:func:`log_centre`), never a point picked on its own.

    A row's own ``input_tokens_mean`` / ``output_tokens_mean`` win over the profile.
    """

    input_tokens: float
    input_range: tuple[float, float]
    input_status: str
    output_tokens: float
    output_range: tuple[float, float]
    output_status: str
    source: str  # where the numbers come from (URLs / papers)
    basis: str  # how each number follows from the source
    output_spread: str = ""  # the published spread of output lengths, where there is one
    output_cv: float = 0.0  # coefficient of variation of output lengths the spread gives (0: none known)

    def describe(self) -> str:
        """One line: both means with status and range, and the basis."""
        return (f"input {self.input_tokens:g} ({self.input_status}, range {self.input_range[0]:g}-{self.input_range[1]:g}); "
                f"output {self.output_tokens:g} ({self.output_status}, range {self.output_range[0]:g}-{self.output_range[1]:g}). "
                f"{self.basis} Source: {self.source}")


def log_centre(length_range: tuple[float, float]) -> float:
    """Central value of a length known only to lie in ``[lo, hi]``: ``sqrt(lo * hi)`` (tokens),
    the centre of the log-uniform belief whose spread :func:`log_sd` gives the fit. The fit works
    in ``log(prediction)``, and to first order the mean of ``log(pred(L))`` over that belief is
    ``log(pred(sqrt(lo * hi)))``: every ``estimate`` length is this centre of its range, so no
    central value is ever picked apart from the range its sources give.

    >>> round(log_centre((100.0, 1000.0)), 1), log_centre((294.45, 294.45))
    (316.2, 294.45)
    """
    lo, hi = length_range
    return math.sqrt(lo * hi)


def log_sd(length_range: tuple[float, float]) -> float:
    """Standard deviation of ``log(length)`` for a length known only to lie in ``[lo, hi]``,
    taken as log-uniform there: ``ln(hi / lo) / sqrt(12)`` (0 for a documented point). The fit
    widens a row's error by it (:func:`workbook.calibration.fitting.length_log_sd`): a length
    that is uncertain is never moved to improve the fit, it only weighs less.

    >>> round(log_sd((100.0, 1000.0)), 3), log_sd((294.45, 294.45))
    (0.665, 0.0)
    """
    lo, hi = length_range
    return math.log(hi / lo) / math.sqrt(12.0)


MLPERF_REF = "github.com/mlcommons/inference"
#: Per-sample token lengths of the MLPerf datasets, as extracted from MLCommons' own dataset files
#: (``tok_input_length`` / ``tok_output_length`` of the pickles) by Red Hat's dashboard; read on
#: 2026-12-01 from the code index, every sample (the means below are over all of them).
PSAP_SUMMARIES = "github.com/openshift-psap/performance-dashboard "


def _per_sample(file: str, commit: str, folder: str = "mlperf-data/summaries/",
                columns: str = "tok_input_length, tok_output_length") -> str:
    return (f"{PSAP_SUMMARIES}{folder}{file} (commit {commit[:12]}, read 2026-12-01; per-sample input_length, "
            f"output_length: the {columns} columns of the MLCommons dataset file)")


#: Range of a mean taken over every sample of a per-sample table: +-1 % for the copy (the table was
#: read in 16,000-character pages; a misread digit moves a mean of 10^4 samples by far less).
PER_SAMPLE_RANGE = 0.01


def _per_sample_range(mean: float) -> tuple[float, float]:
    return (round(mean * (1 - PER_SAMPLE_RANGE), 2), round(mean * (1 + PER_SAMPLE_RANGE), 2))


#: Where the v5.1 submission logs quoted by the profiles are read (the calibration table's own source).
V51_LOGS = "github.com/mlcommons/inference_results_v5.1 (read via the fork ntuhpc/inference_results_v5.1)"
DATASET_PROFILES: dict[str, DatasetProfile] = {
    "mlperf-llama2-70b-openorca": DatasetProfile(
        222.33, _per_sample_range(222.33), "derived", 294.45, (265.0, 323.9), "documented",
        f"{MLPERF_REF} language/llama2-70b/README.md ('Tokens per sample: 294.45'; processorca.py --seqlen_limit=1024, "
        "24,576 samples); language/llama2-70b/processorca.py (filters); input: "
        + _per_sample("llama2-70b-99.csv", "7cd1065d1e2c53ee745cbda08e2a8f13a42c93bb"),
        "Output: the reference mean, documented. Input: the mean of tok_input_length over all 24,576 samples of "
        "open_orca_gpt4_tokenized_llama.sampled_24576.pkl, 222.33 tokens (median 152, 5-95 % 73-614, max 1,021: "
        "the processorca.py limit of 1,024 holds). It replaces 316, the log-space centre of an estimated 100-1,000 "
        "range, which replaced half the limit (512) and, before that, an earlier 400 that had been chosen to improve "
        "the fit. The output spread is an estimate: the dataset's GPT-4 reference answers (tok_output_length, mean "
        "218.89) have a coefficient of variation of 0.787; Llama-2-70B's own generations, whose mean is the 294.45, are "
        "taken to spread alike.",
        "per-sample outputs 3-1,023 tokens (reference answers; coefficient of variation 0.787, an estimate for the "
        "generations); a submission's mean must lie within 90-110 % of 294.45 (265.0-323.9; MLPerf accuracy rule)",
        0.787,
    ),
    "mlperf-mixtral-mix": DatasetProfile(
        427.39, _per_sample_range(427.39), "derived", 144.84, (130.4, 159.3), "documented",
        f"{MLPERF_REF} language/mixtral-8x7b/README.md ('tokens_per_sample': 144.84; 5K samples each from OpenOrca GPT-4, "
        "GSM8K and MBXP, 15,000 in all); input and spread: "
        + _per_sample("mixtral-8x7b.csv", "67033baeaac181a3a35641dd2b86a7cb22d856dd"),
        "Output: the reference mean, documented; the per-sample table's 15,000 outputs average exactly 144.84, which "
        "checks the copy. Input: their mean, 427.39 tokens (median 283, 5-95 % 85-1,006, max 1,948). It replaces 520, "
        "the log-space centre of an estimated 300-900 range (before that 600, its arithmetic middle).",
        "per-sample outputs 2-1,024 tokens, coefficient of variation 0.778 (the per-sample table); a submission's mean "
        "must lie within 90-110 % of 144.84 (MLPerf accuracy rule)",
        0.778,
    ),
    "mlperf-llama3.1-405b-longctx": DatasetProfile(
        9428.64, _per_sample_range(9428.64), "derived", 684.68, (616.2, 753.1), "documented",
        f"{MLPERF_REF} language/llama3.1-405b/README.md ('tokens_per_sample': 684.68; 8,313 samples); input and spread: "
        + _per_sample("llama3-1-405b.csv", "739352b63288db5f45ec1c5e5c941000568734a2"),
        "Output: the reference mean, documented (the packaged table rounds it to 685); the per-sample table's 8,313 "
        "outputs average exactly 684.68, which checks the copy. Input: their mean, 9,428.64 tokens (median 10,112, "
        "5-95 % 2,783-15,831, max 19,988). It replaces 8,660, the log-space centre of an estimated 5,000-15,000 range "
        "(before that 9,500).",
        "per-sample outputs 3-1,830 tokens, coefficient of variation 0.381 (the per-sample table); a submission's mean "
        "must reach 90 % of 684.68 (MLPerf accuracy rule; the range's upper end mirrors it)",
        0.381,
    ),
    "mlperf-llama3.1-8b-cnndm": DatasetProfile(
        870.73, _per_sample_range(870.73), "derived", 128.0, (128.0, 129.0), "derived",
        f"{MLPERF_REF} language/llama3.1-8b/README.md (datacenter target 'gen_len': 8,167,644 characters over 'gen_num': "
        "13,368 samples); PREPROCESSING.md (prompt template); See et al., 'Get To The Point', ACL 2017 (CNN/DailyMail "
        f"articles average 781 tokens); {V51_LOGS}: results/<system>/llama3.1-8b/Offline/performance/run_1/"
        "mlperf_log_summary.txt of Dell XE9680L_B200_SXM_180GBx8_TRT (143,309 tokens/s / 1,111.06 samples/s), "
        "GigaComputing G894-SD1_B200-SXM-180GBx8_TRT (142,136 / 1,110.44), RedHat XE8640_4xH100_vLLM (5,777.08 / "
        "45.1334) and Intel 1-node-4x-BMG-Pro-B60-Dual (llama3_1-8b; 6,472.37 / 50.569); the cap: "
        "github.com/mlcommons/inference issue #2256 (Jul 2025: the reference SUT_VLLM.py fixes the maximum output "
        "tokens to 128, and 'most of the generated outputs' are 128 tokens); input: "
        + _per_sample("llama3-1-8b-datacenter.csv", "b04ea53f86b6b9b2c153f143084a7818376e6f0c",
                      columns="len(tok_input) and output characters / 4")
        + " (the output column, characters / 4, is not used)",
        "Output: tokens/s / samples/s of four submissions' logs = 129.0, 128.0, 128.0 and 128.0 generated tokens per "
        "sample, on TensorRT-LLM and vLLM alike: the summaries stop at a 128-token cap (8,167,644 / 13,368 = 611 "
        "characters, 4.8 characters per token). It replaces an earlier 140 derived from the characters alone. "
        "Input: the mean of len(tok_input) over all 13,368 samples, 870.73 tokens (median 784, 5-95 % 327-1,750, max "
        "2,540). It replaces 940, the centre of 820-1,100 derived from 781 word tokens per article x 1.1-1.35 "
        "Llama-3 tokens per word token + ~35 template tokens (See et al.), which the per-sample mean falls inside.",
        "the four logs: 128.0-129.0 generated tokens per sample (mean of each run)",
    ),
    "mlperf-deepseek-r1-reasoning": DatasetProfile(
        803.79, _per_sample_range(803.79), "derived", 3886.2, (3886.0, 4043.5), "documented",
        f"{MLPERF_REF} language/deepseek-r1/README.md (reference mean output 3,886.2 tokens per the team's research; one "
        "README version gives the PyTorch reference 'mean-output-tok-len': 4,043.45 over 4,388 samples); input and "
        "spread: " + _per_sample("deepseek-r1.csv", "c402a312853dbfd7096e59c4f15a23e14ed43c7c", "datasets/summaries/",
                                  "tok_input_len, tok_ref_output_len"),
        "Output: documented; the range spans the two published reference means. The per-sample table's 4,388 "
        "reference outputs average exactly 4,043.45, which checks the copy. Input: their mean, 803.79 tokens (median "
        "902, 5-95 % 100-1,312, max 3,140), the 'ISL 803' of TensorRT-LLM's DeepSeek-R1 tech blog. It replaces 671, the "
        "log-space centre of an estimated 300-1,500 range (before that 800).",
        "per-sample reference outputs 209-32,768 tokens, coefficient of variation 1.253 (the per-sample table; the "
        "reference's 32k max-OSL caps the tail)",
        1.253,
    ),
    "sharegpt-vllm": DatasetProfile(
        229.7, (229.7, 229.7), "documented", 203.1, (203.1, 203.1), "documented",
        "vLLM benchmarks/benchmark_serving.py on ShareGPT_V3_unfiltered_cleaned_split (1,000 prompts, Llama-3.1 "
        "tokenizer), as recorded in the team's research notes",
        "Means of the sampled prompts (229.7 tokens) and of the dataset's reference completions (203.1; the "
        "benchmark caps outputs at the reference length).",
        "ShareGPT lengths are heavy-tailed; no single spread published",
    ),
}

#: Workloads whose rows carry their own lengths (no profile): vendor tables with exact synthetic
#: input/output lengths (TensorRT-LLM, AWS Neuron: every request the same length, spread 0).
FIXED_WORKLOADS = ("fixed",)


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
    accelerator: str = ""  # the row's accelerator name, when its chip came from the alias table
    tp: float | None = None  # tensor-parallel degree the source documents (``platform`` "TP8"); None: tuned
    tp_units: float | None = None  # that degree in the runtime's own units (NeuronCores), which it pads heads to
    pp: float | None = None  # pipeline-parallel degree the submission's code documents (DOCUMENTED_LAYOUTS); None: 1 if tp given
    input_log_sd: float = 0.0  # sd of log(input_tokens): the profile's range when the length came from it (log_sd)
    output_log_sd: float = 0.0  # the same for output_tokens; 0 for a length the row gives
    output_cv: float = 0.0  # coefficient of variation of output lengths: the dataset's (DatasetProfile.output_cv), else 0
    memory_fraction: float | None = None  # share of memory the runtime may fill, as documented (DOCUMENTED_RUNTIME); None: default
    batched_tokens: float | None = None  # tokens per iteration, as documented (DOCUMENTED_RUNTIME); None: default


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


def cell_text(raw) -> str:
    """A cell as stripped text ('' for a missing cell; a non-string, e.g. the list of a row's
    extra fields, as its string form)."""
    return raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw).strip())


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


# --- accelerator names -> catalog chips ------------------------------------------------------

ALIAS_FILE = "accelerator_aliases.csv"
_SPLIT = re.compile(r"[,;+&/]|\band\b", re.I)


def name_tokens(name: str) -> frozenset[str]:
    """Lower-case alphanumeric words of an accelerator name: ``"NVIDIA H100-SXM-80GB"`` gives
    ``{"nvidia", "h100", "sxm", "80gb"}``. Punctuation and spacing never matter."""
    return frozenset(re.findall(r"[a-z0-9]+", str(name).lower()))


@dataclass(frozen=True)
class Alias:
    """One spelling of an accelerator: every word of ``alias`` must occur in the name."""

    alias: str
    tokens: frozenset
    chip_id: str  # blank: a known accelerator with no catalog entry
    chips_per_accelerator: float  # catalog chips in one listed accelerator (2 for a dual-GPU card)
    note: str


def aliases(path=None) -> list[Alias]:
    """The alias table (``workbook/data/accelerator_aliases.csv`` by default): columns
    ``alias, chip_id, chips_per_accelerator, note``. Every ``chip_id`` must be blank or in the
    catalog, and ``chips_per_accelerator`` a whole number >= 1 (else :class:`InputError`)."""
    if path is None:
        path = resources.files("workbook.data").joinpath(ALIAS_FILE)
    rows = catalog.read_csv_file(path, required=("alias", "chip_id"))
    known = set(catalog.chip_ids())
    out = []
    for i, r in enumerate(rows, start=2):
        chip_id = (r.get("chip_id") or "").strip()
        if chip_id and chip_id not in known:
            raise InputError(f"{path}: line {i}: chip_id {label(chip_id)!r} is not in the catalog")
        per = _num(r.get("chips_per_accelerator") or "1")
        if per is None or per < 1 or per != round(per) or per > 64:
            raise InputError(f"{path}: line {i}: chips_per_accelerator {label(r.get('chips_per_accelerator'))!r} "
                             "is not a whole number in [1, 64]")
        tokens = name_tokens(r.get("alias") or "")
        if not tokens:
            raise InputError(f"{path}: line {i}: an empty alias")
        out.append(Alias((r.get("alias") or "").strip(), tokens, chip_id, per, (r.get("note") or "").strip()))
    return out


_ALIASES: list[Alias] | None = None


def _builtin_aliases() -> list[Alias]:
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = aliases()
    return _ALIASES


def _best_alias(name: str, table: list[Alias]) -> tuple[list[Alias], int]:
    """The most specific aliases (most words) whose words all occur in ``name``."""
    words = name_tokens(name)
    hits = [a for a in table if a.tokens <= words]
    if not hits:
        return [], 0
    top = max(len(a.tokens) for a in hits)
    best = [a for a in hits if len(a.tokens) == top]
    return list({(a.chip_id, a.chips_per_accelerator): a for a in best}.values()), top


#: Why a name was not mapped (the skip reasons of :func:`scenario_from_row` use these words).
UNMAPPED = "accelerator name not in the alias table"
AMBIGUOUS = "accelerator name matches several catalog chips"
MIXED = "mixed system (several accelerator types)"
NO_ENTRY = "accelerator has no catalog entry"


def accelerator_chip(name, table: list[Alias] | None = None) -> tuple[str | None, float, str]:
    """``(chip_id, chips_per_accelerator, why)`` for a vendor's accelerator name.

    ``why`` is ``"alias 'H100 SXM'"`` when mapped; otherwise ``chip_id`` is None and ``why``
    one of ``UNMAPPED``, ``AMBIGUOUS``, ``MIXED`` (a name listing two kinds of chip, such as
    ``"MI300X (x32), MI325X (x16)"``) or ``NO_ENTRY`` (a known part the catalog lacks). The
    most specific alias wins: ``"H100-PCIe-80GB"`` matches both ``H100`` and ``H100 PCIe``
    and maps to the PCIe part.

    >>> accelerator_chip("NVIDIA H100-SXM-80GB")[0], accelerator_chip("AMD Instinct MI300X")[0]
    ('nvidia_h100_sxm', 'amd_mi300x')
    >>> accelerator_chip("Mystery NPU 9000")
    (None, 1.0, 'accelerator name not in the alias table')
    """
    table = _builtin_aliases() if table is None else table
    name = str(name or "")
    parts = [p for p in _SPLIT.split(name) if name_tokens(p)]
    if len(parts) > 1:  # "A (x32), B (x16)": one kind of chip, or a mixed system
        kinds = {(a.chip_id, a.chips_per_accelerator) for p in parts for a in _best_alias(p, table)[0]}
        if len({k[0] for k in kinds}) > 1:
            return None, 1.0, MIXED
    best, _ = _best_alias(name, table)
    if not best:
        return None, 1.0, UNMAPPED
    if len(best) > 1:
        return None, 1.0, AMBIGUOUS
    a = best[0]
    if not a.chip_id:
        return None, 1.0, NO_ENTRY
    return a.chip_id, float(a.chips_per_accelerator), f"alias {a.alias!r}"


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


#: ``trust_tier`` of MLPerf open-division rows: the open division allows changing the model
#: (NVIDIA's v4.1 H200 "DepthPruned" and "Sparse" Llama-2-70B), so a row there does not measure
#: the model it names ("not comparable to closed", the table's README). Not modelled.
OPEN_DIVISION_TIER = "A-"
OPEN_DIVISION_REASON = ("MLPerf open division (trust_tier A-): the model may be changed (pruned, sparse), "
                        "so the row does not measure the model it names")


#: Precisions a submission's own code documents more exactly than its ``precision_id``, by
#: ``(submitter, platform)``: ``(precision, source)``. The table itself is never edited.
_INTEL_B60 = ("github.com/mlcommons/inference_results_v5.1 closed/Intel/code (read via the fork "
              "ntuhpc/inference_results_v5.1): llama2-70b-99/pytorch-xpu/quantize_autoround.py (int4 weights and "
              "kv_cache_scheme num_bits 8, type int) run by llama2-70b-99.9/pytorch-xpu/calibration/quantize_70b.sh "
              "and llama3_1-8b/pytorch-xpu/calibration/quantize_8b.sh with group_size -1 (per-channel scales; the "
              "served models are llama2-gptq-w4g-1b8kv and Llama-3.1-8B-Instruct-autoround-w4g-1-iters512-xpu), "
              "model_init/llama2-70b/init_env_offline and "
              "llama3_1-8b/init_env_shared (VLLM_USE_SEPARATE_QUANT=1, VLLM_FUSE_NORM_QUANT=1, "
              "VLLM_FUSE_SILU_QUANT=1: the activations are quantised in the norm and SiLU kernels for the integer "
              "GEMMs); at 16-bit math the 8 GPUs' 788 TFLOP/s would give the measured 3,009 tokens/s on Llama-2-70B "
              "only at full peak with prompts under ~260 tokens")
DOCUMENTED_PRECISIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("Intel", "1-node-4x-BMG-Pro-B60-Dual"): ("w4a8", _INTEL_B60),
}


#: Tensor- and pipeline-parallel degrees that an MLPerf submission's own code documents, for rows
#: whose ``platform`` names no layout, by ``(benchmark, submitter, platform, model_id, scenario)``:
#: ``(tp, pp, source)``. Only configurations read are listed; every other MLPerf row stays tuned.
#: A config whose pipeline degree sits in a base file not in the sources read is left out.
_V41_REPO = "github.com/mlcommons/inference_results_v4.1 closed/"
_V51_REPO = "github.com/mlcommons/inference_results_v5.1 (read via the fork ntuhpc/inference_results_v5.1) closed/"
_NVIDIA_V41_LLAMA2 = (_V41_REPO + "NVIDIA/configs/llama2-70b/Offline/__init__.py and Server/__init__.py: "
                      "H100_SXM_80GB_TP2x4 (KnownSystem.H100_SXM_80GBx8) tensor_parallelism 2; H200_SXM_141GBx8, its "
                      "MaxQ and Triton variants, H200_SXM_141GB_CTSx1/x8 and GH200_144GB_aarch64x1 tensor_parallelism 1; "
                      "pipeline_parallelism 1 (OfflineGPUBaseConfig, ServerGPUBaseConfig)")
_FUJITSU_V41 = (_V41_REPO + "Fujitsu/configs/llama2-70b/{Offline,Server}/custom.py (CDI_L40SX8 tensor_parallelism 4, "
                "GX2560M7_H100_SXM_80GBX4 tensor_parallelism 2) and configs/mixtral-8x7b/{Offline,Server}/custom.py "
                "(GX2560M7_H100_SXM_80GBX4 tensor_parallelism 1); pipeline_parallelism 1")


def _v41_partner(submitter: str, model: str, classes: str) -> str:
    return (f"{_V41_REPO}{submitter}/configs/{model}/{{Offline,Server}}/custom.py and __init__.py: {classes}; "
            "pipeline_parallelism 1 (the base configs)")


def _v51_partner(submitter: str, system: str, files: str, degrees: str) -> str:
    return f"{_V51_REPO}{submitter}/configs/{system}/{files}: llm_fields.{degrees}"


def _v51_vllm(files: str) -> str:
    """Source of an AMD-harness layout: vLLM's ``tensor_parallel_size`` in the submission's yaml."""
    return (f"{_V51_REPO}{files}: tensor_parallel_size 1, device_count 8 (eight vLLM instances; "
            "tensor_parallelism 1, pipeline_parallelism 1)")


def _v51(submitter: str, platforms: tuple[str, ...], model: str, scenarios: tuple[str, ...], tp: int, pp: int,
         system: str, files: str) -> tuple:
    """A v5.1 partner config's row of ``_LAYOUT_TABLE``: its source names the files read and both
    degrees (``llm_fields.tensor_parallelism`` / ``pipeline_parallelism``)."""
    return ("v5.1", submitter, platforms, model, scenarios, tp, pp,
            _v51_partner(submitter, system, files, f"tensor_parallelism {tp}, pipeline_parallelism {pp}"))


_OS, _OSI, _O, _S = ("offline", "server"), ("offline", "server", "interactive"), ("offline",), ("server",)
_LAYOUT_TABLE: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...], int, int, str], ...] = (
    # (round, submitter, platforms, model, scenarios, tp, pp, source)
    ("v4.1", "NVIDIA", ("DGX-H100_H100-SXM-80GBx8_TRT",), "llama-2-70b", _OS, 2, 1, _NVIDIA_V41_LLAMA2),
    ("v4.1", "NVIDIA", ("H200-SXM-141GBx8_TRT", "H200-SXM-141GBx8_TRT_MaxQ", "H200-SXM-141GBx8_TRT_Triton",
                        "H200-SXM-141GB-CTSx8_TRT", "H200-SXM-141GB-CTSx1_TRT",
                        "GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT"), "llama-2-70b", _OS, 1, 1, _NVIDIA_V41_LLAMA2),
    ("v4.1", "Fujitsu", ("CDI_L40Sx8_TRT",), "llama-2-70b", _OS, 4, 1, _FUJITSU_V41),
    ("v4.1", "Fujitsu", ("GX2560M7_H100_SXM_80GBx4_TRT",), "llama-2-70b", _OS, 2, 1, _FUJITSU_V41),
    ("v4.1", "Fujitsu", ("GX2560M7_H100_SXM_80GBx4_TRT",), "mixtral-8x7b", _OS, 1, 1, _FUJITSU_V41),
    ("v4.1", "Dell", ("XE8640_H100_SXM_80GBx4_TRT", "XE9640_H100_SXM_80GBx4_TRT", "XE9680_H100_SXM_80GBx8_TRT"),
     "llama-2-70b", _OS, 2, 1, _v41_partner("Dell", "llama2-70b", "XE8640_H100_SXM_80GBx4, XE9640_H100_SXM_80GBX4 and "
                                            "XE9680_H100_SXM_80GBX8 tensor_parallelism 2")),
    ("v4.1", "Dell", ("XE9680_H200_SXM_141GBx8_TRT",), "llama-2-70b", _OS, 1, 1,
     _v41_partner("Dell", "llama2-70b", "XE9680_H200_SXM_141GBX8 tensor_parallelism 1")),
    ("v4.1", "HPE", ("HPE_Cray_XD670_H100_SXM_80GBx8_TRT", "HPE_ProLiant_DL380a_H100_NVL_94GBx4_TRT"), "llama-2-70b", _OS,
     2, 1, _v41_partner("HPE", "llama2-70b", "HPE_CRAY_XD670_H100_SXM_80GBX8 (from H100_SXM_80GB_TP2x1) and "
                        "HPE_PROLIANT_DL380A_H100_NVL_94GBX4 tensor_parallelism 2")),
    ("v4.1", "HPE", ("GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT",), "llama-2-70b", _OS, 1, 1,
     _v41_partner("HPE", "llama2-70b", "GH200_144GB_aarch64x1 tensor_parallelism 1")),
    ("v4.1", "HPE", ("GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT",), "mixtral-8x7b", _OS, 1, 1,
     _v41_partner("HPE", "mixtral-8x7b", "GH200_144GB_aarch64x1 tensor_parallelism 1")),
    ("v4.1", "HPE", ("HPE_Cray_XD670_H100_SXM_80GBx8_TRT",), "mixtral-8x7b", _O, 1, 1,
     _v41_partner("HPE", "mixtral-8x7b", "HPE_CRAY_XD670_H100_SXM_80GBX8 (Offline) tensor_parallelism 1")),
    ("v4.1", "Supermicro", ("AS_4125GS_TNHR2_LCC_H100_SXM_80GBx8_TRT", "AS_8125GS_TNHR_H100_SXM_80GBx8_TRT",
                            "SYS_421GE_TNHR2_LCC_H100_SXM_80GBx8_TRT", "SYS_821GE_TNHR_H100_SXM_80GBx8_TRT"),
     "llama-2-70b", _OS, 2, 1, _v41_partner("Supermicro", "llama2-70b", "the four H100_SXM_80GBX8 systems, from "
                                            "H100_SXM_80GB_TP2x4, tensor_parallelism 2")),
    ("v4.1", "Supermicro", ("AS_4125GS_TNHR2_LCC_H100_SXM_80GBx8_TRT", "AS_8125GS_TNHR_H100_SXM_80GBx8_TRT",
                            "SYS_421GE_TNHR2_LCC_H100_SXM_80GBx8_TRT", "SYS_821GE_TNHR_H100_SXM_80GBx8_TRT"),
     "mixtral-8x7b", _OS, 1, 1, _v41_partner("Supermicro", "mixtral-8x7b", "the four systems, from H100_SXM_80GBx1, "
                                             "tensor_parallelism 1")),
    ("v4.1", "Sustainable_Metal_Cloud", ("SMC_H100_SXM_80GBX8_TRT",), "llama-2-70b", _O, 2, 1,
     _v41_partner("Sustainable_Metal_Cloud", "llama2-70b", "SMC_H100_SXM_80GBX8 (Offline) tensor_parallelism 2")),
    ("v4.1", "GigaComputing", ("GIGABYTE_G593_SD1_H200_SXM_141GBx8_TRT",), "llama-2-70b", _OS, 1, 1,
     _v41_partner("GigaComputing", "llama2-70b", "GIGABYTE_G593_SD1_H200_SXM_141GBX8 tensor_parallelism 1")),
    ("v4.1", "GigaComputing", ("GIGABYTE_G593_SD1_H200_SXM_141GBx8_TRT",), "mixtral-8x7b", _O, 1, 1,
     _v41_partner("GigaComputing", "mixtral-8x7b", "GIGABYTE_G593_SD1_H200_SXM_141GBX8 (Offline) tensor_parallelism 1")),
    ("v4.1", "Google", ("DGX-H100_H100-SXM-80GBx8_TRT",), "llama-2-70b", _S, 2, 1,
     _v41_partner("Google", "llama2-70b", "Server H100_SXM_80GB_TP2x4 tensor_parallelism 2")),
    ("v4.1", "Google", ("DGX-H100_H100-SXM-80GBx8_TRT",), "mixtral-8x7b", _S, 1, 1,
     _v41_partner("Google", "mixtral-8x7b", "Server H100_SXM_80GBx8 tensor_parallelism 1")),
    ("v4.1", "Lenovo", ("H200_SXM_141GBx8_TRT", "Lenovo_8xH200_TRT", "SR675_V3_8xH100_NVL_TRT"), "llama-2-70b", _OS, 1, 1,
     _v41_partner("Lenovo", "llama2-70b", "H200_SXM_141GBx8, Lenovo_8xH200 and SR675_V3_8XH100_NVL tensor_parallelism 1")),
    ("v4.1", "Quanta_Cloud_Technology", ("GH200-GraceHopper-Superchip_GH200-96GB_aarch64x1_TRT",), "llama-2-70b", _OS, 1, 1,
     _v41_partner("Quanta_Cloud_Technology", "llama2-70b", "GH200_96GB_aarch64x1 tensor_parallelism 1")),
    ("v4.1", "JuniperNetworks", ("DGX-H100_H100-SXM-80GBx16_TRT", "DGX-H100_H100-SXM-80GBx32_TRT"), "llama-2-70b", _OS, 2, 1,
     f"{_V41_REPO}JuniperNetworks/configs/llama2-70b/{{Offline,Server}}/__init__.py (only H100_SXM_80GB_TP2x* classes: "
     "tensor_parallelism 2, pipeline_parallelism 1) and llama_configs/config_h100x16.sh, config_h100x32.sh "
     "(GPU_RANK_MAP of 8 and 16 groups of two GPUs)"),
    ("v4.1", "Dell", ("XE9680_MI300X_192GBx8",), "llama-2-70b", _OS, 1, 1,
     f"{_V41_REPO}Dell/code/llama2-70b-99/test_VllmFp8/test_VllmFp8_{{Offline,SyncServer}}_perf.sh: TP=1, DP=8 "
     "(eight vLLM instances; tensor_parallelism 1, pipeline_parallelism 1)"),
    _v51("Nebius", ("B200-SXM-180GBx8_TRT", "H200-SXM-141GBx8_TRT", "GB200-NVL72_GB200-186GB_aarch64x4_TRT"),
         "llama-2-70b", _OS, 1, 1,
         "<system>", "{Offline,Server}/llama2-70b.py"),
    _v51("Nebius", ("B200-SXM-180GBx8_TRT", "GB200-NVL72_GB200-186GB_aarch64x4_TRT"), "llama-3.1-405b", _O, 2, 2,
         "<system>", "Offline/llama3_1-405b.py"),
    _v51("Nebius", ("B200-SXM-180GBx8_TRT",), "llama-3.1-405b", _S, 4, 1,
         "B200-SXM-180GBx8", "Server/llama3_1-405b.py"),
    _v51("Nebius", ("H200-SXM-141GBx8_TRT",), "llama-3.1-405b", _O, 4, 2,
         "H200-SXM-141GBx8", "Offline/llama3_1-405b.py"),
    _v51("Nebius", ("H200-SXM-141GBx8_TRT",), "llama-3.1-405b", _S, 8, 1,
         "H200-SXM-141GBx8", "Server/llama3_1-405b.py"),
    _v51("Dell", ("XE9680L_B200_SXM_180GBx8_TRT",), "llama-2-70b", _S, 1, 1,
         "XE9680L_B200_SXM_180GBx8", "Server/llama2-70b.py"),
    _v51("Dell", ("XE9680_H200_SXM_141GBx8_TRT",), "llama-2-70b", _OS, 1, 1,
         "XE9680_H200_SXM_141GBx8", "{Offline,Server}/llama2-70b.py"),
    _v51("Dell", ("XE7745_H200_NVL_141GBx8_TRT",), "llama-2-70b", _OSI, 1, 1,
         "XE7745_H200_NVL_141GBx8", "{Offline,Server,Interactive}/llama2-70b.py"),
    _v51("HPE", ("HPE_Cray_XD670_H200_SXM_141GBx8_TRT",), "llama-2-70b", ("offline", "interactive"), 1, 1,
         "HPE_Cray_XD670_H200_SXM_141GBx8", "{Offline,Interactive}/llama2-70b.py"),
    _v51("HPE", ("HPE_Cray_XD670_H200_SXM_141GBx8_TRT",), "mixtral-8x7b", _OS, 1, 1,
         "HPE_Cray_XD670_H200_SXM_141GBx8", "{Offline,Server}/mixtral-8x7b.py"),
    _v51("HPE", ("HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT",), "llama-2-70b", _OSI, 1, 1,
         "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT", "{Offline,Server,Interactive}/llama2-70b.py"),
    _v51("HPE", ("HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT",), "mixtral-8x7b", _OS, 1, 1,
         "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT", "{Offline,Server}/mixtral-8x7b.py"),
    _v51("ASUSTeK", ("ESC8000_H200_NVLx8_TRT",), "llama-2-70b", _OSI, 1, 1,
         "ESC8000_H200_NVLx8", "{Offline,Server,Interactive}/llama2-70b.py"),
    _v51("ASUSTeK", ("ESC_N8_H200-SXM-141GBx8_TRT",), "llama-2-70b", _O, 1, 1,
         "ESC_N8_H200-SXM-141GBx8", "Offline/llama2-70b.py"),
    _v51("ASUSTeK", ("ESC_N8_H200-SXM-141GBx8_TRT",), "mixtral-8x7b", _S, 1, 1,
         "ESC_N8_H200-SXM-141GBx8", "Server/mixtral-8x7b.py"),
    _v51("Supermicro", ("AS-4126GS-NBR-LCC_B200-SXM-180GBx8_TRT",), "llama-2-70b", ("interactive",), 1, 1,
         "AS-4126GS-NBR-LCC_B200-SXM-180GBx8_TRT", "Interactive/llama2-70b.py"),
    _v51("GigaComputing", ("G894-SD1_B200-SXM-180GBx8_TRT",), "llama-2-70b", ("interactive",), 1, 1,
         "G894-SD1_B200-SXM-180GBx8", "Interactive/llama2-70b.py"),
    _v51("GigaComputing", ("G894-SD1_B200-SXM-180GBx8_TRT",), "llama-3.1-405b", ("interactive",), 4, 1,
         "G894-SD1_B200-SXM-180GBx8", "Interactive/llama3_1-405b.py"),
    _v51("Nebius", ("B200-SXM-180GBx8_TRT", "H200-SXM-141GBx8_TRT"), "llama-2-70b", ("interactive",), 1, 1,
         "<system>", "Interactive/llama2-70b.py"),
    _v51("Nebius", ("B200-SXM-180GBx8_TRT",), "llama-3.1-405b", ("interactive",), 4, 1,
         "B200-SXM-180GBx8", "Interactive/llama3_1-405b.py"),
    _v51("Nebius", ("H200-SXM-141GBx8_TRT",), "llama-3.1-405b", ("interactive",), 8, 1,
         "H200-SXM-141GBx8", "Interactive/llama3_1-405b.py"),
    _v51("Cisco", ("C885_H200x8_TRT",), "llama-2-70b", _OS, 1, 1, "C885_H200x8", "{Offline,Server}/llama2-70b.py"),
    _v51("Cisco", ("C845A_H200_NVLx8_TRT",), "llama-3.1-8b", _OS, 1, 1,
         "C845A_H200_NVLx8", "{Offline,Server}/llama3_1-8b.py"),
    _v51("ASUSTeK", ("ESC_N8_H200-SXM-141GBx8_TRT",), "llama-2-70b", _S, 1, 1,
         "ESC_N8_H200-SXM-141GBx8", "Server/llama2-70b.py"),
    _v51("Azure", ("ND_GB200_v6",), "llama-2-70b", _OS, 1, 1, "ND_GB200_v6", "{Offline,Server}/llama2-70b.py"),
    _v51("Dell_Broadcom", ("vXE9680_H200-SXM-141GBx8_TRT",), "llama-2-70b", ("server", "interactive"), 1, 1,
         "vXE9680_H200-SXM-141GBx8", "{Server,Interactive}/llama2-70b.py"),
    _v51("Dell_Broadcom", ("vXE9680_H200-SXM-141GBx8_TRT",), "llama-3.1-405b", _S, 8, 1,
         "vXE9680_H200-SXM-141GBx8", "Server/llama3_1-405b.py"),
    _v51("HPE", ("HPE_Cray_XD670_H200_SXM_141GBx8_TRT",), "llama-3.1-8b", _OSI, 1, 1,
         "HPE_Cray_XD670_H200_SXM_141GBx8", "{Offline,Server,Interactive}/llama3_1-8b.py"),
    _v51("HPE", ("HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT",), "llama-3.1-8b", _OSI, 1, 1,
         "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT", "{Offline,Server,Interactive}/llama3_1-8b.py"),
    _v51("Quanta_Cloud_Technology", ("D74U-7U_H200-SXM-141GBx8_TRT",), "llama-3.1-8b", _OSI, 1, 1,
         "D74U-7U_H200-SXM-141GBx8", "{Offline,Server,Interactive}/llama3_1-8b.py"),
    _v51("Quanta_Cloud_Technology", ("D74U-7U_H200-SXM-141GBx8_TRT",), "llama-3.1-405b", _S, 8, 1,
         "D74U-7U_H200-SXM-141GBx8", "Server/llama3_1-405b.py"),
    _v51("Quanta_Cloud_Technology", ("D75E-4U_H200-NVL-141GBx4_TRT",), "llama-2-70b", _OSI, 1, 1,
         "D75E-4U_H200-NVL-141GBx4", "{Offline,Server,Interactive}/llama2-70b.py"),
    _v51("Quanta_Cloud_Technology", ("D75E-4U_H200-NVL-141GBx4_TRT",), "llama-3.1-8b", _OSI, 1, 1,
         "D75E-4U_H200-NVL-141GBx4", "{Offline,Server,Interactive}/llama3_1-8b.py"),
    _v51("Broadcom_Supermicro", ("vSYS-422GA-NBRT-B200-SXM-180GBx8_TRT",), "llama-3.1-8b", _O, 1, 1,
         "vSYS-422GA-NBRT-B200-SXM-180GBx8", "Offline/llama3_1-8b.py"),
    ("v5.1", "AMD", ("8xMI300X_2xEPYC_9575F",), "llama-2-70b", _O, 1, 1,
     _v51_vllm("AMD/code/llama2-70b-99.9/harness_llm/models/llama2-70b/offline_mi300x.yaml")),
    ("v5.1", "AMD", ("8xMI325X_2xEPYC_9575F_1", "8xMI325X_2xEPYC_9575F_2"), "llama-2-70b", _O, 1, 1,
     _v51_vllm("AMD/code/llama2-70b-99/harness_llm/models/llama2-70b/offline_mi325x.yaml")),
    ("v5.1", "AMD", ("8xMI325X_2xEPYC_9575F_1",), "mixtral-8x7b", _OS, 1, 1,
     _v51_vllm("AMD/code/mixtral-8x7b/harness_llm/models/mixtral-8x7b/{offline,server}_mi325x.yaml")),
    ("v5.1", "ASUSTeK", ("ESC_A8A_MI325X_256GBx8",), "llama-2-70b", _O, 1, 1,
     _v51_vllm("ASUSTeK/code_AMD/llama2-70b-99.9/harness_llm/models/llama2-70b/offline_mi325x.yaml")),
    ("v5.1", "ASUSTeK", ("ESC_A8A_MI325X_256GBx8",), "mixtral-8x7b", _OS, 1, 1,
     _v51_vllm("ASUSTeK/code_AMD/llama2-70b-99.9/harness_llm/models/mixtral-8x7b/offline_mi325x.yaml and "
               "code_AMD/llama2-70b-99/harness_llm/models/mixtral-8x7b/server_mi325x.yaml")),
    ("v5.1", "GigaComputing", ("8xMI325X_2xEPYC_9575F",), "llama-2-70b", _S, 1, 1,
     _v51_vllm("GigaComputing/code/llama2-70b-99/harness_llm/models/llama2-70b/server_mi325x.yaml")),
    ("v5.1", "GigaComputing", ("8xMI325X_2xEPYC_9575F",), "mixtral-8x7b", _OS, 1, 1,
     _v51_vllm("GigaComputing/code/llama2-70b-99.9/harness_llm/models/mixtral-8x7b/offline_mi325x.yaml and "
               "llama2-70b-99/harness_llm/models/mixtral-8x7b/server_mi325x.yaml")),
    ("v5.1", "MiTAC", ("8xMI325X_2xEPYC_9755",), "llama-2-70b", _O, 1, 1,
     _v51_vllm("MiTAC/code/llama2-70b-99.9/harness_llm/models/llama2-70b/offline_mi325x.yaml")),
    ("v5.1", "Intel", ("1-node-4x-BMG-Pro-B60-Dual",), "llama-2-70b", _O, 1, 4,
     _V51_REPO + "Intel/code/llama2-70b-99.9/pytorch-xpu/model_init/llama2-70b/init_env_offline: PP=4, TP=1 (the "
     "default of init_env_base), NUM_INSTS = XPU_COUNT / (TP * PP) (tensor_parallelism 1, pipeline_parallelism 4)"),
    ("v5.1", "Intel", ("1-node-4x-BMG-Pro-B60-Dual",), "llama-2-70b", _S, 2, 1,
     _V51_REPO + "Intel/code/llama3_1-8b/pytorch-xpu/model_init/llama2-70b/init_env_server: TP=2, PP=1 "
     "(tensor_parallelism 2, pipeline_parallelism 1)"),
    ("v5.1", "Intel", ("1-node-4x-BMG-Pro-B60-Dual",), "llama-3.1-8b", _OS, 1, 1,
     _V51_REPO + "Intel/code/llama3.1-8b-edge/pytorch-xpu/model_init/llama3_1-8b/init_env_offline and "
     "llama3_1-8b/pytorch-xpu/model_init/llama3_1-8b/init_env_server: TP=1 (tensor_parallelism 1, pipeline_parallelism 1)"),
)
DOCUMENTED_LAYOUTS: dict[tuple[str, str, str, str, str], tuple[int, int, str]] = {
    (f"MLPerf Inference {rnd}", submitter, platform, model, scenario): (tp, pp, source)
    for rnd, submitter, platforms, model, scenarios, tp, pp, source in _LAYOUT_TABLE
    for platform in platforms for scenario in scenarios
}


#: Runtime settings an MLPerf submission's code documents, by ``(benchmark, submitter, platform,
#: model_id, scenario)``: ``(memory_fraction, batched_tokens, source)``. ``memory_fraction`` is
#: vLLM's ``gpu_memory_utilization`` (``None``: not set, the default 0.9); ``batched_tokens`` its
#: ``max_num_batched_tokens``, the tokens one iteration may carry. The memory sizing uses both
#: (:func:`workbook.model.sizing.max_batch`: the activation workspace is sized for one iteration)
#: and a ``server`` / ``interactive`` row's queue uses ``batched_tokens`` as its token budget ``K``
#: (:mod:`workbook.model.latency`: the decoding sequences take one token each, the prompt chunks the
#: rest). Other rows use the defaults (``workbook.specs.DEFAULT_MEMORY_FRACTION``,
#: ``DEFAULT_BATCHED_TOKENS``, ``workbook.model.latency.DEFAULT_CHUNK_TOKENS``). Only
#: configurations read are listed: Intel's vLLM scripts below, and the TensorRT-LLM configs of
#: ``_TRT_BUDGETS``.
_INTEL_ENV = (_V51_REPO + "Intel/code/: llama3.1-8b-edge/pytorch-xpu/init_env_base (VLLM_USE_V1=1: chunked prefill, "
              "the budget shared by prefill and decode tokens) and ")
DOCUMENTED_RUNTIME: dict[tuple[str, str, str, str, str], tuple[float | None, float, str]] = {
    ("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-2-70b", "offline"):
        (None, 256.0, _INTEL_ENV + "llama2-70b-99.9/pytorch-xpu/model_init/llama2-70b/init_env_offline "
         "(MAX_NUM_BATCHED_TOKENS=256, BATCH_SIZE=768; no GPU_MEMORY_UTILIZATION)"),
    ("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-2-70b", "server"):
        (0.99, 320.0, _INTEL_ENV + "llama3_1-8b/pytorch-xpu/model_init/llama2-70b/init_env_server "
         "(GPU_MEMORY_UTILIZATION=0.99, MAX_NUM_BATCHED_TOKENS=320, BATCH_SIZE=160)"),
    ("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-3.1-8b", "offline"):
        (None, 768.0, _INTEL_ENV + "llama3.1-8b-edge/pytorch-xpu/model_init/llama3_1-8b/init_env_offline "
         "(BATCH_SIZE=128) sourcing llama3_1-8b/pytorch-xpu/model_init/llama3_1-8b/init_env_shared "
         "(MAX_NUM_BATCHED_TOKENS=768; no GPU_MEMORY_UTILIZATION)"),
    ("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-3.1-8b", "server"):
        (None, 576.0, _INTEL_ENV + "llama3_1-8b/pytorch-xpu/model_init/llama3_1-8b/init_env_server "
         "(MAX_NUM_BATCHED_TOKENS=576, BATCH_SIZE=448; no GPU_MEMORY_UTILIZATION)"),
}

#: TensorRT-LLM's per-iteration token budget in the MLPerf v5.1 partners' configs (read on 2026-12-02
#: at commit a634ab77 of the fork): ``llm_fields.trtllm_runtime_flags['max_num_tokens']`` of
#: ``closed/<submitter>/configs/<file>``, the ``maxNumTokensRuntime`` its ``MicroBatchScheduler``
#: fills with one token per generation request first and context chunks in the rest
#: (``enable_chunked_context: True`` in every file but HPE's RTX PRO 6000 Mixtral server, which sets
#: none). Where a file exports several settings, the Custom harness, 99 % accuracy, MaxP one (their
#: budgets are equal). HPE's RTX PRO 6000 Llama-3.1-8B server exports 8,192 (its unused ``base`` dict
#: says 1,536). The runtime's ``kvcache_free_gpu_mem_frac`` is a share of the memory left after the
#: weights, not vLLM's share of the whole: ``memory_fraction`` stays at the default. Not listed: the
#: Dell DeepSeek-R1 servers (``max_num_tokens`` 3,456 per attention-data-parallel rank, each rank
#: scheduling its own: not the one budget per replica this model has).
_TRT_BUDGETS = (  # (submitter, platform, model_id, scenario, max_num_tokens, file under configs/)
    ("Nebius", "B200-SXM-180GBx8_TRT", "llama-2-70b", "offline", 3584, "B200-SXM-180GBx8/Offline/llama2-70b.py"),
    ("Nebius", "B200-SXM-180GBx8_TRT", "llama-2-70b", "server", 3584, "B200-SXM-180GBx8/Server/llama2-70b.py"),
    ("Nebius", "GB200-NVL72_GB200-186GB_aarch64x4_TRT", "llama-2-70b", "offline", 3584, "GB200-NVL72_GB200-186GB_aarch64x4/Offline/llama2-70b.py"),
    ("Nebius", "GB200-NVL72_GB200-186GB_aarch64x4_TRT", "llama-2-70b", "server", 3584, "GB200-NVL72_GB200-186GB_aarch64x4/Server/llama2-70b.py"),
    ("Nebius", "H200-SXM-141GBx8_TRT", "llama-2-70b", "offline", 1536, "H200-SXM-141GBx8/Offline/llama2-70b.py"),
    ("Nebius", "H200-SXM-141GBx8_TRT", "llama-2-70b", "server", 1536, "H200-SXM-141GBx8/Server/llama2-70b.py"),
    ("Nebius", "B200-SXM-180GBx8_TRT", "llama-3.1-405b", "offline", 1536, "B200-SXM-180GBx8/Offline/llama3_1-405b.py"),
    ("Nebius", "GB200-NVL72_GB200-186GB_aarch64x4_TRT", "llama-3.1-405b", "offline", 1536, "GB200-NVL72_GB200-186GB_aarch64x4/Offline/llama3_1-405b.py"),
    ("Nebius", "B200-SXM-180GBx8_TRT", "llama-3.1-405b", "server", 2048, "B200-SXM-180GBx8/Server/llama3_1-405b.py"),
    ("Nebius", "H200-SXM-141GBx8_TRT", "llama-3.1-405b", "offline", 1536, "H200-SXM-141GBx8/Offline/llama3_1-405b.py"),
    ("Nebius", "H200-SXM-141GBx8_TRT", "llama-3.1-405b", "server", 2560, "H200-SXM-141GBx8/Server/llama3_1-405b.py"),
    ("Dell", "XE9680L_B200_SXM_180GBx8_TRT", "llama-2-70b", "server", 3584, "XE9680L_B200_SXM_180GBx8/Server/llama2-70b.py"),
    ("Dell", "XE9680_H200_SXM_141GBx8_TRT", "llama-2-70b", "offline", 1536, "XE9680_H200_SXM_141GBx8/Offline/llama2-70b.py"),
    ("Dell", "XE9680_H200_SXM_141GBx8_TRT", "llama-2-70b", "server", 1536, "XE9680_H200_SXM_141GBx8/Server/llama2-70b.py"),
    ("Dell", "XE7745_H200_NVL_141GBx8_TRT", "llama-2-70b", "offline", 1536, "XE7745_H200_NVL_141GBx8/Offline/llama2-70b.py"),
    ("Dell", "XE7745_H200_NVL_141GBx8_TRT", "llama-2-70b", "server", 1536, "XE7745_H200_NVL_141GBx8/Server/llama2-70b.py"),
    ("Dell", "XE7745_H200_NVL_141GBx8_TRT", "llama-2-70b", "interactive", 256, "XE7745_H200_NVL_141GBx8/Interactive/llama2-70b.py"),
    ("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "llama-2-70b", "offline", 1536, "HPE_Cray_XD670_H200_SXM_141GBx8/Offline/llama2-70b.py"),
    ("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "llama-2-70b", "interactive", 256, "HPE_Cray_XD670_H200_SXM_141GBx8/Interactive/llama2-70b.py"),
    ("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "mixtral-8x7b", "offline", 9216, "HPE_Cray_XD670_H200_SXM_141GBx8/Offline/mixtral-8x7b.py"),
    ("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "mixtral-8x7b", "server", 8192, "HPE_Cray_XD670_H200_SXM_141GBx8/Server/mixtral-8x7b.py"),
    ("HPE", "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT", "llama-2-70b", "offline", 2048, "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT/Offline/llama2-70b.py"),
    ("HPE", "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT", "llama-2-70b", "server", 2048, "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT/Server/llama2-70b.py"),
    ("HPE", "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT", "mixtral-8x7b", "offline", 9216, "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT/Offline/mixtral-8x7b.py"),
    ("HPE", "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT", "mixtral-8x7b", "server", 8192, "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT/Server/mixtral-8x7b.py"),
    ("ASUSTeK", "ESC8000_H200_NVLx8_TRT", "llama-2-70b", "offline", 1536, "ESC8000_H200_NVLx8/Offline/llama2-70b.py"),
    ("ASUSTeK", "ESC8000_H200_NVLx8_TRT", "llama-2-70b", "server", 1536, "ESC8000_H200_NVLx8/Server/llama2-70b.py"),
    ("ASUSTeK", "ESC_N8_H200-SXM-141GBx8_TRT", "llama-2-70b", "offline", 1536, "ESC_N8_H200-SXM-141GBx8/Offline/llama2-70b.py"),
    ("ASUSTeK", "ESC_N8_H200-SXM-141GBx8_TRT", "mixtral-8x7b", "server", 8192, "ESC_N8_H200-SXM-141GBx8/Server/mixtral-8x7b.py"),
    ("GigaComputing", "G894-SD1_B200-SXM-180GBx8_TRT", "llama-2-70b", "interactive", 512, "G894-SD1_B200-SXM-180GBx8/Interactive/llama2-70b.py"),
    ("GigaComputing", "G894-SD1_B200-SXM-180GBx8_TRT", "llama-3.1-405b", "interactive", 1536, "G894-SD1_B200-SXM-180GBx8/Interactive/llama3_1-405b.py"),
    ("Nebius", "B200-SXM-180GBx8_TRT", "llama-2-70b", "interactive", 768, "B200-SXM-180GBx8/Interactive/llama2-70b.py"),
    ("Nebius", "H200-SXM-141GBx8_TRT", "llama-2-70b", "interactive", 256, "H200-SXM-141GBx8/Interactive/llama2-70b.py"),
    ("Nebius", "B200-SXM-180GBx8_TRT", "llama-3.1-405b", "interactive", 1536, "B200-SXM-180GBx8/Interactive/llama3_1-405b.py"),
    ("Nebius", "H200-SXM-141GBx8_TRT", "llama-3.1-405b", "interactive", 2560, "H200-SXM-141GBx8/Interactive/llama3_1-405b.py"),
    ("Cisco", "C885_H200x8_TRT", "llama-2-70b", "offline", 1536, "C885_H200x8/Offline/llama2-70b.py"),
    ("Cisco", "C885_H200x8_TRT", "llama-2-70b", "server", 1536, "C885_H200x8/Server/llama2-70b.py"),
    ("Cisco", "C845A_H200_NVLx8_TRT", "llama-3.1-8b", "offline", 1536, "C845A_H200_NVLx8/Offline/llama3_1-8b.py"),
    ("Cisco", "C845A_H200_NVLx8_TRT", "llama-3.1-8b", "server", 1536, "C845A_H200_NVLx8/Server/llama3_1-8b.py"),
    ("ASUSTeK", "ESC_N8_H200-SXM-141GBx8_TRT", "llama-2-70b", "server", 1536, "ESC_N8_H200-SXM-141GBx8/Server/llama2-70b.py"),
    ("Azure", "ND_GB200_v6", "llama-2-70b", "offline", 3584, "ND_GB200_v6/Offline/llama2-70b.py"),
    ("Azure", "ND_GB200_v6", "llama-2-70b", "server", 4096, "ND_GB200_v6/Server/llama2-70b.py"),
    ("Dell_Broadcom", "vXE9680_H200-SXM-141GBx8_TRT", "llama-2-70b", "server", 1536, "vXE9680_H200-SXM-141GBx8/Server/llama2-70b.py"),
    ("Dell_Broadcom", "vXE9680_H200-SXM-141GBx8_TRT", "llama-3.1-405b", "server", 2560, "vXE9680_H200-SXM-141GBx8/Server/llama3_1-405b.py"),
    ("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "llama-3.1-8b", "offline", 12000, "HPE_Cray_XD670_H200_SXM_141GBx8/Offline/llama3_1-8b.py"),
    ("HPE", "HPE_Cray_XD670_H200_SXM_141GBx8_TRT", "llama-3.1-8b", "server", 12000, "HPE_Cray_XD670_H200_SXM_141GBx8/Server/llama3_1-8b.py"),
    ("HPE", "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT", "llama-3.1-8b", "offline", 8192, "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT/Offline/llama3_1-8b.py"),
    ("HPE", "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT_TRT", "llama-3.1-8b", "server", 8192, "HPE_PROLIANT_DL380A_RTX_PRO_6000_PCIE_96GBx8_TRT/Server/llama3_1-8b.py"),
    ("Quanta_Cloud_Technology", "D74U-7U_H200-SXM-141GBx8_TRT", "llama-3.1-8b", "offline", 1536, "D74U-7U_H200-SXM-141GBx8/Offline/llama3_1-8b.py"),
    ("Quanta_Cloud_Technology", "D74U-7U_H200-SXM-141GBx8_TRT", "llama-3.1-8b", "server", 1536, "D74U-7U_H200-SXM-141GBx8/Server/llama3_1-8b.py"),
    ("Quanta_Cloud_Technology", "D74U-7U_H200-SXM-141GBx8_TRT", "llama-3.1-405b", "server", 2560, "D74U-7U_H200-SXM-141GBx8/Server/llama3_1-405b.py"),
    ("Quanta_Cloud_Technology", "D75E-4U_H200-NVL-141GBx4_TRT", "llama-2-70b", "offline", 1536, "D75E-4U_H200-NVL-141GBx4/Offline/llama2-70b.py"),
    ("Quanta_Cloud_Technology", "D75E-4U_H200-NVL-141GBx4_TRT", "llama-2-70b", "server", 1536, "D75E-4U_H200-NVL-141GBx4/Server/llama2-70b.py"),
    ("Quanta_Cloud_Technology", "D75E-4U_H200-NVL-141GBx4_TRT", "llama-2-70b", "interactive", 256, "D75E-4U_H200-NVL-141GBx4/Interactive/llama2-70b.py"),
    ("Quanta_Cloud_Technology", "D75E-4U_H200-NVL-141GBx4_TRT", "llama-3.1-8b", "offline", 1536, "D75E-4U_H200-NVL-141GBx4/Offline/llama3_1-8b.py"),
    ("Quanta_Cloud_Technology", "D75E-4U_H200-NVL-141GBx4_TRT", "llama-3.1-8b", "server", 1536, "D75E-4U_H200-NVL-141GBx4/Server/llama3_1-8b.py"),
)
DOCUMENTED_RUNTIME.update({
    ("MLPerf Inference v5.1", sub, plat, model, scenario): (None, float(budget), f"{_V51_REPO}{sub}/configs/{file}: "
                                                            f"trtllm_runtime_flags max_num_tokens {budget}")
    for sub, plat, model, scenario, budget, file in _TRT_BUDGETS
})


def documented_runtime(benchmark: str, submitter: str, platform: str, model_id: str,
                       scenario: str) -> tuple[float | None, float | None]:
    """``(memory_fraction, batched_tokens)`` an MLPerf submission's code documents for a row
    (``DOCUMENTED_RUNTIME``; ``None`` where it sets none: the defaults apply).

    >>> documented_runtime("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-2-70b", "server")
    (0.99, 320.0)
    >>> documented_runtime("MLPerf Inference v5.1", "Intel", "1-node-4x-BMG-Pro-B60-Dual", "llama-3.1-8b", "offline")
    (None, 768.0)
    >>> documented_runtime("MLPerf Inference v5.1", "NVIDIA", "x", "llama-2-70b", "server")
    (None, None)
    """
    found = DOCUMENTED_RUNTIME.get((benchmark, submitter, platform, model_id, scenario))
    return (None, None) if found is None else found[:2]


def documented_layout(benchmark: str, submitter: str, platform: str, model_id: str,
                      scenario: str) -> tuple[int, int] | None:
    """``(tensor-parallel, pipeline-parallel)`` degrees an MLPerf submission's code documents for
    a row whose ``platform`` names none (``DOCUMENTED_LAYOUTS``), or ``None``: the row is then tuned.

    >>> documented_layout("MLPerf Inference v4.1", "Fujitsu", "CDI_L40Sx8_TRT", "llama-2-70b", "offline")
    (4, 1)
    >>> documented_layout("MLPerf Inference v5.1", "Fujitsu", "CDI_L40Sx8_TRT", "llama-2-70b", "offline") is None
    True
    """
    found = DOCUMENTED_LAYOUTS.get((benchmark, submitter, platform, model_id, scenario))
    return None if found is None else found[:2]


def documented_precision(submitter: str, platform: str, precision_id: str) -> str:
    """The precision a row ran: ``precision_id``, unless the submission's code documents a more
    exact one (``DOCUMENTED_PRECISIONS``: Intel's "UINT4" Arc Pro B60 rows are int4 weights with
    int8 activations and KV cache, ``w4a8``, not the weight-only ``int4``).

    >>> documented_precision("Intel", "1-node-4x-BMG-Pro-B60-Dual", "int4"), documented_precision("AMD", "x", "fp8")
    ('w4a8', 'fp8')
    """
    return DOCUMENTED_PRECISIONS.get((submitter, platform), (precision_id, ""))[0]


def scenario_from_row(i: int, r: dict) -> Measured | str:
    """A :class:`Measured` for row ``r``, or the reason it cannot be modelled."""
    if cell_text(r.get("trust_tier")) == OPEN_DIVISION_TIER:
        return OPEN_DIVISION_REASON
    chip_id, model_id = cell_text(r.get("chip_id")), cell_text(r.get("model_id"))
    per_accelerator, accelerator = 1.0, ""
    if not chip_id:
        accelerator = cell_text(r.get("accelerator"))
        if not accelerator:
            return "no chip_id (mixed or uncatalogued system) and no accelerator name"
        chip_id, per_accelerator, why = accelerator_chip(accelerator)
        if chip_id is None:
            return f"no chip_id; {why}"
    if chip_id not in catalog.chip_ids():
        return f"chip {label(chip_id)} not in the catalog"
    if model_id not in catalog.model_ids():
        return f"model {label(model_id) or '(blank)'} not in the catalog"
    prec = documented_precision(cell_text(r.get("submitter")), cell_text(r.get("platform")),
                                cell_text(r.get("precision_id")))
    if prec not in PRECISIONS:
        return f"precision {label(prec) or '(blank)'} not modelled"
    kind = cell_text(r.get("scenario_kind"))
    if kind not in SCENARIOS:
        return f"scenario {label(kind) or '(blank)'} not modelled"
    if not cell_text(r.get("accelerator_count")):
        return "no accelerator_count"
    count = _whole("accelerator_count", r.get("accelerator_count"), 1, MAX_ACCELERATORS)
    if isinstance(count, str):
        return count
    raw_value = cell_text(r.get("value_per_accelerator"))
    value = _num(raw_value)
    if value is None:
        return "no measured value" + (f" (value_per_accelerator {label(raw_value, 20)!r} is not a number)" if raw_value else "")
    lo, hi = MEASURED_RANGE
    if not lo <= value <= hi:
        return f"value_per_accelerator {value:g} is out of range; allowed [{lo:g}, {hi:g}] output tokens/s"
    raw_batch = cell_text(r.get("batch"))
    batch = None  # blank: tuned by the submitter
    if raw_batch:
        batch = _whole("batch", raw_batch, 1, 1e6)
        if isinstance(batch, str):
            return batch + " (leave it blank if the submitter tuned it)"
    profile = DATASET_PROFILES.get(cell_text(r.get("workload")))
    lengths = []
    for field in ("input_tokens_mean", "output_tokens_mean"):
        raw = cell_text(r.get(field))
        x = _num(raw)
        if raw and x is None:
            return f"{field} {label(raw, 20)!r} is not a number (leave it blank to use the dataset profile)"
        lengths.append(x)
    t_in, t_out = lengths
    sd_in = sd_out = 0.0
    if t_in is None and profile:
        t_in, sd_in = profile.input_tokens, log_sd(profile.input_range)
    if t_out is None and profile:
        t_out, sd_out = profile.output_tokens, log_sd(profile.output_range)
    if t_in is None or t_out is None:
        return "no input/output length (and no dataset profile)"
    if not 0 < t_in <= MAX_TOKENS:
        return f"input_tokens_mean {t_in:g} is out of range; allowed (0, {MAX_TOKENS:g}] tokens"
    if not 1 <= t_out <= MAX_TOKENS:
        return f"output_tokens_mean {t_out:g} is out of range; allowed [1, {MAX_TOKENS:g}] tokens"
    try:
        ttft, tpot = latency_limits(cell_text(r.get("latency_constraint")))
    except InputError as err:
        return str(err)
    platform = cell_text(r.get("platform"))
    tp = documented_tp(platform, count * per_accelerator, chip_id)
    if isinstance(tp, str):
        return tp
    tp_units = None if tp is None else documented_tp_units(platform, chip_id)
    pp = None
    if tp is None:  # an MLPerf platform names no layout; the submission's code may (DOCUMENTED_LAYOUTS)
        found = documented_layout(cell_text(r.get("benchmark")), cell_text(r.get("submitter")), platform, model_id, kind)
        if found is not None:
            tp, pp = found
            if (count * per_accelerator) % (tp * pp):
                return (f"the submission's code documents TP{tp} PP{pp}, which does not divide the row's "
                        f"{count * per_accelerator:g} accelerators")
        tp_units = tp
    fraction, budget = documented_runtime(cell_text(r.get("benchmark")), cell_text(r.get("submitter")), platform,
                                          model_id, kind)
    return Measured(
        row=i, row_id=label(cell_text(r.get("row_id")) or i + 1), chip_id=chip_id, model_id=model_id, precision=prec,
        scenario=kind, accelerators=count * per_accelerator, input_tokens=t_in, output_tokens=t_out,
        batch=batch, ttft_limit=ttft, tpot_limit=tpot,
        measured=value / per_accelerator, source=label(cell_text(r.get("source_family")) or cell_text(r.get("benchmark"))),
        benchmark=label(cell_text(r.get("benchmark"))), accelerator=label(accelerator, 80),
        tp=None if tp is None else float(tp),
        tp_units=None if tp_units is None else float(tp_units),
        pp=None if pp is None else float(pp),
        input_log_sd=sd_in, output_log_sd=sd_out, output_cv=profile.output_cv if profile else 0.0,
        memory_fraction=fraction, batched_tokens=budget,
    )


_TP_ONLY = re.compile(r"TP\s*(\d+)(?![\w.])(.*)", re.S)
#: NeuronCores per chip, for layouts the AWS Neuron tables give in cores ("TP24 NeuronCores"):
#: two NeuronCore-v2 per Inferentia2 chip and per Trainium chip (AWS Neuron documentation,
#: "Inferentia2 Architecture" and "Trainium Architecture").
NEURON_CORES_PER_CHIP = {"aws_inferentia2": 2, "aws_trainium1": 2}


def documented_tp(platform: str, accelerators: float, chip_id: str = "") -> int | None | str:
    """The tensor-parallel degree, in chips, a row's ``platform`` documents -- ``"TP8"``, ``"TP8
    (EP per doc defaults)"``, ``"TP24 NeuronCores"`` (cores, converted with
    :data:`NEURON_CORES_PER_CHIP`) -- or ``None`` when it documents none or more than tensor
    parallelism (a pipeline or data-parallel split, e.g. ``"TP4 PP2"``, is left to the tuner); a
    reason string when the degree cannot run on the row's accelerators."""
    units = documented_tp_units(platform, chip_id)
    if units is None:
        return None
    tp = units // NEURON_CORES_PER_CHIP[chip_id] if _in_cores(platform) else units
    if tp < 1 or accelerators % tp:
        return f"platform {label(platform, 40)!r} documents TP{tp}, which does not divide the row's {accelerators:g} accelerators"
    return tp


def _in_cores(platform: str) -> bool:
    return bool(re.search(r"neuron\s*cores?", platform, re.I))


def documented_tp_units(platform: str, chip_id: str = "") -> int | None:
    """The documented tensor-parallel degree in the runtime's own units: NeuronCores for the AWS
    Neuron tables (the degree its attention heads are padded to), chips otherwise; ``None`` as
    :func:`documented_tp`."""
    m = _TP_ONLY.fullmatch(platform.strip())
    if not m or re.search(r"\b(PP|DP)\s*\d", m.group(2)):
        return None
    units = int(m.group(1))
    if _in_cores(m.group(2)):
        cores = NEURON_CORES_PER_CHIP.get(chip_id)
        if cores is None or units % cores:
            return None
    return units


def scenarios(rows: list[dict]) -> tuple[list[Measured], list[tuple[int, str]]]:
    """Modelable rows and ``(row index, reason)`` for the rest."""
    ok, skipped = [], []
    for i, r in enumerate(rows):
        s = scenario_from_row(i, r)
        (ok.append(s) if isinstance(s, Measured) else skipped.append((i, s)))
    return ok, skipped
