# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # EV traction batteries in the Netherlands: a product group analysis
#
# **Question.** The Dutch fleet of battery-electric and plug-in hybrid cars grows from about
# half a million in 2023 towards six million by 2050. How much lithium, cobalt and nickel do
# their batteries need, how large is the urban mine they build up, how much of the demand can
# recycling supply, and which EU targets (Battery Regulation, Critical Raw Materials Act) and
# Dutch targets (NPCE, NMO) does the chain meet?
#
# **Method.** The declared model `models/ev_batteries_nl` follows the batteries from the
# materials in new cells through use (ageing by cohort with sourced vehicle lifetimes), second
# life, export of used cars, collection and recycling, for 2010–2050, in a baseline and a
# scenario in which LFP cells (no cobalt, no nickel) reach 60% of new batteries by 2030. The
# model folders are in the msa repository (`models/`); set `MSA_MODELS` to that folder when the
# notebook runs elsewhere.

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import msa
from msa.figures.export import show_static
from msa.model.outputs import model_result
from msa.model.report import target_table

definition = msa.load_definition(msa.shipped_model("ev_batteries_nl"))
runs = {name: model_result(msa.build_model(definition, name)) for name in ["baseline", "high_lfp"]}
for result in runs.values():
    msa.check_balance(result.system)  # every process, year and material balances


def number(value: float, units: str) -> str:
    """Return a value as a reader writes it: shares as percentages, the rest rounded."""
    if units == "1":
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


# %% [markdown]
# ## Data and their quality
#
# Every input carries its source and a JRC MSA grade (A from the source, B inter- or
# extrapolated, C estimated from several sources, D an assumption). Share of each input's
# values by grade, the least certain first:

# %%
quality = runs["baseline"].quality
inputs = quality[quality.index.str.startswith(("table", "parameter"))]
(
    inputs.sort_values(["D", "C"], ascending=False)[["n", "A", "B", "C", "D"]]
    .assign(**{g: inputs[g].map("{:.0%}".format) for g in "ABCD"})
    .rename(columns={"n": "values"})
)

# %% [markdown]
# ## Results
#
# ### Headline numbers
#
# Fleet in vehicles, masses in tonnes of material, shares in percent:

# %%
headline = pd.concat({name: r.headline for name, r in runs.items()}, axis=1)
pd.DataFrame(
    {
        name: [
            number(v, u)
            for v, u in zip(headline[(name, "value")], headline[(name, "units")], strict=True)
        ]
        for name in runs
    },
    index=headline.index,
).assign(units=headline[("baseline", "units")].replace({"1": "%"}))

# %% [markdown]
# ### Demand and secondary supply
#
# Material in new batteries (demand) against what recycling of Dutch end-of-life batteries
# returns (secondary supply, closed and open loop), for the three battery metals:

# %%
METALS = ["Li", "Co", "Ni"]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharex=True)
for ax, metal in zip(axes, METALS, strict=True):
    for name, style in (("baseline", "-"), ("high_lfp", "--")):
        table = runs[name].tables["demand_and_secondary_supply"]
        rows = table[table["material"] == metal]
        ax.plot(rows["time"], rows["demand"], style, color="tab:blue", label=f"demand, {name}")
        ax.plot(
            rows["time"],
            rows["secondary_total"],
            style,
            color="tab:green",
            label=f"secondary, {name}",
        )
    ax.set(title=metal, xlabel="year", ylabel="t per year")
axes[0].legend(fontsize=8)
fig.suptitle("EV batteries, the Netherlands: demand and secondary supply")
fig.tight_layout()
plt.show()

# %% [markdown]
# The secondary share of demand in 2030, 2040 and 2050:

# %%
shares = {}
for name, r in runs.items():
    table = r.tables["demand_and_secondary_supply"]
    picked = table[table["material"].isin(METALS) & table["time"].isin([2030, 2040, 2050])]
    shares[name] = picked.pivot(
        index="time", columns="material", values="secondary_share_of_demand"
    )
pd.concat(shares, axis=1).map("{:.1%}".format).rename_axis("year")

# %% [markdown]
# ### The PGA Sankey, 2030
#
# The product-group view of the baseline in 2030: raw material use (*Grondstoffengebruik*),
# the fleet (*Voorraad*) and its net addition, discarded batteries (*Afval*), *Recycling* and
# material losses. What the PGA view leaves out of a node (used-vehicle imports, recycling
# losses) is drawn pale grey to *Not in this view*. Static image first, then the interactive
# figure.

# %%
sankey = runs["baseline"].figures["sankey_pga_2030"]
show_static(sankey)

# %%
display(sankey)

# %% [markdown]
# ## Targets
#
# Each target that applies, evaluated on the baseline: the value in the target year, the margin
# (negative: the gap), the first year met and the grade the value rests on.

# %%
target_table(runs["baseline"].indicators)

# %% [markdown]
# Where the two scenarios differ on a target (met in one, not in the other):

# %%
both = pd.concat(
    {name: r.indicators.set_index(["target_id", "material"])["met"] for name, r in runs.items()},
    axis=1,
)
both[both["baseline"] != both["high_lfp"]].map(lambda met: "met" if met else "not met")

# %% [markdown]
# ## Caveats
#
# - The hibernating stock (cars kept but not used) is empty: no source gives it for the
#   Netherlands; the urban mine counts the fleet in use, second life and batteries kept at end
#   of life.
# - The export share of used cars and the age of imported used EVs rest on assumptions
#   (grade D, see the quality table); they move the batteries available for Dutch recycling.
# - Recovery rates follow the Battery Regulation's targets as a trajectory, so the recovery
#   targets are met by construction, not shown to be met.
# - The model's own notes, as the report prints them:

# %%
for note in runs["baseline"].notes:
    print("-", note)
