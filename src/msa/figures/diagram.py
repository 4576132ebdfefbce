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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from msa.figures._link_labels import link_annotation, link_meta
from msa.figures._text import covered_sides, label_annotation, line_height, text_width
from msa.figures.labels import (
    EFFECT_COLORS,
    EFFECT_NONE,
    EFFECT_UNKNOWN,
    FLOW_TYPES,
    GRADE_COLORS,
    STAGE_COLORS,
    Lang,
    colors_for,
    format_value,
    rgba,
    stage_name,
    status_name,
    text,
)
from msa.figures.links import JRC_STAGES, links_from_system, nodes_from_links
from msa.figures.plan import (
    FONT,
    LEGEND_ROW,
    SCALE_BAR_ROW,
    ColorBy,
    LinkLabels,
    SankeyOptions,
    SankeyPlan,
    plan_sankey,
)
from msa.system.provenance import GRADES

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go


__all__ = [
    "JRC_STAGES",
    "ColorBy",
    "LinkLabels",
    "draw_plan",
    "links_from_system",
    "nodes_from_links",
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
    width: int = 1100,
    height: int | None = None,
    min_visible_px: float = 0.5,
    font_family: str = FONT,
    font_size: int = 12,
    footnotes: str | list[str] | tuple[str, ...] = (),
    link_labels: LinkLabels = "none",
    scale_bar: bool = True,
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
    width, height : int
        Figure size in px. ``height`` defaults to 620 when fitting; with ``scale`` it is a
        minimum.
    min_visible_px : float
        Flows drawn thinner than this are listed in the note.
    font_family, font_size :
        Font of all text; set explicitly so images are the same on every machine.
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

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig.layout.meta["msa_sankey"]`` records the scale (``units_per_px``), units, the
        flows listed in the note, the link labels (placed and left out) and the scale bar
        (``scale_bar``: ``value`` in the data's unit, ``label``, ``px`` and its ``box``
        ``[left, top, right, bottom]`` in figure px; None without one).

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
    )
    return draw_plan(plan_sankey(links, nodes, options))


def draw_plan(plan: SankeyPlan) -> go.Figure:
    """Return the plotly Figure of a plan: what :func:`sankey` returns for the same plan."""
    go = _plotly()
    stage_of = _node_stages(plan.table)
    colours = _colours(plan, stage_of)
    legend, legends = _legend(go, plan, colours.legend)
    fig = go.Figure([_sankey_trace(go, plan, stage_of, colours.links), *legend])
    fig.update_layout(
        **_page(plan),
        showlegend=bool(legend),
        **legends,
        shapes=_loop_shapes(plan, colours.links),
        annotations=_annotations(plan),
        meta={"msa_sankey": _meta(plan)},
    )
    return fig


# ----------------------------------------------------------------------------- colours
@dataclass(frozen=True)
class _Colours:
    """What colour means in one figure.

    Attributes
    ----------
    links : Series
        ``rgba(...)`` colour of each row of the plan's links (same index).
    legend : dict
        Legend groups in order: group title to {entry name: ``#RRGGBB``}.
    """

    links: pd.Series
    legend: dict[str, dict[str, str]]


def _node_stages(table: pd.DataFrame) -> dict[str, str | None]:
    """JRC stage of each node of the node table; None outside the chain."""
    return {n: st if st in JRC_STAGES else None for n, st in table["stage"].items()}


