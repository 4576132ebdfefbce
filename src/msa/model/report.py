"""Policy-target reports: evaluate targets on indicator series and write Markdown and HTML.

Generic over a table of targets (one row per target: id, policy, indicator, material, year,
comparison, value, and for a relative target its ``base_year``) and a mapping from
``(indicator, material)`` to a yearly series computed by a model. For each target the report
states whether it is met in its year, by how much, and the first year it is met, grouped by
policy; targets a model declares but cannot compute are listed with what they need. A
data-quality summary (share of input values by grade) goes with it. The HTML page is
self-contained: inline CSS, images embedded as data URIs.

The policy targets msa ships (NPCE 2035, CRMA 2030, the national critical-materials rule, the
Battery Regulation) are :func:`policy_targets` (``src/msa/data/policy_targets.csv``, its columns
explained in ``policy_targets.md`` beside it).
"""

from __future__ import annotations

import base64
import functools
import html
import math
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError
from msa.system.provenance import GRADES

__all__ = [
    "NOT_COMPUTABLE",
    "POLICY_TARGET_COLUMNS",
    "RESULT_COLUMNS",
    "evaluate_target",
    "evaluate_targets",
    "grade_summary",
    "not_computable_note",
    "policy_targets",
    "relative_series",
    "report_html",
    "resolve_policy_targets",
    "report_markdown",
    "target_met",
    "target_table",
]

_COMPARISONS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
#: Columns of the table returned by :func:`evaluate_targets`.
RESULT_COLUMNS = (
    "target_id",
    "policy",
    "indicator",
    "material",
    "year",
    "base_year",
    "comparison",
    "target",
    "value",
    "met",
    "margin",
    "first_met",
    "units",
    "source_id",
    "note",
)


#: Columns of the shipped policy target table (:func:`policy_targets`).
POLICY_TARGET_COLUMNS = (
    "target_id",
    "policy",
    "owner",
    "indicator",
    "scope",
    "material",
    "year",
    "comparison",
    "value",
    "units",
    "kind",
    "base_year",
    "needs",
    "source",
    "source_id",
    "grade",
    "note",
)
#: How a report note about a target a model cannot compute begins (see
#: :func:`not_computable_note`); the report shows such notes in the target's policy group.
NOT_COMPUTABLE = "not computable: "


@functools.cache
def _shipped_targets() -> pd.DataFrame:
    path = files("msa").joinpath("data", "policy_targets.csv")
    with path.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)
    table["year"] = pd.to_numeric(table["year"], errors="coerce").astype("Int64")
    table["base_year"] = pd.to_numeric(table["base_year"], errors="coerce").astype("Int64")
    table["value"] = pd.to_numeric(table["value"], errors="raise")
    return table[list(POLICY_TARGET_COLUMNS)]


def policy_targets(policy: str | None = None) -> pd.DataFrame:
    """Return the policy targets msa ships, with their sources.

    Parameters
    ----------
    policy : str, optional
        Keep the targets of one policy (``"NPCE 2025"``, ``"CRMA"``, ``"NMO"``,
        ``"Battery Regulation"``).

    Returns
    -------
    DataFrame
        Columns :data:`POLICY_TARGET_COLUMNS`, one row per target (``src/msa/data/
        policy_targets.csv``; ``policy_targets.md`` explains the columns). ``material`` is an
        element symbol, ``all``, or ``*`` for a target that holds for each strategic raw
        material; ``kind`` is ``absolute`` or ``relative`` (value(year) / value(base_year)).

    Raises
    ------
    msa.ConfigError
        An unknown policy.

    Examples
    --------
    >>> row = policy_targets().set_index("target_id").loc["npce_dmi_2035"]
    >>> row["kind"], int(row["base_year"]), row["comparison"], float(row["value"])
    ('relative', 2016, '<=', 0.85)
    >>> sorted(policy_targets()["policy"].unique())
    ['Battery Regulation', 'CRMA', 'NMO', 'NPCE 2025']
    """
    table = _shipped_targets().copy()
    if policy is None:
        return table
    known = list(dict.fromkeys(table["policy"]))
    if policy not in known:
        raise ConfigError(f"unknown policy {policy!r}; the shipped targets are of {known}")
    return table[table["policy"] == policy].reset_index(drop=True)


