"""Tests of the EV traction battery model of the Netherlands (models/ev_batteries_nl)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import msa

MODEL = Path(__file__).resolve().parents[1] / "models" / "ev_batteries_nl"
SCENARIOS = ["baseline", "high_lfp", "lifetime_extension", "high_collection", "low_export"]


@pytest.fixture(scope="module")
def model():
    """Return the model's config and module."""
    return msa.load_model(MODEL)


@pytest.fixture(scope="module")
def computed(model):
    """Compute every scenario once: {scenario: (quantities, system)}."""
    config, module = model
    out = {}
    for name in SCENARIOS:
        c = module.compute(config, name)
        out[name] = (c, module.build_system(config, name, c))
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
    config, _ = model
    sources = config.sources()
    for name, rel in config.data.items():
        frame = pd.read_csv(config.folder / rel, keep_default_na=False)
        assert {"source_id", "grade"} <= set(frame.columns), name
        assert frame["source_id"].isin(sources.index).all(), name
        assert frame["grade"].isin(msa.GRADES).all(), name
    for p in config.parameters.values():
        assert p.source_id in sources.index and p.grade in msa.GRADES, p.name


def test_assumptions_are_grade_d_with_a_note(model) -> None:
    """Rows citing the model's assumption source are grade D and explain the assumption."""
    config, _ = model
    for rel in config.data.values():
        frame = pd.read_csv(config.folder / rel, keep_default_na=False)
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


def test_fleet_matches_bovag_rai_count(computed) -> None:
    """Model BEV fleet end 2023 is within 5% of the 462,307 BEV on 1 Jan 2024 (BOVAG/RAI 2024).

    Reference: BOVAG/RAI Mobiliteit in cijfers, kerncijfers 2024 (research note §4.2). The model
    counts new registrations plus imported used EVs aged by the NL car lifetime.
    """
    c, _ = computed["baseline"]
    bev = float(c["fleet"]["stock"].sel(time=2023, vehicle="BEV"))
    assert bev == pytest.approx(462_307, rel=0.05)


# Regression on headline numbers of the baseline. When the data or the model change on
# purpose, rerun the baseline (msa run models/ev_batteries_nl --out out/ev) and copy the new
# values from out/ev/headline.csv here, saying in the commit message why they changed.
HEADLINE = {
    "BEV in use end 2023": 474569.7,
    "EVs in use end 2050": 6484983.0,
    "battery demand 2030": 98494.82,
    "Li demand 2030": 2026.227,
    "Co demand 2030": 2587.621,
    "Ni demand 2030": 11798.64,
    "Li demand 2050": 2734.161,
    "urban mine end 2050 (in use, second life, hibernation)": 2387006.0,
    "Li secondary supply 2050": 1247.952,
    "Co secondary share of demand 2050": 0.6945743,
    "recycling efficiency 2030": 0.6187107,
}


def test_baseline_headline_regression(model, computed) -> None:
    """Baseline headline numbers stay within 0.1% of the recorded values."""
    _, module = model
    c, _ = computed["baseline"]
    head = module._headline(c, module.indicator_series(c))["value"]
    for label, expected in HEADLINE.items():
        assert float(head[label]) == pytest.approx(expected, rel=1e-3), label


def test_indicators_cover_every_target(computed, model) -> None:
    """Every target of targets.csv is evaluated; recovery targets are met by construction."""
    config, module = model
    c, _ = computed["baseline"]
    results = msa.evaluate_targets(c["data"]["targets"], module.indicator_series(c))
    assert len(results) == len(c["data"]["targets"])
    recovery = results[results["indicator"] == "material_recovery"]
    assert recovery["met"].all()
    eff = results.set_index("target_id").loc["br_recycling_efficiency_2030"]
    assert 0.3 < eff["value"] < 1.0


def _with(config: msa.ModelConfig, **values) -> msa.ModelConfig:
    params = dict(config.parameters)
    for key, value in values.items():
        params[key] = dataclasses.replace(params[key], value=value)
    return dataclasses.replace(config, parameters=MappingProxyType(params))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # shares of 1e-313 t are not data: subnormal floats only test the float format
    export=st.floats(0, 1, allow_subnormal=False),
    second=st.floats(0, 0.5, allow_subnormal=False),
    hibernation=st.floats(0, 0.5, allow_subnormal=False),
    collection=st.floats(0, 1, allow_subnormal=False),
    factor=st.floats(0.5, 2.0),
)
def test_balance_holds_for_any_shares(model, export, second, hibernation, collection, factor):
    """Mass balance closes for any end-of-life shares, collection rate and lifetime factor."""
    config, module = model
    cfg = _with(
        config,
        export_share=export,
        second_life_share=second,
        hibernation_share=hibernation,
        collection_rate=collection,
        lifetime_year_factor=factor,
    )
    c = module.compute(cfg, "baseline")
    msa.check_balance(module.build_system(cfg, "baseline", c))
    inflow = float((c["new_mass"] + c["import_mass"]).sum())
    leaving = sum(float(c[k].sum()) for k in ("exported", "disposed", "losses")) + float(
        c["recovered_m"].sum()
    )
    stocks = sum(
        float(c[k]["stock"].sel(time=2050).sum()) for k in ("use", "second", "hibernation")
    )
    assert inflow == pytest.approx(leaving + stocks, rel=1e-9)


def test_pga_view_draws_the_net_addition_to_stock(computed) -> None:
    """PGA: Voorraad -> Voorraadtoename is the stock change of use, second life and hibernation."""
    from msa.views import pga

    c, system = computed["baseline"]
    view = pga(system, year=2030)
    links = view.links.groupby(["source", "target"])["value"].sum()
    added = links.get(("Voorraad", "Voorraadtoename"), 0.0) - links.get(
        ("Voorraadtoename", "Voorraad"), 0.0
    )
    change = sum(
        float(system.stocks[p]["stock_change"].sel(time=2030).sum())
        for p in ("Vehicles in use", "Second life", "Hibernation")
    )
    assert added == pytest.approx(change, rel=1e-9)
    # Voorraad's drawn in - out misses only the used-vehicle imports PGA leaves out (E.1.4).
    into = links.xs("Voorraad", level="target").sum()
    out = links.xs("Voorraad", level="source").sum()
    imports = float(system.flow("Used-vehicle imports", "Vehicles in use").sel(time=2030).sum())
    assert into - out == pytest.approx(-imports, rel=1e-9)
