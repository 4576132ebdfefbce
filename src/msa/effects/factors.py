"""Factor tables of environmental effects: read and check one, or load the shipped defaults.

A **factor table** is a tidy CSV with one row per published number: the cradle-to-gate burden
of producing one unit of a material (in a named form) from primary resources. Columns:

==============  ========  =====================================================================
column          required  meaning
==============  ========  =====================================================================
``material``    yes       the material, as the System's ``material`` dim names it (``Li``, ``Al``)
``indicator``   yes       ``GWP100``, ``GHG``, ``CO2``, ``water_use``, ``land_use`` or another
``value``       yes       a finite number >= 0; empty only on a ``gap`` row
``unit``        yes       ``"<amount> [tag]/<unit> [basis]"``, e.g. ``kg CO2-eq/kg Li``
``form``        no        product form (``LiOH.H2O``, ``synthetic``, ``primary (cast)``)
``route``       no        supply route or producer (``brine``, ``spodumene``)
``region``      no        where the number holds
``process``     no        the System process supplying the flow (its source) the row is for;
                          empty: every process
``year``        no        the year the factor applies to (factors of several years are
                          interpolated linearly, flat outside); empty: every year
``data_year``   no        the year of the data (documentation, part of the key)
``source_id``   no        the source of the number (a row of a sources table)
``grade``       no        JRC data-point grade A-D of the number; empty: ungraded
``status``      no        how it was obtained; ``gap`` marks a known hole (no value)
``default``     no        ``yes`` on the row used for a material and indicator when the caller
                          selects none (at most one per material and indicator)
``boundary``,   no        documentation
``note``
==============  ========  =====================================================================

**Units.** The amount is a pint unit (``kg``, ``t``, ``m3``, ``m2a``) with an optional tag naming
what is counted (``CO2-eq``, ``CO2``); the reference is a pint unit with an optional basis: the
substance one unit of which the number is for. ``kg CO2-eq/kg Li`` is per kg of contained
lithium (element basis: what msa models track); ``kg CO2-eq/kg LiOH.H2O`` per kg of the
compound; no basis (``kg CO2-eq/kg``) means per kg of the material as named. The columns
``amount``, ``tag``, ``per`` and ``basis`` are added on reading.

**Key.** Two rows may not agree on every identifying column (material, indicator, form, route,
region, process, year, data_year, unit, source_id): conflicting numbers are kept side by side
only where something tells them apart, and a caller chooses among them (never an average).

Every check fails with one line naming the file, row (as in the file, comments counted) and
column, e.g. ``factors.csv: row 7, column 'unit': unknown unit 'kg CO2e/kgg' ...``.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from msa.errors import DataError, ProvenanceError
from msa.system.provenance import GRADES, make_sources

if TYPE_CHECKING:
    import pint

__all__ = [
    "FACTOR_COLUMNS",
    "FACTOR_KEY",
    "FactorUnit",
    "factor_sources",
    "load_factors",
    "parse_factor_unit",
    "read_factors",
    "registry",
]

#: Every column a factor table may have, in the order :func:`read_factors` returns them.
FACTOR_COLUMNS: tuple[str, ...] = (
    "material",
    "form",
    "route",
    "region",
    "indicator",
    "value",
    "unit",
    "process",
    "year",
    "data_year",
    "source_id",
    "grade",
    "status",
    "default",
    "boundary",
    "note",
)
_REQUIRED = ("material", "indicator", "value", "unit")
#: Columns that identify a factor: no two rows may share all of them.
FACTOR_KEY: tuple[str, ...] = (
    "material",
    "indicator",
    "form",
    "route",
    "region",
    "process",
    "year",
    "data_year",
    "unit",
    "source_id",
)
#: The tag each known indicator's amount must carry (other indicators: any tag).
_INDICATOR_TAGS = {"GWP100": "CO2-eq", "GHG": "CO2-eq", "CO2": "CO2"}
#: The dimensionality each known indicator's amount must have.
_INDICATOR_DIMS = {
    "GWP100": "[mass]",
    "GHG": "[mass]",
    "CO2": "[mass]",
    "water_use": "[length] ** 3",
    "land_use": "[length] ** 2 * [time]",
}
_DEFAULT_WORDS = {"": False, "no": False, "false": False, "0": False}
_DEFAULT_WORDS.update({"yes": True, "true": True, "1": True})
_DATA = ("data", "effects")


@functools.cache
def registry() -> pint.UnitRegistry:
    """Return the unit registry of factor tables: pint's, plus ``m2``, ``m3`` and ``m2a``.

    ``m2a`` is the square-metre-year of land occupation used in LCA.
    """
    import pint

    ureg: pint.UnitRegistry = pint.UnitRegistry()
    ureg.define("m2 = meter ** 2")
    ureg.define("m3 = meter ** 3")
    ureg.define("m2a = meter ** 2 * year")
    return ureg


@dataclass(frozen=True)
class FactorUnit:
    """A factor's unit, parsed: ``<amount> [tag]/<per> [basis]``.

    Attributes
    ----------
    amount : str
        pint unit of the effect (``kg``, ``m3``, ``m2a``).
    tag : str
        What is counted (``CO2-eq``, ``CO2``); empty for water and land.
    per : str
        pint unit of the reference quantity (``kg``, ``t``, ``m2``).
    basis : str
        The substance the reference is of (``Li``, ``LiOH.H2O``); empty: the material itself.
    """

    amount: str
    tag: str
    per: str
    basis: str

    @property
    def effect_units(self) -> str:
        """Return the unit of the effect, e.g. ``"kg CO2-eq"``."""
        return f"{self.amount} {self.tag}".strip()


def parse_factor_unit(text: str) -> FactorUnit:
    """Parse a factor unit such as ``"kg CO2-eq/kg Li"``.

    Parameters
    ----------
    text : str
        ``"<amount> [tag]/<per> [basis]"``; the amount and per units must be known to
        :func:`registry`.

    Returns
    -------
    FactorUnit

    Raises
    ------
    ValueError
        The text has no ``/`` or a part is not a unit (the reader adds file, row and column).

    Examples
    --------
    >>> parse_factor_unit("kg CO2-eq/kg LiOH.H2O")
    FactorUnit(amount='kg', tag='CO2-eq', per='kg', basis='LiOH.H2O')
    >>> parse_factor_unit("m3/t Cu").effect_units
    'm3'
    """
    if text.count("/") != 1:
        raise ValueError("write it as '<amount> [tag]/<unit> [basis]', e.g. 'kg CO2-eq/kg Li'")
    top, bottom = (part.split() for part in text.split("/"))
    if not top or not bottom:
        raise ValueError("write it as '<amount> [tag]/<unit> [basis]', e.g. 'kg CO2-eq/kg Li'")
    for unit in (top[0], bottom[0]):
        try:
            registry().Unit(unit)
        except Exception as err:  # pint raises several unrelated classes for a bad string
            raise ValueError(f"{unit!r} is not a unit pint knows") from err
    return FactorUnit(top[0], " ".join(top[1:]), bottom[0], " ".join(bottom[1:]))


def read_factors(
    path: str | os.PathLike[str],
    *,
    sources: pd.DataFrame | str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read and check a factor table (see the module docstring for its columns).

    Parameters
    ----------
    path : path-like
        The CSV file; lines starting with ``#`` are comments.
    sources : DataFrame or path-like, optional
        A sources table (:func:`msa.make_sources` or a CSV file); given, every ``source_id``
        must be in it.

    Returns
    -------
    pandas.DataFrame
        One row per factor, indexed by its row in the file (``row``), with the columns of
        :data:`FACTOR_COLUMNS` (text, ``""`` where empty; ``value`` a float, NaN on gap
        rows; ``year`` an integer or ``<NA>``; ``default`` a bool) plus ``amount``, ``tag``,
        ``per`` and ``basis`` from the unit. ``attrs["path"]`` names the file.

    Raises
    ------
    DataError
        One line naming file, row and column: a missing required column, an empty material or
        indicator, a value that is not a number, NaN, infinite or negative, a value on a gap row
        or none on another, an unknown unit or one that does not fit the indicator, a bad year
        or ``default``, two defaults for one material and indicator, a duplicate key.
    ProvenanceError
        An unknown grade, or a source id not in ``sources``.

    Examples
    --------
    >>> from importlib.resources import files
    >>> table = read_factors(files("msa") / "data" / "effects" / "material_factors.csv")
    >>> li = table[table["default"] & table["material"].eq("Li")]
    >>> li[["indicator", "value", "unit"]].to_numpy().tolist()
    [['GWP100', 104.21, 'kg CO2-eq/kg Li'], ['CO2', 47.91, 'kg CO2/kg Li']]
    >>> li.index.tolist()  # rows as in the file, comment lines counted
    [23, 33]
    """
    where = str(path)
    text = Path(path).read_text(encoding="utf-8")
    frame = _records(text, where)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {missing}; a factor table needs {_REQUIRED}")
    for col in FACTOR_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    rows = [_checked_row(record, line, where) for line, record in frame.iterrows()]
    out = pd.DataFrame(rows, index=frame.index)
    out = out[[*FACTOR_COLUMNS, "amount", "tag", "per", "basis"]]
    out["year"] = out["year"].astype("Int64")
    _check_table(out, where)
    if sources is not None:
        _check_sources(out, sources, where)
    out.attrs["path"] = where
    return out


