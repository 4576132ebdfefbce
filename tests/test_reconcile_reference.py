"""Reference tests of msa.reconcile against published reconciliation examples (printed numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from msa.errors import MsaWarning
from msa.reconciliation import reconcile

# -- Cencic (2016) STAN example, as encoded and printed in CarrerF/ODYM,
#    "docs/ODYM Data Reconciliation part1.ipynb", section 2.7 (results table, 6 decimals).
#    Flows 1, 3, 5 measured (100±10, 300±30, 160±16), flow 2 a constant (50), flows 4, 6, 7
#    unknown, TC34 = 0.5±0.05 with flow4 = TC34 * flow3; processes 1-3 balance.
CENCIC = pd.DataFrame(
    {
        "name": ["m01_1", "m01_2", "m12", "m21", "m23", "m30_1", "m30_2", "TC_34"],
        "value": [100.0, 50.0, 300.0, np.nan, 160.0, np.nan, np.nan, 0.5],
        "sd": [10.0, 0.0, 30.0, np.nan, 16.0, np.nan, np.nan, 0.05],
    }
)
CENCIC_EQUATIONS = [
    "m01_1 + m01_2 + m21 - m12",
    "m12 - m21 - m23",
    "m23 - m30_1 - m30_2",
    "m21 - m12 * TC_34",
]
# name: (reconciled value, reconciled sd) as printed by ODYM
CENCIC_PRINTED = {
    "m01_1": (102.425960, 7.882792),
    "m12": (302.416229, 22.608614),
    "m21": (149.990270, 21.213297),
    "m23": (152.425960, 7.882792),
    "TC_34": (0.495973, 0.037681),
}


def test_cencic_bilinear_example_matches_printed_values() -> None:
    """The bilinear STAN example reproduces ODYM's printed values and sds to 6 decimals."""
    with pytest.warns(MsaWarning, match=r"m30_1.*m30_2"):
        r = reconcile(CENCIC, CENCIC_EQUATIONS)
    for name, (value, sd) in CENCIC_PRINTED.items():
        assert r.table.loc[name, "value"] == pytest.approx(value, abs=5e-7)
        assert r.table.loc[name, "sd"] == pytest.approx(sd, abs=5e-7)
    assert r.table.loc["m01_2", "value"] == 50.0
    assert r.table.loc["m01_2", "classification"] == "constant"
    # ODYM: "Cannot reconcile. Initial estimate only" for flows 6 and 7
    assert r.table.loc[["m30_1", "m30_2"], "classification"].eq("unknown unobservable").all()
    assert r.table.loc[["m30_1", "m30_2"], "value"].isna().all()
    assert r.table.loc["m21", "classification"] == "unknown observable"
    assert r.iterations > 1


def test_cencic_example_with_equal_outflows_closes_process_3() -> None:
    """ODYM's second run (m30_1 = m30_2 * TC_67, TC_67 = 1 constant) prints 76.212980 ± 3.941396."""
    q = pd.concat(
        [CENCIC, pd.DataFrame({"name": ["TC_67"], "value": [1.0], "sd": [0.0]})],
        ignore_index=True,
    )
    r = reconcile(q, [*CENCIC_EQUATIONS, "m30_1 - m30_2 * TC_67"])
    for name in ("m30_1", "m30_2"):
        assert r.table.loc[name, "value"] == pytest.approx(76.212980, abs=5e-7)
        assert r.table.loc[name, "sd"] == pytest.approx(3.941396, abs=5e-7)


