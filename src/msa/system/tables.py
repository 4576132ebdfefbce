"""Read and write a :class:`msa.System` as a folder of CSV tables or an Excel workbook.

The layout is documented in ``docs/tables.md``: ``processes``, ``sources``, optional ``dims``
and ``system``, ``flows``, optional ``stocks`` and ``parameters``; long (one row per value) or
wide (one column per year). Every problem is reported with the file, row and column at fault;
nothing is dropped or filled in silently. The public door is :mod:`msa.io`.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError, DimensionError, MsaError, ProvenanceError
from msa.messages import plain
from msa.system._sheets import Folder, Table, Workbook, open_tables, refuse_semicolons
from msa.system.core import FIRST_YEAR, LAST_YEAR, PROCESS_KINDS, Process, System
from msa.system.provenance import CLO_GRADES, GRADES, make_sources

#: Table names, in the order they are read. ``processes``, ``sources`` and ``flows`` are required.
TABLES: tuple[str, ...] = (
    "system",
    "processes",
    "sources",
    "dims",
    "flows",
    "stocks",
    "parameters",
)
#: Dimension names a table may use without declaring them in ``dims.csv`` (docs/conventions.md).
VOCABULARY: tuple[str, ...] = (
    "time",
    "cohort",
    "region",
    "material",
    "product",
    "chemistry",
    "stage",
    "origin",
    "sample",
    "scenario",
)
#: Dims whose items are integer years.
_INTEGER_DIMS = ("time", "cohort")
#: The variables of a stock table.
STOCK_VARIABLES: tuple[str, ...] = ("stock", "stock_change", "initial_stock")
_YEAR_COLUMN = re.compile(r"^\d{4}$")
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}

_KEYS = {"flows": ("source", "target"), "stocks": ("process", "variable"), "parameters": ("name",)}
_VALUE_COLUMNS = ("value", "units", "source_id", "grade")
_OPTIONAL = {
    "flows": ("jrc_code", "signed", "clo_grade"),
    "stocks": ("clo_grade",),
    "parameters": ("clo_grade",),
}
#: The required columns of the processes table.
PROCESS_COLUMNS: tuple[str, ...] = ("id", "kind")
#: The optional columns of the processes table.
PROCESS_OPTIONAL: tuple[str, ...] = ("stage", "label_en", "label_nl")


def read_csv_cells(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV file as text cells (stripped header), one DataError line for any fault.

    Parameters
    ----------
    path : path-like
        A comma-separated UTF-8 file (a byte-order mark is allowed) with a header row.

    Returns
    -------
    pandas.DataFrame
        Every cell a string (empty cells ``""``), column names stripped; row ``i`` of the
        frame is row ``i + 2`` of the file.

    Raises
    ------
    msa.DataError
        Naming the file: no such file, not UTF-8, empty, a header separated by ';' (a Dutch
        Excel export, refused with how to save it), duplicate column names, a row with more
        cells than the header.
    """
    path = Path(path)
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "file not found"
        raise DataError(f"{path}: {what}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
            fh.read()  # the whole file must be UTF-8, not only its header
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err}); save the file as UTF-8 CSV") from err
    except csv.Error as err:
        raise DataError(f"{path}: malformed CSV ({err}); check quotes and commas") from err
    if header is None or not any(h.strip() for h in header):
        raise DataError(f"{path}: file is empty; it needs a header row naming the columns")
    refuse_semicolons(str(path), header)
    names = [h.strip() for h in header]
    dup = sorted({h for h in names if names.count(h) > 1})
    if dup:
        raise DataError(f"{path}: duplicate column(s) {dup}; give each column once")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        detail = " ".join(str(err).split())
        raise DataError(f"{path}: malformed CSV ({detail}); check quotes and commas") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


# ----------------------------------------------------------------------------- cell checks
def _require_columns(table: Table, required: tuple[str, ...], what: str) -> None:
    missing = [c for c in required if c not in table.frame.columns]
    if missing:
        have = [c for c in table.frame.columns if c != "_row"]
        raise DataError(
            f"{table.label}: missing column(s) {missing} (found {have}); a {what} table needs "
            f"columns {list(required)}"
        )


