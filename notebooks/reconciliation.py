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
# # When the data do not add up: reconciliation with msa
#
# Flow data from different sources rarely balance: production statistics, trade data and waste
# reports each carry their own errors. `msa` closes the books the way STAN does (Cencic 2016):
# measured values move as little as their uncertainty allows until every process balances,
# unknown flows are computed where the data determine them, a chi-square test says whether
# the data contradict each other, and a measurement test points at the suspect value.
#
# This notebook first reproduces the published STAN example, then reconciles a whole system
# over five years and finds a mistyped value. The command line does the same:
# `msa reconcile TABLES --out DIR` (docs/reconciliation.md).

# %%
import warnings

import numpy as np
import pandas as pd
from IPython.display import display

import msa
from msa.figures.diagram import sankey
from msa.figures.export import show_static
from msa.figures.links import links_from_system

# %% [markdown]
# ## 1. The STAN example (Cencic 2016)
#
# Three processes. Flows `m01_1`, `m12` and `m23` and the transfer coefficient `TC_34` are
# measured (mean ± sd), `m01_2` is known exactly (a constant), `m21`, `m30_1` and `m30_2` are
# unknown. Equations are strings, "= 0" implied or with one `=`; a product of two quantities
# (a transfer coefficient times a flow) makes the problem bilinear, which msa solves by
# iterated linearisation. The numbers are those of the example in Cencic (2016),
# doi:10.1016/j.serj.2016.06.002, as printed by the ODYM fork (CarrerF/ODYM).

# %%
quantities = pd.DataFrame(
    {
        "name": ["m01_1", "m01_2", "m12", "m21", "m23", "m30_1", "m30_2", "TC_34"],
        "value": [100, 50, 300, np.nan, 160, np.nan, np.nan, 0.5],
        "sd": [10, 0, 30, np.nan, 16, np.nan, np.nan, 0.05],
    }
)
equations = [
    "m01_1 + m01_2 + m21 - m12",
    "m12 - m21 - m23",
    "m23 - m30_1 - m30_2",
    "m21 = TC_34 * m12",
]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    stan = msa.reconcile(quantities, equations)
print(stan)
print([str(w.message) for w in caught])
stan.table[["value", "sd", "classification", "z"]].round(4)

# %% [markdown]
# `m30_1` and `m30_2` leave the last process together: the data fix their sum, not each of
# them. msa says so (a warning, `unknown unobservable`) and gives them no number, rather than
# making one up. The published values: m01_1 102.426, m12 302.416, m21 149.990, m23 152.426,
# TC_34 0.496.

# %%
published = {"m01_1": 102.426, "m12": 302.416, "m21": 149.990, "m23": 152.426}
for name, value in published.items():
    assert abs(stan.table.loc[name, "value"] - value) < 5e-4, name
assert stan.passed and stan.dof == 2

# %% [markdown]
# ## 2. A whole system, every year at once
#
# `msa.load_example()` is a small cobalt and lithium system (illustrative numbers, not real
# statistics: its sources table says so) that balances. We make the mistake a hurried
# modeller makes, one zero too much: Use → Landfill for cobalt in 2021 becomes ten times too
# large. All flows are taken as measured to 5% (`cv`); the stock changes to 5% too.

# %%
system = msa.load_example()
typo = system.copy()
typo.flows["Use => Landfill"] = typo.flows["Use => Landfill"].where(
    (typo.flows["Use => Landfill"].time != 2021) | (typo.flows["Use => Landfill"].material != "Co"),
    typo.flows["Use => Landfill"] * 10,
)
cv = {name: 0.05 for name in typo.flows} | {f"stock_change {p}": 0.05 for p in typo.stocks}
result = msa.reconcile_system(typo, cv=cv)
result.tests.round(3)

# %% [markdown]
# 2021 fails the chi-square test: the data contradict each other more than 5% errors allow.
# Which value is suspect? The measurement test `z` is each adjustment in units of its own sd.

# %%
year = result.table[result.table["year"] == 2021].dropna(subset=["z"])
suspects = year.reindex(year["z"].abs().sort_values(ascending=False).index)
suspects[["quantity", "material", "measured", "value", "z", "flagged"]].head(6)

# %% [markdown]
# The largest |z| names Use → Landfill, together with the flows that enter the balances only
# in the same combination (an *equivalence set*: the test cannot tell them apart, and msa does
# not pretend it can). Treat the suspect value as unknown and reconcile again: the balance
# computes it, the test passes, and the computed value is the true one.

# %%
status = {"Use => Landfill": "unknown"}
again = msa.reconcile_system(typo, cv=cv, status=status)
assert again.passed
truth = float(system.flows["Use => Landfill"].sel(time=2021, material="Co"))
computed = float(again.system.flows["Use => Landfill"].sel(time=2021, material="Co"))
print(f"typed {10 * truth:.0f} t, computed {computed:.1f} t, true {truth:.0f} t")
assert abs(computed - truth) < 1e-6 * truth

# %% [markdown]
# The reconciled System is an ordinary msa System: every process balances, values computed by
# the reconciliation carry grade C (a coherent estimate from several sources) and the source
# `msa_reconciliation`, and each flow has an sd. The Sankey shows "value ± sd" on the links;
# the sd of a flow's total comes from the full covariance of that year's result.

# %%
msa.check_balance(again.system)
links = links_from_system(again.system, 2021)
totals = again.totals(2021)
links["sd"] = [
    totals.at[f"{s} => {t}", "sd"] if f"{s} => {t}" in totals.index else np.nan
    for s, t in zip(links["source"], links["target"], strict=True)
]
fig = sankey(links, link_labels="sd", title="example 2021, reconciled (value ± sd)")
show_static(fig)
display(fig)

# %% [markdown]
# ## 3. From the command line
#
# The same from tables: put a `reconcile.csv` beside the system's CSV tables (one row per
# flow, or per label with dim columns: `status` measured / unknown / constant, `sd` or `cv`,
# `transfer_coefficient`) and run
#
# ```bash
# msa reconcile path/to/tables --out out/reconciled --year 2021
# ```
#
# It writes the balanced system (`system.nc`, `tables/`), `adjustments.csv` (every cell and
# year: measured, reconciled, sd, z, flagged, classification), `tests.csv`, a report in
# Markdown and HTML, and the Sankey above as PNG, SVG and HTML. Values without an sd take
# the spread of their data-quality grade (A 2.6% ... D 30.7%).
