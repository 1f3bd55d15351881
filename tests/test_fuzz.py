"""Fuzzing with hypothesis: hostile input never gives a traceback, a NaN or a changed input file.

Four surfaces, each with random and hostile values (empty, NaN, inf, 1e400, negative, huge,
fractional, control characters, binary bytes, very long strings):

* the command line, ``workbook.cli.main([...])`` in-process: exit status 0 or 2, stderr one
  line (``workbook: error: ...`` or ``workbook: warning: ...``) and never a traceback, JSON
  strict (no NaN or Infinity), no ``nan``/``inf`` printed, input files byte for byte unchanged;
* ``workbook validate`` on generated CSV files (hostile cells in every column);
* the file loaders (``catalog.load_chips_file``, ``load_models_file``,
  ``measurements.read_rows``) and ``add_chip``/``add_model`` on random bytes, CSV text and
  values: a result or :class:`~workbook.errors.InputError`, and the catalog unchanged after
  an error (all or nothing);
* the controls of every panel of :mod:`workbook.ui` set to random values: no exception leaves
  the panel, an error shown is an ``InputError`` (any other type is a bug), the data drawn
  and the summary hold no NaN or inf;
* the elasticities at fields of 0 (an empty prompt, a free chip): finite.

Deterministic (``derandomize=True``, no example database); about 40 s on two cores.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workbook import catalog
from workbook.calibration import fitting, measurements
from workbook.cli import main
from workbook.errors import InputError

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

HOSTILE_TEXT = ["", " ", "-1", "0", "-0", "1e400", "-1e400", "nan", "NaN", "inf", "-inf", "1e-320", "2.5",
                "0x10", "1_000", "9" * 400, "\x00", "a\nb", "\x1b[31mred", "None", "[]", "{}", "💥", "--json",
                "-h", "1,000", "TTFT<=2000 ms", "ÿþ", "x" * 5000]
NUMBER_TEXT = st.one_of(
    st.sampled_from(["1", "2", "8", "64", "256", "1024", "4096", "100000", "1e6", "1e7", "1e9"]),
    st.sampled_from(HOSTILE_TEXT),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**9, 10**12).map(str),
    st.text(max_size=12),
)


def mostly(valid, hostile=st.sampled_from(HOSTILE_TEXT) | NUMBER_TEXT, odds: int = 6):
    """``valid`` most of the time, ``hostile`` about once in ``odds`` draws: enough valid input
    reaches the model for its outputs to be checked, enough hostile input to probe the checks."""
    return st.integers(0, odds - 1).flatmap(lambda k: hostile if k == 0 else valid)


NUMBER_WORD = re.compile(r"(?<![\w.])[-+]?(nan|inf|infinity)(?![\w])", re.I)


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def no_nan(x) -> None:
    """Walk parsed JSON: every number finite."""
    if isinstance(x, dict):
        for v in x.values():
            no_nan(v)
    elif isinstance(x, list):
        for v in x:
            no_nan(v)
    elif isinstance(x, float):
        assert math.isfinite(x), x


def strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON output")
    data = json.loads(text, parse_constant=refuse)
    no_nan(data)
    return data


def check_run(argv, code, out, err, json_out: bool, text_numbers: bool = True) -> None:
    event(f"exit status {code}")
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    lines = err.splitlines()
    assert all(line.startswith(("workbook: error:", "workbook: warning:")) for line in lines), (argv, err)
    if code == 2:
        assert sum(line.startswith("workbook: error:") for line in lines) == 1, (argv, err)
        assert all(ch.isprintable() for line in lines for ch in line), (argv, err)
    if code == 0 and json_out:
        strict_json(out)
    elif code == 0 and text_numbers:
        assert not NUMBER_WORD.search(out), (argv, out)


# --------------------------------------------------------------------------------- the CLI

CHIPS = catalog.chip_ids()[:24]
MODELS = catalog.model_ids()


@st.composite
def estimate_argv(draw):
    valid = {
        "--precision": st.sampled_from(["bf16", "fp8", "fp4", "int8", "int4", "fp16"]),
        "--batch": st.sampled_from(["1", "2", "7", "16", "64", "256", "1000"]),
        "--input-tokens": st.sampled_from(["1", "128", "1000", "8192", "100000", "1e7"]),
        "--output-tokens": st.sampled_from(["1", "64", "256", "4096", "1e7"]),
        "--chips": st.sampled_from(["1", "2", "8", "64", "1000"]),
        "--price": st.sampled_from(["0", "0.01", "2.5", "1e4"]),
    }
    argv = ["estimate", "--chip", draw(mostly(st.sampled_from(CHIPS), odds=8)),
            "--model", draw(mostly(st.sampled_from(MODELS), odds=8))]
    for option, values in valid.items():
        if draw(st.booleans()):
            argv += [option, draw(mostly(values, odds=8))]
    for flag in ("--json", "--roofline"):
        if draw(st.booleans()):
            argv.append(flag)
    return argv


@settings(FUZZ, max_examples=150)
@given(argv=estimate_argv())
def test_estimate_never_crashes_or_prints_nan(argv):
    code, out, err = run(argv)
    check_run(argv, code, out, err, json_out="--json" in argv)


TOKENS = ["chips", "models", "estimate", "validate", "--json", "--out", "--force", "--roofline", "--chip",
          "--model", "--batch", "--help", "-h", "nvidia_h100_sxm", "llama-3-8b", "/nonexistent/x.csv", "/dev/null",
          "--", "-", "", "\x00", "💥", "--price", "1e400", "nan"]


@settings(FUZZ, max_examples=100)
@given(tokens=st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=6))
def test_any_argument_list_exits_0_or_2(tokens):
    if tokens[:1] == ["calibrate"]:  # (never drawn: calibrate without --out would fit for 40 s)
        return
    code, out, err = run(tokens)
    check_run(tokens, code, out, err, json_out="--json" in tokens and "--help" not in tokens
              and "-h" not in tokens, text_numbers=False)


@pytest.fixture
def no_fit(monkeypatch):
    monkeypatch.setattr(fitting, "fit_calibration", lambda *a, **k: pytest.fail("fitted before checking --out"))


@settings(FUZZ, max_examples=14)
@given(kind=st.sampled_from(["packaged", "existing", "directory", "missing folder", "empty", "nul", "long"]),
       force=st.booleans())
def test_calibrate_refuses_bad_outputs_before_fitting(no_fit, kind, force):
    with tempfile.TemporaryDirectory() as tmp:
        existing = Path(tmp) / "cal.json"
        existing.write_text("{}")
        out = {"packaged": str(fitting.CALIBRATION_FILE), "existing": str(existing), "directory": tmp,
               "missing folder": str(Path(tmp) / "no" / "cal.json"), "empty": "", "nul": "a\x00b",
               "long": str(Path(tmp) / ("x" * 300))}[kind]
        packaged = sha(fitting.CALIBRATION_FILE)
        argv = ["calibrate", "--out", out] + (["--force"] if force else [])
        if force and kind in ("packaged", "existing", "long"):
            return  # with --force these are written, after a 40 s fit
        code, stdout, err = run(argv)
        check_run(argv, code, stdout, err, json_out=False)
        assert code == 2, (kind, err)
        assert sha(fitting.CALIBRATION_FILE) == packaged and existing.read_text() == "{}"


# ------------------------------------------------------------------------- validate FILE.csv

COLUMNS = ["row_id", "benchmark", "chip_id", "accelerator_count", "model_id", "precision_id", "scenario_kind",
           "workload", "input_tokens_mean", "output_tokens_mean", "batch", "value_per_accelerator",
           "latency_constraint", "source_family"]
CELLS = {
    "chip_id": st.one_of(st.sampled_from(["nvidia_h100_sxm", "amd_mi300x", "nvidia_b200_hgx", "google_tpu_v6e"]),
                         st.sampled_from(HOSTILE_TEXT)),
    "model_id": st.one_of(st.sampled_from(["llama-2-70b", "llama-3.1-8b", "mixtral-8x7b"]), st.sampled_from(HOSTILE_TEXT)),
    "precision_id": st.sampled_from(["fp8", "fp4", "bf16", "int8", "", "fp3", "\x00"]),
    "scenario_kind": st.sampled_from(["offline", "server", "interactive", "latency", "other", ""]),
    "workload": st.sampled_from(["mlperf-llama2-70b-openorca", "mlperf-llama3.1-8b-cnndm", "", "mystery"]),
    "latency_constraint": st.one_of(st.sampled_from([
        "", "none (Offline)", "TTFT<=2000 ms (p99), TPOT<=200 ms (p99)", "TTFT<=2,000 ms", "TTFT < 2000",
        "TTFT ≤ 2 s, TPOT ≤ 40ms", "TTFT<=1.2.3 ms", "TTFT<=abc ms", "p99 <= 2 s", "TTFT<=1e400 ms",
        "TTFT<=0 ms", "TPOT<=nan ms"]), st.text(max_size=30)),
    "benchmark": st.sampled_from(["MLPerf v5.0", "TRT-LLM", "", "x\ny"]),
    "source_family": st.sampled_from(["MLPerf Inference", "", "AWS Neuron"]),
    "row_id": st.one_of(st.sampled_from(["1", "", "\x1b[2J"]), st.text(max_size=5)),
}


VALID_CELLS = {
    "chip_id": st.sampled_from(["nvidia_h100_sxm", "amd_mi300x", "nvidia_b200_hgx", "google_tpu_v6e"]),
    "model_id": st.sampled_from(["llama-2-70b", "llama-3.1-8b", "mixtral-8x7b"]),
    "precision_id": st.sampled_from(["fp8", "fp4", "bf16"]),
    "scenario_kind": st.sampled_from(["offline", "server", "interactive", "latency"]),
    "workload": st.sampled_from(["mlperf-llama2-70b-openorca", "mlperf-llama3.1-8b-cnndm"]),
    "accelerator_count": st.sampled_from(["1", "8", "8.0", "72"]),
    "value_per_accelerator": st.sampled_from(["50", "1000", "3062.72", "20000"]),
    "input_tokens_mean": st.sampled_from(["", "128", "2048"]),
    "output_tokens_mean": st.sampled_from(["", "128", "2048"]),
    "batch": st.sampled_from(["", "", "1", "8.0"]),
    "latency_constraint": st.sampled_from(["", "none (Offline)", "TTFT<=2000 ms (p99), TPOT<=200 ms (p99)",
                                           "TTFT<=2,000 ms", "TTFT ≤ 2 s, TPOT ≤ 40ms"]),
}


def cell(column):
    hostile = CELLS.get(column, NUMBER_TEXT)
    return mostly(VALID_CELLS[column], hostile, odds=25) if column in VALID_CELLS else hostile


@st.composite
def benchmark_csv(draw):
    columns = [c for c in COLUMNS if c in measurements.REQUIRED_COLUMNS or draw(st.booleans())]
    if draw(st.integers(0, 9)) == 0:  # now and then a required column is missing
        columns = columns[1:]
    rows = [[draw(cell(c)) for c in columns] for _ in range(draw(st.integers(1, 3)))]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


@settings(FUZZ, max_examples=80)
@given(content=mostly(benchmark_csv(), st.binary(max_size=300).map(lambda b: b.decode("latin-1")), odds=5),
       out=mostly(st.sampled_from([None, "new"]), st.sampled_from(["input", "existing", "directory", "missing folder"]),
                  odds=3),
       force=st.booleans(), json_out=st.booleans())
def test_validate_any_file(content, out, force, json_out):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "rows.csv"
        src.write_text(content, encoding="utf-8", errors="surrogatepass")
        existing = Path(tmp) / "old.csv"
        existing.write_text("keep")
        before = sha(src)
        argv = ["validate", str(src)]
        target = {None: None, "new": Path(tmp) / "pred.csv", "input": src, "existing": existing,
                  "directory": Path(tmp), "missing folder": Path(tmp) / "no" / "p.csv"}[out]
        if target is not None:
            argv += ["--out", str(target)]
        argv += ["--force"] * force + ["--json"] * json_out
        code, stdout, err = run(argv)
        check_run(argv, code, stdout, err, json_out=json_out, text_numbers=False)
        if code == 0 and json_out:
            event(f"rows predicted: {json.loads(stdout)['predicted']}")
        assert sha(src) == before, "the input file changed"
        if out == "existing" and not force:
            assert existing.read_text() == "keep"
        if out in ("input", "directory", "missing folder"):
            assert code == 2
        leftovers = [p.name for p in Path(tmp).iterdir() if p.name.startswith(".")]
        assert not leftovers, f"temporary files left: {leftovers}"


# --------------------------------------------------------------------------------- loaders


@pytest.fixture
def catalog_snapshot():
    catalog.chip_ids()
    chips, models = dict(catalog._CHIPS), dict(catalog._MODELS)
    yield
    catalog._CHIPS.clear()
    catalog._CHIPS.update(chips)
    catalog._MODELS.clear()
    catalog._MODELS.update(models)


CHIP_COLUMNS = ["chip_id", "quantity", "value", "name", *catalog.CHIP_RANGES, "junk"]
MODEL_COLUMNS = ["model_id", "name", "attention", *catalog.Model._fields, "junk"]


@st.composite
def catalog_csv(draw, columns):
    cols = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=8, unique=True))
    ids = st.one_of(st.sampled_from(["nvidia_h100_sxm", "llama-3-8b", "mine", "mine2"]), st.sampled_from(HOSTILE_TEXT))
    rows = [[draw(ids) if c in ("chip_id", "model_id") else draw(NUMBER_TEXT) for c in cols]
            for _ in range(draw(st.integers(0, 4)))]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8", "surrogatepass")


LOADERS = [catalog.load_chips_file, catalog.load_models_file, measurements.read_rows]


@settings(FUZZ, max_examples=150)
@given(loader=st.sampled_from(LOADERS), replace=st.booleans(),
       content=st.one_of(st.binary(max_size=400), catalog_csv(CHIP_COLUMNS), catalog_csv(MODEL_COLUMNS)))
def test_loaders_give_a_result_or_one_input_error(catalog_snapshot, loader, replace, content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "user.csv"
        path.write_bytes(content)
        ids_before = (catalog.chip_ids(), catalog.model_ids())
        try:
            result = loader(path) if loader is measurements.read_rows else loader(path, replace=replace)
        except InputError as err:
            assert "\n" not in str(err) and len(str(err)) < 2000
            assert (catalog.chip_ids(), catalog.model_ids()) == ids_before, "a failed load changed the catalog"
        else:
            assert isinstance(result, list)
            if loader is catalog.load_chips_file:
                for cid in result:
                    assert all(math.isfinite(x) for x in catalog.chip(cid))
        assert path.read_bytes() == content


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(HOSTILE_TEXT), st.lists(st.floats(0, 1e13), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


@settings(FUZZ, max_examples=100)
@given(chip_id=st.one_of(st.sampled_from(["mine", "nvidia_h100_sxm"]), st.sampled_from(HOSTILE_TEXT), VALUES),
       changes=st.dictionaries(st.sampled_from([*catalog.CHIP_RANGES, "junk"]), VALUES, max_size=3),
       replace=st.booleans())
def test_add_chip_with_hostile_values(catalog_snapshot, chip_id, changes, replace):
    fields = {**catalog.chip("nvidia_h100_sxm")._asdict(), **changes}
    before = catalog.chip_ids()
    try:
        spec = catalog.add_chip(chip_id, fields, replace=replace)
    except InputError as err:
        assert "\n" not in str(err) and len(str(err)) < 2000
        assert catalog.chip_ids() == before
    else:
        assert all(math.isfinite(x) for x in spec)


@settings(FUZZ, max_examples=100)
@given(model_id=st.one_of(st.sampled_from(["mine", "llama-3-70b"]), st.sampled_from(HOSTILE_TEXT), VALUES),
       changes=st.dictionaries(st.sampled_from([*catalog.Model._fields, "attention", "junk"]), VALUES, max_size=3),
       replace=st.booleans())
def test_add_model_with_hostile_values(catalog_snapshot, model_id, changes, replace):
    fields = {**catalog.model("llama-3-70b")._asdict(), **changes}
    before = catalog.model_ids()
    try:
        spec = catalog.add_model(model_id, fields, replace=replace)
    except InputError as err:
        assert "\n" not in str(err) and len(str(err)) < 2000
        assert catalog.model_ids() == before
    else:
        assert all(math.isfinite(x) and x == round(x) for x in spec)


# --------------------------------------------------------------------------------- the panels


@pytest.fixture(scope="module")
def panels():
    ui = pytest.importorskip("workbook.ui")
    built = {"comparison": ui.ChipComparisonPanel(), "sensitivity": ui.SensitivityPanel(),
             "shift": ui.ShiftPanel(), "sourcing": ui.SourcingPanel(), "market": ui.MarketPanel()}
    return {k: (p, {name: w.value for name, w in p.controls.items()}) for k, p in built.items()}


FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -1.0, 1e-300, 1e300]),
                   st.floats(-10.0, 10.0), st.floats(0.0, 1e4))


@st.composite
def control_values(draw, panel, initial):
    """A few (control, value) settings: an option for a choice; for a number, mostly one in the
    control's range (or near its first value), now and then a hostile one."""
    import ipywidgets as widgets

    names = draw(st.lists(st.sampled_from(sorted(panel.controls)), min_size=1, max_size=3, unique=True))
    out = []
    for name in names:
        w = panel.controls[name]
        if isinstance(w, widgets.widget_selection._Selection):
            out.append((name, "index", draw(st.integers(0, len(w.options) - 1))))
        elif isinstance(w.value, int) and not isinstance(w.value, bool):
            lo, hi = getattr(w, "min", 0), getattr(w, "max", 10**6)
            out.append((name, "value", draw(mostly(st.integers(lo, hi), st.integers(-10, 10**7), odds=4))))
        else:
            if hasattr(w, "min") and hasattr(w, "max"):
                lo, hi = (w.base ** w.min, w.base ** w.max) if hasattr(w, "base") else (w.min, w.max)
            else:
                lo, hi = 0.2 * abs(initial[name]), 5.0 * abs(initial[name]) + 1e-9
            out.append((name, "value", draw(mostly(st.floats(lo, hi), FLOATS, odds=4))))
    return out


