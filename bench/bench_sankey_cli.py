"""Benchmark: one `msa sankey` call from the shell (import, chromium start and export included).

Usage::

    .venv/bin/python bench/bench_sankey_cli.py [--repeat N] [--before SRC] [--model DIR]

Times, each as a new process (what a user waits for), best of N and all runs:

1. one PNG of the model's PGA view (``--format png``; the target is < 3 s wall);
2. the four formats HTML, PNG, SVG and PDF (the target is < 5 s wall);
3. one PNG at ``--preset a4-portrait`` (300 dpi);
4. ``python -c "import msa.cli.commands"`` (the import alone; ``import msa`` has a 0.5 s target).

``--before SRC`` also times another msa source tree (the ``src`` folder of, e.g., ``git archive
HEAD | tar -x -C /tmp/before``), put first on ``PYTHONPATH``; its runs alternate with the
working tree's, so a load that comes and goes hits both alike, and a line per call compares
the two. Each call's best is compared with its target.

Results go to stdout as a small Markdown table to paste into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MSA = str(Path(sys.executable).with_name("msa"))
MODEL = str(ROOT / "models" / "msa_example")
#: Target wall time (s) of each call, where it has one.
TARGETS = {"one PNG": 3.0, "HTML, PNG, SVG, PDF": 5.0}


def _wall(args: list[str], src: str | None = None) -> float:
    """Return the wall time (s) of one process (``src`` first on its ``PYTHONPATH``)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def _cases(model: str, out: str) -> dict[str, list[str]]:
    """Return the calls timed, by name."""
    base = [MSA, "sankey", model, "--view", "pga", "--year", "2022", "--out", out, "--force"]
    return {
        "one PNG": [*base, "--format", "png"],
        "HTML, PNG, SVG, PDF": [*base, "--format", "html,png,svg,pdf"],
        "one PNG, --preset a4-portrait": [*base, "--format", "png", "--preset", "a4-portrait"],
        "import msa.cli.commands": [sys.executable, "-c", "import msa.cli.commands"],
    }


def _row(name: str, runs: list[float]) -> str:
    return f"| {name} | {min(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |"


def main() -> None:
    """Time the calls and print the table (and the comparisons)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", help="src folder of another msa tree to compare with")
    parser.add_argument("--model", default=MODEL, help="model folder (default msa_example)")
    args = parser.parse_args()
    before = str(Path(args.before).resolve()) if args.before else None
    out = tempfile.mkdtemp(prefix="msa-bench-sankey-")
    cases = _cases(args.model, out)
    trees: dict[str, str | None] = {"after": None, "before": before} if before else {"": None}
    for src in trees.values():
        _wall(cases["one PNG"], src)  # warm the disk cache
    print(f"load average {os.getloadavg()[0]:.2f} at the start, {os.cpu_count()} cores")
    print("| call | best (s) | all runs (s) |\n|---|---|---|")
    best: dict[tuple[str, str], float] = {}
    for name, call in cases.items():
        runs: dict[str, list[float]] = {tree: [] for tree in trees}
        for _ in range(args.repeat):
            for tree, src in trees.items():  # interleaved
                runs[tree].append(_wall(call, src))
        for tree, times in runs.items():
            print(_row(f"{name} ({tree})" if tree else name, times))
            best[name, tree] = min(times)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    for name, target in TARGETS.items():
        for tree in trees:
            got = best[name, tree]
            verdict = "met" if got < target else "NOT met"
            label = f"{name} ({tree})" if tree else name
            print(f"{label}: best {got:.2f} s against < {target:.0f} s: {verdict}")
    if before:
        for name in cases:
            old, new = best[name, "before"], best[name, "after"]
            print(f"{name}: {old:.2f} s before, {new:.2f} s after ({old / new:.2f}x)")


if __name__ == "__main__":
    main()
