"""Unit tests of the Sankey builder (no browser needed): tables, layout, colours, scale, export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import msa
from msa.errors import ConfigError, DataError, DimensionError, OutputExistsError, RenderError
from msa.figures import (
    links_from_system,
    nodes_from_links,
    sankey,
    sankey_series,
    series_scale,
)
from msa.figures.labels import FLOW_TYPES, STAGE_COLORS, format_value, rgba
from msa.figures.layout import GHOST_PREFIX, WAYPOINT_PREFIX, layers, node_values


@pytest.fixture(scope="module")
def example() -> msa.System:
    return msa.load_example()


@pytest.fixture(scope="module")
def links21(example) -> pd.DataFrame:
    return links_from_system(example, 2021)


def _nodes(fig) -> pd.DataFrame:
    """Node ids, centre x/y (fractions, y down) and colours of the figure's Sankey trace."""
    trace = fig.data[0]
    return pd.DataFrame(
        {"x": trace.node.x, "y": trace.node.y, "color": trace.node.color},
        index=fig.layout.meta["msa_sankey"]["nodes"],
    )


def _labels(fig) -> list[str]:
    """Return the node labels drawn (annotations), plotly text with <br> between lines."""
    return list(fig.layout.meta["msa_sankey"]["labels"].values())


def _note(fig) -> str:
    """Return the note under the figure."""
    return next(a.text for a in fig.layout.annotations if a.name == "note")


def _chain(values: dict[tuple[str, str], float], units: str = "t") -> pd.DataFrame:
    return pd.DataFrame(
        [{"source": s, "target": t, "value": v, "units": units} for (s, t), v in values.items()]
    )


# ----------------------------------------------------------------------------- links tables
def test_links_from_system_sums_dims_and_adds_stock_flows(example, links21):
    """Each flow's value is the system's flow summed over material; stock change is a flow."""
    flows = links21[links21["flow_type"] != "stock"].set_index(["source", "target"])["value"]
    for name, da in example.flows.items():
        source, target = name.split(" => ")
        assert flows[(source, target)] == pytest.approx(float(da.sel(time=2021).sum()))
    change = example.stocks["Use"]["stock_change"].sel(time=2021).sum()
    use = links21.set_index(["source", "target"]).loc[("Use", "Use stock"), "value"]
    assert use == pytest.approx(float(change))
    # Exploration only sends: it is the stock node itself, no "Exploration stock" is added.
    assert "Exploration stock" not in set(links21["source"]) | set(links21["target"])


def test_stock_addition_equals_inflow_minus_outflow_of_a_passing_stock(example, links21):
    """The drawn net addition of a stock that passes material on is its sum(in) - sum(out)."""
    drawn = links21[links21["flow_type"] != "stock"]
    for pid in example.stocks:
        into = drawn.loc[drawn["target"] == pid, "value"].sum()
        out = drawn.loc[drawn["source"] == pid, "value"].sum()
        if into == 0 or out == 0:
            continue  # a pure stock is its own stock node
        add = links21.loc[(links21["source"] == pid) & (links21["target"] == f"{pid} stock")]
        dep = links21.loc[(links21["target"] == pid) & (links21["source"] == f"{pid} stock")]
        net = add["value"].sum() - dep["value"].sum()
        assert net == pytest.approx(into - out), pid


def test_pure_stocks_are_labelled_with_their_change(example, links21):
    """A depleting stock's label says minus and depletion; no duplicate stock nodes appear."""
    fig = sankey(links21)
    labels = _labels(fig)
    explo = next(label for label in labels if label.startswith("Exploration<br>"))
    assert explo.endswith("\u2212196 t (depletion)")
    use_stock = next(label for label in labels if label.startswith("Stock: Use<br>"))
    assert use_stock.endswith("+221 t")
    # a boundary node attached per stage repeats its name beside each stage; stocks do not
    shown = [label.split("<br>")[0] for label in labels if label]
    repeated = {name for name in shown if shown.count(name) > 1}
    assert repeated <= {"Imports", "Exports", "Losses", "Landfill"}
    assert not any(name.startswith("Stock") for name in repeated)


