"""Printed link labels of the Sankey: text, merged bands, placement, plotly's own geometry.

The tests marked ``chromium`` render images (Debian's chromium, the session's ``image_server``);
without chromium they skip locally and fail on CI, as in ``test_sankey_images.py``. The
percentiles and standard deviations here are test data, made up from the example's values.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import annotation_boxes
from matplotlib import image

import msa
from msa.errors import ConfigError, DataError
from msa.figures import links_from_system, sankey, sankey_series
from msa.figures._link_labels import bezier_point, link_ends, place_link_labels
from msa.figures.diagram import draw_plan
from msa.figures.links import merge_rows
from msa.figures.plan import SankeyOptions, plan_sankey

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


@pytest.fixture(scope="module")
def links21() -> pd.DataFrame:
    return links_from_system(msa.load_example(), 2021)


def _fabricated(links: pd.DataFrame) -> pd.DataFrame:
    """Test data: p5/p50/p95 and sd made up from the values (not a Monte Carlo result)."""
    v = links["value"]
    return links.assign(p5=0.9 * v, p50=v, p95=1.12 * v, sd=0.06 * v)


def _chain(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{"units": "t", **row} for row in rows])


def _link_labels(fig) -> list[str]:
    """Texts of the link label annotations of a figure."""
    return [a.text for a in fig.layout.annotations if a.name == "link_label"]


def _note(fig) -> str:
    return next(a.text for a in fig.layout.annotations if a.name == "note")


# ----------------------------------------------------------------------------- text
def test_value_labels_in_english_and_dutch():
    """``value`` prints each link's value with the node labels' number format and unit."""
    links = _chain(
        [
            {"source": "A", "target": "B", "value": 1234.5},
            {"source": "B", "target": "C", "value": 12.34},
        ]
    )
    assert sorted(_link_labels(sankey(links, link_labels="value"))) == ["1,230 t", "12.3 t"]
    assert sorted(_link_labels(sankey(links, link_labels="value", lang="nl"))) == [
        "1.230 t",
        "12,3 t",
    ]
    assert _link_labels(sankey(links)) == []  # the default prints none


@pytest.mark.parametrize(
    ("mode", "lang", "expected"),
    [
        ("range", "en", "12.3 (10.1–14.2) t"),
        ("range", "nl", "12,3 (10,1–14,2) t"),
        ("sd", "en", "12.3 ± 0.8 t"),
        ("sd", "nl", "12,3 ± 0,8 t"),
    ],
)
def test_range_and_sd_format(mode, lang, expected):
    """A range reads ``p50 (p5–p95) unit``, an sd ``value ± sd unit``, in the language."""
    links = _chain(
        [{"source": "A", "target": "B", "value": 12.3, "p5": 10.1, "p50": 12.3, "p95": 14.2}]
    ).assign(sd=0.84)
    fig = sankey(links, link_labels=mode, lang=lang)
    assert _link_labels(fig) == [expected]
    meaning = {"en": "Link labels:", "nl": "Stroomlabels:"}[lang]
    assert _note(fig).startswith(meaning)  # the note says what the numbers are


def test_large_tonnages_in_megatonnes():
    """Labels use the figure's unit: a national table in tonnes is labelled in Mt."""
    links = _chain(
        [
            {"source": "A", "target": "B", "value": 4.15e7, "p5": 3.8e7, "p50": 4.1e7},
            {"source": "B", "target": "C", "value": 2.0e6, "p5": 1.5e6, "p50": 2.0e6},
        ]
    ).assign(p95=[4.5e7, 2.6e6], sd=[2.1e6, 3.0e5])
    assert sorted(_link_labels(sankey(links, link_labels="value"))) == ["2 Mt", "41.5 Mt"]
    assert sorted(_link_labels(sankey(links, link_labels="range"))) == [
        "2.0 (1.5–2.6) Mt",
        "41 (38–45) Mt",
    ]
    assert sorted(_link_labels(sankey(links, link_labels="sd", lang="nl"))) == [
        "2,0 ± 0,3 Mt",
        "41,5 ± 2,1 Mt",
    ]


