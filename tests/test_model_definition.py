"""Declared models (``model.toml`` with processes and flows): bad folders refused, good ones run.

Every bad folder is the template of ``msa new`` with one precise edit of ``model.toml`` or of a
data table. Each must raise the right msa error, naming the file and the key (or the row and
column), both from the API (:func:`msa.load_definition` then :func:`msa.build_model`) and from
``msa run``: exit code 2, one line on stderr starting ``msa: error:``, no output folder, and the
model folder byte for byte as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa.cli import main
from msa.model import Built
from msa.testing import assert_balanced

# -- helpers: the template, one edit, the CLI's refusal ------------------------------------------


def _template(tmp_path: Path) -> Path:
    return msa.new_model(tmp_path / "m")


def edit_toml(model: Path, *edits: tuple[str, str]) -> None:
    """Replace each ``old`` text of model.toml (which must occur exactly once) by ``new``."""
    toml = model / "model.toml"
    text = toml.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in model.toml"
        text = text.replace(old, new)
    toml.write_text(text, encoding="utf-8")


def append_toml(model: Path, text: str) -> None:
    """Append TOML text (new tables) to model.toml."""
    toml = model / "model.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def replace_row(model: Path, table: str, old: str, new: str | None) -> None:
    """Replace the line ``old`` of data/<table>.csv by ``new`` (None deletes it)."""
    path = model / "data" / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines.count(old) == 1, f"{old!r} is not one line of {path.name}"
    lines = [new if line == old else line for line in lines]
    path.write_text("\n".join(x for x in lines if x is not None) + "\n", encoding="utf-8")


def append_rows(model: Path, table: str, *rows: str) -> None:
    """Append rows to data/<table>.csv."""
    path = model / "data" / f"{table}.csv"
    path.write_text(path.read_text(encoding="utf-8") + "".join(r + "\n" for r in rows), "utf-8")


def write_file(model: Path, rel: str, text: str) -> None:
    (model / rel).write_text(text, encoding="utf-8")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def build(model: Path, scenario: str = "baseline") -> Built:
    """Load, validate and build one scenario of a model folder."""
    return msa.build_model(msa.load_definition(model), scenario)


def assert_cli_refuses(
    model: Path, capsys: pytest.CaptureFixture[str], *extra: str, match: str = ""
) -> str:
    """Run ``msa run MODEL --out OUT``: exit 2, one error line, nothing written anywhere."""
    out = model.parent / "out"
    before = _snapshot(model)
    around = sorted(p.name for p in model.parent.iterdir())
    capsys.readouterr()
    code = main(["run", str(model), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("msa: error: "), err
    assert re.search(match, lines[0]), lines[0]
    assert not out.exists()
    assert sorted(p.name for p in model.parent.iterdir()) == around  # no temporary folder left
    assert _snapshot(model) == before
    return lines[0]


# -- the bad folders ---------------------------------------------------------------------------

MODEL_PY_WRONG_DIMS = '''\
"""Functions of a test model."""


def recycled(inputs):
    """Return half of what is collected, summed over materials: the wrong dims."""
    return inputs.flows["Use => Collection"].sum("material") * 0.5
'''

FUNCTION_FLOW = (
    '[flows."Collection => Recycling"]\nshare = "collection_rate"\n',
    '[flows."Collection => Recycling"]\nfunction = "recycled"\ndims = ["time", "material"]\n'
    'needs = ["Use => Collection"]\n',
)


def _with_module(model: Path, source: str, function: str = "recycled") -> None:
    edit_toml(
        model,
        ('sources = "data/sources.csv"\n', 'sources = "data/sources.csv"\nmodule = "model.py"\n'),
        (FUNCTION_FLOW[0], FUNCTION_FLOW[1].replace('"recycled"', f'"{function}"')),
    )
    write_file(model, "model.py", source)


def _share_table(model: Path, rows: str, units: str = "1") -> None:
    """Make the collection share a table by material (declared in ``units``)."""
    write_file(
        model,
        "data/collection.csv",
        "material,value,units,source_id,grade,note\n" + rows,
    )
    edit_toml(
        model,
        (
            "# Scalar parameters",
            '[data.collection]\nfile = "data/collection.csv"\n'
            f'dims = ["material"]\nunits = "{units}"\n\n# Scalar parameters',
        ),
        ('share = "collection_rate"', 'share = "collection"'),
    )


@dataclass(frozen=True)
class Case:
    """One bad model folder: the edit, the error class and the fixed text of its message."""

    edit: Callable[[Path], None]
    error: type[Exception]
    message: str
    cli: tuple[str, ...] = ()


CASES: dict[str, Case] = {
    "unknown top-level key": Case(
        lambda m: append_toml(m, "[extras]\nnote = 'x'\n"),
        msa.ConfigError,
        "model.toml: top level: unknown key 'extras'",
    ),
    "unknown key in a flow": Case(
        lambda m: edit_toml(m, ('flow_type = "trade"', 'flow_type = "trade"\nshares = 0.5')),
        msa.ConfigError,
        """model.toml: [flows."Market => Use"]: unknown key 'shares'""",
    ),
    "share = true": Case(
        lambda m: edit_toml(m, ('share = "collection_rate"', "share = true")),
        msa.ConfigError,
        """model.toml: [flows."Collection => Recycling"] share: give a name or a number, """
        "not true",
    ),
    "remainder = 'yes'": Case(
        lambda m: edit_toml(
            m,
            (
                '[flows."Collection => Disposal"]\nremainder = true',
                '[flows."Collection => Disposal"]\nremainder = "yes"',
            ),
        ),
        msa.ConfigError,
        """model.toml: [flows."Collection => Disposal"] remainder: Input should be a valid """
        "boolean (got 'yes')",
    ),
    "string where a number is needed": Case(
        lambda m: edit_toml(
            m, ("lifetime_mean = { value = 12,", 'lifetime_mean = { value = "12",')
        ),
        msa.ConfigError,
        "model.toml: [stocks.Use] lifetime.mean: parameter 'lifetime_mean' is not a number "
        "(got '12')",
    ),
    "sankey year as a string": Case(
        lambda m: edit_toml(m, ("sankey_years = [2025, 2035]", 'sankey_years = ["2025", 2035]')),
        msa.ConfigError,
        "model.toml: [outputs] sankey_years: Input should be a valid integer (got '2025')",
    ),
    "parameter outside its bounds": Case(
        lambda m: edit_toml(m, ("value = 0.55,", "value = 1.55,")),
        msa.ConfigError,
        "model.toml: [parameters.collection_rate]: value 1.55 is outside its bounds [0.0, 1.0]",
    ),
    "scenario override outside bounds": Case(
        lambda m: edit_toml(m, ("collection_rate = 0.85", "collection_rate = 1.85")),
        msa.ConfigError,
        "model.toml: [scenarios.high_collection] set.collection_rate: 1.85 is outside the "
        "bounds [0.0, 1.0] of parameter 'collection_rate'",
    ),
    "scenario override not a number": Case(
        lambda m: edit_toml(m, ("collection_rate = 0.85", 'collection_rate = "high"')),
        msa.ConfigError,
        "model.toml: [scenarios.high_collection] set.collection_rate: a number is required "
        "(got 'high')",
    ),
    "flow to an unknown process": Case(
        lambda m: edit_toml(
            m, ('[flows."Recycling => Secondary"]', '[flows."Recycling => Secundary"]')
        ),
        msa.ConfigError,
        """model.toml: [flows."Recycling => Secundary"]: unknown process 'Secundary'""",
    ),
    "parameter used but not declared": Case(
        lambda m: edit_toml(m, ('share = "collection_rate"', 'share = "collection_share"')),
        msa.ConfigError,
        """model.toml: [flows."Collection => Recycling"] share: 'collection_share' is not a """
        "declared table or parameter",
    ),
    "table used but not declared": Case(
        lambda m: edit_toml(m, ('value = "sales * content"', 'value = "sales * mass"')),
        msa.ConfigError,
        """model.toml: [flows."Market => Use"] value: 'mass' is not a declared table or """
        "parameter",
    ),
    "a flow nothing computes": Case(
        lambda m: edit_toml(
            m,
            (
                '[flows."Collection => Disposal"]\nremainder = true\n',
                '[flows."Collection => Disposal"]\n',
            ),
        ),
        msa.ConfigError,
        """model.toml: [flows."Collection => Disposal"]: nothing computes this flow""",
    ),
    "two ways for one flow": Case(
        lambda m: edit_toml(
            m, ('value = "sales * content"', 'value = "sales * content"\nshare = 0.5')
        ),
        msa.ConfigError,
        """model.toml: [flows."Market => Use"]: give one of value, share, remainder, function """
        "(got ['value', 'share'])",
    ),
    "a process no flow touches": Case(
        lambda m: append_toml(m, '[processes.Export]\nkind = "boundary"\n'),
        msa.ConfigError,
        "model.toml: [processes.Export]: no flow enters or leaves this process",
    ),
    "a transformation with no outflow": Case(
        lambda m: edit_toml(
            m, ('[processes.Secondary]\nkind = "boundary"\n', "[processes.Secondary]\n")
        ),
        msa.ConfigError,
        "model.toml: [processes.Secondary]: a transformation needs flows in and out",
    ),
    "a stock outflow without [stocks]": Case(
        lambda m: edit_toml(
            m,
            ("[stocks.Use]\n", ""),
            (
                'lifetime = { distribution = "normal", mean = "lifetime_mean", '
                'std = "lifetime_std" }\noutflow = "Use => Collection"\n',
                "",
            ),
        ),
        msa.ConfigError,
        "model.toml: [processes.Use]: stock process 'Use' has an outflow ('Use => Collection') "
        "but no [stocks.Use] lifetime",
    ),
    "[stocks] outflow not leaving the stock": Case(
        lambda m: edit_toml(
            m, ('outflow = "Use => Collection"', 'outflow = "Collection => Recycling"')
        ),
        msa.ConfigError,
        "model.toml: [stocks.Use] outflow: 'Collection => Recycling' does not leave 'Use'",
    ),
    "a loop without a stock": Case(
        lambda m: append_toml(m, '[flows."Recycling => Collection"]\nshare = 0.1\nunits = "t"\n'),
        msa.ConfigError,
        "model.toml: [flows]: these flows depend on each other in a loop: ",
    ),
    "a missing data file": Case(
        lambda m: (m / "data" / "content.csv").unlink(),
        msa.ConfigError,
        "model.toml: [data.content] file: 'data/content.csv' not found in ",
    ),
    "a table with a missing column": Case(
        lambda m: write_file(
            m, "data/content.csv", "material,value,units,source_id\nCu,2.5,kg/item,example\n"
        ),
        msa.DataError,
        "data/content.csv: missing column(s) ['grade'] (table 'content')",
    ),
    "a row with an unknown label": Case(
        lambda m: append_rows(m, "content", "Fe,30,kg/item,example,D,"),
        msa.DataError,
        "data/content.csv: row 4, column 'material': 'Fe' is not a material of the model",
    ),
    "a year outside the time range": Case(
        lambda m: append_rows(m, "sales", "2040,1400000,item,example,D,"),
        msa.DataError,
        "data/sales.csv: row 5, column 'year': 2040 is not a time of the model (2015-2035)",
    ),
    "a duplicate row": Case(
        lambda m: append_rows(m, "content", "Cu,2.6,kg/item,example,D,"),
        msa.DataError,
        "data/content.csv: rows 2 and 4 both give material='Cu'",
    ),
    "a missing combination": Case(
        lambda m: replace_row(m, "content", "Al,4.0,kg/item,example,D,illustrative", None),
        msa.DataError,
        "data/content.csv: no row for material='Al' (1 combination(s) missing)",
    ),
    "missing years without interpolate": Case(
        lambda m: edit_toml(m, ('interpolate = "linear"', 'interpolate = "none"')),
        msa.DataError,
        "data/sales.csv: no row for time=2016 (18 combination(s) missing)",
    ),
    "units that do not convert": Case(
        lambda m: replace_row(
            m, "content", "Cu,2.5,kg/item,example,D,illustrative", "Cu,2.5,m,example,D,"
        ),
        msa.DataError,
        "data/content.csv: row 2, column 'units': units 'm' cannot be converted to the "
        "declared 'kg/item'",
    ),
    "a semicolon CSV": Case(
        lambda m: write_file(
            m,
            "data/content.csv",
            "material;value;units;source_id;grade;note\nCu;2,5;kg/item;example;D;\n"
            "Al;4;kg/item;example;D;\n",
        ),
        msa.DataError,
        "data/content.csv: the columns are separated by ';' (a Dutch Excel export?)",
    ),
    "a decimal comma": Case(
        lambda m: replace_row(
            m, "content", "Cu,2.5,kg/item,example,D,illustrative", 'Cu,"2,5",kg/item,example,D,'
        ),
        msa.DataError,
        "data/content.csv: row 2, column 'value': '2,5' is not a finite number (a decimal "
        "comma? use '.')",
    ),
    "a share parameter above 1": Case(
        lambda m: edit_toml(
            m,
            (
                'value = 0.9, units = "1", source_id = "example", grade = "D", bounds = [0, 1]',
                'value = 1.2, units = "1", source_id = "example", grade = "D"',
            ),
        ),
        msa.DataError,
        """model.toml: [flows."Recycling => Secondary"] share ('recovery_rate'): a share must """
        "be within [0, 1] (got 1.2 (scalar))",
    ),
    "a share number above 1": Case(
        lambda m: edit_toml(m, ('share = "recovery_rate"', "share = 1.2")),
        msa.DataError,
        """model.toml: [flows."Recycling => Secondary"] share (1.2): a share must be within """
        "[0, 1] (got 1.2 (scalar))",
    ),
    "a share table above 1": Case(
        lambda m: _share_table(m, "Cu,0.5,1,example,D,\nAl,1.3,1,example,D,\n"),
        msa.DataError,
        """model.toml: [flows."Collection => Recycling"] share ('collection'): a share must be """
        "within [0, 1] (got 1.3 at material='Al')",
    ),
    "shares of a split not adding to 1": Case(
        lambda m: edit_toml(
            m,
            (
                '[flows."Collection => Disposal"]\nremainder = true',
                '[flows."Collection => Disposal"]\nshare = 0.3',
            ),
        ),
        msa.DataError,
        "model.toml: [processes.Collection]: the shares of its outflows ('collection_rate', "
        "0.3) do not add to 1 at time=2015, material='Cu'",
    ),
    "a remainder going negative": Case(
        lambda m: append_toml(m, '[flows."Collection => Secondary"]\nshare = 0.6\nunits = "t"\n'),
        msa.DataError,
        """model.toml: [flows."Collection => Disposal"] remainder: process 'Collection' sends """
        "out more than it receives (at time=2015, material='Cu': ",
    ),
    "values that do not balance": Case(
        lambda m: edit_toml(
            m,
            (
                '[flows."Recycling => Disposal"]\nremainder = true',
                '[flows."Recycling => Disposal"]\nvalue = "sales * content * 0.001"',
            ),
        ),
        msa.MassBalanceError,
        "model.toml: scenario 'baseline': ",
    ),
    "a function returning the wrong dims": Case(
        lambda m: _with_module(m, MODEL_PY_WRONG_DIMS),
        msa.ConfigError,
        """model.toml: [flows."Collection => Recycling"] function 'recycled': returned dims """
        "['time']; the flow declares dims ['time', 'material']",
    ),
    "a function missing from model.py": Case(
        lambda m: _with_module(m, MODEL_PY_WRONG_DIMS, function="repaired"),
        msa.ConfigError,
        """model.toml: [flows."Collection => Recycling"] function: model.py defines no """
        "function 'repaired'",
    ),
    "an unknown source id": Case(
        lambda m: replace_row(
            m, "content", "Al,4.0,kg/item,example,D,illustrative", "Al,4.0,kg/item,handbook,D,"
        ),
        msa.ProvenanceError,
        "data/content.csv: row 3, column 'source_id': 'handbook' is not in the sources table",
    ),
    "an unknown source id of a parameter": Case(
        lambda m: edit_toml(
            m,
            (
                'lifetime_std = { value = 4, units = "yr", source_id = "example"',
                'lifetime_std = { value = 4, units = "yr", source_id = "handbook"',
            ),
        ),
        msa.ProvenanceError,
        "model.toml: [parameters] lifetime_std source_id: 'handbook' is not in the sources table",
    ),
    "flows of a process in different units": Case(
        lambda m: edit_toml(
            m,
            (
                'share = "collection_rate"\nunits = "t"',
                'share = "collection_rate"\nunits = "kilotonne"',
            ),
        ),
        msa.ConfigError,
        """model.toml: [flows."Collection => Recycling"] units: 'kilotonne' differs from 't' """
        "of the other flows of process 'Collection'",
    ),
    "a lifetime parameter in mass units": Case(
        lambda m: edit_toml(
            m,
            (
                'lifetime_mean = { value = 12, units = "yr"',
                'lifetime_mean = { value = 12, units = "kg"',
            ),
        ),
        msa.ConfigError,
        "model.toml: [stocks.Use] lifetime.mean: units 'kg' cannot be converted to the "
        "declared 'yr'",
    ),
    "a grade E": Case(
        lambda m: replace_row(
            m, "content", "Al,4.0,kg/item,example,D,illustrative", "Al,4.0,kg/item,example,E,"
        ),
        msa.ProvenanceError,
        "data/content.csv: row 3, column 'grade': 'E' is not one of ['A', 'B', 'C', 'D']",
    ),
    "sankey year outside the time range": Case(
        lambda m: edit_toml(m, ("sankey_years = [2025, 2035]", "sankey_years = [2025, 2040]")),
        msa.ConfigError,
        "model.toml: [outputs] sankey_years: 2040 is outside 2015-2035",
    ),
    "unknown scenario": Case(
        lambda m: None,
        msa.ConfigError,
        "model.toml: unknown scenario 'nope'; known: baseline, high_collection (or 'all')",
        cli=("--scenario", "nope"),
    ),
}


SUPPLIERS = (
    "material,country,value,units,source_id,grade,note\n"
    "Cu,Chile,0.3,1,example,A,\nCu,Peru,0.1,1,example,B,\nAl,China,0.6,1,example,A,\n"
)
SUPPLIERS_TABLE = (
    '[data.suppliers]\nfile = "data/suppliers.csv"\ndims = ["material", "country"]\n'
    'own_dims = ["country"]\nunits = "1"\n'
)
IMPORT_AGE = (
    "[parameters]\n",
    '[parameters]\nimport_age = { value = 2.5, units = "yr", source_id = "example", grade = "D", '
    "bounds = [0, 30] }\n",
)

CASES.update(
    {
        "a row filter by a parameter holding a number": Case(
            lambda m: edit_toml(
                m,
                (
                    'units = "item"\n',
                    'units = "item"\nwhere = { kind = { parameter = "lifetime_mean" } }\n',
                ),
            ),
            msa.ConfigError,
            "model.toml: [data.sales] where.kind: parameter 'lifetime_mean' must hold a label "
            "(got 12)",
        ),
        "a row filter no row passes": Case(
            lambda m: edit_toml(
                m, ('units = "item"\n', 'units = "item"\nwhere = { note = "x" }\n')
            ),
            msa.DataError,
            "data/sales.csv: no row has note = 'x' (table 'sales'); the column holds "
            "['illustrative']",
        ),
        "a table with dims of its own in a value": Case(
            lambda m: (
                write_file(m, "data/suppliers.csv", SUPPLIERS),
                append_toml(m, SUPPLIERS_TABLE),
                edit_toml(m, ('value = "sales * content"', 'value = "sales * suppliers"')),
            ),
            msa.ConfigError,
            """model.toml: [flows."Market => Use"] value: table 'suppliers' has dims of its own """
            "['country']; only a function can use it",
        ),
        "an own dim that is a model dim": Case(
            lambda m: edit_toml(
                m,
                (
                    'dims = ["material"]\nunits',
                    'dims = ["material"]\nown_dims = ["material"]\nunits',
                ),
            ),
            msa.ConfigError,
            "model.toml: [data.content] own_dims: 'material' is a dim of the model, not its own",
        ),
        "an entry age of a flow that does not enter the stock": Case(
            lambda m: edit_toml(
                m,
                (
                    'outflow = "Use => Collection"\n',
                    'outflow = "Use => Collection"\n'
                    'entry_age = { "Collection => Recycling" = 3 }\n',
                ),
            ),
            msa.ConfigError,
            "model.toml: [stocks.Use] entry_age: 'Collection => Recycling' is not a declared flow "
            "into 'Use'",
        ),
        "an entry age that is not a whole number of years": Case(
            lambda m: edit_toml(
                m,
                IMPORT_AGE,
                (
                    'outflow = "Use => Collection"\n',
                    'outflow = "Use => Collection"\n'
                    'entry_age = { "Market => Use" = "import_age" }\n',
                ),
            ),
            msa.ConfigError,
            "model.toml: [stocks.Use] entry_age: parameter import_age = 2.5 (scenario 'baseline') "
            "must be a whole number of years between 0 and 30",
        ),
        "an unknown view to draw": Case(
            lambda m: edit_toml(
                m,
                ("sankey_years = [2025, 2035]", 'sankey_years = [2025, 2035]\nsankeys = ["pgaa"]'),
            ),
            msa.ConfigError,
            "model.toml: [outputs] sankeys: 'pgaa' is not 'system' nor a view ['jrc', "
            "'icer_national', 'pga']",
        ),
        "a process in a node its view lacks": Case(
            lambda m: edit_toml(
                m,
                (
                    'label_nl = "Apparaten in gebruik"\n',
                    'label_nl = "Apparaten in gebruik"\nviews = { pga = "Voorrad" }\n',
                ),
            ),
            msa.ConfigError,
            "model.toml: [processes.Use] views: 'Voorrad' is not a node of view 'pga' (nodes: "
            "['Winning NL', 'Import', ",
        ),
        "a process placed in an unknown view": Case(
            lambda m: edit_toml(
                m,
                (
                    'label_nl = "Apparaten in gebruik"\n',
                    'label_nl = "Apparaten in gebruik"\nviews = { pgaa = "Voorraad" }\n',
                ),
            ),
            msa.ConfigError,
            "model.toml: [processes.Use] views: unknown view 'pgaa'; use one of ['jrc', "
            "'icer_national', 'pga']",
        ),
        "a view Sankey with nothing to place": Case(
            lambda m: edit_toml(
                m,
                ("sankey_years = [2025, 2035]", 'sankey_years = [2025, 2035]\nsankeys = ["pga"]'),
            ),
            msa.ConfigError,
            "model.toml: [outputs] sankeys: view 'pga' has nothing to place: give processes a "
            "node in it",
        ),
        "a headline number of an undeclared indicator": Case(
            lambda m: edit_toml(
                m,
                (
                    'headline = ["stock Use", "Use => Collection", "Recycling => Secondary"]',
                    'headline = ["stock Use", { label = "x", indicator = "nope", year = 2025 }]',
                ),
            ),
            msa.ConfigError,
            "model.toml: [outputs] headline 'x' indicator: 'nope' is not a declared indicator",
        ),
        "an indicator both a ratio and a function": Case(
            lambda m: edit_toml(
                m,
                (
                    "[outputs.indicators.collection_rate]\n",
                    '[outputs.indicators.collection_rate]\nfunction = "rate"\n',
                ),
            ),
            msa.ConfigError,
            "model.toml: [outputs] indicators.collection_rate: give numerator and denominator, "
            "or function, not both",
        ),
        "an output table without model.py": Case(
            lambda m: append_toml(m, '[outputs.tables.extra]\nfunction = "extra"\n'),
            msa.ConfigError,
            "model.toml: [outputs.tables.extra] function: names a function but [model] declares "
            "no module",
        ),
    }
)


_OK_FUNCTION = (
    "def recycled(inputs):\n"
    "    return inputs.flows['Use => Collection'] * inputs.parameters['collection_rate']\n"
)

CASES.update(
    {
        "model code that exits while imported": Case(
            lambda m: _with_module(m, "import sys\n\nsys.exit(0)\n" + _OK_FUNCTION),
            msa.ModelCodeError,
            "m/model.py:3: it called sys.exit(0); model code must return or raise, never exit "
            "(while importing it)",
        ),
        "model code that raises in a function": Case(
            lambda m: _with_module(
                m, "def recycled(inputs):\n    raise KeyError('no such flow')\n"
            ),
            msa.ModelCodeError,
            "m/model.py:2: KeyError: 'no such flow' (in function 'recycled' of "
            '[flows."Collection => Recycling"])',
        ),
        "model code with a syntax error": Case(
            lambda m: _with_module(m, "def recycled(inputs)\n    return 1\n"),
            msa.ModelCodeError,
            "m/model.py:1: SyntaxError: expected ':' (while importing it)",
        ),
        "a module outside the model folder": Case(
            lambda m: (
                _with_module(m, _OK_FUNCTION),
                write_file(m, "../outside.py", _OK_FUNCTION),
                edit_toml(m, ('module = "model.py"', 'module = "../outside.py"')),
            ),
            msa.ConfigError,
            "model.toml: [model] module: '../outside.py' lies outside the model folder",
        ),
        "a lifetime parameter out of range names its key": Case(
            lambda m: edit_toml(m, ("lifetime_std = { value = 4,", "lifetime_std = { value = -4,")),
            msa.ConfigError,
            "model.toml: [stocks.Use] lifetime std = 'lifetime_std' ([parameters] "
            "lifetime_std): NormalLifetime: std must be > 0 (got -4.0)",
        ),
        "a negative year in a table": Case(
            lambda m: replace_row(
                m,
                "sales",
                "2025,1200000,item,example,D,illustrative",
                "-5,1200000,item,example,D,illustrative",
            ),
            msa.DataError,
            "data/sales.csv: row 3, column 'year': '-5' is not a year (a whole year between "
            "1000 and 2999)",
        ),
        "a fractional year in row 3": Case(
            lambda m: replace_row(
                m,
                "sales",
                "2025,1200000,item,example,D,illustrative",
                "2025.5,1200000,item,example,D,illustrative",
            ),
            msa.DataError,
            "data/sales.csv: row 3, column 'year': '2025.5' is not a year",
        ),
        "years out of range": Case(
            lambda m: edit_toml(m, ("end = 2035", "end = 20350")),
            msa.ConfigError,
            "model.toml: [dims] time: years 2015-20350 are outside 1000-2999",
        ),
        "an unknown jrc_code": Case(
            lambda m: edit_toml(
                m, ('flow_type = "trade"', 'flow_type = "trade"\njrc_code = "maybe"')
            ),
            msa.ConfigError,
            "model.toml: [flows.\"Market => Use\"] jrc_code: unknown JRC code 'maybe'",
        ),
        "a flow that overflows": Case(
            lambda m: replace_row(
                m,
                "sales",
                "2025,1200000,item,example,D,illustrative",
                "2025,1.7e308,item,example,D,illustrative",
            ),
            msa.DataError,
            'model.toml: [flows."Market => Use"]: computed a non-finite value inf at '
            "time=2018, material='Al'",
        ),
        "a table without its year column": Case(
            lambda m: replace_row(
                m,
                "sales",
                "year,value,units,source_id,grade,note",
                "jaar,value,units,source_id,grade,note",
            ),
            msa.DataError,
            "data/sales.csv: missing column(s) ['year'] (table 'sales')",
        ),
    }
)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_model_is_refused(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """One edit of the template: the right error naming the place, from the API and the CLI."""
    spec = CASES[case]
    model = _template(tmp_path)
    spec.edit(model)
    scenario = spec.cli[1] if spec.cli else "baseline"
    with pytest.raises(msa.MsaError, match=re.escape(spec.message)) as err:
        build(model, scenario)
    assert type(err.value) is spec.error
    line = assert_cli_refuses(model, capsys, *spec.cli, match=re.escape(spec.message))
    assert str(model) in line  # the file at fault is named by its full path


# -- good folders ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(_template(tmp_path_factory.mktemp("template")))


def test_template_builds_and_balances(template_built: Built) -> None:
    """The template balances, with a stock, every flow over time and material, graded D."""
    system = template_built.system
    assert_balanced(system)
    assert set(system.stocks) == {"Use"}
    for name, flow in system.flows.items():
        assert flow.dims == ("time", "material"), name
        assert float(flow.min()) >= 0.0, name
        grades = system.provenance[name]["grade"]
        assert set(np.unique(grades.values)) == {"D"}, name
    sold = system.flows["Market => Use"].sel(time=2015)
    assert sold.sel(material="Cu").item() == pytest.approx(1_000_000 * 2.5 / 1000)  # kg -> t


def test_template_stock_is_cumulative_net_inflow(template_built: Built) -> None:
    """The stock is what entered minus what left, year by year."""
    system = template_built.system
    net = system.flows["Market => Use"] - system.flows["Use => Collection"]
    level = system.stocks["Use"]["stock"]
    np.testing.assert_allclose(level.values, net.cumsum("time").values, rtol=1e-9)


def test_rows_in_convertible_units_give_the_same_flows(tmp_path: Path) -> None:
    """A row in g/item in a kg/item table is converted: the flows are those of the kg value."""
    model = _template(tmp_path)
    replace_row(
        model, "content", "Cu,2.5,kg/item,example,D,illustrative", "Cu,2500,g/item,example,D,"
    )
    converted = build(model)
    reference = build(_template(tmp_path / "ref"))
    assert converted.data["content"].value.sel(material="Cu").item() == pytest.approx(2.5)
    for name, flow in reference.system.flows.items():
        np.testing.assert_allclose(converted.system.flows[name], flow, rtol=1e-12, err_msg=name)


def test_lifetime_parameters_are_converted_to_years(tmp_path: Path) -> None:
    """A lifetime given in months gives the flows of the same lifetime in years."""
    model = _template(tmp_path)
    edit_toml(
        model,
        (
            'lifetime_mean = { value = 12, units = "yr"',
            'lifetime_mean = { value = 144, units = "month"',
        ),
        (
            'lifetime_std = { value = 4, units = "yr"',
            'lifetime_std = { value = 48, units = "month"',
        ),
    )
    converted = build(model)
    reference = build(_template(tmp_path / "ref"))
    for name, flow in reference.system.flows.items():
        np.testing.assert_allclose(converted.system.flows[name], flow, rtol=1e-9, err_msg=name)


def test_function_flow_from_model_py(tmp_path: Path) -> None:
    """A model.py function with the declared dims builds, balances and is graded by its needs."""
    model = _template(tmp_path)
    _with_module(
        model,
        "def recycled(inputs):\n"
        "    return inputs.flows['Use => Collection'] * inputs.parameters['collection_rate']\n",
    )
    replace_row(
        model, "content", "Cu,2.5,kg/item,example,D,illustrative", "Cu,2.5,kg/item,example,C,"
    )
    built = build(model)
    assert_balanced(built.system)
    expected = built.system.flows["Use => Collection"] * 0.55
    np.testing.assert_allclose(built.system.flows["Collection => Recycling"], expected)
    prov = built.system.provenance["Collection => Recycling"]
    assert set(np.unique(prov["grade"].values)) == {"D"}
    assert set(np.unique(prov["source_id"].values)) == {"example"}
    assert not (model / "__pycache__").exists()  # importing model.py writes nothing there


def test_function_needing_a_table_with_other_dims(tmp_path: Path) -> None:
    """A function's grade and source come from all it needs, summed down to its own dims."""
    model = _template(tmp_path)
    _with_module(
        model,
        "def recycled(inputs):\n"
        "    return inputs.flows['Use => Collection'] * inputs.parameters['collection_rate']\n",
    )
    edit_toml(model, ('needs = ["Use => Collection"]', 'needs = ["Use => Collection", "sales"]'))
    replace_row(
        model, "sales", "2025,1200000,item,example,D,illustrative", "2025,1200000,item,example,A,"
    )
    built = build(model)
    prov = built.system.provenance["Collection => Recycling"]
    assert prov["grade"].dims == ("time", "material")
    assert set(np.unique(prov["grade"].values)) == {"D"}
    assert set(np.unique(prov["source_id"].values)) == {"example"}


