"""Tests of the waste-treatment hierarchy: routes as data, the route table, the models' routes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.jrc_msa.policy_indicators import (
    high_grade_definitions,
    high_grade_recycling_rate,
    treatment_route_table,
    waste_treatment_routes,
)
from msa.jrc_msa.tables import jrc_codes
from msa.model.outputs import model_result, not_computable_targets

ROOT = Path(__file__).resolve().parents[1]
YEARS = {"time": [2030, 2035]}


def _t(values: list[float]) -> xr.DataArray:
    return xr.DataArray(values, coords=YEARS, attrs={"units": "t"})


# ----------------------------------------------------------------------------- the data
def test_routes_follow_the_hierarchy_of_the_waste_framework_directive() -> None:
    """Routes run from preparing for re-use to disposal, with the LAP3/WFD R and D codes."""
    routes = waste_treatment_routes().sort_values("order")
    assert routes.index[:2].tolist() == ["preparing_for_reuse", "recycling"]
    assert routes["order"].is_unique
    steps = routes["wfd_level"].str[:3].tolist()
    assert steps[0] == "(b)" and steps[1] == "(c)" and "(d)" in steps and "(e)" in steps
    assert "R1" in routes.loc["energy_recovery", "operations"]
    assert "D10" in routes.loc["incineration", "operations"]
    assert "D1 " in routes.loc["landfill", "operations"]
    assert routes.loc["high_grade_recycling", "parent"] == "recycling"
    assert routes.loc["other_recycling", "parent"] == "recycling"


def test_recycled_and_high_grade_flags_are_consistent() -> None:
    """High-grade routes are recycled; nothing after recycling in the hierarchy is recycled."""
    routes = waste_treatment_routes()
    assert routes.loc[routes["high_grade"], "recycled"].all()
    assert routes.loc["high_grade_recycling", "high_grade"]
    assert not routes.loc["other_recycling", "high_grade"]
    after = routes[routes["order"] > routes.loc["other_recycling", "order"]]
    assert not after["recycled"].any()


def test_every_route_maps_onto_known_jrc_variables() -> None:
    """The JRC mapping names only known codes, and disposal routes lie within F.1.3."""
    known = set(jrc_codes("all"))
    routes = waste_treatment_routes()
    for route, codes in routes["jrc_codes"].items():
        assert set(codes.split()) <= known, route
        assert routes.loc[route, "jrc_reading"], route
    for route in ("energy_recovery", "incineration", "landfill", "residual_not_split"):
        assert "F.1.3" in routes.loc[route, "jrc_codes"].split()
    assert "F.1.4" in routes.loc["recycling", "jrc_codes"].split()
    assert "G.1.4" not in routes.loc["high_grade_recycling", "jrc_codes"].split()


def test_high_grade_definitions_are_labelled_assumptions() -> None:
    """EV batteries and PV panels each say what counts as high-grade, as grade D assumptions."""
    d = high_grade_definitions()
    assert set(d.index) == {"ev_batteries", "pv_panels"}
    assert (d["status"] == "assumption").all() and (d["grade"] == "D").all()
    assert "battery manufacture" in d.loc["ev_batteries", "high_grade"]
    assert d.loc["pv_panels", "computable_in"] == ""


# ----------------------------------------------------------------------------- the table
def test_route_table_orders_routes_and_shares_the_treated_waste() -> None:
    """Routes come in hierarchy order per year and their shares of the treated waste add to 1."""
    table = treatment_route_table(
        {
            "residual_not_split": _t([50.0, 40.0]),
            "other_recycling": _t([30.0, 35.0]),
            "high_grade_recycling": _t([20.0, 25.0]),
        }
    )
    first = table[table["year"] == 2030]
    assert first["route"].tolist() == [
        "high_grade_recycling",
        "other_recycling",
        "residual_not_split",
    ]
    assert table.groupby("year")["share_of_treated"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert (table["units"] == "t").all()
    assert first.set_index("route").at["other_recycling", "label_nl"].startswith("Overige")


def test_route_share_is_the_high_grade_rate() -> None:
    """The high-grade route's share equals high_grade_recycling_rate on the same inputs."""
    high, rest = _t([20.0, 25.0]), _t([80.0, 75.0])
    treated = high + rest
    table = treatment_route_table({"high_grade_recycling": high, "landfill": rest}, treated)
    shares = table[table["route"] == "high_grade_recycling"]["share_of_treated"].to_numpy()
    np.testing.assert_allclose(shares, high_grade_recycling_rate(high, treated).values)


