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
# # How sure are we? Uncertainty and what to measure next, for EV batteries in the Netherlands
#
# Every input of the EV battery model (`models/ev_batteries_nl`) carries a data-quality grade:
# A (taken from the source) to D (an assumption). This notebook turns those grades into
# distributions, runs a Monte Carlo of the baseline, and answers the questions a PGA report is
# asked: how wide is the range of the urban mine, how likely is each policy target met, which
# inputs drive the answer, and which data would narrow it most.
#
# The same runs from the command line: `msa run models/ev_batteries_nl --out out/ev_mc
# --samples 200 --seed 1` writes `uncertainty.csv`, P(met) per target and p5-p95 bands.

#
# The model folders are in the msa repository (`models/`); set `MSA_MODELS` to that folder when
# the notebook runs elsewhere.

# %%
import pandas as pd
import plotly.graph_objects as go
from IPython.display import display

import msa
from msa.figures.export import show_static
from msa.model.build import read_inputs
from msa.model.montecarlo import monte_carlo
from msa.model.sensitivity import priority_note, sensitivity, tornado
from msa.uncertainty import grade_table

definition = msa.load_definition(msa.shipped_model("ev_batteries_nl"))

# %% [markdown]
# ## From grade to distribution
# Without a declared `uncertainty`, a value's spread comes from its grade: a lognormal with the
# log-sd of the pedigree approach (ecoinvent v3 variances; which pedigree scores a grade stands
# for is msa's assumption, labelled as such in the table). A share is drawn as a beta with the
# same relative spread and stays in [0, 1].

# %%
grades = grade_table()
grades[grades["scheme"] == "jrc"][["grade", "distribution", "log_sd", "assumption"]]

# %% [markdown]
# ## The Monte Carlo
# 200 samples of the baseline. Every numeric parameter and data table is drawn, except the
# scenario levers (`uncertainty = false` in `model.toml`: the lifetime factors of 1), the years
# and ages that switch things on, and labels. Each input has its own random stream from the
# seed, so the same seed gives the same numbers, however the samples are chunked.

# %%
mc = monte_carlo(definition, "baseline", samples=200, seed=1)
mc.draws.table().describe().T[["mean", "std", "min", "max"]]

# %% [markdown]
# ## The urban mine, with its range
# `mc.table` is what `uncertainty.csv` holds: mean, sd, p5, p50 and p95 of every stock, flow
# and indicator, by year (and by material where the model has one).

# %%
table = mc.table
mine = table[
    (table["quantity"] == "stock Vehicles in use")
    & table["material"].isin(["Li", "Co", "Ni"])
    & table["year"].isin([2030, 2040, 2050])
]
mine.pivot(index="year", columns="material", values=["p5", "p50", "p95"]).round(0)

# %%
lithium = table[
    (table["quantity"] == "stock Vehicles in use") & (table["material"] == "Li")
].sort_values("year")
fig = go.Figure(
    [
        go.Scatter(x=lithium["year"], y=lithium["p5"], line={"width": 0}, showlegend=False),
        go.Scatter(
            x=lithium["year"],
            y=lithium["p95"],
            fill="tonexty",
            line={"width": 0},
            name="p5-p95",
            fillcolor="rgba(0,119,187,0.25)",
        ),
        go.Scatter(x=lithium["year"], y=lithium["p50"], name="median", line={"color": "#0077BB"}),
    ]
)
fig.update_layout(
    title="Lithium in EV batteries in use in the Netherlands (t)",
    template="simple_white",
    xaxis_title="year",
    yaxis_title="t",
)
show_static(fig)
fig.show()

# %% [markdown]
# ## How likely is each target met?
# P(met) is the share of samples meeting the target in its year. The material-recovery
# targets sit at 0.5: the model assumes recovery follows the Battery Regulation trajectory
# (graded D), so a sample is as likely to fall just short as just over. Recycled content is
# the question with real uncertainty.

# %%
targets = mc.targets.sort_values("p_met")
open_targets = targets[(targets["p_met"] > 0.05) & (targets["p_met"] < 0.95)]
open_targets.head(20)

# %% [markdown]
# ## What drives the recycled content of lithium in 2031, and what to measure next
# The ranking uses the samples already drawn (rank correlation and a first-order variance
# share). The last column estimates how much the p5-p95 range would narrow if that input were
# known at grade A: the data-collection priority.

# %%
inputs = read_inputs(definition, "baseline")
drivers = sensitivity(mc, inputs, "indicator recycled_content", material="Li", year=2031)
drivers.head(8)

# %%
print(priority_note(drivers, "Recycled content of lithium, 2031"))
bars = tornado(
    drivers, title="What drives the recycled content of lithium in new EV batteries, 2031"
)
show_static(bars)
display(bars)

# %% [markdown]
# ## Same seed, same numbers

# %%
again = monte_carlo(definition, "baseline", samples=200, seed=1, chunk=64)
pd.testing.assert_frame_equal(mc.table, again.table)
"identical"
