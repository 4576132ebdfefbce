"""Checks of a model declaration that a schema cannot make: how its parts refer to each other.

Run by :func:`msa.model.definition.load_definition` after the schema: every flow joins two
declared processes, every name used is declared (a parameter used as a number holds one), every
flow is computed exactly once, stocks and their outflows fit together, scenario overrides fit
the type and bounds of their parameters, and no flow depends on itself except through a stock.
Tables: a row filter names a column that is no dim and a label or a string parameter; a table
with dims of its own is used by functions only. Stocks: an inflow entering used enters the
stock, its age a number or a numeric parameter; a stock-driven stock has a table of levels over
time and one inflow, which only it computes; an initial stock is a table by ``cohort``.
Outputs: Sankeys of the System or a known view, indicators and labelled headline numbers naming
declared items, dims and labels, output functions with a module, shipped policy targets that
exist and are answered by declared indicators and labels (one error line per bad key). An
MSA-table model (``[msa]``) declares no processes and flows: its outputs may name the flows and
stocks of the JRC MSA template (``"Collection => Recycling"``, ``"stock Use"``) and its
standard tables (``indicators_jrc``, ``stage_imbalance``).
Each problem is one :class:`msa.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import xarray as xr

from msa.errors import ConfigError, MsaError
from msa.jrc_msa.macro import national_headlines, national_share
from msa.jrc_msa.policy_indicators import LIBRARY
from msa.jrc_msa.tables import reference_table
from msa.model.report import resolve_policy_targets
from msa.model.units import conversion_factor, registry

if TYPE_CHECKING:
    from msa.model.definition import DataSpec, FlowSpec, HeadlineSpec, ModelDefinition, StockSpec

__all__ = [
    "MSA_TABLES",
    "check_definition",
    "flow_dependencies",
    "indicator_labels",
    "names_in",
    "template_flows",
    "template_stocks",
]

_ARROW = " => "
_TERM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")


def names_in(expression: str, *, where: str) -> list[str]:
    """Return the names (and numbers) multiplied in ``expression`` (``"a * b * 0.5"``).

    Raises
    ------
    msa.ConfigError
        If the expression is not a product of names and numbers.

    Examples
    --------
    >>> names_in("capacity * panel_mass * 1e-3", where="x")
    ['capacity', 'panel_mass', '1e-3']
    """
    terms = expression.split("*")
    names = []
    for term in terms:
        match = _TERM.match(term)
        if not match:
            raise ConfigError(
                f"{where}: {expression!r} is not a product of table names, parameter names and "
                "numbers joined by '*'"
            )
        names.append(match.group(1))
    return names


def _is_number(term: str) -> bool:
    return term[0].isdigit()


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_numeric_parameter(d: ModelDefinition, key: str, name: str) -> None:
    """Refuse a parameter used as a number (in a product, a share, a lifetime) holding none."""
    param = d.parameters.get(name)
    if param is not None and not _numeric(param.value):
        raise _fail(d, key, f"parameter {name!r} is not a number (got {param.value!r})")


def check_definition(d: ModelDefinition) -> None:
    """Check how the parts of a validated declaration refer to each other.

    Raises
    ------
    msa.ConfigError
        On the first problem, naming the file and the key.
    """
    _check_dims_and_data(d)
    _check_processes_and_flows(d)
    _check_stocks(d)
    _check_jrc_codes(d)
    for name, flow in d.flows.items():
        _check_flow_names(d, name, flow)
    _check_outputs(d)
    _check_scenarios(d)
    _check_no_cycle(d)
    _check_uncertainty(d)


def _check_jrc_codes(d: ModelDefinition) -> None:
    """Every ``jrc_code`` of a flow or stock is a known JRC MSA code (or codes joined by +)."""
    from msa.jrc_msa.tables import split_codes

    given = [(f"{_flow_key(n)} jrc_code", f.jrc_code) for n, f in d.flows.items()]
    for pid, stock in d.stocks.items():
        given += [(f"[stocks.{pid}] jrc_code", stock.jrc_code)]
        given += [(f"[stocks.{pid}] change_jrc_code", stock.change_jrc_code)]
    for key, code in given:
        if code is None:
            continue
        try:
            split_codes(code, where=f"{d.path}: {key}")
        except MsaError as err:
            raise ConfigError(str(err)) from err


def _check_uncertainty(d: ModelDefinition) -> None:
    """Check that a declared ``uncertainty`` is a distribution its parameter can take."""
    from msa.uncertainty import resolve_uncertainty

    shares = {f.share for f in d.flows.values() if isinstance(f.share, str)}
    for name, spec in d.parameters.items():
        if not isinstance(spec.uncertainty, dict):
            continue
        if not isinstance(spec.value, int | float) or isinstance(spec.value, bool):
            raise _fail(d, f"[parameters] {name} uncertainty", "only a number can be uncertain")
        resolve_uncertainty(
            float(spec.value),
            spec.grade,
            spec.clo_grade,
            spec.bounds,
            spec.uncertainty,
            share=name in shares,
            where=f"{d.path}: [parameters] {name}",
        )


def _fail(d: ModelDefinition, key: str, message: str) -> ConfigError:
    return ConfigError(f"{d.path}: {key}: {message}")


def _flow_key(name: str) -> str:
    return f'[flows."{name}"]'


def _check_dims_and_data(d: ModelDefinition) -> None:
    """Every data table names declared dims and parseable units; its file exists."""
    for name, spec in d.data.items():
        key = f"[data.{name}]"
        for dim in spec.own_dims:
            if dim not in spec.dims:
                raise _fail(d, f"{key} own_dims", f"{dim!r} is not one of its dims")
            if dim in d.coords:
                raise _fail(d, f"{key} own_dims", f"{dim!r} is a dim of the model, not its own")
        for dim in spec.dims:
            if dim not in d.coords and dim not in spec.own_dims:
                raise _fail(
                    d,
                    f"{key} dims",
                    f"unknown dim {dim!r}; declared: {list(d.coords)} (or list it in own_dims)",
                )
        _check_where(d, key, spec)
        if spec.sums_to_one is not None and spec.sums_to_one not in spec.dims:
            raise _fail(d, f"{key} sums_to_one", f"{spec.sums_to_one!r} is not one of its dims")
        if spec.interpolate == "linear" and "time" not in spec.dims:
            raise _fail(d, f"{key} interpolate", "linear interpolation needs the time dim")
        if not (d.folder / spec.file).is_file():
            raise _fail(d, f"{key} file", f"{spec.file!r} not found in {d.folder}")
        _check_units(d, f"{key} units", spec.units)
    for name, param in d.parameters.items():
        _check_units(d, f"[parameters] {name} units", param.units)


def _check_where(d: ModelDefinition, key: str, spec: DataSpec) -> None:
    """Check a row filter: a column that is not a dim, and a label or a string parameter."""
    for column, label in spec.where.items():
        if column in spec.dims or column in ("year", "value", "units", "source_id", "grade"):
            raise _fail(d, f"{key} where", f"{column!r} is a dim or value column, not a filter")
        if isinstance(label, str):
            continue
        param = d.parameters.get(label.parameter)
        if param is None:
            raise _fail(
                d, f"{key} where.{column}", f"{label.parameter!r} is not a declared parameter"
            )
        if not isinstance(param.value, str):
            raise _fail(
                d,
                f"{key} where.{column}",
                f"parameter {label.parameter!r} must hold a label (got {param.value!r})",
            )


def _check_units(d: ModelDefinition, key: str, units: str) -> None:
    if units.strip() in ("", "1", "-"):
        return
    try:
        registry().Unit(units)
    except Exception as err:  # pint raises several unrelated classes for a bad string
        raise _fail(d, key, f"unknown units {units!r} ({type(err).__name__})") from err


def _check_processes_and_flows(d: ModelDefinition) -> None:
    """Flows join declared processes; every process is joined, in one unit; one remainder each."""
    remainders: dict[str, str] = {}
    for name, flow in d.flows.items():
        source = _check_flow_ends(d, name, flow)
        if flow.remainder:
            if source in remainders:
                raise _fail(
                    d,
                    _flow_key(name),
                    f"process {source!r} already has a remainder flow ({remainders[source]!r})",
                )
            remainders[source] = name
    touched = {end for name in d.flows for end in d.ends(name)}
    for pid, process in d.processes.items():
        if pid not in touched:
            raise _fail(d, f"[processes.{pid}]", "no flow enters or leaves this process")
        ins = [f for f in d.flows if f.endswith(_ARROW + pid)]
        outs = [f for f in d.flows if f.startswith(pid + _ARROW)]
        if process.kind == "transformation" and (not ins or not outs):
            raise _fail(
                d,
                f"[processes.{pid}]",
                "a transformation needs flows in and out (make it a boundary or a stock)",
            )
        if process.kind != "boundary":  # a process balances in one unit (msa.check_balance)
            given = [d.flows[f].units for f in ins + outs]
            usual = max(given, key=given.count)  # blame the odd one out
            for member, units in zip(ins + outs, given, strict=True):
                if units != usual:
                    raise _fail(
                        d,
                        f"{_flow_key(member)} units",
                        f"{units!r} differs from {usual!r} of the other flows of process "
                        f"{pid!r}; give every flow of a process the same units",
                    )


def _check_flow_ends(d: ModelDefinition, name: str, flow: FlowSpec) -> str:
    """Check a flow's name, ends, dims and units; return its source process."""
    parts = name.split(_ARROW)
    if len(parts) != 2 or not all(p.strip() == p and p for p in parts):
        raise _fail(d, _flow_key(name), "name a flow 'source => target'")
    source, target = parts
    for end in (source, target):
        if end not in d.processes:
            raise _fail(d, _flow_key(name), f"unknown process {end!r}; declare it in [processes]")
    if source == target:
        raise _fail(d, _flow_key(name), "a flow must join two different processes")
    for dim in flow.dims or ():
        if dim not in d.coords:
            raise _fail(d, f"{_flow_key(name)} dims", f"unknown dim {dim!r}")
    _check_units(d, f"{_flow_key(name)} units", flow.units)
    return source


