# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Bandwidth versus compute
#
# **Question.** For serving a given model, is a chip's memory bandwidth or its compute worth
# more — and when does that flip?
#
# **After this notebook you can**
#
# 1. read an elasticity (`ε_x = ∂ log y / ∂ log x`: a 1 % rise in `x` moves the output `y` by
#    `ε_x` %) and get one from `jax.grad`;
# 2. split the time of a decode step into compute, memory, interconnect and overhead;
# 3. find the batch and prompt length at which compute starts to matter more than bandwidth;
# 4. compute a chip's critical batch, and explain why SRAM chips move the memory wall;
# 5. put error bars on a cost (Monte Carlo, tornado) and ask which spec would match another chip.
#
# *Time: 60–75 minutes. Prerequisites: notebook 01 (rooflines); the symbols are in the
# [glossary](GLOSSARY.md).*

# %%
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import altair as alt
import ipywidgets as widgets
from IPython.display import display

from workbook import analysis, calibration, catalog
from workbook.errors import InputError
from workbook.model import deployment
from workbook.model.serving import RESOURCES
from workbook.specs import Efficiency, workload
from workbook.ui import SensitivityPanel, charts, memory

alt.renderers.enable("svg")        # static charts: offline, deterministic
charts.enable_offline()            # interactive charts: the Vega bundle is inlined (cached on disk), no CDN
pd.set_option("display.width", 120)

# %% [markdown]
# ## Elasticities of tokens/s per chip: H100, Llama-3-70B, FP8, B = 64, 2 chips
#
# A decode step of batch B moves the weights plus B KV caches and does about `2 · P · B`
# FLOPs (`P` parameters): `t_mem = bytes / BW`, `t_math = FLOPs / peak`, and the step takes
# `smooth_max(t_math, t_mem)` with an overlap temperature τ: τ → 0 is the sharp roofline (the
# max of the two), τ = 1 their sum. The calibration fits τ on chips that differ in one resource
# (printed below): a step is many kernels, each bound by a different resource, so in aggregate
# math and memory traffic overlap only partly. The elasticities below are of output tokens/s
# per chip over a whole request (prefill and decode), from `jax.grad` through the whole serving
# model.

# %%
h100, model = catalog.chip("nvidia_h100_sxm"), catalog.model("llama-3-70b")
eff = analysis.calibrated_efficiency("nvidia_h100_sxm")[0]
w = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
chip_e, w_e, perf = analysis.serving_elasticities(h100, model, w, eff)
print(f"calibrated overlap temperature: {float(eff.temperature):.2f}")
k = analysis.METRICS.index("tokens_per_s_per_chip")
shown = ["peak_flops_fp8", "memory_bandwidth", "interconnect_bandwidth", "interconnect_latency", "price"]
el = pd.DataFrame(
    [{"record": "chip", "field": f, "elasticity": float(getattr(chip_e, f)[k])} for f in shown]
    + [{"record": "chip", "field": "peak compute (every precision)",
        "elasticity": float(analysis.compute_elasticity(chip_e)[k])}]
    + [{"record": "workload", "field": f, "elasticity": float(getattr(w_e, f)[k])} for f in ("batch", "input_tokens", "output_tokens")])
el = el.round(3)
e64 = el.set_index("field")["elasticity"]
bw_over_compute = e64["memory_bandwidth"] / abs(e64["peak compute (every precision)"])
el

# %%
charts.elasticity_chart(
    el, "elasticity of tokens/s per chip (% per %)",
    finding=f"At B = 64 on 2 H100s, memory bandwidth buys {bw_over_compute:.2f}x what peak compute buys: the two are close")

# %% [markdown]
# **Where it flips.** The same elasticities over the batch (same chips, prompt and output):
# bandwidth leads at small batches; compute catches up as each weight read serves more tokens.

# %%
flip_batches = np.array([1, 8, 16, 32, 48, 64, 96, 128, 192, 256])
flip_rows = []
for b in flip_batches:  # the same compiled function as above: no new compilation, no new memory
    ce_b, _, p_b = analysis.serving_elasticities(h100, model, w._replace(batch=float(b)), eff)
    flip_rows.append({"batch": int(b), "e_bandwidth": float(ce_b.memory_bandwidth[k]),
                      "e_compute": float(analysis.compute_elasticity(ce_b)[k]), "fits": float(p_b.fits) > 0.5})
