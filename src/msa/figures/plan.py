"""Plan a Sankey: check the input, resolve the tables and lay the diagram out, without plotly.

:func:`plan_sankey` returns a :class:`SankeyPlan`, everything :func:`msa.figures.diagram.sankey`
draws; :mod:`msa.figures.series` plans several tables to find their common scale and height
before drawing any. What a plan takes from its tables alone (:func:`prepare_tables`: checked
links, node table, texts) does not depend on the page, so a series prepares each table once
for its three plans (fit, common height, final figure).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError, RenderError
from msa.figures._colours import Colours, link_colours
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
    text_width,
    wrap,
)
from msa.figures.labels import Lang, checked_lang, display_units, format_value
from msa.figures.layout import Geometry, LayoutOptions, layout
from msa.figures.links import (
    NOT_IN_DATA,
    flow_types,
    merge_rows,
    missing_balance,
    prepare_nodes,
    validate_links,
)

__all__ = [
    "COLOR_BY",
    "FONT",
    "LEGEND_ROW",
    "LEGEND_SWATCH",
    "LEGEND_SWATCH_X",
    "LEGEND_TEXT_X",
    "LEGEND_TITLE_X",
    "LINK_LABELS",
    "LegendEntry",
    "LegendGroup",
    "PRESETS",
    "PX_PER_INCH",
    "ColorBy",
    "LinkLabels",
    "Preset",
    "SCALE_BAR_ROW",
    "PreparedTables",
    "SankeyOptions",
    "SankeyPlan",
    "ScaleBar",
    "legend_layout",
    "plan_sankey",
    "points",
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
#: px of a legend row at the default font size (12 px); rows grow with the font.
LEGEND_ROW = 24
#: px from a legend entry's left edge to its name; the swatch is centred in them.
LEGEND_TEXT_X = 40.0
#: px from a legend entry's left edge to the middle of its swatch, and the swatch's side.
LEGEND_SWATCH_X = 20.0
LEGEND_SWATCH = 12.0
#: px from the plot area's left edge to a legend group's title.
LEGEND_TITLE_X = 2.0
#: px between legend entries, and above and below a group's rows.
_LEGEND_GAP = 5.0
#: At a preset, labels of the import and export bands go over and under their bars when the
#: room for a label between a bar and the next column is narrower than this (px).
_STACK_BELOW = 130.0
#: px of the row at the foot of the figure that holds the scale bar.
SCALE_BAR_ROW = 24
#: Longest scale bar in px (the bar is the largest 1, 2 or 5 x 10^k that fits).
SCALE_BAR_MAX_PX = 120.0

#: Layout px per inch of a figure at its final size: the CSS px (1 px = 0.75 pt), as chromium
#: and plotly measure; a figure of ``width`` px prints ``width / 96`` inches wide.
PX_PER_INCH = 96


@dataclass(frozen=True)
class Preset:
    """A print size: final width, text sizes and image density of a figure.

    The figure is laid out at :data:`PX_PER_INCH`, so one px prints as 0.75 pt and its text
    as ``0.75 * size`` pt: every preset prints labels and legend at ``font_size`` and notes,
    link labels and the scale bar at ``note_size``, both at least 7 pt.

    Attributes
    ----------
    name : str
        ``a4-portrait``, ``a4-landscape`` or ``slide``.
    width_cm, height_cm : float
        Final width of the figure, and the height its diagram is fitted to (title, legend and
        note add to it; at a fixed scale the height follows the data).
    page_height_cm : float
        Height of the page the whole figure fits in, title to note: the diagram is fitted
        to less than ``height_cm`` where title, legend and note leave less. A figure whose
        labels need more room grows beyond it and says so (``height_cm`` in the figure's
        meta, :func:`msa.figures.diagram.outgrown_page`).
    font_size, note_size : int
        Text sizes in px.
    dpi : int
        PNG resolution; the PNG is ``width_cm / 2.54 * dpi`` px wide and says so (pHYs).
    """

    name: str
    width_cm: float
    height_cm: float
    page_height_cm: float
    font_size: int
    note_size: int
    dpi: int

    @property
    def width(self) -> int:
        """Figure width in layout px."""
        return int(round(self.width_cm / 2.54 * PX_PER_INCH))

    @property
    def height(self) -> int:
        """Diagram height in layout px (fitted to the page)."""
        return int(round(self.height_cm / 2.54 * PX_PER_INCH))

    @property
    def page_height(self) -> int:
        """Page height in layout px (the whole figure fits in it where its labels allow)."""
        return int(round(self.page_height_cm / 2.54 * PX_PER_INCH))

    @property
    def png_scale(self) -> float:
        """PNG px per layout px that gives :attr:`dpi`."""
        return self.dpi / PX_PER_INCH


#: The print presets: a 16 cm A4 portrait text column (its diagram 12 cm tall, the figure
#: within the 24.7 cm text height), the text area of A4 landscape (29.7 by 21 cm less 2.5 cm
#: margins: 24.7 by 16 cm, the figure within it, a caption's line below it) and a 16:9 slide
#: 25.4 by 14.2875 cm (10 by 5.625 in), the figure filling it.
PRESETS: dict[str, Preset] = {
    "a4-portrait": Preset("a4-portrait", 16.0, 12.0, 24.7, font_size=12, note_size=10, dpi=300),
    "a4-landscape": Preset("a4-landscape", 24.7, 15.0, 15.0, font_size=12, note_size=10, dpi=300),
    "slide": Preset("slide", 25.4, 14.2875, 14.2875, font_size=16, note_size=13, dpi=192),
}
#: Smallest text a preset prints, in pt.
MIN_PRINT_PT = 7.0


def points(px: float, width: float, width_cm: float) -> float:
    """Return the size in pt of ``px`` layout px in a figure ``width`` px wide printed ``width_cm``.

    Examples
    --------
    >>> points(12, 605, 16.0)  # a 12 px label in a 16 cm column
    9.0
    """
    return round(px * (width_cm / 2.54 * 72) / width, 1)


def checked_preset(preset: str | None) -> Preset | None:
    """Return the :class:`Preset` named ``preset`` (None for None); ConfigError if unknown."""
    if preset is None:
        return None
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    return PRESETS[preset]


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
    subtitle : str or None
        A line under the title (e.g. what is counted and the mass basis).
    source : str or None
        The source line, last under the figure (e.g. ``"Bron: CBS/PBL, bewerking ..."``).
    preset : Preset or None
        The print size the figure is made for (width, height, text sizes, PNG dpi).
    note_size : int
        Font size of the note, link labels and scale bar, in px.
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
    #: Attach imports, exports and losses per stage (:func:`msa.figures.links.prepare_nodes`).
    per_stage: bool = True
    subtitle: str | None = None
    source: str | None = None
    preset: Preset | None = None
    note_size: int = 10

    @classmethod
    def checked(
        cls,
        *,
        lang: str = "en",
        color_by: str = "stage",
        scale: float | None = None,
        title: str | None = None,
        width: int | None = None,
        height: int | None = None,
        min_visible_px: float = 0.5,
        footnotes: str | Iterable[str] = (),
        font_family: str = FONT,
        font_size: int | None = None,
        link_labels: str = "none",
        scale_bar: bool = True,
        subtitle: str | None = None,
        source: str | None = None,
        preset: str | None = None,
    ) -> SankeyOptions:
        """Check the choices and return them as :class:`SankeyOptions`.

        Parameters
        ----------
        lang, color_by, scale, title, width, height, min_visible_px, font_family, font_size
            As the attributes; ``lang`` and ``color_by`` are checked and narrowed.
        link_labels : str
            As the attribute; checked and narrowed.
        scale_bar, subtitle, source :
            As the attributes.
        footnotes : str or sequence of str
            One line or several.
        width, font_size : int, optional
            Default 1100 and 12 px, or those of ``preset``.
        preset : str, optional
            A key of :data:`PRESETS`: sets the width (a ``width`` too is refused), the
            diagram's height when fitting without ``height``, the font sizes and the PNG dpi.

        Returns
        -------
        SankeyOptions

        Raises
        ------
        ConfigError
            An unknown ``lang``, ``color_by``, ``link_labels`` or ``preset``, a ``scale`` that
            is not a positive number, a ``width`` with a ``preset``, or a ``font_size`` that
            prints below 7 pt at the preset's size.
        """
        known_lang = checked_lang(lang)
        known_color_by = _checked_color_by(color_by)
        if scale is not None and not (np.isfinite(scale) and scale > 0):
            raise ConfigError(f"scale must be a positive number of units per px (got {scale!r})")
        page = checked_preset(preset)
        if page is None:
            width, font_size = width or 1100, font_size or 12
            note_size = max(font_size - 2, 8)
        else:
            if width is not None:
                raise ConfigError(
                    f"preset {page.name!r} fixes the width ({page.width_cm:g} cm, {page.width} "
                    f"px); give a width or a preset, not both (got width={width})"
                )
            width, font_size = page.width, font_size or page.font_size
            note_size = min(page.note_size, font_size)
            if points(note_size, width, page.width_cm) < MIN_PRINT_PT:
                raise ConfigError(
                    f"font_size={font_size} px prints at "
                    f"{points(font_size, width, page.width_cm):g} pt in preset {page.name!r}; "
                    f"text must be at least {MIN_PRINT_PT:g} pt"
                )
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
            subtitle=subtitle or None,
            source=source or None,
            preset=page,
            note_size=note_size,
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
    colours : Colours or None
        Colour of each link and the legend groups (:func:`msa.figures._colours.link_colours`).
    legend : list of LegendGroup
        How each legend group is laid out above the plot area, first group on top.
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
    colours: Colours | None = None
    legend: tuple[LegendGroup, ...] = ()

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
    colours: Colours | None = None


def prepare_tables(
    links: pd.DataFrame,
    nodes: pd.DataFrame | None,
    lang: Lang,
    color_by: ColorBy,
    *,
    per_stage: bool = True,
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
    options = SankeyOptions(lang=lang, color_by=color_by, per_stage=per_stage)
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
    for n in missing_balance(table, links):  # missing is not zero: no depletion drawn
        out = drawn.loc[drawn["source"] == n, "value"].sum()
        values[n] = f"{format_value(float(out) / per, shown, lang)}; {NOT_IN_DATA[lang]}"
    prepared = PreparedTables(
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
    return dataclasses.replace(prepared, colours=link_colours(prepared))


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
        prepared = prepare_tables(
            links, nodes, options.lang, options.color_by, per_stage=options.per_stage
        )
    elif (prepared.lang, prepared.color_by) != (options.lang, options.color_by):
        raise ValueError("plan_sankey: tables prepared for another lang or color_by")
    p = prepared
    note_size = options.note_size
    spacing = LayoutOptions()
    texts = link_texts(p.drawn, options.link_labels, options.lang, p.shown_units, p.per)

    def notes_for(thin: pd.DataFrame, labelling: LinkLabelling) -> list[str]:
        source = wrap(options.source, options.width - 24, note_size) if options.source else []
        return [*_note_lines(labelling, thin), *source]

    def _note_lines(labelling: LinkLabelling, thin: pd.DataFrame) -> list[str]:
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
    legend = legend_layout(
        p.colours.legend if p.colours else {},
        geo.plot_width,
        options.font_size,
        options.font_family,
    )
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
        colours=p.colours,
        legend=legend,
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
            "System's own flows carry grades (msa.links_from_system, msa sankey --view jrc of "
            "a System with flows), a view's links (jrc, icer_national, pga, process_view; "
            "also --view jrc of headline codes without a chain) have no provenance"
        )
    if options.color_by == "effect" and "effect" not in links.columns:
        raise ConfigError(
            "color_by='effect' needs an 'effect' column in the links table (the effect each "
            "link carries, e.g. t CO2-eq); add it with msa.effects.links_with_effect(links, "
            "msa.effects.effects(system, factors, ...))"
        )
    units = str(links["units"].iloc[0])
    links, table = prepare_nodes(links, nodes, options.lang, per_stage=options.per_stage)
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
    groups = p.colours.legend if p.colours else {}
    room, stacked, stacked_width = _label_room(p, options, spacing, slots)
    for _ in range(6):
        margin = _margins(options, right, line_px * lines, groups)
        geo = _lay_out(p.table, p.drawn, p.used, margin, options, spacing, room)
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
            stacked,
            stacked_width,
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
        grown = _room_of_boxes(room, boxes) if options.preset is not None else room
        if len(notes) == lines and over <= 0.5 and grown is room:
            break
        lines, right = len(notes), min(right + over + 1.0, 0.4 * options.width)
        room = grown
    return margin, geo, thin, notes, boxes, labelling


def _room_of_boxes(room: pd.DataFrame, boxes: list[LabelBox]) -> pd.DataFrame:
    """Return ``room`` grown to the labels beside their bars as drawn (same frame if none grew).

    The room a label gets in its column is measured at one wrap width; placed, a label may
    wrap narrower (the right margin grew and narrowed the columns) and need more lines. Its
    column then holds the taller label next time round, so a label at the bottom of a column
    does not jump above its neighbour's label to stay on the page.
    """
    drawn = pd.Series(
        {b.node: b.height + 4.0 for b in boxes if b.side in ("left", "right")}, dtype=float
    ).reindex(room.index)
    grown = drawn.where(room["room"] > 0).fillna(0.0)
    if not (grown > room["room"] + 0.5).any():
        return room
    out = room.copy()
    out["room"] = np.maximum(room["room"], grown)
    return out


def _margins(
    options: SankeyOptions, right: float, note_px: int, groups: dict[str, dict[str, str]]
) -> dict[str, float]:
    """Figure margins (whole px): title, subtitle and legend on top, note and scale bar below."""
    r = float(np.ceil(right - 1e-9))
    legend = legend_layout(groups, options.width - 12 - r, options.font_size, options.font_family)
    top = 22 + sum(g.height for g in legend) + title_px(options) + subtitle_px(options)
    bottom = 14 + note_px + (SCALE_BAR_ROW if options.scale_bar else 0)
    # whole px, as plotly rounds margins: the plot width is then the one plotly draws
    return {"l": 12, "r": r, "t": top, "b": bottom}


def title_lines(options: SankeyOptions) -> list[str]:
    """Return the title's lines, wrapped at word boundaries to the page (12 px each side)."""
    if not options.title:
        return []
    return wrap(options.title, options.width - 24, options.font_size + 4, options.font_family)


