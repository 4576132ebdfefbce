"""Write figures: self-contained HTML, and PNG, SVG and PDF through kaleido and chromium.

Static images use kaleido >= 1 with the system's chromium (Debian: ``apt-get install
chromium``). Starting chromium costs 2-3 s, so one image server is started once per process
(:func:`start_image_server`, which returns at once: chromium starts in the background while the
caller goes on) and stopped at exit. The server opens one page with plotly.js loaded (each page
takes 1-2 s to load, one after the other, so the first image waits for one page only) and up to
:data:`TABS` when images queue up (:data:`_QUEUED_FOR_A_PAGE`), and renders images in them
concurrently; a page is reused from image to image instead of being reloaded after each
(kaleido's default, which parses plotly.js again: about half of every image's time), and
reloaded after any failed image and every :data:`_RELOAD_EVERY` images.

Every file is written to a temporary name in the target folder and renamed into place, so a
failed export leaves nothing half-written, and existing files are only replaced with
``overwrite=True``. :func:`submit_figure` queues a figure's images and returns at once, so a
caller can do other work (another figure, a matplotlib plot) while chromium renders.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import logging
import os
import shutil
import struct
import tempfile
import threading
import time
import zlib
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import Any

from msa.errors import ConfigError, OutputExistsError, RenderError

__all__ = [
    "FORMATS",
    "PX_PER_INCH",
    "TABS",
    "PendingFigure",
    "clean_svg",
    "find_browser",
    "invisible_svg_objects",
    "parse_formats",
    "png_dpi",
    "png_with_dpi",
    "show_static",
    "start_image_server",
    "stop_image_server",
    "submit_figure",
    "write_figure",
]

log = logging.getLogger(__name__)

#: Output formats :func:`write_figure` knows.
FORMATS: tuple[str, ...] = ("html", "png", "svg", "pdf")
#: Layout px per inch (CSS px): a PNG at ``scale`` says ``96 * scale`` dpi.
PX_PER_INCH = 96
#: Pages (browser tabs) the image server renders in at once, at most.
TABS = 2
#: Images waiting for a page at which the server opens another (up to :data:`TABS`): a page
#: loads in 1-2 s, in which one page renders several images (0.05-0.3 s each).
_QUEUED_FOR_A_PAGE = 4
#: A page is reloaded after this many images (bounds what a long session accumulates).
_RELOAD_EVERY = 200
_INSTALL = (
    "static images (PNG, SVG, PDF) need chromium: install it with `apt-get install chromium` "
    "(Debian/Ubuntu) or set BROWSER_PATH to a Chrome/Chromium executable"
)
_lock = threading.Lock()
_server: _ImageServer | None = None


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


@functools.cache
def _kaleido_class() -> type:
    """Return kaleido's ``Kaleido``, made to reuse its pages if this kaleido allows it.

    kaleido reloads a page after every image (``_return_kaleido_tab``). plotly.js draws each
    image in a fresh element and purges it, so a loaded page can serve the next image: the
    subclass puts the page back as it is. kaleido also loads all its pages before it renders
    anything, one after the other; the subclass opens with one page and adds the others only
    when images queue up for a page. A kaleido without these methods or the ``tabs_ready``
    queue (another version) is used as it is: every image correct, only slower.
    """
    from kaleido import Kaleido

    declared = getattr(Kaleido, "__annotations__", {})
    if not (
        all(hasattr(Kaleido, m) for m in ("_return_kaleido_tab", "_get_kaleido_tab"))
        and hasattr(Kaleido, "_create_kaleido_tab")
        and {"tabs_ready", "_total_tabs"} <= set(declared)
    ):
        return Kaleido
    return _reusing_kaleido(Kaleido)


def _reusing_kaleido(kaleido: type) -> type:
    """Return the subclass of kaleido's ``Kaleido`` that :func:`_kaleido_class` describes."""

    class _ReusingKaleido(kaleido):
        """Kaleido that reloads a page only after a failure or every ``_RELOAD_EVERY`` images.

        It opens with one page and adds pages, up to ``n``, while :data:`_QUEUED_FOR_A_PAGE`
        images wait for one.
        """

        _msa_reuses = True

        def __init__(self, *, n: int = 1, **kwargs: Any) -> None:
            super().__init__(n=1, **kwargs)
            self._msa_most = n
            self._msa_waiting = 0
            self._msa_adding: set[asyncio.Task[None]] = set()

        async def _get_kaleido_tab(self) -> Any:
            self._msa_waiting += 1
            try:
                if self.tabs_ready.empty() and self._msa_waiting >= _QUEUED_FOR_A_PAGE:
                    self._msa_add_page()
                return await super()._get_kaleido_tab()
            finally:
                self._msa_waiting -= 1

        def _msa_add_page(self) -> None:
            """Start loading one more page, unless there are ``n`` (loaded or loading)."""
            if self._total_tabs + len(self._msa_adding) >= self._msa_most:
                return
            task = asyncio.ensure_future(self._create_kaleido_tab())
            self._msa_adding.add(task)
            task.add_done_callback(self._msa_adding.discard)
            task.add_done_callback(_page_failed)

        async def _return_kaleido_tab(self, tab: Any) -> None:
            uses = getattr(tab, "_msa_uses", 0) + 1
            tab._msa_uses = uses
            if uses % _RELOAD_EVERY == 0:
                await tab.reload()
            await self.tabs_ready.put(tab)

        async def reload_all_tabs(self) -> None:
            """Reload every page (each as it comes back from the image it renders)."""
            await asyncio.gather(*self._msa_adding, return_exceptions=True)
            tabs = [await self.tabs_ready.get() for _ in range(self._total_tabs)]
            try:
                await asyncio.gather(*(t.reload() for t in tabs))
            finally:
                for t in tabs:
                    await self.tabs_ready.put(t)

        async def close(self) -> None:
            """Stop loading pages, then close the browser."""
            for task in list(self._msa_adding):
                task.cancel()
            await asyncio.gather(*self._msa_adding, return_exceptions=True)
            await super().close()

    return _ReusingKaleido


