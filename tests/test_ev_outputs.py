"""The README's main job: `msa run models/ev_batteries_nl --out DIR --force` writes every output.

One baseline run through the CLI for this module (a module-scoped fixture, ~20 s with images),
checked against the outputs its README promises: NetCDF, CSV tables, urban mine by material,
chemistry and cohort, demand and secondary supply by material, PGA Sankeys 2024/2030/2040/2050
at one fixed scale (HTML, PNG, SVG), time-series plots, and the indicator report (Markdown and
self-contained HTML) with met / margin / first year met for every policy target, plus the data
quality summary.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.cli import main

EV = Path(__file__).resolve().parents[1] / "models" / "ev_batteries_nl"
SANKEY_YEARS = (2024, 2030, 2040, 2050)
PLOTS = ("stock_by_material", "inflow_outflow", "secondary_vs_demand")
TABLES = {
    "flows_by_material": {"flow", "time", "material", "value", "jrc_code"},
    "demand_and_secondary_supply": {"time", "material", "demand", "secondary_total"},
    "urban_mine_by_chemistry": {"chemistry", "material", "time", "in_use", "second_life"},
    "urban_mine_by_cohort": {"time", "cohort", "chemistry", "material", "in_use_stock"},
    "fleet": {"time", "vehicle", "vehicles_in_use"},
    "indicator_series": {"indicator", "material", "time", "value"},
    "supply_concentration": {"material", "largest_country_share", "brics_share"},
    "pga_links": {"year", "source", "target", "value"},
    "pga_out_of_scope": {"code", "year", "value"},
}
#: The targets the report must state (ids of msa's shipped policy targets, per material).
TARGETS = (
    ["br_recycling_efficiency_li_2025", "br_recycling_efficiency_li_2030"]
    + [f"br_material_recovery_{m}_{y}" for m in ("co", "cu", "ni", "li") for y in (2027, 2031)]
    + [f"br_recycled_content_{m}_{y}" for m in ("co", "li", "ni") for y in (2031, 2036)]
    + [f"crma_recycling_2030:{m}" for m in ("Li", "Co", "Ni")]
    + [f"crma_single_country_2030:{m}" for m in ("Li", "Co", "Ni", "graphite")]
    + [f"nmo_brics:{m}" for m in ("Li", "Co", "Ni", "graphite")]
    + ["npce_recycling_2035"]
)

pytestmark = [pytest.mark.slow, pytest.mark.chromium, pytest.mark.xdist_group("ev_run")]


@pytest.fixture(scope="module")
def ev_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the README's main command once (baseline, all outputs) and return its folder."""
    from msa.figures.export import find_browser

    if find_browser() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing on CI: install it with `apt-get install chromium`")
        pytest.skip("no chromium for static images (apt-get install chromium)")
    out = tmp_path_factory.mktemp("ev_main") / "ev"
    out.mkdir()
    (out / "report.md").write_text("an earlier run", encoding="utf-8")
    (out / "manifest.json").write_text('{"msa_version": "0", "scenario": "old", "inputs": {}}')
    assert main(["run", str(EV), "--out", str(out), "--force"]) == 0
    return out


def test_force_replaces_the_earlier_output(ev_out: Path) -> None:
    """--force replaces a non-empty output folder atomically: nothing of the old one is left."""
    assert "an earlier run" not in (ev_out / "report.md").read_text(encoding="utf-8")
    assert not [p for p in ev_out.parent.iterdir() if p.name.startswith(".")]


def test_sankeys_at_one_fixed_scale_as_html_png_svg(ev_out: Path) -> None:
    """PGA Sankeys of 2024, 2030, 2040 and 2050 exist in three formats and share one scale."""
    scales = set()
    for year in SANKEY_YEARS:
        for ext in ("html", "png", "svg"):
            path = ev_out / "figures" / f"sankey_pga_{year}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path.name
        svg = (ev_out / "figures" / f"sankey_pga_{year}.svg").read_text(encoding="utf-8")
        found = re.findall(r"scale: ([\d,.]+ t per px)", svg)
        assert found, f"no scale note in the {year} Sankey"
        scales.add(found[0])
    assert len(scales) == 1, scales


