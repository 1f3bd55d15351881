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
# **Question.** An AI lab buys most of its inference compute from NVIDIA. What price can it
# negotiate, and how much of that comes from its alternatives — Google's TPUs, AWS Trainium,
# Microsoft's Maia 200, a start-up chip such as Fractile, a decentralized GPU marketplace — rather
# than from renting NVIDIA at list? What do a chip shortage, risk aversion and a multi-year
# capacity commitment (Anthropic's reported 30 B USD on Azure) change?
#
# **You will learn to**
# * price a lab's **disagreement point** as its best *mix* of options without NVIDIA — renting
#   NVIDIA at list, every alternative with its capacity and delivery risk, the spot market — solved
#   as a mean-CVaR linear program to a certified tolerance;
# * split the surplus between that point and NVIDIA's own outside option (selling to other buyers
#   in a shortage) by Nash bargaining or Rubinstein's alternating offers, never above list;
# * see why an alternative that costs more than renting at list is worth something only in a shortage;
# * size a take-or-pay commitment for perishable compute with the critical fractile, and see what
#   it does to leverage.
#
# Everything is a **scenario**: chip prices are dated catalog inputs, industry facts are *reported*
# (dated), and the lab's parameters are labelled **assumptions** with a range (`LAB_NOTES`).

# %%
import altair as alt
import jax.numpy as jnp
import numpy as np
import pandas as pd

from workbook import catalog
from workbook.econ import bargaining, commitments as cm, portfolio, sourcing as so
from workbook.ui import SourcingPanel, charts, memory

_ = alt.renderers.enable("svg")    # static charts: offline, deterministic
charts.enable_offline()            # the panel's interactive charts: the Vega bundle is inlined (cached on disk)
pd.set_option("display.width", 150)
lab = so.Lab()
SCENARIO = "+ Fractile in 2027 (claims hold)"  # every alternative but the marketplace on the table
market = so.build_market(SCENARIO)
p_l = float(market.incumbent_list_cost)
for field, note in so.LAB_NOTES.items():
    print(f"{field} = {getattr(lab, field)}: {note}")

# %% [markdown]
# ## 1. Two textbook anchors
#
# Rubinstein's (1982) alternating offers give the first proposer the share
# $(1-\delta_2)/(1-\delta_1\delta_2)$ of the surplus; with an outside option $w$ on a pie of 7,
# Binmore's "deal-me-out" rule pays $\max(w, 3.5)$ and "split-the-difference" pays
# $w + (7-w)/2$ (Binmore, *Fun and Games*, 1992, ch. 16). The model below uses the second
# reading: the outside option **is** the disagreement point.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
rub = {(d1, d2): float(bargaining.rubinstein_share(d1, d2)) for d1, d2 in [(0.9, 0.9), (0.9, 0.8), (0.8, 0.9), (0.99, 0.99)]}
for (d1, d2), x in rub.items():
    print(f"Rubinstein first-proposer share, delta = ({d1}, {d2}): {x:.6f}")
outside = pd.DataFrame({"w": [0.0, 2.0, 4.0]})
outside["deal-me-out"] = [float(bargaining.deal_me_out_payoff(7.0, w, temperature=0.0)) for w in outside.w]
outside["split-the-difference"] = [float(bargaining.split_the_difference_payoff(7.0, w)) for w in outside.w]
outside.round(4)

# %% [markdown]
# ## 2. The options, priced by the core model
#
# Each chip serves the same workload (Llama-3-70B, FP8, batch 64, 2,048-token prompts, 512 output
# tokens) in the core model; its cost per million output tokens is linear in its rental price.
# Porting (Klemperer 1987) adds a performance loss $\eta_i$ and a one-off cost $K_i$ amortised over
# the discounted tokens the option serves, and an option that first delivers in year $t_i$ serves
# only the share $a_i$ of a $Y$-year contract's discounted demand (rate $r$):
#
# $$e_i = \frac{\text{price}_i\,u_i}{\eta_i} + \frac{K_i}{Q\,\frac{1-e^{-rY}}{r}\,\min(a_i\,\text{cap}_i,1)},\qquad
#   a_i = \frac{e^{-r\tau_i}-e^{-rY}}{1-e^{-rY}},\ \tau_i = \text{clip}(t_i - t_0, 0, Y).$$
#
# The chart puts every option in units of NVIDIA's **list price** $p_L$ (its cheapest part at catalog
# rental prices), next to two references: spot capacity bought ahead in a shortage, $\pi = 2p_L$, and
# demand a supplier fails to deliver, bought at short notice, $\pi_f = 2.5p_L$ (both assumptions).

