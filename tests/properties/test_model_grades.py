"""Hypothesis properties of a declared model's provenance: grades never better than the inputs.

Random grades (A-D) and source ids are written into the ``msa new`` template's table rows and
parameters; the built model must grade every cell of every flow and stock exactly as the worst
of the inputs it rests on (so never better), carry their shared source id (or ``""``), and
balance. Each cell's inputs in the template:

- ``Market => Use`` (t, m): sales in year t (a filled year: the given years around it, and
  at best B; some of the three sales rows are left out to exercise the filling) and the
  content of m;
- the stock ``Use`` and ``Use => Collection`` (t, m): every ``Market => Use`` up to t, and the
  lifetime parameters;
- ``Collection => Recycling`` / ``Collection => Disposal``: that, and ``collection_rate``;
- ``Recycling => Secondary`` / ``Recycling => Disposal``: that, and ``recovery_rate``.

A last property: the row order of a table does not change the built flows.

The template made stock-driven (``[stocks.Use] stock = "in_use"``, ``inflow = "Market =>
Use"``, every flow in items): the stock level at t rests on the table of appliances in use at
t (filled years B at best); its inflow, outflow and stock change at t on that table up to t and
the lifetime parameters; the flows after it as above.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import msa
from msa.testing import assert_balanced

GRADES = "ABCD"
B = GRADES.index("B")
SOURCES = ("example", "other")
YEARS = tuple(range(2015, 2036))
MATERIALS = ("Cu", "Al")
SALES = {2015: 1_000_000, 2025: 1_200_000, 2035: 1_300_000}
CONTENT = {"Cu": "2.5", "Al": "4.0"}
PARAMETERS = ("lifetime_mean", "lifetime_std", "collection_rate", "recovery_rate")
HEADER = "value,units,source_id,grade,note"

#: A provenance: (grade rank 0 = A ... 3 = D, source id).
Prov = tuple[int, str]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One template copy per module, with a second source to draw source ids from."""
    folder = msa.new_model(tmp_path_factory.mktemp("grades") / "m")
    sources = folder / "data" / "sources.csv"
    lines = sources.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1].replace("example,", "other,", 1))
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _write_inputs(
    model: Path,
    sales: dict[int, Prov],
    content: dict[str, Prov],
    params: dict[str, Prov],
    *,
    sales_order: list[int] | None = None,
    content_order: list[str] | None = None,
) -> None:
    """Rewrite the two tables and the parameter provenance of model.toml."""
    rows = [
        f"{y},{SALES[y]},item,{sales[y][1]},{GRADES[sales[y][0]]},"
        for y in (sales_order or list(sales))
    ]
    (model / "data" / "sales.csv").write_text(
        "\n".join([f"year,{HEADER}", *rows]) + "\n", encoding="utf-8"
    )
    rows = [
        f"{m},{CONTENT[m]},kg/item,{content[m][1]},{GRADES[content[m][0]]},"
        for m in (content_order or list(CONTENT))
    ]
    (model / "data" / "content.csv").write_text(
        "\n".join([f"material,{HEADER}", *rows]) + "\n", encoding="utf-8"
    )
    toml = model / "model.toml"
    text = toml.read_text(encoding="utf-8")
    for name, (rank, source) in params.items():
        text, n = re.subn(
            rf'^({name} = {{ value = [^,]+, units = "[^"]*", )source_id = "[^"]*", grade = "."',
            rf'\g<1>source_id = "{source}", grade = "{GRADES[rank]}"',
            text,
            flags=re.MULTILINE,
        )
        assert n == 1, name
    toml.write_text(text, encoding="utf-8")


def join(*provs: Prov) -> Prov:
    """Return the provenance of a value computed from ``provs``: worst grade, shared source."""
    sources = {s for _, s in provs}
    return max(r for r, _ in provs), (sources.pop() if len(sources) == 1 else "")


