"""The training-to-inference shift panel (:mod:`workbook.econ.shift`): cumulative spend, crossover marked.

Controls: model size N, training tokens D, tokens served in year 0 and their growth, the
yearly decline of the serving cost, the utilisation of the serving chips, the training and
inference chips and their prices, the target loss and the horizon. Serving runs the workload
of notebook 03 (FP8, batch 64, 2,048-token prompts, 512 output tokens) on **whole chips**
(:func:`workbook.econ.shift.serving_cost`), its cost divided by the utilisation. ``chart``
shows cumulative training and inference spend over time with the crossover marked;
``summary`` shows the numbers, the compute and dollar crossovers in lifetime tokens (prompts
counted) and the dollar-optimal model for the target loss. Invalid settings (loss at or below
E, zero demand, a non-positive price) show a message in ``message``.

>>> panel = ShiftPanel()                          # doctest: +SKIP
>>> panel.controls["demand_growth"].value = 5.0   # doctest: +SKIP
>>> panel.last_data.head()                        # doctest: +SKIP
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import jax
import numpy as np
import pandas as pd

from workbook import calibration, catalog
from workbook.errors import InputError
from workbook.econ import shift
from workbook.econ.inference_share import DemandScenario, crossover_time, cumulative_inference_cost
from workbook.econ.scaling_laws import SARDANA_2024, inference_aware_optimum_checked
from workbook.ui import charts
from workbook.ui.controls import ArgumentCheck, chip_name
from workbook.ui.panel import Panel

DEFAULT_CHIPS = ["nvidia_h100_sxm", "nvidia_b200_hgx", "amd_mi300x", "google_tpu_v6e", "aws_trainium2"]
YEAR_POINTS = 120  # points on each spend path


_training_cost = jax.jit(shift.training_cost_on_chip)


@jax.jit
def _paths(years, training_cost, usd_per_million, scenario):
    """(cumulative inference spend USD at each of ``years``, crossover time in years or inf)."""
    return cumulative_inference_cost(years, usd_per_million, scenario), crossover_time(training_cost, usd_per_million, scenario)


class ShiftPanel(Panel):
    """Cumulative training vs inference spend on chosen chips, crossover marked.

    Efficiencies are calibrated per inference chip (:func:`workbook.calibration.efficiency`);
    serving uses ``shift.DEFAULT_INFERENCE_WORKLOAD`` (FP8, batch 64, 2k prompt, 512 out).
    Choosing a chip loads its catalog price into the price control next to it.
    """

    def __init__(self, chip_ids=None, n_params=7e10, n_tokens=1.5e13, tokens_per_year0=1e13, demand_growth=2.0,
                 price_decline=0.5, horizon_years=5.0, target_loss=1.947, mfu=shift.DEFAULT_MFU, utilisation=1.0):
        check = ArgumentCheck()
        self.chip_ids = check.chip_ids("chip_ids", chip_ids, DEFAULT_CHIPS)
        names = [(chip_name(c), c) for c in self.chip_ids]
        self.effs = {c: calibration.efficiency(c) for c in self.chip_ids}
        self.mfu = mfu
        self.law = SARDANA_2024
        style = {"description_width": "initial"}
        slider = dict(continuous_update=False, style=style)
        first = self.chip_ids[0]
        controls = {
            "n_params": widgets.FloatLogSlider(value=n_params, base=10, min=9, max=13, step=0.05,
                                               description="model size N", readout_format=".3g", **slider),
            "n_tokens": widgets.FloatLogSlider(value=n_tokens, base=10, min=10, max=14.5, step=0.05,
                                               description="training tokens D", readout_format=".3g", **slider),
            "tokens_per_year0": widgets.FloatText(value=tokens_per_year0, description="tokens/year (year 0)", style=style),
            "demand_growth": widgets.FloatSlider(value=demand_growth, min=-0.5, max=20.0, step=0.1,
                                                 description="demand growth /yr", **slider),
            "price_decline": widgets.FloatSlider(value=price_decline, min=0.0, max=0.99, step=0.01,
                                                 description="cost decline /yr", **slider),
            "horizon_years": widgets.FloatSlider(value=horizon_years, min=1.0, max=20.0, step=0.5,
                                                 description="horizon (years)", **slider),
            "utilisation": widgets.FloatSlider(value=utilisation, min=0.05, max=1.0, step=0.05,
                                               description="serving utilisation", **slider),
            "training_chip": widgets.Dropdown(options=names, value=first, description="training chip", style=style),
            "training_price": widgets.FloatText(value=catalog.chip(first).price, description="train USD/chip-h",
                                                style=style),
            "inference_chip": widgets.Dropdown(options=names, value=first, description="inference chip", style=style),
            "inference_price": widgets.FloatText(value=catalog.chip(first).price, description="serve USD/chip-h",
                                                 style=style),
            "target_loss": widgets.FloatSlider(value=target_loss, min=1.5, max=2.6, step=0.005, readout_format=".3f",
                                               description="target loss (nats)", **slider),
        }
        super().__init__(controls, handlers={"training_chip": self._on_chip, "inference_chip": self._on_chip},
                         problems=check.problems)

    def _on_chip(self, change):
        """A new chip loads its catalog price; one update for both."""
        which = "training_price" if change["owner"] is self.controls["training_chip"] else "inference_price"
        with self.holding():
            self.controls[which].value = float(catalog.chip(change["new"]).price)

    def draw(self, data):
        return charts.spend_chart(data)

    def scenario(self) -> DemandScenario:
        """The demand scenario the controls describe."""
        c = self.controls
        return DemandScenario(float(c["tokens_per_year0"].value), float(c["demand_growth"].value),
                              float(c["price_decline"].value), float(c["horizon_years"].value))

    def compute(self) -> tuple[pd.DataFrame, str]:
        """Tidy spend paths (``year``, ``usd``, ``series``) and an HTML summary; raises naming the field if invalid."""
        c = self.controls
        sc = self.scenario()
        n, d = float(c["n_params"].value), float(c["n_tokens"].value)
        shift.validate_shift_inputs(n, d, sc)
        tchip = catalog.chip(c["training_chip"].value)._replace(price=float(c["training_price"].value))
        ichip = catalog.chip(c["inference_chip"].value)._replace(price=float(c["inference_price"].value))
        eff = self.effs[c["inference_chip"].value]
        loss = float(c["target_loss"].value)
        tokens = float(shift.lifetime_tokens(sc))
        # raises naming target_loss, lifetime_tokens or a price
        try:
            n_opt, d_opt = shift.dollar_optimal_model_checked(self.law, loss, tokens, tchip, ichip,
                                                              shift.DEFAULT_INFERENCE_WORKLOAD, eff, self.mfu)
        except InputError as err:
            if "does not fit" not in str(err):
                raise
            raise InputError(f"inference chip {c['inference_chip'].label}: {err}") from None
        w = shift.DEFAULT_INFERENCE_WORKLOAD
        t_in, t_out = float(w.input_tokens), float(w.output_tokens)
        n_sardana, _ = inference_aware_optimum_checked(self.law, loss, (1.0 + t_in / t_out) * tokens)  # prompts counted
        u = float(c["utilisation"].value)
        k = float(_training_cost(n, d, tchip, self.mfu))
        try:
            cost = shift.serving_cost(ichip, n, w, eff)
        except InputError as err:  # name the chip the user picked (escaped when shown)
            raise InputError(f"inference chip {c['inference_chip'].label}: {err}") from None
        p0 = float(shift.usd_per_million_tokens_at_utilisation(cost.usd_per_million_output_tokens, u))
        comp = shift.compute_crossover_tokens(d, t_in, t_out)
        dol = shift.dollar_crossover_tokens(k, cost._replace(usd_per_million_output_tokens=p0), t_in, t_out)
        years = np.linspace(sc.horizon_years / YEAR_POINTS, sc.horizon_years, YEAR_POINTS, dtype=np.float32)
        spend, t_star = _paths(years, k, p0, sc)
        spend, t_star = np.asarray(spend, dtype=float), float(t_star)
        frames = [pd.DataFrame({"year": years.astype(float), "usd": np.full(YEAR_POINTS, k), "series": "training"}),
                  pd.DataFrame({"year": years.astype(float), "usd": spend, "series": "inference"})]
        if np.isfinite(t_star):
            frames.append(pd.DataFrame({"year": [t_star], "usd": [k], "series": ["crossover"]}))
            when = f"inference spend passes the training bill after <b>{t_star:.2f} years</b>"
        else:
            when = f"inference spend does <b>not</b> pass the training bill within {sc.horizon_years:g} years"
        summary = (
            f"Training: <b>${k:,.3g}</b> ({html.escape(c['training_chip'].label)}, MFU {self.mfu:g}); serving: "
            f"<b>${p0:.3g}</b> per million output tokens, prompts included, on {cost.chips} whole "
            f"{html.escape(c['inference_chip'].label)} per replica at utilisation {u:g}; {when}.<br>"
            f"Inference passes training in compute after <b>{comp.output_tokens:.3g}</b> lifetime output tokens "
            f"({comp.output_tokens / d:.2g} D, with {comp.input_tokens:.3g} prompt tokens) and in dollars after "
            f"<b>{dol.output_tokens:.3g}</b> ({dol.output_tokens / d:.2g} D).<br>"
            f"For loss {loss:.3f} and {tokens:.3g} lifetime output tokens: dollar-optimal N = <b>{float(n_opt):.3g}</b> "
            f"on D = {float(d_opt):.3g} tokens (FLOP-optimal with prompts counted, Sardana: N = {float(n_sardana):.3g})."
        )
        return pd.concat(frames, ignore_index=True).round({"year": 4}), summary
