"""Which inputs drive a result, and which data to collect first: from a Monte Carlo's samples.

:func:`sensitivity` ranks the drawn inputs of a :class:`~msa.model.montecarlo.MonteCarlo` by how
much a result (an indicator, a stock or a flow in one year) moves with them, from the samples
already drawn (no extra model runs):

``spearman``
    the rank correlation of the input with the result over the samples (signed: + means the
    result grows with the input). Enough to rank inputs of a monotone model, which most
    material-flow models are.
``first_order``
    the share of the result's variance explained by the input alone, Var(E[Y | X]) / Var(Y),
    estimated from the samples by sorting them on the input and averaging the result in
    ``sqrt(N)`` equal bins (the "given data" estimator of a first-order Sobol index; Plischke et
    al. 2013), less the noise a bin mean of that many samples carries. Approximate: use at least
    200 samples; it does not see interactions.
``p5_p95`` and ``p5_p95_at_grade_a``
    the result's 90% range now, and the range expected if this input were known at grade A:
    the input's spread shrinks to grade A's (``r``: its sd at grade A, drawn as the Monte Carlo
    would, over its sd in the samples), so the
    variance it explains (the larger of ``first_order`` and ``spearman**2``) shrinks by
    ``1 - r**2``; the range scales with the square root of the
    remaining variance (a normal approximation). ``narrowing`` is the relative reduction of
    the range: the data-collection priority.

A table is one input: its per-sample value is the mean log factor of its cells against the
table as read (its rows move together; a split table's cells are renormalised, so its summary
is weaker). Its grade is its worst cell's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from msa.errors import ConfigError
from msa.model.build import ModelInputs
from msa.model.montecarlo import MonteCarlo
from msa.model.tracked import grade_of_rank
from msa.uncertainty import resolve_uncertainty
from msa.uncertainty.grades import grade_log_sd

__all__ = [
    "COLUMNS",
    "check_targets",
    "input_samples",
    "parse_target",
    "priority_note",
    "sensitivity",
    "tornado",
    "with_sensitivity",
]

#: Columns of the table :func:`sensitivity` returns.
COLUMNS = (
    "input",
    "kind",
    "grade",
    "spearman",
    "first_order",
    "p5_p95",
    "p5_p95_at_grade_a",
    "narrowing",
    "rank",
)


def input_samples(mc: MonteCarlo, inputs: ModelInputs, material: str | None = None) -> pd.DataFrame:
    """Return one column per drawn input, one row per sample, and each input's kind and grade.

    A parameter's column holds its drawn values; a table's, the mean log factor of its cells
    against the table as read (cells that are 0 as read are left out); with ``material``, of
    the cells of that material only where the table has a ``material`` dim.

    Returns
    -------
    DataFrame
        Indexed by sample; ``attrs["kind"]`` and ``attrs["grade"]`` map each column to
        ``parameter``/``table`` and its (worst) grade.
    """
    columns: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    grades: dict[str, str] = {}
    for name, drawn in mc.draws.parameters.items():
        columns[name] = np.asarray(drawn, dtype=float)
        kinds[name] = "parameter"
        grades[name] = _worst(grade_of_rank(inputs.parameters[name].rank).values)
    for name, drawn in mc.draws.tables.items():
        value = inputs.data[name].value
        base = np.asarray(value.values, dtype=float)
        keep = base > 0
        if material not in (None, "all") and "material" in value.dims:
            keep &= (value["material"] == material).broadcast_like(value).values
        logs = np.log(np.where(keep, drawn, 1.0) / np.where(keep, base, 1.0))
        cells = logs.reshape(len(drawn), -1)[:, keep.ravel()]
        columns[f"table {name}"] = cells.mean(axis=1) if cells.size else np.zeros(len(drawn))
        kinds[f"table {name}"] = "table"
        rank = inputs.data[name].rank.broadcast_like(inputs.data[name].value)
        grades[f"table {name}"] = _worst(grade_of_rank(rank).values)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(mc.draws.n, name="sample"))
    frame.attrs["kind"], frame.attrs["grade"] = kinds, grades
    return frame


def _worst(grades: Any) -> str:
    labels = {str(g) for g in np.asarray(grades, dtype=object).ravel()}
    for grade in ("", "D", "C", "B", "A"):
        if grade in labels:
            return grade or "unknown"
    return "unknown"


def _result(mc: MonteCarlo, quantity: str, material: str, year: int) -> np.ndarray:
    values = mc.values.of(quantity, material, year)
    if values is None:
        known = mc.values.quantities()
        raise ConfigError(
            f"sensitivity: no result {quantity!r} for material {material!r} in {year}; "
            f"quantities: {known[:12]}{' ...' if len(known) > 12 else ''}"
        )
    return values


def _first_order(x: np.ndarray, y: np.ndarray) -> float:
    """Return Var(E[Y|X]) / Var(Y) by equal bins on sorted X, less the bins' own noise."""
    n = len(y)
    total = float(np.var(y))
    if n < 4 or total == 0.0 or float(np.var(x)) == 0.0:
        return 0.0
    bins = max(2, int(np.sqrt(n)))
    groups = np.array_split(np.argsort(x, kind="stable"), bins)
    mean = float(np.mean(y))
    between = sum(len(g) * (float(np.mean(y[g])) - mean) ** 2 for g in groups) / n
    noise = (bins - 1) / (n - 1) * total  # what bin means of pure noise would explain
    return float(np.clip((between - noise) / (total - noise), 0.0, 1.0))


