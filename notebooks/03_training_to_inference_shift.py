# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · The shift from training to inference
#
# **Question.** A model is trained once and then serves requests for years. After how many served
# tokens does serving cost more than training did, in compute and in dollars? What do idle chips,
# owning versus renting, and falling prices change? And how big should the model be in the first place?
#
# **You will learn to**
# * count a request's prompt tokens and output tokens apart, in FLOPs and in dollars, and see why
#   the two crossovers differ;
# * price serving on whole chips, at a utilisation, owned or rented;
# * tell a price decline *at fixed capability* (models shrink) from the decline of a *fixed model*;
# * find the model size that minimises lifetime dollars, and when an industry's inference spend
#   overtakes its growing training budgets.
#
# Every number below comes from the workbook's core model or from a dated, sourced estimate;
# assumptions are labelled as such and carry a range, drawn as a band.

# %%
import altair as alt
import jax
import numpy as np
import pandas as pd
from IPython.display import display

from workbook import analysis, calibration, catalog
from workbook.econ import shift
from workbook.econ.inference_share import DemandScenario, crossover_time, cumulative_inference_cost
from workbook.econ.scaling_laws import SARDANA_2024, chinchilla_style_optimum, inference_aware_optimum, validate_target_loss
from workbook.model import transformer
from workbook.ui import charts, memory

_ = alt.renderers.enable("svg")
charts.enable_offline()  # the panel's interactive charts: the Vega bundle is inlined (cached on disk)
H100 = "nvidia_h100_sxm"
chip, eff, model = catalog.chip(H100), calibration.efficiency(H100), catalog.model("llama-3-70b")
price = catalog.chip_entry(H100).numbers["price"]
N, D = float(transformer.total_params(model)), 1.5e13  # Llama-3-70B, trained on 15T tokens (Meta, 2024)
w = shift.DEFAULT_INFERENCE_WORKLOAD  # FP8, batch 64, 2,048-token prompts, 512 output tokens
T_IN, T_OUT = float(w.input_tokens), float(w.output_tokens)
print(f"H100 price {price.value} USD/chip-h (range {price.low}-{price.high}) [{price.status}, {price.date}] {price.source[:60]}")

# %% [markdown]
# ## 1. Count the prompt, not only the output
#
# A chat or retrieval request **reads** a prompt of $T_{in}$ = 2,048 tokens and **writes**
# $T_{out}$ = 512. Both cost the model about $2N$ FLOPs per token (a forward pass), while
# training cost $6N$ per token. So if the model writes $T$ output tokens over its life, it also
# reads $rT$ prompt tokens, with $r = T_{in}/T_{out} = 4$, and inference matches training compute when
#
# $$2N(1+r)\,T = 6ND \quad\Longrightarrow\quad T^*_{FLOP} = \frac{3D}{1+r}.$$

# %%
comp = shift.compute_crossover_tokens(D, T_IN, T_OUT)
print(f"r = {T_IN / T_OUT:g}:  T*_FLOP = 3 x {D:.3g} / {1 + T_IN / T_OUT:g} = {comp.output_tokens:.3g} output tokens "
      f"= {comp.output_tokens / D:.2g} D  (plus {comp.input_tokens:.3g} prompt tokens)")

# %% [markdown]
# **Dollars.** The core model serves the same workload on a replica of **whole** H100s (the
# fewest that hold weights and KV cache, in the fastest layout: the replica of notebooks 01 and
# 02) and charges its price for every second of the cycle in which 64 prompts are prefilled and
# 512 tokens decoded for each. Splitting the cycle by the stand-alone time of each phase prices a
# prompt token and an output token apart:
#
# $$c_{out}\,T_{out} = c_{in}\,T_{in} + c_{dec}\,T_{out}, \qquad
# T^*_{\$} = \frac{K}{c_{out}}, \qquad K = \frac{6ND}{P\cdot\mathrm{MFU}\cdot 3600}\,\pi .$$

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
cost = shift.serving_cost(chip, model, w, eff)
nb01 = analysis.compare_chips([H100], model, w)  # the figure of notebooks 01 and 02
K = float(shift.training_cost_on_chip(N, D, chip))
dollar = shift.dollar_crossover_tokens(K, cost, T_IN, T_OUT)
usd_per_served_flop = cost.usd_per_million_output_tokens / 1e6 / (2 * N * (1 + T_IN / T_OUT))
usd_per_training_flop = K / (6 * N * D)
print(f"replica: {cost.chips} whole H100s ({cost.layout}); c_out = ${cost.usd_per_million_output_tokens:.3f}/M output tokens "
      f"(notebooks 01/02: ${float(nb01['usd_per_million_tokens'][0]):.3f})")
