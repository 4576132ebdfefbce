"""`msa compare`: run folders checked before anything is written; only shared numbers compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import msa
import msa.model.run as run_module
from msa.cli import main


def _run_folder(
    folder: Path,
    *,
    model: str = "copper",
    scenario: str = "baseline",
    headline: tuple[tuple[str, float, str], ...] = (
        ("stock Use end 2030", 474123.0, "t"),
        ("collection 2030", 0.00123, "t/yr"),
    ),
    targets: tuple[tuple[str, float, bool, str], ...] = (("t1", 0.45, False, "1"),),
) -> Path:
    """Write a run folder as msa run does: manifest.json, headline.csv, indicators.csv."""
    folder.mkdir(parents=True)
    manifest = {"msa_version": "0", "model": model, "scenario": scenario, "inputs": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    lines = ["label,value,units", *(f"{label},{v!r},{u}" for label, v, u in headline)]
    (folder / "headline.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [
        "target_id,policy,value,met,units",
        *(f"{t},P,{v!r},{m},{u}" for t, v, m, u in targets),
    ]
    (folder / "indicators.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    """Return a baseline and a 'high' run of one model."""
    base = _run_folder(tmp_path / "runs" / "baseline")
    high = _run_folder(
        tmp_path / "runs" / "high",
        scenario="high",
        headline=(("stock Use end 2030", 1234567.8, "t"), ("collection 2030", 0.002, "t/yr")),
        targets=(("t1", 0.61, True, "1"),),
    )
    return base, high


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _cli_error(
    argv: list[str], capsys: pytest.CaptureFixture[str], *, printed: bool = False
) -> str:
    """Run the CLI, expect exit 2 and one line on stderr (and nothing on stdout); return it."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("msa: error: ") and "Traceback" not in captured.err
    assert bool(captured.out) == printed
    return lines[0]


