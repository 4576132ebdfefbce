"""Tests of msa.model.config: the model.toml of a model whose model.py computes it.

Loading, scenario overrides and data-table validation. The sample is the EV model's
configuration in that format (tests/data/legacy_model.toml) with the EV model's data tables
copied beside it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.model.config import BASELINE, check_shares, load_config, table_to_dataarray

ROOT = Path(__file__).resolve().parents[1]
EV_DATA = ROOT / "models" / "ev_batteries_nl" / "data"


def _legacy_model(target: Path) -> Path:
    """Write the sample model (legacy-format model.toml and the EV data) into ``target``."""
    shutil.copytree(EV_DATA, target / "data")
    shutil.copy(ROOT / "tests" / "data" / "legacy_model.toml", target / "model.toml")
    return target


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the sample model folder (read only)."""
    return _legacy_model(tmp_path_factory.mktemp("legacy") / "ev")


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """Return a writable copy of the sample model folder."""
    return _legacy_model(tmp_path / "ev")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_load_config_reads_dims_parameters_and_scenarios(legacy: Path) -> None:
    """The EV model config loads with its dims, parameters and five scenarios."""
    config = load_config(legacy)
    assert config.dims["time"][0] == 2010 and config.dims["time"][-1] == 2050
    assert "sodium" not in config.dims["chemistry"] and "SIB" in config.dims["chemistry"]
    assert list(config.scenarios) == [
        "baseline",
        "high_lfp",
        "lifetime_extension",
        "high_collection",
        "low_export",
    ]
    assert config.parameters["collection_rate"].grade == "D"


def test_scenario_overrides_apply_only_to_their_scenario(legacy: Path) -> None:
    """A scenario changes its parameters and marks them grade D; the baseline is untouched."""
    config = load_config(legacy)
    base = config.parameters_for(BASELINE)
    high = config.parameters_for("high_collection")
    assert base["collection_rate"].value == 0.90
    assert high["collection_rate"].value == 0.98
    assert high["collection_rate"].grade == "D"
    assert "override" in high["collection_rate"].note
    assert high["export_share"] == base["export_share"]


def test_resolve_scenarios_all_default_and_unknown(legacy: Path) -> None:
    """No name means baseline, 'all' means every scenario, an unknown name is a ConfigError."""
    config = load_config(legacy)
    assert config.resolve_scenarios(None) == ["baseline"]
    assert config.resolve_scenarios(["all"]) == list(config.scenarios)
    with pytest.raises(msa.ConfigError, match=r"unknown scenario 'nope'; known: baseline"):
        config.resolve_scenarios(["nope"])


def test_unknown_scenario_key_names_file_and_key(model_copy: Path) -> None:
    """A scenario overriding a parameter that does not exist names the file and the key."""
    _edit(model_copy / "model.toml", "collection_rate = 0.98", "colection_rate = 0.98")
    with pytest.raises(
        msa.ConfigError,
        match=r"model\.toml: \[scenarios\.high_collection\] set: unknown scenario key "
        r"'colection_rate'",
    ):
        load_config(model_copy)


def test_override_of_wrong_type_is_rejected(model_copy: Path) -> None:
    """Replacing a number by a string in a scenario is a ConfigError naming the key."""
    _edit(model_copy / "model.toml", "collection_rate = 0.98", 'collection_rate = "high"')
    with pytest.raises(msa.ConfigError, match=r"set\.collection_rate: value 'high' has type str"):
        load_config(model_copy)


def test_unknown_section_and_key(model_copy: Path) -> None:
    """An unknown top-level section or scenario key is a ConfigError."""
    toml = model_copy / "model.toml"
    _edit(toml, "[outputs]", "[outptus]")
    with pytest.raises(msa.ConfigError, match=r"top level: unknown key 'outptus'"):
        load_config(model_copy)


def test_parameter_without_provenance(model_copy: Path) -> None:
    """A parameter without a source id is rejected: every value needs provenance."""
    _edit(
        model_copy / "model.toml",
        'hibernation_mean = { value = 2.0, units = "yr", source_id = "assumption_ev_nl", ',
        'hibernation_mean = { value = 2.0, units = "yr", ',
    )
    with pytest.raises(msa.ConfigError, match=r"\[parameters\] hibernation_mean: source_id is"):
        load_config(model_copy)


