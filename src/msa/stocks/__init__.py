"""Products in use by cohort: lifetime distributions, the survival matrix and stock models.

* :mod:`~msa.stocks.lifetimes` -- frozen lifetime distributions (survival by age), with factors
  by cohort and by year;
* :mod:`~msa.stocks.survival` -- the discrete survival matrix ``sf[t, c]`` and the quadrature
  of inflow over the year;
* :mod:`~msa.stocks.engine` -- :func:`inflow_driven`, :func:`stock_driven` and :func:`chain`,
  vectorised over every other dim;
* :mod:`~msa.stocks.database` -- :func:`lifetime_database` and :func:`lifetime_from_database`:
  published product lifetimes with their sources, one row per source.

This package imports nothing from the rest of msa but :mod:`msa.errors` and
:mod:`msa.messages`.
"""

from msa.stocks.database import lifetime_database, lifetime_from_database, lifetime_sources
from msa.stocks.engine import chain, inflow_driven, stock_driven
from msa.stocks.lifetimes import (
    EmpiricalLifetime,
    ExponentialLifetime,
    FixedLifetime,
    FoldedNormalLifetime,
    GammaLifetime,
    Lifetime,
    LogNormalLifetime,
    NormalLifetime,
    TruncatedNormalLifetime,
    WeibullLifetime,
)
from msa.stocks.survival import quadrature, survival_matrix

__all__ = [
    "EmpiricalLifetime",
    "ExponentialLifetime",
    "FixedLifetime",
    "FoldedNormalLifetime",
    "GammaLifetime",
    "Lifetime",
    "LogNormalLifetime",
    "NormalLifetime",
    "TruncatedNormalLifetime",
    "WeibullLifetime",
    "chain",
    "inflow_driven",
    "lifetime_database",
    "lifetime_from_database",
    "lifetime_sources",
    "quadrature",
    "stock_driven",
    "survival_matrix",
]
