"""Tests of the EV traction battery model of the Netherlands (models/ev_batteries_nl).

The model is declared (model.toml, with the functions of model.py): each scenario is built by
:func:`msa.build_model`; :func:`_quantities` names its flows and stocks as the tests use them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import msa
from msa.model import Built
from msa.model.definition import ModelDefinition
from msa.model.inputs import read_sources
from msa.model.outputs import indicator_series, model_result, target_table

MODEL = Path(__file__).resolve().parents[1] / "models" / "ev_batteries_nl"
SCENARIOS = ["baseline", "high_lfp", "lifetime_extension", "high_collection", "low_export"]
USE = "Vehicles in use"
NEW = "Battery manufacture => Vehicles in use"
IMPORTED = "Used-vehicle imports => Vehicles in use"


def _by_material(da: xr.DataArray) -> xr.DataArray:
    return da.sum([d for d in da.dims if d not in ("time", "material")])


def _quantities(built: Built) -> dict:
    """Name the flows and stocks of a built scenario as the tests use them."""
    flows, stocks, data = built.system.flows, built.stocks, built.data
    fleet = built.stock_models[USE]
    new, used = data["registrations_new"].value, data["registrations_used"].value
    per_vehicle = (
        data["battery_capacity"].value
        * data["chemistry_shares"].value
        * data["material_intensity"].value
        / 1000.0
    )
    return {
        "built": built,
        "data": {
            "p": dict(built.parameters),
            "capacity": data["battery_capacity"].value,
            "registrations": xr.concat([new, used], dim="flow").assign_coords(
                flow=["new", "used_import"]
            ),
            "targets": target_table(built, indicator_series(built)),
        },
        "per_vehicle": per_vehicle.transpose("time", "vehicle", "chemistry", "material"),
        "new_mass": flows[NEW],
        "import_mass": flows[IMPORTED],
        "use": stocks[USE],
        "use_new": fleet.run({NEW: flows[NEW]}, by_cohort=True),
        "use_imports": fleet.run({IMPORTED: flows[IMPORTED]}, by_cohort=True),
        "import_survival": fleet.survival(IMPORTED),
        "fleet": fleet.run({NEW: new, IMPORTED: used}),
        "exported": flows["Register exits => Used-vehicle exports"],
        "discarded": flows["End of life => Collection"],
        "collected": flows["Collection => Recycling"],
        "disposed": flows["Collection => Disposal"],
        "losses": flows["Recycling => Recycling losses"],
        "second": stocks["Second life"],
        "kept": stocks["End-of-life stock"],
        "hibernating": built.system.stocks["Hibernating stock"],  # no lifetime: accumulates
        "demand_m": _by_material(flows[NEW]),
        "recovered_m": _by_material(flows["Recycling => Secondary materials"]),
        "closed": flows["Secondary materials => Battery manufacture"],
    }


def _compute(definition: ModelDefinition, scenario: str = "baseline") -> dict:
    return _quantities(msa.build_model(definition, scenario))


@pytest.fixture(scope="module")
def model() -> ModelDefinition:
    """Return the model's validated declaration."""
    return msa.load_definition(MODEL)


@pytest.fixture(scope="module")
def computed(model):
    """Build every scenario once: {scenario: (quantities, system)}."""
    out = {}
    for name in SCENARIOS:
        c = _compute(model, name)
        out[name] = (c, c["built"].system)
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_balance_closes_every_year_in_every_scenario(computed, scenario: str) -> None:
    """check_balance passes for every process, year, vehicle, chemistry and material."""
    _, system = computed[scenario]
    msa.check_balance(system)
    residual = msa.balance(system)
    assert max(float(abs(residual[v]).max()) for v in residual.data_vars) < 1e-6


def test_system_structure_is_valid(computed) -> None:
    """Every process is connected to a boundary, and every stock carries its cohorts or total."""
    _, system = computed["baseline"]
    system.validate()
    assert "stock_by_cohort" in system.stocks["Vehicles in use"]
    assert set(system.dims) == {"time", "vehicle", "chemistry", "material"}


