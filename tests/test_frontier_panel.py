"""Headless tests of workbook/ui/frontier_panel.py: drive the controls, check the chart data and the messages."""

import html

import pandas as pd
import pytest
from ui_helpers import valid_json

from workbook.ui import FrontierPanel
from workbook.ui.controls import chip_name


@pytest.fixture(scope="module")
def frontier_panel():
    return FrontierPanel(chip_ids=("nvidia_h100_sxm", "amd_mi300x"))


def test_frontier_panel_draws_one_frontier_per_chip(frontier_panel):
    p = frontier_panel
    df = p.last_data
    assert p.message.value == ""
    assert set(df["chip"]) == {chip_name("nvidia_h100_sxm"), chip_name("amd_mi300x")}
    for _, one in df.groupby("chip"):
        one = one.sort_values("tokens_per_s_per_user")
        assert (one["tokens_per_s_per_chip"].diff().dropna() <= 0).all()  # Pareto: throughput falls
    (rows,) = p.chart.spec["datasets"].values()
    assert len(rows) == len(df)
    assert "memory bandwidth" in p.summary.value and "tokens/s per user" in p.summary.value
    valid_json(p.chart.spec)


def test_controls_update_and_errors_keep_the_chart(frontier_panel):
    p = frontier_panel
    before = p.last_data.copy()
    p.controls["output"].value = 128
    assert not before.equals(p.last_data) and p.message.value == ""
    p.controls["model"].value = "llama-3-8b"  # an 8,192-token context
    n = p.updates
    p.controls["prompt"].value = 16384
    assert "the context of llama-3-8b" in p.message.value
    assert p.updates == n  # chart kept
    with p.holding():
        p.controls["prompt"].value = 1024
        p.controls["model"].value = "llama-3.1-8b"
    assert p.message.value == ""
    p.controls["interactivity"].value = 1000  # beyond what an H100 gives one user of an 8B model
    assert "at most" in p.summary.value or "tokens/s per user" in p.summary.value
    n = p.updates
    p.controls["chips"].value = ()
    assert "chips: none selected" in p.message.value and p.updates == n
    p.controls["chips"].value = ("nvidia_h100_sxm",)
    assert p.message.value == "" and isinstance(p.last_data, pd.DataFrame)


def test_a_chip_that_cannot_hold_the_model_is_named(monkeypatch):
    from workbook.analysis import frontier
    from workbook.errors import InputError

    real = frontier.frontier

    def refuse_groq(chip, m, w, eff, *, model_id="", chip_id="", **kw):
        if chip_id == "groq_lpu_v1":
            raise InputError(f"{model_id} does not fit on {chip_id}")
        return real(chip, m, w, eff, model_id=model_id, chip_id=chip_id, **kw)

    monkeypatch.setattr(frontier, "frontier", refuse_groq)
    p = FrontierPanel(chip_ids=("groq_lpu_v1", "nvidia_h100_sxm"))
    assert p.message.value == ""
    assert "Does not fit" in p.summary.value and html.escape(chip_name("groq_lpu_v1")) in p.summary.value
    assert set(p.last_data["chip"]) == {chip_name("nvidia_h100_sxm")}
    p.controls["chips"].value = ("groq_lpu_v1",)  # nothing left to draw: a message, the chart kept
    assert "fits in no configuration" in p.message.value and set(p.last_data["chip"]) == {chip_name("nvidia_h100_sxm")}


def test_invalid_arguments_show_a_message():
    p = FrontierPanel(chip_ids=("no_such_chip",), model_id="nonsense", interactivity=7)
    assert "chip_ids" in p.message.value and "model_id" in p.message.value and "interactivity" in p.message.value
    assert not p.last_data.empty
