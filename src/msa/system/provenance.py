"""Sources and data-quality grades: where every number comes from and how good it is.

A *sources table* describes each publication or dataset once, with the metadata aspects of the
JRC Material System Analysis (material, reference, author, year, title, publisher, URL, last
consulted, time and geographic coverage, source type 1-6, material and life-cycle stage
coverage) and the aspects data-quality frameworks add (update frequency, openness, data type,
uncertainty statement). Every value in a :class:`msa.System` may point to a ``source_id`` in
that table and carry a data-point ``grade``:

====== ==================================================================
grade  meaning (JRC MSA data-point quality)
====== ==================================================================
A      taken directly from the source
B      consistent inter- or extrapolation of source data
C      coherent estimate combining several sources
D      expert estimate or hypothesis (assumption)
====== ==================================================================

``source_type`` is one of six types (:data:`SOURCE_TYPES`; msa's reading, see
docs/conventions.md) or empty:

==== ========================================================================================
type meaning
==== ========================================================================================
1    official statistics, legislation and public authorities
2    international organisations and statistical or research databases
3    industry: associations, companies and the studies they publish or commission
4    secondary and grey literature: press, trade media, web pages reporting another source
5    scientific literature: peer-reviewed articles and the data published with them
6    models, estimates and assumptions (msa's own included)
==== ========================================================================================

A value may also carry an optional CLO (Compendium voor de Leefomgeving) reliability grade
``clo_grade`` A-F (:data:`CLO_GRADES`, A most reliable); it is stored only where given.

A value derived from several values (a sum over an aggregated dim, a stock change from two stock
levels) gets its provenance from :func:`combine_provenance`: the members' source id when they
all share one, else empty (several sources), and the worst member grade, where an ungraded
member ("") counts as worse than D.

References
----------
European Commission, Joint Research Centre (2015, updated 2020). *Material System Analysis of
nine raw materials*, methodology annex: data-point quality and metadata aspects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ProvenanceError

__all__ = [
    "msa_version",
    "CLO_GRADES",
    "GRADES",
    "SOURCE_FIELDS",
    "SOURCE_TYPES",
    "combine_provenance",
    "make_sources",
    "provenance_for",
    "validate_grades",
    "worst_grade",
]

#: JRC MSA data-point grades, best first.
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
#: CLO (Compendium voor de Leefomgeving) reliability grades, optional.
CLO_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")

#: Columns of a sources table, following the JRC MSA metadata aspects, then the aspects
#: data-quality frameworks add (how often the source is updated, whether it is open, the kind of
#: data, what it says about its uncertainty). Only ``source_id`` and ``title`` are required; the
#: others may be empty (unknown) and may be left out of a file.
SOURCE_FIELDS: tuple[str, ...] = (
    "source_id",
    "title",
    "author",
    "year",
    "publisher",
    "url",
    "last_consulted",
    "time_coverage",
    "geographic_coverage",
    "source_type",
    "material",
    "material_coverage",
    "stage_coverage",
    "reference",
    "note",
    "update_frequency",
    "openness",
    "data_type",
    "uncertainty_statement",
)
_REQUIRED = ("source_id", "title")

#: The six source types of ``source_type`` (msa's reading of the JRC MSA metadata aspect "source
#: type 1-6", whose wording msa has not found; docs/conventions.md): type -> meaning.
SOURCE_TYPES: dict[str, str] = {
    "1": "official statistics, legislation and public authorities",
    "2": "international organisations and statistical or research databases",
    "3": "industry: associations, companies and the studies they publish or commission",
    "4": "secondary and grey literature: press, trade media, web pages reporting another source",
    "5": "scientific literature: peer-reviewed articles and the data published with them",
    "6": "models, estimates and assumptions",
}


def make_sources(
    records: pd.DataFrame | Iterable[Mapping[str, object]] | None = None,
    *,
    origin: str = "sources table",
) -> pd.DataFrame:
    """Validate and normalise a sources table.

    Parameters
    ----------
    records : DataFrame or iterable of mappings, optional
        One row per source. Must have ``source_id`` and ``title``; other columns from
        :data:`SOURCE_FIELDS` are optional, unknown columns are kept.
    origin : str
        Where the table came from (a file path), used in error messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``source_id`` with every column as string (empty string where not given).

    Raises
    ------
    ProvenanceError
        On a missing required column, an empty or duplicated ``source_id``, an empty title, or
        a ``source_type`` that is not empty nor one of 1-6 (:data:`SOURCE_TYPES`).

    Examples
    --------
    >>> src = make_sources([{"source_id": "jrc2020", "title": "MSA of cobalt", "year": 2020}])
    >>> list(src.index)
    ['jrc2020']
    """
    frame = _sources_frame(records)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ProvenanceError(
            f"{origin}: missing column(s) {missing}; a sources table needs {list(_REQUIRED)}"
        )
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    _check_source_rows(frame, origin)
    if "source_type" in frame.columns:
        frame["source_type"] = _source_types(frame, origin)
    for col in SOURCE_FIELDS:
        if col not in frame.columns:
            frame[col] = ""
    return frame.set_index("source_id")


def _sources_frame(records: pd.DataFrame | Iterable[Mapping[str, object]] | None) -> pd.DataFrame:
    """Return the sources as a new DataFrame with ``source_id`` as a column (not the index)."""
    if records is None:
        frame = pd.DataFrame(columns=list(SOURCE_FIELDS))
    elif isinstance(records, pd.DataFrame):
        frame = records.copy()
    else:
        frame = pd.DataFrame(list(records))
    if frame.index.name == "source_id":
        frame = frame.reset_index()
    return frame


def _check_source_rows(frame: pd.DataFrame, origin: str) -> None:
    """Raise ProvenanceError for an empty or duplicate source id or an empty title.

    Rows are numbered as in the file (row 1 is the header).
    """
    for i, sid in enumerate(frame["source_id"]):
        if not sid:
            raise ProvenanceError(f"{origin}: row {i + 2}: empty source_id")
    dup = frame["source_id"][frame["source_id"].duplicated()]
    if len(dup):
        row = int(dup.index[0]) + 2
        raise ProvenanceError(f"{origin}: row {row}: duplicate source_id {dup.iloc[0]!r}")
    for i, (sid, title) in enumerate(zip(frame["source_id"], frame["title"], strict=True)):
        if not title:
            raise ProvenanceError(f"{origin}: row {i + 2}: source {sid!r} has an empty title")


def _source_types(frame: pd.DataFrame, origin: str) -> list[str]:
    """Return the ``source_type`` column checked, ``"3.0"`` read as ``"3"``.

    Raises
    ------
    ProvenanceError
        At the first value that is not empty nor a type of :data:`SOURCE_TYPES`, naming the row
        (as in the file, row 1 the header) and the source.
    """
    types = []
    for i, (sid, value) in enumerate(zip(frame["source_id"], frame["source_type"], strict=True)):
        text = value.removesuffix(".0") if value.endswith(".0") else value
        if text and text not in SOURCE_TYPES:
            raise ProvenanceError(
                f"{origin}: row {i + 2}: source {sid!r} has source_type {value!r}; use a type "
                "1-6 (1 official statistics and authorities, 2 international organisations and "
                "databases, 3 industry, 4 secondary and grey literature, 5 scientific "
                "literature, 6 models, estimates and assumptions; docs/conventions.md) or leave "
                "it empty"
            )
        types.append(text)
    return types


def validate_grades(grades: np.ndarray, *, where: str, allowed: tuple[str, ...] = GRADES) -> None:
    """Raise :class:`ProvenanceError` if any grade is not one of ``allowed`` (empty = ungraded).

    Examples
    --------
    >>> validate_grades(np.array(["A", "D", ""]), where="flow 'a => b'")
    """
    bad = sorted({str(g) for g in np.unique(grades) if str(g) and str(g) not in allowed})
    if bad:
        raise ProvenanceError(
            f"{where}: unknown data-quality grade(s) {bad}; use one of {list(allowed)}"
        )


def provenance_for(
    values: xr.DataArray,
    *,
    source_id: str | xr.DataArray | None,
    grade: str | xr.DataArray | None,
    sources: pd.DataFrame,
    where: str,
    clo_grade: str | xr.DataArray | None = None,
) -> xr.Dataset:
    """Build the provenance dataset (``source_id``, ``grade``) aligned with ``values``.

    Parameters
    ----------
    values : DataArray
        The quantity the provenance describes.
    source_id, grade : str or DataArray of str, optional
        One id/grade for all values, or one per value (broadcast against ``values``).
        ``None`` or ``""`` means not given.
    sources : DataFrame
        The system's sources table (see :func:`make_sources`).
    where : str
        Name of the item for error messages.
    clo_grade : str or DataArray of str, optional
        CLO reliability grade(s) A-F; ``None`` stores no ``clo_grade`` variable.

    Returns
    -------
    xarray.Dataset
        Variables ``source_id`` and ``grade`` (and ``clo_grade`` when given), string arrays
        shaped like ``values``.

    Raises
    ------
    ProvenanceError
        If a source id is not in ``sources`` or a grade is unknown.

    Examples
    --------
    >>> values = xr.DataArray([1.0, 2.0], dims="time", coords={"time": [2020, 2021]})
    >>> sources = make_sources([{"source_id": "jrc", "title": "MSA of cobalt"}])
    >>> prov = provenance_for(values, source_id="jrc", grade="B", sources=sources, where="demo")
    >>> prov["grade"].values.tolist()
    ['B', 'B']
    >>> try:
    ...     provenance_for(values, source_id="cbs", grade="B", sources=sources, where="demo")
    ... except ProvenanceError as err:
    ...     print(err)
    demo: source id(s) ['cbs'] not in the sources table; add them to sources.csv
    """
    out: dict[str, np.ndarray] = {}  # each shaped like ``values``
    given_labels: dict[str, np.ndarray] = {}  # the distinct labels given, before broadcasting
    fields = [("source_id", source_id), ("grade", grade)]
    if clo_grade is not None:
        fields.append(("clo_grade", clo_grade))
    for name, given in fields:
        if given is None:
            given = ""
        if not isinstance(given, xr.DataArray):
            # one id or grade for all values: fill an array shaped like ``values``
            out[name] = np.full(values.shape, str(given), dtype=object)
            given_labels[name] = np.array([str(given)], dtype=object)
            continue
        labels = np.asarray(given.values).astype(str).astype(object)
        given_labels[name] = pd.unique(labels.ravel())  # hashing: far faster than a sort
        if given.dims == values.dims and all(
            d in given.indexes and given.indexes[d].equals(values.indexes[d])
            for d in values.dims
            if d in values.indexes
        ):
            data = labels  # already aligned: skip the (slow) broadcast
        else:
            arr = given.copy(data=labels).broadcast_like(values).transpose(*values.dims)
            data = np.asarray(arr.values, dtype=object)
        out[name] = data
    ids = {str(s) for s in given_labels["source_id"] if str(s)}
    unknown = sorted(ids - set(sources.index))
    if unknown:
        raise ProvenanceError(
            f"{where}: source id(s) {unknown} not in the sources table; add them to sources.csv"
        )
    validate_grades(given_labels["grade"], where=where)
    if "clo_grade" in out:
        validate_grades(given_labels["clo_grade"], where=f"{where} (CLO)", allowed=CLO_GRADES)
        if not (given_labels["clo_grade"] != "").any():
            del out["clo_grade"]  # all empty is the same as not given (tables cannot tell)
    # on the coordinates of ``values`` as they are: nothing to align (2-3x faster than merging
    # DataArrays, and this runs for every flow, stock and parameter)
    return xr.Dataset({k: (values.dims, v) for k, v in out.items()}, coords=values.coords)


def combine_provenance(
    source_ids: np.ndarray, grades: np.ndarray, *, axis: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """Combine the provenance of values that are summed or differenced into one value.

    Parameters
    ----------
    source_ids, grades : ndarray of str
        Provenance of the members, the members along ``axis`` (same shape).
    axis : int
        The axis that is combined away.

    Returns
    -------
    (ndarray, ndarray)
        Source ids: the members' id where all members share one, else ``""`` (the value rests
        on several sources; look them up in the members). Grades: the worst member grade in
        the order A < B < C < D < ``""``: one ungraded member makes the result ungraded, so a
        combined value never claims a better grade than its weakest part.

    Examples
    --------
    >>> ids = np.array([["jrc", "jrc"], ["jrc", "cbs"]], dtype=object)
    >>> grades = np.array([["A", "C"], ["B", ""]], dtype=object)
    >>> sid, grade = combine_provenance(ids, grades)
    >>> sid.tolist(), grade.tolist()
    (['jrc', ''], ['C', ''])
    """
    ids = np.asarray(source_ids).astype(str)
    ranks = np.asarray(grades).astype(str)
    if ids.shape != ranks.shape:
        raise ProvenanceError(f"source ids {ids.shape} and grades {ranks.shape} differ in shape")
    first = np.take(ids, [0], axis=axis)
    shared = (ids == first).all(axis=axis)
    out_ids = np.where(shared, np.squeeze(first, axis=axis), "").astype(object)
    return out_ids, worst_grade(ranks, axis=axis)


def worst_grade(
    grades: np.ndarray, *, axis: int = -1, allowed: tuple[str, ...] = GRADES
) -> np.ndarray:
    """Return the worst grade along ``axis`` in the order of ``allowed``, ``""`` worst of all.

    Examples
    --------
    >>> worst_grade(np.array([["A", "D"], ["B", ""]], dtype=object)).tolist()
    ['D', '']
    >>> worst_grade(np.array(["B", "F"], dtype=object), allowed=CLO_GRADES).tolist()
    'F'
    """
    text = np.asarray(grades).astype(str)
    validate_grades(text, where="combining grades", allowed=allowed)
    order = np.array([*allowed, ""], dtype=object)
    rank = np.searchsorted(np.array(allowed), text)  # "" sorts first: map it to the end below
    rank = np.where(text == "", len(allowed), rank)
    return np.asarray(order[rank.max(axis=axis)], dtype=object)


def msa_version() -> str:
    """Return the installed msa version, stamped on every run's manifest.

    Returns
    -------
    str
        The package version, or ``"0+unknown"`` when msa runs from a source tree that was never
        installed.
    """
    try:
        return version("msa")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
