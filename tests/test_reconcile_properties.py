"""Property tests of msa.reconcile on random balanced networks (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize

from msa.errors import MsaWarning
from msa.reconciliation import Problem, reconcile


def _network(seed: int, n_proc: int, n_flows: int) -> tuple[list[str], list[str], np.ndarray]:
    """Random processes 1..n_proc and environment 0; flows with true values that balance."""
    rng = np.random.default_rng(seed)
    ends = []
    for p in range(1, n_proc + 1):  # a chain in and out of every process keeps it connected
        ends.append((p - 1, p))
    ends.append((n_proc, 0))
    while len(ends) < n_flows:
        a, b = rng.integers(0, n_proc + 1, 2)
        if a != b:
            ends.append((int(a), int(b)))
    # true values: a circulation = positive combination of cycles through the environment
    values = np.zeros(len(ends))
    for i in range(len(ends)):
        values[i] = rng.uniform(1, 10)
    names = [f"F{i}" for i in range(len(ends))]
    inc = np.zeros((n_proc, len(ends)))
    for i, (a, b) in enumerate(ends):
        if a:
            inc[a - 1, i] -= 1
        if b:
            inc[b - 1, i] += 1
    # close the balances with the chain flows: adjust values to the null space of inc
    null = np.linalg.lstsq(inc, inc @ values, rcond=None)[0]
    values = values - null
    equations = []
    for p in range(n_proc):
        terms = [f"{'+' if inc[p, i] > 0 else '-'} F{i}" for i in np.flatnonzero(inc[p])]
        equations.append(" ".join(terms))
    return names, equations, values


def _kkt(values: np.ndarray, sds: np.ndarray, names: list[str], equations: list[str]) -> np.ndarray:
    """Direct dense KKT solve of the linear WLS problem (measured and unknown together)."""
    from msa.reconciliation import Equations

    eqs = Equations.compile(equations, names)
    L = eqs.linear.toarray()
    meas = np.isfinite(values) & (sds > 0)
    const = np.isfinite(values) & ~meas
    free = ~const
    W = np.diag(np.where(meas, 1 / np.where(meas, sds, 1) ** 2, 0.0))[np.ix_(free, free)]
    A = L[:, free]
    b = -(eqs.const + L[:, const] @ values[const])
    n, m = free.sum(), len(equations)
    K = np.block([[W, A.T], [A, np.zeros((m, m))]])
    rhs = np.concatenate([W @ np.nan_to_num(values[free]), b])
    sol = np.linalg.lstsq(K, rhs, rcond=None)[0][:n]
    out = values.copy()
    out[free] = sol
    return out


@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(0, 4))
def test_random_linear_networks(seed: int, n_proc: int, extra: int) -> None:
    """Equations hold, KKT agrees, scaling by k scales results, constants never move."""
    names, equations, true = _network(seed, n_proc, n_proc + 1 + extra + 2)
    rng = np.random.default_rng(seed + 1)
    sds = 0.05 * np.abs(true) + 0.1
    values = true + rng.normal(0, sds)
    values[0] = np.nan  # one unknown
    sds[0] = np.nan
    sds[1] = 0.0  # one constant
    q = pd.DataFrame({"name": names, "value": values, "sd": sds})
    r = reconcile(q, equations)
    v = r.table["value"].to_numpy()
    # every equation holds to 1e-9 relative
    from msa.reconciliation import Equations

    eqs = Equations.compile(equations, names)
    assert np.all(np.abs(eqs.residual(v)) <= 1e-9 * np.maximum(eqs.term_scale(v), 1))
    np.testing.assert_allclose(v, _kkt(values, sds, names, equations), rtol=1e-7, atol=1e-8)
    assert v[1] == values[1] and r.table["sd"].iloc[1] == 0.0
    k = 7.5
    r2 = reconcile(q.assign(value=values * k, sd=sds * k), equations)
    np.testing.assert_allclose(r2.table["value"], v * k, rtol=1e-9, atol=1e-9)
    # an sd near 0 is sqrt of a difference of variances: round-off ~ sqrt(eps) * sd
    atol = 1e-6 * k * float(np.nanmax(sds))
    np.testing.assert_allclose(r2.table["sd"], r.table["sd"] * k, rtol=1e-7, atol=atol)
    assert r2.chi2 == pytest.approx(r.chi2, rel=1e-9, abs=1e-12)


@given(st.integers(0, 10_000), st.integers(2, 5))
def test_consistent_data_are_left_unchanged(seed: int, n_proc: int) -> None:
    """Data that already balance are not adjusted; chi2 is 0 and every z is 0 or NaN."""
    names, equations, true = _network(seed, n_proc, n_proc + 3)
    sds = 0.1 * np.abs(true) + 0.1
    r = reconcile(pd.DataFrame({"name": names, "value": true, "sd": sds}), equations)
    np.testing.assert_allclose(r.table["value"], true, rtol=1e-10, atol=1e-10)
    assert r.chi2 == pytest.approx(0.0, abs=1e-18)
    assert np.all(np.nan_to_num(r.z.to_numpy()) == pytest.approx(0.0, abs=1e-6))


@given(st.integers(0, 10_000))
def test_bilinear_agrees_with_slsqp(seed: int) -> None:
    """A transfer-coefficient problem agrees with scipy SLSQP on the same objective."""
    rng = np.random.default_rng(seed)
    tc, f3 = rng.uniform(0.2, 0.8), rng.uniform(50, 300)
    f1 = f3 * (1 - tc)
    true = {"F1": f1, "F3": f3, "F4": tc * f3, "F5": f1, "TC": tc}
    sds = {k: 0.05 * v for k, v in true.items()}
    meas = {k: v + rng.normal(0, sds[k]) for k, v in true.items()}
    names = list(true)
    eqs = ["F1 + F4 - F3", "F3 - F4 - F5", "F4 - TC * F3"]
    q = pd.DataFrame(
        {"name": names, "value": [meas[n] for n in names], "sd": [sds[n] for n in names]}
    )
    r = reconcile(q, eqs)
    x0 = np.array([meas[n] for n in names])
    s = np.array([sds[n] for n in names])

    def cons(x: np.ndarray) -> np.ndarray:
        f1_, f3_, f4_, f5_, tc_ = x
        return np.array([f1_ + f4_ - f3_, f3_ - f4_ - f5_, f4_ - tc_ * f3_])

    ref = minimize(
        lambda x: np.sum(((x - x0) / s) ** 2),
        x0,
        constraints={"type": "eq", "fun": cons},
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    np.testing.assert_allclose(r.table["value"], ref.x, rtol=1e-6)
    assert np.max(np.abs(cons(r.table["value"].to_numpy()))) <= 1e-9 * f3


@given(st.integers(0, 10_000))
def test_bounded_solution_agrees_with_slsqp(seed: int) -> None:
    """The active-set bounded solve agrees with SLSQP with bounds."""
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c", "d"]
    x0 = np.array([100.0, 60.0, 45.0, rng.uniform(-5, 3)])
    s = np.array([5.0, 8.0, 8.0, 2.0]) * rng.uniform(0.5, 2, 4)
    eqs = ["a - b - c - d"]
    q = pd.DataFrame({"name": names, "value": x0, "sd": s})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MsaWarning)
        r = reconcile(q, eqs, bounds="nonnegative")
    ref = minimize(
        lambda x: np.sum(((x - x0) / s) ** 2),
        np.maximum(x0, 0),
        constraints={"type": "eq", "fun": lambda x: np.array([x[0] - x[1] - x[2] - x[3]])},
        bounds=[(0, None)] * 4,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    np.testing.assert_allclose(r.table["value"], ref.x, rtol=1e-6, atol=1e-6)


def test_batch_of_linear_periods_matches_kkt() -> None:
    """Problem.solve over 20 periods with one structure equals a direct KKT solve each."""
    names, equations, true = _network(5, 6, 14)
    rng = np.random.default_rng(9)
    sds = np.abs(true) * rng.uniform(0.02, 0.1, (20, len(true))) + 0.1
    values = true * rng.uniform(0.5, 2.0, (20, 1)) + rng.normal(0, sds)
    values[:, 2] = np.nan
    sds[:, 2] = np.nan
    batch = Problem(names, equations).solve(values, sds)
    for k in range(20):
        np.testing.assert_allclose(
            batch.values[k], _kkt(values[k], sds[k], names, equations), rtol=1e-8, atol=1e-8
        )
