"""Unit tests of msa.dims: classifications, concordances, hierarchies, readers, bundled data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import msa
from msa import (
    Classification,
    Concordance,
    DataError,
    DimensionError,
    Hierarchy,
    aggregate,
    disaggregate,
    load_classification,
    load_concordance,
    load_hierarchy,
    read_classification,
    read_concordance,
)

DATA = Path(msa.__file__).parent / "data" / "classifications"


@pytest.fixture
def family() -> Concordance:
    """Chemistry -> family, many-to-one."""
    return Concordance("chemistry", "family", {"NMC111": "NMC", "NMC811": "NMC", "LFP": "LFP"})


def by_chemistry(values, **extra) -> xr.DataArray:
    """Return a quantity over the three test chemistries."""
    return xr.DataArray(
        np.asarray(values, dtype=float),
        dims="chemistry",
        coords={"chemistry": ["NMC111", "NMC811", "LFP"]},
        attrs={"units": "t", **extra},
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``tmp_path/name`` and return the path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ Classification
def test_classification_rejects_duplicate_items():
    """Duplicate items are named in the error."""
    with pytest.raises(
        DimensionError, match=r"classification 'material': duplicate items \['Li'\]"
    ):
        Classification("material", ("Li", "Co", "Li"))


def test_classification_rejects_empty_items():
    """Empty item ids and empty item lists are refused."""
    with pytest.raises(DimensionError, match="non-empty strings"):
        Classification("material", ("Li", " "))
    with pytest.raises(DimensionError, match="has no items"):
        Classification("material", ())


def test_classification_rejects_labels_and_attributes_of_unknown_items():
    """Labels or attributes for items not in the list are errors, not ignored."""
    with pytest.raises(DimensionError, match=r"nl labels for unknown items \['Xx'\]"):
        Classification("material", ("Li",), labels_nl={"Xx": "x"})
    with pytest.raises(DimensionError, match=r"attributes for unknown items \['Xx'\]"):
        Classification("material", ("Li",), attributes={"Xx": {"critical": True}})


def test_label_falls_back_to_english_then_id():
    """A missing Dutch label falls back to English, a missing English label to the id."""
    c = Classification("material", ("Li", "Co"), labels_en={"Li": "lithium"})
    assert c.label("Li", "nl") == "lithium"
    assert c.label("Co") == "Co"
    assert c.labels("nl") == {"Li": "lithium", "Co": "Co"}
    with pytest.raises(DimensionError, match=r"unknown material item\(s\) \['Zn'\]"):
        c.label("Zn")


def test_where_selects_by_all_conditions_and_missing_never_matches():
    """where() ANDs conditions and never matches a missing attribute value."""
    c = Classification(
        "material",
        ("Li", "P", "Fe", "other"),
        attributes={
            "Li": {"critical": True, "strategic": True},
            "P": {"critical": True, "strategic": False},
            "Fe": {"critical": False, "strategic": False},
        },
    )
    assert c.where(critical=True) == ("Li", "P")
    assert c.where(critical=True, strategic=False) == ("P",)
    assert c.where(critical=False) == ("Fe",)
    assert c.attribute("critical").sel(material="other").item() is None
    with pytest.raises(DimensionError, match=r"no attribute 'crit' \(known: \['critical'"):
        c.where(crit=True)


def test_index_and_coords_build_arrays_and_systems():
    """The classification's index and coords feed xarray and msa.System directly."""
    c = Classification("material", ("Li", "Co"))
    assert c.index.name == "material" and list(c.index) == ["Li", "Co"]
    da = xr.DataArray([1.0, 2.0], coords=c.coords)
    assert da.dims == ("material",)
    system = msa.System("s", coords={"time": [2020], **c.coords})
    assert list(system.coords["material"]) == ["Li", "Co"]


def test_attribute_of_a_complete_boolean_column_is_a_boolean_mask():
    """A boolean attribute without gaps is a bool DataArray usable as a mask."""
    c = Classification("material", ("Li", "Fe"), attributes={"Li": {"c": True}, "Fe": {"c": False}})
    mask = c.attribute("c")
    assert mask.dtype == bool
    x = xr.DataArray([2.0, 3.0], coords=c.coords)
    assert float(x.where(mask, 0).sum()) == 2.0