print(f"  = prefill ${cost.usd_per_million_input_tokens:.3f}/M prompt tokens x 4 + decode ${cost.usd_per_million_decode_tokens:.3f}/M output tokens")
print(f"training K = ${K / 1e6:.2f}M;  T*_$ = K / c_out = {dollar.output_tokens:.3g} output tokens = {dollar.output_tokens / D:.2f} D")
print(f"a served FLOP costs {usd_per_served_flop / usd_per_training_flop:.2f} of a training FLOP")

# %% [markdown]
# A prompt token costs about a fifth of an output token: prefill runs at compute speed, decode
# is bound by memory bandwidth. Since four of every five tokens are prompt tokens, a *served* FLOP
# here costs about 0.7 of a *training* FLOP, and the dollar crossover comes **after** the compute
# crossover. The chart shows inference's share of lifetime compute and of lifetime dollars
# (training and serving on H100s; the band is MFU 0.35–0.45, an assumption; the chip price cancels
# since both run on it).

# %%
ratio = np.logspace(-2, 1.5, 36)
T = ratio * D
share_compute = np.asarray(shift.inference_compute_share(D, T, T_IN, T_OUT), float)
k_mfu = {m: float(shift.training_cost_on_chip(N, D, chip, m)) for m in (0.35, 0.4, 0.45)}
share_usd = {m: T * cost.usd_per_million_output_tokens / 1e6 / (k + T * cost.usd_per_million_output_tokens / 1e6)
             for m, k in k_mfu.items()}
shares = pd.concat([
    pd.DataFrame({"x": ratio, "y": share_compute, "low": share_compute, "high": share_compute,
                  "series": "compute (2N per prompt and output token)"}),
    pd.DataFrame({"x": ratio, "y": share_usd[0.4], "low": share_usd[0.45], "high": share_usd[0.35],
                  "series": "dollars (H100, batch 64, whole chips)"}),
], ignore_index=True).round(5)
marks = pd.DataFrame({"x": [comp.output_tokens / D, dollar.output_tokens / D],
                      "label": [f"FLOPs equal: {comp.output_tokens / D:.1f} D", f"dollars equal: {dollar.output_tokens / D:.2f} D"]})
charts.series_band_chart(shares, "lifetime output tokens / training tokens (T/D)", "inference share of the lifetime total",
                         log_x=True, x_format="~g", y_format="%", rules=marks.round(4), series_title="share of",
                         finding="Counted consistently, serving passes training in FLOPs (0.6 D) before it does in dollars")

# %% [markdown]
# **Takeaway:** counting the 2,048-token prompts, serving Llama-3-70B passes its training compute
# after 0.6 D output tokens but its training bill only after about 0.85 D (roughly 0.75–1 D over
# the MFU range): the dollar share lies below the compute share on the whole chart. **Where it stops:**
# this needs big batches. At batch 16 or less decode dominates the cost, a served FLOP costs more
# than a training FLOP, and the dollar crossover comes first (the table below; batch 32 is about
# even).

# %%
by_batch = pd.DataFrame([{"batch": b, "chips": c.chips, "USD per M output tokens": c.usd_per_million_output_tokens,
                          "dollar crossover / D": K * 1e6 / c.usd_per_million_output_tokens / D,
                          "compute crossover / D": comp.output_tokens / D}
                         for b in (1, 8, 16, 32, 64, 128)
                         for c in [shift.serving_cost(chip, model, w._replace(batch=float(b)), eff)]])
