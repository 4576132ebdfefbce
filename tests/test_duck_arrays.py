"""xarray wraps arrays without importing dask or pint, and still knows theirs once imported.

Each test runs in a new interpreter: which modules are imported is the point.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("dask.array")
pytest.importorskip("pint")


def _run(code: str) -> str:
    """Run ``code`` in a new interpreter; return its stdout (stripped)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_msa_arrays_import_no_dask_or_pint():
    """Making DataArrays and indexes after ``import msa`` imports neither dask.array nor pint."""
    out = _run(
        """
        import sys
        import numpy as np
        import xarray as xr
        import msa
        a = xr.DataArray(np.arange(3.0), dims="x", coords={"x": ["a", "b", "c"]})
        b = (a + a).sel(x=["a", "c"]).assign_coords(x=["p", "q"]).to_numpy()
        print(sorted(m for m in ("dask.array", "pint", "scipy.sparse") if m in sys.modules))
        """
    )
    assert out == "[]"


def test_dask_arrays_are_known_once_imported():
    """After ``import dask.array`` xarray keeps dask arrays lazy and unmasks masked ones."""
    out = _run(
        """
        import numpy as np
        import xarray as xr
        import msa
        xr.DataArray(np.zeros(2), dims="x")  # before dask is imported
        import dask.array as da
        lazy = xr.DataArray(da.zeros(4, chunks=2), dims="x")
        masked = da.ma.masked_equal(da.from_array(np.array([1.0, 2.0, 3.0]), chunks=3), 2.0)
        unmasked = xr.DataArray(masked, dims="x")  # xarray turns the mask into NaN
        print(type(lazy.data).__name__, lazy.chunks, np.isnan(unmasked.values).tolist())
        """
    )
    assert out == "Array ((2, 2),) [False, True, False]"


def test_pint_quantities_are_known_once_imported():
    """After ``import pint`` xarray strips a quantity's units when asked for numbers, silently."""
    out = _run(
        """
        import warnings
        import numpy as np
        import xarray as xr
        import msa
        xr.DataArray(np.zeros(2), dims="x").to_numpy()  # before pint is imported
        import pint
        q = pint.UnitRegistry().Quantity(np.array([1.0, 2.0]), "m")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # np.asarray(quantity) would warn
            print(xr.DataArray(q, dims="x").to_numpy().tolist())
        """
    )
    assert out == "[1.0, 2.0]"


def test_other_questions_get_xarray_answers():
    """A version asked for before the library is imported is the library's own."""
    out = _run(
        """
        import msa
        from xarray.namedarray import pycompat
        print(pycompat.array_type("dask"), pycompat.mod_version("dask"))
        import dask
        print(dask.__version__)
        """
    )
    first, version = out.splitlines()
    assert first.startswith("() ")
    assert first.split()[1] == version
