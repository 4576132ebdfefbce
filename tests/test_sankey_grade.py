"""Sankeys coloured by data quality: the worst grade each link rests on (``color_by="grade"``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.cli import main
from msa.errors import ConfigError, ProvenanceError
from msa.figures.labels import GRADE_COLORS, rgba
from msa.figures.links import merge_rows
from msa.system.provenance import GRADES

_LEGEND_EN = ["A from source", "B inter-/extrapolated", "C estimate", "D assumption"]
_TITLE_EN = "Data quality (worst grade the link rests on)"


def _graded_system() -> msa.System:
    """Return a System whose flows and stock change have known grades per cell.

    Mine => Plant (time x material x region, 10 t a cell): 2020 all A but Li/BE D; 2021 Co/NL
    A, Co/BE B, Li A. Plant => Use (time x material, 15 t a cell): C for Co, ungraded for Li.
    Use => Waste (time, 10 t): D. Use's stock change (time x material, 10 t a cell): 2021 A
    for Co, C for Li.
    """
    coords = {"time": [2020, 2021], "material": ["Co", "Li"], "region": ["NL", "BE"]}
    s = msa.System("graded", coords=coords)
    s.add_process("Mine", kind="boundary", stage="Extraction")
    s.add_process("Plant", stage="Processing")
    s.add_process("Use", kind="stock", stage="Use")
    s.add_process("Waste", kind="boundary")
    cube = {k: coords[k] for k in ("time", "material", "region")}
    mine = xr.DataArray(np.full((2, 2, 2), 10.0), dims=list(cube), coords=cube)
    mine_grades = xr.DataArray(
        np.array([[["A", "A"], ["A", "D"]], [["A", "B"], ["A", "A"]]], dtype=object),
        dims=list(cube),
        coords=cube,
    )
    s.add_flow("Mine", "Plant", mine, units="t", source_id="", grade=mine_grades)
    plane = {k: coords[k] for k in ("time", "material")}
    plant = xr.DataArray(np.full((2, 2), 15.0), dims=list(plane), coords=plane)
    plant_grades = xr.DataArray(
        np.array([["C", ""], ["C", ""]], dtype=object), dims=list(plane), coords=plane
    )
    s.add_flow("Plant", "Use", plant, units="t", source_id="", grade=plant_grades)
    waste = xr.DataArray([10.0, 10.0], dims="time", coords={"time": coords["time"]})
    s.add_flow("Use", "Waste", waste, units="t", source_id="", grade="D")
    change = xr.DataArray(np.full((2, 2), 10.0), dims=list(plane), coords=plane)
    change_grades = xr.DataArray(
        np.array([["B", "B"], ["A", "C"]], dtype=object), dims=list(plane), coords=plane
    )
    s.add_stock(
        "Use",
        change.cumsum("time"),
        stock_change=change,
        units="t",
        source_id="",
        grade="A",
        change_source_id="",
        change_grade=change_grades,
    )
    return s


@pytest.fixture(scope="module")
def graded() -> msa.System:
    return _graded_system()


def _grades(links: pd.DataFrame, *keys: str) -> dict[tuple[str, ...], str]:
    return {
        tuple(row[k] for k in ("source", "target", *keys)): row["grade"]
        for _, row in links.iterrows()
    }


def test_links_grade_is_the_worst_cell_of_the_year(graded):
    """Each row's grade is the worst of the cells of that year it sums; ungraded is worst."""
    expected = {
        2020: {"Mine => Plant": "D", "Plant => Use": "", "Use => Waste": "D", "Use stock": "B"},
        2021: {"Mine => Plant": "B", "Plant => Use": "", "Use => Waste": "D", "Use stock": "C"},
    }
    for year, want in expected.items():
        links = msa.links_from_system(graded, year)
        got = _grades(links)
        assert got[("Mine", "Plant")] == want["Mine => Plant"]
        assert got[("Plant", "Use")] == want["Plant => Use"]
        assert got[("Use", "Waste")] == want["Use => Waste"]
        assert got[("Use", "Use stock")] == want["Use stock"]


def test_links_grade_by_a_kept_dim_is_the_worst_per_item(graded):
    """With ``by="material"`` each material's row has the worst grade of its own cells."""
    got = _grades(msa.links_from_system(graded, 2021, by="material"), "material")
    assert got[("Mine", "Plant", "Co")] == "B"
    assert got[("Mine", "Plant", "Li")] == "A"
    assert got[("Plant", "Use", "Co")] == "C"
    assert got[("Plant", "Use", "Li")] == ""
    assert got[("Use", "Waste", "all")] == "D"
    assert got[("Use", "Use stock", "Co")] == "A"
    assert got[("Use", "Use stock", "Li")] == "C"


