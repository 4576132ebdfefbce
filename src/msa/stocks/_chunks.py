"""Chunked stock model runs for lifetimes with a dim of their own over many series.

Private to :mod:`msa.stocks`. A lifetime that varies over a dim of N series (Monte Carlo
samples, a shape per region ...) has one T x C survival matrix per series, and an outflow-share
matrix of the same size: O(N T^2) memory on top of any cohort arrays. Such a run is split into
chunks along that dim; every chunk is an ordinary vectorised run, and the chunks' results are
copied into outputs allocated once, so the peak is the output plus one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import replace

import numpy as np
import xarray as xr

from msa.stocks._params import conform
from msa.stocks.lifetimes import EmpiricalLifetime, Lifetime


def chunked(
    model: Callable[..., xr.Dataset],
    values: xr.DataArray,
    lifetime: Lifetime,
    initial: xr.DataArray | None,
    by_cohort: bool,
    kwargs: Mapping[str, object],
    budget: int,
) -> xr.Dataset | None:
    """Run a model in chunks along the lifetime's largest dim, or return None.

    Chunking applies when the survival matrices of all the series the lifetime varies over
    exceed ``budget`` bytes (``msa.stocks.SF_CHUNK_BYTES`` for totals only,
    ``msa.stocks.SF_CHUNK_BYTES_COHORT`` with cohort arrays). Each chunk is an ordinary run
    (one loop iteration per chunk, vectorised inside) whose results are written into the
    preallocated outputs (:func:`_stack`).
    """
    if not isinstance(values, xr.DataArray) or "time" not in values.dims:
        return None
    labels: dict[Hashable, np.ndarray] = {}
    for arr in (*lifetime.parameters.values(), *lifetime.factors.values()):
        for dim in arr.dims:
            if dim not in ("time", "cohort", "age") and dim not in labels:
                source = values if dim in values.dims else arr
                labels[dim] = np.asarray(source[dim].values)
    if not labels:
        return None
    n_t = values.sizes["time"]
    n_c = n_t + (initial.sizes.get("cohort", 0) if isinstance(initial, xr.DataArray) else 0)
    size = 8 * n_t * n_c * int(np.prod([len(v) for v in labels.values()]))
    if size <= budget:
        return None
    dim = max(labels, key=lambda d: len(labels[d]))
    chunk_bytes: float = budget
    if by_cohort:
        # A chunk's own run holds about four arrays the size of its survival matrices (sf,
        # outflow shares, its cohort arrays): keep that well under half the returned arrays.
        chunk_bytes = min(budget, size / 8)
    per = max(1, int(len(labels[dim]) * chunk_bytes // size))

    def parts() -> Iterator[xr.Dataset]:
        for start in range(0, len(labels[dim]), per):
            chunk = labels[dim][start : start + per]
            part_values = values.sel({dim: chunk}) if dim in values.dims else values
            part_initial = initial
            if isinstance(initial, xr.DataArray) and dim in initial.dims:
                part_initial = initial.sel({dim: chunk})
            yield model(
                part_values,
                _select(lifetime, dim, chunk),
                initial_stock_by_cohort=part_initial,
                by_cohort=by_cohort,
                **kwargs,
            )

    out = _stack(parts(), dim, labels[dim])
    out.attrs["chunked_along"] = dim
    return out


def _stack(parts: Iterator[xr.Dataset], dim: Hashable, labels: np.ndarray) -> xr.Dataset:
    """Join the chunk results along ``dim``, holding one chunk's result at a time.

    The output arrays are allocated once (from the first chunk's layout) and each chunk is
    copied into its slice, so the peak is the output plus one chunk (``xr.concat`` would hold
    every chunk and the output: twice the cohort arrays).
    """
    arrays: dict[Hashable, np.ndarray] = {}
    layout: dict[Hashable, tuple[tuple[Hashable, ...], dict]] = {}
    coords: dict[Hashable, np.ndarray] = {}
    attrs: dict = {}
    start = 0
    for part in parts:
        if not arrays:
            attrs = dict(part.attrs)
            coords = {d: labels if d == dim else part[d].values for d in part.dims}
            for name, var in part.data_vars.items():
                shape = tuple(len(labels) if d == dim else n for d, n in var.sizes.items())
                arrays[name] = np.empty(shape, dtype=var.dtype)
                layout[name] = (var.dims, dict(var.attrs))
        n = part.sizes[dim]
        for name, var in part.data_vars.items():
            index = tuple(slice(start, start + n) if d == dim else slice(None) for d in var.dims)
            arrays[name][index] = var.values
        start += n
        del part
    data = {name: (dims, arrays[name], var_attrs) for name, (dims, var_attrs) in layout.items()}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _select(lifetime: Lifetime, dim: Hashable, chunk: np.ndarray) -> Lifetime:
    """Return ``lifetime`` with every parameter and factor restricted to ``chunk`` of ``dim``."""

    def pick(arr: xr.DataArray, name: str) -> xr.DataArray:
        if dim not in arr.dims:
            return arr
        return conform(arr, {dim: chunk}, lifetime, name)

    factors = {name: pick(f, name) for name, f in lifetime.factors.items()}
    params = {name: pick(p, name) for name, p in lifetime.parameters.items()}
    if isinstance(lifetime, EmpiricalLifetime):
        return EmpiricalLifetime(params["survival_curve"], **factors)
    return replace(lifetime, **params, **factors)