def _require_cells(table: Table, frame: pd.DataFrame, columns: tuple[str, ...], why: str) -> None:
    for col in columns:
        empty = frame[col] == ""
        if empty.any():
            row = int(frame.loc[empty, "_row"].iloc[0])
            raise DataError(f"{table.at(row, col)}: empty cell; {why}")


def _years(
    table: Table, frame: pd.DataFrame, column: str, *, value_column: str | None = None
) -> pd.Series:
    """Parse the non-empty cells of ``column`` as integer years (empty cells become -1)."""
    text = frame[column]
    given = text != ""
    num = pd.to_numeric(text.where(given, "0"), errors="coerce")
    bad = given & (
        num.isna()
        | (num % 1 != 0).fillna(True)
        | (num < FIRST_YEAR).fillna(True)
        | (num > LAST_YEAR).fillna(True)
    )
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        col = frame[value_column].iloc[i] if value_column else column
        raise DimensionError(
            f"{table.at(int(frame['_row'].iloc[i]), col)}: bad {column} {text.iloc[i]!r}; "
            f"give an integer year between {FIRST_YEAR} and {LAST_YEAR}"
        )
    return num.where(given, -1).astype(np.int64)


def _values(table: Table, frame: pd.DataFrame) -> pd.Series:
    """Parse the ``value`` cells as finite floats."""
    num = pd.to_numeric(frame["value"], errors="coerce")
    bad = num.isna() | ~np.isfinite(num.fillna(0.0))
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        text = frame["value"].iloc[i]
        finite = text.lower().lstrip("+-") not in ("nan", "inf", "infinity")
        kind = "non-numeric" if finite else "non-finite"
        raise DataError(
            f"{table.at(int(frame['_row'].iloc[i]), frame['_vcol'].iloc[i])}: {kind} value "
            f"{text!r}; give a finite number (0 where there is no flow)"
        )
    return num.astype(float)


def _check_provenance(
    table: Table, frame: pd.DataFrame, sources: pd.DataFrame, *, required: bool
) -> None:
    for col in ("source_id", "grade"):
        empty = frame[col] == ""
        if required and empty.any():
            row = int(frame.loc[empty, "_row"].iloc[0])
            raise ProvenanceError(
                f"{table.at(row, col)}: empty {col}; every value needs a source id and a grade "
                f"({'/'.join(GRADES)})"
            )
    unknown = (frame["source_id"] != "") & ~frame["source_id"].isin(sources.index)
    if unknown.any():
        i = unknown.to_numpy().nonzero()[0][0]
        raise ProvenanceError(
            f"{table.at(int(frame['_row'].iloc[i]), 'source_id')}: source id "
            f"{frame['source_id'].iloc[i]!r} is not in sources.csv; add it there"
        )
    for col, allowed in (("grade", GRADES), ("clo_grade", CLO_GRADES)):
        bad = (frame[col] != "") & ~frame[col].isin(allowed)
        if bad.any():
            i = bad.to_numpy().nonzero()[0][0]
            what = "CLO reliability grade" if col == "clo_grade" else "grade"
            raise ProvenanceError(
                f"{table.at(int(frame['_row'].iloc[i]), col)}: unknown {what} "
                f"{frame[col].iloc[i]!r}; use one of {list(allowed)}"
            )


