"""The remote engine for real: llama-cpp-python's OpenAI-compatible server on loopback,
serving the test GGUF, against the local engine running the same file."""

from __future__ import annotations

import pytest

from llama_server import llama_server
from lsp_server.settings import parse_settings
from lsp_server.engine.base import EngineError, GenerationRequest
from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens
from lsp_server.engine.llama_cpp_engine import LlamaCppEngine
from lsp_server.engine.remote import RemoteEngine

PREFIX = 'import os\n\n\ndef greet(name: str) -> str:\n    """Say hello."""\n    message = "hello " + name\n    return '
SUFFIX = "\n\n\ndef area(width, height):\n    return width * height\n"
KEY = "sk-local-test-key"


@pytest.fixture(scope="module")
def served(test_model):
    with llama_server(test_model) as url:
        yield url


@pytest.fixture(scope="module")
def local(test_model):
    engine = LlamaCppEngine(str(test_model), n_ctx=4096, n_threads=1)
    yield engine
    engine.close()


def remote(url: str, vocab=None, **engine) -> RemoteEngine:
    raw = {"engine": {"kind": "remote", "url": url, **engine}}
    if vocab:
        raw["model"] = {"path": str(vocab)}
    settings, errors = parse_settings(raw)
    assert not errors
    return RemoteEngine.connect(settings, vocab_path=str(vocab) if vocab else None)


def complete(engine, prefix=PREFIX, suffix=SUFFIX, max_tokens=24, **kw):
    fim = resolve_fim_tokens(engine, "auto")
    prompt = build_fim_prompt(engine.tokenize, fim, prefix, suffix, 1536)
    return engine.generate(GenerationRequest(prompt.tokens, max_tokens=max_tokens, stop=list(fim.stop_texts),
                                             stop_ids=fim.stop_ids, **kw))


def test_the_remote_engine_completes_like_the_local_one(served, local):
    engine = remote(served)
    try:
        assert engine.model_id == "starcoder-tiny-test" and engine.fim_family == "starcoder"
        assert "text prompt, estimated token counts" in engine.offload_report
        expected = complete(local)
        got = complete(engine)
        assert got.text == expected.text and got.text.strip()
        # Streamed events, not tokens: a server may hold text back and send two tokens at once.
        assert 0 < got.generated_tokens <= expected.generated_tokens
        # The server's log-probabilities are the local engine's: the same model, the same tokens
        # (less those a server holds back while a character's bytes are incomplete).
        assert got.token_scores and expected.token_scores and got.token_scores[-1].end == len(got.text)
        local_scores = {(s.end, round(s.logprob, 3)) for s in expected.token_scores}
        assert {(s.end, round(s.logprob, 3)) for s in got.token_scores} <= local_scores
        tricky = PREFIX.replace('"hello "', '"<fim_middle><|endoftext|>"')
        seen = PREFIX.replace('"hello "', '"<\u200bfim_middle><\u200b|endoftext|>"')
        assert complete(engine, tricky).text == complete(local, seen).text != complete(local, tricky).text
    finally:
        engine.close()


def test_with_a_local_tokenizer_the_counts_are_exact(served, local, test_model):
    engine = remote(served, vocab=test_model)
    try:
        assert "exact token counts" in engine.offload_report
        assert not engine.send_token_ids  # this server takes text prompts only
        assert engine.tokenize(PREFIX) == local.tokenize(PREFIX)
        assert complete(engine).text == complete(local).text
    finally:
        engine.close()


def test_cancel_mid_generation_leaves_the_server_usable(served, local):
    engine = remote(served)
    try:
        calls = {"n": 0}

        def stop_after_three() -> bool:
            calls["n"] += 1
            return calls["n"] > 3

        result = complete(engine, max_tokens=200, should_stop=stop_after_three)
        assert result.stopped_by == "cancelled" and result.generated_tokens <= 3
        assert complete(engine).text == complete(local).text
    finally:
        engine.close()


def test_api_key_from_the_environment(test_model, local, monkeypatch):
    with llama_server(test_model, api_key=KEY) as url:
        with pytest.raises(EngineError, match=r"HTTP 401.*apiKeyEnv"):
            remote(url)
        monkeypatch.setenv("INFILL_TEST_KEY", KEY)
        engine = remote(url, apiKeyEnv="INFILL_TEST_KEY")
        try:
            assert complete(engine).text == complete(local).text
        finally:
            engine.close()
