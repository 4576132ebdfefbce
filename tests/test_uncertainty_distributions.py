"""Tests of msa.uncertainty: the grade table, distributions, splits, tables and streams."""

from __future__ import annotations

import dataclasses
import math
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from msa.errors import ConfigError
from msa.uncertainty import (
    Uncertainty,
    UncertaintySpec,
    draw_split,
    grade_log_sd,
    grade_table,
    resolve_uncertainty,
    sample_uniforms,
    spawn_streams,
    table_factor,
)

N = 200_000
SEED = 20260101
WHERE = "model.toml: [parameters.x]"
PEDIGREE = ("reliability", "completeness", "temporal", "geographical", "technological")
INDICATOR = {
    "reliability": "reliability",
    "completeness": "completeness",
    "temporal": "temporal correlation",
    "geographical": "geographical correlation",
    "technological": "further technological correlation",
}


def _data(name: str) -> pd.DataFrame:
    with files("msa").joinpath("data", f"{name}.csv").open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


def _cv(log_sd: float) -> float:
    return math.sqrt(math.expm1(log_sd**2))


# ----------------------------------------------------------------------------- grade table


def test_grade_table_rows_cite_source_and_assumption():
    """Every row of the grade table gives its source and says what is assumed."""
    table = grade_table()
    assert len(table) == 4 + 6
    assert (table["source"].str.len() > 0).all() and (table["assumption"].str.len() > 0).all()
    assert table["source"].str.contains("Weidema et al. 2013").all()


def test_grade_log_sd_is_the_pedigree_sum_of_ecoinvent_v3_variances():
    """log_sd = sqrt(sum of the v3 variances of the grade's pedigree scores), to 6 decimals."""
    variances = _data("pedigree_variances")
    lookup = {
        (row.indicator, int(row.score)): float(row.variance_ln) for row in variances.itertuples()
    }
    for row in grade_table().itertuples():
        total = sum(lookup[(INDICATOR[i], int(getattr(row, i)))] for i in PEDIGREE)
        assert float(row.log_sd) == pytest.approx(math.sqrt(total), abs=1e-6), row.grade


def test_pedigree_variances_are_the_published_v3_values():
    """A few cells of the ecoinvent v3 pedigree variances (Weidema et al. 2013), as cited."""
    variances = _data("pedigree_variances").set_index(["indicator", "score"])["variance_ln"]
    assert float(variances[("reliability", "5")]) == 0.04
    assert float(variances[("further technological correlation", "5")]) == 0.12
    assert float(variances[("geographical correlation", "2")]) == 2.5e-05
    assert len(variances) == 25 and _data("pedigree_variances")["source"].str.len().min() > 0


def test_gsd_and_cv_columns_follow_log_sd():
    """The documenting columns gsd = exp(log_sd) and cv = sqrt(exp(log_sd^2) - 1) agree."""
    for row in grade_table().itertuples():
        log_sd = float(row.log_sd)
        assert float(row.gsd) == pytest.approx(math.exp(log_sd), abs=2e-6)
        assert float(row.cv) == pytest.approx(_cv(log_sd), abs=2e-6)


def test_grades_widen_from_a_to_d_and_clo_a_to_f():
    """Grade D is wider than C, C than B, B than A; and CLO F > E > D > C > B > A."""
    jrc = [grade_log_sd(g) for g in "ABCD"]
    assert jrc == sorted(jrc) and len(set(jrc)) == 4 and jrc[0] > 0
    clo = [grade_log_sd("A", clo_grade=g) for g in "ABCDEF"]
    assert clo == sorted(clo) and len(set(clo)) == 6
    draws = [resolve_uncertainty(10.0, g).draw(N, SEED).std() for g in "ABCD"]
    assert draws == sorted(draws)


def test_clo_grade_is_preferred_to_the_jrc_grade():
    """A value with a CLO grade takes its spread from the CLO grade; "" means none."""
    assert resolve_uncertainty(10.0, "A", "F").sd == resolve_uncertainty(10.0, "D", "F").sd
    assert resolve_uncertainty(10.0, "A", "F").basis == "CLO grade F (grade_uncertainty.csv)"
    assert resolve_uncertainty(10.0, "C", "").sd == resolve_uncertainty(10.0, "C").sd


