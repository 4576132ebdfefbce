"""Tests of the lifetime database (src/msa/data/lifetimes.csv and msa.stocks.database)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from msa.errors import ConfigError, DataError
from msa.stocks import (
    FixedLifetime,
    Lifetime,
    NormalLifetime,
    WeibullLifetime,
    lifetime_database,
    lifetime_from_database,
    lifetime_sources,
)
from msa.stocks.database import LIFETIME_KEY, _check_table
from msa.system.provenance import GRADES, make_sources

TABLE = lifetime_database()
#: |mean of the loaded distribution - stated mean| may be at most ABS + REL * mean (years):
#: the stated means are rounded to 0.01 year, and an untruncated normal's integral from age 0
#: (E[max(X, 0)]) exceeds its mean by at most 0.014 year for the rows here.
ABS, REL = 0.02, 0.005


def _integrated_mean(lifetime: Lifetime, mean: float) -> float:
    """Return the integral of the survival function from age 0 (the mean of max(X, 0))."""
    ages = np.linspace(0.0, 60.0 * mean + 300.0, 400_001)
    survival = lifetime.survival(ages).values
    return float(np.trapezoid(survival, ages))


def test_table_has_at_least_forty_sourced_rows() -> None:
    """The database holds at least 40 rows, each citing a source and a place in it."""
    assert len(TABLE) >= 40
    assert (TABLE["source_id"] != "").all()
    assert (TABLE["where"] != "").all()


@pytest.mark.parametrize("index", list(TABLE.index))
def test_every_row_loads_with_its_stated_mean(index: int) -> None:
    """Every row loads into a lifetime object whose mean matches the ``mean`` column."""
    row = TABLE.loc[index]
    year = None if pd.isna(row["year"]) else int(row["year"])
    lifetime = lifetime_from_database(
        row["product"],
        region=row["region"],
        source_id=row["source_id"],
        year=year,
        variant=row["variant"],
    )
    assert type(lifetime).__name__.lower() == row["distribution"] + "lifetime"
    computed = _integrated_mean(lifetime, row["mean"])
    assert abs(computed - row["mean"]) <= ABS + REL * row["mean"], (row["product"], computed)


def test_keys_are_unique() -> None:
    """No two rows share product, region, year, variant and source."""
    assert not TABLE.duplicated(list(LIFETIME_KEY)).any()


def test_sources_are_complete_and_valid() -> None:
    """Every cited source is in the sources table, every source is cited, and it validates."""
    sources = lifetime_sources()
    assert set(TABLE["source_id"]) == set(sources.index)
    checked = make_sources(sources.reset_index(), origin="lifetime_sources.csv")
    assert len(checked) == len(sources)


def test_grades_and_parameters() -> None:
    """Grades are JRC A-D, and no parameter a distribution uses is missing."""
    assert set(TABLE["grade"]) <= set(GRADES)
    used = {
        "weibull": ["shape", "scale"],
        "gamma": ["shape", "scale"],
        "normal": ["mean", "std"],
        "lognormal": ["mean", "std"],
        "exponential": ["mean"],
        "fixed": ["mean"],
    }
    for kind, columns in used.items():
        rows = TABLE[TABLE["distribution"] == kind]
        assert not rows[columns].isna().any().any(), kind
    assert TABLE["mean"].notna().all()
    assert (TABLE["mean"] > 0).all()


def test_fixed_rows_are_graded_as_assumptions() -> None:
    """A source with a mean only is loaded as fixed and carries grade D (the shape is assumed)."""
    fixed = TABLE[TABLE["distribution"] == "fixed"]
    assert not fixed.empty
    assert (fixed["grade"] == "D").all()


def test_conflicting_sources_are_kept_side_by_side() -> None:
    """Products with several sources keep one row per source, never an average."""
    per_product = TABLE.groupby("product")["source_id"].nunique()
    for product in ("passenger_car", "pv_panel", "ev_car", "ev_battery"):
        assert per_product[product] >= 3, product


def test_priority_chain_groups_are_covered() -> None:
    """Furniture, packaging, machinery and buildings/infrastructure each have sourced rows."""
    for category, least in (
        ("furniture", 3),
        ("packaging", 2),
        ("machinery", 10),
        ("buildings and infrastructure", 2),
    ):
        rows = TABLE[TABLE["category"] == category]
        assert len(rows) >= least, category
        assert rows["source_id"].nunique() >= 2, category
    assert (TABLE["region"] == "NL").any() and "muller_2006" in set(TABLE["source_id"])


def test_half_life_rows_convert_with_ln2() -> None:
    """Braun et al. (2016) half-lives (33.0, 8.5, 1.4 years) are means times ln(2), 0.01 year."""
    published = {
        "wood_products_construction": 33.0,
        "wood_products_furniture": 8.5,
        "wood_products_packaging": 1.4,
    }
    for product, half_life in published.items():
        lifetime = lifetime_from_database(product, source_id="braun_2016")
        assert float(lifetime.survival(np.array([half_life])).values[0]) == pytest.approx(
            0.5, abs=0.001
        ), product
        row = TABLE[TABLE["product"] == product].iloc[0]
        assert row["grade"] == "B" and "ln(2)" in row["note"]


def test_dutch_dwellings_keep_every_source_and_variant() -> None:
    """NL dwellings: Müller's three variants and the CBS service life are listed, not averaged."""
    with pytest.raises(ConfigError, match=r"4 rows for 'building_residential' match region='NL'"):
        lifetime_from_database("building_residential", region="NL")
    medium = lifetime_from_database("building_residential", region="NL", variant="medium")
    assert isinstance(medium, NormalLifetime)
    assert (float(medium.mean), float(medium.std)) == (90.0, 20.0)
    cbs = lifetime_from_database(
        "building_residential", source_id="verbiest_vandenven_1997_via_muller"
    )
    assert isinstance(cbs, FixedLifetime) and float(cbs.mean) == 100.0


