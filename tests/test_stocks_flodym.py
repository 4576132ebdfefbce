"""flodym 1.1 as the oracle for the lifetime engine (annual grids, relative tolerance 1e-9).

Matrix: every distribution both toolkits offer x inflow timing (start, middle, end, and
Gauss-Lobatto quadrature with 2 and 5 points) x inflow- and stock-driven x lifetime factors
(none, by cohort, by year, both) x parameters constant or varying by cohort; two regions with
different parameters, T = 30.
"""

from __future__ import annotations

import flodym as fd  # a dev dependency (pyproject [dev]): the oracle must run, never skip
import numpy as np
import pytest
import xarray as xr

import msa

T = 30
YEARS = list(range(2000, 2000 + T))
REGIONS = ["north", "south"]
RTOL = 1e-9

# name -> (flodym class, {flodym name: (value north, value south)}, msa factory)
DISTRIBUTIONS = {
    "fixed": (
        fd.FixedLifetime,
        {"mean": (8.0, 11.5)},
        lambda p, **f: msa.FixedLifetime(p["mean"], **f),
    ),
    "normal": (
        fd.NormalLifetime,
        {"mean": (12.0, 9.0), "std": (4.0, 3.0)},
        lambda p, **f: msa.NormalLifetime(p["mean"], p["std"], **f),
    ),
    "foldednormal": (
        fd.FoldedNormalLifetime,
        {"mean": (10.0, 8.0), "std": (4.0, 5.0)},
        lambda p, **f: msa.FoldedNormalLifetime(p["mean"], p["std"], **f),
    ),
    "lognormal": (
        fd.LogNormalLifetime,
        {"mean": (12.0, 7.0), "std": (4.0, 6.0)},
        lambda p, **f: msa.LogNormalLifetime(p["mean"], p["std"], **f),
    ),
    "weibull": (
        fd.WeibullLifetime,
        {"weibull_shape": (2.5, 1.8), "weibull_scale": (15.0, 9.0)},
        lambda p, **f: msa.WeibullLifetime(shape=p["weibull_shape"], scale=p["weibull_scale"], **f),
    ),
}
TIMINGS = [("start", 1), ("middle", 1), ("end", 1), ("middle", 2), ("middle", 5)]
FACTORS = ["none", "cohort", "year", "both"]


def _inflow() -> np.ndarray:
    t = np.arange(T)
    base = 100 + 2 * t + 30 * np.sin(2 * np.pi * t / 25)
    return np.stack([base, 0.5 * base + 10 * np.cos(t)], axis=1)


