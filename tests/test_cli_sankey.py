"""Tests of ``msa sankey``: files written, and one clear error line for each bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr

import msa
from msa.cli import main
from msa.figures.labels import format_value


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sankey", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _system_file(tmp_path: Path, values: list[float], *, signed: bool = False) -> Path:
    """Write a two-year System with one flow A => B (values per year) to NetCDF."""
    coords = {"time": [2020, 2021]}
    s = msa.System("tiny", coords=coords)
    s.add_process("A", kind="boundary")
    s.add_process("B", kind="boundary")
    flow = xr.DataArray(values, dims="time", coords=coords)
    s.add_flow("A", "B", flow, units="t", signed=signed, source_id="", grade="D")
    path = tmp_path / "tiny.nc"
    s.to_netcdf(str(path))
    return path


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_writes_all_four_formats(example_tables, tmp_path, capsys):
    """The example gives HTML, PNG, SVG and PDF; a second run needs --force."""
    out = tmp_path / "figs"
    code, stdout, stderr = _run(capsys, str(example_tables), "--year", "2021", "--out", str(out))
    assert code == 0, stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"sankey_jrc_2021.{f}" for f in ("html", "pdf", "png", "svg")]
    assert "4 file(s) in" in stdout
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, _, stderr = _run(capsys, str(example_tables), "--year", "2021", "--out", str(out))
    assert code == 2
    assert stderr.startswith("msa: error: ") and "--force" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert before == {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, _, _ = _run(
        capsys,
        str(example_tables),
        "--year",
        "2021",
        "--out",
        str(out),
        "--force",
        "--format",
        "svg",
    )
    assert code == 0
    assert out.joinpath("sankey_jrc_2021.svg").stat().st_mtime_ns > before["sankey_jrc_2021.svg"]


def test_views_html_in_dutch_at_fixed_scale(example_tables, tmp_path, capsys):
    """--view icer/pga with --lang nl, --color-by and --scale write the HTML."""
    for view in ("icer", "pga"):
        code, stdout, stderr = _run(
            capsys,
            str(example_tables),
            "--year",
            "2020",
            "--view",
            view,
            "--lang",
            "nl",
            "--color-by",
            "material",
            "--scale",
            "0.5",
            "--format",
            "html",
            "--out",
            str(tmp_path),
        )
        assert code == 0, stderr
        html = (tmp_path / f"sankey_{view}_2020.html").read_text(encoding="utf-8")
        assert "Afval" in html
        assert "scale 0.5 t per px" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--view", "abc"], r"unknown view 'abc'; use jrc, icer or pga"),
        (["--year", "1999"], r"year 1999 is outside the data \(2019-2023\)"),
        (["--format", "html,gif"], r"unknown figure format\(s\) \['gif'\]"),
        (["--lang", "fr"], r"lang must be 'en' or 'nl'"),
        (
            ["--color-by", "rainbow"],
            r"color_by must be 'stage', 'material', 'flow_type' or 'grade'",
        ),
        (["--scale", "-1"], r"scale must be a positive number"),
    ],
)
def test_bad_options_one_line(example_tables, tmp_path, capsys, args, message):
    """Each bad option gives one error line, exit code 2 and no files."""
    import re

    base = {"--year": "2021", "--format": "html", "--out": str(tmp_path / "out")}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    flat = [item for pair in base.items() for item in pair]
    code, _, stderr = _run(capsys, str(example_tables), *flat)
    assert code == 2
    assert re.search(message, stderr), stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_empty_selection(tmp_path, capsys):
    """A year whose flows are all zero is an empty selection, not an empty figure."""
    path = _system_file(tmp_path, [3.0, 0.0])
    code, _, stderr = _run(capsys, str(path), "--year", "2021", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "view 'jrc' has no flows in 2021; nothing to draw" in stderr


def test_negative_values(tmp_path, capsys):
    """A negative (signed) flow is refused with the flow named."""
    path = _system_file(tmp_path, [3.0, -1.0], signed=True)
    code, _, stderr = _run(
        capsys, str(path), "--year", "2021", "--format", "html", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert "(A => B) has a negative value -1.0" in stderr
    assert not (tmp_path / "o").exists()


def test_missing_path(tmp_path, capsys):
    """A path that does not exist is one error line."""
    code, _, stderr = _run(capsys, str(tmp_path / "nope"), "--year", "2021", "--out", "x")
    assert code == 2 and "no such file or folder" in stderr


def test_nan_value_in_an_msa_table(tmp_path, capsys):
    """A NaN in an MSA table is one error line naming file, row, column and code; no output."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree(Path(__file__).resolve().parents[1] / "models" / "msa_example", model)
    table = model / "msa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("Li,EU,2021,E.1.6,"))
    lines[row] = "Li,EU,2021,E.1.6,nan,t,illustrative,D"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "o"
    code, _, stderr = _run(
        capsys, str(model), "--year", "2021", "--format", "html", "--out", str(out)
    )
    assert code == 2
    assert f"row {row + 1}, column 'value' (code 'E.1.6'): value 'nan' is not a number" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("view", "dutch", "english"),
    [
        ("pga", "Afwijking van de afgesproken toewijzing: Bijlage 4 zet", "Deviation from"),
        ("icer", "is de netto toename van de voorraad", "is the net addition to stock"),
    ],
)
def test_dutch_figures_have_dutch_footnotes(tmp_path, capsys, view, dutch, english):
    """--lang nl prints the view's deviation and figure notes in Dutch, --lang en in English."""
    model = Path(__file__).resolve().parents[1] / "models" / "msa_example"
    for lang, present, absent in (("nl", dutch, english), ("en", english, dutch)):
        out = tmp_path / lang
        args = ["--view", view, "--year", "2021", "--lang", lang, "--format", "html"]
        code, _, stderr = _run(capsys, str(model), *args, "--out", str(out))
        assert code == 0, stderr
        html = (out / f"sankey_{view}_2021.html").read_text(encoding="utf-8")
        assert present in html and absent not in html


