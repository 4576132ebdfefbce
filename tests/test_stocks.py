"""Unit tests of msa.stocks: a slow loop oracle, options, errors, chains, System integration."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import xarray as xr

import msa
from msa import DataError, DimensionError, LifetimeError, StockModelError

YEARS = list(range(2000, 2016))
T = len(YEARS)


# ---------------------------------------------------------------- the loop oracle
# Deliberately slow and obvious: one scalar survival value per (year, cohort), one series
# at a time, plain Python lists. It shares only Lifetime.survival with the library.


def _scalar(da: xr.DataArray | None, **sel: object) -> float:
    if da is None:
        return 1.0
    return float(da.sel({k: v for k, v in sel.items() if k in da.dims}))


def _s(lifetime, age, factor, cohort, series, cache):
    """S(age) of one cohort and series, from scalar parameters (one scipy call per value).

    The cohort's lifetime is rebuilt from its scalar parameters (cached); ``survival`` with
    ``factor`` multiplies its time scale, as the lifetime factors do.
    """
    if isinstance(lifetime, msa.EmpiricalLifetime):
        curve = lifetime.survival_table
        return 1.0 if age < 0 else float(np.interp(age / factor, curve.age.values, curve.values))
    if cohort not in cache:
        params = {n: _scalar(p, cohort=cohort, **series) for n, p in lifetime.parameters.items()}
        cache[cohort] = type(lifetime)(**params)
    return float(cache[cohort].survival(age, factor=factor))


def loop_sf(lifetime, years, cohorts, inflow_at="middle", n_pts=1, series=None):
    """sf[t][c] by the textbook recursion, historic cohorts conditional on year t0 - 1."""
    series = series or {}
    points, weights = msa.quadrature(inflow_at, n_pts)
    t0 = years[0]

    cache: dict = {}

    def plain(c, age, f):
        terms = zip(points, weights, strict=True)
        return sum(w * _s(lifetime, age + 1 - p, f, c, series, cache) for p, w in terms)

    sf = [[0.0] * len(cohorts) for _ in years]
    for j, c in enumerate(cohorts):
        f_c = _scalar(lifetime.factor_by_cohort, cohort=c, **series)
        if lifetime.factor_by_year is None:
            anchor = plain(c, t0 - 1 - c, f_c) if c < t0 else 1.0
            for i, t in enumerate(years):
                if t >= c:
                    sf[i][j] = plain(c, t - c, f_c) / anchor if anchor > 0 else 0.0
        else:
            prev = 1.0
            for i, t in enumerate(years):
                if t < c:
                    continue
                f = f_c * _scalar(lifetime.factor_by_year, time=t, **series)
                if t == c:
                    prev = plain(c, 0, f)
                else:
                    before = plain(c, t - c - 1, f)
                    prev = prev * (plain(c, t - c, f) / before if before > 0 else 0.0)
                sf[i][j] = prev
    return sf


def loop_inflow_driven(inflow, sf, initial):
    """Stock, outflow and cohort tables of one series (historic stock ``initial`` first)."""
    x = list(initial) + list(inflow)
    h = len(initial)
    n_t, n_c = len(sf), len(x)
    sb = [[x[c] * sf[t][c] for c in range(n_c)] for t in range(n_t)]
    ob = [[0.0] * n_c for _ in range(n_t)]
    for t in range(n_t):
        for c in range(n_c):
            before = sb[t - 1][c] if t > 0 else (initial[c] if c < h else 0.0)
            ob[t][c] = before - sb[t][c] + (inflow[t] if c == h + t else 0.0)
    stock = [sum(row) for row in sb]
    outflow = [sum(row) for row in ob]
    return stock, outflow, sb, ob


def loop_stock_driven(stock, sf, initial, correct=False):
    """Inflow, outflow, correction and stock by cohort of one series (forward substitution)."""
    h = len(initial)
    x = list(initial) + [0.0] * len(stock)
    inflow, correction, sb = [], [], []
    for t, s in enumerate(stock):
        c_t = h + t
        remaining = sum(x[c] * sf[t][c] for c in range(c_t))
        extra = 0.0
        if correct and s - remaining < 0:
            for c in range(c_t):
                x[c] *= s / remaining
            extra = remaining - s
            x[c_t] = 0.0
        else:
            x[c_t] = (s - remaining) / sf[t][c_t]
        inflow.append(x[c_t])
        correction.append(extra)
        sb.append([x[c] * sf[t][c] for c in range(len(x))])
    before = [sum(initial)] + list(stock[:-1])
    outflow = [i - (s - b) for i, s, b in zip(inflow, stock, before, strict=True)]
    return inflow, outflow, correction, sb


# ---------------------------------------------------------------- fixtures


def _inflow(dims=("time",), coords=None, seed=0):
    rng = np.random.default_rng(seed)
    coords = {"time": YEARS, **(coords or {})}
    order = ["time", *[d for d in dims if d != "time"]]
    shape = [len(coords[d]) for d in order]
    base = 50 + 3 * np.arange(T) + 10 * np.sin(np.arange(T))
    data = rng.uniform(0.5, 1.5, shape) * base.reshape([-1] + [1] * (len(dims) - 1))
    da = xr.DataArray(data, dims=order, coords={d: coords[d] for d in order}, attrs={"units": "t"})
    return da.transpose(*dims)


def _cohort_trend(values, years=YEARS):
    return xr.DataArray(
        np.asarray(values) * (1 + 0.02 * np.arange(len(years))),
        dims="cohort",
        coords={"cohort": years},
    )


REGION = {"region": ["NL", "BE"]}
LIFETIMES = {
    "weibull-region": msa.WeibullLifetime(
        shape=xr.DataArray([2.0, 3.0], dims="region", coords=REGION), scale=7.0
    ),
    "normal-cohort": msa.NormalLifetime(_cohort_trend(6.0, list(range(1990, 2016))), 2.0),
    "gamma-yearfactor": msa.GammaLifetime(
        4.0,
        1.5,
        factor_by_year=xr.DataArray(np.linspace(1, 1.6, T), dims="time", coords={"time": YEARS}),
    ),
    "truncnormal-both": msa.TruncatedNormalLifetime(
        5.0,
        3.0,
        factor_by_cohort=_cohort_trend(1.0, list(range(1995, 2016))),
        factor_by_year=xr.DataArray([1.0] * 8 + [1.3] * 8, dims="time", coords={"time": YEARS}),
    ),
    "exponential": msa.ExponentialLifetime(5.0),
    "empirical": msa.EmpiricalLifetime(
        xr.DataArray(
            [1.0, 0.95, 0.7, 0.3, 0.05, 0.0], dims="age", coords={"age": [0, 2, 4, 6, 8, 10]}
        )
    ),
    "fixed": msa.FixedLifetime(4.0),
}


def _series(ds_var, **sel):
    return ds_var.sel(sel).values.tolist()


# ---------------------------------------------------------------- oracle comparisons


@pytest.mark.parametrize("name", list(LIFETIMES))
@pytest.mark.parametrize(("inflow_at", "n_pts"), [("middle", 1), ("end", 1), ("start", 3)])
@pytest.mark.parametrize("historic", [False, True])
def test_vectorised_equals_loop_oracle(name, inflow_at, n_pts, historic):
    """inflow_driven and stock_driven equal the loop oracle, per region, with or without history."""
    lifetime = LIFETIMES[name]
    inflow = _inflow(("time", "region"), REGION)
    initial = None
    hist = []
    if historic:
        hist = [1996, 1998, 1999]
        initial = xr.DataArray(
            [[5.0, 1.0], [8.0, 2.0], [10.0, 0.0]],
            dims=("cohort", "region"),
            coords={"cohort": hist, **REGION},
        )
    kw = {"inflow_at": inflow_at, "n_pts_per_interval": n_pts, "initial_stock_by_cohort": initial}
    ds = msa.inflow_driven(inflow, lifetime, **kw)
    sd = msa.stock_driven(ds.stock, lifetime, **kw)
    oracle_sf: dict = {}
    for region in REGION["region"]:
        # The slow oracle is computed once per distinct lifetime (per region only if it varies).
        key = region if "region" in lifetime.dims else None
        if key not in oracle_sf:
            series = {"region": region}
            oracle_sf[key] = loop_sf(lifetime, YEARS, hist + YEARS, inflow_at, n_pts, series)
        sf = oracle_sf[key]
        init = [] if initial is None else initial.sel(region=region).values.tolist()
        stock, outflow, sb, ob = loop_inflow_driven(_series(inflow, region=region), sf, init)
        scale = max(stock)
        np.testing.assert_allclose(_series(ds.stock, region=region), stock, atol=1e-10 * scale)
        np.testing.assert_allclose(_series(ds.outflow, region=region), outflow, atol=1e-10 * scale)
        np.testing.assert_allclose(
            ds.stock_by_cohort.sel(region=region).values, sb, atol=1e-10 * scale
        )
        np.testing.assert_allclose(
            ds.outflow_by_cohort.sel(region=region).values, ob, atol=1e-10 * scale
        )
        inflow_s, outflow_s, _, sb_s = loop_stock_driven(stock, sf, init)
        np.testing.assert_allclose(_series(sd.inflow, region=region), inflow_s, atol=1e-9 * scale)
        np.testing.assert_allclose(_series(sd.outflow, region=region), outflow_s, atol=1e-9 * scale)
        np.testing.assert_allclose(
            sd.stock_by_cohort.sel(region=region).values, sb_s, atol=1e-9 * scale
        )


def _declining_stock():
    t = np.arange(T)
    level = 1000 / (1 + np.exp(-(t - 5) / 1.5))
    level[10:13] *= [0.7, 0.5, 0.45]
    level[13:] = level[12] * 1.05
    return xr.DataArray(level, dims="time", coords={"time": YEARS}, attrs={"units": "t"})


def test_negative_inflow_allow_error_correct():
    """A falling stock gives negative inflows ('allow'), an error, or a mass-exact correction."""
    stock = _declining_stock()
    lifetime = msa.WeibullLifetime(2.5, 8.0)
    allowed = msa.stock_driven(stock, lifetime)
    assert float(allowed.inflow.min()) < 0
    with pytest.raises(StockModelError, match=r"negative inflow -\d.* at time=2010.*'correct'"):
        msa.stock_driven(stock, lifetime, negative_inflow="error")
    fixed = msa.stock_driven(stock, lifetime, negative_inflow="correct")
    assert float(fixed.inflow.min()) >= 0
    assert float(fixed.outflow_correction.min()) >= 0 and float(fixed.outflow_correction.max()) > 0
    assert float(fixed.outflow_by_cohort.min()) >= -1e-9
    np.testing.assert_allclose(fixed.stock_by_cohort.sum("cohort"), stock, rtol=1e-12)
    np.testing.assert_allclose(
        fixed.inflow - fixed.outflow, fixed.stock_change, atol=1e-12 * float(stock.max())
    )
    np.testing.assert_allclose(fixed.outflow_by_cohort.sum("cohort"), fixed.outflow, atol=1e-9)
    sf = loop_sf(lifetime, YEARS, YEARS)
    inflow, outflow, correction, sb = loop_stock_driven(stock.values.tolist(), sf, [], correct=True)
    np.testing.assert_allclose(fixed.inflow, inflow, atol=1e-9)
    np.testing.assert_allclose(fixed.outflow, outflow, atol=1e-9)
    np.testing.assert_allclose(fixed.outflow_correction, correction, atol=1e-9)
    np.testing.assert_allclose(fixed.stock_by_cohort, sb, atol=1e-9)
    totals = msa.stock_driven(stock, lifetime, negative_inflow="correct", by_cohort=False)
    np.testing.assert_allclose(totals.inflow, fixed.inflow, rtol=0, atol=1e-12)


def test_correct_leaves_a_growing_stock_unchanged():
    """'correct' gives the same result as 'allow' when no inflow is negative."""
    stock = msa.inflow_driven(_inflow(), msa.NormalLifetime(8.0, 3.0)).stock
    a = msa.stock_driven(stock, msa.NormalLifetime(8.0, 3.0))
    b = msa.stock_driven(stock, msa.NormalLifetime(8.0, 3.0), negative_inflow="correct")
    np.testing.assert_allclose(a.inflow, b.inflow, rtol=1e-10)
    assert float(np.abs(b.outflow_correction).max()) == 0.0


def test_zero_survival_in_inflow_year_is_an_error():
    """sf[t, t] == 0 with a non-zero stock demand raises StockModelError, not inf or 0."""
    stock = xr.DataArray([0.0, 5.0, 5.0], dims="time", coords={"time": [2020, 2021, 2022]})
    with pytest.raises(
        StockModelError, match=r"inflow of 2021 survives.*sf\[t, t\] = 0.*needs 5.0"
    ):
        msa.stock_driven(stock, msa.FixedLifetime(0.3))
    zero = msa.stock_driven(stock * 0, msa.FixedLifetime(0.3))
    assert float(np.abs(zero.inflow).max()) == 0.0


def test_by_cohort_false_returns_totals_only():
    """by_cohort=False returns no cohort arrays and the same totals."""
    inflow = _inflow(("time", "region"), REGION)
    lt = LIFETIMES["normal-cohort"]
    full = msa.inflow_driven(inflow, lt)
    totals = msa.inflow_driven(inflow, lt, by_cohort=False)
    assert "stock_by_cohort" not in totals and "outflow_by_cohort" not in totals
    xr.testing.assert_allclose(full.stock, totals.stock)
    xr.testing.assert_allclose(full.outflow, totals.outflow)


def test_outputs_carry_units_dims_and_attrs():
    """Outputs keep the input's units, put time (and cohort) first and describe the run."""
    inflow = _inflow(("region", "time"), REGION)
    ds = msa.inflow_driven(inflow, msa.WeibullLifetime(2.0, 5.0), inflow_at="end")
    assert ds.stock.dims == ("time", "region")
    assert ds.stock_by_cohort.dims == ("time", "cohort", "region")
    assert list(ds.cohort.values) == YEARS
    assert all(v.attrs["units"] == "t" for v in ds.data_vars.values())
    assert ds.attrs["inflow_at"] == "end" and ds.attrs["stock_model"] == "inflow-driven"