by_batch.round(3)

# %% [markdown]
# ## 2. Idle chips, and owning versus renting
#
# The core model's $/M assumes every paid chip-hour serves. If chips are paid for every hour
# (owned, or rented by the year) but serve only a share $u$ of them, a served token costs
# $c/u$. An owned H100 costs its total cost of ownership per hour,
# $\mathrm{TCO} = \mathrm{capex}\cdot\mathrm{CRF}(r,n)/8760 + P\cdot\mathrm{draw}\cdot\mathrm{PUE}\cdot\$/\mathrm{kWh}$
# (assumptions: \$40,000 with its server share, 5 years at 10 %, 1.275 kW at 70 %, PUE 1.2,
# \$0.08/kWh; each with a range, `shift.Ownership`). An on-demand rental is paid only while used.

# %%
tco = float(shift.owned_usd_per_chip_hour())
cheap = shift.Ownership(25_000, 6, 0.06, 1.0, 0.5, 1.1, 0.05)  # every input at its favourable end
dear = shift.Ownership(45_000, 3, 0.14, 1.5, 0.9, 1.5, 0.15)
tco_range = (float(shift.owned_usd_per_chip_hour(cheap)), float(shift.owned_usd_per_chip_hour(dear)))
u_star = shift.ownership_breakeven_utilisation(chip.price)
u = np.linspace(0.1, 1.0, 46)
per_hour = cost.usd_per_million_output_tokens / chip.price  # USD per M tokens per USD per chip-hour
util = pd.concat([
    pd.DataFrame({"x": u, "y": per_hour * chip.price, "low": per_hour * price.low, "high": per_hour * price.high,
                  "series": f"rented on demand (${chip.price:g}/h, paid when used)"}),
    pd.DataFrame({"x": u, "y": per_hour * tco / u, "low": per_hour * tco_range[0] / u, "high": per_hour * tco_range[1] / u,
                  "series": f"owned (TCO ${tco:.2f}/h, paid every hour)"}),
], ignore_index=True).round(5)
print(f"TCO ${tco:.3f}/h (range {tco_range[0]:.2f}-{tco_range[1]:.2f}); owning beats on-demand renting above u* = "
      f"{tco:.2f} / {chip.price:g} = {u_star:.2f}")
charts.series_band_chart(util, "utilisation u (share of paid hours that serve)", "USD per M output tokens", log_y=True,
                         x_format="%", y_format="$~g", series_title="H100 paid for",
                         rules=pd.DataFrame({"x": [round(u_star, 4)], "label": [f"u* = {u_star:.2f}"]}),
                         finding=f"Owning an H100 beats renting it on demand only above {u_star:.0%} utilisation")

# %% [markdown]
# **Takeaway:** at the central estimates an owned H100 serves cheaper than an on-demand one only
# if it is busy more than about 68 % of its hours; at 30 % it costs more than twice the on-demand
# price per token. The bands overlap widely: with the ownership inputs at their ends the
# break-even runs from about a third of the hours to never, so the answer depends on the buyer's
# own costs.

# %% [markdown]
# ## 3. When does serving overtake training, in years?
#
# Serving starts at $Q_0 = 10^{13}$ output tokens a year (an assumption, about 0.2 % of Google's
# reported May 2025 volume), demand grows 3x a year (Epoch AI, 2025: inference revenue at major
# labs, a proxy) and the cost of serving **this** model falls only as hardware and software improve:
# $h = 1.33$x a year (Epoch AI 2022, GPU FLOP/s per dollar doubling every 2.46 years) times $s = 1.5$x
# (an assumption, 1.1–2.5x). With $r_s = \ln 3 + \ln(1-d)$, $d = 1 - 1/(hs)$, cumulative spend
# passes $K$ at $t^* = \ln(1 + r_s K/(Q_0 c_0))/r_s$.

