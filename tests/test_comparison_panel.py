"""Headless tests of workbook/ui/comparison_panel.py: drive the controls, check the chart data and the messages."""

import math

import pytest
from ui_helpers import bar_edges, valid_json

from workbook import catalog
from workbook.ui import ChipComparisonPanel, charts, weakest_status

CHIPS = ["nvidia_h100_sxm", "nvidia_b200_hgx", "google_tpu_v5e", "fractile_imc"]


@pytest.fixture(scope="module")
def comparison():
    return ChipComparisonPanel(chip_ids=CHIPS)


def _dataset(panel):
    (rows,) = panel.chart.spec["datasets"].values()
    return rows


def test_comparison_batch_changes_chart(comparison):
    comparison.controls["chips"].value = 0
    before = comparison.last_data.copy()
    comparison.controls["batch"].value = 512
    after = comparison.last_data
    assert comparison.message.value == ""
    assert not before["value"].equals(after["value"])
    # the JupyterChart's spec carries the new rows
    assert [r["value"] for r in _dataset(comparison)] == list(after["value"])
    assert set(after["status"]) <= set(charts.STATUS_ORDER)
    comparison.controls["batch"].value = 64


def test_comparison_price_override(comparison):
    comparison.controls["metric"].value = "usd_per_million_tokens"
    comparison.controls["price_chip"].value = "nvidia_h100_sxm"
    h100 = lambda: comparison.last_data.set_index("chip_id").loc["nvidia_h100_sxm", "value"]
    base_price = comparison.controls["price"].value
    cost = h100()
    comparison.controls["price"].value = 2 * base_price
    assert h100() == pytest.approx(2 * cost, rel=1e-4)
    comparison.controls["price"].value = base_price


def test_price_chip_shows_its_own_override(comparison):
    comparison.controls["price_chip"].value = "nvidia_h100_sxm"
    comparison.controls["price"].value = 9.5
    comparison.controls["price_chip"].value = "google_tpu_v5e"
    assert comparison.controls["price"].value == pytest.approx(catalog.chip("google_tpu_v5e").price)
    comparison.controls["price_chip"].value = "nvidia_h100_sxm"
    assert comparison.controls["price"].value == 9.5
    comparison.controls["price"].value = catalog.chip("nvidia_h100_sxm").price


def test_comparison_infeasible_shows_message(comparison):
    comparison.controls["model"].value = "llama-3.1-70b"  # a 128k context
    comparison.controls["chips"].value = 1
    comparison.controls["context"].value = 65536
    comparison.controls["batch"].value = 4096  # no chip holds 4096 x 66k tokens of KV cache
    assert "does not fit" in comparison.message.value
    comparison.controls["batch"].value = 64
    comparison.controls["context"].value = 2048
    comparison.controls["chips"].value = 0
    comparison.controls["model"].value = "llama-3-70b"
    assert "Not shown" not in comparison.message.value


@pytest.mark.parametrize("bad", [0.0, math.nan])
def test_comparison_bad_price_message(comparison, bad):
    data = comparison.last_data
    comparison.controls["price"].value = bad
    assert "price" in comparison.message.value and "Not shown" in comparison.message.value
    assert comparison.last_data is data
    valid_json(comparison.chart.spec)  # NaN never reaches the spec
    comparison.controls["price"].value = 1.9
    assert "Not shown" not in comparison.message.value


def test_metric_change_retitles_the_axis(comparison):
    comparison.controls["metric"].value = "tokens_per_s_per_chip"
    assert comparison.chart.spec["encoding"]["x"]["title"] == "output tokens/s per chip"
    comparison.controls["metric"].value = "usd_per_million_tokens"
    assert "USD" in comparison.chart.spec["encoding"]["x"]["title"]


def test_log_baseline_follows_the_model(comparison):
    """After a model change the bars still start below every value (it used to stay at the first draw's floor)."""
    comparison.controls["metric"].value = "usd_per_million_tokens"
    comparison.controls["model"].value = "llama-3-70b"
    comparison.controls["model"].value = "llama-2-7b"  # about 5x cheaper: the smallest value drops a decade
    values = list(comparison.last_data["value"])
    assert min(values) < 10 ** math.floor(math.log10(max(values)))  # values span a decade
    edges = bar_edges(comparison.chart.spec)
    assert len(edges) == len(values)
    assert len({left for left, _ in edges}) == 1  # one baseline, left of every bar's end
    assert len({right for _, right in edges}) == len(values)
    comparison.controls["model"].value = "llama-3-70b"


def test_invalid_arguments_show_a_message():
    p = ChipComparisonPanel(model_id="no-such-model", batch=100, chip_ids=["nvidia_h100_sxm", "bogus_chip"])
    assert "model_id" in p.message.value and "batch" in p.message.value and "bogus_chip" in p.message.value
    assert p.chip_ids == ["nvidia_h100_sxm"] and len(p.last_data) == 1


def test_weakest_status_is_a_status():
    assert weakest_status("nvidia_h100_sxm") in charts.STATUS_ORDER
    assert weakest_status("fractile_imc") == "estimate"


def test_a_context_longer_than_the_model_supports_shows_a_message():
    panel = ChipComparisonPanel(model_id="llama-2-70b", context=2048, output=512, chip_ids=["nvidia_h100_sxm"])
    before = panel.last_data
    panel.controls["context"].value = 8192  # llama-2-70b stops at 4096 tokens
    assert "4096" in panel.message.value and "llama-2-70b" in panel.message.value
    assert panel.last_data is before  # the last good chart stays