# ----------------------------------------------------------------------------- distributions

MOMENT_CASES = [
    (100.0, "C", None, None, False),
    (100.0, "D", None, {"distribution": "normal", "sd": 10.0}, False),
    (100.0, "D", None, {"distribution": "lognormal", "cv": 0.5}, False),
    (100.0, "D", None, {"distribution": "lognormal", "gsd": 1.5}, False),
    (100.0, "D", None, {"sd": 25}, False),
    (100.0, "D", None, {"distribution": "uniform", "low": 80, "high": 120}, False),
    (100.0, "D", None, {"distribution": "uniform", "cv": 0.2}, False),
    (100.0, "D", None, {"distribution": "triangular", "low": 80, "high": 130}, False),
    (100.0, "D", None, {"distribution": "triangular", "low": 70, "high": 130, "mode": 100}, False),
    (100.0, "D", None, {"distribution": "triangular", "sd": 8}, False),
    (0.3, "D", None, {"distribution": "beta", "sd": 0.1}, False),
    (0.3, "D", None, None, True),
    (0.97, "B", [0, 1], None, False),
    (-50.0, "C", None, None, False),
]


@pytest.mark.parametrize(("value", "grade", "bounds", "spec", "share"), MOMENT_CASES)
def test_mean_and_sd_match_the_spec(value, grade, bounds, spec, share):
    """Over 200k draws the mean is the value and the sd the resolved sd, within sampling error."""
    u = resolve_uncertainty(value, grade, bounds=bounds, spec=spec, share=share)
    draws = u.draw(N, SEED)
    assert draws.shape == (N,)
    assert abs(draws.mean() - value) < 5 * u.sd / math.sqrt(N)
    assert draws.std() == pytest.approx(u.sd, rel=0.02)
    if u.dist is not None:  # the scipy distribution agrees with the resolved moments
        assert float(u.dist.mean()) == pytest.approx(value, rel=1e-9, abs=1e-12)
        assert float(u.dist.std()) == pytest.approx(u.sd, rel=1e-9)


def test_declared_spreads_are_read_as_documented():
    """Spreads read as documented: sd absolute, cv relative, gsd = exp(sd of ln x), grade cv."""
    assert resolve_uncertainty(50.0, "A", spec={"distribution": "normal", "sd": 5}).sd == 5
    assert resolve_uncertainty(50.0, "A", spec={"distribution": "normal", "cv": 0.1}).sd == (
        pytest.approx(5)
    )
    u = resolve_uncertainty(50.0, "A", spec={"gsd": 1.5})
    assert u.distribution == "lognormal" and u.dist.kwds["scale"] != 50.0
    assert float(np.log(u.dist.ppf(0.8413447460685429) / u.dist.median())) == pytest.approx(
        math.log(1.5)
    )
    assert resolve_uncertainty(50.0, "D").sd == pytest.approx(50 * _cv(grade_log_sd("D")))
    assert resolve_uncertainty(-50.0, "D").distribution == "normal"


def test_lognormal_keeps_the_mean_not_the_median():
    """Mean-preserving lognormal: median = value * exp(-s^2 / 2)."""
    s = grade_log_sd("D")
    u = resolve_uncertainty(40.0, "D")
    assert float(u.dist.median()) == pytest.approx(40.0 * math.exp(-(s**2) / 2), rel=1e-12)
    assert float(u.dist.mean()) == pytest.approx(40.0, rel=1e-12)


def test_a_share_defaults_to_a_beta_with_the_spread_of_share_or_complement():
    """A share gets a beta, sd = cv * min(m, 1 - m); shares are marked or found by bounds."""
    cv = _cv(grade_log_sd("C"))
    for value, share, bounds in ((0.2, True, None), (0.9, False, [0.0, 1.0]), (0.9, True, None)):
        u = resolve_uncertainty(value, "C", bounds=bounds, share=share)
        assert u.distribution == "beta" and u.bounds == (0.0, 1.0)
        assert u.sd == pytest.approx(cv * min(value, 1 - value))
    assert resolve_uncertainty(0.9, "C", bounds=[0.0, 2.0]).distribution == "lognormal"