@pytest.mark.parametrize("by", [None, "material", "region"])
def test_vectorised_grades_equal_a_loop_over_cells(by):
    """The vectorised worst grade equals an obvious loop over every cell of the flow."""
    rng = np.random.default_rng(7)
    coords = {"time": [2020, 2021, 2022], "material": list("abcd"), "region": list("xyz")}
    s = msa.System("random", coords=coords)
    s.add_process("A", kind="boundary")
    s.add_process("B", kind="boundary")
    shape = (3, 4, 3)
    cells = rng.choice(np.array([*GRADES, ""], dtype=object), size=shape, p=[0.4] + [0.15] * 4)
    grades = xr.DataArray(cells, dims=list(coords), coords=coords)
    values = xr.DataArray(rng.uniform(1, 2, shape), dims=list(coords), coords=coords)
    s.add_flow("A", "B", values, units="t", source_id="", grade=grades)
    order = [*GRADES, ""]
    for year in coords["time"]:
        links = msa.links_from_system(s, year, by=by)
        for _, row in links.iterrows():
            worst = 0
            for material in coords["material"]:
                for region in coords["region"]:
                    cell = {"material": material, "region": region}
                    if by is not None and cell[by] != row[by]:
                        continue
                    grade = grades.sel(time=year, material=material, region=region).item()
                    worst = max(worst, order.index(grade))
            assert row["grade"] == order[worst], (year, row.get(by))


def test_a_merged_band_takes_the_worst_grade_of_its_rows():
    """Rows drawn as one band (materials of one flow) keep the worst of their grades."""
    links = pd.DataFrame(
        {
            "source": ["A", "A", "B"],
            "target": ["B", "B", "C"],
            "value": [1.0, 2.0, 3.0],
            "units": "t",
            "flow_type": "primary",
            "material": ["Co", "Li", "Co"],
            "grade": ["A", "C", "B"],
        }
    )
    merged = merge_rows(links, by_material=False)
    assert dict(zip(merged["target"], merged["grade"], strict=True)) == {"B": "C", "C": "B"}
    by_material = merge_rows(links, by_material=True)
    assert list(by_material["grade"]) == ["A", "C", "B"]
    links.loc[1, "grade"] = np.nan  # a missing grade is ungraded: worst of all
    merged = merge_rows(links, by_material=False)
    assert merged.loc[merged["target"] == "B", "grade"].item() == ""


def test_an_unknown_grade_in_a_links_table_is_named(graded):
    """A grade outside A-D (and empty) is refused, naming the column and the grade."""
    links = msa.links_from_system(graded, 2021)
    links.loc[0, "grade"] = "E"
    with pytest.raises(ProvenanceError, match=r"column 'grade': unknown data-quality grade"):
        msa.sankey(links, color_by="grade")


def _visible_links(fig) -> list[tuple[str, str]]:
    """(colour, hover) of each visible link of the figure's Sankey trace."""
    link = fig.data[0].link
    return [
        (c, h)
        for c, h in zip(link.color, link.customdata, strict=True)
        if c != "rgba(0,0,0,0)" and h
    ]


def test_link_colours_are_the_grade_colours(graded):
    """Every drawn link has the colour of its worst grade (at the links' opacity)."""
    fig = msa.sankey(msa.links_from_system(graded, 2021), color_by="grade")
    colours = {
        "Mine → Plant": "B",
        "Plant → Use": "",
        "Use → Waste": "D",
        "Use → Stock: Use": "C",
    }
    seen = {}
    for colour, hover in _visible_links(fig):
        ends = hover.split("<br>")[0]
        seen[ends] = colour
        grade = re.search(r"grade: ([A-D])", hover)
        assert colour == rgba(GRADE_COLORS[grade.group(1) if grade else ""], 0.5), hover
    assert seen == {ends: rgba(GRADE_COLORS[g], 0.5) for ends, g in colours.items()}
    assert fig.layout.meta["msa_sankey"]["color_by"] == "grade"


