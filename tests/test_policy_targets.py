"""Tests of the shipped policy targets: the table, relative targets, model declarations, report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

import msa
from msa.jrc_msa.policy_indicators import (
    biobased_secondary_share,
    dmi_excluding_energy_carriers,
    ew_mfa_categories,
)
from msa.model.build import build_model
from msa.model.montecarlo import monte_carlo
from msa.model.outputs import model_result, not_computable_targets
from msa.model.report import (
    evaluate_target,
    evaluate_targets,
    not_computable_note,
    policy_targets,
    report_html,
    report_markdown,
)

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_table_has_every_policy_with_sources() -> None:
    """Every row has a unique id, a source, a grade; NPCE DMI is relative to 2016."""
    table = policy_targets()
    assert table["target_id"].is_unique
    assert set(table["policy"]) == {"NPCE 2025", "CRMA", "NMO", "Battery Regulation"}
    assert (table["source"] != "").all() and table["grade"].isin(list("ABCD")).all()
    assert set(table["kind"]) == {"absolute", "relative"}
    relative = table[table["kind"] == "relative"]
    assert relative["base_year"].notna().all()
    assert table.loc[table["kind"] == "absolute", "base_year"].isna().all()
    dmi = table.set_index("target_id").loc["npce_dmi_2035"]
    assert (int(dmi["base_year"]), dmi["comparison"], dmi["value"]) == (2016, "<=", 0.85)
    crma = table[table["policy"] == "CRMA"]
    assert len(crma) == 4 and (crma["material"] == "*").all()
    with pytest.raises(msa.ConfigError, match="unknown policy 'NPCE'"):
        policy_targets("NPCE")


def test_relative_target_by_hand() -> None:
    """A relative target compares value(year) / value(base year): 0.8 <= 0.85 in 2035."""
    use = pd.Series([200.0, 190.0, 170.0, 160.0], index=[2016, 2025, 2030, 2035])
    r = evaluate_target(use, comparison="<=", target=0.85, year=2035, base_year=2016)
    assert r["value"] == pytest.approx(160.0 / 200.0)
    assert r["met"] and r["margin"] == pytest.approx(0.85 - 0.8)
    assert r["first_met"] == 2030  # 170 / 200 = 0.85 meets it (equal counts)
    missed = evaluate_target(use, comparison="<=", target=0.75, year=2035, base_year=2016)
    assert not missed["met"] and missed["margin"] == pytest.approx(-0.05)
    assert missed["first_met"] is None
    with pytest.raises(msa.DataError, match="base year 2010 is outside"):
        evaluate_target(use, comparison="<=", target=0.85, year=2035, base_year=2010)


def test_evaluate_targets_takes_a_base_year_column() -> None:
    """A targets table with base_year evaluates that row relatively and reports the base."""
    targets = pd.DataFrame(
        {
            "target_id": ["rel", "abs"],
            "policy": ["NPCE 2025", "NPCE 2025"],
            "indicator": ["use", "use"],
            "material": ["all", "all"],
            "year": [2035, 2035],
            "base_year": [2016, None],
            "comparison": ["<=", "<="],
            "value": [0.85, 150.0],
        }
    )
    series = {("use", "all"): pd.Series([200.0, 160.0], index=[2016, 2035])}
    res = evaluate_targets(targets, series).set_index("target_id")
    assert res.loc["rel", "value"] == pytest.approx(0.8) and res.loc["rel", "base_year"] == 2016
    assert res.loc["abs", "value"] == 160.0 and pd.isna(res.loc["abs", "base_year"])
    md = report_markdown(res.reset_index(), title="T")
    assert "| <= 0.85 of 2016 | 0.8 | **met** |" in md


def _with(tiny: Path, outputs: str, targets: str | None = None) -> Path:
    """Add lines to the tiny model's [outputs] (and replace its targets table)."""
    toml = tiny / "model.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('report_figures = ["flows"]\n', f'report_figures = ["flows"]\n{outputs}')
    toml.write_text(text, encoding="utf-8")
    if targets is not None:
        (tiny / "data" / "targets.csv").write_text(targets, encoding="utf-8")
    return tiny


