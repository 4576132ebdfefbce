"""Views of one material system: the JRC MSA chain, the ICER national and the PGA Sankey.

The same system, defined once by its JRC MSA variables, is reported in different *views*. A view
maps every variable (``src/msa/data/view_mapping.csv``) to one of four statuses:

``in scope``
    a link of the view (source node -> target node);
``inside a node``
    part of a node, no link of its own (e.g. C.1.1 inside *Verwerkte grondstoffen*; stocks);
``out of scope``
    left out of the view ("buiten scope");
``uncertain``
    the institutes have not settled the mapping ('?' in the agreed text): kept visible with a
    tentative link or node, never resolved silently.

Every variable's quantity lands in exactly one status, so per variable and year
``in scope + inside + out of scope + uncertain = the JRC total`` (tested as a property).
A value folded over several codes (``"C.1.2+D.1.2"``) keeps its mapping when its codes agree in
the view and becomes ``uncertain`` (with the alternatives in ``note``) when they do not.

The links table follows the Sankey links schema of :mod:`msa.sankey`: ``source``, ``target``,
``value``, ``units``, ``jrc_codes``, ``status``, labels, ``year`` and the system's material and
region; ``nodes`` gives each view's node order and band (``view_nodes.csv``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError
from msa.jrc_msa.tables import (
    jrc_codes,
    parse_expression,
    reference_table,
    signed_sum,
    variable_info,
)
from msa.jrc_msa.template import jrc_variables
from msa.system.core import System

__all__ = [
    "REVERSED",
    "STATUSES",
    "VIEWS",
    "View",
    "ViewMapping",
    "apply_view",
    "icer_national",
    "jrc",
    "load_mapping",
    "pga",
    "view_balance",
]

#: The mapping statuses, in reporting order.
STATUSES: tuple[str, ...] = ("in scope", "inside a node", "out of scope", "uncertain")
#: The note of a link drawn reversed because its value is negative (a stock depletion).
REVERSED = "negative: drawn reversed"
#: The bundled views.
VIEWS: tuple[str, ...] = ("jrc", "icer_national", "pga")
_MAP_COLUMNS = ("code", "status", "source", "target", "node", "note", "flow_type")
#: A mapping note starting so departs from the institutes' agreed text; figures show it.
DEVIATION = "msa deviation:"
#: A mapping note starting so explains how a figure draws the variable; figures show it.
FIGURE_NOTE = "figure note:"
_FOOTNOTE_PREFIXES = {DEVIATION: "Deviation from the agreed mapping: ", FIGURE_NOTE: ""}
_FOOTNOTE_PREFIXES_NL = {DEVIATION: "Afwijking van de afgesproken toewijzing: ", FIGURE_NOTE: ""}


@dataclass(frozen=True)
class ViewMapping:
    """How every JRC (and national-only) variable appears in one view.

    Parameters
    ----------
    name : str
        The view (``"jrc"``, ``"icer_national"``, ``"pga"`` or your own).
    table : DataFrame
        One row per code: ``code, status, source, target, node, note`` and optional
        ``flow_type`` (``stock`` for a net addition to stock; empty: inferred by the Sankey)
        and ``note_nl`` (the Dutch wording of a deviation or figure note).
    nodes : DataFrame
        ``node, label_nl, label_en, order, band`` and optional ``stage`` (JRC stage, for
        colour), ``kind`` (transformation, stock, boundary) and ``passes_to`` (a node whose
        mass passes on, in the year, into the named node; see :func:`apply_view`): every node
        the table uses.

    Raises
    ------
    ConfigError
        If a code is missing or repeated, a status is unknown, a link or node is not in
        ``nodes``, or a node passes on to a node not in ``nodes`` or to itself.
    """

    name: str
    table: pd.DataFrame
    nodes: pd.DataFrame

    def __post_init__(self) -> None:
        for optional in ("flow_type", "note_nl"):
            if optional not in self.table.columns:
                object.__setattr__(self, "table", self.table.assign(**{optional: ""}))
        where = f"view mapping {self.name!r}"
        _check_mapping_table(self.table, where)
        known = set(self.nodes["node"])
        for row in self.table.itertuples():
            _check_mapping_row(row, known, where)
        for node, onward in self.passes_on.items():
            if onward not in known or onward == node:
                raise ConfigError(
                    f"{where}: node {node!r} passes on to {onward!r}, which is "
                    + ("the node itself" if onward == node else "not in the view's nodes")
                )

    @functools.cached_property
    def passes_on(self) -> dict[str, str]:
        """Return node -> the node its mass passes on to (``passes_to`` of ``nodes``)."""
        if "passes_to" not in self.nodes.columns:
            return {}
        onward = self.nodes[self.nodes["passes_to"].fillna("") != ""]
        return dict(zip(onward["node"], onward["passes_to"], strict=True))

    @functools.cached_property
    def _by_code(self) -> dict[str, dict[str, str]]:
        fields = ["status", "source", "target", "node", "note", "flow_type"]
        return {row["code"]: {f: row[f] for f in fields} for row in self.table.to_dict("records")}

    def resolve(self, key: str) -> dict[str, str]:
        """Return the mapping of a code or a ``+``-fold of codes (see the module docstring)."""
        rows = {code: self._by_code[code] for code in key.split("+")}
        places = {(r["status"], r["source"], r["target"], r["node"]) for r in rows.values()}
        notes = "; ".join(n for n in dict.fromkeys(r["note"] for r in rows.values()) if n)
        types = {r["flow_type"] for r in rows.values()}
        flow_type = types.pop() if len(types) == 1 else ""
        if len(places) == 1:
            status, source, target, node = places.pop()
            return {
                "status": status,
                "source": source,
                "target": target,
                "node": node,
                "note": notes,
                "flow_type": flow_type,
            }
        # Tentative placement: the link (or node) most of the folded codes share, first on a tie;
        # none when most of them are out of scope.
        spots = [
            ("", "", "") if r["status"] == "out of scope" else (r["source"], r["target"], r["node"])
            for r in rows.values()
        ]
        counts = {spot: spots.count(spot) for spot in dict.fromkeys(spots)}
        source, target, node = max(counts, key=counts.__getitem__)
        alternatives = "; ".join(
            f"{code} {r['status']} "
            f"{r['source'] + ' -> ' + r['target'] if r['source'] else r['node']}".strip()
            for code, r in rows.items()
        )
        return {
            "status": "uncertain",
            "source": source,
            "target": target,
            "node": node,
            "note": f"folded codes map differently in this view ({alternatives}); "
            "the data do not split them",
            "flow_type": flow_type,
        }


def _check_mapping_table(table: pd.DataFrame, where: str) -> None:
    """Check a mapping's columns, that it maps every code once, and that its statuses are known.

    Raises
    ------
    ConfigError
        On a missing column, a code mapped twice or not at all, or an unknown status.
    """
    missing = [c for c in _MAP_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(f"{where}: missing column(s) {missing}")
    codes = table["code"]
    dup = sorted(set(codes[codes.duplicated()]))
    if dup:
        raise ConfigError(f"{where}: code(s) {dup} mapped more than once")
    absent = [c for c in jrc_codes("all") if c not in set(codes)]
    if absent:
        raise ConfigError(f"{where}: code(s) {absent} not mapped; map each (or out of scope)")
    bad = sorted(set(table["status"]) - set(STATUSES))
    if bad:
        raise ConfigError(f"{where}: unknown status {bad}; use one of {list(STATUSES)}")


def _check_mapping_row(row: Any, known: set[str], where: str) -> None:
    """Check that one code's row places it as its status requires, on nodes of the view.

    Raises
    ------
    ConfigError
        If an in-scope code has no link, an inside code no node, an uncertain code neither, or
        the row uses a node not in ``known``.
    """
    has_link = bool(row.source and row.target)
    if row.status == "in scope" and not has_link:
        raise ConfigError(f"{where}: code {row.code} is in scope without source/target")
    if row.status == "inside a node" and not row.node:
        raise ConfigError(f"{where}: code {row.code} is inside a node but names none")
    if row.status == "uncertain" and not (has_link or row.node):
        raise ConfigError(f"{where}: uncertain code {row.code} needs a tentative link/node")
    for used in (row.source, row.target, row.node):
        if used and used not in known:
            raise ConfigError(
                f"{where}: code {row.code} uses node {used!r}, not in the view's nodes"
            )


def load_mapping(view: str) -> ViewMapping:
    """Return a bundled view mapping (``"jrc"``, ``"icer_national"`` or ``"pga"``).

    Examples
    --------
    >>> m = load_mapping("icer_national")
    >>> m.resolve("C.1.6")["status"]
    'uncertain'
    """
    if view not in VIEWS:
        raise ConfigError(f"unknown view {view!r}; use one of {list(VIEWS)}")
    table = reference_table("view_mapping")
    table = table[table["view"] == view].drop(columns="view").reset_index(drop=True)
    nodes = reference_table("view_nodes")
    nodes = nodes[nodes["view"] == view].drop(columns="view").reset_index(drop=True)
    nodes["order"] = nodes["order"].astype(int)
    for col in ("stage", "kind"):
        if col in nodes.columns:
            nodes[col] = nodes[col].where(nodes[col] != "", None)
    return ViewMapping(view, table, nodes)


@dataclass(frozen=True)
class View:
    """One view of a system: links, and what the view holds inside nodes, leaves out, or doubts.

    Attributes
    ----------
    name : str
        The view.
    links : DataFrame
        Sankey links: ``view, year, [material, region], source, target, value, units,
        jrc_codes, status, note, source_label, target_label, source_label_en,
        target_label_en``. ``status`` is ``in scope`` or ``uncertain`` (a tentative link).
    allocation : DataFrame
        One row per variable (code or fold) and year: ``status, source, target, node, value``.
    inside, out_of_scope, uncertain : DataFrame
        The allocation rows of that status (``uncertain`` includes those with a tentative link).
    missing : tuple of str
        JRC codes the system does not hold (neither alone nor in a fold).
    nodes : DataFrame
        The view's nodes (``node, label_nl, label_en, order, band, stage, kind``).
    footnotes : tuple of str
        Where this view departs from the institutes' agreed mapping, and how it draws a
        variable (mapping notes starting with ``"msa deviation:"`` or ``"figure note:"``, of
        the variables the system holds); figures print them under the diagram.
    footnotes_nl : tuple of str
        The same in Dutch (the mapping's ``note_nl``), for figures drawn with ``lang="nl"``;
        a note without a Dutch wording stays English.
    """

    name: str
    links: pd.DataFrame
    allocation: pd.DataFrame
    inside: pd.DataFrame
    out_of_scope: pd.DataFrame
    uncertain: pd.DataFrame
    missing: tuple[str, ...]
    nodes: pd.DataFrame
    footnotes: tuple[str, ...] = ()
    footnotes_nl: tuple[str, ...] = ()

    def footnotes_in(self, lang: str) -> tuple[str, ...]:
        """Return :attr:`footnotes` (``lang="en"``) or :attr:`footnotes_nl` (``"nl"``)."""
        if lang not in ("en", "nl"):
            raise ConfigError(f"lang must be 'en' or 'nl' (got {lang!r})")
        return self.footnotes_nl if lang == "nl" else self.footnotes


def _long(variables: xr.DataArray, year: int | None) -> pd.DataFrame:
    if year is not None:
        if year not in variables["time"].values:
            years = [int(y) for y in variables["time"].values]
            raise DataError(f"year {year} is not in the system (years {years[0]}-{years[-1]})")
        variables = variables.sel(time=[year])
    frame = variables.to_dataframe(name="value").reset_index().rename(columns={"time": "year"})
    return frame


def apply_view(
    system: System | xr.DataArray,
    mapping: ViewMapping,
    *,
    year: int | None = None,
    strict: bool = False,
) -> View:
    """Report a system (or its :func:`msa.jrc_variables`) in a view.

    Parameters
    ----------
    system : System or DataArray
        A System whose parameters, flows or stocks carry ``jrc_code`` attrs, or the variables
        themselves (dims ``code``, ``time`` and optional ``material``/``region``).
    mapping : ViewMapping
    year : int, optional
        One year; default all years of the system.
    strict : bool
        Raise :class:`DataError` if a JRC code is missing, instead of listing it in
        :attr:`View.missing`.

    Returns
    -------
    View

    Notes
    -----
    A node of the mapping with ``passes_to`` (ICER national: *Kortcyclische producten* ->
    *Afval*) passes its mass on in the year: the view adds the link node -> ``passes_to`` with
    ``sum(links in) - sum(links out)`` of the node, per year, material and region (its
    ``jrc_codes`` are those of the links in, its note starts with ``"derived"``, as the JRC
    view's links between stages do: it draws mass already counted once; none when nothing is
    left to pass on). The node
    then balances, and the agreed waste production of the national view, *Afval* out of the
    stock plus short-cycle products, is the inflow of *Afval*.

    Raises
    ------
    ConfigError
        If the system holds no JRC variable at all (no parameter, flow or stock carries a
        ``jrc_code``): a view has nothing to place.
    DataError
        With ``strict``, if some JRC code is missing.
    """
    variables = jrc_variables(system) if isinstance(system, System) else system
    if variables.sizes.get("code", 0) == 0:
        raise ConfigError(_untagged(system, mapping.name))
    units = str(variables.attrs.get("units", "t"))
    keys = [str(k) for k in variables["code"].values]
    covered = {m for k in keys for m in k.split("+")}
    missing = tuple(c for c in jrc_codes() if c not in covered)
    if strict and missing:
        raise DataError(
            f"view {mapping.name!r}: the system lacks JRC code(s) {list(missing)}; tag flows "
            "with jrc_code or pass strict=False to list them as missing"
        )
    resolved = pd.DataFrame([{"code": k, **mapping.resolve(k)} for k in keys], columns=_MAP_COLUMNS)
    alloc = _long(variables, year).merge(resolved, on="code", how="left")
    alloc["units"] = units
    dims = [c for c in ("material", "region") if c in alloc.columns]
    links = _links(alloc, mapping, dims, units)
    if mapping.passes_on:
        links = pd.concat([links, _pass_on(links, mapping, dims)], ignore_index=True)
    if mapping.name == "jrc":
        links = pd.concat([links, _derived_links(variables, year, mapping, dims, units)])
        links = links.reset_index(drop=True)

    def part(status: str) -> pd.DataFrame:
        cols = ["code", "year", *dims, "value", "units", "source", "target", "node", "note"]
        return alloc.loc[alloc["status"] == status, cols].reset_index(drop=True)

    return View(
        name=mapping.name,
        links=links,
        allocation=alloc,
        inside=part("inside a node"),
        out_of_scope=part("out of scope"),
        uncertain=part("uncertain"),
        missing=missing,
        nodes=mapping.nodes,
        footnotes=_footnotes(alloc, _labels(mapping.nodes, "en")),
        footnotes_nl=_footnotes(alloc, _labels(mapping.nodes, "nl"), _dutch_notes(mapping)),
    )


def _untagged(system: System | xr.DataArray, view: str) -> str:
    """Return the one-line message for a view of a system holding no JRC variable."""
    if not isinstance(system, System):
        return (
            f"view {view!r}: the variables hold no JRC code (the 'code' dim is empty or absent); "
            "a view places JRC MSA variables"
        )
    return (
        f"system {system.name!r} has no flow, stock or parameter with a jrc_code, so view "
        f"{view!r} has nothing to place: give each flow its JRC MSA variable (in a declared "
        "model's model.toml: jrc_code = \"...\" on the flow, or place its processes in the view's "
        f'nodes: views = {{ {view} = "..." }}; in Python: add_flow(..., jrc_code="..."))'
    )


def _dutch_notes(mapping: ViewMapping) -> dict[str, str]:
    """English deviation/figure note -> its Dutch wording (``note_nl``), where given."""
    table = mapping.table[mapping.table["note_nl"].fillna("") != ""]
    return dict(zip(table["note"], table["note_nl"], strict=True))


def _labels(nodes: pd.DataFrame, lang: str) -> dict[str, str]:
    """Node name -> its label in ``lang`` (the name where the table gives none)."""
    column = f"label_{lang}"
    if column not in nodes.columns:
        return {}
    shown = nodes.set_index("node")[column].fillna("")
    return {str(n): str(label) for n, label in shown.items() if str(label)}


def _named(note: str, labels: dict[str, str]) -> str:
    """Return ``note`` with every node name (whole, case-sensitive) replaced by its label.

    Examples
    --------
    >>> _named("Voorraad -> Voorraadtoename", {"Voorraad": "Stock", "Voorraadtoename": "Net"})
    'Stock -> Net'
    """
    if not labels:
        return note
    names = sorted(labels, key=len, reverse=True)  # longest first: Import afval before Import
    pattern = r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])"
    return re.sub(pattern, lambda match: labels[match.group(1)], note)


def _footnotes(
    alloc: pd.DataFrame, labels: dict[str, str], dutch: dict[str, str] | None = None
) -> tuple[str, ...]:
    """Deviation and figure notes of the variables present (non-zero), once each.

    With ``dutch`` (English note -> Dutch note) each note is given in Dutch where it has a
    Dutch wording. Node names in a note become the node's ``labels`` (name -> label in the
    figure's language), so a note names a node as the figure shows it.
    """
    noted = alloc["note"].fillna("").str.contains("|".join(_FOOTNOTE_PREFIXES))
    leads = _FOOTNOTE_PREFIXES if dutch is None else _FOOTNOTE_PREFIXES_NL
    notes = []
    for note in dict.fromkeys(alloc.loc[noted & (alloc["value"] != 0), "note"]):
        for part in str(note).split("; "):
            part = _named((dutch or {}).get(part, part), labels)
            for prefix, lead in leads.items():
                if part.startswith(prefix):
                    text = part.removeprefix(prefix).strip().replace("->", "\u2192")
                    notes.append(f"{lead}{text[:1].upper() if not lead else text[:1]}{text[1:]}.")
    return tuple(dict.fromkeys(notes))


_LINK_COLUMNS = (
    "view",
    "year",
    "source",
    "target",
    "value",
    "units",
    "jrc_codes",
    "status",
    "flow_type",
    "note",
    "source_label",
    "target_label",
    "source_label_en",
    "target_label_en",
)


def _label(links: pd.DataFrame, mapping: ViewMapping, dims: list[str]) -> pd.DataFrame:
    labels = mapping.nodes.set_index("node")
    main = "label_en" if mapping.name == "jrc" else "label_nl"
    for end in ("source", "target"):
        links[f"{end}_label"] = links[end].map(labels[main])
        links[f"{end}_label_en"] = links[end].map(labels["label_en"])
    links["view"] = mapping.name
    cols = list(_LINK_COLUMNS)
    return links[cols[:2] + dims + cols[2:]]


def _links(alloc: pd.DataFrame, mapping: ViewMapping, dims: list[str], units: str) -> pd.DataFrame:
    linked = alloc[(alloc["source"] != "") & (alloc["target"] != "")]
    linked = linked[linked["status"].isin(("in scope", "uncertain"))]
    keys = ["year", *dims, "source", "target", "status", "flow_type"]
    if linked.empty:
        return pd.DataFrame(columns=list(_LINK_COLUMNS[:2]) + dims + list(_LINK_COLUMNS[2:]))
    grouped = linked.groupby(keys, sort=False).agg(
        value=("value", "sum"),
        jrc_codes=("code", lambda c: "+".join(dict.fromkeys(c))),
        note=("note", lambda n: "; ".join(x for x in dict.fromkeys(n) if x)),
    )
    links = _reverse_negative(grouped.reset_index())
    links["units"] = units
    return _label(links, mapping, dims)


def _pass_on(links: pd.DataFrame, mapping: ViewMapping, dims: list[str]) -> pd.DataFrame:
    """Return the links by which nodes pass their mass on (``passes_to``; see apply_view).

    Per node, year, material and region: what enters the node less what else leaves it, as a
    link node -> ``passes_to`` (status of the links in: ``uncertain`` if any is); none where
    that is not positive.
    """
    keys = ["year", *dims]
    rows = []
    for node, onward in mapping.passes_on.items():
        into = links[links["target"] == node]
        if into.empty:
            continue
        out = links[links["source"] == node].groupby(keys)["value"].sum()
        grouped = into.groupby(keys, sort=False).agg(
            value=("value", "sum"),
            jrc_codes=("jrc_codes", lambda c: "+".join(dict.fromkeys(c))),
            uncertain=("status", lambda s: bool((s == "uncertain").any())),
        )
        grouped["value"] = grouped["value"].sub(out, fill_value=0.0).loc[grouped.index]
        grouped = grouped[grouped["value"] > 0].reset_index()
        grouped["source"], grouped["target"] = node, onward
        grouped["status"] = np.where(grouped.pop("uncertain"), "uncertain", "in scope")
        grouped["flow_type"] = ""
        grouped["note"] = f"derived: what enters {node} passes on to {onward} in the year"
        rows.append(grouped)
    if not rows:
        return pd.DataFrame(columns=list(_LINK_COLUMNS[:2]) + dims + list(_LINK_COLUMNS[2:]))
    passed = pd.concat(rows, ignore_index=True)
    passed["units"] = links["units"].iloc[0]
    return _label(passed, mapping, dims)


def _reverse_negative(links: pd.DataFrame) -> pd.DataFrame:
    """Draw a negative link (a signed variable, e.g. a stock depletion E.1.7 < 0) reversed.

    A Sankey band has no sign: a net addition of -5 t to a stock is 5 t out of it. The value
    keeps its magnitude, the note says so; the allocation tables keep the signed value.
    """
    negative = links["value"] < 0
    if not negative.any():
        return links
    links = links.copy()
    links.loc[negative, ["source", "target"]] = links.loc[negative, ["target", "source"]].values
    links.loc[negative, "value"] = -links.loc[negative, "value"]
    flag = REVERSED
    links.loc[negative, "note"] = [
        f"{n}; {flag}" if n else flag for n in links.loc[negative, "note"]
    ]
    return links


def _derived_links(
    variables: xr.DataArray,
    year: int | None,
    mapping: ViewMapping,
    dims: list[str],
    units: str,
) -> pd.DataFrame:
    """Return the JRC chain links derived from stage totals (e.g. C.1.1 - C.1.2).

    Only edges of ``jrc_structure.csv`` with a minus sign or a stage total are derived; the
    others are links of single variables already. An edge lacking a code is left out.
    """
    info = variable_info()
    keys = set(str(k) for k in variables["code"].values)
    rows = []
    for edge in reference_table("jrc_structure").itertuples():
        terms = parse_expression(edge.expression)
        if not any(s < 0 or info.at[c, "role"] == "total" for s, c in terms):
            continue
        if not all(c in keys for _, c in terms):
            continue
        value = signed_sum(variables, terms)
        frame = _long(value.expand_dims(code=["_"]), year).drop(columns="code")
        frame["source"], frame["target"] = edge.source, edge.target
        frame["status"] = "in scope"
        frame["flow_type"] = ""
        frame["jrc_codes"] = edge.expression.replace(" ", "")
        frame["note"] = "derived from stage totals (jrc_structure.csv)"
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=list(_LINK_COLUMNS[:2]) + dims + list(_LINK_COLUMNS[2:]))
    links = pd.concat(rows, ignore_index=True)
    links["units"] = units
    return _label(links, mapping, dims)


def jrc(system: System | xr.DataArray, *, year: int | None = None, strict: bool = False) -> View:
    """Report a system in the JRC MSA chain itself (English node names).

    Stage totals (B.1.1, B.1.2, C.1.1, D.1.1) are inside their stage; the links between stages
    are derived from them where all terms are present (:file:`jrc_structure.csv`); national-only
    inputs are out of scope. See :func:`apply_view` for the parameters.

    Examples
    --------
    >>> import pandas as pd
    >>> from msa.jrc_msa.template import build_msa_system
    >>> t = pd.DataFrame({"material": "Li", "region": "EU", "year": 2020,
    ...     "code": ["C.1.1", "C.1.2"], "value": [10.0, 4.0], "units": "t",
    ...     "source_id": "", "grade": "D"})
    >>> v = jrc(build_msa_system(t).system)
    >>> float(v.links.set_index(["source", "target"]).loc[("Processing", "Manufacture"), "value"])
    6.0
    """
    return apply_view(system, load_mapping("jrc"), year=year, strict=strict)


def icer_national(
    system: System | xr.DataArray, *, year: int | None = None, strict: bool = False
) -> View:
    """Report a system in the Dutch ICER national Sankey view (Dutch node names).

    Includes the national-only inputs N.1 (re-exports), N.2 (short-cycle products) and N.3
    (energetic use) when the system has them. Short-cycle products pass on into *Afval* in the
    year (the agreed waste production: *Afval* out of the stock plus short-cycle products; see
    :func:`apply_view`, Notes). See :func:`apply_view` for the parameters.

    Examples
    --------
    >>> import pandas as pd
    >>> from msa.jrc_msa.template import build_msa_system
    >>> t = pd.DataFrame({"material": "all", "region": "NL", "year": 2022,
    ...     "code": ["N.2", "E.1.6"], "value": [30.0, 50.0], "units": "t",
    ...     "source_id": "", "grade": "D"})
    >>> links = icer_national(build_msa_system(t).system).links
    >>> links.groupby("target")["value"].sum()["Afval"]  # 50 from the stock + 30 short-cycle
    np.float64(80.0)
    """
    return apply_view(system, load_mapping("icer_national"), year=year, strict=strict)


def pga(system: System | xr.DataArray, *, year: int | None = None, strict: bool = False) -> View:
    """Report a system in the PGA (product group analysis) Sankey view (Dutch node names).

    See :func:`apply_view` for the parameters.
    """
    return apply_view(system, load_mapping("pga"), year=year, strict=strict)


def view_balance(view: View) -> pd.DataFrame:
    """Return each node's inflow, outflow and residual (in - out) over the view's links.

    Uncertain (tentative) links count. Nodes at the edge of a view (imports, exports, losses)
    have one side only; a node with both sides and a non-zero residual shows where the view's
    cut, or the data, leave mass unaccounted.

    Returns
    -------
    pandas.DataFrame
        ``node, year, inflow, outflow, residual, units`` (summed over material and region).
    """
    links = view.links
    if links.empty:
        return pd.DataFrame(columns=["node", "year", "inflow", "outflow", "residual", "units"])
    into = links.groupby(["target", "year"])["value"].sum().rename("inflow")
    out = links.groupby(["source", "year"])["value"].sum().rename("outflow")
    into.index.names = out.index.names = ["node", "year"]
    table = pd.concat([into, out], axis=1).fillna(0.0).reset_index()
    table["residual"] = table["inflow"] - table["outflow"]
    table["units"] = links["units"].iloc[0]
    order = view.nodes.set_index("node")["order"]
    table["_order"] = table["node"].map(order).fillna(np.inf)
    return (
        table.sort_values(["year", "_order", "node"]).drop(columns="_order").reset_index(drop=True)
    )
