"""Check a planned Sankey's geometry: bands through node bars, overlapping labels, crossings.

A :class:`~msa.figures.plan.SankeyPlan` fixes every shape before plotly draws it, so what a
reader would see as a fault can be measured on the plan:

* a band (a link, drawn as plotly's cubic Bézier at its width, or a recycling loop's stroke)
  that runs across the bar of a node it neither leaves nor enters;
* a node label that overlaps another node label or any node bar, a link label that overlaps a
  node label, a node bar or another link label;
* a node label nearer to another node's bar than to its own (a label by the wrong node);
* a legend entry (swatch and name) or title that overlaps a node or link label;
* the number of pairs of bands whose centre lines cross (:func:`band_crossings`).

Every length is in px of the figure (the plot area shifted by the margins), y downwards. Two
shapes overlap when they share more than :data:`TOLERANCE` px in both directions: a band that
grazes a bar by a sub-pixel rounding is not a fault.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from msa.figures._link_labels import link_ends
from msa.figures._text import FAR, baseline_to_middle, box_gap, line_height, text_width
from msa.figures.plan import LEGEND_SWATCH, LEGEND_SWATCH_X, LEGEND_TEXT_X, LEGEND_TITLE_X

if TYPE_CHECKING:  # pragma: no cover
    from msa.figures.layout import LoopGeometry
    from msa.figures.plan import SankeyPlan

__all__ = [
    "TOLERANCE",
    "Band",
    "Overlaps",
    "band_crossings",
    "bands",
    "labels_over_bands",
    "legend_boxes",
    "node_bars",
    "overlaps",
    "summary",
]

#: Overlap (px) in both directions below which two shapes count as touching, not overlapping.
TOLERANCE = 1.0
#: Points sampled along each band's Bézier.
_SAMPLES = 96

_Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class Band:
    """One drawn band: its ends, width and centre line (figure px).

    ``x`` and ``y`` sample the centre line; the band covers ``y - width / 2`` to
    ``y + width / 2`` at each ``x`` (a Bézier band: plotly offsets its edges vertically), or,
    for a loop's stroke, ``width`` across each segment (``loop`` is True).
    """

    link: Hashable
    source: str
    target: str
    width: float
    x: np.ndarray
    y: np.ndarray
    loop: bool = False


@dataclass(frozen=True)
class Overlaps:
    """What :func:`overlaps` finds in a plan; every list empty means a clean figure.

    Attributes
    ----------
    band_bar : list of (str, str, str)
        ``(source, target, node)``: a band from ``source`` to ``target`` runs across the bar of
        ``node``.
    label_label : list of (str, str)
        Two labels whose boxes overlap (``node:<id>`` or ``link:<row>``).
    label_bar : list of (str, str)
        A label (``node:<id>`` or ``link:<row>``) over the bar of a node.
    detached : list of str
        Nodes whose label sits nearer another node's bar than its own, or far from it.
    outside : list of str
        Labels (``node:<id>`` or ``link:<row>``) reaching above or below the plot area, over
        the title, legend or note.
    crossings : int
        Pairs of bands whose centre lines cross.
    legend_label : list of (str, str)
        A legend item (``legend:<group>:<entry>`` or ``legend_title:<group>``) and a label
        (``node:<id>`` or ``link:<row>``) whose boxes overlap.
    """

    band_bar: list[tuple[str, str, str]]
    label_label: list[tuple[str, str]]
    label_bar: list[tuple[str, str]]
    detached: list[str]
    crossings: int
    outside: list[str] = dataclasses.field(default_factory=list)
    legend_label: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def faults(self) -> int:
        """Number of overlaps, detached labels and labels outside (crossings are not faults)."""
        found = (
            self.band_bar,
            self.label_label,
            self.label_bar,
            self.detached,
            self.outside,
            self.legend_label,
        )
        return sum(len(f) for f in found)


def node_bars(plan: SankeyPlan) -> dict[str, _Box]:
    """Return the box ``(left, top, right, bottom)`` of every drawn node bar (figure px)."""
    geo, m = plan.geo, plan.margin
    real = geo.nodes[~geo.nodes["ghost"]]
    half = plan.spacing.node_thickness / 2
    x = m["l"] + real["x"] * geo.plot_width
    y = m["t"] + real["y"] * geo.plot_height
    return {
        str(n): (cx - half, cy - h / 2, cx + half, cy + h / 2)
        for n, cx, cy, h in zip(real.index, x, y, real["height"], strict=True)
        if h > 0
    }


def legend_boxes(plan: SankeyPlan) -> dict[str, _Box]:
    """Return the box of every legend item (figure px): each entry's swatch and name, titles.

    Entries are keyed ``legend:<group title>:<entry>``, titles ``legend_title:<group title>``;
    a text's box is one line high around its middle, as wide as the font measures it.
    """
    size, family, left = plan.options.font_size, plan.options.font_family, plan.margin["l"]
    rise, half_line = baseline_to_middle(size, family), line_height(size) / 2
    half = LEGEND_SWATCH / 2
    out: dict[str, _Box] = {}
    for group in plan.legend:
        top = plan.margin["t"] - group.below - group.box
        middle = top + group.title_baseline - rise
        x = left + LEGEND_TITLE_X
        out[f"legend_title:{group.title}"] = (
            x,
            middle - half_line,
            x + text_width(group.title, size, family),
            middle + half_line,
        )
        for e in group.entries:
            middle = top + e.baseline - rise
            swatch = left + e.x + LEGEND_SWATCH_X
            out[f"legend:{group.title}:{e.name}"] = (
                swatch - half,
                min(middle - half_line, top + e.y - half),
                left + e.x + LEGEND_TEXT_X + text_width(e.name, size, family),
                max(middle + half_line, top + e.y + half),
            )
    return out


def bands(plan: SankeyPlan) -> list[Band]:
    """Return every visible band of a plan: forward links and recycling loops (figure px)."""
    geo, m = plan.geo, plan.margin
    ends = link_ends(geo, plan.spacing.node_thickness)
    # loop ends and the ballast are invisible; a waypoint joins two drawn pieces of a band
    ghost = geo.nodes["ghost"] & ~geo.nodes.get("waypoint", False)
    t = np.linspace(0.0, 1.0, _SAMPLES)
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    out = []
    for k, row in ends.iterrows():
        s, g = geo.links.at[k, "source"], geo.links.at[k, "target"]
        if ghost[s] or ghost[g] or row.width <= 0:
            continue
        xc = (row.x0 + row.x1) / 2
        x = a * row.x0 + (b + c) * xc + d * row.x1
        y = (a + b) * row.y0 + (c + d) * row.y1
        link = geo.links.at[k, "link"]
        out.append(Band(link, str(s), str(g), float(row.width), m["l"] + x, m["t"] + y))
    out += [_loop_band(loop, m) for loop in geo.loops]
    return out


def _loop_band(loop: LoopGeometry, m: dict[str, float]) -> Band:
    """Return a loop's stroke as a band: the corners of its route (figure px)."""
    xs, xt, lane = loop["leg_s"], loop["leg_t"], loop["lane"]
    x = np.array([loop["x_s"], xs, xs, xt, xt, loop["x_t"]]) + m["l"]
    y = np.array([loop["y_s"], loop["y_s"], lane, lane, loop["y_t"], loop["y_t"]]) + m["t"]
    return Band(loop["link"], loop["source"], loop["target"], loop["width"], x, y, loop=True)


