"""Cost and energy per token from a replica's throughput: the one home of these identities.

``$/M tokens = ($/chip-hour) * G / (tokens/s * 3600) * 1e6`` and
``J/token = W per chip * G / (tokens/s)``, for ``G`` chips serving ``tokens/s`` between them.
Source: the standard identity (e.g. Erdil 2025; Epoch AI).

>>> round(float(usd_per_million_tokens(2.0, 8, 1000.0)), 4)  # 8 chips at $2/h, 1000 tok/s
4.4444
"""

from __future__ import annotations

SECONDS_PER_HOUR = 3600.0
TOKENS_PER_MILLION = 1e6


def usd_per_million_tokens(usd_per_chip_hour, chips, tokens_per_s):
    """``$/M tokens = usd_per_chip_hour * chips / (tokens_per_s * 3600) * 1e6`` (USD)."""
    return usd_per_chip_hour * chips / (tokens_per_s * SECONDS_PER_HOUR) * TOKENS_PER_MILLION


def joules_per_token(watts_per_chip, chips, tokens_per_s):
    """``J/token = W * chips / tokens_per_s`` (chip energy; multiply by PUE for the facility)."""
    return watts_per_chip * chips / tokens_per_s
