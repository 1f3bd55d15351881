# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Negotiating with chip suppliers
#
# **Question.** How much is each alternative to NVIDIA — Google's TPUs, AWS Trainium, Microsoft's
# Maia 200, a start-up chip such as Fractile, a decentralized GPU marketplace — worth to an AI lab,
# both at the bargaining table (a lower NVIDIA price) and in its sourcing portfolio (a cheaper,
# safer mix)? Which porting effort buys the most?
#
# Everything here is a **scenario**: chip prices are dated catalog inputs (their status and source
# are shown), the industry facts are *reported* (dated), and the lab's parameters are labelled
# **assumptions**. Change them in the panel at the end.

# %% [markdown]
# ## Model
#
# **Cost per token from the core model.** The same model (Llama-3-70B, FP8, B = 64, 2,048-token
# prompts, 512 output tokens) runs on every chip with calibrated efficiencies; the serving cost is
# linear in the chip's rental price, `cost_i = price_i · u_i` (USD per million output tokens).
#
# **Effective cost after porting** (Klemperer 1987), with performance ratio `η_i`, one-off porting
# cost `K_i`, demand `Q` (M tokens / year), contract `Y` years starting in year `t0`, delivery year
# `t_i`:
#
#     a_i = clip((t0 + Y − t_i) / Y, 0, 1)           fraction of the contract it can deliver
#     f_i = a_i · cap_i                               capacity, fraction of demand
#     e_i = price_i · u_i / η_i + K_i / (Q · Y · min(f_i, 1))
#
# **Threat of replacement** (Ho & Lee 2019): demand the rival cannot cover or fails to deliver
# (probability `1 − p_i`) costs the lab its value `v`, so `cap_i = v − p_i f_i (v − e_i)`; the
# outside option is `o = min(v, cap_i)` over alternatives on the table.
#
# **Negotiated price** (Nash; Binmore–Shaked–Sutton): NVIDIA's list cost is `p_N` (best NVIDIA
# part), its unit cost `c = κ p_N`, the lab's value `v = m p_N`, NVIDIA's weight `β = 1 − w_lab`:
#
#     deal-me-out:           P = max(c, min(o, c + β (v − c)))
#     split-the-difference:  P = max(c, c + β (o − c))
#
# `max`/`min` are smoothed with temperature τ = 0.005 USD/M tokens for gradients (τ = 0 is sharp).
# **Leverage** of alternative `i` = `P(without i) − P(with all)` ≥ 0. **Portfolio**: shares
# minimising `E[C] + λ CVaR_0.95[C]` (Rockafellar & Uryasev 2000), NVIDIA at the negotiated price.

# %%
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import altair as alt
from IPython.display import display

from workbook import catalog
from workbook.econ import bargaining, sourcing as so
from workbook.ui import SourcingPanel

alt.renderers.enable("svg")        # static charts: offline, deterministic
alt.JupyterChart.enable_offline()  # interactive charts: the Vega bundle is inlined, no CDN
pd.set_option("display.width", 140)
lab = so.Lab()

# %% [markdown]
# ## Textbook anchors
#
# Before the scenario, the two bargaining results the model rests on, with published numbers:
# Rubinstein's first-proposer share `(1 − δ2) / (1 − δ1 δ2)`, and the two outside-option rules on a
# pie of 7 (Binmore, *Fun and Games*, ch. 16).

# %%
rub = {(d1, d2): float(bargaining.rubinstein_share(d1, d2)) for d1, d2 in [(0.9, 0.9), (0.9, 0.8), (0.8, 0.9), (0.99, 0.99)]}
for (d1, d2), x in rub.items():
    print(f"Rubinstein share, delta = ({d1}, {d2}): {x:.6f}")
outside = pd.DataFrame({"w": [0.0, 2.0, 4.0]})
outside["deal-me-out"] = [float(bargaining.deal_me_out_payoff(7.0, w, temperature=0.0)) for w in outside.w]
outside["split-the-difference"] = [float(bargaining.split_the_difference_payoff(7.0, w)) for w in outside.w]
outside.round(4)

# %% [markdown]
# **Takeaway:** under deal-me-out an outside option is worth nothing until it beats the bargained
# share, then every unit counts; under split-the-difference every unit counts from the start.
#
# ## The suppliers, from the core model
#
# Each alternative's cost per token comes from the serving model; the lab's terms (η, porting
# cost, capacity, delivery probability) are assumptions, noted per supplier.

