"""Geometry of a publication Sankey: columns, bands, recycling loops and an exact scale.

plotly's ``go.Sankey`` (d3-sankey) sizes every node so that its busiest *d3 layer* fills the plot
height; the layers are d3's own (longest path from a source, sinks pushed to the last layer), not
our stage columns, and a graph with a cycle switches to d3-sankey-circular, whose scale also
depends on loop margins and a final stretch. Neither gives a predictable pixels-per-tonne. This
module therefore owns the layout:

* Nodes sit at explicit positions (``arrangement="fixed"``): main-chain nodes in stage columns,
  imports/reserves in a top band (half a column before their target), exports, losses, disposal
  and stock additions in a bottom band (half a column after their source).
* A backward flow (recycling) is cut out of the graph plotly sees. Two invisible ghost nodes
  below the diagram take its place (``source => ghost-out`` and ``ghost-in => target``, drawn in
  the flow's colour), and a stroked path of exactly the flow's width joins them underneath, so
  the loop runs back visibly while plotly's graph stays acyclic.
* The scale ``ky`` (px per unit) is imposed on d3: with node padding 0, d3 computes
  ``ky = min over layers (H / layer total)``; an invisible ballast link, placed in d3's first and
  last layers and off-canvas, brings the binding layer total to exactly ``H / ky``.

All lengths here are pixels of the plot area (figure minus margins), y downwards.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import numpy as np
import pandas as pd

from msa.errors import RenderError

__all__ = [
    "GHOST_PREFIX",
    "WAYPOINT_PREFIX",
    "Geometry",
    "LayoutOptions",
    "LoopGeometry",
    "layers",
    "layout",
    "node_values",
]

#: Prefix of ghost node ids (loop ends and ballast), which the figure never labels.
GHOST_PREFIX = "__msa_ghost__:"
#: Prefix of waypoint ids: ghost nodes a link skipping a column passes, drawn in its colour.
WAYPOINT_PREFIX = f"{GHOST_PREFIX}via:"


@dataclass(frozen=True)
class LayoutOptions:
    """Spacing of the layout, in pixels of the plot area."""

    node_thickness: float = 14.0
    node_pad: float = 14.0
    band_gap: float = 34.0
    loop_gap: float = 10.0
    barycentre_sweeps: int = 4
    x_margin_left: float = 0.01
    x_margin_right: float = 0.01


class LoopGeometry(TypedDict):
    """One recycling loop of a :class:`Geometry`, in px of the plot area (y down).

    The stroke leaves its source at ``(x_s, y_s)``, turns down at ``leg_s``, runs back left
    along ``lane`` under the diagram, turns up at ``leg_t`` and enters its target at
    ``(x_t, y_t)``; ``radius`` rounds the corners. ``path`` is that route as an SVG path in
    paper coordinates. The last five keys are filled by :func:`layout` once the legs and lanes
    of all loops are known; every loop of a :class:`Geometry` has them.
    """

    link: Hashable  # row id of the looped flow in the input links
    source: str
    target: str
    width: float  # stroke width: the flow's value times ky
    x_s: float
    y_s: float
    x_t: float
    y_t: float
    leg_s: NotRequired[float]
    leg_t: NotRequired[float]
    radius: NotRequired[float]
    lane: NotRequired[float]
    path: NotRequired[str]


@dataclass
class Geometry:
    """The result of :func:`layout`: everything needed to draw the figure.

    ``nodes`` has one row per node drawn by plotly (real and ghost) with columns ``x``, ``y``
    (centre, as fractions of the plot area, y downwards), ``height`` (px), ``value``, ``ghost``
    (bool) and ``layer`` (d3's layer). ``links`` has ``source``, ``target`` (node ids), ``value``,
    ``link`` (index of the originating row of the input links, -1 for ballast). ``loops`` holds
    one :class:`LoopGeometry` per recycling loop, outermost first, with the path (in paper
    coordinates) and the stroke width.
    """

    ky: float
    plot_width: float
    plot_height: float
    nodes: pd.DataFrame
    links: pd.DataFrame
    loops: list[LoopGeometry] = field(default_factory=list)

    @property
    def units_per_px(self) -> float:
        """The scale actually used: data units per pixel."""
        return 1.0 / self.ky


# ----------------------------------------------------------------------------- d3's view
def layers(node_ids: list[str], links: pd.DataFrame) -> pd.Series:
    """Return the layer d3-sankey gives each node (``computeNodeDepths`` + ``sankeyJustify``).

    A node's layer is its longest path from a source; nodes without outflows (sinks) move to
    the last layer. d3 fits its scale per layer (see :func:`node_values`), so this is what
    the ballast of :func:`layout` and the tests replicate.

    Parameters
    ----------
    node_ids : list of str
        Every node of the graph plotly gets (real and ghost).
    links : DataFrame
        ``source`` and ``target`` node ids; the graph must be acyclic.

    Returns
    -------
    Series
        The layer (int, from 0) of each node, indexed by node id in the order of ``node_ids``.

    Raises
    ------
    RenderError
        The graph still has a cycle (an internal error: :func:`layout` cuts the loops).

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["A", "B", "A"], "target": ["B", "C", "D"]})
    >>> layers(["A", "B", "C", "D"], links).to_dict()
    {'A': 0, 'B': 1, 'C': 2, 'D': 2}
    """
    succ: dict[str, set[str]] = {n: set() for n in node_ids}
    has_out = dict.fromkeys(node_ids, False)
    for s, t in zip(links["source"], links["target"], strict=True):
        succ[s].add(t)
        has_out[s] = True
    depth: dict[str, int] = {}
    current, level = set(node_ids), 0
    while current:
        nxt: set[str] = set()
        for n in current:
            depth[n] = level
            nxt |= succ[n]
        level += 1
        if level > len(node_ids):  # pragma: no cover - guarded by the loop cut upstream
            raise RenderError("internal: the graph given to plotly still has a cycle")
        current = nxt
    n_layers = max(depth.values()) + 1
    return pd.Series({n: depth[n] if has_out[n] else n_layers - 1 for n in node_ids})


def node_values(node_ids: list[str], links: pd.DataFrame) -> pd.Series:
    """Return d3-sankey's value of each node: the larger of its inflow and outflow totals.

    d3 sizes a node by this value, and with node padding 0 its scale is
    ``min over layers (plot height / sum of node values in the layer)``.

    Parameters
    ----------
    node_ids : list of str
        The nodes to value; a node without links gets 0.
    links : DataFrame
        ``source``, ``target`` (node ids) and ``value``.

    Returns
    -------
    Series
        The value of each node, indexed by node id in the order of ``node_ids``.

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "value": [5.0, 3.0]})
    >>> node_values(["A", "B", "C"], links).to_dict()
    {'A': 5.0, 'B': 5.0, 'C': 3.0}
    """
    out = links.groupby("source")["value"].sum().reindex(node_ids, fill_value=0.0)
    inn = links.groupby("target")["value"].sum().reindex(node_ids, fill_value=0.0)
    return np.maximum(out, inn)


# ----------------------------------------------------------------------------- the layout
def layout(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    *,
    plot_width: float,
    plot_height: float | None,
    ky: float | None,
    options: LayoutOptions | None = None,
    grow: bool = False,
) -> Geometry:
    """Place nodes and loops, and fix the scale.

    Parameters
    ----------
    nodes : DataFrame
        Indexed by node id, in drawing order, with columns ``column`` (stage column, int),
        ``band`` ("top", "main", "bottom"), and optional ``room`` (px the node's label needs:
        a node takes the larger of its bar and its room in its column's stack, so labels of
        thin nodes stay beside them), ``room_above`` and ``room_below`` (px of a label set
        over or under the bar, added to its place in the stack; the bar sits under its room
        above).
    links : DataFrame
        ``source``, ``target``, ``value`` (> 0), indexed by the row id of the input link.
    plot_width, plot_height : float
        Size of the plot area in px. ``plot_height`` is the height to fit (fit-to-page) or,
        with ``ky``, a minimum height.
    ky : float, optional
        Fixed scale in px per unit. Without it the diagram is fitted to ``plot_height``.
    options : LayoutOptions, optional
        Spacing.
    grow : bool, default False
        When the labels' room does not fit ``plot_height``, make the plot area taller (by a
        third more than the room, so the bars still show) instead of stacking the bars alone:
        a print preset keeps every label inside the plot, beside its node.

    Returns
    -------
    Geometry
    """
    opt = options or LayoutOptions()
    slot = _slots(nodes, links)
    fwd, loops = _split_loops(links, slot, nodes["band"])
    nodes, slot, fwd = _waypoints(nodes, slot, fwd)
    node_ids = list(nodes.index)
    # Values as d3 sees them: loop flows still leave their source and enter their target.
    value = node_values(node_ids, pd.concat([fwd, loops[["source", "target", "value"]]]))
    graph_links, ghosts = _plotly_graph(fwd, loops)
    all_ids = node_ids + [g for pair in ghosts for g in pair]
    layer_totals = node_values(all_ids, graph_links).groupby(layers(all_ids, graph_links)).sum()
    room = _room(nodes, slot, value, loops, float(layer_totals.max()), plot_width, opt)
    if "room" in nodes.columns and ky is None and not room.fits(0.0, plot_height or 0.0):
        if grow and room.fits(0.0, np.inf):  # a taller page: every label beside its node
            plot_height = float(np.ceil(room.needed(0.0) * 4 / 3))
        else:  # the labels' room does not fit the page: stack the bars alone (labels may shift)
            nodes = nodes.drop(columns=["room", "room_above", "room_below"], errors="ignore")
            room = _room(nodes, slot, value, loops, float(layer_totals.max()), plot_width, opt)
    ky, height = _scale(room, ky, plot_width, plot_height, float(value.max()))

    hgt = value * ky
    band_h = room.heights(ky)

    def stack(order: list[str]) -> pd.Series:
        return _stack(order, nodes, slot, hgt, band_h, opt)

    y = _reduce_crossings(nodes, slot, fwd, stack, opt.barycentre_sweeps)
    x = _columns_x(slot, room.beside(ky), plot_width, room.inner_width, opt)
    rows = [
        {
            "node": n,
            "x": x[n],
            "y": y[n],
            "height": hgt[n],
            "value": value[n],
            "ghost": n.startswith(WAYPOINT_PREFIX),
            "waypoint": n.startswith(WAYPOINT_PREFIX),
        }
        for n in node_ids
    ]
    ghost_rows, loop_geoms = _loop_ends(loops, fwd, ghosts, x, y, hgt, ky, opt)
    if loop_geoms:
        _loop_legs(loop_geoms, opt)
        _loop_lanes(loop_geoms, _diagram_bottom(band_h, opt) + opt.band_gap, opt)
        for geom in loop_geoms:
            geom["path"] = _loop_path(geom, plot_width, height)
    geo_nodes = pd.DataFrame(rows + ghost_rows).set_index("node")
    geo_nodes, graph_links = _add_ballast(
        geo_nodes, graph_links, layer_totals, height=height, ky=ky, plot_width=plot_width
    )
    geo_nodes["layer"] = layers(list(geo_nodes.index), graph_links)
    graph_links = _stacking_order(geo_nodes, graph_links, ghosts)
    geo_nodes["x"] = geo_nodes["x"] / plot_width
    geo_nodes["y"] = geo_nodes["y"] / height
    geo_nodes["ghost"] = geo_nodes["ghost"].astype(bool)
    geo_nodes["waypoint"] = geo_nodes["waypoint"].astype(bool)
    return Geometry(
        ky=float(ky),
        plot_width=float(plot_width),
        plot_height=float(height),
        nodes=geo_nodes,
        links=graph_links,
        loops=loop_geoms,
    )


# ----------------------------------------------------------------------------- columns, loops
def _slots(nodes: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Horizontal slot of every node: stage column for the main band, +-0.5 for the bands."""
    column = nodes["column"].astype(float)
    band = nodes["band"]
    slot = column.where(band.eq("main"))
    # Outer nodes take their slot from neighbours already placed: main nodes first, then
    # outer nodes fed by outer nodes (Disposal -> Landfill), as far as the chain goes.
    # (Plain dicts: a sweep reads slots placed earlier in the same sweep.)
    placed = {n: s for n, s in slot.items() if not np.isnan(s)}
    bands = dict(band.items())
    targets: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for s, t in zip(links["source"], links["target"], strict=True):
        targets.setdefault(s, []).append(t)
        sources.setdefault(t, []).append(s)
    for _ in range(len(nodes)):
        todo = [n for n in nodes.index if n not in placed and bands[n] != "main"]
        if not todo:
            break
        progressed = False
        for node in todo:
            if bands[node] == "top" and node in targets:
                cols = [placed[t] for t in targets[node] if t in placed]
                value = min(cols) - 0.5 if cols else np.nan
            elif bands[node] == "top":  # a sink in the top band: re-exports, after the source
                cols = [placed[s] for s in sources.get(node, []) if s in placed]
                value = max(cols) + 1.0 if cols else np.nan
            else:
                cols = [placed[s] for s in sources.get(node, []) if s in placed]
                value = max(cols) + 0.5 if cols else np.nan
            if np.isfinite(value):
                placed[node], progressed = value, True
        if not progressed:
            break
    slot = pd.Series([placed.get(n, np.nan) for n in nodes.index], index=nodes.index, dtype=float)
    slot.name = column.name
    # Outer nodes with no placed neighbour keep their own column, shifted half a slot.
    shift = np.where(band.eq("top"), -0.5, 0.5)
    return slot.fillna(column + shift)


