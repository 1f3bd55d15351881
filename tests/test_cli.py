"""The command line: JSON keys, clear one-line errors with status 2, validate on any CSV."""

import csv
import hashlib
import json
import os
import subprocess
import sys
from importlib import resources

import pytest

from workbook.calibration import fitting
from cli_helpers import run_cli

ESTIMATE_KEYS = {"ttft_s", "tpot_s", "tokens_per_s_per_chip", "usd_per_million_tokens", "joules_per_token", "bound", "elasticity"}




def test_estimate_json(capsys):
    code, out, _ = run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3-70b", "--chips", "8", "--json")
    assert code == 0
    r = json.loads(out)
    assert ESTIMATE_KEYS <= set(r)
    assert set(r["elasticity"]) == {"memory_bandwidth", "compute", "interconnect"}
    assert r["bound"] in ("compute", "memory", "interconnect", "overhead")
    assert r["tokens_per_s_per_chip"] > 0 and r["usd_per_million_tokens"] > 0


def test_estimate_price_flows_into_cost(capsys):
    args = ("estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3-8b", "--batch", "32", "--json")
    a = json.loads(run_cli(capsys, *args, "--price", "2")[1])
    b = json.loads(run_cli(capsys, *args, "--price", "4")[1])
    assert b["usd_per_million_tokens"] == pytest.approx(2 * a["usd_per_million_tokens"], rel=1e-5)


def test_estimate_picks_enough_chips(capsys):
    r = json.loads(run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3.1-405b", "--precision", "fp8", "--json")[1])
    assert r["chips"] == 8 and r["memory_gb_per_chip"] <= r["memory_gb_usable_per_chip"]


@pytest.mark.parametrize("args,message", [
    (("--chip", "nvidia_h100", "--model", "llama-3-70b"), "unknown chip 'nvidia_h100'; did you mean nvidia_h100_sxm"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3-70b", "--batch", "4096", "--chips", "2"), "does not fit on 2 x nvidia_h100_sxm"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3-70b", "--batch", "-3"), "--batch: -3 is out of range; allowed whole numbers in [1, 1e+06]"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3-70b", "--price", "-1"), "--price: -1 is out of range; allowed [0, 10000] USD per chip-hour"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3-70b", "--precision", "fp3"), "precision: unknown value 'fp3'"),
    (("--chip", "nvidia_h100_sxm", "--model", "llama-3.1-405b", "--chips", "2"), "at least 6 chips"),
])
def test_bad_input_is_one_line_and_status_2(capsys, args, message):
    code, out, err = run_cli(capsys, "estimate", *args)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err, err


