"""Benchmark: `msa run` of every declared model, and where its time goes.

Usage: ``.venv/bin/python bench/bench_model_runs.py [--repeat N] [MODEL ...]``

For each declared model (default: every folder of models/ whose model.toml declares processes
and flows, plus the `msa new` template), in one process:

1. load and validate the definition;
2. build the baseline (tables read, flows computed, stock models, System, balance check);
3. the standard outputs without figures (tables, indicators, targets, headline, quality);
4. the figures (Sankeys at one scale, stock and flow plots) as plotly objects;
5. a whole ``run_model`` with every output written (PNG, SVG, HTML), image server warm;

and, as a separate process, the wall time of the README-style command ``msa run MODEL --out
DIR`` (imports and a cold image server included), which is what a user waits for. Steps 2-4
take the best of ``--repeat`` runs. Results go to stdout as a Markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msa
from msa.model.definition import is_declared_model
from msa.model.outputs import model_result

ROOT = Path(__file__).resolve().parents[1]


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _models(given: list[str], work: Path) -> list[Path]:
    if given:
        return [Path(m) for m in given]
    found = sorted(p for p in (ROOT / "models").iterdir() if is_declared_model(p))
    return [*found, msa.new_model(work / "new_model")]


def _cli_wall(model: Path, out: Path) -> float:
    exe = Path(sys.executable).parent / "msa"
    start = time.perf_counter()
    subprocess.run(
        [str(exe), "run", str(model), "--out", str(out)], check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each step")
    parser.add_argument("models", nargs="*", help="model folders (default: every declared one)")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench_models_"))
    rows = []
    try:
        for model in _models(args.models, work):
            d = msa.load_definition(model)
            built = msa.build_model(d)
            msa.run_model(model, work / f"{d.name}_warmup")  # starts the image server
            runs = itertools.count()

            def full(model: Path = model, name: str = d.name, runs: itertools.count = runs) -> None:
                msa.run_model(model, work / f"{name}_{next(runs)}")

            rows.append(
                (
                    d.name,
                    _best(lambda m=model: msa.load_definition(m), args.repeat),
                    _best(lambda d=d: msa.build_model(d), args.repeat),
                    _best(lambda b=built: model_result(b, figures=False), args.repeat),
                    _best(lambda b=built: model_result(b), args.repeat),
                    _best(full, args.repeat),
                    _cli_wall(model, work / f"{d.name}_cli"),
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, msa {msa.__version__}")
    print(
        f"load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
        f"best of {args.repeat} for the steps\n"
    )
    print(
        "| model | load (s) | build (s) | outputs, no figures (s) | outputs with figures (s) "
        "| run_model, all files, warm (s) | `msa run` wall, cold (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, *times in rows:
        print(f"| {name} | " + " | ".join(f"{t:.2f}" for t in times) + " |")


if __name__ == "__main__":
    main()
