"""The ``msa`` command line: check, views, indicators, sankey, run, compare, coverage.

Every :class:`msa.MsaError` becomes one readable line on stderr and exit code 2, never a
traceback. One function per command; the console report of a view is in :mod:`msa.cli._view_text`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from msa.errors import DataError, MassBalanceError, MsaError

if TYPE_CHECKING:
    from msa.figures.diagram import ColorBy

app = typer.Typer(
    name="msa",
    help="Material system analysis: balance, views, indicators, Sankeys and model runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        from msa.system.provenance import msa_version

        typer.echo(f"msa {msa_version()}")
        raise typer.Exit()


#: Whether ``--debug`` was given: an error then also prints its full traceback.
_DEBUG = {"on": False}


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="On an error, also print the full traceback (of the model code too) before "
            "the one-line message.",
        ),
    ] = False,
) -> None:
    """Material system analysis toolkit."""
    _DEBUG["on"] = debug


# --- what check, views, indicators and sankey read -----------------------------------------
#: PATH of check, views, indicators and sankey: see :mod:`msa.cli._inputs`.
_Input = Annotated[
    Path,
    typer.Argument(
        help="A model folder (declared or MSA tables), a run output, a NetCDF file "
        "or a folder of tables.",
    ),
]
#: --scenario of check, views, indicators and sankey.
_Scenario = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        "-s",
        help="The scenario to build or run (a model folder; default baseline) or to read (a "
        "folder of scenario runs).",
    ),
]


# --- check (foundation) -----------------------------------------------------------------
def _check_report(
    path: Path, rtol: float, atol: float, scenario: str | None = None
) -> tuple[list[str], bool]:
    """Return the lines of the balance report of the system at ``path`` and whether it balances."""
    import numpy as np

    from msa.cli._inputs import resolve
    from msa.errors import ConfigError
    from msa.system.mass_balance import balance, offenders, throughput

    if not (rtol >= 0 and atol >= 0):
        raise ConfigError(f"tolerances must be >= 0 (got --rtol {rtol}, --atol {atol})")
    got = resolve(path, scenario=scenario)
    system = got.system
    _known_jrc_codes(path, system)
    dims = ", ".join(f"{d} ({len(i)})" for d, i in system.coords.items())
    kinds = [p.kind for p in system.processes.values()]
    lines = [
        f"system {system.name!r} from {path} ({got.what})",
        f"dims: {dims}",
        f"{len(kinds)} processes ({kinds.count('boundary')} boundary), {len(system.flows)} flows, "
        f"{len(system.stocks)} stocks, {len(system.parameters)} parameters",
    ]
    res, tps = balance(system), throughput(system)
    width = max([len("process"), *(len(str(p)) for p in res.data_vars)])
    lines.append(
        f"{'process':<{width}}  {'kind':<14}  {'max |residual|':>16}  {'max relative':>12}"
    )
    for pid in res.data_vars:
        r = np.abs(res[pid].values)
        tp = tps[pid].values
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(tp > 0, r / np.where(tp > 0, tp, 1.0), np.where(r > 0, np.inf, 0.0))
        units = res[pid].attrs.get("units", "")
        kind = system.processes[str(pid)].kind
        lines.append(
            f"{pid!s:<{width}}  {kind:<14}  {f'{r.max():.6g} {units}':>16}  {rel.max():>12.3g}"
        )
    problems = system.structure_problems()
    lines.append("structure: " + ("no problems" if not problems else f"{len(problems)} problem(s)"))
    lines.extend(f"  - {p}" for p in problems)
    found = offenders(system, rtol=rtol, atol=atol)
    if not found:
        lines.append(f"balanced (rtol={rtol:g}, atol={atol:g})")
        return lines, True
    lines.append(
        f"NOT balanced: {len(found)} cell(s) outside rtol={rtol:g}, atol={atol:g}; worst first:"
    )
    lines.extend(f"  - {o}" for o in found[:10])
    if len(found) > 10:
        lines.append(f"  ... and {len(found) - 10} more")
    return lines, False


def _known_jrc_codes(path: Path, system: Any) -> None:
    """Refuse a flow or stock whose ``jrc_code`` is not a JRC MSA code (e.g. ``maybe``)."""
    from msa.jrc_msa.tables import split_codes

    tagged = [("flow", n, a.attrs) for n, a in system.flows.items()]
    tagged += [("stock", n, d.attrs) for n, d in system.stocks.items()]
    for what, name, attrs in tagged:
        for key in ("jrc_code", "change_jrc_code"):
            if attrs.get(key):
                split_codes(str(attrs[key]), where=f"{path}: {what} {name!r} {key}")


@app.command()
def check(
    path: _Input,
    rtol: Annotated[
        float, typer.Option(help="Relative tolerance, as a share of each process's throughput.")
    ] = 1e-9,
    atol: Annotated[float, typer.Option(help="Absolute tolerance, in the flows' units.")] = 0.0,
    scenario: _Scenario = None,
) -> None:
    """Check the mass balance and structure of a system: exit 0 if sound, 2 if not.

    PATH may be a model folder (built, or run, first), a run output, a NetCDF file, a folder
    of tables or an .xlsx workbook. The report goes to stdout; an imbalance also ends with one
    error line on stderr naming the worst process, year and coordinates, and so does a
    process cut off from every boundary and stock (a closed loop without a stock); a process
    without flows (unused in a template) is only listed.
    """
    lines, ok = _check_report(path, rtol, atol, scenario)
    typer.echo("\n".join(lines))
    if not ok:
        worst = lines[lines.index(next(x for x in lines if x.startswith("NOT balanced"))) + 1]
        raise MassBalanceError(f"{path}: not balanced; worst: {worst.removeprefix('  - ')}")
    start = next(i for i, x in enumerate(lines) if x.startswith("structure: ")) + 1
    listed = [x.removeprefix("  - ") for x in lines[start:] if x.startswith("  - ")]
    cut_off = [x for x in listed if not x.endswith("has no flows")]  # unused: only listed
    if cut_off:
        raise DataError(
            f"{path}: balanced, but the structure has {len(cut_off)} problem(s): {cut_off[0]}"
        )


# --- views and indicators (JRC / ICER / PGA) ----------------------------------------------
def _load_for_views(path: Path, scenario: str | None = None):  # -> msa.System
    """Return the System at ``path``: a model folder of any kind, a run output or a System."""
    from msa.cli._inputs import resolve

    return resolve(path, scenario=scenario).system


@app.command()
def views(
    path: _Input,
    year: Annotated[int, typer.Option(help="The year to report.")],
    out: Annotated[
        Path | None, typer.Option(help="Also write each view's tables as CSV into this folder.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing CSV files in --out.")] = False,
    scenario: _Scenario = None,
) -> None:
    """Print the JRC, ICER national and PGA views: links, out-of-scope and uncertain variables.

    The views place JRC MSA variables: the System's flows (or parameters, stocks) need a
    jrc_code, as an MSA-table model's have. With --out the 15 CSV files are staged and appear
    together at the end; --out must not be PATH nor lie inside it.
    """
    from msa.jrc_msa import views as views_
    from msa.system.staging import staged_files

    if out is not None:
        _check_out(out, path, force)
    system = _load_for_views(path, scenario)
    made = [f(system, year=year) for f in (views_.jrc, views_.icer_national, views_.pga)]
    tables = ("links", "out_of_scope", "uncertain", "inside", "nodes")
    names = [f"{v.name}_{t}.csv" for v in made for t in tables]
    if out is not None:
        _check_out(out, path, force, names)
    from msa.cli._view_text import view_lines

    typer.echo(f"system {system.name!r}, year {year}")
    dims = [d for d in ("material", "region") if d in system.dims and len(system.coords[d]) > 1]
    for view in made:
        typer.echo("\n" + "\n".join(view_lines(view, dims)))
    if out is not None:
        with staged_files(out, names, force=force) as tmp:
            for view in made:
                for table in tables:
                    getattr(view, table).to_csv(tmp / f"{view.name}_{table}.csv", index=False)
        typer.echo(f"\nwrote {len(names)} CSV files to {out}")


def _check_out(out: Path, path: Path, force: bool, names: list[str] | None = None) -> None:
    """Refuse, before any work, an --out that overlaps the input ``path`` or cannot be written.

    With ``names``, also refuse existing files of these names in ``out`` unless ``force``.
    """
    from msa.errors import OutputExistsError
    from msa.system.staging import check_writable, refuse_overlap

    source = path.parent if path.name == "model.toml" else path
    if source.is_dir():  # a file input (.nc, .xlsx) cannot hold the output
        advice = "outside it (msa never writes into its input)"
        refuse_overlap(out, source, "input", advice, replaces=False)
    check_writable(out)
    clash = [out / n for n in names or () if (out / n).exists()]
    if clash and not force:
        raise OutputExistsError(
            f"{clash[0]} exists ({len(clash)} of the files to write); use --force to replace "
            "them or choose another --out"
        )


@app.command()
def indicators(
    path: _Input,
    year: Annotated[int | None, typer.Option(help="One year (default: all years).")] = None,
    scenario: _Scenario = None,
) -> None:
    """Print the indicator table (DMI, DMC, import reliance, EoL-RIR, CMUR, ...)."""
    from msa.cli._view_text import format_number
    from msa.jrc_msa.indicators import indicator_table

    system = _load_for_views(path, scenario)
    table = indicator_table(system, year=year)
    shown = table.copy()
    shown["value"] = [
        "n/a" if v != v else (f"{v:.4f}" if u == "1" else format_number(v))
        for v, u in zip(shown["value"], shown["units"].fillna(""), strict=True)
    ]
    shown["note"] = shown["note"].fillna("").str.slice(0, 90)
    typer.echo(f"system {system.name!r}")
    cols = [c for c in shown.columns if c not in ("formula",)]
    typer.echo(shown[cols].astype(object).fillna("").to_string(index=False))


# --- sankey -------------------------------------------------------------------------------
@app.command()
def sankey(
    path: _Input,
    out: Annotated[Path, typer.Option(help="Folder for the figure files.")],
    year: Annotated[int | None, typer.Option(help="The year to draw.")] = None,
    years: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated years (e.g. 2024,2030,2050) to draw at one common scale and "
            "height, for side-by-side comparison; instead of --year."
        ),
    ] = None,
    view: Annotated[
        str, typer.Option(help="jrc (the system's own flows), icer (ICER national) or pga.")
    ] = "jrc",
    lang: Annotated[str, typer.Option(help="Label language: en or nl.")] = "en",
    color_by: Annotated[
        str | None,
        typer.Option(
            help="stage, material, flow_type or grade (default: stage for jrc, else "
            "flow_type); grade is the worst data-quality grade each link rests on (--view jrc "
            "only: views carry no grades)."
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, png, svg, pdf.")
    ] = "html,png,svg,pdf",
    scale: Annotated[
        float | None,
        typer.Option(
            help="Fixed scale in units per px (default: fit the page; with --years the "
            "busiest year fits)."
        ),
    ] = None,
    width: Annotated[
        int | None, typer.Option(help="Figure width in px (default 1100; not with --preset).")
    ] = None,
    height: Annotated[int | None, typer.Option(help="Figure height in px (fit mode).")] = None,
    png_scale: Annotated[
        float | None,
        typer.Option(help="PNG pixel density (default 2 = 192 dpi, or the preset's dpi)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing figure files.")] = False,
    scenario: _Scenario = None,
    link_labels: Annotated[
        str,
        typer.Option(
            help="none, value (each link's value) or range (median (p5-p95) from the "
            "uncertainty.csv of a Monte Carlo run folder; --view jrc).",
        ),
    ] = "none",
    scale_bar: Annotated[
        bool, typer.Option(help="Draw a scale bar (a round quantity) under the note.")
    ] = True,
    preset: Annotated[
        str | None,
        typer.Option(
            help="Print size: a4-portrait (16 cm column), a4-landscape (24.7 cm) or slide "
            "(25.4 cm, 16:9); sets width, height, text (>= 7 pt) and PNG dpi (300; slide 192)."
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="Title (default: the model's title, view and year).")
    ] = None,
    subtitle: Annotated[
        str | None,
        typer.Option(help="Subtitle (default: the materials counted and the mass basis)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help='Source line under the figure, e.g. "Bron: CBS/PBL, bewerking ...".'),
    ] = None,
    scenarios: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated scenarios (e.g. baseline,lfp60) of a folder of scenario "
            "runs or a declared model, drawn for --year at one common scale and height."
        ),
    ] = None,
    svg_text: Annotated[
        str,
        typer.Option(
            help="text (the SVG names its font, DejaVu Sans) or outline (letters drawn as "
            "paths: the SVG needs no font, for print shops and drawing programs)."
        ),
    ] = "text",
) -> None:
    """Draw a publication Sankey of one year (or several years or scenarios at one scale).

    Writes ``sankey_<view>_<year>`` as HTML, PNG, SVG and/or PDF for each year, or
    ``sankey_<view>_<year>_<scenario>`` for each scenario.
    """
    import time

    from msa.errors import ConfigError
    from msa.figures.export import parse_formats, start_image_server, write_figure

    if view not in _SANKEY_VIEWS:
        raise ConfigError(f"unknown view {view!r}; use jrc, icer or pga")
    if link_labels not in ("none", "value", "range"):
        raise ConfigError(f"--link-labels must be none, value or range (got {link_labels!r})")
    if svg_text not in ("text", "outline"):
        raise ConfigError(f"--svg-text must be text or outline (got {svg_text!r})")
    formats = parse_formats(format)  # checked before any work
    _check_out(out, path, force)
    wanted = _wanted_years(year, years)
    runs = _wanted_scenarios(scenarios, scenario, wanted)
    if any(f != "html" for f in formats):  # chromium starts while the model is read and drawn
        start_image_server()
    from msa.figures.diagram import outgrown_page
    from msa.figures.diagram import sankey as build
    from msa.figures.labels import default_subtitle, format_value
    from msa.figures.series import sankey_series
    from msa.system.staging import staged_files

    systems = {run: _load_for_views(path, run) for run in runs}
    system = systems[runs[0]]
    for each in systems.values():
        _check_years(path, wanted, [int(y) for y in each.years])
    language = _language(lang)
    drawn = {
        (run if scenarios else y): _sankey_links(path, systems[run], y, view, language, link_labels)
        for run in runs
        for y in wanted
    }
    first = next(iter(drawn.values()))
    colour = _color_by(color_by or ("stage" if view == "jrc" else "flow_type"))
    options: dict[str, Any] = {
        "nodes": first[1],
        "lang": language,
        "color_by": colour,
        "width": width,
        "height": height,
        "footnotes": list(dict.fromkeys(n for d in drawn.values() for n in d[2])),
        "link_labels": link_labels,
        "scale_bar": scale_bar,
        "preset": preset,
        "subtitle": subtitle
        or default_subtitle(system, language, colour, str(first[0]["units"].iloc[0])),
        "source": source,
    }
    heading = title or _sankey_title(system, _SANKEY_VIEWS[view] or "jrc", language)
    if png_scale is None:
        png_scale = _preset_png_scale(preset)
    start = time.perf_counter()
    tables: dict[Any, Any] = {k: d[0] for k, d in drawn.items()}
    if years is None and not scenarios:  # one year, as it fits the page (or at --scale)
        shown = heading if title else f"{heading} {wanted[0]}"
        figs: dict[Any, Any] = {
            wanted[0]: build(tables[wanted[0]], scale=scale, title=shown, **options)
        }
    else:
        prefix = heading if title or not scenarios else f"{heading} {wanted[0]},"
        figs = sankey_series(tables, scale=scale, title=prefix, **options)
        if scenarios:
            figs = {f"{wanted[0]}_{k}": fig for k, fig in figs.items()}
    names = [f"sankey_{view}_{y}.{fmt}" for y in figs for fmt in formats]
    _check_out(out, path, force, names)  # every year checked before any file is written
    with staged_files(out, names, force=force) as tmp:  # all files appear at the end
        staged = [
            item
            for y, fig in figs.items()
            for item in write_figure(fig, tmp / f"sankey_{view}_{y}", formats, scale=png_scale)
        ]
        _outline_svgs(staged if svg_text == "outline" else [])
    written = [out / item.name for item in staged]
    took = time.perf_counter() - start
    for item in written:
        typer.echo(f"wrote {item}")
    for y, fig in figs.items():
        tall = outgrown_page(fig, f"sankey_{view}_{y}")
        if tall is not None:
            typer.echo(f"msa: note: {tall}", err=True)
    meta = next(iter(figs.values())).layout.meta["msa_sankey"]
    common = f"common scale for {', '.join(map(str, figs))}: " if len(figs) > 1 else "scale "
    scale_text = f"{format_value(meta['units_per_px'], meta['units'], digits=4)} per px"
    typer.echo(f"{len(written)} file(s) in {took:.1f} s; {common}{scale_text}")


def _outline_svgs(paths: list[Path]) -> None:
    """Draw the text of each staged SVG as outlines (``--svg-text outline``)."""
    from msa.figures.svg_text import outline_text

    for item in paths:
        if item.suffix == ".svg":
            item.write_bytes(outline_text(item.read_bytes()))


def _wanted_years(year: int | None, years: str | None) -> list[int]:
    """Return the years asked for by exactly one of ``--year`` and ``--years``."""
    from msa.errors import ConfigError

    if (year is None) == (years is None):
        raise ConfigError(
            "give exactly one of --year Y (one figure) and --years Y1,Y2,... (one scale); "
            f"got {'both' if year is not None else 'neither'}"
        )
    if years is None:
        return [int(year)]  # type: ignore[arg-type]  # checked above
    parts = [p.strip() for p in years.split(",") if p.strip()]
    try:
        wanted = [int(p) for p in parts]
    except ValueError as err:
        raise ConfigError(
            f"--years must be comma-separated years such as 2024,2030,2050 (got {years!r})"
        ) from err
    if not wanted or len(set(wanted)) < len(wanted):
        raise ConfigError(f"--years must name each year once (got {years!r})")
    return wanted


def _wanted_scenarios(
    scenarios: str | None, scenario: str | None, wanted: list[int]
) -> list[str | None]:
    """Return the scenarios to draw: those of ``--scenarios``, else ``--scenario`` alone."""
    from msa.errors import ConfigError

    if scenarios is None:
        return [scenario]
    names = list(dict.fromkeys(p.strip() for p in scenarios.split(",") if p.strip()))
    if scenario is not None or len(wanted) > 1 or not names:
        raise ConfigError(
            "--scenarios S1,S2,... draws one --year for each scenario; give no --scenario or "
            f"--years with it (got --scenarios {scenarios!r})"
        )
    return list(names)


def _preset_png_scale(preset: str | None) -> float:
    """Return the PNG density of ``--preset`` (its dpi / 96), else 2 (192 dpi)."""
    from msa.figures.plan import checked_preset

    page = checked_preset(preset)
    return 2.0 if page is None else page.png_scale


def _check_years(path: Path, wanted: list[int], available: list[int]) -> None:
    """Raise :class:`DataError` naming the first wanted year outside the data."""
    from msa.errors import DataError

    for y in wanted:
        if y not in available:
            raise DataError(
                f"{path}: year {y} is outside the data ({available[0]}-{available[-1]}); "
                f"pick from {available}"
            )


def _sankey_links(
    path: Path, system: Any, year: int, view: str, language: str, link_labels: str
) -> tuple[Any, Any, tuple[str, ...]]:
    """Return the links table, node table (or None) and footnotes of one year in ``view``."""
    import pandas as pd

    from msa.errors import ConfigError, DataError
    from msa.figures.diagram import links_from_system
    from msa.figures.links import held_inside_note

    view_name = _SANKEY_VIEWS[view]
    if view_name is None and not system.flows and not system.stocks:
        view_name = "jrc"  # JRC codes forming no chain (national headlines): the JRC view of them
    nodes: Any = None
    footnotes: tuple[str, ...] = ()
    if view_name is None:
        links = links_from_system(system, year, lang=_language(language))
    else:
        try:
            from msa import jrc_msa
        except ImportError as err:  # pragma: no cover - views ship with msa
            raise ConfigError(f"view {view!r} needs msa.jrc_msa, which is missing") from err
        placed = _process_nodes(path, view_name) or _run_nodes(system, view_name)
        if placed:  # a declared model placing its processes in the view's nodes
            made = jrc_msa.process_view(system, view_name, placed, year=year)
        else:
            made = getattr(jrc_msa, view_name)(system, year=year)
        links = pd.concat([made.links, jrc_msa.scope_gaps(made)], ignore_index=True)
        nodes, footnotes = made.nodes, tuple(made.footnotes_in(language))
        held = held_inside_note(made, year, _language(language))
        footnotes += (held,) if held else ()
        if "year" in links.columns:
            links = links[links["year"] == year]
    if links.empty or (links["value"] == 0).all():
        raise DataError(f"{path}: view {view!r} has no flows in {year}; nothing to draw")
    if link_labels == "range":
        links = _with_ranges(path, system, year, view)
    return links, nodes, footnotes


def _process_nodes(path: Path, view: str) -> dict[str, str]:
    """Return the view nodes a declared model folder places its processes in (else empty).

    ``msa run`` draws a view from these placements where a model declares them (``[processes.X]
    views = { pga = "Afval" }``); a run folder or a System file does not keep them.
    """
    folder = path.parent if path.name == "model.toml" else path
    toml = folder / "model.toml"
    if not toml.is_file() or (folder / "msa.csv").is_file():
        return {}
    from msa.model.definition import load_definition

    d = load_definition(folder)
    if d.msa is not None:
        return {}
    return {p: spec.views[view] for p, spec in d.processes.items() if view in spec.views}


def _run_nodes(system: Any, view: str) -> dict[str, str]:
    """Return the view nodes a built System's processes are placed in (``msa run`` keeps them).

    A declared model's System carries ``attrs["process_views"]`` (view to {process: node}),
    which a run's ``system.nc`` keeps; other Systems have none (empty).
    """
    placed = system.attrs.get("process_views") or {}
    found = placed.get(view) if isinstance(placed, dict) else None
    return {str(p): str(n) for p, n in found.items()} if isinstance(found, dict) else {}


def _with_ranges(path: Path, system: Any, year: int, view: str) -> Any:
    """Return the links of a Monte Carlo run folder's system with their flows' p5/p50/p95."""
    import pandas as pd

    from msa.errors import ConfigError
    from msa.model.outputs import links_with_ranges

    folder = path if path.is_dir() else path.parent
    table = folder / "uncertainty.csv"
    if view != "jrc" or not table.is_file():
        raise ConfigError(
            f"--link-labels range needs --view jrc and the uncertainty.csv of a run with "
            f"--samples in {folder} (msa run MODEL --samples N writes it)"
        )
    bands = pd.read_csv(table, keep_default_na=False, na_values=[""])
    return links_with_ranges(system, year, bands)


#: ``--view`` of ``msa sankey``: the view function of :mod:`msa.jrc_msa`; None draws the
#: system's own flows.
_SANKEY_VIEWS: dict[str, str | None] = {
    "jrc": None,
    "icer": "icer_national",
    "icer_national": "icer_national",
    "pga": "pga",
}
_LANGUAGES: dict[str, Literal["en", "nl"]] = {"en": "en", "nl": "nl"}
_COLORS_BY: dict[str, ColorBy] = {
    "stage": "stage",
    "material": "material",
    "flow_type": "flow_type",
    "grade": "grade",
}


def _language(lang: str) -> Literal["en", "nl"]:
    """Return ``--lang`` as a label language; :class:`ConfigError` if it is not en or nl."""
    from msa.errors import ConfigError

    if lang not in _LANGUAGES:
        raise ConfigError(f"lang must be 'en' or 'nl' (got {lang!r})")
    return _LANGUAGES[lang]


def _color_by(value: str) -> ColorBy:
    """Return ``--color-by`` as the figures' colour meaning; :class:`ConfigError` if unknown."""
    from msa.errors import ConfigError

    if value not in _COLORS_BY:
        raise ConfigError(
            f"color_by must be 'stage', 'material', 'flow_type' or 'grade' (got {value!r})"
        )
    return _COLORS_BY[value]


