"""Altair charts of the workbook's tidy tables. Charts only draw: no model computation here.

Every chart function takes pandas DataFrames (built by :mod:`workbook.analysis`,
:mod:`workbook.econ` or a notebook) and returns an Altair chart that meets the workbook's
**chart standard** (``tests/test_chart_standard.py`` checks every function of this module):

* a title that states the finding: pass ``finding="..."`` (a notebook knows what its chart
  shows); without it the chart gets a plain title that says what is drawn (a panel's data
  changes under a fixed spec, so its title cannot claim a finding);
* every positional axis titled with its unit (TFLOP/s, TB/s, USD / M tokens), numbers in one
  style per axis (SI prefixes ``~s``: 1k, 10k, 1M; never mixed with 1e+15), and a log axis
  labelled at its decades only, so labels never overlap;
* category labels never cut: label limits are sized from the longest label (:func:`label_px`);
* a legend wherever colour, dash or shape carries meaning;
* colours that mean the same thing everywhere: number status (:data:`STATUS_COLORS`), binding
  resource (:data:`RESOURCE_COLORS`) and chip vendor (:data:`VENDOR_COLORS`, one map for
  every notebook).

:func:`replace_data` swaps the rows of a chart's Vega-Lite spec, so a panel can update an
``alt.JupyterChart`` in place without rebuilding or re-validating the chart; anything a
chart derives from its rows (such as where bars start on a log axis) is therefore computed
by Vega-Lite transforms in the spec, never frozen from the first rows.

:func:`enable_offline` switches ``alt.JupyterChart`` to offline mode with its JavaScript bundle
kept on disk, so a kernel does not rebuild it (time and memory; the notebooks' first cell).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
from pathlib import Path

import numpy as np

import altair as alt
import pandas as pd

STATUS_ORDER = ["vendor-spec", "reported", "derived", "vendor-claim", "estimate"]
STATUS_COLORS = ["#1b7837", "#5aae61", "#a6dba0", "#f1a340", "#d73027"]
PRECISION_COLORS = {"bf16": "#4c78a8", "fp8": "#e45756", "fp4": "#54a24b", "int8": "#b279a2", "int4": "#9d755d"}
RESOURCE_ORDER = ["compute", "memory", "interconnect", "overhead"]
RESOURCE_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2"]
#: One colour per chip vendor (``catalog.chip_info(c)["vendor"]``), the same in every notebook.
VENDOR_COLORS = {
    "NVIDIA": "#76b900", "AMD": "#e4002b", "Google": "#4285f4", "AWS": "#ff9900", "Microsoft": "#5e5e5e",
    "Intel": "#0b2a6f", "Groq": "#8c564b", "Cerebras": "#9467bd", "Fractile (UK)": "#17becf",
}
CHAR_PX = 6.6  # width of one character of an 11 px label (Vega's default font), rounded up


def enable_offline(cache_dir: str | os.PathLike | None = None) -> None:
    """``alt.JupyterChart.enable_offline()`` (interactive charts carry their own Vega bundle, no
    CDN), with that bundle kept on disk between kernels.

    Altair builds the bundle with vl-convert, which starts a JavaScript engine to bundle Vega,
    Vega-Lite and vega-embed: about 1.5 s and 0.07-0.09 GB of memory in every kernel. The
    bundle depends only on the Altair and vl-convert versions (the same bytes every time), so
    the first call writes it to ``cache_dir`` (default ``$WORKBOOK_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/workbook`` or ``~/.cache/workbook``) and later kernels read it back: the
    same JavaScript, so the charts are unchanged. Anything missing or unwritable falls back to
    Altair's own call.
    """
    chart = alt.JupyterChart
    if getattr(chart, "_is_offline", False):
        return
    try:
        from importlib.metadata import version

        from altair.jupyter.jupyter_chart import load_js_src
        from altair.utils._importers import vl_version_for_vl_convert

        key = "\n".join([alt.__version__, version("vl-convert-python"), vl_version_for_vl_convert(), load_js_src()])
        base = Path(cache_dir or os.environ.get("WORKBOOK_CACHE_DIR")
                    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workbook")
        path = base / f"jupyterchart-offline-{hashlib.sha256(key.encode()).hexdigest()[:20]}.js"
        if path.is_file() and path.stat().st_size > 0:
            chart._esm, chart._is_offline = path.read_text(encoding="utf-8"), True  # what enable_offline sets
            return
    except Exception:  # an Altair without these internals: its own call below
        path = None
    chart.enable_offline()
    if path is not None and isinstance(getattr(chart, "_esm", None), str):
        with contextlib.suppress(OSError):  # a read-only home: no cache, nothing else changes
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(chart._esm, encoding="utf-8")
            os.replace(tmp, path)  # atomic: a concurrent kernel reads the old file or the whole new one


def label_px(labels, minimum: int = 60) -> int:
    """Pixels a label limit needs so that none of ``labels`` is cut (11 px font, a margin)."""
    longest = max((len(str(s)) for s in labels), default=0)
    return max(minimum, int(CHAR_PX * longest) + 12)


def _legend(labels=(), title: str = "") -> alt.Legend:
    return alt.Legend(labelLimit=label_px(labels, 120), titleLimit=label_px([title], 120))


def _status_color(field: str = "status", title: str = "status of the numbers used"):
    return alt.Color(f"{field}:N", title=title, scale=alt.Scale(domain=STATUS_ORDER, range=STATUS_COLORS),
                     legend=_legend(STATUS_ORDER, title))


def vendor_color(vendors=None, field: str = "vendor", title: str = "vendor") -> alt.Color:
    """Colour by chip vendor with :data:`VENDOR_COLORS`; the legend lists ``vendors`` (default: all).

    A vendor missing from the map is drawn grey.
    """
    present = set(VENDOR_COLORS) if vendors is None else {str(v) for v in vendors}
    shown = [v for v in VENDOR_COLORS if v in present] + sorted(present - set(VENDOR_COLORS))
    return alt.Color(f"{field}:N", title=title,
                     scale=alt.Scale(domain=shown, range=[VENDOR_COLORS.get(v, "#999999") for v in shown]),
                     legend=_legend(shown, title))


# Label a log axis at its powers of ten only (1, 10, 100, 1k, ...): the minor grid stays, the
# labels never crowd. ``format`` is a d3 format applied to those decades.
def _decade_labels(fmt: str) -> str:
    return f"substring(format(datum.value, '.1e'), 0, 3) == '1.0' ? format(datum.value, '{fmt}') : ''"


def _axis(title: str, fmt: str = "~s", log: bool = False, **kw) -> alt.Axis:
    if log:
        return alt.Axis(title=title, format=fmt, labelExpr=_decade_labels(fmt), labelOverlap=False, **kw)
    return alt.Axis(title=title, format=fmt, **kw)


def _title(finding: str | None, default: str, subtitle: str | None = None) -> alt.TitleParams:
    text = finding or default
    return alt.TitleParams(text=text, subtitle=subtitle or "", anchor="start", limit=0)


def chip_bar_chart(df: pd.DataFrame, value: str, title: str, *, log: bool = False, width: int = 420,
                   height: int | None = None, finding: str | None = None, axis_format: str = "~s",
                   status_title: str = "status of the numbers used") -> alt.Chart:
    """Horizontal bars of ``value`` per chip, sorted, coloured by the status of the numbers behind them.

    Columns: ``name``, ``value`` column, ``status`` (one of ``STATUS_ORDER``): the weakest
    status among the numbers *this* value depends on (a throughput chart should not turn red
    because a chip's rental price is an estimate; pass the quantities to
    :func:`workbook.ui.weakest_status`). ``title`` is the value axis title, with its unit;
    ``finding`` the chart title; ``axis_format`` a d3 format (``"~s"`` SI prefixes,
    ``"$~g"`` for dollars). A log axis has no zero, so with ``log=True`` the bars start at
    ``bar_start``, the decade strictly below the smallest positive value,
    ``10 ** (ceil(log10(min)) - 1)``; the spec computes it from its rows, so it follows the
    data after :func:`replace_data`. Rows with ``value <= 0`` cannot be drawn on a log axis
    and are left out.
    """
    chart = alt.Chart(df)
    if log:
        chart = chart.transform_filter(alt.datum[value] > 0).transform_joinaggregate(
            smallest_value=f"min({value})",
        ).transform_calculate(  # 1e-9: a power of ten whose log10 rounds up still gets the decade below
            bar_start="pow(10, ceil(log(datum.smallest_value) / LN10 - 1e-9) - 1)",
        )
    x = alt.X(f"{value}:Q", title=title, scale=alt.Scale(type="log") if log else alt.Scale(zero=True),
              axis=_axis(title, axis_format, log))
    extra = {"x2": alt.X2("bar_start:Q")} if log else {}
    names = list(df["name"]) if "name" in df else []
    return chart.mark_bar().encode(
        x=x,
        **extra,
        y=alt.Y("name:N", sort="-x", title="chip", axis=alt.Axis(labelLimit=label_px(names))),
        color=_status_color(title=status_title),
        tooltip=["name:N", alt.Tooltip(f"{value}:Q", format=".4g"), "status:N"],
    ).properties(width=width, height=height or 16 * max(len(df), 1),
                 title=_title(finding, f"{title}, by chip"))


def roofline_chart(roofs: pd.DataFrame, points: pd.DataFrame | None = None, ridges: pd.DataFrame | None = None, *,
                   width: int = 460, height: int = 300, finding: str | None = None,
                   y_title: str = "attainable TFLOP/s") -> alt.LayerChart:
    """Log-log roofline: attainable TFLOP/s against arithmetic intensity, one line per chip.

    ``roofs``: ``name, intensity (FLOP/byte), attainable (TFLOP/s)`` and optionally
    ``vendor`` (then lines are coloured by :data:`VENDOR_COLORS` and dashed per chip, else
    coloured per chip); ``points``: ``name, phase, intensity, attainable`` and optionally
    ``vendor`` (e.g. prefill and decode of a workload, shaped by phase); ``ridges``: ``name,
    intensity, attainable`` and optionally ``label`` (the ridge point ``I* = peak / BW`` of
    each chip), drawn as a labelled diamond.
    """
    names = sorted(set(roofs["name"])) if "name" in roofs else []
    by_vendor = "vendor" in roofs
    line_enc = {"color": vendor_color(roofs["vendor"])} if by_vendor else {"color": alt.Color("name:N", title="chip",
                                                                               legend=_legend(names, "chip"))}
    if by_vendor:
        line_enc["strokeDash"] = alt.StrokeDash("name:N", title="chip", legend=_legend(names, "chip"))
    x = alt.X("intensity:Q", scale=alt.Scale(type="log"), axis=_axis("arithmetic intensity (FLOP/byte)", "~g", True))
    y = alt.Y("attainable:Q", scale=alt.Scale(type="log"), axis=_axis(y_title, "~g", True))
    lines = alt.Chart(roofs).mark_line().encode(
        x=x, y=y, **line_enc,
        tooltip=["name:N", alt.Tooltip("intensity:Q", format=".3g"), alt.Tooltip("attainable:Q", format=".3g")],
    )
    layers = [lines]
    if points is not None and len(points):
        colour = {"color": vendor_color(points["vendor"])} if "vendor" in points else {}
        layers.append(alt.Chart(points).mark_point(size=90, filled=True, color="black", opacity=0.8).encode(
            x="intensity:Q", y="attainable:Q", **colour,
            shape=alt.Shape("phase:N", title="workload phase", legend=_legend(points["phase"], "workload phase")),
            tooltip=["name:N", "phase:N", alt.Tooltip("intensity:Q", format=".3g"),
                     alt.Tooltip("attainable:Q", format=".3g")],
        ))
    if ridges is not None and len(ridges):
        base = alt.Chart(ridges).encode(x="intensity:Q", y="attainable:Q")
        layers.append(base.mark_point(shape="diamond", size=70, filled=True, color="black").encode(
            tooltip=["name:N", alt.Tooltip("intensity:Q", format=".0f", title="ridge I* (FLOP/byte)")]))
        label = "label:N" if "label" in ridges else "name:N"
        layers.append(base.mark_text(align="right", dx=-7, dy=-6, fontSize=10).encode(text=label))
    return alt.layer(*layers).properties(
        width=width, height=height,
        title=_title(finding, "Roofline: attainable compute against arithmetic intensity"))


def elasticity_chart(df: pd.DataFrame, title: str = "elasticity", width: int = 380, *,
                     finding: str | None = None) -> alt.Chart:
    """Bars of ``elasticity`` per ``field`` (d log output / d log input), coloured by ``record``.

    ``title`` is the value axis title (an elasticity has no unit: % change of the output per
    % change of the input); ``finding`` the chart title.
    """
    fields = list(df["field"]) if "field" in df else []
    records = list(df["record"]) if "record" in df else []
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("elasticity:Q", title=title, axis=alt.Axis(format="~g")),
        y=alt.Y("field:N", sort="-x", title="input", axis=alt.Axis(labelLimit=label_px(fields))),
        color=alt.Color("record:N", title="input record", legend=_legend(records, "input record")),
        tooltip=["record:N", "field:N", alt.Tooltip("elasticity:Q", format=".3f")],
    ).properties(width=width, height=16 * max(len(df), 1),
                 title=_title(finding, "Elasticities: % change of the output per % change of each input"))


def regime_heatmap(df: pd.DataFrame, width: int = 360, height: int = 240, *, cap: float = 2.0,
                   finding: str | None = None) -> alt.LayerChart:
    """Heatmap over (batch, context) of ``log10(ε_BW / ε_compute)``: colour and number are the same value.

    Columns: ``batch, context, log10_ratio`` (batch and context as ordinal labels; optional
    ``resource``, the binding resource of the decode step, in the tooltip). Positive: memory
    bandwidth matters more than compute. The colour scale and the printed number are clipped
    to ``[-cap, cap]`` in the spec, and a clipped cell says so (``≥2.0``), so no cap is hidden.
    """
    tooltip = ["batch:O", "context:O", alt.Tooltip("log10_ratio:Q", format=".2f", title="log10(ε_BW / ε_compute)")]
    if "resource" in df:
        tooltip.append(alt.Tooltip("resource:N", title="decode step bound by"))
    base = alt.Chart(df).transform_calculate(
        shown=f"clamp(datum.log10_ratio, {-cap}, {cap})",
        label=(f"(datum.log10_ratio >= {cap} ? '≥' : datum.log10_ratio <= {-cap} ? '≤' : '')"
               " + format(clamp(datum.log10_ratio, " + f"{-cap}, {cap}), '.1f')"),
    ).encode(
        x=alt.X("batch:O", title="batch B (sequences)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("context:O", title="prompt length T (tokens)", sort="descending"),
    )
    title = f"log10(ε_BW / ε_compute), clipped at ±{cap:g}"
    rect = base.mark_rect().encode(
        color=alt.Color("shown:Q", title=["log10(ε_BW / ε_compute)", f"(clipped at ±{cap:g})"],
                        scale=alt.Scale(scheme="purpleorange", domain=[-cap, cap], domainMid=0),
                        legend=alt.Legend(titleLimit=label_px([title]), format="~g")),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("label:N"),
        color=alt.condition(f"abs(datum.shown) > {0.6 * cap}", alt.value("white"), alt.value("black")),
    )
    return alt.layer(rect, text).properties(
        width=width, height=height,
        title=_title(finding, "Bandwidth or compute: log10 of the ratio of their elasticities",
                     "orange: memory bandwidth matters more; purple: compute matters more"))


def critical_batch_chart(df: pd.DataFrame, width: int = 380, *, finding: str | None = None) -> alt.Chart:
    """Dots of ``critical_batch`` per chip ``name`` and ``precision`` (log scale)."""
    names = list(df["name"]) if "name" in df else []
    precisions = sorted(set(df["precision"])) if "precision" in df else []
    return alt.Chart(df).mark_point(filled=True, size=70).encode(
        x=alt.X("critical_batch:Q", scale=alt.Scale(type="log"),
                axis=_axis("critical batch B* (sequences)", "~g", True)),
        y=alt.Y("name:N", title="chip", axis=alt.Axis(labelLimit=label_px(names))),
        color=alt.Color("precision:N", title="precision", legend=_legend(precisions, "precision"),
                        scale=alt.Scale(domain=[p for p in PRECISION_COLORS if p in precisions],
                                        range=[PRECISION_COLORS[p] for p in PRECISION_COLORS if p in precisions])),
        tooltip=["name:N", "precision:N", alt.Tooltip("critical_batch:Q", format=".0f")],
    ).properties(width=width, height=16 * max(df["name"].nunique(), 1),
                 title=_title(finding, "Critical batch B* = peak · (bits/8) / (2 · BW), per chip and precision"))


def tornado_chart(df: pd.DataFrame, central: float, title: str, width: int = 380, *,
                  finding: str | None = None, axis_format: str = "~g") -> alt.LayerChart:
    """Tornado: a bar from ``output_low`` to ``output_high`` per ``input``, largest swing on top.

    ``title`` is the output axis title with its unit; the black rule is the ``central`` value.
    """
    order = list(df["input"])
    kinds = sorted(set(df["kind"])) if "kind" in df else []
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("output_low:Q", title=title, scale=alt.Scale(zero=False), axis=alt.Axis(format=axis_format)),
        x2="output_high:Q",
        y=alt.Y("input:N", sort=order, title="uncertain input", axis=alt.Axis(labelLimit=label_px(order))),
        color=alt.Color("kind:N", title="kind of input", legend=_legend(kinds, "kind of input")),
        tooltip=["input:N", alt.Tooltip("low:Q", format=".3g"), alt.Tooltip("high:Q", format=".3g"),
                 alt.Tooltip("output_low:Q", format=".4g"), alt.Tooltip("output_high:Q", format=".4g")],
    )
    rule = alt.Chart(pd.DataFrame({"central": [central]})).mark_rule(color="black").encode(x="central:Q")
    return alt.layer(bars, rule).properties(
        width=width, height=18 * max(len(df), 1),
        title=_title(finding, "Tornado: the output at each input's low and high end, the others central"))


def spend_chart(df: pd.DataFrame, width: int = 460, height: int = 260, *,
                finding: str | None = None) -> alt.LayerChart:
    """Cumulative training and inference spend (USD, log) against years, crossover marked.

    ``df`` columns: ``year``, ``usd``, ``series`` (``training``, ``inference`` or
    ``crossover``; the crossover row, if any, is drawn as a rule and a point).
    """
    base = alt.Chart(df)
    lines = base.transform_filter(alt.datum.series != "crossover").mark_line().encode(
        x=alt.X("year:Q", title="years since deployment"),
        y=alt.Y("usd:Q", scale=alt.Scale(type="log"), axis=_axis("cumulative spend (USD)", "$~s", True)),
        color=alt.Color("series:N", title="spend on", scale=alt.Scale(domain=["training", "inference"],
                                                                        range=["#4c78a8", "#f58518"])),
        tooltip=[alt.Tooltip("year:Q", format=".2f"), alt.Tooltip("usd:Q", format="$.3s"), "series:N"],
    )
    cross = base.transform_filter(alt.datum.series == "crossover")
    rule = cross.mark_rule(strokeDash=[4, 3], color="black").encode(x="year:Q")
    point = cross.mark_point(filled=True, size=80, color="black").encode(
        x="year:Q", y="usd:Q", tooltip=[alt.Tooltip("year:Q", format=".2f", title="crossover (years)")])
    return alt.layer(lines, rule, point).properties(
        width=width, height=height,
        title=_title(finding, "Cumulative training and inference spend (dashed: crossover)"))


def kink_chart(df: pd.DataFrame, width: int = 420, height: int = 260, *,
               finding: str | None = None) -> alt.LayerChart:
    """Lines of NVIDIA's negotiated ``price`` against an alternative's ``effective_cost`` (both
    USD per million tokens), one per ``curve``; the ``current`` row is drawn as a point."""
    base = alt.Chart(df)
    curves = sorted(set(df["curve"]) - {"current"}) if "curve" in df else []
    lines = base.transform_filter(alt.datum.curve != "current").mark_line().encode(
        x=alt.X("effective_cost:Q", title="alternative's effective cost e (USD / M tokens)"),
        y=alt.Y("price:Q", title="NVIDIA negotiated price (USD / M tokens)", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", title="curve", legend=_legend(curves, "curve")),
        strokeDash=alt.StrokeDash("curve:N", title="curve", legend=_legend(curves, "curve")),
    )
    point = base.transform_filter(alt.datum.curve == "current").mark_point(size=120, filled=True, color="black").encode(
        x="effective_cost:Q", y="price:Q", tooltip=[alt.Tooltip("effective_cost:Q", format=".3f"),
                                                     alt.Tooltip("price:Q", format=".3f")])
    return alt.layer(lines, point).properties(
        width=width, height=height,
        title=_title(finding, "NVIDIA's negotiated price against the alternative's cost (dot: now)"))


def allocation_chart(df: pd.DataFrame, width: int = 300, *, finding: str | None = None) -> alt.Chart:
    """Bars of ``share`` of demand (0 to 1) per ``supplier``."""
    suppliers = list(df["supplier"]) if "supplier" in df else []
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", title="share of demand", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="~%")),
        y=alt.Y("supplier:N", title="supplier", sort=None, axis=alt.Axis(labelLimit=label_px(suppliers))),
        tooltip=["supplier:N", alt.Tooltip("share:Q", format=".3f")],
    ).properties(width=width, height=18 * max(len(df), 1),
                 title=_title(finding, "Mean-CVaR allocation: share of demand per supplier"))


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


def series_band_chart(df: pd.DataFrame, x_title: str, y_title: str, *, finding: str | None = None,
                      log_x: bool = False, log_y: bool = False, series_title: str = "series", x_format: str = "~s",
                      y_format: str = "~s", rules: pd.DataFrame | None = None, width: int = 460,
                      height: int = 260) -> alt.LayerChart:
    """Lines of ``y`` against ``x``, one per ``series`` (legend), each with an uncertainty band.

    ``df`` columns: ``x``, ``y``, ``series``, ``low``, ``high`` (the band, drawn translucent;
    set ``low = high = y`` for a series without one). ``rules`` (optional, columns ``x``,
    ``label``): dashed vertical marks with their labels (a second dataset: such a chart is
    rebuilt, not updated with :func:`replace_data`). ``x_title``/``y_title`` carry the units.
    """
    series = list(dict.fromkeys(df["series"])) if "series" in df else []
    legend = alt.Legend(labelLimit=label_px(series, 120), titleLimit=label_px([series_title], 120), symbolOpacity=1,
                        symbolType="stroke", symbolStrokeWidth=2)
    color = alt.Color("series:N", title=series_title, sort=series, legend=legend)
    x = alt.X("x:Q", scale=alt.Scale(type="log") if log_x else alt.Scale(zero=False), axis=_axis(x_title, x_format, log_x))
    y_scale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    base = alt.Chart(df)
    band = base.mark_area(opacity=0.18).encode(x=x, y=alt.Y("low:Q", scale=y_scale, axis=_axis(y_title, y_format, log_y)),
                                              y2="high:Q", color=color)
    lines = base.mark_line().encode(
        x=x, y=alt.Y("y:Q", scale=y_scale, axis=_axis(y_title, y_format, log_y)), color=color,
        tooltip=["series:N", alt.Tooltip("x:Q", format=".3g"), alt.Tooltip("y:Q", format=".3g"),
                 alt.Tooltip("low:Q", format=".3g"), alt.Tooltip("high:Q", format=".3g")])
    layers = [band, lines]
    if rules is not None and len(rules):
        r = alt.Chart(rules)
        labels = r.transform_window(rule_index="row_number()").transform_calculate(rule_y="(datum.rule_index - 1) * 13 + 2")
        layers += [r.mark_rule(strokeDash=[4, 3], color="black").encode(x="x:Q"),
                   labels.mark_text(align="left", dx=4, fontSize=10, baseline="top").encode(
                       x="x:Q", y=alt.Y("rule_y:Q", scale=None, axis=None), text="label:N")]
    return alt.layer(*layers).properties(width=width, height=height, title=_title(finding, f"{y_title} against {x_title}"))


def grouped_bar_chart(df: pd.DataFrame, value_title: str, *, finding: str | None = None, log: bool = False,
                      group_title: str = "group", category_title: str = "category", value_format: str = "~s",
                      width: int = 420) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category``, one bar per ``group`` side by side (legend).

    ``df`` columns: ``category``, ``group``, ``value``. With ``log=True`` the bars start at the
    decade below the smallest positive value (computed in the spec, as in :func:`chip_bar_chart`)
    and rows with ``value <= 0`` are left out.
    """
    chart = alt.Chart(df)
    if log:
        chart = chart.transform_filter(alt.datum.value > 0).transform_joinaggregate(
            smallest_value="min(value)").transform_calculate(
            bar_start="pow(10, ceil(log(datum.smallest_value) / LN10 - 1e-9) - 1)")
    groups = list(dict.fromkeys(df["group"])) if "group" in df else []
    cats = list(dict.fromkeys(df["category"])) if "category" in df else []
    extra = {"x2": alt.X2("bar_start:Q")} if log else {}
    return chart.mark_bar().encode(
        x=alt.X("value:Q", scale=alt.Scale(type="log") if log else alt.Scale(zero=True),
                axis=_axis(value_title, value_format, log)),
        **extra,
        y=alt.Y("category:N", sort=cats, title=category_title, axis=alt.Axis(labelLimit=label_px(cats))),
        yOffset=alt.YOffset("group:N", sort=groups),
        color=alt.Color("group:N", title=group_title, sort=groups, legend=_legend(groups, group_title)),
        tooltip=["category:N", "group:N", alt.Tooltip("value:Q", format=".4g")],
    ).properties(width=width, height=14 * max(len(df), 1) + 10 * max(len(cats), 1),
                 title=_title(finding, f"{value_title}, by {category_title} and {group_title}"))


