"""Run a model folder into an output folder, atomically; compare runs side by side.

A model folder holds ``model.toml`` (a declared model: see :mod:`msa.model.definition` and
docs/model_definition.md), its data tables and sources. :func:`run_model` validates it, builds
one or more scenarios (:func:`msa.build_model`) and writes, per scenario:

- ``system.nc``: the full :class:`msa.System` (flows, stocks with cohorts, provenance);
- ``tables/*.csv``: the model's result tables;
- ``indicators.csv``, ``headline.csv``, ``quality.csv``: targets, key numbers, grades;
- ``figures/``: every figure (plotly: HTML + PNG + SVG; matplotlib: PNG + SVG);
- ``report.md`` and ``report.html``: the indicator report (self-contained HTML);
- ``manifest.json``: msa version, scenario, parameters, SHA-256 of every input file, and
  ``files``: every file the run wrote (what ``--force`` may replace).

The output is written into a temporary folder beside the target (``.<out>.tmp-<pid>-<random>``),
synced to disk and renamed into place at the end (:func:`msa.system.staging.staged_folder`), so
a crash or a kill leaves the target absent, the previous complete output or the new complete
output, never a half-written one. A temporary folder an interrupted run left behind is named
(one warning line) and removed by the next run to the same place.

What :func:`run_model` refuses, before it reads the model or writes anything (so the model
folder and any existing output stay byte-identical and no temporary folder is left):

- an output folder that is, contains or lies inside the model folder, with or without
  ``force`` (:class:`msa.ConfigError`; paths are compared resolved: symlinks, ``..``,
  relative and absolute);
- an output path that exists and is not a folder (:class:`msa.OutputExistsError`), or that
  cannot be written: a file as a parent folder, a folder that is not writable
  (:class:`msa.OutputError`);
- an existing non-empty output folder without ``force`` (:class:`msa.OutputExistsError`);
- with ``force``, any non-empty output folder msa did not write: ``force`` replaces only an
  msa run folder (a ``manifest.json`` written by msa, beside nothing but the files it lists)
  or a folder whose every entry is such a run folder (the one-subfolder-per-scenario layout).
  The message names the folder and the entries msa did not write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from msa.errors import ConfigError, DataError, OutputExistsError, RenderError
from msa.model.build import build_model
from msa.model.definition import ModelDefinition, load_definition
from msa.model.outputs import model_result
from msa.model.report import report_html, report_markdown
from msa.model.result import ModelResult
from msa.system.staging import check_writable, refuse_overlap, remove_stale, staged_folder

__all__ = [
    "ModelResult",
    "RunInfo",
    "check_comparison_out",
    "compare_runs",
    "comparison_text",
    "run_model",
    "write_comparison",
    "write_result",
    "written_files",
]

log = logging.getLogger(__name__)
#: What :func:`run_model` calls as a run goes: ``progress(scenario, step)``.
Progress = Callable[[str, str], None]
#: The steps of one scenario, in order, as :func:`run_model` reports them to ``progress``.
STEPS: tuple[str, ...] = ("build", "outputs", "writing", "figures", "report")
_MANIFEST = "manifest.json"
# the entries write_result puts into a run folder: the only ones --force may replace
_RUN_ENTRIES = frozenset(
    {
        "system.nc",
        "tables",
        "indicators.csv",
        "headline.csv",
        "quality.csv",
        "figures",
        "report.md",
        "report.html",
        "uncertainty.csv",
        "adjustments.csv",  # msa reconcile (msa.model.reconciling)
        "tests.csv",
        _MANIFEST,
    }
)


def _is_nonempty_dir(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _model_folder(model: str | Path) -> Path | None:
    """Return the folder of a model given as its folder or its ``model.toml`` (None if absent)."""
    path = Path(model)
    if not path.exists():
        return None  # load_definition names the missing model.toml
    return path if path.is_dir() else path.parent


def _is_msa_manifest(path: Path) -> bool:
    """Whether ``path`` is a ``manifest.json`` as :func:`write_result` writes it."""
    if not path.is_file() or path.is_symlink():
        return False
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and {"msa_version", "scenario", "inputs"} <= set(manifest)


def _foreign_in_run(folder: Path) -> list[str]:
    """Return the entries of run folder ``folder`` msa did not write (sorted; empty if none).

    A ``manifest.json`` msa did not write (not JSON, other keys) is foreign itself. The files
    msa wrote are those the manifest lists (``files``); a manifest of an earlier version without
    that list vouches for the entries a run writes (:data:`_RUN_ENTRIES`).
    """
    if not _is_msa_manifest(folder / _MANIFEST):
        return [_MANIFEST]
    listed = json.loads((folder / _MANIFEST).read_text("utf-8")).get("files")
    if not isinstance(listed, list):
        return [e.name for e in sorted(folder.iterdir()) if e.name not in _RUN_ENTRIES]
    known = {_MANIFEST, *map(str, listed)}
    # files and links; a folder counts by what it holds (an empty one holds nothing of anyone's)
    entries = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_symlink() or not p.is_dir()
    )
    return [e for e in entries if e not in known]


def _foreign_entries(folder: Path) -> list[str]:
    """Return the entries of a non-empty ``folder`` that stop ``force`` replacing it.

    Empty if ``folder`` is an msa run folder, or holds nothing but msa run folders (one per
    scenario); else the paths (relative to ``folder``, sorted) msa did not write.
    """
    if (folder / _MANIFEST).exists():
        return _foreign_in_run(folder)
    foreign: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not entry.is_dir() or not (entry / _MANIFEST).exists():
            foreign.append(entry.name)
        else:
            foreign.extend(f"{entry.name}/{inner}" for inner in _foreign_in_run(entry))
    return foreign


def _named(entries: list[str], most: int = 3) -> str:
    """Return the first ``most`` entries quoted: ``'a', 'b', 'c' (and 2 more)``."""
    shown = ", ".join(repr(e) for e in entries[:most])
    return shown + (f" (and {len(entries) - most} more)" if len(entries) > most else "")


def _check_output(out: Path, *, force: bool, model: Path | None = None) -> None:
    """Refuse an output path ``run_model`` must not write to; see the module docstring.

    Raises
    ------
    ConfigError
        If ``out`` is, contains or lies inside the ``model`` folder.
    OutputExistsError
        If ``out`` is not a folder, or is a non-empty folder and ``force`` is False or it
        holds anything msa did not write as a run.
    OutputError
        If ``out`` cannot be written (a file in the way, a read-only folder).
    """
    if model is not None:
        refuse_overlap(
            out,
            model,
            "model",
            "outside the model (msa never writes into or replaces a model folder)",
        )
    check_writable(out)
    if not _is_nonempty_dir(out):
        return
    foreign = _foreign_entries(out)
    if foreign:
        raise OutputExistsError(
            f"output folder {out} holds {_named(foreign)}, which msa did not write; --force "
            "replaces only an earlier msa run: choose another output folder or empty it"
        )
    if not force:
        raise OutputExistsError(
            f"output folder {out} exists and is not empty; pass --force to replace it"
        )


def _staging(out: Path, *, force: bool) -> contextlib.AbstractContextManager[Path]:
    """Stage a run folder beside ``out`` (:func:`msa.system.staging.staged_folder`).

    ``out`` is checked again before it is replaced (it may have changed during the run):
    :func:`_check_output` decides, so ``force`` replaces only an msa run folder.
    """
    return staged_folder(out, check=functools.partial(_check_output, force=force))


def run_model(
    model: str | Path,
    out: str | Path,
    *,
    scenarios: Sequence[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    samples: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    sensitivity: Sequence[str] = (),
) -> list[Path]:
    """Run a model for one or more scenarios and write the results under ``out``.

    Parameters
    ----------
    model : str or Path
        The model folder (or its ``model.toml``).
    out : str or Path
        Output folder. One scenario writes into ``out`` itself; several (or ``all``) write
        one subfolder per scenario. It must lie outside the model folder: an ``out`` that is,
        contains or lies inside the model folder is refused (compared as resolved paths).
    scenarios : sequence of str, optional
        Scenario names; none means ``baseline``; ``["all"]`` means every scenario.
    force : bool
        Replace an existing non-empty ``out``, but only if msa wrote it: an msa run folder
        (``manifest.json`` written by msa) or a folder of such run folders, one per scenario.
        Without it, any existing non-empty folder is refused.
    progress : callable, optional
        Called as ``progress(scenario, step)`` as the run goes: first with step ``"queued"``
        once for every scenario to run (so the caller knows how many), then, per scenario,
        as each step begins (:data:`STEPS`: ``"build"``, ``"outputs"`` for a declared
        model, ``"writing"``, ``"figures"``, ``"report"``) and ``"done"`` when its folder is
        complete. msa prints nothing itself; the ``msa run`` command shows these. An error
        in a step propagates as without ``progress``. A Monte Carlo run adds the step
        ``"samples"`` after ``"build"``.
    samples : int, optional
        Also run a Monte Carlo of this many samples per scenario
        (:func:`msa.model.montecarlo.monte_carlo`): ``uncertainty.csv`` beside the outputs,
        P(met) and p5-p95 in ``indicators.csv``, the headline and the report, bands on the
        plots, the drawn parameters in ``tables/uncertainty_draws.csv``.
    seed : int, optional
        The Monte Carlo's seed (default 0), recorded in ``manifest.json``; the same seed gives
        the same numbers.
    workers : int, optional
        Build the Monte Carlo's chunks of samples on a local dask cluster of this many worker
        processes (one thread each), started for the run (:func:`msa.model.montecarlo.
        dask_client`; needs ``pip install 'msa[dask]'``). The numbers, and so
        ``uncertainty.csv``, are the same as without; ``manifest.json`` records the count.
    scheduler : str, optional
        Build them on the running dask cluster whose scheduler is at this address
        (``tcp://host:8786``) instead; its workers need the model folder at the same path.
    sensitivity : sequence of str
        With ``samples``: results to rank the drawn inputs for, ``QUANTITY[:MATERIAL][@YEAR]``
        (:func:`msa.model.sensitivity.with_sensitivity`: a tornado figure and a report note
        each); every target is ranked anyway, in ``tables/sensitivity.csv``.

    Returns
    -------
    list of Path
        The folder of each scenario's results.

    Raises
    ------
    ConfigError
        If ``out`` is, contains or lies inside the model folder (with or without ``force``);
        a bad ``samples`` or ``seed``, a ``seed`` without ``samples``, samples of an
        MSA-table model; ``workers`` or ``scheduler`` without ``samples``, both at once,
        ``workers`` < 1, dask.distributed not installed, a scheduler that does not answer
        within 5 s; ``sensitivity`` without ``samples`` or naming a result the model lacks.
    OutputExistsError
        If ``out`` is not a folder; or is non-empty and ``force`` is False; or is non-empty
        and holds anything msa did not write as a run (even with ``force``).
    OutputError
        If ``out`` cannot be written (a file as a parent, a folder that is not writable),
        before any work; or writing fails (a full disk), the previous output left as it was.

    Every refusal comes before any computation and writes nothing: the model folder and an
    existing ``out`` stay as they were, and no temporary folder is left beside ``out``.
    """
    out = Path(out)
    _check_output(out, force=force, model=_model_folder(model))
    if remove_stale(out.resolve().parent, out.resolve().name):  # an interrupted run's, named
        _check_output(out, force=force)  # a previous output put back counts as existing
    sampling = _sampling(samples, seed, workers=workers, scheduler=scheduler)
    if sensitivity and not sampling:
        raise ConfigError("--sensitivity needs --samples (it ranks the Monte Carlo's inputs)")
    report = progress or _no_progress
    with contextlib.ExitStack() as cluster:  # a dask cluster, if asked, lives for the run
        compute, names = _scenario_runner(
            model, scenarios, report, sampling, cluster, sensitivity=tuple(sensitivity)
        )
        _start_image_server()
        nested = len(names) > 1 or bool(scenarios and "all" in scenarios)
        for name in names:
            report(name, "queued")
        # stage beside the real folder: a symlinked --out is written through, not replaced
        with _staging(out.resolve(), force=force) as tmp:
            for name in names:
                start = time.perf_counter()
                result, info = compute(name)
                target = tmp / name if nested else tmp
                _write_result(result, target, info, functools.partial(report, name))
                report(name, "done")
                log.info("scenario %s done in %.1f s", name, time.perf_counter() - start)
    return [out / n for n in names] if nested else [out]


def _start_image_server() -> None:
    """Start chromium in the background now, so it is ready when the figures are written.

    Without the plot extra or chromium nothing starts; writing the figures then says why.
    """
    try:
        from msa.figures.export import start_image_server

        start_image_server()
    except (ImportError, RenderError):
        pass


def _no_progress(scenario: str, step: str) -> None:
    """Ignore the progress of a run nobody watches."""


def _sampling(
    samples: int | None,
    seed: int | None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict[str, int | str]:
    """Return a Monte Carlo's ``samples``, ``seed`` and where it runs, checked.

    Empty: no Monte Carlo. ``workers`` or ``scheduler`` appear only when given.
    """
    from msa.model.montecarlo import check_count

    if samples is None:
        for name, given in (("--seed", seed), ("--workers", workers), ("--scheduler", scheduler)):
            if given is not None:
                raise ConfigError(f"{name} needs --samples (the number of Monte Carlo samples)")
        return {}
    count, drawn_from = check_count(samples, 0 if seed is None else seed)
    sampling: dict[str, int | str] = {"samples": count, "seed": drawn_from}
    if workers is not None and scheduler is not None:
        raise ConfigError(
            "--workers and --scheduler exclude each other: --workers K starts a local dask "
            "cluster for the run, --scheduler ADDRESS uses a running one"
        )
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers must be a whole number >= 1 (got {workers!r})")
        sampling["workers"] = workers
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ConfigError(
                f"scheduler must be an address such as tcp://host:8786 (got {scheduler!r})"
            )
        sampling["scheduler"] = scheduler.strip()
    return sampling


def _scenario_runner(
    model: str | Path,
    scenarios: Sequence[str] | None,
    progress: Progress = _no_progress,
    sampling: Mapping[str, int | str] | None = None,
    cluster: contextlib.ExitStack | None = None,
    *,
    sensitivity: tuple[str, ...] = (),
) -> tuple[Callable[[str], tuple[ModelResult, RunInfo]], list[str]]:
    """Return a function that builds one scenario of ``model``, and the scenarios to run.

    ``model`` is a declared model (``[processes]`` and ``[flows]``, or ``[msa]``); anything
    else is refused by :func:`load_definition`. With ``sampling`` (``samples``, ``seed`` and
    maybe ``workers`` or ``scheduler``: :func:`_sampling`) each scenario also runs a Monte
    Carlo; a dask client for it is opened once, here, and closed with ``cluster``.
    """
    from msa.model.build import read_inputs
    from msa.model.montecarlo import dask_client, monte_carlo, with_uncertainty
    from msa.model.sensitivity import check_targets, with_sensitivity

    definition = load_definition(model)
    sampling = dict(sampling or {})
    if sampling and definition.msa is not None:
        raise ConfigError(
            f"{definition.path}: an MSA-table model ([msa]) has no parameters or tables to "
            "draw; --samples runs declared models"
        )
    check_targets(definition, sensitivity)
    client = None
    workers, scheduler = sampling.get("workers"), sampling.get("scheduler")
    if workers is not None or scheduler is not None:
        if cluster is None:
            raise ValueError("a dask client needs the ExitStack that closes it (cluster)")
        client = cluster.enter_context(
            dask_client(
                workers=None if workers is None else int(workers),
                scheduler=None if scheduler is None else str(scheduler),
            )
        )

    def declared(name: str) -> tuple[ModelResult, RunInfo]:
        progress(name, "build")
        built = build_model(definition, name)
        run = None
        if sampling:
            progress(name, "samples")
            run = monte_carlo(
                definition,
                name,
                samples=int(sampling["samples"]),
                seed=int(sampling["seed"]),
                client=client,
            )
        progress(name, "outputs")
        result = model_result(built, bands=run.table if run is not None else None)
        info = RunInfo.of_definition(definition, name, built.parameters)
        if run is None:
            return result, info
        result = with_sensitivity(
            with_uncertainty(result, run), run, read_inputs(definition, name), sensitivity
        )
        return result, dataclasses.replace(info, monte_carlo=sampling)

    return declared, definition.scenario_names(list(scenarios or []))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _FigureWriter:
    """Write a result's figures into a folder: plotly images render while the caller goes on.

    Made, it checks every figure and starts each plotly figure (HTML written, PNG and SVG
    queued on the image server); :meth:`finish` draws the matplotlib figures (PNG, SVG) here,
    meanwhile, then waits for the images and moves them into place.
    """

    def __init__(self, figures: Mapping[str, Any], folder: Path) -> None:
        for name, fig in figures.items():
            if not (hasattr(fig, "savefig") or hasattr(fig, "to_plotly_json")):
                raise DataError(f"figure {name!r}: not a plotly or matplotlib figure ({type(fig)})")
        self._figures, self._folder = figures, folder
        self._pending: dict[str, Any] = {}
        plotly = {n: f for n, f in figures.items() if not hasattr(f, "savefig")}
        if not plotly:
            return
        from msa.figures.export import submit_figure
        from msa.figures.plots import png_scale

        try:
            for name, fig in plotly.items():
                self._pending[name] = submit_figure(
                    fig,
                    folder / name,
                    ("html", "png", "svg"),
                    include_plotlyjs="directory",
                    scale=png_scale(fig),  # a plot's print preset (300 dpi), else 2
                )
        except BaseException:
            self.discard()
            raise

    def finish(self) -> dict[str, list[Path]]:
        """Write the rest; return the files of every figure, in the figures' order."""
        written = {
            name: _write_matplotlib(fig, self._folder / name)
            for name, fig in self._figures.items()
            if name not in self._pending
        }
        for name in list(self._pending):
            written[name] = self._pending.pop(name).result()
        return {name: written[name] for name in self._figures}

    def discard(self) -> None:
        """Drop the figures not yet in place (their temporary files)."""
        for unfinished in self._pending.values():
            unfinished.discard()
        self._pending.clear()


def _write_matplotlib(fig: Any, stem: Path) -> list[Path]:
    """Write a matplotlib figure as PNG and SVG, laid out once (the SVG's layout)."""
    import matplotlib.pyplot as plt

    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    try:
        fig.savefig(svg)
        if fig.get_layout_engine() is not None:
            # keep the layout the SVG was drawn with: no second constrained/tight layout
            with contextlib.suppress(RuntimeError):
                fig.set_layout_engine("none")
        fig.savefig(png, dpi=110)
    finally:
        plt.close(fig)
    return [png, svg]


@dataclass(frozen=True)
class RunInfo:
    """What the manifest and report say about a run: model, scenario and inputs.

    Attributes
    ----------
    model, title : str
        The model's name and title.
    scenario, description : str
        The scenario run and what it assumes.
    parameters : mapping
        The parameter values of the scenario.
    folder : Path
        The model folder; ``inputs`` are files in it.
    inputs : sequence of Path
        Every input file, hashed (SHA-256) into the manifest.
    monte_carlo : mapping
        ``samples`` and ``seed`` of a Monte Carlo run (empty without one), and ``workers``
        or ``scheduler`` when it ran on dask (the numbers are the same).
    """

    model: str
    title: str
    scenario: str
    description: str
    parameters: Mapping[str, Any]
    folder: Path
    inputs: Sequence[Path]
    monte_carlo: Mapping[str, int | str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of_definition(
        cls, d: ModelDefinition, scenario: str, parameters: Mapping[str, Any]
    ) -> RunInfo:
        """Describe a run of a declared model."""
        return cls(
            model=d.name,
            title=d.title,
            scenario=scenario,
            description=d.scenario(scenario).description,
            parameters=dict(parameters),
            folder=d.folder,
            inputs=d.input_files(scenario),
        )


def write_result(result: ModelResult, folder: str | Path, *, info: RunInfo) -> Path:
    """Write one scenario's :class:`ModelResult` into ``folder`` (created; must be new).

    See the module docstring for the files written; ``info`` describes the run
    (:meth:`RunInfo.of_definition`).
    """
    return _write_result(result, Path(folder), info, lambda step: None)


def _write_result(
    result: ModelResult, folder: Path, info: RunInfo, step: Callable[[str], None]
) -> Path:
    """Write ``result`` as :func:`write_result` does, calling ``step`` as each step begins."""
    step("writing")
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise OutputExistsError(f"{folder} is not empty")
    figures = folder / "figures"
    figures.mkdir()
    drawing = _FigureWriter(result.figures, figures)  # images render while tables are written
    try:
        result.system.to_netcdf(str(folder / "system.nc"))
        tables = folder / "tables"
        tables.mkdir()
        for name, frame in result.tables.items():
            frame.to_csv(tables / f"{name}.csv", index=frame.index.name is not None)
        result.indicators.to_csv(folder / "indicators.csv", index=False)
        result.headline.to_csv(folder / "headline.csv")
        result.quality.to_csv(folder / "quality.csv")
        if result.uncertainty is not None:
            result.uncertainty.to_csv(folder / "uncertainty.csv", index=False)
        step("figures")
        written = {
            name: [str(p.relative_to(folder)) for p in paths]
            for name, paths in drawing.finish().items()
        }
    finally:
        drawing.discard()
    step("report")
    title = f"{info.title}: scenario {info.scenario}"
    images = [f"figures/{n}.png" for n in result.report_figures]
    md = report_markdown(
        result.indicators,
        title=title,
        quality=result.quality,
        headline=result.headline,
        notes=result.notes,
        images=images,
        sections=result.sections,
    )
    (folder / "report.md").write_text(md, encoding="utf-8")
    page = report_html(
        result.indicators,
        title=title,
        quality=result.quality,
        headline=result.headline,
        notes=result.notes,
        images=[folder / i for i in images],
        sections=result.sections,
    )
    (folder / "report.html").write_text(page, encoding="utf-8")
    from msa.system.provenance import msa_version

    manifest = {
        "msa_version": msa_version(),
        "model": info.model,
        "scenario": info.scenario,
        "description": info.description,
        "parameters": dict(info.parameters),
        "inputs": {str(p.relative_to(info.folder)): _sha256(p) for p in info.inputs},
        "figures": written,
    }
    if info.monte_carlo:
        manifest["monte_carlo"] = dict(info.monte_carlo)
    manifest["files"] = written_files(folder)
    (folder / _MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), "utf-8")
    return folder


def written_files(folder: Path) -> list[str]:
    """Return every file under ``folder`` as a sorted relative POSIX path: a manifest's ``files``.

    ``--force`` replaces a run folder only if it holds nothing but these and the manifest.
    """
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _run_folders(paths: Sequence[str | Path]) -> list[Path]:
    """Expand folders holding scenario subfolders; check each is a run folder."""
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise DataError(f"{p}: no such folder")
        if (p / _MANIFEST).is_file():
            found.append(p)
            continue
        subs = sorted(d for d in p.iterdir() if (d / _MANIFEST).is_file()) if p.is_dir() else []
        if not subs:
            raise DataError(f"{p}: not a run folder (no {_MANIFEST}, nor subfolders with one)")
        found.extend(subs)
    return found


@dataclass(frozen=True)
class _Run:
    """One run folder as :func:`compare_runs` reads it, checked."""

    folder: Path
    model: str
    scenario: str
    headline: pd.DataFrame  # index label; value (float), units (str)
    targets: pd.DataFrame  # index target_id; value (float), met (bool), units (str)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / _MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}: not valid JSON ({err.msg}, line {err.lineno}); the run folder is damaged: "
            "run the model again"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("scenario"), str):
        raise DataError(f"{path}: not a manifest msa wrote (no 'scenario'); not a run folder")
    return manifest


