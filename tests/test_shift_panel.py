"""Headless tests of workbook/ui/shift_panel.py: drive the controls, check the chart data and messages."""

import math

import pytest
from ui_helpers import valid_json

from workbook import catalog
from workbook.ui import ShiftPanel


@pytest.fixture(scope="module")
def panel():
    return ShiftPanel(chip_ids=["nvidia_h100_sxm", "google_tpu_v6e"])


def _dataset(panel):
    (rows,) = panel.chart.spec["datasets"].values()
    return rows


def _inference(panel):
    df = panel.last_data
    return df[df.series == "inference"]["usd"].to_numpy()


def test_initial_chart_has_crossover(panel):
    assert panel.message.value == ""
    assert set(panel.last_data.series) == {"training", "inference", "crossover"}
    assert "years" in panel.summary.value


def test_demand_growth_changes_chart(panel):
    before = _inference(panel).copy()
    updates = panel.updates
    panel.controls["demand_growth"].value = 5.0
    after = _inference(panel)
    assert panel.updates == updates + 1
    assert after[-1] > before[-1]
    assert [r["usd"] for r in _dataset(panel)] == list(panel.last_data["usd"])
    panel.controls["demand_growth"].value = 2.0


def test_chip_change_loads_price_and_changes_costs(panel):
    before = _inference(panel).copy()
    updates = panel.updates
    panel.controls["inference_chip"].value = "google_tpu_v6e"
    assert panel.updates == updates + 1  # the chip and its price: one update
    assert panel.controls["inference_price"].value == pytest.approx(catalog.chip("google_tpu_v6e").price)
    assert not (_inference(panel) == before).all()
    panel.controls["inference_chip"].value = "nvidia_h100_sxm"


def test_price_doubles_serving_spend(panel):
    before = _inference(panel).copy()
    base = panel.controls["inference_price"].value
    panel.controls["inference_price"].value = 2 * base
    assert _inference(panel) == pytest.approx(2 * before, rel=1e-4)
    panel.controls["inference_price"].value = base


def test_model_size_changes_training_line(panel):
    df = panel.last_data
    k = df[df.series == "training"]["usd"].iloc[0]
    panel.controls["n_params"].value = 1.4e11
    df = panel.last_data
    assert df[df.series == "training"]["usd"].iloc[0] == pytest.approx(2 * k, rel=1e-3)
    panel.controls["n_params"].value = 7e10


@pytest.mark.parametrize("control, bad, field", [
    ("target_loss", 1.6, "target_loss"),
    ("tokens_per_year0", 0.0, "tokens_per_year0"),
    ("training_price", 0.0, "training_chip.price"),
    ("inference_price", math.nan, "price"),
])
def test_invalid_value_shows_message(panel, control, bad, field):
    good = panel.controls[control].value
    data = panel.last_data
    panel.controls[control].value = bad  # must not raise
    assert "Not shown" in panel.message.value and field in panel.message.value
    assert panel.last_data is data  # chart left as it was
    valid_json(panel.chart.spec)
    panel.controls[control].value = good
    assert panel.message.value == ""


def test_invalid_construction_shows_a_message():
    p = ShiftPanel(chip_ids=["nvidia_h100_sxm"], tokens_per_year0=0.0)  # must not raise
    assert "Not shown" in p.message.value and "tokens_per_year0" in p.message.value
    assert p.last_data.empty
    valid_json(p.chart.spec)
    p.controls["tokens_per_year0"].value = 1e13
    assert p.message.value == "" and set(p.last_data.series) >= {"training", "inference"}


def test_unknown_chips_are_left_out_with_a_message():
    p = ShiftPanel(chip_ids=["bogus_chip", "nvidia_h100_sxm"])
    assert "bogus_chip" in p.message.value and p.chip_ids == ["nvidia_h100_sxm"]
    assert not p.last_data.empty


def test_utilisation_scales_serving_spend(panel):
    before = _inference(panel).copy()
    panel.controls["utilisation"].value = 0.5
    assert _inference(panel) == pytest.approx(2 * before, rel=1e-4)
    panel.controls["utilisation"].value = 1.0


def test_summary_counts_prompt_tokens(panel):
    # D = 1.5e13, 2048 in / 512 out: compute crossover at 3 D / 5 = 9e12 output tokens (0.6 D)
    assert "9e+12" in panel.summary.value and "0.6 D" in panel.summary.value
    assert "whole" in panel.summary.value
