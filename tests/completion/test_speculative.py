"""Speculative next completion: what follows a shown suggestion's acceptance is computed in the
background and answers the request after Tab; partial accepts answer at once; a keystroke or a
request elsewhere stops the prefetch. On a scripted engine (scripted_engine.py) through the real
completion service."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from scripted_engine import ScriptedEngine, by_prefix, ready_host

from lsp_server.completion.after_accept import FINISHED_LINE_MIN_CONFIDENCE
from lsp_server.completion.service import CompletionRequest, CompletionService
from lsp_server.completion.speculative import Acceptance, accepted_cursor
from lsp_server.settings import parse_settings
from lsp_server.text import Cursor, cursor_from_lsp

URI = "file:///work/area.py"
SOURCE = "def area(width, height):\n    return \n\n\ndef other():\n    pass\n"
LINE, COLUMN = 1, 11  # after "return "


def service_for(engine: ScriptedEngine, **completion) -> CompletionService:
    settings, errors = parse_settings({"completion": completion, "context": {"enabled": False}})
    assert not errors
    return CompletionService(ready_host(engine), lambda: settings, prefetch=True)


def request(text: str, line: int, column: int, uri: str = URI) -> CompletionRequest:
    cursor = cursor_from_lsp(text, line, column)
    assert cursor is not None
    return CompletionRequest(uri, text, cursor, "python")


def accept(text: str, line: int, column: int, suggestion: str) -> tuple[str, int, int]:
    """The document after Tab inserted the suggestion, and the cursor after it."""
    cursor = cursor_from_lsp(text, line, column)
    assert cursor is not None
    after = accepted_cursor(cursor, suggestion)
    return text[: cursor.offset] + suggestion + text[cursor.offset :], after.line, after.column


async def prefetch_done(service: CompletionService, timeout: float = 10) -> None:
    async def wait() -> None:
        while service.speculator._jobs:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), timeout)


async def until(check, timeout: float = 10) -> None:
    async def wait() -> None:
        while not check():
            await asyncio.sleep(0.002)

    await asyncio.wait_for(wait(), timeout)


def test_acceptance_knows_the_way_to_the_accepted_document():
    text = "x = compute(\ny = 2\n"
    shown = Acceptance(URI, text, 12, "alpha, beta)")
    assert shown.accepted_text == "x = compute(alpha, beta)\ny = 2\n"
    assert shown.accepted_offset == 24
    assert shown.on_the_way(text)  # nothing typed yet
    assert shown.on_the_way("x = compute(alpha\ny = 2\n")  # accept-word
    assert shown.on_the_way(shown.accepted_text)  # Tab
    assert not shown.on_the_way("x = compute(alpho\ny = 2\n")  # typed something else
    assert not shown.on_the_way("x = compute(alpha, beta)!\ny = 2\n")  # typed past it
    assert not shown.on_the_way("x = compute(\ny = 3\n")  # an edit on another line


def test_the_cursor_after_a_multi_line_suggestion():
    cursor = Cursor(line=3, column=4, offset=40)
    assert accepted_cursor(cursor, "abc") == Cursor(line=3, column=7, offset=43)
    assert accepted_cursor(cursor, "abc\n    return x") == Cursor(line=4, column=12, offset=56)


async def test_after_tab_the_next_request_is_answered_from_the_prefetch():
    engine = ScriptedEngine(by_prefix({"return ": ["width * height"], "return width * height": ["  # the area"]}))
    service = service_for(engine)
    shown = await service.complete(request(SOURCE, LINE, COLUMN))
    assert (shown.reason, shown.text) == ("model", "width * height")
    await prefetch_done(service)
    assert len(engine.generations) == 2  # the request, then the prefetch
    assert engine.generations[1].prompt.prefix.endswith("    return width * height")
    accepted, line, column = accept(SOURCE, LINE, COLUMN, shown.text)
    after_tab = await service.complete(request(accepted, line, column))
    assert (after_tab.reason, after_tab.text) == ("prefetched", "  # the area")
    assert len(engine.generations) == 2  # no model run for it
    assert after_tab.total_ms < 50
    await prefetch_done(service)  # and the chain goes on: what follows this one is computed ahead
    assert len(engine.generations) == 3
    assert engine.generations[2].prompt.prefix.endswith("return width * height  # the area")


async def test_a_request_that_arrives_while_the_prefetch_runs_waits_for_it():
    engine = ScriptedEngine(
        by_prefix({"return ": ["width * height"], "return width * height": ["  # the area of it all"]}),
        token_seconds=0.03,
        probability=0.99,  # sure enough for the finished-line rule
    )
    service = service_for(engine)
    shown = await service.complete(request(SOURCE, LINE, COLUMN))
    await until(lambda: len(engine.generations) == 2)  # the prefetch has started
    accepted, line, column = accept(SOURCE, LINE, COLUMN, shown.text)
    after_tab = await service.complete(request(accepted, line, column))
    assert (after_tab.reason, after_tab.text) == ("prefetched", "  # the area of it all")
    assert not engine.generations[1].stopped_early
    assert [g.prompt.prefix.endswith("width * height") for g in engine.generations[:2]] == [False, True]


async def test_partial_accepts_answer_with_the_rest_at_once():
    multi = "def area(width, height):\n    \n"
    engine = ScriptedEngine(
        by_prefix({"return ": ["width * height"], "    ": ["total = width * height\n    return total"]})
    )
    service = service_for(engine)
    shown = await service.complete(request(SOURCE, LINE, COLUMN))
    await prefetch_done(service)
    runs = len(engine.generations)
    # accept-word: "width" is now in the document, the rest is the answer.
    text, line, column = accept(SOURCE, LINE, COLUMN, "width")
    rest = await service.complete(request(text, line, column))
    assert (rest.reason, rest.text) == ("cache", " * height")
    # accept-line of a block: the first line and its line break are in, the next line is left.
    block = await service.complete(request(multi, 1, 4))
    assert block.text == "total = width * height\n    return total"
    await prefetch_done(service)
    runs = len(engine.generations)
    text, line, column = accept(multi, 1, 4, "total = width * height\n")
    rest = await service.complete(request(text, line, column))
    assert (rest.reason, rest.text) == ("cache", "    return total")
    assert len(engine.generations) == runs  # neither partial accept ran the model
    assert shown.text == "width * height"


async def test_a_keystroke_off_the_suggestion_stops_the_prefetch_at_once():
    long_answer = " + ".join(f"term{i}" for i in range(60))
    engine = ScriptedEngine(
        by_prefix({"return ": ["width * height"], "return width * height": [long_answer]}), token_seconds=0.02
    )
    service = service_for(engine, maxTokens=200)
    await service.complete(request(SOURCE, LINE, COLUMN))
    await until(lambda: len(engine.generations) == 2 and engine.running.is_set())
    service.document_changed(URI, SOURCE.replace("return \n", "return w\n"))  # on the way: goes on
    await asyncio.sleep(0.1)
    assert engine.running.is_set() and not engine.generations[1].stopped_early
    started = time.perf_counter()
    service.document_changed(URI, SOURCE.replace("return \n", "return x\n"))  # off the way: stops
    await until(lambda: not engine.running.is_set(), timeout=2)
    assert time.perf_counter() - started < 0.5
    assert engine.generations[1].stopped_early
    assert service.last_prefetch is not None and service.last_prefetch.reason == "cancelled"


async def test_a_request_elsewhere_in_the_document_supersedes_the_prefetch():
    long_answer = " + ".join(f"term{i}" for i in range(60))
    engine = ScriptedEngine(
        by_prefix({"return ": ["width * height"], "return width * height": [long_answer], "pass": ["  # nothing"]}),
        token_seconds=0.02,
    )
    service = service_for(engine, maxTokens=200)
    await service.complete(request(SOURCE, LINE, COLUMN))
    await until(lambda: len(engine.generations) == 2 and engine.running.is_set())
    started = time.perf_counter()
    elsewhere = await service.complete(request(SOURCE, 5, 8))
    assert (elsewhere.reason, elsewhere.text) == ("model", "  # nothing")
    assert engine.generations[1].stopped_early
    assert time.perf_counter() - started < 1.0  # not after the 119 tokens of the prefetch


async def test_the_prefetch_gives_way_to_a_completion_of_another_document():
    long_answer = " + ".join(f"term{i}" for i in range(60))
    engine = ScriptedEngine(
        by_prefix({"return ": ["width * height"], "return width * height": [long_answer]}), token_seconds=0.02
    )
    service = service_for(engine, maxTokens=200)
    await service.complete(request(SOURCE, LINE, COLUMN))
    await until(lambda: len(engine.generations) == 2 and engine.running.is_set())
    other = await service.complete(request(SOURCE, LINE, COLUMN, uri="file:///work/other.py"))
    assert other.reason == "model"
    assert engine.generations[1].stopped_early  # background priority: it gave way at its next token


async def test_the_finished_line_rule_holds_for_the_prefetch():
    """After Tab finishes `return width * height`, more on that line needs the finished-line
    confidence: the prefetch's suggestion (3 tokens at 0.7 each: 0.34) is held to it too."""
    engine = ScriptedEngine(
        by_prefix({"return ": ["width * height"], "return width * height": ["  # area"]}), probability=0.7
    )
    service = service_for(engine, minConfidence=0)
    shown = await service.complete(request(SOURCE, LINE, COLUMN))
    assert shown.text == "width * height"  # minConfidence 0 at an open line
    await prefetch_done(service)
    ahead = service.last_prefetch
    assert ahead is not None and ahead.min_confidence == FINISHED_LINE_MIN_CONFIDENCE
    assert ahead.candidate == "  # area" and ahead.text == ""
    accepted, line, column = accept(SOURCE, LINE, COLUMN, shown.text)
    after_tab = await service.complete(request(accepted, line, column))
    assert (after_tab.reason, after_tab.text, after_tab.min_confidence) == (
        "prefetched",
        "",
        FINISHED_LINE_MIN_CONFIDENCE,
    )


