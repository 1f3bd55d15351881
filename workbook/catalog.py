"""The chip and model catalogs: specs as data, each number with its source, date and status.

Files (in ``workbook/data``, see its README): ``chips.csv`` (one row per number:
``chip_id, quantity, value, low, high, unit, status, source, date, note``),
``chip_info.csv`` (vendor, name, family, availability) and ``models.csv`` (published
architecture shapes). Users add their own chips and models from a dict or a CSV file with
the same validation (:func:`add_chip`, :func:`add_model`, :func:`load_chips_file`,
:func:`load_models_file`). Adding is all or nothing (a bad row leaves the catalog as it was),
and an id that is already in the catalog is replaced only with ``replace=True``, so the
provenance of a catalog number is never lost by accident.

Only the standard library is used here, so ``import workbook`` stays fast.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from workbook.errors import InputError, require
from workbook.specs import Chip, Model

STATUSES = ("vendor-spec", "vendor-claim", "reported", "derived", "estimate")

# Allowed ranges for chip quantities, SI units. Wide enough for every real chip (a
# Cerebras wafer moves 2.1e16 B/s) and narrow enough to catch unit slips (TB/s typed as B/s).
CHIP_RANGES: dict[str, tuple[float, float, str]] = {
    "peak_flops_bf16": (1e11, 1e19, "FLOP/s"),
    "peak_flops_fp8": (1e11, 1e19, "FLOP/s"),
    "peak_flops_fp4": (1e11, 1e19, "FLOP/s"),
    "peak_ops_int8": (1e11, 1e19, "OP/s"),
    "memory_capacity": (1e7, 1e14, "bytes"),
    "memory_bandwidth": (1e9, 1e17, "bytes/s"),
    "sram_capacity": (0.0, 1e12, "bytes"),
    "interconnect_bandwidth": (1e8, 1e15, "bytes/s"),
    "interconnect_latency": (1e-8, 1e-2, "s"),
    "power": (1.0, 1e6, "W"),
    "price": (0.0, 1e4, "USD/chip-hour"),
    "scale_up_chips": (1.0, 1e6, "chips"),
    "scale_out_bandwidth": (1e8, 1e15, "bytes/s"),
}

# Erdil (2025), "Inference economics of language models" (Epoch AI): a collective costs
# 6 us plus 2 us per sqrt(G) - 1 hops. Used for every chip: vendors publish no such figure.
DEFAULT_INTERCONNECT_LATENCY = 6e-6

#: Columns of ``models.csv`` that describe a model rather than its shape (kept as its info).
MODEL_INFO_KEYS = ("model_id", "name", "attention", "params_total", "params_active", "source", "date", "note")
ATTENTION_KINDS = ("", "gqa", "mha", "mla")
#: Largest user file :func:`load_chips_file` / :func:`load_models_file` read.
MAX_FILE_BYTES = 5_000_000
MAX_ROWS = 10_000
MAX_ID_LENGTH = 100

MODEL_INT_FIELDS = (
    "n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff", "vocab_size",
)
MODEL_RANGES: dict[str, tuple[float, float]] = {
    "n_layers": (1, 1000), "d_model": (16, 1e6), "n_heads": (1, 1e4), "n_kv_heads": (1, 1e4),
    "head_dim": (1, 4096), "d_ff": (1, 1e7), "vocab_size": (2, 1e7), "tied_embeddings": (0, 1),
    "n_experts": (0, 1e5), "n_experts_active": (0, 1e4), "n_shared_experts": (0, 1e3),
    "d_ff_expert": (0, 1e7), "n_dense_layers": (0, 1000), "mla": (0, 1), "kv_lora_rank": (0, 1e5),
    "q_lora_rank": (0, 1e5), "qk_nope_head_dim": (0, 4096), "qk_rope_head_dim": (0, 4096),
    "v_head_dim": (0, 4096), "sliding_window": (0, 1e8), "n_sliding_layers": (0, 1000),
    "max_context": (0, 1e8),
}


@dataclass(frozen=True)
class Number:
    """One catalog number with its provenance."""

    value: float
    low: float | None
    high: float | None
    unit: str
    status: str
    source: str
    date: str
    note: str = ""


@dataclass
class ChipEntry:
    chip_id: str
    info: dict
    numbers: dict[str, Number] = field(default_factory=dict)

    def spec(self, which: str = "value") -> Chip:
        """The chip's :class:`Chip`; ``which`` = ``value``, ``low`` or ``high``."""
        vals = {}
        for q in Chip._fields:
            n = self.numbers[q]
            v = getattr(n, which) if which != "value" else n.value
            vals[q] = float(n.value if v is None else v)
        return Chip(**vals)


