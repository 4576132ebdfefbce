"""Hypothesis properties of the lifetime engine: conservation, round trip, signs, monotony."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import msa
import msa.stocks.engine

FIRST = 2010


@st.composite
def lifetimes(draw, n_t: int, timing: tuple[str, int] | None = None) -> msa.Lifetime:
    """Any msa lifetime with plausible parameters, optionally with factors."""
    lifetime = _distribution(draw)
    factors = _factors(draw, n_t)
    if factors:
        lifetime = lifetime.with_factors(**factors)
    if timing is not None:
        years = np.arange(FIRST, FIRST + n_t)
        sf = msa.survival_matrix(lifetime, years, inflow_at=timing[0], n_pts_per_interval=timing[1])
        diag = np.diagonal(sf.values)
        if diag.min() < 0.3:
            # Forward substitution divides by sf[t, t]; keep the round trip well conditioned.
            lifetime = msa.WeibullLifetime(2.0, 10.0)
    return lifetime


def _distribution(draw) -> msa.Lifetime:
    """Draw a kind of lifetime distribution and plausible parameters for it (no factors)."""
    kind = draw(
        st.sampled_from(
            [
                "fixed",
                "normal",
                "truncnormal",
                "foldnormal",
                "lognormal",
                "weibull",
                "gamma",
                "expon",
                "empirical",
            ]
        )
    )
    pos = st.floats(1.0, 30.0)
    spread = st.floats(0.5, 10.0)
    if kind == "fixed":
        lifetime = msa.FixedLifetime(draw(st.floats(1.0, 30.0)))
    elif kind == "normal":
        lifetime = msa.NormalLifetime(draw(st.floats(2.0, 30.0)), draw(spread))
    elif kind == "truncnormal":
        lifetime = msa.TruncatedNormalLifetime(draw(st.floats(0.0, 30.0)), draw(spread))
    elif kind == "foldnormal":
        lifetime = msa.FoldedNormalLifetime(draw(st.floats(0.0, 30.0)), draw(spread))
    elif kind == "lognormal":
        lifetime = msa.LogNormalLifetime(draw(pos), draw(spread))
    elif kind == "weibull":
        lifetime = msa.WeibullLifetime(draw(st.floats(0.5, 6.0)), draw(st.floats(1.0, 30.0)))
    elif kind == "gamma":
        lifetime = msa.GammaLifetime(draw(st.floats(0.5, 8.0)), draw(st.floats(0.5, 8.0)))
    elif kind == "expon":
        lifetime = msa.ExponentialLifetime(draw(pos))
    else:
        steps = draw(arrays(float, 6, elements=st.floats(0.0, 0.4)))
        curve = np.clip(1.0 - np.cumsum(steps), 0.0, 1.0)
        curve[0] = 1.0
        lifetime = msa.EmpiricalLifetime(
            xr.DataArray(curve, dims="age", coords={"age": [0, 1, 3, 6, 10, 15]})
        )
    return lifetime


def _factors(draw, n_t: int) -> dict[str, xr.DataArray]:
    """Draw none, either or both lifetime change factors over ``n_t`` years from FIRST."""
    years = np.arange(FIRST, FIRST + n_t)
    factors = {}
    if draw(st.booleans()):
        values = draw(arrays(float, n_t, elements=st.floats(0.5, 2.0)))
        factors["factor_by_cohort"] = xr.DataArray(values, dims="cohort", coords={"cohort": years})
    if draw(st.booleans()):
        values = draw(arrays(float, n_t, elements=st.floats(0.5, 2.0)))
        factors["factor_by_year"] = xr.DataArray(values, dims="time", coords={"time": years})
    return factors


@st.composite
def cases(draw, well_conditioned: bool = False):
    n_t = draw(st.integers(1, 12))
    n_s = draw(st.integers(1, 3))
    data = draw(arrays(float, (n_t, n_s), elements=st.floats(0.0, 1e3)))
    da = xr.DataArray(
        data,
        dims=("time", "product"),
        coords={"time": np.arange(FIRST, FIRST + n_t), "product": list("abc"[:n_s])},
    )
    timing = draw(st.sampled_from([("start", 1), ("middle", 1), ("end", 1), ("middle", 3)]))
    return da, draw(lifetimes(n_t, timing if well_conditioned else None)), timing


@given(cases())
def test_inflow_minus_outflow_is_stock_change(case):
    """Inflow - outflow = stock change to rounding, for any lifetime and non-negative inflow."""
    inflow, lifetime, (inflow_at, n_pts) = case
    ds = msa.inflow_driven(inflow, lifetime, inflow_at=inflow_at, n_pts_per_interval=n_pts)
    scale = max(float(inflow.max()), 1.0)
    residual = ds.inflow - ds.outflow - ds.stock_change
    assert float(np.abs(residual).max()) <= 1e-12 * scale * inflow.sizes["time"]
    by_cohort = ds.outflow_by_cohort.sum("cohort") - ds.outflow
    assert float(np.abs(by_cohort).max()) <= 1e-10 * scale * inflow.sizes["time"]


@given(cases())
def test_stocks_and_outflows_never_negative(case):
    """Stocks, cohort stocks and cohort outflows are never negative for non-negative inflow."""
    inflow, lifetime, (inflow_at, n_pts) = case
    ds = msa.inflow_driven(inflow, lifetime, inflow_at=inflow_at, n_pts_per_interval=n_pts)
    tol = 1e-12 * max(float(inflow.max()), 1.0)
    assert float(ds.stock_by_cohort.min()) >= 0.0
    assert float(ds.stock.min()) >= 0.0
    assert float(ds.outflow.min()) >= 0.0
    assert float(ds.outflow_by_cohort.min()) >= -tol


@given(cases(well_conditioned=True))
def test_round_trip_inflow_stock_inflow(case):
    """inflow_driven -> stock -> stock_driven returns the inflow."""
    inflow, lifetime, (inflow_at, n_pts) = case
    kw = {"inflow_at": inflow_at, "n_pts_per_interval": n_pts}
    stock = msa.inflow_driven(inflow, lifetime, by_cohort=False, **kw).stock
    back = msa.stock_driven(stock, lifetime, **kw)
    scale = max(float(inflow.max()), 1.0)
    assert float(np.abs(back.inflow - inflow).max()) <= 1e-8 * scale
    assert float(np.abs(back.stock_by_cohort.sum("cohort") - stock).max()) <= 1e-8 * scale


@given(st.integers(1, 15).flatmap(lambda n: st.tuples(st.just(n), lifetimes(n))))
def test_survival_matrix_is_a_non_increasing_share(case):
    """The survival matrix is in [0, 1], zero above the diagonal, non-increasing in age."""
    n_t, lifetime = case
    sf = msa.survival_matrix(lifetime, np.arange(FIRST, FIRST + n_t)).values
    assert (sf >= 0).all() and (sf <= 1 + 1e-12).all()
    assert (np.triu(sf, 1) == 0).all()
    assert (np.diff(sf, axis=0)[np.tril_indices(n_t - 1)] <= 1e-15).all()


@given(cases(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_chain_conserves_mass(case, share_1, share_2):
    """Three chained stocks: total stock change = inflow - everything leaving the chain."""
    inflow, lifetime, (inflow_at, _) = case
    out = msa.chain(
        inflow,
        [lifetime, msa.ExponentialLifetime(2.0), msa.FixedLifetime(3.0)],
        [share_1, share_2],
        inflow_at=inflow_at,
    )
    change = sum(ds.stock_change for ds in out.values())
    leaving = sum(ds.leaving for ds in out.values())
    scale = max(float(inflow.max()), 1.0)
    assert float(np.abs(change - (inflow - leaving)).max()) <= 1e-11 * scale * inflow.sizes["time"]


@given(
    arrays(float, 10, elements=st.floats(0.0, 1e3)),
    st.floats(2.0, 15.0),
    st.floats(0.5, 1.0),
)
def test_corrected_stock_driven_is_mass_exact(levels, mean, drop):
    """negative_inflow='correct' keeps the stock exact, inflows and cohorts non-negative."""
    levels = levels.copy()
    levels[5:] *= drop  # a fall that may need early retirement
    stock = xr.DataArray(levels, dims="time", coords={"time": np.arange(FIRST, FIRST + 10)})
    ds = msa.stock_driven(stock, msa.NormalLifetime(mean, mean / 3), negative_inflow="correct")
    scale = max(float(levels.max()), 1.0)
    assert float(ds.inflow.min()) >= 0.0
    assert float(ds.stock_by_cohort.min()) >= 0.0
    assert float(np.abs(ds.stock_by_cohort.sum("cohort") - stock).max()) <= 1e-9 * scale
    assert float(np.abs(ds.inflow - ds.outflow - ds.stock_change).max()) <= 1e-11 * scale


# ---------------------------------------------------------------- lifetimes varying by a dim
# Run on survival curves by age (msa.stocks._convolution), not on survival matrices.


@st.composite
def varying_cases(draw):
    """Draw an inflow over (time, product) and a lifetime varying by sample or product.

    The lifetime's parameters vary by ``sample`` (a dim the inflow lacks) or by ``product`` (a
    dim it has).
    """
    n_t = draw(st.integers(1, 14))
    n_p = draw(st.integers(1, 3))
    data = draw(arrays(float, (n_t, n_p), elements=st.floats(0.0, 1e3)))
    products = list("abc"[:n_p])
    inflow = xr.DataArray(
        data,
        dims=("time", "product"),
        coords={"time": np.arange(FIRST, FIRST + n_t), "product": products},
    )
    dim = draw(st.sampled_from(["sample", "product"]))
    labels = products if dim == "product" else list(range(draw(st.integers(2, 20))))
    n = len(labels)

    def spread(low: float, high: float) -> xr.DataArray:
        values = draw(arrays(float, n, elements=st.floats(low, high)))
        return xr.DataArray(values, dims=dim, coords={dim: labels})

    kind = draw(
        st.sampled_from(
            ["fixed", "normal", "truncnormal", "foldnormal", "lognormal", "weibull", "gamma",
             "expon", "empirical"]
        )
    )  # fmt: skip
    if kind == "fixed":
        lifetime = msa.FixedLifetime(spread(1.0, 30.0))
    elif kind == "normal":
        lifetime = msa.NormalLifetime(spread(2.0, 30.0), spread(0.5, 10.0))
    elif kind == "truncnormal":
        lifetime = msa.TruncatedNormalLifetime(spread(0.0, 30.0), spread(0.5, 10.0))
    elif kind == "foldnormal":
        lifetime = msa.FoldedNormalLifetime(spread(0.0, 30.0), spread(0.5, 10.0))
    elif kind == "lognormal":
        lifetime = msa.LogNormalLifetime(spread(1.0, 30.0), spread(0.5, 10.0))
    elif kind == "weibull":
        lifetime = msa.WeibullLifetime(spread(0.5, 6.0), spread(1.0, 30.0))
    elif kind == "gamma":
        lifetime = msa.GammaLifetime(spread(0.5, 8.0), spread(0.5, 8.0))
    elif kind == "expon":
        lifetime = msa.ExponentialLifetime(spread(1.0, 30.0))
    else:
        steps = draw(arrays(float, (n, 5), elements=st.floats(0.0, 0.4)))
        curve = np.clip(1.0 - np.cumsum(np.pad(steps, ((0, 0), (1, 0))), axis=1), 0.0, 1.0)
        lifetime = msa.EmpiricalLifetime(
            xr.DataArray(
                curve, dims=(dim, "age"), coords={dim: labels, "age": [0, 1, 3, 6, 10, 15]}
            )
        )
    timing = draw(st.sampled_from([("start", 1), ("middle", 1), ("end", 1), ("middle", 3)]))
    return inflow, lifetime, timing


@given(varying_cases())
def test_varying_lifetime_conserves_mass_and_equals_the_matrix_path(case):
    """Inflow - outflow = stock change, nothing negative, and the same as on matrices."""
    inflow, lifetime, (inflow_at, n_pts) = case
    kw = {"inflow_at": inflow_at, "n_pts_per_interval": n_pts}
    ds = msa.inflow_driven(inflow, lifetime, **kw)
    scale = max(float(inflow.max()), 1.0)
    n_t = inflow.sizes["time"]
    assert float(np.abs(ds.inflow - ds.outflow - ds.stock_change).max()) <= 1e-12 * scale * n_t
    assert float(np.abs(ds.outflow_by_cohort.sum("cohort") - ds.outflow).max()) <= (
        1e-10 * scale * n_t
    )
    assert float(np.abs(ds.stock_by_cohort.sum("cohort") - ds.stock).max()) <= 1e-10 * scale * n_t
    for var in ("stock", "outflow", "stock_by_cohort", "outflow_by_cohort"):
        assert float(ds[var].min()) >= 0.0, var
    with patch.object(msa.stocks.engine, "runs_by_age", lambda *args: False):
        on_matrices = msa.inflow_driven(inflow, lifetime, **kw)
    for var in ds.data_vars:
        diff = np.abs(ds[var] - on_matrices[var].transpose(*ds[var].dims))
        assert float(diff.max()) <= 1e-12 * scale * n_t, var


@given(varying_cases())
def test_varying_lifetime_round_trip_inflow_stock_inflow(case):
    """inflow_driven -> stock -> stock_driven returns the inflow, lifetime varying by a dim."""
    inflow, lifetime, (inflow_at, n_pts) = case
    kw = {"inflow_at": inflow_at, "n_pts_per_interval": n_pts}
    years = inflow["time"].values
    coords = {d: inflow[d].values for d in inflow.dims if d != "time"}
    sf = msa.survival_matrix(lifetime, years, coords=coords, **kw)
    if float(sf.isel(time=0, cohort=0).min()) < 0.3:
        return  # forward substitution divides by sf[t, t]: keep it well conditioned
    stock = msa.inflow_driven(inflow, lifetime, by_cohort=False, **kw).stock
    back = msa.stock_driven(stock, lifetime, **kw)
    scale = max(float(inflow.max()), 1.0)
    assert float(np.abs(back.inflow - inflow).max()) <= 1e-8 * scale
    assert float(np.abs(back.stock_by_cohort.sum("cohort") - stock).max()) <= 1e-8 * scale
