"""Macro meets product group: product flows as a share of the national flows (msa.jrc_msa.macro)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import msa
from msa.jrc_msa.macro import GROUP_DIM, national_headlines, national_share
from msa.model.outputs import model_result

ROOT = Path(__file__).resolve().parents[1]
EV, PV = ROOT / "models" / "ev_batteries_nl", ROOT / "models" / "pv_panels_nl"
DEMAND = "Battery manufacture => Vehicles in use"
#: CBS (2024) 'Groeiend naar een groene economie?' Figuur 2.1.1: DMI metals 2022 = 30 Mt
#: (src/msa/data/nl_national_headlines.csv, copied from models/nl_national); 2014 and 2020
#: (27 and 29 Mt) from the CBS dossier table 'Directe materiaalinzet ... (excl. gerecycled afval)'.
DMI_METALS_2022 = 30e6


def _flows(values, materials, years=(2022, 2023), units="t") -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        dims=("time", "material"),
        coords={"time": list(years), "material": list(materials)},
        attrs={"units": units},
    )


@pytest.fixture(scope="module")
def ev() -> msa.Built:
    """Build the EV model, baseline, once."""
    return msa.build_model(msa.load_definition(EV), "baseline")


@pytest.fixture(scope="module")
def pv() -> msa.Built:
    """Build the PV model, baseline, once."""
    return msa.build_model(msa.load_definition(PV), "baseline")


def test_hand_computed_share_and_nan_without_national_figure():
    """(2 + 3 + 5) kt of Li, Co, Ni over 30 Mt metals is 1/3000; 2023 has no figure: NaN."""
    flows = _flows(
        [[2.0, 3.0, 5.0, 7.0], [1.0, 1.0, 1.0, 1.0]], ["Li", "Co", "Ni", "Fe"], units="kt"
    )
    out = national_share(
        flows,
        national_headlines("NL.DMI"),
        concordance="ev_battery_material_group",
        materials=["Li", "Co", "Ni"],
    )
    assert out["share"].sel({GROUP_DIM: "metals", "time": 2022}).item() == pytest.approx(
        10_000 / DMI_METALS_2022, rel=1e-12
    )
    assert list(out[GROUP_DIM].values) == ["metals"]
    assert np.isnan(out["share"].sel({GROUP_DIM: "metals", "time": 2023}).item())
    reason = out["reason"].sel({GROUP_DIM: "metals", "time": 2023}).item()
    assert reason == "no national figure of NL.DMI for metals in 2023"
    assert out["reason"].sel({GROUP_DIM: "metals", "time": 2022}).item() == ""
    assert out.attrs["concordance"] == "ev_battery_material_group"
    assert out.attrs["concordance_mapping"] == "Li -> metals; Co -> metals; Ni -> metals"
    assert out.attrs["national_variable"] == "NL.DMI"
    assert out.attrs["national_source"] == "msa/data/nl_national_headlines.csv"


def test_ev_li_co_ni_demand_over_metal_dmi_2022(ev: msa.Built):
    """EV Li + Co + Ni demand 2022 over DMI metals 2022 (30 Mt) is the flows summed by hand."""
    flow = ev.system.flows[DEMAND]
    by_hand = float(flow.sel(time=2022, material=["Li", "Co", "Ni"]).sum()) / DMI_METALS_2022
    out = national_share(
        flow,
        national_headlines("NL.DMI"),
        concordance="ev_battery_material_group",
        materials=["Li", "Co", "Ni"],
    )
    share = out["share"].sel({GROUP_DIM: "metals"})
    assert share.sel(time=2022).item() == pytest.approx(by_hand, rel=1e-12)
    assert 0 < by_hand < 1e-2  # a product group is a small part of the national metal input
    # DMI by group is published for 2014 (27 Mt metals), 2020 (29 Mt) and 2022: nothing filled
    assert [int(t) for t in share["time"][share.notnull()]] == [2014, 2020, 2022]
    for year, metals in ((2014, 27e6), (2020, 29e6)):
        hand = float(flow.sel(time=year, material=["Li", "Co", "Ni"]).sum()) / metals
        assert share.sel(time=year).item() == pytest.approx(hand, rel=1e-12)


def test_waste_share_uses_the_total_concordance(pv: msa.Built):
    """PV waste 2014 over national waste 2014 (59 Mt), every material mapped to the total."""
    flow = pv.system.flows["Use => Discarded"]
    out = national_share(flow, national_headlines("NL.WASTE"), concordance=None)
    assert list(out[GROUP_DIM].values) == ["all materials"]
    by_hand = float(flow.sel(time=2014).sum()) / 59e6
    assert out["share"].sel(time=2014).item() == pytest.approx(by_hand, rel=1e-12)
    assert out.attrs["concordance_mapping"] == "every material -> all materials"


@pytest.mark.parametrize(
    ("concordance", "model"),
    [("ev_battery_material_group", EV), ("pv_panel_material_group", PV)],
)
def test_concordance_covers_every_material_of_the_model(concordance: str, model: Path):
    """The shipped concordance maps every material of the EV or PV model onto a CBS group."""
    mapping = msa.load_concordance(concordance)
    materials = msa.load_definition(model).coords["material"]
    assert set(map(str, materials)) == set(mapping.source_items)
    groups = set(national_headlines("NL.DMI")[GROUP_DIM].values)
    assert set(mapping.target_items) <= groups


def test_concordance_agrees_with_the_models_ew_mfa_categories():
    """Each material's group is the EW-MFA category the model's own indicator declares."""
    names = {"MF.1": "biomass", "MF.2": "metals", "MF.3": "non-metallic minerals"}
    names["MF.4"] = "fossil energy carriers"
    for model, indicator, concordance in (
        (EV, "biobased_secondary_share", "ev_battery_material_group"),
        (PV, "raw_material_use", "pv_panel_material_group"),
    ):
        categories = msa.load_definition(model).outputs.indicators[indicator].categories
        mapping = msa.load_concordance(concordance).mapping
        assert {m: dict(mapping[m]) for m in mapping} == {
            m: {names[c]: 1.0} for m, c in categories.items()
        }


def test_unmapped_material_is_one_error_line():
    """A material the concordance does not map is an error naming it, never dropped."""
    flows = _flows([[1.0, 1.0], [1.0, 1.0]], ["Li", "unobtainium"])
    with pytest.raises(msa.DimensionError, match=r"unmapped material item\(s\) \['unobtainium'\]"):
        national_share(flows, national_headlines("NL.DMI"), concordance="ev_battery_material_group")


def test_bad_concordance_file_is_one_error_line(tmp_path: Path):
    """A concordance CSV with an empty cell is one DataError naming file, row and column."""
    path = tmp_path / "bad.csv"
    path.write_text("material,material_group\nLi,metals\nCo,\n", encoding="utf-8")
    flows = _flows([[1.0, 1.0], [1.0, 1.0]], ["Li", "Co"])
    with pytest.raises(msa.DataError) as err:
        national_share(flows, national_headlines("NL.DMI"), concordance=path)
    assert "\n" not in str(err.value)
    assert re.search(r"bad\.csv: row 3, column 'material_group': empty item", str(err.value))


def test_concordance_onto_another_dim_is_refused():
    """A concordance that does not map onto material_group is refused with what it needs."""
    flows = _flows([[1.0], [1.0]], ["Li"])
    other = msa.Concordance("material", "kind", {"Li": "metal"})
    with pytest.raises(msa.DimensionError, match="must map onto 'material_group'"):
        national_share(flows, national_headlines("NL.DMI"), concordance=other)


def test_non_mass_units_are_refused():
    """Product flows in vehicles (not a mass) are a DataError naming the unit."""
    flows = _flows([[1.0], [1.0]], ["Li"], units="vehicle")
    with pytest.raises(msa.DataError, match="unit 'vehicle' is not a mass unit"):
        national_share(flows, national_headlines("NL.DMI"), concordance="ev_battery_material_group")


def test_national_headlines_errors_name_the_table(tmp_path: Path):
    """An unknown variable and a duplicate row are one line each, naming the table."""
    with pytest.raises(msa.DataError, match=r"variable 'NL.NOPE', region 'NL': no rows"):
        national_headlines("NL.NOPE")
    path = tmp_path / "twice.csv"
    row = "metals,NL,2022,NL.DMI,DMI metals,30,Mt,seen: test\n"
    path.write_text(
        "material,region,year,variable_code,variable_name,value,unit,source\n" + row * 2
    )
    with pytest.raises(msa.DataError, match=r"several rows for \['metals 2022'\]"):
        national_headlines("NL.DMI", path=path)


def test_national_model_table_reads_for_every_year_it_holds():
    """The nl_national model's own headline table (committed version) reads in the same format."""
    text = subprocess.run(
        ["git", "show", "HEAD:models/nl_national/data/nl_national_headlines.csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if text.returncode != 0:
        pytest.skip("not a git checkout")
    path = ROOT / "models" / "nl_national" / "data" / "nl_national_headlines.csv"
    dmi = national_headlines("NL.DMI", path=path)
    assert float(dmi.sel({GROUP_DIM: "metals", "time": 2022})) == DMI_METALS_2022
    assert dmi.attrs["units"] == "t"


def test_ev_and_pv_reports_show_national_shares(ev: msa.Built, pv: msa.Built):
    """Both models write tables/national_shares.csv and a report section with the 2022 share."""
    for built, name, year in (
        (ev, "li_co_ni_demand_of_metal_dmi", 2022),
        (pv, "waste_of_national_waste", 2014),
    ):
        result = model_result(built, figures=False)
        table = result.tables["national_shares"]
        row = table[(table["name"] == name) & (table["year"] == year)]
        assert len(row) == 1 and row["share"].notna().all()
        assert table.loc[table["share"].isna(), "reason"].str.startswith("no national").all()
        text, shown = result.sections["National shares"]
        assert name in shown.index and "concordance" in text


def test_declaration_errors_are_one_line(tmp_path: Path):
    """An unknown national variable in [outputs.national_shares] is one ConfigError line."""
    toml = (PV / "model.toml").read_text(encoding="utf-8")
    bad = toml.replace('national = "NL.WASTE"', 'national = "NL.NOPE"', 1)
    for item in PV.iterdir():
        if item.name != "model.toml":
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / "model.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(msa.ConfigError) as err:
        msa.load_definition(tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert "[outputs.national_shares.waste_of_national_waste]" in message
    assert "'NL.NOPE'" in message
