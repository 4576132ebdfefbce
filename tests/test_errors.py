"""Tests of the exception hierarchy in msa.errors, and of bad API calls raising it."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
import xarray as xr

import msa
from msa import errors

BUILTIN = {
    "ConfigError": ValueError,
    "DataError": ValueError,
    "DimensionError": ValueError,
    "ProvenanceError": ValueError,
    "MassBalanceError": ArithmeticError,
    "LifetimeError": ValueError,
    "StockModelError": ArithmeticError,
    "RenderError": RuntimeError,
    "ModelCodeError": RuntimeError,
    "OutputError": OSError,
    "OutputExistsError": FileExistsError,
}


@pytest.mark.parametrize(("name", "builtin"), sorted(BUILTIN.items()))
def test_each_error_is_an_msa_error_and_its_builtin(name: str, builtin: type) -> None:
    """Every specific error is an MsaError and the builtin it refines."""
    cls = getattr(errors, name)
    assert issubclass(cls, errors.MsaError)
    assert issubclass(cls, builtin)
    with pytest.raises(builtin, match="boom"):
        raise cls("boom")


def test_every_error_in_all_is_covered() -> None:
    """The table above lists every error class exported by msa.errors."""
    exported = {n for n in errors.__all__ if n not in ("MsaError", "MsaWarning")}
    assert exported == set(BUILTIN)


def test_data_subclasses() -> None:
    """Dimension and provenance problems are data errors."""
    assert issubclass(errors.DimensionError, errors.DataError)
    assert issubclass(errors.ProvenanceError, errors.DataError)


def test_warning_and_public_names() -> None:
    """MsaWarning is a UserWarning; every error is reachable as msa.<Name>."""
    assert issubclass(errors.MsaWarning, UserWarning)
    for name in errors.__all__:
        assert getattr(msa, name) is getattr(errors, name)


# --- bad API calls: one msa error naming the argument, never a numpy error or a warning -----
_YEARS = [2020, 2021]


def _series(data: object, years: object = None) -> xr.DataArray:
    return xr.DataArray(data, dims="time", coords={"time": years or _YEARS})


def _system() -> msa.System:
    system = msa.System("api", coords={"time": _YEARS})
    for pid, kind in (("A", "boundary"), ("B", "transformation"), ("C", "boundary")):
        system.add_process(pid, kind=kind)
    return system


BAD_CALLS: dict[str, tuple[Callable[[], object], type[Exception], str]] = {
    "text years": (
        lambda: msa.System("s", coords={"time": ["2020", "2021"]}),
        errors.DimensionError,
        r"time items must be integer years \(got '2020', str\)",
    ),
    "boolean years": (
        lambda: msa.System("s", coords={"time": [True]}),
        errors.DimensionError,
        "got True, bool",
    ),
    "negative year": (
        lambda: msa.System("s", coords={"time": [-5, -4]}),
        errors.DimensionError,
        "time item -5 is not a year between 1000 and 2999",
    ),
    "text flow values": (
        lambda: _system().add_flow("A", "B", _series(["1", "2"]), units="t"),
        errors.DataError,
        r"flow 'A => B': values must be numbers \(got text, e.g. '1'\)",
    ),
    "boolean flow values": (
        lambda: _system().add_flow("A", "B", _series([True, False]), units="t"),
        errors.DataError,
        r"flow 'A => B': values must be numbers \(got booleans, e.g. True\)",
    ),
    "flow dim without coordinates": (
        lambda: _system().add_flow("A", "B", xr.DataArray([1.0, 2.0], dims="time"), units="t"),
        errors.DimensionError,
        "dim 'time' has no coordinate labels",
    ),
    "text parameter": (
        lambda: _system().add_parameter("p", _series(["a", "b"]), units="1"),
        errors.DataError,
        "parameter 'p': values must be numbers",
    ),
    "lifetime as a string": (
        lambda: msa.inflow_driven(_series([1.0, 2.0]), "weibull"),  # type: ignore[arg-type]
        errors.LifetimeError,
        r"lifetime must be an msa lifetime .* \(got str 'weibull'\)",
    ),
    "lifetime as a number (stock-driven)": (
        lambda: msa.stock_driven(_series([1.0, 2.0]), 10),  # type: ignore[arg-type]
        errors.LifetimeError,
        r"\(got int 10\)",
    ),
    "text inflow years": (
        lambda: msa.inflow_driven(_series([1.0, 2.0], ["2020", "2021"]), msa.FixedLifetime(2)),
        errors.DimensionError,
        "inflow: time labels must be integer years",
    ),
    "text inflow": (
        lambda: msa.inflow_driven(_series(["1", "2"]), msa.FixedLifetime(2)),
        errors.DataError,
        "inflow: values must be numbers",
    ),
    "boolean inflow": (
        lambda: msa.inflow_driven(_series([True, True]), msa.FixedLifetime(2)),
        errors.DataError,
        "inflow: values must be numbers",
    ),
    "inflow without time labels": (
        lambda: msa.inflow_driven(xr.DataArray([1.0, 2.0], dims="time"), msa.FixedLifetime(2)),
        errors.DimensionError,
        "the 'time' dim needs coordinate labels",
    ),
    "inflow overflowing the stock": (
        lambda: msa.inflow_driven(_series([1e308, 1e308]), msa.WeibullLifetime(2.0, 10.0)),
        errors.StockModelError,
        "stock overflows to inf at time=2021",
    ),
    "text lifetime parameter": (
        lambda: msa.WeibullLifetime(shape=xr.DataArray(["2"]), scale=10.0),
        errors.LifetimeError,
        "shape must hold numbers",
    ),
    "lifetime parameter without coordinates": (
        lambda: msa.FixedLifetime(xr.DataArray([2.0, 3.0], dims="region")),
        errors.LifetimeError,
        "mean has dim 'region' without coordinate labels",
    ),
    "text survival years": (
        lambda: msa.survival_matrix(msa.FixedLifetime(2), np.array(["2020", "2021"])),
        errors.DimensionError,
        "must be integer years",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_api_call_is_a_named_msa_error(case: str) -> None:
    """A bad argument raises its msa error (no numpy TypeError, no RuntimeWarning)."""
    call, error, match = BAD_CALLS[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow must not pass as a RuntimeWarning
        with pytest.raises(error, match=match):
            call()


def test_a_scalar_lifetime_error_shows_no_coordinates() -> None:
    """A scalar parameter at fault is shown as a number, without '(scalar)'."""
    with pytest.raises(errors.LifetimeError, match=r"shape must be > 0 \(got -1.0\)$"):
        msa.WeibullLifetime(shape=-1.0, scale=3.0)
