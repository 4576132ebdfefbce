"""Read a declared model's data tables and parameters into tracked values, checked row by row.

A data table is a CSV file with one row per value: its dim columns (``year`` for ``time``),
``value``, ``units``, ``source_id``, ``grade`` and optionally ``note`` and ``clo_grade``. Every
problem names the file, the row (the line number in the file) and the column: an unknown label,
a duplicate, a missing combination, a value that is not a finite number, units that cannot be
converted to the declared ones, an unknown source id, a grade outside A-D, shares that do not
add to 1. Rows in other but convertible units are converted (``Wh/vehicle`` to
``kWh/vehicle``). With ``interpolate = "linear"`` the years between two given years are
interpolated and the years before the first and after the last hold the end value; a filled
cell is graded no better than B (the JRC grade for consistent inter- and extrapolation) and no
better than the cells it was filled from.

``where`` keeps only the rows whose (non-dim) column holds a label; a label given as
``{ parameter = "name" }`` is that string parameter's value in the scenario, and the table then
rests on the parameter's grade and source id. A dim in ``own_dims`` is the table's own (not the
model's): its labels are read from the table, and the table may leave combinations out (NaN,
no grade).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, ProvenanceError
from msa.messages import plain
from msa.model.definition import DataSpec, ModelDefinition, ParameterSpec, ScenarioSpec
from msa.model.tracked import Tracked, rank_of_grade
from msa.model.units import conversion_factor
from msa.system.provenance import GRADES, make_sources
from msa.system.tables import FIRST_YEAR, LAST_YEAR, read_csv_cells

__all__ = [
    "check_targets",
    "parameter_provenance",
    "read_data",
    "read_parameters",
    "read_sources",
    "read_table",
]

_VALUE_COLUMNS = ("value", "units", "source_id", "grade")
_B = GRADES.index("B")


def read_sources(d: ModelDefinition) -> pd.DataFrame:
    """Read and validate the model's sources table (``[model] sources``)."""
    path = d.folder / d.info.sources
    frame = _read_csv(path)
    return make_sources(frame, origin=str(path))


#: The columns of a model's own targets table (``[outputs] targets``).
_TARGET_COLUMNS = ("target_id", "policy", "indicator", "material", "year", "comparison", "value")
_COMPARISONS = (">=", "<=", ">", "<")


