"""The ``msa`` command line: check, views, indicators, sankey, run, compare, coverage.

Every :class:`msa.MsaError` becomes one readable line on stderr and exit code 2, never a
traceback. One function per command; the console report of a view is in :mod:`msa.cli._view_text`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from msa.errors import MassBalanceError, MsaError

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


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Material system analysis toolkit."""


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


@app.command()
def check(
    path: _Input,
    rtol: Annotated[
        float, typer.Option(help="Relative tolerance, as a share of each process's throughput.")
    ] = 1e-9,
    atol: Annotated[float, typer.Option(help="Absolute tolerance, in the flows' units.")] = 0.0,
    scenario: _Scenario = None,
) -> None:
    """Check the mass balance of a system: exit 0 if balanced, 2 if not or on bad input.

    PATH may be a model folder (built, or run, first), a run output, a NetCDF file, a folder
    of tables or an .xlsx workbook. The report goes to stdout; an imbalance also ends with one
    error line on stderr naming the worst process, year and coordinates.
    """
    lines, ok = _check_report(path, rtol, atol, scenario)
    typer.echo("\n".join(lines))
    if not ok:
        worst = next(line for line in lines if line.startswith("  - "))
        raise MassBalanceError(f"{path}: not balanced; worst: {worst.removeprefix('  - ')}")


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
    jrc_code, as an MSA-table model's have.
    """
    from msa.errors import OutputExistsError
    from msa.jrc_msa import views as views_

    system = _load_for_views(path, scenario)
    made = [f(system, year=year) for f in (views_.jrc, views_.icer_national, views_.pga)]
    tables = ("links", "out_of_scope", "uncertain", "inside", "nodes")
    if out is not None:
        targets = [out / f"{v.name}_{t}.csv" for v in made for t in tables]
        existing = [str(p) for p in targets if p.exists()]
        if existing and not force:
            raise OutputExistsError(
                f"{existing[0]} exists ({len(existing)} file(s) would be overwritten); "
                "use --force to overwrite or choose another --out"
            )
    from msa.cli._view_text import view_lines

    typer.echo(f"system {system.name!r}, year {year}")
    dims = [d for d in ("material", "region") if d in system.dims and len(system.coords[d]) > 1]
    for view in made:
        typer.echo("\n" + "\n".join(view_lines(view, dims)))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for view in made:
            for table in tables:
                getattr(view, table).to_csv(out / f"{view.name}_{table}.csv", index=False)
        typer.echo(f"\nwrote {len(made) * len(tables)} CSV files to {out}")


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
    width: Annotated[int, typer.Option(help="Figure width in px.")] = 1100,
    height: Annotated[int | None, typer.Option(help="Figure height in px (fit mode).")] = None,
    png_scale: Annotated[float, typer.Option(help="PNG pixel density (2 = 192 dpi).")] = 2.0,
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
) -> None:
    """Draw a publication Sankey of one year (or several at one scale) in one view.

    Writes ``sankey_<view>_<year>`` as HTML, PNG, SVG and/or PDF for each year.
    """
    import time

    from msa.errors import ConfigError, OutputExistsError
    from msa.figures.diagram import sankey as build
    from msa.figures.export import parse_formats, write_figure
    from msa.figures.series import sankey_series

    if view not in _SANKEY_VIEWS:
        raise ConfigError(f"unknown view {view!r}; use jrc, icer or pga")
    if link_labels not in ("none", "value", "range"):
        raise ConfigError(f"--link-labels must be none, value or range (got {link_labels!r})")
    formats = parse_formats(format)  # checked before any work
    wanted = _wanted_years(year, years)
    system = _load_for_views(path, scenario)
    _check_years(path, wanted, [int(y) for y in system.years])
    language = _language(lang)
    drawn = [_sankey_links(path, system, y, view, language, link_labels) for y in wanted]
    nodes, footnotes = drawn[0][1], list(dict.fromkeys(n for d in drawn for n in d[2]))
    options: dict[str, Any] = {
        "nodes": nodes,
        "lang": language,
        "color_by": _color_by(color_by or ("stage" if view == "jrc" else "flow_type")),
        "width": width,
        "height": height,
        "footnotes": footnotes,
        "link_labels": link_labels,
        "scale_bar": scale_bar,
    }
    title = _sankey_title(system.name, _SANKEY_VIEWS[view] or "jrc", language)
    start = time.perf_counter()
    if years is None:  # one year, as it fits the page (or at --scale)
        figs: dict[Any, Any] = {
            wanted[0]: build(drawn[0][0], scale=scale, title=f"{title} {wanted[0]}", **options)
        }
    else:
        tables: dict[Any, Any] = dict(zip(wanted, (d[0] for d in drawn), strict=True))
        figs = sankey_series(tables, scale=scale, title=title, **options)
    clash = [
        target
        for y in figs
        for fmt in formats
        if (target := out / f"sankey_{view}_{y}.{fmt}").exists()
    ]
    if clash and not force:  # checked for every year before any file is written
        raise OutputExistsError(
            f"{clash[0]} exists ({len(clash)} of the files to write); pass --force to replace "
            "them or choose another --out"
        )
    written = [
        item
        for y, fig in figs.items()
        for item in write_figure(
            fig, out / f"sankey_{view}_{y}", formats, scale=png_scale, overwrite=force
        )
    ]
    took = time.perf_counter() - start
    for item in written:
        typer.echo(f"wrote {item}")
    meta = next(iter(figs.values())).layout.meta["msa_sankey"]
    common = f"common scale for {', '.join(map(str, wanted))}: " if years is not None else "scale "
    scale_text = f"{meta['units_per_px']:.4g} {meta['units']} per px"
    typer.echo(f"{len(written)} file(s) in {took:.1f} s; {common}{scale_text}")


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

    view_name = _SANKEY_VIEWS[view]
    nodes: Any = None
    footnotes: tuple[str, ...] = ()
    if view_name is None:
        links = links_from_system(system, year, lang=_language(language))
    else:
        try:
            from msa import jrc_msa
        except ImportError as err:  # pragma: no cover - views ship with msa
            raise ConfigError(f"view {view!r} needs msa.jrc_msa, which is missing") from err
        placed = _process_nodes(path, view_name)
        if placed:  # a declared model placing its processes in the view's nodes
            made = jrc_msa.process_view(system, view_name, placed, year=year)
        else:
            made = getattr(jrc_msa, view_name)(system, year=year)
        links = pd.concat([made.links, jrc_msa.scope_gaps(made)], ignore_index=True)
        nodes, footnotes = made.nodes, tuple(made.footnotes_in(language))
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


def _sankey_title(name: str, view: str, lang: str) -> str:
    """Title of CLI Sankeys before the year, e.g. 'msa_example: JRC MSA chain,' (or Dutch)."""
    words = _VIEW_TITLES[view]["nl" if lang == "nl" else "en"]
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
    """Tabulate and plot the key indicators of several runs side by side."""
    from msa.model.run import compare_runs, write_comparison

    headline, targets = compare_runs(runs)
    typer.echo(headline.to_string(float_format=lambda v: f"{v:.4g}"))
    typer.echo("")
    typer.echo(targets.to_string())
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
    try:
        # without standalone mode click returns typer.Exit's code instead of raising it
        code = app(args=argv, prog_name="msa", standalone_mode=False)
    except MsaError as err:
        typer.echo("msa: error: " + " ".join(str(err).split()), err=True)  # one line
        return 2
    except ImportError as err:
        # a missing optional extra (plotly, kaleido, openpyxl ...): one line saying what to
        # install, not a traceback; any other import failure is a bug and propagates
        if not isinstance(err, ModuleNotFoundError) and not isinstance(
            err.__cause__, ModuleNotFoundError
        ):
            raise
        typer.echo("msa: error: " + " ".join(str(err).split()), err=True)
        return 2
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
        raise
    return code if isinstance(code, int) else 0


def entry() -> None:  # pragma: no cover - console script shim
    """Console-script entry point: run :func:`main` and exit with its code."""
    sys.exit(main())


_ = Path  # Path is used by the command sections below