# %%
decline = float(shift.fixed_model_cost_decline())
scenario = DemandScenario(tokens_per_year0=1e13, demand_growth=2.0, price_decline=decline, horizon_years=5.0)
t_star = float(crossover_time(K, cost.usd_per_million_output_tokens, scenario))
years = np.linspace(scenario.horizon_years / 120, scenario.horizon_years, 120)
spend = np.asarray(cumulative_inference_cost(years, cost.usd_per_million_output_tokens, scenario), float)
paths = pd.concat([pd.DataFrame({"year": years, "usd": K, "series": "training"}),
                   pd.DataFrame({"year": years, "usd": spend, "series": "inference"}),
                   pd.DataFrame({"year": [t_star], "usd": [K], "series": ["crossover"]})], ignore_index=True).round({"year": 4})
print(f"cost decline of a fixed model d = {decline:.3f}/yr; crossover after {t_star:.2f} years")
charts.spend_chart(paths, finding=f"Serving Llama-3-70B passes its ${K / 1e6:.1f}M training bill after {t_star:.1f} years")

# %% [markdown]
# **Takeaway:** in this scenario serving spend passes the training bill after about a year;
# section 6 shows which inputs move that date, and by how much over their ranges.

# %% [markdown]
# ## 4. Fixed capability versus a fixed model
#
# Epoch AI (Mar 2025) measured the price of a *capability* (a benchmark score) falling 9x to 900x
# a year, 40x at GPT-4 level on GPQA Diamond. Much of that comes from **smaller models** reaching
# the score: the fixed-capability factor $F$ is hardware $h$ times software $s$ times the model's
# shrink, so the model reaching a fixed capability shrinks by $F/(hs)$ a year. A fixed 70B model
# only gets the $hs \approx 2$x.

# %%
t = np.linspace(0, 3, 31)
c0 = cost.usd_per_million_output_tokens
lo_trend = shift.CostTrend(shift.HARDWARE_GAIN_RANGE[0], shift.SOFTWARE_GAIN_RANGE[0])
hi_trend = shift.CostTrend(shift.HARDWARE_GAIN_RANGE[1], shift.SOFTWARE_GAIN_RANGE[1])
fixed = {k: shift.price_paths(t, c0, 40, tr)["fixed model"] for k, tr in (("mid", shift.CostTrend()), ("lo", lo_trend), ("hi", hi_trend))}
capability = {f: shift.price_paths(t, c0, f)["fixed capability"] for f in (9, 40, 900)}
prices = pd.concat([
    pd.DataFrame({"x": t, "y": fixed["mid"], "low": fixed["hi"], "high": fixed["lo"], "series": "fixed model (hardware x software)"}),
    pd.DataFrame({"x": t, "y": capability[40], "low": capability[900], "high": capability[9],
                  "series": "fixed capability (Epoch: 40x/yr, 9x-900x)"}),
], ignore_index=True)
prices[["y", "low", "high"]] = prices[["y", "low", "high"]].map(lambda v: float(f"{v:.4g}"))
shrink = float(shift.implied_model_shrink(40))
print(f"after 3 years: fixed model x{fixed['mid'][-1] / c0:.3f} (x{fixed['hi'][-1] / c0:.3f}-{fixed['lo'][-1] / c0:.3f}); "
      f"GPT-4-level capability x{capability[40][-1] / c0:.1e}; implied model shrink {shrink:.0f}x per year")
charts.series_band_chart(prices, "years from today", "USD per M output tokens", log_y=True, y_format="$.0e",
                         series_title="cost of", finding="A fixed model gets about 2x cheaper a year, not the 40x of a fixed capability")

# %% [markdown]
# **Takeaway:** over three years a fixed Llama-3-70B gets about 8x cheaper to serve (3x–40x over
# the ranges), while GPT-4-level capability got 64,000x cheaper at Epoch's 40x a year; the
# difference is a model about 20x smaller each year. Applying a capability trend to a fixed model's
# serving bill (as exercise 3 of an earlier version of this notebook did) counts that shrink twice.

