"""Reconcile a System: its balance equations, every year at once, back to a balanced System.

:func:`reconcile_system` turns a :class:`msa.System` into a reconciliation problem:

* **quantities**: every cell of every flow (each label of its dims but time), every cell of a
  stock process's stock change, and each transfer coefficient; one *period* per year;
* **equations**: one balance per non-boundary process and combination of the dims its terms
  share (inflows - outflows - stock change = 0, as :func:`msa.balance` computes it), and one
  bilinear equation per transfer coefficient (a flow is ``TC`` times its source's total inflow);
* **what is known how well**: a cell is *measured* with an sd from ``sd`` (absolute), ``cv``
  (relative) or, by default, its data-quality grade (the coefficient of variation of
  :mod:`msa.uncertainty`'s grade table: A 2.6%, B 5.7%, C 13.7%, D 30.7%); *unknown* to be
  computed; or a *constant*, never adjusted (``status``).

The years share one compiled problem (:class:`msa.reconciliation.Problem`): a year costs one small
factorisation. The result holds the balanced System (measured flows adjusted, unknown flows
computed; stocks follow their adjusted changes), the sd of every cell, one row per cell and
year with its adjustment and test statistic, and the chi-square test of every year.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, MsaWarning
from msa.reconciliation.equations import quote
from msa.reconciliation.result import BatchReconciliation
from msa.reconciliation.solve import Problem
from msa.system.core import System
from msa.uncertainty.grades import grade_log_sd

__all__ = ["STATUSES", "SystemReconciliation", "reconcile_system"]

#: What a cell of a flow or stock change can be.
STATUSES = ("measured", "unknown", "constant")
#: Source id of the values a reconciliation computes (added to the System's sources).
SOURCE_ID = "msa_reconciliation"
#: Grade of a computed unknown: a coherent estimate from several sources (JRC grade C).
COMPUTED_GRADE = "C"

_Spec = float | xr.DataArray


@dataclass(frozen=True)
class SystemReconciliation:
    """The result of :func:`reconcile_system`.

    Attributes
    ----------
    system : System or None
        The balanced System: measured flows and stock changes reconciled, unknown ones computed
        (grade C, source ``msa_reconciliation``), stock levels following their reconciled
        changes. None when an unknown cannot be computed (see ``notes``).
    sd : dict of str to DataArray
        The sd of every reconciled flow (by name) and stock change (``"stock_change P"``).
    table : DataFrame
        One row per cell and year: ``quantity`` (flow name, ``stock_change P`` or ``TC flow``),
        the dims, ``year``, ``status``, ``measured``, ``measured_sd``, ``value``, ``sd``,
        ``adjustment``, ``z``, ``flagged``, ``classification``, ``bound``.
    tests : DataFrame
        Indexed by year: ``chi2``, ``dof``, ``chi2_critical``, ``passed``, ``iterations``,
        ``bounded``, ``flagged`` (how many measurements have ``|z|`` above the critical value).
    batch : BatchReconciliation
        The solver's result over the years (quantity names in ``batch.names``).
    equations : tuple of str
        The equations reconciled, over ``batch.names``.
    notes : tuple of str
        What the user must know: unobservable unknowns, active bounds, measured zeros held.
    """

    system: System | None
    sd: dict[str, xr.DataArray]
    table: pd.DataFrame
    tests: pd.DataFrame
    batch: BatchReconciliation = field(repr=False)
    equations: tuple[str, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()
    alpha: float = field(default=0.05, repr=False)

    @property
    def passed(self) -> bool:
        """Return True if every year passes the chi-square test."""
        return bool(self.tests["passed"].all())

    def totals(self, year: int) -> pd.DataFrame:
        """Return each flow's and stock change's total over its dims in ``year``, with its sd.

        The sd of a total is exact: the reconciled cells of one flow are correlated (they
        share balances), so it is ``sqrt(1' C 1)`` over the covariance ``C`` of that year's
        reconciliation (:attr:`msa.reconciliation.Reconciliation.covariance`), not the root sum of
        the cells' squared sds. With an active bound the sds are approximate.

        Returns
        -------
        DataFrame
            Indexed by ``quantity``: ``value``, ``sd``.

        Raises
        ------
        msa.ConfigError
            A year that was not reconciled.
        """
        from msa.reconciliation.solve import reconcile

        rows = self.table[self.table["year"] == year]
        if rows.empty:
            raise ConfigError(
                f"year {year} was not reconciled (years {sorted(set(self.table['year']))})"
            )
        k = int(np.flatnonzero(np.asarray(self.tests.index) == year)[0])
        quantities = pd.DataFrame(
            {
                "name": self.batch.names,
                "value": rows["measured"].to_numpy(),
                "sd": rows["measured_sd"].to_numpy(),
            }
        )
        lower = np.where(self.batch.bound[k] == "lower", self.batch.values[k], -np.inf)
        if (lower > -np.inf).any():
            quantities["lower"] = lower
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MsaWarning)
            one = reconcile(quantities, list(self.equations), alpha=float(self.alpha))
        cov = one.covariance
        out = {}
        quantity = rows["quantity"].to_numpy()
        for name in dict.fromkeys(quantity):
            if name.startswith("TC "):
                continue
            cells = [self.batch.names[i] for i in np.flatnonzero(quantity == name)]
            value = float(one.table.loc[cells, "value"].sum())
            known = [c for c in cells if c in cov.index]  # constants have no spread
            spread = float(np.sqrt(max(cov.loc[known, known].to_numpy().sum(), 0.0)))
            out[name] = {"value": value, "sd": spread}
        return pd.DataFrame.from_dict(out, orient="index").rename_axis("quantity")


@dataclass
class _Cells:
    """The quantities of the problem: names, where each comes from, and its input."""

    names: list[str] = field(default_factory=list)
    quantity: list[str] = field(default_factory=list)
    labels: list[dict[str, object]] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)  # (T,) per cell
    sds: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)  # (T,) of str per cell

    def add(
        self,
        quantity: str,
        labels: dict[str, object],
        values: np.ndarray,
        sds: np.ndarray,
        status: np.ndarray,
    ) -> str:
        inside = ", ".join(f"{k}={v}" for k, v in labels.items())
        name = f"{quantity}[{inside}]" if inside else quantity
        self.names.append(name)
        self.quantity.append(quantity)
        self.labels.append(labels)
        self.values.append(values)
        self.sds.append(sds)
        self.status.append(status)
        return name


def reconcile_system(
    system: System,
    *,
    status: Mapping[str, str | xr.DataArray] | None = None,
    sd: Mapping[str, _Spec] | None = None,
    cv: Mapping[str, _Spec] | None = None,
    transfer_coefficients: Mapping[str, str | float | tuple[float, float]] | None = None,
    bounds: Literal["nonnegative"] | None = "nonnegative",
    alpha: float = 0.05,
) -> SystemReconciliation:
    """Reconcile a System's flows and stock changes so that every process balances.

    Parameters
    ----------
    system : System
        Its flows are the measurements (``status`` says which cells are unknown or constant).
    status : mapping, optional
        Flow name (or ``"stock_change P"``) to ``"measured"`` (default), ``"unknown"`` or
        ``"constant"``, for the whole flow, or a DataArray of those words over (some of) its
        dims, ``time`` included: a flow measured in some years is computed in the others.
    sd, cv : mapping, optional
        Flow name (or ``"stock_change P"``) to an absolute sd (in the flow's units) or a
        relative one, a number or a DataArray over (some of) its dims. Default: the sd of the
        cell's grade (``cv`` of the grade table times the value). A measured value of 0 has no
        spread by its grade, so it is held at 0 (a note says how many).
    transfer_coefficients : mapping, optional
        Flow name to its transfer coefficient: the name of a parameter of the System (its
        value and, from its grade, its sd), a number (a constant), or ``(value, sd)``. The
        flow, summed over the dims its source's balance leaves out, is then ``TC`` times the
        source's total inflow: a bilinear equation.
    bounds : {"nonnegative", None}
        ``"nonnegative"`` (default): flows that are not ``signed`` stay >= 0 (a bounded solve
        where the plain one would make one negative; its sd is then approximate).
    alpha : float
        Significance of the chi-square and measurement tests.

    Returns
    -------
    SystemReconciliation

    Raises
    ------
    msa.ConfigError
        A name in ``status``, ``sd``, ``cv`` or ``transfer_coefficients`` that is not a flow
        (or stock change), an unknown status word, both ``sd`` and ``cv`` for one flow.
    msa.DataError
        A negative or non-finite sd; a cell with neither a grade nor an sd; a system with no
        balance to reconcile.

    Examples
    --------
    >>> import msa
    >>> system = msa.load_example()
    >>> result = reconcile_system(system, status={"Manufacture => Use": "unknown"})
    >>> bool(result.passed), result.system is not None
    (True, True)
    """
    status = dict(status or {})
    sd, cv = dict(sd or {}), dict(cv or {})
    tcs = dict(transfer_coefficients or {})
    _check_names(system, status, sd, cv, tcs)
    years = system.years
    cells = _Cells()
    names_of: dict[str, xr.DataArray] = {}  # quantity -> DataArray of cell names (no time)
    notes: list[str] = []
    zeros = 0
    for quantity, da in _quantities(system):
        names_of[quantity], held = _add_cells(
            cells, quantity, da, status.get(quantity), sd.get(quantity), cv.get(quantity), system
        )
        zeros += held
    equations = _balances(system, names_of)
    for flow, tc in tcs.items():
        equations += _tc_equations(system, cells, names_of, flow, tc, len(years))
    if not equations:
        raise DataError(f"system {system.name!r}: no process to balance (only boundaries)")
    if zeros:
        notes.append(
            f"{zeros} measured cell(s) of 0 held at 0 (a grade gives a relative spread; give "
            "an sd to let them move)"
        )
    values = np.column_stack(cells.values) if cells.values else np.zeros((len(years), 0))
    sds = np.column_stack(cells.sds)
    lower = np.full(values.shape, -np.inf)
    if bounds == "nonnegative":
        for j, quantity in enumerate(cells.quantity):
            if quantity in system.flows and not system.flows[quantity].attrs.get("signed", 0):
                lower[:, j] = 0.0
    elif bounds is not None:
        raise ConfigError(f"bounds must be 'nonnegative' or None (got {bounds!r})")
    problem = Problem(cells.names, equations, alpha=alpha)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MsaWarning)
        batch = problem.solve(values, sds, lower=lower)
    notes += [str(w.message) for w in caught if issubclass(w.category, MsaWarning)]
    for note in notes:
        warnings.warn(note, MsaWarning, stacklevel=2)
    table = _table(cells, batch, years, values, sds, alpha)
    tests = pd.DataFrame(
        {
            "chi2": batch.chi2,
            "dof": batch.dof,
            "chi2_critical": batch.chi2_critical,
            "passed": batch.passed,
            "iterations": batch.iterations,
            "bounded": batch.bounded,
            "flagged": (np.abs(np.nan_to_num(batch.z)) > _z_critical(alpha)).sum(axis=1),
        },
        index=pd.Index(years, name="year"),
    )
    observable = bool(np.isfinite(batch.values).all())
    sds_out = _arrays(system, names_of, batch.sd, years)
    balanced = _balanced(system, names_of, batch, years) if observable else None
    if not observable:
        notes.append("no balanced System: some unknowns cannot be computed (see the table)")
    return SystemReconciliation(
        system=balanced,
        sd=sds_out,
        table=table,
        tests=tests,
        batch=batch,
        equations=tuple(equations),
        notes=tuple(notes),
        alpha=alpha,
    )


def _z_critical(alpha: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2))


def _check_names(
    system: System,
    status: Mapping[str, object],
    sd: Mapping[str, object],
    cv: Mapping[str, object],
    tcs: Mapping[str, object],
) -> None:
    known = set(system.flows) | {f"stock_change {p}" for p in system.stocks}
    for what, given in (("status", status), ("sd", sd), ("cv", cv)):
        for name in given:
            if name not in known:
                raise ConfigError(
                    f"{what}: {name!r} is not a flow or stock change of system "
                    f"{system.name!r}; known: {sorted(known)[:8]}{' ...' if len(known) > 8 else ''}"
                )
    both = sorted(set(sd) & set(cv))
    if both:
        raise ConfigError(f"give sd or cv for a flow, not both: {both}")
    for flow in tcs:
        if flow not in system.flows:
            raise ConfigError(f"transfer_coefficients: {flow!r} is not a flow of the system")
    for name, value in status.items():
        words = {value} if isinstance(value, str) else set(np.unique(np.asarray(value, str)))
        bad = sorted(words - set(STATUSES))
        if bad:
            raise ConfigError(f"status of {name!r}: {bad} is not one of {list(STATUSES)}")


def _quantities(system: System) -> Iterable[tuple[str, xr.DataArray]]:
    """Yield every flow and every stock change (of the stocks :func:`msa.balance` counts)."""
    yield from system.flows.items()
    for pid, ds in system.stocks.items():
        yield f"stock_change {pid}", ds["stock_change"]


def _add_cells(
    cells: _Cells,
    quantity: str,
    da: xr.DataArray,
    status: str | xr.DataArray | None,
    sd: _Spec | None,
    cv: _Spec | None,
    system: System,
) -> tuple[xr.DataArray, int]:
    """Add a quantity's cells; return the DataArray of their names and the zeros held."""
    other = [str(d) for d in da.dims if d != "time"]
    da = da.transpose("time", *other)
    t = da.sizes["time"]
    word = "measured" if status is None else status
    words = np.asarray(_broadcast(word, da).values, dtype=str).reshape(t, -1)
    spread = np.asarray(_spread(quantity, da, sd, cv, system), dtype=float).reshape(t, -1)
    values = np.asarray(da.values, dtype=float).reshape(t, -1)
    shape = [da.sizes[d] for d in other]
    names = np.empty(values.shape[1], dtype=object)
    held = 0
    for j in range(values.shape[1]):
        index = np.unravel_index(j, shape) if shape else ()
        labels: dict[str, object] = {
            d: _plain(da[d].values[i]) for d, i in zip(other, index, strict=True)
        }
        kind = words[:, j].copy()
        cell, sds = values[:, j].copy(), spread[:, j].copy()
        kind[np.isnan(cell)] = "unknown"  # a year without a value (a stock of NaN)
        unknown, constant = kind == "unknown", kind == "constant"
        cell[unknown], sds[unknown] = np.nan, np.nan
        sds[constant] = 0.0
        measured = kind == "measured"
        held += int(((cell == 0) & (sds == 0) & measured).sum())
        names[j] = cells.add(quantity, labels, cell, sds, kind)
    return xr.DataArray(names.reshape(shape), dims=other, coords={d: da[d] for d in other}), held


def _plain(label: object) -> object:
    """Return a coordinate label as a plain Python value."""
    return label.item() if isinstance(label, np.generic) else label


def _broadcast(value: str | xr.DataArray, da: xr.DataArray) -> xr.DataArray:
    if isinstance(value, xr.DataArray):
        return value.broadcast_like(da).transpose(*da.dims)
    return xr.full_like(da, value, dtype=object)


def _spread(
    quantity: str, da: xr.DataArray, sd: _Spec | None, cv: _Spec | None, system: System
) -> np.ndarray:
    """Return the sd of every cell (time first, then the other dims in ``da``'s order)."""
    if sd is not None:
        out = np.asarray(_numbers(sd, da).values, dtype=float)
        where = f"sd of {quantity!r}"
    elif cv is not None:
        out = np.asarray((_numbers(cv, da) * abs(da)).values, dtype=float)
        where = f"cv of {quantity!r}"
    else:
        out = np.full(da.shape, np.nan)
        where = f"{quantity!r}"
    if (sd is not None or cv is not None) and (out < 0).any():
        raise DataError(f"{where}: an sd must be a finite number >= 0")
    missing = np.isnan(out) & ~np.isnan(np.asarray(da.values, dtype=float))
    if missing.any():  # not given (NaN in a given DataArray): from the grade
        out = np.where(missing, _grade_sd(quantity, da, system), out)
    bad = ~np.isfinite(out) & np.isfinite(np.asarray(da.values, dtype=float))
    if bad.any() or (out < 0).any():
        raise DataError(f"{where}: an sd must be a finite number >= 0")
    return out


def _numbers(value: _Spec, da: xr.DataArray) -> xr.DataArray:
    if isinstance(value, xr.DataArray):
        return value.broadcast_like(da).transpose(*da.dims).astype(float)
    return xr.full_like(da, float(value), dtype=float)


def _grade_sd(quantity: str, da: xr.DataArray, system: System) -> np.ndarray:
    """Return each cell's sd from its grade: the grade's coefficient of variation x |value|."""
    if np.isnan(np.asarray(da.values, dtype=float)).all():
        return np.full(da.shape, np.nan)
    prov = system.provenance.get(quantity)
    if prov is None or "grade" not in prov:
        raise DataError(
            f"{quantity!r} has no grade: give its sd or cv (or status 'constant' or 'unknown')"
        )
    grades = prov["grade"].broadcast_like(da).transpose(*da.dims)
    clo = prov.get("clo_grade")
    clo_grades = clo.broadcast_like(da).transpose(*da.dims) if clo is not None else None
    flat_g = np.asarray(grades.values, dtype=str).ravel()
    flat_c = (
        np.asarray(clo_grades.values, dtype=str).ravel()
        if clo_grades is not None
        else np.full(flat_g.shape, "")
    )
    pairs, where = np.unique(np.char.add(np.char.add(flat_g, "|"), flat_c), return_inverse=True)
    cvs = np.empty(len(pairs))
    for k, pair in enumerate(pairs):  # one lookup per distinct (grade, CLO grade)
        g, _, c = str(pair).partition("|")
        if not g and not c:
            raise DataError(
                f"{quantity!r} has cells without a grade: give its sd or cv (or status)"
            )
        s = grade_log_sd(g or "D", c or None)
        cvs[k] = np.sqrt(np.expm1(s * s))
    cv = cvs[where].reshape(da.shape)
    return cv * np.abs(np.asarray(da.values, dtype=float))


def _balances(system: System, names_of: Mapping[str, xr.DataArray]) -> list[str]:
    """One equation per non-boundary process and combination of the dims its terms share."""
    equations = []
    for pid, proc in system.processes.items():
        if proc.kind == "boundary":
            continue
        ins = [names_of[f] for f in system.inflows(pid)]
        outs = [names_of[f] for f in system.outflows(pid)]
        if f"stock_change {pid}" in names_of:
            outs.append(names_of[f"stock_change {pid}"])
        terms = ins + outs
        if not terms:
            continue
        common = [d for d in system.dims if d != "time" and all(d in t.dims for t in terms)]
        for combo in itertools.product(*(terms[0][d].values for d in common)):
            pick = dict(zip(common, combo, strict=True))
            plus = [n for t in ins for n in np.ravel(t.sel(pick).values)]
            minus = [n for t in outs for n in np.ravel(t.sel(pick).values)]
            text = " + ".join(quote(str(n)) for n in plus) or "0"
            if minus:
                text += " - " + " - ".join(quote(str(n)) for n in minus)
            equations.append(text)
    return equations


def _tc_equations(
    system: System,
    cells: _Cells,
    names_of: dict[str, xr.DataArray],
    flow: str,
    tc: str | float | tuple[float, float],
    periods: int,
) -> list[str]:
    """Add a transfer coefficient as a quantity; return ``flow - TC * inflow`` per combo."""
    source = str(system.flows[flow].attrs["source"])
    ins = [names_of[f] for f in system.inflows(source)]
    if not ins:
        raise ConfigError(f"transfer_coefficients: {flow!r} leaves {source!r}, which has no inflow")
    if isinstance(tc, str):
        if tc not in system.parameters:
            raise ConfigError(f"transfer_coefficients: {flow!r}: no parameter {tc!r}")
        param = system.parameters[tc]
        if set(param.dims) - {"time"}:
            raise ConfigError(
                f"transfer_coefficients: parameter {tc!r} has dims {list(param.dims)}; "
                "give one coefficient per year"
            )
        value = np.broadcast_to(
            np.asarray(
                param.broadcast_like(
                    xr.DataArray(system.years, dims="time", coords={"time": system.years})
                ).values,
                dtype=float,
            ),
            (periods,),
        )
        spread = (
            _grade_sd(f"parameter {tc}", param, system)
            if f"parameter {tc}" in system.provenance
            else None
        )
        sds = np.broadcast_to(spread if spread is not None else np.zeros(1), (periods,))
    else:
        v, s = (tc, 0.0) if isinstance(tc, int | float) else tc
        value, sds = np.full(periods, float(v)), np.full(periods, float(s))
    words = np.full(periods, "measured", dtype=object)
    name = cells.add(f"TC {flow}", {}, np.array(value, float), np.array(sds, float), words)
    names_of[f"TC {flow}"] = xr.DataArray(name)
    common = [d for d in system.dims if d != "time" and all(d in t.dims for t in ins)]
    common = [d for d in common if d in names_of[flow].dims]
    equations = []
    for combo in itertools.product(*(names_of[flow][d].values for d in common)):
        pick = dict(zip(common, combo, strict=True))
        out = " + ".join(quote(str(n)) for n in np.ravel(names_of[flow].sel(pick).values))
        into = " - ".join(
            f"{quote(name)} * {quote(str(n))}" for t in ins for n in np.ravel(t.sel(pick).values)
        )
        equations.append(f"{out} - {into}")
    return equations


def _table(
    cells: _Cells,
    batch: BatchReconciliation,
    years: np.ndarray,
    values: np.ndarray,
    sds: np.ndarray,
    alpha: float,
) -> pd.DataFrame:
    """One row per cell and year (years outer), input beside result."""
    n, t = len(cells.names), len(years)
    dims = list(dict.fromkeys(d for labels in cells.labels for d in labels))
    frame = pd.DataFrame({"quantity": np.tile(cells.quantity, t)})
    for d in dims:
        frame[d] = np.tile([labels.get(d, "") for labels in cells.labels], t)
    frame["year"] = np.repeat(years, n)
    frame["status"] = np.column_stack(cells.status).ravel() if cells.status else []
    frame["measured"] = values.ravel()
    frame["measured_sd"] = sds.ravel()
    frame["value"] = batch.values.ravel()
    frame["sd"] = batch.sd.ravel()
    frame["adjustment"] = frame["value"] - frame["measured"]
    frame["z"] = batch.z.ravel()
    frame["flagged"] = np.abs(np.nan_to_num(frame["z"].to_numpy())) > _z_critical(alpha)
    frame["classification"] = batch.classification.ravel()
    frame["bound"] = batch.bound.ravel()
    return frame


def _arrays(
    system: System,
    names_of: Mapping[str, xr.DataArray],
    matrix: np.ndarray,
    years: np.ndarray,
) -> dict[str, xr.DataArray]:
    """Put a (years, cells) result back on each quantity's dims."""
    column = {}
    index = {name: j for j, name in enumerate(_all_names(names_of))}
    for quantity, names in names_of.items():
        if quantity.startswith("TC "):
            continue
        flat = [index[str(n)] for n in np.ravel(names.values)]
        data = matrix[:, flat].reshape((len(years), *names.shape))
        column[quantity] = xr.DataArray(
            data,
            dims=("time", *names.dims),
            coords={"time": years, **{d: names[d].values for d in names.dims}},
        )
    return column


def _all_names(names_of: Mapping[str, xr.DataArray]) -> list[str]:
    return [str(n) for names in names_of.values() for n in np.ravel(names.values)]


def _balanced(
    system: System,
    names_of: Mapping[str, xr.DataArray],
    batch: BatchReconciliation,
    years: np.ndarray,
) -> System:
    """Return a copy of ``system`` with the reconciled values (computed ones graded C)."""
    out = system.copy()
    values = _arrays(system, names_of, batch.values, years)
    unknown = _arrays(
        system,
        names_of,
        (batch.classification == "unknown observable").astype(float),
        years,
    )
    if (batch.classification == "unknown observable").any() and SOURCE_ID not in out.sources.index:
        row = {
            "source_id": SOURCE_ID,
            "title": "msa reconciliation (weighted least squares, Cencic 2016)",
            "note": "values computed by msa.reconcile_system from the balance equations",
        }
        out.set_sources(pd.concat([out.sources.reset_index(), pd.DataFrame([row])]))
    for name in system.flows:
        new = values[name].transpose(*system.flows[name].dims)
        old = out.flows[name]
        if bool(np.isnan(new.values).any()):
            raise DataError(f"flow {name!r}: reconciled values missing")
        out.flows[name] = new.assign_attrs(old.attrs).rename(name)
        computed = unknown[name].transpose(*old.dims) > 0
        prov = out.provenance[name]
        prov["grade"] = prov["grade"].where(~computed, COMPUTED_GRADE)
        prov["source_id"] = prov["source_id"].where(~computed, SOURCE_ID)
    for pid in system.stocks:
        change = values[f"stock_change {pid}"].transpose(*system.stocks[pid]["stock_change"].dims)
        ds = out.stocks[pid]
        before = ds["stock"].isel(time=0) - ds["stock_change"].isel(time=0)
        ds["stock_change"] = change.assign_attrs(ds["stock_change"].attrs)
        ds["stock"] = (before + change.cumsum("time")).assign_attrs(ds["stock"].attrs)
    return out
