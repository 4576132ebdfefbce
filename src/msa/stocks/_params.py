"""Validation and alignment of lifetime parameters (xarray in, checked numpy out).

Private to :mod:`msa.stocks`: these helpers turn a parameter into a float DataArray, refuse
non-finite or out-of-range values with a :class:`msa.LifetimeError` naming the coordinates, and
select the labels a stock model needs.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import LifetimeError
from msa.messages import locate, plain

_RULES = {
    "positive": (np.greater, "> 0"),
    "nonnegative": (np.greater_equal, ">= 0"),
}


def as_param(owner: str, name: str, value: object, rule: str | None) -> xr.DataArray:
    """Return ``value`` as a float DataArray, validated by ``rule``; raise LifetimeError."""
    if isinstance(value, xr.DataArray):
        if value.dtype.kind not in "iuf":
            raise LifetimeError(
                f"{owner}: {name} must hold numbers (got dtype {value.dtype}, e.g. "
                f"{plain(value.values.flat[0]) if value.size else None!r})"
            )
        da = value.astype(float)
    elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        da = xr.DataArray(float(value))
    else:
        raise LifetimeError(
            f"{owner}: {name} must be a number or an xarray.DataArray (got {type(value).__name__})"
        )
    da.name = name
    for dim in da.dims:
        if dim not in da.coords and dim != "age":
            raise LifetimeError(f"{owner}: {name} has dim {dim!r} without coordinate labels")
    data = da.values
    bad = ~np.isfinite(data)
    if bad.any():
        raise LifetimeError(f"{owner}: {name} must be finite (got {_shown(da, bad)})")
    if rule is not None:
        test, text = _RULES[rule]
        bad = ~test(data, 0.0)
        if bad.any():
            raise LifetimeError(f"{owner}: {name} must be {text} (got {_shown(da, bad)})")
    return da


def _shown(da: xr.DataArray, bad: np.ndarray) -> str:
    """Return the first bad value, and where it is unless ``da`` is a scalar."""
    value = repr(plain(da.values[bad][0] if da.ndim else da.values))
    return f"{value} {locate(da, bad)}" if da.ndim else value


def aligned(values: xr.DataArray | np.ndarray | float, dims: tuple[Hashable, ...]) -> np.ndarray:
    """Return the data of ``values`` as an array over ``dims`` (size 1 where a dim is absent)."""
    if not isinstance(values, xr.DataArray):
        return np.asarray(values, dtype=float)
    missing = [d for d in dims if d not in values.dims]
    if missing:
        values = values.expand_dims(missing)
    return np.asarray(values.transpose(*dims).data, dtype=float)


def conform(
    values: xr.DataArray, coords: Mapping[Any, object], lifetime: object, name: str
) -> xr.DataArray:
    """Select the labels of ``coords`` from ``values`` for the dims they share.

    ``coords`` maps dim names to labels: a dict, or the ``coords`` of a DataArray (whose keys
    are typed ``Hashable``, hence the ``Any`` key type, as xarray's own ``coords`` arguments).

    Raises
    ------
    LifetimeError
        If ``values`` lacks a label that ``coords`` needs (naming the dim and the labels).
    """
    indexers = {}
    for dim in values.dims:
        if dim in coords and dim != "age":
            want = pd.Index(np.asarray(coords[dim]))
            have = pd.Index(values[dim].values)
            if have.equals(want):
                continue
            missing = want.difference(have)
            if len(missing):
                raise LifetimeError(
                    f"{type(lifetime).__name__}: {name} has no value for {dim} "
                    f"{list(missing)[:5]} (it covers {list(have)[:3]}...{list(have)[-2:]}); "
                    f"give a value for every {dim} the stock model needs"
                )
            indexers[dim] = want
    return values.sel(indexers) if indexers else values
