"""``msa reconcile PATH --out DIR``: reconcile a system read from tables, and write it all.

The input is anything :func:`msa.read_system` reads (a folder of CSV tables, a workbook, a
NetCDF file): its flows and stock changes are the measurements. What is known how well comes
from an optional **spec table** (``reconcile.csv`` beside the tables, or ``--spec FILE``), one
row per quantity, or per cell when dim columns are given:

=========================  ===============================================================
column                     meaning
=========================  ===============================================================
``quantity``               a flow (``"Use => Collection"``) or ``stock_change PROCESS``
dim columns (optional)     narrow the row to those labels (empty cell: every label);
                           ``time`` too: a flow measured in some years only
``status``                 ``measured`` (default), ``unknown`` (to compute) or ``constant``
``sd`` / ``cv``            absolute sd (flow units) or relative sd; empty: from the grade
``transfer_coefficient``   a parameter name or a number: the flow is TC x its source's inflow
``tc_sd``                  sd of a numeric transfer coefficient (default 0: a constant)
=========================  ===============================================================

Written into ``DIR`` (through a staging folder, replaced only with ``--force`` and only if it
holds an earlier msa output): ``system.nc`` and ``tables/`` (the balanced system),
``adjustments.csv`` (every cell and year: measured, reconciled, sd, z, flagged,
classification, bound), ``tests.csv`` (chi-square per year), ``report.md`` and ``report.html``,
``figures/sankey_<year>`` (HTML, PNG, SVG: reconciled values with "value ± sd" on the links)
and ``manifest.json``.
"""

from __future__ import annotations

import html
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, MsaWarning
from msa.model.report import _CSS, _frame_html, _frame_md, figure_html
from msa.model.run import _check_output, _FigureWriter, _sha256, _staging, written_files
from msa.reconciliation.system import STATUSES, SystemReconciliation, reconcile_system
from msa.system.core import System
from msa.system.io import read_system, to_tables
from msa.system.provenance import msa_version
from msa.system.tables import read_csv_cells

__all__ = ["SPEC_COLUMNS", "SPEC_FILE", "read_spec", "reconcile_folder"]

#: The spec table msa reconcile reads beside the tables when no --spec is given.
SPEC_FILE = "reconcile.csv"
#: Its columns besides dim columns.
SPEC_COLUMNS = ("quantity", "status", "sd", "cv", "transfer_coefficient", "tc_sd")
#: Largest adjustments listed in the report.
TOP = 15


def read_spec(path: Path, system: System) -> dict[str, Any]:
    """Read a spec table into :func:`msa.reconcile_system`'s keyword arguments.

    Raises
    ------
    msa.DataError
        Naming the file, row and column: an unknown column, quantity, label or status, an sd
        or cv that is not a number >= 0, sd and cv in one row, a label of a dim the quantity
        lacks, two rows for one cell.
    """
    frame = read_csv_cells(path)  # one line for an empty, ';'-separated or non-UTF-8 file
    dims = [c for c in frame.columns if c not in SPEC_COLUMNS]
    unknown = [c for c in dims if c not in system.dims]
    if unknown or "quantity" not in frame.columns:
        raise DataError(
            f"{path}: columns {unknown or ['quantity (missing)']} are not known; give quantity, "
            f"optional {list(SPEC_COLUMNS[1:])} and dim columns of {list(system.dims)}"
        )
    arrays = _quantity_arrays(system)
    status: dict[str, xr.DataArray] = {}
    sds: dict[str, xr.DataArray] = {}
    tcs: dict[str, str | float | tuple[float, float]] = {}
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for i, row in frame.iterrows():
        where = f"{path}: row {int(str(i)) + 2}"
        quantity = row["quantity"].strip()
        if quantity not in arrays:
            raise DataError(
                f"{where}: quantity {quantity!r} is not a flow or stock change of the system"
            )
        da = arrays[quantity]
        pick = {d: row[d].strip() for d in dims if row[d].strip()}
        key = (quantity, tuple(sorted(pick.items())))
        if key in seen:
            raise DataError(f"{where}: repeats row {seen[key]} for the same cells")
        seen[key] = int(str(i)) + 2
        cells = _cells(da, pick, where)
        word = row.get("status", "").strip() or "measured"
        if word not in STATUSES:
            raise DataError(f"{where}, column status: {word!r} is not one of {list(STATUSES)}")
        status.setdefault(quantity, xr.full_like(da, "measured", dtype=object))
        status[quantity] = status[quantity].where(~cells, word)
        spread = _spread(row, da, where)
        if spread is not None:
            sds.setdefault(quantity, xr.full_like(da, np.nan, dtype=float))
            sds[quantity] = sds[quantity].where(~cells, spread)
        tc = row.get("transfer_coefficient", "").strip()
        if tc:
            tcs[quantity] = _tc(tc, row.get("tc_sd", "").strip(), where)
    return {"status": status, "sd": sds, "transfer_coefficients": tcs}


