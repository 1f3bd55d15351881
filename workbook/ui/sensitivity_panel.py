"""ipywidgets panels: controls wired with ``observe`` to the pure functions, charts updated in place.

Each panel has ``controls`` (a dict of widgets by name), ``chart`` (an ``alt.JupyterChart``
whose Vega-Lite spec gets new rows on every change), ``message`` (an ``HTML`` widget: empty,
or why the settings are infeasible), ``last_data`` (the DataFrame last drawn) and ``widget``
(the whole panel, to display). Invalid settings never raise: they show a message.
The model calls are module-level ``jax.jit`` functions (compiled once per shape), so a
control change re-evaluates in milliseconds.

>>> panel = ChipComparisonPanel()          # doctest: +SKIP
>>> panel.controls["batch"].value = 512    # doctest: +SKIP
>>> panel.last_data.head()                 # doctest: +SKIP
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from workbook import catalog

from workbook.ui import charts

from workbook import analysis as sensitivity
from workbook.errors import InputError
from workbook.specs import PRECISIONS, workload

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
CONTEXTS = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
STATUS_RANK = {s: i for i, s in enumerate(charts.STATUS_ORDER)}


def weakest_status(chip_id: str, quantities=("peak_flops_bf16", "peak_flops_fp8", "memory_bandwidth", "memory_capacity", "price")) -> str:
    """The least certain status among a chip's headline numbers (``estimate`` is weakest)."""
    nums = catalog.chip_entry(chip_id).numbers
    return max((nums[q].status for q in quantities), key=lambda s: STATUS_RANK.get(s, len(STATUS_RANK)))


def _error_html(text: str) -> str:
    return f'<span style="color:#b2182b"><b>Not shown:</b> {html.escape(text)}</span>'


