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
# This workbook answers with a small, differentiable model: every chip and model is a record of
# numbers in SI units, every formula is pure JAX, and every number in the catalog carries a source
# and a status (`vendor-spec`, `reported`, `derived`, `vendor-claim`, `estimate`). Because the
# model is differentiable, sensitivities ("what if bandwidth were 10 % higher?") come from
# `jax.grad`, not from re-running scenarios.

# %% [markdown]
# ## How to use the widgets
#
# Each notebook ends its argument with a panel of controls (dropdowns, sliders, number boxes).
# Run all cells (*Run → Run All Cells*), then move a control: the chart below it redraws in
# place. Settings that cannot work (a batch whose KV cache does not fit in memory, a price of 0)
# show a red message instead of a chart update; nothing you type can crash the notebook.
# Sliders update when you release them.
#
# ## Map of the notebooks
#
# | notebook | question |
# |---|---|
# | `00_start_here` | what the workbook is; notation; a first chart |
# | `01_chips_and_rooflines` | the chip catalog and its sources; rooflines; tokens/s and $/M tokens across chips |
# | `02_bandwidth_vs_compute` | which resource binds, elasticities, critical batch, uncertainty, inverse design |
# | `03_training_to_inference_shift` | when serving spend overtakes training; inference's share of compute and dollars; the dollar-optimal model size |
# | `04_supplier_negotiation` | what each alternative to NVIDIA is worth to a lab: bargaining leverage, portfolio value, which porting pays |
#
# ## Notation (jax-ml scaling book)
#
# | symbol | meaning | symbol | meaning |
# |---|---|---|---|
# | B | batch: sequences served at once | L | layers |
# | T | sequence length (prompt / context) | N | query heads |
# | D | model width `d_model` | K | key/value heads |
# | F | MLP width `d_ff` | H | head dimension |
# | V | vocabulary size | G | chips per replica |
#
# Times are `T_math = FLOPs / (FLOP/s)` and `T_mem = bytes / (bytes/s)`; a step takes about
# `max(T_math, T_mem)` (we use a smooth maximum so gradients exist at the switch).

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
alt.JupyterChart.enable_offline()  # interactive charts: the Vega bundle is inlined, no CDN
pd.set_option("display.width", 120)

# %% [markdown]
# ## A first chart: Llama-3-70B in FP8 across the catalog
#
# **Model.** One replica serves B = 64 sequences with 2,048-token prompts and 512 generated
# tokens; each chip gets the fewest chips per replica (a power of two) that hold the weights
# and KV cache, split the fastest valid way (tensor, pipeline or expert parallel:
# `workbook.model.deployment`). Chips on which no layout fits are left out.
# Efficiencies (the achieved fraction of peak compute and bandwidth) are **calibrated** per chip
# family against published benchmarks (`workbook.calibration`); chips of a family with no
# benchmark use the shared factors and are labelled **prior only**.

# %%
model = catalog.model("llama-3-70b")
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
chip_ids = catalog.chip_ids()
result = analysis.compare_chips(chip_ids, model, w)
first = pd.DataFrame({
    "chip_id": chip_ids,
    "name": [catalog.chip_info(c).get("name", c) for c in chip_ids],
    "status": [weakest_status(c) for c in chip_ids],
    "chips": result["chips"].astype(int),
    "layout": result["layout"],
    "value": result["tokens_per_s_per_chip"],
})
left_out = first.loc[result["fits"] < 0.5, "name"].tolist()
first = first[result["fits"] > 0.5].reset_index(drop=True)
print(f"left out (no layout fits): {', '.join(left_out) or 'none'}")
status = pd.Series({c: calibration.calibration_status(c) for c in chip_ids})
print(f"efficiencies of {len(chip_ids)} chips: " + "; ".join(f"{k} {v}" for k, v in status.value_counts().items())
      + " (calibrated: fitted to measured rows of the chip's family; prior only: shared factors, no rows of its own)")

# %%
charts.chip_bar_chart(first.round(1), "value", "output tokens/s per chip (Llama-3-70B, FP8, B=64)", log=True)

# %% [markdown]
# Bar colours give the **weakest** status among a chip's headline numbers: red bars rest on
# estimates (e.g. the Fractile row is a scenario built from public claims, Groq and Cerebras
# prices are estimates), so read them as scenarios, not measurements.
#
# **Takeaway:** on this decode-heavy workload each NVIDIA generation serves several times more
# tokens per chip than the last (the ratios are printed below: B200 about 10× an A100, Rubin —
# announced, partly estimated — well over 20×), and a design that spreads a 70B model over
# hundreds of small SRAM chips (the Fractile scenario) serves few tokens per chip; a Cerebras
# wafer counts as one chip.

# %%
tps = first.set_index("chip_id")["value"]
print(f"B200 / A100: {tps['nvidia_b200_hgx'] / tps['nvidia_a100_80gb_sxm']:.1f}x; "
      f"Rubin / A100: {tps['nvidia_rubin'] / tps['nvidia_a100_80gb_sxm']:.1f}x")

# %% tags=["checks"]
assert tps["nvidia_h200_sxm"] > tps["nvidia_h100_sxm"] > tps["nvidia_a100_80gb_sxm"]
assert 5 < tps["nvidia_b200_hgx"] / tps["nvidia_a100_80gb_sxm"] < 15
assert tps["nvidia_rubin"] / tps["nvidia_a100_80gb_sxm"] > 20
assert tps["fractile_imc"] < 0.1 * tps["nvidia_h100_sxm"]
assert first.loc[first.chip_id == "fractile_imc", "chips"].item() > 100

# %% [markdown]
# ## Explore
#
# Pick a model, precision, batch and prompt length; set a chip's price to see $/M tokens move.

# %% tags=["nbval-ignore-output"]
panel = ChipComparisonPanel(metric="tokens_per_s_per_chip")
display(panel.widget)

# %% [markdown]
# ## Exercises
#
# 1. How many H100s does one replica of Llama-3-70B in FP8 need at B = 64? And in BF16?
# 2. Which chip serves the most output tokens per second per chip in the first chart?

# %% tags=["solution"]
for precision in ("fp8", "bf16"):
    r = analysis.compare_chips(["nvidia_h100_sxm"], model, workload(precision, batch=64, input_tokens=2048, output_tokens=512))
    print(f"{precision}: {int(r['chips'][0])} x H100")

# %% tags=["solution"]
best = first.sort_values("value", ascending=False).iloc[0]
print(f"{best['name']}: {best['value']:.0f} tokens/s per chip (status of its numbers: {best['status']})")
