"""The README's two commands and CI stay in sync."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_starts_with_main_job_and_tests() -> None:
    """The README's first two code blocks are the main job and the test command."""
    commands = _readme_commands()
    assert len(commands) >= 2
    assert "msa run models/ev_batteries_nl" in commands[0]
    assert "pytest" in commands[1]
    assert commands[0].startswith("scripts/setup.sh && ")
    assert commands[1].startswith("scripts/setup.sh && ")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs exactly the README's test command after the shared setup script."""
    test_command = _readme_commands()[1].removeprefix("scripts/setup.sh && ")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/setup.sh" in ci
    assert test_command in ci.splitlines()


def test_main_job_model_exists() -> None:
    """The model the README's main command runs is in the repository."""
    model = _readme_commands()[0].split("msa run ")[1].split()[0]
    assert (ROOT / model).is_dir()
