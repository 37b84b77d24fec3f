"""Check 'llama.cpp': llama-cpp-python imports, its version, and whether it can use the GPU.

The most common slow setup is a CPU-only build on a machine with an NVIDIA GPU: everything
works, at a tenth of the speed. The backend is read from the native libraries the build
installed next to the package (libggml-cuda, libggml-metal, ...), so that this module needs
no llama_cpp import of its own (only engine/llama_cpp_*.py import it).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from pathlib import Path

from ..engine.llama_cpp_engine import gpu_offload_available
from .check import Check, failed, ok, warning

NAME = "llama.cpp"
# Library name fragment -> backend, as llama.cpp names its backend libraries.
BACKENDS = (("cuda", "CUDA"), ("metal", "Metal"), ("vulkan", "Vulkan"), ("hip", "ROCm"), ("sycl", "SYCL"))


def package_version() -> str:
    try:
        return importlib.metadata.version("llama_cpp_python")
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def gpu_backends() -> list[str]:
    """The GPU backends whose libraries the llama-cpp-python build installed."""
    spec = importlib.util.find_spec("llama_cpp")
    folders = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    names = [f.name.lower() for folder in folders for f in (folder / "lib").glob("*ggml*")]
    return [backend for fragment, backend in BACKENDS if any(f"ggml-{fragment}" in name for name in names)]


def nvidia_gpu_present() -> bool:
    return shutil.which("nvidia-smi") is not None


def check_llama_cpp() -> Check:
    try:
        gpu_build = gpu_offload_available()
    except Exception as exc:  # not installed, or a native library that does not load
        return failed(NAME, f"llama-cpp-python does not import: {exc}", "bash scripts/setup.sh")
    backends = gpu_backends()
    backend = ", ".join(backends) if backends else ("GPU" if gpu_build else "CPU")
    detail = f"llama-cpp-python {package_version()}, backend {backend}, GPU offload {'yes' if gpu_build else 'no'}"
    if not gpu_build and nvidia_gpu_present():
        needs = "" if shutil.which("nvcc") else " (it needs the CUDA toolkit's nvcc on PATH)"
        return warning(
            NAME,
            detail + "; an NVIDIA GPU is present but this build runs on the CPU",
            f"bash scripts/setup.sh --gpu{needs}",
        )
    return ok(NAME, detail)
