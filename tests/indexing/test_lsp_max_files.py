"""End to end: index.maxFiles stops indexing at the limit, and the status says so."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from conftest import lsp_session

LIMIT_MESSAGE = "Indexed 100 files (the index.maxFiles limit); 30 more not indexed"


async def test_status_and_progress_say_when_the_limit_is_reached(tmp_path):
    for number in range(130):
        (tmp_path / f"module_{number:03}.py").write_text(f"def function_{number:03}():\n    return {number}\n")
    options = {"engine": {"kind": "none"}, "index": {"maxFiles": 100}}
    async with lsp_session(options, tmp_path) as s:

        async def limit_reported():
            while not any(LIMIT_MESSAGE in status["message"] for status in s.statuses):
                await asyncio.sleep(0.1)

        await asyncio.wait_for(limit_reported(), 30)
        ends = [r for rs in s.client.progress_reports.values() for r in rs if isinstance(r, types.WorkDoneProgressEnd)]
        assert [end.message for end in ends] == [LIMIT_MESSAGE]

        # Walk order is by name: the first 100 modules are indexed, the last 30 are not.
        def found(query: str):
            return s.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))

        assert [symbol.name for symbol in await found("function_099")] == ["function_099"]
        assert not any(symbol.name == "function_100" for symbol in await found("function_100"))
