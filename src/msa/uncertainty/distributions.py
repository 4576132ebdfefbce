"""From a value, its grade and an optional declared uncertainty to a distribution to draw from.

* :func:`resolve_uncertainty` turns a parameter (``value``, ``grade``, ``clo_grade``, ``bounds``
  and the ``uncertainty = {...}`` of model.toml, validated as an :class:`UncertaintySpec`) into a
  frozen :class:`Uncertainty` whose :meth:`~Uncertainty.draw` returns samples. Without a declared
  uncertainty the spread comes from the grade table (:mod:`msa.uncertainty.grades`).
* :func:`draw_split` draws the shares of a split (they still add to 1);
* :func:`table_factor` draws the multiplicative perturbation of a data table, one draw per
  sample shared by all its rows.

Every distribution keeps the given value as its mean, and every draw starts from uniform numbers,
one fixed count per sample (:func:`msa.uncertainty.streams.sample_uniforms`), so a draw in chunks
(``start=``) equals one draw. The rules are in docs/uncertainty.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from msa.errors import ConfigError
from msa.uncertainty.grades import GradeSpread, grade_spread
from msa.uncertainty.streams import sample_uniforms

__all__ = [
    "SHARE_SUM_TOLERANCE",
    "UNCERTAINTY_DISTRIBUTIONS",
    "Uncertainty",
    "UncertaintySpec",
    "draw_competing_shares",
    "draw_split",
    "parse_spec",
    "resolve_uncertainty",
    "table_factor",
]

#: The distributions an ``uncertainty = {...}`` may name.
UNCERTAINTY_DISTRIBUTIONS: tuple[str, ...] = (
    "normal",
    "lognormal",
    "triangular",
    "uniform",
    "beta",
)
#: Shares of a split must add to 1 within this (absolute), as in a model's data tables.
SHARE_SUM_TOLERANCE = 1e-6
#: A share's normal or lognormal must keep mean +- this many sd inside [0, 1] (or give bounds).
SHARE_SDS = 4.0
#: A spread below this fraction of the value (or of 1 - a share) is below double precision: none.
_NO_SPREAD = 1e-12
#: A beta parameter above this is past scipy's range; the beta is replaced by its gamma limit.
_HUGE = 1e100
#: The keys each distribution takes (one spread: sd, cv, gsd, or low and high).
_KEYS: dict[str, tuple[str, ...]] = {
    "normal": ("sd", "cv"),
    "lognormal": ("sd", "cv", "gsd"),
    "beta": ("sd", "cv"),
    "uniform": ("sd", "cv", "low", "high"),
    "triangular": ("sd", "cv", "low", "high", "mode"),
}
_WRONG_KEY: dict[str, str] = {
    "sd": "sd is not a spread of this distribution",
    "cv": "cv is not a spread of this distribution",
    "gsd": "gsd is the spread of a lognormal; give sd or cv",
    "low": "low and high are the range of a uniform or triangular; to cut a distribution off, "
    "give the parameter's bounds = [low, high]",
    "high": "low and high are the range of a uniform or triangular; to cut a distribution off, "
    "give the parameter's bounds = [low, high]",
    "mode": "mode is for a triangular",
}

_Finite = Annotated[float, Field(allow_inf_nan=False)]


class UncertaintySpec(BaseModel):
    """A declared uncertainty, the ``uncertainty = {...}`` of a model.toml parameter.

    Every key is optional: without ``distribution`` a share (a parameter marked as one, or with
    bounds inside [0, 1]) gets a beta, a positive value the grade table's distribution (lognormal),
    a value <= 0 a normal; without a spread the grade gives one. Unknown keys, wrong types and
    non-finite numbers are refused; the combination rules are checked by
    :func:`resolve_uncertainty`, which knows the value.

    Attributes
    ----------
    distribution : {"normal", "lognormal", "triangular", "uniform", "beta"}, optional
    sd : float, optional
        Standard deviation, in the value's units (absolute).
    cv : float, optional
        Coefficient of variation, sd / abs(value) (relative).
    gsd : float, optional
        Geometric standard deviation ``exp(sd of ln x)`` of a lognormal, >= 1.
    low, high : float, optional
        The range of a uniform or triangular.
    mode : float, optional
        The mode of a triangular (default: the one that makes the mean the value).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    distribution: str | None = None
    sd: _Finite | None = None
    cv: _Finite | None = None
    gsd: _Finite | None = None
    low: _Finite | None = None
    high: _Finite | None = None
    mode: _Finite | None = None

    @field_validator("distribution")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in UNCERTAINTY_DISTRIBUTIONS:
            raise ValueError(
                f"unknown distribution {value!r}; use one of {', '.join(UNCERTAINTY_DISTRIBUTIONS)}"
            )
        return value


