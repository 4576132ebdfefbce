"""Sensitivity and data-collection priority from a Monte Carlo's samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import msa
from msa.model.build import build_model, read_inputs
from msa.model.montecarlo import monte_carlo, with_uncertainty
from msa.model.outputs import model_result
from msa.model.sensitivity import (
    COLUMNS,
    _first_order,
    parse_target,
    sensitivity,
    tornado,
    with_sensitivity,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> msa.ModelDefinition:
    return msa.load_definition(msa.new_model(tmp_path_factory.mktemp("sens") / "m"))


@pytest.fixture(scope="module")
def run(template: msa.ModelDefinition):
    return monte_carlo(template, samples=400, seed=11), read_inputs(template)


def test_the_driver_of_a_ratio_is_found(run) -> None:
    """The collection rate indicator is the collection_rate parameter, and nothing else."""
    mc, inputs = run
    table = sensitivity(mc, inputs, "indicator collection_rate", year=2030)
    assert list(table.columns) == list(COLUMNS)
    top = table.iloc[0]
    assert top["input"] == "collection_rate" and top["rank"] == 1
    assert top["spearman"] > 0.99 and top["first_order"] > 0.9
    others = table.iloc[1:]
    assert (others["first_order"] < 0.1).all() and (others["spearman"].abs() < 0.2).all()


def test_a_stock_rests_on_its_inflow_and_lifetime_not_on_recycling(run) -> None:
    mc, inputs = run
    table = sensitivity(mc, inputs, "stock Use", year=2035).set_index("input")
    assert table.loc["table sales", "spearman"] > 0.5
    assert table.loc["lifetime_mean", "spearman"] > 0.1  # longer lives, larger stock
    assert abs(table.loc["recovery_rate", "spearman"]) < 0.2
    assert table.loc["recovery_rate", "first_order"] < 0.1


def test_ranges_only_narrow(run) -> None:
    mc, inputs = run
    table = sensitivity(mc, inputs, "stock Use", material="Cu", year=2035)
    assert (table["narrowing"] >= 0).all() and (table["narrowing"] < 1).all()
    assert (table["p5_p95_at_grade_a"] <= table["p5_p95"] + 1e-12).all()
    # every input of the template is graded D: known at A, the main driver narrows the range
    assert table["narrowing"].max() > 0.1


@settings(max_examples=20, deadline=None)
@given(share=st.floats(0.1, 0.9), seed=st.integers(0, 2**31))
def test_first_order_estimates_a_known_share(share: float, seed: int) -> None:
    """Recover a known share: y = a x + e, Var(a x) / Var(y) = share, n = 4000."""
    rng = np.random.default_rng(seed)
    x, e = rng.normal(size=4000), rng.normal(size=4000)
    y = np.sqrt(share) * x + np.sqrt(1 - share) * e
    assert _first_order(x, y) == pytest.approx(share, abs=0.07)
    assert _first_order(x, rng.normal(size=4000)) < 0.05  # unrelated: about nothing


def test_an_unknown_result_is_refused(run) -> None:
    mc, inputs = run
    with pytest.raises(msa.ConfigError, match="no result 'stock Nope' for material 'all'"):
        sensitivity(mc, inputs, "stock Nope", year=2030)


def test_parse_target() -> None:
    years, names = (2025, 2035), ("collection_rate",)
    assert parse_target("collection_rate", years=years, indicators=names) == {
        "quantity": "indicator collection_rate",
        "material": "all",
        "year": 2035,
    }
    got = parse_target("Use => Collection:Cu@2030", years=years, indicators=names)
    assert got == {"quantity": "Use => Collection", "material": "Cu", "year": 2030}
    with pytest.raises(msa.ConfigError, match="the year after '@' must be a number"):
        parse_target("stock Use@soon", years=years, indicators=names)
    with pytest.raises(msa.ConfigError, match="name a quantity"):
        parse_target(":Cu", years=years, indicators=names)


def test_with_sensitivity_adds_table_figure_and_notes(template, run) -> None:
    mc, inputs = run
    result = with_uncertainty(model_result(build_model(template), figures=False), mc)
    out = with_sensitivity(result, mc, inputs, ("stock Use:Cu@2035",))
    table = out.tables["sensitivity"]
    assert set(table["target_id"]) >= set(result.indicators["target_id"]) | {""}
    assert list(table.columns[:4]) == ["target_id", "quantity", "material", "year"]
    assert "sensitivity_1" in out.figures and "sensitivity_1" in out.report_figures
    assert any(n.startswith("What to measure next") for n in out.notes)
    assert any(n.startswith("stock Use (Cu, 2035): collect first") for n in out.notes)


def test_tornado_shows_the_top_inputs(run) -> None:
    mc, inputs = run
    table = sensitivity(mc, inputs, "stock Use", year=2035)
    fig = tornado(table, title="What drives the stock", top=3)
    bars = fig.data[0]
    assert len(bars.y) == 3
    assert bars.y[-1].startswith(table.iloc[0]["input"])  # the first is drawn on top
    assert "grade" in fig.layout.title.text
