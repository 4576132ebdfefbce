"""Tests of msa.aggregate_system: a whole System along a concordance, with provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import msa
from msa.errors import DimensionError

YEARS = [2020, 2021]
MATERIALS = ["Co", "Li", "Ni"]


def _by_material(values: list[list[float]]) -> xr.DataArray:
    return xr.DataArray(
        np.array(values, dtype=float),
        dims=("time", "material"),
        coords={"time": YEARS, "material": MATERIALS},
    )


def _mixed() -> msa.System:
    """Mine -> Plant -> Store (stock) -> Sink, provenance differing by material."""
    s = msa.System(
        "mixed",
        coords={"time": YEARS, "material": MATERIALS},
        sources=[{"source_id": "jrc", "title": "JRC"}, {"source_id": "cbs", "title": "CBS"}],
        attrs={"note": "test"},
    )
    s.add_process("Mine", kind="boundary")
    s.add_process("Plant", stage="Processing", label_nl="Fabriek")
    s.add_process("Store", kind="stock")
    s.add_process("Sink", kind="boundary")
    flow = _by_material([[10, 20, 30], [11, 21, 31]])
    sid = flow.copy(data=np.array([["jrc", "jrc", "cbs"], ["jrc", "jrc", "jrc"]], dtype=object))
    grade = flow.copy(data=np.array([["A", "C", "B"], ["B", "", "A"]], dtype=object))
    s.add_flow("Mine", "Plant", flow, units="t", source_id=sid, grade=grade, jrc_code="B.1.1")
    s.add_flow("Plant", "Store", flow, units="t", source_id="jrc", grade="B")
    out = _by_material([[1, 2, 3], [4, 5, 6]])
    s.add_flow("Store", "Sink", out, units="t", source_id="cbs", grade="D")
    s.add_stock(
        "Store",
        (flow - out).cumsum("time") + 100,
        initial_stock=100.0,
        units="t",
        source_id="jrc",
        grade="C",
        extra={"stock_by_cohort": _by_material([[1, 1, 1], [2, 2, 2]]).rename(time="cohort")},
    )
    s.add_parameter("scale", 2.0, units="1", source_id="jrc", grade="D")
    return s


GROUPS = msa.Concordance("material", "group", {"Co": "metal", "Li": "metal", "Ni": "other"})


def test_values_totals_and_balance() -> None:
    """Flows and stocks are summed per group, totals kept, and the system still balances."""
    s = _mixed()
    msa.check_balance(s)
    agg = msa.aggregate_system(s, GROUPS)
    msa.check_balance(agg)
    assert agg.dims == ("time", "group")
    assert agg.coords["group"].tolist() == ["metal", "other"]
    flow = agg.flow("Mine", "Plant")
    assert flow.sel(time=2020).values.tolist() == [30.0, 30.0]
    assert flow.attrs["jrc_code"] == "B.1.1"
    assert flow.attrs["units"] == "t"
    for name, da in s.flows.items():
        np.testing.assert_allclose(agg.flows[name].sum("group"), da.sum("material"))
    store = agg.stocks["Store"]
    np.testing.assert_allclose(
        store["stock"].sum("group"), s.stocks["Store"]["stock"].sum("material")
    )
    assert store["stock_by_cohort"].dims == ("cohort", "group")
    assert agg.processes == s.processes
    assert agg.attrs == s.attrs and agg.name == s.name
    assert list(agg.parameters) == ["scale"]


def test_provenance_rule() -> None:
    """A group keeps the source id its members share (else '') and the worst grade ('' worst)."""
    agg = msa.aggregate_system(_mixed(), GROUPS)
    prov = agg.provenance["Mine => Plant"]
    # 2020 metal: Co jrc/A + Li jrc/C -> jrc/C; other: Ni cbs/B alone
    assert prov["source_id"].values.tolist() == [["jrc", "cbs"], ["jrc", "jrc"]]
    # 2021 metal: Co B + Li ungraded -> ungraded
    assert prov["grade"].values.tolist() == [["C", "B"], ["", "A"]]
    assert set(np.unique(agg.provenance["stock Store"]["grade"].values)) == {"C"}
    assert "stock_change Store" in agg.provenance


def test_split_concordance_and_round_trip(tmp_path: Path) -> None:
    """A concordance with split shares keeps totals and balance; the result round-trips."""
    split = msa.Concordance(
        "material", "group", {"Co": {"a": 0.25, "b": 0.75}, "Li": "a", "Ni": "b"}
    )
    s = _mixed()
    agg = msa.aggregate_system(s, split)
    msa.testing.assert_balanced(agg)
    assert agg.flow("Plant", "Store").sel(time=2020).values.tolist() == [22.5, 37.5]
    prov = agg.provenance["Mine => Plant"]
    # b gets Co (jrc) and Ni (cbs in 2020): several sources
    assert prov["source_id"].sel(time=2020).values.tolist() == ["jrc", ""]
    back = msa.read_system(agg.to_netcdf(tmp_path / "agg.nc"))
    msa.testing.assert_systems_equal(back, agg)


def test_unreached_targets_are_left_out() -> None:
    """Target items no system item maps to are not added as invented zeros."""
    c = msa.Concordance(
        "material",
        "group",
        {"Co": "metal", "Li": "metal", "Ni": "metal", "Fe": "iron"},
        target_items=("iron", "metal", "spare"),
    )
    assert msa.aggregate_system(_mixed(), c).coords["group"].tolist() == ["metal"]


def test_errors() -> None:
    """Missing source dim, existing target dim, unmapped items and summed parameters fail."""
    s = _mixed()
    with pytest.raises(DimensionError, match="the system has no 'chemistry' dim"):
        msa.aggregate_system(s, msa.Concordance("chemistry", "family", {"LFP": "LFP"}))
    with pytest.raises(DimensionError, match="already has a 'time' dim"):
        msa.aggregate_system(s, msa.Concordance("material", "time", {"Co": "x"}))
    with pytest.raises(DimensionError, match=r"unmapped material item\(s\) \['Ni'\]"):
        msa.aggregate_system(s, msa.Concordance("material", "group", {"Co": "a", "Li": "a"}))
    s.add_parameter("share", _by_material([[0.1] * 3, [0.2] * 3]), units="1")
    with pytest.raises(DimensionError, match=r"parameter\(s\) \['share'\].*drop_parameters=True"):
        msa.aggregate_system(s, GROUPS)
    agg = msa.aggregate_system(s, GROUPS, drop_parameters=True)
    assert list(agg.parameters) == ["scale"]
    assert "share" in s.parameters  # the input is never modified


def test_unbalanced_stays_unbalanced() -> None:
    """An imbalance is not hidden by aggregation: the residual moves to its group."""
    s = _mixed()
    s.flows["Plant => Store"].values[1, 2] += 5.0
    with pytest.raises(msa.MassBalanceError, match=r"process 'Plant' year 2021 \[group='other'\]"):
        msa.check_balance(msa.aggregate_system(s, GROUPS))


def test_clo_grades_combine_as_worst() -> None:
    """CLO grades (A-F) of the members combine to the worst; quantities without stay without."""
    s = msa.System(
        "clo",
        coords={"time": YEARS, "material": MATERIALS},
        sources=[{"source_id": "jrc", "title": "JRC"}],
    )
    s.add_process("Mine", kind="boundary")
    s.add_process("Sink", kind="boundary")
    flow = _by_material([[1, 2, 3], [4, 5, 6]])
    clo = flow.copy(data=np.array([["A", "E", "B"], ["C", "B", "F"]], dtype=object))
    s.add_flow("Mine", "Sink", flow, units="t", source_id="jrc", grade="A", clo_grade=clo)
    agg = msa.aggregate_system(s, GROUPS)
    assert agg.provenance["Mine => Sink"]["clo_grade"].values.tolist() == [["E", "B"], ["C", "F"]]
