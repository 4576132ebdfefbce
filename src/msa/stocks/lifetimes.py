r"""Lifetime distributions: small frozen strategy objects with one job, survival by age.

Each class holds the parameters of one distribution and evaluates its survival function
:math:`S(x) = P(\text{lifetime} > x)` at ages ``x`` (years). Parameters are scalars or
DataArrays over any dims: ``cohort`` (year of entry, for cohort-varying lifetimes) and any
other dim of the stock (``region``, ``product``, ``chemistry``, ``sample`` ...). They are
validated when the object is made: an invalid value raises :class:`msa.LifetimeError` naming
the parameter, the value and its coordinates, so no NaN or inf can reach a stock model.

Two optional lifetime change factors (Krych et al. 2024) multiply the time scale of the
distribution (mean and standard deviation; the scale of Weibull and gamma; the age axis of an
empirical curve):

- ``factor_by_cohort`` (dim ``cohort``, "nature": design, material choice) changes the
  lifetime of new cohorts only;
- ``factor_by_year`` (dim ``time``, "nurture": maintenance, repair) changes the hazard in year
  ``t`` for every cohort in use, see :func:`msa.survival_matrix`.

The stock models (:func:`msa.inflow_driven`, :func:`msa.stock_driven`) turn a lifetime into
the discrete survival matrix ``sf[t, c]``; docs/lifetimes.md states the conventions.

References
----------
Krych, K., Müller, D. B., Pettersen, J. B. (2024). The 'nature' and 'nurture' of product
lifetimes in dynamic stock models. Journal of Industrial Ecology. doi:10.1111/jiec.13586
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeAlias

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import LifetimeError
from msa.messages import locate, plain
from msa.stocks._params import aligned, as_param, conform

__all__ = [
    "EmpiricalLifetime",
    "ExponentialLifetime",
    "FixedLifetime",
    "FoldedNormalLifetime",
    "GammaLifetime",
    "Lifetime",
    "LogNormalLifetime",
    "NormalLifetime",
    "TruncatedNormalLifetime",
    "WeibullLifetime",
]

ParamLike: TypeAlias = float | int | np.floating | np.integer | xr.DataArray
"""A lifetime parameter: a scalar or a DataArray over any dims (``cohort``, ``region`` ...)."""
ArrayLikeAge: TypeAlias = float | list | tuple | np.ndarray | xr.DataArray
"""Ages in years: a number, a sequence (dim ``age``) or a DataArray."""


@dataclass(frozen=True, eq=False, repr=False)
class Lifetime:
    """Base class of the lifetime distributions (use a subclass).

    Parameters
    ----------
    factor_by_cohort : float or DataArray, optional
        Multiplies the lifetime's time scale of new cohorts (dim ``cohort``, design, "nature").
    factor_by_year : float or DataArray, optional
        Multiplies the lifetime's time scale in year ``t`` for all cohorts in use (dim
        ``time``, maintenance, "nurture").
    """

    factor_by_cohort: ParamLike | None = field(default=None, kw_only=True)
    factor_by_year: ParamLike | None = field(default=None, kw_only=True)

    #: Parameter names and their validation rule.
    _params: ClassVar[dict[str, str | None]] = {}
    #: Parameters multiplied by a lifetime factor (they carry the time scale).
    _scaled: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        if type(self) is Lifetime:
            raise TypeError("Lifetime is the base class; use e.g. msa.WeibullLifetime")
        owner = type(self).__name__
        self._validate_parameters(owner)
        self._validate_factors(owner)
        self._align_parameter_labels(owner)
        self._check()

    def _validate_parameters(self, owner: str) -> None:
        """Store every parameter as a validated float DataArray (by ``cohort``, never ``time``)."""
        for name, rule in self._params.items():
            da = as_param(owner, name, getattr(self, name), rule)
            if "time" in da.dims:
                raise LifetimeError(
                    f"{owner}: {name} has a 'time' dim; lifetime parameters vary by 'cohort' "
                    "(year of entry). Rename the dim to 'cohort', or use factor_by_year for a "
                    "change that also affects cohorts already in use"
                )
            object.__setattr__(self, name, da)

    def _validate_factors(self, owner: str) -> None:
        """Store each factor given as a positive DataArray over its own dim, not the other's."""
        for name, dim, other in (
            ("factor_by_cohort", "cohort", "time"),
            ("factor_by_year", "time", "cohort"),
        ):
            value = getattr(self, name)
            if value is None:
                continue
            da = as_param(owner, name, value, "positive")
            if other in da.dims:
                raise LifetimeError(
                    f"{owner}: {name} must not have a {other!r} dim (it varies by {dim!r})"
                )
            object.__setattr__(self, name, da)

    def _align_parameter_labels(self, owner: str) -> None:
        """Order the labels of a dim the parameters share as the first parameter has them.

        Raises LifetimeError if the parameters hold different label sets on a shared dim.
        """
        labels: dict[Hashable, pd.Index] = {}
        for name in self._params:
            da = getattr(self, name)
            reorder = {}
            for dim in da.dims:
                if dim not in da.coords:
                    continue
                have = pd.Index(da[dim].values)
                if dim not in labels:
                    labels[dim] = have
                elif not have.equals(labels[dim]):
                    if set(have) != set(labels[dim]) or len(have) != len(labels[dim]):
                        raise LifetimeError(
                            f"{owner}: parameters {list(self._params)} have different labels "
                            f"on the shared dim {dim!r}; give them the same coordinates"
                        )
                    reorder[dim] = labels[dim]
            if reorder:
                object.__setattr__(self, name, da.sel(reorder))

    def _check(self) -> None:
        """Check constraints between parameters (subclasses may extend)."""

    # ------------------------------------------------------------------ description
    def __repr__(self) -> str:
        parts = []
        for name in (*self._params, "factor_by_cohort", "factor_by_year"):
            value = getattr(self, name)
            if value is None:
                continue
            if value.ndim == 0:
                parts.append(f"{name}={float(value):g}")
            else:
                dims = ", ".join(f"{d}: {n}" for d, n in value.sizes.items())
                parts.append(f"{name}=<{dims}>")
        return f"{type(self).__name__}({', '.join(parts)})"

    def with_factors(
        self,
        factor_by_cohort: ParamLike | None = None,
        factor_by_year: ParamLike | None = None,
    ) -> Lifetime:
        """Return a copy with these lifetime change factors (replacing any present).

        Examples
        --------
        >>> import xarray as xr
        >>> base = WeibullLifetime(shape=2.0, scale=10.0)
        >>> extended = base.with_factors(factor_by_cohort=1.2)
        >>> float(extended.factor_by_cohort), float(base.survival(12.0, factor=1.2)) > 0.3
        (1.2, True)
        """
        return replace(self, factor_by_cohort=factor_by_cohort, factor_by_year=factor_by_year)

    @property
    def parameters(self) -> dict[str, xr.DataArray]:
        """The distribution parameters as DataArrays, by name (without the factors)."""
        return {name: getattr(self, name) for name in self._params}

    @property
    def factors(self) -> dict[str, xr.DataArray]:
        """The lifetime change factors given, as DataArrays, by name (none if neither is given).

        Examples
        --------
        >>> list(WeibullLifetime(shape=2.0, scale=10.0, factor_by_year=1.1).factors)
        ['factor_by_year']
        """
        given = {name: getattr(self, name) for name in ("factor_by_cohort", "factor_by_year")}
        return {name: value for name, value in given.items() if value is not None}

    @property
    def dims(self) -> tuple[Hashable, ...]:
        """Every dim the parameters and factors use (``cohort``, ``time`` included)."""
        out: list[Hashable] = []
        for arr in (*self.parameters.values(), *self.factors.values()):
            out.extend(d for d in arr.dims if d not in out and d != "age")
        return tuple(out)

    @property
    def varies_by_cohort(self) -> bool:
        """True if a parameter or ``factor_by_cohort`` has a ``cohort`` dim."""
        arrays = [*self.parameters.values(), self.factors.get("factor_by_cohort")]
        return any(a is not None and "cohort" in a.dims for a in arrays)

    # ------------------------------------------------------------------ evaluation
    def survival(
        self, age: ArrayLikeAge, *, factor: xr.DataArray | float | None = None
    ) -> xr.DataArray:
        """Return the survival function :math:`S(x)` at ages ``x`` (years).

        Parameters
        ----------
        age : float, sequence or DataArray
            Ages in years. A plain sequence gets the dim ``age``.
        factor : float or DataArray, optional
            Multiplies the time scale (as the lifetime factors do). ``factor_by_cohort`` and
            ``factor_by_year`` are *not* applied here; the stock models apply them.

        Returns
        -------
        xarray.DataArray
            Over the dims of ``age`` and of the parameters.

        Examples
        --------
        >>> from msa import WeibullLifetime
        >>> WeibullLifetime(shape=2.0, scale=10.0).survival([0.0, 10.0]).values.round(4)
        array([1.    , 0.3679])
        """
        if not isinstance(age, xr.DataArray):
            arr = np.asarray(age, dtype=float)
            age = xr.DataArray(arr, dims=("age",) if arr.ndim == 1 else ())
        if isinstance(factor, int | float):
            factor = xr.DataArray(float(factor))
        return self._evaluate(age, factor)

    def _evaluate(self, age: xr.DataArray, factor: xr.DataArray | None) -> xr.DataArray:
        """Evaluate S at ``age`` with the time scale multiplied by ``factor``."""
        params = {n: conform(p, age.coords, self, n) for n, p in self.parameters.items()}
        if factor is not None:
            labels = dict(age.coords)
            for p in params.values():
                labels.update({d: p[d] for d in p.dims if d in p.coords})
            factor = conform(factor, labels, self, "factor")
            params.update({n: params[n] * factor for n in self._scaled})
        dims = list(age.dims)
        for p in params.values():
            dims.extend(d for d in p.dims if d not in dims and d != "age")
        dims_t = tuple(dims)
        coords = {}
        for arr in (age, *params.values()):
            coords.update({d: arr[d] for d in arr.dims if d in arr.coords and d in dims_t})
        x = aligned(age, dims_t)
        arrays = {n: aligned(p, dims_t) for n, p in params.items()}
        shape = np.broadcast_shapes(x.shape, *(a.shape for a in arrays.values()))
        out = np.broadcast_to(self._sf(x, **arrays), shape)
        return xr.DataArray(out, dims=dims_t, coords=coords)

    def _sf(self, x: np.ndarray, *args: Any, **params: Any) -> np.ndarray:  # pragma: no cover
        """Evaluate S at ages ``x`` from the parameters as arrays, by name (each subclass).

        Typed ``*args: Any, **params: Any`` so that every subclass may name its own parameters.
        """
        raise NotImplementedError(f"{type(self).__name__} is abstract; use a subclass")


