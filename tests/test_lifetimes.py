"""Unit tests of msa.stocks.lifetimes and the survival matrix (msa.stocks.survival)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import xarray as xr

import msa
from msa import LifetimeError

YEARS = [2020, 2021, 2022, 2023, 2024]


def _da(values, dim="region", labels=("NL", "BE")):
    return xr.DataArray(list(values), dims=dim, coords={dim: list(labels)})


# ---------------------------------------------------------------- distributions


@pytest.mark.parametrize(
    ("lifetime", "x", "expected"),
    [
        (msa.FixedLifetime(3.5), [3.0, 3.5, 4.0], [1.0, 0.0, 0.0]),
        (msa.NormalLifetime(12, 4), [12.0], [0.5]),
        (msa.WeibullLifetime(2.0, 10.0), [10.0], [np.exp(-1.0)]),
        (msa.ExponentialLifetime(4.0), [4.0, 8.0], [np.exp(-1.0), np.exp(-2.0)]),
        (msa.GammaLifetime(shape=1.0, scale=3.0), [3.0], [np.exp(-1.0)]),
    ],
)
def test_survival_values(lifetime, x, expected):
    """Each distribution gives the textbook survival value at chosen ages."""
    np.testing.assert_allclose(lifetime.survival(x).values, expected, rtol=1e-12)


def test_lognormal_uses_mean_and_std_of_the_lognormal():
    """LogNormalLifetime(m, s) has mean m and standard deviation s (not ODYM's conversion)."""
    m, s = 12.0, 4.0
    sigma = np.sqrt(np.log(1 + s**2 / m**2))
    dist = scipy.stats.lognorm(s=sigma, scale=np.exp(np.log(m) - sigma**2 / 2))
    assert dist.mean() == pytest.approx(m) and dist.std() == pytest.approx(s)
    ages = np.linspace(0, 40, 9)
    np.testing.assert_allclose(
        msa.LogNormalLifetime(m, s).survival(ages).values, dist.sf(ages), rtol=1e-12
    )


def test_truncated_and_folded_normal_keep_all_mass_at_non_negative_ages():
    """Truncated and folded normal survival is 1 at age 0, unlike the plain normal."""
    for cls in (msa.TruncatedNormalLifetime, msa.FoldedNormalLifetime):
        assert float(cls(mean=2.0, std=3.0).survival(0.0)) == pytest.approx(1.0)
    assert float(msa.NormalLifetime(mean=2.0, std=3.0).survival(0.0)) < 0.8


def test_gamma_from_mean_std_round_trips():
    """GammaLifetime.from_mean_std gives a gamma with that mean and std."""
    g = msa.GammaLifetime.from_mean_std(mean=15.0, std=6.0)
    dist = scipy.stats.gamma(a=float(g.shape), scale=float(g.scale))
    assert dist.mean() == pytest.approx(15.0) and dist.std() == pytest.approx(6.0)


def test_parameters_broadcast_over_dims():
    """Parameters over region give a survival curve per region."""
    lt = msa.WeibullLifetime(shape=_da([2.0, 3.0]), scale=10.0)
    out = lt.survival([5.0, 10.0])
    assert set(out.dims) == {"age", "region"}
    np.testing.assert_allclose(
        out.sel(region="BE").values, np.exp(-((np.array([5, 10]) / 10) ** 3))
    )


def test_parameters_align_by_label_not_position():
    """Parameters with the same labels in another order pair by label."""
    with pytest.raises(LifetimeError, match="different labels on the shared dim 'region'"):
        msa.NormalLifetime(mean=_da([10, 20]), std=_da([1, 2], labels=("NL", "DE")))
    lt = msa.NormalLifetime(mean=_da([10.0, 20.0]), std=_da([2.0, 1.0], labels=("BE", "NL")))
    # NL: mean 10, std 1
    assert float(lt.survival(10.0).sel(region="NL")) == pytest.approx(0.5)
    assert float(lt.survival(11.0).sel(region="NL")) == pytest.approx(scipy.stats.norm.sf(1.0))


def test_repr_is_short():
    """The repr names the class and the parameters (dims for arrays)."""
    assert repr(msa.WeibullLifetime(2, 10)) == "WeibullLifetime(shape=2, scale=10)"
    r = repr(msa.NormalLifetime(_da([1, 2]), 1.0, factor_by_cohort=1.1))
    assert r == "NormalLifetime(mean=<region: 2>, std=1, factor_by_cohort=1.1)"


def test_with_factors_returns_new_object():
    """with_factors returns a copy with the factors and leaves the original unchanged."""
    base = msa.NormalLifetime(10, 2)
    new = base.with_factors(factor_by_year=_da([1.0, 1.2], "time", [2020, 2021]))
    assert base.factor_by_year is None and new.factor_by_year is not None
    curve = xr.DataArray([1.0, 0.5, 0.0], dims="age", coords={"age": [0, 5, 10]})
    emp = msa.EmpiricalLifetime(curve).with_factors(factor_by_cohort=2.0)
    assert float(emp.survival(10.0, factor=2.0)) == pytest.approx(0.5)


# ---------------------------------------------------------------- empirical


def test_empirical_interpolates_and_holds_the_last_value():
    """EmpiricalLifetime interpolates linearly and keeps the last value beyond the table."""
    curve = xr.DataArray([0.9, 0.5, 0.2], dims="age", coords={"age": [2, 4, 6]})
    lt = msa.EmpiricalLifetime(curve)
    np.testing.assert_allclose(
        lt.survival([-1.0, 0.0, 1.0, 3.0, 6.0, 50.0]).values, [1.0, 1.0, 0.95, 0.7, 0.2, 0.2]
    )
    assert float(lt.survival_table.sel(age=0.0)) == 1.0


def test_empirical_varies_by_region_and_cohort():
    """An empirical curve with region and cohort dims is evaluated per region and cohort."""
    data = np.array([[[1.0, 0.5, 0.0], [1.0, 0.8, 0.0]]] * 2)  # cohort, region, age
    curve = xr.DataArray(
        data,
        dims=("cohort", "region", "age"),
        coords={"cohort": [2020, 2021], "region": ["NL", "BE"], "age": [0, 5, 10]},
    )
    out = msa.EmpiricalLifetime(curve).survival(5.0)
    np.testing.assert_allclose(out.sel(cohort=2021).values, [0.5, 0.8])


# ---------------------------------------------------------------- invalid parameters


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: msa.FixedLifetime(-1.0), r"FixedLifetime: mean must be >= 0 \(got -1.0"),
        (lambda: msa.NormalLifetime(0.0, 1.0), r"NormalLifetime: mean must be > 0 \(got 0.0"),
        (lambda: msa.NormalLifetime(10.0, 0.0), r"NormalLifetime: std must be > 0 \(got 0.0"),
        (
            lambda: msa.TruncatedNormalLifetime(-2.0, 1.0),
            r"TruncatedNormalLifetime: mean must be >= 0",
        ),
        (
            lambda: msa.TruncatedNormalLifetime(2.0, -1.0),
            r"TruncatedNormalLifetime: std must be > 0",
        ),
        (lambda: msa.FoldedNormalLifetime(-2.0, 1.0), r"FoldedNormalLifetime: mean must be >= 0"),
        (lambda: msa.FoldedNormalLifetime(2.0, 0.0), r"FoldedNormalLifetime: std must be > 0"),
        (lambda: msa.LogNormalLifetime(0.0, 1.0), r"LogNormalLifetime: mean must be > 0"),
        (lambda: msa.LogNormalLifetime(1.0, -1.0), r"LogNormalLifetime: std must be > 0"),
        (lambda: msa.WeibullLifetime(0.0, 10.0), r"WeibullLifetime: shape must be > 0"),
        (lambda: msa.WeibullLifetime(2.0, -10.0), r"WeibullLifetime: scale must be > 0"),
        (lambda: msa.GammaLifetime(-1.0, 1.0), r"GammaLifetime: shape must be > 0"),
        (lambda: msa.GammaLifetime(1.0, 0.0), r"GammaLifetime: scale must be > 0"),
        (lambda: msa.GammaLifetime.from_mean_std(0.0, 1.0), r"GammaLifetime: mean must be > 0"),
        (lambda: msa.GammaLifetime.from_mean_std(1.0, 0.0), r"GammaLifetime: std must be > 0"),
        (lambda: msa.ExponentialLifetime(0.0), r"ExponentialLifetime: mean must be > 0"),
        (lambda: msa.NormalLifetime(np.nan, 1.0), r"NormalLifetime: mean must be finite \(got nan"),
        (lambda: msa.WeibullLifetime(2.0, np.inf), r"WeibullLifetime: scale must be finite"),
        (lambda: msa.WeibullLifetime("2", 1.0), r"shape must be a number or an xarray.DataArray"),
        (lambda: msa.WeibullLifetime(True, 1.0), r"shape must be a number or an xarray.DataArray"),
        (
            lambda: msa.NormalLifetime(10.0, 2.0, factor_by_cohort=0.0),
            r"factor_by_cohort must be > 0 \(got 0.0",
        ),
        (
            lambda: msa.NormalLifetime(10.0, 2.0, factor_by_year=-1.0),
            r"factor_by_year must be > 0",
        ),
    ],
)
def test_invalid_parameter_raises_lifetime_error(make, match):
    """Every invalid parameter raises LifetimeError naming the parameter and the value."""
    with pytest.raises(LifetimeError, match=match):
        make()


