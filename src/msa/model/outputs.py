"""The standard outputs of a declared model: tables, indicators, headline, quality, figures.

:func:`model_result` turns a :class:`~msa.model.build.Built` model into the
:class:`~msa.model.run.ModelResult` that :func:`msa.run_model` writes, the same for every
declared model:

- tables ``flows`` (every flow by year and dim, with grade and source id), ``stocks`` (every
  stock and its net addition), ``indicator_series`` (each declared indicator by year:
  ``indicator, material, time, value``; ``material`` holds the ``by`` label, or ``all``, as
  in the targets table); for each view of ``[outputs] sankeys``, ``<view>_links`` (the links
  drawn, with what the view leaves out of each node) and ``<view>_out_of_scope``; and the
  tables of ``[outputs.tables.<name>]``, each made by a ``model.py`` function of the built
  model;
- ``indicators``: the policy targets of ``[outputs] targets`` evaluated (met, margin, first
  year met) on the declared indicators (ratios of flows, or ``model.py`` functions);
- ``headline``: the ``[outputs] headline`` flows and stocks in the Sankey years, and the
  labelled numbers (a sum of flows and stocks in a year or over years, an indicator in a year,
  a column of an output table);
- ``quality``: the grades of every input table and parameter, and of every computed flow and
  stock (a computed value is never graded better than what it rests on);
- figures: for each Sankey year at one scale, the System's Sankey (``"system"`` in
  ``[outputs] sankeys``, the default) and each view's (:func:`msa.pga` and the other views,
  from the flows' ``jrc_code`` or, where processes declare ``views``, from each process's
  node, :func:`msa.process_view`; what the view leaves out of a node is drawn to and from *Not
  in this view*, :func:`msa.scope_gaps`); stocks and flows over time; and the figures of
  ``[outputs.figures.<name>]``, made by ``model.py`` functions.

An MSA-table model (``[msa]``) writes the same outputs, and besides: the tables
``indicators_jrc`` (the JRC indicators, :func:`msa.indicator_table`: every indicator the table
gives the variables for, the others with the missing codes in ``note``), ``stage_imbalance``
(each stage's residual per year, :func:`msa.stage_imbalance`: published MSA data are rounded,
so a stage need not close and the run does not fail on it) and ``msa_skipped`` (the edges and
stocks not built, with the codes they lack); its headline is, unless declared, every JRC
indicator computed in the Sankey years, and the report's notes say what was built and how far
the stages are from closing.

A function named by ``[outputs]`` receives the :class:`~msa.model.build.Built` model (its
``system``, ``flows``, ``stocks``, ``data``, ``parameters``, ``stock_models`` and
``definition``) and returns a DataFrame (a table), a figure (plotly or matplotlib) or a
DataArray (an indicator).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError
from msa.jrc_msa.indicators import indicator_table
from msa.jrc_msa.macro import national_headlines, national_share
from msa.jrc_msa.policy_indicators import LIBRARY
from msa.jrc_msa.tables import read_msa_table
from msa.jrc_msa.views import REVERSED
from msa.messages import plain
from msa.model.build import Built, module_file, running_model_code
from msa.model.checks import indicator_labels
from msa.model.definition import HeadlineSpec, ModelDefinition
from msa.model.report import (
    RESULT_COLUMNS,
    evaluate_targets,
    grade_summary,
    not_computable_note,
    resolve_policy_targets,
)
from msa.model.result import ModelResult
from msa.system.core import System

if TYPE_CHECKING:  # pragma: no cover
    from msa.figures.labels import Lang

__all__ = [
    "headline_values",
    "indicator_arrays",
    "indicator_grade",
    "indicator_series",
    "has_targets",
    "links_with_ranges",
    "model_result",
    "not_computable_targets",
    "target_table",
]

#: A stage whose residual is at most this share of its throughput closes (rounding of sums).
_CLOSED = 1e-9
_TARGET_COLUMNS = ("target_id", "policy", "indicator", "material", "year", "comparison", "value")


def model_result(
    built: Built, *, figures: bool = True, bands: pd.DataFrame | None = None
) -> ModelResult:
    """Return every standard output of a built model (see the module docstring).

    Parameters
    ----------
    built : Built
        From :func:`msa.model.build.build_model`.
    figures : bool
        Draw the figures (needs the ``plot`` extra); tables and report only without.
    bands : DataFrame, optional
        A Monte Carlo summary (:attr:`msa.model.montecarlo.MonteCarlo.table`): the stocks and
        flows plots then show each line's p5-p95 band.
    """
    d = built.definition
    arrays = indicator_arrays(built)
    series = _as_series(arrays)
    tables = {
        "flows": _flows_table(built),
        "stocks": _stocks_table(built),
        "indicator_series": _series_table(series),
    }
    drawn: dict[str, Any] = {}
    for view in (v for v in d.outputs.sankeys if v != "system"):
        view_figures, links, outside = _view_sankeys(built, view, draw=figures)
        drawn.update(view_figures)
        tables[f"{view}_links"], tables[f"{view}_out_of_scope"] = links, outside
    if built.msa is not None:
        tables.update(_msa_tables(built))
    for name, spec in d.outputs.tables.items():
        tables[name] = _call(built, f"[outputs.tables.{name}]", spec.function, pd.DataFrame)
    if figures:
        drawn = {**_figures(built, bands), **drawn}
        for name, spec in d.outputs.figures.items():
            drawn[name] = _call(built, f"[outputs.figures.{name}]", spec.function, object)
    from msa.figures.diagram import outgrown_page

    outgrown = [n for name, fig in drawn.items() if (n := outgrown_page(fig, name)) is not None]
    lacking = not_computable_targets(built)
    if len(lacking):
        tables["targets_not_computable"] = lacking
    sections: dict[str, tuple[str, pd.DataFrame]] = {}
    if d.outputs.effects is not None:
        effect_tables, sections = _effects(built)
        tables.update(effect_tables)
    if d.outputs.national_shares:
        tables["national_shares"], sections["National shares"] = _national_shares(built)
    return ModelResult(
        system=built.system,
        tables=tables,
        indicators=_targets(built, series),
        headline=_headline(built, arrays, tables),
        quality=_quality(built),
        figures=drawn,
        report_figures=_report_figures(built, drawn) if figures else [],
        notes=[
            *_notes(built),
            *d.outputs.notes,
            *(not_computable_note(r, str(r["needs"])) for _, r in lacking.iterrows()),
            *outgrown,
        ],
        sections=sections,
    )


def _effects(
    built: Built,
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[str, pd.DataFrame]]]:
    """Return the effect tables of ``[outputs.effects]`` and the report section per indicator.

    ``effects``: one row per indicator, flow, material and year (mass, factor, effect, grade,
    the factor's source); ``effects_by_year``: total and coverage (share of the mass with a
    factor) per indicator and year; ``effect_factors``: each factor used with its source.
    """
    from msa.effects import effects, factor_sources, load_factors, read_factors

    d = built.definition
    spec = d.outputs.effects
    assert spec is not None
    factors = read_factors(d.folder / spec.factors) if spec.factors else load_factors()
    rows, totals, used = [], [], []
    for indicator in spec.indicators:
        ds = effects(
            built.system,
            factors,
            indicator=indicator,
            flows=list(spec.flows) or None,
            supplied_by=list(spec.supplied_by) or None,
            select=spec.select or None,
            materials=spec.materials or None,
            material=spec.material,
            missing="report",
        )
        units = str(ds.attrs.get("units", ""))
        cells = ds[["mass", "effect", "grade"]].to_dataframe().reset_index()
        cells = cells.drop(columns=[c for c in cells.columns if c.endswith("_stage")])
        rows.append(cells.assign(indicator=indicator, units=units))
        totals.append(
            pd.DataFrame(
                {
                    "indicator": indicator,
                    "year": ds["time"].values.astype(int),
                    "total": ds["total"].values,
                    "units": units,
                    "coverage": ds["coverage"].values,
                }
            )
        )
        factor_vars = [v for v in ds.data_vars if str(v).startswith("factor") or v == "missing"]
        per = ds[factor_vars].to_dataframe().reset_index()
        per = per[["flow", "material", *[str(v) for v in factor_vars]]].drop_duplicates()
        used.append(per.assign(indicator=indicator))
    by_year = pd.concat(totals, ignore_index=True)
    factors_used = pd.concat(used, ignore_index=True)
    if not spec.factors:
        titles = factor_sources()["title"]
        ids = factors_used.get("factor_source_id", pd.Series("", index=factors_used.index))
        factors_used["factor_source"] = ids.map(titles).fillna("")
    tables = {
        "effects": pd.concat(rows, ignore_index=True),
        "effects_by_year": by_year,
        "effect_factors": factors_used,
    }
    return tables, {
        "Environmental effects": (
            _effects_text(spec, factors_used),
            _effects_summary(built, by_year),
        )
    }


def _effects_summary(built: Built, by_year: pd.DataFrame) -> pd.DataFrame:
    """Return the report's effects table: total and coverage in the Sankey years."""
    years = _sankey_years(built)
    shown = by_year[by_year["year"].isin(years)].copy()
    shown["total"] = shown["total"].round(0)
    shown["coverage"] = (100 * shown["coverage"]).round(0).astype(int).astype(str) + "%"
    return shown.set_index("indicator")


