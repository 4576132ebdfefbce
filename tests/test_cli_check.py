"""Tests of ``msa check``: the balance report and its exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

import msa
from msa.cli import main


def _unbalance(folder: Path) -> None:
    """Add 5 t to 'Use => Collection' for Li in 2021 (row 159 of flows.csv)."""
    path = folder / "flows.csv"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[158].startswith("Use,Collection,Li,2021,")
    fields = lines[158].split(",")
    fields[4] = str(int(fields[4]) + 5)
    lines[158] = ",".join(fields)
    path.write_text("".join(lines))


def test_check_example_tables(example_tables: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example folder of tables balances: exit 0 and a per-process report."""
    assert main(["check", str(example_tables)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("system 'example' from ")
    assert "dims: time (5), material (2)" in out
    assert "12 processes (5 boundary), 22 flows, 2 stocks, 1 parameters" in out
    assert "Manufacture  transformation" in out
    assert "structure: no problems" in out
    assert out.rstrip().endswith("balanced (rtol=1e-09, atol=0)")


def test_check_example_netcdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example written to NetCDF balances too."""
    path = tmp_path / "example.nc"
    msa.load_example().to_netcdf(path)
    assert main(["check", str(path)]) == 0
    assert "balanced" in capsys.readouterr().out


def test_check_unbalanced_exits_2(example_tables: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unbalanced table exits 2, names the processes and year, and ends with one error line."""
    _unbalance(example_tables)
    assert main(["check", str(example_tables)]) == 2
    captured = capsys.readouterr()
    out = captured.out
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("msa: error: ")
    assert "not balanced; worst: process 'Collection' year 2021" in captured.err
    assert "NOT balanced: 2 cell(s) outside rtol=1e-09, atol=0; worst first:" in out
    assert "process 'Collection' year 2021 [material='Li']: residual 5 t" in out
    assert "process 'Use' year 2021 [material='Li']: residual -5 t" in out


def test_check_tolerances(example_tables: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--rtol and --atol widen the tolerance; a negative tolerance is an error (exit 2)."""
    _unbalance(example_tables)
    assert main(["check", str(example_tables), "--atol", "5"]) == 0
    assert main(["check", str(example_tables), "--rtol", "0.2"]) == 0
    assert main(["check", str(example_tables), "--rtol", "0.01"]) == 2
    capsys.readouterr()
    assert main(["check", str(example_tables), "--atol", "-1"]) == 2
    err = capsys.readouterr().err
    assert err == "msa: error: tolerances must be >= 0 (got --rtol 1e-09, --atol -1.0)\n"


def test_check_reports_structure_problems(
    example_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A process without flows (unused) is listed under structure; check still exits 0."""
    with (example_tables / "processes.csv").open("a") as fh:
        fh.write("Orphan,transformation,,,\n")
    assert main(["check", str(example_tables)]) == 0
    out = capsys.readouterr().out
    assert "structure: 1 problem(s)\n  - process 'Orphan' has no flows" in out


def test_check_refuses_a_closed_loop_without_a_stock(
    example_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two processes sending material only to each other balance, but check exits 2."""
    with (example_tables / "processes.csv").open("a") as fh:
        fh.write("LoopA,transformation,,,\nLoopB,transformation,,,\n")
    rows = (example_tables / "flows.csv").read_text().splitlines()
    first = [r for r in rows[1:] if r.startswith("Exploration,Extraction,")]
    loop = [
        r.replace("Exploration,Extraction,", f"{a},{b},", 1)
        for a, b in (("LoopA", "LoopB"), ("LoopB", "LoopA"))
        for r in first
    ]
    (example_tables / "flows.csv").write_text("\n".join([*rows, *loop]) + "\n")
    assert main(["check", str(example_tables)]) == 2
    captured = capsys.readouterr()
    assert "balanced (rtol" in captured.out
    assert "processes 'LoopA', 'LoopB' form a closed loop without a stock" in captured.err
    assert captured.err.count("\n") == 1


def test_check_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist is one error line and exit 2."""
    assert main(["check", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"msa: error: {tmp_path / 'nope'}: no such file or folder\n"


def test_check_help(capsys: pytest.CaptureFixture[str]) -> None:
    """The command documents its options."""
    assert main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--rtol" in out and "--atol" in out


def test_missing_optional_extra_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing optional dependency is one error line saying what to install, exit 2."""
    import msa.cli.commands

    def missing(*args: object) -> None:
        try:
            import msa_no_such_module  # noqa: F401
        except ModuleNotFoundError as err:
            raise ImportError('this needs plotly: pip install "msa[plot]"') from err

    monkeypatch.setattr(msa.cli.commands, "_check_report", missing)
    assert main(["check", "x"]) == 2
    assert capsys.readouterr().err == 'msa: error: this needs plotly: pip install "msa[plot]"\n'

    def broken(*args: object) -> None:
        raise ImportError("cannot import name 'x' from partially initialized module")

    monkeypatch.setattr(msa.cli.commands, "_check_report", broken)
    assert main(["check", "x"]) == 2  # a bug: one line saying so; the traceback with --debug
    err = capsys.readouterr().err
    assert err.startswith("msa: error: unexpected ImportError: cannot import name 'x'")
    assert err.count("\n") == 1
    assert main(["--debug", "check", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1].startswith("msa: error: unexpected ImportError")
