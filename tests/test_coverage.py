"""msa coverage: the indicator registry, source metadata and the need-versus-availability table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.cli import main
from msa.errors import ProvenanceError
from msa.jrc_msa.coverage import (
    COVERAGE_COLUMNS,
    LEVELS,
    basic_information,
    coverage_table,
    indicator_registry,
    indicator_verdicts,
)
from msa.model.coverage import COVERAGE_FILES, coverage, write_coverage
from msa.system.provenance import SOURCE_FIELDS, SOURCE_TYPES, make_sources

ROOT = Path(__file__).resolve().parents[1]
EV = ROOT / "models" / "ev_batteries_nl"
NL = ROOT / "models" / "nl_national"


# --- the registry ----------------------------------------------------------------------------
def test_registry_names_every_basic_information_item() -> None:
    """Every item of the basic-information list is needed by at least one indicator."""
    assert set(basic_information().index) <= set(indicator_registry()["item"])


def test_registry_rows_are_complete() -> None:
    """Every indicator has a source, a known level and items of the basic-information list."""
    reg = indicator_registry()
    assert reg["source"].str.len().gt(0).all() and reg["item_source"].str.len().gt(0).all()
    assert set(reg["level"]) <= set(LEVELS)
    assert set(reg["item"]) <= set(basic_information().index)
    assert not reg.duplicated(["indicator_id", "item"]).any()
    assert reg.groupby("indicator_id")["required"].apply(lambda r: (r == "yes").any()).all()


def test_registry_covers_the_policies_and_their_targets() -> None:
    """The registry holds each policy and names only shipped targets."""
    reg = indicator_registry()
    for policy in ("ICER", "NPCE 2025", "CRMA", "NMO", "Battery Regulation", "IMVO/effects"):
        assert policy in set(reg["policy"])
    assert {"dmi", "dmc", "rmc", "cmur"} <= set(reg["indicator_id"])
    named = {t for ids in reg["target_ids"] for t in ids.split(";") if t}
    assert named <= set(msa.policy_targets()["target_id"])


def test_registry_jrc_codes_are_known() -> None:
    """Every JRC code of the registry is a variable of jrc_variables.csv."""
    from importlib.resources import files

    with files("msa").joinpath("data", "jrc_variables.csv").open(encoding="utf-8") as handle:
        known = set(pd.read_csv(handle, comment="#", dtype=str)["code"])
    codes = {c for cell in indicator_registry()["jrc_codes"] for c in cell.split(";") if c}
    assert codes <= known


# --- sources metadata ------------------------------------------------------------------------
def test_sources_gain_quality_fields() -> None:
    """The quality-framework fields are optional columns, empty when not given."""
    for name in ("update_frequency", "openness", "data_type", "uncertainty_statement"):
        assert name in SOURCE_FIELDS
    src = make_sources([{"source_id": "cbs", "title": "StatLine", "openness": "open"}])
    assert src.loc["cbs", "openness"] == "open" and src.loc["cbs", "update_frequency"] == ""


@pytest.mark.parametrize("value", ["7", "0", "official", "2b"])
def test_source_type_outside_one_to_six_is_one_error_line(value: str) -> None:
    """A source_type that is not 1-6 names the file, the row and the source."""
    rows = [
        {"source_id": "a", "title": "A", "source_type": "1"},
        {"source_id": "b", "title": "B", "source_type": value},
    ]
    with pytest.raises(
        ProvenanceError, match=r"^data/sources.csv: row 3: source 'b' has source_type"
    ) as err:
        make_sources(rows, origin="data/sources.csv")
    assert "\n" not in str(err.value)


def test_source_type_accepts_one_to_six_empty_and_float_text() -> None:
    """Types 1-6, an empty cell and '3.0' (a float column) are valid."""
    assert set(SOURCE_TYPES) == {"1", "2", "3", "4", "5", "6"}
    rows = [{"source_id": f"s{t}", "title": "T", "source_type": t} for t in [*SOURCE_TYPES, ""]]
    rows.append({"source_id": "f", "title": "T", "source_type": "3.0"})
    assert make_sources(rows).loc["f", "source_type"] == "3"


def test_every_sources_file_of_the_repository_loads() -> None:
    """Every sources.csv shipped in the repository passes the source_type check."""
    found = sorted(p for p in ROOT.glob("**/sources.csv") if ".venv" not in p.parts)
    found = [p for p in found if "models" in p.parts or "src" in p.parts]
    assert len(found) >= 7
    for path in found:
        frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
        make_sources(frame, origin=str(path))


def test_bad_source_type_in_a_model_is_one_cli_line(tmp_path: Path, capsys) -> None:
    """A bad source_type in a model: one error line, exit 2, nothing written."""
    model = tmp_path / "model"
    shutil.copytree(NL, model)
    sources = model / "sources.csv"
    text = sources.read_text(encoding="utf-8").replace(
        ",NL,1,all materials", ",NL,9,all materials", 1
    )
    sources.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["coverage", str(model), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "source_type '9'" in err and "row 2" in err
    assert not out.exists()


# --- coverage --------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [EV, NL], ids=["ev_batteries_nl", "nl_national"])
def test_msa_coverage_writes_three_formats(model: Path, tmp_path: Path, capsys) -> None:
    """The coverage command writes coverage.csv, .md and .html with a verdict per indicator."""
    out = tmp_path / "coverage"
    assert main(["coverage", str(model), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(COVERAGE_FILES)
    table = pd.read_csv(out / "coverage.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(COVERAGE_COLUMNS)
    assert set(table["indicator_id"]) == set(indicator_registry()["indicator_id"])
    assert set(table["verdict"]) <= {"computable", "computable with low quality", "not computable"}
    page = (out / "coverage.html").read_text(encoding="utf-8")
    assert "#228833" in page or "#CCBB44" in page
    assert "✗ not computable" in page  # the verdict reads without colour
    assert "## Verdict per indicator" in (out / "coverage.md").read_text(encoding="utf-8")


def test_ev_model_verdicts() -> None:
    """The EV model answers its Battery Regulation and NPCE recycling targets, not DMI."""
    verdicts = indicator_verdicts(coverage(EV))["verdict"]
    assert verdicts["dmi"] == "not computable"
    assert verdicts["br_recycling_efficiency"] == "computable with low quality"
    assert verdicts["npce_recycling"] == "computable with low quality"
    assert verdicts["urban_mine"] == "computable with low quality"


def test_nl_national_dmi_and_dmc_are_computable_from_grade_a() -> None:
    """The national headline figures give DMI and DMC at grade A, with their sources."""
    table = coverage(NL)
    verdicts = indicator_verdicts(table)
    assert verdicts.loc["dmi", "verdict"] == verdicts.loc["dmc", "verdict"] == "computable"
    row = table[(table["indicator_id"] == "dmc") & (table["item"] == "consumption")].iloc[0]
    assert row["grade"] == "A" and "icer2025" in row["source_ids"]
    assert row["source_type"].startswith("1 ")


def test_verdict_flips_when_an_input_is_removed(tmp_path: Path) -> None:
    """Dropping the exports row of a copy of nl_national makes DMC not computable."""
    model = tmp_path / "nl"
    shutil.copytree(NL, model)
    table = (model / "msa.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in table if not line.split(",")[3].startswith("B.1.3+")]
    assert len(kept) == len(table) - 1
    (model / "msa.csv").write_text("".join(kept), encoding="utf-8")
    before = indicator_verdicts(coverage(NL))["verdict"]
    after = indicator_verdicts(coverage(model))
    assert before["dmc"] == "computable"
    assert after.loc["dmc", "verdict"] == "not computable"
    assert "B.1.3" in after.loc["dmc", "missing"]
    assert after.loc["dmi", "verdict"] == "computable"  # DMI needs no exports


def test_run_output_and_model_agree(tmp_path: Path) -> None:
    """A run output of the example model gives the same verdicts as the model folder."""
    model = ROOT / "models" / "msa_example"
    run = tmp_path / "run"
    msa.run_model(model, run)
    assert indicator_verdicts(coverage(run))["verdict"].equals(
        indicator_verdicts(coverage(model))["verdict"]
    )


def test_folder_of_tables_and_system(tmp_path: Path) -> None:
    """A folder of tables and a System in memory give the same table."""
    system = msa.load_example()
    msa.to_tables(system, tmp_path / "tables")
    a = coverage(tmp_path / "tables")
    b = coverage_table(system)
    pd.testing.assert_series_equal(a["verdict"], b["verdict"])


def test_out_inside_the_input_or_existing_is_refused(tmp_path: Path, capsys) -> None:
    """An --out inside the model is refused; existing files need --force."""
    model = tmp_path / "nl"
    shutil.copytree(NL, model)
    assert main(["coverage", str(model), "--out", str(model / "cov")]) == 2
    assert "inside the input folder" in capsys.readouterr().err
    assert not (model / "cov").exists()
    out = tmp_path / "out"
    write_coverage(model, out)
    before = (out / "coverage.csv").stat().st_mtime_ns
    assert main(["coverage", str(model), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "coverage.csv").stat().st_mtime_ns == before
    assert main(["coverage", str(model), "--out", str(out), "--force"]) == 0
