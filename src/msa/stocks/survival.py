r"""The discrete survival matrix ``sf[t, c]`` of a lifetime on an annual grid.

``sf[t, c]`` is the share of cohort ``c`` (the inflow of year ``c``) still in stock at the end
of year ``t``; 0 for ``t < c``. With the inflow of year ``c`` entering at the instant
``c - 1/2 + p`` (``p`` = 0, 1/2, 1 for ``inflow_at`` = start, middle, end; years are closed
intervals ``[c - 1/2, c + 1/2]`` as flodym's interval bounds on an annual grid) the age at the
end of year ``t`` is ``t - c + 1 - p``, so

.. math:: sf[t, c] = \sum_k w_k \, S_c(t - c + 1 - p_k)

with one point ``p = {start: 0, middle: 1/2, end: 1}[inflow_at]`` and weight 1, or ``n``
Gauss-Lobatto points mapped to [0, 1] (``n_pts_per_interval``, the inflow spread over the
year). ``S_c`` is the survival function with cohort ``c``'s parameters times
``factor_by_cohort[c]``. This equals flodym 1.1 ``LifetimeModel.sf`` on annual grids.

With ``factor_by_year`` (nurture, Krych et al. 2024) the hazard of year ``t`` uses the
parameters times ``factor_by_year[t]`` (:math:`S^{(t)}`), for every cohort in use:

.. math::

    sf[c, c] = \sum_k w_k S^{(c)}_c(1 - p_k), \qquad
    sf[t, c] = sf[t-1, c] \cdot
        \frac{\sum_k w_k S^{(t)}_c(t - c + 1 - p_k)}{\sum_k w_k S^{(t)}_c(t - c - p_k)}

with the ratio taken as 0 where its denominator is 0 (as flodym 1.1
``_compute_survival_factor_with_nurture``). Computed without a loop over years: the ratios of
every year and cohort at once, then a cumulative product along ``time``.

Cohorts older than the first model year (an initial stock by cohort) get the *conditional*
survival given they were in stock at the end of the year before the first model year:
``sf[t, c] / sf[t0 - 1, c]`` (with the year factors applied from ``t0`` on).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce
from typing import Any, Literal

import numpy as np
import xarray as xr

from msa.errors import ConfigError, DimensionError, LifetimeError
from msa.stocks._params import conform
from msa.stocks.lifetimes import Lifetime

__all__ = ["InflowAt", "quadrature", "survival_matrix"]

InflowAt = Literal["start", "middle", "end"]
_INFLOW_POINT = {"start": 0.0, "middle": 0.5, "end": 1.0}


def quadrature(inflow_at: str = "middle", n_pts_per_interval: int = 1) -> tuple[np.ndarray, ...]:
    """Return the instants (fraction of the year) and weights at which inflow enters.

    Parameters
    ----------
    inflow_at : {"start", "middle", "end"}
        Inflow instant when ``n_pts_per_interval`` is 1.
    n_pts_per_interval : int
        1 (one instant), or 2 to 10 Gauss-Lobatto points over the year (``inflow_at`` then
        does not apply: the inflow is spread over the whole year).

    Returns
    -------
    points, weights : numpy.ndarray
        Points in [0, 1] and weights summing to 1.

    Examples
    --------
    >>> quadrature("end")
    (array([1.]), array([1.]))
    >>> [a.round(4).tolist() for a in quadrature(n_pts_per_interval=3)]
    [[0.0, 0.5, 1.0], [0.1667, 0.6667, 0.1667]]
    """
    if inflow_at not in _INFLOW_POINT:
        raise ConfigError(
            f"inflow_at must be 'start', 'middle' or 'end' (got {inflow_at!r}); 'middle' is "
            "flodym's default, 'end' reproduces ODYM"
        )
    if isinstance(n_pts_per_interval, bool) or not isinstance(n_pts_per_interval, int | np.integer):
        raise ConfigError(f"n_pts_per_interval must be an integer (got {n_pts_per_interval!r})")
    n = int(n_pts_per_interval)
    if not 1 <= n <= 10:
        raise ConfigError(f"n_pts_per_interval must be between 1 and 10 (got {n})")
    if n == 1:
        return np.array([_INFLOW_POINT[inflow_at]]), np.array([1.0])
    # Gauss-Lobatto: the end points and the roots of P'_{n-1}; w = 2 / (n (n-1) P_{n-1}(x)^2).
    legendre = np.polynomial.legendre.Legendre.basis(n - 1)
    inner = np.sort(legendre.deriv().roots().real) if n > 2 else np.array([])
    nodes = np.concatenate([[-1.0], inner, [1.0]])
    weights = 2.0 / (n * (n - 1) * legendre(nodes) ** 2)
    return (nodes + 1.0) / 2.0, weights / 2.0


def check_years(years: np.ndarray, what: str = "time") -> np.ndarray:
    """Return ``years`` as a 1-D integer array of consecutive years (an annual grid).

    Parameters
    ----------
    years : numpy.ndarray
        Year labels: integers, or floats holding whole numbers.
    what : str
        What the years label, for messages (e.g. ``"inflow time"``).

    Returns
    -------
    numpy.ndarray
        The years, as given if of an integer dtype, else as int64.

    Raises
    ------
    DimensionError
        If ``years`` is empty, not 1-D, holds a non-integer year or is not consecutive.

    Examples
    --------
    >>> check_years(np.array([2020.0, 2021.0]))
    array([2020, 2021])
    """
    years = np.asarray(years)
    if years.ndim != 1 or len(years) == 0:
        raise DimensionError(f"{what} must be a non-empty 1-D sequence of years")
    if years.dtype.kind not in "iuf":  # text, booleans: not years
        raise DimensionError(f"{what} items must be integer years (got {years[:5].tolist()})")
    if not np.issubdtype(years.dtype, np.integer):
        if not (np.isfinite(years).all() and (years == np.round(years)).all()):
            raise DimensionError(f"{what} items must be integer years (got {years[:5].tolist()})")
        years = years.astype(np.int64)
    if len(years) > 1 and (np.diff(years) != 1).any():
        gap = int(np.flatnonzero(np.diff(years) != 1)[0])
        raise DimensionError(
            f"{what} must be consecutive years (annual grid): {years[gap]} is followed by "
            f"{years[gap + 1]}; interpolate the input to every year first"
        )
    return years


def survival_matrix(
    lifetime: Lifetime,
    time: np.ndarray | list[int] | xr.DataArray,
    *,
    cohort: np.ndarray | list[int] | None = None,
    inflow_at: InflowAt = "middle",
    n_pts_per_interval: int = 1,
    coords: Mapping[str, object] | None = None,
) -> xr.DataArray:
    r"""Return the survival matrix ``sf[t, c]`` of ``lifetime`` over years ``time``.

    Parameters
    ----------
    lifetime : Lifetime
        The distribution, with its optional factors by cohort and by year.
    time : sequence of int
        Consecutive years (the model years).
    cohort : sequence of int, optional
        Cohort labels; default ``time``. Labels before ``time[0]`` are historic cohorts: their
        column is the survival *conditional* on being in stock at the end of ``time[0] - 1``.
    inflow_at : {"start", "middle", "end"}
        When the inflow enters within its year (default "middle", as flodym; "end" = ODYM).
    n_pts_per_interval : int
        Gauss-Lobatto points over the inflow year (2-10) instead of one instant.
    coords : dict, optional
        Labels for the lifetime's other dims (a parameter lacking one raises LifetimeError).

    Returns
    -------
    xarray.DataArray
        Over (``time``, ``cohort``, the lifetime's other dims); 0 where ``time < cohort``.

    Notes
    -----
    See the module docstring of :mod:`msa.stocks.survival` and docs/lifetimes.md for the
    formula.

    Examples
    --------
    >>> import msa
    >>> sf = msa.survival_matrix(msa.FixedLifetime(2), [2020, 2021, 2022], inflow_at="end")
    >>> sf.values
    array([[1., 0., 0.],
           [1., 1., 0.],
           [0., 1., 1.]])
    """
    years = check_years(time.values if isinstance(time, xr.DataArray) else np.asarray(time))
    cohorts = years if cohort is None else np.asarray(cohort, dtype=np.int64)
    if len(np.unique(cohorts)) != len(cohorts):
        raise DimensionError(f"cohort labels must be unique (got {cohorts.tolist()[:10]})")
    if (cohorts > years[-1]).any():
        raise DimensionError(f"cohort {int(cohorts.max())} is after the last year {int(years[-1])}")
    sf, _ = survival_and_anchor(
        lifetime, years, cohorts, inflow_at, n_pts_per_interval, coords or {}
    )
    return sf


def survival_and_anchor(
    lifetime: Lifetime,
    years: np.ndarray,
    cohorts: np.ndarray,
    inflow_at: str,
    n_pts: int,
    coords: Mapping[Any, object],
) -> tuple[xr.DataArray, xr.DataArray | None]:
    """Return the survival matrix and the survival of the historic cohorts before the first year.

    The stock models need both: :func:`survival_matrix` returns the first only.

    Parameters
    ----------
    lifetime : Lifetime
        The distribution, with its optional factors by cohort and by year.
    years : numpy.ndarray
        Consecutive integer years, as :func:`check_years` returns them.
    cohorts : numpy.ndarray
        Unique integer cohort labels, none after the last year.
    inflow_at : {"start", "middle", "end"}
        When the inflow enters within its year (see :func:`quadrature`).
    n_pts : int
        Quadrature points over the inflow year (see :func:`quadrature`).
    coords : mapping
        Labels of the lifetime's other dims, by dim (``time`` and ``cohort`` are ignored).

    Returns
    -------
    sf : xarray.DataArray
        Over (``time``, ``cohort``, the lifetime's other dims).
    anchor : xarray.DataArray or None
        ``anchor[c]``, the unconditional survival of historic cohort ``c`` at the end of the
        year before the first model year, on which the historic columns of ``sf`` are
        conditional; None without historic cohorts.
    """
    if not isinstance(lifetime, Lifetime):
        raise LifetimeError(
            f"lifetime must be an msa lifetime (e.g. msa.WeibullLifetime), got "
            f"{type(lifetime).__name__}"
        )
    points, weights = quadrature(inflow_at, n_pts)
    t0 = int(years[0])
    historic = cohorts[cohorts < t0]
    other = {d: v for d, v in coords.items() if d not in ("time", "cohort")}
    cohort_factor = _factor(lifetime, "factor_by_cohort", "cohort", cohorts, other)
    year_factor = _factor(lifetime, "factor_by_year", "time", years, other)

    def weighted(age: xr.DataArray, factor: xr.DataArray | None) -> xr.DataArray:
        # The terms summed in order, one at a time (each may be a large array).
        terms = (
            w * lifetime._evaluate(age + (1.0 - p), factor)
            for p, w in zip(points, weights, strict=True)
        )
        return reduce(operator.add, terms)

    anchor = None
    if year_factor is None and not lifetime.varies_by_cohort:
        # sf depends on age only: evaluate S once on every age, then index t - c.
        s_age = _curve(lifetime, int(years[-1] - cohorts.min()), points, weights)
        lead = s_age.dims[:-1]
        age_tc = years[:, None] - cohorts[None, :]
        # Toeplitz gather in numpy, laid out (*other, time, cohort) as the stock engine uses it:
        # one np.take (C order, unlike fancy indexing on the last axis, which returns a
        # transposed layout) from the curve with a 0 appended for the cells above the diagonal.
        padded = np.concatenate([s_age.values, np.zeros((*s_age.shape[:-1], 1))], axis=-1)
        data = np.take(padded, np.where(age_tc >= 0, age_tc, s_age.sizes["age"]), axis=-1)
        labels = {d: s_age[d].values for d in lead if d in s_age.coords}
        sf = xr.DataArray(
            data,
            dims=(*lead, "time", "cohort"),
            coords={**labels, "time": years, "cohort": cohorts},
        )
        if len(historic):
            anchor = s_age.isel(
                age=xr.DataArray(t0 - 1 - historic, dims="cohort", coords={"cohort": historic})
            )
    else:
        time_c = xr.DataArray(years, dims="time", coords={"time": years})
        coh_c = xr.DataArray(cohorts, dims="cohort", coords={"cohort": cohorts})
        age_tc = (time_c - coh_c).astype(float).transpose("time", "cohort")
        mask = age_tc >= 0
        if year_factor is None:
            sf = weighted(age_tc, cohort_factor).where(mask, 0.0)
        else:
            factor = year_factor if cohort_factor is None else year_factor * cohort_factor
            now = weighted(age_tc, factor)
            before = weighted(age_tc - 1.0, factor)
            ratio = xr.where(before > 0, now / before.where(before > 0, 1.0), 0.0)
            # Row t of the product: sf[c, c] on the diagonal, the ratio after, 1 before.
            step = xr.where(age_tc == 0, now, xr.where(mask, ratio, 1.0))
            step = step.transpose("time", "cohort", ...)
            sf = xr.DataArray(
                np.cumprod(step.values, axis=0), dims=step.dims, coords=step.coords
            ).where(mask, 0.0)
        if len(historic):
            hist_age = xr.DataArray(
                (t0 - 1 - historic).astype(float), dims="cohort", coords={"cohort": historic}
            )
            hist_factor = None if cohort_factor is None else cohort_factor.sel(cohort=historic)
            anchor = weighted(hist_age, hist_factor)
    if anchor is not None:
        anchor = anchor.transpose("cohort", ...)
        if year_factor is None:
            # Historic columns: survival conditional on being in stock at the end of t0 - 1.
            pos = anchor > 0
            cond = (sf.sel(cohort=historic) / anchor.where(pos, 1.0)).where(pos, 0.0)
            sf = xr.concat([cond, sf.sel(cohort=cohorts[cohorts >= t0])], dim="cohort")
            sf = sf.sel(cohort=cohorts)
        # With year factors the cumulative product already started at 1 for historic cohorts.
    sf = conform(sf.transpose("time", "cohort", ...), other, lifetime, "the lifetime")
    if anchor is not None:
        anchor = conform(anchor, other, lifetime, "the lifetime")
    return sf, anchor


def survival_by_age(
    lifetime: Lifetime,
    years: np.ndarray,
    cohorts: np.ndarray,
    inflow_at: str,
    n_pts: int,
    coords: Mapping[Any, object],
) -> xr.DataArray:
    """Return ``S[a] = sf[t, c]`` for ``a = t - c`` = 0 ... ``years[-1] - cohorts.min()``.

    For a lifetime that depends on age only (no ``cohort`` dim, no ``factor_by_year``) the
    survival matrix of every series is Toeplitz, ``sf[t, c] = S[t - c]``, so this curve holds
    all of it: O(T) values per series instead of O(T C). Historic cohorts are *not* made
    conditional here (divide by ``S[t0 - 1 - c]``, as :func:`survival_and_anchor` does).

    Parameters
    ----------
    lifetime, years, cohorts, inflow_at, n_pts, coords : see :func:`survival_and_anchor`.

    Returns
    -------
    xarray.DataArray
        Over (the lifetime's other dims, ``age``), the labels of ``coords`` selected.

    Raises
    ------
    ConfigError
        If the lifetime varies by cohort or has a year factor (its matrix is not Toeplitz).
    """
    if lifetime.varies_by_cohort or "factor_by_year" in lifetime.factors:
        raise ConfigError(f"{lifetime!r} varies by cohort or year: its sf is not a curve by age")
    points, weights = quadrature(inflow_at, n_pts)
    other = {d: v for d, v in coords.items() if d not in ("time", "cohort")}
    s_age = _curve(lifetime, int(years[-1] - cohorts.min()), points, weights)
    return conform(s_age, other, lifetime, "the lifetime")


def _curve(lifetime: Lifetime, span: int, points: np.ndarray, weights: np.ndarray) -> xr.DataArray:
    """Return sum_k w_k S(a + 1 - p_k) for ages a = 0 ... span, over (*other, ``age``)."""
    ages = np.arange(span + 1, dtype=float)
    scalars = _scalar_parameters(lifetime)
    if scalars is None:

        def term(p: float, w: float) -> xr.DataArray:
            s = lifetime._evaluate(xr.DataArray(ages + (1.0 - p), dims="age"), None)
            return s if len(points) == 1 else w * s  # one point has weight 1

        # The terms summed in order, one at a time (as ``weighted`` in survival_and_anchor).
        terms = (term(p, w) for p, w in zip(points, weights, strict=True))
        return reduce(operator.add, terms).transpose(..., "age")
    # Fast path (scalar parameters): the same arithmetic without xarray overhead.
    total = sum(
        w * lifetime._sf(ages + (1.0 - p), **scalars) for p, w in zip(points, weights, strict=True)
    )
    return xr.DataArray(np.broadcast_to(total, ages.shape), dims="age")


def _scalar_parameters(lifetime: Lifetime) -> dict[str, np.ndarray] | None:
    """Return the parameters as 0-d arrays if all are scalars (plain formula S), else None."""
    if type(lifetime)._evaluate is not Lifetime._evaluate:
        return None
    params = lifetime.parameters
    if any(p.ndim for p in params.values()):
        return None
    return {name: np.asarray(p.values, dtype=float) for name, p in params.items()}


def _factor(
    lifetime: Lifetime, name: str, dim: str, labels: np.ndarray, other: Mapping[Any, object]
) -> xr.DataArray | None:
    """Return factor ``name`` with the labels the run needs (``labels`` of ``dim``), or None."""
    value = lifetime.factors.get(name)
    if value is None:
        return None
    if dim not in value.dims:
        return conform(value, other, lifetime, name)
    return conform(value, {dim: labels, **other}, lifetime, name)
