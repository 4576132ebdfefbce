"""Declared stocks beyond inflow-driven ones: stock-driven stocks and initial stocks.

A stock-driven stock (``[stocks.<process>] stock = "<table>"``, ``inflow = "<flow>"``) computes
its one inflow and its outflow from a table of stock levels with :func:`msa.stock_driven`; an
initial stock (``initial_stock = "<table>"``, by ``cohort``) is the stock at the end of the year
before the first, aging with the lifetime of its cohorts. Each model here is the ``msa new``
template with a few edits written in the test; each bad declaration is refused in one line by
``msa run`` (exit 2).
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import xarray as xr

import msa
from msa.cli import main
from msa.model import Built
from msa.model.checks import flow_dependencies
from msa.testing import assert_balanced

YEARS = list(range(2015, 2036))
LIFETIME = msa.NormalLifetime(mean=12.0, std=4.0)  # the template's lifetime_mean, lifetime_std
INFLOW = "Market => Use"
OUTFLOW = "Use => Collection"

# Appliances in use: rising from 10 to 14 million until 2025, then flat.
IN_USE = """\
year,value,units,source_id,grade,note
2015,10000000,item,example,C,
2025,14000000,item,example,A,
2035,14000000,item,example,A,
"""

# The same in kilotonnes of each material (2.5 kg Cu and 4.0 kg Al per appliance).
IN_USE_MASS = "year,material,value,units,source_id,grade,note\n" + "".join(
    f"{y},{m},{n * c / 1e6},kilotonne,example,C,\n"
    for y, n in ((2015, 10e6), (2025, 14e6), (2035, 14e6))
    for m, c in (("Cu", 2.5), ("Al", 4.0))
)

# Appliances that entered before 2015, still in use at the end of 2014, by material (t).
INITIAL = "cohort,material,value,units,source_id,grade,note\n" + "".join(
    f"{c},{m},{t},t,example,C,\n"
    for c in range(2005, 2015)
    for m, t in (("Cu", 2000), ("Al", 3200))
)


# -- helpers ------------------------------------------------------------------------------------


def edit(model: Path, *edits: tuple[str, str]) -> None:
    """Replace each ``old`` text of model.toml (which must occur exactly once) by ``new``."""
    toml = model / "model.toml"
    text = toml.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in model.toml"
        text = text.replace(old, new)
    toml.write_text(text, encoding="utf-8")


def write(model: Path, rel: str, text: str) -> None:
    (model / rel).write_text(text, encoding="utf-8")


def add_table(model: Path, name: str, body: str) -> None:
    """Declare ``[data.<name>]`` (TOML ``body``) before the template's content table."""
    edit(model, ("[data.content]\n", f"[data.{name}]\n{body}\n[data.content]\n"))