def relative_series(values: pd.Series, base_year: int) -> pd.Series:
    """Return a yearly series relative to its value in ``base_year``.

    NaN in every year where the base-year value is 0 or NaN (the ratio is undefined).

    Raises
    ------
    msa.DataError
        If the base year is outside the series.

    Examples
    --------
    >>> s = pd.Series([200.0, 180.0, 160.0], index=[2016, 2030, 2035])
    >>> relative_series(s, 2016).tolist()
    [1.0, 0.9, 0.8]
    """
    if int(base_year) not in values.index:
        raise DataError(
            f"base year {int(base_year)} is outside the indicator series "
            f"({int(values.index[0])}-{int(values.index[-1])})"
        )
    base = float(values.loc[int(base_year)])
    if base == 0 or not math.isfinite(base):
        return values.astype(float) * math.nan
    return values.astype(float) / base


def evaluate_target(
    values: pd.Series,
    *,
    comparison: str,
    target: float,
    year: int | None = None,
    base_year: int | None = None,
    rtol: float = 1e-9,
) -> dict[str, object]:
    """Evaluate one target on a yearly series.

    Parameters
    ----------
    values : pandas.Series
        Indicator values indexed by integer year. NaN means "not defined in that year" (e.g.
        a ratio with a zero denominator) and never counts as met.
    comparison : {">=", "<=", ">", "<"}
        How the value must compare with the target.
    target : float
        The threshold.
    year : int, optional
        The target year (deadline). Without one, the target is evaluated in the last year.
    base_year : int, optional
        A relative target: the comparison is of value(year) / value(base_year) with the
        target (e.g. raw material use in 2035 at most 0.85 of 2016), in every year; ``value``
        and ``margin`` are of that ratio.
    rtol : float
        A value within ``rtol * max(1, |target|)`` of the target counts as equal (so a model
        that sets a rate to exactly the target meets it despite floating-point rounding).

    Returns
    -------
    dict
        ``value`` (in the target year), ``met`` (bool), ``margin`` (how far the value is on the
        good side of the target; negative = the gap to close), ``first_met`` (first year of
        the series in which the comparison holds, or None).

    Notes
    -----
    margin = value - target for ``>=``/``>`` and target - value for ``<=``/``<``; for a
    relative target, value = x(year) / x(base_year).

    Examples
    --------
    >>> s = pd.Series([0.2, 0.5, 0.7], index=[2029, 2030, 2031])
    >>> r = evaluate_target(s, comparison=">=", target=0.6, year=2030)
    >>> (r["met"], round(r["margin"], 2), r["first_met"])
    (False, -0.1, 2031)

    Raw material use at most 0.85 of its 2016 value in 2035:

    >>> use = pd.Series([100.0, 95.0, 80.0], index=[2016, 2030, 2035])
    >>> r = evaluate_target(use, comparison="<=", target=0.85, year=2035, base_year=2016)
    >>> (r["value"], r["met"], round(r["margin"], 2), r["first_met"])
    (0.8, True, 0.05, 2035)
    """
    if comparison not in _COMPARISONS:
        raise ConfigError(f"target comparison {comparison!r} is not one of {sorted(_COMPARISONS)}")
    if values.empty:
        raise DataError("cannot evaluate a target on an empty series")
    if base_year is not None:
        values = relative_series(values, int(base_year))
    when = int(values.index[-1]) if year is None else int(year)
    if when not in values.index:
        raise DataError(
            f"target year {when} is outside the indicator series "
            f"({int(values.index[0])}-{int(values.index[-1])})"
        )
    series = values.astype(float)
    tol = rtol * max(1.0, abs(float(target)))
    ok = target_met(series.to_numpy(), comparison=comparison, target=target, rtol=rtol)
    value = float(series.loc[when])
    sign = 1.0 if comparison in (">=", ">") else -1.0
    first = series.index[ok]
    return {
        "value": value,
        "met": bool(ok[list(series.index).index(when)]),
        "margin": _clean(sign * (value - target), tol) if math.isfinite(value) else math.nan,
        "first_met": int(first[0]) if len(first) else None,
    }


