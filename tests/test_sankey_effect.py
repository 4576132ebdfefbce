"""Sankeys coloured by the environmental effect each link carries (``color_by="effect"``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.effects import effects, links_with_effect, load_factors
from msa.errors import ConfigError, DataError
from msa.figures.labels import EFFECT_COLORS, EFFECT_NONE, EFFECT_UNKNOWN, rgba


def _cells_system() -> msa.System:
    """Four primary materials mined into cell making, then use and waste (2030)."""
    materials = ["Li", "Co", "Ni", "graphite"]
    coords = {"time": [2030], "material": materials}
    s = msa.System("cells", coords=coords)
    for pid in ("Li mine", "Co mine", "Ni mine", "Graphite plant"):
        s.add_process(pid, kind="boundary", stage="Extraction")
    s.add_process("Cells", stage="Manufacture")
    s.add_process("Use", kind="boundary", stage="Use")
    supply = {"Li mine": 200.0, "Co mine": 300.0, "Ni mine": 1200.0, "Graphite plant": 1500.0}
    for (pid, tonnes), m in zip(supply.items(), materials, strict=True):
        one = xr.DataArray([[tonnes if x == m else 0.0 for x in materials]], coords=coords)
        s.add_flow(pid, "Cells", one, units="t", grade="B")
    total = xr.DataArray([[supply[p] for p in supply]], coords=coords)
    s.add_flow("Cells", "Use", total, units="t", grade="B")
    return s


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    system = _cells_system()
    sources = ["Li mine", "Co mine", "Ni mine", "Graphite plant"]
    result = effects(system, load_factors(), supplied_by=sources)
    return links_with_effect(msa.links_from_system(system, 2030), result)


def _visible(fig) -> list[tuple[str, str]]:
    link = fig.data[0].link
    return [
        (c, h)
        for c, h in zip(link.color, link.customdata, strict=True)
        if c != "rgba(0,0,0,0)" and h
    ]


def test_links_are_coloured_by_their_effect_bin(links):
    """Each burden-carrying link has a YlOrBr colour, darker with more effect; 0 is grey."""
    fig = msa.sankey(links, color_by="effect")
    colours = {h.split("<br>")[0]: c for c, h in _visible(fig)}
    assert colours["Cells → Use"] == rgba(EFFECT_NONE, 0.8)
    scale = [rgba(c, 0.8) for c in EFFECT_COLORS]
    order = ["Li mine → Cells", "Co mine → Cells", "Ni mine → Cells", "Graphite plant → Cells"]
    # 200 t x 104.21 = 20,842; 300 x 71.5 = 21,450; 1,200 x 24.54 = 29,448; 1,500 x 43.871 = 65,807
    ranks = [scale.index(colours[name]) for name in order]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    assert fig.layout.meta["msa_sankey"]["color_by"] == "effect"
    hover = next(h for _, h in _visible(fig) if h.startswith("Graphite plant"))
    assert re.search(r"effect: 65,800 t CO2-eq", hover)


def test_the_legend_names_the_bins_and_the_unit(links, legend_of):
    """The legend title carries the unit; bins read '< a', 'a–b', '≥ z'; then 'none (0)'."""
    fig = msa.sankey(links, color_by="effect")
    (title, first), (_, stages) = legend_of(fig).items()
    names = [name for name, _ in first]
    assert title == "Effect carried (t CO2-eq):"
    assert names[0].startswith("< ") and names[-2].startswith("\u2265 ")
    assert names[-1] == "none (0)"
    assert "Manufacture" in [name for name, _ in stages]


def test_not_assessed_links_are_dark_grey(links, legend_of):
    """A NaN effect (no factor) is drawn dark grey and named 'not assessed'."""
    unknown = links.copy()
    unknown.loc[unknown["source"].eq("Li mine"), "effect"] = np.nan
    fig = msa.sankey(unknown, color_by="effect")
    colours = {h.split("<br>")[0]: c for c, h in _visible(fig)}
    assert colours["Li mine → Cells"] == rgba(EFFECT_UNKNOWN, 0.8)
    assert "not assessed" in [name for group in legend_of(fig).values() for name, _ in group]


def test_other_colourings_are_unchanged_by_an_effect_column(links):
    """With an effect column, stage colouring draws exactly what it draws without one."""
    plain = msa.sankey(links.drop(columns=["effect", "effect_units"]), color_by="stage")
    with_effect = msa.sankey(links, color_by="stage")
    assert list(plain.data[0].link.color) == list(with_effect.data[0].link.color)


def test_effect_colour_needs_an_effect_column_in_one_line():
    """Links without an effect column: one ConfigError line naming the helper that adds it."""
    links = msa.links_from_system(msa.load_example(), 2021)
    with pytest.raises(ConfigError) as err:
        msa.sankey(links, color_by="effect")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("color_by='effect' needs an 'effect' column in the links table")
    assert "links_with_effect" in message


def test_a_negative_effect_is_refused(links):
    """Effects are >= 0: a negative one names its row."""
    bad = links.copy()
    bad.loc[0, "effect"] = -1.0
    with pytest.raises(DataError, match=r"effect must be a number >= 0"):
        msa.sankey(bad, color_by="effect")


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_effect_sankey_renders_to_png_and_svg(links, tmp_path):
    """The effect-coloured figure exports; the SVG holds the legend title and bin names."""
    fig = msa.sankey(links, color_by="effect", title="Cradle-to-gate GWP100 of cell materials")
    paths = msa.write_figure(fig, tmp_path / "effect", "png,svg")
    png = next(p for p in paths if p.suffix == ".png")
    assert png.stat().st_size > 10_000
    svg = next(p for p in paths if p.suffix == ".svg").read_text(encoding="utf-8")
    assert "Effect carried (t CO2-eq)" in svg
    assert ">none (0)<" in svg
