"""Policy-target reports: evaluate targets on indicator series and write Markdown and HTML.

Generic over a table of targets (one row per target: id, policy, indicator, material, year,
comparison, value) and a mapping from ``(indicator, material)`` to a yearly series computed by a
model. For each target the report states whether it is met in its year, by how much, and the
first year it is met. A data-quality summary (share of input values by grade) goes with it.
The HTML page is self-contained: inline CSS, images embedded as data URIs.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from msa.errors import ConfigError, DataError
from msa.system.provenance import GRADES

__all__ = [
    "RESULT_COLUMNS",
    "evaluate_target",
    "evaluate_targets",
    "grade_summary",
    "report_html",
    "report_markdown",
    "target_met",
]

_COMPARISONS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
#: Columns of the table returned by :func:`evaluate_targets`.
RESULT_COLUMNS = (
    "target_id",
    "policy",
    "indicator",
    "material",
    "year",
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


def evaluate_target(
    values: pd.Series,
    *,
    comparison: str,
    target: float,
    year: int | None = None,
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
    margin = value - target for ``>=``/``>`` and target - value for ``<=``/``<``.

    Examples
    --------
    >>> s = pd.Series([0.2, 0.5, 0.7], index=[2029, 2030, 2031])
    >>> r = evaluate_target(s, comparison=">=", target=0.6, year=2030)
    >>> (r["met"], round(r["margin"], 2), r["first_met"])
    (False, -0.1, 2031)
    """
    if comparison not in _COMPARISONS:
        raise ConfigError(f"target comparison {comparison!r} is not one of {sorted(_COMPARISONS)}")
    if values.empty:
        raise DataError("cannot evaluate a target on an empty series")
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
        optionally ``units, source_id, note``; ``year`` may be empty (evaluate in the last
        year).
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
        year = t.get("year")
        year = None if year is None or pd.isna(year) or year == "" else int(year)
        res = evaluate_target(
            series[key], comparison=str(t["comparison"]), target=float(t["value"]), year=year
        )
        rows.append(
            {
                "target_id": t["target_id"],
                "policy": t["policy"],
                "indicator": t["indicator"],
                "material": t["material"],
                "year": year,
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
    out["year"] = out["year"].astype("Int64")
    out["first_met"] = out["first_met"].astype("Int64")
    return out


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
                f"{r['comparison']} {_format_cell(r['target'])}",
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


_GRADE_NOTE = (
    " grade: the worst data-point grade the indicator rests on in the target year (A best, D an "
    "assumption); indicators.csv gives the share of its value resting on each grade."
)


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
    """
    met = int(results["met"].sum())
    parts = [
        f"# {title}",
        "",
        f"{met} of {len(results)} targets met in their target year.",
        "",
        _md_table(_head(results), _results_rows(results)),
        "",
        "margin: value minus target (for a maximum: target minus value); negative = the gap."
        + _GRADE_NOTE * ("grade" in results.columns),
    ]
    for note in notes:
        parts += ["", note]
    if headline is not None:
        parts += ["", "## Headline numbers", "", _frame_md(headline)]
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


def report_html(
    results: pd.DataFrame,
    *,
    title: str,
    quality: pd.DataFrame | None = None,
    headline: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    images: Sequence[str | Path] = (),
) -> str:
    """Return the indicator report as one self-contained HTML page.

    Same content as :func:`report_markdown`; PNG images given as paths are embedded as data
    URIs, so the page can be mailed or archived alone.
    """
    met = int(results["met"].sum())
    rows = []
    for cells, ok in zip(_results_rows(results), results["met"], strict=True):
        tds = []
        for i, c in enumerate(cells):
            c = c.replace("**", "")
            cls = ' class="status"' if i == 6 else ""
            tds.append(f"<td{cls}>{html.escape(c)}</td>")
        rows.append(f'<tr class="{"met" if ok else "missed"}">{"".join(tds)}</tr>')
    head = "".join(f"<th>{h}</th>" for h in _head(results))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{met} of {len(results)} targets met in their target year.</p>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
        '<p class="note">margin: value minus target (for a maximum: target minus value); '
        f"negative = the gap.{_GRADE_NOTE * ('grade' in results.columns)}</p>",
    ]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    if headline is not None:
        parts += ["<h2>Headline numbers</h2>", _frame_html(headline)]
    if quality is not None:
        parts += ["<h2>Data quality: share of input values by grade</h2>", _frame_html(quality)]
    for img in images:
        path = Path(img)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(path.stem)}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
