"""Tests of msa.io: tables in, NetCDF out, and both round trips."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.errors import DataError, MsaWarning, OutputExistsError
from msa.system.io import FORMAT, read_netcdf, write_netcdf
from msa.testing import assert_systems_equal, systems_equal


def _rich_system() -> msa.System:
    """Return the example plus signed flow, total-level flow, extras, attrs and a scalar."""
    s = msa.load_example()
    s.attrs.update({"scenario": "base", "seed": 3, "flag": True, "shares": [0.1, 0.2]})
    s.add_process("Market", kind="boundary", label_en=None, label_nl="Markt")
    s.add_flow(
        "Imports",
        "Market",
        xr.DataArray([1.0, -2.0, 0.0, 3.0, 4.0], dims="time", coords={"time": s.years}),
        units="t",
        signed=True,
        attrs={"note": "net trade", "weight": 1.5},
    )
    s.add_parameter("scalar", 0.25, units="1", source_id="example", grade="C")
    s.stocks["Use"] = s.stocks["Use"].assign(
        stock_by_cohort=xr.DataArray(
            np.arange(10.0).reshape(5, 2),
            dims=("cohort", "material"),
            coords={"cohort": s.years, "material": ["Co", "Li"]},
            attrs={"units": "t"},
        )
    )
    return s


def test_example_tables_read(example_tables: Path) -> None:
    """The example folder reads into the documented system."""
    s = msa.read_system(example_tables)
    assert s.name == "example"
    assert list(s.processes)[:7] == [
        "Exploration",
        "Extraction",
        "Processing",
        "Manufacture",
        "Use",
        "Collection",
        "Recycling",
    ]
    assert s.flows["Extraction => Exports"].attrs["jrc_code"] == "B.1.3"
    assert "jrc_code" not in s.flows["Exploration => Extraction"].attrs
    assert "jrc_code" not in s.flows["Extraction => Processing"].attrs
    assert s.parameters["lifetime_mean"].dims == ("material",)
    assert s.stocks["Use"]["stock_change"].sel(time=2019, material="Co").item() == 900 - 900 + (
        s.stocks["Use"]["stock"].sel(time=2019, material="Co").item() - 900
    )


def test_netcdf_round_trip_is_identical(tmp_path: Path) -> None:
    """Everything survives the NetCDF round trip: values, attrs, extras, provenance."""
    s = _rich_system()
    path = write_netcdf(s, tmp_path / "sub" / "s.nc")
    back = read_netcdf(path)
    assert_systems_equal(back, s)
    assert back.flows["Imports => Market"].attrs["note"] == "net trade"
    assert back.attrs["flag"] is True


def test_netcdf_layout_uses_safe_names(tmp_path: Path) -> None:
    """Flow variables have safe names and keep the real name in attrs."""
    msa.load_example().to_netcdf(tmp_path / "e.nc")
    with xr.open_dataset(tmp_path / "e.nc") as ds:
        assert ds.attrs["msa_format"] == FORMAT
        assert all("=" not in str(v) and " " not in str(v) for v in ds.data_vars)
        var = ds["flow0_Exploration_to_Extraction"]
        assert var.attrs["msa_name"] == "Exploration => Extraction"
        assert var.attrs["units"] == "t"


def test_netcdf_refuses_overwrite(tmp_path: Path) -> None:
    """An existing file is kept unless overwrite=True."""
    path = tmp_path / "e.nc"
    s = msa.load_example()
    assert s.to_netcdf(path) == path
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="exists; pass overwrite=True"):
        s.to_netcdf(path)
    assert path.read_bytes() == before
    s.to_netcdf(path, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["e.nc"]  # no temporary file left


def test_netcdf_failed_write_leaves_nothing(tmp_path: Path) -> None:
    """An attr that cannot be stored fails before any file is written."""
    s = msa.load_example()
    s.attrs["bad"] = object()
    with pytest.raises(DataError, match="system attrs: cannot store"):
        s.to_netcdf(tmp_path / "e.nc")
    assert list(tmp_path.iterdir()) == []


def test_read_foreign_netcdf(tmp_path: Path) -> None:
    """A NetCDF file not written by msa, or not NetCDF at all, is a DataError."""
    xr.Dataset({"x": ("t", [1.0])}).to_netcdf(tmp_path / "f.nc")
    with pytest.raises(DataError, match="not an msa system file"):
        msa.read_system(tmp_path / "f.nc")
    (tmp_path / "g.nc").write_text("not netcdf")
    with pytest.raises(DataError, match="g.nc: cannot read as NetCDF"):
        msa.read_system(tmp_path / "g.nc")
    with pytest.raises(DataError, match="no such file or folder"):
        msa.read_system(tmp_path / "missing.nc")


def test_tables_round_trip(tmp_path: Path) -> None:
    """to_tables writes what read_system reads back identically."""
    s = msa.load_example()
    s.add_process("Market", kind="boundary")
    s.add_flow(
        "Imports",
        "Market",
        xr.DataArray([1.0, -2.0, 0.0, 3.0, 4.0], dims="time", coords={"time": s.years}),
        units="t",
        signed=True,
        source_id="example",
        grade="B",
    )
    s.add_parameter("scalar", 0.25, units="1", source_id="example", grade="C")
    folder = msa.to_tables(s, tmp_path / "t")
    assert_systems_equal(msa.read_system(folder), s)
    flows = pd.read_csv(folder / "flows.csv", keep_default_na=False)
    assert set(flows.loc[flows.target == "Market", "material"]) == {""}
    assert set(flows["signed"]) == {0, 1}


def test_tables_refuse_overwrite_and_remove_stale(tmp_path: Path) -> None:
    """Existing tables are kept unless overwrite=True; stale optional tables go."""
    folder = msa.to_tables(msa.load_example(), tmp_path / "t")
    with pytest.raises(OutputExistsError, match=r"already holds system.csv, processes.csv"):
        msa.to_tables(msa.load_example(), folder)
    bare = msa.load_example()
    bare.stocks.clear()
    bare.parameters.clear()
    bare.provenance = {k: v for k, v in bare.provenance.items() if " " not in k or "=>" in k}
    bare.processes = {
        k: (
            p
            if p.kind != "stock"
            else msa.Process(k, stage=p.stage, label_en=p.label_en, label_nl=p.label_nl)
        )
        for k, p in bare.processes.items()
    }
    msa.to_tables(bare, folder, overwrite=True)
    assert not (folder / "stocks.csv").exists()
    assert not (folder / "parameters.csv").exists()
    assert systems_equal(msa.read_system(folder), bare)


def test_to_tables_warns_about_what_tables_cannot_hold(tmp_path: Path) -> None:
    """Flow attrs and stock extras that tables cannot hold are named in a warning."""
    with pytest.warns(MsaWarning) as record:
        msa.to_tables(_rich_system(), tmp_path / "t")
    messages = "\n".join(str(w.message) for w in record)
    assert "flow 'Imports => Market': attrs ['note', 'weight'] are not written" in messages
    assert "variables ['stock_by_cohort'] are not written to tables" in messages
    assert "system attr 'flag' (bool) is written to system.csv as text" in messages


def test_wide_tables_equal_long(example_tables: Path) -> None:
    """A wide flows table (one column per year) reads like the long one."""
    long = pd.read_csv(example_tables / "flows.csv", dtype=str, keep_default_na=False)
    wide = long.pivot(
        index=["source", "target", "material", "units", "source_id", "grade", "jrc_code"],
        columns="time",
        values="value",
    ).reset_index()
    wide.columns.name = None
    first = {
        key: i for i, key in enumerate(dict.fromkeys(zip(long.source, long.target, strict=True)))
    }
    wide = wide.sort_values(
        by=["source", "target"],
        key=lambda _: [first[k] for k in zip(wide.source, wide.target, strict=True)],
        kind="stable",
    )
    wide.to_csv(example_tables / "flows.csv", index=False)
    assert_systems_equal(msa.read_system(example_tables), msa.load_example())


def test_inferred_coords_without_dims_csv(example_tables: Path) -> None:
    """Without dims.csv the coordinates come from the data (years sorted)."""
    (example_tables / "dims.csv").unlink()
    s = msa.read_system(example_tables)
    assert list(s.coords["time"]) == [2019, 2020, 2021, 2022, 2023]
    assert list(s.coords["material"]) == ["Co", "Li"]


def test_excel_workbook_reads_like_folder(example_tables: Path, tmp_path: Path) -> None:
    """One sheet per table in an .xlsx workbook reads like the folder of CSV files."""
    book = tmp_path / "example.xlsx"
    with pd.ExcelWriter(book) as writer:
        for csv in sorted(example_tables.glob("*.csv")):
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            frame.to_excel(writer, sheet_name=csv.stem, index=False)
    back = msa.read_system(book)
    back.name = "example"
    assert_systems_equal(back, msa.load_example())


def test_to_frame_is_tidy() -> None:
    """to_frame has one row per flow value and None for dims a flow lacks."""
    s = msa.load_example()
    frame = msa.to_frame(s)
    assert len(frame) == sum(da.size for da in s.flows.values())
    assert frame["value"].sum() == pytest.approx(sum(float(da.sum()) for da in s.flows.values()))
    assert set(frame["grade"]) == {"D"}


def test_require_provenance_can_be_relaxed(example_tables: Path) -> None:
    """Empty source_id cells fail by default and load as ungraded when allowed."""
    path = example_tables / "parameters.csv"
    path.write_text(path.read_text().replace("example,D", ","))
    with pytest.raises(msa.ProvenanceError, match=r"row 2, column 'source_id': empty source_id"):
        msa.read_system(example_tables)
    s = msa.read_system(example_tables, require_provenance=False)
    assert set(s.provenance["parameter lifetime_mean"]["grade"].values) == {""}


def test_excel_errors_name_sheet_and_row(example_tables: Path, tmp_path: Path) -> None:
    """An error in a workbook names the file, the sheet, the row and the column."""
    book = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(book) as writer:
        for csv in sorted(example_tables.glob("*.csv")):
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            if csv.stem == "flows":
                frame.loc[1, "units"] = "kg"
            frame.to_excel(writer, sheet_name=csv.stem, index=False)
    with pytest.raises(DataError, match=r"bad\.xlsx\[flows\]: row 3, column 'units': units 'kg'"):
        msa.read_system(book)


def test_excel_without_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a workbook without openpyxl says how to install the extra."""
    book = tmp_path / "x.xlsx"
    book.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(DataError, match=r"x\.xlsx: reading Excel needs openpyxl; install it with"):
        msa.read_system(book)