def sales_by_year(sales: dict[int, Prov]) -> dict[int, Prov]:
    """Return each year's provenance: a given year its row's, a filled year B at best.

    A year between two given ones rests on both; one before the first or after the last
    given year on that year alone (its value is held).
    """
    out = {}
    for year in YEARS:
        if year in sales:
            out[year] = sales[year]
            continue
        ends = [max((y for y in sales if y < year), default=None)]
        ends.append(min((y for y in sales if y > year), default=None))
        given = [sales[y] for y in ends if y is not None]
        out[year] = join(*given, (B, given[0][1]))
    return out


def expected(
    sales: dict[int, Prov], content: dict[str, Prov], params: dict[str, Prov]
) -> dict[str, dict[tuple[int, str], Prov]]:
    """Return the provenance of every cell of every flow and stock of the template."""
    by_year = sales_by_year(sales)
    life = (params["lifetime_mean"], params["lifetime_std"])
    out: dict[str, dict[tuple[int, str], Prov]] = {}
    cells = [(t, m) for t in YEARS for m in MATERIALS]
    out["Market => Use"] = {(t, m): join(by_year[t], content[m]) for t, m in cells}
    out["stock Use"] = {
        (t, m): join(*(out["Market => Use"][(u, m)] for u in YEARS if u <= t), *life)
        for t, m in cells
    }
    out["stock_change Use"] = out["stock Use"]
    out["Use => Collection"] = out["stock Use"]
    collected = {c: join(out["Use => Collection"][c], params["collection_rate"]) for c in cells}
    out["Collection => Recycling"] = out["Collection => Disposal"] = collected
    recycled = {c: join(collected[c], params["recovery_rate"]) for c in cells}
    out["Recycling => Secondary"] = out["Recycling => Disposal"] = recycled
    return out


provs = st.tuples(st.integers(0, 3), st.sampled_from(SOURCES))


@st.composite
def sales_rows(draw: st.DrawFn) -> dict[int, Prov]:
    """Draw the provenance of some of the sales rows (the others are filled in)."""
    years = draw(st.sets(st.sampled_from(list(SALES)), min_size=1))
    return {y: draw(provs) for y in sorted(years)}


@given(
    sales=sales_rows(),
    content=st.fixed_dictionaries({m: provs for m in CONTENT}),
    params=st.fixed_dictionaries({p: provs for p in PARAMETERS}),
    scenario=st.sampled_from(["baseline", "high_collection"]),
)
def test_grades_are_the_worst_of_the_inputs(model, sales, content, params, scenario) -> None:
    """Every cell of every flow and stock: the worst grade of its inputs, never better."""
    _write_inputs(model, sales, content, params)
    built = msa.build_model(msa.load_definition(model), scenario)
    assert_balanced(built.system)
    if scenario == "high_collection":  # the override carries the scenario's grade (D)
        params = {**params, "collection_rate": (GRADES.index("D"), params["collection_rate"][1])}
    want = expected(sales, content, params)
    provenance = built.system.provenance
    assert set(want) <= set(provenance)
    for name, cells in want.items():
        grades = provenance[name]["grade"]
        sources = provenance[name]["source_id"]
        for (t, m), (rank, source) in cells.items():
            got = grades.sel(time=t, material=m).item()
            assert got in GRADES, (name, t, m, got)
            assert GRADES.index(got) >= rank, f"{name} {t} {m}: {got} better than {GRADES[rank]}"
            assert got == GRADES[rank], (name, t, m, got, GRADES[rank])
            assert sources.sel(time=t, material=m).item() == source, (name, t, m)
    for name, (rank, _) in params.items():
        assert provenance[f"parameter {name}"]["grade"].item() == GRADES[rank]


