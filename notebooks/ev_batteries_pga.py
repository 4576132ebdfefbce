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
# # EV traction batteries in the Netherlands: a PGA walk-through
#
# This notebook builds the flagship model (`models/ev_batteries_nl`) for two scenarios, checks
# that every process balances, and shows the numbers a product group analysis (PGA) report
# needs: the urban-mine stock, demand against secondary supply, and the policy targets.
# The model is declared in `model.toml` (with a few functions in `model.py`); msa builds,
# grades and reports it. The notebook only asks and shows.

# %%
from pathlib import Path

import msa
from msa.model.outputs import model_result

MODEL = Path("models/ev_batteries_nl")
if not MODEL.exists():  # executed from notebooks/ or from a temporary folder in the tests
    MODEL = Path(msa.__file__).resolve().parents[2] / "models" / "ev_batteries_nl"
definition = msa.load_definition(MODEL)
definition.scenario_names(["all"])

# %% [markdown]
# ## Baseline and high-LFP
# Each build returns a balanced `msa.System` with the grade of every value; `check_balance`
# raises if any process, year or coordinate is out of balance. `model_result` adds the tables,
# indicators, headline numbers and figures that `msa run` writes.

# %%
runs = {name: model_result(msa.build_model(definition, name)) for name in ["baseline", "high_lfp"]}
for name, result in runs.items():
    msa.check_balance(result.system)
    print(name, result.system)

# %% [markdown]
# ## Demand and secondary supply by material

# %%
demand = {name: r.tables["demand_and_secondary_supply"] for name, r in runs.items()}
demand["baseline"].head()

# %%
import pandas as pd

pd.concat({name: r.headline["value"] for name, r in runs.items()}, axis=1).round(0)

# %% [markdown]
# ## Policy targets (Battery Regulation, CRMA, NPCE)

# %%
runs["baseline"].indicators[["policy", "indicator", "material", "year", "value", "met"]]

# %% [markdown]
# ## The PGA Sankey for 2030
# The same figure the `msa run` command writes, drawn here interactively.

# %%
runs["baseline"].figures["sankey_pga_2030"]
