"""The lifetime database: published product lifetimes, one row per source, as msa lifetimes.

``src/msa/data/lifetimes.csv`` holds one row per published lifetime distribution of a product
(electrical and electronic equipment by UNU-KEY, cars, EV batteries, PV panels, wind turbines,
buildings, clothing ...), with its parameters, mean, region, year of data, source and JRC
data-point grade; ``lifetime_sources.csv`` beside it describes the sources. Conflicting sources
for one product are kept side by side, one row each: :func:`lifetime_from_database` returns the
lifetime of exactly one row and refuses to choose among several (it never averages).

Columns (docs/lifetimes.md, "The lifetime database"):

================  ===========================================================================
``product``       stable id (``passenger_car``, ``eee_0108_fridges``, ``pv_panel``)
``label_en``,     product label in English and Dutch, as the row's source scopes it
``label_nl``
``category``      product group (``vehicles``, ``batteries``, ``electrical and electronic
                  equipment: lamps`` ...)
``distribution``  ``weibull``, ``gamma`` (``shape``, ``scale``), ``normal``, ``lognormal``
                  (``mean``, ``std``), ``exponential``, ``fixed`` (``mean``)
``shape``,        distribution parameters (years for ``scale`` and ``std``); a parameter the
``scale``,        distribution does not use is empty
``std``
``mean``          mean lifetime in years (a parameter, or computed from the parameters)
``region``        ISO 3166 code, a group (``EU``, ``global``, ``Western Europe``) or codes
                  joined by ``+`` for one profile shared by several countries (``NL+FR+BE``)
``year``          year the data refer to (an installation cohort where the note says so);
                  empty for model assumptions without a data year
``variant``       scenario or variant within one source (``baseline``, ``early-loss``)
``source_id``     a row of ``lifetime_sources.csv``
``where``         table, figure, page or file the numbers were read from
``grade``         JRC data-point grade: A from the source, B converted or inter/extrapolated,
                  C estimate from several sources, D assumption
``note``          how a converted value was computed, and caveats
================  ===========================================================================

No two rows share (``product``, ``region``, ``year``, ``variant``, ``source_id``).

This module imports nothing from the rest of msa but :mod:`msa.errors`.
"""

from __future__ import annotations

import difflib
import functools
import io
import math
from collections.abc import Callable
from importlib.resources import files

import pandas as pd

from msa.errors import ConfigError, DataError
from msa.stocks.lifetimes import (
    ExponentialLifetime,
    FixedLifetime,
    GammaLifetime,
    Lifetime,
    LogNormalLifetime,
    NormalLifetime,
    WeibullLifetime,
)

__all__ = [
    "DISTRIBUTION_PARAMETERS",
    "LIFETIME_COLUMNS",
    "LIFETIME_KEY",
    "lifetime_database",
    "lifetime_from_database",
    "lifetime_sources",
]

#: Columns of the lifetime table, in file order.
LIFETIME_COLUMNS: tuple[str, ...] = (
    "product",
    "label_en",
    "label_nl",
    "category",
    "distribution",
    "shape",
    "scale",
    "mean",
    "std",
    "region",
    "year",
    "variant",
    "source_id",
    "where",
    "grade",
    "note",
)
#: Columns that identify a row: no two rows share all of them.
LIFETIME_KEY: tuple[str, ...] = ("product", "region", "year", "variant", "source_id")
#: The parameters each distribution takes from the table (``mean`` is filled for every row).
DISTRIBUTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "weibull": ("shape", "scale"),
    "gamma": ("shape", "scale"),
    "normal": ("mean", "std"),
    "lognormal": ("mean", "std"),
    "exponential": ("mean",),
    "fixed": ("mean",),
}
_NUMBERS = ("shape", "scale", "mean", "std")
_REQUIRED = ("product", "label_en", "category", "distribution", "mean", "region", "source_id")
_GRADES = ("A", "B", "C", "D")
_TABLE = "lifetimes.csv"
_SOURCES = "lifetime_sources.csv"
#: The stated mean may differ from the distribution's by this much (years): rounding to 0.01.
_MEAN_ABS, _MEAN_REL = 0.01, 0.005

_BUILDERS: dict[str, Callable[[pd.Series], Lifetime]] = {
    "weibull": lambda r: WeibullLifetime(shape=r["shape"], scale=r["scale"]),
    "gamma": lambda r: GammaLifetime(shape=r["shape"], scale=r["scale"]),
    "normal": lambda r: NormalLifetime(mean=r["mean"], std=r["std"]),
    "lognormal": lambda r: LogNormalLifetime(mean=r["mean"], std=r["std"]),
    "exponential": lambda r: ExponentialLifetime(mean=r["mean"]),
    "fixed": lambda r: FixedLifetime(mean=r["mean"]),
}


def _read(name: str) -> tuple[pd.DataFrame, int]:
    """Read a shipped CSV after its leading ``#`` comment lines; return it and their number."""
    text = files("msa").joinpath("data", name).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].startswith("#"):
        skip += 1
    table = pd.read_csv(io.StringIO("".join(lines[skip:])), dtype=str, keep_default_na=False)
    return table, skip