def sensitivity(
    mc: MonteCarlo,
    inputs: ModelInputs,
    quantity: str,
    *,
    material: str = "all",
    year: int,
) -> pd.DataFrame:
    """Rank the drawn inputs by how much they drive one result (see the module docstring).

    Parameters
    ----------
    mc : MonteCarlo
        From :func:`msa.model.montecarlo.monte_carlo`.
    inputs : ModelInputs
        The scenario's inputs as read (:func:`msa.model.build.read_inputs`).
    quantity : str
        A quantity of ``uncertainty.csv``: ``"indicator <name>"``, ``"stock <process>"`` or a
        flow ``"A => B"``.
    material : str
        ``"all"`` or one material (or the label of the indicator's ``by`` dim).
    year : int

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, most important first (by ``first_order``, then ``|spearman|``).

    Raises
    ------
    msa.ConfigError
        If the result is not among the Monte Carlo's quantities.
    """
    from scipy import stats

    y = _result(mc, quantity, material, int(year))
    xs = input_samples(mc, inputs, material)
    finite = np.isfinite(y)
    low, high = (np.quantile(y[finite], q) for q in (0.05, 0.95)) if finite.any() else (0, 0)
    width = float(high - low)
    cv_a = grade_log_sd("A")
    rows = []
    for name in xs.columns:
        x = xs[name].to_numpy()
        varies = finite.sum() > 3 and np.ptp(x[finite]) > 0 and np.ptp(y[finite]) > 0
        rho = float(stats.spearmanr(x[finite], y[finite]).statistic) if varies else 0.0
        share = _first_order(x[finite], y[finite]) if varies else 0.0
        ratio = _ratio_at_grade_a(inputs, name, x, cv_a)
        explained = max(share, rho**2)  # the larger estimate: a range is not promised too narrow
        remaining = max(0.0, 1.0 - explained * (1 - ratio**2))
        rows.append(
            {
                "input": name,
                "kind": xs.attrs["kind"][name],
                "grade": xs.attrs["grade"][name],
                "spearman": rho,
                "first_order": share,
                "p5_p95": width,
                "p5_p95_at_grade_a": width * float(np.sqrt(remaining)),
                "narrowing": 1.0 - float(np.sqrt(remaining)),
            }
        )
    table = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))
    table["_order"] = table["first_order"] + 1e-6 * table["spearman"].abs()
    table = table.sort_values("_order", ascending=False, kind="stable").drop(columns="_order")
    table["rank"] = np.arange(1, len(table) + 1)
    return table.reset_index(drop=True)[list(COLUMNS)]


