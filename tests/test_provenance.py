"""Tests of msa.provenance: sources tables, grades and per-value provenance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from msa.errors import ProvenanceError
from msa.system.provenance import (
    GRADES,
    SOURCE_FIELDS,
    combine_provenance,
    make_sources,
    provenance_for,
    validate_grades,
    worst_grade,
)


def _values() -> xr.DataArray:
    return xr.DataArray(
        np.ones((2, 2)), dims=("time", "material"), coords={"time": [1, 2], "material": ["a", "b"]}
    )


def test_make_sources_normalises() -> None:
    """Every JRC metadata column exists, empty where not given, indexed by source_id."""
    src = make_sources([{"source_id": " jrc ", "title": "MSA", "year": 2020, "extra": None}])
    assert list(src.index) == ["jrc"]
    assert src.loc["jrc", "year"] == "2020"
    assert src.loc["jrc", "extra"] == ""
    assert set(SOURCE_FIELDS) - {"source_id"} <= set(src.columns)


def test_make_sources_accepts_indexed_frame_and_none() -> None:
    """A frame indexed by source_id and an empty table both work."""
    frame = pd.DataFrame({"title": ["t"]}, index=pd.Index(["s"], name="source_id"))
    assert list(make_sources(frame).index) == ["s"]
    assert make_sources(None).empty


@pytest.mark.parametrize(
    ("records", "match"),
    [
        ([{"title": "x"}], r"missing column\(s\) \['source_id'\]"),
        ([{"source_id": "", "title": "x"}], "row 2: empty source_id"),
        ([{"source_id": "a", "title": "x"}, {"source_id": "a", "title": "y"}], "row 3: duplicate"),
        ([{"source_id": "a", "title": " "}], "source 'a' has an empty title"),
    ],
)
def test_make_sources_rejects(records: list[dict[str, str]], match: str) -> None:
    """Bad sources tables raise ProvenanceError naming the row."""
    with pytest.raises(ProvenanceError, match=match):
        make_sources(records, origin="sources.csv")


def test_validate_grades() -> None:
    """JRC grades A-D and empty pass; others fail, CLO grades allowed on request."""
    validate_grades(np.array(list(GRADES) + [""]), where="x")
    with pytest.raises(ProvenanceError, match=r"x: unknown data-quality grade\(s\) \['E'\]"):
        validate_grades(np.array(["A", "E"]), where="x")
    validate_grades(np.array(["E", "F"]), where="x", allowed=("A", "B", "C", "D", "E", "F"))


def test_provenance_for_broadcasts_scalars() -> None:
    """One source id and grade for all values broadcasts to the value shape."""
    src = make_sources([{"source_id": "s", "title": "t"}])
    prov = provenance_for(_values(), source_id="s", grade="B", sources=src, where="flow")
    assert prov["source_id"].shape == (2, 2)
    assert set(prov["grade"].values.ravel()) == {"B"}


def test_provenance_for_per_value_and_missing() -> None:
    """Per-value arrays are kept; None means not given (empty strings)."""
    src = make_sources([{"source_id": "s", "title": "t"}, {"source_id": "u", "title": "t"}])
    ids = xr.DataArray(["s", "u"], dims="material", coords={"material": ["a", "b"]})
    prov = provenance_for(_values(), source_id=ids, grade=None, sources=src, where="flow")
    assert prov["source_id"].sel(time=2, material="b").item() == "u"
    assert set(prov["grade"].values.ravel()) == {""}


def test_provenance_for_unknown_source() -> None:
    """A source id that is not in the table is an error naming the item."""
    src = make_sources([{"source_id": "s", "title": "t"}])
    with pytest.raises(ProvenanceError, match=r"flow 'a => b': source id\(s\) \['nope'\] not in"):
        provenance_for(_values(), source_id="nope", grade="A", sources=src, where="flow 'a => b'")


def test_provenance_for_unknown_grade() -> None:
    """An unknown grade is an error naming the item."""
    src = make_sources([{"source_id": "s", "title": "t"}])
    with pytest.raises(ProvenanceError, match=r"p: unknown data-quality grade\(s\) \['Z'\]"):
        provenance_for(_values(), source_id="s", grade="Z", sources=src, where="p")


def test_clo_grade_optional_and_validated() -> None:
    """A CLO grade A-F is stored only when given; other letters are refused."""
    sources = make_sources([{"source_id": "s", "title": "S"}])
    plain = provenance_for(_values(), source_id="s", grade="A", sources=sources, where="f")
    assert "clo_grade" not in plain
    prov = provenance_for(
        _values(), source_id="s", grade="A", clo_grade="F", sources=sources, where="f"
    )
    assert prov["clo_grade"].values.tolist() == [["F", "F"], ["F", "F"]]
    empty = provenance_for(
        _values(), source_id="s", grade="A", clo_grade="", sources=sources, where="f"
    )
    assert "clo_grade" not in empty  # all empty is not given
    with pytest.raises(
        ProvenanceError, match=r"f \(CLO\): unknown data-quality grade\(s\) \['G'\]"
    ):
        provenance_for(
            _values(), source_id="s", grade="A", clo_grade="G", sources=sources, where="f"
        )
    with pytest.raises(ProvenanceError, match=r"unknown data-quality grade\(s\) \['E'\]"):
        provenance_for(_values(), source_id="s", grade="E", sources=sources, where="f")


def test_combine_provenance_rule() -> None:
    """Shared source id kept, else ''; worst grade with '' worst; CLO order A-F."""
    ids = np.array([["a", "a", "a"], ["a", "b", "a"]], dtype=object)
    grades = np.array([["A", "B", "A"], ["A", "D", ""]], dtype=object)
    sid, grade = combine_provenance(ids, grades, axis=1)
    assert sid.tolist() == ["a", ""]
    assert grade.tolist() == ["B", ""]
    sid, grade = combine_provenance(ids, grades, axis=0)
    assert sid.tolist() == ["a", "", "a"]
    assert grade.tolist() == ["A", "D", ""]
    clo = np.array(["E", "B", "F", "A"], dtype=object)
    assert worst_grade(clo, allowed=("A", "B", "C", "D", "E", "F")).tolist() == "F"
    with pytest.raises(ProvenanceError, match=r"combining grades: .*\['E', 'F'\]"):
        worst_grade(clo)