RELATIVE = (
    "target_id,policy,indicator,material,year,base_year,comparison,value\n"
    "t1,P,recycled_per_import,all,2021,,>=,3.0\n"
    "rel,P,recycled_per_import,all,2022,2020,>=,2.5\n"
)


def test_model_relative_target_and_monte_carlo(tiny_model: Callable[..., Path]) -> None:
    """A model's relative target: 3 / 1 >= 2.5 in 2022; the Monte Carlo gives it a P(met)."""
    model = _with(tiny_model(), "", RELATIVE)
    d = msa.load_definition(model)
    result = model_result(build_model(d), figures=False)
    res = result.indicators.set_index("target_id")
    assert res.loc["rel", "indicator"] == "recycled_per_import_vs_2020"
    assert res.loc["rel", "base_year"] == 2020
    assert res.loc["rel", "value"] == pytest.approx(3.0)  # (3 * 1 / 1) / (1 * 1 / 1)
    assert res.loc["rel", "met"] and res.loc["rel", "margin"] == pytest.approx(0.5)
    assert res.loc["rel", "first_met"] == 2022
    series = result.tables["indicator_series"]
    assert "recycled_per_import_vs_2020" in set(series["indicator"])
    mc = monte_carlo(d, samples=16, seed=3).targets.set_index("target_id")
    assert mc.loc["rel", "p_met"] == pytest.approx(1.0)  # factor and import cancel in the ratio
    assert mc.loc["rel", "p50"] == pytest.approx(3.0)
    assert 0.0 <= mc.loc["t1", "p_met"] <= 1.0


POLICY = """policies = ["CRMA"]

[outputs.policy_targets]
crma_recycling_2030 = ["recycled_per_import"]
npce_recycling_2035 = { needs = "all NL waste" }
"""


def test_policy_declaration_errors_one_line_per_bad_key(tiny_model: Callable[..., Path]) -> None:
    """Unknown policy, unknown target, undeclared indicator, missing label: one line each."""
    bad = """policies = ["CRMA", "EU Taxonomy"]

[outputs.policy_targets]
nope_2030 = "recycled_per_import"
crma_recycling_2030 = "not_an_indicator"
npce_recycling_2035 = "recycled_per_import:Li"
"""
    model = _with(tiny_model(), bad)
    with pytest.raises(msa.ConfigError) as err:
        msa.load_definition(model)
    lines = str(err.value).splitlines()
    assert len(lines) == 4, lines
    for expected in (
        "[outputs] policies: unknown policy 'EU Taxonomy'",
        "[outputs.policy_targets] nope_2030: no shipped target has this id",
        "crma_recycling_2030: 'not_an_indicator' is not declared in [outputs.indicators]",
        "npce_recycling_2035: 'recycled_per_import' has no label 'Li'",
    ):
        assert sum(expected in line for line in lines) == 1, expected


def test_per_material_target_needs_labels(tiny_model: Callable[..., Path]) -> None:
    """A target per strategic raw material answered without labels is refused at load."""
    model = _with(tiny_model(), POLICY.replace('["recycled_per_import"]', '"recycled_per_import"'))
    with pytest.raises(msa.ConfigError, match="holds for each strategic raw material"):
        msa.load_definition(model)


def test_not_computable_targets_are_listed(tiny_model: Callable[..., Path]) -> None:
    """Declared shipped targets a model does not answer are listed with what they need."""
    text = POLICY.replace('crma_recycling_2030 = ["recycled_per_import"]\n', "")
    model = _with(tiny_model(), text)
    built = build_model(msa.load_definition(model))
    lacking = not_computable_targets(built).set_index("target_id")
    assert list(lacking.index) == [  # in the shipped table's order
        "npce_recycling_2035",
        "crma_extraction_2030",
        "crma_processing_2030",
        "crma_recycling_2030",
        "crma_single_country_2030",
    ]
    assert lacking.loc["npce_recycling_2035", "needs"] == "all NL waste"
    assert lacking.loc["crma_recycling_2030", "needs"].startswith("EU recycling capacity")
    result = model_result(built, figures=False)
    assert list(result.indicators["target_id"]) == ["t1"]
    assert len(result.tables["targets_not_computable"]) == 5
    md = report_markdown(result.indicators, title="T", notes=result.notes)
    assert md.count("not computable: needs") == 5
    assert "- npce_recycling_2035 (share of waste recycled, 2035, >= 0.82): not computable: " in md


