r"""The indicators the NPCE 2035 and CRMA 2030 targets are stated in.

Pure functions of DataArrays (flows a model computes, or JRC MSA variables summed), each
returning a DataArray over the dims left (``time``, ``sample``, ...). Rates are NaN where the
denominator is 0 (undefined, not 0). The targets themselves are data
(:func:`msa.policy_targets`); a model declares which of its indicators answers each.

- raw material use without energy carriers (:func:`dmi_excluding_energy_carriers`), with the
  material-type classification of economy-wide material flow accounts
  (:func:`ew_mfa_categories`: MF.1 biomass, MF.2 metal ores, MF.3 non-metallic minerals, MF.4
  fossil energy materials/carriers, and the split of biomass into energetic and other use
  where the classification gives it);
- the share of biobased and secondary raw materials (:func:`biobased_secondary_share`);
- the recycling rate and high-grade recycling rate of waste (:func:`waste_recycling_rate`,
  :func:`high_grade_recycling_rate`);
- the CRMA benchmarks: extraction, processing or recycling capacity over consumption of a
  strategic raw material (:func:`capacity_over_consumption`).

A declared model names them in ``[outputs.indicators.<name>] library = "<function>"`` with
``inputs`` (flows and stocks summed for each argument) and, for the first two, ``categories``
(each ``material`` label's EW-MFA category): :data:`LIBRARY`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files

import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError

__all__ = [
    "LIBRARY",
    "LibraryIndicator",
    "biobased_secondary_share",
    "capacity_over_consumption",
    "dmi_excluding_energy_carriers",
    "ew_mfa_categories",
    "high_grade_recycling_rate",
    "waste_recycling_rate",
]


@functools.cache
def _categories() -> pd.DataFrame:
    path = files("msa").joinpath("data", "classifications", "ew_mfa_categories.csv")
    with path.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)
    for column in ("energy_carrier", "biobased"):
        table[column] = table[column].str.lower().eq("yes")
    return table.set_index("ew_mfa_category")


def ew_mfa_categories() -> pd.DataFrame:
    """Return the EW-MFA material categories with their energy-carrier and biobased flags.

    Returns
    -------
    DataFrame
        Index ``ew_mfa_category`` (``MF.1`` ... ``MF.4`` and sub-categories); columns
        ``label_en``, ``main_category``, ``energy_carrier`` and ``biobased`` (bool),
        ``status`` (seen, reading or assumption; see the cited header of
        ``src/msa/data/classifications/ew_mfa_categories.csv``).

    Examples
    --------
    >>> t = ew_mfa_categories()
    >>> bool(t.loc["MF.4", "energy_carrier"]), bool(t.loc["MF.1.3.2", "energy_carrier"])
    (True, True)
    >>> sorted(t.index[t["energy_carrier"]])
    ['MF.1.3.2', 'MF.4']
    """
    return _categories().copy()


def _flags(
    values: xr.DataArray, categories: Mapping[str, str], dim: str, column: str, name: str
) -> xr.DataArray:
    """Return a bool per label of ``dim``: whether its category has the flag ``column``."""
    if dim not in values.dims:
        raise DataError(f"{name}: the values have no {dim!r} dim to classify (dims {values.dims})")
    table = _categories()
    labels = [str(x) for x in values[dim].values]
    lacking = [x for x in labels if x not in categories]
    unknown = sorted({str(c) for c in categories.values()} - set(table.index))
    if lacking or unknown:
        raise DataError(
            f"{name}: every {dim} label needs a known EW-MFA category"
            + (f"; none given for {lacking}" if lacking else "")
            + (f"; unknown categories {unknown} (known: {list(table.index)})" if unknown else "")
        )
    flags = [bool(table.loc[categories[x], column]) for x in labels]
    return xr.DataArray(flags, dims=dim, coords={dim: values[dim].values})


def _ratio(num: xr.DataArray, den: xr.DataArray, formula: str) -> xr.DataArray:
    out = num / den.where(den != 0)
    out.attrs = {"units": "1", "formula": formula}
    return out


def dmi_excluding_energy_carriers(
    dmi: xr.DataArray, categories: Mapping[str, str], *, dim: str = "material"
) -> xr.DataArray:
    r"""Return raw material use: direct material input without fossil and biotic energy carriers.

    Parameters
    ----------
    dmi : DataArray
        Direct material input (domestic extraction plus imports) by material over ``dim``.
    categories : mapping
        Each label of ``dim`` to its EW-MFA category (``"MF.2"``, ``"MF.1.3.2"``, ...;
        :func:`ew_mfa_categories`).
    dim : str
        The dim holding the materials.

    Notes
    -----
    :math:`DMI_{excl.\,energy} = \sum_{m:\ not\ energy\ carrier} DMI_m`. A category is an
    energy carrier as :func:`ew_mfa_categories` flags it: all of MF.4 (fossil energy
    materials/carriers: EW-MFA does not split it by energetic and non-energetic use) and, for
    biomass, wood fuel (MF.1.3.2); biomass not split (MF.1, MF.1.3) counts as material use.
    The NPCE 2035 target compares this with 2016 (:func:`msa.policy_targets`,
    ``npce_dmi_2035``).

    References
    ----------
    NPCE update 2025 (via RIVM 2026-0044 Tabel 3): raw material use (DMI excluding fossil and
    biotic energy carriers) 15% lower in 2035 than in 2016. Eurostat, *Economy-wide material
    flow accounts handbook*, 2018 edition: material categories MF.1-MF.4.

    Examples
    --------
    >>> dmi = xr.DataArray([50.0, 30.0, 20.0], dims="material",
    ...                    coords={"material": ["ore", "gas", "fuelwood"]})
    >>> kinds = {"ore": "MF.2", "gas": "MF.4", "fuelwood": "MF.1.3.2"}
    >>> float(dmi_excluding_energy_carriers(dmi, kinds))
    50.0
    """
    energy = _flags(dmi, categories, dim, "energy_carrier", "DMI excluding energy carriers")
    out = dmi.where(~energy, 0.0).sum(dim)
    out.attrs = {"units": dmi.attrs.get("units", "t"), "formula": "sum of DMI not energy carrier"}
    return out


def biobased_secondary_share(
    primary: xr.DataArray,
    secondary: xr.DataArray,
    categories: Mapping[str, str],
    *,
    dim: str = "material",
) -> xr.DataArray:
    r"""Return the share of raw material input that is biobased or secondary.

    Parameters
    ----------
    primary : DataArray
        Primary raw material input by material over ``dim`` (e.g. DMI).
    secondary : DataArray
        Secondary (recycled) raw material input, with or without ``dim``.
    categories : mapping
        Each label of ``dim`` in ``primary`` to its EW-MFA category; MF.1 and its
        sub-categories are biobased.
    dim : str
        The dim holding the materials.

    Notes
    -----
    .. math::

        S = \frac{\sum_{m\ biobased} P_m + \sum_m R_m}{\sum_m P_m + \sum_m R_m}

    with P primary and R secondary input. Whether biobased input is *sustainably* produced, as
    the NPCE target asks, is not in the material data: this is the upper bound of the target's
    indicator.

    References
    ----------
    NPCE update 2025 (via RIVM 2026-0044 Tabel 3): 55% of raw materials sustainably biobased or
    secondary in 2035.

    Examples
    --------
    >>> p = xr.DataArray([60.0, 20.0], dims="material", coords={"material": ["ore", "wood"]})
    >>> r = xr.DataArray(20.0)
    >>> float(biobased_secondary_share(p, r, {"ore": "MF.2", "wood": "MF.1.3"}))
    0.4
    """
    bio = _flags(primary, categories, dim, "biobased", "biobased and secondary share")
    reused = secondary.sum(dim) if dim in secondary.dims else secondary
    total = primary.sum(dim) + reused
    return _ratio(primary.where(bio, 0.0).sum(dim) + reused, total, "(P_bio + R) / (P + R)")


def waste_recycling_rate(recycled: xr.DataArray, treated: xr.DataArray) -> xr.DataArray:
    r"""Return the recycling rate of waste: waste recycled over waste treated.

    Notes
    -----
    :math:`RR = W_{recycled} / W_{treated}`, the mass sent to recycling over all waste
    treated (recycled, recovered for energy, incinerated, landfilled). For a JRC MSA chain
    :func:`msa.recycling_rate_of_waste` gives it from the codes.

    References
    ----------
    NPCE update 2025 (via RIVM 2026-0044 Tabel 3): 82% of waste recycled in 2035; Eurostat,
    cei_wm010 (recycling rate of all waste): recycled over treated.

    Examples
    --------
    >>> float(waste_recycling_rate(xr.DataArray(82.0), xr.DataArray(100.0)))
    0.82
    """
    return _ratio(recycled, treated, "recycled / treated")


def high_grade_recycling_rate(high_grade: xr.DataArray, treated: xr.DataArray) -> xr.DataArray:
    r"""Return the high-grade recycling rate of waste: waste recycled high-grade over treated.

    Notes
    -----
    :math:`RR_{high} = W_{high\ grade} / W_{treated}`. What counts as high-grade recycling is
    defined per waste stream (the NPCE target says so; the national waste plan LAP3 sets it
    per sector plan), so the caller passes the mass of the routes that count.

    References
    ----------
    NPCE update 2025 (via RIVM 2026-0044 Tabel 3): 15% of waste recycled high-grade in 2035,
    "high-grade defined per stream".

    Examples
    --------
    >>> float(high_grade_recycling_rate(xr.DataArray(15.0), xr.DataArray(60.0)))
    0.25
    """
    return _ratio(high_grade, treated, "recycled high-grade / treated")


def capacity_over_consumption(capacity: xr.DataArray, consumption: xr.DataArray) -> xr.DataArray:
    r"""Return a CRMA benchmark ratio: capacity (or output) of a stage over consumption.

    Parameters
    ----------
    capacity : DataArray
        Extraction, processing or recycling capacity for a strategic raw material (t/yr); a
        model without capacities passes the stage's output (a lower bound of the capacity).
    consumption : DataArray
        Annual consumption of the raw material in the same scope (t/yr).

    Notes
    -----
    :math:`B = C_{stage} / Q`, per material. The CRMA benchmarks for 2030 are 10% (extraction),
    40% (processing) and 25% (recycling) of EU annual consumption of each strategic raw
    material. For the JRC MSA chain, msa's reading: extraction B.1.1 + B.1.2, processing
    C.1.1, recycling G.1.1 + G.1.2, consumption the processed material used in manufacture
    (C.1.1 - C.1.2 + D.1.3).

    References
    ----------
    Regulation (EU) 2024/1252 (Critical Raw Materials Act), Art. 5(1)(a).

    Examples
    --------
    >>> cons = xr.DataArray([100.0, 200.0], dims="material", coords={"material": ["Li", "Co"]})
    >>> cap = xr.DataArray([30.0, 20.0], dims="material", coords={"material": ["Li", "Co"]})
    >>> capacity_over_consumption(cap, cons).values.tolist()
    [0.3, 0.1]
    """
    return _ratio(capacity, consumption, "capacity / consumption")


@dataclass(frozen=True)
class LibraryIndicator:
    """A policy indicator a model can declare with ``library = "<name>"``.

    Attributes
    ----------
    function : callable
        The function of this module.
    inputs : tuple of str
        The names of its DataArray arguments; a declaration gives each as a list of flows
        and ``"stock <process>"`` items, summed.
    categories : bool
        Whether it takes ``categories`` (the EW-MFA category of each ``material`` label); its
        inputs then keep the ``material`` dim.
    """

    function: Callable[..., xr.DataArray]
    inputs: tuple[str, ...]
    categories: bool = False

    def __call__(
        self, arrays: Mapping[str, xr.DataArray], categories: Mapping[str, str] | None = None
    ) -> xr.DataArray:
        """Compute the indicator from its named inputs (and categories)."""
        missing = [n for n in self.inputs if n not in arrays]
        if missing:
            raise ConfigError(f"{self.function.__name__} needs inputs {list(self.inputs)}")
        args = [arrays[n] for n in self.inputs]
        if self.categories:
            return self.function(*args, categories or {})
        return self.function(*args)


#: The indicators a model declares by name (``[outputs.indicators.<name>] library``).
LIBRARY: dict[str, LibraryIndicator] = {
    "dmi_excluding_energy_carriers": LibraryIndicator(
        dmi_excluding_energy_carriers, ("dmi",), categories=True
    ),
    "biobased_secondary_share": LibraryIndicator(
        biobased_secondary_share, ("primary", "secondary"), categories=True
    ),
    "waste_recycling_rate": LibraryIndicator(waste_recycling_rate, ("recycled", "treated")),
    "high_grade_recycling_rate": LibraryIndicator(
        high_grade_recycling_rate, ("high_grade", "treated")
    ),
    "capacity_over_consumption": LibraryIndicator(
        capacity_over_consumption, ("capacity", "consumption")
    ),
}
