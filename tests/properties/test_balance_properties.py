"""Property tests of msa.balance: random balanced systems pass; any one perturbation is caught."""

from __future__ import annotations

import pytest
from _systems import balanced_systems
from hypothesis import given
from hypothesis import strategies as st

import msa
from msa.errors import MassBalanceError


@given(balanced_systems(max_processes=3))
def test_random_balanced_system_passes(system: msa.System) -> None:
    """Any randomly generated balanced system passes check_balance at the default rtol."""
    msa.check_balance(system)
    msa.testing.assert_balanced(system)


@given(balanced_systems(max_processes=3), st.data())
def test_perturbing_one_flow_is_caught(system: msa.System, data: st.DataObject) -> None:
    """Adding 1 t to any one flow value fails the check, naming its processes and year."""
    name = data.draw(st.sampled_from(sorted(system.flows)))
    flow = system.flows[name]
    cell = tuple(data.draw(st.integers(0, size - 1)) for size in flow.shape)
    year = int(flow["time"].values[cell[0]])
    flow.values[cell] += 1.0
    with pytest.raises(MassBalanceError) as info:
        msa.check_balance(system)
    message = str(info.value)
    ends = [flow.attrs["source"], flow.attrs["target"]]
    checked = [p for p in ends if system.processes[p].kind != "boundary"]
    assert checked
    for pid in checked:
        assert f"process {pid!r} year {year}" in message
    if "material" in flow.dims:
        assert f"material={str(flow['material'].values[cell[1]])!r}" in message
    assert {o.process for o in info.value.offenders} == set(checked)