def subtitle_lines(options: SankeyOptions) -> list[str]:
    """Return the subtitle's lines, wrapped at word boundaries to the page (12 px each side)."""
    if not options.subtitle:
        return []
    return wrap(options.subtitle, options.width - 24, options.font_size, options.font_family)


def title_px(options: SankeyOptions) -> int:
    """Return the px the title takes at the top of the figure (0 without one)."""
    lines = len(title_lines(options))
    return int(np.ceil(lines * line_height(options.font_size + 4))) + 7 if lines else 0


def subtitle_px(options: SankeyOptions) -> int:
    """Return the px the subtitle takes under the title (0 without one)."""
    lines = len(subtitle_lines(options))
    return int(np.ceil(lines * line_height(options.font_size))) + 4 if lines else 0


@dataclass(frozen=True)
class LegendEntry:
    """One legend entry: a colour swatch and its name, placed in its group.

    Attributes
    ----------
    name : str
        The entry's text.
    colour : str
        The swatch's colour (``#RRGGBB``).
    x : float
        Left edge of the entry, px from the plot area's left edge: the swatch is centred
        :data:`LEGEND_SWATCH_X` px to the right of it, the name starts :data:`LEGEND_TEXT_X`.
    y : float
        Middle of the entry's row, px from the group's top.
    baseline : float
        Baseline of the name, px from the group's top.
    """

    name: str
    colour: str
    x: float
    y: float
    baseline: float