def test_classification_table_has_labels_and_attributes():
    """table() gives labels and attributes per item."""
    c = Classification(
        "material", ("Li",), labels_nl={"Li": "lithium"}, attributes={"Li": {"a": 1}}
    )
    table = c.table()
    assert list(table.columns) == ["label_en", "label_nl", "a"]
    assert table.loc["Li", "label_nl"] == "lithium"


# ------------------------------------------------------------------ Concordance
def test_concordance_shares_must_sum_to_one_naming_the_item():
    """A split whose shares do not sum to 1 is refused, naming the source item and sum."""
    with pytest.raises(DimensionError, match=r"do not for 'steel' \(sum 0.9\)"):
        Concordance("material", "element", {"steel": {"Fe": 0.7, "Cr": 0.2}, "Li": "Li"})


def test_concordance_rejects_bad_shares():
    """Shares outside (0, 1] or not numbers are refused."""
    with pytest.raises(DimensionError, match=r"share of 'a' -> 'x' must be a number in \(0, 1\]"):
        Concordance("s", "t", {"a": {"x": 1.5, "y": -0.5}})
    with pytest.raises(DimensionError, match="must be a number"):
        Concordance("s", "t", {"a": {"x": "1"}})


def test_concordance_requires_every_source_item_mapped():
    """Given the full source item list, unmapped items are named."""
    with pytest.raises(DimensionError, match=r"unmapped chemistry item\(s\) \['LMO'\]"):
        Concordance("chemistry", "family", {"LFP": "LFP"}, source_items=("LFP", "LMO"))
    with pytest.raises(DimensionError, match=r"unknown source items \['NCA'\]"):
        Concordance("chemistry", "family", {"LFP": "LFP", "NCA": "NCA"}, source_items=("LFP",))
    with pytest.raises(DimensionError, match=r"unknown target items \['NCA'\]"):
        Concordance("chemistry", "family", {"NCA": "NCA"}, target_items=("LFP",))


def test_concordance_dims_must_differ():
    """A concordance from a dim onto itself is refused (xarray needs distinct dims)."""
    with pytest.raises(DimensionError, match="source and target dims must differ"):
        Concordance("material", "material", {"Li": "Li"})


def test_matrix_rows_sum_to_one_and_follow_item_order(family):
    """The share matrix is source x target, in item order, each row summing to 1."""
    m = family.matrix()
    assert m.dims == ("chemistry", "family")
    assert list(m["family"].values) == ["NMC", "LFP"]
    np.testing.assert_array_equal(m.sum("family").values, [1.0, 1.0, 1.0])
    assert m.attrs["units"] == "1"
    split = Concordance("material", "element", {"steel": {"Fe": 0.75, "Cr": 0.25}})
    assert not split.is_many_to_one
    assert split.matrix().sel(material="steel", element="Cr").item() == 0.25


def test_from_attribute_builds_the_concordance_and_refuses_gaps():
    """from_attribute maps items to attribute values; a missing value is an error."""
    c = Classification("material", ("Li", "Fe"), attributes={"Li": {"t": "metal"}})
    with pytest.raises(DimensionError, match=r"attribute 't' is missing for \['Fe'\]"):
        Concordance.from_attribute(c, "t")
    full = Classification("material", ("Li", "Fe"), attributes={"Li": {"t": "m"}, "Fe": {"t": "m"}})
    conc = Concordance.from_attribute(full, "t", target="material_type")
    assert conc.target == "material_type" and conc.target_items == ("m",)


def test_then_composes_shares(family):
    """Composition multiplies shares along paths: S = S1 @ S2."""
    split = Concordance("family", "element", {"NMC": {"Ni": 0.5, "Co": 0.5}, "LFP": "Fe"})
    both = family.then(split)
    assert both.source == "chemistry" and both.target == "element"
    assert dict(both.mapping["NMC811"]) == {"Ni": 0.5, "Co": 0.5}
    with pytest.raises(DimensionError, match="the second must start at 'family'"):
        family.then(Concordance("x", "y", {"a": "b"}))
    with pytest.raises(DimensionError, match=r"unmapped family item\(s\) \['LFP'\]"):
        family.then(Concordance("family", "y", {"NMC": "b"}))