# ----------------------------------------------------------------------------- quantity tables
class _Quantities:
    """A flows, stocks or parameters table normalised to long form with parsed cells."""

    def __init__(self, table: Table, kind: str, declared: dict[str, list[object]]) -> None:
        self.table = table
        self.kind = kind
        keys = _KEYS[kind]
        frame = table.frame
        columns = [c for c in frame.columns if c != "_row"]
        years = [c for c in columns if _YEAR_COLUMN.match(c)]
        known = set(keys) | set(_VALUE_COLUMNS) | set(_OPTIONAL[kind])
        dims = [c for c in columns if c not in known and c not in years]
        unknown = [c for c in dims if c not in VOCABULARY and c not in declared]
        if unknown:
            raise DataError(
                f"{table.label}: unknown column(s) {unknown}; a {kind} table has columns "
                f"{list(keys + _VALUE_COLUMNS)}, optional {list(_OPTIONAL[kind])}, dim columns "
                f"({', '.join(VOCABULARY)} or a dim declared in dims.csv) and, in wide form, "
                "one column per year (e.g. 2020)"
            )
        if years:
            if "time" in dims or "value" in columns:
                clash = "time" if "time" in dims else "value"
                raise DataError(
                    f"{table.label}: has both year columns {years[:3]} and a {clash!r} column; "
                    "use either long form (time, value) or wide form (one column per year)"
                )
            _require_columns(table, keys + _VALUE_COLUMNS[1:], kind)
            ids = [c for c in frame.columns if c not in years]
            frame = frame.melt(id_vars=ids, value_vars=years, var_name="time", value_name="value")
            frame["_vcol"] = frame["time"]
            frame = frame.sort_values(["_row", "time"], kind="stable").reset_index(drop=True)
            dims = [*dims, "time"]
        else:
            _require_columns(table, keys + _VALUE_COLUMNS, kind)
            frame = frame.copy()
            frame["_vcol"] = "value"
        for col in _OPTIONAL[kind]:
            if col not in frame.columns:
                frame[col] = ""
        _require_cells(table, frame, keys + ("units",), f"every {kind} row needs it")
        frame["value"] = _values(table, frame)
        self.wide = bool(years)
        for dim in dims:
            if dim in _INTEGER_DIMS:
                frame[dim] = _years(table, frame, dim, value_column=self._column(dim))
        self.frame = frame
        self.dims = dims

    def _column(self, dim: str) -> str | None:
        """Return the column naming ``dim`` in messages: the year column in wide form."""
        return "_vcol" if self.wide and dim == "time" else None

    def items(self, dim: str) -> pd.Series:
        """Return the given (non-empty) items of ``dim`` in row order."""
        col = self.frame[dim]
        return col[col != -1] if dim in _INTEGER_DIMS else col[col != ""]

    def check_items(self, coords: dict[str, pd.Index]) -> None:
        """Raise if a cell names an item that is not in ``coords`` (declared in dims.csv)."""
        for dim in self.dims:
            given = self.items(dim)
            if dim not in coords and given.empty:
                continue
            bad = ~given.isin(coords[dim])
            if bad.any():
                i = bad.to_numpy().nonzero()[0][0]
                row = int(self.frame.loc[given.index[i], "_row"])
                col = self.frame.loc[given.index[i], "_vcol"] if self._column(dim) else dim
                raise DimensionError(
                    f"{self.table.at(row, col)}: unknown {dim} item {plain(given.iloc[i])!r}; "
                    f"dims.csv declares {list(coords[dim])[:10]}"
                )

    def groups(self) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
        """Rows grouped by key (flow, stock variable or parameter), in file order."""
        keys = list(_KEYS[self.kind])
        return [
            (k if isinstance(k, tuple) else (k,), g)
            for k, g in self.frame.groupby(keys, sort=False)
        ]

    def array(
        self,
        group: pd.DataFrame,
        what: str,
        coords: dict[str, pd.Index],
        *,
        require_time: bool,
        column: str = "value",
    ) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray | None]:
        """Build the value, source-id, grade and CLO grade arrays of one quantity from its rows.

        The CLO grade is None when no row of the quantity gives one (it is optional).
        """
        dims = self._dims_given(group, what, require_time=require_time)
        _check_one_unit(self.table, group, what)
        order = [d for d in coords if d in dims]
        _check_no_duplicates(self.table, group, order, what)
        layout = _layout(self.table, group, order, coords, what)
        shape = [len(coords[d]) for d in order]
        out: list[xr.DataArray] = []
        clo = bool((group["clo_grade"] != "").any())
        for col in (column, "source_id", "grade", *(["clo_grade"] if clo else [])):
            data = group[col].to_numpy(dtype=float if col == column else object)
            if layout is not None:
                full, positions = layout
                arranged = np.empty(len(full), dtype=data.dtype)
                arranged[positions] = data
                data = arranged.reshape(shape)
            else:
                data = data.reshape(())
            if out:  # share the coordinates: building indexes is the costly part
                out.append(out[0].copy(deep=False, data=data))
            else:
                out.append(xr.DataArray(data, dims=order, coords={d: coords[d] for d in order}))
        return out[0], out[1], out[2], (out[3] if clo else None)

    def _dims_given(self, group: pd.DataFrame, what: str, *, require_time: bool) -> list[str]:
        """Return the dims the rows of one quantity give: each in every row or in none.

        Raises DimensionError for a dim some rows give and others leave empty, or for a
        missing year where the quantity needs one.
        """
        table = self.table
        dims = []
        for dim in self.dims:
            empty = group[dim] == (-1 if dim in _INTEGER_DIMS else "")
            if empty.all():
                continue
            if empty.any():
                row = int(group.loc[empty, "_row"].iloc[0])
                raise DimensionError(
                    f"{table.at(row, dim)}: empty cell, but other rows of {what} give a {dim}; "
                    f"fill it, or leave {dim!r} empty in every row of {what}"
                )
            dims.append(dim)
        if require_time and "time" not in dims:
            raise DimensionError(
                f"{table.at(int(group['_row'].iloc[0]), 'time')}: {what} needs a year in every row"
            )
        return dims


