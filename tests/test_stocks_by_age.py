"""Lifetimes varying along a dim of their own: the convolution path equals one run per item.

A lifetime whose parameters vary along a dim (Monte Carlo samples, regions) but not by cohort
and without a year factor runs on its survival curves by age (msa.stocks._convolution). Each
test here runs such a lifetime once, vectorised, and once per item of that dim with the item's
scalar parameters (the survival-matrix path), and asserts the two agree.
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest
import scipy.linalg
import xarray as xr
from threadpoolctl import threadpool_info

import msa
import msa.stocks.engine
from msa.stocks import _convolution
from msa.system import blas as _threads

YEARS = list(range(2000, 2014))
T = len(YEARS)
N = 17  # >= _convolution.SHARED_MIN: a Monte Carlo over the lifetime takes the BLAS branch
SAMPLE = {"sample": np.arange(N)}
REGION = {"region": ["NL", "BE", "DE"]}
PRODUCT = {"product": ["car", "bus"]}


def _along(values, dim="sample", coords=None) -> xr.DataArray:
    coords = coords or SAMPLE
    return xr.DataArray(np.asarray(values, dtype=float), dims=dim, coords={dim: coords[dim]})


def _spread(low: float, high: float, dim="sample", coords=None) -> xr.DataArray:
    n = len((coords or SAMPLE)[dim])
    return _along(np.linspace(low, high, n), dim, coords)


def _curves(dim="sample", coords=None) -> xr.DataArray:
    """Empirical survival curves by age, one per item of ``dim``, all different."""
    n = len((coords or SAMPLE)[dim])
    ages = [0, 2, 4, 7, 11]
    stretch = np.linspace(0.6, 1.4, n)[:, None]
    base = np.array([1.0, 0.9, 0.6, 0.25, 0.0])
    values = np.clip(1.0 - (1.0 - base[None, :]) / stretch, 0.0, 1.0)
    return xr.DataArray(
        values, dims=(dim, "age"), coords={dim: (coords or SAMPLE)[dim], "age": ages}
    )


def _lifetime(kind: str, dim="sample", coords=None) -> msa.Lifetime:
    s = lambda low, high: _spread(low, high, dim, coords)  # noqa: E731 - a local shorthand
    return {
        "fixed": lambda: msa.FixedLifetime(s(5.0, 9.0)),
        "normal": lambda: msa.NormalLifetime(s(4.0, 10.0), s(1.0, 3.0)),
        "truncnormal": lambda: msa.TruncatedNormalLifetime(s(1.0, 8.0), 3.0),
        "foldednormal": lambda: msa.FoldedNormalLifetime(s(0.5, 6.0), 2.5),
        "lognormal": lambda: msa.LogNormalLifetime(s(4.0, 12.0), s(2.0, 5.0)),
        "weibull": lambda: msa.WeibullLifetime(s(1.2, 4.0), s(5.0, 12.0)),
        "gamma": lambda: msa.GammaLifetime(s(1.5, 6.0), 1.5),
        "exponential": lambda: msa.ExponentialLifetime(s(2.0, 9.0)),
        "empirical": lambda: msa.EmpiricalLifetime(_curves(dim, coords)),
    }[kind]()


KINDS = [
    "fixed",
    "normal",
    "truncnormal",
    "foldednormal",
    "lognormal",
    "weibull",
    "gamma",
    "exponential",
    "empirical",
]


def _item(lifetime: msa.Lifetime, dim: str, label) -> msa.Lifetime:
    """Return the lifetime of one item of ``dim``: scalar parameters (or its own curve)."""
    if isinstance(lifetime, msa.EmpiricalLifetime):
        return msa.EmpiricalLifetime(lifetime.survival_table.sel({dim: label}, drop=True))
    params = {
        name: float(p.sel({dim: label})) if dim in p.dims else float(p)
        for name, p in lifetime.parameters.items()
    }
    return type(lifetime)(**params)


def _one_by_one(func, values, lifetime, dim, labels, **kw) -> xr.Dataset:
    """Run ``func`` once per item of ``dim`` (the matrix path) and join the results."""
    parts = []
    for label in labels:
        part_values = values.sel({dim: label}, drop=True) if dim in values.dims else values
        initial = kw.get("initial_stock_by_cohort")
        part_kw = dict(kw)
        if initial is not None and dim in initial.dims:
            part_kw["initial_stock_by_cohort"] = initial.sel({dim: label}, drop=True)
        parts.append(func(part_values, _item(lifetime, dim, label), **part_kw))
    return xr.concat(parts, dim=xr.DataArray(labels, dims=dim, name=dim), combine_attrs="override")


def _values(layout: str) -> tuple[xr.DataArray, str, np.ndarray]:
    """Inflow of a layout, the dim the lifetime varies along, and that dim's labels.

    "series": the input varies along the lifetime's dim (a lifetime per region);
    "shared": it does not (a Monte Carlo over the lifetime only);
    "columns": the input also has a dim the lifetime lacks (product).
    """
    rng = np.random.default_rng(3)
    base = 40 + 3 * np.arange(T) + 8 * np.sin(np.arange(T))
    time = {"time": YEARS}
    if layout == "series":
        data = base[:, None] * rng.uniform(0.5, 1.5, (T, 3))
        da = xr.DataArray(data, dims=("time", "region"), coords={**time, **REGION})
        return da.assign_attrs(units="t"), "region", np.array(REGION["region"])
    if layout == "shared":
        da = xr.DataArray(base, dims="time", coords=time, attrs={"units": "t"})
        return da, "sample", SAMPLE["sample"]
    data = base[:, None, None] * rng.uniform(0.5, 1.5, (T, 3, 2))
    da = xr.DataArray(
        data, dims=("time", "region", "product"), coords={**time, **REGION, **PRODUCT}
    )
    return da.assign_attrs(units="t"), "region", np.array(REGION["region"])


def _initial(values: xr.DataArray) -> xr.DataArray:
    """Return a historic stock at the end of 1999 in cohorts 1995, 1997, 1999 (gaps)."""
    other = [d for d in values.dims if d != "time"]
    shape = [3] + [values.sizes[d] for d in other]
    data = np.linspace(5.0, 20.0, int(np.prod(shape))).reshape(shape)
    coords = {"cohort": [1995, 1997, 1999], **{d: values[d].values for d in other}}
    return xr.DataArray(data, dims=("cohort", *other), coords=coords)


def _assert_equal(got: xr.Dataset, want: xr.Dataset) -> None:
    assert set(got.data_vars) == set(want.data_vars)
    for name in want.data_vars:
        a, b = got[name], want[name].transpose(*got[name].dims)
        scale = max(float(np.abs(b).max()), 1.0)
        np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-11 * scale, err_msg=name)
        assert a.attrs == b.attrs


class _Spy(_convolution.AgeFrame):
    """Counts the runs that take the convolution path."""

    runs = 0

    def __init__(self, *args, **kwargs):
        type(self).runs += 1
        super().__init__(*args, **kwargs)


@pytest.fixture
def spy(monkeypatch):
    _Spy.runs = 0
    monkeypatch.setattr(msa.stocks.engine, "AgeFrame", _Spy)
    return _Spy


@pytest.mark.parametrize("layout", ["series", "shared", "columns"])
@pytest.mark.parametrize("kind", KINDS)
def test_varying_lifetime_equals_one_run_per_item(kind, layout, spy):
    """Every distribution, varying along a dim, equals one run per item (inflow and stock)."""
    values, dim, labels = _values(layout)
    lifetime = _lifetime(kind, dim, REGION if dim == "region" else SAMPLE)
    kw = {"initial_stock_by_cohort": _initial(values)}
    ds = msa.inflow_driven(values, lifetime, **kw)
    assert spy.runs == 1
    _assert_equal(ds, _one_by_one(msa.inflow_driven, values, lifetime, dim, labels, **kw))
    if layout == "shared":
        return  # a stock per sample: the stock-driven input is the series layout's
    sd = msa.stock_driven(ds.stock, lifetime, **kw)
    assert spy.runs == 2
    _assert_equal(sd, _one_by_one(msa.stock_driven, ds.stock, lifetime, dim, labels, **kw))


@pytest.mark.parametrize(("inflow_at", "n_pts"), [("start", 1), ("end", 1), ("middle", 3)])
@pytest.mark.parametrize("historic", [False, True])
@pytest.mark.parametrize("by_cohort", [False, True])
def test_timings_history_and_totals_only(inflow_at, n_pts, historic, by_cohort, spy):
    """Inflow timing, quadrature, history and totals-only runs equal one run per item."""
    values, dim, labels = _values("series")
    lifetime = _lifetime("weibull", dim, REGION)
    kw = {
        "inflow_at": inflow_at,
        "n_pts_per_interval": n_pts,
        "by_cohort": by_cohort,
        "initial_stock_by_cohort": _initial(values) if historic else None,
    }
    for func, data in ((msa.inflow_driven, values), (msa.stock_driven, values.cumsum("time"))):
        got = func(data, lifetime, **kw)
        _assert_equal(got, _one_by_one(func, data, lifetime, dim, labels, **kw))
        assert ("stock_by_cohort" in got) == by_cohort
    assert spy.runs == 2


def test_a_lifetime_over_two_dims_and_an_input_over_others(spy):
    """A lifetime over region x sample with an input over region x product: dims and values."""
    values, _, _ = _values("columns")
    shape = _spread(1.5, 3.5, "region", REGION) * _spread(0.8, 1.2)
    lifetime = msa.WeibullLifetime(shape.transpose("sample", "region"), 8.0)
    ds = msa.inflow_driven(values, lifetime)
    assert spy.runs == 1
    assert ds.stock_by_cohort.dims == ("time", "cohort", "region", "product", "sample")
    assert ds.stock.dims == ("time", "region", "product", "sample")
    for sample in (0, 7, N - 1):
        one = msa.WeibullLifetime(shape.sel(sample=sample, drop=True), 8.0)
        _assert_equal(ds.sel(sample=sample, drop=True), msa.inflow_driven(values, one))


def test_lifetime_labels_in_another_order_or_a_superset_are_aligned(spy):
    """A lifetime over more regions than the input, in another order, uses the input's."""
    values, dim, _ = _values("series")
    shape = xr.DataArray(
        [2.0, 3.0, 1.5, 2.5], dims="region", coords={"region": ["DE", "FR", "BE", "NL"]}
    )
    aligned = shape.sel(region=REGION["region"])
    got = msa.inflow_driven(values, msa.WeibullLifetime(shape, 7.0))
    want = msa.inflow_driven(values, msa.WeibullLifetime(aligned, 7.0))
    assert spy.runs == 2
    assert list(got.region.values) == REGION["region"]
    xr.testing.assert_equal(got, want)  # attrs differ: the lifetime repr


