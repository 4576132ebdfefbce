"""Readers of classification and concordance tables (CSV) and the bundled tables.

A classification table has one row per item: the item column (headed by the dimension name),
optional ``label_en`` and ``label_nl``, then attribute columns. A concordance table maps a source
item (first column, headed by the source dimension) to a target item (second column), with an
optional ``share``. Leading ``#`` lines are the cited header. Errors name the file, row and
column. The bundled tables live in ``msa/data/classifications/``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from msa.errors import DataError, DimensionError
from msa.system.dims import Classification, Concordance, Hierarchy

__all__ = [
    "load_classification",
    "load_concordance",
    "load_hierarchy",
    "read_classification",
    "read_concordance",
]

_TRUE = frozenset({"true", "yes"})
_FALSE = frozenset({"false", "no"})
_DATA = ("data", "classifications")


def _read_table(text: str, origin: str) -> tuple[pd.DataFrame, str, int]:
    """Parse CSV text with optional leading ``#`` comment lines into a string table.

    Returns the table, the comment text and the file line number of the first data row.
    """
    lines = text.splitlines()
    n = 0
    while n < len(lines) and lines[n].lstrip().startswith("#"):
        n += 1
    comment = "\n".join(line.lstrip()[1:].strip() for line in lines[:n])
    try:
        table = pd.read_csv(
            io.StringIO(text), skiprows=n, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{origin}: not a readable CSV table ({err})") from err
    table.columns = [str(c).strip() for c in table.columns]
    table = table.apply(lambda col: col.str.strip())
    return table, comment, n + 2


def _parse_column(values: pd.Series, origin: str, first_row: int) -> pd.Series:
    """Parse an attribute column strictly: all booleans, all numbers, or text."""
    given = values[values != ""]
    lowered = given.str.lower()
    is_bool = lowered.isin(_TRUE | _FALSE)
    if is_bool.any():
        if not is_bool.all():
            pos = int(np.flatnonzero(~is_bool.to_numpy())[0])
            row = first_row + int(given.index[pos])
            raise DataError(
                f"{origin}: row {row}, column {values.name!r}: {given.iloc[pos]!r} is not a "
                "boolean (use true/false or yes/no in the whole column)"
            )
        return values.str.lower().map(lambda v: v in _TRUE if v else pd.NA).astype("boolean")
    numbers = pd.to_numeric(given, errors="coerce")
    if len(given) and numbers.notna().all():
        return pd.to_numeric(values.replace("", None)).astype("Float64")
    return values.replace("", pd.NA).astype("string")


def read_classification(path: str | Path, name: str | None = None) -> Classification:
    """Read a classification from a CSV file.

    The first column holds the items; its header is the dimension name (or ``item``, then
    ``name`` is required). Optional ``label_en`` and ``label_nl`` columns follow; every other
    column is an attribute, parsed strictly: a column with ``true/false``/``yes/no`` values must
    hold only those (or empty cells), a column of numbers becomes numeric, anything else text.
    Leading lines starting with ``#`` are the cited header, kept as ``description``.

    Raises
    ------
    DataError
        Unreadable file, empty or duplicate items, mixed boolean columns; the message names the
        file, row and column.
    """
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"{origin}: cannot read the classification file ({err})") from err
    return _classification_from_text(text, origin, name)


def _classification_from_text(text: str, origin: str, name: str | None) -> Classification:
    table, comment, first = _read_table(text, origin)
    if table.shape[1] == 0:
        raise DataError(f"{origin}: no columns; the first column must hold the items")
    head = table.columns[0]
    if head == "item":
        if not name:
            raise DataError(f"{origin}: the item column is headed 'item'; pass name=<dim name>")
    elif name and name != head:
        raise DataError(f"{origin}: item column is {head!r} but name={name!r} was given")
    dim = name or head
    items = table[head]
    for i, item in enumerate(items):
        if not item:
            raise DataError(f"{origin}: row {first + i}, column {head!r}: empty item")
    dup = items[items.duplicated(keep=False)]
    if len(dup):
        rows = [first + int(i) for i in dup.index]
        raise DataError(f"{origin}: rows {rows}: duplicate items {sorted(set(dup))}")
    labels = {
        lang: {k: v for k, v in zip(items, table[f"label_{lang}"], strict=True) if v}
        for lang in ("en", "nl")
        if f"label_{lang}" in table.columns
    }
    attr_cols = [c for c in table.columns[1:] if c not in ("label_en", "label_nl")]
    attrs = pd.DataFrame(
        {c: _parse_column(table[c], origin, first) for c in attr_cols}, index=table.index
    )
    attrs.index = pd.Index(list(items), name=dim)
    try:
        return Classification(
            dim,
            tuple(items),
            labels_en=labels.get("en"),
            labels_nl=labels.get("nl"),
            attributes=attrs,
            description=comment,
        )
    except DimensionError as err:
        raise DimensionError(f"{origin}: {err}") from err


def read_concordance(
    path: str | Path,
    *,
    source_items: Iterable[str] | None = None,
    target_items: Iterable[str] | None = None,
) -> Concordance:
    """Read a concordance from a CSV file.

    The first two column headers are the source and target dimension names; each row maps a
    source item to a target item. An optional ``share`` column splits a source item over
    several rows (shares summing to 1); without it each source item appears once. Other
    columns (notes, sources) are allowed and ignored. Leading ``#`` lines are comments.

    Raises
    ------
    DataError
        Unreadable file, empty cells, bad or missing shares, a source item on several rows
        without shares; the message names the file, row and column.
    DimensionError
        Shares not summing to 1, or items outside ``source_items``/``target_items``.
    """
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise DataError(f"{origin}: cannot read the concordance file ({err})") from err
    return _concordance_from_text(text, origin, source_items, target_items)


def _concordance_from_text(
    text: str,
    origin: str,
    source_items: Iterable[str] | None,
    target_items: Iterable[str] | None,
) -> Concordance:
    table, _, first = _read_table(text, origin)
    if table.shape[1] < 2:
        raise DataError(f"{origin}: needs a source and a target column (got {list(table.columns)})")
    src, tgt = table.columns[:2]
    has_share = "share" in table.columns
    mapping: dict[str, dict[str, float]] = {}
    rows: dict[str, list[int]] = {}
    for i, record in table.iterrows():
        row = first + int(i)
        s, t = record[src], record[tgt]
        for col, value in ((src, s), (tgt, t)):
            if not value:
                raise DataError(f"{origin}: row {row}, column {col!r}: empty item")
        share = 1.0
        if has_share:
            try:
                share = float(record["share"])
            except ValueError as err:
                raise DataError(
                    f"{origin}: row {row}, column 'share': {record['share']!r} is not a number"
                ) from err
        if t in mapping.get(s, {}):
            raise DataError(f"{origin}: row {row}: pair {s!r} -> {t!r} given twice")
        mapping.setdefault(s, {})[t] = share
        rows.setdefault(s, []).append(row)
    if not has_share:
        multi = {s: r for s, r in rows.items() if len(r) > 1}
        if multi:
            s, r = next(iter(multi.items()))
            raise DataError(
                f"{origin}: rows {r}: {src} item {s!r} maps to several {tgt} items; add a "
                "'share' column to split it"
            )
    try:
        return Concordance(
            src,
            tgt,
            mapping,
            source_items=None if source_items is None else tuple(source_items),
            target_items=None if target_items is None else tuple(target_items),
        )
    except DimensionError as err:
        raise DimensionError(f"{origin}: {err}") from err


def _bundled(name: str) -> tuple[str, str]:
    """Return the text and origin of the bundled table ``name``."""
    folder = resources.files("msa").joinpath(*_DATA)
    resource = folder.joinpath(f"{name}.csv")
    if not resource.is_file():
        known = sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".csv"))
        raise DataError(f"no bundled classification table {name!r} (known: {known})")
    return resource.read_text(encoding="utf-8"), f"msa/data/classifications/{name}.csv"


def load_classification(name: str) -> Classification:
    """Load a bundled classification: ``"materials"`` or ``"chemistries"``.

    Examples
    --------
    >>> chemistry = load_classification("chemistries")
    >>> chemistry.attribute("chemistry_family").sel(chemistry="NMC811").item()
    'NMC'
    """
    text, origin = _bundled(name)
    return _classification_from_text(text, origin, None)


def load_concordance(name: str) -> Concordance:
    """Load a bundled concordance, e.g. ``"chemistry_family"`` or ``"material_type"``.

    Examples
    --------
    >>> dict(load_concordance("chemistry_family").mapping["LFP"])
    {'LFP': 1.0}
    """
    text, origin = _bundled(name)
    return _concordance_from_text(text, origin, None, None)


def load_hierarchy(name: str) -> Hierarchy:
    """Load a bundled hierarchy: ``"chemistry"`` (chemistry -> family -> battery type).

    Examples
    --------
    >>> load_hierarchy("chemistry").levels
    ('chemistry', 'chemistry_family', 'battery_type')
    """
    chains = {"chemistry": ("chemistry_family", "chemistry_family_battery_type")}
    if name not in chains:
        raise DataError(f"no bundled hierarchy {name!r} (known: {sorted(chains)})")
    return Hierarchy(tuple(load_concordance(c) for c in chains[name]))
