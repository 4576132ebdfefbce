"""``msa reconcile PATH --out DIR``: what it writes, and one error line for each bad input."""

from __future__ import annotations

import csv
import json
import shutil
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.cli import main

# The Use process measured to 2% (Co collection to 2 t), one flow unknown, one constant
SPEC = (
    "quantity,material,time,status,sd,cv\n"
    "Collection => Exports,,,unknown,,\n"
    "Extraction => Tailings,,2022,unknown,,\n"
    "Imports => Use,,,constant,,\n"
    "Manufacture => Use,,,,,0.02\n"
    "Use => Landfill,,,,,0.02\n"
    "Use => Exports,,,,,0.02\n"
    "stock_change Use,,,,,0.02\n"
    "Use => Collection,Co,,,2,\n"
    "Use => Collection,Li,,,,0.02\n"
)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["reconcile", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    """Return the example's tables with Use => Landfill (Co, 2021) off by 3, and a spec."""
    folder = tmp_path / "in"
    shutil.copytree(Path(str(files("msa") / "data" / "example")), folder)
    path = folder / "flows.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if (row["source"], row["target"], row["material"], row["time"]) == (
            "Use",
            "Landfill",
            "Co",
            "2021",
        ):
            row["value"] = str(float(row["value"]) * 3)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / "reconcile.csv").write_text(SPEC, encoding="utf-8")
    return folder


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_writes_the_balanced_system_report_and_sankey(tables: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    before = {p.name: p.read_bytes() for p in tables.iterdir()}
    code, stdout, stderr = _run(capsys, str(tables), "--out", str(out), "--year", "2021")
    assert code == 0, stderr
    assert f"wrote {out}" in stdout
    assert {p.name for p in out.iterdir()} == {
        "adjustments.csv",
        "figures",
        "manifest.json",
        "report.html",
        "report.md",
        "system.nc",
        "tables",
        "tests.csv",
    }
    assert before == {p.name: p.read_bytes() for p in tables.iterdir()}  # input untouched
    balanced = msa.read_system(out / "system.nc")
    msa.check_balance(balanced, rtol=1e-9)
    msa.testing.assert_systems_equal(msa.read_system(out / "tables"), balanced)
    adjustments = pd.read_csv(out / "adjustments.csv")
    unknown = adjustments[adjustments["quantity"] == "Collection => Exports"]
    assert set(unknown["classification"]) == {"unknown observable"}
    landfill = adjustments[adjustments["quantity"] == "Extraction => Tailings"]
    assert set(landfill.loc[landfill["year"] == 2022, "status"]) == {"unknown"}
    assert set(landfill.loc[landfill["year"] != 2022, "status"]) == {"measured"}
    constant = adjustments[adjustments["quantity"] == "Imports => Use"]
    assert (constant["value"] == constant["measured"]).all()
    tests = pd.read_csv(out / "tests.csv", index_col="year")
    assert list(tests.index) == [2019, 2020, 2021, 2022, 2023]
    # the landfill flow, tripled in 2021 against 2% sds: that year fails, and z points at it
    assert not tests.loc[2021, "passed"] and tests.drop(2021)["passed"].all()
    year = adjustments[adjustments["year"] == 2021].dropna(subset=["z"])
    top = year.loc[year["z"].abs().idxmax()]
    tied = year[(year["z"].abs() - abs(top["z"])).abs() < 1e-6 * abs(top["z"])]
    assert "Use => Landfill" in set(tied["quantity"])
    report = (out / "report.md").read_text("utf-8")
    assert "1 fail the chi-square test" in report and "Use => Landfill" in report
    assert "![sankey_2021](figures/sankey_2021.png)" in report
    svg = (out / "figures" / "sankey_2021.svg").read_text("utf-8")
    assert "±" in svg and "chi2 =" in svg
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["passed"]["2021"] is False and manifest["command"] == "msa reconcile"
    # a second run needs --force, and replaces only this output
    code, _, stderr = _run(capsys, str(tables), "--out", str(out), "--year", "2021")
    assert code == 2 and "--force" in stderr
    code, _, stderr = _run(capsys, str(tables), "--out", str(out), "--year", "2021", "--force")
    assert code == 0, stderr


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("quantity,status\nNowhere => Use,unknown\n", "row 2: quantity 'Nowhere => Use'"),
        ("quantity,status\nUse => Landfill,guessed\n", "row 2, column status: 'guessed'"),
        ("quantity,sd\nUse => Landfill,-1\n", "row 2, column sd: give a finite number >= 0"),
        ("quantity,sd,cv\nUse => Landfill,1,0.1\n", "row 2: give sd or cv, not both"),
        ("quantity,material,sd\nUse => Landfill,Fe,1\n", "column material: unknown label 'Fe'"),
        ("quantity,colour\nUse => Landfill,red\n", "columns ['colour'] are not known"),
        ("quantity,time,sd\nUse => Landfill,1990,1\n", "column time: unknown label '1990'"),
        ("quantity,sd\nUse => Landfill,1\nUse => Landfill,2\n", "row 3: repeats row 2"),
    ],
)
def test_a_bad_spec_is_one_line_and_writes_nothing(
    tables: Path, tmp_path: Path, capsys, spec: str, message: str
) -> None:
    (tables / "reconcile.csv").write_text(spec, encoding="utf-8")
    out = tmp_path / "out"
    code, _, stderr = _run(capsys, str(tables), "--out", str(out))
    assert code == 2
    assert stderr.startswith("msa: error: ") and len(stderr.strip().splitlines()) == 1
    assert message in stderr and "reconcile.csv" in stderr
    assert not out.exists()


def test_an_output_inside_the_input_or_a_missing_year_is_refused(
    tables: Path, tmp_path: Path, capsys
) -> None:
    code, _, stderr = _run(capsys, str(tables), "--out", str(tables / "out"))
    assert code == 2 and "inside" in stderr and not (tables / "out").exists()
    code, _, stderr = _run(capsys, str(tables), "--out", str(tmp_path / "o"), "--year", "1990")
    assert code == 2 and "--year [1990]" in stderr and not (tmp_path / "o").exists()
    code, _, stderr = _run(capsys, str(tables), "--out", str(tmp_path / "o"), "--spec", "x.csv")
    assert code == 2 and "--spec x.csv: no such file" in stderr


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_a_dutch_sankey_says_its_verdict_in_dutch(tables: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "nl"
    code, _, stderr = _run(capsys, str(tables), "--out", str(out), "--year", "2022", "--lang", "nl")
    assert code == 0, stderr
    svg = (out / "figures" / "sankey_2022.svg").read_text("utf-8")
    assert "gereconcilieerd" in svg and "vrijheidsgraden" in svg
    assert "Reconciled by" not in svg and "reconciled (value" not in svg
