"""Trust boundaries, end to end: nothing is read outside the workspace folders, and the remote
engine's API key appears nowhere but in its Authorization header."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import lsp_session

sys.path.insert(0, str(Path(__file__).parent / "engine" / "remote"))
from fake_server import Answer, fake_server  # noqa: E402

SECRET_CODE = 'def outside_secret(token):\n    """Reads the outside secret."""\n    return token\n'


def make_workspace_with_links_outside(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    (outside / "lib").mkdir(parents=True)
    (outside / "leak.py").write_text(SECRET_CODE)
    (outside / "lib" / "deep.py").write_text("def outside_deep():\n    pass\n")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "main.py").write_text("from leak import outside_secret\n\noutside_secret(1)\n\ndef inside_fn():\n    pass\n")
    (workspace / "leak.py").symlink_to(outside / "leak.py")  # a file link that leads outside
    (workspace / "vendor").symlink_to(outside / "lib", target_is_directory=True)  # a folder link
    return workspace, outside


async def wait_for_symbol(session, name: str, timeout: float = 30) -> list:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=name))
        if found or asyncio.get_running_loop().time() > deadline:
            return list(found or [])
        await asyncio.sleep(0.2)


async def test_links_that_lead_outside_the_workspace_are_not_followed(tmp_path):
    workspace, outside = make_workspace_with_links_outside(tmp_path)
    async with lsp_session({"engine": {"kind": "none"}}, workspace) as s:
        assert [symbol.name for symbol in await wait_for_symbol(s, "inside_fn")] == ["inside_fn"]
        for name in ("outside_secret", "outside_deep"):
            found = await s.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=name))
            assert not found, name
        main = (workspace / "main.py").as_uri()
        s.open(main, (workspace / "main.py").read_text())
        hover = await s.client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=main), position=types.Position(line=2, character=3))
        )
        assert hover is None or "Reads the outside secret" not in hover.contents.value
        # The file changed on disk, as the editor reports it: still not read.
        s.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=(workspace / "leak.py").as_uri(), type=types.FileChangeType.Changed)]
            )
        )
        await asyncio.sleep(0.5)
        assert not await s.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="outside_secret"))
        # Asked directly (not open in the editor), the linked file is refused.
        with pytest.raises(JsonRpcException, match="not a file in the workspace"):
            await s.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=(workspace / "leak.py").as_uri()),
                    position=types.Position(line=0, character=5),
                )
            )


async def test_the_api_key_never_leaves_the_authorization_header(tmp_path, monkeypatch):
    key = "sk-infill-test-3f9a1c77e2"
    monkeypatch.setenv("INFILL_TEST_API_KEY", key)
    log_file = tmp_path / "server.log"
    command = ["sh", "-c", f"exec {shlex.quote(sys.executable)} -m lsp_server --log-level DEBUG serve 2>>{log_file}"]
    with fake_server() as fake:
        # The server's failures quote the key back (as some servers do with a bad key).
        fake.state.script = [Answer(status=401, body=f"invalid api key {key}")] * 3
        options = {"engine": {"kind": "remote", "url": fake.url, "apiKeyEnv": "INFILL_TEST_API_KEY"}}
        async with lsp_session(options, tmp_path, wait_engine=False, server_command=command) as s:
            await s.wait_for_engine()
            uri = (tmp_path / "a.py").as_uri()
            s.open(uri, "def f(x):\n    return ")
            for _ in range(3):
                await s.complete(uri, 1, 11)
            last = await s.last_completion(include_prompt=True)
            seen = json.dumps(
                {
                    "statuses": s.statuses,
                    "messages": [m.message for m in s.client.messages],
                    "last": last,
                    "log": log_file.read_text(),
                },
                default=str,
            )
        assert fake.state.requests, "the remote server was asked"
        assert all(r["headers"].get("authorization") == f"Bearer {key}" for r in fake.state.requests)
        assert "invalid api key ***" in seen  # the error reached the user, redacted
        assert key not in seen
