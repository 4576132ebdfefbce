"""Coverage of a model or data set: which policy indicators it can compute, from what, how well.

:func:`coverage` reads what it is given -- a :class:`msa.System`, a model definition or built
model, or a path (a model folder, a run output folder, a folder of tables, a NetCDF file) --
gathers what a model declares beyond its System (indicators, the policy targets it answers or
says it cannot compute, lifetimes, effects: :class:`msa.jrc_msa.coverage.Evidence`) and returns
:func:`msa.jrc_msa.coverage.coverage_table`. :func:`write_coverage` writes it as
``coverage.csv``, ``coverage.md`` and a colour-coded ``coverage.html`` (``msa coverage``);
docs/coverage.md explains the table.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError, OutputExistsError
from msa.jrc_msa.coverage import Evidence, Support, coverage_table, indicator_verdicts
from msa.model.build import Built, build_model
from msa.model.checks import flow_dependencies, indicator_labels, names_in
from msa.model.definition import BASELINE, ModelDefinition, load_definition
from msa.model.outputs import indicator_grade
from msa.model.report import resolve_policy_targets
from msa.system.core import System
from msa.system.staging import check_writable, refuse_overlap, staged_files
from msa.system.tables import read_csv_cells

__all__ = ["COVERAGE_FILES", "VERDICT_COLORS", "coverage", "coverage_html", "coverage_markdown"]
__all__ += ["write_coverage"]

#: The files :func:`write_coverage` writes.
COVERAGE_FILES: tuple[str, ...] = ("coverage.csv", "coverage.md", "coverage.html")
#: Cell colours of the HTML table: Paul Tol's colour-blind-safe "bright" green, yellow and red
#: (every cell also says its verdict in text and a mark), grey for an optional item missing.
VERDICT_COLORS: dict[str, str] = {
    "computable": "#228833",
    "computable with low quality": "#CCBB44",
    "not computable": "#EE6677",
    "optional": "#BBBBBB",
}
_MARKS = {"computable": "✓", "computable with low quality": "~", "not computable": "✗"}
_TEXT_ON = {"#228833": "#FFFFFF"}
_ORDER = ["A", "B", "C", "D", ""]

Source = System | ModelDefinition | Built | str | os.PathLike[str]


def coverage(source: Source, *, scenario: str | None = None) -> pd.DataFrame:
    """Return the need-versus-availability table of a model or data set.

    Parameters
    ----------
    source : System, ModelDefinition, Built, str or path
        A System; a model definition (built for ``scenario``) or built model; or a path: a
        model folder (declared or MSA-table), a run output folder (``manifest.json`` and
        ``system.nc``), a folder of tables or a NetCDF file.
    scenario : str, optional
        The scenario of a model definition or folder to build (default baseline).

    Returns
    -------
    DataFrame
        :func:`msa.jrc_msa.coverage.coverage_table`: per indicator of the registry and item,
        whether the item is available, from which sources (with their metadata), at which
        grade, and the indicator's verdict (computable, computable with low quality, not
        computable) with what is missing.

    Raises
    ------
    msa.DataError
        If the path does not exist or is of no kind above.

    Examples
    --------
    >>> import msa
    >>> table = coverage(msa.load_example())
    >>> sorted(set(table["verdict"]))
    ['computable with low quality', 'not computable']
    """
    if isinstance(source, System):
        return coverage_table(source)
    if isinstance(source, ModelDefinition):
        source = build_model(source, scenario or BASELINE)
    if isinstance(source, Built):
        return coverage_table(source.system, evidence=built_evidence(source))
    system, evidence = _read_path(Path(source), scenario)
    return coverage_table(system, evidence=evidence)


def _read_path(path: Path, scenario: str | None) -> tuple[System, Evidence | None]:
    """Return the System at ``path`` and what its model declares (None for bare data)."""
    from msa.system.io import read_system

    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_file() and path.name in ("model.toml", "manifest.json"):
        path = path.parent
    if path.is_dir() and (path / "model.toml").is_file():
        built = build_model(load_definition(path), scenario or BASELINE)
        return built.system, built_evidence(built)
    if path.is_dir() and (path / "msa.csv").is_file():
        from msa.jrc_msa.template import read_msa_model

        return read_msa_model(path).system, None
    if path.is_dir():
        runs = (
            [path] if (path / "manifest.json").is_file() else sorted(path.glob("*/manifest.json"))
        )
        runs = [r if r.is_dir() else r.parent for r in runs]
        if len(runs) == 1:
            return read_system(runs[0] / "system.nc"), run_evidence(runs[0])
        if len(runs) > 1:
            raise ConfigError(
                f"{path} holds {len(runs)} runs ({', '.join(r.name for r in runs)}); give the "
                "folder of one run"
            )
    return read_system(path), None


# --- a built model ---------------------------------------------------------------------------
def built_evidence(built: Built) -> Evidence:
    """Return what a built model declares beyond its System, for the coverage table.

    Parameters
    ----------
    built : Built
        A model built by :func:`msa.build_model`.

    Returns
    -------
    Evidence
        Its declared indicators (each with the worst grade and the sources of its inputs in
        the last model year, as the run report grades them), the shipped policy targets it
        answers (graded in the target year, or the last year) and those it says it cannot
        compute (with its ``needs``), its stocks' lifetimes, its effects, and for every
        flow and stock the sources it rests on through the declaration.
    """
    d = built.definition
    traced = _traced_sources(built)
    last = int(d.coords["time"][-1])
    indicators = {
        name: _indicator_support(built, name, None, last, traced) for name in d.outputs.indicators
    }
    targets, needs = _target_support(built, traced)
    libraries = {s.library: n for n, s in d.outputs.indicators.items() if s.library}
    return Evidence(
        targets=targets,
        needs=needs,
        indicators=indicators,
        libraries=libraries,
        effects=_effects_support(built),
        lifetimes=_lifetime_support(built),
        traced=traced,
        sources_table=_factor_sources() if d.outputs.effects is not None else None,
    )


def _indicator_support(
    built: Built,
    name: str,
    label: str | None,
    year: int,
    traced: Mapping[str, tuple[str, ...]],
) -> Support:
    """Return an indicator's worst grade in ``year`` (over its labels) and its input sources."""
    spec = built.definition.outputs.indicators[name]
    labels = [label] if label else list(indicator_labels(built.definition)[name] or ("all",))
    grades = {indicator_grade(built, name, lab, year)[0] for lab in labels}
    grade = max((g if g != "ungraded" else "" for g in grades), key=_ORDER.index)
    if spec.function is not None:
        keys: list[str] = []
        sources = _sources_of_names(built, [*built.data, *built.parameter_grades])
    else:
        keys = [*(spec.numerator or ()), *(spec.denominator or ())]
        keys += [i for items in spec.inputs.values() for i in items]
        sources = ()
    found = list(sources)
    for key in keys:
        found += _key_sources(built.system, key, traced)
    return Support(grade, tuple(dict.fromkeys(found)), f"indicator {name}")