def target_met(
    values: np.ndarray, *, comparison: str, target: float, rtol: float = 1e-9
) -> np.ndarray:
    """Return, per value, whether it meets the target (see :func:`evaluate_target`).

    A value within ``rtol * max(1, |target|)`` of the target counts as equal; NaN never meets
    it. Works on any array (years, Monte Carlo samples).

    Examples
    --------
    >>> target_met(np.array([0.5, 0.6, np.nan]), comparison=">=", target=0.6).tolist()
    [False, True, False]
    """
    if comparison not in _COMPARISONS:
        raise ConfigError(f"target comparison {comparison!r} is not one of {sorted(_COMPARISONS)}")
    arr = np.asarray(values, dtype=float)
    tol = rtol * max(1.0, abs(float(target)))
    near = np.abs(arr - target) <= tol
    if comparison in (">=", "<="):
        return (_COMPARISONS[comparison](arr, target) | near) & np.isfinite(arr)
    return _COMPARISONS[comparison](arr, target) & ~near & np.isfinite(arr)


def _clean(margin: float, tol: float) -> float:
    """Return 0.0 for a margin within the tolerance (no -2e-16 in reports)."""
    return 0.0 if abs(margin) <= tol else margin


def evaluate_targets(
    targets: pd.DataFrame, series: Mapping[tuple[str, str], pd.Series]
) -> pd.DataFrame:
    """Evaluate every target of a table against indicator series.

    Parameters
    ----------
    targets : DataFrame
        Columns ``target_id, policy, indicator, material, year, comparison, value`` and
        optionally ``base_year`` (a relative target: value(year) / value(base_year)), ``units,
        source_id, note``; ``year`` may be empty (evaluate in the last year).
    series : mapping
        ``(indicator, material)`` to a Series indexed by year.

    Returns
    -------
    DataFrame
        Columns :data:`RESULT_COLUMNS`, one row per target, in the order given.

    Raises
    ------
    DataError
        If a target's ``(indicator, material)`` has no series.
    """
    rows = []
    for _, t in targets.iterrows():
        key = (str(t["indicator"]), str(t["material"]))
        if key not in series:
            raise DataError(
                f"target {t['target_id']!r}: no indicator series for {key}; the model "
                f"computes {sorted(series)[:8]}..."
            )
        year, base = _year(t.get("year")), _year(t.get("base_year"))
        res = evaluate_target(
            series[key],
            comparison=str(t["comparison"]),
            target=float(t["value"]),
            year=year,
            base_year=base,
        )
        rows.append(
            {
                "target_id": t["target_id"],
                "policy": t["policy"],
                "indicator": t["indicator"],
                "material": t["material"],
                "year": year,
                "base_year": base if base is not None else _year(t.get("relative_to")),
                "comparison": t["comparison"],
                "target": float(t["value"]),
                "value": res["value"],
                "met": res["met"],
                "margin": res["margin"],
                "first_met": res["first_met"],
                "units": t.get("units", ""),
                "source_id": t.get("source_id", ""),
                "note": t.get("note", ""),
            }
        )
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    for column in ("year", "base_year", "first_met"):
        out[column] = out[column].astype("Int64")
    return out


def _year(value: object) -> int | None:
    """Return a year cell as an int, or None where it is empty."""
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return int(value)  # type: ignore[call-overload]


def not_computable_note(target: Mapping[str, object], needs: str) -> str:
    """Return the report note for a declared target the model cannot compute.

    The report (:func:`report_markdown`, :func:`report_html`) lists such notes in the
    target's policy group, never drops them.

    Examples
    --------
    >>> t = {"target_id": "crma_extraction_2030", "policy": "CRMA", "indicator": "EU extraction",
    ...      "material": "*", "year": 2030, "comparison": ">=", "value": 0.1}
    >>> print(not_computable_note(t, "EU capacity"))
    not computable: CRMA | crma_extraction_2030 (EU extraction, 2030, >= 0.1): needs EU capacity
    """
    year = _year(target.get("year"))
    base = _year(target.get("base_year"))
    goal = f"{target['comparison']} {_format_cell(float(target['value']))}"  # type: ignore[arg-type]
    goal += f" of {base}" if base is not None else ""
    what = f"{target['indicator']}, {'latest' if year is None else year}, {goal}"
    return f"{NOT_COMPUTABLE}{target['policy']} | {target['target_id']} ({what}): needs {needs}"


