"""Tests of msa.run and the `msa run` / `msa compare` commands (atomic output, errors)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.cli import main

EV = Path(__file__).resolve().parents[1] / "models" / "ev_batteries_nl"


@pytest.fixture
def tiny(tiny_model: Callable[..., Path], image_server: None) -> Path:
    """Return the tiny declared model with scenarios baseline, double and boom (fails)."""
    return tiny_model(failing=True)


@pytest.fixture
def ev_copy(tmp_path: Path) -> Path:
    """Return a writable copy of the EV model folder."""
    target = tmp_path / "ev"
    shutil.copytree(EV, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


@pytest.mark.chromium
def test_run_writes_every_output(tiny: Path, tmp_path: Path) -> None:
    """One scenario writes NetCDF, tables, figures, report, quality and a manifest."""
    out = tmp_path / "out"
    folders = msa.run_model(tiny, out)
    assert folders == [out]
    for rel in (
        "system.nc",
        "tables/flows.csv",
        "tables/indicator_series.csv",
        "indicators.csv",
        "headline.csv",
        "quality.csv",
        "figures/flows.html",
        "figures/flows.png",
        "figures/flows.svg",
        "report.md",
        "report.html",
    ):
        assert (out / rel).is_file(), rel
    system = msa.read_system(out / "system.nc")
    assert float(system.flows["Collection => Recycling"].sum()) == 6.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "baseline" and manifest["parameters"]["factor"] == 1.0
    assert set(manifest["inputs"]) == {
        "model.toml",
        "data/sources.csv",
        "data/collected.csv",
        "data/targets.csv",
    }
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert _leftovers(tmp_path) == []


@pytest.mark.chromium
def test_run_refuses_existing_output_without_force(tiny: Path, tmp_path: Path) -> None:
    """A non-empty output folder is never touched without --force; --force replaces it."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    for force in (False, True):
        with pytest.raises(msa.OutputExistsError, match=r"holds 'keep.txt', which msa did not"):
            msa.run_model(tiny, out, force=force)
    assert (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    msa.run_model(tiny, out)
    with pytest.raises(msa.OutputExistsError, match=r"exists and is not empty; pass --force"):
        msa.run_model(tiny, out)
    msa.run_model(tiny, out, scenarios=["double"], force=True)
    assert (out / "report.md").is_file()
    assert _leftovers(tmp_path) == []


@pytest.mark.chromium
def test_run_into_empty_existing_folder(tiny: Path, tmp_path: Path) -> None:
    """An existing empty folder is not 'overwriting' and is filled."""
    out = tmp_path / "out"
    out.mkdir()
    msa.run_model(tiny, out)
    assert (out / "system.nc").is_file()


@pytest.mark.chromium
def test_failed_run_leaves_nothing(tiny: Path, tmp_path: Path) -> None:
    """A scenario failing halfway leaves no output folder and no temporary folder."""
    out = tmp_path / "out"
    with pytest.raises(msa.DataError, match=r"collected_bad\.csv: row 3, column 'value': neg"):
        msa.run_model(tiny, out, scenarios=["baseline", "boom"])
    assert not out.exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.chromium
def test_failed_forced_run_keeps_the_old_output(tiny: Path, tmp_path: Path) -> None:
    """With --force, a failing run leaves the previous output as it was."""
    out = tmp_path / "out"
    msa.run_model(tiny, out)
    before = (out / "headline.csv").read_text()
    with pytest.raises(msa.DataError):
        msa.run_model(tiny, out, scenarios=["boom"], force=True)
    assert (out / "headline.csv").read_text() == before


@pytest.mark.chromium
def test_several_scenarios_and_compare(tiny: Path, tmp_path: Path, capsys) -> None:
    """Several scenarios go to subfolders; compare tabulates them side by side."""
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out), "-s", "baseline", "-s", "double"]) == 0
    assert (out / "baseline" / "report.md").is_file() and (out / "double" / "system.nc").is_file()
    headline, targets = msa.compare_runs([out])
    assert headline.loc["total", "baseline"] == 6.0 and headline.loc["total", "double"] == 12.0
    assert targets.loc["t1"].tolist() == ["2 missed", "4 met"]
    capsys.readouterr()
    cmp_dir = tmp_path / "cmp"
    assert main(["compare", str(out / "baseline"), str(out / "double"), "--out", str(cmp_dir)]) == 0
    shown = capsys.readouterr().out
    assert "baseline" in shown and "double" in shown and "4 met" in shown
    for name in ("compare_headline.csv", "compare_targets.csv", "compare_headline.png"):
        assert (cmp_dir / name).is_file()
    assert main(["compare", str(out), "--out", str(cmp_dir)]) == 2


@pytest.mark.chromium
def test_run_all_makes_one_subfolder_per_scenario(tiny: Path, tmp_path: Path) -> None:
    """--scenario all runs every scenario of the model (the failing one included)."""
    with pytest.raises(msa.DataError):
        msa.run_model(tiny, tmp_path / "all", scenarios=["all"])
    toml = tiny / "model.toml"
    toml.write_text(toml.read_text().split("[scenarios.boom]")[0], encoding="utf-8")
    folders = msa.run_model(tiny, tmp_path / "all", scenarios=["all"])
    assert [f.name for f in folders] == ["baseline", "double"]


def test_compare_rejects_non_run_folder(tmp_path: Path) -> None:
    """Compare names a folder without run results."""
    with pytest.raises(msa.DataError, match=r"not a run folder"):
        msa.compare_runs([tmp_path])


