"""Links and node tables of the Sankey builder: validation, columns, bands, flow types.

The schema is documented in :mod:`msa.figures.diagram`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd

from msa.errors import DataError, DimensionError
from msa.figures.labels import FLOW_TYPES, LANGS, Lang, checked_lang, text
from msa.jrc_msa.gaps import SCOPE_LABEL, SCOPE_NODE
from msa.messages import plain
from msa.system.provenance import GRADES, validate_grades, worst_grade

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from msa.jrc_msa.views import View
    from msa.system.core import Process, System

__all__ = [
    "JRC_STAGES",
    "UNCERTAINTY_COLUMNS",
    "flow_types",
    "held_inside_note",
    "links_from_system",
    "merge_rows",
    "missing_balance",
    "nodes_from_links",
    "prepare_nodes",
    "validate_links",
]

#: The stages of the JRC MSA chain in left-to-right order (msa/data/jrc_stages.csv).
JRC_STAGES: tuple[str, ...] = (
    "Exploration",
    "Extraction",
    "Processing",
    "Manufacture",
    "Use",
    "Collection",
    "Recycling",
)
_REQUIRED = ("source", "target", "value", "units")
#: Optional numeric columns of a links table: percentiles and standard deviation of ``value``.
UNCERTAINTY_COLUMNS: tuple[str, ...] = ("p5", "p50", "p95", "sd")
_PERCENTILES = ("p5", "p50", "p95")


def validate_links(links: pd.DataFrame, *, where: str = "links table") -> pd.DataFrame:
    """Check a links table and return a clean copy (``value`` as float, string ids).

    An optional ``grade`` column (the worst data-quality grade each row rests on) holds
    ``"A"`` ... ``"D"`` or ``""`` (ungraded; a missing value is ungraded too). Optional
    ``p5``, ``p50``, ``p95`` and ``sd`` columns (:data:`UNCERTAINTY_COLUMNS`) and an optional
    ``effect`` column are numbers, a missing one unknown (NaN); ``sd`` and ``effect`` are not
    negative.

    Raises
    ------
    DataError
        Missing columns, an empty table, non-finite or negative values (naming the row and
        flow), mixed units, a ``p5`` ... ``sd`` or ``effect`` that is not a number, a negative
        ``sd`` or ``effect``.
    ProvenanceError
        A ``grade`` that is not A-D or empty.
    """
    if not isinstance(links, pd.DataFrame):
        raise DataError(f"{where}: must be a pandas DataFrame (got {type(links).__name__})")
    missing = [c for c in _REQUIRED if c not in links.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {missing}; need {list(_REQUIRED)}")
    if links.empty:
        raise DataError(f"{where}: is empty; the selection holds no flows")
    out = links.copy()
    out["source"] = out["source"].astype(str)
    out["target"] = out["target"].astype(str)
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    for bad, what in ((~np.isfinite(value), "non-finite (NaN or inf)"), (value < 0, "negative")):
        if bad.any():
            i = bad.to_numpy().nonzero()[0][0]
            raise DataError(
                f"{where}: row {out.index[i]!r} ({out['source'].iloc[i]} => "
                f"{out['target'].iloc[i]}) has a {what} value {plain(out['value'].iloc[i])!r}; "
                "Sankey values must be finite and >= 0 (draw a reverse flow for a negative one)"
            )
    out["value"] = value
    units = sorted(set(out["units"].astype(str)))
    if len(units) != 1:
        raise DataError(f"{where}: mixed units {units}; convert to one unit first")
    if (out["source"] == out["target"]).any():
        i = (out["source"] == out["target"]).to_numpy().nonzero()[0][0]
        raise DataError(f"{where}: row {out.index[i]!r} links {out['source'].iloc[i]} to itself")
    if "grade" in out.columns:
        out["grade"] = out["grade"].astype(object).where(out["grade"].notna(), "").astype(str)
        validate_grades(out["grade"].to_numpy(), where=f"{where}: column 'grade'")
    return _numeric_uncertainty(out, where)


def _numeric_uncertainty(links: pd.DataFrame, where: str) -> pd.DataFrame:
    """Turn the uncertainty and effect columns present into floats; refuse text or a sign.

    Text is refused in every such column, a negative value in ``sd`` and ``effect``.
    """
    for col in [c for c in (*UNCERTAINTY_COLUMNS, "effect") if c in links.columns]:
        number = pd.to_numeric(links[col], errors="coerce").astype(float)
        positive = col in ("sd", "effect")
        bad = number.isna() & links[col].notna() | (number < 0) & positive
        if bad.any():
            i = bad.to_numpy().nonzero()[0][0]
            raise DataError(
                f"{where}: row {links.index[i]!r} ({links['source'].iloc[i]} => "
                f"{links['target'].iloc[i]}) has {col} {plain(links[col].iloc[i])!r}; {col} "
                "must be a number" + (" >= 0" if positive else "") + " (empty if unknown)"
            )
        links[col] = number
    return links


def nodes_from_links(links: pd.DataFrame, *, lang: Lang = "en") -> pd.DataFrame:
    """Derive a node table (order, band, label, stage, kind) from a links table.

    Main-band columns follow the JRC stage order when every main node has a stage, otherwise
    the longest path from the sources with recycling loops cut. Boundary nodes without a stage
    and pure stock nodes (an accumulator: only inflows, or a depleting stock: only outflows)
    that only send go to the top band, those that only receive to the bottom band; an outer
    node passing all it receives on to bottom-band nodes (disposal to landfill) joins the
    bottom band; boundary nodes that receive and feed the chain are split by :func:`sankey`
    into a top and a bottom node.
    """
    links = validate_links(links)
    ids = list(dict.fromkeys([*links["source"], *links["target"]]))
    nodes = pd.DataFrame(index=pd.Index(ids, name="node"))
    for col in ("label", "stage", "kind"):
        values: dict[str, object] = {}
        for end in ("target", "source"):
            name = {"label": f"{end}_label", "stage": f"stage_{end}", "kind": f"kind_{end}"}[col]
            if col == "label" and f"{name}_{lang}" in links.columns:
                name = f"{name}_{lang}"
            if name in links.columns:
                for node, v in zip(links[end], links[name], strict=True):
                    if isinstance(v, str) and v:
                        values[node] = v
        default = {"label": None, "stage": None, "kind": "transformation"}[col]
        nodes[col] = pd.Series([values.get(n, default) for n in ids], index=ids, dtype=object)
    nodes["label"] = nodes["label"].where(nodes["label"].notna(), nodes.index.to_series())
    if SCOPE_NODE in nodes.index:  # views in English (jrc) name the outside in English only
        nodes.loc[SCOPE_NODE, "label"] = SCOPE_LABEL[lang]
    sends = set(links["source"])
    receives = set(links["target"])
    ftype = links.get("flow_type", pd.Series(index=links.index, dtype=object))
    trade_only = {
        n
        for n in ids
        if (ft := set(ftype[(links["source"] == n) | (links["target"] == n)].dropna())) != set()
        and ft <= {"trade", "loss"}
    }
    kind = nodes["kind"]
    pure_stock = kind.eq("stock") & np.array([(n in sends) != (n in receives) for n in ids])
    outer = (kind.isin(["boundary", "stock"]) & nodes["stage"].isna()) | pure_stock
    outer |= nodes.index.isin(list(trade_only))
    band = pd.Series("main", index=nodes.index)
    band[outer & nodes.index.isin(list(sends - receives))] = "top"
    band[outer & nodes.index.isin(list(receives - sends))] = "bottom"
    # An outer node that passes everything on to bottom-band nodes (Disposal -> Landfill) is a
    # step of the bottom band, not a rest of the world to split into a source and a sink.
    targets = links.groupby("source")["target"].agg(set)
    for n in nodes.index[outer & band.eq("main")]:
        if targets[n] <= set(band.index[band.eq("bottom")]):
            band[n] = "bottom"
    nodes["band"] = band.to_numpy()
    nodes["order"] = _main_columns(nodes, links)
    return nodes.reset_index()


def _main_columns(nodes: pd.DataFrame, links: pd.DataFrame) -> list[float]:
    """Column of each main-band node: JRC stage order, else longest path with loops cut."""
    main = nodes.index[nodes["band"] == "main"]
    stage = nodes["stage"]
    if len(main) and all(stage[n] in JRC_STAGES for n in main):
        return [float(JRC_STAGES.index(stage[n])) if n in main else np.nan for n in nodes.index]
    graph = nx.DiGraph()
    graph.add_nodes_from(main)
    graph.add_edges_from(
        (s, t)
        for s, t in zip(links["source"], links["target"], strict=True)
        if s in main and t in main
    )
    roots = [n for n in main if graph.in_degree(n) == 0] + list(main)
    graph.remove_edges_from(_back_edges(graph, roots))
    column: dict[str, float] = {}
    for n in nx.topological_sort(graph):
        column[n] = max((column[p] + 1 for p in graph.predecessors(n)), default=0.0)
    return [column.get(n, np.nan) for n in nodes.index]


def _back_edges(graph: nx.DiGraph, roots: Iterable[str]) -> list[tuple[str, str]]:
    """Edges closing a cycle in a depth-first search from ``roots`` in order (recycling)."""
    state: dict[str, int] = {}  # 1: on the DFS stack, 2: finished
    back = []
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(graph.successors(root)))]
        while stack:
            node, successors = stack[-1]
            nxt = next(successors, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.append((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(graph.successors(nxt))))
    return back


def prepare_nodes(
    links: pd.DataFrame, nodes: pd.DataFrame | None, lang: Lang, *, per_stage: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (links, nodes) with boundary nodes split and columns/bands/labels resolved.

    With ``per_stage``, outer nodes are attached to each stage they serve
    (:func:`_attach_per_stage`) and an outer node that both receives and sends is split, so
    only flows between main-band nodes are drawn as loops.
    """
    derived = nodes_from_links(links, lang=lang).set_index("node")
    if nodes is not None:
        given = nodes.copy()
        if "node" not in given.columns:
            raise DataError("node table: needs a 'node' column with the node ids")
        given = given.assign(node=given["node"].astype(str)).set_index("node")
        if "column" in given.columns and "order" not in given.columns:
            given = given.rename(columns={"column": "order"})
        label_col = f"label_{lang}" if f"label_{lang}" in given.columns else "label"
        if label_col in given.columns:
            given["label"] = given[label_col].where(given[label_col].notna(), given.index)
        unknown = set(derived.index) - set(given.index)
        extra = pd.DataFrame(index=sorted(unknown))
        given = pd.concat([given, extra])
        for col in ("label", "stage", "kind", "band", "order"):
            if col not in given.columns:
                given[col] = derived[col]
            given[col] = given[col].where(given[col].notna(), derived[col].reindex(given.index))
        bad = sorted(set(given["band"].dropna()) - {"top", "main", "bottom"})
        if bad:
            raise DataError(f"node table: band must be top, main or bottom (got {bad})")
        derived = given.loc[[n for n in given.index if n in derived.index]]
        # A main node without an order gets the column derived from the links.
        derived["order"] = derived["order"].astype(float)
    links = links.copy()
    links, derived = _split_scope_node(links, derived)
    # Split a boundary node that both receives and feeds the chain (a rest of the world), or
    # (per stage) a top-band node that does (open loop: recycled material out, secondary
    # material in): a source copy in the top band and a sink copy in the bottom band, labelled
    # apart.
    receives = set(links["target"])
    is_boundary = derived["kind"].eq("boundary") & derived["stage"].isna()
    is_boundary |= derived["band"].eq("top") & per_stage
    bottom = set(derived.index[derived["band"].eq("bottom")])
    feeds = {s for s, t in zip(links["source"], links["target"], strict=True) if t not in bottom}
    for n in [n for n in derived.index if is_boundary[n] and n in feeds and n in receives]:
        row = derived.loc[n]
        derived.loc[f"{n} (in)"] = {
            **row,
            "band": "top",
            "label": text("as_source", lang).format(row["label"]),
        }
        derived.loc[f"{n} (out)"] = {
            **row,
            "band": "bottom",
            "label": text("as_sink", lang).format(row["label"]),
        }
        derived = derived.drop(index=n)
        links.loc[links["source"] == n, "source"] = f"{n} (in)"
        links.loc[links["target"] == n, "target"] = f"{n} (out)"
    links, derived = _attach_per_stage(links, derived, per_stage)
    scoped = derived.index.str.startswith(f"{SCOPE_NODE} ") | derived["copy_of"].notna()
    derived.loc[~scoped, "label"] = _unique_labels(derived.loc[~scoped, "label"].astype(str))
    main = derived["band"] == "main"
    if derived.loc[main, "order"].isna().any():
        missing = list(derived.index[main & derived["order"].isna()])
        raise DataError(f"node table: main-band node(s) {missing} need an 'order' (column)")
    derived["column"] = derived["order"].astype(float)
    if main.any():
        # Outer-band nodes without neighbours in the main band sit in the first column.
        derived["column"] = derived["column"].fillna(derived.loc[main, "column"].min())
    else:
        derived["column"] = derived["column"].fillna(0.0)
    return links, derived