# ------------------------------------------------------------------ aggregate
def test_aggregate_sums_into_target_items_and_keeps_attrs(family):
    """Aggregation sums source values into their targets and keeps units and name."""
    x = by_chemistry([1.0, 2.0, 4.0]).rename("demand")
    y = aggregate(x, family)
    assert y.dims == ("family",)
    assert y.to_series().to_dict() == {"NMC": 3.0, "LFP": 4.0}
    assert y.attrs["units"] == "t" and y.name == "demand"


def test_aggregate_over_other_dims_and_a_subset_of_items(family):
    """Extra dims are kept; a quantity with only some source items is fine."""
    x = xr.DataArray(
        [[1.0, 2.0], [3.0, 4.0]],
        dims=("time", "chemistry"),
        coords={"time": [2020, 2021], "chemistry": ["LFP", "NMC811"]},
    )
    y = aggregate(x, family)
    assert y.sel(time=2021, family="NMC").item() == 4.0
    assert y.sel(time=2020, family="LFP").item() == 1.0


def test_aggregate_refuses_unmapped_items_never_drops(family):
    """Items the concordance does not map are named; data are never dropped."""
    x = xr.DataArray([1.0, 2.0], dims="chemistry", coords={"chemistry": ["LFP", "SIB"]})
    with pytest.raises(DimensionError, match=r"unmapped chemistry item\(s\) \['SIB'\]"):
        aggregate(x, family)


def test_aggregate_refuses_wrong_dims(family):
    """A quantity without the source dim or already with the target dim is refused."""
    with pytest.raises(DimensionError, match="has no 'chemistry' dim"):
        aggregate(xr.DataArray([1.0], dims="material", coords={"material": ["Li"]}), family)
    x = by_chemistry([1, 2, 3]).expand_dims(family=["NMC"])
    with pytest.raises(DimensionError, match="already has a 'family' dim"):
        aggregate(x, family)


def test_aggregate_propagates_nan_only_to_its_target(family):
    """A NaN makes its own target NaN and leaves the others exact (no 0 * NaN)."""
    y = aggregate(by_chemistry([np.nan, 2.0, 4.0]), family)
    assert np.isnan(y.sel(family="NMC").item())
    assert y.sel(family="LFP").item() == 4.0


def test_aggregate_refuses_infinite_values(family):
    """Infinite values are refused rather than turned into NaN."""
    with pytest.raises(DataError, match="infinite value"):
        aggregate(by_chemistry([np.inf, 2.0, 4.0]), family)


def test_aggregate_with_split_shares():
    """A split concordance divides a value by its shares."""
    c = Concordance("material", "element", {"steel": {"Fe": 0.75, "Cr": 0.25}, "Cu": "Cu"})
    x = xr.DataArray([8.0, 1.0], dims="material", coords={"material": ["steel", "Cu"]})
    assert aggregate(x, c).to_series().to_dict() == {"Fe": 6.0, "Cr": 2.0, "Cu": 1.0}


def test_aggregate_keeps_a_balanced_process_balanced(family):
    """Aggregating every flow of a balanced System by chemistry keeps check_balance passing."""
    years = [2020, 2021]
    coords = {"time": years, "chemistry": ["NMC111", "NMC811", "LFP"]}
    inflow = xr.DataArray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], coords=coords)
    out_a = inflow * 0.3
    out_b = inflow - out_a

    def build(dim: str, a: xr.DataArray, b: xr.DataArray, c: xr.DataArray) -> msa.System:
        s = msa.System("cells", coords={"time": years, dim: list(a[dim].values)})
        for pid, kind in (("Mine", "boundary"), ("Factory", "transformation")):
            s.add_process(pid, kind=kind)
        s.add_process("Export", kind="boundary")
        s.add_process("Waste", kind="boundary")
        s.add_flow("Mine", "Factory", a, units="t")
        s.add_flow("Factory", "Export", b, units="t")
        s.add_flow("Factory", "Waste", c, units="t")
        return s

    msa.check_balance(build("chemistry", inflow, out_a, out_b))
    agg = [aggregate(f, family) for f in (inflow, out_a, out_b)]
    msa.check_balance(build("family", *agg))


