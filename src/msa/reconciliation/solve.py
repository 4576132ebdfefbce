"""Weighted least-squares reconciliation with linear and bilinear equations (Cencic 2016, STAN).

:func:`reconcile` takes a table of quantities and equations and returns a
:class:`~msa.reconciliation.result.Reconciliation`; :class:`Problem` compiles the equations once and
solves many periods of the same structure (:meth:`Problem.solve`), which is what a time series
of MFA systems needs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError, MassBalanceError, MsaError, MsaWarning
from msa.messages import plain
from msa.reconciliation import _linalg
from msa.reconciliation.equations import Equations
from msa.reconciliation.result import BatchReconciliation, Reconciliation
from msa.system.blas import blas_threads

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["Problem", "reconcile"]

MEASURED, UNKNOWN, CONSTANT = 0, 1, 2

CONTRADICTION_RTOL = 1e-9
"""An equation (or a combination left after eliminating unknowns) among constants only holds
if its residual is within this times the sum of its terms' absolute values."""

CHECK_RTOL = 1e-8
"""After the solve every equation must hold within this relative to its terms."""

BOUND_ITERATIONS = 50
"""At most this many active-set changes of the bounded solve."""

Bounds = str | Mapping[str, tuple[float, float]] | None


def reconcile(
    quantities: pd.DataFrame,
    equations: Sequence[str],
    *,
    bounds: Bounds = None,
    covariance: pd.DataFrame | None = None,
    start: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> Reconciliation:
    r"""Reconcile measured quantities with model equations by weighted least squares.

    Minimises ``(x~ - x)^T Q^{-1} (x~ - x)`` over the measured quantities ``x`` and the unknowns
    ``y`` subject to ``f(x, y, z) = 0``, and propagates the uncertainty to every result.

    Parameters
    ----------
    quantities : pandas.DataFrame
        One row per quantity. Columns ``name`` and ``value``; ``sd`` (standard deviation);
        optional ``lower`` and ``upper`` (bounds). A missing ``value`` is an unknown to compute
        (leave its ``sd`` empty); ``sd`` 0 or missing with a value makes a constant, never
        adjusted.
    equations : sequence of str
        Each means "= 0" (``"F1 + F2 - F3"``) or has one ``=`` (``"F4 = TC34 * F3"``): linear or
        bilinear in the quantities, see :mod:`msa.reconciliation.equations` (names that are not
        identifiers go in backticks, :func:`msa.reconciliation.quote`).
    bounds : {None, "nonnegative"} or mapping, optional
        ``"nonnegative"``: every measured and unknown quantity ``>= 0``; a mapping
        ``name -> (lower, upper)`` (NaN or inf for none). Combined with the ``lower``/``upper``
        columns (the tighter wins). None (default): only the columns.
    covariance : pandas.DataFrame, optional
        Covariances of measured quantities, indexed and columned by (some of) their names; it
        replaces ``sd**2`` on its block. Bounds are not supported with it.
    start : mapping, optional
        Start values of unknowns for bilinear problems (default 1.0).
    alpha : float
        Significance level of the global chi-square test and of the measurement test.
    tol : float
        Convergence of bilinear problems: stop when no value moves by more than ``tol`` times
        the largest absolute value.
    max_iter : int
        At most this many linearisations.

    Returns
    -------
    Reconciliation
        Table of values, sds, classification and tests; see its docstring.

    Raises
    ------
    DataError
        Bad input: unknown name in an equation, unparsable or non-bilinear equation, negative
        sd, an sd without a value, duplicate names, a covariance that is not positive definite.
    MassBalanceError
        Equations among constants only that do not hold (names the equations and the gap).
    MsaError
        A bilinear problem that does not converge in ``max_iter`` (names the quantities still
        moving).

    Warns
    -----
    MsaWarning
        Naming the unknowns that cannot be computed (unobservable); they get NaN.

    Notes
    -----
    Linearised at the current estimate, ``J_y dy + J_x dx + f = 0``. The unknowns are
    eliminated with the left null space ``N`` of ``J_y`` (QR with column pivoting per connected
    component), giving the redundancy equations ``A (x - x^) + a = 0`` with ``A = N^T J_x``,
    ``a = N^T f``. Then (Cencic 2016, eqs. for step 5-8)

    .. math::

        \hat x^+ = \tilde x - Q A^T (A Q A^T)^{-1} (A(\tilde x - \hat x) + a),\quad
        Q_{\hat x} = Q - Q A^T (A Q A^T)^{-1} A Q,\quad
        \hat y = \hat y - S (f + J_x (\hat x^+ - \hat x)),\ Q_{\hat y} = G Q_{\hat x} G^T

    with ``G = -S J_x``. A linear problem is solved in one step; a bilinear one is iterated
    until converged. ``chi2 = (x~ - x^)^T Q^{-1} (x~ - x^)`` is tested against the
    chi-square quantile with ``dof = rank(A)``; ``z_i = (x~_i - x^_i) / sqrt(Q_ii - Q^_ii)``.

    With bounds, a primal active-set method fixes violated quantities at their bound (as
    constants), re-solves, and releases a bound whose Lagrange multiplier has the wrong sign,
    until the KKT conditions of the bounded problem hold (docs/reconciliation.md).

    References
    ----------
    Cencic, O. (2016). Nonlinear data reconciliation in material flow analysis with software
    STAN. Sustainable Environment Research 26(6), 291-298, doi:10.1016/j.serj.2016.06.002.

    Examples
    --------
    >>> import pandas as pd
    >>> q = pd.DataFrame({"name": ["inflow", "outflow"], "value": [100.0, 90.0], "sd": [5.0, 5.0]})
    >>> r = reconcile(q, ["inflow - outflow"])
    >>> r.table["value"].round(6).tolist()
    [95.0, 95.0]
    >>> round(r.chi2, 6), r.dof, r.passed
    (2.0, 1, True)
    """
    names, values, sds, lower, upper = _read_quantities(quantities)
    problem = Problem(names, equations, alpha=alpha, tol=tol, max_iter=max_iter)
    lower, upper = _merge_bounds(names, lower, upper, bounds)
    Q = _covariance_matrix(names, values, sds, covariance)
    if Q is not None and (np.isfinite(lower).any() or np.isfinite(upper).any()):
        raise ConfigError("bounds cannot be combined with a full covariance yet; drop one")
    with blas_threads(1):  # small dense blocks: threads cost more than they gain
        period = problem._solve_period(values, sds, lower, upper, Q=Q, start=start)
    _warn_unobservable(period, names)
    return period.to_reconciliation(names, alpha)


class Problem:
    """Equations compiled once over named quantities; reconciles one or many periods.

    Parameters
    ----------
    names : sequence of str
        The quantities, in the column order of the arrays passed to :meth:`solve`.
    equations : sequence of str
        As for :func:`reconcile`.
    alpha, tol, max_iter
        As for :func:`reconcile`.

    Examples
    --------
    >>> import numpy as np
    >>> p = Problem(["inflow", "outflow", "loss"], ["inflow - outflow - loss"])
    >>> values = np.array([[100.0, 90.0, np.nan], [100.0, 80.0, 15.0]])
    >>> sds = np.array([[5.0, 5.0, np.nan], [5.0, 5.0, 5.0]])
    >>> batch = p.solve(values, sds)
    >>> batch.values.round(3).tolist()
    [[100.0, 90.0, 10.0], [98.333, 81.667, 16.667]]
    >>> batch.dof.tolist()
    [0, 1]
    """

    def __init__(
        self,
        names: Sequence[str],
        equations: Sequence[str],
        *,
        alpha: float = 0.05,
        tol: float = 1e-10,
        max_iter: int = 100,
    ) -> None:
        names = tuple(str(n) for n in names)
        _check_unique(names)
        if not 0 < alpha < 1:
            raise ConfigError(f"alpha must be in (0, 1) (got {alpha!r})")
        if max_iter < 1 or not tol > 0:
            raise ConfigError(f"max_iter must be >= 1 and tol > 0 (got {max_iter!r}, {tol!r})")
        self.names = names
        self.equations = Equations.compile(equations, names)
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    def solve(
        self,
        values: np.ndarray,
        sds: np.ndarray,
        *,
        lower: np.ndarray | None = None,
        upper: np.ndarray | None = None,
        start: Mapping[str, float] | None = None,
    ) -> BatchReconciliation:
        """Reconcile K periods at once; arrays are (K, n) in ``names`` order.

        NaN ``values`` are unknowns; ``sds`` of 0 or NaN (with a value) are constants. Periods
        are grouped by their pattern of unknowns and constants: a group whose equations are
        linear given its constants shares one elimination of the unknowns and one choice of
        independent redundancy equations; each period then costs one small Cholesky
        factorisation of ``A Q_k A^T``. Bilinear periods are iterated one by one.

        Parameters
        ----------
        values, sds : numpy.ndarray
            (K, n) or (n,).
        lower, upper : numpy.ndarray, optional
            Bounds, (K, n) or (n,); NaN or inf for none.
        start : mapping, optional
            Start values of unknowns in bilinear problems.

        Returns
        -------
        BatchReconciliation

        Warns
        -----
        MsaWarning
            Naming unobservable unknowns (once, with the periods).
        """
        values = np.atleast_2d(np.asarray(values, float))
        sds = np.atleast_2d(np.asarray(sds, float))
        n = len(self.names)
        if values.shape != sds.shape or values.shape[1] != n:
            raise DataError(
                f"values and sds must both be (K, {n}) (got {values.shape} and {sds.shape})"
            )
        k_periods = values.shape[0]
        lower_a = np.broadcast_to(-np.inf if lower is None else lower, values.shape)
        upper_a = np.broadcast_to(np.inf if upper is None else upper, values.shape)
        for k in range(k_periods):
            _check_values(self.names, values[k], sds[k], f" (period {k})")
        cache: dict[bytes, _Structure] = {}
        with blas_threads(1):  # small dense blocks: threads cost more than they gain
            periods = [
                self._solve_period(
                    values[k], sds[k], lower_a[k], upper_a[k], Q=None, start=start, cache=cache
                )
                for k in range(k_periods)
            ]
        unobservable = {
            self.names[i]
            for p in periods
            for i in np.flatnonzero(p.kind_class == "unknown unobservable")
        }
        if unobservable:
            warnings.warn(
                f"unknowns cannot be computed (unobservable), left NaN: {sorted(unobservable)}",
                MsaWarning,
                stacklevel=2,
            )
        return _stack(self.names, periods, self.alpha)

    # -- one period -------------------------------------------------------------------------

    def _solve_period(
        self,
        values: np.ndarray,
        sds: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        *,
        Q: np.ndarray | None,
        start: Mapping[str, float] | None,
        cache: dict[bytes, _Structure] | None = None,
    ) -> _Period:
        period = self._solve_unbounded(values, sds, Q=Q, start=start, cache=cache)
        lo = np.where(np.isnan(lower), -np.inf, lower)
        hi = np.where(np.isnan(upper), np.inf, upper)
        if _violations(period, lo, hi).any():
            from msa.reconciliation._bounds import solve_bounded

            period = solve_bounded(
                lambda v, s: self._solve_unbounded(v, s, Q=None, start=start, cache=None),
                period,
                values,
                sds,
                lo,
                hi,
            )
        elif np.isfinite(lo).any() or np.isfinite(hi).any():
            period.notes.append("every bound holds: the unbounded solution is the answer")
        return period

    def _solve_unbounded(
        self,
        values: np.ndarray,
        sds: np.ndarray,
        *,
        Q: np.ndarray | None,
        start: Mapping[str, float] | None,
        cache: dict[bytes, _Structure] | None,
    ) -> _Period:
        eqs = self.equations
        kind = np.where(
            np.isnan(values), UNKNOWN, np.where(np.isnan(sds) | (sds == 0), CONSTANT, MEASURED)
        )
        x_idx = np.flatnonzero(kind == MEASURED)
        y_idx = np.flatnonzero(kind == UNKNOWN)
        if Q is None:
            Q = sds[x_idx] ** 2
        linear = eqs.is_linear_given(kind == CONSTANT)
        v = np.where(kind == UNKNOWN, 1.0, values)
        for name, s in (start or {}).items():
            if name in eqs.names:
                v[eqs.names.index(name)] = float(s)
        key = None
        if linear and cache is not None:
            bil = eqs.bilinear
            consts = values[np.unique(bil[:, 1:])] if len(bil) else np.zeros(0)
            key = kind.astype(np.int8).tobytes() + np.nan_to_num(consts).tobytes()
        x_meas = values[x_idx]
        scale = max(float(np.max(np.abs(np.nan_to_num(values)), initial=0.0)), 1e-300)
        structure = cache.get(key) if key is not None and cache is not None else None
        iterations = 0
        for iterations in range(1, self.max_iter + 1):  # noqa: B007 - used after the loop
            if structure is None or not linear:
                structure = _Structure.build(eqs, v, x_idx, y_idx, Q)
                if key is not None and cache is not None:
                    cache[key] = structure
            step = structure.step(eqs, v, x_idx, y_idx, x_meas, Q)
            moved = np.abs(step.v_new - v)
            moved[y_idx[~structure.observable]] = 0.0
            v = step.v_new
            scale = max(scale, float(np.max(np.abs(v[np.isfinite(v)]), initial=0.0)))
            if linear or np.max(moved) <= self.tol * scale:
                break
        else:
            worst = np.argsort(moved)[::-1][:5]
            still = ", ".join(
                f"{eqs.names[i]!r} (by {plain(moved[i]):.3g})" for i in worst if moved[i] > 0
            )
            raise MsaError(
                f"the bilinear reconciliation did not converge in {self.max_iter} iterations "
                f"(tol {self.tol:g}); still moving: {still}. Raise max_iter, give start values "
                "for the unknowns, or check the data"
            )
        return _finish(eqs, structure, step, kind, values, sds, x_idx, y_idx, Q, iterations)


@dataclass
class _Structure:
    """Elimination and redundancy equations at one linearisation point."""

    J: sp.csr_array
    elim: _linalg.Elimination
    A: sp.csr_array
    P: sp.csr_array
    keep: np.ndarray
    notes: list[str]

    @property
    def observable(self) -> np.ndarray:
        return self.elim.observable

    @classmethod
    def build(
        cls, eqs: Equations, v: np.ndarray, x_idx: np.ndarray, y_idx: np.ndarray, Q: np.ndarray
    ) -> _Structure:
        import scipy.sparse as sp

        J = eqs.jacobian(v)
        elim = _linalg.eliminate(J[:, y_idx])
        Jx = sp.csr_array(J[:, x_idx])
        P = elim.P
        A = sp.csr_array(P @ Jx)
        size = np.asarray(abs(P) @ _row_max(Jx)).ravel()
        nonzero = _row_max(A) > _linalg.ZERO_ROW_RTOL * np.maximum(size, 1e-300)
        f0 = eqs.residual(v)
        scale = np.asarray(abs(P[~nonzero]) @ eqs.term_scale(v)).ravel()
        _check_constant_rows(eqs, P[~nonzero], (P @ f0)[~nonzero], scale)
        P = sp.csr_array(P[nonzero])
        A = sp.csr_array(A[nonzero])
        keep = _linalg.independent_rows(A, Q)
        notes = []
        if len(keep) < A.shape[0]:
            notes.append(
                f"{A.shape[0] - len(keep)} redundancy equation(s) depend on the others and "
                "were dropped (an equation repeats or is implied by others)"
            )
        return cls(J=J, elim=elim, A=A, P=P, keep=keep, notes=notes)

    def step(
        self,
        eqs: Equations,
        v: np.ndarray,
        x_idx: np.ndarray,
        y_idx: np.ndarray,
        x_meas: np.ndarray,
        Q: np.ndarray,
    ) -> _Step:
        f0 = eqs.residual(v)
        x_hat = v[x_idx]
        x_new, fac = _linalg.wls(self.A, self.P @ f0, x_meas, x_hat, Q, self.keep)
        Jx = self.J[:, x_idx]
        dy = -(self.elim.S @ (f0 + Jx @ (x_new - x_hat)))
        v_new = v.copy()
        v_new[x_idx] = x_new
        v_new[y_idx] = v[y_idx] + dy
        return _Step(v_new=v_new, factors=fac)


def _row_max(X: sp.csr_array) -> np.ndarray:
    if X.shape[1] == 0:
        return np.zeros(X.shape[0])
    return np.asarray(abs(X).max(axis=1, explicit=True).toarray()).ravel()


@dataclass
class _Step:
    v_new: np.ndarray
    factors: _linalg.WlsFactors


@dataclass
class _Period:
    """Everything one period's solve returns, before it becomes a table."""

    values: np.ndarray
    sd: np.ndarray
    measured: np.ndarray
    measured_sd: np.ndarray
    kind_class: np.ndarray
    z: np.ndarray
    chi2: float
    dof: int
    iterations: int
    equivalent: list[tuple[int, ...]]
    notes: list[str]
    multipliers: np.ndarray
    jacobian: sp.csr_array
    covariance: Callable[[], tuple[np.ndarray, np.ndarray]]
    bound: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def to_reconciliation(self, names: tuple[str, ...], alpha: float) -> Reconciliation:
        """Return the public result."""
        from scipy.special import chdtri, ndtri

        z_crit = float(ndtri(1 - alpha / 2))
        crit = float(chdtri(self.dof, alpha)) if self.dof else 0.0
        bound = self.bound if len(self.bound) else np.full(len(names), "", dtype=object)
        table = pd.DataFrame(
            {
                "value": self.values,
                "sd": self.sd,
                "classification": self.kind_class,
                "measured": self.measured,
                "measured_sd": self.measured_sd,
                "adjustment": self.values - self.measured,
                "z": self.z,
                "flagged": np.abs(np.nan_to_num(self.z)) > z_crit,
                "bound": bound,
            },
            index=pd.Index(names, name="name"),
        )
        measured_mask = np.isin(self.kind_class, ["measured redundant", "measured non-redundant"])
        z = pd.Series(self.z[measured_mask], index=table.index[measured_mask], name="z")
        equivalent = tuple(tuple(names[i] for i in group) for group in self.equivalent)

        def covariance() -> pd.DataFrame:
            idx, cov = self.covariance()
            labels = [names[i] for i in idx]
            return pd.DataFrame(cov, index=labels, columns=labels)

        return Reconciliation(
            table=table,
            chi2=float(self.chi2),
            dof=int(self.dof),
            chi2_critical=crit,
            passed=bool(self.chi2 <= crit * (1 + 1e-12) + 1e-12),
            z=z,
            iterations=int(self.iterations),
            bounded=bool(np.any(bound != "")),
            notes=tuple(self.notes),
            equivalent=equivalent,
            alpha=alpha,
            _covariance=covariance,
        )


def _finish(
    eqs: Equations,
    structure: _Structure,
    step: _Step,
    kind: np.ndarray,
    values: np.ndarray,
    sds: np.ndarray,
    x_idx: np.ndarray,
    y_idx: np.ndarray,
    Q: np.ndarray,
    iterations: int,
) -> _Period:
    """Propagate the uncertainty at the solution, classify, test."""
    import scipy.sparse as sp

    n = len(values)
    fac = step.factors
    v = step.v_new.copy()
    obs = structure.observable
    v[y_idx[~obs]] = np.nan
    _check_solution(eqs, v)
    m_inv = fac.m_inverse()
    q_diag = Q if Q.ndim == 1 else np.diag(Q)
    adj_var = _linalg.quad_diag(fac.QAt, m_inv)
    Jx = sp.csr_array(structure.J[:, x_idx])
    G = sp.csr_array(structure.elim.S @ Jx)  # y^ = const - G x^ (the sign cancels in variances)
    if Q.ndim == 1:
        gqg = np.asarray((G.multiply(G)) @ Q).ravel()
    else:
        gd = G.toarray()
        gqg = np.einsum("ij,jk,ik->i", gd, Q, gd)
    H = G @ fac.QAt
    y_var = gqg - _linalg.quad_diag(H, m_inv)
    sd = np.where(kind == CONSTANT, 0.0, np.nan)
    sd[x_idx] = np.sqrt(np.clip(q_diag - adj_var, 0.0, None))
    sd[y_idx] = np.where(obs, np.sqrt(np.clip(y_var, 0.0, None)), np.nan)
    redundant = adj_var > 1e-10 * q_diag
    kind_class = np.empty(n, dtype=object)
    kind_class[kind == CONSTANT] = "constant"
    kind_class[x_idx] = np.where(redundant, "measured redundant", "measured non-redundant")
    kind_class[y_idx] = np.where(obs, "unknown observable", "unknown unobservable")
    adj = values[x_idx] - v[x_idx]
    z = np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        z[x_idx] = np.where(redundant, adj / np.sqrt(adj_var), np.nan)
    chi2 = float(adj @ (adj / Q if Q.ndim == 1 else np.linalg.solve(Q, adj)))
    notes = list(structure.notes)
    notes += _negative_notes(eqs.names, v, kind)
    lam_full = np.asarray(structure.P[fac.red_rows].T @ fac.lam).ravel()

    def covariance() -> tuple[np.ndarray, np.ndarray]:
        qat = fac.QAt.toarray() if isinstance(fac.QAt, sp.sparray) else np.asarray(fac.QAt)
        cx = (np.diag(Q) if Q.ndim == 1 else Q) - qat @ m_inv @ qat.T
        gd = -G.toarray()[obs]
        cyx = gd @ cx
        top = np.hstack([cx, cyx.T])
        bottom = np.hstack([cyx, cyx @ gd.T])
        return np.concatenate([x_idx, y_idx[obs]]), np.vstack([top, bottom])

    return _Period(
        values=v,
        sd=sd,
        measured=np.where(kind == UNKNOWN, np.nan, values),
        measured_sd=np.where(kind == MEASURED, sds, np.where(kind == CONSTANT, 0.0, np.nan)),
        kind_class=kind_class,
        z=z,
        chi2=chi2,
        dof=len(fac.red_rows),
        iterations=iterations,
        equivalent=_equivalence_sets(fac.QAt, x_idx, redundant),
        notes=notes,
        multipliers=lam_full,
        jacobian=structure.J,
        covariance=covariance,
    )


def _equivalence_sets(
    qat: sp.csr_array | np.ndarray, x_idx: np.ndarray, redundant: np.ndarray
) -> list[tuple[int, ...]]:
    """Group redundant measurements whose rows of Q A^T are parallel (|correlation| = 1)."""
    import scipy.sparse as sp

    rows = sp.csr_array(qat) if not sp.issparse(qat) else sp.csr_array(qat)
    groups: dict[tuple[object, ...], list[int]] = {}
    for i in np.flatnonzero(redundant):
        start, stop = rows.indptr[i], rows.indptr[i + 1]
        cols, vals = rows.indices[start:stop], rows.data[start:stop]
        big = np.abs(vals) > 1e-12 * np.max(np.abs(vals))
        cols, vals = cols[big], vals[big]
        order = np.argsort(cols)
        cols, vals = cols[order], vals[order]
        vals = vals / vals[0] if len(vals) else vals
        key = (tuple(cols.tolist()), tuple(np.round(vals, 9).tolist()))
        groups.setdefault(key, []).append(int(x_idx[i]))
    return [tuple(g) for g in groups.values() if len(g) > 1]


def _check_constant_rows(
    eqs: Equations, P0: sp.csr_array, residual: np.ndarray, scale: np.ndarray
) -> None:
    """Raise if a redundancy row without measured quantities does not hold."""
    import scipy.sparse as sp

    bad = np.flatnonzero(np.abs(residual) > CONTRADICTION_RTOL * np.maximum(scale, 1e-300))
    if not len(bad):
        return
    r = bad[np.argmax(np.abs(residual[bad]) / np.maximum(scale[bad], 1e-300))]
    row = sp.csr_array(P0[[r]])
    used = row.indices[np.abs(row.data) > 1e-12 * np.max(np.abs(row.data))]
    named = ", ".join(f"{i + 1} {eqs.texts[i]!r}" for i in sorted(used))
    off = abs(float(residual[r]))
    if len(used) == 1:
        msg = f"equation {named} holds only constants and is off by {off:.6g}"
    else:
        off = abs(off / float(row.data[np.argmax(np.abs(row.data))]))
        msg = (
            f"equations {named} contradict each other: with the unknowns eliminated only "
            f"constants are left and they are off by {off:.6g}"
        )
    raise MassBalanceError(msg + "; correct a constant or give it an sd")


def _check_solution(eqs: Equations, v: np.ndarray) -> None:
    """Raise if an equation with every quantity determined does not hold at the solution."""
    res = eqs.residual(np.nan_to_num(v))
    known = np.isfinite(v)
    touched = np.asarray(abs(eqs.linear) @ (~known).astype(float)).ravel() > 0
    if len(eqs.bilinear_coef):
        r, i, j = eqs.bilinear.T
        touched |= np.bincount(r, weights=(~known[i] | ~known[j]), minlength=len(res)) > 0
    scale = eqs.term_scale(v)
    bad = np.flatnonzero(~touched & (np.abs(res) > CHECK_RTOL * np.maximum(scale, 1e-300)))
    if len(bad):
        r0 = bad[np.argmax(np.abs(res[bad]) / np.maximum(scale[bad], 1e-300))]
        raise MassBalanceError(
            f"equation {r0 + 1} {eqs.texts[r0]!r} cannot hold: it contradicts the other "
            f"equations among constants (off by {abs(res[r0]):.6g} after reconciliation); "
            "correct a constant or give it an sd"
        )


def _negative_notes(names: tuple[str, ...], v: np.ndarray, kind: np.ndarray) -> list[str]:
    neg = np.flatnonzero((kind != CONSTANT) & (v < 0))
    if not len(neg):
        return []
    listed = ", ".join(f"{names[i]!r} = {v[i]:.6g}" for i in neg[:10])
    return [f"negative results: {listed}; pass bounds='nonnegative' if they cannot be"]


def _violations(period: _Period, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    v = period.values
    free = np.isin(
        period.kind_class, ["measured redundant", "measured non-redundant", "unknown observable"]
    )
    tol = 1e-9 * np.maximum(np.abs(v), 1.0)
    with np.errstate(invalid="ignore"):
        return free & ((v < lower - tol) | (v > upper + tol))


def _warn_unobservable(period: _Period, names: tuple[str, ...]) -> None:
    idx = np.flatnonzero(period.kind_class == "unknown unobservable")
    if len(idx):
        listed = [names[i] for i in idx]
        period.notes.append(f"unobservable unknowns (not computed, NaN): {listed}")
        warnings.warn(
            f"unknowns cannot be computed from the equations and data (unobservable), left "
            f"NaN: {listed}; add a measurement or an equation",
            MsaWarning,
            stacklevel=3,
        )


def _stack(names: tuple[str, ...], periods: list[_Period], alpha: float) -> BatchReconciliation:
    from scipy.special import chdtri

    dof = np.array([p.dof for p in periods], int)
    chi2 = np.array([p.chi2 for p in periods])
    crit = np.array([float(chdtri(d, alpha)) if d else 0.0 for d in dof])
    bound = np.array(
        [p.bound if len(p.bound) else np.full(len(names), "", dtype=object) for p in periods],
        dtype=object,
    ).reshape(len(periods), len(names))
    return BatchReconciliation(
        names=names,
        values=np.array([p.values for p in periods]).reshape(len(periods), len(names)),
        sd=np.array([p.sd for p in periods]).reshape(len(periods), len(names)),
        z=np.array([p.z for p in periods]).reshape(len(periods), len(names)),
        classification=np.array([p.kind_class for p in periods], dtype=object).reshape(
            len(periods), len(names)
        ),
        bound=bound,
        chi2=chi2,
        dof=dof,
        chi2_critical=crit,
        passed=chi2 <= crit * (1 + 1e-12) + 1e-12,
        iterations=np.array([p.iterations for p in periods], int),
        bounded=np.array([bool(np.any(b != "")) for b in bound], bool),
        notes=tuple(tuple(p.notes) for p in periods),
    )


# -- input ------------------------------------------------------------------------------------


def _check_unique(names: Sequence[str]) -> None:
    seen: set[str] = set()
    dup = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dup:
        raise DataError(f"quantity names must be unique; repeated: {dup}")


def _read_quantities(
    quantities: pd.DataFrame,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    missing = {"name", "value"} - set(quantities.columns)
    if missing:
        raise DataError(
            f"quantities need columns 'name', 'value' (and 'sd'); missing {sorted(missing)}"
        )
    names = tuple(str(n) for n in quantities["name"])
    _check_unique(names)

    def column(col: str, default: float) -> np.ndarray:
        if col not in quantities.columns:
            return np.full(len(names), default)
        try:
            return pd.to_numeric(quantities[col]).to_numpy(float)
        except (ValueError, TypeError) as err:
            raise DataError(f"quantities column {col!r} must be numeric: {err}") from err

    values, sds = column("value", np.nan), column("sd", np.nan)
    _check_values(names, values, sds, "")
    return names, values, sds, column("lower", -np.inf), column("upper", np.inf)


def _check_values(names: tuple[str, ...], values: np.ndarray, sds: np.ndarray, where: str) -> None:
    for i in np.flatnonzero(np.isinf(values) | np.isinf(sds)):
        raise DataError(f"quantity {names[i]!r}{where} has an infinite value or sd")
    for i in np.flatnonzero(sds < 0):
        raise DataError(f"quantity {names[i]!r}{where} has a negative sd ({plain(sds[i])!r})")
    for i in np.flatnonzero(np.isnan(values) & np.isfinite(sds) & (sds != 0)):
        raise DataError(
            f"quantity {names[i]!r}{where} has an sd ({plain(sds[i])!r}) but no value: give "
            "a value, or leave the sd empty for an unknown"
        )


def _merge_bounds(
    names: tuple[str, ...], lower: np.ndarray, upper: np.ndarray, bounds: Bounds
) -> tuple[np.ndarray, np.ndarray]:
    lower = np.where(np.isnan(lower), -np.inf, lower)
    upper = np.where(np.isnan(upper), np.inf, upper)
    if bounds is None:
        return lower, upper
    if isinstance(bounds, str):
        if bounds != "nonnegative":
            raise ConfigError(f"bounds must be None, 'nonnegative' or a mapping (got {bounds!r})")
        return np.maximum(lower, 0.0), upper
    index = {n: i for i, n in enumerate(names)}
    for name, (lo, hi) in bounds.items():
        if name not in index:
            raise DataError(f"bounds name {name!r}, which is not a quantity")
        i = index[name]
        lower[i] = max(lower[i], -np.inf if lo is None or np.isnan(lo) else lo)
        upper[i] = min(upper[i], np.inf if hi is None or np.isnan(hi) else hi)
    bad = np.flatnonzero(lower > upper)
    if len(bad):
        raise DataError(f"quantity {names[bad[0]]!r} has lower bound above its upper bound")
    return lower, upper


def _covariance_matrix(
    names: tuple[str, ...], values: np.ndarray, sds: np.ndarray, covariance: pd.DataFrame | None
) -> np.ndarray | None:
    if covariance is None:
        return None
    measured = np.flatnonzero(~np.isnan(values) & np.isfinite(sds) & (sds > 0))
    pos = {names[i]: k for k, i in enumerate(measured)}
    Q = np.diag(sds[measured] ** 2)
    labels = [str(c) for c in covariance.columns]
    if [str(i) for i in covariance.index] != labels:
        raise DataError(
            "covariance must have the same names, in the same order, as rows and columns"
        )
    for name in labels:
        if name not in pos:
            raise DataError(f"covariance names {name!r}, which is not a measured quantity")
    idx = [pos[n] for n in labels]
    block = covariance.to_numpy(float)
    Q[np.ix_(idx, idx)] = (block + block.T) / 2
    try:
        np.linalg.cholesky(Q)
    except np.linalg.LinAlgError as err:
        raise DataError(
            "the covariance of the measured quantities is singular or not positive definite; "
            "check its entries against the sds"
        ) from err
    return Q
