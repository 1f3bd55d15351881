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
# **After this notebook you can**
#
# 1. read the catalog: every headline number with its unit, its status and its source;
# 2. place a workload on a chip's roofline and say whether it is memory- or compute-bound;
# 3. explain why decode speed follows memory bandwidth and prefill follows compute;
# 4. compare chips on tokens/s and on $ per million tokens, and say which numbers those rest on.
#
# *Time: 30–40 minutes. Prerequisites: notebook 00; the symbols are in the [glossary](GLOSSARY.md).*

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
charts.enable_offline()            # interactive charts: the Vega bundle is inlined (cached on disk), no CDN
pd.set_option("display.width", 120)

# %% [markdown]
# ## The catalog, with sources and status
#
# Every number has a status: `vendor-spec` (datasheet), `reported` (third party), `derived`
# (computed from other numbers), `vendor-claim` (announced, not shipping or not verifiable) and
# `estimate` (ours, with a range). The table gives the headline numbers per chip in the units of
# the header; each cell is tinted by its status, in the colours the charts use. Peak FLOP/s are
# **dense** (datasheets often quote 2:4-sparse figures, 2× higher). Every number's source and
# date: `catalog.chip_table()`, or the site's chip catalog page.

# %%
table = pd.DataFrame(catalog.chip_table())
head = {"peak_flops_bf16": ("BF16 TFLOP/s", 1e12), "peak_flops_fp8": ("FP8 TFLOP/s", 1e12),
        "memory_capacity": ("memory GB", 1e9), "memory_bandwidth": ("bandwidth TB/s", 1e12),
        "price": ("USD / chip-hour", 1.0)}
sub = table[table.quantity.isin(head)]
values = sub.pivot(index="chip_id", columns="quantity", values="value")
status = sub.pivot(index="chip_id", columns="quantity", values="status")
ids = catalog.chip_ids()
catalog_view = pd.DataFrame({
    "chip": [catalog.chip_info(c).get("name", c) for c in ids],
    "vendor": [catalog.chip_info(c).get("vendor", "") for c in ids],
    "availability": [catalog.chip_info(c).get("availability", "") for c in ids],
    **{label: [values.loc[c, q] / scale for c in ids] for q, (label, scale) in head.items()},
})
cell_status = pd.DataFrame({label: [status.loc[c, q] for c in ids] for q, (label, _) in head.items()})
tint = dict(zip(charts.STATUS_ORDER, charts.STATUS_COLORS))
dark = {"vendor-spec", "estimate"}


def shade(column):
    if column.name not in cell_status:
        return [""] * len(column)
    return [f"background-color: {tint[s]}; color: {'white' if s in dark else 'black'}" for s in cell_status[column.name]]


def readable(v):  # 3 significant digits, thousands separated: 62,500 · 989 · 3.35 · 0.23
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


formats = {label: readable for label, _ in head.values()}
(catalog_view.style.set_uuid("catalog").hide(axis="index").format(formats).apply(shade)
 .set_caption("cell colour = status: " + ", ".join(charts.STATUS_ORDER) + " (dark green … red)"))

# %%
counts = table.groupby("status").size().reindex(charts.STATUS_ORDER, fill_value=0)
print("numbers by status:", ", ".join(f"{s} {n}" for s, n in counts.items()))
fr = table[table.chip_id == "fractile_imc"]
print(f"Fractile row: {len(fr)} numbers, statuses {sorted(set(fr.status))}")

# %% [markdown]
# ## Rooflines
#
# A kernel that does some FLOPs while moving some bytes has arithmetic intensity `I = FLOPs / bytes` (FLOP/byte) and
# attains at most `min(peak, BW · I)` FLOP/s: the roofline. Its corner, the ridge point
# `I* = peak / BW`, separates memory-bound work (`I < I*`) from compute-bound work. A decode step
# reads every weight once for B tokens, so `I ≈ 2B / (bits/8)`; a prefill processes the T
# prompt tokens per weight read, so its intensity is about T times higher. The cell below
# computes the three intensities for Llama-3-70B in FP8 and each chip's ridge point.

# %%
from workbook.model import transformer as tf