def _read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read a run's CSV table as text, with ``columns`` required."""
    if not path.is_file():
        raise DataError(f"{path}: missing; a run folder holds it (run the model again)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(
            f"{path}: not a readable CSV table ({' '.join(str(err).split())})"
        ) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: no column {missing[0]!r} (columns: {list(frame.columns)}); a run writes "
            f"{list(columns)}"
        )
    key = frame[columns[0]]
    repeated = key[key.duplicated()]
    if not repeated.empty:
        raise DataError(
            f"{path}: row {int(repeated.index[0]) + 2}, column {columns[0]!r}: "
            f"{repeated.iloc[0]!r} appears twice"
        )
    return frame.set_index(columns[0])


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """Return ``column`` as floats (empty or ``nan``: NaN); text names its row."""
    values = pd.to_numeric(frame[column].str.strip().replace("", "nan"), errors="coerce")
    bad = values.isna() & ~frame[column].str.strip().str.lower().isin(["", "nan"])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(
            f"{path}: row {row + 2}, column {column!r}: {frame[column].iloc[row]!r} is not a number"
        )
    return values.astype(float)


def _read_run(folder: Path) -> _Run:
    """Read and check one run folder: manifest, headline.csv, indicators.csv."""
    manifest = _read_manifest(folder)
    head = _read_table(folder / "headline.csv", ["label", "value"])
    headline = pd.DataFrame(
        {
            "value": _numbers(head, "value", folder / "headline.csv"),
            "units": head["units"].str.strip() if "units" in head else "",
        }
    )
    path = folder / "indicators.csv"
    ind = _read_table(path, ["target_id", "value", "met"])
    met = ind["met"].str.strip()
    bad = ~met.isin(["True", "False"])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(
            f"{path}: row {row + 2}, column 'met': {met.iloc[row]!r} is not True or False"
        )
    targets = pd.DataFrame(
        {
            "value": _numbers(ind, "value", path),
            "met": met == "True",
            "units": ind["units"].str.strip() if "units" in ind else "",
        }
    )
    model = str(manifest.get("model") or manifest.get("command") or "")
    return _Run(folder, model, manifest["scenario"], headline, targets)


