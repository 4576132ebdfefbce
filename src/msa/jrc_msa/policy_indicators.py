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
  :func:`high_grade_recycling_rate`), with the waste-treatment hierarchy as data
  (:func:`waste_treatment_routes`: preparing for re-use, recycling and its high-grade part,
  energy recovery R1, incineration D10, landfill D1 ..., mapped onto the JRC collection and
  recycling variables), what msa takes as high-grade per stream
  (:func:`high_grade_definitions`) and a model's waste by route (:func:`treatment_route_table`);
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
    "high_grade_definitions",
    "high_grade_recycling_rate",
    "treatment_route_table",
    "waste_recycling_rate",
    "waste_treatment_routes",
]


@functools.cache
def _classification(name: str) -> pd.DataFrame:
    path = files("msa").joinpath("data", "classifications", f"{name}.csv")
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


@functools.cache
def _categories() -> pd.DataFrame:
    table = _classification("ew_mfa_categories").copy()
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


def waste_treatment_routes() -> pd.DataFrame:
    """Return the waste-treatment routes in the order of the waste hierarchy (LAP3, WFD).

    Returns
    -------
    DataFrame
        Index ``route`` (``preparing_for_reuse``, ``recycling`` with its parts
        ``high_grade_recycling`` and ``other_recycling``, ``energy_recovery`` (R1),
        ``incineration`` (D10), ``landfill`` (D1), ``discharge`` (D6, D7) and
        ``residual_not_split``); columns ``parent`` (the route refined, ``""`` for none),
        ``order`` (int, 1 = most preferred), ``wfd_level`` (the step of Directive 2008/98/EC
        Art. 4(1)), ``label_en``, ``label_nl``, ``operations`` (the Annex I/II R and D codes),
        ``recycled`` and ``high_grade`` (bool: counted in the numerator of the recycling and the
        high-grade recycling rate), ``jrc_codes`` and ``jrc_reading`` (msa's mapping onto the
        JRC MSA collection and recycling variables), ``status``, ``source_id``; see the cited
        header of ``src/msa/data/classifications/waste_treatment.csv``.

    Notes
    -----
    The hierarchy of Directive 2008/98/EC Art. 4(1), as the national waste plan LAP3 applies
    it: (a) prevention (not a treatment: no route), (b) preparing for re-use, (c) recycling,
    (d) other recovery such as energy recovery (R1), (e) disposal (incineration D10, landfill
    D1, discharge D6/D7). High-grade recycling is a part of recycling defined per waste stream
    (:func:`high_grade_definitions`). The JRC chain splits end-of-life products only into sent
    for recycling (F.1.4) and for disposal (F.1.3): energy recovery, incineration and landfill
    all lie within F.1.3 (and C.1.5, D.1.4, G.1.5).

    References
    ----------
    Directive 2008/98/EC on waste, Art. 3(16), 3(17), 4(1), Annex I (disposal operations D1-D15)
    and Annex II (recovery operations R1-R13); Landelijk afvalbeheerplan 2017-2029 (LAP3).

    Examples
    --------
    >>> routes = waste_treatment_routes()
    >>> routes.sort_values("order").index[:3].tolist()
    ['preparing_for_reuse', 'recycling', 'high_grade_recycling']
    >>> routes.loc["energy_recovery", "label_en"], bool(routes.loc["landfill", "recycled"])
    ('Energy recovery (R1)', False)
    """
    return _routes().copy()


@functools.cache
def _routes() -> pd.DataFrame:
    table = _classification("waste_treatment").copy()
    table["order"] = table["order"].astype(int)
    for column in ("recycled", "high_grade"):
        table[column] = table[column].str.lower().eq("yes")
    return table.set_index("route")


def high_grade_definitions() -> pd.DataFrame:
    """Return what msa takes as high-grade recycling for each waste stream of its models.

    Returns
    -------
    DataFrame
        Index ``stream`` (``ev_batteries``, ``pv_panels``); columns ``label_en``, ``label_nl``,
        ``high_grade`` and ``not_high_grade`` (what counts and what does not), ``basis``
        (``output``: the recovered mass reaching the high-grade application), ``computable_in``
        (the model and flows that tell high-grade apart; ``""``: none), ``status``, ``grade``,
        ``source_id``.

    Notes
    -----
    LAP3 defines high-grade recycling per waste stream. The sector plans for batteries and
    for electrical and electronic equipment were not read, so every row is msa's assumption
    (grade D): LAP3's highest level of recycling, the original functional material in the same
    or a comparable application, applied to the stream (cited header of
    ``src/msa/data/classifications/high_grade_recycling.csv``).

    Examples
    --------
    >>> d = high_grade_definitions()
    >>> d.loc["ev_batteries", "status"], d.loc["ev_batteries", "grade"]
    ('assumption', 'D')
    """
    return _classification("high_grade_recycling").set_index("stream")


