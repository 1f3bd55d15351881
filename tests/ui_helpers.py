"""Shared code for the UI tests (tests/test_charts.py, tests/test_panel.py and the panel tests).

Charts are checked as Vega draws them: vl-convert (a dependency of the package, used by
``alt.JupyterChart`` offline) compiles a Vega-Lite spec to Vega and lays out its scene graph,
so a test sees axis titles and where every bar starts and ends, without a browser.
"""

from __future__ import annotations

import json

import ipywidgets as widgets
import vl_convert as vlc
from altair.utils._importers import vl_version_for_vl_convert

from workbook import catalog

VL_VERSION = vl_version_for_vl_convert()
SCRIPT = "<script>alert(1)</script>"


def _marks(node, marktype: str):
    if isinstance(node, dict):
        if node.get("marktype") == marktype and node.get("role") == "mark":
            yield node
        for v in node.values():
            yield from _marks(v, marktype)
    elif isinstance(node, list):
        for v in node:
            yield from _marks(v, marktype)


def bar_edges(spec: dict) -> list[tuple[float, float]]:
    """(left, right) pixel edges of every bar Vega draws for ``spec``, in data order."""
    scene = vlc.vegalite_to_scenegraph(spec, vl_version=VL_VERSION)
    return [(item["x"], item["x2"]) for mark in _marks(scene, "rect") for item in mark["items"]]


def vega(spec: dict) -> dict:
    """The Vega spec vl-convert compiles from a Vega-Lite ``spec``."""
    return vlc.vegalite_to_vega(spec, vl_version=VL_VERSION)


def valid_json(spec: dict) -> str:
    """``spec`` as strict JSON (raises ``ValueError`` on NaN or inf, which a browser would reject)."""
    return json.dumps(spec, allow_nan=False)


def html_values(widget) -> list[str]:
    """The values of every ``HTML`` widget in a widget tree (what the page renders as HTML)."""
    found = [widget.value] if isinstance(widget, widgets.HTML) else []
    for child in getattr(widget, "children", ()):
        found += html_values(child)
    return found


def add_chip_named(monkeypatch, chip_id: str, name: str, like: str = "nvidia_h100_sxm", **changes) -> str:
    """Add a user chip called ``name`` (numbers of ``like``, with ``changes``) for one test only."""
    catalog.chip_ids()  # the built-in catalog is loaded before it is copied
    monkeypatch.setattr(catalog, "_CHIPS", dict(catalog._CHIPS))  # the chip leaves with the test
    fields = {**catalog.chip(like)._asdict(), **changes}
    catalog.add_chip(chip_id, fields, name=name)
    return chip_id
