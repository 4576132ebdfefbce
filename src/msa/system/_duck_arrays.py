"""Keep xarray from importing dask and pint only to learn that an array is not theirs.

xarray checks every array it wraps against the array types of the optional libraries it
supports (``isinstance(data, array_type("dask"))`` in ``as_compatible_data``, ``"pint"`` in
``to_numpy``), and finds those types by importing the library the first time it asks. Where
dask is installed (msa's ``dask`` extra), the first DataArray a process makes therefore imports
``dask.array`` and, through it, ``scipy.sparse``; the first index it builds imports pint: about
0.4 s on an idle machine, 1 s under load, on every ``msa`` command, although no dask array or
pint quantity ever appears in it.

An object can be a dask array or a pint quantity only once its library is imported (its class
exists only then). :func:`defer_duck_array_imports`, called when :mod:`msa.system` is imported
(first thing), gives xarray a record for each of these
libraries that answers "no such type" while the library is not imported and hands over to
xarray's own record (importing nothing new) once it is; every other question (version,
availability, module) is answered by xarray's own record at once. Results are the same with or
without it; only the import is deferred to when the library is used.

It relies on ``xarray.namedarray.pycompat`` (xarray >= 2024.1); where that module is laid out
otherwise nothing is changed and xarray imports as it always did.
"""

from __future__ import annotations

import sys
from typing import Any

#: xarray's name of each library, and the module and attribute holding its array type: the
#: type exists once that attribute does (a module still being imported has not set it yet).
_DEFERRED: dict[str, tuple[str, str]] = {
    "dask": ("dask.array", "Array"),
    "pint": ("pint", "Quantity"),
}


def defer_duck_array_imports() -> bool:
    """Make xarray look up dask's and pint's array types only once they are imported.

    Returns
    -------
    bool
        Whether xarray's records were replaced (False: this xarray has no such records, or it
        already made its own, e.g. because a DataArray was made before msa was imported).
    """
    try:
        from xarray.namedarray import pycompat
    except ImportError:  # pragma: no cover - an xarray without namedarray
        return False
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    real = getattr(pycompat, "DuckArrayModule", None)
    if not isinstance(cache, dict) or not isinstance(real, type):
        return False  # pragma: no cover - another xarray layout: leave it alone
    placed = False
    for name, (module, attribute) in _DEFERRED.items():
        if name not in cache:
            cache[name] = _DeferredModule(name, module, attribute, cache, real)
            placed = True
    return placed


class _DeferredModule:
    """Stand-in for xarray's ``DuckArrayModule`` of one library, until that library is imported.

    ``type`` is ``()`` (nothing is of its type) while the library's array type does not exist;
    from then on, and for any other attribute at any time, xarray's own record is made, put in
    xarray's cache in place of this one, and answers.
    """

    def __init__(
        self, name: str, module: str, attribute: str, cache: dict[str, Any], real: type
    ) -> None:
        self._name = name
        self._module = module
        self._attribute = attribute
        self._cache = cache
        self._real = real

    def _resolved(self) -> Any:
        """Return xarray's own record of the library, made and cached now."""
        record = self._real(self._name)
        self._cache[self._name] = record
        return record

    @property
    def type(self) -> tuple[type, ...]:
        """Return the library's array types; ``()`` while they do not exist in this process."""
        if getattr(sys.modules.get(self._module), self._attribute, None) is None:
            return ()
        return self._resolved().type

    def __getattr__(self, attribute: str) -> Any:
        """Answer any other question (version, available, module) from xarray's own record."""
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self._resolved(), attribute)


defer_duck_array_imports()  # on import, before msa makes any DataArray