@dataclass
class ModelEntry:
    model_id: str
    spec: Model
    info: dict


_CHIPS: dict[str, ChipEntry] = {}
_MODELS: dict[str, ModelEntry] = {}


def _data_path(name: str):
    return resources.files("workbook.data").joinpath(name)


def _read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def check_input_file(path, max_bytes: int) -> None:
    """:class:`InputError` unless ``path`` is an existing regular file of at most ``max_bytes``."""
    if "\x00" in str(path):
        raise InputError(f"{str(path)!r}: a path cannot hold a NUL character")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot be read ({getattr(err, 'strerror', None) or err})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory; allowed: a CSV file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is not a regular file; allowed: a CSV file")
    if st.st_size > max_bytes:
        raise InputError(f"{path}: {st.st_size / 1e6:.1f} MB is too large; allowed at most {max_bytes / 1e6:g} MB "
                         "(split the file)")


def csv_error_text(err: Exception) -> str:
    """Python's csv error in words a user can act on."""
    text = str(err)
    if "field larger than field limit" in text:
        return (f"a field is longer than {csv.field_size_limit():,} characters (allowed at most that; "
                "is this a CSV file?)")
    if "NUL" in text:
        return "contains a NUL byte (allowed: text only; is this a CSV file?)"
    return text


def read_csv_file(path, *, max_bytes: int = MAX_FILE_BYTES, max_rows: int = MAX_ROWS,
                  required=(), extra_fields: bool = False) -> list[dict]:
    """The rows of a user's CSV file, or :class:`InputError` saying why it cannot be read.

    Refused, before anything is parsed where possible: a missing file, a directory, a file
    over ``max_bytes``, text that is not UTF-8 (a byte-order mark is fine), a field over
    Python's csv field limit, more than ``max_rows`` rows, a header without the ``required``
    columns, and (unless ``extra_fields``) a row with more fields than the header.
    """
    check_input_file(path, max_bytes)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            try:
                cols = reader.fieldnames
                if not cols:
                    raise InputError(f"{path}: empty file (no header row)"
                                     + (f"; required columns: {', '.join(required)}" if required else ""))
                missing = [c for c in required if c not in cols]
                if missing:
                    raise InputError(f"{path}: missing column(s) {', '.join(missing)}; required: {', '.join(required)}")
                rows = []
                for r in reader:
                    if None in r and not extra_fields:
                        raise InputError(f"{path}: line {reader.line_num} has more fields than the header")
                    if len(rows) == max_rows:
                        raise InputError(f"{path}: more than {max_rows:,} rows; allowed at most {max_rows:,} "
                                         "(split the file)")
                    rows.append(r)
                return rows
            except csv.Error as err:
                raise InputError(f"{path}: line {reader.line_num}: {csv_error_text(err)}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text (CSV) file") from None
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror or err})") from None


