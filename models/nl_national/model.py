"""Dutch economy-wide material flows: the trend table model.toml names.

``trend`` returns one row per year that msa.csv or the published headline table
(``data/nl_national_headlines.csv``) gives: for the years of msa.csv the flows the ICER national
Sankey draws (read from :func:`msa.icer_national`, so the table and the Sankeys show the same
numbers) and the headline indicators DMI and DMC (:func:`msa.direct_material_input`,
:func:`msa.domestic_material_consumption`); for every year the published DMI and DMC of the
headline table. A value the data do not give for a year is left empty, never 0 (see README.md).

``derived_dmc`` derives DMC per material category and in total for the years of the published
DMC index (CBS 2024, Figuur 4.1.1; ``data/nl_dmc_by_category.csv``) from the published 2022
levels: DMC_cat(year) = DMC_cat(2022) x index_cat(year) / index_cat(2022), with the interval the
rounding of the published inputs allows. These are msa's derived values, not published ones:
``trend`` shows them as ``DMC derived`` (``low``, ``high``), never as ``DMC published``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import msa
from msa.errors import DataError

MT = 1e6  # tonnes per Mt
HEADLINES = Path(__file__).resolve().parent / "data" / "nl_national_headlines.csv"
BY_CATEGORY = Path(__file__).resolve().parent / "data" / "nl_dmc_by_category.csv"
CATEGORIES = ("biomass", "metals", "non-metallic minerals", "fossil energy carriers")
BASE_YEAR = 2022  # the year of the published DMC levels (CBS 2024, Figuur 2.1.1)
LEVEL_HALF = 0.5  # Mt: the 2022 levels are published as whole Mt
INDEX_HALF = 0.005  # the index is published with two decimals
_DERIVED = ["DMC derived", "DMC derived low", "DMC derived high"]
# published headline variable -> trend column
_PUBLISHED = {"NL.DMI": "DMI published", "NL.DMC": "DMC published"}

# trend column -> which ICER national links it sums: (source node or None, target node or None,
# source node excluded or None); None matches every node.
_FLOWS: dict[str, tuple[str | None, str | None, str | None]] = {
    "domestic extraction": ("Winning", None, None),
    "imports used (excl. waste)": ("Import (ex afval)", None, "Export"),
    "waste imports": ("Import afval", None, None),
    "re-exports": ("Import (ex afval)", "Export", None),
    "exports (excl. re-exports)": (None, "Export", "Import (ex afval)"),
    "material use": (None, "Materiaalgebruik", None),
    "energetic use": (None, "Energetisch gebruik", None),
    "short-cycle products": (None, "Kortcyclische producten", None),
    "net addition to stock": ("Materiaalgebruik", "Voorraad", None),
    "waste": (None, "Afval", None),
    "recycling": ("Afval", "Recycling", None),
    "losses": (None, "Verlies", None),
}


def _flow(links: pd.DataFrame, spec: tuple[str | None, str | None, str | None]) -> float:
    """Return the sum of the links matching ``spec`` in Mt; NaN when none is drawn."""
    source, target, excluded = spec
    keep = pd.Series(True, index=links.index)
    if source is not None:
        keep &= links["source"] == source
    if target is not None:
        keep &= links["target"] == target
    if excluded is not None:
        keep &= links["target" if target is None else "source"] != excluded
    chosen = links.loc[keep, "value"]
    return float(chosen.sum()) / MT if len(chosen) else np.nan


def published(path: Path = HEADLINES) -> pd.DataFrame:
    """Return the published DMI and DMC of the whole economy per year, in Mt (NaN: not published).

    Read from the headline table's rows ``NL.DMI`` and ``NL.DMC`` of ``all materials``.
    """
    table = pd.read_csv(path, comment="#")
    rows = table[(table["material"] == "all materials") & table["variable_code"].isin(_PUBLISHED)]
    wide = rows.pivot(index="year", columns="variable_code", values="value").astype(float)
    wide = wide.reindex(columns=list(_PUBLISHED)).rename(columns=_PUBLISHED)
    wide.index = wide.index.astype(int)
    return wide


def dmc_index(path: Path = BY_CATEGORY) -> pd.DataFrame:
    """Return the published DMC index per year (rows) and material category (columns).

    Read from the rows ``NL.DMC_INDEX`` of ``path`` (2014 = 100, CBS 2024 Figuur 4.1.1).

    Raises
    ------
    DataError
        When a category or the year 2014 or ``BASE_YEAR`` has no row, a row is given twice, a
        value is not a number or the index is not 100 in 2014.
    """
    table = pd.read_csv(path, comment="#")
    rows = table[table["variable_code"] == "NL.DMC_INDEX"]
    twice = rows[rows.duplicated(["material", "year"])]
    if len(twice):
        first = twice.iloc[0]
        raise DataError(f"{path}: two NL.DMC_INDEX rows of {first['material']} in {first['year']}")
    wide = rows.pivot(index="year", columns="material", values="value")
    absent = sorted({2014, BASE_YEAR} - {int(y) for y in wide.index})
    if absent:
        raise DataError(f"{path}: no NL.DMC_INDEX rows of year(s) {absent}")
    missing = sorted(set(CATEGORIES) - set(wide.columns))
    if missing:
        raise DataError(f"{path}: no NL.DMC_INDEX rows for material(s) {missing}")
    wide = wide[list(CATEGORIES)].apply(pd.to_numeric, errors="coerce")
    gaps = wide.isna().stack()
    if gaps.any():
        year, material = gaps[gaps].index[0]
        raise DataError(f"{path}: NL.DMC_INDEX of {material} in {year} is missing or not a number")
    if not (wide.loc[2014] == 100).all():
        raise DataError(f"{path}: NL.DMC_INDEX must be 100 in 2014 (2014 = 100) for every material")
    wide.index = wide.index.astype(int)
    return wide


def dmc_levels(path: Path = HEADLINES, year: int = BASE_YEAR) -> pd.Series:
    """Return the published DMC per material category of ``year``, in Mt (CBS 2024 Fig. 2.1.1).

    Raises
    ------
    DataError
        When a category has no ``NL.DMC`` row for ``year``, or two.
    """
    table = pd.read_csv(path, comment="#")
    rows = table[(table["variable_code"] == "NL.DMC") & (table["year"] == year)]
    if rows["material"].duplicated().any():
        raise DataError(f"{path}: two NL.DMC rows of one material in {year}")
    levels = rows.set_index("material")["value"].astype(float)
    missing = sorted(set(CATEGORIES) - set(levels.index))
    if missing:
        raise DataError(f"{path}: no NL.DMC row of {year} for material(s) {missing}")
    return levels[list(CATEGORIES)]


def derive_dmc(
    index: pd.DataFrame,
    levels: pd.Series,
    base_year: int = BASE_YEAR,
    level_half: float = LEVEL_HALF,
    index_half: float = INDEX_HALF,
) -> pd.DataFrame:
    """Derive DMC per category and in total from an index and the levels of ``base_year``.

    DMC_cat(year) = level_cat x index_cat(year) / index_cat(base_year). ``low`` and ``high``
    bound it over the rounding of the inputs: each level within +/- ``level_half``, each index
    within +/- ``index_half`` (but the 2014 base, exactly 100; the ratio of ``base_year`` is
    exactly 1). ``all materials`` is the sum of the categories, its bounds the sums of theirs.

    Parameters
    ----------
    index
        Index per year (rows) and category (columns), as :func:`dmc_index` returns.
    levels
        Published level per category in ``base_year``, in Mt, as :func:`dmc_levels` returns.
    base_year
        The year of ``levels``; a row of ``index``.
    level_half, index_half
        Half the rounding unit of the levels (Mt) and of the index.

    Returns
    -------
    pandas.DataFrame
        Columns ``material``, ``year``, ``value``, ``low``, ``high`` (Mt), one row per year of
        ``index`` and category, then ``all materials``.
    """
    years = index.index.to_numpy()
    at_base = (years == base_year)[:, None]
    # the 2014 base is exactly 100; every other published index value is rounded
    num_half = np.where((years == 2014)[:, None], 0.0, index_half)
    base = index.loc[base_year].to_numpy()
    ratio = np.where(at_base, 1.0, index.to_numpy() / base)
    low_ratio = np.where(at_base, 1.0, (index.to_numpy() - num_half) / (base + index_half))
    high_ratio = np.where(at_base, 1.0, (index.to_numpy() + num_half) / (base - index_half))
    level = levels[index.columns].to_numpy()
    parts = {
        "value": ratio * level,
        "low": low_ratio * (level - level_half),
        "high": high_ratio * (level + level_half),
    }
    frames = {
        key: pd.DataFrame(values, index=index.index, columns=index.columns).assign(
            **{"all materials": lambda d: d.sum(axis=1)}
        )
        for key, values in parts.items()
    }
    long = pd.concat({key: frame.stack() for key, frame in frames.items()}, axis=1).rename_axis(
        ["year", "material"]
    )
    return long.reset_index()[["material", "year", "value", "low", "high"]]


def derived_dmc(headlines: Path = HEADLINES, by_category: Path = BY_CATEGORY) -> pd.DataFrame:
    """Return the derived DMC of the index's years (:func:`derive_dmc` of the published data)."""
    return derive_dmc(dmc_index(by_category), dmc_levels(headlines))