flip = pd.DataFrame(flip_rows)
flip = flip[flip.fits].drop(columns="fits").round(3)
compute_leads = flip[flip.e_compute > flip.e_bandwidth]
flip_at = int(compute_leads.batch.min()) if len(compute_leads) else None
bandwidth_up_to = int(flip[flip.e_bandwidth > flip.e_compute].batch.max())
print(f"bandwidth matters more up to B = {bandwidth_up_to}; "
      + (f"compute matters more from B = {flip_at} (grid {list(flip.batch)})" if flip_at else "compute never leads on this grid"))
flip

# %% [markdown]
# **Takeaway:** at B = 64 an H100 pair serving Llama-3-70B with 2,048-token prompts sits at the
# flip: 10 % more memory bandwidth and 10 % more peak FLOP/s at every precision buy about the same
# tokens/s (the chart's title gives the ratio), because each request's long prefill is
# compute-bound while its 512 decode steps are bandwidth-bound. The FP8 rate on its own barely
# matters: in the model the power cap (91 % of the FP8 peak, an estimate) bounds 8-bit math on an
# H100, so the compute elasticity sits on the BF16 rate that sets the cap; the interconnect and
# per-step overheads take the rest.
# **Where it stops:** bandwidth leads clearly at small batches and compute at large ones; on 2
# chips with 2,048-token prompts the crossing is between the two batches printed above. Notebook
# 01's roofline said the same in FLOP/byte.

# %% [markdown]
# ## Where the time of one decode step goes
#
# One user, no batching: Llama-3.1-70B in BF16 on 8 H100s (tensor parallel), 1,024 prompt and
# 128 output tokens. A decode step reads every weight once (`t_mem`), does `2 · P` FLOPs
# (`t_math`), all-reduces the activations twice per layer (`t_comms`: a few KB each, so the
# fixed latency of each collective dominates) and pays for kernel launches and scheduling
# (`t_overhead`: ~6 kernels per layer at the fitted time per kernel). The step takes
# `smooth_max(t_math, t_mem) + t_comms + t_overhead`, so the **bandwidth elasticity is the
# share of the step spent streaming memory**.

# %%
model31 = catalog.model("llama-3.1-70b")
w1 = workload("bf16", batch=1, input_tokens=1024, output_tokens=128, chips=8)
name1, d1, p1 = deployment.best_deployment(h100, model31, w1, eff)
ce1, _, _ = analysis.serving_elasticities(h100, model31, w1, eff)
parts = pd.DataFrame({
    "part": ["compute", "memory", "interconnect", "overhead"],
    "ms": [1e3 * float(getattr(p1, f)) for f in ("decode_compute_time", "decode_memory_time",
                                                "decode_interconnect_time", "decode_overhead_time")]}).round(3)
e_bw1 = float(ce1.memory_bandwidth[k])
share = parts.set_index("part")["ms"]
memory_share = share["memory"] / share.sum()
print(f"layout {name1} {deployment.as_dict(d1)}; time per output token {1e3 * float(p1.tpot):.2f} ms; "
      f"memory's share of the step {memory_share:.2f}; elasticity of tokens/s to memory bandwidth {e_bw1:.2f}, "
      f"to compute {float(analysis.compute_elasticity(ce1)[k]):.3f}, to interconnect bandwidth {float(ce1.interconnect_bandwidth[k]):.3f}")
parts

# %% [markdown]
# **Takeaway:** the bandwidth elasticity is memory's share of the step (both printed above).
# Streaming the weights is the largest single part, and compute does not matter at all; but the
# calibrated software factors (microseconds per kernel, scheduling per step, and the latency of
# 160 small all-reduces) take the rest of the step, so a 10 % faster memory makes tokens come
# faster by only that share of 10 % (memory's share × 10 %). How large the software factors
# are is a calibration result (README, "How good are the numbers?"): when a refit moves them,
# the printed share moves with them, and the check below still holds the elasticity to it.