def stacked_share_chart(df: pd.DataFrame, *, finding: str | None = None, group_title: str = "group",
                        category_title: str = "category", share_title: str = "share of tokens bought (%)",
                        width: int = 420) -> alt.Chart:
    """Horizontal bars from 0 to 100 % per ``category``, split by ``group`` (legend).

    ``df`` columns: ``category``, ``group``, ``share`` (fractions summing to 1 per category).
    """
    groups = list(dict.fromkeys(df["group"])) if "group" in df else []
    cats = list(dict.fromkeys(df["category"])) if "category" in df else []
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", stack="zero", scale=alt.Scale(domain=[0, 1]), axis=_axis(share_title, "%")),
        y=alt.Y("category:N", sort=cats, title=category_title, axis=alt.Axis(labelLimit=label_px(cats))),
        color=alt.Color("group:N", title=group_title, sort=groups, legend=_legend(groups, group_title)),
        order=alt.Order("group_order:Q"),
        tooltip=["category:N", "group:N", alt.Tooltip("share:Q", format=".1%")],
    ).transform_calculate(group_order=f"indexof({groups!r}, datum.group)").properties(
        width=width, height=24 * max(len(cats), 1), title=_title(finding, f"{share_title}, by {category_title}"))


def frontier_chart(df: pd.DataFrame, *, finding: str | None = None, width: int = 460, height: int = 300,
                   user_title: str = "tokens/s per user (p90 of TPOT)",
                   chip_title: str = "output tokens/s per chip") -> alt.LayerChart:
    """Throughput--interactivity frontiers, one line and colour per chip, both axes logarithmic.

    Columns: ``chip`` (display name), ``tokens_per_s_per_user``, ``tokens_per_s_per_chip``;
    optional ``usd_per_million_tokens``, ``joules_per_token``, ``batch``, ``chunk_tokens`` and
    ``chips`` in the tooltip (:func:`workbook.analysis.frontier.frontier` points).
    """
    chips = list(dict.fromkeys(df["chip"])) if "chip" in df else []
    tooltip = ["chip:N", alt.Tooltip("tokens_per_s_per_user:Q", format=".3~s", title=user_title),
               alt.Tooltip("tokens_per_s_per_chip:Q", format=".3~s", title=chip_title)]
    for col, title, fmt in (("usd_per_million_tokens", "USD / M tokens", ".3~g"), ("joules_per_token", "J / token", ".3~g"),
                            ("batch", "batch B", "d"), ("chunk_tokens", "token budget K (tokens)", "d"),
                            ("chips", "chips per replica", "d")):
        if col in df:
            tooltip.append(alt.Tooltip(f"{col}:Q", format=fmt, title=title))
    base = alt.Chart(df).encode(
        x=alt.X("tokens_per_s_per_user:Q", scale=alt.Scale(type="log"), axis=_axis(user_title, "~s", log=True)),
        y=alt.Y("tokens_per_s_per_chip:Q", scale=alt.Scale(type="log"), axis=_axis(chip_title, "~s", log=True)),
        color=alt.Color("chip:N", title="chip", sort=chips, legend=_legend(chips, "chip")),
    )
    line = base.mark_line(interpolate="step-after", opacity=0.8).encode(order="tokens_per_s_per_user:Q")
    points = base.mark_point(filled=True, size=30).encode(tooltip=tooltip)
    return alt.layer(line, points).properties(width=width, height=height,
                                              title=_title(finding, f"{chip_title} against {user_title}, per chip"))


