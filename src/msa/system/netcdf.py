"""Write a System to one NetCDF-4 file, losslessly (names, dims, units, attrs, provenance).

The reading half is :func:`msa.system.io.read_netcdf`; it needs the System class, which this
module does not import at run time, so :meth:`msa.System.to_netcdf` can use it without a cycle.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError, OutputExistsError

if TYPE_CHECKING:
    from msa.system.core import System

__all__ = ["FORMAT", "write_netcdf"]

#: Value of the ``msa_format`` global attribute of a NetCDF file written by msa.
FORMAT = "msa-system/1"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value).__name__)


def _dump(value: object, where: str) -> str:
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as err:
        raise DataError(
            f"{where}: cannot store {value!r} in NetCDF ({err}); use text, numbers, lists or "
            "dicts in attrs"
        ) from err


def _coord_values(index: pd.Index) -> np.ndarray:
    values = index.to_numpy()
    return values.astype(object) if values.dtype.kind in "OUS" else values


def _to_dataset(system: System) -> xr.Dataset:
    """Encode ``system`` as one Dataset with NetCDF-safe variable names and JSON metadata."""
    # keyed by dim: the system's, then the renamed dims of stock variables (Hashable in xarray)
    coords: dict[Hashable, tuple[Hashable, np.ndarray]] = {
        d: (d, _coord_values(i)) for d, i in system.coords.items()
    }
    data: dict[str, xr.Variable] = {}
    role_of: dict[str, str] = {}

    def put(name: str, da: xr.DataArray, attrs: dict[str, object]) -> None:
        var = da.variable.copy()
        var.attrs = attrs
        data[name] = var

    for i, (name, da) in enumerate(system.flows.items()):
        var = f"flow{i}_{_safe(da.attrs['source'])}_to_{_safe(da.attrs['target'])}"
        put(
            var,
            da,
            {
                "msa_role": "flow",
                "msa_index": i,
                "msa_name": name,
                "units": str(da.attrs.get("units", "")),
                "msa_attrs": _dump(da.attrs, f"flow {name!r}"),
            },
        )
        role_of[name] = var
    for j, (pid, ds) in enumerate(system.stocks.items()):
        base = f"stock{j}_{_safe(pid)}"
        role_of[f"stock {pid}"] = f"{base}__stock"
        role_of[f"stock_change {pid}"] = f"{base}__stock_change"
        for k, (key, arr) in enumerate(ds.data_vars.items()):
            where = f"stock of {pid!r} ({key})"
            extra = [c for c in arr.coords if c not in arr.dims]
            if extra:
                raise DataError(f"{where}: non-dimension coordinates {extra} cannot be stored")
            renamed = (
                arr
                if key in ("stock", "stock_change")
                else arr.rename({d: f"{base}__{_safe(str(key))}__{d}" for d in arr.dims})
            )
            for dim in renamed.dims:
                if dim not in coords and dim in renamed.coords:
                    coords[dim] = (dim, _coord_values(renamed.indexes[dim]))
            put(
                f"{base}__{_safe(str(key))}",
                renamed,
                {
                    "msa_role": "stock",
                    "msa_index": j,
                    "msa_order": k,
                    "msa_process": pid,
                    "msa_variable": str(key),
                    "msa_dims": _dump(list(arr.dims), where),
                    "units": str(arr.attrs.get("units", "")),
                    "msa_attrs": _dump(arr.attrs, where),
                    "msa_stock_attrs": _dump(ds.attrs, f"stock of {pid!r}"),
                },
            )
    for k, (name, da) in enumerate(system.parameters.items()):
        var = f"param{k}_{_safe(name)}"
        put(
            var,
            da,
            {
                "msa_role": "parameter",
                "msa_index": k,
                "msa_name": name,
                "units": str(da.attrs.get("units", "")),
                "msa_attrs": _dump(da.attrs, f"parameter {name!r}"),
            },
        )
        role_of[f"parameter {name}"] = var
    for m, (key, prov) in enumerate(system.provenance.items()):
        base = role_of.get(key, f"prov{m}_{_safe(key)}")
        for field in prov.data_vars:  # source_id, grade and the optional clo_grade
            arr = prov[field]
            put(
                f"{base}__{field}",
                arr.astype(str),
                {
                    "msa_role": "provenance",
                    "msa_index": m,
                    "msa_key": key,
                    "msa_field": field,
                },
            )
    sources = system.sources.reset_index()
    attrs = {
        "msa_format": FORMAT,
        "msa_name": system.name,
        "title": system.name,
        "msa_dims": _dump(list(system.dims), "system dims"),
        "msa_attrs": _dump(system.attrs, "system attrs"),
        "msa_processes": _dump([vars(p) for p in system.processes.values()], "processes"),
        "msa_sources": _dump(
            {"columns": list(sources.columns), "rows": sources.to_numpy().tolist()}, "sources"
        ),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_netcdf(system: System, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the whole ``system`` to a NetCDF-4 file that :func:`~msa.system.io.read_netcdf` reads.

    Flows are stored as variables with safe names (``flow0_Mine_to_Factory``) and their real
    name, source, target and attrs in attributes; provenance as string variables
    (``<var>__source_id``, ``<var>__grade``); processes, sources table, dims and system attrs as
    JSON global attributes. The file is written to a temporary name and renamed into place.

    Parameters
    ----------
    system : System
        The system to write.
    path : path-like
        The target file; its folder is created if needed.
    overwrite : bool
        Replace an existing file. Without it an existing file raises
        :class:`msa.OutputExistsError`.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, msa
    >>> path = write_netcdf(msa.load_example(), pathlib.Path(tempfile.mkdtemp()) / "e.nc")
    >>> msa.read_system(path).provenance["Use => Collection"]["grade"].values[0, 0]
    'D'
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: exists; pass overwrite=True (or --force) to replace it")
    if path.is_dir():
        raise OutputExistsError(f"{path}: is a folder; give a file name ending in .nc")
    dataset = _to_dataset(system)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        dataset.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
