"""Linear algebra of one reconciliation step: eliminate the unknowns, project, solve, propagate.

Private to :mod:`msa.reconciliation`. Notation of Cencic (2016): measured ``x`` with covariance
``Q``, unknowns ``y``, constants ``z``; the equations linearised at the current estimate read
``J_y dy + J_x dx + f = 0``.

The unknowns are eliminated per connected component of the bipartite graph equations-unknowns
(an unknown links the equations it appears in): each component's block of ``J_y`` gets a dense
QR factorisation with column pivoting (columns scaled to unit norm; rank where
``|R_ii| > RANK_RTOL |R_00|``). Its left null space ``N`` turns the component's equations into
redundancy equations ``N^T J_x dx + N^T f = 0``; equations without unknowns are redundancy
equations as they stand. All of it is collected in two sparse operators: ``P`` (redundancy
equations from equations, ``A = P J_x``, ``a = P f``) and ``S`` (``dy = -S (f + J_x dx)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

RANK_RTOL = 1e-9
"""Relative pivot tolerance of the rank decisions (QR of J_y blocks, pivoted Cholesky)."""

OBSERVABLE_TOL = 1e-8
"""An unknown is unobservable if its row of the (scaled) null-space basis exceeds this."""

ZERO_ROW_RTOL = 1e-10
"""A redundancy row whose entries are all below this times its unprojected size is zero."""

_CHUNK = 2048


@dataclass(frozen=True)
class Elimination:
    """The unknowns eliminated from linearised equations.

    Attributes
    ----------
    P : scipy.sparse.csr_array
        (r, m) redundancy equations as combinations of the equations.
    S : scipy.sparse.csr_array
        (n_y, m) ``dy = -S (f + J_x dx)`` (rows of unobservable unknowns are 0).
    observable : numpy.ndarray
        (n_y,) bool.
    """

    P: sp.csr_array
    S: sp.csr_array
    observable: np.ndarray


def eliminate(jy: sp.csr_array) -> Elimination:
    """Eliminate the unknowns whose Jacobian block is ``jy`` (m, n_y)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    jy = sp.csr_array(jy)
    jy.eliminate_zeros()
    m, ny = jy.shape
    has_y = np.diff(jy.indptr) > 0
    coo = jy.tocoo()
    graph = sp.coo_array((np.ones(coo.nnz), (coo.row, m + coo.col)), shape=(m + ny, m + ny)).tocsr()
    _, label = connected_components(graph, directed=False)
    p_rows: list[np.ndarray] = []
    p_cols: list[np.ndarray] = []
    p_vals: list[np.ndarray] = []
    s_rows: list[np.ndarray] = []
    s_cols: list[np.ndarray] = []
    s_vals: list[np.ndarray] = []
    observable = np.zeros(ny, bool)
    plain = np.flatnonzero(~has_y)
    p_rows.append(np.arange(len(plain)))
    p_cols.append(plain)
    p_vals.append(np.ones(len(plain)))
    n_red = len(plain)
    eq_label, y_label = label[:m], label[m:]
    rows_by = _group(eq_label, np.flatnonzero(has_y))
    ys_by = _group(y_label, np.arange(ny))
    for lab, rows in rows_by.items():
        ys = ys_by[lab]
        block = jy[rows][:, ys].toarray()
        n_rows = _component(block, rows, ys, observable, (s_rows, s_cols, s_vals))
        if n_rows is not None:
            k = n_rows.shape[0]
            p_rows.append(np.repeat(np.arange(n_red, n_red + k), len(rows)))
            p_cols.append(np.tile(rows, k))
            p_vals.append(n_rows.ravel())
            n_red += k
    P = sp.csr_array(
        (np.concatenate(p_vals), (np.concatenate(p_rows), np.concatenate(p_cols))),
        shape=(n_red, m),
    )
    S = sp.csr_array(
        (
            np.concatenate(s_vals) if s_vals else np.zeros(0),
            (
                np.concatenate(s_rows) if s_rows else np.zeros(0, int),
                np.concatenate(s_cols) if s_cols else np.zeros(0, int),
            ),
        ),
        shape=(ny, m),
    )
    return Elimination(P=P, S=S, observable=observable)


def _group(labels: np.ndarray, members: np.ndarray) -> dict[int, np.ndarray]:
    if not len(members):
        return {}
    order = np.argsort(labels[members], kind="stable")
    members = members[order]
    keys, starts = np.unique(labels[members], return_index=True)
    parts = np.split(members, starts[1:])
    return {int(k): p for k, p in zip(keys, parts, strict=True)}


