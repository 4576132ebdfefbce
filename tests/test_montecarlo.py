"""Monte Carlo over declared models: what is drawn, reproducibility, summaries, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import msa
from msa.model.build import read_inputs
from msa.model.montecarlo import UNCERTAINTY_COLUMNS, draw_inputs, monte_carlo

ROOT = Path(__file__).resolve().parents[1]
PV = ROOT / "models" / "pv_panels_nl"
EV = ROOT / "models" / "ev_batteries_nl"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> msa.ModelDefinition:
    return msa.load_definition(msa.new_model(tmp_path_factory.mktemp("mc") / "m"))


@pytest.fixture(scope="module")
def pv_inputs() -> msa.model.build.ModelInputs:
    return read_inputs(msa.load_definition(PV))


@pytest.fixture(scope="module")
def ev_inputs() -> msa.model.build.ModelInputs:
    return read_inputs(msa.load_definition(EV))


def test_same_seed_same_numbers(template: msa.ModelDefinition) -> None:
    a = monte_carlo(template, samples=12, seed=3)
    b = monte_carlo(template, samples=12, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.targets, b.targets)
    c = monte_carlo(template, samples=12, seed=4)
    assert not np.allclose(a.table["mean"], c.table["mean"])


def test_a_longer_run_starts_with_the_shorter_one(pv_inputs) -> None:
    """Sample i is the same whether 5 or 40 samples are drawn (chunks give one draw)."""
    short, long = draw_inputs(pv_inputs, 5, 11), draw_inputs(pv_inputs, 40, 11)
    for name, values in short.parameters.items():
        np.testing.assert_array_equal(values, long.parameters[name][:5])
    for name, values in short.tables.items():
        np.testing.assert_array_equal(values, long.tables[name][:5])


def test_what_is_drawn_and_what_is_fixed(ev_inputs) -> None:
    draws = draw_inputs(ev_inputs, 200, 1)
    # levers (uncertainty = false), years and ages (switches) and labels are not drawn
    for fixed in ("lifetime_cohort_factor", "lifetime_cohort_from", "used_import_age"):
        assert fixed not in draws.parameters and fixed in draws.fixed
    assert "chemistry_scenario" not in draws.parameters
    assert {"brics", "supply_shares"}.isdisjoint(draws.tables)
    # shares stay shares; bounds hold
    for name in ("export_share", "collection_rate", "second_life_share"):
        assert ((draws.parameters[name] >= 0) & (draws.parameters[name] <= 1)).all()
    shape = draws.parameters["vehicle_lifetime_shape"]
    assert ((shape >= 0.5) & (shape <= 20)).all()
    # a split table still adds to 1 along its split dim, in every sample; zero stays zero
    chem = ev_inputs.data["chemistry_shares"].value
    drawn = draws.tables["chemistry_shares"]
    axis = 1 + chem.dims.index("chemistry")
    np.testing.assert_allclose(drawn.sum(axis=axis), 1.0, atol=1e-12)
    assert (drawn[:, chem.values == 0] == 0).all()
    # a share table stays in [0, 1]
    rec = draws.tables["recovery_rates"]
    assert ((rec >= 0) & (rec <= 1)).all()


def test_draws_keep_the_value_as_their_mean(pv_inputs) -> None:
    """Mean-preserving: the mean of many draws is the declared value (sampling error)."""
    draws = draw_inputs(pv_inputs, 20_000, 5)
    for name, values in draws.parameters.items():
        given_value = float(pv_inputs.parameters[name].value)
        assert np.mean(values) == pytest.approx(given_value, rel=0.02), name
    capacity = pv_inputs.data["capacity"].value.values
    drawn = draws.tables["capacity"].mean(axis=0)
    np.testing.assert_allclose(drawn, capacity, rtol=0.02)


def test_summaries_and_probabilities(template: msa.ModelDefinition) -> None:
    result = monte_carlo(template, samples=30, seed=0)
    table = result.table
    assert list(table.columns) == list(UNCERTAINTY_COLUMNS)
    assert UNCERTAINTY_COLUMNS == (  # the documented format of uncertainty.csv
        "quantity",
        "material",
        "year",
        "units",
        "mean",
        "sd",
        "p5",
        "p50",
        "p95",
        "n",
    )
    assert (table["p5"] <= table["p50"]).all() and (table["p50"] <= table["p95"]).all()
    assert (table["n"] == 30).all()
    assert {"stock Use", "Use => Collection"} <= set(table["quantity"])
    # the summary rests on the samples it summarises
    stock = result.samples[
        (result.samples["quantity"] == "stock Use")
        & (result.samples["material"] == "all")
        & (result.samples["year"] == 2035)
    ]["value"]
    row = table[
        (table["quantity"] == "stock Use") & (table["material"] == "all") & (table["year"] == 2035)
    ]
    assert float(row["mean"].iloc[0]) == pytest.approx(stock.mean())
    assert float(row["p95"].iloc[0]) == pytest.approx(np.quantile(stock, 0.95))


def test_target_probabilities(tmp_path: Path) -> None:
    """P(met) is the share of samples meeting a target, between 0 and 1."""
    definition = msa.load_definition(PV)
    result = monte_carlo(definition, samples=8, seed=2)
    targets = result.targets.set_index("target_id")
    assert targets["p_met"].between(0, 1).all()
    assert targets.loc["weee_collection_pom_2019", "p_met"] == 0.0


@pytest.mark.parametrize(
    ("samples", "seed", "message"),
    [
        (0, 1, "samples must be a whole number >= 1 (got 0)"),
        (-3, 1, "samples must be a whole number >= 1"),
        (True, 1, "samples must be a whole number >= 1"),
        (2.5, 1, "samples must be a whole number >= 1"),
        (5, -1, "seed must be a whole number >= 0 (got -1)"),
        (5, "x", "seed must be a whole number >= 0"),
    ],
)
def test_bad_counts_are_refused(template, samples, seed, message) -> None:
    with pytest.raises(msa.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        monte_carlo(template, samples=samples, seed=seed)


def _with_uncertainty(tmp_path: Path, text: str) -> Path:
    model = msa.new_model(tmp_path / "m")
    toml = model / "model.toml"
    old = 'collection_rate = { value = 0.55, units = "1", source_id = "example", grade = "D", '
    content = toml.read_text(encoding="utf-8")
    assert old in content
    toml.write_text(content.replace(old, old + text), encoding="utf-8")
    return model


def test_an_unknown_distribution_names_the_parameter(tmp_path: Path) -> None:
    """Refused when the model is read (msa check, msa run), before any sample."""
    model = _with_uncertainty(tmp_path, 'uncertainty = { distribution = "poisson", sd = 0.1 }, ')
    with pytest.raises(msa.ConfigError, match=r"model.toml: \[parameters\] collection_rate"):
        msa.load_definition(model)


def test_a_wide_share_spread_is_truncated_to_its_bounds(tmp_path: Path) -> None:
    model = _with_uncertainty(tmp_path, 'uncertainty = { distribution = "normal", sd = 0.3 }, ')
    draws = draw_inputs(read_inputs(msa.load_definition(model)), 500, 1).parameters[
        "collection_rate"
    ]
    assert ((draws >= 0) & (draws <= 1)).all()  # bounds [0, 1] are declared: truncated


def test_a_share_spread_leaving_the_unit_interval_without_bounds_is_refused(
    tmp_path: Path,
) -> None:
    model = msa.new_model(tmp_path / "m")
    toml = model / "model.toml"
    content = toml.read_text(encoding="utf-8")
    old = 'grade = "D", bounds = [0, 1], note = "share of discarded appliances collected"'
    new = (
        'grade = "D", uncertainty = { distribution = "normal", sd = 0.3 }, '
        'note = "share of discarded appliances collected"'
    )
    assert old in content
    toml.write_text(content.replace(old, new), encoding="utf-8")
    with pytest.raises(msa.ConfigError, match=r"\[parameters\] collection_rate.*\[0, 1\]"):
        msa.load_definition(model)


def test_a_fixed_parameter_is_not_drawn(tmp_path: Path) -> None:
    model = _with_uncertainty(tmp_path, "uncertainty = false, ")
    draws = draw_inputs(read_inputs(msa.load_definition(model)), 4, 1)
    assert "collection_rate" not in draws.parameters and "collection_rate" in draws.fixed


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_sample_balances(template: msa.ModelDefinition, seed: int) -> None:
    """Any seed: every sample is built and balanced (build_from checks), stock = sum of change."""
    result = monte_carlo(template, samples=2, seed=seed)
    frame = result.samples
    for _, rows in frame.groupby("sample"):
        into = rows[(rows["quantity"] == "Market => Use") & (rows["material"] == "all")]
        out = rows[(rows["quantity"] == "Use => Collection") & (rows["material"] == "all")]
        stock = rows[(rows["quantity"] == "stock Use") & (rows["material"] == "all")]
        net = np.cumsum(into["value"].to_numpy() - out["value"].to_numpy())
        np.testing.assert_allclose(stock["value"].to_numpy(), net, rtol=1e-9, atol=1e-9)


def test_chunks_do_not_change_the_numbers(template: msa.ModelDefinition) -> None:
    """Samples built one by one, in chunks of 4, or all at once give the same numbers."""
    one = monte_carlo(template, samples=9, seed=8, chunk=1)
    four = monte_carlo(template, samples=9, seed=8, chunk=4)
    whole = monte_carlo(template, samples=9, seed=8, chunk=9)
    keys = ["sample", "quantity", "material", "year"]
    a, b, c = (r.samples.sort_values(keys).reset_index(drop=True) for r in (one, four, whole))
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    pd.testing.assert_frame_equal(a, c, rtol=1e-12)
    pd.testing.assert_frame_equal(one.targets, whole.targets)


def test_ev_chunk_equals_one_by_one(ev_inputs) -> None:
    """The EV model (model.py functions, used imports entering aged, three stocks) per chunk."""
    definition = ev_inputs.definition
    one = monte_carlo(definition, samples=3, seed=5, chunk=1)
    all_at_once = monte_carlo(definition, samples=3, seed=5, chunk=3)
    keys = ["sample", "quantity", "material", "year"]
    a = one.samples.sort_values(keys).reset_index(drop=True)
    b = all_at_once.samples.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)


def test_results_beyond_memory_go_to_a_file(
    template: msa.ModelDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above IN_MEMORY bytes the per-sample numbers live in a temporary file: same table."""
    from msa.model import montecarlo

    in_memory = monte_carlo(template, samples=11, seed=2, chunk=4)
    assert not isinstance(in_memory.values.values, np.memmap)
    monkeypatch.setattr(montecarlo, "IN_MEMORY", 1024)
    on_disk = monte_carlo(template, samples=11, seed=2, chunk=4)
    assert isinstance(on_disk.values.values, np.memmap)
    pd.testing.assert_frame_equal(in_memory.table, on_disk.table)
    path = on_disk.values._file.name
    assert Path(path).exists()
    del on_disk
    import gc

    gc.collect()
    assert not Path(path).exists()