def _effects_text(spec: Any, factors_used: pd.DataFrame) -> str:
    """Return what the effects are, and which materials have no factor."""
    inputs = ", ".join(spec.flows or spec.supplied_by)
    text = (
        f"Cradle-to-gate effect of the primary material entering the system ({inputs}): each "
        "material's mass times its factor (tables/effect_factors.csv names every factor and "
        "its source; docs/effects.md). Coverage is the share of that mass with a factor; a "
        "material without one is not counted, never as 0."
    )
    missing = factors_used[
        factors_used.get("missing", pd.Series("", index=factors_used.index)).astype(str) != ""
    ]
    if len(missing):
        names = ", ".join(sorted(set(missing["material"].astype(str))))
        text += f" Not assessed: {names}."
    return text


def _national_shares(built: Built) -> tuple[pd.DataFrame, tuple[str, pd.DataFrame]]:
    """Return the table of ``[outputs.national_shares]`` and its report section.

    The table has one row per share, material group and year of the model (``share`` NaN with
    its ``reason`` where the national table has no figure); the report shows the years with a
    share, the text each share's flows, national figure and concordance.
    """
    d = built.definition
    frames, stated = [], []
    for name, spec in d.outputs.national_shares.items():
        flows = sum(built.system.flows[f] for f in spec.flows)
        assert isinstance(flows, xr.DataArray)
        flows.attrs["units"] = built.system.flows[spec.flows[0]].attrs.get("units", "t")
        concordance = spec.concordance
        if concordance is not None and concordance.endswith(".csv"):
            concordance = str(d.folder / concordance)
        path = d.folder / spec.file if spec.file else None
        national = national_headlines(spec.national, region=spec.region, path=path)
        ds = national_share(
            flows, national, concordance=concordance, materials=spec.materials or None
        )
        frame = ds.to_dataframe().reset_index().rename(columns={"time": "year"})
        frames.append(
            frame.assign(
                name=name,
                flows="; ".join(spec.flows),
                national_variable=ds.attrs["national_variable"],
                concordance=ds.attrs["concordance"],
                national_source=ds.attrs["national_source"],
            )
        )
        concordance, mapping = str(ds.attrs["concordance"]), str(ds.attrs["concordance_mapping"])
        shown = concordance if mapping in concordance else f"{concordance} ({mapping})"
        stated.append(
            f"{name}: {' + '.join(spec.flows)} over {spec.national} ({spec.region}, "
            f"{ds.attrs['national_source']}), concordance {shown}"
        )
    table = pd.concat(frames, ignore_index=True)
    first = ["name", "flows", "material_group", "year", "product", "national", "share"]
    table = table[[*first, *(c for c in table.columns if c not in first)]]
    shown = table[table["share"].notna()].copy()
    shown["share"] = shown["share"].map(lambda v: f"{100 * v:.3g}%")
    shown["product"] = shown["product"].round(0)
    shown = shown[["name", "material_group", "year", "product", "national", "share"]]
    text = (
        "Each share is the model's flow of the materials mapped to a national material group "
        "(t) over the national figure of that group and year (t); a year without a national "
        "figure has no share (tables/national_shares.csv gives the reason), never a filled "
        "value. The national figures count traded goods by mass: a share compares sizes, it "
        "does not place the product inside the national account (docs/macro.md). "
        + " ".join(f"{line}." for line in stated)
    )
    if shown.empty:
        text += " No year of the model has a national figure."
    return table, (text, shown.set_index("name"))