def test_link_labels_range_from_a_monte_carlo_run_folder(tmp_path, capsys):
    """--link-labels range reads the run folder's uncertainty.csv; without one, one line."""
    from msa.model.montecarlo import monte_carlo

    model = msa.new_model(tmp_path / "m")
    d = msa.load_definition(model)
    run = tmp_path / "run"
    run.mkdir()
    msa.build_model(d).system.to_netcdf(run / "system.nc")
    code, _, stderr = _run(
        capsys, str(run / "system.nc"), "--year", "2021", "--out", str(tmp_path / "f"),
        "--link-labels", "range", "--format", "html",
    )  # fmt: skip
    assert code == 2 and "uncertainty.csv" in stderr and len(stderr.strip().splitlines()) == 1
    monte_carlo(d, samples=6, seed=1).table.to_csv(run / "uncertainty.csv", index=False)
    code, stdout, stderr = _run(
        capsys, str(run / "system.nc"), "--year", "2021", "--out", str(tmp_path / "f"),
        "--link-labels", "range", "--format", "html",
    )  # fmt: skip
    assert code == 0, stderr
    page = (tmp_path / "f" / "sankey_jrc_2021.html").read_text("utf-8")
    assert "median (5th" in page and ("\u2013" in page or "\\u2013" in page)
    code, _, stderr = _run(
        capsys, str(run / "system.nc"), "--year", "2021", "--out", str(tmp_path / "g"),
        "--link-labels", "ranges",
    )  # fmt: skip
    assert code == 2 and "--link-labels must be none, value or range" in stderr


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_system_of_headline_codes_draws_the_jrc_view_of_its_codes(tmp_path, capsys, lang):
    """The national model's System holds headline codes, no chain: the JRC view of the codes.

    Its stage totals without a link out of their node (domestic extraction, DMC) are named in
    the note, not lost, and the outside of the view is named in the figure's language.
    """
    from pathlib import Path as _Path

    model = _Path(__file__).resolve().parents[1] / "models" / "nl_national"
    out = tmp_path / "f"
    code, _, stderr = _run(
        capsys, str(model), "--view", "jrc", "--year", "2022", "--out", str(out),
        "--format", "html", "--lang", lang,
    )  # fmt: skip
    assert code == 0, stderr
    page = (out / "sankey_jrc_2022.html").read_text("utf-8")
    held = {
        "en": ("Extraction 88 Mt", "Manufacture 182 Mt"),
        "nl": ("Winning 88 Mt", "Fabricage 182 Mt"),
    }
    assert all(h in page for h in held[lang]), held[lang]
    outside = {
        "en": ("Not in this view", "Buiten deze weergave"),
        "nl": ("Buiten deze weergave", "Not in this view"),
    }
    assert outside[lang][0] in page and outside[lang][1] not in page


