"""Plan a Sankey: check the input, resolve the tables and lay the diagram out, without plotly.

:func:`plan_sankey` returns a :class:`SankeyPlan`, everything :func:`msa.figures.diagram.sankey`
draws; :mod:`msa.figures.series` plans several tables to find their common scale and height
before drawing any. What a plan takes from its tables alone (:func:`prepare_tables`: checked
links, node table, texts) does not depend on the page, so a series prepares each table once
for its three plans (fit, common height, final figure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError, RenderError
from msa.figures._link_labels import (
    LinkLabelling,
    LinkTexts,
    link_notes,
    link_texts,
    place_link_labels,
)
from msa.figures._text import (
    LabelBox,
    label_boxes,
    line_height,
    margins_needed,
    node_texts,
    note_lines,
)
from msa.figures.labels import Lang, checked_lang, display_units, format_value
from msa.figures.layout import Geometry, LayoutOptions, layout
from msa.figures.links import flow_types, merge_rows, prepare_nodes, validate_links

__all__ = [
    "COLOR_BY",
    "FONT",
    "LEGEND_ROW",
    "LINK_LABELS",
    "ColorBy",
    "LinkLabels",
    "SCALE_BAR_ROW",
    "PreparedTables",
    "SankeyOptions",
    "SankeyPlan",
    "ScaleBar",
    "plan_sankey",
    "prepare_tables",
    "scale_bar",
]

#: The one meaning colour carries in a figure.
ColorBy = Literal["stage", "material", "flow_type", "grade", "effect"]
#: Every :data:`ColorBy`.
COLOR_BY: tuple[ColorBy, ...] = ("stage", "material", "flow_type", "grade", "effect")
#: What the printed link labels state (see :mod:`msa.figures._link_labels`).
LinkLabels = Literal["none", "value", "range", "sd"]
#: Every :data:`LinkLabels`.
LINK_LABELS: tuple[LinkLabels, ...] = ("none", "value", "range", "sd")

#: Font of every figure unless asked otherwise; set explicitly so images match on every machine.
FONT = "DejaVu Sans"
#: px of a second legend row (node stages under the link colours).
LEGEND_ROW = 24
#: px of the row at the foot of the figure that holds the scale bar.
SCALE_BAR_ROW = 24
#: Longest scale bar in px (the bar is the largest 1, 2 or 5 x 10^k that fits).
SCALE_BAR_MAX_PX = 120.0


@dataclass(frozen=True)
class SankeyOptions:
    """The reader-facing choices of one figure, checked (see :func:`msa.figures.sankey`).

    Build it with :meth:`checked`, which validates and narrows the caller's values; the
    defaults are those of :func:`~msa.figures.sankey`.

    Attributes
    ----------
    lang : {"en", "nl"}
        Language of labels, number format and notes.
    color_by : {"stage", "material", "flow_type", "grade", "effect"}
        The one meaning link colour carries.
    scale : float or None
        Fixed scale in data units per px; None fits the diagram to ``height``.
    title : str or None
        Figure title.
    width : int
        Figure width in px.
    height : int or None
        Figure height in px (620 when fitting and None); with ``scale`` a minimum.
    min_visible_px : float
        Flows drawn thinner than this are listed in the note.
    footnotes : tuple of str
        Extra lines for the note under the figure.
    font_family : str
        Font of all text.
    font_size : int
        Font size of labels and legend, in px (title +4, note and link labels -2, at least 8).
    link_labels : {"none", "value", "range", "sd"}
        What the label printed on each link states: nothing, its value, ``p50 (p5–p95)`` or
        ``value ± sd``.
    scale_bar : bool
        Draw a scale bar (a round quantity, exactly ``value / units_per_px`` px long) at the
        foot of the figure.
    series : tuple of str
        Names of the figures drawn at the same fixed scale as this one (set by
        :func:`~msa.figures.sankey_series`, not a :func:`~msa.figures.sankey` keyword); the
        note's scale line says they share it.
    """

    lang: Lang = "en"
    color_by: ColorBy = "stage"
    scale: float | None = None
    title: str | None = None
    width: int = 1100
    height: int | None = None
    min_visible_px: float = 0.5
    footnotes: tuple[str, ...] = ()
    font_family: str = FONT
    font_size: int = 12
    link_labels: LinkLabels = "none"
    scale_bar: bool = True
    series: tuple[str, ...] = ()

    @classmethod
    def checked(
        cls,
        *,
        lang: str = "en",
        color_by: str = "stage",
        scale: float | None = None,
        title: str | None = None,
        width: int = 1100,
        height: int | None = None,
        min_visible_px: float = 0.5,
        footnotes: str | Iterable[str] = (),
        font_family: str = FONT,
        font_size: int = 12,
        link_labels: str = "none",
        scale_bar: bool = True,
    ) -> SankeyOptions:
        """Check the choices and return them as :class:`SankeyOptions`.

        Parameters
        ----------
        lang, color_by, scale, title, width, height, min_visible_px, font_family, font_size
            As the attributes; ``lang`` and ``color_by`` are checked and narrowed.
        link_labels : str
            As the attribute; checked and narrowed.
        scale_bar : bool
            As the attribute.
        footnotes : str or sequence of str
            One line or several.

        Returns
        -------
        SankeyOptions

        Raises
        ------
        ConfigError
            An unknown ``lang``, ``color_by`` or ``link_labels``, or a ``scale`` that is not a
            positive number.
        """
        known_lang = checked_lang(lang)
        known_color_by = _checked_color_by(color_by)
        if scale is not None and not (np.isfinite(scale) and scale > 0):
            raise ConfigError(f"scale must be a positive number of units per px (got {scale!r})")
        return cls(
            lang=known_lang,
            color_by=known_color_by,
            scale=scale,
            title=title,
            width=width,
            height=height,
            min_visible_px=min_visible_px,
            footnotes=(footnotes,) if isinstance(footnotes, str) else tuple(footnotes),
            font_family=font_family,
            font_size=font_size,
            link_labels=_checked_link_labels(link_labels),
            scale_bar=bool(scale_bar),
        )


def _checked_link_labels(link_labels: str) -> LinkLabels:
    """Return ``link_labels`` as a :data:`LinkLabels`, or raise :class:`~msa.errors.ConfigError`."""
    for known in LINK_LABELS:
        if link_labels == known:
            return known
    raise ConfigError(f"link_labels must be 'none', 'value', 'range' or 'sd' (got {link_labels!r})")


def _checked_color_by(color_by: str) -> ColorBy:
    """Return ``color_by`` as a :data:`ColorBy`, or raise :class:`~msa.errors.ConfigError`."""
    for known in COLOR_BY:
        if color_by == known:
            return known
    raise ConfigError(
        f"color_by must be 'stage', 'material', 'flow_type', 'grade' or 'effect' (got {color_by!r})"
    )


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: a round quantity drawn exactly as long as a flow of it is wide.

    Attributes
    ----------
    value : float
        The quantity, in the links table's unit (``px = value / units_per_px``).
    units : str
        The links table's unit.
    label : str
        The quantity as shown: in the figure's shown unit and the language (``100,000 t``).
    px : float
        Length of the bar in px.
    """

    value: float
    units: str
    label: str
    px: float


