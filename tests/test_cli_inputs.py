"""Tests of what check, views, indicators and sankey accept as PATH (msa.cli._inputs).

Every kind: a declared model (the ``msa new`` template), an MSA-table folder, a run output (one
run, or one subfolder per scenario, of the tiny declared model), a NetCDF file and a folder of
tables; and the one-line hint for a PATH of the wrong kind.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import msa
from msa.cli import main

ROOT = Path(__file__).resolve().parents[1]
MSA_EXAMPLE = ROOT / "models" / "msa_example"

# JRC codes for the flows of the `msa new` template (appliances: market, use, collection)
TEMPLATE_CODES = {
    '[flows."Market => Use"]': "E.1.4",
    '[flows."Use => Collection"]': "E.1.6",
    '[flows."Collection => Recycling"]': "F.1.4",
    '[flows."Collection => Disposal"]': "F.1.3",
}


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_error_line(err: str) -> str:
    """Return the one error line of ``err``; fail if there is more, or no such line."""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("msa: error: "), err
    return lines[0].removeprefix("msa: error: ")


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture
def declared(tmp_path: Path) -> Path:
    """Return the `msa new` template: a declared model without JRC codes."""
    return msa.new_model(tmp_path / "appliances")


@pytest.fixture
def declared_tagged(tmp_path: Path) -> Path:
    """Return the `msa new` template with a jrc_code on four of its flows."""
    folder = msa.new_model(tmp_path / "tagged")
    toml = folder / "model.toml"
    lines = []
    for line in toml.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        for header, code in TEMPLATE_CODES.items():
            if line.startswith(header):
                lines.append(f'jrc_code = "{code}"')
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tiny_model: Callable[..., Path]) -> Path:
    """Return the tiny declared model (JRC-coded flows; scenarios baseline and double)."""
    return tiny_model()


@pytest.fixture
def runs(
    tiny: Path, tmp_path: Path, image_server: None, capsys: pytest.CaptureFixture[str]
) -> Path:
    """Return the output folder of `msa run tiny -s baseline -s double`: two runs."""
    out = tmp_path / "runs"
    assert main(["run", str(tiny), "--out", str(out), "-s", "baseline", "-s", "double", "-q"]) == 0
    capsys.readouterr()  # the test sees its own output only
    return out


@pytest.fixture
def netcdf(tmp_path: Path) -> Path:
    """Return the bundled example System written to NetCDF."""
    path = tmp_path / "example.nc"
    msa.load_example().to_netcdf(path)
    return path


#: Each kind of PATH and the fixture giving one (every System has JRC-tagged flows).
KINDS = {
    "declared model": "declared_tagged",
    "MSA-table model": None,
    "run output": "runs",
    "NetCDF file": "netcdf",
    "folder of tables": "example_tables",
}

#: The kinds as test parameters: a run output is written by `msa run`, which needs chromium.
KIND_PARAMS = [
    pytest.param(k, marks=pytest.mark.chromium) if k == "run output" else k for k in KINDS
]


def _path_of(request: pytest.FixtureRequest, kind: str) -> Path:
    """Return a PATH of ``kind``, making only the fixture it needs."""
    fixture = KINDS[kind]
    if fixture is None:
        return MSA_EXAMPLE
    path: Path = request.getfixturevalue(fixture)
    return path / "double" if kind == "run output" else path


# ----------------------------------------------------------------------------- check
@pytest.mark.parametrize("kind", KIND_PARAMS)
def test_check_every_kind(request, kind, capsys):
    """`msa check` balances a System of every kind of PATH, saying which kind it read."""
    path = _path_of(request, kind)
    code, out, err = _cli(capsys, "check", str(path))
    assert code == 0, err
    assert err == ""  # no progress lines off a terminal
    first = out.splitlines()[0]
    assert first.startswith("system ") and f"from {path} ({kind}" in first
    assert out.rstrip().endswith("balanced (rtol=1e-09, atol=0)")


@pytest.mark.parametrize("model", ["msa_example", "pv_panels_nl", "nl_national"])
def test_check_bundled_models(model, capsys):
    """The bundled MSA-table and declared models balance as `msa check` builds them."""
    code, out, err = _cli(capsys, "check", str(ROOT / "models" / model))
    assert code == 0, err
    assert out.rstrip().endswith("balanced (rtol=1e-09, atol=0)")


def test_check_declared_model_scenario_and_model_toml(declared, capsys):
    """--scenario builds that scenario; the model.toml itself stands for its folder."""
    code, out, err = _cli(capsys, "check", str(declared), "--scenario", "high_collection")
    assert code == 0, err
    assert "(declared model, scenario 'high_collection')" in out.splitlines()[0]
    code, out, err = _cli(capsys, "check", str(declared / "model.toml"))
    assert code == 0, err
    assert "(declared model, scenario 'baseline')" in out.splitlines()[0]


def test_check_tiny_model_scenario(tiny, capsys):
    """A declared model builds the scenario asked for: its values, not the baseline's."""
    code, out, err = _cli(capsys, "check", str(tiny), "-s", "double")
    assert code == 0, err
    assert f"from {tiny} (declared model, scenario 'double')" in out.splitlines()[0]
    code, out, err = _cli(capsys, "views", str(tiny), "-s", "double", "--year", "2021")
    assert code == 0, err
    assert re.search(r"Inzameling → Recycling +4 +t +F\.1\.4", out), out


