"""Tests of msa.balance: residuals, throughput and the strict balance check."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import msa
from msa.errors import ConfigError, DataError, MassBalanceError
from msa.system.core import System
from msa.system.mass_balance import offenders

YEARS = [2020, 2021]


def _da(values: list[float], **coords: list[object]) -> xr.DataArray:
    coords = {"time": YEARS, **coords}
    return xr.DataArray(
        np.reshape(values, [len(v) for v in coords.values()]), dims=list(coords), coords=coords
    )


def _chain(out: list[float]) -> System:
    """Mine -> Plant -> Market with Plant's outflow ``out`` (inflow 10 each year)."""
    s = System("chain", coords={"time": YEARS, "material": ["Co", "Li"]})
    s.add_process("Mine", kind="boundary")
    s.add_process("Plant")
    s.add_process("Market", kind="boundary")
    s.add_flow("Mine", "Plant", _da([6.0, 4.0, 6.0, 4.0], material=["Co", "Li"]), units="t")
    s.add_flow("Plant", "Market", _da(out), units="t")
    return s


def test_balanced_chain_has_zero_residual() -> None:
    """A by-material inflow balances against a total outflow at the total level."""
    s = _chain([10.0, 10.0])
    res = msa.balance(s)
    assert list(res.data_vars) == ["Plant"]
    assert res["Plant"].dims == ("time",)
    assert float(abs(res["Plant"]).max()) == 0.0
    assert res["Plant"].attrs["units"] == "t"
    msa.check_balance(s)


def test_residual_and_throughput_values() -> None:
    """Residual = in - out; throughput = max(in, out)."""
    s = _chain([7.0, 12.0])
    np.testing.assert_array_equal(msa.balance(s)["Plant"].values, [3.0, -2.0])
    np.testing.assert_array_equal(msa.throughput(s)["Plant"].values, [10.0, 12.0])


def test_stock_change_enters_the_balance() -> None:
    """Inflows - outflows - stock change = 0 for a stock process."""
    s = System("stock", coords={"time": YEARS})
    s.add_process("Mine", kind="boundary")
    s.add_process("Use", kind="stock")
    s.add_process("Waste", kind="boundary")
    s.add_flow("Mine", "Use", _da([10.0, 10.0]), units="t")
    s.add_flow("Use", "Waste", _da([4.0, 12.0]), units="t")
    s.add_stock("Use", _da([106.0, 104.0]), initial_stock=100.0, units="t")
    assert float(abs(msa.balance(s)["Use"]).max()) == 0.0
    # depletion counts as input: throughput = max(10 + 2, 12) = 12 in 2021
    np.testing.assert_array_equal(msa.throughput(s)["Use"].values, [10.0, 12.0])


def test_check_balance_names_process_and_year() -> None:
    """The error names the worst process, year, residual and the process's flows."""
    s = _chain([10.0, 9.0])
    with pytest.raises(MassBalanceError, match=r"process 'Plant' year 2021: residual 1 t") as info:
        msa.check_balance(s)
    assert "Flows of 'Plant': Mine => Plant, Plant => Market" in str(info.value)
    assert [o.year for o in info.value.offenders] == [2021]


def test_offenders_worst_first_and_coords() -> None:
    """Offenders are sorted by relative residual and carry their coordinates."""
    s = msa.load_example()
    s.flows["Use => Collection"].loc[{"time": 2021, "material": "Li"}] += 5.0
    found = offenders(s)
    assert [(o.process, o.year, o.coords) for o in found] == [
        ("Collection", 2021, {"material": "Li"}),
        ("Use", 2021, {"material": "Li"}),
    ]
    assert str(found[0]).startswith("process 'Collection' year 2021 [material='Li']: residual 5 t")


def test_tolerances() -> None:
    """Tolerance rtol is relative to throughput, atol absorbs rounding; negatives fail."""
    s = _chain([10.0, 9.99])
    with pytest.raises(MassBalanceError):
        msa.check_balance(s)
    msa.check_balance(s, rtol=1e-2)
    msa.check_balance(s, atol=0.011)
    with pytest.raises(ConfigError, match="tolerances must be >= 0"):
        msa.check_balance(s, rtol=-1.0)


def test_max_report_limits_message() -> None:
    """Only max_report offenders are listed; the message says how many more."""
    s = _chain([1.0, 2.0])
    with pytest.raises(MassBalanceError, match=r"in 2 cell\(s\).*\(and 1 more\)"):
        msa.check_balance(s, max_report=1)


def test_mixed_units_is_an_error() -> None:
    """A process whose flows have different units cannot be balanced."""
    s = System("units", coords={"time": YEARS})
    for pid, kind in (("A", "boundary"), ("B", "transformation"), ("C", "boundary")):
        s.add_process(pid, kind=kind)  # type: ignore[arg-type]
    s.add_flow("A", "B", _da([1.0, 1.0]), units="t")
    s.add_flow("B", "C", _da([1000.0, 1000.0]), units="kg")
    with pytest.raises(DataError, match=r"process 'B' mixes units \['kg', 't'\]"):
        msa.balance(s)


def test_example_is_balanced() -> None:
    """The shipped example balances exactly in every process and year."""
    res = msa.balance(msa.load_example())
    assert len(res.data_vars) == 7
    for pid in res.data_vars:
        assert float(abs(res[pid]).max()) == 0.0