def _shown(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "..." + text[-1]


def _check_id(kind: str, value) -> str:
    """A catalog id: a non-empty one-line string of at most ``MAX_ID_LENGTH`` printable characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise InputError(f"{kind}_id: {_shown(value)} is not allowed; allowed: a non-empty string of at most "
                         f"{MAX_ID_LENGTH} printable characters")
    return value.strip()


def _check_text(field: str, value, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{where}: {field} = {_shown(value)} is not a string")
    return value


def _scalar(field: str, raw, where: str):
    """A single number or numeric string from a user mapping (None or '' for "not given"),
    or :class:`InputError` for anything else (arrays, lists, booleans, mappings)."""
    if raw is None or isinstance(raw, str):
        return None if raw is None or not raw.strip() else raw
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) and getattr(raw, "shape", None) != ():
        raise InputError(f"{where}: {field} = {_shown(raw)} is not a single number")
    return raw


def _float(field_name: str, raw, where: str) -> float:
    try:
        x = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {field_name} = {raw!r} is not a number") from None
    if not math.isfinite(x):
        raise InputError(f"{where}: {field_name} = {raw!r} is not a finite number")
    return x


def _check_chip_value(chip_id: str, q: str, x: float) -> None:
    lo, hi, unit = CHIP_RANGES[q]
    if not (lo <= x <= hi) or (x <= 0 and q not in ("sram_capacity", "price")):
        raise InputError(
            f"chip {chip_id!r}: {q} = {x:g} {unit} is out of range; allowed {lo:g} to {hi:g} {unit}"
            + (" and > 0" if lo == 0 and q not in ("sram_capacity", "price") else "")
        )


def _entry_from_numbers(chip_id: str, info: dict, numbers: dict[str, Number]) -> ChipEntry:
    if "interconnect_latency" not in numbers:
        numbers["interconnect_latency"] = Number(
            DEFAULT_INTERCONNECT_LATENCY, 2e-6, 20e-6, "s", "estimate",
            "Erdil 2025, Inference economics of language models (Epoch AI)", "2025",
            "latency of one collective; no vendor publishes it",
        )
    if "scale_up_chips" not in numbers:
        numbers["scale_up_chips"] = Number(
            8.0, 1.0, 72.0, "chips", "estimate", "workbook default: an 8-accelerator server (HGX, MI300X platform)",
            "2024", "not given for this chip: assumed one 8-chip scale-up domain")
    if "scale_out_bandwidth" not in numbers:
        numbers["scale_out_bandwidth"] = Number(
            50e9, 12.5e9, 100e9, "bytes/s", "estimate", "workbook default: one 400 Gb/s NIC per accelerator (DGX H100 datasheet)",
            "2024", "not given for this chip: assumed 400 Gb/s per chip between servers")
    missing = [q for q in Chip._fields if q not in numbers]
    if missing:
        raise InputError(f"chip {chip_id!r}: missing field(s) {', '.join(missing)}; every chip needs {', '.join(Chip._fields)}")
    for q, n in numbers.items():
        _check_chip_value(chip_id, q, n.value)
        if n.status not in STATUSES:
            raise InputError(f"chip {chip_id!r}: {q} status {n.status!r} is not one of {', '.join(STATUSES)}")
        if n.low is not None and n.high is not None and not (n.low <= n.value <= n.high):
            raise InputError(f"chip {chip_id!r}: {q} needs low <= value <= high, got {n.low:g} <= {n.value:g} <= {n.high:g}")
    return ChipEntry(chip_id, info, numbers)


def _load_builtin() -> None:
    if _CHIPS:
        return
    info = {r["chip_id"]: r for r in _read_csv(_data_path("chip_info.csv"))}
    rows: dict[str, dict[str, Number]] = {}
    for r in _read_csv(_data_path("chips.csv")):
        where = f"chips.csv chip {r['chip_id']!r}"
        q = r["quantity"]
        if q not in CHIP_RANGES:
            raise InputError(f"{where}: unknown quantity {q!r}; allowed {', '.join(CHIP_RANGES)}")
        rows.setdefault(r["chip_id"], {})[q] = Number(
            _float("value", r["value"], where),
            _float("low", r["low"], where) if r.get("low") else None,
            _float("high", r["high"], where) if r.get("high") else None,
            r.get("unit", CHIP_RANGES[q][2]), r["status"], r["source"], r["date"], r.get("note", ""),
        )
    for chip_id, numbers in rows.items():
        _CHIPS[chip_id] = _entry_from_numbers(chip_id, info.get(chip_id, {"chip_id": chip_id}), numbers)
    for r in _read_csv(_data_path("models.csv")):
        _MODELS[r["model_id"]] = ModelEntry(r["model_id"], model_from_dict(r, name=r["model_id"]), r)


def _unknown(kind: str, key, known) -> InputError:
    close = (difflib.get_close_matches(key, list(known), n=3, cutoff=0.3)
             if isinstance(key, str) and len(key) <= MAX_ID_LENGTH else [])
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return InputError(f"unknown {kind} {_shown(key)}{hint} (see `workbook {kind}s` for the list)")


def chip_ids() -> list[str]:
    """Ids of every chip, catalog order."""
    _load_builtin()
    return list(_CHIPS)


def model_ids() -> list[str]:
    """Ids of every model, catalog order."""
    _load_builtin()
    return list(_MODELS)


def chip_entry(chip_id: str) -> ChipEntry:
    """The catalog entry (spec numbers with provenance, and info) of ``chip_id``."""
    _load_builtin()
    if not isinstance(chip_id, str) or chip_id not in _CHIPS:
        raise _unknown("chip", chip_id, _CHIPS)
    return _CHIPS[chip_id]


def chip(chip_id: str, which: str = "value") -> Chip:
    """The :class:`Chip` of ``chip_id`` (central values, or ``low``/``high`` bounds)."""
    return chip_entry(chip_id).spec(which)


def chip_info(chip_id: str) -> dict:
    """Vendor, name, family, availability of ``chip_id``."""
    return chip_entry(chip_id).info


def model_entry(model_id: str) -> ModelEntry:
    _load_builtin()
    if not isinstance(model_id, str) or model_id not in _MODELS:
        raise _unknown("model", model_id, _MODELS)
    return _MODELS[model_id]


def model(model_id: str) -> Model:
    """The :class:`Model` of ``model_id``."""
    return model_entry(model_id).spec


def chip_table() -> list[dict]:
    """Every catalog number as a flat row: chip, quantity, value, low, high, unit, status, source, date, note."""
    _load_builtin()
    out = []
    for cid, e in _CHIPS.items():
        for q, n in e.numbers.items():
            out.append({"chip_id": cid, "name": e.info.get("name", cid), "quantity": q, **n.__dict__})
    return out


def _model_keys() -> set[str]:
    """Keys a model mapping may have: the :class:`Model` fields, ``MODEL_INFO_KEYS`` and every
    column of the packaged ``models.csv``."""
    global _MODEL_COLUMNS
    if _MODEL_COLUMNS is None:
        with open(_data_path("models.csv"), newline="", encoding="utf-8") as fh:
            _MODEL_COLUMNS = tuple(csv.DictReader(fh).fieldnames or ())
    return set(Model._fields) | set(MODEL_INFO_KEYS) | set(_MODEL_COLUMNS)


_MODEL_COLUMNS: tuple[str, ...] | None = None


def model_from_dict(d: Mapping, name: str = "model") -> Model:
    """A validated :class:`Model` from a mapping of its fields (strings or numbers).

    Raises :class:`InputError` naming the field, the value and the allowed range, for
    unknown keys, missing fields, non-numbers, fractional counts (every shape field is a
    whole number), out-of-range values and impossible combinations.
    """
    where = f"model {name!r}"
    if not isinstance(d, Mapping):
        raise InputError(f"{where}: fields must be a mapping {{field: value}}; got {type(d).__name__}")
    allowed = _model_keys()
    unknown = [k for k in d if k not in allowed]
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(_shown(k, 40) for k in unknown[:5])}; "
                         f"allowed {', '.join(Model._fields)} (and {', '.join(MODEL_INFO_KEYS)})")
    vals = {}
    for f in Model._fields:
        raw = _scalar(f, d.get(f), where)
        if raw is None:
            if f in MODEL_INT_FIELDS:
                raise InputError(f"{where}: missing field {f}")
            raw = 0
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "yes", "no"):
            raw = 1 if raw.strip().lower() in ("true", "yes") else 0
        lo, hi = MODEL_RANGES.get(f, (0, None))
        vals[f] = require(f"{where}: {f}", _float(f, raw, where), low=lo, high=hi, integer=f in MODEL_RANGES)
    attention = _check_text("attention", d.get("attention"), where).strip().lower()
    if attention not in ATTENTION_KINDS:
        raise InputError(f"{where}: attention = {_shown(attention)} is not allowed; allowed: "
                         f"{', '.join(k for k in ATTENTION_KINDS if k)} (or blank)")
    if attention and d.get("mla") in (None, ""):
        vals["mla"] = 1.0 if attention == "mla" else 0.0
    m = Model(**vals)
    if m.n_heads % m.n_kv_heads:
        raise InputError(f"{where}: n_heads = {m.n_heads:g} must be a multiple of n_kv_heads = {m.n_kv_heads:g}")
    if m.n_experts_active > m.n_experts:
        raise InputError(f"{where}: n_experts_active = {m.n_experts_active:g} must be <= n_experts = {m.n_experts:g}")
    if m.n_experts > 0 and (m.d_ff_expert <= 0 or m.n_experts_active < 1):
        raise InputError(f"{where}: an MoE model (n_experts = {m.n_experts:g}) needs d_ff_expert > 0 and n_experts_active >= 1")
    if m.n_dense_layers > m.n_layers or m.n_sliding_layers > m.n_layers:
        raise InputError(f"{where}: n_dense_layers and n_sliding_layers must be <= n_layers = {m.n_layers:g}")
    if m.mla and (m.kv_lora_rank <= 0 or m.v_head_dim <= 0):
        raise InputError(f"{where}: MLA attention needs kv_lora_rank > 0 and v_head_dim > 0")
    return m


def _refuse_existing(kind: str, ids, existing: dict, replace: bool) -> None:
    taken = [i for i in ids if i in existing]
    if taken and not replace:
        src = existing[taken[0]].info.get("source", "") if hasattr(existing[taken[0]], "info") else ""
        raise InputError(f"{kind}_id: {', '.join(_shown(i, 40) for i in taken[:3])} is already in the catalog"
                         + (f" (source: {src[:80]})" if src else "")
                         + f"; pass replace=True to replace it (its numbers and their sources are lost) or choose another id")


def _model_entry(model_id, fields: Mapping, name, source) -> ModelEntry:
    model_id = _check_id("model", model_id)
    spec = model_from_dict(fields, name=model_id)
    where = f"model {model_id!r}"
    info = {"model_id": model_id, "name": _check_text("name", name, where) or model_id,
            "source": _check_text("source", source, where),
            **{k: "" if v is None else str(v) for k, v in fields.items() if k not in ("model_id", "name", "source")}}
    return ModelEntry(model_id, spec, info)


def add_model(model_id: str, fields: Mapping, *, name: str | None = None, source: str = "user",
              replace: bool = False) -> Model:
    """Validate ``fields`` (see :class:`Model`) and add the model under ``model_id``.

    An id already in the catalog is refused unless ``replace=True``.
    """
    _load_builtin()
    entry = _model_entry(model_id, fields, name, source)
    _refuse_existing("model", [entry.model_id], _MODELS, replace)
    _MODELS[entry.model_id] = entry
    return entry.spec


def _chip_entry(chip_id, fields: Mapping, name, source, date, status) -> ChipEntry:
    """A validated :class:`ChipEntry` from a user's ``{quantity: value}`` (not added)."""
    chip_id = _check_id("chip", chip_id)
    where = f"chip {chip_id!r}"
    if not isinstance(fields, Mapping):
        raise InputError(f"{where}: fields must be a mapping {{quantity: value}}; got {type(fields).__name__}")
    name, source, date = (_check_text(k, v, where) for k, v in (("name", name), ("source", source), ("date", date)))
    if not isinstance(status, str) or status not in STATUSES:
        raise InputError(f"{where}: status = {_shown(status)} is not allowed; allowed: {', '.join(STATUSES)}")
    unknown = [k for k in fields if k not in CHIP_RANGES]
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(_shown(k, 40) for k in unknown[:5])}; "
                         f"allowed {', '.join(CHIP_RANGES)}")
    vals = {}
    for k, v in fields.items():
        raw = _scalar(k, v, where)
        if raw is not None:
            vals[k] = _float(k, raw, where)
    numbers = {q: Number(x, None, None, CHIP_RANGES[q][2], status, source, date) for q, x in vals.items()}
    for narrow, wide in (("peak_flops_fp8", "peak_flops_bf16"), ("peak_flops_fp4", "peak_flops_fp8"), ("peak_ops_int8", "peak_flops_fp8")):
        if narrow not in numbers and wide in numbers:
            numbers[narrow] = Number(numbers[wide].value, None, None, CHIP_RANGES[narrow][2], "derived", source, date,
                                     f"not given: modelled at the {wide} rate")
    numbers.setdefault("sram_capacity", Number(0.0, None, None, "bytes", "derived", source, date, "not given"))
    return _entry_from_numbers(chip_id, {"chip_id": chip_id, "name": name or chip_id, "family": "user",
                                         "availability": "user"}, numbers)


