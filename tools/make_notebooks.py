"""Generate notebooks/00-02 from the cell sources below (reviewable as plain Python).

Usage: python tools/make_notebooks.py   (then execute with nbconvert and clean with tools/nb_clean.py)
Solution cells carry the tag ``solution`` and a hidden source, so they open collapsed.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook
from nbcells import code, md, solution, widget_cell

ROOT = Path(__file__).resolve().parents[1]

SETUP = '''import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import altair as alt
import ipywidgets as widgets
from IPython.display import display

from workbook import catalog

from workbook import analysis as sensitivity

from workbook.ui import charts
from workbook.ui import sensitivity_panel as panels
from workbook.errors import InputError
from workbook.specs import Efficiency, workload

alt.renderers.enable("svg")        # static charts: offline, deterministic
alt.JupyterChart.enable_offline()  # interactive charts: the Vega bundle is inlined, no CDN
pd.set_option("display.width", 120)'''


# ---------------------------------------------------------------- 00 start here

NB00 = [
    md("""
# 00 · Start here: the economics of AI inference hardware

**Question.** What does it cost, in dollars and seconds, to serve a language model on a given
accelerator, and which properties of the chip (compute, memory bandwidth, memory capacity,
interconnect, power, price) decide it?

This workbook answers with a small, differentiable model: every chip and model is a record of
numbers in SI units, every formula is pure JAX, and every number in the catalog carries a source
and a status (`vendor-spec`, `reported`, `derived`, `vendor-claim`, `estimate`). Because the
model is differentiable, sensitivities ("what if bandwidth were 10 % higher?") come from
`jax.grad`, not from re-running scenarios.
"""),
    md("""
## How to use the widgets

Each notebook ends its argument with a panel of controls (dropdowns, sliders, number boxes).
Run all cells (*Run → Run All Cells*), then move a control: the chart below it redraws in
place. Settings that cannot work (a batch whose KV cache does not fit in memory, a price of 0)
show a red message instead of a chart update; nothing you type can crash the notebook.
Sliders update when you release them.

## Map of the notebooks

| notebook | question |
|---|---|
| `00_start_here` | what the workbook is; notation; a first chart |
| `01_chips_and_rooflines` | the chip catalog and its sources; rooflines; tokens/s and $/M tokens across chips |
| `02_bandwidth_vs_compute` | which resource binds, elasticities, critical batch, uncertainty, inverse design |
| `03_training_to_inference_shift` | how demand shifts from training to inference (written separately) |
| `04_supplier_negotiation` | bargaining with chip suppliers (written separately) |

## Notation (jax-ml scaling book)

| symbol | meaning | symbol | meaning |
|---|---|---|---|
| B | batch: sequences served at once | L | layers |
| T | sequence length (prompt / context) | N | query heads |
| D | model width `d_model` | K | key/value heads |
| F | MLP width `d_ff` | H | head dimension |
| V | vocabulary size | G | chips per replica |

Times are `T_math = FLOPs / (FLOP/s)` and `T_mem = bytes / (bytes/s)`; a step takes about
`max(T_math, T_mem)` (we use a smooth maximum so gradients exist at the switch).
"""),
    code(SETUP),
    md("""
## A first chart: Llama-3-70B in FP8 across the catalog

**Model.** One replica serves B = 64 sequences with 2,048-token prompts and 512 generated
tokens; each chip gets the fewest chips per replica that hold the weights and KV cache.
Efficiencies (the achieved fraction of peak compute and bandwidth) are **calibrated** per chip
family against published benchmarks (`workbook.calibration`); chips of a family with no
benchmark use the shared factors.
"""),
    code('''
model = catalog.model("llama-3-70b")
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
chip_ids = catalog.chip_ids()
result = sensitivity.compare_chips(chip_ids, model, w)
first = pd.DataFrame({
    "chip_id": chip_ids,
    "name": [catalog.chip_info(c).get("name", c) for c in chip_ids],
    "status": [panels.weakest_status(c) for c in chip_ids],
    "chips": result["chips"].astype(int),
    "value": result["tokens_per_s_per_chip"],
})
calibrated = all(sensitivity.calibrated_efficiency(c)[1] for c in chip_ids)
print(f"calibrated efficiencies: {calibrated}; chips: {len(chip_ids)}")
'''),
    code('''
charts.chip_bar_chart(first.round(1), "value", "output tokens/s per chip (Llama-3-70B, FP8, B=64)", log=True)
'''),
    md("""