@given(
    sales_order=st.permutations(list(SALES)),
    content_order=st.permutations(list(CONTENT)),
    sales=st.fixed_dictionaries({y: provs for y in SALES}),
)
def test_row_order_does_not_change_the_flows(model, sales_order, content_order, sales) -> None:
    """Shuffling a table's rows gives the same flows, stocks and grades."""
    content = dict.fromkeys(CONTENT, (0, "example"))
    params = dict.fromkeys(PARAMETERS, (3, "example"))
    _write_inputs(model, sales, content, params)
    reference = msa.build_model(msa.load_definition(model)).system
    _write_inputs(
        model, sales, content, params, sales_order=sales_order, content_order=content_order
    )
    shuffled = msa.build_model(msa.load_definition(model)).system
    assert list(shuffled.flows) == list(reference.flows)
    for name, flow in reference.flows.items():
        np.testing.assert_array_equal(shuffled.flows[name].values, flow.values, err_msg=name)
        for key in ("grade", "source_id"):
            np.testing.assert_array_equal(
                shuffled.provenance[name][key].values, reference.provenance[name][key].values
            )
    np.testing.assert_array_equal(
        shuffled.stocks["Use"]["stock"].values, reference.stocks["Use"]["stock"].values
    )


IN_USE = {2015: 10_000_000, 2025: 14_000_000, 2035: 14_000_000}


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the template made stock-driven: a table of appliances in use gives the stock."""
    folder = msa.new_model(tmp_path_factory.mktemp("driven") / "m")
    toml = folder / "model.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('value = "sales * content"\n', "").replace('units = "t"', 'units = "item"')
    text = text.replace(
        "[data.content]",
        '[data.in_use]\nfile = "data/in_use.csv"\ndims = ["time"]\nunits = "item"\n'
        'interpolate = "linear"\n\n[data.content]',
    )
    text = text.replace(
        'outflow = "Use => Collection"\n',
        'outflow = "Use => Collection"\nstock = "in_use"\ninflow = "Market => Use"\n',
    )
    toml.write_text(text, encoding="utf-8")
    sources = folder / "data" / "sources.csv"
    lines = sources.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1].replace("example,", "other,", 1))
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@given(
    in_use=sales_rows(),
    params=st.fixed_dictionaries({p: provs for p in PARAMETERS}),
)
def test_stock_driven_grades_are_the_worst_of_the_inputs(driven, in_use, params) -> None:
    """A stock-driven stock: its level rests on the table at t, its flows on it up to t."""
    content = dict.fromkeys(CONTENT, (0, "example"))
    _write_inputs(driven, dict.fromkeys(SALES, (0, "example")), content, params)
    rows = [f"{y},{IN_USE[y]},item,{s},{GRADES[r]}," for y, (r, s) in in_use.items()]
    (driven / "data" / "in_use.csv").write_text(
        "\n".join([f"year,{HEADER}", *rows]) + "\n", encoding="utf-8"
    )
    built = msa.build_model(msa.load_definition(driven))
    assert_balanced(built.system)
    level = sales_by_year(in_use)  # the table's provenance, year by year
    life = (params["lifetime_mean"], params["lifetime_std"])
    flows = {t: join(*(level[u] for u in YEARS if u <= t), *life) for t in YEARS}
    collected = {t: join(flows[t], params["collection_rate"]) for t in YEARS}
    recycled = {t: join(collected[t], params["recovery_rate"]) for t in YEARS}
    want = {
        "stock Use": level,
        "stock_change Use": flows,
        "Market => Use": flows,
        "Use => Collection": flows,
        "Collection => Recycling": collected,
        "Collection => Disposal": collected,
        "Recycling => Secondary": recycled,
        "Recycling => Disposal": recycled,
    }
    for name, cells in want.items():
        grades = built.system.provenance[name]["grade"]
        sources = built.system.provenance[name]["source_id"]
        for t, (rank, source) in cells.items():
            assert grades.sel(time=t).item() == GRADES[rank], (name, t)
            assert sources.sel(time=t).item() == source, (name, t)
