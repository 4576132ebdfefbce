"""Text of an SVG figure turned into outlines, for print shops and drawing programs.

A figure's SVG names its font (``DejaVu Sans``) and leaves the drawing of the letters to the
program that opens it; a program without that font substitutes another one, and labels then
run wider or narrower than the boxes the layout measured. :func:`outline_text` replaces every
``<text>`` element by a ``<path>`` of its glyphs, drawn from the same font file the layout
measures text with (matplotlib's DejaVu Sans, see :mod:`msa.figures._text`), so the figure
looks the same everywhere and needs no font. Each path keeps the text in ``aria-label``, so
the figure still says what it shows (screen readers, search, tests).

Only what plotly writes is handled: ``<text>`` with ``x``/``y``/``dy`` and ``text-anchor``,
lines as ``<tspan class="line">``, runs with their own ``font-weight``/``font-style``.
Kerning is not applied (as the layout's own width measure does not apply it).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from typing import Any

from msa.errors import RenderError

__all__ = ["outline_text"]

_SVG = "http://www.w3.org/2000/svg"
_NS = f"{{{_SVG}}}"


def outline_text(svg: bytes) -> bytes:
    """Return the SVG with each ``<text>`` drawn as a ``<path>`` of its glyph outlines.

    Parameters
    ----------
    svg : bytes
        An SVG document as plotly writes it (through :func:`msa.write_figure`).

    Returns
    -------
    bytes
        The same document without ``<text>`` elements; each text is a ``<path>`` with the
        text's fill, opacity, class and transform, and the text itself in ``aria-label``.

    Raises
    ------
    RenderError
        A text in a font matplotlib cannot find, or a character the font has no glyph for.

    Examples
    --------
    >>> svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><text x="10" y="20" '
    ...        b'style="font-family: DejaVu Sans; font-size: 12px; fill: rgb(0, 0, 0);">'
    ...        b'Recycling</text></svg>')
    >>> out = outline_text(svg).decode()
    >>> "<text" in out, 'aria-label="Recycling"' in out
    (False, True)
    """
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    parents = {child: parent for parent in root.iter() for child in parent}
    for text in [e for e in root.iter() if e.tag in (f"{_NS}text", "text")]:
        parent = parents[text]
        path = _outlined(text)
        index = list(parent).index(text)
        parent.remove(text)
        if path is not None:
            path.tail = text.tail
            parent.insert(index, path)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _style(element: Any, inherited: dict[str, str] | None = None) -> dict[str, str]:
    """Return the element's CSS properties (its ``style`` and presentation attributes)."""
    style = dict(inherited or {})
    for key in ("font-family", "font-size", "font-weight", "font-style", "fill", "fill-opacity"):
        if element.get(key):
            style[key] = element.get(key)
    for part in (element.get("style") or "").split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            style[key.strip()] = value.strip()
    return style


def _length(value: str | None, size: float) -> float:
    """Return an SVG length in px (``em`` relative to the font size); empty is 0."""
    if not value:
        return 0.0
    match = re.fullmatch(r"\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*(em|px)?\s*", value)
    if match is None:
        raise RenderError(f"SVG text: cannot read the length {value!r}")
    number = float(match.group(1))
    return number * size if match.group(2) == "em" else number