def build(model: Path, scenario: str = "baseline") -> Built:
    return msa.build_model(msa.load_definition(model), scenario)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_cli_refuses(model: Path, capsys: pytest.CaptureFixture[str], match: str) -> str:
    """``msa run MODEL --out OUT``: exit 2, one error line matching ``match``, nothing written."""
    out = model.parent / "out"
    before = _snapshot(model)
    capsys.readouterr()
    code = main(["run", str(model), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("msa: error: "), err
    assert re.search(match, lines[0]), lines[0]
    assert str(model / "model.toml") in lines[0] or str(model / "data") in lines[0], lines[0]
    assert not out.exists()
    assert _snapshot(model) == before
    return lines[0]


def count_model(tmp_path: Path, in_use: str = IN_USE, **stock_keys: str) -> Path:
    """Return the template as a stock-driven model of appliances (items): the stock given.

    ``Market => Use`` (the appliances bought) is computed from the table of appliances in use;
    every flow is in items. ``stock_keys`` are added to ``[stocks.Use]`` (TOML values).
    """
    model = msa.new_model(tmp_path / "m")
    write(model, "data/in_use.csv", in_use)
    add_table(
        model,
        "in_use",
        'file = "data/in_use.csv"\ndims = ["time"]\nunits = "item"\ninterpolate = "linear"\n',
    )
    text = (model / "model.toml").read_text(encoding="utf-8")
    text = text.replace('value = "sales * content"\n', "").replace('units = "t"', 'units = "item"')
    extra = "".join(f"{k} = {v}\n" for k, v in stock_keys.items())
    text = text.replace(
        f'outflow = "{OUTFLOW}"\n',
        f'outflow = "{OUTFLOW}"\nstock = "in_use"\ninflow = "{INFLOW}"\n{extra}',
    )
    (model / "model.toml").write_text(text, encoding="utf-8")
    return model


def in_use(built: Built) -> xr.DataArray:
    """Return the table of appliances in use, as the model read it (interpolated)."""
    return built.data["in_use"].value.transpose("time")


# -- stock-driven stocks -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(count_model(tmp_path_factory.mktemp("counted")))


def test_stock_driven_model_balances_and_keeps_the_stock(counted: Built) -> None:
    assert_balanced(counted.system)
    stock = counted.system.stocks["Use"]["stock"]
    np.testing.assert_allclose(stock.values, in_use(counted).values, rtol=1e-12)
    assert stock.sel(time=2025).item() == pytest.approx(14e6)
    assert counted.system.flows[INFLOW].attrs["units"] == "item"
    assert (counted.system.flows[INFLOW] >= 0).all()


def test_computed_inflow_is_the_engine_s(counted: Built) -> None:
    direct = msa.stock_driven(in_use(counted), LIFETIME, inflow_at="middle")
    np.testing.assert_allclose(counted.system.flows[INFLOW].values, direct.inflow.values)
    np.testing.assert_allclose(counted.system.flows[OUTFLOW].values, direct.outflow.values)
    collected = counted.system.flows["Collection => Recycling"]
    np.testing.assert_allclose(collected.values, 0.55 * direct.outflow.values)


def test_round_trip_through_an_inflow_driven_model(counted: Built) -> None:
    """The computed inflow, fed to the inflow-driven model, gives the stock back to 1e-9."""
    inflow = counted.system.flows[INFLOW]
    target = in_use(counted).values
    again = msa.inflow_driven(inflow, LIFETIME, inflow_at="middle")
    np.testing.assert_allclose(again.stock.values, target, rtol=1e-9)
    np.testing.assert_allclose(again.outflow.values, counted.system.flows[OUTFLOW].values)
    model = counted.stock_models["Use"]  # the declared stock model, run on the inflow
    np.testing.assert_allclose(model.run({INFLOW: inflow}).stock.values, target, rtol=1e-9)


def test_stock_driven_provenance(counted: Built) -> None:
    """The level is the table's; inflow, outflow and change rest on the table up to t."""
    grades = counted.system.provenance
    # table: 2015 C, 2016-2024 filled between C and A (C), 2025 A, 2026-2034 B, 2035 A
    level = grades["stock Use"]["grade"].sel(time=[2015, 2020, 2025, 2030, 2035]).values
    assert list(level) == ["C", "C", "A", "B", "A"]
    for name in (INFLOW, OUTFLOW, "Collection => Recycling"):
        assert set(grades[name]["grade"].values.ravel()) == {"D"}, name  # the lifetime: D
    assert set(grades["stock_change Use"]["grade"].values.ravel()) == {"D"}
    assert set(grades[INFLOW]["source_id"].values.ravel()) == {"example"}


def test_stock_driven_grades_without_the_lifetime(tmp_path: Path) -> None:
    """With lifetime parameters graded A the flows carry the worst table grade up to t."""
    model = count_model(tmp_path)
    text = (model / "model.toml").read_text(encoding="utf-8")
    for name in ("lifetime_mean", "lifetime_std"):
        text = re.sub(rf'^({name} = .*)grade = "D"', r'\1grade = "A"', text, flags=re.M)
    (model / "model.toml").write_text(text, encoding="utf-8")
    rows = IN_USE.splitlines()[:1] + [
        "2015,10000000,item,example,A,",
        "2025,14000000,item,example,A,",
        "2035,14000000,item,example,C,",
    ]
    write(model, "data/in_use.csv", "\n".join(rows) + "\n")
    built = build(model)
    years = [2015, 2020, 2025, 2030, 2035]
    grade = built.system.provenance[INFLOW]["grade"].sel(time=years)
    assert list(grade.values) == ["A", "B", "B", "C", "C"]  # filled years: B at best
    level = built.system.provenance["stock Use"]["grade"].sel(time=years)
    assert list(level.values) == ["A", "B", "A", "C", "C"]


def test_mass_stock_over_materials_with_flows_up_and_downstream(tmp_path: Path) -> None:
    """A stock in kilotonnes by material, flows computed from its inflow and its outflow.

    Upstream shares of the computed inflow, downstream shares of the outflow: the flow graph
    orders them and the System balances.
    """
    model = msa.new_model(tmp_path / "m")
    write(model, "data/in_use.csv", IN_USE_MASS)
    add_table(
        model,
        "in_use",
        'file = "data/in_use.csv"\ndims = ["time", "material"]\n'
        'units = "kilotonne"\ninterpolate = "linear"\n',
    )
    edit(
        model,
        ('[flows."Market => Use"]\nvalue = "sales * content"\n', '[flows."Market => Use"]\n'),
        (
            '[processes.Market]\nkind = "boundary"',
            '[processes.Mining]\nkind = "boundary"\n\n[processes.Scrap]\nkind = "boundary"\n\n'
            '[processes.Market]\nkind = "transformation"',
        ),
        (
            '[flows."Use => Collection"]',
            '[flows."Mining => Market"]\nshare = 0.7\nof = "Market => Use"\n\n'
            '[flows."Scrap => Market"]\nshare = 0.3\nof = "Market => Use"\n\n'
            '[flows."Use => Collection"]',
        ),
        (
            f'outflow = "{OUTFLOW}"\n',
            f'outflow = "{OUTFLOW}"\nstock = "in_use"\ninflow = "{INFLOW}"\n',
        ),
    )
    d = msa.load_definition(model)
    graph = flow_dependencies(d)
    assert list(graph.predecessors(INFLOW)) == []
    assert list(graph.predecessors(OUTFLOW)) == [INFLOW]
    order = list(nx.topological_sort(graph))
    assert order.index(INFLOW) < order.index("Mining => Market") and order.index(
        OUTFLOW
    ) < order.index("Collection => Recycling")
    built = msa.build_model(d)
    assert_balanced(built.system)
    flows = built.system.flows
    stock = built.system.stocks["Use"]["stock"]
    assert stock.sel(time=2025, material="Al").item() == pytest.approx(14e6 * 4.0 / 1e3)  # t
    np.testing.assert_allclose(flows["Mining => Market"].values, 0.7 * flows[INFLOW].values)
    direct = msa.stock_driven(stock.transpose("time", "material"), LIFETIME)
    np.testing.assert_allclose(
        flows[INFLOW].transpose("time", "material").values, direct.inflow.values
    )


# -- negative inflows --------------------------------------------------------------------------

# In use: rising to 14 million in 2020, then down to 6 million in 2021 (a sudden ban).
FALLING = """\
year,value,units,source_id,grade,note
2015,10000000,item,example,C,
2020,14000000,item,example,C,
2021,6000000,item,example,C,
2035,6000000,item,example,C,
"""


def test_negative_inflow_is_an_error_naming_process_and_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = count_model(tmp_path, FALLING)
    line = assert_cli_refuses(
        model, capsys, r"\[stocks\.Use\] stock 'in_use': .*negative inflow.*time=2021"
    )
    assert 'negative_inflow = "correct"' in line
    with pytest.raises(msa.StockModelError, match=r"\[stocks\.Use\]"):
        build(model)


def test_negative_inflow_corrected_leaves_through_the_outflow(tmp_path: Path) -> None:
    built = build(count_model(tmp_path, FALLING, negative_inflow='"correct"'))
    assert_balanced(built.system)
    flows, ds = built.system.flows, built.stocks["Use"]
    np.testing.assert_allclose(built.system.stocks["Use"]["stock"].values, in_use(built).values)
    assert float(flows[INFLOW].sel(time=2021)) == 0.0
    assert (flows[INFLOW] >= 0).all()
    correction = ds["outflow_correction"]
    assert float(correction.sel(time=2021)) > 7e6  # 8 million leave, less the regular outflow
    assert float(abs(correction.drop_sel(time=2021)).max()) == 0.0
    np.testing.assert_allclose(flows[OUTFLOW].values, ds["outflow"].values)
    assert float(flows[OUTFLOW].sel(time=2021)) > float(correction.sel(time=2021))
    direct = msa.stock_driven(in_use(built), LIFETIME, negative_inflow="correct")
    np.testing.assert_allclose(flows[OUTFLOW].values, direct.outflow.values)
    kept = built.system.stocks["Use"]["outflow_correction"]
    np.testing.assert_allclose(kept.values, correction.values)


def test_negative_inflow_allowed_is_a_signed_flow(tmp_path: Path) -> None:
    built = build(count_model(tmp_path, FALLING, negative_inflow='"allow"'))
    assert_balanced(built.system)
    inflow = built.system.flows[INFLOW]
    assert float(inflow.sel(time=2021)) < 0
    assert inflow.attrs["signed"] == 1


# -- initial stocks -----------------------------------------------------------------------------


def _with_initial(model: Path, rows: str = INITIAL) -> None:
    write(model, "data/initial.csv", rows)
    add_table(
        model,
        "initial",
        'file = "data/initial.csv"\ndims = ["cohort", "material"]\nown_dims = ["cohort"]\n'
        'units = "t"\n',
    )
    edit(model, (f'outflow = "{OUTFLOW}"\n', f'outflow = "{OUTFLOW}"\ninitial_stock = "initial"\n'))


def _grade_inputs_a(model: Path) -> None:
    """Grade every input of the template A (the sales years filled are then B)."""
    for table in ("sales", "content"):
        path = model / "data" / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",D,", ",A,"), "utf-8")
    toml = model / "model.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('grade = "D"', 'grade = "A"'))


