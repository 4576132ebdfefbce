"""Print presets, PNG resolution, clean SVG, title/subtitle/source and the palettes in grey."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from conftest import annotation_boxes

import msa
from msa.errors import ConfigError
from msa.figures._text import text_width
from msa.figures.export import clean_svg, invisible_svg_objects, png_dpi, png_with_dpi
from msa.figures.labels import FLOW_TYPES, GRADE_COLORS, STAGE_COLORS, rgba
from msa.figures.plan import MIN_PRINT_PT, PRESETS, points


@pytest.fixture(scope="module")
def links():
    """Return the example's 2021 links."""
    return msa.links_from_system(msa.load_example(), 2021)


def _text_sizes(fig) -> dict[str, float]:
    """Return the font size (px) of every text of a figure, by what it is."""
    layout = fig.layout
    sizes = {}
    if layout.title.text:
        sizes["title"] = layout.title.font.size
    for a in layout.annotations:
        if a.text:
            sizes[a.name or "annotation"] = min(a.font.size, sizes.get(a.name or "annotation", 99))
    return sizes


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_text_prints_at_7_pt_or_more(links, preset):
    """At the preset's final width, labels, legend, notes, link labels, scale bar are >= 7 pt."""
    fig = msa.sankey(
        links,
        preset=preset,
        title="Example",
        subtitle="Li, Co; t of element mass",
        source="Source: example",
        link_labels="value",
        scale=2.0,  # thin flows: the note is there
    )
    page = PRESETS[preset]
    meta = fig.layout.meta["msa_sankey"]
    assert fig.layout.width == page.width == round(page.width_cm / 2.54 * 96)
    assert (meta["preset"], meta["width_cm"], meta["dpi"]) == (preset, page.width_cm, page.dpi)
    sizes = _text_sizes(fig)
    assert {"legend", "legend_title", "note", "scale_bar_label", "subtitle"} <= set(sizes)
    assert any(k.startswith("label:") for k in sizes)
    final = {k: points(v, fig.layout.width, page.width_cm) for k, v in sizes.items()}
    assert min(final.values()) >= MIN_PRINT_PT, final
    assert meta["text_pt"] == min(final.values())


_CHAIN = pd.DataFrame(
    {
        "source": ["Mine", "Smelter", "Factory", "Use", "Use"],
        "target": ["Smelter", "Factory", "Use", "Waste", "Stock"],
        "value": [100.0, 90.0, 80.0, 30.0, 50.0],
        "units": "t",
    }
)


@pytest.mark.parametrize(
    ("preset", "system"),
    [(p, "chain") for p in PRESETS] + [("a4-portrait", "example"), ("a4-landscape", "example")],
)
def test_a_preset_fits_the_whole_figure_in_its_page(links, preset, system):
    """Title, legend, diagram and note together fit the preset's page where labels allow.

    A five-node chain fits every page; the example's 2021 system (eight stages, eleven
    columns with its import and export stubs) fits A4 portrait and landscape. The figure is
    no taller than the page, and the diagram no taller than the preset's diagram height.
    """
    shown = _CHAIN if system == "chain" else links
    fig = msa.sankey(shown, preset=preset, title="Example", subtitle="Li; t of element mass")
    page = PRESETS[preset]
    meta = fig.layout.meta["msa_sankey"]
    assert meta["height_cm"] == pytest.approx(fig.layout.height / page.width * page.width_cm, 0.01)
    assert meta["page_height_cm"] == page.page_height_cm
    assert meta["height_cm"] <= page.page_height_cm + 0.05
    margins = fig.layout.margin.t + fig.layout.margin.b
    assert fig.layout.height - margins <= page.height + 1
    if page.height + margins > page.page_height:  # the diagram gave way to the page
        assert abs(fig.layout.height - page.page_height) <= 1
    assert msa.figures.diagram.outgrown_page(fig, "example") is None


def test_a_note_that_fills_the_page_leaves_the_diagram_its_height(links):
    """A source line of 30 sentences leaves a slide no room: the diagram keeps its height."""
    source = " ".join(["Source: a very long acknowledgement of every data provider."] * 30)
    fig = msa.sankey(links, preset="slide", title="Example", source=source)
    page = PRESETS["slide"]
    margins = fig.layout.margin.t + fig.layout.margin.b
    assert margins > page.page_height - page.height / 4
    assert fig.layout.height - margins >= page.height - 1
    assert msa.figures.diagram.outgrown_page(fig, "long") is not None