@dataclass(frozen=True)
class LegendGroup:
    """One legend group (what colour means; node stages) as laid out above the plot area.

    Attributes
    ----------
    title_side : {"left", "top"}
        Where the group's title sits: left of a single row of entries, or above the rows
        when one row does not hold them.
    rows : int
        Rows of entries.
    height : int
        px the group takes.
    below : int
        px between the group's bottom edge and the plot area (the groups under it).
    title : str
        The group's title, with its colon (``"Stage:"``).
    entries : tuple of LegendEntry
        The entries in order, placed.
    box : int
        px from the group's drawn top to its bottom edge (the plot area, or the group under
        it): the entries and title are placed from there.
    title_baseline : float
        Baseline of the title, px from the group's top; the title starts
        :data:`LEGEND_TITLE_X` px right of the plot area's left edge.
    """

    title_side: str
    rows: int
    height: int
    below: int
    title: str = ""
    entries: tuple[LegendEntry, ...] = ()
    box: int = 0
    title_baseline: float = 0.0


def legend_layout(
    groups: dict[str, dict[str, str]], plot_width: float, size: int, family: str
) -> tuple[LegendGroup, ...]:
    """Lay the legend groups out in rows no wider than the plot area, first group on top.

    Each entry is a 12 px square swatch and its name, :data:`LEGEND_TEXT_X` px after the
    entry's left edge, 5 px between entries (the geometry of a plotly horizontal legend). A
    group whose title and entries fit in one row keeps its title on the left; otherwise the
    title goes on top, and the entries follow in one row when they fit or else wrap into
    columns as wide as the widest entry.

    Notes
    -----
    With the line height L = 1.3 * size, a row is h = max(L, 16) + 3 px tall; the title's
    baseline is L below the group's top, the first row's middle 5 + h / 2 below the title
    (or the top, beside a left title), and a name's baseline 0.3 L below its row's middle.
    """
    item, title_h = int(np.ceil(line_height(size))) + 3, int(np.ceil(line_height(size))) + 4
    laid: list[LegendGroup] = []
    below = 0
    for title, entries in reversed(list(groups.items())):
        widths = [text_width(name, size, family) + LEGEND_TEXT_X for name in entries]
        title_w = text_width(f"{title}:", size, family) + 12
        in_line = sum(widths) + _LEGEND_GAP * max(len(widths) - 1, 0)
        side = "left" if in_line + title_w <= plot_width else "top"
        placed, rows, box = _legend_rows(
            entries, widths, plot_width, size, (title_w - 2, 0.0) if side == "left" else None
        )
        height = item * rows + 5 + (title_h if side == "top" else 0)
        laid.append(
            LegendGroup(
                side, rows, height, below, f"{title}:", placed, box, float(line_height(size))
            )
        )
        below += height
    return tuple(reversed(laid))


