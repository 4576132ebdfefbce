"""Tests of the progress of `msa run`: the library's hook and what the CLI shows.

Off a terminal (as under capsys) the CLI prints one plain line per finished step on stderr;
--quiet prints none; the library itself prints nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import msa
from msa.cli import main
from msa.cli._progress import RunProgress
from msa.model.run import STEPS


@pytest.fixture
def model(tiny_model: Callable[..., Path], image_server: None) -> Path:
    """Return the tiny declared model; scenarios baseline, double and boom (fails)."""
    return tiny_model("steps", failing=True)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------- the library hook
@pytest.mark.chromium
def test_run_model_calls_progress_per_scenario_and_step(model, tmp_path, capsys):
    """progress(scenario, step): 'queued' for each scenario first, then its steps and 'done'."""
    calls: list[tuple[str, str]] = []
    msa.run_model(
        model,
        tmp_path / "out",
        scenarios=["baseline", "double"],
        progress=lambda scenario, step: calls.append((scenario, step)),
    )
    expected = [("baseline", "queued"), ("double", "queued")]
    for name in ("baseline", "double"):
        expected += [(name, step) for step in STEPS] + [(name, "done")]
    assert calls == expected
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # the library prints nothing


@pytest.mark.chromium
def test_run_model_without_progress_is_unchanged(model, tmp_path, capsys):
    """Without progress the run writes the same folder and prints nothing."""
    [folder] = msa.run_model(model, tmp_path / "out")
    assert (folder / "manifest.json").is_file() and (folder / "system.nc").is_file()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# ----------------------------------------------------------------------------- msa run
@pytest.mark.chromium
def test_plain_lines_on_stderr_off_a_terminal(model, tmp_path, capsys):
    """Not a terminal: one 'msa: SCENARIO: STEP N.N s' line per step, then 'done in'."""
    code, out, err = _run(capsys, str(model), "--out", str(tmp_path / "out"))
    assert code == 0, err
    lines = err.splitlines()
    assert [re.sub(r"\d+\.\d s", "T", line) for line in lines] == [
        *(f"msa: baseline: {step} T" for step in STEPS),
        "msa: baseline: done in T",
    ]
    assert out.splitlines()[0] == f"wrote {tmp_path / 'out'}"


@pytest.mark.chromium
def test_several_scenarios_are_numbered(model, tmp_path, capsys):
    """With several scenarios each line says which of them, as i/n."""
    code, _, err = _run(capsys, str(model), "--out", str(tmp_path / "out"), "-s", "baseline")
    assert code == 0
    code, _, err = _run(
        capsys, str(model), "--out", str(tmp_path / "two"), "-s", "baseline", "-s", "double"
    )
    assert code == 0, err
    assert "msa: baseline (1/2): build " in err and "msa: double (2/2): report " in err
    assert err.rstrip().splitlines()[-1].startswith("msa: double (2/2): done in ")


@pytest.mark.chromium
@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_no_progress(model, tmp_path, capsys, flag):
    """--quiet: nothing on stderr, only what was written on stdout."""
    code, out, err = _run(capsys, str(model), "--out", str(tmp_path / "out"), flag)
    assert code == 0
    assert err == ""
    assert out.startswith("wrote ") and "done in" in out


@pytest.mark.chromium
def test_failing_step_ends_with_one_error_line(model, tmp_path, capsys):
    """A scenario failing in its build: the steps done so far, then the one error line."""
    code, _, err = _run(
        capsys, str(model), "--out", str(tmp_path / "out"), "-s", "baseline", "-s", "boom"
    )
    assert code == 2
    lines = err.splitlines()
    error = (
        f"msa: error: {model / 'data' / 'collected_bad.csv'}: row 3, column 'value': negative "
        "value -2.0; this table takes values >= 0 (nonnegative = false allows negative ones)"
    )
    assert lines[-1] == error
    assert lines[-2].startswith("msa: baseline (1/2): done in ")
    assert not any("boom" in line for line in lines[:-1])
    assert not (tmp_path / "out").exists()
    code, _, err = _run(capsys, str(model), "--out", str(tmp_path / "o"), "-s", "boom", "-q")
    assert err == error + "\n"


# ----------------------------------------------------------------------------- the display
def test_terminal_mode_prints_a_summary_per_scenario(capsys):
    """On a terminal (forced here) each finished scenario gets one line with its steps."""
    with RunProgress(terminal=True) as progress:
        assert progress.mode == "rich"
        progress("baseline", "queued")
        for step in STEPS:
            progress("baseline", step)
        progress("baseline", "done")
    err = capsys.readouterr().err
    assert "baseline in " in err and "build " in err and "report " in err
    assert "msa: baseline:" not in err


def test_modes():
    """--quiet wins; otherwise a terminal gets the live display and anything else plain lines."""
    assert RunProgress(quiet=True, terminal=True).mode == "off"
    assert RunProgress(terminal=False).mode == "plain"
    assert RunProgress(terminal=True).mode == "rich"
    assert RunProgress().mode == "plain"  # pytest's captured streams are no terminal