def _page_failed(task: asyncio.Future[Any]) -> None:
    """Log a page that could not be added (the pages already open go on serving)."""
    if not task.cancelled() and task.exception() is not None:
        log.debug("could not open another page: %s", task.exception())


class _ImageServer:
    """One chromium (kaleido) driven by an event loop in a background thread.

    The browser starts when the server is made; :meth:`render` queues an image and returns a
    future at once. Images render concurrently in ``tabs`` pages.
    """

    def __init__(self, tabs: int) -> None:
        self._tabs = tabs
        self._browser_task: asyncio.Future[Any] | None = None
        self._profile: Path | None = None  # chromium's temporary profile, removed on close
        self._reloading: asyncio.Lock  # made in the server's loop, with the browser
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="msa-image-server", daemon=True
        )
        self._thread.start()
        self._submit(self._browser())  # chromium starts now, in the background

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _browser(self) -> Any:
        """Return the open kaleido (opened once; every caller runs in the server's loop)."""
        if self._browser_task is None:
            self._reloading = asyncio.Lock()
            self._browser_task = asyncio.ensure_future(self._open())
        return await asyncio.shield(self._browser_task)

    async def _open(self) -> Any:
        try:
            browser = _kaleido_class()(n=self._tabs)
            await browser.open()
        except Exception as err:  # kaleido raises plain RuntimeError / ChromeNotFoundError
            raise RenderError(f"could not start kaleido with chromium: {err}; {_INSTALL}") from err
        # run at exit before the finalizer of the browser's temporary profile (registered as
        # the browser started), which cannot delete the folder of a running chromium
        atexit.unregister(stop_image_server)
        atexit.register(stop_image_server)
        self._profile = _take_profile(browser)
        log.debug("kaleido started with %d pages", self._tabs)
        return browser

    def render(self, fig: dict[str, Any], opts: dict[str, Any]) -> concurrent.futures.Future[Any]:
        """Queue one image of figure dict ``fig``; the future gives its bytes."""
        return self._submit(self._render(fig, opts, _plotly_default("topojson")))

    async def _render(self, fig: dict[str, Any], opts: dict[str, Any], topojson: Any) -> bytes:
        browser = await self._browser()
        try:
            return bytes(await browser.calc_fig(fig, opts=opts, topojson=topojson))
        except (TimeoutError, RenderError):
            raise
        except Exception as err:
            # A page that did not load right (kaleido can take the blank page's script context
            # for the page's as it starts) fails its images: reload the pages, try once more.
            log.debug("image failed (%s); reloading the pages and trying again", err)
            if getattr(browser, "_msa_reuses", False):  # kaleido's own reloads after a failure
                async with self._reloading:
                    await browser.reload_all_tabs()
            return bytes(await browser.calc_fig(fig, opts=opts, topojson=topojson))

    def close(self, timeout: float = 30.0) -> None:
        """Close the browser and stop the loop and its thread."""

        async def shut() -> None:
            if self._browser_task is None:
                return
            try:
                browser = await self._browser_task
            except BaseException:  # never started: nothing to close
                return
            await browser.close()

        try:
            self._submit(shut()).result(timeout)
        except Exception as err:  # pragma: no cover - closing a browser that already died
            log.debug("closing the image server: %s", err)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
            _remove_profile(self._profile)