def grade_summary(
    grades: Mapping[str, Sequence[str]],
    weights: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Count values by data-quality grade, per table and in total.

    Parameters
    ----------
    grades : mapping
        Table name to the grade of each of its values.
    weights : mapping, optional
        Name to a weight per value (e.g. a flow's absolute amount in each cell): the shares of
        those names are then shares of the weight resting on each grade, not of the count
        of values. Names without weights are counted.

    Returns
    -------
    DataFrame
        Index: table names and ``all inputs``; columns ``n`` and the share of each grade in
        :data:`msa.GRADES`. ``all inputs`` counts the values of every name.

    Raises
    ------
    msa.DataError
        An unknown grade, or weights that do not match a name's grades.

    Examples
    --------
    >>> float(grade_summary({"sales": ["A", "D"], "intensity": ["A"]}).loc["all inputs", "A"])
    0.6667
    >>> float(grade_summary({"flow": ["A", "D"]}, {"flow": [3.0, 1.0]}).loc["flow", "A"])
    0.75
    """
    weights = weights or {}
    rows = {}
    every: list[str] = []
    for name, gs in grades.items():
        gs = [str(g) for g in gs]
        every.extend(gs)
        rows[name] = gs
    rows["all inputs"] = every
    out = {}
    for name, gs in rows.items():
        n = len(gs)
        unknown = sorted(set(gs) - set(GRADES))
        if unknown:
            raise DataError(f"{name}: unknown grade(s) {unknown}")
        weight = np.ones(n) if name not in weights else np.abs(np.asarray(weights[name], float))
        if len(weight) != n:
            raise DataError(f"{name}: {len(weight)} weights for {n} grades")
        total = float(np.nansum(weight))
        if not total:  # every value 0 (or no value): count them
            weight, total = np.ones(n), float(n)
        share = pd.Series(weight).groupby(np.asarray(gs, dtype=object)).sum() / (total or 1)
        out[name] = {"n": n, **{g: round(float(share.get(g, 0.0)), 4) for g in GRADES}}
    return pd.DataFrame.from_dict(out, orient="index")


def _format_cell(value: object, digits: int = 3) -> str:
    """Return the text of one report table cell.

    None and non-finite floats are ``"n/a"``, ``pd.NA`` (a year never reached) ``"never"``,
    booleans ``yes``/``no``; floats of magnitude ``10**digits`` or more are grouped whole
    numbers, smaller ones have ``digits`` significant digits; anything else is ``str(value)``.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if value is pd.NA:
        return "never"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        if abs(value) >= 10**digits:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def _results_rows(results: pd.DataFrame) -> list[list[str]]:
    rows = []
    for _, r in results.iterrows():
        first = r["first_met"]
        rows.append(
            [
                str(r["policy"]),
                str(r["indicator"]).replace("_", " "),
                str(r["material"]),
                "latest" if pd.isna(r["year"]) else str(int(r["year"])),
                f"{r['comparison']} {_format_cell(r['target'])}" + _of_base(r),
                _format_cell(r["value"]),
                "**met**" if r["met"] else "not met",
                ("+" if r["margin"] >= 0 else "") + _format_cell(r["margin"])
                if math.isfinite(r["margin"])
                else "n/a",
                "never" if pd.isna(first) else str(int(first)),
            ]
        )
        if "grade" in results.columns:  # the worst grade the indicator rests on
            rows[-1].append(str(r["grade"]) or "ungraded")
        if "p_met" in results.columns:  # a Monte Carlo run
            p = r["p_met"]
            rows[-1].append("n/a" if pd.isna(p) else f"{p:.2f}")
            low, high = r.get("p5"), r.get("p95")
            known = low is not None and high is not None and not pd.isna(low)
            rows[-1].append(f"{_format_cell(low)}\u2013{_format_cell(high)}" if known else "n/a")
    return rows


def _of_base(row: pd.Series) -> str:
    """Return `` of 2016`` for a relative target, else nothing."""
    base = row.get("base_year")
    return "" if base is None or pd.isna(base) else f" of {int(base)}"


def _split_notes(notes: Sequence[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Split report notes into ordinary ones and not-computable lines by policy."""
    plain_notes: list[str] = []
    lacking: dict[str, list[str]] = {}
    for note in notes:
        if note.startswith(NOT_COMPUTABLE) and " | " in note:
            policy, _, line = note.removeprefix(NOT_COMPUTABLE).partition(" | ")
            lacking.setdefault(policy, []).append(
                line.replace("): needs", "): not computable: needs", 1)
            )
        else:
            plain_notes.append(note)
    return plain_notes, lacking


def _groups(results: pd.DataFrame, lacking: Mapping[str, list[str]]) -> list[str]:
    """Return the policies in the order met: evaluated ones first, then not computable ones."""
    return list(dict.fromkeys([*map(str, results["policy"]), *lacking]))


def _summary(results: pd.DataFrame, lacking: Mapping[str, list[str]]) -> str:
    met = int(results["met"].astype(bool).sum())
    text = f"{met} of {len(results)} targets met in their target year."
    n = sum(len(v) for v in lacking.values())
    return text + (f" {n} declared target(s) not computable (listed per policy)." if n else "")


_GRADE_NOTE = (
    " grade: the worst data-point grade the indicator rests on in the target year (A best, D an "
    "assumption); indicators.csv gives the share of its value resting on each grade."
)


def target_table(results: pd.DataFrame) -> pd.DataFrame:
    """Return the targets as the report shows them: one row per target, every cell as text.

    Parameters
    ----------
    results : DataFrame
        From :func:`evaluate_targets` (a run's ``indicators``).

    Returns
    -------
    DataFrame
        Columns policy, indicator, material, year, target, value, met, margin (negative: the
        gap), first met, and the grade (and P(met), p5–p95 after a Monte Carlo) where given.
    """
    rows = [[c.replace("**", "") for c in row] for row in _results_rows(results)]
    return pd.DataFrame(rows, columns=_head(results))


def _head(results: pd.DataFrame) -> list[str]:
    head = [*_HEAD, "grade"] if "grade" in results.columns else list(_HEAD)
    return [*head, "P(met)", "p5\u2013p95"] if "p_met" in results.columns else head


_HEAD = ["policy", "indicator", "material", "year", "target", "value", "met", "margin", "first met"]


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def report_markdown(
    results: pd.DataFrame,
    *,
    title: str,
    quality: pd.DataFrame | None = None,
    headline: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    images: Sequence[str] = (),
    sections: Mapping[str, tuple[str, pd.DataFrame]] | None = None,
) -> str:
    """Return the indicator report as Markdown.

    Parameters
    ----------
    results : DataFrame
        From :func:`evaluate_targets`.
    title : str
        Report title (model and scenario).
    quality : DataFrame, optional
        From :func:`grade_summary`.
    headline : DataFrame, optional
        A small table of headline numbers (index = label).
    notes : sequence of str
        Paragraphs added after the target table (definitions, caveats).
    images : sequence of str
        Relative image paths to show.
    sections : mapping of str to (str, DataFrame), optional
        Further sections after the headline numbers: heading to a paragraph and a table.
    """
    notes, lacking = _split_notes(notes)
    parts = [f"# {title}", "", _summary(results, lacking)]
    groups = _groups(results, lacking)
    for policy in groups:
        mine = results[results["policy"].astype(str) == policy]
        parts += ["", f"## {policy}"] if len(groups) > 1 else []
        if len(mine):
            parts += ["", _md_table(_head(mine), _results_rows(mine))]
        if policy in lacking:
            parts += ["", *(f"- {line}" for line in lacking[policy])]
    parts += [
        "",
        "margin: value minus target (for a maximum: target minus value); negative = the gap; "
        "a target 'of <year>' compares the value with the indicator in that base year."
        + _GRADE_NOTE
        * ("grade" in results.columns),
    ]
    for note in notes:
        parts += ["", note]
    if headline is not None:
        parts += ["", "## Headline numbers", "", _frame_md(headline)]
    for heading, (text, table) in (sections or {}).items():
        parts += ["", f"## {heading}", "", text, "", _frame_md(table)]
    if quality is not None:
        parts += ["", "## Data quality: share of input values by grade", "", _frame_md(quality)]
    for img in images:
        parts += ["", f"![{Path(img).stem}]({img})"]
    return "\n".join(parts) + "\n"


def _frame_md(frame: pd.DataFrame) -> str:
    header = [frame.index.name or "", *map(str, frame.columns)]
    rows = [
        [str(i), *(_format_cell(v, 4) for v in row)]
        for i, row in zip(frame.index, frame.values, strict=True)
    ]
    return _md_table(header, rows)


def figure_html(image: str | Path) -> str:
    """Return a PNG as an HTML figure embedded as a data URI, captioned by its file stem."""
    path = Path(image)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(path.stem)}</figcaption></figure>"
    )


def _frame_html(frame: pd.DataFrame) -> str:
    head = "".join(
        f"<th>{html.escape(str(c))}</th>" for c in [frame.index.name or ""] + list(frame.columns)
    )
    body = "".join(
        "<tr><th>"
        + html.escape(str(i))
        + "</th>"
        + "".join(f"<td>{html.escape(_format_cell(v, 4))}</td>" for v in row)
        + "</tr>"
        for i, row in zip(frame.index, frame.values, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em}
table{border-collapse:collapse;margin:0.8em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.3em 0.6em;text-align:right}
th:first-child,td:first-child,td:nth-child(2),td:nth-child(3){text-align:left}
thead th{background:#f0f0f0}
tr.met td.status{background:#d8f0d8;font-weight:600}
tr.missed td.status{background:#f7d7d7;font-weight:600}
img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}
.note{color:#555;font-size:0.9em}
"""


def _html_targets(results: pd.DataFrame) -> str:
    """Return one policy's target table as HTML, each verdict cell coloured."""
    rows = []
    for cells, ok in zip(_results_rows(results), results["met"], strict=True):
        tds = []
        for i, c in enumerate(cells):
            c = c.replace("**", "")
            cls = ' class="status"' if i == 6 else ""
            tds.append(f"<td{cls}>{html.escape(c)}</td>")
        rows.append(f'<tr class="{"met" if ok else "missed"}">{"".join(tds)}</tr>')
    head = "".join(f"<th>{h}</th>" for h in _head(results))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def report_html(
    results: pd.DataFrame,
    *,
    title: str,
    quality: pd.DataFrame | None = None,
    headline: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    images: Sequence[str | Path] = (),
    sections: Mapping[str, tuple[str, pd.DataFrame]] | None = None,
) -> str:
    """Return the indicator report as one self-contained HTML page.

    Same content as :func:`report_markdown`; PNG images given as paths are embedded as data
    URIs, so the page can be mailed or archived alone.
    """
    notes, lacking = _split_notes(notes)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(_summary(results, lacking))}</p>",
    ]
    groups = _groups(results, lacking)
    for policy in groups:
        mine = results[results["policy"].astype(str) == policy]
        parts += [f"<h2>{html.escape(policy)}</h2>"] if len(groups) > 1 else []
        if len(mine):
            parts.append(_html_targets(mine))
        if policy in lacking:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in lacking[policy])
            parts.append(f'<ul class="note">{items}</ul>')
    parts.append(
        '<p class="note">margin: value minus target (for a maximum: target minus value); '
        "negative = the gap; a target 'of &lt;year&gt;' compares the value with the indicator "
        f"in that base year.{_GRADE_NOTE * ('grade' in results.columns)}</p>"
    )
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    if headline is not None:
        parts += ["<h2>Headline numbers</h2>", _frame_html(headline)]
    for heading, (text, table) in (sections or {}).items():
        parts += [f"<h2>{html.escape(heading)}</h2>", f"<p>{html.escape(text)}</p>"]
        parts.append(_frame_html(table))
    if quality is not None:
        parts += ["<h2>Data quality: share of input values by grade</h2>", _frame_html(quality)]
    parts += [figure_html(img) for img in images]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def resolve_policy_targets(
    policies: Sequence[str],
    answers: Mapping[str, object],
    indicators: Mapping[str, Sequence[str] | None],
) -> tuple[pd.DataFrame, list[tuple[dict[str, object], str]], list[str]]:
    """Return the shipped targets a model declares, as a targets table, with what it cannot do.

    Parameters
    ----------
    policies : sequence of str
        Policies whose every shipped target applies (``[outputs] policies``).
    answers : mapping
        ``[outputs.policy_targets]``: a shipped ``target_id`` to the indicator that answers it:
        ``"name"`` (its ``by`` label is the target's material, or ``all``), ``"name:label"``,
        a list of those (a target per strategic raw material: one per label), or an object
        with ``needs`` (the target applies but the model cannot compute it).
    indicators : mapping
        Each declared indicator to the labels of its ``by`` dim (None without ``by``).

    Returns
    -------
    targets : DataFrame
        The computable targets in the form of a model's targets table (``target_id, policy,
        indicator, material, year, base_year, comparison, value, units, source_id, grade,
        note``); a target answered per label gets the id ``<target_id>:<label>``.
    not_computable : list
        ``(shipped row, what it needs)`` of every applicable target not answered.
    errors : list of str
        One line per bad key (unknown policy or target, undeclared indicator or label).

    Examples
    --------
    >>> done, lacking, errors = resolve_policy_targets(
    ...     ["CRMA"], {"crma_recycling_2030": ["share:Li"]}, {"share": ("Li", "Co")})
    >>> done[["target_id", "indicator", "material", "value"]].values.tolist()
    [['crma_recycling_2030:Li', 'share', 'Li', 0.25]]
    >>> [row["target_id"] for row, _ in lacking], errors
    (['crma_extraction_2030', 'crma_processing_2030', 'crma_single_country_2030'], [])
    """
    table = policy_targets()
    known = list(dict.fromkeys(table["policy"]))
    errors = [
        f"[outputs] policies: unknown policy {p!r}; the shipped targets are of {known}"
        for p in policies
        if p not in known
    ]
    rows = {str(r["target_id"]): r.to_dict() for _, r in table.iterrows()}
    errors += [
        f"[outputs.policy_targets] {key}: no shipped target has this id "
        "(msa.policy_targets() lists them)"
        for key in answers
        if key not in rows
    ]
    done: list[dict[str, object]] = []
    lacking: list[tuple[dict[str, object], str]] = []
    applies = [t for t, r in rows.items() if r["policy"] in policies or t in answers]
    for target_id in applies:
        row, answer = rows[target_id], answers.get(target_id)
        if answer is None or hasattr(answer, "needs"):
            lacking.append((row, str(getattr(answer, "needs", None) or row["needs"])))
            continue
        picks, wrong = _answer_labels(target_id, row, answer, indicators)
        errors += wrong
        several = str(row["material"]) == "*" or len(picks) > 1
        for name, label in picks:
            done.append(_target_row(row, name, label, several))
    columns = [
        "target_id",
        "policy",
        "indicator",
        "material",
        "year",
        "base_year",
        "comparison",
        "value",
        "units",
        "source_id",
        "grade",
        "note",
    ]
    out = pd.DataFrame(done, columns=columns)
    for column in ("year", "base_year"):
        out[column] = out[column].astype("Int64")
    return out, lacking, errors


def _target_row(
    row: Mapping[str, object], name: str, label: str, several: bool
) -> dict[str, object]:
    """Return one computable target as a row of a model's targets table."""
    note = "; ".join(str(x) for x in (row["indicator"], row["note"]) if x)
    return {
        "target_id": f"{row['target_id']}:{label}" if several else row["target_id"],
        "policy": row["policy"],
        "indicator": name,
        "material": label,
        "year": row["year"],
        "base_year": row["base_year"],
        "comparison": row["comparison"],
        "value": float(row["value"]),  # type: ignore[arg-type]
        "units": row["units"],
        "source_id": row["source_id"],
        "grade": row["grade"],
        "note": f"{note} ({row['source']})",
    }


def _answer_labels(
    target_id: str,
    row: Mapping[str, object],
    answer: object,
    indicators: Mapping[str, Sequence[str] | None],
) -> tuple[list[tuple[str, str]], list[str]]:
    """Return the ``(indicator, label)`` pairs answering a target, and one error per bad one."""
    key = f"[outputs.policy_targets] {target_id}"
    given = [answer] if isinstance(answer, str) else list(answer)  # type: ignore[call-overload]
    picks, errors = [], []
    for item in given:
        name, _, label = str(item).partition(":")
        if name not in indicators:
            errors.append(
                f"{key}: {name!r} is not declared in [outputs.indicators] "
                f"(declared: {sorted(indicators)})"
            )
            continue
        labels = indicators[name]
        material = str(row["material"])
        if not label:
            if material == "*":
                errors.append(
                    f"{key}: the target holds for each strategic raw material; name the "
                    f'labels: ["{name}:<label>", ...]'
                )
                continue
            label = material if labels is not None and material != "all" else "all"
        if (labels is None and label != "all") or (labels is not None and label not in labels):
            shown = "no by dim: 'all' only" if labels is None else f"labels: {list(labels)}"
            errors.append(f"{key}: {name!r} has no label {label!r} ({shown})")
            continue
        picks.append((name, label))
    return picks, errors