def _runs(element: Any, style: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Return the pieces of text of ``element`` in order, each with its style."""
    runs = [(element.text, style)] if element.text else []
    for child in element:
        runs += _runs(child, _style(child, style))
        if child.tail:
            runs.append((child.tail, style))
    return runs


def _outlined(text: Any) -> Any:
    """Return a ``<path>`` drawing ``text`` (None for a text with nothing to draw)."""
    style = _style(text)
    size = _length(style.get("font-size", "16px"), 16.0)
    anchor = text.get("text-anchor") or style.get("text-anchor", "start")
    lines = [c for c in text if c.tag.endswith("tspan") and "line" in (c.get("class") or "")]
    if not lines:
        lines = [text]
    x0, y0 = float(text.get("x") or 0), float(text.get("y") or 0)
    drawn: list[str] = []
    words: list[str] = []
    for line in lines:
        runs = _runs(line, _style(line, style) if line is not text else style)
        x = float(line.get("x") or x0)
        y = float(line.get("y") or y0) + _length(line.get("dy"), size)
        if line is not text:
            y += _length(text.get("dy"), size)
        width = sum(_advance(s, st, size) for s, st in runs)
        x -= {"middle": width / 2, "end": width}.get(anchor, 0.0)
        for piece, piece_style in runs:
            d, x = _glyphs(piece, piece_style, size, x, y)
            drawn.append(d)
        words.append("".join(s for s, _ in runs))
    label = " ".join(w for w in words if w)
    if not label.strip():
        return None
    path = ET.Element(f"{_NS}path")
    path.set("d", " ".join(d for d in drawn if d) or "M0 0")
    paint = [f"fill: {style.get('fill', 'rgb(0, 0, 0)')}"]
    for key in ("fill-opacity", "opacity"):
        if key in style:
            paint.append(f"{key}: {style[key]}")
    path.set("style", "; ".join(paint))
    path.set("aria-label", label)
    path.set("role", "img")
    for key in ("class", "transform", "clip-path"):
        if text.get(key):
            path.set(key, text.get(key))
    return _with_halo(path, text, _halo(style.get("text-shadow", "")))


def _with_halo(path: Any, text: Any, halo: list[str]) -> Any:
    """Return ``path``, or a group of its halo (a stroked copy, drawn first) and ``path``."""
    if not halo:
        return path
    group = ET.Element(f"{_NS}g")  # the halo first, under the letters: no paint-order needed
    under = ET.Element(f"{_NS}path", {"d": path.get("d"), "style": "; ".join(halo)})
    under.set("aria-hidden", "true")
    for key in ("transform", "clip-path"):
        if text.get(key):
            under.set(key, text.get(key))
    group.extend([under, path])
    return group


def _halo(shadow: str) -> list[str]:
    """Return the stroke that draws a text-shadow halo (copies offset by up to d px) on a path.

    msa's labels over bands carry a halo of unblurred white copies around the letters; as a
    path it is the letters stroked 2d wide in that colour, drawn under the letters.
    """
    if not shadow or shadow == "none":
        return []
    colour = re.search(r"(rgba?\([^)]*\)|#[0-9a-fA-F]{3,8}|\b[a-z]+\b)", shadow)
    offsets = [abs(float(v)) for v in re.findall(r"(-?[0-9.]+)px", shadow)]
    if colour is None or not offsets:
        return []
    width = 2 * max(offsets)
    return [
        f"fill: {colour.group(1)}",
        f"stroke: {colour.group(1)}",
        f"stroke-width: {width:g}",
        "stroke-linejoin: round",
    ]


@functools.lru_cache(maxsize=8)
def _font(family: str, weight: str, style: str) -> Any:
    """Return the fontTools font matplotlib finds for this family, weight and style."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    slant: Any = style  # "normal" or "italic" (_font_of)
    props = font_manager.FontProperties(family=family, weight=weight, style=slant)
    try:
        path = font_manager.findfont(props, fallback_to_default=False)
    except ValueError as err:
        raise RenderError(f"SVG text: font {family!r} ({weight}, {style}) not found") from err
    return TTFont(path)


def _font_of(style: dict[str, str]) -> Any:
    family = style.get("font-family", "DejaVu Sans").split(",")[0].strip().strip("'\"")
    weight = style.get("font-weight", "normal")
    bold = weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 600)
    weight = "bold" if bold else "normal"
    italic = "italic" if style.get("font-style") in ("italic", "oblique") else "normal"
    return _font(family, weight, italic)


def _glyph_name(font: Any, char: str) -> str:
    name = font.getBestCmap().get(ord(char))
    if name is None:
        raise RenderError(
            f"SVG text: the font has no glyph for {char!r} (U+{ord(char):04X}); keep the text "
            "as text instead of outlining it"
        )
    return str(name)


def _size(style: dict[str, str], size: float) -> float:
    """Return a run's font size in px (its own, else the text's ``size``)."""
    return _length(style["font-size"], size) if style.get("font-size") else size


def _advance(piece: str, style: dict[str, str], size: float) -> float:
    font = _font_of(style)
    scale = _size(style, size) / font["head"].unitsPerEm
    return sum(font["hmtx"][_glyph_name(font, c)][0] for c in piece) * scale


def _glyphs(
    piece: str, style: dict[str, str], size: float, x: float, y: float
) -> tuple[str, float]:
    """Return the path data of ``piece`` set from (x, y) on its baseline, and the next x."""
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen

    font = _font_of(style)
    scale = _size(style, size) / font["head"].unitsPerEm
    glyphs = font.getGlyphSet()
    pen = SVGPathPen(glyphs, ntos=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
    for char in piece:
        name = _glyph_name(font, char)
        glyphs[name].draw(TransformPen(pen, (scale, 0, 0, -scale, x, y)))
        x += font["hmtx"][name][0] * scale
    return pen.getCommands(), x
