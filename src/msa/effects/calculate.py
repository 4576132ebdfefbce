"""Effects of a System: factors multiplied onto the flows that carry the burden.

:func:`effects` is **cradle-to-gate**: a factor is the burden of producing one unit of primary
material up to the factory gate, so it applies *once*, to the primary material entering the
system (the flows a caller names), and never to every flow the material later passes through
(that would count the same production again at each step). Which flows those are is the
caller's explicit choice: ``flows=[...]`` or ``supplied_by=`` a process whose outflows are
primary supply. Secondary material (recycled inside the system) carries no primary burden here;
the burden of recycling processes is not in these factors.

:func:`links_with_effect` puts the result on a Sankey links table (column ``effect``), which
``msa.sankey(..., color_by="effect")`` draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from msa.effects.factors import FactorUnit, parse_factor_unit, registry
from msa.effects.select import Choice, Missing, choose_factor
from msa.errors import ConfigError, DataError
from msa.system.core import System, flow_name
from msa.system.provenance import GRADES, combine_provenance

__all__ = ["effects", "links_with_effect"]

_ORDER = np.array([*GRADES, ""], dtype=object)  # best to worst; ungraded is worst
#: Variables per flow and material: the factor used, what it is, and why there is none.
_PER_FLOW: tuple[str, ...] = (
    "factor",
    "factor_grade",
    "factor_source_id",
    "factor_indicator",
    "factor_form",
    "factor_route",
    "factor_region",
    "factor_unit",
    "factor_rows",
    "missing",
)


def effects(
    system: System,
    factors: pd.DataFrame,
    *,
    indicator: str = "GWP100",
    flows: Sequence[str] | None = None,
    supplied_by: str | Sequence[str] | None = None,
    select: Mapping[str, Mapping[str, object]] | None = None,
    materials: Mapping[str, str] | None = None,
    material: str | None = None,
    keep: Sequence[str] = (),
    units: str | None = None,
    missing: Literal["raise", "report"] = "raise",
) -> xr.Dataset:
    r"""Return the cradle-to-gate effect of the primary material in the named flows.

    Each material of each named flow is multiplied by its factor (one per material, chosen by
    :func:`msa.effects.select.choose_factor`), summed over every dim but ``material``, ``time``
    and ``keep``, and converted with pint (flows in t, factors per kg: ``t x kg CO2-eq/kg =
    t CO2-eq``).

    Parameters
    ----------
    system : System
        The material system.
    factors : DataFrame
        A factor table: :func:`msa.effects.load_factors` (the shipped defaults) or
        :func:`msa.effects.read_factors` of your own (e.g. results of your LCA).
    indicator : str
        ``"GWP100"`` (default), ``"GHG"``, ``"CO2"``, ``"water_use"``, ``"land_use"`` ...
    flows : sequence of str, optional
        Names of the flows of primary material that carry the burden (``"a => b"``).
    supplied_by : str or sequence of str, optional
        Instead of ``flows``: process id(s) whose outflows are primary supply (e.g. a boundary
        ``"Primary materials"``). Exactly one of ``flows`` and ``supplied_by`` is required.
    select : mapping of str to mapping, optional
        Per material (as the System or the factor table names it), the factor to use:
        ``{"Li": {"route": "brine"}}``, ``{"graphite": {"form": "natural"}}``; the key
        ``indicator`` uses another indicator for that material (``{"Al": {"indicator":
        "GHG"}}``: an explicit, recorded choice, as for every other key). Without a selection
        the row marked ``default`` is used where a material has several factors.
    materials : mapping of str to str, optional
        System material to factor-table material, where they differ
        (``{"aluminium": "Al"}``).
    material : str, optional
        The material of flows without a ``material`` dim.
    keep : sequence of str
        Further dims to keep (``"chemistry"``, ``"region"``); every flow must have them.
    units : str, optional
        Unit of the effect's amount (``"kt"`` is a knot: write ``"kilotonne"``). Default: the
        flows' mass unit for mass amounts (t CO2-eq), else the factors' amount (m3, m2a).
    missing : {"raise", "report"}
        A material with mass in the flows but no factor raises :class:`~msa.errors.DataError`
        (default), or with ``"report"`` gets NaN effects and its reason in ``missing``.

    Returns
    -------
    xarray.Dataset
        Dims ``flow``, ``material``, ``time`` (and ``keep``); ``flow`` has the coordinates
        ``source``, ``target``, ``source_stage`` and ``target_stage``, so
        ``ds.effect.groupby("target_stage").sum()`` gives the effect by stage. Variables:

        - ``effect``: the effect (NaN where a material has no factor), attrs ``units``;
        - ``mass``: the flow mass it is computed from;
        - ``grade``: worst of the flow cells' grades and the factor's grade;
        - ``flow_source_id``: the flow cells' shared source id (``""``: several);
        - per flow and material, the factor used (``factor``, in effect units per flow unit and
          per year), its ``factor_grade``, ``factor_source_id``, ``factor_indicator``,
          ``factor_form``, ``factor_route``, ``factor_region``, ``factor_unit`` (as in the
          table), ``factor_rows`` (rows of the table) and ``missing`` (why there is none);
        - ``total`` (time): the effect of every flow and material that has a factor, and
          ``coverage`` (time): the share of the mass that has one.

        attrs: ``indicator``, ``units``, ``boundary``, ``missing`` (one line per material).

    Raises
    ------
    ConfigError
        Neither or both of ``flows`` and ``supplied_by``; an unknown flow or process; a kept
        dim a flow lacks; a flow without ``material`` dim and no ``material``; a conflict
        between factors that needs ``select``; factors of materials that cannot be added (kg
        CO2 and kg CO2-eq, t and m3).
    DataError
        ``missing="raise"`` and a material with mass has no factor (names the materials, the
        reasons and the way out).

    Notes
    -----
    For flow :math:`f`, material :math:`m` and year :math:`t`,

    .. math:: E_{f,m,t} = c_{f,m}\,k_{m}(t) \sum_{\text{other dims}} F_{f,m,t,\dots}

    with :math:`F` the flow, :math:`k_m(t)` the factor (linear between given years) and
    :math:`c` the unit conversion. The grade of :math:`E` is the worst of the grades of the
    cells of :math:`F` it sums and of :math:`k_m`: a result never claims better data than its
    weakest part.

    Examples
    --------
    >>> import msa, xarray as xr
    >>> from msa.effects import effects, load_factors
    >>> s = msa.System("Li", coords={"time": [2030], "material": ["Li"]})
    >>> for pid in ("Mine", "Cells"):
    ...     _ = s.add_process(pid, kind="boundary")
    >>> li = xr.DataArray([[1000.0]], coords={"time": [2030], "material": ["Li"]})
    >>> _ = s.add_flow("Mine", "Cells", li, units="t", grade="B")
    >>> ds = effects(s, load_factors(), flows=["Mine => Cells"])
    >>> float(ds.effect.sum()), ds.effect.attrs["units"], ds.grade.item()
    (104210.0, 't CO2-eq', 'B')
    """
    names = _flow_names(system, flows, supplied_by)
    aliases = dict(materials or {})
    chooser = _Chooser(factors, indicator, dict(select or {}), aliases)
    parts = [_one_flow(system, name, chooser, material, tuple(keep)) for name in names]
    ds = xr.concat(parts, dim="flow", coords="different", compat="equals", join="outer")
    ds = ds.assign_coords({"flow": list(names), **_flow_coords(system, names)})
    ds = _convert(ds, chooser, units, system)
    _report_missing(ds, missing)
    return _finish(ds, chooser, system)


def _flow_names(
    system: System, flows: Sequence[str] | None, supplied_by: str | Sequence[str] | None
) -> list[str]:
    """Return the flows that carry the burden: those named, or the suppliers' outflows."""
    if (flows is None) == (supplied_by is None):
        raise ConfigError(
            "effects: name the flows of primary material that carry the burden: give flows=[...] "
            "or supplied_by=<process>, exactly one of them"
        )
    if flows is not None:
        names = [flows] if isinstance(flows, str) else list(flows)
        unknown = [n for n in names if n not in system.flows]
        if unknown:
            raise ConfigError(
                f"effects: system {system.name!r} has no flow {unknown[0]!r} "
                f"(flows: {sorted(system.flows)})"
            )
    else:
        procs = [supplied_by] if isinstance(supplied_by, str) else list(supplied_by or [])
        for pid in procs:
            if pid not in system.processes:
                raise ConfigError(f"effects: system {system.name!r} has no process {pid!r}")
        names = [n for pid in procs for n in system.outflows(pid)]
    if not names:
        raise ConfigError("effects: the processes named in supplied_by have no outflows")
    return names


