"""The numpy layout of a stock model run, and the assembly of its result Dataset.

Private to :mod:`msa.stocks`. A run is laid out as (*batch, time, cohort, columns): ``batch``
holds the dims the survival matrix varies over (the lifetime's own dims), ``columns`` the other
dims of the input, flattened, so one matrix product or triangular solve covers every series.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError, DimensionError, StockModelError
from msa.messages import locate, plain
from msa.stocks.lifetimes import Lifetime
from msa.stocks.survival import check_years, survival_and_anchor


class Frame:
    """The numpy layout of one stock model run: batch dims, time, cohort, columns."""

    #: True if :meth:`cohort_arrays` returns arrays already in the result's layout.
    final_cohort_layout = False

    def __init__(
        self,
        values: xr.DataArray,
        lifetime: Lifetime,
        initial: xr.DataArray | None,
        inflow_at: str,
        n_pts: int,
        what: str,
    ) -> None:
        if not isinstance(values, xr.DataArray):
            raise DataError(f"{what} must be an xarray.DataArray (got {type(values).__name__})")
        if "time" not in values.dims:
            raise DimensionError(f"{what} must have a 'time' dim (got dims {values.dims})")
        if "cohort" in values.dims:
            raise DimensionError(f"{what} must not have a 'cohort' dim")
        if "time" not in values.coords:
            raise DimensionError(f"{what}: the 'time' dim needs coordinate labels (years)")
        self.years = check_years(values["time"].values, f"{what} time")
        _check_data(values, what)
        self.units = values.attrs.get("units")
        self.other = [d for d in values.dims if d != "time"]
        coords = {d: values[d] for d in self.other if d in values.coords}
        t0 = int(self.years[0])
        hist = np.array([], dtype=np.int64)
        if initial is not None:
            initial = _check_initial(initial, values, t0)
            hist = initial["cohort"].values.astype(np.int64)
        self.n_hist = len(hist)
        self.cohorts = np.concatenate([hist, self.years])
        survival, anchor = self._survival(lifetime, inflow_at, n_pts, coords)
        if initial is not None and anchor is not None:
            bad = (initial > 0) & (anchor == 0)
            if bool(bad.any()):
                b = bad.transpose(*bad.dims)
                cell = locate(b, b.values)
                raise StockModelError(
                    f"initial_stock_by_cohort is > 0 {cell}, but {lifetime!r} gives this cohort "
                    f"zero survival at the end of {t0 - 1}: a stock that cannot exist; check "
                    "the lifetime or the cohort labels"
                )
        self.batch = [d for d in survival.dims if d not in ("time", "cohort", "age")]
        self.columns = [d for d in self.other if d not in self.batch]
        self.coords = {d: survival[d] for d in self.batch if d in survival.coords}
        self.coords.update({d: values[d] for d in self.columns if d in values.coords})
        self.batch_shape = tuple(survival.sizes[d] for d in self.batch)
        self.column_shape = tuple(values.sizes[d] for d in self.columns)
        self._layout(survival, anchor)
        self.values = self._to_np(values)
        self.initial = None if initial is None else self._to_np(initial, "cohort")

    def _survival(
        self, lifetime: Lifetime, inflow_at: str, n_pts: int, coords: dict
    ) -> tuple[xr.DataArray, xr.DataArray | None]:
        """Return the survival (matrix here) and the anchor of the historic cohorts."""
        return survival_and_anchor(lifetime, self.years, self.cohorts, inflow_at, n_pts, coords)

    def _layout(self, survival: xr.DataArray, anchor: xr.DataArray | None) -> None:
        """Keep the survival and outflow-share matrices as (*batch, time, cohort) arrays."""
        self.sf = np.ascontiguousarray(survival.transpose(*self.batch, "time", "cohort").values)
        self.pdf = _outflow_share(self.sf, self.n_hist)

    def apply(self, x: np.ndarray, *, outflow: bool = False) -> np.ndarray:
        """Return sum_c M[t, c] x[c] for M = ``sf`` (or ``pdf`` if ``outflow``), (*, time, cols).

        ``x`` is (*batch (1 where absent), cohort, columns): historic stock then inflows.
        """
        return np.matmul(self.pdf if outflow else self.sf, x)

    def cohort_arrays(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (stock_by_cohort, outflow_by_cohort) in this frame's layout (``x`` as apply)."""
        return cohort_arrays(self, x)

    def _to_np(self, da: xr.DataArray, axis: str = "time") -> np.ndarray:
        """Return ``da`` as (*batch (1 where absent), axis, prod(columns)), float."""
        missing = [d for d in self.batch if d not in da.dims]
        if missing:
            da = da.expand_dims(missing)
        da = da.transpose(*self.batch, axis, *self.columns)
        arr = np.asarray(da.values, dtype=float)
        return arr.reshape(*arr.shape[: len(self.batch) + 1], -1)

    def variable(self, arr: np.ndarray, cohort: bool = False) -> tuple[tuple[str, ...], np.ndarray]:
        """Return (dims, data) of (*batch, time, [cohort,] columns) with time (cohort) first."""
        n_b = len(self.batch_shape)
        full = (*self.batch_shape, *arr.shape[n_b:])
        if arr.shape != full:
            arr = np.broadcast_to(arr, full).copy()
        arr = arr.reshape(*full[:-1], *self.column_shape)
        core = ("time", "cohort") if cohort else ("time",)
        dims = (*self.batch, *core, *self.columns)
        order = (
            *core,
            *[d for d in self.other if d in dims],
            *[d for d in dims if d not in core and d not in self.other],
        )
        return order, arr.transpose([dims.index(d) for d in order])

    def result_dims(self) -> list[Hashable]:
        """Return the dims of a result but ``time`` and ``cohort``, in order (as ``variable``)."""
        return [*self.other, *[d for d in self.batch if d not in self.other]]

    def final(self, arr: np.ndarray) -> np.ndarray:
        """Return (*batch (1 where absent), lead, columns or 1) as (lead, *result_dims), a view.

        Dims ``arr`` lacks stay of size 1, so such arrays broadcast against each other.
        """
        n_cols = int(np.prod(self.column_shape))
        cols = self.column_shape if arr.shape[-1] == n_cols else (1,) * len(self.columns)
        arr = arr.reshape(*arr.shape[:-1], *cols)
        lead = object()  # the name of ``lead``'s axis: no dim's
        dims = (*self.batch, lead, *self.columns)
        return arr.transpose([dims.index(d) for d in (lead, *self.result_dims())])

    def coordinates(self) -> dict[Hashable, np.ndarray]:
        """Coordinate labels of every output dim."""
        coords = {d: np.asarray(v.values) for d, v in self.coords.items()}
        coords["time"] = self.years
        coords["cohort"] = self.cohorts
        return coords

    def to_da(self, arr: np.ndarray, cohort: bool = False) -> xr.DataArray:
        """Wrap (*batch, time, [cohort,] columns) as a DataArray, time (cohort) first."""
        dims, data = self.variable(arr, cohort)
        coords = {d: v for d, v in self.coordinates().items() if d in dims}
        return xr.DataArray(data, dims=dims, coords=coords)

    def initial_total(self) -> np.ndarray:
        """Return the initial stock summed over cohorts, (*batch, columns); 0 without one."""
        if self.initial is None:
            return np.zeros(1)
        return self.initial.sum(axis=-2)


