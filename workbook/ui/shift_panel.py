"""A thin ipywidgets panel for the training-to-inference shift (:mod:`workbook.shift`).

Controls: model size N, training tokens D, tokens served in year 0 and their growth, the
yearly decline of the serving cost, the training and inference chips and their prices, the
target loss and the horizon. The chart (an ``alt.JupyterChart``, updated in place) shows
cumulative training and inference spend over time with the crossover marked; ``summary``
shows the numbers and the dollar-optimal model for the target loss. Invalid settings (loss
at or below E, zero demand, a non-positive price) show a message in ``message`` and never
raise. ``panel.controls``, ``panel.last_data`` and ``panel.message`` are there for tests.

The model calls are module-level ``jax.jit`` functions, compiled once.

>>> panel = ShiftPanel()                          # doctest: +SKIP
>>> panel.controls["demand_growth"].value = 5.0   # doctest: +SKIP
>>> panel.last_data.head()                        # doctest: +SKIP
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import jax
import numpy as np
import pandas as pd

from workbook import calibration, catalog

from workbook.ui import charts

from workbook.econ import shift
from workbook.econ.inference_share import DemandScenario, crossover_time, cumulative_inference_cost
from workbook.econ.scaling_laws import SARDANA_2024, inference_aware_optimum_checked

DEFAULT_CHIPS = ["nvidia_h100_sxm", "nvidia_b200_hgx", "amd_mi300x", "google_tpu_v6e", "aws_trainium2"]
YEAR_POINTS = 120


@jax.jit
def _costs(n_params, n_tokens, training_chip, inference_chip, w, eff, mfu):
    """(training cost USD, serving cost USD per million tokens), compiled once."""
    return (shift.training_cost_on_chip(n_params, n_tokens, training_chip, mfu),
            shift.inference_usd_per_million_tokens(inference_chip, n_params, w, eff))


@jax.jit
def _paths(years, training_cost, usd_per_million, scenario):
    return cumulative_inference_cost(years, usd_per_million, scenario), crossover_time(training_cost, usd_per_million, scenario)


def _error_html(text: str) -> str:
    return f'<span style="color:#b2182b"><b>Not shown:</b> {html.escape(text)}</span>'


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


class ShiftPanel:
    """Cumulative training vs inference spend on chosen chips, crossover marked.

    Efficiencies are calibrated per inference chip (:func:`workbook.calibration.efficiency`);
    serving uses ``shift.DEFAULT_INFERENCE_WORKLOAD`` (FP8, batch 64, 2k prompt, 512 out).
    """

    def __init__(self, chip_ids=None, n_params=7e10, n_tokens=1.5e13, tokens_per_year0=1e13, demand_growth=2.0,
                 price_decline=0.5, horizon_years=5.0, target_loss=2.0, mfu=shift.DEFAULT_MFU):
        self.chip_ids = list(chip_ids or DEFAULT_CHIPS)
        names = [(catalog.chip_info(c).get("name", c), c) for c in self.chip_ids]
        self.effs = {c: calibration.efficiency(c) for c in self.chip_ids}
        self.mfu = mfu
        self.law = SARDANA_2024
        style = {"description_width": "initial"}
        first = self.chip_ids[0]
        self.controls = {
            "n_params": widgets.FloatLogSlider(value=n_params, base=10, min=9, max=13, step=0.05,
                                               description="model size N", readout_format=".3g",
                                               continuous_update=False, style=style),
            "n_tokens": widgets.FloatLogSlider(value=n_tokens, base=10, min=10, max=14.5, step=0.05,
                                               description="training tokens D", readout_format=".3g",
                                               continuous_update=False, style=style),
            "tokens_per_year0": widgets.FloatText(value=tokens_per_year0, description="tokens/year (year 0)", style=style),
            "demand_growth": widgets.FloatSlider(value=demand_growth, min=-0.5, max=20.0, step=0.1,
                                                 description="demand growth /yr", continuous_update=False, style=style),
            "price_decline": widgets.FloatSlider(value=price_decline, min=0.0, max=0.99, step=0.01,
                                                 description="cost decline /yr", continuous_update=False, style=style),
            "horizon_years": widgets.FloatSlider(value=horizon_years, min=1.0, max=20.0, step=0.5,
                                                 description="horizon (years)", continuous_update=False, style=style),
            "training_chip": widgets.Dropdown(options=names, value=first, description="training chip", style=style),
            "training_price": widgets.FloatText(value=catalog.chip(first).price, description="train USD/chip-h",
                                                style=style),
            "inference_chip": widgets.Dropdown(options=names, value=first, description="inference chip", style=style),
            "inference_price": widgets.FloatText(value=catalog.chip(first).price, description="serve USD/chip-h",
                                                 style=style),
            "target_loss": widgets.FloatSlider(value=target_loss, min=1.5, max=2.6, step=0.005, readout_format=".3f",
                                               description="target loss (nats)", continuous_update=False, style=style),
        }
        self.message = widgets.HTML(value="")
        self.summary = widgets.HTML(value="")
        self.updates = 0
        df = self._safe_compute()
        if df is None:  # invalid initial settings: draw an empty frame
            df = pd.DataFrame({"year": [0.0], "usd": [1.0], "series": ["training"]})
        self.last_data = df
        chart = spend_chart(df)
        self._spec = chart.to_dict()
        self.chart = alt.JupyterChart(chart)
        for name, w in self.controls.items():
            if name in ("training_chip", "inference_chip"):
                w.observe(self._on_chip, names="value")
            else:
                w.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
            self.message, self.summary, self.chart,
        ])

    # -- wiring ---------------------------------------------------------------------------

    def _on_chip(self, change):
        """A new chip loads its catalog price (which itself triggers one update)."""
        which = "training_price" if change["owner"] is self.controls["training_chip"] else "inference_price"
        price = float(catalog.chip(change["new"]).price)
        if self.controls[which].value != price:
            self.controls[which].value = price
        else:
            self._on_change()

    def _on_change(self, _change=None):
        df = self._safe_compute()
        if df is None:
            return
        self.last_data = df
        self.chart.spec = charts.replace_data(self._spec, df)
        self.updates += 1

    def _safe_compute(self):
        try:
            df, summary = self.compute()
        except ValueError as exc:
            self.message.value = _error_html(str(exc))
            return None
        except Exception as exc:  # a widget must never show a traceback
            self.message.value = _error_html(f"{type(exc).__name__}: {exc}")
            return None
        self.message.value = ""
        self.summary.value = summary
        return df

    # -- model ------------------------------------------------------------------------------

    def scenario(self) -> DemandScenario:
        c = self.controls
        return DemandScenario(float(c["tokens_per_year0"].value), float(c["demand_growth"].value),
                              float(c["price_decline"].value), float(c["horizon_years"].value))

    def compute(self) -> tuple[pd.DataFrame, str]:
        """Tidy spend paths and an HTML summary; ``ValueError`` naming the field if invalid."""
        c = self.controls
        sc = self.scenario()
        n, d = float(c["n_params"].value), float(c["n_tokens"].value)
        shift.validate_shift_inputs(n, d, sc)
        tchip = catalog.chip(c["training_chip"].value)._replace(price=float(c["training_price"].value))
        ichip = catalog.chip(c["inference_chip"].value)._replace(price=float(c["inference_price"].value))
        loss = float(c["target_loss"].value)
        tokens = float(shift.lifetime_tokens(sc))
        # raises ValueError naming target_loss, lifetime_tokens or a price
        n_opt, d_opt = shift.dollar_optimal_model_checked(self.law, loss, tokens, tchip, ichip,
                                                          shift.DEFAULT_INFERENCE_WORKLOAD,
                                                          self.effs[c["inference_chip"].value], self.mfu)
        n_sardana, _ = inference_aware_optimum_checked(self.law, loss, tokens)
        k, p0 = _costs(n, d, tchip, ichip, shift.DEFAULT_INFERENCE_WORKLOAD, self.effs[c["inference_chip"].value],
                       self.mfu)
        k, p0 = float(k), float(p0)
        years = np.linspace(sc.horizon_years / YEAR_POINTS, sc.horizon_years, YEAR_POINTS, dtype=np.float32)
        spend, t_star = _paths(years, k, p0, sc)
        spend, t_star = np.asarray(spend, dtype=float), float(t_star)
        df = pd.concat([
            pd.DataFrame({"year": years.astype(float), "usd": np.full(YEAR_POINTS, k), "series": "training"}),
            pd.DataFrame({"year": years.astype(float), "usd": spend, "series": "inference"}),
        ], ignore_index=True)
        if np.isfinite(t_star):
            df = pd.concat([df, pd.DataFrame({"year": [t_star], "usd": [k], "series": ["crossover"]})],
                           ignore_index=True)
            when = f"inference spend passes the training bill after <b>{t_star:.2f} years</b>"
        else:
            when = f"inference spend does <b>not</b> pass the training bill within {sc.horizon_years:g} years"
        summary = (
            f"Training: <b>${k:,.3g}</b> ({c['training_chip'].label}, MFU {self.mfu:g}); serving: "
            f"<b>${p0:.3g}</b> per million tokens ({c['inference_chip'].label}); {when}.<br>"
            f"For loss {loss:.3f} and {tokens:.3g} lifetime tokens: dollar-optimal N = <b>{float(n_opt):.3g}</b> "
            f"on D = {float(d_opt):.3g} tokens (FLOP-optimal, Sardana: N = {float(n_sardana):.3g})."
        )
        return df.round({"year": 4}), summary

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
