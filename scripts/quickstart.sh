#!/usr/bin/env bash
# Set up Infill and complete code at a cursor with the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
file="${1:-examples/shapes.py:12:9}"
echo "--- completion at $file ---" >&2
.venv/bin/infill complete "$file"
