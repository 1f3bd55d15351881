# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Serving under latency targets: the throughput–interactivity frontier
#
# **Question.** A chip can serve many users slowly or a few users fast. How many output tokens
# per second does each chip deliver *at a given speed per user*, once requests arrive at random
# and the p90 or p99 latency counts — and is it worth splitting prefill and decode onto
# different chips?
#
# **You will learn to**
# * turn a load (requests per second) into TTFT and TPOT **percentiles** with queueing formulas
#   (Pollaczek–Khinchine, Kingman, a Lundberg exponential tail), and see why the p99 explodes
#   long before the mean does;
# * read a chip's **frontier**: output tokens/s per chip against tokens/s per user, over batch,
#   layout and token budget per iteration, with its $/M tokens and J/token;
# * ask the frontier what 1 % more memory bandwidth or compute buys at a fixed interactivity
#   (`jax.grad` through the whole queueing model);
# * price **disaggregated** serving (prefill on chip X, decode on chip Y, the KV cache over the
#   network) against co-located serving, and map where splitting wins.

# %%
import altair as alt
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from IPython.display import display

from workbook import analysis, catalog
from workbook.analysis import disaggregation, frontier
from workbook.model import latency
from workbook.specs import Deployment, as_arrays, workload
from workbook.ui import FrontierPanel, charts, memory

_ = alt.renderers.enable("svg")  # static charts: offline, deterministic
charts.enable_offline()          # the panel's interactive charts: the Vega bundle is inlined (cached on disk)
pd.set_option("display.width", 120)

# %% [markdown]
# ## The model: an iteration engine under random arrivals
#
# A replica runs **iterations**. Each advances every one of the `n` decoding sequences by one token
# (a decode step, `t_d`) and, while prompts wait, prefills prompt tokens alongside (**chunked
# prefill**, as in Sarathi-Serve, vLLM and TensorRT-LLM): as many as the iteration's **token
# budget** `K` leaves after the decoding sequences' tokens, `C = K − n`; a step with a full chunk
# takes `t_m`. Both
# come from the roofline of `workbook.model.serving`. Requests arrive at random at `λ` per second
# (Poisson, as in MLPerf's server scenario).
#
# * **TTFT** = the step in progress (`t/2`) + the wait for the prefill budget + the prefill itself
#   `S = T_in · t_m / C` (+ a wait for a free decode slot when all `B` are taken). The prefill
#   budget is a single-server queue with utilisation `ρ = λS`: its mean wait is Kingman's
#   `ρ/(1−ρ) · (c_a² + c_s²)/2 · S` (exact for Poisson arrivals: Pollaczek–Khinchine), and its tail
#   is exponential, `P(W > t) ≈ K e^{−ηt}`, with `η` the root of the Lundberg equation
#   `E[e^{η(S−A)}] = 1`.
# * **TPOT** = the mean step over a request's `T_out` steps: decode steps stretched by the prefill
#   chunks interleaved, `t_d / (1 − λ T_in δ)` on average, with `δ = (t_m − t_d)/C`; its spread
#   across requests comes from the prefill server's busy and idle periods, seen through each
#   request's own window: a short answer averages over few steps, so where outputs vary in length
#   (MLPerf's datasets) the p99 is that of a mixture of windows.
#
# `tests/test_latency.py` checks these percentiles against a discrete-event simulation of the
# same engine (within 10 % at p50 and p99 up to 60 % of capacity).

# %%
h100, l8 = catalog.chip("nvidia_h100_sxm"), catalog.model("llama-3.1-8b")
eff = analysis.calibrated_efficiency("nvidia_h100_sxm")[0]
w = workload("fp8", batch=128, input_tokens=1024, output_tokens=256)
args = [as_arrays(r) for r in (h100, l8, w, eff, Deployment())]
chunk = 1024.0
cap = float(jax.jit(latency.capacity)(*args, chunk))
loads = np.array([0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95])
lat = jax.jit(jax.vmap(lambda lam: latency.latency_distribution(*args, lam, chunk)))(jnp.asarray(loads * cap, jnp.float32))
curve = pd.DataFrame({
    "load (share of capacity)": loads, "requests/s": loads * cap,
    **{f"TTFT p{int(100 * p)} (ms)": 1e3 * np.asarray(lat.ttft)[:, i] for i, p in enumerate(latency.PERCENTILES)},
    **{f"TPOT p{int(100 * p)} (ms)": 1e3 * np.asarray(lat.tpot)[:, i] for i, p in enumerate(latency.PERCENTILES)},
}).round(2)
print(f"Llama-3.1-8B, FP8, one H100, B = 128 slots, token budget {chunk:g} per iteration: capacity {cap:.1f} requests/s "
      f"({cap * 256:.0f} output tokens/s)")
