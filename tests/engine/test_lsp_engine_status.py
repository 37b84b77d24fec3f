"""End to end: what the engine's status line says about where the model runs, and
about a registry model that is not downloaded yet."""

from __future__ import annotations

import json
import re
import shutil

from conftest import lsp_session
from lsp_server.engine.llama_cpp_engine import gpu_offload_available


async def test_ready_status_says_where_the_layers_went(test_model, tmp_path):
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path) as s:
        status = s.statuses[-1]
    assert status["state"] == "ready"
    if gpu_offload_available():
        assert re.search(r"; 2/2 layers on GPU, [\d.]+ GiB of 8 GiB\)$", status["message"]), status
    else:
        assert status["message"] == "infill-test-random ready (starcoder FIM; CPU only (no GPU build))"


async def test_a_registry_name_loads_the_pulled_file_or_says_how_to_pull_it(test_model, tmp_path, monkeypatch):
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"models": {"tiny-coder": {
        "url": "http://127.0.0.1:9/tiny.gguf", "filename": "tiny.gguf", "sha256": None,
        "fim_family": "starcoder", "context_length": 4096}}}))
    monkeypatch.setenv("INFILL_REGISTRY", str(registry))
    monkeypatch.setenv("INFILL_MODELS_DIR", str(tmp_path / "models"))
    async with lsp_session({"model": {"path": "tiny-coder"}}, tmp_path) as s:
        status = s.statuses[-1]
        assert status == {"state": "error",
                          "message": "model tiny-coder is not downloaded yet; run: infill models pull tiny-coder"}
    (tmp_path / "models" / "tiny-coder").mkdir(parents=True)
    shutil.copy(test_model, tmp_path / "models" / "tiny-coder" / "tiny.gguf")  # as `pull` leaves it
    async with lsp_session({"model": {"path": "tiny-coder"}}, tmp_path) as s:
        assert s.statuses[-1]["state"] == "ready"
