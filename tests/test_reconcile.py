"""Unit tests of msa.reconcile: parser, classification, gross errors, bounds, batch, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from msa.errors import ConfigError, DataError, MassBalanceError, MsaError, MsaWarning
from msa.reconciliation import Problem, parse_equation, quote, reconcile


def _q(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": list(rows),
            "value": [v for v, _ in rows.values()],
            "sd": [s for _, s in rows.values()],
        }
    )


def test_parser_accepts_linear_bilinear_and_quoted_names() -> None:
    """Parse sums, products, parentheses, division by a number, '=' and backtick names."""
    assert parse_equation("TC*(F1+F2) = F3/2") == {
        ("F1", "TC"): 1.0,
        ("F2", "TC"): 1.0,
        ("F3",): -0.5,
    }
    assert parse_equation("`Use => Collection` - 0.4*a.b") == {
        ("Use => Collection",): 1.0,
        ("a.b",): -0.4,
    }
    assert quote("Use => Collection") == "`Use => Collection`"
    assert quote("F_1") == "F_1"


@pytest.mark.parametrize(
    ("equation", "match"),
    [
        ("a + ", r"equation 1 'a \+ ' cannot be parsed"),
        ("a ** 2", r"cannot be parsed: operator Pow"),
        ("f(a)", r"cannot be parsed: Call"),
        ("a / b", r"division is only by a non-zero number"),
        ("a * b * c", r"degree 3 \(a \* b \* c\).*bilinear"),
        ("a = b = c", r"more than one '='"),
        ("a - zz", r"equation 1 'a - zz' names 'zz', which is not a quantity"),
    ],
)
def test_bad_equations_name_the_equation(equation: str, match: str) -> None:
    """A non-parsable, non-bilinear or unknown-name equation raises DataError naming it."""
    q = _q({"a": (1.0, 1.0), "b": (1.0, 1.0), "c": (1.0, 1.0)})
    with pytest.raises(DataError, match=match):
        reconcile(q, [equation])


def test_bad_quantities_raise_one_line() -> None:
    """Negative sd, sd without value and duplicate names are DataErrors naming the quantity."""
    with pytest.raises(DataError, match=r"'a' has a negative sd \(-1.0\)"):
        reconcile(_q({"a": (1.0, -1.0), "b": (1.0, 1.0)}), ["a - b"])
    with pytest.raises(DataError, match=r"'a' has an sd \(2.0\) but no value"):
        reconcile(_q({"a": (np.nan, 2.0), "b": (1.0, 1.0)}), ["a - b"])
    dup = pd.DataFrame({"name": ["a", "a"], "value": [1.0, 2.0], "sd": [1.0, 1.0]})
    with pytest.raises(DataError, match=r"unique; repeated: \['a'\]"):
        reconcile(dup, ["a"])


def test_constants_only_contradiction_names_the_equation() -> None:
    """An equation among constants only that does not hold raises, naming it and the gap."""
    q = _q({"A": (10.0, 0.0), "B": (5.0, 0.0), "C": (1.0, 1.0)})
    with pytest.raises(
        MassBalanceError, match=r"equation 2 'A - B' holds only constants and is off by 5"
    ):
        reconcile(q, ["C - 1", "A - B"])


def test_contradiction_through_an_unknown_names_both_equations() -> None:
    """Two equations fixing one unknown to different constants contradict each other."""
    q = _q({"y": (np.nan, np.nan), "A": (5.0, 0.0), "B": (7.0, 0.0)})
    with pytest.raises(
        MassBalanceError, match=r"equations 1 'y - A', 2 'y - B' contradict.*off by 2"
    ):
        reconcile(q, ["y - A", "y - B"])


def test_singular_covariance_raises() -> None:
    """A covariance that is not positive definite is a DataError."""
    q = _q({"a": (1.0, 1.0), "b": (2.0, 1.0)})
    cov = pd.DataFrame([[1.0, 1.0], [1.0, 1.0]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(DataError, match="singular or not positive definite"):
        reconcile(q, ["a - b"], covariance=cov)


def test_not_converging_names_the_quantities_still_moving() -> None:
    """A bilinear problem stopped at max_iter raises MsaError naming moving quantities."""
    q = _q({"F3": (300.0, 30.0), "F4": (160.0, 16.0), "TC": (0.5, 0.05), "F1": (100.0, 10.0)})
    with pytest.raises(MsaError, match=r"did not converge in 1 iterations.*still moving: '"):
        reconcile(q, ["F4 - TC * F3", "F1 + F4 - F3 + 50"], max_iter=1)


def test_dependent_equation_is_dropped_with_a_note() -> None:
    """A repeated equation does not make the problem singular; a note says so."""
    q = _q({"a": (10.0, 1.0), "b": (12.0, 1.0)})
    r = reconcile(q, ["a - b", "2*a - 2*b"])
    assert r.dof == 1
    assert r.table["value"].tolist() == pytest.approx([11.0, 11.0])
    assert any("depend on the others" in note for note in r.notes)


def test_classification_and_constants_are_never_adjusted() -> None:
    """Each kind of quantity gets its class; constants keep their value with sd 0."""
    q = _q(
        {
            "inflow": (100.0, 5.0),
            "out": (90.0, 5.0),
            "loss": (np.nan, np.nan),
            "fixed": (20.0, 0.0),
            "side": (30.0, 3.0),
            "free1": (np.nan, np.nan),
            "free2": (np.nan, np.nan),
            "lone": (4.0, 1.0),
        }
    )
    eqs = ["inflow + fixed - out - loss", "loss - 10", "side - free1 - free2"]
    with pytest.warns(MsaWarning, match=r"\['free1', 'free2'\]"):
        r = reconcile(q, eqs)
    c = r.table["classification"]
    assert c["inflow"] == c["out"] == "measured redundant"
    assert c["side"] == c["lone"] == "measured non-redundant"
    assert c["loss"] == "unknown observable"
    assert c["fixed"] == "constant"
    assert c["free1"] == c["free2"] == "unknown unobservable"
    assert r.table.loc["fixed", ["value", "sd"]].tolist() == [20.0, 0.0]
    assert r.table.loc["side", "value"] == 30.0
    assert np.isnan(r.z["side"])
    assert r.table.loc["inflow", "value"] + 20 - r.table.loc["out", "value"] == pytest.approx(10.0)


def test_gross_error_fails_chi2_and_largest_z_points_at_it_or_its_set() -> None:
    """A measurement off by x10 fails the global test; the largest |z| is in its set."""
    rng = np.random.default_rng(3)
    names = [f"F{i}" for i in range(8)]
    true = {
        "F0": 100.0,
        "F1": 60.0,
        "F2": 40.0,
        "F3": 30.0,
        "F4": 30.0,
        "F5": 70.0,
        "F6": 20.0,
        "F7": 50.0,
    }
    eqs = [
        "F0 - F1 - F2",
        "F2 - F6 - `F7` + F4 + F5 - F3 - 60 + F1 - F1 + F6",
        "F1 + F3 - F5",
        "F4 + F6 - F7",
    ]
    eqs[1] = "F2 + F4 + F6 - F3 - F7 - 10"
    sds = {n: 0.02 * v for n, v in true.items()}
    vals = {n: v + rng.normal(0, sds[n]) * 0.1 for n, v in true.items()}
    vals["F5"] *= 10
    q = pd.DataFrame(
        {"name": names, "value": [vals[n] for n in names], "sd": [sds[n] for n in names]}
    )
    r = reconcile(q, eqs)
    assert not r.passed
    top = r.z.abs().idxmax()
    group = next((g for g in r.equivalent if "F5" in g), ("F5",))
    assert top in group
    assert r.table.loc[top, "flagged"]


def test_equivalent_measurements_share_their_z() -> None:
    """Measurements entering only as a sum form an equivalence set with equal |z|."""
    q = _q({"a": (10.0, 1.0), "b": (10.0, 1.0), "c": (25.0, 1.0)})
    r = reconcile(q, ["a + b - c"])
    assert ("a", "b") in r.equivalent or ("a", "b", "c") in r.equivalent
    assert abs(r.z["a"]) == pytest.approx(abs(r.z["b"]))


def test_bounds_keep_flows_nonnegative_and_report_the_active_bound() -> None:
    """With bounds='nonnegative' a flow WLS makes negative sits at 0, marked in 'bound'."""
    q = _q({"inflow": (100.0, 1.0), "a": (99.0, 10.0), "b": (5.0, 10.0), "c": (np.nan, np.nan)})
    eqs = ["inflow - a - b - c"]
    free = reconcile(q, eqs)
    assert free.table.loc["c", "value"] < 0
    assert any("negative results" in note for note in free.notes)
    r = reconcile(q, eqs, bounds="nonnegative")
    assert r.bounded
    assert r.table.loc["c", "value"] == 0.0
    assert r.table.loc["c", "bound"] == "lower"
    assert r.table["value"].min() >= 0
    assert r.table.loc["inflow", "value"] - r.table.loc["a", "value"] - r.table.loc[
        "b", "value"
    ] == pytest.approx(0, abs=1e-9)
    assert any("Gaussian approximations" in note for note in r.notes)


def test_bounds_from_columns_and_a_released_bound() -> None:
    """Column bounds are honoured; a bound that is not needed is not active."""
    q = _q({"x": (1.0, 1.0), "y": (5.0, 1.0)})
    q["lower"] = [2.0, np.nan]
    q["upper"] = [np.nan, 3.5]
    r = reconcile(q, ["x - y"])
    assert r.table.loc["x", "value"] == pytest.approx(3.0)
    assert r.table["bound"].tolist() == ["", ""]
    q["upper"] = [np.nan, 2.5]
    r = reconcile(q, ["x - y"])
    assert r.table["value"].tolist() == pytest.approx([2.5, 2.5])
    assert r.table.loc["y", "bound"] == "upper"


def test_bounds_options_are_checked() -> None:
    """Unknown bounds options and bounds with a covariance are refused."""
    q = _q({"x": (1.0, 1.0), "y": (5.0, 1.0)})
    with pytest.raises(ConfigError, match="bounds must be"):
        reconcile(q, ["x - y"], bounds="positive")
    cov = pd.DataFrame([[1.0]], index=["x"], columns=["x"])
    with pytest.raises(ConfigError, match="covariance"):
        reconcile(q, ["x - y"], bounds="nonnegative", covariance=cov)


def test_batch_equals_one_by_one_and_groups_patterns() -> None:
    """Problem.solve over K periods equals reconcile period by period, mixed patterns included."""
    rng = np.random.default_rng(0)
    names = ["a", "b", "c", "d"]
    eqs = ["a - b - c", "c - d"]
    values = 10 + rng.random((6, 4)) * 5
    sds = 0.5 + rng.random((6, 4))
    values[2, 3] = np.nan
    sds[2, 3] = np.nan
    sds[4, 0] = 0.0
    batch = Problem(names, eqs).solve(values, sds)
    for k in range(6):
        one = reconcile(pd.DataFrame({"name": names, "value": values[k], "sd": sds[k]}), eqs)
        np.testing.assert_allclose(batch.values[k], one.table["value"], rtol=1e-12)
        np.testing.assert_allclose(batch.sd[k], one.table["sd"], rtol=1e-9)
        assert batch.chi2[k] == pytest.approx(one.chi2)
        assert batch.dof[k] == one.dof
        assert list(batch.classification[k]) == one.table["classification"].tolist()
    assert batch.dof.tolist() == [2, 2, 1, 2, 2, 2]


def test_covariance_of_results_is_consistent_with_sds() -> None:
    """The covariance's diagonal equals the squared sds, for measured and unknown results."""
    q = _q({"inflow": (100.0, 5.0), "out": (90.0, 4.0), "loss": (np.nan, np.nan), "x": (7.0, 1.0)})
    r = reconcile(q, ["inflow - out - loss - x", "loss - 0.5*x"])
    cov = r.covariance
    for name in cov.index:
        assert cov.loc[name, name] == pytest.approx(r.table.loc[name, "sd"] ** 2)
