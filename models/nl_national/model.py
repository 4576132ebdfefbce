"""Dutch economy-wide material flows: the trend table model.toml names.

``trend`` returns, per year of msa.csv, the flows the ICER national Sankey draws (read from
:func:`msa.icer_national`, so the table and the Sankeys show the same numbers) and the
headline indicators DMI and DMC (:func:`msa.direct_material_input`,
:func:`msa.domestic_material_consumption`). A flow the table does not give for a year is left
empty, never 0: the published figures do not give it (see README.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import msa

MT = 1e6  # tonnes per Mt

# trend column -> which ICER national links it sums: (source node or None, target node or None,
# source node excluded or None); None matches every node.
_FLOWS: dict[str, tuple[str | None, str | None, str | None]] = {
    "domestic extraction": ("Winning", None, None),
    "imports used (excl. waste)": ("Import (ex afval)", None, "Export"),
    "waste imports": ("Import afval", None, None),
    "re-exports": ("Import (ex afval)", "Export", None),
    "exports (excl. re-exports)": (None, "Export", "Import (ex afval)"),
    "material use": (None, "Materiaalgebruik", None),
    "energetic use": (None, "Energetisch gebruik", None),
    "short-cycle products": (None, "Kortcyclische producten", None),
    "net addition to stock": ("Materiaalgebruik", "Voorraad", None),
    "waste": (None, "Afval", None),
    "recycling": ("Afval", "Recycling", None),
    "losses": (None, "Verlies", None),
}


def _flow(links: pd.DataFrame, spec: tuple[str | None, str | None, str | None]) -> float:
    """Return the sum of the links matching ``spec`` in Mt; NaN when none is drawn."""
    source, target, excluded = spec
    keep = pd.Series(True, index=links.index)
    if source is not None:
        keep &= links["source"] == source
    if target is not None:
        keep &= links["target"] == target
    if excluded is not None:
        keep &= links["target" if target is None else "source"] != excluded
    chosen = links.loc[keep, "value"]
    return float(chosen.sum()) / MT if len(chosen) else np.nan


def trend(built: Any) -> pd.DataFrame:
    """Return the national trend table: one row per year, the ICER national flows, DMI, DMC.

    Values in Mt (billion kg). ``waste`` is the inflow of *Afval*: waste out of the stock plus
    the short-cycle products that pass on into it (the agreed definition of waste production).
    """
    system = built.system
    links = msa.icer_national(system).links
    dmi = msa.direct_material_input(system)
    dmc = msa.domestic_material_consumption(system)
    rows = []
    for year in (int(y) for y in system.coords["time"]):
        part = links[links["year"] == year]
        row: dict[str, object] = {"year": year}
        row.update({name: _flow(part, spec) for name, spec in _FLOWS.items()})
        row["DMI"] = float(dmi.sel(time=year).sum()) / MT
        row["DMC"] = float(dmc.sel(time=year).sum()) / MT
        row["units"] = "Mt"
        rows.append(row)
    return pd.DataFrame(rows)
