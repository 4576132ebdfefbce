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
# # Solar PV panels in the Netherlands: a product group analysis
#
# **Question.** The Netherlands installed most of its solar panels after 2015. When will they
# come back as waste, how much, and what do they hold? How much of it can be recovered as
# secondary material, and does the chain meet the WEEE collection and recovery targets?
#
# **Method.** The declared model `models/pv_panels_nl` (no code: `model.toml` and sourced data
# tables) follows panels from import to installation, ageing by cohort with a Weibull lifetime,
# to discard, collection, recycling and residual waste, for 2000–2050 and five scenarios. The
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

definition = msa.load_definition(msa.shipped_model("pv_panels_nl"))
SCENARIOS = ["baseline", "early_loss", "lifetime_extension", "high_value_recycling"]
runs = {name: model_result(msa.build_model(definition, name)) for name in SCENARIOS}
for result in runs.values():
    msa.check_balance(result.system)  # every process, year and material balances


def kilotonnes(values: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Return tonnes as kilotonnes, as text with a thousands separator and one decimal."""
    return (values / 1e3).map("{:,.1f}".format)


# %% [markdown]
# ## Data and their quality
#
# Every input value carries its source and a JRC MSA grade (A from the source, B inter- or
# extrapolated, C estimated from several sources, D an assumption). The share of each input's
# values by grade:

# %%
quality = runs["baseline"].quality
inputs = quality[quality.index.str.startswith(("table", "parameter"))]
inputs[["n", "A", "B", "C", "D"]].assign(
    **{g: inputs[g].map("{:.0%}".format) for g in "ABCD"}
).rename(columns={"n": "values"})

# %% [markdown]
# The sources, by type (1 official statistics, 2 international organisations and databases,
# 3 industry, 5 scientific literature, 6 models and assumptions):

# %%
sources = runs["baseline"].system.sources
sources[["title", "year", "source_type"]].sort_values("source_type")

# %% [markdown]
# ## Results
#
# ### Waste panels and the installed stock
#
# Headline numbers of the baseline, in kilotonnes (kt) of panel material:

# %%
headline = runs["baseline"].headline
pd.DataFrame({"baseline (kt)": kilotonnes(headline["value"])})

# %% [markdown]
# Waste panels per year in each scenario. The *early loss* lifetime (more panels fail young)
# brings waste forward; a *lifetime extension* of 20% for panels installed from 2025 delays it.

# %%
discarded = {
    name: r.tables["flows"][r.tables["flows"]["flow"] == "Use => Discarded"]
    .groupby("time")["value"]
    .sum()
    for name, r in runs.items()
}
fig, ax = plt.subplots(figsize=(8, 4))
for name, series in discarded.items():
    if name != "high_value_recycling":  # same waste as the baseline
        ax.plot(series.index, series.values / 1e3, label=name)
ax.set(xlabel="year", ylabel="kt per year", title="Discarded PV panels, the Netherlands")
ax.legend()
plt.show()

# %%
pd.DataFrame(
    {name: kilotonnes(series.loc[[2025, 2030, 2040, 2050]]) for name, series in discarded.items()}
).rename_axis("year").rename(columns=lambda n: f"{n} (kt/yr)")

# %% [markdown]
# ### What the installed panels hold: the urban mine in 2050

# %%
stocks = runs["baseline"].tables["stocks"]
stock_2050 = stocks[stocks["time"] == 2050].groupby("material")["stock"].sum()
pd.DataFrame(
    {
        "in use, 2050 (t)": stock_2050.map("{:,.0f}".format),
        "share": (stock_2050 / stock_2050.sum()).map("{:.1%}".format),
    }
).sort_values(
    "in use, 2050 (t)", key=lambda s: s.str.replace(",", "").astype(float), ascending=False
)

# %% [markdown]
# ### Secondary material recovered
#
# Current-practice recycling recovers mainly glass and aluminium frames; the
# *high-value recycling* scenario (PV_ICE improved yields) also recovers silicon and silver.

# %%
secondary = {
    name: r.tables["flows"][
        (r.tables["flows"]["flow"] == "Recycling => Secondary")
        & (r.tables["flows"]["time"] == 2050)
    ]
    .groupby("material")["value"]
    .sum()
    for name, r in runs.items()
    if name in ("baseline", "high_value_recycling")
}
pd.DataFrame(secondary).map("{:,.1f}".format).rename(columns=lambda n: f"{n}, 2050 (t)")

# %% [markdown]
# ### The PGA Sankey, 2050
#
# The product-group view: imports into *Grondstoffengebruik*, the installed panels in
# *Voorraad* and their net addition, discarded panels in *Afval*, *Recycling*, secondary
# materials to other chains (*Open loop*) and residual waste (*Materiaalverlies*). The export of
# used panels for re-use has no PGA node and is drawn to *Not in this view*. Static image first,
# then the interactive figure.

# %%
sankey = runs["baseline"].figures["sankey_pga_2050"]
show_static(sankey)

# %%
display(sankey)

# %% [markdown]
# ## Targets
#
# The WEEE Directive's collection and recovery targets and the Dutch and EU circular-economy
# targets that apply to the model, evaluated on the baseline: the value in the target year, the
# margin (negative: the gap), the first year met, and the grade the value rests on.

# %%
target_table(runs["baseline"].indicators)

# %% [markdown]
# Targets that apply but that the model cannot compute, and why:

# %%
runs["baseline"].tables["targets_not_computable"][["policy", "target_id", "needs"]]

# %% [markdown]
# ## Caveats
#
# - The panel mass per MWp and the material composition come from PV_ICE and ITRPV and are
#   partly graded D (assumptions): the material split is less certain than the total mass.
# - The share of used panels exported for re-use (5%) is an assumption (grade D); it leaves
#   the Dutch chain and is outside the PGA view.
# - Collected waste in 2019–2021 (a few hundred tonnes a year, Stichting OPEN) lies between the
#   regular-loss and the early-loss lifetimes: which one holds is the largest uncertainty for
#   waste before 2035.
# - The model's own notes, as the report prints them:

# %%
for note in runs["baseline"].notes:
    print("-", note)
