"""Names of materials in a figure's language (``msa/data/material_names.csv``)."""

from __future__ import annotations

import functools
from importlib.resources import files

import pandas as pd


@functools.cache
def _dutch() -> dict[str, str]:
    path = files("msa").joinpath("data", "material_names.csv")
    with path.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)
    return dict(zip(table["name"].str.lower(), table["label_nl"], strict=True))


def material_label(name: str, lang: str) -> str:
    """Return the name of material ``name`` in ``lang``: Dutch where the table has it.

    A name the table does not list (a chemical symbol, a model's own name) is shown as given.

    Examples
    --------
    >>> material_label("glass", "nl"), material_label("Li", "nl"), material_label("glass", "en")
    ('glas', 'Li', 'glass')
    """
    if lang != "nl":
        return name
    return _dutch().get(name.lower(), name)
