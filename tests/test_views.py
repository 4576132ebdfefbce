"""Tests of msa.views (JRC, ICER national, PGA) and the `msa views` / `msa indicators` commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.cli import main
from msa.errors import ConfigError, DataError
from msa.jrc_msa import (
    SCOPE_NODE,
    STATUSES,
    VIEWS,
    ViewMapping,
    icer_national,
    jrc,
    load_mapping,
    pga,
    scope_gaps,
    view_balance,
)
from msa.jrc_msa.template import jrc_codes, read_msa_model, reference_table, variables_from_table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "models" / "msa_example"


@pytest.fixture(scope="module")
def example():
    """Return the built illustrative example system (built once)."""
    return read_msa_model(EXAMPLE).system


def _variables(values: dict[str, float], year: int = 2020) -> xr.DataArray:
    """Return variables (code, time) from a {code: value} dict."""
    frame = pd.DataFrame(
        [
            {"material": "Li", "region": "EU", "year": year, "code": c, "value": v, "units": "t"}
            for c, v in values.items()
        ]
    ).assign(source_id="", grade="")
    return variables_from_table(frame)


# ----------------------------------------------------------------------------- mappings
@pytest.mark.parametrize("view", VIEWS)
def test_every_variable_is_mapped_in_every_view(view):
    """Each of the 43 JRC variables (and N.1-N.3) has exactly one mapping with a known status."""
    table = load_mapping(view).table
    assert sorted(table["code"]) == sorted(jrc_codes("all"))
    assert set(table["status"]) <= set(STATUSES)
    assert len(table[table["code"].isin(jrc_codes())]) == 43


@pytest.mark.parametrize(
    ("view", "column"), [("icer_national", "national_text"), ("pga", "pga_text")]
)
def test_mapping_follows_the_agreed_text(view, column):
    """'?' in the agreed text is uncertain; 'buiten scope' alone is out of scope."""
    text = reference_table("jrc_variables").set_index("code")[column]
    mapping = load_mapping(view).table.set_index("code")
    for code in jrc_codes():
        status = mapping.at[code, "status"]
        if "?" in text[code] or " / " in text[code]:
            assert status == "uncertain", code
        elif text[code] == "(buiten scope)":
            assert status == "out of scope", code
        elif text[code].startswith("(binnen"):
            assert status == "inside a node", code
        else:
            assert status in ("in scope", "inside a node", "uncertain"), code


def test_mapping_validation_names_the_problem():
    """A mapping missing a code, or using an unknown node, is refused."""
    good = load_mapping("pga")
    with pytest.raises(ConfigError, match=r"code\(s\) \['A\.1\.1'\] not mapped"):
        ViewMapping("x", good.table.iloc[1:], good.nodes)
    bad = good.table.copy()
    bad.loc[bad["code"] == "B.1.1", "target"] = "Nowhere"
    with pytest.raises(ConfigError, match="node 'Nowhere', not in the view's nodes"):
        ViewMapping("x", bad, good.nodes)
    with pytest.raises(ConfigError, match="unknown view 'sankey'"):
        load_mapping("sankey")


# ----------------------------------------------------------------------------- views
def test_uncertain_mappings_are_flagged_in_the_output():
    """C.1.6 (national '?') appears as an uncertain link and in the uncertain table."""
    view = icer_national(_variables({"C.1.6": 7.0, "C.1.2": 3.0}))
    links = view.links.set_index("jrc_codes")
    assert links.at["C.1.6", "status"] == "uncertain"
    assert links.at["C.1.2", "status"] == "in scope"
    assert list(view.uncertain["code"]) == ["C.1.6"]
    assert "not settled" in view.uncertain["note"].iloc[0]


def test_uncertain_without_link_stays_in_the_uncertain_table():
    """D.1.5 (out of scope or inside a node) is never drawn, only listed as uncertain."""
    view = icer_national(_variables({"D.1.5": 4.0}))
    assert view.links.empty
    row = view.uncertain.iloc[0]
    assert (row["code"], row["node"], row["value"]) == ("D.1.5", "Verwerkte grondstoffen", 4.0)


def test_out_of_scope_table_lists_quantities_per_year():
    """Out-of-scope variables are listed with their quantity for each year."""
    v = xr.concat(
        [
            _variables({"B.1.4": 2.0, "F.1.4": 1.0}, 2020),
            _variables({"B.1.4": 3.0, "F.1.4": 1.0}, 2021),
        ],
        dim="time",
    )
    out = icer_national(v).out_of_scope
    assert out[["code", "year", "value"]].values.tolist() == [
        ["B.1.4", 2020, 2.0],
        ["B.1.4", 2021, 3.0],
    ]


def test_links_sum_the_codes_of_a_node_pair(example):
    """The national import link is the sum of the codes mapped to it."""
    view = icer_national(example, year=2022)
    p = example.parameters
    want = sum(
        float(p[c].sel(time=2022).sum()) for c in ("C.1.3", "C.1.8", "D.1.3", "D.1.8", "D.1.9")
    )
    links = view.links.set_index(["source", "target", "status"])
    got = links.at[("Import (ex afval)", "Verwerkte grondstoffen", "in scope"), "value"]
    assert got == pytest.approx(want)
    assert view.missing == ()


def test_labels_and_sankey_columns(example):
    """Links carry the Sankey schema columns and Dutch and English labels."""
    links = icer_national(example, year=2022).links
    for column in ("source", "target", "value", "units", "jrc_codes", "status", "year", "material"):
        assert column in links
    row = links[links["source"] == "Winning"].iloc[0]
    assert (row["source_label"], row["source_label_en"]) == (
        "Binnenlandse winning",
        "Domestic extraction",
    )


def test_jrc_view_derives_the_links_between_stages(example):
    """The JRC view draws Manufacture -> Use as D.1.1 - D.1.2, equal to the system's edge."""
    links = jrc(example, year=2022).links.set_index(["source", "target"])
    edge = float(example.flow("Manufacture", "Use").sel(time=2022).sum())
    assert links.at[("Manufacture", "Use"), "value"] == pytest.approx(edge)
    assert links.at[("Manufacture", "Use"), "jrc_codes"] == "D.1.1-D.1.2"