def _colours(plan: SankeyPlan, stage_of: dict[str, str | None]) -> _Colours:
    """Colour the links by the plan's ``color_by``, and list what each colour means.

    Links carry the chosen meaning; node bars always show their stage (grey outside the
    chain), so a figure coloured by flow type still reads along the chain. What a view leaves
    out of a node is pale grey in every colouring.
    """
    links, lang = plan.links, plan.options.lang
    shown = {stage_of[n] for n in plan.used}
    stages = {stage_name(st, lang): STAGE_COLORS[st] for st in [*JRC_STAGES, None] if st in shown}
    if plan.options.color_by == "stage":
        link_base = [
            STAGE_COLORS[stage_of[s] or stage_of[t]]
            for s, t in zip(links["source"], links["target"], strict=True)
        ]
        groups = {text("stage", lang): stages}
        if plan.drawn["flow_type"].eq("scope").any():
            stages[text("scope", lang)] = FLOW_TYPES["scope"]
    elif plan.options.color_by == "grade":
        link_base, groups = _grade_colours(plan, stages)
    elif plan.options.color_by == "effect":
        link_base, groups = _effect_colours(plan, stages)
    elif plan.options.color_by == "material":
        palette = colors_for(links["material"].astype(str))
        link_base = [palette[v] for v in links["material"].astype(str)]
        groups = {text("material", lang): palette, text("node_stage", lang): stages}
    else:
        drawn_types = set(plan.drawn["flow_type"])
        link_base = [FLOW_TYPES[f] for f in links["flow_type"]]
        kinds = {text(f, lang): c for f, c in FLOW_TYPES.items() if f in drawn_types}
        groups = {text("flow_type", lang): kinds, text("node_stage", lang): stages}
    link_base = [
        FLOW_TYPES["scope"] if f == "scope" else c
        for f, c in zip(links["flow_type"], link_base, strict=True)
    ]
    alpha = 0.8 if plan.options.color_by == "effect" else 0.5  # a sequential scale needs body
    return _Colours(
        links=pd.Series([rgba(c, alpha) for c in link_base], index=links.index), legend=groups
    )


