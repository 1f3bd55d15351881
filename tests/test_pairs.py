"""Chip-pair and scenario ratios (workbook/calibration/pairs.py) on rows with known answers."""

import math

import numpy as np
import pytest

from workbook.calibration import pairs
from workbook.calibration.measurements import Measured


def row(chip, scenario, measured, model="llama-2-70b", benchmark="MLPerf Inference v5.1", accelerators=8.0,
        batch=None):
    return Measured(row=0, row_id="r", chip_id=chip, model_id=model, precision="fp8", scenario=scenario,
                    accelerators=accelerators, input_tokens=512.0, output_tokens=294.0, batch=batch,
                    ttft_limit=2.0 if scenario != "offline" else None, tpot_limit=0.2 if scenario != "offline" else None,
                    measured=measured, source="MLPerf", benchmark=benchmark)


def test_pair_ratio_is_the_ratio_of_medians_and_its_error():
    rows = [row("nvidia_h100_sxm", "offline", m) for m in (90.0, 100.0, 110.0)] + [
        row("nvidia_h200_sxm", "offline", m) for m in (130.0, 140.0)]
    pred = [100.0, 100.0, 100.0, 120.0, 120.0]
    (rec,) = pairs.pair_ratios(rows, pred)
    assert (rec["a"], rec["b"], rec["rows_a"], rec["rows_b"]) == ("nvidia_h100_sxm", "nvidia_h200_sxm", 3, 2)
    assert rec["measured_ratio"] == pytest.approx(1.35)  # median(130, 140) / median(90, 100, 110)
    assert rec["predicted_ratio"] == pytest.approx(1.2)
    assert rec["error"] == pytest.approx(round(1.2 / 1.35 - 1, 3))
    s = pairs.pair_summary([rec, {**rec, "error": 0.05}])
    assert s == {"n": 2, "median_abs_error": pytest.approx((abs(rec["error"]) + 0.05) / 2, abs=1e-3),
                 "within_10pct": 0.5}


def test_rows_of_other_rounds_or_unpredicted_rows_do_not_pair():
    rows = [row("nvidia_h100_sxm", "offline", 100.0, benchmark="MLPerf Inference v4.1"),
            row("nvidia_h200_sxm", "offline", 140.0), row("nvidia_h100_sxm", "offline", 100.0)]
    assert pairs.pair_ratios(rows, [100.0, 120.0, math.nan]) == []
    assert pairs.pair_summary([]) == {"n": 0, "median_abs_error": None, "within_10pct": None}


def test_scenario_ratio_cancels_the_offline_error():
    # predicted offline is 30 % low on both systems; the server/offline ratio is what is tested
    rows = [row("nvidia_h100_sxm", "offline", 100.0), row("nvidia_h100_sxm", "server", 94.0),
            row("nvidia_h200_sxm", "offline", 200.0), row("nvidia_h200_sxm", "server", 180.0),
            row("nvidia_h200_sxm", "interactive", 100.0),
            row("nvidia_b200_hgx", "server", 500.0)]  # no offline row: no ratio
    pred = [70.0, 70.0 * 0.92, 140.0, 140.0 * 0.9, 140.0 * 0.6, 400.0]
    out = {(r["scenario"], r["model"]): r for r in pairs.scenario_ratios(rows, np.array(pred))}
    assert set(out) == {("server", "llama-2-70b"), ("interactive", "llama-2-70b")}
    s = out[("server", "llama-2-70b")]
    assert s["systems"] == 2
    assert s["measured_ratio"] == pytest.approx((0.94 + 0.9) / 2)
    assert s["predicted_ratio"] == pytest.approx((0.92 + 0.9) / 2)
    assert s["median_abs_error"] == pytest.approx((abs(0.92 / 0.94 - 1) + 0.0) / 2, abs=1e-3)
    i = out[("interactive", "llama-2-70b")]
    assert (i["systems"], i["measured_ratio"], i["predicted_ratio"]) == (1, 0.5, 0.6)