def _check_stocks(d: ModelDefinition) -> None:
    """Stocks belong to stock processes; a stock's outflow leaves it and is computed by it."""
    for pid, stock in d.stocks.items():
        _check_stock(d, pid, stock)
    for pid, process in d.processes.items():
        outs = [f for f in d.flows if f.startswith(pid + _ARROW)]
        others = [f for f in outs if d.flows[f].way is None]
        if process.kind == "stock" and pid not in d.stocks and others:
            raise _fail(
                d,
                f"[processes.{pid}]",
                f"stock process {pid!r} has an outflow ({others[0]!r}) but no [stocks.{pid}] "
                "lifetime; declare one (an accumulating stock has no outflow)",
            )
    by_stocks = {s.outflow for s in d.stocks.values()}
    by_stocks |= {s.inflow for s in d.stocks.values() if s.inflow is not None}
    for name, flow in d.flows.items():
        if flow.way is None and name not in by_stocks:
            raise _fail(
                d,
                _flow_key(name),
                "nothing computes this flow: give value, share, remainder or function, or make "
                "it the outflow of a stock (or the inflow of a stock-driven stock)",
            )


def _check_stock(d: ModelDefinition, pid: str, stock: StockSpec) -> None:
    """One ``[stocks.<pid>]`` entry: a stock process, its outflow, its lifetime's names."""
    key = f"[stocks.{pid}]"
    if pid not in d.processes:
        raise _fail(d, key, f"unknown process {pid!r}")
    if d.processes[pid].kind != "stock":
        raise _fail(d, key, f"process {pid!r} is a {d.processes[pid].kind}, not a stock")
    if stock.outflow not in d.flows:
        raise _fail(d, f"{key} outflow", f"{stock.outflow!r} is not a declared flow")
    if not stock.outflow.startswith(pid + _ARROW):
        raise _fail(d, f"{key} outflow", f"{stock.outflow!r} does not leave {pid!r}")
    way = d.flows[stock.outflow].way
    if way is not None:
        raise _fail(
            d,
            f"{_flow_key(stock.outflow)} {way}",
            f"this flow is the outflow of stock {pid!r}, which computes it; remove the key",
        )
    life = stock.lifetime
    factors = {
        "cohort_factor": life.cohort_factor,
        "cohort_factor_from": life.cohort_factor_from,
        "year_factor": life.year_factor,
        "year_factor_from": life.year_factor_from,
    }
    for param, value in {**life.parameters, **factors}.items():
        if isinstance(value, str) and value not in d.parameters:
            raise _fail(d, f"{key} lifetime.{param}", f"{value!r} is not a declared parameter")
        if isinstance(value, str):
            _check_numeric_parameter(d, f"{key} lifetime.{param}", value)
    if not any(f.endswith(_ARROW + pid) for f in d.flows):
        raise _fail(d, key, f"no flow enters stock {pid!r}")
    _check_entry_ages(d, pid, stock)
    if stock.stock_driven:
        _check_stock_driven(d, pid, stock)
    if stock.initial_stock is not None:
        _check_initial_stock(d, pid, stock.initial_stock)