# %% [markdown]
# ## 5. How big should the model be?
#
# Fix the quality at Sardana et al.'s example, loss $l = 1.947$ (their constants), and vary the
# lifetime output tokens $T$. Four answers: Chinchilla-style (cheapest to train); Sardana's
# FLOP-optimal model with the **prompts counted** ($6ND + 2N(1+r)T$); the same without them (the
# old comparison); and the **dollar-optimal** model, training and serving priced on H100s
# (`shift.dollar_optimal_model`, band: MFU 0.35–0.45; the solver uses a fractional chip count to
# stay differentiable, so its serving cost differs from the whole-chip one by a few percent).

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
loss_target = 1.947
T_grid = np.logspace(11, 14, 7)
n_chin = float(chinchilla_style_optimum(SARDANA_2024, loss_target)[0])
MFUS = (0.35, 0.4, 0.45)
validate_target_loss(SARDANA_2024, loss_target)  # the loss must exceed E; T, prices and MFU are positive constants here
solve = jax.jit(jax.vmap(lambda t, m: shift.dollar_optimal_model(SARDANA_2024, loss_target, t, chip, chip, w, eff, m)[0]))
dollar_grid = np.asarray(solve(np.repeat(T_grid, 3).astype(np.float32), np.tile(MFUS, len(T_grid)).astype(np.float32)),
                         float).reshape(len(T_grid), 3)
rows = []
for T_life, row in zip(T_grid, dollar_grid):
    dollar_n = dict(zip(MFUS, row))
    flop_p = float(shift.flop_optimal_model_with_prompts(SARDANA_2024, loss_target, T_life, T_IN, T_OUT)[0])
    flop_o = float(inference_aware_optimum(SARDANA_2024, loss_target, T_life)[0])
    rows += [{"x": T_life, "y": n_chin, "low": n_chin, "high": n_chin, "series": "Chinchilla-style (training only)"},
             {"x": T_life, "y": flop_o, "low": flop_o, "high": flop_o, "series": "FLOP-optimal, output tokens only"},
             {"x": T_life, "y": dollar_n[0.4], "low": min(dollar_n.values()), "high": max(dollar_n.values()),
              "series": "dollar-optimal, H100 (prompts priced)"},
             {"x": T_life, "y": flop_p, "low": flop_p, "high": flop_p, "series": "FLOP-optimal, prompts counted (Sardana)"}]
sizes = pd.DataFrame(rows)
sizes[["y", "low", "high"]] = sizes[["y", "low", "high"]].map(lambda v: float(f"{v:.4g}"))
charts.series_band_chart(sizes, "lifetime output tokens T", "parameters N at loss 1.947", log_x=True, log_y=True,
                         series_title="rule", finding="With prompts counted, the dollar-optimal model is larger than the FLOP-optimal one")

# %% [markdown]
# **Takeaway:** at every demand shown, the dollar-optimal model sits *above* Sardana's FLOP-optimal
# model once prompts are counted (served FLOPs are cheaper than training FLOPs at batch 64 with
# long prompts, section 1) and below the FLOP optimum that ignores the prompts. At small batches the
# order reverses, for the reason given in section 1.

# %% [markdown]
# ## 6. What moves the crossover date?
#
# Each input of section 3 at the ends of its labelled range, the others central. The H100 price
# moves the training bill and the serving cost alike, so it cannot move the date (the old
# "largest lever" chart gave four such inputs equal bars by construction).

# %%
def crossover_at(q0=1e13, growth=2.0, decline=decline, u=1.0, mfu=0.4, batch=64.0, usd_per_hour=chip.price):
    c = chip._replace(price=usd_per_hour)
    serve = shift.serving_cost(c, model, w._replace(batch=batch), eff).usd_per_million_output_tokens / u
    k = float(shift.training_cost_on_chip(N, D, c, mfu))
    return float(crossover_time(k, serve, DemandScenario(q0, growth, decline, 50.0)))