def test_impossible_initial_stock_is_named_on_the_convolution_path(spy):
    """A historic stock in a cohort the series' lifetime says is gone raises StockModelError."""
    values, _, _ = _values("series")
    lifetime = msa.FixedLifetime(_along([10.0, 3.0, 10.0], "region", REGION))
    with pytest.raises(msa.StockModelError, match=r"> 0 at cohort=1995, region='BE'"):
        msa.inflow_driven(values, lifetime, initial_stock_by_cohort=_initial(values))
    assert spy.runs == 1


def test_many_columns_take_the_matrix_path_with_the_same_result(monkeypatch, spy):
    """Beyond MAX_COLUMNS input cells per curve the matrix path runs; both agree."""
    values, dim, _ = _values("columns")
    lifetime = _lifetime("lognormal", dim, REGION)
    by_age = msa.inflow_driven(values, lifetime)
    monkeypatch.setattr(_convolution, "MAX_COLUMNS", 1)
    by_matrix = msa.inflow_driven(values, lifetime)
    assert spy.runs == 1
    _assert_equal(by_age, by_matrix)


def test_zero_survival_in_the_inflow_year_falls_back_to_forward_substitution(spy):
    """sf[t, t] = 0 for some samples: the error names the sample; no demand gives zeros."""
    mean = _along([0.3, 2.0, 5.0], coords={"sample": [0, 1, 2]})
    lifetime = msa.FixedLifetime(mean)
    stock = xr.DataArray([0.0, 5.0, 5.0], dims="time", coords={"time": [2020, 2021, 2022]})
    with pytest.raises(msa.StockModelError, match=r"inflow of 2021 survives.*sample=0"):
        msa.stock_driven(stock, lifetime)
    zero = msa.stock_driven(stock * 0, lifetime)
    assert float(np.abs(zero.inflow).max()) == 0.0
    assert spy.runs == 2  # tried, then handed to the matrix path


