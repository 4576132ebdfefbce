"""Bounded reconciliation by a primal active-set method over the unbounded solver.

Private to :mod:`msa.reconciliation`. A quantity outside its bounds is fixed at the bound (made a
constant) and the problem is solved again; a fixed quantity is released when its Lagrange
multiplier ``mu_k = W(x - x~)_k + (J^T lambda)_k`` has the wrong sign (``< 0`` at a lower bound,
``> 0`` at an upper bound). When no quantity violates a bound and no multiplier has the wrong
sign, the KKT conditions of the bounded weighted least-squares problem hold: for linear
equations that is its unique optimum. Each step reuses the sparse unbounded solver, so the
equality constraints hold exactly, unlike a penalty; no new dependency (osqp) is needed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from msa.errors import MassBalanceError, MsaError
from msa.reconciliation import solve as _solve

MULTIPLIER_RTOL = 1e-9


def solve_bounded(
    solve: Callable[[np.ndarray, np.ndarray], _solve._Period],
    unbounded: _solve._Period,
    values: np.ndarray,
    sds: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> _solve._Period:
    """Return the period solved with every quantity within ``[lower, upper]``."""
    measured = unbounded.kind_class == "measured redundant"
    measured |= unbounded.kind_class == "measured non-redundant"
    q = np.where(measured, sds**2, np.inf)
    active: dict[int, str] = {}
    current = unbounded
    for _ in range(_solve.BOUND_ITERATIONS):
        viol = np.flatnonzero(_solve._violations(current, lower, upper))
        if len(viol):
            added = _add(active, viol, current.values, lower, upper)
        else:
            release = _wrong_sign(active, current, values, q)
            if release is None:
                return _finalise(current, unbounded, active, values, sds, measured)
            del active[release]
            added = []
        try:
            current = solve(*_fixed(active, values, sds, lower, upper))
        except MassBalanceError:
            if len(added) < 2:
                raise
            for i in added[1:]:
                del active[i]
            current = solve(*_fixed(active, values, sds, lower, upper))
    raise MsaError(
        f"the bounded reconciliation did not settle in {_solve.BOUND_ITERATIONS} active-set "
        f"changes; active bounds at the end: {sorted(active)}"
    )


def _add(
    active: dict[int, str], viol: np.ndarray, v: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> list[int]:
    gap = np.where(v[viol] < lower[viol], lower[viol] - v[viol], v[viol] - upper[viol])
    order = viol[np.argsort(-gap)]
    for i in order:
        active[int(i)] = "lower" if v[i] < lower[i] else "upper"
    return [int(i) for i in order]


def _fixed(
    active: dict[int, str],
    values: np.ndarray,
    sds: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    v, s = values.copy(), sds.copy()
    for i, side in active.items():
        v[i] = lower[i] if side == "lower" else upper[i]
        s[i] = 0.0
    return v, s


def _wrong_sign(
    active: dict[int, str], period: _solve._Period, values: np.ndarray, q: np.ndarray
) -> int | None:
    if not active:
        return None
    idx = np.array(sorted(active))
    grad = np.where(np.isfinite(q[idx]), (period.values[idx] - values[idx]) / q[idx], 0.0)
    jt_lam = np.asarray(period.jacobian[:, idx].T @ period.multipliers).ravel()
    mu = grad + jt_lam
    sign = np.array([1.0 if active[i] == "lower" else -1.0 for i in idx])
    mu = sign * mu
    scale = MULTIPLIER_RTOL * max(float(np.max(np.abs(grad), initial=0.0)), 1e-12)
    worst = int(np.argmin(mu))
    return int(idx[worst]) if mu[worst] < -scale else None


def _finalise(
    period: _solve._Period,
    unbounded: _solve._Period,
    active: dict[int, str],
    values: np.ndarray,
    sds: np.ndarray,
    measured: np.ndarray,
) -> _solve._Period:
    n = len(values)
    bound = np.full(n, "", dtype=object)
    for i, side in active.items():
        bound[i] = side
    idx = np.array(sorted(active), int)
    period.kind_class[idx] = unbounded.kind_class[idx]
    period.measured = unbounded.measured
    period.measured_sd = unbounded.measured_sd
    period.z[idx] = np.nan
    adj = np.where(measured, values - period.values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        period.chi2 = float(np.sum(np.where(measured, adj**2 / sds**2, 0.0)))
    period.dof = unbounded.dof
    period.bound = bound
    period.notes = [note for note in period.notes if not note.startswith("negative results")]
    period.notes.append(
        f"{len(idx)} bound(s) active (column 'bound'); the sds and the chi-square test are "
        "then Gaussian approximations of a truncated problem"
    )
    return period
