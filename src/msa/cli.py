"""The ``msa`` command line: check, views, indicators, sankey, run, compare.

Every :class:`msa.MsaError` becomes one readable line on stderr and exit code 2, never a
traceback. Commands live in this one module, grouped by the issue that introduced them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from msa.errors import MsaError

app = typer.Typer(
    name="msa",
    help="Material system analysis: balance, views, indicators, Sankeys and model runs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        from msa import __version__

        typer.echo(f"msa {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Material system analysis toolkit."""


# --- check (foundation) -----------------------------------------------------------------


# --- views and indicators (JRC / ICER / PGA) ----------------------------------------------


# --- sankey -------------------------------------------------------------------------------


# --- run and compare (models) -------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 check failed, 2 error).

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.
    """
    try:
        app(args=argv, prog_name="msa", standalone_mode=False)
    except MsaError as err:
        typer.echo(f"msa: error: {err}", err=True)
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
    return 0


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


_ = Path  # Path is used by the command sections below
