"""The command line: JSON keys, clear one-line errors with status 2, validate on any CSV."""

import csv
import json
import subprocess
import sys
from importlib import resources

import pytest

from workbook.cli import main

ESTIMATE_KEYS = {"ttft_s", "tpot_s", "tokens_per_s_per_chip", "usd_per_million_tokens", "joules_per_token", "bound", "elasticity"}


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_estimate_json(capsys):
    code, out, _ = run_cli(capsys, "estimate", "--chip", "nvidia_h100_sxm", "--model", "llama-3-70b", "--chips", "8", "--json")
    assert code == 0
    r = json.loads(out)
    assert ESTIMATE_KEYS <= set(r)
    assert set(r["elasticity"]) == {"memory_bandwidth", "compute", "interconnect"}
    assert r["bound"] in ("compute", "memory", "interconnect")
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
