r"""Stock models of a lifetime that depends on age only, over many series, by convolution.

Private to :mod:`msa.stocks`. When a lifetime varies over a dim of its own (the samples of a
Monte Carlo, a shape per region) but not by cohort and has no year factor, the survival matrix
of each series is Toeplitz, :math:`sf_{t,c} = S_{t-c}`: the curve :math:`S_a` by age holds all
of it. Instead of one T x C matrix per series (O(N T^2) memory and time just to build them, and
one small matrix product per series), a run then works on the curves:

* totals are causal convolutions :math:`s_t = \sum_{c \le t} S_{t-c} x_c`, computed for all
  series at once as dot products over a Hankel view of the inflows (no copy), or as one matrix
  product per block of years when one inflow meets every curve;
* the stock-driven inflow solves the lower-triangular Toeplitz system by blocked forward
  substitution: per block of years, what earlier blocks leave in stock is taken off (one
  convolution) and the rest is convolved with the inverse of the block's own triangular
  Toeplitz matrix, the first coefficients of the power series :math:`1/S(z)` (Newton's
  iteration :math:`g \leftarrow g (2 - S g)`); every step is vectorised over every series;
* cohort arrays are written straight into the returned layout from strided views of the curve.

Historic cohorts (an initial stock) survive conditionally on being in stock at the end of
``t0 - 1``: :math:`h_c \, S_{t-c} / S_{t_0-1-c}`, the same convolution with the "inflow"
:math:`h_c / S_{t_0-1-c}` placed at cohort c (cohorts are laid out on consecutive years).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from numpy.lib.stride_tricks import sliding_window_view

from msa.stocks._frame import Frame, pair
from msa.stocks.lifetimes import Lifetime
from msa.stocks.survival import survival_by_age

#: Most columns (input cells per series that share one curve) run by convolution; beyond, one
#: BLAS product per series of its T x C matrix is about as fast or faster (the matrix path).
#: Totals at T = 200 (2026-12-02, load 4.6): 50 curves x 32 columns 31 ms by convolution,
#: 48 ms on matrices; 1000 x 32: 880 / 938 ms; 10 x 64: 15 / 12 ms; 10 x 128: 30 / 16 ms.
MAX_COLUMNS = 32

#: Least number of curves sharing one input (a Monte Carlo over the lifetime only) for which
#: a convolution is one matrix product per block (BLAS) instead of one dot product per value.
SHARED_MIN = 16

#: Cohort arrays are written in this many blocks of years, each with the cohorts in use by
#: its last year: the lower triangle plus 1/ROW_BLOCKS of the square (zeros stay unwritten).
ROW_BLOCKS = 16

#: Output years are computed in this many blocks, each with the cohorts it needs only (the
#: lower triangle of the Toeplitz matrix plus 1/BLOCKS of it): a loop over blocks, not years.
BLOCKS = 4


def runs_by_age(values: object, lifetime: object) -> bool:
    """Return True if a run of ``lifetime`` on ``values`` is faster by convolution.

    That is: the lifetime depends on age only (no ``cohort`` dim, no ``factor_by_year``), it
    varies over dims of its own (more than one curve), and each curve serves at most
    :data:`MAX_COLUMNS` input cells. Anything else (including invalid input, which the matrix
    path reports) runs on survival matrices.
    """
    if not isinstance(values, xr.DataArray) or not isinstance(lifetime, Lifetime):
        return False
    if lifetime.varies_by_cohort or "factor_by_year" in lifetime.factors:
        return False
    own: dict = {}
    for arr in (*lifetime.parameters.values(), *lifetime.factors.values()):
        for dim, size in arr.sizes.items():
            if dim not in ("time", "cohort", "age"):
                own[dim] = values.sizes.get(dim, size)
    curves = int(np.prod(list(own.values()), dtype=np.int64))
    columns = int(np.prod([n for d, n in values.sizes.items() if d != "time" and d not in own]))
    return curves > 1 and columns <= MAX_COLUMNS


def causal(kernel: np.ndarray, signal: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Return ``out[..., p - start] = sum_{a <= p} kernel[..., a] * signal[..., p - a]``.

    For ``start <= p < stop``. ``kernel`` has at least ``stop`` values on its last axis;
    ``signal`` is read up to ``stop`` (zero beyond its end). Leading axes broadcast.
    Computed as dot products (``np.vecdot``, one per output value, vectorised over all of
    them) of the kernel with a Hankel view of the reversed, zero-padded signal, in
    :data:`BLOCKS` blocks of outputs, each over the ages that reach it (about half of the
    full product for a triangular one). When one signal meets many kernels (``signal`` of
    shape (1, ..., columns, years), ``kernel`` (..., 1, ages): a Monte Carlo over the lifetime
    only), the Hankel blocks of the signal are copied out and multiplied with all kernels at
    once, one matrix product per block.
    """
    n = stop
    sig = signal[..., :n]
    length = sig.shape[-1]
    # reverse[..., q] = signal[..., n - 1 - q], 0 beyond; window row r = n - 1 - p holds
    # signal[p - a] at column a.
    reverse = np.zeros((*sig.shape[:-1], 2 * n - 1))
    reverse[..., n - length : n] = sig[..., ::-1]
    windows = sliding_window_view(reverse, n, axis=-1)
    shape = np.broadcast_shapes(windows.shape[:-2], kernel.shape[:-1])
    out = np.empty((*shape, stop - start))
    kernels = None
    if sig.ndim >= 2 and kernel.ndim == sig.ndim and kernel.shape[-2] == 1:
        n_kernels = int(np.prod(kernel.shape[:-2]))
        if n_kernels >= SHARED_MIN and all(d == 1 for d in sig.shape[:-2]):
            kernels = kernel.reshape(n_kernels, kernel.shape[-1])
    step = -(-(stop - start) // BLOCKS)
    for p0 in range(start, stop, step):
        p1 = min(stop, p0 + step)
        # Ages a with 0 <= p - a < length for some p of the block.
        a0, a1 = max(0, p0 - length + 1), p1
        rows = windows[..., n - p1 : n - p0, a0:a1]  # p = p1 - 1 ... p0
        if kernels is None:
            dots = np.vecdot(rows, kernel[..., None, a0:a1])
        else:
            block = rows.reshape(sig.shape[-2], p1 - p0, a1 - a0)  # a copy: blocks are small
            products = np.matmul(block, kernels[:, a0:a1].T)  # (columns, p, kernel)
            dots = np.moveaxis(products, -1, 0).reshape(*shape[:-1], sig.shape[-2], p1 - p0)
        out[..., p0 - start : p1 - start] = dots[..., ::-1]
    return out


def reciprocal(kernel: np.ndarray, n: int) -> np.ndarray:
    r"""Return the first ``n`` coefficients of the power series :math:`1/K(z)`.

    ``g`` solves :math:`\sum_{a \le p} K_a g_{p-a} = [p = 0]`: the first column of the inverse
    of the lower-triangular Toeplitz matrix of ``kernel`` (whose ``kernel[..., 0]`` must not
    be 0). Newton's iteration :math:`g_{2k} = g_k - g_k (K g_k - 1) \bmod z^{2k}` doubles the
    number of exact coefficients per step; each step is two causal convolutions.
    """
    g = np.zeros((*kernel.shape[:-1], n))
    g[..., 0] = 1.0 / kernel[..., 0]
    k = 1
    while k < n:
        m = min(2 * k, n)
        residual = causal(kernel, g[..., :k], k, m)  # coefficients k ... m-1 of K g_k - 1
        g[..., k:m] = -causal(g, residual, 0, m - k)
        k = m
    return g


def solve(kernel: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    r"""Return ``x`` with ``causal(kernel, x, 0, n) = rhs``: a lower-triangular Toeplitz solve.

    Blocked forward substitution over :data:`BLOCKS` blocks of years: a block's right-hand
    side less what earlier blocks contribute (one causal convolution), times the inverse of the
    block's own triangular Toeplitz matrix (the first coefficients of :math:`1/K(z)`,
    :func:`reciprocal`). Vectorised over every series; ``kernel[..., 0]`` must not be 0.
    """
    n = rhs.shape[-1]
    size = -(-n // BLOCKS)
    inverse = reciprocal(kernel, size)
    x = np.empty(np.broadcast_shapes(kernel.shape[:-1], rhs.shape[:-1]) + (n,))
    for b0 in range(0, n, size):
        b1 = min(n, b0 + size)
        part = rhs[..., b0:b1]
        if b0:
            part = part - causal(kernel, x[..., :b0], b0, b1)
        x[..., b0:b1] = causal(inverse, part, 0, b1 - b0)
    return x


class AgeFrame(Frame):
    """A run whose survival matrices are Toeplitz, kept as curves by age (module docstring).

    Attributes beyond :class:`msa.stocks._frame.Frame`'s: ``curve`` and ``outflow_curve``,
    (*batch, age) with ``outflow_curve[a] = S[a - 1] - S[a]`` (``1 - S[0]`` at age 0, never
    below 0), the outflow share of a cohort at age a; ``anchor`` (*batch, historic cohort),
    the survival of each historic cohort at the end of the year before the first model year;
    ``positions``, each cohort's offset from the first cohort in years; ``shift``, the
    first model year's.
    """

    final_cohort_layout = True

    def _survival(
        self, lifetime: Lifetime, inflow_at: str, n_pts: int, coords: dict
    ) -> tuple[xr.DataArray, xr.DataArray | None]:
        curve = survival_by_age(lifetime, self.years, self.cohorts, inflow_at, n_pts, coords)
        if not self.n_hist:
            return curve, None
        hist = self.cohorts[: self.n_hist]
        ages = xr.DataArray(self.years[0] - 1 - hist, dims="cohort", coords={"cohort": hist})
        return curve, curve.isel(age=ages).transpose("cohort", ...)

    def _layout(self, survival: xr.DataArray, anchor: xr.DataArray | None) -> None:
        self.curve = np.ascontiguousarray(survival.transpose(*self.batch, "age").values)
        share = np.empty_like(self.curve)
        np.subtract(1.0, self.curve[..., 0], out=share[..., 0])
        np.subtract(self.curve[..., :-1], self.curve[..., 1:], out=share[..., 1:])
        self.outflow_curve = np.maximum(share, 0.0, out=share)
        self.anchor = None
        if anchor is not None:
            self.anchor = anchor.transpose(*self.batch, "cohort").values
        self.positions = self.cohorts - self.cohorts[0]
        self.shift = int(self.years[0] - self.cohorts[0])

    def effective(self, x: np.ndarray) -> np.ndarray:
        """Return ``x`` with each historic stock divided by its anchor (0 where that is 0).

        So that a historic cohort's stock is ``effective[c] * S[t - c]`` like an inflow's.
        """
        if self.anchor is None:
            return x
        anchor = self.anchor[..., None]
        hist = x[..., : self.n_hist, :]
        scaled = np.where(anchor > 0, hist / np.where(anchor > 0, anchor, 1.0), 0.0)
        return np.concatenate(pair(scaled, x[..., self.n_hist :, :]), axis=-2)

    def signal(self, x: np.ndarray) -> np.ndarray:
        """Return ``x`` (*, cohort, columns) as (*, columns, year) over consecutive cohort years."""
        x = np.swapaxes(self.effective(x), -1, -2)
        if self.n_hist == 0:
            return x
        out = np.zeros((*x.shape[:-1], self.curve.shape[-1]))
        out[..., self.positions] = x
        return out

    def apply(self, x: np.ndarray, *, outflow: bool = False) -> np.ndarray:
        curve = self.outflow_curve if outflow else self.curve
        n_age = curve.shape[-1]
        totals = causal(curve[..., None, :], self.signal(x), self.shift, n_age)
        return np.swapaxes(totals, -1, -2)

    def solve(self, target: np.ndarray) -> np.ndarray | None:
        """Return the inflows (*batch, time, columns) that keep the stock at ``target``.

        The historic cohorts' stock is taken off first; None if ``S[0]`` is 0 for some series
        (nothing of a year's inflow survives that year: forward substitution must decide).
        """
        n_t = len(self.years)
        if not bool((self.curve[..., 0] > 0).all()):
            return None
        rhs = np.swapaxes(target, -1, -2)
        if self.initial is not None:
            hist = np.concatenate(pair(self.initial, np.zeros_like(target)), axis=-2)
            rhs = rhs - causal(
                self.curve[..., None, :], self.signal(hist), self.shift, n_t + self.shift
            )
        return np.swapaxes(solve(self.curve[..., None, :n_t], rhs), -1, -2)

    def cohort_arrays(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (stock_by_cohort, outflow_by_cohort) as (time, cohort, *result_dims).

        Each is ``x[c] * curve[t - c]``, written block by block of years into zeros (the cells
        above the diagonal are not written), from a strided view of the curve: no T x C matrix.
        """
        n_t, n_h = len(self.years), self.n_hist
        # (cohort, *dims), 1 where x lacks a dim; contiguous, as the rows written below.
        xf = np.ascontiguousarray(self.final(self.effective(x)))
        sizes = dict(zip(self.batch, self.batch_shape, strict=True))
        sizes.update(zip(self.columns, self.column_shape, strict=True))
        shape = (n_t, len(self.cohorts), *[sizes[d] for d in self.result_dims()])
        step = -(-n_t // ROW_BLOCKS)
        arrays = []
        for curve in (self.curve, self.outflow_curve):
            by_age = self.final(curve[..., None])  # (age, *dims)
            out = np.zeros(shape)
            # padded[n_t - 1 - a] = curve[a], 0 beyond; view[t, c] = padded[n_t - 1 - t + c] =
            # curve[t - c] (0 for c > t), read along c in increasing memory order.
            padded = np.concatenate([by_age[n_t - 1 :: -1], np.zeros((n_t - 1, *by_age.shape[1:]))])
            windows = sliding_window_view(padded, n_t, axis=0)
            view = np.moveaxis(windows, -1, 1)[::-1]
            for t0 in range(0, n_t, step):
                t1 = min(n_t, t0 + step)
                np.multiply(
                    xf[None, n_h : n_h + t1], view[t0:t1, :t1], out=out[t0:t1, n_h : n_h + t1]
                )
            if n_h:
                ages = np.arange(n_t)[:, None] + self.shift - self.positions[None, :n_h]
                np.multiply(xf[None, :n_h], by_age[ages], out=out[:, :n_h])
            arrays.append(out)
        return arrays[0], arrays[1]