def test_invalid_parameter_names_its_coordinates():
    """The error names the coordinates of the first invalid value."""
    mean = xr.DataArray(
        [[10.0, 12.0], [11.0, -3.0]],
        dims=("region", "cohort"),
        coords={"region": ["NL", "BE"], "cohort": [2000, 2001]},
    )
    with pytest.raises(LifetimeError, match=r"got -3.0 at region='BE', cohort=2001"):
        msa.NormalLifetime(mean, 2.0)


def test_parameter_over_time_is_rejected():
    """A parameter with a time dim is rejected: lifetimes vary by cohort or by factor_by_year."""
    mean = _da([10.0, 12.0], "time", [2020, 2021])
    with pytest.raises(LifetimeError, match="has a 'time' dim; lifetime parameters vary by"):
        msa.ExponentialLifetime(mean)


def test_factor_with_the_wrong_dim_is_rejected():
    """factor_by_cohort may not vary by time and factor_by_year not by cohort."""
    by_time = _da([1.0, 1.1], "time", [2020, 2021])
    by_cohort = _da([1.0, 1.1], "cohort", [2020, 2021])
    with pytest.raises(LifetimeError, match="factor_by_cohort must not have a 'time' dim"):
        msa.NormalLifetime(10, 2, factor_by_cohort=by_time)
    with pytest.raises(LifetimeError, match="factor_by_year must not have a 'cohort' dim"):
        msa.NormalLifetime(10, 2, factor_by_year=by_cohort)