curve

# %% [markdown]
# **Takeaway:** the median TTFT hardly moves until the replica is busy, but the tail grows like
# `1/(1−ρ)`: the p99 is about 1.6× the median at 10 % of capacity and several times it at 90 %.
# TPOT rises with load too — more sequences share every step and more prefill chunks come in
# between — but it is much the same for every request (its p99 at most about 1.2× its median): the
# tail lives in TTFT.

# %% tags=["checks"]
ttft50, ttft99 = curve["TTFT p50 (ms)"].to_numpy(), curve["TTFT p99 (ms)"].to_numpy()
assert (np.diff(ttft99) > 0).all() and (np.diff(curve["TPOT p50 (ms)"]) > 0).all()
spread = ttft99 / ttft50
assert 1.4 < spread[0] < 1.8 and spread[5] > 2 * spread[0]  # "about 1.6x"; the tail widens with load (row 5: 90 %)
assert (curve["TPOT p99 (ms)"] < 1.22 * curve["TPOT p50 (ms)"]).all()  # "at most about 1.2x"

# %% [markdown]
# ## The frontier of four chips
#
# For each chip, every batch `B` (1 … 1,024 slots), every valid layout on the fewest chips that
# hold the model and on 2× and 4× as many, and every token budget `K` (256 … 8,192 tokens) is run at 80 %
# of its capacity (an assumption: operators keep headroom). A point's interactivity is
# `1 / TPOT_p90`: nine in ten requests get at least that many tokens per second. The frontier keeps
# the configurations no other beats on both axes. Llama-3.1-8B, FP8, 1,024 prompt and 256 output
# tokens; one compiled, vmapped grid serves every chip.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
chip_ids = ["nvidia_h100_sxm", "nvidia_b200_hgx", "amd_mi300x", "google_tpu_v6e"]
w8 = workload("fp8", input_tokens=1024, output_tokens=256)
points = {c: frontier.frontier(catalog.chip(c), l8, w8, analysis.calibrated_efficiency(c)[0], chip_id=c) for c in chip_ids}
names = {c: catalog.chip_info(c)["name"] for c in chip_ids}
front = pd.DataFrame([{"chip": names[c], "chip_id": c, **{k: p[k] for k in (
    "tokens_per_s_per_user", "tokens_per_s_per_chip", "usd_per_million_tokens", "joules_per_token", "ttft_s",
    "batch", "chunk_tokens", "chips")}} for c in chip_ids for p in points[c]])


def best_at(df, interactivity):
    """Most tokens/s per chip among each chip's points at least this interactive."""
    fast = df[df.tokens_per_s_per_user >= interactivity]
    return fast.groupby("chip_id")["tokens_per_s_per_chip"].max()


slow, quick = best_at(front, 30), best_at(front, 150)
leader_slow, leader_quick = slow.idxmax(), quick.idxmax()
if leader_slow == leader_quick:
    finding = (f"{names[leader_slow]} serves the most tokens per chip at both 30 and 150 tokens/s per user "
               f"({slow.max():,.0f} and {quick.max():,.0f})")
else:
    finding = (f"{names[leader_slow]} leads at 30 tokens/s per user ({slow.max():,.0f} tokens/s per chip); "
               f"at 150 the lead is {names[leader_quick]}'s")
front.groupby("chip").agg(points=("batch", "size"), max_tokens_per_s_per_chip=("tokens_per_s_per_chip", "max"),
                          max_tokens_per_s_per_user=("tokens_per_s_per_user", "max"),
                          min_usd_per_M=("usd_per_million_tokens", "min")).round(2)

# %%
charts.frontier_chart(front, finding=finding)

# %% [markdown]
# **Takeaway:** every frontier falls steeply: the batch that fills a chip makes each user wait for
# every other user's token, so the most interactive point serves a small fraction of the most
# productive one. A ranking of chips is a ranking *at an interactivity* (the title says who leads
# at 30 and at 150 tokens/s per user), and throughput per chip at a fixed speed per user is what a
# price per token must pay for.

# %% tags=["checks"]
for c in chip_ids:
    f = front[front.chip_id == c].sort_values("tokens_per_s_per_user")
    assert (np.diff(f.tokens_per_s_per_chip) <= 0).all()  # Pareto-ordered
    assert f.tokens_per_s_per_chip.iloc[0] > 5 * f.tokens_per_s_per_chip.iloc[-1]  # a steep trade-off
