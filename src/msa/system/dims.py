"""Classifications, concordances and hierarchies: the item lists behind every dimension.

A :class:`Classification` is the named list of items of one dimension (``material``,
``chemistry`` ...), with English and Dutch labels and item attributes (a material's CRMA
``critical``/``strategic`` flags, its ``material_type``). A :class:`Concordance` maps the items
of one dimension onto another (chemistry -> chemistry family), either many-to-one or splitting a
source item over several targets with shares that sum to one. :func:`aggregate` moves a quantity
along a concordance and preserves its total; :func:`disaggregate` goes back with weights. A
:class:`Hierarchy` chains concordances (chemistry -> family -> battery type).

Tables are read from CSV by :func:`msa.read_classification` and :func:`msa.read_concordance`;
the classifications and concordances the library ships live in ``msa/data/classifications/``
and load with :func:`msa.load_classification`, :func:`msa.load_concordance` and
:func:`msa.load_hierarchy` (module :mod:`msa.system.dim_tables`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError, DimensionError

__all__ = [
    "Classification",
    "Concordance",
    "Hierarchy",
    "aggregate",
    "disaggregate",
]

#: Absolute tolerance on the sum of a source item's split shares.
SHARE_TOLERANCE = 1e-9


def _check_items(items: Iterable[object], where: str) -> tuple[str, ...]:
    """Return ``items`` as a tuple of non-empty, unique strings or raise DimensionError."""
    given = tuple(items)
    bad = [i for i in given if not isinstance(i, str) or not i.strip()]
    if bad:
        raise DimensionError(f"{where}: items must be non-empty strings (got {bad[:5]})")
    if not given:
        raise DimensionError(f"{where}: has no items")
    out = tuple(i for i in given if isinstance(i, str))  # all of them (checked above)
    dup = sorted(i for i, n in Counter(out).items() if n > 1)
    if dup:
        raise DimensionError(f"{where}: duplicate items {dup}")
    return out


def _check_labels(
    labels: Mapping[str, str] | None, known: set[str], lang: str, where: str
) -> Mapping[str, str]:
    """Return ``labels`` as a read-only mapping of text, or raise naming unknown items."""
    labels = labels or {}
    unknown = sorted(set(labels) - known)
    if unknown:
        raise DimensionError(f"{where}: {lang} labels for unknown items {unknown}")
    return MappingProxyType({k: str(v) for k, v in labels.items()})


def _attribute_table(
    attributes: pd.DataFrame | Mapping[str, Mapping[str, object]] | None,
    name: str,
    items: tuple[str, ...],
    where: str,
) -> pd.DataFrame:
    """Return the item attributes as a DataFrame indexed by ``items``, with nullable dtypes."""
    if attributes is None:
        table = pd.DataFrame(index=pd.Index(items, name=name))
    elif isinstance(attributes, pd.DataFrame):
        table = attributes.copy()
    else:
        table = pd.DataFrame.from_dict({k: dict(v) for k, v in attributes.items()}, orient="index")
    if table.index.has_duplicates:
        dup = sorted(set(table.index[table.index.duplicated()]))
        raise DimensionError(f"{where}: duplicate attribute rows {dup}")
    unknown = sorted(set(map(str, table.index)) - set(items))
    if unknown:
        raise DimensionError(f"{where}: attributes for unknown items {unknown}")
    return table.reindex(pd.Index(items, name=name)).convert_dtypes()


@dataclass(frozen=True, repr=False, init=False)
class Classification:
    """The named item list of one dimension, with labels and item attributes.

    Parameters
    ----------
    name : str
        The dimension name (``"material"``, ``"chemistry"`` ...).
    items : sequence of str
        Unique, non-empty item ids in their display order.
    labels_en, labels_nl : mapping of item to str, optional
        Display labels; only for known items. Missing labels fall back to English, then the id.
    attributes : DataFrame (indexed by item) or mapping of item to mapping, optional
        Item attributes, e.g. ``{"Co": {"critical": True}}``. Items without a value get a
        missing value (``pd.NA``), never a default.
    description : str
        Free text, e.g. the cited header of the file it was read from.

    Notes
    -----
    Equality compares the name, items and labels. ``attributes`` is stored as a DataFrame with
    nullable dtypes; treat it as read-only (:meth:`table` returns a copy).

    Examples
    --------
    >>> c = Classification("material", ("Li", "Fe"), labels_nl={"Li": "lithium", "Fe": "ijzer"},
    ...                    attributes={"Li": {"critical": True}, "Fe": {"critical": False}})
    >>> c.label("Fe", "nl")
    'ijzer'
    >>> c.where(critical=True)
    ('Li',)
    >>> list(c.index)
    ['Li', 'Fe']
    """

    # The fields hold the validated values (the constructor takes wider input types).
    name: str
    items: tuple[str, ...]
    labels_en: Mapping[str, str]
    labels_nl: Mapping[str, str]
    attributes: pd.DataFrame = field(compare=False)
    description: str = field(compare=False)

    def __init__(
        self,
        name: str,
        items: tuple[str, ...],
        labels_en: Mapping[str, str] | None = None,
        labels_nl: Mapping[str, str] | None = None,
        attributes: pd.DataFrame | Mapping[str, Mapping[str, object]] | None = None,
        description: str = "",
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise DimensionError(f"classification name must be a non-empty string ({name!r})")
        where = f"classification {name!r}"
        checked = _check_items(items, where)
        known = set(checked)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "items", checked)
        object.__setattr__(self, "labels_en", _check_labels(labels_en, known, "en", where))
        object.__setattr__(self, "labels_nl", _check_labels(labels_nl, known, "nl", where))
        object.__setattr__(self, "attributes", _attribute_table(attributes, name, checked, where))
        object.__setattr__(self, "description", description)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        attrs = ", ".join(self.attributes.columns)
        return f"<Classification {self.name!r}: {len(self)} items; attributes: {attrs or 'none'}>"

    def __contains__(self, item: object) -> bool:
        return item in self.items

    @property
    def index(self) -> pd.Index:
        """The items as a :class:`pandas.Index` named by the dimension."""
        return pd.Index(self.items, name=self.name)

    @property
    def coords(self) -> dict[str, pd.Index]:
        """``{name: index}``, ready for ``xr.DataArray(coords=...)`` or ``System(coords=...)``."""
        return {self.name: self.index}

    def label(self, item: str, lang: Literal["en", "nl"] = "en") -> str:
        """Return the label of ``item`` in ``lang``, falling back to English, then the id."""
        self.check_items([item])
        if lang not in ("en", "nl"):
            raise DimensionError(f"classification {self.name!r}: lang must be 'en' or 'nl'")
        if lang == "nl" and item in self.labels_nl:
            return self.labels_nl[item]
        return self.labels_en.get(item, item)

    def labels(self, lang: Literal["en", "nl"] = "en") -> dict[str, str]:
        """Return ``{item: label}`` for every item in ``lang`` (with the same fallbacks)."""
        return {item: self.label(item, lang) for item in self.items}

    def attribute(self, name: str) -> xr.DataArray:
        """Return attribute ``name`` as a DataArray over this dimension (e.g. a critical mask)."""
        if name not in self.attributes.columns:
            raise DimensionError(
                f"classification {self.name!r}: no attribute {name!r} "
                f"(known: {list(self.attributes.columns)})"
            )
        values = self.attributes[name]
        data = values.to_numpy(dtype=object, na_value=None)
        if values.dtype == "boolean" and not values.isna().any():
            data = data.astype(bool)
        return xr.DataArray(data, dims=self.name, coords=self.coords, name=name)

    def where(self, **conditions: object) -> tuple[str, ...]:
        """Return the items whose attributes equal every given value, in item order.

        Missing attribute values never match.
        """
        mask = pd.Series(True, index=self.attributes.index)
        for key, value in conditions.items():
            column = self.attribute(key).to_series()  # checks the name
            mask &= column.map(lambda v, value=value: v is not None and v == value).astype(bool)
        return tuple(mask.index[mask.to_numpy()])

    def check_items(self, items: Iterable[object], where: str = "") -> None:
        """Raise :class:`DimensionError` naming the items that are not in this classification."""
        unknown = [i for i in items if i not in self.items]
        if unknown:
            prefix = f"{where}: " if where else ""
            raise DimensionError(
                f"{prefix}unknown {self.name} item(s) {unknown[:10]}; known: {list(self.items)}"
            )

    def table(self) -> pd.DataFrame:
        """Return items, labels and attributes as one DataFrame (a copy)."""
        out = self.attributes.copy()
        out.insert(0, "label_nl", [self.label(i, "nl") for i in self.items])
        out.insert(0, "label_en", [self.label(i, "en") for i in self.items])
        return out


def _normalise_mapping(
    mapping: Mapping[str, str | Mapping[str, float]], where: str
) -> dict[str, dict[str, float]]:
    """Turn a mapping of source -> target or source -> {target: share} into shares."""
    out: dict[str, dict[str, float]] = {}
    bad_sum = []
    for src, tgt in mapping.items():
        split = {tgt: 1.0} if isinstance(tgt, str) else {str(k): v for k, v in tgt.items()}
        if not split:
            raise DimensionError(f"{where}: source item {src!r} maps to no target item")
        for t, share in split.items():
            if (
                not isinstance(share, int | float | np.number)
                or not 0 < float(share) <= 1 + SHARE_TOLERANCE
            ):
                raise DimensionError(
                    f"{where}: share of {src!r} -> {t!r} must be a number in (0, 1] (got {share!r})"
                )
        total = float(sum(split.values()))
        if abs(total - 1.0) > SHARE_TOLERANCE:
            bad_sum.append(f"{src!r} (sum {total:.12g})")
        out[str(src)] = {t: float(s) for t, s in split.items()}
    if bad_sum:
        raise DimensionError(
            f"{where}: the shares of each source item must sum to 1; they do not for "
            + ", ".join(bad_sum)
        )
    return out


@dataclass(frozen=True, repr=False, init=False)
class Concordance:
    """A mapping of the items of dimension ``source`` onto the items of dimension ``target``.

    Parameters
    ----------
    source, target : str
        The two dimension names; they must differ.
    mapping : mapping
        ``{source_item: target_item}`` (many-to-one) or ``{source_item: {target_item: share}}``
        (one-to-many split; each source item's shares lie in (0, 1] and sum to 1).
    source_items : sequence of str, optional
        The full source item list (e.g. ``Classification.items``). When given, every one of
        them must be mapped, and only they; the matrix follows this order.
    target_items : sequence of str, optional
        The target item list and order; defaults to the order of first appearance. Target items
        that no source maps to are allowed (they receive zero).

    Examples
    --------
    >>> c = Concordance("chemistry", "family", {"NMC111": "NMC", "NMC811": "NMC", "LFP": "LFP"})
    >>> c.matrix().sel(family="NMC").values.tolist()
    [1.0, 1.0, 0.0]
    >>> c.is_many_to_one
    True
    """

    # The fields hold the validated values (the constructor takes wider input types):
    # ``mapping`` as shares by target item, the item lists always given.
    source: str
    target: str
    mapping: Mapping[str, Mapping[str, float]]
    source_items: tuple[str, ...]
    target_items: tuple[str, ...]

    def __init__(
        self,
        source: str,
        target: str,
        mapping: Mapping[str, str | Mapping[str, float]],
        source_items: tuple[str, ...] | None = None,
        target_items: tuple[str, ...] | None = None,
    ) -> None:
        for dim in (source, target):
            if not isinstance(dim, str) or not dim.strip():
                raise DimensionError(f"concordance dims must be non-empty strings (got {dim!r})")
        where = f"concordance {source!r} -> {target!r}"
        if source == target:
            raise DimensionError(f"{where}: source and target dims must differ")
        shares = _normalise_mapping(mapping, where)
        if source_items is None:
            sources = _check_items(shares, where)
        else:
            sources = _check_items(source_items, f"{where} source items")
            unmapped = [s for s in sources if s not in shares]
            if unmapped:
                raise DimensionError(
                    f"{where}: unmapped {source} item(s) {unmapped}; map every item"
                )
            extra = sorted(set(shares) - set(sources))
            if extra:
                raise DimensionError(f"{where}: mapping has unknown source items {extra}")
        appear = list(dict.fromkeys(t for split in shares.values() for t in split))
        if target_items is None:
            targets = _check_items(appear, where)
        else:
            targets = _check_items(target_items, f"{where} target items")
            extra = [t for t in appear if t not in set(targets)]
            if extra:
                raise DimensionError(f"{where}: mapping has unknown target items {extra}")
        frozen = {s: MappingProxyType(split) for s, split in shares.items()}
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "mapping", MappingProxyType(frozen))
        object.__setattr__(self, "source_items", sources)
        object.__setattr__(self, "target_items", targets)

    def __repr__(self) -> str:
        kind = "many-to-one" if self.is_many_to_one else "with splits"
        return (
            f"<Concordance {self.source!r} -> {self.target!r}: {len(self.source_items)} -> "
            f"{len(self.target_items)} items, {kind}>"
        )

    @classmethod
    def from_attribute(
        cls, classification: Classification, attribute: str, *, target: str | None = None
    ) -> Concordance:
        """Build the many-to-one concordance item -> value of ``attribute``.

        Examples
        --------
        >>> c = Classification("chemistry", ("NMC811", "LFP"),
        ...                    attributes={"NMC811": {"family": "NMC"}, "LFP": {"family": "LFP"}})
        >>> Concordance.from_attribute(c, "family").matrix().values.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        values = classification.attribute(attribute).to_series()
        missing = list(values.index[values.isna()])
        if missing:
            raise DimensionError(
                f"classification {classification.name!r}: attribute {attribute!r} is missing "
                f"for {missing}; every item needs a value to build a concordance"
            )
        return cls(
            classification.name,
            target or attribute,
            {str(k): str(v) for k, v in values.items()},
            source_items=classification.items,
        )

    @property
    def is_many_to_one(self) -> bool:
        """True if every source item maps to exactly one target item."""
        return all(len(split) == 1 for split in self.mapping.values())

    def matrix(self) -> xr.DataArray:
        """Return the shares as a DataArray (``source`` x ``target``), rows summing to 1."""
        data = np.zeros((len(self.source_items), len(self.target_items)))
        col = {t: j for j, t in enumerate(self.target_items)}
        for i, src in enumerate(self.source_items):
            for tgt, share in self.mapping[src].items():
                data[i, col[tgt]] = share
        return xr.DataArray(
            data,
            dims=(self.source, self.target),
            coords={self.source: list(self.source_items), self.target: list(self.target_items)},
            name=f"{self.source} -> {self.target}",
            attrs={"units": "1"},
        )

    def then(self, other: Concordance) -> Concordance:
        """Compose with ``other`` (``self.target`` -> ``other.target``) into one concordance.

        Shares multiply along paths and add over them: ``S = S_self @ S_other``.

        Examples
        --------
        >>> family = Concordance("chemistry", "family", {"NMC811": "NMC", "LFP": "LFP"})
        >>> kind = Concordance("family", "kind", {"NMC": "nickel", "LFP": "iron"})
        >>> dict(family.then(kind).mapping["LFP"])
        {'iron': 1.0}
        """
        where = f"composing {self.source!r} -> {self.target!r} with {other.source!r} -> "
        where += f"{other.target!r}"
        if other.source != self.target:
            raise DimensionError(f"{where}: the second must start at {self.target!r}")
        unmapped = [t for t in self.target_items if t not in other.mapping]
        if unmapped:
            raise DimensionError(f"{where}: unmapped {self.target} item(s) {unmapped}")
        product = xr.dot(self.matrix(), other.matrix().sel({other.source: list(self.target_items)}))
        product = product / product.sum(other.target)  # rows sum to 1; remove rounding drift
        mapping = {
            src: {t: float(v) for t, v in row.to_series().items() if v > 0}
            for src, row in ((s, product.sel({self.source: s})) for s in self.source_items)
        }
        return Concordance(
            self.source,
            other.target,
            mapping,
            source_items=self.source_items,
            target_items=other.target_items,
        )


def _source_matrix(da: xr.DataArray, concordance: Concordance, where: str) -> xr.DataArray:
    """Check ``da`` along the concordance's source dim and return the matching matrix rows."""
    dim = concordance.source
    if dim not in da.dims:
        raise DimensionError(f"{where}: the quantity has no {dim!r} dim (dims: {list(da.dims)})")
    if concordance.target in da.dims:
        raise DimensionError(f"{where}: the quantity already has a {concordance.target!r} dim")
    items = pd.Index(da[dim].values)
    if items.has_duplicates:
        raise DimensionError(f"{where}: duplicate {dim} items {list(items[items.duplicated()])}")
    unmapped = [i for i in items if i not in concordance.mapping]
    if unmapped:
        raise DimensionError(
            f"{where}: unmapped {dim} item(s) {unmapped[:10]}; add them to the concordance "
            "(data are never dropped)"
        )
    return concordance.matrix().sel({dim: items})


def _dot_keeping_nan(da: xr.DataArray, matrix: xr.DataArray, dim: str, where: str) -> xr.DataArray:
    """``xr.dot(da, matrix)`` where a NaN reaches only the items it maps to (never 0 * NaN)."""
    if np.isinf(da.values).any():
        raise DataError(f"{where}: the quantity holds an infinite value; fix it before mapping")
    missing = da.isnull()
    out = xr.dot(da.fillna(0.0), matrix, dim=dim)
    if missing.any():
        reached = xr.dot(missing.astype(float), (matrix > 0).astype(float), dim=dim) > 0
        out = out.where(~reached)
    return out


def aggregate(da: xr.DataArray, concordance: Concordance) -> xr.DataArray:
    r"""Map ``da`` from ``concordance.source`` onto ``concordance.target``, keeping totals.

    Parameters
    ----------
    da : DataArray
        A quantity with the source dim; its items must all be mapped (any subset of the
        concordance's source items).
    concordance : Concordance
        The mapping; split shares divide a source value over several targets.

    Returns
    -------
    DataArray
        With the target dim (all target items, in the concordance's order, last) instead of
        the source dim; attrs (units) kept. A NaN reaches exactly the targets it maps to.

    Raises
    ------
    DimensionError
        If ``da`` lacks the source dim, already has the target dim, or has unmapped items.
    DataError
        If ``da`` holds an infinite value.

    Notes
    -----
    :math:`y_t = \sum_s x_s S_{st}` with :math:`\sum_t S_{st} = 1` for every source item, so
    :math:`\sum_t y_t = \sum_s x_s`: the total is preserved (up to float rounding).

    Examples
    --------
    >>> c = Concordance("chemistry", "family", {"NMC111": "NMC", "NMC811": "NMC", "LFP": "LFP"})
    >>> x = xr.DataArray([1.0, 2.0, 4.0], dims="chemistry",
    ...                  coords={"chemistry": ["NMC111", "NMC811", "LFP"]}, attrs={"units": "t"})
    >>> aggregate(x, c).to_series().to_dict()
    {'NMC': 3.0, 'LFP': 4.0}
    """
    where = f"aggregate {concordance.source!r} -> {concordance.target!r}"
    matrix = _source_matrix(da, concordance, where)
    out = _dot_keeping_nan(da, matrix, concordance.source, where)
    out.attrs = dict(da.attrs)
    out.name = da.name
    return out


def disaggregate(
    da: xr.DataArray, concordance: Concordance, weights: xr.DataArray | None = None
) -> xr.DataArray:
    r"""Split ``da`` from ``concordance.target`` back onto ``concordance.source``, keeping totals.

    Parameters
    ----------
    da : DataArray
        A quantity with the target dim.
    concordance : Concordance
        The mapping to invert.
    weights : DataArray, optional
        Non-negative weights over the source dim (and optionally other dims of ``da``, e.g.
        ``time``), such as the chemistry shares of a year. Default: equal weights.

    Returns
    -------
    DataArray
        With the source dim (all source items) instead of the target dim.

    Raises
    ------
    DimensionError
        Missing dims or target items unknown to the concordance.
    DataError
        Negative or non-finite weights, or a non-zero target value whose source items all
        have zero weight (the value would be lost).

    Notes
    -----
    :math:`x_s = \sum_t D_{st} y_t` with :math:`D_{st} = S_{st} w_s / \sum_{s'} S_{s't} w_{s'}`,
    so :math:`\sum_s D_{st} = 1` and :math:`\sum_s x_s = \sum_t y_t`. For a many-to-one
    concordance, ``aggregate(disaggregate(y, c, w), c) == y``.

    Examples
    --------
    >>> c = Concordance("chemistry", "family", {"NMC111": "NMC", "NMC811": "NMC", "LFP": "LFP"})
    >>> y = xr.DataArray([3.0, 4.0], dims="family", coords={"family": ["NMC", "LFP"]})
    >>> w = xr.DataArray([1.0, 2.0, 1.0], dims="chemistry",
    ...                  coords={"chemistry": ["NMC111", "NMC811", "LFP"]})
    >>> disaggregate(y, c, w).to_series().to_dict()
    {'NMC111': 1.0, 'NMC811': 2.0, 'LFP': 4.0}
    """
    src, tgt = concordance.source, concordance.target
    where = f"disaggregate {tgt!r} -> {src!r}"
    if tgt not in da.dims:
        raise DimensionError(f"{where}: the quantity has no {tgt!r} dim (dims: {list(da.dims)})")
    if src in da.dims:
        raise DimensionError(f"{where}: the quantity already has a {src!r} dim")
    unknown = [t for t in da[tgt].values.tolist() if t not in set(concordance.target_items)]
    if unknown:
        raise DimensionError(f"{where}: unknown {tgt} item(s) {unknown[:10]} in the quantity")
    matrix = concordance.matrix().sel({tgt: da[tgt].values})
    if weights is None:
        weights = xr.DataArray(np.ones(len(concordance.source_items)), coords=[matrix[src]])
    if src not in weights.dims:
        raise DimensionError(f"{where}: weights need a {src!r} dim (dims: {list(weights.dims)})")
    missing = [s for s in concordance.source_items if s not in set(weights[src].values)]
    if missing:
        raise DimensionError(f"{where}: weights lack {src} item(s) {missing[:10]}")
    w = weights.sel({src: list(concordance.source_items)})
    if not np.isfinite(w.values).all() or (w.values < 0).any():
        raise DataError(f"{where}: weights must be finite and non-negative")
    keyed = matrix * w
    denominator = keyed.sum(src)
    lost = (denominator == 0) & (da != 0) & da.notnull()
    if lost.any():
        first = np.argwhere(np.asarray(lost.values))[0]
        at = {d: lost[d].values[i].item() for d, i in zip(lost.dims, first, strict=True)}
        raise DataError(
            f"{where}: {tgt} value at {at} is non-zero but all its {src} items have zero "
            "weight; give them a weight"
        )
    split = (keyed / denominator.where(denominator > 0)).fillna(0.0)
    out = _dot_keeping_nan(da, split, tgt, where)
    out.attrs = dict(da.attrs)
    out.name = da.name
    return out


@dataclass(frozen=True)
class Hierarchy:
    """Levels of one dimension linked by a chain of concordances, finest first.

    Parameters
    ----------
    concordances : sequence of Concordance
        Each maps the previous one's target onto the next level; every item of a level must be
        mapped to the next.

    Examples
    --------
    >>> h = Hierarchy((
    ...     Concordance("chemistry", "family", {"NMC811": "NMC", "SIB": "Na-ion"}),
    ...     Concordance("family", "battery_type", {"NMC": "Li-ion", "Na-ion": "Na-ion"}),
    ... ))
    >>> h.levels
    ('chemistry', 'family', 'battery_type')
    >>> x = xr.DataArray([2.0, 1.0], dims="chemistry", coords={"chemistry": ["NMC811", "SIB"]})
    >>> h.aggregate(x, "battery_type").values.tolist()
    [2.0, 1.0]
    """

    concordances: tuple[Concordance, ...]

    def __post_init__(self) -> None:
        chain = tuple(self.concordances)
        if not chain:
            raise DimensionError("a hierarchy needs at least one concordance")
        for lower, upper in zip(chain, chain[1:], strict=False):
            lower.then(upper)  # checks the link and that every item is mapped
        levels = [chain[0].source, *(c.target for c in chain)]
        if len(set(levels)) != len(levels):
            raise DimensionError(f"hierarchy levels must be distinct (got {levels})")
        object.__setattr__(self, "concordances", chain)

    @property
    def levels(self) -> tuple[str, ...]:
        """The dimension names, finest first."""
        return (self.concordances[0].source, *(c.target for c in self.concordances))

    def concordance(self, from_level: str, to_level: str) -> Concordance:
        """Return the composed concordance between two levels (finer to coarser)."""
        levels = self.levels
        for level in (from_level, to_level):
            if level not in levels:
                raise DimensionError(f"unknown hierarchy level {level!r} (levels: {levels})")
        i, j = levels.index(from_level), levels.index(to_level)
        if j <= i:
            raise DimensionError(
                f"level {to_level!r} is not coarser than {from_level!r} (levels: {levels})"
            )
        out = self.concordances[i]
        for nxt in self.concordances[i + 1 : j]:
            out = out.then(nxt)
        return out

    def aggregate(self, da: xr.DataArray, to_level: str) -> xr.DataArray:
        """Aggregate ``da`` from the level it has onto ``to_level`` (see :func:`aggregate`)."""
        have = [level for level in self.levels if level in da.dims]
        if len(have) != 1:
            raise DimensionError(
                f"the quantity must have exactly one hierarchy level dim of {self.levels} "
                f"(has {have})"
            )
        return aggregate(da, self.concordance(have[0], to_level))