def test_route_table_sums_other_dims_and_keeps_samples() -> None:
    """A material dim is summed; a Monte Carlo sample dim is kept as a column."""
    da = xr.DataArray(
        np.ones((2, 3, 2)),
        dims=("time", "material", "sample"),
        coords={**YEARS, "material": ["a", "b", "c"], "sample": [0, 1]},
        attrs={"units": "t"},
    )
    table = treatment_route_table({"landfill": da})
    assert "sample" in table.columns and len(table) == 4
    assert (table["value"] == 3.0).all()


def test_route_table_refuses_unknown_double_and_timeless_routes() -> None:
    """An unknown route, a route with its own part, a route without time or mixed units raise."""
    with pytest.raises(msa.DataError, match=r"unknown route\(s\) \['compost'\]"):
        treatment_route_table({"compost": _t([1.0, 1.0])})
    with pytest.raises(msa.DataError, match=r"parts of \['recycling'\].*count twice"):
        treatment_route_table({"recycling": _t([1.0, 1.0]), "high_grade_recycling": _t([1, 1])})
    with pytest.raises(msa.DataError, match=r"'landfill' has no 'time' dim"):
        treatment_route_table({"landfill": xr.DataArray(1.0)})
    with pytest.raises(msa.DataError, match=r"mixed units"):
        treatment_route_table({"landfill": _t([1.0, 1.0]).assign_attrs(units="kg")}, _t([1, 1]))


# ----------------------------------------------------------------------------- the models
@pytest.fixture(scope="module")
def ev() -> msa.Built:
    """Return the EV baseline, built once."""
    return msa.build_model(msa.load_definition(ROOT / "models" / "ev_batteries_nl"))


@pytest.fixture(scope="module")
def ev_result(ev: msa.Built):
    """Return the EV baseline's results without figures."""
    return model_result(ev, figures=False)


def test_ev_routes_add_up_to_the_discarded_batteries(ev, ev_result) -> None:
    """High-grade, other recycling and the residual routes add up to E.1.6 every year."""
    table = ev_result.tables["treatment_routes"]
    treated = table[table["in_waste_treated"]].groupby("year")["value"].sum()
    discarded = ev.system.flows["End of life => Collection"]
    expected = discarded.sum([d for d in discarded.dims if d != "time"]).to_series()
    np.testing.assert_allclose(treated.to_numpy(), expected.to_numpy(), rtol=1e-9)
    reuse = table[table["route"] == "preparing_for_reuse"]
    assert not reuse["in_waste_treated"].any()
    assert (reuse["flows"] == "End of life => Second life").all()


def test_ev_high_grade_target_is_computed_from_the_closed_loop(ev, ev_result) -> None:
    """The NPCE high-grade target is judged: closed loop over discarded batteries in 2035."""
    row = ev_result.indicators.set_index("target_id").loc["npce_high_grade_recycling_2035"]
    flows = ev.system.flows
    closed = float(flows["Secondary materials => Battery manufacture"].sel(time=2035).sum())
    discarded = float(flows["End of life => Collection"].sel(time=2035).sum())
    assert row["value"] == pytest.approx(closed / discarded, rel=1e-9)
    table = ev_result.tables["treatment_routes"].set_index(["year", "route"])
    share = table.loc[(2035, "high_grade_recycling"), "share_of_treated"]
    assert share == pytest.approx(row["value"], rel=1e-9)


def test_pv_routes_are_shares_of_the_waste_treated_and_high_grade_is_not_computable() -> None:
    """PV: recycling and residual shares add to 1; the high-grade target names what it needs."""
    built = msa.build_model(msa.load_definition(ROOT / "models" / "pv_panels_nl"))
    result = model_result(built, figures=False)
    series = result.tables["indicator_series"]
    routes = series[series["indicator"].isin(["route_recycling", "route_residual_not_split"])]
    later = routes[routes["time"] >= 2020].groupby("time")["value"].sum()
    np.testing.assert_allclose(later.to_numpy(), 1.0, rtol=1e-9)
    lacking = not_computable_targets(built).set_index("target_id")
    assert (
        "same or a comparable application" in lacking.loc["npce_high_grade_recycling_2035", "needs"]
    )


def test_route_table_is_a_dataframe_of_known_columns() -> None:
    """The table has the documented columns in order."""
    table = treatment_route_table({"landfill": _t([1.0, 2.0])})
    assert isinstance(table, pd.DataFrame)
    assert table.columns.tolist() == [
        "year",
        "route",
        "order",
        "label_en",
        "label_nl",
        "wfd_level",
        "operations",
        "value",
        "units",
        "share_of_treated",
    ]
