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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msa.errors import RenderError

__all__ = ["Geometry", "LayoutOptions", "layout"]

#: Prefix of ghost node ids (loop ends and ballast), which the figure never labels.
GHOST_PREFIX = "__msa_ghost__:"


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


@dataclass
class Geometry:
    """The result of :func:`layout`: everything needed to draw the figure.

    ``nodes`` has one row per node drawn by plotly (real and ghost) with columns ``x``, ``y``
    (centre, as fractions of the plot area, y downwards), ``height`` (px), ``value``, ``ghost``
    (bool) and ``layer`` (d3's layer). ``links`` has ``source``, ``target`` (node ids), ``value``,
    ``link`` (index of the originating row of the input links, -1 for ballast). ``loops`` holds
    one dict per recycling loop with the path (in paper coordinates) and the stroke width.
    """

    ky: float
    plot_width: float
    plot_height: float
    nodes: pd.DataFrame
    links: pd.DataFrame
    loops: list[dict[str, object]] = field(default_factory=list)

    @property
    def units_per_px(self) -> float:
        """The scale actually used: data units per pixel."""
        return 1.0 / self.ky


def _slots(nodes: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Horizontal slot of every node: stage column for the main band, +-0.5 for the bands."""
    column = nodes["column"].astype(float)
    band = nodes["band"]
    slot = column.where(band.eq("main"))
    # Outer nodes take their slot from neighbours already placed: main nodes first, then
    # outer nodes fed by outer nodes (Disposal -> Landfill), as far as the chain goes.
    for _ in range(len(nodes)):
        todo = slot.isna() & band.ne("main")
        if not todo.any():
            break
        progressed = False
        for node in nodes.index[todo]:
            if band[node] == "top":
                cols = slot.reindex(links.loc[links["source"] == node, "target"]).dropna()
                value = cols.min() - 0.5 if len(cols) else np.nan
            else:
                cols = slot.reindex(links.loc[links["target"] == node, "source"]).dropna()
                value = cols.max() + 0.5 if len(cols) else np.nan
            if np.isfinite(value):
                slot[node], progressed = value, True
        if not progressed:
            break
    # Outer nodes with no placed neighbour keep their own column, shifted half a slot.
    shift = np.where(band.eq("top"), -0.5, 0.5)
    return slot.fillna(column + shift)


def _d3_layers(node_ids: list[str], links: pd.DataFrame) -> pd.Series:
    """Replicate d3-sankey's layer assignment (``computeNodeDepths`` + ``sankeyJustify``)."""
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


def _node_values(node_ids: list[str], links: pd.DataFrame) -> pd.Series:
    """d3's node value: max(sum of inflows, sum of outflows)."""
    out = links.groupby("source")["value"].sum().reindex(node_ids, fill_value=0.0)
    inn = links.groupby("target")["value"].sum().reindex(node_ids, fill_value=0.0)
    return np.maximum(out, inn)


def _stack_heights(slot: pd.Series, value: pd.Series, band: pd.Series, pad: float):
    """Return f(ky) -> {band: height needed}, the tallest slot of each band."""
    groups = {
        b: [
            (value[idx].to_numpy(), len(idx))
            for _, idx in slot[band == b].groupby(slot).groups.items()
        ]
        for b in ("top", "main", "bottom")
    }

    def heights(ky: float) -> dict[str, float]:
        return {
            b: max((ky * v.sum() + (n - 1) * pad for v, n in g), default=0.0)
            for b, g in groups.items()
        }

    return heights


def layout(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    *,
    plot_width: float,
    plot_height: float | None,
    ky: float | None,
    options: LayoutOptions | None = None,
) -> Geometry:
    """Place nodes and loops, and fix the scale.

    Parameters
    ----------
    nodes : DataFrame
        Indexed by node id, in drawing order, with columns ``column`` (stage column, int),
        ``band`` ("top", "main", "bottom").
    links : DataFrame
        ``source``, ``target``, ``value`` (> 0), indexed by the row id of the input link.
    plot_width, plot_height : float
        Size of the plot area in px. ``plot_height`` is the height to fit (fit-to-page) or,
        with ``ky``, a minimum height.
    ky : float, optional
        Fixed scale in px per unit. Without it the diagram is fitted to ``plot_height``.
    options : LayoutOptions, optional
        Spacing.

    Returns
    -------
    Geometry
    """
    opt = options or LayoutOptions()
    node_ids = list(nodes.index)
    band = nodes["band"]
    slot = _slots(nodes, links)
    # Back-edges: main-band links that do not go strictly rightwards become loops.
    s_slot = slot.reindex(links["source"]).to_numpy()
    t_slot = slot.reindex(links["target"]).to_numpy()
    is_loop = (t_slot <= s_slot) & (band.reindex(links["source"]).to_numpy() != "top")
    is_loop &= band.reindex(links["target"]).to_numpy() != "bottom"
    fwd = links[~is_loop]
    # Outermost loop first: the widest span, then the largest value. The outer loop leaves its
    # source higher, turns down further out and runs back in the lowest lane, so loops nest
    # without crossing each other.
    loops = links[is_loop].assign(span=s_slot[is_loop] - t_slot[is_loop])
    loops = loops.sort_values(["span", "value"], ascending=False)

    # Values as d3 sees them: loop flows still leave their source and enter their target.
    value = _node_values(node_ids, links)
    heights = _stack_heights(slot, value, band, opt.node_pad)
    loop_values = loops["value"].to_numpy()

    # The graph plotly gets: forward links, each loop cut into two ghost links, and (maybe) a
    # ballast link. Its d3 layer totals do not depend on the scale.
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
    geo_links = pd.DataFrame(graph_links, columns=["source", "target", "value", "link"])
    all_ids = node_ids + [g for pair in ghosts for g in pair]
    layer_totals = _node_values(all_ids, geo_links).groupby(_d3_layers(all_ids, geo_links)).sum()
    max_layer = float(layer_totals.max())

    def needed(k: float) -> float:
        h = heights(k)
        parts = [v for v in h.values() if v > 0]
        total = sum(parts) + opt.band_gap * max(len(parts) - 1, 0)
        if len(loop_values):
            total += opt.band_gap + float(np.sum(k * loop_values + opt.loop_gap))
        return max(total, k * max_layer)

    # Room beside the diagram for the legs of loops leaving the last column or entering the
    # first; it grows with the scale, so fitting must respect it too.
    smin, smax = float(slot.min()), float(slot.max())
    leg = 2 * opt.loop_gap + 8.0
    outer_right = loops["value"].to_numpy()[slot[loops["source"]].to_numpy() == smax]
    outer_left = loops["value"].to_numpy()[slot[loops["target"]].to_numpy() == smin]
    inner_width = plot_width * (1 - opt.x_margin_left - opt.x_margin_right) - opt.node_thickness

    def rooms(k: float) -> tuple[float, float]:
        return (
            float(np.sum(k * outer_left + leg)),
            float(np.sum(k * outer_right + leg)),
        )

    def fits(k: float) -> bool:
        return needed(k) <= plot_height and sum(rooms(k)) <= 0.75 * inner_width

    if ky is None:
        if plot_height is None:
            raise RenderError("internal: give a plot height or a scale")
        if not fits(0.0):
            raise RenderError(
                f"the Sankey needs {needed(0.0):.0f} px of height and {sum(rooms(0.0)):.0f} px "
                f"of loop room for its gaps alone, but the plot area is {plot_width:.0f} x "
                f"{plot_height:.0f} px; give a larger height/width or fewer nodes"
            )
        lo, hi = 0.0, plot_height / max(float(value.max()), 1e-300)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        ky = lo
        height = float(plot_height)
    else:
        # Whole pixels: the figure height is an integer, and d3 fits to it.
        height = float(np.ceil(max(needed(ky), float(plot_height or 0.0)) - 1e-9))

    # Vertical positions (px, y down) of the real nodes.
    hgt = value * ky
    band_h = heights(ky)
    top0 = 0.0
    main0 = band_h["top"] + (opt.band_gap if band_h["top"] > 0 else 0.0)
    bottom0 = main0 + band_h["main"] + (opt.band_gap if band_h["bottom"] > 0 else 0.0)

    def stacked(order: list[str]) -> pd.Series:
        """Centre y of each node, stacking each band's slot in ``order``."""
        y = pd.Series(0.0, index=node_ids)
        ranked = nodes.loc[order]
        for (b, _), idx in ranked.groupby([band[order], slot[order]], sort=False).groups.items():
            h = hgt[idx].to_numpy()
            offsets = np.concatenate([[0.0], np.cumsum(h + opt.node_pad)[:-1]])
            stack = h.sum() + opt.node_pad * (len(h) - 1)
            start = {"top": top0 + band_h["top"] - stack, "main": main0, "bottom": bottom0}[b]
            y[idx] = start + offsets + h / 2
        return y

    # Fewer crossings: within each slot, order nodes by the barycentre (value-weighted mean y)
    # of their neighbours, one slot at a time, sweeping left to right and back (Sugiyama's
    # layer-by-layer heuristic); bands stay apart and ties keep the table's order.
    order = list(node_ids)
    y = stacked(order)
    ends = np.concatenate([fwd["source"].to_numpy(), fwd["target"].to_numpy()])
    others = np.concatenate([fwd["target"].to_numpy(), fwd["source"].to_numpy()])
    weight = np.concatenate([fwd["value"].to_numpy(), fwd["value"].to_numpy()])
    columns = sorted(set(slot))
    for sweep in range(opt.barycentre_sweeps):
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
                y, changed = stacked(order), True
        if not changed:
            break

    # x: slots spread over the width, keeping the node thickness inside the plot area and room
    # for the legs of loops that leave the last column or enter the first.
    left_room, right_room = rooms(ky)
    xl = opt.x_margin_left * plot_width + opt.node_thickness / 2 + left_room
    xr = (1 - opt.x_margin_right) * plot_width - opt.node_thickness / 2 - right_room
    if sum(rooms(ky)) > 0.75 * inner_width:
        raise RenderError(
            f"the recycling loops need {left_room + right_room:.0f} px beside the diagram; "
            f"give a larger width (now {plot_width:.0f} px of plot area) or a coarser scale"
        )
    px_per_slot = (xr - xl) / max(smax - smin, 1e-9)
    x = xl + (slot - smin) * px_per_slot

    rows = [
        {"node": n, "x": x[n], "y": y[n], "height": hgt[n], "value": value[n], "ghost": False}
        for n in node_ids
    ]
    loop_geoms = _loops(loops, fwd, ghosts, x, y, hgt, ky, opt, rows)
    if loop_geoms:
        lane = opt.band_gap + (
            bottom0 + band_h["bottom"] if band_h["bottom"] > 0 else main0 + band_h["main"]
        )
        for geom in reversed(loop_geoms):  # innermost lane first, just under the diagram
            geom["lane"] = lane + geom["width"] / 2
            lane += geom["width"] + opt.loop_gap
        for geom in loop_geoms:
            geom["path"] = _loop_path(geom, plot_width, height)
    geo_nodes = pd.DataFrame(rows).set_index("node")

    # Impose ky on d3: pad 0, so d3's ky = min over layers (H / layer total); a ballast link in
    # d3's first and last layers brings the binding total to exactly H / ky. Every other layer
    # total is at most H / ky because needed() covers k * max_layer.
    target_total = height / ky
    ballast = target_total - max(layer_totals.iloc[0], layer_totals.iloc[-1])
    if ballast > 1e-9 * target_total:
        for g in (f"{GHOST_PREFIX}ballast-source", f"{GHOST_PREFIX}ballast-target"):
            geo_nodes.loc[g] = {
                "x": -10 * plot_width,
                "y": -10 * height,
                "height": ballast * ky,
                "value": ballast,
                "ghost": True,
            }
        ballast_link = {
            "source": f"{GHOST_PREFIX}ballast-source",
            "target": f"{GHOST_PREFIX}ballast-target",
            "value": ballast,
            "link": -1,
        }
        geo_links = pd.concat([pd.DataFrame([ballast_link]), geo_links], ignore_index=True)
    geo_nodes["layer"] = _d3_layers(list(geo_nodes.index), geo_links)
    # Stacking at each node follows input order (link.sort="input"): sort by source y then
    # target y, so out-links leave in the order of their targets and in-links arrive in the
    # order of their sources; the ballast stays first (drawn underneath).
    rank = {g: 1e12 + k for k, pair in enumerate(ghosts) for g in pair}
    y_key = geo_nodes["y"].where(~geo_nodes.index.isin(list(rank)), pd.Series(rank))
    key_s = y_key.reindex(geo_links["source"]).to_numpy()
    key_t = y_key.reindex(geo_links["target"]).to_numpy()
    order = np.lexsort((key_t, key_s, geo_links["link"].to_numpy() != -1))
    geo_links = geo_links.iloc[order].reset_index(drop=True)
    geo_nodes["x"] = geo_nodes["x"] / plot_width
    geo_nodes["y"] = geo_nodes["y"] / height
    geo_nodes["ghost"] = geo_nodes["ghost"].astype(bool)
    return Geometry(
        ky=float(ky),
        plot_width=float(plot_width),
        plot_height=float(height),
        nodes=geo_nodes,
        links=geo_links,
        loops=loop_geoms,
    )


def _loops(loops, fwd, ghosts, x, y, hgt, ky, opt, rows) -> list[dict[str, object]]:
    """Place the ghost nodes of each loop and the vertical legs of its stroke (px).

    A loop leaves the bottom of its source's outflows and enters the bottom of its target's
    inflows (d3 stacks links from the node top in input order, and the ghost links come last).
    """
    half = opt.node_thickness / 2
    out_fill = fwd.groupby("source")["value"].sum() * ky
    in_fill = fwd.groupby("target")["value"].sum() * ky
    used_out: dict[str, float] = {}
    used_in: dict[str, float] = {}
    # Vertical legs, nested: the innermost loop of a node turns closest to it.
    leg_out: dict[str, float] = {}
    leg_in: dict[str, float] = {}
    geoms: list[dict[str, object]] = []
    for (g_out, g_in), (i, lk) in zip(ghosts, loops.iterrows(), strict=True):
        src, tgt, w = lk["source"], lk["target"], lk["value"] * ky
        y_s = y[src] - hgt[src] / 2 + out_fill.get(src, 0.0) + used_out.get(src, 0.0) + w / 2
        y_t = y[tgt] - hgt[tgt] / 2 + in_fill.get(tgt, 0.0) + used_in.get(tgt, 0.0) + w / 2
        used_out[src] = used_out.get(src, 0.0) + w
        used_in[tgt] = used_in.get(tgt, 0.0) + w
        rows.append(
            {
                "node": g_out,
                "x": x[src] + 2 * half,
                "y": y_s,
                "height": w,
                "value": lk["value"],
                "ghost": True,
            }
        )
        rows.append(
            {
                "node": g_in,
                "x": x[tgt] - 2 * half,
                "y": y_t,
                "height": w,
                "value": lk["value"],
                "ghost": True,
            }
        )
        geoms.append(
            {
                "link": i,
                "source": src,
                "target": tgt,
                "width": w,
                "y_s": y_s,
                "y_t": y_t,
                "x_s": x[src] + half,
                "x_t": x[tgt] - half,
            }
        )
    # Legs: process from the innermost (last) loop outwards at each node.
    for geom in reversed(geoms):
        w, r = geom["width"], geom["width"] / 2 + 4.0
        src, tgt = geom["source"], geom["target"]
        xs = max(geom["x_s"] + r + 2.0, leg_out.get(src, -np.inf) + opt.loop_gap + w / 2)
        xt = min(geom["x_t"] - r - 2.0, leg_in.get(tgt, np.inf) - opt.loop_gap - w / 2)
        leg_out[src], leg_in[tgt] = xs + w / 2, xt - w / 2
        geom.update(leg_s=xs, leg_t=xt, radius=r)
    return geoms


def _loop_path(geom: dict[str, object], width: float, height: float) -> str:
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