def test_a_figure_taller_than_its_page_says_so(links):
    """A label-heavy figure on a slide outgrows the page: the meta and a note say by how much.

    The example's PGA view labels its stubs with long names at 12 pt; on a slide its
    labels need about 8 cm more than the 14.3 cm page.
    """
    from msa.figures.diagram import outgrown_page
    from msa.jrc_msa import pga, scope_gaps
    from msa.jrc_msa.template import read_msa_model

    system = read_msa_model(msa.shipped_model("msa_example")).system
    view = pga(system, year=2021)
    shown = pd.concat([view.links, scope_gaps(view)], ignore_index=True)
    fig = msa.sankey(shown, nodes=view.nodes, preset="slide", color_by="flow_type")
    meta = fig.layout.meta["msa_sankey"]
    assert meta["height_cm"] > meta["page_height_cm"] + 1.0
    note = outgrown_page(fig, "sankey_pga_2021")
    assert note is not None
    assert f"{meta['height_cm']:.1f} cm tall at slide" in note
    assert "(14.3 cm)" in note
    scaled = meta["text_pt"] * meta["page_height_cm"] / meta["height_cm"]
    assert f"prints at {scaled:.1f} pt" in note


def test_the_default_figure_would_print_too_small(links):
    """The check can fail: an 1100 px figure in a 16 cm column prints its note below 7 pt."""
    fig = msa.sankey(links)
    assert points(min(_text_sizes(fig).values()), fig.layout.width, 16.0) < MIN_PRINT_PT


def test_a_preset_refuses_a_width_and_small_text(links):
    """A preset fixes the width, and refuses a font that prints below 7 pt."""
    with pytest.raises(ConfigError, match="fixes the width"):
        msa.sankey(links, preset="a4-portrait", width=640)
    with pytest.raises(ConfigError, match="at least 7 pt"):
        msa.sankey(links, preset="a4-portrait", font_size=8)
    with pytest.raises(ConfigError, match="unknown preset 'a5'"):
        msa.sankey(links, preset="a5")


def _label_gaps(plan, fig, *, vertical: bool = True) -> dict[str, float]:
    """Return the px between each drawn node label and its node's bar (-1: over the bar).

    Without ``vertical``, the horizontal gap of labels beside their bars (a label moved up or
    down off its node's height counts as beside it).
    """
    from msa.figures._text import box_gap as _gap
    from msa.figures.overlaps import _overlap, node_bars

    bars, m, geo = node_bars(plan), plan.margin, plan.geo
    size = plan.options.font_size
    gaps = {}
    for a in fig.layout.annotations:
        if not (a.name or "").startswith("label:"):
            continue
        node = a.name.removeprefix("label:")
        lines = a.text.split("<br>")
        width = max(text_width(line, size) for line in lines)
        height = len(lines) * 1.3 * size
        x, middle = m["l"] + a.x * geo.plot_width, m["t"] + (1 - a.y) * geo.plot_height
        left = {"left": x, "right": x - width}.get(a.xanchor, x - width / 2)
        box = (left, middle - height / 2, left + width, middle + height / 2)
        if not vertical and a.xanchor != "center":
            bar = bars[node]
            gaps[node] = box[0] - bar[2] if a.xanchor == "left" else bar[0] - box[2]
            continue
        gaps[node] = -1.0 if _overlap(box, bars[node]) else _gap(box, bars[node])
    return gaps


@pytest.mark.parametrize("preset", [*PRESETS, None])
def test_labels_stay_beside_their_nodes(links, preset):
    """Every node label is drawn within a few px of its node's bar, at every preset and 640 px.

    Beside the bar, or over or under it where the columns stand too close (a preset's
    narrow page) or nothing beside it is free, never on it. At 640 px without a preset the
    labels beside their bars are measured across only: 'Exploration' (top left, hemmed in
    by the imports' label and the next bar) moves down its column.
    """
    from msa.figures.diagram import draw_plan
    from msa.figures.plan import SankeyOptions, plan_sankey

    options = SankeyOptions.checked(preset=preset, width=None if preset else 640)
    plan = plan_sankey(links, None, options)
    gaps = _label_gaps(plan, draw_plan(plan), vertical=preset is not None)
    assert gaps
    assert all(-1 <= gap <= 60 for gap in gaps.values()), gaps


