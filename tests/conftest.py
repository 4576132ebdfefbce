"""Shared pytest fixtures for the msa test suite."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# -- hypothesis: one profile for the whole suite, chosen by HYPOTHESIS_PROFILE, else by CI.
# dev keeps a local run quick; ci (what .ci/run and the README's test command use on CI) is
# thorough. No test file sets its own example count, except the few whose every example runs
# a whole model (they say so where they cap it).
settings.register_profile("dev", max_examples=15, deadline=None)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _ON_CI else "dev"))


# -- a tiny declared model: runs fast, one plotly figure ("flows"), no Sankey, no stock
TINY_TOML = """\
[model]
name = "{name}"
title = "Tiny model"
sources = "data/sources.csv"

[dims]
time = {{ start = 2020, end = 2022 }}

[data.collected]
file = "data/collected.csv"
dims = ["time"]
units = "t"

[parameters]
factor = {{ value = 1.0, units = "1", source_id = "s1", grade = "D", note = "assumption" }}
imported = {{ value = 1.0, units = "t", source_id = "s1", grade = "D", note = "assumption" }}

[processes.Collection]
kind = "boundary"

[processes.Import]
kind = "boundary"

[processes.Recycling]
stage = "Recycling"

[processes.Market]
kind = "boundary"

[flows."Collection => Recycling"]
value = "collected * factor"
jrc_code = "F.1.4"

[flows."Import => Recycling"]
value = "imported"
jrc_code = "F.1.2"

[flows."Recycling => Market"]
remainder = true
jrc_code = "G.1.1"

[outputs]
sankeys = []
headline = [{{ label = "total", sum = ["Collection => Recycling"], years = [2020, 2022] }}]
targets = "data/targets.csv"
report_figures = ["flows"]

[outputs.indicators.recycled_per_import]
numerator = ["Collection => Recycling"]
denominator = ["Import => Recycling"]

[scenarios.double]
description = "twice the collection"
set = {{ factor = 2.0 }}
"""

#: Appended by ``tiny_model(failing=True)``: a scenario whose table has a negative value.
TINY_BOOM = """
[scenarios.boom]
description = "a negative collection: fails while it builds"
data = { collected = "data/collected_bad.csv" }
"""

TINY_FILES = {
    "data/sources.csv": "source_id,title\ns1,Test source\n",
    "data/collected.csv": (
        "year,value,units,source_id,grade\n2020,1,t,s1,D\n2021,2,t,s1,D\n2022,3,t,s1,D\n"
    ),
    "data/targets.csv": (
        "target_id,policy,indicator,material,year,comparison,value\n"
        "t1,P,recycled_per_import,all,2021,>=,3.0\n"
    ),
}


@pytest.fixture
def tiny_model(tmp_path: Path) -> Callable[..., Path]:
    """Return ``make(name="tiny", *, failing=False) -> Path``: write a tiny declared model.

    The folder ``tmp_path / name`` holds ``model.toml``, ``data/sources.csv``,
    ``data/collected.csv`` (1, 2, 3 t in 2020-2022) and ``data/targets.csv``. Collection
    brings ``collected * factor`` and Import 1 t a year into Recycling, which sends the sum to
    Market; the flows carry JRC codes (F.1.4, F.1.2, G.1.1), so every view can draw them.
    Scenarios: ``baseline`` and ``double`` (``factor = 2``); ``failing=True`` adds ``boom``,
    last, whose table has a negative value (a DataError while it builds). Outputs: headline
    ``total`` (the collection summed over 2020-2022: 6 t, 12 t in ``double``), indicator
    ``recycled_per_import`` with target ``t1`` (>= 3 in 2021: missed at 2, met at 4), no
    Sankey: a run draws one plotly figure (``flows``), so it needs chromium (``image_server``).
    """

    def make(name: str = "tiny", *, failing: bool = False) -> Path:
        folder = tmp_path / name
        (folder / "data").mkdir(parents=True)
        toml = TINY_TOML.format(name=name) + (TINY_BOOM if failing else "")
        (folder / "model.toml").write_text(toml, encoding="utf-8")
        for rel, text in TINY_FILES.items():
            (folder / rel).write_text(text, encoding="utf-8")
        if failing:
            bad = TINY_FILES["data/collected.csv"].replace("2021,2,", "2021,-2,")
            (folder / "data" / "collected_bad.csv").write_text(bad, encoding="utf-8")
        return folder

    return make


@pytest.fixture
def example_tables(tmp_path: Path) -> Path:
    """Return a writable copy of the example's folder of tables (msa/data/example)."""
    target = tmp_path / "example"
    shutil.copytree(Path(str(files("msa").joinpath("data", "example"))), target)
    return target


# -- sankey: one kaleido server (one chromium) per test session and xdist worker
@pytest.fixture(scope="session")
def image_server():
    """Start one warm kaleido server for the session; without chromium skip, or fail on CI."""
    from msa.figures.export import find_browser, start_image_server, stop_image_server

    if find_browser() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing on CI: install it with `apt-get install chromium`")
        pytest.skip("chromium is not installed (apt-get install chromium); CI=true makes this fail")
    start_image_server()
    yield
    stop_image_server()


def read_legend(fig) -> dict[str, list[tuple[str, str]]]:
    """Return a Sankey's drawn legend: each group's title to its (entry, swatch colour)."""
    swatches = [s.fillcolor for s in fig.layout.shapes if (s.name or "").startswith("legend:")]
    groups: dict[str, list[str]] = {}
    title = ""
    for a in fig.layout.annotations:
        if a.name == "legend_title":
            title = a.text
            groups[title] = []
        elif a.name == "legend":
            groups[title].append(a.text)
    names = [n for entries in groups.values() for n in entries]
    assert len(swatches) == len(names)
    colour = iter(swatches)
    return {t: [(n, next(colour)) for n in entries] for t, entries in groups.items()}


@pytest.fixture
def legend_of() -> Callable[..., dict[str, list[tuple[str, str]]]]:
    """Return :func:`read_legend`: a Sankey's drawn legend by group, in order."""
    return read_legend


def annotation_boxes(svg: str) -> dict[int, tuple[float, float, float, float]]:
    """Return the background boxes (left, top, right, bottom) of an SVG's annotations."""
    pattern = (
        r'<g class="annotation" data-index="(\d+)"[^>]*>.*?'
        r'transform="translate\(([-\d.]+),([-\d.]+)\)">'
        r'<rect class="bg" x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"'
    )
    boxes = {}
    for k, tx, ty, x, y, w, h in re.findall(pattern, svg):
        left, top = float(tx) + float(x), float(ty) + float(y)
        boxes[int(k)] = (left, top, left + float(w), top + float(h))
    return boxes