# %%
eff = np.asarray(so.effective_costs(market, lab))
t = market.terms
avail = np.asarray(so.availability(market, lab))
options = pd.DataFrame({
    "option": [so.ALTERNATIVE_NAMES[a] for a in so.ALTERNATIVES],
    "USD/chip-h": np.asarray(t.price),
    "price status": [catalog.chip_entry(so.ALTERNATIVE_CHIPS[a]).numbers["price"].status
                     if a != "gpu_marketplace" else "assumption" for a in so.ALTERNATIVES],
    "eta": np.asarray(t.eta), "porting M USD": np.asarray(t.porting_cost) / 1e6,
    "capacity": np.asarray(t.capacity), "share of contract a": avail, "P(delivery)": np.asarray(t.delivery_probability),
    "e / p_L": eff / p_l,
})
print(f"NVIDIA list p_L = {p_l:.4f} USD per M output tokens (cheapest of H100, H200, B200, Rubin at catalog prices)")
ladder = pd.concat([
    pd.DataFrame({"category": options["option"], "group": "alternative (effective cost)", "value": eff / p_l}),
    pd.DataFrame({"category": ["NVIDIA at list (rental)", "spot, bought ahead", "shortfall, at short notice"],
                  "group": "reference", "value": [1.0, lab.spot_multiple, lab.shortfall_multiple]}),
]).sort_values("value").reset_index(drop=True)
beats_list = [n for n, x in zip(options["option"], eff / p_l) if x < 1.0]
beats_spot = [n for n, x in zip(options["option"], eff / p_l) if x < lab.spot_multiple]
names = lambda xs: " and ".join(xs) if xs else "no alternative"  # noqa: E731
charts.grouped_bar_chart(
    ladder.round(4), "cost per token, multiple of NVIDIA's list price p_L", value_format=".1f",
    group_title="kind", category_title="option",
    finding=f"Per token, {names(beats_list)} undercut{'s' if len(beats_list) == 1 else ''} renting NVIDIA at list; "
            f"{names(beats_spot)} undercut spot")

# %%
options.round(3)

# %% [markdown]
# **Takeaway:** the title names the alternatives cheaper per token than renting NVIDIA at list and
# those cheaper than spot. An alternative above the list line cannot improve on renting at list, so it
# adds leverage only when NVIDIA capacity is short and the lab's fallback becomes the spot market.
# Cheap is not enough either: capacity, delivery date and delivery risk decide how much it can carry.
#
# ## 3. The disagreement point: the lab's best mix without NVIDIA
#
# Without a deal the lab can rent NVIDIA at list up to the rental market's capacity, which a shortage
# $\sigma$ shrinks to $(1-\sigma)R$, use every alternative on the table up to its capacity, and buy
# the rest on the spot market. Each option $i$ delivers independently with probability $p_i$; what it
# fails to deliver costs $\pi_f$. Over the $2^n$ delivery scenarios $s$ with costs $C_s(x)$ the lab
# chooses shares $x$ minimising mean plus CVaR (Rockafellar & Uryasev 2000), a linear program:
#
# $$o = \min_{x,\,t,\,z}\ \frac{1}{1+\lambda}\Big(\mathbb E[C(x)] + \lambda\big(t + \tfrac{1}{1-\beta}\textstyle\sum_s p_s z_s\big)\Big)
#   \quad\text{s.t.}\ z_s \ge C_s(x) - t,\ z_s \ge 0,\ \textstyle\sum_i x_i = 1,\ 0 \le x_i \le \text{cap}_i.$$
#
# Dividing by $1+\lambda$ makes $o$ a certainty equivalent (a sure cost $k$ gives $o = k$). The solver
# follows the LP's central path (barrier method, Newton steps, float64) and reports a **certified
# duality gap**: the allocation's sharp objective minus a lower bound from a feasible dual point.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
dis = so.disagreement(market, lab)
mix = pd.DataFrame({"option": so.DISAGREEMENT_NAMES, "share": np.asarray(dis.shares)}).round(4)
o = float(dis.objective) / (1 + lab.risk_aversion)
print(f"shortage sigma = {lab.shortage}, risk aversion lambda = {lab.risk_aversion}: o = {o:.4f} USD / M tokens "
      f"= {o / p_l:.3f} p_L")
