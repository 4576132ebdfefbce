"""Figures: Sankey diagrams of a System or a view, and their export to HTML, PNG, SVG and PDF.

* :mod:`~msa.figures.links` -- the links and nodes tables a Sankey is drawn from;
* :mod:`~msa.figures.labels` -- colours, names in English and Dutch, number formats;
* :mod:`~msa.figures.layout` -- columns, bands, node heights and recycling loops, in pixels;
* :mod:`~msa.figures.plan` -- checks the input and lays one figure out, before plotly;
* :mod:`~msa.figures.diagram` -- :func:`sankey`, the one builder for every view and model;
* :mod:`~msa.figures.series` -- several years or scenarios at one scale;
* :mod:`~msa.figures.plots` -- time series and run comparisons in the same style;
* :mod:`~msa.figures.export` -- :func:`write_figure` through one warm image server.

The package is named ``figures`` (not ``sankey``) so that :func:`msa.sankey` does not hide it.
plotly is imported only when a figure is built, so ``import msa`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from msa.figures.diagram import sankey
    from msa.figures.export import FORMATS, write_figure
    from msa.figures.links import JRC_STAGES, links_from_system, nodes_from_links
    from msa.figures.plots import comparison, time_series
    from msa.figures.series import sankey_series, series_scale

# Loaded on first use, so that importing one module (msa.figures.export, to start the image
# server while a model is read) does not import plotly and the layout first.
_WHERE = {
    "sankey": "diagram",
    "FORMATS": "export",
    "write_figure": "export",
    "JRC_STAGES": "links",
    "links_from_system": "links",
    "nodes_from_links": "links",
    "comparison": "plots",
    "time_series": "plots",
    "sankey_series": "series",
    "series_scale": "series",
}


def __getattr__(name: str) -> Any:
    """Import the public name ``name`` from its module on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'msa.figures' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"msa.figures.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "FORMATS",
    "JRC_STAGES",
    "comparison",
    "links_from_system",
    "nodes_from_links",
    "sankey",
    "sankey_series",
    "series_scale",
    "time_series",
    "write_figure",
]