def trend(built: Any) -> pd.DataFrame:
    """Return the national trend table: one row per year, the ICER national flows, DMI, DMC.

    Values in Mt (billion kg). The flows, ``DMI`` and ``DMC`` are the model's, for the years of
    msa.csv (empty in a year msa.csv does not hold); ``DMI published`` and ``DMC published``
    are the headline table's, for every year it gives them. ``DMC derived`` (with ``DMC derived
    low`` and ``DMC derived high``) is :func:`derived_dmc`'s total for the years of the index:
    derived by msa, not published. ``waste`` is the inflow of *Afval*:
    waste out of the stock plus the short-cycle products that pass on into it (the agreed
    definition of waste production).
    """
    system = built.system
    links = msa.icer_national(system).links
    dmi = msa.direct_material_input(system)
    dmc = msa.domestic_material_consumption(system)
    model_years = [int(y) for y in system.coords["time"]]
    reported = published()
    derived = derived_dmc()
    derived = derived[derived["material"] == "all materials"].set_index("year")
    rows = []
    for year in sorted(set(model_years) | set(reported.index) | set(derived.index)):
        row: dict[str, object] = {"year": year}
        if year in model_years:
            part = links[links["year"] == year]
            row.update({name: _flow(part, spec) for name, spec in _FLOWS.items()})
            row["DMI"] = float(dmi.sel(time=year).sum()) / MT
            row["DMC"] = float(dmc.sel(time=year).sum()) / MT
        else:
            row.update(dict.fromkeys([*_FLOWS, "DMI", "DMC"], np.nan))
        for column in _PUBLISHED.values():
            row[column] = reported.at[year, column] if year in reported.index else np.nan
        for column, key in zip(_DERIVED, ("value", "low", "high"), strict=True):
            row[column] = derived.at[year, key] if year in derived.index else np.nan
        row["units"] = "Mt"
        rows.append(row)
    return pd.DataFrame(rows)


def dmc_by_category(built: Any) -> pd.DataFrame:
    """Return the derived DMC per category and year with its interval, labelled ``derived``.

    One row per material category (and ``all materials``) and year of the published index: the
    value, ``low`` and ``high`` of :func:`derived_dmc` in Mt, the published index, ``kind``
    (always ``derived``: not a published figure) and the formula. ``built`` is not used: the
    values come from the published tables in ``data/``.
    """
    del built
    derived = derived_dmc()
    index = dmc_index().stack().rename("index (2014 = 100)").rename_axis(["year", "material"])
    table = derived.merge(index.reset_index(), on=["material", "year"], how="left")
    table["kind"] = "derived"
    table["formula"] = np.where(
        table["material"] == "all materials",
        "sum of the four categories",
        "DMC_cat(year) = DMC_cat(2022) x index_cat(year) / index_cat(2022)",
    )
    table["units"] = "Mt"
    return table