def test_initial_stock_changes_early_outflows_and_grades(tmp_path: Path) -> None:
    plain = msa.new_model(tmp_path / "plain")
    _grade_inputs_a(plain)
    model = msa.new_model(tmp_path / "m")
    _grade_inputs_a(model)
    _with_initial(model)
    before, built = build(plain), build(model)
    assert_balanced(built.system)
    out0 = before.system.flows[OUTFLOW].sel(material="Al")
    out1 = built.system.flows[OUTFLOW].sel(material="Al")
    assert float(out1.sel(time=2015)) > 10 * float(out0.sel(time=2015))  # old appliances leave
    stock = built.system.stocks["Use"]
    initial = 3200.0 * 10  # t of Al at the end of 2014
    change = stock["stock_change"].sel(material="Al", time=2015)
    assert float(stock["stock"].sel(material="Al", time=2015)) == pytest.approx(initial + change)
    # the engine, directly
    inflow = built.system.flows[INFLOW].transpose("time", "material")
    hist = built.data["initial"].value.assign_coords(cohort=np.arange(2005, 2015))
    direct = msa.inflow_driven(
        inflow, LIFETIME, initial_stock_by_cohort=hist.transpose("cohort", "material")
    )
    np.testing.assert_allclose(
        stock["stock"].transpose("time", "material").values, direct.stock.values
    )
    # grades: without the initial stock B at worst (filled sales years); with it C everywhere
    assert set(before.system.provenance["stock Use"]["grade"].values.ravel()) == {"A", "B"}
    for name in ("stock Use", "stock_change Use", OUTFLOW):
        assert set(built.system.provenance[name]["grade"].values.ravel()) == {"C"}, name
    assert set(built.system.provenance[INFLOW]["grade"].values.ravel()) <= {"A", "B"}


