"""``workbook negotiate``: per-scenario JSON fields, the price cap, one-line errors with status 2."""

import json

import pytest

from cli_helpers import run_cli

KEYS = {"list_price", "negotiated_price", "disagreement_cost", "mix", "leverage_usd", "converged", "kkt_residual"}




def test_negotiate_json_one_scenario(capsys):
    code, out, err = run_cli(capsys, "negotiate", "--scenario", "+ Maia 200 on Azure", "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert KEYS <= set(row)
    assert row["scenario"] == "+ Maia 200 on Azure"
    assert 0 < row["negotiated_price"] <= row["list_price"] + 1e-7  # never above list
    assert row["converged"] is True and row["kkt_residual"] < 1e-6
    assert sum(row["mix"].values()) == pytest.approx(1.0, abs=1e-4)
    # discount off list times the contract's discounted volume: Q = 2e9 M tokens a year over 2 years
    # at 10 %: (1 - exp(-0.2)) / 0.1 = 1.812692 years
    volume = 2e9 * 1.812692
    assert row["leverage_usd"] == pytest.approx((row["list_price"] - row["negotiated_price"]) * volume, rel=1e-5)
    assert row["leverage_usd"] > 0


def test_negotiate_shortage_one_is_list(capsys):
    code, out, _ = run_cli(capsys, "negotiate", "--scenario", "NVIDIA only", "--shortage", "1", "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["negotiated_price"] == pytest.approx(row["list_price"], rel=1e-3)
    assert row["leverage_usd"] == pytest.approx(0.0, abs=1e-3 * row["list_price"] * 4e9)


def test_negotiate_text(capsys):
    code, out, _ = run_cli(capsys, "negotiate", "--scenario", "NVIDIA only", "--protocol", "rubinstein")
    assert code == 0
    assert "rubinstein" in out and "NVIDIA only" in out and "converged" in out


@pytest.mark.parametrize("args,message", [
    (("--scenario", "nope"), "--scenario: unknown value 'nope'; allowed: NVIDIA only"),
    (("--protocol", "auction"), "--protocol: unknown value 'auction'; allowed: nash, rubinstein"),
    (("--shortage", "1.5"), r"--shortage: 1.5 is out of range; allowed [0, 1]"),
    (("--shortage", "x"), "--shortage: 'x' is not a number"),
])
def test_negotiate_bad_input_one_line_status_2(capsys, args, message):
    code, out, err = run_cli(capsys, "negotiate", *args)
    assert code == 2 and out == ""
    assert message in err
    assert err.count("\n") == 1