def scale_bar(
    units_per_px: float, units: str, shown_units: str, per: float, lang: Lang
) -> ScaleBar:
    """Return the scale bar of a figure drawn at ``units_per_px``.

    The bar is the largest 1, 2 or 5 x 10^k (in the figure's shown unit) no longer than
    :data:`SCALE_BAR_MAX_PX`, so two figures at one scale get the same bar.

    Notes
    -----
    With s the scale in shown units per px and L the longest bar (px), the bar shows
    q = max{m * 10^k : m in {1, 2, 5}, m * 10^k <= L * s} and is q / s px long, between
    0.4 L and L.

    Examples
    --------
    >>> bar = scale_bar(1000.0, "t", "t", 1.0, "nl")
    >>> bar.label, bar.px
    ('100.000 t', 100.0)
    """
    longest = SCALE_BAR_MAX_PX * units_per_px / per  # in shown units
    power = 10.0 ** np.floor(np.log10(longest))
    nice = max(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power <= longest * (1 + 1e-9))
    value = float(nice * per)
    return ScaleBar(
        value=value,
        units=units,
        label=format_value(float(nice), shown_units, lang),
        px=value / units_per_px,
    )


@dataclass(frozen=True)
class SankeyPlan:
    """Everything a Sankey figure shows, decided before any plotly object is made.

    Attributes
    ----------
    options : SankeyOptions
        The checked choices the plan was made for.
    links : DataFrame
        The links table as drawn: validated, boundary and scope nodes split, ``flow_type``
        filled in, rows that draw as one band merged. Zero rows are kept.
    table : DataFrame
        The node table, indexed by node id: ``label``, ``stage``, ``kind``, ``band``,
        ``order`` and ``column``.
    drawn : DataFrame
        The rows of ``links`` with a value above 0.
    used : list of str
        Ids of the nodes a drawn flow touches, in node-table order.
    units : str
        The unit of the links table.
    shown_units : str
        The unit values are shown in (``Mt`` for large national tonnages, else ``units``).
    per : float
        Divisor from ``units`` to ``shown_units``.
    uncertain : DataFrame
        Drawn rows whose mapping is not settled (``status`` with ``?`` or ``uncertain``).
    zero : DataFrame
        Rows of 0 (not drawn, listed in the note).
    thin : DataFrame
        Drawn rows thinner than ``options.min_visible_px`` at the final scale.
    geo : Geometry
        Node positions, plotly's graph (with ghosts and ballast), loops and the scale.
    spacing : LayoutOptions
        Node thickness, padding and gaps of the layout.
    margin : dict of str to float
        Figure margins in px: ``l``, ``r`` (grown until every label fits), ``t``, ``b``
        (holds the note).
    height : int
        Figure height in px: plot area plus top and bottom margins.
    labels : list of LabelBox
        The placed node labels, in figure px.
    link_labels : LinkLabelling
        The link labels' texts, those placed (figure px) and those left out for lack of room.
    names : dict of str to str
        Display name of each used node.
    values : dict of str to str
        Value line of each used node (e.g. ``"221 t"``, ``"+12 t"``).
    notes : list of str
        Lines of the note under the figure, wrapped to the figure width.
    note_size : int
        Font size of the note in px.
    scale_bar : ScaleBar or None
        The scale bar at the foot of the figure (None without ``options.scale_bar``).
    """

    options: SankeyOptions
    links: pd.DataFrame
    table: pd.DataFrame
    drawn: pd.DataFrame
    used: list[str]
    units: str
    shown_units: str
    per: float
    uncertain: pd.DataFrame
    zero: pd.DataFrame
    thin: pd.DataFrame
    geo: Geometry
    spacing: LayoutOptions
    margin: dict[str, float]
    height: int
    labels: list[LabelBox]
    link_labels: LinkLabelling
    names: dict[str, str]
    values: dict[str, str]
    notes: list[str]
    note_size: int
    scale_bar: ScaleBar | None = None

    def label(self, node: str) -> str:
        """Return the display name of ``node`` (a node of :attr:`table`)."""
        return str(self.table.at[node, "label"])

    def quantity(self, value: float) -> str:
        """Format ``value`` (in :attr:`units`) as shown: in :attr:`shown_units`, in the language."""
        return format_value(value / self.per, self.shown_units, self.options.lang)


