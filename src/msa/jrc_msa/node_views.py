"""A view of any system by its processes: each process placed in a node of the view.

The bundled views (:mod:`msa.jrc_msa.views`) place JRC MSA *variables*, so they need flows
tagged with a ``jrc_code``. A product-group model often has no one-to-one JRC code for its
flows (discarded panels are partly E.1.5, partly E.1.6, depending on the route), but each of
its processes plainly sits in one node of a view: *Discarded panels* and *Collection* in
*Afval*, the installed panels in *Voorraad*. :func:`process_view` reports such a system in a
view from that placement alone:

* a flow between processes in two different nodes is a link of the view (summed with the
  other flows between the same nodes);
* a flow between processes in the same node is *inside* that node;
* a flow from or to a process without a node in this view is *out of scope* (drawn to and
  from *Not in this view* by the Sankeys, see :func:`msa.scope_gaps`);
* a stock's net addition is drawn on the view's own stock link out of the stock's node (PGA:
  *Voorraad* -> *Voorraadtoename*), negative years reversed. Where the view's net-addition link
  runs *into* the stock's node (ICER national: *Materiaalgebruik* -> *Voorraad*), the model's
  gross inflows already fill it, so the net addition leaves the node for *Voorraadtoename*
  (with a figure note); in a view without such a node it is inside the stock's node, which
  :func:`msa.scope_gaps` counts as kept there.

The result is a :class:`~msa.jrc_msa.views.View` like the bundled ones: the same links table,
allocation and node order, so :func:`msa.view_balance`, :func:`msa.scope_gaps` and
:func:`msa.sankey` work on it unchanged. Its ``allocation`` is per flow (``code`` holds the
flow's name, ``"Use => Discarded"``, or ``"stock_change Use"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError
from msa.jrc_msa.gaps import STOCK_CHANGE
from msa.jrc_msa.template import stack_by_code
from msa.jrc_msa.views import View, ViewMapping, apply_view, load_mapping
from msa.system.core import System, split_flow_name

__all__ = ["process_view"]


def process_view(
    system: System,
    view: str | ViewMapping,
    nodes: Mapping[str, str],
    *,
    year: int | None = None,
    dims: tuple[str, ...] = ("material", "region"),
) -> View:
    """Report a system in a view by placing each of its processes in a node of the view.

    Parameters
    ----------
    system : System
        Any balanced system; its flows and stocks must share one unit.
    view : str or ViewMapping
        A bundled view (``"jrc"``, ``"icer_national"``, ``"pga"``) or its mapping; only its
        nodes and its stock link are used.
    nodes : mapping of str to str
        Process id -> node of the view. A process left out is outside the view.
    year : int, optional
        One year; default all years of the system.
    dims : tuple of str
        Dims kept where every flow has them; all other dims are summed.

    Returns
    -------
    View
        ``missing`` is empty (a process view places flows, not JRC codes).

    Raises
    ------
    ConfigError
        If a process or node is unknown, or no process is placed.
    DataError
        If flows and stocks mix units, or ``year`` is not in the system.

    Examples
    --------
    >>> from msa.system.example import load_example
    >>> v = process_view(load_example(), "pga", {"Imports": "Import",
    ...     "Manufacture": "Grondstoffengebruik", "Use": "Voorraad", "Collection": "Afval",
    ...     "Recycling": "Recycling"})
    >>> sorted(set(zip(v.links["source"], v.links["target"])))[:2]
    [('Afval', 'Recycling'), ('Grondstoffengebruik', 'Recycling')]
    """
    mapping = load_mapping(view) if isinstance(view, str) else view
    _check_nodes(system, mapping, nodes)
    places: list[dict[str, str]] = []
    values: dict[str, xr.DataArray] = {}
    for name, flow in system.flows.items():
        source, target = split_flow_name(name)
        places.append(_place_flow(name, nodes.get(source), nodes.get(target), mapping.name))
        values[name] = flow
    stock_links = _stock_links(mapping)
    for pid, stock in system.stocks.items():
        key = f"{STOCK_CHANGE}{pid}"
        places.append(_place_stock(key, pid, nodes.get(pid), stock_links, mapping))
        values[key] = stock["stock_change"].assign_attrs(units=stock["stock"].attrs.get("units"))
    placed_rows = pd.DataFrame(places)
    if "note_nl" not in placed_rows:
        placed_rows["note_nl"] = ""
    table = pd.concat([mapping.table, placed_rows], ignore_index=True).fillna("")
    placed = ViewMapping(mapping.name, table, mapping.nodes)
    shown = apply_view(_variables(system, values, dims), placed, year=year)
    return dataclasses.replace(shown, missing=())


def _check_nodes(system: System, mapping: ViewMapping, nodes: Mapping[str, str]) -> None:
    where = f"view {mapping.name!r} of system {system.name!r}"
    unknown = sorted(set(nodes) - set(system.processes))
    if unknown:
        raise ConfigError(f"{where}: process(es) {unknown} are not in the system")
    known = list(mapping.nodes["node"])
    for pid, node in nodes.items():
        if node not in known:
            raise ConfigError(
                f"{where}: process {pid!r} is placed in {node!r}, not a node of the view "
                f"(nodes: {known})"
            )
    if not nodes:
        raise ConfigError(f"{where}: no process is placed in a node of the view")
    clash = [n for n in [*system.flows, *system.stocks] if "+" in n]
    if clash:
        raise ConfigError(f"{where}: flow or stock name(s) {clash} contain '+', which views fold")


def _row(code: str, status: str, source: str = "", target: str = "", node: str = "") -> dict:
    return {"code": code, "status": status, "source": source, "target": target, "node": node}


def _place_flow(name: str, source: str | None, target: str | None, view: str) -> dict[str, str]:
    if source and target and source != target:
        return {**_row(name, "in scope", source, target), "note": "", "flow_type": ""}
    if source and source == target:
        return {**_row(name, "inside a node", node=source), "note": "", "flow_type": ""}
    ends = [p for p, n in zip(split_flow_name(name), (source, target), strict=True) if not n]
    note = f"process {' and '.join(repr(p) for p in ends)} has no node in view {view!r}"
    return {**_row(name, "out of scope"), "note": note, "flow_type": ""}


def _stock_links(mapping: ViewMapping) -> list[tuple[str, str]]:
    """Return the view's links for a net addition to stock (``flow_type`` ``stock``), once each."""
    rows = mapping.table[
        (mapping.table["flow_type"] == "stock") & (mapping.table["status"] == "in scope")
    ]
    return list(dict.fromkeys(zip(rows["source"], rows["target"], strict=True)))