def _meta_in(html: str) -> tuple[float, int, float, str]:
    """Return units_per_px, height, scale-bar px and label recorded in a written HTML figure."""
    import re

    scale = float(re.search(r'"units_per_px":\s*([0-9.eE+-]+)', html).group(1))
    height = int(re.search(r'"height":\s*(\d+)', html[html.index('"layout"') :]).group(1))
    bar = re.search(r'"scale_bar":\s*\{[^}]*?"label":\s*"([^"]+)",\s*"px":\s*([0-9.eE+-]+)', html)
    return scale, height, float(bar.group(2)), bar.group(1)


@pytest.mark.parametrize("view", ["jrc", "pga"])
def test_years_share_one_scale_height_and_bar(example_tables, tmp_path, capsys, view):
    """--years draws every year at one units_per_px and one height, with equal scale bars."""
    out = tmp_path / "o"
    code, stdout, stderr = _run(
        capsys, str(example_tables), "--years", "2019,2021,2023", "--view", view,
        "--format", "html", "--out", str(out),
    )  # fmt: skip
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == [
        f"sankey_{view}_{y}.html" for y in (2019, 2021, 2023)
    ]
    metas = {
        y: _meta_in((out / f"sankey_{view}_{y}.html").read_text("utf-8"))
        for y in (2019, 2021, 2023)
    }
    assert len(set(metas.values())) == 1, metas
    scale = metas[2019][0]
    shown = format_value(scale, "t", digits=4)  # grouped thousands, never 2.889e+06
    assert f"common scale for 2019, 2021, 2023: {shown} per px" in stdout
    html = (out / f"sankey_{view}_2023.html").read_text("utf-8")
    assert "the same in every figure of this series (2019, 2021, 2023)" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--years", "2019,2031"], r"year 2031 is outside the data \(2019-2023\)"),
        (["--years", "2019", "--year", "2020"], r"exactly one of --year Y .* got both"),
        ([], r"exactly one of --year Y .* got neither"),
        (["--years", "2019,twenty"], r"--years must be comma-separated years"),
        (["--years", "2019,2019"], r"--years must name each year once"),
    ],
)
def test_bad_years_one_line(example_tables, tmp_path, capsys, args, message):
    """A year outside the data, both or neither of --year/--years: one line, no files."""
    import re

    out = tmp_path / "out"
    code, _, stderr = _run(
        capsys, str(example_tables), *args, "--format", "html", "--out", str(out)
    )
    assert code == 2
    assert re.search(message, stderr), stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_years_refuse_before_writing_when_a_later_year_exists(example_tables, tmp_path, capsys):
    """--years: an existing file of any year stops the call before any file is written."""
    out = tmp_path / "figs"
    out.mkdir()
    (out / "sankey_jrc_2023.html").write_text("mine", encoding="utf-8")
    code, _, stderr = _run(
        capsys, str(example_tables), "--years", "2019,2023", "--out", str(out), "--format", "html"
    )
    assert code == 2 and "sankey_jrc_2023.html exists" in stderr and "--force" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["sankey_jrc_2023.html"]
    assert (out / "sankey_jrc_2023.html").read_text(encoding="utf-8") == "mine"