assert slow.idxmax() == leader_slow and quick.idxmax() == leader_quick and names[leader_slow] in finding

# %% [markdown]
# ## What bandwidth and compute buy at a fixed interactivity
#
# At a chosen interactivity, take the frontier configuration that serves it and ask how its
# **goodput** (tokens/s per chip with the p90 TPOT within `1/interactivity`; DistServe's
# definition) responds to 1 % more memory bandwidth or 1 % more peak compute: `jax.grad` through
# the capacity and goodput solves (implicit-function derivatives, no finite differences).

# %%
grad_rows = []
for target in (30.0, 150.0):
    g = frontier.frontier_gradient(h100, l8, w8, eff, points["nvidia_h100_sxm"], target)
    grad_rows.append({"tokens/s per user": target, "batch": g["point"]["batch"], "budget K": g["point"]["chunk_tokens"],
                      "tokens/s per chip": g["tokens_per_s_per_chip"], "elasticity to bandwidth": g["elasticity_bandwidth"],
                      "elasticity to compute": g["elasticity_compute"]})
grads = pd.DataFrame(grad_rows).round(3)
grads

# %% [markdown]
# **Takeaway:** on an H100 serving Llama-3.1-8B, the faster each user must be served, the more
# the answer moves toward memory bandwidth: at 30 tokens/s per user 1 % more compute buys well over
# 1.5× the goodput of 1 % more bandwidth (large batches, large token budgets); at 150 tokens/s per
# user the two buy about the same (smaller batches whose steps stream the weights). **Where it
# stops:** the sizes of the elasticities depend on which configuration serves the target, a
# discrete choice: over the workbook's recalibrations the frontier point at 150 tokens/s per user
# has moved between batch 128 and 512 and its bandwidth elasticity between 0.4 and 1.4, and which
# of the two resources leads there has changed with it (bandwidth led before the OpenOrca length
# became the centre of its range); the move toward bandwidth as interactivity rises has held.

# %% tags=["checks"]
e = grads.set_index("tokens/s per user")
ratio = e["elasticity to bandwidth"] / e["elasticity to compute"]
assert (e[["elasticity to bandwidth", "elasticity to compute"]] > 0).all().all()
assert ratio.loc[150.0] > ratio.loc[30.0]  # the answer moves toward bandwidth as interactivity rises
assert e.loc[30.0, "elasticity to compute"] > 1.5 * e.loc[30.0, "elasticity to bandwidth"]  # "well over 1.5x"
assert 0.8 < ratio.loc[150.0] < 1.25  # "about the same"

# %% [markdown]
# ## Explore
#
# Pick chips, a model, a precision and lengths; the summary gives the elasticities at the chosen
# interactivity for the first chip. (Each new setting takes a second or two; the first compiles.)

# %% tags=["nbval-ignore-output"]
panel = FrontierPanel()
display(panel.widget)

# %% [markdown]
# ## Disaggregated serving: prefill on X, decode on Y
#
# A prefill pool on chip X sends each request's KV cache (`kv_cache_bytes_per_sequence(T_in)`)
# over the scale-out network (its bandwidth from the catalog, 80 % of line rate and 1 ms per
# transfer: **assumptions**, ranges 50–95 % and 0.1–10 ms) to a decode pool on chip Y, which
# decodes with no prefill in its steps. The pools are balanced (their chip ratio makes their
# request rates equal). Co-located serving on one chip is the workbook's usual model. Compared
# at the same decode batch, and at the same TPOT (co-located at its best batch within the
# disaggregated TPOT). Llama-3-70B, FP8, 2,048 prompt and 256 output tokens, batch 64.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
l70 = catalog.model("llama-3-70b")
w70 = workload("fp8", batch=64, input_tokens=2048, output_tokens=256)
pairs = [("nvidia_h100_sxm", "nvidia_h100_sxm"), ("nvidia_b200_hgx", "amd_mi300x"), ("google_tpu_v6e", "nvidia_h200_sxm")]
rows = []
for x, y in pairs:
    for r in disaggregation.compare(catalog.chip(x), catalog.chip(y), l70, w70, analysis.calibrated_efficiency(x)[0],
                                    analysis.calibrated_efficiency(y)[0], names=(names.get(x, x), catalog.chip_info(y)["name"])):
        rows.append({"pair": f"{x} -> {y}", **{k: r.get(k) for k in (
            "serving", "chips", "usd_per_million_tokens", "tokens_per_s_per_chip", "ttft_s", "tpot_s",
            "prefill_chips_per_decode_chip")}})
