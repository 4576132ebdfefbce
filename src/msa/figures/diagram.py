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
``grade``           no        worst data-quality grade of the row (A-D, ``""`` ungraded);
                              needed for ``color_by="grade"``
``effect``          no        environmental effect the link carries (a number >= 0, e.g.
                              t CO2-eq; NaN: not assessed; summed when rows merge); needed
                              for ``color_by="effect"`` (msa.effects.links_with_effect)
``effect_units``    no        unit of ``effect`` (e.g. ``t CO2-eq``), shown in the legend
``p5``, ``p50``,    no        5th, 50th and 95th percentile of ``value`` (numbers, e.g. of
``p95``                       a Monte Carlo run); needed for ``link_labels="range"``
``sd``              no        standard deviation of ``value`` (a number >= 0, e.g. of a
                              reconciled flow); needed for ``link_labels="sd"``
==================  ========  ==========================================================

An optional **node table** fixes order, bands and names: one row per node with ``node`` (id),
``label_en`` / ``label_nl`` (or ``label``), ``order`` (or ``column``: left-to-right column of a
main-band node), ``band`` (``top`` for imports and reserves, ``main``, ``bottom`` for exports,
losses, disposal and stock additions), and optional ``stage`` and ``kind``. Rows keep their order
within a column. Without one, the node table is derived from the links: JRC stage order, and
boundary nodes that only send go to the top band, those that only receive to the bottom band.

Rows that draw as one band are merged (:func:`msa.figures.links.merge_rows`): their ``sd``
combines as the root of the sum of squares (independent rows); their percentiles do not
combine, so such a band shows its value without a range. Link labels, their formats and
placement are explained in :mod:`msa.figures._link_labels`.

The figure is built in two steps: :func:`msa.figures.plan.plan_sankey` checks the input and
lays the diagram out (a :class:`~msa.figures.plan.SankeyPlan`), then the functions below turn
the plan into plotly objects: colours, the Sankey trace, loop strokes, legend, labels and note,
page and meta. Layout, fixed scale and loops are explained in :mod:`msa.figures.layout`; image
export lives in :mod:`msa.figures.export`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from msa.figures._colours import Colours, link_colours, node_stages
from msa.figures._link_labels import link_annotation, link_meta
from msa.figures._text import baseline_to_middle, label_annotation, line_height, text_width
from msa.figures.labels import (
    STAGE_COLORS,
    Lang,
    format_value,
    status_name,
    text,
)
from msa.figures.links import JRC_STAGES, links_from_system, nodes_from_links
from msa.figures.overlaps import labels_over_bands
from msa.figures.plan import (
    FONT,
    LEGEND_SWATCH,
    LEGEND_SWATCH_X,
    LEGEND_TEXT_X,
    LEGEND_TITLE_X,
    SCALE_BAR_ROW,
    ColorBy,
    LegendGroup,
    LinkLabels,
    SankeyOptions,
    SankeyPlan,
    plan_sankey,
    points,
    subtitle_lines,
    title_lines,
    title_px,
)

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go


__all__ = [
    "JRC_STAGES",
    "ColorBy",
    "LinkLabels",
    "draw_plan",
    "links_from_system",
    "nodes_from_links",
    "outgrown_page",
    "sankey",
]

#: Colour of what must not show: ghost nodes and links, the ballast.
_INVISIBLE = "rgba(0,0,0,0)"
_TEXT_COLOR = "#1A1A1A"
#: Colour, thickness (px) and gap to its label (px) of the scale bar.
_BAR_COLOR = "#444444"
_BAR_THICKNESS = 6.0
_BAR_GAP = 6.0


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as err:  # pragma: no cover - plotly is in the plot extra
        raise ImportError('Sankey figures need plotly: pip install "msa[plot]"') from err
    return go