def _shared(
    runs: Sequence[_Run], labels: dict[str, _Run], what: str, table: str, *, required: bool
) -> tuple[list[str], list[str]]:
    """Return the rows of ``table`` every run has (in the first run's order) and the others.

    Raises :class:`DataError` if a shared row's units differ between runs, or if none is
    shared and ``required``.
    """
    frames = [getattr(r, table) for r in runs]
    shared = [k for k in frames[0].index if all(k in f.index for f in frames[1:])]
    every = list(dict.fromkeys(k for f in frames for k in f.index))
    left_out = [k for k in every if k not in shared]
    for key in shared:
        units = {label: str(getattr(r, table).loc[key, "units"]) for label, r in labels.items()}
        if len(set(units.values())) > 1:
            shown = ", ".join(f"{u!r} in {label}" for label, u in units.items())
            raise DataError(
                f"{what} {key!r} is in different units in the runs compared ({shown}); "
                "compare runs whose units agree"
            )
    if required and every and not shared:
        models = ", ".join(f"{label} (model {r.model or '?'})" for label, r in labels.items())
        raise DataError(
            f"the runs compared share no {what}: {models}; compare runs of the same model"
        )
    return shared, left_out


def _labels(runs: Sequence[_Run]) -> dict[str, _Run]:
    """Name each run by its scenario (and model, folder where needed), baseline first."""
    several = len({r.model for r in runs}) > 1
    labels: dict[str, _Run] = {}
    for run in sorted(runs, key=lambda r: r.scenario != "baseline"):
        label = f"{run.model}: {run.scenario}" if several else run.scenario
        labels[label if label not in labels else f"{label} ({run.folder})"] = run
    return labels


