"""A corpus of bad inputs run through every ``msa`` subcommand: one line, exit 2, nothing touched.

Each case copies a shipped model (the MSA-table model ``msa_example``, the declared model
``pv_panels_nl``) or the example's folder of tables into a temporary folder, damages one thing
and runs one subcommand in-process (:func:`msa.cli.commands.main`). Every case must end with
exactly one line on stderr starting ``msa: error:``, exit code 2, no traceback, every input file
byte-identical to before and no output folder.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msa.cli.commands import main

pytestmark = pytest.mark.slow

MODELS = Path(__file__).resolve().parents[1] / "models"
Edit = Callable[[Path], None]


# --- edits -------------------------------------------------------------------------------
def sub(rel: str, old: str, new: str) -> Edit:
    """Replace the first ``old`` in file ``rel`` by ``new`` (``old`` must be there)."""

    def edit(folder: Path) -> None:
        path = folder / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def append(rel: str, text: str) -> Edit:
    """Append ``text`` to file ``rel`` (created if missing)."""

    def edit(folder: Path) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)

    return edit


def write(rel: str, content: str | bytes) -> Edit:
    """Replace file ``rel`` by ``content``."""

    def edit(folder: Path) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return edit


def remove(rel: str) -> Edit:
    """Delete file ``rel``."""
    return lambda folder: (folder / rel).unlink()


def cell(rel: str, row: int, column: str, value: str) -> Edit:
    """Set one cell of CSV ``rel``; ``row`` counts as a spreadsheet does (header = row 1)."""

    def edit(folder: Path) -> None:
        path = folder / rel
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows[row - 1][rows[0].index(column)] = value
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    return edit


def duplicate_row(rel: str, row: int) -> Edit:
    """Append a copy of ``row`` of CSV ``rel``."""

    def edit(folder: Path) -> None:
        path = folder / rel
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([*lines, lines[row - 1]]) + "\n", encoding="utf-8")

    return edit


def semicolons(rel: str) -> Edit:
    """Save CSV ``rel`` as Dutch Excel does: ';' between cells, ',' as the decimal mark."""

    def edit(folder: Path) -> None:
        path = folder / rel
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        rows = [[c.replace(".", ",") if _number(c) else c for c in r] for r in rows]
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(rows)

    return edit


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def both(*edits: Edit) -> Edit:
    """Apply several edits in turn."""

    def edit(folder: Path) -> None:
        for one in edits:
            one(folder)

    return edit


#: A model.py whose function flow is called by the declaration below it.
_FUNCTION_FLOW = sub(
    "model.toml",
    '[flows."Discarded => Export"]\nshare = "export_used_share"',
    '[flows."Discarded => Export"]\nfunction = "export"\ndims = ["time", "technology", '
    '"material"]\nneeds = ["Use => Discarded", "export_used_share"]',
)
_WITH_MODULE = sub(
    "model.toml",
    'sources = "data/sources.csv"',
    'sources = "data/sources.csv"\nmodule = "model.py"',
)


def model_code(body: str) -> Edit:
    """Give the PV model a ``model.py`` with ``body`` and a flow computed by its ``export``."""
    return both(_WITH_MODULE, _FUNCTION_FLOW, write("model.py", body))


_EXPORT_OK = (
    "def export(inputs):\n"
    "    flows = inputs.flows\n"
    "    return flows['Use => Discarded'] * inputs.parameters['export_used_share']\n"
)


# --- the cases ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One bad input: which base to copy, how to damage it and the command to run on it."""

    id: str
    base: str  # "pv", "msa", "tables" or "none"
    edit: Edit | None
    argv: tuple[str, ...]  # "{in}" is the damaged copy, "{out}" an output folder
    match: str = ""  # a piece of the error line


CAPACITY = "data/capacity.csv"
SHARE = "data/technology_share.csv"
PV_SOURCES = "data/sources.csv"
CHECK = ("check", "{in}")
RUN = ("run", "{in}", "--out", "{out}", "--quiet")
VIEWS = ("views", "{in}", "--year", "2030", "--out", "{out}")
INDICATORS = ("indicators", "{in}")
SANKEY = ("sankey", "{in}", "--out", "{out}", "--year", "2030", "--format", "html")
COVERAGE = ("coverage", "{in}", "--out", "{out}")
RECONCILE = ("reconcile", "{in}", "--out", "{out}")