def _take_profile(browser: Any) -> Path | None:
    """Take over the removal of chromium's temporary profile folder from its finalizer.

    choreographer keeps the profile in a :class:`tempfile.TemporaryDirectory`, whose
    finalizer runs at interpreter exit and prints an ``OSError: Directory not empty``
    traceback when chromium (or its crash handler) still writes into the folder as it goes.
    The finalizer is detached here; :func:`_remove_profile` removes the folder when the server
    closes, retrying briefly, and says nothing if a file is still in use. A kaleido without
    these attributes keeps its own clean-up.
    """
    impl = getattr(browser, "_browser_impl", None)
    temporary = getattr(getattr(impl, "tmp_dir", None), "temp_dir", None)
    finalizer = getattr(temporary, "_finalizer", None)
    name = getattr(temporary, "name", None)
    if finalizer is None or name is None:
        return None
    finalizer.detach()
    return Path(name)


def _remove_profile(folder: Path | None, tries: int = 5) -> None:
    """Remove chromium's profile folder, retrying while chromium's last writes land."""
    if folder is None:
        return
    for _ in range(tries):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.05)
    log.debug("could not remove chromium's profile %s", folder)


def _plotly_default(name: str) -> Any:
    """Return ``plotly.io.defaults.<name>`` (None where this plotly has none)."""
    import plotly.io as pio

    return getattr(getattr(pio, "defaults", None), name, None)


def start_image_server() -> None:
    """Start the process-wide image server (once); stopped automatically at exit.

    It returns at once: chromium starts in the background, and the first image waits for it.
    Start it early (before computing the figures) to hide the start-up.

    Raises
    ------
    RenderError
        If no chromium is installed (the message says how to install it), or no kaleido.
    """
    _server_for_images()


def _server_for_images() -> _ImageServer:
    global _server
    with _lock:
        if _server is not None:
            return _server
        if find_browser() is None:
            raise RenderError(_INSTALL)
        try:
            import kaleido  # noqa: F401
        except ImportError as err:  # pragma: no cover - kaleido is in the plot extra
            raise RenderError('static images need kaleido: pip install "msa[plot]"') from err
        # choreographer logs chromium's pipe noise (a half message read while chromium closes,
        # e.g. when a command stops at an error) as an ERROR with a traceback; with no handler
        # anywhere, logging's last resort printed it under msa's one-line error. A library's
        # NullHandler keeps it off stderr; an application that configures logging still sees it.
        logging.getLogger("choreographer").addHandler(logging.NullHandler())
        atexit.register(stop_image_server)  # moved to run first once the browser is open
        _server = _ImageServer(TABS)
        return _server


