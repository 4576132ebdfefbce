"""Several Sankeys (years, scenarios) at one common scale: :func:`sankey_series`."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from msa.errors import ConfigError, DataError
from msa.figures.diagram import sankey
from msa.figures.labels import Lang
from msa.figures.links import links_from_system
from msa.figures.plan import ColorBy, SankeyOptions, SankeyPlan, plan_sankey

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from msa.system.core import System

__all__ = ["sankey_series", "series_scale"]


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
    return max(_series_plan(t, None, kwargs).geo.units_per_px for t in tables.values())


def _series_plan(table: pd.DataFrame, scale: float | None, kwargs: Mapping[str, Any]) -> SankeyPlan:
    """Lay out one table as :func:`sankey` would with ``kwargs`` (no plotly figure).

    Only the options named below reach the plan (defaults those of :func:`sankey`); the
    fonts stay at their defaults.
    """
    keys = ("lang", "color_by", "title", "width", "height", "min_visible_px", "footnotes")
    options = SankeyOptions.checked(scale=scale, **{k: kwargs[k] for k in keys if k in kwargs})
    return plan_sankey(table, kwargs.get("nodes"), options)


def sankey_series(
    source: System | Mapping[Hashable, pd.DataFrame],
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
        Passed to :func:`sankey`.

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
    if scale is None:
        scale = series_scale(tables, title=title or "series", **options)  # all have titles

    named = {k: (f"{title} {k}" if title else str(k)) for k in tables}
    if same_height:
        tallest = max(
            _series_plan(t, scale, {**options, "title": named[k]}).height for k, t in tables.items()
        )
        options["height"] = tallest
    figs = {
        key: sankey(table, scale=scale, title=named[key], **options)
        for key, table in tables.items()
    }
    return figs