def test_jrc_view_nodes_balance_on_a_closed_system(example):
    """On the closed example, every JRC transformation node balances in the view's links."""
    table = view_balance(jrc(example, year=2022)).set_index("node")
    for node in ("Extraction", "Processing", "Manufacture", "Collection", "Recycling"):
        assert table.at[node, "residual"] == pytest.approx(0.0, abs=1e-6), node


def test_pga_counts_production_and_stock_addition_once(example):
    """PGA: Grondstoffengebruik -> Voorraad is D.1.1 only; E.1.7 + E.1.8 are its net addition."""
    view = pga(example, year=2021)
    p = {c: float(example.parameters[c].sel(time=2021).sum()) for c in example.parameters}
    links = view.links[view.links["status"] == "in scope"].set_index(["source", "target"])
    assert links.at[("Grondstoffengebruik", "Voorraad"), "value"] == pytest.approx(p["D.1.1"])
    assert links.at[("Grondstoffengebruik", "Voorraad"), "jrc_codes"] == "D.1.1"
    addition = links.loc[("Voorraad", "Voorraadtoename")]
    assert addition["value"] == pytest.approx(p["E.1.7"] + p["E.1.8"])
    assert addition["flow_type"] == "stock"
    assert any("counts the stock addition twice" in n for n in view.footnotes)


def test_pga_raw_material_use_balances_up_to_what_the_view_leaves_out(example):
    """Raw material use: in - out = outflows PGA leaves out - recycling it routes elsewhere.

    Processing and Manufacture together (DESIGN 3a) balance exactly; PGA leaves out the exports
    and outputs B.1.3, C.1.2, C.1.6, C.1.7, D.1.6, D.1.7, counts D.1.1 with the exported D.1.2,
    and sends G.1.1 + G.1.2 to Open loop instead (uncertain).
    """
    view = pga(example, year=2021)
    node = view_balance(view).set_index("node").loc["Grondstoffengebruik"]
    p = {c: float(example.parameters[c].sel(time=2021).sum()) for c in example.parameters}
    left_out = sum(p[c] for c in ("B.1.3", "C.1.2", "C.1.6", "C.1.7", "D.1.6", "D.1.7"))
    assert node["residual"] == pytest.approx(left_out - p["G.1.1"] - p["G.1.2"])
    assert node["outflow"] < node["inflow"]  # no longer twice the production


