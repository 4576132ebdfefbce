"""How error messages show values and name the cell at fault, the same way across msa.

:func:`plain` shows a value as the Python scalar it holds (``-3.0``, ``'NL'``, never
``np.float64(-3.0)``); :func:`locate` names the cell of an array where a rule is broken
(``at region='NL', time=2021``). File, row and column of a table cell are named by the table
readers (:mod:`msa.system.tables`, :mod:`msa.model.inputs`), which know the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["locate", "plain"]


def plain(value: object) -> object:
    """Return a numpy scalar as the Python scalar it holds; any other value unchanged.

    Every message shows values through this helper (usually as ``{plain(v)!r}``), so a user reads
    ``-3.0`` or ``'NL'`` and never a numpy type name.

    Parameters
    ----------
    value : object
        A value taken from an array, a table cell or a coordinate.

    Returns
    -------
    object
        ``value.item()`` for a numpy scalar, else ``value``.

    Examples
    --------
    >>> import numpy as np
    >>> repr(plain(np.float64(-3)))
    '-3.0'
    >>> plain("NL")
    'NL'
    """
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value


def locate(da: xr.DataArray, mask: np.ndarray) -> str:
    """Name the first cell of ``da`` where ``mask`` is True, by its coordinates.

    Parameters
    ----------
    da : xarray.DataArray
        The array at fault; dims without a coordinate are named by position.
    mask : numpy.ndarray of bool
        Same shape as ``da``; True where a rule is broken. At least one cell must be True.

    Returns
    -------
    str
        ``"at dim=label, ..."`` for the first True cell in C order, ``"(scalar)"`` for a
        zero-dimensional array.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray([[1.0, -2.0]], coords={"region": ["NL"], "time": [2020, 2021]})
    >>> locate(da, da.values < 0)
    "at region='NL', time=2021"
    """
    if da.ndim == 0:
        return "(scalar)"
    index = np.argwhere(mask)[0]
    parts = []
    for dim, i in zip(da.dims, index, strict=True):
        label = da[dim].values[i] if dim in da.coords else i
        parts.append(f"{dim}={plain(label)!r}")
    return "at " + ", ".join(parts)