def _records(text: str, where: str) -> pd.DataFrame:
    """Return the CSV records as text, indexed by their line in the file (comments counted)."""
    lines = text.splitlines()
    kept = [(n, line) for n, line in enumerate(lines, start=1) if not line.startswith("#")]
    kept = [(n, line) for n, line in kept if line.strip()]
    if not kept:
        raise DataError(f"{where}: is empty; a factor table needs a header row")
    reader = csv.reader(io.StringIO("\n".join(line for _, line in kept)))
    header = [h.strip() for h in next(reader)]
    records, index = [], []
    for values in reader:
        line = kept[reader.line_num - 1][0]
        if len(values) != len(header):
            raise DataError(
                f"{where}: row {line}: {len(values)} fields where the header has {len(header)}"
            )
        records.append([v.strip() for v in values])
        index.append(line)
    if not records:
        raise DataError(f"{where}: has no rows")
    return pd.DataFrame(records, columns=header, index=pd.Index(index, name="row"))


def _checked_row(record: pd.Series, line: int, where: str) -> dict[str, object]:
    """Check one row and return it with its value, year, default and unit parts parsed."""
    at = f"{where}: row {line}"
    out: dict[str, object] = {c: str(record[c]) for c in FACTOR_COLUMNS}
    for col in ("material", "indicator"):
        if not out[col]:
            raise DataError(f"{at}, column {col!r}: is empty")
    gap = str(out["status"]).startswith("gap")
    out["value"] = _value(str(record["value"]), gap, at)
    try:
        unit = parse_factor_unit(str(out["unit"]))
    except ValueError as err:
        raise DataError(f"{at}, column 'unit': unknown unit {out['unit']!r}: {err}") from None
    _check_unit_fits(unit, str(out["indicator"]), f"{at}, column 'unit'")
    out.update(amount=unit.amount, tag=unit.tag, per=unit.per, basis=unit.basis)
    out["year"] = _year(str(record["year"]), at)
    word = str(record["default"]).lower()
    if word not in _DEFAULT_WORDS:
        raise DataError(f"{at}, column 'default': {record['default']!r} is not yes or no")
    out["default"] = _DEFAULT_WORDS[word]
    if out["grade"] and out["grade"] not in GRADES:
        raise ProvenanceError(
            f"{at}, column 'grade': unknown grade {out['grade']!r}; use one of {list(GRADES)} "
            "or leave it empty (ungraded)"
        )
    return out


