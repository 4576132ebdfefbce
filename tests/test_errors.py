"""Tests of the exception hierarchy in msa.errors."""

from __future__ import annotations

import pytest

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
