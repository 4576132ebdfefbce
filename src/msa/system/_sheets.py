"""Raw tables: read a CSV file of a folder or a sheet of an Excel workbook as trimmed strings.

Every cell is kept as text (numbers are parsed later, with the row and column of a bad cell at
hand); ``_row`` holds the row number as a spreadsheet shows it (header = row 1).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from msa.errors import DataError

__all__ = ["Folder", "Table", "Workbook", "clean", "open_tables", "refuse_semicolons"]


class Table:
    """A table as strings: ``frame`` (stripped cells, ``_row`` = row number) and its label."""

    def __init__(self, frame: pd.DataFrame, label: str) -> None:
        self.frame = frame
        self.label = label

    def at(self, row: int, column: str | None = None) -> str:
        """Return ``"<label>: row <row>[, column '<column>']"`` for messages."""
        return f"{self.label}: row {row}" + (f", column {column!r}" if column else "")


def clean(frame: pd.DataFrame, label: str) -> Table:
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise DataError(f"{label}: duplicate column(s) {dup}; give each column once")
    if len(frame.columns) == 0:
        raise DataError(f"{label}: no columns; the first row must name the columns")
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    frame["_row"] = np.arange(len(frame)) + 2
    blank = (frame.drop(columns="_row") == "").all(axis=1)
    frame = frame[~blank].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{label}: has a header but no rows; remove the file or add rows")
    return Table(frame, label)


class Folder:
    """Tables stored as ``<name>.csv`` files in a folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.csv").is_file()

    def read(self, name: str) -> Table:
        path = self.path / f"{name}.csv"
        label = str(path)
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                header = next(csv.reader(fh), None)
        except UnicodeDecodeError as err:
            raise DataError(f"{label}: not UTF-8 text ({err}); save the file as UTF-8 CSV") from err
        if header is None:
            raise DataError(f"{label}: file is empty; it needs a header row and data rows")
        refuse_semicolons(label, header)
        names = [h.strip() for h in header]
        dup = sorted({h for h in names if names.count(h) > 1})
        if dup:
            raise DataError(f"{label}: duplicate column(s) {dup}; give each column once")
        try:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                encoding="utf-8-sig",
            )
        except pd.errors.EmptyDataError as err:
            raise DataError(f"{label}: file is empty; it needs a header row and data rows") from err
        except pd.errors.ParserError as err:
            detail = " ".join(str(err).split())
            raise DataError(f"{label}: malformed CSV ({detail}); check quotes and commas") from err
        return clean(frame, label)


def refuse_semicolons(label: str, header: list[str]) -> None:
    """Refuse a CSV whose header row is separated by ';' (as Dutch Excel saves CSV).

    msa does not guess: such a file also writes decimal commas, and ``1,234`` may be a
    thousand or one and a bit. The message says how to save the file instead.
    """
    if len(header) == 1 and ";" in header[0]:
        raise DataError(
            f"{label}: the columns are separated by ';' (a Dutch Excel export?); msa reads "
            "comma-separated CSV with '.' as the decimal mark: save the table as 'CSV UTF-8 "
            "(comma delimited)'"
        )


class Workbook:
    """Tables stored as sheets of one Excel workbook."""

    def __init__(self, path: Path) -> None:
        try:
            import openpyxl  # noqa: F401
        except ImportError as err:
            raise DataError(
                f"{path}: reading Excel needs openpyxl; install it with: pip install 'msa[excel]'"
            ) from err
        self.path = path
        try:
            self.sheets = set(pd.ExcelFile(path, engine="openpyxl").sheet_names)
        except Exception as err:  # openpyxl raises several unrelated types for a bad file
            raise DataError(f"{path}: cannot open as an Excel workbook ({err})") from err

    def has(self, name: str) -> bool:
        return name in self.sheets

    def read(self, name: str) -> Table:
        label = f"{self.path}[{name}]"
        frame = pd.read_excel(
            self.path, sheet_name=name, dtype=str, engine="openpyxl", keep_default_na=False
        )
        if frame.columns.size == 0:
            raise DataError(f"{label}: sheet is empty; it needs a header row and data rows")
        return clean(frame, label)


def open_tables(path: Path) -> Folder | Workbook:
    if path.is_dir():
        return Folder(path)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        return Workbook(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    raise DataError(
        f"{path}: not a folder of tables, an Excel workbook (.xlsx) or a NetCDF file (.nc)"
    )