def _case(dist: str, cohort_varying: bool, factors: str) -> tuple[object, object, dict]:
    """Return (flodym lifetime kwargs builder, msa lifetime, flodym extra kwargs)."""
    _, prms, make = DISTRIBUTIONS[dist]
    trend = 1 + 0.01 * np.arange(T) if cohort_varying else np.ones(T)
    fd_prms = {k: np.outer(trend, v) for k, v in prms.items()}
    msa_prms = {
        k: xr.DataArray(
            np.outer(trend, v),
            dims=("cohort", "region"),
            coords={"cohort": YEARS, "region": REGIONS},
        )
        if cohort_varying
        else xr.DataArray(list(v), dims="region", coords={"region": REGIONS})
        for k, v in prms.items()
    }
    f_cohort = 1 + 0.3 * np.arange(T) / T
    f_year = 1 + 0.5 * (np.arange(T) >= T // 2) * np.linspace(0, 1, T)
    extra: dict[str, np.ndarray] = {}
    msa_factors: dict[str, xr.DataArray] = {}
    if factors in ("cohort", "both"):
        extra["lt_factor_by_cohort"] = f_cohort[:, None]
        msa_factors["factor_by_cohort"] = xr.DataArray(
            f_cohort, dims="cohort", coords={"cohort": YEARS}
        )
    if factors in ("year", "both"):
        extra["lt_factor_by_year"] = f_year[:, None]
        msa_factors["factor_by_year"] = xr.DataArray(f_year, dims="time", coords={"time": YEARS})
    lifetime = make(msa_prms, **msa_factors)
    return fd_prms, lifetime, extra


def _flodym(dist, fd_prms, extra, inflow_at, n_pts, mode, values):
    dims = fd.DimensionSet(
        dim_list=[
            fd.Dimension(name="time", letter="t", items=YEARS),
            fd.Dimension(name="region", letter="r", items=REGIONS),
        ]
    )
    cls = DISTRIBUTIONS[dist][0]
    lt = cls(dims=dims, inflow_at=inflow_at, n_pts_per_interval=n_pts, **fd_prms, **extra)
    if mode == "inflow":
        model = fd.InflowDrivenDSM(dims=dims, lifetime_model=lt)
        model.inflow.values[...] = values
    else:
        model = fd.StockDrivenDSM(dims=dims, lifetime_model=lt)
        model.stock.values[...] = values
    model.compute()
    return {
        "inflow": model.inflow.values,
        "outflow": model.outflow.values,
        "stock": model.stock.values,
        "stock_by_cohort": model.get_stock_by_cohort(),
        "outflow_by_cohort": model.get_outflow_by_cohort(),
    }


def _assert_close(ours: xr.Dataset, ref: dict[str, np.ndarray], label: str) -> None:
    for var, want in ref.items():
        got = ours[var].transpose(
            "time", *(["cohort"] if "cohort" in ours[var].dims else []), "region"
        )
        scale = max(np.abs(want).max(), 1e-300)
        err = np.abs(got.values - want).max() / scale
        assert err <= RTOL, f"{label} {var}: max relative difference {err:.2e}"


@pytest.mark.parametrize("factors", FACTORS)
@pytest.mark.parametrize("timing", TIMINGS, ids=[f"{a}-{n}" for a, n in TIMINGS])
@pytest.mark.parametrize("dist", list(DISTRIBUTIONS))
def test_inflow_and_stock_driven_equal_flodym(dist, timing, factors):
    """inflow_driven and stock_driven equal flodym 1.1 to 1e-9 for this case."""
    inflow_at, n_pts = timing
    for cohort_varying in (False, True):
        fd_prms, lifetime, extra = _case(dist, cohort_varying, factors)
        label = f"{dist} {inflow_at} n={n_pts} factors={factors} cohort_varying={cohort_varying}"
        inflow = xr.DataArray(
            _inflow(), dims=("time", "region"), coords={"time": YEARS, "region": REGIONS}
        )
        ours = msa.inflow_driven(inflow, lifetime, inflow_at=inflow_at, n_pts_per_interval=n_pts)
        ref = _flodym(dist, fd_prms, extra, inflow_at, n_pts, "inflow", inflow.values)
        _assert_close(ours, ref, "inflow-driven " + label)
        stock = ours.stock
        ours_s = msa.stock_driven(stock, lifetime, inflow_at=inflow_at, n_pts_per_interval=n_pts)
        ref_s = _flodym(dist, fd_prms, extra, inflow_at, n_pts, "stock", stock.values)
        _assert_close(ours_s, ref_s, "stock-driven " + label)


@pytest.mark.parametrize("timing", TIMINGS, ids=[f"{a}-{n}" for a, n in TIMINGS])
def test_survival_matrix_equals_flodym_sf(timing):
    """survival_matrix equals flodym's sf with both factors and cohort-varying parameters."""
    inflow_at, n_pts = timing
    fd_prms, lifetime, extra = _case("weibull", True, "both")
    dims = fd.DimensionSet(
        dim_list=[
            fd.Dimension(name="time", letter="t", items=YEARS),
            fd.Dimension(name="region", letter="r", items=REGIONS),
        ]
    )
    lt = fd.WeibullLifetime(
        dims=dims, inflow_at=inflow_at, n_pts_per_interval=n_pts, **fd_prms, **extra
    )
    ours = msa.survival_matrix(lifetime, YEARS, inflow_at=inflow_at, n_pts_per_interval=n_pts)
    np.testing.assert_allclose(
        ours.transpose("time", "cohort", "region").values, lt.sf, rtol=0, atol=1e-12
    )
