"""MSA tables and the JRC reference tables: reading, validating and code handling.

What the rest of :mod:`msa.jrc_msa` builds on: the bundled reference tables
(``src/msa/data/jrc_*.csv``, ``view_*.csv``), JRC codes and folds, the chain's signed-sum
expressions (:func:`parse_expression`, :func:`signed_sum`), and the MSA table reader that names
file, row, column and code for every problem.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, ProvenanceError
from msa.jrc_msa.origin import to_iso3
from msa.system.provenance import GRADES
from msa.system.tables import FIRST_YEAR, LAST_YEAR, read_csv_cells

#: Columns of an MSA table (one row per value). ``note`` and ``origin`` are optional and kept.
MSA_COLUMNS: tuple[str, ...] = (
    "material",
    "region",
    "year",
    "code",
    "value",
    "units",
    "source_id",
    "grade",
)
#: Mass units an MSA table may use, with their factor to tonnes (values are converted on read).
MASS_UNITS: dict[str, float] = {
    "t": 1.0,
    "tonne": 1.0,
    "kg": 1e-3,
    "kilotonne": 1e3,
    "kt": 1e3,
    "Mt": 1e6,
    "megatonne": 1e6,
}
_TERM = re.compile(r"([+-]?)\s*([A-Z]\.\d+(?:\.\d+)?)")


# ----------------------------------------------------------------------------- reference data
@functools.cache
def _read_reference(name: str) -> pd.DataFrame:
    path = files("msa").joinpath("data", f"{name}.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


def reference_table(name: str) -> pd.DataFrame:
    """Return a copy of one of the bundled JRC/view reference tables.

    Parameters
    ----------
    name : {"jrc_variables", "jrc_processes", "jrc_structure", "jrc_stocks", "jrc_stages", \
"view_mapping", "view_nodes"}
        The table (``src/msa/data/<name>.csv``; each file's header cites its source).

    Returns
    -------
    pandas.DataFrame
        All columns as strings.

    Examples
    --------
    >>> reference_table("jrc_variables").query("frame == 'jrc'").shape[0]
    43
    """
    known = (
        "jrc_variables",
        "jrc_processes",
        "jrc_structure",
        "jrc_stocks",
        "jrc_stages",
        "view_mapping",
        "view_nodes",
    )
    if name not in known:
        raise ConfigError(f"unknown reference table {name!r}; use one of {list(known)}")
    return _read_reference(name).copy()


def jrc_codes(frame: str = "jrc") -> tuple[str, ...]:
    """Return the variable codes of a frame: ``"jrc"`` (43), ``"national"`` or ``"all"``.

    Examples
    --------
    >>> jrc_codes()[:3], len(jrc_codes())
    (('A.1.1', 'A.1.2', 'B.1.1'), 43)
    """
    table = _read_reference("jrc_variables")
    if frame == "all":
        return tuple(table["code"])
    if frame not in ("jrc", "national"):
        raise ConfigError(f"frame must be 'jrc', 'national' or 'all' (got {frame!r})")
    return tuple(table.loc[table["frame"] == frame, "code"])


def variable_info() -> pd.DataFrame:
    """Return the JRC (and national-only) variables indexed by code.

    Returns
    -------
    pandas.DataFrame
        ``jrc_variables.csv`` indexed by ``code``: ``role`` (e.g. ``total``), ``kind``
        (``stock`` or ``flow``), ``signed`` (``"1"`` where a value may be negative), names and
        the other columns, all as strings.

    Examples
    --------
    >>> variable_info().at["E.1.1", "kind"]
    'stock'
    """
    return _read_reference("jrc_variables").set_index("code")


def split_codes(code: str, *, where: str = "code") -> tuple[str, ...]:
    """Split a (possibly folded) code ``"C.1.2+D.1.2"`` into known codes.

    Raises
    ------
    DataError
        On an unknown code or a code repeated in the fold.

    Examples
    --------
    >>> split_codes("C.1.2 + D.1.2")
    ('C.1.2', 'D.1.2')
    """
    known = set(jrc_codes("all"))
    parts = tuple(p.strip() for p in str(code).split("+"))
    for part in parts:
        if part not in known:
            raise DataError(
                f"{where}: unknown JRC code {part!r}; use A.1.1 ... G.1.5 or the national-only "
                "N.1-N.5 (msa.jrc_msa.jrc_codes('all')), several joined by '+'"
            )
    if len(set(parts)) != len(parts):
        raise DataError(f"{where}: code {code!r} repeats a code")
    return parts


def parse_expression(expression: str) -> list[tuple[int, str]]:
    """Parse a signed sum of JRC codes, as the chain's edges and stock changes are written.

    ``jrc_structure.csv`` gives each edge of the chain, and ``jrc_stocks.csv`` each stock
    change, as codes joined by ``+`` or ``-`` (a leading sign is allowed); this returns its
    terms. Codes are not checked against the known ones.

    Parameters
    ----------
    expression : str
        E.g. ``"B.1.1 + B.1.2 - B.1.3"`` or ``"- B.1.1 - B.1.2"``.

    Returns
    -------
    list of (int, str)
        ``(sign, code)`` per term in the order written; ``sign`` is ``1`` or ``-1``.

    Raises
    ------
    ConfigError
        If the expression holds no code.

    Examples
    --------
    >>> parse_expression("B.1.1 + B.1.2 - B.1.3")
    [(1, 'B.1.1'), (1, 'B.1.2'), (-1, 'B.1.3')]
    """
    terms = [(-1 if sign == "-" else 1, code) for sign, code in _TERM.findall(expression)]
    if not terms:
        raise ConfigError(f"jrc_structure: cannot parse expression {expression!r}")
    return terms


def signed_sum(variables: xr.DataArray, terms: Sequence[tuple[int, str]]) -> xr.DataArray:
    """Return the value of a parsed expression: the signed sum of its variables.

    Parameters
    ----------
    variables : xarray.DataArray
        Variables with a ``code`` dim holding every code of ``terms``.
    terms : sequence of (int, str)
        ``(sign, code)`` pairs from :func:`parse_expression`; at least one.

    Returns
    -------
    xarray.DataArray
        The sum of ``sign * variables.sel(code=code)`` over the terms: the other dims of
        ``variables``, no ``code`` dim.

    Examples
    --------
    >>> v = xr.DataArray([10.0, 4.0], dims="code", coords={"code": ["C.1.1", "C.1.2"]})
    >>> float(signed_sum(v, parse_expression("C.1.1 - C.1.2")))
    6.0
    """
    parts = [sign * variables.sel(code=code, drop=True) for sign, code in terms]
    total = 0 + parts[0]  # start from 0 as sum() does (a lone -0.0 comes out 0.0)
    for part in parts[1:]:
        total = total + part
    return total


# ----------------------------------------------------------------------------- MSA tables
def read_msa_table(path: str | Path) -> pd.DataFrame:
    """Read and validate an MSA table (CSV, one row per value); see :func:`validate_msa_table`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such MSA table (expected a CSV with {list(MSA_COLUMNS)})")
    frame = read_csv_cells(path)  # one line for an empty, ';'-separated or non-UTF-8 file
    return validate_msa_table(frame, origin=str(path))


def validate_msa_table(frame: pd.DataFrame, *, origin: str = "MSA table") -> pd.DataFrame:
    """Validate an MSA table and return it normalised: values in tonnes, one row per value.

    Parameters
    ----------
    frame : DataFrame
        Columns :data:`MSA_COLUMNS` (``note`` optional). Row ``i`` of the frame is reported as
        row ``i + 2`` of the file (line 1 is the header). An optional ``origin`` column gives
        the country a value comes from (e.g. imports by country of origin): a name, ISO
        3166-1 alpha-2 or alpha-3 code, or empty for a value not split by origin.
    origin : str
        The file name, for messages (not the ``origin`` column).

    Returns
    -------
    pandas.DataFrame
        Columns ``material, region, year (int), code, value (float, t), units ("t"), source_id,
        grade``, then ``origin`` (ISO3 codes, ``""`` where not split; only if the table has
        the column), ``note, row`` (the file row).

    Raises
    ------
    DataError
        Naming file, row, column and code: missing column, unknown code, non-numeric or
        missing value, non-mass units, a duplicate or overlapping code for the same material,
        region, year (and origin), a code given both as a total and by origin, a negative
        stock or (unsigned) flow, an unknown or ambiguous country in ``origin``.
    ProvenanceError
        On an unknown grade.

    Examples
    --------
    >>> t = pd.DataFrame({"material": ["Li"], "region": ["EU"], "year": ["2020"],
    ...     "code": ["C.1.3"], "value": ["2.5"], "units": ["kt"], "source_id": ["s"],
    ...     "grade": ["D"]})
    >>> float(validate_msa_table(t)["value"].iloc[0])
    2500.0
    """
    missing = [c for c in MSA_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{origin}: missing column(s) {missing}; an MSA table has {MSA_COLUMNS}")
    out = frame.astype(object).where(frame.notna(), "").astype(str)
    out = out.apply(lambda col: col.str.strip())
    out["row"] = np.arange(len(out)) + 2
    if "note" not in out:
        out["note"] = ""

    def at(i: int, column: str) -> str:
        row = out.iloc[i]
        return f"{origin}: row {row['row']}, column {column!r} (code {row['code']!r})"

    for i, code in enumerate(out["code"]):
        split_codes(code, where=at(i, "code"))
    out["code"] = ["+".join(split_codes(c)) for c in out["code"]]
    years = pd.to_numeric(out["year"], errors="coerce")
    bad = years.isna() | (years % 1 != 0) | (years < FIRST_YEAR) | (years > LAST_YEAR)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"{at(i, 'year')}: year {out['year'].iloc[i]!r} is not a whole year between "
            f"{FIRST_YEAR} and {LAST_YEAR}"
        )
    out["year"] = years.astype(np.int64)
    values = pd.to_numeric(out["value"], errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{at(i, 'value')}: value {out['value'].iloc[i]!r} is not a number; give every "
            "value (0 where there is no flow) or leave the row out to report it missing"
        )
    units = out["units"]
    bad = ~units.isin(list(MASS_UNITS))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"{at(i, 'units')}: units {units.iloc[i]!r} are not a mass unit; use one of "
            f"{list(MASS_UNITS)}"
        )
    out["value"] = values.to_numpy(dtype=float) * units.map(MASS_UNITS).to_numpy(dtype=float)
    out["units"] = "t"
    bad = ~out["grade"].isin(("", *GRADES))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise ProvenanceError(
            f"{at(i, 'grade')}: unknown grade {out['grade'].iloc[i]!r}; use one of {list(GRADES)}"
        )
    if "origin" in out:
        out["origin"] = _iso3_origins(out, origin)
    _check_duplicates(out, origin)
    info = variable_info()
    members = out["code"].str.split("+")
    is_stock = members.map(lambda ms: any(info.at[m, "kind"] == "stock" for m in ms))
    is_signed = members.map(lambda ms: all(info.at[m, "signed"] == "1" for m in ms))
    negative = out["value"] < 0
    for mask, what in (
        (negative & is_stock, "negative stock {v:g} t; a stock level cannot be negative"),
        (
            negative & ~is_stock & ~is_signed,
            "negative flow {v:g} t; only net stock additions (E.1.7, E.1.8, F.1.6, N.5) may be "
            "negative",
        ),
    ):
        if mask.any():
            i = int(np.argmax(mask.to_numpy()))
            raise DataError(f"{at(i, 'value')}: " + what.format(v=out["value"].iloc[i]))
    columns = [*MSA_COLUMNS, *(["origin"] if "origin" in out else []), "note", "row"]
    return out[columns].reset_index(drop=True)