Bar colours give the **weakest** status among a chip's headline numbers: red bars rest on
estimates (e.g. the Fractile row is a scenario built from public claims, Groq and Cerebras
prices are estimates), so read them as scenarios, not measurements.

**Takeaway:** on a memory-bound decode workload the newest HBM GPUs serve roughly 5–15× more
tokens per chip than the oldest parts in the catalog, and SRAM-only designs that must spread a
70B model over hundreds of chips serve very few tokens per chip.
"""),
    code('''
tps = first.set_index("chip_id")["value"]
assert tps["nvidia_h200_sxm"] > tps["nvidia_h100_sxm"] > tps["nvidia_a100_80gb_sxm"]
assert tps["nvidia_b200_hgx"] / tps["nvidia_a100_80gb_sxm"] > 3
assert tps["groq_lpu_v1"] < 0.01 * tps["nvidia_h100_sxm"]
assert first.loc[first.chip_id == "groq_lpu_v1", "chips"].item() > 100
'''),
    md("## Explore\n\nPick a model, precision, batch and prompt length; set a chip's price to see $/M tokens move."),
    widget_cell('''
panel = panels.ChipComparisonPanel(metric="tokens_per_s_per_chip")
display(panel.widget)
'''),
    md("""
## Exercises

1. How many H100s does one replica of Llama-3-70B in FP8 need at B = 64? And in BF16?
2. Which chip serves the most output tokens per second per chip in the first chart?
"""),
    solution('''
for precision in ("fp8", "bf16"):
    r = sensitivity.compare_chips(["nvidia_h100_sxm"], model, workload(precision, batch=64, input_tokens=2048, output_tokens=512))
    print(f"{precision}: {int(r['chips'][0])} x H100")
'''),
    solution('''
best = first.sort_values("value", ascending=False).iloc[0]
print(f"{best['name']}: {best['value']:.0f} tokens/s per chip (status of its numbers: {best['status']})")
'''),
]

# ---------------------------------------------------------------- 01 chips and rooflines

NB01 = [
    md("""
# 01 · Chips and rooflines

**Question.** What do the chips in the catalog offer, how sure are we of each number, and what
does that mean for the speed and cost of serving a model?

**Model.** The roofline (jax-ml scaling book): a kernel doing `F` FLOPs on `M` bytes has
arithmetic intensity `I = F / M` (FLOP/byte) and attains at most `min(peak, BW · I)` FLOP/s.
The ridge point `I* = peak / BW` separates memory-bound (`I < I*`) from compute-bound work.
Decode reads every weight once per step for B tokens, so its intensity is about `2B / (bits/8)`;
prefill processes `T` prompt tokens per weight read, so its intensity is about `T`-times higher.
"""),
    code(SETUP),
    md("""
## The catalog, with sources and status

Every number has a status: `vendor-spec` (datasheet), `reported` (third party), `derived`
(computed from other numbers), `vendor-claim` (announced, not shipping or not verifiable) and
`estimate` (ours, with a range). Below: headline numbers per chip and the status letter of each
(S spec, R reported, D derived, C claim, E estimate). Peak FLOP/s are **dense** (datasheets
often quote 2:4-sparse figures, 2× higher).
"""),
    code('''
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
'''),
    code('''
counts = table.groupby("status").size().reindex(list(letter), fill_value=0)
print("numbers by status:", ", ".join(f"{s} {n}" for s, n in counts.items()))
fr = table[table.chip_id == "fractile_imc"]
print(f"Fractile row: {len(fr)} numbers, statuses {sorted(set(fr.status))}")
'''),
    md("""
## Rooflines

Attainable FP8 FLOP/s against intensity for a few chips, with the intensity of Llama-3-70B's
decode step (B = 1 and B = 64) and of a 2,048-token prefill marked on each.
"""),
    code('''
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
'''),
    code('''
charts.roofline_chart(roofs.round(3), points.round(3))
'''),
    md("""
