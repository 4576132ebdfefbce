r"""The JRC Material System Analysis (MSA) chain as a template: variables, structure, MSA tables.

The JRC MSA describes a material's life cycle in seven stages (Exploration, Extraction,
Processing, Manufacture, Use, Collection, Recycling) with 43 coded variables, A.1.1 ... G.1.5.
Some are edges (imports, exports, wastes), some stage totals (B.1.1, B.1.2, C.1.1, D.1.1) and
some stock levels. This module holds that reference knowledge as data (``src/msa/data/``:
``jrc_variables.csv``, ``jrc_processes.csv``, ``jrc_structure.csv``, ``jrc_stocks.csv``) and
turns an *MSA table* -- a long CSV with one row per value (``material, region, year, code,
value, units, source_id, grade``) -- into a :class:`msa.System`.

Codes
-----
A row's ``code`` is one JRC code, a national-only code (``N.1`` re-exports, ``N.2`` short-cycle
products, ``N.3`` energetic use, ``N.4`` / ``N.5`` the hibernating stock and its addition), or
several codes *folded* into one value, joined by ``+``
(``"C.1.2+D.1.2"``: the sum of both, when a source does not split them). A flow of any System
may carry such a string in ``attrs["jrc_code"]``; :func:`jrc_variables` reads them back.

Balance
-------
Edges are signed sums of variables (``jrc_structure.csv``; msa's reading of the chain is in
docs/jrc_views.md, "The chain as a balanced system"), e.g.
:math:`\text{Processing} \to \text{Manufacture} = C.1.1 - C.1.2`. Published MSA data are
rounded and partly estimated, so :func:`build_msa_system` never forces closure: it reports each
process's residual :math:`r = \sum in - \sum out - \Delta S` and :math:`r / \text{throughput}`
(:func:`stage_imbalance`); :func:`msa.check_balance` can then be applied strictly.

References
----------
European Commission, Joint Research Centre (2015, updated 2020). *Material System Analysis of
nine raw materials*, methodology: variables A.1.1-G.1.5.
"""

from __future__ import annotations

import functools
import operator
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, ProvenanceError
from msa.jrc_msa.tables import (
    MASS_UNITS,
    MSA_COLUMNS,
    jrc_codes,
    parse_expression,
    read_msa_table,
    reference_table,
    signed_sum,
    split_codes,
    validate_msa_table,
    variable_info,
)
from msa.system.core import System
from msa.system.mass_balance import balance, throughput
from msa.system.provenance import worst_grade
from msa.system.tables import read_csv_cells

__all__ = [
    "MASS_UNITS",
    "MSA_COLUMNS",
    "MsaBuild",
    "build_msa_system",
    "jrc_codes",
    "jrc_variables",
    "origin_totals",
    "read_msa_model",
    "read_msa_table",
    "reference_table",
    "split_codes",
    "stack_by_code",
    "stage_imbalance",
    "validate_msa_table",
    "variables_by_origin",
    "variables_from_table",
]


# ----------------------------------------------------------------------------- building
@dataclass(frozen=True)
class MsaBuild:
    """What :func:`build_msa_system` made, and what it could not.

    Attributes
    ----------
    system : System
        The JRC chain: processes of ``jrc_processes.csv``, an edge for each row of
        ``jrc_structure.csv`` whose variables are all given, stocks of ``jrc_stocks.csv``, and
        every given variable as a parameter named by its code (``attrs["jrc_code"]``).
    missing : tuple of str
        JRC codes given neither alone nor inside a fold.
    skipped : DataFrame
        Edges and stocks not built (``element``, ``missing_codes``): a code is missing or only
        given inside a fold.
    imbalance : DataFrame
        :func:`stage_imbalance` of the built system.
    negative_edges : tuple of str
        Derived edges (e.g. ``C.1.1 - C.1.2``) that come out negative somewhere: the data
        contradict each other there.
    """

    system: System
    missing: tuple[str, ...]
    skipped: pd.DataFrame
    imbalance: pd.DataFrame
    negative_edges: tuple[str, ...] = field(default=())


