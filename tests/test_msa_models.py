"""MSA-table models: ``model.toml`` with ``[msa]`` instead of processes and flows.

models/msa_example and models/nl_national are run as ``msa run`` runs every model (outputs,
view Sankeys, the JRC indicators, each stage's imbalance); bad ``[msa]`` declarations are one
line each; :func:`msa.read_msa_model` reads the same folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import msa
from msa.cli import main
from msa.model.outputs import model_result

pytestmark = pytest.mark.xdist_group("msa_models")

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
MT = 1e6  # tonnes per Mt
HALF = 0.5 * MT  # rounding of one published whole-Mt figure
#: Each model, its Sankey years and the views it draws.
EXPECTED = {
    "msa_example": ((2020, 2022), ("jrc", "icer_national", "pga")),
    "nl_national": ((2022,), ("icer_national", "jrc", "pga")),
}


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_error_line(err: str) -> str:
    """Return the one error line of ``err``; fail if there is more, or no such line."""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("msa: error: "), err
    return lines[0].removeprefix("msa: error: ")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run both bundled MSA-table models with `msa run` (once for the module)."""
    out = tmp_path_factory.mktemp("runs")
    folders = {}
    for name in EXPECTED:
        folder = out / name
        assert main(["run", str(MODELS / name), "--out", str(folder), "-q"]) == 0
        folders[name] = folder
    return folders


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """Return a copy of models/msa_example to edit."""
    return Path(shutil.copytree(MODELS / "msa_example", tmp_path / "example"))


def _edit(model: Path, old: str, new: str) -> None:
    toml = model / "model.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    toml.write_text(text.replace(old, new), encoding="utf-8")


def _append(model: Path, text: str) -> None:
    toml = model / "model.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


# ----------------------------------------------------------------------------- runs
@pytest.mark.parametrize("name", EXPECTED)
def test_run_writes_every_output(runs, name):
    """`msa run` writes the System, tables, headline, quality, report, manifest, view Sankeys."""
    folder = runs[name]
    years, views = EXPECTED[name]
    for file in ("system.nc", "headline.csv", "quality.csv", "indicators.csv", "report.md"):
        assert (folder / file).is_file(), file
    assert (folder / "report.html").is_file() and (folder / "manifest.json").is_file()
    tables = {p.stem for p in (folder / "tables").glob("*.csv")}
    standard = {"flows", "stocks", "indicator_series", "indicators_jrc", "stage_imbalance"}
    assert standard | {"msa_skipped"} <= tables
    assert {f"{v}_links" for v in views} | {f"{v}_out_of_scope" for v in views} <= tables
    for view in views:
        for year in years:
            for ext in ("html", "png", "svg"):
                assert (folder / "figures" / f"sankey_{view}_{year}.{ext}").is_file()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == name and manifest["scenario"] == "baseline"
    assert {"model.toml", "sources.csv"} <= set(manifest["inputs"])
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "tables/stage_imbalance.csv" in report and "not forced to balance" in report


def test_a_run_says_which_sankeys_outgrow_their_page(runs):
    """The example's JRC chain is taller than the A4 text height; its report says so, once each.

    Its ICER and PGA views fit the 16 cm column's page and are not named.
    """
    report = (runs["msa_example"] / "report.md").read_text(encoding="utf-8")
    for year in (2020, 2022):
        line = next(x for x in report.splitlines() if f"sankey_jrc_{year} is " in x)
        tall = float(line.split(f"sankey_jrc_{year} is ")[1].split(" cm")[0])
        assert tall > 24.7 and "taller than its page (24.7 cm)" in line
    assert not any("pga" in x and "taller than" in x for x in report.splitlines())
    assert not any("icer" in x and "taller than" in x for x in report.splitlines())


@pytest.mark.parametrize("name", EXPECTED)
def test_run_system_is_the_read_msa_model_system(runs, name):
    """system.nc holds the System read_msa_model builds from the same folder."""
    written = msa.read_system(runs[name] / "system.nc")
    read = msa.read_msa_model(MODELS / name).system
    assert written.name == read.name == name
    assert set(written.flows) == set(read.flows) and set(written.stocks) == set(read.stocks)
    for flow, value in read.flows.items():
        np.testing.assert_allclose(written.flows[flow].values, value.values)
    assert set(written.parameters) == set(read.parameters)


