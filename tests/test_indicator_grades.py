"""Grades on results: an indicator is never graded better than what it rests on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import msa
from msa.model.outputs import indicator_grade, model_result

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["A", "B", "C", "D", ""]


@pytest.fixture(scope="module")
def pv() -> msa.Built:
    return msa.build_model(msa.load_definition(ROOT / "models" / "pv_panels_nl"))


@pytest.mark.parametrize("year", [2010, 2019, 2030, 2050])
@pytest.mark.parametrize("name", ["collection_rate_generated", "recovery_rate"])
def test_a_ratio_is_graded_by_its_worst_cell(pv: msa.Built, name: str, year: int) -> None:
    spec = pv.definition.outputs.indicators[name]
    cells: list[str] = []
    for item in (*spec.numerator, *spec.denominator):
        grades = pv.system.provenance[item]["grade"].sel(time=year).values
        cells += [str(g) for g in np.ravel(grades)]
    grade, shares = indicator_grade(pv, name, "all", year)
    assert grade == max(cells, key=ORDER.index)
    parts = [float(p.split()[-1].rstrip("%")) for p in shares.split(", ")]
    assert sum(parts) == pytest.approx(100, abs=len(parts))  # rounded percentages


def test_a_by_indicator_uses_its_own_cells(pv: msa.Built) -> None:
    grade, _ = indicator_grade(pv, "recycling_rate", "silver", 2040)
    numerator = pv.system.provenance["Recycling => Secondary"]["grade"].sel(
        time=2040, material="silver"
    )
    assert ORDER.index(grade) >= max(ORDER.index(str(g)) for g in np.ravel(numerator.values))


def test_targets_and_report_carry_the_grade(pv: msa.Built) -> None:
    result = model_result(pv, figures=False)
    assert {"grade", "grade_shares"} <= set(result.indicators.columns)
    assert set(result.indicators["grade"]) <= {"A", "B", "C", "D", "ungraded"}
    from msa.model.report import report_markdown

    text = report_markdown(result.indicators, title="t")
    assert "| first met | grade |" in text and "worst data-point grade" in text


@pytest.mark.parametrize("key", ["Discarded => Collection", "stock Use", "stock_change Use"])
def test_flow_and_stock_shares_are_shares_of_their_amount(pv: msa.Built, key: str) -> None:
    """quality.csv: a computed flow's or stock's shares weigh each cell by its amount."""
    from msa.model.outputs import _quality

    table = _quality(pv)
    row = table.loc[key if key.startswith("stock") else f"flow {key}"]
    assert row["shares_of"] == "amount"
    grades = np.asarray(pv.system.provenance[key]["grade"].values, dtype=str)
    value = pv.system.flows[key] if " => " in key else pv.system.stocks["Use"][key.split()[0]]
    grade = pv.system.provenance[key]["grade"]
    amount = np.abs(value.broadcast_like(grade).transpose(*grade.dims).values)
    for g in ("A", "B", "C", "D"):
        expected = amount[grades == g].sum() / amount.sum()
        assert row[g] == pytest.approx(expected, abs=1e-4)
    assert row[["A", "B", "C", "D"]].sum() == pytest.approx(1, abs=1e-3)
    assert row["worst"] == max(set(grades.ravel()), key=ORDER.index)


def test_a_function_indicator_is_graded_by_the_cells_its_tables_give() -> None:
    """Cells a table does not give (own dims leave gaps) are not 'ungraded' values."""
    ev = msa.build_model(msa.load_definition(ROOT / "models" / "ev_batteries_nl"))
    grade, shares = indicator_grade(ev, "largest_country_share", "Co", 2030)
    assert grade in ("A", "B", "C", "D") and shares == ""