@dataclass(frozen=True)
class Uncertainty:
    """The resolved distribution of one value: what :func:`resolve_uncertainty` returns.

    Attributes
    ----------
    value : float
        The given value, the mean of the distribution before truncation.
    distribution : str
        ``normal``, ``lognormal``, ``triangular``, ``uniform`` or ``beta``.
    sd : float
        The standard deviation before truncation, in the value's units; 0 means no spread (every
        draw is the value).
    bounds : tuple of float or None
        Draws are truncated to ``[low, high]``: the parameter's bounds, or [0, 1] for a share
        without bounds; None when nothing is cut off.
    basis : str
        Where the spread comes from: ``"uncertainty"`` (declared) or the grade table row
        (``"grade C (grade_uncertainty.csv)"``).
    where : str
        Names the value in messages (not compared).
    dist : scipy.stats frozen distribution or None
        The untruncated distribution (None when there is no spread; not compared).
    """

    value: float
    distribution: str
    sd: float
    bounds: tuple[float, float] | None = None
    basis: str = "uncertainty"
    where: str = field(default="parameter", compare=False)
    dist: Any = field(default=None, compare=False, repr=False)

    def quantile(self, u: np.ndarray | float) -> np.ndarray:
        """Return the values at probabilities ``u`` (in (0, 1)) of the truncated distribution.

        Truncation to ``bounds`` draws from the distribution restricted to them (inverse
        transform on ``[F(low), F(high)]``; ``truncnorm`` for a normal), then clips to the bounds
        against rounding, so every value lies within them.
        """
        u = np.asarray(u, dtype=float)
        if self.dist is None:
            return np.full(u.shape, self.value)
        if self.bounds is None:
            return np.asarray(self.dist.ppf(u), dtype=float)
        low, high = self.bounds
        if low == high:  # bounds that leave one value
            return np.full(u.shape, low)
        support_low, support_high = self.dist.support()
        if low <= support_low and support_high <= high:
            return np.asarray(self.dist.ppf(u), dtype=float)
        return np.clip(_truncated_ppf(self.dist, self.distribution, low, high, u), low, high)

    def draw(
        self, n: int, rng: np.random.Generator | int | None = None, *, start: int = 0
    ) -> np.ndarray:
        """Return ``n`` samples, samples ``start`` to ``start + n`` of the stream ``rng``.

        Parameters
        ----------
        n : int
            Number of samples.
        rng : numpy.random.Generator, int or None
            The value's stream, turned into a generator with ``numpy.random.default_rng``; give
            each value its own (:func:`msa.uncertainty.spawn_streams`): two values drawn with the
            same seed would be perfectly correlated.
        start : int, default 0
            Index of the first sample: ``draw(k, s)`` then ``draw(n - k, s, start=k)`` equals
            ``draw(n, s)`` (one uniform number per sample).

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``, within ``bounds``; the value itself ``n`` times when ``sd`` is 0.

        Examples
        --------
        >>> u = resolve_uncertainty(100.0, "C")
        >>> u.distribution, round(u.sd, 3)
        ('lognormal', 13.711)
        >>> bool((u.draw(4, 7) == u.draw(4, 7)).all())
        True
        """
        return self.quantile(sample_uniforms(rng, n, start=start, where=self.where))


def _truncated_ppf(dist: Any, name: str, low: float, high: float, u: np.ndarray) -> np.ndarray:
    """Quantiles of ``dist`` restricted to [low, high].

    A bound far out in a tail overflows its standardised value to +-inf, where the cdf is
    exactly 0 or 1: the overflow is expected and silenced.
    """
    from scipy import stats

    with np.errstate(over="ignore", under="ignore"):
        if name == "normal":
            loc, scale = dist.kwds["loc"], dist.kwds["scale"]
            a, b = (low - loc) / scale, (high - loc) / scale
            return np.asarray(stats.truncnorm(a, b, loc=loc, scale=scale).ppf(u), dtype=float)
        lower = float(dist.cdf(low))
        if lower > 0.5:  # the window lies in the upper tail, where the survival function is exact
            s_low, s_high = float(dist.sf(low)), float(dist.sf(high))
            return np.asarray(dist.isf(s_low - u * (s_low - s_high)), dtype=float)
        upper = float(dist.cdf(high))
        return np.asarray(dist.ppf(lower + u * (upper - lower)), dtype=float)


