"""Benchmark msa.reconcile: one large sparse system, and many periods of a small one.

Run from the repository root:

    .venv/bin/python bench/bench_reconcile.py            # both cases, best of 3
    .venv/bin/python bench/bench_reconcile.py --repeat 5 --unknown 0.2

Case "large": a random balanced network of 10,000 flows between 2,000 processes and the
environment (each process has a flow in and out along a chain, the rest random), true values a
circulation, measurements true + normal noise with sd 5 % of the value; a share (``--unknown``,
default 0.2) of the flows unknown and 1 % constants. One ``reconcile`` call, with every sd and
the classification (the full covariance is lazy and not asked for).

Case "batch": a 100-flow, 20-process network of the same kind over 50 years (one pattern of
unknowns), one ``Problem.solve`` call.

Case "system": the same network as a ``msa.System`` (20 transformation processes and a
boundary, 50 years, flows measured with 5 % noise and graded C, every tenth unknown) through
``msa.reconcile_system``:
building the problem from the System, solving, putting the balanced System together.

Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
import scipy
import xarray as xr

import msa
import msa.reconciliation as rec
from msa.errors import MsaWarning


def network(n_proc: int, n_flows: int, seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """Return flow names, balance equations and balanced true values."""
    rng = np.random.default_rng(seed)
    src = np.concatenate([np.arange(n_proc + 1), rng.integers(0, n_proc + 1, n_flows)])
    dst = np.concatenate([np.r_[np.arange(1, n_proc + 1), 0], rng.integers(0, n_proc + 1, n_flows)])
    keep = src != dst
    src, dst = src[keep][:n_flows], dst[keep][:n_flows]
    # a circulation: random positive cycle weights pushed along random walks is slow; instead
    # start from random values and correct with the chain flows (least-norm correction)
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    n = len(src)
    rows = np.concatenate([dst - 1, src - 1])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    inside = rows >= 0
    inc = sp.csr_array((vals[inside], (rows[inside], cols[inside])), shape=(n_proc, n))
    values = rng.uniform(10, 100, n)
    corr = spla.lsqr(inc, inc @ values, atol=1e-14, btol=1e-14, iter_lim=20000)[0]
    values = values - corr
    names = [f"F{i}" for i in range(n)]
    equations = []
    inc = inc.tocsr()
    for p in range(n_proc):
        start, stop = inc.indptr[p], inc.indptr[p + 1]
        terms = [
            f"{'+' if v > 0 else '-'} F{j}"
            for j, v in zip(inc.indices[start:stop], inc.data[start:stop], strict=True)
        ]
        equations.append(" ".join(terms))
    return names, equations, values


def observed(values: np.ndarray, unknown: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sds = 0.05 * np.abs(values) + 0.01
    meas = values + rng.normal(0, sds)
    u = rng.random(values.shape[-1]) < unknown
    c = (rng.random(values.shape[-1]) < 0.01) & ~u
    meas[..., u] = np.nan
    sds = np.where(u, np.nan, np.where(c, 0.0, sds))
    meas[..., c] = values[..., c]
    return meas, sds


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unknown", type=float, default=0.2)
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2_000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"cpus {os.cpu_count()}, load {os.getloadavg()}"
    )
    warnings.simplefilter("ignore", MsaWarning)

    names, eqs, true = network(args.processes, args.flows, 1)
    meas, sds = observed(true, args.unknown, 2)
    q = pd.DataFrame({"name": names, "value": meas, "sd": sds})
    t_parse, problem = best(lambda: rec.Problem(names, eqs), 1)
    t, r = best(lambda: rec.reconcile(q, eqs), args.repeat)
    counts = r.table["classification"].value_counts().to_dict()
    print(
        f"large: {len(names)} flows, {len(eqs)} processes, unknown share {args.unknown}: "
        f"reconcile {t:.2f} s (best of {args.repeat}; parsing alone {t_parse:.2f} s); "
        f"dof {r.dof}, chi2 {r.chi2:.1f} (critical {r.chi2_critical:.1f}); {counts}"
    )

    names, eqs, true = network(20, 100, 3)
    years = true * np.linspace(0.8, 1.5, 50)[:, None]
    meas, sds = observed(years, 0.1, 4)
    meas[:, np.isnan(meas[0])] = np.nan
    sds[:, np.isnan(sds[0])] = np.nan
    problem = rec.Problem(names, eqs)
    t, batch = best(lambda: problem.solve(meas, sds), args.repeat)
    t1, _ = best(lambda: [problem.solve(meas[k], sds[k]) for k in range(50)], 1)
    print(
        f"batch: 100 flows, 20 processes, 50 years: Problem.solve {t:.3f} s (best of "
        f"{args.repeat}); one call per year {t1:.3f} s; dof {batch.dof[0]}, "
        f"passed {int(batch.passed.sum())}/50"
    )

    system, unknown = as_system(names, eqs, years, 5)
    t, result = best(lambda: msa.reconcile_system(system, status=unknown), args.repeat)
    print(
        f"system: {len(system.flows)} flows, 20 processes, 50 years: reconcile_system {t:.3f} s "
        f"(best of {args.repeat}); passed {int(result.tests['passed'].sum())}/50"
    )


def as_system(
    names: list[str], equations: list[str], years: np.ndarray, seed: int
) -> tuple[msa.System, dict[str, str]]:
    """Return the batch network as a System of measured flows (process p = equation p).

    Parallel flows of one pair of processes are summed, a negative flow turned round and flows
    from a process to itself dropped (all keep every balance); measurements are the true values
    plus normal noise of 5%, graded C; every tenth flow is unknown.
    """
    ends: dict[str, list[str]] = {n: ["P0", "P0"] for n in names}  # [source, target]
    for p, eq in enumerate(equations, start=1):
        for sign, name in zip(eq.split()[0::2], eq.split()[1::2], strict=True):
            ends[name][1 if sign == "+" else 0] = f"P{p}"
    true: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        source, target = ends[name]
        if source == target:
            continue
        if years[0, j] < 0:  # a negative flow is the opposite flow
            source, target = target, source
        flow = f"{source} => {target}"
        true[flow] = true.get(flow, 0.0) + np.abs(years[:, j])
    rng = np.random.default_rng(seed)
    time_ = np.arange(2001, 2001 + len(years))
    system = msa.System("bench", coords={"time": time_})
    system.set_sources([{"source_id": "bench", "title": "random benchmark network"}])
    system.add_process("P0", kind="boundary")
    for p in range(1, len(equations) + 1):
        system.add_process(f"P{p}")
    unknown: dict[str, str] = {}
    for k, (flow, values) in enumerate(true.items()):
        source, target = flow.split(" => ")
        noisy = np.abs(values * (1 + 0.05 * rng.standard_normal(len(values))))
        da = xr.DataArray(noisy, dims="time", coords={"time": time_})
        system.add_flow(source, target, da, units="t", source_id="bench", grade="C")
        if k % 10 == 5:
            unknown[flow] = "unknown"
    return system, unknown


if __name__ == "__main__":
    main()
