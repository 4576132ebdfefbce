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
# # Quickstart: a material system in ten minutes
#
# This notebook opens the small example system that ships with msa, checks its mass balance,
# looks at its flows and stocks with their units and data quality, draws its Sankey and saves
# it. It needs nothing but an installed msa (`pip install "msa[plot]"`).

# %%
import pandas as pd
from IPython.display import display

import msa
from msa.figures.export import show_static

pd.options.display.float_format = "{:,.1f}".format

# %% [markdown]
# ## 1. Open a system
#
# `msa.load_example()` returns an `msa.System`: processes, flows, stocks and parameters over
# shared dims (here `time` and `material`), each value with its source and data-quality grade.

# %%
system = msa.load_example()
display(system)

# %% [markdown]
# The processes, with their kind (a *transformation* must balance, a *stock* keeps material,
# a *boundary* is the edge of the system) and the stage of the JRC MSA chain they belong to:

# %%
pd.DataFrame(
    [(p.id, p.kind, p.stage, p.label_en, p.label_nl) for p in system.processes.values()],
    columns=["process", "kind", "JRC stage", "English", "Dutch"],
)

# %% [markdown]
# ## 2. Check the mass balance
#
# For every process, year and material: inflows − outflows − stock change = 0, within a
# tolerance relative to the process's throughput. `check_balance` raises a
# `MassBalanceError` naming the worst offenders; `balance` returns the residuals.

# %%
msa.check_balance(system)
residuals = msa.balance(system)
largest = {name: float(abs(r).max()) for name, r in residuals.items()}
pd.Series(largest, name="largest |residual| (t)").to_frame()

# %% [markdown]
# ## 3. Flows, stocks and their units
#
# A flow is an `xarray.DataArray` named `"source => target"`, with its units in `attrs`.

# %%
flow = system.flows["Use => Collection"]
print(flow.name, "in", flow.attrs["units"])
flow.to_pandas().round(1)

# %% [markdown]
# `msa.to_frame` turns every flow into one long table, a row per value with its source id,
# grade and JRC code. The flows of 2021 by material:

# %%
table = msa.to_frame(system)
flows_2021 = table[table["time"] == 2021]
flows_2021.pivot_table(index="flow", columns="material", values="value", aggfunc="sum").rename(
    columns=lambda m: f"{m} (t/yr)"
)

# %% [markdown]
# The grade of each value, counted over all flows and years:

# %%
table.groupby("grade").size().rename("values").to_frame()

# %% [markdown]
# ## 4. Where each value comes from
#
# Every value points to a source and carries a JRC MSA grade: A taken from the source,
# B inter- or extrapolated, C estimated from several sources, D an expert estimate.

# %%
system.sources[["title", "author", "year", "source_type", "note"]]

# %% [markdown]
# ## 5. The Sankey
#
# `links_from_system` turns one year into a links table; `sankey` draws it. The figure is
# interactive in a notebook; the static PNG below it is the same figure, for reports and for
# viewers without JavaScript.

# %%
links = msa.links_from_system(system, 2021)
fig = msa.sankey(links, title="Example system, 2021")
display(fig)

# %%
show_static(fig)

# %% [markdown]
# ## 6. Save
#
# `write_figure` writes HTML, PNG, SVG or PDF; `to_netcdf` writes the whole system, provenance
# included, and `read_system` reads it back unchanged.

# %%
written = msa.write_figure(fig, "example_sankey_2021", formats=("html", "png"), overwrite=True)
path = system.to_netcdf("example.nc", overwrite=True)
again = msa.read_system(path)
print([p.name for p in written], path.name, "read back:", again)

# %% [markdown]
# Next: build your own model with `msa new` (the tutorial in the docs), or see the lifetime
# models (`lifetimes_and_stocks`) and the views of the JRC chain (`views`).