# -- VDI 2048 example (heat circuit of a steam turbine plant) as encoded in the OpenModelica
#    test suite (testsuite/openmodelica/dataReconciliation: VDI2048Example, inputs
#    DataReconciliationSimpleTests.VDI2048Exple_Inputs.csv, half-widths of 95 % intervals =
#    1.96 sd) with the correlations of the OpenModelica User's Guide, "Data Reconciliation"
#    (r(mSPL, mSPLL) = 0.39951, r(mFDKEL, mFDKELL) = 0.2); results printed in the guide's
#    figure dataReconciliationResult.png (OpenModelica v1.19) and equal to VDI 2048's own.
VDI_NAMES = ["mFDKEL", "mFDKELL", "mSPL", "mSPLL", "mV", "mHK", "mA7", "mA6", "mA5", "mHDNK", "mD"]
VDI_VALUES = [46.241, 45.668, 44.575, 44.319, 0.525, 69.978, 10.364, 3.744, 4.391, 18.498, 2.092]
VDI_HALF_WIDTHS = [2.5, 2.5, 0.535, 0.532, 0.105, 0.854, 0.168, 0.058, 0.058, 0.205, 0.272]
VDI_EQUATIONS = [
    "mFD1 = mFDKEL + mFDKELL - 0.2*mV",
    "mFD2 = mSPL + mSPLL - 0.6*mV",
    "mFD3 = mHK + mA7 + mA6 + mA5 + 0.4*mV",
    "mHDANZ = mA7 + mA6 + mA5",
    "0 = mFD1 - mFD2",
    "0 = mFD2 - mFD3",
    "0 = mHDANZ - mHDNK",
]
# name: (reconciled value, reconciled half-width), as printed (6 significant digits)
VDI_PRINTED = {
    "mFDKEL": (44.6959, 1.61062),
    "mFDKELL": (44.1229, 1.61062),
    "mSPL": (44.6426, 0.425429),
    "mSPLL": (44.3861, 0.423635),
    "mV": (0.524499, 0.104627),
    "mHK": (70.0049, 0.615089),
    "mA7": (10.3642, 0.133112),
    "mA6": (3.74402, 0.0566989),
    "mA5": (4.39102, 0.0566989),
    "mHDNK": (18.4993, 0.137264),
}
# "Values of Local Tests" as printed; those of mV, mA6 and mA5 are not |z| in the figure (see
# docs/reconciliation.md) and are left out.
VDI_LOCAL_TESTS = {
    "mFDKEL": 1.58381,
    "mFDKELL": 1.58381,
    "mSPL": 0.40853,
    "mSPLL": 0.40853,
    "mHK": 0.08913,
    "mA7": 0.00387312,
    "mHDNK": 0.0161013,
}


def _vdi() -> tuple[pd.DataFrame, pd.DataFrame]:
    sd = np.array(VDI_HALF_WIDTHS) / 1.96
    q = pd.DataFrame(
        {
            "name": VDI_NAMES + ["mFD1", "mFD2", "mFD3", "mHDANZ"],
            "value": VDI_VALUES + [np.nan] * 4,
            "sd": list(sd) + [np.nan] * 4,
        }
    )
    s = dict(zip(VDI_NAMES, sd, strict=True))
    names = ["mSPL", "mSPLL", "mFDKEL", "mFDKELL"]
    corr = pd.DataFrame(np.eye(4), index=names, columns=names)
    corr.loc["mSPL", "mSPLL"] = corr.loc["mSPLL", "mSPL"] = 0.39951
    corr.loc["mFDKEL", "mFDKELL"] = corr.loc["mFDKELL", "mFDKEL"] = 0.2
    sds = np.array([s[n] for n in names])
    return q, corr * np.outer(sds, sds)


def test_vdi2048_linear_example_matches_printed_values() -> None:
    """The linear VDI 2048 example with correlations matches the printed values (6 digits)."""
    q, cov = _vdi()
    r = reconcile(q, VDI_EQUATIONS, covariance=cov)
    for name, (value, half_width) in VDI_PRINTED.items():
        assert r.table.loc[name, "value"] == pytest.approx(value, rel=6e-6)
        assert 1.96 * r.table.loc[name, "sd"] == pytest.approx(half_width, rel=6e-6)
    assert r.iterations == 1
    assert r.dof == 3
    assert r.chi2_critical == pytest.approx(7.81473, abs=5e-6)  # "Chi-square value : 7.81473"
    assert r.passed  # "Result of global test : TRUE"
    for name, value in VDI_LOCAL_TESTS.items():
        assert abs(r.z[name]) == pytest.approx(value, rel=6e-5)
    # "mD is not reconciled": it is in no equation
    assert r.table.loc["mD", "classification"] == "measured non-redundant"
    assert r.table.loc["mD", "value"] == 2.092
    assert np.isnan(r.z["mD"])
    assert (
        r.table.loc[["mFD1", "mFD2", "mFD3", "mHDANZ"], "classification"] == "unknown observable"
    ).all()