def _value(text: str, gap: bool, at: str) -> float:
    """Return the value of a row: a finite number >= 0, or NaN on a gap row (which has none)."""
    if gap:
        if text:
            raise DataError(
                f"{at}, column 'value': a gap row has no value (got {text!r}); give the number "
                "a status other than 'gap'"
            )
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataError(
            f"{at}, column 'value': {text!r} is not a finite number; a row without a number "
            "must have status 'gap'"
        )
    if value < 0:
        raise DataError(f"{at}, column 'value': {value!r} is negative; factors are >= 0")
    return value


def _year(text: str, at: str) -> int | None:
    """Return the year a row applies to (None: every year)."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise DataError(
            f"{at}, column 'year': {text!r} is not a year (or leave it empty)"
        ) from None


def _check_unit_fits(unit: FactorUnit, indicator: str, at: str) -> None:
    """Refuse a unit whose tag or dimension does not fit a known indicator."""
    tag = _INDICATOR_TAGS.get(indicator)
    if tag is not None and unit.tag != tag:
        raise DataError(
            f"{at}: {indicator} is counted in {tag} (e.g. 'kg {tag}/kg'), got {unit.tag!r}"
        )
    dims = _INDICATOR_DIMS.get(indicator)
    if dims is not None:
        have = registry().Unit(unit.amount).dimensionality
        if have != registry().parse_units(_unit_of(dims)).dimensionality:
            raise DataError(f"{at}: {indicator} needs an amount of {dims}, got {unit.amount!r}")


def _unit_of(dims: str) -> str:
    """Return a unit of the given dimensionality."""
    return {
        "[mass]": "kg",
        "[length] ** 3": "m3",
        "[length] ** 2 * [time]": "m2a",
    }[dims]


def _check_table(table: pd.DataFrame, where: str) -> None:
    """Refuse duplicate keys and more than one default per material and indicator."""
    key = pd.Series(
        ["\x1f".join(map(str, row)) for row in table[list(FACTOR_KEY)].itertuples(index=False)],
        index=table.index,
    )
    dup = key.duplicated(keep="first")
    if dup.any():
        twin = table.index[dup.to_numpy()][0]
        first = key.index[key.eq(key.loc[twin])][0]
        raise DataError(
            f"{where}: row {twin}: same key as row {first} "
            f"({', '.join(FACTOR_KEY)}); tell conflicting numbers apart by form, route, "
            "region or source_id"
        )
    defaults = table[table["default"]]
    twice = defaults.duplicated(["material", "indicator"], keep="first")
    if twice.any():
        row = defaults.index[twice.to_numpy()][0]
        m, ind = defaults.at[row, "material"], defaults.at[row, "indicator"]
        raise DataError(
            f"{where}: row {row}, column 'default': a second default for {m!r} {ind}; "
            "mark one row per material and indicator"
        )
    gap_default = table["default"] & table["value"].isna()
    if gap_default.any():
        row = table.index[gap_default.to_numpy()][0]
        raise DataError(f"{where}: row {row}, column 'default': a gap row cannot be the default")


def _check_sources(
    table: pd.DataFrame, sources: pd.DataFrame | str | os.PathLike[str], where: str
) -> None:
    """Refuse a source id that is not in the sources table."""
    if not isinstance(sources, pd.DataFrame):
        origin = str(sources)
        frame = pd.read_csv(sources, comment="#", dtype=str, keep_default_na=False)
        sources = make_sources(frame, origin=origin)
    known = set(sources.index)
    for row, sid in table["source_id"].items():
        if sid and sid not in known:
            raise ProvenanceError(
                f"{where}: row {row}, column 'source_id': {sid!r} is not in the sources table; "
                "add it to sources.csv"
            )


@functools.cache
def _shipped() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the shipped factor and sources tables once."""
    folder = files("msa").joinpath(*_DATA)
    with folder.joinpath("sources.csv").open(encoding="utf-8") as handle:
        frame = pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)
    sources = make_sources(frame, origin="src/msa/data/effects/sources.csv")
    path = Path(str(folder.joinpath("material_factors.csv")))
    return read_factors(path, sources=sources), sources


