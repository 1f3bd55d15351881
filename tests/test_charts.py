"""Tests of workbook/ui/charts.py: every chart builds, titles its axes, and survives a data swap."""

import math

import pandas as pd
import pytest
from ui_helpers import bar_edges, valid_json, vega

from workbook.ui import charts

CHIPS = pd.DataFrame({"name": ["a", "b", "c"], "value": [150.0, 2000.0, 40000.0], "status": ["estimate", "reported", "derived"]})

# one small tidy table per chart function, with the columns its docstring names
EXAMPLES = {
    "chip_bar_chart": lambda: charts.chip_bar_chart(CHIPS, "value", "output tokens/s per chip"),
    "chip_bar_chart (log)": lambda: charts.chip_bar_chart(CHIPS, "value", "output tokens/s per chip", log=True),
    "roofline_chart": lambda: charts.roofline_chart(
        pd.DataFrame({"name": ["x", "x"], "intensity": [1.0, 100.0], "attainable": [1e12, 1e14]}),
        pd.DataFrame({"name": ["x"], "phase": ["decode"], "intensity": [2.0], "attainable": [2e12]})),
    "elasticity_chart": lambda: charts.elasticity_chart(
        pd.DataFrame({"record": ["chip", "workload"], "field": ["memory_bandwidth", "batch"], "elasticity": [0.8, 0.3]}),
        "elasticity of tokens/s"),
    "regime_heatmap": lambda: charts.regime_heatmap(
        pd.DataFrame({"batch": [1, 2], "context": [128, 128], "resource": ["memory", "compute"], "log10_ratio": [2.0, -1.0]})),
    "critical_batch_chart": lambda: charts.critical_batch_chart(
        pd.DataFrame({"name": ["x", "x"], "precision": ["bf16", "fp8"], "critical_batch": [300.0, 600.0]})),
    "tornado_chart": lambda: charts.tornado_chart(
        pd.DataFrame({"input": ["price", "eta"], "kind": ["chip", "efficiency"], "low": [1.0, 0.5], "high": [3.0, 0.9],
                      "output_low": [0.8, 0.9], "output_high": [1.4, 1.2]}), 1.0, "USD per million tokens"),
    "spend_chart": lambda: charts.spend_chart(
        pd.DataFrame({"year": [1.0, 2.0, 1.0, 2.0, 1.5], "usd": [1e7, 1e7, 4e6, 2e7, 1e7],
                      "series": ["training", "training", "inference", "inference", "crossover"]})),
    "kink_chart": lambda: charts.kink_chart(
        pd.DataFrame({"curve": ["sharp", "sharp", "current"], "effective_cost": [0.1, 1.0, 0.5], "price": [0.2, 0.9, 0.5]})),
    "allocation_chart": lambda: charts.allocation_chart(
        pd.DataFrame({"supplier": ["NVIDIA (negotiated)", "TPU v6e"], "share": [0.7, 0.3]})),
    "series_band_chart": lambda: charts.series_band_chart(
        pd.DataFrame({"x": [1.0, 0.5, 1.0, 0.5], "y": [2.0, 1.0, 0.6, 0.4], "low": [1.5, 0.8, 0.4, 0.3],
                      "high": [2.5, 1.2, 0.9, 0.5], "series": ["neocloud", "neocloud", "decentralised", "decentralised"]}),
        "hyperscaler cost (x today)", "price (USD per chip-hour)", log_y=True, y_format="$~g",
        rules=pd.DataFrame({"x": [0.7], "label": ["today"]}), finding="Every price falls with the hyperscalers' cost"),
    "series_band_chart (linear)": lambda: charts.series_band_chart(
        pd.DataFrame({"x": [0.1, 1.0], "y": [5.0, 0.5], "low": [5.0, 0.5], "high": [5.0, 0.5], "series": ["owned"] * 2}),
        "utilisation (share of hours serving)", "USD per M output tokens"),
    "grouped_bar_chart": lambda: charts.grouped_bar_chart(
        pd.DataFrame({"category": ["small model", "small model", "batch 70B"], "group": ["H100", "RTX 4090", "H100"],
                      "value": [0.24, 0.17, 0.56]}), "USD per M output tokens", log=True, group_title="supplier",
        category_title="workload", value_format="$~g"),
    "frontier_chart": lambda: charts.frontier_chart(
        pd.DataFrame({"chip": ["H100", "H100", "MI300X"], "tokens_per_s_per_user": [20.0, 200.0, 50.0],
                      "tokens_per_s_per_chip": [9000.0, 300.0, 4000.0], "batch": [256, 4, 64]}),
        finding="Throughput per chip falls as interactivity rises"),
    "split_regime_chart": lambda: charts.split_regime_chart(
        pd.DataFrame({"bandwidth_scale": [1.0, 1.0, 4.0, 4.0], "compute_scale": [0.5, 1.0, 0.5, 1.0],
                      "ratio": [1.9, 1.1, 0.3, 0.6]})),
    "stacked_share_chart": lambda: charts.stacked_share_chart(
        pd.DataFrame({"category": ["small", "small", "large"], "group": ["hyperscaler", "decentralised", "hyperscaler"],
                      "share": [0.6, 0.4, 1.0]}), group_title="supplier", category_title="workload"),
}
CHART_FUNCTIONS = sorted(n for n in dir(charts) if n.endswith("_chart") or n == "regime_heatmap")


