"""Tests of msa.system: Process, System construction and validation."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import msa
from msa.errors import DataError, DimensionError, ProvenanceError
from msa.system.core import Process, System, flow_name, split_flow_name

YEARS = [2020, 2021]


def _da(values: list[float], **coords: list[object]) -> xr.DataArray:
    coords = {"time": YEARS, **coords}
    shape = [len(v) for v in coords.values()]
    return xr.DataArray(np.reshape(values, shape), dims=list(coords), coords=coords)


def _system(**kwargs: object) -> System:
    s = System(
        "t",
        coords={"time": YEARS, "material": ["Co", "Li"]},
        sources=[{"source_id": "s1", "title": "A source"}],
        **kwargs,
    )
    s.add_process("Mine", kind="boundary")
    s.add_process("Factory", stage="Manufacture", label_nl="Fabriek")
    s.add_process("Store", kind="stock")
    s.add_process("Market", kind="boundary")
    return s


def test_flow_names_round_trip() -> None:
    """flow_name and split_flow_name are inverse."""
    assert split_flow_name(flow_name("a b", "c")) == ("a b", "c")
    with pytest.raises(DataError, match="not of the form"):
        split_flow_name("a -> b")


def test_process_validation_and_labels() -> None:
    """Process checks id and kind; labels fall back to English, then the id."""
    assert Process("P").label("nl") == "P"
    assert Process("P", label_en="Plant").label("nl") == "Plant"
    with pytest.raises(DataError, match="non-empty string"):
        Process(" ")
    with pytest.raises(DataError, match="must not contain '=>'"):
        Process("a=>b")
    with pytest.raises(DataError, match="kind must be one of"):
        Process("P", kind="sink")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("coords", "match"),
    [
        ({"material": ["a"]}, "must include 'time'"),
        ({"time": [2020, 2020]}, "duplicate items"),
        ({"time": []}, "has no items"),
        ({"time": [2020.5]}, "integer years"),
        ({"time": [2021, 2020]}, "increasing"),
    ],
)
def test_bad_coords(coords: dict[str, list[object]], match: str) -> None:
    """Bad coordinates raise DimensionError."""
    with pytest.raises(DimensionError, match=match):
        System("x", coords=coords)


def test_add_flow_stores_attrs_and_provenance() -> None:
    """A flow keeps source, target, units, jrc_code and its provenance."""
    s = _system()
    name = s.add_flow(
        "Mine",
        "Factory",
        _da([1, 2, 3, 4], material=["Co", "Li"]),
        units="t",
        jrc_code="B.1.1",
        source_id="s1",
        grade="A",
    )
    da = s.flows[name]
    assert da.attrs == {
        "source": "Mine",
        "target": "Factory",
        "units": "t",
        "signed": 0,
        "jrc_code": "B.1.1",
    }
    assert s.provenance[name]["grade"].shape == (2, 2)
    assert s.used_source_ids() == {"s1"}
    assert s.flow("Mine", "Factory") is da
    assert s.inflows("Factory") == [name]
    assert s.outflows("Mine") == [name]


def test_add_flow_reorders_dims_and_items() -> None:
    """Values given in another dim and item order are stored in the system's order."""
    s = _system()
    v = xr.DataArray(
        [[1.0, 3.0], [2.0, 4.0]],
        dims=("material", "time"),
        coords={"material": ["Li", "Co"], "time": [2021, 2020]},
    )
    da = s.flows[s.add_flow("Mine", "Factory", v, units="t")]
    assert da.dims == ("time", "material")
    assert da.sel(time=2020, material="Co").item() == 4.0


@pytest.mark.parametrize(
    ("source", "target", "values", "kwargs", "error", "match"),
    [
        ("Nowhere", "Factory", None, {}, DataError, "unknown source process 'Nowhere'"),
        ("Mine", "Mine", None, {}, DataError, "two different processes"),
        ("Mine", "Factory", None, {"units": None}, DataError, "units are required"),
        ("Mine", "Factory", [1.0, np.nan], {}, DataError, r"NaN or inf\) at time=2021"),
        ("Mine", "Factory", [1.0, -1.0], {}, DataError, "negative value -1.0 at time=2021"),
        ("Mine", "Factory", None, {"source_id": "zz"}, ProvenanceError, "not in the sources"),
        ("Mine", "Factory", None, {"grade": "Q"}, ProvenanceError, "unknown data-quality"),
    ],
)
def test_add_flow_rejects(
    source: str,
    target: str,
    values: list[float] | None,
    kwargs: dict[str, object],
    error: type,
    match: str,
) -> None:
    """add_flow rejects unknown processes, missing units, NaN, negatives, bad provenance."""
    s = _system()
    da = _da(values or [1.0, 2.0])
    kwargs = {"units": "t", **kwargs}
    with pytest.raises(error, match=match):
        s.add_flow(source, target, da, **kwargs)