def _quantity_arrays(system: System) -> dict[str, xr.DataArray]:
    arrays = dict(system.flows)
    arrays.update({f"stock_change {p}": ds["stock_change"] for p, ds in system.stocks.items()})
    return arrays


def _cells(da: xr.DataArray, pick: dict[str, str], where: str) -> xr.DataArray:
    """Return a boolean mask of the cells a spec row names."""
    mask = xr.ones_like(da, dtype=bool)
    for dim, label in pick.items():
        if dim not in da.dims:
            raise DataError(f"{where}, column {dim}: the quantity has no dim {dim!r}")
        labels = [str(v) for v in da[dim].values]
        if label not in labels:
            raise DataError(f"{where}, column {dim}: unknown label {label!r} (known {labels})")
        mask = mask & (da[dim].astype(str) == label)
    return mask


def _number(text: str, where: str, column: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise DataError(f"{where}, column {column}: {text!r} is not a number") from None
    if not np.isfinite(value) or value < 0:
        raise DataError(f"{where}, column {column}: give a finite number >= 0 (got {text!r})")
    return value


def _spread(row: pd.Series, da: xr.DataArray, where: str) -> xr.DataArray | float | None:
    sd, cv = row.get("sd", "").strip(), row.get("cv", "").strip()
    if sd and cv:
        raise DataError(f"{where}: give sd or cv, not both")
    if sd:
        return _number(sd, where, "sd")
    if cv:
        return _number(cv, where, "cv") * abs(da)
    return None


def _tc(text: str, sd: str, where: str) -> str | float | tuple[float, float]:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        if sd:
            raise DataError(
                f"{where}, column tc_sd: a parameter's sd comes from its grade"
            ) from None
        return text
    spread = _number(sd, where, "tc_sd") if sd else 0.0
    return (value, spread) if spread else value


def reconcile_folder(
    path: str | Path,
    out: str | Path,
    *,
    spec: str | Path | None = None,
    years: Sequence[int] = (),
    force: bool = False,
    lang: str = "en",
    alpha: float = 0.05,
) -> Path:
    """Reconcile the system at ``path`` and write the results into the folder ``out``.

    Parameters
    ----------
    path : path-like
        What :func:`msa.read_system` reads (values without grades need an sd in the spec).
    out : path-like
        The output folder: not inside ``path`` (nor holding it); an existing non-empty one is
        replaced only with ``force`` and only if msa wrote it.
    spec : path-like, optional
        The spec table; default ``reconcile.csv`` in the ``path`` folder if it is there.
    years : sequence of int
        Years to draw a Sankey of (default: the last year).
    force : bool
        Replace an earlier msa output in ``out``.
    lang : {"en", "nl"}
        Language of the Sankeys.
    alpha : float
        Significance of the tests.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    msa.MsaError
        One line each: unreadable input or spec, a bad output folder, a year not in the data.
    """
    path, out = Path(path), Path(out)
    folder = path if path.is_dir() else path.parent
    _check_output(out, force=force, model=folder)
    system = read_system(path, require_provenance=False)
    spec_path = Path(spec) if spec is not None else folder / SPEC_FILE
    if spec is not None and not spec_path.is_file():
        raise ConfigError(f"--spec {spec_path}: no such file")
    kwargs = read_spec(spec_path, system) if spec_path.is_file() else {}
    shown = [int(y) for y in years] or [int(system.years[-1])]
    bad = [y for y in shown if y not in set(int(t) for t in system.years)]
    if bad:
        raise ConfigError(
            f"--year {bad}: not a year of the system ({int(system.years[0])}-"
            f"{int(system.years[-1])})"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MsaWarning)  # they are the result's notes
        result = reconcile_system(system, alpha=alpha, **kwargs)
    figures = _sankeys(result, shown, lang) if result.system is not None else {}
    with _staging(out, force=force) as tmp:
        (tmp / "figures").mkdir()
        writer = _FigureWriter(figures, tmp / "figures") if figures else None
        if result.system is not None:
            result.system.to_netcdf(tmp / "system.nc")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MsaWarning)
                to_tables(result.system, tmp / "tables")
        result.table.to_csv(tmp / "adjustments.csv", index=False)
        result.tests.to_csv(tmp / "tests.csv")
        written = writer.finish() if writer is not None else {}
        pngs = [p for files in written.values() for p in files if p.suffix == ".png"]
        title = f"Reconciliation of {system.name}"
        (tmp / "report.md").write_text(
            report_markdown(result, title=title, images=[p.relative_to(tmp) for p in pngs]),
            "utf-8",
        )
        (tmp / "report.html").write_text(report_html(result, title=title, images=pngs), "utf-8")
        _manifest(tmp, path, spec_path if spec_path.is_file() else None, result)
    return out