ranges = [  # (label, kind, keyword, low, high)
    ("year-0 tokens (3e12-3e13)", "assumption", "q0", 3e12, 3e13),
    ("demand growth (2x-4x/yr)", "estimate", "growth", 1.0, 3.0),
    ("cost decline (hardware x software)", "sourced + assumption", "decline",
     float(shift.fixed_model_cost_decline(lo_trend)), float(shift.fixed_model_cost_decline(hi_trend))),
    ("utilisation (50-100 %)", "assumption", "u", 0.5, 1.0),
    ("training MFU (0.35-0.45)", "assumption", "mfu", 0.35, 0.45),
    ("serving batch (16-128)", "assumption", "batch", 16.0, 128.0),
    (f"H100 price (${price.low}-{price.high}/h)", "reported", "usd_per_hour", price.low, price.high),
]
central = crossover_at()
tornado = pd.DataFrame([{"input": label, "kind": kind, "low": lo, "high": hi,
                         "output_low": crossover_at(**{key: lo}), "output_high": crossover_at(**{key: hi})}
                        for label, kind, key, lo, hi in ranges])
tornado["swing"] = (tornado.output_high - tornado.output_low).abs()
tornado = tornado.sort_values("swing", ascending=False).round(4)
print(f"central crossover {central:.2f} years; largest swing: {tornado.iloc[0]['input']}")
charts.tornado_chart(tornado, central, "years until serving spend passes the training bill",
                     finding="Year-0 demand moves the date most; the chip price does not move it")

# %% [markdown]
# **Takeaway:** the year-0 demand, an assumption known only to a factor of ten, swings the date
# most; the serving batch, the cost decline, utilisation and demand growth each move it by roughly
# half a year to a year; the H100 price, paid for training and serving alike, leaves it where it is.

# %% [markdown]
# ## 7. The industry: inference spend against growing training budgets
#
# Across an industry, training budgets grow too. Yearly inference spend $I_0 g_I^t$ passes yearly
# training spend $K_0 g_T^t$ at $t^* = \ln(K_0/I_0)/\ln(g_I/g_T)$. Estimates: OpenAI's 2024 compute,
# \$2B inference vs \$5B R&D (Epoch AI, estimate) — or \$4B vs \$3B (The Information, 2024, as
# reported); inference revenue at major labs growing ~3x a year (Epoch AI 2025, range 2–4x);
# frontier training cost growing 2.4x a year (Cottier et al. 2024, 90 % CI 2.0–2.9x).

# %%
spend0 = shift.IndustrySpend()
t_ind = float(shift.industry_crossover_years(spend0))
fastest = float(shift.industry_crossover_years(spend0._replace(inference_growth=4.0, training_growth=2.0)))
slowest = float(shift.industry_crossover_years(spend0._replace(inference_growth=2.0, training_growth=2.9)))
already = float(shift.industry_crossover_years(shift.IndustrySpend(4e9, 3e9)))
yrs = np.linspace(0, 8, 33)
lo_i, hi_i = shift.INFERENCE_GROWTH_RANGE
lo_t, hi_t = shift.TRAINING_GROWTH_RANGE
industry = pd.concat([
    pd.DataFrame({"x": 2024 + yrs, "y": spend0.inference_usd0 * 3.0**yrs, "low": spend0.inference_usd0 * lo_i**yrs,
                  "high": spend0.inference_usd0 * hi_i**yrs, "series": "inference (3x/yr, 2-4x)"}),
    pd.DataFrame({"x": 2024 + yrs, "y": spend0.training_usd0 * 2.4**yrs, "low": spend0.training_usd0 * lo_t**yrs,
                  "high": spend0.training_usd0 * hi_t**yrs, "series": "training (2.4x/yr, 2.0-2.9x)"}),
], ignore_index=True)
industry[["y", "low", "high"]] = industry[["y", "low", "high"]].map(lambda v: float(f"{v:.4g}"))
print(f"crossover {t_ind:.1f} years after 2024 (range {fastest:.1f} to {'never' if np.isinf(slowest) else f'{slowest:.1f}'}); "
      f"with The Information's split: {already:g} (already past)")
