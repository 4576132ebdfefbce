"""Write a :class:`msa.System` as the folder of CSV tables that :mod:`msa.system.tables` reads.

The layout is documented in ``docs/tables.md``; the public door is :func:`msa.to_tables`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd
import xarray as xr

from msa.errors import DataError, MsaWarning, OutputExistsError
from msa.system.core import System
from msa.system.tables import PROCESS_COLUMNS, PROCESS_OPTIONAL, TABLES


def _long(
    da: xr.DataArray, prov: xr.Dataset, dims: tuple[str, ...], keys: dict[str, str]
) -> pd.DataFrame:
    """One row per value of ``da``: key columns, every system dim (None where absent), value.

    The ``clo_grade`` column is ``""`` where the provenance has no CLO grade.
    """
    fields = {"source_id": prov["source_id"], "grade": prov["grade"]}
    fields["clo_grade"] = (
        prov["clo_grade"] if "clo_grade" in prov else xr.full_like(prov["grade"], "")
    )
    frame = (
        xr.Dataset({"value": da.variable, **fields}, coords=da.coords).to_dataframe()
        if da.dims
        else pd.DataFrame(
            {"value": [float(da.values)], **{k: [str(v.values)] for k, v in fields.items()}}
        )
    )
    frame = frame.reset_index(drop=not da.dims)
    for col, val in keys.items():
        frame[col] = val
    for dim in dims:
        if dim not in frame.columns:
            frame[dim] = None
    frame["units"] = da.attrs.get("units", "")
    return frame[
        [
            *keys,
            *[d for d in dims if d != "time"],
            "time",
            "value",
            "units",
            "source_id",
            "grade",
            "clo_grade",
        ]
    ]


def flows_frame(system: System) -> pd.DataFrame:
    """All flows as one long DataFrame (see :func:`msa.to_frame`)."""
    parts = []
    for name, da in system.flows.items():
        part = _long(
            da,
            system.provenance[name],
            system.dims,
            {"flow": name, "source": da.attrs["source"], "target": da.attrs["target"]},
        )
        part["jrc_code"] = da.attrs.get("jrc_code", "")
        part["signed"] = int(da.attrs.get("signed", 0))
        parts.append(part)
    columns = [
        "flow",
        "source",
        "target",
        *[d for d in system.dims if d != "time"],
        "time",
        "value",
        "units",
        "source_id",
        "grade",
        "clo_grade",
        "jrc_code",
        "signed",
    ]
    if not parts:
        return pd.DataFrame(columns=[c for c in columns if c != "clo_grade"])
    frame = pd.concat(parts, ignore_index=True)[columns]
    return _drop_empty_clo(frame)


def _drop_empty_clo(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the optional ``clo_grade`` column when no row gives one."""
    return frame if (frame["clo_grade"] != "").any() else frame.drop(columns="clo_grade")


def _warn_lost(where: str, attrs: dict[str, object], kept: tuple[str, ...]) -> None:
    """Warn that the attrs of ``where`` other than ``kept`` do not fit the tables.

    Called from a table builder called by :func:`write_tables`: the warning names the
    caller of :func:`msa.to_tables` (stacklevel: here, builder, write_tables, to_tables).
    """
    lost = sorted(k for k in attrs if k not in kept)
    if lost:
        warnings.warn(
            f"{where}: attrs {lost} are not written to tables (NetCDF keeps them)",
            MsaWarning,
            stacklevel=5,
        )


