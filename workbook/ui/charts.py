"""Altair charts of the workbook's tidy tables. Charts only draw: no model computation here.

Every function takes a pandas DataFrame (built by :mod:`workbook.sensitivity` or a
notebook) and returns an Altair chart. :func:`replace_data` swaps the rows of a chart's
Vega-Lite spec, so a widget can update an ``alt.JupyterChart`` in place without rebuilding
or re-validating the chart.
"""

from __future__ import annotations

import copy
import math

import altair as alt
import pandas as pd

STATUS_ORDER = ["vendor-spec", "reported", "derived", "vendor-claim", "estimate"]
STATUS_COLORS = ["#1b7837", "#5aae61", "#a6dba0", "#f1a340", "#d73027"]
RESOURCE_ORDER = ["compute", "memory", "interconnect"]
RESOURCE_COLORS = ["#4c78a8", "#f58518", "#54a24b"]


def _status_color(field: str = "status"):
    return alt.Color(f"{field}:N", title="number status",
                     scale=alt.Scale(domain=STATUS_ORDER, range=STATUS_COLORS))


def chip_bar_chart(df: pd.DataFrame, value: str, title: str, *, log: bool = False, width: int = 420,
                   height: int | None = None) -> alt.Chart:
    """Horizontal bars of ``value`` per chip, sorted, coloured by the weakest number status.

    Columns: ``name``, ``value`` column, ``status`` (one of ``STATUS_ORDER``).
    """
    x = alt.X(f"{value}:Q", title=title, scale=alt.Scale(type="log") if log else alt.Scale(zero=True))
    extra = {}
    if log:  # a log axis has no zero: bars start at the decade below the smallest value
        positive = df[value][df[value] > 0]
        floor = 10.0 ** math.floor(math.log10(float(positive.min()))) if len(positive) else 1.0
        extra["x2"] = alt.datum(floor)
    return alt.Chart(df).mark_bar().encode(
        x=x,
        **extra,
        y=alt.Y("name:N", sort="-x", title=None),
        color=_status_color(),
        tooltip=["name:N", alt.Tooltip(f"{value}:Q", format=".4g"), "status:N"],
    ).properties(width=width, height=height or 16 * max(len(df), 1))


def roofline_chart(roofs: pd.DataFrame, points: pd.DataFrame | None = None, width: int = 460,
                   height: int = 300) -> alt.Chart:
    """Log-log roofline: attainable FLOP/s against arithmetic intensity, one line per chip.

    ``roofs``: ``name, intensity (FLOP/byte), attainable (FLOP/s)``; ``points``: ``name,
    phase, intensity, attainable`` (e.g. prefill and decode of a workload).
    """
    lines = alt.Chart(roofs).mark_line().encode(
        x=alt.X("intensity:Q", scale=alt.Scale(type="log"), title="arithmetic intensity (FLOP/byte)"),
        y=alt.Y("attainable:Q", scale=alt.Scale(type="log"), title="attainable FLOP/s"),
        color=alt.Color("name:N", title="chip"),
        tooltip=["name:N", alt.Tooltip("intensity:Q", format=".3g"), alt.Tooltip("attainable:Q", format=".3g")],
    )
    layers = [lines]
    if points is not None and len(points):
        layers.append(alt.Chart(points).mark_point(size=90, filled=True).encode(
            x="intensity:Q", y="attainable:Q", color=alt.Color("name:N"),
            shape=alt.Shape("phase:N", title="phase"),
            tooltip=["name:N", "phase:N", alt.Tooltip("intensity:Q", format=".3g")],
        ))
    return alt.layer(*layers).properties(width=width, height=height)


def elasticity_chart(df: pd.DataFrame, title: str = "elasticity", width: int = 380) -> alt.Chart:
    """Bars of ``elasticity`` per ``field`` (d log output / d log input), coloured by ``record``."""
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("elasticity:Q", title=title),
        y=alt.Y("field:N", sort="-x", title=None),
        color=alt.Color("record:N", title="input record"),
        tooltip=["record:N", "field:N", alt.Tooltip("elasticity:Q", format=".3f")],
    ).properties(width=width, height=16 * max(len(df), 1))


def regime_heatmap(df: pd.DataFrame, width: int = 360, height: int = 240) -> alt.Chart:
    """Heatmap over (batch, context): colour = binding resource, text = log10 of e_BW / e_compute.

    Columns: ``batch, context, resource, log10_ratio`` (batch and context as ordinal labels).
    """
    base = alt.Chart(df).encode(
        x=alt.X("batch:O", title="batch B (sequences)"),
        y=alt.Y("context:O", title="prompt length T (tokens)", sort="descending"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("resource:N", title="decode bound by",
                        scale=alt.Scale(domain=RESOURCE_ORDER, range=RESOURCE_COLORS)),
        tooltip=["batch:O", "context:O", "resource:N", alt.Tooltip("log10_ratio:Q", format=".2f")],
    )
    text = base.mark_text(fontSize=9).encode(text=alt.Text("log10_ratio:Q", format=".1f"))
    return alt.layer(rect, text).properties(width=width, height=height)


def critical_batch_chart(df: pd.DataFrame, width: int = 380) -> alt.Chart:
    """Dots of ``critical_batch`` per chip ``name`` and ``precision`` (log scale)."""
    return alt.Chart(df).mark_point(filled=True, size=70).encode(
        x=alt.X("critical_batch:Q", scale=alt.Scale(type="log"), title="critical batch B* (tokens)"),
        y=alt.Y("name:N", title=None),
        color=alt.Color("precision:N"),
        tooltip=["name:N", "precision:N", alt.Tooltip("critical_batch:Q", format=".0f")],
    ).properties(width=width, height=16 * max(df["name"].nunique(), 1))


def tornado_chart(df: pd.DataFrame, central: float, title: str, width: int = 380) -> alt.Chart:
    """Tornado: a bar from ``output_low`` to ``output_high`` per ``input``, largest swing on top."""
    order = list(df["input"])
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("output_low:Q", title=title, scale=alt.Scale(zero=False)),
        x2="output_high:Q",
        y=alt.Y("input:N", sort=order, title=None),
        color=alt.Color("kind:N", title="input"),
        tooltip=["input:N", alt.Tooltip("low:Q", format=".3g"), alt.Tooltip("high:Q", format=".3g"),
                 alt.Tooltip("output_low:Q", format=".4g"), alt.Tooltip("output_high:Q", format=".4g")],
    )
    rule = alt.Chart(pd.DataFrame({"central": [central]})).mark_rule(color="black").encode(x="central:Q")
    return alt.layer(bars, rule).properties(width=width, height=18 * max(len(df), 1))


def replace_data(spec: dict, df: pd.DataFrame) -> dict:
    """A copy of a Vega-Lite ``spec`` (from ``chart.to_dict()``) whose one dataset is ``df``.

    The chart must have been built from a single DataFrame (Altair stores it under
    ``spec["datasets"]``); the dataset keeps its name so every layer still finds it.
    """
    datasets = spec.get("datasets", {})
    if len(datasets) != 1:
        raise ValueError(f"replace_data needs a spec with exactly one dataset, got {len(datasets)}")
    (name,) = datasets
    out = copy.copy(spec)
    out["datasets"] = {name: df.to_dict(orient="records")}
    return out