# %% [markdown]
# ## Regime map over batch × prompt length
#
# Colour **and** number: `log10(ε_BW / ε_compute)`, the ratio of the two elasticities of tokens/s
# per chip over a whole request — positive (orange) where memory bandwidth matters more,
# negative (purple) where compute does. Values beyond ±2 (a factor of 100) are clipped and
# printed as `≥2.0` / `≤-2.0`; where compute does not matter at all the ratio is infinite and
# shows as `≥2.0`. Llama-3-8B on one H100, FP8, 256 output tokens, sharp-ish roofline
# (τ = 0.02), bare roofline efficiencies so the physics is visible. Cells whose batch does not
# fit in memory are left out; the tooltip names the resource that binds the decode step.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
small = catalog.model("llama-3-8b")
batches = [1, 4, 16, 64, 256, 1024]
contexts = [128, 512, 2048, 8192, 32768]
rm = analysis.regime_map(h100, small, workload("fp8", output_tokens=256), Efficiency(temperature=0.02), batches, contexts)
cells = []
for i, b in enumerate(batches):
    for j, t in enumerate(contexts):
        if rm["fits"][i, j]:
            ratio = rm["e_bandwidth"][i, j] / max(rm["e_compute"][i, j], 1e-12)  # e_compute = 0: bandwidth is all
            cells.append({"batch": b, "context": t, "resource": RESOURCES[rm["bound"][i, j]],
                          "log10_ratio": round(float(np.log10(np.clip(ratio, 1e-6, 1e6))), 2)})
regime = pd.DataFrame(cells)
print(f"{len(regime)} of {len(batches) * len(contexts)} cells fit in memory")

# %%
regime["prompt_tokens_per_batch"] = regime.batch * regime.context  # B·T
decode_memory_bound = (regime.resource == "memory").mean()
print(f"decode step memory-bound in {100 * decode_memory_bound:.0f} % of the cells; "
      f"bandwidth matters more in every cell with B·T <= 16,384: "
      f"{bool((regime[regime.prompt_tokens_per_batch <= 16384].log10_ratio > 0).all())}, and at 32,768 below B = 256: "
      f"{bool((regime[(regime.prompt_tokens_per_batch == 32768) & (regime.batch < 256)].log10_ratio > 0).all())}; "
      f"compute in every cell with B·T >= 262,144: {bool((regime[regime.prompt_tokens_per_batch >= 262144].log10_ratio < 0).all())}")

# %%
charts.regime_heatmap(regime, finding="Over a whole request, compute matters more once a batch carries ~100k prompt "
                      "tokens, or its batch nears the critical batch")

# %% [markdown]
# **Takeaway:** over a whole request, what decides is the number of prompt tokens a batch
# carries, `B·T`: bandwidth matters more while `B·T` stays at or below about 16k tokens
# (upper left) — and at 32k too, unless the batch itself reaches the critical batch (B = 256
# here, where the decode step's own matmuls are near the ridge) — compute matters more from
# about 260k (lower right), and around 130k it depends on the split. Prefill does `2 · P` FLOPs per prompt token and is compute-bound, so long
# prompts make it the bulk of a request's time. The decode step alone tells another story (the
# tooltip): it is memory-bound in almost every cell — the memory wall, since each sequence's KV
# cache is read every step — and turns compute-bound only at B = 1,024 with 128-token prompts.
# So the answer to "bandwidth or compute?" depends on the workload's mix of prompt and output
# tokens, not on the chip alone.

# %% [markdown]
# ## Critical batch per chip and precision
#
# `B* = peak · (bits/8) / (2 · BW)`: the batch at which streaming the weights takes as long as the
# matmuls (scaling book). Pinned: TPU v5e in BF16 with the book's 1.97e14 FLOP/s and 8.2e11 B/s
# gives ≈ 240; H100 (989 TFLOP/s, 3.35 TB/s) ≈ 295 — both printed below.

# %%
cb = pd.DataFrame(analysis.critical_batch_table(precisions=("bf16", "fp8", "fp4")))
cb["name"] = [catalog.chip_info(c).get("name", c) for c in cb.chip_id]
cb_wide = cb.pivot(index="name", columns="precision", values="critical_batch").round(0)
v5e_book = catalog.chip("google_tpu_v5e")._replace(peak_flops_bf16=1.97e14, memory_bandwidth=8.2e11)
print(f"TPU v5e (book numbers) bf16: {analysis.critical_batch(v5e_book, 'bf16'):.0f}; "
      f"H100 bf16: {analysis.critical_batch(h100, 'bf16'):.0f}")
cb_wide

# %%
charts.critical_batch_chart(
    cb.round(1), finding="Chips with off-chip memory turn compute-bound at tens to ~1,000 sequences; SRAM chips at a few")