def test_negative_inflow_error_and_correction_with_a_varying_lifetime(spy):
    """'error' names the series on the convolution path; 'correct' equals one run per item."""
    values, dim, labels = _values("series")
    stock = values.cumsum("time")
    stock[8:] = stock[8:] * 0.2  # a collapse: negative inflows
    lifetime = _lifetime("normal", dim, REGION)
    with pytest.raises(msa.StockModelError, match=r"negative inflow .* at time=2008, region="):
        msa.stock_driven(stock, lifetime, negative_inflow="error")
    assert spy.runs == 1
    fixed = msa.stock_driven(stock, lifetime, negative_inflow="correct")
    assert spy.runs == 1  # the correction runs on matrices, year by year
    want = _one_by_one(msa.stock_driven, stock, lifetime, dim, labels, negative_inflow="correct")
    _assert_equal(fixed, want)


def test_cohort_arrays_of_a_varying_lifetime_peak_near_their_own_size():
    """T = 60, N = 600 with a shape per series: peak <= 1.1x the cohort arrays returned."""
    n_t, n = 60, 600
    series = np.arange(n)
    inflow = xr.DataArray(
        np.outer(100 + 2 * np.arange(n_t), 1 + series / n),
        dims=("time", "series"),
        coords={"time": np.arange(2000, 2000 + n_t), "series": series},
    )
    shape = xr.DataArray(2.0 + series / n, dims="series", coords={"series": series})
    lifetime = msa.WeibullLifetime(shape=shape, scale=15.0)
    tracemalloc.start()
    try:
        ds = msa.inflow_driven(inflow, lifetime)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    arrays = ds.stock_by_cohort.nbytes + ds.outflow_by_cohort.nbytes
    assert "chunked_along" not in ds.attrs
    assert peak <= 1.1 * arrays, f"peak {peak / 2**20:.1f} MiB for {arrays / 2**20:.1f} MiB"