def test_a_depleting_passing_stock_is_not_labelled_as_a_net_addition():
    """A passing stock that shrinks: no '+' net on its node, the depletion on its stock node."""
    years = [2020, 2021]
    s = msa.System("shrink", coords={"time": years}, sources=[{"source_id": "x", "title": "x"}])
    s.add_process("Market", kind="boundary")
    s.add_process("Use", kind="stock", stage="Use")
    s.add_process("Waste", kind="boundary")
    flow = xr.DataArray([10.0, 10.0], coords={"time": years}, dims="time")
    s.add_flow("Market", "Use", flow, units="t", source_id="x", grade="A")
    s.add_flow("Use", "Waste", flow + 5.0, units="t", source_id="x", grade="A")
    level = xr.DataArray([100.0, 95.0], coords={"time": years}, dims="time")
    s.add_stock("Use", level, stock_change=level * 0 - 5.0, units="t", source_id="x", grade="A")
    labels = _labels(sankey(links_from_system(s, 2021)))
    use = next(label for label in labels if label.startswith("Use<br>"))
    assert "net" not in use, use
    stock = next(label for label in labels if label.startswith("Stock: Use<br>"))
    assert stock.endswith("\u22125 t (depletion)"), stock


def test_links_from_system_keeps_by_dim(example):
    """by='material' keeps one row per material, summing to the total."""
    by = links_from_system(example, 2021, by="material")
    assert set(by["material"]) == {"Co", "Li"}
    total = links_from_system(example, 2021)["value"].sum()
    assert by["value"].sum() == pytest.approx(total)


def test_links_from_system_dutch_labels(example):
    """lang='nl' gives Dutch display names."""
    nl = links_from_system(example, 2021, lang="nl")
    assert "Gebruik" in set(nl["source_label"])
    assert "Voorraad: Gebruik" in set(nl["target_label"])


def test_links_from_system_year_outside(example):
    """A year outside the data names the available years."""
    with pytest.raises(DataError, match=r"year 2030 is outside the data \(years 2019-2023\)"):
        links_from_system(example, 2030)


def test_links_from_system_unknown_dim(example):
    """An unknown by-dim is a DimensionError naming the dims."""
    with pytest.raises(DimensionError, match="has no dim 'region'"):
        links_from_system(example, 2021, by="region")


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.nan, r"row 1 \(B => C\) has a non-finite \(NaN or inf\) value nan"),
        (-2.0, r"row 1 \(B => C\) has a negative value -2.0"),
    ],
)
def test_bad_values_are_named(value, match):
    """NaN and negative values are errors naming the row and the flow."""
    links = _chain({("A", "B"): 5.0, ("B", "C"): value})
    with pytest.raises(DataError, match=match):
        sankey(links)


def test_empty_and_malformed_tables():
    """Empty tables, missing columns, mixed units and all-zero tables are errors."""
    with pytest.raises(DataError, match="is empty; the selection holds no flows"):
        sankey(_chain({}).reindex(columns=["source", "target", "value", "units"]))
    with pytest.raises(DataError, match=r"missing column\(s\) \['units'\]"):
        sankey(_chain({("A", "B"): 1.0}).drop(columns="units"))
    mixed = _chain({("A", "B"): 1.0, ("B", "C"): 1.0})
    mixed.loc[1, "units"] = "kg"
    with pytest.raises(DataError, match=r"mixed units \['kg', 't'\]"):
        sankey(mixed)
    with pytest.raises(DataError, match="every value is 0"):
        sankey(_chain({("A", "B"): 0.0}))


def test_bad_options(links21):
    """Unknown language, colour meaning and a non-positive scale are ConfigErrors."""
    with pytest.raises(ConfigError, match="lang must be 'en' or 'nl'"):
        sankey(links21, lang="de")
    with pytest.raises(ConfigError, match="color_by must be"):
        sankey(links21, color_by="rainbow")
    with pytest.raises(ConfigError, match="scale must be a positive number"):
        sankey(links21, scale=0)
    with pytest.raises(DataError, match="needs a 'material' column"):
        sankey(links21, color_by="material")


def test_a_height_too_small_for_title_and_notes_is_named():
    """A height that leaves no plot area names the height and the fix, not an internal error."""
    with pytest.raises(RenderError, match=r"height=60 px leaves no room .* give a larger height"):
        sankey(links21_small(), height=60)


def links21_small() -> pd.DataFrame:
    """Return a two-link chain, enough to lay out."""
    return _chain({("Mine", "Smelter"): 5.0, ("Smelter", "Factory"): 5.0})


