"""The tutorial, followed verbatim in an empty folder, produces its model, report and Sankey."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"


def _need_chromium() -> None:
    """Skip without chromium (static figures need it), or fail on CI, as tests/conftest.py does."""
    from msa.figures.export import find_browser

    if find_browser() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing on CI: install it with `apt-get install chromium`")
        pytest.skip("chromium is not installed (apt-get install chromium); CI=true makes this fail")


def tutorial_commands(text: str) -> list[str]:
    """Return the commands of a page's ``console`` blocks: ``$ `` lines and their here-docs."""
    commands: list[str] = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        heredoc: str | None = None
        for line in block.splitlines():
            if heredoc is not None:
                commands[-1] += "\n" + line
                if line == heredoc:
                    heredoc = None
            elif line.startswith("$ "):
                commands.append(line[2:])
                match = re.search(r"<<'?(\w+)'?", line)
                heredoc = match.group(1) if match else None
    return commands


def test_commands_are_read_with_their_heredocs() -> None:
    """A here-doc stays part of its command; output lines are not commands."""
    page = "```console\n$ msa new x\nwrote x\n$ cat >> f <<'EOF'\n[a]\nb = 1\nEOF\n```\n"
    assert tutorial_commands(page) == ["msa new x", "cat >> f <<'EOF'\n[a]\nb = 1\nEOF"]


@pytest.mark.slow
@pytest.mark.chromium
def test_tutorial_runs_verbatim(tmp_path: Path) -> None:
    """Every command of the tutorial succeeds and leaves the files the page promises."""
    _need_chromium()
    commands = tutorial_commands(TUTORIAL.read_text(encoding="utf-8"))
    assert commands[0].startswith("msa new ")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in commands:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert (tmp_path / "appliances" / "model.toml").is_file()
    assert "longer_life" in (tmp_path / "appliances" / "model.toml").read_text()
    for scenario in ("baseline", "high_collection", "longer_life"):
        assert (tmp_path / "runs" / "all" / scenario / "report.html").is_file()
    assert (tmp_path / "runs" / "first" / "figures" / "sankey_2035.png").is_file()
    for suffix in ("html", "png", "svg", "pdf"):
        assert (tmp_path / "runs" / "sankey" / f"sankey_jrc_2035.{suffix}").is_file()