def _key_sources(system: System, key: str, traced: Mapping[str, tuple[str, ...]]) -> list[str]:
    prov = system.provenance.get(key)
    if prov is None:
        return []
    ids = [str(s) for s in pd.unique(np.asarray(prov["source_id"].values).astype(str).ravel())]
    return [s for s in ids if s] + (list(traced.get(key, ())) if "" in ids else [])


def _target_support(
    built: Built, traced: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, Support], dict[str, str]]:
    """Return the shipped targets a model answers (supported) and those it cannot compute."""
    d = built.definition
    out = d.outputs
    if not (out.policies or out.policy_targets):
        return {}, {}
    answered, lacking, _ = resolve_policy_targets(
        out.policies, out.policy_targets, indicator_labels(d)
    )
    years = [int(y) for y in d.coords["time"]]
    targets = {}
    for row in answered.itertuples(index=False):
        year = int(row.year) if pd.notna(row.year) and int(row.year) in years else years[-1]
        label = None if str(row.material) in ("all", "*") else str(row.material)
        if label is not None and label not in (indicator_labels(d)[str(row.indicator)] or ()):
            label = None
        support = _indicator_support(built, str(row.indicator), label, year, traced)
        targets[str(row.target_id)] = support
    needs = {str(row["target_id"]): str(need) for row, need in lacking}
    return targets, needs


