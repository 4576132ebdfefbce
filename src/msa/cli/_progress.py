"""Progress of long CLI work, on stderr: the steps of ``msa run`` and model builds.

On a terminal (stdout and stderr both are one) a rich display shows the scenario (i/n), the
step and the time; elsewhere (a pipe, a log file, CI, a test) ``msa run`` prints one plain line
per finished step, e.g. ``msa: baseline: build 0.6 s``; ``--quiet`` silences both. The library
prints nothing: :func:`msa.run_model` calls ``progress(scenario, step)`` and this module shows it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal

import typer


def on_terminal() -> bool:
    """Whether stdout and stderr are both terminals (else progress is plain lines)."""
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


@contextlib.contextmanager
def busy(message: str) -> Iterator[None]:
    """Show ``message`` with a spinner on stderr while the block runs, on a terminal only.

    Off a terminal it prints nothing, so the stderr of ``msa check`` and the like holds only
    their one error line.
    """
    if not on_terminal():
        yield
        return
    from rich.console import Console

    with Console(file=sys.stderr).status(f"{message} ...", spinner="dots"):
        yield


class RunProgress:
    """The ``progress`` callback of :func:`msa.run_model` for ``msa run``.

    Use as a context manager around the run and pass the object as ``progress``. The mode is
    ``"rich"`` on a terminal, ``"plain"`` elsewhere and ``"off"`` with ``quiet``.

    Parameters
    ----------
    quiet : bool
        Show nothing.
    terminal : bool, optional
        Force the mode (default: :func:`on_terminal`).
    """

    def __init__(self, *, quiet: bool = False, terminal: bool | None = None) -> None:
        self.mode: Literal["off", "plain", "rich"] = (
            "off"
            if quiet
            else ("rich" if (on_terminal() if terminal is None else terminal) else "plain")
        )
        self._names: list[str] = []
        self._step: tuple[str, str, float] | None = None  # scenario, step, its start
        self._started: dict[str, float] = {}
        self._took: dict[str, list[str]] = {}
        self._live: Any = None  # rich.progress.Progress while the run goes
        self._task: Any = None

    # -- context: the rich display lives inside it
    def __enter__(self) -> RunProgress:
        if self.mode == "rich":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._live.start()
            self._task = self._live.add_task("starting", total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -- the callback
    def __call__(self, scenario: str, step: str) -> None:
        """Record that ``step`` of ``scenario`` begins (``"done"``: the scenario is complete)."""
        if self.mode == "off":
            return
        now = time.perf_counter()
        if step == "queued":
            if scenario not in self._names:
                self._names.append(scenario)
            if self._live is not None:
                self._live.update(self._task, total=len(self._names))
            return
        self._end_step(now)
        self._started.setdefault(scenario, now)
        if step == "done":
            self._end_scenario(scenario, now)
            return
        self._step = (scenario, step, now)
        if self._live is not None:
            self._live.update(self._task, description=f"{self._label(scenario)}: {step}")

    def _label(self, scenario: str) -> str:
        """``baseline``, or ``baseline (2/3)`` when several scenarios run."""
        if len(self._names) > 1 and scenario in self._names:
            return f"{scenario} ({self._names.index(scenario) + 1}/{len(self._names)})"
        return scenario

    def _end_step(self, now: float) -> None:
        if self._step is None:
            return
        scenario, step, start = self._step
        self._step = None
        took = f"{step} {now - start:.1f} s"
        self._took.setdefault(scenario, []).append(took)
        if self.mode == "plain":
            typer.echo(f"msa: {self._label(scenario)}: {took}", err=True)

    def _end_scenario(self, scenario: str, now: float) -> None:
        took = now - self._started.get(scenario, now)
        if self.mode == "plain":
            typer.echo(f"msa: {self._label(scenario)}: done in {took:.1f} s", err=True)
        elif self._live is not None:
            steps = ", ".join(self._took.get(scenario, []))
            self._live.console.print(
                f"[green]\u2713[/green] {self._label(scenario)} in {took:.1f} s ({steps})",
                highlight=False,
            )
            self._live.advance(self._task)