def test_unknown_file_kind(tmp_path: Path) -> None:
    """A path that is neither a folder, a workbook nor NetCDF is a DataError."""
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(DataError, match="notes.txt: cannot read as NetCDF"):
        msa.read_system(path)


def test_stock_change_provenance_survives_tables_and_netcdf(
    example_tables: Path, tmp_path: Path
) -> None:
    """stock_change and initial_stock rows keep their own grades through tables and NetCDF."""
    path = example_tables / "stocks.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["variable"] == "stock_change", "grade"] = "B"
    frame.loc[frame["variable"] == "initial_stock", "grade"] = "A"
    frame.loc[frame["variable"] == "stock", "grade"] = "C"
    frame.to_csv(path, index=False)
    s = msa.read_system(example_tables)
    change = s.provenance["stock_change Exploration"]["grade"]
    assert set(np.unique(change.values)) == {"B"}
    assert set(np.unique(s.provenance["stock Exploration"]["grade"].values)) == {"C"}
    # Use's change is derived: level 2019 (C) against initial stock (A) -> C
    assert set(np.unique(s.provenance["stock_change Use"]["grade"].values)) == {"C"}
    back = msa.read_system(msa.to_tables(s, tmp_path / "tables"))
    assert_systems_equal(back, s)
    written = pd.read_csv(tmp_path / "tables" / "stocks.csv", dtype=str)
    rows = written[(written["process"] == "Exploration") & (written["variable"] == "stock_change")]
    assert set(rows["grade"]) == {"B"}
    assert_systems_equal(read_netcdf(s.to_netcdf(tmp_path / "s.nc")), s)


