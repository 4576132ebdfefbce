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
# # One system, three views: JRC, ICER national and PGA
#
# The JRC Material System Analysis chain is msa's reference model; the Dutch ICER national
# Sankey and the Sankey of a product group analysis (PGA) are *views* of it: each JRC variable
# lands in a link of the view, inside one of its nodes, or out of its scope. This notebook takes
# one system, the illustrative lithium MSA table of `models/msa_example` (one row per JRC
# variable, material, region and year, closing every stage), and reports it in all three views:
# the same numbers, different nodes, and what each view leaves out.
#
# The model folders are in the msa repository (`models/`); set `MSA_MODELS` to that folder when
# the notebook runs elsewhere.

# %%
import pandas as pd
from IPython.display import display

import msa
from msa.figures.export import show_static

pd.options.display.float_format = "{:,.0f}".format
YEAR = 2021
definition = msa.load_definition(msa.shipped_model("msa_example"))
system = msa.build_model(definition, "baseline").system
display(system)

# %% [markdown]
# ## The JRC variables the system holds
#
# Each flow tagged with a `jrc_code` is a JRC MSA variable (or a `+`-fold of several, when a
# source gives only their sum). `msa.jrc_variables` collects them per year; the full list of the
# 43 variables, with the JRC's definitions, is on the *JRC MSA variables* page of the docs.

# %%
variables = msa.jrc_variables(system, dims=()).sel(time=YEAR).to_pandas()
names = msa.jrc_msa.tables.reference_table("jrc_variables").set_index("code")["name_en"]
pd.DataFrame(
    {
        "name": [names.get(code.split("+")[0], "") for code in variables.index],
        f"{YEAR} (t)": variables.values,
    },
    index=variables.index.rename("code"),
)

# %% [markdown]
# ## The three views
#
# `msa.jrc`, `msa.icer_national` and `msa.pga` return a `View`: its links, and the variables it
# holds inside a node, leaves out of scope, or maps uncertainly (the institutes have not settled
# the mapping: shown, never resolved silently).

# %%
views = {f.__name__: f(system, year=YEAR) for f in (msa.jrc, msa.icer_national, msa.pga)}
summary = pd.DataFrame(
    {
        name: {
            "links": len(view.links),
            "inside a node": len(view.inside),
            "out of scope": len(view.out_of_scope),
            "uncertain": len(view.uncertain),
            "total drawn (t)": view.links["value"].sum(),
        }
        for name, view in views.items()
    }
)
display(summary.T)


# %% [markdown]
# ## What each view leaves out
#
# The out-of-scope table names every variable a view leaves out, with its quantity: first the
# ICER national view, then the PGA view.


# %%
def left_out(view: msa.View) -> pd.DataFrame:
    """Return the variables a view leaves out, with their names and values in tonnes."""
    rows = view.out_of_scope.groupby("code", as_index=False)["value"].sum()
    rows["name"] = [names.get(code.split("+")[0], "") for code in rows["code"]]
    return rows.rename(columns={"value": f"{YEAR} (t)"}).set_index("code")[["name", f"{YEAR} (t)"]]


left_out(views["icer_national"])

# %%
left_out(views["pga"])


# %% [markdown]
# ## The Sankeys
#
# Each view is drawn with its own nodes (Dutch labels for the Dutch views). What a view leaves
# out of a node is its *scope gap*, drawn as a pale grey link to *Buiten deze weergave*, so every
# node visibly balances. Each figure is shown as a static image; `fig` alone in a cell gives the
# interactive one.


# %%
def view_sankey(view: msa.View, title: str, lang: str) -> None:
    """Draw a view's Sankey with its scope gaps and show it as a PNG."""
    links = pd.concat([view.links, msa.scope_gaps(view)], ignore_index=True)
    fig = msa.sankey(
        links[links["year"] == YEAR],
        nodes=view.nodes,
        lang=lang,
        title=title,
        footnotes=list(view.footnotes_in(lang)),
    )
    show_static(fig)


view_sankey(views["jrc"], f"JRC MSA chain, {YEAR}", "en")

# %%
view_sankey(views["icer_national"], f"ICER nationaal, {YEAR}", "nl")

# %%
view_sankey(views["pga"], f"PGA, {YEAR}", "nl")

# %% [markdown]
# ## Indicators
#
# The indicators are computed from the JRC codes, whichever view is drawn: DMI, DMC, import
# reliance, the end-of-life recycling input rate, the circular material use rate and others.
# An indicator whose codes the system does not hold is reported as not computable.

# %%
indicators = msa.indicator_table(system)
shown = indicators[indicators["year"] == YEAR]
values = [
    f"{v:.1%}" if u == "1" else f"{v:,.0f}"
    for v, u in zip(shown["value"], shown["units"], strict=True)
]
shown.assign(value=values, units=shown["units"].replace({"1": "%"}))[
    ["indicator", "value", "units", "note"]
]