def _distribution_mean(row: pd.Series) -> float:
    """Return the mean lifetime of a row's distribution from its parameters."""
    kind = row["distribution"]
    if kind == "weibull":
        return float(row["scale"] * math.gamma(1 + 1 / row["shape"]))
    if kind == "gamma":
        return float(row["shape"] * row["scale"])
    return float(row["mean"])


def _row_problem(row: pd.Series) -> str | None:
    """Return what is wrong with one row of the lifetime table, or None."""
    for column in _REQUIRED:
        if row[column] == "":
            return f"column {column!r} is empty"
    kind = row["distribution"]
    if kind not in DISTRIBUTION_PARAMETERS:
        return f"unknown distribution {kind!r} (use one of {sorted(DISTRIBUTION_PARAMETERS)})"
    if row["grade"] not in _GRADES:
        return f"grade must be one of A, B, C, D (got {row['grade']!r})"
    if row["year"] != "" and not row["year"].isdigit():
        return f"year must be empty or a whole year (got {row['year']!r})"
    used = {"mean", *DISTRIBUTION_PARAMETERS[kind]}
    for column in _NUMBERS:
        value = row[column]
        if column not in used:
            if not math.isnan(value):
                return f"{kind} takes no {column!r} (got {value:g}); leave it empty"
        elif not (math.isfinite(value) and value > 0):
            return f"{column!r} must be a number > 0 (got {value!r})"
    computed = _distribution_mean(row)
    if abs(computed - row["mean"]) > _MEAN_ABS + _MEAN_REL * row["mean"]:
        return f"mean {row['mean']:g} does not match the {kind} parameters (mean {computed:.3f})"
    return None


def _check_table(table: pd.DataFrame, sources: pd.DataFrame, first_line: int) -> None:
    """Raise DataError on the first bad row, duplicated key or unknown source id."""
    known = set(sources["source_id"])
    for offset, (_, row) in enumerate(table.iterrows()):
        where = f"{_TABLE}: row {first_line + offset}"
        problem = _row_problem(row)
        if problem is None and row["source_id"] not in known:
            problem = f"source_id {row['source_id']!r} is not in {_SOURCES}"
        if problem is not None:
            raise DataError(f"{where} ({row['product']!r}): {problem}")
    duplicated = table.duplicated(list(LIFETIME_KEY), keep=False)
    if duplicated.any():
        first = table[duplicated].iloc[0]
        key = ", ".join(f"{c}={first[c]!r}" for c in LIFETIME_KEY)
        raise DataError(
            f"{_TABLE}: {int(duplicated.sum())} rows share the key {key}; tell them apart by "
            "region, year or variant"
        )


@functools.cache
def _load() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, convert and check the lifetime table and its sources (once per process)."""
    sources, _ = _read(_SOURCES)
    if sources["source_id"].duplicated().any() or (sources["source_id"] == "").any():
        raise DataError(f"{_SOURCES}: every source_id must be given and unique")
    raw, skip = _read(_TABLE)
    missing = [c for c in LIFETIME_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{_TABLE}: missing columns {missing}")
    table = raw[list(LIFETIME_COLUMNS)].copy()
    for column in _NUMBERS:
        table[column] = pd.to_numeric(table[column].replace("", "nan"), errors="coerce")
    # Data rows start on the line after the comments and the header (lines counted from 1).
    _check_table(table, sources, first_line=skip + 2)
    table["year"] = pd.to_numeric(table["year"].where(table["year"] != "")).astype("Int64")
    return table, sources.set_index("source_id")


def lifetime_database() -> pd.DataFrame:
    """Return the lifetime database: one row per published product lifetime.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`LIFETIME_COLUMNS` (module docstring): ``shape``, ``scale``,
        ``mean``, ``std`` as floats (NaN where a distribution does not use them), ``year`` as
        a nullable integer, every other column as text. A copy: changing it changes nothing.

    See Also
    --------
    lifetime_from_database : the lifetime of one row as an msa lifetime object.
    lifetime_sources : the sources the rows cite.

    Examples
    --------
    >>> table = lifetime_database()
    >>> table.loc[table["product"] == "eee_0108_fridges", ["distribution", "shape", "scale"]]
    ... # doctest: +NORMALIZE_WHITESPACE
       distribution  shape  scale
    8       weibull    2.2  16.43
    """
    return _load()[0].copy()


def lifetime_sources() -> pd.DataFrame:
    """Return the sources of the lifetime database, indexed by ``source_id``.

    Columns follow ``msa.system.provenance.SOURCE_FIELDS`` (title, author, year, publisher, url,
    ... ``reference``: where the numbers were read).

    Examples
    --------
    >>> lifetime_sources().loc["oguchi_fuse_2015_via_euzevam", "year"]
    '2015'
    """
    return _load()[1].copy()


def _matches_region(cell: str, region: str) -> bool:
    """Return True if a row's region is ``region`` or a ``+``-joined group containing it."""
    wanted = region.strip().casefold()
    return cell.casefold() == wanted or wanted in (p.strip().casefold() for p in cell.split("+"))


