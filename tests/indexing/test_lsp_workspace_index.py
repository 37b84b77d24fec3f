"""End to end: the server indexes the workspace; workspace/symbol follows changes on disk."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from conftest import lsp_session


async def symbols(session, query: str) -> list[types.SymbolInformation]:
    return await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))


async def wait_until(predicate, timeout: float = 20):
    async def loop():
        while not await predicate():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(loop(), timeout)


async def test_workspace_symbol_reflects_changes_on_disk(tmp_path):
    (tmp_path / "geometry.py").write_text(
        'def area_of_circle(radius):\n    """Area of a circle."""\n    return 3.14159 * radius ** 2\n'
    )
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "app.ts").write_text("export class RequestRouter {\n  route(path: string) {}\n}\n")
    async with lsp_session({"engine": {"kind": "none"}}, tmp_path) as s:
        async def indexed():
            return bool(await symbols(s, "area_of"))

        await wait_until(indexed)
        found = await symbols(s, "area_of")
        assert found[0].name == "area_of_circle"
        assert found[0].location.uri == (tmp_path / "geometry.py").as_uri()
        assert found[0].location.range.start.line == 0
        assert [x.name for x in await symbols(s, "RequestRouter")] == ["RequestRouter"]
        # Progress was reported while indexing.
        reports = [r for rs in s.client.progress_reports.values() for r in rs]
        assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)

        # A file written on disk shows up; a deleted one goes away.
        (tmp_path / "fresh.py").write_text("class FreshlyWritten:\n    pass\n")

        async def fresh_found():
            return any(x.name == "FreshlyWritten" for x in await symbols(s, "FreshlyWritten"))

        await wait_until(fresh_found)
        (tmp_path / "geometry.py").unlink()

        async def gone():
            return not await symbols(s, "area_of_circle")

        await wait_until(gone)


async def test_open_buffer_edits_reach_the_index(tmp_path):
    (tmp_path / "mod.py").write_text("def old_name():\n    pass\n")
    async with lsp_session({"engine": {"kind": "none"}}, tmp_path) as s:
        async def indexed():
            return bool(await symbols(s, "old_name"))

        await wait_until(indexed)
        uri = (tmp_path / "mod.py").as_uri()
        s.open(uri, "def old_name():\n    pass\n")
        s.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="def brand_new_name():\n    pass\n")],
            )
        )
        async def renamed():
            return bool(await symbols(s, "brand_new_name"))

        await wait_until(renamed)
        assert not await symbols(s, "old_name")