print(f"solver: converged {bool(dis.converged)}, duality gap {float(dis.duality_gap):.1e} USD / M tokens, "
      f"KKT residual {float(dis.kkt_residual):.1e} (tolerances: gap {portfolio.GAP_TOLERANCE:g} x cost scale, "
      f"KKT {portfolio.KKT_TOLERANCE:g})")
mix[mix.share > 1e-4]

# %% [markdown]
# ## 4. The negotiated price
#
# NVIDIA's unit cost is $c = \kappa p_L$ ($\kappa$ = 0.3, an assumption). In a shortage it sells the
# capacity it would sell the lab to other buyers at list on a share $\sigma$, so its **reservation
# price** is $r_N = c + \sigma(p_L - c)$. The lab's reservation price is $o$. The bargained price
# splits the surplus $o - r_N$ — NVIDIA's share $s$ is $1 - w_{lab}$ (Nash) or Rubinstein's
# first-proposer share — and can never exceed the list price, which NVIDIA offers anyone:
#
# $$P = \min\big(p_L,\ \max(r_N,\ r_N + s\,(o - r_N))\big).$$
#
# **Leverage** is the lab's discount off list, $p_L - P$, here in million USD over the contract.

# %%
volume = float(so.contract_volume(lab))
rows = []
for name in so.SCENARIOS:
    m = so.build_market(name)
    d = so.disagreement(m, lab)
    price = float(so.negotiated_nvidia_price(m, lab))
    used = [n for n, x in zip(so.DISAGREEMENT_NAMES[1:-1], np.asarray(d.shares)[1:-1]) if x > 1e-4]
    neutral_price = float(so.negotiated_nvidia_price(m, lab._replace(risk_aversion=0.0)))
    rows.append({"scenario": name, "P / p_L": price / p_l, "P / p_L if λ = 0": neutral_price / p_l,
                 "o / p_L": float(d.objective) / (1 + lab.risk_aversion) / p_l,
                 "leverage M USD": (p_l - price) * volume / 1e6, "alternatives in the lab's mix": ", ".join(used) or "none",
                 "converged": bool(d.converged)})
scenarios = pd.DataFrame(rows)
r_n = float(so.nvidia_reservation_price(market, lab))
print(f"NVIDIA's reservation price r_N = {r_n / p_l:.3f} p_L; Nash share s = {float(so.nvidia_share(lab)):.2f}")
for name, preset in so.SCENARIOS.items():
    print(f"{name}: {preset['facts']}")
scenarios.round(4)

# %% [markdown]
# **Takeaway:** at the default shortage ($\sigma$ = 0.2) and risk aversion ($\lambda$ = 0.5) NVIDIA's
# price sits well below list — the rental market still covers most demand — and a scenario lowers it
# further only if one of its alternatives enters the lab's mix: scenarios whose alternatives all stay
# out price exactly like "NVIDIA only" (the column names the alternatives used). Identical rows
# are a finding, not a bug: those alternatives are too dear, too small or too unreliable to improve on
# renting at list plus spot. A risk-neutral lab (column "λ = 0") gets more out of the same presets.
#
# ## 5. Shortage: when the alternatives start to matter
#
# As $\sigma$ rises NVIDIA's reservation price rises *and* the rental market empties, so the lab's
# fallback becomes the spot market. The chart follows the price from no shortage to full shortage
# for every preset (presets with the same curve share a line), and, for comparison, with every
# alternative on the table and a risk-neutral lab ($\lambda$ = 0).

# %%
sigmas = np.round(np.linspace(0.0, 1.0, 6), 2)
curves = {name: np.array([float(so.negotiated_nvidia_price(so.build_market(name), lab._replace(shortage=s))) / p_l
                          for s in sigmas]) for name in so.SCENARIOS}
groups: list[list[str]] = []
for name, y in curves.items():
    for g in groups:
        if np.max(np.abs(curves[g[0]] - y)) < 1e-5:
            g.append(name)
            break
    else:
        groups.append([name])
everything = market._replace(present=jnp.ones(len(so.ALTERNATIVES)))
neutral = np.array([float(so.negotiated_nvidia_price(everything, lab._replace(shortage=s, risk_aversion=0.0))) / p_l
                     for s in sigmas])