def write_tables(system: System, folder: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Write ``system`` as CSV tables (or an .xlsx workbook) that :func:`read_tables` reads."""
    folder = Path(folder)
    workbook = folder.suffix.lower() == ".xlsx"
    _refuse_overwrite(folder, workbook=workbook, overwrite=overwrite)
    # The table builders warn about what does not fit; each is called from here, so that
    # their warnings name the caller of to_tables.
    tables: dict[str, pd.DataFrame] = {
        "system": _system_table(system),
        "processes": _processes_table(system),
        "sources": system.sources.reset_index()[
            ["source_id", *[c for c in system.sources.columns if c != "source_id"]]
        ],
        "dims": pd.DataFrame(
            [(d, item) for d, index in system.coords.items() for item in index],
            columns=["dim", "item"],
        ),
    }
    optional = {
        "flows": _flows_table(system),
        "stocks": _stocks_table(system),
        "parameters": _parameters_table(system),
    }
    tables.update({name: frame for name, frame in optional.items() if frame is not None})
    _blank_missing(tables)
    if workbook:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _atomic(folder, lambda tmp: _write_workbook(tmp, tables))
        return folder
    _write_csv_tables(folder, tables)
    return folder


def _refuse_overwrite(folder: Path, *, workbook: bool, overwrite: bool) -> None:
    """Raise OutputExistsError if writing would replace a file or tables not to be replaced.

    A workbook also needs openpyxl (DataError without it).
    """
    if workbook:
        _check_openpyxl(folder)
        if folder.exists() and not overwrite:
            raise OutputExistsError(
                f"{folder}: exists; pass overwrite=True (or --force) to replace it"
            )
        if folder.is_dir():
            raise OutputExistsError(f"{folder}: is a folder; give a workbook file name")
    elif folder.exists() and not folder.is_dir():
        raise OutputExistsError(f"{folder}: exists and is not a folder")
    present = [] if workbook else [n for n in TABLES if (folder / f"{n}.csv").exists()]
    if present and not overwrite:
        raise OutputExistsError(
            f"{folder}: already holds {', '.join(f'{n}.csv' for n in present)}; pass "
            "overwrite=True (or --force) to replace them"
        )


def _system_table(system: System) -> pd.DataFrame:
    """Return the ``system`` table: the name and every attr as text (warning for non-text)."""
    attrs = {"name": system.name}
    for key, val in system.attrs.items():
        if not isinstance(val, str):
            warnings.warn(
                f"system attr {key!r} ({type(val).__name__}) is written to system.csv as text",
                MsaWarning,
                stacklevel=4,  # here, write_tables, to_tables, its caller
            )
        attrs[str(key)] = str(val)
    return pd.DataFrame({"key": list(attrs), "value": list(attrs.values())})


def _processes_table(system: System) -> pd.DataFrame:
    """Return the ``processes`` table: id, kind, stage and labels of every process."""
    return pd.DataFrame(
        [
            {
                "id": p.id,
                "kind": p.kind,
                "stage": p.stage or "",
                "label_en": p.label_en or "",
                "label_nl": p.label_nl or "",
            }
            for p in system.processes.values()
        ],
        columns=[*PROCESS_COLUMNS, *PROCESS_OPTIONAL],
    )


def _flows_table(system: System) -> pd.DataFrame | None:
    """Return the ``flows`` table (``signed`` only if a flow is signed); None without flows."""
    flows = flows_frame(system).drop(columns="flow")
    for name, da in system.flows.items():
        _warn_lost(f"flow {name!r}", da.attrs, ("source", "target", "units", "signed", "jrc_code"))
    if flows.empty:
        return None
    if not flows["signed"].any():
        flows = flows.drop(columns="signed")
    return flows


def _stocks_table(system: System) -> pd.DataFrame | None:
    """Return the ``stocks`` table (levels, changes, provenance); None without stocks.

    Variables other than ``stock`` and ``stock_change`` do not fit: a warning names them.
    """
    stocks = []
    for pid, ds in system.stocks.items():
        _warn_lost(f"stock of {pid!r}", ds.attrs, ("process", "units"))
        extra = [v for v in ds.data_vars if v not in ("stock", "stock_change")]
        if extra:
            warnings.warn(
                f"stock of {pid!r}: variables {extra} are not written to tables (NetCDF keeps "
                "them)",
                MsaWarning,
                stacklevel=4,  # here, write_tables, to_tables, its caller
            )
        for var, key in (("stock", f"stock {pid}"), ("stock_change", f"stock_change {pid}")):
            # systems built before stock changes had their own provenance share the levels'
            prov = system.provenance.get(key, system.provenance[f"stock {pid}"])
            stocks.append(_long(ds[var], prov, system.dims, {"process": pid, "variable": var}))
    return _drop_empty_clo(pd.concat(stocks, ignore_index=True)) if stocks else None


def _parameters_table(system: System) -> pd.DataFrame | None:
    """Return the ``parameters`` table, or None without parameters."""
    params = [
        _long(da, system.provenance[f"parameter {name}"], system.dims, {"name": name})
        for name, da in system.parameters.items()
    ]
    for name, da in system.parameters.items():
        _warn_lost(f"parameter {name!r}", da.attrs, ("units",))
    return _drop_empty_clo(pd.concat(params, ignore_index=True)) if params else None


def _blank_missing(tables: dict[str, pd.DataFrame]) -> None:
    """Write a missing value (None) in a text column as an empty cell, in place."""
    for frame in tables.values():
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: "" if v is None else v)


def _write_csv_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write one CSV file per table; remove a stale optional table the system does not have."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        target = folder / f"{name}.csv"
        if name not in tables:
            if target.exists():
                target.unlink()  # a stale optional table would be read back
            continue
        _atomic(target, partial(_write_csv, tables[name]))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as CSV, without the index."""
    frame.to_csv(path, index=False)


def _check_openpyxl(path: Path) -> None:
    try:
        import openpyxl  # noqa: F401
    except ImportError as err:
        raise DataError(
            f"{path}: writing Excel needs openpyxl; install it with: pip install 'msa[excel]'"
        ) from err


def _write_workbook(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write one sheet per table, every cell as text (numbers as their exact repr)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name in TABLES:
            if name in tables:
                text = tables[name].map(
                    lambda v: repr(float(v)) if isinstance(v, float) else str(v)
                )
                text.to_excel(writer, sheet_name=name, index=False)


def _atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, then rename over ``target``."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