_VIEW_TITLES = {
    "jrc": {"en": "JRC MSA chain", "nl": "JRC MSA-keten"},
    "icer_national": {"en": "ICER national view", "nl": "ICER nationale weergave"},
    "pga": {"en": "PGA view", "nl": "PGA-weergave"},
}


def _sankey_title(system: Any, view: str, lang: str) -> str:
    """Title of CLI Sankeys before the year: the model's title and the view (no internal id).

    E.g. 'Illustrative JRC MSA dataset (Li, EU): JRC MSA chain,'; the System's name where it
    has no ``attrs["title"]``; a string ``system`` is the name itself.
    """
    words = _VIEW_TITLES[view]["nl" if lang == "nl" else "en"]
    if isinstance(system, str):
        name = system
    elif lang == "nl":  # never the English title in a Dutch figure: its Dutch title, else its id
        name = system.attrs.get("title_nl") or system.name
    else:
        name = system.attrs.get("title") or system.name
    return f"{name}: {words},"


# --- run and compare (models) -------------------------------------------------------------
@app.command()
def new(
    folder: Annotated[Path, typer.Argument(help="New model folder (must not exist or be empty).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Model name; default the folder's name.")
    ] = None,
) -> None:
    """Write a small, commented model that runs and balances: the start of a new model."""
    from msa.model.template import new_model

    written = new_model(folder, name=name)
    typer.echo(f"wrote {written}; run it with: msa run {written} --out <output folder>")


