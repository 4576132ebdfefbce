r"""Policy indicators computed from a system's JRC MSA variables.

Every indicator is a pure function of a :class:`msa.System` (or of its
:func:`msa.jrc_variables`) returning a DataArray over ``time`` (and ``material``,
``region`` where the system has them). It needs certain JRC codes; if the system lacks one it
raises :class:`msa.DataError` naming the indicator and the missing codes. A value folded over
several codes (``"C.1.2+D.1.2"``) is used when all its codes are terms of the same sum, and
refused when it straddles terms (the fold cannot be split). Rates are NaN where the
denominator is 0 (undefined, not 0).

Trade in MSA terms (all of the chain's imports and exports):

.. math::

    IMP &= C.1.3 + C.1.4 + C.1.8 + D.1.3 + D.1.8 + D.1.9 + E.1.4 + F.1.2 \\
    EXP &= B.1.3 + C.1.2 + C.1.6 + D.1.2 + D.1.6 + E.1.3 + F.1.1 + G.1.3

The definitions, their sources and how the MSA reading differs are in ``docs/jrc_views.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError
from msa.jrc_msa.template import jrc_variables
from msa.system.core import System

__all__ = [
    "EXPORT_CODES",
    "IMPORT_CODES",
    "INDICATORS",
    "circular_material_use_rate",
    "collection_rate",
    "direct_material_input",
    "domestic_extraction",
    "domestic_material_consumption",
    "eol_recycling_input_rate",
    "eol_recycling_rate",
    "import_reliance",
    "indicator_table",
    "net_addition_to_stock",
    "recycling_rate_of_waste",
]

#: JRC codes of imports into the chain (any stage).
IMPORT_CODES: tuple[str, ...] = (
    "C.1.3",
    "C.1.4",
    "C.1.8",
    "D.1.3",
    "D.1.8",
    "D.1.9",
    "E.1.4",
    "F.1.2",
)
#: JRC codes of exports out of the chain (any stage).
EXPORT_CODES: tuple[str, ...] = (
    "B.1.3",
    "C.1.2",
    "C.1.6",
    "D.1.2",
    "D.1.6",
    "E.1.3",
    "F.1.1",
    "G.1.3",
)
_EXTRACTION = ("B.1.1", "B.1.2")
Source = System | xr.DataArray


def _variables(source: Source) -> xr.DataArray:
    return jrc_variables(source) if isinstance(source, System) else source


def _total(variables: xr.DataArray, codes: Iterable[str], *, indicator: str) -> xr.DataArray:
    """Sum the values whose codes lie in ``codes``; raise if a code is missing or straddled."""
    wanted = set(codes)
    used, covered = [], set()
    for key in (str(k) for k in variables["code"].values):
        members = set(key.split("+"))
        inside = members & wanted
        if not inside:
            continue
        if members - wanted:
            raise DataError(
                f"{indicator}: value {key!r} folds codes inside ({sorted(inside)}) and outside "
                f"({sorted(members - wanted)}) one term of the formula; give them separately"
            )
        used.append(key)
        covered |= members
    lacking = sorted(wanted - covered)
    if lacking:
        raise DataError(
            f"{indicator} needs JRC code(s) {lacking}, which the system lacks; add them to the "
            "MSA table (0 where there is no flow) or tag the flows with jrc_code"
        )
    total = variables.sel(code=used).sum("code")
    total.attrs = {"units": variables.attrs.get("units", "t")}
    return total


def _require(variables: xr.DataArray, indicator: str, *groups: Iterable[str]) -> xr.DataArray:
    """Raise once, naming every code the indicator needs and the variables lack."""
    wanted = set().union(*(set(g) for g in groups))
    covered = {m for k in variables["code"].values for m in str(k).split("+")}
    lacking = sorted(wanted - covered)
    if lacking:
        raise DataError(
            f"{indicator} needs JRC code(s) {lacking}, which the system lacks; add them to the "
            "MSA table (0 where there is no flow) or tag the flows with jrc_code"
        )
    return variables


def _ratio(num: xr.DataArray, den: xr.DataArray, name: str, formula: str) -> xr.DataArray:
    out = (num / den.where(den != 0)).rename(name)
    out.attrs = {"units": "1", "formula": formula}
    return out


def _named(value: xr.DataArray, name: str, formula: str) -> xr.DataArray:
    out = value.rename(name)
    out.attrs = {"units": value.attrs.get("units", "t"), "formula": formula}
    return out


def domestic_extraction(source: Source) -> xr.DataArray:
    r"""Domestic extraction: primary material produced in the territory.

    Notes
    -----
    :math:`DE = B.1.1 + B.1.2` (primary material as main product and as by-product).
    Eurostat's EW-MFA counts *used extraction* of the crude raw material; the MSA counts the
    element content of the primary material, so DE here is in element tonnes.

    References
    ----------
    Eurostat, Statistics Explained, "Glossary: Material flow indicators"
    (ec.europa.eu/eurostat/statistics-explained, consulted 2026-11-29): "Domestic extraction
    is the amount of raw material (excluding water and air), in physical weight, extracted from
    the natural environment for use in the economy".

    Examples
    --------
    >>> v = xr.DataArray([[3.0], [1.0]], dims=("code", "time"),
    ...     coords={"code": ["B.1.1", "B.1.2"], "time": [2020]}, attrs={"units": "t"})
    >>> float(domestic_extraction(v).sel(time=2020))
    4.0
    """
    v = _require(_variables(source), "domestic extraction", _EXTRACTION)
    total = _total(v, _EXTRACTION, indicator="domestic extraction")
    return _named(total, "domestic_extraction", "B.1.1 + B.1.2")


def _imports(v: xr.DataArray, name: str) -> xr.DataArray:
    return _total(v, IMPORT_CODES, indicator=f"{name} (imports)")


def _exports(v: xr.DataArray, name: str) -> xr.DataArray:
    return _total(v, EXPORT_CODES, indicator=f"{name} (exports)")


def direct_material_input(source: Source) -> xr.DataArray:
    r"""Direct material input: domestic extraction plus imports.

    Notes
    -----
    :math:`DMI = DE + IMP` with :math:`DE = B.1.1 + B.1.2` and IMP the sum of
    :data:`IMPORT_CODES`. As Eurostat: "Direct material input = Domestic extraction + Physical
    imports".
    The CBS (NL) DMI excludes re-exports (national-only N.1, not an import code here).

    References
    ----------
    Eurostat, Statistics Explained, "Glossary: Material flow indicators"
    (ec.europa.eu/eurostat/statistics-explained, consulted 2026-11-29).
    """
    v = _require(_variables(source), "DMI", _EXTRACTION, IMPORT_CODES)
    de = _total(v, _EXTRACTION, indicator="DMI (domestic extraction)")
    return _named(de + _imports(v, "DMI"), "dmi", "B.1.1 + B.1.2 + IMP")


def domestic_material_consumption(source: Source) -> xr.DataArray:
    r"""Domestic material consumption: DMI minus exports.

    Notes
    -----
    :math:`DMC = DE + IMP - EXP` (:data:`EXPORT_CODES`). As Eurostat: "Domestic material
    consumption = Domestic extraction + Physical imports - Physical exports = Direct material
    input - Physical exports"; apparent, not final, consumption.

    References
    ----------
    Eurostat, Statistics Explained, "Glossary: Material flow indicators"
    (ec.europa.eu/eurostat/statistics-explained, consulted 2026-11-29).
    """
    v = _require(_variables(source), "DMC", _EXTRACTION, IMPORT_CODES, EXPORT_CODES)
    de = _total(v, _EXTRACTION, indicator="DMC (domestic extraction)")
    value = de + _imports(v, "DMC") - _exports(v, "DMC")
    return _named(value, "dmc", "B.1.1 + B.1.2 + IMP - EXP")


#: Imports, exports and domestic production per stage for :func:`import_reliance`.
_IR_STAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "all": (_EXTRACTION, IMPORT_CODES, EXPORT_CODES),
    "extraction": (_EXTRACTION, ("C.1.3",), ("B.1.3",)),
    "processing": (("C.1.1",), ("D.1.3",), ("C.1.2",)),
}


def import_reliance(source: Source, *, stage: str = "all") -> xr.DataArray:
    r"""Import reliance: net imports over apparent consumption.

    Parameters
    ----------
    source : System or DataArray
    stage : {"all", "extraction", "processing"}
        ``"all"`` (the chain reading in docs/jrc_views.md): all trade and domestic extraction.
        ``"extraction"``: primary material (production B.1.1 + B.1.2, imports C.1.3, exports B.1.3).
        ``"processing"``: processed material (production C.1.1, imports D.1.3, exports C.1.2),
        as the EU criticality assessment does at the stage it assesses.

    Notes
    -----
    :math:`IR = (IMP - EXP) / (DP + IMP - EXP)`, DP the domestic production of the stage.
    Not verified against the EC/JRC wording (not found by the project's search); the same form
    as the common "Net Import Reliance = (Imports - Exports) / Apparent consumption".

    References
    ----------
    European Commission (2017). *Methodology for establishing the EU list of critical raw
    materials: guidelines*, import reliance; Blengini et al. (2017), EUR 28654 EN,
    doi:10.2760/73303.

    Examples
    --------
    >>> v = xr.DataArray([[60.0], [0.0], [40.0], [20.0]], dims=("code", "time"),
    ...     coords={"code": ["B.1.1", "B.1.2", "C.1.3", "B.1.3"], "time": [2020]})
    >>> float(import_reliance(v, stage="extraction").sel(time=2020))
    0.25
    """
    if stage not in _IR_STAGES:
        raise ConfigError(f"stage must be one of {list(_IR_STAGES)} (got {stage!r})")
    production, imp_codes, exp_codes = _IR_STAGES[stage]
    name = f"import reliance ({stage})"
    v = _require(_variables(source), name, production, imp_codes, exp_codes)
    dp = _total(v, production, indicator=f"{name} (production)")
    net = _total(v, imp_codes, indicator=f"{name} (imports)") - _total(
        v, exp_codes, indicator=f"{name} (exports)"
    )
    return _ratio(net, dp + net, "import_reliance", "(IMP - EXP) / (DP + IMP - EXP)")


def eol_recycling_input_rate(source: Source) -> xr.DataArray:
    r"""End-of-life recycling input rate (EoL-RIR): old scrap's share of material input.

    Notes
    -----
    .. math::

        EoL\text{-}RIR = \frac{G.1.1 + G.1.2}
        {B.1.1 + B.1.2 + C.1.3 + C.1.4 + D.1.3 + G.1.1 + G.1.2}

    Only post-consumer (old) scrap recycled in the EU counts in the numerator; new (process)
    scrap (D.1.5) is excluded. Eurostat (cei_srm010): the indicator "measures, for a given raw
    material, how much of its input into the production system comes from the recycling of
    'old scrap'" and "does not take into account scrap that originates from manufacturing
    processes". The concept is verified; the denominator is msa's reading of the chain
    (docs/jrc_views.md; the JRC formula text was not found).

    References
    ----------
    European Commission (2017). *Methodology for establishing the EU list of critical raw
    materials*, EoL-RIR; Eurostat, reference metadata cei_srm010_esmsip2 (consulted
    2026-11-29).
    """
    name = "EoL-RIR"
    v = _require(
        _variables(source), name, _EXTRACTION, ("C.1.3", "C.1.4", "D.1.3", "G.1.1", "G.1.2")
    )
    secondary = _total(v, ("G.1.1", "G.1.2"), indicator=name)
    supply = _total(v, (*_EXTRACTION, "C.1.3", "C.1.4", "D.1.3", "G.1.1", "G.1.2"), indicator=name)
    return _ratio(
        secondary,
        supply,
        "eol_rir",
        "(G.1.1 + G.1.2) / (B.1.1 + B.1.2 + C.1.3 + C.1.4 + D.1.3 + G.1.1 + G.1.2)",
    )


def circular_material_use_rate(source: Source) -> xr.DataArray:
    r"""Circular material use rate (CMUR): circular use over overall material use.

    Notes
    -----
    Eurostat: :math:`CMUR = U / (DMC + U)` with U the circular use of materials, approximated
    by waste recycled in domestic plants minus imported plus exported waste bound for
    recycling. In MSA terms :math:`U = F.1.4 - F.1.2 + F.1.1`: end-of-life products sent to
    recycling in the territory, minus imported, plus exported end-of-life products. Unlike
    Eurostat, U holds post-consumer waste only (production scrap D.1.5 is not counted) and
    F.1.1 counts all exported end-of-life products, not only those bound for recycling.

    References
    ----------
    Eurostat, reference metadata env_ac_cur_esms (consulted 2026-11-29): "M = DMC + U"; U "is
    approximated by the amount of waste recycled in domestic recovery plants (RCV_R), minus
    imported waste destined for recycling (IMPw), plus exported waste destined for recycling
    abroad (EXPw)". Eurostat (2018) *Circular material use rate: calculation method*,
    KS-GQ-18-013.
    """
    name = "CMUR"
    v = _require(
        _variables(source),
        name,
        ("F.1.4", "F.1.2", "F.1.1"),
        _EXTRACTION,
        IMPORT_CODES,
        EXPORT_CODES,
    )
    u = _total(v, ("F.1.4",), indicator=name) - _total(v, ("F.1.2",), indicator=name)
    u = u + _total(v, ("F.1.1",), indicator=name)
    dmc = domestic_material_consumption(v)
    return _ratio(u, dmc + u, "cmur", "U / (DMC + U), U = F.1.4 - F.1.2 + F.1.1")


def eol_recycling_rate(source: Source) -> xr.DataArray:
    r"""End-of-life recycling rate (EoL-RR): functionally recycled share of end-of-life flows.

    Notes
    -----
    :math:`EoL\text{-}RR = (G.1.1 + G.1.2 + G.1.3) / (E.1.6 + F.1.2)`: secondary material
    from functional recycling (used in the EU or exported) over end-of-life products entering
    collection in the territory. Non-functional recycling (G.1.4) does not count, as in UNEP.
    UNEP defines EOL-RR as "the percentage of a metal in discards that is actually recycled";
    the metals study groups as "Metal Recycled (from EOL Scrap) / Metal Available for
    Recycling (EOL Scrap)". Discards never collected (E.1.5, end-of-life stock E.1.8) are not in the
    denominator here, so this is an upper bound of UNEP's rate.

    References
    ----------
    UNEP International Resource Panel (2011). *Recycling rates of metals: a status report*
    (Graedel et al.), EOL-RR; ILZSG, "Recycling rate definitions" (consulted 2026-11-29).
    """
    name = "EoL-RR"
    v = _require(_variables(source), name, ("G.1.1", "G.1.2", "G.1.3", "E.1.6", "F.1.2"))
    recycled = _total(v, ("G.1.1", "G.1.2", "G.1.3"), indicator=name)
    arising = _total(v, ("E.1.6", "F.1.2"), indicator=name)
    return _ratio(recycled, arising, "eol_rr", "(G.1.1 + G.1.2 + G.1.3) / (E.1.6 + F.1.2)")


def collection_rate(source: Source) -> xr.DataArray:
    r"""Return the collection rate: end-of-life products collected over those reaching it.

    Notes
    -----
    :math:`CR = E.1.6 / (E.1.6 + E.1.8)`: collected for treatment over collected plus newly
    kept at end of life by users (the end-of-life stock E.1.2; the hibernating stock N.4, not
    at end of life, is not in it). The EU Battery Regulation (Art. 59, 60) instead divides by
    the average quantity placed on the market in the three preceding years; use the battery
    model for that target. A net drawdown of the end-of-life stock (E.1.8 < 0) can give CR > 1.

    References
    ----------
    JRC MSA variables E.1.6, E.1.8; Regulation (EU) 2023/1542 Art. 59 for the sales-based rate.
    """
    v = _require(_variables(source), "collection rate", ("E.1.6", "E.1.8"))
    collected = _total(v, ("E.1.6",), indicator="collection rate")
    kept = _total(v, ("E.1.8",), indicator="collection rate")
    return _ratio(collected, collected + kept, "collection_rate", "E.1.6 / (E.1.6 + E.1.8)")


def net_addition_to_stock(source: Source) -> xr.DataArray:
    r"""Net addition to stock (NAS) of products in use, kept at end of life and hibernating.

    Notes
    -----
    :math:`NAS = E.1.7 + E.1.8 (+ N.5)`: the in-use stock, the end-of-life stock kept by users
    and, where the system gives it, msa's hibernating stock (national N.5). Eurostat's EW-MFA
    counts controlled landfills as outputs to nature, not stock, so the landfill addition F.1.6
    and tailings B.1.4 are not included.
    EW-MFA: NAS "may also be calculated directly as gross additions to stock, minus the
    material outputs of ... disposed durable goods, minus materials recycled" (secondary
    wording; the handbook itself was not found by the project's search).

    References
    ----------
    Eurostat (2018). *Economy-wide material flow accounts handbook*, net additions to stock.
    """
    v = _require(_variables(source), "net addition to stock", ("E.1.7", "E.1.8"))
    codes = ("E.1.7", "E.1.8", *(("N.5",) if _holds(v, "N.5") else ()))
    total = _total(v, codes, indicator="net addition to stock")
    return _named(total, "net_addition_to_stock", " + ".join(codes))


def _holds(variables: xr.DataArray, code: str) -> bool:
    """Return whether the variables give ``code``, alone or in a fold."""
    return any(code in str(k).split("+") for k in variables["code"].values)


def recycling_rate_of_waste(source: Source) -> xr.DataArray:
    r"""Recycling rate of waste treated in the territory.

    Notes
    -----
    :math:`RRW = (F.1.4 + D.1.5) / (F.1.3 + F.1.4 + C.1.5 + D.1.4 + D.1.5)`: waste sent for
    recycling (end-of-life products and manufacturing scrap) over all waste of the chain
    treated in the territory (recycled or disposed of). As Eurostat's recycling rate of all
    waste (cei_wm010) it is recycled over treated; it covers one material's chain, not all
    waste. Unlike Eurostat, whose waste management rates are "a proportion of the total
    amount of waste treated" where "Waste exports are added to the waste treated ... while
    imports are deducted", exported waste (C.1.6, D.1.6, F.1.1) is on neither side here and
    imported end-of-life products (F.1.2) stay in.

    References
    ----------
    Eurostat, metadata of cei_wm010 "Recycling rate of all waste excluding major mineral
    wastes"; Eurostat, "Management of waste excluding major mineral wastes" (web page,
    consulted 2026-11-29).
    """
    name = "recycling rate of waste"
    v = _require(_variables(source), name, ("F.1.3", "F.1.4", "C.1.5", "D.1.4", "D.1.5"))
    recycled = _total(v, ("F.1.4", "D.1.5"), indicator=name)
    treated = _total(v, ("F.1.3", "F.1.4", "C.1.5", "D.1.4", "D.1.5"), indicator=name)
    return _ratio(
        recycled,
        treated,
        "recycling_rate_of_waste",
        "(F.1.4 + D.1.5) / (F.1.3 + F.1.4 + C.1.5 + D.1.4 + D.1.5)",
    )


#: The indicators of :func:`indicator_table`: name -> function.
INDICATORS: dict[str, Callable[[Source], xr.DataArray]] = {
    "domestic extraction": domestic_extraction,
    "DMI": direct_material_input,
    "DMC": domestic_material_consumption,
    "import reliance": import_reliance,
    "EoL-RIR": eol_recycling_input_rate,
    "CMUR": circular_material_use_rate,
    "EoL-RR": eol_recycling_rate,
    "collection rate": collection_rate,
    "net addition to stock": net_addition_to_stock,
    "recycling rate of waste": recycling_rate_of_waste,
}


def indicator_table(source: Source, *, year: int | None = None) -> pd.DataFrame:
    """Compute every indicator the system has the variables for.

    Returns
    -------
    pandas.DataFrame
        ``indicator, year, [material, region], value, units, formula, note``; an indicator that
        cannot be computed gets one row with value NaN and the reason (the missing codes) in
        ``note`` -- reported, not dropped.
    """
    v = _variables(source)
    if year is not None and year not in v["time"].values:
        raise DataError(f"year {year} is not in the system (years {v['time'].values.tolist()})")
    rows = []
    for name, func in INDICATORS.items():
        try:
            value = func(v)
        except DataError as err:
            rows.append(pd.DataFrame([{"indicator": name, "value": np.nan, "note": str(err)}]))
            continue
        if year is not None:
            value = value.sel(time=[year])
        frame = value.to_dataframe(name="value").reset_index().rename(columns={"time": "year"})
        frame.insert(0, "indicator", name)
        frame["units"] = value.attrs["units"]
        frame["formula"] = value.attrs["formula"]
        frame["note"] = np.where(frame["value"].isna(), "denominator is 0 (undefined)", "")
        rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    for column in ("year", "units", "formula"):
        if column not in table:
            table[column] = pd.NA if column == "year" else ""
    table["year"] = table["year"].astype("Int64")
    first = ["indicator", "year"]
    rest = [c for c in table.columns if c not in (*first, "value", "units", "formula", "note")]
    return table[[*first, *rest, "value", "units", "formula", "note"]]
