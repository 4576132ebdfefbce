"""Geometry of the shipped models' Sankeys: no band through a bar, no label overlaps, few crossings.

Each figure is planned (no image) from the model folder as ``msa sankey`` draws it, in English
and Dutch, with boundary flows attached per stage, and checked by
:func:`msa.figures.overlaps.overlaps`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msa.cli.commands import _load_for_views, _sankey_links
from msa.figures import _text
from msa.figures.overlaps import Band, band_crossings, bands, overlaps
from msa.figures.plan import SankeyOptions, plan_sankey

MODELS = Path(__file__).resolve().parents[1] / "models"
#: (model, view, year) of every shipped figure checked here.
FIGURES = [
    ("msa_example", "jrc", 2021),
    ("msa_example", "icer_national", 2021),
    ("msa_example", "pga", 2021),
    ("nl_national", "jrc", 2022),
    ("nl_national", "icer_national", 2022),
    ("nl_national", "pga", 2022),
    ("ev_batteries_nl", "pga", 2024),
    ("ev_batteries_nl", "pga", 2050),
    ("pv_panels_nl", "icer_national", 2050),
    ("pv_panels_nl", "pga", 2050),
]
#: Band crossings measured with boundary flows attached per stage and waypoints (before
#: either: 94, 5, 5, 2, 0, 1, 2 and 2 in the order of FIGURES, in English).
CROSSINGS = {("msa_example", "jrc"): 20, ("msa_example", "pga"): 2}

_SYSTEMS: dict[str, object] = {}


def _plan(
    model: str,
    view: str,
    year: int,
    lang: str,
    *,
    per_stage: bool = True,
    preset: str | None = None,
):
    """Plan one shipped figure as ``msa sankey`` draws it (fit to the page, or at a preset)."""
    path = MODELS / model
    if model not in _SYSTEMS:
        _SYSTEMS[model] = _load_for_views(path, None)
    links, nodes, notes = _sankey_links(path, _SYSTEMS[model], year, view, lang, "none")
    options = SankeyOptions.checked(
        lang=lang,
        color_by="stage" if view == "jrc" else "flow_type",
        footnotes=notes,
        preset=preset,
        **(
            {"title": f"{model}: {view}, {year}", "subtitle": "t of its mass basis"}
            if preset
            else {}
        ),
    )
    return plan_sankey(links, nodes, dataclasses.replace(options, per_stage=per_stage))


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize(("model", "view", "year"), FIGURES)
def test_no_band_through_a_bar_and_no_label_overlap(model, view, year, lang):
    """Bands miss the bars they do not touch; labels overlap neither labels nor bars.

    Every label stays by its node: nearer its own bar than any other, within 80 px of it.
    """
    found = overlaps(_plan(model, view, year, lang))
    assert found.band_bar == []
    assert found.label_label == []
    assert found.label_bar == []
    assert found.legend_label == []
    assert found.crossings <= CROSSINGS.get((model, view), 0)
    assert found.detached == []


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("preset", ["a4-portrait", "a4-landscape", "slide"])
@pytest.mark.parametrize(("model", "view", "year"), FIGURES)
def test_print_presets_keep_labels_inside_and_apart(model, view, year, preset, lang):
    """At every print preset labels stay inside the plot area, by their nodes, off the legend."""
    found = overlaps(_plan(model, view, year, lang, preset=preset))
    assert found.band_bar == []
    assert found.outside == []
    assert found.label_label == []
    assert found.label_bar == []
    assert found.legend_label == []
    assert found.detached == []


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_portrait_jrc_chain_keeps_every_label_by_its_node(lang):
    """The example's 11-stage JRC chain in a 16 cm column: no label detached from its node.

    Its columns stand too close for labels beside the import and export bars, so those go
    over and under their bars.
    """
    plan = _plan("msa_example", "jrc", 2021, lang, preset="a4-portrait")
    found = overlaps(plan)
    assert found.detached == []
    assert found.faults == 0
    sides = {b.node: b.side for b in plan.labels}
    band = plan.table["band"]
    assert "above" in {sides[n] for n in sides if band[n] == "top"}
    assert "below" in {sides[n] for n in sides if band[n] == "bottom"}


def test_a_label_boxed_in_by_earlier_labels_is_placed_first(monkeypatch):
    """On a slide, 'Reserves in the EU' (top left of the JRC chain) has one spot by its bar.

    Labelled top to bottom, the imports' label above the next bar takes it and 'Reserves in
    the EU' ends beside Extraction; labelled first, it keeps the spot above its own bar and
    the imports' label moves a few px right.
    """
    monkeypatch.setattr(_text, "_REORDERS", 0)
    assert overlaps(_plan("msa_example", "jrc", 2021, "en", preset="slide")).detached == [
        "Reserves EU"
    ]
    monkeypatch.undo()
    plan = _plan("msa_example", "jrc", 2021, "en", preset="slide")
    assert overlaps(plan).faults == 0
    assert {b.node: b.side for b in plan.labels}["Reserves EU"] == "above"


def test_a_label_moved_off_its_side_stays_nearer_its_own_bar(monkeypatch):
    """A stub's label moved down off its free side stays by its stub, not by the next one.

    In the example's PGA view on a slide, the 'Not in this view' stub under *Raw material
    use* has its right side blocked by the next stub; moved down it would sit under that
    stub's bar, so it goes left of its own stub, over the flow into it.
    """
    monkeypatch.setattr(_text._Nearness, "by", lambda self, box: True)
    lost = overlaps(_plan("msa_example", "pga", 2021, "en", preset="slide")).detached
    assert len(lost) == 1
    monkeypatch.undo()
    plan = _plan("msa_example", "pga", 2021, "en", preset="slide")
    assert overlaps(plan).faults == 0
    assert {b.node: b.side for b in plan.labels}[lost[0]] == "left"


def test_the_checker_sees_a_detached_label_and_a_label_on_the_legend():
    """A label moved away from its node is detached; one moved onto the legend is reported."""
    plan = _plan("msa_example", "jrc", 2021, "en", preset="a4-portrait")
    assert overlaps(plan).detached == []
    box = next(b for b in plan.labels if plan.table.at[b.node, "band"] == "bottom")
    far = dataclasses.replace(box, y=box.y + 200.0)
    labels = [far if b is box else b for b in plan.labels]
    assert box.node in overlaps(dataclasses.replace(plan, labels=labels)).detached
    group = plan.legend[-1]
    entry = group.entries[0]
    on_legend = dataclasses.replace(
        box,
        x=plan.margin["l"] + entry.x + 40.0,
        y=plan.margin["t"] - group.below - group.box + entry.y,
        side="right",
    )
    labels = [on_legend if b is box else b for b in plan.labels]
    found = overlaps(dataclasses.replace(plan, labels=labels))
    assert (f"legend:{group.title}:{entry.name}", f"node:{box.node}") in found.legend_label


def test_the_checker_sees_a_bar_moved_into_a_band():
    """A node bar moved onto a band it does not touch is reported; the plan as made is clean."""
    plan = _plan("nl_national", "icer_national", 2022, "en")
    assert overlaps(plan).band_bar == []
    long = max(bands(plan), key=lambda b: b.x[-1] - b.x[0])
    geo = plan.geo
    x = plan.margin["l"] + geo.nodes["x"] * geo.plot_width
    inside = (x > long.x[0] + 20) & (x < long.x[-1] - 20) & ~geo.nodes["ghost"]
    inside &= ~geo.nodes.index.isin([long.source, long.target])
    node = inside[inside].index[0]
    y_band = float(np.interp(x[node], long.x, long.y))
    moved = geo.nodes.copy()
    moved.at[node, "y"] = (y_band - plan.margin["t"]) / geo.plot_height
    found = overlaps(dataclasses.replace(plan, geo=dataclasses.replace(geo, nodes=moved)))
    assert (long.source, long.target, node) in found.band_bar


@pytest.mark.parametrize(
    ("model", "view", "year"),
    [("nl_national", "icer_national", 2022), ("msa_example", "jrc", 2021)],
)
def test_per_stage_boundary_flows_cut_crossings(model, view, year):
    """Boundary flows attached per stage cross fewer bands than one far node for each."""
    before = overlaps(_plan(model, view, year, "en", per_stage=False))
    after = overlaps(_plan(model, view, year, "en"))
    assert after.band_bar == []
    assert after.crossings < before.crossings


def test_reexports_pass_above_the_chain():
    """Re-exported imports go to an export copy in the top band, beside the one of the chain."""
    plan = _plan("nl_national", "icer_national", 2022, "en")
    table = plan.table
    exports = table[table["label"].eq("Exports")]
    assert set(exports["band"]) == {"top", "bottom"}
    assert (plan.drawn["target"].isin(exports.index)).sum() == 2


def test_an_open_loop_sink_is_an_exit_not_a_loop():
    """Recycled material leaving to other chains is drawn as an exit: the figure has no loop."""
    plan = _plan("ev_batteries_nl", "pga", 2050, "en")
    assert plan.geo.loops == []
    assert plan.table.at["Open loop", "band"] == "bottom"


def test_crossing_count_of_two_bands():
    """Two bands whose centre lines swap order cross once; two parallel bands do not."""
    x = pd.Series([0.0, 5.0, 10.0]).to_numpy()
    a = Band(0, "a", "b", 2.0, x, x * 0 + 1.0)
    b = Band(1, "c", "d", 2.0, x, x * 0 + 5.0)
    c = Band(2, "e", "f", 2.0, x, x * 0.8)
    assert band_crossings([a, b]) == 0
    assert band_crossings([a, b, c]) == 2


@pytest.mark.parametrize(("lang", "words"), [("en", "not in the data"), ("nl", "niet in de data")])
def test_a_stock_without_its_inflow_is_not_drawn_as_a_depletion(lang, words):
    """Only the waste leaving the stock is given: the stock says 'not in the data', no minus."""
    from msa.jrc_msa import icer_national
    from msa.jrc_msa.template import build_msa_system

    table = pd.DataFrame(
        {
            "material": "all",
            "region": "NL",
            "year": 2022,
            "code": ["N.2", "E.1.6"],
            "value": [30.0, 50.0],
            "units": "t",
            "source_id": "",
            "grade": "D",
        }
    )
    view = icer_national(build_msa_system(table).system)
    plan = plan_sankey(view.links, view.nodes, SankeyOptions(lang=lang))
    assert plan.values["Voorraad"].startswith("50 t")
    assert words in plan.values["Voorraad"]
    assert "\u2212" not in plan.values["Voorraad"]


def test_a_depleting_system_stock_is_a_depletion_not_missing_data():
    """A System's stock that shrinks in a year (PV panels, 2050) is drawn as its depletion.

    Its addition row is 0 and dropped, so the stock node sends without receiving; its change
    is in the data all the same and must not read 'not in the data'.
    """
    path = MODELS / "pv_panels_nl"
    if "pv_panels_nl" not in _SYSTEMS:
        _SYSTEMS["pv_panels_nl"] = _load_for_views(path, None)
    system = _SYSTEMS["pv_panels_nl"]
    change = float(system.stocks["Use"]["stock_change"].sel(time=2050).sum())
    assert change < 0  # the installed stock shrinks in 2050
    plan = _plan("pv_panels_nl", "jrc", 2050, "en")
    (stock,) = [v for n, v in plan.values.items() if n == "Use stock"]
    assert "\u2212" in stock and "depletion" in stock and "not in the data" not in stock


def test_a_band_skipping_a_column_runs_through_a_waypoint_beside_its_node():
    """A -> C past B is cut at a waypoint in B's column, stacked apart from B's bar."""
    links = pd.DataFrame(
        {
            "source": ["A", "B", "A"],
            "target": ["B", "C", "C"],
            "value": [10.0, 10.0, 4.0],
            "units": "t",
        }
    )
    plan = plan_sankey(links, None, SankeyOptions())
    geo = plan.geo
    via = geo.nodes[geo.nodes["waypoint"]]
    assert len(via) == 1
    assert via["x"].iloc[0] == pytest.approx(geo.nodes.at["B", "x"])
    gap = abs(via["y"].iloc[0] - geo.nodes.at["B", "y"]) * geo.plot_height
    assert gap >= (via["height"].iloc[0] + geo.nodes.at["B", "height"]) / 2
    pieces = geo.links[geo.links["link"] == plan.drawn.index[plan.drawn["target"].eq("C")][-1]]
    assert len(pieces) == 2 and set(pieces["value"]) == {4.0}
    assert overlaps(plan).band_bar == []


@settings(max_examples=25, deadline=None)
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 4), st.integers(1, 5), st.floats(1.0, 100.0)),
        min_size=3,
        max_size=10,
    )
)
def test_no_forward_band_crosses_a_bar(edges):
    """Whatever forward chain is drawn, no band runs across a bar it does not touch."""
    rows = [(f"n{a}", f"n{a + d}", v) for a, d, v in edges if a + d <= 5]
    rows += [(f"n{k}", f"n{k + 1}", 50.0) for k in range(5)]  # a spine: one node per column
    links = pd.DataFrame(rows, columns=["source", "target", "value"]).assign(units="t")
    plan = plan_sankey(links, None, SankeyOptions(height=900))
    assert overlaps(plan).band_bar == []
