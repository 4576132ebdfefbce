"""A view of any system from its processes' nodes (msa.process_view)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import msa
from msa.system.example import load_example

PGA = {
    "Imports": "Import",
    "Processing": "Grondstoffengebruik",
    "Manufacture": "Grondstoffengebruik",
    "Use": "Voorraad",
    "Collection": "Afval",
    "Recycling": "Recycling",
    "Landfill": "Materiaalverlies",
    "Losses": "Materiaalverlies",
}


def _total(system: msa.System, year: int) -> float:
    flows = sum(float(f.sel(time=year).sum()) for f in system.flows.values())
    changes = sum(float(s["stock_change"].sel(time=year).sum()) for s in system.stocks.values())
    return flows + changes


def test_each_flow_lands_in_one_status_and_nothing_is_lost() -> None:
    """Links + inside + out of scope = every flow and stock change, in every year."""
    system = load_example()
    view = msa.process_view(system, "pga", PGA)
    alloc = view.allocation
    assert set(alloc["code"]) == set(system.flows) | {f"stock_change {p}" for p in system.stocks}
    for year in system.years:
        year = int(year)
        total = float(alloc.loc[alloc["year"] == year, "value"].sum())
        assert total == pytest.approx(_total(system, year))
    assert view.missing == ()


def test_placement_rules() -> None:
    """Different nodes: a link; the same node: inside; an unplaced end: out of scope."""
    view = msa.process_view(load_example(), "pga", PGA, year=2020)
    status = view.allocation.drop_duplicates("code").set_index("code")["status"]
    assert status["Processing => Manufacture"] == "inside a node"  # both Grondstoffengebruik
    assert status["Manufacture => Use"] == "in scope"
    assert status["Use => Exports"] == "out of scope"
    assert status["Exploration => Extraction"] == "out of scope"
    note = view.out_of_scope.set_index("code").loc["Use => Exports", "note"].iloc[0]
    assert note == "process 'Exports' has no node in view 'pga'"
    # a link sums every flow between the same two nodes, and names them
    link = view.links[(view.links["source"] == "Import") & (view.links["target"] == "Voorraad")]
    assert set(link["jrc_codes"]) == {"Imports => Use"}


def test_stock_change_goes_on_the_views_stock_link() -> None:
    """PGA draws a net addition Voorraad -> Voorraadtoename; a view without one keeps it inside."""
    system = load_example()
    view = msa.process_view(system, "pga", PGA, year=2020)
    stock = view.links[view.links["flow_type"] == "stock"]
    added = float(system.stocks["Use"]["stock_change"].sel(time=2020).sum())
    assert set(zip(stock["source"], stock["target"], strict=True)) <= {
        ("Voorraad", "Voorraadtoename"),
        ("Voorraadtoename", "Voorraad"),
    }
    signed = np.where(stock["source"] == "Voorraad", stock["value"], -stock["value"])
    assert float(signed.sum()) == pytest.approx(added)
    jrc = msa.process_view(system, "jrc", {"Use": "Use", "Manufacture": "Manufacture"}, year=2020)
    stock = jrc.links[jrc.links["flow_type"] == "stock"]
    assert {("Use", "In-use stock"), ("In-use stock", "Use")} >= set(
        zip(stock["source"], stock["target"], strict=True)
    )
    odd = msa.process_view(system, "icer_national", {"Use": "Afval", "Recycling": "Recycling"})
    inside = odd.inside
    assert set(inside.loc[inside["code"] == "stock_change Use", "node"]) == {"Afval"}


ICER = {
    "Imports": "Import (ex afval)",
    "Manufacture": "Materiaalgebruik",
    "Use": "Voorraad",
    "Collection": "Afval",
    "Recycling": "Recycling",
    "Exports": "Export",
    "Landfill": "Verlies",
}


def test_icer_national_draws_a_placed_stocks_net_addition_out_of_voorraad() -> None:
    """ICER's own net-addition link runs into Voorraad; a model's gross inflow fills it.

    So the net addition leaves Voorraad for Voorraadtoename (as in the PGA view), Voorraad
    balances with no gap, and the figure note says so in English and Dutch.
    """
    system = load_example()
    for year in (2019, 2023):
        view = msa.process_view(system, "icer_national", ICER, year=year)
        links = view.links.groupby(["source", "target"])["value"].sum()
        added = float(system.stocks["Use"]["stock_change"].sel(time=year).sum())
        gross = float(system.flows["Manufacture => Use"].sel(time=year).sum())
        assert links[("Materiaalgebruik", "Voorraad")] == pytest.approx(gross)
        signed = links.get(("Voorraad", "Voorraadtoename"), 0.0) - links.get(
            ("Voorraadtoename", "Voorraad"), 0.0
        )
        assert signed == pytest.approx(added)
        gaps = msa.scope_gaps(view)
        assert not ((gaps["source"] == "Voorraad") | (gaps["target"] == "Voorraad")).any()
    assert any("gross inflow into Stock" in n for n in view.footnotes_in("en"))
    assert any("bruto instroom in Voorraad" in n for n in view.footnotes_in("nl"))


def test_a_net_addition_kept_inside_its_node_is_not_a_gap() -> None:
    """Where a view has no link out of the stock's node, the change stays inside: no gap."""
    system = load_example()
    nodes = {"Manufacture": "Use", "Use": "In-use stock", "Collection": "Collection"}
    nodes |= {"Imports": "Imports", "Exports": "Exports", "Landfill": "Landfill"}
    view = msa.process_view(system, "jrc", nodes, year=2020)
    inside = view.inside
    assert set(inside.loc[inside["code"] == "stock_change Use", "node"]) == {"In-use stock"}
    gaps = msa.scope_gaps(view)
    assert not ((gaps["source"] == "In-use stock") | (gaps["target"] == "In-use stock")).any()
    # without the kept change the stock node would not close: in - out is the change
    links = view.links
    into = float(links.loc[links["target"] == "In-use stock", "value"].sum())
    out = float(links.loc[links["source"] == "In-use stock", "value"].sum())
    added = float(system.stocks["Use"]["stock_change"].sel(time=2020).sum())
    assert into - out == pytest.approx(added) and added != 0


