"""The sensitivity panel: elasticities of one serving output to every chip and workload field, for one chip.

>>> panel = SensitivityPanel()             # doctest: +SKIP
>>> panel.controls["batch"].value = 256    # doctest: +SKIP
>>> panel.last_data.head()                 # doctest: +SKIP
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pandas as pd

from workbook import analysis, catalog
from workbook.errors import InputError
from workbook.model import sizing
from workbook.model.serving import RESOURCES
from workbook.specs import workload
from workbook.ui import charts
from workbook.ui.controls import ArgumentCheck, chip_name, workload_controls
from workbook.ui.panel import Panel

OUTPUT_TOKENS = 256  # generated tokens per sequence in the workload


class SensitivityPanel(Panel):
    """Elasticities (d log output / d log input) of one output to every chip and workload field.

    Controls: ``chip``, ``model``, ``precision``, ``batch``, ``context``, ``chips``, ``metric``.
    ``summary`` says which resource binds one decode step and the whole cycle. Settings whose
    batch does not fit in memory show a message and keep the last chart.
    """

    FIELDS_SHOWN = ("peak_flops_bf16", "peak_flops_fp8", "peak_flops_fp4", "peak_ops_int8", "memory_bandwidth",
                    "interconnect_bandwidth", "interconnect_latency", "power", "price",
                    "batch", "input_tokens", "output_tokens", "chips", "weight_bits", "kv_bits")

    def __init__(self, chip_id="nvidia_h100_sxm", model_id="llama-3-70b", precision="fp8", batch=64, context=2048,
                 chips=4, metric="tokens_per_s_per_chip"):
        check = ArgumentCheck()
        chip_ids = catalog.chip_ids()
        controls = {
            "chip": widgets.Dropdown(options=[(chip_name(c), c) for c in chip_ids], description="chip",
                                     value=check.option("chip_id", chip_id, chip_ids)),
            **workload_controls(check, model_id, precision, batch, context),
            "chips": widgets.BoundedIntText(value=chips, min=1, max=4096, description="chips/replica"),
            "metric": widgets.Dropdown(options=[(v, k) for k, v in analysis.METRIC_LABELS.items()],
                                       value=check.option("metric", metric, analysis.METRIC_LABELS),
                                       description="output"),
        }
        super().__init__(controls, problems=check.problems)

    def draw(self, data):
        return charts.elasticity_chart(data, "elasticity (d log output / d log input)")

    def compute(self):
        c = self.controls
        cid, metric = c["chip"].value, c["metric"].value
        w = workload(c["precision"].value, batch=c["batch"].value, input_tokens=c["context"].value,
                     output_tokens=OUTPUT_TOKENS, chips=c["chips"].value)
        sizing.check_context(catalog.model(c["model"].value), w.input_tokens, w.output_tokens, c["model"].value)
        chip_e, w_e, perf = analysis.serving_elasticities(catalog.chip(cid), catalog.model(c["model"].value), w,
                                                          analysis.calibrated_efficiency(cid)[0])
        if float(perf.fits) < 0.5:
            raise InputError(
                f"batch {c['batch'].value} with a {c['context'].value}-token prompt does not fit on "
                f"{c['chips'].value} x {chip_name(cid)}: needs {float(perf.memory_required) / 1e9:.1f} GB per chip, "
                f"{float(perf.memory_available) / 1e9:.1f} GB usable")
        k = analysis.METRICS.index(metric)
        rows = [{"record": rec_name, "field": f, "elasticity": round(float(np.asarray(getattr(rec, f))[k]), 4)}
                for rec_name, rec in (("chip", chip_e), ("workload", w_e))
                for f in rec._fields if f in self.FIELDS_SHOWN]
        summary = (f"one decode step is bound by <b>{RESOURCES[int(perf.bound)]}</b>; the whole cycle (prompt "
                   f"prefill + decode), which sets throughput and cost, by <b>{RESOURCES[int(perf.cycle_bound)]}</b>; "
                   f"{analysis.METRIC_LABELS[metric]} = {float(getattr(perf, metric)):.4g}")
        return pd.DataFrame(rows), summary