def test_every_data_value_has_a_known_source(model) -> None:
    """Every row of every data table and every parameter cites a source id in sources.csv."""
    sources = read_sources(model)
    for name, spec in model.data.items():
        frame = pd.read_csv(model.folder / spec.file, keep_default_na=False)
        assert {"source_id", "grade"} <= set(frame.columns), name
        assert frame["source_id"].isin(sources.index).all(), name
        assert frame["grade"].isin(msa.GRADES).all(), name
    for name, p in model.parameters.items():
        assert p.source_id in sources.index and p.grade in msa.GRADES, name


def test_assumptions_are_grade_d_with_a_note(model) -> None:
    """Rows citing the model's assumption source are grade D and explain the assumption."""
    for rel in sorted({spec.file for spec in model.data.values()}):
        frame = pd.read_csv(model.folder / rel, keep_default_na=False)
        rows = frame[frame["source_id"] == "assumption_ev_nl"]
        assert (rows["grade"] == "D").all(), rel
        assert rows["note"].str.contains("assumption").all(), rel


def _total(da, materials, years=slice(2025, 2050)):
    return float(da.sel(material=materials, time=years).sum())


def test_high_lfp_lowers_co_ni_and_raises_p_and_fe(computed) -> None:
    """High-LFP: less Co and Ni, more P and Fe demand over 2025-2050."""
    base, lfp = computed["baseline"][0], computed["high_lfp"][0]
    for m in ("Co", "Ni"):
        assert _total(lfp["demand_m"], m) < 0.6 * _total(base["demand_m"], m)
    assert _total(lfp["demand_m"], "P") > 5 * _total(base["demand_m"], "P")
    assert _total(lfp["demand_m"], "Fe") > 1.2 * _total(base["demand_m"], "Fe")


def test_high_lfp_li_intensity_follows_batpac(computed) -> None:
    """High-LFP lowers Li per kWh: BatPaC 5.1 gives LFP 0.0915 vs NMC811 0.100 kg/kWh.

    The issue text expected a higher Li intensity; the sourced pack-level intensities say
    otherwise (README, 'Direction checks'), so the test pins what the data imply.
    """
    base, lfp = computed["baseline"][0], computed["high_lfp"][0]
    per_kwh = {}
    for name, c in (("base", base), ("lfp", lfp)):
        kwh = (c["data"]["capacity"] * c["data"]["registrations"].sel(flow="new")).sel(
            time=slice(2030, 2050)
        )
        per_kwh[name] = _total(c["demand_m"], "Li", slice(2030, 2050)) / float(kwh.sum()) * 1000
    assert per_kwh["lfp"] < per_kwh["base"]
    assert 0.09 < per_kwh["lfp"] < per_kwh["base"] < 0.11


def test_lifetime_extension_raises_stock_and_delays_outflow(computed) -> None:
    """Longer vehicle lifetimes raise the in-use stock and delay the outflow."""
    base, ext = computed["baseline"][0], computed["lifetime_extension"][0]
    stock_b = base["use"]["stock"].sum(["vehicle", "chemistry", "material"])
    stock_e = ext["use"]["stock"].sum(["vehicle", "chemistry", "material"])
    assert (stock_e.sel(time=slice(2031, 2050)) > stock_b.sel(time=slice(2031, 2050))).all()
    np.testing.assert_allclose(
        stock_e.sel(time=slice(2010, 2024)), stock_b.sel(time=slice(2010, 2024))
    )
    out_b = base["use"]["outflow"].sum(["vehicle", "chemistry", "material"])
    out_e = ext["use"]["outflow"].sum(["vehicle", "chemistry", "material"])
    assert float(out_e.sel(time=slice(2030, 2045)).sum()) < float(
        out_b.sel(time=slice(2030, 2045)).sum()
    )
    years = out_b["time"]
    mean_b = float((out_b * years).sum() / out_b.sum())
    mean_e = float((out_e * years).sum() / out_e.sum())
    assert mean_e > mean_b


