"""Choose the factor of one material for one flow: explicit selection, defaults, gaps.

:func:`choose_factor` is the rule :func:`msa.effects.effects` applies to every material of every
flow it is given. It never averages: several matching factors need a choice (``select``) or a
row marked ``default``; no matching factor is reported as missing with the reason (a listed gap,
a factor of another basis or unit, or nothing at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from msa.effects.factors import FACTOR_KEY, registry
from msa.errors import ConfigError
from msa.system.provenance import worst_grade

__all__ = ["Choice", "Missing", "choose_factor"]

#: Columns that tell the factors of one material and indicator apart, shown in messages.
_TELL_APART = ("form", "route", "region", "basis", "process", "data_year", "source_id")


@dataclass(frozen=True)
class Choice:
    """The factor chosen for one material of one flow.

    Attributes
    ----------
    rows : tuple of int
        The rows of the factor table used (several only for one factor given by year).
    years : ndarray of int or None
        The years of those rows, or None for one factor for every year.
    values : ndarray of float
        The values of those rows, in the table's unit.
    unit : str
        The table's unit of the factor.
    indicator, form, route, region, source_id : str
        What the factor is.
    grade : str
        The worst grade of its rows (``""``: ungraded).
    """

    rows: tuple[int, ...]
    years: np.ndarray | None
    values: np.ndarray
    unit: str
    indicator: str
    form: str
    route: str
    region: str
    source_id: str
    grade: str

    def over(self, years: np.ndarray) -> np.ndarray:
        """Return the factor in each of ``years``: linear between given years, flat outside."""
        if self.years is None:
            return np.full(len(years), float(self.values[0]))
        return np.interp(years, self.years, self.values)


@dataclass(frozen=True)
class Missing:
    """No factor for one material of one flow, and why (``reason``, one sentence)."""

    reason: str


def choose_factor(
    factors: pd.DataFrame,
    material: str,
    indicator: str,
    *,
    process: str,
    flow_units: str,
    select: Mapping[str, object] | None = None,
    label: str | None = None,
) -> Choice | Missing:
    """Return the one factor of ``material`` for a flow from ``process``, or why there is none.

    Parameters
    ----------
    factors : DataFrame
        A factor table (:func:`msa.effects.read_factors`).
    material : str
        The material in the factor table's naming.
    indicator : str
        The indicator asked for; ``select["indicator"]`` overrides it for this material.
    process : str
        The process the flow comes from: rows for this process win over rows for every
        process (empty ``process``).
    flow_units : str
        The flow's unit: a factor whose reference unit does not convert to it is skipped.
    select : mapping, optional
        Column to value: only rows with that value (as text) in the column are candidates.
        ``basis`` selects a compound basis (else only rows per unit of the material itself).
    label : str, optional
        The material as the System names it, for messages.

    Returns
    -------
    Choice or Missing

    Raises
    ------
    ConfigError
        ``select`` names an unknown column or matches no factor of the material, or several
        factors match and none of them is marked ``default``: choose one.
    """
    select = dict(select or {})
    indicator = str(select.pop("indicator", indicator))
    key = label or material
    name = f"material {key!r}" + (f" (factors of {material!r})" if key != material else "")
    rows = factors[factors["material"].eq(material) & factors["indicator"].eq(indicator)]
    if rows.empty:
        return Missing(_none_for(factors, material, indicator, key))
    own = rows[rows["process"].eq(process)]
    rows = own if not own.empty else rows[rows["process"].eq("")]
    rows = _selected(rows, select, name, indicator)
    values = rows[rows["value"].notna()]
    if "basis" not in select:
        values = values[values["basis"].isin(["", material])]
    values = values[[_converts(per, flow_units) for per in values["per"]]]
    if values.empty:
        return Missing(_why_missing(rows, material, indicator, flow_units))
    return _one(values, select, (key, name), indicator)


def _selected(
    rows: pd.DataFrame, select: Mapping[str, object], name: str, indicator: str
) -> pd.DataFrame:
    """Keep the rows that match every ``column: value`` of ``select``."""
    for col, want in select.items():
        if col not in rows.columns:
            raise ConfigError(
                f"select for {name}: unknown column {col!r}; select by one of {list(_TELL_APART)}"
            )
        kept = rows[rows[col].astype(str).eq(str(want))]
        if kept.empty:
            options = sorted(set(rows[col].astype(str)))
            raise ConfigError(
                f"select for {name}: {col}={want!r} matches none of its {indicator} factors "
                f"({col} is one of {options})"
            )
        rows = kept
    return rows


def _none_for(factors: pd.DataFrame, material: str, indicator: str, key: str) -> str:
    """Say there is no factor of ``indicator``, naming the indicators the material does have."""
    others = factors[factors["material"].eq(material) & factors["value"].notna()]
    text = f"no {indicator} factor for {material!r} in the factor table"
    if others.empty:
        return text
    have = sorted(set(others["indicator"]))
    return f"{text} (it has {have}: e.g. select={{{key!r}: {{'indicator': {have[0]!r}}}}})"


def _converts(per: str, flow_units: str) -> bool:
    """Whether a factor per ``per`` applies to a flow in ``flow_units`` (both mass, say)."""
    ureg = registry()
    try:
        return bool(ureg.Unit(per).dimensionality == ureg.Unit(flow_units).dimensionality)
    except Exception:  # a flow unit pint does not know: no factor applies
        return False


def _why_missing(rows: pd.DataFrame, material: str, indicator: str, flow_units: str) -> str:
    """Say why no factor applies: a listed gap, only another basis or unit, or none."""
    gaps = rows[rows["status"].str.startswith("gap")]
    numbers = rows[rows["value"].notna()]
    if not numbers.empty:
        units = sorted(set(numbers["unit"]))
        return (
            f"{indicator} factors for {material!r} are only in {units}, not per unit of "
            f"{material} for a flow in {flow_units!r} (select basis=... if the flow is of that "
            "compound)"
        )
    if not gaps.empty:
        notes = "; ".join(
            dict.fromkeys(
                f"{form or 'all forms'}: {note}"
                for form, note in zip(gaps["form"], gaps["note"], strict=True)
            )
        )
        return f"gap: no {indicator} factor for {material!r} ({notes})"
    return f"no {indicator} factor for {material!r} in the factor table"


def _one(
    values: pd.DataFrame, select: Mapping[str, object], names: tuple[str, str], indicator: str
) -> Choice:
    """Return the one factor among ``values``: the only one, or the default among several.

    ``names`` is the material's key in ``select`` and its name in messages.
    """
    name = names[1]
    identity = [c for c in FACTOR_KEY if c != "year"]
    groups = list(values.groupby(identity, sort=False, dropna=False).groups.values())
    if len(groups) > 1:
        defaults = [g for g in groups if values.loc[g, "default"].any()]
        if len(defaults) != 1:
            raise ConfigError(_conflict(values, groups, select, names, indicator))
        groups = defaults
    rows = values.loc[groups[0]]
    years = rows["year"]
    if years.isna().any() and len(rows) > 1:
        raise ConfigError(
            f"{name}: {indicator} factor rows {list(rows.index)} mix rows with and without a "
            "year; give every row of a factor series its year"
        )
    rows = rows.sort_values("year") if len(rows) > 1 else rows
    first = rows.iloc[0]
    return Choice(
        rows=tuple(int(r) for r in rows.index),
        years=None if len(rows) == 1 and pd.isna(first["year"]) else rows["year"].to_numpy(int),
        values=rows["value"].to_numpy(float),
        unit=str(first["unit"]),
        indicator=str(first["indicator"]),
        form=str(first["form"]),
        route=str(first["route"]),
        region=str(first["region"]),
        source_id=str(first["source_id"]),
        grade=str(worst_grade(rows["grade"].to_numpy(object), axis=0)),
    )


def _conflict(
    values: pd.DataFrame,
    groups: list[pd.Index],
    select: Mapping[str, object],
    names: tuple[str, str],
    indicator: str,
) -> str:
    """Return the one-line message of a conflict: the candidates and what tells them apart."""
    key, name = names
    firsts = values.loc[[g[0] for g in groups]]
    differ = [c for c in _TELL_APART if firsts[c].astype(str).nunique() > 1]
    shown = differ[:3] or ["source_id"]
    options = "; ".join(
        f"row {row}: "
        + ", ".join(f"{c}={firsts.at[row, c]!r}" for c in shown)
        + f" -> {firsts.at[row, 'value']:g} {firsts.at[row, 'unit']}"
        for row in firsts.index
    )
    given = f" matching select {dict(select)}" if select else ""
    return (
        f"{name} has {len(groups)} {indicator} factors{given} and none is the default: {options}; "
        f"choose one with select={{{key!r}: {{{shown[0]!r}: ...}}}} "
        "(conflicting factors are never averaged)"
    )
