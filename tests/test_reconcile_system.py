"""Reconciling a System: balances from its processes, sds from grades, every year at once."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import msa
from msa.reconciliation import reconcile
from msa.reconciliation.system import COMPUTED_GRADE, SOURCE_ID, reconcile_system

FLOW = "Use => Landfill"


@pytest.fixture(scope="module")
def example() -> msa.System:
    return msa.load_example()


def _perturbed(system: msa.System, flow: str, factor: float) -> msa.System:
    out = system.copy()
    out.flows[flow] = out.flows[flow] * factor
    return out


def test_consistent_data_are_left_as_they_are(example: msa.System) -> None:
    result = reconcile_system(example)
    assert result.passed and result.notes == ()
    np.testing.assert_allclose(result.table["adjustment"], 0, atol=1e-9)
    for name, flow in example.flows.items():
        xr.testing.assert_allclose(result.system.flows[name], flow, rtol=1e-12)
    assert SOURCE_ID not in result.system.sources.index  # nothing computed
    # the sd shrinks where the balances add information, never grows
    measured = result.table[result.table["status"] == "measured"]
    assert (measured["sd"] <= measured["measured_sd"] * (1 + 1e-9)).all()


def test_an_unknown_flow_is_computed_graded_c_with_its_source(example: msa.System) -> None:
    flow = "Manufacture => Use"
    result = reconcile_system(example, status={flow: "unknown"})
    got = result.system
    assert got is not None
    xr.testing.assert_allclose(got.flows[flow], example.flows[flow])
    assert (got.provenance[flow]["grade"] == COMPUTED_GRADE).all()
    assert (got.provenance[flow]["source_id"] == SOURCE_ID).all()
    assert SOURCE_ID in got.sources.index
    rows = result.table[result.table["quantity"] == flow]
    assert set(rows["classification"]) == {"unknown observable"}
    assert rows["measured"].isna().all() and (rows["sd"] > 0).all()
    assert (example.provenance[flow]["grade"] != COMPUTED_GRADE).any()  # input untouched


def test_every_year_at_once_equals_each_year_alone(example: msa.System) -> None:
    """The batch over years gives what msa.reconcile gives for one year's table."""
    system = _perturbed(example, FLOW, 1.3)
    result = reconcile_system(system, status={"Manufacture => Use": "unknown"})
    names = result.batch.names
    equations = _equations(system, result)
    for k, year in enumerate(system.years):
        rows = result.table[result.table["year"] == year]
        one = reconcile(
            pd.DataFrame(
                {"name": names, "value": rows["measured"].values, "sd": rows["measured_sd"].values}
            ),
            equations,
        )
        np.testing.assert_allclose(one.table["value"], result.batch.values[k], rtol=1e-9)
        np.testing.assert_allclose(one.table["sd"], result.batch.sd[k], rtol=1e-7)
        assert one.chi2 == pytest.approx(result.tests.loc[year, "chi2"], rel=1e-9)


def _equations(system: msa.System, result) -> list[str]:
    from msa.reconciliation.system import _balances

    names_of = {}
    for quantity in [*system.flows, *(f"stock_change {p}" for p in system.stocks)]:
        rows = result.table[
            (result.table["quantity"] == quantity) & (result.table["year"] == system.years[0])
        ]
        names = [result.batch.names[i] for i in rows.index]
        names_of[quantity] = xr.DataArray(
            np.array(names, dtype=object), dims="material", coords={"material": rows["material"]}
        )
    return _balances(system, names_of)


def test_a_gross_error_fails_the_test_and_the_largest_z_points_at_it(
    example: msa.System,
) -> None:
    """A flow off by 10 with 2% sds everywhere: chi2 fails and the largest |z| is its set."""
    system = _perturbed(example, FLOW, 10)
    cv = {name: 0.02 for name in system.flows}
    result = reconcile_system(system, cv=cv, sd={f"stock_change {p}": 1.0 for p in system.stocks})
    assert not result.tests["passed"].any()
    for year in system.years:
        rows = result.table[result.table["year"] == year].dropna(subset=["z"])
        top = rows.loc[rows["z"].abs().idxmax()]
        tied = rows[np.isclose(rows["z"].abs(), abs(top["z"]), rtol=1e-6)]
        assert FLOW in set(tied["quantity"])


