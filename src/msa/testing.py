"""Assertions for tests of code that builds or transforms systems.

``assert_balanced`` checks the mass balance; ``assert_systems_equal`` (and ``systems_equal``)
compare two systems completely: name, attrs, coordinates, processes, sources table, flows,
stocks, parameters and provenance, values and attrs alike. Failures raise ``AssertionError``
with the first difference, so they read well in pytest output.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from msa.errors import MassBalanceError
from msa.system.core import System
from msa.system.mass_balance import DEFAULT_ATOL, DEFAULT_RTOL, check_balance

__all__ = ["assert_balanced", "assert_systems_equal", "systems_equal"]


def assert_balanced(
    system: System, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> None:
    """Assert that every non-boundary process of ``system`` balances.

    Parameters
    ----------
    system : System
        The system to check.
    rtol, atol : float
        Tolerances as in :func:`msa.check_balance`.

    Raises
    ------
    AssertionError
        With the :class:`msa.MassBalanceError` message (worst offenders first).

    Examples
    --------
    >>> import msa
    >>> msa.testing.assert_balanced(msa.load_example())
    """
    __tracebackhide__ = True
    try:
        check_balance(system, rtol=rtol, atol=atol)
    except MassBalanceError as err:
        raise AssertionError(str(err)) from err


def _differences(a: System, b: System) -> list[str]:
    """Every difference between ``a`` and ``b``: their structure first, then their contents."""
    return [*_structure_differences(a, b), *_content_differences(a, b)]


def _structure_differences(a: System, b: System) -> list[str]:
    """Differences of name, attrs, dims and coordinates, processes and the sources table."""
    out: list[str] = []
    if a.name != b.name:
        out.append(f"name: {a.name!r} != {b.name!r}")
    if a.attrs != b.attrs:
        out.append(f"attrs: {a.attrs!r} != {b.attrs!r}")
    if a.dims != b.dims:
        out.append(f"dims: {a.dims} != {b.dims}")
    else:
        for dim in a.dims:
            left, right = a.coords[dim], b.coords[dim]
            if list(left) != list(right):
                out.append(f"coords of {dim!r}: {list(left)} != {list(right)}")
    if a.processes != b.processes:
        out.append(f"processes: {a.processes!r} != {b.processes!r}")
    try:
        pd.testing.assert_frame_equal(a.sources, b.sources, check_dtype=False)
    except AssertionError as err:
        out.append(f"sources table: {err}")
    return out


def _content_differences(a: System, b: System) -> list[str]:
    """Differences of the flows, stocks, parameters and provenance (names, values, attrs)."""
    out: list[str] = []
    groups = (
        ("flow", a.flows, b.flows),
        ("stock", a.stocks, b.stocks),
        ("parameter", a.parameters, b.parameters),
        ("provenance of", a.provenance, b.provenance),
    )
    for what, left, right in groups:
        if what == "provenance of" and set(left) == set(right):
            pass  # a lookup table: its insertion order carries no meaning
        elif list(left) != list(right):
            out.append(f"{what} names: {list(left)} != {list(right)}")
            continue
        for key in left:
            try:
                xr.testing.assert_identical(left[key], right[key])
            except AssertionError as err:
                out.append(f"{what} {key!r}: {err}")
    return out


def systems_equal(a: System, b: System) -> bool:
    """Return True if ``a`` and ``b`` are identical (see :func:`assert_systems_equal`).

    Examples
    --------
    >>> import msa
    >>> system = msa.load_example()
    >>> systems_equal(system, system.copy())
    True
    """
    return not _differences(a, b)


def assert_systems_equal(a: System, b: System) -> None:
    """Assert that two systems are identical in every part.

    Compared: name, attrs, dims and coordinate items (in order), processes (id, kind, stage,
    labels), the sources table, and flows, stocks, parameters (names in order) and provenance
    (keys in any order): values, dims, coordinates and attrs via
    :func:`xarray.testing.assert_identical`.

    Raises
    ------
    AssertionError
        Listing every difference found.

    Examples
    --------
    >>> import msa
    >>> a = msa.load_example()
    >>> b = a.copy()
    >>> assert_systems_equal(a, b)
    >>> b.name = "other"
    >>> try:
    ...     assert_systems_equal(a, b)
    ... except AssertionError as err:
    ...     print(err)
    systems differ:
    name: 'example' != 'other'
    """
    __tracebackhide__ = True
    found = _differences(a, b)
    if found:
        raise AssertionError("systems differ:\n" + "\n".join(found))
