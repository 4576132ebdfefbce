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
# This notebook runs the flagship model (`models/ev_batteries_nl`) for two scenarios, checks
# that every process balances, and shows the numbers a product group analysis (PGA) report
# needs: the urban-mine stock, demand against secondary supply, and the policy targets.
# All logic lives in `msa` and the model folder; the notebook only asks and shows.

# %%
from pathlib import Path

import msa

MODEL = Path("models/ev_batteries_nl")
if not MODEL.exists():  # executed from notebooks/ or from a temporary folder in the tests
    MODEL = Path(msa.__file__).resolve().parents[2] / "models" / "ev_batteries_nl"
config, model = msa.load_model(MODEL)
sorted(config.scenarios)

# %% [markdown]
# ## Baseline and high-LFP
# Each run returns a balanced `msa.System` plus result tables; `check_balance` raises if any
# process, year or coordinate is out of balance.

# %%
runs = {name: model.run(config, name) for name in ["baseline", "high_lfp"]}
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