def stop_image_server() -> None:
    """Stop the image server if this process started one."""
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.close()


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
    clean: bool = True,
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
        PNG pixel density: ``scale=2`` gives twice the figure's size in pixels, and the PNG
        says 192 dpi (its pHYs chunk: the figure is laid out at 96 px per inch, so it prints
        at the size it was made for; a preset's ``png_scale`` gives its dpi). SVG and PDF are
        vector and ignore it; the SVG is cleaned of invisible objects (:func:`clean_svg`).
    overwrite : bool
        Replace existing files. Otherwise an existing file is an error and nothing is written.
    include_plotlyjs : bool or str
        ``True`` embeds plotly.js (about 4.8 MB) so the HTML works offline; ``"cdn"`` links it.
    clean : bool
        Remove what draws nothing from the SVG (:func:`clean_svg`); False keeps plotly's SVG
        as it is (e.g. to measure plotly's own layout objects).

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
    return submit_figure(
        fig,
        path,
        formats,
        scale=scale,
        overwrite=overwrite,
        include_plotlyjs=include_plotlyjs,
        clean=clean,
    ).result()


def show_static(fig: Any, *, scale: float = 1.0) -> None:
    """Display a plotly figure in a notebook as a PNG, so static HTML and PDF exports keep it.

    A notebook shows an interactive plotly figure only where plotly.js runs; an exported
    static page or PDF drops it. This renders the figure through the same image server as
    :func:`write_figure` and displays the PNG (IPython's ``display``); show the figure itself
    as well for the interactive version.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure (e.g. from :func:`msa.sankey` or :func:`msa.figures.plots.time_series`).
    scale : float, default 1.0
        PNG pixel density (1: the figure's own size in px).
    """
    from IPython.display import Image, display

    with tempfile.TemporaryDirectory() as folder:
        path = write_figure(fig, Path(folder) / "figure", formats=("png",), scale=scale)[0]
        display(Image(data=path.read_bytes()))


def submit_figure(
    fig: Any,
    path: str | os.PathLike[str],
    formats: str | Iterable[str] = ("html", "png", "svg"),
    *,
    scale: float = 2.0,
    overwrite: bool = False,
    include_plotlyjs: bool | str = True,
    clean: bool = True,
) -> PendingFigure:
    """Start writing a plotly figure as :func:`write_figure` does; return before the images.

    The images are queued on the image server (rendered in the background, several at a
    time), the HTML is written to its temporary file at once; :meth:`PendingFigure.result`
    waits for the images and moves every file into place. The parameters, the checks made
    before anything is written and the errors are those of :func:`write_figure`.

    Returns
    -------
    PendingFigure
    """
    return PendingFigure(fig, path, formats, scale, overwrite, include_plotlyjs, clean)


class PendingFigure:
    """A figure being written by :func:`submit_figure`: call :meth:`result` (or :meth:`discard`).

    Until then its files exist only under temporary names beside their targets.
    """

    def __init__(
        self,
        fig: Any,
        path: str | os.PathLike[str],
        formats: str | Iterable[str],
        scale: float,
        overwrite: bool,
        include_plotlyjs: bool | str,
        clean: bool = True,
    ) -> None:
        chosen = parse_formats(formats)
        self._clean = clean
        if not (scale > 0):
            raise ConfigError(f"scale must be > 0 (got {scale!r})")
        self._scale = float(scale)
        base = Path(path)
        if base.suffix.lower().lstrip(".") in FORMATS:
            base = base.with_suffix("")
        targets = [base.with_name(f"{base.name}.{f}") for f in chosen]
        existing = [str(t) for t in targets if t.exists()]
        if existing and not overwrite:
            raise OutputExistsError(
                f"{', '.join(existing)} exist(s); pass overwrite=True (CLI: --force) to replace"
            )
        server = _server_for_images() if any(f != "html" for f in chosen) else None
        base.parent.mkdir(parents=True, exist_ok=True)
        self._staged: list[tuple[str, Path, Path]] = []  # format, temporary file, target
        self._images: dict[str, concurrent.futures.Future[Any]] = {}
        try:
            for fmt, target in zip(chosen, targets, strict=True):
                handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
                os.close(handle)
                self._staged.append((fmt, Path(name), target))
            if server is not None:
                spec = fig.to_dict()
                for fmt in chosen:
                    if fmt != "html":
                        self._images[fmt] = server.render(spec, _image_opts(spec, fmt, scale))
            for fmt, tmp, _ in self._staged:
                if fmt == "html":
                    fig.write_html(tmp, include_plotlyjs=include_plotlyjs, full_html=True)
        except BaseException:
            self.discard()
            raise

    def result(self) -> list[Path]:
        """Wait for the images, move every file into place; return the files, in format order.

        Raises
        ------
        RenderError
            An image could not be rendered (nothing of this figure is then left behind).
        """
        try:
            for fmt, tmp, _ in self._staged:
                if fmt in self._images:
                    data = _image_bytes(self._images[fmt], fmt)
                    if fmt == "png":
                        data = png_with_dpi(data, PX_PER_INCH * self._scale)
                    elif fmt == "svg" and self._clean:
                        data = clean_svg(data)
                    tmp.write_bytes(data)
            mode = 0o666 & ~_umask()
            written = []
            for _, tmp, target in self._staged:
                tmp.chmod(mode)  # mkstemp makes 0600; give the usual permissions
                os.replace(tmp, target)
                written.append(target)
            return written
        finally:
            self.discard()

    def discard(self) -> None:
        """Drop what is not yet in place: remove the temporary files.

        Images still rendering finish unseen (stopping one halfway would leave its page in
        the middle of a drawing).
        """
        for _, tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)


def _image_opts(spec: dict[str, Any], fmt: str, scale: float) -> dict[str, Any]:
    """Return kaleido's options for one image, as ``plotly.io.to_image`` gives them."""
    layout = spec.get("layout", {})
    template = layout.get("template", {}).get("layout", {})
    width = layout.get("width") or template.get("width") or _plotly_default("default_width")
    height = layout.get("height") or template.get("height") or _plotly_default("default_height")
    return {
        "format": fmt,
        "width": width or 700,
        "height": height or 500,
        "scale": scale if fmt == "png" else 1,
    }


def _image_bytes(future: concurrent.futures.Future[Any], fmt: str) -> bytes:
    """Return a rendered image, or raise :class:`RenderError` saying what went wrong."""
    try:
        return bytes(future.result())
    except RenderError:
        raise
    except Exception as err:
        if "chrome" in str(err).lower() and find_browser() is None:
            raise RenderError(_INSTALL) from err
        raise RenderError(f"could not export the figure as {fmt.upper()}: {err}") from err


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


# ----------------------------------------------------------------------------- PNG and SVG
def png_with_dpi(data: bytes, dpi: float) -> bytes:
    """Return the PNG ``data`` with a pHYs chunk saying ``dpi`` (any old pHYs dropped).

    Word processors and layout programs read pHYs to size a placed image: a 16 cm figure at
    300 dpi is 1890 px wide and says 300 dpi, so it is placed 16 cm wide.

    Examples
    --------
    >>> import struct, zlib
    >>> def chunk(kind, body):
    ...     crc = zlib.crc32(kind + body)
    ...     return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    >>> png = _PNG_SIGNATURE + chunk(b"IHDR", bytes(13)) + chunk(b"IEND", b"")
    >>> png_dpi(png_with_dpi(png, 300))
    300.0
    """
    signature, rest = data[:8], data[8:]
    if signature != _PNG_SIGNATURE:
        raise RenderError("not a PNG image: cannot set its resolution")
    per_metre = int(round(dpi / 0.0254))
    body = struct.pack(">IIB", per_metre, per_metre, 1)  # unit 1: per metre
    phys = struct.pack(">I", len(body)) + b"pHYs" + body
    phys += struct.pack(">I", zlib.crc32(b"pHYs" + body) & 0xFFFFFFFF)
    chunks, at = [], 0
    while at < len(rest):
        length = struct.unpack(">I", rest[at : at + 4])[0]
        kind = rest[at + 4 : at + 8]
        end = at + 12 + length
        if kind != b"pHYs":
            chunks.append(rest[at:end])
        if kind == b"IHDR":
            chunks.append(phys)  # right after the header: before any image data
        at = end
    return signature + b"".join(chunks)


def png_dpi(data: bytes) -> float | None:
    """Return the dpi a PNG's pHYs chunk states (None without one, or in no unit)."""
    at = 8
    while at < len(data):
        length = struct.unpack(">I", data[at : at + 4])[0]
        if data[at + 4 : at + 8] == b"pHYs":
            x, _, unit = struct.unpack(">IIB", data[at + 8 : at + 17])
            return round(x * 0.0254, 1) if unit == 1 else None
        at += 12 + length
    return None


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG = "http://www.w3.org/2000/svg"


def _style(element: Any) -> dict[str, str]:
    """Return an SVG element's presentation: its attributes, overridden by its ``style``."""
    out = {k: v for k, v in element.attrib.items() if "}" not in k}
    for part in element.get("style", "").split(";"):
        key, _, value = part.partition(":")
        if key.strip():
            out[key.strip()] = value.strip()
    return out


def _transparent(paint: str | None, opacity: str | None) -> bool:
    """Return whether a fill or stroke paints nothing."""
    if paint is None or paint.strip() in ("none", "transparent"):
        return True
    if paint.replace(" ", "").startswith("rgba(") and paint.replace(" ", "").endswith(",0)"):
        return True
    return opacity is not None and float(opacity or 1) == 0


def _invisible(element: Any) -> bool:
    """Return whether an SVG shape or text element draws nothing.

    A shape draws nothing at opacity 0, or with neither a visible fill nor a visible stroke
    (a stroke of width 0 is none); a text element draws nothing without text.
    """
    tag = element.tag.rsplit("}", 1)[-1]
    style = _style(element)
    if float(style.get("opacity", 1) or 1) == 0:
        return True
    if tag == "text":
        return not "".join(element.itertext()).strip()
    if tag not in ("path", "rect", "circle", "ellipse", "line", "polygon", "polyline"):
        return False
    no_fill = _transparent(style.get("fill", "black"), style.get("fill-opacity"))
    width = style.get("stroke-width", "1").removesuffix("px") or "1"
    no_stroke = float(width) == 0 or _transparent(style.get("stroke"), style.get("stroke-opacity"))
    return no_fill and no_stroke


def invisible_svg_objects(svg: bytes | str) -> int:
    """Return how many shapes and text elements of an SVG draw nothing (see :func:`clean_svg`)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    return sum(_invisible(e) for e in root.iter())


def clean_svg(svg: bytes) -> bytes:
    """Return the SVG without the objects that draw nothing: shapes and empty text.

    plotly draws a Sankey's layout scaffolding (invisible nodes and links that fix columns),
    empty node labels (msa draws labels as annotations) and annotation backgrounds; they are
    invisible in the image but clutter a drawing program's layers. An element with children,
    ``<defs>`` and clip paths are kept.
    """
    import xml.etree.ElementTree as ET

    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)
    parents = {child: parent for parent in root.iter() for child in parent}
    doomed = [
        e
        for e in root.iter()
        if _invisible(e) and not _in_defs(e, parents) and (e.tag.endswith("text") or len(e) == 0)
    ]
    for element in doomed:
        parents[element].remove(element)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _in_defs(element: Any, parents: dict[Any, Any]) -> bool:
    """Return whether ``element`` lies inside ``<defs>`` or a ``<clipPath>``."""
    while element in parents:
        element = parents[element]
        if element.tag.rsplit("}", 1)[-1] in ("defs", "clipPath", "mask", "pattern"):
            return True
    return False