def test_time_series_plots(ev_out: Path) -> None:
    """The three plots print at 300 dpi, 16 cm wide, with units on axis and legend (SVG)."""
    import struct

    units = {
        "stock_by_material": "Urban mine (kt)",
        "inflow_outflow": "Battery mass (kt/yr)",
        "secondary_vs_demand": "Material flow (t/yr)",
    }
    for name in PLOTS:
        png = (ev_out / "figures" / f"{name}.png").read_bytes()
        width = struct.unpack(">I", png[16:20])[0]
        at = png.find(b"pHYs")
        assert width == 1890 and at > 0, name  # 16 cm at 300 dpi
        assert struct.unpack(">I", png[at + 4 : at + 8])[0] == round(300 / 0.0254), name
        svg = (ev_out / "figures" / f"{name}.svg").read_text(encoding="utf-8")
        assert units[name] in svg and "DejaVu Sans" in svg, name
    md = (ev_out / "report.md").read_text(encoding="utf-8")
    assert "![secondary_vs_demand](figures/secondary_vs_demand.png)" in md


def test_csv_tables_by_material_chemistry_and_cohort(ev_out: Path) -> None:
    """Every CSV table exists with its columns; the urban mine covers materials and cohorts."""
    for name, columns in TABLES.items():
        frame = pd.read_csv(ev_out / "tables" / f"{name}.csv")
        assert columns <= set(frame.columns), name
        assert len(frame) > 0, name
    mine = pd.read_csv(ev_out / "tables" / "urban_mine_by_chemistry.csv")
    assert set(mine["material"]) == {"Li", "Ni", "Co", "Mn", "graphite", "Al", "Cu", "Fe", "P"} | {
        "other"
    }
    cohorts = pd.read_csv(ev_out / "tables" / "urban_mine_by_cohort.csv")
    assert set(cohorts["time"]) == set(SANKEY_YEARS)
    assert cohorts["cohort"].min() == 2010
    demand = pd.read_csv(ev_out / "tables" / "demand_and_secondary_supply.csv")
    assert (demand["secondary_total"] <= demand["demand"] * 10).all()


def test_indicator_report_states_met_margin_and_first_year(ev_out: Path) -> None:
    """indicators.csv, report.md and report.html state every issue-6 target with its verdict."""
    indicators = pd.read_csv(ev_out / "indicators.csv").set_index("target_id")
    assert set(TARGETS) <= set(indicators.index)
    assert {"met", "margin", "first_met", "value", "target"} <= set(indicators.columns)
    assert indicators.loc[TARGETS, ["value", "margin"]].notna().all().all()
    md = (ev_out / "report.md").read_text(encoding="utf-8")
    html = (ev_out / "report.html").read_text(encoding="utf-8")
    assert "| met | margin | first met |" in md
    for text in (md, html):
        for phrase in (
            "recycling efficiency",
            "material recovery",
            "recycled content",
            "secondary supply share",
            "largest country share",
            "brics share",
            "not met",
            "Data quality",
        ):
            assert phrase in text, phrase
    assert md.count("| Battery Regulation | recycled content |") == 6


def test_report_html_is_self_contained(ev_out: Path) -> None:
    """report.html embeds its images and loads nothing from elsewhere."""
    html = (ev_out / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert sources and all(s.startswith("data:") for s in sources), sources[:3]
    assert html.count('src="data:image/png;base64,') >= 4


def test_system_quality_and_manifest(ev_out: Path) -> None:
    """system.nc reloads balanced with cohorts; quality.csv and manifest.json are complete."""
    system = msa.read_system(ev_out / "system.nc")
    msa.check_balance(system)
    assert "stock_by_cohort" in system.stocks["Vehicles in use"]
    quality = pd.read_csv(ev_out / "quality.csv", index_col=0)
    assert quality.loc["all inputs", ["A", "B", "C", "D"]].sum() == pytest.approx(1, abs=1e-3)
    manifest = json.loads((ev_out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == "baseline"
    assert manifest["parameters"]["used_import_age"] == 3
    headline = pd.read_csv(ev_out / "headline.csv", index_col=0)
    assert headline.loc["BEV in use end 2023", "value"] == pytest.approx(462_307, rel=0.05)
