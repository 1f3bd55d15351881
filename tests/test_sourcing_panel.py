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


def test_infeasible_capacity_shows_message(panel):
    panel.controls["scenario"].value = "NVIDIA only"
    updates = panel.updates
    panel.controls["nvidia_capacity"].value = 0.5  # no alternative on the table can cover the rest
    assert "demand exceeds total capacity" in panel.message.value
    assert panel.updates == updates  # chart kept
    panel.controls["nvidia_capacity"].value = 1.0
    assert panel.message.value == ""


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