# ------------------------------------------------------------------ disaggregate
def test_disaggregate_with_weights_over_time(family):
    """Weights may vary by year; each target splits over its sources by weight."""
    y = xr.DataArray(
        [[3.0, 4.0], [6.0, 1.0]],
        dims=("time", "family"),
        coords={"time": [2020, 2021], "family": ["NMC", "LFP"]},
    )
    w = xr.DataArray(
        [[1.0, 2.0, 5.0], [1.0, 1.0, 5.0]],
        dims=("time", "chemistry"),
        coords={"time": [2020, 2021], "chemistry": ["NMC111", "NMC811", "LFP"]},
    )
    x = disaggregate(y, family, w)
    assert x.sel(time=2020, chemistry="NMC811").item() == pytest.approx(2.0)
    assert x.sel(time=2021, chemistry="NMC111").item() == pytest.approx(3.0)
    xr.testing.assert_allclose(aggregate(x, family).transpose(*y.dims), y)


def test_disaggregate_default_is_an_equal_split(family):
    """Without weights a target splits equally over its source items."""
    y = xr.DataArray([4.0, 1.0], dims="family", coords={"family": ["NMC", "LFP"]})
    assert disaggregate(y, family).to_series().to_dict() == {
        "NMC111": 2.0,
        "NMC811": 2.0,
        "LFP": 1.0,
    }


def test_disaggregate_refuses_to_lose_mass(family):
    """A non-zero target whose sources all weigh zero is an error naming the target."""
    y = xr.DataArray([4.0, 1.0], dims="family", coords={"family": ["NMC", "LFP"]})
    w = by_chemistry([0.0, 0.0, 1.0])
    with pytest.raises(DataError, match=r"family value at \{'family': 'NMC'\} is non-zero"):
        disaggregate(y, family, w)
    with pytest.raises(DataError, match="finite and non-negative"):
        disaggregate(y, family, by_chemistry([-1.0, 1.0, 1.0]))
    with pytest.raises(DimensionError, match=r"weights lack chemistry item\(s\) \['LFP'\]"):
        disaggregate(y, family, w.sel(chemistry=["NMC111", "NMC811"]))


def test_disaggregate_refuses_unknown_target_items(family):
    """Target items the concordance does not know are named."""
    y = xr.DataArray([1.0], dims="family", coords={"family": ["LMO"]})
    with pytest.raises(DimensionError, match=r"unknown family item\(s\) \['LMO'\]"):
        disaggregate(y, family)


# ------------------------------------------------------------------ Hierarchy
def test_hierarchy_aggregates_from_any_level(family):
    """A hierarchy aggregates from the level a quantity has to any coarser level."""
    ion = Concordance("family", "battery_type", {"NMC": "Li-ion", "LFP": "Li-ion"})
    h = Hierarchy((family, ion))
    assert h.levels == ("chemistry", "family", "battery_type")
    x = by_chemistry([1.0, 2.0, 4.0])
    assert h.aggregate(x, "battery_type").sel(battery_type="Li-ion").item() == 7.0
    mid = h.aggregate(x, "family")
    assert h.aggregate(mid, "battery_type").item() == 7.0
    with pytest.raises(DimensionError, match="is not coarser than 'family'"):
        h.concordance("family", "chemistry")
    with pytest.raises(DimensionError, match="unknown hierarchy level 'region'"):
        h.aggregate(x, "region")


def test_hierarchy_refuses_a_broken_chain(family):
    """Every item of a level must map to the next level."""
    with pytest.raises(DimensionError, match=r"unmapped family item\(s\) \['LFP'\]"):
        Hierarchy((family, Concordance("family", "battery_type", {"NMC": "Li-ion"})))
    with pytest.raises(DimensionError, match="at least one concordance"):
        Hierarchy(())


