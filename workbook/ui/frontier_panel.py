"""The frontier panel: throughput--interactivity frontiers of several chips, and what bandwidth or
compute would buy at a chosen interactivity.

>>> panel = FrontierPanel()                                   # doctest: +SKIP
>>> panel.controls["chips"].value = ("nvidia_h100_sxm", "amd_mi300x")  # doctest: +SKIP
>>> panel.last_data.head()                                    # doctest: +SKIP
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from workbook import analysis, catalog
from workbook.analysis import frontier
from workbook.errors import InputError
from workbook.model import sizing
from workbook.specs import workload
from workbook.ui import charts
from workbook.ui.controls import CONTEXTS, ArgumentCheck, chip_name
from workbook.ui.panel import Panel

DEFAULT_CHIPS = ("nvidia_h100_sxm", "nvidia_b200_hgx", "amd_mi300x", "google_tpu_v6e")
INTERACTIVITIES = [10, 20, 50, 100, 200, 500, 1000]  # tokens/s per user offered for the gradient


class FrontierPanel(Panel):
    """Frontiers (:func:`workbook.analysis.frontier.frontier`) of the chosen chips for one model.

    Controls: ``chips`` (several), ``model``, ``precision``, ``prompt`` and ``output`` (tokens),
    ``interactivity`` (tokens/s per user at which ``summary`` gives the elasticities of throughput
    per chip to memory bandwidth and compute, for the first chip). Chips on which the model fits
    in no configuration are left out and named in ``summary``; if none fits, ``message`` says so
    and the last chart stays.
    """

    def __init__(self, chip_ids=DEFAULT_CHIPS, model_id="llama-3.1-8b", precision="fp8", prompt=1024, output=256,
                 interactivity=50):
        check = ArgumentCheck()
        ids = check.chip_ids("chip_ids", chip_ids, DEFAULT_CHIPS)
        slider = dict(continuous_update=False)
        controls = {
            "chips": widgets.SelectMultiple(options=[(chip_name(c), c) for c in catalog.chip_ids()], value=tuple(ids),
                                            description="chips", rows=6),
            "model": widgets.Dropdown(options=catalog.model_ids(), description="model",
                                      value=check.option("model_id", model_id, catalog.model_ids())),
            "precision": widgets.Dropdown(options=["bf16", "fp8", "fp4", "int8", "int4"], description="precision",
                                          value=check.option("precision", precision, ["bf16", "fp8", "fp4", "int8", "int4"])),
            "prompt": widgets.SelectionSlider(options=CONTEXTS[:8], value=check.option("prompt", prompt, CONTEXTS[:8]),
                                              description="prompt T", **slider),
            "output": widgets.SelectionSlider(options=CONTEXTS[:6], value=check.option("output", output, CONTEXTS[:6]),
                                              description="output", **slider),
            "interactivity": widgets.SelectionSlider(options=INTERACTIVITIES, description="tok/s/user",
                                                     value=check.option("interactivity", interactivity, INTERACTIVITIES),
                                                     **slider),
        }
        super().__init__(controls, rows=[["chips", "model", "precision"], ["prompt", "output", "interactivity"]],
                         problems=check.problems)

    def draw(self, data):
        return charts.frontier_chart(data)

    def empty_data(self):
        return pd.DataFrame({"chip": [], "tokens_per_s_per_user": [], "tokens_per_s_per_chip": []})

    def compute(self):
        c = self.controls
        ids = list(c["chips"].value)
        if not ids:
            raise InputError("chips: none selected; allowed: one or more chips of the catalog")
        model_id = c["model"].value
        m = catalog.model(model_id)
        sizing.check_context(m, c["prompt"].value, c["output"].value, model_id)
        w = workload(c["precision"].value, input_tokens=c["prompt"].value, output_tokens=c["output"].value)
        rows, dropped, first = [], [], None
        for cid in ids:
            eff = analysis.calibrated_efficiency(cid)[0]
            try:
                points = frontier.frontier(catalog.chip(cid), m, w, eff, model_id=model_id, chip_id=cid)
            except InputError:
                dropped.append(chip_name(cid))
                continue
            first = first or (cid, eff, points)
            rows += [{"chip": chip_name(cid), **{k: p[k] for k in (
                "tokens_per_s_per_user", "tokens_per_s_per_chip", "usd_per_million_tokens", "joules_per_token",
                "batch", "chunk_tokens", "chips")}} for p in points]
        if first is None:
            raise InputError(f"{model_id} at {c['precision'].value} fits in no configuration of the chosen chips "
                             "(up to 4x the fewest chips that hold it); choose other chips or a narrower precision")
        summary = [self._gradient_text(m, w, *first)]
        if dropped:
            summary.append("Does not fit (not shown): " + html.escape(", ".join(dropped)))
        return pd.DataFrame(rows), "<br>".join(summary)

    def _gradient_text(self, m, w, cid, eff, points) -> str:
        target = float(self.controls["interactivity"].value)
        name = html.escape(chip_name(cid))
        try:
            g = frontier.frontier_gradient(catalog.chip(cid), m, w, eff, points, target)
        except InputError:
            top = max(p["tokens_per_s_per_user"] for p in points)
            return f"{name} reaches at most {top:.0f} tokens/s per user: no gradient at {target:g}"
        return (f"{name} at {target:g} tokens/s per user: {g['tokens_per_s_per_chip']:.4g} output tokens/s per chip "
                f"(batch {g['point']['batch']}, token budget {g['point']['chunk_tokens']}); +1 % memory bandwidth gives "
                f"<b>{g['elasticity_bandwidth']:+.2f} %</b>, +1 % compute <b>{g['elasticity_compute']:+.2f} %</b>")