def test_icer_stock_addition_is_a_stock_flow_with_a_figure_note(example):
    """National: Materiaalgebruik -> Voorraad stays the net addition, typed stock and explained."""
    view = icer_national(example, year=2021)
    links = view.links[view.links["status"] == "in scope"].set_index(["source", "target"])
    assert links.at[("Materiaalgebruik", "Voorraad"), "flow_type"] == "stock"
    assert any(n.startswith("Material use \u2192 Stock is the net") for n in view.footnotes)


def test_negative_stock_addition_is_drawn_reversed():
    """A depletion (E.1.7 < 0) is drawn out of the stock-addition node; allocation keeps sign."""
    view = pga(_variables({"E.1.7": -4.0, "E.1.8": 1.0}))
    row = view.links.iloc[0]
    assert (row["source"], row["target"], row["value"]) == ("Voorraadtoename", "Voorraad", 3.0)
    assert "negative: drawn reversed" in row["note"]
    assert view.allocation["value"].sum() == pytest.approx(-3.0)


def test_short_cycle_products_pass_on_into_waste():
    """National: N.2 enters Kortcyclische producten and passes on into Afval (issue 14).

    The agreed waste production is Afval out of the stock (E.1.6) plus short-cycle products.
    """
    view = icer_national(_variables({"N.2": 30.0, "E.1.6": 50.0, "F.1.4": 60.0}))
    links = view.links.set_index(["source", "target"])
    assert links.at[("Materiaalgebruik", "Kortcyclische producten"), "value"] == 30.0
    onward = links.loc[("Kortcyclische producten", "Afval")]
    assert (onward["value"], onward["jrc_codes"], onward["status"]) == (30.0, "N.2", "in scope")
    balance = view_balance(view).set_index("node")
    assert balance.at["Kortcyclische producten", "residual"] == 0.0
    assert balance.at["Afval", "inflow"] == 80.0
    assert any(n.startswith("Short-cycle products (N.2") for n in view.footnotes)
    # the pass-on link draws N.2 a second time: the allocation still counts it once
    assert view.allocation.set_index("code").at["N.2", "value"] == 30.0
    # N.2 stays out of scope in the other views, where no node passes anything on
    assert pga(_variables({"N.2": 30.0})).links.empty
    assert load_mapping("pga").passes_on == {} and load_mapping("jrc").passes_on == {}


def test_short_cycle_node_without_inflow_passes_nothing_on():
    """Without N.2 the national view draws no Kortcyclische producten -> Afval link."""
    view = icer_national(_variables({"E.1.6": 50.0}))
    assert "Kortcyclische producten" not in set(view.links["source"])


def test_passes_to_must_name_another_node_of_the_view():
    """A node passing on to an unknown node (or itself) is refused, naming the node."""
    m = load_mapping("icer_national")
    nodes = m.nodes.copy()
    nodes.loc[nodes["node"] == "Kortcyclische producten", "passes_to"] = "Nowhere"
    with pytest.raises(ConfigError, match="'Kortcyclische producten' passes on to 'Nowhere'"):
        ViewMapping("icer_national", m.table, nodes)
    nodes.loc[nodes["node"] == "Kortcyclische producten", "passes_to"] = "Kortcyclische producten"
    with pytest.raises(ConfigError, match="which is the node itself"):
        ViewMapping("icer_national", m.table, nodes)


@pytest.mark.parametrize("view", VIEWS)
def test_view_nodes_have_stages_and_kinds(view):
    """Every chain node of a view has a JRC stage (for colour); every node has a kind."""
    nodes = load_mapping(view).nodes.set_index("node")
    assert set(nodes["kind"]) <= {"transformation", "stock", "boundary"}
    chain = nodes[nodes["band"].eq("main")]
    assert chain["stage"].notna().all(), list(chain.index[chain["stage"].isna()])
    stages = set(reference_table("jrc_stages")["stage"])
    assert set(nodes["stage"].dropna()) <= stages


