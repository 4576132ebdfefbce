"""Environmental effects of material flows: factor tables and the cradle-to-gate calculation.

* :mod:`~msa.effects.factors` -- :func:`read_factors` (a tidy CSV of factors per material, form,
  route and indicator, checked with one error line per fault), :func:`load_factors` and
  :func:`factor_sources` (the shipped, sourced defaults for EV and PV materials);
* :mod:`~msa.effects.select` -- :func:`choose_factor`: one factor per material, chosen
  explicitly (``select``) or by the row marked ``default``, never averaged; gaps reported;
* :mod:`~msa.effects.calculate` -- :func:`effects` (factors times the flows of primary material
  a caller names, converted with pint, with grades and source ids) and
  :func:`links_with_effect` (the effect on a Sankey links table, for ``color_by="effect"``).

docs/effects.md explains what a factor means, the defaults and their sources, and the gaps.
This package imports nothing from the rest of msa but :mod:`msa.system` and :mod:`msa.errors`.
"""

from msa.effects.calculate import effects, links_with_effect
from msa.effects.factors import (
    FACTOR_COLUMNS,
    FACTOR_KEY,
    FactorUnit,
    factor_sources,
    load_factors,
    parse_factor_unit,
    read_factors,
)
from msa.effects.select import Choice, Missing, choose_factor

__all__ = [
    "FACTOR_COLUMNS",
    "FACTOR_KEY",
    "Choice",
    "FactorUnit",
    "Missing",
    "choose_factor",
    "effects",
    "factor_sources",
    "links_with_effect",
    "load_factors",
    "parse_factor_unit",
    "read_factors",
]
