r"""Origin and supply concentration: shares by country, the largest supplier, HHI, group shares.

Every function here works on a DataArray with an ``origin`` dim (the country a quantity comes
from) and is vectorised over every other dim (``time``, ``material``, ``sample`` ...). Origin
labels may be country names, ISO 3166-1 alpha-2 or alpha-3 codes; they are normalised to
alpha-3 with the maintained ``country_converter`` package (:func:`to_iso3`), and an unknown
or ambiguous country is an error naming it.

Basis
-----
The same arithmetic answers two different questions, so every result says which it answers,
in ``attrs["basis"]``, and the caller must choose (there is no default):

``"demand origin"``
    Where the Dutch (or EU) demand actually comes from: import-by-origin data (trade
    statistics by country of origin, an MSA table's ``origin`` column).
``"world production"``
    Global supply shares: who produces the material worldwide, whoever buys it (the EC CRM
    study's supply tables). This is what the CRMA 65% single-country benchmark and the Dutch
    national critical-materials rule are assessed on where no import-by-origin data exist.

Missing values
--------------
A NaN among an origin slice's values is a country the data do not list: it counts as 0 in
sums, shares and the HHI (its own share stays NaN in :func:`origin_shares`). A slice whose
origin values are all NaN, or whose total is 0, has no shares: every result is NaN there
(never 0), and ``attrs["nan_reason"]`` says which slices and why. Negative values are an
error.

Totals
------
By default a share is of the sum over the listed origins. Published shares often do not sum
to exactly 1 (rounding, or an unlisted rest of the world); pass ``total=1.0`` (or the world
total, in the data's units) to take shares of that total instead, so that the listed values
are used as given.

Country groups (``src/msa/data/country_groups.csv``, each member with source and date):
``BRICS-5`` (the five members before the 2024 expansion; the group of the Dutch national
critical-materials rule, the default of :func:`group_share`), ``BRICS+`` (members as of
2025-01-06), ``EU-27`` and ``OECD`` (38 members).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from importlib.resources import files

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, DimensionError
from msa.messages import locate, plain

__all__ = [
    "BASES",
    "DEFAULT_GROUP",
    "HHI_SCALES",
    "country_groups",
    "country_names",
    "group_members",
    "group_share",
    "hhi",
    "largest_share",
    "normalise_origin",
    "origin_shares",
    "to_iso3",
]

#: What an origin result describes (``attrs["basis"]``): see the module docstring.
BASES: tuple[str, ...] = ("demand origin", "world production")
#: Scales of :func:`hhi`: ``"unit"`` 0-1 (shares as fractions), ``"points"`` 0-10,000
#: (shares in per cent, the competition authorities' convention).
HHI_SCALES: tuple[str, ...] = ("unit", "points")
#: The group of the Dutch national critical-materials rule (more than 65% of supply from BRICS).
DEFAULT_GROUP = "BRICS-5"


# ----------------------------------------------------------------------------- countries
def _read_data(name: str) -> pd.DataFrame:
    path = files("msa").joinpath("data", f"{name}.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


@functools.cache
def _countries() -> tuple[pd.DataFrame, tuple[re.Pattern[str], ...]]:
    """Return country_converter's country table (current countries) and its name patterns.

    country_converter 1.3.2 reads its table with pandas' default missing-value strings, so
    with pandas 3 Namibia's ISO2 code ``NA`` becomes a missing value and building its
    converter fails; and its ``convert`` logs a warning for every name it does not find. So
    msa reads the same bundled table with nothing taken as missing and applies its patterns
    itself, raising one error for all unknown names instead.
    """
    import country_converter  # on first use: ``import msa`` stays light

    source = country_converter.country_converter.COUNTRY_DATA_FILE
    table = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    table = table[table["obsolete"] == ""].reset_index(drop=True)
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in table["regex"])
    return table, patterns


@functools.cache
def _aliases() -> dict[str, str]:
    table = _read_data("country_aliases")
    return {a.strip().casefold(): iso for a, iso in zip(table["alias"], table["iso3"], strict=True)}


@functools.cache
def _lookup(label: str) -> tuple[str, ...]:
    """Return the ISO3 codes a country name or code matches: none, one, or several."""
    table, patterns = _countries()
    key = label.strip()
    alias = _aliases().get(key.casefold())
    if alias:
        return (alias,)
    if key.isalpha() and len(key) in (2, 3):
        column = "ISO2" if len(key) == 2 else "ISO3"
        hit = table.loc[table[column] == key.upper(), "ISO3"]
        if len(hit):
            return tuple(hit)
    if not key:
        return ()
    return tuple(dict.fromkeys(table["ISO3"][i] for i, p in enumerate(patterns) if p.search(key)))


def to_iso3(
    countries: Iterable[object],
    *,
    where: str = "countries",
    rows: Sequence[int] | None = None,
) -> list[str]:
    """Return the ISO 3166-1 alpha-3 code of each country name, alpha-2 or alpha-3 code.

    Names are matched with ``country_converter``'s patterns ("Korea, South", "Türkiye",
    "UAE" ...), codes exactly (case-insensitive), and a few spellings of sources msa reads
    (``src/msa/data/country_aliases.csv``) first.

    Parameters
    ----------
    countries : iterable
        Country names or codes (converted with ``str``).
    where : str
        What holds them (a file, a dim), for messages.
    rows : sequence of int, optional
        The file row of each country, parallel to ``countries``, for messages.

    Returns
    -------
    list of str
        One code per input, in order.

    Raises
    ------
    DimensionError
        Naming every country not recognised or matching several countries (with its rows).

    Examples
    --------
    >>> to_iso3(["Netherlands", "DE", "fra", "Korea, South", "Congo, D.R."])
    ['NLD', 'DEU', 'FRA', 'KOR', 'COD']
    >>> to_iso3(["Netherlands", "Atlantis"], where="imports.csv", rows=[2, 3])
    Traceback (most recent call last):
    ...
    msa.errors.DimensionError: imports.csv: unknown country 'Atlantis' (row 3); give a country name or an ISO 3166-1 alpha-2 or alpha-3 code
    """  # noqa: E501
    labels = [str(c) for c in countries]
    if rows is not None and len(rows) != len(labels):
        raise ConfigError(f"rows has {len(rows)} items for {len(labels)} countries")
    found = {label: _lookup(label) for label in dict.fromkeys(labels)}
    problems = []
    for label, codes in found.items():
        if len(codes) == 1:
            continue
        at = [int(r) for r, lab in zip(rows, labels, strict=True) if lab == label] if rows else []
        place = f" (row{'s' if len(at) > 1 else ''} {', '.join(map(str, at))})" if at else ""
        what = "unknown country" if not codes else "ambiguous country"
        also = f" matches {list(codes)}" if codes else ""
        problems.append(f"{what} {label!r}{place}{also}")
    if problems:
        raise DimensionError(
            f"{where}: {'; '.join(problems)}; give a country name or an ISO 3166-1 alpha-2 or "
            "alpha-3 code"
        )
    return [found[label][0] for label in labels]


def country_names(codes: Iterable[str]) -> list[str]:
    """Return the short English name of each ISO 3166-1 alpha-3 code (``country_converter``).

    Examples
    --------
    >>> country_names(["NLD", "COD"])
    ['Netherlands', 'DR Congo']
    """
    table, _ = _countries()
    names = dict(zip(table["ISO3"], table["name_short"], strict=True))
    unknown = [c for c in codes if c not in names]
    if unknown:
        raise DimensionError(f"unknown ISO 3166-1 alpha-3 code(s) {unknown}")
    return [names[c] for c in codes]


def normalise_origin(da: xr.DataArray, dim: str = "origin", *, where: str = "") -> xr.DataArray:
    """Return ``da`` with the labels of ``dim`` as ISO 3166-1 alpha-3 codes.

    Raises
    ------
    DimensionError
        If ``dim`` is missing, a label is unknown or ambiguous (:func:`to_iso3`), or two labels
        name the same country (``"NL"`` and ``"Netherlands"``).

    Examples
    --------
    >>> da = xr.DataArray([1.0, 2.0], coords={"origin": ["Chile", "CN"]})
    >>> normalise_origin(da)["origin"].values.tolist()
    ['CHL', 'CHN']
    """
    where = where or f"dim {dim!r}"
    if dim not in da.dims:
        raise DimensionError(f"{where}: the array has no {dim!r} dim (dims {list(da.dims)})")
    labels = [str(v) for v in da[dim].values]
    codes = to_iso3(labels, where=where)
    if len(set(codes)) < len(codes):
        seen: dict[str, list[str]] = {}
        for label, code in zip(labels, codes, strict=True):
            seen.setdefault(code, []).append(label)
        dup = {c: ls for c, ls in seen.items() if len(ls) > 1}
        raise DimensionError(
            f"{where}: labels name the same country: "
            + "; ".join(f"{ls} are all {c}" for c, ls in dup.items())
            + "; sum them first or keep one"
        )
    return da.assign_coords({dim: codes})


# ----------------------------------------------------------------------------- groups
@functools.cache
def _groups() -> pd.DataFrame:
    return _read_data("country_groups")


def country_groups() -> pd.DataFrame:
    """Return the country groups: one row per member (group, iso3, as_of, source, note).

    The file ``src/msa/data/country_groups.csv`` cites each source in its header.

    Examples
    --------
    >>> country_groups().groupby("group", sort=False)["iso3"].count().to_dict()
    {'BRICS-5': 5, 'BRICS+': 10, 'EU-27': 27, 'OECD': 38}
    """
    return _groups().copy()


def group_members(group: str | Iterable[str]) -> tuple[str, ...]:
    """Return the ISO3 codes of a country group, or of a list of countries given instead.

    Parameters
    ----------
    group : str or iterable of str
        A group of :func:`country_groups` (``"BRICS-5"``, ``"BRICS+"``, ``"EU-27"``,
        ``"OECD"``), or countries (names or codes) forming an ad-hoc group.

    Raises
    ------
    ConfigError
        On an unknown group name.

    Examples
    --------
    >>> group_members("BRICS-5")
    ('BRA', 'RUS', 'IND', 'CHN', 'ZAF')
    >>> group_members(["China", "US"])
    ('CHN', 'USA')
    """
    if not isinstance(group, str):
        return tuple(to_iso3(list(group), where="group"))
    table = _groups()
    members = table.loc[table["group"] == group, "iso3"]
    if members.empty:
        known = list(dict.fromkeys(table["group"]))
        raise ConfigError(f"unknown country group {group!r}; use one of {known} or a list")
    return tuple(members)


# ----------------------------------------------------------------------------- calculations
def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise ConfigError(
            f"basis must be one of {list(BASES)} (got {basis!r}): 'demand origin' for where NL "
            "or EU demand comes from (import-by-origin data), 'world production' for global "
            "supply shares"
        )


def _prepared(
    da: xr.DataArray, dim: str, basis: str, total: float | xr.DataArray | None
) -> tuple[xr.DataArray, xr.DataArray, str]:
    """Return the values by ISO3 origin, the total each share is of, and why shares are NaN.

    The total is NaN where a slice has no value or a total of 0 (the reason says where).
    """
    _check_basis(basis)
    da = normalise_origin(da, dim)
    values = np.asarray(da.values, dtype=float)
    if (values < 0).any():
        raise DataError(
            f"dim {dim!r}: negative value {plain(values[values < 0][0])!r} "
            f"{locate(da, values < 0)}; origin shares need quantities >= 0"
        )
    present = da.notnull().any(dim)
    denominator = da.sum(dim, skipna=True) if total is None else xr.DataArray(total) + 0.0 * present
    if bool((denominator < 0).any()):
        raise DataError(f"total must be >= 0 (got {plain(denominator.min().item())!r})")
    usable = present & (denominator > 0)
    reason = _nan_reason(present, denominator, dim)
    return da, denominator.where(usable), reason


def _nan_reason(present: xr.DataArray, denominator: xr.DataArray, dim: str) -> str:
    """Say which slices have no shares, and why; ``""`` if every slice has them."""
    parts = []
    missing = ~present
    zero = present & ~(denominator > 0)
    for mask, why in ((missing, f"every {dim} value is missing"), (zero, "the total is 0")):
        cells = np.asarray(mask.values, dtype=bool)
        if cells.any():
            first = locate(mask, cells) if mask.ndim else "(the only slice)"
            parts.append(f"{why} ({int(cells.sum())} slice(s), first {first})")
    return "NaN where " + "; where ".join(parts) if parts else ""


def _labelled(result: xr.DataArray, basis: str, reason: str, **attrs: object) -> xr.DataArray:
    result.attrs = {"basis": basis, "units": "1", **attrs}
    if reason:
        result.attrs["nan_reason"] = reason
    return result


def origin_shares(
    da: xr.DataArray,
    *,
    basis: str,
    dim: str = "origin",
    total: float | xr.DataArray | None = None,
) -> xr.DataArray:
    r"""Return each origin's share of the total, by every other dim.

    Parameters
    ----------
    da : xarray.DataArray
        Quantities (or shares) by origin country, any units, >= 0.
    basis : {"demand origin", "world production"}
        What the data describe (see the module docstring); stored in ``attrs["basis"]``.
    dim : str
        The origin dim; its labels are normalised to ISO3 codes.
    total : float or xarray.DataArray, optional
        The total the shares are of; default the sum over ``dim``.

    Returns
    -------
    xarray.DataArray
        :math:`s_i = x_i / X` with :math:`X = \sum_i x_i` (or ``total``); NaN where
        :math:`x_i` is NaN and, for every origin, where a slice has no values or a total of 0
        (``attrs["nan_reason"]``). ``attrs``: ``basis``, ``units = "1"``.

    Raises
    ------
    ConfigError
        On an unknown ``basis``.
    DataError
        On a negative value or total, or an unknown country (:func:`to_iso3`).

    Examples
    --------
    >>> da = xr.DataArray([30.0, 10.0], coords={"origin": ["Chile", "China"]})
    >>> s = origin_shares(da, basis="world production")
    >>> s.values.tolist(), s.attrs["basis"]
    ([0.75, 0.25], 'world production')
    """
    values, denominator, reason = _prepared(da, dim, basis, total)
    return _labelled(values / denominator, basis, reason)


def largest_share(
    da: xr.DataArray,
    *,
    basis: str,
    dim: str = "origin",
    total: float | xr.DataArray | None = None,
) -> xr.Dataset:
    """Return the largest single origin's share and which country it is, by every other dim.

    The CRMA benchmark (Regulation (EU) 2024/1252, Art. 5(1)(b)): no more than 65% of the
    Union's annual consumption of each strategic raw material from a single third country.

    Parameters
    ----------
    da, basis, dim, total
        As :func:`origin_shares`.

    Returns
    -------
    xarray.Dataset
        ``share`` (float; ``attrs`` as :func:`origin_shares`) and ``origin`` (the ISO3 code,
        ``""`` where the share is NaN). On a tie the first origin in ``dim`` order.

    Examples
    --------
    >>> da = xr.DataArray([[3.0, 1.0], [1.0, 1.0]], coords={"material": ["Li", "Co"],
    ...     "origin": ["CL", "CN"]})
    >>> top = largest_share(da, basis="world production")
    >>> top["share"].values.tolist(), top["origin"].values.tolist()
    ([0.75, 0.5], ['CHL', 'CHL'])
    """
    shares = origin_shares(da, basis=basis, dim=dim, total=total)
    valid = shares.notnull().any(dim)
    index = shares.fillna(-np.inf).argmax(dim)
    share = shares.isel({dim: index}).drop_vars(dim, errors="ignore").where(valid)
    codes = xr.DataArray(np.asarray(shares[dim].values, dtype=str), dims=dim)
    origin = xr.where(valid, codes.isel({dim: index}).drop_vars(dim, errors="ignore"), "")
    share.attrs = dict(shares.attrs)
    return xr.Dataset({"share": share, "origin": origin}, attrs={"basis": basis})


def hhi(
    da: xr.DataArray,
    *,
    basis: str,
    dim: str = "origin",
    total: float | xr.DataArray | None = None,
    scale: str = "unit",
) -> xr.DataArray:
    r"""Return the Herfindahl-Hirschman index of supply concentration, by every other dim.

    Parameters
    ----------
    da, basis, dim, total
        As :func:`origin_shares`.
    scale : {"unit", "points"}
        ``"unit"`` (default): shares as fractions, HHI in [0, 1] (1 = one country). ``"points"``:
        shares in per cent, HHI in [0, 10,000], the convention of the US Department of
        Justice and FTC Merger Guidelines and of the European Commission's guidelines on
        horizontal mergers, whose concentration thresholds are on this scale.

    Returns
    -------
    xarray.DataArray
        ``attrs``: ``basis``, ``units = "1"``, ``scale``; NaN where a slice has no shares
        (``attrs["nan_reason"]``).

    Notes
    -----
    :math:`HHI = \sum_i s_i^2` with :math:`s_i` the origin shares (:func:`origin_shares`),
    times :math:`100^2` on the points scale. With shares of the listed total, :math:`1/n \le
    HHI \le 1` for :math:`n` origins with a value.

    References
    ----------
    U.S. Department of Justice and Federal Trade Commission (2023). *Merger Guidelines*, §2.1
    (HHI as the sum of squared market shares in per cent). European Commission (2004).
    *Guidelines on the assessment of horizontal mergers*, OJ C 31, 5.2.2004, paras 16-21.

    Examples
    --------
    >>> da = xr.DataArray([50.0, 30.0, 20.0], coords={"origin": ["CHN", "CHL", "AUS"]})
    >>> round(float(hhi(da, basis="world production")), 4)
    0.38
    >>> round(float(hhi(da, basis="world production", scale="points")))
    3800
    """
    if scale not in HHI_SCALES:
        raise ConfigError(f"scale must be one of {list(HHI_SCALES)} (got {scale!r})")
    shares = origin_shares(da, basis=basis, dim=dim, total=total)
    valid = shares.notnull().any(dim)
    index = (shares**2).sum(dim, skipna=True).where(valid)
    if scale == "points":
        index = index * 10_000.0
    return _labelled(index, basis, shares.attrs.get("nan_reason", ""), scale=scale)


def group_share(
    da: xr.DataArray,
    group: str | Iterable[str] = DEFAULT_GROUP,
    *,
    basis: str,
    dim: str = "origin",
    total: float | xr.DataArray | None = None,
) -> xr.DataArray:
    """Return the share of a country group (BRICS-5 by default), by every other dim.

    Parameters
    ----------
    da, basis, dim, total
        As :func:`origin_shares`.
    group : str or iterable of str
        A group of :func:`country_groups` or a list of countries (:func:`group_members`).
        ``"BRICS-5"`` (default) is the group of the Dutch national critical-materials rule:
        a raw material is Dutch-critical if more than 65% of its supply comes from BRICS
        countries (NMO definition, 2025, via RIVM report 2026-0044); ``"BRICS+"`` counts the
        members as of 2025-01-06.

    Returns
    -------
    xarray.DataArray
        The sum of the members' shares (0 where no member supplies); NaN where a slice has no
        shares. ``attrs``: ``basis``, ``units``, ``group``, ``members`` (ISO3 codes).

    Examples
    --------
    >>> da = xr.DataArray([56.2, 32.1, 10.5, 1.2],
    ...     coords={"origin": ["China", "Chile", "Argentina", "United States"]})
    >>> round(float(group_share(da, basis="world production")), 3)
    0.562
    >>> group_share(da, "OECD", basis="world production").attrs["group"]
    'OECD'
    """
    members = group_members(group)
    shares = origin_shares(da, basis=basis, dim=dim, total=total)
    valid = shares.notnull().any(dim)
    inside = shares[dim].isin(list(members))
    share = shares.where(inside).sum(dim, skipna=True).where(valid)
    name = group if isinstance(group, str) else "custom"
    return _labelled(
        share,
        basis,
        shares.attrs.get("nan_reason", ""),
        group=name,
        members=" ".join(members),
    )
