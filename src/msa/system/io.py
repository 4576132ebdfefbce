"""Tables in, NetCDF out: read a System from tables or NetCDF, write it back without loss.

* :func:`read_system` reads a folder of CSV tables, an Excel workbook (``pip install
  'msa[excel]'``) or a NetCDF file written by :func:`write_netcdf`.
* :func:`write_netcdf` (also :meth:`msa.System.to_netcdf`) writes the whole system: names, dims,
  units, attrs, process labels/stages/kinds, the sources table and per-value provenance.
* :func:`to_tables` writes the folder-of-tables layout (or an ``.xlsx`` workbook) that
  :func:`read_system` reads back; :func:`to_frame` returns all flows as one tidy DataFrame.

The table layout is documented in ``docs/tables.md``. Every reading problem is an
:class:`msa.DataError` (or subclass) naming the file, row and column; nothing is dropped or
filled in silently. Writers refuse to overwrite unless ``overwrite=True`` and write through a
temporary file that is renamed into place, so a failed write never leaves a half file.

Examples
--------
>>> import tempfile, pathlib, msa
>>> system = msa.load_example()
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = system.to_netcdf(folder / "example.nc")
>>> msa.testing.assert_systems_equal(msa.read_system(path), system)
>>> _ = msa.to_tables(system, folder / "tables")
>>> msa.testing.assert_systems_equal(msa.read_system(folder / "tables"), system)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError
from msa.system._tables_write import flows_frame, write_tables
from msa.system.core import Process, System
from msa.system.netcdf import FORMAT, write_netcdf
from msa.system.tables import read_tables

__all__ = [
    "FORMAT",
    "read_netcdf",
    "read_system",
    "read_tables",
    "to_frame",
    "to_tables",
    "write_netcdf",
]

_NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")


def read_system(path: str | os.PathLike[str], *, require_provenance: bool = True) -> System:
    """Read a System from a NetCDF file, a folder of CSV tables or an Excel workbook.

    Parameters
    ----------
    path : path-like
        A NetCDF file written by :func:`write_netcdf`, a folder holding ``processes.csv``,
        ``sources.csv``, ``flows.csv`` ... (see ``docs/tables.md``), or an ``.xlsx`` workbook
        with one sheet per table.
    require_provenance : bool
        For tables: every value row must give a ``source_id`` and a ``grade`` (default). Pass
        False to accept empty cells (values without provenance).

    Returns
    -------
    System

    Raises
    ------
    DataError
        Malformed input, naming file, row and column; subclasses :class:`msa.DimensionError`
        and :class:`msa.ProvenanceError` for coordinate and source/grade problems.

    Examples
    --------
    >>> import msa
    >>> from importlib.resources import files
    >>> msa.read_system(files("msa") / "data" / "example").name
    'example'
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_tables(path, require_provenance=require_provenance)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    return read_netcdf(path)