#: What a node whose stock change cannot be known shows instead of one.
NOT_IN_DATA = {"en": "stock change not in the data", "nl": "voorraadverandering niet in de data"}


def missing_balance(table: pd.DataFrame, links: pd.DataFrame) -> list[str]:
    """Return the chain stock nodes whose net addition is not in the data.

    A stock node of the main band that sends material but receives no row at all (not even a
    0) has no known inflow, so its outflows are not its depletion: missing is not zero. Such
    a node is labelled with :data:`NOT_IN_DATA`, never as a stock change. A pure stock
    outside the chain (reserves in the top band) keeps its depletion.

    Examples
    --------
    >>> table = pd.DataFrame({"kind": ["stock", "boundary"], "band": ["main", "bottom"]},
    ...                      index=["Voorraad", "Afval"])
    >>> links = pd.DataFrame({"source": ["Voorraad"], "target": ["Afval"], "value": [5.0]})
    >>> missing_balance(table, links)
    ['Voorraad']
    >>> links["flow_type"] = "stock"  # a depletion drawn as a stock change: in the data
    >>> missing_balance(table, links)
    []
    """
    sends = set(links.loc[links["value"] > 0, "source"])
    receives = set(links["target"])
    # a stock that sends a stock-change flow (a System's "<id> stock" node in a year of
    # depletion, whose addition row of 0 was dropped) has its change in the data
    if "flow_type" in links.columns:
        sends -= set(links.loc[(links["value"] > 0) & links["flow_type"].eq("stock"), "source"])
    chain_stock = table["kind"].eq("stock") & table["band"].eq("main")
    return [n for n in table.index[chain_stock] if n in sends and n not in receives]