series = [(" = ".join(g), curves[g[0]]) for g in groups] + [("every alternative, risk-neutral lab (λ = 0)", neutral)]
shortage = pd.concat([pd.DataFrame({"x": sigmas, "y": y, "low": y, "high": y, "series": name})
                      for name, y in series]).round(5)
gap_at = {s: curves["NVIDIA only"][k] - min(c[k] for c in curves.values()) for k, s in enumerate(sigmas)}
best_sigma = max(gap_at, key=gap_at.get)
neutral_gap = float(np.max(curves["NVIDIA only"] - neutral))
charts.series_band_chart(
    shortage, "shortage σ (share of NVIDIA's capacity sold elsewhere at list)", "NVIDIA's price / list price p_L",
    series_title="scenario", x_format=".1f", y_format=".2f",
    finding=f"A shortage pushes NVIDIA to list; at λ = {lab.risk_aversion:g} the presets cut the price by at most "
            f"{gap_at[best_sigma]:.1%} of list, a risk-neutral lab with every alternative by {neutral_gap:.1%}")

# %% [markdown]
# **Takeaway:** at full shortage every curve ends at list. Before that, the alternatives that undercut
# spot keep the price lower, but only by what they can carry reliably: at the default risk aversion the
# presets are worth little at the table, and even a risk-neutral lab with every alternative gains only
# a few percent of list. Risk aversion, not only the alternatives' prices, caps their leverage.
#
# ## 6. The kink: how cheap must Ironwood be?
#
# Move Ironwood's effective cost (the other alternatives as they are) and negotiate again. The sharp
# curve uses exact max/min and the LP at a barrier temperature of $10^{-10}$; the smooth one a price
# temperature of 0.002 USD / M tokens and a barrier temperature of $10^{-4}$, so that `jax.grad` is
# informative at the kinks. The dot is Ironwood today.

# %%
i_tpu = so.ALTERNATIVES.index("tpu_ironwood")
grid = np.round(np.linspace(0.3, 2.6, 24), 3) * p_l
sharp = so.price_vs_effective_cost(market, lab, i_tpu, grid, temperature=0.0, solver_temperature=1e-10)
smooth = so.price_vs_effective_cost(market, lab, i_tpu, grid, solver_temperature=so.SMOOTH_SOLVER_TEMPERATURE)
e_tpu = float(eff[i_tpu])
at_now = float(so.price_vs_effective_cost(market, lab, i_tpu, [e_tpu], temperature=0.0, solver_temperature=1e-10)[0])
kink = pd.concat([
    pd.DataFrame({"curve": "sharp (exact LP)", "effective_cost": grid, "price": sharp}),
    pd.DataFrame({"curve": "smooth (for gradients)", "effective_cost": grid, "price": smooth}),
    pd.DataFrame({"curve": ["current"], "effective_cost": [e_tpu], "price": [at_now]}),
]).round(5)
flat = sharp[-1]
enters = float(grid[np.nonzero(sharp < flat - 1e-6)[0].max()]) / p_l
charts.kink_chart(kink, finding=f"Ironwood moves NVIDIA's price only below about {enters:.2f} p_L; today it costs "
                                f"{e_tpu / p_l:.2f} p_L")

# %% [markdown]
# **Takeaway:** the price is flat while Ironwood stays out of the lab's best mix, then falls as it
# takes over demand the lab would otherwise buy on the spot market, and keeps falling as it gets
# cheaper. The smooth curve rounds the corner and stays within 1 % of $p_L$ of the sharp one.
#
# ## 7. Risk aversion: the lab's mix without NVIDIA
#
# The same disagreement LP at increasing $\lambda$, every solve converged to its certified tolerance.

# %%
lams = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
sol = {lam: so.disagreement(market, lab._replace(risk_aversion=lam)) for lam in lams}
alloc = pd.DataFrame([{"category": f"λ = {lam:g}", "group": n, "share": float(x)}
                      for lam, r in sol.items() for n, x in zip(so.DISAGREEMENT_NAMES, np.asarray(r.shares))])
alloc = alloc[alloc.groupby("group")["share"].transform("max") > 1e-4].round(4)
o_lam = {lam: float(r.objective) / (1 + lam) / p_l for lam, r in sol.items()}
dropped = [n for n in alloc.group.unique() if alloc[(alloc.group == n) & (alloc.category == "λ = 0")].share.sum() > 1e-3
           and alloc[(alloc.group == n) & (alloc.category == "λ = 4")].share.sum() < 1e-4]