def test_module_entry_point_and_no_traceback():
    r = subprocess.run([sys.executable, "-m", "workbook", "estimate", "--chip", "x", "--model", "y"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.startswith("workbook: error:")


def test_chips_json_has_sources(capsys):
    code, out, _ = run_cli(capsys, "chips", "--json")
    chips = json.loads(out)
    assert code == 0 and len(chips) >= 24
    q = chips[0]["quantities"]["memory_bandwidth"]
    assert {"value", "status", "source", "date"} <= set(q)


def _subset(tmp_path, n=40, extra_rows=()):
    src = resources.files("workbook.data").joinpath("benchmarks_calibration.csv")
    with open(src, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for _, r in zip(range(n), reader)]
        cols = reader.fieldnames
    path = tmp_path / "rows.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        w.writerows(rows)
        for r in extra_rows:
            w.writerow({**rows[0], **r})
    return path


def test_validate_json_and_skips(tmp_path, capsys):
    path = _subset(tmp_path, extra_rows=[{"chip_id": "unknown_chip"}, {"model_id": "gpt-9"}, {"batch": "garbage", "value_per_accelerator": "n/a"}])
    out_csv = tmp_path / "pred.csv"
    code, out, _ = run_cli(capsys, "validate", str(path), "--json", "--out", str(out_csv))
    assert code == 0
    r = json.loads(out)
    for k in ("rows", "predicted", "skipped", "mdape", "within_25pct", "offline_mdape", "offline_within_25pct"):
        assert k in r
    assert r["rows"] == 43 and r["predicted"] + r["skipped"] == 43 and r["skipped"] >= 3
    assert any("not in the catalog" in k for k in r["skipped_reasons"])
    assert 0 <= r["within_25pct"] <= 1 and r["mdape"] >= 0
    with open(out_csv) as fh:
        assert sum(1 for _ in fh) == 44


def test_validate_missing_column_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    p.write_text("chip_id,model_id\nnvidia_h100_sxm,llama-3-70b\n")
    code, _, err = run_cli(capsys, "validate", str(p))
    assert code == 2 and "missing column(s) accelerator_count" in err
    code, _, err = run_cli(capsys, "validate", str(tmp_path / "nope.csv"))
    assert code == 2 and "no such file" in err


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def no_prediction(monkeypatch):
    """Predicting fails the test: cheap checks (paths, sizes) must come first."""
    def forbidden(*a, **k):
        raise AssertionError("rows were predicted before the paths were checked")
    monkeypatch.setattr(fitting, "predict", forbidden)


def test_validate_refuses_bad_paths_before_any_work(tmp_path, capsys, no_prediction):
    src = _subset(tmp_path, n=5)
    digest = _digest(src)
    existing = tmp_path / "old.csv"
    existing.write_text("keep me")
    cases = [
        (["--out", str(tmp_path / "missing" / "p.csv")], "does not exist; create it first"),
        (["--out", str(tmp_path)], "is a directory; allowed: a file path"),
        (["--out", str(src)], "is the input file; an input is never overwritten"),
        (["--out", str(src), "--force"], "is the input file; an input is never overwritten"),
        (["--out", str(existing)], "already exists; pass --force to replace it"),
    ]
    if os.path.isdir("/proc/self"):
        cases.append((["--out", "/proc/self/p.csv"], "cannot write in the folder /proc/self"))
    for extra, message in cases:
        code, out, err = run_cli(capsys, "validate", str(src), *extra)
        assert code == 2 and message in err and err.count("\n") == 1, (extra, err)
    assert _digest(src) == digest and existing.read_text() == "keep me"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes read-only files")
def test_validate_refuses_an_unwritable_output(tmp_path, capsys, no_prediction):
    src = _subset(tmp_path, n=5)
    ro = tmp_path / "ro.csv"
    ro.write_text("x")
    ro.chmod(0o444)
    code, _, err = run_cli(capsys, "validate", str(src), "--out", str(ro), "--force")
    assert code == 2 and "is not writable" in err


@pytest.mark.parametrize("make,message", [
    (lambda d: d, "is a directory; allowed: a CSV file"),
    (lambda d: d / "nope.csv", "no such file"),
])
def test_validate_refuses_directories_and_missing_files(tmp_path, capsys, make, message):
    code, _, err = run_cli(capsys, "validate", str(make(tmp_path)))
    assert code == 2 and message in err and "Traceback" not in err


def test_validate_survives_hostile_rows(tmp_path, capsys):
    path = _subset(tmp_path, n=6, extra_rows=[
        {"latency_constraint": "TTFT<=1.2.3 ms", "scenario_kind": "server"},
        {"latency_constraint": "TTFT < 2000", "scenario_kind": "server"},
        {"batch": "-4"}, {"batch": "2.5"}, {"source_family": "z" * 200_000},
    ])
    digest = _digest(path)
    code, _, err = run_cli(capsys, "validate", str(path))
    assert code == 2 and "a field is longer than 131,072 characters" in err
    path = _subset(tmp_path, n=6, extra_rows=[
        {"latency_constraint": "TTFT<=1.2.3 ms", "scenario_kind": "server"},
        {"latency_constraint": "TTFT < 2000", "scenario_kind": "server"},
        {"latency_constraint": "TTFT<=2,000 ms, TPOT ≤ 200 ms", "scenario_kind": "server"},
        {"batch": "-4"}, {"batch": "2.5"}, {"chip_id": "evil\x1b[31m\nchip"},
    ])
    digest = _digest(path)
    out_csv = tmp_path / "pred.csv"
    code, out, err = run_cli(capsys, "validate", str(path), "--json", "--out", str(out_csv))
    assert code == 0, err
    r = json.loads(out)
    reasons = " | ".join(r["skipped_reasons"])
    assert "cannot read the TTFT limit" in reasons and "has no unit" in reasons
    assert "batch '-4' is not a whole number" in reasons and "batch '2.5' is not a whole number" in reasons
    assert "chip evil?[31m?chip not in the catalog" in reasons
    assert r["rows"] == 12 and r["skipped"] >= 5 and r["predicted"] + r["skipped"] == 12
    assert _digest(path) == digest
    code, out, _ = run_cli(capsys, "validate", str(path))  # text: one line per reason, no escape codes
    assert code == 0 and "\x1b" not in out


def test_validate_force_replaces_an_existing_output(tmp_path, capsys):
    src = _subset(tmp_path, n=5)
    out_csv = tmp_path / "pred.csv"
    out_csv.write_text("old")
    code, _, _ = run_cli(capsys, "validate", str(src), "--out", str(out_csv), "--force")
    assert code == 0 and out_csv.read_text().startswith("row,row_id,chip_id")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv", "rows.csv"]  # no temporary file left


def test_calibrate_refuses_the_packaged_file_without_force(capsys, monkeypatch):
    monkeypatch.setattr(fitting, "fit_calibration", lambda *a, **k: pytest.fail("fitted before checking --out"))
    code, _, err = run_cli(capsys, "calibrate", "--out", str(fitting.CALIBRATION_FILE))
    assert code == 2 and "is the packaged calibration every estimate reads; pass --force" in err


def test_estimate_json_is_strict_and_finite_at_a_price_of_zero(capsys):
    code, out, _ = run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3-8b", "--price", "0", "--json")
    r = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert code == 0 and r["usd_per_million_tokens"] == 0.0
    assert all(v == v and abs(v) < 1e30 for v in r["elasticity_all"].values())


@pytest.mark.parametrize("args,message", [
    (("--batch", "abc"), "--batch: 'abc' is not a number; allowed whole numbers in [1, 1e+06]"),
    (("--price", "x" * 1000), "--price: 'xxxxxxxx"),
    (("--input-tokens", "nan"), "--input-tokens: nan is not a finite number"),
    (("--chips", "1e400"), "--chips: inf is not a finite number"),
])
def test_hostile_numbers_are_one_short_line(capsys, args, message):
    code, _, err = run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3-8b", *args)
    assert code == 2 and message in err and err.count("\n") == 1 and len(err) < 300


def test_help_exits_zero(capsys):
    assert run_cli(capsys, "--help")[0] == 0
    assert run_cli(capsys, "validate", "--help")[0] == 0


def test_estimate_reports_the_layout_and_where_a_decode_step_goes(capsys):
    r = json.loads(run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3.1-70b", "--precision", "bf16",
                           "--batch", "1", "--chips", "8", "--input-tokens", "1024", "--output-tokens", "128", "--json")[1])
    assert r["parallelism"] == {"tp": 8, "pp": 1, "ep": 1, "dp": 1} and r["layout"] == "tp"
    parts = r["decode_breakdown"]
    assert set(parts) == {"compute", "memory", "interconnect", "overhead"}
    # the bandwidth elasticity is memory's share of the step (compute is negligible at batch 1)
    assert r["elasticity"]["memory_bandwidth"] == pytest.approx(parts["memory"] / sum(parts.values()), abs=0.08)


def test_estimate_picks_expert_parallelism_for_deepseek_when_it_is_faster(capsys):
    r = json.loads(run_cli(capsys, "estimate", "--chip", "nvidia_b200_hgx", "--model", "deepseek-r1", "--batch", "256",
                           "--chips", "8", "--input-tokens", "4096", "--output-tokens", "1024", "--json")[1])
    assert r["parallelism"]["ep"] == 8 and "ep" in r["layout"]


def test_estimate_says_when_a_format_is_emulated(capsys):
    r = json.loads(run_cli(capsys, "estimate", "--chip", "nvidia_a100_80gb_sxm", "--model", "llama-3-8b", "--precision", "fp8",
                           "--json")[1])
    assert r["emulated"] is True and r["math_format_bits"] == 16 and "no units for fp8" in r["emulation_note"]


def test_estimate_labels_chips_without_measured_rows_prior_only(capsys):
    r = json.loads(run_cli(capsys, "estimate", "--chip", "google_tpu_v6e", "--model", "llama-3.1-8b", "--json")[1])
    assert r["calibration_status"] == "prior only" and r["calibrated"] is False
    r = json.loads(run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3.1-8b", "--json")[1])
    assert r["calibration_status"] == "calibrated" and r["calibrated"] is True