# ----------------------------------------------------------------------------- one value
def resolve_uncertainty(
    value: float,
    grade: str,
    clo_grade: str | None = None,
    bounds: Sequence[float] | None = None,
    spec: UncertaintySpec | Mapping[str, Any] | None = None,
    *,
    share: bool = False,
    where: str = "parameter",
) -> Uncertainty:
    """Return the distribution of a value from its grade, bounds and declared uncertainty.

    Parameters
    ----------
    value : float
        The value; it stays the mean of the distribution.
    grade : {"A", "B", "C", "D"}
        Its JRC MSA data-point grade.
    clo_grade : {"A", "B", "C", "D", "E", "F"}, optional
        Its CLO reliability grade; where given, the default spread comes from it, not ``grade``.
    bounds : [low, high], optional
        Draws are truncated to these (the value must lie within).
    spec : UncertaintySpec or mapping, optional
        The declared ``uncertainty = {...}`` (keys ``distribution``, ``sd``, ``cv``, ``gsd``,
        ``low``, ``high``, ``mode``); None uses the grade table.
    share : bool, default False
        The value is a share in [0, 1]. Bounds inside [0, 1], or a declared beta, mark a share
        too.
    where : str, default "parameter"
        Names the value in errors, e.g. ``"model.toml: [parameters.collection_rate]"``.

    Returns
    -------
    Uncertainty
        Frozen; ``draw(n, rng)`` returns samples.

    Raises
    ------
    msa.ConfigError
        One line naming ``where`` and the key: an unknown key or distribution, a key the
        distribution does not take, two spreads, a negative ``sd`` or ``cv``, ``gsd`` < 1, ``low``
        > ``high``, a range or mode whose mean is not the value, a beta whose variance is
        impossible for its mean (sd^2 >= m(1 - m)), a lognormal for a value <= 0 with an absolute
        spread, a share whose normal or lognormal reaches outside [0, 1] (mean +- 4 sd) without
        bounds, an unknown grade, a value outside its bounds.

    Notes
    -----
    The mean is the value: a lognormal with log-sd ``s`` has median ``value * exp(-s**2 / 2)``;
    a beta with mean ``m`` and sd ``sd`` has ``a = m * nu``, ``b = (1 - m) * nu`` with
    ``nu = m (1 - m) / sd**2 - 1``; a uniform or triangular from ``sd`` is symmetric about the
    value (half-width ``sd * sqrt(3)`` and ``sd * sqrt(6)``); from ``low`` and ``high`` its mean
    must be the value (a triangular's mode is derived from it when not given).

    From the grade table a positive value gets the table's log-sd ``s`` (lognormal) and any other
    distribution the same relative spread, ``sd = cv * |value|`` with
    ``cv = sqrt(exp(s**2) - 1)``; a share gets ``sd = cv * min(m, 1 - m)``, the same spread for
    the share and its complement (the beta of a two-way :func:`draw_split`). A relative spread
    (``cv``, ``gsd`` or a grade) of a value of 0 is 0: the value stays 0.

    Bounds truncate: the draws are those of the distribution restricted to the bounds, so where
    the bounds cut off mass the mean moves inside (the value is the mean before truncation).

    Examples
    --------
    >>> u = resolve_uncertainty(0.55, "C", bounds=[0, 1])
    >>> u.distribution, u.bounds, round(u.sd, 4)
    ('beta', (0.0, 1.0), 0.0617)
    >>> resolve_uncertainty(12.0, "D", spec={"distribution": "normal", "cv": 0.1}).sd
    1.2000000000000002
    >>> resolve_uncertainty(0.0, "D").sd
    0.0
    """
    value = _finite(value, "value", where)
    table = grade_spread(grade, clo_grade, where=where)
    limits = _bounds(bounds, value, where)
    declared = parse_spec(spec, where)
    is_share = share or (limits is not None and limits[0] >= 0 and limits[1] <= 1)
    if share and not 0 <= value <= 1:
        raise ConfigError(f"{where} value: a share must lie in [0, 1] (got {value!r})")
    name = declared.distribution or _default_distribution(value, is_share, table)
    is_share = is_share or name == "beta"
    _check_keys(declared, name, where)
    _check_signs(declared, where)
    spread = _spread(declared, value, is_share, table)
    dist, sd = _BUILDERS[name](value, spread, where)
    if is_share and limits is None:
        _check_share(name, value, sd, dist, where)
        limits = (0.0, 1.0)
    basis = table.basis if spread.key == "grade" else "uncertainty"
    return Uncertainty(value, name, sd, limits, basis, where, dist)


def parse_spec(spec: UncertaintySpec | Mapping[str, Any] | None, where: str) -> UncertaintySpec:
    """Validate a declared uncertainty; errors are one line naming ``where`` and the key.

    Examples
    --------
    >>> parse_spec({"distribution": "normal", "sd": 2}, "x").sd
    2.0
    """
    if spec is None:
        return UncertaintySpec()
    if isinstance(spec, UncertaintySpec):
        return spec
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f'{where} uncertainty: give a table such as {{ distribution = "normal", cv = 0.1 }} '
            f"(got {spec!r})"
        )
    try:
        return UncertaintySpec.model_validate(dict(spec))
    except ValidationError as err:
        raise ConfigError(f"{where} {_first_error(err)}") from err


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        known = ", ".join(UncertaintySpec.model_fields)
        return f"uncertainty.{key}: unknown key; use {known}"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] != "value_error":
        message += f" (got {first['input']!r})"
    return f"uncertainty.{key}: {message}"


def _finite(value: object, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{where} {key}: must be a number (got {value!r})")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{where} {key}: must be finite (got {number!r})")
    return number


