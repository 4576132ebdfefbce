r"""Aggregate a whole System along a concordance (material -> material type, chemistry -> family).

:func:`aggregate_system` maps every flow and stock of a :class:`msa.System` that has the
concordance's source dim onto its target dim with :func:`msa.aggregate`, and combines the
provenance of the members of each target item with :func:`msa.system.provenance.combine_provenance`.
Because every source item's shares sum to one, every process balance is a linear combination of
the original balances, so a balanced system stays balanced (up to float rounding).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from msa.errors import DimensionError
from msa.system.core import System
from msa.system.dims import Concordance, aggregate
from msa.system.provenance import CLO_GRADES, combine_provenance, worst_grade

__all__ = ["aggregate_system"]

_LEVEL_AND_CHANGE = ("stock", "stock_change")


def aggregate_system(
    system: System, concordance: Concordance, *, drop_parameters: bool = False
) -> System:
    r"""Return a new System with ``concordance.source`` replaced by ``concordance.target``.

    Parameters
    ----------
    system : System
        The system; it must have the source dim and not the target dim. Every item of the
        source dim must be mapped by the concordance (nothing is dropped).
    concordance : Concordance
        Many-to-one or with split shares (each source item's shares sum to 1).
    drop_parameters : bool
        Parameters over the source dim (shares, intensities, lifetimes) cannot be summed, so by
        default they are an error; pass True to leave them out of the result explicitly
        (aggregate them with weights of your own and add them back).

    Returns
    -------
    System
        Same name, attrs, processes, sources; flows and stock variables with the source dim
        aggregated (:func:`msa.aggregate`), the others copied. The target dim takes the place
        of the source dim, with the target items some source item maps to, in the
        concordance's order.

    Raises
    ------
    DimensionError
        If the system lacks the source dim, already has the target dim, has unmapped source
        items, or has a parameter over the source dim (unless ``drop_parameters``).

    Notes
    -----
    Values: :math:`y_{t} = \sum_s x_s S_{st}` with :math:`\sum_t S_{st} = 1`, so totals over the
    dim, and every process residual :math:`r_t = \sum_s r_s S_{st}`, are preserved.

    Provenance of a target cell combines its members (source items with a share > 0): the
    members' source id when they all share one, else ``""`` (several sources); the worst
    member grade, an ungraded member counting as worse than D (see
    :func:`msa.system.provenance.combine_provenance`). An optional CLO grade combines the same way
    (worst of A-F).

    Examples
    --------
    >>> import msa
    >>> system = msa.load_example()
    >>> types = msa.Concordance("material", "material_type", {"Co": "metal", "Li": "metal"})
    >>> metals = msa.aggregate_system(system, types, drop_parameters=True)
    >>> metals.coords["material_type"].tolist()
    ['metal']
    >>> sorted(metals.parameters)  # lifetime_mean by material is not summable
    []
    >>> msa.check_balance(metals)
    >>> total = system.flow("Use", "Collection").sum("material")
    >>> bool((metals.flow("Use", "Collection").sel(material_type="metal") == total).all())
    True
    """
    source, target = concordance.source, concordance.target
    where = f"aggregate_system {system.name!r} along {source!r} -> {target!r}"
    items = _source_items(system, concordance, where)
    matrix = concordance.matrix().sel({source: items})
    reached = [t for t in concordance.target_items if bool((matrix.sel({target: t}) > 0).any())]
    members = {t: [s for s in items if concordance.mapping[s].get(t, 0.0) > 0] for t in reached}
    _check_parameters(system, source, where, drop_parameters=drop_parameters)
    coords = {(target if d == source else d): list(i) for d, i in system.coords.items()}
    coords[target] = reached
    out = System(system.name, coords=coords, sources=system.sources, attrs=system.attrs)
    for proc in system.processes.values():
        out.add_process(proc)

    def values(da: xr.DataArray) -> xr.DataArray:
        return aggregate(da, concordance).sel({target: reached}) if source in da.dims else da

    def prov(key: str, da: xr.DataArray) -> dict[str, xr.DataArray]:
        given = system.provenance[key]
        if source not in da.dims:
            return {str(k): v for k, v in given.data_vars.items()}
        return _combined(given, source, target, members)

    for name, da in system.flows.items():
        attrs = {k: v for k, v in da.attrs.items() if k not in ("source", "target", "units")}
        signed = bool(attrs.pop("signed", 0))
        jrc_code = attrs.pop("jrc_code", None)
        out.add_flow(
            da.attrs["source"],
            da.attrs["target"],
            values(da),
            units=da.attrs["units"],
            signed=signed,
            jrc_code=jrc_code,
            attrs=attrs,
            **prov(name, da),
        )
    for pid, ds in system.stocks.items():
        level = ds["stock"]
        change_key = f"stock_change {pid}"
        change_prov = (
            prov(change_key, ds["stock_change"]) if change_key in system.provenance else {}
        )
        extra = {str(k): values(v) for k, v in ds.data_vars.items() if k not in _LEVEL_AND_CHANGE}
        attrs = {k: v for k, v in ds.attrs.items() if k not in ("process", "units")}
        out.add_stock(
            pid,
            values(level),
            stock_change=values(ds["stock_change"]),
            units=ds.attrs["units"],
            extra=extra or None,
            attrs=attrs,
            **prov(f"stock {pid}", level),
            **{f"change_{k}": v for k, v in change_prov.items()},
        )
    for name, da in system.parameters.items():
        if source in da.dims:
            continue  # refused above unless drop_parameters
        key = f"parameter {name}"
        attrs = {k: v for k, v in da.attrs.items() if k != "units"}
        out.add_parameter(name, da, units=da.attrs["units"], attrs=attrs, **prov(key, da))
    return out


def _source_items(system: System, concordance: Concordance, where: str) -> list[str]:
    """Return the items of the source dim (all mapped, so text), checking the system fits.

    Raises DimensionError if the system lacks the source dim, already has the target dim or
    has a source item the concordance does not map.
    """
    source, target = concordance.source, concordance.target
    if source not in system.dims:
        raise DimensionError(f"{where}: the system has no {source!r} dim (dims: {system.dims})")
    if target in system.dims:
        raise DimensionError(f"{where}: the system already has a {target!r} dim")
    items = list(system.coords[source])
    unmapped = [i for i in items if i not in concordance.mapping]
    if unmapped:
        raise DimensionError(
            f"{where}: unmapped {source} item(s) {unmapped[:10]}; add them to the concordance "
            "(data are never dropped)"
        )
    return items


def _check_parameters(system: System, source: str, where: str, *, drop_parameters: bool) -> None:
    """Refuse parameters over the source dim (not summable) unless they are to be dropped."""
    intensive = [n for n, p in system.parameters.items() if source in p.dims]
    if intensive and not drop_parameters:
        raise DimensionError(
            f"{where}: parameter(s) {intensive} have the {source!r} dim and cannot be summed; "
            "pass drop_parameters=True and add them back aggregated with your own weights"
        )


def _combined(
    prov: xr.Dataset, source: str, target: str, members: dict[str, list[str]]
) -> dict[str, xr.DataArray]:
    """Combine ``prov`` over the members of each target item (loop over target items only)."""
    template = prov["source_id"]
    axis = template.dims.index(source)
    out: dict[str, list[np.ndarray]] = {str(k): [] for k in prov.data_vars}
    for items in members.values():
        part = prov.sel({source: items})
        sid, grade = combine_provenance(part["source_id"].values, part["grade"].values, axis=axis)
        out["source_id"].append(sid)
        out["grade"].append(grade)
        if "clo_grade" in part:
            clo = worst_grade(part["clo_grade"].values, axis=axis, allowed=CLO_GRADES)
            out["clo_grade"].append(clo)
    dims = tuple(target if d == source else d for d in template.dims)
    coords = {d: (list(members) if d == target else template.indexes[d]) for d in dims}
    return {
        k: xr.DataArray(np.stack(v, axis=axis), dims=dims, coords=coords) for k, v in out.items()
    }
