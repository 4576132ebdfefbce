"""Time-series and comparison plots (msa.figures.plots): words, units, numbers and print images.

The image tests need Debian's chromium (``apt-get install chromium``) through the session's
``image_server``; without chromium they skip locally and fail on CI (CI=true).
"""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import msa
from msa.figures.plots import SeriesStyle, comparison, plot_units, png_scale, time_series

YEARS = list(range(2020, 2031))


def _stocks() -> pd.DataFrame:
    """Materials of very different size: glass in kt, copper in t by thousands, silver 2.4 t."""
    rows = []
    for material, top in (("glass", 450_000.0), ("copper", 45_000.0), ("silver", 2.4)):
        for series, share in (("In use", 1.0), ("Second life", 0.25)):
            for k, year in enumerate(YEARS):
                value = top * share * k / (len(YEARS) - 1)
                rows.append({"year": year, "material": material, "series": series, "value": value})
    return pd.DataFrame(rows)


def _headline() -> pd.DataFrame:
    """Headline numbers of three runs, baseline first (one with a zero baseline)."""
    return pd.DataFrame(
        {
            "units": ["t", "vehicles", "1", "t"],
            "baseline": [12_300.0, 474_000.0, 0.46, 0.0],
            "high": [14_000.0, 474_000.0, 0.55, 3.0],
            "low": [9_000.0, 300_000.0, 0.40, 1.0],
        },
        index=["Li demand 2030", "EVs in use 2050", "Li secondary share", "hibernating"],
    )


# --------------------------------------------------------------------------- the figures
@pytest.mark.parametrize(
    ("lang", "separators", "unit", "year_word"),
    [("en", ".,", "t/yr", "year"), ("nl", ",.", "t/jaar", "jaar")],
)
def test_words_units_and_number_format_follow_the_language(lang, separators, unit, year_word):
    """Axis titles, legend title and hover carry the unit in the figure's language."""
    frame = _stocks().query("material == 'silver'")
    fig = time_series(frame, units="t/yr", title="T", quantity="Flow", lang=lang)
    assert fig.layout.separators == separators
    assert fig.layout.yaxis.title.text == f"Flow ({unit})"
    assert fig.layout.xaxis.title.text == year_word
    assert fig.layout.legend.title.text == f"Flow ({unit}):"
    assert fig.layout.yaxis.separatethousands and fig.layout.yaxis.exponentformat == "none"
    assert fig.layout.xaxis.tickformat == "d"  # 2030, never 2,030
    lines = [t for t in fig.data if t.hovertemplate]
    assert lines and all(f"%{{y:,.3~r}} {unit}" in t.hovertemplate for t in lines)


def test_each_panel_shows_its_own_unit():
    """Glass is drawn in kt and silver in t, each panel titled with its unit."""
    fig = time_series(_stocks(), units="t", title="T", quantity="Stock", panel="material")
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["glass (kt)", "copper (t)", "silver (t)"]
    glass = next(t for t in fig.data if t.name == "In use")  # first panel: glass
    assert max(glass.y) == pytest.approx(450.0)
    assert fig.layout.meta["msa_plot"]["units"] == ["kt", "t", "t"]


def test_one_unit_in_axis_and_legend_when_panels_agree():
    """Panels of one unit say it once: on the value axis and in the legend title."""
    frame = _stocks().query("material == 'glass'")
    frame = pd.concat([frame.assign(material="a"), frame.assign(material="b")])
    fig = time_series(frame, units="t", title="T", quantity="Stock", panel="material")
    assert fig.layout.yaxis.title.text == "Stock (kt)"
    assert [a.text for a in fig.layout.annotations][:2] == ["a", "b"]


def test_stacked_unit_follows_the_sum():
    """A stack is sized by its top: two series of 60,000 t stack to 120 kt."""
    frame = pd.DataFrame(
        {"year": [2020, 2020], "value": [60_000.0, 60_000.0], "series": ["Li", "Co"]}
    )
    fig = time_series(frame, units="t", title="T", quantity="Mine", stacked=True)
    assert fig.layout.yaxis.title.text == "Mine (kt)"
    assert {t.stackgroup for t in fig.data} == {"stack"}