def test_dim_without_labels_is_rejected():
    """A parameter dim without coordinate labels is rejected."""
    with pytest.raises(LifetimeError, match="has dim 'region' without coordinate labels"):
        msa.ExponentialLifetime(xr.DataArray([1.0, 2.0], dims="region"))


@pytest.mark.parametrize(
    ("values", "ages", "match"),
    [
        (
            [1.0, 0.5, 0.7],
            [0, 1, 2],
            r"non-increasing with age \(it rises by 0\.(2|1999).* at age=2",
        ),
        ([1.0, 1.2, 0.0], [0, 1, 2], r"within \[0, 1\] \(got 1.2 at age=1"),
        ([1.0, 0.5, -0.1], [0, 1, 2], r"within \[0, 1\] \(got -0.1"),
        ([1.0, np.nan, 0.0], [0, 1, 2], r"survival_curve must be finite \(got nan at age=1"),
        ([1.0, 0.5, 0.0], [0, 2, 1], r"ages must be strictly increasing"),
        ([1.0, 0.5, 0.0], [-1, 0, 1], r"ages must be finite and >= 0"),
    ],
)
def test_invalid_empirical_curve_raises(values, ages, match):
    """An empirical curve outside [0, 1], rising, NaN or with bad ages raises LifetimeError."""
    curve = xr.DataArray(values, dims="age", coords={"age": ages})
    with pytest.raises(LifetimeError, match=match):
        msa.EmpiricalLifetime(curve)


def test_empirical_curve_needs_an_age_dim():
    """A curve without an 'age' dim raises LifetimeError."""
    with pytest.raises(LifetimeError, match="needs a dim 'age'"):
        msa.EmpiricalLifetime(xr.DataArray([1.0, 0.0], dims="year", coords={"year": [0, 1]}))


# ---------------------------------------------------------------- survival matrix


@pytest.mark.parametrize(("inflow_at", "offset"), [("start", 1.0), ("middle", 0.5), ("end", 0.0)])
def test_survival_matrix_offsets(inflow_at, offset):
    """sf[t, c] = S(t - c + offset) below the diagonal and 0 above, for each inflow timing."""
    lt = msa.WeibullLifetime(2.0, 3.0)
    sf = msa.survival_matrix(lt, YEARS, inflow_at=inflow_at).values
    for t in range(len(YEARS)):
        for c in range(len(YEARS)):
            want = scipy.stats.weibull_min.sf(t - c + offset, 2.0, scale=3.0) if t >= c else 0.0
            assert sf[t, c] == pytest.approx(want, abs=1e-15)


