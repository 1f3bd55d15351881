"""The thin UI: Altair charts (:mod:`~workbook.ui.charts`) and ipywidgets panels, one module
per panel on one base class (:mod:`~workbook.ui.panel`). Nothing below imports this package.
"""
