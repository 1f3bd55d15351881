# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Decentralised GPU networks in the market for inference
#
# **Question.** Networks such as io.net, Akash and Render rent out consumer and workstation GPUs
# (RTX 4090s in gaming PCs, ex-mining farms) at a fraction of datacentre prices. Which inference
# work can they win, at what price, utilisation and margin? And what happens to them as the
# hyperscalers' custom silicon makes *their* tokens cheaper?
#
# **You will learn to**
# * price a token on each supplier's chip with the workbook's core model, and see why a 70B model
#   on consumer cards is slow (no NVLink) while an 8B model is cheap;
# * solve a small partial equilibrium: demand by workload class, supply by supplier class, prices
#   that clear it;
# * read utilisation and margins off it, and compute with `jax.grad` how the decentralised price
#   moves when the hyperscalers' cost falls;
# * tell which numbers are measured, which reported and which assumed (most of them, with ranges).

# %%
import altair as alt
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from IPython.display import display

from workbook import catalog
from workbook.econ import market as mk
from workbook.ui import charts, memory

_ = alt.renderers.enable("svg")
charts.enable_offline()  # the panel's interactive charts: the Vega bundle is inlined (cached on disk)
table = mk.market_table()
chips = {s: str(table[f"{s}.chip_id"].value) for s in mk.SUPPLIERS}
LABEL = mk.SUPPLIER_LABELS
rows = ["decentralized.capacity_chips", "observed.rtx_4090_rental_usd_per_hour", "observed.a100_80gb_rental_usd_per_hour",
        "observed.h100_marketplace_usd_per_hour", "observed.akash_gpu_utilisation", "observed.io_net_provider_utilisation"]
pd.set_option("display.max_colwidth", 90)
pd.DataFrame([{"number": k, "value": table[k].value, "range": f"{table[k].low:g}-{table[k].high:g}", "unit": table[k].unit,
               "status": table[k].status, "source": table[k].source[:90], "date": table[k].date} for k in rows])

# %% [markdown]
# These are the market's anchors: what a GPU-hour rents for on the marketplaces and how big and
# busy the networks are, as reported (io.net's own count of over a million GPUs is left out: an
# independent check found a few hundred rentable). Everything else the model needs — capacities,
# ownership costs, elasticities, demand — is in `workbook/data/market.csv`, almost all labelled
# **assumption** with a range.
#
# ## 1. What a token costs on each supplier's chip
#
# Three supplier classes, each with its typical chip: **hyperscalers** with custom silicon
# (TPU v6e), **NVIDIA clouds and neoclouds** (H100 SXM in NVLink servers), **decentralised
# networks** (RTX 4090, PCIe between the cards of one host, the internet between hosts). Three
# workload classes: a **small** model (Llama-3.1-8B, batch 16) that fits on one consumer card,
# interruption-tolerant **batch** jobs on a 70B model (batch 64), and **latency-critical** 70B
# serving (batch 16, at most 50 ms per output token, an assumption with range 30–100 ms).
#
# The core model gives chip-hours per million output tokens $h_{sj}$ on whole chips; times the
# full cost of a chip-hour $c_s$ (ownership cost per hour at full use,
# $\mathrm{capex}\cdot\mathrm{CRF}/8760 + P\cdot\mathrm{draw}\cdot\mathrm{PUE}\cdot\$/\mathrm{kWh}$) it is the cost per token.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
hw = mk.market_hardware(table)
cost_h = mk.unit_costs(table)
per_token = pd.DataFrame([{"category": mk.WORKLOAD_LABELS[j], "group": LABEL[s], "value": float(cost_h[a] * hw.hours[a, b]),
                           "chips per replica": int(hw.chips[a, b]), "ms per output token": 1e3 * float(hw.tpot_s[a, b]),
                           "offered": bool(hw.offered[a, b] > 0.5)}
                          for b, j in enumerate(mk.WORKLOADS) for a, s in enumerate(mk.SUPPLIERS)]).round(4)