def _band_boxes(band: Band) -> Iterator[_Box]:
    """Yield boxes covering a band: one per segment, as tall (or wide) as the band."""
    half = band.width / 2
    for x0, y0, x1, y1 in zip(band.x[:-1], band.y[:-1], band.x[1:], band.y[1:], strict=True):
        if band.loop:
            yield (min(x0, x1) - half, min(y0, y1) - half, max(x0, x1) + half, max(y0, y1) + half)
        else:  # a vertical band section: the edges are the centre line -+ half the width
            yield (min(x0, x1), min(y0, y1) - half, max(x0, x1), max(y0, y1) + half)


def _overlap(a: _Box, b: _Box, tol: float = TOLERANCE) -> bool:
    """Return whether two boxes share more than ``tol`` px in both directions."""
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def band_crossings(drawn: list[Band]) -> int:
    """Return the number of pairs of bands whose centre lines cross.

    Two polylines cross where a segment of one properly intersects a segment of the other
    (both parameters strictly inside); bands that only meet at a shared node do not cross.

    Examples
    --------
    >>> x = np.array([0.0, 10.0])
    >>> up = Band(0, "a", "b", 1.0, x, np.array([0.0, 10.0]))
    >>> down = Band(1, "c", "d", 1.0, x, np.array([10.0, 0.0]))
    >>> band_crossings([up, down])
    1
    """
    segs = [np.column_stack([b.x[:-1], b.y[:-1], b.x[1:], b.y[1:]]) for b in drawn if len(b.x) > 1]
    count = 0
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            if _cross(segs[i], segs[j]):
                count += 1
    return count


def _cross(p: np.ndarray, q: np.ndarray) -> bool:
    """Return whether any segment of ``p`` properly intersects any segment of ``q``."""
    if (
        p[:, [0, 2]].max() < q[:, [0, 2]].min()
        or q[:, [0, 2]].max() < p[:, [0, 2]].min()
        or p[:, [1, 3]].max() < q[:, [1, 3]].min()
        or q[:, [1, 3]].max() < p[:, [1, 3]].min()
    ):
        return False
    px, py = p[:, 0][:, None], p[:, 1][:, None]
    rx, ry = (p[:, 2] - p[:, 0])[:, None], (p[:, 3] - p[:, 1])[:, None]
    qx, qy = q[:, 0][None, :], q[:, 1][None, :]
    sx, sy = (q[:, 2] - q[:, 0])[None, :], (q[:, 3] - q[:, 1])[None, :]
    denom = rx * sy - ry * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((qx - px) * sy - (qy - py) * sx) / denom
        u = ((qx - px) * ry - (qy - py) * rx) / denom
    eps = 1e-6
    hit = (denom != 0) & (t > eps) & (t < 1 - eps) & (u > eps) & (u < 1 - eps)
    return bool(hit.any())