model = catalog.model("llama-3-70b")
shown = ["nvidia_a100_80gb_sxm", "nvidia_h100_sxm", "nvidia_b200_hgx", "amd_mi300x", "google_tpu_v5e", "groq_lpu_v1"]
names = {c: catalog.chip_info(c).get("name", c) for c in shown}
short = {c: names[c].split(" (")[0] for c in shown}
vendor = {c: catalog.chip_info(c).get("vendor", "") for c in shown}
peak = {c: catalog.chip(c).peak_flops_fp8 / 1e12 for c in shown}        # TFLOP/s
bw = {c: catalog.chip(c).memory_bandwidth / 1e12 for c in shown}         # TB/s
ridge = {c: peak[c] / bw[c] for c in shown}   # I* = peak / BW, FLOP/byte
label = {c: f"{short[c]} (I* = {ridge[c]:.0f})" for c in shown}
intensity = np.logspace(0, 4, 60)
roofs = pd.concat([pd.DataFrame({"name": label[c], "vendor": vendor[c], "intensity": intensity,
                                 "attainable": np.minimum(peak[c], bw[c] * intensity)}) for c in shown])


def phase_intensity(batch, prompt, phase):
    if phase == "prefill":
        return float(tf.prefill_flops(model, batch, prompt) / tf.prefill_bytes(model, batch, prompt, 8.0, 8.0))
    ctx = prompt + 256.0
    return float(tf.decode_flops(model, batch, ctx) / tf.decode_bytes(model, batch, ctx, 8.0, 8.0))


phases = {"decode B=1": phase_intensity(1.0, 2048.0, "decode"), "decode B=64": phase_intensity(64.0, 2048.0, "decode"),
          "prefill T=2048": phase_intensity(1.0, 2048.0, "prefill")}
points = pd.DataFrame([{"name": label[c], "vendor": vendor[c], "phase": p, "intensity": i,
                        "attainable": min(peak[c], bw[c] * i)} for c in shown for p, i in phases.items()])
ridges = pd.DataFrame({"name": [label[c] for c in shown], "intensity": [ridge[c] for c in shown],
                       "attainable": [peak[c] for c in shown], "label": [f"{ridge[c]:.0f}" for c in shown]})
for p, i in phases.items():
    print(f"{p:15s} I = {i:8.1f} FLOP/byte")
print("ridge points I* (FP8, FLOP/byte):", ", ".join(f"{short[c]} {r:.0f}" for c, r in ridge.items()))
hbm_ridges = [r for c, r in ridge.items() if c != "groq_lpu_v1"]

# %%
charts.roofline_chart(
    roofs.round(4), points.round(4), ridges.round(2),
    finding=f"A batch-1 decode step (I = {phases['decode B=1']:.0f}) sits {min(hbm_ridges) / phases['decode B=1']:.0f}x or more "
            "left of every HBM chip's ridge: it is memory-bound",
    y_title="attainable FP8 TFLOP/s", height=380)

# %% [markdown]
# Lines are coloured by vendor (the same colours in every notebook) and dashed per chip; the
# diamonds are the ridge points `I*`, labelled with their value in FLOP/byte (also in the chip
# legend); the markers are Llama-3-70B's three phases on each chip's roof.
#
# **Takeaway:** a single-sequence decode step sits at about 2 FLOP/byte, two orders of magnitude
# left of every HBM chip's ridge point (Groq's SRAM puts its ridge near 2), so decode speed is set
# by memory bandwidth unless the batch is in the hundreds, while a prefill of a few thousand
# tokens is compute-bound on every chip. **Where it stops:** decode reaches an HBM chip's ridge
# only at B ≈ `I*`/2 (exercise 1); long contexts push it further out, because each sequence's
# KV cache adds bytes but few FLOPs.

# %% [markdown]
# ## Tokens per second and dollars per million tokens across chips
#
# Same workload as notebook 00 (Llama-3-70B, FP8, B = 64, 2,048-token prompts, 512 output
# tokens, fewest chips per replica that fit), with **calibrated** efficiencies. Then
# `$ / M tokens = price per chip-hour × chips / (tokens per hour) × 10⁶`: prices are dated
# scenario inputs (USD per chip-hour, the catalog's `price` rows). The cost bars are coloured by
# the weakest status among the numbers the cost depends on: the speed numbers *and* the price.

# %%
SPEED_NUMBERS = ("peak_flops_fp8", "memory_bandwidth", "memory_capacity", "interconnect_bandwidth")
COST_NUMBERS = SPEED_NUMBERS + ("price",)
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
r = analysis.compare_chips(ids, model, w)
across = pd.DataFrame({
    "chip_id": ids, "name": [catalog.chip_info(c).get("name", c) for c in ids],
    "status": [weakest_status(c, COST_NUMBERS) for c in ids], "chips": r["chips"].astype(int),
    "tokens_per_s_per_chip": r["tokens_per_s_per_chip"], "usd_per_million_tokens": r["usd_per_million_tokens"],
    "bound": [RESOURCES[int(b)] for b in r["bound"]], "fits": r["fits"] > 0.5,
})
across = across[across.fits].drop(columns="fits").reset_index(drop=True)
usd = across.set_index("chip_id")["usd_per_million_tokens"]
firm = across[across.status != "estimate"].sort_values("usd_per_million_tokens").iloc[0]
print("efficiencies: " + ", ".join(f"{catalog.chip_info(c)['name'].split(' (')[0]} {calibration.calibration_status(c)}" for c in ids))
print(f"cheapest with no estimated number behind it: {firm['name']} at {firm['usd_per_million_tokens']:.2f} USD/M tokens; "
      f"H100 {usd['nvidia_h100_sxm']:.2f}, MI300X {usd['amd_mi300x']:.2f}")