print("full cost per chip-hour: " + ", ".join(f"{s} ({chips[s]}) ${c:.3f}" for s, c in zip(mk.SUPPLIERS, cost_h)))
display(per_token)
charts.grouped_bar_chart(per_token[per_token.offered], "full cost, USD per M output tokens", log=True,
                         group_title="supplier class", category_title="workload", value_format="$~g",
                         finding="Consumer GPUs are cheap on small models, dear on 70B ones and too slow for latency-critical 70B")

# %% [markdown]
# **Takeaway:** at cost, an RTX 4090 serves the small model cheapest of the three (its hour costs
# about a seventh of an H100's, its tokens per hour about a fifth). A 70B model
# needs 4 to 8 cards talking over PCIe, takes over ten times the chip-hours per token of an H100
# and, at about 100 ms per token (twice the 50 ms limit; the top of its 30–100 ms range), misses it: the latency-critical class is not offered
# by RTX 4090s at all (the missing bar; exercise 3 asks whether an RTX 5090 changes that).

# %% [markdown]
# ## 2. The market
#
# **Demand.** Buyers of workload $j$ pay $p_s h_{sj}$ per million tokens to supplier $s$ (price per
# chip-hour times chip-hours) but rank suppliers by the uptime-adjusted price
# $e_{sj} = p_s h_{sj} / a_s^{k_j}$ ($a_s$ uptime: 0.999 for clouds, 0.93 for marketplaces, reported;
# $k_j$ aversion to downtime, an assumption: 3 small, 1 batch, 20 latency-critical), and split
# with a CES rule of substitution elasticity $\theta = 4$ (assumption, 2–8):
# $\sigma_{sj} \propto e_{sj}^{-\theta}$. The class buys $Q_j = Q_{0j}(P_j/P_{0j})^{-\varepsilon_j}$
# tokens a year at the price index $P_j = (\sum_s e_{sj}^{-\theta})^{-1/\theta}$.
#
# **Supply.** Class $s$ owns $K_s$ chips; owners' reservation prices spread around the full cost
# $c_s$, so the share of capacity sold is $u_s = 1/(1 + (p_s/c_s)^{-\eta_s})$ (the utilisation).
#
# **Equilibrium.** $\sum_j Q_j \sigma_{sj} h_{sj}/a_s = 8760\,K_s\,u_s(p_s)$ for each $s$, solved by
# Newton's method; the margin over the full cost of a used hour is $1 - c_s/(u_s p_s)$.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
params = mk.market_params(table)
eq = mk.equilibrium_checked(params, hw)
observed = {"neocloud": table["observed.h100_marketplace_usd_per_hour"], "decentralized": table["observed.rtx_4090_rental_usd_per_hour"]}
result = pd.DataFrame([{"supplier class": LABEL[s], "chip": chips[s], "price USD/chip-h": float(eq.price[a]),
                        "full cost USD/chip-h": float(cost_h[a]), "utilisation": float(eq.utilisation[a]),
                        "margin": float(eq.margin[a]),
                        "observed price": f"{observed[s].low:g}-{observed[s].high:g}" if s in observed else "not public"}
                       for a, s in enumerate(mk.SUPPLIERS)]).round(3)
supplied = np.asarray(params.capacity_chips) * mk.HOURS_PER_YEAR * np.asarray(eq.utilisation)
print(f"market clears: chip-hours demanded / supplied = {np.round(np.asarray(eq.chip_hours) / supplied, 6)}")
display(result)
shares = pd.DataFrame([{"category": mk.WORKLOAD_LABELS[j], "group": LABEL[s], "share": float(eq.share[a, b])}
                       for b, j in enumerate(mk.WORKLOADS) for a, s in enumerate(mk.SUPPLIERS)]).round(4)