def _notes(built: Built) -> list[str]:
    """Return the report's first notes: what the run is, how its values are graded."""
    d = built.definition
    if built.msa is None:
        return [
            f"{d.title}, scenario {built.scenario!r}: "
            f"{(d.scenario(built.scenario).description or 'the declared values').rstrip('.')}.",
            "Every computed flow and stock carries the worst grade of the tables and "
            "parameters it was computed from (quality.csv); a value interpolated between "
            "given years is graded B at best.",
        ]
    assert d.msa is not None
    made = built.msa
    given = len(built.system.parameters)
    folded = sum("+" in str(code) for code in built.system.parameters)
    if not made.missing:
        absent = "every JRC code is given"
    elif d.msa.missing == "zero":
        absent = f"{len(made.missing)} JRC code(s) not given are taken as 0 (grade D)"
    else:
        absent = (
            f"{len(made.missing)} JRC code(s) are not given, so {len(made.skipped)} edge(s) "
            "and stock(s) needing them are not built (tables/msa_skipped.csv)"
        )
    notes = [
        f"{d.title}: the JRC MSA chain built from {d.msa.table} ({given} variable(s)"
        + (f", {folded} of them folds of codes joined by '+'" if folded else "")
        + f") with the JRC MSA template; {absent}.",
        "Every flow and stock carries the worst grade of the table rows it is made of "
        "(quality.csv); the JRC indicators are in tables/indicators_jrc.csv, those the table "
        "cannot give with the codes they need.",
        _imbalance_note(made.imbalance),
    ]
    if made.negative_edges:
        notes.append(
            "Derived edges negative somewhere (the data contradict each other there): "
            + ", ".join(made.negative_edges)
            + "."
        )
    return notes


def _imbalance_note(imbalance: pd.DataFrame) -> str:
    """Return how far the stages are from closing (published MSA data are rounded)."""
    head = (
        "The System is built as the table gives it, not forced to balance (published MSA data "
        "are rounded and partly estimated); tables/stage_imbalance.csv gives each stage's "
        "residual, inflow - outflow - stock change, per year"
    )
    if imbalance.empty:
        return head + ": no stage has flows in and out."
    residual = imbalance["residual"].abs()
    worst = imbalance.loc[residual.idxmax()]
    if float(residual.max()) == 0.0 or float(imbalance["relative"].abs().max()) <= _CLOSED:
        return head + f": every stage closes (within {_CLOSED:g} of its throughput)."
    relative = abs(float(worst["relative"]))
    share = f" ({plain(round(relative, 4))} of its throughput)" if relative == relative else ""
    return (
        head + f"; the largest is {plain(float(worst['residual']))} {worst['units']}{share} at "
        f"{worst['process']} in {int(worst['year'])}."
    )


def _msa_tables(built: Built) -> dict[str, pd.DataFrame]:
    """Return the tables of an MSA-table model: JRC indicators, imbalance, what was skipped."""
    assert built.msa is not None
    return {
        "indicators_jrc": indicator_table(built.system),
        "stage_imbalance": built.msa.imbalance,
        "msa_skipped": built.msa.skipped,
    }


def _call(built: Built, key: str, name: str, kind: type) -> Any:
    """Call the ``model.py`` function ``name`` on the built model; check what it returns."""
    with running_model_code(module_file(built.definition), f"in function {name!r} of {key}"):
        out = getattr(built.module, name)(built)
    if not isinstance(out, kind):
        raise ConfigError(
            f"{built.definition.path}: {key} function {name!r}: must return a "
            f"{kind.__name__} (got {type(out).__name__})"
        )
    return out


def _report_figures(built: Built, drawn: dict[str, Any]) -> list[str]:
    """Return the figures the report shows: ``[outputs] report_figures``, else the first."""
    chosen = built.definition.outputs.report_figures
    if chosen is not None:
        missing = [f for f in chosen if f not in drawn]
        if missing:
            raise ConfigError(
                f"{built.definition.path}: [outputs] report_figures: no figure {missing[0]!r}; "
                f"drawn: {sorted(drawn)}"
            )
        return list(chosen)
    first = built.definition.outputs.sankeys[0] if built.definition.outputs.sankeys else None
    prefix = "sankey" if first in (None, "system") else f"sankey_{first}"
    years = _sankey_years(built)
    return [f"{prefix}_{y}" for y in years[:1] + years[1:][-1:]] + ["stocks"]


def _sankey_years(built: Built) -> list[int]:
    years = list(built.definition.outputs.sankey_years)
    return years or [int(built.definition.coords["time"][-1])]


def _item(built: Built, item: str) -> xr.DataArray:
    """Return a flow, or the stock level of ``"stock <process>"``.

    Raises
    ------
    msa.DataError
        If an MSA-table model's table lacks the codes the flow or stock needs.
    """
    if item.startswith("stock ") and item.removeprefix("stock ") in built.system.stocks:
        return built.system.stocks[item.removeprefix("stock ")]["stock"]
    msa = built.definition.msa
    if item not in built.system.flows and built.msa is not None and msa is not None:
        skipped = built.msa.skipped
        lacking = skipped.loc[skipped["element"] == item, "missing_codes"]
        codes = f" ({lacking.iloc[0]})" if len(lacking) else ""
        raise DataError(
            f"{built.definition.path}: [outputs]: {item!r} is not built: {msa.table} does not "
            f"give the JRC code(s) it needs{codes}"
        )
    return built.system.flows[item]


def indicator_series(built: Built) -> dict[tuple[str, str], pd.Series]:
    """Return each declared indicator by year, keyed ``(name, label)`` (``"all"`` without by).

    An indicator is the sum of its numerator items over the sum of its denominator items;
    NaN where the denominator is 0.
    """
    return _as_series(indicator_arrays(built))


def _as_series(
    arrays: Mapping[tuple[str, str], xr.DataArray],
) -> dict[tuple[str, str], pd.Series]:
    return {key: values.to_series().rename(index=int) for key, values in arrays.items()}