def test_netcdf_without_stock_change_provenance_reads(tmp_path: Path) -> None:
    """A file written before stock changes had provenance reads; the change shares the levels'."""
    s = msa.load_example()
    path = s.to_netcdf(tmp_path / "old.nc")
    with xr.open_dataset(path) as handle:
        ds = handle.load()
    old = [v for v in ds.data_vars if "__stock_change__" in str(v)]
    assert old
    ds.drop_vars(old).to_netcdf(tmp_path / "older.nc")
    back = read_netcdf(tmp_path / "older.nc")
    xr.testing.assert_identical(
        back.provenance["stock_change Exploration"], back.provenance["stock Exploration"]
    )
    msa.check_balance(back)


def test_clo_grades_read_round_trip_and_frame(example_tables: Path, tmp_path: Path) -> None:
    """An optional clo_grade column is stored where given and survives tables and NetCDF."""
    path = example_tables / "flows.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    use = (frame["source"] == "Use") & (frame["target"] == "Collection")
    frame["clo_grade"] = ""
    frame.loc[use, "clo_grade"] = "E"
    frame.to_csv(path, index=False)
    s = msa.read_system(example_tables)
    assert set(np.unique(s.provenance["Use => Collection"]["clo_grade"].values)) == {"E"}
    assert "clo_grade" not in s.provenance["Exploration => Extraction"]
    flows = msa.to_frame(s)
    assert list(flows.columns[-5:]) == ["source_id", "grade", "clo_grade", "jrc_code", "signed"]
    assert set(flows.loc[flows["flow"] == "Use => Collection", "clo_grade"]) == {"E"}
    assert "clo_grade" not in msa.to_frame(msa.load_example()).columns
    back = msa.read_system(msa.to_tables(s, tmp_path / "tables"))
    assert_systems_equal(back, s)
    assert_systems_equal(read_netcdf(s.to_netcdf(tmp_path / "s.nc")), s)


