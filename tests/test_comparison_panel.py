"""Headless widget tests: drive the controls, check the chart data and the messages."""

import pandas as pd
import pytest

from workbook.ui import charts, widgets


@pytest.fixture(scope="module")
def comparison():
    return widgets.ChipComparisonPanel(chip_ids=["nvidia_h100_sxm", "nvidia_b200_hgx", "google_tpu_v5e", "fractile_imc"])


@pytest.fixture(scope="module")
def sensitivity_panel():
    return widgets.SensitivityPanel()


def _dataset(panel):
    (rows,) = panel.chart.spec["datasets"].values()
    return rows


def test_comparison_batch_changes_chart(comparison):
    comparison.controls["chips"].value = 0
    before = comparison.last_data.copy()
    comparison.controls["batch"].value = 512
    after = comparison.last_data
    assert comparison.message.value == "" or "Not shown" not in comparison.message.value
    assert not before["value"].equals(after["value"])
    # the JupyterChart's spec carries the new rows
    assert [r["value"] for r in _dataset(comparison)] == list(after["value"])
    assert set(after["status"]) <= set(charts.STATUS_ORDER)


def test_comparison_price_override(comparison):
    comparison.controls["metric"].value = "usd_per_million_tokens"
    comparison.controls["price_chip"].value = "nvidia_h100_sxm"
    h100 = lambda: comparison.last_data.set_index("chip_id").loc["nvidia_h100_sxm", "value"]
    base_price = comparison.controls["price"].value
    cost = h100()
    comparison.controls["price"].value = 2 * base_price
    assert h100() == pytest.approx(2 * cost, rel=1e-4)
    comparison.controls["price"].value = base_price


def test_comparison_infeasible_shows_message(comparison):
    comparison.controls["chips"].value = 1
    comparison.controls["context"].value = 131072
    comparison.controls["batch"].value = 4096  # no chip holds 4096 x 131k tokens of KV cache
    assert "does not fit" in comparison.message.value
    comparison.controls["batch"].value = 64
    comparison.controls["context"].value = 2048
    comparison.controls["chips"].value = 0
    assert "Not shown" not in comparison.message.value


def test_comparison_bad_price_message(comparison):
    comparison.controls["price"].value = 0.0
    assert "price" in comparison.message.value
    comparison.controls["price"].value = 1.9
    assert "Not shown" not in comparison.message.value


def test_sensitivity_panel_updates_and_rejects(sensitivity_panel):
    p = sensitivity_panel
    bw = lambda: p.last_data.set_index("field").loc["memory_bandwidth", "elasticity"]
    p.controls["batch"].value = 1
    small = bw()
    p.controls["batch"].value = 256
    big = bw()
    assert small > big  # more batch, less bandwidth-bound
    n = p.updates
    p.controls["context"].value = 131072  # 256 x 131k tokens of KV cache: does not fit on 4 chips
    assert "does not fit" in p.message.value
    assert p.updates == n  # chart kept
    p.controls["context"].value = 2048
    assert "bound by" in p.message.value
    assert isinstance(p.last_data, pd.DataFrame)


def test_replace_data_keeps_dataset_name():
    df = pd.DataFrame({"name": ["a"], "value": [1.0], "status": ["estimate"]})
    spec = charts.chip_bar_chart(df, "value", "v").to_dict()
    new = charts.replace_data(spec, pd.DataFrame({"name": ["b"], "value": [2.0], "status": ["reported"]}))
    assert list(new["datasets"]) == list(spec["datasets"])
    assert new["datasets"][next(iter(new["datasets"]))][0]["name"] == "b"
    assert spec["datasets"][next(iter(spec["datasets"]))][0]["name"] == "a"


def test_chart_functions_build_specs():
    # speed is measured in benchmarks/bench_widgets.py, not here
    roofs = pd.DataFrame({"name": ["x", "x"], "intensity": [1.0, 100.0], "attainable": [1e12, 1e14]})
    pts = pd.DataFrame({"name": ["x"], "phase": ["decode"], "intensity": [2.0], "attainable": [2e12]})
    assert "layer" in charts.roofline_chart(roofs, pts).to_dict()
    heat = pd.DataFrame({"batch": [1, 2], "context": [128, 128], "resource": ["memory", "compute"], "log10_ratio": [2.0, -1.0]})
    assert "layer" in charts.regime_heatmap(heat).to_dict()