@pytest.mark.parametrize(
    ("factors", "first"),
    [({"lifetime_cohort_factor": 1.2}, 2025), ({"lifetime_year_factor": 1.1}, 2030)],
)
def test_each_lifetime_factor_alone_raises_stock(model, computed, factors, first) -> None:
    """By cohort (design, from 2025) and by year (maintenance, from 2030) each raise the stock."""
    base = computed["baseline"][0]["use"]
    ext = _compute(_with(model, **factors))["use"]
    stock_b, stock_e = (d["stock"].sum(["vehicle", "chemistry", "material"]) for d in (base, ext))
    np.testing.assert_allclose(
        stock_e.sel(time=slice(2010, first - 1)), stock_b.sel(time=slice(2010, first - 1))
    )
    assert (
        stock_e.sel(time=slice(first + 6, 2050)) > stock_b.sel(time=slice(first + 6, 2050))
    ).all()


def test_high_collection_raises_secondary_supply(computed) -> None:
    """Collecting 98% instead of 90% raises secondary supply of every recovered material."""
    base, high = computed["baseline"][0], computed["high_collection"][0]
    for m in ("Li", "Co", "Ni", "Cu", "Al", "Fe"):
        b = base["recovered_m"].sel(material=m, time=slice(2020, 2050))
        h = high["recovered_m"].sel(material=m, time=slice(2020, 2050))
        assert (h > b).all(), m
        np.testing.assert_allclose(h / b, 0.98 / 0.90, rtol=1e-9)


def test_low_export_keeps_more_batteries_in_nl(computed) -> None:
    """Exporting fewer used vehicles raises discarded batteries and secondary supply in NL."""
    base, low = computed["baseline"][0], computed["low_export"][0]
    assert _total(low["exported"].sum(["vehicle", "chemistry"]), "Li") < _total(
        base["exported"].sum(["vehicle", "chemistry"]), "Li"
    )
    assert _total(low["recovered_m"], "Li") > _total(base["recovered_m"], "Li")
    for key in ("discarded", "collected"):
        low_m, base_m = (
            low[key].sum(["vehicle", "chemistry"]),
            base[key].sum(["vehicle", "chemistry"]),
        )
        assert (low_m.sel(time=slice(2020, 2050)) > base_m.sel(time=slice(2020, 2050))).all(), key


def test_fleet_matches_bovag_rai_count(computed) -> None:
    """Model BEV fleet end 2023 is within 5% of the 462,307 BEV on 1 Jan 2024 (BOVAG/RAI 2024).

    Reference: BOVAG/RAI Mobiliteit in cijfers, kerncijfers 2024 (research note §4.2). The model
    counts new registrations plus imported used EVs aged by the NL car lifetime.
    """
    c, _ = computed["baseline"]
    bev = float(c["fleet"]["stock"].sel(time=2023, vehicle="BEV"))
    assert bev == pytest.approx(462_307, rel=0.05)


def _cohort_share(ds, cohort: int, year: int) -> float:
    """Share of one cohort's inflow still in the stock at the end of ``year``."""
    kept = ds["stock_by_cohort"].sel(time=year, cohort=cohort).sum()
    return float(kept / ds["inflow"].sel(time=cohort).sum())


def test_used_imports_leave_earlier_than_new_cars(computed) -> None:
    """Used EVs imported 3 years old leave the NL stock earlier than new cars of the same year."""
    c, _ = computed["baseline"]
    assert c["data"]["p"]["used_import_age"] == 3
    for year in (2035, 2040, 2045):
        new = _cohort_share(c["use_new"], 2030, year)
        imported = _cohort_share(c["use_imports"], 2030, year)
        assert imported < new, year
    # an import of 2030 is a 2027 car that survived to its import: S(t - 2027) / S(import)
    life = msa.WeibullLifetime(shape=3.7, scale=16.73)
    expected = float(life.survival(2045 - 2027 + 0.5) / life.survival(2030 - 0.5 - 2027))
    assert _cohort_share(c["use_imports"], 2030, 2045) == pytest.approx(expected, rel=1e-12)