# ------------------------------------------------------------------ readers
def test_read_classification_parses_labels_and_strict_booleans(tmp_path):
    """Header comments, labels, boolean, numeric and text attributes are read."""
    path = write(
        tmp_path,
        "m.csv",
        "# Cited header line\nmaterial,label_en,label_nl,critical,density,kind\n"
        "Li,lithium,lithium,yes,0.534,metal\nFe,iron,ijzer,No,7.87,metal\nX,,,,,\n",
    )
    c = read_classification(path)
    assert c.name == "material" and c.items == ("Li", "Fe", "X")
    assert c.description == "Cited header line"
    assert c.label("Fe", "nl") == "ijzer" and c.label("X", "nl") == "X"
    assert c.attributes["critical"].dtype == "boolean"
    assert c.attributes["density"].dtype == "Float64"
    assert c.where(critical=False) == ("Fe",)
    assert c.where(kind="metal") == ("Li", "Fe")


def test_read_classification_names_row_and_column_of_a_bad_boolean(tmp_path):
    """A non-boolean in a boolean column is an error naming file, row and column."""
    path = write(tmp_path, "m.csv", "# h\nmaterial,critical\nLi,yes\nFe,ja\n")
    with pytest.raises(DataError, match=r"m.csv: row 4, column 'critical': 'ja' is not a boolean"):
        read_classification(path)


def test_read_classification_names_rows_of_duplicate_and_empty_items(tmp_path):
    """Duplicate and empty items are reported with their file rows."""
    path = write(tmp_path, "m.csv", "material\nLi\nCo\nLi\n")
    with pytest.raises(DataError, match=r"rows \[2, 4\]: duplicate items \['Li'\]"):
        read_classification(path)
    path = write(tmp_path, "e.csv", "material,label_en\nLi,lithium\n,cobalt\n")
    with pytest.raises(DataError, match=r"e.csv: row 3, column 'material': empty item"):
        read_classification(path)


def test_read_classification_item_header_needs_a_name(tmp_path):
    """An 'item' header takes the dim name from the argument; a conflict is an error."""
    path = write(tmp_path, "m.csv", "item,label_en\nLi,lithium\n")
    with pytest.raises(DataError, match="pass name=<dim name>"):
        read_classification(path)
    assert read_classification(path, name="material").name == "material"
    other = write(tmp_path, "n.csv", "material\nLi\n")
    with pytest.raises(DataError, match="item column is 'material' but name='element'"):
        read_classification(other, name="element")


def test_readers_report_unreadable_files(tmp_path):
    """Missing files and ragged CSV are DataErrors naming the file."""
    with pytest.raises(DataError, match="nope.csv: cannot read the classification file"):
        read_classification(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="nope.csv: cannot read the concordance file"):
        read_concordance(tmp_path / "nope.csv")
    path = write(tmp_path, "r.csv", "# h\nmaterial,a\nLi,1\nCo,2,3\n")
    with pytest.raises(DataError, match=r"r.csv: not a readable CSV table .*line 4"):
        read_classification(path)


def test_read_concordance_with_shares(tmp_path):
    """A share column splits source items over several rows."""
    path = write(
        tmp_path,
        "c.csv",
        "material,element,share,note\nsteel,Fe,0.75,alloy\nsteel,Cr,0.25,\nCu,Cu,1,\n",
    )
    c = read_concordance(path)
    assert (c.source, c.target) == ("material", "element")
    assert dict(c.mapping["steel"]) == {"Fe": 0.75, "Cr": 0.25}