across[["name", "status", "chips", "tokens_per_s_per_chip", "usd_per_million_tokens", "bound"]].round(2)

# %%
cost = across.rename(columns={"usd_per_million_tokens": "value"})[["name", "status", "value"]].round(3)
charts.chip_bar_chart(
    cost, "value", "USD per million output tokens (calibrated, log scale)", log=True, axis_format="$~g",
    finding=f"Firm numbers: {firm['name'].split(' (')[0]} is cheapest at ${firm['usd_per_million_tokens']:.2f}/M tokens; "
            f"H100 ${usd['nvidia_h100_sxm']:.2f}",
    status_title="status of speed numbers and price")

# %% [markdown]
# **Takeaway:** at this workload the cheapest tokens whose numbers are all datasheet or reported
# figures come from chips with the most bandwidth per dollar-hour (the large-HBM AMD parts beat
# the H100, which beats the A100). Bandwidth is not all of it: the H200's 1.43× the H100's
# bandwidth, at about 1.4× its price, comes out within 5 % of the H100 per token, because the
# 2,048-token prompts are a compute-bound prefill and the H200 has the H100's compute. Red bars rest on an estimated price or
# spec — many chips' rental prices are our estimates —, and the Fractile bar is a *scenario*
# whose every number is an estimate: do not read it as a measurement. **Where it stops:** this is
# B = 64; at B = 1 every chip's cost per token rises several-fold (the weights are streamed for
# one sequence instead of 64), and at batches past the critical batch (notebook 02) compute per
# dollar, not bandwidth per dollar, sets the ranking.

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

# %% [markdown]
# ## Checks
#
# The claims above, asserted (folded; `pytest --nbval` fails when one stops being true).

# %% tags=["checks"]
# rooflines: decode B=1 far left of every HBM ridge, prefill right of every ridge
for c in shown:
    if c != "groq_lpu_v1":  # SRAM: its ridge point is near 2 FLOP/byte
        assert phases["decode B=1"] < ridge[c] / 50, c
    assert phases["prefill T=2048"] > ridge[c], c
assert phases["decode B=1"] < phases["decode B=64"] < phases["prefill T=2048"]
assert 1.5 < phases["decode B=1"] < 2.5  # "about 2 FLOP/byte"
# cost: more bandwidth per dollar-hour wins at B = 64
assert usd["nvidia_h100_sxm"] < usd["nvidia_a100_80gb_sxm"]
assert usd["amd_mi300x"] < usd["nvidia_h100_sxm"] and usd["amd_mi325x"] < usd["nvidia_h100_sxm"]
assert abs(usd["nvidia_h200_sxm"] / usd["nvidia_h100_sxm"] - 1) < 0.05  # "within 5 %"
h100_c, h200_c = catalog.chip("nvidia_h100_sxm"), catalog.chip("nvidia_h200_sxm")
assert 1.3 < h200_c.price / h100_c.price < 1.5 and h200_c.peak_flops_fp8 == h100_c.peak_flops_fp8  # "about 1.4x its price", same compute
datacenter = ["nvidia_a100_80gb_sxm", "nvidia_h100_sxm", "nvidia_h200_sxm", "nvidia_b200_hgx"]
assert set(across.set_index("chip_id").loc[datacenter, "bound"]) == {"memory"}
assert across.set_index("chip_id").loc["fractile_imc", "status"] == "estimate"
assert firm["status"] != "estimate" and firm["usd_per_million_tokens"] < usd["nvidia_h100_sxm"]
# at B = 1 cost per token rises several-fold
r1 = analysis.compare_chips(["nvidia_h100_sxm", "amd_mi300x"], model, workload("fp8", batch=1, input_tokens=2048, output_tokens=512))
assert (r1["usd_per_million_tokens"] > 3 * np.array([usd["nvidia_h100_sxm"], usd["amd_mi300x"]])).all()
# the catalog table shows every chip with its full name
assert len(catalog_view) == len(ids) and catalog_view.chip.str.len().max() > 32