CASES = [
    # model.toml of a declared model
    Case("toml-invalid", "pv", append("model.toml", "\n[[[broken\n"), CHECK, "invalid TOML"),
    Case("toml-invalid-run", "pv", append("model.toml", "\nname = \n"), RUN, "invalid TOML"),
    Case(
        "toml-not-utf8",
        "pv",
        lambda f: (f / "model.toml").write_bytes(
            (f / "model.toml").read_bytes() + b"\n# caf\xe9\n"
        ),
        RUN,
        "UTF-8",
    ),
    Case(
        "toml-unknown-key",
        "pv",
        sub("model.toml", "[model]\n", "[model]\ncolour = 1\n"),
        RUN,
        "unknown key 'colour'",
    ),
    Case(
        "param-text",
        "pv",
        sub("model.toml", "value = 0.8,", 'value = "high",'),
        RUN,
        "collection_rate",
    ),
    Case(
        "param-out-of-bounds",
        "pv",
        sub("model.toml", "value = 0.8,", "value = 1.8,"),
        CHECK,
        "outside its bounds",
    ),
    Case(
        "param-text-no-bounds",
        "pv",
        sub(
            "model.toml",
            'value = 0.05, units = "1", source_id = "assumption_pv_nl", grade = "D", '
            "bounds = [0, 1],",
            'value = "few", units = "1", source_id = "assumption_pv_nl", grade = "D",',
        ),
        VIEWS,
        "export_used_share",
    ),
    Case(
        "param-bool",
        "pv",
        sub(
            "model.toml",
            'value = 0.05, units = "1", source_id = "assumption_pv_nl", grade = "D", '
            "bounds = [0, 1],",
            'value = true, units = "1", source_id = "assumption_pv_nl", grade = "D",',
        ),
        RUN,
        "export_used_share",
    ),
    Case(
        "param-unknown-units",
        "pv",
        sub(
            "model.toml", 'value = 30, units = "yr"', 'value = 30, units = "furlongs_per_fortnight"'
        ),
        CHECK,
        "lifetime_scale",
    ),
    Case(
        "scenario-text",
        "pv",
        sub(
            "model.toml", "set = { lifetime_shape = 2.4928 }", 'set = { lifetime_shape = "short" }'
        ),
        ("check", "{in}", "--scenario", "early_loss"),
        "lifetime_shape",
    ),
    Case("scenario-unknown", "pv", None, ("check", "{in}", "--scenario", "nope"), "nope"),
    Case(
        "scenario-data-missing",
        "pv",
        remove("data/capacity_fast.csv"),
        ("run", "{in}", "--out", "{out}", "-q", "-s", "fast_rollout"),
        "capacity_fast.csv",
    ),
    Case(
        "time-reversed",
        "pv",
        sub("model.toml", "start = 2000, end = 2050", "start = 2050, end = 2000"),
        CHECK,
        "[dims] time",
    ),
    Case(
        "time-negative",
        "pv",
        sub("model.toml", "start = 2000, end = 2050", "start = -5, end = 2050"),
        CHECK,
        "-5",
    ),
    Case(
        "time-absurd",
        "pv",
        sub("model.toml", "start = 2000, end = 2050", "start = 2000, end = 200000"),
        RUN,
        "200000",
    ),
    Case(
        "flow-unknown-process",
        "pv",
        append("model.toml", '\n[flows."Nowhere => Use"]\nvalue = "capacity"\n'),
        CHECK,
        "Nowhere",
    ),
    Case(
        "jrc-code-unknown",
        "pv",
        sub("model.toml", 'flow_type = "trade"\n', 'flow_type = "trade"\njrc_code = "maybe"\n'),
        CHECK,
        "maybe",
    ),
    Case(
        "lifetime-negative",
        "pv",
        sub("model.toml", 'shape = "lifetime_shape"', "shape = -1.0"),
        CHECK,
        "[stocks.Use]",
    ),
    Case(
        "lifetime-text",
        "pv",
        sub("model.toml", 'shape = "lifetime_shape"', 'shape = "long"'),
        CHECK,
        "long",
    ),
    Case(
        "lifetime-distribution",
        "pv",
        sub("model.toml", '"weibull"', '"poisson"'),
        CHECK,
        "distribution",
    ),
    Case(
        "lifetime-param-negative",
        "pv",
        both(
            sub("model.toml", "bounds = [5, 80], note", "note"),
            sub("model.toml", "value = 30, units", "value = -30, units"),
        ),
        RUN,
        "lifetime_scale",
    ),
    # model code
    Case(
        "module-outside",
        "pv",
        both(
            _WITH_MODULE,
            sub("model.toml", 'module = "model.py"', 'module = "../evil.py"'),
            write("../evil.py", "raise SystemExit(0)\n"),
        ),
        CHECK,
        "module",
    ),
    Case(
        "module-absolute",
        "pv",
        both(
            _WITH_MODULE,
            sub("model.toml", 'module = "model.py"', 'module = "/usr/lib/python3/os.py"'),
        ),
        RUN,
        "module",
    ),
    Case("module-missing", "pv", _WITH_MODULE, CHECK, "model.py"),
    Case(
        "code-exits-0",
        "pv",
        model_code("import sys\nsys.exit(0)\n" + _EXPORT_OK),
        RUN,
        "model code failed",
    ),
    Case(
        "code-exits-1",
        "pv",
        model_code(_EXPORT_OK + "raise SystemExit(1)\n"),
        CHECK,
        "model code failed",
    ),
    Case(
        "code-raises-on-import",
        "pv",
        model_code("1 / 0\n" + _EXPORT_OK),
        VIEWS,
        "model code failed",
    ),
    Case("code-syntax-error", "pv", model_code("def export(:\n"), CHECK, "model code failed"),
    Case(
        "code-raises-in-flow",
        "pv",
        model_code("def export(inputs):\n    raise ValueError('no export data for 2031')\n"),
        RUN,
        "no export data for 2031",
    ),
    Case(
        "code-exits-in-flow",
        "pv",
        model_code("import sys\ndef export(inputs):\n    sys.exit(0)\n"),
        SANKEY,
        "model code failed",
    ),
    Case(
        "code-nan",
        "pv",
        model_code(_EXPORT_OK.replace("return flows", "return 0 * float('nan') * flows")),
        CHECK,
        "Discarded => Export",
    ),
    Case(
        "code-raises-in-output",
        "pv",
        both(
            model_code(_EXPORT_OK + "def extra(built):\n    raise RuntimeError('no table')\n"),
            append("model.toml", '\n[outputs.tables.extra]\nfunction = "extra"\n'),
        ),
        RUN,
        "model code failed",
    ),
    Case(
        "code-wrong-type",
        "pv",
        model_code("def export(inputs):\n    return 'many'\n"),
        CHECK,
        "export",
    ),
    # data tables of a declared model
    Case("year-fraction", "pv", cell(CAPACITY, 3, "year", "2001.5"), CHECK, "row 3"),
    Case("year-negative", "pv", cell(CAPACITY, 3, "year", "-5"), RUN, "row 3"),
    Case("year-text", "pv", cell(CAPACITY, 4, "year", "twothousand"), CHECK, "row 4"),
    Case(
        "year-float-written", "pv", cell(CAPACITY, 3, "year", "2010.0"), INDICATORS, "rows 3 and 12"
    ),
    Case("value-text", "pv", cell(CAPACITY, 5, "value", "many"), CHECK, "row 5"),
    Case("value-decimal-comma", "pv", cell(CAPACITY, 5, "value", "1,5"), SANKEY, "decimal"),
    Case("value-nan", "pv", cell(CAPACITY, 5, "value", "nan"), CHECK, "row 5"),
    Case("value-inf", "pv", cell(CAPACITY, 5, "value", "inf"), COVERAGE, "row 5"),
    Case("value-negative", "pv", cell(CAPACITY, 5, "value", "-3"), CHECK, "row 5"),
    Case("value-empty", "pv", cell(CAPACITY, 6, "value", ""), CHECK, "row 6"),
    Case("value-overflow", "pv", cell(CAPACITY, 5, "value", "1e308"), RUN, "Imports => Market"),
    Case("units-wrong-kind", "pv", cell(CAPACITY, 5, "units", "kg"), CHECK, "row 5"),
    Case("units-unknown", "pv", cell(CAPACITY, 5, "units", "megafoo"), CHECK, "row 5"),
    Case("units-knot", "pv", cell("data/panel_mass.csv", 2, "units", "kt/MWp"), CHECK, "row 2"),
    Case("source-unknown", "pv", cell(CAPACITY, 5, "source_id", "nobody"), CHECK, "nobody"),
    Case("grade-bad", "pv", cell(CAPACITY, 5, "grade", "E"), RUN, "row 5"),
    Case("row-duplicate", "pv", duplicate_row(CAPACITY, 5), CHECK, "rows"),
    Case("label-unknown", "pv", cell(SHARE, 2, "technology", "perovskite"), CHECK, "perovskite"),
    Case("shares-not-one", "pv", cell(SHARE, 2, "value", "0.5"), CHECK, "add to"),
    Case(
        "column-missing", "pv", sub(CAPACITY, "year,value,units", "jaar,value,units"), CHECK, "year"
    ),
    Case("table-empty", "pv", write(CAPACITY, ""), CHECK, "capacity.csv"),
    Case(
        "table-header-only",
        "pv",
        write(CAPACITY, "year,value,units,source_id,grade\n"),
        RUN,
        "capacity.csv",
    ),
    Case("table-semicolon", "pv", semicolons(CAPACITY), CHECK, ";"),
    Case(
        "table-binary",
        "pv",
        write(CAPACITY, b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"),
        CHECK,
        "capacity.csv",
    ),
    Case("table-missing", "pv", remove(CAPACITY), VIEWS, "capacity.csv"),
    Case(
        "table-a-folder",
        "pv",
        both(remove(CAPACITY), lambda f: (f / CAPACITY).mkdir()),
        CHECK,
        "capacity.csv",
    ),
    Case("sources-empty", "pv", write(PV_SOURCES, ""), CHECK, "sources.csv"),
    Case("sources-header-less", "pv", write(PV_SOURCES, "irena,IRENA\n"), CHECK, "sources.csv"),
    Case("sources-semicolon", "pv", semicolons(PV_SOURCES), CHECK, ";"),
    Case("targets-empty", "pv", write("data/targets.csv", ""), RUN, "targets.csv"),
    # an MSA-table model
    Case("msa-empty", "msa", write("msa.csv", ""), CHECK, "msa.csv"),
    Case(
        "msa-header-less",
        "msa",
        write("msa.csv", "Li,EU,2020,A.1.1,5,t,illustrative,D\n"),
        CHECK,
        "msa.csv",
    ),
    Case("msa-semicolon", "msa", semicolons("msa.csv"), RUN, ";"),
    Case("msa-year-fraction", "msa", cell("msa.csv", 3, "year", "2020.5"), CHECK, "row 3"),
    Case("msa-year-negative", "msa", cell("msa.csv", 3, "year", "-5"), CHECK, "row 3"),
    Case("msa-value-text", "msa", cell("msa.csv", 4, "value", "lots"), VIEWS, "row 4"),
    Case("msa-units", "msa", cell("msa.csv", 4, "units", "m3"), CHECK, "row 4"),
    Case("msa-code-unknown", "msa", cell("msa.csv", 4, "code", "Z.9.9"), INDICATORS, "Z.9.9"),
    Case("msa-grade", "msa", cell("msa.csv", 4, "grade", "Q"), CHECK, "row 4"),
    Case("msa-source", "msa", cell("msa.csv", 4, "source_id", "ghost"), SANKEY, "ghost"),
    Case("msa-duplicate", "msa", duplicate_row("msa.csv", 4), CHECK, "msa.csv"),
    Case("msa-sources-empty", "msa", write("sources.csv", ""), CHECK, "sources.csv"),
    Case(
        "msa-sources-header-only",
        "msa",
        write("sources.csv", "source_id,title\n"),
        COVERAGE,
        "illustrative",
    ),
    Case(
        "msa-sources-header-less",
        "msa",
        write("sources.csv", "illustrative,x\n"),
        RUN,
        "sources.csv",
    ),
    Case("msa-table-missing", "msa", remove("msa.csv"), CHECK, "msa.csv"),
    Case(
        "msa-toml-kind",
        "msa",
        sub("model.toml", 'missing = "report"', 'missing = "guess"'),
        CHECK,
        "missing",
    ),
    # a folder of tables
    Case("tables-year-fraction", "tables", cell("flows.csv", 3, "time", "2020.5"), CHECK, "row 3"),
    Case("tables-units-other", "tables", cell("flows.csv", 2, "units", "furlong"), CHECK, "row 2"),
    Case("tables-semicolon", "tables", semicolons("flows.csv"), RECONCILE, ";"),
    Case("tables-sources-empty", "tables", write("sources.csv", ""), RECONCILE, "sources.csv"),
    Case(
        "tables-loop-without-stock",
        "tables",
        both(
            append("processes.csv", "LoopA,transformation,,,\nLoopB,transformation,,,\n"),
            lambda f: _loop_flows(f),
        ),
        CHECK,
        "LoopA",
    ),
    Case(
        "reconcile-spec-empty",
        "tables",
        write("spec.csv", ""),
        (*RECONCILE, "--spec", "{in}/spec.csv"),
        "spec.csv: file is empty",
    ),
    Case(
        "reconcile-spec-semicolon",
        "tables",
        write("spec.csv", "quantity;status\nExploration => Extraction;measured\n"),
        (*RECONCILE, "--spec", "{in}/spec.csv"),
        "separated by ';'",
    ),
    # options and paths of each command
    Case("check-rtol", "tables", None, ("check", "{in}", "--rtol", "-1"), "tolerances"),
    Case("views-year", "msa", None, ("views", "{in}", "--year", "1850"), "1850"),
    Case(
        "sankey-year", "msa", None, ("sankey", "{in}", "--out", "{out}", "--year", "1850"), "1850"
    ),
    Case(
        "sankey-format",
        "msa",
        None,
        ("sankey", "{in}", "--out", "{out}", "--year", "2020", "--format", "bmp"),
        "bmp",
    ),
    Case(
        "sankey-view",
        "msa",
        None,
        ("sankey", "{in}", "--out", "{out}", "--year", "2020", "--view", "nope"),
        "nope",
    ),
    Case("run-not-a-model", "tables", None, RUN, "not a model folder"),
    Case(
        "run-out-is-model", "pv", None, ("run", "{in}", "--out", "{in}", "--force", "-q"), "model"
    ),
    Case("run-out-inside-model", "pv", None, ("run", "{in}", "--out", "{in}/out", "-q"), "model"),
    Case("coverage-missing", "none", None, COVERAGE, "no such"),
    Case("reconcile-missing", "none", None, RECONCILE, "no such"),
    Case("compare-missing", "none", None, ("compare", "{in}", "{in}"), "model"),
    Case("compare-not-a-run", "pv", None, ("compare", "{in}", "{in}"), "run"),
    Case(
        "compare-no-manifest", "pv", write("run/system.nc", b"CDF"), ("compare", "{in}/run"), "run"
    ),
    Case("new-not-empty", "pv", None, ("new", "{in}"), "not empty"),
    Case("new-bad-name", "none", None, ("new", "{out}", "--name", "a b"), "name"),
    Case("indicators-missing", "none", None, INDICATORS, "no such"),
]


def _loop_flows(folder: Path) -> None:
    """Add a closed loop LoopA <=> LoopB (no stock, no boundary) to a folder of tables."""
    path = folder / "flows.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    first = [r for r in rows[1:] if r[:2] == rows[1][:2]]  # every row of the first flow
    for source, target in (("LoopA", "LoopB"), ("LoopB", "LoopA")):
        for old in first:
            row = dict(zip(header, old, strict=True))
            row.update(source=source, target=target, value="5")
            rows.append([row[c] for c in header])
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _base(case: Case, tmp_path: Path) -> Path:
    """Copy the case's base into ``tmp_path/work/model`` and damage it."""
    folder = tmp_path / "work" / "model"
    if case.base == "pv":
        shutil.copytree(MODELS / "pv_panels_nl", folder)
    elif case.base == "msa":
        shutil.copytree(MODELS / "msa_example", folder)
    elif case.base == "tables":
        shutil.copytree(Path(str(files("msa").joinpath("data", "example"))), folder)
    else:
        folder.parent.mkdir(parents=True)
    if case.edit is not None:
        case.edit(folder)
    return folder


def _snapshot(root: Path) -> dict[str, str]:
    """Return a hash of every file under ``root`` (and every folder), by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


def _argv(case: Case, folder: Path, out: Path) -> list[str]:
    return [a.replace("{in}", str(folder)).replace("{out}", str(out)) for a in case.argv]


def test_corpus_is_large_and_covers_every_command() -> None:
    """The corpus holds at least 60 cases and runs every subcommand."""
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    commands = {c.argv[0] for c in CASES}
    expected = {"check", "views", "indicators", "sankey", "run", "reconcile", "coverage"}
    assert commands >= expected | {"compare", "new"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad input ends in one 'msa: error:' line, exit 2; inputs and outputs are untouched."""
    folder = _base(case, tmp_path)
    out = tmp_path / "output"
    before = _snapshot(tmp_path / "work")
    code = main(_argv(case, folder, out))
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("msa: error: "), err
    assert "unexpected" not in lines[0], err  # a foreseen error, not a bug caught last
    assert case.match in lines[0], lines[0]
    assert "np." not in lines[0], lines[0]  # no numpy reprs (np.int64(2061))
    assert code == 2, err
    assert _snapshot(tmp_path / "work") == before
    assert not out.exists()


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id in ("code-exits-0", "msa-empty")], ids=lambda c: c.id
)
def test_bad_input_through_the_installed_command(case: Case, tmp_path: Path) -> None:
    """Through a real process too: one line on stderr, exit 2, no output (model code exiting)."""
    folder = _base(case, tmp_path)
    out = tmp_path / "output"
    before = _snapshot(tmp_path / "work")
    done = subprocess.run(
        [sys.executable, "-m", "msa", *_argv(case, folder, out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("msa: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert _snapshot(tmp_path / "work") == before
    assert not out.exists()


def test_debug_shows_the_traceback_of_the_model_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --debug the traceback (down to model.py) comes first, then the one error line."""
    case = next(c for c in CASES if c.id == "code-raises-in-flow")
    folder = _base(case, tmp_path)
    assert main(["--debug", "check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert f'File "{folder / "model.py"}", line 2, in export' in err
    assert err.splitlines()[-1] == (
        f"msa: error: model code failed: {folder / 'model.py'}:2: ValueError: no export data "
        """for 2031 (in function 'export' of [flows."Discarded => Export"])"""
    )


_MSA_ROWS = (MODELS / "msa_example" / "msa.csv").read_text(encoding="utf-8").count("\n")
_MSA_COLUMNS = ("material", "region", "year", "code", "value", "units", "source_id", "grade")


@given(
    row=st.integers(2, _MSA_ROWS),
    column=st.sampled_from(_MSA_COLUMNS),
    value=st.one_of(
        st.text(max_size=8),
        st.sampled_from(["-5", "2020.5", "1e400", "nan", "1,5", "20200", "True", "kt", "Z.1"]),
    ),
)
def test_any_one_cell_of_an_msa_table_is_read_or_refused_in_one_line(
    row: int, column: str, value: str
) -> None:
    """Whatever one cell of msa.csv holds, check reads it (exit 0) or says why in one line."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        shutil.copytree(MODELS / "msa_example", folder)
        cell("msa.csv", row, column, value)(folder)
        before = _snapshot(folder)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["check", str(folder)])
        assert _snapshot(folder) == before
    lines = err.getvalue().splitlines()
    assert code in (0, 2)
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("msa: error: "), lines
        assert "unexpected" not in lines[0] and "Traceback" not in err.getvalue()