def check_targets(d: ModelDefinition) -> None:
    """Check the model's own targets table (``[outputs] targets``) before anything is built.

    Raises
    ------
    msa.DataError
        Naming the file, row and column: an unreadable table, a missing column, a year that is
        not a whole year, a comparison other than ``>=``, ``<=``, ``>``, ``<``, a value that is
        not a finite number.
    """
    if d.outputs.targets is None:
        return
    path = d.folder / d.outputs.targets
    frame = _read_csv(path)
    missing = [c for c in _TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {missing}; a targets table has {_TARGET_COLUMNS}"
        )
    years = pd.to_numeric(frame["year"].str.strip(), errors="coerce").to_numpy(dtype=float)
    values = pd.to_numeric(frame["value"].str.strip(), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        checks = (
            ("year", ~np.isfinite(years) | (years != np.round(years)), "is not a whole year"),
            (
                "comparison",
                ~frame["comparison"].str.strip().isin(_COMPARISONS).to_numpy(),
                f"is not one of {list(_COMPARISONS)}",
            ),
            ("value", ~np.isfinite(values), "is not a finite number"),
        )
    for column, bad, why in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path}: row {i + 2}, column {column!r}: {frame[column].iloc[i]!r} {why}"
            )


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV as text cells; a semicolon-separated (Dutch Excel) file is named as such."""
    return read_csv_cells(path)


def parameter_provenance(d: ModelDefinition, scenario: ScenarioSpec) -> dict[str, Tracked]:
    """Return the grade and source id of every parameter, numbers or not (value NaN).

    What a function flow that ``needs`` a label or a list of labels, and a table selected by a
    parameter (``where``), rest on; a scenario override carries the scenario's grade.
    """
    out = {}
    for name, spec in d.parameters.items():
        grade, source = spec.grade, spec.source_id
        if name in scenario.set:
            grade, source = scenario.grade, scenario.source_id or spec.source_id
        out[name] = Tracked.scalar(np.nan, spec.units, grade, source)
    return out


def read_parameters(
    d: ModelDefinition, scenario: ScenarioSpec, sources: pd.DataFrame | None = None
) -> tuple[dict[str, Tracked], dict[str, Any]]:
    """Return every parameter as a tracked scalar and as its plain value, with overrides.

    A scenario's ``set`` replaces a value; the override carries the scenario's grade and
    source id (the declared source when it names none). Numeric overrides must respect the
    declared bounds. With ``sources``, every declared source id must be in it.
    """
    tracked: dict[str, Tracked] = {}
    values: dict[str, Any] = {}
    for name, spec in d.parameters.items():
        value, grade, source = spec.value, spec.grade, spec.source_id
        if sources is not None and source not in sources.index:
            raise ProvenanceError(
                f"{d.path}: [parameters] {name} source_id: {source!r} is not in the sources "
                "table; every value needs a known source id"
            )
        if name in scenario.set:
            value = scenario.set[name]
            grade, source = scenario.grade, scenario.source_id or spec.source_id
            _check_override(d, name, spec, value)
        values[name] = value
        if isinstance(value, int | float) and not isinstance(value, bool):
            tracked[name] = Tracked.scalar(float(value), spec.units, grade, source)
    return tracked, values


def _check_override(d: ModelDefinition, name: str, spec: ParameterSpec, value: object) -> None:
    numeric = isinstance(spec.value, int | float) and not isinstance(spec.value, bool)
    if numeric and not (isinstance(value, int | float) and not isinstance(value, bool)):
        raise ConfigError(f"{d.path}: [scenarios] set.{name}: a number is required, got {value!r}")
    if spec.bounds is not None and isinstance(value, int | float):
        low, high = spec.bounds
        if not low <= value <= high:
            raise ConfigError(
                f"{d.path}: [scenarios] set.{name}: {value} is outside the bounds "
                f"{list(spec.bounds)} of parameter {name!r}"
            )


def read_data(
    d: ModelDefinition, scenario: ScenarioSpec, sources: pd.DataFrame
) -> dict[str, Tracked]:
    """Read every declared table (a scenario may swap a table's file) into tracked values.

    A table whose rows are selected by a parameter (``where = { column = { parameter = ...
    } }``) takes the parameter's value in the scenario and rests on its grade and source id.
    """
    out = {}
    provenance = parameter_provenance(d, scenario)
    for name, spec in d.data.items():
        path = d.folder / scenario.data.get(name, spec.file)
        where: dict[str, str] = {}
        chosen: list[Tracked] = []
        for column, label in spec.where.items():
            if isinstance(label, str):
                where[column] = label
            else:
                param = label.parameter
                where[column] = str(scenario.set.get(param, d.parameters[param].value))
                chosen.append(provenance[param])
        table = read_table(path, spec, d.coords, sources, name=name, where=where)
        for param_tracked in chosen:
            table = _rests_on(table, param_tracked)
        out[name] = table
    return out


def _rests_on(table: Tracked, other: Tracked) -> Tracked:
    """Join ``other``'s provenance to the table's; a cell without a value stays ungraded."""
    joined = table.rests_on(other)
    given = table.value.notnull()
    rank = joined.rank.where(given, -1).astype(np.int8)
    return Tracked(joined.value, joined.units, rank, joined.source.where(given, ""))


def read_table(
    path: Path,
    spec: DataSpec,
    coords: Mapping[str, tuple[Any, ...]],
    sources: pd.DataFrame,
    *,
    name: str,
    where: Mapping[str, str] | None = None,
) -> Tracked:
    """Read one table into a :class:`Tracked` over its declared dims (see module docstring).

    ``where`` keeps only the rows whose column holds the label (``{"flow": "new"}``); the
    rows keep their line numbers in messages. An own dim of the table (``own_dims``) takes
    its labels from the table, in the order they first appear.
    """
    frame = _read_csv(path)
    columns = [("year" if d == "time" and "year" in frame.columns else d) for d in spec.dims]
    where = dict(where or {})
    missing = [c for c in (*columns, *where, *_VALUE_COLUMNS) if c not in frame.columns]
    if missing:
        shown = ["year" if c == "time" else c for c in missing]  # time is read from 'year'
        raise DataError(
            f"{path}: missing column(s) {shown} (table {name!r}); found {list(frame.columns)}"
        )
    if frame.empty:
        raise DataError(f"{path}: no rows (table {name!r})")
    lines = np.arange(2, len(frame) + 2)
    if where:
        keep = np.ones(len(frame), dtype=bool)
        for column, label in where.items():
            cells = frame[column].str.strip()
            if not (cells == label).any():
                raise DataError(
                    f"{path}: no row has {column} = {label!r} (table {name!r}); the column "
                    f"holds {sorted(set(cells))}"
                )
            keep &= (cells == label).to_numpy()
        frame, lines = frame[keep].reset_index(drop=True), lines[keep]
    coords = dict(coords)
    for dim in spec.own_dims:
        coords[dim] = tuple(dict.fromkeys(frame[dim].str.strip()))
    labels = {
        dim: _labels(path, frame, col, dim, coords[dim], lines)
        for dim, col in zip(spec.dims, columns, strict=True)
    }
    values = _values(path, frame, spec, lines)
    grades = _grades(path, frame, sources, lines)
    _no_duplicates(path, labels, lines)
    return _assemble(path, spec, coords, labels, values, grades, frame["source_id"], lines)


def _labels(
    path: Path,
    frame: pd.DataFrame,
    column: str,
    dim: str,
    allowed: tuple[Any, ...],
    lines: np.ndarray,
) -> np.ndarray:
    """Return one dim column as the model's labels (years as int); unknown labels fail."""
    cells = frame[column].str.strip()
    if dim == "time":
        years = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(years) | (years != np.round(years))
            bad |= (years < FIRST_YEAR) | (years > LAST_YEAR)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path}: row {lines[i]}, column {column!r}: {cells.iloc[i]!r} is not a year "
                f"(a whole year between {FIRST_YEAR} and {LAST_YEAR})"
            )
        out = years.astype(np.int64)
    else:
        out = cells.to_numpy(dtype=object)
    unknown = ~pd.Series(out).isin(list(allowed)).to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        shown = f"{allowed[0]}-{allowed[-1]}" if dim == "time" else sorted(map(str, allowed))
        raise DataError(
            f"{path}: row {lines[i]}, column {column!r}: {plain(out[i])!r} is not a {dim} of the "
            f"model ({shown}); add it to [dims] or fix the row"
        )
    return out


