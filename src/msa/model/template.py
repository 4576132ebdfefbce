"""Start a new product-group model from a small, commented template that runs as it stands."""

from __future__ import annotations

import re
import shutil
from importlib.resources import as_file, files
from pathlib import Path

from msa.errors import ConfigError, OutputExistsError
from msa.system.staging import check_writable, staged_folder

__all__ = ["SHIPPED", "new_model", "shipped_model"]


def new_model(folder: str | Path, *, name: str | None = None) -> Path:
    """Write a small declared model into ``folder``: ``model.toml``, data tables, sources.

    The model (copper and aluminium in household appliances, illustrative values graded D)
    balances and runs with ``msa run`` as it stands; it shows every section of a model
    definition with comments, to be replaced by the new product group's own data.

    Parameters
    ----------
    folder : str or Path
        A folder that does not exist yet, or is empty.
    name : str, optional
        The model's name (letters, digits, ``_`` and ``-``); default the folder's name.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    msa.OutputExistsError
        If ``folder`` exists and is not empty (nothing is overwritten).
    msa.ConfigError
        If the name is not usable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = new_model(pathlib.Path(tempfile.mkdtemp()) / "copper_nl")
    >>> sorted(p.name for p in folder.iterdir())
    ['data', 'model.toml']
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputExistsError(f"{folder}: exists and is not empty; give a new folder")
    name = name or folder.resolve().name
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ConfigError(
            f"model name {name!r}: use letters, digits, '_' and '-' only (pass --name)"
        )
    check_writable(folder)
    with (
        as_file(files("msa").joinpath("data", "new_model")) as template,
        staged_folder(folder) as staged,
    ):  # the whole model appears at once, or nothing does
        shutil.copytree(template, staged, dirs_exist_ok=True)
        toml = staged / "model.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(text.replace('name = "new_model"', f'name = "{name}"', 1), "utf-8")
    return folder


#: The models that ship with msa, in the repository's ``models/`` folder.
SHIPPED = ("ev_batteries_nl", "pv_panels_nl", "nl_national", "msa_example")


def shipped_model(name: str) -> Path:
    """Return the folder of a model that ships with msa (``models/<name>`` of the repository).

    Looked for, in order: ``$MSA_MODELS/<name>``; the ``models/`` folder of the source
    checkout msa is installed from (an editable install, as ``scripts/setup.sh`` makes);
    ``./models/<name>`` and ``../models/<name>`` (a notebook in ``notebooks/``). A wheel
    installed from the package index holds no models: set ``MSA_MODELS`` to a copy of the
    repository's ``models/`` folder.

    Parameters
    ----------
    name : str
        One of ``"ev_batteries_nl"``, ``"pv_panels_nl"``, ``"nl_national"``, ``"msa_example"``.

    Returns
    -------
    Path
        The model folder (it holds ``model.toml``).

    Raises
    ------
    msa.ConfigError
        For an unknown name, or a model found nowhere (the places tried are named).

    Examples
    --------
    >>> (shipped_model("msa_example") / "model.toml").is_file()
    True
    """
    import os

    if name not in SHIPPED:
        raise ConfigError(f"no shipped model {name!r}; the shipped models are {list(SHIPPED)}")
    env = os.environ.get("MSA_MODELS")
    places = [Path(env)] if env else []
    places += [Path(__file__).resolve().parents[3] / "models", Path("models"), Path("../models")]
    for place in places:
        if (place / name / "model.toml").is_file():
            return (place / name).resolve()
    tried = ", ".join(str(p / name) for p in places)
    raise ConfigError(
        f"model {name!r} not found (tried {tried}): set MSA_MODELS to the models/ folder of a "
        "checkout of the msa repository"
    )
