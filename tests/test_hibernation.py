"""Tests of the hibernating stock kept apart from the end-of-life stock: template, views, EV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import msa
from msa.jrc_msa import build_msa_system, icer_national, jrc, pga
from msa.jrc_msa.indicators import collection_rate, net_addition_to_stock
from msa.jrc_msa.tables import reference_table, variable_info

ROOT = Path(__file__).resolve().parents[1]


def _table(rows: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "material": "Li",
            "region": "EU",
            "year": 2020,
            "code": [c for c, _ in rows],
            "value": [v for _, v in rows],
            "units": "t",
            "source_id": "",
            "grade": "D",
        }
    )


# Use: 100 in = 10 exported + 30 collected + 40 to use + 12 kept at end of life + 8 hibernating
USE = [("D.1.1", 100.0), ("D.1.2", 0.0), ("E.1.3", 10.0), ("E.1.6", 30.0)]
STOCKS = [("E.1.1", 400.0), ("E.1.7", 40.0), ("E.1.2", 50.0), ("E.1.8", 12.0)]
HIBERNATING = [("N.4", 20.0), ("N.5", 8.0)]


def test_two_stocks_with_their_own_codes_and_labels() -> None:
    """E.1.2 is the end-of-life stock and N.4 the hibernating stock, each labelled EN and NL."""
    processes = reference_table("jrc_processes").set_index("id")
    assert processes.loc["End-of-life stock", "label_nl"].startswith("Voorraad einde levensduur")
    assert processes.loc["Hibernating stock", "label_nl"] == "Slapende voorraad"
    assert "not at end of life" in processes.loc["Hibernating stock", "label_en"]
    stocks = reference_table("jrc_stocks").set_index("process")
    assert stocks.loc["End-of-life stock", "stock_code"] == "E.1.2"
    assert stocks.loc["Hibernating stock", "stock_code"] == "N.4"
    info = variable_info()
    assert info.at["N.4", "kind"] == "stock" and info.at["N.5", "signed"] == "1"
    assert "end-of-life" in info.at["E.1.2", "name_en"]


def test_hibernating_stock_is_built_when_given() -> None:
    """With N.4 and N.5 the template builds both stocks and Use balances."""
    built = build_msa_system(_table(USE + STOCKS + HIBERNATING), missing="zero")
    system = built.system
    assert system.stocks["End-of-life stock"]["stock"].sum() == 50.0
    assert system.stocks["Hibernating stock"]["stock"].sum() == 20.0
    assert float(system.flow("Use", "Hibernating stock").sum()) == 8.0
    assert float(system.flow("Use", "End-of-life stock").sum()) == 12.0
    use = built.imbalance[built.imbalance["process"] == "Use"]
    assert np.abs(use["residual"]).max() == pytest.approx(0.0, abs=1e-12)


def test_hibernating_stock_is_optional_and_never_zero_filled() -> None:
    """Without N.4/N.5 there is no hibernating process, nothing skipped, nothing zero-filled."""
    built = build_msa_system(_table(USE[:-1] + [("E.1.6", 38.0)] + STOCKS), missing="zero")
    assert "Hibernating stock" not in built.system.processes
    assert "End-of-life stock" in built.system.processes
    assert built.skipped.empty and built.missing == ()
    assert "N.5" not in built.system.parameters
    use = built.imbalance[built.imbalance["process"] == "Use"]
    assert np.abs(use["residual"]).max() == pytest.approx(0.0, abs=1e-12)


def test_half_given_hibernating_stock_is_reported_skipped() -> None:
    """N.5 without N.4: the edge is built, the stock is reported skipped (not silently dropped)."""
    built = build_msa_system(_table(USE + STOCKS + [("N.5", 8.0)]), missing="zero")
    assert "stock Hibernating stock" in set(built.skipped["element"])
    assert float(built.system.flow("Use", "Hibernating stock").sum()) == 8.0


def test_views_keep_the_stocks_apart_in_jrc_and_inside_voorraad_elsewhere() -> None:
    """JRC: two nodes; ICER national and PGA: both inside Voorraad, N.5 on the net addition."""
    system = build_msa_system(_table(USE + STOCKS + HIBERNATING), missing="zero").system
    links = jrc(system).links.set_index(["source", "target"])["value"]
    assert links[("Use", "End-of-life stock")] == 12.0
    assert links[("Use", "Hibernating stock")] == 8.0
    nodes = jrc(system).nodes.set_index("node")
    assert nodes.loc["End-of-life stock", "label_nl"] == "Voorraad einde levensduur"
    assert nodes.loc["Hibernating stock", "label_nl"] == "Slapende voorraad"
    view = pga(system)
    added = view.links.groupby(["source", "target"])["value"].sum()
    assert added[("Voorraad", "Voorraadtoename")] == 40.0 + 12.0 + 8.0
    inside = set(view.inside.loc[view.inside["node"] == "Voorraad", "code"])
    assert {"E.1.1", "E.1.2", "N.4"} <= inside
    national = icer_national(system)
    assert any("N.5" in note for note in national.footnotes)
    assert any("slapende voorraad" in note for note in national.footnotes_nl)


def test_footnote_only_where_the_hibernating_stock_moves() -> None:
    """The N.5 deviation is printed only for a system whose hibernating addition is not zero."""
    zero = build_msa_system(_table(USE + STOCKS + [("N.4", 20.0), ("N.5", 0.0)]), missing="zero")
    assert not any("N.5" in note for note in pga(zero.system).footnotes)


def test_indicators_tell_the_stocks_apart() -> None:
    """Collection rate divides by E.1.8 only; the net addition to stock adds N.5 where given."""
    system = build_msa_system(_table(USE + STOCKS + HIBERNATING), missing="zero").system
    assert float(collection_rate(system).sum()) == pytest.approx(30.0 / 42.0)
    nas = net_addition_to_stock(system)
    assert float(nas.sum()) == 60.0 and nas.attrs["formula"] == "E.1.7 + E.1.8 + N.5"
    plain = build_msa_system(_table(USE + STOCKS), missing="zero").system
    assert net_addition_to_stock(plain).attrs["formula"] == "E.1.7 + E.1.8"


def test_ev_model_has_both_stocks_with_labelled_parameters() -> None:
    """EV: the end-of-life stock (E.1.2) holds batteries; the hibernating stock stays empty."""
    definition = msa.load_definition(ROOT / "models" / "ev_batteries_nl")
    params = definition.parameters
    assert params["hibernating_share"].value == 0.0 and params["hibernating_share"].grade == "D"
    assert params["end_of_life_stock_share"].grade == "D"
    assert "hibernation_share" not in params
    built = msa.build_model(definition)
    stocks = built.system.stocks
    assert stocks["End-of-life stock"].attrs["jrc_code"] == "E.1.2"
    assert float(stocks["End-of-life stock"]["stock"].sel(time=2050).sum()) > 0
    assert float(stocks["Hibernating stock"]["stock"].sum()) == 0.0
    labels = {p: built.system.processes[p] for p in ("End-of-life stock", "Hibernating stock")}
    assert labels["Hibernating stock"].label_nl == "Slapende voorraad"
    assert labels["End-of-life stock"].label_nl == "Bewaard na einde levensduur"


def test_ev_hibernating_share_moves_mass_out_of_the_discards() -> None:
    """A hibernating share keeps batteries from discard; the system still balances."""
    definition = msa.load_definition(ROOT / "models" / "ev_batteries_nl")
    params = dict(definition.parameters)
    params["hibernating_share"] = params["hibernating_share"].model_copy(update={"value": 0.2})
    changed = msa.build_model(definition.model_copy(update={"parameters": params}))
    base = msa.build_model(definition)
    msa.check_balance(changed.system)
    hibernating = float(changed.system.stocks["Hibernating stock"]["stock"].sel(time=2050).sum())
    assert hibernating > 0
    discarded = "End of life => Collection"
    assert float(changed.system.flows[discarded].sum()) < float(base.system.flows[discarded].sum())
