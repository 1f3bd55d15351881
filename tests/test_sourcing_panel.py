"""Headless tests of workbook/ui/sourcing_panel.py: drive the controls, check chart data and messages."""

import pytest
from ui_helpers import valid_json

from workbook.econ import sourcing
from workbook.ui import SourcingPanel


@pytest.fixture(scope="module")
def panel():
    return SourcingPanel()


def _rows(chart):
    (rows,) = chart.spec["datasets"].values()
    return rows


def test_eta_moves_current_point(panel):
    before = panel.last_data.copy()
    panel.controls["eta"].value = 0.5
    after = panel.last_data
    assert panel.message.value == ""
    assert not before.equals(after)
    assert [r["price"] for r in _rows(panel.chart)] == list(after["price"])
    panel.controls["eta"].value = 0.9


def test_risk_aversion_changes_allocation(panel):
    panel.controls["risk_aversion"].value = 0.0
    low = panel.last_allocation["share"].copy()
    panel.controls["risk_aversion"].value = 5.0
    high = panel.last_allocation["share"]
    assert not low.equals(high)
    assert [r["share"] for r in _rows(panel.allocation_chart)] == list(high)


def test_lab_weight_changes_price(panel):
    panel.controls["supplier"].value = "fractile"
    before = panel.last_data.copy()
    panel.controls["lab_weight"].value = 0.9
    assert not before["price"].equals(panel.last_data["price"])
    panel.controls["lab_weight"].value = 0.5


def test_shortage_raises_the_price_and_full_shortage_is_list(panel):
    panel.controls["shortage"].value = 0.0
    low = panel.last_data.copy()
    panel.controls["shortage"].value = 1.0
    high = panel.last_data
    assert panel.message.value == ""
    sharp_low = low[low.curve == "sharp"]["price"].to_numpy()
    sharp_high = high[high.curve == "sharp"]["price"].to_numpy()
    assert (sharp_high >= sharp_low - 1e-6).all() and (sharp_high > sharp_low + 1e-4).any()
    p_l = float(panel.market.incumbent_list_cost)
    assert abs(sharp_high - p_l).max() < 1e-3 * p_l  # NVIDIA sells everything elsewhere at list
    assert "of list" in panel.summary.value and "duality gap" in panel.summary.value
    panel.controls["shortage"].value = 0.2


def test_price_never_above_list_on_the_kink_chart(panel):
    p_l = float(panel.market.incumbent_list_cost)
    assert (panel.last_data["price"] <= p_l + 1e-5).all()
    shares = panel.last_allocation["share"]
    assert abs(shares.sum() - 1.0) < 1e-3


def test_bad_price_shows_message(panel):
    panel.controls["price"].value = 0.0
    assert "price" in panel.message.value and "allowed" in panel.message.value
    panel.controls["price"].value = 1.0
    assert panel.message.value == ""


def test_supplier_switch_shows_its_terms_in_one_update(panel):
    updates = panel.updates
    panel.controls["supplier"].value = "trainium2"
    assert panel.updates == updates + 1
    i = sourcing.ALTERNATIVES.index("trainium2")
    assert panel.controls["eta"].value == pytest.approx(float(panel.market.terms.eta[i]))
    assert "Trainium2" in panel.summary.value


def test_invalid_supplier_shows_a_message():
    p = SourcingPanel(supplier="bogus")  # must not raise
    assert "supplier" in p.message.value and "bogus" in p.message.value
    assert p.controls["supplier"].value == sourcing.ALTERNATIVES[0]
    assert not p.last_data.empty and not p.last_allocation.empty
    valid_json(p.chart.spec)
    valid_json(p.allocation_chart.spec)