def test_band_is_drawn_only_where_it_is_known():
    """A series with p5 and p95 gets a band; one without (NaN) is drawn as a line alone."""
    frame = pd.DataFrame(
        {
            "year": [2020, 2021, 2020, 2021],
            "value": [1.0, 2.0, 3.0, 4.0],
            "series": ["a", "a", "b", "b"],
            "low": [0.5, 1.5, np.nan, np.nan],
            "high": [1.5, 2.5, np.nan, np.nan],
        }
    )
    fig = time_series(frame, units="t", title="T", quantity="Q", low="low", high="high")
    assert [t.name for t in fig.data] == ["a p5", "a p5–p95", "a", "b"]
    assert fig.data[1].fill == "tonexty"


def test_series_style_sets_colour_dash_and_area():
    """A named series takes its style; the others the palette."""
    frame = pd.DataFrame({"year": [2020, 2021] * 2, "value": 1.0, "series": ["a"] * 2 + ["b"] * 2})
    styles = {"a": SeriesStyle(color="#000000", dash="dash"), "b": SeriesStyle(area=True)}
    fig = time_series(frame, units="t", title="T", quantity="Q", styles=styles)
    assert fig.data[0].line.color == "#000000" and fig.data[0].line.dash == "dash"
    assert fig.data[1].fill == "tozeroy"
    with pytest.raises(msa.DataError, match="colour must be '#RRGGBB'"):
        SeriesStyle(color="red")


def test_a_gap_is_refused_not_drawn_as_zero():
    """A missing value names its row; a missing column names the column."""
    frame = pd.DataFrame({"year": [2020, 2021], "value": [1.0, np.nan], "series": "a"})
    with pytest.raises(msa.DataError, match=r"'value' at row 1 is nan"):
        time_series(frame, units="t", title="T", quantity="Q")
    with pytest.raises(msa.DataError, match=r"no column 'material'"):
        time_series(frame.fillna(0), units="t", title="T", quantity="Q", panel="material")
    with pytest.raises(msa.ConfigError, match=r"unknown preset 'a5'"):
        time_series(frame.fillna(0), units="t", title="T", quantity="Q", preset="a5")


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_plot_units_keep_numbers_short(largest):
    """Tonnes shown stay below 100,000 of their unit, and only Mt goes beyond."""
    unit, divisor = plot_units("t/yr", largest)
    assert unit in ("t/yr", "kt/yr", "Mt/yr")
    assert largest / divisor < 1e5 or unit == "Mt/yr"
    assert largest / divisor >= 100 or unit == "t/yr"


def test_comparison_ratios_and_a_visible_baseline():
    """Each run's markers are its values over the baseline's; the baseline sits at 1."""
    table = _headline()
    fig = comparison(table)
    assert [t.name for t in fig.data] == ["baseline", "high", "low"]
    values = table.drop(columns="units")
    for trace, run in zip(fig.data, values.columns, strict=True):
        expected = (values[run] / values["baseline"].where(values["baseline"] != 0)).to_numpy()
        np.testing.assert_allclose(np.asarray(trace.x, dtype=float), expected)
    assert fig.data[0].marker.symbol == "diamond"
    assert [x for x in fig.data[0].x if math.isfinite(x)] == [1.0, 1.0, 1.0]
    rows = list(fig.layout.yaxis.categoryarray)
    assert rows[0] == "Li demand 2030: 12,300\u00a0t"
    assert rows[2] == "Li secondary share: 0.46"  # a dimensionless number: no unit "1"
    assert (
        rows[3]
        .replace("\u00a0", " ")
        .replace("<br>", " ")
        .startswith("hibernating (baseline 0 t: no ratio; high 3 t; low 1 t)")
    )
    assert fig.layout.yaxis.range == (3.5, -0.5)  # every row shown, the zero one too
    assert fig.layout.xaxis.type != "log"


def test_comparison_in_dutch_and_on_a_log_axis():
    """Dutch words and numbers; ratios spanning more than ten go on a log axis."""
    table = pd.DataFrame({"baseline": [1000.0], "big": [50_000.0]}, index=["x"])
    fig = comparison(table, units={"x": "t"}, lang="nl")
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.title.text == "verhouding tot baseline (baseline = 1)"
    assert list(fig.layout.yaxis.categoryarray) == ["x: 1.000\u00a0t"]
    assert fig.layout.legend.title.text == "Berekening:"


def test_comparison_refuses_what_it_cannot_draw():
    """An unknown baseline, text for a number, no runs: one line each."""
    with pytest.raises(msa.DataError, match=r"no run 'central'"):
        comparison(_headline(), baseline="central")
    with pytest.raises(msa.DataError, match="not a number"):
        comparison(pd.DataFrame({"a": ["many"]}, index=["x"]))
    with pytest.raises(msa.DataError, match="no run or no indicator"):
        comparison(pd.DataFrame({"units": ["t"]}, index=["x"]))


