"""Staged outputs (msa.system.staging): whole or absent, synced, stale folders removed."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import msa
from msa.system import staging
from msa.system.staging import (
    check_writable,
    refuse_overlap,
    remove_stale,
    staged_files,
    staged_folder,
)


class Crash(Exception):
    """A failure in the middle of writing."""


def _tree(root: Path) -> dict[str, bytes]:
    """Map every file under ``root`` to its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _temporaries(*folders: Path) -> list[str]:
    """Return the temporary folders of msa in ``folders``."""
    return sorted(
        p.name
        for f in folders
        if f.is_dir()
        for p in f.iterdir()
        if ".tmp-" in p.name or ".old-" in p.name
    )


def _dead_pid() -> int:
    """Return the id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _write(folder: Path, files: dict[str, str], crash_at: int | None = None) -> None:
    """Write ``files`` into ``folder``, raising :class:`Crash` before file number ``crash_at``."""
    for i, (name, text) in enumerate(files.items()):
        if i == crash_at:
            raise Crash(name)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


OLD = {"a.csv": "old a", "sub/b.csv": "old b"}
NEW = {"a.csv": "new a", "sub/b.csv": "new b", "c.csv": "new c", "sub/d.csv": "new d"}


@settings(max_examples=25, deadline=None)
@given(crash_at=st.one_of(st.none(), st.integers(0, len(NEW) - 1)), previous=st.booleans())
def test_a_staged_folder_is_the_old_or_the_new_never_partial(
    tmp_path_factory: pytest.TempPathFactory, crash_at: int | None, previous: bool
) -> None:
    """Whatever file a write fails at, the folder is absent or old (failed) or new (done)."""
    base = tmp_path_factory.mktemp("staged")
    out = base / "out"
    if previous:
        out.mkdir()
        _write(out, OLD)
    try:
        with staged_folder(out) as tmp:
            _write(tmp, NEW, crash_at)
    except Crash:
        assert crash_at is not None
        assert (
            (_tree(out) == {k: v.encode() for k, v in OLD.items()})
            if previous
            else not out.exists()
        )
    else:
        assert crash_at is None
        assert _tree(out) == {k: v.encode() for k, v in NEW.items()}
    assert _temporaries(base) == []


def test_staged_folder_syncs_every_file_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file written is fsync-ed while the output is not yet in place."""
    synced: list[bool] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append((tmp_path / "out").exists())
        real(fd)

    monkeypatch.setattr(staging.os, "fsync", fsync)
    with staged_folder(tmp_path / "out") as tmp:
        _write(tmp, NEW)
    assert len(synced) >= len(NEW) and not any(synced[: len(NEW)])


def test_stale_folders_are_named_and_removed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A dead run's folders go, each named once; a live run's and a user's stay."""
    dead = _dead_pid()
    stale = [
        tmp_path / f".out.tmp-{dead}-a1b2c3d4",
        tmp_path / f".out.old-{dead}-0f0f0f0f",
        tmp_path / ".out.tmp-k3j_x9q2",  # an earlier version: no process id
    ]
    alive = tmp_path / f".out.tmp-{os.getpid()}-aaaaaaaa"
    users = [tmp_path / ".out.tmp-notes", tmp_path / ".other.tmp-12-abcdefgh"]
    for folder in [*stale, alive, *users]:
        (folder / "deep").mkdir(parents=True)
        (folder / "deep" / "big.nc").write_bytes(b"x" * 1000)
    with caplog.at_level(logging.WARNING, logger="msa.system.staging"):
        with staged_folder(tmp_path / "out") as tmp:
            (tmp / "a.csv").write_text("a", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive.name, *(u.name for u in users), "out"]
    )
    named = [r.getMessage() for r in caplog.records]
    assert len(named) == len(stale)
    for folder, line in zip(sorted(stale), named, strict=True):
        assert line == f"removed {folder}, a temporary folder left by an interrupted msa run"


def test_an_output_moved_aside_is_put_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Killed between moving the old output aside and the new one in: the old comes back."""
    aside = tmp_path / f".out.old-{_dead_pid()}-abcdabcd"
    (aside / "out").mkdir(parents=True)
    (aside / "out" / "a.csv").write_text("previous", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="msa.system.staging"):
        assert remove_stale(tmp_path, "out") == [aside]
    assert _tree(tmp_path) == {"out/a.csv": b"previous"}
    assert caplog.records[0].getMessage() == (
        f"restored {tmp_path / 'out'}, the output an interrupted msa run had moved aside"
    )
    (aside / "out").mkdir(parents=True)  # an output exists: the one aside is not put back
    (aside / "out" / "a.csv").write_text("older", encoding="utf-8")
    remove_stale(tmp_path, "out")
    assert _tree(tmp_path) == {"out/a.csv": b"previous"}


def test_remove_stale_leaves_a_file_of_that_name(tmp_path: Path) -> None:
    """Only folders are temporary folders; a file of a matching name is a user's."""
    (tmp_path / f".out.tmp-{_dead_pid()}-abcdabcd").write_text("mine", encoding="utf-8")
    assert remove_stale(tmp_path, "out") == []
    assert len(list(tmp_path.iterdir())) == 1


