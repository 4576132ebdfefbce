"""The example system shipped with msa: :func:`load_example`."""

from __future__ import annotations

import functools
import shutil
import tempfile
from importlib.resources import as_file, files
from pathlib import Path

from msa.system.core import System
from msa.system.tables import TABLES, read_tables

__all__ = ["load_example"]


@functools.cache
def _example() -> System:
    root = files("msa").joinpath("data", "example")
    if isinstance(root, Path):
        return read_tables(root)
    with tempfile.TemporaryDirectory() as tmp:  # pragma: no cover - zipped installs only
        for name in TABLES:
            item = root.joinpath(f"{name}.csv")
            if item.is_file():
                with as_file(item) as real:
                    shutil.copy(real, Path(tmp) / f"{name}.csv")
        return read_tables(Path(tmp) / ".", require_provenance=True)


def load_example() -> System:
    """Return a small balanced example system: the seven JRC MSA stages, two materials, 5 years.

    The processes are the JRC stages ``Exploration`` (stock: geological reserves),
    ``Extraction``, ``Processing``, ``Manufacture``, ``Use`` (stock: products in use),
    ``Collection`` and ``Recycling`` (stage = id, Dutch labels Exploratie ... Recycling), and the
    boundary processes ``Imports``, ``Exports``, ``Tailings``, ``Losses`` and ``Landfill``.
    Flows run over ``material`` (``Co``, ``Li``) and ``time`` (2019-2023) in tonnes, with a
    recycling loop back to Processing and Manufacture, imports and exports at four stages, and
    stock changes in Exploration (depletion) and Use (accumulation). Parameter
    ``lifetime_mean`` (years, by material) is included.

    The values are illustrative, not real statistics: every value points to the source
    ``example`` with grade D. The data are the CSV tables in ``msa/data/example/`` (read with
    :func:`msa.read_system`), so the example also shows the table layout of ``docs/tables.md``.

    Returns
    -------
    System
        A new copy each call; changing it does not change later calls.

    Examples
    --------
    >>> import msa
    >>> system = msa.load_example()
    >>> system
    <msa.System 'example' (time: 5, material: 2); 12 processes, 22 flows, 2 stocks, 1 parameters>
    >>> system.processes["Manufacture"].label("nl")
    'Fabricage'
    >>> msa.check_balance(system)
    """
    return _example().copy()
