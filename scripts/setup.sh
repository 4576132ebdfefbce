#!/usr/bin/env bash
# Set up msa on a fresh Debian machine with Python 3.11: Debian's chromium (for static Sankey
# images through kaleido) and a virtual environment with msa, its development extras and the
# documentation tools (the docs extra: CI builds the site).
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "setup: chromium is missing; run 'sudo apt-get install chromium' for PNG/SVG/PDF export" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev,docs]"