@dataclass(frozen=True)
class PreparedTables:
    """What a plan takes from its tables, whatever the page: see :func:`prepare_tables`.

    Planning the same tables for several pages (a series: fit, common height, final figure)
    prepares them once; every attribute is that of :class:`SankeyPlan` of the same name.
    ``lang`` and ``color_by`` are the choices it was prepared for.
    """

    lang: Lang
    color_by: ColorBy
    links: pd.DataFrame
    table: pd.DataFrame
    drawn: pd.DataFrame
    used: list[str]
    units: str
    shown_units: str
    per: float
    uncertain: pd.DataFrame
    zero: pd.DataFrame
    names: dict[str, str]
    values: dict[str, str]


def prepare_tables(
    links: pd.DataFrame, nodes: pd.DataFrame | None, lang: Lang, color_by: ColorBy
) -> PreparedTables:
    """Check the input and resolve what a plan needs from it (no page, no layout).

    The result depends only on the tables, ``lang`` and ``color_by`` (not on the scale, size,
    title or notes of a figure), so one preparation serves every plan of the same tables.

    Raises
    ------
    DataError
        An invalid links or node table, ``color_by="material"`` without a ``material``
        column, or nothing to draw.
    ConfigError
        ``color_by="grade"`` on a links table without a ``grade`` column (a view's), or
        ``color_by="effect"`` without an ``effect`` column.
    """
    options = SankeyOptions(lang=lang, color_by=color_by)
    links, table, units = _resolve_tables(links, nodes, options)
    drawn = links[links["value"] > 0]
    if drawn.empty:
        raise DataError("links table: every value is 0; there is nothing to draw")
    used = [n for n in table.index if n in set(drawn["source"]) | set(drawn["target"])]
    status = links.get("status", pd.Series("", index=links.index)).fillna("").astype(str)
    uncertain = drawn[status.reindex(drawn.index).str.contains("uncertain|\\?", regex=True)]
    zero = links[links["value"] == 0]
    largest = max(
        drawn.groupby("source")["value"].sum().max(), drawn.groupby("target")["value"].sum().max()
    )
    shown, per = display_units(units, float(largest))
    names, values = node_texts(table, drawn, used, shown, lang, per)
    return PreparedTables(
        lang=lang,
        color_by=color_by,
        links=links,
        table=table,
        drawn=drawn,
        used=used,
        units=units,
        shown_units=shown,
        per=per,
        uncertain=uncertain,
        zero=zero,
        names=names,
        values=values,
    )


