"""The serving model: closed-form transformer costs, the roofline, sizing, serving and cost per token.

Pure JAX. Imports only :mod:`workbook.specs`, :mod:`workbook.numerics` and its own modules:
never the catalog, the calibration, the analysis, the economics or the UI.
"""