def _check_stock_driven(d: ModelDefinition, pid: str, stock: StockSpec) -> None:
    """Check a stock-driven stock: a table of levels over time, one inflow it computes."""
    key = f"[stocks.{pid}]"
    assert stock.stock is not None and stock.inflow is not None
    table = d.data.get(stock.stock)
    if table is None:
        raise _fail(d, f"{key} stock", f"{stock.stock!r} is not a declared table")
    if "time" not in table.dims:
        raise _fail(
            d,
            f"{key} stock",
            f"table {stock.stock!r} has no time dim; give the stock at the end of each year",
        )
    if table.own_dims:
        raise _fail(
            d,
            f"{key} stock",
            f"table {stock.stock!r} has dims of its own {list(table.own_dims)}; a stock is over "
            "the model's dims",
        )
    inflows = [f for f in d.flows if f.endswith(_ARROW + pid)]
    if stock.inflow not in inflows:
        raise _fail(d, f"{key} inflow", f"{stock.inflow!r} is not a declared flow into {pid!r}")
    others = [f for f in inflows if f != stock.inflow]
    if others:
        raise _fail(
            d,
            f"{key} inflow",
            f"stock {pid!r} is stock-driven: its one inflow {stock.inflow!r} is computed from "
            f"its stock, so {others[0]!r} cannot enter it too; let it enter the process "
            f"{d.ends(stock.inflow)[0]!r} upstream instead",
        )
    way = d.flows[stock.inflow].way
    if way is not None:
        raise _fail(
            d,
            f"{_flow_key(stock.inflow)} {way}",
            f"this flow is the inflow of stock-driven stock {pid!r}, which computes it from "
            f"table {stock.stock!r}; remove the key",
        )
    _check_convertible(d, f"{key} stock", table.units, d.flows[stock.inflow].units)


