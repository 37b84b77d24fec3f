"""`infill models convert`: a GPTQ checkpoint through the real model builder, and the inputs
it refuses before running it."""

from __future__ import annotations

import json
import shutil

import pytest
from build_test_onnx import cached

from lsp_server.cli import main
from lsp_server.engine.base import GenerationRequest
from lsp_server.engine.onnx_engine import OnnxEngine
from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens


def test_a_gptq_checkpoint_converts_at_int4_and_completes(tmp_path, capsys):
    import onnx

    gptq = cached("gptq")
    config = json.loads((gptq / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "gptq"
    out = tmp_path / "tiny-gptq"
    assert main(["models", "convert", str(gptq), str(out), "--precision", "int4"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert {"genai_config.json", "model.onnx", "tokenizer.json", "infill.json"} <= {p.name for p in out.iterdir()}
    # The checkpoint's 4-bit weights became MatMulNBits as they were: block size 32, its group size.
    graph = onnx.load(str(out / "model.onnx"), load_external_data=False).graph
    nbits = [node for node in graph.node if node.op_type == "MatMulNBits"]
    assert len(nbits) >= 4 * 4  # qkv, o, gate/up, down in each of the 4 layers
    assert all(next(a.i for a in node.attribute if a.name == "block_size") == 32 for node in nbits)
    # The tokenizer is the checkpoint's own (the builder's rewrite would lose the digit split).
    assert (out / "tokenizer.json").read_bytes() == (gptq / "tokenizer.json").read_bytes()
    engine = OnnxEngine(str(out), n_ctx=512)
    try:
        fim = resolve_fim_tokens(engine)
        prompt = build_fim_prompt(engine.tokenize, fim, "def read_text(path):\n    with open(path) as f:\n", "", 400)
        result = engine.generate(GenerationRequest(prompt.tokens, 16))
    finally:
        engine.close()
    assert result.generated_tokens > 0 and result.text.strip()


@pytest.fixture
def checkpoint(tmp_path):
    """A copy of the Hugging Face export without its weights: enough for the checks that run
    before the builder."""
    folder = tmp_path / "hf"
    folder.mkdir()
    source = cached("hf")
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(source / name, folder / name)
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def convert_fails(args: list[str], capsys) -> str:
    assert main(["models", "convert", *args]) == 1
    return capsys.readouterr().err


def test_refused_before_the_builder_runs(checkpoint, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert "not a folder" in convert_fails([str(tmp_path / "nothing"), out], capsys)
    assert "has no config.json" in convert_fails([str(tmp_path), out], capsys)
    error = convert_fails([str(checkpoint), out, "--precision", "fp16"], capsys)
    assert "fp16 on cpu is not supported by ONNX Runtime" in error and "fp16 on cuda" in error
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    assert "already exists and is not empty" in convert_fails([str(checkpoint), str(tmp_path / "full")], capsys)

    config = json.loads((checkpoint / "config.json").read_text())
    config["quantization_config"] = {"quant_method": "gptq", "bits": 4, "group_size": 32}
    (checkpoint / "config.json").write_text(json.dumps(config))
    error = convert_fails([str(checkpoint), out, "--precision", "fp32"], capsys)
    assert "a gptq checkpoint holds 4-bit weights: convert it with --precision int4" in error
    config["quantization_config"] = {"quant_method": "gptq", "bits": 8}
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert "8-bit gptq checkpoint is not supported" in convert_fails([str(checkpoint), out], capsys)
    config["quantization_config"] = {"quant_method": "bitsandbytes"}
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert "'bitsandbytes' are not supported" in convert_fails([str(checkpoint), out], capsys)

    (checkpoint / "tokenizer.json").unlink()
    assert "has no tokenizer.json" in convert_fails([str(checkpoint), out], capsys)
    assert not (tmp_path / "out").exists()


def test_a_builder_failure_is_one_message_and_leaves_nothing(checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    error = convert_fails([str(checkpoint), str(out), "--precision", "fp32"], capsys)  # empty weights file
    assert "the model builder failed (exit code" in error
    assert not out.exists() and not list(tmp_path.glob(".convert-*"))