def split_regime_chart(df: pd.DataFrame, *, finding: str | None = None, width: int = 300, height: int = 220,
                       cap: float = 2.0) -> alt.LayerChart:
    """Where disaggregated serving is cheaper: a heatmap over the decode chip's memory bandwidth
    and compute, each as a multiple of the prefill chip's, of ``log2`` of disaggregated over
    co-located $/M tokens (negative, purple: splitting wins); the cell prints the ratio.

    Columns: ``bandwidth_scale``, ``compute_scale``, ``ratio``
    (:func:`workbook.analysis.disaggregation.regime_map`). Colour clipped to ``±cap`` (log2).
    """
    legend_title = ["log2(disaggregated / co-located", "USD per M tokens)"]
    base = alt.Chart(df).transform_calculate(
        shown=f"clamp(log(datum.ratio) / LN2, {-cap}, {cap})",
        label="format(datum.ratio, '.2f') + 'x'",
    ).encode(
        x=alt.X("compute_scale:O", title="decode chip's peak FLOP/s (x the prefill chip's)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("bandwidth_scale:O", title="decode chip's memory bandwidth (x the prefill chip's)", sort="descending"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("shown:Q", title=legend_title, scale=alt.Scale(scheme="purpleorange", domain=[-cap, cap], domainMid=0),
                        legend=alt.Legend(titleLimit=label_px(legend_title), format="~g")),
        tooltip=["bandwidth_scale:O", "compute_scale:O", alt.Tooltip("ratio:Q", format=".3f", title="cost ratio")],
    )
    text = base.mark_text(fontSize=11).encode(text="label:N")
    return alt.layer(rect, text).properties(
        width=width, height=height, title=_title(finding, "disaggregated over co-located cost, by the decode chip's specs"))