def add_chip(chip_id: str, fields: Mapping, *, name: str | None = None, source: str = "user", date: str = "",
             status: str = "estimate", replace: bool = False) -> Chip:
    """Validate ``fields`` ({quantity: value}, SI units) and add the chip under ``chip_id``.

    Missing FP8/FP4/INT8 peaks fall back to the next wider precision (status ``derived``);
    a missing interconnect latency takes Erdil's 6 us. Every other quantity is required.
    User numbers are labelled ``status`` (default ``estimate``: nobody has checked them).
    An id already in the catalog (a built-in chip, say) is refused unless ``replace=True``.
    """
    _load_builtin()
    entry = _chip_entry(chip_id, fields, name, source, date, status)
    _refuse_existing("chip", [entry.chip_id], _CHIPS, replace)
    _CHIPS[entry.chip_id] = entry
    return entry.spec()


def _unique_ids(path, rows: list[dict], kind: str) -> list[str]:
    """The ``{kind}_id`` of every row, or :class:`InputError` for a blank or repeated one."""
    ids, seen = [], set()
    for i, r in enumerate(rows, start=2):
        rid = (r.get(f"{kind}_id") or "").strip()
        if not rid:
            raise InputError(f"{path}: line {i}: every row needs a {kind}_id")
        if rid in seen:
            raise InputError(f"{path}: {kind} {_shown(rid, 40)} appears twice")
        seen.add(rid)
        ids.append(rid)
    return ids