def test_a_view_balances_where_every_process_is_placed() -> None:
    """A node whose processes are all placed, with every neighbour placed, balances."""
    system = load_example()
    view = msa.process_view(system, "pga", PGA)
    balance = msa.view_balance(view)
    gaps = msa.scope_gaps(view)
    for (node, year), row in balance.set_index(["node", "year"]).iterrows():
        if node != "Afval":
            continue
        out = gaps[(gaps["source"] == node) & (gaps["year"] == year)]["value"].sum()
        inn = gaps[(gaps["target"] == node) & (gaps["year"] == year)]["value"].sum()
        assert row["residual"] + inn - out == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ({"Nope": "Afval"}, r"process\(es\) \['Nope'\] are not in the system"),
        ({"Use": "Voorrad"}, "process 'Use' is placed in 'Voorrad', not a node of the view"),
        ({}, "no process is placed in a node of the view"),
    ],
)
def test_bad_placement_is_refused(nodes: dict[str, str], message: str) -> None:
    with pytest.raises(msa.ConfigError, match=message):
        msa.process_view(load_example(), "pga", nodes)


def test_mixed_units_are_refused() -> None:
    system = load_example().copy()
    flow = system.flows["Use => Landfill"]
    system.flows["Use => Landfill"] = flow.assign_attrs(units="kg")
    with pytest.raises(msa.DataError, match="mix units"):
        msa.process_view(system, "pga", PGA)


def test_an_unknown_year_is_refused() -> None:
    with pytest.raises(msa.DataError, match="year 1900 is not in the system"):
        msa.process_view(load_example(), "pga", PGA, year=1900)


@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=2))
def test_opposite_stock_changes_are_netted_in_the_figure_table(changes: list[float]) -> None:
    """Per material a depletion is drawn reversed; the model figure nets them over material."""
    from msa.model.outputs import _net_stock_links

    system = load_example()
    view = msa.process_view(system, "pga", PGA, year=2020)
    links = view.links[view.links["flow_type"] != "stock"]
    rows = view.links[view.links["flow_type"] == "stock"].head(1)
    fake = []
    for material, value in zip(("a", "b"), changes, strict=True):
        row = rows.copy().assign(material=material, value=abs(value), note="")
        if value < 0:
            ends = ["source", "target", "source_label", "target_label"]
            ends += ["source_label_en", "target_label_en"]
            swapped = ["target", "source", "target_label", "source_label"]
            swapped += ["target_label_en", "source_label_en"]
            row[ends] = row[swapped].to_numpy()
            row["note"] = msa.jrc_msa.views.REVERSED
        fake.append(row)
    netted = _net_stock_links(pd.concat([links, *fake], ignore_index=True))
    stock = netted[netted["flow_type"] == "stock"]
    assert len(stock) == 1
    net = sum(changes)
    assert float(stock["value"].iloc[0]) == pytest.approx(abs(net))
    expected = ("Voorraad", "Voorraadtoename") if net >= 0 else ("Voorraadtoename", "Voorraad")
    assert (stock["source"].iloc[0], stock["target"].iloc[0]) == expected