def _flow_coords(system: System, names: list[str]) -> dict[str, object]:
    """Source, target, their stages and the unit of each flow, as coordinates on ``flow``."""
    ends = [(system.flows[n].attrs["source"], system.flows[n].attrs["target"]) for n in names]
    stage = {pid: str(p.stage or "") for pid, p in system.processes.items()}
    return {
        "source": ("flow", [s for s, _ in ends]),
        "target": ("flow", [t for _, t in ends]),
        "source_stage": ("flow", [stage[s] for s, _ in ends]),
        "target_stage": ("flow", [stage[t] for _, t in ends]),
        "flow_units": ("flow", [str(system.flows[n].attrs["units"]) for n in names]),
    }


class _Chooser:
    """Choose (once per material, process and unit) the factor of each material of a flow."""

    def __init__(
        self,
        factors: pd.DataFrame,
        indicator: str,
        select: dict[str, Mapping[str, object]],
        aliases: dict[str, str],
    ) -> None:
        self.factors, self.indicator = factors, indicator
        self.select, self.aliases = select, aliases
        self._seen: dict[tuple[str, str, str], Choice | Missing] = {}

    def __call__(self, label: str, process: str, flow_units: str) -> Choice | Missing:
        """Return the factor of system material ``label`` for a flow from ``process``."""
        key = (label, process, flow_units)
        if key not in self._seen:
            name = self.aliases.get(label, label)
            chosen = self.select.get(label, self.select.get(name))
            self._seen[key] = choose_factor(
                self.factors,
                name,
                self.indicator,
                process=process,
                flow_units=flow_units,
                select=chosen,
                label=label,
            )
        return self._seen[key]