def _legend_rows(
    entries: dict[str, str],
    widths: list[float],
    plot_width: float,
    size: int,
    left_title: tuple[float, float] | None,
) -> tuple[tuple[LegendEntry, ...], int, int]:
    """Place a group's entries in rows; return them, the number of rows and the drawn height.

    ``left_title`` is the offset ``(x, y)`` of the first entry beside a title on the left;
    None puts the title on top and the rows under it.
    """
    line = line_height(size)
    row_h = max(line, 16.0) + 3.0
    x0, y0 = left_title if left_title is not None else (0.0, line)
    one_row = sum(widths) + _LEGEND_GAP * max(len(widths) - 1, 0) < plot_width
    cell = max(widths, default=0.0)
    placed, x, row = [], 0.0, 0
    for (name, colour), width in zip(entries.items(), widths, strict=True):
        step = (width if one_row else cell) + _LEGEND_GAP
        if x > 0 and step + x - _LEGEND_GAP >= plot_width:
            x, row = 0.0, row + 1
        middle = y0 + row * row_h + row_h / 2 + _LEGEND_GAP
        placed.append(LegendEntry(name, colour, x0 + x, middle, middle + 0.3 * line))
        x += step
    rows = row + 1
    return tuple(placed), rows, int(np.ceil(rows * row_h + 2 * _LEGEND_GAP + y0))


