"""End to end: workspace/executeCommand infill.explain through the real server and llama.cpp.

Which model explains (the explain model, the completion model when it can chat, or none and
guidance instead), the text streamed while it is written, and a completion that does not wait
for an explanation."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from chat_model import chat_model_fixture  # noqa: F401 (a fixture)
from conftest import lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

SOURCE = "def area(width, height):\n    return width * height\n\nprint(area(2, 3))\n"
PARTIAL = "infill/explainPartial"


def explain_params(uri: str, start: tuple[int, int], end: tuple[int, int], token: str | None = None):
    rng = {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}
    argument = {"uri": uri, "range": rng} | ({"workDoneToken": token} if token else {})
    return types.ExecuteCommandParams(command="infill.explain", arguments=[argument])


def markdown_of(result) -> str:
    return result["markdown"] if isinstance(result, dict) else result.markdown


def record_partials(session) -> list[tuple[float, str, str]]:
    """(arrival time, token, markdown) of every infill/explainPartial notification."""
    partials: list[tuple[float, str, str]] = []
    session.client.feature(PARTIAL)(
        lambda ls, params: partials.append((time.monotonic(), params.token, params.markdown))
    )
    return partials


def follow(session, token: str) -> None:
    """The client made this progress token (as VS Code's panel does)."""
    session.client.progress_reports[token] = []


def progress_messages(session, token: str) -> list[str]:
    return [r.message for r in session.client.progress_reports.get(token, []) if getattr(r, "message", None)]


def assert_fit_for_the_page(markdown: str) -> None:
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = re.sub(r"(`+).*?\1", "", prose)
    for line in prose.splitlines():
        assert not re.match(r"^ {0,3}#{1,2}(\s|$)", line), line  # no H1 or H2
    assert "<" not in prose, prose  # no raw HTML


async def explain(session, uri: str, token: str | None = None, end: tuple[int, int] = (1, 25)) -> str:
    params = explain_params(uri, (0, 0), end, token)
    return markdown_of(await asyncio.wait_for(session.client.workspace_execute_command_async(params), 120))


async def test_with_only_the_embedded_model_explain_says_how_to_get_a_chat_model(tmp_path):
    async with lsp_session({}, tmp_path) as s:  # no model.path: the embedded model
        partials = record_partials(s)
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        follow(s, "t1")
        text = await explain(s, uri, "t1")
        assert text.startswith("**No chat model is configured for Explain.**")
        assert "embedded model" in text
        assert "```sh\ninfill models pull qwen2.5-coder-1.5b-instruct\n```" in text
        assert '`infill.explain.model` to `"qwen2.5-coder-1.5b-instruct"`' in text
        # No model ran: no progress shown, nothing streamed.
        assert s.client.progress_reports["t1"] == [] and partials == []


async def test_a_completion_model_without_a_chat_template_does_not_explain_either(test_model, tmp_path):
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        text = await explain(s, uri)
        assert "`infill-test-random` has no chat template" in text
        assert "infill models pull qwen2.5-coder-1.5b-instruct" in text


async def test_the_explain_model_explains_streaming_sanitized_text(test_model, chat_model, tmp_path):
    options = {"model": {"path": str(test_model)}, "explain": {"model": str(chat_model)}}
    async with lsp_session(options, tmp_path) as s:
        partials = record_partials(s)
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        follow(s, "t2")
        text = await explain(s, uri, "t2")
        answered = time.monotonic()
        assert text.strip() and "No chat model" not in text and "cannot" not in text
        assert_fit_for_the_page(text)
        assert "Loading the explain model…" in progress_messages(s, "t2")
        # The text so far arrived while the model wrote, on the client's token, sanitized.
        assert len(partials) >= 3, partials
        assert all(token == "t2" for _, token, _ in partials)
        for _, _, markdown in partials:
            assert_fit_for_the_page(markdown)
        assert len(partials[-1][2]) > len(partials[0][2])
        assert text.startswith(partials[0][2].split("\n")[0])
        await asyncio.sleep(0.5)
        assert all(at < answered for at, _, _ in partials), "no part comes after the answer"

        # The model stays loaded: a second explanation does not load it again.
        follow(s, "t3")
        assert (await explain(s, uri, "t3")).strip()
        assert "Loading the explain model…" not in progress_messages(s, "t3")


async def test_a_completion_does_not_wait_for_an_explanation(test_model, chat_model, tmp_path):
    options = {"model": {"path": str(test_model), "nCtx": 512}, "explain": {"model": str(chat_model)}}
    async with lsp_session(options, tmp_path) as s:
        partials = record_partials(s)
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        follow(s, "t4")
        explaining = asyncio.ensure_future(explain(s, uri, "t4"))
        await asyncio.wait_for(_until(lambda: len(partials) >= 2), 60)  # the model is writing
        asked = time.monotonic()
        await s.complete(uri, 1, len("    return "))
        answered = time.monotonic()
        # The completion came back while the explanation was still being written...
        assert not explaining.done(), f"the explanation finished first (the completion took {answered - asked:.2f} s)"
        text = await explaining
        # ...which then went on where it was: more text, and not cut short.
        assert any(at > answered for at, _, _ in partials)
        assert "(stopped)" not in text and text.strip()


async def test_a_completion_model_that_can_chat_explains_itself(chat_model, tmp_path):
    async with lsp_session({"model": {"path": str(chat_model)}}, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        follow(s, "t5")
        text = await explain(s, uri, "t5")
        assert text.strip() and "No chat model" not in text
        assert "Loading the explain model…" not in progress_messages(s, "t5")  # no second model


UNDOCUMENTED = """def total(values, start=0):
    result = start
    for value in values:
        result += value
    return result
"""
USES = "from util import total\n\nprint(total([1, 2, 3]))\n"


async def hover_text(session, uri: str, line: int, character: int) -> str:
    params = types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)
    )
    result = await asyncio.wait_for(session.client.text_document_hover_async(params), 30)
    return result.contents.value if result is not None else ""