def _waypoints(
    nodes: pd.DataFrame, slot: pd.Series, fwd: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Route every forward link that skips a chain column through a waypoint in that column.

    A link from slot a to slot b passes the main-band columns strictly between them; it is
    cut into pieces joined by waypoints, one per such column, stacked with that column's
    nodes (Sugiyama's dummy nodes), so every piece joins neighbouring slots and no band runs
    across a bar. A link between two nodes of the same outer band stays whole (it runs in that
    band, clear of the chain). Pieces keep the row id of their link; waypoints are ghost nodes
    the figure draws in the link's colour.
    """
    band = nodes["band"]
    columns = sorted(set(slot[band.eq("main")].dropna()))
    new_nodes: list[dict[str, object]] = []
    pieces: list[dict[str, object]] = []
    index: list[object] = []
    for i, s, t, v in zip(fwd.index, fwd["source"], fwd["target"], fwd["value"], strict=True):
        ends = {band[s], band[t]}
        between = [c for c in columns if slot[s] < c < slot[t]]
        if not between or (len(ends) == 1 and ends <= {"top", "bottom"}):
            chain = [s, t]
        else:
            via = [f"{WAYPOINT_PREFIX}{i}:{k}" for k in range(len(between))]
            new_nodes += [
                {"node": w, "column": c, "band": "main", "slot": c}
                for w, c in zip(via, between, strict=True)
            ]
            chain = [s, *via, t]
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            pieces.append({"source": a, "target": b, "value": v})
            index.append(i)
    if not new_nodes:
        return nodes, slot, fwd
    extra = pd.DataFrame(new_nodes).set_index("node")
    nodes = pd.concat([nodes, extra[["column", "band"]]])
    slot = pd.concat([slot, extra["slot"].rename(slot.name)])
    return nodes, slot, pd.DataFrame(pieces, index=pd.Index(index, name=fwd.index.name))


def _split_loops(
    links: pd.DataFrame, slot: pd.Series, band: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the links into forward links and loops (with their ``span`` in slots).

    Back-edges, main-band links that do not go strictly rightwards, become loops. They come
    outermost first: the widest span, then the largest value. The outer loop leaves its
    source higher, turns down further out and runs back in the lowest lane, so loops nest
    without crossing each other.
    """
    s_slot = slot.reindex(links["source"]).to_numpy()
    t_slot = slot.reindex(links["target"]).to_numpy()
    is_loop = (t_slot <= s_slot) & (band.reindex(links["source"]).to_numpy() != "top")
    is_loop &= band.reindex(links["target"]).to_numpy() != "bottom"
    loops = links[is_loop].assign(span=s_slot[is_loop] - t_slot[is_loop])
    return links[~is_loop], loops.sort_values(["span", "value"], ascending=False)


def _plotly_graph(
    fwd: pd.DataFrame, loops: pd.DataFrame
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Return the links plotly gets, and the (out, in) ghost node ids of each loop.

    Forward links stay; each loop is cut into ``source => ghost-out`` and
    ``ghost-in => target``. The graph is acyclic, and its d3 layer totals do not depend on the
    scale. (:func:`_add_ballast` may add one more link.)
    """
    graph_links = [
        {"source": s, "target": t, "value": v, "link": i}
        for i, s, t, v in zip(fwd.index, fwd["source"], fwd["target"], fwd["value"], strict=True)
    ]
    ghosts: list[tuple[str, str]] = []
    for k, (i, lk) in enumerate(loops.iterrows()):
        g_out, g_in = f"{GHOST_PREFIX}out{k}", f"{GHOST_PREFIX}in{k}"
        ghosts.append((g_out, g_in))
        graph_links += [
            {"source": lk["source"], "target": g_out, "value": lk["value"], "link": i},
            {"source": g_in, "target": lk["target"], "value": lk["value"], "link": i},
        ]
    return pd.DataFrame(graph_links, columns=["source", "target", "value", "link"]), ghosts


# ----------------------------------------------------------------------------- the scale
def _stack_heights(
    slot: pd.Series, value: pd.Series, band: pd.Series, pad: float, room: pd.DataFrame
) -> Callable[[float], dict[str, float]]:
    """Return f(ky) -> {band: height needed}, the tallest slot of each band.

    A node takes the larger of its bar and its ``room`` (px its label needs beside it) in its
    stack, plus its ``room_above`` and ``room_below`` (px of a label over or under its bar).
    """
    # each band's slots: the values of their nodes, in node order (plain dicts: this runs for
    # every layout; a slot of NaN stacks nothing, as in a groupby)
    stacks: dict[str, dict[float, list[tuple[float, float, float]]]] = {
        "top": {},
        "main": {},
        "bottom": {},
    }
    values, rooms = dict(value.items()), dict(room["room"].items())
    extra = dict((room["room_above"] + room["room_below"]).items())
    for node, s, b in zip(slot.index, slot.to_numpy(), band.reindex(slot.index), strict=True):
        if b in stacks and not np.isnan(s):
            stacks[b].setdefault(float(s), []).append((values[node], rooms[node], extra[node]))
    groups = {
        b: [(np.array(v, dtype=float), len(v)) for v in by_slot.values()]
        for b, by_slot in stacks.items()
    }

    def heights(ky: float) -> dict[str, float]:
        return {
            b: max(
                ((np.maximum(ky * v[:, 0], v[:, 1]) + v[:, 2]).sum() + (n - 1) * pad for v, n in g),
                default=0.0,
            )
            for b, g in groups.items()
        }

    return heights


@dataclass(frozen=True)
class _Room:
    """The room the diagram needs at a scale ``k`` (px per unit): height, and beside it."""

    heights: Callable[[float], dict[str, float]]  # band -> height of its tallest slot
    loop_values: np.ndarray  # value of every loop
    outer_left: np.ndarray  # values of the loops entering the first slot
    outer_right: np.ndarray  # values of the loops leaving the last slot
    max_layer: float  # the largest d3 layer total
    inner_width: float  # plot width between the x margins, less a node's thickness
    opt: LayoutOptions

    def needed(self, k: float) -> float:
        """Height (px) of the bands, their gaps and the loop lanes; at least d3's own fit."""
        opt = self.opt
        h = self.heights(k)
        parts = [v for v in h.values() if v > 0]
        total = sum(parts) + opt.band_gap * max(len(parts) - 1, 0)
        if len(self.loop_values):
            total += opt.band_gap + float(np.sum(k * self.loop_values + opt.loop_gap))
        return max(total, k * self.max_layer)

    def beside(self, k: float) -> tuple[float, float]:
        """Room (px) left and right of the diagram for the legs of loops at the edges."""
        leg = 2 * self.opt.loop_gap + 8.0
        return (
            float(np.sum(k * self.outer_left + leg)),
            float(np.sum(k * self.outer_right + leg)),
        )

    def fits(self, k: float, plot_height: float) -> bool:
        """Return whether the diagram fits the plot area at scale ``k``."""
        return self.needed(k) <= plot_height and sum(self.beside(k)) <= 0.75 * self.inner_width


def _room(
    nodes: pd.DataFrame,
    slot: pd.Series,
    value: pd.Series,
    loops: pd.DataFrame,
    max_layer: float,
    plot_width: float,
    opt: LayoutOptions,
) -> _Room:
    """Measure what the diagram needs: band stacks, loop lanes and the legs at the edges.

    The room beside the diagram for loops leaving the last column or entering the first grows
    with the scale, so fitting must respect it too.
    """
    smin, smax = float(slot.min()), float(slot.max())
    return _Room(
        heights=_stack_heights(slot, value, nodes["band"], opt.node_pad, _rooms(nodes)),
        loop_values=loops["value"].to_numpy(),
        outer_left=loops["value"].to_numpy()[slot[loops["target"]].to_numpy() == smin],
        outer_right=loops["value"].to_numpy()[slot[loops["source"]].to_numpy() == smax],
        max_layer=max_layer,
        inner_width=plot_width * (1 - opt.x_margin_left - opt.x_margin_right) - opt.node_thickness,
        opt=opt,
    )


def _scale(
    room: _Room, ky: float | None, plot_width: float, plot_height: float | None, largest: float
) -> tuple[float, float]:
    """Return the scale (px per unit) and the plot height (px).

    A given ``ky`` is kept and the height follows the data (at least ``plot_height``, whole
    pixels: the figure height is an integer, and d3 fits to it). Otherwise the largest scale
    at which the diagram fits ``plot_height`` is found by bisection.
    """
    if ky is not None:
        return ky, float(np.ceil(max(room.needed(ky), float(plot_height or 0.0)) - 1e-9))
    if plot_height is None:
        raise RenderError("internal: give a plot height or a scale")
    if not room.fits(0.0, plot_height):
        raise RenderError(
            f"the Sankey needs {room.needed(0.0):.0f} px of height and "
            f"{sum(room.beside(0.0)):.0f} px of loop room for its gaps alone, but the plot area "
            f"is {plot_width:.0f} x {plot_height:.0f} px; give a larger height/width or fewer nodes"
        )
    lo, hi = 0.0, plot_height / max(largest, 1e-300)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if room.fits(mid, plot_height) else (lo, mid)
    return lo, float(plot_height)


# ----------------------------------------------------------------------------- positions
def _rooms(nodes: pd.DataFrame) -> pd.DataFrame:
    """Return the px each node keeps in its stack for its label (0 where not given).

    Columns: ``room`` beside the bar (the larger of bar and room counts), ``room_above`` and
    ``room_below`` it (added to the bar).
    """
    columns = ["room", "room_above", "room_below"]
    out = pd.DataFrame(0.0, index=nodes.index, columns=columns)
    for column in columns:
        if column in nodes.columns:
            out[column] = nodes[column].astype(float).fillna(0.0)
    return out


def _band_starts(band_h: dict[str, float], opt: LayoutOptions) -> dict[str, float]:
    """Top y (px) of the main and bottom bands (the top band starts at 0)."""
    main0 = band_h["top"] + (opt.band_gap if band_h["top"] > 0 else 0.0)
    bottom0 = main0 + band_h["main"] + (opt.band_gap if band_h["bottom"] > 0 else 0.0)
    return {"top": 0.0, "main": main0, "bottom": bottom0}


def _diagram_bottom(band_h: dict[str, float], opt: LayoutOptions) -> float:
    """Lowest y (px) of the bands: of the bottom band, else of the main band."""
    start = _band_starts(band_h, opt)
    if band_h["bottom"] > 0:
        return start["bottom"] + band_h["bottom"]
    return start["main"] + band_h["main"]


def _stack(
    order: list[str],
    nodes: pd.DataFrame,
    slot: pd.Series,
    hgt: pd.Series,
    band_h: dict[str, float],
    opt: LayoutOptions,
) -> pd.Series:
    """Centre y (px) of each node, stacking each band's slot in ``order``.

    Main and bottom bands stack down from their start; the top band ends at its height, so
    imports sit just above the chain.
    """
    start = _band_starts(band_h, opt)
    bands, slots = dict(nodes["band"].items()), dict(slot.items())
    rooms = _rooms(nodes).reindex(hgt.index, fill_value=0.0)
    beside = np.maximum(hgt, rooms["room"])
    heights = dict((beside + rooms["room_above"] + rooms["room_below"]).items())
    above, beside_h = dict(rooms["room_above"].items()), dict(beside.items())
    # the nodes of each (band, slot) in ``order``; a NaN band or slot stacks nothing (y 0)
    groups: dict[tuple[str, float], list[str]] = {}
    for n in order:
        b, s = bands[n], slots[n]
        if not (pd.isna(b) or pd.isna(s)):
            groups.setdefault((b, s), []).append(n)
    y = dict.fromkeys(nodes.index, 0.0)
    for (b, _), idx in groups.items():
        h = np.array([heights[n] for n in idx], dtype=float)
        offsets = np.concatenate([[0.0], np.cumsum(h + opt.node_pad)[:-1]])
        stack = h.sum() + opt.node_pad * (len(h) - 1)
        first = start["top"] + band_h["top"] - stack if b == "top" else start[b]
        # a bar sits under its label's room above it, centred in its room beside it
        middle = np.array([above[n] + beside_h[n] / 2 for n in idx], dtype=float)
        y.update(zip(idx, (first + offsets + middle).tolist(), strict=True))
    return pd.Series(list(y.values()), index=list(y), dtype=float)


def _reduce_crossings(
    nodes: pd.DataFrame,
    slot: pd.Series,
    fwd: pd.DataFrame,
    stack: Callable[[list[str]], pd.Series],
    sweeps: int,
) -> pd.Series:
    """Return the centre y of each node after ordering the slots for fewer crossings.

    Within each slot, nodes are ordered by the barycentre (value-weighted mean y) of their
    neighbours, one slot at a time, sweeping left to right and back (Sugiyama's
    layer-by-layer heuristic); ``stack`` turns an order into y. Bands stay apart and ties keep
    the table's order.
    """
    order = list(nodes.index)
    y = stack(order)
    ends = np.concatenate([fwd["source"].to_numpy(), fwd["target"].to_numpy()])
    others = np.concatenate([fwd["target"].to_numpy(), fwd["source"].to_numpy()])
    weight = np.concatenate([fwd["value"].to_numpy(), fwd["value"].to_numpy()])
    columns = sorted(set(slot))
    for sweep in range(sweeps):
        changed = False
        for column in columns if sweep % 2 == 0 else columns[::-1]:
            members = [n for n in order if slot[n] == column]
            if len(members) < 2:
                continue
            near = pd.DataFrame(
                {"node": ends, "w": weight, "wy": weight * y.reindex(others).to_numpy()}
            )
            sums = near[near["node"].isin(members)].groupby("node")[["w", "wy"]].sum()
            bary = (sums["wy"] / sums["w"]).reindex(members).fillna(y[members])
            new = sorted(members, key=lambda n: (bary[n], members.index(n)))
            if new != members:
                spots = [k for k, n in enumerate(order) if slot[n] == column]
                for k, n in zip(spots, new, strict=True):
                    order[k] = n
                y, changed = stack(order), True
        if not changed:
            break
    return y


def _columns_x(
    slot: pd.Series,
    beside: tuple[float, float],
    plot_width: float,
    inner_width: float,
    opt: LayoutOptions,
) -> pd.Series:
    """Centre x (px) of each node: slots spread over the width.

    The node thickness stays inside the plot area, with ``beside`` (left, right) px of room
    for the legs of loops that leave the last column or enter the first.
    """
    left_room, right_room = beside
    xl = opt.x_margin_left * plot_width + opt.node_thickness / 2 + left_room
    xr = (1 - opt.x_margin_right) * plot_width - opt.node_thickness / 2 - right_room
    if sum(beside) > 0.75 * inner_width:
        raise RenderError(
            f"the recycling loops need {left_room + right_room:.0f} px beside the diagram; "
            f"give a larger width (now {plot_width:.0f} px of plot area) or a coarser scale"
        )
    smin, smax = float(slot.min()), float(slot.max())
    px_per_slot = (xr - xl) / max(smax - smin, 1e-9)
    return xl + (slot - smin) * px_per_slot


# ----------------------------------------------------------------------------- loops
def _loop_ends(
    loops: pd.DataFrame,
    fwd: pd.DataFrame,
    ghosts: list[tuple[str, str]],
    x: pd.Series,
    y: pd.Series,
    hgt: pd.Series,
    ky: float,
    opt: LayoutOptions,
) -> tuple[list[dict[str, object]], list[LoopGeometry]]:
    """Place the ghost nodes of each loop and where its stroke leaves and enters (px).

    A loop leaves the bottom of its source's outflows and enters the bottom of its target's
    inflows (d3 stacks links from the node top in input order, and the ghost links come last).
    Returns the ghost nodes' rows (as the real nodes' rows of :func:`layout`) and the loops.
    """
    half = opt.node_thickness / 2
    out_fill = fwd.groupby("source")["value"].sum() * ky
    in_fill = fwd.groupby("target")["value"].sum() * ky
    used_out: dict[str, float] = {}
    used_in: dict[str, float] = {}
    rows: list[dict[str, object]] = []
    geoms: list[LoopGeometry] = []
    for (g_out, g_in), (i, lk) in zip(ghosts, loops.iterrows(), strict=True):
        src, tgt, w = lk["source"], lk["target"], lk["value"] * ky
        y_s = y[src] - hgt[src] / 2 + out_fill.get(src, 0.0) + used_out.get(src, 0.0) + w / 2
        y_t = y[tgt] - hgt[tgt] / 2 + in_fill.get(tgt, 0.0) + used_in.get(tgt, 0.0) + w / 2
        used_out[src] = used_out.get(src, 0.0) + w
        used_in[tgt] = used_in.get(tgt, 0.0) + w
        for node, gx, gy in ((g_out, x[src] + 2 * half, y_s), (g_in, x[tgt] - 2 * half, y_t)):
            rows.append(
                {
                    "node": node,
                    "x": gx,
                    "y": gy,
                    "height": w,
                    "value": lk["value"],
                    "ghost": True,
                    "waypoint": False,
                }
            )
        geoms.append(
            LoopGeometry(
                link=i,
                source=src,
                target=tgt,
                width=w,
                y_s=y_s,
                y_t=y_t,
                x_s=x[src] + half,
                x_t=x[tgt] - half,
            )
        )
    return rows, geoms


def _loop_legs(geoms: list[LoopGeometry], opt: LayoutOptions) -> None:
    """Set the vertical legs (``leg_s``, ``leg_t``) and corner ``radius`` of every loop.

    Legs nest: at each node the innermost (last) loop turns closest to it, the next one a
    loop gap further out.
    """
    leg_out: dict[str, float] = {}
    leg_in: dict[str, float] = {}
    for geom in reversed(geoms):
        w, r = geom["width"], geom["width"] / 2 + 4.0
        src, tgt = geom["source"], geom["target"]
        xs = max(geom["x_s"] + r + 2.0, leg_out.get(src, -np.inf) + opt.loop_gap + w / 2)
        xt = min(geom["x_t"] - r - 2.0, leg_in.get(tgt, np.inf) - opt.loop_gap - w / 2)
        leg_out[src], leg_in[tgt] = xs + w / 2, xt - w / 2
        geom["leg_s"], geom["leg_t"], geom["radius"] = xs, xt, r


def _loop_lanes(geoms: list[LoopGeometry], top: float, opt: LayoutOptions) -> None:
    """Set the ``lane`` (centre y, px) of every loop: innermost first, from ``top`` down."""
    lane = top
    for geom in reversed(geoms):  # innermost lane first, just under the diagram
        geom["lane"] = lane + geom["width"] / 2
        lane += geom["width"] + opt.loop_gap


def _loop_path(geom: LoopGeometry, width: float, height: float) -> str:
    """SVG path (paper coordinates) of a loop: right, down, back left under the diagram, up."""
    xs, xt, r = geom["leg_s"], geom["leg_t"], geom["radius"]
    ys, yt, lane = geom["y_s"], geom["y_t"], geom["lane"]

    def pt(px: float, py: float) -> str:
        return f"{px / width:.6f},{1 - py / height:.6f}"

    return (
        f"M{pt(geom['x_s'], ys)} L{pt(xs - r, ys)} Q{pt(xs, ys)} {pt(xs, ys + r)} "
        f"L{pt(xs, lane - r)} Q{pt(xs, lane)} {pt(xs - r, lane)} "
        f"L{pt(xt + r, lane)} Q{pt(xt, lane)} {pt(xt, lane - r)} "
        f"L{pt(xt, yt + r)} Q{pt(xt, yt)} {pt(xt + r, yt)} L{pt(geom['x_t'], yt)}"
    )


# ----------------------------------------------------------------------------- plotly's graph
def _add_ballast(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    layer_totals: pd.Series,
    *,
    height: float,
    ky: float,
    plot_width: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Impose ``ky`` on d3 with an invisible, off-canvas ballast link where one is needed.

    With node padding 0, d3's ky is ``min over layers (H / layer total)``; a ballast link in
    d3's first and last layers brings the binding total to exactly ``H / ky``. Every other layer
    total is at most ``H / ky`` because the fitted height covers ``ky`` times the largest layer.
    Returns the nodes (extended in place by the two ballast ends) and the links, ballast first.
    """
    target_total = height / ky
    ballast = target_total - max(layer_totals.iloc[0], layer_totals.iloc[-1])
    if ballast <= 1e-9 * target_total:
        return nodes, links
    for g in (f"{GHOST_PREFIX}ballast-source", f"{GHOST_PREFIX}ballast-target"):
        nodes.loc[g] = {
            "x": -10 * plot_width,
            "y": -10 * height,
            "height": ballast * ky,
            "value": ballast,
            "ghost": True,
            "waypoint": False,
        }
    ballast_link = {
        "source": f"{GHOST_PREFIX}ballast-source",
        "target": f"{GHOST_PREFIX}ballast-target",
        "value": ballast,
        "link": -1,
    }
    return nodes, pd.concat([pd.DataFrame([ballast_link]), links], ignore_index=True)


def _stacking_order(
    nodes: pd.DataFrame, links: pd.DataFrame, ghosts: list[tuple[str, str]]
) -> pd.DataFrame:
    """Sort the links so that d3's stacking at each node follows the nodes' y.

    Stacking at each node follows input order (``link.sort="input"``): sort by source y then
    target y, so out-links leave in the order of their targets and in-links arrive in the
    order of their sources; loop ghosts rank last and the ballast stays first (drawn
    underneath).
    """
    rank = {g: 1e12 + k for k, pair in enumerate(ghosts) for g in pair}
    y_key = nodes["y"].where(~nodes.index.isin(list(rank)), pd.Series(rank))
    key_s = y_key.reindex(links["source"]).to_numpy()
    key_t = y_key.reindex(links["target"]).to_numpy()
    order = np.lexsort((key_t, key_s, links["link"].to_numpy() != -1))
    return links.iloc[order].reset_index(drop=True)
