"""Uncertainty of inputs: from grades and declared uncertainties to distributions and draws.

* :mod:`~msa.uncertainty.grades` -- the bundled grade table: a JRC MSA grade (A-D) or CLO grade
  (A-F) gives a default distribution and log-sd (pedigree approach; the scores of a grade are
  msa's assumption, src/msa/data/grade_uncertainty.csv);
* :mod:`~msa.uncertainty.distributions` -- :func:`resolve_uncertainty` (a parameter's value,
  grade, bounds and ``uncertainty = {...}`` to a frozen :class:`Uncertainty` that draws),
  :func:`draw_split` (shares that still add to 1) and :func:`table_factor` (one perturbation per
  sample shared by the rows of a table);
* :mod:`~msa.uncertainty.streams` -- :func:`spawn_streams` (one reproducible stream per named
  input) and :func:`sample_uniforms` (the numbers every draw starts from, so chunks of samples
  equal one draw).

Samples are on the first axis. This package imports nothing from the rest of msa but
:mod:`msa.system`, :mod:`msa.messages` and :mod:`msa.errors`. docs/uncertainty.md has the rules.
"""

from msa.uncertainty.distributions import (
    SHARE_SUM_TOLERANCE,
    UNCERTAINTY_DISTRIBUTIONS,
    Uncertainty,
    UncertaintySpec,
    draw_competing_shares,
    draw_split,
    parse_spec,
    resolve_uncertainty,
    table_factor,
)
from msa.uncertainty.grades import GRADE_TABLE, grade_log_sd, grade_table
from msa.uncertainty.streams import sample_uniforms, spawn_streams, stream_key

__all__ = [
    "GRADE_TABLE",
    "SHARE_SUM_TOLERANCE",
    "UNCERTAINTY_DISTRIBUTIONS",
    "Uncertainty",
    "UncertaintySpec",
    "draw_competing_shares",
    "draw_split",
    "grade_log_sd",
    "grade_table",
    "parse_spec",
    "resolve_uncertainty",
    "sample_uniforms",
    "spawn_streams",
    "stream_key",
    "table_factor",
]
