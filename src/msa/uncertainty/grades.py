"""The default spread of a value by its data-quality grade: the bundled grade table.

``src/msa/data/grade_uncertainty.csv`` gives each JRC MSA data-point grade (A-D) and each CLO
reliability grade (A-F) a distribution and a log-sd, read from pedigree scores with the variances
of the ecoinvent v3 data quality guideline (``pedigree_variances.csv``). The scores of a grade are
msa's assumption; the file's header and ``assumption`` column say so, and docs/uncertainty.md
shows the table. A CLO grade, where a value has one, is used instead of its JRC grade: it is the
finer scale.

References
----------
Weidema, B. P. et al. (2013). *Overview and methodology. Data quality guideline for the ecoinvent
database version 3*. Ecoinvent Report 1(v3). St. Gallen: The ecoinvent Centre.
"""

from __future__ import annotations

import functools
import math
from importlib.resources import files
from typing import Any, NamedTuple

import pandas as pd

from msa.errors import ConfigError, DataError
from msa.system.provenance import CLO_GRADES, GRADES

__all__ = ["GRADE_TABLE", "grade_log_sd", "grade_table"]

#: The bundled grade table, ``src/msa/data/<GRADE_TABLE>.csv``.
GRADE_TABLE = "grade_uncertainty"

#: The columns the library reads; the others document the row.
_COLUMNS = ("scheme", "grade", "distribution", "log_sd", "assumption", "source")
#: Distributions the grade table may give a positive quantity by default.
_TABLE_DISTRIBUTIONS = ("lognormal", "normal")
_SCHEMES = {"jrc": GRADES, "clo": CLO_GRADES}


class GradeSpread(NamedTuple):
    """One row of the grade table, as the library uses it."""

    distribution: str
    log_sd: float
    basis: str


@functools.cache
def _read(name: str) -> pd.DataFrame:
    path = files("msa").joinpath("data", f"{name}.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


def grade_table() -> pd.DataFrame:
    """Return a copy of the bundled grade table (``src/msa/data/grade_uncertainty.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per grade: ``scheme`` (``jrc`` or ``clo``), ``grade``, ``meaning``,
        ``distribution``, the five pedigree scores, ``log_sd``, ``gsd``, ``cv``, ``assumption``
        and ``source``; all columns as strings.

    Examples
    --------
    >>> table = grade_table()
    >>> table.loc[table["scheme"] == "jrc", ["grade", "log_sd"]].to_numpy().tolist()
    [['A', '0.026458'], ['B', '0.057446'], ['C', '0.136473'], ['D', '0.300167']]
    """
    return _read(GRADE_TABLE).copy()


@functools.cache
def _spreads() -> dict[tuple[str, str], GradeSpread]:
    """Read the grade table, checked and keyed by (scheme, grade); a broken one is a DataError."""
    table = _read(GRADE_TABLE)
    where = f"src/msa/data/{GRADE_TABLE}.csv"
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{where}: missing column {missing[0]!r}")
    spreads: dict[tuple[str, str], GradeSpread] = {}
    for row, record in enumerate(table.to_dict("records"), start=1):
        key = (record["scheme"], record["grade"])
        spreads[key] = _spread_of(record, f"{where} row {row}")
    for scheme, grades in _SCHEMES.items():
        absent = [g for g in grades if (scheme, g) not in spreads]
        if absent:
            raise DataError(f"{where}: no row for {scheme} grade {absent[0]!r}")
    return spreads


def _spread_of(record: dict[str, Any], where: str) -> GradeSpread:
    scheme, grade = record["scheme"], record["grade"]
    if scheme not in _SCHEMES or grade not in _SCHEMES[scheme]:
        raise DataError(f"{where}: unknown {scheme!r} grade {grade!r}")
    if record["distribution"] not in _TABLE_DISTRIBUTIONS:
        raise DataError(
            f"{where} distribution: {record['distribution']!r} is not one of "
            f"{', '.join(_TABLE_DISTRIBUTIONS)}"
        )
    try:
        log_sd = float(record["log_sd"])
    except ValueError:
        log_sd = math.nan
    if not (math.isfinite(log_sd) and log_sd >= 0):
        raise DataError(f"{where} log_sd: must be a number >= 0 (got {record['log_sd']!r})")
    if not record["source"] or not record["assumption"]:
        raise DataError(f"{where}: every row needs its source and assumption")
    label = "grade" if scheme == "jrc" else "CLO grade"
    return GradeSpread(record["distribution"], log_sd, f"{label} {grade} ({GRADE_TABLE}.csv)")


def grade_spread(grade: str, clo_grade: str | None = None, *, where: str = "value") -> GradeSpread:
    """Return the default distribution, log-sd and basis of a value with these grades.

    The CLO grade is used where given (not None and not empty), else the JRC grade. Errors name
    ``where`` and the key (``grade`` or ``clo_grade``).
    """
    if clo_grade:
        if clo_grade not in CLO_GRADES:
            raise ConfigError(
                f"{where} clo_grade: unknown CLO grade {clo_grade!r}; use one of "
                f"{', '.join(CLO_GRADES)}"
            )
        return _spreads()[("clo", clo_grade)]
    if grade not in GRADES:
        raise ConfigError(
            f"{where} grade: unknown grade {grade!r}; use one of {', '.join(GRADES)} "
            "(an ungraded value has no default uncertainty: grade it or give its uncertainty)"
        )
    return _spreads()[("jrc", grade)]


def grade_log_sd(grade: str, clo_grade: str | None = None) -> float:
    """Return the default log-sd (sd of ln x) of a value with a JRC grade and optional CLO grade.

    Parameters
    ----------
    grade : {"A", "B", "C", "D"}
        The JRC MSA data-point grade.
    clo_grade : {"A", "B", "C", "D", "E", "F"}, optional
        The CLO reliability grade; used instead of ``grade`` where given (an empty string means
        none).

    Returns
    -------
    float
        ``log_sd`` of the grade table; the geometric sd is ``exp(log_sd)`` and the coefficient of
        variation ``sqrt(exp(log_sd**2) - 1)``.

    Raises
    ------
    msa.ConfigError
        For an unknown grade.

    Examples
    --------
    >>> grade_log_sd("C")
    0.136473
    >>> grade_log_sd("C", clo_grade="F")
    0.300998
    """
    return grade_spread(grade, clo_grade, where="grade_log_sd").log_sd