def _check_one_unit(table: Table, group: pd.DataFrame, what: str) -> None:
    """Raise DataError if the rows of one quantity give different units."""
    units = group["units"].unique()
    if len(units) > 1:
        other = group[group["units"] != units[0]].iloc[0]
        raise DataError(
            f"{table.at(int(other['_row']), 'units')}: units {other['units']!r} differ from "
            f"{units[0]!r} in row {int(group['_row'].iloc[0])} of {what}; one quantity has "
            "one unit (convert the values)"
        )


def _check_no_duplicates(table: Table, group: pd.DataFrame, order: list[str], what: str) -> None:
    """Raise DataError naming two rows that give a value for the same cell of a quantity."""
    rows = group["_row"]
    later = group.duplicated(subset=order, keep="first") if order else rows.duplicated()
    if not order and len(group) > 1:
        later.iloc[1] = True
    if later.any():
        second = group[later].iloc[0]
        same = (group[order] == second[order]).all(axis=1) if order else rows > 0
        first = group[same].iloc[0]
        at = ", ".join(f"{d}={plain(second[d])!r}" for d in order)
        raise DataError(
            f"{table.label}: rows {int(first['_row'])} and {int(second['_row'])}: duplicate "
            f"value for {what}" + (f" at {at}" if at else "") + "; give each value once"
        )


def _layout(
    table: Table,
    group: pd.DataFrame,
    order: list[str],
    coords: dict[str, pd.Index],
    what: str,
) -> tuple[pd.MultiIndex, np.ndarray] | None:
    """Return every cell of a quantity over ``order`` and the position of each row's cell.

    None for a quantity without dims (one value). Raises DimensionError naming a cell that no
    row gives.
    """
    if not order:
        return None
    full = pd.MultiIndex.from_product([coords[d] for d in order], names=order)
    index = pd.MultiIndex.from_frame(group[order])
    if len(group) < len(full):
        rows = group["_row"]
        span = f"rows {rows.min()}-{rows.max()}" if len(group) > 1 else f"row {rows.min()}"
        missing = full.difference(index)[0]
        at = ", ".join(f"{d}={plain(m)!r}" for d, m in zip(order, missing, strict=True))
        raise DimensionError(
            f"{table.label}: {what} ({span}) has no row for {at}; give a row for every "
            "combination of its dims (0 where there is nothing)"
        )
    return full, full.get_indexer(index)