def test_folded_codes_that_agree_keep_their_link():
    """A fold whose codes share one link in the view stays in scope."""
    view = icer_national(_variables({"C.1.2+D.1.2": 5.0}))
    assert view.links["status"].tolist() == ["in scope"]


def test_folded_codes_that_disagree_become_uncertain():
    """A fold over codes with different links is uncertain, with the alternatives named."""
    view = pga(_variables({"C.1.4+F.1.2": 5.0}))
    row = view.uncertain.iloc[0]
    assert row["code"] == "C.1.4+F.1.2"
    assert "C.1.4 in scope Open loop -> Grondstoffengebruik" in row["note"]
    assert "F.1.2 out of scope" in row["note"]


def test_views_work_on_a_hand_built_system_and_report_missing_codes():
    """A System tagged by hand (like the EV model) gets views, with absent codes listed."""
    system = msa.System("ev", coords={"time": [2030]})
    for pid, kind in (
        ("Use", "transformation"),
        ("Collection", "transformation"),
        ("Out", "boundary"),
    ):
        system.add_process(pid, kind=kind)
    system.add_process("Market", kind="boundary")
    da = xr.DataArray([9.0], dims="time", coords={"time": [2030]})
    system.add_flow("Market", "Use", da, units="t")
    system.add_flow("Use", "Collection", da, units="t", jrc_code="E.1.6")
    system.add_flow("Collection", "Out", da, units="t", jrc_code="F.1.4")
    view = pga(system)
    assert set(view.links["jrc_codes"]) == {"E.1.6", "F.1.4"}
    assert len(view.missing) == 41
    with pytest.raises(DataError, match=r"view 'pga': the system lacks JRC code\(s\) \['A\.1\.1'"):
        pga(system, strict=True)


def test_unknown_year_is_an_error(example):
    """A year outside the system is named with the available range."""
    with pytest.raises(DataError, match=r"year 1999 is not in the system \(years 2020-2022\)"):
        jrc(example, year=1999)


def test_national_only_inputs_are_out_of_scope_outside_the_national_view():
    """Re-exports (N.1) are a national link and out of scope in the JRC and PGA views."""
    v = _variables({"N.1": 149.0})
    assert icer_national(v).links[["source", "target"]].values.tolist() == [
        ["Import (ex afval)", "Export"]
    ]
    assert jrc(v).out_of_scope["code"].tolist() == ["N.1"]
    assert pga(v).out_of_scope["code"].tolist() == ["N.1"]


# ----------------------------------------------------------------------------- CLI
def _section(out: str, heading: str) -> str:
    """Return the text of one view's section of `msa views` output."""
    start = out.index(heading)
    end = out.find("\n=== ", start + 1)
    return out[start : end if end > 0 else None]


def test_cli_views_prints_three_views(capsys):
    """`msa views` prints the three views, their links and out-of-scope tables."""
    assert main(["views", str(EXAMPLE), "--year", "2022"]) == 0
    out = capsys.readouterr().out
    for heading in ("JRC MSA chain", "ICER national Sankey", "PGA product group analysis Sankey"):
        assert f"=== {heading} (view '" in out
    assert out.count("out of scope (buiten scope)") == 3


def test_cli_views_is_readable_for_a_policy_reader(capsys):
    """Links show Dutch and English names, value, unit, codes and status; '?' is flagged."""
    assert main(["views", str(EXAMPLE), "--year", "2021"]) == 0
    icer = _section(capsys.readouterr().out, "ICER national")
    lines = icer.splitlines()
    row = next(i for i, line in enumerate(lines) if "Afval \u2192 Recycling" in line)
    assert lines[row].split()[-5:] == ["660", "t", "F.1.4", "in", "scope"]
    assert lines[row + 1].strip() == "Waste \u2192 Recycling"
    e13 = next(line for line in lines if "E.1.3" in line and "Afval \u2192 Export" in line)
    assert e13.rstrip().endswith("uncertain (?)")
    # out-of-scope rows name the variable, its quantity, unit and kind
    g15 = next(line for line in lines if line.strip().startswith("G.1.5"))
    assert "Recycling waste in EU sent for disposal in EU" in g15
    assert "330  t" in g15 and "flow per year" in g15
    assert "A.1.2" in icer and "stock level" in icer
    # every uncertain variable gets its tentative place and its reason
    assert icer.count("tentative: ") == 7 and icer.count("reason: ") == 7


