"""Every notebook in notebooks/ executes from top to bottom, from an installed msa.

The notebooks that run a shipped model find the repository's models/ folder through the
environment variable MSA_MODELS (the models are not part of the installed package).

The executed copy is left in docs/_build/executed/ with the hash of its source, so that the
documentation build renders these outputs instead of executing the notebooks a second time
(docs/_ext/msa_docs.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
EXECUTED = ROOT / "docs" / "_build" / "executed"


def _need_chromium() -> None:
    """Skip without chromium (static figures need it), or fail on CI, as tests/conftest.py does."""
    from msa.figures.export import find_browser

    if find_browser() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing on CI: install it with `apt-get install chromium`")
        pytest.skip("chromium is not installed (apt-get install chromium); CI=true makes this fail")


def test_there_are_notebooks() -> None:
    """The notebooks folder holds the quickstart and the PGA reports."""
    names = {path.stem for path in NOTEBOOKS}
    assert {"quickstart", "ev_batteries_pga", "pv_panels_pga"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_needs_no_source_checkout(path: Path) -> None:
    """A notebook finds the shipped models through msa, not through a path in the checkout."""
    text = path.read_text(encoding="utf-8")
    assert "__file__" not in text
    assert not re.search(r"""Path\(["'](\.\./)?models/""", text)
    assert "parents[" not in text


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook runs without error in a fresh kernel (in a temporary folder)."""
    _need_chromium()
    monkeypatch.setenv("MSA_MODELS", str(ROOT / "models"))  # the repository's model folders
    # Interactive figures as plotly JSON (Jupyter) and as HTML loading plotly.js (the site).
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = jupytext.read(path)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    notebook.metadata["msa_source_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    EXECUTED.mkdir(parents=True, exist_ok=True)
    staged = EXECUTED / f".{path.stem}.ipynb.tmp"
    nbformat.write(notebook, staged)
    staged.replace(EXECUTED / f"{path.stem}.ipynb")