# %% [markdown]
# ## What the memory wall means, and how SRAM and compute-in-memory change it
#
# In decode, every step re-reads the weights and the KV caches, so at the batches that keep
# latency low the chip waits on memory: FLOP/s that cannot be fed are wasted. SRAM designs
# (**Groq**, **Cerebras**) keep weights on-chip with 10–1000× the bandwidth of HBM, so their
# critical batch is tiny and they are compute- or interconnect-bound — but a 70B model needs
# hundreds of Groq chips or several wafers, so the interconnect and the price per chip decide.
# **Fractile** proposes compute-in-memory; its row is a **scenario built from public claims**:
# every number is an `estimate` with a wide range, and no silicon has been measured.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
sram = ["nvidia_h100_sxm", "groq_lpu_v1", "cerebras_wse3", "fractile_imc"]
w70 = workload("fp8", batch=64, input_tokens=2048, output_tokens=512)
rows, layouts = [], {}
for c in sram:
    e_c = analysis.calibrated_efficiency(c)[0]
    g, name, d, _ = deployment.fewest_chips(catalog.chip(c), model, w70, e_c)
    layouts[c] = (g, d)
    ce, _, p = analysis.serving_elasticities(catalog.chip(c), model, w70._replace(chips=g), e_c, d)
    rows.append({"chip": catalog.chip_info(c)["name"], "chips/replica": g, "layout": name,
                 "bound": RESOURCES[int(p.bound)],
                 "e_bandwidth": float(ce.memory_bandwidth[k]), "e_compute": float(analysis.compute_elasticity(ce)[k]),
                 "e_interconnect_bw": float(ce.interconnect_bandwidth[k]),
                 "e_link_latency": float(ce.interconnect_latency[k]), "usd_per_M": float(p.usd_per_million_tokens)})
sram_view = pd.DataFrame(rows).round(3)
sram_view

# %% [markdown]
# **Takeaway:** moving weights into SRAM removes the memory wall but not the cost: a 70B model
# spread over many small chips (in pipeline stages, each a tensor-parallel group) waits on the
# latency of the links between them and on compute, and memory bandwidth matters far less than on
# an H100.
#
# ### What would Fractile's claim need?
#
# Fractile claims "100× faster than an H100 (decode tokens/s) at one tenth of the system cost"
# on Llama-2-70B (company claims, 2024–2025). By inverse design: on the scenario chip, which
# memory bandwidth per chip — or which link latency — would make one user's tokens come 100×
# faster than on 8 H100s (FP8, batch 1)? The answers are requirements, not predictions.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
llama2 = catalog.model("llama-2-70b")
w_claim = workload("fp8", batch=1, input_tokens=1024, output_tokens=256)
frac, e_f = catalog.chip("fractile_imc"), analysis.calibrated_efficiency("fractile_imc")[0]
g_f, layout_f, d_f, p_f = deployment.fewest_chips(frac, llama2, w_claim, e_f)
_, d_h, p_h = deployment.best_deployment(h100, llama2, w_claim._replace(chips=8), eff)
speedup = float(p_h.tpot / p_f.tpot)
print(f"scenario as catalogued: {g_f} chips ({layout_f}, {deployment.as_dict(d_f)}), "
      f"{speedup:.1f}x an H100 server per user; $/M tokens {float(p_f.usd_per_million_tokens):.3g} "
      f"vs H100 {float(p_h.usd_per_million_tokens):.3g}")
needs = {}
for field in ("memory_bandwidth", "interconnect_latency"):
    try:
        ans = analysis.match_value(field, frac, h100, llama2, w_claim._replace(chips=g_f), e_f, eff, metric="tpot",
                                   deployment_x=d_f, deployment_y=d_h, target_scale=0.01,
                                   names=("Fractile scenario", "H100 x 8 / 100"))
        needs[field] = ans
        print(f"100x needs {field} = {ans['value']:.3g} (scenario {ans['current']:.3g}, x{ans['ratio']:.2g})")
    except InputError as exc:
        needs[field] = None
        print(f"100x is out of reach by {field} alone: {exc}")