def test_add_flow_dimension_errors() -> None:
    """Unknown dims, unknown items and missing items are DimensionErrors."""
    s = _system()
    with pytest.raises(DimensionError, match=r"unknown dim\(s\) \['region'\]"):
        s.add_flow("Mine", "Factory", _da([1, 2], region=["NL"]), units="t")
    with pytest.raises(DimensionError, match=r"unknown material item\(s\) \['Ni'\]"):
        s.add_flow("Mine", "Factory", _da([1, 2, 3, 4], material=["Co", "Ni"]), units="t")
    with pytest.raises(DimensionError, match=r"missing material item\(s\) \['Li'\]"):
        s.add_flow("Mine", "Factory", _da([1, 2], material=["Co"]), units="t")
    with pytest.raises(DimensionError, match="must have a 'time' dim"):
        s.add_flow(
            "Mine",
            "Factory",
            xr.DataArray([1.0, 2.0], dims="material", coords={"material": ["Co", "Li"]}),
            units="t",
        )


def test_signed_flow_and_duplicate() -> None:
    """A signed flow may be negative; a second flow for the same pair is refused."""
    s = _system()
    s.add_flow("Mine", "Factory", _da([-1.0, 2.0]), units="t", signed=True)
    with pytest.raises(DataError, match="already exists"):
        s.add_flow("Mine", "Factory", _da([1.0, 2.0]), units="t")


def test_add_stock_from_initial_stock() -> None:
    """Without stock_change, the change is the difference from the initial stock."""
    s = _system()
    ds = s.add_stock("Store", _da([5.0, 8.0]), initial_stock=2.0, units="t")
    np.testing.assert_array_equal(ds["stock_change"].values, [3.0, 3.0])
    assert ds.attrs["units"] == "t"
    assert "stock Store" in s.provenance


def test_stock_change_provenance_given_or_shared() -> None:
    """A given stock change keeps its own provenance; without one it shares the levels'."""
    s = _system()
    s.sources = msa.make_sources(
        [{"source_id": "s1", "title": "A source"}, {"source_id": "s2", "title": "Another"}]
    )
    level, change = _da([5.0, 8.0]), _da([3.0, 3.0])
    s.add_stock(
        "Store",
        level,
        stock_change=change,
        units="t",
        source_id="s1",
        grade="A",
        change_source_id="s2",
        change_grade="C",
    )
    assert s.provenance["stock Store"]["grade"].values.tolist() == ["A", "A"]
    assert s.provenance["stock_change Store"]["source_id"].values.tolist() == ["s2", "s2"]
    assert s.provenance["stock_change Store"]["grade"].values.tolist() == ["C", "C"]
    t = _system()
    t.add_stock("Store", level, stock_change=change, units="t", source_id="s1", grade="B")
    xr.testing.assert_identical(t.provenance["stock_change Store"], t.provenance["stock Store"])
    with pytest.raises(ProvenanceError, match=r"stock of process 'Store' \(stock_change\).*'zz'"):
        _system().add_stock("Store", level, stock_change=change, units="t", change_source_id="zz")


def test_derived_stock_change_combines_level_provenance() -> None:
    """A change derived from levels has the shared source id (else '') and the worse grade."""
    s = _system()
    s.sources = msa.make_sources(
        [{"source_id": "s1", "title": "A source"}, {"source_id": "s2", "title": "Another"}]
    )
    level = _da([5.0, 6.0, 8.0, 9.0], material=["Co", "Li"])
    sid = level.copy(data=np.array([["s1", "s1"], ["s1", "s2"]], dtype=object))
    grade = level.copy(data=np.array([["A", "B"], ["D", "B"]], dtype=object))
    init_sid = xr.DataArray(["s1", "s2"], dims="material", coords={"material": ["Co", "Li"]})
    s.add_stock(
        "Store",
        level,
        initial_stock=xr.DataArray([1.0, 2.0], dims="material"),
        units="t",
        source_id=sid,
        grade=grade,
        change_source_id=init_sid,
        change_grade="C",
    )
    prov = s.provenance["stock_change Store"]
    # 2020: level 2020 vs initial stock; 2021: level 2021 vs level 2020
    assert prov["source_id"].values.tolist() == [["s1", ""], ["s1", ""]]
    assert prov["grade"].values.tolist() == [["C", "C"], ["D", "B"]]
    assert s.used_source_ids() == {"s1", "s2"}
    assert "clo_grade" not in prov