def test_a_declared_beta_is_a_share():
    """A declared beta takes the share rule for its grade spread: sd = cv * min(m, 1 - m)."""
    u = resolve_uncertainty(0.9, "D", spec={"distribution": "beta"})
    assert u.sd == pytest.approx(_cv(grade_log_sd("D")) * 0.1)
    assert u.bounds == (0.0, 1.0)


@pytest.mark.parametrize(
    "spec",
    [None, {"cv": 0.3}, {"distribution": "lognormal", "gsd": 2.0}, {"distribution": "normal"}],
)
def test_a_value_of_zero_with_a_relative_spread_stays_zero(spec):
    """A relative spread (a grade, cv, gsd) of 0 is 0: every draw is 0."""
    u = resolve_uncertainty(0.0, "D", spec=spec)
    assert u.sd == 0 and u.dist is None
    assert (u.draw(100, SEED) == 0).all()
    assert (resolve_uncertainty(0.0, "D", share=True).draw(10, SEED) == 0).all()


def test_an_absolute_spread_of_a_zero_value_draws():
    """A normal with an absolute sd has spread around 0."""
    draws = resolve_uncertainty(0.0, "D", spec={"distribution": "normal", "sd": 1.0}).draw(N, SEED)
    assert draws.std() == pytest.approx(1.0, rel=0.02)


def test_bounds_truncate_the_draws():
    """Bounds cut the distribution off; draws stay within and fill the window."""
    u = resolve_uncertainty(10.0, "D", bounds=[9.0, 10.5], spec={"distribution": "normal", "sd": 2})
    draws = u.draw(N, SEED)
    assert draws.min() >= 9.0 and draws.max() <= 10.5
    assert draws.min() < 9.01 and draws.max() > 10.49
    assert u.bounds == (9.0, 10.5)


