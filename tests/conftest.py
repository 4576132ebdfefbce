"""Shared pytest fixtures for the msa test suite."""

from __future__ import annotations

import os
import shutil
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# -- hypothesis: one profile for the whole suite, chosen by HYPOTHESIS_PROFILE, else by CI.
# dev keeps a local run quick; ci (what .ci/run and the README's test command use on CI) is
# thorough. No test file sets its own example count, except the few whose every example runs
# a whole model (they say so where they cap it).
settings.register_profile("dev", max_examples=15, deadline=None)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _ON_CI else "dev"))


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