**Takeaway:** a single-sequence decode step sits at about 2 FLOP/byte, two orders of magnitude
left of every HBM chip's ridge point (Groq's SRAM puts its ridge near 2), so decode speed is set by memory bandwidth unless the batch is in the
hundreds, while a prefill of a few thousand tokens is compute-bound on every chip.
"""),
    code('''
for c in shown:
    if c != "groq_lpu_v1":  # SRAM: its ridge point is near 2 FLOP/byte
        assert phases["decode B=1"] < ridge[c] / 50, c
    assert phases["prefill T=2048"] > ridge[c], c
assert phases["decode B=1"] < phases["decode B=64"] < phases["prefill T=2048"]
'''),
    md("""
## Tokens per second and dollars per million tokens across chips

Same workload as notebook 00 (Llama-3-70B, FP8, B = 64, 2,048-token prompts, 512 output
tokens, fewest chips per replica that fit), with **calibrated** efficiencies. Prices are dated
scenario inputs (USD per chip-hour, see the catalog's `price` rows); chips whose headline numbers
include claims or estimates are coloured accordingly.
"""),
    code('''
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
ids = catalog.chip_ids()
r = sensitivity.compare_chips(ids, model, w)
across = pd.DataFrame({
    "chip_id": ids, "name": [catalog.chip_info(c).get("name", c) for c in ids],
    "status": [panels.weakest_status(c) for c in ids], "chips": r["chips"].astype(int),
    "tokens_per_s_per_chip": r["tokens_per_s_per_chip"], "usd_per_million_tokens": r["usd_per_million_tokens"],
    "bound": [("compute", "memory", "interconnect")[int(b)] for b in r["bound"]],
})
print(f"calibrated: {all(sensitivity.calibrated_efficiency(c)[1] for c in ids)}")
across[["name", "status", "chips", "tokens_per_s_per_chip", "usd_per_million_tokens", "bound"]].round(2)
'''),
    code('''
cost = across.rename(columns={"usd_per_million_tokens": "value"})[["name", "status", "value"]].round(3)
charts.chip_bar_chart(cost, "value", "USD per million output tokens (calibrated)", log=True)
'''),
    md("""
**Takeaway:** at this workload the cheapest tokens come from chips with the most bandwidth per
dollar-hour (large-HBM AMD parts, H200 and the newest NVIDIA parts); the cheapest bar of all is
the Fractile *scenario*, whose every number is an estimate — do not read it as a measurement.
"""),
    code('''
usd = across.set_index("chip_id")["usd_per_million_tokens"]
assert usd["nvidia_h200_sxm"] < usd["nvidia_h100_sxm"] < usd["nvidia_a100_80gb_sxm"]
assert usd["amd_mi300x"] < usd["nvidia_h100_sxm"]
assert set(across.loc[across.chip_id.str.startswith("nvidia"), "bound"]) == {"memory"}
assert across.set_index("chip_id").loc["fractile_imc", "status"] == "estimate"
'''),
    md("## Explore\n\nPick the model, precision, batch, prompt length and output length; override one chip's price."),
    widget_cell('''
panel = panels.ChipComparisonPanel()
display(panel.widget)
'''),
    md("""
## Exercises

1. At what batch does a Llama-3-70B FP8 decode step on one H100 reach the ridge point? (Hint:
   decode intensity is about `2B / (bits/8)` FLOP/byte.)
2. Double the H100's price in the panel (or in code). By how much does its $/M tokens change,
   and why exactly that much?
"""),
    solution('''
h = catalog.chip("nvidia_h100_sxm")
b_star = sensitivity.critical_batch(h, "fp8")
print(f"ridge {h.peak_flops_fp8 / h.memory_bandwidth:.0f} FLOP/byte -> B* = {b_star:.0f} sequences (weights only; KV reads push it higher)")
'''),
    solution('''
h = catalog.chip("nvidia_h100_sxm")
w2 = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
base = float(sensitivity.performance(h, model, w2).usd_per_million_tokens)
double = float(sensitivity.performance(h._replace(price=2 * h.price), model, w2).usd_per_million_tokens)
print(f"x{double / base:.3f}: cost per token is price x time per token, and time does not depend on price")
'''),
]

# ---------------------------------------------------------------- 02 bandwidth vs compute

NB02 = [
    md("""
# 02 · Bandwidth versus compute

**Question.** For serving a given model, is a chip's memory bandwidth or its compute worth
more — and when does that flip?

**Model.** A decode step of batch B moves the weights plus B KV caches and does about
`2 · params · B` FLOPs: `T_mem = bytes / BW`, `T_math = FLOPs / peak`, and the step takes
`smooth_max(T_math, T_mem)` (temperature τ = 0.1; τ → 0 is the sharp roofline). We measure
what matters with **elasticities** `e_x = ∂ log y / ∂ log x`: a 1 % rise in `x` moves the
output `y` by `e_x` %. They come from `jax.grad` through the whole serving model.
"""),
    code(SETUP),
    md("## Elasticities of tokens/s per chip: H100, Llama-3-70B, FP8, B = 64, 2 chips"),
    code('''
h100, model = catalog.chip("nvidia_h100_sxm"), catalog.model("llama-3-70b")
eff = sensitivity.calibrated_efficiency("nvidia_h100_sxm")[0]
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
chip_e, w_e, perf = sensitivity.serving_elasticities(h100, model, w, eff)
k = sensitivity.METRICS.index("tokens_per_s_per_chip")
shown = ["peak_flops_fp8", "memory_bandwidth", "interconnect_bandwidth", "interconnect_latency", "price"]
el = pd.DataFrame(
    [{"record": "chip", "field": f, "elasticity": float(getattr(chip_e, f)[k])} for f in shown]
    + [{"record": "workload", "field": f, "elasticity": float(getattr(w_e, f)[k])} for f in ("batch", "input_tokens", "output_tokens")])
el = el.round(3)
el
'''),
    code('''
charts.elasticity_chart(el, "elasticity of tokens/s per chip")
'''),
    md("""
**Takeaway:** at B = 64 an H100 serving Llama-3-70B is bandwidth-bound: a 10 % rise in memory
bandwidth buys several times more tokens/s than a 10 % rise in FP8 FLOP/s (which helps mostly
by shortening prefill); per-step overheads and the interconnect take the rest.
"""),
    code('''
e = el.set_index("field")["elasticity"]
assert e["memory_bandwidth"] > 0.3
assert e["memory_bandwidth"] > 1.5 * abs(e["peak_flops_fp8"])
assert e["price"] == 0.0
'''),
    md("""
## Regime map over batch × prompt length

Colour: which resource binds the decode step. Number: `log10(e_BW / e_compute)` for tokens/s
per chip (positive: bandwidth matters more). Llama-3-8B on one H100, FP8, 256 output tokens,
sharp-ish roofline (τ = 0.02), bare roofline efficiencies so the physics is visible. Cells whose
batch does not fit in memory are left out.
"""),
    code('''
small = catalog.model("llama-3-8b")
batches = [1, 4, 16, 64, 256, 1024]
contexts = [128, 512, 2048, 8192, 32768]
rm = sensitivity.regime_map(h100, small, workload("fp8", output_tokens=256), Efficiency(temperature=0.02), batches, contexts)
cells = []
for i, b in enumerate(batches):
    for j, t in enumerate(contexts):
        if rm["fits"][i, j]:
            cells.append({"batch": b, "context": t, "resource": ("compute", "memory", "interconnect")[rm["bound"][i, j]],
                          "log10_ratio": round(float(np.log10(max(rm["ratio"][i, j], 1e-6))), 2) if rm["e_compute"][i, j] > 1e-6 else 6.0})
regime = pd.DataFrame(cells)
print(f"{len(regime)} of {len(batches) * len(contexts)} cells fit in memory")
'''),
    code('''
charts.regime_heatmap(regime)
'''),
    md("""
**Takeaway:** decode is memory-bound at small batch for every prompt length and turns
compute-bound only at batches of a few hundred with short contexts; long contexts push the
switch out, because each sequence's KV cache is read every step (the memory wall).
"""),
    code('''
cell = regime.set_index(["batch", "context"])
assert cell.loc[(1, 128), "resource"] == "memory" and cell.loc[(1, 128), "log10_ratio"] > 1
assert cell.loc[(1024, 128), "resource"] == "compute"
assert (cell.xs(32768, level="context")["resource"] == "memory").all()
'''),
    md("""
## Critical batch per chip and precision

`B* = peak · (bits/8) / (2 · BW)`: the batch at which streaming the weights takes as long as the
matmuls (scaling book). Pinned: TPU v5e in BF16 with the book's 1.97e14 FLOP/s and 8.2e11 B/s
gives ≈ 240; H100 (989 TFLOP/s, 3.35 TB/s) ≈ 295.
"""),
    code('''
cb = pd.DataFrame(sensitivity.critical_batch_table(precisions=("bf16", "fp8", "fp4")))
cb["name"] = [catalog.chip_info(c).get("name", c) for c in cb.chip_id]
cb_wide = cb.pivot(index="name", columns="precision", values="critical_batch").round(0)
v5e_book = catalog.chip("google_tpu_v5e")._replace(peak_flops_bf16=1.97e14, memory_bandwidth=8.2e11)
print(f"TPU v5e (book numbers) bf16: {sensitivity.critical_batch(v5e_book, 'bf16'):.0f}; "
      f"H100 bf16: {sensitivity.critical_batch(h100, 'bf16'):.0f}")
cb_wide
'''),
    code('''
charts.critical_batch_chart(cb.round(1))
'''),
    code('''
assert abs(sensitivity.critical_batch(v5e_book, "bf16") - 240) < 3
assert abs(sensitivity.critical_batch(h100, "bf16") - 295) < 3
assert cb.set_index("chip_id").loc["cerebras_wse3", "critical_batch"].max() < 10  # SRAM wafer: tiny B*
'''),
    md("""
## What the memory wall means, and how SRAM and compute-in-memory change it

In decode, every step re-reads the weights and the KV caches, so at the batches that keep
latency low the chip waits on memory: FLOP/s that cannot be fed are wasted. SRAM designs
(**Groq**, **Cerebras**) keep weights on-chip with 10–1000× the bandwidth of HBM, so their
critical batch is tiny and they are compute- or interconnect-bound — but a 70B model needs
hundreds of Groq chips or several wafers, so the interconnect and the price per chip decide.
**Fractile** proposes compute-in-memory; its row is a **scenario built from public claims**:
every number is an `estimate` with a wide range, and no silicon has been measured.
"""),
    code('''
sram = ["nvidia_h100_sxm", "groq_lpu_v1", "cerebras_wse3", "fractile_imc"]
w70 = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
from workbook.model import serving, sizing
rows = []
for c in sram:
    n = max(float(sizing.min_chips(catalog.chip(c), model, w70)), 1.0)
    ce, _, p = sensitivity.serving_elasticities(catalog.chip(c), model, w70._replace(chips=n),
                                                sensitivity.calibrated_efficiency(c)[0])
    rows.append({"chip": catalog.chip_info(c)["name"][:28], "chips/replica": int(n),
                 "bound": ("compute", "memory", "interconnect")[int(p.bound)],
                 "e_bandwidth": float(ce.memory_bandwidth[k]), "e_compute": float(sum(getattr(ce, f)[k] for f in sensitivity.PEAK_FIELDS)),
                 "e_interconnect_bw": float(ce.interconnect_bandwidth[k]), "usd_per_M": float(p.usd_per_million_tokens)})
sram_view = pd.DataFrame(rows).round(3)
sram_view
'''),
    code('''
assert sram_view.set_index("chip").iloc[0]["bound"] == "memory"
assert (sram_view["bound"].iloc[1:] == "interconnect").all()
assert sram_view["e_bandwidth"].iloc[1:].abs().max() < 0.05
'''),
    md("""
**Takeaway:** moving weights into SRAM removes the memory wall but not the cost: for a 70B model
spread over many small chips the interconnect binds, and bandwidth stops mattering at all.

## Uncertainty: Monte Carlo and tornado

Each uncertain catalog number is drawn log-uniformly between its low and high; the calibrated
efficiencies vary ±25 % (capped at 1). Reproducible: the key is fixed.
"""),
    code('''
w2 = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
mc = sensitivity.monte_carlo("nvidia_h100_sxm", model, w2, jax.random.key(0), n=512)
for m, unit in (("usd_per_million_tokens", "USD/M tokens"), ("tokens_per_s_per_chip", "tokens/s per chip")):
    q = mc[m]
    print(f"H100 {unit}: 5 % {q[5]:.3g}, median {q[50]:.3g}, 95 % {q[95]:.3g}")
tor = pd.DataFrame(sensitivity.tornado("nvidia_h100_sxm", model, w2))
tor_view = tor[["input", "kind", "low", "high", "output_low", "output_high", "swing"]].round(4)
tor_view
'''),
    code('''
charts.tornado_chart(tor.round(4), float(tor.central.iloc[0]), "USD per million tokens, H100")
'''),
    code('''
q = mc["usd_per_million_tokens"]
assert q[5] < q[50] < q[95]
assert tor.iloc[0]["input"] == "price"
'''),
    md("""
**Takeaway:** for an H100 the rental price is the largest single uncertainty in $/M tokens,
ahead of any efficiency or hardware number.

## Inverse design

*What memory bandwidth would an H100 need to match an H200's tokens/s per chip on this workload?*
The H200 has the H100's compute and more, faster memory, so the answer should be close to the
H200's 4.8 TB/s. We solve `tokens/s(H100 with BW = x) = tokens/s(H200)` by bisection in log
space (60 steps, compiled), differentiable by the implicit function theorem.
"""),
    code('''
ans = sensitivity.match_chip("memory_bandwidth", "nvidia_h100_sxm", "nvidia_h200_sxm", model, w2, metric="tokens_per_s_per_chip")
h200_bw = catalog.chip("nvidia_h200_sxm").memory_bandwidth
print(f"H100 would need {ans['value'] / 1e12:.2f} TB/s (has {ans['current'] / 1e12:.2f}; H200 has {h200_bw / 1e12:.2f})")
# the question has no answer when compute binds: prompt-heavy work at a large batch
try:
    sensitivity.match_chip("memory_bandwidth", "nvidia_h100_sxm", "nvidia_b200_hgx", model,
                           workload("fp8", batch=256, input_tokens=4096, output_tokens=64, chips=2), metric="tokens_per_s_per_chip")
except InputError as exc:
    print(f"No answer: {exc}")
'''),
    code('''
assert abs(ans["value"] / h200_bw - 1) < 0.05
'''),
    md("""
**Takeaway:** the H100-to-H200 gap on decode is almost entirely bandwidth: matching it needs
≈ 4.8 TB/s, the H200's figure.

## Explore

Pick a chip, a model, a batch and a context; the bars are the elasticities of the chosen output.
"""),
    widget_cell('''
panel = panels.SensitivityPanel()
display(panel.widget)
'''),
    md("""
## Exercises

1. At what batch does the compute elasticity of an H100 serving Llama-3-8B (FP8, 512-token
   prompts, one chip) overtake the bandwidth elasticity?
2. What H100 rental price would match the MI300X's $/M tokens on the workload above?
"""),
    solution('''
j = contexts.index(512)
flip = next((b for b, r in zip(batches, rm["ratio"][:, j]) if r < 1), None)
print(f"compute overtakes bandwidth at B = {flip} (grid {batches})")
'''),
    solution('''
w_mi = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
p = sensitivity.match_chip("price", "nvidia_h100_sxm", "amd_mi300x", model, w_mi)
print(f"H100 at {p['value']:.2f} USD/h (now {p['current']:.2f}) matches MI300X's {p['target']:.3f} USD/M tokens")
'''),
]


def write(name, cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / name
    nbformat.write(nb, path)
    print(path)


if __name__ == "__main__":
    write("00_start_here.ipynb", NB00)
    write("01_chips_and_rooflines.ipynb", NB01)
    write("02_bandwidth_vs_compute.ipynb", NB02)