def _lifetime_support(built: Built) -> dict[str, Support]:
    """Return each stock with a lifetime, supported by its lifetime parameters."""
    d = built.definition
    out = {}
    for pid, spec in d.stocks.items():
        values: list[object] = [*spec.lifetime.parameters.values()]
        values += [spec.lifetime.cohort_factor, spec.lifetime.year_factor]
        names = [str(v) for v in values if isinstance(v, str)]
        grades = [
            str(g)
            for n in names
            for g in np.ravel(_tracked(built, n).grades().values)
            if _tracked(built, n) is not None
        ]
        sources = _sources_of_names(built, names)
        grade = max(grades, key=_ORDER.index, default="")
        out[pid] = Support(grade, sources, f"{spec.lifetime.distribution} lifetime of {pid}")
    return out


def _tracked(built: Built, name: str) -> Any:
    return built.data.get(name) or built.parameter_grades.get(name)


def _effects_support(built: Built) -> dict[str, Support]:
    """Return the effect indicators a model computes, graded by the default factors used."""
    spec = built.definition.outputs.effects
    if spec is None:
        return {}
    from msa.effects import load_factors

    factors = load_factors()
    materials = [str(m) for m in built.system.coords.get("material", ())]
    out = {}
    for indicator in spec.indicators:
        rows = factors[
            factors["indicator"].eq(indicator)
            & factors["material"].isin(materials)
            & factors["default"].astype(bool)
        ]
        grade = max((str(g) for g in rows["grade"]), key=_ORDER.index, default="")
        sources = tuple(dict.fromkeys(str(s) for s in rows["source_id"] if str(s)))
        out[indicator] = Support(grade, sources, f"effects {indicator} ([outputs.effects])")
    return out


def _factor_sources() -> pd.DataFrame:
    from msa.effects import factor_sources

    return factor_sources()


def _flow_inputs(d: ModelDefinition, name: str) -> list[str]:
    """Return the tables and parameters a declared flow is computed from directly."""
    spec = d.flows[name]
    names: list[str] = []
    if spec.value:
        names += names_in(spec.value, where=f"{d.path}: [flows.{name!r}]")
    if isinstance(spec.share, str):
        names.append(spec.share)
    names += [n for n in spec.needs if n not in d.flows]
    return [n for n in names if n in d.data or n in d.parameters]


def _traced_sources(built: Built) -> dict[str, tuple[str, ...]]:
    """Return every flow and stock of a declared model -> every source id it rests on."""
    d = built.definition
    if d.msa is not None:
        return {}
    graph = flow_dependencies(d)
    direct = {name: _flow_inputs(d, name) for name in d.flows}

    def upstream(flows: Iterable[str]) -> list[str]:
        names: list[str] = []
        for flow in flows:
            for f in [flow, *nx.ancestors(graph, flow)]:
                names += direct[f]
        return names

    out = {name: _sources_of_names(built, upstream([name])) for name in d.flows}
    for pid, spec in d.stocks.items():
        inflows = [f for f in d.flows if d.ends(f)[1] == pid]
        names = upstream(inflows)
        names += [str(v) for v in spec.lifetime.parameters.values() if isinstance(v, str)]
        out[f"stock {pid}"] = _sources_of_names(built, names)
    return out


def _sources_of_names(built: Built, names: Iterable[str]) -> tuple[str, ...]:
    """Return the source ids of the tables and parameters named, in order, once each."""
    found: list[str] = []
    for name in dict.fromkeys(names):
        tracked = _tracked(built, name)
        if tracked is not None:
            ids = np.asarray(tracked.source.values).astype(str).ravel()
            found += [str(s) for s in pd.unique(ids) if str(s)]
    return tuple(dict.fromkeys(found))