def _attach_per_stage(
    links: pd.DataFrame, nodes: pd.DataFrame, per_stage: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each stage its own copy of an outer node it sends to or receives from.

    An outer sink (exports, losses: band top or bottom, no outflows) fed from several stage
    columns gets one copy per column, drawn just after it, so no band runs along the chain to
    one far node and across the bars in between; an outer source (imports) feeding several
    columns likewise gets one copy per column, just before it. A sink copy fed only by
    top-band nodes (re-exports of imports) stays in the top band, so its band passes above the
    chain. A top-band node that only receives moves to the bottom band (an exit), a
    bottom-band node that only sends to the top band (an entry). Copies keep the label;
    ``copy_of`` names the node they split.
    """
    nodes = nodes.copy()
    nodes["copy_of"] = nodes["copy_of"] if "copy_of" in nodes.columns else None
    nodes["copy_of"] = nodes["copy_of"].astype(object)
    if not per_stage:  # only the ``copy_of`` column (empty)
        return links, nodes
    # who sends to whom once opposite rows net (stock changes of several materials): a row of
    # 0, or the smaller of two opposite rows, draws nothing and makes no sender
    total = links.groupby(["source", "target"])["value"].sum()
    back = total.reindex([(t, s) for s, t in total.index], fill_value=0.0).to_numpy()
    drawn = total[total.to_numpy() - back > 0].index
    sources, targets = {s for s, _ in drawn}, {t for _, t in drawn}
    outer = nodes["band"].isin(["top", "bottom"])
    for n in nodes.index[outer]:
        if nodes.at[n, "band"] == "top" and n in targets and n not in sources:
            nodes.at[n, "band"] = "bottom"
        elif nodes.at[n, "band"] == "bottom" and n in sources and n not in targets:
            nodes.at[n, "band"] = "top"
    band, order = nodes["band"], nodes["order"]

    def group(partner: str) -> tuple[str, object]:
        return ("column", order[partner]) if band.get(partner) == "main" else ("node", partner)

    for n in list(nodes.index[outer]):
        sink = n in targets and n not in sources
        source = n in sources and n not in targets
        if not (sink or source) or str(n).startswith(f"{SCOPE_NODE} "):
            continue
        end, other = ("target", "source") if sink else ("source", "target")
        hit = links[end] == n
        groups = [group(p) for p in links.loc[hit, other]]
        if source:  # what an import sends on outside the chain stays with its main target
            main = [g for g in groups if g[0] == "column"]
            groups = [g if g[0] == "column" or not main else main[0] for g in groups]
        distinct = list(dict.fromkeys(groups))
        if len(distinct) < 2:
            continue
        row = nodes.loc[n]
        values = pd.Series(
            links.loc[hit, "value"].to_numpy(), index=pd.Index(groups, tupleize_cols=False)
        )
        largest = values.groupby(level=0, sort=False).sum().idxmax()
        for k, key in enumerate(distinct):
            copy = n if key == largest else f"{n} @{k}"  # the largest part keeps the id
            partners = [p for p, g in zip(links.loc[hit, other], groups, strict=True) if g == key]
            copy_band = row["band"]
            if sink and all(band.get(p) == "top" for p in partners):
                copy_band = "top"
            nodes.loc[copy] = {**row, "band": copy_band, "copy_of": None if copy == n else n}
            links.loc[hit & links[other].isin(partners), end] = copy
    return links, nodes


def _split_scope_node(
    links: pd.DataFrame, nodes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each node its own *Not in this view* copy, drawn next to it.

    What a view leaves out of a node (:func:`msa.jrc_msa.scope_gaps`) is a statement about that
    node, so the outside is not one far node that gap links cross the diagram to reach: the
    gap leaving a node goes to a copy in the bottom band just after it, the gap arriving comes
    from a copy in the top band just before it. The copies keep the plain label.
    """
    if SCOPE_NODE not in nodes.index:
        return links, nodes
    row = nodes.loc[SCOPE_NODE]
    for end, other, band in (("target", "source", "bottom"), ("source", "target", "top")):
        hit = links[end] == SCOPE_NODE
        for partner in dict.fromkeys(links.loc[hit, other]):
            copy = f"{SCOPE_NODE} {end} {partner}"
            nodes.loc[copy] = {**row, "band": band, "order": np.nan}
            links.loc[hit & (links[other] == partner), end] = copy
    return links, nodes.drop(index=SCOPE_NODE)


def _unique_labels(labels: pd.Series) -> pd.Series:
    """Make every label unique: a repeated label gets its node id (or a number) appended."""
    out = labels.copy()
    for label, idx in labels.groupby(labels).groups.items():
        if len(idx) > 1:
            for k, node in enumerate(idx):
                extra = str(node) if str(node) != label else str(k + 1)
                out[node] = f"{label} ({extra})"
    return out


def flow_types(links: pd.DataFrame, nodes: pd.DataFrame) -> pd.Series:
    """Infer primary / secondary / loss / trade / stock where ``flow_type`` is not given.

    Rules, first match wins: into or out of a ``"<id> stock"`` node, or into a stock node
    outside the main band that only receives (an accumulator: landfill, tailings, a stock
    addition): stock; from a top-band or
    into an outer-band node whose id or label says import/export (invoer/uitvoer): trade; into
    the bottom band: loss, unless out of Collection or Recycling into a transformation (the PGA
    open loop: secondary); backwards along the chain, out of Collection or Recycling, or into
    Collection: secondary (end-of-life and recycled material); otherwise primary.
    """
    given = links.get("flow_type", pd.Series(None, index=links.index, dtype=object))
    label = nodes["label"].astype(str).str.lower() + " " + nodes.index.str.lower()
    trade = label.str.contains("import|export|invoer|uitvoer")
    band, col, kind = nodes["band"], nodes["column"], nodes["kind"]
    s, t = links["source"], links["target"]
    # an accumulator sits outside the main band (landfill, tailings, stock additions): a main-band
    # stock that only receives here (in-use stock whose outflows are not in the data) takes
    # material in use, coloured as such in every model, not as a stock change
    accumulators = kind.eq("stock") & ~nodes.index.isin(list(s)) & band.ne("main")
    inferred = np.select(
        [
            kind.reindex(s).eq("stock").to_numpy() & s.str.endswith(" stock").to_numpy()
            | t.str.endswith(" stock").to_numpy() & kind.reindex(t).eq("stock").to_numpy()
            | accumulators.reindex(t, fill_value=False).to_numpy(),
            (band.reindex(s).eq("top") & trade.reindex(s)).to_numpy()
            | (band.reindex(t).eq("bottom") & trade.reindex(t)).to_numpy()
            | (band.reindex(t).eq("top") & trade.reindex(t)).to_numpy(),
            # recycled material leaving the chain for another one (the PGA open loop, drawn as
            # an exit) stays secondary material, not a loss
            nodes["stage"].reindex(s).isin(["Collection", "Recycling"]).to_numpy()
            & kind.reindex(t).eq("transformation").to_numpy(),
            band.reindex(t).eq("bottom").to_numpy(),
            (col.reindex(t).to_numpy() <= col.reindex(s).to_numpy())
            & band.reindex(s).eq("main").to_numpy()
            | nodes["stage"].reindex(s).isin(["Collection", "Recycling"]).to_numpy()
            | nodes["stage"].reindex(t).eq("Collection").to_numpy(),
        ],
        ["stock", "trade", "secondary", "loss", "secondary"],
        default="primary",
    )
    out = given.where(given.notna() & given.astype(str).isin(FLOW_TYPES), inferred)
    bad = sorted(set(given.dropna().astype(str)) - set(FLOW_TYPES) - {""})
    if bad:
        raise DataError(f"links table: unknown flow_type {bad}; use one of {list(FLOW_TYPES)}")
    return out.astype(str)


def links_from_system(
    system: System, year: int, *, lang: Lang = "en", by: str | None = None
) -> pd.DataFrame:
    """Make a links table from a System's flows and stock changes for one year.

    Every flow is summed over all dims except ``time`` (selected) and ``by`` (kept as a column).
    Each row's ``grade`` is the worst data-quality grade of the cells it sums (the flow's or
    stock change's provenance, :func:`msa.system.provenance.worst_grade`: A < B < C < D <
    ``""``, ungraded), which ``sankey(..., color_by="grade")`` draws. A stock process that
    passes material on (it has inflows and outflows, e.g. *Use*) gets its net stock change as
    a flow into the node ``"<id> stock"`` (an addition) or out of it (a depletion), so the
    diagram shows that mass is conserved. A pure stock (only inflows, e.g. a landfill, or only
    outflows, e.g. reserves) *is* the stock node: no extra node, its inflows (or outflows) are
    its change, and the figure labels it ``+x`` (or ``−x``).

    Parameters
    ----------
    system : System
        The material system.
    year : int
        One of ``system.years``.
    lang : {"en", "nl"}
        Language of ``source_label`` / ``target_label``.
    by : str, optional
        A dim to keep (e.g. ``"material"``), giving one row per item.

    Returns
    -------
    DataFrame
        The links table (see the module docstring), with ``grade`` and ``year``.

    Raises
    ------
    DataError
        A year outside the data, or a System with no flow or stock change to draw.
    DimensionError
        A ``by`` dim the System does not have.

    Examples
    --------
    >>> import msa
    >>> links = links_from_system(msa.load_example(), 2021)
    >>> links.loc[links["target"] == "Use stock", ["source", "value", "flow_type"]]
       source  value flow_type
    22    Use  221.0     stock
    """
    lang = checked_lang(lang)
    _check_request(system, year, by)
    rows = _flow_rows(system, int(year), by)
    if not rows:
        raise DataError(
            f"system {system.name!r} has no flows or stock changes to draw in {year} (a System "
            "built from JRC codes that form no chain, e.g. national headline figures): draw a "
            "view of its codes instead (msa sankey ... --view icer or pga)"
        )
    links = pd.DataFrame(rows)
    stock_rows = links["flow_type"].eq("stock")
    links = links[~stock_rows | (links["value"] > 0)].reset_index(drop=True)
    links = _describe_ends(links, system.processes, lang)
    links["year"] = int(year)
    return links


def _check_request(system: System, year: int, by: str | None) -> None:
    """Refuse a year outside the system's data or a ``by`` dim the system does not have."""
    years = [int(y) for y in system.years]
    if int(year) not in years:
        raise DataError(
            f"system {system.name!r}: year {year} is outside the data (years {years[0]}-"
            f"{years[-1]}); pick one of {years}"
        )
    if by is not None and by not in system.dims:
        raise DimensionError(f"system {system.name!r} has no dim {by!r} (dims {system.dims})")


def _flow_rows(system: System, year: int, by: str | None) -> list[dict[str, object]]:
    """Rows of the links table: every flow, then the stock change of each passing stock.

    A stock process that passes material on (it has inflows and outflows) gets its addition
    as a flow into ``"<id> stock"`` and its depletion as a flow out of it; rows of 0 are kept
    here and dropped by the caller.
    """
    rows: list[dict[str, object]] = []
    for name, da in system.flows.items():
        a = da.attrs
        ftype, codes = a.get("flow_type"), a.get("jrc_code", "")
        grade = _grades(system, name)
        rows += _rows(
            a["source"], a["target"], da, a["units"], ftype, codes, grade, year=year, by=by
        )
    ends = [(da.attrs["source"], da.attrs["target"]) for da in system.flows.values()]
    passes = {s for s, _ in ends} & {t for _, t in ends}
    for pid, ds in system.stocks.items():
        if pid not in passes:
            continue
        change = ds["stock_change"]
        units = ds.attrs.get("units", "t")
        grade = _grades(system, f"stock_change {pid}")
        rows += _rows(
            pid, f"{pid} stock", change.clip(min=0), units, "stock", "", grade, year=year, by=by
        )
        rows += _rows(
            f"{pid} stock", pid, (-change).clip(min=0), units, "stock", "", grade, year=year, by=by
        )
    return rows


def _grades(system: System, key: str) -> xr.DataArray | None:
    """Return the grade of every cell of ``key`` (a flow, ``"stock_change <id>"``), if kept."""
    prov = system.provenance.get(key)
    return None if prov is None or "grade" not in prov else prov["grade"]


def _worst_grades(grade: xr.DataArray | None, year: int, keep: list[str], rows: int) -> np.ndarray:
    """Worst grade of the cells each row sums: one per item of the ``keep`` dims (or one).

    The grades of ``year`` are laid out with the kept dim first and every other dim flattened
    into one axis, whose worst grade is taken in one vectorised step
    (:func:`msa.system.provenance.worst_grade`); plain numpy, as xarray's selection would cost
    more than the grades. No provenance at all is ungraded (``""``).
    """
    if grade is None:
        return np.full(rows, "", dtype=object)
    at = grade.get_index("time").get_loc(int(year))
    cells = np.take(np.asarray(grade.values, dtype=object), at, axis=grade.get_axis_num("time"))
    dims = [d for d in grade.dims if d != "time"]
    first = [dims.index(d) for d in keep] + [i for i, d in enumerate(dims) if d not in keep]
    return worst_grade(np.transpose(cells, first).reshape(rows, -1), axis=-1)


def _rows(
    source: str,
    target: str,
    da: xr.DataArray,
    units: str,
    ftype: str | None,
    codes: str,
    grade: xr.DataArray | None,
    *,
    year: int,
    by: str | None,
) -> list[dict[str, object]]:
    """Rows of one flow in ``year``: summed over every dim but ``by``, one row per ``by`` item.

    ``grade`` holds the grade of each cell of the flow (its provenance); a row's grade is the
    worst of the cells it sums.
    """
    da = da.sel(time=int(year))
    keep = [by] if by is not None and by in da.dims else []
    da = da.sum([d for d in da.dims if d not in keep])
    items = da[by].values if keep else [None]
    worst = _worst_grades(grade, year, keep, len(items))
    rows: list[dict[str, object]] = []
    for item, value, graded in zip(items, np.atleast_1d(da.values), worst, strict=True):
        row: dict[str, object] = {
            "source": source,
            "target": target,
            "value": float(value),
            "units": units,
        }
        if by is not None:
            row[by] = "all" if item is None else str(item)
        row.update(flow_type=ftype, jrc_codes=codes, grade=str(graded))
        rows.append(row)
    return rows


def _describe_ends(links: pd.DataFrame, processes: dict[str, Process], lang: Lang) -> pd.DataFrame:
    """Add label, stage and kind of each end (``source_label``, ``stage_source``, ...).

    Labels come in ``lang`` and, as ``source_label_en`` / ``source_label_nl`` (and target),
    in both languages. A ``"<id> stock"`` node is the stock of process ``<id>``. Adds the
    columns to ``links`` and returns it.
    """

    def describe(node: str, lang: Lang) -> tuple[str, str | None, str]:
        if node in processes:
            p = processes[node]
            return p.label(lang), p.stage, p.kind
        pid = node.removesuffix(" stock")
        p = processes[pid]
        return text("stock_of", lang).format(p.label(lang)), p.stage, "stock"

    for end in ("source", "target"):
        info = links[end].map(lambda n: describe(n, lang))
        links[f"{end}_label"] = info.str[0]
        links[f"stage_{end}"] = info.str[1]
        links[f"kind_{end}"] = info.str[2]
        for other in LANGS:
            links[f"{end}_label_{other}"] = links[end].map(lambda n, o=other: describe(n, o)[0])
    return links


def merge_rows(links: pd.DataFrame, *, by_material: bool) -> pd.DataFrame:
    """Sum rows that draw as one band: same source, target, flow type, status (and material).

    Views give one row per material and region; unless colour shows material, those rows are
    one flow on the figure. Codes and notes of the merged rows are joined, never lost; a band's
    ``grade`` is the worst grade of its rows. Stock changes are net quantities: an addition and
    a depletion between the same two nodes (one material's stock grows, another's shrinks)
    draw as one band of their difference. The column ``merged_rows`` counts the rows of each
    band.

    A band's ``sd`` combines its rows' as independent quantities, and its percentiles cannot
    be combined from theirs (see Notes). A band's ``effect`` is the sum of its rows' known
    effects (NaN only when no row's is known).

    Notes
    -----
    The rows of a band are taken as independent, so their variances add:
    ``sd = sqrt(sum sd_i**2)`` (also for an addition and a depletion netted into one band);
    an unknown ``sd`` of one row leaves the band's unknown (NaN). Percentiles of a sum depend
    on the joint distribution of its terms, which a links table does not hold: a band of
    several rows gets NaN ``p5``, ``p50`` and ``p95``, a band of one row keeps its own. A
    stock-change row drawn reversed (a depletion netted with an addition) negates its
    percentiles, so ``p5`` and ``p95`` swap: they describe the quantity as drawn.
    """
    keys = ["source", "target", "flow_type"]
    keys += [c for c in ("status",) if c in links.columns]
    keys += ["material"] if by_material else []
    links = _orient_stock_rows(links)
    # Fill missing keys in every text column (object or pandas' str dtype) and keep NaN groups:
    # a row without a status or material is drawn, never dropped by groupby.
    text_keys = [k for k in keys if not pd.api.types.is_numeric_dtype(links[k])]
    filled = links.assign(**{k: links[k].fillna("") for k in text_keys}, merged_rows=1)
    rules: dict[str, object] = {"value": "sum", "merged_rows": "sum"}
    order = np.array([*GRADES, ""], dtype=object)  # best to worst; ungraded is worst
    if "grade" in links.columns:  # the worst grade of a band is the highest rank of its rows
        rank = pd.Categorical(links["grade"].fillna("").astype(str), categories=order).codes
        filled["grade"] = np.where(rank < 0, len(order) - 1, rank)
        rules["grade"] = "max"
    if "sd" in links.columns:  # summed as variances; a NaN is counted so it stays unknown
        filled["sd"] = links["sd"] ** 2
        filled["_sd_unknown"] = links["sd"].isna().astype(int)
        rules.update(sd="sum", _sd_unknown="sum")
    if "effect" in links.columns:  # what a band carries: the sum of its rows' known effects
        rules["effect"] = _sum_known
    for col in links.columns:
        if col in keys or col in rules:
            continue
        if col in ("jrc_codes", "note", "material", "region"):
            rules[col] = lambda v: ", ".join(
                dict.fromkeys(str(x) for x in v if pd.notna(x) and str(x))
            )
        else:
            rules[col] = "first"
    out = filled.groupby(keys, sort=False, as_index=False, dropna=False).agg(rules)
    if "grade" in out.columns:
        out["grade"] = order[out["grade"].to_numpy(dtype=int)]
    if "sd" in out.columns:
        out["sd"] = np.sqrt(out["sd"]).where(out["_sd_unknown"].eq(0))
    for col in [c for c in _PERCENTILES if c in out.columns]:
        out[col] = out[col].where(out["merged_rows"].eq(1))
    reversed_ = out["value"] < 0
    out = _negate(_swap_ends(out, reversed_), reversed_)
    return out[[c for c in [*links.columns, "merged_rows"] if c in out.columns]]


def _sum_known(values: pd.Series) -> float:
    """Sum the known values; NaN only when none is known (no factor for any row)."""
    return float(values.sum(min_count=1))


def _negate(links: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """Negate the value (and percentiles, ``p5`` and ``p95`` swapped) of ``rows``."""
    if not rows.any():
        return links
    links = links.copy()
    links.loc[rows, "value"] = -links.loc[rows, "value"]
    if "p50" in links.columns:
        links.loc[rows, "p50"] = -links.loc[rows, "p50"]
    if "p5" in links.columns and "p95" in links.columns:
        low, high = links.loc[rows, "p5"].to_numpy(), links.loc[rows, "p95"].to_numpy()
        links.loc[rows, "p5"], links.loc[rows, "p95"] = -high, -low
    return links


def _swap_ends(links: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """Swap source and target (and every ``*source*``/``*target*`` column pair) of ``rows``."""
    if not rows.any():
        return links
    links = links.copy()
    for col in [c for c in links.columns if "source" in c]:
        partner = col.replace("source", "target")
        if partner in links.columns:
            links.loc[rows, [col, partner]] = links.loc[rows, [partner, col]].to_numpy()
    return links


def _orient_stock_rows(links: pd.DataFrame) -> pd.DataFrame:
    """Give opposite stock-change rows one direction, the reversed ones a negative value."""
    stock = links["flow_type"].eq("stock")
    pairs = set(zip(links.loc[stock, "source"], links.loc[stock, "target"], strict=True))
    flip = stock & pd.Series(
        [(t, s) in pairs and s > t for s, t in zip(links["source"], links["target"], strict=True)],
        index=links.index,
    )
    return _negate(_swap_ends(links, flip), flip)


_HELD_INSIDE = {
    "en": "Held inside a node, with no link out of it in this view (the terms of that link "
    "are not in the data)",
    "nl": "Binnen een knooppunt, zonder stroom eruit in deze weergave (de termen van die "
    "stroom ontbreken in de data)",
}


def held_inside_note(view: View, year: int, lang: Lang = "en") -> str | None:
    """Return a footnote naming the totals a view holds inside nodes that send no link.

    A view keeps stage totals inside their node (JRC: D.1.1 inside *Manufacture*) and draws
    the link out of the node only where all its terms are in the data. Where a node then sends
    nothing, its total would vanish from the figure; the note names it instead (national
    headline figures: domestic extraction inside *Extraction*, DMC inside *Manufacture*).

    Parameters
    ----------
    view : View
        A view of :mod:`msa.jrc_msa` (its ``inside`` table and ``links``).
    year : int
        The year drawn.
    lang : {"en", "nl"}
        Language of the note and its numbers.

    Returns
    -------
    str or None
        ``None`` when every such total has a link out of its node.
    """
    from msa.figures.labels import display_units, format_value

    lang = checked_lang(lang)
    inside = view.inside
    if inside.empty:
        return None
    inside = inside[inside["year"] == year]
    links = view.links[view.links["year"] == year] if "year" in view.links else view.links
    sending = set(links.loc[links["value"] != 0, "source"])
    nodes = view.nodes.set_index("node")
    stocks = set(nodes.index[nodes["kind"] == "stock"]) if "kind" in nodes else set()
    held = inside[
        ~inside["node"].isin(sending | stocks) & (inside["value"] != 0)
    ]  # a stock node holds a level, not a total that would flow on
    if held.empty:
        return None
    label = nodes[f"label_{lang}"].to_dict()
    totals = held.groupby(["node", "code"], sort=False)[["value"]].sum().reset_index()
    units, per = display_units(str(held["units"].iloc[0]), float(totals["value"].abs().max()))
    parts = [
        f"{label.get(n, n)} {format_value(float(v) / per, units, lang)} ({c})"
        for n, c, v in totals[["node", "code", "value"]].itertuples(index=False)
    ]
    return f"{_HELD_INSIDE[lang]}: " + "; ".join(parts)
