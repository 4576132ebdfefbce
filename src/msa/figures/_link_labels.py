"""Link labels of a publication Sankey: their text, where plotly draws each band, placement.

A printed link label states the quantity a band draws, in the units and language of the node
labels, with the unit once at the end:

==========  ==========================  ===========================  ======================
mode        columns                     English                      Dutch
==========  ==========================  ===========================  ======================
``value``   --                          ``12.3 t``                   ``12,3 t``
``range``   ``p5``, ``p50``, ``p95``    ``12.3 (10.1–14.2) t``       ``12,3 (10,1–14,2) t``
``sd``      ``sd``                      ``12.3 ± 0.8 t``             ``12,3 ± 0,8 t``
==========  ==========================  ===========================  ======================

A value alone has three significant digits, as on the nodes. A range shows its three numbers
to the decimals of ``p50`` at three significant digits (``47.0 (42.3–52.6)``), and ``value ±
sd`` both numbers to the decimals of the value (``12.3 ± 0.8``, ``274 ± 12``); a percentile
or an sd keeps at least one significant digit (``274.0 ± 0.3``), and decimal zeros that every
number of a label ends in are dropped (``5.0 (4.5–5.6)``, not ``5.00 (4.50–5.60)``). A band
without its statistic (several rows merged, whose percentiles do not combine, or NaN in the
table) shows its value, and the note says so. A line of the note explains ``range`` and
``sd`` labels.

Where plotly draws a band is computable: with ``link.sort="input"`` d3 stacks a node's
out-links from the top of the node in input order, and its in-links likewise
(:func:`msa.figures.layout.layout` fixes that order); a band is ``value * ky`` px wide. plotly
draws it as a cubic Bézier from the source's right edge at the centre of its band there to
the target's left edge at the centre of its band there, with both control points at the
middle x, so its point at ``t = 0.5`` is the average of the two ends (:func:`link_ends`,
:func:`bezier_point`). A recycling loop's label sits on its lane under the diagram.

Labels are placed greedily, largest flow first, at the band's midpoint; one that would
overlap a node label, a node bar or a label placed before it moves along the band
(``t`` = 0.5, 0.35, 0.65, 0.25, 0.75), then, on a band thicker than the label, to the upper
or lower edge inside the band at those points (so the largest flows, whose short bands
between neighbouring columns are crowded by node labels, keep theirs); if it still collides,
it is left out and named in the note. All lengths are pixels, y downwards.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from msa.errors import ConfigError
from msa.figures._text import PAD, line_height, shorten, text_width
from msa.figures.labels import format_value, text

if TYPE_CHECKING:  # pragma: no cover
    from msa.figures._text import LabelBox
    from msa.figures.layout import Geometry, LoopGeometry

__all__ = [
    "LINK_LABEL_BACKGROUND",
    "LINK_LABEL_COLOR",
    "NEEDED_COLUMNS",
    "LinkLabel",
    "LinkLabelling",
    "LinkTexts",
    "bezier_point",
    "link_annotation",
    "link_ends",
    "link_meta",
    "link_notes",
    "link_texts",
    "place_link_labels",
]

#: Colour of the text and background of a link label.
LINK_LABEL_COLOR = "#333333"
LINK_LABEL_BACKGROUND = "rgba(255,255,255,0.75)"
#: Columns of the links table each mode needs.
NEEDED_COLUMNS: dict[str, tuple[str, ...]] = {"range": ("p5", "p50", "p95"), "sd": ("sd",)}
#: Where along a band a label is tried, in order (Bézier parameter; fraction of a loop's lane).
_ALONG = (0.5, 0.35, 0.65, 0.25, 0.75)
_MINUS = "\u2212"


# ----------------------------------------------------------------------------- text
@dataclass(frozen=True)
class LinkTexts:
    """The label text of every drawn band, before any is placed.

    Attributes
    ----------
    mode : {"none", "value", "range", "sd"}
        What the labels state.
    texts : dict
        Label of each drawn row of the plan's links (by index); empty for ``"none"``.
    no_range : list
        Rows labelled with their value only because they merge rows (``range``).
    unknown : list
        Rows labelled with their value only because the table has no statistic for them.
    """

    mode: str
    texts: dict[Hashable, str]
    no_range: list[Hashable]
    unknown: list[Hashable]


def link_texts(drawn: pd.DataFrame, mode: str, lang: str, units: str, per: float) -> LinkTexts:
    """Return the label text of each drawn row in ``mode`` (see the module docstring).

    Parameters
    ----------
    drawn : DataFrame
        The drawn rows of a plan's links (``value`` > 0, merged).
    mode : {"none", "value", "range", "sd"}
        What the labels state.
    lang : {"en", "nl"}
        Number format.
    units : str
        The unit values are shown in (after dividing by ``per``).
    per : float
        Divisor from the table's unit to ``units``.

    Returns
    -------
    LinkTexts

    Raises
    ------
    ConfigError
        ``mode`` needs columns the links table does not have.

    Examples
    --------
    >>> rows = pd.DataFrame({"value": [12.3], "p5": [10.1], "p50": [12.3], "p95": [14.2]})
    >>> link_texts(rows, "range", "nl", "t", 1.0).texts
    {0: '12,3 (10,1–14,2) t'}
    """
    needed = NEEDED_COLUMNS.get(mode, ())
    missing = [c for c in needed if c not in drawn.columns]
    if missing:
        raise ConfigError(
            f"link_labels={mode!r} needs numeric column(s) {', '.join(missing)} in the links "
            f"table (has {', '.join(map(str, drawn.columns))}); add them or use "
            "link_labels='value'"
        )
    if mode == "none":
        return LinkTexts(mode, {}, [], [])
    texts: dict[Hashable, str] = {}
    no_range: list[Hashable] = []
    unknown: list[Hashable] = []
    merged = drawn.get("merged_rows", pd.Series(1, index=drawn.index))
    for i, row in drawn.iterrows():
        stats = [float(row[c]) for c in needed]
        if all(math.isfinite(v) for v in stats):
            texts[i] = _stated(float(row["value"]), stats, mode, lang, units, per)
            continue
        texts[i] = format_value(float(row["value"]) / per, units, lang)
        if mode != "value":
            (no_range if mode == "range" and merged[i] > 1 else unknown).append(i)
    return LinkTexts(mode, texts, no_range, unknown)


def _stated(value: float, stats: list[float], mode: str, lang: str, units: str, per: float) -> str:
    """Return one label: the value, ``p50 (p5–p95)`` or ``value ± sd``, unit at the end."""

    def number(v: float, decimals: int) -> str:
        shown = format_value(v, "", lang, decimals=decimals)
        return _MINUS + shown[1:] if shown.startswith("-") else shown

    if mode == "range":
        p5, p50, p95 = (v / per for v in stats)
        low, mid, high = _trimmed([number(v, _decimals(p50, v)) for v in (p5, p50, p95)], lang)
        return f"{mid} ({low}\u2013{high}) {units}".strip()
    if mode == "sd":
        shown, sd = value / per, stats[0] / per
        decimals = _decimals(shown, sd)
        mid, spread = _trimmed([number(shown, decimals), number(sd, decimals)], lang)
        return f"{mid} \u00b1 {spread} {units}".strip()
    return format_value(value / per, units, lang)


def _trimmed(numbers: list[str], lang: str) -> list[str]:
    """Drop the trailing decimal zeros all numbers share: ``5.00 (4.50–5.60)`` to ``5.0 (4.5–5.6)``.

    Examples
    --------
    >>> _trimmed(["4,50", "5,00", "5,60"], "nl"), _trimmed(["20.0", "18.0"], "en")
    (['4,5', '5,0', '5,6'], ['20', '18'])
    """
    sep = "," if lang == "nl" else "."
    while all(sep in n and n.endswith("0") for n in numbers):
        numbers = [n[:-1].removesuffix(sep) for n in numbers]
    return numbers


def _decimals(main: float, other: float) -> int:
    """Decimals to show ``other`` with: those of ``main`` at 3 significant digits, or more.

    ``other`` (a percentile, an sd) keeps at least one significant digit. Negative: round to
    tens, hundreds... (``197,003 (154,880–231,837)`` shows as ``197,000 (155,000–232,000)``).

    Examples
    --------
    >>> _decimals(12.3, 0.84), _decimals(274.0, 12.4), _decimals(274.0, 0.3), _decimals(3.0, 2.7)
    (1, 0, 1, 2)
    >>> _decimals(197003.0, 154880.0), _decimals(197003.0, 23.0)
    (-3, -1)
    """

    def first_digit(v: float) -> int:  # decimals to the first significant digit of v
        return -math.floor(math.log10(abs(v))) if v else 0

    return max(first_digit(main) + 2, first_digit(other))


# ----------------------------------------------------------------------------- geometry
def link_ends(geo: Geometry, node_thickness: float) -> pd.DataFrame:
    """Return where plotly draws each link of ``geo.links``: the centre line's two ends.

    d3 stacks each node's out-links from its top in input order, and its in-links likewise;
    a band is ``value * ky`` px wide.

    Parameters
    ----------
    geo : Geometry
        The layout (``nodes`` with ``x``, ``y`` as fractions of the plot area and ``height``
        in px; ``links`` in the order plotly gets them).
    node_thickness : float
        Width of the node bars (px).

    Returns
    -------
    DataFrame
        Indexed like ``geo.links``: ``x0``, ``y0`` (the source's right edge, centre of the
        band there), ``x1``, ``y1`` (the target's left edge) and ``width``, in px of the plot
        area.
    """
    nodes, links = geo.nodes, geo.links
    width = links["value"] * geo.ky
    top = nodes["y"] * geo.plot_height - nodes["height"] / 2
    centre_x = nodes["x"] * geo.plot_width
    below_out = width.groupby(links["source"]).cumsum() - width / 2
    below_in = width.groupby(links["target"]).cumsum() - width / 2
    half = node_thickness / 2
    return pd.DataFrame(
        {
            "x0": centre_x.reindex(links["source"]).to_numpy() + half,
            "y0": top.reindex(links["source"]).to_numpy() + below_out.to_numpy(),
            "x1": centre_x.reindex(links["target"]).to_numpy() - half,
            "y1": top.reindex(links["target"]).to_numpy() + below_in.to_numpy(),
            "width": width.to_numpy(),
        },
        index=links.index,
    )


def bezier_point(x0: float, y0: float, x1: float, y1: float, t: float) -> tuple[float, float]:
    """Return the point at ``t`` of plotly's link curve from ``(x0, y0)`` to ``(x1, y1)``.

    Notes
    -----
    plotly (curvature 0.5) draws ``M x0,y0 C xc,y0 xc,y1 x1,y1`` with ``xc = (x0 + x1) / 2``:
    ``B(t) = (1-t)^3 P0 + 3 (1-t)^2 t P1 + 3 (1-t) t^2 P2 + t^3 P3``.

    Examples
    --------
    >>> bezier_point(0.0, 0.0, 100.0, 40.0, 0.5)
    (50.0, 20.0)
    """
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    xc = (x0 + x1) / 2
    return a * x0 + (b + c) * xc + d * x1, (a + b) * y0 + (c + d) * y1


# ----------------------------------------------------------------------------- placement
@dataclass(frozen=True)
class LinkLabel:
    """A placed link label: its band (row of the plan's links), text and box (figure px)."""

    link: Hashable
    text: str
    x: float  # centre
    y: float
    width: float  # of the text
    height: float

    @property
    def left(self) -> float:
        """Left edge of the box (background included)."""
        return self.x - self.width / 2 - PAD

    @property
    def right(self) -> float:
        """Right edge of the box."""
        return self.x + self.width / 2 + PAD

    @property
    def top(self) -> float:
        """Top edge of the box."""
        return self.y - self.height / 2 - PAD

    @property
    def bottom(self) -> float:
        """Bottom edge of the box."""
        return self.y + self.height / 2 + PAD


@dataclass(frozen=True)
class LinkLabelling:
    """The link labels of a figure: their texts, those placed and those left out for room."""

    texts: LinkTexts
    placed: list[LinkLabel]
    left_out: list[Hashable]


_Box = tuple[float, float, float, float]  # left, top, right, bottom


class _Spot(NamedTuple):
    """A candidate centre (figure px) of a label on its band.

    The label must lie between ``low`` and ``high`` in x (a loop's legs; unbounded along a
    band); ``band`` is the band's vertical thickness there, within which it may move.
    """

    x: float
    y: float
    low: float
    high: float
    band: float


def place_link_labels(
    texts: LinkTexts,
    drawn: pd.DataFrame,
    geo: Geometry,
    margin: dict[str, float],
    node_labels: list[LabelBox],
    *,
    size: float,
    family: str,
    node_thickness: float,
    width: float,
) -> LinkLabelling:
    """Place the label of every drawn band, largest flow first, clear of everything placed.

    A label goes to its band's midpoint, or further along the band (see the module
    docstring), inside the figure and the plot area's height, clear of the node labels, the
    node bars and the labels placed before it; a loop's label goes on its lane, between its
    legs. A label with no free spot is left out.

    Parameters
    ----------
    texts : LinkTexts
        The label of each drawn row.
    drawn : DataFrame
        The drawn rows of the plan's links (``value``).
    geo : Geometry
        The layout.
    margin : dict of str to float
        Figure margins (``l``, ``t``): plot px to figure px.
    node_labels : list of LabelBox
        The placed node labels (figure px).
    size : float
        Font size of the labels (px).
    family : str
        Font family.
    node_thickness : float
        Width of the node bars (px).
    width : float
        Figure width (px).

    Returns
    -------
    LinkLabelling
    """
    if not texts.texts:
        return LinkLabelling(texts, [], [])
    spots = _spots(drawn, geo, margin, node_thickness)
    canvas = (2.0, margin["t"] - 2.0, width - 2.0, margin["t"] + geo.plot_height + 2.0)
    taken: list[_Box] = [(b.left, b.top, b.right, b.bottom) for b in node_labels]
    taken += _node_bars(geo, margin, node_thickness)
    placed: list[LinkLabel] = []
    left_out: list[Hashable] = []
    for i in drawn["value"].sort_values(ascending=False, kind="stable").index:
        label = _first_free(i, texts.texts[i], spots.get(i, []), taken, canvas, size, family)
        if label is None:
            left_out.append(i)
            continue
        placed.append(label)
        taken.append((label.left, label.top, label.right, label.bottom))
    return LinkLabelling(texts, placed, left_out)


def _spots(
    drawn: pd.DataFrame, geo: Geometry, margin: dict[str, float], node_thickness: float
) -> dict[Hashable, list[_Spot]]:
    """Candidate centres of each band's label (figure px), in the order to try them."""
    ml, mt = margin["l"], margin["t"]
    ends = link_ends(geo, node_thickness)
    # a band cut at waypoints (a column it passes) has its spots on every piece, in order
    hidden = geo.nodes["ghost"] & ~geo.nodes.get("waypoint", False)
    spots: dict[Hashable, list[_Spot]] = {}
    for k, row in ends.iterrows():
        i, ends_ = geo.links.at[k, "link"], (geo.links.at[k, "source"], geo.links.at[k, "target"])
        if i in drawn.index and not any(hidden.at[n] for n in ends_):
            points = [bezier_point(row.x0, row.y0, row.x1, row.y1, t) for t in _ALONG]
            found = [_Spot(ml + x, mt + y, -np.inf, np.inf, row.width) for x, y in points]
            spots[i] = spots.get(i, []) + found
    for loop in geo.loops:
        spots[loop["link"]] = _lane_spots(loop, ml, mt)
    return spots


def _lane_spots(loop: LoopGeometry, ml: float, mt: float) -> list[_Spot]:
    """Candidate centres on a loop's lane, between its legs and clear of the corners."""
    low, high = ml + loop["leg_t"] + loop["radius"], ml + loop["leg_s"] - loop["radius"]
    y = mt + loop["lane"]
    return [
        _Spot(ml + loop["leg_t"] + f * (loop["leg_s"] - loop["leg_t"]), y, low, high, loop["width"])
        for f in _ALONG
    ]


def _node_bars(geo: Geometry, margin: dict[str, float], node_thickness: float) -> list[_Box]:
    """Boxes of the drawn node bars (figure px)."""
    real = geo.nodes[~geo.nodes["ghost"]]
    x = margin["l"] + real["x"] * geo.plot_width
    y = margin["t"] + real["y"] * geo.plot_height
    half = node_thickness / 2
    return [
        (cx - half, cy - h / 2, cx + half, cy + h / 2)
        for cx, cy, h in zip(x, y, real["height"], strict=True)
    ]


def _first_free(
    link: Hashable,
    label: str,
    spots: list[_Spot],
    taken: list[_Box],
    canvas: _Box,
    size: float,
    family: str,
) -> LinkLabel | None:
    """Return the label at the first spot inside its bounds and clear of ``taken``, or None.

    The spots are tried at the band's centre line first, then, where the band is thicker
    than the label, at its upper and lower edge inside the band. A label is kept inside the
    plot area's height, moved off the centre line by at most half its height (so it still
    lies across a band that runs along the plot's top or bottom edge).
    """
    width, height = text_width(label, size, family), line_height(size)
    tries = [(spot, 0.0) for spot in spots]
    for spot in spots:
        slack = spot.band / 2 - height / 2 - PAD - 1.0
        tries += [(spot, -slack), (spot, slack)] if slack > 0 else []
    reach = height / 2 + PAD
    for spot, dy in tries:
        # a band along the plot's top or bottom edge: the label moves in, still across it
        y = float(np.clip(spot.y + dy, canvas[1] + reach, canvas[3] - reach))
        box = LinkLabel(link, label, spot.x, y, width, height)
        edges = (box.left, box.top, box.right, box.bottom)
        inside = canvas[0] <= box.left and box.right <= canvas[2]
        inside &= abs(y - (spot.y + dy)) <= height / 2
        if inside and spot.low <= box.left and box.right <= spot.high:
            if not any(_overlap(edges, other) for other in taken):
                return box
    return None


def _overlap(a: _Box, b: _Box, gap: float = 1.0) -> bool:
    """Return whether two boxes overlap or come closer than ``gap`` px."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


# ----------------------------------------------------------------------------- output
def _names(links: pd.DataFrame, table: pd.DataFrame) -> dict[Hashable, str]:
    """Name each row ``"A → B"``, with its material where two rows share both ends."""

    def label(n: str) -> str:
        return str(table.at[n, "label"]) if n in table.index else str(n)

    shared = links.duplicated(["source", "target"], keep=False)
    names = {}
    for i, s, t in zip(links.index, links["source"], links["target"], strict=True):
        name = f"{label(s)} \u2192 {label(t)}"
        if shared[i] and "material" in links.columns and str(links.at[i, "material"]):
            name += f" ({links.at[i, 'material']})"
        names[i] = name
    return names


def link_notes(
    labelling: LinkLabelling, links: pd.DataFrame, table: pd.DataFrame, lang: str
) -> list[str]:
    """Return the note's lines on link labels (unwrapped): their meaning, and what is missing.

    Every band without a placed label, or labelled with its value only, is named (up to six,
    then counted), with its label, so none is dropped silently.
    """
    texts = labelling.texts
    notes = []
    if texts.mode in ("range", "sd"):
        notes.append(text(f"link_{texts.mode}", lang))
    names = _names(links, table)

    def items(rows: list[Hashable]) -> str:
        return shorten([f"{names[i]} {texts.texts[i]}" for i in rows], lang)

    if texts.no_range:
        n = len(texts.no_range)
        notes.append(text("link_no_range", lang).format(n=n, items=items(texts.no_range)))
    if texts.unknown:
        what = text("range", lang) if texts.mode == "range" else "\u00b1 sd"
        notes.append(
            text("link_unknown", lang).format(
                what=what, n=len(texts.unknown), items=items(texts.unknown)
            )
        )
    if labelling.left_out:
        n = len(labelling.left_out)
        notes.append(text("link_left_out", lang).format(n=n, items=items(labelling.left_out)))
    return notes


def link_annotation(
    label: LinkLabel, margin: dict[str, float], geo: Geometry, size: float
) -> dict[str, object]:
    """Return a link label as a plotly annotation (paper coordinates of the plot area)."""
    return {
        "text": label.text,
        "xref": "paper",
        "yref": "paper",
        "x": (label.x - margin["l"]) / geo.plot_width,
        "y": 1 - (label.y - margin["t"]) / geo.plot_height,
        "xanchor": "center",
        "yanchor": "middle",
        "showarrow": False,
        "borderpad": PAD,
        "bgcolor": LINK_LABEL_BACKGROUND,
        "font": {"size": size, "color": LINK_LABEL_COLOR},
        "name": "link_label",
    }


def link_meta(
    labelling: LinkLabelling, links: pd.DataFrame, table: pd.DataFrame
) -> dict[str, object]:
    """Return what ``layout.meta["msa_sankey"]["link_labels"]`` records.

    ``mode``; ``labelled``: one entry (``link``: row of the plan's links, ``name``,
    ``text``) per placed label, largest flow first; ``left_out`` likewise for the labels left
    out for lack of room; ``no_range`` and ``unknown``: the bands labelled with their value
    only.
    """
    texts, names = labelling.texts, _names(links, table)

    def entry(i: Hashable) -> dict[str, object]:
        return {"link": _plain(i), "name": names[i], "text": texts.texts[i]}

    return {
        "mode": texts.mode,
        "labelled": [entry(label.link) for label in labelling.placed],
        "left_out": [entry(i) for i in labelling.left_out],
        "no_range": [entry(i) for i in texts.no_range],
        "unknown": [entry(i) for i in texts.unknown],
    }


def _plain(i: Hashable) -> object:
    """Return a row id as plain Python (an int for numpy integers), for the figure's JSON."""
    return int(i) if isinstance(i, (int, np.integer)) else str(i)
