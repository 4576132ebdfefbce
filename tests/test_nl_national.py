"""Reference tests of models/nl_national against the published CBS/PBL headline figures (2022).

Published values (data/nl_national_headlines.csv): ICER 2025 'Sankey van Nederlandse
Materiaalstromen, 2022' and CBS (2024) 'Groeiend naar een groene economie?' section 2.1,
Figuur 2.1.1, whole billion kg (Mt).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from msa.errors import DataError
from msa.jrc_msa.indicators import (
    direct_material_input,
    domestic_extraction,
    domestic_material_consumption,
    eol_recycling_input_rate,
)
from msa.jrc_msa.template import read_msa_model, read_msa_table
from msa.jrc_msa.views import icer_national, view_balance

MODEL = Path(__file__).resolve().parents[1] / "models" / "nl_national"
MT = 1e6  # tonnes per Mt
HALF = 0.5 * MT  # rounding of one published whole-Mt figure


@pytest.fixture(scope="module")
def built():
    """Return the built NL national model (built once)."""
    return read_msa_model(MODEL)


@pytest.fixture(scope="module")
def headlines() -> pd.DataFrame:
    """Return the published headline figures kept with the model."""
    return pd.read_csv(MODEL / "data" / "nl_national_headlines.csv")


def _published(headlines: pd.DataFrame, code: str, material: str = "all materials") -> float:
    row = headlines[(headlines["variable_code"] == code) & (headlines["material"] == material)]
    row = row[row["year"] == 2022]
    assert len(row) == 1, (code, material)
    return float(row["value"].iloc[0]) * MT


def _at(da) -> float:
    return float(da.sel(time=2022).sum())


def test_inputs_are_the_published_figures(headlines):
    """Every msa.csv value equals its headline figure (CBS/PBL 2022) and cites a source."""
    table = read_msa_table(MODEL / "msa.csv").set_index("code")
    pairs = {
        "B.1.1+B.1.2": "NL.DE",
        "C.1.3+C.1.8+D.1.3+D.1.8+D.1.9+E.1.4": "NL.IMP_USED",
        "C.1.4+F.1.2": "NL.WASTE_IMP_RECYCLED",
        "B.1.3+C.1.2+C.1.6+D.1.2+D.1.6+E.1.3+F.1.1+G.1.3": "NL.EXP",
        "D.1.1": "NL.DMC",
        "N.1": "NL.REEXP",
    }
    for code, headline in pairs.items():
        assert table.at[code, "value"] == _published(headlines, headline), code
    assert set(table["source_id"]) == {"icer2025", "cbs2024"}
    assert set(table["grade"]) == {"A"}


def test_imports_used_plus_reexports_give_total_imports(headlines):
    """Imports used (266) plus re-exports (149) equal total imports (415), ICER 2025."""
    total = _published(headlines, "NL.IMP_USED") + _published(headlines, "NL.REEXP")
    assert total == _published(headlines, "NL.IMP_GOODS_TOTAL")


def test_dmi_reproduces_the_published_figure(built, headlines):
    """DMI = DE + imports (incl. waste imports) = 370 Mt vs published 369 Mt: within rounding."""
    dmi = _at(direct_material_input(built.system))
    # three rounded inputs and one rounded published value: at most 4 x 0.5 Mt apart
    assert abs(dmi - _published(headlines, "NL.DMI")) <= 4 * HALF
    assert dmi == 370 * MT
    assert _at(domestic_extraction(built.system)) == _published(headlines, "NL.DE")


def test_dmc_reproduces_the_published_figure(built, headlines):
    """DMC = DMI - exports = 182 Mt vs published 182 Mt: within rounding."""
    dmc = _at(domestic_material_consumption(built.system))
    assert abs(dmc - _published(headlines, "NL.DMC")) <= 5 * HALF
    assert dmc == 182 * MT


def test_imports_in_dmi_match_the_published_share(built, headlines):
    """Imports in DMI (266 + 16 = 282 Mt) equal the published 282 Mt (76% of DMI)."""
    imports = _at(direct_material_input(built.system)) - _at(domestic_extraction(built.system))
    assert abs(imports - _published(headlines, "NL.IMP_IN_DMI")) <= 3 * HALF


def test_national_view_balance_closes_within_2_mt(built):
    """The node Verwerkte grondstoffen balances within +/- 2 Mt (in 88+266+16, out 188+182)."""
    table = view_balance(icer_national(built.system, year=2022)).set_index("node")
    node = table.loc["Verwerkte grondstoffen"]
    assert node["inflow"] == 370 * MT
    assert abs(node["residual"]) <= 2 * MT


def test_material_types_add_up_to_the_totals(headlines):
    """DMI and DMC of the four material types add up to the totals within rounding."""
    types = ["fossil energy carriers", "biomass", "non-metallic minerals", "metals"]
    for code in ("NL.DMI", "NL.DMC"):
        parts = sum(_published(headlines, code, m) for m in types)
        assert abs(parts - _published(headlines, code)) <= 5 * HALF, code


def test_national_view_flags_what_the_headlines_cannot_place(built):
    """Folded trade is uncertain in the national view; re-exports are a national-only link."""
    view = icer_national(built.system, year=2022)
    links = view.links.set_index(["source", "target"])
    assert links.at[("Import (ex afval)", "Export"), "jrc_codes"] == "N.1"
    assert links.at[("Import (ex afval)", "Export"), "status"] == "in scope"
    assert links.at[("Import (ex afval)", "Verwerkte grondstoffen"), "status"] == "uncertain"
    assert "E.1.6" in view.missing


def test_indicators_needing_absent_flows_say_so(built):
    """EoL-RIR cannot be computed from the headlines: the missing codes are named."""
    with pytest.raises(DataError, match=r"EoL-RIR needs JRC code\(s\) \['G\.1\.1', 'G\.1\.2'\]"):
        eol_recycling_input_rate(built.system)


YEARS = sorted(int(y) for y in set(read_msa_table(MODEL / "msa.csv")["year"]))


@pytest.mark.parametrize("year", YEARS)
def test_every_year_reproduces_its_published_dmi_and_dmc(built, headlines, year):
    """Each year of msa.csv gives DMI and DMC within 1 Mt of the published figures (issue 14).

    Published: CBS (2024) Figuur 2.1.1 (2022); a year enters msa.csv only with both published.
    """
    published = headlines[(headlines["material"] == "all materials") & (headlines["year"] == year)]
    by_code = published.set_index("variable_code")["value"].astype(float) * MT
    dmi = float(direct_material_input(built.system).sel(time=year).sum())
    dmc = float(domestic_material_consumption(built.system).sel(time=year).sum())
    assert abs(dmi - by_code["NL.DMI"]) <= 1 * MT
    assert abs(dmc - by_code["NL.DMC"]) <= 1 * MT


def test_trend_table_has_every_year_and_leaves_unpublished_flows_empty(built):
    """model.py's trend table: one row per year, the drawn ICER flows, DMI/DMC; gaps stay empty."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nl_national_model", MODEL / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.trend(built).set_index("year")
    assert list(table.index) == YEARS
    row = table.loc[2022]
    assert (row["domestic extraction"], row["re-exports"], row["DMC"]) == (88.0, 149.0, 182.0)
    assert row["DMI"] == 370.0 and row["units"] == "Mt"
    # short-cycle products, waste and recycling are not published for 2022: empty, not 0
    assert row[["short-cycle products", "waste", "recycling"]].isna().all()
