"""[outputs.effects]: a model's CO2-eq per year, in its tables and report, from sourced factors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.model.outputs import model_result
from msa.model.report import report_markdown

ROOT = Path(__file__).resolve().parents[1]
PV = ROOT / "models" / "pv_panels_nl"


def _pv(tmp_path: Path, block: str | None = None) -> Path:
    """Return a copy of the PV model, with its effects block replaced by ``block`` if given."""
    model = tmp_path / "pv"
    shutil.copytree(PV, model)
    if block is not None:
        toml = model / "model.toml"
        text = toml.read_text(encoding="utf-8")
        if "[outputs.effects]" in text:
            head, _, tail = text.partition("[outputs.effects]")
            rest = tail.split("\n[", 1)
            text = head + ("\n[" + rest[1] if len(rest) > 1 else "")
        toml.write_text(text + "\n" + block, encoding="utf-8")
    return model


BLOCK = """[outputs.effects]
flows = ["Imports => Market"]
materials = { aluminium = "Al", copper = "Cu", silicon = "Si", silver = "Ag" }
select = { aluminium = { indicator = "GHG" }, copper = { indicator = "GHG" } }
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):
    model = _pv(tmp_path_factory.mktemp("effects"), BLOCK)
    built = msa.build_model(msa.load_definition(model))
    return built, model_result(built, figures=False)


def test_one_value_by_hand(result) -> None:
    """Glass in imported panels, 2030: its mass in t times 1.03 kg CO2-eq/kg (AGC EPD)."""
    built, res = result
    glass = float(built.system.flows["Imports => Market"].sel(time=2030, material="glass").sum())
    rows = res.tables["effects"]
    row = rows[(rows["material"] == "glass") & (rows["time"] == 2030)]
    assert float(row["effect"].iloc[0]) == pytest.approx(glass * 1.03, rel=1e-12)
    assert set(rows["units"]) == {"t CO2-eq"}


def test_totals_coverage_and_sources(result) -> None:
    _, res = result
    by_year = res.tables["effects_by_year"].set_index("year")
    effects = res.tables["effects"]
    for year in (2030, 2050):
        cells = effects[effects["time"] == year]
        assert by_year.loc[year, "total"] == pytest.approx(cells["effect"].sum())  # NaN skipped
        assessed = cells.loc[cells["effect"].notna(), "mass"].sum()
        assert by_year.loc[year, "coverage"] == pytest.approx(assessed / cells["mass"].sum())
    factors = res.tables["effect_factors"]
    used = factors[factors["missing"].astype(str) == ""]
    assert (used["factor_source"] != "").all() and (used["factor_source_id"] != "").all()
    assert set(factors.loc[factors["missing"].astype(str) != "", "material"]) >= {"silicon"}


def test_the_report_shows_the_effects_and_what_is_not_assessed(result) -> None:
    _, res = result
    md = report_markdown(res.indicators, title="pv", sections=res.sections)
    assert "## Environmental effects" in md
    assert "Not assessed:" in md and "silicon" in md and "t CO2-eq" in md


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('[outputs.effects]\nflows = ["Nowhere => Market"]\n', "'Nowhere => Market' is not a flow"),
        ("[outputs.effects]\nindicators = []\n", "give flows or supplied_by"),
        (
            '[outputs.effects]\nflows = ["Imports => Market"]\nfactors = "data/none.csv"\n',
            "'data/none.csv' not found",
        ),
    ],
)
def test_a_bad_effects_block_is_one_line(tmp_path: Path, block: str, message: str) -> None:
    with pytest.raises(msa.ConfigError, match=message) as caught:
        msa.load_definition(_pv(tmp_path, block))
    assert "\n" not in str(caught.value)


def test_a_models_own_factor_table(tmp_path: Path) -> None:
    """A user's own factors plug in the same way (here: glass only, so the rest is not assessed)."""
    model = _pv(
        tmp_path, '[outputs.effects]\nflows = ["Imports => Market"]\nfactors = "data/f.csv"\n'
    )
    (model / "data" / "f.csv").write_text(
        "material,form,indicator,value,unit,source_id,grade,status\n"
        "glass,float glass,GWP100,2.0,kg CO2-eq/kg,own_lca,C,seen_in_source\n",
        encoding="utf-8",
    )
    built = msa.build_model(msa.load_definition(model))
    res = model_result(built, figures=False)
    rows = res.tables["effects"]
    glass = rows[(rows["material"] == "glass") & (rows["time"] == 2030)]
    mass = float(built.system.flows["Imports => Market"].sel(time=2030, material="glass").sum())
    assert float(glass["effect"].iloc[0]) == pytest.approx(2.0 * mass)
    assert rows.loc[rows["material"] == "aluminium", "effect"].isna().all()
    assert isinstance(res.tables["effect_factors"], pd.DataFrame)
