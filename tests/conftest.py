"""Shared pytest fixtures for the msa test suite."""

from __future__ import annotations

import os
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


# -- sankey: one kaleido server (one chromium) per test session and xdist worker
@pytest.fixture(scope="session")
def image_server():
    """Start one warm kaleido server for the session; without chromium skip, or fail on CI."""
    from msa.figures.export import find_browser, start_image_server, stop_image_server

    if find_browser() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing on CI: install it with `apt-get install chromium`")
        pytest.skip("chromium is not installed (apt-get install chromium); CI=true makes this fail")
    start_image_server()
    yield
    stop_image_server()