def test_missing_columns_are_a_config_error_naming_them():
    """A range without percentiles, or an sd without ``sd``, names the columns and option."""
    links = _chain([{"source": "A", "target": "B", "value": 1.0, "p50": 1.0}])
    with pytest.raises(ConfigError, match=r"link_labels='range' needs numeric column\(s\) p5, p95"):
        sankey(links, link_labels="range")
    with pytest.raises(ConfigError, match=r"link_labels='sd' needs numeric column\(s\) sd in"):
        sankey(links, link_labels="sd")
    with pytest.raises(ConfigError, match=r"link_labels must be 'none', 'value'.*'values'"):
        sankey(links, link_labels="values")


def test_text_in_a_statistic_column_is_a_data_error():
    """A percentile that is not a number is refused, naming the row; a negative sd too."""
    links = _chain([{"source": "A", "target": "B", "value": 1.0, "p5": "low"}])
    with pytest.raises(DataError, match=r"row 0 \(A => B\) has p5 'low'; p5 must be a number"):
        sankey(links)
    links = _chain([{"source": "A", "target": "B", "value": 1.0, "sd": -1.0}])
    with pytest.raises(DataError, match=r"has sd -1.0; sd must be a number >= 0"):
        sankey(links)


def test_unknown_statistic_shows_the_value_and_is_noted():
    """A row whose sd is NaN is labelled with its value, and the note names it."""
    links = _chain(
        [
            {"source": "A", "target": "B", "value": 10.0, "sd": 1.0},
            {"source": "B", "target": "C", "value": 4.0, "sd": np.nan},
        ]
    )
    fig = sankey(links, link_labels="sd")
    assert sorted(_link_labels(fig)) == ["10 ± 1 t", "4 t"]
    assert "Value without ± sd (1): none in the links table: B → C 4 t" in _note(fig)
    meta = fig.layout.meta["msa_sankey"]["link_labels"]
    assert [e["name"] for e in meta["unknown"]] == ["B → C"]


# ----------------------------------------------------------------------------- merged bands
def test_merge_combines_sd_and_drops_percentiles_of_merged_bands():
    """Merged rows: sd is the root of the sum of squares, percentiles become NaN."""
    links = _chain(
        [
            {"source": "A", "target": "B", "value": 3.0, "material": "Co", "sd": 0.3},
            {"source": "A", "target": "B", "value": 4.0, "material": "Li", "sd": 0.4},
            {"source": "B", "target": "C", "value": 7.0, "material": "Co", "sd": 0.5},
        ]
    ).assign(flow_type="primary", p5=[2.0, 3.0, 6.0], p50=[3.0, 4.0, 7.0], p95=[4.0, 5.0, 8.0])
    merged = merge_rows(links, by_material=False).set_index("target")
    assert merged.at["B", "sd"] == pytest.approx(0.5)
    assert merged.loc["B", ["p5", "p50", "p95"]].isna().all()
    assert list(merged.loc["C", ["p5", "p50", "p95", "sd"]]) == [6.0, 7.0, 8.0, 0.5]
    assert list(merged["merged_rows"]) == [2, 1]
    by_material = merge_rows(links, by_material=True)
    assert list(by_material["p50"]) == [3.0, 4.0, 7.0]  # nothing merged, nothing lost
    assert list(by_material["merged_rows"]) == [1, 1, 1]
    one_unknown = links.assign(sd=[0.3, np.nan, 0.5])
    assert merge_rows(one_unknown, by_material=False)["sd"].isna().tolist() == [True, False]