print({f"λ = {lam:g}": f"o = {v:.3f} p_L, gap {float(sol[lam].duality_gap):.0e}" for lam, v in o_lam.items()})
charts.stacked_share_chart(alloc, group_title="option", category_title="risk aversion λ",
                           share_title="share of demand without NVIDIA (%)",
                           finding=f"A risk-averse lab drops {' and '.join(dropped)} for the spot market")

# %% [markdown]
# **Takeaway:** a risk-neutral lab ranks its options by expected cost $p_i e_i + (1-p_i)\pi_f$ and
# fills the cheapest first, ignoring any dearer than spot; as $\lambda$ grows the unreliable ones leave
# (a failed delivery costs $\pi_f$ in the tail), its disagreement cost $o$ rises and with it NVIDIA's
# price. Risk aversion is bargaining weakness.
#
# ## 8. Capacity commitments: Anthropic's Azure deal
#
# Compute is **perishable**: an hour not used is gone. A take-or-pay commitment of $q$ at price $k$
# against on-demand price $p$ (resale at $s$) has expected cost
# $K(q) = kq - s\,\mathbb E[(q-D)^+] + p\,\mathbb E[(D-q)^+]$, minimised at the **critical fractile**
#
# $$P(D > q^*) = \frac{k - s}{p - s}\quad\Big(\text{so } F(q^*) = \tfrac{p-k}{p-s}\Big).$$
#
# Worked example: Anthropic's commitment to buy about 30 B USD of Azure compute (Microsoft, NVIDIA and
# Anthropic announcement, 18 Nov 2025, reported). The term is not public: we assume 5 years, so
# 6 B USD a year, a 40 % reserved discount ($k = 0.6p$), no resale, and lognormal demand with a
# coefficient of variation of 0.5 (all assumptions). Units: billions of on-demand dollars a year.

# %%
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
k, p, cv, years = 0.6, 1.0, 0.5, 5.0
q_reported = cm.AZURE_COMMITMENT_USD / years / 1e9 / k  # capacity in B USD of on-demand compute a year
f_star = float(cm.critical_fractile(k, p))
q_over_mean = float(cm.optimal_commitment(k, p, 1.0, cv))
mean_implied = q_reported / q_over_mean  # the mean demand at which the reported commitment is optimal
var95 = float(cm.unused_value_at_risk(q_reported, k, mean_implied, cv))
cvar95 = float(cm.unused_cvar(q_reported, k, mean_implied, cv))
negotiable = float(cm.uncommitted_volume_share(q_reported, mean_implied, cv))
saving = float(cm.savings_versus_spot(q_reported, k, p, mean_implied, cv))
print(f"critical fractile F(q*) = {f_star:.2f}: commit to the demand exceeded with probability {1 - f_star:.2f}")
print(f"q* = {q_over_mean:.3f} x mean demand; the reported commitment ({q_reported:.1f} B USD of on-demand compute "
      f"a year) is optimal for a mean demand of {mean_implied:.1f} B")
print(f"expected saving over on-demand {saving:.2f} B USD a year; 95 % VaR of unused capacity {var95:.2f} B, "
      f"CVaR {cvar95:.2f} B; still negotiable with Azure: {negotiable:.1%} of expected volume")
qs = np.linspace(0.2, 2.0, 37) * mean_implied
commit = pd.concat([
    pd.DataFrame({"x": qs, "y": np.asarray(cm.expected_commitment_cost(jnp.asarray(qs), k, p, mean_implied, cv)),
                  "series": "expected cost K(q)"}),
    pd.DataFrame({"x": qs, "y": np.asarray(cm.unused_value_at_risk(jnp.asarray(qs), k, mean_implied, cv)),
                  "series": "95 % VaR of unused capacity"}),
])
commit["low"], commit["high"] = commit["y"], commit["y"]
charts.series_band_chart(
    commit.round(4), "commitment q (B USD of on-demand compute a year)", "B USD a year", series_title="quantity",
    x_format=".0f", y_format=".1f", rules=pd.DataFrame({"x": [q_reported], "label": ["reported, 5-year term"]}),
    finding=f"Committing at the {f_star:.0%} demand quantile minimises expected cost; beyond it the unused-capacity "
            "risk climbs fast")

# %% [markdown]
# What the commitment does to **leverage**: with Azure, only volume above $q$ is still negotiable.
# Against NVIDIA, committed capacity is sunk and used first, so NVIDIA competes for the residual demand,
# against what is left of the lab's other options. Committing a share of demand to Maia 200:

