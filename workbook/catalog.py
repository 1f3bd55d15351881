"""The chip and model catalogs: specs as data, each number with its source, date and status.

Files (in ``workbook/data``, see its README): ``chips.csv`` (one row per number:
``chip_id, quantity, value, low, high, unit, status, source, date, note``),
``chip_info.csv`` (vendor, name, family, availability) and ``models.csv`` (published
architecture shapes). Users add their own chips and models from a dict or a CSV file with
the same validation (:func:`add_chip`, :func:`add_model`, :func:`load_chips_file`,
:func:`load_models_file`).

Only the standard library is used here, so ``import workbook`` stays fast.
"""

from __future__ import annotations

import csv
import difflib
import math
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
}

# Erdil (2025), "Inference economics of language models" (Epoch AI): a collective costs
# 6 us plus 2 us per sqrt(G) - 1 hops. Used for every chip: vendors publish no such figure.
DEFAULT_INTERCONNECT_LATENCY = 6e-6

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


def _unknown(kind: str, key: str, known) -> InputError:
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return InputError(f"unknown {kind} {key!r}{hint} (see `workbook {kind}s` for the list)")


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
    if chip_id not in _CHIPS:
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
    if model_id not in _MODELS:
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


def model_from_dict(d: dict, name: str = "model") -> Model:
    """A validated :class:`Model` from a mapping of its fields (strings or numbers).

    Raises :class:`InputError` naming the field, the value and the allowed range, for
    missing fields, non-numbers, out-of-range values and impossible combinations.
    """
    vals = {}
    for f in Model._fields:
        raw = d.get(f, "")
        if raw in ("", None):
            if f in MODEL_INT_FIELDS:
                raise InputError(f"model {name!r}: missing field {f}")
            raw = 0
        if str(raw).strip().lower() in ("true", "false", "yes", "no"):
            raw = 1 if str(raw).strip().lower() in ("true", "yes") else 0
        lo, hi = MODEL_RANGES[f]
        vals[f] = require(f"model {name!r}: {f}", _float(f, raw, f"model {name!r}"), low=lo, high=hi)
    if "attention" in d and d["attention"] and "mla" not in d:
        vals["mla"] = 1.0 if str(d["attention"]).lower() == "mla" else 0.0
    m = Model(**vals)
    if m.n_heads % m.n_kv_heads:
        raise InputError(f"model {name!r}: n_heads = {m.n_heads:g} must be a multiple of n_kv_heads = {m.n_kv_heads:g}")
    if m.n_experts_active > m.n_experts:
        raise InputError(f"model {name!r}: n_experts_active = {m.n_experts_active:g} must be <= n_experts = {m.n_experts:g}")
    if m.n_experts > 0 and (m.d_ff_expert <= 0 or m.n_experts_active < 1):
        raise InputError(f"model {name!r}: an MoE model (n_experts = {m.n_experts:g}) needs d_ff_expert > 0 and n_experts_active >= 1")
    if m.n_dense_layers > m.n_layers or m.n_sliding_layers > m.n_layers:
        raise InputError(f"model {name!r}: n_dense_layers and n_sliding_layers must be <= n_layers = {m.n_layers:g}")
    if m.mla and (m.kv_lora_rank <= 0 or m.v_head_dim <= 0):
        raise InputError(f"model {name!r}: MLA attention needs kv_lora_rank > 0 and v_head_dim > 0")
    return m


def add_model(model_id: str, fields: dict, *, name: str | None = None, source: str = "user") -> Model:
    """Validate ``fields`` (see :class:`Model`) and add the model under ``model_id``."""
    _load_builtin()
    spec = model_from_dict(fields, name=model_id)
    _MODELS[model_id] = ModelEntry(model_id, spec, {"model_id": model_id, "name": name or model_id, "source": source, **{k: str(v) for k, v in fields.items()}})
    return spec


def add_chip(chip_id: str, fields: dict, *, name: str | None = None, source: str = "user", date: str = "",
             status: str = "estimate") -> Chip:
    """Validate ``fields`` ({quantity: value}, SI units) and add the chip under ``chip_id``.

    Missing FP8/FP4/INT8 peaks fall back to the next wider precision (status ``derived``);
    a missing interconnect latency takes Erdil's 6 us. Every other quantity is required.
    User numbers are labelled ``status`` (default ``estimate``: nobody has checked them).
    """
    _load_builtin()
    unknown = [k for k in fields if k not in CHIP_RANGES]
    if unknown:
        raise InputError(f"chip {chip_id!r}: unknown field(s) {', '.join(unknown)}; allowed {', '.join(CHIP_RANGES)}")
    vals = {k: _float(k, v, f"chip {chip_id!r}") for k, v in fields.items() if v not in ("", None)}
    numbers = {q: Number(x, None, None, CHIP_RANGES[q][2], status, source, date) for q, x in vals.items()}
    for narrow, wide in (("peak_flops_fp8", "peak_flops_bf16"), ("peak_flops_fp4", "peak_flops_fp8"), ("peak_ops_int8", "peak_flops_fp8")):
        if narrow not in numbers and wide in numbers:
            numbers[narrow] = Number(numbers[wide].value, None, None, CHIP_RANGES[narrow][2], "derived", source, date,
                                     f"not given: modelled at the {wide} rate")
    numbers.setdefault("sram_capacity", Number(0.0, None, None, "bytes", "derived", source, date, "not given"))
    entry = _entry_from_numbers(chip_id, {"chip_id": chip_id, "name": name or chip_id, "family": "user", "availability": "user"}, numbers)
    _CHIPS[chip_id] = entry
    return entry.spec()


def load_chips_file(path: str | Path) -> list[str]:
    """Add every chip of a CSV file with columns ``chip_id, quantity, value`` (wide files:
    ``chip_id`` plus one column per quantity) and return their ids."""
    rows = _read_csv(path)
    if not rows:
        raise InputError(f"{path}: no rows")
    added: dict[str, dict] = {}
    if "quantity" in rows[0]:
        for r in rows:
            added.setdefault(r["chip_id"], {})[r["quantity"]] = r["value"]
    else:
        for r in rows:
            cid = r.pop("chip_id", None)
            if not cid:
                raise InputError(f"{path}: every row needs a chip_id")
            added[cid] = {k: v for k, v in r.items() if k in CHIP_RANGES}
    for cid, fields in added.items():
        add_chip(cid, fields, source=str(path))
    return list(added)


def load_models_file(path: str | Path) -> list[str]:
    """Add every model of a CSV file with the columns of ``models.csv``; return their ids."""
    ids = []
    for r in _read_csv(path):
        if not r.get("model_id"):
            raise InputError(f"{path}: every row needs a model_id")
        add_model(r["model_id"], r, name=r.get("name"), source=str(path))
        ids.append(r["model_id"])
    return ids