def _grade_colours(
    plan: SankeyPlan, stages: dict[str, str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Colour each link by its worst grade; the legend names every grade A-D, best first.

    The legend shows the whole scale, also grades no link has, so a reader sees how good the
    best data of the figure are. Ungraded links are grey and named last when drawn; what a
    view leaves out of a node keeps its own pale grey and legend entry.
    """
    lang = plan.options.lang
    drawn = plan.drawn[plan.drawn["flow_type"].ne("scope")]
    shown = {*GRADES, *drawn["grade"]}
    grades = {text(f"grade_{g}", lang): c for g, c in GRADE_COLORS.items() if g in shown}
    if len(drawn) < len(plan.drawn):
        grades[text("scope", lang)] = FLOW_TYPES["scope"]
    link_base = [GRADE_COLORS[g] for g in plan.links["grade"]]
    return link_base, {text("grade", lang): grades, text("node_stage", lang): stages}


def _effect_colours(
    plan: SankeyPlan, stages: dict[str, str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Colour each link by the effect it carries, in bins of Tol's YlOrBr; name the bins.

    The bins split the drawn links' positive effects at their quantiles (up to five bins,
    edges rounded to two significant digits), so every colour is used; the legend names each
    bin (``< 1,200``, ``1,200–5,600``, ``≥ 5,600``) under a title with the unit. A link of 0
    carries no effect (grey), a NaN one was not assessed (dark grey); both are named when drawn.
    """
    lang = plan.options.lang
    drawn = plan.drawn[plan.drawn["flow_type"].ne("scope")]
    positive = drawn["effect"][drawn["effect"] > 0].to_numpy(float)
    edges, colours = _effect_bins(positive)
    effect = plan.links["effect"].to_numpy(float)
    index = np.searchsorted(edges, np.nan_to_num(effect), side="right")
    link_base = [
        EFFECT_UNKNOWN if np.isnan(e) else EFFECT_NONE if e <= 0 else colours[i]
        for e, i in zip(effect, index, strict=True)
    ]
    entries = dict(zip(_bin_names(positive, edges, lang), colours, strict=True))
    if (drawn["effect"] == 0).any():
        entries[text("effect_none", lang)] = EFFECT_NONE
    if drawn["effect"].isna().any():
        entries[text("effect_unknown", lang)] = EFFECT_UNKNOWN
    if len(drawn) < len(plan.drawn):
        entries[text("scope", lang)] = FLOW_TYPES["scope"]
    units = ""
    if "effect_units" in plan.links.columns:
        given = [str(u) for u in plan.links["effect_units"].dropna() if str(u)]
        units = given[0] if given else ""
    title = text("effect", lang) + (f" ({units})" if units else "")
    return link_base, {title: entries, text("node_stage", lang): stages}


def _effect_bins(positive: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Inner bin edges at the quantiles of ``positive`` (two significant digits) and colours."""
    if positive.size == 0:
        return np.array([]), []
    k = min(len(EFFECT_COLORS), len(np.unique(positive)))
    quantiles = np.quantile(positive, np.arange(1, k) / k) if k > 1 else np.array([])
    edges = np.unique([_round2(q) for q in quantiles if q > 0])
    if len(edges) == 0:
        return edges, [EFFECT_COLORS[3]]
    picks = np.round(np.linspace(0, len(EFFECT_COLORS) - 1, len(edges) + 1)).astype(int)
    return edges, [EFFECT_COLORS[i] for i in picks]


def _round2(value: float) -> float:
    """Round to two significant digits."""
    return float(f"{value:.2g}")


def _bin_names(positive: np.ndarray, edges: np.ndarray, lang: Lang) -> list[str]:
    """Legend names of the bins: ``< a``, ``a–b`` ..., ``≥ z`` (one bin: its range)."""

    def number(v: float) -> str:
        return format_value(float(v), "", lang, digits=2)

    if positive.size == 0:
        return []
    if len(edges) == 0:
        low, high = positive.min(), positive.max()
        return [number(low) if low == high else f"{number(low)}\u2013{number(high)}"]
    names = [f"< {number(edges[0])}"]
    names += [f"{number(a)}\u2013{number(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [*names, f"\u2265 {number(edges[-1])}"]


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
        node=_trace_nodes(plan, stage_of),
        link=_trace_links(plan, link_color),
        textfont={"family": options.font_family, "size": options.font_size, "color": _TEXT_COLOR},
    )


def _trace_nodes(plan: SankeyPlan, stage_of: dict[str, str | None]) -> dict[str, object]:
    """Return the trace's nodes: stage colour and hover text, ghosts invisible."""
    gn = plan.geo.nodes
    ghost = gn["ghost"]
    return {
        "label": [""] * len(gn),
        "x": np.maximum(gn["x"].to_numpy(), 1e-6).tolist(),
        "y": np.maximum(gn["y"].to_numpy(), 1e-6).tolist(),
        "color": [
            _INVISIBLE if g else STAGE_COLORS[stage_of[n]]
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
    return {
        "source": [index[s] for s in gl["source"]],
        "target": [index[t] for t in gl["target"]],
        "value": gl["value"].tolist(),
        "color": [
            _INVISIBLE if i == -1 or gn.at[a, "ghost"] or gn.at[b, "ghost"] else link_color[i]
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


def _loop_shapes(plan: SankeyPlan, link_color: pd.Series) -> list[dict[str, object]]:
    """Recycling loops as stroked paths under the diagram, each as wide as its flow."""
    return [
        {
            "type": "path",
            "path": loop["path"],
            "xref": "paper",
            "yref": "paper",
            "line": {"color": link_color[loop["link"]], "width": loop["width"]},
            "fillcolor": _INVISIBLE,
            "layer": "below",
        }
        for loop in plan.geo.loops
    ]


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
    whole px); it is no layout shape, so ``fig.layout.shapes`` holds the recycling loops only,
    and it has no name, so the named annotations are the figure's texts (labels, note).
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
def _legend(
    go: Any, plan: SankeyPlan, groups: dict[str, dict[str, str]]
) -> tuple[list[Any], dict[str, dict[str, object]]]:
    """Return the legend entries (marker-only traces) and the layout of each legend.

    The first group (what link colour means) is ``legend``; a second (node stages) is
    ``legend2``, one row below it.
    """
    size = plan.options.font_size
    entries = [
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
        for k, group in enumerate(groups.values())
        for name, c in group.items()
    ]
    raise_first = LEGEND_ROW / plan.geo.plot_height if len(groups) > 1 else 0
    legends: dict[str, dict[str, object]] = {
        "legend" if k == 0 else "legend2": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 + (raise_first if k == 0 else 0),
            "yanchor": "bottom",
            "yref": "paper",
            "font": {"size": size},
            "title": {"text": f"{title}:", "side": "left", "font": {"size": size}},
        }
        for k, title in enumerate(groups)
    }
    return entries, legends


# ----------------------------------------------------------------------------- text
def _annotations(plan: SankeyPlan) -> list[dict[str, object]]:
    """Node and link labels (placed by the plan) and the note under the figure, as annotations."""
    sides = covered_sides(plan.geo)
    size = plan.options.font_size
    annotations = [
        label_annotation(box, plan.margin, plan.geo, size, sides.get(box.node))
        for box in plan.labels
    ]
    annotations += [
        link_annotation(label, plan.margin, plan.geo, plan.note_size)
        for label in plan.link_labels.placed
    ]
    annotations += _scale_bar_annotations(plan)
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
        "text": options.title,
        "x": 0.01,
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
    }


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