@app.command()
def run(
    model: Annotated[Path, typer.Argument(help="Model folder (holding model.toml).")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder (written atomically), outside the model folder."),
    ],
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario name; repeat, or 'all'."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing output folder of an earlier msa run (nothing else).",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Show no progress (only what was written).")
    ] = False,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            help="Also run a Monte Carlo of N samples: uncertainty.csv, P(met) per target, "
            "p5-p95 bands (docs/uncertainty.md).",
            metavar="N",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Seed of the Monte Carlo (default 0): same seed, same numbers."
        ),
    ] = None,
    sensitivity: Annotated[
        list[str] | None,
        typer.Option(
            "--sensitivity",
            help="With --samples: rank the inputs driving a result and what to measure next: "
            "QUANTITY[:MATERIAL][@YEAR], e.g. 'stock Use:silver@2050' or an indicator name; "
            "repeat. Every target is ranked anyway (tables/sensitivity.csv).",
            metavar="RESULT",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Build the Monte Carlo's samples on a local dask cluster of K worker "
            "processes (pip install 'msa[dask]'); same numbers as without.",
            metavar="K",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Build them on a running dask cluster instead, e.g. tcp://host:8786; its "
            "workers need the model folder at the same path.",
            metavar="ADDRESS",
        ),
    ] = None,
) -> None:
    """Run a model: NetCDF, CSV tables, Sankeys, plots, indicator report, data quality.

    An --out that is, holds or lies inside the model folder is refused, as is (even with
    --force) a non-empty --out holding anything but an earlier msa run.

    With --samples N every numeric parameter and data table is drawn N times from its
    declared uncertainty or its grade; the run adds uncertainty.csv (mean, p5, p50, p95 of
    every stock, flow and indicator), P(met) per target and p5-p95 bands on the plots.
    --workers K or --scheduler ADDRESS builds the samples on dask workers: the draws are
    made here from the seed, so the numbers are the same as in one process.

    Progress goes to stderr: a live display on a terminal, else one line per step (e.g.
    "msa: baseline: build 0.6 s"); --quiet silences it.
    """
    import time

    from msa.cli._progress import RunProgress
    from msa.model.run import run_model

    _need_model_folder(model)
    start = time.perf_counter()
    with RunProgress(quiet=quiet) as progress:
        folders = run_model(
            model,
            out,
            scenarios=scenario,
            force=force,
            progress=progress,
            samples=samples,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            sensitivity=sensitivity or (),
        )
    for folder in folders:
        typer.echo(f"wrote {folder}")
    typer.echo(f"done in {time.perf_counter() - start:.1f} s")