# %% [markdown]
# **Takeaway:** as catalogued, the scenario is faster per user than an H100 server by the factor
# printed above — nowhere near 100× — and no single number gets it there: with unlimited memory bandwidth the latency of
# the hops between its chips binds, and with instant links the memory does. The claim needs a
# faster memory *and* a faster interconnect together — and Fractile has not described its
# interconnect. Its cost per token, on the other hand, is far below the H100's at these
# (estimated) prices.
#
# ## Uncertainty: Monte Carlo and tornado
#
# Each uncertain catalog number is drawn log-uniformly between its low and high; the
# efficiencies are drawn from the calibration's posterior for the chip's family where the
# calibration has one, else ±25 % around the calibrated values, capped at 1 (the cell prints
# which). Reproducible: the key is fixed. The **headline** is the cost with every number at its
# catalog value and the efficiencies at their fitted values; the Monte Carlo **median** is the
# middle of the 512 draws, and the two differ (printed below) for three reasons: a catalog value
# need not sit at the geometric middle of its range (a price quoted near the low end of the
# market, say), the efficiency draws are not centred on the fitted values (capped at 1, or
# skewed posteriors), and cost is a non-linear function (one over a throughput) of the draws,
# so a symmetric spread in the inputs is not a symmetric spread in the cost.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
w2 = workload("fp8", batch=64, input_tokens=2048, output_tokens=512, chips=2)
mc = analysis.monte_carlo("nvidia_h100_sxm", model, w2, jax.random.key(0), n=512)
tor = pd.DataFrame(analysis.tornado("nvidia_h100_sxm", model, w2))
headline = float(tor.central.iloc[0])
for m, unit in (("usd_per_million_tokens", "USD/M tokens"), ("tokens_per_s_per_chip", "tokens/s per chip")):
    q = mc[m]
    print(f"H100 {unit}: 5 % {q[5]:.3g}, median {q[50]:.3g}, 95 % {q[95]:.3g}")
lo_chip, mid_chip, hi_chip = analysis.chip_ranges("nvidia_h100_sxm")
price_mid = float(np.sqrt(lo_chip.price * hi_chip.price))
median_usd = mc["usd_per_million_tokens"][50]
print(f"headline (catalog values) {headline:.3g} USD/M tokens; Monte Carlo median {median_usd:.3g} "
      f"({100 * (median_usd / headline - 1):+.0f} %); H100 price: catalog {mid_chip.price:.2f}, range "
      f"{lo_chip.price:.2f}-{hi_chip.price:.2f} USD/h, geometric middle {price_mid:.2f}; "
      f"efficiencies drawn from: {mc.get('efficiency_source', 'spread')}")
tor_view = tor[["input", "kind", "low", "high", "output_low", "output_high", "swing"]].round(4)
tor_view

# %%
charts.tornado_chart(tor.round(4), headline, "USD per million tokens, H100 (black rule: headline)",
                     finding=f"{tor.iloc[0]['input'].capitalize()} is the largest uncertainty in an H100's $/M tokens")

# %% [markdown]
# **Takeaway:** for an H100 the rental price is the largest single uncertainty in $/M tokens,
# ahead of any efficiency or hardware number, and the 90 % interval of the draws holds the
# headline; the median differs from it by the percentage printed above, for the reasons given.
#
# ## Inverse design
#
# *What memory bandwidth would an H100 need to match an H200's tokens/s per chip on this workload?*
# The H200 has the H100's compute and more, faster memory, so the answer should be close to the
# H200's 4.8 TB/s. We solve `tokens/s(H100 with BW = x) = tokens/s(H200)` by bisection in log
# space (60 steps, compiled), differentiable by the implicit function theorem.

# %%
ans = analysis.match_chip("memory_bandwidth", "nvidia_h100_sxm", "nvidia_h200_sxm", model, w2, metric="tokens_per_s_per_chip")
h200_bw = catalog.chip("nvidia_h200_sxm").memory_bandwidth
print(f"H100 would need {ans['value'] / 1e12:.2f} TB/s (has {ans['current'] / 1e12:.2f}; H200 has {h200_bw / 1e12:.2f})")
# the question has no answer when compute binds: prompt-heavy work at a large batch
try:
    analysis.match_chip("memory_bandwidth", "nvidia_h100_sxm", "nvidia_b200_hgx", model,
                           workload("fp8", batch=256, input_tokens=4096, output_tokens=64, chips=2), metric="tokens_per_s_per_chip")
except InputError as exc:
    print(f"No answer: {exc}")

# %% [markdown]
# **Takeaway:** the H100-to-H200 gap on decode is almost entirely bandwidth: matching it needs
# ≈ 4.8 TB/s, the H200's figure.
#
# ## Does the model get bandwidth right? Chips measured in pairs
#
# An elasticity is a claim about a *ratio*. The direct test: chips measured in the same MLPerf
# round on the same benchmark that differ mainly in one resource (H100 → H200: same compute,
# 1.43× bandwidth, 1.76× capacity; MI300X → MI325X: same compute, 1.13× bandwidth; B200 →
# GB200: the same GPU in a 72-GPU NVLink domain). Both chips are predicted with the same fitted
# factors (`workbook/calibration/pairs.py`); the table is the offline rows.

