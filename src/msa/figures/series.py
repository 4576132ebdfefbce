"""Several Sankeys (years, scenarios) at one common scale: :func:`sankey_series`."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from msa.errors import ConfigError, DataError
from msa.figures.diagram import draw_plan, sankey
from msa.figures.labels import Lang
from msa.figures.links import links_from_system
from msa.figures.plan import (
    ColorBy,
    PreparedTables,
    SankeyOptions,
    SankeyPlan,
    plan_sankey,
    prepare_tables,
)

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from msa.system.core import System

__all__ = ["sankey_series", "series_scale"]

#: The keywords :func:`sankey` takes besides the links table.
_SANKEY_KEYWORDS = frozenset(inspect.signature(sankey).parameters) - {"links"}


def _tables(
    source: System | Mapping[Hashable, pd.DataFrame],
    years: Iterable[int] | None,
    lang: Lang,
    by: str | None,
) -> dict[Hashable, pd.DataFrame]:
    """Return the links tables to draw: the given mapping, or one per year of a System."""
    if isinstance(source, Mapping):
        if years is not None:
            raise ConfigError("years= applies to a System; a mapping of tables is drawn as given")
        if not source:
            raise DataError("sankey_series: no tables given")
        return dict(source)
    chosen = list(source.years) if years is None else list(years)
    return {int(y): links_from_system(source, int(y), lang=lang, by=by) for y in chosen}


def series_scale(tables: Mapping[Hashable, pd.DataFrame], **kwargs: Any) -> float:
    """Return the common scale (units per px) at which every table fits the figure height.

    It is the largest of the tables' fit-to-page scales, so the busiest diagram fills the
    height and the others are drawn smaller at the same scale. ``kwargs`` go to :func:`sankey`.
    """
    return _series_scale(tables, kwargs, _Prepared(tables, kwargs))


def _series_scale(
    tables: Mapping[Hashable, pd.DataFrame], kwargs: Mapping[str, Any], prepared: _Prepared
) -> float:
    """Return the largest fit-to-page scale of the tables (no series note: fitting)."""
    return max(_series_plan(k, None, kwargs, prepared, ()).geo.units_per_px for k in tables)


class _Prepared:
    """The tables of a series, each prepared once (:func:`prepare_tables`) when first planned.

    Preparing depends only on a table, the node table, ``lang`` and ``color_by``, which are
    the same for every plan of a series, so each plan of a table (fit, common height, final
    figure) starts from one preparation and is the plan it would be without it.
    """

    def __init__(self, tables: Mapping[Hashable, pd.DataFrame], kwargs: Mapping[str, Any]):
        self._tables = tables
        self._nodes = kwargs.get("nodes")
        self._done: dict[tuple[Hashable, str, str], PreparedTables] = {}

    def plan(self, key: Hashable, options: SankeyOptions) -> SankeyPlan:
        """Plan table ``key`` with ``options`` as :func:`plan_sankey` does."""
        done = (key, options.lang, options.color_by)
        if done not in self._done:
            table, lang, color_by = self._tables[key], options.lang, options.color_by
            self._done[done] = prepare_tables(table, self._nodes, lang, color_by)
        return plan_sankey(self._tables[key], self._nodes, options, prepared=self._done[done])


def _series_plan(
    key: Hashable,
    scale: float | None,
    kwargs: Mapping[str, Any],
    prepared: _Prepared,
    series: tuple[str, ...],
) -> SankeyPlan:
    """Lay out table ``key`` as :func:`sankey` would with ``kwargs`` (no plotly figure).

    Only the options named below reach the plan (defaults those of :func:`sankey`).
    ``link_labels`` is among them: the note of labels left out or without a range takes
    lines, so it changes the height; so do ``scale_bar`` (a row of its own), ``series`` (the
    names in the note's shared-scale line), the subtitle and source lines, and the preset
    and fonts (sizes of every text).
    """
    keys = (
        "lang",
        "color_by",
        "title",
        "width",
        "height",
        "min_visible_px",
        "footnotes",
        "link_labels",
        "scale_bar",
        "subtitle",
        "source",
        "preset",
        "font_size",
        "font_family",
    )
    options = SankeyOptions.checked(scale=scale, **{k: kwargs[k] for k in keys if k in kwargs})
    return prepared.plan(key, dataclasses.replace(options, series=series))


def _final_figure(
    key: Hashable, kwargs: Mapping[str, Any], prepared: _Prepared, series: tuple[str, ...]
) -> go.Figure:
    """Draw table ``key`` as ``sankey(table, **kwargs)`` does, from its preparation.

    ``series`` names the figures that share the scale, for the note.
    """
    unknown = [k for k in kwargs if k not in _SANKEY_KEYWORDS]
    if unknown:
        raise TypeError(f"sankey() got an unexpected keyword argument {unknown[0]!r}")
    options = SankeyOptions.checked(**{k: v for k, v in kwargs.items() if k != "nodes"})
    return draw_plan(prepared.plan(key, dataclasses.replace(options, series=series)))


def sankey_series(
    source: System | Mapping[Hashable, pd.DataFrame],
    /,
    *,
    years: Iterable[int] | None = None,
    scale: float | None = None,
    title: str | None = None,
    same_height: bool = True,
    lang: Lang = "en",
    color_by: ColorBy = "stage",
    **kwargs: Any,
) -> dict[Hashable, go.Figure]:
    """Draw several Sankeys (years, scenarios) at one common scale.

    Every figure's note says that the figures of the series share the scale (naming them),
    and each has a scale bar (unless ``scale_bar=False``) of the same quantity and length.

    Parameters
    ----------
    source : System or mapping of key to links table
        A System (one figure per year of ``years``, default all) or ready links tables keyed
        by year or scenario name.
    years : iterable of int, optional
        Years to draw from a System.
    scale : float, optional
        Units per px; default :func:`series_scale` (the busiest diagram fits the height).
    title : str, optional
        Title prefix; each figure's title is ``"<title> <key>"``.
    same_height : bool
        Give every figure the height of the tallest, so they line up side by side.
    lang, color_by, **kwargs
        Passed to :func:`sankey` (e.g. ``scale_bar``, ``nodes``, ``footnotes``, ``preset``,
        ``subtitle`` and the ``source`` line: ``source`` is positional-only here, so the
        keyword is the source line).

    Returns
    -------
    dict of key to Figure
        In the order of the keys.

    Examples
    --------
    >>> import msa
    >>> figs = sankey_series(msa.load_example(), years=[2019, 2023])
    >>> {k: f.layout.meta["msa_sankey"]["units_per_px"] for k, f in figs.items()} == {
    ...     2019: figs[2023].layout.meta["msa_sankey"]["units_per_px"],
    ...     2023: figs[2019].layout.meta["msa_sankey"]["units_per_px"]}
    True
    """
    by = "material" if color_by == "material" else None
    tables = _tables(source, years, lang, by)
    options = {"lang": lang, "color_by": color_by, **kwargs}
    prepared = _Prepared(tables, options)  # each table is checked and resolved once
    if scale is None:  # all have titles
        scale = _series_scale(tables, {**options, "title": title or "series"}, prepared)

    named = {k: (f"{title} {k}" if title else str(k)) for k in tables}
    series = tuple(str(k) for k in tables) if len(tables) > 1 else ()
    if same_height:
        tallest = max(
            _series_plan(k, scale, {**options, "title": named[k]}, prepared, series).height
            for k in tables
        )
        options["height"] = tallest
    figs = {
        key: _final_figure(key, {**options, "scale": scale, "title": named[key]}, prepared, series)
        for key in tables
    }
    return figs