# ---------------------------------------------------------------- the numerical kernels


def test_causal_equals_numpy_convolve_for_any_window():
    """causal(k, x, start, stop) is np.convolve(k, x) on [start, stop), signals of any length."""
    rng = np.random.default_rng(0)
    kernel = rng.random((5, 1, 40))
    for length in (1, 7, 25, 40):
        signal = rng.random((5, 2, length))
        for start, stop in ((0, 40), (0, 13), (9, 31), (39, 40)):
            got = _convolution.causal(kernel, signal, start, stop)
            want = np.array(
                [
                    [np.convolve(kernel[i, 0], signal[i, m])[start:stop] for m in range(2)]
                    for i in range(5)
                ]
            )
            want = np.pad(want, ((0, 0), (0, 0), (0, stop - start - want.shape[-1])))
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_causal_with_one_signal_for_many_kernels_uses_one_product_per_block(monkeypatch):
    """The BLAS branch (one signal, many kernels) equals the dot-product branch."""
    rng = np.random.default_rng(1)
    kernel = rng.random((4, 6, 1, 30))
    signal = rng.random((1, 1, 3, 30))
    blas = _convolution.causal(kernel, signal, 2, 30)
    monkeypatch.setattr(_convolution, "SHARED_MIN", 10**9)
    dots = _convolution.causal(kernel, signal, 2, 30)
    assert blas.shape == dots.shape == (4, 6, 3, 28)
    np.testing.assert_allclose(blas, dots, rtol=1e-13)