charts.series_band_chart(industry, "year", "yearly compute spend (USD)", log_y=True, x_format="d", y_format="$~s",
                         series_title="spend on", rules=pd.DataFrame({"x": [round(2024 + t_ind, 3)], "label": [f"{2024 + t_ind:.1f}"]}),
                         finding=f"On Epoch's estimates, yearly inference spend passes training around {2024 + t_ind:.0f}")

# %% [markdown]
# **Takeaway:** on Epoch's split and growth rates inference spend passes training spend about four
# years after 2024, but the ranges allow anything from about a year to never, and on The
# Information's split it has already happened: the industry crossover is not known to better than
# that.

# %% [markdown]
# ## 8. Explore
#
# The panel starts at this notebook's numbers (Llama-3-70B-sized dense model, D = 1.5e13, 1e13
# tokens in year 0 growing 3x, the fixed-model cost decline, utilisation 1). Move the utilisation,
# the cost decline, the chips and their prices; a loss at or below $E = 1.69$ or zero demand shows
# a message instead. (Needs a live kernel.)

# %% tags=["nbval-ignore-output"]
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
from workbook.ui import ShiftPanel

panel = ShiftPanel(chip_ids=[H100, "google_tpu_v6e", "nvidia_b200_hgx", "amd_mi300x"], n_params=N, n_tokens=D,
                   tokens_per_year0=1e13, demand_growth=2.0, price_decline=round(decline, 2), target_loss=loss_target)
display(panel.widget)

# %% [markdown]
# ## Exercises
#
# 1. A retrieval workload reads 8,192 prompt tokens and writes 256. After how many lifetime output
#    tokens does inference match training compute for $D = 1.5\times10^{13}$?
# 2. The H100s serve only 40 % of the hours they are paid for. What is the cost per million output
#    tokens, and how many output tokens until serving passes the training bill?
# 3. Epoch's fast end is 900x a year at fixed capability. What model shrink does that imply, and
#    how many years until a *fixed* 70B model's serving cost falls 900x?

# %% [markdown]
# **Solution 1.** $r = 32$, so $T^* = 3D/33$:

# %% tags=["solution"]
ex1 = shift.compute_crossover_tokens(D, 8192, 256)
print(f"T* = {ex1.output_tokens:.3g} output tokens = {ex1.output_tokens / D:.3f} D (with {ex1.input_tokens:.3g} prompt tokens)")

# %% [markdown]
# **Solution 2.** Cost per served token is $c/u$; the crossover shrinks by the same factor:

# %% tags=["solution"]
c40 = float(shift.usd_per_million_tokens_at_utilisation(cost.usd_per_million_output_tokens, 0.4))
ex2 = shift.dollar_crossover_tokens(K, cost._replace(usd_per_million_output_tokens=c40), T_IN, T_OUT)
print(f"${c40:.3f} per M output tokens; crossover after {ex2.output_tokens:.3g} output tokens ({ex2.output_tokens / D:.2f} D)")

# %% [markdown]
# **Solution 3.** The model shrink is $F/(hs)$; a fixed model needs $\ln 900 / \ln(hs)$ years:

# %% tags=["solution"]
hs = shift.CostTrend().hardware_gain * shift.CostTrend().software_gain
ex3_shrink = float(shift.implied_model_shrink(900))
ex3_years = np.log(900) / np.log(hs)
print(f"model shrink {ex3_shrink:.0f}x per year; a fixed model takes {ex3_years:.1f} years to get 900x cheaper")

# %% [markdown]
# ## Claims, checked (nbval fails if one stops being true)