def test_lifetime_only_dim_broadcasts():
    """A dim only the lifetime has (Monte Carlo samples) appears in the result."""
    sample = xr.DataArray([5.0, 10.0, 15.0], dims="sample", coords={"sample": [0, 1, 2]})
    ds = msa.inflow_driven(_inflow(), msa.ExponentialLifetime(sample))
    assert ds.stock.sizes == {"time": T, "sample": 3}
    assert bool((ds.stock.isel(time=-1).diff("sample") > 0).all())


def test_initial_stock_alone_decays_by_conditional_survival():
    """With no inflow a historic stock decays by survival conditional on the first year."""
    initial = xr.DataArray([10.0], dims="cohort", coords={"cohort": [1995]})
    zero = xr.zeros_like(_inflow())
    lt = msa.ExponentialLifetime(4.0)
    ds = msa.inflow_driven(zero, lt, initial_stock_by_cohort=initial, inflow_at="end")
    np.testing.assert_allclose(ds.stock, 10.0 * np.exp(-(np.arange(T) + 1) / 4.0), rtol=1e-12)
    assert float(ds.stock_change[0]) == pytest.approx(float(ds.stock[0]) - 10.0)
    assert list(ds.cohort.values) == [1995, *YEARS]


@pytest.mark.parametrize(
    ("initial", "error", "match"),
    [
        (
            xr.DataArray([1.0], dims="cohort", coords={"cohort": [2000]}),
            DimensionError,
            r"cohort 2000 is not before the first model year 2000",
        ),
        (
            xr.DataArray([-1.0], dims="cohort", coords={"cohort": [1999]}),
            DataError,
            r"initial_stock_by_cohort: negative value -1.0 at cohort=1999",
        ),
        (
            xr.DataArray([1.0], dims="year", coords={"year": [1999]}),
            DimensionError,
            r"must be a DataArray with a 'cohort' dim",
        ),
        (
            xr.DataArray(
                [[1.0]], dims=("cohort", "product"), coords={"cohort": [1999], "product": ["car"]}
            ),
            DimensionError,
            r"lacks \[\] and has extra \['product'\]",
        ),
        (
            xr.DataArray([1.0], dims="cohort", coords={"cohort": [1980]}),
            StockModelError,
            r"initial_stock_by_cohort is > 0 at cohort=1980.*zero survival at the end of 1999",
        ),
    ],
)
def test_invalid_initial_stock(initial, error, match):
    """An invalid or impossible initial stock by cohort raises a named error."""
    with pytest.raises(error, match=match):
        msa.inflow_driven(_inflow(), msa.FixedLifetime(10.0), initial_stock_by_cohort=initial)


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        (
            _inflow().where(_inflow().time != 2003),
            DataError,
            r"inflow: non-finite value nan at time=2003",
        ),
        (-_inflow(), DataError, r"inflow: negative value -\d.* at time=2000"),
        (_inflow().rename(time="year"), DimensionError, r"inflow must have a 'time' dim"),
        (
            _inflow().isel(time=[0, 2, 3]),
            DimensionError,
            r"consecutive years .*2000 is followed by 2002",
        ),
        (_inflow().values, DataError, r"inflow must be an xarray.DataArray"),
    ],
)
def test_invalid_inflow(values, error, match):
    """NaN, negative, time-less, gappy or non-xarray inflows raise a named error."""
    with pytest.raises(error, match=match):
        msa.inflow_driven(values, msa.FixedLifetime(3.0))


