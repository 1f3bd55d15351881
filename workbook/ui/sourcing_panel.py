"""The sourcing panel over :mod:`workbook.econ.sourcing`: negotiate with NVIDIA, see the kink.

Controls (``panel.controls``): ``scenario``, ``supplier`` (which alternative the next five edit),
``eta``, ``price`` (USD/chip-hour), ``capacity``, ``porting`` (M USD), ``delivery`` (probability),
``lab_weight`` (the lab's bargaining weight), ``risk_aversion`` and ``shortage`` (the share of
NVIDIA's capacity it sells elsewhere at list, which also empties the rental market).
Two ``alt.JupyterChart``s update in place: ``chart`` (NVIDIA's negotiated price against the
selected alternative's effective cost, smooth and sharp, with the current point) and
``allocation_chart`` (the lab's converged mean-CVaR mix without NVIDIA: the disagreement point). ``last_data`` is the kink
chart's DataFrame, ``last_allocation`` the shares, ``summary`` an HTML line of numbers
(list price, negotiated price, the lab's disagreement cost, leverage, the solver's duality
gap), ``message`` empty or why the settings are invalid. Every number comes from
:mod:`workbook.econ.sourcing`.
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd

from workbook.econ import sourcing as so
from workbook.ui import charts
from workbook.ui.controls import ArgumentCheck
from workbook.ui.panel import Panel

COSTS = np.linspace(0.3, 2.6, 16, dtype=np.float32)  # x grid of the kink chart, in units of p_L
SHARP = (0.0, 1e-10)  # temperatures (price max/min, mix barrier) of the sharp curve
SMOOTH = (so.TEMPERATURE, so.SMOOTH_SOLVER_TEMPERATURE)  # and of the smooth one
TERM_CONTROLS = ("eta", "price", "capacity", "porting", "delivery")  # the edited supplier's terms
LAB_CONTROLS = ("lab_weight", "risk_aversion", "shortage")
DEFAULT_SCENARIO = "+ Fractile in 2027 (claims hold)"


def panel_outputs(market: so.Market, lab: so.Lab, index: int, costs):
    """Everything the panel draws: smooth and sharp kink curves, e, the price at e, P, o, the mix without NVIDIA."""
    smooth = so.price_vs_effective_cost(market, lab, index, costs, temperature=SMOOTH[0], solver_temperature=SMOOTH[1])
    sharp = so.price_vs_effective_cost(market, lab, index, costs, temperature=SHARP[0], solver_temperature=SHARP[1])
    e = float(so.effective_costs(market, lab)[index])
    at_e = float(so.price_vs_effective_cost(market, lab, index, [e])[0])
    price = float(so.negotiated_nvidia_price(market, lab))
    mix = so.disagreement(market, lab)
    o = float(mix.objective) / (1.0 + lab.risk_aversion)
    return smooth, sharp, e, at_e, price, o, mix


class SourcingPanel(Panel):
    """Negotiation panel; see the module docstring."""

    def __init__(self, scenario=DEFAULT_SCENARIO, supplier="tpu_ironwood", lab: so.Lab = so.Lab()):
        check = ArgumentCheck()
        scenario = check.option("scenario", scenario, so.SCENARIOS)
        supplier = check.option("supplier", supplier, so.ALTERNATIVES)
        self.lab = lab
        self.market = so.build_market(scenario)
        slider = dict(continuous_update=False, style={"description_width": "initial"})
        controls = {
            "scenario": widgets.Dropdown(options=list(so.SCENARIOS), value=scenario, description="scenario"),
            "supplier": widgets.Dropdown(options=[(so.ALTERNATIVE_NAMES[a], a) for a in so.ALTERNATIVES],
                                         value=supplier, description="edit"),
            "eta": widgets.FloatSlider(min=0.05, max=1.5, step=0.05, description="η", **slider),
            "price": widgets.BoundedFloatText(min=0.0, max=1e3, step=0.1, description="USD/chip-h"),
            "capacity": widgets.FloatSlider(min=0.0, max=1.5, step=0.05, description="capacity", **slider),
            "porting": widgets.FloatSlider(min=0.0, max=500.0, step=5.0, description="porting M USD", **slider),
            "delivery": widgets.FloatSlider(min=0.0, max=1.0, step=0.05, description="P(delivery)", **slider),
            "lab_weight": widgets.FloatSlider(value=lab.bargaining_weight, min=0.0, max=1.0, step=0.05,
                                              description="lab weight", **slider),
            "risk_aversion": widgets.FloatSlider(value=lab.risk_aversion, min=0.0, max=5.0, step=0.25,
                                                 description="risk aversion λ", **slider),
            "shortage": widgets.FloatSlider(value=lab.shortage, min=0.0, max=1.0, step=0.05,
                                            description="shortage σ", **slider),
        }
        self.controls = controls  # _show_terms reads the supplier control before Panel.__init__ wires them
        self._show_terms()
        super().__init__(controls, rows=[["scenario", "supplier"], list(TERM_CONTROLS), list(LAB_CONTROLS)],
                         handlers={"scenario": self._on_scenario, "supplier": self._on_supplier},
                         problems=check.problems)

    @property
    def allocation_chart(self) -> alt.JupyterChart:
        """The chart of the mean-CVaR shares of demand."""
        return self.chart_widgets["allocation"]

    @property
    def last_allocation(self) -> pd.DataFrame:
        """The shares last drawn (``supplier``, ``share``)."""
        return self.last_frames["allocation"]

    # ------------------------------------------------------------------ wiring
    def _index(self) -> int:
        return so.ALTERNATIVES.index(self.controls["supplier"].value)

    def _show_terms(self):
        """Set the five term controls to the edited supplier's terms in ``market``."""
        t, i, c = self.market.terms, self._index(), self.controls
        c["eta"].value = float(t.eta[i])
        c["price"].value = float(t.price[i])
        c["capacity"].value = float(t.capacity[i])
        c["porting"].value = float(t.porting_cost[i]) / 1e6
        c["delivery"].value = float(t.delivery_probability[i])

    def _on_scenario(self, change):
        with self.holding():
            self.market = so.build_market(change["new"])
            self._show_terms()

    def _on_supplier(self, _change):
        with self.holding():
            self._show_terms()

    def draw(self, data):
        return {"kink": charts.kink_chart(data["kink"]), "allocation": charts.allocation_chart(data["allocation"])}

    def empty_data(self):
        return {"kink": pd.DataFrame(), "allocation": pd.DataFrame()}

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
                                shortage=float(c["shortage"].value))
        return self.market._replace(terms=terms), lab

    def compute(self) -> tuple[dict[str, pd.DataFrame], str]:
        market, lab = self.current()
        so.validate_sourcing(market, lab)
        self.market = market  # keep edits when switching the edited supplier
        i = self._index()
        p_l = float(market.incumbent_list_cost)
        costs = COSTS * p_l
        smooth, sharp, e, at_e, price, o, mix = panel_outputs(market, lab, i, costs)
        kink = pd.concat([
            pd.DataFrame({"curve": f"smooth (τ = {SMOOTH[0]:g} USD, barrier {SMOOTH[1]:g})", "effective_cost": costs,
                          "price": smooth}),
            pd.DataFrame({"curve": "sharp", "effective_cost": costs, "price": sharp}),
            pd.DataFrame({"curve": ["current"], "effective_cost": [e], "price": [at_e]}),
        ], ignore_index=True).round(5)
        allocation = pd.DataFrame({"supplier": list(so.DISAGREEMENT_NAMES), "share": np.asarray(mix.shares).round(4)})
        lev = p_l - price
        on_table = "" if float(market.present[i]) > 0.5 else " (not on the table in this scenario: the curve shows it added)"
        summary = (
            f"NVIDIA's list p_L = {p_l:.3f}; negotiated price <b>{price:.3f}</b> USD / M tokens ({price / p_l:.0%} of list); "
            f"the lab's cost without NVIDIA o = {o:.3f}; leverage p_L − P = {lev:.3f}; "
            f"{html.escape(so.ALTERNATIVE_NAMES[so.ALTERNATIVES[i]])}: effective cost e = {e:.3f}{on_table}; "
            f"the mix without NVIDIA (chart) solved to a duality gap of {float(mix.duality_gap):.1e}"
            + ("" if bool(mix.converged) else " (<b>not converged</b>)"))
        return {"kink": kink, "allocation": allocation}, summary
