"""SVG text drawn as outlines (msa sankey --svg-text outline, msa.figures.svg_text)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import msa
from msa.figures._text import text_width
from msa.figures.svg_text import outline_text

ROOT = Path(__file__).resolve().parents[1]
_NS = "{http://www.w3.org/2000/svg}"


def _svg(tmp_path: Path) -> bytes:
    """Return the SVG of the example's own flows as msa writes it (text kept as text)."""
    links = msa.links_from_system(msa.load_example(), 2021)
    fig = msa.sankey(links, title="Recycling of lithium, 2021", preset="a4-portrait")
    (written,) = msa.write_figure(fig, tmp_path / "f", "svg")
    return written.read_bytes()


def _texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    found = []
    for text in root.iter(f"{_NS}text"):
        lines = [t for t in text if "line" in (t.get("class") or "")] or [text]
        joined = " ".join("".join(line.itertext()) for line in lines)
        if joined.strip():
            found.append(joined)
    return found


def _bbox(d: str) -> tuple[float, float, float, float]:
    """Return (x0, y0, x1, y1) of the end and control points of an SVG path."""
    xs, ys = [], []
    x = y = 0.0
    for command, args in re.findall(r"([MLQCHVZ])([^MLQCHVZ]*)", d):
        values = [float(v) for v in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", args)]
        if command == "H":
            xs += values
            x = values[-1]
            ys.append(y)
        elif command == "V":
            ys += values
            y = values[-1]
            xs.append(x)
        elif values:
            xs += values[0::2]
            ys += values[1::2]
            x, y = values[-2], values[-1]
    return min(xs), min(ys), max(xs), max(ys)


def test_every_text_becomes_a_path_that_keeps_its_words(tmp_path):
    """No <text> is left; each text is one path with its words in aria-label."""
    svg = _svg(tmp_path)
    before = _texts(svg)
    out = outline_text(svg)
    root = ET.fromstring(out)
    assert list(root.iter(f"{_NS}text")) == []
    labels = [p.get("aria-label") for p in root.iter(f"{_NS}path") if p.get("aria-label")]
    assert sorted(labels) == sorted(before)
    assert any("Recycling of lithium" in label for label in labels)


def test_outlines_sit_where_the_text_was_and_are_as_wide(tmp_path):
    """The title's outline starts at its x and is as wide as the layout measured the text."""
    svg = _svg(tmp_path)
    root = ET.fromstring(svg)
    title = next(t for t in root.iter(f"{_NS}text") if "gtitle" in (t.get("class") or ""))
    size = float(re.search(r"font-size: ([0-9.]+)px", title.get("style")).group(1))
    x, words = float(title.get("x")), "".join(title.itertext())
    out = ET.fromstring(outline_text(svg))
    path = next(p for p in out.iter(f"{_NS}path") if p.get("aria-label") == words)
    x0, y0, x1, y1 = _bbox(path.get("d"))
    width = text_width(words, size)
    assert x0 == pytest.approx(x, abs=0.15 * size)  # the first glyph's side bearing
    assert x1 - x0 == pytest.approx(width, rel=0.03)
    assert y1 - y0 == pytest.approx(size, rel=0.35)  # cap height to descender


def test_an_end_anchored_label_ends_at_its_x():
    """text-anchor end: the outline ends at x; middle: it is centred on x."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg">'
        b'<text x="200" y="50" text-anchor="end" style="font-family: DejaVu Sans; '
        b'font-size: 20px; fill: rgb(1, 2, 3)">Total</text>'
        b'<text x="100" y="90" text-anchor="middle" style="font-family: DejaVu Sans; '
        b'font-size: 20px"><tspan class="line" dy="0em" x="100" y="90">Waste</tspan>'
        b'<tspan class="line" dy="1.3em" x="100" y="90">1,650 t</tspan></text></svg>'
    )
    out = ET.fromstring(outline_text(svg))
    end, middle = list(out.iter(f"{_NS}path"))
    x0, _, x1, y1 = _bbox(end.get("d"))
    # the advance width less the side bearings of 'T' and 'l' (together < 0.2 em)
    assert x1 == pytest.approx(200, abs=0.2 * 20)
    assert x1 - x0 == pytest.approx(text_width("Total", 20), abs=0.2 * 20)
    assert y1 == pytest.approx(50, abs=1)  # no descender in 'Total': ends on the baseline
    assert "fill: rgb(1, 2, 3)" in end.get("style")
    x0, _, x1, y1 = _bbox(middle.get("d"))
    assert (x0 + x1) / 2 == pytest.approx(100, abs=3)
    assert y1 == pytest.approx(90 + 1.3 * 20, abs=5)  # the second line, 1.3 em lower
    assert middle.get("aria-label") == "Waste 1,650 t"


def test_a_character_without_a_glyph_is_a_named_error():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><text x="0" y="10" '
        'style="font-family: DejaVu Sans; font-size: 12px">\u4e2d</text></svg>'
    ).encode()
    with pytest.raises(msa.RenderError, match=r"no glyph for '\u4e2d' \(U\+4E2D\)"):
        outline_text(svg)


def test_cli_writes_outlined_svg_and_refuses_an_unknown_mode(tmp_path, capsys):
    """The CLI's --svg-text outline writes an SVG without <text>; a typo is one line, exit 2."""
    from msa.cli import main

    model = str(ROOT / "models" / "msa_example")
    out = tmp_path / "f"
    args = ["sankey", model, "--view", "pga", "--year", "2021", "--format", "svg"]
    assert main([*args, "--out", str(out), "--svg-text", "outline"]) == 0
    svg = (out / "sankey_pga_2021.svg").read_bytes()
    assert b"<text" not in svg and b'aria-label="Recycling' in svg
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "g"), "--svg-text", "outlines"]) == 2
    err = capsys.readouterr().err
    assert "--svg-text must be text or outline" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "g").exists()


def test_a_label_halo_becomes_a_stroked_copy_under_the_letters():
    """A text-shadow halo (msa's labels over bands) is a white stroked copy drawn first."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><text x="0" y="20" style="font-family: '
        b"DejaVu Sans; font-size: 12px; fill: rgb(26, 26, 26); text-shadow: white -1px -1px 0px, "
        b'white 1px 1px 0px">Stock</text></svg>'
    )
    out = ET.fromstring(outline_text(svg))
    (group,) = [g for g in out if g.tag == f"{_NS}g"]
    under, letters = list(group)
    assert under.get("aria-hidden") == "true" and under.get("d") == letters.get("d")
    assert "stroke: white" in under.get("style") and "stroke-width: 2" in under.get("style")
    assert letters.get("aria-label") == "Stock" and "stroke" not in letters.get("style")