def test_invalid_stock_and_option():
    """A negative stock and an unknown negative_inflow option raise named errors."""
    with pytest.raises(DataError, match=r"stock: negative value"):
        msa.stock_driven(-_inflow(), msa.FixedLifetime(3.0))
    with pytest.raises(
        msa.ConfigError, match=r"negative_inflow must be 'allow', 'error' or 'correct'"
    ):
        msa.stock_driven(_inflow(), msa.FixedLifetime(3.0), negative_inflow="clip")


def test_lifetime_missing_a_label_of_the_input():
    """A lifetime over region must cover every region of the input."""
    lt = msa.ExponentialLifetime(xr.DataArray([5.0], dims="region", coords={"region": ["NL"]}))
    with pytest.raises(LifetimeError, match=r"has no value for region \['BE'\]"):
        msa.inflow_driven(_inflow(("time", "region"), REGION), lt)


# ---------------------------------------------------------------- chains


def test_chain_of_three_stocks_conserves_mass():
    """Use -> hibernation -> second life: every stock balances and the chain conserves mass."""
    inflow = _inflow(("time", "region"), REGION)
    share = xr.DataArray(np.linspace(0.2, 0.6, T), dims="time", coords={"time": YEARS})
    out = msa.chain(
        inflow,
        [msa.WeibullLifetime(2.5, 6.0), msa.ExponentialLifetime(2.0), msa.NormalLifetime(5.0, 1.5)],
        [0.8, share],
        names=["use", "hibernation", "second_life"],
        by_cohort=True,
    )
    assert list(out) == ["use", "hibernation", "second_life"]
    total_change = sum(ds.stock_change for ds in out.values())
    leaving = sum(ds.leaving for ds in out.values())
    np.testing.assert_allclose(total_change, inflow - leaving, atol=1e-10 * float(inflow.max()))
    xr.testing.assert_allclose(out["hibernation"].inflow, 0.8 * out["use"].outflow)
    xr.testing.assert_allclose(
        out["second_life"].inflow, (share * out["hibernation"].outflow).transpose("time", "region")
    )
    for ds in out.values():
        np.testing.assert_allclose(ds.inflow - ds.outflow, ds.stock_change, atol=1e-10)
        assert float(ds.stock.min()) >= 0
    assert "to_next" not in out["second_life"]
    assert out["use"].to_next.attrs["units"] == "t"