def _place_stock(
    key: str, pid: str, node: str | None, links: list[tuple[str, str]], mapping: ViewMapping
) -> dict[str, str]:
    if not node:
        note = f"stock {pid!r} has no node in view {mapping.name!r}"
        return {**_row(key, "out of scope"), "note": note, "flow_type": "stock"}
    for source, target in links:
        if node == source:
            return {**_row(key, "in scope", source, target), "note": "", "flow_type": "stock"}
    # The view's net-addition link runs *into* the stock's node (ICER national: Materiaalgebruik
    # -> Voorraad), and the model's gross inflows already fill it: the net addition leaves the
    # node on a link of its own to the view's net-addition node, as in the PGA view ...
    kinds = mapping.nodes.set_index("node")["kind"]
    if kinds.get(node) == "stock" and kinds.get(NET_ADDITION) == "stock" and node != NET_ADDITION:
        en, nl = _NET_ADDITION_NOTE
        row = _row(key, "in scope", node, NET_ADDITION)
        return {**row, "note": en.format(node=node), "note_nl": nl.format(node=node)} | {
            "flow_type": "stock"
        }
    # ... or, where the view has no such node, stays inside the node, which
    # :func:`msa.scope_gaps` counts as kept there, not as a gap.
    return {**_row(key, "inside a node", node=node), "note": "", "flow_type": "stock"}


#: The view node a process view draws a stock's net addition into (PGA; ICER national for
#: process views, where the agreed net-addition link runs into the stock node).
NET_ADDITION = "Voorraadtoename"

_NET_ADDITION_NOTE = (
    "msa deviation: the model's processes give the gross inflow into {node}, so its net "
    "addition to stock is drawn as {node} -> Voorraadtoename",
    "msa deviation: de processen van het model geven de bruto instroom in {node}, dus is de "
    "netto toename van de voorraad getekend als {node} -> Voorraadtoename",
)


def _variables(
    system: System, values: dict[str, xr.DataArray], dims: tuple[str, ...]
) -> xr.DataArray:
    units = {str(v.attrs.get("units", "")) for v in values.values()}
    if len(units) > 1:
        by_units = {
            u: [k for k, v in values.items() if str(v.attrs.get("units", "")) == u]
            for u in sorted(units)
        }
        raise DataError(
            f"system {system.name!r}: a view adds flows and stocks, which mix units {by_units}"
        )
    out = stack_by_code(values, system.years, dims, units.pop() if units else "t")
    if not np.isfinite(out.values).all():
        raise DataError(f"system {system.name!r}: a flow or stock change holds NaN or inf")
    return out