def _one_flow(
    system: System, name: str, chooser: _Chooser, material: str | None, keep: tuple[str, ...]
) -> xr.Dataset:
    """Mass, grades and the chosen factors (in the table's unit) of one flow."""
    da = system.flows[name]
    where = f"effects: flow {name!r}"
    lacking = [d for d in keep if d not in da.dims]
    if lacking:
        raise ConfigError(f"{where} has no dim {lacking[0]!r} to keep (dims {da.dims})")
    if "material" not in da.dims:
        if material is None:
            raise ConfigError(f"{where} has no material dim; give material='<its material>'")
        da = da.expand_dims(material=[material])
    kept = ["material", "time", *keep]
    mass = da.sum([d for d in da.dims if d not in kept]).transpose(*kept)
    grade, sid = _flow_provenance(system, name, da, kept)
    source = str(da.attrs["source"])
    choices = [chooser(str(m), source, str(da.attrs["units"])) for m in mass["material"].values]
    years = mass["time"].to_numpy()
    values = np.array([c.over(years) if isinstance(c, Choice) else np.nan * years for c in choices])
    per_material = {
        "factor": (("material", "time"), values.astype(float)),
        **{var: ("material", [_field(c, var) for c in choices]) for var in _PER_FLOW[1:]},
    }
    ds = xr.Dataset(
        {"mass": mass, "flow_grade": grade, "flow_source_id": sid, **per_material},
        coords={"material": mass["material"].values},
    )
    ds["mass"].attrs = {"units": str(da.attrs["units"])}
    return ds


def _field(choice: Choice | Missing, var: str) -> str:
    """Return the text of one per-material variable of a choice (``""`` where it has none)."""
    if isinstance(choice, Missing):
        return choice.reason if var == "missing" else ""
    if var == "missing":
        return ""
    if var == "factor_rows":
        return ",".join(str(r) for r in choice.rows)
    return str(getattr(choice, var.removeprefix("factor_")))


