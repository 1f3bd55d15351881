"""The ``workbook market`` and ``workbook shift`` commands: JSON keys, figures that agree with the
library, and one-line errors with status 2."""

import json

import pytest

from workbook import cli


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def market_json():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(["market", "--json"]) == 0
    return json.loads(buf.getvalue())


def test_market_json_has_prices_utilisation_margins_and_the_derivative(market_json):
    r = market_json
    suppliers = {"hyperscaler", "neocloud", "decentralized"}
    for key in ("prices", "utilisation", "margins"):
        assert set(r[key]) == suppliers, key
    assert all(r["prices"][s] > r["unit_costs"][s] * 0.5 for s in suppliers)
    assert all(0 < r["utilisation"][s] <= 1 for s in suppliers)
    assert r["d_price_decentralized_d_hyperscaler_cost"] > 0
    assert 0 < r["elasticity_price_decentralized_hyperscaler_cost"] < 1
    assert r["max_log_excess_demand"] < 1e-3
    assert r["usd_per_million_tokens"]["decentralized"]["large"] is None  # not offered: too slow
    assert r["chips"]["decentralized"] == "nvidia_rtx_4090"


def test_market_json_matches_the_library(market_json):
    from workbook.econ import market as mk

    eq = mk.equilibrium_checked(mk.market_params(), mk.market_hardware())
    assert market_json["prices"]["decentralized"] == pytest.approx(float(eq.price[2]), rel=1e-5)


def test_shift_json_counts_prompts(capsys):
    code, out, _ = _run(capsys, "shift", "--json")
    assert code == 0
    r = json.loads(out)
    for key in ("compute_crossover_tokens", "dollar_crossover_tokens", "input_tokens", "output_tokens"):
        assert key in r, key
    assert r["input_tokens"] == 2048 and r["output_tokens"] == 512
    # 3 D / (1 + 2048/512) = 0.6 D (hand calculation)
    assert r["compute_crossover_tokens"] == pytest.approx(0.6 * 1.5e13, rel=1e-9)
    assert r["dollar_crossover_tokens"] == pytest.approx(r["training_cost_usd"] / r["usd_per_million_output_tokens"] * 1e6,
                                                         rel=1e-9)
    assert r["chips_per_replica"] == 2 and r["layout"] == "tp"


def test_shift_utilisation_raises_the_cost_per_token(capsys):
    full = json.loads(_run(capsys, "shift", "--json")[1])
    half = json.loads(_run(capsys, "shift", "--json", "--utilisation", "0.5")[1])
    assert half["usd_per_million_output_tokens"] == pytest.approx(2 * full["usd_per_million_output_tokens"], rel=1e-9)
    assert half["dollar_crossover_tokens"] == pytest.approx(full["dollar_crossover_tokens"] / 2, rel=1e-9)


@pytest.mark.parametrize("argv, field", [
    (["shift", "--utilisation", "0"], "--utilisation"),
    (["shift", "--utilisation", "1.5"], "--utilisation"),
    (["shift", "--training-tokens", "-1"], "--training-tokens"),
    (["shift", "--input-tokens", "x"], "--input-tokens"),
    (["shift", "--chip", "no_such_chip"], "--chip"),
    (["shift", "--model", "no_such_model"], "--model"),
    (["shift", "--mfu", "2"], "--mfu"),
    (["market", "--hyperscaler-cost-factor", "abc"], "--hyperscaler-cost-factor"),
    (["market", "--hyperscaler-cost-factor", "0"], "--hyperscaler-cost-factor"),
    (["market", "--decentralized-chip", "no_such_gpu"], "--decentralized-chip"),
    (["market", "--tpot-limit", "-1"], "--tpot-limit"),
    (["market", "--bogus"], "unrecognized"),
])
def test_bad_options_give_one_line_and_status_2(capsys, argv, field):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("workbook: error:") and field in err
