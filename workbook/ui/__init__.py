"""The thin UI: Altair charts (:mod:`~workbook.ui.charts`) and ipywidgets panels, one module
per panel on one base class (:mod:`~workbook.ui.panel`). Nothing below imports this package.

>>> from workbook.ui import ChipComparisonPanel, charts   # doctest: +SKIP
"""

from workbook.ui import charts as charts
from workbook.ui.comparison_panel import ChipComparisonPanel as ChipComparisonPanel
from workbook.ui.comparison_panel import weakest_status as weakest_status
from workbook.ui.frontier_panel import FrontierPanel as FrontierPanel
from workbook.ui.market_panel import MarketPanel as MarketPanel
from workbook.ui.panel import Panel as Panel
from workbook.ui.panel import error_html as error_html
from workbook.ui.sensitivity_panel import SensitivityPanel as SensitivityPanel
from workbook.ui.shift_panel import ShiftPanel as ShiftPanel
from workbook.ui.sourcing_panel import SourcingPanel as SourcingPanel

__all__ = ["ChipComparisonPanel", "FrontierPanel", "MarketPanel", "Panel", "SensitivityPanel", "ShiftPanel", "SourcingPanel", "charts",
           "error_html", "weakest_status"]