def _cli_error(argv: list[str], capsys) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_cli_unknown_scenario_name(ev_copy: Path, tmp_path: Path, capsys) -> None:
    """An unknown --scenario is one error line listing the known scenarios."""
    line = _cli_error(["run", str(ev_copy), "--out", str(tmp_path / "o"), "-s", "nope"], capsys)
    assert "unknown scenario 'nope'; known: baseline, high_lfp" in line


def test_cli_unknown_scenario_key(ev_copy: Path, tmp_path: Path, capsys) -> None:
    """A scenario overriding an unknown parameter is one error line naming file and key."""
    toml = ev_copy / "model.toml"
    toml.write_text(toml.read_text().replace("export_share = 0.15", "exprot_share = 0.15"))
    line = _cli_error(["run", str(ev_copy), "--out", str(tmp_path / "o")], capsys)
    assert line.startswith("msa: error: ")
    assert "model.toml: [scenarios.low_export] set: 'exprot_share' is not a declared parameter" in (
        line
    )


def test_cli_unknown_chemistry(ev_copy: Path, tmp_path: Path, capsys) -> None:
    """An unknown chemistry in the shares table is one error line naming file, row, column."""
    path = ev_copy / "data" / "chemistry_shares.csv"
    frame = pd.read_csv(path)
    frame.loc[5, "chemistry"] = "NMC999"
    frame.to_csv(path, index=False)
    line = _cli_error(["run", str(ev_copy), "--out", str(tmp_path / "o")], capsys)
    assert "chemistry_shares.csv: row 7, column 'chemistry': 'NMC999' is not a chemistry" in line
    assert not (tmp_path / "o").exists()


def test_cli_shares_not_summing_to_one(ev_copy: Path, tmp_path: Path, capsys) -> None:
    """Chemistry shares of one year not summing to 1 name the file, the sum and the year."""
    path = ev_copy / "data" / "chemistry_shares.csv"
    frame = pd.read_csv(path)
    frame.loc[0, "value"] = frame.loc[0, "value"] + 0.1
    frame.to_csv(path, index=False)
    line = _cli_error(["run", str(ev_copy), "--out", str(tmp_path / "o")], capsys)
    assert (
        "chemistry_shares.csv: the shares over 'chemistry' add to 1.1, not 1, at time=2010" in line
    )


def test_cli_negative_sales(ev_copy: Path, tmp_path: Path, capsys) -> None:
    """A negative registration count is one error line naming the file and row."""
    path = ev_copy / "data" / "registrations.csv"
    frame = pd.read_csv(path)
    frame.loc[3, "value"] = -5.0
    frame.to_csv(path, index=False)
    line = _cli_error(["run", str(ev_copy), "--out", str(tmp_path / "o")], capsys)
    assert "registrations.csv: row 5, column 'value': negative value -5.0;" in line


def test_cli_existing_output(tiny_model: Callable[..., Path], tmp_path: Path, capsys) -> None:
    """An existing non-empty --out is one error line telling to use --force."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "x").write_text("x")
    line = _cli_error(["run", str(tiny_model()), "--out", str(out)], capsys)
    assert "holds 'x', which msa did not write" in line


#: A model.toml in the format msa no longer reads: [model] module, whose run(config, scenario)
#: computed the model; no [processes] and [flows], no [msa].
LEGACY_TOML = """\
[model]
name = "legacy"
title = "Legacy model"
module = "model.py"
sources = "data/sources.csv"

[dims]
time = { start = 2020, end = 2022 }

[parameters]
factor = { value = 1.0, units = "1", source_id = "s1", grade = "D", note = "assumption" }

[scenarios.baseline]
description = "as is"
"""


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """Return a folder with a legacy-format model.toml and the model.py it named."""
    folder = tmp_path / "legacy"
    (folder / "data").mkdir(parents=True)
    (folder / "model.toml").write_text(LEGACY_TOML, encoding="utf-8")
    (folder / "model.py").write_text("def run(config, scenario):\n    raise AssertionError\n")
    (folder / "data" / "sources.csv").write_text("source_id,title\ns1,Test source\n", "utf-8")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--out", "{out}"],
        ["run", "--out", "{out}", "-s", "all"],
        ["check"],
        ["views", "--year", "2021"],
        ["indicators"],
        ["sankey", "--year", "2021", "--format", "html", "--out", "{out}"],
    ],
    ids=["run", "run all", "check", "views", "indicators", "sankey"],
)
def test_legacy_model_toml_is_refused_in_one_line(
    legacy: Path, argv: list[str], tmp_path: Path, capsys
) -> None:
    """A model.toml with [model] module but no processes and flows: one line, exit 2, no output."""
    out = tmp_path / "out"
    before = _files(legacy)
    command, *rest = argv
    line = _cli_error([command, str(legacy), *(a.format(out=out) for a in rest)], capsys)
    assert line == (
        f"msa: error: {legacy / 'model.toml'}: top level: give [processes] and [flows] (a "
        "declared model) or [msa] (an MSA-table model); see docs/model_definition.md"
    )
    assert not out.exists()
    assert _leftovers(tmp_path) == []
    assert _files(legacy) == before  # model.py was not imported: no __pycache__


def test_legacy_model_toml_is_refused_by_the_api(legacy: Path, tmp_path: Path) -> None:
    """msa.run_model and msa.load_definition refuse it with the same ConfigError."""
    expected = r"model\.toml: top level: give \[processes\] and \[flows\] \(a declared model\)"
    with pytest.raises(msa.ConfigError, match=expected):
        msa.load_definition(legacy)
    with pytest.raises(msa.ConfigError, match=expected):
        msa.run_model(legacy, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []
