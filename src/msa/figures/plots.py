"""Time-series and comparison plots in the Sankeys' style: :func:`time_series`, :func:`comparison`.

Both builders return a plotly figure that :func:`msa.write_figure` writes as HTML, PNG, SVG
and PDF through the same warm image server as the Sankeys, with the Sankeys' font (DejaVu Sans)
and Paul Tol's colour-blind safe palettes (:mod:`msa.figures.labels`).

Print size
    A figure is laid out for a print preset of :data:`msa.figures.plan.PRESETS`, the
    Sankeys' (``a4-portrait`` by default: a 16 cm report column): at 96 layout px per inch,
    so one px prints as 0.75 pt, with the preset's text sizes (12 px = 9 pt labels, 10 px =
    7.5 pt notes). The figure's ``layout.meta["msa_plot"]`` carries the preset's PNG density
    (:func:`png_scale`: 300 dpi, a 1,890 px wide PNG for 16 cm), which the writers of a run use.

Numbers and words
    Every value axis groups thousands and states its unit in its title; every hover gives the
    series, the year and the value with its unit; the legend title names the quantity and its
    unit. ``lang="nl"`` writes every word in Dutch and numbers with a decimal comma and a
    thousands point (``12.300,5``). Tonnes are shown as kt or Mt when the values are large
    (:func:`plot_units`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from msa.errors import DataError
from msa.figures.labels import Lang, checked_lang, format_value, rgba
from msa.figures.plan import FONT, checked_preset

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

__all__ = [
    "SeriesStyle",
    "comparison",
    "plot_units",
    "png_scale",
    "series_colors",
    "time_series",
]

#: The preset a plot is laid out for unless told otherwise (a 16 cm A4 report column).
DEFAULT_PRESET = "a4-portrait"
#: PNG px per layout px of a figure that does not say (:func:`msa.write_figure`'s default).
_DEFAULT_PNG_SCALE = 2.0
#: Tol bright (up to seven series) and Tol muted with pale grey (more than seven).
_BRIGHT = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
_MUTED: tuple[str, ...] = (
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE",
    "#882255", "#44AA99", "#999933", "#AA4499", "#DDDDDD",
)  # fmt: skip
_TEXT_COLOR = "#1A1A1A"
#: Units of a dimensionless number: shown without a unit.
_NO_UNIT = ("1", "-", "")
_GRID = "rgba(0,0,0,0.12)"
#: Mass units shown in larger units when the values are large: unit -> (unit, divisor) steps.
_LARGER = {"t": (("kt", 1e3), ("Mt", 1e6))}

_WORDS: dict[str, dict[Lang, str]] = {
    "year": {"en": "year", "nl": "jaar"},
    "source": {"en": "Source: {}", "nl": "Bron: {}"},
    "ratio": {
        "en": "ratio to {base} ({base} = 1)",
        "nl": "verhouding tot {base} ({base} = 1)",
    },
    "no_ratio": {"en": "{base} {value}: no ratio", "nl": "{base} {value}: geen verhouding"},
    "runs": {"en": "Run", "nl": "Berekening"},
}
#: Dutch of the time parts of units (``t/yr`` is ``t/jaar``) and of counted things.
_UNITS_NL = {"/yr": "/jaar", "/year": "/jaar", "vehicles": "voertuigen", "panels": "panelen"}


def _word(key: str, lang: Lang) -> str:
    return _WORDS[key][lang]


@dataclass(frozen=True)
class _Page:
    """The print size of a plot: layout width, text sizes and PNG density of a preset.

    The lengths of the layout (margins, gaps, marker sizes) were drawn for 17 px text and
    scale with the preset's text size (:meth:`px`).
    """

    name: str
    width: int
    text: int
    tick: int
    note: int
    title: int
    png_scale: float
    dpi: int

    @classmethod
    def of(cls, preset: str) -> _Page:
        """Return the page of a preset of :data:`msa.figures.plan.PRESETS`."""
        page = checked_preset(preset)
        if page is None:
            raise DataError("a plot needs a print preset (got None)")
        size = page.font_size
        return cls(
            name=page.name,
            width=page.width,
            text=size,
            tick=size - 1,
            note=page.note_size,
            title=round(size * 1.25),
            png_scale=page.png_scale,
            dpi=page.dpi,
        )

    def px(self, length: float) -> int:
        """Return ``length`` (drawn for 17 px text) at this page's text size, in px."""
        return round(length * self.text / 17)


@dataclass(frozen=True)
class SeriesStyle:
    """How one series of :func:`time_series` is drawn.

    Parameters
    ----------
    color : str, optional
        ``#RRGGBB``; default the series' colour from :func:`series_colors`.
    dash : str
        plotly line dash: ``"solid"``, ``"dash"``, ``"dot"``, ``"dashdot"``.
    width : float
        Line width in layout px.
    area : bool
        Fill from zero to the line (translucent), no line: a quantity drawn as a surface.
    """

    color: str | None = None
    dash: str = "solid"
    width: float = 2.0
    area: bool = False

    def __post_init__(self) -> None:
        if self.color is not None and not (len(self.color) == 7 and self.color[0] == "#"):
            raise DataError(f"SeriesStyle colour must be '#RRGGBB' (got {self.color!r})")
        if not (self.width > 0):
            raise DataError(f"SeriesStyle width must be > 0 (got {self.width!r})")


def series_colors(names: Sequence[Hashable]) -> dict[Hashable, str]:
    """Return a colour for each series: Tol bright up to seven, Tol muted for more.

    Parameters
    ----------
    names : sequence
        Series in the order they are drawn.

    Returns
    -------
    dict
        Series to ``#RRGGBB``; more than ten series cycle through Tol muted.

    Examples
    --------
    >>> series_colors(["Li", "Co"])
    {'Li': '#4477AA', 'Co': '#EE6677'}
    """
    unique = list(dict.fromkeys(names))
    palette = _BRIGHT if len(unique) <= len(_BRIGHT) else _MUTED
    return {name: palette[i % len(palette)] for i, name in enumerate(unique)}


def plot_units(units: str, largest: float, lang: Lang = "en") -> tuple[str, float]:
    """Return the unit a plot shows values in, and the divisor from the data's unit.

    Tonnes stay tonnes below 100,000; up to 100 million they are shown in kilotonnes (kt),
    above in megatonnes (Mt); a rate (``t/yr``) likewise. Dutch writes ``/jaar`` for
    ``/yr``.

    Parameters
    ----------
    units : str
        The data's unit (``attrs["units"]``).
    largest : float
        The largest absolute value drawn.
    lang : {"en", "nl"}
        Language of the unit's words.

    Returns
    -------
    (str, float)
        The unit shown and the number the data are divided by.

    Examples
    --------
    >>> plot_units("t/yr", 2.5e5)
    ('kt/yr', 1000.0)
    >>> plot_units("t", 4.2e8, "nl")
    ('Mt', 1000000.0)
    >>> plot_units("t/yr", 950.0, "nl")
    ('t/jaar', 1.0)
    """
    base, per, rest = units.partition("/")
    shown, divisor = units, 1.0
    if base.strip() in _LARGER and math.isfinite(largest):
        for unit, step in _LARGER[base.strip()]:
            if abs(largest) >= 100 * step:
                shown, divisor = f"{unit}{per}{rest}", step
    if lang == "nl":
        for en, nl in _UNITS_NL.items():
            shown = shown.replace(en, nl)
    return shown, divisor


def _separators(lang: Lang) -> str:
    """Return plotly's ``layout.separators``: the decimal mark, then the thousands mark."""
    return ",." if lang == "nl" else ".,"


def _base_layout(
    title: str, subtitle: str | None, page: _Page, height: int, lang: Lang
) -> dict[str, Any]:
    """Return the size, font, title and number format shared by every plot."""
    heading: dict[str, Any] = {
        "text": title,
        "x": 0,
        "xref": "container",
        "xanchor": "left",
        "y": 1,
        "yref": "container",
        "yanchor": "top",
        "pad": {"l": page.px(12), "t": page.px(16)},
        "font": {"size": page.title},
    }
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": page.note}}
    return {
        "template": "simple_white",
        "width": page.width,
        "height": height,
        "title": heading,
        "font": {"family": FONT, "size": page.text, "color": _TEXT_COLOR},
        "separators": _separators(lang),
        "hoverlabel": {"font": {"family": FONT, "size": page.note}},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }


def _source_note(fig: go.Figure, source: str | None, lang: Lang, page: _Page) -> None:
    """Write the source line under the plot, left-aligned (nothing without a source)."""
    if not source:
        return
    layout = fig.layout
    plot_width = layout.width - layout.margin.l - layout.margin.r
    plot_height = layout.height - layout.margin.t - layout.margin.b
    fig.add_annotation(
        text=_word("source", lang).format(source),
        xref="paper",
        yref="paper",
        x=(page.px(12) - layout.margin.l) / plot_width,
        y=-(layout.margin.b - page.px(6)) / plot_height,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": page.note, "color": "#555555"},
        align="left",
    )


# --------------------------------------------------------------------------- time series
def _checked_frame(frame: pd.DataFrame, columns: Sequence[str | None], value: str) -> None:
    """Refuse a frame without the named columns, or with a value that is not a finite number."""
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise DataError(
            f"time_series: no column {missing[0]!r} in the frame (columns: {list(frame.columns)})"
        )
    try:
        values = frame[value].to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise DataError(
            f"time_series: column {value!r} holds a value that is not a number"
        ) from err
    bad = ~np.isfinite(values)
    if bad.any():
        row = frame.index[int(np.argmax(bad))]
        raise DataError(
            f"time_series: {value!r} at row {row!r} is {values[bad][0]} (a gap is not drawn "
            "as zero: leave the row out or fill it)"
        )


def _hover(unit: str) -> str:
    """Hover text of a point: series, year and value with its unit (three significant digits)."""
    return "%{fullData.name}<br>%{x}: %{y:,.3~r} " + unit + "<extra></extra>"


def _series_traces(
    rows: pd.DataFrame,
    name: str,
    style: SeriesStyle,
    color: str,
    keys: Mapping[str, Any],
) -> list[Any]:
    """Return the traces of one series in one panel: its band (if any) and its line or area."""
    import plotly.graph_objects as go

    x = rows[keys["x"]].to_numpy()
    y = rows[keys["value"]].to_numpy(dtype=float) / keys["divisor"]
    shared = {"legendgroup": name, "showlegend": keys["first"], "name": name}
    traces: list[Any] = []
    if keys["low"] is not None and keys["high"] is not None:
        low = rows[keys["low"]].to_numpy(dtype=float) / keys["divisor"]
        high = rows[keys["high"]].to_numpy(dtype=float) / keys["divisor"]
        if np.isfinite(low).all() and np.isfinite(high).all():  # a series without a band: none
            band: dict[str, Any] = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
            band.update(showlegend=False, legendgroup=name)
            traces.append(go.Scatter(x=x, y=low, name=f"{name} p5", **band))
            traces.append(
                go.Scatter(x=x, y=high, name=f"{name} p5–p95", fill="tonexty",
                           fillcolor=rgba(color, 0.2), **band)
            )  # fmt: skip
    hover = _hover(keys["unit"])
    if keys["stacked"]:
        traces.append(
            go.Scatter(x=x, y=y, mode="lines", stackgroup="stack", fillcolor=rgba(color, 0.85),
                       line={"color": color, "width": 0.5}, hovertemplate=hover, **shared)
        )  # fmt: skip
    elif style.area:
        traces.append(
            go.Scatter(x=x, y=y, mode="lines", fill="tozeroy", fillcolor=rgba(color, 0.45),
                       line={"color": color, "width": 0}, hovertemplate=hover, **shared)
        )  # fmt: skip
    else:
        line = {"color": color, "width": style.width, "dash": style.dash}
        traces.append(go.Scatter(x=x, y=y, mode="lines", line=line, hovertemplate=hover, **shared))
    return traces


#: Gap between rows of panels, in px at 17 px text (tick labels, the next panel's title).
_ROW_GAP = 78
#: Year steps of the time axis, the smallest that leaves few enough ticks is taken.
_YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100)
#: Width of a legend entry's symbol and gaps, in px at 17 px text.
_LEGEND_SYMBOL = 52


def _panel_grid(
    panels: list[Hashable],
    columns: int,
    widths: tuple[int, int],
    shown: list[tuple[str, float]],
    page: _Page,
) -> tuple[Any, int, int]:
    """Return an empty figure with one subplot per panel, its columns and its plot height.

    ``widths`` are those of the plot area and of the widest tick label, in px. The panels'
    titles give their unit where the panels differ in unit (``shown``).
    """
    plot_width, ticks_px = widths
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if len(panels) <= 1:
        return go.Figure(), 1, round(plot_width * 0.55)
    cols = max(1, min(columns, len(panels)))
    rows = -(-len(panels) // cols)
    gap = page.px(_ROW_GAP)
    plot_height = round(plot_width / cols * 0.68) * rows + gap * (rows - 1)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[
            f"{p} ({unit})" if len({u for u, _ in shown}) > 1 else str(p)
            for p, (unit, _) in zip(panels, shown, strict=True)
        ],
        horizontal_spacing=(ticks_px + page.px(24)) / plot_width if cols > 1 else 0.0,
        vertical_spacing=gap / plot_height if rows > 1 else 0.0,
    )
    for annotation in fig.layout.annotations:  # subplot titles: the text size, not the title's
        annotation.font = {"size": page.text}
    return fig, cols, plot_height


def _panel_units(
    frame: pd.DataFrame,
    panels: list[Hashable],
    units: str,
    lang: Lang,
    *,
    keys: tuple[str, str, str | None, str | None],
    stacked: bool,
) -> tuple[list[tuple[str, float]], list[float]]:
    """Return the unit each panel shows and its divisor, and its largest value in that unit.

    Each panel gets its own unit (silver in t beside glass in kt, :func:`plot_units`), as it
    has its own axis.
    """
    x, value, high, panel = keys
    shown, largest_shown = [], []
    for key in panels:
        rows = frame if key is None else frame[frame[panel] == key]
        if stacked:
            largest = float(rows.groupby(x)[value].sum().abs().max()) if len(rows) else 0.0
        else:
            numbers = rows[[c for c in (value, high) if c is not None]].to_numpy(dtype=float)
            largest = float(np.nanmax(np.abs(numbers))) if numbers.size else 0.0
        shown.append(plot_units(units, largest, lang))
        largest_shown.append(largest / shown[-1][1])
    return shown, largest_shown


def _tick_width(largest: Sequence[float], page: _Page) -> int:
    """Return the width (px) of the widest value tick label of the panels, at most."""
    from msa.figures._text import text_width

    texts = [f"{v:,.0f}" if v >= 10 else f"{v:.2f}" for v in largest if math.isfinite(v)]
    return round(max((text_width(t, page.tick, FONT) for t in texts), default=0.0)) + page.px(6)


def _legend_height(title: str, names: Sequence[str], page: _Page) -> int:
    """Return the height of a horizontal legend of ``names`` titled ``title`` on ``page``."""
    from msa.figures._text import text_width

    size, width = page.text, page.width - page.px(24)
    rows, used = 1, text_width(title, size, FONT) + page.px(12)
    for name in names:
        entry = text_width(name, size, FONT) + page.px(_LEGEND_SYMBOL)
        if used + entry > width and used > 0:
            rows, used = rows + 1, 0.0
        used += entry
    return round(rows * size * 1.75 + 8)


