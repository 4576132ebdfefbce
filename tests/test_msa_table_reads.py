"""An MSA table read twice in a process (labels, then values) is parsed once, never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

from msa.model.definition import msa_table

EXAMPLE = Path(__file__).resolve().parents[1] / "models" / "msa_example" / "msa.csv"


def test_a_changed_table_is_read_again(tmp_path):
    """Rewriting the table with as many bytes (within one clock tick) gives the new values."""
    path = tmp_path / "msa.csv"
    shutil.copy(EXAMPLE, path)
    first = msa_table(path)
    path.write_text(EXAMPLE.read_text().replace(",D\n", ",C\n", 1), encoding="utf-8")
    second = msa_table(path)
    assert list(first["grade"]).count("C") == 0
    assert list(second["grade"]).count("C") == 1


def test_each_read_is_its_own_copy(tmp_path):
    """Changing the table one read returned leaves the next read as the file says."""
    path = tmp_path / "msa.csv"
    shutil.copy(EXAMPLE, path)
    first = msa_table(path)
    first.loc[:, "value"] = -1.0
    assert (msa_table(path)["value"] >= 0).all()
