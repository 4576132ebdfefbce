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
===================  ======================================================================

A stock process without ``[stocks]`` entry and without outflows accumulates (landfill).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, MassBalanceError
from msa.messages import plain
from msa.model.checks import flow_dependencies, names_in
from msa.model.definition import LifetimeSpec, ModelDefinition, StockSpec
from msa.model.inputs import read_data, read_parameters, read_sources
from msa.model.tracked import Tracked
from msa.model.units import conversion_factor, is_dimensionless, product_units
from msa.stocks.engine import inflow_driven
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
from msa.system.core import System
from msa.system.mass_balance import check_balance

__all__ = ["Built", "FunctionInputs", "build_model", "load_module"]

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
        ``outflow``).
    data, parameters : mapping
        The inputs read (tables as tracked values; parameter values as given).
    scenario : str
        The scenario built.
    """

    definition: ModelDefinition
    scenario: str
    system: System
    flows: Mapping[str, Tracked]
    stocks: Mapping[str, xr.Dataset]
    data: Mapping[str, Tracked]
    parameters: Mapping[str, Any]
    parameter_grades: Mapping[str, Tracked] = field(default_factory=dict)


def load_module(d: ModelDefinition) -> ModuleType | None:
    """Import the model's ``model.py`` (``[model] module``), or return None if it has none.

    Raises
    ------
    msa.ConfigError
        If the file is missing or a function a flow names is not in it.
    """
    if d.info.module is None:
        return None
    file = d.folder / d.info.module
    if not file.is_file():
        raise ConfigError(f"{d.path}: [model] module: {d.info.module!r} not found in {d.folder}")
    spec = importlib.util.spec_from_file_location(f"msa_model_{d.name}", file)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd file systems
        raise ConfigError(f"{file}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ in the model folder: msa never writes there
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    for name, flow in d.flows.items():
        if flow.function is not None and not callable(getattr(module, flow.function, None)):
            raise ConfigError(
                f'{d.path}: [flows."{name}"] function: {file.name} defines no function '
                f"{flow.function!r}"
            )
    return module


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
        If the built System does not balance (a bug in the declaration's logic).
    """
    spec = d.scenario(scenario)
    sources = read_sources(d)
    tracked_params, values = read_parameters(d, spec, sources)
    data = read_data(d, spec, sources)
    module = load_module(d)
    state = _State(d, scenario, data, tracked_params, values, module)
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
        parameters=MappingProxyType(values),
        parameter_grades=MappingProxyType(tracked_params),
    )


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
        self.stock_of = {s.outflow: pid for pid, s in d.stocks.items()}

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
            None: self._stock_outflow,
        }
        result = computers[spec.way](name)
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
            coords=MappingProxyType(dict(self.d.coords)),
            scenario=self.scenario,
        )
        out = getattr(self.module, spec.function)(inputs)
        where = f"{self.key(name)} function {spec.function!r}"
        value = _checked_result(out, spec.dims, self.d.coords, where)
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
        return self.data[name] if name in self.data else self.params[name]

    def _stock_outflow(self, name: str) -> Tracked:
        pid = self.stock_of[name]
        stock: StockSpec = self.d.stocks[pid]
        inflow = self.total_inflow(pid)
        lifetime, life_grades = self._lifetime(pid, stock.lifetime)
        ds = inflow_driven(
            inflow.value.transpose("time", ...).assign_attrs(units=inflow.units),
            lifetime,
            inflow_at=stock.inflow_at,
            by_cohort=False,
        )
        self.stocks[pid] = ds
        accumulated = inflow.over_time()
        for grade in life_grades:  # grade and source id of the lifetime parameters too
            accumulated = accumulated.rests_on(grade)
        self.stock_tracked[pid] = accumulated
        spec = self.d.flows[name]
        factor = conversion_factor(inflow.units, spec.units, where=self.key(name))
        return Tracked(ds["outflow"] * factor, spec.units, accumulated.rank, accumulated.source)

    def _lifetime(self, pid: str, spec: LifetimeSpec) -> tuple[Lifetime, list[Tracked]]:
        where = f"{self.d.path}: [stocks.{pid}] lifetime"
        grades: list[Tracked] = []

        def number(value: float | int | str | None, key: str) -> float:
            if isinstance(value, str):
                if value not in self.params:
                    raise ConfigError(f"{where}.{key}: {value!r} is not a numeric parameter")
                number = float(self.params[value].value)
                units = self.params[value].units
                if not is_dimensionless(units, where=f"{where}.{key}"):  # a time: in years
                    number *= conversion_factor(units, "yr", where=f"{where}.{key}")
                if not (key.endswith("_factor") and number == 1.0):
                    grades.append(self.params[value])  # a factor of 1 changes nothing
                return number
            return float(value)  # type: ignore[arg-type]  # checked: not None here

        params = {k: number(v, k) for k, v in spec.parameters.items()}
        years = np.asarray(self.d.coords["time"])
        kwargs: dict[str, Any] = {}
        if spec.cohort_factor is not None:
            factor = number(spec.cohort_factor, "cohort_factor")
            start = number(spec.cohort_factor_from, "cohort_factor_from")
            kwargs["factor_by_cohort"] = xr.DataArray(
                np.where(years >= start, factor, 1.0), coords={"cohort": years}, dims="cohort"
            )
        if spec.year_factor is not None:
            factor = number(spec.year_factor, "year_factor")
            start = number(spec.year_factor_from, "year_factor_from")
            kwargs["factor_by_year"] = xr.DataArray(
                np.where(years >= start, factor, 1.0), coords={"time": years}, dims="time"
            )
        try:
            return _LIFETIMES[spec.distribution](**params, **kwargs), grades
        except (ValueError, TypeError) as err:
            raise ConfigError(f"{where}: {err}") from err