def indicator_arrays(built: Built) -> dict[tuple[str, str], xr.DataArray]:
    """Return each declared indicator over ``time`` (and ``sample`` in a Monte Carlo chunk).

    See :func:`indicator_series`; keyed the same way.
    """
    out: dict[tuple[str, str], xr.DataArray] = {}
    sampled = ["sample"] if "sample" in built.system.coords else []
    for name, spec in built.definition.outputs.indicators.items():
        keep = ["time"] + ([spec.by] if spec.by else []) + sampled
        if spec.function is not None:
            out.update(_function_series(built, name, spec.function, spec.by))
            continue
        if spec.library is not None:
            out.update(_library_series(built, name, keep))
            continue
        assert spec.numerator is not None and spec.denominator is not None  # a ratio

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
                out[(name, str(label))] = ratio.sel({spec.by: label}, drop=True)
        else:
            out[(name, "all")] = ratio
    return {**out, **_relative_arrays(built, out)}


def _library_series(
    built: Built, name: str, keep: list[str]
) -> dict[tuple[str, str], xr.DataArray]:
    """Return a policy indicator of msa (``library``) computed from its declared inputs.

    Each input is the sum of its items over every dim but ``time``, ``sample``, the ``by``
    dim and, for an indicator that classifies materials, ``material``.
    """
    spec = built.definition.outputs.indicators[name]
    indicator = LIBRARY[str(spec.library)]
    kept = [*keep, "material"] if indicator.categories else keep
    arrays = {}
    for argument, items in spec.inputs.items():
        parts = [_item(built, i) for i in items]
        arrays[argument] = sum(p.sum([x for x in p.dims if x not in kept]) for p in parts)
    value = indicator(arrays, spec.categories)  # type: ignore[arg-type]
    value = value.transpose(*[k for k in keep if k in value.dims])
    if spec.by and spec.by in value.dims:
        return {(name, str(x)): value.sel({spec.by: x}, drop=True) for x in value[spec.by].values}
    return {(name, "all"): value}


def _relative_name(indicator: str, base_year: int) -> str:
    """Return the name of an indicator's series relative to a base year (``dmi_vs_2016``)."""
    return f"{indicator}_vs_{int(base_year)}"


def _relative_arrays(
    built: Built, arrays: Mapping[tuple[str, str], xr.DataArray]
) -> dict[tuple[str, str], xr.DataArray]:
    """Return, for every relative target, its indicator over its value in the base year.

    Keyed ``(<indicator>_vs_<base year>, label)``: what a relative target is compared with,
    per year (and sample), so the Monte Carlo judges it as any other target. NaN where the
    base-year value is 0.
    """
    targets = _declared_targets(built)
    relative = targets[targets["base_year"].notna()]
    out: dict[tuple[str, str], xr.DataArray] = {}
    for row in relative.itertuples(index=False):
        key, base = (str(row.indicator), str(row.material)), int(row.base_year)
        if key not in arrays or base not in arrays[key]["time"].values:
            continue  # target_table names the indicator or year at fault
        values = arrays[key]
        at_base = values.sel(time=base, drop=True)
        ratio = values / at_base.where(at_base != 0)
        out[(_relative_name(key[0], base), key[1])] = ratio.assign_attrs(units="1")
    return out


def _function_series(
    built: Built, name: str, function: str, by: str | None
) -> dict[tuple[str, str], xr.DataArray]:
    """Return an indicator made by a function (over time and/or ``by``, else broadcast)."""
    key = f"[outputs.indicators.{name}]"
    out = _call(built, key, function, xr.DataArray)
    extra = set(out.dims) - {"time", "sample", *([by] if by else [])}
    if extra:
        raise ConfigError(
            f"{built.definition.path}: {key} function {function!r}: returned dims "
            f"{list(out.dims)}; an indicator is over time and its 'by' dim only"
        )
    years = list(built.definition.coords["time"])
    if "time" not in out.dims:
        out = out.expand_dims(time=years)
    out = out.reindex(time=years)
    if by is None:
        return {(name, "all"): out}
    if by not in out.dims:
        out = out.expand_dims({by: list(built.definition.coords[by])})
    return {(name, str(label)): out.sel({by: label}, drop=True) for label in out[by].values}


def _series_table(series: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    rows = [
        {"indicator": name, "material": label, "time": int(year), "value": float(value)}
        for (name, label), s in series.items()
        for year, value in s.items()
    ]
    return pd.DataFrame(rows, columns=["indicator", "material", "time", "value"])


def has_targets(d: ModelDefinition) -> bool:
    """Return True if a model is judged on targets: its own table or shipped policy targets."""
    return d.outputs.targets is not None or bool(d.outputs.policies or d.outputs.policy_targets)


def _targets(built: Built, series: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    d = built.definition
    if not has_targets(d):
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "grade", "grade_shares"])
    targets = target_table(built, series)
    results = evaluate_targets(targets, series)
    last = int(d.coords["time"][-1])
    own = [
        str(r.indicator) if pd.isna(r.relative_to) else str(r.indicator).rpartition("_vs_")[0]
        for r in targets.itertuples(index=False)
    ]
    graded = [
        indicator_grade(built, name, str(r.material), last if pd.isna(r.year) else int(r.year))
        for name, r in zip(own, results.itertuples(index=False), strict=True)
    ]
    results["grade"] = [g for g, _ in graded]
    results["grade_shares"] = [s for _, s in graded]
    return results