def _flow_provenance(
    system: System, name: str, da: xr.DataArray, kept: list[str]
) -> tuple[xr.DataArray, xr.DataArray]:
    """Worst grade and shared source id of the cells each kept cell of the flow sums."""
    prov = system.provenance.get(name)
    shape = [da.sizes[d] for d in kept]
    coords = {d: da[d].values for d in kept}
    if prov is None:
        blank = np.full(shape, "", dtype=object)
        return (
            xr.DataArray(blank, dims=kept, coords=coords),
            xr.DataArray(blank.copy(), dims=kept, coords=coords),
        )
    if "material" not in prov["grade"].dims:
        prov = prov.expand_dims(material=da["material"].values)
    other = [d for d in prov["grade"].dims if d not in kept]
    grades = prov["grade"].transpose(*kept, *other).values.reshape([*shape, -1])
    ids = prov["source_id"].transpose(*kept, *other).values.reshape([*shape, -1])
    sid, worst = combine_provenance(ids, grades, axis=-1)
    return (
        xr.DataArray(worst, dims=kept, coords=coords),
        xr.DataArray(sid, dims=kept, coords=coords),
    )


def _convert(ds: xr.Dataset, chooser: _Chooser, units: str | None, system: System) -> xr.Dataset:
    """Turn the factors into effect units per flow unit and multiply them onto the mass."""
    ureg = registry()
    found = {
        (str(u), str(fu))
        for u, fu in zip(
            ds["factor_unit"].values.ravel(),
            np.broadcast_to(ds["flow_units"].values[:, None], ds["factor_unit"].shape).ravel(),
            strict=True,
        )
        if u
    }
    kinds = {parse_factor_unit(u).tag: u for u, _ in found}
    dims = {str(ureg.Unit(parse_factor_unit(u).amount).dimensionality): u for u, _ in found}
    if len(kinds) > 1 or len(dims) > 1:
        raise ConfigError(
            f"effects: the chosen factors cannot be added: {sorted({u for u, _ in found})}; "
            "select factors of one kind (e.g. all kg CO2-eq) for every material"
        )
    if not found:
        out_units = units or ""
        tag = ""
    else:
        sample = parse_factor_unit(next(iter(found))[0])
        amount = ureg.Unit(sample.amount)
        mass = amount.dimensionality == ureg.Unit("kg").dimensionality
        flow_units = str(ds["flow_units"].values[0])
        out_units = units or (flow_units if mass else sample.amount)
        tag = sample.tag
    scale = {(u, fu): _scale(parse_factor_unit(u), fu, out_units, system) for u, fu in found}
    multiplier = np.ones(ds["factor_unit"].shape)
    for i, fu in enumerate(ds["flow_units"].values):
        for j, u in enumerate(ds["factor_unit"].values[i]):
            multiplier[i, j] = scale[(str(u), str(fu))] if u else np.nan
    factor = ds["factor"] * xr.DataArray(multiplier, dims=("flow", "material"))
    effect = ds["mass"] * factor
    unit_text = f"{out_units} {tag}".strip()
    effect.attrs = {"units": unit_text}
    factor.attrs = {"units": f"{unit_text}/({ds['mass'].attrs.get('units', 't')})"}
    return ds.assign(effect=effect, factor=factor)


def _scale(unit: FactorUnit, flow_units: str, out_units: str, system: System) -> float:
    """Return c in ``effect [out] = c * factor [amount/per] * flow [flow_units]``."""
    ureg = registry()
    amount, per = unit.amount, unit.per
    try:
        q = ureg.Quantity(1.0, amount) / ureg.Quantity(1.0, per) * ureg.Quantity(1.0, flow_units)
        return float(q.to(out_units).magnitude)
    except Exception as err:  # pint.DimensionalityError or an unknown unit
        raise ConfigError(
            f"effects: system {system.name!r}: cannot express {amount}/{per} x {flow_units} in "
            f"{out_units!r} ({err})"
        ) from err


def _report_missing(ds: xr.Dataset, missing: str) -> None:
    """Raise a DataError for materials with mass but no factor, unless asked to report them."""
    if missing not in ("raise", "report"):
        raise ConfigError(f"effects: missing must be 'raise' or 'report' (got {missing!r})")
    if missing == "report":
        return
    lines = _missing_lines(ds)
    if lines:
        raise DataError(
            f"effects: no factor for material(s) with mass in the flows: {'; '.join(lines)}. "
            "Add factors (read_factors), map the material (materials={...}), choose another "
            "(select={...}), or pass missing='report' to get NaN effects for them "
            "(never a silent zero)"
        )


