"""The image server renders on one page first and opens another only when images queue up.

Runs in a new interpreter (its own image server, started cold). Needs Debian's chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from msa.figures.export import find_browser

pytestmark = pytest.mark.chromium

_SCRIPT = """
import tempfile
from pathlib import Path
import msa
from msa.figures import export

export.start_image_server()
links = msa.links_from_system(msa.load_example(), 2021)
out = Path(tempfile.mkdtemp())
[one] = export.write_figure(msa.sankey(links), out / "one", "png")
browser = export._server._browser_task.result()
if not getattr(browser, "_msa_reuses", False):
    print("kaleido-reloads-its-pages")
    raise SystemExit
first = browser._total_tabs
figures = [msa.sankey(links) for _ in range(8)]  # made first: submitted at once, they queue
pending = [export.submit_figure(fig, out / f"f{k}", "png") for k, fig in enumerate(figures)]
pngs = [p.result()[0].read_bytes() for p in pending]
opened = browser._total_tabs + len(browser._msa_adding)  # loaded, or loading
print(first, opened, len(set(pngs)), pngs[0] == one.read_bytes())
"""


def test_one_page_first_a_second_when_images_queue():
    """One image is drawn on the one page opened; eight queued at once open the second."""
    if find_browser() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing on CI: install it with `apt-get install chromium`")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    if done.stdout.strip() == "kaleido-reloads-its-pages":
        pytest.skip("this kaleido reloads its pages itself")
    # pages after the first image, pages (loaded or loading) after the queue, distinct PNGs,
    # the same PNG as the first
    assert done.stdout.split() == ["1", "2", "1", "True"]


def test_chromium_pipe_noise_does_not_reach_stderr(tmp_path):
    """Pipe errors choreographer logs at shutdown do not print under msa's one error line."""
    import subprocess
    import sys

    code = (
        "import logging\n"
        "from msa.figures.export import start_image_server\n"
        "start_image_server()\n"
        "log = logging.getLogger('choreographer.channels.pipe')\n"
        "try:\n"
        "    raise ValueError('half a message')\n"
        "except ValueError:\n"
        "    log.exception('JSONError decoding message. Ignoring')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "JSONError" not in done.stderr and "Traceback" not in done.stderr, done.stderr