split = pd.DataFrame(rows).round(4)
split

# %% [markdown]
# **Takeaway:** splitting buys a much lower TPOT (no prefill in the decode steps) at a cost per
# token close to co-location's at the same batch. At the *same TPOT* it is cheaper than
# co-location on either chip of every pair here (up to about three times): to keep 2,048-token prefills from stretching every decode step, a co-located replica must
# shrink its batch (DistServe's argument). How large the gap is depends on how well prefill math
# hides under decode's memory traffic on one chip — the overlap the calibration fits: with a
# perfect overlap co-location would lose less.

# %% tags=["checks"]
for pair, rows_p in split.groupby("pair"):
    dis = rows_p[rows_p.serving == "disaggregated"].iloc[0]
    colo = rows_p[rows_p.serving == "co-located"]
    same_tpot = rows_p[rows_p.serving == "co-located, same TPOT"]
    assert dis.tpot_s < 0.7 * colo.tpot_s.min()  # much faster tokens
    assert dis.usd_per_million_tokens < 2 * colo.usd_per_million_tokens.max()  # at a cost close to co-location's
    assert dis.usd_per_million_tokens < same_tpot.usd_per_million_tokens.min()  # cheaper at the same TPOT

# %% [markdown]
# ### Where splitting wins
#
# Prefill on an H100; decode on an imagined H100 whose memory bandwidth and peak FLOP/s are scaled
# (same price, memory and network). Each cell is disaggregated $/M tokens over the cheaper of
# co-located serving on either chip, at the same TPOT; below 1 (purple) splitting wins.

# %%
bw_scales, compute_scales = [0.5, 1.0, 2.0, 4.0], [0.25, 0.5, 1.0, 2.0]
rm = disaggregation.regime_map(h100, l70, w70, eff, bw_scales, compute_scales)
regime = pd.DataFrame([{"bandwidth_scale": a, "compute_scale": c, "ratio": float(rm["ratio"][i, j])}
                       for i, a in enumerate(bw_scales) for j, c in enumerate(compute_scales)])
wins = regime[regime.ratio < 0.95]  # splitting saves more than 5 %
bw_min = wins.bandwidth_scale.min()
charts.split_regime_chart(regime, finding=f"Splitting saves over 5 % in {len(wins)} of {len(regime)} cells: wherever the "
                          f"decode chip has at least {bw_min:g}x the prefill chip's memory bandwidth")

# %% [markdown]
# **Takeaway:** at the same TPOT, the decode chip's memory bandwidth decides: with at least the
# threshold in the title, splitting wins whatever its compute, by more than 30 %; below it, it
# saves at most 3 % and mostly loses. (At the same
# *batch* — not shown — co-location on the better-balanced chip is often cheaper; the split pays
# for interactivity.) This is the case for decode-specialised silicon: bandwidth per dollar,
# not FLOP/s.

# %% tags=["checks"]
assert 0 < len(wins) < len(regime)
assert (regime[regime.bandwidth_scale >= bw_min].ratio < 0.7).all() and (regime[regime.bandwidth_scale < bw_min].ratio > 0.97).all()

# %% [markdown]
# ## Does the queueing model predict measured servers?
#
# MLPerf's *server* scenario sends Poisson arrivals and counts a result only if the p99 TTFT and
# p99 TPOT stay within limits (Llama-2-70B: 2 s and 200 ms); *interactive* tightens them (450 ms
# and 40 ms). The workbook predicts those rows with the model above, fitted on nothing from them:
# for each batch and layout, the largest load meeting both limits (`calibration.tuning.best_goodput`).
# A system's offline error cancels in the ratio of its server (or interactive) throughput to its
# own offline throughput, so that ratio tests the queueing model alone.

# %%
from workbook import calibration

ratios = pd.DataFrame(calibration.calibration()["scenario_ratios"])
ratios["error"] = ratios.predicted_ratio / ratios.measured_ratio - 1
matched = calibration.calibration()["errors"]["calibrated_5fold_cv"]["matched_systems"]
for scenario_name, err in matched.items():
    print(f"cross-validated MdAPE, {scenario_name} rows {err['mdape']:.1f} % vs the offline rows of the same "
          f"{err['systems']} systems {err['offline_mdape']:.1f} %")