# ----------------------------------------------------------------------------- layout
def test_stages_left_to_right_and_bands(links21):
    """Stages run left to right in JRC order; imports above, losses/exports/stock below."""
    fig = sankey(links21)
    nodes = _nodes(fig)
    stages = ["Exploration", "Extraction", "Processing", "Manufacture", "Use", "Collection"]
    xs = [nodes.at[s, "x"] for s in [*stages, "Recycling"]]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    main_top = nodes.loc[stages[1:], "y"].min()
    main_bottom = nodes.loc[stages[1:], "y"].max()
    assert nodes.at["Imports", "y"] < main_top
    assert nodes.at["Exploration", "y"] < nodes.at["Extraction", "y"]
    for below in ("Exports", "Losses", "Landfill", "Tailings", "Use stock"):
        assert nodes.at[below, "y"] > main_bottom, below


def test_node_table_order_is_followed(example):
    """A view's node table fixes the column order (not the alphabet, not the links order)."""
    from msa.jrc_msa import views

    view = views.icer_national(example, year=2021)
    fig = sankey(view.links, nodes=view.nodes, lang="nl")
    nodes = _nodes(fig)
    main = view.nodes[view.nodes["band"] == "main"].set_index("node")["order"]
    shown = main[main.index.isin(nodes.index)].sort_values()
    xs = nodes.loc[shown.index, "x"].to_numpy()
    assert np.all(np.diff(xs)[np.diff(shown.to_numpy()) > 0] > 0)
    labels = _labels(fig)
    assert any(label.startswith("Verwerkte grondstoffen<br>") for label in labels)


def test_derived_columns_without_stages():
    """Without stages, columns follow the longest path with the recycling loop cut."""
    links = _chain(
        {
            ("Mine", "Smelter"): 10,
            ("Smelter", "Factory"): 12,
            ("Factory", "Scrap"): 3,
            ("Scrap", "Smelter"): 2,
            ("Factory", "Market"): 9,
            ("Scrap", "Dump"): 1,
        }
    )
    nodes = nodes_from_links(links).set_index("node")
    assert list(nodes.loc[["Mine", "Smelter", "Factory", "Scrap"], "order"]) == [0, 1, 2, 3]
    fig = sankey(links)
    loops = [s for s in fig.layout.shapes if s.name == "loop"]
    assert len(loops) == 1  # Scrap -> Smelter runs back as a loop


@pytest.mark.parametrize("column", ["status", "material"])
def test_rows_with_a_missing_status_or_material_are_drawn(column):
    """A row whose status or material is missing is drawn, not dropped when rows are merged."""
    links = _chain(
        {("Mine", "Smelter"): 5.0, ("Smelter", "Factory"): 3.0, ("Smelter", "Dump"): 2.0}
    )
    links[column] = pd.Series(["in scope" if column == "status" else "Co", None, None], dtype="str")
    fig = sankey(links, color_by="material" if column == "material" else "stage")
    link, names = fig.data[0].link, fig.layout.meta["msa_sankey"]["nodes"]
    real = [
        v
        for s, t, v in zip(link.source, link.target, link.value, strict=True)
        if not (names[s].startswith(GHOST_PREFIX) or names[t].startswith(GHOST_PREFIX))
    ]
    assert sorted(real) == [2.0, 3.0, 5.0]


def test_boundary_that_sends_and_receives_is_split():
    """A boundary node with inflows and outflows is drawn as a top and a bottom node."""
    links = _chain({("World", "Factory"): 5, ("Factory", "World"): 3, ("Factory", "Use"): 2})
    links["kind_source"] = ["boundary", "transformation", "transformation"]
    links["kind_target"] = ["transformation", "boundary", "transformation"]
    nodes = _nodes(sankey(links))
    assert nodes.at["World (in)", "y"] < nodes.at["Factory", "y"] < nodes.at["World (out)", "y"]


