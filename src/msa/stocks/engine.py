r"""Dynamic stock models: inflow-driven, stock-driven, and chains of delayed stocks.

The survival matrix ``sf[t, c]`` (:func:`msa.survival_matrix`) is the share of cohort ``c``
still in stock at the end of year ``t``. With inflow :math:`i_c` and, optionally, a historic
stock by cohort :math:`h_c` at the end of the year before the first model year (its columns of
``sf`` conditional on that), write :math:`x_c = h_c` for historic cohorts and :math:`x_c = i_c`
for model cohorts. Then

.. math::

    s_{t,c} = x_c \, sf_{t,c}, \qquad s_t = \sum_c s_{t,c}, \qquad
    o_{t,c} = x_c \, (sf_{t-1,c} - sf_{t,c} + [t = c]), \qquad o_t = \sum_c o_{t,c}

with :math:`sf_{t_0-1,c} = 1` for historic cohorts and 0 for the others, so that
inflow - outflow = stock change (by telescoping, to rounding) and no outflow is negative.
The stock-driven model solves the lower-triangular system
:math:`\sum_{c \le t} sf_{t,c} x_c = s_t` for the inflows by forward substitution,
:math:`i_t = (s_t - \sum_{c<t} sf_{t,c} x_c) / sf_{t,t}`, the algorithm of ODYM and flodym.

Every extra dim (region, product, material, chemistry, sample ...) is computed at once: the
totals are one batched matrix product (inflow-driven) or one triangular solve (stock-driven)
over all series; cohort arrays are built only when asked for (``by_cohort=True``), in place,
so a totals-only run never holds an O(N T^2) array of its own.

A lifetime that varies over dims of its own (Monte Carlo samples, a shape per region) but not
by cohort and without a year factor has a Toeplitz survival matrix per series,
:math:`sf_{t,c} = S_{t-c}`: such a run works on the curves :math:`S_a` by age instead of on
matrices (``msa.stocks._convolution``: causal convolutions, a blocked Toeplitz solve, cohort
arrays written from strided views), O(N T) memory besides the cohort arrays. Other runs over
many survival matrices are split into chunks along the lifetime's largest dim
(``msa.stocks._chunks``). BLAS runs on :data:`BLAS_THREADS` thread(s) meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import xarray as xr

from msa.errors import (
    ConfigError,
    DataError,
    DimensionError,
    LifetimeError,
    StockModelError,
)
from msa.messages import locate, plain
from msa.stocks._chunks import chunked
from msa.stocks._convolution import AgeFrame, runs_by_age
from msa.stocks._frame import Frame, cohort_arrays, dataset, pair, run_attrs
from msa.stocks.lifetimes import Lifetime, ParamLike
from msa.stocks.survival import InflowAt, quadrature, survival_matrix
from msa.system.blas import blas_threads

__all__ = ["chain", "inflow_driven", "quadrature", "stock_driven", "survival_matrix"]

NegativeInflow = Literal["allow", "error", "correct"]

#: Relative tolerance (to the largest stock of a series) below which a residual demand in a
#: year with zero survival in the inflow year, or a negative inflow, counts as rounding.
RTOL = 1e-9

#: Largest survival matrix (bytes) a totals-only run (``by_cohort=False``) holds at once. A
#: lifetime that varies over a dim of many series (e.g. Monte Carlo samples) has one T x C
#: matrix per series; beyond this size the run is split into chunks along that dim, so the
#: memory stays bounded instead of O(N T^2).
SF_CHUNK_BYTES = 64 * 2**20

#: The same bound for runs that return cohort arrays (``by_cohort=True``). Unchunked, such a
#: run holds the survival and outflow-share matrices (each the size of one cohort array when
#: the lifetime varies per series) next to the two cohort arrays: 2x their size. In chunks,
#: each chunk's results are written into the preallocated outputs, so the peak stays near the
#: size of the returned arrays (bench/README.md).
SF_CHUNK_BYTES_COHORT = 16 * 2**20

#: BLAS threads while a stock model runs (threadpoolctl); None leaves BLAS as it is. Its
#: products and solves are small (T x C matrices): with OpenBLAS's default threads they ran
#: 2.5-12x slower than on one thread, far more on a busy machine (bench/README.md).
BLAS_THREADS: int | None = 1

#: Runs whose largest product (years x cohorts x series) is below this leave BLAS alone:
#: OpenBLAS runs such products on one thread anyway (its threshold is 4 x 65536 multiply-adds),
#: and setting the limit and back costs about 50 us, 5 % of a run of 50 years.
BLAS_LIMIT_FROM = 4 * 65536


def inflow_driven(
    inflow: xr.DataArray,
    lifetime: Lifetime,
    *,
    inflow_at: InflowAt = "middle",
    n_pts_per_interval: int = 1,
    initial_stock_by_cohort: xr.DataArray | None = None,
    by_cohort: bool = True,
) -> xr.Dataset:
    r"""Return stock and outflow of a stock fed by ``inflow`` whose items age by ``lifetime``.

    Parameters
    ----------
    inflow : DataArray
        Inflow per year, over ``time`` (consecutive integer years) and any other dims; finite
        and non-negative.
    lifetime : Lifetime
        E.g. ``msa.WeibullLifetime(shape, scale)``; parameters may vary by ``cohort`` and any
        other dim; lifetime factors by cohort and by year apply.
    inflow_at : {"start", "middle", "end"}
        When the inflow enters within its year: "middle" (default, flodym), "end" (ODYM).
    n_pts_per_interval : int
        1, or 2-10 Gauss-Lobatto points spreading the inflow over its year (short lifetimes).
    initial_stock_by_cohort : DataArray, optional
        The stock at the end of the year before the first year, by ``cohort`` (years of entry
        before the first year) and the other dims of ``inflow``.
    by_cohort : bool
        Also return ``stock_by_cohort`` and ``outflow_by_cohort`` (``time`` x ``cohort``);
        False saves their O(N T²) memory and time.

    Returns
    -------
    xarray.Dataset
        ``inflow``, ``outflow``, ``stock`` (end of year), ``stock_change``, and with
        ``by_cohort`` the cohort arrays; units from ``inflow.attrs["units"]``.

    Raises
    ------
    DataError
        A NaN, infinite or negative inflow or initial stock (naming the coordinates).
    DimensionError
        No ``time`` dim, years not consecutive, initial-stock cohorts not before the first year
        or dims that differ from the inflow's.
    LifetimeError
        A lifetime parameter or factor lacks a cohort, year or label the model needs.
    StockModelError
        An initial stock in a cohort the lifetime says cannot have survived.

    Notes
    -----
    :math:`s_{t,c} = i_c \, sf_{t,c}`, :math:`s_t = \sum_c s_{t,c}`,
    :math:`o_t = \sum_c o_{t,c}` (module docstring). Inflow - outflow = stock change to
    rounding. Equal to flodym 1.1 ``InflowDrivenDSM`` on annual grids.

    Examples
    --------
    >>> import xarray as xr, msa
    >>> years = [2020, 2021, 2022]
    >>> inflow = xr.DataArray([10.0, 10.0, 10.0], dims="time", coords={"time": years})
    >>> ds = msa.inflow_driven(inflow, msa.FixedLifetime(2), inflow_at="end")
    >>> ds.stock.values, ds.outflow.values
    (array([10., 20., 20.]), array([ 0.,  0., 10.]))
    """
    _check_arguments(inflow, lifetime, "inflow")
    with (
        blas_threads(_blas_limit(inflow, lifetime, initial_stock_by_cohort)),
        np.errstate(over="ignore", invalid="ignore"),  # an overflow is refused below, by name
    ):
        done = _inflow_driven(
            inflow, lifetime, inflow_at, n_pts_per_interval, initial_stock_by_cohort, by_cohort
        )
    return _finite(done, "inflow-driven")


def _check_arguments(values: object, lifetime: object, what: str) -> None:
    """Refuse, naming the argument, a lifetime that is no Lifetime and values that are no numbers.

    Raises
    ------
    LifetimeError, DataError, DimensionError
    """
    if not isinstance(lifetime, Lifetime):
        raise LifetimeError(
            f"lifetime must be an msa lifetime such as msa.WeibullLifetime(shape, scale) (got "
            f"{type(lifetime).__name__} {lifetime!r})"
        )
    if not isinstance(values, xr.DataArray):
        raise DataError(f"{what} must be an xarray.DataArray (got {type(values).__name__})")
    if values.dtype.kind not in "iuf":
        raise DataError(
            f"{what}: values must be numbers (got dtype {values.dtype}, e.g. "
            f"{plain(values.values.flat[0]) if values.size else None!r})"
        )
    if "time" in values.coords and values["time"].dtype.kind not in "iuf":
        raise DimensionError(
            f"{what}: time labels must be integer years (got {values['time'].values[:3].tolist()})"
        )


def _finite(ds: xr.Dataset, mode: str) -> xr.Dataset:
    """Return ``ds``, or refuse a result that overflowed to inf (inputs near 1e308).

    The totals are checked, not the cohort arrays (an infinite cohort makes its total infinite
    or NaN), so the check costs no memory of the size of the cohort arrays.
    """
    for name, var in ds.data_vars.items():
        if "cohort" in var.dims:
            continue
        bad = ~np.isfinite(var.values)
        if bad.any():
            raise StockModelError(
                f"{mode} stock model: {name} overflows to {plain(var.values[bad][0])!r} "
                f"{locate(var, bad)}; the inputs are too large to add up in floating point "
                "(check their units)"
            )
    return ds


def _blas_limit(values: object, lifetime: object, initial: object) -> int | None:
    """Return the BLAS thread limit for a run: :data:`BLAS_THREADS`, or None for a small one.

    The size of a run is years x cohorts x series, the series counting the lifetime's own dims.
    """
    if not isinstance(values, xr.DataArray) or "time" not in values.dims:
        return BLAS_THREADS
    size = values.size * values.sizes["time"]
    if isinstance(initial, xr.DataArray):
        size += values.size * initial.sizes.get("cohort", 0)
    if isinstance(lifetime, Lifetime):
        own = {}
        for arr in (*lifetime.parameters.values(), *lifetime.factors.values()):
            own.update({d: n for d, n in arr.sizes.items() if d not in values.dims})
        size *= int(np.prod([n for d, n in own.items() if d not in ("cohort", "age")]))
    return BLAS_THREADS if size >= BLAS_LIMIT_FROM else None


def _inflow_driven(
    inflow: xr.DataArray,
    lifetime: Lifetime,
    inflow_at: InflowAt,
    n_pts_per_interval: int,
    initial_stock_by_cohort: xr.DataArray | None,
    by_cohort: bool,
) -> xr.Dataset:
    """:func:`inflow_driven`, once BLAS is set up."""
    args = (inflow, lifetime, initial_stock_by_cohort, inflow_at, n_pts_per_interval, "inflow")
    frame: Frame
    if runs_by_age(inflow, lifetime):
        frame = AgeFrame(*args)
    else:
        kwargs = {"inflow_at": inflow_at, "n_pts_per_interval": n_pts_per_interval}
        budget = SF_CHUNK_BYTES_COHORT if by_cohort else SF_CHUNK_BYTES
        in_chunks = chunked(
            inflow_driven, inflow, lifetime, initial_stock_by_cohort, by_cohort, kwargs, budget
        )
        if in_chunks is not None:
            return in_chunks
        frame = Frame(*args)
    x = frame.values
    if frame.initial is not None:
        x = np.concatenate(pair(frame.initial, x), axis=-2)
    stock = frame.apply(x)
    outflow = frame.apply(x, outflow=True)
    sb = ob = None
    if by_cohort:
        sb, ob = frame.cohort_arrays(x)
    attrs = run_attrs("inflow-driven", lifetime, inflow_at, n_pts_per_interval)
    return dataset(frame, frame.values, stock, outflow, by_cohort, sb, ob, {}, attrs)


def stock_driven(
    stock: xr.DataArray,
    lifetime: Lifetime,
    *,
    inflow_at: InflowAt = "middle",
    n_pts_per_interval: int = 1,
    initial_stock_by_cohort: xr.DataArray | None = None,
    by_cohort: bool = True,
    negative_inflow: NegativeInflow = "allow",
) -> xr.Dataset:
    r"""Return the inflow and outflow that keep the stock at ``stock`` as items age by ``lifetime``.

    Parameters
    ----------
    stock : DataArray
        Stock at the end of each year, over ``time`` (consecutive integer years) and any other
        dims; finite and non-negative.
    lifetime : Lifetime
        The lifetime distribution (see :func:`inflow_driven`).
    inflow_at, n_pts_per_interval : see :func:`inflow_driven`.
    initial_stock_by_cohort : DataArray, optional
        Historic stock by ``cohort`` at the end of the year before the first year. Without it
        the whole first-year stock is the first cohort (as ODYM and flodym).
    by_cohort : bool
        Also return ``stock_by_cohort`` and ``outflow_by_cohort``.
    negative_inflow : {"allow", "error", "correct"}
        What to do when the stock falls faster than its cohorts leave, so the inflow would be
        negative: return it ("allow", as flodym), raise :class:`msa.StockModelError` naming
        the year and coordinates ("error"), or set the inflow to 0 and retire the surplus from
        the cohorts in stock in proportion to their size ("correct"); the retired mass is part
        of ``outflow`` and is also returned as ``outflow_correction``.

    Returns
    -------
    xarray.Dataset
        ``inflow``, ``outflow``, ``stock`` (the input), ``stock_change``, optionally the
        cohort arrays and ``outflow_correction``.

    Raises
    ------
    StockModelError
        If ``sf[t, t] == 0`` (nothing of the year's inflow survives to the end of the year)
        while the stock needs an inflow in that year, or for a negative inflow under "error".

    Notes
    -----
    Forward substitution :math:`i_t = (s_t - \sum_{c<t} sf_{t,c} x_c) / sf_{t,t}`, solved for
    every series at once with one LAPACK triangular solve (``scipy.linalg.solve_triangular``)
    when the lifetime does not vary over a dim of its own; by a blocked solve of the Toeplitz
    systems of all series at once when it does but not by cohort (module docstring); otherwise,
    and for ``negative_inflow="correct"`` (which must see each year's cohorts before the next),
    or when some :math:`sf_{t,t} = 0`, by a loop over years that is vectorised over cohorts and
    series. The correction in year t, when
    :math:`r_t = \sum_{c<t} s_{t,c} > s_t`: :math:`i_t = 0`, every cohort in stock is scaled by
    :math:`s_t / r_t` from year t on, and :math:`r_t - s_t` leaves as extra outflow.

    Examples
    --------
    >>> import xarray as xr, msa
    >>> years = [2020, 2021, 2022]
    >>> stock = xr.DataArray([10.0, 20.0, 20.0], dims="time", coords={"time": years})
    >>> msa.stock_driven(stock, msa.FixedLifetime(2), inflow_at="end").inflow.values
    array([10., 10., 10.])
    """
    if negative_inflow not in ("allow", "error", "correct"):
        raise ConfigError(
            f"negative_inflow must be 'allow', 'error' or 'correct' (got {negative_inflow!r})"
        )
    _check_arguments(stock, lifetime, "stock")
    with (
        blas_threads(_blas_limit(stock, lifetime, initial_stock_by_cohort)),
        np.errstate(over="ignore", invalid="ignore"),  # an overflow is refused below, by name
    ):
        done = _stock_driven(
            stock,
            lifetime,
            inflow_at,
            n_pts_per_interval,
            initial_stock_by_cohort,
            by_cohort,
            negative_inflow,
        )
    return _finite(done, "stock-driven")


def _stock_driven(
    stock: xr.DataArray,
    lifetime: Lifetime,
    inflow_at: InflowAt,
    n_pts_per_interval: int,
    initial_stock_by_cohort: xr.DataArray | None,
    by_cohort: bool,
    negative_inflow: NegativeInflow,
) -> xr.Dataset:
    """:func:`stock_driven`, once BLAS is set up."""
    args = (stock, lifetime, initial_stock_by_cohort, inflow_at, n_pts_per_interval, "stock")
    frame: Frame | None = None
    inflow = None
    if negative_inflow != "correct" and runs_by_age(stock, lifetime):
        frame = AgeFrame(*args)
        inflow = frame.solve(frame.values)
        if inflow is None:  # S[0] = 0 for some series: forward substitution on matrices
            frame = None
    if frame is None:
        kwargs = {
            "inflow_at": inflow_at,
            "n_pts_per_interval": n_pts_per_interval,
            "negative_inflow": negative_inflow,
        }
        budget = SF_CHUNK_BYTES_COHORT if by_cohort else SF_CHUNK_BYTES
        in_chunks = chunked(
            stock_driven, stock, lifetime, initial_stock_by_cohort, by_cohort, kwargs, budget
        )
        if in_chunks is not None:
            return in_chunks
        frame = Frame(*args)
    target = frame.values
    tol = RTOL * np.max(np.abs(target), axis=-2, keepdims=True)
    rows = None
    correction = None
    if inflow is None:
        inflow, rows, correction = _matrix_inflow(frame, target, tol, negative_inflow, by_cohort)
    if negative_inflow == "error":
        neg = inflow < -tol
        if neg.any():
            da = frame.to_da(np.where(neg, inflow, 0.0))
            mask = da.values < 0
            raise StockModelError(
                f"stock-driven model needs a negative inflow {plain(da.values[mask][0])!r} "
                f"{locate(da, mask)}: the stock falls faster than its cohorts leave; pass "
                "negative_inflow='correct' to retire cohorts early, or 'allow'"
            )
    x = inflow
    if frame.initial is not None:
        x = np.concatenate(pair(frame.initial, inflow), axis=-2)
    sb = ob = None
    if by_cohort:
        sb, ob = frame.cohort_arrays(x) if rows is None else cohort_arrays(frame, x, rows)
    extra = {} if correction is None else {"outflow_correction": correction}
    attrs = run_attrs("stock-driven", lifetime, inflow_at, n_pts_per_interval)
    attrs["negative_inflow"] = negative_inflow
    stock_out = np.broadcast_to(target, inflow.shape)
    # Outflow as the sum of the cohorts' outflows (never negative for non-negative inflows);
    # with the correction the cohorts were rescaled, so it is inflow - stock change there.
    outflow = None if correction is not None else frame.apply(x, outflow=True)
    return dataset(frame, inflow, stock_out, outflow, by_cohort, sb, ob, extra, attrs)


def _matrix_inflow(
    frame: Frame, target: np.ndarray, tol: np.ndarray, mode: str, by_cohort: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Solve for the inflows on survival matrices: (inflow, stock by cohort rows, correction).

    One triangular solve when every sf[t, t] > 0 and no correction is asked for; else
    forward substitution year by year (:func:`_forward`).
    """
    n_t, n_h = len(frame.years), frame.n_hist
    sf_model = frame.sf[..., n_h:]
    diag = np.diagonal(sf_model, axis1=-2, axis2=-1)
    if mode == "correct" or not bool((diag > 0).all()):
        return _forward(frame, target, tol, mode, by_cohort)
    rhs = target
    if frame.initial is not None:
        rhs = target - np.matmul(frame.sf[..., :n_h], frame.initial)
    rhs = np.broadcast_to(rhs, (*frame.sf.shape[:-2], n_t, rhs.shape[-1]))
    return _solve(sf_model, rhs), None, None


def _solve(sf: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve sf @ x = rhs for x, lower triangular, over the leading batch axes.

    All series share one matrix: one LAPACK triangular solve with every series as a column.
    One matrix per batch cell (a lifetime with dims of its own): forward substitution, one
    step per year vectorised over the batch and the series, not a loop over the series.
    """
    import scipy.linalg

    n_t = sf.shape[-2]
    if sf.size == n_t * sf.shape[-1]:
        square = sf.reshape(sf.shape[-2:])
        out = scipy.linalg.solve_triangular(
            square, rhs.reshape(rhs.shape[-2:]), lower=True, check_finite=False
        )
        # LAPACK returns Fortran order; the cohort arrays read x row by row (C order).
        return np.ascontiguousarray(out).reshape(rhs.shape)
    x = np.empty(rhs.shape)
    for i in range(n_t):
        remaining = np.einsum("...c,...cm->...m", sf[..., i, :i], x[..., :i, :])
        x[..., i, :] = (rhs[..., i, :] - remaining) / sf[..., i, i, None]
    return x


def _forward(
    frame: Frame, target: np.ndarray, tol: np.ndarray, mode: str, by_cohort: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Forward substitution year by year, vectorised over cohorts and series.

    Returns (inflow, stock by cohort rows or None, correction or None).
    """
    n_t, n_h = len(frame.years), frame.n_hist
    sf = frame.sf
    batch = np.broadcast_shapes(sf.shape[:-2], target.shape[:-2])
    n_col = target.shape[-1]
    x = np.zeros((*batch, len(frame.cohorts), n_col))
    if frame.initial is not None:
        x[..., :n_h, :] = frame.initial
    target = np.broadcast_to(target, (*batch, n_t, n_col))
    tol = np.broadcast_to(tol, (*batch, 1, n_col))[..., 0, :]
    inflow = np.zeros((*batch, n_t, n_col))
    correct = mode == "correct"
    correction = np.zeros((*batch, n_t, n_col)) if correct else None
    rows = np.empty((*batch, n_t, len(frame.cohorts), n_col)) if correct and by_cohort else None
    sf_b = np.broadcast_to(sf, (*batch, n_t, len(frame.cohorts)))
    for i in range(n_t):
        col = n_h + i
        weights = sf_b[..., i, :col]
        remaining = np.einsum("...c,...cm->...m", weights, x[..., :col, :])
        need = target[..., i, :] - remaining
        if correction is not None:
            over = need < 0
            if over.any():
                keep = np.where(over, target[..., i, :] / np.where(over, remaining, 1.0), 1.0)
                x[..., :col, :] *= keep[..., None, :]
                correction[..., i, :] = np.where(over, -need, 0.0)
                need = np.where(over, 0.0, need)
        d = sf_b[..., i, col][..., None]
        zero = np.broadcast_to(d == 0, need.shape)
        if zero.any():
            bad = zero & (np.abs(need) > tol)
            if bad.any():
                da = frame.to_da(np.where(bad, need, 0.0)[..., None, :].repeat(n_t, axis=-2))
                da = da.isel(time=i)
                mask = da.values != 0
                raise StockModelError(
                    f"stock-driven model: nothing of the inflow of {frame.years[i]} survives to "
                    f"the end of that year (sf[t, t] = 0) but the stock needs "
                    f"{plain(da.values[mask][0])!r} more {locate(da, mask)}; use a longer "
                    "lifetime, inflow_at='start'/'middle', or n_pts_per_interval > 1"
                )
        x[..., col, :] = np.where(zero, 0.0, need / np.where(d == 0, 1.0, d))
        inflow[..., i, :] = x[..., col, :]
        if rows is not None:
            np.multiply(sf_b[..., i, :, None], x, out=rows[..., i, :, :])
    return inflow, rows, correction


def chain(
    inflow: xr.DataArray,
    lifetimes: Sequence[Lifetime],
    shares: Sequence[ParamLike],
    *,
    names: Sequence[str] | None = None,
    inflow_at: InflowAt = "middle",
    n_pts_per_interval: int = 1,
    by_cohort: bool = False,
) -> dict[str, xr.Dataset]:
    r"""Run stocks in series: a share of each stock's outflow feeds the next one.

    Use it for delays after use: an end-of-life stock (products kept before discard, JRC
    E.1.2/E.1.8), a hibernating stock (kept, not used; msa's N.4/N.5), second life (EV
    batteries repurposed as stationary storage), landfill or any further stock. Each stage is
    an inflow-driven model (:func:`inflow_driven`) of its own lifetime.

    Parameters
    ----------
    inflow : DataArray
        Inflow into the first stock.
    lifetimes : sequence of Lifetime
        One lifetime per stock, in order.
    shares : sequence of float or DataArray
        ``len(lifetimes) - 1`` shares in [0, 1]: the share of stock k's outflow that enters
        stock k + 1 (may vary over ``time`` and other dims). The rest leaves the chain.
    names : sequence of str, optional
        Stock names (default ``stock_1``, ``stock_2`` ...).
    inflow_at, n_pts_per_interval, by_cohort : see :func:`inflow_driven`.

    Returns
    -------
    dict of str to xarray.Dataset
        Per stock, the :func:`inflow_driven` result plus ``to_next`` (the share of the outflow
        passed on; absent for the last stock) and ``leaving`` (outflow - to_next).

    Notes
    -----
    :math:`i^{(k+1)}_t = \alpha^{(k)}_t o^{(k)}_t`; mass is conserved exactly:
    :math:`\sum_k \Delta s^{(k)}_t = i^{(1)}_t - \sum_k \text{leaving}^{(k)}_t`.

    Examples
    --------
    >>> import xarray as xr, msa
    >>> inflow = xr.DataArray([10.0, 0, 0, 0], dims="time", coords={"time": [1, 2, 3, 4]})
    >>> out = msa.chain(inflow, [msa.FixedLifetime(1), msa.FixedLifetime(1)], [0.5],
    ...                 names=["use", "drawer"], inflow_at="end")
    >>> out["use"].outflow.values, out["drawer"].stock.values
    (array([ 0., 10.,  0.,  0.]), array([0., 5., 0., 0.]))
    """
    lifetimes = list(lifetimes)
    shares = list(shares)
    if not lifetimes:
        raise ConfigError("chain needs at least one lifetime")
    if len(shares) != len(lifetimes) - 1:
        raise ConfigError(
            f"chain needs {len(lifetimes) - 1} share(s) for {len(lifetimes)} stocks (the share "
            f"of each stock's outflow that enters the next); got {len(shares)}"
        )
    names = list(names) if names is not None else [f"stock_{k + 1}" for k in range(len(lifetimes))]
    if len(names) != len(lifetimes) or len(set(names)) != len(names):
        raise ConfigError(f"chain needs {len(lifetimes)} distinct names (got {names})")
    out: dict[str, xr.Dataset] = {}
    feed = inflow
    for k, (name, lifetime) in enumerate(zip(names, lifetimes, strict=True)):
        ds = inflow_driven(
            feed,
            lifetime,
            inflow_at=inflow_at,
            n_pts_per_interval=n_pts_per_interval,
            by_cohort=by_cohort,
        )
        if k < len(shares):
            share = _share(shares[k], f"share {k} ({name} -> {names[k + 1]})")
            to_next = (ds.outflow * share).transpose(*ds.outflow.dims, ...)
            ds["to_next"] = to_next
            ds["leaving"] = ds.outflow - to_next
            feed = to_next
            feed.attrs = dict(inflow.attrs)
        else:
            ds["leaving"] = ds.outflow
        for var in ("to_next", "leaving"):
            if var in ds and "units" in inflow.attrs:
                ds[var].attrs["units"] = inflow.attrs["units"]
        ds.attrs["chain_position"] = k + 1
        out[name] = ds
    return out


def _share(value: ParamLike, what: str) -> xr.DataArray:
    da = value if isinstance(value, xr.DataArray) else xr.DataArray(float(value))
    data = da.values
    bad = ~np.isfinite(data) | (data < 0) | (data > 1)
    if bad.any():
        raise ConfigError(
            f"chain: {what} must be within [0, 1] (got {plain(data[bad][0])!r} {locate(da, bad)})"
        )
    return da
