"""Sphinx configuration of the msa documentation site.

Build it with ``.venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html`` (the
``docs`` extra installs what it needs). The pages are the Markdown files of this folder (MyST);
the API reference comes from the numpydoc docstrings, the command-line reference from the typer
app, and the generated tables (JRC variables, glossary, model keys) and notebooks from
``docs/_ext/msa_docs.py`` at build time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import msa  # noqa: E402

# Notebooks executed by this build find the repository's model folders here.
os.environ.setdefault("MSA_MODELS", str(HERE.parent / "models"))
# ... and give their interactive figures as HTML too (as tests/test_notebooks.py does).
os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype+notebook_connected")

project = "msa"
author = "msa developers"
copyright = "msa developers, BSD-3-Clause"
release = msa.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_copybutton",
    "msa_docs",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "_generated/*.md", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# MyST: heading anchors so that links such as lifetimes.md#survival resolve, as on GitHub.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "attrs_inline"]
myst_links_external_new_tab = False

# Notebooks: rendered from the outputs the test suite wrote (tests/test_notebooks.py), so CI
# does not execute them twice; a notebook without outputs is executed here ("auto").
# MSA_DOCS_EXECUTE=off builds without executing any notebook (quick local builds).
nb_execution_mode = os.environ.get("MSA_DOCS_EXECUTE", "auto")
nb_execution_in_temp = True
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_output_stderr = "remove"
# Interactive plotly figures: their HTML (which loads plotly.js when the page is viewed), not
# the JSON only Jupyter renders. Every Sankey is also embedded as a static PNG.
nb_mime_priority_overrides = [("html", "application/vnd.plotly.v1+json", None)]
# myst-nb reports the plotly JSON beside that HTML as an unknown type when it reads a notebook,
# before choosing the HTML; that one report is silenced, every other warning stays an error.
suppress_warnings = ["mystnb.unknown_mime_type"]

# API reference: numpydoc docstrings, documented in the order of the source.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# Every cross-reference on the public API must resolve. The exceptions below are third-party
# names: the site is built offline (no intersphinx inventories), so they cannot resolve.
nitpicky = True
nitpick_ignore_regex = [
    # numpy, pandas, xarray, scipy, plotly, pydantic, pint, networkx, dask: no inventory offline.
    (r"py:.*", r"(np|numpy|pd|pandas|xr|xarray|scipy|plotly|go|pydantic|pint|nx|networkx)\..*"),
    (r"py:.*", r"(dask|distributed|typer|click|matplotlib|kaleido)\..*"),
    # The standard library: no inventory offline either.
    (r"py:.*", r"(pathlib|os|collections\.abc|typing|datetime|logging|enum|io)\..*"),
]

html_theme = "furo"
html_title = f"msa {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

copybutton_prompt_text = r"\$ |>>> |\.\.\. "
copybutton_prompt_is_regexp = True

linkcheck_ignore = [r"https?://.*"]  # internal links only: the site is checked offline