def time_series(
    frame: pd.DataFrame,
    *,
    units: str,
    title: str,
    quantity: str,
    x: str = "year",
    value: str = "value",
    series: str = "series",
    panel: str | None = None,
    low: str | None = None,
    high: str | None = None,
    stacked: bool = False,
    styles: Mapping[str, SeriesStyle] | None = None,
    lang: Lang = "en",
    subtitle: str | None = None,
    source: str | None = None,
    columns: int = 3,
    preset: str = DEFAULT_PRESET,
) -> go.Figure:
    """Draw quantities over time as lines, areas or stacked areas, in one or several panels.

    Parameters
    ----------
    frame : DataFrame
        One row per point: columns ``x`` (the year), ``value``, ``series`` (the legend
        entry) and optionally ``panel`` (one subplot each, in order of appearance) and
        ``low``/``high`` (a band drawn behind the series, e.g. a Monte Carlo's p5 and p95).
    units : str
        Unit of ``value`` (``"t"``, ``"t/yr"``); large tonnages are shown in kt or Mt
        (:func:`plot_units`).
    title : str
        The figure's title, in the figure's language.
    quantity : str
        What the values are (``"Stock at the end of the year"``): the value axis reads
        ``"<quantity> (<unit>)"`` and the legend is titled by it.
    x, value, series, panel, low, high : str
        Column names.
    stacked : bool
        Stack the series as areas (their sum is the top line).
    styles : mapping of str to SeriesStyle, optional
        Style of named series (colour, dash, width, area); the others get
        :func:`series_colors` and a solid line.
    lang : {"en", "nl"}
        Language of the words and the number format (Dutch: ``12.300,5``).
    subtitle, source : str, optional
        A line under the title; a source line under the plot (``"Source: ..."``).
    columns : int
        Panels per row.
    preset : str
        Print size, a key of :data:`msa.figures.plan.PRESETS` (``a4-portrait``,
        ``a4-landscape``, ``slide``): width, text sizes and PNG density (:func:`png_scale`).

    Returns
    -------
    plotly.graph_objects.Figure
        ``layout.meta["msa_plot"]`` records the kind, the units shown, the preset, its dpi
        and PNG density.

    Raises
    ------
    msa.DataError
        A named column is missing, or a value is not a finite number (missing is not zero:
        a gap is refused, not drawn as zero). A series whose ``low`` or ``high`` has a gap
        is drawn without a band.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": [2020, 2021, 2020, 2021], "value": [1.0, 2.0, 3.0, 2.5],
    ...                       "series": ["Li", "Li", "Co", "Co"]})
    >>> fig = time_series(frame, units="t", title="Demand", quantity="Demand", lang="nl")
    >>> fig.layout.yaxis.title.text, fig.layout.separators
    ('Demand (t)', ',.')
    """
    language = checked_lang(lang)
    _checked_frame(frame, [x, value, series, panel, low, high], value)
    panels = list(dict.fromkeys(frame[panel])) if panel else [None]
    shown, largest = _panel_units(
        frame, panels, units, language, keys=(x, value, high, panel), stacked=stacked
    )
    page = _Page.of(preset)
    ticks_px = _tick_width(largest, page)
    left = page.px(26) + round(page.text * 1.3) + ticks_px
    fig, cols, plot_height = _panel_grid(
        panels, columns, (page.width - left - page.px(20), ticks_px), shown, page
    )
    names = list(dict.fromkeys(frame[series]))
    colors = series_colors(names)
    styles = dict(styles or {})
    for n, key in enumerate(panels):
        rows = frame if key is None else frame[frame[panel] == key]
        where = {} if len(panels) == 1 else {"row": n // cols + 1, "col": n % cols + 1}
        unit, divisor = shown[n]
        for name in names:
            mine = rows[rows[series] == name].sort_values(x)
            if mine.empty:
                continue
            style = styles.get(str(name), SeriesStyle())
            keys = {"x": x, "value": value, "low": low, "high": high, "divisor": divisor}
            keys.update(unit=unit, stacked=stacked, first=n == 0)
            for trace in _series_traces(mine, str(name), style, style.color or colors[name], keys):
                fig.add_trace(trace, **where)
    several = len(panels) > 1
    one_unit = len({u for u, _ in shown}) == 1
    unit = shown[0][0] if one_unit else ""
    legend_title = f"{quantity} ({unit}):" if one_unit else f"{quantity}:"
    years = (int(frame[x].min()), int(frame[x].max())) if len(frame) else (0, 0)
    ticks = 6 - min(cols, 3) if several else 7
    _style_time_axes(fig, legend_title[:-1], language, several=several, years=years, ticks=ticks)
    _size_axes(fig, page)
    legend = _legend_height(legend_title, names, page)
    margin = {**_frame_margins(subtitle, source, several, legend, page), "l": left}
    height = plot_height + margin["t"] + margin["b"]
    fig.update_layout(**_base_layout(title, subtitle, page, height, language))
    fig.update_layout(
        legend={
            "title": {"text": legend_title, "side": "left", "font": {"size": page.text}},
            "orientation": "h",
            "x": page.px(12) / page.width,
            "xref": "container",
            "xanchor": "left",
            "y": margin["legend_y"] / height,
            "yref": "container",
            "yanchor": "bottom",
            "font": {"size": page.text},
            "traceorder": "normal",
        },
        margin={k: margin[k] for k in ("l", "r", "t", "b")},
        meta={"msa_plot": _meta("time_series", [u for u, _ in shown], page, language)},
    )
    _source_note(fig, source, language, page)
    return fig


def _frame_margins(
    subtitle: str | None, source: str | None, several: bool, legend: int, page: _Page
) -> dict[str, int]:
    """Return the margins (px) around the plot: title, subtitle, legend and source line.

    From the top: the title, the subtitle, the first row's panel titles; under the plot: the
    tick labels (and the year axis title of a single plot), the legend, the source line.
    ``legend_y`` is the legend's bottom, in px from the figure's bottom.
    """
    top = page.px(24) + round(page.title * 1.6)
    top += round(page.note * 1.8) if subtitle else 0
    top += round(page.text * 1.5) if several else page.px(14)
    source_row = round(page.note * 1.8) if source else 0
    axis = page.px(40) + (0 if several else round(page.text * 1.9))
    return {
        "r": page.px(20),
        "t": top,
        "b": axis + page.px(8) + legend + source_row + page.px(8),
        "legend_y": source_row + page.px(8),
    }


def _style_time_axes(
    fig: go.Figure,
    value_title: str,
    lang: Lang,
    *,
    several: bool,
    years: tuple[int, int],
    ticks: int,
) -> None:
    """Style years without separators on x; grouped thousands, zero-based values, units on y."""
    first, last = years
    span = last - first
    fitting = [d for d in _YEAR_STEPS if span / d <= ticks - 1] or [_YEAR_STEPS[-1]]
    # a step that divides the span labels both ends (2000, 2025, 2050), if one leaves 2+ ticks
    step = next((d for d in fitting if span % d == 0 and span / d >= 2), fitting[0])
    fig.update_xaxes(
        tickformat="d",
        tick0=first if span % step == 0 else step * math.ceil(first / step),
        dtick=step,
        range=[first, last] if last > first else None,
        showgrid=True,
        gridcolor=_GRID,
        hoverformat="d",
    )
    fig.update_yaxes(
        rangemode="tozero",
        separatethousands=True,
        exponentformat="none",
        showgrid=True,
        gridcolor=_GRID,
    )
    if several:
        fig.update_yaxes(title_text=value_title, col=1)
    else:
        fig.update_yaxes(title_text=value_title)
        fig.update_xaxes(title_text=_word("year", lang))


def _size_axes(fig: go.Figure, page: _Page) -> None:
    """Give every axis the page's tick and title sizes."""
    sizes = {"tickfont": {"size": page.tick}, "title_font": {"size": page.text}}
    fig.update_xaxes(**sizes)
    fig.update_yaxes(**sizes, title_standoff=page.px(6), automargin=False)


def _meta(kind: str, unit: str | list[str], page: _Page, lang: Lang) -> dict[str, Any]:
    """Return what ``layout.meta["msa_plot"]`` records of a plot (:func:`png_scale` reads it)."""
    return {
        "kind": kind,
        "units": unit,
        "preset": page.name,
        "dpi": page.dpi,
        "png_scale": page.png_scale,
        "lang": lang,
    }


def png_scale(fig: Any) -> float:
    """Return the PNG density a figure is made for: its preset's, else 2 (192 dpi).

    Plots and Sankeys drawn at a print preset (``preset=``) both say it in ``layout.meta``.

    A plot of :func:`time_series` or :func:`comparison` says it in ``layout.meta``; written
    with ``msa.write_figure(fig, path, scale=png_scale(fig))``, its PNG has the preset's dpi
    (300 for ``a4-portrait``: 1,890 px for 16 cm).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        Any figure; one without msa plot metadata gives the default 2.

    Returns
    -------
    float
        PNG px per layout px.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"year": [2020, 2021], "value": [1.0, 2.0], "series": "Li"})
    >>> png_scale(time_series(frame, units="t", title="Li", quantity="Stock"))
    3.125
    """
    meta = getattr(getattr(fig, "layout", None), "meta", None)
    if isinstance(meta, Mapping) and isinstance(meta.get("msa_plot"), Mapping):
        return float(meta["msa_plot"].get("png_scale", _DEFAULT_PNG_SCALE))
    sankey = meta.get("msa_sankey") if isinstance(meta, Mapping) else None
    if isinstance(sankey, Mapping) and sankey.get("dpi"):  # a Sankey drawn at a print preset
        return float(sankey["dpi"]) / 96.0
    return _DEFAULT_PNG_SCALE


# --------------------------------------------------------------------------- comparison
def comparison(
    table: pd.DataFrame,
    *,
    units: Mapping[str, str] | pd.Series | None = None,
    baseline: str | None = None,
    title: str | None = None,
    lang: Lang = "en",
    source: str | None = None,
    preset: str = DEFAULT_PRESET,
) -> go.Figure:
    """Draw runs side by side: each indicator of each run as its ratio to the baseline run.

    A dot plot: one row per indicator, labelled with its baseline value and unit; in each row
    one marker per run, side by side, the baseline a black diamond at 1 on a vertical line
    at 1, the other runs coloured dots. Ratios let quantities of different units share one
    axis; the hover gives each run's value with its unit and its ratio. The axis is
    logarithmic when the ratios span more than a factor of ten.

    Parameters
    ----------
    table : DataFrame
        Rows: indicators (labels); columns: runs; values: numbers (a ``units`` column is
        taken as ``units``).
    units : mapping or Series, optional
        Unit of each indicator (row label).
    baseline : str, optional
        The run the others are compared with; default the first column.
    title : str, optional
        Default ``"<runs> relative to <baseline>"``.
    lang : {"en", "nl"}
        Language of the words and the number format.
    source : str, optional
        A source line under the plot.
    preset : str
        Print size, a key of :data:`msa.figures.plan.PRESETS`.

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    msa.DataError
        No run or no indicator, ``baseline`` is not a column, or a value is not a number.

    Examples
    --------
    >>> table = pd.DataFrame({"baseline": [10.0, 2000.0], "high": [12.0, 1500.0]},
    ...                      index=["demand 2030", "stock 2030"])
    >>> fig = comparison(table, units={"demand 2030": "t/yr", "stock 2030": "t"})
    >>> [t.name for t in fig.data]
    ['baseline', 'high']
    >>> fig.data[1].x.tolist()
    [1.2, 0.75]
    """
    language = checked_lang(lang)
    values, unit_of = _comparison_values(table, units)
    base = str(values.columns[0]) if baseline is None else str(baseline)
    if base not in values.columns:
        raise DataError(f"comparison: no run {base!r} (runs: {list(values.columns)})")
    values = values[[base] + [c for c in values.columns if c != base]]
    reference = values[base].where(values[base] != 0)
    ratio = values.div(reference, axis=0)
    unit_of = {k: "" if v.strip() in _NO_UNIT else v for k, v in unit_of.items()}
    page = _Page.of(preset)
    labels = [
        _wrapped(
            _row_label(values.loc[r], unit_of.get(str(r), ""), language), 0.45 * page.width, page
        )
        for r in values.index
    ]
    fig = _dot_traces(values, ratio, labels, unit_of, (language, page))
    lines = sum(label.count("<br>") + 1 for label in labels)
    per_row = page.px(max(34, 12 * len(values.columns) + 14))
    extra = page.px(22) * (lines - len(labels)) + page.px(185 + (30 if source else 0))
    height = per_row * len(values) + extra
    _style_ratio_axis(fig, ratio, base, language)
    runs = ", ".join(str(c) for c in values.columns[1:]) or base
    heading = title or _default_comparison_title(runs, base, language)
    fig.update_layout(**_base_layout(heading, None, page, height, language))
    fig.update_layout(
        scattermode="group",
        scattergap=0.35,
        legend={
            "title": {
                "text": _word("runs", language) + ":",
                "side": "left",
                "font": {"size": page.text},
            },
            "orientation": "h",
            "x": page.px(12) / page.width,
            "xref": "container",
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": page.text},
        },
        margin={
            "l": _label_margin(labels, page),
            "r": page.px(30),
            "t": page.px(105),
            "b": page.px(110 if source else 80),
        },
        meta={"msa_plot": _meta("comparison", "ratio", page, language)},
    )
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=labels,
        range=[len(labels) - 0.5, -0.5],  # every row, those without a ratio too; first on top
        showgrid=True,
        gridcolor=_GRID,
        automargin=False,  # plotly measures a label broken by <br> as one line
        ticks="",
    )
    _size_axes(fig, page)
    _source_note(fig, source, language, page)
    return fig


