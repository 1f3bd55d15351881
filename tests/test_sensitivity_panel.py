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
    p.controls["context"].value = 16384  # longer than Llama-3-70B's 8,192-token context
    assert "the context of llama-3-70b" in p.message.value
    assert p.updates == n  # chart kept
    p.controls["model"].value = "llama-3.1-70b"  # a 128k context
    p.controls["context"].value = 65536  # 256 x 66k tokens of KV cache: does not fit on 4 chips
    assert "does not fit" in p.message.value
    assert p.updates == n  # chart kept
    p.controls["context"].value = 2048
    p.controls["model"].value = "llama-3-70b"
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
    p = SensitivityPanel(model_id="llama-3.1-70b", batch=4096, context=65536, chips=1)  # must not raise
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
