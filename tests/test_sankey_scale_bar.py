"""Tests of the scale bar: a round quantity, exactly as long as a flow of it is wide."""

from __future__ import annotations

import pytest

import msa
from msa.figures.diagram import links_from_system, sankey
from msa.figures.plan import SCALE_BAR_MAX_PX, scale_bar
from msa.figures.series import sankey_series


@pytest.fixture(scope="module")
def example():
    """Return the shipped example System."""
    return msa.load_example()


def _bar(fig):
    """Return the scale bar of a figure (a filled annotation box)."""
    return next(a for a in fig.layout.annotations if a.text == "" and a.width)


@pytest.mark.parametrize("scale", [None, 0.37, 2.0, 1234.5, 3.3e5])
def test_bar_length_is_value_times_ky(example, scale):
    """The drawn bar is value x ky px long (within 0.5 px) and at most the longest bar."""
    fig = sankey(links_from_system(example, 2021), scale=scale)
    meta = fig.layout.meta["msa_sankey"]
    bar, drawn = meta["scale_bar"], _bar(fig)
    assert (drawn.x, drawn.xanchor, drawn.borderpad, drawn.borderwidth) == (0, "left", 0, 0)
    assert abs(round(drawn.width) - bar["value"] / meta["units_per_px"]) <= 0.5
    assert abs(bar["px"] - bar["value"] / meta["units_per_px"]) < 0.5
    assert 0.4 * SCALE_BAR_MAX_PX - 0.5 <= bar["px"] <= SCALE_BAR_MAX_PX + 1e-9


@pytest.mark.parametrize(
    ("units_per_px", "lang", "label", "px"),
    [
        (1000.0, "en", "100,000 t", 100.0),
        (1000.0, "nl", "100.000 t", 100.0),
        (0.01, "en", "1 t", 100.0),
        (0.0042, "nl", "0,5 t", 0.5 / 0.0042),
        (2.0, "en", "200 t", 100.0),
    ],
)
def test_round_quantity_and_dutch_format(units_per_px, lang, label, px):
    """The bar shows the largest 1, 2 or 5 x 10^k that fits, in the language's number format."""
    bar = scale_bar(units_per_px, "t", "t", 1.0, lang)
    assert bar.label == label
    assert bar.px == pytest.approx(px)


def test_bar_in_megatonnes():
    """A national figure shown in Mt gets a bar in Mt; its value stays in the data's unit."""
    bar = scale_bar(2.0e5, "t", "Mt", 1e6, "nl")
    assert (bar.label, bar.value, bar.units) == ("20 Mt", 2.0e7, "t")
    assert bar.px == pytest.approx(100.0)


def test_dutch_figure_label(example):
    """A Dutch figure's bar label groups thousands with a point."""
    fig = sankey(links_from_system(example, 2021, lang="nl"), lang="nl", scale=1000.0)
    assert fig.layout.meta["msa_sankey"]["scale_bar"]["label"] == "100.000 t"
    labels = [a.text for a in fig.layout.annotations if a.name == "scale_bar_label"]
    assert labels == ["100.000 t"]


def test_series_years_share_scale_height_and_bar(example):
    """Years of a series have one units_per_px, one height and the same bar; the note says so."""
    figs = sankey_series(example, years=[2019, 2023])
    metas = [f.layout.meta["msa_sankey"] for f in figs.values()]
    assert metas[0]["units_per_px"] == metas[1]["units_per_px"]
    assert figs[2019].layout.height == figs[2023].layout.height
    assert metas[0]["scale_bar"] == metas[1]["scale_bar"]
    note = next(a.text for a in figs[2023].layout.annotations if a.name == "note")
    assert "the same in every figure of this series (2019, 2023)" in note


def test_no_bar_on_request(example):
    """scale_bar=False draws no bar, records None and gives the row back to the plot."""
    links = links_from_system(example, 2021)
    with_bar, without = sankey(links, scale=1.0), sankey(links, scale=1.0, scale_bar=False)
    assert without.layout.meta["msa_sankey"]["scale_bar"] is None
    assert not any(a.name.startswith("scale_bar") for a in without.layout.annotations)
    assert with_bar.layout.height > without.layout.height
    series = sankey_series(example, years=[2019, 2020], scale_bar=False)
    assert all(f.layout.meta["msa_sankey"]["scale_bar"] is None for f in series.values())


@pytest.mark.parametrize("view", ["jrc", "pga", "icer_national"])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_bar_overlaps_nothing(example, view, lang):
    """The bar and its label sit below the plot area and the note, clear of every label."""
    from msa import jrc_msa
    from msa.figures._text import line_height
    from msa.figures.plan import SankeyOptions, plan_sankey

    if view == "jrc":
        links, nodes = links_from_system(example, 2021, lang=lang), None
    else:
        made = getattr(jrc_msa, view)(example, year=2021)
        links, nodes = made.links, made.nodes
    chosen = {"lang": lang, "title": "t", "color_by": "flow_type", "link_labels": "value"}
    plan = plan_sankey(links, nodes, SankeyOptions.checked(**chosen))
    fig = sankey(links, nodes=nodes, **chosen)
    left, top, right, bottom = fig.layout.meta["msa_sankey"]["scale_bar"]["box"]
    plot_bottom = plan.margin["t"] + plan.geo.plot_height
    notes_bottom = plot_bottom + 6 + len(plan.notes) * line_height(plan.note_size)
    assert top >= notes_bottom - 1e-6
    assert bottom <= fig.layout.height and right <= fig.layout.width
    for box in plan.labels:
        clear = box.bottom <= top or box.top >= bottom or box.right <= left or box.left >= right
        assert clear, box
    for label in plan.link_labels.placed:
        assert label.y < top


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_svg_carries_the_bar_label(example, tmp_path):
    """The SVG has the bar's label as text and the bar as a filled box of its length."""
    import re

    from msa.figures.export import write_figure

    fig = sankey(links_from_system(example, 2021), scale=1000.0)
    (svg,) = write_figure(fig, tmp_path / "f", ["svg"])
    content = svg.read_text("utf-8")
    assert ">100,000 t<" in content
    widths = [
        float(w)
        for w in re.findall(
            r'<rect class="bg" x="0" y="0" width="([0-9.]+)" '
            r'height="6"[^>]*fill: rgb\(68, 68, 68\)',
            content,
        )
    ]
    assert widths == [pytest.approx(fig.layout.meta["msa_sankey"]["scale_bar"]["px"], abs=0.5)]