def test_every_chart_function_has_an_example():
    assert {name.split(" ")[0] for name in EXAMPLES} == set(CHART_FUNCTIONS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_continuous_axes_have_titles(name):
    """Every continuous axis Vega draws carries a title we wrote, not a bare column name."""
    spec = EXAMPLES[name]().to_dict()
    columns = {col for rows in spec.get("datasets", {}).values() for row in rows for col in row}
    compiled = vega(spec)
    continuous = {s["name"] for s in compiled["scales"] if s.get("type") in ("linear", "log", "pow", "sqrt", "symlog")}
    titles = {}
    for axis in compiled.get("axes", []):
        if axis.get("title"):
            titles.setdefault(axis["scale"], []).append(axis["title"])
    assert titles, f"{name}: no axis has a title"
    for scale in continuous & {"x", "y"}:
        assert titles.get(scale), f"{name}: the {scale} axis has no title"
        assert not set(titles[scale]) & columns, f"{name}: the {scale} axis is titled by a column name {titles[scale]}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_specs_are_strict_json(name):
    valid_json(EXAMPLES[name]().to_dict())


def test_chart_functions_build_specs():
    assert "layer" in EXAMPLES["roofline_chart"]().to_dict()
    assert "layer" in EXAMPLES["regime_heatmap"]().to_dict()


def test_replace_data_keeps_dataset_name():
    df = pd.DataFrame({"name": ["a"], "value": [1.0], "status": ["estimate"]})
    spec = charts.chip_bar_chart(df, "value", "v").to_dict()
    new = charts.replace_data(spec, pd.DataFrame({"name": ["b"], "value": [2.0], "status": ["reported"]}))
    assert list(new["datasets"]) == list(spec["datasets"])
    assert new["datasets"][next(iter(new["datasets"]))][0]["name"] == "b"
    assert spec["datasets"][next(iter(spec["datasets"]))][0]["name"] == "a"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_replace_data_refuses_nonfinite(bad):
    spec = charts.chip_bar_chart(CHIPS, "value", "v").to_dict()
    with pytest.raises(ValueError, match="value"):
        charts.replace_data(spec, CHIPS.assign(value=[1.0, bad, 3.0]))


def test_nonfinite_columns_names_only_bad_numeric_columns():
    df = pd.DataFrame({"a": [1.0, math.nan], "b": [1.0, 2.0], "c": ["x", "y"], "d": [math.inf, 0.0]})
    assert charts.nonfinite_columns(df) == ["a", "d"]


def test_log_bars_start_at_the_decade_below_the_smallest_value():
    (left, right), *others = bar_edges(charts.chip_bar_chart(CHIPS, "value", "v", log=True).to_dict())
    assert all(l == left for l, _ in others)  # one baseline for every bar
    assert left < right  # the smallest bar (150) is drawn from 100, not zero-length
    assert len({r for _, r in [(left, right), *others]}) == 3  # each bar ends at its own value


@pytest.mark.parametrize("smallest", [1000.0, 0.001])
def test_log_bars_at_an_exact_power_of_ten_are_not_empty(smallest):
    df = CHIPS.assign(value=[smallest, smallest * 20, smallest * 400])
    edges = bar_edges(charts.chip_bar_chart(df, "value", "v", log=True).to_dict())
    assert all(r - l > 1 for l, r in edges)


def test_log_baseline_follows_swapped_data():
    """The baseline is derived from the rows in the spec, so it moves when a panel swaps them.

    It used to be a constant from the first rows: after a swap to smaller values the bars
    started above their values and grew leftwards (every bar then shared its right edge).
    """
    spec = charts.chip_bar_chart(CHIPS, "value", "v", log=True).to_dict()
    smaller = CHIPS.assign(value=[0.5, 3.0, 40.0])
    edges = bar_edges(charts.replace_data(spec, smaller))
    lefts, rights = {l for l, _ in edges}, {r for _, r in edges}
    assert len(lefts) == 1 and len(rights) == 3
