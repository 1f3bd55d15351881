"""The economics: costs of owning chips, scaling laws, demand and the training-to-inference
shift, bargaining, portfolios and sourcing.

Every cost per token comes from :mod:`workbook.model` (never restated here); the modules are
imported by name (``from workbook.econ import bargaining``).
"""