def test_used_imports_carry_the_battery_of_their_build_year(computed) -> None:
    """An EV imported in 2030 at age 3 carries the capacity and chemistry mix of 2027."""
    c, _ = computed["baseline"]
    count = c["data"]["registrations"].sel(flow="used_import", time=2030)
    np.testing.assert_allclose(
        c["import_mass"].sel(time=2030) / count, c["per_vehicle"].sel(time=2027), rtol=1e-12
    )


def test_older_imports_leave_earlier(model) -> None:
    """Raising the import age lowers the in-use stock and raises end-of-life flows; age 0 = new."""
    runs = {a: _compute(_with(model, used_import_age=a)) for a in (0, 3, 6)}
    stock = {a: float(c["use"]["stock"].sel(time=2040).sum()) for a, c in runs.items()}
    assert stock[6] < stock[3] < stock[0]
    leaving = {
        a: float(c["use"]["outflow"].sel(time=slice(2030, 2040)).sum()) for a, c in runs.items()
    }
    assert leaving[6] > leaving[3] > leaving[0]
    # age 0 is the former simplification: imports enter as new cars of their import year
    c0 = runs[0]
    life = c0["built"].stock_models[USE].lifetime
    plain = msa.inflow_driven(c0["new_mass"] + c0["import_mass"], life, by_cohort=False)
    np.testing.assert_allclose(c0["use"]["stock"], plain["stock"], rtol=1e-12, atol=1e-9)


def test_design_extension_applies_to_the_build_cohort_of_imports(model) -> None:
    """A factor for cohorts from 2025 extends imports built in 2025 (imported 2028), not 2024."""
    base = _compute(model)
    longer = _compute(_with(model, lifetime_cohort_factor=1.2))
    sf_b, sf_l = base["import_survival"], longer["import_survival"]
    np.testing.assert_allclose(sf_l.sel(cohort=2027), sf_b.sel(cohort=2027), rtol=1e-12)
    assert float(sf_l.sel(cohort=2028, time=2045)) > float(sf_b.sel(cohort=2028, time=2045))


@pytest.mark.parametrize(("age", "message"), [(2.5, "whole number"), (-1, "between 0 and 30")])
def test_bad_import_age_is_a_config_error(model, age, message) -> None:
    """A fractional or negative used_import_age names the parameter and the rule."""
    with pytest.raises(msa.ConfigError, match=rf"used_import_age = {age}.*{message}"):
        _compute(_with(model, used_import_age=age))


# Regression on headline numbers of the baseline (tolerance 0.1%). When the data or the model
# change on purpose, rerun the baseline (msa run models/ev_batteries_nl --out out/ev --force),
# copy the new values from out/ev/headline.csv here (7 significant digits), update the README's
# baseline table if it moved, and say in the commit message why they changed. Last update:
# used EV imports age as 3-year-old cars (used_import_age) instead of entering as new. Since
# then, no number moved: the urban-mine headline was relabelled when 'Hibernation' became the
# end-of-life stock beside an empty hibernating stock, whose two headlines were added.
HEADLINE = {
    "BEV in use end 2023": 473972.7,
    "EVs in use end 2050": 6324723.0,
    "battery demand 2030": 98494.82,
    "Li demand 2030": 2026.227,
    "Co demand 2030": 2587.621,
    "Ni demand 2030": 11798.64,
    "Li demand 2050": 2734.161,
    "urban mine end 2050 (in use, second life, kept at end of life, hibernating)": 2334014.0,
    "kept at end of life end 2050": 17367.04,
    "hibernating stock end 2050": 0.0,
    "in-use stock end 2050": 2256319.0,
    "discarded batteries 2050": 85347.11,
    "exported in used vehicles 2050": 52212.16,
    "Li secondary supply 2050": 1260.147,
    "Co secondary share of demand 2050": 0.7017102,
    "recycling efficiency 2030": 0.6177436,
}