def _bounds(bounds: Sequence[float] | None, value: float, where: str) -> tuple[float, float] | None:
    if bounds is None:
        return None
    items = list(bounds) if isinstance(bounds, Sequence | np.ndarray) else []
    numbers = all(
        isinstance(b, int | float | np.integer | np.floating) and not isinstance(b, bool)
        for b in items
    )
    if len(items) != 2 or not numbers or any(math.isnan(float(b)) for b in items):
        raise ConfigError(f"{where} bounds: give [low, high], two numbers (got {bounds!r})")
    low, high = float(items[0]), float(items[1])
    if low > high:
        raise ConfigError(f"{where} bounds: low {low!r} > high {high!r}; give [low, high]")
    if not low <= value <= high:
        raise ConfigError(f"{where} value: {value!r} is outside its bounds [{low!r}, {high!r}]")
    return low, high


def _default_distribution(value: float, is_share: bool, table: GradeSpread) -> str:
    if is_share:
        return "beta"
    return table.distribution if value > 0 else "normal"


def _check_keys(spec: UncertaintySpec, name: str, where: str) -> None:
    """Each key given fits the distribution; one spread; low with high; mode with both."""
    given = [k for k in ("sd", "cv", "gsd", "low", "high", "mode") if getattr(spec, k) is not None]
    implied = "" if spec.distribution is not None else " by default"
    for key in given:
        if key not in _KEYS[name]:
            raise ConfigError(
                f"{where} uncertainty.{key}: {_WRONG_KEY[key]} (the distribution is {name!r}"
                f"{implied})"
            )
    forms: list[str] = [k for k in ("sd", "cv", "gsd") if k in given]
    forms += ["low/high"] if {"low", "high"} & set(given) else []
    if len(forms) > 1:
        raise ConfigError(
            f"{where} uncertainty.{forms[1].split('/')[0]}: give one spread, not "
            f"{' and '.join(forms)}"
        )
    for key, other in (("low", "high"), ("high", "low"), ("mode", "low")):
        if key in given and other not in given:
            raise ConfigError(f"{where} uncertainty.{other}: {key} needs low and high")


def _check_signs(spec: UncertaintySpec, where: str) -> None:
    for key in ("sd", "cv"):
        number = getattr(spec, key)
        if number is not None and number < 0:
            raise ConfigError(f"{where} uncertainty.{key}: must be >= 0 (got {number!r})")
    if spec.gsd is not None and spec.gsd < 1:
        raise ConfigError(
            f"{where} uncertainty.gsd: must be >= 1, a geometric sd (1: no spread) "
            f"(got {spec.gsd!r})"
        )
    if spec.low is not None and spec.high is not None and spec.low > spec.high:
        raise ConfigError(
            f"{where} uncertainty.low: low {spec.low!r} > high {spec.high!r}; give low <= high"
        )


class _Spread(NamedTuple):
    """The spread of a value, in the forms the distributions need."""

    key: str  # "sd", "cv", "gsd", "low" (a range) or "grade": named in messages
    sd: float | None = None  # absolute sd, in the value's units
    log_sd: float | None = None  # sd of ln x, where given as such (gsd, grade of a non-share)
    low: float | None = None
    high: float | None = None
    mode: float | None = None


def _spread(spec: UncertaintySpec, value: float, is_share: bool, table: GradeSpread) -> _Spread:
    if spec.sd is not None:
        return _Spread("sd", sd=spec.sd)
    if spec.cv is not None:
        return _Spread("cv", sd=spec.cv * abs(value), log_sd=math.sqrt(math.log1p(spec.cv**2)))
    if spec.gsd is not None:
        s = math.log(spec.gsd)
        return _Spread("gsd", sd=abs(value) * math.sqrt(math.expm1(s * s)), log_sd=s)
    if spec.low is not None and spec.high is not None:
        return _Spread("low", low=spec.low, high=spec.high, mode=spec.mode)
    s = table.log_sd
    cv = math.sqrt(math.expm1(s * s))
    if is_share:
        return _Spread("grade", sd=cv * min(value, 1.0 - value))
    return _Spread("grade", sd=cv * abs(value), log_sd=s)


# ----------------------------------------------------------------------------- distributions
_Built = tuple[Any, float]


def _normal(value: float, spread: _Spread, where: str) -> _Built:
    from scipy import stats

    sd = float(spread.sd or 0.0)
    if sd == 0 or sd <= _NO_SPREAD * abs(value):
        return None, sd
    return stats.norm(loc=value, scale=sd), sd


def _lognormal(value: float, spread: _Spread, where: str) -> _Built:
    from scipy import stats

    relative = spread.key in ("cv", "gsd", "grade")
    if value < 0 or (value == 0 and not relative and (spread.sd or 0.0) > 0):
        raise ConfigError(
            f"{where} uncertainty.distribution: a lognormal is for a value > 0 with this spread "
            f"(got value {value!r}); use a normal"
        )
    if value == 0:
        return None, 0.0
    s = spread.log_sd
    if s is None:
        s = math.sqrt(math.log1p((float(spread.sd or 0.0) / value) ** 2))
    if s == 0:
        return None, 0.0
    median = value * math.exp(-s * s / 2)
    return stats.lognorm(s, scale=median), value * math.sqrt(math.expm1(s * s))


