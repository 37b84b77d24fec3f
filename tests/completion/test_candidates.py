"""Several candidates at a cursor: each filtered on its own (post-processing, syntax and
confidence checks with its own token scores), the same text shown once; all of them only when
the user asks (trigger kind Invoked), the first alone as they type."""

from __future__ import annotations

import math

from scripted_engine import ScriptedEngine, by_prefix, ready_host

from lsp_server.completion.candidates import Finished, SuggestionPlace, distinct_texts, finish, finish_all
from lsp_server.completion.postprocess import CursorContext
from lsp_server.completion.service import CompletionRequest, CompletionService, cursor_context
from lsp_server.engine.base import GenerationResult, TokenScore
from lsp_server.settings import parse_settings
from lsp_server.text import cursor_from_lsp

URI = "file:///work/area.py"
SOURCE = "def area(width, height):\n    return \n"


def finished(text: str) -> Finished:
    return Finished(text, text, None, None, 0.0, "kept")


def place_at(text: str, offset: int, multiline: bool = False) -> SuggestionPlace:
    ctx = cursor_context(text, offset)
    return SuggestionPlace(text, offset, "python", None, ctx, multiline, text[offset:].split("\n")[1:], 12)


def scores(text: str, probability: float) -> list[TokenScore]:
    """One token per character, each with this probability."""
    return [TokenScore(i + 1, math.log(probability)) for i in range(len(text))]


def test_each_text_once_most_probable_first():
    texts = distinct_texts([finished("a + b"), finished(""), finished("a + b "), finished("a - b"), finished("a + b")])
    assert texts == ["a + b", "a - b"]
    assert distinct_texts([finished(""), finished("  ")]) == []


def test_the_same_text_after_post_processing_counts_once():
    offset = SOURCE.index("return ") + len("return ")
    place = place_at(SOURCE, offset)
    # One line is wanted mid-function after `return `: the second candidate's next line goes.
    result = GenerationResult("width * height", 10, 3, "eos", token_scores=scores("width * height", 0.99))
    result.alternatives = [
        GenerationResult("width * height\n    print(1)", 10, 6, "eos", token_scores=None),
        GenerationResult("height * width", 10, 3, "eos", token_scores=scores("height * width", 0.99)),
    ]
    done = finish_all(result, place, 0.0, finished_line=False)
    assert [f.candidate for f in done] == ["width * height", "width * height", "height * width"]
    assert distinct_texts(done) == ["width * height", "height * width"]


def test_the_confidence_check_applies_to_each_candidate_with_its_own_scores():
    text = "def f():\n    x = 1\n    return \n"
    offset = text.index("return ") + len("return ")
    place = place_at(text, offset)
    sure = finish("x", scores("x", 0.9), place, 0.5, finished_line=False)
    unsure = finish("x + 1", scores("x + 1", 0.5), place, 0.5, finished_line=False)
    assert sure.text == "x" and sure.confidence == 0.9
    assert unsure.text == "" and unsure.candidate == "x + 1" and unsure.confidence is not None
    assert unsure.confidence < 0.5


def test_cancelled_alternatives_are_not_shown():
    place = place_at(SOURCE, SOURCE.index("return ") + 7)
    result = GenerationResult("width", 10, 1, "eos", token_scores=scores("width", 0.9))
    result.alternatives = [GenerationResult("height * wid", 10, 4, "cancelled", token_scores=None)]
    assert distinct_texts(finish_all(result, place, 0.0, finished_line=False)) == ["width"]


def service_for(engine: ScriptedEngine, candidates: int) -> CompletionService:
    settings, errors = parse_settings({"completion": {"candidates": candidates}, "context": {"enabled": False}})
    assert not errors
    return CompletionService(ready_host(engine), lambda: settings)


def request(explicit: bool) -> CompletionRequest:
    cursor = cursor_from_lsp(SOURCE, 1, 11)
    assert cursor is not None
    return CompletionRequest(URI, SOURCE, cursor, "python", explicit=explicit)


async def test_all_candidates_when_asked_the_first_alone_while_typing():
    answers = ["width * height", "height * width", "width * height\n    pass", "0"]
    engine = ScriptedEngine(by_prefix({"return ": answers}))
    service = service_for(engine, candidates=3)
    typing = await service.complete(request(explicit=False))
    assert typing.texts == ["width * height"] and engine.generations[-1].request.candidates == 1
    asked = await service.complete(request(explicit=True))
    # The cache held the first candidate; three were asked for: the model ran again, for the
    # other two only, and the first comes from the cache.
    assert asked.reason == "model"
    last = engine.generations[-1].request
    assert (last.candidates, last.known_first_tokens) == (3, len(engine.tokenize("width * height")))
    result = engine.generations[-1].result
    assert result is not None and result.text == ""
    assert [a.text for a in result.alternatives] == ["height * width", "width * height"]  # the third: a line, cut
    assert asked.texts == ["width * height", "height * width"]  # the third was the first, once cut
    again = await service.complete(request(explicit=True))
    assert (again.reason, again.texts) == ("cache", ["width * height", "height * width"])
    typing_again = await service.complete(request(explicit=False))
    assert typing_again.texts == ["width * height", "height * width"]  # what the cache has, it shows


async def test_one_candidate_setting_asks_for_one_even_when_invoked():
    engine = ScriptedEngine(by_prefix({"return ": ["width * height", "height * width"]}))
    service = service_for(engine, candidates=1)
    asked = await service.complete(request(explicit=True))
    assert asked.texts == ["width * height"] and engine.generations[-1].request.candidates == 1


async def test_typed_ahead_keeps_the_candidates_that_still_fit():
    engine = ScriptedEngine(by_prefix({"return ": ["width * height", "height * width", "width + height"]}))
    service = service_for(engine, candidates=3)
    await service.complete(request(explicit=True))
    typed = SOURCE.replace("return \n", "return wid\n")
    cursor = cursor_from_lsp(typed, 1, 14)
    assert cursor is not None
    rest = await service.complete(CompletionRequest(URI, typed, cursor, "python"))
    assert (rest.reason, rest.texts) == ("cache", ["th * height", "th + height"])


def test_cursor_context_helper_is_the_services():
    assert cursor_context("ab\ncd", 4) == CursorContext("c", "d", "ab")


async def test_asked_first_every_candidate_is_decoded():
    engine = ScriptedEngine(by_prefix({"return ": ["width * height", "height * width"]}))
    service = service_for(engine, candidates=2)
    asked = await service.complete(request(explicit=True))
    assert not engine.generations[-1].request.first_known
    assert asked.texts == ["width * height", "height * width"]