@app.command()
def reconcile(
    path: Annotated[
        Path,
        typer.Argument(help="A system: folder of CSV tables, .xlsx workbook or .nc file."),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder (written atomically), outside the input."),
    ],
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Spec table: status (measured/unknown/constant), sd or cv, transfer "
            "coefficients per flow (default: reconcile.csv beside the tables, if any).",
        ),
    ] = None,
    year: Annotated[
        list[int] | None,
        typer.Option("--year", help="Year of a Sankey (repeat; default the last year)."),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Sankey language: en or nl.")] = "en",
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an earlier msa output folder (nothing else)."),
    ] = False,
) -> None:
    """Reconcile a system's flows so every process balances (weighted least squares, as STAN).

    Measured flows move as little as their sds allow (sds from the spec, else from the
    data-quality grades); unknown flows are computed where the data determine them; a
    chi-square test per year says whether the data contradict each other, and z points at
    the suspect values. Writes the balanced system (system.nc, tables/), adjustments.csv,
    tests.csv, report.md/.html and a Sankey per year with "value ± sd" on the links
    (docs/reconciliation.md).
    """
    from msa.model.reconciling import reconcile_folder

    done = reconcile_folder(
        path, out, spec=spec, years=year or (), force=force, lang=_language(lang)
    )
    typer.echo(f"wrote {done}")