async def test_the_explain_model_writes_hover_summaries(test_model, chat_model, tmp_path):
    (tmp_path / "util.py").write_text(UNDOCUMENTED)
    (tmp_path / "main.py").write_text(USES)
    options = {"model": {"path": str(test_model)}, "explain": {"model": str(chat_model)}}
    async with lsp_session(options, tmp_path) as s:
        uri = (tmp_path / "main.py").as_uri()
        s.open(uri, USES)
        deadline = time.monotonic() + 60
        text = ""
        while "*Generated summary:*" not in text:  # loads the explain model, then writes it
            assert time.monotonic() < deadline, f"no generated summary; the hover shows {text!r}"
            await asyncio.sleep(0.2)
            text = await hover_text(s, uri, 2, 7)
        summary = text.split("*Generated summary:* ", 1)[1].split("\n\n")[0]
        assert summary.strip() and "<" not in summary and "\n" not in summary


async def test_an_explain_model_not_pulled_yet_names_the_command(test_model, tmp_path):
    options = {"model": {"path": str(test_model)}, "explain": {"model": "qwen2.5-coder-1.5b-instruct"}}
    async with lsp_session(options, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        text = await explain(s, uri)
        assert "not downloaded yet; run: infill models pull qwen2.5-coder-1.5b-instruct" in text
        # The completion model is not affected.
        assert (await s.wait_for_engine())["state"] == "ready"


async def test_explain_empty_selection_is_a_clear_error(test_model, tmp_path):
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        with pytest.raises(JsonRpcException, match="selection is empty"):
            await s.client.workspace_execute_command_async(explain_params(uri, (2, 0), (2, 0)))
        with pytest.raises(JsonRpcException, match="expects"):
            await s.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="infill.explain", arguments=["nonsense"])
            )


async def test_explain_without_a_model_says_why(tmp_path):
    async with lsp_session({"model": {"path": str(tmp_path / "missing.gguf")}}, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        assert "missing.gguf" in await explain(s, uri)


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.02)