def _beta(value: float, spread: _Spread, where: str) -> _Built:
    from scipy import stats

    if not 0 <= value <= 1:
        raise ConfigError(
            f"{where} uncertainty.distribution: a beta is for a share in [0, 1] "
            f"(got value {value!r})"
        )
    sd = float(spread.sd or 0.0)
    if sd <= _NO_SPREAD * min(value, 1 - value):  # also sd 0 at a value of 0 or 1
        return None, sd
    if value in (0.0, 1.0) or (sd / value) * (sd / (1 - value)) >= 1:  # sd^2 >= m (1 - m)
        raise ConfigError(
            f"{where} uncertainty.{spread.key}: a beta with mean {value!r} needs sd < "
            f"sqrt(m (1 - m)) = {math.sqrt(value * (1 - value)):.6g} (got sd {sd:.6g}); "
            "give a smaller spread"
        )
    # a = m nu and b = (1 - m) nu with nu = m (1 - m) / sd^2 - 1, written so that nothing underflows
    a = (value / sd) * (value / sd) * (1 - value) - value
    b = ((1 - value) / sd) * ((1 - value) / sd) * value - (1 - value)
    if b > _HUGE:  # a share of almost 0: Beta(a, b) -> Gamma(a) / (a + b), exact to rounding
        return stats.gamma(a, scale=value / a), sd
    return stats.beta(a, b), sd


def _uniform(value: float, spread: _Spread, where: str) -> _Built:
    from scipy import stats

    if spread.low is not None and spread.high is not None:
        low, high = spread.low, spread.high
        _check_mean((low + high) / 2, value, low, high, "low", "(low + high) / 2", where)
    else:
        half = float(spread.sd or 0.0) * math.sqrt(3)
        low, high = value - half, value + half
    if high == low:
        return None, 0.0
    return stats.uniform(loc=low, scale=high - low), (high - low) / math.sqrt(12)


def _triangular(value: float, spread: _Spread, where: str) -> _Built:
    from scipy import stats

    if spread.low is not None and spread.high is not None:
        low, high = spread.low, spread.high
        if spread.mode is None:
            mode = 3 * value - low - high  # the mode that makes the mean the value
            if not low <= mode <= high:
                raise ConfigError(
                    f"{where} uncertainty.low: no triangular on [{low!r}, {high!r}] has mean "
                    f"{value!r} (its mode would be {mode:.6g}); move the range"
                )
        else:
            mode = spread.mode
            if not low <= mode <= high:
                raise ConfigError(
                    f"{where} uncertainty.mode: {mode!r} is outside [{low!r}, {high!r}]"
                )
            _check_mean(
                (low + mode + high) / 3, value, low, high, "mode", "(low+mode+high)/3", where
            )
    else:
        half = float(spread.sd or 0.0) * math.sqrt(6)
        low, high, mode = value - half, value + half, value
    if high == low:
        return None, 0.0
    variance = (low * low + high * high + mode * mode - low * high - low * mode - high * mode) / 18
    c = (mode - low) / (high - low)
    return stats.triang(c, loc=low, scale=high - low), math.sqrt(max(variance, 0.0))


def _check_mean(
    mean: float, value: float, low: float, high: float, key: str, formula: str, where: str
) -> None:
    if not math.isclose(mean, value, rel_tol=1e-9, abs_tol=1e-9 * (high - low)):
        hint = "leave mode out to derive it from the value" if key == "mode" else "centre the range"
        raise ConfigError(
            f"{where} uncertainty.{key}: the mean {formula} = {mean:.6g} is not the value "
            f"{value!r}; {hint}"
        )


_BUILDERS = {
    "normal": _normal,
    "lognormal": _lognormal,
    "beta": _beta,
    "uniform": _uniform,
    "triangular": _triangular,
}


def _check_share(name: str, value: float, sd: float, dist: Any, where: str) -> None:
    """Check that a share without bounds (nearly) stays inside [0, 1]."""
    if name in ("normal", "lognormal"):
        low = value - SHARE_SDS * sd if name == "normal" else 0.0
        high = value + SHARE_SDS * sd
        what = f"mean +- {SHARE_SDS:g} sd = [{low:.6g}, {high:.6g}]"
    elif name in ("uniform", "triangular") and dist is not None:
        low, high = (float(x) for x in dist.support())
        what = f"its range [{low:.6g}, {high:.6g}]"
    else:
        return
    if low < 0 or high > 1:
        raise ConfigError(
            f"{where} uncertainty.distribution: a share's {name} reaches outside [0, 1] ({what}); "
            'use distribution = "beta", or give bounds = [0, 1] to truncate it'
        )