charts.stacked_share_chart(shares, group_title="supplier class", category_title="workload",
                           finding="Consumer GPUs sell about a quarter of the small-model tokens and almost none of the 70B ones")

# %% [markdown]
# **Takeaway:** the demand levels are calibrated (and labelled so) to put the H100 and RTX 4090
# prices inside their observed ranges; given that, the model says decentralised networks sell
# about a quarter of the small-model tokens, a sliver of the 70B batch tokens and none of the
# latency-critical ones, with their GPUs about three-quarters busy (Akash reported 52 % in Q3 2025,
# io.net claims 40–70 %) and a high margin over a consumer card's low full cost.

# %% [markdown]
# ## 3. Custom silicon gets cheaper
#
# Scale the hyperscalers' cost per chip-hour by $\lambda$ from 1 down to 0.3 (a TPU or Trainium
# generation that cuts their cost per token) and solve again. The bands are the 10th–90th
# percentiles over 48 draws of every ranged input of `market.csv` (log-uniform within its range).

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
factors = np.round(np.linspace(1.0, 0.3, 15), 4)
sweep = mk.hyperscaler_cost_sweep(params, hw, factors)
bands = mk.hyperscaler_cost_sweep_bands(mk.sampled_params(48, seed=0, table=table), hw, factors)
resp = mk.decentralized_price_response(params, hw)


def along(key, scale=1.0):
    return pd.concat([pd.DataFrame({"x": factors, "y": scale * sweep[key][:, a], "low": scale * bands[key][0, :, a],
                                    "high": scale * bands[key][2, :, a], "series": LABEL[s]})
                      for a, s in enumerate(mk.SUPPLIERS)], ignore_index=True).round(5)


print(f"{bands['cleared']} of 48 draws clear at every factor")
print(f"elasticity d ln p_dec / d ln c_hyp = {resp['elasticity']:.3f} (jax.grad through the equilibrium); "
      f"d(decentralised $/M) / d(hyperscaler cost $/M), small model = {resp['d_price_decentralized_d_hyperscaler_cost']:.2f}")
charts.series_band_chart(along("price"), "hyperscalers' cost per chip-hour (x today)", "equilibrium price (USD per chip-hour)",
                         log_y=True, x_format="~g", y_format="$~g", series_title="supplier class",
                         finding="Cheaper custom silicon lowers every class's price, the consumer GPUs' less than in proportion")

# %% [markdown]
# **Takeaway:** as the hyperscalers' cost falls, every class's price falls with it, in the
# central case and across the bands. The decentralised price falls about half as fast in
# percentage terms (elasticity about 0.5, between 0 and 1 as a substitute that keeps some buyers
# the hyperscalers do not reach should): a 10 % cut in the hyperscalers' cost takes about 5 % off
# an RTX 4090's hourly rental.

# %% [markdown]
# **Who is squeezed?** The margin over the full cost of a used hour is $m = 1 - c_s/(u_s p_s)$;
# the chart shows revenue per used hour over its full cost, $u_s p_s / c_s = 1/(1-m)$, on a log
# scale: above 1 a class earns more than its hours cost, below 1 it loses money on them.

# %%
cover = along("margin")
cover[["y", "low", "high"]] = (1.0 / (1.0 - cover[["y", "low", "high"]])).round(4)
charts.series_band_chart(cover, "hyperscalers' cost per chip-hour (x today)", "revenue per used hour / its full cost",
                         log_y=True, x_format="~g", y_format="~g", series_title="supplier class",
                         finding="The H100 clouds fall below cost first; consumer GPUs stay above it longest")

# %% [markdown]
# **Takeaway:** the squeeze falls on the supplier closest to the hyperscalers' product: the H100
# clouds' revenue per used hour falls below its full cost once the hyperscalers' cost falls to
# about half of today's (between 0.45x and 0.55x; their utilisation falls too), while the decentralised networks, whose hours cost a seventh as
# much, stay above cost much longer: they fall below it only at the lowest factors of the sweep
# (about a third of today's cost). The bands are wide: over the ranges of the assumptions, the
# H100 clouds may stay above cost or be below it already today.

