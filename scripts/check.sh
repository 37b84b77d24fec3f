#!/usr/bin/env bash
# Static checks, configured in pyproject.toml: ruff (lint and format) and mypy over the
# server, the benchmarks and the model scripts, and the files generated from the settings
# schema (package.json's configuration, the README's table). Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(lsp_server bench models/*.py)
.venv/bin/ruff check "${paths[@]}"
.venv/bin/ruff format --check "${paths[@]}"
.venv/bin/mypy
.venv/bin/python -m lsp_server.settings.generate --check
echo "checks passed" >&2