# ----------------------------------------------------------------------------- splits
def draw_split(
    values: Sequence[float] | np.ndarray,
    n: int,
    rng: np.random.Generator | int | None = None,
    *,
    grade: str | None = None,
    clo_grade: str | None = None,
    sd: float | None = None,
    concentration: float | None = None,
    start: int = 0,
    where: str = "split",
) -> np.ndarray:
    """Draw the shares of a split so that every sample still adds to 1.

    Parameters
    ----------
    values : sequence of float
        The shares (>= 0, adding to 1 within :data:`SHARE_SUM_TOLERANCE`; divided by their sum),
        e.g. the chemistry shares of one year.
    n : int
        Number of samples.
    rng : numpy.random.Generator, int or None
        The split's stream (``numpy.random.default_rng(rng)``).
    grade, clo_grade : str, optional
        Take the spread from the grade table (CLO grade preferred where given).
    sd : float, optional
        The sd of the largest share.
    concentration : float, optional
        The Dirichlet concentration ``alpha0`` itself (> 0).
    start : int, default 0
        Index of the first sample (two uniform numbers per non-zero share and sample).
    where : str, default "split"
        Names the split in errors.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, k)``: each row adds to 1 (to rounding, about 1e-16) and lies in [0, 1]; a
        share of 0 is 0 in every sample.

    Raises
    ------
    msa.ConfigError
        Unless exactly one of grade (with or without clo_grade), ``sd`` and ``concentration`` is
        given; for a negative or non-finite share, shares not adding to 1, an ``sd`` the largest
        share cannot have (sd^2 >= m (1 - m)), a concentration <= 0, an unknown grade.

    Notes
    -----
    The non-zero shares ``m`` follow a Dirichlet with ``alpha = alpha0 * m``, so each share's
    mean is its value and its variance ``m (1 - m) / (alpha0 + 1)``. ``alpha0`` is chosen to match
    the sd of the largest share ``M``: ``alpha0 = M (1 - M) / sd**2 - 1`` (Lupton and Allwood
    2018); from a grade, ``sd = cv * min(M, 1 - M)`` with ``cv = sqrt(exp(s**2) - 1)`` and ``s``
    the grade's log-sd, the rule :func:`resolve_uncertainty` applies to a share, so a two-way
    split draws the same beta as its larger share would. Zero shares are left out of the
    Dirichlet and stay 0; a split with one non-zero share does not vary.

    Each sample draws ``Gamma(alpha_i)`` by inverse transform as ``Y * U**(1 / alpha_i)`` with
    ``Y ~ Gamma(alpha_i + 1)`` (exact, and safe for a small ``alpha_i``) and normalises in log
    space (softmax).

    References
    ----------
    Lupton, R. C. and Allwood, J. M. (2018). Incremental Material Flow Analysis with Bayesian
    Inference. *Journal of Industrial Ecology* 22(6), 1352-1364. doi:10.1111/jiec.12698

    Examples
    --------
    >>> draws = draw_split([0.6, 0.4, 0.0], 1000, 1, grade="D")
    >>> draws.shape, bool(abs(draws.sum(axis=1) - 1).max() < 1e-12), bool((draws[:, 2] == 0).all())
    ((1000, 3), True, True)
    """
    from scipy import special, stats

    shares = _split_shares(values, where)
    nonzero = np.flatnonzero(shares > 0)
    alpha0 = _concentration(shares, grade, clo_grade, sd, concentration, where)
    u = sample_uniforms(rng, n, start=start, per_sample=2 * nonzero.size, where=where)
    out = np.empty((u.shape[0], shares.size))
    out[:] = shares
    if nonzero.size < 2 or math.isinf(alpha0):
        return out
    alpha = alpha0 * shares[nonzero]
    gamma_plus_one = stats.gamma.ppf(u[:, : nonzero.size], alpha + 1.0)
    log_gamma = np.log(gamma_plus_one) + np.log(u[:, nonzero.size :]) / alpha
    out[:, nonzero] = special.softmax(log_gamma, axis=1)
    return out


def _split_shares(values: Sequence[float] | np.ndarray, where: str) -> np.ndarray:
    try:
        shares = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} values: must be numbers (got {values!r})") from None
    if shares.ndim != 1 or shares.size == 0:
        raise ConfigError(f"{where} values: give the shares of one split, a 1-d list")
    bad = np.flatnonzero(~np.isfinite(shares) | (shares < 0))
    if bad.size:
        i = int(bad[0])
        raise ConfigError(f"{where} values[{i}]: a share must be >= 0 (got {float(shares[i])!r})")
    total = float(shares.sum())
    if abs(total - 1) > SHARE_SUM_TOLERANCE:
        raise ConfigError(
            f"{where} values: shares must add to 1 within {SHARE_SUM_TOLERANCE:g} (got {total!r})"
        )
    return shares / total


