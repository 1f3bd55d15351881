"""The economics: costs of owning chips, scaling laws, demand and the training-to-inference
shift, the market for inference compute (hyperscalers, NVIDIA clouds, decentralised GPU
networks), bargaining, portfolios, sourcing and capacity commitments.

Every cost per token comes from :mod:`workbook.model` (never restated here); the modules are
imported by name (``from workbook.econ import bargaining``).
"""