def load_factors() -> pd.DataFrame:
    """Return the shipped default factors (``src/msa/data/effects/material_factors.csv``).

    Cradle-to-gate factors of primary Li, Ni, Co, Mn, graphite, Cu, Al, glass and steel from
    published LCA and industry sources, with each number's source, grade and status; silicon,
    silver, cobalt metal, copper cathode GWP100 and land use are ``gap`` rows. Conflicting
    numbers are kept side by side; ``default`` marks the one msa uses when a caller selects
    none (a choice: see docs/effects.md). Sources: :func:`factor_sources`.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_factors` returns (a copy).

    Examples
    --------
    >>> table = load_factors()
    >>> sorted(table.loc[table["status"].eq("gap") & table["indicator"].eq("GWP100"), "material"])
    ['Ag', 'Co', 'Cu', 'Si', 'Si']
    """
    return _shipped()[0].copy()


def factor_sources() -> pd.DataFrame:
    """Return the sources of the shipped factors (``src/msa/data/effects/sources.csv``).

    Returns
    -------
    pandas.DataFrame
        A sources table (:func:`msa.make_sources`), indexed by ``source_id``.

    Examples
    --------
    >>> factor_sources().loc["istrate2024", "publisher"]
    'Joule'
    """
    return _shipped()[1].copy()
