"""Tests of msa.templates: JRC reference tables, MSA table validation and the chain builder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.errors import ConfigError, DataError, MassBalanceError, ProvenanceError
from msa.jrc_msa.tables import parse_expression
from msa.jrc_msa.template import (
    build_msa_system,
    jrc_codes,
    jrc_variables,
    read_msa_model,
    read_msa_table,
    reference_table,
    split_codes,
    stage_imbalance,
    validate_msa_table,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "models" / "msa_example"
DATA = ROOT / "src" / "msa" / "data"


def _table(rows: list[tuple], units: str = "t") -> pd.DataFrame:
    """Build a one-material MSA table from (year, code, value) rows."""
    return pd.DataFrame(
        [
            {
                "material": "Li",
                "region": "EU",
                "year": str(y),
                "code": c,
                "value": str(v),
                "units": units,
                "source_id": "",
                "grade": "D",
            }
            for y, c, v in rows
        ]
    )


@pytest.fixture(scope="module")
def example():
    """Return the built illustrative example (built once: building a System is not free)."""
    return read_msa_model(EXAMPLE)


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "msa.csv"
    frame.to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------- reference data
def test_variables_table_has_the_43_jrc_codes_in_order():
    """The bundled variable table holds exactly the 43 JRC codes A.1.1 ... G.1.5, once each."""
    codes = jrc_codes()
    assert len(codes) == 43 == len(set(codes))
    assert codes[0] == "A.1.1" and codes[-1] == "G.1.5"
    assert jrc_codes("national") == ("N.1", "N.2", "N.3", "N.4", "N.5")


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.csv") if "jrc" in p.stem))
def test_reference_tables_have_a_cited_header(name):
    """Every JRC reference table starts with comment lines naming its source."""
    head = (DATA / f"{name}.csv").read_text(encoding="utf-8").splitlines()[:3]
    assert head[0].startswith("# ")
    assert any("Source" in line for line in head)


def test_structure_uses_known_processes_and_codes():
    """Every edge of jrc_structure.csv joins known processes with known codes."""
    processes = set(reference_table("jrc_processes")["id"])
    known = set(jrc_codes("all"))  # the JRC codes and the hibernating stock's N.5
    for row in reference_table("jrc_structure").itertuples():
        assert row.source in processes and row.target in processes
        assert {c for _, c in parse_expression(row.expression)} <= known


def test_every_edge_variable_is_an_edge_of_the_structure():
    """Each JRC variable of role 'edge' is a positive term of exactly one edge."""
    terms = [
        c
        for e in reference_table("jrc_structure")["expression"]
        for s, c in parse_expression(e)
        if s > 0
    ]
    info = reference_table("jrc_variables")
    edges = info.loc[(info["frame"] == "jrc") & (info["role"] == "edge"), "code"]
    for code in edges:
        assert code in terms, code
    assert terms.count("E.1.6") == 1


def test_reference_table_rejects_unknown_name():
    """An unknown reference table name is a ConfigError listing the known ones."""
    with pytest.raises(ConfigError, match="unknown reference table 'nope'"):
        reference_table("nope")


def test_split_codes_rejects_unknown_and_repeated_codes():
    """split_codes names the unknown code and refuses a fold repeating a code."""
    assert split_codes("C.1.2+D.1.2") == ("C.1.2", "D.1.2")
    with pytest.raises(DataError, match="unknown JRC code 'X.1.1'"):
        split_codes("C.1.2+X.1.1")
    with pytest.raises(DataError, match="repeats a code"):
        split_codes("C.1.2+C.1.2")


# ----------------------------------------------------------------------------- validation
def test_units_are_converted_to_tonnes():
    """Values in kt and Mt are converted to tonnes on read."""
    out = validate_msa_table(_table([(2020, "C.1.3", 2.5)], units="kt"))
    assert out["value"].iloc[0] == 2500.0 and out["units"].iloc[0] == "t"
    out = validate_msa_table(_table([(2020, "C.1.3", 2)], units="Mt"))
    assert out["value"].iloc[0] == 2e6


def test_unknown_code_names_file_row_and_code(tmp_path):
    """An unknown code is reported with the file, its row and the code."""
    path = _write(tmp_path, _table([(2020, "C.1.3", 1), (2020, "C.1.99", 2)]))
    with pytest.raises(
        DataError, match=r"msa\.csv: row 3, column 'code'.*unknown JRC code 'C\.1\.99'"
    ):
        read_msa_table(path)


def test_duplicate_code_and_year_names_both_rows(tmp_path):
    """A code given twice for the same year names both rows and the code."""
    path = _write(tmp_path, _table([(2020, "C.1.3", 1), (2021, "C.1.3", 1), (2020, "C.1.3", 2)]))
    with pytest.raises(DataError, match=r"msa\.csv: rows \[2, 4\]: code 'C\.1\.3'.*year 2020"):
        read_msa_table(path)


def test_code_inside_a_fold_and_alone_is_a_duplicate(tmp_path):
    """A code given alone and inside a fold for one year would count twice: an error."""
    path = _write(tmp_path, _table([(2020, "C.1.2", 1), (2020, "C.1.2+D.1.2", 2)]))
    with pytest.raises(DataError, match=r"rows \[2, 3\]: code 'C\.1\.2' is given more than once"):
        read_msa_table(path)


def test_wrong_units_name_row_and_code(tmp_path):
    """Non-mass units are refused with the row, the column and the code."""
    path = _write(tmp_path, _table([(2020, "E.1.6", 5)], units="EUR"))
    with pytest.raises(DataError, match=r"row 2, column 'units' \(code 'E\.1\.6'\).*'EUR'"):
        read_msa_table(path)


def test_negative_stock_names_row_and_code(tmp_path):
    """A negative stock level is refused naming file, row and code."""
    path = _write(tmp_path, _table([(2020, "E.1.7", -5), (2020, "E.1.1", -1)]))
    with pytest.raises(DataError, match=r"msa\.csv: row 3.*code 'E\.1\.1'.*negative stock"):
        read_msa_table(path)


def test_negative_flow_is_refused_but_net_addition_may_be_negative():
    """Only net stock additions may be negative."""
    validate_msa_table(_table([(2020, "E.1.7", -5)]))
    with pytest.raises(DataError, match=r"row 2.*code 'C\.1\.3'.*negative flow"):
        validate_msa_table(_table([(2020, "C.1.3", -5)]))


def test_non_numeric_value_and_missing_column():
    """A non-numeric value and a missing column are named."""
    with pytest.raises(DataError, match=r"row 2, column 'value'.*'abc' is not a number"):
        validate_msa_table(_table([(2020, "C.1.3", "abc")]))
    with pytest.raises(DataError, match=r"missing column\(s\) \['grade'\]"):
        validate_msa_table(_table([(2020, "C.1.3", 1)]).drop(columns="grade"))


def test_unknown_grade_is_a_provenance_error():
    """A grade outside A-D is a ProvenanceError naming the row."""
    frame = _table([(2020, "C.1.3", 1)]).assign(grade="Z")
    with pytest.raises(ProvenanceError, match=r"row 2, column 'grade'.*'Z'"):
        validate_msa_table(frame)


# ----------------------------------------------------------------------------- building
def test_example_model_closes_every_stage(example):
    """The illustrative example builds completely and passes the strict balance check."""
    built = example
    assert built.missing == () and built.skipped.empty and built.negative_edges == ()
    msa.check_balance(built.system)
    assert built.system.structure_problems() == []
    assert np.abs(built.imbalance["residual"]).max() == 0
    assert set(built.imbalance["stage"]) >= {"Processing", "Manufacture", "Use", "Recycling"}


def test_example_edges_follow_the_structure(example):
    """Processing -> Manufacture is C.1.1 - C.1.2 and stocks carry their additions."""
    system = example.system
    p = {k: system.parameters[k] for k in ("C.1.1", "C.1.2", "E.1.1", "E.1.7")}
    xr.testing.assert_allclose(
        system.flow("Processing", "Manufacture"), p["C.1.1"] - p["C.1.2"], check_dim_order=False
    )
    stock = system.stocks["In-use stock"]
    np.testing.assert_allclose(stock["stock"].values, p["E.1.1"].values)
    np.testing.assert_allclose(stock["stock_change"].values, p["E.1.7"].values)
    assert system.flow("Imports", "Processing").attrs["jrc_code"] == "C.1.3+C.1.4+C.1.8"
    assert "jrc_code" not in system.flow("Manufacture", "Use").attrs


def test_missing_codes_are_reported_not_zeroed():
    """Without missing='zero' absent codes are listed and their edges skipped."""
    built = build_msa_system(_table([(2020, "F.1.4", 10), (2020, "G.1.1", 10)]))
    assert "E.1.6" in built.missing and len(built.missing) == 41
    assert "Use => Collection" in set(built.skipped["element"])
    assert "Collection => Recycling" in built.system.flows


def test_missing_zero_is_explicit_and_graded_d():
    """missing='zero' fills absent codes with 0 and grade D."""
    built = build_msa_system(_table([(2020, "F.1.4", 10)]), missing="zero")
    assert built.missing == ()
    grade = built.system.provenance["parameter E.1.6"]["grade"]
    assert set(np.unique(grade.values)) == {"D"}
    assert float(built.system.parameters["E.1.6"].sum()) == 0.0


def test_code_given_for_some_years_only_is_an_error():
    """A code with a hole in its years is an error unless missing='zero'."""
    frame = _table([(2020, "F.1.4", 10), (2021, "F.1.4", 11), (2021, "G.1.1", 4)])
    with pytest.raises(
        DataError, match=r"code 'G\.1\.1' is given for some cells but not for year 2020"
    ):
        build_msa_system(frame)
    built = build_msa_system(frame, missing="zero")
    assert float(built.system.parameters["G.1.1"].sel(time=2020).sum()) == 0.0


def test_imbalance_is_reported_absolute_and_relative():
    """An unbalanced recycling stage is reported (residual, relative), and check_balance fails."""
    rows = [(2020, "F.1.4", 100)] + [
        (2020, c, v)
        for c, v in zip(
            ("G.1.1", "G.1.2", "G.1.3", "G.1.4", "G.1.5"), (40, 20, 10, 5, 5), strict=True
        )
    ]
    built = build_msa_system(_table(rows), missing="zero")
    recycling = built.imbalance.set_index("process").loc["Recycling"]
    assert recycling["residual"] == pytest.approx(20.0)
    assert recycling["relative"] == pytest.approx(0.2)
    with pytest.raises(MassBalanceError, match="process 'Recycling' year 2020"):
        msa.check_balance(built.system)


def test_contradicting_totals_give_a_reported_negative_edge():
    """Exports above production make the derived edge negative: reported, not hidden."""
    built = build_msa_system(_table([(2020, "C.1.1", 10), (2020, "C.1.2", 12)]), missing="zero")
    assert built.negative_edges == ("Processing => Manufacture",)
    assert float(built.system.flow("Processing", "Manufacture").sum()) == -2.0


def test_stage_imbalance_columns(example):
    """stage_imbalance reports process, stage, year, residual, throughput and relative."""
    table = stage_imbalance(example.system)
    assert {"process", "stage", "year", "residual", "throughput", "relative"} <= set(table)
    assert len(table) == 11 * 3


def test_model_with_unknown_source_id(tmp_path):
    """An MSA model whose rows cite a source missing from sources.csv is refused."""
    _write(tmp_path, _table([(2020, "F.1.4", 1)]).assign(source_id="nowhere"))
    pd.DataFrame([{"source_id": "s1", "title": "t"}]).to_csv(tmp_path / "sources.csv", index=False)
    with pytest.raises(ProvenanceError, match=r"source id\(s\) \['nowhere'\]"):
        read_msa_model(tmp_path)


def test_model_folder_without_msa_table(tmp_path):
    """A folder without msa.csv is a DataError naming the folder."""
    with pytest.raises(DataError, match="no msa.csv"):
        read_msa_model(tmp_path)


# ----------------------------------------------------------------------------- variables
def _tagged_system() -> msa.System:
    """Return a hand-built system (not from the template) whose flows carry jrc_code attrs."""
    system = msa.System("tagged", coords={"time": [2020, 2021]})
    for pid, kind in (
        ("Imports", "boundary"),
        ("Collection", "transformation"),
        ("Out", "boundary"),
    ):
        system.add_process(pid, kind=kind)
    da = xr.DataArray([5.0, 6.0], dims="time", coords={"time": [2020, 2021]})
    system.add_flow("Imports", "Collection", da, units="t", jrc_code="F.1.2")
    system.add_flow("Collection", "Out", da, units="t", jrc_code="F.1.3+F.1.4")
    return system


def test_jrc_variables_of_a_hand_built_system():
    """Variables are read from flow attrs of any system; folds stay one entry."""
    v = jrc_variables(_tagged_system())
    assert list(v["code"].values) == ["F.1.2", "F.1.3+F.1.4"]
    assert v.attrs["units"] == "t"
    assert float(v.sel(code="F.1.2", time=2021)) == 6.0


def test_jrc_variables_refuses_conflicting_tags():
    """A parameter and a flow tagged with the same code must agree."""
    system = _tagged_system()
    system.add_parameter(
        "F.1.2",
        xr.DataArray([1.0, 1.0], dims="time", coords={"time": [2020, 2021]}),
        units="t",
        attrs={"jrc_code": "F.1.2"},
    )
    with pytest.raises(DataError, match=r"flow 'Imports => Collection' carries jrc_code 'F\.1\.2'"):
        jrc_variables(system)


def test_shipped_models_are_found_from_anywhere(tmp_path, monkeypatch):
    """msa.shipped_model finds the models wherever the notebook runs, or names where it looked."""
    import msa
    from msa.errors import ConfigError

    monkeypatch.chdir(tmp_path)  # not the repository: found through the installed package
    monkeypatch.delenv("MSA_MODELS", raising=False)
    for name in ("ev_batteries_nl", "pv_panels_nl", "nl_national", "msa_example"):
        assert (msa.shipped_model(name) / "model.toml").is_file()
    with pytest.raises(ConfigError, match="no shipped model 'ev'"):
        msa.shipped_model("ev")
    elsewhere = tmp_path / "models" / "msa_example"
    elsewhere.mkdir(parents=True)
    (elsewhere / "model.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("MSA_MODELS", str(tmp_path / "models"))
    assert msa.shipped_model("msa_example") == elsewhere.resolve()  # MSA_MODELS comes first