def _check_initial_stock(d: ModelDefinition, pid: str, name: str) -> None:
    """Check an initial stock: a table by ``cohort`` (an own dim) and no ``time``."""
    key = f"[stocks.{pid}] initial_stock"
    table = d.data.get(name)
    if table is None:
        raise _fail(d, key, f"{name!r} is not a declared table")
    if "cohort" not in table.dims:
        raise _fail(
            d,
            key,
            f"table {name!r} needs a 'cohort' dim (the year of entry): dims = [..., \"cohort\"], "
            'own_dims = ["cohort"]',
        )
    if "time" in table.dims:
        raise _fail(
            d,
            key,
            f"table {name!r} has a time dim; the initial stock is the stock at the end of "
            f"{d.coords['time'][0] - 1} by cohort",
        )
    if set(table.own_dims) != {"cohort"}:
        raise _fail(
            d,
            key,
            f"table {name!r} may have 'cohort' as its only own dim (got {list(table.own_dims)})",
        )
    outflow = d.stocks[pid].outflow
    _check_convertible(d, key, table.units, d.flows[outflow].units)


def _check_convertible(d: ModelDefinition, key: str, given: str, declared: str) -> None:
    """Refuse a table whose units do not convert to those of the stock's flows."""
    try:
        conversion_factor(given, declared, where=f"{d.path}: {key}")
    except ConfigError as err:
        raise _fail(
            d,
            key,
            f"units {given!r} cannot be converted to {declared!r}, the units of the stock's flows",
        ) from err


def _check_entry_ages(d: ModelDefinition, pid: str, stock: StockSpec) -> None:
    """Each inflow entering used is a flow into the stock; its age a number or parameter."""
    key = f"[stocks.{pid}]"
    for flow, age in stock.entry_age.items():
        if not flow.endswith(_ARROW + pid) or flow not in d.flows:
            raise _fail(d, f"{key} entry_age", f"{flow!r} is not a declared flow into {pid!r}")
        if isinstance(age, str):
            if age not in d.parameters:
                raise _fail(d, f"{key} entry_age", f"{age!r} is not a declared parameter")
            _check_numeric_parameter(d, f"{key} entry_age", age)
        elif age < 0:
            raise _fail(d, f"{key} entry_age", f"an age is 0 or more years (got {age})")