# %% [markdown]
# ## 4. Explore
#
# Move the hyperscalers' cost, the size, chip and uptime of the decentralised networks, the
# substitution between suppliers and the demand. Settings at which the market does not clear
# show a message instead of a chart. (Needs a live kernel.)

# %% tags=["nbval-ignore-output"]
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
from workbook.ui import MarketPanel

panel = MarketPanel()
display(panel.widget)

# %% [markdown]
# ## Exercises
#
# 1. The decentralised networks double to 40,000 GPUs. What happens to their price and utilisation?
# 2. Would a better uptime (up to 99.5 %) let the decentralised networks sell the largest share of
#    small-model tokens?
# 3. Swap the RTX 4090 for an RTX 5090 (32 GB, more bandwidth). Can consumer cards then serve the
#    latency-critical 70B class?

# %% [markdown]
# **Solution 1.** More supply at the same demand: the price falls, and so does the share of the
# (larger) capacity that is sold.

# %% tags=["solution"]
bigger = params._replace(capacity_chips=params.capacity_chips.at[2].multiply(2.0))
eq2 = mk.equilibrium_checked(bigger, hw)
print(f"price ${float(eq.price[2]):.3f} -> ${float(eq2.price[2]):.3f} per GPU-hour; utilisation "
      f"{float(eq.utilisation[2]):.0%} -> {float(eq2.utilisation[2]):.0%}")

# %% [markdown]
# **Solution 2.** No. Raise the uptime step by step: buyers move to the networks and bid up the
# price of their 20,000 GPUs, so the share grows only by a few points (printed below) and never
# becomes the largest: capacity, not reliability, caps it.

# %% tags=["solution"]
needed, share_by_uptime = None, {}
for up in np.round(np.arange(0.93, 0.9951, 0.005), 3):
    e = mk.equilibrium_checked(params._replace(uptime=params.uptime.at[2].set(up)), hw)
    share_by_uptime[float(up)] = (float(e.share[2, 0]), float(e.price[2]))
    if needed is None and int(np.argmax(np.asarray(e.share[:, 0]))) == 2:
        needed = float(up)
print(f"uptime 0.93: share {share_by_uptime[0.93][0]:.0%} at ${share_by_uptime[0.93][1]:.3f}/h; uptime 0.995: share "
      f"{share_by_uptime[0.995][0]:.0%} at ${share_by_uptime[0.995][1]:.3f}/h; largest share reached: {needed is not None}")

# %% [markdown]
# **Solution 3.** Ask the core model for the 70B replica on RTX 5090s:

# %% tags=["solution"]
hw5090 = mk.market_hardware(table, chip_ids={"decentralized": "nvidia_rtx_5090"})
print(f"RTX 5090: {int(hw5090.chips[2, 2])} cards, {1e3 * float(hw5090.tpot_s[2, 2]):.0f} ms per output token "
      f"(limit {1e3 * float(table['large.tpot_limit_s'].value):.0f} ms): "
      f"{'offered' if float(hw5090.offered[2, 2]) > 0.5 else 'still not offered'}")

# %% [markdown]
# ## Claims, checked (nbval fails if one stops being true)