def treatment_route_table(
    routes: Mapping[str, xr.DataArray], treated: xr.DataArray | None = None
) -> pd.DataFrame:
    r"""Return waste by treatment route per year, in hierarchy order, with each route's share.

    Parameters
    ----------
    routes : mapping of str to DataArray
        Route id (:func:`waste_treatment_routes`) -> the mass it receives, over ``time``; every
        other dim but a Monte Carlo ``sample`` is summed. Give the finest routes the model
        tells apart (``high_grade_recycling`` and ``other_recycling``, not also ``recycling``).
    treated : DataArray, optional
        The waste treated in the territory (the denominator of the NPCE rates); default the sum
        of the routes. A route outside it (e.g. products repurposed before discard) still gets
        a share of it.

    Returns
    -------
    DataFrame
        ``year, [sample,] route, order, label_en, label_nl, wfd_level, operations, value,
        units, share_of_treated``, sorted by year and hierarchy order; ``share_of_treated`` is
        NaN where the treated waste is 0.

    Raises
    ------
    DataError
        On an unknown route, a route given with its own part (``recycling`` with
        ``high_grade_recycling``), a route without ``time``, or mixed units.

    Notes
    -----
    :math:`s_{r,t} = W_{r,t} / W_{treated,t}`; with the recycled and high-grade flags of
    :func:`waste_treatment_routes` these shares add up to the recycling and high-grade
    recycling rates (:func:`waste_recycling_rate`, :func:`high_grade_recycling_rate`) on the
    same basis.

    Examples
    --------
    >>> t = {"time": [2030]}
    >>> table = treatment_route_table({
    ...     "landfill": xr.DataArray([10.0], coords=t, attrs={"units": "t"}),
    ...     "high_grade_recycling": xr.DataArray([30.0], coords=t, attrs={"units": "t"}),
    ...     "other_recycling": xr.DataArray([60.0], coords=t, attrs={"units": "t"})})
    >>> table[["route", "share_of_treated"]].values.tolist()
    [['high_grade_recycling', 0.3], ['other_recycling', 0.6], ['landfill', 0.1]]
    """
    known = _routes()
    _check_routes(routes, known)
    units = {str(a.attrs.get("units", "t")) for a in routes.values()}
    if treated is not None:
        units.add(str(treated.attrs.get("units", "t")))
    if len(units) > 1:
        raise DataError(f"treatment routes: mixed units {sorted(units)}; convert first")
    sums = {r: _over_time(a, r) for r, a in routes.items()}
    total = _over_time(treated, "treated") if treated is not None else sum(sums.values())
    assert isinstance(total, xr.DataArray)  # the routes are not empty (checked)
    frames = []
    for route, value in sums.items():
        frame = value.to_series().rename("value").reset_index()
        share = (value / total.where(total != 0)).to_series().to_numpy()
        frame = frame.assign(route=route, share_of_treated=share)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).rename(columns={"time": "year"})
    info = known.loc[table["route"], ["order", "label_en", "label_nl", "wfd_level", "operations"]]
    table = pd.concat([table.reset_index(drop=True), info.reset_index(drop=True)], axis=1)
    table["units"] = units.pop()
    table = table.sort_values(["year", "order"], kind="stable").reset_index(drop=True)
    sample = ["sample"] if "sample" in table.columns else []
    columns = ["year", *sample, "route", "order", "label_en", "label_nl", "wfd_level", "operations"]
    return table[[*columns, "value", "units", "share_of_treated"]]


def _check_routes(routes: Mapping[str, xr.DataArray], known: pd.DataFrame) -> None:
    """Raise on no route, an unknown route, or a route given together with one of its parts."""
    if not routes:
        raise DataError("treatment routes: give at least one route")
    unknown = sorted(set(routes) - set(known.index))
    if unknown:
        raise DataError(
            f"treatment routes: unknown route(s) {unknown}; use those of "
            f"msa.jrc_msa.waste_treatment_routes(): {list(known.index)}"
        )
    doubled = sorted(r for r in routes if known.loc[r, "parent"] in routes)
    if doubled:
        parents = sorted({str(known.loc[r, "parent"]) for r in doubled})
        raise DataError(
            f"treatment routes: {doubled} are parts of {parents}, also given: the mass would "
            "count twice; give the parts or the whole"
        )


def _over_time(values: xr.DataArray, name: str) -> xr.DataArray:
    """Sum every dim but ``time`` and ``sample``; raise if there is no ``time``."""
    if "time" not in values.dims:
        raise DataError(f"treatment routes: {name!r} has no 'time' dim (dims {values.dims})")
    return values.sum([d for d in values.dims if d not in ("time", "sample")])


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