@dataclass(frozen=True, eq=False, repr=False)
class FixedLifetime(Lifetime):
    """Every item leaves when it reaches the age ``mean`` (a step survival function).

    :math:`S(x) = 1` if :math:`x < L` else 0. A lifetime of 0 lets the whole cohort leave in
    its inflow year. Same as flodym's ``FixedLifetime``.

    Examples
    --------
    >>> FixedLifetime(mean=3).survival([2.5, 3.0]).values
    array([1., 0.])
    """

    mean: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"mean": "nonnegative"}
    _scaled: ClassVar[tuple[str, ...]] = ("mean",)

    def _sf(self, x: np.ndarray, mean: np.ndarray) -> np.ndarray:
        return (x < mean).astype(float)


@dataclass(frozen=True, eq=False, repr=False)
class NormalLifetime(Lifetime):
    r"""Normally distributed lifetime, not truncated (as ODYM and flodym).

    The mass at negative ages (:math:`\Phi(-\mu/\sigma)`) leaves in the inflow year. Use
    :class:`TruncatedNormalLifetime` or :class:`FoldedNormalLifetime` to avoid it.

    Examples
    --------
    >>> float(NormalLifetime(mean=12, std=4).survival(12.0))
    0.5
    """

    mean: ParamLike
    std: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"mean": "positive", "std": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("mean", "std")

    def _sf(self, x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        import scipy.special

        # scipy.stats.norm.sf(x, loc=mean, scale=std) without its argument checks (parameters
        # are validated here): the same operations, so the same values to the last bit.
        return scipy.special.ndtr(-((x - mean) / std))


@dataclass(frozen=True, eq=False, repr=False)
class TruncatedNormalLifetime(Lifetime):
    r"""Normal distribution truncated to non-negative ages and renormalised.

    ``mean`` and ``std`` are those of the normal *before* truncation:
    :math:`S(x) = \Phi(-(x-\mu)/\sigma) / \Phi(\mu/\sigma)` for :math:`x \ge 0`.
    Not offered by flodym.

    Examples
    --------
    >>> float(TruncatedNormalLifetime(mean=1.0, std=1.0).survival(0.0))
    1.0
    """

    mean: ParamLike
    std: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"mean": "nonnegative", "std": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("mean", "std")

    def _sf(self, x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.truncnorm.sf(x, a=-mean / std, b=np.inf, loc=mean, scale=std)


@dataclass(frozen=True, eq=False, repr=False)
class FoldedNormalLifetime(Lifetime):
    """Folded normal distribution: the absolute value of a normal variable.

    ``mean`` and ``std`` are those of the normal *before* folding (as flodym and ODYM):
    ``scipy.stats.foldnorm.sf(x, c=mean/std, loc=0, scale=std)``.

    Examples
    --------
    >>> round(float(FoldedNormalLifetime(mean=10, std=3).survival(10.0)), 4)
    0.5
    """

    mean: ParamLike
    std: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"mean": "nonnegative", "std": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("mean", "std")

    def _sf(self, x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.foldnorm.sf(x, mean / std, 0, scale=std)


@dataclass(frozen=True, eq=False, repr=False)
class LogNormalLifetime(Lifetime):
    r"""Lognormal lifetime; ``mean`` and ``std`` are those of the lognormal itself.

    Standard conversion (as flodym; ODYM's is wrong, see docs/lifetimes.md):
    :math:`\mu = \ln(m^2/\sqrt{m^2+s^2})`, :math:`\sigma = \sqrt{\ln(1+s^2/m^2)}`,
    :math:`S(x) = 1 - \Phi((\ln x - \mu)/\sigma)`.

    Examples
    --------
    >>> round(float(LogNormalLifetime(mean=12, std=4).survival(12.0)), 3)
    0.436
    """

    mean: ParamLike
    std: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"mean": "positive", "std": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("mean", "std")

    def _sf(self, x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        import scipy.stats

        mean_square = mean * mean
        std_square = std * std
        new_mean = np.log(mean_square / np.sqrt(mean_square + std_square))
        new_std = np.sqrt(np.log(1 + std_square / mean_square))
        return scipy.stats.lognorm.sf(x, s=new_std, loc=0, scale=np.exp(new_mean))


@dataclass(frozen=True, eq=False, repr=False)
class WeibullLifetime(Lifetime):
    r"""Weibull lifetime: :math:`S(x) = \exp(-(x/\lambda)^k)`, shape k, scale λ.

    Lifetime factors multiply the scale only (the mean and std scale with it).

    Examples
    --------
    >>> round(float(WeibullLifetime(shape=1.0, scale=5.0).survival(5.0)), 4)
    0.3679
    """

    shape: ParamLike
    scale: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"shape": "positive", "scale": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("scale",)

    def _sf(self, x: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
        # scipy.stats.weibull_min.sf(x, c=shape, scale=scale) without its argument checks
        # (parameters are validated here): exp(-(x / scale) ** shape), 1 at ages <= 0; the
        # same operations, so the same values to the last bit. A power beyond the largest
        # float is inf, and exp(-inf) = 0 is the survival there.
        with np.errstate(over="ignore"):
            return np.exp(-np.power(np.maximum(x, 0.0) / scale, shape))


@dataclass(frozen=True, eq=False, repr=False)
class GammaLifetime(Lifetime):
    """Gamma lifetime with shape k and scale θ (mean kθ, std √k θ).

    Use :meth:`from_mean_std` to give the mean and standard deviation instead.

    Examples
    --------
    >>> g = GammaLifetime.from_mean_std(mean=10.0, std=5.0)
    >>> float(g.shape), float(g.scale)
    (4.0, 2.5)
    """

    shape: ParamLike
    scale: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"shape": "positive", "scale": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("scale",)

    @classmethod
    def from_mean_std(cls, mean: ParamLike, std: ParamLike, **factors: ParamLike) -> GammaLifetime:
        """Make a gamma lifetime from its mean m and std s: k = (m/s)², θ = s²/m."""
        owner = cls.__name__
        m = as_param(owner, "mean", mean, "positive")
        s = as_param(owner, "std", std, "positive")
        return cls(shape=(m / s) ** 2, scale=s * s / m, **factors)

    def _sf(self, x: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.gamma.sf(x, a=shape, loc=0, scale=scale)


@dataclass(frozen=True, eq=False, repr=False)
class ExponentialLifetime(Lifetime):
    r"""Exponential lifetime (constant hazard 1/mean): :math:`S(x) = \exp(-x/m)`.

    Examples
    --------
    >>> round(float(ExponentialLifetime(mean=2.0).survival(2.0)), 4)
    0.3679
    """

    mean: ParamLike
    _params: ClassVar[dict[str, str | None]] = {"mean": "positive"}
    _scaled: ClassVar[tuple[str, ...]] = ("mean",)

    def _sf(self, x: np.ndarray, mean: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.expon.sf(x, loc=0, scale=mean)


@dataclass(frozen=True, eq=False, repr=False)
class EmpiricalLifetime(Lifetime):
    """A survival curve from data: the share still in use by age.

    ``survival`` is a DataArray with a dim ``age`` (years, increasing, >= 0) and optionally
    other dims (``cohort``, ``region`` ...), with values in [0, 1], non-increasing with age.
    Between the given ages S is interpolated linearly; before the first given age it runs
    linearly from S(0) = 1 (if age 0 is not given); beyond the last given age it stays at the
    last value (give a final 0 if everything has left by then). A lifetime factor f stretches
    the age axis: :math:`S_f(x) = S(x / f)`.

    Examples
    --------
    >>> import xarray as xr
    >>> curve = xr.DataArray([1.0, 0.8, 0.2, 0.0], dims="age", coords={"age": [0, 5, 10, 15]})
    >>> EmpiricalLifetime(curve).survival([2.5, 12.5, 20.0]).values
    array([0.9, 0.1, 0. ])
    """

    survival_curve: xr.DataArray
    _params: ClassVar[dict[str, str | None]] = {"survival_curve": None}
    _scaled: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        survival: xr.DataArray,
        *,
        factor_by_cohort: ParamLike | None = None,
        factor_by_year: ParamLike | None = None,
    ) -> None:
        object.__setattr__(self, "survival_curve", survival)
        object.__setattr__(self, "factor_by_cohort", factor_by_cohort)
        object.__setattr__(self, "factor_by_year", factor_by_year)
        self.__post_init__()

    def _check(self) -> None:
        owner = type(self).__name__
        curve = self.survival_curve
        if "age" not in curve.dims or "age" not in curve.coords:
            raise LifetimeError(
                f"{owner}: the survival curve needs a dim 'age' with coordinate labels "
                f"(got dims {curve.dims})"
            )
        ages = np.asarray(curve["age"].values, dtype=float)
        if not (np.isfinite(ages).all() and (ages >= 0).all()):
            raise LifetimeError(f"{owner}: ages must be finite and >= 0 (got {ages.tolist()})")
        if (np.diff(ages) <= 0).any():
            raise LifetimeError(f"{owner}: ages must be strictly increasing (got {ages.tolist()})")
        data = curve.values
        bad = (data < 0) | (data > 1)
        if bad.any():
            raise LifetimeError(
                f"{owner}: survival must be within [0, 1] (got {plain(data[bad][0])!r} "
                f"{locate(curve, bad)})"
            )
        step = curve.diff("age")
        rise = step.values > 0
        if rise.any():
            raise LifetimeError(
                f"{owner}: survival must be non-increasing with age (it rises by "
                f"{plain(step.values[rise][0])!r} {locate(step, rise)})"
            )
        if ages[0] > 0:
            first = xr.ones_like(curve.isel(age=[0])).assign_coords(age=[0.0])
            curve = xr.concat([first, curve.assign_coords(age=ages)], dim="age")
        object.__setattr__(
            self, "survival_curve", curve.assign_coords(age=curve["age"].astype(float))
        )

    def with_factors(
        self,
        factor_by_cohort: ParamLike | None = None,
        factor_by_year: ParamLike | None = None,
    ) -> EmpiricalLifetime:
        """Return a copy with these lifetime change factors (replacing any present)."""
        return EmpiricalLifetime(
            self.survival_curve, factor_by_cohort=factor_by_cohort, factor_by_year=factor_by_year
        )

    @property
    def survival_table(self) -> xr.DataArray:
        """The survival curve as validated (with S(0) = 1 prepended if age 0 was missing)."""
        return self.survival_curve

    def _evaluate(self, age: xr.DataArray, factor: xr.DataArray | None) -> xr.DataArray:
        if factor is not None:
            age = age / conform(factor, age.coords, self, "factor")
        knots = self.survival_curve["age"].values
        curve = conform(self.survival_curve, age.coords, self, "survival")
        curve = curve.rename(age="_knot").drop_vars("_knot")
        other = [d for d in curve.dims if d != "_knot"]
        dims = list(age.dims) + [d for d in other if d not in age.dims]
        dims_t = tuple(dims)
        x = aligned(age, dims_t)
        values = aligned(curve, (*dims_t, "_knot"))
        idx = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, max(len(knots) - 2, 0))
        shape = np.broadcast_shapes(x.shape, values.shape[:-1])
        values = np.broadcast_to(values, (*shape, values.shape[-1]))
        idx_b = np.broadcast_to(idx, shape)[..., None]
        left = np.take_along_axis(values, idx_b, axis=-1)[..., 0]
        if len(knots) == 1:
            out = np.where(x < knots[0], 1.0, left)
        else:
            right = np.take_along_axis(values, idx_b + 1, axis=-1)[..., 0]
            k0, k1 = knots[idx], knots[idx + 1]
            weight = np.clip((x - k0) / (k1 - k0), 0.0, 1.0)
            out = left + (right - left) * weight
            out = np.where(x <= knots[0], values[..., 0], out)
        out = np.where(x < 0, 1.0, out)
        coords = {}
        for arr in (age, curve):
            coords.update({d: arr[d] for d in arr.dims if d in arr.coords and d in dims_t})
        return xr.DataArray(np.broadcast_to(out, shape), dims=dims_t, coords=coords)