def test_the_result_balances_and_stocks_follow_their_changes(example: msa.System) -> None:
    system = _perturbed(example, FLOW, 1.5)
    result = reconcile_system(system)
    got = result.system
    msa.check_balance(got, rtol=1e-9)
    for pid, ds in got.stocks.items():
        before = system.stocks[pid]["stock"].isel(time=0) - system.stocks[pid]["stock_change"].isel(
            time=0
        )
        xr.testing.assert_allclose(ds["stock"], before + ds["stock_change"].cumsum("time"))
    assert set(result.sd) == {*system.flows, *(f"stock_change {p}" for p in system.stocks)}
    assert result.sd[FLOW].dims == ("time", "material")


@settings(max_examples=20, deadline=None)
@given(
    factors=st.lists(st.floats(0.5, 2.0), min_size=3, max_size=3),
    flows=st.lists(st.integers(0, 21), min_size=3, max_size=3, unique=True),
)
def test_any_perturbation_reconciles_to_a_balanced_system(
    example: msa.System, factors: list[float], flows: list[int]
) -> None:
    """Whatever three flows are off by, every process balances after (to 1e-9)."""
    system = example.copy()
    names = list(system.flows)
    for i, f in zip(flows, factors, strict=True):
        system.flows[names[i]] = system.flows[names[i]] * f
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", msa.MsaWarning)
        result = reconcile_system(system)
    msa.check_balance(result.system, rtol=1e-9)
    assert (result.table.loc[result.table["status"] == "constant", "adjustment"] == 0).all()


def test_a_constant_is_never_adjusted(example: msa.System) -> None:
    system = _perturbed(example, FLOW, 1.4)
    result = reconcile_system(system, status={"Imports => Use": "constant"})
    xr.testing.assert_equal(result.system.flows["Imports => Use"], system.flows["Imports => Use"])
    rows = result.table[result.table["quantity"] == "Imports => Use"]
    assert set(rows["classification"]) == {"constant"}


def test_a_transfer_coefficient_is_a_bilinear_equation(example: msa.System) -> None:
    """Collection => Recycling = TC x Collection's inflow, the TC given with an sd."""
    flow = "Collection => Recycling"
    into = example.flows["Use => Collection"]
    tc = float((example.flows[flow] / into).sel(time=2021, material="Co"))
    system = _perturbed(example, flow, 1.2)
    result = reconcile_system(system, transfer_coefficients={flow: (tc, 0.001)})
    got = result.system
    ratio = got.flows[flow] / got.flows["Use => Collection"]
    tc_value = result.table.loc[result.table["quantity"] == f"TC {flow}", "value"].to_numpy()
    np.testing.assert_allclose(ratio.sel(material="Co"), tc_value, rtol=1e-8)
    assert (result.tests["iterations"] > 1).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": {"Nowhere => Use": "unknown"}}, "'Nowhere => Use' is not a flow"),
        ({"status": {FLOW: "guessed"}}, r"\['guessed'\] is not one of"),
        ({"sd": {FLOW: 1.0}, "cv": {FLOW: 0.1}}, "not both"),
        ({"sd": {FLOW: -1.0}}, "sd of 'Use => Landfill': an sd must be a finite number >= 0"),
        ({"transfer_coefficients": {FLOW: "no_such"}}, "no parameter 'no_such'"),
        ({"bounds": "positive"}, "bounds must be"),
    ],
)
def test_bad_input_is_one_line(example: msa.System, kwargs, message) -> None:
    with pytest.raises(msa.MsaError, match=message) as caught:
        reconcile_system(example, **kwargs)
    assert "\n" not in str(caught.value)


def test_a_flow_unknown_in_one_year_is_measured_in_the_others(example: msa.System) -> None:
    flow = "Manufacture => Use"
    years = example.flows[flow]["time"]
    status = xr.where(years == 2021, "unknown", "measured")
    result = reconcile_system(example, status={flow: status})
    rows = result.table[result.table["quantity"] == flow].set_index("year")
    assert set(rows.loc[2021, "status"]) == {"unknown"}
    assert set(rows.loc[2021, "classification"]) == {"unknown observable"}
    assert set(rows.drop(2021)["status"]) == {"measured"}
    grades = result.system.provenance[flow]["grade"]
    assert (grades.sel(time=2021) == COMPUTED_GRADE).all()
    assert (grades.sel(time=2020) == example.provenance[flow]["grade"].sel(time=2020)).all()
    xr.testing.assert_allclose(result.system.flows[flow], example.flows[flow])