def test_staged_files_touch_nothing_else(tmp_path: Path) -> None:
    """Into an existing folder: the named files arrive, the user's files stay as they were."""
    (tmp_path / "mine.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "a.csv").write_text("old", encoding="utf-8")
    with pytest.raises(msa.OutputExistsError, match=r"a\.csv exists \(1 of the files to write\)"):
        with staged_files(tmp_path, ["a.csv", "b.csv"], force=False):
            raise AssertionError("refused before the block")
    with pytest.raises(Crash), staged_files(tmp_path, ["a.csv", "b.csv"], force=True) as tmp:
        (tmp / "b.csv").write_text("new b", encoding="utf-8")
        raise Crash
    assert _tree(tmp_path) == {"mine.txt": b"mine", "a.csv": b"old"}
    with staged_files(tmp_path, ["a.csv", "b.csv"], force=True) as tmp:
        _write(tmp, {"a.csv": "new a", "b.csv": "new b"})
    assert _tree(tmp_path) == {"mine.txt": b"mine", "a.csv": b"new a", "b.csv": b"new b"}
    assert _temporaries(tmp_path, tmp_path.parent) == []


def test_staged_files_into_a_new_folder_appear_at_once(tmp_path: Path) -> None:
    """A new output folder is staged whole: a failure leaves no folder at all."""
    out = tmp_path / "new" / "figures"
    with pytest.raises(Crash), staged_files(out, ["a.csv", "b.csv"], force=False) as tmp:
        (tmp / "a.csv").write_text("a", encoding="utf-8")
        raise Crash
    assert not out.exists()
    with staged_files(out, ["a.csv"], force=False) as tmp:
        (tmp / "a.csv").write_text("a", encoding="utf-8")
    assert _tree(out) == {"a.csv": b"a"}
    assert _temporaries(out, out.parent) == []


def test_a_folder_where_a_file_goes_is_refused(tmp_path: Path) -> None:
    """A folder named like an output file is in the way, with --force too."""
    (tmp_path / "a.csv").mkdir()
    with pytest.raises(msa.OutputExistsError, match=r"a\.csv is a folder where msa writes a file"):
        with staged_files(tmp_path, ["a.csv"], force=True):
            pass


def test_os_errors_while_writing_are_one_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk or a refused rename is an OutputError naming the output; nothing is left."""
    out = tmp_path / "out"
    with pytest.raises(msa.OutputError, match=rf"cannot write {out}: No space left on device"):
        with staged_folder(out) as tmp:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real = os.replace

    def refuse(src: str | Path, dst: str | Path) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(staging.os, "replace", refuse)
    with pytest.raises(msa.OutputError, match=rf"cannot write {out}: Permission denied \({out}\)"):
        with staged_folder(out) as tmp:
            (tmp / "a.csv").write_text("a", encoding="utf-8")
    monkeypatch.setattr(staging.os, "replace", real)
    assert not out.exists() and _temporaries(tmp_path) == []


def test_an_input_that_cannot_be_read_is_not_an_output_error(tmp_path: Path) -> None:
    """An OSError about a path outside the output propagates as it is."""
    missing = tmp_path / "input.csv"
    with pytest.raises(FileNotFoundError) as caught, staged_folder(tmp_path / "out"):
        missing.read_text(encoding="utf-8")
    assert not isinstance(caught.value, msa.MsaError)


def test_check_writable(tmp_path: Path) -> None:
    """A file in the way of the output or of its parent is refused in one line."""
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(msa.OutputExistsError, match=r"exists and is not a folder"):
        check_writable(tmp_path / "file")
    with pytest.raises(msa.OutputError, match=r"file is a file, not a folder"):
        check_writable(tmp_path / "file" / "deeper" / "out")
    check_writable(tmp_path / "new" / "deeper")  # made when written


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root writes anywhere")
def test_check_writable_read_only_folder(tmp_path: Path) -> None:
    """A read-only parent folder is refused before any work."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(msa.OutputError, match=r"folder .*locked is not writable"):
            check_writable(locked / "out")
    finally:
        locked.chmod(0o700)


def test_refuse_overlap_three_ways(tmp_path: Path) -> None:
    """Is, inside and contains are refused; a sibling is not."""
    data = tmp_path / "data"
    data.mkdir()
    for out, how in ((data, "is"), (data / "x", "is inside"), (tmp_path, "contains")):
        with pytest.raises(msa.ConfigError, match=rf"{how} the input folder"):
            refuse_overlap(out, data, "input", "elsewhere")
    refuse_overlap(tmp_path / "data2", data, "input", "elsewhere")


def test_an_output_folder_gets_the_usual_permissions(tmp_path: Path) -> None:
    """The staged folder becomes an output with the umask's mode, not 0700."""
    mask = os.umask(0o022)
    try:
        with staged_folder(tmp_path / "out") as tmp:
            (tmp / "a.csv").write_text("a", encoding="utf-8")
    finally:
        os.umask(mask)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
