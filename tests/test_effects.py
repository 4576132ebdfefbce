"""Environmental effects: factor tables, the cradle-to-gate calculation and its provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import msa
from msa.effects import (
    effects,
    factor_sources,
    links_with_effect,
    load_factors,
    parse_factor_unit,
    read_factors,
)
from msa.errors import ConfigError, DataError, ProvenanceError

_HEADER = "material,form,route,indicator,value,unit,source_id,grade,status,default\n"


def _system(li: float = 1000.0, co: float = 10.0, units: str = "t", grade: str = "B") -> msa.System:
    """Return Mine -> Cells -> Market: Li and Co mined into cells, 2030-2031."""
    coords = {"time": [2030, 2031], "material": ["Li", "Co"]}
    s = msa.System("cells", coords=coords, sources=[{"source_id": "s1", "title": "Test"}])
    s.add_process("Mine", kind="boundary", stage="Extraction")
    s.add_process("Cells", stage="Manufacture")
    s.add_process("Market", kind="boundary")
    values = xr.DataArray([[li, co], [2 * li, 2 * co]], coords=coords)
    s.add_flow("Mine", "Cells", values, units=units, source_id="s1", grade=grade)
    s.add_flow("Cells", "Market", values, units=units, source_id="s1", grade="A")
    return s


def _table(tmp_path: Path, rows: str, name: str = "factors.csv") -> Path:
    path = tmp_path / name
    path.write_text(_HEADER + rows, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- the defaults
def test_hand_computed_lithium():
    """1,000 t Li x the shipped default 104.21 kg CO2-eq/kg Li = 104,210 t CO2-eq.

    Istrate et al. (2024): 17.237 kg CO2-eq/kg LiOH.H2O (spodumene AU -> CN), / 0.16541 kg Li
    per kg LiOH.H2O = 104.21 kg CO2-eq/kg Li (the table's derived, element-basis row).
    """
    ds = effects(_system(co=0.0), load_factors(), flows=["Mine => Cells"])
    li = ds.effect.sel(flow="Mine => Cells", material="Li")
    assert li.sel(time=2030).item() == pytest.approx(104_210.0)
    assert li.sel(time=2031).item() == pytest.approx(208_420.0)
    assert ds.effect.attrs["units"] == "t CO2-eq"
    assert ds.factor_source_id.sel(material="Li").item() == "istrate2024"
    assert ds.factor_route.sel(material="Li").item() == "spodumene"
    assert ds.total.sel(time=2030).item() == pytest.approx(104_210.0)


def test_element_basis_rows_are_product_values_over_the_mass_fraction():
    """Each derived kg CO2-eq/kg element row equals its product row / the stoichiometric share."""
    table = load_factors()
    fractions = {
        "LiOH.H2O": 0.16541,
        "Li2CO3": 0.18787,
        "CoSO4.7H2O": 0.20966,
        "NiSO4.6H2O": 0.2233,
        "MnSO4.H2O": 0.32506,
    }
    checked = 0
    for _, row in table[table["status"].str.startswith("derived: ")].iterrows():
        if row["basis"] != row["material"]:
            continue
        twins = table[
            table["material"].eq(row["material"])
            & table["form"].eq(row["form"])
            & table["route"].eq(row["route"])
            & table["source_id"].eq(row["source_id"])
            & table["basis"].isin(list(fractions))
            & table["indicator"].eq(row["indicator"])
        ]
        for _, twin in twins.iterrows():
            expected = twin["value"] / fractions[twin["basis"]]
            assert row["value"] == pytest.approx(expected, rel=1e-3), (row["form"], row["route"])
            checked += 1
    assert checked >= 9


def test_shipped_table_lists_the_gaps_and_sources():
    """Silicon, silver, cobalt metal and land use are gap rows; every source id is in sources."""
    table = load_factors()
    gaps = table[table["status"].eq("gap")]
    assert {"Si", "Ag"} <= set(gaps["material"])
    assert "cobalt metal" in set(gaps["form"])
    assert set(gaps.loc[gaps["indicator"].eq("land_use"), "material"]) >= {
        "Li",
        "Ni",
        "Co",
        "Mn",
        "graphite",
        "Cu",
        "Al",
        "Si",
        "Ag",
        "glass",
        "steel",
    }
    assert gaps["value"].isna().all()
    valued = table[table["value"].notna()]
    assert (valued["source_id"] != "").all() and (valued["grade"] != "").all()
    assert set(valued["source_id"]) <= set(factor_sources().index)
    one_default = table[table["default"]].groupby(["material", "indicator"]).size()
    assert (one_default == 1).all()


# ----------------------------------------------------------------------------- units
def test_units_convert_with_pint(tmp_path):
    """Flows in kg and a factor per t, or an effect asked for in kilotonne, convert exactly."""
    path = _table(
        tmp_path,
        "Li,x,,GWP100,50000,kg CO2-eq/t Li,s,A,seen,\nCo,x,,GWP100,70,kg CO2-eq/kg Co,s,A,seen,\n",
    )
    factors = read_factors(path)
    ds = effects(_system(li=1000.0, co=0.0, units="kg"), factors, flows=["Mine => Cells"])
    # 1,000 kg Li = 1 t Li, x 50,000 kg CO2-eq/t = 50,000 kg CO2-eq
    assert ds.effect.sel(material="Li", time=2030).item() == pytest.approx(50_000.0)
    assert ds.effect.attrs["units"] == "kg CO2-eq"
    kt = effects(_system(), factors, flows=["Mine => Cells"], units="kilotonne")
    # 1,000 t Li x 50 kg/kg = 50,000 t = 50 kt; 10 t Co x 70 kg/kg = 700 t = 0.7 kt
    assert kt.effect.sel(material="Li", time=2030).item() == pytest.approx(50.0)
    assert kt.effect.sel(material="Co", time=2030).item() == pytest.approx(0.7)
    assert kt.effect.attrs["units"] == "kilotonne CO2-eq"


def test_water_use_keeps_its_volume_unit():
    """Copper water use (Northey et al. 2013: 70.4 m3/t Cu) on 100 t Cu is 7,040 m3."""
    coords = {"time": [2030], "material": ["Cu"]}
    s = msa.System("cu", coords=coords)
    s.add_process("Mine", kind="boundary")
    s.add_process("Wire", kind="boundary")
    s.add_flow("Mine", "Wire", xr.DataArray([[100.0]], coords=coords), units="t")
    ds = effects(s, load_factors(), indicator="water_use", supplied_by="Mine")
    assert ds.effect.item() == pytest.approx(7040.0)
    assert ds.effect.attrs["units"] == "m3"


def test_parse_factor_unit():
    """A factor unit splits into amount, tag, reference unit and basis."""
    unit = parse_factor_unit("kg CO2-eq/kg LiOH.H2O")
    assert (unit.amount, unit.tag, unit.per, unit.basis) == ("kg", "CO2-eq", "kg", "LiOH.H2O")
    assert parse_factor_unit("m2a/kg").effect_units == "m2a"


# ----------------------------------------------------------------------------- provenance
@pytest.mark.parametrize(("flow_grade", "expected"), [("A", "B"), ("B", "B"), ("D", "D")])
def test_result_grade_is_the_worst_of_flow_and_factor(flow_grade, expected):
    """Li's default factor is grade B (derived): an A flow gives B, a D flow gives D."""
    ds = effects(_system(grade=flow_grade), load_factors(), flows=["Mine => Cells"])
    assert ds.factor_grade.sel(material="Li").item() == "B"
    assert set(ds.grade.sel(material="Li").values.ravel()) == {expected}
    assert set(ds.flow_source_id.values.ravel()) == {"s1"}


def test_ungraded_flow_gives_an_ungraded_result():
    """A flow without a grade makes the result ungraded (worst), never better."""
    ds = effects(_system(grade=""), load_factors(), flows=["Mine => Cells"])
    assert set(ds.grade.values.ravel()) == {""}


# ----------------------------------------------------------------------------- missing factors
def test_missing_factor_raises_naming_material_and_reason():
    """A material with mass but no factor is an error naming it and the way out."""
    coords = {"time": [2030], "material": ["Si", "Li"]}
    s = msa.System("pv", coords=coords)
    s.add_process("Import", kind="boundary")
    s.add_process("Panels", kind="boundary")
    s.add_flow("Import", "Panels", xr.DataArray([[5.0, 1.0]], coords=coords), units="t")
    with pytest.raises(DataError, match=r"Si: gap: no GWP100 factor for 'Si'") as err:
        effects(s, load_factors(), flows=["Import => Panels"])
    assert "missing='report'" in str(err.value) and "\n" not in str(err.value)


def test_missing_factor_reported_as_nan_never_zero():
    """With missing='report' the material's effect is NaN, its reason kept, coverage < 1."""
    coords = {"time": [2030], "material": ["Si", "Li"]}
    s = msa.System("pv", coords=coords)
    s.add_process("Import", kind="boundary")
    s.add_process("Panels", kind="boundary")
    s.add_flow("Import", "Panels", xr.DataArray([[5.0, 1.0]], coords=coords), units="t")
    ds = effects(s, load_factors(), flows=["Import => Panels"], missing="report")
    assert np.isnan(ds.effect.sel(material="Si").item())
    assert ds.missing.sel(material="Si").item().startswith("gap:")
    assert ds.coverage.item() == pytest.approx(1 / 6)
    assert ds.total.item() == pytest.approx(104.21)
    assert "Si:" in ds.attrs["missing"]


def test_another_indicator_is_named_when_one_is_missing():
    """Aluminium has only a GHG intensity: the message says so and how to select it."""
    coords = {"time": [2030], "material": ["aluminium"]}
    s = msa.System("al", coords=coords)
    s.add_process("Smelter", kind="boundary")
    s.add_process("Frames", kind="boundary")
    s.add_flow("Smelter", "Frames", xr.DataArray([[2.0]], coords=coords), units="t")
    kwargs = {"flows": ["Smelter => Frames"], "materials": {"aluminium": "Al"}}
    with pytest.raises(DataError, match=r"it has \['GHG'\]"):
        effects(s, load_factors(), **kwargs)
    ds = effects(s, load_factors(), select={"aluminium": {"indicator": "GHG"}}, **kwargs)
    assert ds.effect.item() == pytest.approx(2 * 15.1)  # IAI 2022 global, the default
    assert ds.factor_indicator.item() == "GHG"


# ----------------------------------------------------------------------------- conflicts
def test_conflicting_factors_need_a_choice(tmp_path):
    """Two routes without a default: one ConfigError line naming them; select picks one."""
    path = _table(
        tmp_path,
        "Li,LiOH,brine,GWP100,47,kg CO2-eq/kg Li,s,A,seen,\n"
        "Li,LiOH,spodumene,GWP100,104,kg CO2-eq/kg Li,s,A,seen,\n",
    )
    factors = read_factors(path)
    with pytest.raises(ConfigError, match=r"has 2 GWP100 factors and none is the default") as err:
        effects(_system(co=0.0), factors, flows=["Mine => Cells"], missing="report")
    message = str(err.value)
    assert "route='brine'" in message and "never averaged" in message and "\n" not in message
    chosen = effects(
        _system(co=0.0),
        factors,
        flows=["Mine => Cells"],
        select={"Li": {"route": "brine"}},
        missing="report",
    )
    assert chosen.effect.sel(material="Li", time=2030).item() == pytest.approx(47_000.0)


def test_shipped_lithium_routes_by_selection():
    """The shipped brine hydroxide route (46.56) is chosen by route and form, not averaged."""
    select = {"Li": {"route": "brine", "form": "LiOH.H2O"}}
    ds = effects(_system(co=0.0), load_factors(), flows=["Mine => Cells"], select=select)
    assert ds.effect.sel(material="Li", time=2030).item() == pytest.approx(46_560.0)
    with pytest.raises(ConfigError, match=r"has 2 GWP100 factors matching select"):
        effects(
            _system(co=0.0),
            load_factors(),
            flows=["Mine => Cells"],
            select={"Li": {"route": "brine"}},  # hydroxide or carbonate?
        )
    with pytest.raises(ConfigError, match=r"route='geothermal' matches none"):
        effects(
            _system(co=0.0),
            load_factors(),
            flows=["Mine => Cells"],
            select={"Li": {"route": "geothermal"}},
        )


def test_the_burden_carrying_flows_must_be_named():
    """Neither flows nor supplied_by (or both) is an error: which flows carry it is explicit."""
    with pytest.raises(ConfigError, match="exactly one of them"):
        effects(_system(), load_factors())
    with pytest.raises(ConfigError, match="has no flow 'Mine => Market'"):
        effects(_system(), load_factors(), flows=["Mine => Market"])
    by_process = effects(_system(), load_factors(), supplied_by="Mine")
    assert list(by_process.flow.values) == ["Mine => Cells"]
    assert by_process.target_stage.item() == "Manufacture"


def test_year_specific_factors_interpolate(tmp_path):
    """Factors given for 2030 and 2040 interpolate linearly and hold flat outside."""
    path = tmp_path / "years.csv"
    path.write_text(
        "material,indicator,value,unit,year,grade\n"
        "Li,GWP100,100,kg CO2-eq/kg Li,2030,A\nLi,GWP100,50,kg CO2-eq/kg Li,2040,C\n"
        "Co,GWP100,10,kg CO2-eq/kg Co,,A\n",
        encoding="utf-8",
    )
    coords = {"time": [2025, 2035, 2045], "material": ["Li", "Co"]}
    s = msa.System("years", coords=coords)
    s.add_process("Mine", kind="boundary")
    s.add_process("Cells", kind="boundary")
    s.add_flow("Mine", "Cells", xr.DataArray(np.ones((3, 2)), coords=coords), units="t", grade="A")
    ds = effects(s, read_factors(path), flows=["Mine => Cells"])
    assert ds.effect.sel(material="Li").values.ravel().tolist() == [100.0, 75.0, 50.0]
    assert ds.factor_grade.sel(material="Li").item() == "C"


# ----------------------------------------------------------------------------- bad tables
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Li,x,,GWP100,12,kg CO2e/kgg,s,A,seen,\n", r"row 2, column 'unit': unknown unit"),
        ("Li,x,,GWP100,nan,kg CO2-eq/kg,s,A,seen,\n", r"row 2, column 'value': 'nan' is not"),
        ("Li,x,,GWP100,,kg CO2-eq/kg,s,A,seen,\n", r"row 2, column 'value': '' is not a finite"),
        ("Li,x,,GWP100,-3,kg CO2-eq/kg,s,A,seen,\n", r"row 2, column 'value': -3.0 is negative"),
        ("Li,x,,GWP100,4,kg CO2-eq/kg,,,gap,\n", r"row 2, column 'value': a gap row has no value"),
        (
            "Li,x,,GWP100,4,kg CO2-eq/kg,s,A,seen,\nLi,x,,GWP100,5,kg CO2-eq/kg,s,A,seen,\n",
            r"row 3: same key as row 2",
        ),
        ("Li,x,,GWP100,4,kg CO2/kg,s,A,seen,\n", r"GWP100 is counted in CO2-eq"),
        ("Li,x,,water_use,4,kg/kg,s,A,seen,\n", r"water_use needs an amount of \[length\] \*\* 3"),
        ("Li,x,,GWP100,4,kg CO2-eq/kg,s,A,seen,maybe\n", r"column 'default': 'maybe'"),
        (
            "Li,x,a,GWP100,4,kg CO2-eq/kg,s,A,seen,yes\n"
            "Li,x,b,GWP100,5,kg CO2-eq/kg,s,A,seen,yes\n",
            r"row 3, column 'default': a second default",
        ),
    ],
)
def test_bad_rows_fail_in_one_line(tmp_path, rows, message):
    """Each bad row is one DataError line naming the file, row and column."""
    path = _table(tmp_path, rows)
    with pytest.raises(DataError, match=message) as err:
        read_factors(path)
    assert str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)