def _legend_texts(fig) -> dict[str, list[tuple[float, float]]]:
    """Return each legend text's position in figure px (left, middle), by its text."""
    m, width = fig.layout.margin, fig.layout.width
    plot_w, plot_h = width - m.l - m.r, fig.layout.meta["msa_sankey"]["plot_height"]
    out: dict[str, list[tuple[float, float]]] = {}
    for a in fig.layout.annotations:
        if (a.name or "").startswith("legend"):
            out.setdefault(a.text, []).append((m.l + a.x * plot_w, m.t + (1 - a.y) * plot_h))
    return out


def test_legend_rows_fit_the_width(links):
    """A narrow figure wraps its legend under a title on top, and reserves the room for it."""
    narrow = msa.sankey(links, preset="a4-portrait", color_by="flow_type")
    wide = msa.sankey(links, width=1400, color_by="flow_type")
    assert narrow.layout.margin.t > wide.layout.margin.t
    for fig in (narrow, wide):
        texts = _legend_texts(fig)
        right = max(x + text_width(t, 12) for t, at in texts.items() for x, _ in at)
        assert right <= fig.layout.width - fig.layout.margin.r  # inside the plot's width
        # every legend text lies in the top margin, under the title
        assert all(0 < y < fig.layout.margin.t for at in texts.values() for _, y in at)
    # narrow: the stage group's title is on top, its entries in rows of columns
    ((title_x, title_y),) = _legend_texts(narrow)["Nodes by stage:"]
    rows = {
        round(y)
        for t in ("Exploration", "Manufacture", "Recycling")
        for _, y in _legend_texts(narrow)[t]
    }
    assert len(rows) == 3 and min(rows) > title_y
    assert {
        round(x) for t in ("Exploration", "Manufacture") for x, _ in _legend_texts(narrow)[t]
    } == {round(title_x) + 38}
    # wide: the title on the left of one row
    ((title_x, title_y),) = _legend_texts(wide)["Nodes by stage:"]
    rows = {round(y) for t in ("Exploration", "Recycling") for _, y in _legend_texts(wide)[t]}
    assert len(rows) == 1 and abs(rows.pop() - title_y) < 5


def test_the_figure_has_one_trace_and_a_drawn_legend(links):
    """The Sankey is the only trace: the legend is shapes and texts, nothing a click toggles."""
    fig = msa.sankey(links, preset="a4-portrait", color_by="flow_type")
    assert [t.type for t in fig.data] == ["sankey"]
    assert fig.layout.showlegend is False
    meta = fig.layout.meta["msa_sankey"]["legend"]
    texts = [a.text for a in fig.layout.annotations if (a.name or "").startswith("legend")]
    assert texts == [x for title, names in meta.items() for x in (f"{title}:", *names)]
    swatches = [s for s in fig.layout.shapes if (s.name or "").startswith("legend:")]
    assert [s.name for s in swatches] == [f"legend:{n}" for names in meta.values() for n in names]
    colours = [s.fillcolor for s in swatches][: len(meta["Flow type"])]
    assert colours == [FLOW_TYPES[k] for k in ("primary", "secondary", "loss", "trade", "stock")]
    # each swatch is a 12 px square left of its name, on its row
    m = fig.layout.margin
    plot_w = fig.layout.width - m.l - m.r
    plot_h = fig.layout.meta["msa_sankey"]["plot_height"]
    names = [a for a in fig.layout.annotations if a.name == "legend"]
    for s, a in zip(swatches, names, strict=True):
        assert (s.x1 - s.x0) * plot_w == pytest.approx(12) == (s.y1 - s.y0) * plot_h
        assert (a.x - s.x1) * plot_w == pytest.approx(14)
        assert abs((s.y0 + s.y1) / 2 - a.y) * plot_h < 2


def test_title_subtitle_and_source(links):
    """The subtitle sits under the title; the source is the last line under the figure."""
    fig = msa.sankey(links, title="T", subtitle="Li; t of element mass", source="Bron: CBS")
    named = {a.name: a for a in fig.layout.annotations}
    assert named["subtitle"].text == "Li; t of element mass"
    assert named["note"].text.split("<br>")[-1] == "Bron: CBS"
    assert named["subtitle"].y > 1  # above the plot area