@pytest.mark.parametrize(
    ("lifetimes", "shares", "kwargs", "match"),
    [
        ([], [], {}, r"at least one lifetime"),
        ([msa.FixedLifetime(1)] * 2, [], {}, r"needs 1 share\(s\) for 2 stocks"),
        (
            [msa.FixedLifetime(1)] * 2,
            [1.5],
            {},
            r"share 0 \(stock_1 -> stock_2\) must be within \[0, 1\] \(got 1.5",
        ),
        ([msa.FixedLifetime(1)] * 2, [0.5], {"names": ["a", "a"]}, r"2 distinct names"),
    ],
)
def test_chain_invalid_arguments(lifetimes, shares, kwargs, match):
    """Chain rejects no lifetimes, wrong share counts, shares outside [0, 1], duplicate names."""
    with pytest.raises(msa.ConfigError, match=match):
        msa.chain(_inflow(), lifetimes, shares, **kwargs)


# ---------------------------------------------------------------- System integration


def test_inflow_driven_stock_in_a_system_balances():
    """A System with an inflow-driven Use stock passes msa.check_balance."""
    inflow = _inflow(("time", "region"), REGION)
    ds = msa.inflow_driven(inflow, msa.WeibullLifetime(2.0, 8.0))
    system = msa.System("use stock", coords={"time": YEARS, **REGION})
    system.add_process("Market", kind="boundary")
    system.add_process("Use", kind="stock")
    system.add_process("Waste", kind="boundary")
    system.add_flow("Market", "Use", ds.inflow, units="t")
    system.add_flow("Use", "Waste", ds.outflow, units="t")
    stored = system.add_stock(
        "Use",
        ds.stock,
        stock_change=ds.stock_change,
        extra={"stock_by_cohort": ds.stock_by_cohort},
    )
    assert "stock_by_cohort" in stored
    msa.check_balance(system)
    residual = msa.balance(system)["Use"]
    assert float(np.abs(residual).max()) <= 1e-12 * float(ds.stock.max())