def to_tables(system: System, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``system`` as a folder of CSV tables (or an Excel workbook) that reads back.

    Writes ``system.csv``, ``processes.csv``, ``sources.csv``, ``dims.csv``, ``flows.csv`` and,
    where the system has them, ``stocks.csv`` and ``parameters.csv`` (long form). Flow attrs
    other than units, ``signed`` and ``jrc_code``, stock variables other than ``stock`` and
    ``stock_change``, and non-text system attrs do not fit the tables: an
    :class:`msa.MsaWarning` names them (NetCDF keeps everything).

    Parameters
    ----------
    system : System
        The system to write.
    folder : path-like
        Target folder; created if needed. A path ending in ``.xlsx`` writes one workbook with
        a sheet per table instead (cells as text, numbers exact; needs
        ``pip install 'msa[excel]'``).
    overwrite : bool
        Replace existing tables. Without it an existing table (or workbook) raises
        :class:`msa.OutputExistsError`.

    Returns
    -------
    pathlib.Path
        The folder (or workbook).

    Examples
    --------
    >>> import tempfile, pathlib, msa
    >>> folder = msa.to_tables(msa.load_example(), pathlib.Path(tempfile.mkdtemp()) / "tables")
    >>> sorted(p.stem for p in folder.glob("*.csv"))
    ['dims', 'flows', 'parameters', 'processes', 'sources', 'stocks', 'system']
    """
    return write_tables(system, folder, overwrite=overwrite)


def to_frame(system: System) -> pd.DataFrame:
    """Return every flow as one tidy DataFrame, one row per value.

    Columns: ``flow``, ``source``, ``target``, every system dim (None where a flow lacks that
    dim), ``value``, ``units``, ``source_id``, ``grade``, ``clo_grade`` (only when some value
    has a CLO grade), ``jrc_code``, ``signed``.

    Examples
    --------
    >>> import msa
    >>> frame = msa.to_frame(msa.load_example())
    >>> list(frame.columns[:5])
    ['flow', 'source', 'target', 'material', 'time']
    >>> row = frame.query("flow == 'Use => Collection' and material == 'Co' and time == 2019")
    >>> row["value"].item()
    40.0
    """
    return flows_frame(system)


def _with_attrs(arr: xr.DataArray, attrs: dict[str, object]) -> xr.DataArray:
    out = arr.copy()
    out.attrs = attrs
    return out


def _strings(arr: xr.DataArray) -> xr.DataArray:
    out = arr.copy()
    out.values = np.asarray(arr.values).astype(str).astype(object).reshape(arr.shape)
    return out


def read_netcdf(path: str | os.PathLike[str]) -> System:
    """Read a System from a NetCDF file written by :func:`write_netcdf`.

    Every value passes the same validation as when the system was built, so a damaged or
    hand-edited file raises :class:`msa.DataError` (naming the file) rather than loading
    inconsistent data.

    Examples
    --------
    >>> import tempfile, pathlib, msa
    >>> path = msa.load_example().to_netcdf(pathlib.Path(tempfile.mkdtemp()) / "e.nc")
    >>> read_netcdf(path)
    <msa.System 'example' (time: 5, material: 2); 12 processes, 22 flows, 2 stocks, 1 parameters>
    """
    path = Path(path)
    try:
        with xr.open_dataset(path, engine="netcdf4") as handle:
            ds = handle.load()
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: cannot read as NetCDF ({err})") from err
    if ds.attrs.get("msa_format") != FORMAT:
        raise DataError(
            f"{path}: not an msa system file (global attribute msa_format is "
            f"{ds.attrs.get('msa_format')!r}, expected {FORMAT!r}); write it with "
            "System.to_netcdf"
        )
    try:
        return _from_dataset(ds)
    except DataError as err:
        raise type(err)(f"{path}: {err}") from err
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: damaged msa metadata ({err!r})") from err


class _Provenance(TypedDict):
    """The provenance arrays of one quantity as stored in the file (None where absent)."""

    source_id: xr.DataArray | None
    grade: xr.DataArray | None
    clo_grade: xr.DataArray | None


def _from_dataset(ds: xr.Dataset) -> System:
    """Rebuild the System that :func:`write_netcdf` encoded as ``ds``."""
    system = _skeleton(ds)
    prov, order = _provenance(ds)
    _add_flows(system, ds, prov)
    _add_stocks(system, ds, prov)
    _add_parameters(system, ds, prov)
    _restore_provenance(system, prov, order)
    return system


def _skeleton(ds: xr.Dataset) -> System:
    """Return the System with its name, coords, sources, attrs and processes, no quantities."""
    dims = json.loads(ds.attrs["msa_dims"])
    coords = {}
    for dim in dims:
        values = ds[dim].values
        coords[dim] = values.astype(object).tolist() if values.dtype.kind in "OUS" else values
    src = json.loads(ds.attrs["msa_sources"])
    sources = pd.DataFrame(src["rows"], columns=src["columns"], dtype=object)
    system = System(
        ds.attrs["msa_name"],
        coords=coords,
        sources=sources.astype(str),
        attrs=json.loads(ds.attrs["msa_attrs"]),
    )
    for rec in json.loads(ds.attrs["msa_processes"]):
        system.add_process(Process(**rec))
    return system


def _by_role(ds: xr.Dataset, role: str) -> list[xr.DataArray]:
    """Return the variables of ``ds`` with ``role`` (flow, stock ...) in the order written."""
    found = [v for v in ds.data_vars.values() if v.attrs.get("msa_role") == role]
    return sorted(
        found,
        key=lambda v: (int(v.attrs["msa_index"]), int(v.attrs.get("msa_order", 0))),
    )


def _provenance(ds: xr.Dataset) -> tuple[dict[str, dict[str, xr.DataArray]], list[str]]:
    """Return the provenance fields by quantity key, and the keys in the file's order."""
    prov: dict[str, dict[str, xr.DataArray]] = {}
    order: list[str] = []
    for arr in _by_role(ds, "provenance"):
        key = str(arr.attrs["msa_key"])
        if key not in prov:
            order.append(key)
        prov.setdefault(key, {})[str(arr.attrs["msa_field"])] = _strings(_with_attrs(arr, {}))
    return prov, order


def _given(prov: dict[str, dict[str, xr.DataArray]], key: str) -> _Provenance:
    """Return the provenance arrays the file gives for quantity ``key``."""
    fields = prov.get(key, {})
    return {
        "source_id": fields.get("source_id"),
        "grade": fields.get("grade"),
        "clo_grade": fields.get("clo_grade"),
    }


def _add_flows(system: System, ds: xr.Dataset, prov: dict[str, dict[str, xr.DataArray]]) -> None:
    """Add the flows of the file, with their attrs and provenance."""
    for arr in _by_role(ds, "flow"):
        attrs = json.loads(arr.attrs["msa_attrs"])
        rest = {k: v for k, v in attrs.items() if k not in ("source", "target", "signed")}
        system.add_flow(
            attrs["source"],
            attrs["target"],
            _with_attrs(arr, {}),
            units=str(attrs["units"]),
            signed=bool(attrs.get("signed", 0)),
            attrs=rest,
            **_given(prov, str(arr.attrs["msa_name"])),
        )


def _add_stocks(system: System, ds: xr.Dataset, prov: dict[str, dict[str, xr.DataArray]]) -> None:
    """Add the stocks of the file: variables with their original dims, attrs, provenance."""
    stocks: dict[str, dict[str, xr.DataArray]] = {}
    stock_attrs: dict[str, dict[str, object]] = {}
    for arr in _by_role(ds, "stock"):
        pid = str(arr.attrs["msa_process"])
        original = _with_attrs(arr, json.loads(arr.attrs["msa_attrs"]))
        names = json.loads(arr.attrs["msa_dims"])
        original = original.rename(dict(zip(arr.dims, names, strict=True)))
        stocks.setdefault(pid, {})[str(arr.attrs["msa_variable"])] = original
        stock_attrs[pid] = json.loads(arr.attrs["msa_stock_attrs"])
    for pid, parts in stocks.items():
        ds_attrs = stock_attrs[pid]
        units = str(ds_attrs.pop("units"))
        ds_attrs.pop("process", None)
        change = _given(prov, f"stock_change {pid}")
        system.add_stock(
            pid,
            parts.pop("stock"),
            stock_change=parts.pop("stock_change"),
            units=units,
            extra=parts or None,
            attrs=ds_attrs,
            **_given(prov, f"stock {pid}"),
            change_source_id=change["source_id"],
            change_grade=change["grade"],
            change_clo_grade=change["clo_grade"],
        )


def _add_parameters(
    system: System, ds: xr.Dataset, prov: dict[str, dict[str, xr.DataArray]]
) -> None:
    """Add the parameters of the file, with their attrs and provenance."""
    for arr in _by_role(ds, "parameter"):
        attrs = json.loads(arr.attrs["msa_attrs"])
        units = attrs.pop("units")
        name = str(arr.attrs["msa_name"])
        system.add_parameter(
            name,
            _with_attrs(arr, {}),
            units=units,
            attrs=attrs,
            **_given(prov, f"parameter {name}"),
        )


def _restore_provenance(
    system: System, prov: dict[str, dict[str, xr.DataArray]], order: list[str]
) -> None:
    """Keep provenance no quantity claimed, and put the keys in the file's order."""
    for key in order:
        if key not in system.provenance:
            system.provenance[key] = xr.Dataset(prov[key])
    # the file's order first; keys the file predates (stock_change provenance) after it
    system.provenance = {
        **{key: system.provenance[key] for key in order},
        **{k: v for k, v in system.provenance.items() if k not in order},
    }