def test_function_over_fewer_dims_and_its_remainder(tmp_path: Path) -> None:
    """A function summed over material: its remainder is taken from the summed inflow."""
    model = _template(tmp_path)
    _with_module(
        model,
        "def recycled(inputs):\n"
        "    return inputs.flows['Use => Collection'].sum('material') * 0.55\n",
    )
    edit_toml(model, ('dims = ["time", "material"]', 'dims = ["time"]'))
    built = build(model)
    assert_balanced(built.system)
    rest = built.system.flows["Collection => Disposal"]
    collected = built.system.flows["Use => Collection"].sum("material")
    assert rest.dims == ("time",)
    np.testing.assert_allclose(rest, collected * 0.45, rtol=1e-9)
    assert built.system.provenance["Collection => Recycling"]["source_id"].dims == ("time",)


def test_share_table_in_percent_is_converted(tmp_path: Path) -> None:
    """A share table declared in % gives the same flows as the same shares as fractions."""
    model = _template(tmp_path)
    _share_table(model, "Cu,55,%,example,D,\nAl,0.55,1,example,D,\n", units="%")
    reference = build(_template(tmp_path / "ref"))
    built = build(model)
    for name, flow in reference.system.flows.items():
        np.testing.assert_allclose(built.system.flows[name], flow, rtol=1e-12, err_msg=name)