# ----------------------------------------------------------------------------- scale
def _d3_px_per_unit(fig) -> float:
    """Return the px per unit d3-sankey computes: min over layers of H / layer total."""
    trace = fig.data[0]
    m = fig.layout.margin
    height = fig.layout.height - m.t - m.b
    ids = fig.layout.meta["msa_sankey"]["nodes"]
    links = pd.DataFrame(
        {
            "source": [ids[i] for i in trace.link.source],
            "target": [ids[i] for i in trace.link.target],
            "value": trace.link.value,
        }
    )
    totals = node_values(ids, links).groupby(layers(ids, links)).sum()
    assert trace.node.pad == 0
    return float((height / totals).min())


def test_fixed_scale_is_imposed_on_d3(example):
    """At a fixed scale, d3's own fit gives exactly the requested px per tonne, any year."""
    for year in (2019, 2023):
        fig = sankey(links_from_system(example, year), scale=0.8)
        assert _d3_px_per_unit(fig) == pytest.approx(1 / 0.8, rel=1e-9)
        assert fig.layout.meta["msa_sankey"]["units_per_px"] == 0.8


def test_fit_to_page_keeps_the_height(links21):
    """Without a scale the figure keeps its height and d3 agrees with our scale."""
    fig = sankey(links21, height=700)
    assert fig.layout.height == 700
    ky = 1 / fig.layout.meta["msa_sankey"]["units_per_px"]
    assert _d3_px_per_unit(fig) == pytest.approx(ky, rel=1e-9)


def test_loop_stroke_width_matches_scale(links21):
    """Each recycling loop is a stroke exactly value / scale px wide, in the flow's colour."""
    fig = sankey(links21, scale=0.5)
    widths = sorted(s.line.width for s in fig.layout.shapes if s.name == "loop")
    recycled = links21[
        (links21["source"] == "Recycling") & links21["target"].isin(["Processing", "Manufacture"])
    ]["value"]
    assert widths == pytest.approx(sorted(recycled / 0.5))


def test_series_share_one_scale(example):
    """A series has one scale (the busiest year fits) and one height."""
    figs = sankey_series(example, years=[2019, 2021, 2023], title="Example")
    scales = {f.layout.meta["msa_sankey"]["units_per_px"] for f in figs.values()}
    heights = {f.layout.height for f in figs.values()}
    assert len(scales) == 1 and len(heights) == 1
    tables = {y: links_from_system(example, y) for y in (2019, 2021, 2023)}
    fits = [sankey(t, title="E").layout.meta["msa_sankey"]["units_per_px"] for t in tables.values()]
    assert (
        scales.pop() == pytest.approx(max(fits)) == pytest.approx(series_scale(tables, title="E"))
    )
    assert figs[2021].layout.title.text == "Example 2021"
    with pytest.raises(ConfigError, match="years= applies to a System"):
        sankey_series(tables, years=[2019])


# ----------------------------------------------------------------------------- looks
def test_colours_by_stage(links21, legend_of):
    """Stage colouring paints each stage's node in its colour and the legend lists stages."""
    fig = sankey(links21, color_by="stage")
    nodes = _nodes(fig)
    for stage in ("Processing", "Use", "Recycling"):
        assert nodes.at[stage, "color"] == STAGE_COLORS[stage]
    assert nodes.at["Imports", "color"] == STAGE_COLORS[None]
    [(title, legend)] = legend_of(fig).items()
    assert title == "Stage:"
    assert legend[:2] == [
        ("Exploration", STAGE_COLORS["Exploration"]),
        ("Extraction", STAGE_COLORS["Extraction"]),
    ]


def test_colours_by_flow_type_and_material(example, links21, legend_of):
    """Flow-type colouring marks recycling secondary; material colouring one colour each."""
    fig = sankey(links21, color_by="flow_type")
    colors = {tuple(fig.data[0].link.color)}
    assert rgba(FLOW_TYPES["secondary"], 0.5) in colors.pop()
    loops = [s for s in fig.layout.shapes if s.name == "loop"]
    assert {s.line.color for s in loops} == {rgba(FLOW_TYPES["secondary"], 0.5)}
    by = links_from_system(example, 2021, by="material")
    fig = sankey(by, color_by="material")
    first, stages = legend_of(fig).values()
    assert [name for name, _ in first] == ["Co", "Li"]
    # node bars keep their stage colour, named in a second legend group
    assert _nodes(fig).at["Use", "color"] == STAGE_COLORS["Use"]
    assert ("Use", STAGE_COLORS["Use"]) in stages


