"""The System: processes, flows, stocks and parameters over shared dims, in mass balance.

Owns the data model and everything that reads, writes, checks or regroups a System:

* :mod:`~msa.system.core` -- :class:`~msa.system.core.Process`, :class:`~msa.system.core.System`;
* :mod:`~msa.system.mass_balance` -- residuals per process and year, :func:`check_balance`;
* :mod:`~msa.system.provenance` -- sources tables, grades and per-value provenance;
* :mod:`~msa.system.dims` and :mod:`~msa.system.dim_tables` -- classifications, concordances,
  hierarchies and their CSV files; :mod:`~msa.system.aggregation` regroups a whole System;
* :mod:`~msa.system.tables`, :mod:`~msa.system.netcdf`, :mod:`~msa.system.io` -- the folder of
  CSV tables (or Excel workbook) and the NetCDF file a System is read from and written to;
* :mod:`~msa.system.example` -- the small balanced example used in docs and tests.

This package imports nothing from the rest of msa but :mod:`msa.errors` and :mod:`msa.messages`.
"""

# first: xarray then wraps arrays without importing dask or pint (msa.system._duck_arrays)
from msa.system import _duck_arrays  # noqa: F401
from msa.system.aggregation import aggregate_system
from msa.system.core import PROCESS_KINDS, Process, System, flow_name, split_flow_name
from msa.system.dim_tables import (
    load_classification,
    load_concordance,
    load_hierarchy,
    read_classification,
    read_concordance,
)
from msa.system.dims import Classification, Concordance, Hierarchy, aggregate, disaggregate
from msa.system.example import load_example
from msa.system.io import read_netcdf, read_system, to_frame, to_tables
from msa.system.mass_balance import Offender, balance, check_balance, offenders, throughput
from msa.system.netcdf import write_netcdf
from msa.system.provenance import (
    CLO_GRADES,
    GRADES,
    combine_provenance,
    make_sources,
    worst_grade,
)
from msa.system.tables import read_tables

__all__ = [
    "CLO_GRADES",
    "GRADES",
    "PROCESS_KINDS",
    "Classification",
    "Concordance",
    "Hierarchy",
    "Offender",
    "Process",
    "System",
    "aggregate",
    "aggregate_system",
    "balance",
    "check_balance",
    "combine_provenance",
    "disaggregate",
    "flow_name",
    "load_classification",
    "load_concordance",
    "load_example",
    "load_hierarchy",
    "make_sources",
    "offenders",
    "read_classification",
    "read_concordance",
    "read_netcdf",
    "read_system",
    "read_tables",
    "split_flow_name",
    "throughput",
    "to_frame",
    "to_tables",
    "worst_grade",
    "write_netcdf",
]