def plan_sankey(
    links: pd.DataFrame,
    nodes: pd.DataFrame | None,
    options: SankeyOptions,
    *,
    prepared: PreparedTables | None = None,
) -> SankeyPlan:
    """Check the input and lay the diagram out: everything but the plotly objects.

    Parameters
    ----------
    links : DataFrame
        The links table (see :mod:`msa.figures.diagram`).
    nodes : DataFrame, optional
        Node table fixing order, band and names.
    options : SankeyOptions
        The figure's choices.
    prepared : PreparedTables, optional
        :func:`prepare_tables` of ``links`` and ``nodes`` for ``options.lang`` and
        ``options.color_by``, made earlier; the plan is the same as without it.

    Returns
    -------
    SankeyPlan

    Raises
    ------
    DataError
        An invalid links or node table, ``color_by="material"`` without a ``material``
        column, or nothing to draw.
    ConfigError
        ``color_by="grade"`` on a links table without a ``grade`` column (a view's).
    RenderError
        The diagram does not fit the figure (see :func:`~msa.figures.layout.layout`).
    ConfigError
        ``options.link_labels`` needs columns the links table does not have.
    """
    if prepared is None:
        prepared = prepare_tables(links, nodes, options.lang, options.color_by)
    elif (prepared.lang, prepared.color_by) != (options.lang, options.color_by):
        raise ValueError("plan_sankey: tables prepared for another lang or color_by")
    p = prepared
    note_size = max(options.font_size - 2, 8)
    spacing = LayoutOptions()
    texts = link_texts(p.drawn, options.link_labels, options.lang, p.shown_units, p.per)

    def notes_for(thin: pd.DataFrame, labelling: LinkLabelling) -> list[str]:
        return note_lines(
            p.table,
            p.shown_units,
            options.lang,
            thin,
            p.zero,
            p.uncertain,
            options.scale,
            (*link_notes(labelling, p.drawn, p.table, options.lang), *options.footnotes),
            options.width - 24,
            note_size,
            options.min_visible_px,
            p.per,
            options.series,
        )

    page = _fit_page(p, texts, options, spacing, notes_for, note_size)
    margin, geo, thin, notes, boxes, labelling = page
    return SankeyPlan(
        options=options,
        links=p.links,
        table=p.table,
        drawn=p.drawn,
        used=p.used,
        units=p.units,
        shown_units=p.shown_units,
        per=p.per,
        uncertain=p.uncertain,
        zero=p.zero,
        thin=thin,
        geo=geo,
        spacing=spacing,
        margin=margin,
        height=int(round(geo.plot_height + margin["t"] + margin["b"])),
        labels=boxes,
        link_labels=labelling,
        names=p.names,
        values=p.values,
        notes=notes,
        note_size=note_size,
        scale_bar=(
            scale_bar(1.0 / geo.ky, p.units, p.shown_units, p.per, options.lang)
            if options.scale_bar
            else None
        ),
    )