def _default_comparison_title(runs: str, base: str, lang: Lang) -> str:
    if lang == "nl":
        return f"Scenario's vergeleken: {runs} ten opzichte van {base}"
    return f"Runs compared: {runs} relative to {base}"


def _comparison_values(
    table: pd.DataFrame, units: Mapping[str, str] | pd.Series | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Return the runs' numbers (rows: indicators) and the unit of each indicator."""
    unit_of: dict[str, str] = {}
    if "units" in table.columns:
        unit_of.update({str(k): str(v) for k, v in table["units"].fillna("").items()})
    if units is not None:
        unit_of.update({str(k): str(v) for k, v in dict(units).items()})
    values = table.drop(columns=["units"], errors="ignore")
    if values.empty or values.shape[1] == 0:
        raise DataError("comparison: no run or no indicator to compare")
    try:
        numbers = values.astype(float)
    except (TypeError, ValueError) as err:
        raise DataError(f"comparison: a value is not a number ({err})") from err
    return numbers, unit_of


def _label_margin(labels: Sequence[str], page: _Page) -> int:
    """Return the left margin (px) that holds the widest line of the row labels."""
    from msa.figures._text import text_width

    lines = [line for label in labels for line in label.split("<br>")]
    widest = max((text_width(line, page.tick, FONT) for line in lines), default=0.0)
    return round(page.px(22) + widest)


def _wrapped(text: str, max_width: float, page: _Page) -> str:
    """Break a label at its spaces into lines of at most ``max_width`` px (``<br>`` between).

    Only plain spaces break: a value and its unit, joined by a no-break space, stay together.
    """
    from msa.figures._text import text_width

    lines: list[str] = []
    for word in text.split(" "):
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(trial, page.tick, FONT) <= max_width:
            lines[-1] = trial
        else:
            lines.append(word)
    return "<br>".join(lines)


def _quantity(value: float, unit: str, lang: Lang) -> str:
    """Return a value with its unit, a no-break space between them ("–" if not a number)."""
    if not math.isfinite(value):
        return "–"
    return format_value(value, unit, lang).replace(" ", "\u00a0")


def _row_label(row: pd.Series, unit: str, lang: Lang) -> str:
    """Return a row's label: the indicator and its baseline value with its unit.

    Without a ratio (a baseline of zero or missing) the label gives every run's value.
    """
    base, base_value = str(row.index[0]), float(row.iloc[0])
    shown = _quantity(base_value, unit, lang)
    if math.isfinite(base_value) and base_value != 0:
        return f"{row.name}: {shown}"
    others = "; ".join(
        f"{run} {_quantity(float(v), unit, lang)}" for run, v in row.iloc[1:].items()
    )
    no_ratio = _word("no_ratio", lang).format(base=base, value=shown)
    return f"{row.name} ({no_ratio}{'; ' + others if others else ''})"


def _dot_traces(
    values: pd.DataFrame,
    ratio: pd.DataFrame,
    labels: list[str],
    unit_of: Mapping[str, str],
    context: tuple[Lang, _Page],
) -> go.Figure:
    """Return one trace per run, its ratio in each row; the baseline a black diamond."""
    import plotly.graph_objects as go

    lang, page = context
    fig = go.Figure()
    colors = series_colors(list(values.columns[1:]))
    for k, run in enumerate(values.columns):
        texts = [
            format_value(float(v), unit_of.get(str(row), ""), lang) if np.isfinite(v) else "–"
            for row, v in values[run].items()
        ]
        if k == 0:
            marker = {"symbol": "diamond", "size": page.px(13), "color": _TEXT_COLOR}
        else:
            marker = {"symbol": "circle", "size": page.px(12), "color": colors[run]}
            marker["line"] = {"color": "white", "width": 1}
        fig.add_trace(
            go.Scatter(
                x=ratio[run].to_numpy(),
                y=labels,
                mode="markers",
                name=str(run),
                marker=marker,
                customdata=texts,
                hovertemplate="%{fullData.name}: %{customdata} (× %{x:,.3~r})<extra></extra>",
                offsetgroup=str(run),
                orientation="h",
                cliponaxis=False,
            )
        )
    return fig


def _style_ratio_axis(fig: go.Figure, ratio: pd.DataFrame, base: str, lang: Lang) -> None:
    """Style the ratio axis: linear around 1, or logarithmic past a factor of ten; line at 1."""
    finite = ratio.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (1.0, 1.0)
    axis: dict[str, Any] = {
        "title": {"text": _word("ratio", lang).format(base=base)},
        "showgrid": True,
        "gridcolor": _GRID,
        "separatethousands": True,
        "exponentformat": "none",
        "zeroline": False,
    }
    if high / low > 10:
        axis.update(type="log", dtick="D2")
        pad = 1.25
        axis["range"] = [math.log10(min(low, 1) / pad), math.log10(max(high, 1) * pad)]
    else:
        span = max(high - 1, 1 - low, 0.05) * 1.15
        axis["range"] = [max(0.0, 1 - span) if low >= 0 else 1 - span, 1 + span]
    fig.update_xaxes(**axis)
    fig.add_vline(x=1, line={"color": _TEXT_COLOR, "width": 1.5}, layer="below")
