"""Headless tests of workbook/ui/sensitivity_panel.py: drive the controls, check the chart data and the messages."""

import pandas as pd
import pytest
from ui_helpers import valid_json

from workbook.ui import SensitivityPanel


@pytest.fixture(scope="module")
def sensitivity_panel():
    return SensitivityPanel()


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
    assert p.message.value == ""
    assert "bound by" in p.summary.value
    assert isinstance(p.last_data, pd.DataFrame)
    p.controls["batch"].value = 64


def test_chart_rows_follow_the_metric(sensitivity_panel):
    p = sensitivity_panel
    p.controls["metric"].value = "tokens_per_s_per_chip"
    before = p.last_data["elasticity"].copy()
    p.controls["metric"].value = "usd_per_million_tokens"
    assert not before.equals(p.last_data["elasticity"])
    (rows,) = p.chart.spec["datasets"].values()
    assert [r["elasticity"] for r in rows] == list(p.last_data["elasticity"])
    p.controls["metric"].value = "tokens_per_s_per_chip"


def test_infeasible_construction_shows_a_message():
    p = SensitivityPanel(batch=4096, context=131072, chips=1)  # must not raise
    assert "does not fit" in p.message.value
    assert p.last_data.empty
    valid_json(p.chart.spec)
    with p.holding():
        p.controls["batch"].value, p.controls["context"].value, p.controls["chips"].value = 64, 2048, 4
    assert p.message.value == "" and not p.last_data.empty


def test_invalid_arguments_show_a_message():
    p = SensitivityPanel(chip_id="no_such_chip", metric="nonsense")
    assert "chip_id" in p.message.value and "metric" in p.message.value
    assert not p.last_data.empty