@pytest.mark.chromium
def test_check_run_folder_of_scenarios(runs, capsys):
    """A folder of scenario runs needs --scenario, unless it holds one run only."""
    code, out, err = _cli(capsys, "check", str(runs), "--scenario", "baseline")
    assert code == 0, err
    assert f"from {runs} (run output, scenario 'baseline')" in out.splitlines()[0]
    only = runs.parent / "only"
    only.mkdir()
    shutil.copytree(runs / "double", only / "double")
    code, out, err = _cli(capsys, "check", str(only))
    assert code == 0, err
    assert "(run output, scenario 'double')" in out.splitlines()[0]
    # the manifest.json stands for its run folder
    code, out, err = _cli(capsys, "check", str(runs / "double" / "manifest.json"))
    assert code == 0, err


# ----------------------------------------------------------------------------- views
@pytest.mark.parametrize("kind", KIND_PARAMS)
def test_views_every_kind(request, kind, capsys):
    """`msa views` prints the three views of a tagged System of every kind of PATH."""
    year = "2021"
    code, out, err = _cli(capsys, "views", str(_path_of(request, kind)), "--year", year)
    assert code == 0, err
    assert f", year {year}" in out.splitlines()[0]
    for heading in ("JRC MSA chain", "ICER national Sankey", "PGA product group analysis Sankey"):
        assert f"=== {heading} (view '" in out


def test_views_of_a_system_without_jrc_codes(declared, capsys):
    """A System whose flows carry no jrc_code: one line saying how to tag them, exit 2."""
    code, out, err = _cli(capsys, "views", str(declared), "--year", "2021")
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith("system 'appliances' has no flow, stock or parameter with a jrc_code")
    assert 'jrc_code = "..."' in line and "model.toml" in line


def test_indicators_of_a_declared_model(declared_tagged, capsys):
    """`msa indicators` builds a declared model too."""
    code, out, err = _cli(capsys, "indicators", str(declared_tagged), "--year", "2021")
    assert code == 0, err
    assert out.startswith("system 'tagged'") and "EoL-RIR" in out


