"""Run a model folder into an output folder, atomically; compare runs side by side.

A model folder holds ``model.toml`` (a declared model: see :mod:`msa.model.definition` and
docs/model_definition.md), its data tables and sources. :func:`run_model` validates it, builds
one or more scenarios (:func:`msa.build_model`) and writes, per scenario:

- ``system.nc``: the full :class:`msa.System` (flows, stocks with cohorts, provenance);
- ``tables/*.csv``: the model's result tables;
- ``indicators.csv``, ``headline.csv``, ``quality.csv``: targets, key numbers, grades;
- ``figures/``: every figure (plotly: HTML + PNG + SVG; matplotlib: PNG + SVG);
- ``report.md`` and ``report.html``: the indicator report (self-contained HTML);
- ``manifest.json``: msa version, scenario, parameters and SHA-256 of every input file.

The output is written into a temporary folder beside the target and renamed into place at the
end, so a crash never leaves a half-written result.

What :func:`run_model` refuses, before it reads the model or writes anything (so the model
folder and any existing output stay byte-identical and no temporary folder is left):

- an output folder that is, contains or lies inside the model folder, with or without
  ``force`` (:class:`msa.ConfigError`; paths are compared resolved: symlinks, ``..``,
  relative and absolute);
- an output path that exists and is not a folder (:class:`msa.OutputExistsError`);
- an existing non-empty output folder without ``force`` (:class:`msa.OutputExistsError`);
- with ``force``, any non-empty output folder msa did not write: ``force`` replaces only an
  msa run folder (a ``manifest.json`` written by msa, beside nothing but the files listed
  above) or a folder whose every entry is such a run folder (the one-subfolder-per-scenario
  layout). The message names the folder and its first foreign entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
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

__all__ = [
    "ModelResult",
    "RunInfo",
    "compare_runs",
    "run_model",
    "write_comparison",
    "write_result",
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


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _overlap(out: Path, model: Path) -> str | None:
    """How ``out`` overlaps the model folder: ``"is"``, ``"inside"``, ``"contains"`` or None.

    Compares resolved paths (symlinks, ``..``, relative or absolute) and, for the parts that
    exist, the files themselves (a case-insensitive or bind-mounted path resolves elsewhere).
    """
    o, m = out.resolve(), model.resolve()
    if o == m or _same_file(o, m):
        return "is"
    if o.is_relative_to(m) or any(_same_file(p, m) for p in o.parents if p.exists()):
        return "inside"
    if m.is_relative_to(o) or (o.exists() and any(_same_file(p, o) for p in m.parents)):
        return "contains"
    return None


def refuse_overlap(out: Path, folder: Path, what: str, advice: str) -> None:
    """Refuse an output folder that is, lies inside or contains an input ``folder``.

    Raises
    ------
    ConfigError
        One line: ``output folder OUT is inside the <what> folder FOLDER: choose an output
        folder <advice>``.
    """
    how = _overlap(out, folder)
    if how is None:
        return
    shown = f"{out} ({out.resolve()})" if out.resolve() != out else str(out)
    where = {"is": "is", "inside": "is inside", "contains": "contains"}[how]
    raise ConfigError(
        f"output folder {shown} {where} the {what} folder {folder.resolve()}: choose an output "
        f"folder {advice}"
    )


def _is_msa_manifest(path: Path) -> bool:
    """Whether ``path`` is a ``manifest.json`` as :func:`write_result` writes it."""
    if not path.is_file() or path.is_symlink():
        return False
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and {"msa_version", "scenario", "inputs"} <= set(manifest)


def _foreign_in_run(folder: Path) -> str | None:
    """Return the first entry of run folder ``folder`` msa did not write, or None.

    A ``manifest.json`` msa did not write (not JSON, other keys) is foreign itself.
    """
    if not _is_msa_manifest(folder / _MANIFEST):
        return _MANIFEST
    return next((e.name for e in sorted(folder.iterdir()) if e.name not in _RUN_ENTRIES), None)


def _foreign_entry(folder: Path) -> str | None:
    """Return the first entry of a non-empty ``folder`` that stops ``force`` replacing it.

    None if ``folder`` is an msa run folder, or holds nothing but msa run folders (one per
    scenario); else the path (relative to ``folder``) of the first entry, in sorted order,
    msa did not write.
    """
    if (folder / _MANIFEST).exists():
        return _foreign_in_run(folder)
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not entry.is_dir() or not (entry / _MANIFEST).exists():
            return entry.name
        inner = _foreign_in_run(entry)
        if inner is not None:
            return f"{entry.name}/{inner}"
    return None


def _check_output(out: Path, *, force: bool, model: Path | None = None) -> None:
    """Refuse an output path ``run_model`` must not write to; see the module docstring.

    Raises
    ------
    ConfigError
        If ``out`` is, contains or lies inside the ``model`` folder.
    OutputExistsError
        If ``out`` is not a folder, or is a non-empty folder and ``force`` is False or it
        holds anything msa did not write as a run.
    """
    if model is not None:
        refuse_overlap(
            out,
            model,
            "model",
            "outside the model (msa never writes into or replaces a model folder)",
        )
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise OutputExistsError(
            f"output path {out} exists and is not a folder: remove it or choose another --out"
        )
    if not _is_nonempty_dir(out):
        return
    foreign = _foreign_entry(out)
    if foreign is not None:
        raise OutputExistsError(
            f"output folder {out} holds {foreign!r}, which msa did not write; --force "
            "replaces only an earlier msa run: choose another output folder or empty it"
        )
    if not force:
        raise OutputExistsError(
            f"output folder {out} exists and is not empty; pass --force to replace it"
        )


@contextlib.contextmanager
def _staging(out: Path, *, force: bool) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; move it to ``out`` if the block succeeds.

    ``out`` is checked again before it is replaced (it may have changed during the run):
    :func:`_check_output` decides, so ``force`` replaces only an msa run folder.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        _check_output(out, force=force)
        if _is_nonempty_dir(out):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            if out.exists():
                out.rmdir()
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


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

    Every refusal comes before any computation and writes nothing: the model folder and an
    existing ``out`` stay as they were, and no temporary folder is left beside ``out``.
    """
    out = Path(out)
    _check_output(out, force=force, model=_model_folder(model))
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

        try:
            for name, fig in plotly.items():
                self._pending[name] = submit_figure(
                    fig, folder / name, ("html", "png", "svg"), include_plotlyjs="directory"
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
    (folder / _MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), "utf-8")
    return folder


