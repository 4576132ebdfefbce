"""`msa run --samples N --seed S`: the uncertainty outputs, reproducibility and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from msa.cli import main
from msa.model.montecarlo import UNCERTAINTY_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
EV = ROOT / "models" / "ev_batteries_nl"
NL = ROOT / "models" / "nl_national"


@pytest.fixture
def tiny(tiny_model: Callable[..., Path], image_server: None) -> Path:
    return tiny_model()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.chromium
def test_a_monte_carlo_run_writes_its_ranges(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out), "--samples", "25", "--seed", "4"]) == 0
    table = pd.read_csv(out / "uncertainty.csv")
    assert list(table.columns) == list(UNCERTAINTY_COLUMNS)
    assert (table["n"] == 25).all()
    targets = pd.read_csv(out / "indicators.csv")
    assert {"p_met", "p5", "p50", "p95"} <= set(targets.columns)
    assert targets["p_met"].between(0, 1).all()
    draws = pd.read_csv(out / "tables" / "uncertainty_draws.csv")
    assert len(draws) == 25 and "factor" in draws.columns
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["monte_carlo"] == {"samples": 25, "seed": 4}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "P(met)" in report and "Monte Carlo: 25 samples, seed 4" in report
    headline = pd.read_csv(out / "headline.csv", index_col=0)
    assert {"p5", "p50", "p95"} <= set(headline.columns)
    assert "samples" in capsys.readouterr().err  # the progress names the step


@pytest.mark.chromium
def test_same_seed_gives_byte_identical_uncertainty(tiny: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        args = ["run", str(tiny), "--out", str(tmp_path / name), "--samples", "15", "--seed", "1"]
        assert main([*args, "--quiet"]) == 0
    a = (tmp_path / "a" / "uncertainty.csv").read_bytes()
    assert a == (tmp_path / "b" / "uncertainty.csv").read_bytes()
    args = ["run", str(tiny), "--out", str(tmp_path / "c"), "--samples", "15", "--seed", "2"]
    assert main([*args, "--quiet"]) == 0
    assert a != (tmp_path / "c" / "uncertainty.csv").read_bytes()


@pytest.mark.chromium
@pytest.mark.xdist_group("ev_model")
def test_ev_monte_carlo_is_reproducible(tmp_path: Path, image_server: None) -> None:
    """The EV model (model.py functions, three stocks, 38 targets): same seed, same file."""
    for name in ("a", "b"):
        out = tmp_path / name
        args = ["run", str(EV), "--out", str(out), "--samples", "20", "--seed", "1", "-q"]
        assert main(args) == 0
    a, b = (pd.read_csv(tmp_path / n / "uncertainty.csv") for n in ("a", "b"))
    assert (tmp_path / "a" / "uncertainty.csv").read_bytes() == (
        tmp_path / "b" / "uncertainty.csv"
    ).read_bytes()
    stock = a[(a["quantity"] == "stock Vehicles in use") & (a["material"] == "Li")]
    assert (stock["p5"] <= stock["p95"]).all() and (stock["p95"] > stock["p5"]).any()
    assert not b.empty


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--samples", "0"], "samples must be a whole number >= 1 (got 0)"),
        (["--samples", "-5"], "samples must be a whole number >= 1 (got -5)"),
        (["--samples", "10", "--seed", "-1"], "seed must be a whole number >= 0 (got -1)"),
        (["--seed", "3"], "--seed needs --samples"),
    ],
)
def test_bad_sampling_is_refused_before_anything(
    tiny_model: Callable[..., Path], tmp_path: Path, capsys, extra: list[str], message: str
) -> None:
    model = tiny_model()
    before = _snapshot(model)
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["run", str(model), "--out", str(out), *extra]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("msa: error: ") and message in lines[0]
    assert not out.exists() and _snapshot(model) == before


def test_an_msa_table_model_has_nothing_to_draw(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["run", str(NL), "--out", str(out), "--samples", "5"]) == 2
    err = capsys.readouterr().err
    assert "an MSA-table model ([msa]) has no parameters or tables to draw" in err
    assert not out.exists()


@pytest.mark.chromium
def test_sensitivity_from_the_command_line(tiny: Path, tmp_path: Path) -> None:
    """--sensitivity ranks the inputs of a result: a table, a tornado figure, a report note."""
    out = tmp_path / "out"
    args = ["run", str(tiny), "--out", str(out), "--samples", "40", "--seed", "2", "-q"]
    assert main([*args, "--sensitivity", "Collection => Recycling@2021"]) == 0
    table = pd.read_csv(out / "tables" / "sensitivity.csv", keep_default_na=False)
    asked = table[table["quantity"] == "Collection => Recycling"]
    assert asked.iloc[0]["input"] == "table collected"  # the flow is collected * factor
    assert set(table.loc[table["target_id"] == "t1", "material"]) == {"all"}
    assert (out / "figures" / "sensitivity_1.svg").is_file()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Collection => Recycling (all, 2021): collect first" in report


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sensitivity", "stock Use"], "--sensitivity needs --samples"),
        (["--samples", "5", "--sensitivity", "stock Nope"], "'stock Nope' is not an indicator"),
        (["--samples", "5", "--sensitivity", "Collection => Recycling@1990"], "outside"),
    ],
)
def test_bad_sensitivity_is_refused_before_anything(
    tiny_model: Callable[..., Path], tmp_path: Path, capsys, extra: list[str], message: str
) -> None:
    model = tiny_model()
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["run", str(model), "--out", str(out), *extra]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not out.exists()