def test_round_ratio_is_newest_over_oldest_round_of_the_same_system():
    rows = [row("nvidia_h100_sxm", "offline", m, benchmark="MLPerf Inference v4.1") for m in (90.0, 100.0, 110.0)] + [
        row("nvidia_h100_sxm", "offline", 125.0, benchmark="MLPerf Inference v5.0"),
        row("nvidia_h100_sxm", "offline", 130.0, benchmark="MLPerf Inference v5.1"),
        row("nvidia_h100_sxm", "offline", 500.0, benchmark="MLPerf Inference v5.1", accelerators=16.0),  # other shape
        row("nvidia_h100_sxm", "offline", 140.0, benchmark="TensorRT-LLM perf overview"),  # not a round
        row("nvidia_h200_sxm", "offline", 140.0, benchmark="MLPerf Inference v5.1")]  # one round only
    pred = [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 120.0]
    (rec,) = pairs.round_ratios(rows, pred)
    assert (rec["chip"], rec["accelerators"], rec["old"], rec["new"], rec["rows_old"], rec["rows_new"]) == (
        "nvidia_h100_sxm", 8.0, "v4.1", "v5.1", 3, 1)
    assert rec["measured_ratio"] == pytest.approx(1.3) and rec["predicted_ratio"] == pytest.approx(1.0)
    assert pairs.round_summary([rec, {**rec, "measured_ratio": 0.9}]) == {
        "n": 2, "median_abs_drift": pytest.approx(0.2), "max_ratio": pytest.approx(1.3)}
    assert pairs.round_summary([]) == {"n": 0, "median_abs_drift": None, "max_ratio": None}


def test_round_names_sort_as_versions_not_text():
    assert pairs.mlperf_round("MLPerf Inference v5.1") == (5, 1)
    assert pairs.mlperf_round("MLPerf Inference v10.0") > pairs.mlperf_round("MLPerf Inference v5.1")
    assert pairs.mlperf_round("SGLang large-scale EP blog") is None


def test_round_floor_is_the_error_of_each_systems_own_median():
    # one shape in two rounds (three rows), one shape in a single round: only the first counts
    rows = [row("nvidia_h100_sxm", "offline", m, benchmark=b) for m, b in (
        (100.0, "MLPerf Inference v4.1"), (100.0, "MLPerf Inference v4.1"), (150.0, "MLPerf Inference v5.1"))] + [
        row("nvidia_h200_sxm", "offline", 70.0), row("nvidia_h200_sxm", "offline", 130.0)]
    f = pairs.round_floor(rows)
    assert f["rows"] == 3  # median 100: errors 0, 0, 1/3
    assert f["mdape"] == 0.0 and f["mean_ape"] == pytest.approx(100 * (1 / 3) / 3, abs=0.1)
    assert pairs.round_floor(rows[3:]) == {"rows": 0, "mdape": None, "mean_ape": None}


def test_matched_errors_compare_a_scenario_with_the_offline_rows_of_the_same_systems():
    rows = [row("nvidia_h100_sxm", "offline", 100.0), row("nvidia_h100_sxm", "server", 100.0),
            row("nvidia_h200_sxm", "offline", 100.0), row("nvidia_h200_sxm", "server", 100.0),
            row("nvidia_b200_hgx", "offline", 100.0),  # offline only: not in the comparison
            row("nvidia_h200_sxm", "interactive", 100.0)]
    pred = [110.0, 130.0, 90.0, 100.0, 200.0, 150.0]
    m = pairs.matched_scenario_errors(rows, np.array(pred))
    assert m["server"] == {"systems": 2, "rows": 2, "mdape": 15.0, "offline_rows": 2, "offline_mdape": 10.0}
    assert m["interactive"] == {"systems": 1, "rows": 1, "mdape": 50.0, "offline_rows": 1, "offline_mdape": 10.0}
    assert pairs.matched_scenario_errors(rows[4:5], [200.0])["server"] == {
        "systems": 0, "rows": 0, "mdape": None, "offline_rows": 0, "offline_mdape": None}
