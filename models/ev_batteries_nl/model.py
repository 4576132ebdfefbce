"""EV traction batteries in the Netherlands: what model.toml cannot declare.

model.toml declares the processes, flows, stocks, data, indicators and outputs; msa builds the
System, grades every value by what it rests on, checks the balance and writes the outputs.
This file holds the functions model.toml names:

- flows (they receive :class:`msa.model.build.FunctionInputs`): the battery of imported used
  EVs (that of their build year), the closed loop (recovered battery-grade material back into
  manufacture, up to demand) and the primary materials it leaves to be supplied;
- indicators, tables and figures (they receive the built model, :class:`msa.model.Built`):
  supply concentration (largest country, BRICS share and HHI of world production, through
  :mod:`msa.jrc_msa.origin`), fleet counts, demand and secondary supply, urban mine by chemistry and
  cohort, discarded batteries by waste-treatment route, and three figures over time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

import msa
from msa.jrc_msa import DEFAULT_GROUP, group_share, hhi, largest_share, to_iso3
from msa.jrc_msa.policy_indicators import treatment_route_table

NEW = "Battery manufacture => Vehicles in use"
IMPORTED = "Used-vehicle imports => Vehicles in use"
PRIMARY = "Primary materials => Battery manufacture"
RECOVERED = "Recycling => Secondary materials"
CLOSED = "Secondary materials => Battery manufacture"
OPEN = "Secondary materials => Open-loop market"
LEAVING = "Vehicles in use => Register exits"
EXPORTED = "Register exits => Used-vehicle exports"
DISCARDED = "End of life => Collection"
USE, SECOND = "Vehicles in use", "Second life"
KEPT, HIBERNATING = "End-of-life stock", "Hibernating stock"
URBAN_MINE = (USE, SECOND, KEPT, HIBERNATING)


def _by_material(da: xr.DataArray) -> xr.DataArray:
    """Sum over vehicle and chemistry (a Monte Carlo run's sample dim stays)."""
    return da.sum([d for d in da.dims if d in ("vehicle", "chemistry")])


# --------------------------------------------------------------------------- flows
def imported_batteries(inputs) -> xr.DataArray:
    """Return the batteries in imported used EVs: each carries the battery of its build year.

    A used EV imported in year t was first registered abroad in t - used_import_age and
    carries that year's capacity and chemistry mix (the first model year's before 2010, when
    used imports are 0). The stock model ages it from that age ([stocks] entry_age).
    """
    d = inputs.data
    per_vehicle = d["battery_capacity"] * d["chemistry_shares"] * d["material_intensity"]
    years = np.asarray(inputs.coords["time"])
    age = int(inputs.parameters["used_import_age"])  # a whole number: checked by the stock
    built = np.clip(years - age, years[0], years[-1])
    per_vehicle = per_vehicle.sel(time=built).assign_coords(time=years)
    return (d["registrations_used"] * per_vehicle).assign_attrs(units="kg")


def closed_loop(inputs) -> xr.DataArray:
    """Return the recovered battery-grade materials back into manufacture, up to demand.

    For each material of ``closed_loop_materials``: the smaller of what is recovered in NL and
    what new batteries need, by year; the rest of what is recovered goes to open-loop markets.
    """
    materials = list(inputs.coords["material"])
    chosen = inputs.parameters["closed_loop_materials"]
    unknown = sorted(set(chosen) - set(materials))
    if unknown:
        raise msa.ConfigError(f"parameter closed_loop_materials: unknown material(s) {unknown}")
    recovered = _by_material(inputs.flows[RECOVERED])
    demand = _by_material(inputs.flows[NEW])
    looped = xr.DataArray([m in chosen for m in materials], coords={"material": materials})
    return xr.where(looped, np.minimum(recovered, demand), 0.0)


def primary_materials(inputs) -> xr.DataArray:
    """Return what new batteries need beyond the closed loop, by vehicle and chemistry.

    The closed loop covers the same share of every new battery's material m:
    ``new * (1 - closed / demand)``, with demand the material in all new batteries.
    """
    new = inputs.flows[NEW]
    demand = new.sum(["vehicle", "chemistry"])
    covered = xr.where(demand > 0, inputs.flows[CLOSED] / demand.where(demand > 0), 0.0)
    return new * (1.0 - covered)


# --------------------------------------------------------------------------- indicators
#: What the supply indicators describe: global supply shares (EC CRM 2023), not where Dutch
#: demand comes from (the model has no import-by-origin data).
BASIS = "world production"


def _stage_shares(built) -> xr.DataArray:
    """Global supply shares by (material, stage, country) of the materials that have them."""
    supply = built.data["supply_shares"].value
    return supply.where(supply.notnull().any(["stage", "country"]), drop=True)


def _supply(built) -> xr.DataArray:
    """Global supply shares by (material, origin): each material's one stage of the table.

    Processing where the EC gives it, else extraction (data/supply_shares.csv).
    """
    supply = _stage_shares(built)
    stages = supply.notnull().any("country").sum("stage")
    if bool((stages > 1).any()):
        many = [str(m) for m in supply["material"].values[(stages > 1).values]]
        raise msa.DataError(f"data/supply_shares.csv: give one stage per material ({many})")
    return supply.sum("stage", min_count=1).rename(country="origin")


def _brics_group(built) -> str:
    """Return the BRICS group of the NMO indicator: parameter brics_group, else BRICS-5."""
    return str(built.parameters.get("brics_group", DEFAULT_GROUP))


def largest_country_share(built) -> xr.DataArray:
    """Return the largest single country's share of global supply, by material (CRMA 65%).

    The EC's published shares as given (``total=1``: they do not sum to exactly 1).
    """
    return largest_share(_supply(built), basis=BASIS, total=1.0)["share"]


def brics_share(built) -> xr.DataArray:
    """Return the BRICS countries' share of global supply, by material (NMO 65%).

    BRICS-5 (the national critical-materials rule) unless parameter ``brics_group`` names
    another group of :func:`msa.jrc_msa.country_groups` (``"BRICS+"``).
    """
    return group_share(_supply(built), _brics_group(built), basis=BASIS, total=1.0)


def supply_hhi(built) -> xr.DataArray:
    """Return the Herfindahl-Hirschman index (0-1) of global supply, by material."""
    return hhi(_supply(built), basis=BASIS, total=1.0)


# --------------------------------------------------------------------------- tables
def flows_by_material(built) -> pd.DataFrame:
    """Return every flow by year and material, with its JRC code."""
    frames = []
    for name, da in built.system.flows.items():
        frame = _by_material(da).to_series().rename("value").reset_index()
        frame.insert(0, "flow", name)
        frames.append(frame.assign(jrc_code=da.attrs.get("jrc_code") or "", units="t"))
    return pd.concat(frames, ignore_index=True)


def demand_and_secondary_supply(built) -> pd.DataFrame:
    """Return demand, primary and secondary supply (closed and open loop) by material."""
    flows = built.system.flows
    table = xr.Dataset(
        {
            "demand": _by_material(flows[NEW]),
            "primary": _by_material(flows[PRIMARY]),
            "secondary_closed_loop": flows[CLOSED],
            "secondary_open_loop": flows[OPEN],
            "secondary_total": _by_material(flows[RECOVERED]),
        }
    ).to_dataframe()
    demand = table["demand"].where(table["demand"] > 0)
    table["secondary_share_of_demand"] = table["secondary_total"] / demand
    return table.reset_index().assign(units="t")


def urban_mine_by_chemistry(built) -> pd.DataFrame:
    """Return the stocks in use, in second life, kept at end of life and hibernating."""
    stocks = built.system.stocks
    names = {
        "in_use": USE,
        "second_life": SECOND,
        "end_of_life_stock": KEPT,
        "hibernating": HIBERNATING,
    }
    mine = xr.Dataset({k: stocks[p]["stock"].sum("vehicle") for k, p in names.items()})
    return mine.to_dataframe().reset_index().assign(units="t")


#: The waste-treatment routes of the model (msa.jrc_msa.waste_treatment_routes) and the flows
#: each receives: high-grade is the closed loop (msa's assumption for EV batteries, grade D:
#: src/msa/data/classifications/high_grade_recycling.csv); second life is repurposing before
#: discard, outside the waste treated; the route of batteries not collected and of recycling
#: losses is not known (energy recovery, incineration or landfill, not split).
ROUTES = {
    "preparing_for_reuse": ["End of life => Second life"],
    "high_grade_recycling": [CLOSED],
    "other_recycling": [OPEN],
    "residual_not_split": ["Recycling => Recycling losses", "Collection => Disposal"],
}


def treatment_routes(built) -> pd.DataFrame:
    """Return the discarded batteries by waste-treatment route per year (t and share).

    The share is of the discarded batteries (End of life => Collection, E.1.6): high-grade
    recycling's share is the NPCE high-grade indicator, and the three routes of the waste
    treated add up to 1. Second life is reported beside them (``in_waste_treated`` False).
    """
    flows = built.system.flows
    routes = {r: sum(_over_time(flows[f]) for f in names) for r, names in ROUTES.items()}
    table = treatment_route_table(routes, treated=_over_time(flows[DISCARDED]))
    table["flows"] = table["route"].map({r: "; ".join(n) for r, n in ROUTES.items()})
    table["in_waste_treated"] = table["route"] != "preparing_for_reuse"
    return table


def _over_time(da: xr.DataArray) -> xr.DataArray:
    """Sum every dim but time (and a Monte Carlo sample) into t."""
    return da.sum([d for d in da.dims if d not in ("time", "sample")]).assign_attrs(units="t")


def urban_mine_by_cohort(built) -> pd.DataFrame:
    """Return the in-use stock by cohort (year of entry) in the Sankey years."""
    years = list(built.definition.outputs.sankey_years)
    cohort = built.stocks[USE]["stock_by_cohort"].sel(time=years).sum("vehicle").to_series()
    return cohort[cohort > 0].rename("in_use_stock").reset_index().assign(units="t")


def fleet(built) -> pd.DataFrame:
    """Return the vehicles in use: registrations aged by the fleet's own stock model."""
    counts = {
        NEW: built.data["registrations_new"].value,
        IMPORTED: built.data["registrations_used"].value,
    }
    stock = built.stock_models[USE].run(counts)["stock"]
    return stock.to_series().rename("vehicles_in_use").reset_index()


def supply_concentration(built) -> pd.DataFrame:
    """Return each material's largest supplier, BRICS share, HHI and primary supply in 2030."""
    by_stage = _stage_shares(built)
    supply = _supply(built)
    names = dict(zip(to_iso3(by_stage["country"].values), by_stage["country"].values, strict=True))
    top = largest_share(supply, basis=BASIS, total=1.0)
    brics, index = brics_share(built), supply_hhi(built)
    primary = _by_material(built.system.flows[PRIMARY]).sel(time=2030)
    rows = []
    for m in supply["material"].values:
        stage = str(by_stage["stage"].values[by_stage.sel(material=m).notnull().any("country")][0])
        share, b = float(top["share"].sel(material=m)), float(brics.sel(material=m))
        country = str(top["origin"].sel(material=m).item())
        p2030 = float(primary.sel(material=m))
        rows.append(
            {
                "material": m,
                "stage": stage,
                "largest_country": names[country],
                "largest_country_iso3": country,
                "largest_country_share": share,
                "brics_group": brics.attrs["group"],
                "brics_share": b,
                "hhi": float(index.sel(material=m)),
                "basis": BASIS,
                "primary_supply_2030_t": p2030,
                "from_largest_country_2030_t": p2030 * share,
                "from_brics_2030_t": p2030 * b,
                "source_id": "crm2023",
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures
# msa's plot builder (msa.figures.plots): the Sankeys' font and Paul Tol's palettes, laid out
# for a 16 cm report column at 300 dpi; msa writes each as HTML, PNG and SVG through its image
# server, which renders them while the rest of the run goes on.
SHOWN = ["Li", "Co", "Ni", "Mn", "graphite", "Cu"]  # the six materials of secondary_vs_demand


def _rows(da: xr.DataArray, series: str, **columns) -> pd.DataFrame:
    """Return a series over time (summed over every other dim) as rows of a plot."""
    total = da.sum([d for d in da.dims if d != "time"])
    frame = pd.DataFrame({"year": total["time"].values.astype(int), "value": total.values})
    return frame.assign(series=series, **columns)


def stock_by_material(built):
    """Return the urban mine (in use, second life, kept at end of life, hibernating), stacked."""
    from msa.figures.plots import time_series

    stocks = built.system.stocks
    mine = sum(_by_material(stocks[p]["stock"]) for p in URBAN_MINE)
    frame = pd.concat([_rows(mine.sel(material=m), str(m)) for m in mine["material"].values])
    return time_series(
        frame,
        units="t",
        title="EV-battery urban mine in the Netherlands, by material",
        subtitle=f"In use, second life, kept at end of life and hibernating, end of year; "
        f"scenario {built.scenario}",
        quantity="Urban mine",
        stacked=True,
    )


def inflow_outflow(built):
    """Return new batteries, the inflow to use, the outflow, exports and discards per year."""
    from msa.figures.plots import SeriesStyle, time_series

    flows = built.system.flows
    lines = {
        "new batteries (demand)": ([NEW], SeriesStyle(width=3.5)),
        "inflow to use incl. used imports": ([NEW, IMPORTED], SeriesStyle(dash="dash")),
        "outflow from use": ([LEAVING], SeriesStyle()),
        "exported in used vehicles": ([EXPORTED], SeriesStyle(dash="dash")),
        "discarded in NL (to collection)": ([DISCARDED], SeriesStyle()),
    }
    frame = pd.concat(
        [_rows(sum(flows[n] for n in names), label) for label, (names, _) in lines.items()]
    )
    return time_series(
        frame,
        units="t/yr",
        title="EV-battery inflow and outflow in the Netherlands",
        subtitle=f"Battery mass, all materials; scenario {built.scenario}",
        quantity="Battery mass",
        styles={label: style for label, (_, style) in lines.items()},
    )


def secondary_vs_demand(built):
    """Return demand, secondary supply and the closed loop of six materials per year."""
    from msa.figures.plots import SeriesStyle, time_series

    flows = built.system.flows
    demand, recovered = _by_material(flows[NEW]), _by_material(flows[RECOVERED])
    closed = _by_material(flows[CLOSED])
    frame = pd.concat(
        [
            _rows(da.sel(material=m), label, material=m)
            for m in SHOWN
            for label, da in (
                ("secondary supply", recovered),
                ("demand", demand),
                ("closed loop into batteries", closed),
            )
        ]
    )
    styles = {
        "secondary supply": SeriesStyle(color="#228833", area=True),
        "demand": SeriesStyle(color="#1A1A1A", width=3.0),
        "closed loop into batteries": SeriesStyle(color="#4477AA", dash="dash", width=2.0),
    }
    return time_series(
        frame,
        units="t/yr",
        title="Secondary supply and demand of battery materials in the Netherlands",
        subtitle=f"Mass of each material in the batteries; scenario {built.scenario}",
        quantity="Material flow",
        panel="material",
        styles=styles,
    )
