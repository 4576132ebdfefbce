"""The material system: processes, flows, stocks and parameters over shared coordinates.

Numbers live in xarray DataArrays, structure in a :class:`networkx.DiGraph`, metadata in attrs.
A flow from process ``a`` to process ``b`` is named ``"a => b"``; every quantity carries
``attrs["units"]``. See ``docs/architecture.md`` for the data model.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError, DimensionError
from msa.messages import plain
from msa.system.netcdf import write_netcdf
from msa.system.provenance import (
    CLO_GRADES,
    combine_provenance,
    make_sources,
    provenance_for,
    worst_grade,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["PROCESS_KINDS", "Process", "System", "flow_name", "split_flow_name"]

ProcessKind = Literal["transformation", "stock", "boundary"]
#: The kinds of process: ``transformation`` must balance, ``stock`` balances with its stock
#: change, ``boundary`` (environment, imports, exports, disposal) is exempt from balance.
PROCESS_KINDS: tuple[str, ...] = ("transformation", "stock", "boundary")
#: The years msa accepts in tables and declarations (a year outside is a typo: -5, 20250).
FIRST_YEAR, LAST_YEAR = 1000, 2999
_ARROW = " => "
#: The form of a JRC MSA code (``A.1.1``, ``N.1``), or several joined by ``+``; which codes
#: exist is known above this layer (:func:`msa.jrc_msa.jrc_codes`, checked by ``msa check``).
_JRC_CODE = re.compile(r"^\s*[A-GN]\.\d+(\.\d+)?\s*(\+\s*[A-GN]\.\d+(\.\d+)?\s*)*$")


def flow_name(source: str, target: str) -> str:
    """Return the canonical flow name ``"source => target"``.

    Examples
    --------
    >>> flow_name("Use", "Collection")
    'Use => Collection'
    """
    return f"{source}{_ARROW}{target}"


def split_flow_name(name: str) -> tuple[str, str]:
    """Split ``"source => target"`` into its two process ids.

    Examples
    --------
    >>> split_flow_name("Use => Collection")
    ('Use', 'Collection')
    """
    if _ARROW not in name:
        raise DataError(f"flow name {name!r} is not of the form 'source => target'")
    source, target = name.split(_ARROW, 1)
    return source, target


@dataclass(frozen=True)
class Process:
    """A node of the material system.

    Parameters
    ----------
    id : str
        Unique identifier, e.g. ``"Manufacture"``.
    kind : {"transformation", "stock", "boundary"}
        ``transformation`` must balance; ``stock`` balances with its stock change; ``boundary``
        (environment, rest of world, disposal) is exempt from the balance.
    stage : str, optional
        The JRC MSA stage (Exploration ... Recycling) the process belongs to, or None.
    label_en, label_nl : str, optional
        Display names in English and Dutch; default to ``id``.

    Examples
    --------
    >>> Process("Use", kind="stock", stage="Use", label_nl="Gebruik").label("nl")
    'Gebruik'
    """

    id: str
    kind: ProcessKind = "transformation"
    stage: str | None = None
    label_en: str | None = None
    label_nl: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise DataError(f"process id must be a non-empty string (got {self.id!r})")
        if _ARROW.strip() in self.id:
            raise DataError(f"process id {self.id!r} must not contain '=>'")
        if self.kind not in PROCESS_KINDS:
            raise DataError(
                f"process {self.id!r}: kind must be one of {list(PROCESS_KINDS)} "
                f"(got {self.kind!r})"
            )

    def label(self, lang: Literal["en", "nl"] = "en") -> str:
        """Return the display label in ``lang``, falling back to English, then the id."""
        if lang == "nl" and self.label_nl:
            return self.label_nl
        return self.label_en or self.id


class System:
    """A material system: processes, flows, stocks and parameters with provenance.

    A System is built incrementally (``add_process``, ``add_flow``, ``add_stock``,
    ``add_parameter``); every addition is validated at once, so a System that exists is
    consistent: known processes, known dims and coordinates, units given, finite values,
    non-negative flows unless declared signed, and known source ids. Calculations
    (:func:`msa.balance`, views, indicators) never modify it.

    Parameters
    ----------
    name : str
        Name of the system (e.g. ``"cobalt EU 2016"``).
    coords : mapping of str to sequence
        The coordinates of every dimension the system uses. ``time`` (integer years) is
        required; other names follow the vocabulary (``material``, ``region``, ``chemistry`` ...).
    sources : DataFrame or iterable of mappings, optional
        The sources table (see :func:`msa.make_sources`).
    attrs : mapping, optional
        Free metadata (scenario, description ...), kept in the NetCDF file.

    Examples
    --------
    >>> import xarray as xr
    >>> s = System("demo", coords={"time": [2020, 2021]})
    >>> _ = s.add_process("Mine", kind="boundary")
    >>> _ = s.add_process("Factory")
    >>> _ = s.add_process("Market", kind="boundary")
    >>> v = xr.DataArray([10.0, 12.0], dims="time", coords={"time": [2020, 2021]})
    >>> s.add_flow("Mine", "Factory", v, units="t")
    'Mine => Factory'
    >>> s.add_flow("Factory", "Market", v, units="t")
    'Factory => Market'
    >>> sorted(s.flows)
    ['Factory => Market', 'Mine => Factory']
    """

    def __init__(
        self,
        name: str,
        *,
        coords: Mapping[str, Sequence[object]],
        sources: pd.DataFrame | Iterable[Mapping[str, object]] | None = None,
        attrs: Mapping[str, object] | None = None,
    ) -> None:
        self.name = str(name)
        if "time" not in coords:
            raise DimensionError(f"system {name!r}: coords must include 'time' (integer years)")
        self._coords: dict[str, pd.Index] = {}
        for dim, items in coords.items():
            index = pd.Index(list(items), name=dim)
            if index.has_duplicates:
                dup = list(index[index.duplicated()])
                raise DimensionError(f"system {name!r}: dim {dim!r} has duplicate items {dup}")
            if len(index) == 0:
                raise DimensionError(f"system {name!r}: dim {dim!r} has no items")
            self._coords[dim] = index
        time = self._coords["time"]
        whole = [isinstance(t, int | np.integer) and not isinstance(t, bool) for t in time]
        if not all(whole):
            bad = time[whole.index(False)]
            raise DimensionError(
                f"system {name!r}: time items must be integer years (got {plain(bad)!r}, "
                f"{type(bad).__name__})"
            )
        outside = [int(t) for t in time if not FIRST_YEAR <= t <= LAST_YEAR]
        if outside:
            raise DimensionError(
                f"system {name!r}: time item {outside[0]} is not a year between {FIRST_YEAR} "
                f"and {LAST_YEAR}"
            )
        if not time.is_monotonic_increasing:
            raise DimensionError(f"system {name!r}: time items must be increasing")
        self._coords["time"] = pd.Index(np.asarray(time, dtype=np.int64), name="time")
        self.sources: pd.DataFrame = make_sources(sources)
        self.attrs: dict[str, object] = dict(attrs or {})
        self.processes: dict[str, Process] = {}
        self.flows: dict[str, xr.DataArray] = {}
        self.stocks: dict[str, xr.Dataset] = {}
        self.parameters: dict[str, xr.DataArray] = {}
        self.provenance: dict[str, xr.Dataset] = {}

    # ------------------------------------------------------------------ structure
    @property
    def coords(self) -> dict[str, pd.Index]:
        """The coordinates of every dimension (a copy)."""
        return dict(self._coords)

    @property
    def dims(self) -> tuple[str, ...]:
        """The dimension names, ``time`` first."""
        return tuple(self._coords)

    @property
    def years(self) -> np.ndarray:
        """The ``time`` coordinate as an integer array."""
        return self._coords["time"].to_numpy()

    def __repr__(self) -> str:
        dims = ", ".join(f"{d}: {len(i)}" for d, i in self._coords.items())
        return (
            f"<msa.System {self.name!r} ({dims}); {len(self.processes)} processes, "
            f"{len(self.flows)} flows, {len(self.stocks)} stocks, "
            f"{len(self.parameters)} parameters>"
        )

    def add_process(
        self,
        id: str | Process,
        *,
        kind: ProcessKind = "transformation",
        stage: str | None = None,
        label_en: str | None = None,
        label_nl: str | None = None,
    ) -> Process:
        """Add a process (or a ready :class:`Process`) and return it.

        Raises
        ------
        DataError
            If a process with the same id exists or the kind is unknown.
        """
        process = (
            id
            if isinstance(id, Process)
            else Process(id, kind=kind, stage=stage, label_en=label_en, label_nl=label_nl)
        )
        if process.id in self.processes:
            raise DataError(f"system {self.name!r}: process {process.id!r} already exists")
        self.processes[process.id] = process
        return process

    def set_sources(self, sources: pd.DataFrame | Iterable[Mapping[str, object]]) -> None:
        """Replace the sources table; every source id already used must stay in it."""
        new = make_sources(sources)
        used = self.used_source_ids()
        missing = sorted(used - set(new.index))
        if missing:
            raise DataError(f"system {self.name!r}: new sources table lacks used ids {missing}")
        self.sources = new

    def used_source_ids(self) -> set[str]:
        """Return every source id referenced by a value of the system."""
        ids: set[str] = set()
        for prov in self.provenance.values():
            ids.update(str(s) for s in np.unique(prov["source_id"].values) if str(s))
        return ids

    def _check_process(self, pid: str, role: str) -> Process:
        if pid not in self.processes:
            known = ", ".join(sorted(self.processes)) or "none"
            raise DataError(
                f"system {self.name!r}: unknown {role} process {pid!r} (known: {known})"
            )
        return self.processes[pid]

    def _conform(
        self, values: xr.DataArray, *, where: str, require_time: bool = True
    ) -> xr.DataArray:
        """Check dims/coords against the system and return values in system order."""
        if not isinstance(values, xr.DataArray):
            raise DataError(f"{where}: values must be an xarray.DataArray (got {type(values)})")
        unknown = [d for d in values.dims if d not in self._coords]
        if unknown:
            raise DimensionError(
                f"{where}: unknown dim(s) {unknown}; the system has {list(self._coords)}"
            )
        if require_time and "time" not in values.dims:
            raise DimensionError(f"{where}: must have a 'time' dim")
        for dim in values.dims:
            if dim not in values.coords:
                raise DimensionError(f"{where}: dim {dim!r} has no coordinate labels")
            want = self._coords[str(dim)]  # a system dim (checked above), so text
            have = values.indexes[dim] if dim in values.indexes else pd.Index(values[dim].values)
            if have.equals(want):
                continue  # the system's items in its order: none unknown, missing or twice
            extra = have.difference(want)
            if len(extra):
                raise DimensionError(
                    f"{where}: unknown {dim} item(s) {list(extra)[:5]}; known: {list(want)[:10]}"
                )
            missing = want.difference(have)
            if len(missing):
                raise DimensionError(
                    f"{where}: missing {dim} item(s) {list(missing)[:5]}; a value is needed for "
                    "every item (give 0 explicitly where there is no flow)"
                )
            if have.has_duplicates:
                raise DimensionError(
                    f"{where}: duplicate {dim} items {list(have[have.duplicated()])}"
                )
        if values.dtype.kind not in "iuf":  # text, booleans, objects: not quantities
            raise DataError(
                f"{where}: values must be numbers (got {_kind_of(values)}); convert them, "
                "e.g. values.astype(float), after checking they are what you mean"
            )
        order = [d for d in self._coords if d in values.dims]
        out = values.transpose(*order)
        if not all(out.indexes[d].equals(self._coords[d]) for d in order):
            out = out.reindex({d: self._coords[d] for d in order})
        out = out.drop_vars([c for c in out.coords if c not in out.dims])
        return out.astype(float)

    def _check_values(self, values: xr.DataArray, *, where: str, signed: bool) -> None:
        data = values.values
        bad = ~np.isfinite(data)
        if bad.any():
            raise DataError(f"{where}: non-finite value (NaN or inf) at {_first_at(values, bad)}")
        if not signed:
            neg = data < 0
            if neg.any():
                idx = _first_at(values, neg)
                raise DataError(
                    f"{where}: negative value {float(data[neg][0])!r} at {idx}; declare the flow "
                    "signed=True if negative values are meant"
                )

    # ------------------------------------------------------------------ quantities
    def add_flow(
        self,
        source: str,
        target: str,
        values: xr.DataArray,
        *,
        units: str | None = None,
        signed: bool = False,
        jrc_code: str | None = None,
        source_id: str | xr.DataArray | None = None,
        grade: str | xr.DataArray | None = None,
        clo_grade: str | xr.DataArray | None = None,
        attrs: Mapping[str, object] | None = None,
    ) -> str:
        """Add the flow ``source => target`` and return its name.

        Parameters
        ----------
        source, target : str
            Ids of existing processes.
        values : DataArray
            Over ``time`` and any subset of the system's other dims, with a label for every
            coordinate item of each of its dims.
        units : str, optional
            Required unless ``values.attrs["units"]`` is set.
        signed : bool
            Allow negative values (e.g. a net trade balance).
        jrc_code : str, optional
            The JRC MSA variable(s) this flow represents, e.g. ``"C.1.3"``.
        source_id, grade : str or DataArray, optional
            Provenance: a source id of :attr:`sources` and a JRC grade A-D.
        clo_grade : str or DataArray, optional
            CLO reliability grade A-F (stored only when given).
        attrs : mapping, optional
            Extra attrs to keep on the flow.

        Raises
        ------
        DataError
            Unknown process, duplicate flow, missing units, non-finite or negative values.
        DimensionError
            Unknown dims or coordinates.
        ProvenanceError
            Unknown source id or grade.
        """
        where = f"system {self.name!r}: flow {flow_name(source, target)!r}"
        self._check_process(source, "source")
        self._check_process(target, "target")
        if source == target:
            raise DataError(f"{where}: a flow must connect two different processes")
        name = flow_name(source, target)
        if name in self.flows:
            raise DataError(f"{where}: already exists; give one flow per process pair")
        units = units or values.attrs.get("units") if isinstance(values, xr.DataArray) else units
        if not units:
            raise DataError(f"{where}: units are required (e.g. units='t')")
        da = self._conform(values, where=where)
        self._check_values(da, where=where, signed=signed)
        prov = provenance_for(
            da,
            source_id=source_id,
            grade=grade,
            clo_grade=clo_grade,
            sources=self.sources,
            where=where,
        )
        da.name = name
        da.attrs = {
            **dict(attrs or {}),
            "source": source,
            "target": target,
            "units": str(units),
            "signed": int(bool(signed)),
        }
        if jrc_code:
            if not _JRC_CODE.match(str(jrc_code)):
                raise DataError(
                    f"{where}: jrc_code {jrc_code!r} is not a JRC MSA code such as 'C.1.3' or "
                    "'N.1' (several joined by '+')"
                )
            da.attrs["jrc_code"] = str(jrc_code)
        self.flows[name] = da
        self.provenance[name] = prov
        return name

    def add_stock(
        self,
        process: str,
        stock: xr.DataArray,
        *,
        stock_change: xr.DataArray | None = None,
        initial_stock: xr.DataArray | float | None = None,
        units: str | None = None,
        source_id: str | xr.DataArray | None = None,
        grade: str | xr.DataArray | None = None,
        change_source_id: str | xr.DataArray | None = None,
        change_grade: str | xr.DataArray | None = None,
        clo_grade: str | xr.DataArray | None = None,
        change_clo_grade: str | xr.DataArray | None = None,
        extra: Mapping[str, xr.DataArray] | None = None,
        attrs: Mapping[str, object] | None = None,
    ) -> xr.Dataset:
        """Attach a stock to a ``stock`` process.

        The stock value at ``t`` is at the end of year ``t``. The stock change of year ``t``
        enters the process balance: inflows - outflows - stock_change = 0.

        Parameters
        ----------
        process : str
            Id of a process of kind ``"stock"``.
        stock : DataArray
            Stock at the end of each year, over ``time`` and other system dims.
        stock_change : DataArray, optional
            Net addition to stock in each year (same dims as ``stock``). If omitted it is
            ``stock.diff("time")`` with the first year taken from ``initial_stock``.
        initial_stock : DataArray or float, optional
            Stock at the end of the year before the first year. Required when
            ``stock_change`` is omitted (pass 0 explicitly for a new stock).
        units : str, optional
            Required unless ``stock.attrs["units"]`` is set.
        source_id, grade : str or DataArray, optional
            Provenance of the stock values, stored as ``provenance["stock <process>"]``.
        change_source_id, change_grade : str or DataArray, optional
            Provenance of ``stock_change`` when it is given, or of ``initial_stock`` when the
            change is derived from it. Both omitted: the stock values' provenance is used.
            Stored as ``provenance["stock_change <process>"]``; a derived change combines the
            provenance of the two levels it is the difference of (see
            :func:`msa.system.provenance.combine_provenance`).
        clo_grade, change_clo_grade : str or DataArray, optional
            Optional CLO reliability grades A-F of the stock values and of the stock change
            (or initial stock), as ``grade`` and ``change_grade``.
        extra : mapping of str to DataArray, optional
            Further variables kept with the stock (e.g. ``stock_by_cohort``); they may carry
            a ``cohort`` dim, which takes its labels from ``time``.
        attrs : mapping, optional
            Extra attrs.

        Returns
        -------
        xarray.Dataset
            The stored stock dataset (``stock``, ``stock_change`` and ``extra``).
        """
        where = f"system {self.name!r}: stock of process {process!r}"
        proc = self._check_process(process, "stock")
        if proc.kind != "stock":
            raise DataError(f"{where}: process kind is {proc.kind!r}; declare kind='stock'")
        if process in self.stocks:
            raise DataError(f"{where}: already has a stock")
        units = units or (stock.attrs.get("units") if isinstance(stock, xr.DataArray) else None)
        if not units:
            raise DataError(f"{where}: units are required (e.g. units='t')")
        level = self._conform(stock, where=where)
        self._check_values(level, where=where, signed=False)
        if stock_change is None:
            if initial_stock is None:
                raise DataError(
                    f"{where}: give stock_change, or initial_stock (the stock at the end of "
                    f"{self.years[0] - 1}; 0 for a new stock)"
                )
            init = xr.DataArray(initial_stock) if np.isscalar(initial_stock) else initial_stock
            previous = level.shift(time=1)
            previous = previous.where(previous.time != level.time[0], init)
            change = (level - previous).transpose(*level.dims)
        else:
            change = self._conform(stock_change, where=f"{where} (stock_change)")
            if set(change.dims) != set(level.dims):
                raise DimensionError(
                    f"{where}: stock_change dims {change.dims} differ from stock dims {level.dims}"
                )
        self._check_values(change, where=f"{where} (stock_change)", signed=True)
        data = {"stock": level, "stock_change": change.transpose(*level.dims)}
        for key, arr in (extra or {}).items():
            if not isinstance(arr, xr.DataArray):
                raise DataError(f"{where}: extra variable {key!r} must be a DataArray")
            self._check_values(arr, where=f"{where} ({key})", signed=True)
            data[key] = arr
        ds = xr.Dataset(data)
        for var in ds.data_vars.values():
            var.attrs["units"] = str(units)
        ds.attrs = {**dict(attrs or {}), "process": process, "units": str(units)}
        level_prov = provenance_for(
            level,
            source_id=source_id,
            grade=grade,
            clo_grade=clo_grade,
            sources=self.sources,
            where=where,
        )
        own = any(x is not None for x in (change_source_id, change_grade, change_clo_grade))

        def change_provenance(values: xr.DataArray, what: str) -> xr.Dataset:
            """Provenance given for the stock change (or initial stock) itself."""
            return provenance_for(
                values,
                source_id=change_source_id,
                grade=change_grade,
                clo_grade=change_clo_grade,
                sources=self.sources,
                where=f"{where} ({what})",
            )

        if stock_change is not None:
            change_prov = (
                change_provenance(data["stock_change"], "stock_change")
                if own
                else level_prov.copy()
            )
        else:
            change_prov = _derived_change_provenance(
                level_prov,
                change_provenance(level.isel(time=0, drop=True), "initial_stock")
                if own
                else level_prov.isel(time=0, drop=True),
            )
        self.stocks[process] = ds
        self.provenance[f"stock {process}"] = level_prov
        self.provenance[f"stock_change {process}"] = change_prov
        return ds

    def add_parameter(
        self,
        name: str,
        values: xr.DataArray | float,
        *,
        units: str | None = None,
        source_id: str | xr.DataArray | None = None,
        grade: str | xr.DataArray | None = None,
        clo_grade: str | xr.DataArray | None = None,
        attrs: Mapping[str, object] | None = None,
    ) -> xr.DataArray:
        """Add a named parameter (a share, an intensity, a lifetime mean ...).

        Parameters may span any subset of the system's dims (``time`` is optional). Units are
        required; use ``"1"`` for dimensionless shares.

        Examples
        --------
        >>> s = System("demo", coords={"time": [2020, 2021]},
        ...            sources=[{"source_id": "jrc", "title": "JRC MSA"}])
        >>> float(s.add_parameter("collection_share", 0.45, units="1", source_id="jrc",
        ...                       grade="C"))
        0.45
        """
        where = f"system {self.name!r}: parameter {name!r}"
        if name in self.parameters:
            raise DataError(f"{where}: already exists")
        if not isinstance(values, xr.DataArray):
            values = xr.DataArray(float(values))
        units = units or values.attrs.get("units")
        if not units:
            raise DataError(f"{where}: units are required (use '1' for dimensionless)")
        da = self._conform(values, where=where, require_time=False)
        self._check_values(da, where=where, signed=True)
        da.name = name
        da.attrs = {**dict(attrs or {}), "units": str(units)}
        self.parameters[name] = da
        self.provenance[f"parameter {name}"] = provenance_for(
            da,
            source_id=source_id,
            grade=grade,
            clo_grade=clo_grade,
            sources=self.sources,
            where=where,
        )
        return da

    # ------------------------------------------------------------------ queries
    def flow(self, source: str, target: str) -> xr.DataArray:
        """Return the flow ``source => target``; raise :class:`DataError` if there is none.

        Examples
        --------
        >>> import msa
        >>> msa.load_example().flow("Use", "Collection").attrs["jrc_code"]
        'E.1.6'
        """
        name = flow_name(source, target)
        if name not in self.flows:
            raise DataError(f"system {self.name!r}: no flow {name!r}")
        return self.flows[name]

    def inflows(self, process: str) -> list[str]:
        """Names of the flows into ``process``.

        Examples
        --------
        >>> import msa
        >>> msa.load_example().inflows("Recycling")
        ['Manufacture => Recycling', 'Collection => Recycling']
        """
        return [n for n, f in self.flows.items() if f.attrs["target"] == process]

    def outflows(self, process: str) -> list[str]:
        """Names of the flows out of ``process``.

        Examples
        --------
        >>> import msa
        >>> msa.load_example().outflows("Exploration")
        ['Exploration => Extraction']
        """
        return [n for n, f in self.flows.items() if f.attrs["source"] == process]

    @property
    def graph(self) -> nx.DiGraph:
        """The process graph: nodes carry :class:`Process` attrs, edges the flow name."""
        import networkx as nx

        graph = nx.DiGraph(name=self.name)
        for pid, proc in self.processes.items():
            graph.add_node(pid, kind=proc.kind, stage=proc.stage, process=proc)
        for name, da in self.flows.items():
            graph.add_edge(da.attrs["source"], da.attrs["target"], flow=name)
        return graph

    def structure_problems(self) -> list[str]:
        """List structural problems: isolated processes and processes cut off from boundaries.

        A process must be reachable from a boundary or stock process and must reach one (a
        stock such as geological reserves can be where material enters the system). Cycles
        (recycling loops) are normal and not reported.

        Examples
        --------
        >>> import msa
        >>> s = msa.load_example()
        >>> s.structure_problems()
        []
        >>> _ = s.add_process("Orphan")
        >>> s.structure_problems()
        ["process 'Orphan' has no flows"]
        """
        import networkx as nx

        graph = self.graph
        problems = []
        boundaries = [p for p, proc in self.processes.items() if proc.kind == "boundary"]
        for pid in sorted(nx.isolates(graph)):
            problems.append(f"process {pid!r} has no flows")
        if not boundaries:
            problems.append("the system has no boundary process (environment, imports, exports)")
            return problems
        # A stock (geological reserves, products in use) can supply or absorb material too.
        ends = boundaries + [p for p, proc in self.processes.items() if proc.kind == "stock"]
        reach_from = set().union(*(nx.descendants(graph, b) | {b} for b in ends))
        reach_to = set().union(*(nx.ancestors(graph, b) | {b} for b in ends))
        cut_off = [p for p in graph if p not in reach_from | reach_to and graph.degree(p) > 0]
        looped = set()
        for loop in nx.strongly_connected_components(graph.subgraph(cut_off)):
            if len(loop) > 1:
                looped |= loop
                names = ", ".join(repr(p) for p in sorted(loop))
                problems.append(
                    f"processes {names} form a closed loop without a stock: nothing enters or "
                    "leaves it (connect it to a boundary or stock process, or remove it)"
                )
        for pid, proc in self.processes.items():
            if proc.kind == "boundary" or graph.degree(pid) == 0 or pid in looped:
                continue
            if pid not in reach_from and proc.kind != "stock":
                problems.append(f"process {pid!r} has no path from any boundary process")
            if pid not in reach_to and proc.kind != "stock":
                problems.append(f"process {pid!r} has no path to any boundary process")
        return problems

    def validate(self) -> None:
        """Raise :class:`DataError` listing every structural problem, if any."""
        problems = self.structure_problems()
        if problems:
            raise DataError(f"system {self.name!r}: " + "; ".join(problems))

    def copy(self) -> System:
        """Return a deep copy (a scenario starts from a copy of the baseline).

        Examples
        --------
        >>> import msa
        >>> base = msa.load_example()
        >>> variant = base.copy()
        >>> variant.attrs["scenario"] = "high recycling"
        >>> "scenario" in base.attrs
        False
        """
        return copy.deepcopy(self)

    def to_netcdf(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the whole system to a NetCDF file without loss (see :func:`msa.read_system`).

        Parameters
        ----------
        path : path-like
            The target file; its folder is created if needed.
        overwrite : bool
            Replace an existing file; without it an existing file raises
            :class:`msa.OutputExistsError`.

        Returns
        -------
        pathlib.Path
            The written file (as :func:`msa.write_netcdf`).

        Examples
        --------
        >>> import tempfile, pathlib, msa
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> msa.load_example().to_netcdf(folder / "example.nc").name
        'example.nc'
        """
        return write_netcdf(self, path, overwrite=overwrite)