def test_several_candidates_are_listed_not_chosen() -> None:
    """Two sources for NL cars: the error lists both with source, region, year and mean."""
    with pytest.raises(ConfigError, match=r"2 rows for 'passenger_car' match region='NL'") as err:
        lifetime_from_database("passenger_car", region="NL")
    message = str(err.value)
    assert "oguchi_fuse_2015_via_euzevam (NL, 2008, mean 15.1)" in message
    assert "cbs_2004 (NL, 2003, mean 14.1)" in message
    assert "\n" not in message


def test_a_selection_picks_one_row() -> None:
    """Selecting by source (or year) narrows the candidates to one lifetime."""
    by_source = lifetime_from_database(
        "passenger_car", region="NL", source_id="oguchi_fuse_2015_via_euzevam"
    )
    assert isinstance(by_source, WeibullLifetime)
    assert float(by_source.shape) == 3.7 and float(by_source.scale) == 16.73
    by_year = lifetime_from_database("passenger_car", region="nl", year=2003)
    assert isinstance(by_year, FixedLifetime) and float(by_year.mean) == 14.1


def test_variant_separates_scenarios_of_one_source() -> None:
    """Two scenarios of one source need ``variant=``; with it one row is returned."""
    with pytest.raises(ConfigError, match="variant 'baseline'.*variant 'long duration'"):
        lifetime_from_database("ev_battery", source_id="busch_2024")
    lifetime = lifetime_from_database("ev_battery", source_id="busch_2024", variant="Long duration")
    assert isinstance(lifetime, NormalLifetime) and float(lifetime.mean) == 20.0


def test_region_group_matches_each_member() -> None:
    """A profile for NL+FR+BE is found by region 'NL', 'BE' or the whole group."""
    for region in ("NL", "be", "NL+FR+BE"):
        lifetime = lifetime_from_database("eee_0108_fridges", region=region)
        assert isinstance(lifetime, WeibullLifetime)
        assert (float(lifetime.shape), float(lifetime.scale)) == (2.2, 16.43)


def test_no_match_lists_the_products_rows() -> None:
    """A selection matching nothing names the product's rows."""
    with pytest.raises(
        ConfigError, match=r"no row for 'wind_turbine_onshore' matches region='NL'.*jiang"
    ):
        lifetime_from_database("wind_turbine_onshore", region="NL")


def test_unknown_product_names_close_ids() -> None:
    """An unknown product id suggests close ids, by id, English or Dutch label."""
    with pytest.raises(ConfigError, match=r"no product 'passenger_cars'; close: passenger_car"):
        lifetime_from_database("passenger_cars")
    with pytest.raises(ConfigError, match="eee_0108_fridges"):
        lifetime_from_database("koelkast")


def test_the_table_is_a_copy() -> None:
    """Changing the returned table does not change the database."""
    table = lifetime_database()
    table.loc[:, "mean"] = -1.0
    assert (lifetime_database()["mean"] > 0).all()


def _one_row(**changes: object) -> pd.DataFrame:
    """Return a one-row table like the database's, with some cells changed (for the checker)."""
    row = {c: "" for c in TABLE.columns}
    row.update(
        product="thing",
        label_en="Thing",
        category="test",
        distribution="weibull",
        shape=2.0,
        scale=10.0,
        mean=round(10.0 * math.gamma(1.5), 2),
        std=float("nan"),
        region="NL",
        source_id="s1",
        grade="A",
    )
    row.update(changes)
    return pd.DataFrame([row])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"distribution": "beta"}, "unknown distribution 'beta'"),
        ({"grade": "E"}, "grade must be one of A, B, C, D"),
        ({"std": 3.0}, "weibull takes no 'std'"),
        ({"scale": float("nan")}, "'scale' must be a number > 0"),
        ({"mean": 12.0}, "mean 12 does not match the weibull parameters"),
        ({"source_id": "nowhere"}, "source_id 'nowhere' is not in lifetime_sources.csv"),
        ({"year": "20x8"}, "year must be empty or a whole year"),
    ],
)
def test_checker_names_row_and_problem(changes: dict[str, object], message: str) -> None:
    """A bad row fails loading with one line naming the file, row, product and problem."""
    sources = pd.DataFrame({"source_id": ["s1"]})
    _check_table(_one_row(), sources, first_line=7)
    with pytest.raises(DataError, match=rf"lifetimes.csv: row 7 \('thing'\): {message}"):
        _check_table(_one_row(**changes), sources, first_line=7)


def test_checker_refuses_duplicated_keys() -> None:
    """Two rows with the same key fail loading: a conflict needs a region, year or variant."""
    sources = pd.DataFrame({"source_id": ["s1"]})
    with pytest.raises(DataError, match="2 rows share the key product='thing'"):
        _check_table(pd.concat([_one_row(), _one_row()], ignore_index=True), sources, 7)