def _ratio_at_grade_a(inputs: ModelInputs, name: str, x: np.ndarray, log_sd_a: float) -> float:
    """Return the input's spread at grade A over its spread in the samples (at most 1).

    A parameter at grade A is resolved as the Monte Carlo would draw it (a share stays a
    share, bounds hold); a table's mean log factor is compared with grade A's log-sd.
    """
    drawn = float(np.std(x))
    if drawn == 0.0:
        return 1.0
    if name.startswith("table "):
        return min(1.0, log_sd_a / drawn)
    d = inputs.definition
    spec = d.parameters[name]
    shares = {f.share for f in d.flows.values() if isinstance(f.share, str)}
    value = float(inputs.parameters[name].value)
    at_a = resolve_uncertainty(value, "A", None, spec.bounds, None, share=name in shares)
    return min(1.0, at_a.sd / drawn)


def tornado(table: pd.DataFrame, *, title: str, top: int = 10) -> Any:
    """Draw a tornado plot of a :func:`sensitivity` table: the ``top`` inputs by rank.

    Bars are the signed rank correlation; the label gives the input's grade and the share of
    variance it explains alone, and how far the range would narrow at grade A.
    """
    import plotly.graph_objects as go

    shown = table.head(top).iloc[::-1]
    from msa.figures.labels import GRADE_COLORS  # the Sankey's grade colours

    colors = GRADE_COLORS
    labels = [
        f"{row.input} ({row.grade})  S1 {row.first_order:.2f}, \u2212{row.narrowing:.0%} at A"
        for row in shown.itertuples()
    ]
    fig = go.Figure(
        go.Bar(
            x=shown["spearman"],
            y=labels,
            orientation="h",
            marker_color=[colors.get(g, "#BBBBBB") for g in shown["grade"]],
        )
    )
    fig.update_layout(
        title=f"{title}<br><sup>bar colour: the input's grade (A dark blue, B cyan, C yellow, "
        "D red, as in the Sankeys); S1: share of the variance it explains alone</sup>",
        template="simple_white",
        width=1100,
        height=160 + 42 * len(shown),
        font={"size": 15},
        xaxis={"title": "rank correlation with the result (Spearman)", "range": [-1, 1]},
        margin={"l": 20, "r": 30, "t": 80},
    )
    fig.add_vline(x=0, line_width=1, line_color="#444444")
    return fig


def priority_note(table: pd.DataFrame, what: str, top: int = 3) -> str:
    """Return a sentence naming the inputs whose better data would narrow a range most."""
    useful = table[table["narrowing"] > 0.01].sort_values("narrowing", ascending=False).head(top)
    if useful.empty:
        return f"{what}: no single input, known at grade A, would narrow its p5-p95 range by 1%."
    parts = [
        f"{row.input} (grade {row.grade}: -{row.narrowing:.0%})" for row in useful.itertuples()
    ]
    return f"{what}: collect first {', then '.join(parts)} (p5-p95 range narrowing if known at A)."


def parse_target(
    spec: str, *, years: tuple[int, ...], indicators: tuple[str, ...]
) -> dict[str, Any]:
    """Read ``QUANTITY[:MATERIAL][@YEAR]`` (``--sensitivity``) into quantity, material, year.

    A bare indicator name means ``indicator <name>``; the year defaults to the last one given
    in ``years``.

    Examples
    --------
    >>> parse_target("stock Use:silver@2050", years=(2030, 2050), indicators=())
    {'quantity': 'stock Use', 'material': 'silver', 'year': 2050}
    >>> parse_target("recycling_rate", years=(2030,), indicators=("recycling_rate",))
    {'quantity': 'indicator recycling_rate', 'material': 'all', 'year': 2030}
    """
    text, _, year = spec.partition("@")
    quantity, _, material = text.partition(":")
    quantity = quantity.strip()
    if quantity in indicators:
        quantity = f"indicator {quantity}"
    if not quantity:
        raise ConfigError(f"--sensitivity {spec!r}: name a quantity, e.g. 'stock Use:silver@2050'")
    try:
        when = int(year) if year else int(years[-1])
    except ValueError:
        raise ConfigError(f"--sensitivity {spec!r}: the year after '@' must be a number") from None
    return {"quantity": quantity, "material": material.strip() or "all", "year": when}


