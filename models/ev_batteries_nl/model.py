"""EV traction batteries in the Netherlands, 2010-2050: the model logic.

Built only on msa's public API. ``run(config, scenario)`` reads the data tables named in
model.toml, applies the scenario's parameter overrides, builds a mass-balanced
:class:`msa.System` in tonnes over (time, vehicle, chemistry, material) and returns a
:class:`msa.ModelResult` with tables, indicators, figures and the data-quality summary.

Chain (PGA view)::

    Primary materials --D.1.3--> Battery manufacture --D.1.1--> Vehicles in use (stock)
    Used-vehicle imports --E.1.4--> Vehicles in use
    Vehicles in use --E.1.3--> Used-vehicle exports           (lost to NL)
    Vehicles in use --> Second life (stock) | Hibernation (stock, E.1.8) | End of life
    Second life, Hibernation --> End of life --E.1.6--> Collection
    Collection --F.1.4--> Recycling;  Collection --F.1.3--> Disposal (not collected)
    Recycling --G.1.2--> Battery manufacture (closed loop, up to demand)
    Recycling --G.1.1--> Open-loop market;  Recycling --G.1.5--> Recycling losses

Battery mass of material m in one vehicle of type v registered in year t:
``kWh[t, v] * share[t, chemistry] * intensity[chemistry, m] / 1000`` (t), summed over no dim:
the chemistry dim is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

import msa

T = "t"
# process ids
PRIMARY = "Primary materials"
MANUFACTURE = "Battery manufacture"
IMPORTS = "Used-vehicle imports"
USE = "Vehicles in use"
EXPORTS = "Used-vehicle exports"
SECOND = "Second life"
HIBERNATION = "Hibernation"
END_OF_LIFE = "End of life"
COLLECTION = "Collection"
DISPOSAL = "Disposal"
RECYCLING = "Recycling"
OPEN_LOOP = "Open-loop market"
LOSSES = "Recycling losses"
BATTERY_METALS = ["Li", "Co", "Ni", "Mn", "graphite", "Cu", "Al"]


# --------------------------------------------------------------------------- data
def _read(config: msa.ModelConfig, scenario: str) -> dict:
    """Read and validate every data table; return arrays and the frames (for grades)."""
    dims = config.dims
    years = list(dims["time"])
    src = config.sources()
    params = config.parameters_for(scenario)
    p = {k: v.value for k, v in params.items()}

    reg = config.read_table(
        "registrations",
        dims={"vehicle": dims["vehicle"], "year": years, "flow": ["new", "used_import"]},
        sources=src,
    )
    path = config.table_path("registrations")
    reg["year"] = reg["year"].astype(int)
    vehicles = {"flow": ["new", "used_import"], "year": years, "vehicle": list(dims["vehicle"])}
    registrations = msa.table_to_dataarray(reg, vehicles, path=path, units="vehicles")
    registrations = registrations.rename(year="time")

    cap = config.read_table(
        "battery_capacity", dims={"vehicle": dims["vehicle"], "year": years}, sources=src
    )
    cap["year"] = cap["year"].astype(int)
    capacity = msa.table_to_dataarray(
        cap,
        {"year": years, "vehicle": list(dims["vehicle"])},
        path=config.table_path("battery_capacity"),
        units="kWh/vehicle",
    ).rename(year="time")

    chem = config.read_table(
        "chemistry_shares",
        dims={"chemistry_scenario": None, "year": years, "chemistry": dims["chemistry"]},
        sources=src,
    )
    chem["year"] = chem["year"].astype(int)
    chem_path = config.table_path("chemistry_shares")
    msa.check_shares(chem, by=["chemistry_scenario", "year"], path=chem_path)
    choice = p["chemistry_scenario"]
    known = sorted(chem["chemistry_scenario"].unique())
    if choice not in known:
        raise msa.ConfigError(
            f"{config.path}: parameter chemistry_scenario = {choice!r} (scenario {scenario!r}) "
            f"is not in {chem_path.name}; known: {known}"
        )
    chem = chem[chem["chemistry_scenario"] == choice]
    shares = msa.table_to_dataarray(
        chem, {"year": years, "chemistry": list(dims["chemistry"])}, path=chem_path, units="1"
    ).rename(year="time")

    mi = config.read_table(
        "material_intensity",
        dims={"chemistry": dims["chemistry"], "material": dims["material"]},
        sources=src,
    )
    intensity = msa.table_to_dataarray(
        mi,
        {"chemistry": list(dims["chemistry"]), "material": list(dims["material"])},
        path=config.table_path("material_intensity"),
        units="kg/kWh",
    )

    rec = config.read_table(
        "recovery_rates", dims={"material": dims["material"], "year": None}, sources=src
    )
    rec["year"] = rec["year"].astype(int)
    bad = rec[rec["value"] > 1]
    if len(bad):
        raise msa.DataError(
            f"{config.table_path('recovery_rates')}: row {int(bad['row'].iloc[0])}: recovery "
            f"rate {bad['value'].iloc[0]} > 1"
        )
    recovery = _trajectory(rec, list(dims["material"]), years, config)

    supply = config.read_table(
        "supply_shares", dims={"material": dims["material"], "country": None}, sources=src
    )
    brics = config.read_table("brics", dims={"country": None}, sources=src)
    targets = config.read_table(
        "targets",
        dims={"target_id": None, "indicator": None, "material": None},
        sources=src,
    )
    for name in ("export_share", "second_life_share", "hibernation_share", "collection_rate"):
        if not 0 <= p[name] <= 1:
            raise msa.ConfigError(
                f"{config.path}: parameter {name} = {p[name]} (scenario {scenario!r}) must be "
                "a share in [0, 1]"
            )
    if p["second_life_share"] + p["hibernation_share"] > 1:
        raise msa.ConfigError(
            f"{config.path}: second_life_share + hibernation_share must be <= 1 "
            f"(scenario {scenario!r})"
        )
    unknown = sorted(set(p["closed_loop_materials"]) - set(dims["material"]))
    if unknown:
        raise msa.ConfigError(
            f"{config.path}: parameter closed_loop_materials has unknown material(s) {unknown}"
        )
    return {
        "params": params,
        "p": p,
        "sources": src,
        "registrations": registrations,
        "reg_frame": reg,
        "capacity": capacity,
        "shares": shares,
        "intensity": intensity,
        "recovery": recovery,
        "rec_frame": rec,
        "supply": supply,
        "brics": brics,
        "targets": targets,
        "grades": {
            "registrations": reg["grade"],
            "battery capacity": cap["grade"],
            "chemistry shares": chem["grade"],
            "material intensity": mi["grade"],
            "recovery rates": rec["grade"],
            "supply shares": supply["grade"],
            "parameters": pd.Series([q.grade for q in params.values()]),
        },
    }


def _trajectory(
    rec: pd.DataFrame, materials: list[str], years: list[int], config: msa.ModelConfig
) -> xr.DataArray:
    """Recovery rate by (time, material): linear between the anchor years, flat outside."""
    missing = sorted(set(materials) - set(rec["material"]))
    if missing:
        raise msa.DataError(
            f"{config.table_path('recovery_rates')}: no recovery rate for material(s) {missing}"
        )
    out = np.empty((len(years), len(materials)))
    for j, m in enumerate(materials):
        sub = rec[rec["material"] == m].sort_values("year")
        if sub["year"].duplicated().any():
            row = int(sub.loc[sub["year"].duplicated(), "row"].iloc[0])
            raise msa.DataError(
                f"{config.table_path('recovery_rates')}: row {row}: duplicate year for {m}"
            )
        out[:, j] = np.interp(years, sub["year"], sub["value"])
    return xr.DataArray(
        out,
        dims=("time", "material"),
        coords={"time": years, "material": materials},
        attrs={"units": "1"},
    )


# --------------------------------------------------------------------------- model
def _lifetime_factors(p: dict, years: list[int]) -> tuple[xr.DataArray, xr.DataArray]:
    """Lifetime factors by cohort (design) and by year (maintenance)."""
    yrs = np.asarray(years)
    by_cohort = xr.DataArray(
        np.where(yrs >= p["lifetime_cohort_from"], float(p["lifetime_cohort_factor"]), 1.0),
        dims="cohort",
        coords={"cohort": yrs},
    )
    by_year = xr.DataArray(
        np.where(yrs >= p["lifetime_year_from"], float(p["lifetime_year_factor"]), 1.0),
        dims="time",
        coords={"time": yrs},
    )
    return by_cohort, by_year


def vehicle_lifetime(p: dict, years: list[int]) -> msa.WeibullLifetime:
    """Return the lifetime of a car in the NL fleet: Weibull, with its factors over ``years``.

    Parameters
    ----------
    p : dict
        Parameter values of a scenario (``config.values_for(scenario)``, or ``compute(...)
        ["data"]["p"]``): ``vehicle_lifetime_shape``, ``vehicle_lifetime_scale`` (years) and
        the lifetime factors by cohort and by year.
    years : list of int
        The years (cohorts and time) the factors cover.

    Returns
    -------
    msa.WeibullLifetime
        The lifetime of vehicles in use (and so of their batteries) by cohort and year.
    """
    by_cohort, by_year = _lifetime_factors(p, years)
    return msa.WeibullLifetime(
        shape=float(p["vehicle_lifetime_shape"]),
        scale=float(p["vehicle_lifetime_scale"]),
        factor_by_cohort=by_cohort,
        factor_by_year=by_year,
    )


def _import_age(config: msa.ModelConfig, scenario: str, p: dict) -> int:
    """Return the age of imported used EVs (whole years, 0 = as new), validated."""
    age = p["used_import_age"]
    if isinstance(age, bool) or not isinstance(age, int | float) or age != int(age):
        raise msa.ConfigError(
            f"{config.path}: parameter used_import_age = {age!r} (scenario {scenario!r}) must be "
            "a whole number of years"
        )
    if not 0 <= age <= 30:
        raise msa.ConfigError(
            f"{config.path}: parameter used_import_age = {age!r} (scenario {scenario!r}) must be "
            "between 0 and 30 years"
        )
    return int(age)


def _built(per_vehicle: xr.DataArray, age: int) -> xr.DataArray:
    """Battery per vehicle of cars built ``age`` years before each year (first year's before it).

    A used EV imported in year t was registered abroad in t - age and carries that year's
    capacity and chemistry; for t - age before the first model year the first year's battery
    is taken (used imports are 0 then).
    """
    years = per_vehicle["time"].values
    built = np.maximum(years - age, years[0])
    return per_vehicle.sel(time=built).assign_coords(time=years)


def _import_survival(p: dict, years: list[int], age: int) -> xr.DataArray:
    r"""Survival in NL of used EVs imported ``age`` years old, by (time, cohort = import year).

    An import of year :math:`c` is a survivor of the cohort :math:`b = c - a` first registered
    abroad (mid-year, as new cars) and enters the NL stock at the start of year :math:`c`,
    :math:`a - 1/2` years old. It then ages with the NL car lifetime of cohort :math:`b`
    (its factor by cohort, and the factor by year from its import on), conditional on having
    survived to the import:

    .. math:: sf^{imp}[t, c] = sf[t, c - a] / sf[c - 1, c - a], \quad t \ge c

    with ``sf`` = :func:`msa.survival_matrix` of the vehicle lifetime on a time axis that
    starts ``a + 1`` years before the first model year. ``age = 0`` treats imports as new cars
    (:math:`sf^{imp} = sf`, inflow at mid-year).
    """
    yrs = np.asarray(years)
    if age == 0:
        return msa.survival_matrix(vehicle_lifetime(p, years), years)
    ext = np.arange(yrs[0] - age - 1, yrs[-1] + 1)
    sf = msa.survival_matrix(vehicle_lifetime(p, list(ext)), ext).values
    rows = yrs - ext[0]
    born = yrs - age - ext[0]
    num = sf[np.ix_(rows, born)]
    den = sf[rows - 1, born]
    if (den <= 0).any():
        year = int(yrs[np.flatnonzero(den <= 0)[0]])
        raise msa.StockModelError(
            f"used_import_age = {age}: no car of cohort {year - age} survives to its import in "
            f"{year} under the vehicle lifetime; lower the import age"
        )
    out = np.where(yrs[:, None] >= yrs[None, :], num / den, 0.0)
    return xr.DataArray(out, dims=("time", "cohort"), coords={"time": yrs, "cohort": yrs})


def _imported_stock(inflow: xr.DataArray, sf: xr.DataArray, *, by_cohort: bool) -> xr.Dataset:
    r"""Stock and outflow of used imports aging by the survival matrix ``sf[t, c]``.

    :math:`s_{t,c} = i_c \, sf_{t,c}`, :math:`o_{t,c} = i_c (sf_{t-1,c} - sf_{t,c} + [t=c])`
    (``sf`` of :func:`_import_survival`); inflow - outflow = stock change by telescoping.
    """
    units = inflow.attrs.get("units", "")
    x = inflow.rename(time="cohort")
    prev = sf.shift(time=1, fill_value=0.0) + xr.DataArray(
        np.eye(sf.sizes["time"]), dims=sf.dims, coords=sf.coords
    )
    leave = prev - sf
    stock_c = sf * x
    out_c = leave * x
    stock = stock_c.sum("cohort")
    data = {
        "inflow": inflow,
        "outflow": out_c.sum("cohort"),
        "stock": stock,
        "stock_change": xr.concat([stock.isel(time=[0]), stock.diff("time")], dim="time"),
    }
    if by_cohort:
        data["stock_by_cohort"] = stock_c.transpose("time", "cohort", ...)
        data["outflow_by_cohort"] = out_c.transpose("time", "cohort", ...)
    for da in data.values():
        da.attrs["units"] = units
    return xr.Dataset(data)


def _sum_stocks(a: xr.Dataset, b: xr.Dataset) -> xr.Dataset:
    """Add two sets of cohorts of the same stock process, variable by variable."""
    out = xr.Dataset({name: a[name] + b[name] for name in a.data_vars}, attrs=a.attrs)
    for name in out.data_vars:
        out[name].attrs["units"] = a[name].attrs.get("units", "")
    return out


def compute(config: msa.ModelConfig, scenario: str = "baseline") -> dict:
    """Compute every quantity of the chain (tonnes) for ``scenario``; no output files.

    Returns a dict of DataArrays (flows, stocks) plus the data read.
    """
    d = _read(config, scenario)
    p = d["p"]
    years = list(config.dims["time"])
    # battery mass per vehicle, t/vehicle, by (time, vehicle, chemistry, material)
    per_vehicle = d["capacity"] * d["shares"] * d["intensity"] / 1000.0
    per_vehicle = per_vehicle.transpose("time", "vehicle", "chemistry", "material")
    new_mass = d["registrations"].sel(flow="new", drop=True) * per_vehicle
    import_mass = d["registrations"].sel(flow="used_import", drop=True) * per_vehicle

    age = _import_age(config, scenario, p)
    import_mass = d["registrations"].sel(flow="used_import", drop=True) * _built(per_vehicle, age)
    vehicle_life = vehicle_lifetime(p, years)
    import_sf = _import_survival(p, years, age)
    use_new = msa.inflow_driven(new_mass, vehicle_life, by_cohort=True)
    use_imports = _imported_stock(import_mass, import_sf, by_cohort=True)
    use = _sum_stocks(use_new, use_imports)
    # vehicle counts, for validation against the CBS/BOVAG fleet
    reg = d["registrations"]
    fleet = _sum_stocks(
        msa.inflow_driven(reg.sel(flow="new", drop=True), vehicle_life, by_cohort=False),
        _imported_stock(reg.sel(flow="used_import", drop=True), import_sf, by_cohort=False),
    )

    leaving = use["outflow"]
    exported = leaving * p["export_share"]
    domestic = leaving - exported
    to_second = domestic * p["second_life_share"]
    to_hibernation = domestic * p["hibernation_share"]
    direct = domestic - to_second - to_hibernation
    second = msa.inflow_driven(
        to_second,
        msa.NormalLifetime(mean=float(p["second_life_mean"]), std=float(p["second_life_std"])),
        by_cohort=False,
    )
    hibernation = msa.inflow_driven(
        to_hibernation,
        msa.NormalLifetime(mean=float(p["hibernation_mean"]), std=float(p["hibernation_std"])),
        by_cohort=False,
    )
    discarded = direct + second["outflow"] + hibernation["outflow"]
    collected = discarded * p["collection_rate"]
    disposed = discarded - collected
    recovered = collected * d["recovery"]
    losses = collected - recovered

    # closed loop: recovered battery materials back into manufacture, up to the demand
    recovered_m = recovered.sum(["vehicle", "chemistry"])
    demand_m = new_mass.sum(["vehicle", "chemistry"])
    closed_mask = xr.DataArray(
        [m in p["closed_loop_materials"] for m in config.dims["material"]],
        dims="material",
        coords={"material": list(config.dims["material"])},
    )
    closed = xr.where(closed_mask, np.minimum(recovered_m, demand_m), 0.0)
    open_loop = recovered_m - closed
    secondary_share_of_demand = xr.where(demand_m > 0, closed / demand_m.where(demand_m > 0), 0.0)
    primary = new_mass * (1.0 - secondary_share_of_demand)

    return {
        "data": d,
        "per_vehicle": per_vehicle,
        "new_mass": new_mass,
        "import_mass": import_mass,
        "use": use,
        "use_new": use_new,
        "use_imports": use_imports,
        "import_survival": import_sf,
        "fleet": fleet,
        "exported": exported,
        "to_second": to_second,
        "to_hibernation": to_hibernation,
        "direct": direct,
        "second": second,
        "hibernation": hibernation,
        "discarded": discarded,
        "collected": collected,
        "disposed": disposed,
        "recovered": recovered,
        "losses": losses,
        "closed": closed,
        "open_loop": open_loop,
        "primary": primary,
        "demand_m": demand_m,
        "recovered_m": recovered_m,
    }


def build_system(config: msa.ModelConfig, scenario: str, c: dict) -> msa.System:
    """Assemble the balanced :class:`msa.System` from the computed quantities."""
    d = c["data"]
    params = d["params"]
    coords = {k: list(v) for k, v in config.dims.items()}
    system = msa.System(
        f"{config.name} ({scenario})",
        coords=coords,
        sources=d["sources"],
        attrs={"scenario": scenario, "model": config.name, "msa_version": msa.__version__},
    )
    for pid, kind, stage, nl in (
        (PRIMARY, "boundary", "Processing", "Primaire grondstoffen"),
        (MANUFACTURE, "transformation", "Manufacture", "Batterijproductie"),
        (IMPORTS, "boundary", "Use", "Import gebruikte voertuigen"),
        (USE, "stock", "Use", "Voertuigen in gebruik"),
        (EXPORTS, "boundary", "Use", "Export gebruikte voertuigen"),
        (SECOND, "stock", "Use", "Tweede leven"),
        (HIBERNATION, "stock", "Use", "Opgeslagen (hibernatie)"),
        (END_OF_LIFE, "transformation", "Use", "Afgedankt"),
        (COLLECTION, "transformation", "Collection", "Inzameling"),
        (DISPOSAL, "boundary", "Collection", "Niet ingezameld"),
        (RECYCLING, "transformation", "Recycling", "Recycling"),
        (OPEN_LOOP, "boundary", "Recycling", "Open loop"),
        (LOSSES, "boundary", "Recycling", "Recyclingverlies"),
    ):
        system.add_process(pid, kind=kind, stage=stage, label_nl=nl)

    reg = d["reg_frame"]
    reg_new = reg[reg["flow"] == "new"]
    reg_imp = reg[reg["flow"] == "used_import"]

    def prov(frame: pd.DataFrame, col: str) -> xr.DataArray:
        s = frame.set_index(["year", "vehicle"])[col]
        da = xr.DataArray.from_series(s).rename(year="time").astype(object)
        return da.transpose("time", "vehicle")

    def param(name: str) -> dict:
        q = params[name]
        return {"source_id": q.source_id, "grade": q.grade}

    add = system.add_flow
    add(
        PRIMARY,
        MANUFACTURE,
        c["primary"],
        units=T,
        jrc_code="D.1.3",
        source_id=prov(reg_new, "source_id"),
        grade=prov(reg_new, "grade"),
        attrs={"flow_type": "primary"},
    )
    add(
        MANUFACTURE,
        USE,
        c["new_mass"],
        units=T,
        jrc_code="D.1.1",
        source_id=prov(reg_new, "source_id"),
        grade=prov(reg_new, "grade"),
    )
    add(
        IMPORTS,
        USE,
        c["import_mass"],
        units=T,
        jrc_code="E.1.4",
        source_id=prov(reg_imp, "source_id"),
        grade=prov(reg_imp, "grade"),
        attrs={"flow_type": "import"},
    )
    add(
        USE,
        EXPORTS,
        c["exported"],
        units=T,
        jrc_code="E.1.3",
        **param("export_share"),
        attrs={"flow_type": "export"},
    )
    add(USE, SECOND, c["to_second"], units=T, **param("second_life_share"))
    add(USE, HIBERNATION, c["to_hibernation"], units=T, **param("hibernation_share"))
    add(USE, END_OF_LIFE, c["direct"], units=T, **param("export_share"))
    add(SECOND, END_OF_LIFE, c["second"]["outflow"], units=T, **param("second_life_mean"))
    add(HIBERNATION, END_OF_LIFE, c["hibernation"]["outflow"], units=T, **param("hibernation_mean"))
    add(
        END_OF_LIFE,
        COLLECTION,
        c["discarded"],
        units=T,
        jrc_code="E.1.6",
        **param("collection_rate"),
    )
    add(
        COLLECTION, RECYCLING, c["collected"], units=T, jrc_code="F.1.4", **param("collection_rate")
    )
    add(
        COLLECTION,
        DISPOSAL,
        c["disposed"],
        units=T,
        jrc_code="F.1.3",
        **param("collection_rate"),
        attrs={"flow_type": "loss"},
    )
    add(
        RECYCLING,
        MANUFACTURE,
        c["closed"],
        units=T,
        jrc_code="G.1.2",
        **param("closed_loop_materials"),
        attrs={"flow_type": "secondary"},
    )
    add(
        RECYCLING,
        OPEN_LOOP,
        c["open_loop"],
        units=T,
        jrc_code="G.1.1",
        **param("closed_loop_materials"),
        attrs={"flow_type": "secondary"},
    )
    add(
        RECYCLING,
        LOSSES,
        c["losses"],
        units=T,
        jrc_code="G.1.5",
        source_id="reg_2023_1542",
        grade="C",
        attrs={"flow_type": "loss"},
    )

    use = c["use"]
    system.add_stock(
        USE,
        use["stock"],
        stock_change=use["stock_change"],
        units=T,
        source_id=prov(reg_new, "source_id"),
        grade=prov(reg_new, "grade"),
        extra={"stock_by_cohort": use["stock_by_cohort"]},
        attrs={"jrc_code": "E.1.1"},
    )
    for pid, ds, name in (
        (SECOND, c["second"], "second_life_mean"),
        (HIBERNATION, c["hibernation"], "hibernation_mean"),
    ):
        system.add_stock(pid, ds["stock"], stock_change=ds["stock_change"], units=T, **param(name))
    # The net additions to stock as JRC variables, so views draw them (PGA: Voorraad's net
    # addition): in use E.1.7 (vehicles and second-life storage), hibernating E.1.8.
    system.add_parameter(
        "net addition to in-use stock",
        use["stock_change"] + c["second"]["stock_change"],
        units=T,
        source_id=prov(reg_new, "source_id"),
        grade=prov(reg_new, "grade"),
        attrs={"jrc_code": "E.1.7"},
    )
    system.add_parameter(
        "net addition to hibernating stock",
        c["hibernation"]["stock_change"],
        units=T,
        **param("hibernation_mean"),
        attrs={"jrc_code": "E.1.8"},
    )
    return system


# --------------------------------------------------------------------------- indicators
def _ratio(num: xr.DataArray, den: xr.DataArray) -> xr.DataArray:
    """Return num / den, NaN where den == 0 (undefined, never counted as a met target)."""
    return num / den.where(den > 0)


def indicator_series(c: dict) -> dict[tuple[str, str], pd.Series]:
    """Yearly indicator series keyed by (indicator, material), as the targets table uses.

    - recycling_efficiency (all): recovered mass / mass entering recycling, all materials
      (Reg. (EU) 2023/1542 Annex XII Part B, by average weight);
    - material_recovery (m): recovered m / m entering recycling (Annex XII Part C);
    - recycled_content (m): closed-loop secondary m / m in new batteries (Art. 8; national
      proxy: the regulation measures it per battery model and plant);
    - secondary_supply_share (m): all secondary m recovered in NL / m in new batteries (CRMA
      Art. 5(1)(a)(iii) 25% benchmark applied to this product system);
    - largest_country_share, brics_share (m): of global primary supply (CRM 2023 shares;
      constant over time, no projection of supply shares is made).
    """
    d = c["data"]
    years = c["demand_m"]["time"].values
    collected_m = c["collected"].sum(["vehicle", "chemistry"])
    out: dict[tuple[str, str], pd.Series] = {}
    eff = _ratio(c["recovered_m"].sum("material"), collected_m.sum("material"))
    out[("recycling_efficiency", "all")] = eff.to_series()
    recovery = _ratio(c["recovered_m"], collected_m)
    content = _ratio(c["closed"], c["demand_m"])
    secondary = _ratio(c["recovered_m"], c["demand_m"])
    supply = d["supply"]
    brics = set(d["brics"]["country"])
    for m in c["demand_m"]["material"].values:
        out[("material_recovery", m)] = recovery.sel(material=m, drop=True).to_series()
        out[("recycled_content", m)] = content.sel(material=m, drop=True).to_series()
        out[("secondary_supply_share", m)] = secondary.sel(material=m, drop=True).to_series()
        sub = supply[supply["material"] == m]
        if len(sub):
            out[("largest_country_share", m)] = pd.Series(float(sub["value"].max()), years)
            share = float(sub.loc[sub["country"].isin(brics), "value"].sum())
            out[("brics_share", m)] = pd.Series(share, years)
    for s in out.values():
        s.index = s.index.astype(int)
        s.index.name = "time"
    return out


def _supply_table(c: dict) -> pd.DataFrame:
    d = c["data"]
    brics = set(d["brics"]["country"])
    primary = c["primary"].sum(["vehicle", "chemistry"])
    rows = []
    for m, sub in d["supply"].groupby("material", sort=False):
        top = sub.loc[sub["value"].idxmax()]
        b = float(sub.loc[sub["country"].isin(brics), "value"].sum())
        p2030 = float(primary.sel(time=2030, material=m))
        rows.append(
            {
                "material": m,
                "stage": top["stage"],
                "largest_country": top["country"],
                "largest_country_share": float(top["value"]),
                "brics_share": b,
                "primary_supply_2030_t": p2030,
                "from_largest_country_2030_t": p2030 * float(top["value"]),
                "from_brics_2030_t": p2030 * b,
                "source_id": "crm2023",
            }
        )
    return pd.DataFrame(rows)


def headline_table(c: dict, series: dict) -> pd.DataFrame:
    """Return the headline numbers of a run: fleet, demand, urban mine, secondary supply.

    Parameters
    ----------
    c : dict
        The quantities of :func:`compute`.
    series : dict
        The indicator series of :func:`indicator_series` for ``c``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``label`` (e.g. ``"Li demand 2030"``), columns ``value`` and ``units``
        (``vehicles``, ``t`` or ``1``); the report's headline table.
    """
    demand = c["demand_m"]
    primary = c["primary"].sum(["vehicle", "chemistry"])
    stock = (
        c["use"]["stock"].sum(["vehicle", "chemistry"])
        + c["second"]["stock"].sum(["vehicle", "chemistry"])
        + c["hibernation"]["stock"].sum(["vehicle", "chemistry"])
    )
    fleet = c["fleet"]["stock"]
    rows: list[tuple[str, float, str]] = [
        ("BEV in use end 2023", float(fleet.sel(time=2023, vehicle="BEV")), "vehicles"),
        ("EVs in use end 2030", float(fleet.sel(time=2030).sum()), "vehicles"),
        ("EVs in use end 2050", float(fleet.sel(time=2050).sum()), "vehicles"),
        ("battery demand 2030", float(demand.sel(time=2030).sum()), "t"),
        ("battery demand 2050", float(demand.sel(time=2050).sum()), "t"),
    ]
    for m in ("Li", "Co", "Ni", "P"):
        for y in (2030, 2050):
            rows.append((f"{m} demand {y}", float(demand.sel(time=y, material=m)), "t"))
    for m in ("Li", "Co", "Ni"):
        cum = float(primary.sel(time=slice(2024, 2050), material=m).sum())
        rows.append((f"{m} primary demand 2024-2050", cum, "t"))
    rows += [
        (
            "urban mine end 2050 (in use, second life, hibernation)",
            float(stock.sel(time=2050).sum()),
            "t",
        ),
        ("in-use stock end 2050", float(c["use"]["stock"].sel(time=2050).sum()), "t"),
        ("exported in used vehicles 2050", float(c["exported"].sel(time=2050).sum()), "t"),
        ("discarded batteries 2050", float(c["discarded"].sel(time=2050).sum()), "t"),
        ("collected for recycling 2050", float(c["collected"].sel(time=2050).sum()), "t"),
    ]
    for m in ("Li", "Co", "Ni"):
        for y in (2040, 2050):
            rows.append(
                (f"{m} secondary supply {y}", float(c["recovered_m"].sel(time=y, material=m)), "t")
            )
        rows.append(
            (
                f"{m} secondary share of demand 2050",
                float(series[("secondary_supply_share", m)][2050]),
                "1",
            )
        )
    rows.append(
        ("recycling efficiency 2030", float(series[("recycling_efficiency", "all")][2030]), "1")
    )
    frame = pd.DataFrame(rows, columns=["label", "value", "units"]).set_index("label")
    return frame


def _quality(c: dict) -> pd.DataFrame:
    d = c["data"]
    table = msa.grade_summary(d["grades"])
    reg = d["reg_frame"].copy()
    mass = (c["new_mass"] + c["import_mass"]).sum(["chemistry", "material"])
    per = xr.concat(
        [mass, c["import_mass"].sum(["chemistry", "material"])], dim="flow"
    ).assign_coords(flow=["all", "used_import"])
    new = (mass - per.sel(flow="used_import")).to_series()
    imp = per.sel(flow="used_import").to_series()
    reg["mass"] = [
        float((new if f == "new" else imp).loc[(int(y), v)])
        for f, y, v in zip(reg["flow"], reg["year"], reg["vehicle"], strict=True)
    ]
    weights = reg.groupby("grade")["mass"].sum() / reg["mass"].sum()
    row = {"n": len(reg), **{g: round(float(weights.get(g, 0.0)), 4) for g in msa.GRADES}}
    table.loc["battery inflow mass 2010-2050 (by grade of the registration figure)"] = row
    table.index.name = "inputs"
    return table


# --------------------------------------------------------------------------- tables
def _tables(config: msa.ModelConfig, c: dict, system: msa.System, series: dict) -> dict:
    tables: dict[str, pd.DataFrame] = {}
    flows = []
    for name, da in system.flows.items():
        s = da.sum([x for x in da.dims if x not in ("time", "material")]).to_series()
        f = s.rename("value").reset_index()
        f.insert(0, "flow", name)
        f["jrc_code"] = da.attrs.get("jrc_code", "")
        flows.append(f)
    tables["flows_by_material"] = pd.concat(flows, ignore_index=True).assign(units="t")
    dem = xr.Dataset(
        {
            "demand": c["demand_m"],
            "primary": c["primary"].sum(["vehicle", "chemistry"]),
            "secondary_closed_loop": c["closed"],
            "secondary_open_loop": c["open_loop"],
            "secondary_total": c["recovered_m"],
        }
    )
    frame = dem.to_dataframe().reset_index()
    frame["secondary_share_of_demand"] = frame["secondary_total"] / frame["demand"].where(
        frame["demand"] > 0
    )
    tables["demand_and_secondary_supply"] = frame.assign(units="t")
    stocks = xr.Dataset(
        {
            "in_use": c["use"]["stock"],
            "second_life": c["second"]["stock"],
            "hibernation": c["hibernation"]["stock"],
        }
    ).sum("vehicle")
    tables["urban_mine_by_chemistry"] = stocks.to_dataframe().reset_index().assign(units="t")
    years = list(config.outputs.get("sankey_years", [2030]))
    cohort = c["use"]["stock_by_cohort"].sel(time=years).sum("vehicle")
    cohort = cohort.to_series()
    cohort = cohort[cohort > 0].rename("in_use_stock").reset_index()
    tables["urban_mine_by_cohort"] = cohort.assign(units="t")
    fleet = c["fleet"]["stock"].to_series().rename("vehicles_in_use").reset_index()
    tables["fleet"] = fleet
    rows = []
    for (ind, m), s in series.items():
        f = s.rename("value").reset_index()
        f.insert(0, "material", m)
        f.insert(0, "indicator", ind)
        rows.append(f)
    tables["indicator_series"] = pd.concat(rows, ignore_index=True)
    tables["supply_concentration"] = _supply_table(c)
    return tables


# --------------------------------------------------------------------------- figures
def _figures(c: dict, scenario: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text as text: smaller, faster SVG
    figs = {}
    years = c["demand_m"]["time"].values
    materials = list(c["demand_m"]["material"].values)
    colors = dict(zip(materials, plt.get_cmap("tab10").colors, strict=False))

    # urban mine by material
    stock = (c["use"]["stock"] + c["second"]["stock"] + c["hibernation"]["stock"]).sum(
        ["vehicle", "chemistry"]
    ) / 1000
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    ax.stackplot(
        years,
        stock.transpose("material", "time").values,
        labels=materials,
        colors=[colors[m] for m in materials],
    )
    ax.set(
        title=f"EV-battery urban mine in the Netherlands ({scenario})",
        ylabel="kilotonne (end of year)",
        xlim=(years[0], years[-1]),
    )
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    ax.grid(alpha=0.3)
    figs["stock_by_material"] = fig

    # inflow and outflow
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    inflow = (c["new_mass"] + c["import_mass"]).sum(["vehicle", "chemistry", "material"]) / 1000
    ax.plot(years, c["demand_m"].sum("material") / 1000, label="new batteries (demand)", lw=2)
    ax.plot(years, inflow, label="inflow to use incl. used imports", ls="--")
    ax.plot(
        years,
        c["use"]["outflow"].sum(["vehicle", "chemistry", "material"]) / 1000,
        label="outflow from use",
    )
    ax.plot(
        years,
        c["exported"].sum(["vehicle", "chemistry", "material"]) / 1000,
        label="exported in used vehicles",
    )
    ax.plot(
        years,
        c["discarded"].sum(["vehicle", "chemistry", "material"]) / 1000,
        label="discarded in NL (to collection)",
    )
    ax.set(
        title=f"Battery inflow and outflow ({scenario})",
        ylabel="kilotonne per year",
        xlim=(years[0], years[-1]),
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    figs["inflow_outflow"] = fig

    # secondary supply vs demand
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True, layout="constrained")
    for ax, m in zip(axes.flat, ["Li", "Co", "Ni", "Mn", "graphite", "Cu"], strict=True):
        ax.plot(years, c["demand_m"].sel(material=m), label="demand", color="black", lw=2)
        ax.fill_between(
            years,
            0,
            c["recovered_m"].sel(material=m),
            alpha=0.5,
            label="secondary supply",
            color=colors[m],
        )
        ax.plot(
            years,
            c["closed"].sel(material=m),
            ls="--",
            color="tab:green",
            label="closed loop into batteries",
        )
        ax.set_title(m)
        ax.set_ylabel("t per year")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Secondary supply vs demand ({scenario})")
    figs["secondary_vs_demand"] = fig
    return figs


def _sankeys(
    system: msa.System, years: list[int], scenario: str
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """PGA Sankeys of ``years`` at one fixed scale, from :func:`msa.pga` of the system.

    Returns the figures, the PGA links (summed over materials) and what the PGA view leaves
    out of scope (used-vehicle imports E.1.4 and recycling losses G.1.5).
    """
    from msa import pga, scope_gaps

    tables, outside, nodes, notes = {}, [], None, []
    for y in years:
        view = pga(system, year=y)
        keys = [k for k in view.links.columns if k not in ("value", "material")]
        links = view.links.groupby(keys, dropna=False, sort=False)["value"].sum().reset_index()
        # what PGA leaves out of each node (used-vehicle imports into Voorraad), drawn too
        tables[y] = pd.concat([links, scope_gaps(view)], ignore_index=True)
        outside.append(view.out_of_scope.assign(year=y))
        nodes = view.nodes
        notes += [n for n in view.footnotes if n not in notes]
    # the common scale is the fit-to-page scale of the busiest year (largest total flow), so
    # one layout pass per year suffices instead of msa.series_scale's pass over every year
    busiest = max(tables, key=lambda y: float(tables[y]["value"].sum()))
    # links by flow type (primary, secondary, loss, trade, stock change), nodes by stage
    options = {"nodes": nodes, "lang": "en", "color_by": "flow_type", "footnotes": notes}
    fit = msa.sankey(tables[busiest], title="fit", **options)
    figs = msa.sankey_series(
        tables,
        title=f"EV batteries NL, PGA view ({scenario}),",
        scale=fit.layout.meta["msa_sankey"]["units_per_px"],
        **options,
    )
    return (
        {f"sankey_pga_{y}": figs[y] for y in years},
        pd.concat(tables.values(), ignore_index=True),
        pd.concat(outside, ignore_index=True),
    )


NOTES = (
    "Material recovery targets are met by construction: the model's default recovery "
    "trajectory is the Battery Regulation schedule (Annex XII Part C), interpolated linearly "
    "from 2024 process efficiencies. Recycling efficiency (all materials by weight), recycled "
    "content and the CRMA benchmarks are model outcomes.",
    "Recycled content is a national proxy: closed-loop secondary material recovered in the NL "
    "system over the material in new batteries registered in NL (the regulation measures it per "
    "battery model and plant, including pre-consumer scrap, which is out of scope here).",
    "The PGA view (msa.pga) leaves used-vehicle imports (E.1.4) and recycling losses "
    "(G.1.5) out of scope and shows exports of used vehicles (E.1.3) and closed-loop recycling "
    "(G.1.2, no closed-loop node in PGA) as unsettled mappings; second life and hibernation are "
    "inside its Stock node. The quantities left out are in tables/pga_out_of_scope.csv; the "
    "Sankeys draw them, node by node, to and from 'Not in this view'.",
    "Supply concentration uses EC CRM 2023 global supply shares (processing stage where given, "
    "else extraction); BRICS membership as of January 2025 (an assumption). These shares are "
    "held constant over time.",
)


def run(config: msa.ModelConfig, scenario: str = "baseline") -> msa.ModelResult:
    """Run the model for one scenario and return everything the runner writes."""
    c = compute(config, scenario)
    system = build_system(config, scenario, c)
    msa.check_balance(system)
    series = indicator_series(c)
    indicators = msa.evaluate_targets(c["data"]["targets"], series)
    tables = _tables(config, c, system, series)
    figures = _figures(c, scenario)
    years = [int(y) for y in config.outputs.get("sankey_years", [])]
    report_figures = ["secondary_vs_demand", "stock_by_material"]
    if years:
        sankeys, links, outside = _sankeys(system, years, scenario)
        figures.update(sankeys)
        tables["pga_links"] = links
        tables["pga_out_of_scope"] = outside
        report_figures = [f"sankey_pga_{years[0]}", f"sankey_pga_{years[-1]}", *report_figures]
    return msa.ModelResult(
        system=system,
        tables=tables,
        indicators=indicators,
        headline=headline_table(c, series),
        quality=_quality(c),
        figures=figures,
        report_figures=report_figures,
        notes=NOTES,
    )