def test_merged_band_shows_its_value_and_the_note_counts_it():
    """A band merging rows (here materials) shows its value without range; the note says so."""
    links = _chain(
        [
            {"source": "A", "target": "B", "value": 3.0, "material": "Co"},
            {"source": "A", "target": "B", "value": 4.0, "material": "Li"},
            {"source": "B", "target": "C", "value": 7.0, "material": "Co"},
        ]
    ).assign(p5=[2.0, 3.0, 6.0], p50=[3.0, 4.0, 7.0], p95=[4.0, 5.0, 8.0])
    fig = sankey(links, link_labels="range")
    assert sorted(_link_labels(fig)) == ["7 (6–8) t", "7 t"]
    assert "Value without range (1): these bands merge rows" in _note(fig)
    assert "A → B 7 t" in _note(fig)
    by_material = sankey(links, link_labels="range", color_by="material")
    assert sorted(_link_labels(by_material)) == ["3 (2–4) t", "4 (3–5) t", "7 (6–8) t"]
    names = [e["name"] for e in by_material.layout.meta["msa_sankey"]["link_labels"]["labelled"]]
    assert sorted(names) == ["A → B (Co)", "A → B (Li)", "B → C"]


def test_stock_change_labels_the_magnitude_drawn():
    """A depletion netted with an addition is labelled with the net band; a lone one keeps p's."""
    rows = [
        {"source": "A", "target": "Use", "value": 20.0, "flow_type": "primary"},
        {"source": "Use", "target": "Use stock", "value": 5.0, "flow_type": "stock"},
        {"source": "Use stock", "target": "Use", "value": 8.0, "flow_type": "stock"},
        {"source": "Use", "target": "B", "value": 23.0, "flow_type": "primary"},
    ]
    links = _chain(rows).assign(
        p5=[18.0, 4.0, 7.0, 21.0], p50=[20.0, 5.0, 8.0, 23.0], p95=[22.0, 6.0, 9.0, 25.0]
    )
    fig = sankey(links, link_labels="range")
    meta = fig.layout.meta["msa_sankey"]["link_labels"]
    texts = {e["name"]: e["text"] for e in meta["labelled"] + meta["left_out"]}
    assert texts["Use stock → Use"] == "3 t"  # 8 depleted - 5 added: the 3 t drawn
    lone = sankey(links.drop(index=1), link_labels="range")
    meta = lone.layout.meta["msa_sankey"]["link_labels"]
    texts = {e["name"]: e["text"] for e in meta["labelled"] + meta["left_out"]}
    assert texts["Use stock → Use"] == "8 (7–9) t"


# ----------------------------------------------------------------------------- placement
def _boxes_apart(boxes: list[tuple[float, float, float, float]]) -> bool:
    return not any(
        a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        for k, a in enumerate(boxes)
        for b in boxes[k + 1 :]
    )


def test_crowded_labels_never_overlap_and_left_out_ones_are_noted(links21):
    """In a small figure some labels do not fit: none overlaps, each left out is named."""
    plan = plan_sankey(
        _fabricated(links21), None, SankeyOptions(link_labels="range", width=700, height=480)
    )
    placed, left_out = plan.link_labels.placed, plan.link_labels.left_out
    assert left_out, "the small figure should leave some labels out"
    assert sorted([lb.link for lb in placed] + left_out) == sorted(plan.drawn.index)
    link_boxes = [(lb.left, lb.top, lb.right, lb.bottom) for lb in placed]
    node_boxes = [(b.left, b.top, b.right, b.bottom) for b in plan.labels]
    gn = plan.geo.nodes[~plan.geo.nodes["ghost"]]
    half = plan.spacing.node_thickness / 2
    bars = [
        (
            plan.margin["l"] + x * plan.geo.plot_width - half,
            plan.margin["t"] + y * plan.geo.plot_height - h / 2,
            plan.margin["l"] + x * plan.geo.plot_width + half,
            plan.margin["t"] + y * plan.geo.plot_height + h / 2,
        )
        for x, y, h in zip(gn["x"], gn["y"], gn["height"], strict=True)
    ]
    assert _boxes_apart(link_boxes)
    for box in link_boxes:
        assert all(_boxes_apart([box, b]) for b in node_boxes + bars)
    fig = draw_plan(plan)
    note = _note(fig).replace("<br>", " ")
    assert f"Link labels left out for lack of room ({len(left_out)};" in note
    meta = fig.layout.meta["msa_sankey"]["link_labels"]
    assert len(meta["left_out"]) == len(left_out)
    assert len(meta["labelled"]) == len(_link_labels(fig)) == len(placed)
    # largest first: the biggest flow has its label, unless it finds no room even alone
    largest = plan.drawn["value"].idxmax()
    if largest not in [lb.link for lb in placed]:
        alone = place_link_labels(
            plan.link_labels.texts,
            plan.drawn.loc[[largest]],
            plan.geo,
            plan.margin,
            plan.labels,
            size=plan.options.note_size,
            family=plan.options.font_family,
            node_thickness=plan.spacing.node_thickness,
            width=plan.options.width,
        )
        assert alone.left_out == [largest]


