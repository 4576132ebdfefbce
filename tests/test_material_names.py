"""Dutch names of materials (msa/data/material_names.csv) for Dutch figures."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd

from msa.figures._materials import material_label

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "msa" / "data" / "material_names.csv"


def test_each_name_is_listed_once_with_a_dutch_label():
    table = pd.read_csv(TABLE, comment="#", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["name", "label_nl"]
    assert not table["name"].str.lower().duplicated().any()
    assert (table["label_nl"].str.strip() != "").all()


def test_every_word_a_shipped_model_uses_as_a_material_has_a_dutch_name():
    """A Dutch figure of a shipped model never prints an English material word."""
    missing = []
    for toml in sorted((ROOT / "models").glob("*/model.toml")):
        dims = tomllib.loads(toml.read_text("utf-8")).get("dims", {})
        for name in dims.get("material", []):
            symbol = re.fullmatch(r"[A-Z][a-z]?", name)  # a chemical symbol reads in Dutch too
            if not symbol and material_label(name, "nl") == name and name != "aluminium":
                missing.append((toml.parent.name, name))
    assert missing == []


def test_unlisted_names_and_english_are_shown_as_given():
    assert material_label("Li", "nl") == "Li"
    assert material_label("Glass", "nl") == "glas"  # matched without case
    assert material_label("glass", "en") == "glass"
    assert material_label("unobtainium", "nl") == "unobtainium"