def test_the_summary_is_pandas_quantiles_with_missing_values_left_out() -> None:
    """mean, sd (n - 1), p5/p50/p95 and n as pandas computes them, NaN skipped."""
    from msa.model.montecarlo import SampleValues

    rng = np.random.default_rng(4)
    block = rng.lognormal(size=(3, 40))
    block[1, [3, 7]] = np.nan
    block[2] = np.nan
    block[2, 5] = 1.5
    keys = pd.DataFrame({"quantity": ["a", "b", "c"], "material": "all", "year": 2030})
    keys["units"] = "t"
    store = SampleValues(keys, 40)
    store.put(keys, 0, block)
    table = store.table().set_index("quantity")
    frame = pd.DataFrame(block.T, columns=["a", "b", "c"])
    np.testing.assert_allclose(table["mean"], frame.mean())
    np.testing.assert_allclose(table["sd"].iloc[:2], frame.std().iloc[:2])
    assert table.loc["c", "sd"] == 0.0 and table.loc["c", "p95"] == 1.5
    np.testing.assert_allclose(table["p5"], frame.quantile(0.05))
    np.testing.assert_allclose(table["p95"], frame.quantile(0.95))
    assert list(table["n"]) == [40, 38, 1]
    assert store.of("b", "all", 2030) is not None and store.of("b", "all", 2031) is None
    with pytest.raises(msa.MsaError, match="samples 40-41 summarise other quantities"):
        store.put(keys.iloc[:2], 40, block[:2, :2])