def test_a_view_of_a_declared_model_uses_its_process_nodes(tmp_path, capsys):
    """The PV model places its processes in PGA nodes (no JRC codes): msa sankey draws it."""
    from pathlib import Path as _Path

    model = _Path(__file__).resolve().parents[1] / "models" / "pv_panels_nl"
    out = tmp_path / "f"
    code, _, stderr = _run(
        capsys, str(model), "--view", "pga", "--year", "2040", "--out", str(out), "--format", "html"
    )
    assert code == 0, stderr
    page = (out / "sankey_pga_2040.html").read_text("utf-8")
    assert "Raw material use" in page and "Waste" in page


# ----------------------------------------------------------------------------- print, runs
def _meta_numbers(html: Path, key: str) -> list[float]:
    """Return the numbers recorded under ``key`` in a written HTML figure's layout JSON."""
    import re

    text = html.read_text(encoding="utf-8")
    return [float(v) for v in re.findall(rf'"{key}":\s*([-\d.e+]+)', text)]


def _scenario_runs(tmp_path: Path) -> Path:
    """Write a folder of two scenario runs (manifest.json and system.nc each), as msa run does."""
    import json

    folder = tmp_path / "runs"
    for name, values in (("baseline", [5.0, 10.0]), ("high", [5.0, 40.0])):
        run = folder / name
        run.mkdir(parents=True)
        _system_file(run, values).rename(run / "system.nc")
        (run / "manifest.json").write_text(json.dumps({"scenario": name}), "utf-8")
    return folder


def test_scenarios_share_one_scale_and_height(tmp_path, capsys):
    """--scenarios draws each scenario's year at one scale and height, one file each."""
    runs, out = _scenario_runs(tmp_path), tmp_path / "figs"
    args = [str(runs), "--scenarios", "baseline,high", "--year", "2021", "--format", "html"]
    code, stdout, stderr = _run(capsys, *args, "--out", str(out))
    assert code == 0, stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["sankey_jrc_2021_baseline.html", "sankey_jrc_2021_high.html"]
    assert "common scale for 2021_baseline, 2021_high" in stdout
    scales = {f: _meta_numbers(out / f, "units_per_px")[0] for f in files}
    heights = {f: _meta_numbers(out / f, "height")[0] for f in files}
    assert len(set(scales.values())) == 1 and len(set(heights.values())) == 1
    code, _, stderr = _run(capsys, *args, "--out", str(out), "--force", "--years", "2020,2021")
    assert code == 2 and "exactly one of --year" in stderr
    code, _, stderr = _run(capsys, *args, "--out", str(out), "--force", "--scenario", "high")
    assert code == 2 and "--scenarios S1,S2,... draws one --year" in stderr


def test_a_run_keeps_its_process_view_nodes(tmp_path, capsys):
    """A System with attrs['process_views'] (kept in system.nc) draws in that view."""
    path = _system_file(tmp_path, [5.0, 10.0])
    out = tmp_path / "figs"
    args = [str(path), "--year", "2021", "--view", "pga", "--format", "html", "--out", str(out)]
    code, _, stderr = _run(capsys, *args)
    assert code == 2  # no JRC codes and no placements: refused in one line
    system = msa.read_system(path)
    system.attrs["process_views"] = {"pga": {"A": "Import", "B": "Grondstoffengebruik"}}
    placed = tmp_path / "placed.nc"
    system.to_netcdf(str(placed))
    code, _, stderr = _run(capsys, *[str(placed), *args[1:]])
    assert code == 0, stderr
    text = (out / "sankey_pga_2021.html").read_text(encoding="utf-8")
    assert "Imports" in text and "Raw material use" in text


