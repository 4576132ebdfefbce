"""Write figures: self-contained HTML, and PNG, SVG and PDF through kaleido and chromium.

Static images use kaleido >= 1 with the system's chromium (Debian: ``apt-get install
chromium``). Starting chromium costs 2-3 s, so one kaleido server is started lazily, once per
process, and stopped at exit; each image then takes about 0.1-0.2 s. Every file is written to a
temporary name in the target folder and renamed into place, so a failed export leaves nothing
half-written, and existing files are only replaced with ``overwrite=True``.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from msa.errors import ConfigError, OutputExistsError, RenderError

__all__ = [
    "FORMATS",
    "find_browser",
    "parse_formats",
    "start_image_server",
    "stop_image_server",
    "write_figure",
]

log = logging.getLogger(__name__)

#: Output formats :func:`write_figure` knows.
FORMATS: tuple[str, ...] = ("html", "png", "svg", "pdf")
_INSTALL = (
    "static images (PNG, SVG, PDF) need chromium: install it with `apt-get install chromium` "
    "(Debian/Ubuntu) or set BROWSER_PATH to a Chrome/Chromium executable"
)
_lock = threading.Lock()
_server_started = False


def find_browser() -> str | None:
    """Return the path of the Chrome/Chromium kaleido will use, or None if there is none.

    ``BROWSER_PATH`` is honoured first (as kaleido's choreographer does), then ``chromium``,
    ``chromium-browser``, ``google-chrome`` and ``chrome`` on ``PATH``.
    """
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def start_image_server() -> None:
    """Start the process-wide kaleido server (once); stopped automatically at exit.

    Raises
    ------
    RenderError
        If no chromium is installed (the message says how to install it).
    """
    global _server_started
    with _lock:
        if _server_started:
            return
        if find_browser() is None:
            raise RenderError(_INSTALL)
        try:
            import kaleido
        except ImportError as err:  # pragma: no cover - kaleido is in the plot extra
            raise RenderError('static images need kaleido: pip install "msa[plot]"') from err
        try:
            kaleido.start_sync_server(silence_warnings=True)
        except Exception as err:  # kaleido raises plain RuntimeError / ChromeNotFoundError
            raise RenderError(f"could not start kaleido with chromium: {err}; {_INSTALL}") from err
        _server_started = True
        atexit.register(stop_image_server)
        log.debug("kaleido server started")


def stop_image_server() -> None:
    """Stop the kaleido server if this process started one."""
    global _server_started
    with _lock:
        if not _server_started:
            return
        import kaleido

        kaleido.stop_sync_server(silence_warnings=True)
        _server_started = False


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """Return the figure formats asked for, lower case, without duplicates, in the given order.

    Parameters
    ----------
    formats : str or iterable of str
        ``"png,svg"``, ``".PDF"`` or ``["html", "png"]``.

    Returns
    -------
    list of str
        Formats from :data:`FORMATS`.

    Raises
    ------
    msa.ConfigError
        If a format is unknown or none is given.

    Examples
    --------
    >>> parse_formats("PNG, .svg,png")
    ['png', 'svg']
    """
    items = [formats] if isinstance(formats, str) else list(formats)
    out = []
    for item in items:
        for f in str(item).split(","):
            f = f.strip().lower().lstrip(".")
            if f and f not in out:
                out.append(f)
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ConfigError(f"unknown figure format(s) {bad or out}; use some of {list(FORMATS)}")
    return out


def write_figure(
    fig: Any,
    path: str | os.PathLike[str],
    formats: str | Iterable[str] = ("html", "png", "svg"),
    *,
    scale: float = 2.0,
    overwrite: bool = False,
    include_plotlyjs: bool | str = True,
) -> list[Path]:
    """Write a plotly figure in several formats next to each other.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure (e.g. from :func:`msa.sankey`).
    path : path
        Output path with or without suffix; ``figures/pga_2030`` gives
        ``figures/pga_2030.html``, ``.png`` ... The folder is created if needed.
    formats : str or iterable of str
        Some of ``html``, ``png``, ``svg``, ``pdf`` (a comma-separated string works too).
    scale : float
        PNG pixel density: ``scale=2`` gives twice the figure's size in pixels (192 dpi when
        the figure is laid out at 96 px per inch). SVG and PDF are vector and ignore it.
    overwrite : bool
        Replace existing files. Otherwise an existing file is an error and nothing is written.
    include_plotlyjs : bool or str
        ``True`` embeds plotly.js (about 4.8 MB) so the HTML works offline; ``"cdn"`` links it.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    OutputExistsError
        A target file exists and ``overwrite`` is False (checked before anything is written).
    RenderError
        No chromium for PNG/SVG/PDF (the message says ``apt-get install chromium``), or the
        export failed.
    """
    chosen = parse_formats(formats)
    if not (scale > 0):
        raise ConfigError(f"scale must be > 0 (got {scale!r})")
    base = Path(path)
    if base.suffix.lower().lstrip(".") in FORMATS:
        base = base.with_suffix("")
    targets = [base.with_name(f"{base.name}.{f}") for f in chosen]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{', '.join(existing)} exist(s); pass overwrite=True (CLI: --force) to replace"
        )
    if any(f != "html" for f in chosen):
        start_image_server()
    base.parent.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    temps: list[Path] = []
    try:
        staged = []
        for fmt, target in zip(chosen, targets, strict=True):
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            os.close(handle)
            tmp = Path(name)
            temps.append(tmp)
            if fmt == "html":
                fig.write_html(tmp, include_plotlyjs=include_plotlyjs, full_html=True)
            else:
                _write_image(fig, tmp, fmt, scale)
            staged.append((tmp, target))
        mode = 0o666 & ~_umask()
        for tmp, target in staged:
            tmp.chmod(mode)  # mkstemp makes 0600; give the usual permissions
            os.replace(tmp, target)
            written.append(target)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return written


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _write_image(fig: Any, path: Path, fmt: str, scale: float) -> None:
    """Render one static image with the warm kaleido server."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The kopts argument", category=UserWarning)
            data = fig.to_image(format=fmt, scale=scale if fmt == "png" else 1)
    except Exception as err:
        if "chrome" in str(err).lower() and find_browser() is None:
            raise RenderError(_INSTALL) from err
        raise RenderError(f"could not export the figure as {fmt.upper()}: {err}") from err
    path.write_bytes(data)
