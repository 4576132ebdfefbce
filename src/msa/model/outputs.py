"""The standard outputs of a declared model: tables, indicators, headline, quality, figures.

:func:`model_result` turns a :class:`~msa.model.build.Built` model into the
:class:`~msa.model.run.ModelResult` that :func:`msa.run_model` writes, the same for every
declared model:

- tables ``flows`` (every flow by year and dim, with grade and source id), ``stocks`` (every
  stock and its net addition), ``indicator_series`` (each declared indicator by year);
- ``indicators``: the policy targets of ``[outputs] targets`` evaluated (met, margin, first
  year met) on the declared indicators;
- ``headline``: the ``[outputs] headline`` flows and stocks in the Sankey years;
- ``quality``: the grades of every input table and parameter, and of every computed flow and
  stock (a computed value is never graded better than what it rests on);
- figures: the System's Sankey for each Sankey year at one scale, stocks and flows over time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError
from msa.model.build import Built
from msa.model.report import RESULT_COLUMNS, evaluate_targets, grade_summary
from msa.model.result import ModelResult

__all__ = ["indicator_series", "model_result"]

_TARGET_COLUMNS = ("target_id", "policy", "indicator", "material", "year", "comparison", "value")


def model_result(built: Built, *, figures: bool = True) -> ModelResult:
    """Return every standard output of a built model (see the module docstring).

    Parameters
    ----------
    built : Built
        From :func:`msa.model.build.build_model`.
    figures : bool
        Draw the figures (needs the ``plot`` extra); tables and report only without.
    """
    d = built.definition
    series = indicator_series(built)
    return ModelResult(
        system=built.system,
        tables={
            "flows": _flows_table(built),
            "stocks": _stocks_table(built),
            "indicator_series": _series_table(series),
        },
        indicators=_targets(built, series),
        headline=_headline(built),
        quality=_quality(built),
        figures=_figures(built) if figures else {},
        report_figures=[f"sankey_{y}" for y in _sankey_years(built)][:2] + ["stocks"]
        if figures
        else [],
        notes=[
            f"{d.title}, scenario {built.scenario!r}: "
            f"{d.scenario(built.scenario).description or 'the declared values'}.",
            "Every computed flow and stock carries the worst grade of the tables and "
            "parameters it was computed from (quality.csv); a value interpolated between "
            "given years is graded B at best.",
        ],
    )


def _sankey_years(built: Built) -> list[int]:
    years = list(built.definition.outputs.sankey_years)
    return years or [int(built.definition.coords["time"][-1])]


def _item(built: Built, item: str) -> xr.DataArray:
    """Return a flow, or the stock level of ``"stock <process>"``."""
    if item.startswith("stock ") and item.removeprefix("stock ") in built.system.stocks:
        return built.system.stocks[item.removeprefix("stock ")]["stock"]
    return built.system.flows[item]


def indicator_series(built: Built) -> dict[tuple[str, str], pd.Series]:
    """Return each declared indicator by year, keyed ``(name, label)`` (``"all"`` without by).

    An indicator is the sum of its numerator items over the sum of its denominator items;
    NaN where the denominator is 0.
    """
    out: dict[tuple[str, str], pd.Series] = {}
    for name, spec in built.definition.outputs.indicators.items():
        keep = ["time"] + ([spec.by] if spec.by else [])

        def total(items: tuple[str, ...], keep: list[str] = keep) -> xr.DataArray:
            parts = [_item(built, i) for i in items]
            return sum(p.sum([x for x in p.dims if x not in keep]) for p in parts)  # type: ignore[return-value]

        num, den = total(spec.numerator), total(spec.denominator)
        if spec.denominator_mean_of_previous:
            lag = spec.denominator_mean_of_previous
            den = den.rolling(time=lag).mean().shift(time=1)
        ratio = (num / den.where(den != 0)).transpose(*[k for k in keep if k in num.dims])
        if spec.by and spec.by in ratio.dims:
            for label in ratio[spec.by].values:
                values = ratio.sel({spec.by: label}).to_series()
                out[(name, str(label))] = values.rename(index=int)
        else:
            out[(name, "all")] = ratio.to_series().rename(index=int)
    return out


def _series_table(series: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    rows = [
        {"indicator": name, "label": label, "year": int(year), "value": float(value)}
        for (name, label), s in series.items()
        for year, value in s.items()
    ]
    return pd.DataFrame(rows, columns=["indicator", "label", "year", "value"])


def _targets(built: Built, series: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    d = built.definition
    if d.outputs.targets is None:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    path = d.folder / d.outputs.targets
    targets = pd.read_csv(path, dtype={"material": str}, keep_default_na=False)
    missing = [c for c in _TARGET_COLUMNS if c not in targets.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}")
    targets["year"] = pd.to_numeric(targets["year"], errors="coerce").astype("Int64")
    targets["value"] = pd.to_numeric(targets["value"], errors="raise")
    for i, row in targets.iterrows():
        if (row["indicator"], row["material"]) not in series:
            known = sorted({f"{n}/{label}" for n, label in series})
            raise ConfigError(
                f"{path}: row {int(str(i)) + 2}: indicator {row['indicator']!r} for "
                f"{row['material']!r} is not declared in [outputs.indicators]; known: {known}"
            )
    return evaluate_targets(targets, series)


def _flows_table(built: Built) -> pd.DataFrame:
    frames = []
    for name, da in built.system.flows.items():
        prov = built.system.provenance[name]
        frame = xr.Dataset(
            {"value": da, "grade": prov["grade"], "source_id": prov["source_id"]}
        ).to_dataframe()
        frame = frame.reset_index().assign(flow=name, units=da.attrs.get("units", ""))
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    dims = [c for c in table.columns if c not in ("flow", "value", "units", "grade", "source_id")]
    return table[["flow", *dims, "value", "units", "grade", "source_id"]]


def _stocks_table(built: Built) -> pd.DataFrame:
    frames = []
    for pid, ds in built.system.stocks.items():
        frame = ds[["stock", "stock_change"]].to_dataframe().reset_index()
        frames.append(frame.assign(process=pid, units=ds.attrs.get("units", "t")))
    if not frames:
        return pd.DataFrame(columns=["process", "time", "stock", "stock_change", "units"])
    table = pd.concat(frames, ignore_index=True)
    first = ["process"]
    return table[first + [c for c in table.columns if c not in first]]


def _headline(built: Built) -> pd.DataFrame:
    d = built.definition
    items = list(d.outputs.headline) or [f"stock {p}" for p in built.system.stocks]
    rows = []
    for item in items:
        da = _item(built, item)
        total = da.sum([x for x in da.dims if x != "time"])
        units = da.attrs.get("units") or built.system.stocks.get(
            item.removeprefix("stock "), xr.Dataset()
        ).attrs.get("units", "t")
        for year in _sankey_years(built):
            label = f"{item} end {year}" if item.startswith("stock ") else f"{item} {year}"
            rows.append({"label": label, "value": float(total.sel(time=year)), "units": units})
    return pd.DataFrame(rows).set_index("label")


def _quality(built: Built) -> pd.DataFrame:
    """Grades of the inputs, then of every computed flow and stock, with the worst grade."""
    inputs: dict[str, list[str]] = {
        f"table {name}": list(t.grades().values.ravel()) for name, t in built.data.items()
    }
    inputs.update(
        {f"parameter {n}": [str(t.grades().values)] for n, t in built.parameter_grades.items()}
    )
    computed: dict[str, list[str]] = {}
    for key, ds in built.system.provenance.items():
        if key.startswith("parameter "):
            continue
        computed[key if " => " not in key else f"flow {key}"] = list(
            np.asarray(ds["grade"].values, dtype=str).ravel()
        )
    table = pd.concat([grade_summary(inputs), grade_summary(computed).drop("all inputs")])
    order = ["A", "B", "C", "D", ""]
    worst = {
        name: max(grades, key=lambda g: order.index(g) if g in order else len(order))
        for name, grades in {**inputs, **computed}.items()
    }
    table["worst"] = [worst.get(str(i), "") for i in table.index]
    table.index.name = "inputs"
    return table


def _figures(built: Built) -> dict[str, Any]:
    import plotly.graph_objects as go

    from msa.figures.series import sankey_series

    system = built.system
    years = _sankey_years(built)
    sankeys = sankey_series(system, years=years, title=built.definition.title)
    figures: dict[str, Any] = {f"sankey_{year}": fig for year, fig in sankeys.items()}
    stocks = go.Figure()
    for pid, ds in system.stocks.items():
        level = ds["stock"]
        split = "material" if "material" in level.dims else None
        parts = (
            [(str(m), level.sel(material=m)) for m in level["material"].values]
            if split
            else [("", level)]
        )
        for label, part in parts:
            total = part.sum([x for x in part.dims if x != "time"])
            name = f"{pid} {label}".strip()
            stocks.add_trace(go.Scatter(x=total["time"].values, y=total.values, name=name))
    stocks.update_layout(
        title=f"{built.definition.title}: stocks (end of year)",
        xaxis_title="year",
        yaxis_title=next(iter(system.stocks.values())).attrs.get("units", "t")
        if system.stocks
        else "t",
        template="simple_white",
        width=900,
        height=500,
        font={"size": 16},
    )
    figures["stocks"] = stocks
    flows = go.Figure()
    for name in built.definition.outputs.headline or list(system.flows)[:6]:
        if name in system.flows:
            da = system.flows[name]
            total = da.sum([x for x in da.dims if x != "time"])
            flows.add_trace(go.Scatter(x=total["time"].values, y=total.values, name=name))
    flows.update_layout(
        title=f"{built.definition.title}: flows per year",
        xaxis_title="year",
        yaxis_title="t/yr",
        template="simple_white",
        width=900,
        height=500,
        font={"size": 16},
    )
    figures["flows"] = flows
    return figures
