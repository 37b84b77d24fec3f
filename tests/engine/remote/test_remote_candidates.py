"""Several candidates from a remote server: OpenAI `n`, the choices told apart by index, each
with its own text, stop and scores; a server that ignores `n` gives one."""

from __future__ import annotations

from fake_server import fake_server

from lsp_server.engine.base import GenerationRequest
from lsp_server.engine.remote import CANDIDATE_TEMPERATURE, RemoteEngine
from lsp_server.prompts.fim import build_fim_prompt, resolve_fim_tokens
from lsp_server.settings import parse_settings


def connect(url: str) -> RemoteEngine:
    settings, errors = parse_settings({"engine": {"kind": "remote", "url": url, "timeoutMs": 1000}})
    assert not errors
    return RemoteEngine.connect(settings)


def fim_request(engine: RemoteEngine, candidates: int) -> GenerationRequest:
    fim = resolve_fim_tokens(engine, "auto")
    prompt = build_fim_prompt(engine.tokenize, fim, "def add(a, b):\n    return ", "\n", 512)
    stop = ["\n", *fim.stop_texts]
    return GenerationRequest(prompt.tokens, 16, stop=stop, stop_ids=fim.stop_ids, candidates=candidates)


def choice(index: int, text: str, logprob: float, finish: str | None = None) -> dict:
    logprobs = {"tokens": [text], "token_logprobs": [logprob]}
    return {"choices": [{"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish}]}


def test_n_choices_become_the_result_and_its_alternatives():
    with fake_server() as server:
        engine = connect(server.url)
        sent: list[dict] = []
        events = [
            choice(0, "a", -0.1),
            choice(1, "b", -0.5),
            choice(2, "a", -0.7),
            choice(0, " + b", -0.2),
            choice(1, " + a", -0.4),
            choice(2, " - b\nnext", -0.9),  # a stop text: cut there
            choice(0, "", -0.0, "stop"),
            choice(1, "", -0.0, "stop"),
        ]

        def stream(path, payload, should_stop):
            sent.append(payload)
            yield from events

        engine.client.stream = stream  # type: ignore[method-assign]
        result = engine.generate(fim_request(engine, 3))
        engine.close()
    payload = sent[0]
    assert payload["n"] == 3 and payload["temperature"] == CANDIDATE_TEMPERATURE and "top_k" not in payload
    assert (result.text, result.stopped_by) == ("a + b", "eos")
    assert [(a.text, a.stopped_by) for a in result.alternatives] == [("b + a", "eos"), ("a - b", "stop")]
    assert [s.logprob for s in result.token_scores or []] == [-0.1, -0.2]
    assert [s.logprob for s in result.alternatives[0].token_scores or []] == [-0.5, -0.4]
    third = result.alternatives[1].token_scores or []
    assert [s.end for s in third] == [1, 5] and third[-1].logprob == -0.9


def test_one_candidate_sends_no_n_and_a_server_that_ignores_n_gives_one():
    with fake_server() as server:
        engine = connect(server.url)
        single = engine.generate(fim_request(engine, 1))
        assert "n" not in server.state.requests[-1]["body"]
        several = engine.generate(fim_request(engine, 3))
        body = server.state.requests[-1]["body"]
        engine.close()
    assert body["n"] == 3
    assert single.text == several.text == "hello world" and several.alternatives == []


def test_with_the_greedy_candidate_known_only_samples_are_asked_for():
    with fake_server() as server:
        engine = connect(server.url)
        request = fim_request(engine, 3)
        request.known_first_tokens = 4
        engine.generate(request)
        two = server.state.requests[-1]["body"]
        request = fim_request(engine, 2)
        request.known_first_tokens = 4
        engine.generate(request)
        one = server.state.requests[-1]["body"]
        engine.close()
    assert (two["n"], two["temperature"]) == (2, CANDIDATE_TEMPERATURE)
    assert (one["n"], one["temperature"]) == (1, CANDIDATE_TEMPERATURE)  # a sample, not the greedy one again
