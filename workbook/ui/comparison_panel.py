"""The chip-comparison panel: tokens/s per chip or USD per million tokens, across chips, for one model.

>>> panel = ChipComparisonPanel()          # doctest: +SKIP
>>> panel.controls["batch"].value = 512    # doctest: +SKIP
>>> panel.last_data.head()                 # doctest: +SKIP
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from workbook import analysis, catalog
from workbook.errors import InputError, require
from workbook.model import sizing
from workbook.specs import workload
from workbook.ui import charts
from workbook.ui.controls import CONTEXTS, ArgumentCheck, chip_name, workload_controls
from workbook.ui.panel import Panel

STATUS_RANK = {s: i for i, s in enumerate(charts.STATUS_ORDER)}
HEADLINE_QUANTITIES = ("peak_flops_bf16", "peak_flops_fp8", "memory_bandwidth", "memory_capacity", "price")
SHOWN_METRICS = [("USD / M tokens", "usd_per_million_tokens"), ("tokens/s per chip", "tokens_per_s_per_chip")]


def weakest_status(chip_id: str, quantities=HEADLINE_QUANTITIES) -> str:
    """The least certain status among a chip's headline numbers (``estimate`` is weakest)."""
    nums = catalog.chip_entry(chip_id).numbers
    return max((nums[q].status for q in quantities), key=lambda s: STATUS_RANK.get(s, len(STATUS_RANK)))


class ChipComparisonPanel(Panel):
    """Output tokens/s per chip and USD per million tokens across chips for one model (log axis).

    Controls: ``model``, ``precision``, ``batch``, ``context`` (prompt tokens), ``output``
    (generated tokens), ``chips`` (per replica; 0 = fewest that hold the model), ``metric``,
    ``price_chip`` and ``price`` (USD per chip-hour override for that chip; each chip keeps
    its own override). Efficiencies are calibrated per chip
    (:func:`workbook.calibration.calibrated_efficiency`). Chips whose replica does not hold
    the workload are left out and named in ``summary``.
    """

    redraw_on = ("metric",)  # the axis title names the metric

    def __init__(self, model_id="llama-3-70b", precision="fp8", batch=64, context=2048, output=512, chip_ids=None,
                 metric="usd_per_million_tokens"):
        check = ArgumentCheck()
        self.chip_ids = check.chip_ids("chip_ids", chip_ids, catalog.chip_ids())
        self.names = {c: chip_name(c) for c in self.chip_ids}
        self.status = {c: weakest_status(c) for c in self.chip_ids}
        self.effs = [analysis.calibrated_efficiency(c)[0] for c in self.chip_ids]
        self.prices: dict[str, float] = {}
        first = self.chip_ids[0]
        controls = {
            **workload_controls(check, model_id, precision, batch, context),
            "output": widgets.SelectionSlider(options=CONTEXTS[:8], value=check.option("output", output, CONTEXTS[:8]),
                                              description="output", continuous_update=False),
            "chips": widgets.BoundedIntText(value=0, min=0, max=4096, description="chips/replica (0=auto)",
                                            style={"description_width": "initial"}),
            "metric": widgets.Dropdown(options=SHOWN_METRICS, description="show",
                                       value=check.option("metric", metric, [m for _, m in SHOWN_METRICS])),
            "price_chip": widgets.Dropdown(options=[(self.names[c], c) for c in self.chip_ids], value=first,
                                           description="price of"),
            "price": widgets.BoundedFloatText(value=catalog.chip(first).price, min=0.0, max=1e4, step=0.1,
                                              description="USD/chip-h"),
        }
        super().__init__(controls, handlers={"price_chip": self._on_price_chip}, problems=check.problems)

    def _on_price_chip(self, change):
        """Show the selected chip's price (its override, else the catalog's); nothing is recomputed."""
        cid = change["new"]
        self.controls["price"].value = float(self.prices.get(cid, catalog.chip(cid).price))

    def draw(self, data):
        label = analysis.METRIC_LABELS[self.controls["metric"].value]
        return charts.chip_bar_chart(data, "value", label, log=True, height=16 * len(self.chip_ids))

    def compute(self):
        c = self.controls
        price = require("price", c["price"].value, low=0, low_open=True, unit="USD per chip-hour")
        self.prices[c["price_chip"].value] = price
        w = workload(c["precision"].value, batch=c["batch"].value, input_tokens=c["context"].value,
                     output_tokens=c["output"].value)
        sizing.check_context(catalog.model(c["model"].value), w.input_tokens, w.output_tokens, c["model"].value)
        r = analysis.compare_chips(self.chip_ids, catalog.model(c["model"].value), w, self.effs,
                                   float(c["chips"].value), self.prices)
        fits = r["fits"] > 0.5
        if not fits.any():
            raise InputError(
                f"batch {c['batch'].value} x {c['context'].value + c['output'].value} tokens of {c['model'].value} "
                f"does not fit in the memory of {int(c['chips'].value)} chip(s) of any chip; lower the batch or "
                "the context, or set chips/replica to 0 (auto)")
        metric = c["metric"].value
        rows = [{"chip_id": cid, "name": self.names[cid], "status": self.status[cid],
                 "value": float(r[metric][i]), "chips": int(r["chips"][i])}
                for i, cid in enumerate(self.chip_ids) if fits[i]]
        dropped = [self.names[cid] for i, cid in enumerate(self.chip_ids) if not fits[i]]
        summary = "" if not dropped else "Does not fit in memory (not shown): " + html.escape(", ".join(dropped))
        return pd.DataFrame(rows), summary