def test_png_scale_is_the_presets():
    """A plot asks for its preset's density (300 dpi at 96 px per inch); others for 2."""
    frame = _stocks().query("material == 'silver'")
    fig = time_series(frame, units="t", title="T", quantity="Q")
    assert png_scale(fig) == pytest.approx(300 / 96)
    assert fig.layout.width == 605  # 16 cm at 96 px per inch
    assert png_scale(time_series(frame, units="t", title="T", quantity="Q", preset="slide")) == 2
    assert png_scale(object()) == 2.0


# --------------------------------------------------------------------------- the images
def _png_info(path: Path) -> tuple[int, int, float | None]:
    """Return a PNG's width, height and the dpi of its pHYs chunk (None without one)."""
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    at = data.find(b"pHYs")
    if at < 0:
        return width, height, None
    per_metre, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    return width, height, per_metre * 0.0254 if unit == 1 else None


def _not_blank(path: Path) -> float:
    """Return the spread of a PNG's grey levels (0 for a blank image)."""
    from matplotlib import image

    pixels = image.imread(path)[..., :3]
    return float(pixels.std())


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("en", ["Stock (kt)", "Stock (t)", "In use", "Second life", "10,000", "0.5", "year"]),
        ("nl", ["Voorraad (kt)", "Voorraad (t)", "In gebruik", "Tweede leven", "10.000", "0,5"]),
    ],
)
def test_time_series_png_and_svg_at_print_size(tmp_path, lang, texts):
    """A print PNG (1,890 px wide, 300 dpi, not blank) and an SVG with units and legend."""
    names = {"In use": "In gebruik", "Second life": "Tweede leven"} if lang == "nl" else {}
    frame = _stocks().replace({"series": names})
    quantity = "Voorraad" if lang == "nl" else "Stock"
    shown = []
    for material in ("glass", "copper", "silver"):
        one = frame[frame["material"] == material]
        fig = time_series(one, units="t", title="T", quantity=quantity, lang=lang)
        png, svg = msa.write_figure(
            fig, tmp_path / f"{lang}_{material}", ("png", "svg"), scale=png_scale(fig)
        )
        width, height, dpi = _png_info(png)
        assert (width, height) == (1890, round(fig.layout.height * 300 / 96))
        assert dpi == pytest.approx(300, abs=0.5)
        assert _not_blank(png) > 0.05
        shown.append(svg.read_text(encoding="utf-8"))
    svg_text = " ".join(re.findall(r">([^<>]+)<", " ".join(shown)))
    for text in texts:
        assert text in svg_text, text


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("en", ["ratio to baseline", "baseline", "high", "low", "Li demand 2030: 12,300 t"]),
        ("nl", ["verhouding tot baseline", "Berekening:", "Li demand 2030: 12.300 t", "0,46"]),
    ],
)
def test_comparison_png_and_svg_show_every_run(tmp_path, lang, texts):
    """The comparison prints at 300 dpi and names every run, the baseline included."""
    fig = comparison(_headline(), lang=lang)
    png, svg = msa.write_figure(fig, tmp_path / "cmp", ("png", "svg"), scale=png_scale(fig))
    width, _, dpi = _png_info(png)
    assert width == 1890 and dpi == pytest.approx(300, abs=0.5)
    assert _not_blank(png) > 0.05
    text = " ".join(re.findall(r">([^<>]+)<", svg.read_text(encoding="utf-8")))
    text = text.replace("\u00a0", " ")  # a value and its unit never part across lines
    for word in texts:
        assert word in text, word
    points = re.findall(r'class="point[ "]', svg.read_text(encoding="utf-8"))
    assert len(points) == 9  # 3 runs x 3 rows with a ratio, the baseline's among them


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_write_comparison_writes_the_plot(tmp_path):
    """Write the files of msa compare: the comparison dot plot as PNG at 300 dpi and SVG."""
    from msa.model.run import write_comparison

    table = _headline()
    targets = pd.DataFrame({"baseline": ["1 met"], "high": ["2 met"], "low": ["0 missed"]})
    written = write_comparison(table, targets, tmp_path / "cmp")
    png = next(p for p in written if p.suffix == ".png")
    svg = next(p for p in written if p.suffix == ".svg")
    assert _png_info(png)[0] == 1890
    assert "ratio to baseline" in svg.read_text(encoding="utf-8")