def test_the_uncertainty_is_frozen_and_compares_by_value():
    """Uncertainty is a frozen dataclass; resolving twice gives equal objects."""
    u = resolve_uncertainty(3.0, "B", spec=UncertaintySpec(distribution="normal", cv=0.1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.value = 4.0  # type: ignore[misc]
    assert u == resolve_uncertainty(3.0, "B", spec={"distribution": "normal", "cv": 0.1})
    assert isinstance(u, Uncertainty) and u.basis == "uncertainty"


_distribution_specs = st.sampled_from(["normal", "lognormal", "uniform", "triangular"])


@given(
    value=st.floats(1e-3, 1e3),
    distribution=_distribution_specs,
    cv=st.floats(0.0, 5.0),
    below=st.one_of(st.floats(0.0, 2e3), st.just(math.inf)),
    above=st.one_of(st.floats(0.0, 2e3), st.just(math.inf)),
    seed=st.integers(0, 2**32 - 1),
)
def test_bounds_are_respected_for_any_value_and_spread(value, distribution, cv, below, above, seed):
    """Every draw lies within the bounds, whatever the value, distribution and spread."""
    bounds = [value - below, value + above]
    u = resolve_uncertainty(
        value, "D", bounds=bounds, spec={"distribution": distribution, "cv": cv}
    )
    draws = u.draw(500, seed)
    assert np.isfinite(draws).all()
    assert (draws >= bounds[0]).all() and (draws <= bounds[1]).all()


@given(
    value=st.floats(0.0, 1.0),
    grade=st.sampled_from("ABCD"),
    clo=st.sampled_from(["", "A", "B", "C", "D", "E", "F"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_share_stays_in_zero_one(value, grade, clo, seed):
    """A share's default draws lie in [0, 1], for any value and grade."""
    draws = resolve_uncertainty(value, grade, clo, share=True).draw(500, seed)
    assert np.isfinite(draws).all() and (draws >= 0).all() and (draws <= 1).all()


@given(
    value=st.floats(0.0, 1.0),
    below=st.floats(0.0, 1.0),
    above=st.floats(0.0, 1.0),
    grade=st.sampled_from("ABCD"),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_share_with_narrow_bounds_stays_within_them(value, below, above, grade, seed):
    """A share's beta truncated to bounds inside [0, 1] draws only within the bounds."""
    bounds = [max(0.0, value - below), min(1.0, value + above)]
    draws = resolve_uncertainty(value, grade, bounds=bounds).draw(500, seed)
    assert np.isfinite(draws).all()
    assert (draws >= bounds[0]).all() and (draws <= bounds[1]).all()


# ----------------------------------------------------------------------------- bad input

BAD = [
    ({"spec": {"distribution": "gamma"}}, r"\[parameters\.x\] uncertainty\.distribution: unknown"),
    ({"spec": {"sigma": 0.1}}, r"\[parameters\.x\] uncertainty\.sigma: unknown key"),
    ({"spec": {"sd": -1.0}}, r"\[parameters\.x\] uncertainty\.sd: must be >= 0"),
    ({"spec": {"cv": -0.2}}, r"\[parameters\.x\] uncertainty\.cv: must be >= 0"),
    ({"spec": {"gsd": 0.5}}, r"\[parameters\.x\] uncertainty\.gsd: must be >= 1"),
    ({"spec": {"sd": "big"}}, r"\[parameters\.x\] uncertainty\.sd: .*valid number"),
    ({"spec": {"sd": True}}, r"\[parameters\.x\] uncertainty\.sd: .*valid number"),
    ({"spec": {"cv": float("nan")}}, r"\[parameters\.x\] uncertainty\.cv: .*finite"),
    (
        {"spec": {"distribution": "uniform", "low": 12.0, "high": 8.0}},
        r"\[parameters\.x\] uncertainty\.low: low 12\.0 > high 8\.0",
    ),
    ({"spec": {"distribution": "uniform", "low": 8.0}}, r"uncertainty\.high: low needs low"),
    ({"spec": {"sd": 1.0, "cv": 0.1}}, r"uncertainty\.cv: give one spread, not sd and cv"),
    ({"spec": {"distribution": "normal", "gsd": 1.2}}, r"uncertainty\.gsd: gsd is the spread"),
    ({"spec": {"distribution": "normal", "low": 1.0, "high": 2.0}}, r"uncertainty\.low: .*bounds"),
    ({"spec": {"mode": 10.0}}, r"uncertainty\.mode: mode is for a triangular"),
    (
        {"spec": {"distribution": "uniform", "low": 5.0, "high": 25.0}},
        r"uncertainty\.low: the mean \(low \+ high\) / 2 = 15 is not the value 10\.0",
    ),
    (
        {"spec": {"distribution": "triangular", "low": 8.0, "high": 14.0, "mode": 9.0}},
        r"uncertainty\.mode: the mean .* leave mode out",
    ),
    (
        {"spec": {"distribution": "triangular", "low": 0.0, "high": 11.0}},
        r"uncertainty\.low: no triangular on \[0\.0, 11\.0\] has mean 10\.0",
    ),
    (
        {"value": 0.5, "spec": {"distribution": "beta", "sd": 0.5}},
        r"uncertainty\.sd: a beta with mean 0\.5 needs sd < sqrt\(m \(1 - m\)\) = 0\.5",
    ),
    (
        {"value": 0.5, "spec": {"distribution": "beta", "cv": 1.2}},
        r"uncertainty\.cv: a beta with mean 0\.5",
    ),
    ({"spec": {"distribution": "beta"}}, r"uncertainty\.distribution: a beta is for a share"),
    (
        {"value": 0.2, "share": True, "spec": {"distribution": "normal", "sd": 0.1}},
        r"\[parameters\.x\] uncertainty\.distribution: a share's normal reaches outside \[0, 1\]"
        r".*beta.*bounds",
    ),
    (
        {"value": 0.9, "share": True, "spec": {"distribution": "lognormal", "cv": 0.1}},
        r"uncertainty\.distribution: a share's lognormal reaches outside",
    ),
    (
        {"value": 0.5, "share": True, "spec": {"distribution": "uniform", "sd": 0.5}},
        r"uncertainty\.distribution: a share's uniform reaches outside",
    ),
    (
        {"value": -1.0, "spec": {"distribution": "lognormal", "sd": 1.0}},
        r"uncertainty\.distribution: a lognormal is for a value > 0",
    ),
    ({"spec": [0.1]}, r"\[parameters\.x\] uncertainty: give a table"),
    ({"grade": "E"}, r"\[parameters\.x\] grade: unknown grade 'E'"),
    ({"grade": ""}, r"\[parameters\.x\] grade: unknown grade ''.*ungraded"),
    ({"clo_grade": "G"}, r"\[parameters\.x\] clo_grade: unknown CLO grade 'G'"),
    ({"bounds": [5.0, 1.0]}, r"\[parameters\.x\] bounds: low 5\.0 > high 1\.0"),
    ({"bounds": [0.0]}, r"\[parameters\.x\] bounds: give \[low, high\]"),
    ({"bounds": [0.0, 1.0]}, r"\[parameters\.x\] value: 10\.0 is outside its bounds"),
    ({"value": float("inf")}, r"\[parameters\.x\] value: must be finite"),
    ({"value": "ten"}, r"\[parameters\.x\] value: must be a number"),
    ({"value": 1.5, "share": True}, r"\[parameters\.x\] value: a share must lie in \[0, 1\]"),
]


@pytest.mark.parametrize(("changes", "match"), BAD)
def test_bad_input_is_one_error_naming_where_and_key(changes, match):
    """Each bad value, grade, bound or uncertainty key raises ConfigError naming where and key."""
    args = {"value": 10.0, "grade": "C", "where": WHERE, **changes}
    with pytest.raises(ConfigError, match=match) as info:
        resolve_uncertainty(**args)
    assert str(info.value).startswith(WHERE) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"values": [0.5, 0.6]}, r"chem values: shares must add to 1"),
        ({"values": [1.2, -0.2]}, r"chem values\[1\]: a share must be >= 0"),
        ({"values": [0.5, float("nan"), 0.5]}, r"chem values\[1\]: a share must be >= 0"),
        ({"values": [[0.5, 0.5]]}, r"chem values: give the shares of one split"),
        ({"grade": None}, r"chem: give one of grade, sd or concentration \(got none\)"),
        ({"sd": 0.1}, r"chem: give one of grade, sd or concentration \(got grade, sd\)"),
        ({"grade": None, "sd": 0.6}, r"chem sd: the largest share 0\.6 can only have sd <"),
        ({"grade": None, "sd": -0.1}, r"chem sd: must be >= 0"),
        ({"grade": None, "concentration": 0.0}, r"chem concentration: must be a number > 0"),
        ({"grade": "Z"}, r"chem grade: unknown grade 'Z'"),
        ({"n": -1}, r"chem n: must be >= 0"),
        ({"n": 2.5}, r"chem n: must be a whole number"),
    ],
)
def test_bad_split_input_names_where_and_key(changes, match):
    """Bad shares or spread of a split raise ConfigError naming the split and the key."""
    args = {"values": [0.6, 0.4], "n": 10, "grade": "C", "where": "chem", **changes}
    with pytest.raises(ConfigError, match=match):
        draw_split(**args)


def test_bad_table_grades_name_the_row():
    """An unknown or missing grade in a table names the table and the row (from 0)."""
    with pytest.raises(ConfigError, match=r"ev\.csv row 1 grade: unknown grade ''"):
        table_factor(["A", "", "C"], 10, where="ev.csv")
    with pytest.raises(ConfigError, match=r"ev\.csv row 0 clo_grade: unknown CLO grade 'G'"):
        table_factor(["A"], 10, clo_grades=["G"], where="ev.csv")
    with pytest.raises(ConfigError, match=r"ev\.csv clo_grades: 1 grades for 2 rows"):
        table_factor(["A", "B"], 10, clo_grades=["A"], where="ev.csv")
    with pytest.raises(ConfigError, match=r"ev\.csv start: must be >= 0"):
        table_factor(["A"], 10, start=-2, where="ev.csv")


# ----------------------------------------------------------------------------- splits


@st.composite
def splits(draw):
    """Shares of a split: some zero, at least one positive, adding to 1."""
    k = draw(st.integers(1, 6))
    weights = draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1.0)), min_size=k, max_size=k))
    assume(sum(weights) > 0)
    return np.asarray(weights) / sum(weights)


