"""What a model run produces for one scenario, before it is written to an output folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from msa.system.core import System

__all__ = ["ModelResult"]


@dataclass(frozen=True)
class ModelResult:
    """Everything a model run produces for one scenario.

    Parameters
    ----------
    system : System
        The balanced system (saved as NetCDF).
    tables : mapping of str to DataFrame
        Result tables, written as ``tables/<name>.csv``.
    indicators : DataFrame
        Target results from :func:`msa.evaluate_targets`.
    headline : DataFrame
        Key numbers, index = label, one column ``value`` (and ``units``); compared across
        scenarios by :func:`compare_runs`.
    quality : DataFrame
        Data-quality summary from :func:`msa.grade_summary`.
    figures : mapping of str to figure
        plotly or matplotlib figures, by file stem: msa's Sankeys and plots
        (:mod:`msa.figures.plots`, written at their print preset's PNG density,
        :func:`msa.figures.plots.png_scale`) and a model's own figures.
    report_figures : sequence of str
        Figure stems whose PNG is shown in the report.
    notes : sequence of str
        Paragraphs for the report (definitions, caveats).
    uncertainty : DataFrame, optional
        A Monte Carlo run's ranges (:attr:`msa.model.montecarlo.MonteCarlo.table`), written
        as ``uncertainty.csv``.
    sections : mapping of str to (str, DataFrame)
        Further report sections by heading: a paragraph and a table (e.g. the environmental
        effects of ``[outputs.effects]``), shown after the headline numbers.
    """

    system: System
    tables: Mapping[str, pd.DataFrame]
    indicators: pd.DataFrame
    headline: pd.DataFrame
    quality: pd.DataFrame
    figures: Mapping[str, Any] = field(default_factory=dict)
    report_figures: Sequence[str] = ()
    notes: Sequence[str] = ()
    uncertainty: pd.DataFrame | None = None
    sections: Mapping[str, tuple[str, pd.DataFrame]] = field(default_factory=dict)
