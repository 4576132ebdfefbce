"""The exception and warning hierarchy of msa.

Every error the library raises on purpose is an :class:`MsaError`. Each specific error also
inherits the builtin it refines, so ``except ValueError`` keeps working for callers that do not
know msa. Messages name the item at fault (file, row, column, process, flow, year) and the fix.
The command-line interface turns any :class:`MsaError` into one line on stderr and exit code 2.
:mod:`msa.messages` holds the two helpers every message uses to show values and name cells.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DimensionError",
    "LifetimeError",
    "MassBalanceError",
    "MsaError",
    "ModelCodeError",
    "MsaWarning",
    "OutputError",
    "OutputExistsError",
    "ProvenanceError",
    "RenderError",
    "StockModelError",
]


class MsaError(Exception):
    """Base class of every error msa raises on purpose."""


class ModelCodeError(MsaError, RuntimeError):
    """A model's own code (``model.py``) raised an exception or tried to exit.

    The message names the file and line at fault; the original exception is the ``__cause__``
    (``msa --debug`` shows its traceback).
    """


class ConfigError(MsaError, ValueError):
    """A model configuration, scenario or option is invalid."""


class DataError(MsaError, ValueError):
    """Input data is malformed: bad file, row, column, value, unit or coordinate."""


class DimensionError(DataError):
    """A dimension, coordinate, classification or concordance is unknown or inconsistent."""


class ProvenanceError(DataError):
    """A value's source id or data-quality grade is missing or unknown."""


class MassBalanceError(MsaError, ArithmeticError):
    """A process does not balance within the tolerance.

    Attributes
    ----------
    offenders : list
        Every failing cell, worst first (:class:`msa.system.mass_balance.Offender` records), when
        raised by :func:`msa.check_balance`; empty otherwise.
    """

    offenders: list[object]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.offenders = []


class LifetimeError(MsaError, ValueError):
    """A lifetime distribution parameter is invalid."""


class StockModelError(MsaError, ArithmeticError):
    """A dynamic stock model cannot be solved (e.g. zero survival in the inflow year)."""


class RenderError(MsaError, RuntimeError):
    """A figure cannot be rendered or exported (e.g. no browser for static images)."""


class OutputError(MsaError, OSError):
    """An output cannot be written: a file in the way, a missing or read-only folder, full disk."""


class OutputExistsError(MsaError, FileExistsError):
    """An output path exists and overwriting was not requested."""


class MsaWarning(UserWarning):
    """Base class of the warnings msa emits."""