def _on_time(t: Tracked, years: tuple[Any, ...]) -> Tracked:
    """Give a flow the time dim (a constant flow is the same every year), time first."""
    value = t.value
    if "time" not in value.dims:
        value = value.expand_dims(time=list(years))
    order = ["time", *[d for d in value.dims if d != "time"]]
    return Tracked(value.transpose(*order), t.units, t.rank, t.source)


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
        raise ConfigError(
            f"{where}: returned dims {list(out.dims)}; the flow declares dims {list(dims)}"
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
    """Return the System of the computed flows and stocks, with provenance on every cell."""
    system = System(
        d.name,
        coords=d.coords,
        sources=sources,
        attrs={"title": d.title, "scenario": scenario},
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
            jrc_code=flow.jrc_code,
            source_id=tracked.sources(),
            grade=tracked.grades(),
            attrs=attrs,
        )
    for pid, process in d.processes.items():
        if process.kind == "stock":
            _add_stock(system, pid, state)
    for name, param in state.params.items():
        system.add_parameter(
            name,
            param.value,
            units=param.units or "1",
            source_id=str(param.source.values),
            grade=str(param.grades().values),
        )
    return system


def _add_stock(system: System, pid: str, state: _State) -> None:
    """Add the stock of a stock process: from its stock model, or accumulated inflow."""
    inflow = state.total_inflow(pid)
    if pid in state.stocks:
        ds = state.stocks[pid]
        tracked = state.stock_tracked[pid]
        level, change = ds["stock"], ds["stock_change"]
    else:
        tracked = inflow.over_time()
        change = inflow.value
        level = change.cumsum("time")
    system.add_stock(
        pid,
        level.transpose(*tracked.value.dims),
        stock_change=change.transpose(*tracked.value.dims),
        units=inflow.units,
        source_id=tracked.sources(),
        grade=tracked.grades(),
        change_source_id=tracked.sources(),
        change_grade=tracked.grades(),
    )
