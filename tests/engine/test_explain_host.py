"""Which model explains (engine/explain_host.py), and explanations in turns that give way to
completions: the rules on stand-in engines, the turns on a scripted engine."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from lsp_server.engine.base import EngineError, GenerationRequest, GenerationResult
from lsp_server.engine.explain_host import (
    ExplainModelHost,
    choose_explain_model,
    generate_in_turns,
    placement_report,
)
from lsp_server.engine.host import EMBEDDED_MODEL, EngineHost, EngineState
from lsp_server.engine.worker import ModelWorker, StopFlag, Superseded
from lsp_server.settings import parse_settings


def settings(**sections):
    parsed, errors = parse_settings(sections)
    assert not errors
    return parsed


def completion_host(path: Path | None, chat_template: str | None = None, state: str = "ready") -> EngineHost:
    host = EngineHost(ModelWorker())
    host.state = EngineState(state, "loading x" if state == "loading" else "")
    if state == "ready":
        host.engine = SimpleNamespace(path=path, name="a-model", n_ctx=4096, close=lambda: None)
        host.fim = object()
    host.chat_template = chat_template
    return host


def test_the_embedded_model_does_not_explain():
    choice = choose_explain_model(settings(), completion_host(EMBEDDED_MODEL, chat_template="{{ x }}"))
    assert (choice.source, choice.reason) == ("none", "embedded")


def test_a_completion_model_explains_only_with_a_chat_template(tmp_path):
    model = tmp_path / "base.gguf"
    assert choose_explain_model(settings(), completion_host(model)).source == "none"
    assert choose_explain_model(settings(), completion_host(model)).reason == "no_chat_template"
    assert choose_explain_model(settings(), completion_host(model, "{{ messages }}")).source == "completion_model"


def test_an_explain_model_setting_wins(tmp_path):
    chat = tmp_path / "chat.gguf"
    for host in (completion_host(EMBEDDED_MODEL), completion_host(tmp_path / "base.gguf", "{{ t }}")):
        choice = choose_explain_model(settings(explain={"model": str(chat)}), host)
        assert (choice.source, choice.path) == ("explain_model", str(chat))
    # Even while the completion model is loading or broken: the explain model is another file.
    loading = choose_explain_model(settings(explain={"model": str(chat)}), completion_host(None, state="loading"))
    assert loading.source == "explain_model"


def test_an_explain_model_that_is_the_completion_model_is_not_loaded_twice(tmp_path):
    model = tmp_path / "both.gguf"
    model.write_bytes(b"GGUF")
    choice = choose_explain_model(settings(explain={"model": str(model)}), completion_host(model))
    assert choice.source == "completion_model"


def test_a_registry_name_stands_for_its_pulled_file(tmp_path, monkeypatch):
    monkeypatch.setenv("INFILL_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("INFILL_REGISTRY", raising=False)
    choice = choose_explain_model(
        settings(explain={"model": "qwen2.5-coder-1.5b-instruct"}), completion_host(EMBEDDED_MODEL)
    )
    assert choice.path == str(tmp_path / "qwen2.5-coder-1.5b-instruct" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")


def test_remote_engines_decide_for_themselves():
    host = completion_host(None)
    assert (
        choose_explain_model(settings(engine={"kind": "remote", "url": "http://x"}), host).source == "completion_model"
    )


def test_no_model_while_the_completion_model_loads_or_when_the_engine_is_off(tmp_path):
    choice = choose_explain_model(settings(), completion_host(None, state="loading"))
    assert choice.source == "unavailable" and "loading" in choice.message
    off = choose_explain_model(settings(engine={"kind": "none"}, explain={"model": "x.gguf"}), completion_host(None))
    assert (off.source, off.reason) == ("none", "disabled")


def test_the_explain_model_is_unloaded_before_the_completion_model_reloads():
    host = completion_host(Path("/m/base.gguf"))
    models = ExplainModelHost(host)
    closed = []
    models.engine = SimpleNamespace(close=lambda: closed.append(True))
    host._unload()  # what a (re)load of the completion model does first, on the model thread
    assert models.engine is None and closed == [True]


async def test_a_failed_load_is_not_tried_again_until_the_file_changes(tmp_path):
    worker = ModelWorker()
    models = ExplainModelHost(EngineHost(worker))
    path = tmp_path / "chat.gguf"
    options = settings(explain={"model": str(path)})
    choice = choose_explain_model(options, models.completion)
    with pytest.raises(EngineError, match="model file not found"):
        await models.load(options, choice)
    tried = []
    models._load_blocking = lambda *args: tried.append(args)  # type: ignore[method-assign]
    with pytest.raises(EngineError, match="model file not found"):
        await models.load(options, choice)
    assert tried == []
    path.write_bytes(b"GGUF")  # a new file: tried again
    await models.load(options, choice)
    assert len(tried) == 1
    worker.shutdown()


def test_the_placement_says_which_model_went_to_the_cpu():
    partly = SimpleNamespace(offload_report="12/28 layers on GPU, 3.1 GiB of 3.5 GiB", n_gpu_layers=13)
    text = placement_report(partly, 28, 5 << 30, 8 << 30)
    assert text.startswith("12/28 layers on GPU")
    assert "planned after the completion model, which takes about 5.0 GiB of the 8 GiB budget" in text
    assert text.endswith("the explain model runs partly on the CPU")
    cpu = SimpleNamespace(offload_report="CPU only (even one layer needs 1.2 GiB; budget 0.4 GiB)", n_gpu_layers=0)
    assert placement_report(cpu, 28, 7 << 30, 8 << 30).endswith("the explain model runs on the CPU")
    whole = SimpleNamespace(offload_report="28/28 layers on GPU, 1.9 GiB of 6 GiB", n_gpu_layers=29)
    assert "CPU" not in placement_report(whole, 28, 2 << 30, 8 << 30)
    no_gpu = SimpleNamespace(offload_report="CPU only (no GPU build)", n_gpu_layers=0)
    assert placement_report(no_gpu, 28, 0, 8 << 30) == "CPU only (no GPU build); planned after the completion model"


class ScriptedEngine:
    """Writes "w0 w1 w2 ..." one word per token, going on from the words already after its
    prompt (as a model does from its own text); 2 ms per token."""

    n_ctx = 4096

    def __init__(self) -> None:
        self.prompt_length = 0
        self.requests: list[GenerationRequest] = []

    def tokenize(self, text: str) -> list[int]:
        return [1] * len(text.split())

    def generate(self, request: GenerationRequest) -> GenerationResult:
        self.requests.append(request)
        start = len(request.prompt_tokens) - self.prompt_length
        text = ""
        for count in range(request.max_tokens):
            if request.should_stop():
                return GenerationResult(text, len(request.prompt_tokens), count, "cancelled")
            time.sleep(0.002)
            text += f"w{start + count} "
            request.text_is_complete(text)
        return GenerationResult(text, len(request.prompt_tokens), request.max_tokens, "max_tokens")


def build_for(engine: ScriptedEngine):
    def build(_engine, room: int) -> list[int]:
        engine.prompt_length = 5
        return [0] * 5

    return build


async def test_a_generation_gives_way_to_a_completion_and_goes_on_where_it_was():
    worker = ModelWorker()
    engine = ScriptedEngine()
    seen: list[str] = []
    started = threading.Event()

    def on_text(text: str) -> None:
        seen.append(text)
        started.set()

    explaining = asyncio.ensure_future(
        generate_in_turns(worker, lambda: engine, build_for(engine), 200, StopFlag(), on_text=on_text)
    )
    await asyncio.get_running_loop().run_in_executor(None, started.wait)
    completion = await worker.run("doc", lambda flag: "completed")  # a foreground job
    assert completion == "completed" and not explaining.done()
    result = await explaining
    assert result.text == "".join(f"w{i} " for i in range(200))  # not a word lost or repeated
    assert result.generated_tokens == 200 and result.stopped_by == "max_tokens"
    assert len(engine.requests) >= 2  # it gave way once, at least
    # The next turn reads the prompt and the words so far, and writes only the rest.
    second = engine.requests[1]
    assert len(second.prompt_tokens) - 5 + second.max_tokens == 200
    assert all(later.startswith(earlier) for earlier, later in zip(seen, seen[1:], strict=False))
    worker.shutdown()


async def test_background_jobs_do_not_give_way_to_each_other():
    worker = ModelWorker()
    engine = ScriptedEngine()
    first = asyncio.ensure_future(generate_in_turns(worker, lambda: engine, build_for(engine), 50, StopFlag()))
    second = asyncio.ensure_future(generate_in_turns(worker, lambda: engine, build_for(engine), 50, StopFlag()))
    await asyncio.gather(first, second)
    assert len(engine.requests) == 2  # one turn each
    worker.shutdown()


async def test_a_stopped_generation_keeps_its_text_and_says_so():
    worker = ModelWorker()
    engine = ScriptedEngine()
    flag = StopFlag()
    started = threading.Event()
    running = asyncio.ensure_future(
        generate_in_turns(worker, lambda: engine, build_for(engine), 10_000, flag, on_text=lambda t: started.set())
    )
    await asyncio.get_running_loop().run_in_executor(None, started.wait)
    flag.set()
    result = await running
    assert result.stopped_by == "cancelled" and result.text.startswith("w0 ")
    worker.shutdown()


async def test_stopped_before_it_started_is_superseded():
    worker = ModelWorker()
    engine = ScriptedEngine()
    flag = StopFlag()
    flag.set()
    with pytest.raises(Superseded):
        await generate_in_turns(worker, lambda: engine, build_for(engine), 10, flag)
    worker.shutdown()