def test_bad_grade_and_unknown_source(tmp_path):
    """An unknown grade or a source id outside the sources table is a ProvenanceError line."""
    with pytest.raises(ProvenanceError, match=r"row 2, column 'grade': unknown grade 'E'"):
        read_factors(_table(tmp_path, "Li,x,,GWP100,4,kg CO2-eq/kg,s,E,seen,\n"))
    sources = pd.DataFrame({"source_id": ["t"], "title": ["T"]})
    path = _table(tmp_path, "Li,x,,GWP100,4,kg CO2-eq/kg,s,A,seen,\n", "s.csv")
    with pytest.raises(ProvenanceError, match=r"row 2, column 'source_id': 's' is not in"):
        read_factors(path, sources=msa.make_sources(sources))


def test_rows_are_counted_as_in_the_file(tmp_path):
    """Comment lines count: the error names the line a user sees in an editor."""
    path = tmp_path / "commented.csv"
    path.write_text("# a comment\n# another\n" + _HEADER + "Li,x,,GWP100,-1,kg CO2-eq/kg,s,A,,\n")
    with pytest.raises(DataError, match=r"commented.csv: row 4, column 'value'"):
        read_factors(path)


# ----------------------------------------------------------------------------- property
@given(
    li=st.floats(0.0, 1e6, allow_nan=False),
    co=st.floats(0.0, 1e6, allow_nan=False),
    k=st.floats(0.0, 1e3, allow_nan=False),
)
def test_effects_scale_linearly_with_flows(li, co, k):
    """Multiplying every flow by k multiplies every effect by k (and keeps the factors)."""
    base = effects(_system(li=li, co=co), load_factors(), flows=["Mine => Cells"])
    scaled = effects(_system(li=k * li, co=k * co), load_factors(), flows=["Mine => Cells"])
    np.testing.assert_allclose(scaled.effect.values, k * base.effect.values, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(scaled.factor.values, base.factor.values)


# ----------------------------------------------------------------------------- Sankey column
def test_links_with_effect_puts_the_effect_on_the_burden_carrying_link():
    """The primary link carries its effect, downstream links 0 (a factor applies once)."""
    system = _system()
    ds = effects(system, load_factors(), flows=["Mine => Cells"])
    links = links_with_effect(msa.links_from_system(system, 2030), ds)
    effect = dict(zip(links["source"] + " => " + links["target"], links["effect"], strict=True))
    assert effect["Mine => Cells"] == pytest.approx(104_210.0 + 10 * 71.5)
    assert effect["Cells => Market"] == 0.0
    assert set(links["effect_units"]) == {"t CO2-eq"}
