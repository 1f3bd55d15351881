"""Tests of workbook/ui/panel.py: the base class every panel shares, on a one-control stub panel."""

import altair as alt
import ipywidgets as widgets
import pandas as pd
import pytest
from ui_helpers import SCRIPT, add_chip_named, html_values, valid_json

import workbook.ui
from workbook.errors import InputError
from workbook.ui import ChipComparisonPanel, Panel, SensitivityPanel, ShiftPanel, SourcingPanel, charts, error_html
from workbook.ui import panel as panel_module


class StubPanel(Panel):
    """Bars of ``x`` for one row; ``x = "nan"``, ``"input"`` or ``"bug"`` make compute misbehave."""

    redraw_on = ("title",)

    def __init__(self, x="1.0"):
        controls = {"x": widgets.Text(value=x), "title": widgets.Text(value="first title")}
        super().__init__(controls)

    def compute(self):
        x = self.controls["x"].value
        if x == "input":
            raise InputError("x: 'input' is not a number; allowed (0, inf)")
        if x == "bug":
            raise KeyError("deep <inside>\nTraceback (most recent call last): ...")
        return pd.DataFrame({"name": ["a"], "value": [float(x)], "status": ["estimate"]}), f"x = {x}"

    def draw(self, data):
        return charts.chip_bar_chart(data, "value", self.controls["title"].value)


def _rows(chart):
    (rows,) = chart.spec["datasets"].values()
    return rows


def test_error_html_escapes():
    html = error_html(f"chip {SCRIPT}: no")
    assert SCRIPT not in html and "&lt;script&gt;" in html and "Not shown" in html


def test_change_updates_chart_rows_and_summary():
    p = StubPanel()
    p.controls["x"].value = "2.5"
    assert p.updates == 1 and p.message.value == "" and p.summary.value == "x = 2.5"
    assert [r["value"] for r in _rows(p.chart)] == [2.5] == list(p.last_data["value"])


@pytest.mark.parametrize("bad, shown", [
    ("input", ["x: &#x27;input&#x27; is not a number"]),  # an InputError: its own text
    ("bug", ["KeyError: ", "deep &lt;inside&gt;"]),  # anything else: type and first line, escaped
    ("nan", ["NaN or inf in value"]),  # a spec cannot carry NaN
    ("inf", ["NaN or inf in value"]),
])
def test_failure_shows_one_line_and_keeps_the_chart(bad, shown):
    p = StubPanel()
    spec, data = p.chart.spec, p.last_data
    p.controls["x"].value = bad  # must not raise
    assert "Not shown" in p.message.value and all(s in p.message.value for s in shown)
    assert "Traceback" not in p.message.value and "\n" not in p.message.value
    assert p.chart.spec is spec and p.last_data is data and p.updates == 0
    valid_json(p.chart.spec)
    p.controls["x"].value = "3"
    assert p.message.value == "" and p.updates == 1


@pytest.mark.parametrize("bad", ["input", "bug", "nan"])
def test_failing_first_computation_still_builds_the_panel(bad):
    p = StubPanel(x=bad)
    assert "Not shown" in p.message.value
    assert p.last_data.empty and _rows(p.chart) == []
    valid_json(p.chart.spec)
    p.controls["x"].value = "4"
    assert p.message.value == "" and [r["value"] for r in _rows(p.chart)] == [4.0]


def test_redraw_on_rebuilds_the_chart_and_other_controls_only_swap_rows():
    p = StubPanel()
    p.controls["x"].value = "2"
    assert p.chart.spec["encoding"]["x"]["title"] == "first title"
    p.controls["title"].value = "second title"
    assert p.chart.spec["encoding"]["x"]["title"] == "second title"
    assert [r["value"] for r in _rows(p.chart)] == [2.0]


def test_redraw_waits_for_a_good_computation():
    p = StubPanel()
    p.controls["x"].value = "input"
    p.controls["title"].value = "second title"  # fails: x is still bad
    p.controls["x"].value = "5"
    assert p.chart.spec["encoding"]["x"]["title"] == "second title"


def test_holding_updates_once():
    p = StubPanel()
    with p.holding():
        p.controls["x"].value = "input"  # would fail alone
        p.controls["x"].value = "6"
    assert p.updates == 1 and p.message.value == "" and list(p.last_data["value"]) == [6.0]


def test_widget_holds_controls_messages_and_chart():
    p = StubPanel()
    children = [p.widget.children[0].children, p.widget.children[1:3], p.widget.children[3].children]
    assert list(children[0]) == list(p.controls.values())
    assert list(children[1]) == [p.message, p.summary]
    assert list(children[2]) == [p.chart]


def test_offline_mode_is_enabled_once(monkeypatch):
    calls = []
    monkeypatch.setattr(panel_module, "_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "enable_offline", classmethod(lambda cls: calls.append(cls)))
    StubPanel()
    StubPanel()
    assert calls == [alt.JupyterChart]


def test_panels_render_offline():
    StubPanel()
    assert alt.JupyterChart._is_offline


def test_public_names():
    assert set(workbook.ui.__all__) == {"ChipComparisonPanel", "SensitivityPanel", "ShiftPanel", "SourcingPanel",
                                        "MarketPanel", "FrontierPanel",
                                        "Panel", "weakest_status", "error_html", "charts"}
    for name in workbook.ui.__all__:
        assert hasattr(workbook.ui, name)


# -- user strings never reach an HTML widget unescaped --------------------------------------------

def _comparison(chip):  # one chip per replica: the user chip (1 GB) is left out and named in the summary
    p = ChipComparisonPanel(chip_ids=[chip, "nvidia_b200_hgx"])
    p.controls["chips"].value = 1
    return p, p.summary


def _sensitivity(chip):  # the user chip holds 1 GB: the message names it
    return SensitivityPanel(chip_id=chip, chips=1), None


def _shift(chip):  # the user chip (1 GB) holds no replica: the message names it
    p = ShiftPanel(chip_ids=[chip, "nvidia_h100_sxm"])
    return p, p.message


@pytest.mark.parametrize("make", [_comparison, _sensitivity, _shift])
def test_user_chip_names_are_escaped(monkeypatch, make):
    chip = add_chip_named(monkeypatch, "user_chip", SCRIPT, memory_capacity=1e9)
    p, named_in = make(chip)
    shown = html_values(p.widget)
    assert not any("<script" in v for v in shown)
    assert any("&lt;script&gt;" in v for v in shown)
    if named_in is not None:
        assert "&lt;script&gt;" in named_in.value


def test_supplier_argument_is_escaped():
    p = SourcingPanel(supplier=SCRIPT)
    assert "&lt;script&gt;" in p.message.value
    assert not any("<script" in v for v in html_values(p.widget))