def _set(w, attr, value) -> None:
    from traitlets import TraitError

    try:
        setattr(w, attr, value)
    except TraitError:  # the widget itself refuses it (an int control given NaN): not the panel's business
        pass


@pytest.mark.parametrize("which", ["comparison", "sensitivity", "shift", "sourcing", "market"])
@settings(FUZZ, max_examples=25)
@given(data=st.data(), together=st.booleans())
def test_panel_controls_with_random_values(panels, which, data, together):
    panel, initial = panels[which]
    with panel.holding():  # every example starts from the panel's first settings
        for name, value in initial.items():
            _set(panel.controls[name], "value", value)
    assert panel.last_error is None, panel.message.value
    settings_ = data.draw(control_values(panel, initial))
    if together:
        with panel.holding():
            for name, attr, value in settings_:
                _set(panel.controls[name], attr, value)
    else:
        for name, attr, value in settings_:
            _set(panel.controls[name], attr, value)
    err = panel.last_error
    event(f"{which}: {'message shown' if err else 'drawn'}")
    if err is not None:
        event(f"{which}: {str(err)[:70]}")
    assert err is None or isinstance(err, InputError), f"{which}: {type(err).__name__}: {err} after {settings_}"
    assert "Traceback" not in panel.message.value and "\n" not in panel.message.value
    for name, df in panel.last_frames.items():
        numbers = df.select_dtypes("number")
        assert numbers.isna().sum().sum() == 0 or df.empty, (which, name)
        assert all(math.isfinite(x) for x in numbers.to_numpy().ravel()), (which, name)
    assert not NUMBER_WORD.search(re.sub(r"<[^>]+>", " ", panel.summary.value)), (which, panel.summary.value)
    for chart in panel.chart_widgets.values():
        json.dumps(chart.spec, allow_nan=False)