def check_targets(d: Any, specs: tuple[str, ...]) -> None:
    """Refuse, before any run, a ``--sensitivity`` that names no result of the model.

    Raises
    ------
    msa.ConfigError
        A spec that does not parse, or names an indicator, stock, flow, material or year the
        model does not have.
    """
    years = tuple(int(y) for y in (d.outputs.sankey_years or [d.coords["time"][-1]]))
    names = tuple(d.outputs.indicators)
    known = {f"indicator {n}" for n in names} | {f"stock {p}" for p in d.stocks} | set(d.flows)
    known |= {f"stock {p}" for p, spec in d.processes.items() if spec.kind == "stock"}
    for spec in specs:
        asked = parse_target(spec, years=years, indicators=names)
        if asked["quantity"] not in known:
            raise ConfigError(
                f"--sensitivity {spec!r}: {asked['quantity']!r} is not an indicator, "
                f"'stock <process>' or flow of {d.name!r}; e.g. {sorted(known)[:4]}"
            )
        materials = {"all", *map(str, d.coords.get("material", ()))}
        if asked["material"] not in materials and not asked["quantity"].startswith("indicator "):
            raise ConfigError(f"--sensitivity {spec!r}: unknown material {asked['material']!r}")
        if asked["year"] not in d.coords["time"]:
            first, last = d.coords["time"][0], d.coords["time"][-1]
            raise ConfigError(f"--sensitivity {spec!r}: {asked['year']} is outside {first}-{last}")


def with_sensitivity(
    result: Any, mc: MonteCarlo, inputs: ModelInputs, specs: tuple[str, ...] = ()
) -> Any:
    """Return a run's result with what drives its targets and the results asked for.

    Adds the table ``sensitivity`` (every target, and each ``--sensitivity`` spec: one row per
    drawn input, :data:`COLUMNS`), a tornado figure per spec (``sensitivity_<i>``, shown in the
    report) and a report note naming, for each target whose verdict the data leave open (P(met)
    between 0.05 and 0.95), the inputs to measure first.
    """
    d = inputs.definition
    years = tuple(int(y) for y in (d.outputs.sankey_years or [d.coords["time"][-1]]))
    names = tuple(d.outputs.indicators)
    frames, notes, figures = [], [], {}
    last = int(d.coords["time"][-1])
    asked = [parse_target(spec, years=years, indicators=names) for spec in specs]
    for row in result.indicators.itertuples(index=False):
        year = last if pd.isna(row.year) else int(row.year)
        quantity = f"indicator {row.indicator}"
        table = sensitivity(mc, inputs, quantity, material=str(row.material), year=year)
        frames.append(
            table.assign(
                target_id=row.target_id, quantity=quantity, material=str(row.material), year=year
            )
        )
        p_met = getattr(row, "p_met", float("nan"))
        if 0.05 < p_met < 0.95:
            what = f"{row.target_id} (P(met) = {p_met:.2f})"
            notes.append(priority_note(table, what))
    for i, one in enumerate(asked, start=1):
        table = sensitivity(mc, inputs, one["quantity"], material=one["material"], year=one["year"])
        frames.append(table.assign(target_id="", **one))
        where = f"{one['quantity']} ({one['material']}, {one['year']})"
        notes.append(priority_note(table, where))
        figures[f"sensitivity_{i}"] = tornado(table, title=f"{d.title}: what drives {where}")
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    lead = [c for c in ("target_id", "quantity", "material", "year") if c in out.columns]
    out = out[lead + [c for c in out.columns if c not in lead]]
    header = (
        "What to measure next: the inputs whose grade-A data would narrow a result's p5-p95 "
        "range most (tables/sensitivity.csv ranks every drawn input for every target)."
    )
    return dataclasses.replace(
        result,
        tables={**result.tables, "sensitivity": out},
        figures={**result.figures, **figures},
        report_figures=[*result.report_figures, *figures],
        notes=[*result.notes, header, *notes] if notes else [*result.notes],
    )