# %%
shares = [0.0, 0.05, 0.1, 0.2]
maia_used = float(dis.shares[1 + so.ALTERNATIVES.index("maia200")])
print(f"Maia 200's share of the lab's mix without NVIDIA (section 3): {maia_used:.3f}")
after = pd.DataFrame({"committed share to Maia 200": shares,
                      "NVIDIA price on the rest / p_L": [cm.nvidia_price_after_commitment(market, lab, "maia200", q) / p_l
                                                         for q in shares]}).round(4)
after

# %% [markdown]
# **Takeaway:** the critical fractile commits below mean demand whenever the reserved discount is
# under 50 %; the commitment saves money on average but carries a tail of paid-for, unused capacity.
# In a shortage it can also *help* at NVIDIA's table: the committed capacity shrinks the residual
# demand the thin rental market must cover, so the lab's outside option on the rest improves. A
# commitment to an option that was already in the lab's best mix spends part of that threat instead;
# the line above the table says which case this is.
#
# ## 9. Explore: the negotiation panel
#
# Pick a scenario and the alternative to edit; move its η, price, capacity, porting cost and delivery
# probability, the lab's bargaining weight, risk aversion and the shortage. The left chart is NVIDIA's
# price against the edited alternative's effective cost; the right one the lab's mix without NVIDIA.

# %% tags=["nbval-ignore-output"]
memory.free_compiled()  # drop the programs compiled above: Binder gives ~2 GB to all kernels together
panel = SourcingPanel()
panel.widget

# %% [markdown]
# ## Exercises
#
# 1. At the default shortage and risk aversion, below which effective cost (in units of $p_L$) does
#    Ironwood enter the lab's mix without NVIDIA? Find it by bisection on `price_vs_effective_cost`.
# 2. Rubinstein: NVIDIA proposes first with a discount factor of 0.95 per round. How does its price
#    change as the lab's patience $\delta_{lab}$ goes from 0.80 to 0.99?
# 3. Check one gradient: compare `price_sensitivities` for Fractile's delivery probability with a
#    central finite difference of the smooth model.

# %% tags=["solution"]
# 1. bisection on the sharp price: the largest effective cost at which the price is below the flat level
lo, hi = 0.3 * p_l, 2.6 * p_l
for _ in range(10):
    mid = 0.5 * (lo + hi)
    below = so.price_vs_effective_cost(market, lab, i_tpu, [mid], temperature=0.0, solver_temperature=1e-10)[0] < flat - 1e-6
    lo, hi = (mid, hi) if below else (lo, mid)
threshold = 0.5 * (lo + hi) / p_l
print(f"Ironwood enters the lab's mix below an effective cost of {threshold:.3f} p_L "
      f"(it costs {e_tpu / p_l:.3f} p_L; spot is {lab.spot_multiple} p_L)")

# %% tags=["solution"]
# 2. Rubinstein with NVIDIA proposing first: a more patient lab pays less
patience = [0.80, 0.90, 0.95, 0.99]
rub_price = {d: float(so.negotiated_nvidia_price(market, lab._replace(nvidia_discount=0.95, lab_discount=d), "rubinstein"))
             for d in patience}
for d, x in rub_price.items():
    print(f"delta_lab = {d}: NVIDIA's share {float(bargaining.rubinstein_share(0.95, d)):.3f}, price {x / p_l:.4f} p_L")

# %% tags=["solution"]
# 3. gradient (implicit differentiation through the LP) vs central finite difference, smooth model
i_fr = so.ALTERNATIVES.index("fractile")
g = float(so.price_sensitivities(market, lab).delivery_probability[i_fr])
h = 0.02


def price_at(dp):
    probs = t.delivery_probability.at[i_fr].add(dp)
    return float(so.negotiated_nvidia_price(market._replace(terms=t._replace(delivery_probability=probs)), lab,
                                            solver_temperature=so.SMOOTH_SOLVER_TEMPERATURE))


fd = (price_at(h) - price_at(-h)) / (2 * h)
print(f"dP/dp_Fractile: grad {g:.5f}, finite difference {fd:.5f} USD / M tokens per unit of probability")

# %% [markdown]
# ## The notebook's claims, checked