def _values(path: Path, frame: pd.DataFrame, spec: DataSpec, lines: np.ndarray) -> np.ndarray:
    """Return the values in the declared units: finite, non-negative unless allowed."""
    numbers = pd.to_numeric(frame["value"].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        hint = " (a decimal comma? use '.')" if "," in frame["value"].iloc[i] else ""
        raise DataError(
            f"{path}: row {lines[i]}, column 'value': {frame['value'].iloc[i]!r} is not a finite "
            f"number{hint}"
        )
    factors = {}
    for units in frame["units"].unique():
        rows = np.flatnonzero((frame["units"] == units).to_numpy())
        where = f"{path}: row {lines[rows[0]]}, column 'units'"
        try:
            factors[units] = conversion_factor(str(units), spec.units, where=where)
        except ConfigError as err:  # the row is at fault, not the declaration (checked before)
            raise DataError(str(err)) from err
    numbers = numbers * frame["units"].map(factors).to_numpy(dtype=float)
    if spec.nonnegative and (numbers < 0).any():
        i = int(np.flatnonzero(numbers < 0)[0])
        raise DataError(
            f"{path}: row {lines[i]}, column 'value': negative value {plain(numbers[i])!r}; "
            "this table takes values >= 0 (nonnegative = false allows negative ones)"
        )
    return numbers


def _grades(
    path: Path, frame: pd.DataFrame, sources: pd.DataFrame, lines: np.ndarray
) -> np.ndarray:
    """Each row's grade; its source id must be in the sources table."""
    ids = frame["source_id"].str.strip()
    unknown = ~ids.isin(sources.index).to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ProvenanceError(
            f"{path}: row {lines[i]}, column 'source_id': {ids.iloc[i]!r} is not in the sources "
            "table; every value needs a known source id"
        )
    grades = frame["grade"].str.strip()
    bad = ~grades.isin(GRADES).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ProvenanceError(
            f"{path}: row {lines[i]}, column 'grade': {grades.iloc[i]!r} is not one of "
            f"{list(GRADES)}"
        )
    return grades.to_numpy(dtype=object)


def _no_duplicates(path: Path, labels: Mapping[str, np.ndarray], lines: np.ndarray) -> None:
    if not labels:
        if len(lines) > 1:
            raise DataError(f"{path}: row {lines[1]}: a table without dims holds one row only")
        return
    keys = pd.DataFrame(labels)
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = lines[dup]
        at = ", ".join(f"{k}={plain(v)!r}" for k, v in keys.iloc[np.flatnonzero(dup)[0]].items())
        raise DataError(f"{path}: rows {rows[0]} and {rows[1]} both give {at}")


def _assemble(
    path: Path,
    spec: DataSpec,
    coords: Mapping[str, tuple[Any, ...]],
    labels: Mapping[str, np.ndarray],
    values: np.ndarray,
    grades: np.ndarray,
    source_ids: pd.Series,
    lines: np.ndarray,
) -> Tracked:
    """Place the rows on the full grid of the table's dims; fill or refuse the gaps."""
    dims = list(spec.dims)
    if not dims:
        return Tracked.scalar(values[0], spec.units, grades[0], str(source_ids.iloc[0]).strip())
    shape = tuple(len(coords[d]) for d in dims)
    index = tuple(
        pd.Index(list(coords[d])).get_indexer(labels[d]) for d in dims
    )  # every label is known
    value = np.full(shape, np.nan)
    rank = np.full(shape, -1, dtype=np.int8)
    source = np.full(shape, "", dtype=object)
    value[index] = values
    rank[index] = rank_of_grade(xr.DataArray(grades)).values
    source[index] = source_ids.str.strip().to_numpy(dtype=object)
    grid = {d: list(coords[d]) for d in dims}
    tracked = Tracked(
        xr.DataArray(value, coords=grid, dims=dims),
        spec.units,
        xr.DataArray(rank, coords=grid, dims=dims),
        xr.DataArray(source, coords=grid, dims=dims),
    )
    if spec.interpolate == "linear":
        tracked = _interpolate(path, tracked)
    if not spec.own_dims:  # a table with dims of its own may leave combinations out
        _complete(path, tracked)
    if spec.sums_to_one is not None:
        _sums_to_one(path, tracked, spec.sums_to_one)
    return tracked


def _interpolate(path: Path, t: Tracked) -> Tracked:
    """Fill missing years linearly between given ones; hold the first and last given value."""
    value = t.value.transpose("time", ...)
    rank = t.rank.transpose("time", ...)
    source = t.source.transpose("time", ...)
    years = np.asarray(value["time"].values, dtype=float)
    v = value.values.reshape(len(years), -1).copy()
    r = rank.values.reshape(len(years), -1).copy()
    s = source.values.reshape(len(years), -1).copy()
    for j in range(v.shape[1]):
        given = np.flatnonzero(~np.isnan(v[:, j]))
        if len(given) == 0:
            continue
        gaps = np.flatnonzero(np.isnan(v[:, j]))
        v[gaps, j] = np.interp(years[gaps], years[given], v[given, j])
        after = np.clip(np.searchsorted(given, gaps), 0, len(given) - 1)
        before = np.where(gaps > given[-1], after, np.clip(after - 1, 0, len(given) - 1))
        lo, hi = given[before], given[after]
        r[gaps, j] = np.maximum(np.maximum(r[lo, j], r[hi, j]), _B)
        s[gaps, j] = np.where(s[lo, j] == s[hi, j], s[lo, j], "")
    shaped = value.shape
    return Tracked(
        value.copy(data=v.reshape(shaped)).transpose(*t.value.dims),
        t.units,
        rank.copy(data=r.reshape(shaped)).transpose(*t.value.dims),
        source.copy(data=s.reshape(shaped)).transpose(*t.value.dims),
    )


def _complete(path: Path, t: Tracked) -> None:
    """Every cell of the grid must be given (or filled): name the first missing one."""
    missing = np.isnan(t.value.values)
    if missing.any():
        at = np.argwhere(missing)[0]
        cell = ", ".join(
            f"{d}={plain(t.value[d].values[i])!r}" for d, i in zip(t.value.dims, at, strict=True)
        )
        raise DataError(
            f"{path}: no row for {cell} ({int(missing.sum())} combination(s) missing); give "
            'every combination of the table\'s dims, or interpolate = "linear" over time'
        )


def _sums_to_one(path: Path, t: Tracked, dim: str) -> None:
    total = t.value.sum(dim)
    bad = np.abs(total.values - 1.0) > 1e-6
    if bad.any():
        at = np.argwhere(bad)[0] if total.ndim else ()
        cell = ", ".join(
            f"{d}={plain(total[d].values[i])!r}" for d, i in zip(total.dims, at, strict=True)
        )
        raise DataError(
            f"{path}: the shares over {dim!r} add to {float(total.values[tuple(at)]):.6g}, not 1"
            + (f", at {cell}" if cell else "")
        )