class _Panel:
    """Shared wiring: observe every control, update in place, catch infeasible settings."""

    def __init__(self, controls: dict, initial_chart: alt.TopLevelMixin, data: pd.DataFrame):
        self.controls = controls
        self.message = widgets.HTML(value="")
        self.last_data = data
        self.chart = alt.JupyterChart(initial_chart)
        self._spec = initial_chart.to_dict()
        self.updates = 0
        for w in controls.values():
            w.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                                    self.message, self.chart])

    def _on_change(self, _change=None):
        try:
            df, note = self.compute()
        except InputError as exc:
            self.message.value = _error_html(str(exc))
            return
        except Exception as exc:  # a widget must never show a traceback
            self.message.value = _error_html(f"{type(exc).__name__}: {exc}")
            return
        self.message.value = note
        self.last_data = df
        self.chart.spec = charts.replace_data(self._spec, df)
        self.updates += 1

    def compute(self) -> tuple[pd.DataFrame, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class ChipComparisonPanel(_Panel):
    """Output tokens/s per chip and USD per million tokens across chips for one model.

    Controls: ``model``, ``precision``, ``batch``, ``context`` (prompt tokens), ``output``
    (generated tokens), ``chips`` (per replica; 0 = fewest that hold the model), ``metric``,
    ``price_chip`` and ``price`` (USD per chip-hour override for that chip).
    Efficiencies are calibrated per chip (:func:`workbook.calibration.efficiency`).
    """

    def __init__(self, model_id="llama-3-70b", precision="fp8", batch=64, context=2048, output=512, chip_ids=None,
                 metric="usd_per_million_tokens"):
        self.chip_ids = list(chip_ids or catalog.chip_ids())
        self.names = {c: catalog.chip_info(c).get("name", c) for c in self.chip_ids}
        self.status = {c: weakest_status(c) for c in self.chip_ids}
        self.effs = [sensitivity.calibrated_efficiency(c)[0] for c in self.chip_ids]
        self.prices = {}
        style = {"description_width": "initial"}
        controls = {
            "model": widgets.Dropdown(options=catalog.model_ids(), value=model_id, description="model"),
            "precision": widgets.Dropdown(options=list(PRECISIONS), value=precision, description="precision"),
            "batch": widgets.SelectionSlider(options=BATCHES, value=batch, description="batch B", continuous_update=False),
            "context": widgets.SelectionSlider(options=CONTEXTS, value=context, description="prompt T", continuous_update=False),
            "output": widgets.SelectionSlider(options=CONTEXTS[:8], value=output, description="output", continuous_update=False),
            "chips": widgets.BoundedIntText(value=0, min=0, max=4096, description="chips/replica (0=auto)", style=style),
            "metric": widgets.Dropdown(options=[("USD / M tokens", "usd_per_million_tokens"),
                                                ("tokens/s per chip", "tokens_per_s_per_chip")],
                                       value=metric, description="show"),
            "price_chip": widgets.Dropdown(options=[(self.names[c], c) for c in self.chip_ids], value=self.chip_ids[0],
                                           description="price of"),
            "price": widgets.BoundedFloatText(value=catalog.chip(self.chip_ids[0]).price, min=0.0, max=1e4, step=0.1,
                                              description="USD/chip-h"),
        }
        self._syncing = False
        self.controls = controls
        df, note = self.compute()
        super().__init__(controls, self._chart(df), df)
        self.message.value = note
        controls["price_chip"].unobserve(self._on_change, names="value")
        controls["price_chip"].observe(self._on_price_chip, names="value")
        controls["metric"].unobserve(self._on_change, names="value")
        controls["metric"].observe(self._on_metric, names="value")

    def _chart(self, df):
        metric = self.controls["metric"].value
        return charts.chip_bar_chart(df, "value", sensitivity.METRIC_LABELS[metric], log=True, height=16 * len(self.chip_ids))

    def _on_price_chip(self, change):
        cid = change["new"]
        self.controls["price"].value = float(self.prices.get(cid, catalog.chip(cid).price))

    def _on_metric(self, _change):
        df, note = self.compute()
        self._spec = self._chart(df).to_dict()
        self._on_change()

    def compute(self):
        c = self.controls
        if c["price"].value <= 0:
            raise InputError(f"price: {c['price'].value!r} is out of range; allowed > 0 USD per chip-hour")
        self.prices[c["price_chip"].value] = float(c["price"].value)
        m = catalog.model(c["model"].value)
        w = workload(c["precision"].value, batch=c["batch"].value, input_tokens=c["context"].value,
                     output_tokens=c["output"].value)
        r = sensitivity.compare_chips(self.chip_ids, m, w, self.effs, float(c["chips"].value), self.prices)
        metric = c["metric"].value
        ok = r["fits"] > 0.5
        if not ok.any():
            raise InputError(
                f"batch {c['batch'].value} x {c['context'].value + c['output'].value} tokens of {c['model'].value} "
                f"does not fit in the memory of {int(c['chips'].value)} chip(s) of any chip; lower the batch or "
                "the context, or set chips/replica to 0 (auto)")
        rows = [{"chip_id": cid, "name": self.names[cid], "status": self.status[cid],
                 "value": float(r[metric][i]), "chips": int(r["chips"][i])}
                for i, cid in enumerate(self.chip_ids) if ok[i]]
        dropped = [self.names[cid] for i, cid in enumerate(self.chip_ids) if not ok[i]]
        note = ("" if not dropped else
                "Does not fit in memory (not shown): " + html.escape(", ".join(dropped)))
        return pd.DataFrame(rows), note


class SensitivityPanel(_Panel):
    """Elasticities of one output to every chip and workload field, for one chip.

    Controls: ``chip``, ``model``, ``precision``, ``batch``, ``context``, ``chips``, ``metric``.
    Settings whose batch does not fit in memory show a message and keep the last chart.
    """

    FIELDS_SHOWN = ("peak_flops_bf16", "peak_flops_fp8", "peak_flops_fp4", "peak_ops_int8", "memory_bandwidth",
                    "interconnect_bandwidth", "interconnect_latency", "power", "price",
                    "batch", "input_tokens", "output_tokens", "chips", "weight_bits", "kv_bits")

    def __init__(self, chip_id="nvidia_h100_sxm", model_id="llama-3-70b", precision="fp8", batch=64, context=2048,
                 chips=4, metric="tokens_per_s_per_chip"):
        self.controls = {
            "chip": widgets.Dropdown(options=[(catalog.chip_info(c).get("name", c), c) for c in catalog.chip_ids()],
                                     value=chip_id, description="chip"),
            "model": widgets.Dropdown(options=catalog.model_ids(), value=model_id, description="model"),
            "precision": widgets.Dropdown(options=list(PRECISIONS), value=precision, description="precision"),
            "batch": widgets.SelectionSlider(options=BATCHES, value=batch, description="batch B", continuous_update=False),
            "context": widgets.SelectionSlider(options=CONTEXTS, value=context, description="prompt T", continuous_update=False),
            "chips": widgets.BoundedIntText(value=chips, min=1, max=4096, description="chips/replica"),
            "metric": widgets.Dropdown(options=[(v, k) for k, v in sensitivity.METRIC_LABELS.items()], value=metric,
                                       description="output"),
        }
        df, note = self.compute()
        super().__init__(self.controls, charts.elasticity_chart(df, "elasticity (d log output / d log input)"), df)
        self.message.value = note

    def compute(self):
        c = self.controls
        cid = c["chip"].value
        chip, m = catalog.chip(cid), catalog.model(c["model"].value)
        eff = sensitivity.calibrated_efficiency(cid)[0]
        w = workload(c["precision"].value, batch=c["batch"].value, input_tokens=c["context"].value,
                     output_tokens=256, chips=c["chips"].value)
        chip_e, w_e, perf = sensitivity.serving_elasticities(chip, m, w, eff)
        k = sensitivity.METRICS.index(c["metric"].value)
        if float(perf.fits) < 0.5:
            raise InputError(
                f"batch {c['batch'].value} with a {c['context'].value}-token prompt does not fit on "
                f"{c['chips'].value} x {catalog.chip_info(cid).get('name', cid)}: needs "
                f"{float(perf.memory_required) / 1e9:.1f} GB per chip, {float(perf.memory_available) / 1e9:.1f} GB usable")
        rows = []
        for rec_name, rec in (("chip", chip_e), ("workload", w_e)):
            for f in rec._fields:
                if f in self.FIELDS_SHOWN:
                    rows.append({"record": rec_name, "field": f, "elasticity": round(float(np.asarray(getattr(rec, f))[k]), 4)})
        bound = ("compute", "memory", "interconnect")[int(perf.bound)]
        whole = ("compute", "memory", "interconnect")[int(perf.cycle_bound)]
        note = (f"one decode step is bound by <b>{bound}</b>; the whole cycle (prompt prefill + decode), which sets "
                f"throughput and cost, by <b>{whole}</b>; ") + f"{sensitivity.METRIC_LABELS[c['metric'].value]} = {float(getattr(perf, c['metric'].value)):.4g}"
        return pd.DataFrame(rows), note