def _check_flow_names(d: ModelDefinition, name: str, flow: FlowSpec) -> None:
    """Every table, parameter, flow and function a flow names is declared."""
    key = _flow_key(name)
    known = set(d.data) | set(d.parameters)
    if flow.value is not None:
        for term in names_in(flow.value, where=f"{d.path}: {key} value"):
            if not _is_number(term) and term not in known:
                raise _fail(d, f"{key} value", f"{term!r} is not a declared table or parameter")
            _check_numeric_parameter(d, f"{key} value", term)
            _check_model_dims(d, f"{key} value", term)
    if isinstance(flow.share, str):
        if flow.share not in known:
            raise _fail(d, f"{key} share", f"{flow.share!r} is not a declared table or parameter")
        _check_numeric_parameter(d, f"{key} share", flow.share)
        _check_model_dims(d, f"{key} share", flow.share)
    if flow.of is not None and flow.of not in d.flows:
        raise _fail(d, f"{key} of", f"{flow.of!r} is not a declared flow")
    source, _ = d.ends(name)
    if (flow.share is not None and flow.of is None) or flow.remainder:
        if not any(f.endswith(_ARROW + source) for f in d.flows):
            raise _fail(
                d,
                key,
                f"process {source!r} has no inflow to take a share or remainder of; give 'of' "
                "or a value",
            )
    if flow.function is not None:
        _check_function(d, key, flow)


def _check_model_dims(d: ModelDefinition, key: str, name: str) -> None:
    """Refuse a table with dims of its own in a value or share: only functions can use it."""
    table = d.data.get(name)
    if table is not None and table.own_dims:
        raise _fail(
            d,
            key,
            f"table {name!r} has dims of its own {list(table.own_dims)}; only a function can "
            "use it",
        )


def _check_function(d: ModelDefinition, key: str, flow: FlowSpec) -> None:
    """Check that a function flow has a module and that everything it needs is declared."""
    _need_module(d, f"{key} function")
    for need in flow.needs:
        if need not in d.data and need not in d.parameters and need not in d.flows:
            raise _fail(d, f"{key} needs", f"{need!r} is not a declared table, parameter or flow")


#: The views ``[outputs] sankeys`` may name besides ``"system"`` (see :mod:`msa.jrc_msa.views`).
SANKEY_VIEWS = ("jrc", "icer_national", "pga")
#: The tables every declared model writes: ``[outputs.tables]`` must not reuse their names.
STANDARD_TABLES = ("flows", "stocks", "indicator_series")
#: The tables an MSA-table model (``[msa]``) writes besides: the JRC indicators
#: (:func:`msa.indicator_table`), each stage's imbalance and what the table could not build.
MSA_TABLES = ("indicators_jrc", "stage_imbalance", "msa_skipped")


@functools.cache
def template_flows() -> tuple[str, ...]:
    """Return the flows of the JRC MSA template (``jrc_structure.csv``) as ``"A => B"``."""
    rows = reference_table("jrc_structure")
    return tuple(f"{a}{_ARROW}{b}" for a, b in zip(rows["source"], rows["target"], strict=True))


@functools.cache
def template_stocks() -> tuple[str, ...]:
    """Return the stock processes of the JRC MSA template (``jrc_stocks.csv``)."""
    return tuple(str(p) for p in reference_table("jrc_stocks")["process"])