def test_the_legend_names_the_grades(graded, legend_of):
    """The legend is titled by what colour means and names A-D (and ungraded when drawn)."""
    fig = msa.sankey(msa.links_from_system(graded, 2021), color_by="grade")
    (title, first), (_, stages) = legend_of(fig).items()
    assert [name for name, _ in first] == [*_LEGEND_EN, "ungraded"]
    assert [c for _, c in first] == [GRADE_COLORS[g] for g in (*GRADES, "")]
    assert title == f"{_TITLE_EN}:"
    assert "Use" in [name for name, _ in stages]  # node stages
    # every grade is named even where no link has it; "ungraded" only when a link is
    example = msa.sankey(msa.links_from_system(msa.load_example(), 2021), color_by="grade")
    assert [name for name, _ in next(iter(legend_of(example).values()))] == _LEGEND_EN
    dutch = msa.sankey(msa.links_from_system(graded, 2021, lang="nl"), lang="nl", color_by="grade")
    (title, first), _ = legend_of(dutch).items()
    assert title.startswith("Datakwaliteit (slechtste klasse")
    assert "D aanname" in [name for name, _ in first]


def test_a_series_is_coloured_by_grade(graded):
    """``sankey_series(system, color_by="grade")`` colours every year by that year's grades."""
    figs = msa.sankey_series(graded, color_by="grade")
    for year, want in ((2020, "D"), (2021, "B")):
        hovers = dict((h.split("<br>")[0], c) for c, h in _visible_links(figs[year]))
        assert hovers["Mine → Plant"] == rgba(GRADE_COLORS[want], 0.5)


def test_view_links_refuse_grade_colour_in_one_line():
    """A view's links carry no provenance: one ConfigError line naming the tables that do."""
    example = msa.load_example()
    view = msa.icer_national(example, year=2021)
    with pytest.raises(ConfigError) as err:
        msa.sankey(view.links, nodes=view.nodes, color_by="grade")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("color_by='grade' needs a 'grade' column in the links table")
    assert "msa.links_from_system" in message and "view" in message
    with pytest.raises(ConfigError, match="needs a 'grade' column"):
        msa.sankey_series({2021: view.links}, color_by="grade")


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_svg_carries_the_gradelegend_of(graded, tmp_path):
    """The exported SVG holds the legend's title and every grade's name as text."""
    fig = msa.sankey(msa.links_from_system(graded, 2021), color_by="grade")
    [path] = msa.write_figure(fig, tmp_path / "graded", "svg")
    svg = path.read_text(encoding="utf-8")
    assert _TITLE_EN in svg
    for name in [*_LEGEND_EN, "ungraded"]:
        assert f">{name}<" in svg, name


# ----------------------------------------------------------------------------- the CLI
def _sankey(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sankey", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _graded_tiny(tiny_model) -> Path:
    """Return the tiny declared model with the import graded B: its flows rest on D, B, D."""
    folder = tiny_model()
    toml = folder / "model.toml"
    text = toml.read_text(encoding="utf-8")
    old = 'imported = { value = 1.0, units = "t", source_id = "s1", grade = "D"'
    assert old in text
    toml.write_text(text.replace(old, old.replace('"D"', '"B"')), encoding="utf-8")
    return folder


def _assert_graded_html(html: str) -> None:
    assert _TITLE_EN in html
    assert rgba(GRADE_COLORS["B"], 0.5) in html and rgba(GRADE_COLORS["D"], 0.5) in html


def test_cli_colours_a_model_folder_by_grade(tiny_model, tmp_path, capsys):
    """``msa sankey MODEL --color-by grade`` draws the worst grades; a view is one error line."""
    model = _graded_tiny(tiny_model)
    out = tmp_path / "figs"
    args = ["--year", "2021", "--format", "html", "--out", str(out), "--color-by", "grade"]
    code, _, stderr = _sankey(capsys, str(model), *args)
    assert code == 0, stderr
    _assert_graded_html((out / "sankey_jrc_2021.html").read_text(encoding="utf-8"))
    code, _, stderr = _sankey(capsys, str(model), *args, "--view", "icer")
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "color_by='grade' needs a 'grade' column" in stderr
    assert not (out / "sankey_icer_2021.html").exists()


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_cli_colours_a_run_output_by_grade(tiny_model, tmp_path, capsys):
    """A run output keeps the grades (system.nc): ``msa sankey RUN --color-by grade`` draws them."""
    model = _graded_tiny(tiny_model)
    run = tmp_path / "run"  # one scenario: the run's files are written into --out itself
    assert main(["run", str(model), "--out", str(run), "-s", "baseline", "-q"]) == 0
    assert (run / "manifest.json").is_file()
    capsys.readouterr()
    out = tmp_path / "figs"
    code, _, stderr = _sankey(
        capsys,
        str(run),
        *("--year", "2021", "--format", "html,svg", "--out", str(out), "--color-by", "grade"),
    )
    assert code == 0, stderr
    _assert_graded_html((out / "sankey_jrc_2021.html").read_text(encoding="utf-8"))
    assert _TITLE_EN in (out / "sankey_jrc_2021.svg").read_text(encoding="utf-8")
