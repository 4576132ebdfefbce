"""Shared pytest fixtures for the msa test suite."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest


@pytest.fixture
def example_tables(tmp_path: Path) -> Path:
    """Return a writable copy of the example's folder of tables (msa/data/example)."""
    target = tmp_path / "example"
    shutil.copytree(Path(str(files("msa").joinpath("data", "example"))), target)
    return target
