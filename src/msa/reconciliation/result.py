"""What a reconciliation returns: a :class:`Reconciliation` or a :class:`BatchReconciliation`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

__all__ = ["CLASSIFICATIONS", "BatchReconciliation", "Reconciliation"]

CLASSIFICATIONS = (
    "measured redundant",
    "measured non-redundant",
    "unknown observable",
    "unknown unobservable",
    "constant",
)
"""The classification of a quantity, as in STAN (Cencic 2016): column ``classification``."""


@dataclass(frozen=True)
class Reconciliation:
    """The reconciled values of one period, their uncertainty, classification and tests.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by quantity name, in input order. Columns: ``value`` and ``sd`` (reconciled;
        NaN for unobservable unknowns), ``classification`` (one of :data:`CLASSIFICATIONS`),
        ``measured`` and ``measured_sd`` (the input), ``adjustment`` (``value - measured``),
        ``z`` (normalised adjustment), ``flagged`` (``|z| > z_{1-alpha/2}``) and ``bound``
        (``"lower"``/``"upper"`` where a bound is active, else ``""``).
    chi2 : float
        ``(x~ - x^)^T Q^{-1} (x~ - x^)``, the weighted sum of squared adjustments.
    dof : int
        Degrees of freedom: the number of independent redundancy equations.
    chi2_critical : float
        The ``1 - alpha`` quantile of the chi-square distribution with ``dof`` degrees of freedom.
    passed : bool
        ``chi2 <= chi2_critical``: no gross error is suspected.
    z : pandas.Series
        Over the measured quantities: ``(x~_i - x^_i) / sqrt(Q_ii - Q^_ii)``; NaN for
        non-redundant measurements (the denominator is zero).
    iterations : int
        Linearisation steps taken (1 for a linear problem).
    bounded : bool
        True if a bound is active; the ``sd`` are then Gaussian approximations.
    notes : tuple of str
        Everything worth telling the user (unobservable unknowns, dropped dependent equations,
        active bounds, negative values).
    equivalent : tuple of tuple of str
        Sets of redundant measurements whose adjustments are perfectly correlated: their ``z``
        are equal in size and the measurement test cannot tell them apart.
    alpha : float
        Significance level of the tests.
    """

    table: pd.DataFrame
    chi2: float
    dof: int
    chi2_critical: float
    passed: bool
    z: pd.Series
    iterations: int
    bounded: bool
    notes: tuple[str, ...]
    equivalent: tuple[tuple[str, ...], ...]
    alpha: float
    _covariance: Callable[[], pd.DataFrame] = field(repr=False, compare=False)

    @cached_property
    def covariance(self) -> pd.DataFrame:
        """Covariance of the results (measured and observable unknowns), computed on first use.

        Dense: a problem with ``n`` such quantities takes ``8 n^2`` bytes.
        """
        return self._covariance()

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes (an alias)."""
        return self.notes

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"<Reconciliation: {len(self.table)} quantities, chi2 = {self.chi2:.4g} on "
            f"{self.dof} dof (critical {self.chi2_critical:.4g}, {verdict}), "
            f"{self.iterations} iteration(s){', bounded' if self.bounded else ''}>"
        )


@dataclass(frozen=True)
class BatchReconciliation:
    """Reconciled values of K periods with the same quantities and equations.

    Arrays are (K, n) over periods and quantities (``names`` order) or (K,) per period.

    Attributes
    ----------
    names : tuple of str
    values, sd, z : numpy.ndarray
        (K, n) reconciled values and standard deviations (NaN where unobservable) and normalised
        adjustments (NaN where not measured-redundant).
    classification : numpy.ndarray
        (K, n) of str, one of :data:`CLASSIFICATIONS`.
    bound : numpy.ndarray
        (K, n) of str: ``"lower"``, ``"upper"`` or ``""``.
    chi2, chi2_critical : numpy.ndarray
        (K,) float.
    dof, iterations : numpy.ndarray
        (K,) int.
    passed, bounded : numpy.ndarray
        (K,) bool.
    notes : tuple of tuple of str
        Per period.
    """

    names: tuple[str, ...]
    values: np.ndarray
    sd: np.ndarray
    z: np.ndarray
    classification: np.ndarray
    bound: np.ndarray
    chi2: np.ndarray
    dof: np.ndarray
    chi2_critical: np.ndarray
    passed: np.ndarray
    iterations: np.ndarray
    bounded: np.ndarray
    notes: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.chi2)