def test_interpolated_years_are_linear_and_graded_b_at_best(tmp_path: Path) -> None:
    """A year between two given ones is interpolated linearly and graded no better than B."""
    model = _template(tmp_path)
    for year, value in ((2015, 1000000), (2025, 1200000), (2035, 1300000)):
        replace_row(
            model,
            "sales",
            f"{year},{value},item,example,D,illustrative",
            f"{year},{value},item,example,A,",
        )
    for material, value in (("Cu", "2.5"), ("Al", "4.0")):
        replace_row(
            model,
            "content",
            f"{material},{value},kg/item,example,D,illustrative",
            f"{material},{value},kg/item,example,A,",
        )
    for name, value in (("lifetime_mean", 12), ("lifetime_std", 4)):
        given = f'{name} = {{ value = {value}, units = "yr", source_id = "example", grade = '
        edit_toml(model, (given + '"D"', given + '"A"'))
    built = build(model)
    sales = built.data["sales"]
    assert sales.value.sel(time=2020).item() == pytest.approx(1_100_000)
    assert sales.value.sel(time=2031).item() == pytest.approx(1_260_000)
    grades = sales.grades()
    assert grades.sel(time=2015).item() == "A" and grades.sel(time=2025).item() == "A"
    assert grades.sel(time=2020).item() == "B"
    sold = built.system.provenance["Market => Use"]["grade"]
    assert set(sold.sel(time=2020).values) == {"B"} and set(sold.sel(time=2025).values) == {"A"}
    # the stock at t rests on every inflow up to t: B from 2016 on, even in 2025
    stock = built.system.provenance["stock Use"]["grade"]
    assert set(stock.sel(time=2015).values) == {"A"}
    assert set(stock.sel(time=slice(2016, 2035)).values.ravel()) == {"B"}


