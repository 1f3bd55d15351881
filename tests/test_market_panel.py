"""Headless tests of workbook/ui/market_panel.py: drive the controls, check the chart data and messages."""

import numpy as np
import pytest
from ui_helpers import valid_json

from workbook.econ import market as mk
from workbook.ui import MarketPanel


@pytest.fixture(scope="module")
def panel():
    return MarketPanel()


def _prices(panel, supplier):
    df = panel.last_frames["prices"]
    return df[df.series == mk.SUPPLIER_LABELS[supplier]]["y"].to_numpy()


def test_initial_charts_match_the_library(panel):
    assert panel.message.value == ""
    eq = mk.equilibrium_checked(mk.market_params(), mk.market_hardware())
    df = panel.last_frames["prices"]
    at_one = df[np.isclose(df.x, 1.0)].set_index("series")["y"]
    assert at_one[mk.SUPPLIER_LABELS["decentralized"]] == pytest.approx(float(eq.price[2]), rel=1e-3)
    shares = panel.last_frames["shares"]
    assert np.allclose(shares.groupby("category")["share"].sum(), 1.0, atol=1e-4)
    assert "elasticity" in panel.summary.value
    for w in panel.chart_widgets.values():
        valid_json(w.spec)


def test_prices_fall_along_the_chart(panel):
    for s in mk.SUPPLIERS:  # x runs from cheap to dear hyperscaler cost
        assert np.all(np.diff(_prices(panel, s)) > 0), s


def test_more_decentralised_gpus_lower_their_price(panel):
    before = _prices(panel, "decentralized").copy()
    updates = panel.updates
    panel.controls["decentralized_capacity"].value = 1e5
    assert panel.updates == updates + 1
    assert np.all(_prices(panel, "decentralized") < before)
    panel.controls["decentralized_capacity"].value = 2e4


def test_cheaper_hyperscalers_win_share(panel):
    def hyperscaler_share():
        df = panel.last_frames["shares"]
        return df[df.group == mk.SUPPLIER_LABELS["hyperscaler"]]["share"].to_numpy()
    before = hyperscaler_share().copy()
    panel.controls["hyperscaler_cost_factor"].value = 0.5
    assert np.all(hyperscaler_share() >= before - 1e-6) and hyperscaler_share().sum() > before.sum()
    panel.controls["hyperscaler_cost_factor"].value = 1.0


def test_a_market_that_does_not_clear_shows_a_message_and_keeps_the_charts(panel, monkeypatch):
    from workbook.errors import InputError
    frames = panel.last_frames

    def no_clearing(p, hw):
        raise InputError("the market did not clear at these parameters")

    monkeypatch.setattr(mk, "equilibrium_checked", no_clearing)
    panel.controls["demand_scale"].value = 2.0  # must not raise
    assert "Not shown" in panel.message.value and "did not clear" in panel.message.value
    assert panel.last_frames is frames
    monkeypatch.undo()
    panel.controls["demand_scale"].value = 1.0
    assert panel.message.value == ""


def test_unknown_chip_at_construction_shows_a_message():
    p = MarketPanel(decentralized_chip="no_such_gpu")
    assert "decentralized_chip" in p.message.value and p.controls["decentralized_chip"].value == "nvidia_rtx_4090"
    assert not p.last_frames["prices"].empty
