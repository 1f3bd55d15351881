# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Start here: the economics of AI inference hardware
#
# **Question.** What does it cost, in dollars and seconds, to serve a language model on a given
# accelerator, and which properties of the chip (compute, memory bandwidth, memory capacity,
# interconnect, power, price) decide it?
#
# **After this notebook you can**
#
# 1. say what the workbook computes and how sure each number in its chip catalog is (its *status*);
# 2. read the first chart: output tokens per second per chip for one model on every chip;
# 3. use a panel of controls to ask your own "what if" and know when it shows a message instead;
# 4. find the notation of every notebook in one place, the [glossary](GLOSSARY.md).
#
# *Time: 15 minutes. Prerequisites: none beyond reading a bar chart with a log axis.*

# %% [markdown]
# ## What the workbook is
#
# A small, differentiable model: every chip and model is a record of numbers in SI units, every
# formula is pure JAX, and every number in the catalog carries a source and a status
# (`vendor-spec`, `reported`, `derived`, `vendor-claim`, `estimate`). Because the model is
# differentiable, sensitivities ("what if bandwidth were 10 % higher?") come from `jax.grad`, not
# from re-running scenarios. Symbols (B batch, T prompt length, `I` arithmetic intensity, ...)
# are defined once, in the [glossary](GLOSSARY.md), and mean the same thing in every notebook.
#
# ## How to use the widgets
#
# Each notebook ends its argument with a panel of controls (dropdowns, sliders, number boxes).
# Run all cells (*Run → Run All Cells*), then move a control: the chart below it redraws in
# place. Settings that cannot work (a batch whose KV cache does not fit in memory, a price of 0)
# show a red message instead of a chart update; nothing you type can crash the notebook.
# Sliders update when you release them. Exercise answers and the cells that check each
# notebook's claims are folded: click the three dots (…) of a folded cell to open it.
#
# ## Map of the notebooks
#
# | notebook | question |
# |---|---|
# | `00_start_here` | what the workbook is; a first chart |
# | `01_chips_and_rooflines` | the chip catalog and its sources; rooflines; tokens/s and $/M tokens across chips |
# | `02_bandwidth_vs_compute` | which resource binds, elasticities, critical batch, uncertainty, inverse design |
# | `03_training_to_inference_shift` | when serving spend overtakes training; inference's share of compute and dollars; the dollar-optimal model size |
# | `04_supplier_negotiation` | what each alternative to NVIDIA is worth to a lab: bargaining leverage, portfolio value, which porting pays |
# | `05_latency_frontier` | tokens/s per chip at a given speed per user under random arrivals (p90/p99 latency); splitting prefill and decode across chips |
# | `06_decentralized_gpu_market` | which inference work decentralised GPU networks (consumer cards) can win, at what price, utilisation and margin |
#
# Teachers: [TEACHING.md](TEACHING.md) gives objectives, timings and assignments per notebook.

# %%
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import altair as alt
import ipywidgets as widgets
from IPython.display import display

from workbook import analysis, calibration, catalog
from workbook.specs import workload
from workbook.ui import ChipComparisonPanel, charts, weakest_status

alt.renderers.enable("svg")        # static charts: offline, deterministic
charts.enable_offline()            # interactive charts: the Vega bundle is inlined (cached on disk), no CDN
pd.set_option("display.width", 120)

# %% [markdown]
# ## A first chart: Llama-3-70B in FP8 across the catalog
#
# One replica serves B = 64 sequences with T = 2,048-token prompts and 512 generated tokens;
# each chip gets the fewest chips per replica (a power of two) that hold the weights and KV
# cache, split the fastest valid way (tensor, pipeline or expert parallel:
# `workbook.model.deployment`). Chips on which no layout fits are left out. Efficiencies (the
# achieved fraction of peak compute and bandwidth) are **calibrated** per chip family against
# published benchmarks (`workbook.calibration`); chips of a family with no benchmark use the
# shared factors and are labelled **prior only**.
#
# The bars are coloured by the weakest status among the numbers **this** chart depends on:
# FP8 peak FLOP/s, memory bandwidth, memory capacity and interconnect bandwidth. Prices do not
# enter tokens/s, so a chip whose only estimate is its rental price stays green here.

