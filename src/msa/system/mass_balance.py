r"""Mass balance of a system: residuals per process, year and coordinate, and the strict check.

For every non-boundary process *p*, in every year and every combination of the dims that all
of its flows share:

.. math:: r_p = \sum_{f \in in(p)} f - \sum_{f \in out(p)} f - \Delta S_p

where :math:`\Delta S_p` is the stock change of a stock process (0 otherwise). Each flow is
first summed over the dims the process's other flows lack (a flow by material into a process
whose outflow is a total balances at the total level). The arithmetic is vectorised over
years and coordinates; the only Python loop is over processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from msa.errors import ConfigError, DataError, MassBalanceError
from msa.messages import plain
from msa.system.core import System

__all__ = ["Offender", "balance", "check_balance", "throughput"]

#: Default relative tolerance of :func:`check_balance` (relative to the process throughput).
DEFAULT_RTOL = 1e-9
#: Default absolute tolerance of :func:`check_balance` (in the flows' units).
DEFAULT_ATOL = 0.0


def _terms(system: System, pid: str) -> tuple[list[xr.DataArray], list[xr.DataArray], str]:
    """Return the positive terms, negative terms and units of a process's balance.

    Every term is reduced to the dims all terms share.
    """
    ins = [system.flows[n] for n in system.inflows(pid)]
    outs = [system.flows[n] for n in system.outflows(pid)]
    if pid in system.stocks:
        outs.append(system.stocks[pid]["stock_change"])
    arrays = ins + outs
    units = {str(a.attrs.get("units")) for a in arrays}
    if len(units) > 1:
        raise DataError(
            f"system {system.name!r}: process {pid!r} mixes units {sorted(units)}; convert "
            "the flows to one unit before balancing"
        )
    if not arrays:
        return [], [], ""
    common = set(arrays[0].dims).intersection(*(a.dims for a in arrays[1:]))
    order = [d for d in system.dims if d in common]

    def reduce(a: xr.DataArray) -> xr.DataArray:
        extra = [d for d in a.dims if d not in common]
        return (a.sum(extra) if extra else a).transpose(*order)

    return [reduce(a) for a in ins], [reduce(a) for a in outs], units.pop()


def _on_one_grid(terms: list[xr.DataArray]) -> bool:
    """Return whether all ``terms`` have the same dims and labels (nothing to align).

    A System's flows and stock changes are kept on its coordinates in its dim order, so after
    :func:`_terms` they are; then the sums are plain numpy sums over the arrays' values,
    element by element in the order xarray would add them (the same numbers, 10x faster).
    """
    first = terms[0]
    return all(
        t.dims == first.dims
        and set(t.indexes) == set(first.indexes)
        and all(t.indexes[d].equals(first.indexes[d]) for d in first.indexes)
        for t in terms[1:]
    )


def _total(terms: list[xr.DataArray], shape: tuple[int, ...]) -> np.ndarray:
    """Return ``0 + terms[0] + terms[1] + ...`` of arrays on one grid, as xarray sums them."""
    total = np.zeros(shape)
    for term in terms:
        total = total + term.values
    return total


def _signed_totals(
    pos: list[xr.DataArray], neg: list[xr.DataArray]
) -> tuple[xr.DataArray, xr.DataArray]:
    """Return the sums of ``pos`` and of ``neg`` (each ``0 +`` the terms in order)."""
    zero = xr.zeros_like((pos or neg)[0])
    if _on_one_grid(pos + neg):
        return (
            zero.copy(data=_total(pos, zero.shape)),
            zero.copy(data=_total(neg, zero.shape)),
        )
    return sum(pos, start=zero), sum(neg, start=zero)


def balance(system: System) -> xr.Dataset:
    r"""Return the mass-balance residual of every non-boundary process.

    Parameters
    ----------
    system : System
        The system to balance.

    Returns
    -------
    xarray.Dataset
        One variable per non-boundary process (named by process id), over ``time`` and the
        dims its flows share: inflows - outflows - stock change. ``attrs["units"]`` is set.

    Notes
    -----
    :math:`r_{p,t,x} = \sum_{in} f_{t,x} - \sum_{out} f_{t,x} - \Delta S_{p,t,x}`.

    Examples
    --------
    >>> import msa
    >>> res = msa.balance(msa.load_example())
    >>> float(abs(res["Manufacture"]).max())
    0.0
    """
    out = {}
    for pid, proc in system.processes.items():
        if proc.kind == "boundary":
            continue
        pos, neg, units = _terms(system, pid)
        if not pos and not neg:
            continue
        tin, tout = _signed_totals(pos, neg)
        total = tin - tout
        total.attrs = {"units": units, "process": pid}
        total.name = pid
        out[pid] = total
    return xr.Dataset(out, attrs={"system": system.name})


def throughput(system: System) -> xr.Dataset:
    r"""Return each non-boundary process's throughput: max(sum of inflows, sum of outflows).

    A stock's net addition counts on the outflow side, a depletion on the inflow side.
    Same layout as :func:`balance`. :func:`check_balance` scales its relative tolerance by it.

    Notes
    -----
    :math:`T_{p,t,x} = \max(\sum_{in} f + \Delta S^-, \sum_{out} f + \Delta S^+)` with
    :math:`\Delta S^\pm` the positive and negative parts of the stock change.

    Examples
    --------
    >>> import msa
    >>> tp = msa.throughput(msa.load_example())
    >>> float(tp["Collection"].sel(time=2019, material="Co"))
    40.0
    """
    out = {}
    for pid, proc in system.processes.items():
        if proc.kind == "boundary":
            continue
        pos, neg, units = _terms(system, pid)
        if not pos and not neg:
            continue
        if pid in system.stocks:
            change = neg.pop()
            pos.append((-change).clip(min=0))
            neg.append(change.clip(min=0))
        tin, tout = _signed_totals(pos, neg)
        tp = xr.where(tin > tout, tin, tout)
        tp.attrs = {"units": units, "process": pid}
        out[pid] = tp
    return xr.Dataset(out, attrs={"system": system.name})


@dataclass(frozen=True)
class Offender:
    """One cell that fails the balance: process, year, other coordinates, residual, throughput."""

    process: str
    year: int
    coords: dict[str, object]
    residual: float
    throughput: float
    units: str

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in self.coords.items())
        where = f" [{where}]" if where else ""
        rel = f" ({abs(self.residual) / self.throughput:.3g} of it)" if self.throughput else ""
        return (
            f"process {self.process!r} year {self.year}{where}: residual "
            f"{self.residual:.6g} {self.units}, throughput {self.throughput:.6g} {self.units}{rel}"
        )


def offenders(
    system: System, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> list[Offender]:
    """Return every cell outside the tolerance, worst (largest relative residual) first.

    Examples
    --------
    >>> import msa
    >>> system = msa.load_example()
    >>> offenders(system)
    []
    >>> system.flows["Use => Collection"].loc[{"time": 2020, "material": "Li"}] += 2.0
    >>> print(offenders(system)[0])
    process 'Collection' year 2020 [material='Li']: residual 2 t, throughput 23 t (0.087 of it)
    """
    if not (rtol >= 0 and atol >= 0):
        raise ConfigError(f"tolerances must be >= 0 (got rtol={rtol}, atol={atol})")
    res = balance(system)
    tps = throughput(system)
    found: list[tuple[float, Offender]] = []
    for pid in res.data_vars:
        r = res[pid]
        tp = tps[pid]
        bad = np.abs(r.values) > atol + rtol * tp.values
        if not bad.any():
            continue
        for idx in np.argwhere(bad):
            cell = dict(zip(r.dims, idx, strict=True))
            year = int(r["time"].values[cell.pop("time")])
            coords = {str(d): plain(r[d].values[i]) for d, i in cell.items()}
            rv = float(r.values[tuple(idx)])
            tv = float(tp.values[tuple(idx)])
            score = abs(rv) / tv if tv else np.inf
            found.append(
                (score, Offender(str(pid), year, coords, rv, tv, r.attrs.get("units", "")))
            )
    found.sort(key=lambda item: (-item[0], -abs(item[1].residual)))
    return [o for _, o in found]


def check_balance(
    system: System,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    max_report: int = 5,
) -> None:
    """Raise :class:`MassBalanceError` if any process does not balance.

    A cell fails when ``|residual| > atol + rtol * throughput``, with ``throughput`` from
    :func:`throughput`. The default (``rtol=1e-9``, ``atol=0``) is relative to each process's
    own throughput, so it does not depend on the units or size of the system; raise ``atol``
    for published data rounded to whole units.

    Parameters
    ----------
    system : System
        The system to check.
    rtol, atol : float
        Relative and absolute tolerance.
    max_report : int
        How many offenders the message lists (worst first); all are in ``err.offenders``.

    Raises
    ------
    MassBalanceError
        With the worst offenders named (process, year, coordinates, residual, throughput) and
        the flows of the worst process; the full list is ``err.offenders``.

    Examples
    --------
    >>> import msa
    >>> msa.check_balance(msa.load_example())
    """
    found = offenders(system, rtol=rtol, atol=atol)
    if not found:
        return
    worst = found[0]
    flows = system.inflows(worst.process) + system.outflows(worst.process)
    lines = "; ".join(str(o) for o in found[:max_report])
    more = f" (and {len(found) - max_report} more)" if len(found) > max_report else ""
    err = MassBalanceError(
        f"system {system.name!r} is out of balance in {len(found)} cell(s) "
        f"(rtol={rtol:g}, atol={atol:g}): {lines}{more}. Flows of {worst.process!r}: "
        f"{', '.join(flows) or 'none'}"
    )
    err.offenders = list(found)
    raise err
