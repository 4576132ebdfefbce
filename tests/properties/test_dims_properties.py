"""Property tests of msa.dims: aggregation along any concordance preserves totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from msa import Concordance, aggregate, disaggregate

VALUES = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def concordances(
    draw: st.DrawFn,
    *,
    many_to_one: bool = False,
    source: str = "material",
    target: str = "group",
    targets: tuple[str, ...] | None = None,
) -> Concordance:
    """Draw a random concordance (onto ``targets`` if given), optionally with split shares."""
    n_source = draw(st.integers(1, 7))
    if targets is None:
        targets = tuple(f"t{j}" for j in range(draw(st.integers(1, 5))))
    mapping: dict[str, str | dict[str, float]] = {}
    for i in range(n_source):
        if many_to_one:
            mapping[f"{source[0]}{i}"] = draw(st.sampled_from(targets))
            continue
        chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True))
        weights = np.array(
            draw(st.lists(st.floats(0.05, 1.0), min_size=len(chosen), max_size=len(chosen)))
        )
        shares = weights / weights.sum()
        mapping[f"{source[0]}{i}"] = dict(zip(chosen, shares.tolist(), strict=True))
    return Concordance(source, target, mapping, target_items=targets)


@st.composite
def quantities(draw: st.DrawFn, concordance: Concordance, dim: str | None = None) -> xr.DataArray:
    """Draw a random (time x items) quantity over the concordance's source (or target) items."""
    dim = dim or concordance.source
    items = concordance.source_items if dim == concordance.source else concordance.target_items
    items = draw(st.permutations(items))
    n_time = draw(st.integers(1, 3))
    data = draw(hnp.arrays(float, (n_time, len(items)), elements=VALUES))
    return xr.DataArray(
        data,
        dims=("time", dim),
        coords={"time": np.arange(2020, 2020 + n_time), dim: list(items)},
        attrs={"units": "t"},
    )


def assert_same_total(a: xr.DataArray, b: xr.DataArray, scale: xr.DataArray) -> None:
    """Assert a == b per year, to float rounding relative to the summed magnitudes."""
    np.testing.assert_allclose(
        a.values, b.values, rtol=1e-9, atol=1e-12 * float(scale.max()) + 1e-9
    )


@given(data=st.data())
def test_aggregation_preserves_totals(data):
    """For any concordance (splits allowed), the total over targets equals that over sources."""
    conc = data.draw(concordances())
    x = data.draw(quantities(conc))
    y = aggregate(x, conc)
    assert set(y["group"].values) == set(conc.target_items)
    assert_same_total(y.sum("group"), x.sum("material"), abs(x).sum("material"))


@given(data=st.data())
def test_many_to_one_aggregation_equals_a_group_sum(data):
    """Many-to-one aggregation equals pandas' groupby-sum oracle, cell by cell."""
    conc = data.draw(concordances(many_to_one=True))
    x = data.draw(quantities(conc))
    y = aggregate(x, conc)
    frame = x.to_series().reset_index()
    frame["group"] = frame["material"].map({s: next(iter(t)) for s, t in conc.mapping.items()})
    oracle = frame.groupby(["time", "group"])[frame.columns[2]].sum()
    got = y.to_series()
    got = got[got.index.isin(oracle.index)]
    pd.testing.assert_series_equal(
        got.sort_index(), oracle.sort_index(), check_names=False, rtol=1e-9, atol=1e-6
    )
    unreached = [t for t in conc.target_items if t not in set(frame["group"])]
    assert (y.sel(group=unreached) == 0).all()


@given(data=st.data())
def test_disaggregation_preserves_totals_and_inverts_aggregation(data):
    """Disaggregating with positive weights keeps totals; for many-to-one it inverts aggregate."""
    many_to_one = data.draw(st.booleans())
    conc = data.draw(concordances(many_to_one=many_to_one))
    y = data.draw(quantities(conc, dim="group"))
    w = xr.DataArray(
        data.draw(hnp.arrays(float, len(conc.source_items), elements=st.floats(0.01, 10.0))),
        dims="material",
        coords={"material": list(conc.source_items)},
    )
    reached = [t for t in conc.target_items if any(t in m for m in conc.mapping.values())]
    y = y.where(y["group"].isin(reached), 0.0)  # unreached targets can only hold 0
    x = disaggregate(y, conc, w)
    assert_same_total(x.sum("material"), y.sum("group"), abs(y).sum("group"))
    if many_to_one:
        back = aggregate(x, conc).transpose(*y.dims).sel(group=y["group"])
        np.testing.assert_allclose(back.values, y.values, rtol=1e-9, atol=1e-6)


@given(data=st.data())
def test_aggregation_in_steps_equals_the_composed_concordance(data):
    """Aggregating twice equals aggregating once along the composed concordance."""
    second = data.draw(concordances(source="group", target="block"))
    first = data.draw(concordances(targets=second.source_items))
    x = data.draw(quantities(first))
    stepwise = aggregate(aggregate(x, first), second)
    direct = aggregate(x, first.then(second))
    np.testing.assert_allclose(
        stepwise.transpose(*direct.dims).values, direct.values, rtol=1e-9, atol=1e-6
    )


@given(data=st.data())
def test_nan_reaches_exactly_the_targets_it_maps_to(data):
    """A target is NaN if and only if one of its (share > 0) sources is NaN."""
    conc = data.draw(concordances())
    x = data.draw(quantities(conc))
    mask = data.draw(hnp.arrays(bool, x.shape))
    x = x.where(~mask)
    y = aggregate(x, conc)
    reaches = xr.dot(x.isnull().astype(float), (conc.matrix() > 0).astype(float), dim="material")
    np.testing.assert_array_equal(y.isnull().values, (reaches > 0).transpose(*y.dims).values)