# %%
pairs_df = pd.DataFrame(calibration.calibration()["pairs"])
pair_offline = pairs_df[pairs_df.scenario == "offline"][
    ["a", "b", "benchmark", "model", "measured_ratio", "predicted_ratio", "error"]].reset_index(drop=True)
pair_summary = calibration.calibration()["pairs_summary"]
print(f"all {pair_summary['n']} groups: median |error| of the ratio {100 * pair_summary['median_abs_error']:.1f} %, "
      f"{100 * pair_summary['within_10pct']:.0f} % within 10 %")
pair_offline

# %% [markdown]
# **Takeaway:** the model gives every pair its direction — the chip with more bandwidth or a
# larger domain is never predicted slower — and most of H200's gain over H100, but it
# under-predicts what bandwidth buys on AMD (MI325X's measured 22–29 % comes out at 2–3 %), and
# the same H100 → H200 pair measured 1.32 in one round and 1.12 in another. The error of a
# ratio, not of a single row, is how far to trust an elasticity printed above.
#
# GB200 → GB300 (Blackwell Ultra) is the one pair that moves compute alone: 1.5× the FP4 rate
# and twice the softmax exponentials at the same 8 TB/s.

# %%
gb300 = pairs_df[(pairs_df.b == "nvidia_gb300")][
    ["model", "scenario", "measured_ratio", "predicted_ratio", "error"]].reset_index(drop=True)
gb300

# %% [markdown]
# **Takeaway:** on Llama-3.1-405B the model's compute sensitivity is close (offline measured
# 1.06, predicted 1.13), but on DeepSeek-R1 the GB300 measured 1.47× the GB200 offline and the
# model gives it 1.22×. Part of that is memory, not compute: with outputs of about 3,900 tokens,
# a KV cache sized by each sequence's held context (what paged runtimes allocate) lets the
# GB300's 288 GB keep more sequences in flight than the GB200's 186 GB; sized by the final
# length, as the model did before, the pair came out 1.10×. The rest is missed: in the model,
# DeepSeek-R1's decode is dominated by MLA attention at FP8, which Blackwell Ultra does not
# speed up, and the model has no softmax-exponential term (Blackwell Ultra doubles those), so
# the remaining gap is a known miss, not a fitted one.
#
# ## Same hardware, two rounds: what software alone moves
#
# The converse test: the same chips, model, scenario and precision measured in two MLPerf
# rounds. Only the software (and the submitter's tuning) changed, so the model predicts a ratio of 1
# where both rounds run the same layout (documented alike, or tuned in both). Where one round's
# submission code documents a layout and the other round's was not read (so it is tuned), the
# model predicts what that layout is worth: 8 H100s on Llama-2-70B ran as four TP2 replicas in
# v4.1, with an all-reduce over NVLink in every layer, and 8 H200s ran Llama-2-70B interactive on
# one GPU per replica in v5.1.

# %%
rounds = pd.DataFrame(calibration.calibration()["round_ratios"])
rounds_offline = rounds[rounds.scenario == "offline"][
    ["chip", "accelerators", "model", "old", "new", "measured_ratio", "predicted_ratio"]].reset_index(drop=True)
floor = calibration.calibration()["round_summary"]["floor"]
print(f"{floor['rows']} rows of systems measured in two or more rounds; each predicted by its own system's "
      f"median (the best a model of specs and lengths could do): MdAPE {floor['mdape']} %, mean {floor['mean_ape']} %")
rounds_offline

# %% [markdown]
# **Takeaway:** software and tuning alone moved the same hardware by up to half again between
# rounds (16 and 32 H100s on Llama-2-70B, v4.1 → v5.1), while the model, which sees specs, workload lengths
# and documented layouts and token budgets, predicts 1.00 for every system that runs the same
# layout and budget in both rounds, and between 0.93 and 1.13 where a documented one differs from
# the tuned or default one (the H100s' TP2 replicas: 1.13 offline against 1.29–1.51 measured, 1.08
# server against 1.43–1.49; the H200s' one-GPU interactive replicas: 0.93 against 1.05; the H200
# Mixtral servers, whose v5.1 configs give each iteration 8,192 tokens against the 2,048 default:
# 1.09 against 1.06). That drift is not what limits the fit, though: each
# of these systems' rows predicted by the median of its own system shape — the best any model of
# specs and lengths could do — is off by about 1 % (median), because most of a system's rows
# come from one round. The remaining error is the model's.
#
# ## Explore
#
# Pick a chip, a model, a batch and a context; the bars are the elasticities of the chosen output.