# %% tags=["checks"]
S, J = {s: a for a, s in enumerate(mk.SUPPLIERS)}, {j: b for b, j in enumerate(mk.WORKLOADS)}
h = np.asarray(hw.hours)
# section 1: a consumer card's hour costs about a seventh of an H100's; on the small model its cost per token
# is the lowest (a fifth of an H100's tokens per hour); on 70B batch >10x the chip-hours of an H100; too slow
assert 5 < cost_h[S["neocloud"]] / cost_h[S["decentralized"]] < 9
small = per_token[per_token.category == mk.WORKLOAD_LABELS["small"]].set_index("group")["value"]
assert small[LABEL["decentralized"]] < small.drop(LABEL["decentralized"]).min()
assert 0.15 < h[S["neocloud"], J["small"]] / h[S["decentralized"], J["small"]] < 0.25  # "about a fifth"
assert h[S["decentralized"], J["batch"]] > 10 * h[S["neocloud"], J["batch"]]
assert float(hw.offered[S["decentralized"], J["large"]]) == 0.0 and 0.08 < float(hw.tpot_s[2, 2]) < 0.12  # "about 100 ms"
assert 4 <= int(hw.chips[2, 1]) <= 8 and 4 <= int(hw.chips[2, 2]) <= 8
# section 2: the market clears; calibrated prices in their observed ranges; shares as stated
assert np.allclose(np.asarray(eq.chip_hours) / supplied, 1.0, atol=1e-4)
for s, row in observed.items():
    assert row.low <= float(eq.price[S[s]]) <= row.high, s
assert 0.15 < float(eq.share[2, 0]) < 0.4 and float(eq.share[2, 1]) < 0.05 and float(eq.share[2, 2]) == 0.0
assert 0.65 < float(eq.utilisation[2]) < 0.85 and float(eq.margin[2]) > 0.4
# section 3: every price falls along the sweep, central and band edges; elasticity in (0, 1), ~0.5
assert np.abs(sweep["excess_demand"]).max() < 1e-4 and bands["cleared"] >= 40
assert np.all(np.diff(sweep["price"], axis=0) < 0) and np.all(np.diff(bands["price"], axis=1) < 0)
assert 0.35 < resp["elasticity"] < 0.7
h_ = 0.02
fd = (np.log(float(mk.equilibrium(params._replace(hyperscaler_cost_factor=jnp.float32(np.exp(h_))), hw).price[2]))
      - np.log(float(mk.equilibrium(params._replace(hyperscaler_cost_factor=jnp.float32(np.exp(-h_))), hw).price[2]))) / (2 * h_)
assert abs(resp["elasticity"] / fd - 1) < 0.02
# margins: neocloud turns negative between 0.45x and 0.55x; decentralised much later (<= 0.4x), if at all
m = sweep["margin"]
first_negative = factors[np.argmax(m[:, 1] < 0)]
assert m[0, 1] > 0 and 0.45 <= first_negative <= 0.55
assert np.all(m[factors >= 0.4, 2] > 0) and np.all(m[m[:, 1] >= 0, 2] > 0)
assert np.all(np.diff(sweep["utilisation"][:, 1]) < 0)
# the neocloud band straddles 1 today and at 0.7x (the takeaway says so); the chart is the margin transformed
k07 = int(np.argmin(np.abs(factors - 0.7)))
assert bands["margin"][0, 0, 1] < 0 < bands["margin"][2, 0, 1] and bands["margin"][0, k07, 1] < 0 < bands["margin"][2, k07, 1]
assert np.allclose(cover[cover.series == LABEL["neocloud"]]["y"], 1 / (1 - m[:, 1]), rtol=1e-3)
# exercises
assert float(eq2.price[2]) < float(eq.price[2]) and float(eq2.utilisation[2]) < float(eq.utilisation[2])
assert needed is None and share_by_uptime[0.995][0] > share_by_uptime[0.93][0] and share_by_uptime[0.995][1] > share_by_uptime[0.93][1]
assert share_by_uptime[0.995][0] - share_by_uptime[0.93][0] < 0.15 and share_by_uptime[0.995][0] < 0.5
assert (float(hw5090.offered[2, 2]) == 1.0) == (float(hw5090.tpot_s[2, 2]) <= float(table["large.tpot_limit_s"].value))
assert float(hw5090.tpot_s[2, 2]) < float(hw.tpot_s[2, 2])  # the 5090 is faster than the 4090
print("all claims hold")
