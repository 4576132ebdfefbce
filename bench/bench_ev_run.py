"""Benchmark: `msa run` of the EV battery model (models/ev_batteries_nl) with every output.

Usage: ``.venv/bin/python bench/bench_ev_run.py [--repeat N]``

Times, in one process:

1. the baseline, first run (starts the kaleido/chromium image server: "cold");
2. the baseline again, N times (image server warm: the target is < 30 s);
3. all five scenarios (``--scenario all``; the target is < 2 min);
4. the model computation alone (compute + System + balance check), without any output.

Results go to stdout as a small Markdown table to paste into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import msa

MODEL = Path(__file__).resolve().parents[1] / "models" / "ev_batteries_nl"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="warm baseline repetitions")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench_ev_"))
    try:
        definition = msa.load_definition(MODEL)

        def compute_only() -> None:
            msa.build_model(definition, "baseline")  # tables, flows, stocks, System, balance

        rows = [("model only (build: flows, stocks, System, balance check)", _timed(compute_only))]
        rows.append(
            (
                "baseline, all outputs, cold image server",
                _timed(lambda: msa.run_model(MODEL, work / "cold")),
            )
        )
        warm = [
            _timed(lambda i=i: msa.run_model(MODEL, work / f"warm{i}")) for i in range(args.repeat)
        ]
        rows.append((f"baseline, all outputs, warm (best of {args.repeat})", min(warm)))
        rows.append(
            (
                "all 5 scenarios, all outputs, warm",
                _timed(lambda: msa.run_model(MODEL, work / "all", scenarios=["all"])),
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"Python {platform.python_version()}, msa {msa.__version__}"
    )
    print("| step | seconds |")
    print("|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