# %% tags=["checks"]
# 1. published anchors (targets.md, "Negotiation and sourcing")
for key, want in {(0.9, 0.9): 0.526316, (0.9, 0.8): 0.714286, (0.8, 0.9): 0.357143, (0.99, 0.99): 0.502513}.items():
    assert abs(rub[key] - want) < 1e-5, key
assert outside["deal-me-out"].tolist() == [3.5, 3.5, 4.0]
assert outside["split-the-difference"].tolist() == [3.5, 4.5, 5.5]
# 2. the finding names exactly the options under list and under spot; the rest are above
assert set(beats_list) <= set(beats_spot) and len(beats_spot) < len(options)
assert all((x >= 1.0) == (n not in beats_list) for n, x in zip(options["option"], eff / p_l))
# 3. the disagreement LP converged to its certified tolerance, mixes several options
assert bool(dis.converged) and float(dis.duality_gap) < 1e-6 and (mix.share > 1e-4).sum() >= 2
# 4. prices below list and at or below NVIDIA only; identical rows are exactly those with no alternative in the mix
P = scenarios.set_index("scenario")
assert (P["P / p_L"] <= 1.0 + 1e-6).all() and (P["P / p_L"] <= P.loc["NVIDIA only", "P / p_L"] + 1e-6).all()
assert P.loc["NVIDIA only", "P / p_L"] < 0.95 and P["converged"].all()
same = (P["P / p_L"] - P.loc["NVIDIA only", "P / p_L"]).abs() < 1e-6
assert (same == (P["alternatives in the lab's mix"] == "none")).all()
assert (~same).any() and P["P / p_L"].min() < P.loc["NVIDIA only", "P / p_L"] - 1e-4
assert (P["P / p_L if λ = 0"] <= P["P / p_L"] + 1e-6).all()
assert (P["P / p_L if λ = 0"] < P.loc["NVIDIA only", "P / p_L if λ = 0"] - 1e-4).sum() > (~same).sum()
# 5. shortage: every curve starts together, ends at list, never falls; the gap is largest where the title says
assert all(abs(y[-1] - 1.0) < 1e-5 and np.all(np.diff(y) >= -1e-6) for _, y in series)
assert 0 < gap_at[best_sigma] < neutral_gap < 0.1 and np.all(neutral <= curves["NVIDIA only"] + 1e-6)
# 6. the kink: flat above the threshold, falling below it, smooth close to sharp, Ironwood today in the flat part
assert np.all(np.diff(sharp) >= -1e-6) and sharp[0] < flat - 0.05 * p_l and e_tpu / p_l > enters
assert np.max(np.abs(smooth - sharp)) < 0.01 * p_l and enters < lab.spot_multiple
# 7. risk: o rises with lambda, the named options are used at 0 and dropped at 4
assert all(b >= a - 1e-6 for a, b in zip(o_lam.values(), list(o_lam.values())[1:])) and dropped
assert all(bool(r.converged) for r in sol.values())
risk_neutral = np.asarray(sol[0.0].shares)[1:-1]
cap_avail = np.minimum(np.asarray(so.alternative_suppliers(market, lab).capacity), 1.0)
cheap = np.asarray(t.delivery_probability) * eff + (1 - np.asarray(t.delivery_probability)) * lab.shortfall_multiple * p_l \
    < lab.spot_multiple * p_l
assert np.all(risk_neutral[~cheap] < 1e-4)  # dearer than spot in expectation: never used
residual = 1.0 - float(so.rental_capacity(lab))
assert (cap_avail[cheap].sum() < residual - 1e-4) or float(sol[0.0].shares[-1]) < 1e-4  # spot only if they run out
# 8. commitments: fractile 0.4 below the mean; the saving is positive; VaR <= CVaR; the committed share helps at NVIDIA
assert abs(f_star - 0.4) < 1e-6 and q_over_mean < 1.0 and saving > 0 and 0 < var95 <= cvar95
assert after.iloc[:, 1].is_monotonic_decreasing and after.iloc[-1, 1] < after.iloc[0, 1]
# exercises: the threshold sits where the chart says; patience lowers the price; the gradient checks out
assert abs(threshold - enters) < 2.3 / 23 + 1e-3 and threshold < lab.spot_multiple
assert list(rub_price.values()) == sorted(rub_price.values(), reverse=True) and rub_price[0.80] > rub_price[0.99] + 1e-4
assert abs(g) > 1e-4 and abs(g - fd) < 0.03 * abs(fd)
print("all claims hold")