def indicator_grade(built: Built, name: str, label: str, year: int) -> tuple[str, str]:
    """Return the worst grade an indicator rests on in ``year``, and its value's grade shares.

    A ratio rests on the cells of its numerator and denominator items in that year (of its
    ``by`` label); the shares say how much of the numerator's value rests on each grade, e.g.
    ``"B 62%, C 38%"``. An indicator made by a ``model.py`` function rests, as far as msa can
    tell, on every table and parameter of the model: their worst grade, no shares. A library
    indicator (``library``) rests on the cells of all its inputs.
    """
    spec = built.definition.outputs.indicators[name]
    order = ["A", "B", "C", "D", ""]
    if spec.function is not None:
        grades = [  # the cells a table gives (a table's own dims may leave gaps)
            str(g)
            for t in built.data.values()
            for g in np.ravel(t.grades().values[t.value.notnull().values])
        ]
        grades += [str(t.grades().values) for t in built.parameter_grades.values()]
        return max(grades, key=order.index, default=""), ""
    sides = [("numerator", spec.numerator), ("denominator", spec.denominator)]
    if spec.library is not None:  # every input counts, as a numerator
        sides = [("numerator", tuple(i for items in spec.inputs.values() for i in items))]
    worst: str = "A"
    weights = {g: 0.0 for g in order}
    for side, items in sides:
        assert items is not None
        for item in items:
            value, grade = _item(built, item), built.system.provenance[item]["grade"]
            pick: dict[str, object] = {"time": year}
            if spec.by and label != "all" and spec.by in value.dims:
                pick[spec.by] = label
            cells = np.asarray(grade.sel(pick).values, dtype=str).ravel()
            worst = max([worst, *cells], key=order.index)
            if side == "numerator":
                amounts = np.abs(np.asarray(value.sel(pick).values, dtype=float)).ravel()
                for g, amount in zip(cells, amounts, strict=True):
                    weights[g] += float(amount)
    total = sum(weights.values())
    shares = ", ".join(
        f"{g or 'ungraded'} {w / total:.0%}" for g, w in weights.items() if total and w
    )
    return worst or "ungraded", shares


def target_table(built: Built, series: Mapping[tuple[str, str], object]) -> pd.DataFrame:
    """Return the targets the model is judged on, checked against the indicators they name.

    The rows of the model's own targets table (``[outputs] targets``), then the shipped
    policy targets it declares (``[outputs] policies`` and ``policy_targets``,
    :func:`msa.policy_targets`) that it can compute. A relative target (a ``base_year``)
    names the series of its indicator relative to the base year (``<indicator>_vs_<base
    year>``, which :func:`indicator_arrays` provides); its base year is in ``relative_to``,
    so every row compares one series with its target, in the report and in a Monte Carlo.

    Raises
    ------
    msa.DataError
        A column missing from the table.
    msa.ConfigError
        A row naming an indicator (and material) the model does not declare.
    """
    d = built.definition
    targets = _declared_targets(built)
    own = len(_own_targets(built))
    for i, row in targets.iterrows():
        if (row["indicator"], row["material"]) not in series:
            known = sorted({f"{n}/{label}" for n, label in series})
            n = int(str(i))
            place = (
                f"{d.folder / str(d.outputs.targets)}: row {n + 2}"
                if n < own
                else f"{d.path}: [outputs.policy_targets] {row['target_id']}"
            )
            raise ConfigError(
                f"{place}: indicator {row['indicator']!r} for {row['material']!r} is not "
                f"declared in [outputs.indicators]; known: {known}"
            )
    relative = targets["base_year"].notna()
    targets["relative_to"] = targets["base_year"]
    targets.loc[relative, "indicator"] = [
        _relative_name(str(r.indicator), int(r.base_year))
        for r in targets[relative].itertuples(index=False)
    ]
    targets["base_year"] = pd.array([pd.NA] * len(targets), dtype="Int64")
    years = d.coords["time"]
    for row in targets[relative].itertuples(index=False):
        if (row.indicator, row.material) not in series:
            raise DataError(
                f"target {row.target_id!r}: base year {int(row.relative_to)} is outside the "
                f"model's years ({years[0]}-{years[-1]})"
            )
    return targets


def _own_targets(built: Built) -> pd.DataFrame:
    """Return the model's own targets table (``[outputs] targets``), read and typed."""
    d = built.definition
    columns = [*_TARGET_COLUMNS, "base_year"]
    if d.outputs.targets is None:
        return pd.DataFrame(columns=columns)
    path = d.folder / d.outputs.targets
    targets = pd.read_csv(path, dtype={"material": str}, keep_default_na=False)
    missing = [c for c in _TARGET_COLUMNS if c not in targets.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}")
    if "base_year" not in targets.columns:
        targets["base_year"] = ""
    targets["value"] = pd.to_numeric(targets["value"], errors="raise")
    return targets


def _declared_targets(built: Built) -> pd.DataFrame:
    """Return the model's own targets and the shipped ones it computes, one table."""
    out = built.definition.outputs
    own = _own_targets(built)
    shipped, _, _ = resolve_policy_targets(
        out.policies, out.policy_targets, indicator_labels(built.definition)
    )
    targets = pd.concat([own, shipped], ignore_index=True) if len(shipped) else own
    for column in ("year", "base_year"):
        targets[column] = pd.to_numeric(targets[column], errors="coerce").astype("Int64")
    return targets.reset_index(drop=True)


def not_computable_targets(built: Built) -> pd.DataFrame:
    """Return the shipped policy targets the model declares but cannot compute.

    Columns ``target_id, policy, indicator, material, year, base_year, comparison, value,
    units, needs, source``: ``needs`` is what computing the target takes (the model's
    ``{ needs = ... }``, else the shipped table's).
    """
    out = built.definition.outputs
    _, lacking, _ = resolve_policy_targets(
        out.policies, out.policy_targets, indicator_labels(built.definition)
    )
    columns = ["target_id", "policy", "indicator", "material", "year", "base_year"]
    columns += ["comparison", "value", "units", "needs", "source"]
    rows = [{**{c: row.get(c) for c in columns}, "needs": needs} for row, needs in lacking]
    return pd.DataFrame(rows, columns=columns)


def _flows_table(built: Built) -> pd.DataFrame:
    if not built.system.flows:
        dims = list(built.system.dims)
        return pd.DataFrame(columns=["flow", *dims, "value", "units", "grade", "source_id"])
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


def _headline(
    built: Built,
    arrays: Mapping[tuple[str, str], xr.DataArray],
    tables: dict[str, pd.DataFrame],
) -> pd.DataFrame:
    d = built.definition
    if not d.outputs.headline and built.msa is not None:
        return _indicator_headline(built, tables["indicators_jrc"])
    rows = [
        {"label": label, "value": float(value), "units": units}
        for label, value, units in headline_values(built, arrays, tables)
    ]
    return pd.DataFrame(rows).set_index("label")


