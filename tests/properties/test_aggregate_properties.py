"""Property tests of msa.aggregate_system: a balanced system stays balanced, totals are kept."""

from __future__ import annotations

import numpy as np
import xarray as xr
from _systems import balanced_systems
from hypothesis import given
from hypothesis import strategies as st

import msa

GROUPS = ("g0", "g1", "g2")


@given(balanced_systems(max_processes=3, materials=True), st.data())
def test_aggregating_a_balanced_system_keeps_balance_and_totals(
    system: msa.System, data: st.DataObject
) -> None:
    """Any concordance (many-to-one or split) keeps check_balance passing and every total."""
    items = list(system.coords["material"])
    mapping: dict[str, str | dict[str, float]] = {}
    for item in items:
        chosen = data.draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2, unique=True))
        weights = np.array(
            data.draw(st.lists(st.integers(1, 4), min_size=len(chosen), max_size=len(chosen)))
        )
        mapping[item] = dict(zip(chosen, (weights / weights.sum()).tolist(), strict=True))
    concordance = msa.Concordance("material", "group", mapping)
    agg = msa.aggregate_system(system, concordance)
    msa.check_balance(agg)
    for name, flow in system.flows.items():
        np.testing.assert_allclose(
            agg.flows[name].sum("group"), flow.sum("material"), rtol=1e-12, atol=1e-9
        )
        # a group's grade is never better than its worst member's ("" counts as worst)
        rank = {"A": 0, "B": 1, "C": 2, "D": 3, "": 4}
        given = np.vectorize(rank.get)(system.provenance[name]["grade"].values)
        got = np.vectorize(rank.get)(agg.provenance[name]["grade"].values)
        member = concordance.matrix().sel(material=items).values > 0  # material x group
        axis = flow.dims.index("material")
        worst = np.stack(
            [
                np.max(np.compress(member[:, g], given, axis=axis), axis=axis)
                for g in range(len(agg.coords["group"]))
            ],
            axis=axis,
        )
        np.testing.assert_array_equal(got, worst)
    for pid, ds in system.stocks.items():
        xr.testing.assert_allclose(
            agg.stocks[pid]["stock_change"].sum("group"), ds["stock_change"].sum("material")
        )