# %%
model = catalog.model("llama-3-70b")
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
SPEED_NUMBERS = ("peak_flops_fp8", "memory_bandwidth", "memory_capacity", "interconnect_bandwidth")
chip_ids = catalog.chip_ids()
result = analysis.compare_chips(chip_ids, model, w)
first = pd.DataFrame({
    "chip_id": chip_ids,
    "name": [catalog.chip_info(c).get("name", c) for c in chip_ids],
    "vendor": [catalog.chip_info(c).get("vendor", "") for c in chip_ids],
    "status": [weakest_status(c, SPEED_NUMBERS) for c in chip_ids],
    "chips": result["chips"].astype(int),
    "layout": result["layout"],
    "value": result["tokens_per_s_per_chip"],
})
left_out = first.loc[result["fits"] < 0.5, "name"].tolist()
first = first[result["fits"] > 0.5].reset_index(drop=True)
tps = first.set_index("chip_id")["value"]
b200_x, rubin_x = tps["nvidia_b200_hgx"] / tps["nvidia_a100_80gb_sxm"], tps["nvidia_rubin"] / tps["nvidia_a100_80gb_sxm"]
print(f"left out (no layout fits): {', '.join(left_out) or 'none'}")
status = pd.Series({c: calibration.calibration_status(c) for c in chip_ids})
print(f"efficiencies of {len(chip_ids)} chips: " + "; ".join(f"{k} {v}" for k, v in status.value_counts().items())
      + " (calibrated: fitted to measured rows of the chip's family; prior only: shared factors, no rows of its own)")
print(f"B200 / A100: {b200_x:.1f}x; Rubin / A100: {rubin_x:.1f}x (tokens/s per chip)")

# %%
charts.chip_bar_chart(
    first.round(1), "value", "output tokens/s per chip (Llama-3-70B, FP8, B=64)", log=True,
    finding=f"Each NVIDIA generation serves more tokens per chip: B200 {b200_x:.0f}x an A100, Rubin {rubin_x:.0f}x",
    status_title="status of FLOP/s, bandwidth, memory, links")

# %% [markdown]
# **Takeaway:** on this decode-heavy workload each NVIDIA generation serves several times more
# tokens per chip than the last — the ratios are printed above the chart and in its title —,
# a design that spreads a 70B model over hundreds of small SRAM chips (the Fractile scenario)
# serves few tokens per chip, and a Cerebras wafer counts as one chip. Red and orange bars rest
# on estimates or announcements (Rubin, Maia 200, the Fractile scenario): read them as
# scenarios, not measurements.
#
# **Where this holds.** The ordering of the NVIDIA generations (A100 < H100 < H200 < B200 <
# Rubin) holds for Llama-3-70B in FP8 and BF16 from B = 1 to 256 and prompts of 128 to 8,192
# tokens (the checks at the end sweep those corners); the size of the ratios does not: at
# B = 1 every chip is bound by its memory bandwidth and the gaps shrink toward the bandwidth
# ratios, at large batches they grow toward the compute ratios.

# %% [markdown]
# ## Explore
#
# Pick a model, precision, batch and prompt length; set a chip's price to see $/M tokens move.
# (The panel colours bars by the weakest status of a chip's headline numbers, price included.)

# %% tags=["nbval-ignore-output"]
panel = ChipComparisonPanel(metric="tokens_per_s_per_chip")
display(panel.widget)

# %% [markdown]
# ## Exercises
#
# 1. How many H100s does one replica of Llama-3-70B in FP8 need at B = 64? And in BF16?
# 2. Which chip serves the most output tokens per second per chip in the first chart, and how
#    sure are its numbers?

# %% tags=["solution"]
for precision in ("fp8", "bf16"):
    r = analysis.compare_chips(["nvidia_h100_sxm"], model, workload(precision, batch=64, input_tokens=2048, output_tokens=512))
    print(f"{precision}: {int(r['chips'][0])} x H100")

# %% tags=["solution"]
best = first.sort_values("value", ascending=False).iloc[0]
print(f"{best['name']}: {best['value']:.0f} tokens/s per chip (status of its numbers: {best['status']})")

# %% [markdown]
# ## Checks
#
# The claims above, asserted (folded; `pytest --nbval` fails when one stops being true).

# %% tags=["checks"]
nvidia = ["nvidia_a100_80gb_sxm", "nvidia_h100_sxm", "nvidia_h200_sxm", "nvidia_b200_hgx", "nvidia_rubin"]
assert all(tps[a] < tps[b] for a, b in zip(nvidia, nvidia[1:])), "each NVIDIA generation serves more tokens per chip"
assert b200_x > 3 and rubin_x > b200_x  # "several times more"
for precision in ("fp8", "bf16"):  # the ordering, at the corners of the stated regime
    for b in (1, 256):
        for t in (128, 8192):
            r = analysis.compare_chips(nvidia, model, workload(precision, batch=b, input_tokens=t, output_tokens=512))
            v = r["tokens_per_s_per_chip"]
            assert all(v[i] < v[i + 1] for i in range(len(nvidia) - 1)), (precision, b, t)
assert tps["fractile_imc"] < 0.1 * tps["nvidia_h100_sxm"]
assert first.loc[first.chip_id == "fractile_imc", "chips"].item() > 100
# throughput colours ignore prices: an estimated rental price does not turn a bar red
st = first.set_index("chip_id")["status"]
assert catalog.chip_entry("nvidia_h200_sxm").numbers["price"].status == "estimate" and st["nvidia_h200_sxm"] == "vendor-spec"
assert st["fractile_imc"] == "estimate"
