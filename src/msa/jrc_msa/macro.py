"""Macro meets product group: a product group's flows as a share of the national flows.

A product-group model (EV batteries, PV panels) counts its flows by material; the national
material-flow figures (CBS/PBL: DMI, DMC, waste) count them by material group, the main
categories of economy-wide material flow accounts (EW-MFA MF.1 biomass, MF.2 metal ores, MF.3
non-metallic minerals, MF.4 fossil energy carriers). :func:`national_share` links the two
through a stated concordance (product material -> national material group) and divides.
:func:`national_headlines` reads the national figures: the ones msa ships
(``src/msa/data/nl_national_headlines.csv``) or a table of the same format, for every year it
holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import DataError, DimensionError
from msa.jrc_msa.tables import MASS_UNITS
from msa.system.dim_tables import load_concordance, read_concordance
from msa.system.dims import Concordance, aggregate

__all__ = ["ALL_MATERIALS", "GROUP_DIM", "national_headlines", "national_share"]

#: The dim of the national material groups.
GROUP_DIM = "material_group"
#: The national group of the economy total.
ALL_MATERIALS = "all materials"
_COLUMNS = ("material", "region", "year", "variable_code", "value", "unit", "source")
_SHIPPED = "msa/data/nl_national_headlines.csv"
_KEEP = ("time", "sample")  # dims a product flow keeps besides its material


def _read_headlines(path: str | Path | None) -> tuple[pd.DataFrame, str]:
    """Return the national headline table and its origin (the file named in errors)."""
    if path is None:
        text = files("msa").joinpath("data", "nl_national_headlines.csv").read_text("utf-8")
        origin = _SHIPPED
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise DataError(f"{origin}: cannot read the national headline table ({err})") from err
    table = pd.read_csv(StringIO(text), comment="#", dtype=str, keep_default_na=False)
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{origin}: missing column(s) {missing}; the columns are {list(_COLUMNS)}")
    return table, origin


def _to_tonnes(unit: str, where: str) -> float:
    """Return the factor from ``unit`` (its first word: ``"Mt (=billion kg)"``) to tonnes."""
    word = unit.split()[0] if unit.split() else ""
    if word not in MASS_UNITS:
        raise DataError(f"{where}: unit {unit!r} is not a mass unit (one of {list(MASS_UNITS)})")
    return MASS_UNITS[word]


def national_headlines(
    variable: str, *, region: str = "NL", path: str | Path | None = None
) -> xr.DataArray:
    """Return one national headline variable by material group and year, in tonnes.

    Parameters
    ----------
    variable : str
        The ``variable_code`` of the table, e.g. ``"NL.DMI"``, ``"NL.DMC"``, ``"NL.WASTE"``.
    region : str
        The ``region`` of the rows to take.
    path : str or Path, optional
        A table of the same format (``material, region, year, variable_code, value, unit,
        source``; e.g. ``models/nl_national/data/nl_national_headlines.csv``). Default: the
        figures msa ships, ``src/msa/data/nl_national_headlines.csv``, each row citing its
        source.

    Returns
    -------
    DataArray
        Over ``material_group`` (the table's ``material``: ``"metals"``, ``"all materials"``
        ...) and ``time`` (every year the table gives the variable for); NaN where a group has
        no row in a year (never filled). attrs: ``units`` ``"t"``, ``variable``, ``region``,
        ``source`` (the table) and ``references`` (the rows' source texts).

    Raises
    ------
    msa.DataError
        A missing column, no row of ``variable`` and ``region``, a non-mass unit, a value that
        is not a number, or two rows for one group and year; one line naming the table.

    Examples
    --------
    >>> dmi = national_headlines("NL.DMI")
    >>> float(dmi.sel(material_group="metals", time=2022))
    30000000.0
    """
    table, origin = _read_headlines(path)
    rows = table[(table["variable_code"] == variable) & (table["region"] == region)]
    where = f"{origin}: variable {variable!r}, region {region!r}"
    if rows.empty:
        known = sorted(set(table.loc[table["region"] == region, "variable_code"]))
        raise DataError(f"{where}: no rows (variables of the region: {known})")
    factor = np.array([_to_tonnes(u, where) for u in rows["unit"]])
    try:
        values = rows["value"].astype(float).to_numpy() * factor
        years = rows["year"].astype(int).to_numpy()
    except ValueError as err:
        raise DataError(f"{where}: a value or year is not a number ({err})") from err
    index = pd.MultiIndex.from_arrays(
        [rows["material"].to_numpy(), years], names=[GROUP_DIM, "time"]
    )
    if index.has_duplicates:
        twice = [f"{g} {y}" for g, y in index[index.duplicated()]]
        raise DataError(f"{where}: several rows for {twice}; keep one per group and year")
    series = pd.Series(values, index=index).sort_index(level="time", sort_remaining=False)
    da = xr.DataArray.from_series(series)
    da.attrs = {
        "units": "t",
        "variable": variable,
        "region": region,
        "source": origin,
        "references": " | ".join(dict.fromkeys(rows["source"])),
    }
    return da.rename(variable)


def _resolve(concordance: Concordance | str | Path | None) -> tuple[Concordance | None, str]:
    """Return the concordance and its name (a bundled one by name, or a CSV file)."""
    if concordance is None:
        return None, f"total (every material -> {ALL_MATERIALS})"
    if isinstance(concordance, Concordance):
        return concordance, f"{concordance.source} -> {concordance.target}"
    if str(concordance).endswith(".csv"):
        return read_concordance(concordance), str(concordance)
    return load_concordance(str(concordance)), str(concordance)


def _product_by_material(
    flows: xr.DataArray, dim: str, materials: Sequence[str] | None
) -> xr.DataArray:
    """Sum ``flows`` over every dim but time, the material dim and a sample, in tonnes."""
    for needed in ("time", dim):
        if needed not in flows.dims:
            raise DimensionError(
                f"national_share: the product flows have no {needed!r} dim (dims: "
                f"{list(flows.dims)})"
            )
    units = str(flows.attrs.get("units", ""))
    if not units:
        raise DataError("national_share: the product flows have no units attr; give one ('t')")
    factor = _to_tonnes(units, "national_share: product flows")
    summed = flows.sum([d for d in flows.dims if d not in (*_KEEP, dim)], keep_attrs=True)
    if materials is not None:
        unknown = [m for m in materials if m not in set(summed[dim].values)]
        if unknown:
            raise DimensionError(f"national_share: material(s) {unknown} not in the product flows")
        summed = summed.sel({dim: list(materials)})
    return (summed * factor).assign_attrs(units="t")


def _reasons(national: xr.DataArray, variable: str) -> xr.DataArray:
    """Return why each (group, year) has no share: no national figure, or a figure of 0."""
    missing = national.isnull().values
    zero = (national == 0).values
    groups = national[GROUP_DIM].values
    years = national["time"].values
    text = np.full(national.shape, "", dtype=object)
    for i, j in zip(*np.nonzero(missing | zero), strict=True):
        state = "no national figure" if missing[i, j] else "the national figure is 0"
        text[i, j] = f"{state} of {variable} for {groups[i]} in {years[j]}"
    return xr.DataArray(text, coords=national.coords, dims=national.dims)


def _stated(mapping: Concordance, materials: Sequence[str]) -> str:
    """Return each material's group (with its share where split): ``"Li -> metals; ..."``."""
    parts = []
    for m in materials:
        split = mapping.mapping[m]
        groups = [g if s == 1 else f"{g} ({s:g})" for g, s in split.items()]
        parts.append(f"{m} -> {', '.join(groups)}")
    return "; ".join(parts)


def national_share(
    product_flows: xr.DataArray,
    national: xr.DataArray,
    *,
    concordance: Concordance | str | Path | None,
    materials: Sequence[str] | None = None,
) -> xr.Dataset:
    r"""Return a product group's flows as a share of the national flow of their material group.

    Parameters
    ----------
    product_flows : DataArray
        A flow of the product-group model with ``time`` and a material dim (the concordance's
        source dim) and a mass ``units`` attr; every other dim (vehicle, chemistry ...) is
        summed, a Monte Carlo ``sample`` dim kept.
    national : DataArray
        The national flow over ``material_group`` and ``time`` in a mass unit, as
        :func:`national_headlines` returns it (its attrs ``variable`` and ``source`` are
        carried to the result).
    concordance : Concordance, str, Path or None
        Product material -> national material group: a :class:`~msa.system.dims.Concordance`
        (target dim ``material_group``), the name of a bundled one
        (``"ev_battery_material_group"``, ``"pv_panel_material_group"``), a CSV file
        (:func:`msa.read_concordance`), or ``None`` for the total (every material ->
        ``"all materials"``). Every material of the flows must be mapped (never dropped).
    materials : sequence of str, optional
        Only these materials of the flows (e.g. ``["Li", "Co", "Ni"]``); default all.

    Returns
    -------
    Dataset
        Over ``material_group`` (the groups the materials map to) and the flows' ``time``:
        ``product`` (t), ``national`` (t), ``share`` (``units`` ``"1"``) and ``reason`` (why a
        share is NaN: no national figure of that group and year, or a figure of 0; empty
        where computed). attrs: ``concordance`` (its name), ``concordance_mapping`` (each
        material's group), ``national_variable``, ``national_source``, ``formula``.

    Raises
    ------
    msa.DimensionError
        The flows lack ``time`` or the material dim, a material is not mapped, or
        ``national`` is not over ``material_group`` and ``time``.
    msa.DataError
        A unit is missing or not a mass unit.

    Notes
    -----
    :math:`s_{g,t} = \sum_m x_{m,t} S_{m,g} / N_{g,t}`, with :math:`x` the product flow of
    material :math:`m` in year :math:`t`, :math:`S` the concordance's share matrix and
    :math:`N_{g,t}` the national flow of group :math:`g`. A year without a national figure
    gives NaN with its reason, never a filled value. The groups are the EW-MFA main
    categories (Eurostat, Economy-wide material flow accounts handbook, 2018 edition); the
    national figures count traded goods by mass, so the share compares sizes, it does not
    place the product inside the national account.

    Examples
    --------
    >>> flows = xr.DataArray([[3.0, 1.0], [6.0, 2.0]], dims=("time", "material"),
    ...     coords={"time": [2022, 2023], "material": ["Li", "graphite"]}, attrs={"units": "kt"})
    >>> national = xr.DataArray([[30.0, np.nan], [60.0, np.nan]], dims=(GROUP_DIM, "time"),
    ...     coords={GROUP_DIM: ["metals", "non-metallic minerals"], "time": [2022, 2023]},
    ...     attrs={"units": "Mt", "variable": "NL.DMI", "source": "example"})
    >>> c = Concordance("material", GROUP_DIM,
    ...                 {"Li": "metals", "graphite": "non-metallic minerals"})
    >>> out = national_share(flows, national, concordance=c)
    >>> out["share"].sel(time=2022).values.tolist()
    [0.0001, 1.6666666666666667e-05]
    >>> str(out["reason"].sel(material_group="metals", time=2023).item())
    'no national figure of NL.DMI for metals in 2023'
    """
    mapping, name = _resolve(concordance)
    dim = "material" if mapping is None else mapping.source
    product = _product_by_material(product_flows, dim, materials)
    if mapping is None:
        items = tuple(str(m) for m in product[dim].values)
        mapping = Concordance(dim, GROUP_DIM, dict.fromkeys(items, ALL_MATERIALS))
    if mapping.target != GROUP_DIM or set(national.dims) != {GROUP_DIM, "time"}:
        raise DimensionError(
            f"national_share: the concordance must map onto {GROUP_DIM!r} (got "
            f"{mapping.target!r}) and the national flow be over ({GROUP_DIM!r}, 'time') (got "
            f"{list(national.dims)})"
        )
    by_group = aggregate(product, mapping)
    materials_used = [str(m) for m in product[dim].values]
    groups = list(dict.fromkeys(g for m in materials_used for g in mapping.mapping[m]))
    by_group = by_group.sel({GROUP_DIM: groups})
    factor = _to_tonnes(str(national.attrs.get("units", "")), "national_share: national flow")
    nat = (national * factor).reindex({GROUP_DIM: groups, "time": product["time"].values})
    variable = str(national.attrs.get("variable", national.name or "national flow"))
    share = by_group / nat.where(nat != 0)
    stated = _stated(mapping, materials_used) if concordance is not None else ""
    stated = stated or f"every material -> {ALL_MATERIALS}"
    return xr.Dataset(
        {
            "product": by_group.assign_attrs(units="t"),
            "national": nat.assign_attrs(units="t"),
            "share": share.assign_attrs(units="1"),
            "reason": _reasons(nat, variable),
        },
        attrs={
            "concordance": name,
            "concordance_mapping": stated,
            "national_variable": variable,
            "national_source": str(national.attrs.get("source", "")),
            "formula": "share[g, t] = sum_m product[m, t] * S[m, g] / national[g, t]",
        },
    )