def _pivot(
    table: pd.DataFrame, column: str, coords: dict[str, list], *, by_origin: bool = False
) -> xr.DataArray:
    """Return ``column`` as a DataArray (code, time, material, region[, origin]).

    Absent cells are NaN.
    """
    dims = ["code", "year", "material", "region", *(["origin"] if by_origin else [])]
    index = pd.MultiIndex.from_frame(table[dims].rename(columns={"year": "time"}))
    series = pd.Series(table[column].to_numpy(), index=index)
    da = xr.DataArray.from_series(series)
    full = {"code": sorted(set(table["code"])), **coords}
    return da.reindex(full)


def variables_from_table(table: pd.DataFrame) -> xr.DataArray:
    """Return an MSA table's values as variables over ``code``, ``time``, ``material``, ``region``.

    The result has the layout of :func:`jrc_variables` and can be passed to the views and
    indicators directly; cells the table does not give are NaN. A code given by origin counts
    with its total over origin (:func:`origin_totals`); :func:`variables_by_origin` keeps the
    split.

    Examples
    --------
    >>> t = pd.DataFrame({"material": "Li", "region": "EU", "year": [2020, 2021],
    ...     "code": "F.1.4", "value": [1.0, 2.0], "units": "t", "source_id": "", "grade": ""})
    >>> variables_from_table(t).sel(code="F.1.4", material="Li", region="EU").values.tolist()
    [1.0, 2.0]
    """
    if "row" not in table.columns:
        table = validate_msa_table(table.astype(str))
    table = origin_totals(table)
    values = _pivot(table, "value", _coords(table)).astype(float)
    values.attrs["units"] = "t"
    values.name = "value"
    return values


def build_msa_system(
    table: pd.DataFrame,
    *,
    name: str = "MSA",
    sources: pd.DataFrame | None = None,
    missing: str = "report",
    origin: str = "MSA table",
) -> MsaBuild:
    r"""Build the JRC MSA chain as a :class:`System` from an MSA table.

    Parameters
    ----------
    table : DataFrame
        An MSA table (validated here if it lacks the ``row`` column of
        :func:`validate_msa_table`).
    name : str
        The system's name.
    sources : DataFrame, optional
        The sources table; every ``source_id`` of ``table`` must be in it.
    missing : {"report", "zero"}
        ``"report"`` (default): a JRC code not given is listed in :attr:`MsaBuild.missing` and
        the edges needing it are skipped. ``"zero"``: such codes are 0 (grade D, an explicit
        assumption), so every edge exists. A code given for some years or materials but not
        others is an error either way unless ``"zero"``.
    origin : str
        The file name, for messages.

    Returns
    -------
    MsaBuild
        A table with an ``origin`` column: the chain uses each code's total over origin, and
        each code given by origin is also a parameter ``"<code> by origin"`` over the system's
        ``origin`` dim (ISO3 codes; 0 for an origin a cell does not list), with
        ``attrs["origin_of"]`` the code.

    Notes
    -----
    Each edge is the signed sum of ``jrc_structure.csv``; each stock's level is its code and
    its change the expression of ``jrc_stocks.csv`` (in-use stock: E.1.1 with change E.1.7;
    end-of-life stock kept by users: E.1.2 with E.1.8). The hibernating stock (msa's national
    N.4 with its addition N.5: products not in use and not at end of life) is optional: its
    process, edge and stock are built only when the table gives N.4 and N.5, and are neither
    zero-filled nor reported as skipped otherwise (the JRC frame has no such variable).
    Balance per process: :math:`r = \sum in - \sum out - \Delta S`, reported, not forced.

    Examples
    --------
    >>> t = pd.DataFrame({"material": "Li", "region": "EU", "year": 2020,
    ...     "code": ["F.1.4", "G.1.1", "G.1.5"], "value": [10.0, 8.0, 2.0], "units": "t",
    ...     "source_id": "", "grade": "D"})
    >>> built = build_msa_system(t, missing="zero")
    >>> float(built.system.flow("Collection", "Recycling").sum())
    10.0
    """
    checked = _checked_table(table, missing, origin)
    by_origin = variables_by_origin(checked)
    table = origin_totals(checked)
    given = _table_variables(table)
    covered = {m for key in given.codes for m in key.split("+")}
    absent = [c for c in jrc_codes() if c not in covered]
    if missing == "zero":
        given, absent = _zero_filled(given, absent), []
    else:
        _check_complete(given.values, origin)
    coords: dict[str, list] = _coords(table)
    if by_origin.sizes["code"]:
        coords["origin"] = list(by_origin["origin"].values)
    system = System(name, coords=coords, sources=sources, attrs={"template": "jrc_msa"})
    left_out = _optional_elements(given)
    _add_processes(system, left_out)
    _add_parameters(system, given)
    _add_origin_parameters(system, checked, by_origin)
    skipped: list[dict[str, str]] = []
    negative = _add_edges(system, given, skipped, left_out)
    _add_stocks(system, given, skipped, left_out)
    return MsaBuild(
        system=system,
        missing=tuple(absent),
        skipped=pd.DataFrame(skipped, columns=["element", "missing_codes"]),
        imbalance=stage_imbalance(system),
        negative_edges=negative,
    )