def _missing_lines(ds: xr.Dataset) -> list[str]:
    """One line per material that has mass but no factor: its mass and the reason."""
    has_mass = ds["mass"].sum([d for d in ds["mass"].dims if d not in ("flow", "material")]) > 0
    lines = []
    for m in ds["material"].values:
        reasons = [
            str(r)
            for r, heavy in zip(
                ds["missing"].sel(material=m).values, has_mass.sel(material=m).values, strict=True
            )
            if heavy and r
        ]
        if reasons:
            lines.append(f"{m!s}: {reasons[0]}")
    return lines


def _finish(ds: xr.Dataset, chooser: _Chooser, system: System) -> xr.Dataset:
    """Add the result grade, totals and coverage; order the dims and write the attrs."""
    factor_rank = _rank(ds["factor_grade"])
    flow_rank = _rank(ds["flow_grade"])
    factor_rank = factor_rank.broadcast_like(flow_rank)
    worst = flow_rank.where(flow_rank >= factor_rank, factor_rank)
    grade = flow_rank.copy(data=_ORDER[worst.transpose(*flow_rank.dims).to_numpy()])
    has_factor = ds["missing"] == ""
    grade = grade.where(has_factor, "")
    covered = ds["mass"].where(has_factor & ds["factor"].notnull().all("time"), 0.0)
    rest = [d for d in ds["mass"].dims if d != "time"]
    total_mass = ds["mass"].sum(rest)
    coverage = (covered.sum(rest) / total_mass).where(total_mass > 0)
    total = ds["effect"].sum(rest, skipna=True)
    total.attrs = dict(ds["effect"].attrs)
    lines = _missing_lines(ds)
    first = ("flow", "material", "time")
    order = [*first, *[d for d in ds["mass"].dims if d not in first]]
    out = ds.drop_vars(["flow_grade"]).assign(grade=grade, total=total, coverage=coverage)
    out = out.transpose(*order)
    out.attrs = {
        "indicator": chooser.indicator,
        "units": ds["effect"].attrs["units"],
        "boundary": (
            "cradle-to-gate: each factor applies once, to the primary material of the flows "
            "named; nothing after the factory gate"
        ),
        "missing": "; ".join(lines),
        "system": system.name,
    }
    return out


def _rank(grades: xr.DataArray) -> xr.DataArray:
    """Rank of each grade: 0 for A ... 3 for D, 4 for ungraded (``""``)."""
    codes = pd.Categorical(grades.values.astype(str).ravel(), categories=_ORDER).codes
    codes = np.where(codes < 0, len(_ORDER) - 1, codes).reshape(grades.shape)
    return grades.copy(data=codes)


def links_with_effect(
    links: pd.DataFrame, result: xr.Dataset, *, year: int | None = None
) -> pd.DataFrame:
    """Return a copy of a links table with the ``effect`` each link carries, for a Sankey.

    Links of the flows in ``result`` get their effect in ``year`` (summed over materials, or
    the row's own material when the table has a ``material`` column); every other link carries
    none under the cradle-to-gate assignment (0). A link whose materials all lack a factor gets
    NaN (drawn as *not assessed*); where only some lack one, the effect covers the others
    (``result.coverage`` says how much). ``effect_units`` names the unit.

    Parameters
    ----------
    links : DataFrame
        A links table of the same System (:func:`msa.links_from_system`).
    result : Dataset
        :func:`effects` of that System.
    year : int, optional
        The year; default the table's ``year`` column.

    Returns
    -------
    DataFrame
        ``links`` with ``effect`` and ``effect_units``; ``msa.sankey(..., color_by="effect")``
        draws it.
    """
    if year is None:
        if "year" not in links.columns or links["year"].nunique() != 1:
            raise ConfigError("links_with_effect: give year=... (the links table has no one year)")
        year = int(links["year"].iloc[0])
    if int(year) not in result["time"].values:
        raise ConfigError(f"links_with_effect: year {year} is not in the effects result")
    at = result["effect"].sel(time=int(year))
    at = at.sum([d for d in at.dims if d not in ("flow", "material")], min_count=1)
    known = set(result["flow"].values)
    values = []
    for _, row in links.iterrows():
        name = flow_name(str(row["source"]), str(row["target"]))
        if name not in known:
            values.append(0.0)
            continue
        cell = at.sel(flow=name)
        item = row.get("material")
        if isinstance(item, str) and item in cell["material"].values:
            cell = cell.sel(material=item)
        values.append(float(cell.sum(min_count=1)))
    out = links.copy()
    out["effect"] = values
    out["effect_units"] = result.attrs["units"]
    return out
