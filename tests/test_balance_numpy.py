"""The numpy sums of balance and throughput equal xarray's own sums, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import msa
from msa.system import mass_balance
from msa.system.mass_balance import _signed_totals, _terms

MODELS = Path(__file__).resolve().parents[1] / "models"


def _xarray_balance(system: msa.System) -> dict[str, xr.DataArray]:
    """Return every residual as xarray adds the terms (aligning them): the oracle."""
    out = {}
    for pid, proc in system.processes.items():
        if proc.kind == "boundary":
            continue
        pos, neg, _ = _terms(system, pid)
        if pos or neg:
            zero = xr.zeros_like((pos or neg)[0])
            out[pid] = sum(pos, start=zero) - sum(neg, start=zero)
    return out


@pytest.fixture(scope="module", params=["example", "msa_example", "pv_panels_nl"])
def system(request) -> msa.System:
    if request.param == "example":
        return msa.load_example()
    from msa.model.build import build_model
    from msa.model.definition import load_definition

    return build_model(load_definition(MODELS / request.param)).system


def test_balance_equals_xarray_sums(system):
    """Each process's residual is the xarray sum of its terms, to the last bit."""
    got = mass_balance.balance(system)
    want = _xarray_balance(system)
    assert set(got.data_vars) == set(want)
    for pid, residual in want.items():
        assert got[pid].dims == residual.dims
        assert got[pid].values.tobytes() == residual.values.tobytes(), pid


def test_terms_on_other_labels_are_aligned():
    """Terms whose labels differ in order are aligned by label, as xarray does, not by place."""
    a = xr.DataArray([1.0, 2.0], dims="region", coords={"region": ["NL", "BE"]})
    b = xr.DataArray([10.0, 20.0], dims="region", coords={"region": ["BE", "NL"]})
    tin, tout = _signed_totals([a, b], [a])
    assert tin.sel(region="NL").item() == 21.0
    assert tin.sel(region="BE").item() == 12.0
    np.testing.assert_array_equal(tout.sel(region=["NL", "BE"]).values, [1.0, 2.0])