# ----------------------------------------------------------------------------- sankey
@pytest.mark.parametrize("kind", KIND_PARAMS)
def test_sankey_every_kind(request, kind, tmp_path, capsys):
    """`msa sankey --format html` draws the System's own flows for every kind of PATH."""
    out = tmp_path / "figures"
    code, stdout, err = _cli(
        capsys, "sankey", str(_path_of(request, kind)), "--year", "2021", "--format", "html",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert (out / "sankey_jrc_2021.html").is_file()
    assert "1 file(s) in" in stdout


def test_sankey_view_of_a_declared_model(declared_tagged, tmp_path, capsys):
    """--view icer of a declared model whose flows carry JRC codes."""
    out = tmp_path / "figures"
    code, _, err = _cli(
        capsys, "sankey", str(declared_tagged), "--year", "2021", "--view", "icer",
        "--format", "html", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert (out / "sankey_icer_2021.html").is_file()


def test_sankey_view_without_jrc_codes(declared, tmp_path, capsys):
    """--view pga of a System without JRC codes: the one-line hint, no files."""
    out = tmp_path / "figures"
    code, _, err = _cli(
        capsys, "sankey", str(declared), "--year", "2021", "--view", "pga", "--format", "html",
        "--out", str(out),
    )  # fmt: skip
    assert code == 2
    assert "has no flow, stock or parameter with a jrc_code, so view 'pga'" in _one_error_line(err)
    assert not out.exists()


# ----------------------------------------------------------------------------- hints
@pytest.mark.parametrize("command", ["check", "views", "indicators", "sankey"])
def test_hint_folder_of_no_kind(command, tmp_path, capsys):
    """A folder with no model.toml, manifest.json or tables: what it is not, what is expected."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello", encoding="utf-8")
    extra = {"check": [], "indicators": [], "views": ["--year", "2021"]}.get(
        command, ["--year", "2021", "--out", str(tmp_path / "o")]
    )
    code, _, err = _cli(capsys, command, str(folder), *extra)
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith(f"{folder} is not a model folder, a run output or a folder of tables: ")
    assert "model.toml" in line and "manifest.json" in line and "processes.csv" in line


@pytest.mark.chromium
def test_hint_runs_of_several_scenarios(runs, capsys):
    """A folder of several scenario runs without --scenario names them."""
    code, _, err = _cli(capsys, "check", str(runs))
    assert code == 2
    assert (
        _one_error_line(err)
        == f"{runs} holds the runs of scenarios baseline, double; pass --scenario"
    )
    code, _, err = _cli(capsys, "views", str(runs), "--year", "2021", "-s", "high")
    assert code == 2
    assert (
        _one_error_line(err) == f"{runs} holds no run of scenario 'high'; it holds baseline, double"
    )


@pytest.mark.chromium
def test_hint_run_of_another_scenario(runs, capsys):
    """One run folder with another --scenario is refused, not read as if it were that one."""
    code, _, err = _cli(capsys, "check", str(runs / "double"), "-s", "baseline")
    assert code == 2
    assert (
        _one_error_line(err) == f"{runs / 'double'} is the run of scenario 'double', not 'baseline'"
    )


@pytest.mark.chromium
def test_hint_run_without_system_nc(runs, capsys):
    """A run folder that lost its system.nc says so."""
    (runs / "double" / "system.nc").unlink()
    code, _, err = _cli(capsys, "check", str(runs / "double"))
    assert code == 2
    assert "is a run output without system.nc" in _one_error_line(err)


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("netcdf", "a NetCDF file"),
        ("example_tables", "a folder of tables"),
        (None, "an MSA-table model"),
    ],
)
def test_hint_scenario_where_there_are_none(request, fixture, kind, capsys):
    """--scenario on a PATH without scenarios is refused, naming what PATH is."""
    path = request.getfixturevalue(fixture) if fixture else MSA_EXAMPLE
    code, _, err = _cli(capsys, "check", str(path), "--scenario", "high")
    assert code == 2
    assert _one_error_line(err).startswith(
        f"{path} is {kind}, which has no scenarios; drop --scenario"
    )


@pytest.mark.parametrize("model", ["declared", "tiny"])
def test_hint_unknown_scenario(request, model, capsys):
    """An unknown scenario of a model names the model.toml and the known scenarios."""
    folder = request.getfixturevalue(model)
    code, _, err = _cli(capsys, "check", str(folder), "-s", "nope")
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith(f"{folder / 'model.toml'}: unknown scenario 'nope'; known: baseline, ")
    code, _, err = _cli(capsys, "check", str(folder), "-s", "all")
    assert code == 2
    assert "work on one scenario" in _one_error_line(err)


@pytest.mark.chromium
def test_hint_run_needs_a_model_folder(runs, example_tables, tmp_path, capsys):
    """`msa run` on a run output or a folder of tables says it needs a model folder."""
    for path, what in ((runs, "a run output"), (example_tables, "a folder without model.toml")):
        code, _, err = _cli(capsys, "run", str(path), "--out", str(tmp_path / "o"))
        assert code == 2
        line = _one_error_line(err)
        assert line.startswith(f"{path} is not a model folder ({what}): msa run needs a folder")
    assert not (tmp_path / "o").exists()


def test_missing_path_is_one_line(tmp_path, capsys):
    """A PATH that does not exist is the same line for every command."""
    for command, extra in (("check", []), ("views", ["--year", "2021"]), ("indicators", [])):
        code, _, err = _cli(capsys, command, str(tmp_path / "nope"), *extra)
        assert code == 2
        assert _one_error_line(err) == f"{tmp_path / 'nope'}: no such file or folder"