def _component(
    block: np.ndarray,
    rows: np.ndarray,
    ys: np.ndarray,
    observable: np.ndarray,
    s_parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]],
) -> np.ndarray | None:
    """QR one component's block; fill S and ``observable``; return N^T (k, rows) or None."""
    import scipy.linalg as sla

    s_rows, s_cols, s_vals = s_parts
    if block.shape == (1, 1):
        observable[ys[0]] = True
        s_rows.append(ys)
        s_cols.append(rows)
        s_vals.append(np.array([1.0 / block[0, 0]]))
        return None
    norms = np.linalg.norm(block, axis=0)
    norms[norms == 0] = 1.0
    q, r, piv = sla.qr(block / norms, mode="full", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > RANK_RTOL * max(diag[0] if len(diag) else 0.0, 1e-300)))
    if rank:
        r11 = r[:rank, :rank]
        coupling = sla.solve_triangular(r11, r[:rank, rank:]) if rank < len(ys) else None
        sol = sla.solve_triangular(r11, q[:, :rank].T) / norms[piv[:rank], None]
        pivots = ys[piv[:rank]]
        obs = (
            np.ones(rank, bool)
            if coupling is None
            else np.max(np.abs(coupling), axis=1, initial=0.0) <= OBSERVABLE_TOL
        )
        observable[pivots] = obs
        s_rows.append(np.repeat(pivots[obs], len(rows)))
        s_cols.append(np.tile(rows, int(obs.sum())))
        s_vals.append(sol[obs].ravel())
    if rank == len(rows):
        return None
    return q[:, rank:].T


@dataclass(frozen=True)
class WlsFactors:
    """The factors of one WLS projection, kept for error propagation.

    ``A`` (k, n_x) are the independent redundancy equations, ``QAt`` = ``Q A^T`` (n_x, k),
    ``cho`` the Cholesky factor of ``M = A Q A^T`` (lower), ``lam`` the multipliers.
    """

    A: sp.csr_array
    QAt: sp.csr_array | np.ndarray
    cho: np.ndarray
    lam: np.ndarray
    red_rows: np.ndarray

    def m_inverse(self) -> np.ndarray:
        """Return ``M^{-1}`` (k, k), dense."""
        import scipy.linalg as sla

        k = self.cho.shape[0]
        if k == 0:
            return np.zeros((0, 0))
        inv, info = sla.lapack.dpotri(self.cho, lower=1)
        if info:
            raise np.linalg.LinAlgError("M is singular")
        return np.tril(inv) + np.tril(inv, -1).T


def q_times(Q: np.ndarray, X: sp.csr_array | np.ndarray) -> sp.csr_array | np.ndarray:
    """Return ``Q @ X`` for ``Q`` a variance vector (diagonal) or a dense covariance."""
    import scipy.sparse as sp

    if Q.ndim == 1:
        return (
            sp.csr_array(sp.diags_array(Q) @ sp.csr_array(X)) if sp.issparse(X) else Q[:, None] * X
        )
    dense = X.toarray() if isinstance(X, sp.sparray) else np.asarray(X)
    return Q @ dense


def independent_rows(A: sp.csr_array, Q: np.ndarray) -> np.ndarray:
    """Return the indices of a maximal set of linearly independent rows of ``A`` (in Q metric)."""
    import scipy.linalg as sla

    k = A.shape[0]
    if k == 0:
        return np.zeros(0, int)
    M = _gram(A, Q)
    d = np.sqrt(np.diag(M))
    d[d == 0] = 1.0
    Ms = M / d[:, None] / d[None, :]
    _, piv, rank, _ = sla.lapack.dpstrf(Ms, tol=RANK_RTOL, lower=1)
    return np.sort(piv[:rank] - 1)


def _gram(A: sp.csr_array, Q: np.ndarray) -> np.ndarray:
    import scipy.sparse as sp

    QAt = q_times(Q, A.T.tocsr())
    M = A @ QAt
    return np.asarray(M.toarray() if sp.issparse(M) else M)


def wls(
    A: sp.csr_array,
    a: np.ndarray,
    x_meas: np.ndarray,
    x_hat: np.ndarray,
    Q: np.ndarray,
    keep: np.ndarray,
) -> tuple[np.ndarray, WlsFactors]:
    """Project the measurements on ``A (x - x_hat) + a = 0`` (rows ``keep``): Cencic's step 5.

    Returns ``x+ = x~ - Q A^T (A Q A^T)^{-1} (A (x~ - x_hat) + a)`` and the factors.
    """
    import scipy.linalg as sla
    import scipy.sparse as sp

    A = sp.csr_array(A[keep])
    QAt = q_times(Q, A.T.tocsr())
    M = A @ QAt
    M = np.asarray(M.toarray() if sp.issparse(M) else M)
    if len(keep):
        cho = np.linalg.cholesky(M)
        rhs = A @ (x_meas - x_hat) + a[keep]
        lam = sla.cho_solve((cho, True), rhs)
        x_new = x_meas - np.asarray(QAt @ lam).ravel()
    else:
        cho = np.zeros((0, 0))
        lam = np.zeros(0)
        x_new = x_meas.copy()
    return x_new, WlsFactors(A=A, QAt=QAt, cho=cho, lam=lam, red_rows=keep)


def quad_diag(X: sp.csr_array | np.ndarray, Minv: np.ndarray) -> np.ndarray:
    """Return ``diag(X Minv X^T)`` for X (p, k), in row chunks (no (p, p) matrix)."""
    import scipy.sparse as sp

    p = X.shape[0]
    out = np.zeros(p)
    if Minv.size == 0:
        return out
    for start in range(0, p, _CHUNK):
        block = X[start : start + _CHUNK]
        prod = np.asarray(block @ Minv)
        if sp.issparse(block):
            out[start : start + _CHUNK] = np.asarray(sp.csr_array(block).multiply(prod).sum(axis=1))
        else:
            out[start : start + _CHUNK] = np.einsum("ij,ij->i", prod, block)
    return out