@contextmanager
def _context(what: str, table: Table, group: pd.DataFrame) -> Iterator[None]:
    """Prefix any MsaError raised inside with the file and rows of ``group``."""
    try:
        yield
    except MsaError as err:
        rows = group["_row"]
        raise type(err)(f"{table.label}: rows {rows.min()}-{rows.max()} ({what}): {err}") from err


# ----------------------------------------------------------------------------- reader
def read_tables(path: str | os.PathLike[str], *, require_provenance: bool = True) -> System:
    """Read a System from a folder of CSV tables or an Excel workbook (see ``docs/tables.md``).

    Parameters
    ----------
    path : path-like
        A folder with ``processes.csv``, ``sources.csv``, ``flows.csv`` and optionally
        ``dims.csv``, ``stocks.csv``, ``parameters.csv``, ``system.csv``; or an ``.xlsx``
        workbook with one sheet per table (needs ``pip install 'msa[excel]'``).
    require_provenance : bool
        Every value row must give a ``source_id`` and a ``grade`` (default); False accepts
        empty cells.

    Returns
    -------
    System
        Named by ``system.csv`` (key ``name``) or else by the folder or workbook name.

    Raises
    ------
    DataError
        Naming file (and sheet), row and column; :class:`msa.DimensionError` for coordinates
        and years, :class:`msa.ProvenanceError` for sources and grades.

    Examples
    --------
    >>> from importlib.resources import files
    >>> system = read_tables(files("msa") / "data" / "example")
    >>> sorted(system.stocks)
    ['Exploration', 'Use']
    """
    path = Path(path)
    store = open_tables(path)
    label = f"{path}{os.sep}" if isinstance(store, Folder) else str(path)
    for name in ("processes", "sources", "flows"):
        if not store.has(name):
            error = ProvenanceError if name == "sources" else DataError
            raise error(
                f"{label}: missing {name} table ({name}.csv or sheet {name!r}); see docs/tables.md"
            )
    name, attrs = _read_system_table(store, default=path.stem)
    processes = _read_processes(store.read("processes"))
    sources_table = store.read("sources")
    sources = make_sources(sources_table.frame.drop(columns="_row"), origin=sources_table.label)
    declared = _read_dims(store.read("dims")) if store.has("dims") else {}
    quantities = [
        _Quantities(store.read(kind), kind, declared)
        for kind in ("flows", "stocks", "parameters")
        if store.has(kind)
    ]
    coords = _coords(quantities, declared, label)
    system = System(name, coords=coords, sources=sources, attrs=attrs)
    coords = system.coords
    for proc in processes:
        system.add_process(proc)
    for q in quantities:
        q.check_items(coords)
        _check_provenance(q.table, q.frame, system.sources, required=require_provenance)
        {"flows": _add_flows, "stocks": _add_stocks, "parameters": _add_parameters}[q.kind](
            system, q, coords
        )
    return system


def _read_system_table(store: Folder | Workbook, default: str) -> tuple[str, dict[str, object]]:
    if not store.has("system"):
        return default, {}
    table = store.read("system")
    _require_columns(table, ("key", "value"), "system")
    frame = table.frame
    _require_cells(table, frame, ("key",), "name the setting")
    dup = frame["key"].duplicated()
    if dup.any():
        row = int(frame.loc[dup, "_row"].iloc[0])
        raise DataError(f"{table.at(row, 'key')}: duplicate key {frame.loc[dup, 'key'].iloc[0]!r}")
    pairs = dict(zip(frame["key"], frame["value"], strict=True))
    name = pairs.pop("name", "") or default
    return name, dict(pairs)


