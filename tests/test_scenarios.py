"""Tests of the scenarios of a declared model: which ones run, and what an override changes.

The model is the tiny declared model of conftest.py (``tiny_model``): scenarios ``baseline``,
``double`` (``factor = 2``) and, with ``failing=True``, ``boom`` (its table swapped for one with
a negative value).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import msa
from msa.model.run import RunInfo

FLOW = "Collection => Recycling"  # collected * factor
IMPORT = "Import => Recycling"  # the parameter imported, no scenario sets it


def _grade(built: msa.model.Built, flow: str) -> set[str]:
    return set(built.system.provenance[flow]["grade"].values.ravel())


def _graded_a(folder: Path) -> None:
    """Grade every input of the tiny model A, so a scenario's own grade shows."""
    for rel in ("model.toml", "data/collected.csv"):
        path = folder / rel
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('grade = "D"', 'grade = "A"').replace(",D\n", ",A\n"), "utf-8")


def test_scenario_names_default_all_named_and_unknown(tiny_model: Callable[..., Path]) -> None:
    """None asked means baseline, 'all' every scenario (baseline first), an unknown name fails."""
    definition = msa.load_definition(tiny_model(failing=True))
    assert definition.scenario_names(None) == ["baseline"]
    assert definition.scenario_names([]) == ["baseline"]
    assert definition.scenario_names(["all"]) == ["baseline", "double", "boom"]
    assert definition.scenario_names(["double", "baseline", "double"]) == ["double", "baseline"]
    message = (
        f"{definition.path}: unknown scenario 'nope'; known: baseline, double, boom (or 'all')"
    )
    with pytest.raises(msa.ConfigError, match=re.escape(message)):
        definition.scenario_names(["double", "nope"])


def test_override_applies_only_to_its_scenario_with_its_grade(
    tiny_model: Callable[..., Path],
) -> None:
    """A scenario changes the values resting on what it sets, graded D; the rest stays."""
    folder = tiny_model()
    _graded_a(folder)
    definition = msa.load_definition(folder)
    base, double = (msa.build_model(definition, s) for s in ("baseline", "double"))
    assert base.parameters["factor"] == 1.0 and double.parameters["factor"] == 2.0
    assert double.system.flows[FLOW].values.tolist() == [2.0, 4.0, 6.0]
    assert base.system.flows[FLOW].values.tolist() == [1.0, 2.0, 3.0]
    assert double.system.flows[IMPORT].equals(base.system.flows[IMPORT])
    assert _grade(base, FLOW) == {"A"} and _grade(double, FLOW) == {"D"}
    assert _grade(double, IMPORT) == {"A"}


def test_scenario_grade_and_declared_baseline(tiny_model: Callable[..., Path]) -> None:
    """A scenario's own grade replaces D; a declared [scenarios.baseline] overrides too."""
    folder = tiny_model()
    _graded_a(folder)
    toml = folder / "model.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace("set = { factor = 2.0 }\n", 'set = { factor = 2.0 }\ngrade = "B"\n')
    text += '\n[scenarios.baseline]\ndescription = "three times"\nset = { factor = 3.0 }\n'
    toml.write_text(text, encoding="utf-8")
    definition = msa.load_definition(folder)
    assert definition.scenario_names(["all"]) == ["baseline", "double"]
    assert _grade(msa.build_model(definition, "double"), FLOW) == {"B"}
    base = msa.build_model(definition, "baseline")
    assert base.system.flows[FLOW].values.tolist() == [3.0, 6.0, 9.0]
    assert _grade(base, FLOW) == {"D"}


def test_scenario_swaps_a_table(tiny_model: Callable[..., Path]) -> None:
    """A scenario's table replaces the declared one: its rows are read, its file hashed."""
    folder = tiny_model(failing=True)
    definition = msa.load_definition(folder)
    msa.build_model(definition, "baseline")
    with pytest.raises(
        msa.DataError, match=r"collected_bad\.csv: row 3, column 'value': negative value -2\.0"
    ):
        msa.build_model(definition, "boom")
    inputs = {p.name for p in RunInfo.of_definition(definition, "boom", {}).inputs}
    assert "collected_bad.csv" in inputs and "collected.csv" not in inputs