def test_png_says_its_dpi():
    """png_with_dpi writes one pHYs chunk (replacing any) that png_dpi reads back."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes(13)) + chunk(b"IDAT", b"x")
    png += chunk(b"IEND", b"")
    assert png_dpi(png) is None
    twice = png_with_dpi(png_with_dpi(png, 96), 300)
    assert png_dpi(twice) == 300.0
    assert twice.count(b"pHYs") == 1
    assert twice.index(b"pHYs") < twice.index(b"IDAT")


_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    '<rect width="5" height="5" style="fill: rgb(0, 0, 0); fill-opacity: 0;"/>'
    '<path d="M0,0L5,5" style="stroke: rgb(1, 2, 3); stroke-opacity: 1; fill-opacity: 0;"/>'
    '<rect width="5" height="5" style="fill: rgb(9, 9, 9); opacity: 0;"/>'
    '<text class="node-label"></text><text>kept</text>'
    '<defs><clipPath id="c"><rect width="5" height="5" style="fill-opacity: 0"/></clipPath></defs>'
    "</svg>"
)


def test_clean_svg_drops_only_what_draws_nothing():
    """Transparent shapes and empty text go; a stroked path, text and clip paths stay."""
    assert invisible_svg_objects(_SVG) == 4  # the clip path's rect counts, but is kept
    cleaned = clean_svg(_SVG.encode())
    assert invisible_svg_objects(cleaned) == 1
    root = ET.fromstring(cleaned)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) == 1
    assert [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")] == ["kept"]


def _off_canvas(svg: bytes) -> list[str]:
    """Return the shapes of an SVG lying wholly outside its canvas (translate transforms)."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    out: list[str] = []

    def walk(e, dx: float, dy: float) -> None:
        tag = e.tag.rsplit("}", 1)[-1]
        if tag in ("defs", "clipPath"):
            return
        moved = re.search(r"translate\(\s*([-\d.e]+)[ ,]*([-\d.e]*)\s*\)", e.get("transform", ""))
        if moved:
            dx, dy = dx + float(moved.group(1)), dy + float(moved.group(2) or 0)
        if tag == "path":
            nums = [float(n) for n in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", e.get("d", ""))]
            xs, ys = nums[0::2], nums[1::2]
            if (
                xs
                and ys
                and (
                    max(xs) + dx < -1
                    or max(ys) + dy < -1
                    or min(xs) + dx > width + 1
                    or min(ys) + dy > height + 1
                )
            ):
                out.append(e.get("class") or tag)
        for child in e:
            walk(child, dx, dy)

    walk(root, 0.0, 0.0)
    return out


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
@pytest.mark.parametrize("view", ["jrc", "pga"])
def test_exported_files_are_clean(links, tmp_path, view):
    """SVG: no invisible object, no shape off the canvas; PNG: the preset's dpi; PDF vector."""
    example = msa.load_example()
    if view == "pga":
        made = msa.pga(example, year=2021)
        fig = msa.sankey(made.links, nodes=made.nodes, preset="a4-portrait")
    else:
        fig = msa.sankey(links, preset="a4-portrait")
    files = msa.write_figure(
        fig, tmp_path / view, "svg,png,pdf", scale=PRESETS["a4-portrait"].png_scale
    )
    svg, png, pdf = (p.read_bytes() for p in files)
    assert invisible_svg_objects(svg) == 0
    assert _off_canvas(svg) == []
    assert png_dpi(png) == 300.0
    assert b"/Image" not in pdf or b"/FontFile" in pdf  # text as fonts, not a bitmap page


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
@pytest.mark.parametrize("preset", list(PRESETS))
def test_the_legend_is_drawn_where_the_plan_put_it(links, tmp_path, preset):
    """SVG and HTML: the legend's texts, at the plan's places; no plotly legend, one trace."""
    from msa.figures.diagram import draw_plan
    from msa.figures.overlaps import legend_boxes
    from msa.figures.plan import SankeyOptions, plan_sankey

    options = SankeyOptions.checked(color_by="flow_type", preset=preset, title="T", subtitle="S")
    plan = plan_sankey(links, None, options)
    fig = draw_plan(plan)
    svg_path, html_path = msa.write_figure(fig, tmp_path / "legend", "svg,html", clean=False)
    svg = svg_path.read_text(encoding="utf-8")
    assert 'class="legend"' not in svg and "legendtext" not in svg
    meta = fig.layout.meta["msa_sankey"]["legend"]
    for title, names in meta.items():
        assert f">{title}:<" in svg
        for name in names:
            assert f">{name}<" in svg, name
    html = html_path.read_text(encoding="utf-8")
    start = html.index("Plotly.newPlot(")
    start = html.index("[", html.index(",", start))
    data, _ = json.JSONDecoder().raw_decode(html[start:])
    assert [trace["type"] for trace in data] == ["sankey"]
    # each text's box, as the browser measured it, is where the plan reserved it (1.5 px)
    drawn = annotation_boxes(svg)
    planned = iter(legend_boxes(plan).values())
    kinds = [(k, a.text) for k, a in enumerate(fig.layout.annotations) if a.name in _LEGEND]
    assert len(kinds) == sum(len(names) + 1 for names in meta.values())
    for k, text in kinds:
        left, top, right, bottom = next(planned)
        x0, y0, x1, y1 = drawn[k]
        if not text.endswith(":"):  # an entry's box begins at its swatch
            left += 26.0  # the name starts 40 px after the entry, its swatch 14
        assert abs(x0 - left) < 1.5 and abs(x1 - x0 - text_width(text, fig.layout.font.size)) < 2
        assert abs((y0 + y1) / 2 - (top + bottom) / 2) < 1.5, (text, y0, y1, top, bottom)


_LEGEND = ("legend", "legend_title")


def test_palettes_stay_apart_in_grey():
    """Adjacent categories of each palette differ in luminance (grey print) by >= 5 L*."""

    def lightness(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
        return 116 * (y ** (1 / 3) if y > 0.008856 else 7.787 * y + 16 / 116) - 16

    for palette in (
        [c for s, c in STAGE_COLORS.items() if s is not None],
        [FLOW_TYPES[k] for k in ("primary", "secondary", "loss", "trade", "stock")],
        [GRADE_COLORS[g] for g in ("A", "B", "C", "D")],
    ):
        light = [lightness(c) for c in palette]
        steps = [abs(a - b) for a, b in zip(light, light[1:], strict=False)]
        assert min(steps) >= 5.0, (palette, [round(s, 1) for s in steps])


def _link_colours(fig) -> dict[str, str]:
    """Return the colour of each drawn link, keyed by the first hover line ('A → B')."""
    link = fig.data[0].link
    return {
        h.split("<br>")[0]: c
        for c, h in zip(link.color, link.customdata, strict=True)
        if h and not c.endswith(",0)")
    }


def test_material_use_into_stock_has_one_colour_in_every_model():
    """Raw material use → Stock is a primary flow in the example and in nl_national alike.

    In nl_national the stock's outflows are not in the data, so its only flow is material
    use: it must not turn stock-change orange, nor its label state a net addition.
    """
    from pathlib import Path

    from msa.cli._inputs import resolve

    root = Path(__file__).resolve().parents[1] / "models"
    colours, labels = [], []
    for model in ("msa_example", "nl_national"):
        system = resolve(root / model).system
        view = msa.pga(system, year=2022)
        fig = msa.sankey(view.links, nodes=view.nodes, color_by="flow_type")
        colours.append(_link_colours(fig)["Raw material use → Stock"])
        labels.append(fig.layout.meta["msa_sankey"]["labels"]["Voorraad"])
    assert colours[0] == colours[1] == rgba(FLOW_TYPES["primary"], 0.5)
    assert not labels[1].split("<br>")[-1].startswith("+")


def test_thin_loops_are_opaque(links):
    """A recycling loop thinner than 3 px is drawn at full opacity, as wide as its flow."""
    from msa.figures.diagram import THIN_LOOP_PX

    seen = set()
    for scale in (0.5, 50.0):
        fig = msa.sankey(links, scale=scale)
        for shape in [s for s in fig.layout.shapes if s.name == "loop"]:
            opaque = shape.line.color.endswith(",1)")
            assert opaque == (shape.line.width < THIN_LOOP_PX), (shape.line.width, scale)
            seen.add(opaque)
    assert seen == {True, False}  # both kinds were drawn


def test_chromium_profile_is_removed_without_a_traceback_at_exit(tmp_path):
    """The profile folder's finalizer is detached and the folder removed when the server closes.

    The finalizer of choreographer's TemporaryDirectory printed ``OSError: Directory not
    empty`` at exit when chromium still wrote into the folder.
    """
    import tempfile
    from types import SimpleNamespace

    from msa.figures.export import _remove_profile, _take_profile

    profile = tempfile.TemporaryDirectory(dir=tmp_path)
    (tmp_path / profile.name / "Default").mkdir()
    (tmp_path / profile.name / "Default" / "Cookies").write_text("x")
    browser = SimpleNamespace(
        _browser_impl=SimpleNamespace(tmp_dir=SimpleNamespace(temp_dir=profile))
    )
    folder = _take_profile(browser)
    assert folder is not None and folder.is_dir()
    assert not profile._finalizer.alive  # nothing left to run (and fail) at exit
    _remove_profile(folder)
    assert not folder.exists()
    assert _take_profile(SimpleNamespace()) is None  # another kaleido: its own clean-up