def _label_room(
    p: PreparedTables, options: SankeyOptions, spacing: LayoutOptions, slots: int
) -> tuple[pd.DataFrame, dict[str, str], float]:
    """Return the room (px) each used node's label needs, and the labels over or under bars.

    A label needs its wrapped name and value line. The wrap width is the one
    :func:`~msa.figures._text.label_boxes` uses on a plot area as wide as the figure less
    the default margins. At a print preset whose columns stand closer than labels beside
    the import and export bars between them need (less than 130 px between a bar and the
    next column for the label), the labels of the top band go above their bars and those of
    the bottom band below, wrapped to the room between two columns: ``room_above`` and
    ``room_below`` hold them in the stack, ``room`` the labels beside their bars.

    Returns
    -------
    rooms : DataFrame
        ``room``, ``room_above``, ``room_below`` (px) by node.
    stacked : dict of str to str
        ``"above"`` or ``"below"`` for each node labelled over or under its bar.
    stacked_width : float
        The wrap width of those labels (px).
    """
    between = 0.98 * (options.width - 24.0) / max(slots - 1, 1)
    beside = between - spacing.node_thickness - 12.0
    limit = float(np.clip(beside, 100.0, 190.0))
    size, family = options.font_size, options.font_family
    band = p.table.loc[p.used, "band"]
    stacked: dict[str, str] = {}
    if options.preset is not None and beside < _STACK_BELOW:
        stacked = {n: "above" if b == "top" else "below" for n, b in band.items() if b != "main"}
    stacked_width = 0.9 * between - 8.0
    lines = pd.Series(
        [
            len(wrap(p.names[n], stacked_width if n in stacked else limit, size, family)) + 1
            for n in p.used
        ],
        index=p.used,
    )
    needed = lines * line_height(size) + 4.0
    rooms = pd.DataFrame(
        {
            "room": needed.where(~needed.index.isin(list(stacked)), 0.0),
            "room_above": [needed[n] + 2.0 if stacked.get(n) == "above" else 0.0 for n in p.used],
            "room_below": [needed[n] + 2.0 if stacked.get(n) == "below" else 0.0 for n in p.used],
        },
        index=p.used,
    )
    return rooms, stacked, stacked_width


