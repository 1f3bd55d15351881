"""Altair charts of the workbook's tidy tables. Charts only draw: no model computation here.

Every chart function takes pandas DataFrames (built by :mod:`workbook.analysis`,
:mod:`workbook.econ` or a notebook) and returns an Altair chart whose every continuous axis
has a title with its unit. :func:`replace_data` swaps the rows of a chart's Vega-Lite spec,
so a panel can update an ``alt.JupyterChart`` in place without rebuilding or re-validating
the chart; anything a chart derives from its rows (such as where bars start on a log axis)
is therefore computed by Vega-Lite transforms in the spec, never frozen from the first rows.
"""

from __future__ import annotations

import copy

import numpy as np

import altair as alt
import pandas as pd

STATUS_ORDER = ["vendor-spec", "reported", "derived", "vendor-claim", "estimate"]
STATUS_COLORS = ["#1b7837", "#5aae61", "#a6dba0", "#f1a340", "#d73027"]
RESOURCE_ORDER = ["compute", "memory", "interconnect", "overhead"]
RESOURCE_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"]


def _status_color(field: str = "status"):
    return alt.Color(f"{field}:N", title="number status",
                     scale=alt.Scale(domain=STATUS_ORDER, range=STATUS_COLORS))


def chip_bar_chart(df: pd.DataFrame, value: str, title: str, *, log: bool = False, width: int = 420,
                   height: int | None = None) -> alt.Chart:
    """Horizontal bars of ``value`` per chip, sorted, coloured by the weakest number status.

    Columns: ``name``, ``value`` column, ``status`` (one of ``STATUS_ORDER``). A log axis has
    no zero, so with ``log=True`` the bars start at ``bar_start``, the decade strictly below
    the smallest positive value, ``10 ** (ceil(log10(min)) - 1)``; the spec computes it from
    its rows, so it follows the data after :func:`replace_data`. Rows with ``value <= 0``
    cannot be drawn on a log axis and are left out.
    """
    chart = alt.Chart(df)
    if log:
        chart = chart.transform_filter(alt.datum[value] > 0).transform_joinaggregate(
            smallest_value=f"min({value})",
        ).transform_calculate(  # 1e-9: a power of ten whose log10 rounds up still gets the decade below
            bar_start="pow(10, ceil(log(datum.smallest_value) / LN10 - 1e-9) - 1)",
        )
    x = alt.X(f"{value}:Q", title=title, scale=alt.Scale(type="log") if log else alt.Scale(zero=True))
    extra = {"x2": alt.X2("bar_start:Q")} if log else {}
    return chart.mark_bar().encode(
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


def spend_chart(df: pd.DataFrame, width: int = 460, height: int = 260) -> alt.LayerChart:
    """Cumulative training and inference spend (USD, log) against years, crossover marked.

    ``df`` columns: ``year``, ``usd``, ``series`` (``training``, ``inference`` or
    ``crossover``; the crossover row, if any, is drawn as a rule and a point).
    """
    base = alt.Chart(df)
    lines = base.transform_filter(alt.datum.series != "crossover").mark_line().encode(
        x=alt.X("year:Q", title="years since deployment"),
        y=alt.Y("usd:Q", scale=alt.Scale(type="log"), title="cumulative spend (USD)"),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["training", "inference"],
                                                                  range=["#4c78a8", "#f58518"])),
        tooltip=[alt.Tooltip("year:Q", format=".2f"), alt.Tooltip("usd:Q", format="$.3s"), "series:N"],
    )
    cross = base.transform_filter(alt.datum.series == "crossover")
    rule = cross.mark_rule(strokeDash=[4, 3], color="black").encode(x="year:Q")
    point = cross.mark_point(filled=True, size=80, color="black").encode(
        x="year:Q", y="usd:Q", tooltip=[alt.Tooltip("year:Q", format=".2f", title="crossover (years)")])
    return alt.layer(lines, rule, point).properties(width=width, height=height)


def kink_chart(df: pd.DataFrame, width: int = 420, height: int = 260) -> alt.LayerChart:
    """Lines of NVIDIA's negotiated ``price`` against an alternative's ``effective_cost`` (both
    USD per million tokens), one per ``curve``; the ``current`` row is drawn as a point."""
    base = alt.Chart(df)
    lines = base.transform_filter(alt.datum.curve != "current").mark_line().encode(
        x=alt.X("effective_cost:Q", title="alternative's effective cost e (USD / M tokens)"),
        y=alt.Y("price:Q", title="NVIDIA negotiated price (USD / M tokens)", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", title=None),
        strokeDash=alt.StrokeDash("curve:N", legend=None),
    )
    point = base.transform_filter(alt.datum.curve == "current").mark_point(size=120, filled=True, color="black").encode(
        x="effective_cost:Q", y="price:Q", tooltip=[alt.Tooltip("effective_cost:Q", format=".3f"),
                                                     alt.Tooltip("price:Q", format=".3f")])
    return alt.layer(lines, point).properties(width=width, height=height)


def allocation_chart(df: pd.DataFrame, width: int = 300) -> alt.Chart:
    """Bars of ``share`` of demand (0 to 1) per ``supplier``."""
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", title="share of demand", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("supplier:N", title=None, sort=None),
        tooltip=["supplier:N", alt.Tooltip("share:Q", format=".3f")],
    ).properties(width=width, height=18 * max(len(df), 1))


def nonfinite_columns(df: pd.DataFrame) -> list[str]:
    """The numeric columns of ``df`` holding NaN or +-inf (which a JSON chart spec cannot carry)."""
    numeric = df.select_dtypes(include="number")
    return [str(col) for col in numeric.columns if not np.isfinite(numeric[col].to_numpy(dtype=float)).all()]


def replace_data(spec: dict, df: pd.DataFrame) -> dict:
    """A copy of a Vega-Lite ``spec`` (from ``chart.to_dict()``) whose one dataset is ``df``.

    The chart must have been built from a single DataFrame (Altair stores it under
    ``spec["datasets"]``); the dataset keeps its name so every layer still finds it.
    Raises ``ValueError`` if a numeric column holds NaN or inf: the spec would not be JSON.
    """
    datasets = spec.get("datasets", {})
    if len(datasets) != 1:
        raise ValueError(f"replace_data needs a spec with exactly one dataset, got {len(datasets)}")
    bad = nonfinite_columns(df)
    if bad:
        raise ValueError(f"replace_data: column(s) {', '.join(bad)} hold NaN or inf, which JSON cannot carry")
    (name,) = datasets
    out = copy.copy(spec)
    out["datasets"] = {name: df.to_dict(orient="records")}
    return out
