"""Benchmark msa's dynamic stock models against flodym 1.1, in one process, on the same inputs.

Run from the repository root:

    .venv/bin/python bench/bench_stocks.py            # full table (T 50/100/200, N 1/100/1000)
    .venv/bin/python bench/bench_stocks.py --quick    # T=200, N=1000 only
    .venv/bin/python bench/bench_stocks.py --varying  # only the lifetimes varying per series
    .venv/bin/python bench/bench_stocks.py --csv bench/results.csv

For every case (mode x lifetime x T x N) it times:
- flodym (``InflowDrivenDSM`` / ``StockDrivenDSM``, default "manual" solver), which always
  builds its cohort arrays;
- msa with cohort arrays (``by_cohort=True``) and with totals only (``by_cohort=False``).

"first" is the first call in this process for that case (pages touched for the first time);
"warm" is the best of ``--repeat`` further calls; peak memory is the tracemalloc peak of one
more call (numpy buffers included). "fill_floor_s" is the time to allocate and write two fresh
float64 arrays of the cohort arrays' size (the memory-bandwidth floor of returning them).
Ratios are flodym warm time / msa warm time. Inputs: series k is the base inflow or stock of
the ODYM/flodym reference run (docs/lifetimes.md, section "Reference values from ODYM and
flodym") times 1 + k/N; Weibull(2.5, 15) and Normal(12, 4); inflow at mid-year (both defaults).
Lifetimes varying along the series dim, at T=200, N=1000 (both toolkits get the same
parameters by series; flodym holds them over (time, series)):

- "weibull/series": Weibull shape 2.0 ... 3.0 by series, scale 15;
- "normal/series": Normal mean 10 ... 14 by series, std 4;
- "weibull/sample": Weibull shape by sample as above, but the inflow (stock) is the same for
  every sample, as in a Monte Carlo over the lifetime only (msa: the input has no sample dim).

BLAS threads: msa limits BLAS to one thread while a model runs
(``msa.stocks.engine.BLAS_THREADS``). ``*_1thread_s`` are the same msa calls with BLAS held at
one thread for the whole process by threadpoolctl (as ``OPENBLAS_NUM_THREADS=1`` would);
``*_blas_default_s`` with ``BLAS_THREADS = None``, i.e. OpenBLAS's own threads as msa ran
before the limit (skip with ``--no-blas-default``). The default columns run with the process's
default threads.
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib.metadata
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import xarray as xr
from threadpoolctl import ThreadpoolController

import msa
import msa.stocks.engine

try:
    import flodym as fd
except ImportError:  # pragma: no cover - flodym is a dev dependency
    sys.exit("flodym is needed for the benchmark: pip install -e '.[dev]'")


def inputs(n_t: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n_t)
    inflow = 100 + 2 * t + 30 * np.sin(2 * np.pi * t / 25)
    stock = 5000 / (1 + np.exp(-(t - n_t / 2) / (n_t / 10)))
    scale = 1 + np.arange(n) / n
    return np.outer(inflow, scale), np.outer(stock, scale)


def per_series_shape(n: int) -> np.ndarray:
    """Weibull shapes 2.0 ... 3.0, one per series (a lifetime per series: N survival matrices)."""
    return 2.0 + np.arange(n) / n


def per_series_mean(n: int) -> np.ndarray:
    """Normal means 10 ... 14, one per series."""
    return 10.0 + 4.0 * np.arange(n) / n


VARYING = ("weibull/series", "normal/series", "weibull/sample")


def flodym_runner(mode: str, dist: str, values: np.ndarray) -> Callable[[], object]:
    n_t, n = values.shape
    dims = fd.DimensionSet(
        dim_list=[
            fd.Dimension(name="time", letter="t", items=list(range(2000, 2000 + n_t))),
            fd.Dimension(name="series", letter="s", items=list(range(n))),
        ]
    )

    def run() -> object:
        if dist == "weibull":
            lt = fd.WeibullLifetime(dims=dims, weibull_shape=2.5, weibull_scale=15.0)
        elif dist in ("weibull/series", "weibull/sample"):
            shape = np.broadcast_to(per_series_shape(n), (n_t, n))
            lt = fd.WeibullLifetime(dims=dims, weibull_shape=shape, weibull_scale=15.0)
        elif dist == "normal/series":
            mean = np.broadcast_to(per_series_mean(n), (n_t, n))
            lt = fd.NormalLifetime(dims=dims, mean=mean, std=4.0)
        else:
            lt = fd.NormalLifetime(dims=dims, mean=12.0, std=4.0)
        if mode == "inflow":
            model = fd.InflowDrivenDSM(dims=dims, lifetime_model=lt)
            model.inflow.values[...] = values
        else:
            model = fd.StockDrivenDSM(dims=dims, lifetime_model=lt)
            model.stock.values[...] = values
        model.compute()
        return model

    return run


def msa_runner(mode: str, dist: str, values: np.ndarray, by_cohort: bool) -> Callable[[], object]:
    n_t, n = values.shape
    da = xr.DataArray(
        values,
        dims=("time", "series"),
        coords={"time": np.arange(2000, 2000 + n_t), "series": np.arange(n)},
    )
    by_series = {"dims": "series", "coords": {"series": np.arange(n)}}
    if dist == "weibull":
        lifetime = msa.WeibullLifetime(shape=2.5, scale=15.0)
    elif dist == "weibull/series":
        shape = xr.DataArray(per_series_shape(n), **by_series)
        lifetime = msa.WeibullLifetime(shape=shape, scale=15.0)
    elif dist == "weibull/sample":
        # The same input for every sample: the input has no sample dim, the lifetime has.
        da = da.isel(series=0, drop=True)
        shape = xr.DataArray(per_series_shape(n), dims="sample", coords={"sample": np.arange(n)})
        lifetime = msa.WeibullLifetime(shape=shape, scale=15.0)
    elif dist == "normal/series":
        mean = xr.DataArray(per_series_mean(n), **by_series)
        lifetime = msa.NormalLifetime(mean=mean, std=4.0)
    else:
        lifetime = msa.NormalLifetime(mean=12.0, std=4.0)
    func = msa.inflow_driven if mode == "inflow" else msa.stock_driven

    def run() -> object:
        return func(da, lifetime, by_cohort=by_cohort)

    return run


def measure(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, dict[str, float]]:
    """Time every runner: a first call each, then ``repeat`` interleaved rounds, then peaks.

    Interleaving (one call of each runner per round, best of the rounds) keeps the ratios fair
    when other processes load the machine unevenly over the run.
    """
    out: dict[str, dict[str, float]] = {name: {"warm": np.inf} for name in runs}
    for name, run in runs.items():
        gc.collect()
        start = time.perf_counter()
        result = run()
        out[name]["first"] = time.perf_counter() - start
        del result
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            start = time.perf_counter()
            result = run()
            out[name]["warm"] = min(out[name]["warm"], time.perf_counter() - start)
            del result
    for name, run in runs.items():
        gc.collect()
        tracemalloc.start()
        result = run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name]["peak_mib"] = peak / 2**20
        del result
    return out


def one_blas_thread(run: Callable[[], object]) -> Callable[[], object]:
    """Run ``run`` with BLAS limited to one thread for the whole process.

    One controller for every call: ``threadpoolctl.threadpool_limits`` would inspect the
    loaded libraries on each call (about a millisecond, as much as a small run takes).
    """
    controller = ThreadpoolController()

    def limited() -> object:
        with controller.limit(limits=1, user_api="blas"):
            return run()

    return limited


def blas_default(run: Callable[[], object]) -> Callable[[], object]:
    """Run ``run`` with msa leaving BLAS's threads alone (``BLAS_THREADS = None``)."""

    def unlimited() -> object:
        before = msa.stocks.engine.BLAS_THREADS
        msa.stocks.engine.BLAS_THREADS = None
        try:
            return run()
        finally:
            msa.stocks.engine.BLAS_THREADS = before

    return unlimited