def headline_values(
    built: Built,
    arrays: Mapping[tuple[str, str], xr.DataArray],
    tables: Mapping[str, pd.DataFrame],
) -> list[tuple[str, xr.DataArray, str]]:
    """Return ``(label, value, units)`` of every headline number of a declared model.

    A value is a scalar DataArray, or one over ``sample`` for a chunk of a Monte Carlo run.
    ``arrays`` are :func:`indicator_arrays`; a number read from an output table (``table =
    ...``) is left out when ``tables`` lacks that table.
    """
    d = built.definition
    items = list(d.outputs.headline) or [f"stock {p}" for p in built.system.stocks]
    out = []
    for item in items:
        if isinstance(item, HeadlineSpec):
            if item.table is None or item.table in tables:
                out.append(_labelled(built, item, arrays, tables))
            continue
        da = _item(built, item)
        total = da.sum([x for x in da.dims if x not in ("time", "sample")])
        units = da.attrs.get("units") or built.system.stocks.get(
            item.removeprefix("stock "), xr.Dataset()
        ).attrs.get("units", "t")
        for year in _sankey_years(built):
            label = f"{item} end {year}" if item.startswith("stock ") else f"{item} {year}"
            out.append((label, total.sel(time=year, drop=True), str(units)))
    return out


def _indicator_headline(built: Built, indicators: pd.DataFrame) -> pd.DataFrame:
    """Return the headline of an MSA-table model: the JRC indicators in the Sankey years.

    The label is ``"<indicator> <year>"``, with the material and region where the table has
    several.
    """
    rows = indicators[indicators["year"].isin(_sankey_years(built)) & indicators["value"].notna()]
    several = [c for c in ("material", "region") if len(built.system.coords.get(c, ())) > 1]
    out = []
    for row in rows.itertuples(index=False):
        where = ", ".join(str(getattr(row, c)) for c in several)
        label = f"{row.indicator} {row.year}" + (f" ({where})" if where else "")
        out.append({"label": label, "value": float(row.value), "units": row.units})
    return pd.DataFrame(out, columns=["label", "value", "units"]).set_index("label")


def _labelled(
    built: Built,
    item: HeadlineSpec,
    arrays: Mapping[tuple[str, str], xr.DataArray],
    tables: Mapping[str, pd.DataFrame],
) -> tuple[str, xr.DataArray, str]:
    """One labelled headline number (see :class:`~msa.model.definition.HeadlineSpec`)."""
    units = item.units
    if item.sum is not None:
        parts = [_item(built, name) for name in item.sum]
        units = units or str(parts[0].attrs.get("units") or _units_of(built, item.sum[0]))
        first, last = item.years or (item.year, item.year)
        value = xr.DataArray(0.0)
        for part in parts:
            part = part.sel({k: str(v) for k, v in item.where.items()})
            part = part.sel(time=slice(first, last))
            value = value + part.sum([x for x in part.dims if x != "sample"])
    elif item.indicator is not None:
        by_label = str(next(iter(item.where.values()), "all"))
        series = arrays[(item.indicator, by_label)]
        value = series.reindex(time=[item.year]).squeeze("time", drop=True)  # NaN if absent
        units = units or "1"
    else:
        assert item.table is not None and item.column is not None  # checked by the schema
        frame = tables[item.table]
        key = f"{built.definition.path}: [outputs] headline {item.label!r}"
        time = "time" if "time" in frame.columns else "year"
        for column in (item.column, time, *item.where):
            if column not in frame.columns:
                raise ConfigError(f"{key}: table {item.table!r} has no column {column!r}")
        years = pd.to_numeric(frame[time], errors="coerce").astype(float)  # NA: no year
        rows = frame[(years == item.year).to_numpy()]
        for column, label in item.where.items():
            rows = rows[rows[column].astype(str) == str(label)]
        value = xr.DataArray(float(rows[item.column].sum()))
        units = units or (str(rows["units"].iloc[0]) if "units" in rows and len(rows) else "")
    return item.label, value, units


def _units_of(built: Built, item: str) -> str:
    stock = built.system.stocks.get(item.removeprefix("stock "))
    return str(stock.attrs.get("units", "t")) if stock is not None else "t"


def _quality(built: Built) -> pd.DataFrame:
    """Grades of the inputs, then of every computed flow and stock, with the worst grade.

    An input's shares count its values; a computed flow's or stock's shares are of its
    amount: the share of the sum of its absolute cell values resting on each grade.
    """
    inputs: dict[str, list[str]] = {  # the cells a table gives (own dims may leave gaps)
        f"table {name}": list(t.grades().values[t.value.notnull().values].ravel())
        for name, t in built.data.items()
    }
    inputs.update(
        {f"parameter {n}": [str(t.grades().values)] for n, t in built.parameter_grades.items()}
    )
    d = built.definition
    if d.msa is not None:  # the MSA table: one grade per row
        inputs[f"table {d.msa.table}"] = list(read_msa_table(d.folder / d.msa.table)["grade"])
    computed: dict[str, list[str]] = {}
    amounts: dict[str, list[float]] = {}
    for key, ds in built.system.provenance.items():
        if key.startswith("parameter "):
            continue
        name = key if " => " not in key else f"flow {key}"
        computed[name] = list(np.asarray(ds["grade"].values, dtype=str).ravel())
        value = _computed_value(built, key)
        if value is not None:
            value = value.broadcast_like(ds["grade"]).transpose(*ds["grade"].dims)
            amounts[name] = list(np.asarray(value.values, dtype=float).ravel())
    table = pd.concat([grade_summary(inputs), grade_summary(computed, amounts).drop("all inputs")])
    table["shares_of"] = ["values"] * (len(table) - len(computed)) + [
        "amount" if name in amounts else "values" for name in computed
    ]
    order = ["A", "B", "C", "D", ""]
    worst = {
        name: max(grades, key=lambda g: order.index(g) if g in order else len(order))
        for name, grades in {**inputs, **computed}.items()
    }
    table["worst"] = [worst.get(str(i), "") for i in table.index]
    table.index.name = "inputs"
    return table


def _computed_value(built: Built, key: str) -> xr.DataArray | None:
    """Return the amount a provenance key stands for (a flow, stock or stock change)."""
    system = built.system
    if key in system.flows:
        return system.flows[key]
    kind, _, pid = key.partition(" ")
    if pid in system.stocks and kind in ("stock", "stock_change"):
        return system.stocks[pid][kind]
    return None