def test_shares_of_one_whole_are_drawn_together(pv_inputs, ev_inputs) -> None:
    """Shares taken of the same inflow never add to more than 1 in any sample."""
    from msa.model.montecarlo import _competing

    pv = draw_inputs(pv_inputs, 2000, 4).parameters
    assert _competing(pv_inputs.definition, list(pv)) == [["export_used_share", "collection_rate"]]
    assert (pv["export_used_share"] + pv["collection_rate"] <= 1).all()
    ev = draw_inputs(ev_inputs, 500, 4).parameters
    assert ["second_life_share", "end_of_life_stock_share"] in _competing(
        ev_inputs.definition, list(ev)
    )
    assert (ev["second_life_share"] + ev["end_of_life_stock_share"] <= 1).all()
    # each keeps its own law's mean
    assert pv["collection_rate"].mean() == pytest.approx(
        float(pv_inputs.parameters["collection_rate"].value), rel=0.02
    )


def test_the_run_sankeys_label_every_link_median_p5_p95(pv_inputs) -> None:
    """With a Monte Carlo, the process Sankeys carry each flow's range; a stock is one net row."""
    from msa.model.build import build_from
    from msa.model.outputs import _figures, links_with_ranges

    mc = monte_carlo(pv_inputs.definition, samples=8, seed=1)
    built = build_from(pv_inputs)
    links = links_with_ranges(built.system, 2040, mc.table)
    assert links[["p5", "p50", "p95"]].notna().all().all()
    assert (links["p5"] <= links["p50"]).all() and (links["p50"] <= links["p95"]).all()
    stock = links[links["flow_type"] == "stock"]
    assert len(stock) == 1
    change = mc.table[
        (mc.table["quantity"] == "stock_change Use")
        & (mc.table["material"] == "all")
        & (mc.table["year"] == 2040)
    ]
    assert float(stock["p50"].iloc[0]) == pytest.approx(float(change["p50"].iloc[0]))
    net = built.system.stocks["Use"]["stock_change"].sel(time=2040).sum()
    assert float(stock["value"].iloc[0]) == pytest.approx(float(net))
    figure = _figures(built, mc.table)["sankey_2040"]
    meta = figure.layout.meta["msa_sankey"]["link_labels"]
    assert meta["mode"] == "range" and not meta["no_range"] and not meta["unknown"]
    texts = [e["text"] for e in meta["labelled"] + meta["left_out"]]
    assert len(texts) == len(links) and all("\u2013" in t for t in texts)
