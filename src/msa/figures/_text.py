"""Node labels of a publication Sankey: measure, wrap, place beside the node, never overlap.

plotly places a Sankey node's label right of the node (left in d3's last layer), at one line
per ``<br>``, without wrapping, without looking at other labels or the canvas edge. msa draws
the labels itself as annotations:

* Text is measured with the font's own metrics (matplotlib's FreeType bindings reading the
  same DejaVu Sans chromium uses), so widths are those of the rendered image within a pixel.
* A name longer than ``max_width`` wraps at word boundaries; the value stays on its own line.
* A label sits right of its node, beyond the legs of any recycling loop leaving the node; a
  node in the right-most slot gets its label right of it too, and the figure's right margin
  grows to hold it (:func:`margins_needed`); left only if the right side cannot hold it.
* Labels whose boxes would overlap are pushed apart vertically, keeping their order; a label
  with no free side goes under or over its bar, if free there, before it moves far.
* A label keeps farther from every other node's bar than from its own.
* Where columns stand too close for a label beside its node (an 11-stage chain in a 16 cm
  column), the labels of the import and export bands go over and under their bars,
  centred and wrapped to the room between two columns; the layout keeps that room in the
  stack (``room_above``, ``room_below``).

All lengths are pixels; y grows downwards.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from msa.figures.labels import format_value, text

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from msa.figures.layout import Geometry, LayoutOptions

__all__ = [
    "LabelBox",
    "baseline_to_middle",
    "label_annotation",
    "label_boxes",
    "line_height",
    "margins_needed",
    "node_texts",
    "note_lines",
    "place_labels",
    "shorten",
    "text_width",
    "wrap",
]

#: plotly's line spacing of multi-line text, in ems.
_LINE_SPACING = 1.3
#: Gap between a node (or loop leg) and its label, and between labels, in px.
_GAP = 4.0
#: Padding of a label box (plotly's annotation ``borderpad``), in px.
PAD = 1.0
#: Farthest (px) a label over or under its bar moves sideways to clear a neighbour.
_NUDGE = 16.0
#: Rounds of placing a label that ended away from its node before the others.
_REORDERS = 3
#: Least px between two labels side by side (a word space at the largest label size).
_APART = 6.0


@functools.lru_cache(maxsize=8)
def _font(family: str) -> tuple[Any, Any]:
    """Return matplotlib's ``ft2font`` module and the FreeType font of ``family``."""
    try:
        from matplotlib import font_manager, ft2font
    except ImportError as err:  # pragma: no cover - matplotlib is in the plot extra
        raise ImportError('Sankey labels need matplotlib: pip install "msa[plot]"') from err
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    return ft2font, ft2font.FT2Font(path)


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float, family: str = "DejaVu Sans") -> float:
    """Width in px of one line of ``text`` at ``size`` px in ``family``.

    Examples
    --------
    >>> round(text_width("Recycling", 12))
    57
    """
    ft2font, font = _font(family)
    font.set_size(size, 72)  # 72 dpi: points are pixels
    flags = getattr(getattr(ft2font, "LoadFlags", None), "NO_HINTING", 2)
    font.set_text(text, 0.0, flags=flags)
    return font.get_width_height()[0] / 64.0


def baseline_to_middle(size: float, family: str = "DejaVu Sans") -> float:
    """Height in px from a line's baseline up to the middle of its box (ascent to descent).

    plotly centres a one-line annotation on that middle, so an annotation whose text must
    sit on a given baseline is placed this much above it.

    Examples
    --------
    >>> round(baseline_to_middle(12), 2)
    4.15
    """
    _, font = _font(family)
    return float((font.ascender + font.descender) / 2 / font.units_per_EM * size)


def line_height(size: float) -> float:
    """Height in px of one line of text (plotly's line spacing)."""
    return _LINE_SPACING * size


