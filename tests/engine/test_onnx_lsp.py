"""End to end with engine.kind "onnx": the real server over stdio running the embedded model
as an ONNX Runtime GenAI folder (models/build_test_onnx.py)."""

from __future__ import annotations

import asyncio
import json

import pytest
from build_test_onnx import cached
from conftest import lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException


def onnx_options(folder, **completion) -> dict:
    return {"engine": {"kind": "onnx"}, "model": {"path": str(folder)}, "completion": completion}


async def test_completions_come_from_the_onnx_engine(tmp_path):
    async with lsp_session(onnx_options(cached("fp32")), tmp_path) as s:
        status = s.statuses[-1]
        assert status["state"] == "ready"
        assert status["message"].startswith("infill-tiny-code ready (starcoder FIM; ")
        uri = (tmp_path / "app.py").as_uri()
        s.open(uri, "import os\n\n\ndef config_path(base, name):\n    return os.path.\n")
        result = await s.complete(uri, 4, 19)
        stats = await s.last_completion()
        assert stats["reason"] == "model" and stats["generatedTokens"] > 0
        assert len(result.items) == 1 and str(result.items[0].insert_text).strip()
        assert stats["confidence"] is not None  # per-token scores reached the confidence check


async def test_control_token_text_in_source_stays_text(tmp_path):
    async with lsp_session(onnx_options(cached("int4")), tmp_path) as s:
        uri = (tmp_path / "inject.py").as_uri()
        s.open(uri, 'marker = "<fim_middle><|endoftext|>"\nvalue = ')
        await s.complete(uri, 1, 8)
        stats = await s.last_completion(include_prompt=True)
        # One <fim_middle> control token (ours, at the end), one as text in the source.
        assert stats["prompt"].count("<fim_middle>") == 2 and stats["prompt"].endswith("<fim_middle>")
        assert stats["promptTokens"] >= 20


async def test_cancel_request_stops_generation(tmp_path):
    # 400 of the 512 tokens of context: the rest is the prompt's.
    async with lsp_session(onnx_options(cached("fp32"), maxTokens=400, maxLines=200), tmp_path) as s:
        uri = (tmp_path / "long.py").as_uri()
        s.open(uri, "def main():\n")
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=0),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
        pending = asyncio.ensure_future(
            s.client.protocol.send_request_async("textDocument/inlineCompletion", params, msg_id="cancel-onnx")
        )
        while (await asyncio.wait_for(s.last_completion(), 5))["inFlight"] == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # mid-generation: unstopped, the model writes 400 tokens here (2 s)
        s.client.protocol.notify("$/cancelRequest", types.CancelParams(id="cancel-onnx"))
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(pending, 10)
        await asyncio.sleep(0.2)
        stats = await s.last_completion()
        assert stats["reason"] == "cancelled"
        assert 0 < stats["generatedTokens"] < 400
        assert isinstance(await s.complete(uri, 0, 11), types.InlineCompletionList)


@pytest.mark.parametrize("kind", ["not-a-model", "no-genai-config"])
async def test_a_folder_that_is_not_a_model_is_an_error_status_and_the_server_goes_on(kind, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    if kind == "not-a-model":
        (folder / "notes.txt").write_text("hello")
        (folder / "genai_config.json").write_text('{"model": {}}')
        expected = "cannot read"
    else:
        for name in ("model.onnx", "model.onnx.data", "tokenizer.json"):
            (folder / name).write_bytes((cached("int4") / name).read_bytes())
        expected = "has no genai_config.json"
    async with lsp_session(onnx_options(folder), tmp_path) as s:
        status = await s.wait_for_engine()
        assert status["state"] == "error" and expected in status["message"] and str(folder) in status["message"]
        uri = (tmp_path / "a.py").as_uri()
        s.open(uri, "x = ")
        assert (await s.complete(uri, 0, 4)).items == ()
        assert (await s.last_completion())["reason"] == "not-ready"
        # Pointed at a good folder, the same server loads it.
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"infill": onnx_options(cached("int4"))})
        )
        for _ in range(200):
            if s.statuses[-1]["state"] == "ready":
                break
            await asyncio.sleep(0.05)
        assert s.statuses[-1]["state"] == "ready"


def test_the_command_line_completes_with_the_onnx_engine(tmp_path, capsys):
    from lsp_server.cli import main

    source = tmp_path / "paths.py"
    source.write_text("import os\n\n\ndef config_path(base, name):\n    return os.path.\n")
    answers = []
    for engine, model in (("onnx", cached("fp32")), ("llama_cpp", cached("f32.gguf"))):
        argv = ["complete", f"{source}:5:20", "--engine", engine, "--model", str(model), "--json", "--no-context"]
        assert main(argv) == 0
        answers.append(json.loads(capsys.readouterr().out))
    onnx, llama = answers
    assert onnx["reason"] == "model" and onnx["completion"]
    assert (onnx["completion"], onnx["generatedTokens"]) == (llama["completion"], llama["generatedTokens"])