def _check_data(values: xr.DataArray, what: str, *, signed: bool = False) -> None:
    data = values.values
    bad = ~np.isfinite(data)
    if bad.any():
        raise DataError(f"{what}: non-finite value {plain(data[bad][0])!r} {locate(values, bad)}")
    if not signed:
        neg = data < 0
        if neg.any():
            raise DataError(
                f"{what}: negative value {plain(data[neg][0])!r} {locate(values, neg)}; "
                "stock models need non-negative inputs"
            )


def _check_initial(initial: xr.DataArray, values: xr.DataArray, t0: int) -> xr.DataArray:
    what = "initial_stock_by_cohort"
    if not isinstance(initial, xr.DataArray) or "cohort" not in initial.dims:
        raise DimensionError(f"{what} must be a DataArray with a 'cohort' dim (years of entry)")
    if "time" in initial.dims:
        raise DimensionError(
            f"{what} must not have a 'time' dim: it is the stock at the end of {t0 - 1} by cohort"
        )
    cohorts = np.asarray(initial["cohort"].values)
    if not np.issubdtype(cohorts.dtype, np.integer):
        raise DimensionError(f"{what}: cohort labels must be integer years")
    late = cohorts[cohorts >= t0]
    if len(late):
        raise DimensionError(
            f"{what}: cohort {int(late[0])} is not before the first model year {t0}; the "
            f"initial stock is the stock at the end of {t0 - 1}"
        )
    if len(np.unique(cohorts)) != len(cohorts):
        raise DimensionError(f"{what}: duplicate cohort labels")
    other = [d for d in values.dims if d != "time"]
    lacking = [d for d in other if d not in initial.dims]
    extra = [d for d in initial.dims if d != "cohort" and d not in other]
    if lacking or extra:
        raise DimensionError(
            f"{what} must have the dims of the model input besides 'time' ({other}) plus "
            f"'cohort'; it lacks {lacking} and has extra {extra}"
        )
    _check_data(initial, what)
    sel = {}
    for d in other:
        if d in values.coords:
            want = pd.Index(values[d].values)
            have = pd.Index(initial[d].values)
            missing = want.difference(have)
            if len(missing):
                raise DimensionError(f"{what}: no value for {d} {list(missing)[:5]}")
            sel[d] = want
    initial = initial.sel(sel) if sel else initial
    return initial.sortby("cohort").astype(float)