@given(
    shares=splits(),
    grade=st.sampled_from(["A", "B", "C", "D"]),
    clo=st.sampled_from([None, "A", "F"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_shares_add_to_one_stay_in_range_and_zeros_stay_zero(shares, grade, clo, seed):
    """Each sample of a split adds to 1 within 1e-12, lies in [0, 1], and keeps zero shares 0."""
    draws = draw_split(shares, 300, seed, grade=grade, clo_grade=clo)
    assert draws.shape == (300, shares.size)
    assert np.abs(draws.sum(axis=1) - 1).max() < 1e-12
    assert (draws >= 0).all() and (draws <= 1).all()
    assert (draws[:, shares == 0] == 0).all()


@given(shares=splits(), concentration=st.floats(1e-3, 1e6), seed=st.integers(0, 2**32 - 1))
def test_split_with_any_concentration_adds_to_one(shares, concentration, seed):
    """Small and large concentrations alike give finite shares adding to 1."""
    draws = draw_split(shares, 200, seed, concentration=concentration)
    assert np.isfinite(draws).all() and np.abs(draws.sum(axis=1) - 1).max() < 1e-12
    assert (draws[:, shares == 0] == 0).all()


def test_split_means_are_the_shares_and_the_largest_share_has_the_given_sd():
    """Dirichlet means equal the shares; the largest share's sd is the sd asked for."""
    values = np.array([0.5, 0.3, 0.15, 0.05, 0.0])
    draws = draw_split(values, N, SEED, sd=0.04)
    np.testing.assert_allclose(draws.mean(axis=0), values, atol=5 * 0.04 / math.sqrt(N))
    assert draws[:, 0].std() == pytest.approx(0.04, rel=0.02)


def test_two_way_split_by_grade_draws_the_beta_of_its_larger_share():
    """A two-way split with a grade has the spread the beta of its larger share gets."""
    draws = draw_split([0.8, 0.2], N, SEED, grade="D")
    beta = resolve_uncertainty(0.8, "D", share=True)
    assert draws[:, 0].std() == pytest.approx(beta.sd, rel=0.02)
    assert draws[:, 0].mean() == pytest.approx(0.8, abs=5 * beta.sd / math.sqrt(N))


def test_split_with_one_share_or_no_spread_does_not_vary():
    """One non-zero share, sd 0 or infinite concentration: every sample is the split itself."""
    assert (draw_split([0.0, 1.0, 0.0], 5, 1, grade="D") == [0.0, 1.0, 0.0]).all()
    np.testing.assert_allclose(draw_split([0.3, 0.7], 5, 1, sd=0.0), [[0.3, 0.7]] * 5)
    np.testing.assert_allclose(
        draw_split([0.3, 0.7], 5, 1, concentration=math.inf), [[0.3, 0.7]] * 5
    )


# ----------------------------------------------------------------------------- tables


def test_table_factor_rows_move_together_with_their_own_spread():
    """One normal per sample for all rows; each row's factor has mean 1 and its grade's log-sd."""
    grades = ["A", "B", "C", "D"]
    factor = table_factor(grades, N, SEED)
    assert factor.shape == (N, 4)
    logs = np.log(factor)
    for column, grade in enumerate(grades):
        s = grade_log_sd(grade)
        assert factor[:, column].mean() == pytest.approx(1.0, abs=5 * _cv(s) / math.sqrt(N))
        assert logs[:, column].std() == pytest.approx(s, rel=0.01)
    np.testing.assert_allclose(np.corrcoef(logs.T), np.ones((4, 4)), atol=1e-12)


def test_table_factor_prefers_clo_grades():
    """A row with a CLO grade takes its spread; an empty CLO grade falls back to the JRC one."""
    factor = table_factor(["A", "A"], 1000, SEED, clo_grades=["F", ""])
    logs = np.log(factor)
    ratio = (logs[:, 0] + grade_log_sd("A", "F") ** 2 / 2) / (
        logs[:, 1] + grade_log_sd("A") ** 2 / 2
    )
    np.testing.assert_allclose(ratio, grade_log_sd("A", "F") / grade_log_sd("A"), rtol=1e-9)


# ----------------------------------------------------------------------------- reproducibility


def _draws(kind: str, n: int, rng, start: int = 0) -> np.ndarray:
    if kind == "lognormal":
        return resolve_uncertainty(5.0, "D").draw(n, rng, start=start)
    if kind == "truncated":
        u = resolve_uncertainty(5.0, "D", bounds=[4.0, 6.0], spec={"cv": 0.5})
        return u.draw(n, rng, start=start)
    if kind == "beta":
        return resolve_uncertainty(0.4, "C", share=True).draw(n, rng, start=start)
    if kind == "split":
        return draw_split([0.5, 0.0, 0.3, 0.2], n, rng, grade="C", start=start)
    return table_factor(["A", "D"], n, rng, start=start)


KINDS = ["lognormal", "truncated", "beta", "split", "table"]


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_numbers(kind):
    """Two draws with the same seed are identical; an int and default_rng(int) agree."""
    a = _draws(kind, 50, 11)
    np.testing.assert_array_equal(a, _draws(kind, 50, 11))
    np.testing.assert_array_equal(a, _draws(kind, 50, np.random.default_rng(11)))
    assert not np.array_equal(a, _draws(kind, 50, 12))


@pytest.mark.parametrize("kind", KINDS)
@given(n=st.integers(0, 60), data=st.data(), seed=st.integers(0, 2**63))
def test_chunked_draws_equal_one_draw(kind, n, data, seed):
    """Samples [0, k) then [k, n) (start=k) are exactly the samples of one draw of n."""
    k = data.draw(st.integers(0, n))
    whole = _draws(kind, n, seed)
    parts = np.concatenate([_draws(kind, k, seed), _draws(kind, n - k, seed, start=k)])
    np.testing.assert_array_equal(whole, parts)


def test_chunks_from_spawned_streams_and_other_generators_agree():
    """Fresh spawned streams draw chunks exactly; a generator without advance skips by drawing."""
    u = resolve_uncertainty(5.0, "C")
    whole = u.draw(30, spawn_streams(3, ["x"])["x"])
    later = u.draw(20, spawn_streams(3, ["x"])["x"], start=10)
    np.testing.assert_array_equal(whole[10:], later)
    mt = u.draw(30, np.random.Generator(np.random.MT19937(5)))
    mt_later = u.draw(20, np.random.Generator(np.random.MT19937(5)), start=10)
    np.testing.assert_array_equal(mt[10:], mt_later)


def test_spawned_streams_depend_on_seed_and_name_only():
    """A name's stream does not depend on the other names or their order; names differ."""
    one = spawn_streams(9, ["a", "b", "c"])
    two = spawn_streams(9, ["c", "a"])
    assert one["a"].random(3).tolist() == two["a"].random(3).tolist()
    assert spawn_streams(9, ["a"])["a"].random() != spawn_streams(9, ["b"])["b"].random()
    assert spawn_streams(9, ["a"])["a"].random() != spawn_streams(10, ["a"])["a"].random()
    via_generator = spawn_streams(np.random.default_rng(9), ["a"])["a"].random(3)
    assert via_generator.tolist() == spawn_streams(9, ["a"])["a"].random(3).tolist()


def test_spawn_streams_refuses_a_bad_seed():
    """A negative or non-integer seed is a ConfigError naming spawn_streams."""
    with pytest.raises(ConfigError, match="spawn_streams: the seed must be an int >= 0"):
        spawn_streams(-1, ["a"])
    with pytest.raises(ConfigError, match="spawn_streams: the seed must be"):
        spawn_streams(1.5, ["a"])  # type: ignore[arg-type]


def test_sample_uniforms_lie_strictly_inside_zero_one():
    """The uniforms every draw starts from are in (0, 1), one per sample (or per_sample)."""
    u = sample_uniforms(1, 1000, per_sample=3)
    assert u.shape == (1000, 3) and (u > 0).all() and (u < 1).all()
    np.testing.assert_array_equal(u.ravel(), sample_uniforms(1, 3000))


# --- competing shares: a generalised Dirichlet by stick breaking ------------------------------
_share_values = st.lists(st.floats(0.01, 0.6), min_size=2, max_size=4).filter(
    lambda v: sum(v) <= 0.98
)


@settings(max_examples=30, deadline=None)
@given(values=_share_values, grades=st.lists(st.sampled_from("ABCD"), min_size=4, max_size=4))
def test_competing_shares_never_take_more_than_the_whole(values, grades) -> None:
    from msa.uncertainty import draw_competing_shares

    laws = [
        resolve_uncertainty(v, g, share=True, where=f"s{k}")
        for k, (v, g) in enumerate(zip(values, grades, strict=False))
    ]
    u = np.random.default_rng(0).random((4000, len(laws)))
    draws, _ = draw_competing_shares(laws, u)
    assert draws.shape == (4000, len(laws))
    assert (draws >= 0).all() and (draws.sum(axis=1) <= 1 + 1e-12).all()


def test_competing_shares_keep_each_mean_and_sd() -> None:
    """Each share keeps its law's mean and sd (20,000 samples: within 2% and 4%)."""
    from msa.uncertainty import draw_competing_shares

    laws = [
        resolve_uncertainty(0.85, "D", share=True, where="collection"),
        resolve_uncertainty(0.05, "D", share=True, where="export"),
        resolve_uncertainty(0.05, "C", share=True, where="reuse"),
    ]
    u = np.random.default_rng(3).random((20000, 3))
    draws, notes = draw_competing_shares(laws, u)
    assert notes == []
    for k, law in enumerate(laws):
        assert draws[:, k].mean() == pytest.approx(law.value, rel=0.02)
        assert draws[:, k].std() == pytest.approx(law.sd, rel=0.04)
    # drawn alone, a fifth of these samples would take more than all
    alone = np.column_stack([law.quantile(u[:, k]) for k, law in enumerate(laws)])
    assert (alone.sum(axis=1) > 1).mean() > 0.1
    assert draws.sum(axis=1).max() <= 1


def test_competing_shares_a_fixed_share_keeps_its_value_and_chunks_agree() -> None:
    from msa.uncertainty import draw_competing_shares

    laws = [
        resolve_uncertainty(0.3, "D", share=True, where="a"),
        resolve_uncertainty(0.5, "A", share=True, where="b", spec={"sd": 0}),
        resolve_uncertainty(0.15, "C", share=True, where="c"),
    ]
    u = np.random.default_rng(9).random((50, 3))
    draws, _ = draw_competing_shares(laws, u)
    assert (draws[:, 1] == 0.5).all() and (draws.sum(axis=1) <= 1 + 1e-12).all()
    first, _ = draw_competing_shares(laws, u[:20])
    np.testing.assert_array_equal(first, draws[:20])  # sample i does not depend on the others


def test_competing_shares_refuse_means_above_one_and_other_laws() -> None:
    from msa.uncertainty import draw_competing_shares

    a = resolve_uncertainty(0.7, "D", share=True, where="a")
    b = resolve_uncertainty(0.4, "D", share=True, where="b")
    with pytest.raises(ConfigError, match="add to 1.1 > 1"):
        draw_competing_shares([a, b], np.full((3, 2), 0.5), where="Discarded")
    c = resolve_uncertainty(0.2, "D", share=True, where="c", spec={"distribution": "uniform"})
    with pytest.raises(ConfigError, match="must be betas"):
        draw_competing_shares([a, c], np.full((3, 2), 0.5))