# ------------------------------------------------------------- elasticities at zero fields


@settings(FUZZ, max_examples=40)
@given(chip_id=st.sampled_from(CHIPS), model_id=st.sampled_from(["llama-3-8b", "llama-3-70b", "mixtral-8x7b"]),
       precision=st.sampled_from(["bf16", "fp8", "fp4"]), batch=st.sampled_from([1.0, 8.0, 64.0]),
       prompt=st.sampled_from([0.0, 1.0, 128.0, 4096.0]), free=st.booleans(), chips=st.sampled_from([1.0, 8.0]))
def test_elasticities_are_finite_at_a_zero_price_or_prompt(chip_id, model_id, precision, batch, prompt, free, chips):
    """A field of 0 (an empty prompt, a free chip) has elasticity 0, and the cost's elasticities
    at a price of 0 are their limit: finite, never 0 * inf = NaN."""
    from workbook import analysis
    from workbook.specs import workload

    chip = catalog.chip(chip_id)
    chip = chip._replace(price=0.0) if free else chip
    w = workload(precision, batch=batch, input_tokens=prompt, chips=chips)
    chip_e, w_e, perf = analysis.serving_elasticities(chip, catalog.model(model_id), w)
    if float(perf.fits) < 0.5:
        event("does not fit")
        return
    event(f"prompt {prompt:g}, {'free' if free else 'priced'}")
    for rec in (chip_e, w_e):
        for field in rec._fields:
            values = [float(x) for x in getattr(rec, field)]
            assert all(math.isfinite(x) for x in values), (field, values)
    assert float(w_e.input_tokens[0]) == 0.0 or prompt > 0