def _lay_out(
    table: pd.DataFrame,
    drawn: pd.DataFrame,
    used: list[str],
    margin: dict[str, float],
    options: SankeyOptions,
    spacing: LayoutOptions,
    room: pd.DataFrame | None = None,
) -> Geometry:
    """Lay the drawn flows out in the plot area the margins leave (``room``: px per label).

    At a print preset the diagram is fitted to the preset's height, or to what the title,
    legend and note leave of its page if less. Where the labels' room does not fit that, the
    diagram grows as much as they need, up to the preset's height, and from there on if it
    must (the figure then outgrows its page).
    """
    plot_h = (options.height or (0 if options.scale else 620)) - margin["t"] - margin["b"]
    # the page the diagram is fitted to: a preset's, unless a scale or height is given
    page = options.preset if options.scale is None and options.height is None else None
    if page is not None:
        plot_h = min(page.height, page.page_height - margin["t"] - margin["b"])
        if plot_h < page.height / 4:  # title, legend and note fill the page: it outgrows it
            plot_h = page.height
    if plot_h <= 0 and options.scale is None and page is None:
        raise RenderError(
            f"height={options.height} px leaves no room for the diagram: the title, legend and "
            f"notes take {margin['t'] + margin['b']:.0f} px; give a larger height or a scale"
        )

    def at(height: float) -> Geometry:
        return layout(
            table.loc[used, ["column", "band"]].join(room)
            if room is not None
            else table.loc[used, ["column", "band"]],
            drawn[["source", "target", "value"]],
            plot_width=options.width - margin["l"] - margin["r"],
            plot_height=height if height > 0 else None,
            ky=None if options.scale is None else 1.0 / options.scale,
            options=spacing,
            grow=options.preset is not None,
        )

    geo = at(plot_h)
    if page is not None and geo.plot_height > max(page.height, plot_h) + 0.5:
        geo = at(float(page.height))
    return geo
