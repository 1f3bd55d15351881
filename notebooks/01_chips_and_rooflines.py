# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Chips and rooflines
#
# **Question.** What do the chips in the catalog offer, how sure are we of each number, and what
# does that mean for the speed and cost of serving a model?
#
# **Model.** The roofline (jax-ml scaling book): a kernel doing `F` FLOPs on `M` bytes has
# arithmetic intensity `I = F / M` (FLOP/byte) and attains at most `min(peak, BW · I)` FLOP/s.
# The ridge point `I* = peak / BW` separates memory-bound (`I < I*`) from compute-bound work.
# Decode reads every weight once per step for B tokens, so its intensity is about `2B / (bits/8)`;
# prefill processes `T` prompt tokens per weight read, so its intensity is about `T`-times higher.

# %%
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import altair as alt
import ipywidgets as widgets
from IPython.display import display

from workbook import analysis, calibration, catalog
from workbook.model.serving import RESOURCES
from workbook.specs import workload
from workbook.ui import ChipComparisonPanel, charts, weakest_status

alt.renderers.enable("svg")        # static charts: offline, deterministic
alt.JupyterChart.enable_offline()  # interactive charts: the Vega bundle is inlined, no CDN
pd.set_option("display.width", 120)

# %% [markdown]
# ## The catalog, with sources and status
#
# Every number has a status: `vendor-spec` (datasheet), `reported` (third party), `derived`
# (computed from other numbers), `vendor-claim` (announced, not shipping or not verifiable) and
# `estimate` (ours, with a range). Below: headline numbers per chip and the status letter of each
# (S spec, R reported, D derived, C claim, E estimate). Peak FLOP/s are **dense** (datasheets
# often quote 2:4-sparse figures, 2× higher).

# %%
table = pd.DataFrame(catalog.chip_table())
head = {"peak_flops_bf16": ("BF16 TFLOP/s", 1e12), "peak_flops_fp8": ("FP8 TFLOP/s", 1e12),
        "memory_capacity": ("memory GB", 1e9), "memory_bandwidth": ("BW TB/s", 1e12), "price": ("USD/h", 1.0)}
letter = {"vendor-spec": "S", "reported": "R", "derived": "D", "vendor-claim": "C", "estimate": "E"}
sub = table[table.quantity.isin(head)]
values = sub.pivot(index="chip_id", columns="quantity", values="value")
status = sub.pivot(index="chip_id", columns="quantity", values="status")
catalog_view = pd.DataFrame(index=catalog.chip_ids())
catalog_view["name"] = [catalog.chip_info(c).get("name", c)[:32] for c in catalog_view.index]
for q, (label, scale) in head.items():
    catalog_view[label] = [f"{values.loc[c, q] / scale:,.4g} {letter[status.loc[c, q]]}" for c in catalog_view.index]
catalog_view["availability"] = [catalog.chip_info(c).get("availability", "") for c in catalog_view.index]
catalog_view

# %%
counts = table.groupby("status").size().reindex(list(letter), fill_value=0)
print("numbers by status:", ", ".join(f"{s} {n}" for s, n in counts.items()))
fr = table[table.chip_id == "fractile_imc"]
print(f"Fractile row: {len(fr)} numbers, statuses {sorted(set(fr.status))}")

# %% [markdown]
# ## Rooflines
#
# Attainable FP8 FLOP/s against intensity for a few chips, with the intensity of Llama-3-70B's
# decode step (B = 1 and B = 64) and of a 2,048-token prefill marked on each.

# %%
from workbook.model import transformer as tf

model = catalog.model("llama-3-70b")
shown = ["nvidia_a100_80gb_sxm", "nvidia_h100_sxm", "nvidia_b200_hgx", "amd_mi300x", "google_tpu_v5e", "groq_lpu_v1"]
names = {c: catalog.chip_info(c).get("name", c) for c in shown}
intensity = np.logspace(-1, 4, 60)
roofs = pd.concat([
    pd.DataFrame({"name": names[c], "intensity": intensity,
                  "attainable": np.minimum(catalog.chip(c).peak_flops_fp8, catalog.chip(c).memory_bandwidth * intensity)})
    for c in shown])

def phase_intensity(batch, prompt, phase):
    if phase == "prefill":
        return float(tf.prefill_flops(model, batch, prompt) / tf.prefill_bytes(model, batch, prompt, 8.0, 8.0))
    ctx = prompt + 256.0
    return float(tf.decode_flops(model, batch, ctx) / tf.decode_bytes(model, batch, ctx, 8.0, 8.0))

phases = {"decode B=1": phase_intensity(1.0, 2048.0, "decode"), "decode B=64": phase_intensity(64.0, 2048.0, "decode"),
          "prefill T=2048": phase_intensity(1.0, 2048.0, "prefill")}