def _check_outputs(d: ModelDefinition) -> None:
    out = d.outputs
    years = d.coords["time"]
    for year in out.sankey_years:
        if year not in years:
            raise _fail(d, "[outputs] sankey_years", f"{year} is outside {years[0]}-{years[-1]}")
    for kind in out.sankeys:
        if kind != "system" and kind not in SANKEY_VIEWS:
            raise _fail(
                d, "[outputs] sankeys", f"{kind!r} is not 'system' nor a view {list(SANKEY_VIEWS)}"
            )
    _check_view_nodes(d)
    if out.targets is not None and not (d.folder / out.targets).is_file():
        raise _fail(d, "[outputs] targets", f"{out.targets!r} not found in {d.folder}")
    _check_indicators(d)
    _check_policy_targets(d)
    _check_effects(d)
    _check_national_shares(d)
    for section, specs in (("tables", out.tables), ("figures", out.figures)):
        for name in specs:
            _need_module(d, f"[outputs.{section}.{name}] function")
    standard = STANDARD_TABLES + (MSA_TABLES if d.msa is not None else ())
    for name in out.tables:
        if name in standard or name.endswith(("_links", "_out_of_scope")):
            raise _fail(d, f"[outputs.tables.{name}]", "a standard table has this name")
    for item in out.headline:
        if isinstance(item, str):
            _check_item(d, "[outputs] headline", item)
        else:
            _check_headline(d, item)


def _check_effects(d: ModelDefinition) -> None:
    """``[outputs.effects]`` names flows and processes of the model and a readable table."""
    spec = d.outputs.effects
    if spec is None:
        return
    key = "[outputs.effects]"
    for name in spec.flows:
        if name not in d.flows:
            raise _fail(d, f"{key} flows", f"{name!r} is not a flow of the model")
    for pid in spec.supplied_by:
        if pid not in d.processes:
            raise _fail(d, f"{key} supplied_by", f"{pid!r} is not a process of the model")
    if spec.factors is not None:
        from msa.effects import read_factors

        path = d.folder / spec.factors
        if not path.is_file():
            raise _fail(d, f"{key} factors", f"{spec.factors!r} not found in {d.folder}")
        read_factors(path)  # one error line naming the row at fault


def _check_national_shares(d: ModelDefinition) -> None:
    """``[outputs.national_shares]`` names flows, materials, a concordance and a national figure.

    The concordance maps every material used; the national variable is in the headline table,
    in a mass unit.
    """
    shares = d.outputs.national_shares
    if shares and "national_shares" in d.outputs.tables:
        raise _fail(
            d, "[outputs.tables.national_shares]", "the table of national shares has this name"
        )
    materials = tuple(map(str, d.coords.get("material", ())))
    for name, spec in shares.items():
        key = f"[outputs.national_shares.{name}]"
        unknown = [f for f in spec.flows if f not in d.flows]
        if unknown:
            raise _fail(d, f"{key} flows", f"{unknown[0]!r} is not a flow of the model")
        if not materials:
            raise _fail(d, key, "the model has no material dim to map onto the national groups")
        extra = [m for m in spec.materials if m not in materials]
        if extra:
            raise _fail(d, f"{key} materials", f"{extra} not in [dims] material {list(materials)}")
        if spec.file is not None and not (d.folder / spec.file).is_file():
            raise _fail(d, f"{key} file", f"{spec.file!r} not found in {d.folder}")
        concordance = spec.concordance
        if concordance is not None and concordance.endswith(".csv"):
            concordance = str(d.folder / concordance)
        try:
            national = national_headlines(
                spec.national, region=spec.region, path=spec.file and d.folder / spec.file
            )
            used = list(spec.materials or materials)
            probe = xr.DataArray(
                np.zeros((1, len(used))),
                coords={"time": [d.coords["time"][0]], "material": used},
                dims=("time", "material"),
                attrs={"units": "t"},
            )
            groups = national_share(probe, national, concordance=concordance)["material_group"]
        except MsaError as err:
            raise _fail(d, key, str(err)) from err
        if not set(groups.values) & set(national["material_group"].values):
            given = national["material_group"].values.tolist()
            raise _fail(
                d,
                f"{key} national",
                f"{spec.national!r} has no figure for {groups.values.tolist()} (it has {given})",
            )


