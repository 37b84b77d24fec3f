"""The GPU plan for two models in one process (modelfiles/vram.py plan_pair, budget_left,
gpu_bytes) and its use for the explain model (engine/explain_host.py): the completion model
is planned first, as if alone; the explain model gets what it leaves, so the one that goes
(partly) to the CPU is always the explain model."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from gguf_shapes import QWEN25_CODER_1_5B, QWEN25_CODER_7B, write_header_only_gguf

from lsp_server.engine import explain_host
from lsp_server.engine.explain_host import ExplainModelHost, choose_explain_model, completion_gpu_bytes
from lsp_server.engine.host import EngineHost
from lsp_server.engine.worker import ModelWorker
from lsp_server.modelfiles.vram import (
    MIB,
    RUNTIME_OVERHEAD,
    budget_left,
    gpu_bytes,
    plan_offload,
    plan_pair,
    read_model_shape,
)
from lsp_server.settings import parse_settings


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gguf")
    return {
        "1.5b": write_header_only_gguf(folder / "q1_5b.gguf", QWEN25_CODER_1_5B),
        "7b": write_header_only_gguf(folder / "q7b.gguf", QWEN25_CODER_7B),
    }


@pytest.fixture(scope="module")
def shapes(files):
    return {name: read_model_shape(path) for name, path in files.items()}


def used_together(first, second) -> int:
    """GPU memory of both plans in one process: one CUDA runtime between them."""
    return first.gpu_bytes + second.gpu_bytes - (RUNTIME_OVERHEAD if first.gpu_bytes and second.gpu_bytes else 0)


def test_a_small_completion_model_and_a_7b_explain_model_share_8_gb_whole(shapes):
    first, second = plan_pair(shapes["1.5b"], 8192, shapes["7b"], 8192, 8192 * MIB)
    assert first.layers_on_gpu == 28 and second.layers_on_gpu == 28
    assert used_together(first, second) <= 8192 * MIB


def test_with_less_memory_the_explain_model_goes_partly_to_the_cpu(shapes):
    budget = 6144 * MIB
    first, second = plan_pair(shapes["1.5b"], 8192, shapes["7b"], 8192, budget)
    assert first == plan_offload(shapes["1.5b"], 8192, budget)  # planned as if alone
    assert first.layers_on_gpu == 28 and 0 < second.layers_on_gpu < 28
    assert used_together(first, second) <= budget
    one_more = used_together(first, second) + shapes["7b"].layer_bytes[0] + shapes["7b"].kv_bytes_per_layer(8192)
    assert one_more > budget  # greedy: nothing that fits was left out


def test_the_completion_model_never_gives_up_a_layer_for_the_explain_model(shapes):
    for budget_mb in (2048, 4096, 8192):
        first, second = plan_pair(shapes["7b"], 4096, shapes["7b"], 4096, budget_mb * MIB)
        assert first == plan_offload(shapes["7b"], 4096, budget_mb * MIB)
        assert second.layers_on_gpu <= first.layers_on_gpu
    first, second = plan_pair(shapes["7b"], 4096, shapes["1.5b"], 4096, 4096 * MIB)
    assert 0 < first.layers_on_gpu < 28 and second.n_gpu_layers == 0
    assert second.summary().startswith("CPU only (even one layer needs")


def test_gpu_bytes_of_a_layer_count_is_what_the_plan_counted(shapes):
    shape = shapes["7b"]
    for budget_mb in (1024, 3000, 4096, 8192):
        plan = plan_offload(shape, 4096, budget_mb * MIB)
        assert gpu_bytes(shape, 4096, plan.n_gpu_layers) == plan.gpu_bytes
    assert gpu_bytes(shape, 4096, 0) == 0
    assert gpu_bytes(shape, 4096, -1) == gpu_bytes(shape, 4096, 29) == gpu_bytes(shape, 4096, 1000)


def test_the_budget_left_gives_back_the_shared_runtime():
    assert budget_left(8192 * MIB, 0) == 8192 * MIB  # the first model is on the CPU
    assert budget_left(8192 * MIB, 2048 * MIB) == (8192 - 2048) * MIB + RUNTIME_OVERHEAD
    assert budget_left(4096 * MIB, 8192 * MIB) == 0


def test_the_explain_model_is_loaded_with_what_the_completion_model_leaves(files, shapes, monkeypatch, caplog):
    worker = ModelWorker()
    completion = EngineHost(worker)
    completion.engine = SimpleNamespace(path=files["1.5b"], n_ctx=8192, n_gpu_layers=29, close=lambda: None)
    taken = completion_gpu_bytes(completion.engine)
    assert taken == gpu_bytes(shapes["1.5b"], 8192, 29)
    created = []

    def fake_engine(settings, path):  # what LlamaCppEngine's choose_offload would decide
        created.append(settings)
        plan = plan_offload(shapes["7b"], 8192, settings.model.vram_budget_mb * MIB)
        return SimpleNamespace(
            name="chat-7b", offload_report=plan.summary(), n_gpu_layers=plan.n_gpu_layers, close=lambda: None
        )

    monkeypatch.setattr(explain_host, "create_engine", fake_engine)
    options, errors = parse_settings(
        {"model": {"vramBudgetMb": 6144, "nGpuLayers": 20, "nCtx": 8192}, "explain": {"model": str(files["7b"])}}
    )
    assert not errors
    models = ExplainModelHost(completion)
    choice = choose_explain_model(options, completion)
    with caplog.at_level(logging.INFO, logger="lsp_server.engine.explain_host"):
        models._load_blocking(options, choice.path, ("key",))
    (explain_settings,) = created
    assert explain_settings.model.vram_budget_mb == budget_left(6144 * MIB, taken) // MIB
    assert explain_settings.model.n_gpu_layers is None  # planned, not the completion model's count
    assert explain_settings.engine.kind == "llama_cpp"
    assert "the explain model runs partly on the CPU" in models.placement
    assert "planned after the completion model, which takes about 1.9 GiB of the 6 GiB budget" in models.placement
    assert "explain model chat-7b loaded: " in caplog.text
    # model.nGpuLayers 0: every model stays on the CPU.
    cpu_only, _ = parse_settings({"model": {"nGpuLayers": 0}, "explain": {"model": str(files["7b"])}})
    models._load_blocking(cpu_only, choice.path, ("key", 2))
    assert created[-1].model.n_gpu_layers == 0
    worker.shutdown()