# ----------------------------------------------------------------------------- the builder
def sankey(
    links: pd.DataFrame,
    *,
    nodes: pd.DataFrame | None = None,
    lang: Lang = "en",
    color_by: ColorBy = "stage",
    scale: float | None = None,
    title: str | None = None,
    width: int | None = None,
    height: int | None = None,
    min_visible_px: float = 0.5,
    font_family: str = FONT,
    font_size: int | None = None,
    footnotes: str | list[str] | tuple[str, ...] = (),
    link_labels: LinkLabels = "none",
    scale_bar: bool = True,
    subtitle: str | None = None,
    source: str | None = None,
    preset: str | None = None,
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
    color_by : {"stage", "material", "flow_type", "grade", "effect"}
        The one meaning colour carries. ``"grade"`` colours each link by the worst
        data-quality grade of the cells it sums (A best ... D an assumption, ungraded worst);
        it needs the ``grade`` column that :func:`links_from_system` makes (a view's links
        have none: :class:`~msa.errors.ConfigError`). ``"effect"`` colours each link by the
        environmental effect it carries (column ``effect``, e.g. t CO2-eq from
        :func:`msa.effects.links_with_effect`) on Tol's sequential YlOrBr scale, in up to five
        bins at the quantiles of the drawn effects (rounded to two digits, named in the
        legend), at opacity 0.8; links of 0 are grey, links not assessed (NaN) dark grey. No
        ``effect`` column: :class:`~msa.errors.ConfigError`.
    scale : float, optional
        Fixed scale in data units per pixel (e.g. 0.5 t/px): a flow of equal value has equal
        width in every figure drawn at this scale, and the figure height follows the data.
        Default: fit to ``height``.
    title : str, optional
        Figure title.
    width, height : int, optional
        Figure size in px: ``width`` 1100 (or the preset's); ``height`` 620 when fitting (or
        the preset's); with ``scale`` it is a minimum.
    min_visible_px : float
        Flows drawn thinner than this are listed in the note.
    font_family, font_size :
        Font of all text; set explicitly so images are the same on every machine. The size
        (px) of labels and legend: 12, or the preset's; the note is 2 px smaller.
    footnotes : str or sequence of str
        Extra lines for the note under the figure, e.g. :attr:`msa.jrc_msa.views.View.footnotes`
        (where a view departs from the agreed mapping).
    link_labels : {"none", "value", "range", "sd"}
        A label printed on each link, in the node labels' units and number format:
        ``"value"`` its value (``12.3 t``), ``"range"`` ``p50 (p5–p95)`` from the columns
        ``p5``, ``p50``, ``p95`` (``12.3 (10.1–14.2) t``, e.g. Monte Carlo percentiles),
        ``"sd"`` ``value ± sd`` from the column ``sd`` (``12.3 ± 0.8 t``, e.g. a reconciled
        flow). Labels are small, centred on the link and placed largest flow first; one
        with no free spot is left out and named in the note, as is a band that shows its
        value without its range or sd (see :mod:`msa.figures._link_labels`). Missing
        columns: :class:`~msa.errors.ConfigError`.
    scale_bar : bool
        Draw a scale bar at the foot of the figure, under the note: a bar of a round quantity
        (1, 2 or 5 x 10^k in the figure's unit, e.g. ``100,000 t``) exactly as long as a flow
        of that quantity is wide, so figures at one scale have equal bars.
    subtitle : str, optional
        A line under the title, e.g. what is counted and the mass basis ("Lithium, element
        mass").
    source : str, optional
        The source line, last under the figure ("Bron: CBS/PBL, bewerking ...").
    preset : {"a4-portrait", "a4-landscape", "slide"}, optional
        Make the figure for a print size (:data:`msa.figures.plan.PRESETS`): a 16 cm column
        of an A4 page, the 24.7 cm text width of A4 landscape, a 25.4 cm wide 16:9 slide.
        It fixes the width (give no ``width``) at 96 px per inch of the final size, the
        height of the diagram fitted to the page (without ``height``) and the text sizes, so
        every text prints at 7 pt or more (labels 9 pt, notes 7.5 pt; slide 12 and 9.75 pt).
        Write the PNG at the preset's dpi with ``write_figure(fig, ...,
        scale=PRESETS[preset].png_scale)`` (``msa sankey --preset`` does).

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig.layout.meta["msa_sankey"]`` records the scale (``units_per_px``), units, the
        flows listed in the note, the link labels (placed and left out) and the scale bar
        (``scale_bar``: ``value`` in the data's unit, ``label``, ``px`` and its ``box``
        ``[left, top, right, bottom]`` in figure px; None without one), the ``legend``
        (group title to entry names) and the print size (``preset``, ``width_cm``,
        ``height_cm``, ``page_height_cm``, ``dpi``, ``text_pt``: the smallest text in pt at
        that size; None without a preset).

    Examples
    --------
    >>> import msa
    >>> fig = sankey(links_from_system(msa.load_example(), 2021), scale=1.0)
    >>> fig.layout.meta["msa_sankey"]["units_per_px"]
    1.0
    """
    options = SankeyOptions.checked(
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
        link_labels=link_labels,
        scale_bar=scale_bar,
        subtitle=subtitle,
        source=source,
        preset=preset,
    )
    return draw_plan(plan_sankey(links, nodes, options))


def draw_plan(plan: SankeyPlan) -> go.Figure:
    """Return the plotly Figure of a plan: what :func:`sankey` returns for the same plan."""
    go = _plotly()
    stage_of = node_stages(plan.table)
    colours = plan.colours or link_colours(_Prepared(plan))
    fig = go.Figure([_sankey_trace(go, plan, stage_of, colours.links)])
    fig.update_layout(
        **_page(plan),
        showlegend=False,
        shapes=[*_loop_shapes(plan, colours), *_legend_shapes(plan)],
        annotations=_annotations(plan),
        meta={"msa_sankey": _meta(plan)},
    )
    return fig


class _Prepared:
    """A plan seen as prepared tables (for :func:`link_colours`)."""

    def __init__(self, plan: SankeyPlan) -> None:
        self.lang, self.color_by = plan.options.lang, plan.options.color_by
        self.links, self.table = plan.links, plan.table
        self.drawn, self.used = plan.drawn, plan.used


# ----------------------------------------------------------------------------- the trace
def _sankey_trace(
    go: Any, plan: SankeyPlan, stage_of: dict[str, str | None], link_color: pd.Series
) -> Any:
    """Return the ``go.Sankey`` trace: nodes at fixed positions, links in input order.

    Node labels are empty here; they are annotations (see :func:`_annotations`).
    """
    options = plan.options
    return go.Sankey(
        arrangement="fixed",
        node=_trace_nodes(plan, stage_of, link_color),
        link=_trace_links(plan, link_color),
        textfont={"family": options.font_family, "size": options.font_size, "color": _TEXT_COLOR},
    )


def _trace_nodes(
    plan: SankeyPlan, stage_of: dict[str, str | None], link_color: pd.Series
) -> dict[str, object]:
    """Return the trace's nodes: stage colour and hover text, ghosts invisible.

    A waypoint (a ghost a band skipping a column passes, see :mod:`msa.figures.layout`) takes
    its band's colour, so the band runs on through it.
    """
    gn, gl = plan.geo.nodes, plan.geo.links
    ghost = gn["ghost"]
    via = gn.get("waypoint", pd.Series(False, index=gn.index))
    via_colour = {t: link_color[i] for i, t in zip(gl["link"], gl["target"], strict=True) if via[t]}
    return {
        "label": [""] * len(gn),
        "x": np.maximum(gn["x"].to_numpy(), 1e-6).tolist(),
        "y": np.maximum(gn["y"].to_numpy(), 1e-6).tolist(),
        "color": [
            via_colour[n] if n in via_colour else _INVISIBLE if g else STAGE_COLORS[stage_of[n]]
            for n, g in zip(gn.index, ghost, strict=True)
        ],
        "pad": 0,
        "thickness": plan.spacing.node_thickness,
        "line": {"width": 0},
        "customdata": [
            "" if g else f"{plan.names[n]}: {plan.values[n]}"
            for n, g in zip(gn.index, ghost, strict=True)
        ],
        "hovertemplate": "%{customdata}<extra></extra>",
    }


def _trace_links(plan: SankeyPlan, link_color: pd.Series) -> dict[str, object]:
    """Return the trace's links (plotly's graph, ghosts and ballast included) with hover."""
    gn, gl = plan.geo.nodes, plan.geo.links
    index = {n: i for i, n in enumerate(gn.index)}
    hidden = gn["ghost"] & ~gn.get("waypoint", pd.Series(False, index=gn.index))
    return {
        "source": [index[s] for s in gl["source"]],
        "target": [index[t] for t in gl["target"]],
        "value": gl["value"].tolist(),
        "color": [
            _INVISIBLE if i == -1 or hidden[a] or hidden[b] else link_color[i]
            for i, a, b in zip(gl["link"], gl["source"], gl["target"], strict=True)
        ],
        "customdata": [
            _link_hover(plan, i, v) for i, v in zip(gl["link"], gl["value"], strict=True)
        ],
        "hovertemplate": "%{customdata}<extra></extra>",
        "sort": "input",
    }


def _link_hover(plan: SankeyPlan, link: Any, value: float) -> str:
    """Hover text of a drawn link: its ends, value, and material, codes, status, grade if any.

    ``link`` is the row of the plan's links it draws (-1 for the ballast: no hover).
    """
    if link == -1:
        return ""
    links, lang = plan.links, plan.options.lang
    src, tgt = links.at[link, "source"], links.at[link, "target"]
    parts = [f"{plan.label(src)} → {plan.label(tgt)}", plan.quantity(value)]
    if plan.options.link_labels in ("range", "sd"):
        what = text(plan.options.link_labels, lang)
        parts.append(f"{what}: {plan.link_labels.texts.texts[link]}")
    for extra in ("material", "jrc_codes", "status", "grade"):
        shown = _given(links.at[link, extra]) if extra in links.columns else ""
        if extra == "status":
            shown = status_name(shown, lang)
        if shown:  # an absent value (empty, NaN, or its text 'nan') is left out
            parts.append(f"{text(f'hover_{extra}', lang)}: {shown}")
    if "effect" in links.columns and pd.notna(links.at[link, "effect"]):
        units = links.at[link, "effect_units"] if "effect_units" in links.columns else ""
        shown = format_value(float(links.at[link, "effect"]), str(units or ""), lang)
        parts.append(f"{text('hover_effect', lang)}: {shown}")
    return "<br>".join(parts)


def _given(value: Any) -> str:
    """Return ``value`` as hover text, or ``""`` if it is absent (None, NaN, 'nan', blank)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    shown = str(value).strip()
    return "" if shown.lower() in ("nan", "none", "<na>") else shown


def _loop_shapes(plan: SankeyPlan, colours: Colours) -> list[dict[str, object]]:
    """Recycling loops as stroked paths under the diagram, each as wide as its flow.

    A loop thinner than :data:`THIN_LOOP_PX` is drawn in its colour at full opacity (a
    half-transparent hairline vanishes in print); its width stays that of its flow.
    """
    return [
        {
            "type": "path",
            "path": loop["path"],
            "xref": "paper",
            "yref": "paper",
            "line": {
                "color": _opaque(colours.links[loop["link"]])
                if loop["width"] < THIN_LOOP_PX
                else colours.links[loop["link"]],
                "width": loop["width"],
            },
            "layer": "below",
            "name": "loop",
        }
        for loop in plan.geo.loops
    ]


#: Loops thinner than this (px) are drawn opaque.
THIN_LOOP_PX = 3.0


def _opaque(colour: str) -> str:
    """Return an ``rgba(r,g,b,a)`` colour at full opacity."""
    return colour.rsplit(",", 1)[0] + ",1)" if colour.startswith("rgba(") else colour


def _scale_bar_box(plan: SankeyPlan) -> tuple[float, float, float, float] | None:
    """Return the scale bar and its label as ``(left, top, right, bottom)`` in figure px.

    The bar sits in the last row of the bottom margin (under the note), from the plot's left
    edge; its label follows it on the right.
    """
    bar = plan.scale_bar
    if bar is None:
        return None
    size, family = plan.note_size, plan.options.font_family
    left = plan.margin["l"]
    middle = plan.height - SCALE_BAR_ROW / 2
    right = left + bar.px + _BAR_GAP + text_width(bar.label, size, family)
    half = max(line_height(size), _BAR_THICKNESS) / 2
    return left, middle - half, right, middle + half


def _bar_middle(plan: SankeyPlan) -> float:
    """Paper y of the middle of the scale-bar row (below the plot area, so negative)."""
    return -(plan.margin["b"] - SCALE_BAR_ROW / 2) / plan.geo.plot_height


def _scale_bar_annotations(plan: SankeyPlan) -> list[dict[str, object]]:
    """Return the scale bar and its label, right of it, as two annotations.

    The bar is an empty, filled annotation box of exactly ``px`` width (plotly rounds it to
    whole px); it is no layout shape, so ``fig.layout.shapes`` holds the recycling loops
    (named ``loop``) and the legend's swatches (``legend:<entry>``) only, and it has no
    name, so the named annotations are the figure's texts (labels, legend, note).
    """
    if plan.scale_bar is None:
        return []
    return [
        {
            "text": "",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": _bar_middle(plan),
            "xanchor": "left",
            "yanchor": "middle",
            "width": plan.scale_bar.px,
            "height": _BAR_THICKNESS,
            "showarrow": False,
            "borderpad": 0,
            "borderwidth": 0,
            "bgcolor": _BAR_COLOR,
            "font": {"size": 1},
        },
        {
            "text": plan.scale_bar.label,
            "xref": "paper",
            "yref": "paper",
            "x": (plan.scale_bar.px + _BAR_GAP) / plan.geo.plot_width,
            "y": _bar_middle(plan),
            "xanchor": "left",
            "yanchor": "middle",
            "showarrow": False,
            "borderpad": 0,
            "font": {"size": plan.note_size, "color": _BAR_COLOR},
            "name": "scale_bar_label",
        },
    ]


# ----------------------------------------------------------------------------- legend
def _legend_shapes(plan: SankeyPlan) -> list[dict[str, object]]:
    """Return the legend's swatches: a square of each entry's colour, as layout shapes.

    The legend is drawn, not a plotly legend: a plotly legend needs one trace per entry (an
    empty trace a click would toggle), so the figure's only trace is the Sankey. Each group
    sits where the plan laid it out (:func:`~msa.figures.plan.legend_layout`), its bottom
    edge ``below`` px above the plot area. Swatches are named ``legend:<entry>``.
    """
    half = LEGEND_SWATCH / 2
    shapes = []
    for group in plan.legend:
        top = _legend_top(plan, group)
        for entry in group.entries:
            x, y = entry.x + LEGEND_SWATCH_X, top + entry.y
            shapes.append(
                {
                    "type": "rect",
                    "xref": "paper",
                    "yref": "paper",
                    "x0": (x - half) / plan.geo.plot_width,
                    "x1": (x + half) / plan.geo.plot_width,
                    "y0": _paper_y(plan, y + half),
                    "y1": _paper_y(plan, y - half),
                    "fillcolor": entry.colour,
                    "line": {"width": 0},
                    "layer": "above",
                    "name": f"legend:{entry.name}",
                }
            )
    return shapes


def _legend_annotations(plan: SankeyPlan) -> list[dict[str, object]]:
    """Return the legend's texts: each group's title (``legend_title``), each entry's name.

    Every text sits on the baseline the plan gives it, at the labels' size.
    """
    size, family = plan.options.font_size, plan.options.font_family
    rise = baseline_to_middle(size, family)  # an annotation is centred on its box's middle

    def text_at(text: str, x: float, baseline: float, name: str) -> dict[str, object]:
        return {
            "text": text,
            "xref": "paper",
            "yref": "paper",
            "x": x / plan.geo.plot_width,
            "y": _paper_y(plan, baseline - rise),
            "xanchor": "left",
            "yanchor": "middle",
            "align": "left",
            "showarrow": False,
            "borderpad": 0,
            "borderwidth": 0,
            "font": {"size": size, "color": _TEXT_COLOR},
            "name": name,
        }

    out = []
    for group in plan.legend:
        top = _legend_top(plan, group)
        out.append(text_at(group.title, LEGEND_TITLE_X, top + group.title_baseline, "legend_title"))
        out += [
            text_at(e.name, e.x + LEGEND_TEXT_X, top + e.baseline, "legend") for e in group.entries
        ]
    return out


def _legend_top(plan: SankeyPlan, group: LegendGroup) -> float:
    """Return the top of a legend group, in px from the figure's top."""
    return plan.margin["t"] - group.below - group.box


def _paper_y(plan: SankeyPlan, y: float) -> float:
    """Return the paper y of ``y`` px from the figure's top."""
    return 1 + (plan.margin["t"] - y) / plan.geo.plot_height


# ----------------------------------------------------------------------------- text
def _annotations(plan: SankeyPlan) -> list[dict[str, object]]:
    """Node and link labels (placed by the plan) and the note under the figure, as annotations."""
    over = labels_over_bands(plan)  # a label gets a background only over a band
    size = plan.options.font_size
    annotations = [
        label_annotation(box, plan.margin, plan.geo, size, {box.side} if box.node in over else None)
        for box in plan.labels
    ]
    annotations += [
        link_annotation(label, plan.margin, plan.geo, plan.note_size)
        for label in plan.link_labels.placed
    ]
    annotations += _scale_bar_annotations(plan)
    annotations += _legend_annotations(plan)
    if plan.options.subtitle:
        annotations.append(_subtitle(plan))
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
    return annotations


def _subtitle(plan: SankeyPlan) -> dict[str, object]:
    """Return the subtitle: a line under the title, above the legend, at the labels' size."""
    options = plan.options
    top = 14 + (title_px(options) - 5 if options.title else 0)  # px from the figure's top
    return {
        "text": "<br>".join(subtitle_lines(options)),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1 + (plan.margin["t"] - top) / plan.geo.plot_height,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "align": "left",
        "font": {"size": options.font_size, "color": "#444444"},
        "name": "subtitle",
    }


def _listing(plan: SankeyPlan, frame: pd.DataFrame) -> list[str]:
    """List ``"A → B 12 t"`` for each row of ``frame`` whose ends are in the node table."""
    table = plan.table
    return [
        f"{plan.label(s)} \u2192 {plan.label(t)} {plan.quantity(v)}"
        for s, t, v in zip(frame["source"], frame["target"], frame["value"], strict=True)
        if s in table.index and t in table.index
    ]


def _zero_listing(plan: SankeyPlan) -> list[str]:
    """List ``"A → B"`` for each flow of 0 (an end outside the node table by its id)."""
    table = plan.table
    return [
        f"{table.at[s, 'label'] if s in table.index else s} \u2192 "
        f"{table.at[t, 'label'] if t in table.index else t}"
        for s, t in zip(plan.zero["source"], plan.zero["target"], strict=True)
    ]


# ----------------------------------------------------------------------------- page, meta
def _page(plan: SankeyPlan) -> dict[str, object]:
    """Size, margins, title, font and background of the figure (no axes)."""
    options = plan.options
    title = {
        "text": "<br>".join(title_lines(options)),
        "x": plan.margin["l"] / options.width,
        "xanchor": "left",
        "y": 1,
        "yref": "container",
        "yanchor": "top",
        "pad": {"t": 14},
        "font": {"size": options.font_size + 4},
    }
    return {
        "width": options.width,
        "height": plan.height,
        "margin": {**plan.margin, "pad": 0, "autoexpand": False},
        "title": title if options.title else None,
        "font": {"family": options.font_family, "size": options.font_size, "color": _TEXT_COLOR},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    }


def _meta(plan: SankeyPlan) -> dict[str, object]:
    """Return what the figure records in ``layout.meta["msa_sankey"]``: scale, nodes, lists."""
    geo = plan.geo
    return {
        "units": plan.units,
        "units_per_px": 1.0 / geo.ky,
        "nodes": [str(n) for n in geo.nodes.index],
        "plot_height": geo.plot_height,
        "thin_flows": _listing(plan, plan.thin),
        "zero_flows": _zero_listing(plan),
        "uncertain_flows": _listing(plan, plan.uncertain),
        "labels": {b.node: b.text for b in plan.labels},
        "link_labels": link_meta(plan.link_labels, plan.drawn, plan.table),
        "color_by": plan.options.color_by,
        "lang": plan.options.lang,
        "scale_bar": _scale_bar_meta(plan),
        "legend": {title: list(entries) for title, entries in _legend_groups(plan).items()},
        **_print_meta(plan),
    }


def _legend_groups(plan: SankeyPlan) -> dict[str, dict[str, str]]:
    """Return the legend groups of the plan: title to {entry: colour}."""
    return (plan.colours or link_colours(_Prepared(plan))).legend


def _print_meta(plan: SankeyPlan) -> dict[str, object]:
    """Return the print size of the figure: preset, final width, dpi, smallest text in pt."""
    page, options = plan.options.preset, plan.options
    if page is None:
        return dict.fromkeys(
            ("preset", "width_cm", "height_cm", "page_height_cm", "dpi", "text_pt")
        )
    smallest = min(options.font_size, options.note_size)
    return {
        "preset": page.name,
        "width_cm": page.width_cm,
        "height_cm": round(plan.height / options.width * page.width_cm, 2),
        "page_height_cm": page.page_height_cm,
        "dpi": page.dpi,
        "text_pt": points(smallest, options.width, page.width_cm),
    }


def outgrown_page(fig: Any, name: str) -> str | None:
    """Return a note that the figure is taller than its preset's page, or None if it fits.

    A preset fits the whole figure, title to note, into its page where the labels leave
    room; a figure whose labels need more grows taller than the page.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure of :func:`sankey` (any other figure has no page: None).
    name : str
        What to call it in the note (e.g. its file name).

    Returns
    -------
    str or None
    """
    meta = (getattr(fig.layout, "meta", None) or {}).get("msa_sankey") or {}
    tall, page = meta.get("height_cm"), meta.get("page_height_cm")
    if tall is None or page is None or tall <= page + 0.05:
        return None
    smallest = meta["text_pt"] * page / tall
    return (
        f"{name} is {tall:.1f} cm tall at {meta['preset']}, taller than its page "
        f"({page:.1f} cm): its labels need the room; scaled down to the page its smallest "
        f"text prints at {smallest:.1f} pt"
    )


def _scale_bar_meta(plan: SankeyPlan) -> dict[str, object] | None:
    """Return the scale bar as recorded in the meta: value, unit, label, length and box."""
    bar, box = plan.scale_bar, _scale_bar_box(plan)
    if bar is None or box is None:
        return None
    return {
        "value": bar.value,
        "units": bar.units,
        "label": bar.label,
        "px": bar.px,
        "box": list(box),
    }
