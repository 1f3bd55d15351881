"""Costs of owning and running chips: TCO per chip-hour, energy per query, throughput at an MFU.

$/M tokens from a throughput is :func:`workbook.model.cost.usd_per_million_tokens`.

Pure JAX; the formulas and their sources are in each docstring.
"""

from __future__ import annotations


def tokens_per_s_at_mfu(peak_flops, mfu, active_params):
    """Compute-bound decode throughput per chip: ``peak * MFU / (2 * N_active)`` tokens/s."""
    return peak_flops * mfu / (2.0 * active_params)


def capital_recovery_factor(rate, years):
    """``CRF = r (1+r)^n / ((1+r)^n - 1)``: the annuity that repays 1 over n years at rate r."""
    g = (1.0 + rate) ** years
    return rate * g / (g - 1.0)


def tco_per_chip_hour(capex_usd, years, rate, power_kw, draw_fraction, pue, usd_per_kwh, utilisation=1.0):
    """Total cost of ownership per *used* accelerator-hour, USD.

    ``(capex * CRF(r, n) / 8760 + P * draw * PUE * $/kWh) / utilisation``. Example
    (reference/targets.md): $40,000, 5 years, 10 %, 1.275 kW * 0.7, PUE 1.2, $0.08/kWh ->
    $1.290/h at full use, $1.613/h at 80 %.
    """
    capital = capex_usd * capital_recovery_factor(rate, years) / 8760.0
    energy = power_kw * draw_fraction * pue * usd_per_kwh
    return (capital + energy) / utilisation


def energy_per_query_wh(active_params, output_tokens, peak_flops, utilisation, power_w, draw_fraction, pue):
    """Energy of one query, Wh: ``2 N tokens / (peak * util) * W * draw * PUE / 3600``.

    Source: Epoch AI, "How much energy does ChatGPT use?" (You, 2025): 100e9 active
    parameters, 500 tokens, 10 % of an H100 at 1275 W * 0.7, PUE 1.2 -> 0.3 Wh.
    """
    seconds = 2.0 * active_params * output_tokens / (peak_flops * utilisation)
    return seconds * power_w * draw_fraction * pue / 3600.0