@pytest.mark.parametrize("by_cohort", [False, True])
@pytest.mark.parametrize("mode", ["inflow", "stock"])
def test_many_lifetimes_are_chunked_and_equal(monkeypatch, mode, by_cohort):
    """A lifetime over many samples runs in bounded chunks with the same results."""
    sample = np.arange(13)
    mean = xr.DataArray(4.0 + sample / 2, dims="sample", coords={"sample": sample})
    lifetime = msa.NormalLifetime(mean, 1.5, factor_by_cohort=_cohort_trend(1.0))
    values = _inflow(("time", "region"), REGION)
    func = msa.inflow_driven if mode == "inflow" else msa.stock_driven
    whole = func(values, lifetime, by_cohort=by_cohort)
    assert "chunked_along" not in whole.attrs
    name = "SF_CHUNK_BYTES_COHORT" if by_cohort else "SF_CHUNK_BYTES"
    monkeypatch.setattr(msa.stocks.engine, name, 8 * T * T * 4)
    parts = func(values, lifetime, by_cohort=by_cohort)
    assert parts.attrs["chunked_along"] == "sample"
    assert {v: parts[v].dims for v in parts} == {v: whole[v].dims for v in whole}
    assert parts.stock.attrs["units"] == "t"
    xr.testing.assert_allclose(parts, whole, rtol=1e-13)