def _figures(built: Built, bands: pd.DataFrame | None = None, lang: Lang = "en") -> dict[str, Any]:
    """Draw the System's Sankeys, its stocks and its flows over time, in ``lang``."""
    from msa.figures.series import sankey_series

    system = built.system
    figures: dict[str, Any] = {}
    page = _sankey_page(built)
    if "system" in built.definition.outputs.sankeys:
        years = _sankey_years(built)
        if bands is None:
            sankeys = sankey_series(system, years=years, title=built.definition.title, **page)
        else:  # a Monte Carlo: every link labelled median (p5-p95)
            tables: dict[Hashable, pd.DataFrame] = {
                year: links_with_ranges(system, year, bands) for year in years
            }
            sankeys = sankey_series(
                tables, title=built.definition.title, link_labels="range", **page
            )
        figures.update({f"sankey_{year}": fig for year, fig in sankeys.items()})
    if system.stocks:
        figures["stocks"] = _stocks_figure(built, bands, lang)
    if system.flows:  # an MSA-table model may carry only stocks and boundary totals
        figures["flows"] = _flows_figure(built, bands, lang)
    return figures


def _sankey_page(built: Built) -> dict[str, Any]:
    """Return the Sankeys' subtitle and print preset (``[outputs] sankey_preset``) as options.

    The subtitle says what is counted and the mass basis
    (:func:`msa.figures.labels.default_subtitle`).
    """
    from msa.figures.labels import default_subtitle

    preset = built.definition.outputs.sankey_preset
    return {"subtitle": default_subtitle(built.system, "en")} | (
        {"preset": preset} if preset else {}
    )


def _flows_figure(built: Built, bands: pd.DataFrame | None, lang: Lang) -> Any:
    """Draw the headline flows (else the first six) per year, with their p5-p95 bands."""
    from msa.figures.plots import time_series

    system = built.system
    listed = [i for i in built.definition.outputs.headline if isinstance(i, str)]
    rows = []
    for name in (n for n in listed or list(system.flows)[:6] if n in system.flows):
        da = system.flows[name]
        total = da.sum([x for x in da.dims if x != "time"])
        ends = [system.processes[p] for p in (da.attrs["source"], da.attrs["target"])]
        shown = " \u2192 ".join(p.label(lang) for p in ends)
        rows.append(_series_rows(total, shown, bands, name, "all"))
    units = _per_year(next(iter(system.flows.values())).attrs.get("units", "t"))
    return time_series(
        pd.concat(rows, ignore_index=True) if rows else _NO_ROWS,
        units=units,
        title=_WORDS["flows"][lang].format(title=built.definition.title),
        subtitle=_band_note(bands, lang) or None,
        quantity=_WORDS["flow"][lang],
        low="low" if bands is not None else None,
        high="high" if bands is not None else None,
        lang=lang,
    )


#: The words of the standard plots, in the figure's language.
_WORDS: dict[str, dict[str, str]] = {
    "flows": {"en": "{title}: flows per year", "nl": "{title}: stromen per jaar"},
    "flow": {"en": "Flow", "nl": "Stroom"},
    "stocks": {
        "en": "{title}: stocks at the end of each year",
        "nl": "{title}: voorraden aan het eind van elk jaar",
    },
    "stock": {"en": "Stock", "nl": "Voorraad"},
    "band": {
        "en": "shaded: p5\u2013p95 of {n} Monte Carlo samples",
        "nl": "gearceerd: p5\u2013p95 van {n} Monte-Carlotrekkingen",
    },
}
_NO_ROWS = pd.DataFrame({"year": [], "value": [], "series": []})


def _per_year(units: str) -> str:
    """Return the unit of a flow per year (``t`` gives ``t/yr``; a rate stays as it is)."""
    return units if "/" in units else f"{units}/yr"


def _series_rows(
    total: xr.DataArray, series: str, bands: pd.DataFrame | None, quantity: str, material: str
) -> pd.DataFrame:
    """Return one series over time as rows of a plot, with its p5 and p95 where known."""
    rows = pd.DataFrame(
        {"year": total["time"].values.astype(int), "value": total.values, "series": series}
    )
    if bands is None:
        return rows
    mine = bands[(bands["quantity"] == quantity) & (bands["material"] == material)]
    ranges = mine.set_index("year")[["p5", "p95"]].rename(columns={"p5": "low", "p95": "high"})
    return rows.join(ranges, on="year")


def links_with_ranges(system: System, year: int, bands: pd.DataFrame) -> pd.DataFrame:
    """Return a year's links with the ``p5``, ``p50``, ``p95`` of their flow (or stock change).

    ``bands`` is a Monte Carlo's ``uncertainty.csv`` (``MonteCarlo.table`` of
    :mod:`msa.model.montecarlo`); the result draws with ``sankey(links, link_labels="range")``.

    The links are one row per flow (total over its dims), as ``uncertainty.csv`` has them
    (material ``all``). A stock's rows (an addition and a depletion where materials differ)
    become one row of its net change, which takes the range of the process's
    ``stock_change`` (negated where the net change is a depletion).
    """
    from msa.figures.links import links_from_system

    links = links_from_system(system, year)
    rows = bands[(bands["material"] == "all") & (bands["year"] == year)].set_index("quantity")
    stocks = links["flow_type"].eq("stock")
    keep = [links[~stocks]]
    for pid in system.stocks:
        mine = links[stocks & ((links["source"] == pid) | (links["target"] == pid))]
        if mine.empty:
            continue
        adds = mine["source"] == pid
        net = float(mine["value"].where(adds, -mine["value"]).sum())
        same_way = mine[adds == (net >= 0)]  # a row drawn the way the net change goes
        one = same_way.iloc[[int(np.argmax(same_way["value"].to_numpy()))]].copy()
        one["value"] = abs(net)
        keep.append(one)
    links = pd.concat(keep, ignore_index=True)
    for column in ("p5", "p50", "p95"):
        links[column] = np.nan
    for i, (source, target) in enumerate(zip(links["source"], links["target"], strict=True)):
        key, sign = f"{source} => {target}", 1.0
        if links.at[i, "flow_type"] == "stock":
            pid = source if source in system.stocks else target
            key, sign = f"stock_change {pid}", 1.0 if source == pid else -1.0
        if key in rows.index:
            p5, p50, p95 = (sign * float(rows.at[key, c]) for c in ("p5", "p50", "p95"))
            links.loc[i, ["p5", "p50", "p95"]] = sorted((p5, p95))[0], p50, max(p5, p95)
    return links