def test_labels_name_value_unit_in_dutch(example):
    """Labels carry the name, a rounded value and the unit, in Dutch number format."""
    links = links_from_system(example, 2021, lang="nl")
    fig = sankey(links, lang="nl")
    labels = _labels(fig)
    assert "Gebruik<br>312 t" in labels
    assert any(label.startswith("Voorraad: Gebruik<br>+") for label in labels)
    assert format_value(1234567.0, "t", "nl") == "1.230.000 t"


_FROM_SUPERSCRIPTS = str.maketrans(
    "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "-0123456789"
)


@given(
    value=st.floats(-1e300, 1e300).filter(lambda v: v != 0),
    lang=st.sampled_from(["en", "nl"]),
)
def test_any_value_prints_short_and_reads_back(value, lang):
    """Any finite value prints in at most 17 characters and reads back to 3 significant digits.

    Tiny and huge values (a rounding residue of 1e-200 t, 2.5e15 kg) take a power of ten
    instead of hundreds of zeros, which once made a label 1,500 px wide.
    """
    text = format_value(value, "t", lang)
    number = text.removesuffix(" t")
    assert len(number) <= 17, text
    if lang == "nl":
        number = number.replace(".", "").replace(",", ".")
    else:
        number = number.replace(",", "")
    if " \u00d7 10" in number:
        mantissa, power = number.split(" \u00d7 10")
        digits = power.translate(_FROM_SUPERSCRIPTS)
        read = float(f"{mantissa}e{digits}")
        assert abs(read) < 1e-3 or abs(read) >= 1e12, text
    else:
        read = float(number)
    assert read == pytest.approx(value, rel=5e-3), text


def test_thin_and_zero_flows_are_noted_not_dropped():
    """Flows too thin to see and zero flows are listed in the note and kept in the trace."""
    links = _chain({("A", "B"): 1000.0, ("B", "C"): 999.9, ("B", "D"): 0.1, ("B", "E"): 0.0})
    fig = sankey(links, scale=1.0)
    meta = fig.layout.meta["msa_sankey"]
    assert meta["thin_flows"] == ["B → D 0.1 t"]
    assert meta["zero_flows"] == ["B → E"]
    assert 0.1 in list(fig.data[0].link.value)
    note = _note(fig)
    assert "B → D 0.1 t" in note and "scale: 1 t per px" in note


def test_uncertain_mapping_is_visible(example):
    """A view's unsettled ('?') mapping is drawn and listed in the note."""
    from msa.jrc_msa import views

    view = views.icer_national(example, year=2021)
    fig = sankey(view.links, nodes=view.nodes, lang="nl")
    assert fig.layout.meta["msa_sankey"]["uncertain_flows"]
    assert "niet vastgesteld" in _note(fig)


def test_ghosts_are_invisible(links21):
    """Ghost nodes (loop ends, ballast) have no label and a transparent colour.

    A waypoint (a ghost a band skipping a column runs through) takes its band's colour.
    """
    nodes = _nodes(sankey(links21))
    via = nodes.index.str.startswith(WAYPOINT_PREFIX)
    ghosts = nodes[nodes.index.str.startswith(GHOST_PREFIX) & ~via]
    assert len(ghosts) >= 4
    assert set(ghosts["color"]) == {"rgba(0,0,0,0)"}
    assert "rgba(0,0,0,0)" not in set(nodes.loc[via, "color"])


# ----------------------------------------------------------------------------- export
def test_write_html_is_self_contained_and_atomic(links21, tmp_path):
    """HTML embeds plotly.js (works offline); an existing file is refused before writing."""
    fig = sankey(links21)
    [path] = msa.write_figure(fig, tmp_path / "fig", "html")
    text = path.read_text(encoding="utf-8")
    assert 'src="http' not in text and len(text) > 3_000_000  # plotly.js inside, no CDN
    before = path.stat().st_mtime_ns
    with pytest.raises(OutputExistsError, match=r"fig.html exist\(s\); pass overwrite=True"):
        msa.write_figure(fig, tmp_path / "fig.html", "html,svg")
    assert path.stat().st_mtime_ns == before
    assert not (tmp_path / "fig.svg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.html"]
    assert msa.write_figure(fig, tmp_path / "fig", "html", overwrite=True) == [path]


