"""What colour means in a Sankey: link colours and legend groups, decided before plotly.

:func:`link_colours` colours the links of prepared tables (:func:`msa.figures.plan.prepare_tables`)
by one meaning (stage, material, flow type, grade or effect) and lists the legend: the groups
and their entries, in order. It depends on the tables, ``lang`` and ``color_by`` only, so the
plan knows the legend (and the room it takes) before it lays the figure out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from msa.figures.labels import (
    EFFECT_COLORS,
    EFFECT_NONE,
    EFFECT_UNKNOWN,
    FLOW_TYPES,
    GRADE_COLORS,
    STAGE_COLORS,
    Lang,
    colors_for,
    format_value,
    rgba,
    stage_name,
    text,
)
from msa.figures.links import JRC_STAGES
from msa.system.provenance import GRADES

__all__ = ["Colours", "link_colours", "node_stages"]


class _Tables(Protocol):
    """What colouring reads from prepared tables (:class:`msa.figures.plan.PreparedTables`)."""

    @property
    def lang(self) -> Lang: ...
    @property
    def color_by(self) -> str: ...
    @property
    def links(self) -> pd.DataFrame: ...
    @property
    def table(self) -> pd.DataFrame: ...
    @property
    def drawn(self) -> pd.DataFrame: ...
    @property
    def used(self) -> list[str]: ...


@dataclass(frozen=True)
class Colours:
    """What colour means in one figure.

    Attributes
    ----------
    links : Series
        ``rgba(...)`` colour of each row of the plan's links (same index).
    legend : dict
        Legend groups in order: group title to {entry name: ``#RRGGBB``}.
    """

    links: pd.Series
    legend: dict[str, dict[str, str]]


def node_stages(table: pd.DataFrame) -> dict[str, str | None]:
    """JRC stage of each node of the node table; None outside the chain."""
    return {n: st if st in JRC_STAGES else None for n, st in table["stage"].items()}


def link_colours(plan: _Tables) -> Colours:
    """Colour the links by the plan's ``color_by``, and list what each colour means.

    Links carry the chosen meaning; node bars always show their stage (grey outside the
    chain), so a figure coloured by flow type still reads along the chain. What a view leaves
    out of a node is pale grey in every colouring.
    """
    links, lang = plan.links, plan.lang
    stage_of = node_stages(plan.table)
    shown = {stage_of[n] for n in plan.used}
    stages = {stage_name(st, lang): STAGE_COLORS[st] for st in [*JRC_STAGES, None] if st in shown}
    if plan.color_by == "stage":
        link_base = [
            STAGE_COLORS[stage_of[s] or stage_of[t]]
            for s, t in zip(links["source"], links["target"], strict=True)
        ]
        groups = {text("stage", lang): stages}
        if plan.drawn["flow_type"].eq("scope").any():
            stages[text("scope", lang)] = FLOW_TYPES["scope"]
    elif plan.color_by == "grade":
        link_base, groups = _grade_colours(plan, stages)
    elif plan.color_by == "effect":
        link_base, groups = _effect_colours(plan, stages)
    elif plan.color_by == "material":
        palette = colors_for(links["material"].astype(str))
        link_base = [palette[v] for v in links["material"].astype(str)]
        groups = {text("material", lang): palette, text("node_stage", lang): stages}
    else:
        drawn_types = set(plan.drawn["flow_type"])
        link_base = [FLOW_TYPES[f] for f in links["flow_type"]]
        kinds = {text(f, lang): c for f, c in FLOW_TYPES.items() if f in drawn_types}
        groups = {text("flow_type", lang): kinds, text("node_stage", lang): stages}
    link_base = [
        FLOW_TYPES["scope"] if f == "scope" else c
        for f, c in zip(links["flow_type"], link_base, strict=True)
    ]
    alpha = 0.8 if plan.color_by == "effect" else 0.5  # a sequential scale needs body
    return Colours(
        links=pd.Series([rgba(c, alpha) for c in link_base], index=links.index), legend=groups
    )


def _grade_colours(
    plan: _Tables, stages: dict[str, str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Colour each link by its worst grade; the legend names every grade A-D, best first.

    The legend shows the whole scale, also grades no link has, so a reader sees how good the
    best data of the figure are. Ungraded links are grey and named last when drawn; what a
    view leaves out of a node keeps its own pale grey and legend entry.
    """
    lang = plan.lang
    drawn = plan.drawn[plan.drawn["flow_type"].ne("scope")]
    shown = {*GRADES, *drawn["grade"]}
    grades = {text(f"grade_{g}", lang): c for g, c in GRADE_COLORS.items() if g in shown}
    if len(drawn) < len(plan.drawn):
        grades[text("scope", lang)] = FLOW_TYPES["scope"]
    link_base = [GRADE_COLORS[g] for g in plan.links["grade"]]
    return link_base, {text("grade", lang): grades, text("node_stage", lang): stages}


def _effect_colours(
    plan: _Tables, stages: dict[str, str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Colour each link by the effect it carries, in bins of Tol's YlOrBr; name the bins.

    The bins split the drawn links' positive effects at their quantiles (up to five bins,
    edges rounded to two significant digits), so every colour is used; the legend names each
    bin (``< 1,200``, ``1,200–5,600``, ``≥ 5,600``) under a title with the unit. A link of 0
    carries no effect (grey), a NaN one was not assessed (dark grey); both are named when drawn.
    """
    lang = plan.lang
    drawn = plan.drawn[plan.drawn["flow_type"].ne("scope")]
    positive = drawn["effect"][drawn["effect"] > 0].to_numpy(float)
    edges, colours = _effect_bins(positive)
    effect = plan.links["effect"].to_numpy(float)
    index = np.searchsorted(edges, np.nan_to_num(effect), side="right")
    link_base = [
        EFFECT_UNKNOWN if np.isnan(e) else EFFECT_NONE if e <= 0 else colours[i]
        for e, i in zip(effect, index, strict=True)
    ]
    entries = dict(zip(_bin_names(positive, edges, lang), colours, strict=True))
    if (drawn["effect"] == 0).any():
        entries[text("effect_none", lang)] = EFFECT_NONE
    if drawn["effect"].isna().any():
        entries[text("effect_unknown", lang)] = EFFECT_UNKNOWN
    if len(drawn) < len(plan.drawn):
        entries[text("scope", lang)] = FLOW_TYPES["scope"]
    units = ""
    if "effect_units" in plan.links.columns:
        given = [str(u) for u in plan.links["effect_units"].dropna() if str(u)]
        units = given[0] if given else ""
    title = text("effect", lang) + (f" ({units})" if units else "")
    return link_base, {title: entries, text("node_stage", lang): stages}


def _effect_bins(positive: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Inner bin edges at the quantiles of ``positive`` (two significant digits) and colours."""
    if positive.size == 0:
        return np.array([]), []
    k = min(len(EFFECT_COLORS), len(np.unique(positive)))
    quantiles = np.quantile(positive, np.arange(1, k) / k) if k > 1 else np.array([])
    edges = np.unique([_round2(q) for q in quantiles if q > 0])
    if len(edges) == 0:
        return edges, [EFFECT_COLORS[3]]
    picks = np.round(np.linspace(0, len(EFFECT_COLORS) - 1, len(edges) + 1)).astype(int)
    return edges, [EFFECT_COLORS[i] for i in picks]


def _round2(value: float) -> float:
    """Round to two significant digits."""
    return float(f"{value:.2g}")


def _bin_names(positive: np.ndarray, edges: np.ndarray, lang: Lang) -> list[str]:
    """Legend names of the bins: ``< a``, ``a–b`` ..., ``≥ z`` (one bin: its range)."""

    def number(v: float) -> str:
        return format_value(float(v), "", lang, digits=2)

    if positive.size == 0:
        return []
    if len(edges) == 0:
        low, high = positive.min(), positive.max()
        return [number(low) if low == high else f"{number(low)}\u2013{number(high)}"]
    names = [f"< {number(edges[0])}"]
    names += [f"{number(a)}\u2013{number(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [*names, f"\u2265 {number(edges[-1])}"]
