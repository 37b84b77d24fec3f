"""Per-token log-probabilities from remote servers, for a completion's confidence: the formats
servers send them in, a server that sends none, one that refuses to, and the probability floor
that ends a stream nothing more of could be shown."""

from __future__ import annotations

import math

import pytest

from fake_server import Answer, fake_server
from lsp_server.engine.base import TokenScore
from lsp_server.engine.remote import _add_scores, _event_logprobs
from test_remote_engine_unit import connect, fim_request


def test_openai_legacy_format():
    event = {"choices": [{"text": "ab", "logprobs": {"tokens": ["a", "b"], "token_logprobs": [-0.5, -1.0]}}]}
    assert _event_logprobs(event) == [("a", -0.5), ("b", -1.0)]


def test_openai_content_format():
    event = {"choices": [{"text": "x", "logprobs": {"content": [{"token": "x", "logprob": -0.25}]}}]}
    assert _event_logprobs(event) == [("x", -0.25)]


def test_llama_cpp_native_formats():
    new = {"content": "y", "completion_probabilities": [{"token": "y", "logprob": -2.0}]}
    old = {"content": "y", "completion_probabilities": [{"content": "y", "probs": [{"tok_str": "y", "prob": 0.5}]}]}
    assert _event_logprobs(new) == [("y", -2.0)]
    assert _event_logprobs(old) == [("y", pytest.approx(math.log(0.5)))]


def test_no_logprobs_in_an_event_means_no_scores_at_all():
    scores = _add_scores([], {"choices": [{"text": "a", "logprobs": {"token_logprobs": [-0.1]}}]}, 0, "a")
    assert scores == [TokenScore(1, -0.1)]
    assert _add_scores(scores, {"choices": [{"text": "b", "logprobs": None}]}, 1, "b") is None


def test_token_ends_follow_the_text_of_each_event():
    event = {"choices": [{"text": "foo(", "logprobs": {"tokens": ["foo", "("], "token_logprobs": [-0.1, -0.2]}}]}
    assert _add_scores([TokenScore(3, -1.0)], event, 3, "foo(") == [
        TokenScore(3, -1.0),
        TokenScore(6, -0.1),
        TokenScore(7, -0.2),
    ]


def test_a_server_that_sends_no_logprobs_gives_no_scores():
    with fake_server() as fake:
        engine = connect(fake.url + "/v1/")
        result = engine.generate(fim_request(engine))
        assert fake.state.requests[-1]["body"]["logprobs"] == 1
        assert result.text == "hello world" and result.token_scores is None  # the fake sends none


def test_a_server_that_refuses_logprobs_is_asked_without_them():
    with fake_server() as fake:
        refusal = "logprobs is not supported for models created with logits_all=False"
        fake.state.script = [Answer(status=400, body=refusal)]
        engine = connect(fake.url + "/v1/")
        result = engine.generate(fim_request(engine))
        assert result.text == "hello world"
        bodies = [r["body"] for r in fake.state.requests if r["body"]]
        assert bodies[-2].get("logprobs") == 1 and "logprobs" not in bodies[-1]
        engine.generate(fim_request(engine))
        assert "logprobs" not in fake.state.requests[-1]["body"]


def test_under_the_probability_floor_the_stream_is_hung_up_and_cut_to_whole_lines():
    pieces = ["x = 1", "\n", "y = 2", "\n", "z", " = 3", "\n", "w = 4"]
    with fake_server() as fake:
        logprobs = [-0.1, -0.1, -0.2, -0.1, -3.0, -0.1, -0.1, -0.1]
        fake.state.default = Answer(pieces=pieces, logprobs=logprobs, delay=0.05)
        engine = connect(fake.url + "/v1/")
        result = engine.generate(fim_request(engine, min_logprob=-2.0))
        assert result.stopped_by == "unlikely" and result.text == "x = 1\ny = 2"
        assert result.token_scores == [TokenScore(5, -0.1), TokenScore(6, -0.1), TokenScore(11, -0.2)]
        assert fake.state.hung_up.wait(5) and fake.state.events_sent < len(pieces)
        # No floor: the whole stream.
        result = engine.generate(fim_request(engine))
        assert result.text == "".join(pieces) and result.stopped_by == "eos"