def test_write_figure_bad_format(links21, tmp_path):
    """An unknown format is a ConfigError listing the known ones."""
    with pytest.raises(ConfigError, match=r"unknown figure format\(s\) \['gif'\]"):
        msa.write_figure(sankey(links21), tmp_path / "fig", "html,gif")


def test_missing_chromium_says_how_to_install(links21, tmp_path, monkeypatch):
    """Without chromium a static export raises RenderError with the apt-get command."""
    import msa.figures.export as export

    monkeypatch.setattr(export, "_server", None)
    monkeypatch.setattr(export, "find_browser", lambda: None)
    with pytest.raises(RenderError, match=r"apt-get install chromium"):
        msa.write_figure(sankey(links21), tmp_path / "fig", "png")
    assert list(tmp_path.iterdir()) == []


def test_system_with_signed_negative_flow_is_refused():
    """A signed flow with a negative value cannot be drawn; the error names the flow."""
    s = msa.System("neg", coords={"time": [2020]})
    for p in ("A", "B"):
        s.add_process(p, kind="boundary")
    s.add_flow(
        "A", "B", xr.DataArray([-1.0], dims="time", coords={"time": [2020]}), units="t", signed=True
    )
    with pytest.raises(DataError, match=r"\(A => B\) has a negative value"):
        sankey(links_from_system(s, 2020))


def test_opposite_stock_changes_net_into_one_band():
    """An addition and a depletion between the same nodes (two materials) draw as their net."""
    links = _chain({("A", "B"): 10, ("B", "S"): 5, ("S", "B"): 2, ("B", "C"): 7})
    links["flow_type"] = [None, "stock", "stock", None]
    fig = sankey(links)
    ids = fig.layout.meta["msa_sankey"]["nodes"]
    trace = fig.data[0]
    drawn = {
        (ids[s], ids[t]): v
        for s, t, v in zip(trace.link.source, trace.link.target, trace.link.value, strict=True)
    }
    assert drawn[("B", "S")] == pytest.approx(3.0)
    assert ("S", "B") not in drawn
    assert "S<br>+3 t" in _labels(fig)


def test_nodes_in_a_column_follow_their_neighbours():
    """Within a column, nodes are ordered by the barycentre of their sources (fewer crossings)."""
    links = _chain({("A", "Y"): 5, ("B", "X"): 5, ("A", "X"): 1})
    nodes = pd.DataFrame(
        {"node": ["A", "B", "X", "Y"], "order": [0, 0, 1, 1], "band": "main", "label": None}
    )
    got = _nodes(sankey(links, nodes=nodes))
    # the table puts X above Y, which would cross A -> Y and B -> X; the heavy links must not
    assert (got.at["A", "y"] < got.at["B", "y"]) == (got.at["Y", "y"] < got.at["X", "y"])


def test_stock_node_passing_material_on_states_its_net_addition():
    """National Voorraad (net addition in, gross outflows out) is labelled with the net."""
    from pathlib import Path

    from msa.jrc_msa import views
    from msa.jrc_msa.template import read_msa_model

    model = Path(__file__).resolve().parents[1] / "models" / "msa_example"
    view = views.icer_national(read_msa_model(model).system, year=2021)
    fig = sankey(view.links, nodes=view.nodes)
    label = fig.layout.meta["msa_sankey"]["labels"]["Voorraad"]
    net = view.links.query("target == 'Voorraad' and flow_type == 'stock'")["value"].sum()
    assert label.endswith(f"net +{format_value(net, 't')}")


def test_national_totals_are_shown_in_megatonnes():
    """Figures whose flows exceed ten million tonnes label every value in Mt, the scale stays t."""
    fig = sankey(_chain({("A", "B"): 4.15e8, ("B", "C"): 3.7e8, ("B", "D"): 4.5e7}), scale=1e6)
    labels = _labels(fig)
    assert "A<br>415 Mt" in labels and "D<br>45 Mt" in labels
    assert "scale: 1 Mt per px" in _note(fig)
    assert fig.layout.meta["msa_sankey"]["units_per_px"] == 1e6


