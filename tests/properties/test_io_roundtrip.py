"""Property tests of msa.io: any balanced system survives NetCDF and tables round trips."""

from __future__ import annotations

import tempfile
from pathlib import Path

from _systems import balanced_systems
from hypothesis import given

import msa
from msa.testing import assert_systems_equal


@given(balanced_systems(max_processes=3))
def test_netcdf_round_trip_is_identical(system: msa.System) -> None:
    """Values, attrs, provenance, processes and sources survive write_netcdf/read_system."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "system.nc"
        system.to_netcdf(path)
        back = msa.read_system(path)
    assert_systems_equal(back, system)
    msa.check_balance(back)


@given(balanced_systems(max_processes=3, text_attrs=True))
def test_tables_round_trip_is_identical(system: msa.System) -> None:
    """The same holds for to_tables/read_system (empty provenance cells allowed)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = msa.to_tables(system, Path(tmp) / "tables")
        back = msa.read_system(folder, require_provenance=False)
    assert_systems_equal(back, system)