def _manifest(folder: Path, path: Path, spec: Path | None, result: SystemReconciliation) -> None:
    inputs = [p for p in ([path] if path.is_file() else sorted(path.glob("*.csv"))) if p.is_file()]
    if spec is not None and spec not in inputs:
        inputs.append(spec)
    manifest = {
        "msa_version": msa_version(),
        "scenario": "reconciled",
        "command": "msa reconcile",
        "inputs": {str(p): _sha256(p) for p in inputs},
        "years": [int(y) for y in result.tests.index],
        "passed": {str(int(y)): bool(v) for y, v in result.tests["passed"].items()},
        "files": written_files(folder),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")


def _sankeys(result: SystemReconciliation, years: Sequence[int], lang: str) -> dict[str, Any]:
    """Return a Sankey of the balanced system per year, links labelled "value ± sd"."""
    from msa.figures.diagram import sankey
    from msa.figures.links import links_from_system

    assert result.system is not None
    figures = {}
    for year in years:
        links = links_from_system(result.system, year, lang="nl" if lang == "nl" else "en")
        totals = result.totals(year)
        links["sd"] = [_link_sd(totals, row) for row in links.itertuples(index=False)]
        language: Literal["en", "nl"] = "nl" if lang == "nl" else "en"
        title = _WORDS[language]["title"].format(name=result.system.name, year=year)
        figures[f"sankey_{year}"] = sankey(
            links,
            lang=language,
            title=title,
            link_labels="sd",
            footnotes=[_sankey_note(result, year, language)],
        )
    return figures


def _link_sd(totals: pd.DataFrame, row: Any) -> float:
    """Return the sd of a link: its flow's, or the stock change's for a stock link."""
    flow = f"{row.source} => {row.target}"
    if flow in totals.index:
        return float(totals.at[flow, "sd"])
    for end in (row.source, row.target):
        key = f"stock_change {end}"
        if key in totals.index:
            return float(totals.at[key, "sd"])
    return float("nan")


#: The words of a reconciled Sankey's title and verdict note, in the figure's language.
_WORDS = {
    "en": {
        "title": "{name} {year}, reconciled (value ± sd)",
        "note": "Reconciled by weighted least squares (msa reconcile): chi2 = {chi2} on {dof} "
        "dof, critical {critical}, {verdict}.",
        "passed": "passed",
        "failed": "FAILED: the data contradict each other",
    },
    "nl": {
        "title": "{name} {year}, gereconcilieerd (waarde ± sd)",
        "note": "Gereconcilieerd met gewogen kleinste kwadraten (msa reconcile): chi2 = {chi2} "
        "bij {dof} vrijheidsgraden, kritieke waarde {critical}, {verdict}.",
        "passed": "geslaagd",
        "failed": "NIET geslaagd: de gegevens spreken elkaar tegen",
    },
}


def _sankey_note(result: SystemReconciliation, year: int, lang: str = "en") -> str:
    """Return the year's chi-square verdict under the figure, in its language."""
    words = _WORDS[lang]
    test = result.tests.loc[year]

    def number(value: float) -> str:
        text = f"{value:.3g}"
        return text.replace(".", ",") if lang == "nl" else text

    return words["note"].format(
        chi2=number(float(test["chi2"])),
        dof=int(test["dof"]),
        critical=number(float(test["chi2_critical"])),
        verdict=words["passed" if bool(test["passed"]) else "failed"],
    )


def _largest(result: SystemReconciliation) -> pd.DataFrame:
    table = result.table.dropna(subset=["z"])
    table = table.assign(size=table["z"].abs()).sort_values("size", ascending=False).head(TOP)
    dims = [c for c in table.columns if c not in _FIXED]
    out = table[["quantity", *dims, "year", "measured", "measured_sd", "value", "sd", "z"]]
    out = out.assign(flagged=np.where(table["flagged"], "yes", ""))
    return out.set_index("quantity")


_FIXED = {
    "quantity",
    "year",
    "status",
    "measured",
    "measured_sd",
    "value",
    "sd",
    "adjustment",
    "z",
    "flagged",
    "classification",
    "bound",
    "size",
}


def _computed(result: SystemReconciliation) -> pd.DataFrame:
    last = result.table["year"].max()
    rows = result.table[(result.table["status"] == "unknown") & (result.table["year"] == last)]
    dims = [c for c in rows.columns if c not in _FIXED]
    return rows[["quantity", *dims, "value", "sd", "classification"]].set_index("quantity")


def _summary(result: SystemReconciliation) -> tuple[str, pd.DataFrame]:
    tests = result.tests.copy()
    failed = int((~tests["passed"]).sum())
    level = f"{100 * (1 - result.alpha):.0f}%"
    line = (
        f"{len(tests)} year(s) reconciled; {failed} fail the chi-square test at {level} (the "
        "data contradict each other more than their sds allow: look at the largest |z| below)."
        if failed
        else f"All {len(tests)} year(s) pass the chi-square test at {level}."
    )
    tests["passed"] = np.where(tests["passed"], "yes", "NO")
    tests["chi2"] = tests["chi2"].where(tests["chi2"] > 1e-12, 0.0)  # rounding of consistent data
    return line, tests


_METHOD = (
    "Weighted least squares with the balances of every process (and transfer coefficients), as "
    "in STAN (Cencic 2016, doi:10.1016/j.serj.2016.06.002): measured values move as little as "
    "their sds allow until every process balances; unknowns are computed where the data "
    "determine them. z is the normalised adjustment (measured - reconciled) / sd of the "
    "adjustment; |z| > 1.96 is flagged. sds not given come from the data-quality grade "
    "(A 2.6%, B 5.7%, C 13.7%, D 30.7% of the value; docs/uncertainty.md)."
)


def report_markdown(
    result: SystemReconciliation, *, title: str, images: Sequence[str | os.PathLike[str]] = ()
) -> str:
    """Return the reconciliation report as Markdown."""
    line, tests = _summary(result)
    parts = [f"# {title}", "", line, "", "## Chi-square test per year", "", _frame_md(tests)]
    parts += ["", f"## Largest adjustments (top {TOP} by |z|)", "", _frame_md(_largest(result))]
    computed = _computed(result)
    if len(computed):
        parts += ["", "## Computed unknowns (last year)", "", _frame_md(computed)]
    if result.notes:
        parts += ["", "## Notes", "", *[f"- {n}" for n in result.notes]]
    parts += ["", "## Method", "", _METHOD]
    parts += [f"\n![{Path(p).stem}]({Path(p).as_posix()})" for p in images]
    return "\n".join(parts) + "\n"


def report_html(
    result: SystemReconciliation, *, title: str, images: Sequence[str | os.PathLike[str]] = ()
) -> str:
    """Return the reconciliation report as one self-contained HTML page."""
    line, tests = _summary(result)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(line)}</p>",
        "<h2>Chi-square test per year</h2>",
        _frame_html(tests),
        f"<h2>Largest adjustments (top {TOP} by |z|)</h2>",
        _frame_html(_largest(result)),
    ]
    computed = _computed(result)
    if len(computed):
        parts += ["<h2>Computed unknowns (last year)</h2>", _frame_html(computed)]
    if result.notes:
        parts += [
            "<h2>Notes</h2>",
            *[f'<p class="note">{html.escape(n)}</p>' for n in result.notes],
        ]
    parts += ["<h2>Method</h2>", f'<p class="note">{html.escape(_METHOD)}</p>']
    parts += [figure_html(Path(img)) for img in images]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
