"""Benchmark msa's dynamic stock models against flodym 1.1, in one process, on the same inputs.

Run from the repository root:

    .venv/bin/python bench/bench_stocks.py            # full table (T 50/100/200, N 1/100/1000)
    .venv/bin/python bench/bench_stocks.py --quick    # T=200, N=1000 only
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
One more case per mode, "weibull/series" at T=200, N=1000, gives each series its own Weibull
shape (2.0 ... 3.0), so both toolkits hold one survival matrix per series.
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib.metadata
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import xarray as xr

import msa

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
        elif dist == "weibull/series":
            shape = np.broadcast_to(per_series_shape(n), (n_t, n))
            lt = fd.WeibullLifetime(dims=dims, weibull_shape=shape, weibull_scale=15.0)
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
    if dist == "weibull":
        lifetime = msa.WeibullLifetime(shape=2.5, scale=15.0)
    elif dist == "weibull/series":
        shape = xr.DataArray(per_series_shape(n), dims="series", coords={"series": np.arange(n)})
        lifetime = msa.WeibullLifetime(shape=shape, scale=15.0)
    else:
        lifetime = msa.NormalLifetime(mean=12.0, std=4.0)
    func = msa.inflow_driven if mode == "inflow" else msa.stock_driven

    def run() -> object:
        return func(da, lifetime, by_cohort=by_cohort)

    return run


def measure(run: Callable[[], object], repeat: int) -> dict[str, float]:
    gc.collect()
    start = time.perf_counter()
    result = run()
    first = time.perf_counter() - start
    del result
    best = np.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
        del result
    gc.collect()
    tracemalloc.start()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return {"first": first, "warm": best, "peak_mib": peak / 2**20}


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
    parser.add_argument("--repeat", type=int, default=3, help="warm repetitions (best of)")
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    sizes = (
        [(200, 1000)] if args.quick else [(t, n) for t in (50, 100, 200) for n in (1, 100, 1000)]
    )
    cases = [(dist, n_t, n) for dist in ("weibull", "normal") for n_t, n in sizes]
    # A lifetime per series (Weibull shape 2.0 ... 3.0): one survival matrix per series.
    cases.append(("weibull/series", 200, 1000))
    print(
        f"# msa {msa.__version__} vs flodym {importlib.metadata.version('flodym')}"
        f"; numpy {np.__version__}; Python {platform.python_version()}; {platform.machine()}"
    )
    header = (
        "mode", "lifetime", "T", "N", "flodym_warm_s", "flodym_first_s", "flodym_peak_MiB",
        "msa_cohort_warm_s", "msa_cohort_first_s", "msa_cohort_peak_MiB", "cohort_arrays_MiB",
        "peak_over_arrays", "speedup_cohort", "msa_totals_warm_s", "msa_totals_first_s",
        "msa_totals_peak_MiB", "speedup_totals", "fill_floor_s",
    )  # fmt: skip
    rows = []
    print(" | ".join(header))
    for mode in ("inflow", "stock"):
        for dist, n_t, n in cases:
            inflow, stock = inputs(n_t, n)
            values = inflow if mode == "inflow" else stock
            ref = measure(flodym_runner(mode, dist, values), args.repeat)
            full = measure(msa_runner(mode, dist, values, True), args.repeat)
            totals = measure(msa_runner(mode, dist, values, False), args.repeat)
            floor = measure(fill_floor(n_t, n), args.repeat)
            arrays = 2 * 8 * n_t * n_t * n / 2**20
            row = (
                mode, dist, n_t, n, ref["warm"], ref["first"], ref["peak_mib"],
                full["warm"], full["first"], full["peak_mib"], arrays,
                full["peak_mib"] / arrays, ref["warm"] / full["warm"], totals["warm"],
                totals["first"], totals["peak_mib"], ref["warm"] / totals["warm"],
                floor["warm"],
            )  # fmt: skip
            rows.append(row)
            print(
                " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row),
                flush=True,
            )
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)


if __name__ == "__main__":
    main()