def _read_processes(table: Table) -> list[Process]:
    _require_columns(table, PROCESS_COLUMNS, "processes")
    frame = table.frame
    extra = [c for c in frame.columns if c not in (*PROCESS_COLUMNS, *PROCESS_OPTIONAL, "_row")]
    if extra:
        raise DataError(
            f"{table.label}: unknown column(s) {extra}; processes.csv has columns "
            f"{list(PROCESS_COLUMNS + PROCESS_OPTIONAL)}"
        )
    _require_cells(table, frame, PROCESS_COLUMNS, "every process needs an id and a kind")
    out = []
    seen: dict[str, int] = {}
    for rec in frame.to_dict("records"):
        row = int(rec["_row"])
        if rec["kind"] not in PROCESS_KINDS:
            raise DataError(
                f"{table.at(row, 'kind')}: unknown kind {rec['kind']!r}; use one of "
                f"{list(PROCESS_KINDS)}"
            )
        if rec["id"] in seen:
            raise DataError(
                f"{table.at(row, 'id')}: duplicate process id {rec['id']!r} "
                f"(first in row {seen[rec['id']]})"
            )
        seen[rec["id"]] = row
        try:
            out.append(
                Process(
                    rec["id"],
                    kind=rec["kind"],
                    stage=rec.get("stage") or None,
                    label_en=rec.get("label_en") or None,
                    label_nl=rec.get("label_nl") or None,
                )
            )
        except MsaError as err:
            raise type(err)(f"{table.at(row)}: {err}") from err
    return out


def _read_dims(table: Table) -> dict[str, list[object]]:
    _require_columns(table, ("dim", "item"), "dims")
    frame = table.frame
    _require_cells(table, frame, ("dim", "item"), "every row declares one item of one dim")
    dup = frame.duplicated(["dim", "item"])
    if dup.any():
        row = int(frame.loc[dup, "_row"].iloc[0])
        raise DimensionError(f"{table.at(row, 'item')}: duplicate item of the same dim")
    out: dict[str, list[object]] = {}
    for dim, group in frame.groupby("dim", sort=False):
        if dim in _INTEGER_DIMS:
            out[str(dim)] = list(_years(table, group, "item"))
        else:
            out[str(dim)] = list(group["item"])
    return out


def _coords(
    quantities: list[_Quantities], declared: dict[str, list[object]], label: str
) -> dict[str, list[object]]:
    """Return declared coords first, then items inferred from the tables (years sorted)."""
    inferred: dict[str, list[object]] = {}
    for q in quantities:
        for dim in q.dims:
            if dim in declared:
                continue
            items = pd.unique(q.items(dim)).tolist()
            if items:
                inferred.setdefault(dim, []).extend(items)
    coords: dict[str, list[object]] = {}
    for dim, items in {**declared, **inferred}.items():
        items = list(dict.fromkeys(items))
        coords[dim] = sorted(items) if dim in _INTEGER_DIMS else items
    if not coords.get("time"):
        raise DimensionError(f"{label}: no years found; give time in dims.csv or in the tables")
    return {"time": coords.pop("time"), **coords}


def _add_flows(system: System, q: _Quantities, coords: dict[str, pd.Index]) -> None:
    table = q.table
    for (source, target), group in q.groups():
        what = f"flow '{source} => {target}'"
        for col in ("source", "target"):
            pid = group[col].iloc[0]
            if pid not in system.processes:
                raise DataError(
                    f"{table.at(int(group['_row'].iloc[0]), col)}: unknown process {pid!r}; "
                    f"add it to processes.csv (known: {', '.join(system.processes)})"
                )
        flags = {}
        for col in ("signed", "jrc_code"):
            given = group[col].unique()
            if len(given) > 1:
                other = group[group[col] != given[0]].iloc[0]
                raise DataError(
                    f"{table.at(int(other['_row']), col)}: {other[col]!r} differs from "
                    f"{given[0]!r} in other rows of {what}; give one {col} per flow"
                )
            flags[col] = given[0]
        signed_text = flags["signed"].lower()
        if signed_text not in _TRUE | _FALSE:
            raise DataError(
                f"{table.at(int(group['_row'].iloc[0]), 'signed')}: {flags['signed']!r} is not "
                "a yes/no value; use 1/0 or true/false"
            )
        signed = signed_text in _TRUE
        negative = group["value"] < 0
        if not signed and negative.any():
            bad = group[negative].iloc[0]
            raise DataError(
                f"{table.at(int(bad['_row']), bad['_vcol'])}: negative value {bad['value']:g} "
                f"for {what}; flows are >= 0 (set signed to 1 for a signed flow)"
            )
        values, sid, grade, clo = q.array(group, what, coords, require_time=True)
        units = group["units"].iloc[0]
        with _context(what, table, group):
            system.add_flow(
                source,
                target,
                values,
                units=units,
                signed=signed,
                jrc_code=flags["jrc_code"] or None,
                source_id=sid,
                grade=grade,
                clo_grade=clo,
            )


