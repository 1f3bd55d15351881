"""A thin ipywidgets panel over :mod:`workbook.sourcing`: negotiate with NVIDIA, see the kink.

Controls (``panel.controls``): ``scenario``, ``supplier`` (which alternative the next five edit),
``eta``, ``price`` (USD/chip-hour), ``capacity``, ``porting`` (M USD), ``delivery`` (probability),
``lab_weight`` (the lab's bargaining weight), ``risk_aversion`` and ``nvidia_capacity``.
Two ``alt.JupyterChart``s update in place: ``chart`` (NVIDIA's negotiated price against the
selected alternative's effective cost, smooth and sharp, with the current point) and
``allocation_chart`` (mean-CVaR shares). ``last_data`` is the kink chart's DataFrame,
``last_allocation`` the shares, ``summary`` an HTML line of numbers, ``message`` an HTML widget
that is empty or says why the settings are infeasible (never a traceback).
All model calls are module-level jitted functions of :mod:`workbook.sourcing`.
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from workbook.econ import sourcing as so
from workbook.ui import charts

COSTS = np.linspace(0.05, 2.5, 50, dtype=np.float32)  # x grid of the kink chart, in units of p_N
SHARP = 0.0


@jax.jit
def panel_outputs(market: so.Market, lab: so.Lab, index, costs):
    """Everything the panel draws, in one compiled call (smooth and sharp curves, e, P, shares, leverage)."""
    smooth = so.price_vs_effective_cost(market, lab, index, costs)
    sharp = so.price_vs_effective_cost(market, lab, index, costs, temperature=SHARP)
    e = so.effective_costs(market, lab)[index]
    at_e = so.price_vs_effective_cost(market, lab, index, jnp.reshape(e, (1,)))[0]
    price = so.negotiated_nvidia_price(market, lab)
    return smooth, sharp, e, at_e, price, so.allocation(market, lab), so.leverage(market, lab)


def _error_html(text: str) -> str:
    return f'<span style="color:#b2182b"><b>Not shown:</b> {html.escape(text)}</span>'


def kink_chart(df: pd.DataFrame, width: int = 420, height: int = 260) -> alt.LayerChart:
    """Lines of ``price`` against ``effective_cost`` per ``curve``; the ``current`` row as a point."""
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
    """Bars of ``share`` of demand per ``supplier``."""
    return alt.Chart(df).mark_bar().encode(
        x=alt.X("share:Q", title="share of demand", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("supplier:N", title=None, sort=None),
        tooltip=["supplier:N", alt.Tooltip("share:Q", format=".3f")],
    ).properties(width=width, height=18 * len(df))


class SourcingPanel:
    """Negotiation panel; see the module docstring."""

    def __init__(self, scenario="+ Fractile in 2027 (claims hold)", supplier="tpu_ironwood", lab: so.Lab = so.Lab()):
        self.lab = lab
        self.market = so.build_market(scenario)
        slider = dict(continuous_update=False, style={"description_width": "initial"})
        t = self.market.terms
        i = so.ALTERNATIVES.index(supplier)
        self.controls = {
            "scenario": widgets.Dropdown(options=list(so.SCENARIOS), value=scenario, description="scenario"),
            "supplier": widgets.Dropdown(options=[(so.ALTERNATIVE_NAMES[a], a) for a in so.ALTERNATIVES],
                                         value=supplier, description="edit"),
            "eta": widgets.FloatSlider(value=float(t.eta[i]), min=0.05, max=1.5, step=0.05, description="η", **slider),
            "price": widgets.BoundedFloatText(value=float(t.price[i]), min=0.0, max=1e3, step=0.1,
                                              description="USD/chip-h"),
            "capacity": widgets.FloatSlider(value=float(t.capacity[i]), min=0.0, max=1.5, step=0.05,
                                            description="capacity", **slider),
            "porting": widgets.FloatSlider(value=float(t.porting_cost[i]) / 1e6, min=0.0, max=500.0, step=5.0,
                                           description="porting M USD", **slider),
            "delivery": widgets.FloatSlider(value=float(t.delivery_probability[i]), min=0.0, max=1.0, step=0.05,
                                            description="P(delivery)", **slider),
            "lab_weight": widgets.FloatSlider(value=lab.bargaining_weight, min=0.0, max=1.0, step=0.05,
                                              description="lab weight", **slider),
            "risk_aversion": widgets.FloatSlider(value=lab.risk_aversion, min=0.0, max=5.0, step=0.25,
                                                 description="risk aversion λ", **slider),
            "nvidia_capacity": widgets.FloatSlider(value=lab.incumbent_capacity, min=0.0, max=1.0, step=0.05,
                                                   description="NVIDIA capacity", **slider),
        }
        self.message = widgets.HTML(value="")
        self.summary = widgets.HTML(value="")
        self.updates = 0
        self._syncing = False
        df, alloc = self.compute()
        self.last_data, self.last_allocation = df, alloc
        k_chart, a_chart = kink_chart(df), allocation_chart(alloc)
        self._spec, self._alloc_spec = k_chart.to_dict(), a_chart.to_dict()
        self.chart = alt.JupyterChart(k_chart)
        self.allocation_chart = alt.JupyterChart(a_chart)
        for name, w in self.controls.items():
            handler = {"scenario": self._on_scenario, "supplier": self._on_supplier}.get(name, self._on_change)
            w.observe(handler, names="value")
        box = widgets.Layout(flex_flow="row wrap")
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["scenario"], self.controls["supplier"]], layout=box),
            widgets.HBox([self.controls[k] for k in ("eta", "price", "capacity", "porting", "delivery")], layout=box),
            widgets.HBox([self.controls[k] for k in ("lab_weight", "risk_aversion", "nvidia_capacity")], layout=box),
            self.message, self.summary, widgets.HBox([self.chart, self.allocation_chart]),
        ])

    # ------------------------------------------------------------------ wiring
    def _index(self) -> int:
        return so.ALTERNATIVES.index(self.controls["supplier"].value)

    def _sync_supplier_controls(self):
        t, i, c = self.market.terms, self._index(), self.controls
        self._syncing = True
        try:
            c["eta"].value = float(t.eta[i])
            c["price"].value = float(t.price[i])
            c["capacity"].value = float(t.capacity[i])
            c["porting"].value = float(t.porting_cost[i]) / 1e6
            c["delivery"].value = float(t.delivery_probability[i])
        finally:
            self._syncing = False

    def _on_scenario(self, change):
        self.market = so.build_market(change["new"])
        self._sync_supplier_controls()
        self._on_change()

    def _on_supplier(self, _change):
        self._sync_supplier_controls()
        self._on_change()

    def _on_change(self, _change=None):
        if self._syncing:
            return
        try:
            df, alloc = self.compute()
        except ValueError as exc:
            self.message.value = _error_html(str(exc))
            return
        except Exception as exc:  # a widget must never show a traceback
            self.message.value = _error_html(f"{type(exc).__name__}: {exc}")
            return
        self.message.value = ""
        self.last_data, self.last_allocation = df, alloc
        self.chart.spec = charts.replace_data(self._spec, df)
        self.allocation_chart.spec = charts.replace_data(self._alloc_spec, alloc)
        self.updates += 1

    # ------------------------------------------------------------------ model
    def current(self) -> tuple[so.Market, so.Lab]:
        """The market and lab the controls describe (the edited supplier's terms applied)."""
        c, i, t = self.controls, self._index(), self.market.terms
        terms = t._replace(
            eta=t.eta.at[i].set(c["eta"].value), price=t.price.at[i].set(c["price"].value),
            capacity=t.capacity.at[i].set(c["capacity"].value),
            porting_cost=t.porting_cost.at[i].set(c["porting"].value * 1e6),
            delivery_probability=t.delivery_probability.at[i].set(c["delivery"].value))
        lab = self.lab._replace(bargaining_weight=float(c["lab_weight"].value),
                                risk_aversion=float(c["risk_aversion"].value),
                                incumbent_capacity=float(c["nvidia_capacity"].value))
        return self.market._replace(terms=terms), lab

    def compute(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        market, lab = self.current()
        so.validate_sourcing(market, lab)
        self.market = market  # keep edits when switching the edited supplier
        i = self._index()
        p_n = float(market.incumbent_list_cost)
        costs = jnp.asarray(COSTS * p_n)
        smooth, sharp, e, at_e, price, shares, lev = (np.asarray(a) for a in panel_outputs(market, lab, i, costs))
        e, price = float(e), float(price)
        x = np.asarray(costs)
        df = pd.concat([
            pd.DataFrame({"curve": "smooth (τ = 0.005)", "effective_cost": x, "price": smooth}),
            pd.DataFrame({"curve": "sharp", "effective_cost": x, "price": sharp}),
            pd.DataFrame({"curve": ["current"], "effective_cost": [e], "price": [float(at_e)]}),
        ], ignore_index=True).round(5)
        names = ["NVIDIA (negotiated)"] + [so.ALTERNATIVE_NAMES[a] for a in so.ALTERNATIVES]
        alloc = pd.DataFrame({"supplier": names, "share": shares.round(4)})
        lev = float(np.sum(np.maximum(lev, 0.0)))
        on_table = "" if float(market.present[i]) > 0.5 else " (not on the table in this scenario: the curve shows it added)"
        self.summary.value = (
            f"NVIDIA's cost per token at catalog rental prices p_N = {p_n:.3f}; negotiated price <b>{price:.3f}</b> "
            f"USD / M tokens ({price / p_n:.2f} p_N); {so.ALTERNATIVE_NAMES[so.ALTERNATIVES[i]]}: effective cost "
            f"e = {e:.3f}{on_table}; total marginal leverage {lev:.3f} USD / M tokens")
        return df, alloc

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
