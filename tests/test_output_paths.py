"""Every command that writes: an output it cannot or must not write is one line, exit 2.

For ``run``, ``views``, ``sankey``, ``compare``, ``reconcile``, ``coverage`` and ``new``: a file
in the way, a file as a parent folder, a folder that cannot be written, an output overlapping
the input, and a write failing at the end (disk full) each give one ``msa: error:`` line and
exit code 2, no traceback; the input and any existing output stay byte-identical and no
temporary folder is left.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest

from msa.cli import main
from msa.system import staging

#: argv of each command writing to ``{out}``; ``{in}`` is its input (see ``inputs``).
COMMANDS: dict[str, tuple[str, ...]] = {
    "run": ("run", "{in}", "--out", "{out}"),
    "views": ("views", "{in}", "--year", "2021", "--out", "{out}"),
    "sankey": ("sankey", "{in}", "--year", "2021", "--format", "html", "--out", "{out}"),
    "compare": ("compare", "{in}", "--out", "{out}"),
    "reconcile": ("reconcile", "{in}", "--out", "{out}"),
    "coverage": ("coverage", "{in}", "--out", "{out}"),
    "new": ("new", "{out}"),
}
#: Commands that need no chromium to write their output.
NO_BROWSER = ("views", "sankey", "compare", "coverage", "new")


def _run_folder(folder: Path) -> Path:
    """Write a small run folder as msa run does (what compare reads)."""
    folder.mkdir(parents=True)
    manifest = {"msa_version": "0", "model": "m", "scenario": "baseline", "inputs": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "headline.csv").write_text("label,value,units\na,1.5,t\n", encoding="utf-8")
    (folder / "indicators.csv").write_text("target_id,value,met,units\n", encoding="utf-8")
    return folder


@pytest.fixture
def inputs(tmp_path: Path, tiny_model: Callable[..., Path]) -> dict[str, Path]:
    """Return the input of each command, under ``tmp_path / 'in'``."""
    tables = tmp_path / "in" / "tables"
    shutil.copytree(Path(str(files("msa").joinpath("data", "example"))), tables)
    model = tiny_model("in/model")
    run = _run_folder(tmp_path / "in" / "run")
    return {
        "run": model,
        "views": tables,
        "sankey": tables,
        "compare": run,
        "reconcile": tables,
        "coverage": tables,
        "new": tmp_path / "in",
    }


def _argv(command: str, source: Path, out: Path, *extra: str) -> list[str]:
    return [a.format(**{"in": source, "out": out}) for a in COMMANDS[command]] + list(extra)


def _snapshot(root: Path) -> dict[str, bytes | str]:
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        found[str(path.relative_to(root))] = "dir" if path.is_dir() else path.read_bytes()
    return found


def _temporaries(*folders: Path) -> list[str]:
    return [
        p.name
        for f in folders
        if f.is_dir()
        for p in f.iterdir()
        if ".tmp-" in p.name or ".old-" in p.name
    ]


def _one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI: exit 2 and one error line, no traceback; return the line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("msa: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _refused(argv: list[str], root: Path, capsys: pytest.CaptureFixture[str], match: str) -> None:
    """Expect one line containing ``match``; everything under ``root`` stays as it was."""
    before = _snapshot(root)
    line = _one_line(argv, capsys)
    assert match in line, line
    assert _snapshot(root) == before
    assert _temporaries(root, *(p for p in root.rglob("*") if p.is_dir())) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_file_in_the_way(
    command: str, inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where the output folder goes, or as its parent, is refused (with --force too)."""
    (tmp_path / "file").write_text("mine", encoding="utf-8")
    force = () if command == "new" else ("--force",)
    out = tmp_path / "file"
    match = "exists and is not empty" if command == "new" else "exists and is not a folder"
    _refused(_argv(command, inputs[command], out, *force), tmp_path, capsys, match)
    out = tmp_path / "file" / "deeper" / "out"
    _refused(_argv(command, inputs[command], out, *force), tmp_path, capsys, "is a file, not a")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_folder_that_cannot_be_written(
    command: str,
    inputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A read-only parent folder is refused before any work (as a user, not root, meets it)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(staging.os, "access", lambda p, mode: Path(p) != locked and real(p, mode))
    argv = _argv(command, inputs[command], locked / "out")
    _refused(argv, tmp_path, capsys, f"folder {locked} is not writable")


#: (command, where) of every refused overlap: a folder replaced whole (run, reconcile) may not
#: hold its input either; named files added to a folder (views, sankey, compare, coverage) may.
OVERLAPS = [
    (command, where)
    for command in sorted(set(COMMANDS) - {"new"})
    for where in ("is", "inside", "contains")
    if where != "contains" or command in ("run", "reconcile")
]


@pytest.mark.parametrize(("command", "where"), OVERLAPS)
def test_an_output_overlapping_the_input(
    command: str,
    where: str,
    inputs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An output that is or lies inside the input (or holds it, for run and reconcile) is refused.

    With --force too.
    """
    source = inputs[command]
    out = {"is": source, "inside": source / "out", "contains": source.parent}[where]
    word = {"is": " is the ", "inside": " is inside the ", "contains": " contains the "}[where]
    _refused(_argv(command, source, out, "--force"), tmp_path, capsys, word)


@pytest.mark.parametrize("command", NO_BROWSER)
@pytest.mark.parametrize("existing", [False, True])
def test_a_disk_full_at_the_end_leaves_the_output_as_it_was(
    command: str,
    existing: bool,
    inputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Writing fails as the files are synced: one line; the output absent or as before."""
    out = tmp_path / "out"
    force = ("--force",) if existing and command != "new" else ()
    if existing:
        assert main(_argv(command, inputs[command], out)) == 0, capsys.readouterr().err
        if command != "new":  # a user's file beside the files msa writes stays
            (out / "mine.txt").write_text("mine", encoding="utf-8")
    capsys.readouterr()

    def full(folder: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(staging, "sync_tree", full)
    if command == "new" and existing:
        match = "exists and is not empty"
    else:
        match = f"cannot write {out.resolve()}: No space left on device"
    before = _snapshot(tmp_path)
    code = main(_argv(command, inputs[command], out, *force))
    err = capsys.readouterr().err
    assert code == 2 and match in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert _snapshot(tmp_path) == before
    assert _temporaries(tmp_path, out) == []


def test_a_missing_parent_folder_is_made(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output whose parent folders do not exist yet is written, parents made."""
    for command in ("views", "compare", "coverage", "new"):
        out = tmp_path / "a" / command / "b"
        assert main(_argv(command, inputs[command], out)) == 0, capsys.readouterr().err
        assert out.is_dir() and any(out.iterdir())
    assert _temporaries(tmp_path / "a", *(tmp_path / "a").iterdir()) == []


@pytest.mark.parametrize("command", ["views", "sankey", "compare", "coverage"])
def test_named_files_may_go_beside_the_input(
    command: str, inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Files added to a folder holding the input are written; the input is untouched."""
    source = inputs[command]
    before = _snapshot(source)
    assert main(_argv(command, source, source.parent)) == 0, capsys.readouterr().err
    assert _snapshot(source) == before
    assert _temporaries(source.parent) == []
