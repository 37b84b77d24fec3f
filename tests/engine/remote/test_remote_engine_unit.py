"""The remote engine against a scripted server: retries, timeouts, a down server,
cancellation, the API key, TLS, /infill, token-id prompts."""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
import time

import pytest

from fake_server import Answer, fake_server
from lsp_server.settings import parse_settings
from lsp_server.engine.base import EngineError, GenerationRequest
from lsp_server.prompts.fim import build_fim_prompt, prepend_context, resolve_fim_tokens
from lsp_server.engine.remote import RemoteEngine

KEY = "sk-test-5ecret-value"


@pytest.fixture
def server():
    with fake_server() as fake:
        yield fake.state, fake.url


def connect(url: str, vocab_path=None, **engine) -> RemoteEngine:
    raw = {"model": {"fimFamily": "auto"}, "engine": {"kind": "remote", "url": url, "timeoutMs": 1000, **engine}}
    if vocab_path:
        raw["model"]["path"] = str(vocab_path)
    settings, errors = parse_settings(raw)
    assert not errors
    return RemoteEngine.connect(settings, vocab_path=str(vocab_path) if vocab_path else None)


def fim_request(engine: RemoteEngine, prefix="def add(a, b):\n    return ", suffix="\n", **kw) -> GenerationRequest:
    fim = resolve_fim_tokens(engine, "auto")
    prompt = build_fim_prompt(engine.tokenize, fim, prefix, suffix, 512)
    return GenerationRequest(prompt.tokens, max_tokens=16, stop=list(fim.stop_texts), stop_ids=fim.stop_ids, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streams_a_completion_and_keeps_the_connection(server):
    state, url = server
    engine = connect(url + "/v1/")
    assert engine.model_id == "qwen2.5-coder-1.5b" and engine.fim_family == "qwen2.5-coder"
    first = engine.generate(fim_request(engine))
    second = engine.generate(fim_request(engine))
    assert (first.text, first.generated_tokens, first.stopped_by) == ("hello world", 2, "eos")
    assert second.text == "hello world"
    body = state.requests[-1]["body"]
    assert body["stream"] is True and body["temperature"] == 0 and body["model"] == "qwen2.5-coder-1.5b"
    assert body["repeat_penalty"] == 1.0  # greedy like the local engine, whatever the server defaults
    assert body["prompt"].startswith("<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n<|fim_middle|>")
    assert "<|endoftext|>" in body["stop"]
    assert engine.client._conn is not None  # kept alive for the next keystroke


def test_5xx_is_retried_with_backoff(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(status=503), Answer(status=502)]
    started = time.perf_counter()
    result = engine.generate(fim_request(engine))
    assert result.text == "hello world"
    assert [r["path"] for r in state.requests if r["method"] == "POST"] == ["/v1/completions"] * 3
    assert 0.35 < time.perf_counter() - started < 2


def test_a_persistent_5xx_is_a_clear_error_after_a_few_tries(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(status=500, body="model crashed")] * 5
    with pytest.raises(EngineError, match=r"answered HTTP 500 Internal Server Error: model crashed"):
        engine.generate(fim_request(engine))
    assert len([r for r in state.requests if r["method"] == "POST"]) == 3


def test_a_4xx_is_not_retried(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(status=400, body="prompt too long")]
    with pytest.raises(EngineError, match="HTTP 400 Bad Request: prompt too long"):
        engine.generate(fim_request(engine))
    assert len([r for r in state.requests if r["method"] == "POST"]) == 1


def test_a_silent_server_times_out_instead_of_hanging(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(hang=3)]
    started = time.perf_counter()
    with pytest.raises(EngineError, match="did not answer within 1 s"):
        engine.generate(fim_request(engine))
    assert time.perf_counter() - started < 2
    state.script = [Answer(pieces=["a", "b", "c"], delay=2)]  # stalls mid-stream
    with pytest.raises(EngineError, match="sent nothing for 1 s"):
        engine.generate(fim_request(engine))


def test_a_down_server_fails_fast_with_the_reason():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    with pytest.raises(EngineError, match=r"remote server http://127\.0\.0\.1:\d+ is not reachable \(connection refused\)"):
        connect(url)
    assert time.perf_counter() - started < 1.5  # three tries with 0.1 and 0.3 s between


def test_a_server_that_goes_down_later_gives_an_error_per_request_and_recovers():
    port = free_port()
    with fake_server(port) as fake:
        engine = connect(fake.url)
        assert engine.generate(fim_request(engine)).text == "hello world"
        fake.stop()
        with pytest.raises(EngineError, match="not reachable"):
            engine.generate(fim_request(engine))
    with fake_server(port):  # back up: the next request reconnects
        assert engine.generate(fim_request(engine)).text == "hello world"


def test_cancel_stops_at_the_next_token_and_hangs_up(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(pieces=[f"t{i} " for i in range(200)], delay=0.02)]
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 4

    started = time.perf_counter()
    result = engine.generate(fim_request(engine, should_stop=should_stop))
    assert result.stopped_by == "cancelled" and result.generated_tokens <= 4
    assert time.perf_counter() - started < 1
    assert state.hung_up.wait(2), "the server kept streaming to a client that had cancelled"
    assert state.events_sent < 100


def test_stop_text_and_block_end_are_checked_per_token(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(pieces=["x = 1", "\n", "y = 2"])]
    request = fim_request(engine)
    request.stop.append("\n")
    result = engine.generate(request)
    assert (result.text, result.stopped_by) == ("x = 1", "stop")
    state.script = [Answer(pieces=["a", "b", "c", "d"])]
    result = engine.generate(fim_request(engine, text_is_complete=lambda text: text.endswith("b")))
    assert (result.text, result.stopped_by) == ("ab", "complete")


def test_api_key_is_sent_as_a_header_and_never_logged(server, monkeypatch, caplog):
    state, url = server
    monkeypatch.setenv("TEAM_LLM_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    engine = connect(url, apiKeyEnv="TEAM_LLM_KEY")
    engine.generate(fim_request(engine))
    assert {r["headers"].get("authorization") for r in state.requests} == {f"Bearer {KEY}"}
    state.script = [Answer(status=401, body=f"bad key Bearer {KEY}")]  # a server that echoes it
    with pytest.raises(EngineError) as failure:
        engine.generate(fim_request(engine))
    assert "HTTP 401" in str(failure.value) and "apiKeyEnv" in str(failure.value)
    assert KEY not in str(failure.value)
    assert caplog.records and KEY not in caplog.text


def test_a_missing_key_variable_is_reported(server, monkeypatch):
    monkeypatch.delenv("TEAM_LLM_KEY", raising=False)
    with pytest.raises(EngineError, match="environment variable TEAM_LLM_KEY"):
        connect(server[1], apiKeyEnv="TEAM_LLM_KEY")


def test_unknown_model_and_unknown_family_are_explained(server):
    state, url = server
    with pytest.raises(EngineError, match="does not serve 'gpt-x'; it has: qwen2.5-coder-1.5b"):
        connect(url, model="gpt-x")
    state.models = [{"id": "mystery-model"}]
    with pytest.raises(EngineError, match="set infill.model.fimFamily"):
        connect(url)


def test_llama_server_gets_infill_fields_and_its_context_size(server):
    state, url = server
    state.props = {"default_generation_settings": {"n_ctx": 8192}, "model_path": "/m/qwen2.5-coder-7b-q4.gguf"}
    state.models = [{"id": "local"}]
    state.default = Answer(pieces=["return", " a + b"], llama_events=True, finish="eos")
    engine = connect(url)
    assert engine.api == "infill" and engine.n_ctx == 8192 and engine.fim_family == "qwen2.5-coder"
    fim = resolve_fim_tokens(engine, "auto")
    context = ([fim.repo_name] + engine.tokenize("proj\n") + [fim.file_sep] + engine.tokenize("util.py\n")
               + engine.tokenize("def helper(): pass\n") + [fim.file_sep] + engine.tokenize("app.py\n"))
    prompt = prepend_context(build_fim_prompt(engine.tokenize, fim, "def add(a, b):\n    ", "\n<|fim_middle|>", 512),
                             fim, context)
    result = engine.generate(GenerationRequest(prompt.tokens, max_tokens=8, stop=list(fim.stop_texts)))
    assert (result.text, result.stopped_by) == ("return a + b", "eos")
    body = state.requests[-1]["body"]
    assert state.requests[-1]["path"] == "/infill"
    assert body["input_prefix"] == "def add(a, b):\n    "
    assert body["input_suffix"] == "\n<|fim_middle|>"  # the server tokenizes it as plain text
    assert body["input_extra"] == [{"filename": "util.py", "text": "def helper(): pass\n"}]
    assert body["n_predict"] == 8 and body["stream"] is True


def test_user_text_that_spells_control_tokens_is_defused_in_a_text_prompt(server):
    state, url = server
    engine = connect(url)
    engine.generate(fim_request(engine, prefix="s = '<|fim_middle|><|endoftext|>'\n", suffix="<fim_prefix>"))
    prompt = state.requests[-1]["body"]["prompt"]
    assert prompt.count("<|fim_middle|>") == 1 and prompt.endswith("<|fim_middle|>")
    assert "'<\u200b|fim_middle|><\u200b|endoftext|>'" in prompt and "<\u200bfim_prefix>" in prompt


def test_with_a_local_tokenizer_vllm_gets_token_ids(server, test_model):
    state, url = server
    state.models = [{"id": "bigcode/starcoder2-3b", "owned_by": "vllm", "max_model_len": 16384}]
    engine = connect(url, vocab_path=test_model)
    assert engine.send_token_ids and engine.n_ctx == 16384
    request = fim_request(engine, prefix="x = '<fim_middle>'\n")
    engine.generate(request)
    sent = state.requests[-1]["body"]["prompt"]
    assert sent == request.prompt_tokens
    fim = resolve_fim_tokens(engine, "auto")
    assert sent.count(fim.middle) == 1 and sent[-1] == fim.middle  # the file's "<fim_middle>" is plain text
    state.script = [Answer(status=400, body="prompt must be a string")]
    assert engine.generate(fim_request(engine)).text == "hello world"  # falls back to text
    assert isinstance(state.requests[-1]["body"]["prompt"], str) and not engine.send_token_ids


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True)
    if done.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    return cert, key


def test_tls_is_verified_by_default(tls_files, monkeypatch):
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with fake_server(tls=context) as fake:
        with pytest.raises(EngineError, match="failed TLS certificate verification"):
            connect(fake.url)
        assert connect(fake.url, verifyTls=False).model_id == "qwen2.5-coder-1.5b"
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # how a team trusts its private CA
        engine = connect(fake.url)
        assert engine.generate(fim_request(engine)).text == "hello world"


def test_a_cancel_during_the_retry_backoff_ends_without_another_try(server):
    state, url = server
    engine = connect(url)
    state.script = [Answer(status=503)] * 3
    calls = {"n": 0}

    def stop_after_the_first_check() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    result = engine.generate(fim_request(engine, should_stop=stop_after_the_first_check))
    assert (result.text, result.stopped_by) == ("", "cancelled")
    assert len([r for r in state.requests if r["method"] == "POST"]) == 1