def fill_floor(n_t: int, n: int) -> Callable[[], object]:
    """Allocate and write two float64 arrays of the cohort arrays' size: the bandwidth floor."""

    def run() -> object:
        a = np.empty((n_t, n_t, n))
        a.fill(1.0)
        b = np.empty((n_t, n_t, n))
        b.fill(1.0)
        return a, b

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only T=200, N=1000")
    parser.add_argument(
        "--varying", action="store_true", help="only the lifetimes varying by series (T=200)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="warm repetitions (best of)")
    parser.add_argument(
        "--no-blas-default", action="store_true", help="skip msa with BLAS's own threads"
    )
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    sizes = (
        [(200, 1000)] if args.quick else [(t, n) for t in (50, 100, 200) for n in (1, 100, 1000)]
    )
    cases = [(dist, n_t, n) for dist in ("weibull", "normal") for n_t, n in sizes]
    if args.varying:
        cases = []
    # Lifetimes varying by series: one survival curve (flodym: matrix) per series.
    cases.extend((dist, 200, 1000) for dist in VARYING)
    print(
        f"# msa {msa.__version__} vs flodym {importlib.metadata.version('flodym')}"
        f"; numpy {np.__version__}; Python {platform.python_version()}; {platform.machine()}"
        f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    header = (
        "mode", "lifetime", "T", "N", "flodym_warm_s", "flodym_first_s", "flodym_peak_MiB",
        "msa_cohort_warm_s", "msa_cohort_first_s", "msa_cohort_peak_MiB", "cohort_arrays_MiB",
        "peak_over_arrays", "speedup_cohort", "msa_totals_warm_s", "msa_totals_first_s",
        "msa_totals_peak_MiB", "speedup_totals", "fill_floor_s", "msa_cohort_1thread_s",
        "msa_totals_1thread_s", "msa_cohort_blas_default_s", "msa_totals_blas_default_s",
    )  # fmt: skip
    rows = []
    print(" | ".join(header))
    for mode in ("inflow", "stock"):
        for dist, n_t, n in cases:
            inflow, stock = inputs(n_t, n)
            values = inflow if mode == "inflow" else stock
            if dist == "weibull/sample":
                values = np.repeat(values[:, :1], n, axis=1)  # the same input for every sample
            full = msa_runner(mode, dist, values, True)
            totals = msa_runner(mode, dist, values, False)
            runs = {
                "flodym": flodym_runner(mode, dist, values),
                "cohort": full,
                "totals": totals,
                "floor": fill_floor(n_t, n),
                "cohort_1": one_blas_thread(full),
                "totals_1": one_blas_thread(totals),
            }
            if not args.no_blas_default:
                runs.update({"cohort_d": blas_default(full), "totals_d": blas_default(totals)})
            m = measure(runs, args.repeat)
            ref = m["flodym"]
            arrays = 2 * 8 * n_t * n_t * n / 2**20
            nan = {"warm": float("nan")}
            row = (
                mode, dist, n_t, n, ref["warm"], ref["first"], ref["peak_mib"],
                m["cohort"]["warm"], m["cohort"]["first"], m["cohort"]["peak_mib"], arrays,
                m["cohort"]["peak_mib"] / arrays, ref["warm"] / m["cohort"]["warm"],
                m["totals"]["warm"], m["totals"]["first"], m["totals"]["peak_mib"],
                ref["warm"] / m["totals"]["warm"], m["floor"]["warm"], m["cohort_1"]["warm"],
                m["totals_1"]["warm"], m.get("cohort_d", nan)["warm"],
                m.get("totals_d", nan)["warm"],
            )  # fmt: skip
            rows.append(row)
            print(
                " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row),
                flush=True,
            )
    print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)


if __name__ == "__main__":
    main()