def test_initial_stock_by_cohort_is_kept_and_written(tmp_path: Path) -> None:
    model = msa.new_model(tmp_path / "m")
    _with_initial(model)
    edit(model, (f'outflow = "{OUTFLOW}"\n', f'outflow = "{OUTFLOW}"\nby_cohort = true\n'))
    built = build(model)
    by_cohort = built.system.stocks["Use"]["stock_by_cohort"]
    assert int(by_cohort["cohort"].min()) == 2005
    np.testing.assert_allclose(
        by_cohort.sum("cohort").transpose(*built.system.stocks["Use"]["stock"].dims).values,
        built.system.stocks["Use"]["stock"].values,
    )
    path = built.system.to_netcdf(tmp_path / "system.nc")
    again = msa.read_system(path)
    assert int(again.stocks["Use"]["stock_by_cohort"]["cohort"].min()) == 2005


USED_IMPORTS = """
[processes.Imports]
kind = "boundary"

[flows."Imports => Use"]
value = "used_sales * content"
units = "t"

[data.used_sales]
file = "data/used_sales.csv"
dims = ["time"]
units = "item"
"""


def test_initial_stock_with_used_imports_by_cohort(tmp_path: Path) -> None:
    """Initial cohorts, new and used inflows: every cohort kept, the stock their sum."""
    model = msa.new_model(tmp_path / "m")
    _with_initial(model)
    rows = "".join(f"{y},{0 if y < 2020 else 100000},item,example,A,\n" for y in YEARS)
    write(model, "data/used_sales.csv", "year,value,units,source_id,grade,note\n" + rows)
    toml = model / "model.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + USED_IMPORTS, encoding="utf-8")
    edit(
        model,
        (
            f'outflow = "{OUTFLOW}"\n',
            f'outflow = "{OUTFLOW}"\nentry_age = {{ "Imports => Use" = 3 }}\nby_cohort = true\n',
        ),
    )
    built = build(model)
    assert_balanced(built.system)
    stock = built.system.stocks["Use"]
    assert list(stock["stock_by_cohort"]["cohort"].values) == list(range(2005, 2036))
    total = stock["stock_by_cohort"].sum("cohort").transpose(*stock["stock"].dims)
    np.testing.assert_allclose(total.values, stock["stock"].values)
    change = stock["stock_change"].sel(time=2015).sum().item()
    assert stock["stock"].sel(time=2015).sum().item() == pytest.approx(52000 + change)