def _add_stocks(system: System, q: _Quantities, coords: dict[str, pd.Index]) -> None:
    table = q.table
    bad = ~q.frame["variable"].isin(STOCK_VARIABLES)
    if bad.any():
        rec = q.frame[bad].iloc[0]
        raise DataError(
            f"{table.at(int(rec['_row']), 'variable')}: unknown stock variable "
            f"{rec['variable']!r}; use one of {list(STOCK_VARIABLES)}"
        )
    frame = q.frame
    for process, group in frame.groupby("process", sort=False):
        what = f"stock of process {process!r}"
        if process not in system.processes:
            raise DataError(
                f"{table.at(int(group['_row'].iloc[0]), 'process')}: unknown process "
                f"{process!r}; add it to processes.csv"
            )
        units = group["units"].unique()
        if len(units) > 1:
            other = group[group["units"] != units[0]].iloc[0]
            raise DataError(
                f"{table.at(int(other['_row']), 'units')}: units {other['units']!r} differ from "
                f"{units[0]!r} in other rows of {what}; one stock has one unit"
            )
        parts = {v: g for v, g in group.groupby("variable", sort=False)}
        if "stock" not in parts:
            raise DataError(
                f"{table.at(int(group['_row'].iloc[0]), 'variable')}: {what} has no 'stock' rows"
            )
        given = [v for v in ("stock_change", "initial_stock") if v in parts]
        if len(given) != 1:
            raise DataError(
                f"{table.at(int(group['_row'].iloc[0]), 'variable')}: {what} needs either "
                f"'stock_change' rows or 'initial_stock' rows (got {given or 'neither'})"
            )
        level, sid, grade, clo = q.array(parts["stock"], what, coords, require_time=True)
        change = initial = None
        if "stock_change" in parts:
            change, change_sid, change_grade, change_clo = q.array(
                parts["stock_change"], f"{what} (stock_change)", coords, require_time=True
            )
        else:
            init_rows = parts["initial_stock"]
            if "time" in q.dims and (init_rows["time"] != -1).any():
                row = int(init_rows.loc[init_rows["time"] != -1, "_row"].iloc[0])
                raise DataError(
                    f"{table.at(row, 'time')}: initial_stock rows leave time empty (the stock "
                    "at the end of the year before the first year)"
                )
            initial, change_sid, change_grade, change_clo = q.array(
                init_rows, f"{what} (initial_stock)", coords, require_time=False
            )
        with _context(what, table, group):
            system.add_stock(
                str(process),
                level,
                stock_change=change,
                initial_stock=initial,
                units=str(units[0]),
                source_id=sid,
                grade=grade,
                change_source_id=change_sid,
                change_grade=change_grade,
                clo_grade=clo,
                change_clo_grade=change_clo,
            )


def _add_parameters(system: System, q: _Quantities, coords: dict[str, pd.Index]) -> None:
    for (name,), group in q.groups():
        what = f"parameter {name!r}"
        values, sid, grade, clo = q.array(group, what, coords, require_time=False)
        units = group["units"].iloc[0]
        with _context(what, q.table, group):
            system.add_parameter(
                name, values, units=units, source_id=sid, grade=grade, clo_grade=clo
            )