def _iso3_origins(out: pd.DataFrame, origin: str) -> list[str]:
    """Return the ``origin`` column as ISO3 codes (``""`` kept); raise naming unknown rows."""
    given = out["origin"] != ""
    codes = to_iso3(
        out.loc[given, "origin"],
        where=f"{origin}: column 'origin'",
        rows=list(out.loc[given, "row"]),
    )
    result = [""] * len(out)
    for i, code in zip(np.flatnonzero(given.to_numpy()), codes, strict=True):
        result[i] = code
    return result


def _check_duplicates(out: pd.DataFrame, origin: str) -> None:
    """Raise on a code given twice, or inside two folds, for one material, region and year.

    With an ``origin`` column: once per origin, and either as one total (origin empty) or by
    origin, not both.
    """
    keys = ["material", "region", "year"]
    exploded = out.assign(member=out["code"].str.split("+")).explode("member")
    split = ["origin"] if "origin" in out else []
    dup = exploded.duplicated([*keys, *split, "member"], keep=False)
    if dup.any():
        first = exploded[dup].iloc[0]
        same = exploded[dup & (exploded[keys + ["member"]] == first[keys + ["member"]]).all(axis=1)]
        rows = sorted(same["row"].astype(int).tolist())
        codes = sorted(set(same["code"]))
        per = f", origin {first['origin']!r}" if split and first["origin"] else ""
        raise DataError(
            f"{origin}: rows {rows}: code {first['member']!r} is given more than once for "
            f"material {first['material']!r}, region {first['region']!r}, year "
            f"{first['year']}{per} (as {codes}); give each code once per year (fold codes with "
            "'+')"
        )
    if split:
        _check_origin_split(exploded, origin)


def _check_origin_split(exploded: pd.DataFrame, origin: str) -> None:
    """Raise if a code is given by origin in some cells and as a total in others (or both)."""
    by_origin = exploded["origin"] != ""
    mixed = exploded[~by_origin & exploded["member"].isin(set(exploded.loc[by_origin, "member"]))]
    if mixed.empty:
        return
    first = mixed.iloc[0]
    others = exploded[by_origin & (exploded["member"] == first["member"])]
    raise DataError(
        f"{origin}: row {first['row']}: code {first['member']!r} has no origin, but rows "
        f"{sorted(others['row'].astype(int).tolist())[:5]} give it by origin; give a code by "
        "origin in every row (year, material, region) or in none"
    )