def test_initial_stock_of_a_stock_driven_stock(tmp_path: Path) -> None:
    """The first year's inflow is no longer the whole stock: the old appliances are in it."""
    rows = "cohort,value,units,source_id,grade,note\n" + "".join(
        f"{c},900000,item,example,B,\n" for c in range(2004, 2015)
    )
    model = count_model(tmp_path, initial_stock='"initial"')
    write(model, "data/initial.csv", rows)
    add_table(
        model,
        "initial",
        'file = "data/initial.csv"\ndims = ["cohort"]\nown_dims = ["cohort"]\nunits = "item"\n',
    )
    built = build(model)
    assert_balanced(built.system)
    inflow = built.system.flows[INFLOW]
    assert float(inflow.sel(time=2015)) < 3e6
    hist = built.data["initial"].value.assign_coords(cohort=np.arange(2004, 2015))
    direct = msa.stock_driven(in_use(built), LIFETIME, initial_stock_by_cohort=hist)
    np.testing.assert_allclose(inflow.values, direct.inflow.values)
    np.testing.assert_allclose(built.system.flows[OUTFLOW].values, direct.outflow.values)
    change = built.system.stocks["Use"]["stock_change"].sel(time=2015).item()
    assert change == pytest.approx(10e6 - 11 * 900000)


# -- bad declarations: one line each from `msa run`, exit 2 ----------------------------------------


def _initial_table(model: Path, rows: str, dims: str = '["cohort", "material"]') -> None:
    write(model, "data/initial.csv", rows)
    add_table(
        model,
        "initial",
        f'file = "data/initial.csv"\ndims = {dims}\nown_dims = ["cohort"]\nunits = "t"\n',
    )


BAD = {
    "inflow_with_its_own_value": (
        lambda m: edit(
            m, ('[flows."Market => Use"]\n', '[flows."Market => Use"]\nvalue = "sales"\n')
        ),
        r'\[flows\."Market => Use"\] value: this flow is the inflow of stock-driven stock',
    ),
    "inflow_not_into_the_stock": (
        lambda m: edit(m, (f'inflow = "{INFLOW}"', f'inflow = "{OUTFLOW}"')),
        r"\[stocks\.Use\] inflow: 'Use => Collection' is not a declared flow into 'Use'",
    ),
    "inflow_undeclared": (
        lambda m: edit(m, (f'inflow = "{INFLOW}"', 'inflow = "Market => Stock"')),
        r"\[stocks\.Use\] inflow: 'Market => Stock' is not a declared flow into 'Use'",
    ),
    "stock_table_unknown": (
        lambda m: edit(m, ('stock = "in_use"', 'stock = "in_uso"')),
        r"\[stocks\.Use\] stock: 'in_uso' is not a declared table",
    ),
    "stock_table_without_time": (
        lambda m: edit(m, ('stock = "in_use"', 'stock = "content"')),
        r"\[stocks\.Use\] stock: table 'content' has no time dim",
    ),
    "stock_table_in_other_units": (
        lambda m: edit(
            m,
            (
                'in_use.csv"\ndims = ["time"]\nunits = "item"',
                'in_use.csv"\ndims = ["time"]\nunits = "kg"',
            ),
        ),
        r"\[stocks\.Use\] stock: units 'kg' cannot be converted to 'item'",
    ),
    "negative_inflow_unknown": (
        lambda m: edit(
            m, (f'inflow = "{INFLOW}"\n', f'inflow = "{INFLOW}"\nnegative_inflow = "clip"\n')
        ),
        r"\[stocks\.Use\] negative_inflow: Input should be 'error', 'correct' or 'allow'",
    ),
    "stock_without_inflow": (
        lambda m: edit(m, (f'inflow = "{INFLOW}"\n', "")),
        r"\[stocks\.Use\]: give stock \(a table of stock levels\) and inflow",
    ),
    "second_inflow_into_a_stock_driven_stock": (
        lambda m: edit(
            m,
            (
                "[processes.Collection]",
                '[processes.Import]\nkind = "boundary"\n\n[processes.Collection]',
            ),
            (
                '[flows."Use => Collection"]',
                '[flows."Import => Use"]\nvalue = "sales"\nunits = "item"\n\n'
                '[flows."Use => Collection"]',
            ),
        ),
        r"\[stocks\.Use\] inflow: stock 'Use' is stock-driven: .*'Import => Use' cannot enter",
    ),
    "entry_age_on_a_stock_driven_stock": (
        lambda m: edit(
            m,
            (f'inflow = "{INFLOW}"\n', f'inflow = "{INFLOW}"\nentry_age = {{ "{INFLOW}" = 3 }}\n'),
        ),
        r"\[stocks\.Use\]: entry_age is for an inflow-driven stock",
    ),
    "initial_stock_unknown": (
        lambda m: edit(
            m, (f'inflow = "{INFLOW}"\n', f'inflow = "{INFLOW}"\ninitial_stock = "old"\n')
        ),
        r"\[stocks\.Use\] initial_stock: 'old' is not a declared table",
    ),
}