def test_left_out_note_in_dutch(links21):
    """The note on labels left out speaks Dutch in a Dutch figure."""
    fig = sankey(_fabricated(links21), link_labels="range", lang="nl", width=700, height=480)
    assert "Stroomlabels weggelaten wegens plaatsgebrek (" in _note(fig).replace("<br>", " ")


def test_loop_labels_sit_on_their_lane(links21):
    """A recycling loop's label is centred on its lane, between its legs."""
    plan = plan_sankey(links21, None, SankeyOptions(link_labels="value"))
    placed = {lb.link: lb for lb in plan.link_labels.placed}
    assert plan.geo.loops
    for loop in plan.geo.loops:
        label = placed[loop["link"]]
        assert label.y == pytest.approx(plan.margin["t"] + loop["lane"])
        assert plan.margin["l"] + loop["leg_t"] < label.left
        assert label.right < plan.margin["l"] + loop["leg_s"]


def test_labels_sit_on_their_band(links21):
    """Every label on a band lies within the band's thickness at a point of its curve."""
    plan = plan_sankey(links21, None, SankeyOptions(link_labels="value"))
    ends = link_ends(plan.geo, plan.spacing.node_thickness)
    gl = plan.geo.links
    ml, mt = plan.margin["l"], plan.margin["t"]
    loops = {loop["link"] for loop in plan.geo.loops}
    for label in plan.link_labels.placed:
        if label.link in loops:
            continue
        on_a_piece = []  # a band cut at waypoints is drawn as pieces: the label is on one
        for k in gl.index[(gl["link"] == label.link)]:
            e = ends.loc[k]
            ts = np.linspace(0, 1, 2001)
            points = np.array([bezier_point(e.x0, e.y0, e.x1, e.y1, t) for t in ts])
            at = np.argmin(np.abs(points[:, 0] + ml - label.x))
            on_a_piece.append(
                abs(points[at, 0] + ml - label.x) < 1.0
                and abs(points[at, 1] + mt - label.y) <= e.width / 2 + 0.5
            )
        assert any(on_a_piece), label


def test_series_and_hover_carry_link_labels(links21):
    """sankey_series passes link_labels on; a link's hover shows its range."""
    tables = {"low": _fabricated(links21), "high": _fabricated(links21.assign(value=2.0))}
    figs = sankey_series(tables, link_labels="range")
    assert all(_link_labels(f) for f in figs.values())
    hover = sankey(_fabricated(links21), link_labels="range").data[0].link.customdata
    assert any("range: 196 (176–220) t" in h for h in hover)


