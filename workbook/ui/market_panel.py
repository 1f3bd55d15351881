"""The inference-compute market panel (:mod:`workbook.econ.market`): prices by supplier class as
custom silicon gets cheaper, and who sells which tokens.

Controls: the hyperscalers' cost factor, the decentralised networks' chip, capacity and uptime,
the substitution elasticity between suppliers and a scale on every workload's demand.
``chart`` (``prices``) shows each supplier class's equilibrium price per chip-hour against the
hyperscalers' cost factor; ``chart_widgets["shares"]`` shows each workload's split between
suppliers at the chosen factor; ``summary`` gives prices, utilisation, margins and
``d price_decentralised / d hyperscaler cost``. Settings at which the market does not clear,
or out of range, show a message. The chip-hours per token of a chip come from the core model
once per chip (cached).

>>> panel = MarketPanel()                                      # doctest: +SKIP
>>> panel.controls["hyperscaler_cost_factor"].value = 0.5      # doctest: +SKIP
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import pandas as pd

from workbook import catalog
from workbook.econ import market as mk
from workbook.errors import InputError
from workbook.ui import charts
from workbook.ui.controls import ArgumentCheck, chip_name
from workbook.ui.panel import Panel

CONSUMER_CHIPS = ["nvidia_rtx_4090", "nvidia_rtx_5090", "nvidia_rtx_6000_ada", "nvidia_rtx_a6000"]
SWEEP = np.array([0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0])  # hyperscaler cost factors (x axis)


class MarketPanel(Panel):
    """Equilibrium prices by supplier class against the hyperscalers' cost; shares at the chosen cost."""

    def __init__(self, hyperscaler_cost_factor=1.0, decentralized_chip=None, decentralized_capacity=None,
                 decentralized_uptime=None, substitution=None, demand_scale=1.0):
        check = ArgumentCheck()
        self.table = mk.market_table()
        self.base = mk.market_params(self.table)
        options = [c for c in CONSUMER_CHIPS if c in set(catalog.chip_ids())]
        default_chip = str(self.table["decentralized.chip_id"].value)
        chip = check.option("decentralized_chip", decentralized_chip or default_chip, options)
        self._hardware: dict[str, mk.MarketHardware] = {}
        style = {"description_width": "initial"}
        slider = dict(continuous_update=False, style=style)
        cap = float(self.base.capacity_chips[2]) if decentralized_capacity is None else decentralized_capacity
        up = float(self.base.uptime[2]) if decentralized_uptime is None else decentralized_uptime
        theta = float(self.base.substitution) if substitution is None else substitution
        controls = {
            "hyperscaler_cost_factor": widgets.FloatSlider(value=hyperscaler_cost_factor, min=0.2, max=2.0, step=0.05,
                                                           description="hyperscaler cost (x today)", **slider),
            "decentralized_chip": widgets.Dropdown(options=[(chip_name(c), c) for c in options], value=chip,
                                                   description="decentralised chip", style=style),
            "decentralized_capacity": widgets.FloatLogSlider(value=cap, base=10, min=3, max=6, step=0.05,
                                                             description="decentralised GPUs", readout_format=".3g",
                                                             **slider),
            "decentralized_uptime": widgets.FloatSlider(value=up, min=0.8, max=0.999, step=0.005, readout_format=".3f",
                                                        description="decentralised uptime", **slider),
            "substitution": widgets.FloatSlider(value=theta, min=1.0, max=10.0, step=0.5,
                                                description="substitution between suppliers", **slider),
            "demand_scale": widgets.FloatSlider(value=demand_scale, min=0.25, max=4.0, step=0.05,
                                                description="demand (x market.csv)", **slider),
        }
        super().__init__(controls, problems=check.problems,
                         rows=[["hyperscaler_cost_factor", "demand_scale", "substitution"],
                               ["decentralized_chip", "decentralized_capacity", "decentralized_uptime"]])

    def hardware(self, chip_id: str) -> mk.MarketHardware:
        """Chip-hours per million tokens with ``chip_id`` as the decentralised chip (cached)."""
        if chip_id not in self._hardware:
            self._hardware[chip_id] = mk.market_hardware(self.table, chip_ids={"decentralized": chip_id})
        return self._hardware[chip_id]

    def params(self) -> mk.MarketParams:
        """The market parameters the controls describe (market.csv for the rest)."""
        c = self.controls
        b = self.base
        return b._replace(
            capacity_chips=b.capacity_chips.at[2].set(float(c["decentralized_capacity"].value)),
            uptime=b.uptime.at[2].set(float(c["decentralized_uptime"].value)),
            substitution=np.float32(c["substitution"].value),
            demand=b.demand * float(c["demand_scale"].value),
            hyperscaler_cost_factor=np.float32(c["hyperscaler_cost_factor"].value),
        )

    def empty_data(self):
        return {"prices": pd.DataFrame({"x": [], "y": [], "series": [], "low": [], "high": []}),
                "shares": pd.DataFrame({"category": [], "group": [], "share": []})}

    def draw(self, data):
        return {
            "prices": charts.series_band_chart(data["prices"], "hyperscalers' cost per chip-hour (x today)",
                                               "equilibrium price (USD per chip-hour)", log_x=True, log_y=True,
                                               series_title="supplier class", x_format="~g", y_format="$~g",
                                               width=380),
            "shares": charts.stacked_share_chart(data["shares"], group_title="supplier class", category_title="workload",
                                                 width=320),
        }

    def compute(self):
        c = self.controls
        p = self.params()
        mk.validate_market_params(p)
        hw = self.hardware(c["decentralized_chip"].value)
        eq = mk.equilibrium_checked(p, hw)
        sweep = mk.hyperscaler_cost_sweep(p, hw, SWEEP)
        if np.abs(sweep["excess_demand"]).max() > 1e-3:
            raise InputError("the market does not clear over the whole range of hyperscaler costs at these settings")
        labels = [mk.SUPPLIER_LABELS[s] for s in mk.SUPPLIERS]
        prices = pd.concat([pd.DataFrame({"x": SWEEP, "y": sweep["price"][:, a], "low": sweep["price"][:, a],
                                          "high": sweep["price"][:, a], "series": labels[a]}) for a in range(3)],
                           ignore_index=True).round(5)
        shares = pd.DataFrame([{"category": mk.WORKLOAD_LABELS[j], "group": labels[a], "share": float(eq.share[a, b])}
                               for b, j in enumerate(mk.WORKLOADS) for a in range(3)]).round(5)
        resp = mk.decentralized_price_response(p, hw)
        rows = "".join(
            f"<tr><td>{html.escape(labels[a])}</td><td>${float(eq.price[a]):.3f}</td>"
            f"<td>{float(eq.utilisation[a]):.0%}</td><td>{float(eq.margin[a]):+.0%}</td></tr>" for a in range(3))
        summary = (
            "<table><tr><th>supplier class</th><th>USD/chip-h</th><th>utilisation</th><th>margin</th></tr>"
            f"{rows}</table>Decentralised price elasticity to the hyperscalers' cost: <b>{resp['elasticity']:.2f}</b>; "
            f"d(decentralised $/M)/d(hyperscaler cost $/M), small model: {resp['d_price_decentralized_d_hyperscaler_cost']:.2f}."
            " Numbers: workbook/data/market.csv (mostly assumptions with ranges)."
        )
        return {"prices": prices, "shares": shares}, summary