def test_derived_stock_change_clo_grade() -> None:
    """CLO grades of a derived change are the worse of the two levels; ungraded ('') is worst."""
    s = _system()
    level = _da([5.0, 6.0, 8.0, 9.0], material=["Co", "Li"])
    clo = level.copy(data=np.array([["A", "E"], ["B", "C"]], dtype=object))
    s.add_stock("Store", level, initial_stock=0.0, units="t", clo_grade=clo)
    assert s.provenance["stock_change Store"]["clo_grade"].values.tolist() == [
        ["A", "E"],
        ["B", "E"],
    ]
    t = _system()
    t.add_stock("Store", level, initial_stock=0.0, units="t", change_clo_grade="B")
    # the levels have no CLO grade: every change rests on an ungraded level
    assert "clo_grade" not in t.provenance["stock_change Store"]


def test_add_stock_rejects() -> None:
    """Stocks need a stock process, units and a stock change or an initial stock."""
    s = _system()
    with pytest.raises(DataError, match="process kind is 'transformation'"):
        s.add_stock("Factory", _da([1.0, 1.0]), initial_stock=0, units="t")
    with pytest.raises(DataError, match="give stock_change, or initial_stock"):
        s.add_stock("Store", _da([1.0, 1.0]), units="t")
    with pytest.raises(DataError, match="units are required"):
        s.add_stock("Store", _da([1.0, 1.0]), initial_stock=0)
    with pytest.raises(DimensionError, match="stock_change dims"):
        s.add_stock(
            "Store",
            _da([1.0, 1.0]),
            stock_change=_da([1, 1, 1, 1], material=["Co", "Li"]),
            units="t",
        )


def test_add_parameter() -> None:
    """Parameters need units, may lack time, and may be scalars."""
    s = _system()
    da = s.add_parameter("share", 0.5, units="1", source_id="s1", grade="D")
    assert da.dims == () and da.attrs["units"] == "1"
    with pytest.raises(DataError, match="units are required"):
        s.add_parameter("x", 1.0)
    with pytest.raises(DataError, match="already exists"):
        s.add_parameter("share", 0.1, units="1")


def test_structure_problems_and_validate() -> None:
    """Isolated processes and processes cut off from boundaries are reported."""
    s = _system()
    s.add_flow("Mine", "Factory", _da([1.0, 1.0]), units="t")
    problems = s.structure_problems()
    assert "process 'Store' has no flows" in problems
    assert "process 'Factory' has no path to any boundary process" in problems
    with pytest.raises(DataError, match="has no flows"):
        s.validate()


def test_stock_process_counts_as_source() -> None:
    """A chain fed only by a stock (geological reserves) is not reported as cut off."""
    assert msa.load_example().structure_problems() == []


def test_set_sources_keeps_used_ids() -> None:
    """Replacing the sources table may not drop an id that is in use."""
    s = _system()
    s.add_flow("Mine", "Factory", _da([1.0, 1.0]), units="t", source_id="s1")
    with pytest.raises(DataError, match=r"lacks used ids \['s1'\]"):
        s.set_sources([{"source_id": "s2", "title": "other"}])
    s.set_sources([{"source_id": "s1", "title": "new"}, {"source_id": "s2", "title": "o"}])
    assert s.sources.loc["s1", "title"] == "new"


def test_copy_is_deep_and_repr() -> None:
    """A copy is independent of the original; repr summarises the system."""
    s = _system()
    s.add_flow("Mine", "Factory", _da([1.0, 1.0]), units="t")
    c = s.copy()
    c.flows["Mine => Factory"].values[0] = 9.0
    assert s.flows["Mine => Factory"].values[0] == 1.0
    assert repr(s).startswith("<msa.System 't' (time: 2, material: 2); 4 processes, 1 flows")
