"""The ``msa`` command line: check, views, indicators, sankey, run, compare.

:func:`main` runs it and returns the exit code; every :class:`msa.MsaError` becomes one
readable line on stderr and exit code 2, never a traceback.
"""

from msa.cli.commands import app, entry, main

__all__ = ["app", "entry", "main"]
