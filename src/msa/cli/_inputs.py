"""What ``msa check``, ``views``, ``indicators`` and ``sankey`` work on: PATH to a System.

:func:`resolve` accepts

- a model folder (or its ``model.toml``) of each kind: a declared model (``[processes]`` and
  ``[flows]``; built by msa, the baseline or ``--scenario``) and an MSA-table model
  (``[msa]``, built by msa as ``msa run`` builds it; or a folder holding ``msa.csv`` without
  ``model.toml``, read with :func:`msa.read_msa_model`); a ``model.toml`` declaring neither
  is refused as :func:`msa.load_definition` refuses it (one line naming the file);
- a run output folder (``manifest.json`` and ``system.nc``), or a folder of such runs, one
  per scenario (``--scenario`` picks one; one run alone is taken);
- a NetCDF file, a folder of CSV tables or an ``.xlsx`` workbook (:func:`msa.read_system`).

Anything else is one :class:`msa.MsaError` line saying what PATH is not and what is expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msa.cli._progress import busy
from msa.errors import ConfigError, DataError

if TYPE_CHECKING:
    from msa.system.core import System

_MANIFEST = "manifest.json"
#: The files that make a folder a folder of tables (docs/tables.md); sources.csv alone does not.
_TABLES = ("processes", "flows", "stocks", "parameters", "system", "dims")
_EXPECTED = (
    "expected a model folder (model.toml), a run output (manifest.json, system.nc), a folder "
    "of tables (processes.csv, flows.csv, sources.csv; see docs/tables.md) or a NetCDF file"
)


@dataclass(frozen=True)
class Resolved:
    """The System PATH gave, and what PATH was.

    Attributes
    ----------
    system : System
    kind : str
        ``"declared model"``, ``"MSA-table model"``, ``"run output"``, ``"NetCDF file"``,
        ``"folder of tables"`` or ``"workbook"``.
    scenario : str or None
        The scenario built, run or read, where PATH has scenarios.
    """

    system: System
    kind: str
    scenario: str | None = None

    @property
    def what(self) -> str:
        """E.g. ``"declared model, scenario 'baseline'"``."""
        return self.kind + (f", scenario {self.scenario!r}" if self.scenario else "")


def resolve(path: Path, *, scenario: str | None = None) -> Resolved:
    """Return the System at ``path`` (see the module docstring).

    Raises
    ------
    DataError
        If ``path`` does not exist, is of no kind above, or its data are malformed.
    ConfigError
        On a bad ``model.toml`` (one declaring neither ``[processes]`` and ``[flows]`` nor
        ``[msa]`` too), an unknown scenario, ``--scenario`` where PATH has none, or a folder
        of several runs without ``--scenario``.
    """
    if scenario is not None and (not scenario or scenario == "all"):
        raise ConfigError(f"--scenario {scenario!r}: these commands work on one scenario; name it")
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_file() and path.name in ("model.toml", _MANIFEST):
        path = path.parent
    if path.is_dir():
        if (path / "model.toml").is_file():
            return _model(path, scenario)
        if (path / "msa.csv").is_file():
            return _msa_model(path, scenario)
        if (path / _MANIFEST).is_file():
            return _run(path, scenario)
        runs = _scenario_runs(path)
        if runs:
            return _pick_run(path, runs, scenario)
        if any(_has_table(path, name) for name in _TABLES):
            return _read(path, "folder of tables", scenario)
        raise DataError(
            f"{path} is not a model folder, a run output or a folder of tables: {_EXPECTED}"
        )
    kind = "workbook" if path.suffix.lower() in (".xlsx", ".xlsm") else "NetCDF file"
    return _read(path, kind, scenario)


def _has_table(folder: Path, name: str) -> bool:
    return (folder / f"{name}.csv").is_file()


def _no_scenarios(path: Path, kind: str, scenario: str | None) -> None:
    """Refuse ``--scenario`` for a PATH that has no scenarios."""
    if scenario is not None:
        raise ConfigError(
            f"{path} is {_article(kind)} {kind}, which has no scenarios; drop --scenario "
            f"{scenario!r} (it picks the scenario of a declared model, or of a folder of "
            "scenario runs)"
        )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("MSA") else "a"


def _read(path: Path, kind: str, scenario: str | None) -> Resolved:
    from msa.system.io import read_system

    _no_scenarios(path, kind, scenario)
    return Resolved(read_system(path), kind)


# ----------------------------------------------------------------------------- models
def _model(folder: Path, scenario: str | None) -> Resolved:
    """Build the model of a folder with ``model.toml``, by its kind.

    Anything but an MSA-table model goes to :func:`_declared`, whose
    :func:`~msa.model.definition.load_definition` refuses a ``model.toml`` declaring neither
    ``[processes]`` and ``[flows]`` nor ``[msa]`` in one line.
    """
    from msa.model.definition import read_toml

    raw = read_toml(folder / "model.toml")
    if "msa" in raw or raw.get("kind") == "msa":  # the old format: load_definition says so
        return _msa_model(folder, scenario)
    return _declared(folder, scenario)


def _msa_model(folder: Path, scenario: str | None) -> Resolved:
    """Build an MSA-table model as ``msa run`` does, or read a bare ``msa.csv`` folder."""
    _no_scenarios(folder, "MSA-table model", scenario)
    if not (folder / "model.toml").is_file():
        from msa.jrc_msa.template import read_msa_model

        with busy(f"reading {folder}"):
            return Resolved(read_msa_model(folder).system, "MSA-table model")
    from msa.model.build import build_model
    from msa.model.definition import load_definition

    definition = load_definition(folder)
    with busy(f"building {definition.name}"):
        return Resolved(build_model(definition).system, "MSA-table model")


def _declared(folder: Path, scenario: str | None) -> Resolved:
    from msa.model.build import build_model
    from msa.model.definition import load_definition

    definition = load_definition(folder)
    name = scenario or "baseline"
    _known(definition.path, name, definition.scenario_names(["all"]))
    with busy(f"building {definition.name} (scenario {name})"):
        built = build_model(definition, name)
    return Resolved(built.system, "declared model", name)


def _known(toml: Path, name: str, known: list[str]) -> None:
    """Refuse a scenario the model does not declare, naming those it does."""
    if name not in known:
        raise ConfigError(f"{toml}: unknown scenario {name!r}; known: {', '.join(known)}")


# ----------------------------------------------------------------------------- runs
def _manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _scenario_of(folder: Path) -> str:
    return str(_manifest(folder).get("scenario") or folder.name)


def _run(folder: Path, scenario: str | None) -> Resolved:
    """One run output: its ``system.nc``."""
    from msa.system.io import read_system

    ran = _scenario_of(folder)
    if scenario is not None and scenario != ran:
        raise ConfigError(f"{folder} is the run of scenario {ran!r}, not {scenario!r}")
    nc = folder / "system.nc"
    if not nc.is_file():
        raise DataError(f"{folder} is a run output without system.nc; run the model again")
    return Resolved(read_system(nc), "run output", ran)


def _scenario_runs(folder: Path) -> dict[str, Path]:
    """Return the run folders inside ``folder`` (one per scenario), by scenario name."""
    subs = sorted(d for d in folder.iterdir() if d.is_dir() and (d / _MANIFEST).is_file())
    return {_scenario_of(d): d for d in subs}


def _pick_run(folder: Path, runs: dict[str, Path], scenario: str | None) -> Resolved:
    names = ", ".join(runs)
    if scenario is None:
        if len(runs) > 1:
            raise ConfigError(f"{folder} holds the runs of scenarios {names}; pass --scenario")
        scenario = next(iter(runs))
    if scenario not in runs:
        raise ConfigError(f"{folder} holds no run of scenario {scenario!r}; it holds {names}")
    return _run(runs[scenario], scenario)
