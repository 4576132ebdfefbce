"""Benchmark: the Monte Carlo of a declared model in one process and on local dask workers.

Usage: ``.venv/bin/python bench/bench_montecarlo.py [--samples 1000] [--workers 1,2]
[--model models/ev_batteries_nl] [--seed 0] [--chunk 50]``; ``--samples 100 --chunk 10`` for
a quick run.

Each way of running goes in a new Python process, one after the other: in-process
(:func:`msa.model.montecarlo.monte_carlo` alone), then a local dask cluster of K worker
processes, one thread each (:func:`msa.model.montecarlo.dask_client`), for each K of
``--workers``. It times the Monte Carlo (draws, building every chunk, summaries) and, for dask,
the cluster's start and stop apart; it reads the peak resident memory of the process
(``getrusage`` maxrss) and of each worker, their CPU time (imports included), the 1-minute
load average at the end; and it checks that every ``uncertainty.csv`` is
byte-identical to the in-process one. ``uptime`` is read before and after. Results go to stdout
as a Markdown table to paste into bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "ev_batteries_nl"


def _peak_mb() -> float:
    """Peak resident memory of this process, in MB (Linux reports maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU time of this process so far (user + system), in s."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(
    workers: int, samples: int, seed: int, model: Path, table: Path, chunk: int | None
) -> dict:
    """Run one Monte Carlo here (``workers`` 0: in-process); return its figures."""
    import msa
    from msa.model.montecarlo import CHUNK, dask_client, monte_carlo

    d = msa.load_definition(model)
    size = chunk or CHUNK
    figures: dict = {"workers": workers, "samples": samples, "chunks": -(-samples // size)}
    if workers == 0:
        start = time.perf_counter()
        mc = monte_carlo(d, samples=samples, seed=seed, chunk=chunk)
        figures["monte_carlo_s"] = time.perf_counter() - start
        figures["worker_peak_mb"] = []
    else:
        start = time.perf_counter()
        with dask_client(workers=workers) as client:
            figures["cluster_start_s"] = time.perf_counter() - start
            run = time.perf_counter()
            mc = monte_carlo(d, samples=samples, seed=seed, chunk=chunk, client=client)
            figures["monte_carlo_s"] = time.perf_counter() - run
            peaks = client.run(_peak_mb)
            figures["worker_cpu_s"] = sum(client.run(_cpu_s).values())
            stop = time.perf_counter()
        figures["cluster_stop_s"] = time.perf_counter() - stop
        figures["worker_peak_mb"] = sorted(peaks.values())
    figures["client_peak_mb"] = _peak_mb()
    figures["client_cpu_s"] = _cpu_s()
    figures["load_1min"] = os.getloadavg()[0]
    table.write_text(mc.table.to_csv(index=False), encoding="utf-8")
    return figures


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1000, help="samples (100: a quick run)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--model", type=Path, default=MODEL, help="a declared model folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=None, help="samples per chunk (default 50)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--table", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        figures = _child(args.child, args.samples, args.seed, args.model, args.table, args.chunk)
        print(json.dumps(figures))
        return
    counts = [0, *(int(k) for k in args.workers.split(",") if k.strip())]
    before = _uptime()
    work = Path(tempfile.mkdtemp(prefix="bench_mc_"))
    rows = []
    for workers in counts:
        table = work / f"uncertainty_{workers}.csv"
        command = [sys.executable, __file__, "--child", str(workers), "--table", str(table)]
        command += ["--samples", str(args.samples), "--seed", str(args.seed)]
        command += ["--model", str(args.model)]
        command += ["--chunk", str(args.chunk)] if args.chunk else []
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures["process_s"] = time.perf_counter() - start
        rows.append(figures)
        print(f"done: {figures}", file=sys.stderr)
    after = _uptime()
    expected = (work / "uncertainty_0.csv").read_bytes()
    one = next((r["monte_carlo_s"] for r in rows if r["workers"] == 1), None)
    print(
        f"{args.model.name}, {args.samples} samples, seed {args.seed}, "
        f"{rows[0]['chunks']} chunks; {platform.machine()}, {platform.python_version()}"
    )
    print(f"uptime before: {before}")
    print(f"uptime after:  {after}\n")
    print(
        "| run | cluster start (s) | Monte Carlo (s) | per sample (ms) | vs 1 worker "
        "| cluster stop (s) | whole process (s) | CPU s: process + workers "
        "| peak MB: process / workers | load at end | uncertainty.csv |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        name = "in-process" if r["workers"] == 0 else f"{r['workers']} dask worker(s)"
        same = (work / f"uncertainty_{r['workers']}.csv").read_bytes() == expected
        speedup = f"{one / r['monte_carlo_s']:.2f}x" if one and r["workers"] else ""
        peaks = " + ".join(f"{p:.0f}" for p in r["worker_peak_mb"])
        print(
            f"| {name} | {r.get('cluster_start_s', 0):.1f} | {r['monte_carlo_s']:.1f} "
            f"| {1000 * r['monte_carlo_s'] / r['samples']:.0f} | {speedup} "
            f"| {r.get('cluster_stop_s', 0):.1f} | {r['process_s']:.1f} "
            f"| {r['client_cpu_s']:.0f} + {r.get('worker_cpu_s', 0):.0f} "
            f"| {r['client_peak_mb']:.0f} / {peaks or '-'} | {r['load_1min']:.1f} "
            f"| {'identical' if same else 'DIFFERS'} |"
        )


if __name__ == "__main__":
    main()