def test_interpolation_is_no_better_than_its_ends_and_holds_the_last_value(tmp_path: Path):
    """Between a C and an A year: C; after the last given year: that year's value and grade."""
    model = _template(tmp_path)
    replace_row(
        model, "sales", "2015,1000000,item,example,D,illustrative", "2015,1000000,item,example,C,"
    )
    replace_row(
        model, "sales", "2025,1200000,item,example,D,illustrative", "2025,1200000,item,example,A,"
    )
    replace_row(model, "sales", "2035,1300000,item,example,D,illustrative", None)
    sales = build(model).data["sales"]
    assert sales.grades().sel(time=2020).item() == "C"
    assert sales.value.sel(time=2030).item() == pytest.approx(1_200_000)
    assert set(sales.grades().sel(time=slice(2026, 2035)).values) == {"B"}


@pytest.mark.slow
@pytest.mark.chromium
@pytest.mark.xdist_group("model_definition_run")
def test_template_runs_both_scenarios(
    tmp_path: Path, image_server: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`msa run --scenario all` writes every standard output of each scenario."""
    model = _template(tmp_path)
    before = _snapshot(model)
    out = tmp_path / "out"
    assert main(["run", str(model), "--out", str(out), "--scenario", "all"]) == 0
    assert _snapshot(model) == before
    for scenario in ("baseline", "high_collection"):
        folder = out / scenario
        for rel in (
            "system.nc",
            "tables/flows.csv",
            "tables/stocks.csv",
            "headline.csv",
            "quality.csv",
            "indicators.csv",
            "report.md",
            "report.html",
            "manifest.json",
            "figures/sankey_2035.png",
        ):
            assert (folder / rel).is_file(), f"{scenario}: {rel}"
    flows = {
        s: pd.read_csv(out / s / "tables" / "flows.csv").groupby("flow")["value"].sum()
        for s in ("baseline", "high_collection")
    }
    moved = "Collection => Recycling"
    assert flows["high_collection"][moved] == pytest.approx(flows["baseline"][moved] * 0.85 / 0.55)
    system = msa.read_system(out / "baseline" / "system.nc")
    assert_balanced(system)


@pytest.mark.slow
@pytest.mark.chromium
@pytest.mark.xdist_group("model_definition_run")
def test_run_model_api_writes_one_scenario(tmp_path: Path, image_server: None) -> None:
    """msa.run_model of one scenario writes into the output folder itself."""
    model = _template(tmp_path)
    out = tmp_path / "out"
    assert msa.run_model(model, out, scenarios=["high_collection"]) == [out]
    quality = pd.read_csv(out / "quality.csv")
    assert "flow Market => Use" in set(quality["inputs"])
    assert (out / "figures" / "sankey_2035.png").is_file()


def test_new_refuses_a_non_empty_folder(tmp_path: Path, capsys) -> None:
    """`msa new` never writes into a folder that holds something."""
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(msa.OutputExistsError, match="exists and is not empty"):
        msa.new_model(folder)
    capsys.readouterr()
    assert main(["new", str(folder)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("msa: error: ")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_new_writes_a_model_that_loads(tmp_path: Path) -> None:
    """`msa new DIR` writes the template under the folder's name."""
    assert main(["new", str(tmp_path / "copper_nl")]) == 0
    definition = msa.load_definition(tmp_path / "copper_nl")
    assert definition.name == "copper_nl"
    assert definition.scenario_names(["all"]) == ["baseline", "high_collection"]


def test_template_files_are_the_packaged_ones(tmp_path: Path) -> None:
    """The copy is the package data (apart from the name): nothing else is written."""
    model = _template(tmp_path)
    assert sorted(str(p.relative_to(model)) for p in model.rglob("*")) == [
        "data",
        "data/content.csv",
        "data/sales.csv",
        "data/sources.csv",
        "model.toml",
    ]


# -- features for product models: row filters, used inflows, views, outputs by function --------


def _grade_inputs(model: Path, grade: str) -> None:
    """Give every table row and parameter of the template ``grade``."""
    for rel in ("data/sales.csv", "data/content.csv"):
        path = model / rel
        path.write_text(path.read_text(encoding="utf-8").replace(",D,", f",{grade},"), "utf-8")
    toml = model / "model.toml"
    text = toml.read_text(encoding="utf-8").replace('grade = "D"', f'grade = "{grade}"')
    toml.write_text(text, encoding="utf-8")


def test_row_filter_by_label_and_by_parameter(tmp_path: Path) -> None:
    """`where` keeps rows by a label or a parameter's value; the latter's grade joins theirs."""
    model = _template(tmp_path)
    _grade_inputs(model, "A")
    path = model / "data" / "sales.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [f"{line},new" for line in lines[1:]]
    rows += [line.replace(",1", ",9", 1) + ",old" for line in lines[1:]]
    path.write_text("\n".join([lines[0] + ",kind", *rows]) + "\n", encoding="utf-8")
    reference = build(_template(tmp_path / "ref"))
    edit_toml(model, ('units = "item"\n', 'units = "item"\nwhere = { kind = "new" }\n'))
    built = build(model)
    np.testing.assert_allclose(built.data["sales"].value, reference.data["sales"].value)
    assert set(built.system.provenance["Market => Use"]["grade"].values.ravel()) <= {"A", "B"}
    edit_toml(
        model,
        ('where = { kind = "new" }', 'where = { kind = { parameter = "sales_kind" } }'),
        ("[parameters]\n", '[parameters]\nsales_kind = { value = "new", source_id = "example", '
         'grade = "C" }\n'),
    )  # fmt: skip
    append_toml(model, '[scenarios.old]\nset = { sales_kind = "old" }\n')
    definition = msa.load_definition(model)
    built = msa.build_model(definition, "baseline")
    np.testing.assert_allclose(built.data["sales"].value, reference.data["sales"].value)
    assert set(built.system.provenance["Market => Use"]["grade"].values.ravel()) == {"C"}
    assert built.parameter_grades["sales_kind"].grades().item() == "C"
    old = msa.build_model(definition, "old")
    assert float(old.data["sales"].value.sel(time=2015)) == pytest.approx(9_000_000)
    assert set(old.system.provenance["Market => Use"]["grade"].values.ravel()) == {"D"}


USED_IMPORTS = """
[processes.Imports]
kind = "boundary"

[flows."Imports => Use"]
value = "used_sales * content"
units = "t"

[data.used_sales]
file = "data/used_sales.csv"
dims = ["time"]
units = "item"
"""


def _with_used_imports(model: Path, age: str) -> None:
    rows = "".join(f"{y},{0 if y < 2020 else 100000},item,example,A,\n" for y in range(2015, 2036))
    write_file(model, "data/used_sales.csv", "year,value,units,source_id,grade,note\n" + rows)
    append_toml(model, USED_IMPORTS)
    edit_toml(
        model,
        ("[parameters]\n", '[parameters]\nimport_age = { value = ' + age + ', units = "yr", '
         'source_id = "example", grade = "D", bounds = [0, 30] }\n'),
        ('outflow = "Use => Collection"\n', 'outflow = "Use => Collection"\nentry_age = '
         '{ "Imports => Use" = "import_age" }\nby_cohort = true\n'),
    )  # fmt: skip


def test_used_inflow_ages_as_survivors_of_an_older_cohort(tmp_path: Path) -> None:
    """An inflow entering 3 years old: S(t - c + 3 + 1/2) / S(3 - 1/2) of it is left in t."""
    model = _template(tmp_path)
    _grade_inputs(model, "A")
    _with_used_imports(model, "3")
    built = build(model)
    assert_balanced(built.system)
    fleet = built.stock_models["Use"]
    one = xr.DataArray(np.eye(21)[5], coords={"time": list(range(2015, 2036))}, dims="time")
    left = fleet.run({"Imports => Use": one})["stock"]  # one item imported in 2020
    life = msa.NormalLifetime(mean=12, std=4)
    expected = life.survival(2030 - 2017 + 0.5) / life.survival(2020 - 0.5 - 2017)
    assert float(left.sel(time=2030)) == pytest.approx(float(expected), rel=1e-12)
    new = fleet.run({"Market => Use": one})["stock"]
    assert float(left.sel(time=2030)) < float(new.sel(time=2030))
    stock = built.system.stocks["Use"]
    np.testing.assert_allclose(stock["stock_by_cohort"].sum("cohort"), stock["stock"])
    both = fleet.run({f: built.system.flows[f] for f in ("Market => Use", "Imports => Use")})
    np.testing.assert_allclose(both["stock"], stock["stock"], rtol=1e-12)
    assert set(built.system.provenance["stock Use"]["grade"].values.ravel()) == {"D"}
    # entering at age 0 is entering new
    again = _template(tmp_path / "zero")
    _with_used_imports(again, "0")
    zero_built = build(again)
    zero = zero_built.system.stocks["Use"]["stock"]
    plain = msa.inflow_driven(
        sum(zero_built.system.flows[f] for f in ("Market => Use", "Imports => Use")), life
    )
    np.testing.assert_allclose(zero, plain["stock"].transpose(*zero.dims), rtol=1e-12)


def test_a_lifetime_factor_of_one_adds_no_grade(tmp_path: Path) -> None:
    """A factor of 1 changes nothing: neither it nor its start year grades the stock."""
    model = _template(tmp_path)
    _grade_inputs(model, "A")
    edit_toml(
        model,
        ("[parameters]\n", '[parameters]\nlonger = { value = 1.0, source_id = "example", grade = '
         '"D" }\nlonger_from = { value = 2025, units = "yr", source_id = "example", grade = '
         '"D" }\n'),
        ('std = "lifetime_std" }', 'std = "lifetime_std", cohort_factor = "longer", '
         'cohort_factor_from = "longer_from" }'),
    )  # fmt: skip
    grades = build(model).system.provenance["stock Use"]["grade"]
    assert set(grades.values.ravel()) <= {"A", "B"}
    edit_toml(model, ("longer = { value = 1.0,", "longer = { value = 1.2,"))
    grades = build(model).system.provenance["stock Use"]["grade"]
    assert set(grades.values.ravel()) == {"D"}


OUTPUTS_PY = '''\
"""Output functions of a test model."""

import pandas as pd
import plotly.graph_objects as go


def largest_supplier(built):
    """The largest supplier's share, by material (a table with a dim of its own)."""
    return built.data["suppliers"].value.max("country")


def sold_by_material(built):
    """Sales by year and material."""
    sold = built.system.flows["Market => Use"].to_series().rename("value").reset_index()
    return sold.assign(units="t")


def sold_figure(built):
    """A figure of the sales."""
    return go.Figure(go.Scatter(y=[1, 2]))
'''

OUTPUTS_TOML = """
[outputs.indicators.largest_supplier]
function = "largest_supplier"
by = "material"

[outputs.tables.sold]
function = "sold_by_material"

[outputs.figures.sold]
function = "sold_figure"
"""


def test_outputs_by_function_views_and_labelled_headline(tmp_path: Path) -> None:
    """Indicators, tables and figures by function; view Sankeys; labelled headline numbers."""
    from msa.model.outputs import model_result

    model = _template(tmp_path)
    write_file(model, "data/suppliers.csv", SUPPLIERS)
    write_file(model, "model.py", OUTPUTS_PY)
    append_toml(model, SUPPLIERS_TABLE + OUTPUTS_TOML)
    edit_toml(
        model,
        ('sources = "data/sources.csv"\n', 'sources = "data/sources.csv"\nmodule = "model.py"\n'),
        ('value = "sales * content"\n', 'value = "sales * content"\njrc_code = "D.1.1"\n'),
        ('outflow = "Use => Collection"\n', 'outflow = "Use => Collection"\n'
         'jrc_code = "E.1.1"\nchange_jrc_code = "E.1.7"\n'),
        ("sankey_years = [2025, 2035]", 'sankey_years = [2025, 2035]\nsankeys = ["system", "pga"]\n'
         'notes = ["A note."]\nreport_figures = ["sankey_pga_2025", "sold"]'),
        ('headline = ["stock Use", "Use => Collection", "Recycling => Secondary"]',
         'headline = ["stock Use", '
         '{ label = "Cu sold 2025-2026", sum = ["Market => Use"], years = [2025, 2026], '
         'where = { material = "Cu" } }, '
         '{ label = "largest Al supplier", indicator = "largest_supplier", year = 2030, '
         'where = { material = "Al" } }, '
         '{ label = "Al sold 2025", table = "sold", column = "value", year = 2025, '
         'where = { material = "Al" } }]'),
    )  # fmt: skip
    built = build(model)
    result = model_result(built)
    sold = built.system.flows["Market => Use"]
    head = result.headline["value"]
    assert head["Cu sold 2025-2026"] == pytest.approx(
        float(sold.sel(material="Cu", time=[2025, 2026]).sum())
    )
    assert head["largest Al supplier"] == pytest.approx(0.6)
    assert head["Al sold 2025"] == pytest.approx(float(sold.sel(material="Al", time=2025)))
    assert result.headline.loc["Cu sold 2025-2026", "units"] == "t"
    series = result.tables["indicator_series"]
    assert list(series.columns) == ["indicator", "material", "time", "value"]
    largest = series[series["indicator"] == "largest_supplier"]
    assert set(largest["material"]) == {"Cu", "Al"} and len(largest) == 2 * 21
    assert float(largest[largest["material"] == "Cu"]["value"].iloc[0]) == pytest.approx(0.3)
    assert {"sold", "pga_links", "pga_out_of_scope"} <= set(result.tables)
    assert {"sankey_2025", "sankey_pga_2025", "sankey_pga_2035", "sold"} <= set(result.figures)
    assert list(result.report_figures) == ["sankey_pga_2025", "sold"]
    assert result.notes[-1] == "A note."
    change = built.system.parameters["net addition to stock (E.1.7)"]
    np.testing.assert_allclose(change, built.system.stocks["Use"]["stock_change"])
    assert built.system.stocks["Use"].attrs["jrc_code"] == "E.1.1"
    links = result.tables["pga_links"]
    drawn = links[(links["year"] == 2025) & (links["jrc_codes"] == "D.1.1")]["value"].sum()
    assert drawn == pytest.approx(float(sold.sel(time=2025).sum()))
    quality = result.quality
    assert quality.loc["table suppliers", "n"] == 3  # the cells given, not the gaps