points = pd.DataFrame([
    {"name": names[c], "phase": p, "intensity": i,
     "attainable": min(catalog.chip(c).peak_flops_fp8, catalog.chip(c).memory_bandwidth * i)}
    for c in shown for p, i in phases.items()])
ridge = {c: catalog.chip(c).peak_flops_fp8 / catalog.chip(c).memory_bandwidth for c in shown}
for p, i in phases.items():
    print(f"{p:15s} intensity {i:8.1f} FLOP/byte")
print("ridge points (FP8):", ", ".join(f"{names[c].split(' (')[0]} {r:.0f}" for c, r in ridge.items()))

# %%
charts.roofline_chart(roofs.round(3), points.round(3))

# %% [markdown]
# **Takeaway:** a single-sequence decode step sits at about 2 FLOP/byte, two orders of magnitude
# left of every HBM chip's ridge point (Groq's SRAM puts its ridge near 2), so decode speed is set by memory bandwidth unless the batch is in the
# hundreds, while a prefill of a few thousand tokens is compute-bound on every chip.

# %%
for c in shown:
    if c != "groq_lpu_v1":  # SRAM: its ridge point is near 2 FLOP/byte
        assert phases["decode B=1"] < ridge[c] / 50, c
    assert phases["prefill T=2048"] > ridge[c], c
assert phases["decode B=1"] < phases["decode B=64"] < phases["prefill T=2048"]

# %% [markdown]
# ## Tokens per second and dollars per million tokens across chips
#
# Same workload as notebook 00 (Llama-3-70B, FP8, B = 64, 2,048-token prompts, 512 output
# tokens, fewest chips per replica that fit), with **calibrated** efficiencies. Prices are dated
# scenario inputs (USD per chip-hour, see the catalog's `price` rows); chips whose headline numbers
# include claims or estimates are coloured accordingly.

# %%
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
ids = catalog.chip_ids()
r = analysis.compare_chips(ids, model, w)
across = pd.DataFrame({
    "chip_id": ids, "name": [catalog.chip_info(c).get("name", c) for c in ids],
    "status": [weakest_status(c) for c in ids], "chips": r["chips"].astype(int),
    "tokens_per_s_per_chip": r["tokens_per_s_per_chip"], "usd_per_million_tokens": r["usd_per_million_tokens"],
    "bound": [RESOURCES[int(b)] for b in r["bound"]],
})
print("efficiencies: " + ", ".join(f"{catalog.chip_info(c)['name'][:16]} {calibration.calibration_status(c)}" for c in ids))
across[["name", "status", "chips", "tokens_per_s_per_chip", "usd_per_million_tokens", "bound"]].round(2)

# %%
cost = across.rename(columns={"usd_per_million_tokens": "value"})[["name", "status", "value"]].round(3)
charts.chip_bar_chart(cost, "value", "USD per million output tokens (calibrated)", log=True)

# %% [markdown]
# **Takeaway:** at this workload the cheapest tokens come from chips with the most bandwidth per
# dollar-hour (large-HBM AMD parts, H200 and the newest NVIDIA parts); the cheapest bar of all is
# the Fractile *scenario*, whose every number is an estimate — do not read it as a measurement.

# %% tags=["checks"]
usd = across.set_index("chip_id")["usd_per_million_tokens"]
assert usd["nvidia_h200_sxm"] < usd["nvidia_h100_sxm"] < usd["nvidia_a100_80gb_sxm"]
assert usd["amd_mi300x"] < usd["nvidia_h100_sxm"]
assert set(across.loc[across.chip_id.str.startswith("nvidia"), "bound"]) == {"memory"}
assert across.set_index("chip_id").loc["fractile_imc", "status"] == "estimate"

# %% [markdown]
# ## Explore
#
# Pick the model, precision, batch, prompt length and output length; override one chip's price.

# %% tags=["nbval-ignore-output"]
panel = ChipComparisonPanel()
display(panel.widget)

# %% [markdown]
# ## Exercises
#
# 1. At what batch does a Llama-3-70B FP8 decode step on one H100 reach the ridge point? (Hint:
#    decode intensity is about `2B / (bits/8)` FLOP/byte.)
# 2. Double the H100's price in the panel (or in code). By how much does its $/M tokens change,
#    and why exactly that much?

# %% tags=["solution"]
h = catalog.chip("nvidia_h100_sxm")
b_star = analysis.critical_batch(h, "fp8")
print(f"ridge {h.peak_flops_fp8 / h.memory_bandwidth:.0f} FLOP/byte -> B* = {b_star:.0f} sequences (weights only; KV reads push it higher)")

# %% tags=["solution"]
h = catalog.chip("nvidia_h100_sxm")
w2 = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
base = float(analysis.performance(h, model, w2).usd_per_million_tokens)
double = float(analysis.performance(h._replace(price=2 * h.price), model, w2).usd_per_million_tokens)
print(f"x{double / base:.3f}: cost per token is price x time per token, and time does not depend on price")