def test_excel_workbook_written_and_read_back(tmp_path: Path) -> None:
    """to_tables to an .xlsx path writes one sheet per table that reads back identically."""
    s = msa.load_example()
    s.attrs.update({"note": "NA", "other": "None"})  # text Excel readers like to turn into NaN
    s.add_process("Market", kind="boundary", label_nl="Markt")
    s.add_flow(
        "Imports",
        "Market",
        xr.DataArray([0.1, -2.0, 0.0, 1 / 3, 4.0], dims="time", coords={"time": s.years}),
        units="t",
        signed=True,
        source_id="example",
        grade="B",
        clo_grade="F",
    )
    book = msa.to_tables(s, tmp_path / "sub" / "system.xlsx")
    assert book == tmp_path / "sub" / "system.xlsx"
    assert sorted(pd.ExcelFile(book).sheet_names) == sorted(
        ["system", "processes", "sources", "dims", "flows", "stocks", "parameters"]
    )
    assert_systems_equal(msa.read_system(book), s)
    with pytest.raises(OutputExistsError, match=r"system\.xlsx: exists; pass overwrite=True"):
        msa.to_tables(s, book)
    msa.to_tables(s, book, overwrite=True)
    assert sorted(p.name for p in book.parent.iterdir()) == ["system.xlsx"]


def test_excel_write_without_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing a workbook without openpyxl says how to install the extra, and writes nothing."""
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(DataError, match=r"x\.xlsx: writing Excel needs openpyxl; install it with"):
        msa.to_tables(msa.load_example(), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []
