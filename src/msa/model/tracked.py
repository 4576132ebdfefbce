"""Values that carry their provenance through arithmetic, graded no better than their inputs.

A :class:`Tracked` holds a DataArray, its units, and per cell the rank of its data-point grade
(A = 0 ... D = 3, 4 = unknown) and its source id. Multiplying or adding two of them broadcasts
all three like xarray does: the rank of a result cell is the largest rank of the cells it was
computed from, its source id the shared one or ``""`` (several sources). A cumulative rank
along time serves stocks, whose level at ``t`` rests on every inflow up to ``t``. This is how
a declared model attaches provenance to every computed flow without wiring it by hand.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import xarray as xr

from msa.system.provenance import GRADES

__all__ = ["UNKNOWN_RANK", "Tracked", "grade_of_rank", "rank_of_grade", "worst_rank"]

#: Rank of a missing grade: worse than D, as :func:`msa.system.provenance.worst_grade` counts it.
UNKNOWN_RANK = len(GRADES)
_LABELS = np.array([*GRADES, ""], dtype=object)


def rank_of_grade(grades: xr.DataArray | str) -> xr.DataArray:
    """Return the rank (0 = A ... 3 = D, 4 = missing) of each grade."""
    da = grades if isinstance(grades, xr.DataArray) else xr.DataArray(grades)
    lookup = {g: i for i, g in enumerate(GRADES)}
    ranks = np.vectorize(lambda g: lookup.get(str(g), UNKNOWN_RANK), otypes=[np.int8])(da.values)
    return da.copy(data=np.asarray(ranks, dtype=np.int8))


def grade_of_rank(ranks: xr.DataArray) -> xr.DataArray:
    """Return the grade letter of each rank (``""`` for a missing grade)."""
    return ranks.copy(data=_LABELS[np.asarray(ranks.values, dtype=int)])


def worst_rank(a: xr.DataArray, b: xr.DataArray) -> xr.DataArray:
    """Return the cell-wise worst (largest) of two grade-rank arrays, broadcast together."""
    a, b = xr.broadcast(a, b)
    return a.copy(data=np.maximum(a.values, b.values))


def _same_source(a: xr.DataArray, b: xr.DataArray) -> xr.DataArray:
    a, b = xr.broadcast(a, b)
    return a.copy(data=np.where(a.values == b.values, a.values, "").astype(object))


@dataclass(frozen=True)
class Tracked:
    """A value with its units and, per cell, the grade rank and source id it rests on.

    Parameters
    ----------
    value : xarray.DataArray
        The numbers.
    units : str
        Their units.
    rank : xarray.DataArray
        Grade rank per cell (broadcastable to ``value``): 0 = A ... 3 = D, 4 = unknown.
    source : xarray.DataArray
        Source id per cell (broadcastable to ``value``), ``""`` where several sources meet.
    """

    value: xr.DataArray
    units: str
    rank: xr.DataArray
    source: xr.DataArray

    @classmethod
    def scalar(cls, value: float, units: str, grade: str, source_id: str) -> Tracked:
        """Return a dimensionless-shaped (0-d) tracked value, e.g. a parameter."""
        return cls(
            xr.DataArray(float(value)),
            units,
            rank_of_grade(grade),
            xr.DataArray(np.array(source_id, dtype=object)),
        )

    def times(self, other: Tracked, units: str) -> Tracked:
        """Return the product, in ``units`` (the caller converts the magnitude)."""
        return Tracked(
            self.value * other.value,
            units,
            worst_rank(self.rank, other.rank),
            _same_source(self.source, other.source),
        )

    def scaled(self, factor: float, units: str | None = None) -> Tracked:
        """Return the value times a plain number (a unit conversion): provenance unchanged."""
        return Tracked(self.value * factor, units or self.units, self.rank, self.source)

    def plus(self, other: Tracked, sign: float = 1.0) -> Tracked:
        """Return the sum (or difference with ``sign=-1``); units must be the same."""
        return Tracked(
            self.value + sign * other.value,
            self.units,
            worst_rank(self.rank, other.rank),
            _same_source(self.source, other.source),
        )

    def rests_on(self, other: Tracked) -> Tracked:
        """Return this value, its provenance joined with ``other``'s summed down to its dims.

        For a value computed from ``other`` outside tracked arithmetic (a ``model.py``
        function, a lifetime parameter): the rank is the worse of the two, the source id the
        shared one or ``""``.
        """
        reduced = other.summed_to(self.value.dims)
        return Tracked(
            self.value,
            self.units,
            worst_rank(self.rank, reduced.rank),
            _same_source(self.source, reduced.source),
        )

    def summed_to(self, dims: Iterable[Hashable]) -> Tracked:
        """Return the value summed down to ``dims``: the rank is the worst of the summed cells."""
        keep = set(dims)
        drop = [d for d in self.value.dims if d not in keep]
        if not drop:
            return self
        if self.rank.ndim == 0 and self.source.ndim == 0:  # one grade and source for all
            return Tracked(self.value.sum(drop), self.units, self.rank, self.source)
        rank = self.rank.broadcast_like(self.value)
        source = self.source.broadcast_like(self.value)
        first = source.isel(dict.fromkeys(drop, 0), drop=True)
        shared = (source == first).all(drop)
        return Tracked(
            self.value.sum(drop),
            self.units,
            rank.max(drop),
            first.copy(data=np.where(shared.values, first.values, "").astype(object)),
        )

    def over_time(self) -> Tracked:
        """Return provenance accumulated along ``time``: what a stock at ``t`` rests on."""
        if self.rank.ndim == 0 and self.source.ndim == 0:  # the same in every cell already
            return self
        rank = self.rank.broadcast_like(self.value)
        source = self.source.broadcast_like(self.value)
        if "time" not in rank.dims:
            return Tracked(self.value, self.units, rank, source)
        axis = rank.get_axis_num("time")
        worst = np.maximum.accumulate(rank.values, axis=axis)
        first = np.take(source.values, [0], axis=axis)
        same = np.logical_and.accumulate(source.values == first, axis=axis)
        return Tracked(
            self.value,
            self.units,
            rank.copy(data=worst),
            source.copy(data=np.where(same, first, "").astype(object)),
        )

    def grades(self) -> xr.DataArray:
        """Return the grade letter per cell, shaped like the value."""
        return grade_of_rank(self.rank.broadcast_like(self.value))

    def sources(self) -> xr.DataArray:
        """Return the source id per cell, shaped like the value."""
        return self.source.broadcast_like(self.value)