def test_report_groups_by_policy_with_not_computable_lines() -> None:
    """The report has a section per policy and lists the targets a model cannot compute."""
    targets = pd.DataFrame(
        {
            "target_id": ["a", "b"],
            "policy": ["CRMA", "Battery Regulation"],
            "indicator": ["share", "share"],
            "material": ["Li", "Li"],
            "year": [2030, 2030],
            "comparison": [">=", ">="],
            "value": [0.25, 0.5],
        }
    )
    res = evaluate_targets(targets, {("share", "Li"): pd.Series([0.3], index=[2030])})
    res["p_met"], res["p5"], res["p95"] = [0.9, 0.1], [0.2, 0.2], [0.4, 0.4]
    row = policy_targets().set_index("target_id").loc["crma_extraction_2030"]
    note = not_computable_note({**row.to_dict(), "target_id": "crma_extraction_2030"}, "X")
    md = report_markdown(res, title="T", notes=[note, "A plain note."])
    assert "1 of 2 targets met in their target year. 1 declared target(s) not computable" in md
    crma = md.index("## CRMA")
    assert crma < md.index("- crma_extraction_2030") < md.index("## Battery Regulation")
    assert "not computable: needs X" in md and "| P(met) |" in md and "A plain note." in md
    page = report_html(res, title="T", notes=[note])
    assert "<h2>CRMA</h2>" in page and "not computable: needs X" in page


def test_energy_carriers_and_biobased_share_by_hand() -> None:
    """DMI without MF.4 and wood fuel; (biobased + secondary) / (primary + secondary)."""
    dmi = xr.DataArray(
        [40.0, 30.0, 20.0, 10.0],
        dims="material",
        coords={"material": ["ore", "oil", "wood", "fuelwood"]},
    )
    kinds = {"ore": "MF.2", "oil": "MF.4", "wood": "MF.1.3.1", "fuelwood": "MF.1.3.2"}
    assert float(dmi_excluding_energy_carriers(dmi, kinds)) == 60.0
    share = biobased_secondary_share(dmi, xr.DataArray(25.0), kinds)
    assert float(share) == pytest.approx((20.0 + 10.0 + 25.0) / 125.0)
    with pytest.raises(msa.DataError, match=r"none given for \['fuelwood'\]"):
        dmi_excluding_energy_carriers(dmi, {k: v for k, v in kinds.items() if k != "fuelwood"})
    assert ew_mfa_categories().loc["MF.1", "biobased"]


@pytest.mark.parametrize("name", ["ev_batteries_nl", "pv_panels_nl"])
def test_models_declare_every_policy(name: str) -> None:
    """EV and PV: NPCE, CRMA (all four) and NMO are each judged or listed as not computable."""
    d = msa.load_definition(ROOT / "models" / name)
    built = build_model(d)
    result = model_result(built, figures=False)
    judged = {str(t).split(":")[0] for t in result.indicators["target_id"]}
    lacking = set(not_computable_targets(built)["target_id"])
    crma = {"crma_extraction_2030", "crma_processing_2030", "crma_recycling_2030"}
    crma.add("crma_single_country_2030")
    npce = set(policy_targets("NPCE 2025")["target_id"])
    assert crma | npce | {"nmo_brics"} <= judged | lacking
    assert not judged & lacking
    assert "crma_recycling_2030" in judged and "npce_recycling_2035" in judged
    if name == "pv_panels_nl":
        row = result.indicators.set_index("target_id").loc["npce_dmi_2035"]
        assert row["indicator"] == "raw_material_use_vs_2016" and row["base_year"] == 2016
        series = result.tables["indicator_series"].set_index(["indicator", "time"])["value"]
        by_hand = series[("raw_material_use", 2035)] / series[("raw_material_use", 2016)]
        assert row["value"] == pytest.approx(by_hand)
    else:
        assert {"br_recycled_content_li_2036", "nmo_brics:P"} <= set(result.indicators["target_id"])