def test_title_subtitle_source_and_preset(tmp_path, capsys):
    """--title, --subtitle, --source and --preset reach the figure; the title has no id."""
    path = _system_file(tmp_path, [5.0, 10.0])
    system = msa.read_system(path)
    system.attrs.update(title="A tiny model", mass_basis="element mass")
    system.to_netcdf(str(path), overwrite=True)
    out = tmp_path / "figs"
    base = [str(path), "--year", "2021", "--format", "html", "--out", str(out), "--force"]
    code, _, stderr = _run(capsys, *base, "--preset", "a4-portrait", "--source", "Bron: CBS")
    assert code == 0, stderr
    text = (out / "sankey_jrc_2021.html").read_text(encoding="utf-8")
    assert "A tiny model: JRC MSA chain, 2021" in text and "tiny:" not in text
    assert "t of element mass" in text and "Bron: CBS" in text
    assert _meta_numbers(out / "sankey_jrc_2021.html", "width_cm") == [16.0]
    code, _, stderr = _run(capsys, *base, "--title", "Mine", "--subtitle", "Sub")
    assert code == 0, stderr
    text = (out / "sankey_jrc_2021.html").read_text(encoding="utf-8")
    assert '"text":"Mine"' in text.replace(" ", "") and '"Sub"' in text
    code, _, stderr = _run(capsys, *base, "--preset", "a4-portrait", "--width", "640")
    assert code == 2 and "fixes the width" in stderr


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_a_preset_png_says_300_dpi(tmp_path, capsys):
    """--preset a4-portrait writes a 16 cm PNG at 300 dpi (pHYs), 1890 px wide."""
    import struct

    from msa.figures.export import png_dpi

    path = _system_file(tmp_path, [5.0, 10.0])
    out = tmp_path / "figs"
    args = [str(path), "--year", "2021", "--format", "png", "--out", str(out)]
    code, _, stderr = _run(capsys, *args, "--preset", "a4-portrait")
    assert code == 0, stderr
    data = (out / "sankey_jrc_2021.png").read_bytes()
    assert png_dpi(data) == 300.0
    assert struct.unpack(">I", data[16:20])[0] == 1890  # 16 cm at 300 dpi


def test_mass_basis_and_view_placements_reach_a_run(tmp_path, capsys):
    """[model] mass_basis and the Dutch words reach the subtitles; placements survive in .nc."""
    from msa.model.build import build_model
    from msa.model.definition import load_definition

    model = Path(__file__).resolve().parents[1] / "models" / "pv_panels_nl"
    system = build_model(load_definition(model)).system
    assert system.attrs["mass_basis"] == "material content of the panels"
    assert system.attrs["process_views"]["pga"]["Recycling"] == "Recycling"
    nc = tmp_path / "system.nc"
    system.to_netcdf(str(nc))
    out = tmp_path / "figs"
    args = [str(nc), "--year", "2030", "--view", "pga", "--format", "html", "--out", str(out)]
    code, _, stderr = _run(capsys, *args)
    assert code == 0, stderr
    html = (out / "sankey_pga_2030.html").read_text(encoding="utf-8")
    assert "t of material content of the panels" in html
    assert "Solar PV panels in the Netherlands: PGA view" in html
    code, _, stderr = _run(capsys, *args, "--lang", "nl", "--force")
    assert code == 0, stderr
    html = (out / "sankey_pga_2030.html").read_text(encoding="utf-8")
    assert "t materiaalinhoud van de panelen" in html and "Zonnepanelen in Nederland" in html
    assert "Solar PV" not in html and "material content" not in html  # no English title or basis


def test_a_figure_taller_than_its_page_is_named(tmp_path, capsys):
    """The example's PGA view on a slide outgrows the 14.3 cm slide: a note on stderr says so.

    At A4 portrait it fits the page, and nothing is said.
    """
    model = Path(__file__).resolve().parents[1] / "models" / "msa_example"
    common = [str(model), "--view", "pga", "--year", "2021", "--format", "html"]
    code, out, err = _run(capsys, *common, "--preset", "slide", "--out", str(tmp_path / "s"))
    assert code == 0, err
    [note] = [line for line in err.splitlines() if line.startswith("msa: note:")]
    assert "sankey_pga_2021 is " in note and "taller than its page (14.3 cm)" in note
    assert (tmp_path / "s" / "sankey_pga_2021.html").is_file()
    code, out, err = _run(capsys, *common, "--preset", "a4-portrait", "--out", str(tmp_path / "p"))
    assert code == 0, err
    assert "taller than its page" not in err