def wrap(text: str, max_width: float, size: float, family: str = "DejaVu Sans") -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` px, at spaces (greedy).

    A single word wider than ``max_width`` stays whole on its own line.

    Examples
    --------
    >>> wrap("Open loop (secondary material from other chains)", 150, 12)
    ['Open loop (secondary', 'material from other', 'chains)']
    """
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(trial, size, family) <= max_width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines or [""]


def node_texts(
    table: pd.DataFrame,
    drawn: pd.DataFrame,
    used: list[str],
    units: str,
    lang: str,
    per: float = 1.0,
) -> tuple[dict[str, str], dict[str, str]]:
    """Name and value line of each drawn node.

    The value is what the node carries, max(sum of inflows, sum of outflows). A stock node
    that only receives shows its net addition (``+x``), one that only sends its depletion
    (``−x (depletion)``): a target or source of a stock-change flow, or a node of kind stock.
    Values are divided by ``per`` and shown in ``units`` (see ``display_units``).
    """
    into = drawn.groupby("target")["value"].sum()
    out = drawn.groupby("source")["value"].sum()
    carried = np.maximum(into.reindex(used, fill_value=0.0), out.reindex(used, fill_value=0.0))
    is_stock = drawn["flow_type"].eq("stock")
    stocky = set(drawn.loc[is_stock, "target"]) | set(drawn.loc[is_stock, "source"])
    stocky |= set(table.index[table["kind"].eq("stock")])
    # a main-band stock that only receives, with no stock change drawn into it (an in-use
    # stock whose outflows are not in the data), shows what it receives: not a net addition
    in_use = set(table.index[table["kind"].eq("stock") & table["band"].eq("main")])
    in_use -= set(drawn.loc[is_stock, "target"])
    stock_in = (stocky - in_use) & (set(drawn["target"]) - set(drawn["source"]))
    stock_out = stocky & (set(drawn["source"]) - set(drawn["target"]))
    # A stock node that passes material on and keeps a stock change drawn into it (national
    # Voorraad): its in - out is not its change, so the label states the net addition.
    kept = (
        drawn[is_stock]
        .groupby("target")["value"]
        .sum()
        .sub(drawn[is_stock].groupby("source")["value"].sum(), fill_value=0.0)
    )
    # a passing stock process whose change is drawn to or from its own "<id> stock" node
    # shows the change on that node, not as its own net (a depletion is not an addition)
    own_node = {n for n in used if f"{n} stock" in stocky}
    keepers = set(table.index[table["kind"].eq("stock")]) - set(drawn.loc[is_stock, "source"])
    keepers -= own_node
    # a stock node fed by a depletion drawn reversed from its addition node (PGA Voorraadtoename
    # -> Voorraad) keeps nothing: the addition node's label states the depletion
    kinds = table["kind"].reindex(drawn["source"]).to_numpy()
    keepers -= set(drawn.loc[is_stock & (kinds == "stock"), "target"])
    names, values = {}, {}
    for n in used:
        value = format_value(float(carried[n]) / per, units, lang)
        if n in stock_in:
            value = "+" + value
        elif n in stock_out:
            value = f"\u2212{value} ({text('depletion', lang)})"
        elif n in keepers and kept.get(n, 0.0) != 0:
            net = format_value(abs(float(kept[n])) / per, units, lang)
            sign = "+" if kept[n] > 0 else "\u2212"
            value = f"{value}, {text('net', lang)} {sign}{net}"
        names[n], values[n] = str(table.at[n, "label"]), value
    return names, values


@dataclass
class LabelBox:
    """A placed label: its lines, anchor point (px), side and box (px, y down).

    ``side`` is where the label sits from its node: ``right``, ``left``, or ``above`` and
    ``below`` (centred on the bar).
    """

    node: str
    lines: list[str]
    x: float  # anchor: left edge of the text (right), right edge (left), or centre
    y: float  # vertical centre
    side: str
    width: float
    height: float

    @property
    def left(self) -> float:
        """Left edge of the box."""
        if self.side == "right":
            return self.x - PAD
        if self.side == "left":
            return self.x - self.width - PAD
        return self.x - self.width / 2 - PAD

    @property
    def right(self) -> float:
        """Right edge of the box."""
        return self.left + self.width + 2 * PAD

    @property
    def top(self) -> float:
        """Top edge of the box."""
        return self.y - self.height / 2 - PAD

    @property
    def bottom(self) -> float:
        """Bottom edge of the box."""
        return self.y + self.height / 2 + PAD

    @property
    def text(self) -> str:
        """The label as plotly text (lines joined by ``<br>``)."""
        return "<br>".join(self.lines)


def place_labels(
    nodes: list[str],
    names: dict[str, str],
    values: dict[str, str],
    x: dict[str, float],
    y: dict[str, float],
    *,
    right_clear: dict[str, float],
    left_clear: dict[str, float],
    canvas_left: float,
    canvas_right: float,
    max_width: float,
    size: float,
    family: str = "DejaVu Sans",
    heights: dict[str, float] | None = None,
    node_width: float = 0.0,
    canvas_top: float = -np.inf,
    canvas_bottom: float = np.inf,
    covered: dict[str, set[str]] | None = None,
    stacked: dict[str, str] | None = None,
    stacked_width: float = 0.0,
) -> list[LabelBox]:
    """Place one label per node, beside it, inside the canvas, clear of nodes and labels.

    Candidates for each node, tried in order: right of the node, then left, each wrapped at
    ``max_width``, then at 80 % and 60 % of it (a value line too wide breaks before its
    bracketed note). A side where the node's flows run (``covered``: left for inflows, right
    for outflows) comes last: a label on a free side wins over one on the flows, moved up or
    down by up to 1.5 times its height if something is in the way. Otherwise the first
    candidate that overlaps no label placed so far and no other node's bar wins; if none
    does, a free spot under or over the bar, else the one needing the smallest vertical
    shift is moved that far. A label always stays nearer its own bar than any other and
    within :data:`FAR` px of it where some spot allows. Nodes are labelled top to bottom; a
    label that found no spot by its node is then labelled first (:func:`_reordered`).

    Parameters
    ----------
    nodes : list of str
        Nodes to label, in drawing order.
    names, values : dict
        Name (wrapped) and value line (kept whole) of each node.
    x, y : dict
        Node centre in px of the figure (not the plot area).
    right_clear, left_clear : dict
        Distance from the node centre to the first free px on that side (node half
        thickness, or the outermost loop leg).
    canvas_left, canvas_right : float
        The horizontal extent labels must stay within (figure px).
    max_width : float
        Wrap names wider than this.
    size : float
        Font size in px.
    family : str
        Font family.
    heights : dict, optional
        Height of each node's bar (px), to keep labels off other nodes.
    node_width : float
        Width of the node bars (px).
    canvas_top, canvas_bottom : float
        The vertical extent labels stay within (the plot area: not over the legend or note).
    covered : dict, optional
        The sides (``"left"``, ``"right"``) of each node where its flows run.
    stacked : dict, optional
        Nodes whose label goes ``"above"`` or ``"below"`` the bar (the layout kept room
        there), centred on it and wrapped at ``stacked_width`` (narrower at the figure's
        left edge); beside the node only when that spot is taken (:func:`_stacked_spot`).
    stacked_width : float
        Wrap width of the labels of ``stacked``; also of a label of another node that goes
        under or over its bar because neither side is free (rather than moving far up or
        down its column).

    Returns
    -------
    list of LabelBox
    """
    # other nodes' bars, widened so that a label's box (``_GAP - PAD`` px from its own bar)
    # never comes nearer another node's bar than its own
    clear = _GAP - 2 * PAD
    bars = [
        LabelBox(
            n,
            [],
            x[n] - node_width / 2 - clear + PAD,
            y[n],
            "right",
            node_width + 2 * clear - 2 * PAD,
            h,
        )
        for n, h in (heights or {}).items()
        if n in x
    ]
    near = _Nearness(x, y, heights or {}, node_width, left_clear, right_clear)

    def centre(n: str, height: float) -> float:
        low, high = canvas_top + height / 2 + PAD, canvas_bottom - height / 2 - PAD
        return float(np.clip(y[n], low, high)) if low <= high else y[n]

    def over_under(n: str, side: str) -> list[LabelBox]:
        # first narrower by the figure's left edge, so the label stays centred on its bar
        edge = max(min(stacked_width, 2 * (x[n] - canvas_left - PAD)), stacked_width / 2)
        out = []
        for limit in dict.fromkeys((edge, stacked_width, 0.0)):  # 0: a word a line
            lines = _label_lines(names[n], values[n], limit, size, family)
            width = max(text_width(line, size, family) for line in lines)
            height = len(lines) * line_height(size)
            half = (heights or {}).get(n, 0.0) / 2 + _GAP + height / 2  # box _GAP - PAD off
            yc = y[n] - half if side == "above" else y[n] + half
            low, high = canvas_left + width / 2 + PAD, canvas_right - width / 2 - PAD
            xc = float(np.clip(x[n], low, high)) if low <= high else x[n]
            out.append(LabelBox(n, lines, xc, yc, side, width, height))
        return out

    def candidates(n: str) -> list[LabelBox]:
        out = []
        for limit in (max_width, 0.8 * max_width, 0.6 * max_width):
            lines = _label_lines(names[n], values[n], limit, size, family)
            width = max(text_width(line, size, family) for line in lines)
            height = len(lines) * line_height(size)
            yc = centre(n, height)
            right = x[n] + right_clear[n] + _GAP
            left = x[n] - left_clear[n] - _GAP
            if right + width + PAD <= canvas_right:
                out.append(LabelBox(n, lines, right, yc, "right", width, height))
            if left - width - PAD >= canvas_left:
                out.append(LabelBox(n, lines, left, yc, "left", width, height))
        if not out:  # nothing fits: the right side, widest wrap (the margin will grow)
            lines = [*wrap(names[n], max_width, size, family), values[n]]
            width = max(text_width(line, size, family) for line in lines)
            ax = x[n] + right_clear[n] + _GAP
            height = len(lines) * line_height(size)
            out.append(LabelBox(n, lines, ax, centre(n, height), "right", width, height))
        return out

    canvas = (canvas_left, canvas_top, canvas_right, canvas_bottom)

    def place(order: list[str]) -> list[LabelBox]:
        placed: list[LabelBox] = []
        for n in order:
            options = candidates(n)
            others = placed + [b for b in bars if b.node != n]
            free = [c for c in options if near.by(c) and not any(_overlap(o, c) for o in others)]
            sides = (covered or {}).get(n, set())
            if n in (stacked or {}):
                over = over_under(n, (stacked or {})[n])
                spot = _stacked_spot(over, options, free, others, sides, canvas, y[n], near=near)
            else:
                under = [*over_under(n, "below"), *over_under(n, "above")]
                spot = _beside_spot(options, free, others, sides, canvas, y[n], under, near=near)
            placed.append(spot)
        return placed

    placed = _reordered(place, sorted(nodes, key=lambda k: (y[k], x[k])), near)
    rank = {n: k for k, n in enumerate(nodes)}
    return sorted(placed, key=lambda b: rank[b.node])


def _reordered(
    place: Callable[[list[str]], list[LabelBox]], order: list[str], near: _Nearness
) -> list[LabelBox]:
    """Return the labels ``place`` puts down in ``order``, or in a better order.

    A label left away from its node, or squeezed to a word a line (its spots taken by labels
    placed before it), is placed first instead, if that leaves fewer labels away from their
    nodes, overlapping or squeezed (a label away or overlapping counts twice); up to
    :data:`_REORDERS` rounds.
    """

    def faults(boxes: list[LabelBox]) -> int:
        clashes = sum(_overlap(a, b, 0.0) for i, a in enumerate(boxes) for b in boxes[:i])
        away = sum(not near.by(b) for b in boxes)
        return 2 * (clashes + away) + sum(_squeezed(b) for b in boxes)

    placed = place(order)
    for _ in range(_REORDERS):
        lost = [b.node for b in placed if not near.by(b) or _squeezed(b)]
        trials = [place([n, *(k for k in order if k != n)]) for n in lost]
        best = min(trials, key=faults, default=placed)
        if faults(best) >= faults(placed):
            break
        placed, order = best, [b.node for b in best]
    return placed


def _label_lines(name: str, value: str, limit: float, size: float, family: str) -> list[str]:
    """Return a node label's lines: its name wrapped at ``limit`` px, then its value line.

    A value line wider than ``limit`` with a note in brackets breaks before the note
    ("−737 t" over "(depletion)").
    """
    if text_width(value, size, family) > limit and " (" in value:
        head, note = value.split(" (", 1)
        return [*wrap(name, limit, size, family), head, f"({note}"]
    return [*wrap(name, limit, size, family), value]


#: A label farther than this (px) from its own bar reads as detached from it.
FAR = 80.0


@dataclass(frozen=True)
class _Nearness:
    """Whether a label box sits by its own node: nearer its bar than any other bar, and near.

    A node's own bar counts with the room its loop legs keep beside it (``left_clear`` and
    ``right_clear``: px from the node's centre to the first free px on that side).
    """

    x: dict[str, float]
    y: dict[str, float]
    heights: dict[str, float]
    node_width: float
    left_clear: dict[str, float]
    right_clear: dict[str, float]

    def bar(self, n: str, *, own: bool = False) -> tuple[float, float, float, float]:
        """Box (left, top, right, bottom) of ``n``'s bar; ``own``: with its loop legs."""
        half = self.node_width / 2
        left = self.left_clear.get(n, half) if own else half
        right = self.right_clear.get(n, half) if own else half
        h = self.heights.get(n, 0.0) / 2
        return (self.x[n] - left, self.y[n] - h, self.x[n] + right, self.y[n] + h)

    def by(self, box: LabelBox) -> bool:
        """Return whether ``box`` is within :data:`FAR` px of its bar and no other is nearer."""
        edges = (box.left, box.top, box.right, box.bottom)
        if box.node not in self.x:
            return True
        mine = box_gap(edges, self.bar(box.node, own=True))
        others = (
            box_gap(edges, self.bar(n))
            for n in self.heights
            if n != box.node and n in self.x and self.heights[n] > 0
        )
        return mine <= FAR and mine <= min(others, default=np.inf) + 1.0


def box_gap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Return the distance (px) between two (left, top, right, bottom) boxes (0 if touching)."""
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    return float(np.hypot(dx, dy))


def _beside_spot(
    options: list[LabelBox],
    free: list[LabelBox],
    others: list[LabelBox],
    sides: set[str],
    canvas: tuple[float, float, float, float],
    y: float,
    over: list[LabelBox] | None = None,
    *,
    near: _Nearness,
) -> LabelBox:
    """Return where a label beside its node goes (see :func:`place_labels`).

    ``options`` are its candidates, ``free`` those clear of ``others`` and by their node
    (``near``), ``sides`` the sides its flows cover, ``canvas`` the (left, top, right,
    bottom) it stays within, ``y`` the node's centre.
    When no side is free, a clear spot in ``over`` (under or over the bar) wins over moving
    the label up or down its column; a label moved stays nearer its own bar than any other.
    """
    _, top, _, bottom = canvas

    open_sides = [c for c in options if c.side not in sides]
    if open_sides and not any(c.side not in sides for c in free):
        moved = _shift_clear(open_sides[0], others)
        inside = top <= moved.top and moved.bottom <= bottom
        if inside and abs(moved.y - open_sides[0].y) <= 1.5 * moved.height and near.by(moved):
            return moved
    # stable: free sides first, but a wrap of a word a line only after every other
    free = sorted(free, key=lambda c: (_squeezed(c), c.side in sides))
    if free:
        return free[0]
    spot = _clear_over_under(sorted(over or [], key=_squeezed), others, canvas, near.by)
    if spot is not None:
        return spot
    # never over the legend or the note when a move inside the plot area clears it, and by
    # its own node when a move keeps it there
    shifted = [_shift_clear(c, others, top, bottom) for c in options]
    kept = [c for c in shifted if top <= c.top and c.bottom <= bottom] or shifted
    return min(kept, key=lambda c: (not near.by(c), abs(c.y - y)))


def _stacked_spot(
    over: list[LabelBox],
    options: list[LabelBox],
    free: list[LabelBox],
    others: list[LabelBox],
    sides: set[str],
    canvas: tuple[float, float, float, float],
    y: float,
    *,
    near: _Nearness,
) -> LabelBox:
    """Return where a label meant over or under its bar goes (``over``: its wraps to try).

    Over (or under) the bar if nothing is in the way, or there moved sideways by up to
    :data:`_NUDGE` px (the label still spans its bar's centre); else a free spot beside the
    node (a free side first, e.g. right of a node in the last column); else over (under) the
    bar, moved up (down), away from the bar, until clear, if it stays inside ``canvas``
    (left, top, right, bottom) and by its node; else beside the node as :func:`_beside_spot`
    places it (``options``: the beside candidates, ``y``: the node's centre). A wrap of a
    word a line comes last at each step: moved away a little, a label keeps its lines.
    """
    _, top, _, bottom = canvas

    wraps = sorted(over, key=_squeezed)  # stable: widest first
    spot = _clear_over_under([w for w in wraps if not _squeezed(w)], others, canvas, near.by)
    if spot is not None:
        return spot
    beside = sorted(free, key=lambda c: c.side in sides)
    if beside:
        return beside[0]
    for box in wraps:
        away = _shift_clear(
            box, others, top, bottom, directions=(-1,) if box.side == "above" else (1,)
        )
        if top <= away.top and away.bottom <= bottom and near.by(away):
            return away
    spot = _clear_over_under([w for w in wraps if _squeezed(w)], others, canvas, near.by)
    if spot is not None:
        return spot
    return _beside_spot(options, free, others, sides, canvas, y, near=near)


def _squeezed(box: LabelBox) -> bool:
    """Return whether a label is wrapped to a word a line (four one-word lines or more)."""
    return sum(" " not in line for line in box.lines) >= 4


def _clear_over_under(
    boxes: list[LabelBox],
    others: list[LabelBox],
    canvas: tuple[float, float, float, float],
    by: Callable[[LabelBox], bool],
) -> LabelBox | None:
    """Return the first of ``boxes`` (over or under a bar) clear of ``others`` inside ``canvas``.

    Each may move sideways by up to :data:`_NUDGE` px, still spanning its bar's centre and
    inside ``canvas`` (left, top, right, bottom) and by its node (``by``); None when none is
    clear.
    """
    left, top, right, bottom = canvas
    for box in boxes:
        reach = min(_NUDGE, box.width / 2 - 2.0)
        for dx in (0.0, *(d * k for k in np.arange(2.0, reach + 1e-9, 2.0) for d in (1, -1))):
            moved = dataclasses.replace(box, x=box.x + dx)
            inside = left <= moved.left and moved.right <= right
            clear = not any(_overlap(o, moved) for o in others)
            if clear and inside and top <= moved.top and moved.bottom <= bottom and by(moved):
                return moved
    return None


def _shift_clear(
    box: LabelBox,
    others: list[LabelBox],
    top: float = -np.inf,
    bottom: float = np.inf,
    directions: tuple[int, ...] = (1, -1),
) -> LabelBox:
    """Return ``box`` moved down or up (whichever is less) until it overlaps none of ``others``.

    A move that keeps the box between ``top`` and ``bottom`` wins over one that does not;
    ``directions`` limits the moves (1 down, -1 up).
    """
    trials = []
    for direction in directions:
        trial = LabelBox(box.node, box.lines, box.x, box.y, box.side, box.width, box.height)
        for _ in range(len(others) + 1):
            clash = [o for o in others if _overlap(o, trial)]
            if not clash:
                break
            if direction > 0:
                trial.y = max(o.bottom for o in clash) + 1 + PAD + trial.height / 2
            else:
                trial.y = min(o.top for o in clash) - 1 - PAD - trial.height / 2
        trials.append(trial)
    inside = [t for t in trials if top <= t.top and t.bottom <= bottom]
    return min(inside or trials, key=lambda t: abs(t.y - box.y))  # a tie: the downward move


def _overlap(a: LabelBox, b: LabelBox, gap: float = 1.0) -> bool:
    """Return whether two boxes overlap (or come closer than ``gap`` px vertically).

    Two labels beside their bars also overlap nearer than :data:`_APART` px side by side
    (they would read as one line); a bar (a box without lines) keeps its own clearance.
    """
    beside = ("left", "right")
    apart = _APART if a.lines and b.lines and a.side in beside and b.side in beside else 0.0
    across = a.left < b.right + apart and b.left < a.right + apart
    return across and a.top < b.bottom + gap and b.top < a.bottom + gap


def margins_needed(boxes: list[LabelBox], left: float, right: float) -> tuple[float, float]:
    """How far (px) the boxes reach beyond ``left`` and ``right`` (0 when inside)."""
    if not boxes:
        return 0.0, 0.0
    lo = min(b.left for b in boxes)
    hi = max(b.right for b in boxes)
    return float(np.maximum(left - lo, 0.0)), float(np.maximum(hi - right, 0.0))


def label_boxes(
    geo: Geometry,
    m: dict[str, float],
    names: dict[str, str],
    values: dict[str, str],
    width: float,
    font_size: float,
    font_family: str,
    opt: LayoutOptions,
    slots: int,
    stacked: dict[str, str] | None = None,
    stacked_width: float = 0.0,
) -> list[LabelBox]:
    """Label boxes of the real nodes, in figure px, clear of the nodes and loop legs.

    ``m`` holds the figure margins (``l``, ``r``, ``t``, ``b``), ``width`` is the figure
    width and ``slots`` the number of main-band columns plus one (sets the wrap width);
    ``stacked`` names the nodes labelled over or under their bar, wrapped at
    ``stacked_width`` (see :func:`place_labels`).
    """
    gn = geo.nodes[~geo.nodes["ghost"]]
    spacing = 0.98 * geo.plot_width / max(slots - 1, 1)  # px between main columns
    x = {n: m["l"] + gx * geo.plot_width for n, gx in gn["x"].items()}
    y = {n: m["t"] + gy * geo.plot_height for n, gy in gn["y"].items()}
    half = opt.node_thickness / 2
    right = dict.fromkeys(gn.index, half)
    left = dict.fromkeys(gn.index, half)
    for loop in geo.loops:
        src, tgt, w = loop["source"], loop["target"], loop["width"]
        right[src] = max(right[src], m["l"] + loop["leg_s"] + w / 2 - x[src])
        left[tgt] = max(left[tgt], x[tgt] - (m["l"] + loop["leg_t"] - w / 2))
    return place_labels(
        list(gn.index),
        names,
        values,
        x,
        y,
        right_clear=right,
        left_clear=left,
        canvas_left=4.0,
        canvas_right=width - 4.0 + 0.4 * width,
        max_width=float(np.clip(spacing - opt.node_thickness - 12.0, 100.0, 190.0)),
        size=font_size,
        family=font_family,
        heights=gn["height"].to_dict(),
        node_width=opt.node_thickness,
        canvas_top=m["t"] - 4.0,
        canvas_bottom=m["t"] + geo.plot_height + 4.0,
        covered=covered_sides(geo),
        stacked=stacked,
        stacked_width=stacked_width,
    )


def covered_sides(geo: Geometry) -> dict[str, set[str]]:
    """Sides of each node where its flows run: left (inflows) and right (outflows)."""
    drawn = geo.links[geo.links["value"] > 0]
    sides: dict[str, set[str]] = {n: set() for n in geo.nodes.index}
    for n in drawn["target"]:
        sides[n].add("left")
    for n in drawn["source"]:
        sides[n].add("right")
    return sides


def note_lines(
    table: pd.DataFrame,
    units: str,
    lang: str,
    thin: pd.DataFrame,
    zero: pd.DataFrame,
    uncertain: pd.DataFrame,
    scale: float | None,
    footnotes: tuple[str, ...],
    width: float,
    size: float,
    px: float,
    per: float = 1.0,
    series: tuple[str, ...] = (),
) -> list[str]:
    """Return the note under the figure, wrapped to ``width`` px (thin, zero, unsettled, ...).

    With a fixed ``scale`` the last line states it; ``series`` names the figures drawn at the
    same scale (:func:`msa.figures.sankey_series`), and the line says they share it.
    """

    def name(n: str) -> str:
        return str(table.at[n, "label"]) if n in table.index else str(n)

    def listing(frame: pd.DataFrame, values: bool = True) -> list[str]:
        return [
            f"{name(s)} \u2192 {name(t)}"
            + (f" {format_value(v / per, units, lang)}" if values else "")
            for s, t, v in zip(frame["source"], frame["target"], frame["value"], strict=True)
        ]

    notes = []
    if len(thin):
        below = format_value(px, "px", lang)
        notes.append(text("small", lang).format(px=below, items=shorten(listing(thin), lang)))
    if len(zero):
        notes.append(text("zero", lang).format(items=shorten(listing(zero, False), lang)))
    if len(uncertain):
        notes.append(text("uncertain", lang).format(items=shorten(listing(uncertain), lang)))
    notes.extend(footnotes)
    if scale is not None:
        value = format_value(scale / per, units, lang)
        if series:
            notes.append(text("scale_series", lang).format(value=value, items=", ".join(series)))
        else:
            notes.append(text("scale", lang).format(value=value))
    return [line for note in notes for line in wrap(note, width, size)]


#: Halo of a label that sits over the node's own flows: white copies of the text offset by 1 px
#: around it (CSS text-shadow without blur, so PDF keeps it as vector text), which keeps the
#: letters legible on a band without cutting a pale box into it; a label in free space has none.
LABEL_HALO = ", ".join(f"{x}px {y}px 0 white" for x in (-1, 0, 1) for y in (-1, 0, 1) if x or y)


def label_annotation(
    box: LabelBox,
    m: dict[str, float],
    geo: Geometry,
    font_size: float,
    covered: set[str] | None = None,
) -> dict[str, object]:
    """Return a node label as a plotly annotation (paper coordinates of the plot area).

    The label gets a white halo only where it sits over the node's own flows (``covered``:
    the sides where they run, see :func:`covered_sides`).
    """
    over_flows = box.side in (covered or set())
    anchor = {"right": "left", "left": "right"}.get(box.side, "center")
    return {
        "text": box.text,
        "xref": "paper",
        "yref": "paper",
        "x": (box.x - m["l"]) / geo.plot_width,
        "y": 1 - (box.y - m["t"]) / geo.plot_height,
        "xanchor": anchor,
        "yanchor": "middle",
        "align": anchor,
        "showarrow": False,
        "borderpad": PAD,
        "font": {"size": font_size, "color": "#1A1A1A"}
        | ({"shadow": LABEL_HALO} if over_flows else {}),
        "name": f"label:{box.node}",
    }


def shorten(items: list[str], lang: str, limit: int = 6) -> str:
    """Join ``items`` with ``"; "``, naming at most ``limit`` of them and counting the rest."""
    if len(items) <= limit:
        return "; ".join(items)
    return "; ".join(items[:limit]) + "; " + text("more", lang).format(n=len(items) - limit)