def _describe(rows: pd.DataFrame) -> str:
    """List rows as 'source_id (region, year, variant, mean N)' for an error message."""
    items = []
    for _, row in rows.iterrows():
        parts = [row["region"], "no year" if pd.isna(row["year"]) else str(row["year"])]
        if row["variant"]:
            parts.append(f"variant {row['variant']!r}")
        parts.append(f"mean {row['mean']:g}")
        items.append(f"{row['source_id']} ({', '.join(parts)})")
    return "; ".join(items)


def _unknown_product(table: pd.DataFrame, product: str) -> ConfigError:
    """Build the error for a product id not in the table, naming close ids."""
    ids = list(dict.fromkeys(table["product"]))
    needle = product.casefold()
    labels = (table["product"] + " " + table["label_en"] + " " + table["label_nl"]).str.casefold()
    close = list(dict.fromkeys(table.loc[labels.str.contains(needle, regex=False), "product"]))
    close += [p for p in difflib.get_close_matches(product, ids, n=5, cutoff=0.5) if p not in close]
    hint = f"; close: {', '.join(close[:8])}" if close else ""
    return ConfigError(
        f"lifetime database: no product {product!r}{hint} (msa.lifetime_database() lists all "
        f"{len(ids)})"
    )


def lifetime_from_database(
    product: str,
    *,
    region: str | None = None,
    source_id: str | None = None,
    year: int | None = None,
    variant: str | None = None,
) -> Lifetime:
    """Return the lifetime of one row of the lifetime database as an msa lifetime object.

    The selections narrow the rows of ``product`` to one. When several rows remain (sources
    that disagree, several regions or years), nothing is chosen for you: the error lists the
    candidates so that you can pick one. Nothing is ever averaged.

    Parameters
    ----------
    product : str
        The product id (column ``product``), e.g. ``"passenger_car"``, ``"eee_0303_laptops"``.
    region : str, optional
        Keep rows of this region; a row for a group joined by ``+`` (``NL+FR+BE``) matches each
        of its members (``"NL"``). Case-insensitive.
    source_id : str, optional
        Keep rows of this source.
    year : int, optional
        Keep rows whose ``year`` (year of data, or cohort) is this year.
    variant : str, optional
        Keep rows of this variant or scenario of a source (``"baseline"``, ``"early-loss"``).

    Returns
    -------
    msa.Lifetime
        A :class:`~msa.WeibullLifetime`, :class:`~msa.GammaLifetime`,
        :class:`~msa.NormalLifetime`, :class:`~msa.LogNormalLifetime`,
        :class:`~msa.ExponentialLifetime` or :class:`~msa.FixedLifetime` with the row's
        parameters.

    Raises
    ------
    ConfigError
        If the product is unknown (close ids are named), if no row matches the selection (the
        product's rows are listed), or if more than one does (the candidates are listed with
        source id, region, year, variant and mean).

    See Also
    --------
    lifetime_database : the whole table, to browse and filter.

    Notes
    -----
    A ``fixed`` row is a source that publishes a mean only (grade D: the step survival
    function is an assumption); choose a distribution yourself if the spread matters.

    Examples
    --------
    >>> lifetime_from_database("eee_0303_laptops", region="NL")
    WeibullLifetime(shape=1.6, scale=6.57)
    >>> lifetime_from_database("passenger_car", region="NL", source_id="cbs_2004")
    FixedLifetime(mean=14.1)
    >>> lifetime_from_database("passenger_car", region="NL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    msa.errors.ConfigError: lifetime database: 2 rows for 'passenger_car' match region='NL'; ...
    """
    table = _load()[0]
    rows = table[table["product"] == product]
    if rows.empty:
        raise _unknown_product(table, product)
    chosen = {"region": region, "source_id": source_id, "year": year, "variant": variant}
    chosen = {k: v for k, v in chosen.items() if v is not None}
    keep = pd.Series(True, index=rows.index)
    if region is not None:
        keep &= rows["region"].map(lambda cell: _matches_region(cell, region))
    if source_id is not None:
        keep &= rows["source_id"] == source_id
    if year is not None:
        keep &= rows["year"].fillna(-1) == int(year)
    if variant is not None:
        keep &= rows["variant"].str.casefold() == variant.casefold()
    found = rows[keep]
    selection = ", ".join(f"{k}={v!r}" for k, v in chosen.items()) or "no selection"
    if found.empty:
        raise ConfigError(
            f"lifetime database: no row for {product!r} matches {selection}; its rows: "
            f"{_describe(rows)}"
        )
    if len(found) > 1:
        raise ConfigError(
            f"lifetime database: {len(found)} rows for {product!r} match {selection}; choose one "
            f"with region=, source_id=, year= or variant=: {_describe(found)}"
        )
    return _BUILDERS[found.iloc[0]["distribution"]](found.iloc[0])