def test_nl_national_dmi_and_dmc(runs):
    """DMI (370 Mt) and DMC (182 Mt) in the run's tables reproduce the published figures."""
    published = pd.read_csv(MODELS / "nl_national" / "data" / "nl_national_headlines.csv")
    at = published[(published["material"] == "all materials") & (published["year"] == 2022)]
    value = at.set_index("variable_code")["value"] * MT
    jrc = pd.read_csv(runs["nl_national"] / "tables" / "indicators_jrc.csv")
    jrc = jrc[jrc["year"] == 2022].set_index("indicator")["value"]
    assert jrc["DMI"] == 370 * MT and abs(jrc["DMI"] - value["NL.DMI"]) <= 4 * HALF
    assert jrc["DMC"] == 182 * MT and abs(jrc["DMC"] - value["NL.DMC"]) <= 5 * HALF
    assert jrc["domestic extraction"] == value["NL.DE"]
    headline = pd.read_csv(runs["nl_national"] / "headline.csv", index_col="label")
    assert headline.at["DMI 2022", "value"] == 370 * MT
    assert headline.at["DMC 2022", "value"] == 182 * MT
    # what the headline figures cannot give is reported with the codes it needs
    eol = pd.read_csv(runs["nl_national"] / "tables" / "indicators_jrc.csv").set_index("indicator")
    assert np.isnan(eol.at["EoL-RIR", "value"]) and "G.1.1" in eol.at["EoL-RIR", "note"]


def test_nl_national_quality_is_the_table_grades(runs):
    """quality.csv grades the six msa.csv rows: all A (CBS/PBL published figures)."""
    quality = pd.read_csv(runs["nl_national"] / "quality.csv", index_col="inputs")
    assert quality.at["table msa.csv", "n"] == 6
    assert quality.at["table msa.csv", "A"] == 1.0


def test_example_closes_every_stage(runs):
    """The illustrative dataset closes every stage in every year; the notes say so."""
    imbalance = pd.read_csv(runs["msa_example"] / "tables" / "stage_imbalance.csv")
    assert len(imbalance) == 11 * 3
    assert (imbalance["residual"].abs() <= 1e-9 * imbalance["throughput"]).all()
    assert "every stage closes" in (runs["msa_example"] / "report.md").read_text("utf-8")
    skipped = pd.read_csv(runs["msa_example"] / "tables" / "msa_skipped.csv")
    assert skipped.empty
    msa.check_balance(msa.read_system(runs["msa_example"] / "system.nc"), rtol=1e-9)


def test_example_provenance_is_per_row(runs):
    """Every flow of the example carries the table's source id and grade (illustrative, D)."""
    flows = pd.read_csv(runs["msa_example"] / "tables" / "flows.csv", keep_default_na=False)
    assert len(flows) > 0
    assert set(flows["grade"]) == {"D"} and set(flows["source_id"]) == {"illustrative"}


def test_a_stage_that_does_not_close_is_reported_not_refused(example, tmp_path, capsys):
    """Rounded data that leave a stage open: the run succeeds and reports the residual."""
    table = example / "msa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("Li,EU,2021,E.1.6,"))
    cells = lines[row].split(",")
    cells[4] = str(float(cells[4]) + 7)
    lines[row] = ",".join(cells)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    built = msa.build_model(msa.load_definition(example))
    assert built.msa is not None
    worst = built.msa.imbalance.loc[built.msa.imbalance["residual"].abs().idxmax()]
    assert int(worst["year"]) == 2021 and abs(float(worst["residual"])) == pytest.approx(7.0)
    result = model_result(built, figures=False)
    assert any("the largest is" in note and "2021" in note for note in result.notes)


# ----------------------------------------------------------------------------- refused
def test_msa_and_flows_together_are_refused(example, tmp_path, capsys):
    """A model.toml with [msa] and [flows] is one line naming both; nothing is written."""
    _append(example, '[flows."Use => Collection"]\nvalue = "x"\n')
    out = tmp_path / "o"
    code, _, err = _cli(capsys, "run", str(example), "--out", str(out))
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith(f"{example / 'model.toml'}: [msa] and [flows] are both given; ")
    assert "give [msa] or [processes] and [flows], not both" in line
    assert not out.exists()


def test_missing_msa_table_names_the_file(example, tmp_path, capsys):
    """[msa] table naming a file that is not there: one line naming it."""
    (example / "msa.csv").rename(example / "renamed.csv")
    code, _, err = _cli(capsys, "run", str(example), "--out", str(tmp_path / "o"))
    assert code == 2
    assert _one_error_line(err) == (
        f"{example / 'model.toml'}: [msa] table: 'msa.csv' not found in {example}"
    )
    code, _, err = _cli(capsys, "check", str(example))
    assert code == 2 and "[msa] table: 'msa.csv' not found" in _one_error_line(err)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('kind = "x"\n', None),
            "top level: unknown key 'kind'",
        ),
        (
            (None, '[parameters]\nx = { value = 1, source_id = "illustrative", grade = "D" }\n'),
            "[parameters]: an MSA-table model ([msa]) takes every value from its table; remove "
            "[parameters]",
        ),
        (
            (None, '[stocks.Use]\noutflow = "Use => Collection"\n'),
            "[msa] and [stocks] are both given; ",
        ),
        (
            ('missing = "report"', 'missing = "guess"'),
            "[msa] missing: Input should be 'report' or 'zero' (got 'guess')",
        ),
        (
            ("[msa]\n", "[dims]\ntime = { start = 2019, end = 2022 }\n\n[msa]\n"),
            "[dims] time: [2019, 2020, 2021, 2022] differ from the labels of msa.csv "
            "([2020, 2021, 2022]); give the table's labels, or leave [dims] out",
        ),
        (
            ("sankey_years = [2020, 2022]", "sankey_years = [2020, 2030]"),
            "[outputs] sankey_years: 2030 is outside 2020-2022",
        ),
        (
            ("[outputs]\n", '[outputs]\nheadline = ["Use => Nowhere"]\n'),
            "[outputs] headline: 'Use => Nowhere' is neither a flow of the JRC MSA template nor "
            "'stock <process>' of one of its stocks",
        ),
    ],
)
def test_bad_msa_declarations_are_one_line(example, edit, message):
    """Each bad edit of the example's model.toml is one ConfigError naming file and key."""
    old, new = edit
    if old is not None and new is None:  # prepend a top-level key
        toml = example / "model.toml"
        toml.write_text(old + toml.read_text(encoding="utf-8"), encoding="utf-8")
    elif old is None:
        _append(example, new)
    else:
        _edit(example, old, new)
    with pytest.raises(msa.ConfigError) as err:
        msa.load_definition(example)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"{example / 'model.toml'}: {message}")


