"""The chart standard, checked on every chart function of workbook/ui/charts.py (issue 15).

Chart functions are **discovered**, not listed: every public function of ``workbook.ui.charts``
whose return annotation names an Altair chart (``alt.Chart``, ``alt.LayerChart``, ...), or whose
name ends in ``_chart``/``_heatmap``/``_map``. Each is rendered from a small fixture and its
``chart.to_dict()`` (and the Vega that vl-convert compiles from it) must have:

* a title (the finding; a plain description when no ``finding=`` is given);
* a title on every positional axis Vega draws;
* a legend for every colour, dash or shape encoding of a field (no ``legend=None``);
* an explicit number format (or label expression) on every log axis: Vega's default mixes
  ``1e+16`` with ``100,000,000,000``;
* category labels that fit their axis' label limit (no "GB300 (per Blackwell Ultra GPU in N…");
* vendor colours from ``charts.VENDOR_COLORS`` wherever a chart colours by ``vendor``.

**Registering a new chart's fixture**: add ``"my_new_chart": lambda: charts.my_new_chart(df, ...)``
to ``EXAMPLES`` in ``tests/test_charts.py`` (``test_every_chart_function_has_an_example``
already asks for one there) or to ``FIXTURES`` below (it wins when both have one). A chart
function with neither fails ``test_every_chart_has_a_fixture`` with this instruction.
"""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
from test_charts import EXAMPLES
from ui_helpers import vega

from workbook.ui import charts

NAMES = ["H100 SXM5 80GB", "GB300 (per Blackwell Ultra GPU in NVL72)", "Fractile in-memory-compute inference chip (scenario)"]

# Fixtures shaped like the notebooks' own tables (long chip names, findings as titles).
FIXTURES = {
    "chip_bar_chart": lambda: charts.chip_bar_chart(
        pd.DataFrame({"name": NAMES, "value": [950.0, 2100.0, 38.0], "status": ["vendor-spec", "reported", "estimate"]}),
        "value", "output tokens/s per chip", log=True, finding="B200 serves 10x an A100's tokens per chip"),
    "roofline_chart": lambda: charts.roofline_chart(
        pd.DataFrame({"name": NAMES[:2] * 2, "vendor": ["NVIDIA"] * 4, "intensity": [1.0, 1.0, 1e3, 1e3],
                      "attainable": [3.35, 8.0, 1979.0, 4500.0]}),
        pd.DataFrame({"name": NAMES[:1], "phase": ["decode B=1"], "intensity": [2.0], "attainable": [6.7]}),
        pd.DataFrame({"name": NAMES[:1], "intensity": [590.0], "attainable": [1979.0], "label": ["H100 I*=590"]}),
        finding="Decode sits far left of every ridge point"),
}


def _returns_chart(fn) -> bool:
    ann = fn.__annotations__.get("return")
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return "Chart" in str(text)


def chart_functions() -> list[str]:
    """Every public chart function of workbook.ui.charts, found by introspection."""
    found = []
    for name, fn in inspect.getmembers(charts, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != charts.__name__:
            continue
        if _returns_chart(fn) or name.endswith(("_chart", "_heatmap", "_map")):
            found.append(name)
    return sorted(found)


def fixture(name):
    if name in FIXTURES:
        return FIXTURES[name]
    return next((f for key, f in EXAMPLES.items() if key.split(" ")[0] == name), None)


CHARTS = chart_functions()


def test_discovery_finds_the_charts():
    assert {"chip_bar_chart", "roofline_chart", "regime_heatmap", "spend_chart"} <= set(CHARTS)
    assert "replace_data" not in CHARTS and "nonfinite_columns" not in CHARTS and "label_px" not in CHARTS


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_has_a_fixture(name):
    assert fixture(name) is not None, (
        f"charts.{name} has no fixture: add '{name}': lambda: charts.{name}(<small DataFrame>, ...) to EXAMPLES "
        "in tests/test_charts.py or FIXTURES in tests/test_chart_standard.py")


# --- walking a Vega-Lite spec --------------------------------------------------------------------


def views(spec: dict):
    """Every unit or layer view of a Vega-Lite spec (layers, concatenations, facets, repeats)."""
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            yield from views(sub)
    if isinstance(spec.get("spec"), dict):
        yield from views(spec["spec"])


def encodings(spec: dict):
    for view in views(spec):
        for channel, enc in (view.get("encoding") or {}).items():
            if isinstance(enc, dict):
                yield channel, enc


def vega_axes(node):
    """Every axis of a compiled Vega spec (top level and nested groups) that draws labels."""
    if isinstance(node, dict):
        for axis in node.get("axes", []):
            if axis.get("labels", True) is not False:
                yield axis
        for v in node.values():
            if isinstance(v, (dict, list)):
                yield from vega_axes(v)
    elif isinstance(node, list):
        for v in node:
            yield from vega_axes(v)


def vega_legends(node):
    if isinstance(node, dict):
        yield from node.get("legends", [])
        for v in node.values():
            if isinstance(v, (dict, list)):
                yield from vega_legends(v)
    elif isinstance(node, list):
        for v in node:
            yield from vega_legends(v)


def rendered(name):
    f = fixture(name)
    if f is None:
        pytest.skip(f"{name} has no fixture (see test_every_chart_has_a_fixture)")
    return f().to_dict()


def title_text(title) -> str:
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or "").strip()