@dataclass(frozen=True)
class _Variables:
    """The variables of an MSA table over ``code, time, material, region``, with provenance.

    ``values`` is NaN, and ``source_ids`` and ``grades`` are ``""``, where the table gives no
    value.
    """

    values: xr.DataArray
    source_ids: xr.DataArray
    grades: xr.DataArray

    @property
    def codes(self) -> set[str]:
        """The codes (single or folded) given."""
        return {str(c) for c in self.values["code"].values}


def _coords(table: pd.DataFrame) -> dict[str, list]:
    """Return the ``time``, ``material`` and ``region`` labels of a validated MSA table."""
    return {
        "time": sorted(int(y) for y in set(table["year"])),
        "material": sorted(set(table["material"])),
        "region": sorted(set(table["region"])),
    }


def _checked_table(table: pd.DataFrame, missing: str, origin: str) -> pd.DataFrame:
    """Return ``table`` validated (unless it is already) after checking ``missing``.

    Raises
    ------
    ConfigError
        If ``missing`` is neither ``"report"`` nor ``"zero"``.
    DataError
        If the table is invalid (:func:`validate_msa_table`) or has no rows.
    """
    if missing not in ("report", "zero"):
        raise ConfigError(f"missing must be 'report' or 'zero' (got {missing!r})")
    if "row" not in table.columns:
        table = validate_msa_table(table.astype(str), origin=origin)
    if table.empty:
        raise DataError(f"{origin}: the MSA table has no rows")
    return table


def _table_variables(table: pd.DataFrame) -> _Variables:
    """Return the values, source ids and grades of a validated MSA table."""
    coords = _coords(table)
    return _Variables(
        values=variables_from_table(table),
        source_ids=_pivot(table, "source_id", coords).fillna(""),
        grades=_pivot(table, "grade", coords).fillna(""),
    )