def test_old_kind_msa_format_says_how_to_convert(example, capsys):
    """The old `kind = "msa"` model.toml is refused by every reader with the new sections."""
    (example / "model.toml").write_text(
        'kind = "msa"\nname = "old"\ndescription = "d"\nmissing = "report"\n', encoding="utf-8"
    )
    hint = 'top level: kind = "msa" is the old MSA-table format; write [model]'
    with pytest.raises(msa.ConfigError, match=hint.replace("[", r"\[")):
        msa.load_definition(example)
    with pytest.raises(msa.ConfigError, match=hint.replace("[", r"\[")):
        msa.read_msa_model(example)
    code, _, err = _cli(capsys, "views", str(example), "--year", "2021")
    assert code == 2 and hint in _one_error_line(err)


def test_a_row_without_a_grade_is_refused(example):
    """Every value of an MSA-table model needs a grade (and a known source id)."""
    table = example / "msa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].removesuffix(",D") + ","
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(msa.ProvenanceError, match=r"msa\.csv: row 4, column 'grade': empty"):
        msa.build_model(msa.load_definition(example))


def test_headline_of_a_flow_the_table_cannot_build(tmp_path):
    """A headline flow whose codes nl_national lacks: one DataError naming the codes."""
    model = Path(shutil.copytree(MODELS / "nl_national", tmp_path / "nl"))
    _edit(model, "[outputs]\n", '[outputs]\nheadline = ["Collection => Recycling"]\n')
    built = msa.build_model(msa.load_definition(model))
    with pytest.raises(msa.DataError) as err:
        model_result(built, figures=False)
    assert str(err.value) == (
        f"{model / 'model.toml'}: [outputs]: 'Collection => Recycling' is not built: msa.csv "
        "does not give the JRC code(s) it needs (F.1.4)"
    )


def test_labelled_headline_from_the_jrc_indicators(tmp_path):
    """A labelled headline number may take a JRC indicator from tables/indicators_jrc."""
    model = Path(shutil.copytree(MODELS / "nl_national", tmp_path / "nl"))
    _edit(
        model,
        "[outputs]\n",
        '[outputs]\nheadline = [{ label = "DMC", table = "indicators_jrc", column = "value", '
        'year = 2022, where = { indicator = "DMC" }, units = "t" }]\n',
    )
    built = msa.build_model(msa.load_definition(model))
    result = model_result(built, figures=False)
    assert result.headline.at["DMC", "value"] == 182 * MT


def test_read_msa_model_reads_the_new_format(example):
    """read_msa_model takes name, table, sources and missing from [model] and [msa]."""
    (example / "msa.csv").rename(example / "chain.csv")
    (example / "sources.csv").rename(example / "refs.csv")
    _edit(example, 'table = "msa.csv"', 'table = "chain.csv"')
    _edit(example, 'sources = "sources.csv"', 'sources = "refs.csv"')
    _edit(example, 'name = "msa_example"', 'name = "renamed"')
    built = msa.read_msa_model(example)
    assert built.system.name == "renamed" and not built.missing
    assert msa.build_model(msa.load_definition(example)).system.name == "renamed"


@pytest.mark.parametrize(
    "text",
    [
        '[model]\nname = "e"\ntitle = "E"\nsources = "sources.csv"\n',
        "",
        "[dims]\nregion = ['NL']\n",
    ],
    ids=["model only", "empty", "no model"],
)
def test_neither_flows_nor_msa_is_one_line(tmp_path, text):
    """A model.toml with neither processes and flows nor [msa] says what to give."""
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "model.toml").write_text(text, encoding="utf-8")
    with pytest.raises(msa.ConfigError) as err:
        msa.load_definition(folder)
    assert str(err.value) == (
        f"{folder / 'model.toml'}: top level: give [processes] and [flows] (a declared model) or "
        "[msa] (an MSA-table model); see docs/model_definition.md"
    )