# ----------------------------------------------------------------------------- images
def _svg_links(svg: str) -> list[list[float]]:
    """Numbers of each ``path.sankey-link`` d attribute, in the order plotly draws them."""
    paths = re.findall(r'<path class="sankey-link" d="([^"]+)"', svg)
    return [[float(n) for n in _NUMBER.findall(d)] for d in paths]


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
@pytest.mark.parametrize("year", [2019, 2021, 2023])
@pytest.mark.parametrize("width", [1100, 837])
def test_band_ends_and_midpoints_match_plotly_svg(year, width, tmp_path):
    """The band ends and curve midpoints computed from the layout are plotly's, to 0.01 px."""
    links = links_from_system(msa.load_example(), year)
    plan = plan_sankey(links, None, SankeyOptions(link_labels="value", width=width))
    [path] = msa.write_figure(draw_plan(plan), tmp_path / f"y{year}", "svg", clean=False)
    svg = path.read_text(encoding="utf-8")
    group = re.search(r'<g class="sankey" transform="translate\(([-\d.]+),([-\d.]+)\)', svg)
    assert (float(group[1]), float(group[2])) == (plan.margin["l"], plan.margin["t"])
    drawn = _svg_links(svg)
    ends = link_ends(plan.geo, plan.spacing.node_thickness)
    assert len(drawn) == len(ends)
    real = ~plan.geo.links["link"].eq(-1).to_numpy()  # the ballast lies off the canvas
    for n, (_, e), keep in zip(drawn, ends.iterrows(), real, strict=True):
        if not keep:
            continue
        # M x0,top0 C xc,top0 xc,top1 x1,top1 L x1,bottom1 C xc,bottom1 xc,bottom0 x0,bottom0 Z
        assert n[0] == pytest.approx(e.x0, abs=0.01)
        assert (n[1] + n[15]) / 2 == pytest.approx(e.y0, abs=0.01)
        assert n[6] == pytest.approx(e.x1, abs=0.01)
        assert (n[7] + n[9]) / 2 == pytest.approx(e.y1, abs=0.01)
        assert n[9] - n[7] == pytest.approx(e.width, abs=0.01)
        top = _cubic(n[0:2], n[2:4], n[4:6], n[6:8])
        bottom = _cubic(n[14:16], n[12:14], n[10:12], n[8:10])
        mid = (top + bottom) / 2
        assert mid == pytest.approx(bezier_point(e.x0, e.y0, e.x1, e.y1, 0.5), abs=0.01)


def _cubic(p0, p1, p2, p3, t: float = 0.5) -> np.ndarray:
    """Point at ``t`` of the cubic Bézier with these control points (as in the SVG)."""
    p0, p1, p2, p3 = (np.asarray(p, dtype=float) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_svg_carries_the_label_text_apart_from_node_labels(links21, tmp_path):
    """The SVG holds every link label as text, and its boxes overlap no other label's."""
    fig = sankey(_fabricated(links21), link_labels="range", width=800, height=560)
    [path] = msa.write_figure(fig, tmp_path / "range", "svg", clean=False)
    svg = path.read_text(encoding="utf-8")
    texts = re.findall(r'<text class="annotation-text"[^>]*>([^<]*)</text>', svg)
    for label in _link_labels(fig):
        assert label in texts, label
    kinds = [a.name or "" for a in fig.layout.annotations]
    boxes = annotation_boxes(svg)
    labelled = [boxes[k] for k, name in enumerate(kinds) if name != "note" and k in boxes]
    assert len(labelled) == len(kinds) - 1
    assert _boxes_apart([(a + 0.5, b + 0.5, c - 0.5, d - 0.5) for a, b, c, d in labelled])


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
@pytest.mark.parametrize(("mode", "lang"), [("value", "en"), ("range", "nl")])
def test_print_size_png_shows_the_labels(links21, mode, lang, tmp_path):
    """At print size (2x) every placed label is dark text on a light patch of the image."""
    fig = sankey(_fabricated(links21), link_labels=mode, lang=lang)
    [path] = msa.write_figure(fig, tmp_path / mode, "png", scale=2)
    pixels = image.imread(path)[..., :3]
    assert pixels.shape[:2] == (2 * fig.layout.height, 2 * fig.layout.width)
    plan_labels = [a for a in fig.layout.annotations if a.name == "link_label"]
    ml, mt = fig.layout.margin.l, fig.layout.margin.t
    plot_w = fig.layout.width - ml - fig.layout.margin.r
    plot_h = fig.layout.height - mt - fig.layout.margin.b
    for a in plan_labels:
        x, y = 2 * (ml + a.x * plot_w), 2 * (mt + (1 - a.y) * plot_h)
        patch = pixels[int(y) - 8 : int(y) + 8, int(x) - 10 : int(x) + 10]
        dark = (patch.max(axis=2) < 0.35).mean()
        light = (patch.min(axis=2) > 0.7).mean()
        assert dark > 0.05 and light > 0.3, (a.text, dark, light)