def test_read_concordance_errors_name_file_and_row(tmp_path):
    """Bad shares, repeated sources without shares and empty cells name file and row."""
    bad = write(tmp_path, "b.csv", "material,element,share\nsteel,Fe,x\n")
    with pytest.raises(DataError, match=r"b.csv: row 2, column 'share': 'x' is not a number"):
        read_concordance(bad)
    multi = write(tmp_path, "m.csv", "material,element\nsteel,Fe\nsteel,Cr\n")
    with pytest.raises(DataError, match=r"m.csv: rows \[2, 3\]: material item 'steel' maps to"):
        read_concordance(multi)
    twice = write(tmp_path, "t.csv", "material,element,share\nsteel,Fe,0.5\nsteel,Fe,0.5\n")
    with pytest.raises(DataError, match=r"t.csv: row 3: pair 'steel' -> 'Fe' given twice"):
        read_concordance(twice)
    empty = write(tmp_path, "e.csv", "material,element\nsteel,\n")
    with pytest.raises(DataError, match=r"e.csv: row 2, column 'element': empty item"):
        read_concordance(empty)
    short = write(tmp_path, "s.csv", "material,element,share\nsteel,Fe,0.5\nsteel,Cr,0.4\n")
    with pytest.raises(DimensionError, match=r"s.csv: .*'steel' \(sum 0.9\)"):
        read_concordance(short)
    ok = write(tmp_path, "ok.csv", "material,element\nsteel,Fe\n")
    with pytest.raises(DimensionError, match=r"ok.csv: .*unmapped material item\(s\) \['Cu'\]"):
        read_concordance(ok, source_items=["steel", "Cu"])


def test_load_unknown_bundled_table_lists_the_known_ones():
    """Unknown bundled names list what exists."""
    with pytest.raises(DataError, match=r"no bundled classification table 'metals' \(known: .*"):
        load_classification("metals")
    with pytest.raises(DataError, match=r"no bundled hierarchy 'material' \(known: \['chemistry'"):
        load_hierarchy("material")


# ------------------------------------------------------------------ bundled data
def test_materials_flags_agree_with_the_crma_lists():
    """Each critical/strategic flag rests on an entry of the copied CRMA Annex I/II table."""
    materials = load_classification("materials")
    crma = pd.read_csv(DATA / "crma_lists.csv")
    for flag, entry in (("critical", "crma_critical_entry"), ("strategic", "crma_strategic_entry")):
        listed = set(crma.loc[crma["list"] == flag, "material"])
        for item in materials.items:
            name = materials.attributes.loc[item, entry]
            value = materials.attributes.loc[item, flag]
            if pd.isna(value):
                assert item == "other"
                continue
            assert bool(value) == (not pd.isna(name)), item
            if not pd.isna(name):
                assert name in listed, f"{item}: {name!r} is not on the {flag} list"


def test_materials_cover_the_project_items_with_dutch_labels():
    """The bundled materials list holds the project's items with Dutch labels and types."""
    materials = load_classification("materials")
    for item in ("Li", "Ni", "Co", "Mn", "graphite", "Al", "Cu", "Fe", "steel", "P", "other"):
        assert item in materials
        assert materials.label(item, "nl")
    assert materials.where(strategic=True) == ("Li", "Ni", "Co", "Mn", "graphite", "Al", "Cu", "Si")
    assert materials.where(critical=True, strategic=False) == ("P",)
    assert set(materials.attributes["material_type"].dropna()) <= {
        "fossil",
        "metal",
        "mineral",
        "biomass",
    }


def test_bundled_concordances_agree_with_the_classification_attributes():
    """The concordance files repeat the attributes exactly (one source of truth checked)."""
    chem = load_classification("chemistries")
    from_attr = Concordance.from_attribute(chem, "chemistry_family")
    assert dict(load_concordance("chemistry_family").mapping) == dict(from_attr.mapping)
    materials = load_classification("materials")
    types = load_concordance("material_type")
    assert types.source_items == materials.items
    for item in materials.items:
        declared = materials.attributes.loc[item, "material_type"]
        expected = "unspecified" if pd.isna(declared) else declared
        assert dict(types.mapping[item]) == {expected: 1.0}


def test_chemistry_hierarchy_covers_every_chemistry():
    """The bundled hierarchy maps every bundled chemistry to Li-ion or Na-ion."""
    chem = load_classification("chemistries")
    h = load_hierarchy("chemistry")
    whole = h.concordance("chemistry", "battery_type")
    assert whole.source_items == chem.items
    assert whole.target_items == ("Li-ion", "Na-ion")
    battery = dict(zip(chem.items, chem.attribute("battery_type").values, strict=True))
    assert {s: next(iter(t)) for s, t in whole.mapping.items()} == battery