def _check_view_nodes(d: ModelDefinition) -> None:
    """Each process's view node is a node of a bundled view; each view Sankey can be placed."""
    for pid, process in d.processes.items():
        for view, node in process.views.items():
            key = f"[processes.{pid}] views"
            if view not in SANKEY_VIEWS:
                raise _fail(d, key, f"unknown view {view!r}; use one of {list(SANKEY_VIEWS)}")
            nodes = view_node_names(view)
            if node not in nodes:
                known = list(nodes)
                raise _fail(d, key, f"{node!r} is not a node of view {view!r} (nodes: {known})")
    if d.msa is not None:
        return
    coded = any(f.jrc_code for f in d.flows.values()) or any(
        s.jrc_code or s.change_jrc_code for s in d.stocks.values()
    )
    for view in (v for v in d.outputs.sankeys if v != "system"):
        if not coded and not any(view in p.views for p in d.processes.values()):
            raise _fail(
                d,
                "[outputs] sankeys",
                f"view {view!r} has nothing to place: give processes a node in it "
                f'([processes.<id>] views = {{ {view} = "<node>" }}) or flows a jrc_code',
            )


@functools.cache
def view_node_names(view: str) -> tuple[str, ...]:
    """Return the node names of a bundled view (``view_nodes.csv``)."""
    rows = reference_table("view_nodes")
    return tuple(str(n) for n in rows.loc[rows["view"] == view, "node"])


def _check_indicators(d: ModelDefinition) -> None:
    for name, indicator in d.outputs.indicators.items():
        key = f"[outputs.indicators.{name}]"
        for item in (*(indicator.numerator or ()), *(indicator.denominator or ())):
            _check_item(d, key, item)
        if indicator.by is not None and indicator.by not in d.coords:
            raise _fail(d, f"{key} by", f"unknown dim {indicator.by!r}")
        if indicator.function is not None:
            _need_module(d, f"{key} function")
        if indicator.library is not None:
            _check_library(d, key, name)


def _check_library(d: ModelDefinition, key: str, name: str) -> None:
    """Check a library indicator: a known name, its inputs, its material categories."""
    spec = d.outputs.indicators[name]
    known = LIBRARY.get(str(spec.library))
    if known is None:
        raise _fail(d, f"{key} library", f"unknown {spec.library!r}; use one of {list(LIBRARY)}")
    if set(spec.inputs) != set(known.inputs):
        raise _fail(d, f"{key} inputs", f"give {list(known.inputs)} (got {list(spec.inputs)})")
    for items in spec.inputs.values():
        for item in items:
            _check_item(d, f"{key} inputs", item)
    if known.categories:
        if "material" not in d.coords:
            raise _fail(
                d, key, f"{spec.library} classifies materials: the model needs a material dim"
            )
        lacking = [m for m in map(str, d.coords["material"]) if m not in spec.categories]
        if lacking:
            raise _fail(d, f"{key} categories", f"give the EW-MFA category of {lacking}")


def indicator_labels(d: ModelDefinition) -> dict[str, tuple[str, ...] | None]:
    """Return each declared indicator with the labels of its ``by`` dim (None without one)."""
    return {
        name: None if spec.by is None else tuple(str(x) for x in d.coords.get(spec.by, ()))
        for name, spec in d.outputs.indicators.items()
    }


def _check_policy_targets(d: ModelDefinition) -> None:
    """Check ``policies`` and ``policy_targets``: one error line per bad key, all at once."""
    out = d.outputs
    if not out.policies and not out.policy_targets:
        return
    _, _, errors = resolve_policy_targets(out.policies, out.policy_targets, indicator_labels(d))
    if errors:
        raise ConfigError("\n".join(f"{d.path}: {line}" for line in errors))


def _check_item(d: ModelDefinition, key: str, item: str) -> None:
    if d.msa is not None:
        if item not in template_flows() and item.removeprefix("stock ") not in (
            template_stocks() if item.startswith("stock ") else ()
        ):
            raise _fail(
                d,
                key,
                f"{item!r} is neither a flow of the JRC MSA template nor 'stock <process>' of "
                f"one of its stocks {list(template_stocks())}",
            )
        return
    if item not in d.flows and not _is_stock_item(d, item):
        raise _fail(d, key, f"{item!r} is neither a flow nor 'stock <process>'")


def _need_module(d: ModelDefinition, key: str) -> None:
    if d.info.module is None:
        raise _fail(d, key, "names a function but [model] declares no module")