def _resolve_tables(
    links: pd.DataFrame, nodes: pd.DataFrame | None, options: SankeyOptions
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Return the links as drawn, the node table and the unit.

    The links are validated, their nodes resolved (split boundary and scope nodes, columns,
    bands, labels), flow types filled in, and rows that draw as one band merged.
    """
    links = validate_links(links)
    if options.color_by == "grade" and "grade" not in links.columns:
        raise ConfigError(
            "color_by='grade' needs a 'grade' column in the links table; only the links of a "
            "System carry grades (msa.links_from_system, msa sankey --view jrc), a view's "
            "links (jrc, icer_national, pga, process_view) have no provenance"
        )
    if options.color_by == "effect" and "effect" not in links.columns:
        raise ConfigError(
            "color_by='effect' needs an 'effect' column in the links table (the effect each "
            "link carries, e.g. t CO2-eq); add it with msa.effects.links_with_effect(links, "
            "msa.effects.effects(system, factors, ...))"
        )
    units = str(links["units"].iloc[0])
    links, table = prepare_nodes(links, nodes, options.lang)
    links["flow_type"] = flow_types(links, table)
    if options.color_by == "material" and "material" not in links.columns:
        raise DataError("color_by='material' needs a 'material' column in the links table")
    links = merge_rows(links, by_material=options.color_by == "material")
    return links, table, units


def _fit_page(
    p: PreparedTables,
    texts: LinkTexts,
    options: SankeyOptions,
    spacing: LayoutOptions,
    notes_for: Callable[[pd.DataFrame, LinkLabelling], list[str]],
    note_size: int,
) -> tuple[dict[str, float], Geometry, pd.DataFrame, list[str], list[LabelBox], LinkLabelling]:
    """Lay out until the labels fit and the note's line count is stable.

    The right margin grows until every label fits (up to 40 % of the width), the bottom
    margin holds the note; the thin-flow list depends on the scale, the scale on the
    margins, and the link labels left out for lack of room on the node labels, so this
    repeats (at most six times) until all settle.

    Returns
    -------
    margin, geo, thin, notes, labels, link_labels
        Margins (px), the layout, the flows too thin to see, the note lines, the node label
        boxes and the link labels of the last round.
    """
    line_px = int(np.ceil(line_height(note_size)))
    main = p.table.loc[p.used, "band"].eq("main")
    slots = max(int(p.table.loc[p.used][main]["column"].nunique()), 1) + 1
    right, lines, notes = 12.0, 0, []
    for _ in range(6):
        margin = _margins(options, right, line_px * lines)
        geo = _lay_out(p.table, p.drawn, p.used, margin, options, spacing)
        thin = p.drawn[p.drawn["value"] * geo.ky < options.min_visible_px]
        boxes = label_boxes(
            geo,
            margin,
            p.names,
            p.values,
            options.width,
            options.font_size,
            options.font_family,
            spacing,
            slots,
        )
        labelling = place_link_labels(
            texts,
            p.drawn,
            geo,
            margin,
            boxes,
            size=note_size,
            family=options.font_family,
            node_thickness=spacing.node_thickness,
            width=options.width,
        )
        notes = notes_for(thin, labelling)
        over = margins_needed(boxes, 4.0, options.width - 4.0)[1]
        if len(notes) == lines and over <= 0.5:
            break
        lines, right = len(notes), min(right + over + 1.0, 0.4 * options.width)
    return margin, geo, thin, notes, boxes, labelling


def _margins(options: SankeyOptions, right: float, note_px: int) -> dict[str, float]:
    """Figure margins (whole px): title and legend on top, the note and scale bar below."""
    top = (74 if options.title else 46) + (LEGEND_ROW if options.color_by != "stage" else 0)
    bottom = 14 + note_px + (SCALE_BAR_ROW if options.scale_bar else 0)
    # whole px, as plotly rounds margins: the plot width is then the one plotly draws
    return {"l": 12, "r": float(np.ceil(right - 1e-9)), "t": top, "b": bottom}


def _lay_out(
    table: pd.DataFrame,
    drawn: pd.DataFrame,
    used: list[str],
    margin: dict[str, float],
    options: SankeyOptions,
    spacing: LayoutOptions,
) -> Geometry:
    """Lay the drawn flows out in the plot area the margins leave."""
    plot_h = (options.height or (0 if options.scale else 620)) - margin["t"] - margin["b"]
    if plot_h <= 0 and options.scale is None:
        raise RenderError(
            f"height={options.height} px leaves no room for the diagram: the title, legend and "
            f"notes take {margin['t'] + margin['b']:.0f} px; give a larger height or a scale"
        )
    return layout(
        table.loc[used, ["column", "band"]],
        drawn[["source", "target", "value"]],
        plot_width=options.width - margin["l"] - margin["r"],
        plot_height=plot_h if plot_h > 0 else None,
        ky=None if options.scale is None else 1.0 / options.scale,
        options=spacing,
    )
