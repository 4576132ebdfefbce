"""Plain-text report of a view for the console (``msa views``): links, inside, out of scope, '?'.

Written for a policy reader: every link names its nodes in Dutch with the English name under it,
every variable row names the JRC variable in words, every value carries its unit, and uncertain
('?') mappings are marked in the links and listed with their tentative place and the reason.
Views with a flow of 10 Mt or more show values in Mt, as the ICER and CBS publish them.
:func:`format_number` is the CLI's one number format (also for ``msa indicators``).
"""

from __future__ import annotations

import functools

import pandas as pd

from msa.jrc_msa.tables import reference_table
from msa.jrc_msa.views import View

#: Titles of the bundled views.
VIEW_TITLES = {
    "jrc": "JRC MSA chain (view 'jrc')",
    "icer_national": "ICER national Sankey (view 'icer_national')",
    "pga": "PGA product group analysis Sankey (view 'pga')",
}
_ARROW = "\u2192"
_UNCERTAIN_MARK = "uncertain (?)"
_MT = 1e6


@functools.cache
def _variable_names() -> dict[str, str]:
    table = reference_table("jrc_variables")
    return dict(zip(table["code"], table["name_en"], strict=True))


@functools.cache
def _variable_kinds() -> dict[str, str]:
    table = reference_table("jrc_variables")
    return dict(zip(table["code"], table["kind"], strict=True))


def variable_kind(code: str) -> str:
    """Return ``"stock level"`` or ``"flow per year"`` for a code or a fold of codes."""
    kinds = {_variable_kinds().get(c, "flow") for c in code.split("+")}
    return "stock level" if kinds == {"stock"} else "flow per year"


def variable_name(code: str, width: int = 58) -> str:
    """Return the English name of a JRC code or ``+``-fold of codes, cut to ``width``."""
    names = _variable_names()
    parts = code.split("+")
    if len(parts) > 2:
        return f"sum of {len(parts)} variables the data do not split"
    text = " + ".join(names.get(p, p) for p in parts)
    return text if len(text) <= width else text[: width - 3] + "..."


def display_scale(frames: list[pd.DataFrame], units: str) -> tuple[float, str]:
    """Return (divisor, units) to show values: Mt when ``units`` is t and a flow is >= 10 Mt.

    Decided on the links (flows) only, so a large geological stock does not turn a
    battery-material view into fractions of a megatonne.
    """
    values = [f["value"].abs().max() for f in frames if len(f)]
    if units == "t" and values and max(values) >= 10 * _MT:
        return _MT, "Mt"
    return 1.0, units


def format_number(value: float) -> str:
    """Return a value as the console shows it: grouped whole numbers from 100, else 4 digits.

    Parameters
    ----------
    value : float
        The value, in the units it is shown in.

    Returns
    -------
    str
        A whole number with thousands separators when ``abs(value) >= 100``, else 4
        significant digits.

    Examples
    --------
    >>> format_number(12345.6), format_number(3.14159), format_number(-250.0)
    ('12,346', '3.142', '-250')
    """
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def _scaled_number(value: float, divisor: float) -> str:
    """Return ``value / divisor``: one decimal when scaled (to Mt), else :func:`format_number`."""
    shown = value / divisor
    if divisor != 1.0:
        return f"{shown:,.1f}"
    return format_number(shown)


def _table(rows: list[list[str]], header: list[str], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return ("  " + "  ".join(out)).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _names(view: View) -> tuple[dict[str, str], dict[str, str]]:
    nodes = view.nodes.set_index("node")
    return nodes["label_nl"].to_dict(), nodes["label_en"].to_dict()


def _where(row: pd.Series, dutch: dict[str, str], english: dict[str, str]) -> str:
    if row.get("source") and row.get("target"):
        nl = f"{dutch.get(row['source'], row['source'])} {_ARROW} "
        nl += dutch.get(row["target"], row["target"])
        en = f"{english.get(row['source'], row['source'])} {_ARROW} "
        en += english.get(row["target"], row["target"])
        return nl if nl == en else f"{nl} ({en})"
    if row.get("node"):
        nl, en = dutch.get(row["node"], row["node"]), english.get(row["node"], row["node"])
        return f"inside {nl}" if nl == en else f"inside {nl} ({en})"
    return "no link (mostly out of scope)"


def view_lines(view: View, dims: list[str]) -> list[str]:
    """Return the console report of one view (one year) as lines of text.

    Parameters
    ----------
    view : View
        From :func:`msa.jrc`, :func:`msa.icer_national` or :func:`msa.pga`.
    dims : list of str
        Extra dims to show as columns (``material``/``region`` when the system has several).

    Returns
    -------
    list of str
    """
    units = str(view.links["units"].iloc[0]) if len(view.links) else "t"
    divisor, shown_units = display_scale([view.links], units)
    dutch, english = _names(view)
    lines = [f"=== {VIEW_TITLES.get(view.name, view.name)} ===", ""]

    lines.append(f"links ({len(view.links)}): Dutch name, English name on the line below")
    if view.links.empty:
        lines.append("  (none)")
    else:
        rows = []
        for link in view.links.to_dict("records"):
            nl = f"{dutch[link['source']]} {_ARROW} {dutch[link['target']]}"
            en = f"{english[link['source']]} {_ARROW} {english[link['target']]}"
            status = _UNCERTAIN_MARK if link["status"] == "uncertain" else link["status"]
            extra = [str(link[d]) for d in dims]
            value = _scaled_number(link["value"], divisor)
            rows.append([*extra, nl, value, shown_units, link["jrc_codes"], status])
            rows.append([*([""] * len(dims)), f"  {en}", "", "", "", ""])
        header = [*dims, "link (NL / EN)", "value", "units", "JRC codes", "status"]
        lines += _table(rows, header, right={len(dims) + 1})

    for title, frame, last in (
        ("inside a node, no link of its own", view.inside, "node (NL / EN)"),
        ("out of scope (buiten scope), left out of this view", view.out_of_scope, "kind; note"),
        (
            "uncertain (?), mapping not settled and never resolved silently",
            view.uncertain,
            "tentative place; reason",
        ),
    ):
        lines += ["", f"{title}: {len(frame)} variable(s)"]
        if frame.empty:
            lines.append("  (none)")
            continue
        rows = []
        for row in frame.to_dict("records"):
            extra = [str(row[d]) for d in dims]
            base = [*extra, row["code"], variable_name(row["code"])]
            base += [_scaled_number(row["value"], divisor), shown_units]
            if frame is view.inside:
                rows.append([*base, _where(pd.Series(row), dutch, english)])
            elif frame is view.out_of_scope:
                note = _short(row["note"], 60)
                rows.append([*base, variable_kind(row["code"]) + (f"; {note}" if note else "")])
            else:
                rows.append([*base, "tentative: " + _where(pd.Series(row), dutch, english)])
                rows.append([*([""] * (len(base) - 1)), "", "reason: " + _short(row["note"])])
        header = [*dims, "code", "JRC variable", "value", "units", last]
        lines += _table(rows, header, right={len(dims) + 2})
    if view.missing:
        lines += ["", f"missing JRC codes ({len(view.missing)}): {', '.join(view.missing)}"]
    return lines


def _short(note: object, width: int = 100) -> str:
    text = str(note or "").strip()
    return text if len(text) <= width else text[: width - 3] + "..."