def _concentration(
    shares: np.ndarray,
    grade: str | None,
    clo_grade: str | None,
    sd: float | None,
    concentration: float | None,
    where: str,
) -> float:
    """alpha0 of the Dirichlet: given, or matching the sd of the largest share (inf: no spread)."""
    by_grade = grade if grade is not None else clo_grade
    given = [
        key
        for key, v in (("grade", by_grade), ("sd", sd), ("concentration", concentration))
        if v is not None
    ]
    if len(given) != 1:
        raise ConfigError(
            f"{where}: give one of grade, sd or concentration (got {', '.join(given) or 'none'})"
        )
    if concentration is not None:
        return _positive_concentration(concentration, where)
    largest = float(shares.max())
    variance = largest * (1 - largest)
    key = "sd"
    if sd is not None:
        spread = _finite(sd, "sd", where)
        if spread < 0:
            raise ConfigError(f"{where} sd: must be >= 0 (got {spread!r})")
    else:
        key = "clo_grade" if clo_grade else "grade"
        s = grade_spread(grade or "", clo_grade, where=where).log_sd
        spread = math.sqrt(math.expm1(s * s)) * min(largest, 1 - largest)
    if spread <= _NO_SPREAD * min(largest, 1 - largest):
        return math.inf
    if (spread / largest) * (spread / (1 - largest)) >= 1:  # sd^2 >= M (1 - M)
        raise ConfigError(
            f"{where} {key}: the largest share {largest:.6g} can only have sd < "
            f"sqrt(m (1 - m)) = {math.sqrt(variance):.6g} (got sd {spread:.6g})"
        )
    return (largest / spread) * ((1 - largest) / spread) - 1


def _positive_concentration(concentration: object, where: str) -> float:
    """Return a concentration > 0 as a float; infinity means no spread."""
    number = math.nan
    if isinstance(concentration, int | float | np.integer | np.floating) and not isinstance(
        concentration, bool
    ):
        number = float(concentration)
    if not number > 0:  # also refuses NaN and what is not a number
        raise ConfigError(f"{where} concentration: must be a number > 0 (got {concentration!r})")
    return number


# ----------------------------------------------------------------------------- tables
def table_factor(
    grades: Sequence[str] | np.ndarray,
    n: int,
    rng: np.random.Generator | int | None = None,
    *,
    clo_grades: Sequence[str] | np.ndarray | None = None,
    start: int = 0,
    where: str = "table",
) -> np.ndarray:
    """Draw the multiplicative perturbation of a data table: rows fully correlated.

    Parameters
    ----------
    grades : sequence of str
        The JRC grade (A-D) of each row.
    n : int
        Number of samples.
    rng : numpy.random.Generator, int or None
        The table's stream (``numpy.random.default_rng(rng)``).
    clo_grades : sequence of str, optional
        The CLO grade (A-F) of each row, ``""`` where none; used instead of the JRC grade where
        given.
    start : int, default 0
        Index of the first sample (one uniform number per sample).
    where : str, default "table"
        Names the table in errors.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, rows)``: multiply row ``r`` of the table by column ``r``.

    Raises
    ------
    msa.ConfigError
        For an unknown or missing grade (naming the row, counted from 0), or ``clo_grades`` of
        another length.

    Notes
    -----
    One standard normal ``z`` per sample, shared by every row, and a mean-preserving lognormal
    factor per row, ``exp(s_r z - s_r**2 / 2)`` with ``s_r`` the log-sd of the row's grade: each
    factor has mean 1 and the rows move together. A table usually comes from one source, whose
    error (a definition, a coverage gap, a conversion) hits every row alike; independent noise
    per row would average out in any total over rows and understate the total's uncertainty.
    Rows of different grades move together with their own spread.

    Examples
    --------
    >>> factor = table_factor(["A", "D", "D"], 5, 3)
    >>> factor.shape, bool((factor[:, 1] == factor[:, 2]).all())
    ((5, 3), True)
    """
    from scipy import stats

    sigma = _row_log_sds(grades, clo_grades, where)
    z = stats.norm.ppf(sample_uniforms(rng, n, start=start, where=where))
    return np.exp(np.outer(z, sigma) - 0.5 * sigma**2)


def _row_log_sds(
    grades: Sequence[str] | np.ndarray, clo_grades: Sequence[str] | np.ndarray | None, where: str
) -> np.ndarray:
    rows = list(np.asarray(grades, dtype=object).ravel())
    clo = [""] * len(rows) if clo_grades is None else list(np.asarray(clo_grades, dtype=object))
    if len(clo) != len(rows):
        raise ConfigError(
            f"{where} clo_grades: {len(clo)} grades for {len(rows)} rows; give one per row"
        )
    cache: dict[tuple[object, object], float] = {}
    sigma = np.empty(len(rows))
    for i, pair in enumerate(zip(rows, clo, strict=True)):
        if pair not in cache:
            grade, clo_grade = (
                "" if p is None else p if isinstance(p, str) else repr(p) for p in pair
            )
            cache[pair] = grade_spread(grade, clo_grade, where=f"{where} row {i}").log_sd
        sigma[i] = cache[pair]
    return sigma


