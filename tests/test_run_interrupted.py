"""`msa run` killed (SIGKILL) at several points: the output is absent, old or new, never partial.

Each run is a child process that kills itself at one point of writing: while the files are
being written, when the staged folder is complete and synced, between moving the previous
output aside and moving the new one in, and while the previous output is being removed. No
``finally`` runs after SIGKILL, so temporary folders stay behind: the next run names each on
stderr and removes it, after putting back a previous output that was moved aside. The figures
are placeholders (no chromium needed): what is tested is the folder, not the drawing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,  # eight runs in child processes
    pytest.mark.skipif(os.name == "nt", reason="SIGKILL of oneself is POSIX"),
]

#: The child: ``python -c CHILD POINT MODEL OUT``; kills itself at POINT, runs msa run.
CHILD = r"""
import os, shutil, signal, sys
from pathlib import Path

point, model, out = sys.argv[1:4]
import msa.model.run as run
import msa.system.staging as staging

def die():
    os.kill(os.getpid(), signal.SIGKILL)

class Figures:  # placeholder images: what is tested is the folder, not the drawing
    def __init__(self, figures, folder):
        self.figures, self.folder = figures, folder
    def finish(self):
        made = {}
        for name in self.figures:
            made[name] = [self.folder / f"{name}.{s}" for s in ("html", "png", "svg")]
            for path in made[name]:
                path.write_bytes(b"figure")
        return made
    def discard(self):
        pass

run._FigureWriter = Figures
run._start_image_server = lambda: None

if point == "writing":  # system.nc and tables written, the report not yet
    def report_markdown(*args, **kwargs):
        die()
    run.report_markdown = report_markdown
elif point == "synced":  # the staged folder complete and on disk, not yet in place
    real_sync = staging.sync_tree
    def sync_tree(folder):
        real_sync(folder)
        die()
    staging.sync_tree = sync_tree
elif point == "swap":  # the previous output moved aside, the new one not yet moved in
    real_replace = os.replace
    def replace(src, dst):
        if Path(src).name.startswith(".out.tmp-"):
            die()
        real_replace(src, dst)
    staging.os.replace = replace
elif point == "cleanup":  # the new output in place, the previous one being removed
    real_rmtree = shutil.rmtree
    def rmtree(path, *args, **kwargs):
        if Path(path).name.startswith(".out.old-"):
            die()
        real_rmtree(path, *args, **kwargs)
    staging.shutil.rmtree = rmtree

from msa.cli import main
scenario = "baseline" if point == "baseline" else "double"
sys.exit(main(["run", model, "--out", out, "--force", "-q", "-s", scenario]))
"""


def _child(point: str, model: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """Run ``msa run`` in a child process killed at ``point`` (``baseline``: not killed)."""
    return subprocess.run(
        [sys.executable, "-c", CHILD, point, str(model), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _state(out: Path, previous: dict[str, bytes]) -> str:
    """Return ``absent``, ``previous`` or ``new`` (a complete run); fail on anything else."""
    if not out.exists():
        return "absent"
    now = _snapshot(out)
    if now == previous:
        return "previous"
    manifest = json.loads(now["manifest.json"])
    assert manifest["scenario"] == "double"
    assert sorted(manifest["files"]) == sorted(f for f in now if f != "manifest.json")
    return "new"


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture
def mini(tiny_model: Callable[..., Path]) -> Path:
    """Return the tiny declared model (scenarios baseline and double)."""
    return tiny_model("mini")


def test_run_killed_at_each_point(mini: Path, tmp_path: Path) -> None:
    """Killed while writing, when synced, mid-swap or while cleaning: never a partial output."""
    out = tmp_path / "out"
    done = _child("baseline", mini, out)
    assert done.returncode == 0, done.stderr
    previous = _snapshot(out)
    expected = {"writing": "previous", "synced": "previous", "swap": "absent", "cleanup": "new"}
    left: list[str] = []
    for point, state in expected.items():
        if state != "absent" and not out.exists():
            # the swap left no output: the next run puts the previous one back first
            again = _child("writing", mini, out)
            assert f"restored {out}, the output an interrupted msa run had moved aside" in (
                again.stderr
            )
            assert all(f"removed {tmp_path / name}" in again.stderr for name in left)
            assert _snapshot(out) == previous
            left = _temporaries(tmp_path)
        killed = _child(point, mini, out)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        for name in left:  # this run removed what the last one left, naming each
            assert f"removed {tmp_path / name}, a temporary folder left by an interrupted" in (
                killed.stderr
            )
        assert _state(out, previous) == state, point
        left = _temporaries(tmp_path)
        assert left, f"a run killed at {point} leaves its temporary folder"
    final = _child("baseline", mini, out)
    assert final.returncode == 0, final.stderr
    for name in left:
        assert f"removed {tmp_path / name}" in final.stderr
    assert "Traceback" not in final.stderr
    assert _temporaries(tmp_path) == []
    assert json.loads((out / "manifest.json").read_text("utf-8"))["scenario"] == "baseline"