def test_numbers_are_grouped_with_their_units(
    two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Compare prints 474,100 t, never 4.741e+05, and each target's value and verdict."""
    assert main(["compare", *map(str, two_runs)]) == 0
    shown = capsys.readouterr().out
    assert "474,100 t" in shown and "1,235,000 t" in shown and "0.00123 t/yr" in shown
    assert "e+0" not in shown and "e-0" not in shown
    assert "0.45 missed" in shown and "0.61 met" in shown
    assert "note:" not in shown


def test_same_model_tables(two_runs: tuple[Path, Path]) -> None:
    """The tables keep full numbers, the units column, and baseline first."""
    headline, targets = msa.compare_runs(list(reversed(two_runs)))
    assert list(headline.columns) == ["units", "baseline", "high"]
    assert headline.loc["stock Use end 2030", "high"] == 1234567.8
    assert headline.loc["collection 2030", "units"] == "t/yr"
    assert targets.loc["t1"].tolist() == ["0.45 missed", "0.61 met"]
    assert headline.attrs["notes"] == []


def test_different_models_compare_only_what_they_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs of two models: the shared numbers only, no all-NaN column, a note of the rest."""
    a = _run_folder(tmp_path / "a", model="copper")
    b = _run_folder(
        tmp_path / "b",
        model="aluminium",
        headline=(("stock Use end 2030", 10.0, "t"), ("imports 2030", 5.0, "t")),
        targets=(("t9", 1.0, True, ""),),
    )
    headline, targets = msa.compare_runs([a, b])
    assert list(headline.index) == ["stock Use end 2030"]
    assert list(headline.columns) == ["units", "copper: baseline", "aluminium: baseline"]
    assert not headline.drop(columns="units").isna().any().any()
    assert targets.empty
    notes = headline.attrs["notes"]
    assert (
        notes[0] == "runs of different models (aluminium, copper): only what they share is compared"
    )
    assert "left out: 'collection 2030', 'imports 2030'" in notes[1]
    assert "targets not in every run, left out: 't1', 't9'" in notes[2]
    assert main(["compare", str(a), str(b)]) == 0
    shown = capsys.readouterr().out
    assert "note: runs of different models" in shown and "imports 2030" in shown


def test_runs_sharing_nothing_are_refused(tmp_path: Path) -> None:
    """Two models with no headline number in common: one error naming the models."""
    a = _run_folder(tmp_path / "a", model="copper")
    b = _run_folder(tmp_path / "b", model="solar", headline=(("panels 2030", 3.0, "t"),))
    with pytest.raises(msa.DataError, match=r"share no headline number: .*model copper.*solar"):
        msa.compare_runs([a, b])


def test_units_must_agree(tmp_path: Path) -> None:
    """One number in t in one run and in kilotonne in another is an error naming both."""
    a = _run_folder(tmp_path / "a")
    b = _run_folder(
        tmp_path / "b",
        scenario="other",
        headline=(("stock Use end 2030", 474.0, "kilotonne"), ("collection 2030", 1.0, "t/yr")),
    )
    match = r"'stock Use end 2030' is in different units .*'t' in baseline, 'kilotonne' in other"
    with pytest.raises(msa.DataError, match=match):
        msa.compare_runs([a, b])


DAMAGES = {
    "broken manifest": ("manifest.json", "{not json", r"manifest\.json: not valid JSON"),
    "foreign manifest": ("manifest.json", '{"name": "x"}', r"manifest\.json: not a manifest msa"),
    "no headline": ("headline.csv", None, r"headline\.csv: missing"),
    "renamed column": (
        "headline.csv",
        "label,valeur,units\na,1,t\n",
        r"headline\.csv: no column 'value'",
    ),
    "text value": (
        "headline.csv",
        "label,value,units\na,1,t\nb,lots,t\n",
        r"headline\.csv: row 3, column 'value': 'lots' is not a number",
    ),
    "empty headline": ("headline.csv", "", r"headline\.csv: not a readable CSV table"),
    "repeated label": (
        "headline.csv",
        "label,value,units\na,1,t\na,2,t\n",
        r"headline\.csv: row 3, column 'label': 'a' appears twice",
    ),
    "no indicators": ("indicators.csv", None, r"indicators\.csv: missing"),
    "text target": (
        "indicators.csv",
        "target_id,value,met,units\nt1,high,True,\n",
        r"indicators\.csv: row 2, column 'value': 'high' is not a number",
    ),
    "met not a bool": (
        "indicators.csv",
        "target_id,value,met,units\nt1,1,yes,\n",
        r"indicators\.csv: row 2, column 'met': 'yes' is not True or False",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_run_folder_is_one_line_and_nothing_is_written(
    two_runs: tuple[Path, Path], tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged second run is named (folder, file, row, column) before any output exists."""
    file, text, match = DAMAGES[damage]
    target = two_runs[1] / file
    if text is None:
        target.unlink()
    else:
        target.write_text(text, encoding="utf-8")
    before = _snapshot(tmp_path / "runs")
    out = tmp_path / "cmp"
    line = _cli_error(["compare", *map(str, two_runs), "--out", str(out)], capsys)
    assert str(two_runs[1]) in line
    assert re.search(match, line), line
    assert not out.exists()
    assert _snapshot(tmp_path / "runs") == before


def test_a_missing_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run folder that does not exist is one line."""
    line = _cli_error(["compare", str(tmp_path / "nowhere")], capsys)
    assert "nowhere: no such folder" in line


@pytest.mark.parametrize("where", ["runs/baseline", "runs/baseline/cmp"])
def test_out_in_a_run_is_refused(
    two_runs: tuple[Path, Path], tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out that is or lies inside a run compared is refused; the runs stay as they were."""
    before = _snapshot(tmp_path / "runs")
    argv = ["compare", *map(str, two_runs), "--out", str(tmp_path / where), "--force"]
    line = _cli_error(argv, capsys)
    assert "the run folder" in line and "outside the runs compared" in line
    assert _snapshot(tmp_path / "runs") == before


def test_out_beside_the_runs(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    """The folder holding the runs may take the comparison files; the runs stay as they were."""
    before = _snapshot(tmp_path / "runs")
    assert main(["compare", *map(str, two_runs), "--out", str(tmp_path / "runs")]) == 0
    after = _snapshot(tmp_path / "runs")
    assert {k: v for k, v in after.items() if not k.startswith("compare_")} == before
    assert sorted(k for k in after if k.startswith("compare_")) == sorted(
        run_module.COMPARISON_FILES
    )


def test_out_that_cannot_be_written(
    two_runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file at --out, or as its parent, is one line; a missing parent folder is made."""
    (tmp_path / "file").write_text("x", encoding="utf-8")
    runs = list(map(str, two_runs))
    line = _cli_error(["compare", *runs, "--out", str(tmp_path / "file")], capsys)
    assert "exists and is not a folder" in line
    line = _cli_error(["compare", *runs, "--out", str(tmp_path / "file" / "cmp")], capsys)
    assert "is a file, not a folder" in line
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"
    assert main(["compare", *runs, "--out", str(tmp_path / "new" / "deeper")]) == 0
    assert sorted(p.name for p in (tmp_path / "new" / "deeper").iterdir()) == sorted(
        run_module.COMPARISON_FILES
    )


def test_a_crash_while_writing_leaves_the_old_files(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The plot failing after the tables are written leaves --out as it was, no table new."""
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 0
    before = _snapshot(out)

    def boom(*args: object) -> None:
        raise msa.RenderError("the plot failed")

    monkeypatch.setattr(run_module, "_comparison_plot", boom)
    argv = ["compare", *map(str, reversed(two_runs)), "--out", str(out), "--force"]
    line = _cli_error(argv, capsys, printed=True)  # the tables are shown, then writing fails
    assert "the plot failed" in line
    assert _snapshot(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    fresh = tmp_path / "fresh"
    _cli_error(["compare", *map(str, two_runs), "--out", str(fresh)], capsys, printed=True)
    assert not fresh.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_existing_files_need_force(
    two_runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second compare into the same folder is refused before printing; --force replaces."""
    out = tmp_path / "cmp"
    (tmp_path / "cmp").mkdir()
    (out / "mine.txt").write_text("mine", encoding="utf-8")
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 0
    capsys.readouterr()
    line = _cli_error(["compare", *map(str, two_runs), "--out", str(out)], capsys)
    assert "compare_headline.csv exists (4 of the files to write); use --force" in line
    assert main(["compare", *map(str, two_runs), "--out", str(out), "--force"]) == 0
    assert (out / "mine.txt").read_text(encoding="utf-8") == "mine"
