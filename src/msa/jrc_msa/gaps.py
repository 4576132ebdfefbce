"""What a view leaves out of each node, drawn as links to and from *Not in this view*.

See :func:`scope_gaps` (also :func:`msa.scope_gaps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from msa.jrc_msa.views import View

__all__ = ["SCOPE_LABEL", "SCOPE_NODE", "STOCK_CHANGE", "scope_gaps"]

#: Node id of the view's outside in :func:`scope_gaps` (split into a source and a sink).
SCOPE_NODE = "__outside_view__"
#: Code prefix of a stock's net addition in a process view (``"stock_change Use"``).
STOCK_CHANGE = "stock_change "
#: Label of :data:`SCOPE_NODE` in each figure language.
SCOPE_LABEL = {"en": "Not in this view", "nl": "Buiten deze weergave"}


def _keepers(links: pd.DataFrame, nodes: pd.DataFrame) -> set[str]:
    """Nodes that hold a net addition to stock drawn into (or out of) them.

    A stock-change link between an ordinary node and a stock node is kept by the stock node
    (national: Materiaalgebruik -> Voorraad); between two stock nodes, by the one that has
    only stock-change links (PGA: Voorraad -> Voorraadtoename).
    """
    kind = nodes.set_index("node")["kind"] if "kind" in nodes.columns else pd.Series(dtype=str)
    stock = links["flow_type"].eq("stock") if "flow_type" in links.columns else links["value"] < 0
    only_stock = set(links["source"]) | set(links["target"])
    only_stock -= set(links.loc[~stock, "source"]) | set(links.loc[~stock, "target"])
    keep = set()
    for s, t in zip(links.loc[stock, "source"], links.loc[stock, "target"], strict=True):
        ends = [n for n in (s, t) if kind.get(n) == "stock"]
        if len(ends) == 2:
            ends = [n for n in ends if n in only_stock]
        keep |= set(ends)
    return keep


def scope_gaps(view: View) -> pd.DataFrame:
    """Links that close each node of a view with what the view leaves out of it.

    A view drops variables (out of scope) and draws others as net quantities, so its nodes
    need not balance (:func:`view_balance`). For every node with inflows and outflows in the
    view (boundaries excepted), the residual ``sum(in) - sum(out) - kept`` (``kept``: the net
    addition to stock the node holds, see the stock-change links) becomes a link to the node
    *Not in this view* (residual > 0: mass the view does not show leaving) or from it
    (residual < 0: mass the view does not show arriving). Drawn with the view's links
    (``flow_type`` ``scope``), every node then visibly balances, and the gap is named rather
    than hidden.

    Parameters
    ----------
    view : View

    Returns
    -------
    pandas.DataFrame
        Links in the view's links schema (``status`` ``"not in this view"``, and ``kind_source``
        / ``kind_target`` marking the outside as a boundary), one per node and year with a
        non-zero gap (above 1e-9 of the node's throughput), summed over material and region.

    Examples
    --------
    >>> from msa.jrc_msa.template import build_msa_system
    >>> from msa.jrc_msa.views import pga
    >>> t = pd.DataFrame({"material": "Li", "region": "EU", "year": 2020,
    ...     "code": ["D.1.1", "E.1.6", "E.1.7"], "value": [10.0, 3.0, 5.0], "units": "t",
    ...     "source_id": "", "grade": "D"})
    >>> gaps = scope_gaps(pga(build_msa_system(t).system))
    >>> gaps[["source", "target", "value"]].values.tolist()  # 10 in, 3 + 5 drawn out
    [['Voorraad', '__outside_view__', 2.0]]
    """
    links = view.links
    cols = list(links.columns)
    if links.empty:
        return pd.DataFrame(columns=cols)
    keepers = _keepers(links, view.nodes)
    kind = view.nodes.set_index("node")["kind"] if "kind" in view.nodes else pd.Series(dtype=str)
    exempt = set(kind.index[kind.eq("boundary")])  # boundaries need not balance
    stock = links["flow_type"].eq("stock")
    held_inside = pd.Series(dtype=float)  # a process view's net addition kept inside its node
    if len(view.inside):
        changes = view.inside[view.inside["code"].astype(str).str.startswith(STOCK_CHANGE)]
        held_inside = changes.groupby(["year", "node"])["value"].sum()
    rows = []
    for year, part in links.groupby("year"):
        st = part[stock[part.index]]
        into = part.groupby("target")["value"].sum()
        out = part.groupby("source")["value"].sum()
        kept = (
            st.groupby("target")["value"]
            .sum()
            .sub(st.groupby("source")["value"].sum(), fill_value=0.0)
        )
        for node in sorted((set(into.index) & set(out.index)) - exempt, key=str):
            held = float(kept.get(node, 0.0)) if node in keepers else 0.0
            held += float(held_inside.get((year, node), 0.0))
            gap = float(into[node] - out[node] - held)
            if abs(gap) <= 1e-9 * float(max(into[node], out[node])):
                continue
            src, tgt = (node, SCOPE_NODE) if gap > 0 else (SCOPE_NODE, node)
            rows.append({"year": year, "source": src, "target": tgt, "value": abs(gap)})
    if not rows:
        return pd.DataFrame(columns=cols)
    gaps = pd.DataFrame(rows)
    gaps["units"] = links["units"].iloc[0]
    gaps["view"] = view.name
    gaps["jrc_codes"] = ""
    gaps["status"] = "not in this view"
    gaps["flow_type"] = "scope"
    gaps["note"] = "what the view leaves out of this node (msa.scope_gaps)"
    main = "en" if view.name == "jrc" else "nl"
    for suffix, lang in (("_label", main), ("_label_en", "en")):
        if f"source{suffix}" not in links.columns:
            continue
        names = dict(zip(links["source"], links[f"source{suffix}"], strict=True))
        names.update(zip(links["target"], links[f"target{suffix}"], strict=True))
        names[SCOPE_NODE] = SCOPE_LABEL[lang]
        for end in ("source", "target"):
            gaps[f"{end}{suffix}"] = gaps[end].map(names)
    for end in ("source", "target"):  # the outside is a boundary: drawn as a source and a sink
        gaps[f"kind_{end}"] = np.where(gaps[end] == SCOPE_NODE, "boundary", "")
    return gaps.reindex(columns=[*cols, "kind_source", "kind_target"])
