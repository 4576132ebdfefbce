"""Data reconciliation: weighted least squares with linear and bilinear equations (STAN's method).

* :func:`reconcile` -- a table of quantities (value, sd; empty value = unknown, sd 0 =
  constant) and equations in, a :class:`Reconciliation` out: reconciled values and sds, the
  classification (measured redundant / non-redundant, unknown observable / unobservable,
  constant), the global chi-square test, normalised adjustments ``z`` and equivalence sets;
* :class:`Problem` -- the equations compiled once; :meth:`Problem.solve` reconciles K periods
  of the same structure at once (a :class:`BatchReconciliation`);
* :func:`quote` and :func:`parse_equation` -- the equation grammar (names in backticks);
* :func:`reconcile_system` -- a :class:`msa.System`'s balances, every year at once, with sds
  from the data-quality grades: a balanced System, the sds, adjustments and tests per year
  (:class:`SystemReconciliation`).

The method is Cencic (2016), doi:10.1016/j.serj.2016.06.002; docs/reconciliation.md has the
formulas, the tests and the limits. The solver imports nothing from msa but :mod:`msa.errors`,
:mod:`msa.messages` and :mod:`msa.system.blas` (BLAS on one thread);
:mod:`msa.reconciliation.system` adds :mod:`msa.system` and the grade table of
:mod:`msa.uncertainty` (the layer above them).
"""

from msa.reconciliation.equations import Equations, parse_equation, quote
from msa.reconciliation.result import CLASSIFICATIONS, BatchReconciliation, Reconciliation
from msa.reconciliation.solve import Problem, reconcile
from msa.reconciliation.system import SystemReconciliation, reconcile_system

__all__ = [
    "CLASSIFICATIONS",
    "BatchReconciliation",
    "Equations",
    "Problem",
    "Reconciliation",
    "SystemReconciliation",
    "parse_equation",
    "quote",
    "reconcile",
    "reconcile_system",
]