def compare_runs(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tabulate headline numbers and target results of several runs side by side.

    Every run folder is read and checked first (its ``manifest.json``, ``headline.csv`` and
    ``indicators.csv``: readable, the columns a run writes, numbers where numbers belong), so
    a damaged folder is named in one line before anything is compared or written. Runs of
    different models are compared on the headline numbers and targets they share; what is
    left out is listed in ``attrs["notes"]`` of the headline table.

    Parameters
    ----------
    paths : sequence of path
        Run folders (with ``manifest.json``) or folders of scenario subfolders.

    Returns
    -------
    (DataFrame, DataFrame)
        Headline numbers (rows: label; columns: ``units``, then one per run, baseline first)
        and targets met (rows: target id, columns: run; values: the value and
        ``met``/``missed``). A run is named by its scenario, by ``model: scenario`` when the
        runs are of different models, and with its folder when two names coincide.

    Raises
    ------
    DataError
        Naming the folder, file, row and column at fault: a path that is not a run folder, a
        manifest that is not JSON, a missing table or column, text where a number belongs;
        a headline number or target in different units in two runs; runs sharing no headline
        number.
    """
    runs = [_read_run(f) for f in _run_folders(paths)]
    labels = _labels(runs)
    shared, left_out = _shared(runs, labels, "headline number", "headline", required=True)
    shared_targets, left_targets = _shared(runs, labels, "target", "targets", required=False)
    first = next(iter(labels.values()))
    headline = pd.DataFrame({"units": first.headline.loc[shared, "units"]})
    for label, run in labels.items():
        headline[label] = run.headline.loc[shared, "value"]
    headline.index.name = "label"
    cells = {label: _target_cells(run.targets.loc[shared_targets]) for label, run in labels.items()}
    targets = pd.DataFrame(cells, index=pd.Index(shared_targets, name="target_id"))
    notes = []
    if len({r.model for r in runs}) > 1:
        notes.append(
            "runs of different models (" + ", ".join(sorted({r.model for r in runs})) + "): "
            "only what they share is compared"
        )
    if left_out:
        notes.append(f"headline numbers not in every run, left out: {_named(left_out, 8)}")
    if left_targets:
        notes.append(f"targets not in every run, left out: {_named(left_targets, 8)}")
    headline.attrs["notes"] = notes
    return headline, targets


def _target_cells(targets: pd.DataFrame) -> list[str]:
    """Return ``"<value> met"`` or ``"<value> missed"`` for each target."""
    rows = targets[["value", "met", "units"]].itertuples(index=False)
    return [f"{_shown(v, u)} {'met' if m else 'missed'}" for v, m, u in rows]


def _shown(value: float, units: str) -> str:
    """Show a number as compare does: thousands grouped, 4 significant digits, its units."""
    from msa.figures.labels import format_value

    if value != value:
        return "n/a"
    return format_value(float(value), "" if units in ("", "1") else units, digits=4)


def comparison_text(headline: pd.DataFrame, targets: pd.DataFrame) -> str:
    """Return the tables of :func:`compare_runs` as ``msa compare`` prints them.

    Numbers are grouped by thousands with their units (``474,100 t``, never ``4.741e+05``);
    the notes of ``headline.attrs["notes"]`` (what was left out) follow.
    """
    runs = [c for c in headline.columns if c != "units"]
    units = headline["units"] if "units" in headline else pd.Series("", index=headline.index)
    shown = pd.DataFrame(
        {c: [_shown(v, str(u)) for v, u in zip(headline[c], units, strict=True)] for c in runs},
        index=headline.index,
    )
    parts = [shown.to_string(), "", targets.to_string() if not targets.empty else "(no targets)"]
    parts += [f"note: {n}" for n in headline.attrs.get("notes", [])]
    return "\n".join(parts)


#: The files :func:`write_comparison` writes.
COMPARISON_FILES = (
    "compare_headline.csv",
    "compare_targets.csv",
    "compare_headline.png",
    "compare_headline.svg",
)


def check_comparison_out(
    out: str | Path, runs: Sequence[str | Path], *, overwrite: bool = False
) -> None:
    """Refuse an ``msa compare --out`` folder before anything is written.

    Raises
    ------
    ConfigError
        If ``out`` is or lies inside a run folder compared (it may hold them: the comparison
        adds its files beside them).
    OutputExistsError
        If ``out`` is a file, or a comparison file exists there and ``overwrite`` is False.
    OutputError
        If ``out`` cannot be written.
    """
    out = Path(out)
    for run in map(Path, runs):
        refuse_overlap(
            out,
            run,
            "run",
            "outside the runs compared (msa never writes into a run)",
            replaces=False,
        )
    check_writable(out)
    clash = [out / n for n in COMPARISON_FILES if (out / n).exists()]
    if clash and not overwrite:
        raise OutputExistsError(
            f"{clash[0]} exists ({len(clash)} of the files to write); use --force to replace "
            "them or choose another --out"
        )


def write_comparison(
    headline: pd.DataFrame,
    targets: pd.DataFrame,
    out: str | Path,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write the tables of :func:`compare_runs` and a plot of the headline numbers.

    The plot shows each headline number of each run relative to the first run (the first
    column, usually ``baseline``), so quantities of different units fit one chart. The files
    are staged and moved into ``out`` together at the end
    (:func:`msa.system.staging.staged_files`): a failure leaves ``out`` as it was.

    Returns
    -------
    list of Path
        ``compare_headline.csv``, ``compare_targets.csv``, ``compare_headline.png``/``.svg``.

    Raises
    ------
    OutputExistsError
        If a file exists and ``overwrite`` is False.
    OutputError
        If ``out`` cannot be written.
    """
    from msa.system.staging import staged_files

    out = Path(out)
    with staged_files(out, COMPARISON_FILES, force=overwrite) as tmp:
        paths = [tmp / n for n in COMPARISON_FILES]
        headline.to_csv(paths[0])
        targets.to_csv(paths[1])
        _comparison_plot(headline, paths[2], paths[3])
    return [out / n for n in COMPARISON_FILES]


def _comparison_plot(headline: pd.DataFrame, png: Path, svg: Path) -> None:
    """Plot each headline number of each run as its ratio to the first run, as PNG and SVG.

    :func:`msa.figures.plots.comparison`: every run a marker in each row (the baseline a
    black diamond at 1), each row labelled with its baseline value and unit; written through
    the image server of every msa figure (:func:`msa.figures.export.submit_figure`).
    """
    from msa.figures.export import submit_figure
    from msa.figures.plots import comparison, png_scale

    fig = comparison(headline)
    pending = [
        submit_figure(fig, path, path.suffix[1:], overwrite=True, scale=png_scale(fig))
        for path in (png, svg)
    ]
    try:
        for image in pending:
            image.result()
    finally:
        for image in pending:  # after a failure: no temporary file of the other image left
            image.discard()