# --- the standard --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHARTS)
def test_chart_has_a_title(name):
    spec = rendered(name)
    assert title_text(spec.get("title")), f"charts.{name}: no chart title (state the finding)"


def test_finding_becomes_the_title():
    assert title_text(FIXTURES["chip_bar_chart"]().to_dict()["title"]) == "B200 serves 10x an A100's tokens per chip"
    assert title_text(FIXTURES["roofline_chart"]().to_dict()["title"]) == "Decode sits far left of every ridge point"


@pytest.mark.parametrize("name", CHARTS)
def test_every_positional_axis_has_a_title(name):
    compiled = vega(rendered(name))
    axes = list(vega_axes(compiled))
    assert axes, f"charts.{name}: no axis drawn"
    for axis in axes:
        assert title_text(axis.get("title")), f"charts.{name}: the {axis.get('orient')} axis ({axis.get('scale')}) has no title"


@pytest.mark.parametrize("name", CHARTS)
def test_colour_and_dash_have_a_legend(name):
    spec = rendered(name)
    meaningful = [(ch, enc) for ch, enc in encodings(spec)
                  if ch in ("color", "fill", "stroke", "strokeDash", "shape") and "field" in enc]
    for channel, enc in meaningful:
        assert enc.get("legend", {}) is not None, (
            f"charts.{name}: the {channel} encoding of {enc['field']!r} has legend=None; the reader cannot decode it")
    if meaningful:
        assert list(vega_legends(vega(spec))), f"charts.{name}: colour/dash/shape encodings but no legend drawn"


@pytest.mark.parametrize("name", CHARTS)
def test_log_axes_have_a_number_format(name):
    spec = rendered(name)
    for channel, enc in encodings(spec):
        if channel in ("x", "y") and (enc.get("scale") or {}).get("type") == "log":
            axis = enc.get("axis") or {}
            assert axis.get("format") or axis.get("labelExpr"), (
                f"charts.{name}: log {channel} axis without a format; Vega's default mixes 1e+16 and 100,000,000,000")


@pytest.mark.parametrize("name", CHARTS)
def test_category_labels_fit(name):
    spec = rendered(name)
    rows = [row for data in spec.get("datasets", {}).values() for row in data]
    default_limit = 180  # Vega-Lite's axis labelLimit
    for channel, enc in encodings(spec):
        if channel not in ("x", "y") or enc.get("type") not in ("nominal", "ordinal") or "field" not in enc:
            continue
        labels = {str(r[enc["field"]]) for r in rows if enc["field"] in r}
        if not labels:
            continue
        limit = (enc.get("axis") or {}).get("labelLimit", default_limit)
        need = charts.label_px(labels, 0) - 12
        assert limit == 0 or limit >= need, (
            f"charts.{name}: {channel} labels up to {need} px cut at labelLimit {limit} "
            f"(use axis=alt.Axis(labelLimit=charts.label_px(labels)))")


@pytest.mark.parametrize("name", CHARTS)
def test_vendor_colours_are_the_shared_map(name):
    for channel, enc in encodings(rendered(name)):
        if channel == "color" and enc.get("field") == "vendor":
            scale = enc.get("scale") or {}
            domain, rng = scale.get("domain", []), scale.get("range", [])
            assert domain and len(domain) == len(rng), f"charts.{name}: vendor colour without an explicit scale"
            for v, c in zip(domain, rng):
                assert c == charts.VENDOR_COLORS.get(v, "#999999"), f"charts.{name}: {v} drawn {c}"


def test_vendor_colours_are_distinct():
    assert len(set(charts.VENDOR_COLORS.values())) == len(charts.VENDOR_COLORS)


def test_every_catalog_vendor_has_a_colour():
    from workbook import catalog

    vendors = {catalog.chip_info(c).get("vendor") for c in catalog.chip_ids()}
    assert vendors <= set(charts.VENDOR_COLORS), f"vendors without a colour: {vendors - set(charts.VENDOR_COLORS)}"


def test_label_px_grows_with_the_longest_label():
    assert charts.label_px(["a" * 60]) > charts.label_px(["a" * 20]) >= 60