def test_solve_and_reciprocal_invert_the_triangular_toeplitz_matrix():
    """The Toeplitz solve equals LAPACK's; the reciprocal is the inverse's first column."""
    rng = np.random.default_rng(2)
    n = 37
    kernel = np.cumprod(rng.uniform(0.7, 1.0, (3, 1, n)), axis=-1)  # decreasing, like S
    rhs = rng.uniform(10, 100, (3, 4, n))
    x = _convolution.solve(kernel, rhs)
    g = _convolution.reciprocal(kernel, n)
    for i in range(3):
        matrix = scipy.linalg.toeplitz(kernel[i, 0], np.zeros(n))
        want = scipy.linalg.solve_triangular(matrix, rhs[i].T, lower=True).T
        np.testing.assert_allclose(x[i], want, rtol=1e-11)
        np.testing.assert_allclose(g[i, 0], np.linalg.inv(matrix)[:, 0], rtol=1e-11, atol=1e-14)


# ---------------------------------------------------------------- BLAS threads


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_blas_runs_on_one_thread_during_a_run_and_is_restored_after(monkeypatch):
    """Inside a large enough run BLAS has BLAS_THREADS threads; after it, what it had before."""
    before = _blas_threads()
    seen = []
    for cls in (msa.stocks.engine.Frame, _convolution.AgeFrame):

        def apply(self, x, *, outflow=False, original=cls.apply):
            seen.append(_blas_threads())
            return original(self, x, outflow=outflow)

        monkeypatch.setattr(cls, "apply", apply)
    inflow = _values("shared")[0]
    lifetime = msa.WeibullLifetime(2.0, 6.0)
    msa.inflow_driven(inflow, lifetime)  # 14 years x 14 cohorts x 1 series: too small to limit
    assert seen and all(threads == before for threads in seen)
    monkeypatch.setattr(msa.stocks.engine, "BLAS_LIMIT_FROM", 0)
    seen.clear()
    msa.inflow_driven(inflow, lifetime)
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert _blas_threads() == before
    # The lifetime's own dims count: 14 x 14 x 17 samples reaches a limit of 14 x 14 x 17.
    monkeypatch.setattr(msa.stocks.engine, "BLAS_LIMIT_FROM", T * T * N)
    seen.clear()
    msa.inflow_driven(inflow, lifetime)  # one series only
    msa.inflow_driven(inflow, msa.FixedLifetime(_spread(5.0, 9.0)), inflow_at="end")
    assert seen[:2] == [before, before] and seen[2:] == [[1] * len(before)] * 2
    monkeypatch.setattr(msa.stocks.engine, "BLAS_THREADS", None)
    seen.clear()
    msa.inflow_driven(inflow, lifetime)
    assert seen and all(threads == before for threads in seen)


def test_overlapping_runs_in_threads_leave_blas_as_it_was():
    """Nested and concurrent runs: the thread that set the limit restores it, in that thread.

    (Once the main thread has set BLAS's threads, OpenBLAS may ignore a setting from another
    thread: a run alone in another thread then keeps BLAS's count, and leaves it so.)
    """
    before = _blas_threads()
    limited = [1] * len(before)
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def other_run():
        with _threads.blas_threads(1):
            seen["other, while the first runs"] = _blas_threads()
            entered.set()
            release.wait(10)
        with _threads.blas_threads(1):  # alone now: this thread owns the limit
            pass
        seen["other, after"] = _blas_threads()

    worker = threading.Thread(target=other_run)
    with _threads.blas_threads(1):
        worker.start()
        assert entered.wait(10)
        with _threads.blas_threads(1):
            assert _blas_threads() == limited
        assert _blas_threads() == limited
    assert _blas_threads() == before  # restored by the thread that set it
    release.set()
    worker.join(10)
    assert seen == {"other, while the first runs": limited, "other, after": before}
    assert _blas_threads() == before
