"""Tests of msa.report: target evaluation, grade summary, Markdown and HTML reports."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import msa
from msa.model.report import RESULT_COLUMNS

YEARS = [2029, 2030, 2031, 2032]


def _targets() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("t1", "Reg", "share", "Li", 2030, ">=", 0.5, "1", "src", ""),
            ("t2", "Reg", "share", "Co", 2031, ">=", 0.5, "1", "src", ""),
            ("t3", "CRMA", "concentration", "Li", None, "<=", 0.65, "1", "src", "no year"),
        ],
        columns=[
            "target_id",
            "policy",
            "indicator",
            "material",
            "year",
            "comparison",
            "value",
            "units",
            "source_id",
            "note",
        ],
    )


def _series() -> dict:
    return {
        ("share", "Li"): pd.Series([0.2, 0.6, 0.7, 0.8], index=YEARS),
        ("share", "Co"): pd.Series([0.1, 0.2, 0.3, 0.6], index=YEARS),
        ("concentration", "Li"): pd.Series([0.7, 0.7, 0.6, 0.6], index=YEARS),
    }


def test_evaluate_target_met_margin_first_year() -> None:
    """A minimum target: met in its year, margin = value - target, first year it holds."""
    s = pd.Series([0.2, 0.6, 0.7], index=[2029, 2030, 2031])
    r = msa.evaluate_target(s, comparison=">=", target=0.5, year=2030)
    assert r["met"] is True
    assert r["margin"] == pytest.approx(0.1)
    assert r["first_met"] == 2030


def test_evaluate_target_maximum_and_never_met() -> None:
    """A maximum target uses target - value; a series that never complies has no first year."""
    s = pd.Series([0.8, 0.9], index=[2030, 2031])
    r = msa.evaluate_target(s, comparison="<=", target=0.65, year=2031)
    assert r["met"] is False
    assert r["margin"] == pytest.approx(-0.25)
    assert r["first_met"] is None


def test_evaluate_target_equal_within_rounding_counts_as_met() -> None:
    """A value equal to the target up to floating-point rounding meets it with margin 0."""
    s = pd.Series([0.1 + 0.2], index=[2030])
    r = msa.evaluate_target(s, comparison=">=", target=0.3 + 1e-16, year=2030)
    assert r["met"] is True and r["margin"] == 0.0
    strict = msa.evaluate_target(s, comparison=">", target=0.3, year=2030)
    assert strict["met"] is False


def test_evaluate_target_nan_is_never_met() -> None:
    """NaN (undefined ratio) never counts as met and gives a NaN margin."""
    s = pd.Series([np.nan, 0.9], index=[2030, 2031])
    r = msa.evaluate_target(s, comparison=">=", target=0.5, year=2030)
    assert r["met"] is False and math.isnan(r["margin"]) and r["first_met"] == 2031


def test_evaluate_target_errors() -> None:
    """Unknown comparison, target year outside the series, and an empty series are errors."""
    s = pd.Series([0.5], index=[2030])
    with pytest.raises(msa.ConfigError, match=r"target comparison '=>' is not one of"):
        msa.evaluate_target(s, comparison="=>", target=0.5, year=2030)
    with pytest.raises(msa.DataError, match=r"target year 2040 is outside the indicator series"):
        msa.evaluate_target(s, comparison=">=", target=0.5, year=2040)
    with pytest.raises(msa.DataError, match=r"empty series"):
        msa.evaluate_target(pd.Series([], dtype=float), comparison=">=", target=0.5)


def test_evaluate_targets_table() -> None:
    """Every target row gets a result row; a target without a year is judged in the last year."""
    res = msa.evaluate_targets(_targets(), _series())
    assert list(res.columns) == list(RESULT_COLUMNS)
    assert res["met"].tolist() == [True, False, True]
    assert res["first_met"].tolist() == [2030, 2032, 2031]
    assert pd.isna(res.loc[2, "year"]) and res.loc[2, "value"] == pytest.approx(0.6)


def test_evaluate_targets_missing_series() -> None:
    """A target whose indicator the model does not compute names the target and the key."""
    series = _series()
    del series[("share", "Co")]
    with pytest.raises(
        msa.DataError, match=r"target 't2': no indicator series for \('share', 'Co'\)"
    ):
        msa.evaluate_targets(_targets(), series)


def test_grade_summary_shares_and_unknown_grade() -> None:
    """Shares by grade per table and overall sum to 1; an unknown grade is an error."""
    table = msa.grade_summary({"a": ["A", "A", "D"], "b": ["C"]})
    assert table.loc["all inputs", "n"] == 4
    assert table.loc["a", ["A", "B", "C", "D"]].sum() == pytest.approx(1.0, abs=1e-3)
    assert table.loc["all inputs", "A"] == pytest.approx(0.5)
    with pytest.raises(msa.DataError, match=r"b: unknown grade\(s\) \['X'\]"):
        msa.grade_summary({"b": ["X"]})


def test_report_markdown_states_met_margin_and_first_year() -> None:
    """The Markdown report counts targets met and shows value, margin and first year."""
    res = msa.evaluate_targets(_targets(), _series())
    md = msa.report_markdown(res, title="Demo", notes=["A note."], images=["figures/x.png"])
    assert md.startswith("# Demo\n")
    assert "2 of 3 targets met in their target year." in md
    assert "| Reg | share | Co | 2031 | >= 0.5 | 0.3 | not met | -0.2 | 2032 |" in md
    assert "| CRMA | concentration | Li | latest | <= 0.65 | 0.6 | **met** | +0.05 | 2031 |" in md
    assert "A note." in md and "![x](figures/x.png)" in md


def test_report_html_is_self_contained(tmp_path: Path) -> None:
    """The HTML page embeds its images as data URIs and loads nothing from elsewhere."""
    png = tmp_path / "fig.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    res = msa.evaluate_targets(_targets(), _series())
    quality = msa.grade_summary({"a": ["A", "D"]})
    page = msa.report_html(res, title="Demo <1>", quality=quality, images=[png])
    assert page.startswith("<!DOCTYPE html>")
    assert "Demo &lt;1&gt;" in page
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert page.count('class="met"') == 2 and page.count('class="missed"') == 1