# --- a run output ----------------------------------------------------------------------------
def run_evidence(folder: Path) -> Evidence:
    """Return what a run output says beyond its ``system.nc``, for the coverage table.

    The targets it answered with their grades (``indicators.csv``), those its model cannot
    compute with their needs (``tables/targets_not_computable.csv``), the indicators it
    computed (``tables/indicator_series.csv``; ungraded unless a target names them) and the
    effect indicators of ``tables/effects.csv``. A run keeps no lifetime parameters: a stock
    modelled by cohort stands for its lifetime.
    """
    targets: dict[str, Support] = {}
    indicators: dict[str, Support] = {}
    answered = _csv(folder / "indicators.csv")
    for row in answered.itertuples(index=False):
        grade = "" if str(getattr(row, "grade", "")) in ("ungraded", "nan") else str(row.grade)
        support = Support(grade, (), f"indicator {row.indicator}")
        targets[str(row.target_id)] = support
        old = indicators.get(str(row.indicator))
        worst = max([grade, old.grade if old else "A"], key=_ORDER.index)
        indicators[str(row.indicator)] = Support(worst, (), f"indicator {row.indicator}")
    for name in _csv(folder / "tables" / "indicator_series.csv").get("indicator", []):
        indicators.setdefault(str(name), Support("", (), f"indicator {name}"))
    lacking = _csv(folder / "tables" / "targets_not_computable.csv")
    needs = {str(r.target_id): str(r.needs) for r in lacking.itertuples(index=False)}
    effects = {}
    table = _csv(folder / "tables" / "effects.csv")
    for indicator, rows in table.groupby("indicator") if "indicator" in table else []:
        grades = [str(g) for g in rows.get("grade", pd.Series([""]))]
        grade = max(grades, key=lambda g: _ORDER.index(g) if g in _ORDER else 4)
        effects[str(indicator)] = Support(grade, (), f"effects {indicator} (tables/effects.csv)")
    return Evidence(targets=targets, needs=needs, indicators=indicators, effects=effects)


def _csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    return read_csv_cells(path)  # one line for an empty or damaged table of a run


# --- writing ---------------------------------------------------------------------------------
def coverage_markdown(table: pd.DataFrame, *, title: str = "Coverage") -> str:
    """Return the coverage table as Markdown: the verdict per indicator, then every item.

    Examples
    --------
    >>> import msa
    >>> text = coverage_markdown(coverage(msa.load_example()), title="Example")
    >>> text.splitlines()[0]
    '# Example'
    """
    verdicts = _summary(table)
    lines = [f"# {title}", "", _LEGEND, "", "## Verdict per indicator", ""]
    lines += _md_rows(verdicts, ["indicator", "policy", "level", "verdict", "grade", "missing"])
    lines += ["", "## Need versus availability per item", ""]
    columns = ["indicator_id", "item", "required", "available", "grade", "source_ids"]
    columns += ["source_type", "update_frequency", "openness", "time_coverage"]
    columns += ["geographic_coverage", "how", "missing"]
    lines += _md_rows(table, columns)
    return "\n".join(lines) + "\n"


_LEGEND = (
    "Verdicts: **computable** (every required item available, graded A or B), **computable "
    "with low quality** (an item graded C, D or ungraded), **not computable** (a required item "
    "missing). Grades are the JRC MSA data-point grades: A from the source, B inter- or "
    "extrapolated, C estimated from several sources, D expert estimate or assumption."
)


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    verdicts = indicator_verdicts(table)
    first = table.drop_duplicates("indicator_id").set_index("indicator_id")
    return verdicts.join(first[["indicator", "policy", "level"]]).reset_index()


def _md_rows(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for _, r in frame.iterrows()]
    return lines


def coverage_html(table: pd.DataFrame, *, title: str = "Coverage") -> str:
    """Return the coverage table as a self-contained, colour-coded HTML page.

    A matrix of indicators (rows) by basic-information items (columns): each needed item is a
    cell coloured green (available, grade A or B), amber (grade C, D or ungraded) or red (a
    required item missing), grey for an optional item missing, with a mark (✓, ~, ✗, –) and
    the grade written in it, so it reads without colour; hovering shows the source and what
    was found. The verdict column says each indicator's verdict in words; the item table
    follows.
    """
    verdicts = _summary(table).set_index("indicator_id")
    items = list(dict.fromkeys(table["item"]))
    names = table.drop_duplicates("item").set_index("item")["item_name"]
    head = "".join(f"<th>{html.escape(str(names[i]))}</th>" for i in items)
    body = []
    for indicator, rows in table.groupby("indicator_id", sort=False):
        v = verdicts.loc[indicator]
        cells = {r.item: _html_cell(r) for r in rows.itertuples(index=False)}
        body.append(
            "<tr>"
            f"<th scope='row'>{html.escape(str(v['indicator']))}</th>"
            f"<td>{html.escape(str(v['policy']))}</td><td>{html.escape(str(v['level']))}</td>"
            + _verdict_cell(str(v["verdict"]), str(v["missing"]))
            + "".join(cells.get(i, "<td></td>") for i in items)
            + "</tr>"
        )
    detail = table[["indicator_id", "item", "required", "available", "grade", "source_ids"]]
    detail = detail.assign(
        **{c: table[c] for c in ("source_type", "update_frequency", "openness", "how", "missing")}
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(_LEGEND).replace('**', '')}</p>"
        "<p>Cells: ✓ available (A/B), ~ available with low quality (C/D/ungraded), ✗ required "
        "but missing, – optional and missing; the letter is the grade.</p>"
        "<table class='matrix'><thead><tr><th>Indicator</th><th>Policy</th><th>Level</th>"
        f"<th>Verdict</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "<h2>Need versus availability per item</h2>"
        + detail.to_html(index=False, escape=True, border=0)
        + "</body></html>\n"
    )


