#!/usr/bin/env bash
# Set up Infill in ./.venv: Python packages (llama-cpp-python is compiled here,
# portable AVX2 build, ~4 minutes the first time, seconds from pip's cache).
# Usage: scripts/setup.sh [--gpu]   (--gpu builds llama.cpp with CUDA when nvcc is present, and
#                                    installs ONNX Runtime GenAI's CUDA build on an NVIDIA machine)
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

# The ONNX engine on an NVIDIA GPU: ONNX Runtime GenAI's CUDA build in place of the CPU one
# (both install the same Python modules, so the CPU packages go first; run again, this leaves
# the CUDA ones installed). Only when the chosen extras brought the ONNX engine in.
if [ "${1:-}" = "--gpu" ] && command -v nvidia-smi >/dev/null \
  && .venv/bin/python -m pip show --quiet onnxruntime-genai onnxruntime-genai-cuda >/dev/null 2>&1; then
  .venv/bin/python -m pip uninstall --quiet --yes onnxruntime-genai onnxruntime onnxruntime-genai-cuda onnxruntime-gpu
  .venv/bin/python -m pip install --quiet "onnxruntime-genai-cuda==0.18.0" "onnxruntime-gpu==1.31.1"
fi
echo "Infill is installed in .venv (try: .venv/bin/infill --help)" >&2
