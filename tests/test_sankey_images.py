"""Look at the rendered Sankeys: PNG pixels, SVG text and widths, PDF pages and fonts, HTML.

These tests need Debian's chromium (``apt-get install chromium``); the session fixture
``image_server`` keeps one warm kaleido server per test worker. Without chromium they skip
locally and fail on CI (CI=true).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

import msa
from msa import links_from_system, sankey
from msa.figures.export import find_browser
from msa.figures.labels import STAGE_COLORS
from msa.figures.layout import WAYPOINT_PREFIX

pytestmark = [pytest.mark.chromium, pytest.mark.usefixtures("image_server")]

_LINK = re.compile(r'<path class="sankey-link" d="([^"]+)" style="([^"]+)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


@pytest.fixture(scope="module")
def links21() -> pd.DataFrame:
    return links_from_system(msa.load_example(), 2021)


def _link_widths(svg: str) -> list[float]:
    """Widths (px) of the visible link bands of a rendered Sankey SVG, at their source end."""
    widths = []
    for d, style in _LINK.findall(svg):
        if re.search(r"fill-opacity: 0(;|$)", style):
            continue  # ghost and ballast links are transparent
        numbers = [float(n) for n in _NUMBER.findall(d)]
        widths.append(abs(numbers[15] - numbers[1]))
    return sorted(widths)


def _chain(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"source": s, "target": t, "value": v, "units": "t"} for (s, t), v in values.items()]
    )


def test_png_not_blank_right_size_stage_colours(links21, tmp_path):
    """The PNG has the requested size, real content and the colours of the stages it shows."""
    fig = sankey(links21, width=1000, height=600)
    [path] = msa.write_figure(fig, tmp_path / "example", "png", scale=2)
    pixels = image.imread(path)
    assert pixels.shape[:2] == (1200, 2000)
    rgb = pixels[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    packed = (rgb * 255).round().astype(np.uint32) @ np.array([65536, 256, 1], dtype=np.uint32)
    assert len(np.unique(packed)) > 100
    for stage in ("Exploration", "Extraction", "Processing", "Manufacture", "Use", "Recycling"):
        want = np.array([int(STAGE_COLORS[stage][i : i + 2], 16) for i in (1, 3, 5)]) / 255
        assert (np.abs(rgb - want).max(axis=1) < 1.5 / 255).sum() > 100, stage


def test_svg_keeps_every_label_and_value_as_text(links21, tmp_path):
    """The SVG holds every node label and value as text, in the font asked for."""
    fig = sankey(links21)
    [path] = msa.write_figure(fig, tmp_path / "example", "svg")
    svg = path.read_text(encoding="utf-8")
    texts = " ".join(re.findall(r">([^<>]+)</tspan>|>([^<>]+)</text>", svg).__str__().split())
    for label in fig.layout.meta["msa_sankey"]["labels"].values():
        for part in filter(None, label.split("<br>")):
            assert part in texts, part
    assert "DejaVu Sans" in svg


def test_pdf_one_page_with_embedded_font(links21, tmp_path):
    """The PDF is one vector page and embeds its font."""
    [path] = msa.write_figure(sankey(links21), tmp_path / "example", "pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    assert re.search(rb"/FontFile[23]?\b", data)


def test_html_renders_in_headless_chromium(links21, tmp_path):
    """The self-contained HTML opens offline in headless chromium and draws the Sankey."""
    [html] = msa.write_figure(sankey(links21), tmp_path / "example", "html")
    shot = tmp_path / "shot.png"
    cmd = [
        find_browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,800",
        "--virtual-time-budget=5000",
        html.as_uri(),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (800, 1200)
    not_white = (pixels < 0.95).any(axis=2).mean()
    assert not_white > 0.05
    want = np.array([int(STAGE_COLORS["Use"][i : i + 2], 16) for i in (1, 3, 5)]) / 255
    assert (np.abs(pixels.reshape(-1, 3) - want).max(axis=1) < 2 / 255).sum() > 50


def test_fixed_scale_same_value_same_width_in_svg(tmp_path):
    """At one scale a 100 t flow is 200 px wide in both figures although totals differ."""
    small = _chain({("A", "B"): 100.0, ("B", "C"): 60.0, ("B", "D"): 40.0})
    large = _chain({("A", "B"): 300.0, ("B", "C"): 100.0, ("B", "D"): 200.0})
    widths = {}
    for name, links in (("small", small), ("large", large)):
        fig = sankey(links, scale=0.5)
        [path] = msa.write_figure(fig, tmp_path / name, "svg", clean=False)
        widths[name] = _link_widths(path.read_text(encoding="utf-8"))
    assert widths["small"] == pytest.approx([80, 120, 200], abs=0.02)
    assert widths["large"] == pytest.approx([200, 400, 600], abs=0.02)


@pytest.mark.parametrize("year", [2019, 2023])
def test_fixed_scale_with_loops_in_svg(year, tmp_path):
    """With recycling loops too, every rendered band and loop is value / scale px wide."""
    links = links_from_system(msa.load_example(), year)
    fig = sankey(links, scale=0.75)
    [path] = msa.write_figure(fig, tmp_path / f"y{year}", "svg", clean=False)
    svg = path.read_text(encoding="utf-8")
    loops = links["target"].isin(["Processing", "Manufacture"]) & links["source"].eq("Recycling")
    # a band skipping a column is drawn in pieces joined at a waypoint, each as wide
    ids, trace = fig.layout.meta["msa_sankey"]["nodes"], fig.data[0].link
    pieces = [
        v
        for s, v in zip(trace.source, trace.value, strict=True)
        if ids[s].startswith(WAYPOINT_PREFIX)
    ]
    expected = sorted([*links.loc[~loops & (links["value"] > 0), "value"], *pieces])
    expected = [v / 0.75 for v in expected]
    assert _link_widths(svg) == pytest.approx(expected, abs=0.02)
    strokes = sorted(float(w) for w in re.findall(r"stroke-width: ([\d.]+)px", svg))
    for value in links.loc[loops, "value"]:
        assert min(abs(s - value / 0.75) for s in strokes) < 0.02


def test_all_four_formats_warm(links21, tmp_path):
    """HTML, PNG, SVG and PDF are written in one call with the warm server (time printed)."""
    import time

    fig = sankey(links21)
    msa.write_figure(fig, tmp_path / "warm", "png")  # warm-up
    start = time.perf_counter()
    written = msa.write_figure(fig, tmp_path / "example", "html,png,svg,pdf")
    elapsed = time.perf_counter() - start
    assert [p.suffix for p in written] == [".html", ".png", ".svg", ".pdf"]
    assert all(Path(p).stat().st_size > 1000 for p in written)
    print(f"warm export of 4 formats: {elapsed:.2f} s")


def _label_boxes(svg: str) -> tuple[list[tuple[float, float, float, float]], float, float]:
    """Boxes (left, top, right, bottom) of the annotations in an SVG, and the canvas size."""
    width, height = (
        float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups()
    )
    boxes = []
    pattern = (
        r'<g class="annotation" data-index="\d+"[^>]*>.*?'
        r'transform="translate\(([-\d.]+),([-\d.]+)\)">'
        r'<rect class="bg" x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"'
    )
    for tx, ty, x, y, w, h in re.findall(pattern, svg):
        left, top = float(tx) + float(x), float(ty) + float(y)
        boxes.append((left, top, left + float(w), top + float(h)))
    return boxes, width, height


@pytest.mark.parametrize("view", ["jrc", "pga", "icer_national"])
def test_labels_inside_the_canvas_and_apart(view, tmp_path):
    """Every label box (measured by the browser in the SVG) is inside the canvas, none overlap."""
    from msa.jrc_msa import views
    from msa.jrc_msa.template import read_msa_model

    system = read_msa_model(Path(__file__).parents[1] / "models" / "msa_example").system
    made = getattr(views, view)(system, year=2021)
    fig = sankey(made.links, nodes=made.nodes, footnotes=made.footnotes, title=view)
    [path] = msa.write_figure(fig, tmp_path / view, "svg", clean=False)
    boxes, width, height = _label_boxes(path.read_text(encoding="utf-8"))
    assert len(boxes) == len(fig.layout.annotations)
    for left, top, right, bottom in boxes:
        assert 0 <= left and right <= width and 0 <= top and bottom <= height
    labels = sorted(boxes[:-1])  # the last annotation is the note under the figure
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            apart = a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5
            assert apart or a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5, (a, b)


# ----------------------------------------------------------------------------- image server
def test_reused_pages_draw_the_same_png(links21, tmp_path):
    """A page drawing image after image (not reloaded) gives the bytes of its first PNG."""
    first = sankey(links21, title="first")
    [before] = msa.write_figure(first, tmp_path / "before", "png")
    for k in range(3):  # other figures in between, on every page
        msa.write_figure(sankey(links21, scale=0.5 + k, color_by="flow_type"), tmp_path / f"o{k}")
    [after] = msa.write_figure(first, tmp_path / "after", "png")
    assert after.read_bytes() == before.read_bytes()


def test_submitted_figures_appear_only_on_result(links21, tmp_path):
    """submit_figure returns before the images; result() puts them in place, discard() nothing."""
    from msa.figures.export import submit_figure

    kept = submit_figure(sankey(links21), tmp_path / "kept", ("html", "png", "svg"))
    dropped = submit_figure(sankey(links21, scale=1.0), tmp_path / "dropped", "png,svg")
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    dropped.discard()
    assert [p.name for p in kept.result()] == ["kept.html", "kept.png", "kept.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.html", "kept.png", "kept.svg"]


def test_a_page_that_lost_its_script_recovers(links21, tmp_path):
    """A page whose script context is gone (as when it did not load right) is reloaded, once."""
    from msa.figures import export

    export.write_figure(sankey(links21), tmp_path / "warm", "svg")
    browser = export._server._browser_task.result()  # type: ignore[union-attr]
    if not getattr(browser, "_msa_reuses", False):
        pytest.skip("this kaleido reloads its pages itself")
    for page in list(browser.tabs_ready._queue):
        page._current_js_id = 987654  # no such context: every image on it fails
    written = export.write_figure(sankey(links21), tmp_path / "again", "png,svg")
    assert [p.stat().st_size > 1000 for p in written] == [True, True]
