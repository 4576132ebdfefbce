"""Need versus availability: what each policy indicator needs and what a data set holds.

The *indicator registry* (``src/msa/data/indicator_registry.csv``, :func:`indicator_registry`)
lists every policy indicator msa knows (the ICER headline indicators, NPCE 2035, CRMA 2030, the
national critical-materials rule, the Battery Regulation, IMVO and the effects) with the
basic-information items it needs (:func:`basic_information`), the aggregation level, the JRC
MSA variables an item maps onto and how msa detects the item in a data set (``detect``).

:func:`coverage_table` checks a :class:`msa.System` (and what a model declares beyond it,
:class:`Evidence`) against the registry: for every indicator and item, whether the item is
available, how it was found, which sources it rests on with their metadata, and its grade (the
worst grade of the values it rests on); and per indicator the verdict:

=================================  ===========================================================
verdict                            meaning
=================================  ===========================================================
``computable``                     every required item available, none graded below B
``computable with low quality``    every required item available, one graded C, D or ungraded
``not computable``                 a required item missing (``missing`` names it and why)
=================================  ===========================================================

The model layer (:func:`msa.coverage`) reads a model folder, run output or folder of tables,
gathers the :class:`Evidence` and writes the table as CSV, Markdown and HTML.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files

import numpy as np
import pandas as pd

from msa.errors import DataError
from msa.system.core import System
from msa.system.provenance import GRADES

__all__ = [
    "COVERAGE_COLUMNS",
    "DETECT_KINDS",
    "LEVELS",
    "VERDICTS",
    "Evidence",
    "Support",
    "basic_information",
    "coverage_table",
    "indicator_registry",
    "indicator_verdicts",
]

#: Aggregation levels of the registry, finest first.
LEVELS: tuple[str, ...] = ("material", "product", "product group", "sector", "economy")
#: How an item is detected (``detect`` of the registry, alternatives joined by ``" | "``).
DETECT_KINDS: tuple[str, ...] = (
    "jrc",
    "target",
    "indicator",
    "library",
    "dim",
    "stock",
    "lifetime",
    "material_type",
    "crm",
    "effects",
    "flows",
)
#: The verdicts of :func:`coverage_table`, best first.
VERDICTS: tuple[str, ...] = ("computable", "computable with low quality", "not computable")
#: Columns of :func:`coverage_table`.
COVERAGE_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "indicator",
    "policy",
    "level",
    "verdict",
    "indicator_missing",
    "item",
    "item_name",
    "required",
    "available",
    "grade",
    "source_ids",
    "source_type",
    "publisher",
    "update_frequency",
    "openness",
    "time_coverage",
    "geographic_coverage",
    "how",
    "missing",
    "role",
    "jrc_codes",
    "target_ids",
    "definition_source",
)
#: Short labels of the source types (msa.system.provenance.SOURCE_TYPES) for the table.
_SHORT_TYPES = {
    "1": "official statistics/authority",
    "2": "international organisation/database",
    "3": "industry",
    "4": "secondary/grey literature",
    "5": "scientific literature",
    "6": "model/estimate/assumption",
}
_ORDER = [*GRADES, ""]
_REGISTRY_COLUMNS = (
    "indicator_id",
    "indicator",
    "policy",
    "target_ids",
    "level",
    "item",
    "required",
    "role",
    "jrc_codes",
    "detect",
    "source",
    "item_source",
    "note",
)


@dataclass(frozen=True)
class Support:
    """How one thing a model declares is supported: its grade and the sources it rests on.

    Attributes
    ----------
    grade : str
        The worst data-point grade (A-D, ``""`` ungraded).
    sources : tuple of str
        Source ids (of the data set's sources table, or of ``Evidence.sources_table``).
    how : str
        What it is, for the ``how`` column (e.g. ``"indicator recycling_efficiency"``).
    """

    grade: str = ""
    sources: tuple[str, ...] = ()
    how: str = ""


@dataclass(frozen=True)
class Evidence:
    """What a model declares beyond its System, for :func:`coverage_table`.

    Attributes
    ----------
    targets : mapping of str to Support
        Shipped policy targets the model answers (``target_id`` or ``target_id:label``).
    needs : mapping of str to str
        Targets the model declares but cannot compute, with what it says they need.
    indicators : mapping of str to Support
        Declared indicators by name.
    libraries : mapping of str to str
        Library function (``[outputs.indicators.<name>] library``) to the indicator using it.
    effects : mapping of str to Support
        Effect indicators the model computes (``GWP100``, ``water_use`` ...).
    lifetimes : mapping of str to Support
        Stock processes with a lifetime, each supported by its lifetime parameters.
    traced : mapping of str to tuple of str
        Provenance key (``"a => b"``, ``"stock p"``) to every source id it rests on, for values
        whose provenance says "several sources" (source id ``""``).
    sources_table : DataFrame, optional
        Further sources (e.g. of the effect factors) whose metadata the table shows.
    """

    targets: Mapping[str, Support] = field(default_factory=dict)
    needs: Mapping[str, str] = field(default_factory=dict)
    indicators: Mapping[str, Support] = field(default_factory=dict)
    libraries: Mapping[str, str] = field(default_factory=dict)
    effects: Mapping[str, Support] = field(default_factory=dict)
    lifetimes: Mapping[str, Support] = field(default_factory=dict)
    traced: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources_table: pd.DataFrame | None = None


@dataclass(frozen=True)
class _Hit:
    how: str
    grade: str
    sources: tuple[str, ...]


def _read(name: str) -> pd.DataFrame:
    with files("msa").joinpath("data", *name.split("/")).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


@functools.cache
def _basic() -> pd.DataFrame:
    return _read("basic_information.csv").set_index("key")


@functools.cache
def _registry() -> pd.DataFrame:
    table = _read("indicator_registry.csv")
    _check_registry(table, "src/msa/data/indicator_registry.csv")
    return table


@functools.cache
def _materials() -> pd.DataFrame:
    return _read("classifications/materials.csv").set_index("material")


def basic_information() -> pd.DataFrame:
    """Return the basic-information items indicators need (``basic_information.csv``).

    Returns
    -------
    DataFrame
        Index ``key`` (``production``, ``consumption``, ``waste``, ``origin``, ``lifetime``,
        ``urban_mine_stock``, ... and the effects ``co2_eq``, ``land_use`` ...); columns
        ``name_nl``, ``name_en``, ``group`` (raw materials or effects), ``definition_en``,
        ``agreed_sources_nl``.

    References
    ----------
    RIVM briefrapport 2026-0044, Tabel 10 (Bijlage 4/6): the shared basic information.

    Examples
    --------
    >>> basic_information().loc["lifetime", "name_en"]
    'Realistic lifetime'
    """
    return _basic().copy()


def indicator_registry() -> pd.DataFrame:
    """Return the indicator registry: each policy indicator with the items it needs.

    Returns
    -------
    DataFrame
        One row per indicator and item: ``indicator_id``, ``indicator``, ``policy``,
        ``target_ids`` (the shipped policy targets it answers, ``;``-joined), ``level`` (one of
        :data:`LEVELS`), ``item`` (a key of :func:`basic_information`), ``required`` (yes/no),
        ``role``, ``jrc_codes`` (``;``-joined), ``detect``, ``source`` (what defines the
        indicator), ``item_source``, ``note``. Columns and the ``detect`` grammar:
        ``src/msa/data/indicator_registry.md``.

    Examples
    --------
    >>> reg = indicator_registry()
    >>> reg.loc[reg["indicator_id"].eq("dmc"), "item"].tolist()
    ['production', 'consumption', 'material_type']
    """
    return _registry().copy()


def _check_registry(table: pd.DataFrame, where: str) -> None:
    """Raise DataError on a registry row with an unknown item, level or detect kind."""
    missing = [c for c in _REGISTRY_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {missing}")
    items = set(_basic().index)
    for i, row in enumerate(table.itertuples(index=False)):
        place = f"{where}: row {i + 2}"
        if row.item not in items:
            raise DataError(f"{place}: unknown item {row.item!r}; use one of {sorted(items)}")
        if row.level not in LEVELS:
            raise DataError(f"{place}: unknown level {row.level!r}; use one of {list(LEVELS)}")
        if row.required not in ("yes", "no") or not row.source:
            raise DataError(f"{place}: required must be yes or no and source must be given")
        for alternative in _alternatives(row.detect):
            if alternative.partition(":")[0] not in DETECT_KINDS:
                raise DataError(
                    f"{place}: unknown detect kind in {alternative!r}; use {list(DETECT_KINDS)}"
                )


def _alternatives(detect: str) -> list[str]:
    return [a.strip() for a in detect.split("|") if a.strip()]


def _worst(grades: Iterable[str]) -> str:
    return max((str(g) for g in grades), key=_ORDER.index, default="")


# --- what the System holds -------------------------------------------------------------------
def _keyed(system: System) -> list[tuple[str, str, tuple[Hashable, ...]]]:
    """Return ``(provenance key, jrc_code, dims)`` of every parameter, flow and stock."""
    out = [
        (f"parameter {n}", str(p.attrs.get("jrc_code") or ""), p.dims)
        for n, p in system.parameters.items()
    ]
    out += [(n, str(f.attrs.get("jrc_code") or ""), f.dims) for n, f in system.flows.items()]
    out += [
        (f"stock {n}", str(s.attrs.get("jrc_code") or ""), s["stock"].dims)
        for n, s in system.stocks.items()
    ]
    return out


def _held_codes(system: System) -> dict[str, list[str]]:
    """Return each JRC code the system holds (alone or in a fold) -> provenance keys."""
    held: dict[str, list[str]] = {}
    for key, code, _ in _keyed(system):
        for member in (c for c in code.split("+") if c):
            held.setdefault(member, []).append(key)
    return held


def _provenance(
    system: System, keys: Iterable[str], evidence: Evidence
) -> tuple[str, tuple[str, ...]]:
    """Return the worst grade and the source ids of the values under ``keys``."""
    grades: list[str] = []
    sources: list[str] = []
    for key in keys:
        prov = system.provenance.get(key)
        if prov is None:
            grades.append("")
            continue
        cells = np.asarray(prov["grade"].values, dtype=object).astype(str).ravel()
        grades.append(_worst(pd.unique(cells)))
        ids = [str(s) for s in pd.unique(np.asarray(prov["source_id"].values).astype(str).ravel())]
        sources += [s for s in ids if s]
        if "" in ids:
            sources += list(evidence.traced.get(key, ()))
    return _worst(grades), tuple(dict.fromkeys(sources))


# --- detection -------------------------------------------------------------------------------
class _Detector:
    """Detect the items of the registry in one System with the model's evidence."""

    def __init__(self, system: System, evidence: Evidence) -> None:
        self.system = system
        self.evidence = evidence
        self.held = _held_codes(system)
        labels = system.coords.get("material")
        self.materials = [str(m) for m in labels] if labels is not None else []

    def detect(self, detect: str, codes: list[str]) -> _Hit | str:
        """Return the first alternative of ``detect`` that finds the item, else why not."""
        reasons = []
        for alternative in _alternatives(detect):
            kind, _, arg = alternative.partition(":")
            found = getattr(self, f"_{kind}")(arg, codes)
            if isinstance(found, _Hit):
                return found
            if found and found not in reasons:
                reasons.append(found)
        return "; ".join(reasons) or "not in the data"

    def _jrc(self, _: str, codes: list[str]) -> _Hit | str:
        if not codes:
            return ""
        lacking = [c for c in codes if c not in self.held]
        if lacking:
            return f"JRC {', '.join(lacking)} not in the data"
        keys = list(dict.fromkeys(k for c in codes for k in self.held[c]))
        grade, sources = _provenance(self.system, keys, self.evidence)
        return _Hit(f"JRC {', '.join(codes)} ({len(keys)} value(s))", grade, sources)

    def _target(self, pattern: str, _: list[str]) -> _Hit | str:
        def matches(target: str) -> bool:
            base = target.partition(":")[0]
            return fnmatch.fnmatchcase(target, pattern) or fnmatch.fnmatchcase(base, pattern)

        answered = {t: s for t, s in self.evidence.targets.items() if matches(t)}
        if answered:
            names = sorted({s.how for s in answered.values() if s.how})
            return _Hit(
                f"answers target {pattern} ({len(answered)}x"
                + (f": {', '.join(names)})" if names else ")"),
                _worst(s.grade for s in answered.values()),
                tuple(dict.fromkeys(x for s in answered.values() for x in s.sources)),
            )
        needs = [f"{t} needs {n}" for t, n in self.evidence.needs.items() if matches(t)]
        return "; ".join(needs)

    @staticmethod
    def _support(found: Support | None, how: str, absent: str) -> _Hit | str:
        if found is None:
            return absent
        return _Hit(found.how or how, found.grade, found.sources)

    def _indicator(self, name: str, _: list[str]) -> _Hit | str:
        found = self.evidence.indicators.get(name)
        return self._support(found, f"indicator {name}", f"no indicator {name!r} declared")

    def _library(self, name: str, _: list[str]) -> _Hit | str:
        indicator = self.evidence.libraries.get(name)
        found = self.evidence.indicators.get(indicator) if indicator else None
        how = f"indicator {indicator} (library {name})"
        return self._support(found, how, f"no indicator with library {name!r}")

    def _effects(self, name: str, _: list[str]) -> _Hit | str:
        found = self.evidence.effects.get(name)
        return self._support(found, f"effects {name}", f"no {name} effects ([outputs.effects])")

    def _dim(self, name: str, _: list[str]) -> _Hit | str:
        keys = [k for k, _, dims in _keyed(self.system) if name in dims]
        if not keys:
            return f"no {name!r} dim"
        grade, sources = _provenance(self.system, keys, self.evidence)
        return _Hit(f"{name} dim ({len(keys)} value(s))", grade, sources)

    def _stock(self, stage: str, _: list[str]) -> _Hit | str:
        pids = [p for p in self.system.stocks if self.system.processes[p].stage == stage]
        if not pids:
            return f"no stock in stage {stage}"
        grade, sources = _provenance(self.system, [f"stock {p}" for p in pids], self.evidence)
        return _Hit(f"stock(s) {', '.join(pids)}", grade, sources)

    def _lifetime(self, _: str, __: list[str]) -> _Hit | str:
        found = self.evidence.lifetimes
        if found:
            return _Hit(
                "lifetime of " + ", ".join(found),
                _worst(s.grade for s in found.values()),
                tuple(dict.fromkeys(x for s in found.values() for x in s.sources)),
            )
        cohorts = [p for p, s in self.system.stocks.items() if "stock_by_cohort" in s]
        if not cohorts:
            return "no stock with a lifetime"
        grade, sources = _provenance(self.system, [f"stock {p}" for p in cohorts], self.evidence)
        return _Hit(f"cohort stock model of {', '.join(cohorts)}", grade, sources)

    def _material_type(self, _: str, __: list[str]) -> _Hit | str:
        table = _materials()
        labels = [m for m in self.materials if m != "other"]
        typed = [m for m in labels if m in table.index and table.loc[m, "material_type"]]
        if not labels or len(typed) < len(labels):
            lacking = [m for m in labels if m not in typed] or ["(no material dim)"]
            return f"no material type for {lacking} (msa classifications/materials.csv)"
        grade = _worst(table.loc[typed, "material_type_grade"])
        return _Hit("material types of msa classifications/materials.csv (EW-MFA)", grade, ())

    def _crm(self, _: str, __: list[str]) -> _Hit | str:
        table = _materials()
        crm = [m for m in self.materials if m in table.index and table.loc[m, "critical"] == "yes"]
        if not crm:
            return "no material of the CRMA lists (msa classifications/materials.csv)"
        return _Hit(f"CRMA critical raw materials: {', '.join(crm)}", "A", ())

    def _flows(self, _: str, __: list[str]) -> _Hit | str:
        keys = [k for k, code, _ in _keyed(self.system) if code or not k.startswith("parameter ")]
        if not keys:
            return "no flows"
        grade, sources = _provenance(self.system, keys, self.evidence)
        return _Hit(f"{len(keys)} flows and stocks", grade, sources)


# --- the table -------------------------------------------------------------------------------
def coverage_table(
    system: System,
    *,
    evidence: Evidence | None = None,
    registry: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the need-versus-availability table of a data set.

    Parameters
    ----------
    system : System
        The data set (a built model, a run's system, a folder of tables).
    evidence : Evidence, optional
        What the model declares beyond the System (indicators, targets, lifetimes, effects).
    registry : DataFrame, optional
        The registry rows to check (default :func:`indicator_registry`).

    Returns
    -------
    DataFrame
        :data:`COVERAGE_COLUMNS`, one row per indicator and item in registry order:
        ``available`` (yes/no), ``grade`` (worst grade of the values the item rests on),
        ``source_ids`` and their metadata (``source_type`` with its meaning, ``publisher``,
        ``update_frequency``, ``openness``, ``time_coverage``, ``geographic_coverage``; values
        of several sources ``;``-joined), ``how`` (what was found) or ``missing`` (why not),
        and per indicator ``verdict`` and ``indicator_missing`` (:func:`indicator_verdicts`).

    Examples
    --------
    >>> import msa
    >>> table = coverage_table(msa.load_example())
    >>> table.set_index("indicator_id").loc["br_recycling_efficiency", "verdict"]
    'computable with low quality'
    >>> table.set_index("indicator_id").loc["dmc", "verdict"].iloc[0]
    'not computable'
    """
    reg = indicator_registry() if registry is None else registry
    evidence = Evidence() if evidence is None else evidence
    detector = _Detector(system, evidence)
    rows = []
    for row in reg.itertuples(index=False):
        codes = [c for c in str(row.jrc_codes).split(";") if c]
        found = detector.detect(str(row.detect), codes)
        hit = found if isinstance(found, _Hit) else None
        rows.append(
            {
                "indicator_id": row.indicator_id,
                "indicator": row.indicator,
                "policy": row.policy,
                "level": row.level,
                "item": row.item,
                "item_name": _basic().loc[row.item, "name_en"],
                "required": row.required,
                "available": "yes" if hit else "no",
                "grade": hit.grade if hit else "",
                "source_ids": "; ".join(hit.sources) if hit else "",
                **_metadata(hit.sources if hit else (), system, evidence),
                "how": hit.how if hit else "",
                "missing": "" if hit else str(found),
                "role": row.role,
                "jrc_codes": row.jrc_codes,
                "target_ids": row.target_ids,
                "definition_source": row.source,
            }
        )
    table = pd.DataFrame(rows)
    verdicts = indicator_verdicts(table)
    table["verdict"] = table["indicator_id"].map(verdicts["verdict"])
    table["indicator_missing"] = table["indicator_id"].map(verdicts["missing"])
    return table[list(COVERAGE_COLUMNS)]


def _metadata(sources: tuple[str, ...], system: System, evidence: Evidence) -> dict[str, str]:
    """Return the metadata columns of ``sources``: each field's distinct values ``;``-joined."""
    tables = [system.sources]
    if evidence.sources_table is not None:
        tables.append(evidence.sources_table)
    fields: tuple[str, ...] = (
        "source_type",
        "publisher",
        "update_frequency",
        "openness",
        "time_coverage",
    )
    fields += ("geographic_coverage",)
    values: dict[str, list[str]] = {f: [] for f in fields}
    for sid in sources:
        table = next((t for t in tables if sid in t.index), None)
        if table is None:
            continue
        for f in fields:
            value = str(table.at[sid, f]) if f in table.columns else ""
            if f == "source_type" and value in _SHORT_TYPES:
                value = f"{value} {_SHORT_TYPES[value]}"
            if value and value not in values[f]:
                values[f].append(value)
    return {f: "; ".join(v) for f, v in values.items()}


def indicator_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Return the verdict of each indicator of a coverage table.

    Parameters
    ----------
    table : DataFrame
        Rows as :func:`coverage_table` makes them (``indicator_id``, ``item``, ``required``,
        ``available``, ``grade``, ``missing``).

    Returns
    -------
    DataFrame
        Index ``indicator_id`` in table order; ``verdict`` (one of :data:`VERDICTS`),
        ``grade`` (worst grade of the required items; ``""`` if ungraded or not computable)
        and ``missing`` (the required items lacking, each with why; for a low-quality verdict
        the items graded below B).

    Notes
    -----
    Not computable if a required item is not available; else computable with low quality if
    the worst grade of the required items is C, D or ungraded (:data:`msa.GRADES`: C coherent
    estimate, D expert estimate), else computable.
    """
    out = {}
    for indicator, rows in table.groupby("indicator_id", sort=False):
        need = rows[rows["required"] == "yes"]
        lacking = need[need["available"] != "yes"]
        if len(lacking):
            missing = "; ".join(f"{r.item} ({r.missing})" for r in lacking.itertuples())
            out[indicator] = ("not computable", "", missing)
            continue
        worst = _worst(need["grade"])
        weak = need[[g not in ("A", "B") for g in need["grade"]]]
        if worst in ("A", "B"):
            out[indicator] = ("computable", worst, "")
        else:
            text = "; ".join(f"{r.item} grade {r.grade or 'ungraded'}" for r in weak.itertuples())
            out[indicator] = ("computable with low quality", worst, text)
    frame = pd.DataFrame.from_dict(out, orient="index", columns=["verdict", "grade", "missing"])
    frame.index.name = "indicator_id"
    return frame