def _outflow_share(sf: np.ndarray, n_h: int) -> np.ndarray:
    """Return pdf[t, c] = sf[t-1, c] - sf[t, c] (1 - sf[c, c] in the inflow year) over (..., T, C).

    Historic cohorts start from 1 (their sf is conditional on the year before the first).
    S is non-increasing, so pdf >= 0; float noise of an ulp below 0 is set to 0 so that no
    outflow is ever negative.
    """
    n_t = sf.shape[-2]
    year = np.arange(n_t)
    pdf = np.empty_like(sf)
    np.subtract(sf[..., :-1, :], sf[..., 1:, :], out=pdf[..., 1:, :])
    np.negative(sf[..., 0, :], out=pdf[..., 0, :])
    pdf[..., 0, :n_h] += 1.0
    pdf[..., year, n_h + year] += 1.0
    return np.maximum(pdf, 0.0, out=pdf)


def cohort_arrays(
    frame: Frame, x: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (stock_by_cohort, outflow_by_cohort) as (*batch, time, cohort, columns).

    ``x`` is (*batch, cohort, columns): historic stock then inflows. ``rows`` (optional) is a
    ready stock by cohort (the corrected stock-driven case).
    """
    n_t, n_h = len(frame.years), frame.n_hist
    year = np.arange(n_t)
    if rows is None:
        shape = np.broadcast_shapes(frame.sf.shape[:-2], x.shape[:-2])
        full = (*shape, n_t, len(frame.cohorts), x.shape[-1])
        sf, pdf = frame.sf, frame.pdf
        # Both arrays are 0 for cohorts after the year (c > t): np.zeros maps those pages
        # lazily and only the lower triangle is written, row by row (each row vectorised
        # over cohorts and series), which saves about a quarter of the memory traffic.
        sb = np.zeros(full)
        ob = np.zeros(full)
        for i in range(n_t):
            live = n_h + i + 1
            np.multiply(sf[..., i, :live, None], x[..., :live, :], out=sb[..., i, :live, :])
            np.multiply(pdf[..., i, :live, None], x[..., :live, :], out=ob[..., i, :live, :])
        return sb, ob
    sb = rows
    ob = np.empty_like(sb)
    np.subtract(sb[..., :-1, :, :], sb[..., 1:, :, :], out=ob[..., 1:, :, :])
    np.negative(sb[..., 0, :, :], out=ob[..., 0, :, :])
    if n_h:
        ob[..., 0, :n_h, :] += x[..., :n_h, :]
    ob[..., year, n_h + year, :] += x[..., n_h:, :]
    return sb, ob


def dataset(frame: Frame, inflow, stock, outflow, by_cohort, sb, ob, extra, attrs) -> xr.Dataset:
    """Assemble the result; ``outflow`` None means inflow - stock change.

    Arrays are in the frame's layout, (*batch, time, [cohort,] columns), but for cohort arrays
    of a frame whose ``final_cohort_layout`` is True: (time, cohort, *result_dims) already.
    """
    before = frame.initial_total()[..., None, :]
    before = np.broadcast_to(before, (*stock.shape[:-2], 1, stock.shape[-1]))
    change = np.diff(stock, axis=-2, prepend=before)
    if outflow is None:
        outflow = inflow - change
    arrays = {"inflow": inflow, "outflow": outflow, "stock": stock, "stock_change": change}
    if by_cohort:
        arrays.update({"stock_by_cohort": sb, "outflow_by_cohort": ob})
    arrays.update(extra)
    var_attrs = {"units": frame.units} if frame.units else {}
    data = {}
    for name, arr in arrays.items():
        cohort = name.endswith("_by_cohort")
        if cohort and frame.final_cohort_layout:
            data[name] = (("time", "cohort", *frame.result_dims()), arr, var_attrs)
        else:
            data[name] = (*frame.variable(arr, cohort=cohort), var_attrs)
    coords = frame.coordinates()
    if not by_cohort:
        del coords["cohort"]
    return xr.Dataset(data, coords=coords, attrs=attrs)


def pair(a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Broadcast ``a`` and ``b`` on every axis but the second last (to concatenate on it)."""
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    cols = max(a.shape[-1], b.shape[-1])
    return [
        np.broadcast_to(a, (*lead, a.shape[-2], cols)),
        np.broadcast_to(b, (*lead, b.shape[-2], cols)),
    ]


def run_attrs(mode: str, lifetime: Lifetime, inflow_at: str, n_pts: int) -> dict[str, object]:
    """Return the attrs of a stock model result: mode, lifetime, inflow timing, points."""
    return {
        "stock_model": mode,
        "lifetime": repr(lifetime),
        "inflow_at": inflow_at if n_pts == 1 else f"spread ({n_pts} Gauss-Lobatto points)",
        "n_pts_per_interval": int(n_pts),
    }