# ----------------------------------------------------------------------------- view figures
def _view_figure(view_name: str, lang: str = "en"):
    """Return (figure, links drawn) of a view of the illustrative MSA example, 2021."""
    from pathlib import Path

    from msa import jrc_msa as views
    from msa.jrc_msa.template import read_msa_model

    system = read_msa_model(Path(__file__).resolve().parents[1] / "models" / "msa_example").system
    if view_name == "jrc":
        return sankey(links_from_system(system, 2021)), None
    view = getattr(views, view_name)(system, year=2021)
    links = pd.concat([view.links, views.scope_gaps(view)], ignore_index=True)
    return sankey(links, nodes=view.nodes, lang=lang, color_by="flow_type"), view


@pytest.mark.parametrize("view_name", ["icer_national", "pga"])
def test_scope_gaps_sit_next_to_their_node(view_name):
    """Each node's 'Not in this view' gap is drawn just beside it, not at the far edge."""
    from msa.jrc_msa import SCOPE_NODE, scope_gaps

    fig, view = _view_figure(view_name)
    nodes = _nodes(fig)
    main = view.nodes.loc[view.nodes["band"] == "main", "node"]
    columns = np.sort(nodes.loc[nodes.index.isin(main), "x"].unique())
    spacing = np.diff(columns).min()
    gaps = scope_gaps(view)
    out = gaps.loc[gaps["target"] == SCOPE_NODE, "source"]
    into = gaps.loc[gaps["source"] == SCOPE_NODE, "target"]
    assert len(out) >= 2 and len(into) >= 1
    for partner in out:
        copy = nodes.loc[f"{SCOPE_NODE} target {partner}"]
        sends = partner if partner in nodes.index else f"{partner} (in)"  # split open loop
        dx = copy["x"] - nodes.at[sends, "x"]
        assert 0 < dx <= 0.6 * spacing, partner
        assert copy["y"] > nodes.at[sends, "y"], partner  # below: the bottom band
    for partner in into:
        copy = nodes.loc[f"{SCOPE_NODE} source {partner}"]
        receives = partner if partner in nodes.index else f"{partner} (out)"
        dx = nodes.at[receives, "x"] - copy["x"]
        assert 0 < dx <= 0.6 * spacing, partner
        assert copy["y"] < nodes.at[receives, "y"], partner  # above: the top band
    labels = fig.layout.meta["msa_sankey"]["labels"]
    gap_labels = {v for k, v in labels.items() if k.startswith(SCOPE_NODE)}
    assert {label.split("<br>")[0] for label in gap_labels} == {"Not in this view"}


@pytest.mark.parametrize("view_name", ["jrc", "icer_national", "pga"])
def test_labels_of_end_nodes_sit_in_free_space_without_a_box(view_name):
    """A node only receiving is labelled right of it, over no flow, with no box and no halo.

    Left of it only where another node's bar stands right of it, within the label's width
    at its height (the label would sit by that bar); it is then over its node's inflow and
    gets a white halo around its letters. No label gets a background box (a pale rectangle
    cut into the bands).
    """
    from msa.figures._text import text_width

    fig, _ = _view_figure(view_name)
    trace = fig.data[0]
    geo_links = pd.DataFrame({"source": trace.link.source, "target": trace.link.target})
    ids = fig.layout.meta["msa_sankey"]["nodes"]
    sources = {ids[i] for i in geo_links["source"]}
    sinks = {ids[i] for i in geo_links["target"]} - sources
    annotations = {a.name.removeprefix("label:"): a for a in fig.layout.annotations if a.name}
    where = {n: (trace.node.x[i], trace.node.y[i]) for i, n in enumerate(ids)}
    plot_w = fig.layout.width - fig.layout.margin.l - fig.layout.margin.r
    plot_h = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    checked = 0
    for node in sinks & set(annotations):
        label = annotations[node]
        if label.xanchor == "right":  # left of the node: a bar must stand where it would go
            x, y = where[node]
            reach = max(text_width(line, label.font.size) for line in label.text.split("<br>"))
            assert any(
                0 < (ox - x) * plot_w <= reach + 20 and abs(oy - y) * plot_h < 40
                for other, (ox, oy) in where.items()
                if other != node and other in annotations
            ), node
        else:
            assert label.xanchor == "left", node
            assert label.font.shadow is None, node  # over no flow
        checked += 1
    assert checked >= 3
    assert all(a.bgcolor in (None, "rgba(0,0,0,0)") for a in annotations.values())
    haloed = [a for a in annotations.values() if a.font.shadow]
    assert haloed and all("0 white" in a.font.shadow for a in haloed)
