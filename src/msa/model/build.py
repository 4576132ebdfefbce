"""Build a declared model into a balanced System with provenance on every value.

:func:`build_model` reads the tables and parameters of a :class:`~msa.model.definition.
ModelDefinition` (with a scenario's overrides), computes every flow in dependency order, runs
the stock models, and assembles a :class:`msa.System` that it checks for balance. The grade and
source id of every computed cell come from what it was computed from (:mod:`msa.model.tracked`):

===================  ======================================================================
flow declared by     value and provenance
===================  ======================================================================
``value = "a * b"``  the product of tables and parameters, converted to the flow's units
``share = "s"``      ``s`` (a table or parameter in [0, 1], ``%`` converted) times the source
                     process's total inflow, or times the flow named in ``of``
``remainder``        the source process's total inflow minus its other outflows (over the
                     dims they share); negative is an error naming the process and year (the
                     shares take too much)
``function = "f"``   ``f(inputs)`` of ``model.py``; provenance from the flows, tables and
                     parameters it ``needs``
stock ``outflow``    the stock model (:func:`msa.inflow_driven`) of the stock's inflow with its
                     lifetime; a stock at ``t`` rests on every inflow up to ``t``
stock ``inflow``     of a stock-driven stock (``stock = "<table>"``): :func:`msa.stock_driven`
                     of the table of levels with the lifetime; its inflow, outflow and stock
                     change at ``t`` rest on the table up to ``t`` and the lifetime, its level
                     on the table
===================  ======================================================================

A stock process without ``[stocks]`` entry and without outflows accumulates (landfill). The
inflows of a stock named in ``entry_age`` enter used, as survivors of the cohort that entered
``age`` years before (:class:`StockModel`); the stock then rests on the age parameter too. A
lifetime factor of 1 adds no grade, nor does the year it starts from. An ``initial_stock``
(a table by ``cohort``, years before the first) ages with the lifetime of its cohorts in
either kind of stock, and every value of the stock rests on all of it. A stock-driven stock
with ``negative_inflow = "correct"`` retires the surplus of a falling stock early: it leaves
through the stock's outflow (and is kept as ``outflow_correction``), so the System balances;
with ``"allow"`` its inflow and outflow may be negative. A function may need a
parameter holding a label (or a list of labels): it rests on its grade. A stock's
``jrc_code`` tags its level; the stock changes of the stocks sharing a ``change_jrc_code`` are
added up into the System parameter ``net addition to stock (<code>)`` for the views.

An MSA-table model (``[msa]``) is built from its table with the JRC MSA template
(:func:`msa.build_msa_system`): every flow and stock has the grade and source id of the table
rows it is made of. Published MSA data are rounded and partly estimated, so the System is not
forced, nor required, to balance; each stage's residual is in ``Built.msa.imbalance``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import re
import sys
import traceback
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import (
    ConfigError,
    DataError,
    MassBalanceError,
    ModelCodeError,
    MsaError,
    ProvenanceError,
    StockModelError,
)
from msa.jrc_msa.template import MsaBuild, build_msa_system
from msa.messages import plain
from msa.model.checks import flow_dependencies, names_in
from msa.model.definition import LifetimeSpec, ModelDefinition, StockSpec, msa_table
from msa.model.inputs import (
    check_targets,
    parameter_provenance,
    read_data,
    read_parameters,
    read_sources,
)
from msa.model.tracked import Tracked, grade_of_rank, rank_of_grade
from msa.model.units import conversion_factor, is_dimensionless, product_units
from msa.stocks.engine import inflow_driven, stock_driven
from msa.stocks.lifetimes import (
    ExponentialLifetime,
    FixedLifetime,
    FoldedNormalLifetime,
    GammaLifetime,
    Lifetime,
    LogNormalLifetime,
    NormalLifetime,
    TruncatedNormalLifetime,
    WeibullLifetime,
)
from msa.stocks.survival import survival_matrix
from msa.system.core import System
from msa.system.mass_balance import check_balance

__all__ = [
    "Built",
    "FunctionInputs",
    "ModelInputs",
    "StockModel",
    "build_from",
    "build_model",
    "load_module",
    "module_file",
    "read_inputs",
    "running_model_code",
]

_ARROW = " => "
_LIFETIMES: dict[str, type[Lifetime]] = {
    "fixed": FixedLifetime,
    "normal": NormalLifetime,
    "truncated_normal": TruncatedNormalLifetime,
    "folded_normal": FoldedNormalLifetime,
    "lognormal": LogNormalLifetime,
    "weibull": WeibullLifetime,
    "gamma": GammaLifetime,
    "exponential": ExponentialLifetime,
}
_SHARE_TOL = 1e-6


@dataclass(frozen=True)
class FunctionInputs:
    """What a ``model.py`` function receives: validated data, parameters and computed flows.

    Attributes
    ----------
    data : mapping of str to DataArray
        Every declared table, in its declared units, over its declared dims.
    parameters : mapping of str to value
        Every parameter (scenario overrides applied).
    flows : mapping of str to DataArray
        The flows computed so far (at least those the function ``needs``).
    coords : mapping of str to tuple
        The labels of every dim.
    scenario : str
        The scenario being built.
    """

    data: Mapping[str, xr.DataArray]
    parameters: Mapping[str, Any]
    flows: Mapping[str, xr.DataArray]
    coords: Mapping[str, tuple[Any, ...]]
    scenario: str


@dataclass(frozen=True)
class Built:
    """A built model: the System and the tracked values behind it.

    Attributes
    ----------
    system : System
        Balanced, with provenance on every flow and stock.
    flows : mapping of str to Tracked
        Every flow with its provenance.
    stocks : mapping of str to xarray.Dataset
        Each stock process's stock-model result (``stock``, ``stock_change``, ``inflow``,
        ``outflow``; ``outflow_correction`` of a stock-driven stock with
        ``negative_inflow = "correct"``).
    data, parameters : mapping
        The inputs read (tables as tracked values; parameter values as given).
    parameter_grades : mapping of str to Tracked
        The grade and source id of every parameter (a label or list of labels too).
    scenario : str
        The scenario built.
    stock_models : mapping of str to StockModel
        The stock model of each ``[stocks]`` process, to run on other inflows (counts of
        products, one inflow alone).
    module : module or None
        The model's ``model.py``, whose functions the outputs may name.
    msa : MsaBuild or None
        For an MSA-table model: what :func:`msa.build_msa_system` made of its table (codes
        missing, edges and stocks skipped, each stage's imbalance).
    """

    definition: ModelDefinition
    scenario: str
    system: System
    flows: Mapping[str, Tracked]
    stocks: Mapping[str, xr.Dataset]
    data: Mapping[str, Tracked]
    parameters: Mapping[str, Any]
    parameter_grades: Mapping[str, Tracked] = field(default_factory=dict)
    stock_models: Mapping[str, StockModel] = field(default_factory=dict)
    module: ModuleType | None = None
    msa: MsaBuild | None = None


@dataclass(frozen=True)
class StockModel:
    """The stock model of a stock process: its lifetime, inflow timing and entry ages.

    An inflow named in ``entry_age`` enters ``a`` years old: what enters in year ``c`` are
    survivors of the cohort that entered in ``c - a`` (mid-year, as new), arriving at the
    start of year ``c``; they age with that cohort's lifetime (its factor by cohort, and the
    factor by year of the years they spend in the stock), conditional on having survived to
    their entry: ``sf_a[t, c] = sf[t, c - a] / sf[c - 1, c - a]`` for ``t >= c``, with ``sf``
    the survival matrix on a time axis starting ``a + 1`` years before the first year. Their
    cohort in the stock is their year of entry. Every other inflow enters new.

    Attributes
    ----------
    process : str
        The stock process.
    years : tuple of int
        The model years.
    inflow_at : str
        When in the year a new inflow enters.
    entry_age : mapping of str to int
        Age at entry (whole years) of the inflows that enter used.
    lifetime_over : callable
        The lifetime with its factors over a given array of years (cohorts and time).
    """

    process: str
    years: tuple[int, ...]
    inflow_at: Literal["start", "middle", "end"]
    entry_age: Mapping[str, int]
    lifetime_over: Callable[[np.ndarray], Lifetime]

    @property
    def lifetime(self) -> Lifetime:
        """The lifetime of what enters new, with its factors over the model years."""
        return self.lifetime_over(np.asarray(self.years))

    def survival(self, flow: str | None = None) -> xr.DataArray:
        """Return ``sf[t, c]``: the share still in stock of what entered by ``flow`` in ``c``.

        ``flow`` None or an inflow entering new: the survival matrix of the lifetime.
        """
        years = np.asarray(self.years)
        age = self.entry_age.get(flow, 0) if flow is not None else 0
        if age == 0:
            return survival_matrix(self.lifetime, years, inflow_at=self.inflow_at)
        ext = np.arange(years[0] - age - 1, years[-1] + 1)
        sf = survival_matrix(self.lifetime_over(ext), ext, inflow_at=self.inflow_at)
        sf = sf.drop_vars(["time", "cohort"])
        rows = years - ext[0]
        born = rows - age
        num = sf.isel(time=rows, cohort=born)  # (time, cohort, any dim the lifetime varies by)
        pair = {
            "time": xr.DataArray(rows - 1, dims="cohort"),
            "cohort": xr.DataArray(born, dims="cohort"),
        }
        den = sf.isel(pair)  # survival to the year before entry, per entering cohort
        gone = (den <= 0).any([x for x in den.dims if x != "cohort"]).values
        if gone.any():
            year = int(years[np.flatnonzero(gone)[0]])
            raise ConfigError(
                f"[stocks.{self.process}] entry_age of {flow!r}: nothing of cohort "
                f"{year - age} survives to its entry in {year} (age {age}); lower the age"
            )
        coords = {"time": years, "cohort": years}
        num, den = num.assign_coords(coords), den.assign_coords(cohort=years)
        later = xr.DataArray(years[:, None] >= years[None, :], dims=("time", "cohort"))
        out = xr.where(later.assign_coords(coords), num / den, 0.0)
        return out.transpose("time", "cohort", ...)

    def run(
        self,
        inflows: Mapping[str, xr.DataArray],
        *,
        by_cohort: bool = False,
        initial_stock: xr.DataArray | None = None,
    ) -> xr.Dataset:
        """Run the stock model on ``inflows`` (flow name to values over ``time``, ...).

        The inflows are summed down to the dims they all share; those of ``entry_age`` age
        from their entry age, the others enter new. ``initial_stock`` is the stock at the end
        of the year before the first year by ``cohort`` (integer years before it) and the
        inflows' other dims; it ages with the lifetime of its cohorts. Returns ``inflow``,
        ``outflow``, ``stock``, ``stock_change`` (and ``stock_by_cohort``,
        ``outflow_by_cohort``).
        """
        if not inflows:
            raise ConfigError(f"[stocks.{self.process}]: give at least one inflow to run")
        common = set.intersection(*(set(v.dims) for v in inflows.values()))
        values = {k: v.sum([x for x in v.dims if x not in common]) for k, v in inflows.items()}
        order = ["time", *[x for x in next(iter(values.values())).dims if x != "time"]]
        new = [v for k, v in values.items() if self.entry_age.get(k, 0) == 0]
        if not new and initial_stock is not None:  # the initial stock ages as if entered new
            new = [xr.zeros_like(next(iter(values.values())))]
        parts = []
        if new:
            total = functools.reduce(lambda a, b: a + b, new).transpose(*order)
            lifetime = self.lifetime
            if initial_stock is not None:  # the lifetime over the initial cohorts too
                cohorts = np.asarray(initial_stock["cohort"].values, dtype=np.int64)
                lifetime = self.lifetime_over(np.union1d(cohorts, np.asarray(self.years)))
            parts.append(
                inflow_driven(
                    total,
                    lifetime,
                    inflow_at=self.inflow_at,
                    by_cohort=by_cohort,
                    initial_stock_by_cohort=initial_stock,
                )
            )
        for k, v in values.items():
            if self.entry_age.get(k, 0) > 0:
                parts.append(_entering_used(v.transpose(*order), self.survival(k), by_cohort))
        return functools.reduce(_add_stocks, parts)


def _entering_used(inflow: xr.DataArray, sf: xr.DataArray, by_cohort: bool) -> xr.Dataset:
    r"""Stock and outflow of an inflow aging by the survival matrix ``sf[t, c]``.

    :math:`s_{t,c} = i_c \, sf_{t,c}`, :math:`o_{t,c} = i_c (sf_{t-1,c} - sf_{t,c} + [t=c])`;
    inflow - outflow = stock change by telescoping.
    """
    x = inflow.rename(time="cohort")
    square = {"time": sf["time"].values, "cohort": sf["cohort"].values}
    eye = xr.DataArray(np.eye(sf.sizes["time"]), dims=("time", "cohort"), coords=square)
    stock_c = (sf * x).transpose("time", "cohort", ...)
    out_c = ((sf.shift(time=1, fill_value=0.0) + eye - sf) * x).transpose("time", "cohort", ...)
    stock = stock_c.sum("cohort")
    data = {
        "inflow": inflow,
        "outflow": out_c.sum("cohort"),
        "stock": stock,
        "stock_change": xr.concat([stock.isel(time=[0]), stock.diff("time")], dim="time"),
    }
    if by_cohort:
        data |= {"stock_by_cohort": stock_c, "outflow_by_cohort": out_c}
    return xr.Dataset(data)


def _add_stocks(a: xr.Dataset, b: xr.Dataset) -> xr.Dataset:
    """Add two sets of cohorts of one stock, variable by variable (``a``'s attrs kept).

    Cohorts one set lacks (those of an initial stock) count as 0 in it.
    """
    out = {}
    for name in a.data_vars:
        x, y = xr.align(a[name], b[name], join="outer", fill_value=0.0)
        out[name] = x + y
    return xr.Dataset(out, attrs=a.attrs)


def load_module(d: ModelDefinition) -> ModuleType | None:
    """Import the model's ``model.py`` (``[model] module``), or return None if it has none.

    Only a ``.py`` file inside the model folder is imported. Whatever the file raises while it
    is imported (``sys.exit`` too) is one :class:`msa.ModelCodeError` naming file and line.

    Raises
    ------
    msa.ConfigError
        If the file is missing, outside the model folder, or a function a flow names is not
        in it.
    msa.ModelCodeError
        If importing the file raises or exits.
    """
    if d.info.module is None:
        return None
    file = module_file(d)
    spec = importlib.util.spec_from_file_location(f"msa_model_{d.name}", file)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd file systems
        raise ConfigError(f"{file}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ in the model folder: msa never writes there
    try:
        with running_model_code(file, "while importing it"):
            spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    named = [(f'[flows."{n}"]', f.function) for n, f in d.flows.items()]
    named += [(f"[outputs.indicators.{n}]", i.function) for n, i in d.outputs.indicators.items()]
    named += [(f"[outputs.tables.{n}]", t.function) for n, t in d.outputs.tables.items()]
    named += [(f"[outputs.figures.{n}]", f.function) for n, f in d.outputs.figures.items()]
    for key, function in named:
        if function is not None and not callable(getattr(module, function, None)):
            raise ConfigError(
                f"{d.path}: {key} function: {file.name} defines no function {function!r}"
            )
    return module


def module_file(d: ModelDefinition) -> Path:
    """Return the model's ``model.py`` (``[model] module``): a ``.py`` file in the model folder.

    Raises
    ------
    msa.ConfigError
        If ``[model] module`` names no file, a file that is not ``.py`` or one outside the
        model folder (msa runs no code from elsewhere).
    """
    name = str(d.info.module)
    file = d.folder / name
    inside = file.resolve().is_relative_to(d.folder.resolve())
    if not inside:
        raise ConfigError(
            f"{d.path}: [model] module: {name!r} lies outside the model folder {d.folder}; "
            "msa runs only code kept inside the model folder (move the file there)"
        )
    if file.suffix != ".py":
        raise ConfigError(f"{d.path}: [model] module: {name!r} is not a Python file (.py)")
    if not file.is_file():
        raise ConfigError(f"{d.path}: [model] module: {name!r} not found in {d.folder}")
    return file


@contextlib.contextmanager
def running_model_code(file: Path, doing: str) -> Iterator[None]:
    """Turn anything the model's own code raises (or ``sys.exit``) into one ModelCodeError.

    The message reads ``model code failed: <file>:<line>: <error> (<doing>)``, the line being
    the last one of ``file`` in the traceback; msa's own errors pass unchanged, as does
    :class:`KeyboardInterrupt`. The original exception is kept as ``__cause__``.

    Parameters
    ----------
    file : Path
        The model's ``model.py``.
    doing : str
        What msa was doing, e.g. ``"in function 'export' of [flows."A => B"]"``.
    """
    try:
        yield
    except MsaError:
        raise
    except (Exception, SystemExit) as err:
        raise ModelCodeError(
            f"model code failed: {file}:{_failing_line(file, err)}: {_what_failed(err)} ({doing})"
        ) from err


def _failing_line(file: Path, err: BaseException) -> int | str:
    """Return the line of ``file`` where ``err`` was raised (the last one in the traceback)."""
    if isinstance(err, SyntaxError) and err.lineno is not None:
        return err.lineno
    target = file.resolve()
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(err.__traceback__)
        if frame.lineno is not None and Path(frame.filename).resolve() == target
    ]
    return lines[-1] if lines else "?"


def _what_failed(err: BaseException) -> str:
    """Return the exception as one short phrase (``ValueError: ...``, ``sys.exit(0)``)."""
    if isinstance(err, SystemExit):
        return f"it called sys.exit({err.code!r}); model code must return or raise, never exit"
    if isinstance(err, SyntaxError):
        return f"SyntaxError: {err.msg}"
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _words(d: ModelDefinition) -> dict[str, str]:
    """Return the figure words of ``[model]`` a System keeps: mass basis, Dutch title and basis."""
    info = d.info
    given = {
        "mass_basis": info.mass_basis,
        "title_nl": info.title_nl,
        "mass_basis_nl": info.mass_basis_nl,
    }
    return {key: value for key, value in given.items() if value}


def _view_placements(d: ModelDefinition) -> dict[str, object]:
    """Return ``{"process_views": {view: {process: node}}}`` where processes declare views.

    Kept in the System's attrs (and so in a run's ``system.nc``), so ``msa sankey`` draws a
    run folder in the views its model's processes are placed in.
    """
    placed: dict[str, dict[str, str]] = {}
    for pid, spec in d.processes.items():
        for view, node in spec.views.items():
            placed.setdefault(view, {})[pid] = node
    return {"process_views": placed} if placed else {}


def build_model(d: ModelDefinition, scenario: str = "baseline") -> Built:
    """Build scenario ``scenario`` of a declared model into a balanced System.

    Parameters
    ----------
    d : ModelDefinition
        From :func:`msa.model.definition.load_definition`.
    scenario : str
        ``baseline`` or a declared scenario.

    Returns
    -------
    Built

    Raises
    ------
    msa.DataError
        A table row at fault (file, row, column), a share outside [0, 1], shares of a split
        that do not add to 1, a remainder that turns negative (process and year).
    msa.ConfigError
        Units that do not fit, a function that returns the wrong dims.
    msa.MassBalanceError
        If the built System does not balance (a bug in the declaration's logic); never for an
        MSA-table model, whose stages need not close (its :attr:`Built.msa` says by how much).
    msa.ProvenanceError
        An MSA-table row without a grade, or without a source id of the sources table.
    """
    if d.msa is not None:
        d.scenario(scenario)
        return _build_msa(d, scenario)
    return build_from(read_inputs(d, scenario))


@dataclass(frozen=True)
class ModelInputs:
    """The inputs of one scenario of a declared model, read and validated once.

    :func:`build_from` computes a model from them; a Monte Carlo run reads them once and
    builds each sample from a copy with drawn parameter values and perturbed tables
    (:func:`msa.model.montecarlo.monte_carlo`).

    Attributes
    ----------
    definition : ModelDefinition
    scenario : str
    sources : DataFrame
        The sources table.
    parameters : mapping of str to Tracked
        The numeric parameters with their grade and source id.
    values : mapping of str to value
        Every parameter's plain value (numbers, labels, lists of labels).
    data : mapping of str to Tracked
        Every declared table over its dims, in its declared units.
    provenance : mapping of str to Tracked
        The grade and source id of every parameter, numbers or not.
    module : module or None
        The model's ``model.py``.
    samples : tuple of int
        Empty for one run; else the labels of a ``sample`` dim that drawn parameters and tables
        carry (a chunk of a Monte Carlo run): every flow and stock then has it too, and no
        stock keeps its cohorts.
    """

    definition: ModelDefinition
    scenario: str
    sources: pd.DataFrame
    parameters: Mapping[str, Tracked]
    values: Mapping[str, Any]
    data: Mapping[str, Tracked]
    provenance: Mapping[str, Tracked]
    module: ModuleType | None
    samples: tuple[int, ...] = ()


def read_inputs(d: ModelDefinition, scenario: str = "baseline") -> ModelInputs:
    """Read and validate the tables and parameters of one scenario of a declared model.

    Raises
    ------
    msa.ConfigError, msa.DataError, msa.ProvenanceError
        As :func:`build_model` does for its inputs.
    """
    spec = d.scenario(scenario)
    if d.msa is not None:
        raise ConfigError(f"{d.path}: an MSA-table model ([msa]) has no declared inputs")
    sources = read_sources(d)
    tracked_params, values = read_parameters(d, spec, sources)
    data = read_data(d, spec, sources)
    check_targets(d)
    return ModelInputs(
        definition=d,
        scenario=scenario,
        sources=sources,
        parameters=tracked_params,
        values=values,
        data=data,
        provenance=parameter_provenance(d, spec),
        module=load_module(d),
    )


def build_from(inputs: ModelInputs) -> Built:
    """Build a declared model from inputs read by :func:`read_inputs` (see :func:`build_model`)."""
    d, scenario, module = inputs.definition, inputs.scenario, inputs.module
    data, tracked_params, values = dict(inputs.data), dict(inputs.parameters), inputs.values
    sources = inputs.sources
    state = _State(d, scenario, data, tracked_params, values, module)
    state.param_provenance = inputs.provenance
    if inputs.samples:
        state.coords = {**d.coords, "sample": tuple(inputs.samples)}
    for name in nx.topological_sort(flow_dependencies(d)):
        state.compute(name)
    _check_splits(d, state)
    system = _assemble(d, scenario, sources, state)
    try:
        check_balance(system, rtol=1e-8)
    except MassBalanceError as err:
        raise MassBalanceError(f"{d.path}: scenario {scenario!r}: {err}") from err
    return Built(
        definition=d,
        scenario=scenario,
        system=system,
        flows=MappingProxyType(dict(state.flows)),
        stocks=MappingProxyType(dict(state.stocks)),
        data=MappingProxyType(data),
        parameters=MappingProxyType(dict(values)),
        parameter_grades=MappingProxyType(
            {n: tracked_params.get(n) or state.param_provenance[n] for n in d.parameters}
        ),
        stock_models=MappingProxyType(dict(state.stock_models)),
        module=module,
    )


def _build_msa(d: ModelDefinition, scenario: str) -> Built:
    """Build an MSA-table model: its table through the JRC MSA template, provenance per row."""
    assert d.msa is not None
    path = d.folder / d.msa.table
    sources = read_sources(d)
    table = msa_table(path)  # read once in a process: load_definition read it for its labels
    _check_msa_provenance(table, sources, str(path))
    check_targets(d)
    made = build_msa_system(
        table, name=d.name, sources=sources, missing=d.msa.missing, origin=str(path)
    )
    system = made.system
    system.attrs.update({"title": d.title, "scenario": scenario} | _words(d))
    flows = {}
    for name, value in system.flows.items():
        prov = system.provenance[name]
        units = str(value.attrs.get("units", "t"))
        flows[name] = Tracked(value, units, rank_of_grade(prov["grade"]), prov["source_id"])
    return Built(
        definition=d,
        scenario=scenario,
        system=system,
        flows=MappingProxyType(flows),
        stocks=MappingProxyType(dict(system.stocks)),
        data=MappingProxyType({}),
        parameters=MappingProxyType({}),
        module=load_module(d),
        msa=made,
    )


def _check_msa_provenance(table: pd.DataFrame, sources: pd.DataFrame, origin: str) -> None:
    """Every row of an MSA-table model has a grade and a source id of the sources table.

    Raises
    ------
    msa.ProvenanceError
        Naming the file, the first row at fault and its column.
    """
    known = set(sources.index)
    for row in table.itertuples():
        at = f"{origin}: row {row.row}, column"
        if row.source_id not in known:
            raise ProvenanceError(
                f"{at} 'source_id': {row.source_id!r} is not in the sources table; every value "
                "needs a known source id"
            )
        if not row.grade:
            raise ProvenanceError(f"{at} 'grade': empty; give every value a grade A, B, C or D")


class _State:
    """The values computed so far while a model is built."""

    def __init__(
        self,
        d: ModelDefinition,
        scenario: str,
        data: Mapping[str, Tracked],
        params: Mapping[str, Tracked],
        values: Mapping[str, Any],
        module: ModuleType | None,
    ) -> None:
        self.d, self.scenario, self.data, self.params = d, scenario, data, params
        self.values, self.module = values, module
        self.flows: dict[str, Tracked] = {}
        self.stocks: dict[str, xr.Dataset] = {}
        self.stock_tracked: dict[str, Tracked] = {}
        self.stock_models: dict[str, StockModel] = {}
        self.param_provenance: Mapping[str, Tracked] = {}
        self.stock_of = {s.outflow: pid for pid, s in d.stocks.items()}
        #: The inflow a stock-driven stock computes, to its process.
        self.driven_by = {s.inflow: pid for pid, s in d.stocks.items() if s.inflow is not None}
        #: The provenance of a stock-driven stock's level: its table's.
        self.stock_level: dict[str, Tracked] = {}
        #: Flows that may be negative (those of a stock with negative_inflow = "allow").
        self.signed: set[str] = set()
        #: The model's dims, with ``sample`` when a chunk of a Monte Carlo run is built.
        self.coords: Mapping[str, tuple[Any, ...]] = d.coords

    @property
    def sampled(self) -> bool:
        """Whether a chunk of Monte Carlo samples is built (along a ``sample`` dim)."""
        return "sample" in self.coords

    def key(self, flow: str) -> str:
        return f'{self.d.path}: [flows."{flow}"]'

    def compute(self, name: str) -> None:
        """Compute flow ``name`` (its dependencies are computed already)."""
        spec = self.d.flows[name]
        computers: dict[str | None, Callable[[str], Tracked]] = {
            "value": self._value,
            "share": self._share,
            "remainder": self._remainder,
            "function": self._function,
            None: self._stock_flow,
        }
        result = computers[spec.way](name)
        _finite(result.value, self.key(name))
        self.flows[name] = _on_time(result, self.d.coords["time"])

    # -- the ways a flow comes about ---------------------------------------------------------
    def _operand(self, term: str, where: str) -> Tracked:
        if term in self.data:
            return self.data[term]
        if term in self.params:
            return self.params[term]
        raise ConfigError(f"{where}: {term!r} is not a numeric table or parameter")

    def _value(self, name: str) -> Tracked:
        spec = self.d.flows[name]
        where = f"{self.key(name)} value"
        assert spec.value is not None
        terms = names_in(spec.value, where=where)
        factor = float(np.prod([float(t) for t in terms if t[0].isdigit()]))
        parts = [self._operand(t, where) for t in terms if not t[0].isdigit()]
        if not parts:
            raise ConfigError(f"{where}: name at least one table or parameter")
        result = parts[0]
        for part in parts[1:]:
            result = result.times(part, "")
        units = product_units([p.units for p in parts], where=where)
        factor *= conversion_factor(units, spec.units, where=where)
        return result.scaled(factor, spec.units)

    def _base(self, name: str) -> Tracked:
        """Return what a share applies to: the flow named in ``of`` or the total inflow."""
        spec = self.d.flows[name]
        if spec.of is not None:
            return self.flows[spec.of]
        source, _ = self.d.ends(name)
        return self.total_inflow(source)

    def total_inflow(self, process: str) -> Tracked:
        """Return the sum of a process's inflows, summed down to the dims all of them share."""
        inflows = [self.flows[f] for f in self.d.flows if f.endswith(_ARROW + process)]
        common = set.intersection(*(set(f.value.dims) for f in inflows))
        total = inflows[0].summed_to(common)
        units = total.units
        for other in inflows[1:]:
            where = f"{self.d.path}: [processes.{process}] inflows"
            factor = conversion_factor(other.units, units, where=where)
            total = total.plus(other.summed_to(common).scaled(factor, units))
        return total

    def _share(self, name: str) -> Tracked:
        spec = self.d.flows[name]
        where = f"{self.key(name)} share"
        base = self._base(name)
        if isinstance(spec.share, int | float):
            share = Tracked.scalar(float(spec.share), "1", "A", "")
            share = Tracked(share.value, "1", share.rank.copy(data=np.int8(0)), base.source)
        else:
            assert spec.share is not None
            share = self._operand(spec.share, where)
            if not is_dimensionless(share.units, where=where):
                raise ConfigError(
                    f"{where}: {spec.share!r} has units {share.units!r}; a share is 1"
                )
            share = share.scaled(conversion_factor(share.units, "1", where=where), "1")  # %
        _in_unit_interval(share.value, f"{where} ({spec.share!r})")
        factor = conversion_factor(base.units, spec.units, where=where)
        return share.times(base, base.units).scaled(factor, spec.units)

    def _remainder(self, name: str) -> Tracked:
        source, _ = self.d.ends(name)
        spec = self.d.flows[name]
        total = self.total_inflow(source)
        others = [f for f in self.d.flows if f.startswith(source + _ARROW) and f != name]
        # an outflow over fewer dims (summed over material) is taken from the summed inflow
        common = set(total.value.dims).intersection(*(self.flows[f].value.dims for f in others))
        total = total.summed_to(common)
        rest = total
        for other in others:
            flow = self.flows[other]
            factor = conversion_factor(flow.units, total.units, where=self.key(other))
            rest = rest.plus(flow.summed_to(total.value.dims).scaled(factor), sign=-1.0)
        scale = float(np.abs(total.value).max()) or 1.0
        negative = rest.value < -1e-9 * scale
        if bool(negative.any()):
            at = _first_cell(rest.value, negative.values)
            raise DataError(
                f"{self.key(name)} remainder: process {source!r} sends out more than it receives "
                f"({at}: {plain(float(rest.value.values[negative.values][0]))!r} "
                f"{total.units} left); its shares add to more than 1"
            )
        clipped = Tracked(rest.value.clip(min=0.0), rest.units, rest.rank, rest.source)
        return clipped.scaled(conversion_factor(total.units, spec.units, where=self.key(name)))

    def _function(self, name: str) -> Tracked:
        spec = self.d.flows[name]
        assert spec.function is not None and spec.dims is not None and self.module is not None
        inputs = FunctionInputs(
            data=MappingProxyType({k: v.value for k, v in self.data.items()}),
            parameters=MappingProxyType(dict(self.values)),
            flows=MappingProxyType({k: v.value for k, v in self.flows.items()}),
            coords=MappingProxyType(dict(self.coords)),
            scenario=self.scenario,
        )
        where = f"{self.key(name)} function {spec.function!r}"
        doing = f'in function {spec.function!r} of [flows."{name}"]'
        with running_model_code(module_file(self.d), doing):
            out = getattr(self.module, spec.function)(inputs)
        dims = (*spec.dims, "sample") if self.sampled else spec.dims
        value = _checked_result(out, dims, self.coords, where)
        units = str(out.attrs.get("units", spec.units))
        value = value * conversion_factor(units, spec.units, where=where)
        needs = [self._need(n) for n in spec.needs]
        if not needs:
            rank = xr.zeros_like(value, dtype=np.int8) + 3  # an unsourced result: grade D
            return Tracked(value, spec.units, rank, xr.full_like(value, "", dtype=object))
        first = needs[0].summed_to(value.dims).source
        result = Tracked(value, spec.units, xr.DataArray(np.int8(0)), first)
        for need in needs:
            result = result.rests_on(need)
        return result

    def _need(self, name: str) -> Tracked:
        if name in self.flows:
            return self.flows[name]
        if name in self.data:
            return self.data[name]
        return self.params.get(name) or self.param_provenance[name]  # a label: grade only

    def _stock_flow(self, name: str) -> Tracked:
        """Return a flow a stock computes: an outflow, or a stock-driven stock's inflow."""
        pid = self.driven_by.get(name) or self.stock_of[name]
        if self.d.stocks[pid].stock_driven:
            return self._stock_driven_flow(pid, name)
        return self._stock_outflow(name)

    def _stock_model(self, pid: str, ages: Mapping[str, int]) -> StockModel:
        stock: StockSpec = self.d.stocks[pid]
        model = StockModel(
            process=pid,
            years=tuple(int(y) for y in self.d.coords["time"]),
            inflow_at=stock.inflow_at,
            entry_age=MappingProxyType(dict(ages)),
            lifetime_over=lambda years: self._lifetime(pid, stock.lifetime, years)[0],
        )
        self.stock_models[pid] = model
        return model

    def _stock_outflow(self, name: str) -> Tracked:
        pid = self.stock_of[name]
        stock: StockSpec = self.d.stocks[pid]
        inflow = self.total_inflow(pid)
        _, life_grades = self._lifetime(pid, stock.lifetime)
        ages = {
            flow: self._entry_age(pid, age, life_grades) for flow, age in stock.entry_age.items()
        }
        model = self._stock_model(pid, ages)
        inflows = [f for f in self.d.flows if f.endswith(_ARROW + pid)]
        common = inflow.value.dims
        initial = self._initial_stock(pid, common, inflow.units, life_grades)
        with self._stock_errors(pid):
            ds = model.run(
                {f: self.flows[f].summed_to(common).value for f in inflows},
                by_cohort=stock.by_cohort and not self.sampled,
                initial_stock=initial,
            )
        for var in ds.data_vars.values():
            var.attrs["units"] = inflow.units
        self.stocks[pid] = ds
        accumulated = inflow.over_time()
        for grade in life_grades:  # grade and source id of the lifetime parameters too
            accumulated = accumulated.rests_on(grade)
        self.stock_tracked[pid] = accumulated
        spec = self.d.flows[name]
        factor = conversion_factor(inflow.units, spec.units, where=self.key(name))
        return Tracked(ds["outflow"] * factor, spec.units, accumulated.rank, accumulated.source)

    def _stock_driven_flow(self, pid: str, name: str) -> Tracked:
        """Return the inflow or outflow of a stock-driven stock (its model runs once)."""
        if pid not in self.stocks:
            self._run_stock_driven(pid)
        ds, accumulated = self.stocks[pid], self.stock_tracked[pid]
        var = "inflow" if name == self.d.stocks[pid].inflow else "outflow"
        spec = self.d.flows[name]
        factor = conversion_factor(accumulated.units, spec.units, where=self.key(name))
        return Tracked(ds[var] * factor, spec.units, accumulated.rank, accumulated.source)

    def _run_stock_driven(self, pid: str) -> None:
        """Run the stock-driven model of ``pid`` on its table of levels (:func:`stock_driven`).

        The inflow, outflow and stock change at ``t`` rest on the table up to ``t``, the
        lifetime parameters and the initial stock; the level on the table.
        """
        stock: StockSpec = self.d.stocks[pid]
        assert stock.stock is not None and stock.inflow is not None
        units = self.d.flows[stock.inflow].units
        table = self.data[stock.stock]
        where = f"{self.d.path}: [stocks.{pid}] stock"
        level = _on_time(
            table.scaled(conversion_factor(table.units, units, where=where), units),
            self.d.coords["time"],
        )
        _, grades = self._lifetime(pid, stock.lifetime)
        model = self._stock_model(pid, {})
        initial = self._initial_stock(pid, level.value.dims, units, grades)
        lifetime = model.lifetime
        if initial is not None:  # the lifetime over the initial cohorts too
            cohorts = np.asarray(initial["cohort"].values, dtype=np.int64)
            lifetime = model.lifetime_over(np.union1d(cohorts, np.asarray(model.years)))
        with self._stock_errors(pid, stock.stock):
            ds = stock_driven(
                level.value,
                lifetime,
                inflow_at=stock.inflow_at,
                initial_stock_by_cohort=initial,
                by_cohort=stock.by_cohort and not self.sampled,
                negative_inflow=stock.negative_inflow,
            )
        for var in ds.data_vars.values():
            var.attrs["units"] = units
        self.stocks[pid] = ds
        accumulated = level.over_time()
        for grade in grades:
            accumulated = accumulated.rests_on(grade)
        self.stock_tracked[pid] = accumulated
        self.stock_level[pid] = level
        if stock.negative_inflow == "allow":
            self.signed |= {stock.inflow, stock.outflow}

    @contextlib.contextmanager
    def _stock_errors(self, pid: str, table: str | None = None) -> Iterator[None]:
        """Name the model file and the stock in an error of the stock model (one line)."""
        try:
            yield
        except (StockModelError, DataError) as err:
            text = str(err).replace(
                "pass negative_inflow='correct' to retire cohorts early, or 'allow'",
                'set negative_inflow = "correct" to retire cohorts early, or "allow"',
            )
            of = f" stock {table!r}" if table is not None else ""
            raise type(err)(f"{self.d.path}: [stocks.{pid}]{of}: {text}") from err

    def _initial_stock(
        self, pid: str, dims: tuple[Hashable, ...], units: str, grades: list[Tracked]
    ) -> xr.DataArray | None:
        """Return the initial stock of ``pid`` by cohort (int years), its grades joined.

        Raises
        ------
        msa.ConfigError
            If the table's dims are not the stock's (besides time) and ``cohort``.
        msa.DataError
            A cohort that is not a whole year before the first model year, a missing cell.
        """
        name = self.d.stocks[pid].initial_stock
        if name is None:
            return None
        key = f"{self.d.path}: [stocks.{pid}] initial_stock"
        table = self.data[name]
        shown = (
            f"{name!r} ({self.d.scenario(self.scenario).data.get(name, self.d.data[name].file)})"
        )
        want = [str(x) for x in dims if x != "time"]
        have = [str(x) for x in table.value.dims if x != "cohort"]
        if sorted(want) != sorted(have):
            raise ConfigError(
                f"{key}: table {shown} is over {have} and cohort; the stock {pid!r} is over "
                f"{want} (and time): give its initial stock over {want} and cohort"
            )
        first = int(self.d.coords["time"][0])
        years = []
        for label in table.value["cohort"].values:
            text = str(label).strip()
            if not re.fullmatch(r"[0-9]+", text):
                raise DataError(f"{key}: table {shown}: cohort {text!r} is not a year")
            if int(text) >= first:
                raise DataError(
                    f"{key}: table {shown}: cohort {text} is not before the first model year "
                    f"{first}; the initial stock is the stock at the end of {first - 1} by year "
                    "of entry"
                )
            if int(text) in years:
                raise DataError(f"{key}: table {shown}: cohort {int(text)} is given twice")
            years.append(int(text))
        missing = table.value.isnull()
        if bool(missing.any()):
            raise DataError(
                f"{key}: table {shown} has no value {_first_cell(table.value, missing.values)}; "
                "give every cohort for every label (0 where there is none)"
            )
        factor = conversion_factor(table.units, units, where=key)
        cohort = {"cohort": np.asarray(years, dtype=np.int64)}
        tracked = Tracked(
            table.value.assign_coords(cohort) * factor,
            units,
            table.rank.assign_coords(cohort),
            table.source.assign_coords(cohort),
        )
        grades.append(tracked)  # every cell at every year rests on the whole initial stock
        return tracked.value.transpose("cohort", *want)

    def _entry_age(self, pid: str, age: int | str, grades: list[Tracked]) -> int:
        """Return an entry age in whole years; a parameter's grade joins the stock's."""
        if not isinstance(age, str):
            return int(age)
        where = f"{self.d.path}: [stocks.{pid}] entry_age"
        value = self.values[age]
        years = float(value) * conversion_factor(self.params[age].units or "yr", "yr", where=where)
        bounds = self.d.parameters[age].bounds
        low, high = bounds if bounds is not None else (0.0, np.inf)
        if years != round(years) or not max(low, 0.0) <= years <= high:
            span = f" between {max(low, 0.0):g} and {high:g}" if bounds else ", 0 or more"
            raise ConfigError(
                f"{where}: parameter {age} = {value!r} (scenario {self.scenario!r}) must be a "
                f"whole number of years{span}"
            )
        grades.append(self.params[age])
        return int(round(years))

    def _lifetime(
        self, pid: str, spec: LifetimeSpec, years: np.ndarray | None = None
    ) -> tuple[Lifetime, list[Tracked]]:
        """Return the lifetime (factors over ``years``, default the model's) and its grades.

        A factor of 1 changes nothing and adds no grade, nor does the year it starts from.
        """
        where = f"{self.d.path}: [stocks.{pid}] lifetime"
        grades: list[Tracked] = []

        def number(
            value: float | int | str | None, key: str, graded: bool = True
        ) -> float | xr.DataArray:
            """Return a number, or a DataArray for a parameter drawn along ``sample``."""
            if isinstance(value, str):
                if value not in self.params:
                    raise ConfigError(f"{where}.{key}: {value!r} is not a numeric parameter")
                given = self.params[value].value
                number: float | xr.DataArray = float(given) if given.ndim == 0 else given
                units = self.params[value].units
                if not is_dimensionless(units, where=f"{where}.{key}"):  # a time: in years
                    number = number * conversion_factor(units, "yr", where=f"{where}.{key}")
                if graded and not (key.endswith("_factor") and _all_one(number)):
                    grades.append(self.params[value])  # a factor of 1 changes nothing
                return number
            return float(value)  # type: ignore[arg-type]  # checked: not None here

        params = {k: number(v, k) for k, v in spec.parameters.items()}
        years = np.asarray(self.d.coords["time"]) if years is None else np.asarray(years)
        kwargs: dict[str, Any] = {}
        for kind, dim in (("cohort", "cohort"), ("year", "time")):
            given = getattr(spec, f"{kind}_factor")
            if given is None:
                continue
            factor = number(given, f"{kind}_factor")
            graded = not _all_one(factor)  # the year a factor of 1 starts adds no grade
            start = number(getattr(spec, f"{kind}_factor_from"), f"{kind}_factor_from", graded)
            on = xr.DataArray(years, coords={dim: years}, dims=dim) >= start
            kwargs[f"factor_by_{kind}"] = xr.where(on, factor, 1.0).astype(float)
        try:
            return _LIFETIMES[spec.distribution](**params, **kwargs), grades
        except (ValueError, TypeError) as err:
            raise ConfigError(f"{where}{_lifetime_key(spec, str(err))}: {err}") from err


def _lifetime_key(spec: LifetimeSpec, message: str) -> str:
    """Return `` shape = 'lifetime_shape' ([parameters] lifetime_shape)`` for the key at fault.

    The lifetime class names its parameter (``WeibullLifetime: shape must be > 0``); this says
    which ``model.toml`` key gave it and, for a name, which parameter.
    """
    given: dict[str, object] = {
        **spec.parameters,
        "factor_by_cohort": spec.cohort_factor,
        "factor_by_year": spec.year_factor,
    }
    for key, value in given.items():
        if value is not None and re.search(rf"\b{key}\b", message):
            shown = key.replace("factor_by_", "") + "_factor" if key.startswith("factor_") else key
            named = f" ([parameters] {value})" if isinstance(value, str) else ""
            return f" {shown} = {value!r}{named}"
    return ""


def _all_one(factor: float | xr.DataArray) -> bool:
    """Whether a lifetime factor is 1 everywhere (it changes nothing)."""
    return bool(np.all(np.asarray(factor) == 1.0))


def _on_time(t: Tracked, years: tuple[Any, ...]) -> Tracked:
    """Give a flow the time dim (a constant flow is the same every year), time first."""
    value = t.value
    if "time" not in value.dims:
        value = value.expand_dims(time=list(years))
    order = ["time", *[d for d in value.dims if d != "time"]]
    return Tracked(value.transpose(*order), t.units, t.rank, t.source)


def _finite(value: xr.DataArray, where: str) -> None:
    """Refuse a flow that came out NaN or infinite (an overflow), naming its first cell."""
    bad = ~np.isfinite(value.values)
    if bad.any():
        shown = plain(value.values[bad][0]) if value.ndim else plain(value.values)
        raise DataError(
            f"{where}: computed a non-finite value {shown!r} {_first_cell(value, bad)}; an "
            "input too large (an overflow) or a missing value: check the inputs it multiplies"
        )


def _in_unit_interval(value: xr.DataArray, where: str) -> None:
    bad = (value < -_SHARE_TOL) | (value > 1 + _SHARE_TOL) | value.isnull()
    if bool(bad.any()):
        at = _first_cell(value, bad.values)
        shown = plain(value.values[bad.values][0]) if value.ndim else plain(value.values)
        raise DataError(f"{where}: a share must be within [0, 1] (got {shown!r} {at})")


def _first_cell(da: xr.DataArray, mask: np.ndarray) -> str:
    if da.ndim == 0:
        return "(scalar)"
    at = np.argwhere(np.asarray(mask))[0]
    return "at " + ", ".join(
        f"{d}={plain(da[d].values[i])!r}" for d, i in zip(da.dims, at, strict=True)
    )


def _checked_result(
    out: object, dims: tuple[str, ...], coords: Mapping[str, tuple[Any, ...]], where: str
) -> xr.DataArray:
    """Return a function's result, checked: the declared dims and labels, finite values."""
    if not isinstance(out, xr.DataArray):
        raise ConfigError(f"{where}: must return an xarray.DataArray (got {type(out).__name__})")
    if set(out.dims) != set(dims):
        if "sample" in dims and set(out.dims) == set(dims) - {"sample"}:
            raise ConfigError(
                f"{where}: returned dims {list(out.dims)} without the 'sample' dim of a Monte "
                "Carlo run: its inputs carry one; sum only over the dims you mean to"
            )
        declared = [x for x in dims if x != "sample"]
        raise ConfigError(
            f"{where}: returned dims {list(out.dims)}; the flow declares dims {declared}"
        )
    for dim in dims:
        labels = list(out[dim].values) if dim in out.coords else []
        if [plain(x) for x in labels] != list(coords[dim]):
            raise ConfigError(f"{where}: the {dim!r} labels differ from the model's [dims]")
    bad = ~np.isfinite(out.values)
    if bad.any():
        raise DataError(f"{where}: returned a non-finite value {_first_cell(out, bad)}")
    return out.transpose(*dims).astype(float)


def _check_splits(d: ModelDefinition, state: _State) -> None:
    """Where every outflow of a process is a share of its inflow, the shares add to 1."""
    for pid, process in d.processes.items():
        outs = [f for f in d.flows if f.startswith(pid + _ARROW)]
        if process.kind == "boundary" or not outs:
            continue
        if not all(d.flows[f].share is not None and d.flows[f].of is None for f in outs):
            continue
        total = state.total_inflow(pid)
        sent = xr.zeros_like(total.value)
        for f in outs:
            sent = sent + state.flows[f].summed_to(total.value.dims).value
        scale = float(np.abs(total.value).max()) or 1.0
        off = abs(sent - total.value) > _SHARE_TOL * scale
        if bool(off.any()):
            shares = ", ".join(repr(d.flows[f].share) for f in outs)
            raise DataError(
                f"{d.path}: [processes.{pid}]: the shares of its outflows ({shares}) do not add "
                f"to 1 {_first_cell(total.value, off.values)}; make one flow the remainder"
            )


def _assemble(d: ModelDefinition, scenario: str, sources: pd.DataFrame, state: _State) -> System:
    """Return the System of the computed flows and stocks, with provenance on every cell.

    A chunk of Monte Carlo samples (a ``sample`` dim) is built without per-cell provenance:
    the run itself carries it, and repeating it for every chunk cost a third of the time.
    """
    lean = state.sampled
    system = System(
        d.name,
        coords=state.coords,
        sources=sources,
        attrs={"title": d.title, "scenario": scenario} | _words(d) | _view_placements(d),
    )
    for pid, spec in d.processes.items():
        system.add_process(
            pid, kind=spec.kind, stage=spec.stage, label_en=spec.label_en, label_nl=spec.label_nl
        )
    for name, tracked in state.flows.items():
        source, target = d.ends(name)
        flow = d.flows[name]
        attrs = {"flow_type": flow.flow_type} if flow.flow_type else {}
        system.add_flow(
            source,
            target,
            tracked.value,
            units=flow.units,
            signed=name in state.signed,
            jrc_code=flow.jrc_code,
            source_id=None if lean else tracked.source,  # broadcast by the System
            grade=None if lean else grade_of_rank(tracked.rank),
            attrs=attrs,
        )
    changes: dict[str, list[Tracked]] = {}
    for pid, process in d.processes.items():
        if process.kind == "stock":
            change = _add_stock(system, pid, state)
            code = d.stocks[pid].change_jrc_code if pid in d.stocks else None
            if code:
                changes.setdefault(code, []).append(change)
    for code, parts in changes.items():  # the net addition to stock as a JRC variable
        common = set.intersection(*(set(p.value.dims) for p in parts))
        total = functools.reduce(lambda a, b: a.plus(b), (p.summed_to(common) for p in parts))
        system.add_parameter(
            f"net addition to stock ({code})",
            total.value,
            units=total.units,
            source_id=None if lean else total.sources(),
            grade=None if lean else total.grades(),
            attrs={"jrc_code": code},
        )
    for name, param in state.params.items():
        system.add_parameter(
            name,
            param.value,
            units=param.units or "1",
            source_id=str(param.source.values),
            grade=str(grade_of_rank(param.rank).values),
        )
    return system


def _add_stock(system: System, pid: str, state: _State) -> Tracked:
    """Add the stock of a stock process (its stock model, or accumulated inflow).

    Returns the stock change with its provenance (none stored for a Monte Carlo chunk).
    """
    lean = state.sampled
    inflow = state.total_inflow(pid)
    spec = state.d.stocks.get(pid)
    extra: dict[str, xr.DataArray] = {}
    if pid in state.stocks:
        ds = state.stocks[pid]
        tracked = state.stock_tracked[pid]
        level, change = ds["stock"], ds["stock_change"]
        for name in ("stock_by_cohort", "outflow_correction"):
            if name in ds:
                extra[name] = ds[name]
    else:
        tracked = inflow.over_time()
        change = inflow.value
        level = change.cumsum("time")
    dims = tracked.value.dims
    given = state.stock_level.get(pid, tracked)  # a stock-driven level: its table's
    system.add_stock(
        pid,
        level.transpose(*dims),
        stock_change=change.transpose(*dims),
        units=inflow.units,
        source_id=None if lean else given.sources().transpose(*dims),
        grade=None if lean else given.grades().transpose(*dims),
        change_source_id=None if lean else tracked.sources(),
        change_grade=None if lean else tracked.grades(),
        extra=extra or None,
        attrs={"jrc_code": spec.jrc_code} if spec is not None and spec.jrc_code else None,
    )
    return Tracked(change.transpose(*dims), inflow.units, tracked.rank, tracked.source)