async def test_no_prefetch_for_one_shot_uses():
    engine = ScriptedEngine(by_prefix({"return ": ["width * height"]}))
    settings, _ = parse_settings({"context": {"enabled": False}})
    service = CompletionService(ready_host(engine), lambda: settings)  # `infill complete`, the doctor
    await service.complete(request(SOURCE, LINE, COLUMN))
    await asyncio.sleep(0.05)
    assert len(engine.generations) == 1


class SlowContext:
    """Cross-file context whose gathering takes up to two seconds unless told to give way."""

    def __init__(self) -> None:
        self.calls: list[tuple[bool, bool]] = []  # (could give way, gave way)

    def prompt_tokens(self, path, text, offset, window, budget, time_budget_ms, tokenize, fim, language, give_way):
        deadline = time.perf_counter() + 2.0
        while time.perf_counter() < deadline and not (give_way is not None and give_way()):
            time.sleep(0.001)
        self.calls.append((give_way is not None, time.perf_counter() < deadline))
        return [], None


async def test_the_prefetch_gives_way_while_it_gathers_context():
    """A completion that arrives while the prefetch gathers cross-file context on the model
    thread does not wait for that gathering to end: it stops at once."""
    engine = ScriptedEngine(by_prefix({"return ": ["width * height"], "return width * height": ["  # the area"]}))
    settings, errors = parse_settings({"completion": {}, "context": {"enabled": True}})
    assert not errors
    context = SlowContext()
    service = CompletionService(ready_host(engine), lambda: settings, context=context, prefetch=True)  # type: ignore[arg-type]
    first = request(SOURCE, LINE, COLUMN)
    first.path = Path("/work/area.py")
    waited = time.perf_counter()
    shown = await service.complete(first)
    assert shown.reason == "model"
    assert time.perf_counter() - waited > 1.5 and context.calls == [(False, False)]  # foreground: full time
    await until(lambda: len(context.calls) == 1 and service.speculator._jobs)  # the prefetch is gathering
    await asyncio.sleep(0.05)
    other = request(SOURCE, LINE, COLUMN, uri="file:///work/other.py")
    started = time.perf_counter()
    await service.complete(other)
    assert context.calls[1] == (True, True)  # the prefetch's gathering gave way
    assert time.perf_counter() - started < 1.0
