#!/usr/bin/env bash
# Install everything the tests need, run the static checks (scripts/check.sh), then every
# test: the Python tests (real server over stdio, real llama.cpp), then the VS Code
# extension's unit tests and its end-to-end tests in a real VS Code (code-server +
# headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
INFILL_EXTRAS=test,train bash scripts/setup.sh
bash scripts/check.sh
.venv/bin/python -m pytest -q "$@"
bash client-vscode/scripts/setup-e2e.sh
npm --prefix client-vscode test
npm --prefix client-vscode run test:e2e
