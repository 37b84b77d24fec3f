#!/usr/bin/env bash
# Set up Infill in ./.venv: Python packages (llama-cpp-python is compiled here,
# portable AVX2 build, ~4 minutes the first time, seconds from pip's cache).
# Usage: scripts/setup.sh [--gpu]   (--gpu builds llama.cpp with CUDA when nvcc is present)
# INFILL_EXTRAS picks the optional dependencies (default "test"; the tests use "test,train",
# where "train" is the CPU PyTorch that checks the embedded model against its GGUF).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

cmake_args="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
if [ "${1:-}" = "--gpu" ] && command -v nvcc >/dev/null; then
  cmake_args="-DGGML_CUDA=on -DLLAVA_BUILD=OFF"
fi
CMAKE_ARGS="$cmake_args" .venv/bin/python -m pip install --quiet -e ".[${INFILL_EXTRAS:-test}]"
echo "Infill is installed in .venv (try: .venv/bin/infill --help)" >&2
