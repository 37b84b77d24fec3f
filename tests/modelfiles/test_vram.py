"""GPU offload planning from GGUF tensor tables (modelfiles/vram.py) and its wiring.

Real model shapes come as GGUF files whose tensor table is complete but whose data
section is a sparse hole (gguf_shapes.py), so the sizes are parsed from a real header
without gigabytes on disk. The measured figures were taken with llama.cpp on an H100
(Q4_K_M, n_ctx 8192, flash attention, all layers on the GPU).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from gguf import GGUFReader, GGUFWriter
from gguf_shapes import (
    QWEN25_CODER_1_5B,
    QWEN25_CODER_7B,
    metadata,
    sized_table,
    write_header_only_gguf,
)

from lsp_server.engine import llama_cpp_engine
from lsp_server.modelfiles.gguf_header import GGUFHeaderError, read_gguf_header
from lsp_server.modelfiles.vram import GIB, MIB, plan_offload, read_model_shape, shape_from_tensors

MEASURED_FILE_1_5B = 935 * MIB  # random-weight Q4_K_M GGUF of Qwen2.5-Coder-1.5B's shape
MEASURED_FILE_7B = 4.46 * GIB
MEASURED_GPU_1_5B = 2.07e9  # GPU memory in use at n_ctx 8192
MEASURED_GPU_7B = 5.5e9


@pytest.fixture(scope="module")
def qwen_1_5b(tmp_path_factory):
    return read_model_shape(write_header_only_gguf(tmp_path_factory.mktemp("gguf") / "q1_5b.gguf", QWEN25_CODER_1_5B))


@pytest.fixture(scope="module")
def qwen_7b(tmp_path_factory):
    return read_model_shape(write_header_only_gguf(tmp_path_factory.mktemp("gguf") / "q7b.gguf", QWEN25_CODER_7B))


def test_header_only_gguf_parses_to_the_same_shape_as_its_table(qwen_1_5b, tmp_path):
    assert qwen_1_5b == shape_from_tensors(metadata(QWEN25_CODER_1_5B), sized_table(QWEN25_CODER_1_5B))
    assert (qwen_1_5b.n_layers, qwen_1_5b.n_head_kv, qwen_1_5b.head_dim_k, qwen_1_5b.n_ctx_train) == (28, 2, 128, 32768)
    path = write_header_only_gguf(tmp_path / "again.gguf", QWEN25_CODER_1_5B)
    assert path.stat().st_blocks * 512 < 1 << 20  # the weights are a hole, not bytes on disk


def test_quantised_sizes_match_the_measured_files(qwen_1_5b, qwen_7b):
    assert qwen_1_5b.total_bytes == pytest.approx(MEASURED_FILE_1_5B, rel=0.03)
    assert qwen_7b.total_bytes == pytest.approx(MEASURED_FILE_7B, rel=0.04)
    # Tied embeddings: the output layer is token_embd (plus output_norm), not absent.
    assert qwen_1_5b.output_bytes > 150e6
    assert len(qwen_1_5b.layer_bytes) == 28 and len(set(qwen_1_5b.layer_bytes)) == 2  # Q6_K layers weigh more


def test_kv_cache_is_layers_times_context_times_kv_width_times_two_f16(qwen_1_5b, qwen_7b):
    # 28 layers * 8192 positions * 2 kv heads * 128 dims * (K and V) * 2 bytes
    assert qwen_1_5b.kv_cache_bytes(8192) == 28 * 8192 * 2 * 128 * 2 * 2 == 234_881_024
    assert qwen_7b.kv_cache_bytes(4096) == 28 * 4096 * 4 * 128 * 2 * 2


def test_both_models_fit_8_gb_whole_and_the_estimate_is_near_the_measured_use(qwen_1_5b, qwen_7b):
    for shape, measured in ((qwen_1_5b, MEASURED_GPU_1_5B), (qwen_7b, MEASURED_GPU_7B)):
        plan = plan_offload(shape, 8192, 8192 * MIB)
        assert plan.layers_on_gpu == 28 and plan.n_gpu_layers == 29  # 29: the output layer too
        assert plan.gpu_bytes == pytest.approx(measured, rel=0.15)
        assert plan.summary().startswith("28/28 layers on GPU, ") and plan.summary().endswith(" of 8 GiB")


def test_a_small_budget_offloads_the_last_layers_that_fit(qwen_7b):
    budget = 4096 * MIB
    plan = plan_offload(qwen_7b, 8192, budget)
    assert 0 < plan.layers_on_gpu < 28
    assert plan.n_gpu_layers == plan.layers_on_gpu + 1
    assert plan.gpu_bytes <= budget
    one_more = plan.gpu_bytes + qwen_7b.layer_bytes[0] + qwen_7b.kv_bytes_per_layer(8192)
    assert one_more > budget  # greedy: nothing that fits was left out
    # A longer context costs KV cache and so leaves room for fewer layers.
    assert plan_offload(qwen_7b, 32768, budget).layers_on_gpu < plan.layers_on_gpu


def test_a_budget_below_the_fixed_costs_means_cpu_only(qwen_7b):
    plan = plan_offload(qwen_7b, 4096, 512 * MIB)
    assert plan.n_gpu_layers == 0
    assert plan.summary().startswith("CPU only (even one layer needs")


def test_the_fast_header_walk_agrees_with_gguf_reader(tmp_path):
    path = tmp_path / "small.gguf"
    writer = GGUFWriter(str(path), arch="llama")
    writer.add_block_count(2)
    writer.add_array("llama.attention.head_count_kv", [2, 4])  # per-layer values exist in the wild
    writer.add_token_list([f"tok{i}" for i in range(300)])
    writer.add_token_merges(["t o", "to k"])
    writer.add_float32("llama.rope.freq_base", 10000.0)
    writer.add_tensor("token_embd.weight", np.ones((300, 8), dtype=np.float16))
    writer.add_tensor("blk.0.attn_q.weight", np.ones((8, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    header = read_gguf_header(path)
    reader = GGUFReader(str(path))
    assert [(t.name, int(t.n_bytes)) for t in reader.tensors] == [(t.name, t.n_bytes) for t in header.tensors]
    for key, field in reader.fields.items():
        if not key.startswith("GGUF."):
            expected = field.contents()
            got = header.metadata[key]
            assert (len(got) == len(expected)) if key.startswith("tokenizer.") else got == expected, key
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(GGUFHeaderError):
        read_gguf_header(path)


def test_sizes_of_a_small_real_gguf_are_its_tensor_bytes(test_model):
    shape = read_model_shape(test_model)
    # build_test_model: embd 64, ffn 128, f16 matrices, f32 norms
    assert shape.layer_bytes[0] == (4 * 64 * 64 + 3 * 64 * 128) * 2 + 2 * 64 * 4
    assert shape.output_bytes == 49152 * 64 * 2 + 64 * 4
    assert shape.kv_bytes_per_layer(1000) == 1000 * 4 * 16 * 2 * 2


def test_explicit_gpu_layers_win_over_the_plan(test_model, monkeypatch):
    monkeypatch.setattr(llama_cpp_engine, "gpu_offload_available", lambda: True)
    assert llama_cpp_engine.choose_offload(test_model, 4096, 5, 8192) == (5, "5 layers on GPU (model.nGpuLayers)")
    assert llama_cpp_engine.choose_offload(test_model, 4096, 0, 8192)[0] == 0


def test_the_plan_is_used_when_the_build_has_a_gpu(test_model, monkeypatch, caplog):
    monkeypatch.setattr(llama_cpp_engine, "gpu_offload_available", lambda: True)
    with caplog.at_level(logging.INFO, logger="lsp_server.engine.llama_cpp_engine"):
        layers, report = llama_cpp_engine.choose_offload(test_model, 4096, None, 8192)
    assert layers == 3 and report.startswith("2/2 layers on GPU")  # 2 layers + the output layer
    assert "GPU offload plan" in caplog.text and report in caplog.text


def test_without_a_gpu_build_it_says_cpu_only(test_model, monkeypatch):
    monkeypatch.setattr(llama_cpp_engine, "gpu_offload_available", lambda: False)
    assert llama_cpp_engine.choose_offload(test_model, 4096, None, 8192) == (0, "CPU only (no GPU build)")