def overlaps(plan: SankeyPlan) -> Overlaps:
    """Return the bands through bars, label overlaps, detached labels and crossings of a plan.

    Parameters
    ----------
    plan : SankeyPlan
        A planned figure (:func:`msa.figures.plan.plan_sankey`).

    Returns
    -------
    Overlaps

    Examples
    --------
    >>> import msa
    >>> from msa.figures.links import links_from_system
    >>> from msa.figures.plan import SankeyOptions, plan_sankey
    >>> plan = plan_sankey(links_from_system(msa.load_example(), 2021), None, SankeyOptions())
    >>> overlaps(plan).band_bar
    []
    """
    bars = node_bars(plan)
    drawn = bands(plan)
    band_bar = []
    for band in drawn:
        boxes = list(_band_boxes(band))
        for node, bar in bars.items():
            if node in (band.source, band.target):
                continue
            if any(_overlap(box, bar) for box in boxes):
                band_bar.append((band.source, band.target, node))
    labels: dict[str, _Box] = {
        f"node:{b.node}": (b.left, b.top, b.right, b.bottom) for b in plan.labels
    }
    labels |= {
        f"link:{lb.link}": (lb.left, lb.top, lb.right, lb.bottom) for lb in plan.link_labels.placed
    }
    names = list(labels)
    label_label = [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if _overlap(labels[a], labels[b])
    ]
    label_bar = [(a, n) for a in names for n, bar in bars.items() if _overlap(labels[a], bar)]
    top, bottom = plan.margin["t"] - 4.0, plan.margin["t"] + plan.geo.plot_height + 4.0
    outside = [
        a for a in names if labels[a][1] < top - TOLERANCE or labels[a][3] > bottom + TOLERANCE
    ]
    legend = legend_boxes(plan)
    legend_label = [
        (item, a) for item, box in legend.items() for a in names if _overlap(box, labels[a])
    ]
    return Overlaps(
        legend_label=legend_label,
        outside=outside,
        band_bar=band_bar,
        label_label=label_label,
        label_bar=label_bar,
        detached=_detached(plan, bars),
        crossings=band_crossings(drawn),
    )


def _detached(plan: SankeyPlan, bars: dict[str, _Box]) -> list[str]:
    """Nodes whose label is nearer another node's bar than its own, or far from its own.

    The room a label keeps for the legs of recycling loops beside its node counts as part of
    its own bar.
    """
    clear = _loop_room(plan)
    out = []
    for box in plan.labels:
        own = bars.get(box.node)
        if own is None:
            continue
        room = clear.get(box.node, (0.0, 0.0))
        widened = (own[0] - room[0], own[1], own[2] + room[1], own[3])
        label = (box.left, box.top, box.right, box.bottom)
        mine = box_gap(label, widened)
        nearest = min(
            (box_gap(label, bar) for n, bar in bars.items() if n != box.node), default=np.inf
        )
        if mine > FAR or nearest + TOLERANCE < mine:
            out.append(box.node)
    return out


def _loop_room(plan: SankeyPlan) -> dict[str, tuple[float, float]]:
    """Room (px) left and right of each node's bar taken by loop legs."""
    room: dict[str, tuple[float, float]] = {}
    for loop in plan.geo.loops:
        s, t, w = loop["source"], loop["target"], loop["width"]
        left, right = room.get(s, (0.0, 0.0))
        room[s] = (left, max(right, loop["leg_s"] + w / 2 - loop["x_s"]))
        left, right = room.get(t, (0.0, 0.0))
        room[t] = (max(left, loop["x_t"] - loop["leg_t"] + w / 2), right)
    return room


def labels_over_bands(plan: SankeyPlan) -> set[str]:
    """Return the nodes whose label box lies over a drawn band (it needs a background there).

    A label in free space needs no background; one over a band gets a light box so it reads,
    and only then (a box over nothing cuts a pale patch into whatever is near).
    """
    boxes = [box for band in bands(plan) for box in _band_boxes(band)]
    return {
        b.node
        for b in plan.labels
        if any(_overlap((b.left, b.top, b.right, b.bottom), box) for box in boxes)
    }


def summary(plan: SankeyPlan) -> pd.Series:
    """Return the counts of :func:`overlaps` as a Series (for tables and tests)."""
    found = overlaps(plan)
    return pd.Series(
        {
            "band_bar": len(found.band_bar),
            "label_label": len(found.label_label),
            "label_bar": len(found.label_bar),
            "detached": len(found.detached),
            "legend_label": len(found.legend_label),
            "crossings": found.crossings,
        }
    )
