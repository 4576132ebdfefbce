"""Importing msa stays light: the slow optional parts load only when first used.

No timing is asserted here (timings live in bench/README.md); these tests check which modules
``import msa`` loads, in a fresh interpreter.
"""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest

import msa


@functools.cache
def _loaded_after_import_msa() -> frozenset[str]:
    """Return the names in ``sys.modules`` after ``import msa`` in a new interpreter."""
    code = "import sys, msa; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return frozenset(done.stdout.split())


@pytest.mark.parametrize("module", ["scipy", "networkx", "pydantic", "plotly", "msa.model"])
def test_import_msa_does_not_load(module: str):
    """``import msa`` loads no scipy, networkx, pydantic, plotly or model code."""
    assert module not in _loaded_after_import_msa()


def test_every_public_name_imports():
    """Every name of ``msa.__all__``, lazy or not, is importable and listed by dir(msa)."""
    code = "import msa\nfrom msa import " + ", ".join(msa.__all__)
    subprocess.run([sys.executable, "-c", code], check=True)
    assert set(msa.__all__) <= set(dir(msa))


def test_unknown_name_is_an_attribute_error():
    """A name msa does not have raises AttributeError, as without lazy loading."""
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        msa.no_such_name  # noqa: B018