def test_quadrature_two_points_is_the_mean_of_start_and_end():
    """n_pts_per_interval=2 averages the start and end survival matrices."""
    lt = msa.NormalLifetime(3.0, 1.0)
    both = msa.survival_matrix(lt, YEARS, n_pts_per_interval=2)
    start = msa.survival_matrix(lt, YEARS, inflow_at="start")
    end = msa.survival_matrix(lt, YEARS, inflow_at="end")
    np.testing.assert_allclose(both, (start + end) / 2, rtol=1e-14)


def test_factor_by_year_reduces_to_factor_by_cohort_when_constant():
    """A constant factor by year gives the same sf as the same factor by cohort."""
    years = list(range(2000, 2012))
    f_year = _da([1.3] * 12, "time", years)
    f_cohort = _da([1.3] * 12, "cohort", years)
    a = msa.survival_matrix(msa.WeibullLifetime(2.0, 5.0, factor_by_year=f_year), years)
    b = msa.survival_matrix(msa.WeibullLifetime(2.0, 5.0, factor_by_cohort=f_cohort), years)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_factor_by_year_extends_cohorts_already_in_use():
    """A factor by year raises survival of older cohorts; a factor by cohort does not."""
    years = list(range(2000, 2010))
    step = _da([1.0] * 5 + [2.0] * 5, "time", years)
    nurture = msa.survival_matrix(msa.NormalLifetime(6.0, 2.0, factor_by_year=step), years)
    plain = msa.survival_matrix(msa.NormalLifetime(6.0, 2.0), years)
    assert float(nurture.sel(time=2009, cohort=2000)) > float(plain.sel(time=2009, cohort=2000))
    nature = msa.survival_matrix(
        msa.NormalLifetime(6.0, 2.0, factor_by_cohort=step.rename(time="cohort")), years
    )
    assert float(nature.sel(time=2009, cohort=2000)) == float(plain.sel(time=2009, cohort=2000))


def test_survival_matrix_missing_cohort_parameter():
    """A cohort-varying parameter must cover every cohort of the model."""
    mean = _da([10.0, 11.0], "cohort", [2020, 2021])
    with pytest.raises(LifetimeError, match=r"mean has no value for cohort \[2022, 2023, 2024\]"):
        msa.survival_matrix(msa.NormalLifetime(mean, 2.0), YEARS)


def test_survival_matrix_missing_year_factor():
    """factor_by_year must cover every model year."""
    f = _da([1.0, 1.1], "time", [2020, 2021])
    with pytest.raises(LifetimeError, match=r"factor_by_year has no value for time \[2022"):
        msa.survival_matrix(msa.NormalLifetime(10.0, 2.0, factor_by_year=f), YEARS)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"inflow_at": "noon"}, r"inflow_at must be 'start', 'middle' or 'end' \(got 'noon'\)"),
        ({"n_pts_per_interval": 11}, r"n_pts_per_interval must be between 1 and 10 \(got 11\)"),
        ({"n_pts_per_interval": 0}, r"between 1 and 10 \(got 0\)"),
        ({"n_pts_per_interval": 2.0}, r"n_pts_per_interval must be an integer"),
    ],
)
def test_invalid_timing_options(kwargs, match):
    """Unknown inflow_at or an out-of-range quadrature order raises ConfigError."""
    with pytest.raises(msa.ConfigError, match=match):
        msa.survival_matrix(msa.NormalLifetime(10.0, 2.0), YEARS, **kwargs)


@pytest.mark.parametrize(
    ("time", "match"),
    [
        ([2020, 2022, 2023], r"consecutive years \(annual grid\): 2020 is followed by 2022"),
        ([2020.5, 2021.5], r"must be integer years"),
        ([], r"non-empty"),
    ],
)
def test_survival_matrix_needs_an_annual_grid(time, match):
    """Non-consecutive or non-integer years raise DimensionError."""
    with pytest.raises(msa.DimensionError, match=match):
        msa.survival_matrix(msa.NormalLifetime(10.0, 2.0), time)


def test_survival_matrix_rejects_non_lifetime():
    """Passing something that is not an msa lifetime raises LifetimeError."""
    with pytest.raises(LifetimeError, match="lifetime must be an msa lifetime"):
        msa.survival_matrix("weibull", YEARS)


def test_base_class_cannot_be_used():
    """The abstract Lifetime base class refuses to be instantiated."""
    with pytest.raises(TypeError, match="Lifetime is the base class"):
        msa.Lifetime()