# %%
market = so.build_market("+ Fractile in 2027 (claims hold)")
eff = np.asarray(so.effective_costs(market, lab))
t = market.terms
suppliers = pd.DataFrame({
    "supplier": [so.ALTERNATIVE_NAMES[a] for a in so.ALTERNATIVES],
    "chip": [catalog.chip_info(so.ALTERNATIVE_CHIPS[a])["name"][:24] for a in so.ALTERNATIVES],
    "USD/chip-h": np.asarray(t.price),
    "price status": [catalog.chip_entry(so.ALTERNATIVE_CHIPS[a]).numbers["price"].status
                     if a != "gpu_marketplace" else "assumption" for a in so.ALTERNATIVES],
    "USD/M tok": np.asarray(t.price * market.unit_cost),
    "eta": np.asarray(t.eta), "porting M USD": np.asarray(t.porting_cost) / 1e6,
    "capacity": np.asarray(t.capacity), "P(delivery)": np.asarray(t.delivery_probability),
    "from": np.asarray(t.available_from_year).astype(int), "e USD/M tok": eff,
})
p_n = float(market.incumbent_list_cost)
print(f"NVIDIA list cost p_N = {p_n:.4f} USD / M tokens (best of H100, H200, B200, Rubin at catalog prices)")
suppliers.round(3)

# %%
for a in so.ALTERNATIVES:
    print(f"{so.ALTERNATIVE_NAMES[a]}: {so.TERM_NOTES[a]}")

# %% [markdown]
# ## Scenario presets
#
# Each preset puts a set of alternatives on the table, following dated public reporting (below).

# %%
rows = []
for name, preset in so.SCENARIOS.items():
    m = so.build_market(name)
    rows.append({"scenario": name,
                 "P deal-me-out": float(so.negotiated_nvidia_price(m, lab)),
                 "P split-the-diff": float(so.negotiated_nvidia_price(m, lab, "split-the-difference")),
                 "P / p_N": float(so.negotiated_nvidia_price(m, lab)) / p_n})
scenarios = pd.DataFrame(rows)
for name, preset in so.SCENARIOS.items():
    print(f"{name}: {preset['facts']}")
scenarios.round(4)

# %% [markdown]
# **Takeaway:** with these assumptions the TPU deal alone moves NVIDIA's price (see `P / p_N`: a drop of
# well over 5% under deal-me-out); Maia 200, Fractile and a GPU marketplace add no further leverage, because their
# capacity or delivery risk makes them weaker threats than a full-capacity TPU alternative. Under
# split-the-difference the TPU deal moves the price much more (the outside option is the disagreement
# point), but still only the single best alternative counts.
#
# ## The kink: when the outside option binds

# %%
i_tpu = so.ALTERNATIVES.index("tpu_ironwood")
costs = jnp.linspace(0.05, 2.5, 120) * p_n
frames = []
for rule in ("deal-me-out", "split-the-difference"):
    for label, tau in (("sharp", 0.0), ("smooth τ=0.02", 0.02)):
        y = np.asarray(so.price_vs_effective_cost(market, lab, i_tpu, costs, rule, tau))
        frames.append(pd.DataFrame({"e": np.asarray(costs), "price": y, "curve": f"{rule}, {label}"}))
