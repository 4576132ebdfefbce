"""Bad-input suite: malformed tables raise the right MsaError naming file, row and column.

Each case corrupts one thing in a copy of the example's tables, then checks the error of
:func:`msa.read_system` and that ``msa check`` turns it into one line on stderr and exit 2.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import msa
from msa.cli import main
from msa.errors import DataError, DimensionError, MsaError, ProvenanceError

Edit = Callable[[Path], None]


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_cell(table: str, row: int, column: str, value: str) -> Edit:
    """Set one cell; ``row`` counts like the error messages (header is row 1)."""

    def edit(folder: Path) -> None:
        rows = _rows(folder / table)
        rows[row - 1][rows[0].index(column)] = value
        _write(folder / table, rows)

    return edit


def delete_row(table: str, row: int) -> Edit:
    """Delete one data row."""

    def edit(folder: Path) -> None:
        rows = _rows(folder / table)
        del rows[row - 1]
        _write(folder / table, rows)

    return edit


def append_copy(table: str, row: int) -> Edit:
    """Append a copy of ``row`` at the end of the table."""

    def edit(folder: Path) -> None:
        rows = _rows(folder / table)
        _write(folder / table, [*rows, rows[row - 1]])

    return edit


def rename_column(table: str, old: str, new: str) -> Edit:
    """Rename a header cell."""

    def edit(folder: Path) -> None:
        rows = _rows(folder / table)
        rows[0][rows[0].index(old)] = new
        _write(folder / table, rows)

    return edit


def fill_column(table: str, old: str, new: str, value: str) -> Edit:
    """Rename column ``old`` to ``new`` and set every cell of it to ``value``."""

    def edit(folder: Path) -> None:
        rows = _rows(folder / table)
        i = rows[0].index(old)
        rows[0][i] = new
        for r in rows[1:]:
            r[i] = value
        _write(folder / table, rows)

    return edit


def drop_column(table: str, column: str) -> Edit:
    """Remove a column from every row."""

    def edit(folder: Path) -> None:
        rows = _rows(folder / table)
        i = rows[0].index(column)
        _write(folder / table, [r[:i] + r[i + 1 :] for r in rows])

    return edit


def replace_text(table: str, text: str) -> Edit:
    """Replace the whole file."""

    def edit(folder: Path) -> None:
        (folder / table).write_text(text)

    return edit


def remove(table: str) -> Edit:
    """Delete the file."""

    def edit(folder: Path) -> None:
        (folder / table).unlink()

    return edit


# (id, edit, error class, regex the message must match)
CASES: list[tuple[str, Edit, type[MsaError], str]] = [
    (
        "unknown process",
        set_cell("flows.csv", 2, "source", "Exploraton"),
        DataError,
        r"flows\.csv: row 2, column 'source': unknown process 'Exploraton'; add it to processes",
    ),
    (
        "unknown source id",
        set_cell("flows.csv", 3, "source_id", "nosuch"),
        ProvenanceError,
        r"flows\.csv: row 3, column 'source_id': source id 'nosuch' is not in sources\.csv",
    ),
    (
        "NaN value",
        set_cell("flows.csv", 4, "value", "NaN"),
        DataError,
        r"flows\.csv: row 4, column 'value': non-finite value 'NaN'",
    ),
    (
        "empty value",
        set_cell("flows.csv", 4, "value", ""),
        DataError,
        r"flows\.csv: row 4, column 'value': non-numeric value ''",
    ),
    (
        "negative value",
        set_cell("flows.csv", 5, "value", "-3"),
        DataError,
        r"flows\.csv: row 5, column 'value': negative value -3 for flow "
        r"'Exploration => Extraction'",
    ),
    (
        "duplicate row",
        append_copy("flows.csv", 2),
        DataError,
        r"flows\.csv: rows 2 and 222: duplicate value for flow 'Exploration => Extraction' at "
        r"time=2019, material='Co'",
    ),
    (
        "missing units",
        set_cell("flows.csv", 6, "units", ""),
        DataError,
        r"flows\.csv: row 6, column 'units': empty cell",
    ),
    (
        "unit mismatch",
        set_cell("flows.csv", 3, "units", "kg"),
        DataError,
        r"flows\.csv: row 3, column 'units': units 'kg' differ from 't' in row 2 of flow "
        r"'Exploration => Extraction'",
    ),
    (
        "non-numeric value",
        set_cell("flows.csv", 7, "value", "12.5t"),
        DataError,
        r"flows\.csv: row 7, column 'value': non-numeric value '12\.5t'",
    ),
    (
        "bad year",
        set_cell("flows.csv", 8, "time", "20x1"),
        DimensionError,
        r"flows\.csv: row 8, column 'time': bad time '20x1'; give an integer year",
    ),
    (
        "fractional year",
        set_cell("flows.csv", 8, "time", "2020.5"),
        DimensionError,
        r"flows\.csv: row 8, column 'time': bad time '2020\.5'",
    ),
    (
        "empty file",
        replace_text("flows.csv", ""),
        DataError,
        r"flows\.csv: file is empty",
    ),
    (
        "header only",
        replace_text("parameters.csv", "name,material,time,value,units,source_id,grade\n"),
        DataError,
        r"parameters\.csv: has a header but no rows",
    ),
    (
        "misspelt column",
        rename_column("flows.csv", "value", "val"),
        DataError,
        r"flows\.csv: unknown column\(s\) \['val'\]; a flows table has columns",
    ),
    (
        "missing column",
        drop_column("flows.csv", "grade"),
        DataError,
        r"flows\.csv: missing column\(s\) \['grade'\]",
    ),
    (
        "missing coordinate item",
        delete_row("flows.csv", 7),
        DimensionError,
        r"flows\.csv: flow 'Exploration => Extraction' \(rows 2-10\) has no row for time=2019, "
        r"material='Li'",
    ),
    (
        "item not declared in dims.csv",
        set_cell("flows.csv", 2, "material", "Ni"),
        DimensionError,
        r"flows\.csv: row 2, column 'material': unknown material item 'Ni'; dims\.csv declares",
    ),
    (
        "year not declared in dims.csv",
        set_cell("flows.csv", 2, "time", "2030"),
        DimensionError,
        r"flows\.csv: row 2, column 'time': unknown time item 2030",
    ),
    (
        "dim cell empty in one row of a flow",
        set_cell("flows.csv", 2, "material", ""),
        DimensionError,
        r"flows\.csv: row 2, column 'material': empty cell, but other rows of flow "
        r"'Exploration => Extraction' give a material",
    ),
    (
        "unknown grade",
        set_cell("flows.csv", 9, "grade", "E"),
        ProvenanceError,
        r"flows\.csv: row 9, column 'grade': unknown grade 'E'; use one of \['A', 'B', 'C', 'D'\]",
    ),
    (
        "empty source id",
        set_cell("flows.csv", 9, "source_id", ""),
        ProvenanceError,
        r"flows\.csv: row 9, column 'source_id': empty source_id",
    ),
    (
        "missing sources.csv",
        remove("sources.csv"),
        ProvenanceError,
        r"example/: missing sources table \(sources\.csv",
    ),
    (
        "missing processes.csv",
        remove("processes.csv"),
        DataError,
        r"example/: missing processes table",
    ),
    (
        "duplicate source id",
        append_copy("sources.csv", 2),
        ProvenanceError,
        r"sources\.csv: row 3: duplicate source_id 'example'",
    ),
    (
        "bad process kind",
        set_cell("processes.csv", 3, "kind", "transform"),
        DataError,
        r"processes\.csv: row 3, column 'kind': unknown kind 'transform'; use one of",
    ),
    (
        "duplicate process id",
        append_copy("processes.csv", 4),
        DataError,
        r"processes\.csv: row 14, column 'id': duplicate process id 'Processing' "
        r"\(first in row 4\)",
    ),
    (
        "unknown stock variable",
        set_cell("stocks.csv", 2, "variable", "stocks"),
        DataError,
        r"stocks\.csv: row 2, column 'variable': unknown stock variable 'stocks'",
    ),
    (
        "stock without change or initial stock",
        set_cell("stocks.csv", 22, "variable", "stock_change"),
        DataError,
        r"stocks\.csv: row 22, column 'variable': stock of process 'Use' needs either "
        r"'stock_change' rows or 'initial_stock' rows \(got \['stock_change', 'initial_stock'\]\)",
    ),
    (
        "initial stock with a year",
        set_cell("stocks.csv", 22, "time", "2019"),
        DataError,
        r"stocks\.csv: row 22, column 'time': initial_stock rows leave time empty",
    ),
    (
        "bad signed flag",
        fill_column("flows.csv", "jrc_code", "signed", "maybe"),
        DataError,
        r"flows\.csv: row 2, column 'signed': 'maybe' is not a yes/no value",
    ),
    (
        "unknown CLO grade",
        lambda folder: (
            fill_column("flows.csv", "jrc_code", "clo_grade", "B")(folder),
            set_cell("flows.csv", 5, "clo_grade", "G")(folder),
        ),
        ProvenanceError,
        r"flows\.csv: row 5, column 'clo_grade': unknown CLO reliability grade 'G'; use one of "
        r"\['A', 'B', 'C', 'D', 'E', 'F'\]",
    ),
    (
        "malformed csv",
        lambda folder: (folder / "flows.csv").write_text(
            (folder / "flows.csv").read_text() + "a,b,c,d,e,f,g,h,i,j,k\n"
        ),
        DataError,
        r"flows\.csv: malformed CSV",
    ),
    (
        "year columns and time column",
        rename_column("flows.csv", "jrc_code", "2020"),
        DataError,
        r"flows\.csv: has both year columns \['2020'\] and a 'time' column",
    ),
    (
        "bad year in dims.csv",
        set_cell("dims.csv", 2, "item", "19"),
        DimensionError,
        r"dims\.csv: row 2, column 'item': bad item '19'",
    ),
    (
        "duplicate key in system.csv",
        append_copy("system.csv", 2),
        DataError,
        r"system\.csv: row 4, column 'key': duplicate key 'name'",
    ),
]


@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def bad_case(request: pytest.FixtureRequest, example_tables: Path) -> tuple[Path, type, str]:
    """Return a corrupted copy of the example tables with the expected error and message."""
    _, edit, error, match = request.param
    edit(example_tables)
    return example_tables, error, match


def test_bad_input_raises_named_error(
    bad_case: tuple[Path, type, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each malformed table raises its MsaError naming file, row, column; the CLI exits 2."""
    folder, error, match = bad_case
    with pytest.raises(error, match=match) as info:
        msa.read_system(folder)
    assert type(info.value) is error
    assert main(["check", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("msa: error: ")
    assert " ".join(str(info.value).split()) in err


def test_suite_covers_at_least_15_cases() -> None:
    """The bad-input suite keeps at least 15 distinct malformed tables."""
    assert len({c[0] for c in CASES}) >= 15


def test_installed_script_reports_one_line(example_tables: Path) -> None:
    """The installed msa script turns a bad table into one stderr line and exit code 2."""
    set_cell("flows.csv", 3, "source_id", "nosuch")(example_tables)
    sibling = Path(sys.executable).with_name("msa")
    script = sibling if sibling.exists() else Path(shutil.which("msa") or "msa")
    proc = subprocess.run(
        [str(script), "check", str(example_tables)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "flows.csv: row 3, column 'source_id': source id 'nosuch'" in proc.stderr