ratios.rename(columns={"measured_ratio": "measured (÷ offline)", "predicted_ratio": "predicted (÷ offline)",
                       "median_abs_error": "median |error| per system"}).round(2)

# %% [markdown]
# **Takeaway:** where most systems were measured — Llama-2-70B server, 34 systems — the model
# predicts the cost of the latency limits within about 5 % (measured servers keep 93 % of their
# offline throughput, the model 96 %); Llama-3.1-405B's long prompts (its TTFT limit binds) and Mixtral's come within
# 10 %. It misses DeepSeek-R1: real servers keep about half their offline throughput, the model
# about three quarters: the measured p99 TTFT nears its 2 s limit at half the rate the model allows,
# under a scheduler the queue does not have (attention data parallelism holding prompts for a few
# iterations), and the measured steps are slower than the offline rows imply (see the README). The
# interactive ratios come within a tenth at the median on Llama-2-70B and on Llama-3.1-405B
# (those of single systems scatter more: the last column). Row by row, out of sample (the two
# lines printed above), the interactive rows are predicted better than the offline rows of the
# same systems, and the server rows worse (by about two points of MdAPE): on servers the
# queueing model adds error of its own to what the offline model already makes.

# %% tags=["checks"]
r = ratios.set_index(["scenario", "model"])
assert r.loc[("server", "llama-2-70b"), "systems"] >= 30 and abs(r.loc[("server", "llama-2-70b"), "error"]) < 0.06
assert round(r.loc[("server", "llama-2-70b"), "measured_ratio"], 2) == 0.93 and round(r.loc[("server", "llama-2-70b"), "predicted_ratio"], 2) == 0.96  # the text's figures
assert all(abs(r.loc[("server", m), "error"]) < 0.10 for m in ("llama-3.1-405b", "mixtral-8x7b", "llama-3.1-8b"))
assert r.loc[("server", "deepseek-r1"), "error"] > 0.3 and r.error.abs().idxmax() == ("server", "deepseek-r1")
assert 0.45 < r.loc[("server", "deepseek-r1"), "measured_ratio"] < 0.55  # "about half"
assert 0.7 < r.loc[("server", "deepseek-r1"), "predicted_ratio"] < 0.8  # "about three quarters"
assert abs(r.loc[("interactive", "llama-2-70b"), "error"]) < 0.10  # "within a tenth"
assert abs(r.loc[("interactive", "llama-3.1-405b"), "error"]) < 0.10  # "within a tenth"
assert matched["interactive"]["rows"] > 0 and matched["interactive"]["mdape"] < matched["interactive"]["offline_mdape"]
assert matched["server"]["rows"] > 0 and 1.5 < matched["server"]["mdape"] - matched["server"]["offline_mdape"] < 2.5  # "about two points"

# %% [markdown]
# ## Exercises
#
# 1. On the H100 above (Llama-3.1-8B, B = 128, 70 % of capacity), which token budget `K` in
#    {256, 512, …, 8,192} gives the lowest p99 TTFT, and which the lowest p99 TPOT? Why do they differ?
# 2. How much of the H100's memory bandwidth must a decode chip with the H100's compute have
#    before splitting beats co-location at the same TPOT (bisect between 0.5 and 1 with `regime_map`)?

# %% tags=["solution"]
rows = []
for c in (256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0):
    cap_c = float(jax.jit(latency.capacity)(*args, c))
    lat_c = jax.jit(latency.latency_distribution)(*args, 0.7 * cap_c, c)
    rows.append({"budget K": c, "requests/s": 0.7 * cap_c, "TTFT p99 (ms)": 1e3 * float(lat_c.ttft[-1]),
                 "TPOT p99 (ms)": 1e3 * float(lat_c.tpot[-1])})
chunks = pd.DataFrame(rows).round(2)
print(chunks.to_string(index=False))
print("Small budgets keep decode steps short (TPOT); large ones prefill a prompt in fewer, better-used steps (TTFT).")

# %% tags=["solution"]
lo, hi = 0.5, 1.0
for _ in range(10):
    mid = 0.5 * (lo + hi)
    if disaggregation.regime_map(h100, l70, w70, eff, [mid], [1.0])["ratio"][0, 0] < 1:
        hi = mid
    else:
        lo = mid
print(f"splitting wins above about {hi:.2f}x the H100's memory bandwidth on the decode side")
print("The decode pool must stream the KV caches fast enough that its TPOT, without prefill, is one the "
      "co-located H100 can match only at a much smaller batch.")