def _html_cell(row: Any) -> str:
    if row.available == "yes":
        verdict = "computable" if row.grade in ("A", "B") else "computable with low quality"
        mark = f"{_MARKS[verdict]} {row.grade or 'ungraded'}"
        tip = f"{row.how}; sources: {row.source_ids or 'none named'}"
    elif row.required == "yes":
        verdict, mark, tip = "not computable", _MARKS["not computable"], row.missing
    else:
        verdict, mark, tip = "optional", "–", f"optional, missing: {row.missing}"
    color = VERDICT_COLORS[verdict]
    return (
        f"<td style='background:{color};color:{_TEXT_ON.get(color, '#000000')}' "
        f"title='{html.escape(str(tip), quote=True)}'>{html.escape(mark)}</td>"
    )


def _verdict_cell(verdict: str, missing: str) -> str:
    color = VERDICT_COLORS[verdict]
    return (
        f"<td style='background:{color};color:{_TEXT_ON.get(color, '#000000')}' "
        f"title='{html.escape(missing, quote=True)}'>{_MARKS[verdict]} {verdict}</td>"
    )


_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;max-width:110em}"
    "table{border-collapse:collapse;font-size:0.85em;margin-bottom:2em}"
    "th,td{border:1px solid #999;padding:0.25em 0.4em;text-align:left;vertical-align:top}"
    ".matrix td{text-align:center;white-space:nowrap}"
    ".matrix thead th{writing-mode:vertical-rl;transform:rotate(180deg);max-height:12em}"
)


def write_coverage(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    scenario: str | None = None,
) -> list[Path]:
    """Write the coverage table of ``path`` into the folder ``out``: CSV, Markdown and HTML.

    Parameters
    ----------
    path : path-like
        What :func:`coverage` reads.
    out : path-like
        The output folder: not inside ``path`` (nor holding it, nor being it).
    force : bool
        Overwrite existing coverage files in ``out`` (nothing else there is touched).
    scenario : str, optional
        The scenario of a model folder (default baseline).

    Returns
    -------
    list of Path
        The files written (:data:`COVERAGE_FILES` in ``out``).

    Raises
    ------
    msa.ConfigError
        If ``out`` is, contains or lies inside the input folder.
    msa.OutputExistsError
        If ``out`` is a file, or a coverage file exists there and ``force`` is False.
    """
    source, folder = Path(path), Path(out)
    _check_out(source, folder, force)
    table = coverage(source, scenario=scenario)
    name = source.resolve().name if source.name not in ("model.toml", "") else source.parent.name
    title = f"Coverage of {name}: policy indicators, need versus availability"
    texts = {
        "coverage.csv": table.to_csv(index=False),
        "coverage.md": coverage_markdown(table, title=title),
        "coverage.html": coverage_html(table, title=title),
    }
    with staged_files(folder, texts, force=force) as tmp:
        for file, text in texts.items():
            (tmp / file).write_text(text, encoding="utf-8", newline="")
    return [folder / file for file in texts]


def _check_out(source: Path, out: Path, force: bool) -> None:
    """Refuse an output folder inside the input, a file, or files to overwrite without force."""
    if not source.exists():
        raise DataError(f"{source}: no such file or folder")
    folder = source.parent if source.name == "model.toml" else source
    if folder.is_dir():  # a file input (.nc, .xlsx) cannot hold the output
        advice = "outside it (msa never writes into a model or data folder)"
        refuse_overlap(out, folder, "input", advice, replaces=False)
    check_writable(out)
    existing = [str(out / f) for f in COVERAGE_FILES if (out / f).exists()]
    if existing and not force:
        raise OutputExistsError(
            f"{existing[0]} exists ({len(existing)} file(s) would be overwritten); use --force "
            "to overwrite or choose another --out"
        )