kink = pd.concat(frames).round(5)
e_tpu = float(eff[i_tpu])
alt.layer(
    alt.Chart(kink).mark_line().encode(
        x=alt.X("e:Q", title="Ironwood effective cost e (USD / M tokens)"),
        y=alt.Y("price:Q", title="NVIDIA negotiated price (USD / M tokens)", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", title=None), strokeDash=alt.StrokeDash("curve:N", legend=None)),
    alt.Chart(pd.DataFrame({"e": [e_tpu]})).mark_rule(color="gray").encode(x="e:Q"),
).properties(width=460, height=280)

# %% [markdown]
# The grey rule is Ironwood's effective cost today. Under deal-me-out the price is flat at the Nash
# price `c + β(v − c)` until the TPU's cap `v − p f (v − e)` falls below it, then falls with slope
# `p f = 0.9`; the smooth curve rounds the corner so `jax.grad` is informative there.
#
# **Takeaway:** a better alternative lowers NVIDIA's price only past the kink under deal-me-out, but
# everywhere (at half the rate, β = 0.5) under split-the-difference.
#
# ## Sensitivities: what moves NVIDIA's price?
#
# Elasticities `d log P / d log x` by `jax.grad` through the whole chain (core-model cost → porting →
# threat of replacement → bargaining), for every alternative on the table.

# %%
el = so.price_elasticities(market, lab)
sens = pd.DataFrame([{"alternative": so.ALTERNATIVE_NAMES[a], "input": f,
                      "elasticity": float(getattr(el, f)[i])}
                     for i, a in enumerate(so.ALTERNATIVES) if float(market.present[i]) > 0
                     for f in so.SENSITIVITY_FIELDS]).round(4)
alt.Chart(sens).mark_bar().encode(
    x=alt.X("elasticity:Q", title="d log P / d log input"), y=alt.Y("input:N", title=None),
    color=alt.Color("input:N", legend=None), row=alt.Row("alternative:N", title=None),
).properties(width=320, height=90)

# %% [markdown]
# **Takeaway:** only the binding alternative (Ironwood) moves the price: a 1% better TPU delivery
# probability or η lowers NVIDIA's price by about 1%, while the other alternatives' elasticities are
# zero until they become the best outside option.
#
# ## Leverage and portfolio value of each alternative

# %%
ranking = pd.DataFrame(so.porting_value_ranking(market, lab))
value = ranking.melt(id_vars="name", value_vars=["leverage", "portfolio_value"], var_name="kind", value_name="usd_per_m")
value["usd_per_m"] = value["usd_per_m"].clip(lower=0.0).round(4)
chart_value = alt.Chart(value).mark_bar().encode(
    x=alt.X("usd_per_m:Q", title="USD per M tokens of demand"), y=alt.Y("name:N", title=None),
    color=alt.Color("kind:N", title="value as"), yOffset="kind:N",
).properties(width=380, height=220)
ranking[["name", "leverage", "portfolio_value", "value_musd", "porting_musd", "per_porting_dollar"]].round(3)

# %%
chart_value

# %% [markdown]
# Leverage is the drop in NVIDIA's negotiated price; portfolio value is the drop in the lab's
# mean-CVaR cost when the alternative joins the mix (NVIDIA at the negotiated price; small negative
# values are solver error of the fixed-step optimiser and count as zero). Both are
# multiplied by `Q · Y` and divided by the porting cost to rank porting efforts.
#
# **Takeaway:** porting to the TPU returns many dollars per porting dollar (over 5, see the table), mostly as
# leverage; Maia 200 earns a small portfolio value but no leverage, and the risky options earn little
# of either under these assumptions.
#
# ## Allocation as risk aversion rises

# %%
lams = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
names = ["NVIDIA"] + [so.ALTERNATIVE_NAMES[a] for a in so.ALTERNATIVES]
alloc = pd.DataFrame([{"lambda": lam, "supplier": n, "share": float(x)}
                      for lam in lams
                      for n, x in zip(names, np.asarray(so.allocation(market, lab._replace(risk_aversion=lam))))]).round(3)
alt.Chart(alloc).mark_bar().encode(
    x=alt.X("lambda:O", title="risk aversion λ"), y=alt.Y("share:Q", title="share of demand", stack="normalize"),
    color=alt.Color("supplier:N"),
).properties(width=320, height=240)

# %% [markdown]
# **Takeaway:** a risk-neutral lab gives each cheap, reliable alternative its full capacity; as λ
# rises the shares of unreliable suppliers shrink and NVIDIA (the most reliable) gains.
#
# ## Explore: the negotiation panel
#
# Pick a scenario and the supplier to edit, then move its η, price, capacity, porting cost and
# delivery probability, the lab's bargaining weight, risk aversion and NVIDIA's allocation.
# Infeasible settings (e.g. NVIDIA capacity too small to cover demand with nothing else on the
# table) show a red message.

# %% tags=["nbval-ignore-output"]
panel = SourcingPanel()
panel.widget

# %% [markdown]
# ## Exercises
#
# 1. How large would Maia 200's capacity have to be (other terms unchanged, TPU on the table) before
#    it becomes the binding alternative? Hint: compare its threat-of-replacement cap with the TPU's.
# 2. Under split-the-difference, how much more leverage does Fractile have if its claims hold than
#    if they halve?
# 3. Check one gradient: compare `price_sensitivities` for Ironwood's delivery probability with a
#    central finite difference.

# %% tags=["solution"]
# 1. Maia's cap v - p f (v - e) must fall below Ironwood's: f* = (v - cap_tpu) / (p (v - e))
v = lab.value_multiple * p_n
sup = so.alternative_suppliers(market, lab)
caps = np.asarray(bargaining.threat_of_replacement_cap(sup, v, 0.0))
i_maia = so.ALTERNATIVES.index("maia200")
a_maia = 1.0  # available from 2026: the whole contract
f_star = (v - caps[i_tpu]) / (float(t.delivery_probability[i_maia]) * (v - eff[i_maia]))
print(f"Maia 200 binds once its capacity exceeds {f_star / a_maia:.3f} of demand "
      f"(at p = {float(t.delivery_probability[i_maia]):.2f}); above 1 means never: raise its delivery probability too")

# %% tags=["solution"]
# 2. leverage of Fractile under split-the-difference, claims hold vs halve
i_fr = so.ALTERNATIVES.index("fractile")
lev_std = {name: float(so.leverage(so.build_market(name), lab, "split-the-difference")[i_fr])
           for name in ("+ Fractile in 2027 (claims hold)", "+ Fractile in 2027 (claims halve)")}
for name, x in lev_std.items():
    print(f"{name}: leverage {x:.5f} USD / M tokens")

# %% tags=["solution"]
# 3. gradient vs finite difference, Ironwood's delivery probability
g = float(so.price_sensitivities(market, lab).delivery_probability[i_tpu])
h = 0.01
def price_at(dp):
    dpr = t.delivery_probability.at[i_tpu].add(dp)
    return float(so.negotiated_nvidia_price(market._replace(terms=t._replace(delivery_probability=dpr)), lab))
fd = (price_at(h) - price_at(-h)) / (2 * h)
print(f"grad {g:.4f}, finite difference {fd:.4f} USD / M tokens per unit probability")

# %% [markdown]
# ## The notebook's claims, checked

# %%
# Rubinstein shares and the outside-option table (targets.md, "Negotiation and sourcing")
for key, want in {(0.9, 0.9): 0.526316, (0.9, 0.8): 0.714286, (0.8, 0.9): 0.357143, (0.99, 0.99): 0.502513}.items():
    assert abs(rub[key] - want) < 1e-5, key
assert outside["deal-me-out"].tolist() == [3.5, 3.5, 4.0]
assert outside["split-the-difference"].tolist() == [3.5, 4.5, 5.5]
P = scenarios.set_index("scenario")["P deal-me-out"]
assert P["NVIDIA + TPU + Trainium"] < 0.95 * P["NVIDIA only"]           # the TPU deal moves the price
assert all(P.iloc[k + 1] <= P.iloc[1] + 1e-6 for k in range(1, len(P) - 1))  # more options never raise it
assert abs(P["+ Fractile in 2027 (claims hold)"] - P["+ Maia 200 on Azure"]) < 1e-3  # no extra leverage
S = scenarios.set_index("scenario")["P split-the-diff"]
assert (S <= S["NVIDIA only"] + 1e-6).all()
# the kink: flat above, slope ~ p f below under deal-me-out
sharp = kink[kink.curve == "deal-me-out, sharp"]
assert sharp.price.diff().dropna().ge(-1e-5).all()
assert ranking.iloc[0]["alternative"] == "tpu_ironwood" and ranking.iloc[0]["per_porting_dollar"] > 5
nz = sens[sens.elasticity.abs() > 1e-3]
assert set(nz.alternative) == {so.ALTERNATIVE_NAMES["tpu_ironwood"]}
nv = alloc[alloc.supplier == "NVIDIA"].set_index("lambda")["share"]
assert nv[8.0] >= nv[0.0] - 1e-3
assert abs(g - fd) < 0.02 * abs(fd)
assert lev_std["+ Fractile in 2027 (claims hold)"] >= lev_std["+ Fractile in 2027 (claims halve)"] - 1e-6
print("all claims hold")
