"""Tests of msa.load_example: the small balanced seven-stage system shipped as package data."""

from __future__ import annotations

from importlib.resources import files

import numpy as np

import msa

STAGES = [
    "Exploration",
    "Extraction",
    "Processing",
    "Manufacture",
    "Use",
    "Collection",
    "Recycling",
]
DUTCH = ["Exploratie", "Winning", "Verwerking", "Fabricage", "Gebruik", "Inzameling", "Recycling"]


def test_stage_processes_have_stable_ids_and_labels() -> None:
    """The seven JRC stages are processes with their stage name as id and Dutch labels."""
    s = msa.load_example()
    for pid, nl in zip(STAGES, DUTCH, strict=True):
        proc = s.processes[pid]
        assert proc.stage == pid
        assert proc.label("nl") == nl
        assert proc.label("en") == pid
    assert {p for p, proc in s.processes.items() if proc.kind == "stock"} == {"Exploration", "Use"}
    assert {p for p, proc in s.processes.items() if proc.kind == "boundary"} == {
        "Imports",
        "Exports",
        "Tailings",
        "Losses",
        "Landfill",
    }


def test_dims_and_units() -> None:
    """Five years and two materials, everything in tonnes."""
    s = msa.load_example()
    assert list(s.years) == [2019, 2020, 2021, 2022, 2023]
    assert list(s.coords["material"]) == ["Co", "Li"]
    assert {da.attrs["units"] for da in s.flows.values()} == {"t"}
    assert all(da.dims == ("time", "material") for da in s.flows.values())


def test_loops_trade_and_stocks() -> None:
    """There is a recycling loop, trade at several stages, and stock changes in Use."""
    s = msa.load_example()
    assert {"Recycling => Processing", "Recycling => Manufacture"} <= set(s.flows)
    assert len(s.outflows("Imports")) >= 3 and len(s.inflows("Exports")) >= 4
    use = s.stocks["Use"]
    assert (use["stock_change"] > 0).all()
    np.testing.assert_array_equal(
        use["stock_change"].values[1:], np.diff(use["stock"].values, axis=0)
    )
    assert (s.stocks["Exploration"]["stock_change"] < 0).all()


def test_balanced_and_structurally_sound() -> None:
    """The example balances exactly and has no structural problems."""
    s = msa.load_example()
    msa.testing.assert_balanced(s, rtol=0.0)
    assert s.structure_problems() == []


def test_every_value_is_illustrative_grade_d() -> None:
    """Every value points to the 'example' source (illustrative, not real) with grade D."""
    s = msa.load_example()
    assert list(s.sources.index) == ["example"]
    assert "not real statistics" in s.sources.loc["example", "title"]
    for prov in s.provenance.values():
        assert set(np.unique(prov["source_id"].values)) == {"example"}
        assert set(np.unique(prov["grade"].values)) == {"D"}


def test_copies_are_independent() -> None:
    """Changing one loaded example does not change the next."""
    first = msa.load_example()
    first.flows["Use => Collection"].values[:] = 0.0
    assert float(msa.load_example().flows["Use => Collection"].sum()) > 0


def test_shipped_as_package_data() -> None:
    """The example tables are package data under msa/data/example."""
    root = files("msa").joinpath("data", "example")
    for name in ("processes", "sources", "dims", "flows", "stocks", "parameters", "system"):
        assert root.joinpath(f"{name}.csv").is_file()