def load_chips_file(path: str | Path, *, replace: bool = False) -> list[str]:
    """Add every chip of a CSV file and return their ids, all or none.

    Long files have columns ``chip_id, quantity, value`` (one row per number); wide files
    ``chip_id`` plus one column per quantity (and optionally ``name``). Every chip is
    validated before any is added; ids already in the catalog need ``replace=True``.
    """
    rows = read_csv_file(path, required=("chip_id",))
    if not rows:
        raise InputError(f"{path}: no rows")
    given: dict[str, dict] = {}
    names: dict[str, str] = {}
    if "quantity" in rows[0]:
        cols = set(rows[0])
        if "value" not in cols:
            raise InputError(f"{path}: missing column(s) value; required: chip_id, quantity, value")
        for i, r in enumerate(rows, start=2):
            cid, q = (r.get("chip_id") or "").strip(), (r.get("quantity") or "").strip()
            if not cid or not q:
                raise InputError(f"{path}: line {i}: every row needs a chip_id and a quantity")
            numbers = given.setdefault(cid, {})
            if q in numbers:
                raise InputError(f"{path}: chip {_shown(cid, 40)} gives {_shown(q, 40)} twice")
            numbers[q] = r.get("value")
    else:
        extra = [c for c in rows[0] if c not in CHIP_RANGES and c not in ("chip_id", "name")]
        if extra:
            raise InputError(f"{path}: unknown column(s) {', '.join(_shown(c, 40) for c in extra[:5])}; "
                             f"allowed chip_id, name, {', '.join(CHIP_RANGES)}")
        for cid, r in zip(_unique_ids(path, rows, "chip"), rows):
            given[cid] = {k: v for k, v in r.items() if k in CHIP_RANGES}
            names[cid] = r.get("name") or None
    _load_builtin()
    entries = [_chip_entry(cid, fields, names.get(cid), str(path), "", "estimate") for cid, fields in given.items()]
    _refuse_existing("chip", [e.chip_id for e in entries], _CHIPS, replace)
    for e in entries:
        _CHIPS[e.chip_id] = e
    return [e.chip_id for e in entries]


def load_models_file(path: str | Path, *, replace: bool = False) -> list[str]:
    """Add every model of a CSV file with the columns of ``models.csv``; return their ids, all or none.

    Every model is validated before any is added; ids already in the catalog need ``replace=True``.
    """
    rows = read_csv_file(path, required=("model_id",))
    if not rows:
        raise InputError(f"{path}: no rows")
    entries = [_model_entry(mid, r, r.get("name"), str(path)) for mid, r in zip(_unique_ids(path, rows, "model"), rows)]
    _load_builtin()
    _refuse_existing("model", [e.model_id for e in entries], _MODELS, replace)
    for e in entries:
        _MODELS[e.model_id] = e
    return [e.model_id for e in entries]