def test_chunks_along_an_input_dim_keep_history_and_correction(monkeypatch):
    """Chunking along a dim of the input carries the initial stock and the correction."""
    series = np.arange(7)
    shape = xr.DataArray(1.5 + series / 4, dims="series", coords={"series": series})
    lifetime = msa.WeibullLifetime(shape, 6.0)
    stock = _declining_stock() * xr.DataArray(
        1 + series / 7, dims="series", coords={"series": series}
    )
    initial = xr.DataArray(
        np.outer([20.0, 30.0], 1 + series / 7),
        dims=("cohort", "series"),
        coords={"cohort": [1997, 1999], "series": series},
    )
    kw = {"initial_stock_by_cohort": initial, "negative_inflow": "correct"}
    whole = msa.stock_driven(stock, lifetime, **kw)
    monkeypatch.setattr(msa.stocks.engine, "SF_CHUNK_BYTES_COHORT", 8 * T * (T + 2) * 3)
    parts = msa.stock_driven(stock, lifetime, **kw)
    assert parts.attrs["chunked_along"] == "series"
    assert float(parts.outflow_correction.max()) > 0
    xr.testing.assert_allclose(parts, whole, rtol=1e-13)


def test_cohort_run_with_a_lifetime_per_series_peaks_below_one_and_a_half_arrays():
    """A lifetime per series and cohort runs in chunks: peak <= 1.5x the cohort arrays returned.

    (A lifetime per series alone runs on survival curves by age, without survival matrices:
    tests/test_stocks_by_age.py pins its peak.)
    """
    n_t, n = 60, 600  # survival matrices of 17 MiB: chunked at SF_CHUNK_BYTES_COHORT
    years = np.arange(2000, 2000 + n_t)
    series = np.arange(n)
    inflow = xr.DataArray(
        np.outer(100 + 2 * np.arange(n_t), 1 + series / n),
        dims=("time", "series"),
        coords={"time": years, "series": series},
    )
    shape = xr.DataArray(2.0 + series / n, dims="series", coords={"series": series})
    trend = xr.DataArray(1 + 0.005 * np.arange(n_t), dims="cohort", coords={"cohort": years})
    lifetime = msa.WeibullLifetime(shape=shape, scale=15.0, factor_by_cohort=trend)
    tracemalloc.start()
    try:
        ds = msa.inflow_driven(inflow, lifetime)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    arrays = ds.stock_by_cohort.nbytes + ds.outflow_by_cohort.nbytes
    assert ds.attrs["chunked_along"] == "series"
    assert peak <= 1.5 * arrays, f"peak {peak / 2**20:.1f} MiB for {arrays / 2**20:.1f} MiB"