def test_parameter_with_unknown_source(model_copy: Path) -> None:
    """A parameter citing a source id absent from sources.csv is rejected."""
    _edit(model_copy / "model.toml", 'source_id = "cbs_2004"', 'source_id = "cbs_2099"')
    with pytest.raises(msa.ConfigError, match=r"export_share: source_id 'cbs_2099' is not in"):
        load_config(model_copy)


def test_missing_config_file(tmp_path: Path) -> None:
    """A folder without model.toml gives a ConfigError naming the expected file."""
    with pytest.raises(msa.ConfigError, match=r"model\.toml: model configuration not found"):
        load_config(tmp_path)


def test_invalid_toml(model_copy: Path) -> None:
    """A TOML syntax error is reported with the file name."""
    (model_copy / "model.toml").write_text("[model\nname = 1\n", encoding="utf-8")
    with pytest.raises(msa.ConfigError, match=r"model\.toml: invalid TOML"):
        load_config(model_copy)


def test_read_table_unknown_label_names_file_row_column(model_copy: Path) -> None:
    """An unknown chemistry in a data table names the file, the row and the column."""
    path = model_copy / "data" / "material_intensity.csv"
    _edit(path, "\nNCA,Li,", "\nNCAX,Li,")
    config = load_config(model_copy)
    frame = pd.read_csv(path)
    row = int(frame.index[frame["chemistry"] == "NCAX"][0]) + 2
    with pytest.raises(
        msa.DataError,
        match=rf"material_intensity\.csv: row {row}, column 'chemistry': unknown chemistry 'NCAX'",
    ):
        config.read_table(
            "material_intensity",
            dims={"chemistry": config.dims["chemistry"], "material": config.dims["material"]},
        )


def test_read_table_negative_and_non_numeric(model_copy: Path) -> None:
    """Negative or non-numeric values are DataErrors naming the row."""
    path = model_copy / "data" / "battery_capacity.csv"
    _edit(path, "BEV,2010,45.0,", "BEV,2010,-45.0,")
    config = load_config(model_copy)
    with pytest.raises(msa.DataError, match=r"battery_capacity\.csv: row 2, column 'value': neg"):
        config.read_table("battery_capacity", dims={"vehicle": None, "year": None})
    _edit(path, "BEV,2010,-45.0,", "BEV,2010,lots,")
    with pytest.raises(msa.DataError, match=r"row 2, column 'value': not a finite number"):
        config.read_table("battery_capacity", dims={"vehicle": None, "year": None})


def test_read_table_unknown_source_and_grade(model_copy: Path) -> None:
    """A row citing an unknown source or grade is a ProvenanceError naming the row."""
    path = model_copy / "data" / "battery_capacity.csv"
    _edit(path, "aguilarlopez_v2g,C", "nobody_2020,C")
    config = load_config(model_copy)
    with pytest.raises(msa.ProvenanceError, match=r"row 2, column 'source_id': 'nobody_2020'"):
        config.read_table("battery_capacity", dims={"vehicle": None, "year": None})
    _edit(path, "nobody_2020,C", "aguilarlopez_v2g,E")
    with pytest.raises(msa.ProvenanceError, match=r"row 2, column 'grade': 'E' is not one of"):
        config.read_table("battery_capacity", dims={"vehicle": None, "year": None})


def test_check_shares_names_group_and_rows() -> None:
    """Shares not summing to 1 name the group, its rows and the sum."""
    frame = pd.DataFrame(
        {"year": [2020, 2020, 2021, 2021], "value": [0.5, 0.5, 0.5, 0.4], "row": [2, 3, 4, 5]}
    )
    with pytest.raises(
        msa.DataError, match=r"x\.csv: shares for year=2021 \(rows 4-5\) sum to 0\.9"
    ):
        check_shares(frame, by=["year"], path="x.csv")


def test_table_to_dataarray_requires_every_combination() -> None:
    """A missing dim combination is an error, not a silent zero."""
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1, 1], "value": [1.0, 2.0], "row": [2, 3]})
    with pytest.raises(msa.DataError, match=r"t\.csv: no value for a='x', b=2"):
        table_to_dataarray(frame, {"a": ["x", "y"], "b": [1, 2]}, path="t.csv")
    dup = pd.DataFrame({"a": ["x", "x"], "value": [1.0, 2.0], "row": [2, 3]})
    with pytest.raises(msa.DataError, match=r"t\.csv: row 3: duplicate entry for a='x'"):
        table_to_dataarray(dup, {"a": ["x"]}, path="t.csv")