def _band_note(bands: pd.DataFrame | None, lang: Lang = "en") -> str:
    """Return the subtitle saying what the shaded bands are ("" without a Monte Carlo)."""
    if bands is None or bands.empty:
        return ""
    from msa.figures.labels import format_value

    n = format_value(float(bands["n"].max()), "", lang, digits=12)
    return _WORDS["band"][lang].format(n=n)


def _stocks_figure(built: Built, bands: pd.DataFrame | None = None, lang: Lang = "en") -> Any:
    """Draw the stocks over time, one panel and axis per material.

    Each material on its own axis: the urban mine of a scarce material (silver) is as readable
    as that of a bulk one (glass).
    """
    from msa.figures.plots import time_series

    system = built.system
    materials = next(
        (
            [str(m) for m in ds["material"].values]
            for ds in system.stocks.values()
            if "material" in ds["stock"].dims
        ),
        [""],
    )
    rows = []
    for material in materials:
        for pid, ds in system.stocks.items():
            level = ds["stock"]
            if material and "material" in level.dims:
                level = level.sel(material=material)
            total = level.sum([x for x in level.dims if x != "time"])
            label = system.processes[pid].label(lang)
            one = _series_rows(total, label, bands, f"stock {pid}", material or "all")
            rows.append(one.assign(material=material))
    units = next(iter(system.stocks.values()))["stock"].attrs.get("units", "t")
    return time_series(
        pd.concat(rows, ignore_index=True),
        units=units,
        title=_WORDS["stocks"][lang].format(title=built.definition.title),
        subtitle=_band_note(bands, lang) or None,
        quantity=_WORDS["stock"][lang],
        panel="material" if materials != [""] else None,
        low="low" if bands is not None else None,
        high="high" if bands is not None else None,
        lang=lang,
        columns=3,
    )


def _net_stock_links(links: pd.DataFrame) -> pd.DataFrame:
    """Net a view's stock-change links over material and region before they are drawn.

    A view draws a negative net addition reversed, per material (its note says so); summed
    over materials, a stock growing in one material and shrinking in another would be drawn
    as two opposite bands. The figure shows the net change per link and year, reversed (and
    noted) when it is negative.
    """
    stock = links["flow_type"] == "stock"
    if not stock.any():
        return links
    change = links[stock].copy()
    flipped = change["note"].fillna("").str.contains(REVERSED)
    ends = ["source", "target", "source_label", "target_label", "source_label_en"]
    ends.append("target_label_en")
    swapped = ["target", "source", "target_label", "source_label", "target_label_en"]
    swapped.append("source_label_en")
    change.loc[flipped, ends] = change.loc[flipped, swapped].to_numpy()
    change["value"] = change["value"].where(~flipped, -change["value"])
    change["note"] = change["note"].fillna("").str.replace(f"; {REVERSED}", "")
    change["note"] = change["note"].str.replace(REVERSED, "")
    keys = [k for k in change.columns if k not in ("value", "material", "region")]
    net = change.groupby(keys, dropna=False, sort=False)["value"].sum().reset_index()
    negative = net["value"] < 0
    net.loc[negative, ends] = net.loc[negative, swapped].to_numpy()
    net.loc[negative, "note"] = [
        f"{n}; {REVERSED}" if n else REVERSED for n in net.loc[negative, "note"]
    ]
    net["value"] = net["value"].abs()
    return pd.concat([links[~stock], net], ignore_index=True)


def _view_sankeys(
    built: Built, view: str, *, draw: bool = True
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Sankeys of a view in the Sankey years at one scale; its links; what it leaves out.

    The links are summed over material; what the view leaves out of each node is drawn to and
    from *Not in this view* (:func:`msa.scope_gaps`), so every node visibly balances. The
    common scale is the fit-to-page scale of the busiest year.
    """
    from msa.figures.links import held_inside_note
    from msa.jrc_msa.gaps import scope_gaps
    from msa.jrc_msa.node_views import process_view
    from msa.jrc_msa.views import apply_view, load_mapping

    mapping = load_mapping(view)
    placed = {p: s.views[view] for p, s in built.definition.processes.items() if view in s.views}
    tables: dict[Hashable, pd.DataFrame] = {}
    outside, notes = [], []
    for year in _sankey_years(built):
        if placed:
            shown = process_view(built.system, mapping, placed, year=year)
        else:
            shown = apply_view(built.system, mapping, year=year)
        links = _net_stock_links(shown.links)
        keys = [k for k in links.columns if k not in ("value", "material", "region")]
        links = links.groupby(keys, dropna=False, sort=False)["value"].sum().reset_index()
        tables[year] = pd.concat([links, scope_gaps(shown)], ignore_index=True)
        outside.append(shown.out_of_scope.assign(year=year))
        held = held_inside_note(shown, year, "en")
        notes += [n for n in (*shown.footnotes, held) if n and n not in notes]
    figures: dict[str, Any] = {}
    if draw:
        from msa.figures.diagram import sankey
        from msa.figures.series import sankey_series

        options = {"nodes": mapping.nodes, "lang": "en", "color_by": "flow_type"}
        options |= {"footnotes": notes} | _sankey_page(built)
        busiest = max(tables, key=lambda y: float(tables[y]["value"].sum()))
        fit = sankey(tables[busiest], title="fit", **options)
        scenario = f" ({built.scenario})" if built.msa is None else ""  # an MSA table: one
        name = {"jrc": "JRC MSA", "icer_national": "ICER national"}.get(view, view.upper())
        title = f"{built.definition.title}, {name} view{scenario},"
        drawn = sankey_series(
            tables, title=title, scale=fit.layout.meta["msa_sankey"]["units_per_px"], **options
        )
        figures = {f"sankey_{view}_{year}": fig for year, fig in drawn.items()}
    return (
        figures,
        pd.concat(tables.values(), ignore_index=True),
        pd.concat(outside, ignore_index=True),
    )
