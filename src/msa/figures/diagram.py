"""Publication Sankey diagrams: one builder for every view (JRC, ICER national, PGA) and model.

The input is a **links table**, a :class:`pandas.DataFrame` with one row per drawn flow:

==================  ========  ==========================================================
column              required  meaning
==================  ========  ==========================================================
``source``          yes       id of the node the flow leaves
``target``          yes       id of the node the flow enters
``value``           yes       finite, non-negative quantity (rows of 0 are kept, not drawn)
``units``           yes       one unit for the whole table (e.g. ``t``)
``source_label``    no        display name of the source (else the node table, else the id)
``target_label``    no        display name of the target
``material``        no        material of the row; needed for ``color_by="material"``
``flow_type``       no        primary, secondary, loss, trade or stock (else inferred)
``stage_source``    no        JRC stage of the source node (column and stage colour)
``stage_target``    no        JRC stage of the target node
``kind_source``     no        process kind of the source (transformation, stock, boundary)
``kind_target``     no        process kind of the target
``jrc_codes``       no        JRC MSA variable code(s) of the flow, shown on hover
``status``          no        mapping status from a view (e.g. ``?`` for unsettled), on hover
==================  ========  ==========================================================

An optional **node table** fixes order, bands and names: one row per node with ``node`` (id),
``label_en`` / ``label_nl`` (or ``label``), ``order`` (or ``column``: left-to-right column of a
main-band node), ``band`` (``top`` for imports and reserves, ``main``, ``bottom`` for exports,
losses, disposal and stock additions), and optional ``stage`` and ``kind``. Rows keep their order
within a column. Without one, the node table is derived from the links: JRC stage order, and
boundary nodes that only send go to the top band, those that only receive to the bottom band.

Layout, fixed scale and loops are explained in :mod:`msa._sankey_layout`; image export lives in
:mod:`msa.export`.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError
from msa.figures._text import (
    covered_sides,
    label_annotation,
    label_boxes,
    line_height,
    margins_needed,
    node_texts,
    note_lines,
)
from msa.figures.labels import (
    FLOW_TYPES,
    STAGE_COLORS,
    colors_for,
    display_units,
    format_value,
    rgba,
    stage_name,
    text,
)
from msa.figures.layout import LayoutOptions, layout
from msa.figures.links import (
    JRC_STAGES,
    flow_types,
    links_from_system,
    merge_rows,
    nodes_from_links,
    prepare_nodes,
    validate_links,
)

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go


__all__ = [
    "JRC_STAGES",
    "links_from_system",
    "nodes_from_links",
    "sankey",
]

ColorBy = Literal["stage", "material", "flow_type"]
_FONT = "DejaVu Sans"
_LEGEND_ROW = 24  # px of a second legend row (node stages under the link colours)


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as err:  # pragma: no cover - plotly is in the plot extra
        raise ImportError('Sankey figures need plotly: pip install "msa[plot]"') from err
    return go


def _check_lang(lang: str) -> None:
    if lang not in ("en", "nl"):
        raise ConfigError(f"lang must be 'en' or 'nl' (got {lang!r})")


# ----------------------------------------------------------------------------- the builder
def _plan(
    links: pd.DataFrame,
    nodes: pd.DataFrame | None,
    *,
    lang: str,
    color_by: str,
    scale: float | None,
    title: str | None,
    width: int,
    height: int | None,
    min_visible_px: float,
    footnotes: tuple[str, ...] = (),
    font_family: str = "DejaVu Sans",
    font_size: int = 12,
) -> SimpleNamespace:
    """Check the input and lay the diagram out (everything but the plotly objects)."""
    _check_lang(lang)
    if color_by not in ("stage", "material", "flow_type"):
        raise ConfigError(f"color_by must be 'stage', 'material' or 'flow_type' (got {color_by!r})")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ConfigError(f"scale must be a positive number of units per px (got {scale!r})")
    links = validate_links(links)
    units = str(links["units"].iloc[0])
    links, table = prepare_nodes(links, nodes, lang)
    links["flow_type"] = flow_types(links, table)
    if color_by == "material" and "material" not in links.columns:
        raise DataError("color_by='material' needs a 'material' column in the links table")
    links = merge_rows(links, by_material=color_by == "material")
    drawn = links[links["value"] > 0]
    if drawn.empty:
        raise DataError("links table: every value is 0; there is nothing to draw")
    used = [n for n in table.index if n in set(drawn["source"]) | set(drawn["target"])]
    opt = LayoutOptions()
    status = links.get("status", pd.Series("", index=links.index)).fillna("").astype(str)
    uncertain = drawn[status.reindex(drawn.index).str.contains("uncertain|\\?", regex=True)]
    zero = links[links["value"] == 0]
    largest = max(
        drawn.groupby("source")["value"].sum().max(), drawn.groupby("target")["value"].sum().max()
    )
    shown, per = display_units(units, float(largest))
    names, values = node_texts(table, drawn, used, shown, lang, per)
    note_size = max(font_size - 2, 8)

    def place(lines: int, right: float):
        top = (74 if title else 46) + (_LEGEND_ROW if color_by != "stage" else 0)
        m = {"l": 12, "r": right, "t": top, "b": 14 + line_px * lines}
        plot_h = (height or (0 if scale else 620)) - m["t"] - m["b"]
        geo = layout(
            table.loc[used, ["column", "band"]],
            drawn[["source", "target", "value"]],
            plot_width=width - m["l"] - m["r"],
            plot_height=plot_h if plot_h > 0 else None,
            ky=None if scale is None else 1.0 / scale,
            options=opt,
        )
        return m, geo

    # Lay out, then grow the right margin until every label fits and the note's line count is
    # stable (the thin-flow list depends on the scale, the scale on the margins).
    line_px = int(np.ceil(line_height(note_size)))
    main = table.loc[used, "band"].eq("main")
    slots = max(int(table.loc[used][main]["column"].nunique()), 1) + 1
    right, lines, notes = 12.0, 0, []
    for _ in range(6):
        m, geo = place(lines, right)
        thin = drawn[drawn["value"] * geo.ky < min_visible_px]
        notes = note_lines(
            table,
            shown,
            lang,
            thin,
            zero,
            uncertain,
            scale,
            footnotes,
            width - 24,
            note_size,
            min_visible_px,
            per,
        )
        boxes = label_boxes(geo, m, names, values, width, font_size, font_family, opt, slots)
        over = margins_needed(boxes, 4.0, width - 4.0)[1]
        if len(notes) == lines and over <= 0.5:
            break
        lines, right = len(notes), min(right + over + 1.0, 0.4 * width)

    return SimpleNamespace(
        links=links,
        table=table,
        drawn=drawn,
        used=used,
        units=units,
        uncertain=uncertain,
        zero=zero,
        thin=thin,
        margin=m,
        geo=geo,
        options=opt,
        labels=boxes,
        names=names,
        values=values,
        notes=notes,
        note_size=note_size,
        shown_units=shown,
        per=per,
        height=int(round(geo.plot_height + m["t"] + m["b"])),
    )


def sankey(
    links: pd.DataFrame,
    *,
    nodes: pd.DataFrame | None = None,
    lang: Literal["en", "nl"] = "en",
    color_by: ColorBy = "stage",
    scale: float | None = None,
    title: str | None = None,
    width: int = 1100,
    height: int | None = None,
    min_visible_px: float = 0.5,
    font_family: str = _FONT,
    font_size: int = 12,
    footnotes: str | list[str] | tuple[str, ...] = (),
) -> go.Figure:
    """Build a publication Sankey (a plotly Figure) from a links table.

    Nodes follow the chain left to right (JRC stage order or the node table's ``order``);
    imports and reserves enter from a top band, exports, losses, disposal and stock additions
    leave into a bottom band; recycling loops run back underneath the diagram. Labels show the
    name, value and unit. Flows thinner than ``min_visible_px`` are listed in a note under the
    figure (and stay in the figure's data and hover), flows of 0 likewise.

    Parameters
    ----------
    links : DataFrame
        The links table (see the module docstring).
    nodes : DataFrame, optional
        Node table fixing order, band and names.
    lang : {"en", "nl"}
        Language of node labels (``label_en`` / ``label_nl``), number format and notes.
    color_by : {"stage", "material", "flow_type"}
        The one meaning colour carries.
    scale : float, optional
        Fixed scale in data units per pixel (e.g. 0.5 t/px): a flow of equal value has equal
        width in every figure drawn at this scale, and the figure height follows the data.
        Default: fit to ``height``.
    title : str, optional
        Figure title.
    width, height : int
        Figure size in px. ``height`` defaults to 620 when fitting; with ``scale`` it is a
        minimum.
    min_visible_px : float
        Flows drawn thinner than this are listed in the note.
    font_family, font_size :
        Font of all text; set explicitly so images are the same on every machine.
    footnotes : str or sequence of str
        Extra lines for the note under the figure, e.g. :attr:`msa.views.View.footnotes`
        (where a view departs from the agreed mapping).

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig.layout.meta["msa_sankey"]`` records the scale (``units_per_px``), units and the
        flows listed in the note.

    Examples
    --------
    >>> import msa
    >>> fig = sankey(links_from_system(msa.load_example(), 2021), scale=1.0)
    >>> fig.layout.meta["msa_sankey"]["units_per_px"]
    1.0
    """
    go = _plotly()
    footnotes = (footnotes,) if isinstance(footnotes, str) else tuple(footnotes)
    plan = _plan(
        links,
        nodes,
        lang=lang,
        color_by=color_by,
        scale=scale,
        title=title,
        width=width,
        height=height,
        min_visible_px=min_visible_px,
        footnotes=footnotes,
        font_family=font_family,
        font_size=font_size,
    )
    links, table, drawn, used, units = plan.links, plan.table, plan.drawn, plan.used, plan.units
    uncertain, zero, thin, m, geo, opt = (
        plan.uncertain,
        plan.zero,
        plan.thin,
        plan.margin,
        plan.geo,
        plan.options,
    )

    def label(n: str) -> str:
        return str(table.at[n, "label"])

    # Colours: links carry the chosen meaning; node bars always show their stage (grey
    # outside the chain), so a figure coloured by flow type still reads along the chain.
    stage_of = {n: st if st in JRC_STAGES else None for n, st in table["stage"].items()}
    shown = {stage_of[n] for n in used}
    stages = {stage_name(st, lang): STAGE_COLORS[st] for st in [*JRC_STAGES, None] if st in shown}
    if color_by == "stage":
        link_base = [
            STAGE_COLORS[stage_of[s] or stage_of[t]]
            for s, t in zip(links["source"], links["target"], strict=True)
        ]
        groups = {text("stage", lang): stages}
        if drawn["flow_type"].eq("scope").any():
            stages[text("scope", lang)] = FLOW_TYPES["scope"]
    elif color_by == "material":
        palette = colors_for(links["material"].astype(str))
        link_base = [palette[v] for v in links["material"].astype(str)]
        groups = {text("material", lang): palette, text("node_stage", lang): stages}
    else:
        link_base = [FLOW_TYPES[f] for f in links["flow_type"]]
        kinds = {text(f, lang): c for f, c in FLOW_TYPES.items() if f in set(drawn["flow_type"])}
        groups = {text("flow_type", lang): kinds, text("node_stage", lang): stages}
    # What a view leaves out of a node is pale grey in every colouring.
    link_base = [
        FLOW_TYPES["scope"] if f == "scope" else c
        for f, c in zip(links["flow_type"], link_base, strict=True)
    ]
    link_color = pd.Series([rgba(c, 0.5) for c in link_base], index=links.index)

    # Nodes as plotly sees them; their labels are annotations (placed in _plan).
    gn = geo.nodes
    index = {n: i for i, n in enumerate(gn.index)}
    names, values = plan.names, plan.values
    node_colors = [
        "rgba(0,0,0,0)" if ghost else STAGE_COLORS[stage_of[n]]
        for n, ghost in zip(gn.index, gn["ghost"], strict=True)
    ]
    node_hover = [
        "" if ghost else f"{names[n]}: {values[n]}"
        for n, ghost in zip(gn.index, gn["ghost"], strict=True)
    ]
    gl = geo.links
    link_hover = []
    for row in gl.itertuples():
        if row.link == -1:
            link_hover.append("")
            continue
        src = links.at[row.link, "source"]
        tgt = links.at[row.link, "target"]
        parts = [
            f"{label(src)} → {label(tgt)}",
            format_value(row.value / plan.per, plan.shown_units, lang),
        ]
        for extra in ("material", "jrc_codes", "status"):
            if extra in links.columns and pd.notna(links.at[row.link, extra]):
                if str(links.at[row.link, extra]):
                    parts.append(f"{extra}: {links.at[row.link, extra]}")
        link_hover.append("<br>".join(parts))
    trace = go.Sankey(
        arrangement="fixed",
        node={
            "label": [""] * len(gn),
            "x": np.maximum(gn["x"].to_numpy(), 1e-6).tolist(),
            "y": np.maximum(gn["y"].to_numpy(), 1e-6).tolist(),
            "color": node_colors,
            "pad": 0,
            "thickness": opt.node_thickness,
            "line": {"width": 0},
            "customdata": node_hover,
            "hovertemplate": "%{customdata}<extra></extra>",
        },
        link={
            "source": [index[s] for s in gl["source"]],
            "target": [index[t] for t in gl["target"]],
            "value": gl["value"].tolist(),
            "color": [
                "rgba(0,0,0,0)"
                if i == -1 or gn.at[a, "ghost"] or gn.at[b, "ghost"]
                else link_color[i]
                for i, a, b in zip(gl["link"], gl["source"], gl["target"], strict=True)
            ],
            "customdata": link_hover,
            "hovertemplate": "%{customdata}<extra></extra>",
            "sort": "input",
        },
        textfont={"family": font_family, "size": font_size, "color": "#1A1A1A"},
    )
    shapes = [
        {
            "type": "path",
            "path": loop["path"],
            "xref": "paper",
            "yref": "paper",
            "line": {"color": link_color[loop["link"]], "width": loop["width"]},
            "fillcolor": "rgba(0,0,0,0)",
            "layer": "below",
        }
        for loop in geo.loops
    ]
    legend = [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"size": 12, "symbol": "square", "color": c},
            name=name,
            legend="legend" if k == 0 else "legend2",
            showlegend=True,
            hoverinfo="skip",
        )
        for k, entries in enumerate(groups.values())
        for name, c in entries.items()
    ]
    legends = {
        "legend" if k == 0 else "legend2": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 + (_LEGEND_ROW / geo.plot_height if k == 0 and len(groups) > 1 else 0),
            "yanchor": "bottom",
            "yref": "paper",
            "font": {"size": font_size},
            "title": {"text": f"{group}:", "side": "left", "font": {"size": font_size}},
        }
        for k, group in enumerate(groups)
    }

    # Lists for the figure's meta (the note itself was wrapped in _plan).
    def listing(frame: pd.DataFrame) -> list[str]:
        return [
            f"{label(s)} \u2192 {label(t)} {format_value(v / plan.per, plan.shown_units, lang)}"
            for s, t, v in zip(frame["source"], frame["target"], frame["value"], strict=True)
            if s in table.index and t in table.index
        ]

    thin_items, uncertain_items = listing(thin), listing(uncertain)
    zero_items = [
        f"{table.at[s, 'label'] if s in table.index else s} \u2192 "
        f"{table.at[t, 'label'] if t in table.index else t}"
        for s, t in zip(zero["source"], zero["target"], strict=True)
    ]
    sides = covered_sides(geo)
    annotations = [
        label_annotation(box, m, geo, font_size, sides.get(box.node)) for box in plan.labels
    ]
    if plan.notes:
        annotations.append(
            {
                "text": "<br>".join(plan.notes),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "yshift": -6,
                "showarrow": False,
                "align": "left",
                "font": {"size": plan.note_size, "color": "#555555"},
                "name": "note",
            }
        )
    fig = go.Figure([trace, *legend])
    fig.update_layout(
        width=width,
        height=plan.height,
        margin={**m, "pad": 0, "autoexpand": False},
        title={
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 14},
            "font": {"size": font_size + 4},
        }
        if title
        else None,
        font={"family": font_family, "size": font_size, "color": "#1A1A1A"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis={"visible": False},
        yaxis={"visible": False},
        showlegend=bool(legend),
        **legends,
        shapes=shapes,
        annotations=annotations,
        meta={
            "msa_sankey": {
                "units": units,
                "units_per_px": 1.0 / geo.ky,
                "nodes": [str(n) for n in gn.index],
                "plot_height": geo.plot_height,
                "thin_flows": thin_items,
                "zero_flows": zero_items,
                "uncertain_flows": uncertain_items,
                "labels": {b.node: b.text for b in plan.labels},
                "color_by": color_by,
                "lang": lang,
            }
        },
    )
    return fig
