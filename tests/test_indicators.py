"""Tests of msa.indicators: each indicator against a case computed by hand from its definition."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from msa.errors import ConfigError, DataError
from msa.jrc_msa.indicators import (
    INDICATORS,
    circular_material_use_rate,
    collection_rate,
    direct_material_input,
    domestic_extraction,
    domestic_material_consumption,
    eol_recycling_input_rate,
    eol_recycling_rate,
    import_reliance,
    indicator_table,
    net_addition_to_stock,
    recycling_rate_of_waste,
)

#: One year of a material's chain, chosen so every indicator has a distinct hand value.
CASE = {
    "B.1.1": 60, "B.1.2": 10, "B.1.3": 20, "C.1.1": 100, "C.1.2": 7, "C.1.3": 40, "C.1.4": 5,
    "C.1.5": 2, "C.1.6": 1, "C.1.8": 3, "D.1.2": 8, "D.1.3": 30, "D.1.4": 3, "D.1.5": 5,
    "D.1.6": 2, "D.1.8": 2, "D.1.9": 1, "E.1.3": 3, "E.1.4": 4, "E.1.6": 50, "E.1.7": 70,
    "E.1.8": 10, "F.1.1": 9, "F.1.2": 6, "F.1.3": 14, "F.1.4": 30, "G.1.1": 12, "G.1.2": 8,
    "G.1.3": 4,
}  # fmt: skip


def _vars(values: dict[str, float]) -> xr.DataArray:
    """Return variables over (code, time) for one year, 2020."""
    codes = list(values)
    data = np.array([[float(values[c])] for c in codes])
    return xr.DataArray(
        data, dims=("code", "time"), coords={"code": codes, "time": [2020]}, attrs={"units": "t"}
    )


def _at(da: xr.DataArray) -> float:
    return float(da.sel(time=2020))


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        (domestic_extraction, 60 + 10),
        # DMI = DE + imports (C.1.3 C.1.4 C.1.8 D.1.3 D.1.8 D.1.9 E.1.4 F.1.2) = 70 + 91
        (direct_material_input, 70 + (40 + 5 + 3 + 30 + 2 + 1 + 4 + 6)),
        # DMC = DMI - exports (B.1.3 C.1.2 C.1.6 D.1.2 D.1.6 E.1.3 F.1.1 G.1.3) = 161 - 54
        (domestic_material_consumption, 161 - (20 + 7 + 1 + 8 + 2 + 3 + 9 + 4)),
        (import_reliance, (91 - 54) / (70 + 91 - 54)),
        # EoL-RIR = (G.1.1 + G.1.2) / (B.1.1 + B.1.2 + C.1.3 + C.1.4 + D.1.3 + G.1.1 + G.1.2)
        (eol_recycling_input_rate, (12 + 8) / (60 + 10 + 40 + 5 + 30 + 12 + 8)),
        # CMUR = U / (DMC + U), U = F.1.4 - F.1.2 + F.1.1
        (circular_material_use_rate, (30 - 6 + 9) / (107 + 30 - 6 + 9)),
        (eol_recycling_rate, (12 + 8 + 4) / (50 + 6)),
        (collection_rate, 50 / (50 + 10)),
        (net_addition_to_stock, 70 + 10),
        (recycling_rate_of_waste, (30 + 5) / (14 + 30 + 2 + 3 + 5)),
    ],
)
def test_indicator_against_hand_computed_case(func, expected):
    """Each indicator equals its definition evaluated by hand on CASE."""
    value = func(_vars(CASE))
    assert _at(value) == pytest.approx(expected, rel=1e-12)
    assert value.attrs["units"] in ("t", "1") and value.attrs["formula"]


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("extraction", (40 - 20) / (70 + 40 - 20)), ("processing", (30 - 7) / (100 + 30 - 7))],
)
def test_import_reliance_by_stage(stage, expected):
    """Import reliance at one stage uses that stage's production and trade (EC 2017)."""
    assert _at(import_reliance(_vars(CASE), stage=stage)) == pytest.approx(expected)


def test_import_reliance_rejects_unknown_stage():
    """An unknown stage is a ConfigError listing the stages."""
    with pytest.raises(ConfigError, match="stage must be one of"):
        import_reliance(_vars(CASE), stage="use")


def test_missing_codes_are_named():
    """An indicator lacking variables names itself and every missing code."""
    values = {k: v for k, v in CASE.items() if k not in ("G.1.1", "C.1.4")}
    with pytest.raises(DataError, match=r"EoL-RIR needs JRC code\(s\) \['C\.1\.4', 'G\.1\.1'\]"):
        eol_recycling_input_rate(_vars(values))


def test_folds_inside_one_term_are_used_and_straddling_folds_refused():
    """A fold within the import term counts; one straddling two terms is refused."""
    values = {k: v for k, v in CASE.items() if k not in ("C.1.3", "D.1.3")}
    values["C.1.3+D.1.3"] = 70
    assert _at(direct_material_input(_vars(values))) == pytest.approx(161)
    values = {k: v for k, v in CASE.items() if k not in ("F.1.4", "F.1.1")}
    values["F.1.1+F.1.4"] = 39
    with pytest.raises(DataError, match=r"CMUR: value 'F\.1\.1\+F\.1\.4' folds codes inside"):
        circular_material_use_rate(_vars(values))


def test_zero_denominator_gives_nan_not_zero():
    """A rate with a zero denominator is undefined (NaN), never 0."""
    assert np.isnan(_at(collection_rate(_vars({"E.1.6": 0, "E.1.8": 0}))))


def test_indicators_are_vectorised_over_years_and_materials():
    """Indicators keep time and material dims and compute each cell independently."""
    v = xr.concat([_vars(CASE), _vars(CASE) * 2], dim=xr.DataArray(["Li", "Co"], dims="material"))
    v.attrs["units"] = "t"
    dmc = domestic_material_consumption(v)
    assert dmc.sel(material="Co", time=2020) == 2 * dmc.sel(material="Li", time=2020)


def test_indicator_table_reports_uncomputable_indicators():
    """The table keeps every indicator; those lacking codes say why instead of vanishing."""
    table = indicator_table(_vars({"B.1.1": 1, "B.1.2": 1}), year=2020)
    assert list(table["indicator"]) == list(INDICATORS)
    de = table.set_index("indicator").loc["domestic extraction"]
    assert de["value"] == 2 and de["year"] == 2020
    dmi = table.set_index("indicator").loc["DMI"]
    assert np.isnan(dmi["value"]) and "DMI needs JRC code(s)" in dmi["note"]
    with pytest.raises(DataError, match="year 1990 is not in the system"):
        indicator_table(_vars(CASE), year=1990)


def test_indicator_table_when_nothing_is_computable():
    """With no usable codes every indicator is listed as not computable, columns intact."""
    table = indicator_table(_vars({"A.1.1": 5}))
    assert len(table) == len(INDICATORS) and table["value"].isna().all()
    assert {"indicator", "year", "value", "units", "formula", "note"} <= set(table)