def _run_folders(paths: Sequence[str | Path]) -> list[Path]:
    """Expand folders holding scenario subfolders; check each is a run folder."""
    found: list[Path] = []
    for p in map(Path, paths):
        if (p / _MANIFEST).is_file():
            found.append(p)
            continue
        subs = sorted(d for d in p.iterdir() if (d / _MANIFEST).is_file()) if p.is_dir() else []
        if not subs:
            raise DataError(f"{p}: not a run folder (no {_MANIFEST}, nor subfolders with one)")
        found.extend(subs)
    return found


def compare_runs(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tabulate headline numbers and target results of several runs side by side.

    Parameters
    ----------
    paths : sequence of path
        Run folders (with ``manifest.json``) or folders of scenario subfolders.

    Returns
    -------
    (DataFrame, DataFrame)
        Headline numbers (rows: label, columns: run) and targets met (rows: target id,
        columns: run; values: the value and ``met``/``missed``).
    """
    folders = _run_folders(paths)
    heads, targets = {}, {}
    for f in folders:
        manifest = json.loads((f / _MANIFEST).read_text("utf-8"))
        label = manifest.get("scenario", f.name)
        if label in heads:
            label = f"{label} ({f})"
        head = pd.read_csv(f / "headline.csv", index_col=0)
        heads[label] = head["value"]
        ind = pd.read_csv(f / "indicators.csv").set_index("target_id")
        cells = [
            f"{v:.3g} {'met' if m else 'missed'}"
            for v, m in zip(ind["value"], ind["met"], strict=True)
        ]
        targets[label] = pd.Series(cells, index=ind.index)
    order = sorted(heads, key=lambda k: k != "baseline")  # baseline first, else as given
    heads = {k: heads[k] for k in order}
    targets = {k: targets[k] for k in order}
    headline = pd.DataFrame(heads)
    if "units" in head.columns:
        headline.insert(0, "units", head["units"])
    return headline, pd.DataFrame(targets)


def write_comparison(
    headline: pd.DataFrame,
    targets: pd.DataFrame,
    out: str | Path,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write the tables of :func:`compare_runs` and a plot of the headline numbers.

    The plot shows each headline number of each run relative to the first run (the first
    column, usually ``baseline``), so quantities of different units fit one chart.

    Returns
    -------
    list of Path
        ``compare_headline.csv``, ``compare_targets.csv``, ``compare_headline.png``/``.svg``.

    Raises
    ------
    OutputExistsError
        If a file exists and ``overwrite`` is False.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        out / "compare_headline.csv",
        out / "compare_targets.csv",
        out / "compare_headline.png",
        out / "compare_headline.svg",
    ]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{existing[0]} exists; pass --force to overwrite")
    headline.to_csv(paths[0])
    targets.to_csv(paths[1])
    values = headline.drop(columns=["units"], errors="ignore").astype(float)
    base = values.iloc[:, 0]
    rel = values.div(base.where(base != 0), axis=0)
    rel = rel.clip(lower=1e-3)  # log axis: show a zero as a tiny bar, not a gap
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(rel) + 1.5), layout="constrained")
    y = np.arange(len(rel))
    width = 0.8 / max(1, rel.shape[1])
    for i, col in enumerate(rel.columns):
        ratio = rel[col].fillna(1.0)
        ax.barh(y + i * width, ratio - 1.0, left=1.0, height=width, label=str(col))
    ax.set_yticks(y + 0.4 - width / 2, rel.index, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(f"relative to {values.columns[0]} (log scale)")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(paths[2], dpi=110)
    fig.savefig(paths[3])
    plt.close(fig)
    return paths