# On the template (inflow-driven): bad initial stocks.
KEY = r"\[stocks\.Use\] initial_stock: table 'initial' \(data/initial\.csv\)"
BAD_INITIAL = {
    "initial_stock_without_cohort": (
        lambda m: edit(
            m, (f'outflow = "{OUTFLOW}"\n', f'outflow = "{OUTFLOW}"\ninitial_stock = "content"\n')
        ),
        r"\[stocks\.Use\] initial_stock: table 'content' needs a 'cohort' dim",
    ),
    "initial_cohort_not_before_the_first_year": (
        lambda m: _initial_table(m, INITIAL.replace("2014,Cu", "2015,Cu")),
        KEY + ": cohort 2015 is not before the first model year 2015",
    ),
    "initial_cohort_not_a_year": (
        lambda m: _initial_table(m, INITIAL.replace("2014,Cu", "2014.5,Cu")),
        KEY + r": cohort '2014\.5' is not a year",
    ),
    "initial_stock_over_other_dims": (
        lambda m: _initial_table(
            m,
            "cohort,value,units,source_id,grade\n2014,5,t,example,D\n",
            dims='["cohort"]',
        ),
        KEY + r" is over \[\] and cohort; the stock 'Use' is over \['material'\]",
    ),
    "initial_stock_cell_missing": (
        lambda m: _initial_table(m, INITIAL.replace("2010,Al,3200,t,example,C,\n", "")),
        KEY + " has no value at cohort='2010', material='Al'",
    ),
}


def _initial_on_template(model: Path) -> None:
    edit(model, (f'outflow = "{OUTFLOW}"\n', f'outflow = "{OUTFLOW}"\ninitial_stock = "initial"\n'))


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_stock_driven_declaration_is_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, match = BAD[case]
    model = count_model(tmp_path)
    change(model)
    assert_cli_refuses(model, capsys, match)


@pytest.mark.parametrize("case", list(BAD_INITIAL), ids=list(BAD_INITIAL))
def test_bad_initial_stock_is_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, match = BAD_INITIAL[case]
    model = msa.new_model(tmp_path / "m")
    change(model)
    if "initial_stock" not in (model / "model.toml").read_text(encoding="utf-8"):
        _initial_on_template(model)
    assert_cli_refuses(model, capsys, match)


def test_negative_inflow_on_an_inflow_driven_stock_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = msa.new_model(tmp_path / "m")
    edit(
        model, (f'outflow = "{OUTFLOW}"\n', f'outflow = "{OUTFLOW}"\nnegative_inflow = "correct"\n')
    )
    assert_cli_refuses(
        model, capsys, r"\[stocks\.Use\]: negative_inflow is for a stock-driven stock"
    )