def test_cli_views_shows_national_figures_in_mt(capsys):
    """The NL national model's views print Mt, the published unit, not nine-digit tonnes."""
    model = ROOT / "models" / "nl_national"
    assert main(["views", str(model), "--year", "2022"]) == 0
    icer = _section(capsys.readouterr().out, "ICER national")
    row = next(line for line in icer.splitlines() if "D.1.1" in line)
    assert row.split()[-5:] == ["182.0", "Mt", "D.1.1", "in", "scope"]
    assert "182,000,000" not in icer


@pytest.fixture
def small_model(tmp_path):
    """Return a tiny MSA model folder (three codes, two years) for CLI tests."""
    folder = tmp_path / "small"
    folder.mkdir()
    rows = [("2020", c, v) for c, v in (("E.1.6", 9), ("F.1.4", 9), ("C.1.6", 1))]
    rows += [("2021", c, v) for c, v in (("E.1.6", 8), ("F.1.4", 8), ("C.1.6", 2))]
    pd.DataFrame(
        [
            {"material": "Li", "region": "EU", "year": y, "code": c, "value": v, "units": "t"}
            for y, c, v in rows
        ]
    ).assign(source_id="s", grade="D").to_csv(folder / "msa.csv", index=False)
    pd.DataFrame([{"source_id": "s", "title": "test"}]).to_csv(folder / "sources.csv", index=False)
    return folder


