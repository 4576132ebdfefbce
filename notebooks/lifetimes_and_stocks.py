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
# # Lifetimes and stocks: cohorts, inflow- and stock-driven models, and flodym
#
# Products in use leave by cohort, after a lifetime drawn from a distribution. This notebook
# takes a sourced lifetime from msa's lifetime database, looks at its survival curve, runs an
# inflow-driven and a stock-driven stock model, shows what the timing of the inflow within the
# year changes, and checks the results against flodym, the dynamic-MFA library whose
# conventions msa follows. The inflows and stocks are made-up round numbers, to show the
# mechanics; the lifetime is sourced.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from IPython.display import display

import msa

pd.options.display.float_format = "{:,.0f}".format

# %% [markdown]
# ## 1. A sourced lifetime
#
# The database holds 93 sourced lifetimes of 64 products, each with its source and grade.
# Passenger cars in the Netherlands:

# %%
database = msa.lifetime_database()
cars = database[database["product"] == "passenger_car"]
cars[["distribution", "shape", "scale", "mean", "region", "year", "source_id", "grade"]]

# %%
lifetime = msa.lifetime_from_database(
    "passenger_car", region="NL", source_id="oguchi_fuse_2015_via_euzevam"
)
display(lifetime)

# %% [markdown]
# Its survival function S(a), the share of a cohort still in use at age a, against two normal
# lifetimes with the same mean:

# %%
ages = np.arange(0, 41)
curves = {
    "Weibull (NL cars, database)": lifetime.survival(ages),
    "normal, sd 3 yr": msa.NormalLifetime(15.1, 3).survival(ages),
    "normal, sd 6 yr": msa.NormalLifetime(15.1, 6).survival(ages),
}
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, curve in curves.items():
    ax.plot(ages, curve.values, label=label)
ax.set(xlabel="age (years)", ylabel="share still in use", title="Survival functions")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. Inflow-driven: from sales to stock and outflow
#
# Given the inflow (cars registered per year), `msa.inflow_driven` returns the stock and the
# outflow, in total and by cohort. Here 500,000 cars a year from 2000, rising to 600,000 from
# 2020 (illustrative numbers).

# %%
years = np.arange(2000, 2051)
registrations = xr.DataArray(
    np.where(years < 2020, 500_000.0, 600_000.0),
    dims="time",
    coords={"time": years},
    attrs={"units": "vehicle"},
)
run = msa.inflow_driven(registrations, lifetime)
summary = pd.DataFrame(
    {
        "inflow (vehicles/yr)": run["inflow"].to_pandas(),
        "outflow (vehicles/yr)": run["outflow"].to_pandas(),
        "stock (vehicles)": run["stock"].to_pandas(),
    }
)
summary.loc[[2000, 2010, 2020, 2030, 2040, 2050]]

# %% [markdown]
# The balance holds in every year: inflow − outflow = stock change.

# %%
change = run["stock"].diff("time")
gap = (run["inflow"] - run["outflow"]).sel(time=change["time"]) - change
print(f"largest |inflow - outflow - stock change|: {float(abs(gap).max()):.2e} vehicles")

# %% [markdown]
# The stock by cohort shows its age structure: in 2050 the cohorts of the last fifteen years
# hold most of the fleet.

# %%
by_cohort = run["stock_by_cohort"].sel(time=2050).to_pandas()
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(by_cohort.index, by_cohort.values / 1e3)
ax.set(xlabel="cohort (year of registration)", ylabel="thousand vehicles", title="Stock in 2050")
plt.show()

# %% [markdown]
# ## 3. When in the year does the inflow enter?
#
# By default a year's inflow enters in its middle (`inflow_at="middle"`, as flodym), so new
# products face half a year of failures in their first year. ODYM's convention is the year's
# end (`"end"`). The choice moves outflows by half a year:

# %%
timing = pd.DataFrame(
    {
        at: msa.inflow_driven(registrations, lifetime, inflow_at=at)["outflow"].to_pandas()
        for at in ("start", "middle", "end")
    }
).rename(columns=lambda at: f"outflow, inflow at {at} (vehicles/yr)")
timing.loc[[2010, 2020, 2030]]

# %% [markdown]
# ## 4. Stock-driven: the inflow a fleet needs
#
# Given the stock (a fleet of 8 million growing to 9 million by 2035, illustrative),
# `msa.stock_driven` computes the inflow that keeps it and the outflow. The first year's stock
# is taken as one cohort; `initial_stock_by_cohort` gives a historic age structure instead.

# %%
fleet = xr.DataArray(
    np.interp(years, [2000, 2035, 2050], [8e6, 9e6, 9e6]),
    dims="time",
    coords={"time": years},
    attrs={"units": "vehicle"},
)
needed = msa.stock_driven(fleet, lifetime)
pd.DataFrame(
    {
        "stock (vehicles)": needed["stock"].to_pandas(),
        "inflow (vehicles/yr)": needed["inflow"].to_pandas(),
        "outflow (vehicles/yr)": needed["outflow"].to_pandas(),
    }
).loc[[2001, 2010, 2020, 2035, 2050]]

# %% [markdown]
# The first years show the cost of starting with a fleet that is all one cohort: few leave at
# first, then a wave leaves together. A known age structure removes the wave.

# %%
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(years[1:], needed["inflow"].values[1:] / 1e3, label="inflow")
ax.plot(years[1:], needed["outflow"].values[1:] / 1e3, label="outflow")
ax.set(xlabel="year", ylabel="thousand vehicles per year", title="Stock-driven fleet")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. The same results as flodym
#
# flodym (1.1) implements the same conventions; msa's test suite checks every distribution,
# timing and lifetime factor against it to a relative 1e-9. Here one case: the NL Weibull
# lifetime, inflow in the middle of the year. flodym is a development dependency of msa
# (`pip install flodym`).

# %%
try:
    import flodym as fd
except ImportError:
    fd = None
    print("flodym is not installed: pip install flodym to run this comparison")

if fd is not None:
    dims = fd.DimensionSet(dim_list=[fd.Dimension(name="time", letter="t", items=list(years))])
    shape, scale = (float(lifetime.parameters[k]) for k in ("shape", "scale"))
    peer = fd.InflowDrivenDSM(
        dims=dims,
        lifetime_model=fd.WeibullLifetime(
            dims=dims, inflow_at="middle", weibull_shape=shape, weibull_scale=scale
        ),
    )
    peer.inflow.values[...] = registrations.values
    peer.compute()
    comparison = pd.DataFrame(
        {
            variable: {
                "msa (2050)": float(run[variable].sel(time=2050)),
                "flodym (2050)": float(getattr(peer, variable).values[-1]),
                "largest relative difference, 2000-2050": float(
                    np.abs(run[variable].values - getattr(peer, variable).values).max()
                    / np.abs(getattr(peer, variable).values).max()
                ),
            }
            for variable in ("stock", "outflow")
        }
    ).T
    display_table = comparison.style.format(
        {
            "msa (2050)": "{:,.0f}",
            "flodym (2050)": "{:,.0f}",
            "largest relative difference, 2000-2050": "{:.1e}",
        }
    )
    display(display_table)

# %% [markdown]
# The docs page *Lifetimes* has the full comparison with ODYM and flodym, the conventions
# where they differ, and the reference values measured from both.