@app.command()
def coverage(
    path: Annotated[
        Path,
        typer.Argument(
            help="A model folder, a run output, a folder of tables or a NetCDF file.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder, outside PATH (default: coverage_<name of PATH> here).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the coverage files in --out.")
    ] = False,
) -> None:
    """Write which policy indicators PATH can compute: need versus availability per item.

    For every indicator of msa's registry (ICER headline indicators, NPCE 2035, CRMA 2030, the
    national critical-materials rule, the Battery Regulation, IMVO and effects) and every
    basic-information item it needs: available or not, from which sources (type, publisher,
    update frequency, openness, time and geographic coverage), at which grade, and the
    verdict: computable, computable with low quality (grade C or D) or not computable, with
    what is missing. Writes coverage.csv, coverage.md and coverage.html (docs/coverage.md).
    """
    from msa.model.coverage import write_coverage

    name = (path.parent if path.name == "model.toml" else path).resolve().name
    written = write_coverage(path, out or Path(f"coverage_{name}"), force=force)
    for file in written:
        typer.echo(f"wrote {file}")


def _need_model_folder(path: Path) -> None:
    """Refuse, in one line, a PATH ``msa run`` cannot run: what it is and what reads it."""
    from msa.errors import ConfigError, DataError

    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_file() and path.name == "model.toml":
        return
    if path.is_dir() and (path / "model.toml").is_file():
        return
    what = (
        "a run output"
        if path.is_dir()
        and ((path / "manifest.json").is_file() or any(path.glob("*/manifest.json")))
        else "a folder without model.toml"
        if path.is_dir()
        else "a file"
    )
    raise ConfigError(
        f"{path} is not a model folder ({what}): msa run needs a folder with model.toml "
        "(msa new makes one); msa check, views, indicators and sankey read run outputs, "
        "NetCDF files and folders of tables"
    )


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (or folders of scenarios).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the comparison tables and a plot here."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files in --out.")] = False,
) -> None:
    """Tabulate and plot the key indicators of several runs side by side.

    Every run folder is checked (manifest.json, headline.csv, indicators.csv) before anything
    is printed or written. Runs of different models are compared on the headline numbers and
    targets they share, and a note lists what was left out; a number in different units in two
    runs is an error naming both. --out must lie outside the runs compared.
    """
    from msa.model.run import check_comparison_out, compare_runs, comparison_text, write_comparison

    headline, targets = compare_runs(runs)
    if out is not None:
        check_comparison_out(out, runs, overwrite=force)
    typer.echo(comparison_text(headline, targets))
    if out is not None:
        for path in write_comparison(headline, targets, out, overwrite=force):
            typer.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 2 error or failed check).

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.
    """
    _DEBUG["on"] = False
    try:
        # without standalone mode click returns typer.Exit's code instead of raising it
        code = app(args=argv, prog_name="msa", standalone_mode=False)
    except MsaError as err:
        return _error_line(str(err), err)
    except ImportError as err:
        # a missing optional extra (plotly, kaleido, openpyxl ...): one line saying what to
        # install, not a traceback; any other import failure is a bug
        if not isinstance(err, ModuleNotFoundError) and not isinstance(
            err.__cause__, ModuleNotFoundError
        ):
            return _bug(err)
        return _error_line(str(err), err)
    except typer.Exit as exit_:
        return int(exit_.exit_code or 0)
    except SystemExit as exit_:  # click usage errors
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 2
    except Exception as err:
        # Click's usage errors (typer vendors click, so match by behaviour, not class).
        if hasattr(err, "show") and hasattr(err, "exit_code"):
            err.show()
            return int(err.exit_code)
        if type(err).__name__ == "Abort":
            return 1
        return _bug(err)
    return code if isinstance(code, int) else 0


def _error_line(message: str, err: BaseException) -> int:
    """Print ``msa: error: <message>`` as one line (after the traceback with --debug); 2."""
    if _DEBUG["on"]:
        import traceback

        typer.echo("".join(traceback.format_exception(err)).rstrip(), err=True)
    typer.echo("msa: error: " + " ".join(message.split()), err=True)
    return 2


def _bug(err: Exception) -> int:
    """Report an error msa did not foresee (a bug) in one line; its traceback with --debug."""
    text = " ".join(str(err).split())
    return _error_line(
        f"unexpected {type(err).__name__}{': ' + text if text else ''} (a bug in msa: rerun "
        "with msa --debug ... for the traceback and report it)",
        err,
    )


def entry() -> None:  # pragma: no cover - console script shim
    """Console-script entry point: run :func:`main` and exit with its code."""
    code = main()
    import gc

    gc.freeze()  # the process ends now: skip collecting the whole heap once more at exit
    sys.exit(code)


_ = Path  # Path is used by the command sections below