# %% tags=["nbval-ignore-output"]
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
panel = SensitivityPanel()
display(panel.widget)

# %% [markdown]
# ## Exercises
#
# 1. At what batch does the compute elasticity of an H100 serving Llama-3-8B (FP8, 512-token
#    prompts, one chip) overtake the bandwidth elasticity?
# 2. What H100 rental price would match the MI300X's $/M tokens on notebook 01's workload
#    (Llama-3-70B, FP8, B = 64, 2,048-token prompts, 512 output tokens, each chip on the fewest
#    chips per replica that hold it)? Hint: notebook 01's exercise 2 showed that $/M tokens is
#    proportional to the price.

# %% tags=["solution"]
j = contexts.index(512)
flip8 = next((b for b, r in zip(batches, rm["ratio"][:, j]) if r < 1), None)
print(f"compute overtakes bandwidth at B = {flip8} (grid {batches})")

# %% tags=["solution"]
pair = ["nvidia_h100_sxm", "amd_mi300x"]
r01 = analysis.compare_chips(pair, model, workload("fp8", batch=64, input_tokens=2048, output_tokens=512))
usd_h, usd_mi = (float(x) for x in r01["usd_per_million_tokens"])
price_h = h100.price * usd_mi / usd_h  # cost per token is proportional to the price per chip-hour
print(f"H100 x{int(r01['chips'][0])}: {usd_h:.3f} USD/M tokens at {h100.price:.2f} USD/h; "
      f"MI300X x{int(r01['chips'][1])}: {usd_mi:.3f}. The H100 matches at {price_h:.2f} USD/h")

# %% [markdown]
# ## Checks
#
# The claims above, asserted (folded; `pytest --nbval` fails when one stops being true).