def test_baseline_headline_regression(model, computed) -> None:
    """Baseline headline numbers stay within 0.1% of the recorded values."""
    c, _ = computed["baseline"]
    head = model_result(c["built"], figures=False).headline["value"]
    for label, expected in HEADLINE.items():
        assert float(head[label]) == pytest.approx(expected, rel=1e-3), label


def test_indicators_cover_every_target(computed, model) -> None:
    """Every declared target (the shipped ones it computes) is evaluated; recovery is met."""
    c, _ = computed["baseline"]
    results = msa.evaluate_targets(c["data"]["targets"], indicator_series(c["built"]))
    assert len(results) == len(c["data"]["targets"])
    recovery = results[results["indicator"] == "material_recovery"]
    assert recovery["met"].all()
    eff = results.set_index("target_id").loc["br_recycling_efficiency_li_2030"]
    assert 0.3 < eff["value"] < 1.0


def _with(definition: ModelDefinition, **values) -> ModelDefinition:
    """Return the declaration with other parameter values (as if written in model.toml)."""
    params = dict(definition.parameters)
    for key, value in values.items():
        params[key] = params[key].model_copy(update={"value": value})
    return definition.model_copy(update={"parameters": params})


@settings(  # every example runs the whole EV model: capped at 10 in every profile
    max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # shares of 1e-313 t are not data: subnormal floats only test the float format
    export=st.floats(0, 1, allow_subnormal=False),
    second=st.floats(0, 0.5, allow_subnormal=False),
    kept=st.floats(0, 0.5, allow_subnormal=False),
    hibernating=st.floats(0, 0.5, allow_subnormal=False),
    collection=st.floats(0, 1, allow_subnormal=False),
    factor=st.floats(0.5, 2.0),
    age=st.integers(0, 8),
)
def test_balance_holds_for_any_shares(
    model, export, second, kept, hibernating, collection, factor, age
):
    """Balance closes for any end-of-life shares, collection rate, lifetime factor, import age."""
    cfg = _with(
        model,
        export_share=export * (1 - hibernating),  # export and hibernating share one flow
        second_life_share=second,
        end_of_life_stock_share=kept,
        hibernating_share=hibernating,
        collection_rate=collection,
        lifetime_year_factor=factor,
        used_import_age=age,
    )
    c = _compute(cfg)
    msa.check_balance(c["built"].system)
    inflow = float((c["new_mass"] + c["import_mass"]).sum())
    leaving = sum(float(c[k].sum()) for k in ("exported", "disposed", "losses")) + float(
        c["recovered_m"].sum()
    )
    stocks = sum(
        float(c[k]["stock"].sel(time=2050).sum()) for k in ("use", "second", "kept", "hibernating")
    )
    assert inflow == pytest.approx(leaving + stocks, rel=1e-9)


def test_pga_view_draws_the_net_addition_to_stock(computed) -> None:
    """PGA: Voorraad -> Voorraadtoename is the change of use, second life and the kept stocks."""
    from msa.jrc_msa.views import pga

    c, system = computed["baseline"]
    view = pga(system, year=2030)
    links = view.links.groupby(["source", "target"])["value"].sum()
    added = links.get(("Voorraad", "Voorraadtoename"), 0.0) - links.get(
        ("Voorraadtoename", "Voorraad"), 0.0
    )
    change = sum(
        float(system.stocks[p]["stock_change"].sel(time=2030).sum())
        for p in ("Vehicles in use", "Second life", "End-of-life stock", "Hibernating stock")
    )
    assert added == pytest.approx(change, rel=1e-9)
    # Voorraad's drawn in - out misses only the used-vehicle imports PGA leaves out (E.1.4).
    into = links.xs("Voorraad", level="target").sum()
    out = links.xs("Voorraad", level="source").sum()
    imports = float(system.flow("Used-vehicle imports", "Vehicles in use").sel(time=2030).sum())
    assert into - out == pytest.approx(-imports, rel=1e-9)