def _derived_change_provenance(level: xr.Dataset, initial: xr.Dataset) -> xr.Dataset:
    """Provenance of ``stock[t] - stock[t-1]`` (``stock[first] - initial`` in the first year)."""
    axis = level["source_id"].dims.index("time")
    parts = {}
    fields = ["source_id", "grade"]
    if "clo_grade" in level or "clo_grade" in initial:  # one side ungraded: "" there
        fields.append("clo_grade")
        level, initial = (
            ds if "clo_grade" in ds else ds.assign(clo_grade=xr.full_like(ds["grade"], ""))
            for ds in (level, initial)
        )
    for field in fields:
        now = level[field]
        before = np.concatenate(
            [
                np.expand_dims(
                    initial[field]
                    .broadcast_like(first := now.isel(time=0, drop=True))
                    .transpose(*first.dims)
                    .values,
                    axis,
                ),
                np.take(now.values, range(now.shape[axis] - 1), axis=axis),
            ],
            axis=axis,
        )
        parts[field] = np.stack([now.values, before], axis=-1)
    sid, grade = combine_provenance(parts["source_id"], parts["grade"], axis=-1)
    out = {
        "source_id": level["source_id"].copy(data=sid),
        "grade": level["grade"].copy(data=grade),
    }
    if "clo_grade" in parts:
        clo = worst_grade(parts["clo_grade"], axis=-1, allowed=CLO_GRADES)
        if (clo != "").any():  # all empty is the same as not given
            out["clo_grade"] = level["grade"].copy(data=clo)
    return xr.Dataset(out)


def _kind_of(values: xr.DataArray) -> str:
    """Name what an array holds instead of numbers: text, booleans or Python objects."""
    kind = {"U": "text", "S": "bytes", "b": "booleans", "O": "Python objects"}
    first = plain(values.values.flat[0]) if values.size else None
    return f"{kind.get(values.dtype.kind, str(values.dtype))}, e.g. {first!r}"


def _first_at(values: xr.DataArray, mask: np.ndarray) -> str:
    """Describe the coordinates of the first True cell of ``mask``."""
    idx = np.argwhere(mask)[0]
    items = [values[d].values[i] for d, i in zip(values.dims, idx, strict=True)]
    items = [x.item() if isinstance(x, np.generic) else x for x in items]
    parts = [f"{d}={x!r}" for d, x in zip(values.dims, items, strict=True)]
    return ", ".join(parts) if parts else "(scalar)"