def _check_headline(d: ModelDefinition, item: HeadlineSpec) -> None:
    """Check that a labelled headline number names declared items, dims, labels and years."""
    key = f"[outputs] headline {item.label!r}"
    years = d.coords["time"]
    for year in (item.year, *(item.years or ())):
        if year is not None and year not in years:
            raise _fail(d, key, f"year {year} is outside {years[0]}-{years[-1]}")
    if item.sum is not None:
        for name in item.sum:
            _check_item(d, key, name)
        for dim, label in item.where.items():
            if dim not in d.coords or dim == "time":
                raise _fail(d, f"{key} where", f"{dim!r} is not a dim (other than time)")
            if str(label) not in d.coords[dim]:
                raise _fail(d, f"{key} where", f"{label!r} is not a {dim} of the model")
    if item.indicator is not None:
        indicator = d.outputs.indicators.get(item.indicator)
        if indicator is None:
            raise _fail(d, f"{key} indicator", f"{item.indicator!r} is not a declared indicator")
        if set(item.where) - {indicator.by}:
            raise _fail(d, f"{key} where", f"indicator {item.indicator!r} is by {indicator.by}")
    msa_tables = MSA_TABLES if d.msa is not None else ()
    if item.table is not None and item.table not in (*d.outputs.tables, *msa_tables):
        also = f" nor one of {list(msa_tables)}" if msa_tables else ""
        raise _fail(d, f"{key} table", f"{item.table!r} is not in [outputs.tables]{also}")


def _is_stock_item(d: ModelDefinition, item: str) -> bool:
    """Whether ``item`` is ``"stock <process>"`` of a stock process."""
    process = item.removeprefix("stock ")
    return (
        item.startswith("stock ")
        and d.processes.get(process) is not None
        and (d.processes[process].kind == "stock")
    )


def _check_scenarios(d: ModelDefinition) -> None:
    for name, scenario in d.scenarios.items():
        key = f"[scenarios.{name}]"
        for param, value in scenario.set.items():
            if param not in d.parameters:
                raise _fail(d, f"{key} set", f"{param!r} is not a declared parameter")
            declared = d.parameters[param]
            if _numeric(declared.value) and not _numeric(value):
                raise _fail(d, f"{key} set.{param}", f"a number is required (got {value!r})")
            if declared.bounds is not None and _numeric(value):
                low, high = declared.bounds
                if not low <= value <= high:  # type: ignore[operator]  # numeric: checked
                    raise _fail(
                        d,
                        f"{key} set.{param}",
                        f"{value} is outside the bounds {list(declared.bounds)} of parameter "
                        f"{param!r}",
                    )
        for table, file in scenario.data.items():
            if table not in d.data:
                raise _fail(d, f"{key} data", f"{table!r} is not a declared table")
            if not (d.folder / file).is_file():
                raise _fail(d, f"{key} data.{table}", f"{file!r} not found in {d.folder}")


def flow_dependencies(d: ModelDefinition) -> nx.DiGraph:
    """Return the graph of flows, an edge from each flow to every flow computed from it.

    A share or remainder depends on the inflows of its source process (a remainder also on
    the process's other outflows; a share with ``of`` on that flow only); a stock's outflow on
    the stock's inflows; a function on the flows it ``needs``. The inflow of a stock-driven
    stock depends on no flow (on its stock table and lifetime only).
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(d.flows)
    stock_of = {s.outflow: pid for pid, s in d.stocks.items()}
    driven = {s.inflow for s in d.stocks.values() if s.inflow is not None}
    for name, flow in d.flows.items():
        source, _ = d.ends(name)
        inflows = [f for f in d.flows if f.endswith(_ARROW + source)]
        needs: list[str] = []
        if name in driven:
            needs = []
        elif name in stock_of:
            needs = inflows
        elif flow.share is not None:
            needs = [flow.of] if flow.of is not None else inflows
        elif flow.remainder:
            outs = [f for f in d.flows if f.startswith(source + _ARROW) and f != name]
            needs = inflows + outs
        elif flow.function is not None:
            needs = [n for n in flow.needs if n in d.flows]
        graph.add_edges_from((need, name) for need in needs)
    return graph


def _check_no_cycle(d: ModelDefinition) -> None:
    """No flow depends on itself: a loop must pass a stock or be cut by a value."""
    graph = flow_dependencies(d)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    flows = " -> ".join(f"'{a}'" for a, _ in cycle) + f" -> '{cycle[0][0]}'"
    raise _fail(
        d,
        "[flows]",
        f"these flows depend on each other in a loop: {flows}; give one of them a value (or "
        "route the loop through a stock or a boundary)",
    )
