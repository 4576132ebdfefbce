"""Write outputs whole or not at all, never over or inside an input, and say why not in one line.

Every msa command that writes (``msa run``, ``reconcile``, ``coverage``, ``compare``, ``views``,
``sankey``) goes through this module:

- :func:`refuse_overlap`: an output folder that is, contains or lies inside an input folder is
  refused (:class:`msa.ConfigError`), with or without ``--force``; paths are compared resolved
  (symlinks, ``..``, relative and absolute) and, where they exist, as files.
- :func:`check_writable`: before any work, an output path that cannot be written (a file in the
  way, a read-only folder) is refused in one line (:class:`msa.OutputError`); a missing parent
  folder is made when the output is written.
- :func:`staged_folder`: a folder output is written into a hidden temporary folder beside it
  (``.<name>.tmp-<pid>-<random>``), every file and folder in it is synced to disk (fsync), and
  only then is it renamed into place (the previous folder moved aside first and removed after).
  A crash leaves the target absent, the previous complete output or the new complete output.
- :func:`staged_files`: named files written into a folder (a Sankey's formats, the comparison
  tables) are staged the same way: into a new folder renamed into place when the folder is new,
  else into a temporary folder inside it whose synced files are then renamed one by one over
  their targets (each rename is atomic; nothing else in the folder is touched).
- :func:`remove_stale`: a temporary folder left by an interrupted run (its process is gone) is
  named in one warning line (logger ``msa.system.staging``) and removed by the next write to the
  same place; a previous output the run had moved aside, with nothing in its place, is put back.

An operating-system error while writing (no space left, permission denied) becomes one line
naming the output (:class:`msa.OutputError`); the temporary folder is removed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from msa.errors import ConfigError, MsaError, OutputError, OutputExistsError

__all__ = [
    "check_writable",
    "refuse_overlap",
    "remove_stale",
    "staged_files",
    "staged_folder",
    "sync_tree",
]

log = logging.getLogger(__name__)
#: The stem of the temporary folder :func:`staged_files` makes inside an existing folder.
INNER = "msa"
# errors of the disk, not of a path: an output error wherever they happen while writing
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)})


# --- overlap of an output with an input -----------------------------------------------------
def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _overlap(out: Path, folder: Path) -> str | None:
    """How ``out`` overlaps ``folder``: ``"is"``, ``"inside"``, ``"contains"`` or None.

    Compares resolved paths (symlinks, ``..``, relative or absolute) and, for the parts that
    exist, the files themselves (a case-insensitive or bind-mounted path resolves elsewhere).
    """
    o, m = out.resolve(), folder.resolve()
    if o == m or _same_file(o, m):
        return "is"
    if o.is_relative_to(m) or any(_same_file(p, m) for p in o.parents if p.exists()):
        return "inside"
    if m.is_relative_to(o) or (o.exists() and any(_same_file(p, o) for p in m.parents)):
        return "contains"
    return None


def refuse_overlap(
    out: Path, folder: Path, what: str, advice: str, *, replaces: bool = True
) -> None:
    """Refuse an output folder that is, lies inside or contains an input ``folder``.

    An output written as named files into a folder (``replaces=False``: a Sankey's formats,
    the comparison tables) may hold the input, as it never replaces the folder; it must still
    not be the input nor lie inside it.

    Parameters
    ----------
    out : Path
        The output folder.
    folder : Path
        The input folder (a model folder, a folder of tables, a run folder).
    what : str
        What the input is, for the message (``"model"``, ``"input"``, ``"run"``).
    advice : str
        The end of the message: ``choose an output folder <advice>``.
    replaces : bool
        Whether the output folder is replaced whole (then holding the input is refused too).

    Raises
    ------
    ConfigError
        One line: ``output folder OUT is inside the <what> folder FOLDER: choose an output
        folder <advice>``.
    """
    how = _overlap(Path(out), Path(folder))
    if how is None or (how == "contains" and not replaces):
        return
    out = Path(out)
    shown = f"{out} ({out.resolve()})" if out.resolve() != out else str(out)
    where = {"is": "is", "inside": "is inside", "contains": "contains"}[how]
    raise ConfigError(
        f"output folder {shown} {where} the {what} folder {Path(folder).resolve()}: choose an "
        f"output folder {advice}"
    )


# --- can the output be written at all -------------------------------------------------------
def check_writable(out: Path, *, folder: bool = True) -> None:
    """Refuse, before any work, an output path that cannot be written.

    Parameters
    ----------
    out : Path
        The output folder (``folder=True``) or file.
    folder : bool
        Whether ``out`` is a folder: then an existing file at ``out`` is in the way.

    Raises
    ------
    OutputExistsError
        If ``out`` should be a folder and is a file (or a broken symlink).
    OutputError
        If a parent of ``out`` is a file, or the deepest existing folder on the way to ``out``
        (``out`` itself if it exists) cannot be written.
    """
    out = Path(out)
    if folder and (out.exists() or out.is_symlink()) and not out.is_dir():
        raise OutputExistsError(
            f"output path {out} exists and is not a folder: remove it or choose another --out"
        )
    existing = out if out.exists() else next(p for p in out.absolute().parents if p.exists())
    if not existing.is_dir():
        raise OutputError(
            f"cannot write {out}: {existing} is a file, not a folder; choose another --out"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write {out}: folder {existing} is not writable; choose another --out"
        )


@contextlib.contextmanager
def _output_errors(out: Path, tmp: Path | None = None) -> Iterator[None]:
    """Turn an operating-system error of writing ``out`` (or in ``tmp``) into one line.

    An :class:`OSError` naming a path outside ``out`` and ``tmp`` (an input that cannot be
    read) propagates unchanged, as does every :class:`msa.MsaError`.
    """
    try:
        yield
    except OSError as err:
        if isinstance(err, MsaError) or not _is_output_error(err, out, tmp):
            raise
        what = err.strerror or str(err)
        where = f" ({err.filename})" if err.filename else ""
        raise OutputError(f"cannot write {out}: {what}{where}") from err


def _is_output_error(err: OSError, out: Path, tmp: Path | None) -> bool:
    if err.errno in _DISK_ERRNOS:
        return True
    named = [Path(os.fsdecode(f)) for f in (err.filename, err.filename2) if f is not None]
    if not named:
        return err.errno in (errno.EACCES, errno.EPERM)
    places = [out.absolute(), *([tmp.absolute()] if tmp is not None else [])]
    return any(p.absolute() == q or p.absolute().is_relative_to(q) for p in named for q in places)


# --- temporary folders ------------------------------------------------------------------------
def _tmp_pattern(name: str) -> re.Pattern[str]:
    # .NAME.tmp-PID-RANDOM (and .NAME.old-PID-RANDOM); .NAME.tmp-RANDOM of earlier msa versions
    # (tempfile.mkdtemp: 8 characters of a-z, 0-9 and _)
    return re.compile(rf"\.{re.escape(name)}\.(tmp|old)-(?:(\d+)-)?[a-z0-9_]{{8}}")


def _new_folder(parent: Path, name: str, kind: str) -> Path:
    """Make the empty folder ``.<name>.<kind>-<pid>-<random>`` in ``parent``.

    Made with the default mode (the umask applies), unlike :func:`tempfile.mkdtemp` (0700),
    so the output folder it becomes has the permissions of any folder the user makes.
    """
    while True:
        path = parent / f".{name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (on this machine); True if that cannot be told."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - Windows: ask the kernel for a handle
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(folder: Path, name: str) -> list[Path]:
    """Remove the temporary folders an interrupted write of ``folder / name`` left behind.

    A temporary folder of msa (``.<name>.tmp-<pid>-<random>`` or ``.<name>.old-<pid>-<random>``,
    or ``.<name>.tmp-<random>`` of earlier versions) whose process no longer runs is stale:
    each is named in one warning line and removed. A folder of a running msa is left alone.
    If the run was stopped between moving the previous output aside (into ``.<name>.old-…``)
    and moving the new one in, so that ``folder / name`` is missing, the previous output is
    first put back (and that said in one warning line).

    Parameters
    ----------
    folder : Path
        Where the temporary folders would be (beside the output).
    name : str
        The output's name (or :data:`INNER` inside a folder :func:`staged_files` writes into).

    Returns
    -------
    list of Path
        The folders removed.
    """
    if not Path(folder).is_dir():
        return []
    pattern, removed = _tmp_pattern(name), []
    for entry in sorted(Path(folder).iterdir()):
        match = pattern.fullmatch(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir():
            continue
        if match.group(2) is not None and _alive(int(match.group(2))):
            continue
        target = Path(folder) / name
        if match.group(1) == "old" and (entry / name).is_dir() and not target.exists():
            os.replace(entry / name, target)
            log.warning("restored %s, the output an interrupted msa run had moved aside", target)
        log.warning("removed %s, a temporary folder left by an interrupted msa run", entry)
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` (itself included) to disk (fsync).

    Folders are synced where the system allows it (not on Windows).
    """
    folder = Path(folder)
    for root, dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                _fsync(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        for name in dirs:
            _sync_dir(Path(root, name))
    _sync_dir(folder)


def _sync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows cannot open a folder to sync it
        return
    with contextlib.suppress(OSError):  # some file systems refuse to sync a folder
        _fsync(path, os.O_RDONLY)


def _swap(tmp: Path, out: Path) -> None:
    """Put the folder ``tmp`` at ``out``; an existing ``out`` is moved aside, then removed."""
    if out.is_dir() and any(out.iterdir()):
        old = _new_folder(out.parent, out.name, "old")
        os.replace(out, old / out.name)
        os.replace(tmp, out)
        _sync_dir(out.parent)
        shutil.rmtree(old)
        return
    if out.is_dir():
        out.rmdir()
    os.replace(tmp, out)
    _sync_dir(out.parent)


@contextlib.contextmanager
def staged_folder(out: Path, *, check: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a new temporary folder beside ``out``; put it at ``out`` when the block succeeds.

    Stale temporary folders of an earlier, interrupted write of ``out`` are removed first
    (:func:`remove_stale`). When the block ends without error, every file is synced to disk,
    ``check(out)`` runs (to refuse an ``out`` that changed meanwhile) and the temporary folder
    replaces ``out``. On any error it is removed and ``out`` is left as it was.

    Parameters
    ----------
    out : Path
        The output folder; a symlink to a folder is written through (its target replaced).
    check : callable, optional
        Raises if ``out`` must not be replaced.

    Yields
    ------
    Path
        The temporary folder to write into.

    Raises
    ------
    OutputError
        If writing fails for a reason of the operating system (no space left, permission
        denied), naming ``out``.
    """
    out = Path(out).resolve()
    remove_stale(out.parent, out.name)
    with _output_errors(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_folder(out.parent, out.name, "tmp")
    try:
        with _output_errors(out, tmp):
            yield tmp
            sync_tree(tmp)
            if check is not None:
                check(out)
            _swap(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def staged_files(folder: Path, names: Iterable[str], *, force: bool) -> Iterator[Path]:
    """Yield a temporary folder for files named ``names``; move them into ``folder`` at the end.

    A new ``folder`` is written as :func:`staged_folder` writes one. Into an existing folder the
    files are staged in a hidden temporary folder inside it, synced, then each renamed over its
    target; nothing else in ``folder`` is touched. Stale temporary folders of an interrupted
    write are removed first.

    Parameters
    ----------
    folder : Path
        The output folder.
    names : iterable of str
        The files that will be written (names inside ``folder``); checked before any work:
        an existing one is refused unless ``force``.
    force : bool
        Replace existing files of these names.

    Yields
    ------
    Path
        The temporary folder: write each file as ``tmp / name``.

    Raises
    ------
    OutputExistsError
        If a file of ``names`` exists and ``force`` is False, or the block wrote a file not in
        ``names``.
    OutputError
        If ``folder`` cannot be written (see :func:`check_writable`) or writing fails.
    """
    folder, names = Path(folder).resolve(), list(names)
    check_writable(folder)
    _refuse_existing(folder, names, force)
    if not folder.exists():
        with staged_folder(folder) as tmp:
            yield tmp
            _only_named(tmp, names)
        return
    remove_stale(folder, INNER)
    with _output_errors(folder):
        tmp = _new_folder(folder, INNER, "tmp")
    try:
        with _output_errors(folder, tmp):
            yield tmp
            _only_named(tmp, names)
            sync_tree(tmp)
            _refuse_existing(folder, names, force)
            for name in names:
                if (tmp / name).exists():
                    os.replace(tmp / name, folder / name)
            _sync_dir(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _refuse_existing(folder: Path, names: list[str], force: bool) -> None:
    clash = [folder / n for n in names if (folder / n).exists() or (folder / n).is_symlink()]
    in_the_way = [p for p in clash if p.is_dir() and not p.is_symlink()]
    if in_the_way:
        raise OutputExistsError(
            f"{in_the_way[0]} is a folder where msa writes a file; move it or choose another --out"
        )
    if clash and not force:
        raise OutputExistsError(
            f"{clash[0]} exists ({len(clash)} of the files to write); use --force to replace "
            "them or choose another --out"
        )


def _only_named(tmp: Path, names: list[str]) -> None:
    """Refuse a file written but not announced (a bug of the caller: it would be lost)."""
    extra = sorted(p.name for p in tmp.iterdir() if p.name not in names)
    if extra:
        raise RuntimeError(f"wrote {extra[0]!r}, which is not among the files announced")