# %% tags=["checks"]
# section 1: compute crossover by hand, 3D/(1+r) = 0.6 D; dollars after compute at batch 64 (every MFU)
assert abs(comp.output_tokens - 0.6 * D) < 1e-6 * D
assert all(share_usd[m][i] < share_compute[i] for m in share_usd for i in range(len(ratio)))
assert all(0.7 < k * 1e6 / cost.usd_per_million_output_tokens / D < 1.05 for k in k_mfu.values())
assert 0.75 < dollar.output_tokens / D < 0.95
assert 0.6 < usd_per_served_flop / usd_per_training_flop < 0.8
assert 0.15 < cost.usd_per_million_input_tokens / cost.usd_per_million_decode_tokens < 0.25  # "about a fifth"
# whole chips: the same $/M as notebooks 01/02
assert abs(cost.usd_per_million_output_tokens / float(nb01["usd_per_million_tokens"][0]) - 1) < 1e-4 and cost.chips == 2
# where it stops: at batch <= 16 the dollar crossover comes first, at >= 64 after
bb = by_batch.set_index("batch")["dollar crossover / D"]
assert all(bb[b] < 0.6 for b in (1, 8, 16)) and all(bb[b] > 0.6 for b in (64, 128)) and abs(bb[32] - 0.6) < 0.1
# section 2: break-even utilisation ~0.68; owning dearer than on-demand below it; ranges straddle
assert 0.6 < u_star < 0.75 and 0.25 < tco_range[0] / chip.price < 0.4 and tco_range[1] / chip.price > 1
assert float(util[util.series.str.startswith("owned")].query("x < 0.31 and x > 0.29")["y"].iloc[0]) > 2 * per_hour * chip.price
# section 3: crossover between 1 and 1.5 years
assert 0.75 < t_star < 1.5  # "about a year"
# section 4: fixed model ~8x in 3 years (3x-40x); capability 64,000x; shrink ~20x/yr
assert 6 < c0 / fixed["mid"][-1] < 10 and c0 / fixed["lo"][-1] > 2.5 and c0 / fixed["hi"][-1] < 45
assert abs(c0 / capability[40][-1] - 64000) < 1 and 15 < shrink < 25
# section 5: dollar optimum between the two FLOP optima at every T (band included)
for T_life in T_grid:
    at = sizes[sizes.x == T_life].set_index("series")
    d_row = at.loc["dollar-optimal, H100 (prompts priced)"]
    assert at.loc["FLOP-optimal, prompts counted (Sardana)", "y"] < d_row["low"] <= d_row["high"] < at.loc["FLOP-optimal, output tokens only", "y"]
# Sardana et al. (2024): l = 1.947, T = 2e12 -> N = 2.418e10, D = 2.657e12; Chinchilla-style above all
n_s, d_s = inference_aware_optimum(SARDANA_2024, 1.947, 2e12)
assert abs(float(n_s) / 2.418e10 - 1) < 2e-3 and abs(float(d_s) / 2.657e12 - 1) < 2e-3
assert (sizes.y <= n_chin * 1.001).all()
# section 6: growth or year-0 demand swings most; the H100 price not at all
assert tornado.iloc[0]["input"].startswith("year-0 tokens"), tornado.iloc[0]["input"]
middle = tornado[tornado.input.str.startswith(("serving batch", "cost decline", "utilisation", "demand growth"))]
assert len(middle) == 4 and middle.swing.between(0.3, 1.5).all() and set(tornado.iloc[1:5].input) == set(middle.input)
assert tornado.set_index("kind").loc["reported", "swing"] < 1e-3 and tornado.iloc[-1]["kind"] == "reported"
# section 7: ~4.1 years; range from ~1.3 years to never; The Information's split already past
assert abs(t_ind - np.log(2.5) / np.log(1.25)) < 1e-3 and fastest < 1.5 and np.isinf(slowest) and already == 0
# exercises
assert abs(ex1.output_tokens - 3 * D / 33) < 1e-6 * D and abs(ex2.output_tokens - 0.4 * dollar.output_tokens) < 1e-6 * D
assert 400 < ex3_shrink < 500 and 9 < ex3_years < 11
print("all claims hold")