def draw_competing_shares(
    laws: Sequence[Uncertainty], u: np.ndarray, *, where: str = "shares"
) -> tuple[np.ndarray, list[str]]:
    """Draw shares of one whole that compete for it, so that no sample takes more than all.

    Shares of one process's inflow (``share`` flows of one source, taken of the same flow) each
    have their own distribution; drawn independently, a sample's shares can add to more than 1.
    Here they are drawn jointly as a generalised Dirichlet (Connor and Mosimann 1969) by stick
    breaking: ``s_1 = Z_1``, ``s_k = Z_k (1 - Z_1) ... (1 - Z_{k-1})`` with independent betas
    ``Z_k``, so every sample's shares add to at most 1 and what is left (a ``remainder`` flow)
    is never negative. Each ``Z_k``'s mean and variance are chosen so that ``s_k`` keeps the
    mean and sd of its own law exactly; only the correlations between the shares come from
    the stick. A share inherits the relative spread of what the shares broken off before it
    leave, so the stick breaks them off in order of ``sd / (1 - value)`` (ties in the order
    given): the share that leaves the most certain rest first. A share without spread keeps its
    value, and the others share what it leaves. Where a share's own sd is smaller than what it
    inherits, it is drawn with the inherited spread, and a note says so.

    Parameters
    ----------
    laws : sequence of Uncertainty
        One per share: betas (``resolve_uncertainty(..., share=True)``) or without spread.
    u : numpy.ndarray
        Shape ``(n, k)``: each share's own uniform numbers (its stream), so a share keeps its
        stream and the first share draws exactly what it draws alone.
    where : str
        Names the shares in errors.

    Returns
    -------
    draws : numpy.ndarray
        Shape ``(n, k)``, each row adding to at most 1.
    notes : list of str
        Shares whose sd could not be kept (a spread the stick cannot give), one line each.

    Raises
    ------
    msa.ConfigError
        A law that is not a beta, or means adding to more than 1.

    References
    ----------
    Connor, R. J. and Mosimann, J. E. (1969). Concepts of Independence for Proportions with a
    Generalization of the Dirichlet Distribution. *Journal of the American Statistical
    Association* 64(325), 194-206. doi:10.1080/01621459.1969.10500963

    Examples
    --------
    >>> a = resolve_uncertainty(0.6, "D", share=True)
    >>> b = resolve_uncertainty(0.35, "D", share=True)
    >>> u = np.random.default_rng(1).random((20000, 2))
    >>> s, _ = draw_competing_shares([a, b], u)
    >>> bool(s.sum(axis=1).max() <= 1), round(float(s[:, 1].mean()), 2)
    (True, 0.35)
    """
    from scipy import stats

    u = np.asarray(u, dtype=float)
    means = np.array([law.value for law in laws], dtype=float)
    if any(law.distribution != "beta" and law.sd > 0 for law in laws):
        odd = [law.where for law in laws if law.distribution != "beta" and law.sd > 0]
        raise ConfigError(f"{where}: drawn together, competing shares must be betas ({odd})")
    if means.sum() > 1 + SHARE_SUM_TOLERANCE:
        raise ConfigError(f"{where}: the shares' values add to {means.sum():.6g} > 1")
    out = np.tile(means, (len(u), 1))  # a share without spread keeps its value
    # what a share passes on to those after it is the relative spread of what it leaves,
    # sd / (1 - value): the stick breaks off the shares that pass on least first
    spread = sorted(
        (k for k, law in enumerate(laws) if law.sd > 0),
        key=lambda k: laws[k].sd / max(1.0 - float(means[k]), 1e-300),
    )
    whole = 1.0 - float(sum(means[k] for k in range(len(laws)) if k not in spread))
    left = np.ones(len(u))  # what the earlier shares left of the whole, per sample
    rest_1, rest_2 = 1.0, 1.0  # E[left] and E[left^2]
    notes: list[str] = []
    for k in spread:
        m, sd = float(means[k]) / whole, float(laws[k].sd) / whole
        mu = min(m / rest_1, 1.0)
        var = (sd * sd + m * m) / rest_2 - mu * mu
        top = mu * (1 - mu) * (1 - 1e-9)
        if not 0 < var < top:  # the stick cannot give this sd: the nearest it can
            var = min(max(var, mu * (1 - mu) * 1e-12), top)
            shown = math.sqrt(max((var + mu * mu) * rest_2 - m * m, 0.0)) * whole
            if abs(shown - laws[k].sd) > 0.01 * laws[k].sd:
                notes.append(
                    f"{laws[k].where}: drawn with sd {shown:.3g} instead of {laws[k].sd:.3g}, "
                    "the spread the shares drawn before it leave room for"
                )
        if 0 < mu < 1:
            nu = mu * (1 - mu) / var - 1
            z = stats.beta(mu * nu, (1 - mu) * nu).ppf(u[:, k])
        else:
            z = np.full(len(u), mu)
        out[:, k] = z * left * whole
        left = left * (1 - z)
        rest_1, rest_2 = rest_1 * (1 - mu), rest_2 * (1 - 2 * mu + var + mu * mu)
    return out, notes
