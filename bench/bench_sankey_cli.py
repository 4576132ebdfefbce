"""Benchmark: one `msa sankey` call from the shell (import, chromium start and export included).

Usage: ``.venv/bin/python bench/bench_sankey_cli.py [--repeat N]``

Times, each as a new process (what a user waits for), best of N and all runs:

1. one PNG of the example's PGA view (``--format png``; the target is < 3 s wall);
2. the four formats HTML, PNG, SVG and PDF (the target is < 5 s wall);
3. one PNG at ``--preset a4-portrait`` (300 dpi);
4. ``python -c "import msa.cli.commands"`` (the import alone).

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


def _wall(args: list[str]) -> float:
    """Return the wall time (s) of one process."""
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Time the calls and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    out = tempfile.mkdtemp(prefix="msa-bench-sankey-")
    base = [MSA, "sankey", MODEL, "--view", "pga", "--year", "2022", "--out", out, "--force"]
    cases = {
        "one PNG": [*base, "--format", "png"],
        "HTML, PNG, SVG, PDF": [*base, "--format", "html,png,svg,pdf"],
        "one PNG, --preset a4-portrait": [*base, "--format", "png", "--preset", "a4-portrait"],
        "import msa.cli.commands": [sys.executable, "-c", "import msa.cli.commands"],
    }
    _wall(cases["one PNG"])  # warm the disk cache
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    print("| call | best (s) | all runs (s) |\n|---|---|---|")
    for name, args in cases.items():
        runs = [_wall(args) for _ in range(repeat)]
        print(f"| {name} | {min(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")


if __name__ == "__main__":
    main()