# %% tags=["checks"]
# elasticities at B = 64 on 2 chips, and where they flip
assert e64["memory_bandwidth"] > 0.3
assert 0.8 < bw_over_compute < 1.25 and abs(e64["peak compute (every precision)"]) >= abs(e64["peak_flops_fp8"])  # "about the same"
assert abs(e64["peak_flops_fp8"]) < 0.1 * e64["memory_bandwidth"]  # "the FP8 rate on its own barely matters"
assert e64["price"] == 0.0
assert 32 <= bandwidth_up_to < flip_batches.max() and flip_at is not None and flip_at > bandwidth_up_to
assert flip.e_bandwidth.iloc[0] > 10 * flip.e_compute.iloc[0] and flip.e_compute.iloc[-1] > flip.e_bandwidth.iloc[-1]  # "clearly"
assert abs(flip_at - 64) <= 32  # the crossing is near B = 64
# where the time of a decode step goes
assert share["memory"] == share.max() and share["compute"] < 0.01 * share.sum()
assert abs(e_bw1 - memory_share) < 0.08  # elasticity ~ memory's share of the step
assert 0.3 < e_bw1 < 0.9
# regime map (colour and number are one quantity): B·T decides over a whole request
few, many = regime.prompt_tokens_per_batch <= 16384, regime.prompt_tokens_per_batch >= 262144
assert few.sum() >= 8 and (regime[few].log10_ratio > 0).all()
at32k = regime[regime.prompt_tokens_per_batch == 32768]
assert (at32k[at32k.batch < 256].log10_ratio > 0).all() and (at32k[at32k.batch >= 256].log10_ratio < 0).all()
assert many.sum() >= 3 and (regime[many].log10_ratio < 0).all()
cell = regime.set_index(["batch", "context"])
assert cell.loc[(1024, 128), "resource"] == "compute" and decode_memory_bound > 0.9  # decode alone: memory wall
# critical batch, pinned to the scaling book
assert abs(analysis.critical_batch(v5e_book, "bf16") - 240) < 3
assert abs(analysis.critical_batch(h100, "bf16") - 295) < 3
assert cb.set_index("chip_id").loc["cerebras_wse3", "critical_batch"].max() < 10  # SRAM wafer: tiny B*
assert cb.set_index("chip_id").loc["groq_lpu_v1", "critical_batch"].max() < 10
off_chip = cb[~cb.chip_id.isin(["groq_lpu_v1", "cerebras_wse3", "fractile_imc"])].critical_batch
assert 10 <= off_chip.min() and off_chip.max() <= 2000  # "tens to ~1,000"
# SRAM designs
assert sram_view.set_index("chip").iloc[0]["bound"] == "memory"
assert sram_view["e_bandwidth"].iloc[1:].abs().max() < sram_view["e_bandwidth"].iloc[0]
# Fractile's claim
assert 1 < speedup < 100
assert needs["memory_bandwidth"] is None and needs["interconnect_latency"] is None
assert float(p_f.usd_per_million_tokens) < 0.1 * float(p_h.usd_per_million_tokens)
# uncertainty: the median is not the headline, price leads the tornado
q = mc["usd_per_million_tokens"]
assert q[5] < q[50] < q[95] and q[5] < headline < q[95]
assert tor.iloc[0]["input"] == "price"
# inverse design
assert abs(ans["value"] / h200_bw - 1) < 0.05
# chip pairs: direction always right; AMD under-predicted
assert (pair_offline.predicted_ratio >= 0.98).all()
amd = pair_offline[pair_offline.a == "amd_mi300x"]
assert len(amd) and (amd.predicted_ratio < amd.measured_ratio).all() and amd.predicted_ratio.between(1.015, 1.035).all()  # "2–3 %"
assert amd.measured_ratio.between(1.215, 1.295).all()
h = pair_offline[(pair_offline.a == "nvidia_h100_sxm") & pair_offline.model.eq("llama-2-70b")]
assert h.measured_ratio.max() - h.measured_ratio.min() > 0.15
# the compute-only pair: close on Llama-3.1-405B, DeepSeek-R1's GB300 gain missed
g405 = gb300[(gb300.model == "llama-3.1-405b") & (gb300.scenario == "offline")].iloc[0]
gds = gb300[(gb300.model == "deepseek-r1") & (gb300.scenario == "offline")].iloc[0]
assert abs(g405.error) < 0.15 and gds.measured_ratio > 1.4 and 1.2 < gds.predicted_ratio < gds.measured_ratio
assert round(g405.measured_ratio, 2) == 1.06 and round(g405.predicted_ratio, 2) == 1.13  # the text's figures
assert round(gds.measured_ratio, 2) == 1.47 and abs(gds.predicted_ratio - 1.22) < 0.01
# software drift: same hardware, two rounds; the model predicts 1 where both rounds are tuned
h100_l2 = (rounds.chip == "nvidia_h100_sxm") & (rounds.model == "llama-2-70b") & (rounds.old == "v4.1")
h200_int = (rounds.chip == "nvidia_h200_sxm") & (rounds.model == "llama-2-70b") & (rounds.scenario == "interactive")
h200_mix = (rounds.chip == "nvidia_h200_sxm") & (rounds.model == "mixtral-8x7b") & (rounds.scenario == "server")
assert (rounds[~(h100_l2 | h200_int | h200_mix)].predicted_ratio - 1).abs().max() < 0.01  # "1.00"
assert rounds[h100_l2 | h200_int | h200_mix].predicted_ratio.between(0.925, 1.135).all()  # "between 0.93 and 1.13"
h100_srv = rounds[h100_l2 & (rounds.scenario == "server")]
assert (h100_srv.predicted_ratio.round(2) == 1.08).all() and h100_srv.measured_ratio.between(1.425, 1.495).all()
assert round(rounds[h200_int].predicted_ratio.iloc[0], 2) == 0.93 and round(rounds[h200_int].measured_ratio.iloc[0], 2) == 1.05
assert round(rounds[h200_mix].predicted_ratio.iloc[0], 2) == 1.09 and round(rounds[h200_mix].measured_ratio.iloc[0], 2) == 1.06
h100_off = rounds_offline[(rounds_offline.chip == "nvidia_h100_sxm") & (rounds_offline.model == "llama-2-70b")]
assert (h100_off.predicted_ratio.round(2) == 1.13).all() and (h100_off.measured_ratio.between(1.29, 1.51)).all()
h100 = rounds_offline[(rounds_offline.chip == "nvidia_h100_sxm") & (rounds_offline.model == "llama-2-70b")]
assert rounds_offline.measured_ratio.max() >= 1.45 and h100.measured_ratio.max() >= 1.45
assert floor["rows"] > 100 and floor["mdape"] < 5
# exercise 2 matches notebook 01's workload: each chip on its fewest chips
assert int(r01["chips"][0]) == 2 and int(r01["chips"][1]) == 1
