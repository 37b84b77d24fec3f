"""End to end through the real server: hover documentation from the index, generated
summaries, and cross-file context in the completion prompt."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import lsp_session

UTIL = '''"""Helpers for sizes."""


def parse_size(text):
    """Parse a size such as '10 MB' into a number of bytes."""
    number, unit = text.split()
    return int(number) * UNITS[unit]


def undocumented_total(values, start=0):
    total = start
    for value in values:
        total += value
    return total


UNITS = {"B": 1, "KB": 1024, "MB": 1024 * 1024}
'''

MAIN = """from pkg.util import parse_size, undocumented_total

limit = parse_size("10 MB")
print(undocumented_total([1, 2, 3]))
size = parse_size("""


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text(UTIL)
    (tmp_path / "main.py").write_text(MAIN)
    return tmp_path


async def hover(session, uri: str, line: int, character: int) -> types.Hover | None:
    return await asyncio.wait_for(
        session.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        ),
        30,
    )


async def until(make, check, timeout: float = 30):
    """Call make() until check(result) holds; the last result."""

    async def loop():
        while True:
            result = await make()
            if check(result):
                return result
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(loop(), timeout)


async def test_hover_on_imported_function_shows_its_docstring_from_another_file(workspace):
    # No model at all: hover works from the index alone.
    async with lsp_session({"engine": {"kind": "none"}}, workspace) as s:
        assert s.initialize_result.capabilities.hover_provider
        uri = (workspace / "main.py").as_uri()
        s.open(uri, MAIN)
        result = await until(lambda: hover(s, uri, 2, 10), lambda h: h is not None)
        text = result.contents.value
        assert "def parse_size(text)" in text
        assert "Parse a size such as '10 MB' into a number of bytes." in text
        assert "pkg/util.py:4" in text
        assert result.range.start == types.Position(line=2, character=8)
        assert result.range.end == types.Position(line=2, character=18)
        # A builtin, and a place with nothing to say.
        builtin = await hover(s, uri, 3, 2)
        assert "print" in builtin.contents.value and "*builtin*" in builtin.contents.value
        assert await hover(s, uri, 1, 0) is None


async def test_hover_bad_input_gets_a_clear_error_and_the_server_keeps_answering(workspace):
    async with lsp_session({"engine": {"kind": "none"}}, workspace) as s:
        uri = (workspace / "main.py").as_uri()
        s.open(uri, MAIN)
        with pytest.raises(JsonRpcException, match="outside"):
            await hover(s, uri, 500, 0)
        with pytest.raises(JsonRpcException, match="unknown document"):
            await hover(s, "file:///nowhere/else.py", 0, 0)
        assert await until(lambda: hover(s, uri, 2, 10), lambda h: h is not None)


async def test_undocumented_function_gets_a_generated_summary_on_the_next_hover(workspace, test_model):
    async with lsp_session({"model": {"path": str(test_model), "nCtx": 512}}, workspace) as s:
        assert (await s.wait_for_engine())["state"] == "ready"
        uri = (workspace / "main.py").as_uri()
        s.open(uri, MAIN)
        first = await until(lambda: hover(s, uri, 3, 10), lambda h: h is not None)
        assert "def undocumented_total(values, start=0)" in first.contents.value
        # The model writes the summary in the background; a later hover shows it, marked.
        later = await until(lambda: hover(s, uri, 3, 10), lambda h: "*Generated summary:*" in h.contents.value)
        assert "pkg/util.py:10" in later.contents.value
        # Documented symbols keep their own docstring.
        documented = await hover(s, uri, 2, 10)
        assert "Generated summary" not in documented.contents.value


async def test_completion_prompt_holds_the_imported_definition(workspace, test_model):
    async with lsp_session({"model": {"path": str(test_model), "nCtx": 512}}, workspace) as s:
        uri = (workspace / "main.py").as_uri()
        s.open(uri, MAIN)
        await until(lambda: hover(s, uri, 2, 10), lambda h: h is not None)  # indexed
        await s.complete(uri, 4, len("size = parse_size("))
        last = await s.last_completion(include_prompt=True)
        prompt = last["prompt"]
        # The definition, from the other file, in the model's repository format.
        assert "<file_sep>pkg/util.py\n" in prompt
        assert 'def parse_size(text):\n    """Parse a size such as' in prompt
        assert prompt.index("def parse_size") < prompt.index("<fim_prefix>")
        assert "<file_sep>main.py\n<fim_prefix>" in prompt
        assert last["contextTokens"] > 0 and any("util.py" in x for x in last["contextSnippets"])


async def test_context_can_be_switched_off(workspace, test_model):
    options = {"model": {"path": str(test_model), "nCtx": 512}, "context": {"enabled": False}}
    async with lsp_session(options, workspace) as s:
        uri = (workspace / "main.py").as_uri()
        s.open(uri, MAIN)
        await until(lambda: hover(s, uri, 2, 10), lambda h: h is not None)
        await s.complete(uri, 4, len("size = parse_size("))
        last = await s.last_completion(include_prompt=True)
        assert "def parse_size(text):" not in last["prompt"] and last["contextTokens"] == 0


async def test_without_context_to_add_the_local_window_keeps_the_whole_budget(tmp_path, test_model):
    text = "".join(f"value_{i} = compute({i})\n" for i in range(400)) + "result = "
    sizes = {}
    for enabled in (True, False):
        options = {"model": {"path": str(test_model), "nCtx": 512}, "context": {"enabled": enabled}}
        async with lsp_session(options, None) as s:  # no workspace folder: nothing to gather
            uri = (tmp_path / "alone.py").as_uri()
            s.open(uri, text)
            await s.complete(uri, 400, len("result = "))
            sizes[enabled] = (await s.last_completion())["promptTokens"]
    assert sizes[True] == sizes[False] > 300


async def test_the_embedded_placeholder_model_writes_no_summaries(workspace):
    async with lsp_session({}, workspace) as s:  # no model.path: the embedded model
        assert (await s.wait_for_engine())["state"] == "ready"
        uri = (workspace / "main.py").as_uri()
        s.open(uri, MAIN)
        await until(lambda: hover(s, uri, 3, 10), lambda h: h is not None)
        await asyncio.sleep(1.0)  # time enough for a summary job, were one started
        assert "Generated summary" not in (await hover(s, uri, 3, 10)).contents.value