def origin_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Return a validated MSA table with the rows of each code given by origin summed.

    One row per code, material, region and year: the value summed over origin, the source id
    where all origin rows share it (else ``""``), the worst grade, the first row's number, and
    ``origin`` empty. A table without an ``origin`` column is returned as it is.

    Examples
    --------
    >>> t = pd.DataFrame({"material": "Co", "region": "EU", "year": "2020", "code": "C.1.3",
    ...     "value": ["4", "1"], "units": "t", "source_id": "s", "grade": ["B", "C"],
    ...     "origin": ["Congo, D.R.", "Zambia"]})
    >>> origin_totals(validate_msa_table(t))[["value", "grade", "origin"]].values.tolist()
    [[5.0, 'C', '']]
    """
    if "origin" not in table.columns or not (table["origin"] != "").any():
        return table
    keys = ["material", "region", "year", "code"]
    split = table[table["origin"] != ""]
    totals = split.groupby(keys, sort=False).agg(
        value=("value", "sum"),
        units=("units", "first"),
        source_id=("source_id", lambda ids: ids.iloc[0] if ids.nunique() == 1 else ""),
        grade=("grade", lambda g: str(worst_grade(g.to_numpy(dtype=object), axis=0))),
        note=("note", "first"),
        row=("row", "first"),
    )
    totals = totals.reset_index().assign(origin="")
    whole = table[table["origin"] == ""]
    return pd.concat([whole, totals[table.columns]], ignore_index=True)


def variables_by_origin(table: pd.DataFrame) -> xr.DataArray:
    """Return the codes an MSA table gives by origin, over code, time, material, region, origin.

    Parameters
    ----------
    table : DataFrame
        An MSA table (validated here if it lacks the ``row`` column); its optional ``origin``
        column holds countries (normalised to ISO 3166-1 alpha-3 codes).

    Returns
    -------
    xarray.DataArray
        Values in t, 0 for an origin a cell does not list; ``origin`` sorted. Empty ``code``
        and ``origin`` dims if the table gives nothing by origin. Origin shares, the largest
        supplier and the HHI follow with :mod:`msa.jrc_msa.origin` (basis ``"demand origin"``
        for imports by country of origin).

    Examples
    --------
    >>> t = pd.DataFrame({"material": "Co", "region": "EU", "year": "2020", "code": "C.1.3",
    ...     "value": ["4", "1"], "units": "t", "source_id": "s", "grade": "B",
    ...     "origin": ["Congo, D.R.", "Zambia"]})
    >>> v = variables_by_origin(t)
    >>> v["origin"].values.tolist(), v.sel(code="C.1.3").values.ravel().tolist()
    (['COD', 'ZMB'], [4.0, 1.0])
    """
    if "row" not in table.columns:
        table = validate_msa_table(table.astype(str))
    split = table[table["origin"] != ""] if "origin" in table.columns else table.iloc[:0]
    if split.empty:
        empty = xr.DataArray(np.zeros((0, 0)), dims=("code", "origin"))
        return empty.assign_coords(code=[], origin=[]).assign_attrs(units="t")
    coords = {**_coords(table), "origin": sorted(set(split["origin"]))}
    values = _pivot(split, "value", coords, by_origin=True).astype(float).fillna(0.0)
    values.attrs["units"] = "t"
    values.name = "value"
    return values


def _add_origin_parameters(system: System, table: pd.DataFrame, by_origin: xr.DataArray) -> None:
    """Add a parameter ``"<code> by origin"`` for every code an MSA table gives by origin.

    Source id and grade per cell as the table gives them (``""`` for an origin not listed).
    """
    if not by_origin.sizes["code"]:
        return
    split = table[table["origin"] != ""]
    coords = {**_coords(table), "origin": list(by_origin["origin"].values)}
    source_ids = _pivot(split, "source_id", coords, by_origin=True).fillna("")
    grades = _pivot(split, "grade", coords, by_origin=True).fillna("")
    for code in by_origin["code"].values:
        system.add_parameter(
            f"{code} by origin",
            by_origin.sel(code=code, drop=True),
            units="t",
            source_id=source_ids.sel(code=code, drop=True),
            grade=grades.sel(code=code, drop=True),
            attrs={"origin_of": str(code)},
        )


def _zero_filled(given: _Variables, absent: list[str]) -> _Variables:
    """Return ``given`` with every hole and every ``absent`` code set to 0, grade D, no source."""
    values, hole = given.values, given.values.isnull()
    filler = xr.DataArray(
        np.zeros((len(absent), *values.shape[1:])),
        dims=values.dims,
        coords={**{d: values[d] for d in values.dims[1:]}, "code": absent},
    )
    fill_grade = xr.full_like(filler, "D", dtype=object)
    return _Variables(
        values=xr.concat([values.fillna(0.0), filler], dim="code"),
        source_ids=xr.concat([given.source_ids, xr.full_like(filler, "", dtype=object)], "code"),
        grades=xr.concat([given.grades.where(~hole, "D"), fill_grade], "code"),
    )


def _check_complete(values: xr.DataArray, origin: str) -> None:
    """Raise if a code is given for some cells (year, material, region) but not for all.

    Raises
    ------
    DataError
        Naming the first such code and a cell it lacks.
    """
    partial = [c for c in values["code"].values if bool(values.sel(code=c).isnull().any())]
    if not partial:
        return
    code = sorted(partial)[0]
    hole = values.sel(code=code).isnull().stack(cell=("time", "material", "region"))
    cell = hole["cell"].values[np.argmax(hole.values)]
    raise DataError(
        f"{origin}: code {code!r} is given for some cells but not for year {cell[0]}, "
        f"material {cell[1]!r}, region {cell[2]!r}; add the row, or build with "
        "missing='zero' to take absent values as 0"
    )


def _optional_elements(given: _Variables) -> frozenset[str]:
    """Return the optional processes, edges and stocks an MSA table leaves out.

    An edge (``"<source> => <target>"``) or stock (``"stock <process>"``) is optional when all
    its codes are national-only (``jrc_variables.csv`` frame ``national``, e.g. the hibernating
    stock N.4 / N.5); it is left out when the table gives none of them. A process is left out
    when every edge and stock touching it is.
    """
    national = set(jrc_codes("national"))
    covered = {m for key in given.codes for m in key.split("+")}
    out: set[str] = set()
    touching: dict[str, list[str]] = {}
    rows = [
        (f"{r.source} => {r.target}", (r.source, r.target), r.expression)
        for r in reference_table("jrc_structure").itertuples()
    ] + [
        (f"stock {r.process}", (r.process,), f"{r.stock_code} + {r.change_expression}")
        for r in reference_table("jrc_stocks").itertuples()
    ]
    for element, processes, expression in rows:
        codes = {c for _, c in parse_expression(expression)}
        if codes <= national and not codes & covered:
            out.add(element)
        for process in processes:
            touching.setdefault(process, []).append(element)
    out |= {p for p, elements in touching.items() if all(e in out for e in elements)}
    return frozenset(out)


def _add_processes(system: System, left_out: frozenset[str] = frozenset()) -> None:
    """Add the processes of the chain (``jrc_processes.csv``) but those ``left_out``."""
    for row in reference_table("jrc_processes").itertuples():
        if row.id in left_out:
            continue
        system.add_process(
            row.id,
            kind=row.kind,
            stage=row.stage or None,
            label_en=row.label_en,
            label_nl=row.label_nl,
        )


def _add_parameters(system: System, given: _Variables) -> None:
    """Add every given variable as a parameter named by its code (``attrs["jrc_code"]``)."""
    info = variable_info()
    for code in given.values["code"].values:
        first = code.split("+")[0]
        system.add_parameter(
            code,
            given.values.sel(code=code, drop=True),
            units="t",
            source_id=given.source_ids.sel(code=code, drop=True),
            grade=given.grades.sel(code=code, drop=True),
            attrs={
                "jrc_code": code,
                "role": info.at[first, "role"],
                "kind": info.at[first, "kind"],
            },
        )


def _combine(
    given: _Variables, expression: str, element: str, skipped: list[dict[str, str]]
) -> tuple[xr.DataArray, xr.DataArray] | None:
    """Return an expression's value and worst grade per cell.

    None, with ``element`` and the lacking codes appended to ``skipped``, if a code of the
    expression is not given (alone).
    """
    terms = parse_expression(expression)
    available = given.codes
    lacking = [c for _, c in terms if c not in available]
    if lacking:
        skipped.append({"element": element, "missing_codes": "+".join(lacking)})
        return None
    members = xr.concat([given.grades.sel(code=c, drop=True) for _, c in terms], dim="_term")
    worst = worst_grade(members.transpose(..., "_term").values, axis=-1)
    return signed_sum(given.values, terms), members.isel(_term=0, drop=True).copy(data=worst)


def _add_edges(
    system: System,
    given: _Variables,
    skipped: list[dict[str, str]],
    left_out: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """Add an edge per row of ``jrc_structure.csv`` whose codes are given.

    An edge lacking a code is appended to ``skipped`` (an optional one ``left_out`` is not).
    Returns the derived edges (with a minus sign or a stage total) that come out negative
    somewhere.
    """
    info = variable_info()
    negative: list[str] = []
    for row in reference_table("jrc_structure").itertuples():
        element = f"{row.source} => {row.target}"
        if element in left_out:
            continue
        made = _combine(given, row.expression, element, skipped)
        if made is None:
            continue
        terms = parse_expression(row.expression)
        derived = any(s < 0 or info.at[c, "role"] == "total" for s, c in terms)
        value, grade = made
        attrs = {"jrc_expression": row.expression} if derived else {}
        if derived and bool((value < 0).any()):
            negative.append(element)
        system.add_flow(
            row.source,
            row.target,
            value,
            units="t",
            signed=derived or any(info.at[c, "signed"] == "1" for _, c in terms),
            jrc_code=None if derived else "+".join(c for _, c in terms),
            source_id=_single_source(given.source_ids, [c for _, c in terms]),
            grade=grade,
            attrs=attrs,
        )
    return tuple(negative)


def _add_stocks(
    system: System,
    given: _Variables,
    skipped: list[dict[str, str]],
    left_out: frozenset[str] = frozenset(),
) -> None:
    """Add a stock per row of ``jrc_stocks.csv`` whose level and change codes are given.

    A stock lacking a code is appended to ``skipped`` (an optional one ``left_out`` is not).
    """
    for row in reference_table("jrc_stocks").itertuples():
        element = f"stock {row.process}"
        if element in left_out:
            continue
        level = _combine(given, row.stock_code, element, skipped)
        change = None if level is None else _combine(given, row.change_expression, element, skipped)
        if level is None or change is None:
            continue
        system.add_stock(
            row.process,
            level[0],
            stock_change=change[0],
            units="t",
            source_id=given.source_ids.sel(code=row.stock_code, drop=True),
            grade=level[1],
            attrs={"jrc_code": row.stock_code, "jrc_change": row.change_expression},
        )


def _single_source(source_ids: xr.DataArray, codes: list[str]) -> xr.DataArray | str:
    """Return an edge's source id: the terms' id where they agree, else '' (see parameters)."""
    ids = [source_ids.sel(code=c, drop=True) for c in codes]
    first = ids[0]
    agree = functools.reduce(
        lambda a, b: a & b, [first == other for other in ids[1:]], first == first
    )
    return first.where(agree, "")


def read_msa_model(path: str | Path, *, missing: str | None = None) -> MsaBuild:
    """Build the MSA system of an MSA-table model folder.

    The folder's ``model.toml`` names the table and the sources as ``msa run`` reads them
    (docs/model_definition.md): ``[model]`` ``name`` and ``sources``, ``[msa]`` ``table``
    (default ``msa.csv``) and ``missing`` (``"report"`` or ``"zero"``). Only these keys are
    read here; :func:`msa.load_definition` validates the whole file. A folder without
    ``model.toml`` holds ``msa.csv`` (and, optionally, ``sources.csv``). The ``missing``
    argument overrides ``[msa] missing``.

    Raises
    ------
    ConfigError
        If ``model.toml`` is invalid TOML, has no ``[msa]`` (not an MSA-table model) or is in
        the old format (``kind = "msa"``).
    DataError
        If the folder has no MSA table or a table is malformed.
    ProvenanceError
        If a row cites a source id the sources table lacks.
    """
    folder = Path(path)
    name, table_file, sources_file, configured = _msa_model_files(folder)
    table_path = folder / table_file
    if not table_path.is_file():
        raise DataError(
            f"{folder}: no {table_file} (an MSA model folder holds {table_file}, sources.csv)"
        )
    sources = None
    if (folder / sources_file).is_file():
        sources = read_csv_cells(folder / sources_file)
        if "source_id" not in sources.columns:
            raise DataError(
                f"{folder / sources_file}: no 'source_id' column; a sources table "
                "needs source_id and title"
            )
    table = read_msa_table(table_path)
    unknown = sorted(
        set(table["source_id"]) - {""} - set(sources["source_id"] if sources is not None else [])
    )
    if unknown:
        raise ProvenanceError(
            f"{table_path}: source id(s) {unknown} are not in {folder / sources_file}; add them"
        )
    return build_msa_system(
        table,
        name=name,
        sources=sources,
        missing=str(missing or configured),
        origin=str(table_path),
    )


def _msa_model_files(folder: Path) -> tuple[str, str, str, str]:
    """Return the name, table file, sources file and ``missing`` of an MSA-table model folder."""
    toml = folder / "model.toml"
    if not toml.is_file():
        return folder.name, "msa.csv", "sources.csv", "report"
    try:
        raw = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{toml}: invalid TOML ({err})") from err
    if raw.get("kind") == "msa":
        raise ConfigError(
            f'{toml}: top level: kind = "msa" is the old MSA-table format; write [model] (name, '
            'title, sources) and [msa] (table = "msa.csv") instead (docs/model_definition.md)'
        )
    spec, model = raw.get("msa"), raw.get("model", {})
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{toml}: no [msa] section: not an MSA-table model (build a declared model with "
            "msa.build_model)"
        )
    if not isinstance(model, dict):
        raise ConfigError(f"{toml}: [model] must be a table")
    values = {
        "[model] name": model.get("name", folder.name),
        "[msa] table": spec.get("table", "msa.csv"),
        "[model] sources": model.get("sources", "sources.csv"),
        "[msa] missing": spec.get("missing", "report"),
    }
    for key, value in values.items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{toml}: {key}: give a non-empty string (got {value!r})")
    name, table, sources, missing = (str(v) for v in values.values())
    return name, table, sources, missing


# ----------------------------------------------------------------------------- queries
def stage_imbalance(system: System) -> pd.DataFrame:
    r"""Return every non-boundary process's mass-balance residual, absolute and relative.

    Parameters
    ----------
    system : System

    Returns
    -------
    pandas.DataFrame
        Columns ``process, stage, year``, the system's other dims, ``residual`` (inflows -
        outflows - stock change, in ``units``), ``throughput``, ``relative`` (residual /
        throughput; NaN where the throughput is 0) and ``units``.

    Notes
    -----
    :math:`r_p = \sum_{in} f - \sum_{out} f - \Delta S_p`, relative :math:`r_p / \max(\sum in,
    \sum out)` (see :func:`msa.balance` and :func:`msa.throughput`).
    """
    res = balance(system)
    tps = throughput(system)
    frames = []
    for pid in res.data_vars:
        frame = res[pid].to_dataframe(name="residual").drop(columns=[], errors="ignore")
        frame["throughput"] = tps[pid].to_dataframe(name="t")["t"].to_numpy()
        frame = frame.reset_index()
        frame.insert(0, "stage", system.processes[str(pid)].stage or "")
        frame.insert(0, "process", str(pid))
        frame["units"] = res[pid].attrs.get("units", "")
        frames.append(frame)
    columns = ["process", "stage", "year", "residual", "throughput", "relative", "units"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True).rename(columns={"time": "year"})
    tp = out["throughput"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative"] = np.where(tp > 0, out["residual"].to_numpy(dtype=float) / tp, np.nan)
    others = [c for c in out.columns if c not in columns]
    return out[["process", "stage", "year", *others, "residual", "throughput", "relative", "units"]]


def jrc_variables(
    system: System, *, dims: tuple[str, ...] = ("material", "region")
) -> xr.DataArray:
    """Return the JRC variables a system holds, over ``code``, ``time`` and ``dims``.

    Variables are read from parameters, flows and stocks whose attrs carry ``jrc_code`` (a code
    or a ``+``-fold of codes); a fold stays one entry (its code is the fold). Parameters come
    first; a flow or stock carrying a code already read must agree with it.

    Parameters
    ----------
    system : System
    dims : tuple of str
        Dims to keep where every variable has them; all other dims are summed.

    Returns
    -------
    xarray.DataArray
        ``attrs["units"]`` is the common units; an empty ``code`` dim if none is tagged.

    Raises
    ------
    DataError
        On mixed units, an unknown code, or a flow disagreeing with the parameter of its code.
    """
    found: dict[str, xr.DataArray] = {}
    where: dict[str, str] = {}
    items: list[tuple[str, xr.DataArray]] = [
        *((f"parameter {n!r}", p) for n, p in system.parameters.items()),
        *((f"flow {n!r}", f) for n, f in system.flows.items()),
        *((f"stock {n!r}", s["stock"].assign_attrs(s.attrs)) for n, s in system.stocks.items()),
    ]
    for label, arr in items:
        code = arr.attrs.get("jrc_code")
        if not code:
            continue
        key = "+".join(split_codes(str(code), where=f"system {system.name!r}: {label}"))
        members = set(key.split("+"))
        overlap = [k for k in found if members & set(k.split("+"))]
        if overlap:
            union = set().union(*(k.split("+") for k in overlap))
            if union != members:
                raise DataError(
                    f"system {system.name!r}: {label} carries jrc_code {key!r}, which overlaps "
                    f"{[where[k] for k in overlap]} without covering the same codes; tag "
                    "each code once"
                )
            if not _same(functools.reduce(operator.add, (found[k] for k in overlap)), arr):
                raise DataError(
                    f"system {system.name!r}: {label} carries jrc_code {key!r} with values "
                    f"differing from {[where[k] for k in overlap]}; tag one of them only"
                )
            continue
        found[key] = arr
        where[key] = label
    time = xr.DataArray(system.years, dims="time", coords={"time": system.years})
    if not found:
        empty = xr.DataArray(np.zeros((0, len(time))), dims=("code", "time"))
        return empty.assign_coords(code=[], time=time.values).assign_attrs(units="t")
    units = {str(a.attrs.get("units")) for a in found.values()}
    if len(units) > 1:
        raise DataError(
            f"system {system.name!r}: JRC variables mix units {sorted(units)}; convert first"
        )
    return stack_by_code(found, system.years, dims, units.pop())


def stack_by_code(
    values: Mapping[str, xr.DataArray], years: np.ndarray, dims: tuple[str, ...], units: str
) -> xr.DataArray:
    """Stack values along a ``code`` dim, over ``time`` and the ``dims`` all of them have.

    Every other dim is summed; a value without ``time`` is the same every year. The result is
    named ``value`` with ``attrs["units"]``: what :func:`msa.apply_view` places.
    """
    time = xr.DataArray(years, dims="time", coords={"time": years})
    keep = [d for d in dims if all(d in a.dims for a in values.values())]
    arrays = []
    for key, arr in values.items():
        extra = [d for d in arr.dims if d not in ("time", *keep)]
        arr = arr.sum(extra) if extra else arr
        arr = arr.broadcast_like(time).transpose("time", *keep)
        arrays.append(arr.drop_attrs().expand_dims(code=[key]))
    out = xr.concat(arrays, dim="code")
    out.attrs["units"] = units
    out.name = "value"
    return out


def _same(a: xr.DataArray, b: xr.DataArray) -> bool:
    common = [d for d in a.dims if d in b.dims]
    sa = a.sum([d for d in a.dims if d not in common]) if set(a.dims) - set(common) else a
    sb = b.sum([d for d in b.dims if d not in common]) if set(b.dims) - set(common) else b
    return bool(np.allclose(sa.values, sb.transpose(*sa.dims).values, rtol=1e-9, atol=0))