def test_cli_views_writes_csv_and_refuses_to_overwrite(small_model, tmp_path, capsys):
    """--out writes one CSV per view and table; a second run needs --force."""
    out = tmp_path / "views"
    assert main(["views", str(small_model), "--year", "2021", "--out", str(out)]) == 0
    links = pd.read_csv(out / "icer_national_links.csv")
    assert set(links["year"]) == {2021}
    assert links.set_index("jrc_codes").at["C.1.6", "status"] == "uncertain"
    assert len(list(out.glob("*.csv"))) == 15
    assert main(["views", str(small_model), "--year", "2021", "--out", str(out)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert main(["views", str(small_model), "--year", "2021", "--out", str(out), "--force"]) == 0


def test_cli_errors_are_one_line(small_model, tmp_path, capsys):
    """A bad year or path gives one error line and exit 2."""
    assert main(["views", str(small_model), "--year", "1990"]) == 2
    assert "year 1990 is not in the system" in capsys.readouterr().err
    assert main(["indicators", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_cli_indicators(capsys):
    """`msa indicators` prints every indicator with its value."""
    assert main(["indicators", str(EXAMPLE), "--year", "2020"]) == 0
    out = capsys.readouterr().out
    assert "EoL-RIR" in out and "CMUR" in out and "n/a" not in out


@pytest.mark.parametrize("view_func", [pga, icer_national, jrc])
def test_scope_gaps_close_every_interior_node(example, view_func):
    """With scope_gaps drawn, every non-boundary node with in- and outflows balances."""
    view = view_func(example, year=2021)
    gaps = scope_gaps(view)
    assert set(gaps["flow_type"]) <= {"scope"}
    drawn = pd.concat([view.links, gaps], ignore_index=True)
    kind = view.nodes.set_index("node")["kind"]
    into = drawn.groupby("target")["value"].sum()
    out = drawn.groupby("source")["value"].sum()
    stock = drawn[drawn["flow_type"] == "stock"]
    for node in set(into.index) & set(out.index) - {SCOPE_NODE}:
        if kind.get(node) == "boundary":
            continue
        kept = 0.0
        if kind.get(node) == "stock" and node not in set(stock["source"]):
            kept = stock.loc[stock["target"] == node, "value"].sum()
        assert into[node] - out[node] - kept == pytest.approx(0.0, abs=1e-6), node


def test_scope_gap_of_pga_stock_is_the_imports_pga_leaves_out(example):
    """PGA Voorraad gets E.1.4 - D.1.2 from outside the view (D.1.1 includes the exports)."""
    view = pga(example, year=2021)
    gaps = scope_gaps(view).set_index(["source", "target"])["value"]
    p = {c: float(example.parameters[c].sel(time=2021).sum()) for c in ("E.1.4", "D.1.2")}
    assert gaps[(SCOPE_NODE, "Voorraad")] == pytest.approx(p["E.1.4"] - p["D.1.2"])
    # national: Voorraad keeps the net addition; its gross outflows come from outside the view
    national = scope_gaps(icer_national(example, year=2021)).set_index(["source", "target"])
    outflows = icer_national(example, year=2021).links.query("source == 'Voorraad'")["value"]
    assert national.at[(SCOPE_NODE, "Voorraad"), "value"] == pytest.approx(outflows.sum())


def test_every_figure_note_has_a_dutch_wording():
    """Each 'msa deviation:'/'figure note:' mapping note has a note_nl with the same prefix."""
    table = reference_table("view_mapping")
    noted = table[table["note"].str.contains("msa deviation:|figure note:")]
    assert len(noted) >= 4
    for row in noted.itertuples():
        prefix = row.note.split(":")[0]
        assert row.note_nl.startswith(prefix + ":"), (row.view, row.code)
        assert row.note_nl != row.note


def test_footnotes_in_dutch_and_english(example):
    """View.footnotes_in('nl') gives the Dutch notes, 'en' the English ones; others are refused."""
    view = pga(example, year=2021)
    (nl,) = view.footnotes_in("nl")
    (en,) = view.footnotes_in("en")
    assert nl.startswith("Afwijking van de afgesproken toewijzing: Bijlage 4 zet E.1.7 + E.1.8")
    assert en.startswith("Deviation from the agreed mapping: Bijlage 4 puts E.1.7 + E.1.8")
    with pytest.raises(ConfigError, match=r"lang must be 'en' or 'nl' \(got 'fr'\)"):
        view.footnotes_in("fr")


# ----------------------------------------------------------------------------- untagged systems
def _untagged_system() -> msa.System:
    """Return a System of two processes and one flow without a jrc_code."""
    coords = {"time": [2020, 2021]}
    system = msa.System("untagged", coords=coords)
    system.add_process("A", kind="boundary")
    system.add_process("B", kind="boundary")
    flow = xr.DataArray([1.0, 2.0], dims="time", coords=coords)
    system.add_flow("A", "B", flow, units="t", source_id="", grade="D")
    return system


@pytest.mark.parametrize("view_func", [jrc, icer_national, pga])
@pytest.mark.parametrize("year", [None, 2021])
def test_view_of_a_system_without_jrc_codes_is_one_clear_error(view_func, year):
    """No jrc_code anywhere: a ConfigError naming the System and how to tag, no traceback."""
    with pytest.raises(ConfigError) as info:
        view_func(_untagged_system(), year=year)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("system 'untagged' has no flow, stock or parameter with a jrc_code")
    assert f"view {view_func.__name__!r}" in message
    assert 'jrc_code = "..."' in message and "model.toml" in message


def test_view_of_variables_without_codes_is_one_clear_error():
    """An empty variables DataArray is refused the same way."""
    empty = xr.DataArray(
        np.zeros((0, 1)), dims=("code", "time"), coords={"code": [], "time": [2020]}
    ).assign_attrs(units="t")
    with pytest.raises(ConfigError, match="the variables hold no JRC code"):
        pga(empty)


def test_cli_views_of_a_system_without_jrc_codes(tmp_path, capsys):
    """`msa views` of such a System prints that one line and exits 2."""
    path = tmp_path / "untagged.nc"
    _untagged_system().to_netcdf(str(path))
    assert main(["views", str(path), "--year", "2021"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("msa: error: system 'untagged' has no flow, stock or parameter")
